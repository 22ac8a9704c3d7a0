//! What a sweep writes and how shards are merged: one [`SeedRow`] per seed (`runs.csv`), the
//! [`SweepSummary`] (`summary.json`: counts per verdict, each metric's mean with a 95 % confidence
//! interval and its distribution across seeds), and the human summary.
//!
//! Owns: the sweep output format (the merge of shard folders is `sweep/merge.rs`, re-exported here). A summary is always computed from
//! rows sorted by seed, and rows survive a trip through `runs.csv` bit for bit, so a merge of shards
//! writes the same bytes as the unsharded sweep.
//! Never: run simulations (`sweep.rs` does), or put wall-clock values or thread counts in a file.

use crate::bounds::excerpt;
use crate::output::csv;
use crate::output::report::{Report, SCHEMA_VERSION, VERSION};
use crate::output::stats::summarize;
use crate::scenario::{Expect, Scenario};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub use crate::tools::sweep::merge::merge;

type Metric = (&'static str, fn(&Report) -> Option<f64>);

/// `x / n` rounded to 6 decimals like the report's own ratios; undefined for `n = 0`.
fn ratio(x: u64, n: u64) -> Option<f64> {
    if n == 0 { None } else { Some(crate::oracle::metrics::round6(x as f64 / n as f64)) }
}

/// The per-run metrics a sweep tabulates and summarizes, in column order.
pub const METRICS: [Metric; 16] = [
    ("sim_time_s", |r| Some(r.run.sim_time_s)),
    ("events", |r| Some(r.run.events as f64)),
    ("crashes", |r| Some(r.run.crashes as f64)),
    ("leaves", |r| Some(r.run.leaves as f64)),
    ("live_final", |r| Some(r.run.live_final as f64)),
    ("lookups_done", |r| Some(r.lookups.outcomes.done as f64)),
    ("lookup_correct_ratio", |r| ratio(r.lookups.outcomes.correct, r.lookups.outcomes.done)),
    ("lookup_wrong_ratio", |r| ratio(r.lookups.outcomes.wrong, r.lookups.outcomes.done)),
    ("lookup_failed_ratio", |r| ratio(r.lookups.outcomes.failed, r.lookups.outcomes.done)),
    ("lookup_ambiguous_ratio", |r| ratio(r.lookups.outcomes.ambiguous, r.lookups.outcomes.done)),
    ("lookup_hops_mean", |r| (r.lookups.hops.count > 0).then_some(r.lookups.hops.mean)),
    ("lookup_timeouts_mean", |r| (r.lookups.timeouts.count > 0).then_some(r.lookups.timeouts.mean)),
    ("probe_correct_ratio", |r| ratio(r.probes.correct, r.probes.total)),
    ("maintenance_msgs_per_node_per_s", |r| Some(r.traffic.maintenance_per_node_per_s)),
    ("lookup_msgs_per_node_per_s", |r| Some(r.traffic.lookup_per_node_per_s)),
    ("rounds_to_converge", rounds_to_converge),
];

/// Rounds from the last membership change to the first converged round.
fn rounds_to_converge(r: &Report) -> Option<f64> {
    let round_s = r.scenario.protocol.stabilize_interval_ms / 1000.0;
    let c = f64::from(r.verdict.converged_round?);
    Some(c - (r.verdict.quiet_start_s / round_s).floor())
}

/// One seed of a sweep: what `runs.csv` holds.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedRow {
    pub seed: u64,
    /// A verdict name, or `error` (a scenario error at run time) or `panic`.
    pub verdict: String,
    pub matches_expect: bool,
    /// Aligned with [`METRICS`]; `None` when undefined for this run or it did not finish.
    pub metrics: Vec<Option<f64>>,
    pub reason: String,
    /// The report's `verdict.outside_assumptions` (empty when the run is inside them).
    pub outside: String,
    /// The report's `diagnosis.class` for a failed run (empty otherwise).
    pub class: String,
    /// The drawn swarm parameters as text, aligned with `swarm::COLUMNS` (empty without `--swarm`).
    pub swarm: Vec<String>,
}

