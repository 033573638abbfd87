//! Issue 14, items 1 and 8, end to end: every printing command ends quietly
//! on a closed stdout pipe (killed by SIGPIPE, which shells report as 141,
//! never a panic, never half a record), and the conventions of a CLI:
//! shell completions, a man page, `--color`, `--quiet`, `--version` with
//! the commit.

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use serde_json::Value;

mod common;

use common::Project;

/// The signal a write to a closed pipe raises; shells report the process
/// killed by it as exit status 128 + 13 = 141.
const SIGPIPE: i32 = 13;

/// Budgets the runs below pass, and one SLO over the events below.
const CONFIG: &str = r#"
[[budget]]
benchmark = "*"
measure = "wall_time"
max = "10s"

[[slo]]
name = "api-availability"
service = "api"
objective = "99%"
window = "30d"
sli = { events = "api" }
"#;

/// `sloe` as a plain process (its stdout must be handed to a reader of our
/// own), with the environment `common::sloe` gives.
fn sloe_process(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("sloe"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("SLOE_ENV")
        .env_remove("SLOE_CONFIG")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// How the reader at the other end of sloe's stdout behaves.
#[derive(Debug, Clone, Copy)]
enum Reader {
    /// Gone before sloe writes anything: its first write fails.
    Closed,
    /// `head -c1`: takes one byte, then closes.
    OneByte,
}

/// Runs `args` in `dir` into `reader`; returns how it ended and its stderr,
/// having checked that nothing panicked and that the end is the one chosen:
/// killed by SIGPIPE once a write met the closed pipe, or exit 0 when all
/// the output was written before the reader left.
fn into_closed_pipe(dir: &Path, args: &[&str], reader: Reader) -> (ExitStatus, String) {
    let mut cmd = sloe_process(dir, args);
    if let Reader::Closed = reader {
        // Closed before the spawn, so no write can beat the close.
        let (read_end, write_end) = std::io::pipe().expect("pipe");
        drop(read_end);
        cmd.stdout(write_end);
    }
    let mut child = cmd.spawn().expect("spawn sloe");
    if let Reader::OneByte = reader {
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let mut first = [0u8; 1];
        let n = stdout.read(&mut first).expect("read stdout");
        assert_eq!(n, 1, "`sloe {}` printed nothing", args.join(" "));
    }
    let out = child.wait_with_output().expect("wait for sloe");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let what = format!(
        "`sloe {}` ({reader:?}): {:?}\n{stderr}",
        args.join(" "),
        out.status
    );
    for panic_text in [
        "panicked",
        "Broken pipe",
        "RUST_BACKTRACE",
        "failed printing",
    ] {
        assert!(!stderr.contains(panic_text), "{what}");
    }
    match reader {
        Reader::Closed => assert_eq!(out.status.signal(), Some(SIGPIPE), "{what}"),
        Reader::OneByte => assert!(
            out.status.signal() == Some(SIGPIPE) || out.status.code() == Some(0),
            "{what}"
        ),
    }
    (out.status, stderr)
}

/// Output of `args` in `dir`, read whole; the command must succeed.
fn stdout_of(dir: &Path, args: &[&str]) -> String {
    let out = sloe_process(dir, args).output().expect("run sloe");
    assert!(
        out.status.success(),
        "`sloe {}`: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The runs the store holds, newest first.
fn runs(dir: &Path) -> Vec<Value> {
    serde_json::from_str(&stdout_of(
        dir,
        &["history", "--format", "json", "--limit", "1000"],
    ))
    .expect("history is JSON")
}

/// The results file of one run of two benchmarks, `parse` and `render`.
fn results(project: &Project, commit: &str) -> String {
    let doc = serde_json::json!({
        "context": {"branch": "main", "commit": commit, "testbed": "tb"},
        "results": [
            {"benchmark": "parse", "measure": "wall_time", "unit": "ms", "values": [8.0, 8.1, 7.9]},
            {"benchmark": "render", "measure": "wall_time", "unit": "ms", "values": [3.0, 3.1, 2.9]},
        ]
    });
    let name = format!("run-{commit}.json");
    project.write(&name, &doc.to_string());
    name
}

/// Checks that the newest run is `commit` and holds both benchmarks whole.
fn newest_run_is_whole(dir: &Path, commit: &str) {
    let runs = runs(dir);
    assert_eq!(runs[0]["commit"], commit, "{runs:?}");
    let id = runs[0]["id"].clone();
    for bench in ["parse", "render"] {
        let values: Vec<Value> = serde_json::from_str(&stdout_of(
            dir,
            &["history", bench, "--format", "json", "--limit", "1000"],
        ))
        .expect("history is JSON");
        assert!(
            values.iter().any(|v| v["run_id"] == id),
            "{bench} is missing from run {id}: {values:?}"
        );
    }
}

/// A project with 12 recorded runs and a file of SLI events.
fn project() -> Project {
    let p = Project::new(CONFIG);
    for i in 0..12 {
        let file = results(&p, &format!("base{i}"));
        stdout_of(p.path(), &["ingest", &file]);
    }
    p.write(
        "events.jsonl",
        &common::minute_events("2026-11-23T12:00:00Z", 120, |m| u64::from(m % 7 == 0)),
    );
    p
}

/// Every command that prints to standard output and changes nothing, with
/// its arguments. (`sloe monitor` and `sloe run --stage` hand stdout to the
/// command they run, so what a closed pipe does there is that command's.)
fn readers(dir: &Path) -> Vec<Vec<String>> {
    let rules = common::slo_fixture("sloth/examples/k8s-getting-started.yml");
    let rules = rules.to_str().expect("UTF-8 path");
    let report_dir = dir.join("out");
    let report_dir = report_dir.to_str().expect("UTF-8 path");
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["--help"],
        vec!["--version"],
        vec!["help", "run"],
        vec!["config", "schema"],
        vec!["history"],
        vec!["history", "--format", "json"],
        vec!["history", "parse"],
        vec!["history", "parse", "--format", "json"],
        vec!["history", "--changes"],
        vec!["budget", "suggest"],
        vec!["ingest", "--dry-run", "run-base0.json"],
        vec!["check"],
        vec!["check", "--verbose"],
        vec!["check", "--format", "json"],
        vec!["report", "--out", report_dir],
        vec!["baseline", "show"],
        vec!["baseline", "show", "--format", "json"],
        vec!["slo", "validate", "sloe.toml"],
        vec!["slo", "validate", "--format", "json", "sloe.toml"],
        vec!["slo", "rules", rules],
        vec!["slo", "rules"],
        vec![
            "slo",
            "status",
            "--at",
            "2026-11-23T12:00:00Z",
            "--events",
            "events.jsonl",
        ],
        vec![
            "slo",
            "status",
            "--format",
            "json",
            "--at",
            "2026-11-23T12:00:00Z",
            "--events",
            "events.jsonl",
        ],
        vec!["man"],
    ];
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        commands.push(vec!["completions", shell]);
    }
    commands
        .into_iter()
        .map(|c| c.into_iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn no_printing_command_panics_on_a_closed_pipe() {
    let p = project();
    let before = runs(p.path());
    for args in readers(p.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        for reader in [Reader::Closed, Reader::OneByte] {
            into_closed_pipe(p.path(), &args, reader);
        }
    }
    assert_eq!(
        runs(p.path()),
        before,
        "a command that reads stored something"
    );
}

#[test]
fn recording_commands_store_whole_runs_into_a_closed_pipe() {
    let p = project();
    let before = runs(p.path()).len();

    let file = results(&p, "closed");
    into_closed_pipe(p.path(), &["ingest", &file], Reader::Closed);
    newest_run_is_whole(p.path(), "closed");
    let file = results(&p, "one-byte");
    into_closed_pipe(p.path(), &["ingest", &file], Reader::OneByte);
    newest_run_is_whole(p.path(), "one-byte");

    // `sloe run` records, then prints the check of what it recorded.
    for (reader, name) in [(Reader::Closed, "t-closed"), (Reader::OneByte, "t-one")] {
        into_closed_pipe(
            p.path(),
            &[
                "run", "--runs", "2", "--warmup", "0", "--name", name, "--", "true",
            ],
            reader,
        );
        let values: Vec<Value> =
            serde_json::from_str(&stdout_of(p.path(), &["history", name, "--format", "json"]))
                .expect("history is JSON");
        // One run, every measure of both timed executions.
        let run = &values[0]["run_id"];
        assert!(values.iter().all(|v| &v["run_id"] == run), "{values:?}");
        assert!(
            values.iter().any(|v| v["measure"] == "wall_time"),
            "{values:?}"
        );
        assert!(
            values
                .iter()
                .all(|v| v["values"].as_array().map(Vec::len) == Some(2)),
            "{values:?}"
        );
    }
    assert_eq!(runs(p.path()).len(), before + 4);

    into_closed_pipe(p.path(), &["baseline", "set"], Reader::Closed);
    let pinned = stdout_of(p.path(), &["baseline", "show"]);
    assert!(pinned.contains("pinned"), "{pinned}");
    into_closed_pipe(p.path(), &["baseline", "clear"], Reader::Closed);
    let unpinned = stdout_of(p.path(), &["baseline", "show"]);
    assert_ne!(unpinned, pinned);
    // Nothing is pinned now; saying so prints too.
    into_closed_pipe(p.path(), &["baseline", "clear"], Reader::OneByte);

    // All of the events went in, in one transaction: the same file again
    // is a duplicate.
    into_closed_pipe(p.path(), &["slo", "ingest", "events.jsonl"], Reader::Closed);
    let again = stdout_of(p.path(), &["slo", "ingest", "events.jsonl"]);
    assert!(again.contains("already ingested"), "{again}");
    into_closed_pipe(
        p.path(),
        &["slo", "ingest", "--force", "events.jsonl"],
        Reader::OneByte,
    );

    let empty = tempfile::tempdir().expect("tempdir");
    into_closed_pipe(empty.path(), &["init"], Reader::Closed);
    stdout_of(empty.path(), &["config", "schema"]);
    let config = std::fs::read_to_string(empty.path().join("sloe.toml")).expect("init wrote");
    assert!(config.contains("[[budget]]"), "{config}");
    let again = tempfile::tempdir().expect("tempdir");
    into_closed_pipe(again.path(), &["init"], Reader::OneByte);
    assert!(again.path().join("sloe.toml").exists());
}

#[test]
fn completions_for_every_shell_name_sloe() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = common::sloe()
            .args(["completions", shell])
            .output()
            .expect("run");
        assert!(out.status.success(), "{shell}");
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(script.contains("sloe"), "{shell}: {script}");
        // Subcommands and their flags are completed, not just the name.
        assert!(script.contains("baseline"), "{shell}");
        assert!(script.contains("dry-run"), "{shell}");
    }
    let bash = common::sloe()
        .args(["completions", "bash"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&bash.stdout).contains("complete -F _sloe"));
    common::sloe()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("invalid value 'tcsh'"));
}

#[test]
fn the_man_page_is_roff_with_every_command() {
    let out = common::sloe().arg("man").output().expect("run");
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.lines().any(|l| l.starts_with(".TH sloe 1")),
        "no .TH line: {page}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "{section}: {page}");
    }
    for command in [
        "sloe\\-check",
        "sloe\\-completions",
        "sloe\\-man",
        "sloe\\-slo",
    ] {
        assert!(page.contains(command), "{command}: {page}");
    }
    assert!(page.contains("\\-\\-color"), "{page}");
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = common::sloe().arg("--version").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.trim_end();
    let rest = line.strip_prefix("sloe ").expect("starts with the name");
    let (version, commit) = match rest.split_once(' ') {
        Some((v, c)) => (v, Some(c)),
        None => (rest, None),
    };
    let parts: Vec<&str> = version.split('.').collect();
    assert_eq!(parts.len(), 3, "{line}");
    assert!(
        parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
        "{line}"
    );
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    if let Some(commit) = commit {
        let sha = commit
            .strip_prefix('(')
            .and_then(|c| c.strip_suffix(')'))
            .unwrap_or_else(|| panic!("commit in parentheses: {line}"));
        assert!(
            sha.len() >= 7 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{line}"
        );
    }
    // Built in a git checkout that tracks this crate (as the tests are),
    // the commit is there and is HEAD's (a commit made since the build is
    // the build's to catch up on, and cargo test builds again).
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    if git(&["ls-files", "--error-unmatch", "build.rs"]).is_some()
        && let Some(head) = git(&["rev-parse", "HEAD"])
    {
        let sha = commit.expect("a git checkout names its commit");
        let sha = sha.trim_matches(['(', ')']);
        assert!(
            String::from_utf8_lossy(&head.stdout).starts_with(sha),
            "{line} is not HEAD"
        );
    }
}

