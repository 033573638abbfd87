//! Ingesting results: reading harness outputs (files, criterion's
//! `target/criterion` tree, standard input) in a named or detected format,
//! joining several into one run, refusing absurd values, and recording
//! each as a run with its context resolved, once: results recorded before
//! with the same context are skipped unless forced.

use std::collections::HashMap;
use std::io::{BufRead, Read, Seek, SeekFrom};
use std::path::Path;

use sha2::{Digest, Sha256};
use sloe_core::context::Partial;
use sloe_core::{NewRun, Run, RunHeader, RunId, Series};
use sloe_formats::{Format, FormatError, Parsed};
use sloe_store::{RunInsert, Store};

use crate::context::{self, Env};
use crate::{AppError, Clock, Result, Settings};

/// What one input held, and where it came from (a path, `<stdin>`, or
/// `a + b` for merged inputs).
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub origin: String,
    pub parsed: Parsed,
}

/// Reads every input (a path, a criterion directory, or `-` for `stdin`)
/// in `format`, else the format detected from its content; with `merge`,
/// joins them into one. Reads all before returning, so bad input is found
/// before anything is recorded; a value no measurement can have (see
/// [`check_values`]) is bad input, and so is a run with no series unless
/// `allow_empty` (see [`check_not_empty`]).
pub fn read(
    inputs: &[String],
    format: Option<Format>,
    merge: bool,
    allow_empty: bool,
    stdin: &mut dyn Read,
) -> Result<Vec<Input>> {
    let mut read = Vec::with_capacity(inputs.len());
    for input in inputs {
        read.push(read_one(input, format, stdin)?);
    }
    if merge && read.len() > 1 {
        read = vec![self::merge(read)?];
    }
    for input in &read {
        check_values(input)?;
        check_names(input)?;
        if !allow_empty {
            check_not_empty(input)?;
        }
    }
    Ok(read)
}

/// Refuses what no store can keep, whatever the format, naming the input
/// and the field: a NUL character in a benchmark or measure name or in the
/// context the file states (PostgreSQL refuses it in text, SQLite cuts
/// C strings at it), and a timestamp outside 1677-09-21 to 2262-04-11 UTC
/// (the store keeps nanoseconds in 64 bits).
pub fn check_names(input: &Input) -> Result<()> {
    let refuse = |field: &str, message: String| {
        Err(AppError::Format(FormatError {
            origin: input.origin.clone(),
            line: None,
            column: None,
            field: Some(field.to_owned()),
            message,
        }))
    };
    let nul = |what: &str, value: &str| {
        format!("the {what} {value:?} holds a NUL character; expected text without NUL")
    };
    for s in &input.parsed.series {
        if s.benchmark.contains('\0') {
            return refuse("benchmark", nul("benchmark name", &s.benchmark));
        }
        if s.measure.contains('\0') {
            return refuse("measure", nul("measure name", &s.measure));
        }
    }
    let c = &input.parsed.context;
    for (field, value) in [
        ("context.commit", &c.commit),
        ("context.branch", &c.branch),
        ("context.testbed", &c.testbed),
        ("context.environment", &c.environment),
    ] {
        if let Some(v) = value.as_deref().filter(|v| v.contains('\0')) {
            return refuse(field, nul(&field["context.".len()..], v));
        }
    }
    for (k, v) in &c.ci {
        if k.contains('\0') || v.contains('\0') {
            return refuse(
                &format!("context.ci.{k}"),
                nul("CI value", &format!("{k}={v}")),
            );
        }
    }
    if let Some(ts) = c.timestamp
        && !storable(ts)
    {
        return refuse(
            "context.timestamp",
            format!(
                "the timestamp {ts} is outside the range the store keeps; expected a time \
                 from 1677-09-21 to 2262-04-11 UTC"
            ),
        );
    }
    Ok(())
}

/// Refuses a run with no series: a harness that crashed before writing its
/// results leaves `{"results":[]}`, and a run that judged nothing must not
/// turn a build green (`--allow-empty` accepts one, which `sloe check`
/// then reports as a finding, never a pass).
pub fn check_not_empty(input: &Input) -> Result<()> {
    if input.parsed.series.is_empty() {
        return Err(AppError::Format(FormatError {
            origin: input.origin.clone(),
            line: None,
            column: None,
            field: None,
            message: "it holds no results (0 series): expected at least one benchmark \
                      measurement; did the harness fail before writing them? \
                      (--allow-empty accepts an empty run)"
                .to_owned(),
        }));
    }
    Ok(())
}

