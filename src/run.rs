//! Running a scenario end to end: build the simulation, advance it round by round (so callers can show
//! progress), and produce the report.
//!
//! Owns: the loop that drives [`Sim::run_until`] one round at a time and the mapping of a run to its
//! [`Report`]. Shared by the CLI, the tests and (later) sweeps and replays.
//! Never: print or touch files (callers decide), or read the wall clock.

use crate::checker::RoundRow;
use crate::report::{self, Report};
use crate::scenario::Scenario;
use crate::sim::{Sim, Stop};

/// Runs `sc` to completion, calling `on_row` for each checked round as it happens.
/// Errors are scenario errors found at run time (e.g. a scripted event naming no live node).
pub fn run_scenario(sc: Scenario, mut on_row: impl FnMut(&RoundRow)) -> Result<Report, String> {
    let mut sim = Sim::new(sc)?;
    let stop = drive(&mut sim, &mut on_row);
    if let Some(e) = sim.script_error.take() {
        return Err(e);
    }
    Ok(report::build(&mut sim, &stop))
}

/// Advances `sim` to its end one round at a time, reporting new rows.
pub fn drive(sim: &mut Sim, on_row: &mut impl FnMut(&RoundRow)) -> Stop {
    let round = sim.sc.round_us().max(1);
    let end = sim.sc.duration_us();
    let mut shown = 0;
    let mut t = 0;
    loop {
        t = (t + round).min(end);
        let stop = sim.run_until(t);
        for row in &sim.checker.rounds[shown..] {
            on_row(row);
        }
        shown = sim.checker.rounds.len();
        if stop != Stop::Reached || t >= end {
            return if stop == Stop::Reached { Stop::Duration } else { stop };
        }
        if let Some(oldest) = sim.checker.oldest_inflight().or(Some(sim.now)) {
            sim.truth.prune_changes(oldest);
        }
    }
}
