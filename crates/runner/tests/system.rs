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

/// A grandchild that holds ~20 MiB in a shell variable while it sleeps
/// half a second, after a busy loop: sampling sees both.
const HOLD_AND_BURN: &str = r#"sh -c 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done; x=$(head -c 20000000 /dev/zero | tr "\0" a); sleep 0.5; echo ${#x} > /dev/null'; true"#;

#[test]
fn sampling_sees_the_memory_and_cpu_of_grandchildren() {
    let mut inv = shell(HOLD_AND_BURN);
    inv.sample_interval = Some(Duration::from_millis(20));
    let m = SystemExecutor::default().execute(&inv).expect("runs");
    assert_eq!(m.exit, Exit::Code(0));
    assert!(!m.timeline.is_empty(), "no samples");
    let peak = m.timeline.iter().map(|s| s.rss).max().unwrap_or(0);
    assert!(peak >= 20_000_000, "sampled RSS peaked at {peak} bytes");
    assert!(
        sloe_runner::sample::burst(&m.timeline) > 0.0,
        "{:?}",
        m.timeline
    );
    // Samples come in time order, and none claims more than the machine has.
    assert!(m.timeline.windows(2).all(|w| w[0].at <= w[1].at));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    assert!(
        m.timeline
            .iter()
            .all(|s| s.cpu_percent <= cores * 100.0 * 1.5),
        "{:?}",
        m.timeline
    );
}

#[test]
fn without_an_interval_nothing_is_sampled() {
    let m = SystemExecutor::default()
        .execute(&argv(&["true"]))
        .expect("runs");
    assert!(m.timeline.is_empty());
}

#[test]
fn live_samples_arrive_as_they_are_taken() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut inv = shell("sleep 0.3");
    inv.sample_interval = Some(Duration::from_millis(20));
    let m = SystemExecutor::with_live_samples(tx)
        .execute(&inv)
        .expect("runs");
    let live: Vec<_> = rx.try_iter().collect();
    assert_eq!(live, m.timeline);
}

#[test]
fn the_shell_is_calibrated_once_per_executor() {
    let mut exec = SystemExecutor::default();
    let first = exec.shell_overhead().expect("calibrates");
    assert!(first.wall > Duration::ZERO);
    // A second calibration of 50 real executions would not land on the
    // same nanosecond: equal means the first one was kept.
    assert_eq!(exec.shell_overhead().expect("kept"), first);
}

#[test]
fn a_failure_keeps_the_tail_of_its_stderr_and_a_success_none() {
    let mut exec = SystemExecutor::default();
    let failed = exec
        .execute(&shell(
            "i=1; while [ $i -le 12 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 5",
        ))
        .expect("runs");
    assert_eq!(failed.exit, Exit::Code(5));
    let tail = failed.stderr_tail.expect("a failure keeps its stderr tail");
    let expected: Vec<String> = (3..=12).map(|i| format!("line {i}")).collect();
    assert_eq!(tail.lines().collect::<Vec<_>>(), expected);

    let ok = exec.execute(&shell("echo fine >&2")).expect("runs");
    assert_eq!(ok.exit, Exit::Code(0));
    assert_eq!(ok.stderr_tail, None);

    // Shown output is not kept: it went to the terminal already.
    let mut inv = shell("echo shown >&2; exit 1");
    inv.output = Output::Inherit;
    let shown = exec.execute(&inv).expect("runs");
    assert_eq!(shown.stderr_tail, None);
}

#[test]
fn a_background_process_holding_stderr_does_not_stall_a_failure() {
    // The failed command leaves a sleeper behind that keeps the stderr pipe
    // open: the tail read so far is taken after a short wait, not 5 s.
    let start = std::time::Instant::now();
    let m = SystemExecutor::default()
        .execute(&shell("echo before >&2; sleep 5 & exit 2"))
        .expect("runs");
    assert_eq!(m.exit, Exit::Code(2));
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    let _ = m.stderr_tail;
}
