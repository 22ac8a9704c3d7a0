//! Sweeps: the CI sweep (100+ seeds of a small churn scenario, all passing), byte-identical output
//! whatever the thread count, shards merged equal to the unsharded sweep, and the command line
//! (failing seeds printed with a repro, exit code 3).

use crate::util::{Tmp, chordsim, json, read, scenario, stderr, stdout};
use chordsim::scenario::Scenario;
use chordsim::tools::sweep::out::{self as sweep_out, SeedSpan, ShardInfo};
use chordsim::tools::sweep::{self, Config};
use std::path::PathBuf;

fn config(file: &str, seeds: (u64, u64), swarm: bool, jobs: usize, out: PathBuf) -> Config {
    let path = scenario(file);
    Config {
        scenario_file: format!("scenarios/{file}"),
        base: Scenario::load(&path).unwrap_or_else(|e| panic!("{e}")),
        seeds: SeedSpan { start: seeds.0, end: seeds.1 },
        swarm: swarm.then_some(chordsim::tools::swarm::Reach::Assumptions),
        shard: None,
        jobs,
        out,
        plots: false,
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The CI sweep: every seed of the small churn scenario converges.
#[test]
fn ci_sweep_small_churn_all_seeds_pass() {
    let t = Tmp::new("ci-sweep");
    let cfg = config("small-churn.toml", (0, 120), false, cores(), t.0.clone());
    let clock = std::time::Instant::now();
    let out = sweep::run(&cfg, &|_| {}).expect("sweep runs");
    let secs = clock.elapsed().as_secs_f64();
    eprintln!("CI sweep: 120 seeds in {secs:.2} s = {:.1} seeds/s on {} threads", 120.0 / secs, cfg.jobs);
    let lines = sweep_out::failure_lines(&cfg.meta(), &out.rows);
    assert!(lines.is_empty(), "seeds that did not converge:\n{lines}");
    assert_eq!(out.summary.runs, 120);
    assert_eq!(out.summary.verdicts.get("pass"), Some(&120));
    assert_eq!(out.exit_code(), 0);
    let ok = &out.summary.metrics["lookup_correct_ratio"];
    assert!(ok["mean"].as_f64().expect("mean") > 0.99, "{ok}");
    assert!(ok["ci95_low"].as_f64() <= ok["mean"].as_f64() && ok["mean"].as_f64() <= ok["ci95_high"].as_f64());
}

#[test]
fn same_sweep_same_bytes_whatever_the_threads() {
    let t = Tmp::new("sweep-det");
    let mut outputs = Vec::new();
    for (i, jobs) in [1, 2, 2].into_iter().enumerate() {
        let cfg = config("small-churn.toml", (5, 17), true, jobs, t.path(&format!("run{i}")));
        let out = sweep::run(&cfg, &|_| {}).expect("sweep runs");
        assert_eq!(out.dir, cfg.out.join("sweep-small-churn-swarm-seeds5-17"));
        outputs.push((read(&out.dir.join("summary.json")), read(&out.dir.join("runs.csv"))));
    }
    assert!(outputs[0] == outputs[1], "jobs = 1 and jobs = 2 wrote different files");
    assert!(outputs[1] == outputs[2], "the same sweep twice wrote different files");
    let csv = &outputs[0].1;
    assert_eq!(csv.lines().count(), 13, "header + one line per seed");
    assert!(csv.lines().next().is_some_and(|h| h.starts_with("seed,verdict,") && h.contains("swarm_loss_ratio")));
}

#[test]
fn shards_merged_equal_the_unsharded_sweep() {
    let t = Tmp::new("sweep-shards");
    let whole = sweep::run(&config("small-churn.toml", (0, 9), true, 2, t.path("whole")), &|_| {}).expect("runs");
    let mut dirs = Vec::new();
    for i in 0..2 {
        let mut cfg = config("small-churn.toml", (0, 9), true, 2, t.path("shards"));
        cfg.shard = Some(ShardInfo { index: i, count: 2 });
        let out = sweep::run(&cfg, &|_| {}).expect("runs");
        assert!(out.dir.ends_with(format!("sweep-small-churn-swarm-seeds0-9-shard{i}of2")), "{}", out.dir.display());
        assert_eq!(out.rows.len(), [5, 4][i as usize]);
        dirs.push(out.dir);
    }
    let (_, rows, merged) = sweep_out::merge(&dirs, &t.path("merged")).expect("merges");
    assert_eq!(rows.len(), 9);
    for f in ["summary.json", "runs.csv"] {
        assert!(read(&whole.dir.join(f)) == read(&merged.join(f)), "{f} of the merged shards differs");
    }
    for seed in &whole.summary.failing_seeds {
        let rep = format!("small-churn-swarm-seed{seed}/report.json");
        assert!(read(&whole.dir.join(&rep)) == read(&merged.join(&rep)), "{rep} not copied");
    }
    // A missing shard, a shard given twice, and a folder that is not a shard are named.
    let e = sweep_out::merge(&dirs[..1], &t.path("bad")).expect_err("incomplete");
    assert!(e.contains("shard 1/2 is missing"), "{e}");
    let e = sweep_out::merge(&[dirs[0].clone(), dirs[0].clone()], &t.path("bad")).expect_err("twice");
    assert!(e.contains("given twice"), "{e}");
    let e = sweep_out::merge(std::slice::from_ref(&whole.dir), &t.path("bad")).expect_err("not a shard");
    assert!(e.contains("not a shard"), "{e}");
}

#[test]
fn merge_through_the_binary_matches_the_sweep() {
    let t = Tmp::new("sweep-cli-merge");
    let file = scenario("small-churn.toml");
    let out = |d: &str| t.path(d).display().to_string();
    let f = file.display().to_string();
    let o = chordsim(&["sweep", &f, "--seeds", "3..9", "--jobs", "2", "--out", &out("whole")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("seeds/s"), "{}", stderr(&o));
    assert!(stdout(&o).contains("verdicts   pass 6"), "{}", stdout(&o));
    for s in ["0/3", "1/3", "2/3"] {
        let o = chordsim(&["sweep", &f, "--seeds", "3..9", "--shard", s, "--out", &out("shards"), "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    let shard = |i| out(&format!("shards/sweep-small-churn-seeds3-9-shard{i}of3"));
    let o = chordsim(&["merge", &shard(2), &shard(0), &shard(1), "--out", &out("merged")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let name = "sweep-small-churn-seeds3-9/summary.json";
    assert!(read(&t.path("whole").join(name)) == read(&t.path("merged").join(name)));
    let summary = json(&t.path("merged").join(name));
    assert_eq!(summary["shard"], serde_json::Value::Null);
    assert_eq!(summary["seeds"]["end"], 9);
}

#[test]
fn bad_sweep_arguments_exit_1_with_a_clear_message() {
    let f = scenario("small-churn.toml").display().to_string();
    for (args, words) in [
        (vec!["--seeds", "5..5"], vec!["--seeds", "empty"]),
        (vec!["--seeds", "x"], vec!["--seeds", "A..B"]),
        (vec!["--seeds", "0..4", "--shard", "2/2"], vec!["--shard", "i/n"]),
        (vec!["--seeds", "0..4", "--jobs", "0"], vec!["--jobs"]),
        (vec![], vec!["--seeds"]),
    ] {
        let mut all = vec!["sweep", f.as_str()];
        all.extend(args.iter().copied());
        let o = chordsim(&all);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {}", stderr(&o));
        for w in words {
            assert!(stderr(&o).contains(w), "{args:?}: lacks {w}: {}", stderr(&o));
        }
    }
}