/// Whether the store can keep `ts`: nanoseconds since 1970 in an `i64`.
pub fn storable(ts: jiff::Timestamp) -> bool {
    i64::try_from(ts.as_nanosecond()).is_ok()
}

/// Refuses a value no measurement can have, whatever the format: NaN or
/// an infinity in any unit, a negative time, size, count or rate
/// (`Unit::absurd`), naming the input, the benchmark, the measure and the
/// sample (counted from 1). Readers that know the line or field refuse
/// such values themselves, more precisely; this is the check every format
/// passes through.
pub fn check_values(input: &Input) -> Result<()> {
    for s in &input.parsed.series {
        for (i, v) in s.values.iter().enumerate() {
            if let Some(why) = s.unit.absurd(*v) {
                return Err(AppError::Format(FormatError {
                    origin: input.origin.clone(),
                    line: None,
                    column: None,
                    field: None,
                    message: format!(
                        "benchmark {:?} measure `{}` sample {} of {}: {why}",
                        s.benchmark,
                        s.measure,
                        i + 1,
                        s.values.len()
                    ),
                }));
            }
        }
    }
    Ok(())
}

/// The digest a run's results are recorded under, `sha256:<hex>`: SHA-256
/// over each series in order (benchmark, measure, the canonical unit of its
/// dimension, and its values in canonical units to 12 significant digits,
/// each length-prefixed).
/// It covers the parsed results, not the file's bytes nor its context: the
/// same results re-read, re-indented or re-serialised (`ingest --dry-run`,
/// another unit of the same dimension) give the same digest, and the
/// context is compared on its own when recording
/// ([`Store::insert_run_once`]).
pub fn digest(series: &[Series]) -> String {
    fn text(h: &mut Sha256, s: &str) {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    let mut h = Sha256::new();
    h.update(b"sloe.results-digest/v1\0");
    h.update((series.len() as u64).to_le_bytes());
    for s in series {
        text(&mut h, &s.benchmark);
        text(&mut h, &s.measure);
        text(&mut h, s.unit.canonical().symbol());
        h.update((s.values.len() as u64).to_le_bytes());
        for v in &s.values {
            // To 12 significant digits: 0.0079 s and 7.9 ms are 7900000.000000001
            // and 8100000 ns once converted, and the same sample. -0 is 0.
            let v = if *v == 0.0 { 0.0 } else { *v };
            text(&mut h, &format!("{v:.11e}"));
        }
    }
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for b in h.finalize() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

fn read_one(input: &str, format: Option<Format>, stdin: &mut dyn Read) -> Result<Input> {
    let parsed_as = |origin: &str, bytes: &[u8]| -> Result<Parsed> {
        if let Some(message) = sloe_formats::blank(bytes) {
            return Err(AppError::Format(FormatError {
                origin: origin.to_owned(),
                line: None,
                column: None,
                field: None,
                message,
            }));
        }
        let fmt = match format {
            Some(f) => f,
            None => Format::detect(bytes, origin)?,
        };
        Ok(fmt.read(bytes, origin)?)
    };
    if input == "-" {
        let mut bytes = Vec::new();
        stdin
            .read_to_end(&mut bytes)
            .map_err(|source| AppError::Read {
                path: "standard input".to_owned(),
                source,
            })?;
        let origin = "<stdin>".to_owned();
        let parsed = parsed_as(&origin, &bytes)?;
        return Ok(Input { origin, parsed });
    }
    let path = Path::new(input);
    let parsed = if path.is_dir() {
        // A directory is criterion's target/criterion tree.
        if format.is_some_and(|f| f != Format::Criterion) {
            return Err(AppError::Usage(format!(
                "read {input}: it is a directory; only --format criterion reads a directory (target/criterion)"
            )));
        }
        let tree = criterion_tree(path)?;
        if tree.is_empty() {
            return Err(AppError::Format(sloe_formats::FormatError {
                origin: input.to_owned(),
                line: None,
                column: None,
                field: None,
                message: sloe_formats::directory_holds_nothing(&results_in(path)),
            }));
        }
        sloe_formats::criterion::read_tree(&tree, input)?
    } else {
        match open_file(input, format)? {
            Opened::Whole(bytes) => parsed_as(input, &bytes)?,
            Opened::Stream(fmt, reader) => fmt.read_from(reader, input)?,
        }
    };
    Ok(Input {
        origin: input.to_owned(),
        parsed,
    })
}

/// How much of a file is read to detect its format before deciding
/// whether to stream it: all that detection looks at.
const HEAD: usize = sloe_formats::DETECT_PREFIX;

/// A results file: read whole, or a large file of a streaming format
/// (detected from its first [`HEAD`] bytes) left to stream.
enum Opened {
    Whole(Vec<u8>),
    Stream(Format, Box<dyn BufRead>),
}

/// Opens a results file holding at most [`HEAD`] bytes of it until its
/// format is known: a large file whose format cannot be detected is refused
/// without being read further (detection looks at no more than the head),
/// and one of only whitespace is scanned, not held, to say so (a GiB of
/// spaces costs a GiB of reading, not of memory).
fn open_file(file: &str, format: Option<Format>) -> Result<Opened> {
    let failed = |source| AppError::Read {
        path: file.to_owned(),
        source,
    };
    let mut f = std::fs::File::open(file).map_err(failed)?;
    let mut head = Vec::with_capacity(HEAD.min(64 * 1024));
    (&mut f)
        .take(HEAD as u64)
        .read_to_end(&mut head)
        .map_err(failed)?;
    if head.len() < HEAD {
        return Ok(Opened::Whole(head));
    }
    let bom = if head.starts_with(sloe_formats::BOM) {
        sloe_formats::BOM.len()
    } else {
        0
    };
    if head[bom..].iter().all(u8::is_ascii_whitespace) {
        let blank = whitespace_to_end(&mut f).map_err(failed)?;
        if let Some(rest) = blank {
            return Err(AppError::Format(FormatError {
                origin: file.to_owned(),
                line: None,
                column: None,
                field: None,
                message: format!(
                    "the input holds only whitespace ({} bytes); expected results (did the harness write nothing?)",
                    (head.len() - bom) as u64 + rest
                ),
            }));
        }
    }
    let fmt = match format {
        Some(f) => f,
        None => Format::detect(&head, file)?,
    };
    if fmt.streams() {
        let rest = std::io::BufReader::with_capacity(64 * 1024, f);
        let mut head = std::io::Cursor::new(head);
        head.set_position(bom as u64);
        return Ok(Opened::Stream(fmt, Box::new(head.chain(rest))));
    }
    f.seek(SeekFrom::Start(head.len() as u64)).map_err(failed)?;
    f.read_to_end(&mut head).map_err(failed)?;
    Ok(Opened::Whole(head))
}

/// Reads `f` to its end in small pieces: `Some(bytes read)` when all of
/// them are whitespace, else `None`, with `f` left where it was.
fn whitespace_to_end(f: &mut std::fs::File) -> std::io::Result<Option<u64>> {
    let start = f.stream_position()?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) => return Ok(Some(total)),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        if !buf[..n].iter().all(u8::is_ascii_whitespace) {
            f.seek(SeekFrom::Start(start))?;
            return Ok(None);
        }
    }
}

