//! `chordsim run FILE` (the default command): checks the output folders, runs the scenario with the
//! progress display, `--trace` and `--check-determinism`, writes the report and plots, and tells the
//! outcome with its repro line.

use crate::cli::args::{DiagArgs, PlotArgs, RunArgs, ShowArgs};
use crate::cli::{REPRO, fail, repro_line, swarm_reach, tell_outcome};
use chordsim::output::plot::Capture;
use chordsim::output::progress::{self, RunProgress};
use chordsim::output::report::{self, Report, VERSION};
use chordsim::output::trace::Tracer;
use chordsim::scenario::Scenario;
use chordsim::tools::determinism::{self, DeterminismOutcome};
use chordsim::tools::run::Run;
use chordsim::{errln, out, outln};
use std::path::Path;

/// Every output of a run checked before it starts: the `--out` folder and the run folder in it, and
/// the `--trace` file's folder.
pub(crate) fn check_outputs(out: &Path, sc: &Scenario, diag: &DiagArgs) -> Result<(), String> {
    chordsim::output::outdir::ensure_run_dir("--out", out, &format!("{}-seed{}", sc.name, sc.seed))?;
    match &diag.trace {
        Some(t) => chordsim::output::outdir::ensure_file("--trace", t),
        None => Ok(()),
    }
}

/// Runs `sc` with the progress display and the diagnostics asked for; returns the report and, with
/// `--check-determinism`, the outcome of the check.
pub(crate) fn execute(
    sc: Scenario,
    show: &ShowArgs,
    diag: &DiagArgs,
    capture: Option<&mut Capture>,
) -> Result<(Report, Option<DeterminismOutcome>), String> {
    let every = show.print_every.unwrap_or(sc.check.print_every_rounds);
    let lines = !show.quiet && every > 0;
    let bar = RunProgress::new(progress::wanted(show.quiet), sc.duration_us());
    let tracer: Option<Tracer> = match &diag.trace {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| format!("{}: cannot create: {e}", p.display()))?;
            Some(Tracer::new(Box::new(std::io::BufWriter::new(f))))
        }
        None => None,
    };
    let mut n = 0u32;
    let on_row = |row: &_| {
        n += 1;
        if lines && n.is_multiple_of(every) {
            bar.println(&report::round_line(row));
        }
    };
    let tenths = progress::TenthRates::new(sc.duration_us());
    let on_step = |sim: &chordsim::sim::engine::Sim| {
        bar.step(sim.now(), sim.events());
        tenths.step(sim.now(), sim.events(), sim.check_secs());
    };
    let (rep, outcome, tracer) = if diag.check_determinism {
        let (r, o, x) = determinism::check(sc, tracer, capture, on_row, on_step)?;
        (r, Some(o), x)
    } else {
        let mut run = Run::new(sc)?.capture(capture).on_row(on_row).on_step(on_step);
        if let Some(t) = tracer {
            run = run.observe(t);
        }
        let mut done = run.finish();
        let tracer = done.take_observer::<Tracer>();
        (done.report, None, tracer)
    };
    bar.finish();
    if show.timing {
        errln!("{}", tenths.summary());
    }
    if let Some(path) = &diag.trace {
        let t = tracer.ok_or("lost the tracer")?;
        let lines = t.finish().map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        errln!("trace: {lines} lines (initial states, then transitions) written to {}", path.display());
    }
    Ok((rep, outcome))
}

/// The plots' capture for a run of `sc`, unless `--no-plots`; checks `--ring-at` against the run.
pub(crate) fn plot_capture(sc: &Scenario, args: &PlotArgs) -> Result<Option<Capture>, String> {
    if args.no_plots {
        return Ok(None);
    }
    if let Some(rounds) = &args.ring_at {
        let mut probe = sc.clone();
        probe.report.ring_pictures_at_rounds = Some(rounds.clone());
        let mut v = chordsim::scenario::check::Validator::new("--ring-at");
        v.ring_pictures(&probe);
        v.finish().map_err(|e| e.to_string())?;
    }
    Ok(Some(Capture::new(sc, args.ring_at.clone())))
}

/// Writes the plots of `rep` into its run folder under `root` and prints where.
pub(crate) fn write_plots(rep: &Report, root: &Path, capture: &Capture) -> Result<(), String> {
    let dir = rep.dir(root);
    let paths = chordsim::output::plot::write(&dir, rep, capture)
        .map_err(|e| format!("{}: cannot write plots: {e}", dir.display()))?;
    outln!("  plots         {} SVG files in {}", paths.len(), dir.display());
    Ok(())
}

/// The determinism line, if checked, and the exit code: 5 if the runs differ, else the run's
/// (`report::run_exit_code`: 0 when the verdict matches `expect`).
pub(crate) fn verdict_code(rep: &Report, outcome: Option<DeterminismOutcome>) -> u8 {
    if let Some(o) = outcome {
        outln!("{o}");
        if !o.is_deterministic() {
            return 5;
        }
    }
    report::run_exit_code(&rep.verdict)
}

pub(crate) fn run(args: RunArgs) -> u8 {
    let Some(path) = args.scenario.clone() else {
        return fail("no scenario file given (usage: chordsim <SCENARIO> [--seed N] [--quiet]; see --help)");
    };
    let mut sc = match Scenario::load(&path) {
        Ok(sc) => sc,
        Err(e) => return fail(e),
    };
    if let Some(s) = args.seed {
        sc.reseed(s);
    }
    let reach = swarm_reach(args.swarm, args.swarm_outside);
    let repro = repro_line(&path, sc.seed, reach);
    let _ = REPRO.set(repro.clone());
    let mut drawn = None;
    if let Some(reach) = reach {
        match chordsim::tools::swarm::variant(&sc, sc.seed, reach) {
            Ok((v, p)) => (sc, drawn) = (v, Some(p)),
            Err(e) => return fail(e),
        }
    }
    errln!("chordsim {VERSION}: scenario {} ({}), seed {}", sc.name, path.display(), sc.seed);
    if let Some(p) = drawn {
        errln!("swarm parameters: {}", serde_json::to_string(&p).unwrap_or_default());
    }
    let plan = match args.ckpt.plan() {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if let Err(e) = check_outputs(&args.out, &sc, &args.diag) {
        return fail(e);
    }
    let file = path.display().to_string();
    if let Err(e) = chordsim::scenario::memory::check_before_run(&sc, &file, args.mem_limit, 1) {
        return fail(e);
    }
    // A checkpointed run writes no plots (the capture would have to be saved with the state).
    let capture = if plan.is_some() { Ok(None) } else { plot_capture(&sc, &args.plots) };
    let mut capture = match capture {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let result = match plan {
        None => execute(sc, &args.show, &args.diag, capture.as_mut()).map(Some),
        Some(plan) => crate::cli::checkpoint::execute(sc, &args.show, &args.diag, &plan).map(|r| r.map(|r| (r, None))),
    };
    let (rep, outcome) = match result {
        Ok(Some(x)) => x,
        Ok(None) => return 0,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    out!("{}", rep.summary());
    match rep.write(&args.out) {
        Ok(p) => {
            outln!("  report        {}\n  rounds        {}", p.display(), p.with_file_name("rounds.csv").display());
        }
        Err(e) => return fail(format!("cannot write results under {}: {e}", args.out.display())),
    }
    if let Some(c) = &capture
        && let Err(e) = write_plots(&rep, &args.out, c)
    {
        return fail(e);
    }
    if let Err(code) = tell_outcome(&path.display().to_string(), &rep, &args.out, &repro) {
        return code;
    }
    verdict_code(&rep, outcome)
}
