//! iai and iai-callgrind (now gungraun) text output.
//!
//! A benchmark's name stands unindented on its own line (iai-callgrind:
//! `module::group::function id:args`), followed by indented metric lines:
//!
//! ```text
//!   Instructions:                1734|1650            (+5.09090%) [+1.04844x]
//! ```
//! The first number is the new run's value (iai-callgrind's `new|old`
//! columns: the old value and the change are the baseline's business and
//! are dropped). Each metric is a count measure named in snake case:
//! `instructions`, `l1_accesses`, `l2_accesses`, `ram_accesses`,
//! `estimated_cycles` (iai); `l1_hits`, `l2_hits`, `ram_hits`,
//! `total_read_write`, and the DHAT section's `total_bytes`,
//! `at_t_gmax_bytes`, ... (iai-callgrind; those ending in `bytes` are in
//! bytes). Lower is better for all.
//! The `Regressions:` summary repeats values and is skipped.

use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number, text};
use crate::{FileContext, FormatError, Parsed};

/// (metric name, first value) of an indented metric line.
fn metric(line: &str) -> Option<(&str, &str)> {
    if !line.starts_with(' ') {
        return None;
    }
    let (key, rest) = line.trim().split_once(':')?;
    let value = rest.split_whitespace().next()?;
    let value = value.split('|').next()?;
    let first = key.chars().next()?;
    (first.is_ascii_alphabetic() && value.bytes().next().is_some_and(|b| b.is_ascii_digit()))
        .then_some((key, value))
}

/// Whether `input` looks like iai output.
pub fn looks_like(input: &[u8]) -> bool {
    head(input, 65536)
        .lines()
        .any(|l| metric(l).is_some_and(|(k, _)| k == "Instructions" || k == "Estimated Cycles"))
}

fn snake(key: &str) -> String {
    let mut out = String::new();
    for c in key.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_owned()
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let text = text(input, &err)?;
    let mut set = SeriesSet::default();
    let mut current: Option<&str> = None;
    let mut in_summary = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let t = line.trim();
            in_summary = t == "Regressions:";
            let prose = t.starts_with("running ")
                || t.starts_with("test result:")
                || t.starts_with("Iai-Callgrind result:")
                || t.starts_with("Gungraun result:")
                || t.starts_with("test ");
            current = (!in_summary && !prose).then_some(t);
            continue;
        }
        if in_summary {
            continue;
        }
        let Some((key, value)) = metric(line) else {
            continue;
        };
        let Some(bench) = current else {
            return Err(err.line(
                n + 1,
                format!("expected a benchmark name before metric {key:?}"),
            ));
        };
        let v = number(value).ok_or_else(|| {
            err.line(
                n + 1,
                format!("expected a number for {key:?}, found {value:?}"),
            )
        })?;
        let measure = snake(key);
        let unit = if measure.ends_with("_bytes") {
            Unit::Bytes
        } else {
            Unit::Count
        };
        set.push_with(bench, &measure, unit, Direction::LowerIsBetter, v);
    }
    if set.is_empty() {
        return Err(err.whole(
            "find a benchmark result; expected a name line followed by `  Instructions: <n>` lines",
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

    #[test]
    fn metric_names_are_snake_case() {
        assert_eq!(snake("Total read+write"), "total_read_write");
        assert_eq!(snake("At t-gmax bytes"), "at_t_gmax_bytes");
        let e = read(b"  Instructions: 5\n", "i.txt").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
    }
}
