//! The `chordsim` command line's arguments: the clap types of every subcommand and the exit-code
//! text `--help` prints. Owns: names, help texts, defaults and value parsers of the flags.
//! Never: act on them (`main.rs` dispatches, `cli/*.rs` run the commands).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "chordsim", version = chordsim::output::invocation::build(), about = "Deterministic discrete-event simulator of the Chord DHT")]
#[command(args_conflicts_with_subcommands = true, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) cmd: Option<Cmd>,
    #[command(flatten)]
    pub(crate) run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
    /// Run a scenario (the default: `chordsim FILE` is `chordsim run FILE`).
    Run(RunArgs),
    /// Run many seeds of a scenario in parallel and summarize them (exit 0 if all match `expect`, else 3).
    Sweep(SweepArgs),
    /// Combine the shard folders of one sweep into the folder the unsharded sweep would write.
    Merge(MergeArgs),
    /// Rerun a report (a run folder or its report.json) and compare the new report byte for byte.
    Replay(ReplayArgs),
    /// A prompt over one simulated ring: run time, join, crash, look up, inspect nodes, save the
    /// session (reads commands from stdin when it is not a terminal; `help` lists them).
    Shell(ShellArgs),
    /// Continue a run from a checkpoint (`--checkpoint-out`) to its end and write its report, the same
    /// report the uninterrupted run writes.
    Resume(super::checkpoint::ResumeArgs),
    /// Reproduce the Chord papers' experiments (scenarios/paper/) and write results/paper/*.md and
    /// plots (exit 0 if every row is within tolerance, else 3).
    Paper(PaperArgs),
}

#[derive(Args, Debug)]
pub(crate) struct PaperArgs {
    /// Run only this experiment (fig8, fig9, fig10, fig11, fig12, ton-table2, ton-table3).
    #[arg(long, value_name = "NAME")]
    pub(crate) only: Option<String>,
    /// Repetitions of Fig. 8 (the paper: 20); Fig. 10 uses at most 3 per N, Fig. 12 at most 10 per rate.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) seeds: u64,
    /// Folder holding the experiments' scenarios.
    #[arg(long, default_value = "scenarios/paper", value_name = "DIR")]
    pub(crate) scenarios: PathBuf,
    /// Folder the tables and plots are written to.
    #[arg(long, default_value = "results/paper", value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Scenario file (TOML).
    pub(crate) scenario: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Draw the fault parameters from the seed too, as `sweep --swarm` does for each seed.
    #[arg(long)]
    pub(crate) swarm: bool,
    /// As --swarm, and also draw outside the variant's assumptions (message loss and unbounded
    /// latency under `zave`; the report marks such runs).
    #[arg(long)]
    pub(crate) swarm_outside: bool,
    #[command(flatten)]
    pub(crate) show: ShowArgs,
    /// Folder under which `<scenario>-seed<seed>/report.json`, `rounds.csv` and the plots are written.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub(crate) out: PathBuf,
    #[command(flatten)]
    pub(crate) diag: DiagArgs,
    #[command(flatten)]
    pub(crate) ckpt: super::checkpoint::CheckpointArgs,
    #[command(flatten)]
    pub(crate) plots: PlotArgs,
    /// Refuse the scenario if its memory estimate is over this size (e.g. 8G, 512M; default: the
    /// memory available now). The estimate errs high; the message gives it.
    #[arg(long, value_name = "SIZE", value_parser = chordsim::scenario::memory::parse_limit)]
    pub(crate) mem_limit: Option<u64>,
}

#[derive(Args, Debug)]
pub(crate) struct PlotArgs {
    /// Write no SVG plots beside the report (only report.json and rounds.csv).
    #[arg(long)]
    pub(crate) no_plots: bool,
    /// Draw the ring at these rounds (comma-separated, e.g. 0,10,40), instead of the scenario's
    /// `[report] ring_pictures_at_rounds` or the default (first round with a problem, end of run).
    #[arg(long, value_name = "ROUNDS", value_delimiter = ',')]
    pub(crate) ring_at: Option<Vec<u32>>,
}

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// No per-round lines and no progress bar (the summary and verdict are still printed).
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Print a line every K checked rounds (overrides `check.print_every_rounds`; 0 = never).
    #[arg(long, value_name = "K")]
    pub(crate) print_every: Option<u32>,
    /// After the run, print events per wall-clock second for each tenth of simulated time, and the checker's share of the wall time, on stderr
    /// (a benchmark aid; never written to the report).
    #[arg(long)]
    pub(crate) timing: bool,
}

