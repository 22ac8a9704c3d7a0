//! Progress for people: an indicatif bar on stderr showing simulated time against the run's duration
//! and events per second (or, for a sweep, seeds done and failing), only when stderr is a terminal and
//! not `--quiet`; and the stopwatch behind the sweep's seeds-per-second line.
//!
//! Owns: the only wall-clock reads in chordsim. Nothing measured here reaches a report, a summary or
//! any file, so outputs stay byte-identical.
//! Never: influence a run (it only receives numbers), or draw when stderr is not a terminal.

use crate::time::Time;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Should a bar be drawn? Only on a terminal, and not with `--quiet`.
#[must_use]
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// Wall-clock time since a start.
pub struct Stopwatch(Instant);

impl Stopwatch {
    #[must_use]
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    #[must_use]
    pub fn secs(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// Monotonic wall-clock seconds since the first call (the clock the CLI installs in the engine with
/// `sim::set_wall_clock`).
pub fn wall_secs() -> f64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// `12.3 k`, `4.56 M`: a rate for a progress line.
#[must_use]
pub fn si(v: f64) -> String {
    match v {
        v if v >= 1e9 => format!("{:.2} G", v / 1e9),
        v if v >= 1e6 => format!("{:.2} M", v / 1e6),
        v if v >= 1e3 => format!("{:.1} k", v / 1e3),
        v => format!("{v:.0} "),
    }
}

fn bar(len: u64, template: &str) -> ProgressBar {
    let b = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        b.set_style(style.progress_chars("=> "));
    }
    b
}

/// The bar of one run: simulated seconds out of the duration, events per second of wall time.
pub struct RunProgress {
    bar: Option<ProgressBar>,
    clock: Stopwatch,
    duration_s: f64,
}

impl RunProgress {
    #[must_use]
    pub fn new(show: bool, duration_us: u64) -> RunProgress {
        let len = duration_us.div_ceil(1_000_000).max(1);
        let bar = show.then(|| bar(len, "{elapsed:>4} [{bar:20}] sim {msg}"));
        RunProgress { bar, clock: Stopwatch::start(), duration_s: Time(duration_us).as_secs_f64() }
    }

    /// After each round of simulated time.
    pub fn step(&self, now_us: u64, events: u64) {
        let Some(b) = &self.bar else { return };
        let rate = events as f64 / self.clock.secs().max(1e-9);
        b.set_position(now_us / 1_000_000);
        b.set_message(format!(
            "{:.1}/{:.1} s · {}events · {}events/s",
            Time(now_us).as_secs_f64(),
            self.duration_s,
            si(events as f64),
            si(rate)
        ));
    }

    /// Prints a line on stdout without tearing the bar.
    pub fn println(&self, line: &str) {
        if let Some(b) = &self.bar { b.suspend(|| crate::outln!("{line}")) } else { crate::outln!("{line}") }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Events per wall-clock second in each tenth of simulated time (`--timing`): the check that a run's
/// rate does not collapse as it goes (issue "Scale and speed": last tenth ≥ 80 % of the first).
pub struct TenthRates {
    clock: Stopwatch,
    duration_us: u64,
    /// (wall seconds, events) when simulated time first reached each tenth boundary; [0] is the start.
    marks: std::cell::RefCell<Vec<(f64, u64)>>,
    /// Wall seconds the per-round checker took so far, and the wall seconds at that reading.
    checker: std::cell::Cell<(f64, f64)>,
}

impl TenthRates {
    #[must_use]
    pub fn new(duration_us: u64) -> TenthRates {
        TenthRates {
            clock: Stopwatch::start(),
            duration_us: duration_us.max(1),
            marks: vec![(0.0, 0)].into(),
            checker: std::cell::Cell::default(),
        }
    }

    /// After each round of simulated time; `check_secs`: wall seconds spent in the checker so far.
    pub fn step(&self, now_us: u64, events: u64, check_secs: f64) {
        self.checker.set((check_secs, self.clock.secs()));
        let mut m = self.marks.borrow_mut();
        let tenth = (now_us.saturating_mul(10) / self.duration_us).min(10) as usize;
        while m.len() <= tenth {
            m.push((self.clock.secs(), events));
        }
    }

    /// Events/s of each tenth that was reached, in order.
    pub fn rates(&self) -> Vec<f64> {
        let m = self.marks.borrow();
        m.windows(2).map(|w| (w[1].1 - w[0].1) as f64 / (w[1].0 - w[0].0).max(1e-9)).collect()
    }

    /// One line for stderr: the rate per tenth and the last tenth as a share of the first.
    pub fn summary(&self) -> String {
        let r = self.rates();
        let list: Vec<String> = r.iter().map(|&x| si(x)).collect();
        let share = match (r.first(), r.last()) {
            (Some(&a), Some(&b)) if a > 0.0 => format!("; last tenth {:.0} % of the first", 100.0 * b / a),
            _ => String::new(),
        };
        let (check, wall) = self.checker.get();
        let checker = format!("; checker {check:.2} s of {wall:.2} s ({:.0} %)", 100.0 * check / wall.max(1e-9));
        format!("timing: events/s by tenth of simulated time: {}{share}{checker}", list.join(", "))
    }
}

/// The bar of a sweep: seeds done out of the total, and how many did not match `expect`.
pub struct SweepProgress {
    bar: Option<ProgressBar>,
    failing: std::sync::atomic::AtomicU64,
}

impl SweepProgress {
    #[must_use]
    pub fn new(show: bool, seeds: u64) -> SweepProgress {
        let bar = show.then(|| bar(seeds, "{elapsed:>4} [{bar:20}] {pos}/{len} seeds · {per_sec} · {msg}"));
        SweepProgress { bar, failing: std::sync::atomic::AtomicU64::default() }
    }

    /// After each seed (called from worker threads).
    pub fn done(&self, failed: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let f = self.failing.fetch_add(u64::from(failed), Relaxed) + u64::from(failed);
        if let Some(b) = &self.bar {
            b.inc(1);
            b.set_message(format!("{f} failing"));
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_short() {
        assert_eq!(si(950.0), "950 ");
        assert_eq!(si(12_345.0), "12.3 k");
        assert_eq!(si(4_560_000.0), "4.56 M");
    }

    #[test]
    fn tenths_are_marked_once_each() {
        let t = TenthRates::new(1_000);
        for now in (0..=1_000).step_by(50) {
            t.step(now, now * 3, 0.0);
        }
        assert_eq!(t.marks.borrow().len(), 11);
        assert_eq!(t.rates().len(), 10);
        assert!(t.summary().starts_with("timing: events/s by tenth"));
    }

    #[test]
    fn hidden_bars_do_nothing() {
        let p = RunProgress::new(false, 10_000_000);
        p.step(5_000_000, 100);
        p.finish();
        let s = SweepProgress::new(false, 3);
        s.done(true);
        s.done(false);
        s.finish();
        assert_eq!(s.failing.load(std::sync::atomic::Ordering::Relaxed), 1);
    }
}
