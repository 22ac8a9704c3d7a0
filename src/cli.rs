//! The binary's command-line layer: the clap argument types (`args.rs`), one file per command
//! (`run.rs`, `sweep.rs` with `merge`, `replay.rs`, `paper.rs`, `shell.rs`, and `checkpoint.rs` for
//! `--checkpoint-at-s` and `resume`), and what they share: the repro line a panic prints, the
//! one-line failure, and how a finished run's outcome is told. `main.rs` parses and dispatches.
//!
//! Never: hold simulation logic (that is the library's); print except through `out`'s macros.

pub mod args;
pub mod checkpoint;
pub mod paper;
pub mod replay;
pub mod run;
pub mod shell;
pub mod sweep;

use chordsim::errln;
use chordsim::output::invocation;
use chordsim::output::report::{self, Report};
use chordsim::tools::swarm::Reach;
use std::path::Path;
use std::sync::OnceLock;

/// The repro command of what is running, for the panic hook.
pub(crate) static REPRO: OnceLock<String> = OnceLock::new();

/// `--swarm` and `--swarm-outside` (which implies `--swarm`) as one choice.
pub(crate) fn swarm_reach(swarm: bool, outside: bool) -> Option<Reach> {
    match (swarm, outside) {
        (_, true) => Some(Reach::Outside),
        (true, false) => Some(Reach::Assumptions),
        (false, false) => None,
    }
}

pub(crate) fn repro_line(path: &Path, seed: u64, swarm: Option<Reach>) -> String {
    let swarm = swarm.map_or(String::new(), |r| format!(" {}", chordsim::tools::swarm::flag(r)));
    format!("{} {} --seed {seed}{swarm}", invocation::prefix(), path.display())
}

/// Prints an error and gives exit code 1.
pub(crate) fn fail(msg: impl std::fmt::Display) -> u8 {
    errln!("error: {msg}");
    1
}

/// After a run's report is written under `out` (by `run` or `resume` of `file`): a scripted event
/// that missed ends the command with its one error line (`Err`, exit 1); else the outcome line and the
/// diagnosis of a failure go to stderr.
pub(crate) fn tell_outcome(file: &str, rep: &Report, out: &Path, repro: &str) -> Result<(), u8> {
    if rep.verdict.verdict == report::Verdict::ScenarioError {
        let why = rep.verdict.reason.as_deref().unwrap_or("a scripted event failed");
        let (at, dir) = (rep.run.sim_time_s, rep.dir(out));
        return Err(fail(format!(
            "{file}: {why}; the run stopped at t = {at:.3} s, its report up to there is in {}",
            dir.display()
        )));
    }
    if let Some(line) = report::outcome_line(&rep.verdict, repro) {
        errln!("{line}");
    }
    if let Some(d) = &rep.diagnosis {
        for line in chordsim::tools::diagnose::lines(d) {
            errln!("{line}");
        }
    }
    Ok(())
}