impl SeedRow {
    pub fn from_report(r: &Report, swarm: Vec<String>) -> SeedRow {
        SeedRow {
            seed: r.seed,
            verdict: r.verdict.verdict.name().to_string(),
            matches_expect: r.verdict.matches_expect,
            metrics: METRICS.iter().map(|(_, f)| f(r)).collect(),
            reason: r.verdict.reason.clone().unwrap_or_default(),
            outside: r.verdict.outside_assumptions.clone().unwrap_or_default(),
            class: r.diagnosis.as_ref().map_or(String::new(), |d| d.class.to_string()),
            swarm,
        }
    }

    /// A seed that produced no report (`error` or `panic`).
    pub fn failed(seed: u64, verdict: &str, reason: String, swarm: Vec<String>) -> SeedRow {
        SeedRow {
            seed,
            verdict: verdict.to_string(),
            matches_expect: false,
            metrics: vec![None; METRICS.len()],
            reason,
            outside: String::new(),
            class: String::new(),
            swarm,
        }
    }
}

fn header(swarm: bool) -> Vec<&'static str> {
    let mut h = vec!["seed", "verdict", "matches_expect"];
    h.extend(METRICS.iter().map(|m| m.0));
    h.push("reason");
    h.push("outside_assumptions");
    h.push("failure_class");
    if swarm {
        h.extend(crate::tools::swarm::COLUMNS);
    }
    h
}

/// `runs.csv`: a header and one line per seed, in seed order.
#[must_use]
pub fn runs_csv(rows: &[SeedRow], swarm: bool) -> String {
    let mut out = csv::line(&header(swarm));
    for r in rows {
        let mut f = vec![r.seed.to_string(), r.verdict.clone(), r.matches_expect.to_string()];
        f.extend(r.metrics.iter().map(|m| csv::opt(m.map(csv::num))));
        f.push(r.reason.clone());
        f.push(r.outside.clone());
        f.push(r.class.clone());
        f.extend(r.swarm.iter().cloned());
        out.push_str(&csv::line(&f));
    }
    out
}

