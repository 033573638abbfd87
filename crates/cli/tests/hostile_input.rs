//! End-to-end: hostile input stays cheap and is refused with where and why
//! (issue 15, item 8). Real `sloe` processes in a temporary project.

use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

mod common;

use common::Project;

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(p: &Project, args: &[&str]) -> (i32, String, String) {
    let out = p.sloe().args(args).output().expect("run sloe");
    let (stdout, stderr) = text(&out);
    (out.status.code().expect("exit code"), stdout, stderr)
}

/// sloe's results JSON with `body` as its `results` array and `context`.
fn results(context: &str, body: &str) -> String {
    format!(r#"{{"context": {{{context}}}, "results": [{body}]}}"#)
}

const PARSE: &str =
    r#"{"benchmark": "parse", "measure": "wall_time", "unit": "ms", "values": [1.0, 2.0, 3.0]}"#;

/// `(exit code, stderr, seconds)` of loading `name` as the config.
fn load_config(p: &Project, name: &str) -> (i32, String, f64) {
    let start = Instant::now();
    let (code, _, stderr) = run(p, &["--config", name, "history"]);
    (code, stderr, start.elapsed().as_secs_f64())
}

#[test]
fn a_yaml_config_of_nested_brackets_is_refused_before_parsing() {
    // 200 KB of brackets took 53 s in the YAML loader (quadratic in depth).
    let p = Project::new("");
    let deep = format!("project:\n  name: {}\n", "[".repeat(200_000));
    p.write("sloe.yaml", &deep);
    let (code, stderr, secs) = load_config(&p, "sloe.yaml");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read config sloe.yaml:2:")
            && stderr.contains("deeper than the limit of 64 levels"),
        "{stderr}"
    );
    assert!(secs < 5.0, "took {secs:.1} s");
    // The same text under a TOML name: TOML fails fast, and the check for
    // "this looks like YAML" must not hand it to the YAML loader.
    p.write("deep.toml", &deep);
    let (code, stderr, secs) = load_config(&p, "deep.toml");
    assert_eq!(code, 2, "{stderr}");
    assert!(secs < 5.0, "took {secs:.1} s: {stderr}");
}

#[test]
fn deep_block_nesting_in_yaml_is_refused_with_its_line() {
    let p = Project::new("");
    let deep: String = (0..200)
        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
        .collect();
    p.write("sloe.yaml", &format!("project:\n  name: x\nenv:\n{deep}"));
    let (code, stderr, secs) = load_config(&p, "sloe.yaml");
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read config sloe.yaml:68:") && stderr.contains("limit of 64 levels"),
        "{stderr}"
    );
    assert!(secs < 5.0, "took {secs:.1} s");
}

#[test]
fn an_slo_spec_of_nested_brackets_is_refused_before_parsing() {
    let p = Project::new("");
    let spec = format!(
        "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: {}\n",
        "{".repeat(200_000)
    );
    p.write("deep.yaml", &spec);
    let start = Instant::now();
    let (code, _, stderr) = run(&p, &["slo", "validate", "deep.yaml"]);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("deep.yaml:4:") && stderr.contains("limit of 64 levels"),
        "{stderr}"
    );
    assert!(secs < 5.0, "took {secs:.1} s");
}

#[test]
fn a_config_over_one_mib_is_refused_naming_the_limit() {
    let p = Project::new("");
    let big = format!("# {}\n[project]\nname = \"x\"\n", "x".repeat(2 << 20));
    p.write("sloe.toml", &big);
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read config") && stderr.contains("sloe.toml") && stderr.contains("1 MiB"),
        "{stderr}"
    );
}

