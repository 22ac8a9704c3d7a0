//! The `chordsim` command line: `run` (the default), `sweep`, `merge`, `replay`, `shell` and `resume`
//! (its wiring lives in `cli/checkpoint.rs`).
//!
//! Owns: argument parsing (clap; usage errors exit 1, not clap's 2), the first stderr line (seed,
//! scenario, version), progress lines and the progress bar, the summary tables, the repro command on
//! failure, and the panic hook that prints the seed and the repro line. Exit codes: 0 pass, 1 usage /
//! I/O / scenario error, 2 safety, 3 no convergence (for sweeps: some seed does not match `expect`),
//! 4 limit hit, 5 `--check-determinism` found the two runs differ, 101 panic.
//! Never: simulation logic; the library modules (`run`, `sweep`, `replay`, `determinism`, `trace`,
//! `shell`) do the work and this file only wires them to the terminal (for `shell`: the line editor
//! on a terminal, plain stdin otherwise).

use chordsim::output::invocation;
use chordsim::output::plot::Capture;
use chordsim::output::progress::{self, RunProgress, Stopwatch, SweepProgress};
use chordsim::output::report::{self, Report, VERSION};
use chordsim::output::trace::Tracer;
use chordsim::scenario::Scenario;
use chordsim::tools::determinism::{self, DeterminismOutcome};
use chordsim::tools::replay::{self, Comparison};
use chordsim::tools::run::Run;
use chordsim::tools::swarm::Reach;
use chordsim::tools::sweep::{self, Config, out as sweep_out};
use chordsim::{errln, out, outln};
use clap::Parser;

mod cli;
use cli::args::*;
use cli::{checkpoint as cli_checkpoint, shell as cli_shell};
use std::path::Path;
use std::process::ExitCode;
use std::sync::OnceLock;

static REPRO: OnceLock<String> = OnceLock::new();

/// `--swarm` and `--swarm-outside` (which implies `--swarm`) as one choice.
fn swarm_reach(swarm: bool, outside: bool) -> Option<Reach> {
    match (swarm, outside) {
        (_, true) => Some(Reach::Outside),
        (true, false) => Some(Reach::Assumptions),
        (false, false) => None,
    }
}

fn repro_line(path: &Path, seed: u64, swarm: Option<Reach>) -> String {
    let swarm = swarm.map_or(String::new(), |r| format!(" {}", chordsim::tools::swarm::flag(r)));
    format!("{} {} --seed {seed}{swarm}", invocation::prefix(), path.display())
}

fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let global = REPRO.get().cloned().unwrap_or_else(|| "(no scenario loaded yet)".into());
        let repro = sweep::current_repro().unwrap_or(global);
        errln!("chordsim {VERSION} panicked — this is a bug. repro: {repro}");
        default(info);
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    chordsim::sim::engine::set_wall_clock(progress::wall_secs); // for --timing's checker share
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(msg) = typo(&args) {
        return ExitCode::from(fail(msg));
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            errln!("{}", usage_line(&e.render().to_string()));
            return ExitCode::from(1);
        }
        Err(e) => {
            let _ = e.print(); // --help, --version
            return ExitCode::from(0);
        }
    };
    let code = match cli.cmd {
        Some(Cmd::Run(a)) => run(a),
        None => run(cli.run),
        Some(Cmd::Sweep(a)) => sweep_cmd(a),
        Some(Cmd::Merge(a)) => merge_cmd(a),
        Some(Cmd::Replay(a)) => replay_cmd(a),
        Some(Cmd::Shell(a)) => cli_shell::shell_cmd(a),
        Some(Cmd::Resume(a)) => cli_checkpoint::resume_cmd(a),
        Some(Cmd::Paper(a)) => paper_cmd(a),
    };
    ExitCode::from(code)
}

/// A clap usage error as one line: its message and tips, without the usage block.
fn usage_line(rendered: &str) -> String {
    let lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut out = String::new();
    for l in lines.take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more")) {
        let sep = match out.chars().last() {
            None => "",
            Some(':') => " ",
            _ if l.starts_with("tip:") => "; ",
            _ => ", ", // the items of a list ("the following required arguments were not provided:")
        };
        out.push_str(sep);
        out.push_str(l);
    }
    format!("{out} (see --help)")
}

/// A first argument that is neither a subcommand nor a file, or a second file, as one line (clap
/// would call a stray word a subcommand that "cannot be used with '[SCENARIO]'").
fn typo(args: &[std::ffi::OsString]) -> Option<String> {
    use clap::CommandFactory;
    let first = args.get(1)?.to_str()?;
    let names: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
    if first.starts_with('-') || first == "help" || names.iter().any(|n| n == first) {
        return None;
    }
    if Path::new(first).exists() {
        let extra = args.get(2).and_then(|a| a.to_str()).filter(|a| !a.starts_with('-'))?;
        return Some(format!(
            "{}: unexpected argument after the scenario file {first} (allowed: one scenario file; several seeds: `sweep`)",
            chordsim::bounds::excerpt(extra)
        ));
    }
    if first.contains('/') || first.contains('.') {
        return None; // a path: the scenario loader says it cannot be read
    }
    let near = names
        .iter()
        .filter(|n| edit_distance(n, first) <= 2 || n.starts_with(first))
        .min_by_key(|n| edit_distance(n, first));
    let hint = near.map_or(String::new(), |n| format!(" — did you mean `{n}`?"));
    Some(format!(
        "{}: no such file or subcommand{hint} (allowed: a scenario file, or one of {})",
        chordsim::bounds::excerpt(first),
        names.join(", ")
    ))
}