/// The `new/` files of a `target/criterion` tree, as (path relative to
/// `root`, bytes) pairs.
fn criterion_tree(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let failed = |path: &Path| {
        let path = path.display().to_string();
        move |source| AppError::Read { path, source }
    };
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).map_err(failed(&dir))? {
            let path = entry.map_err(failed(&dir))?.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let in_new = path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n == "new");
            let wanted = path.file_name().is_some_and(|n| {
                n == "benchmark.json" || n == "estimates.json" || n == "sample.json"
            });
            if in_new && wanted {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let bytes = std::fs::read(&path).map_err(failed(&path))?;
                out.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The files directly in `dir` whose head looks like a results format, as
/// (path, format), sorted: what a directory that is no criterion tree
/// offers instead. Unreadable entries are passed over: this only helps
/// word an error.
fn results_in(dir: &Path) -> Vec<(String, Format)> {
    const SHOWN: usize = 5;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let mut head = Vec::new();
            std::fs::File::open(&p)
                .and_then(|f| f.take(HEAD as u64).read_to_end(&mut head))
                .ok()?;
            let name = p.display().to_string();
            Format::detect(&head, &name).ok().map(|f| (name, f))
        })
        .take(SHOWN)
        .collect()
}

/// Joins several inputs into one run: the first one's context, every
/// series; a series in two inputs is an error naming both.
fn merge(inputs: Vec<Input>) -> Result<Input> {
    let mut origins: Vec<String> = Vec::new();
    let mut seen: HashMap<(String, String), String> = HashMap::new();
    let mut out: Option<Parsed> = None;
    for Input { origin, parsed } in inputs {
        for s in &parsed.series {
            if let Some(first) =
                seen.insert((s.benchmark.clone(), s.measure.clone()), origin.clone())
            {
                return Err(AppError::Input(format!(
                    "merge {origin} into one run: benchmark {:?} measure `{}` is already in {first}",
                    s.benchmark, s.measure
                )));
            }
        }
        match &mut out {
            None => out = Some(parsed),
            Some(acc) => {
                acc.series.extend(parsed.series);
                acc.warnings.extend(parsed.warnings);
            }
        }
        origins.push(origin);
    }
    let parsed =
        out.ok_or_else(|| AppError::Usage("merge results: no files were given".to_owned()))?;
    Ok(Input {
        origin: origins.join(" + "),
        parsed,
    })
}

