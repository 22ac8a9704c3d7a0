//! Running a scenario end to end: build the simulation, advance it round by round (so callers can show
//! progress), and produce the report.
//!
//! Owns: the loop that drives [`Sim::run_until`] one round at a time (feeding the plots' [`Capture`]
//! when asked) and the mapping of a run to its [`Report`]. Shared by the CLI, the tests, sweeps and
//! replays.
//! Never: print or touch files (callers decide), or read the wall clock.

use crate::oracle::checker::RoundRow;
use crate::output::plot::Capture;
use crate::output::report::{self, Report};
use crate::output::trace::Observer;
use crate::scenario::Scenario;
use crate::sim::engine::{Sim, Stop};

/// Runs `sc` to completion, calling `on_row` for each checked round as it happens.
/// Errors are scenario errors found at run time (e.g. a scripted event naming no live node).
pub fn run_scenario(sc: Scenario, mut on_row: impl FnMut(&RoundRow)) -> Result<Report, String> {
    let mut sim = Sim::new(sc)?;
    let stop = drive(&mut sim, &mut on_row);
    if let Some(e) = sim.script_error.take() {
        return Err(e);
    }
    Ok(finish(&mut sim, &stop))
}

/// The report of a finished run, with the failure explained when it failed (`diagnose`: a re-run,
/// off the normal run's loop).
pub fn finish(sim: &mut Sim, stop: &Stop) -> Report {
    let mut report = report::build(sim, stop);
    crate::tools::diagnose::attach(&mut report);
    report
}

/// Like [`run_scenario`], with an observer attached to the simulation (returned at the end, so the
/// caller can read what it collected) and `on_step(sim)` called after every round of
/// simulated time (for a progress display).
pub fn run_observed(
    sc: Scenario,
    observer: Option<Box<dyn Observer>>,
    on_row: impl FnMut(&RoundRow),
    on_step: impl FnMut(&Sim),
) -> Result<(Report, Option<Box<dyn Observer>>), String> {
    run_captured(sc, observer, None, on_row, on_step)
}

/// [`run_observed`], also feeding `capture` (the plots' data) after every round. The report is the
/// same, byte for byte, with or without a capture.
pub fn run_captured(
    sc: Scenario,
    observer: Option<Box<dyn Observer>>,
    capture: Option<&mut Capture>,
    mut on_row: impl FnMut(&RoundRow),
    mut on_step: impl FnMut(&Sim),
) -> Result<(Report, Option<Box<dyn Observer>>), String> {
    let mut sim = Sim::new(sc)?;
    if let Some(mut o) = observer {
        o.start(&sim);
        sim.observer = Some(o);
    }
    let stop = drive_span(&mut sim, None, &mut on_row, &mut on_step, capture).unwrap_or(Stop::Reached);
    // A scripted event that misses (`sim.script_error`) ends the run with a report whose verdict is
    // `scenario_error` and whose reason names the key: what ran up to it is kept.
    let report = finish(&mut sim, &stop);
    Ok((report, sim.observer.take()))
}

/// Advances `sim` to its end one round at a time, reporting new rows.
pub fn drive(sim: &mut Sim, on_row: &mut impl FnMut(&RoundRow)) -> Stop {
    drive_with(sim, on_row, &mut |_| {})
}

/// [`drive`], also calling `on_step(sim)` after each round of simulated time.
pub fn drive_with(sim: &mut Sim, on_row: &mut impl FnMut(&RoundRow), on_step: &mut impl FnMut(&Sim)) -> Stop {
    drive_span(sim, None, on_row, on_step, None).unwrap_or(Stop::Reached)
}

/// [`drive_with`] from where `sim` stands (fresh, or restored from a checkpoint), one round of
/// simulated time per `run_until` as an uninterrupted run does. With `pause = Some(p)` it returns
/// `None` once every event at or before `p` has run (and `p` is before the end), leaving the
/// simulation exactly as the uninterrupted run has it then: a later `drive_span` continues it
/// identically. A pause at a round boundary is taken after that boundary's bookkeeping.
///
/// With `capture` (the plots' data, fed after each round), a fresh simulation first runs the events
/// at t = 0 alone (round 0), so every step is one round; splitting `run_until` calls never changes
/// the order of events. A capture sees whole rounds only: callers that pause pass none.
pub fn drive_span(
    sim: &mut Sim,
    pause: Option<u64>,
    on_row: &mut impl FnMut(&RoundRow),
    on_step: &mut impl FnMut(&Sim),
    mut capture: Option<&mut Capture>,
) -> Option<Stop> {
    let round = sim.sc.round_us().max(1);
    let end = sim.sc.duration_us();
    let mut shown = sim.checker.rounds.len();
    let mut t = sim.now / round * round;
    let mut round_zero = capture.is_some() && sim.now == 0;
    if let Some(c) = capture.as_deref_mut() {
        c.begin(sim);
    }
    loop {
        let target = if std::mem::take(&mut round_zero) { t } else { (t + round).min(end) };
        let pausing = pause.filter(|&p| p < target);
        let stop = sim.run_until(pausing.unwrap_or(target));
        for row in &sim.checker.rounds[shown..] {
            on_row(row);
        }
        if let Some(c) = capture.as_deref_mut() {
            c.after_round(sim, (target / round) as u32, &sim.checker.rounds[shown..]);
        }
        shown = sim.checker.rounds.len();
        on_step(sim);
        if pausing.is_some() && stop == Stop::Reached {
            return None;
        }
        t = target;
        if stop != Stop::Reached || t >= end {
            if let Some(c) = capture {
                c.finish(sim);
            }
            return Some(if stop == Stop::Reached { Stop::Duration } else { stop });
        }
        if let Some(oldest) = sim.checker.oldest_inflight().or(Some(sim.now)) {
            sim.truth.prune_changes(oldest);
        }
    }
}
