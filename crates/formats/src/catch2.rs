//! Catch2's XML reporter (`-r xml`) with benchmarks
//! (`CATCH_CONFIG_ENABLE_BENCHMARKING`, `BENCHMARK("name")`):
//!
//! ```xml
//! <BenchmarkResults name="fib 20" samples="30" iterations="3" ...>
//!   <!--All values in nano seconds-->
//!   <mean value="18277.7" lowerBound="17355.6" upperBound="19306" ci="0.95"/>
//!   <standardDeviation value="2707.05" .../>
//! </BenchmarkResults>
//! ```
//! The benchmark is the `BENCHMARK` name as Catch2 prints it. Catch2
//! writes estimates, not samples, so the mean's `value` (ns) is the one
//! `wall_time` sample. The JUnit reporter (`-r junit`) has no benchmark
//! numbers; read it as `junit`.

use std::io::BufRead;

use quick_xml::events::Event;
use sloe_core::{Direction, Unit};

use crate::common::{Errors, SeriesSet, head, number};
use crate::xml::{XmlStream, attr};
use crate::{FileContext, FormatError, Parsed};

/// Whether `input` looks like Catch2 XML with benchmark results.
pub fn looks_like(input: &[u8]) -> bool {
    head(input, 1 << 20).contains("<BenchmarkResults")
}

pub fn read(input: &[u8], origin: &str) -> Result<Parsed, FormatError> {
    read_from(input, origin)
}

/// Reads the report from a stream.
pub fn read_from(input: impl BufRead, origin: &str) -> Result<Parsed, FormatError> {
    let err = Errors { origin };
    let mut reader = XmlStream::new(input);
    let mut set = SeriesSet::default();
    let mut current: Option<String> = None;
    loop {
        let (event, line) = reader.next(&err)?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"BenchmarkResults" => {
                    let name = attr(&e, b"name", line, &err)?
                        .ok_or_else(|| err.line(line, "expected a `name` on <BenchmarkResults>"))?;
                    current = Some(name);
                }
                b"mean" => {
                    if let Some(name) = &current {
                        let v = attr(&e, b"value", line, &err)?;
                        let v = v.as_deref().and_then(number).ok_or_else(|| {
                            err.line(
                                line,
                                format!("expected a number in <mean value> of {name:?}"),
                            )
                        })?;
                        set.push_with(
                            name,
                            "wall_time",
                            Unit::Nanoseconds,
                            Direction::LowerIsBetter,
                            v,
                        );
                    }
                }
                _ => {}
            },
            Event::End(e) if e.name().as_ref() == b"BenchmarkResults" => current = None,
            Event::Eof => break,
            _ => {}
        }
    }
    if set.is_empty() {
        return Err(err.whole("find a benchmark: expected <BenchmarkResults> with a <mean value>"));
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
    fn broken_xml_names_a_line() {
        let e = read(
            b"<Catch>\n<BenchmarkResults name=\"a\">\n<mean value=\"x\"/>\n",
            "c.xml",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = read(b"<Catch>\n<BenchmarkResults name=\"a\">\n</Oops>", "c.xml").unwrap_err();
        assert!(e.line.is_some(), "{e}");
    }
}
