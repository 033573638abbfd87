//! The schema history of each backend: numbered SQL files under
//! `migrations/<backend>/`, embedded in the binary and applied in order when
//! a store opens. A released migration is never edited; a change is a new file.

/// One step of a backend's schema.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Migration {
    pub version: u32,
    /// The file's name without `.sql`, for messages: `0004_rounds`.
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_slo_events",
        sql: include_str!("../migrations/sqlite/0002_slo_events.sql"),
    },
    Migration {
        version: 3,
        name: "0003_timelines",
        sql: include_str!("../migrations/sqlite/0003_timelines.sql"),
    },
    Migration {
        version: 4,
        name: "0004_rounds",
        sql: include_str!("../migrations/sqlite/0004_rounds.sql"),
    },
    Migration {
        version: 5,
        name: "0005_environment",
        sql: include_str!("../migrations/sqlite/0005_environment.sql"),
    },
    Migration {
        version: 6,
        name: "0006_digest",
        sql: include_str!("../migrations/sqlite/0006_digest.sql"),
    },
    Migration {
        version: 7,
        name: "0007_event_inputs",
        sql: include_str!("../migrations/sqlite/0007_event_inputs.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init",
        sql: include_str!("../migrations/postgres/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_slo_events",
        sql: include_str!("../migrations/postgres/0002_slo_events.sql"),
    },
    Migration {
        version: 3,
        name: "0003_timelines",
        sql: include_str!("../migrations/postgres/0003_timelines.sql"),
    },
    Migration {
        version: 4,
        name: "0004_rounds",
        sql: include_str!("../migrations/postgres/0004_rounds.sql"),
    },
    Migration {
        version: 5,
        name: "0005_environment",
        sql: include_str!("../migrations/postgres/0005_environment.sql"),
    },
    Migration {
        version: 6,
        name: "0006_digest",
        sql: include_str!("../migrations/postgres/0006_digest.sql"),
    },
    Migration {
        version: 7,
        name: "0007_event_inputs",
        sql: include_str!("../migrations/postgres/0007_event_inputs.sql"),
    },
];

/// The schema version this build of sloe brings both backends to.
pub const LATEST_SCHEMA_VERSION: u32 = 7;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_number_their_migrations_one_by_one_to_the_latest() {
        for list in [SQLITE, POSTGRES] {
            let versions: Vec<u32> = list.iter().map(|m| m.version).collect();
            let expected: Vec<u32> = (1..=LATEST_SCHEMA_VERSION).collect();
            assert_eq!(versions, expected);
            for m in list {
                assert!(
                    m.name.starts_with(&format!("{:04}_", m.version)),
                    "{}",
                    m.name
                );
            }
        }
    }

    #[test]
    fn migration_files_on_disk_are_all_embedded() {
        for (dir, list) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(dir);
            let files = std::fs::read_dir(&path)
                .expect("migrations directory")
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "sql"))
                .count();
            assert_eq!(
                files,
                list.len(),
                "{}: every file needs an entry",
                path.display()
            );
        }
    }
}
