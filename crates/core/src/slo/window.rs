//! SLO windows: rolling (`30d`, `4w`, `12h`) and calendar (day, week,
//! month, quarter, year) in UTC or a named time zone.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan, Zoned};

/// A calendar period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarUnit {
    Day,
    /// ISO weeks, Monday to Monday.
    Week,
    Month,
    Quarter,
    Year,
}

/// The span of time an SLO is judged over.
#[derive(Debug, Clone, PartialEq)]
pub enum Window {
    /// The last `length` before the time of judgement.
    Rolling(SignedDuration),
    /// The calendar period containing the time of judgement.
    Calendar { unit: CalendarUnit, tz: TimeZone },
}

/// Why a window could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "read window {0:?}: expected a rolling length like 30d, 4w, 12h or 90m, or a calendar period: day, week, month, quarter, year"
)]
pub struct WindowError(pub String);

/// Parses a rolling length: `30d`, `4w`, `12h`, `90m` or `90min`, `45s`.
/// (OpenSLO's `M` for month is a calendar period, never minutes.)
pub fn parse_length(text: &str) -> Option<SignedDuration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().ok().filter(|n| *n > 0)?;
    let secs = match unit {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(secs).map(SignedDuration::from_secs)
}

impl FromStr for Window {
    type Err = WindowError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unit = match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Some(CalendarUnit::Day),
            "week" | "weekly" => Some(CalendarUnit::Week),
            "month" | "monthly" => Some(CalendarUnit::Month),
            "quarter" | "quarterly" => Some(CalendarUnit::Quarter),
            "year" | "yearly" => Some(CalendarUnit::Year),
            _ => None,
        };
        match unit {
            Some(unit) => Ok(Window::Calendar {
                unit,
                tz: TimeZone::UTC,
            }),
            None => parse_length(s)
                .map(Window::Rolling)
                .ok_or_else(|| WindowError(s.to_owned())),
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Window::Rolling(d) => {
                let s = d.as_secs();
                if s % 86_400 == 0 {
                    write!(f, "{}d", s / 86_400)
                } else if s % 3600 == 0 {
                    write!(f, "{}h", s / 3600)
                } else if s % 60 == 0 {
                    write!(f, "{}m", s / 60)
                } else {
                    write!(f, "{s}s")
                }
            }
            Window::Calendar { unit, .. } => f.write_str(match unit {
                CalendarUnit::Day => "day",
                CalendarUnit::Week => "week",
                CalendarUnit::Month => "month",
                CalendarUnit::Quarter => "quarter",
                CalendarUnit::Year => "year",
            }),
        }
    }
}

impl Window {
    /// A calendar window in time zone `tz` instead of UTC.
    pub fn in_zone(self, tz: TimeZone) -> Window {
        match self {
            Window::Calendar { unit, .. } => Window::Calendar { unit, tz },
            rolling => rolling,
        }
    }

    /// The window that holds `at`: `[start, end)`. For a rolling window the
    /// end is `at` itself; for a calendar window it is the period's end.
    pub fn bounds(&self, at: Timestamp) -> (Timestamp, Timestamp) {
        match self {
            Window::Rolling(len) => (at.checked_sub(*len).unwrap_or(Timestamp::MIN), at),
            Window::Calendar { unit, tz } => {
                let z = at.to_zoned(tz.clone());
                let start = period_start(z.date(), *unit);
                let end = match unit {
                    CalendarUnit::Day => start.checked_add(1.day()),
                    CalendarUnit::Week => start.checked_add(7.days()),
                    CalendarUnit::Month => start.checked_add(1.month()),
                    CalendarUnit::Quarter => start.checked_add(3.months()),
                    CalendarUnit::Year => start.checked_add(1.year()),
                }
                .unwrap_or(start);
                (midnight(start, tz), midnight(end, tz))
            }
        }
    }

    /// How long the window is at `at` (a calendar month has 28 to 31 days).
    pub fn length(&self, at: Timestamp) -> SignedDuration {
        let (start, end) = self.bounds(at);
        end.duration_since(start)
    }
}

fn period_start(d: Date, unit: CalendarUnit) -> Date {
    let first_of = |month: i8| Date::new(d.year(), month, 1).unwrap_or(d);
    match unit {
        CalendarUnit::Day => d,
        CalendarUnit::Week => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(back.days()).unwrap_or(d)
        }
        CalendarUnit::Month => first_of(d.month()),
        CalendarUnit::Quarter => first_of((d.month() - 1) / 3 * 3 + 1),
        CalendarUnit::Year => first_of(1),
    }
}

