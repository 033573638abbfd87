//! Quantities with units: the small unit system budgets and results share.
//!
//! Every value is stored in its dimension's canonical unit (nanoseconds,
//! bytes, percent, per second, count) so values ingested in `ms` compare with
//! budgets written in `us`. The unit a user wrote is kept for display.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a unit measures. Quantities of different dimensions never compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Canonical unit: nanoseconds.
    Time,
    /// Canonical unit: bytes.
    Bytes,
    /// Canonical unit: percent.
    Percent,
    /// Canonical unit: events per second.
    Rate,
    /// A plain number (instructions, iterations, allocations).
    Count,
}

impl Dimension {
    /// The canonical unit values of this dimension are stored in.
    pub fn canonical_unit(self) -> Unit {
        match self {
            Dimension::Time => Unit::Nanoseconds,
            Dimension::Bytes => Unit::Bytes,
            Dimension::Percent => Unit::Percent,
            Dimension::Rate => Unit::PerSecond,
            Dimension::Count => Unit::Count,
        }
    }
}

/// A unit of measurement. `Other` keeps units sloe does not know (say
/// `allocs/op`): their values are stored as given and compare only with
/// values of the same unit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Unit {
    Nanoseconds,
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
    Bytes,
    Kilobytes,
    Megabytes,
    Gigabytes,
    Terabytes,
    Kibibytes,
    Mebibytes,
    Gibibytes,
    Tebibytes,
    Percent,
    PerSecond,
    /// A rate of bytes (`343.6 MB/s`): a rate like any other, whose
    /// readers are told it counts bytes.
    BytesPerSecond,
    Count,
    Other(String),
}

/// Known unit spellings, the first of each unit being its canonical symbol.
const SPELLINGS: &[(&str, Unit)] = &[
    ("ns", Unit::Nanoseconds),
    ("nanoseconds", Unit::Nanoseconds),
    ("us", Unit::Microseconds),
    ("µs", Unit::Microseconds),
    ("μs", Unit::Microseconds),
    ("microseconds", Unit::Microseconds),
    ("ms", Unit::Milliseconds),
    ("milliseconds", Unit::Milliseconds),
    ("s", Unit::Seconds),
    ("sec", Unit::Seconds),
    ("seconds", Unit::Seconds),
    ("min", Unit::Minutes),
    ("minutes", Unit::Minutes),
    ("h", Unit::Hours),
    ("hours", Unit::Hours),
    ("d", Unit::Days),
    ("days", Unit::Days),
    ("B", Unit::Bytes),
    ("bytes", Unit::Bytes),
    ("b", Unit::Bytes),
    ("KB", Unit::Kilobytes),
    ("kB", Unit::Kilobytes),
    ("MB", Unit::Megabytes),
    ("GB", Unit::Gigabytes),
    ("TB", Unit::Terabytes),
    ("KiB", Unit::Kibibytes),
    ("MiB", Unit::Mebibytes),
    ("GiB", Unit::Gibibytes),
    ("TiB", Unit::Tebibytes),
    ("%", Unit::Percent),
    ("percent", Unit::Percent),
    ("/s", Unit::PerSecond),
    ("1/s", Unit::PerSecond),
    ("ops/s", Unit::PerSecond),
    ("B/s", Unit::BytesPerSecond),
    ("bytes/s", Unit::BytesPerSecond),
    ("count", Unit::Count),
    ("", Unit::Count),
];

impl Unit {
    /// Parses a unit symbol; unknown symbols become [`Unit::Other`].
    pub fn parse(symbol: &str) -> Unit {
        let symbol = symbol.trim();
        SPELLINGS
            .iter()
            .find(|(s, _)| *s == symbol)
            .map(|(_, u)| u.clone())
            .unwrap_or_else(|| Unit::Other(symbol.to_owned()))
    }

    /// Parses a unit symbol, refusing unknown ones.
    pub fn parse_known(symbol: &str) -> Option<Unit> {
        match Unit::parse(symbol) {
            Unit::Other(_) => None,
            u => Some(u),
        }
    }