/// Levenshtein distance (for subcommand suggestions).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// Prints an error and gives exit code 1.
fn fail(msg: impl std::fmt::Display) -> u8 {
    errln!("error: {msg}");
    1
}

/// Every output of a run checked before it starts: the `--out` folder and the run folder in it, and
/// the `--trace` file's folder.
fn check_outputs(out: &Path, sc: &Scenario, diag: &DiagArgs) -> Result<(), String> {
    chordsim::output::outdir::ensure_run_dir("--out", out, &format!("{}-seed{}", sc.name, sc.seed))?;
    match &diag.trace {
        Some(t) => chordsim::output::outdir::ensure_file("--trace", t),
        None => Ok(()),
    }
}

/// Runs `sc` with the progress display and the diagnostics asked for; returns the report and, with
/// `--check-determinism`, the outcome of the check.
fn execute(
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
fn plot_capture(sc: &Scenario, args: &PlotArgs) -> Result<Option<Capture>, String> {
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
fn write_plots(rep: &Report, root: &Path, capture: &Capture) -> Result<(), String> {
    let dir = rep.dir(root);
    let paths = chordsim::output::plot::write(&dir, rep, capture)
        .map_err(|e| format!("{}: cannot write plots: {e}", dir.display()))?;
    outln!("  plots         {} SVG files in {}", paths.len(), dir.display());
    Ok(())
}

/// The determinism line, if checked, and the exit code: 5 if the runs differ, else the run's
/// (`report::run_exit_code`: 0 when the verdict matches `expect`).
fn verdict_code(rep: &Report, outcome: Option<DeterminismOutcome>) -> u8 {
    if let Some(o) = outcome {
        outln!("{o}");
        if !o.is_deterministic() {
            return 5;
        }
    }
    report::run_exit_code(&rep.verdict)
}

fn run(args: RunArgs) -> u8 {
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
        Some(plan) => cli_checkpoint::execute(sc, &args.show, &args.diag, &plan).map(|r| r.map(|r| (r, None))),
    };
    let (rep, outcome) = match result {
        Ok(Some(x)) => x,
        Ok(None) => return 0,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    out!("{}", rep.summary());
    match rep.write(&args.out) {
        Ok(p) => {
            outln!("  report        {}\n  rounds        {}", p.display(), p.with_file_name("rounds.csv").display())
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

fn replay_cmd(args: ReplayArgs) -> u8 {
    let loaded = match replay::load(&args.report) {
        Ok(l) => l,
        Err(e) => return fail(e),
    };
    let path = loaded.path.clone();
    let _ = REPRO.set(format!("{} replay {}", invocation::prefix(), path.display()));
    let sc = loaded.scenario.clone();
    errln!("chordsim {VERSION}: replaying {}: scenario {}, seed {}", path.display(), sc.name, sc.seed);
    for w in loaded.version_warnings() {
        errln!("{w}");
    }
    let checked = match &args.out {
        Some(out) => check_outputs(out, &sc, &args.diag),
        None => args.diag.trace.as_ref().map_or(Ok(()), |t| chordsim::output::outdir::ensure_file("--trace", t)),
    };
    if let Err(e) = checked {
        return fail(e);
    }
    let mut capture = match args.out.as_ref().map(|_| plot_capture(&sc, &args.plots)).transpose() {
        Ok(c) => c.flatten(),
        Err(e) => return fail(e),
    };
    let (rep, outcome) = match execute(sc, &args.show, &args.diag, capture.as_mut()) {
        Ok(x) => x,
        Err(e) => return fail(format!("{}: {e}", path.display())),
    };
    out!("{}", rep.summary());
    let json = rep.to_json();
    let cmp = loaded.compare(&json);
    outln!("{}", cmp.describe(&path));
    let differs = matches!(cmp, Comparison::Differs { .. });
    if differs {
        let to = loaded.replay_path();
        match std::fs::write(&to, &json) {
            Ok(()) => errln!("the replay's report is in {} (diff it with the original)", to.display()),
            Err(e) => errln!("warning: {}: cannot write the replay's report: {e}", to.display()),
        }
    }
    if let Some(out) = &args.out {
        match rep.write(out) {
            Ok(p) => outln!("  report        {}", p.display()),
            Err(e) => return fail(format!("cannot write results under {}: {e}", out.display())),
        }
        if let Some(c) = &capture
            && let Err(e) = write_plots(&rep, out, c)
        {
            return fail(e);
        }
    }
    // A replay that differs from its report is the determinism failure, whatever the verdict.
    if differs {
        return 5;
    }
    verdict_code(&rep, outcome)
}

fn sweep_config(args: &SweepArgs) -> Result<Config, String> {
    let base = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    let seeds = sweep::parse_seeds(&args.seeds)?;
    let shard = args.shard.as_deref().map(sweep::parse_shard).transpose()?;
    let jobs = match args.jobs {
        Some(0) => return Err("--jobs 0: at least one worker thread is needed".into()),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let scenario_file = args.scenario.display().to_string();
    let cfg = Config {
        scenario_file,
        base,
        seeds,
        swarm: swarm_reach(args.swarm, args.swarm_outside),
        shard,
        jobs,
        out: args.out.clone(),
        plots: args.plots,
    };
    chordsim::output::outdir::ensure_run_dir("--out", &cfg.out, &cfg.meta().folder_name())?;
    Ok(cfg)
}

fn sweep_cmd(args: SweepArgs) -> u8 {
    let cfg = match sweep_config(&args) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let _ = REPRO.set(format!("{} sweep {} --seeds {}", invocation::prefix(), cfg.scenario_file, args.seeds));
    let jobs = cfg.jobs.min(sweep::shard_len(cfg.seeds, cfg.shard) as usize) as u64;
    if let Err(e) = chordsim::scenario::memory::check_before_run(&cfg.base, &cfg.scenario_file, args.mem_limit, jobs) {
        return fail(e);
    }
    let n = sweep::shard_len(cfg.seeds, cfg.shard);
    let shard = cfg.shard.map_or(String::new(), |s| format!(", shard {}/{}", s.index, s.count));
    let swarm = match cfg.swarm {
        Some(Reach::Assumptions) => ", swarm",
        Some(Reach::Outside) => ", swarm outside the variant's assumptions",
        None => "",
    };
    errln!(
        "chordsim {VERSION}: sweep of scenario {} ({}), seeds {}..{}{shard}{swarm}: {n} runs on {} threads",
        cfg.base.name,
        cfg.scenario_file,
        cfg.seeds.start,
        cfg.seeds.end,
        cfg.jobs
    );
    let bar = SweepProgress::new(progress::wanted(args.quiet), n);
    let clock = Stopwatch::start();
    let result = sweep::run(&cfg, &|failed| bar.done(failed));
    bar.finish();
    let out = match result {
        Ok(o) => o,
        Err(e) => return fail(e),
    };
    let secs = clock.secs();
    errln!("{n} seeds in {secs:.2} s: {:.1} seeds/s on {} threads", n as f64 / secs.max(1e-9), cfg.jobs);
    let meta = cfg.meta();
    out!("{}", sweep_out::failure_lines(&meta, &out.rows));
    out!("{}", sweep_out::summary_text(&out.summary, &out.dir));
    out.exit_code()
}

fn merge_cmd(args: MergeArgs) -> u8 {
    if let Err(e) = chordsim::output::outdir::ensure_dir("--out", &args.out) {
        return fail(e);
    }
    let (summary, rows, dir) = match sweep_out::merge(&args.dirs, &args.out) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    errln!("chordsim {VERSION}: merged {} shards into {}", args.dirs.len(), dir.display());
    out!("{}", sweep_out::failure_lines(&summary.meta(), &rows));
    out!("{}", sweep_out::summary_text(&summary, &dir));
    sweep_out::exit_code(&rows)
}

fn paper_cmd(args: PaperArgs) -> u8 {
    use chordsim::tools::paper;
    let names: Vec<&str> = match args.only.as_deref() {
        Some(n) if paper::EXPERIMENTS.contains(&n) => vec![n],
        Some(n) => return fail(format!("--only {n}: no such experiment (one of {})", paper::EXPERIMENTS.join(", "))),
        None => paper::EXPERIMENTS.to_vec(),
    };
    if args.seeds == 0 {
        return fail("--seeds 0: at least one repetition is needed");
    }
    if let Err(e) = chordsim::output::outdir::ensure_dir("--out", &args.out) {
        return fail(e);
    }
    let mut all_pass = true;
    for name in names {
        errln!("chordsim {VERSION}: paper experiment {name}");
        let result = match name {
            "fig8" => paper::fig8(&args.scenarios, args.seeds),
            "fig9" => paper::fig9(&args.scenarios),
            "fig11" => paper::fig11(&args.scenarios),
            "ton-table2" => paper::ton_table2(&args.scenarios),
            "fig12" => chordsim::tools::paper::churn::fig12(&args.scenarios, args.seeds.min(10)),
            "ton-table3" => chordsim::tools::paper::churn::ton_table3(&args.scenarios),
            _ => paper::fig10(&args.scenarios, args.seeds.min(3)),
        };
        let e = match result {
            Ok(e) => e,
            Err(err) => return fail(format!("{name}: {err}")),
        };
        if let Err(err) = paper::write(&e, &args.out) {
            return fail(format!("cannot write under {}: {err}", args.out.display()));
        }
        out!("{}", paper::markdown(&e));
        all_pass &= e.rows.iter().all(|r| r.pass);
    }
    if all_pass { 0 } else { 3 }
}
