//! What sloe's tests need from outside the repository (a PostgreSQL server,
//! Prometheus, promtool, a headless browser) and the one way to go without
//! one: `SLOE_SKIP`. A test whose need is missing fails and says how to get
//! it; it skips only when `SLOE_SKIP` names the need, so a machine without
//! the tools can never pass by testing less. Depends on nothing of sloe's.

use std::fmt;

#[cfg(feature = "postgres")]
pub mod pg;

/// The variable that lists, comma-separated, the needs whose tests skip.
pub const SKIP_VAR: &str = "SLOE_SKIP";

/// Something a test needs that the repository cannot hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The PostgreSQL server (`SLOE_TEST_POSTGRES_URL`, default
    /// `postgres://postgres@127.0.0.1:5432/postgres`, trust auth).
    Postgres,
    /// The `prometheus` server binary and its `promtool`.
    Prometheus,
    /// `promtool`, Prometheus's rule checker.
    Promtool,
    /// Headless Chromium and ChromeDriver.
    Browser,
}

impl Need {
    pub const ALL: [Need; 4] = [
        Need::Postgres,
        Need::Prometheus,
        Need::Promtool,
        Need::Browser,
    ];

    /// Its word in `SLOE_SKIP`.
    pub fn name(self) -> &'static str {
        match self {
            Need::Postgres => "postgres",
            Need::Prometheus => "prometheus",
            Need::Promtool => "promtool",
            Need::Browser => "browser",
        }
    }

    /// How a Debian machine gets it (what `.ci/run` does).
    pub fn install(self) -> &'static str {
        match self {
            Need::Postgres => {
                "`apt-get install -y postgresql`, trust auth for 127.0.0.1 in pg_hba.conf and \
                 `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, \
                 or point SLOE_TEST_POSTGRES_URL at a server whose role may create databases and schemas"
            }
            Need::Prometheus | Need::Promtool => "`apt-get install -y prometheus`",
            Need::Browser => "`apt-get install -y chromium chromium-driver`",
        }
    }
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `SLOE_SKIP` names `need`; when it does, the caller returns
/// without testing, and this says so on stderr. Panics on a word that names
/// no need, so a misspelt `SLOE_SKIP` is caught instead of ignored.
pub fn skip(need: Need) -> bool {
    let listed = std::env::var(SKIP_VAR).unwrap_or_default();
    let named = skip_list_names(&listed, need).unwrap_or_else(|word| {
        let known: Vec<&str> = Need::ALL.iter().map(|n| n.name()).collect();
        panic!(
            "{SKIP_VAR}={listed:?} names {word:?}, which is none of {}",
            known.join(", ")
        )
    });
    if named {
        eprintln!("skipped: {SKIP_VAR} names {need}");
    }
    named
}

/// Whether the comma-separated `list` names `need`, or the first word in it
/// that names nothing.
fn skip_list_names(list: &str, need: Need) -> Result<bool, String> {
    let mut named = false;
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        match Need::ALL.iter().find(|n| n.name() == word) {
            Some(n) => named |= *n == need,
            None => return Err(word.to_owned()),
        }
    }
    Ok(named)
}

/// Fails the test because `need` is missing: `what` says what was tried;
/// the message says how to install it and how to skip instead.
#[track_caller]
pub fn missing(need: Need, what: &str) -> ! {
    panic!(
        "{what}\nthis test needs {need}, which .ci/run sets up. Get it with {}; \
         or set {SKIP_VAR}={need} to skip the tests that need it",
        need.install()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_skip_list_names_needs_by_word() {
        assert_eq!(skip_list_names("", Need::Postgres), Ok(false));
        assert_eq!(skip_list_names("postgres", Need::Postgres), Ok(true));
        assert_eq!(
            skip_list_names(" browser , postgres", Need::Postgres),
            Ok(true)
        );
        assert_eq!(
            skip_list_names("browser,promtool", Need::Postgres),
            Ok(false)
        );
        // promtool alone does not skip the Prometheus server's tests.
        assert_eq!(skip_list_names("promtool", Need::Prometheus), Ok(false));
    }

    #[test]
    fn a_misspelt_word_is_an_error_even_beside_the_right_one() {
        assert_eq!(
            skip_list_names("postgres,postgress", Need::Postgres),
            Err("postgress".to_owned())
        );
    }

    #[test]
    fn the_missing_message_says_how_to_install_and_how_to_skip() {
        let err = std::panic::catch_unwind(|| missing(Need::Promtool, "promtool: not found"))
            .expect_err("missing panics");
        let text = err
            .downcast_ref::<String>()
            .cloned()
            .expect("a formatted message");
        assert!(text.starts_with("promtool: not found\n"), "{text}");
        assert!(text.contains("apt-get install -y prometheus"), "{text}");
        assert!(text.contains("SLOE_SKIP=promtool"), "{text}");
    }
}
