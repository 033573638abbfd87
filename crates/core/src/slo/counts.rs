//! Good/total event counts in one-minute buckets with prefix sums, so the
//! counts of any window are two subtractions, however long the window.

use jiff::{SignedDuration, Timestamp};

/// Good and total events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub good: u64,
    pub total: u64,
}

impl Counts {
    pub fn bad(self) -> u64 {
        self.total.saturating_sub(self.good)
    }
}

/// Anything that knows the good and total events of a window `[from, to)`.
pub trait CountSource {
    fn range(&self, from: Timestamp, to: Timestamp) -> Counts;

    /// The time of the last event at or before `at`, when the source can
    /// tell (a query engine answering window counts cannot).
    fn last_event(&self, _at: Timestamp) -> Option<Timestamp> {
        None
    }

    /// Whether any window can be asked for, so that the past can be walked
    /// minute by minute (when a spent budget ran out); a query engine's
    /// answers hold only the windows asked for.
    fn answers_any_window(&self) -> bool {
        true
    }
}

impl CountSource for MinuteCounts {
    fn range(&self, from: Timestamp, to: Timestamp) -> Counts {
        MinuteCounts::range(self, from, to)
    }

    fn last_event(&self, at: Timestamp) -> Option<Timestamp> {
        MinuteCounts::last_event(self, at)
    }
}

/// The counts of a few windows, as a query engine answers them (`sloe slo
/// status --prometheus`): `windows` all end at `at`; `earlier` holds
/// other windows by their end (an AlertCondition's `alertAfter` looks back
/// minute by minute; timeslice budgeting reads every slice). Any other
/// window is empty.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowCounts {
    pub at: Timestamp,
    pub windows: Vec<(SignedDuration, Counts)>,
    /// `(end, length, counts)`.
    pub earlier: Vec<(Timestamp, SignedDuration, Counts)>,
}

impl CountSource for WindowCounts {
    fn answers_any_window(&self) -> bool {
        false
    }

    fn range(&self, from: Timestamp, to: Timestamp) -> Counts {
        let len = to.duration_since(from);
        let now = (to == self.at)
            .then(|| self.windows.iter().find(|(w, _)| *w == len))
            .flatten()
            .map(|(_, c)| *c);
        now.or_else(|| {
            self.earlier
                .iter()
                .find(|(end, w, _)| *end == to && *w == len)
                .map(|(_, _, c)| *c)
        })
        .unwrap_or_default()
    }
}

/// Events bucketed by minute (bucket `m` holds events with
/// `m * 60 <= unix seconds < (m + 1) * 60`), as prefix sums.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinuteCounts {
    first_minute: i64,
    /// `good[i]` = good events in buckets before `first_minute + i`.
    good: Vec<u64>,
    total: Vec<u64>,
    /// The distinct times of events with a total above 0, sorted: the
    /// buckets keep only the minute, and staleness wants the last instant.
    times: Vec<Timestamp>,
}

fn minute_of(t: Timestamp) -> i64 {
    t.as_second().div_euclid(60)
}

impl MinuteCounts {
    /// Builds the buckets from `(time, good, total)` events in any order.
    pub fn from_events(events: &[(Timestamp, u64, u64)]) -> MinuteCounts {
        let Some(first) = events.iter().map(|e| minute_of(e.0)).min() else {
            return MinuteCounts::default();
        };
        let last = events.iter().map(|e| minute_of(e.0)).max().unwrap_or(first);
        let n = usize::try_from(last - first + 1).unwrap_or(0);
        let mut good = vec![0u64; n];
        let mut total = vec![0u64; n];
        for (t, g, tot) in events {
            let i = usize::try_from(minute_of(*t) - first).unwrap_or(0);
            good[i] += g.min(tot);
            total[i] += tot;
        }
        let prefix = |v: Vec<u64>| {
            let mut out = Vec::with_capacity(v.len() + 1);
            out.push(0u64);
            let mut acc = 0u64;
            for x in v {
                acc = acc.saturating_add(x);
                out.push(acc);
            }
            out
        };
        let mut times: Vec<Timestamp> = events.iter().filter(|e| e.2 > 0).map(|e| e.0).collect();
        times.sort_unstable();
        times.dedup();
        MinuteCounts {
            first_minute: first,
            good: prefix(good),
            total: prefix(total),
            times,
        }
    }

    /// The time of the last event at or before `at` (events without a
    /// total, which count nothing, are not events).
    pub fn last_event(&self, at: Timestamp) -> Option<Timestamp> {
        let after = self.times.partition_point(|t| *t <= at);
        after.checked_sub(1).map(|i| self.times[i])
    }

    /// Index into the prefix arrays for the first bucket starting at or after `t`.
    fn index(&self, t: Timestamp) -> usize {
        let m = t.as_second().div_euclid(60)
            + i64::from(t.as_second().rem_euclid(60) != 0 || t.subsec_nanosecond() != 0);
        let i = (m - self.first_minute).clamp(0, self.good.len().saturating_sub(1) as i64);
        usize::try_from(i).unwrap_or(0)
    }

