//! Running a scenario end to end: [`Run`], the one way to build a simulation's run, advance it round
//! by round (so callers can show progress, feed the plots' [`Capture`], or pause for a checkpoint),
//! and produce the report.
//!
//! Owns: the loop that drives [`Sim::run_until`] one round of simulated time at a time and the truth's
//! bookkeeping between rounds, and the mapping of a finished run to its [`Report`] (with the failure
//! explained, `diagnose`). Shared by the CLI, the tests, sweeps, replays, the determinism check and
//! checkpoints.
//! Never: print or touch files (callers decide), or read the wall clock.

use crate::oracle::checker::RoundRow;
use crate::output::plot::Capture;
use crate::output::report::{self, Report};
use crate::output::trace::Observer;
use crate::scenario::Scenario;
use crate::sim::engine::{Sim, Stop};

/// A run being set up or under way. Build it with [`Run::new`] (or [`Run::of`] for a simulation
/// restored from a checkpoint), add what to watch, then [`Run::finish`] it — or [`Run::report`] for a
/// scripted event that misses to be an error:
///
/// ```
/// use chordsim::{scenario::Scenario, tools::run::Run};
/// let text = "duration_s = 300\n[initial]\nnodes = 8\n[protocol]\nstabilize_interval_ms = 10000";
/// let sc = Scenario::parse(text, "<doc>", "doc").expect("valid");
/// let mut rounds = 0;
/// let done = Run::new(sc).expect("builds").on_row(|_| rounds += 1).finish();
/// assert_eq!(done.report.verdict.verdict.name(), "pass");
/// assert_eq!(rounds, done.report.rounds.len());
/// ```
pub struct Run<'a> {
    sim: Sim,
    capture: Option<&'a mut Capture>,
    on_row: Box<dyn FnMut(&RoundRow) + 'a>,
    on_step: Box<dyn FnMut(&Sim) + 'a>,
    /// Rows already passed to `on_row`.
    shown: usize,
    /// How the run ended, once it has (a pause that came after the end).
    ended: Option<Stop>,
}

/// A finished run: its report, and the simulation as it ended (for its observer).
pub struct Finished {
    pub report: Report,
    pub sim: Sim,
}

impl Finished {
    /// The run's observer as its concrete type, if it is one.
    pub fn take_observer<T: Observer>(&mut self) -> Option<Box<T>> {
        self.sim.take_observer::<T>()
    }
}

impl<'a> Run<'a> {
    /// A run of `sc` from its start. Errors: the initial ring cannot be built.
    pub fn new(sc: Scenario) -> Result<Self, String> {
        Ok(Self::of(Sim::new(sc)?))
    }

    /// A run of `sim` from where it stands (fresh, or restored from a checkpoint).
    #[must_use]
    pub fn of(sim: Sim) -> Self {
        let shown = sim.checker().rounds.len();
        Run { sim, capture: None, on_row: Box::new(|_| {}), on_step: Box::new(|_| {}), shown, ended: None }
    }

    /// Watches every event with `o`, started on the simulation as it stands (replacing any
    /// observer); [`Finished::take_observer`] gives it back.
    #[must_use]
    pub fn observe(mut self, o: impl Observer) -> Self {
        self.sim.observe_with(Box::new(o));
        self
    }

    /// Feeds the plots' data after every round. The report is the same, byte for byte, with or
    /// without a capture. A capture sees whole rounds only: it is fed by [`Run::finish`] and
    /// [`Run::report`], not while running to a pause.
    #[must_use]
    pub fn capture(mut self, c: impl Into<Option<&'a mut Capture>>) -> Self {
        self.capture = c.into();
        self
    }

    /// Calls `f` with each round's row as the checker records it.
    #[must_use]
    pub fn on_row(mut self, f: impl FnMut(&RoundRow) + 'a) -> Self {
        self.on_row = Box::new(f);
        self
    }

