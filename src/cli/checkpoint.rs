//! CLI wiring of checkpoints: `chordsim FILE --checkpoint-at-s T --checkpoint-out CKPT
//! [--checkpoint-stop]` and `chordsim resume CKPT [--out DIR]`.
//!
//! Owns: the checkpoint flags and their checks, the progress display of a checkpointed or resumed
//! run, the timing lines of save and load (wall clock, stderr only, never in a report), and the
//! `resume` command's summary, report and exit code (as `run`'s).
//! Never: simulation logic (`chordsim::tools::checkpoint` does the work); write a report for a run that
//! stopped at its checkpoint.

use crate::cli::args::{DiagArgs, ShowArgs};
use crate::cli::{REPRO, fail};
use chordsim::output::progress::{self, RunProgress, Stopwatch};
use chordsim::output::report::{self, Report, VERSION};
use chordsim::scenario::Scenario;
use chordsim::sim::engine::Sim;
use chordsim::time::Time;
use chordsim::tools::checkpoint;
use chordsim::tools::run::Run;
use chordsim::{errln, out, outln};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
#[allow(clippy::struct_field_names)] // the fields are the `--checkpoint-*` flags
pub struct CheckpointArgs {
    /// Save the whole simulation state to --checkpoint-out once every event at or before this
    /// simulated time (seconds) has run; the run then goes on (see --checkpoint-stop).
    #[arg(long, value_name = "S", requires = "checkpoint_out")]
    checkpoint_at_s: Option<f64>,
    /// The checkpoint file (continue it with `chordsim resume FILE`).
    #[arg(long, value_name = "FILE", requires = "checkpoint_at_s")]
    checkpoint_out: Option<PathBuf>,
    /// Stop right after writing the checkpoint (no report).
    #[arg(long, requires = "checkpoint_at_s")]
    checkpoint_stop: bool,
}

/// A checkpoint to take on the way.
pub struct Plan {
    at_s: f64,
    path: PathBuf,
    stop: bool,
}

impl CheckpointArgs {
    pub fn plan(&self) -> Result<Option<Plan>, String> {
        let (Some(at_s), Some(path)) = (self.checkpoint_at_s, &self.checkpoint_out) else { return Ok(None) };
        if !at_s.is_finite() || at_s < 0.0 {
            return Err(format!("--checkpoint-at-s {at_s}: must be a time in seconds ≥ 0"));
        }
        chordsim::output::outdir::ensure_file("--checkpoint-out", path)?;
        Ok(Some(Plan { at_s, path: path.clone(), stop: self.checkpoint_stop }))
    }
}

#[derive(Args, Debug)]
pub struct ResumeArgs {
    /// A checkpoint file written with --checkpoint-out.
    checkpoint: PathBuf,
    #[command(flatten)]
    show: ShowArgs,
    /// Folder under which `<scenario>-seed<seed>/report.json` and `rounds.csv` are written.
    #[arg(long, default_value = "results", value_name = "DIR")]
    out: PathBuf,
    /// Refuse the checkpoint if its scenario's memory estimate is over this size (e.g. 8G; default:
    /// the memory available now), as `run` does.
    #[arg(long, value_name = "SIZE", value_parser = chordsim::scenario::memory::parse_limit)]
    mem_limit: Option<u64>,
}

/// How [`drive`] ended.
struct Driven {
    /// The report, unless the run stopped right after its checkpoint.
    report: Option<Report>,
    /// The checkpoint time was reached (and `on_pause` ran).
    paused: bool,
}

/// Runs `sim` to its end with the progress display of `show`. With `pause = Some((t, stop))`, calls
/// `on_pause(&sim)` once every event at or before `t` has run, then goes on unless `stop`.
fn drive(
    sim: Sim,
    show: &ShowArgs,
    pause: Option<(u64, bool)>,
    on_pause: impl FnOnce(&Sim) -> Result<(), String>,
) -> Result<Driven, String> {
    let sc = sim.sc();
    let every = show.print_every.unwrap_or(sc.check.print_every_rounds);
    let lines = !show.quiet && every > 0;
    let bar = RunProgress::new(progress::wanted(show.quiet), sc.duration_us());
    let tenths = progress::TenthRates::new(sc.duration_us());
    let mut n = sim.checker().rounds.len() as u32;
    let on_row = |row: &_| {
        n += 1;
        if lines && n.is_multiple_of(every) {
            bar.println(&report::round_line(row));
        }
    };
    let on_step = |sim: &Sim| {
        bar.step(sim.now(), sim.events());
        tenths.step(sim.now(), sim.events(), sim.check_secs());
    };
    let mut run = Run::of(sim).on_row(on_row).on_step(on_step);
    let paused = pause.is_some_and(|(t, _)| run.pause_at(t));
    let done = if paused {
        on_pause(run.sim()).map(|()| (!pause.is_some_and(|p| p.1)).then(|| run.finish().report))
    } else {
        Ok(Some(run.finish().report))
    };
    bar.finish();
    if show.timing {
        errln!("{}", tenths.summary());
    }
    Ok(Driven { report: done?, paused })
}