    /// Events in buckets that start in `[from, to)`.
    pub fn range(&self, from: Timestamp, to: Timestamp) -> Counts {
        if self.good.is_empty() || from >= to {
            return Counts::default();
        }
        let (a, b) = (self.index(from), self.index(to));
        if b <= a {
            return Counts::default();
        }
        Counts {
            good: self.good[b] - self.good[a],
            total: self.total[b] - self.total[a],
        }
    }

    /// Timeslices of length `slice` in `[from, to)`: how many were good (a
    /// slice is good when its ratio reaches `slice_target`; a slice without
    /// events is good: no traffic spends no budget) and how many there were.
    pub fn timeslices(
        &self,
        from: Timestamp,
        to: Timestamp,
        slice: SignedDuration,
        slice_target: f64,
    ) -> (u64, u64) {
        timeslices_by(|a, b| self.range(a, b), from, to, slice, slice_target)
    }
}

/// Good and all timeslices of length `slice` in `[from, to)` over any
/// source of window counts `range` (a slice without events is good).
pub(crate) fn timeslices_by(
    range: impl Fn(Timestamp, Timestamp) -> Counts,
    from: Timestamp,
    to: Timestamp,
    slice: SignedDuration,
    slice_target: f64,
) -> (u64, u64) {
    let (mut good, mut all) = (0u64, 0u64);
    let mut t = from;
    while t < to {
        let next = t.checked_add(slice).unwrap_or(to).min(to);
        let c = range(t, next);
        all += 1;
        if c.total == 0 || c.good as f64 >= slice_target * c.total as f64 {
            good += 1;
        }
        t = next;
    }
    (good, all)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn window_counts_are_prefix_differences() {
        let c = MinuteCounts::from_events(&[
            (ts("2026-11-23T10:00:30Z"), 990, 1000),
            (ts("2026-11-23T10:01:00Z"), 5, 10),
            (ts("2026-11-23T10:05:59Z"), 7, 7),
        ]);
        assert_eq!(
            c.range(ts("2026-11-23T10:00:00Z"), ts("2026-11-23T10:06:00Z")),
            Counts {
                good: 1002,
                total: 1017
            }
        );
        // [10:01, 10:05): only the 10:01 bucket
        assert_eq!(
            c.range(ts("2026-11-23T10:01:00Z"), ts("2026-11-23T10:05:00Z")),
            Counts { good: 5, total: 10 }
        );
        // a window starting mid-minute leaves that minute's bucket out
        assert_eq!(
            c.range(ts("2026-11-23T10:00:30Z"), ts("2026-11-23T10:02:00Z")),
            Counts { good: 5, total: 10 }
        );
        // outside the data, and empty windows
        assert_eq!(
            c.range(ts("2026-11-22T00:00:00Z"), ts("2026-11-23T00:00:00Z")),
            Counts::default()
        );
        assert_eq!(
            c.range(ts("2026-11-23T10:06:00Z"), ts("2026-11-23T10:00:00Z")),
            Counts::default()
        );
        assert_eq!(
            MinuteCounts::default().range(ts("2026-11-22T00:00:00Z"), ts("2026-11-23T00:00:00Z")),
            Counts::default()
        );
    }

    #[test]
    fn good_never_exceeds_total() {
        let c = MinuteCounts::from_events(&[(ts("2026-11-23T10:00:00Z"), 20, 10)]);
        assert_eq!(
            c.range(ts("2026-11-23T10:00:00Z"), ts("2026-11-23T10:01:00Z")),
            Counts {
                good: 10,
                total: 10
            }
        );
    }

    #[test]
    fn the_last_event_is_the_latest_at_or_before_the_moment() {
        let c = MinuteCounts::from_events(&[
            (ts("2026-11-23T10:05:59Z"), 7, 7),
            (ts("2026-11-23T10:00:30Z"), 990, 1000),
            // no events: not the last one
            (ts("2026-11-23T10:07:00Z"), 0, 0),
        ]);
        assert_eq!(
            c.last_event(ts("2026-11-23T12:00:00Z")),
            Some(ts("2026-11-23T10:05:59Z"))
        );
        // exactly at the moment counts; later ones do not
        assert_eq!(
            c.last_event(ts("2026-11-23T10:05:59Z")),
            Some(ts("2026-11-23T10:05:59Z"))
        );
        assert_eq!(
            c.last_event(ts("2026-11-23T10:05:58Z")),
            Some(ts("2026-11-23T10:00:30Z"))
        );
        assert_eq!(c.last_event(ts("2026-11-23T10:00:29Z")), None);
        assert_eq!(
            MinuteCounts::default().last_event(ts("2026-11-23T10:00:00Z")),
            None
        );
    }

    #[test]
    fn timeslices() {
        // three 1-minute slices: 99 % good, 90 % good, empty
        let c = MinuteCounts::from_events(&[
            (ts("2026-11-23T10:00:00Z"), 99, 100),
            (ts("2026-11-23T10:01:00Z"), 90, 100),
        ]);
        let (good, all) = c.timeslices(
            ts("2026-11-23T10:00:00Z"),
            ts("2026-11-23T10:03:00Z"),
            SignedDuration::from_mins(1),
            0.95,
        );
        assert_eq!((good, all), (2, 3));
    }
}