#[test]
fn a_byte_order_mark_is_accepted_in_a_config_and_a_results_file() {
    let p = Project::new("\u{feff}[project]\nname = \"bom\"\ntestbed = \"tb\"\n");
    p.write("sloe.yaml", "\u{feff}project:\n  name: bom\n");
    let (code, _, stderr) = run(&p, &["--config", "sloe.yaml", "history"]);
    assert_eq!(code, 0, "{stderr}");
    p.write(
        "r.json",
        &format!("\u{feff}{}", results(r#""branch": "main""#, PARSE)),
    );
    let (code, stdout, stderr) = run(&p, &["ingest", "r.json"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    // A large file, read as a stream after detection on its head.
    let rows: Vec<String> = (0..40_000)
        .map(|i| {
            format!(
                r#"<testcase name="t{i}" classname="c" time="0.{:03}"/>"#,
                i % 1000
            )
        })
        .collect();
    let xml = format!(
        "\u{feff}<?xml version=\"1.0\"?>\n<testsuite name=\"s\" tests=\"40000\">\n{}\n</testsuite>\n",
        rows.join("\n")
    );
    assert!(xml.len() > 1 << 20);
    p.write("junit.xml", &xml);
    let (code, stdout, stderr) = run(&p, &["ingest", "junit.xml", "--branch", "main"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// Runs sloe with `args` in `p` and returns (exit code, stderr, peak RSS in
/// KiB), read by GNU time.
fn peak_rss(p: &Project, args: &[&str]) -> (i32, String, u64) {
    let sloe = env!("CARGO_BIN_EXE_sloe");
    let out = StdCommand::new("/usr/bin/time")
        .arg("-f")
        .arg("peak-rss-kib=%M")
        .arg(sloe)
        .args(args)
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env_remove("SLOE_STORE")
        .env_remove("SLOE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .expect("GNU time is at /usr/bin/time (apt-get install time)");
    let (_, stderr) = text(&out);
    let rss = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak-rss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in {stderr}"));
    (out.status.code().expect("exit code"), stderr, rss)
}

#[test]
fn a_large_file_of_spaces_is_refused_in_little_memory() {
    let p = Project::new("");
    let size = 256usize << 20;
    {
        use std::io::Write;
        let mut f = std::fs::File::create(p.path().join("spaces.json")).expect("create");
        let block = vec![b' '; 1 << 20];
        for _ in 0..(size >> 20) {
            f.write_all(&block).expect("write");
        }
    }
    let (code, stderr, rss) = peak_rss(&p, &["ingest", "spaces.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read spaces.json: the input holds only whitespace (268435456 bytes)"),
        "{stderr}"
    );
    // Reading it whole cost 256 MiB more; the binary alone is ~10 MiB.
    assert!(rss < 64 * 1024, "peak RSS {rss} KiB");
    // Non-whitespace that no format detects: refused after the head.
    let mut junk = vec![b'x'; 64 << 20];
    junk.extend_from_slice(PARSE.as_bytes());
    std::fs::write(p.path().join("junk.txt"), &junk).expect("write");
    let (code, stderr, rss) = peak_rss(&p, &["ingest", "junk.txt"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("detect its format"), "{stderr}");
    assert!(rss < 48 * 1024, "peak RSS {rss} KiB");
}

#[test]
fn empty_and_whitespace_only_results_files_are_named_as_such() {
    let p = Project::new("");
    p.write("empty.json", "");
    p.write("blank.json", " \n\t\n");
    for (file, format, want) in [
        ("empty.json", None, "read empty.json: the input is empty"),
        (
            "blank.json",
            None,
            "read blank.json: the input holds only whitespace (4 bytes)",
        ),
        (
            "empty.json",
            Some("json"),
            "read empty.json: the input is empty",
        ),
        (
            "blank.json",
            Some("gbench"),
            "the input holds only whitespace",
        ),
    ] {
        let mut args = vec!["ingest", file];
        if let Some(f) = format {
            args.extend(["--format", f]);
        }
        let (code, _, stderr) = run(&p, &args);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(want), "{file} {format:?}: {stderr}");
    }
    let (code, _, stderr) = run(&p, &["check", "blank.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("only whitespace"), "{stderr}");
}

#[test]
fn a_nul_in_a_name_is_refused_naming_the_field() {
    let p = Project::new("");
    let nul_bench =
        r#"{"benchmark": "pa\u0000rse", "measure": "wall_time", "unit": "ms", "values": [1.0]}"#;
    let nul_measure =
        r#"{"benchmark": "parse", "measure": "wall\u0000time", "unit": "ms", "values": [1.0]}"#;
    for (file, text, want) in [
        (
            "bench.json",
            results(r#""branch": "main""#, nul_bench),
            "field `benchmark`",
        ),
        (
            "measure.json",
            results(r#""branch": "main""#, nul_measure),
            "field `measure`",
        ),
        (
            "branch.json",
            results(r#""branch": "ma\u0000in""#, PARSE),
            "field `context.branch`",
        ),
        (
            "testbed.json",
            results(r#""testbed": "t\u0000b""#, PARSE),
            "field `context.testbed`",
        ),
    ] {
        p.write(file, &text);
        let (code, _, stderr) = run(&p, &["ingest", file]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains(&format!("read {file}: {want}")) && stderr.contains("NUL"),
            "{stderr}"
        );
    }
    assert!(!p.path().join(".sloe/history.db").exists() || count_runs(&p) == 0);
    // In the config: a benchmark's name, the testbed.
    let p = Project::new("[[benchmark]]\nname = \"a\\u0000b\"\ncommand = \"true\"\n");
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("NUL") && stderr.contains("sloe.toml"),
        "{stderr}"
    );
    let p = Project::new("[project]\ntestbed = \"t\\u0000b\"\n");
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("sloe.toml:2:") && stderr.contains("key `project.testbed`"),
        "{stderr}"
    );
}

/// Both backends refuse a NUL too (the store contract suite proves it for
/// the store alone); here through the CLI on PostgreSQL, where the driver
/// alone would have said only "invalid byte sequence".
#[test]
fn a_nul_in_a_name_is_refused_on_postgres() {
    let Some(db) = sloe_testkit::pg::Database::fresh("sloe_hostile") else {
        return;
    };
    let p = Project::new(&format!("[store]\nurl = \"{}\"\n", db.url()));
    let nul_bench =
        r#"{"benchmark": "pa\u0000rse", "measure": "wall_time", "unit": "ms", "values": [1.0]}"#;
    p.write("bench.json", &results(r#""branch": "main""#, nul_bench));
    let (code, _, stderr) = run(&p, &["ingest", "bench.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("field `benchmark`") && stderr.contains("NUL"),
        "{stderr}"
    );
    assert_eq!(count_runs(&p), 0);
}

fn count_runs(p: &Project) -> usize {
    let (code, stdout, stderr) = run(p, &["history", "--format", "json", "--limit", "1000"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    v.as_array().expect("array").len()
}

#[test]
fn a_number_that_overflows_names_the_field_and_the_value_as_written() {
    let p = Project::new("");
    let body =
        r#"{"benchmark": "parse", "measure": "wall_time", "unit": "ms", "values": [1.0, 1e999]}"#;
    p.write("inf.json", &results(r#""branch": "main""#, body));
    let (code, _, stderr) = run(&p, &["ingest", "inf.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read inf.json:1:")
            && stderr.contains("field `results[0].values[1]`")
            && stderr.contains("the number 1e999 is out of range"),
        "{stderr}"
    );
    let body =
        r#"{"benchmark": "parse", "measure": "wall_time", "unit": "ms", "value": -2.5E+400}"#;
    p.write("neg.json", &results("", body));
    let (code, _, stderr) = run(&p, &["ingest", "neg.json"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("field `results[0].value`") && stderr.contains("-2.5E+400"),
        "{stderr}"
    );
}

#[test]
fn a_timestamp_outside_the_store_range_names_the_file_and_field() {
    let p = Project::new("");
    for ts in ["2300-01-01T00:00:00Z", "1600-06-01T00:00:00Z"] {
        p.write(
            "far.json",
            &results(&format!(r#""branch": "main", "timestamp": "{ts}""#), PARSE),
        );
        let (code, _, stderr) = run(&p, &["ingest", "far.json"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(
            stderr.contains("read far.json: field `context.timestamp`")
                && stderr.contains("1677-09-21 to 2262-04-11"),
            "{stderr}"
        );
    }
    p.write("ok.json", &results(r#""branch": "main""#, PARSE));
    let (code, _, stderr) = run(
        &p,
        &["ingest", "ok.json", "--timestamp", "2300-01-01T00:00:00Z"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--timestamp") && stderr.contains("1677-09-21 to 2262-04-11"),
        "{stderr}"
    );
}

#[test]
fn duplicate_benchmark_and_slo_names_are_config_errors_naming_both() {
    let p = Project::new(
        "[[benchmark]]\nname = \"a\"\ncommand = \"true\"\n\n[[benchmark]]\nname = \"b\"\ncommand = \"true\"\n\n[[benchmark]]\nname = \"a\"\ncommand = \"false\"\n",
    );
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("read config sloe.toml:9: key `benchmark[2].name`")
            && stderr.contains("`a` is used twice, at line 1 and line 9"),
        "{stderr}"
    );
    let slo = "[[slo]]\nname = \"api\"\nobjective = \"99%\"\nwindow = \"30d\"\nsli = { events = \"api\" }\n";
    let p = Project::new(&format!("{slo}\n{slo}"));
    let (code, _, stderr) = run(&p, &["slo", "validate"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`api` is used twice, at line 1 and line 7"),
        "{stderr}"
    );
    let p = Project::new("");
    p.write(
        "sloe.yaml",
        "benchmark:\n  - name: a\n    command: \"true\"\n  - name: a\n    command: \"true\"\n",
    );
    let (code, _, stderr) = run(&p, &["--config", "sloe.yaml", "history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`a` is used twice, at benchmark[0] and benchmark[1]"),
        "{stderr}"
    );
}

#[test]
fn zero_runs_and_zero_history_are_refused_not_changed() {
    let p = Project::new("[regression]\nhistory = 0\n");
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("sloe.toml:2:")
            && stderr.contains("key `regression.history`")
            && stderr.contains("expected at least 1 run, found 0"),
        "{stderr}"
    );
    let p = Project::new("[[benchmark]]\nname = \"t\"\ncommand = \"true\"\nruns = 0\n");
    let (code, _, stderr) = run(&p, &["history"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("benchmark `t`.runs: expected at least 1 run, found 0"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&Project::new(""), &["run", "--runs", "0", "--", "true"]);
    assert_eq!(code, 2, "{stderr}");
}

/// A report written past the file size limit (`ulimit -f`, as a full disk
/// fails a write) is an error naming the file, and leaves no temporary
/// file behind. Without a SIGXFSZ handler the signal killed sloe mid-write.
#[test]
fn a_report_that_cannot_be_written_leaves_no_temporary_file() {
    let p = Project::new("");
    // 300 series: the HTML report is larger than the limit below, which
    // still lets SQLite open its store (its shared-memory file is 32 KiB).
    let many: Vec<String> = (0..300)
        .map(|i| format!(r#"{{"benchmark": "b{i}", "measure": "wall_time", "unit": "ms", "values": [1, 2, 3]}}"#))
        .collect();
    p.write("r.json", &results(r#""branch": "main""#, &many.join(",")));
    let (code, _, stderr) = run(&p, &["ingest", "r.json"]);
    assert_eq!(code, 0, "{stderr}");
    let sloe = env!("CARGO_BIN_EXE_sloe");
    let start = Instant::now();
    // 100 blocks of 512 bytes (POSIX sh). Before the fix SIGXFSZ killed
    // sloe (status 153) and a 50 KiB `.sloe-*.tmp` stayed.
    let out = StdCommand::new("sh")
        .arg("-c")
        .arg("ulimit -f 100 && exec \"$0\" report --format html,json --out reports")
        .arg(sloe)
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env_remove("SLOE_STORE")
        .env_remove("SLOE_CONFIG")
        .output()
        .expect("sh");
    assert!(start.elapsed() < Duration::from_secs(20));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error: failed to write reports/sloe-report.html")
            && stderr.contains("File too large"),
        "{stderr}"
    );
    let left: Vec<String> = std::fs::read_dir(p.path().join("reports"))
        .expect("reports dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
