//! Progress for people: an indicatif bar on stderr showing simulated time against the run's duration
//! and events per second (or, for a sweep, seeds done and failing), only when stderr is a terminal and
//! not `--quiet`; and the stopwatch behind the sweep's seeds-per-second line.
//!
//! Owns: the only wall-clock reads in chordsim. Nothing measured here reaches a report, a summary or
//! any file, so outputs stay byte-identical.
//! Never: influence a run (it only receives numbers), or draw when stderr is not a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Should a bar be drawn? Only on a terminal, and not with `--quiet`.
pub fn wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// Wall-clock time since a start.
pub struct Stopwatch(Instant);

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch(Instant::now())
    }

    pub fn secs(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// `12.3 k`, `4.56 M`: a rate for a progress line.
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
    pub fn new(show: bool, duration_us: u64) -> RunProgress {
        let len = duration_us.div_ceil(1_000_000).max(1);
        let bar = show.then(|| bar(len, "{elapsed:>4} [{bar:20}] sim {msg}"));
        RunProgress { bar, clock: Stopwatch::start(), duration_s: duration_us as f64 / 1e6 }
    }

    /// After each round of simulated time.
    pub fn step(&self, now_us: u64, events: u64) {
        let Some(b) = &self.bar else { return };
        let rate = events as f64 / self.clock.secs().max(1e-9);
        b.set_position(now_us / 1_000_000);
        b.set_message(format!(
            "{:.1}/{:.1} s · {}events · {}events/s",
            now_us as f64 / 1e6,
            self.duration_s,
            si(events as f64),
            si(rate)
        ));
    }

    /// Prints a line on stdout without tearing the bar.
    pub fn println(&self, line: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The bar of a sweep: seeds done out of the total, and how many did not match `expect`.
pub struct SweepProgress {
    bar: Option<ProgressBar>,
    failing: std::sync::atomic::AtomicU64,
}

impl SweepProgress {
    pub fn new(show: bool, seeds: u64) -> SweepProgress {
        let bar = show.then(|| bar(seeds, "{elapsed:>4} [{bar:20}] {pos}/{len} seeds · {per_sec} · {msg}"));
        SweepProgress { bar, failing: Default::default() }
    }

    /// After each seed (called from worker threads).
    pub fn done(&self, failed: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        let f = self.failing.fetch_add(failed as u64, Relaxed) + failed as u64;
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