#[test]
fn color_follows_the_flag_then_no_color() {
    let p = project();
    let check = |args: &[&str], no_color: bool| {
        let mut cmd = p.sloe();
        if !no_color {
            cmd.env_remove("NO_COLOR");
        }
        let out = cmd.args(args).output().expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).contains('\u{1b}')
    };
    // Not a terminal: plain unless asked.
    assert!(!check(&["check"], false));
    assert!(check(&["check", "--color", "always"], false));
    // The explicit flag wins over NO_COLOR, as in cargo.
    assert!(check(&["check", "--color=always"], true));
    assert!(!check(&["--color", "never", "check"], false));
    assert!(!check(&["check", "--color", "auto"], true));
    p.sloe()
        .args(["check", "--color", "sometimes"])
        .assert()
        .code(2);
}

#[test]
fn quiet_keeps_results_and_errors_and_drops_progress_and_notes() {
    let p = project();
    let args = [
        "run", "--runs", "2", "--warmup", "1", "--name", "t", "--", "true",
    ];
    let loud = p.sloe().args(args).output().expect("run");
    assert!(loud.status.success());
    let loud_err = String::from_utf8_lossy(&loud.stderr);
    assert!(loud_err.contains("warm-up run"), "{loud_err}");
    assert!(loud_err.contains("recorded run"), "{loud_err}");

    let quiet = p.sloe().arg("--quiet").args(args).output().expect("run");
    assert!(quiet.status.success());
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    // The result still prints, the same as without --quiet.
    let result = String::from_utf8_lossy(&quiet.stdout);
    assert!(result.contains('t'), "{result}");
    assert_eq!(
        result.lines().count(),
        String::from_utf8_lossy(&loud.stdout).lines().count()
    );

    // A note: an SLO whose SLI has no PromQL query gets no rules.
    let note = p.sloe().args(["slo", "rules"]).output().expect("run");
    assert!(
        String::from_utf8_lossy(&note.stderr).contains("note: no rules for SLO"),
        "{}",
        String::from_utf8_lossy(&note.stderr)
    );
    let quiet = p.sloe().args(["slo", "rules", "-q"]).output().expect("run");
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "");
    assert_eq!(quiet.stdout, note.stdout);

    // Errors still print.
    p.sloe()
        .args(["--quiet", "ingest", "missing.json"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("error: failed to"));
}
