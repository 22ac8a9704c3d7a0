//! `chordsim sweep FILE --seeds A..B` (many seeds on all cores, or one shard of them) and `chordsim
//! merge DIR…` (shards into one sweep).

use crate::cli::args::{MergeArgs, SweepArgs};
use crate::cli::{REPRO, fail, swarm_reach};
use chordsim::output::invocation;
use chordsim::output::progress::{self, Stopwatch, SweepProgress};
use chordsim::output::report::VERSION;
use chordsim::scenario::Scenario;
use chordsim::tools::swarm::Reach;
use chordsim::tools::sweep::{self, Config, out as sweep_out};
use chordsim::{errln, out};

fn sweep_config(args: &SweepArgs) -> Result<Config, String> {
    let base = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    let seeds = sweep::parse_seeds(&args.seeds)?;
    let shard = args.shard.as_deref().map(sweep::parse_shard).transpose()?;
    let jobs = match args.jobs {
        Some(0) => return Err("--jobs 0: at least one worker thread is needed".into()),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
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

pub(crate) fn sweep_cmd(args: SweepArgs) -> u8 {
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

pub(crate) fn merge_cmd(args: MergeArgs) -> u8 {
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
