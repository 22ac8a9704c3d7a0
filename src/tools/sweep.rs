//! Sweeps: many seeds of one scenario, one simulation per thread, on all cores; `--shard i/n` runs
//! every n-th seed so a cluster scheduler can spread a sweep over machines.
//!
//! Owns: parsing `--seeds A..B` (half-open, as Rust ranges; `A..=B` too) and `--shard i/n`, the
//! worker pool (`std::thread::scope`, workers pull seeds from an atomic counter), and what happens to
//! each seed (swarm variant, run, report of a failing seed written into the sweep folder, with its
//! plots only under `--plots`). Results are sorted by seed before anything is written or printed,
//! so output never depends on thread timing.
//! Never: print (the CLI prints what this returns), read the wall clock, or share a simulation
//! between threads.

use crate::output::report::Report;
use crate::scenario::Scenario;
use crate::tools::run::Run;
use crate::tools::sweep::out::{SeedRow, SeedSpan, ShardInfo, SweepMeta, SweepSummary};
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub mod merge;
pub mod out;
pub mod verify;

/// Parses `A..B` (half-open) or `A..=B` (inclusive) into a half-open span with `A < B`.
pub fn parse_seeds(s: &str) -> Result<SeedSpan, String> {
    let bad = |why: &str| format!("--seeds {s:?}: {why} (expected A..B, half-open as in Rust, e.g. 0..100)");
    let (a, b, inclusive) = match (s.split_once("..="), s.split_once("..")) {
        (Some((a, b)), _) => (a, b, true),
        (None, Some((a, b))) => (a, b, false),
        (None, None) => return Err(bad("no '..'")),
    };
    let num = |t: &str, which: &str| {
        t.trim().parse::<u64>().map_err(|_| bad(&format!("{which} {t:?} is not a seed (0 ..= 2^64-1)")))
    };
    let start = num(a, "start")?;
    let last = num(b, "end")?;
    let end = if inclusive { last.checked_add(1).ok_or_else(|| bad("end is too large"))? } else { last };
    if start >= end {
        return Err(bad("the range is empty"));
    }
    Ok(SeedSpan { start, end })
}

/// Parses `i/n` (0-based shard `i` of `n`).
pub fn parse_shard(s: &str) -> Result<ShardInfo, String> {
    let bad = |why: &str| format!("--shard {s:?}: {why} (expected i/n with 0 <= i < n, e.g. 3/8)");
    let (i, n) = s.split_once('/').ok_or_else(|| bad("no '/'"))?;
    let index = i.trim().parse::<u64>().map_err(|_| bad("i is not a number"))?;
    let count = n.trim().parse::<u64>().map_err(|_| bad("n is not a number"))?;
    if count == 0 || index >= count {
        return Err(bad("i must be below n"));
    }
    Ok(ShardInfo { index, count })
}

/// How many seeds of `span` shard `shard` runs.
#[must_use]
pub fn shard_len(span: SeedSpan, shard: Option<ShardInfo>) -> u64 {
    let (i, n) = shard.map_or((0, 1), |s| (s.index, s.count));
    (span.end - span.start).saturating_sub(i).div_ceil(n)
}

/// The `k`-th seed (0-based) that shard `shard` runs: every n-th seed, starting at the i-th.
#[must_use]
pub fn shard_seed(span: SeedSpan, shard: Option<ShardInfo>, k: u64) -> u64 {
    let (i, n) = shard.map_or((0, 1), |s| (s.index, s.count));
    span.start + i + k * n
}

/// All the seeds shard `shard` runs, in order (for tests and small ranges).
#[must_use]
pub fn shard_seeds(span: SeedSpan, shard: Option<ShardInfo>) -> Vec<u64> {
    (0..shard_len(span, shard)).map(|k| shard_seed(span, shard, k)).collect()
}

/// What to sweep.
#[derive(Clone, Debug)]
pub struct Config {
    /// The scenario file as the user gave it (repro commands name it).
    pub scenario_file: String,
    pub base: Scenario,
    pub seeds: SeedSpan,
    /// `--swarm` / `--swarm-outside`: each seed draws its own fault parameters.
    pub swarm: Option<crate::tools::swarm::Reach>,
    pub shard: Option<ShardInfo>,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// The sweep folder is created under this.
    pub out: PathBuf,
    /// Write the plots of each seed whose report is written (those not matching `expect`); off by
    /// default, so a sweep of thousands of seeds writes no plots unless asked.
    pub plots: bool,
}

impl Config {
    #[must_use]
    pub fn meta(&self) -> SweepMeta {
        let name = self.swarm.map_or(self.base.name.clone(), |r| crate::tools::swarm::name(&self.base.name, r));
        SweepMeta {
            scenario_name: name,
            scenario_file: self.scenario_file.clone(),
            seeds: self.seeds,
            swarm: self.swarm.is_some(),
            swarm_outside: self.swarm == Some(crate::tools::swarm::Reach::Outside),
            shard: self.shard,
            base: self.base.clone(),
        }
    }
}

/// A finished sweep: the summary, the rows in seed order, and the folder written.
pub struct SweepOutcome {
    pub summary: SweepSummary,
    pub rows: Vec<SeedRow>,
    pub dir: PathBuf,
}

impl SweepOutcome {
    /// See [`out::exit_code`].
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        out::exit_code(&self.rows)
    }
}