    pub fn symbol(&self) -> &str {
        match self {
            Unit::Nanoseconds => "ns",
            Unit::Microseconds => "us",
            Unit::Milliseconds => "ms",
            Unit::Seconds => "s",
            Unit::Minutes => "min",
            Unit::Hours => "h",
            Unit::Days => "d",
            Unit::Bytes => "B",
            Unit::Kilobytes => "KB",
            Unit::Megabytes => "MB",
            Unit::Gigabytes => "GB",
            Unit::Terabytes => "TB",
            Unit::Kibibytes => "KiB",
            Unit::Mebibytes => "MiB",
            Unit::Gibibytes => "GiB",
            Unit::Tebibytes => "TiB",
            Unit::Percent => "%",
            Unit::PerSecond => "/s",
            Unit::BytesPerSecond => "B/s",
            Unit::Count => "count",
            Unit::Other(s) => s,
        }
    }

    /// The dimension, or `None` for a unit sloe does not know.
    pub fn dimension(&self) -> Option<Dimension> {
        Some(match self {
            Unit::Nanoseconds
            | Unit::Microseconds
            | Unit::Milliseconds
            | Unit::Seconds
            | Unit::Minutes
            | Unit::Hours
            | Unit::Days => Dimension::Time,
            Unit::Bytes
            | Unit::Kilobytes
            | Unit::Megabytes
            | Unit::Gigabytes
            | Unit::Terabytes
            | Unit::Kibibytes
            | Unit::Mebibytes
            | Unit::Gibibytes
            | Unit::Tebibytes => Dimension::Bytes,
            Unit::Percent => Dimension::Percent,
            Unit::PerSecond | Unit::BytesPerSecond => Dimension::Rate,
            Unit::Count => Dimension::Count,
            Unit::Other(_) => return None,
        })
    }

    /// How many canonical units one of this unit is.
    pub fn factor(&self) -> f64 {
        match self {
            Unit::Nanoseconds => 1.0,
            Unit::Microseconds => 1e3,
            Unit::Milliseconds => 1e6,
            Unit::Seconds => 1e9,
            Unit::Minutes => 60e9,
            Unit::Hours => 3600e9,
            Unit::Days => 86_400e9,
            Unit::Bytes => 1.0,
            Unit::Kilobytes => 1e3,
            Unit::Megabytes => 1e6,
            Unit::Gigabytes => 1e9,
            Unit::Terabytes => 1e12,
            Unit::Kibibytes => 1024.0,
            Unit::Mebibytes => 1024.0 * 1024.0,
            Unit::Gibibytes => 1024.0 * 1024.0 * 1024.0,
            Unit::Tebibytes => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            Unit::Percent
            | Unit::PerSecond
            | Unit::BytesPerSecond
            | Unit::Count
            | Unit::Other(_) => 1.0,
        }
    }

    /// The unit canonical values of this unit are stored in.
    pub fn canonical(&self) -> Unit {
        match self.dimension() {
            Some(d) => d.canonical_unit(),
            None => self.clone(),
        }
    }

    pub fn to_canonical(&self, value: f64) -> f64 {
        value * self.factor()
    }

    pub fn from_canonical(&self, value: f64) -> f64 {
        value / self.factor()
    }

    /// Why `canonical` (a value of this unit's dimension, in its canonical
    /// unit) cannot be a measurement, as "expected …, found …"; `None` when
    /// it can. Non-finite values (NaN, ±inf, or a value too large once
    /// converted) are refused in every unit; negative ones in the
    /// dimensions that have no negative values: times, bytes, counts and
    /// rates. Percentages and units sloe does not know may be negative.
    pub fn absurd(&self, canonical: f64) -> Option<String> {
        if !canonical.is_finite() {
            // A finite value too large for the canonical unit (1e300 s in
            // ns) is infinite here too: say in which unit.
            return Some(format!(
                "expected a finite number, found {canonical} (in {})",
                self.canonical().symbol()
            ));
        }
        let kind = match self.dimension()? {
            Dimension::Time => "a time",
            Dimension::Bytes => "a size",
            Dimension::Count => "a count",
            Dimension::Rate => "a rate",
            Dimension::Percent => return None,
        };
        (canonical < 0.0).then(|| {
            format!(
                "expected {kind} of zero or more, found {} {}",
                self.from_canonical(canonical),
                self.symbol()
            )
        })
    }

