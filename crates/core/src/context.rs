//! Run context from CI variables: GitHub Actions, GitLab CI.
//!
//! The caller passes a lookup for environment variables, so this stays pure
//! and testable. Precedence (flags, then the results file, then CI
//! variables, then `git`) is applied by [`resolve`], which skips the
//! placeholders harnesses write when they know no commit or branch
//! ([`is_placeholder_commit`], [`is_placeholder_branch`]).

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::fingerprint::Fingerprint;
use crate::model::RunContext;

/// What CI variables say about the current run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CiInfo {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

/// Reads CI variables through `var`.
pub fn from_ci(var: &dyn Fn(&str) -> Option<String>) -> CiInfo {
    let get = |k: &str| var(k).filter(|v| !v.is_empty());
    let mut info = CiInfo::default();
    if get("GITHUB_ACTIONS").as_deref() == Some("true") {
        info.metadata
            .insert("provider".into(), "github_actions".into());
        info.commit = get("GITHUB_SHA");
        // In a pull request GITHUB_REF_NAME is "123/merge"; the head branch is what users mean.
        info.branch = get("GITHUB_HEAD_REF").or_else(|| get("GITHUB_REF_NAME"));
        info.testbed = match (get("RUNNER_OS"), get("RUNNER_ARCH")) {
            (Some(os), Some(arch)) => Some(format!(
                "github-{}-{}",
                os.to_lowercase(),
                arch.to_lowercase()
            )),
            (Some(os), None) => Some(format!("github-{}", os.to_lowercase())),
            _ => None,
        };
        for (key, var) in [
            ("repository", "GITHUB_REPOSITORY"),
            ("workflow", "GITHUB_WORKFLOW"),
            ("job", "GITHUB_JOB"),
            ("run_id", "GITHUB_RUN_ID"),
            ("run_attempt", "GITHUB_RUN_ATTEMPT"),
            ("event", "GITHUB_EVENT_NAME"),
            ("base_ref", "GITHUB_BASE_REF"),
            ("runner_name", "RUNNER_NAME"),
            ("actor", "GITHUB_ACTOR"),
        ] {
            if let Some(v) = get(var) {
                info.metadata.insert(key.into(), v);
            }
        }
        if let (Some(server), Some(repo), Some(run)) = (
            get("GITHUB_SERVER_URL"),
            get("GITHUB_REPOSITORY"),
            get("GITHUB_RUN_ID"),
        ) {
            info.metadata.insert(
                "run_url".into(),
                format!("{server}/{repo}/actions/runs/{run}"),
            );
        }
    } else if get("GITLAB_CI").as_deref() == Some("true") {
        info.metadata.insert("provider".into(), "gitlab_ci".into());
        info.commit = get("CI_COMMIT_SHA");
        info.branch = get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
            .or_else(|| get("CI_COMMIT_BRANCH"))
            .or_else(|| get("CI_COMMIT_REF_NAME"));
        info.testbed = get("CI_RUNNER_DESCRIPTION").map(|d| format!("gitlab-{d}"));
        for (key, var) in [
            ("repository", "CI_PROJECT_PATH"),
            ("pipeline_id", "CI_PIPELINE_ID"),
            ("job", "CI_JOB_NAME"),
            ("job_id", "CI_JOB_ID"),
            ("run_url", "CI_JOB_URL"),
            ("merge_request", "CI_MERGE_REQUEST_IID"),
            ("base_ref", "CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            ("runner_tags", "CI_RUNNER_TAGS"),
        ] {
            if let Some(v) = get(var) {
                info.metadata.insert(key.into(), v);
            }
        }
    } else if get("CI").is_some() {
        info.metadata.insert("provider".into(), "ci".into());
    }
    info
}

/// One source of context values, most important first in [`resolve`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Partial {
    pub commit: Option<String>,
    pub branch: Option<String>,
    pub testbed: Option<String>,
    pub environment: Option<String>,
    pub timestamp: Option<Timestamp>,
    /// Environment facts; merged field by field, first source first.
    pub fingerprint: Option<Fingerprint>,
}

/// Words harnesses write for "no commit": pytest-benchmark's
/// `unversioned` (outside a git or hg checkout), `unknown`, `none`,
/// `null`, `n/a`, a bare `HEAD` and pytest-benchmark's `(unknown)`.
const NO_VALUE: &[&str] = &[
    "unversioned",
    "unknown",
    "(unknown)",
    "none",
    "null",
    "nil",
    "n/a",
    "head",
];

