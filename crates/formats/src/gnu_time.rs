//! GNU time's verbose report (`/usr/bin/time -v CMD`), one or more of them
//! appended to one file (`-a -o FILE`): each report is one sample of its
//! command.
//!
//! The benchmark is the command line of `Command being timed: "..."`.
//! Measures: `wall_time` (the `Elapsed (wall clock) time` as h:mm:ss or
//! m:ss), `user_time`, `sys_time` (seconds), `cpu_percent`, and
//! `peak_rss` (`Maximum resident set size`, which GNU time prints in
//! KiB despite saying kbytes).

use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number, text};
use crate::{FileContext, FormatError, Parsed};

/// Whether `input` looks like GNU time's verbose report.
pub fn looks_like(input: &[u8]) -> bool {
    let t = head(input, 65536);
    t.contains("Command being timed:") && t.contains("Maximum resident set size")
}

/// Reads one field's value.
type Parser = fn(&str) -> Option<f64>;

/// `h:mm:ss` or `m:ss.ss` → seconds.
fn clock(s: &str) -> Option<f64> {
    let mut total = 0.0;
    for part in s.split(':') {
        total = total * 60.0 + number(part).filter(|v| *v >= 0.0)?;
    }
    Some(total)
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let text = text(input, &err)?;
    let mut set = SeriesSet::default();
    let mut command: Option<String> = None;
    let lower = Direction::LowerIsBetter;
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let Some((key, value)) = line.trim().split_once(": ") else {
            continue;
        };
        let value = value.trim();
        if key == "Command being timed" {
            let c = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            command = Some(c.to_owned());
            continue;
        }
        let (measure, unit, parse): (&str, Unit, Parser) = match key {
            "User time (seconds)" => ("user_time", Unit::Seconds, number),
            "System time (seconds)" => ("sys_time", Unit::Seconds, number),
            "Percent of CPU this job got" => ("cpu_percent", Unit::Percent, |v| {
                number(v.trim_end_matches('%'))
            }),
            "Maximum resident set size (kbytes)" => ("peak_rss", Unit::Kibibytes, number),
            k if k.starts_with("Elapsed (wall clock) time") => ("wall_time", Unit::Seconds, clock),
            _ => continue,
        };
        let Some(cmd) = &command else {
            return Err(err.line(n, format!("expected `Command being timed:` before {key:?}")));
        };
        let v = parse(value).ok_or_else(|| {
            err.line(n, format!("expected a number for {key:?}, found {value:?}"))
        })?;
        set.push_with(cmd, measure, unit, lower, v);
    }
    if set.is_empty() {
        return Err(err.whole(
            "find a report; expected the output of /usr/bin/time -v with `Command being timed:`",
        ));
    }
    Ok(Parsed {
        context: FileContext::default(),
        series: set.into_series(),
        warnings: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape GNU time 1.9 prints for `/usr/bin/time -v sleep 0.2`
    /// (abridged: only some of its 23 lines).
    const SLEEP: &str = "\tCommand being timed: \"sleep 0.2\"
\tUser time (seconds): 0.00
\tSystem time (seconds): 0.01
\tPercent of CPU this job got: 3%
\tElapsed (wall clock) time (h:mm:ss or m:ss): 0:00.20
\tAverage shared text size (kbytes): 0
\tMaximum resident set size (kbytes): 1920
\tExit status: 0
";

    #[test]
    fn reads_a_report() {
        let p = read(SLEEP.as_bytes(), "t.txt").expect("valid");
        let get = |m: &str| {
            p.series
                .iter()
                .find(|s| s.measure == m)
                .map(|s| s.values.clone())
        };
        assert_eq!(p.series[0].benchmark, "sleep 0.2");
        assert_eq!(get("wall_time"), Some(vec![0.2e9]));
        assert_eq!(get("sys_time"), Some(vec![0.01e9]));
        assert_eq!(get("cpu_percent"), Some(vec![3.0]));
        assert_eq!(get("peak_rss"), Some(vec![1920.0 * 1024.0]));
        assert!(looks_like(SLEEP.as_bytes()));
    }

    #[test]
    fn clocks_and_errors() {
        assert_eq!(clock("1:02:03"), Some(3723.0));
        assert_eq!(clock("0:00.20"), Some(0.2));
        let bad = SLEEP.replace("0:00.20", "soon");
        let e = read(bad.as_bytes(), "t.txt").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
    }
}
