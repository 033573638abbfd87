//! Rust libtest `cargo bench` output (`#[bench]`), and anything printing
//! its line format (criterion's `--output-format bencher`, custom
//! harnesses):
//!
//! ```text
//! test tests::bench_add ... bench:       3,296 ns/iter (+/- 521)
//! ```
//! The benchmark is the test path as printed. `ns/iter` (fractional on
//! newer toolchains) is one `wall_time` sample; the `+/-` spread is not a
//! sample and is dropped. Other units (`cycles/iter`, `MS/s`) become a
//! measure named after the unit, kept as given; units ending in `/s` are
//! higher-is-better. Failed and ignored benches are skipped.

use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number, text};
use crate::{FileContext, FormatError, Parsed};

/// (name, rest after `bench:`) of a result line.
fn split(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("test ")?;
    let (name, rest) = rest.split_once(" ... bench:")?;
    Some((name.trim(), rest.trim()))
}

/// Whether `input` looks like libtest bench output.
pub fn looks_like(input: &[u8]) -> bool {
    head(input, 65536).lines().any(|l| split(l).is_some())
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let text = text(input, &err)?;
    let mut set = SeriesSet::default();
    for (n, line) in text.lines().enumerate() {
        let Some((name, rest)) = split(line) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (Some(value), Some(unit)) = (f.next(), f.next()) else {
            return Err(err.line(n + 1, "expected `<value> <unit>` after `bench:`"));
        };
        let v = number(value).ok_or_else(|| {
            err.line(
                n + 1,
                format!("expected a number after `bench:`, found {value:?}"),
            )
        })?;
        if name.is_empty() {
            return Err(err.line(n + 1, "expected a benchmark name after `test`"));
        }
        match unit {
            "ns/iter" => set.push_with(
                name,
                "wall_time",
                Unit::Nanoseconds,
                Direction::LowerIsBetter,
                v,
            ),
            other => set.push(name, other, Unit::Other(other.to_owned()), v),
        }
    }
    if set.is_empty() {
        return Err(err.whole(
            "find a benchmark result; expected a line like `test x ... bench: 1,234 ns/iter (+/- 56)`",
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
    fn thousands_separators_and_errors() {
        let p = read(b"test a ... bench:   1,234.5 ns/iter (+/- 3)\n", "l.txt").expect("valid");
        assert_eq!(p.series[0].values, vec![1234.5]);
        let e = read(b"\ntest a ... bench: lots ns/iter\n", "l.txt").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }
}