/// What `--dry-run` shows: the inputs as results JSON, with the context
/// `given` states in place of the file's (one document, or an array of
/// them for several inputs). Nothing is resolved from CI or git: it shows
/// what was read.
pub fn preview(inputs: &[Input], given: &Partial) -> serde_json::Value {
    let mut docs: Vec<serde_json::Value> = inputs
        .iter()
        .map(|input| {
            let mut p = input.parsed.clone();
            p.context.commit = given.commit.clone().or(p.context.commit);
            p.context.branch = given.branch.clone().or(p.context.branch);
            p.context.testbed = given.testbed.clone().or(p.context.testbed);
            p.context.environment = given.environment.clone().or(p.context.environment);
            sloe_formats::json::write(&p)
        })
        .collect();
    if docs.len() == 1 {
        docs.swap_remove(0)
    } else {
        serde_json::Value::Array(docs)
    }
}

/// The id of a run judged without being recorded (`sloe check FILE`): no
/// store gives it to a run (ids start at 1).
pub const UNRECORDED: RunId = RunId(0);

/// `input` as a run that is not recorded ([`UNRECORDED`]), its context
/// resolved as [`record`] resolves it, for judging results that must not
/// enter history.
pub fn unrecorded(
    settings: &Settings,
    input: Input,
    given: &Partial,
    env: Env<'_>,
    clock: &dyn Clock,
) -> Run {
    let context = context::resolve(given, &input.parsed.context, settings, env, clock);
    Run {
        header: RunHeader {
            id: UNRECORDED,
            recorded_at: context.timestamp,
            context,
        },
        series: input.parsed.series,
    }
}

/// One recorded run, or one skipped as recorded before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The new run, or the earlier one the results were recorded as.
    pub id: RunId,
    pub origin: String,
    pub series: usize,
    pub samples: usize,
    /// The digest of the results ([`digest`]).
    pub digest: String,
    /// Recorded before with the same context (as run `id`): nothing was
    /// recorded now.
    pub skipped: bool,
}