/// Reads `runs.csv` back. Errors name the file and the line.
pub fn parse_runs_csv(text: &str, file: &str, swarm: bool) -> Result<Vec<SeedRow>, String> {
    let rows = csv::parse(text).map_err(|e| format!("{file}: {e}"))?;
    let want = header(swarm);
    if rows.first().is_none_or(|h| !h.iter().map(String::as_str).eq(want.iter().copied())) {
        return Err(format!("{file}: line 1: unexpected header (expected {})", want.join(",")));
    }
    let m = METRICS.len();
    let mut out = Vec::new();
    for (i, f) in rows.iter().enumerate().skip(1) {
        let bad = |what: &str| format!("{file}: line {}: {what}", i + 1);
        if f.len() != want.len() {
            return Err(bad(&format!("{} fields, expected {}", f.len(), want.len())));
        }
        let seed: u64 = f[0].parse().map_err(|_| bad(&format!("seed {} is not a seed", excerpt(&f[0]))))?;
        let bad = |what: &str| format!("{file}: line {} (seed {seed}): {what}", i + 1);
        let num = |(v, (name, _)): (&String, &Metric)| match v.parse::<f64>() {
            _ if v.is_empty() => Ok(None),
            Ok(x) if x.is_finite() => Ok(Some(x)),
            _ => Err(bad(&format!("{name} {} is not a finite number", excerpt(v)))),
        };
        out.push(SeedRow {
            seed,
            verdict: f[1].clone(),
            matches_expect: f[2]
                .parse()
                .map_err(|_| bad(&format!("matches_expect {} is not true or false", excerpt(&f[2]))))?,
            metrics: f[3..3 + m].iter().zip(METRICS.iter()).map(num).collect::<Result<_, _>>()?,
            reason: f[3 + m].clone(),
            outside: f[4 + m].clone(),
            class: f[5 + m].clone(),
            swarm: f[6 + m..].to_vec(),
        });
    }
    Ok(out)
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedSpan {
    pub start: u64,
    pub end: u64,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardInfo {
    pub index: u64,
    pub count: u64,
}

/// `summary.json` of a sweep (or of one shard of it).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct SweepSummary {
    pub schema_version: u32,
    pub chordsim_version: String,
    /// The name of the runs (`<scenario>`, `<scenario>-swarm` or `<scenario>-swarm-outside`).
    pub scenario_name: String,
    /// The scenario file as given on the command line (for repro commands).
    pub scenario_file: String,
    /// Half-open: `start..end`.
    pub seeds: SeedSpan,
    pub swarm: bool,
    /// `--swarm-outside`: the swarm also drew outside the variant's assumptions (absent when not).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub swarm_outside: bool,
    /// `null` for a whole sweep (sharded and merged, or not sharded at all).
    pub shard: Option<ShardInfo>,
    pub expect: Expect,
    pub runs: u64,
    pub verdicts: BTreeMap<String, u64>,
    pub matching_expect: u64,
    /// Runs outside the variant's operating assumptions (their reports say why); absent when none.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub outside_assumptions: u64,
    /// Failed runs by the failure class their diagnosis names (absent when none failed).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub failure_classes: BTreeMap<String, u64>,
    /// Seeds whose verdict does not match `expect`, in order.
    pub failing_seeds: Vec<u64>,
    /// Per metric (in `runs.csv` column order): its summary across seeds, or null if no run had it.
    pub metrics: Map<String, Value>,
    /// The base scenario, resolved (the swarm draws its variants from it).
    pub scenario: Scenario,
}

/// Everything about a sweep except its rows.
#[derive(Clone, Debug)]
pub struct SweepMeta {
    pub scenario_name: String,
    pub scenario_file: String,
    pub seeds: SeedSpan,
    pub swarm: bool,
    pub swarm_outside: bool,
    pub shard: Option<ShardInfo>,
    pub base: Scenario,
}

impl SweepMeta {
    /// `sweep-<name>-seeds<A>-<B>[-shard<i>of<n>]`
    #[must_use]
    pub fn folder_name(&self) -> String {
        let shard = self.shard.map_or(String::new(), |s| format!("-shard{}of{}", s.index, s.count));
        format!("sweep-{}-seeds{}-{}{shard}", self.scenario_name, self.seeds.start, self.seeds.end)
    }

    /// The command that reruns one seed on its own, with per-round output and a report.
    #[must_use]
    pub fn repro(&self, seed: u64) -> String {
        let swarm = match (self.swarm, self.swarm_outside) {
            (_, true) => " --swarm-outside",
            (true, false) => " --swarm",
            (false, false) => "",
        };
        format!("{} {} --seed {seed}{swarm}", crate::output::invocation::prefix(), self.scenario_file)
    }
}

/// The summary of `rows` (which must be sorted by seed).
pub fn summary(meta: &SweepMeta, rows: &[SeedRow]) -> SweepSummary {
    let mut verdicts = BTreeMap::new();
    for r in rows {
        *verdicts.entry(r.verdict.clone()).or_insert(0) += 1;
    }
    let mut metrics = Map::new();
    for (i, (name, _)) in METRICS.iter().enumerate() {
        let values: Vec<f64> = rows.iter().filter_map(|r| r.metrics[i]).collect();
        let s = summarize(&values).map_or(Value::Null, |s| serde_json::to_value(s).unwrap_or(Value::Null));
        metrics.insert(name.to_string(), s);
    }
    SweepSummary {
        schema_version: SCHEMA_VERSION,
        chordsim_version: VERSION.to_string(),
        scenario_name: meta.scenario_name.clone(),
        scenario_file: meta.scenario_file.clone(),
        seeds: meta.seeds,
        swarm: meta.swarm,
        swarm_outside: meta.swarm_outside,
        shard: meta.shard,
        expect: meta.base.expect,
        runs: rows.len() as u64,
        verdicts,
        matching_expect: rows.iter().filter(|r| r.matches_expect).count() as u64,
        outside_assumptions: rows.iter().filter(|r| !r.outside.is_empty()).count() as u64,
        failure_classes: count_classes(rows),
        failing_seeds: rows.iter().filter(|r| !r.matches_expect).map(|r| r.seed).collect(),
        metrics,
        scenario: meta.base.clone(),
    }
}

fn count_classes(rows: &[SeedRow]) -> BTreeMap<String, u64> {
    let mut by = BTreeMap::new();
    for r in rows.iter().filter(|r| !r.class.is_empty()) {
        *by.entry(r.class.clone()).or_insert(0) += 1;
    }
    by
}

impl SweepSummary {
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    #[must_use]
    pub fn meta(&self) -> SweepMeta {
        SweepMeta {
            scenario_name: self.scenario_name.clone(),
            scenario_file: self.scenario_file.clone(),
            seeds: self.seeds,
            swarm: self.swarm,
            swarm_outside: self.swarm_outside,
            shard: self.shard,
            base: self.scenario.clone(),
        }
    }
}

/// Writes `summary.json` and `runs.csv` into `dir`.
pub fn write(dir: &Path, s: &SweepSummary, rows: &[SeedRow]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("summary.json"), s.to_json())?;
    std::fs::write(dir.join("runs.csv"), runs_csv(rows, s.swarm))
}

