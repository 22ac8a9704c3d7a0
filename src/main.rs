//! The `chordsim` command line: parse → load scenario → run → write results → verdict → exit code.
//!
//! Owns: argument parsing (clap; usage errors exit 1, not clap's 2), the first stderr line (seed,
//! scenario, version), progress lines, the summary table, the repro command on failure, and the panic
//! hook that prints the seed and the repro line. Never: simulation logic.

use chordsim::report::{self, VERSION};
use chordsim::run::run_scenario;
use chordsim::scenario::Scenario;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;

#[derive(Parser, Debug)]
#[command(name = "chordsim", version, about = "Deterministic discrete-event simulator of the Chord DHT")]
#[command(args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run a scenario (the default: `chordsim FILE` is `chordsim run FILE`).
    Run(RunArgs),
}

#[derive(Args, Debug)]
struct RunArgs {
    /// Scenario file (TOML).
    scenario: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// No per-round lines (the summary and verdict are still printed).
    #[arg(long)]
    quiet: bool,
    /// Print a line every K checked rounds (overrides check.print_every_rounds; 0 = never).
    #[arg(long, value_name = "K")]
    print_every: Option<u32>,
    /// Folder under which `<scenario>-seed<seed>/report.json` is written.
    #[arg(long, default_value = "results", value_name = "DIR")]
    out: PathBuf,
}

static REPRO: OnceLock<String> = OnceLock::new();

fn repro_line(path: &Path, seed: u64) -> String {
    format!("cargo run --release -- {} --seed {seed}", path.display())
}

fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let repro = REPRO.get().map_or("(no scenario loaded yet)", |s| s.as_str());
        eprintln!("chordsim {VERSION} panicked — this is a bug. repro: {repro}");
        default(info);
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let args = match cli.cmd {
        Some(Cmd::Run(a)) => a,
        None => cli.run,
    };
    ExitCode::from(run(args))
}

fn run(args: RunArgs) -> u8 {
    let Some(path) = args.scenario.clone() else {
        eprintln!("error: no scenario file given\n\nUsage: chordsim <SCENARIO> [--seed N] [--quiet]  (see --help)");
        return 1;
    };
    let mut sc = match Scenario::load(&path) {
        Ok(sc) => sc,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    if let Some(s) = args.seed {
        sc.seed = s;
    }
    let repro = repro_line(&path, sc.seed);
    let _ = REPRO.set(repro.clone());
    eprintln!("chordsim {VERSION}: scenario {} ({}), seed {}", sc.name, path.display(), sc.seed);
    let every = args.print_every.unwrap_or(sc.check.print_every_rounds);
    let quiet = args.quiet || every == 0;
    let mut n = 0u32;
    let result = run_scenario(sc, |row| {
        n += 1;
        if !quiet && n.is_multiple_of(every) {
            println!("{}", report::round_line(row));
        }
    });
    let rep = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            return 1;
        }
    };
    print!("{}", rep.summary());
    match rep.write(&args.out) {
        Ok(p) => println!("  report        {}", p.display()),
        Err(e) => {
            eprintln!("error: cannot write results under {}: {e}", args.out.display());
            return 1;
        }
    }
    let v = rep.verdict.verdict;
    if v.exit_code() != 0 {
        eprintln!("FAILED: verdict {} — repro: {repro}", v.name());
    }
    if !rep.verdict.matches_expect {
        eprintln!("note: the scenario expects {:?}, got {}", rep.verdict.expected, v.name());
    }
    v.exit_code() as u8
}