thread_local! {
    static CURRENT_REPRO: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// The repro command of the seed this thread is running, if it is a sweep worker (for panic hooks).
#[must_use]
pub fn current_repro() -> Option<String> {
    CURRENT_REPRO.with(|c| c.borrow().clone())
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    let msg =
        p.downcast_ref::<&str>().map(std::string::ToString::to_string).or_else(|| p.downcast_ref::<String>().cloned());
    format!("panicked: {}", msg.unwrap_or_else(|| "(no message)".into()))
}

/// Runs one seed; writes its report into `dir` if it does not match `expect`.
fn run_seed(cfg: &Config, meta: &SweepMeta, dir: &Path, seed: u64) -> SeedRow {
    let (sc, swarm) = if let Some(reach) = cfg.swarm {
        match crate::tools::swarm::variant(&cfg.base, seed, reach) {
            Ok((sc, p)) => (sc, p.values()),
            Err(e) => {
                return SeedRow::failed(seed, "error", e, vec![String::new(); crate::tools::swarm::COLUMNS.len()]);
            }
        }
    } else {
        let mut sc = cfg.base.clone();
        sc.reseed(seed);
        (sc, Vec::new())
    };
    CURRENT_REPRO.with(|c| *c.borrow_mut() = Some(meta.repro(seed)));
    let mut capture = cfg.plots.then(|| crate::output::plot::Capture::new(&sc, None));
    let result = catch_unwind(AssertUnwindSafe(|| Run::new(sc).map(|r| r.capture(capture.as_mut()).finish().report)));
    CURRENT_REPRO.with(|c| *c.borrow_mut() = None);
    let rep: Report = match result {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => return SeedRow::failed(seed, "error", format!("{}: {e}", cfg.scenario_file), swarm),
        Err(p) => return SeedRow::failed(seed, "panic", panic_text(p.as_ref()), swarm),
    };
    let mut row = SeedRow::from_report(&rep, swarm);
    if !row.matches_expect {
        let written = rep.write(dir).and_then(|_| match &capture {
            Some(c) => crate::output::plot::write(&rep.dir(dir), &rep, c).map(|_| ()),
            None => Ok(()),
        });
        if let Err(e) = written {
            row.reason = format!("{} (and its report could not be written: {e})", row.reason);
        }
    }
    row
}

/// Runs the sweep and writes `summary.json` and `runs.csv`. `on_done(failed)` is called (from a
/// worker thread) after each seed, for progress displays. Errors are I/O errors (exit 1).
pub fn run(cfg: &Config, on_done: &(dyn Fn(bool) + Sync)) -> Result<SweepOutcome, String> {
    let meta = cfg.meta();
    let dir = cfg.out.join(meta.folder_name());
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let total = shard_len(cfg.seeds, cfg.shard);
    let next = AtomicU64::new(0);
    let results = Mutex::new(Vec::new());
    let jobs = cfg.jobs.clamp(1, usize::try_from(total).unwrap_or(usize::MAX).max(1));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    if k >= total {
                        break;
                    }
                    let seed = shard_seed(cfg.seeds, cfg.shard, k);
                    let row = run_seed(cfg, &meta, &dir, seed);
                    on_done(!row.matches_expect);
                    results.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(row);
                }
            });
        }
    });
    let mut rows = results.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner);
    rows.sort_by_key(|r| r.seed);
    let summary = out::summary(&meta, &rows);
    out::write(&dir, &summary, &rows).map_err(|e| format!("{}: cannot write: {e}", dir.display()))?;
    Ok(SweepOutcome { summary, rows, dir })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_ranges_parse_like_rust_ranges() {
        assert_eq!(parse_seeds("0..100"), Ok(SeedSpan { start: 0, end: 100 }));
        assert_eq!(parse_seeds("5..=7"), Ok(SeedSpan { start: 5, end: 8 }));
        assert_eq!(parse_seeds(" 3 .. 4 "), Ok(SeedSpan { start: 3, end: 4 }));
        for (bad, why) in [
            ("7", "no '..'"),
            ("5..5", "empty"),
            ("9..2", "empty"),
            ("a..3", "start \"a\""),
            ("1..-3", "end \"-3\""),
            ("0..=18446744073709551615", "too large"),
        ] {
            let e = parse_seeds(bad).expect_err(bad);
            assert!(e.contains(why) && e.contains("--seeds") && e.contains("A..B"), "{bad}: {e}");
        }
    }

    #[test]
    fn shards_parse_and_partition_the_seeds() {
        assert_eq!(parse_shard("3/8"), Ok(ShardInfo { index: 3, count: 8 }));
        for bad in ["8/8", "1/0", "x/2", "3", "-1/2"] {
            assert!(parse_shard(bad).expect_err(bad).contains("--shard"), "{bad}");
        }
        let span = SeedSpan { start: 10, end: 21 };
        assert_eq!(shard_seeds(span, None), (10..21).collect::<Vec<_>>());
        assert_eq!(shard_seeds(span, Some(ShardInfo { index: 1, count: 3 })), vec![11, 14, 17, 20]);
        let mut all: Vec<u64> =
            (0..3).flat_map(|i| shard_seeds(span, Some(ShardInfo { index: i, count: 3 }))).collect();
        all.sort_unstable();
        assert_eq!(all, (10..21).collect::<Vec<_>>(), "the shards partition the range");
        assert!(shard_seeds(SeedSpan { start: 0, end: 2 }, Some(ShardInfo { index: 4, count: 5 })).is_empty());
        // Huge ranges are never materialized.
        let huge = SeedSpan { start: 0, end: u64::MAX };
        assert_eq!(shard_len(huge, Some(ShardInfo { index: 1, count: 2 })), u64::MAX / 2);
        assert_eq!(shard_seed(huge, Some(ShardInfo { index: 1, count: 2 }), 10), 21);
    }
}
