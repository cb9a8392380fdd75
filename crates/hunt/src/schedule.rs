//! When a rule would have run: its look-back windows over historical data.
//!
//! A rule with `time_range_s = R` and `run_frequency_s = F` runs at every
//! `t_k = k * F` (seconds since the Unix epoch, as a cron would) and each run sees
//! the events in `[t_k - R, t_k)`: half-open, so with `F = R` consecutive runs see
//! each event exactly once. Without `run_frequency_s` the rule steps by `R`
//! (tumbling windows); without `time_range_s` it uses [`DEFAULT_TIME_RANGE_S`].

use trailhunt_rules::Rule;

/// The look-back of a rule without `time_range_s` (a saved query, a converted Sigma rule).
pub const DEFAULT_TIME_RANGE_S: u64 = 3600;
/// The step of a rule without either schedule key.
pub const DEFAULT_RUN_FREQUENCY_S: u64 = 300;

const NS: i64 = 1_000_000_000;
/// One year: longer look-backs or steps are clamped, so window arithmetic never overflows.
const MAX_S: u64 = 366 * 86_400;

/// A rule's schedule, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// How far back each run looks.
    pub range_ns: i64,
    /// Time between runs.
    pub step_ns: i64,
}

impl Schedule {
    /// The schedule of `rule` (see the module docs for the defaults).
    pub fn of(rule: &Rule) -> Schedule {
        let (range, step) = match (rule.time_range_s, rule.run_frequency_s) {
            (Some(r), Some(f)) => (r, f),
            (Some(r), None) => (r, r),
            (None, Some(f)) => (DEFAULT_TIME_RANGE_S, f),
            (None, None) => (DEFAULT_TIME_RANGE_S, DEFAULT_RUN_FREQUENCY_S),
        };
        Schedule::new(range, step)
    }

    /// A schedule looking back `range_s` every `step_s` seconds (each at least 1 s,
    /// at most a year).
    pub fn new(range_s: u64, step_s: u64) -> Schedule {
        let clamp = |s: u64| s.clamp(1, MAX_S) as i64 * NS;
        Schedule {
            range_ns: clamp(range_s),
            step_ns: clamp(step_s),
        }
    }

    /// The events run `k` sees: `[k * step - range, k * step)`.
    pub fn window(&self, k: i64) -> (i64, i64) {
        let end = k.saturating_mul(self.step_ns);
        (end.saturating_sub(self.range_ns), end)
    }

    /// The runs that see an event at `t`: every `k` with `t_k - range <= t < t_k`.
    pub fn runs_seeing(&self, t: i64) -> std::ops::RangeInclusive<i64> {
        let first = t.div_euclid(self.step_ns) + 1;
        let last = t.saturating_add(self.range_ns).div_euclid(self.step_ns);
        first..=last
    }

    /// The runs that see any instant of `[from, to]`.
    pub fn runs_between(&self, from: i64, to: i64) -> std::ops::RangeInclusive<i64> {
        *self.runs_seeing(from).start()..=*self.runs_seeing(to).end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_run_seeing_an_event_contains_it() {
        let s = Schedule::new(3600, 300);
        for t in [
            0,
            1,
            299 * NS,
            300 * NS,
            301 * NS + 7,
            -5 * NS,
            1_709_254_800 * NS,
        ] {
            let runs = s.runs_seeing(t);
            assert_eq!(runs.clone().count(), 12, "t = {t}");
            for k in runs.clone() {
                let (a, b) = s.window(k);
                assert!(a <= t && t < b, "run {k} = [{a}, {b}) misses {t}");
            }
            let (a, b) = s.window(runs.start() - 1);
            assert!(!(a <= t && t < b));
            let (a, b) = s.window(runs.end() + 1);
            assert!(!(a <= t && t < b));
        }
    }

    #[test]
    fn tumbling_windows_see_each_event_once() {
        let s = Schedule::new(600, 600);
        assert_eq!(s.runs_seeing(600 * NS), 2..=2);
        assert_eq!(s.window(2), (600 * NS, 1200 * NS));
    }

    #[test]
    fn gaps_between_runs_see_nothing() {
        let s = Schedule::new(60, 300);
        assert!(s.runs_seeing(100 * NS).is_empty());
        assert_eq!(s.runs_seeing(250 * NS), 1..=1);
    }

    #[test]
    fn absurd_schedules_are_clamped() {
        let s = Schedule::new(0, u64::MAX);
        assert_eq!(s.range_ns, NS);
        assert_eq!(s.step_ns, MAX_S as i64 * NS);
        let _ = s.runs_seeing(i64::MAX);
        let _ = s.window(i64::MAX);
    }
}