fn midnight(d: Date, tz: &TimeZone) -> Timestamp {
    d.to_zoned(tz.clone())
        .map_or(Timestamp::MIN, |z: Zoned| z.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn parses_rolling_and_calendar() {
        assert_eq!(
            "30d".parse::<Window>(),
            Ok(Window::Rolling(SignedDuration::from_hours(720)))
        );
        assert_eq!(
            "4w".parse::<Window>(),
            Ok(Window::Rolling(SignedDuration::from_hours(672)))
        );
        assert_eq!(
            "90m".parse::<Window>(),
            Ok(Window::Rolling(SignedDuration::from_mins(90)))
        );
        assert!(matches!(
            "month".parse::<Window>(),
            Ok(Window::Calendar {
                unit: CalendarUnit::Month,
                ..
            })
        ));
        assert!("30x".parse::<Window>().is_err());
        assert!("0d".parse::<Window>().is_err());
        assert!(
            "1M".parse::<Window>().is_err(),
            "M is a month in OpenSLO, never minutes"
        );
        assert_eq!(
            "30d".parse::<Window>().map(|w| w.to_string()),
            Ok("30d".to_owned())
        );
    }

    #[test]
    fn calendar_months_have_28_to_31_days() {
        let month: Window = "month".parse().expect("window");
        // 2026 is not a leap year; 2028 is.
        for (at, days) in [
            ("2026-02-14T12:00:00Z", 28),
            ("2028-02-29T23:59:59Z", 29),
            ("2026-04-01T00:00:00Z", 30),
            ("2026-12-31T23:59:59Z", 31),
        ] {
            assert_eq!(
                month.length(ts(at)),
                SignedDuration::from_hours(24 * days),
                "{at}"
            );
        }
        let (start, end) = month.bounds(ts("2026-11-23T10:00:00Z"));
        assert_eq!(
            (start, end),
            (ts("2026-11-01T00:00:00Z"), ts("2026-12-01T00:00:00Z"))
        );
    }

    #[test]
    fn weeks_quarters_years_and_days() {
        // 2026-11-23 is a Monday; 2026-11-29 a Sunday.
        let week: Window = "week".parse().expect("window");
        assert_eq!(
            week.bounds(ts("2026-11-29T23:00:00Z")).0,
            ts("2026-11-23T00:00:00Z")
        );
        assert_eq!(
            week.bounds(ts("2026-11-23T00:00:00Z")).0,
            ts("2026-11-23T00:00:00Z")
        );
        let q: Window = "quarter".parse().expect("window");
        assert_eq!(
            q.bounds(ts("2026-11-23T10:00:00Z")),
            (ts("2026-10-01T00:00:00Z"), ts("2027-01-01T00:00:00Z"))
        );
        let y: Window = "year".parse().expect("window");
        assert_eq!(
            y.length(ts("2028-06-01T00:00:00Z")),
            SignedDuration::from_hours(24 * 366)
        );
        let d: Window = "day".parse().expect("window");
        assert_eq!(
            d.bounds(ts("2026-11-23T10:00:00Z")).1,
            ts("2026-11-24T00:00:00Z")
        );
    }

    #[test]
    fn calendar_windows_in_a_time_zone() {
        let tz = TimeZone::get("Europe/Berlin").expect("tz database");
        let day = "day".parse::<Window>().expect("window").in_zone(tz);
        // 23:30 UTC on Nov 23 is already Nov 24 in Berlin (UTC+1).
        let (start, end) = day.bounds(ts("2026-11-23T23:30:00Z"));
        assert_eq!(start, ts("2026-11-23T23:00:00Z"));
        assert_eq!(end, ts("2026-11-24T23:00:00Z"));
        // The day clocks go back in Berlin (2026-10-25) has 25 hours.
        assert_eq!(
            day.length(ts("2026-10-25T12:00:00Z")),
            SignedDuration::from_hours(25)
        );
    }

    #[test]
    fn rolling_window_ends_at_the_time_of_judgement() {
        let w: Window = "1h".parse().expect("window");
        assert_eq!(
            w.bounds(ts("2026-11-23T10:00:00Z")),
            (ts("2026-11-23T09:00:00Z"), ts("2026-11-23T10:00:00Z"))
        );
    }
}