/// Whether a commit a source states is a placeholder rather than a
/// commit: empty or white space, one of the words harnesses write when
/// they know none (any case), or all zeros (`0000000…`, git's null SHA,
/// what some CI templates substitute).
pub fn is_placeholder_commit(commit: &str) -> bool {
    let c = commit.trim();
    c.is_empty()
        || NO_VALUE.iter().any(|w| c.eq_ignore_ascii_case(w))
        || c.bytes().all(|b| b == b'0')
}

/// Whether a branch a source states is a placeholder: empty, `HEAD` (git's
/// answer on a detached head), `(detached)`, `(HEAD detached at …)`,
/// `detached` or one of the words of [`is_placeholder_commit`].
pub fn is_placeholder_branch(branch: &str) -> bool {
    let b = branch.trim();
    let lower = b.to_ascii_lowercase();
    b.is_empty()
        || NO_VALUE.contains(&lower.as_str())
        || lower == "detached"
        || lower == "(detached)"
        || lower.starts_with("(head detached")
        || lower == "(no branch)"
}

/// Merges context sources, first value wins, placeholders counting as no
/// value (so a CI variable or git beats a harness's `unversioned`; a
/// flag's real value beats everything); `now` when no source has a
/// timestamp. Fingerprints merge field by field, earlier sources winning
/// (a harness's CPU over the local reading).
pub fn resolve(sources: &[Partial], ci: BTreeMap<String, String>, now: Timestamp) -> RunContext {
    fn pick<T: Clone>(sources: &[Partial], f: impl Fn(&Partial) -> Option<T>) -> Option<T> {
        sources.iter().find_map(f)
    }
    let fingerprint = sources
        .iter()
        .filter_map(|s| s.fingerprint.as_ref())
        .fold(Fingerprint::default(), |merged, next| merged.or(next));
    RunContext {
        commit: pick(sources, |s| {
            s.commit.clone().filter(|c| !is_placeholder_commit(c))
        }),
        branch: pick(sources, |s| {
            s.branch.clone().filter(|b| !is_placeholder_branch(b))
        }),
        testbed: pick(sources, |s| s.testbed.clone()),
        environment: pick(sources, |s| s.environment.clone()),
        timestamp: pick(sources, |s| s.timestamp).unwrap_or(now),
        ci,
        fingerprint: (!fingerprint.is_empty()).then(|| Box::new(fingerprint)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn github_pull_request_uses_head_branch() {
        let info = from_ci(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "abc123"),
            ("GITHUB_REF_NAME", "42/merge"),
            ("GITHUB_HEAD_REF", "feature/x"),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("GITHUB_SERVER_URL", "https://github.example"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "7"),
        ]));
        assert_eq!(info.commit.as_deref(), Some("abc123"));
        assert_eq!(info.branch.as_deref(), Some("feature/x"));
        assert_eq!(info.testbed.as_deref(), Some("github-linux-x64"));
        assert_eq!(
            info.metadata["run_url"],
            "https://github.example/o/r/actions/runs/7"
        );
    }

    #[test]
    fn github_push_uses_ref_name() {
        let info = from_ci(&env(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_HEAD_REF", ""),
        ]));
        assert_eq!(info.branch.as_deref(), Some("main"));
    }

    #[test]
    fn gitlab_merge_request() {
        let info = from_ci(&env(&[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", "def"),
            ("CI_COMMIT_REF_NAME", "mr-branch-ref"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "topic"),
            ("CI_RUNNER_DESCRIPTION", "linux-large"),
            ("CI_PIPELINE_ID", "99"),
        ]));
        assert_eq!(info.branch.as_deref(), Some("topic"));
        assert_eq!(info.testbed.as_deref(), Some("gitlab-linux-large"));
        assert_eq!(info.metadata["pipeline_id"], "99");
        assert_eq!(info.metadata["provider"], "gitlab_ci");
    }

    #[test]
    fn no_ci() {
        assert_eq!(from_ci(&env(&[])), CiInfo::default());
    }

    #[test]
    fn precedence_first_source_wins() {
        let now = Timestamp::UNIX_EPOCH;
        let flags = Partial {
            branch: Some("flag".into()),
            ..Default::default()
        };
        let file = Partial {
            branch: Some("file".into()),
            commit: Some("c1".into()),
            ..Default::default()
        };
        let git = Partial {
            commit: Some("c2".into()),
            testbed: Some("host".into()),
            ..Default::default()
        };
        let ctx = resolve(&[flags, file, git], BTreeMap::new(), now);
        assert_eq!(ctx.branch.as_deref(), Some("flag"));
        assert_eq!(ctx.commit.as_deref(), Some("c1"));
        assert_eq!(ctx.testbed.as_deref(), Some("host"));
        assert_eq!(ctx.timestamp, now);
        assert_eq!(ctx.fingerprint, None);
    }

    #[test]
    fn placeholders_are_no_commit() {
        for p in [
            "unversioned",
            "UNVERSIONED",
            "",
            "  ",
            "HEAD",
            "head",
            "0000000",
            "0000000000000000000000000000000000000000",
            "unknown",
            "None",
            "null",
            "(unknown)",
        ] {
            assert!(is_placeholder_commit(p), "{p:?}");
        }
        for real in [
            "a1b2c3d",
            "9d55ab0434c9088746ae2d134702d782bf088644",
            "v1.2.0",
            "00000001",
        ] {
            assert!(!is_placeholder_commit(real), "{real:?}");
        }
        for p in [
            "HEAD",
            "(detached)",
            "",
            "(HEAD detached at 1a2b3c4)",
            "(unknown)",
            "none",
        ] {
            assert!(is_placeholder_branch(p), "{p:?}");
        }
        for real in ["main", "feature/head-start", "headless", "unknown-feature"] {
            assert!(!is_placeholder_branch(real), "{real:?}");
        }
    }

    /// The case that broke merge-base baselines in GitHub Actions:
    /// pytest-benchmark's `unversioned` beat `GITHUB_SHA`.
    #[test]
    fn ci_variables_beat_a_harness_placeholder_and_a_flag_beats_both() {
        let now = Timestamp::UNIX_EPOCH;
        let file = Partial {
            commit: Some("unversioned".into()),
            branch: Some("(detached)".into()),
            ..Default::default()
        };
        let ci = Partial {
            commit: Some("abc123".into()),
            branch: Some("main".into()),
            ..Default::default()
        };
        let git = Partial {
            commit: Some("gitsha".into()),
            branch: Some("gitbranch".into()),
            ..Default::default()
        };
        let ctx = resolve(
            &[Partial::default(), file.clone(), ci, git.clone()],
            BTreeMap::new(),
            now,
        );
        assert_eq!(ctx.commit.as_deref(), Some("abc123"));
        assert_eq!(ctx.branch.as_deref(), Some("main"));
        // Without CI variables, git wins over the placeholder.
        let ctx = resolve(
            &[Partial::default(), file.clone(), git.clone()],
            BTreeMap::new(),
            now,
        );
        assert_eq!(ctx.commit.as_deref(), Some("gitsha"));
        assert_eq!(ctx.branch.as_deref(), Some("gitbranch"));
        let flags = Partial {
            commit: Some("X".into()),
            ..Default::default()
        };
        let ctx = resolve(&[flags, file, git], BTreeMap::new(), now);
        assert_eq!(ctx.commit.as_deref(), Some("X"));
        // Nothing but placeholders: no commit at all.
        let only = Partial {
            commit: Some("0000000000000000000000000000000000000000".into()),
            ..Default::default()
        };
        assert_eq!(resolve(&[only], BTreeMap::new(), now).commit, None);
    }

    #[test]
    fn fingerprints_merge_with_earlier_sources_winning() {
        let harness = Partial {
            fingerprint: Some(Fingerprint {
                cpu: Some("Apple M2".into()),
                ..Fingerprint::default()
            }),
            ..Default::default()
        };
        let local = Partial {
            fingerprint: Some(Fingerprint {
                cpu: Some("AMD EPYC".into()),
                kernel: Some("6.1.0".into()),
                ..Fingerprint::default()
            }),
            ..Default::default()
        };
        let fp = resolve(&[harness, local], BTreeMap::new(), Timestamp::UNIX_EPOCH)
            .fingerprint
            .expect("a fingerprint");
        assert_eq!(fp.cpu.as_deref(), Some("Apple M2"));
        assert_eq!(fp.kernel.as_deref(), Some("6.1.0"));
    }
}