    /// Whether values of `self` and `other` can be compared.
    pub fn compatible(&self, other: &Unit) -> bool {
        match (self.dimension(), other.dimension()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => self.symbol() == other.symbol(),
            _ => false,
        }
    }

    /// A readable unit of the same dimension for a canonical value
    /// (`1_500_000 ns` reads best as `ms`).
    pub fn readable_for(dimension: Dimension, canonical: f64) -> Unit {
        let v = canonical.abs();
        match dimension {
            Dimension::Time => {
                if v >= 3600e9 {
                    Unit::Hours
                } else if v >= 60e9 {
                    Unit::Minutes
                } else if v >= 1e9 {
                    Unit::Seconds
                } else if v >= 1e6 {
                    Unit::Milliseconds
                } else if v >= 1e3 {
                    Unit::Microseconds
                } else {
                    Unit::Nanoseconds
                }
            }
            Dimension::Bytes => {
                let k = 1024.0;
                if v >= k * k * k * k {
                    Unit::Tebibytes
                } else if v >= k * k * k {
                    Unit::Gibibytes
                } else if v >= k * k {
                    Unit::Mebibytes
                } else if v >= k {
                    Unit::Kibibytes
                } else {
                    Unit::Bytes
                }
            }
            d => d.canonical_unit(),
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.symbol())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(Unit::parse(&s))
    }
}

/// A number with a unit, as written in config: `0.85ms`, `4GiB`, `80%`, `1000/s`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantity {
    pub value: f64,
    pub unit: Unit,
}

/// Why a quantity could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    #[error(
        "read quantity {0:?}: expected a number followed by a unit, like 0.85ms, 20s, 4GiB, 80% or 1000/s"
    )]
    NoNumber(String),
    #[error(
        "read quantity {text:?}: unknown unit {unit:?}; expected one of ns, us, ms, s, min, h, d, B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, %, /s"
    )]
    UnknownUnit { text: String, unit: String },
    #[error("read quantity {0:?}: the value must be a finite number")]
    NotFinite(String),
}

impl Quantity {
    pub fn new(value: f64, unit: Unit) -> Self {
        Quantity { value, unit }
    }

    /// The value in the canonical unit of its dimension.
    pub fn canonical(&self) -> f64 {
        self.unit.to_canonical(self.value)
    }

    pub fn dimension(&self) -> Option<Dimension> {
        self.unit.dimension()
    }
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        let split = t
            .char_indices()
            .find(|&(i, c)| {
                !(c.is_ascii_digit()
                    || c == '.'
                    || c == '_'
                    || ((c == '-' || c == '+') && (i == 0 || t[..i].ends_with(['e', 'E'])))
                    || ((c == 'e' || c == 'E')
                        && i > 0
                        && t[i + c.len_utf8()..]
                            .chars()
                            .next()
                            .is_some_and(|n| n.is_ascii_digit() || n == '-' || n == '+')))
            })
            .map_or(t.len(), |(i, _)| i);
        let (num, unit) = t.split_at(split);
        let num: String = num.chars().filter(|&c| c != '_').collect();
        let value: f64 = num
            .parse()
            .map_err(|_| QuantityError::NoNumber(text.to_owned()))?;
        if !value.is_finite() {
            return Err(QuantityError::NotFinite(text.to_owned()));
        }
        let unit_text = unit.trim();
        let unit = Unit::parse_known(unit_text).ok_or_else(|| QuantityError::UnknownUnit {
            text: text.to_owned(),
            unit: unit_text.to_owned(),
        })?;
        Ok(Quantity { value, unit })
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            Unit::Percent | Unit::PerSecond => {
                write!(f, "{}{}", format_number(self.value), self.unit)
            }
            Unit::Count => write!(f, "{}", format_number(self.value)),
            // People read `µs`; `us` stays the symbol files and JSON carry.
            Unit::Microseconds => write!(f, "{} µs", format_number(self.value)),
            _ => write!(f, "{} {}", format_number(self.value), self.unit),
        }
    }
}

