//! The real executor on small real commands. Nothing here asserts on how
//! long something took, only on what was observed.

use std::time::Duration;

use sloe_runner::{Executor, Exit, Invocation, Output, Program, RunError, SystemExecutor};

fn argv(args: &[&str]) -> Invocation {
    Invocation::new(Program::Argv(args.iter().map(|s| s.to_string()).collect()))
}

fn shell(line: &str) -> Invocation {
    Invocation::new(Program::Shell(line.to_owned()))
}

#[test]
fn exit_codes_are_reported() {
    let mut exec = SystemExecutor::default();
    let ok = exec.execute(&argv(&["true"])).expect("runs");
    assert_eq!(ok.exit, Exit::Code(0));
    assert!(ok.peak_rss > 0);
    let failed = exec.execute(&shell("exit 3")).expect("runs");
    assert_eq!(failed.exit, Exit::Code(3));
}

#[test]
fn a_missing_program_is_not_found() {
    let e = SystemExecutor::default()
        .execute(&argv(&["sloe-no-such-program-xyz"]))
        .expect_err("missing");
    assert!(matches!(e, RunError::NotFound { .. }), "{e:?}");
    assert!(e.to_string().contains("command not found"), "{e}");
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("survived");
    // The grandchild would write the marker after 1.5 s if it outlived the kill.
    let line = format!("(sleep 1.5; touch {}) & sleep 30", marker.display());
    let mut inv = shell(&line);
    inv.timeout = Some(Duration::from_millis(200));
    let e = SystemExecutor::default()
        .execute(&inv)
        .expect_err("times out");
    assert!(matches!(e, RunError::TimedOut { .. }), "{e:?}");
    std::thread::sleep(Duration::from_millis(2000));
    assert!(!marker.exists(), "a grandchild survived the timeout");
}

#[test]
fn memory_of_grandchildren_counts() {
    // sh -> sh -> (head | tail): tail holds 64 MiB of newline-free input.
    let inv = shell("sh -c 'head -c 64M /dev/zero | tail > /dev/null'; true");
    let m = SystemExecutor::default().execute(&inv).expect("runs");
    assert_eq!(m.exit, Exit::Code(0));
    assert!(m.peak_rss >= 64 << 20, "peak RSS {} bytes", m.peak_rss);
}

#[test]
fn io_bytes_and_captured_output() {
    let mut inv = shell("head -c 100000 /dev/zero | wc -c");
    inv.output = Output::Capture;
    let m = SystemExecutor::default().execute(&inv).expect("runs");
    assert_eq!(
        String::from_utf8_lossy(m.stdout.as_deref().unwrap_or_default()).trim(),
        "100000"
    );
    let io = m.io.expect("/proc/<pid>/io is readable on Linux");
    // wc read 100,000 bytes from the pipe, head wrote them into it.
    assert!(io.read >= 100_000 && io.write >= 100_000, "{io:?}");
}