/// Records `input` as a run, its context resolved from `given`, the
/// input, CI variables in `env`, git and the config; `clock` when nothing
/// gives a time. Results recorded before with the same digest and context
/// (commit, branch, testbed, environment; see [`Store::insert_run_once`])
/// are skipped, unless `force`.
pub fn record(
    settings: &Settings,
    store: &dyn Store,
    input: Input,
    given: &Partial,
    env: Env<'_>,
    clock: &dyn Clock,
    force: bool,
) -> Result<Recorded> {
    let Input { origin, parsed } = input;
    let context = context::resolve(given, &parsed.context, settings, env, clock);
    let samples = parsed.series.iter().map(|s| s.values.len()).sum();
    let series = parsed.series.len();
    let digest = digest(&parsed.series);
    let inserted = store.insert_run_once(
        &NewRun {
            context,
            series: parsed.series,
        },
        &digest,
        force,
    )?;
    Ok(Recorded {
        id: inserted.id(),
        origin,
        series,
        samples,
        digest,
        skipped: matches!(inserted, RunInsert::AlreadyRecorded(_)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FixedClock;
    use crate::testing::{at, settings, store};

    fn results(benchmark: &str, context: &str) -> String {
        format!(
            r#"{{"context": {{{context}}}, "results": [{{"benchmark": "{benchmark}", "measure": "wall_time", "unit": "ms", "values": [1.0, 2.0, 3.0]}}]}}"#
        )
    }

    #[test]
    fn files_and_standard_input_are_read_in_the_detected_format() {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("a.json");
        std::fs::write(&file, results("a", r#""branch": "main""#)).expect("writes");
        let mut stdin = std::io::Cursor::new(results("b", ""));
        let inputs = vec![file.display().to_string(), "-".to_owned()];
        let read = read(&inputs, None, false, false, &mut stdin).expect("reads");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].origin, inputs[0]);
        assert_eq!(read[0].parsed.context.branch.as_deref(), Some("main"));
        assert_eq!(read[1].origin, "<stdin>");
        assert_eq!(read[1].parsed.series[0].benchmark, "b");
        assert_eq!(read[1].parsed.series[0].values, [1e6, 2e6, 3e6]);
    }

    #[test]
    fn unreadable_input_is_a_typed_error_naming_it() {
        let e = read(
            &["nope.json".to_owned()],
            None,
            false,
            false,
            &mut std::io::empty(),
        )
        .expect_err("no such file");
        assert!(
            matches!(e, AppError::Read { ref path, .. } if path == "nope.json"),
            "{e}"
        );
        let mut garbage = std::io::Cursor::new("hello");
        let e = read(&["-".to_owned()], None, false, false, &mut garbage).expect_err("garbage");
        assert!(matches!(e, AppError::Format(_)), "{e}");
        assert!(e.to_string().contains("detect its format"), "{e}");
        let dir = tempfile::tempdir().expect("temp dir");
        let e = read(
            &[dir.path().display().to_string()],
            Some(Format::Json),
            false,
            false,
            &mut std::io::empty(),
        )
        .expect_err("a directory is criterion's");
        assert!(e.to_string().contains("only --format criterion"), "{e}");
    }

    #[test]
    fn merged_inputs_are_one_run_unless_a_series_repeats() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = |name: &str, benchmark: &str, context: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, results(benchmark, context)).expect("writes");
            p.display().to_string()
        };
        let a = path("a.json", "a", r#""commit": "c1""#);
        let b = path("b.json", "b", r#""commit": "c2""#);
        let merged = read(
            &[a.clone(), b.clone()],
            None,
            true,
            false,
            &mut std::io::empty(),
        )
        .expect("merges");
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].origin, format!("{a} + {b}"));
        assert_eq!(merged[0].parsed.context.commit.as_deref(), Some("c1"));
        assert_eq!(merged[0].parsed.series.len(), 2);

        let again = path("c.json", "a", "");
        let e = read(
            &[a.clone(), again.clone()],
            None,
            true,
            false,
            &mut std::io::empty(),
        )
        .expect_err("a twice");
        assert_eq!(
            e.to_string(),
            format!(
                "merge {again} into one run: benchmark \"a\" measure `wall_time` is already in {a}"
            )
        );
    }

    #[test]
    fn the_preview_shows_the_flags_over_the_file() {
        let mut stdin = std::io::Cursor::new(results("a", r#""commit": "c1", "branch": "b1""#));
        let inputs = read(&["-".to_owned()], None, false, false, &mut stdin).expect("reads");
        let given = Partial {
            commit: Some("flag".to_owned()),
            ..Partial::default()
        };
        let v = preview(&inputs, &given);
        assert_eq!(v["context"]["commit"], "flag");
        assert_eq!(v["context"]["branch"], "b1");
        assert_eq!(v["results"][0]["benchmark"], "a");
        assert!(preview(&[inputs[0].clone(), inputs[0].clone()], &given).is_array());
    }

    #[test]
    fn a_run_is_recorded_with_its_context_resolved() {
        let store = store();
        let config = settings("[project]\ntestbed = \"tb\"\n");
        let mut stdin = std::io::Cursor::new(results("a", r#""commit": "c1", "branch": "main""#));
        let input = read(&["-".to_owned()], None, false, false, &mut stdin)
            .expect("reads")
            .remove(0);
        let ci = |k: &str| (k == "GITHUB_ACTIONS").then(|| "false".to_owned());
        let given = Partial {
            environment: Some("ci".to_owned()),
            ..Partial::default()
        };
        let r = record(
            &config,
            &store,
            input.clone(),
            &given,
            &ci,
            &FixedClock(at(5)),
            false,
        )
        .expect("records");
        assert!(!r.skipped);
        assert_eq!((r.origin.as_str(), r.series, r.samples), ("<stdin>", 1, 3));
        let run = store.run(r.id).expect("reads").expect("the run");
        let ctx = &run.header.context;
        assert_eq!(ctx.commit.as_deref(), Some("c1"));
        assert_eq!(ctx.branch.as_deref(), Some("main"));
        assert_eq!(ctx.testbed.as_deref(), Some("tb"));
        assert_eq!(ctx.environment.as_deref(), Some("ci"));
        // Neither the flags nor the file said when: the clock does.
        assert_eq!(ctx.timestamp, at(5));

        // Again, later: skipped as that run; forced: recorded.
        let again = record(
            &config,
            &store,
            input.clone(),
            &given,
            &ci,
            &FixedClock(at(9)),
            false,
        )
        .expect("skips");
        assert_eq!((again.id, again.skipped), (r.id, true));
        assert_eq!(store.count_runs().expect("counts"), 1);
        let forced = record(
            &config,
            &store,
            input,
            &given,
            &ci,
            &FixedClock(at(9)),
            true,
        )
        .expect("records");
        assert!(!forced.skipped && forced.id != r.id);
        assert_eq!(store.count_runs().expect("counts"), 2);
    }

    #[test]
    fn the_digest_covers_the_results_not_their_spelling() {
        let read_one = |text: &str| {
            read(
                &["-".to_owned()],
                None,
                false,
                false,
                &mut std::io::Cursor::new(text),
            )
            .expect("reads")
            .remove(0)
            .parsed
        };
        let a = read_one(&results("a", r#""commit": "c1""#));
        // Another context, other whitespace, the same values in seconds.
        let same = read_one(
            r#"{ "results": [ { "benchmark": "a", "measure": "wall_time",
                "unit": "s", "values": [0.001, 0.002, 0.003] } ] }"#,
        );
        assert_eq!(digest(&a.series), digest(&same.series));
        // Re-serialised as --dry-run shows it.
        let shown = preview(
            &[Input {
                origin: "x".into(),
                parsed: a.clone(),
            }],
            &Partial::default(),
        );
        assert_eq!(
            digest(&read_one(&shown.to_string()).series),
            digest(&a.series)
        );
        // In another unit, through floating point: the same digest.
        let mut other = a.series.clone();
        other[0].values = [0.0079]
            .iter()
            .map(|s| sloe_core::Unit::Seconds.to_canonical(*s))
            .collect();
        let mut same = a.series.clone();
        same[0].values = [7.9]
            .iter()
            .map(|ms| sloe_core::Unit::Milliseconds.to_canonical(*ms))
            .collect();
        assert_ne!(other[0].values, same[0].values, "the bits differ");
        assert_eq!(digest(&other), digest(&same));
        // One sample, one name or the order of the values differs: another digest.
        let mut other = a.series.clone();
        other[0].values[2] = 3.000_001e6;
        assert_ne!(digest(&a.series), digest(&other));
        let mut other = a.series.clone();
        other[0].benchmark = "b".into();
        assert_ne!(digest(&a.series), digest(&other));
        let mut other = a.series.clone();
        other[0].values.swap(0, 1);
        assert_ne!(digest(&a.series), digest(&other));
        // Length prefixes: moving a character between names changes it.
        let mut x = a.series.clone();
        (x[0].benchmark, x[0].measure) = ("ab".into(), "c".into());
        let mut y = a.series.clone();
        (y[0].benchmark, y[0].measure) = ("a".into(), "bc".into());
        assert_ne!(digest(&x), digest(&y));
        assert!(digest(&a.series).starts_with("sha256:"));
        assert_eq!(digest(&a.series).len(), 7 + 64);
    }

    #[test]
    fn absurd_values_are_refused_naming_the_sample() {
        let mut input = Input {
            origin: "r.txt".into(),
            parsed: Parsed {
                context: Default::default(),
                series: vec![Series {
                    benchmark: "sort".into(),
                    measure: "wall_time".into(),
                    unit: sloe_core::Unit::Seconds,
                    direction: sloe_core::Direction::LowerIsBetter,
                    values: vec![1e9, -2e9],
                    round_size: None,
                }],
                warnings: Vec::new(),
            },
        };
        let e = check_values(&input).expect_err("negative");
        assert_eq!(
            e.to_string(),
            "read r.txt: benchmark \"sort\" measure `wall_time` sample 2 of 2: expected a time of zero or more, found -2 s"
        );
        assert_eq!(e.exit_code(), 2);
        input.parsed.series[0].values[1] = f64::NAN;
        let e = check_values(&input).expect_err("NaN");
        assert!(
            e.to_string()
                .ends_with("expected a finite number, found NaN (in ns)"),
            "{e}"
        );
        input.parsed.series[0].values[1] = 0.0;
        check_values(&input).expect("zero is a time");
    }
}