/// `canonical`, a value in the canonical unit of `unit`'s dimension, as a
/// quantity in that dimension's unit that reads best (`1_500_000` ns reads
/// `1.5 ms`, `3 * 2^20` bytes `3 MiB`); a unit without a dimension is kept.
/// Every "show this value" in a terminal goes through here.
pub fn readable(unit: &Unit, canonical: f64) -> Quantity {
    let unit = unit
        .dimension()
        .map_or_else(|| unit.clone(), |d| Unit::readable_for(d, canonical));
    Quantity {
        value: unit.from_canonical(canonical),
        unit,
    }
}

/// One display unit for a set of values that are shown together (a table
/// row, a chart), so they read side by side: `24.2 µs` and `1100000 µs`
/// rather than `0.0000242 s` beside `1.1 s`.
#[derive(Debug, Clone, PartialEq)]
pub struct Scale {
    symbol: String,
    /// Canonical units per display unit.
    factor: f64,
    /// Whether the symbol follows the number without a space (`80%`, `3k/s`).
    attached: bool,
}

/// SI prefixes for rates and counts, largest first.
const SI_PREFIXES: &[(&str, f64)] = &[("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)];

impl Scale {
    /// The scale for `canonical` values of a series stored with `unit`
    /// (the unit it was recorded or written in). The unit is kept while the
    /// values' median magnitude reads between 0.1 and 1000 in it (a budget
    /// written in `ms` shows `0.85 ms`); otherwise the unit of the same
    /// dimension where it reads between 1 and 1000 (`1777000 ns` reads
    /// `1.777 ms`, `0.000000000667 s` reads `0.667 ns`). Rates and counts
    /// from ten thousand up take an SI prefix (`343.6M/s`).
    pub fn for_values(unit: &Unit, canonical: &[f64]) -> Scale {
        let mut magnitudes: Vec<f64> = canonical
            .iter()
            .filter(|v| v.is_finite() && **v != 0.0)
            .map(|v| v.abs())
            .collect();
        magnitudes.sort_by(f64::total_cmp);
        let Some(&typical) = magnitudes.get(magnitudes.len() / 2) else {
            return Scale::of(unit);
        };
        match unit.dimension() {
            Some(Dimension::Time | Dimension::Bytes) => {
                let in_unit = unit.from_canonical(typical);
                if (0.1..1000.0).contains(&in_unit) {
                    return Scale::of(unit);
                }
                let decimal = matches!(
                    unit,
                    Unit::Kilobytes | Unit::Megabytes | Unit::Gigabytes | Unit::Terabytes
                );
                let readable = match unit.dimension() {
                    Some(Dimension::Bytes) if decimal => [
                        Unit::Terabytes,
                        Unit::Gigabytes,
                        Unit::Megabytes,
                        Unit::Kilobytes,
                    ]
                    .into_iter()
                    .find(|u| typical >= u.factor())
                    .unwrap_or(Unit::Bytes),
                    Some(d) => Unit::readable_for(d, typical),
                    None => unit.clone(),
                };
                Scale::of(&readable)
            }
            Some(Dimension::Rate | Dimension::Count) if typical >= 1e4 => {
                let base = Scale::of(unit);
                let (prefix, factor) = SI_PREFIXES
                    .iter()
                    .find(|(_, f)| typical >= *f)
                    .copied()
                    .unwrap_or(("", 1.0));
                Scale {
                    symbol: format!("{prefix}{}", base.symbol),
                    factor,
                    attached: base.attached,
                }
            }
            _ => Scale::of(unit),
        }
    }

    /// The scale of `unit` itself.
    pub fn of(unit: &Unit) -> Scale {
        let symbol = match unit {
            Unit::Microseconds => "µs",
            Unit::Count => "",
            u => u.symbol(),
        };
        Scale {
            symbol: symbol.to_owned(),
            factor: unit.factor(),
            attached: matches!(unit, Unit::Percent | Unit::PerSecond),
        }
    }

    /// The unit's symbol as shown (`µs`, `MiB`, `M/s`; empty for a count).
    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// A canonical value in this scale.
    pub fn value(&self, canonical: f64) -> f64 {
        canonical / self.factor
    }

    /// A canonical value as a number in this scale, about four
    /// significant digits.
    pub fn number(&self, canonical: f64) -> String {
        format_number(self.value(canonical))
    }

    /// A canonical value with the unit: `24.2 µs`, `80%`, `1.2k/s`, `42`.
    pub fn show(&self, canonical: f64) -> String {
        let n = self.number(canonical);
        match (self.symbol.is_empty(), self.attached) {
            (true, _) => n,
            (false, true) => format!("{n}{}", self.symbol),
            (false, false) => format!("{n} {}", self.symbol),
        }
    }
}

/// `canonical` values stored with `unit`, each shown in the one scale that
/// suits them all ([`Scale::for_values`]).
pub fn show_together(unit: &Unit, canonical: &[f64]) -> Vec<String> {
    let scale = Scale::for_values(unit, canonical);
    canonical.iter().map(|v| scale.show(*v)).collect()
}

/// Formats a number with about four significant digits, without trailing zeros.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    let decimals = if a == 0.0 || a >= 1000.0 {
        0
    } else if a >= 100.0 {
        1
    } else if a >= 10.0 {
        2
    } else if a >= 1.0 {
        3
    } else {
        // keep four significant digits for small values
        (4 - a.log10().floor() as i32 - 1).clamp(0, 12) as usize
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}{}", self.value, self.unit.symbol()))
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Quantity;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a quantity with a unit, like \"0.85ms\", \"4GiB\", \"80%\" or \"1000/s\"",
                )
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Quantity, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Quantity, E> {
                Ok(Quantity::new(v, Unit::Count))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Quantity, E> {
                Ok(Quantity::new(v as f64, Unit::Count))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Quantity, E> {
                Ok(Quantity::new(v as f64, Unit::Count))
            }
        }
        d.deserialize_any(V)
    }
}

