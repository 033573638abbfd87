//! Run context from CI variables: GitHub Actions, GitLab CI.
//!
//! The caller passes a lookup for environment variables, so this stays pure
//! and testable. Precedence (flags, then the results file, then CI
//! variables, then `git`) is applied by [`resolve`].

use std::collections::BTreeMap;

use jiff::Timestamp;

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
}

/// Merges context sources, first non-empty value wins; `now` when no
/// source has a timestamp.
pub fn resolve(sources: &[Partial], ci: BTreeMap<String, String>, now: Timestamp) -> RunContext {
    fn pick<T: Clone>(sources: &[Partial], f: impl Fn(&Partial) -> Option<T>) -> Option<T> {
        sources.iter().find_map(f)
    }
    RunContext {
        commit: pick(sources, |s| s.commit.clone()),
        branch: pick(sources, |s| s.branch.clone()),
        testbed: pick(sources, |s| s.testbed.clone()),
        environment: pick(sources, |s| s.environment.clone()),
        timestamp: pick(sources, |s| s.timestamp).unwrap_or(now),
        ci,
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
    }
}