    /// Calls `f` after every round of simulated time (for a progress display).
    #[must_use]
    pub fn on_step(mut self, f: impl FnMut(&Sim) + 'a) -> Self {
        self.on_step = Box::new(f);
        self
    }

    /// The simulation as it stands.
    #[must_use]
    pub fn sim(&self) -> &Sim {
        &self.sim
    }

    /// Runs every event at or before `t` and returns true, leaving the simulation exactly as the
    /// uninterrupted run has it then (a pause at a round boundary is taken after that boundary's
    /// bookkeeping), so that going on continues it identically; false if the run ended first (then
    /// [`Run::finish`] only reports). A run that feeds a capture is not paused (debug builds assert
    /// it): a capture sees whole rounds from the start.
    pub fn pause_at(&mut self, t: u64) -> bool {
        debug_assert!(self.capture.is_none(), "a run that feeds a capture is not paused");
        if self.ended.is_some() {
            return false;
        }
        self.ended = self.drive(Some(t), false);
        self.ended.is_none()
    }

    /// Runs to the end and reports. A scripted event that misses ends the run with a report whose
    /// verdict is `scenario_error` and whose reason names the key: what ran up to it is kept.
    #[must_use]
    pub fn finish(mut self) -> Finished {
        let stop = self.drive_to_end();
        let report = finish(&mut self.sim, &stop);
        Finished { report, sim: self.sim }
    }

    /// [`Run::finish`], with a scripted event that misses as the error.
    pub fn report(mut self) -> Result<Report, String> {
        let stop = self.drive_to_end();
        match self.sim.take_script_error() {
            Some(e) => Err(e),
            None => Ok(finish(&mut self.sim, &stop)),
        }
    }

    /// Runs to the end, unless a pause found it ended already; how it stopped.
    fn drive_to_end(&mut self) -> Stop {
        match self.ended.take() {
            Some(stop) => stop,
            None => self.drive(None, true).unwrap_or(Stop::Duration),
        }
    }

    /// Advances one round of simulated time per `run_until`, as every run does, to the end or (with
    /// `pause = Some(p)`) until every event at or before `p` has run (`None`). With the capture fed, a
    /// fresh simulation first runs the events at t = 0 alone (round 0), so every step is one round;
    /// splitting `run_until` calls never changes the order of events.
    fn drive(&mut self, pause: Option<u64>, feed: bool) -> Option<Stop> {
        let round = self.sim.sc().round_us().max(1);
        let end = self.sim.sc().duration_us();
        let mut capture = if feed { self.capture.take() } else { None };
        let mut t = self.sim.now() / round * round;
        let mut round_zero = capture.is_some() && self.sim.now() == 0;
        if let Some(c) = capture.as_deref_mut() {
            c.begin(&self.sim);
        }
        loop {
            let target = if std::mem::take(&mut round_zero) { t } else { (t + round).min(end) };
            let pausing = pause.filter(|&p| p < target);
            let stop = self.sim.run_until(pausing.unwrap_or(target));
            let rows = &self.sim.checker().rounds[self.shown..];
            for row in rows {
                (self.on_row)(row);
            }
            if let Some(c) = capture.as_deref_mut() {
                c.after_round(&self.sim, (target / round) as u32, rows);
            }
            self.shown = self.sim.checker().rounds.len();
            (self.on_step)(&self.sim);
            if pausing.is_some() && stop == Stop::Reached {
                return None;
            }
            t = target;
            if stop != Stop::Reached || t >= end {
                if let Some(c) = capture {
                    c.finish(&self.sim);
                }
                return Some(if stop == Stop::Reached { Stop::Duration } else { stop });
            }
            self.sim.prune_truth();
        }
    }
}

/// The report of a finished run, with the failure explained when it failed (`diagnose`: a re-run,
/// off the normal run's loop).
pub fn finish(sim: &mut Sim, stop: &Stop) -> Report {
    let mut report = report::build(sim, stop);
    crate::tools::diagnose::attach(&mut report);
    report
}