impl schemars::JsonSchema for Quantity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Quantity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A number with a unit: 850us, 0.85ms, 20s, 8min, 1h, 4GiB, 500KB, 80%, 1000/s; a bare number is a count.",
            "anyOf": [
                { "type": "string", "pattern": "^\\s*[-+]?[0-9_]*\\.?[0-9_]+([eE][-+]?[0-9]+)?\\s*(ns|us|µs|μs|ms|s|min|h|d|B|KB|kB|MB|GB|TB|KiB|MiB|GiB|TiB|%|/s|1/s|ops/s)?\\s*$" },
                { "type": "number" }
            ]
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn absurd_values_are_named_by_their_dimension() {
        let ms = Unit::Milliseconds;
        assert_eq!(
            ms.absurd(ms.to_canonical(-2.0)).as_deref(),
            Some("expected a time of zero or more, found -2 ms")
        );
        assert_eq!(
            Unit::Mebibytes.absurd(-1024.0 * 1024.0).as_deref(),
            Some("expected a size of zero or more, found -1 MiB")
        );
        assert_eq!(
            Unit::Count.absurd(-1.0).as_deref(),
            Some("expected a count of zero or more, found -1 count")
        );
        assert!(Unit::PerSecond.absurd(-3.0).is_some());
        for unit in [ms.clone(), Unit::Percent, Unit::Other("points".into())] {
            for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                let why = unit.absurd(v).expect("non-finite is absurd in any unit");
                assert!(why.starts_with("expected a finite number, found "), "{why}");
            }
        }
        assert_eq!(
            Unit::Seconds
                .absurd(Unit::Seconds.to_canonical(1e300))
                .as_deref(),
            Some("expected a finite number, found inf (in ns)")
        );
        // Zero, and what may be negative: a percentage, an unknown unit.
        assert_eq!(ms.absurd(0.0), None);
        assert_eq!(ms.absurd(-0.0), None);
        assert_eq!(Unit::Percent.absurd(-5.0), None);
        assert_eq!(Unit::Other("points".into()).absurd(-5.0), None);
    }

    proptest::proptest! {
        #[test]
        fn finite_values_of_zero_or_more_are_never_absurd(v in 0.0f64..1e290) {
            for unit in [Unit::Seconds, Unit::Bytes, Unit::Count, Unit::PerSecond, Unit::Percent] {
                proptest::prop_assert_eq!(unit.absurd(unit.to_canonical(v)), None);
            }
        }

        #[test]
        fn negative_times_bytes_and_counts_always_are(v in -1e290f64..-1e-300) {
            for unit in [Unit::Nanoseconds, Unit::Hours, Unit::Gibibytes, Unit::Count] {
                proptest::prop_assert!(unit.absurd(unit.to_canonical(v)).is_some());
            }
        }
    }

    #[test]
    fn readable_picks_the_unit_of_the_magnitude() {
        let shown = |unit: Unit, v: f64| readable(&unit, v).to_string();
        assert_eq!(shown(Unit::Milliseconds, 1_500_000.0), "1.5 ms");
        assert_eq!(shown(Unit::Nanoseconds, 90e9), "1.5 min");
        assert_eq!(shown(Unit::Bytes, 3.0 * 1024.0 * 1024.0), "3 MiB");
        assert_eq!(shown(Unit::Kibibytes, 512.0), "512 B");
        assert_eq!(shown(Unit::Percent, 12.5), "12.5%");
        assert_eq!(shown(Unit::Count, 1234.0), "1234");
        // Without a dimension nothing is converted.
        let other = Unit::parse("widgets");
        assert_eq!(readable(&other, 3.0).unit, other);
        assert_eq!(readable(&other, 3.0).value, 3.0);
    }

    use super::*;

    fn q(s: &str) -> Quantity {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_times_into_nanoseconds() {
        assert_eq!(q("850us").canonical(), 850_000.0);
        assert_eq!(q("0.85ms").canonical(), 850_000.0);
        assert_eq!(q("20s").canonical(), 20e9);
        assert_eq!(q("8min").canonical(), 480e9);
        assert_eq!(q("1h").canonical(), 3600e9);
        assert_eq!(q("30d").canonical(), 30.0 * 86_400e9);
        assert_eq!(q("12ns").canonical(), 12.0);
        assert_eq!(q("3 µs").canonical(), 3000.0);
    }

    #[test]
    fn parses_bytes_decimal_and_binary() {
        assert_eq!(q("500KB").canonical(), 500_000.0);
        assert_eq!(q("4GiB").canonical(), 4.0 * 1024.0 * 1024.0 * 1024.0);
        assert_eq!(q("1KiB").canonical(), 1024.0);
        assert_eq!(q("2MB").canonical(), 2e6);
        assert_eq!(q("1TiB").canonical(), 1024f64.powi(4));
        assert_eq!(q("1TB").canonical(), 1e12);
        assert_eq!(q("10B").canonical(), 10.0);
    }

    #[test]
    fn parses_percent_rate_count_and_exponents() {
        assert_eq!(q("80%").canonical(), 80.0);
        assert_eq!(q("80%").dimension(), Some(Dimension::Percent));
        assert_eq!(q("1000/s").canonical(), 1000.0);
        assert_eq!(q("1000/s").dimension(), Some(Dimension::Rate));
        assert_eq!(q("42").dimension(), Some(Dimension::Count));
        assert_eq!(q("1e3ms").canonical(), 1e9);
        assert_eq!(q("1_000ns").canonical(), 1000.0);
        assert_eq!(q("-5%").canonical(), -5.0);
    }

    #[test]
    fn rejects_bad_quantities_with_a_reason() {
        assert!(matches!(
            "ms".parse::<Quantity>(),
            Err(QuantityError::NoNumber(_))
        ));
        assert!(matches!(
            "5 parsecs".parse::<Quantity>(),
            Err(QuantityError::UnknownUnit { .. })
        ));
        assert!(matches!(
            "".parse::<Quantity>(),
            Err(QuantityError::NoNumber(_))
        ));
        let msg = "3 lightyears".parse::<Quantity>().unwrap_err().to_string();
        assert!(msg.contains("lightyears") && msg.contains("GiB"), "{msg}");
    }

    #[test]
    fn units_compare_within_a_dimension_only() {
        assert!(Unit::Milliseconds.compatible(&Unit::Nanoseconds));
        assert!(!Unit::Milliseconds.compatible(&Unit::Bytes));
        assert!(Unit::parse("allocs/op").compatible(&Unit::parse("allocs/op")));
        assert!(!Unit::parse("allocs/op").compatible(&Unit::Count));
    }

    #[test]
    fn canonical_round_trip() {
        for (sym, _) in SPELLINGS {
            let u = Unit::parse(sym);
            let v = 1.2345;
            let back = u.from_canonical(u.to_canonical(v));
            assert!((back - v).abs() < 1e-12, "{sym}");
        }
    }

    #[test]
    fn readable_units() {
        assert_eq!(
            Unit::readable_for(Dimension::Time, 1.5e6),
            Unit::Milliseconds
        );
        assert_eq!(
            Unit::readable_for(Dimension::Time, 999.0),
            Unit::Nanoseconds
        );
        assert_eq!(
            Unit::readable_for(Dimension::Bytes, 3.0 * 1024.0 * 1024.0),
            Unit::Mebibytes
        );
    }

    #[test]
    fn a_scale_suits_the_magnitude_of_its_values() {
        let shown = |unit: Unit, v: &[f64]| show_together(&unit, v).join(" / ");
        // Unreadable forms seen by users, and what they read now.
        assert_eq!(shown(Unit::Nanoseconds, &[0.667]), "0.667 ns");
        assert_eq!(
            shown(Unit::Seconds, &[Unit::Seconds.to_canonical(0.000000000667)]),
            "0.667 ns"
        );
        assert_eq!(shown(Unit::Seconds, &[24_200.0]), "24.2 µs");
        assert_eq!(shown(Unit::Nanoseconds, &[1_777_000.0]), "1.777 ms");
        assert_eq!(shown(Unit::PerSecond, &[343_557_857.0]), "343.6M/s");
        assert_eq!(shown(Unit::PerSecond, &[1000.0]), "1000/s");
        assert_eq!(shown(Unit::BytesPerSecond, &[343_557_857.0]), "343.6 MB/s");
        assert_eq!(shown(Unit::BytesPerSecond, &[512.0]), "512 B/s");
        assert_eq!(shown(Unit::Count, &[1_234_567.0]), "1.235 M");
        // A row keeps one unit, chosen from its typical value.
        assert_eq!(
            shown(Unit::Nanoseconds, &[24_200.0, 24_300.0, 1.1e9]),
            "24.2 µs / 24.3 µs / 1100000 µs"
        );
        // The written unit stays while it reads well.
        assert_eq!(
            shown(Unit::Milliseconds, &[840_000.0, 850_000.0]),
            "0.84 ms / 0.85 ms"
        );
        assert_eq!(shown(Unit::Milliseconds, &[1.27e6]), "1.27 ms");
        assert_eq!(shown(Unit::Megabytes, &[3.5e9]), "3.5 GB");
        assert_eq!(shown(Unit::Bytes, &[3.0 * 1024.0 * 1024.0]), "3 MiB");
        assert_eq!(shown(Unit::Percent, &[0.001]), "0.001%");
        assert_eq!(shown(Unit::Milliseconds, &[0.0]), "0 ms");
        assert_eq!(
            shown(Unit::parse("allocs/op"), &[123_456.0]),
            "123456 allocs/op"
        );
    }

    #[test]
    fn formats_numbers_compactly() {
        assert_eq!(format_number(1.27), "1.27");
        assert_eq!(format_number(1200.0), "1200");
        assert_eq!(format_number(0.000123456), "0.0001235");
        assert_eq!(format_number(10.5), "10.5");
    }
}