/// A run of `sc` that saves a checkpoint on the way. `None`: it stopped at the checkpoint.
pub fn execute(sc: Scenario, show: &ShowArgs, diag: &DiagArgs, plan: &Plan) -> Result<Option<Report>, String> {
    if diag.check_determinism || diag.trace.is_some() {
        return Err("--check-determinism and --trace cannot be combined with --checkpoint-at-s".into());
    }
    let at_us = Time::from_s(plan.at_s).us();
    if at_us >= sc.duration_us() {
        return Err(format!(
            "--checkpoint-at-s {}: must be before the end of the run (duration_s = {})",
            plan.at_s, sc.duration_s
        ));
    }
    let sim = Sim::new(sc)?;
    let path = plan.path.clone();
    let save = |sim: &Sim| {
        let clock = Stopwatch::start();
        let bytes = checkpoint::save(sim, &path)?;
        errln!(
            "checkpoint: t = {} s, {} events, {} nodes: {:.1} MB written to {} in {:.2} s",
            Time(sim.now()).as_secs_f64(),
            sim.events(),
            sim.nodes().len(),
            bytes as f64 / 1e6,
            path.display(),
            clock.secs()
        );
        Ok(())
    };
    let done = drive(sim, show, Some((at_us, plan.stop)), save)?;
    let missed = |r: &Report| r.verdict.verdict == report::Verdict::ScenarioError;
    if !done.paused && done.report.as_ref().is_some_and(missed) {
        return Ok(done.report); // a scripted event missed before the checkpoint: the caller says so
    }
    if !done.paused {
        return Err(format!("the run ended before t = {} s: no checkpoint written", plan.at_s));
    }
    if done.report.is_none() {
        errln!("stopped after the checkpoint (--checkpoint-stop); continue with: chordsim resume {}", path.display());
    }
    Ok(done.report)
}

/// `chordsim resume CKPT`: load, run to the end, write the report; exit code as `run`'s.
pub fn resume_cmd(args: ResumeArgs) -> u8 {
    let file = args.checkpoint.display().to_string();
    let repro = format!("{} resume {file}", chordsim::output::invocation::prefix());
    let _ = REPRO.set(repro.clone());
    let clock = Stopwatch::start();
    // A checkpoint's header can claim any scenario: its memory estimate is checked before the state
    // is decoded, as `run` checks a scenario file's.
    let fits =
        |h: &checkpoint::Header| chordsim::scenario::memory::check_before_run(&h.scenario, &file, args.mem_limit, 1);
    let (sim, h) = match checkpoint::load(&args.checkpoint, fits) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let leaf = format!("{}-seed{}", h.scenario.name, h.seed);
    if let Err(e) = chordsim::output::outdir::ensure_run_dir("--out", &args.out, &leaf) {
        return fail(e);
    }
    errln!(
        "chordsim {VERSION}: resuming {file}: scenario {}, seed {}, from t = {} s ({} events, {} nodes; loaded in {:.2} s)",
        h.scenario.name,
        h.seed,
        Time(h.at_us).as_secs_f64(),
        h.events,
        h.nodes,
        clock.secs()
    );
    let rep = match drive(sim, &args.show, None, |_| Ok(())) {
        Ok(Driven { report: Some(r), .. }) => r,
        Ok(_) => return fail("the resumed run produced no report"),
        Err(e) => return fail(format!("{file}: {e}")),
    };
    out!("{}", rep.summary());
    match rep.write(&args.out) {
        Ok(p) => outln!("  report        {}", p.display()),
        Err(e) => return fail(format!("cannot write results under {}: {e}", args.out.display())),
    }
    if let Err(code) = crate::cli::tell_outcome(&file, &rep, &args.out, &repro) {
        return code;
    }
    chordsim::output::report::run_exit_code(&rep.verdict)
}