/// The exit code of a sweep or merge: 0 if every seed matches the scenario's `expect`; 101 if a seed
/// panicked; 1 if a seed hit a scenario error at run time; else 3.
#[must_use]
pub fn exit_code(rows: &[SeedRow]) -> u8 {
    let any = |v: &str| rows.iter().any(|r| r.verdict == v);
    if any("panic") {
        101
    } else if any("error") {
        1
    } else if rows.iter().all(|r| r.matches_expect) {
        0
    } else {
        3
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One line per seed that does not match `expect`, with its repro command.
#[must_use]
pub fn failure_lines(meta: &SweepMeta, rows: &[SeedRow]) -> String {
    let mut out = String::new();
    for r in rows.iter().filter(|r| !r.matches_expect) {
        let exp = match meta.base.expect {
            Expect::Pass => String::new(),
            e => format!(
                " (expected {})",
                serde_json::to_value(e).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
            ),
        };
        let outside =
            if r.outside.is_empty() { String::new() } else { format!(", outside Zave's assumptions ({})", r.outside) };
        let _ = writeln!(out, "seed {}: {}{outside}{exp} — repro: {}", r.seed, r.verdict, meta.repro(r.seed));
    }
    out
}

/// The human summary: verdict counts, then each metric's mean, interval and spread.
#[must_use]
pub fn summary_text(s: &SweepSummary, dir: &Path) -> String {
    let mut out = String::new();
    let shard = s.shard.map_or(String::new(), |h| format!(", shard {}/{}", h.index, h.count));
    let _ = writeln!(
        out,
        "── sweep: {}, seeds {}..{}{shard}: {} runs ──",
        s.scenario_name, s.seeds.start, s.seeds.end, s.runs
    );
    let counts: Vec<String> = s.verdicts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(out, "  verdicts   {}", counts.join("  "));
    let _ = writeln!(out, "  expected   {}: {}/{} runs match", s.expect.name(), s.matching_expect, s.runs);
    if !s.failure_classes.is_empty() {
        let by: Vec<String> = s.failure_classes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(out, "  failures   {} (diagnosis.class; runs.csv failure_class)", by.join("  "));
    }
    if s.outside_assumptions > 0 {
        let _ = writeln!(
            out,
            "  outside    {} runs outside the variant's assumptions (see each report's verdict.outside_assumptions)",
            s.outside_assumptions
        );
    }
    let _ = writeln!(
        out,
        "  {:<34}{:>6}{:>14}  {:<27}{:>12}{:>12}{:>12}",
        "metric (across seeds)", "n", "mean", "95% CI of the mean", "p5", "p50", "p95"
    );
    for (name, v) in &s.metrics {
        let Ok(m) = serde_json::from_value::<crate::output::stats::Summary>(v.clone()) else { continue };
        let ci = match (m.ci95_low, m.ci95_high) {
            (Some(l), Some(h)) => format!("[{l:.4}, {h:.4}]"),
            _ => "-".to_string(),
        };
        let _ = writeln!(
            out,
            "  {name:<34}{:>6}{:>14.4}  {ci:<27}{:>12.4}{:>12.4}{:>12.4}",
            m.n, m.mean, m.p5, m.p50, m.p95
        );
    }
    let _ = writeln!(out, "  results    {}", dir.display());
    out
}