#[derive(Args, Debug)]
pub(crate) struct DiagArgs {
    /// Run twice side by side and compare the event sequences (exit 5 if they differ).
    #[arg(long)]
    pub(crate) check_determinism: bool,
    /// Write one line per node state transition: `time_us node event successor predecessor`.
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct SweepArgs {
    /// Scenario file (TOML).
    pub(crate) scenario: PathBuf,
    /// Seeds to run, half-open as a Rust range: `0..100` runs 0 to 99 (`0..=99` also works).
    #[arg(long, value_name = "A..B")]
    pub(crate) seeds: String,
    /// Each seed also draws its own fault parameters (churn rates, loss, latency, periods), inside
    /// the variant's assumptions (no loss, bounded latency and no leaves under `zave`).
    #[arg(long)]
    pub(crate) swarm: bool,
    /// As --swarm, and also draw outside the variant's assumptions (message loss and unbounded
    /// latency under `zave`; the reports mark such runs).
    #[arg(long)]
    pub(crate) swarm_outside: bool,
    /// Run only shard i of n (0-based): the seeds A+i, A+i+n, A+i+2n, …
    #[arg(long, value_name = "i/n")]
    pub(crate) shard: Option<String>,
    /// Worker threads (default: the machine's available parallelism).
    #[arg(long, value_name = "N")]
    pub(crate) jobs: Option<usize>,
    /// Refuse the sweep if its runs at once (--jobs) need more memory than this (e.g. 8G, 512M; default: the
    /// memory available now). Each run's estimate errs high.
    #[arg(long, value_name = "SIZE", value_parser = chordsim::scenario::memory::parse_limit)]
    pub(crate) mem_limit: Option<u64>,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Also write plots for each seed whose report is written (those not matching `expect`).
    #[arg(long)]
    pub(crate) plots: bool,
    /// The sweep folder `sweep-<name>-seeds<A>-<B>[-shard<i>of<n>]/` is created under DIR.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct MergeArgs {
    /// The shard folders (`sweep-…-shard<i>of<n>/`), all n of them.
    #[arg(required = true)]
    pub(crate) dirs: Vec<PathBuf>,
    /// The merged folder is created under DIR.
    #[arg(long, default_value = "results", value_name = "DIR")]
    pub(crate) out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct ReplayArgs {
    /// A run folder, or a report.json.
    pub(crate) report: PathBuf,
    #[command(flatten)]
    pub(crate) show: ShowArgs,
    /// Also write the replay's report, rounds.csv and plots under DIR (never over the original).
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) diag: DiagArgs,
    #[command(flatten)]
    pub(crate) plots: PlotArgs,
}

#[derive(Args, Debug)]
pub(crate) struct ShellArgs {
    /// Scenario file (TOML); without one, a built-in ring of 16 nodes (see `help` in the shell).
    pub(crate) scenario: Option<PathBuf>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Refuse the scenario if its memory estimate is over this size (default: the memory available
    /// now), as `run` does.
    #[arg(long, value_name = "SIZE", value_parser = chordsim::scenario::memory::parse_limit)]
    pub(crate) mem_limit: Option<u64>,
}

pub(crate) const EXIT_CODES: &str = "Exit codes: 0 the verdict matches the scenario's `expect` (a sweep or merge: every seed's does) · \
1 usage, I/O or scenario error (a scripted event naming no live node when it fires: the report is still written, verdict scenario_error) · 2 safety (not expected) · 3 no_convergence (not expected; a sweep or merge: some \
seed's verdict does not match) · 4 limit_hit (not expected) · 5 the runs differ (--check-determinism, or a replay \
that differs from its report) · 6 pass where `expect` names a failure · 101 panic (a bug: the repro line is printed)";
