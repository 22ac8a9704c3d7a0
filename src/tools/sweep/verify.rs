//! What `merge` checks in one shard folder before anything is merged: its `runs.csv` rows agree with
//! themselves and with the scenario's `expect`, hold exactly the shard's seeds, its `summary.json`
//! says what those rows give, and each failing seed's report is there and is that seed's.
//!
//! Owns: the consistency rules of a sweep folder. Each refusal is one line naming the file, the line
//! and seed (for a row) or the field (for the summary), and what disagrees with what.
//! Never: write anything, or repair what it finds (a contradictory folder is refused, not fixed).

use crate::bounds::excerpt;
use crate::output::report::Verdict;
use crate::tools::sweep::out::{METRICS, SeedRow, SweepSummary, summary};
use crate::tools::sweep::{shard_len, shard_seed};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The verdicts a row may carry: a report's, or `error` / `panic` for a seed without one.
const VERDICTS: [Verdict; 5] =
    [Verdict::Pass, Verdict::Safety, Verdict::NoConvergence, Verdict::LimitHit, Verdict::NoCheck];

/// Metrics that are ratios (in 0..=1) and counts (whole numbers ≥ 0).
const RATIOS: [&str; 5] = [
    "lookup_correct_ratio",
    "lookup_wrong_ratio",
    "lookup_failed_ratio",
    "lookup_ambiguous_ratio",
    "probe_correct_ratio",
];
const COUNTS: [&str; 5] = ["events", "crashes", "leaves", "live_final", "lookups_done"];

/// The reason a sweep gives a failing seed whose report could not be written (`sweep.rs`).
const NOT_WRITTEN: &str = "(and its report could not be written";

/// Every check of one shard folder `dir`, read back as `s` and `rows`.
pub fn shard(dir: &Path, s: &SweepSummary, rows: &[SeedRow]) -> Result<(), String> {
    let sfile = dir.join("summary.json").display().to_string();
    let rfile = dir.join("runs.csv").display().to_string();
    header(&sfile, s)?;
    seeds(&rfile, s, rows)?;
    for (i, r) in rows.iter().enumerate() {
        row(&format!("{rfile}: line {} (seed {})", i + 2, r.seed), s, r)?;
    }
    figures(&sfile, s, rows)?;
    for r in rows.iter().filter(|r| !r.matches_expect) {
        report(dir, &s.scenario_name, r)?;
    }
    Ok(())
}

/// The summary's own fields agree with each other: `expect` and the name come from its scenario.
fn header(file: &str, s: &SweepSummary) -> Result<(), String> {
    if s.expect != s.scenario.expect {
        return Err(format!(
            "{file}: expect is {}, but its scenario says expect = {}",
            s.expect.name(),
            s.scenario.expect.name()
        ));
    }
    let name = match (s.swarm, s.swarm_outside) {
        (_, true) => crate::tools::swarm::name(&s.scenario.name, crate::tools::swarm::Reach::Outside),
        (true, false) => crate::tools::swarm::name(&s.scenario.name, crate::tools::swarm::Reach::Assumptions),
        (false, false) => s.scenario.name.clone(),
    };
    if s.swarm_outside && !s.swarm {
        return Err(format!("{file}: swarm_outside is true but swarm is false"));
    }
    if s.scenario_name != name {
        return Err(format!(
            "{file}: scenario_name is {}, but its scenario and swarm flags give {}",
            excerpt(&s.scenario_name),
            excerpt(&name)
        ));
    }
    if s.seeds.start >= s.seeds.end {
        return Err(format!("{file}: seeds {}..{} is empty", s.seeds.start, s.seeds.end));
    }
    Ok(())
}

/// The rows hold exactly this shard's seeds of the sweep, each once, in order.
fn seeds(file: &str, s: &SweepSummary, rows: &[SeedRow]) -> Result<(), String> {
    let span = s.seeds;
    let (i, n) = s.shard.map_or((0, 1), |h| (h.index, h.count));
    let mut lines: BTreeMap<u64, usize> = BTreeMap::new();
    for (k, r) in rows.iter().enumerate() {
        let at = format!("{file}: line {} (seed {})", k + 2, r.seed);
        if r.seed < span.start || r.seed >= span.end {
            return Err(format!("{at}: outside the sweep's seeds {}..{}", span.start, span.end));
        }
        if let Some(first) = lines.insert(r.seed, k + 2) {
            return Err(format!("{at}: seed {} given twice (also line {first})", r.seed));
        }
        if (r.seed - span.start) % n != i {
            let (a, b) = (span.start + i, span.start + i + n);
            return Err(format!("{at}: not a seed of shard {i}/{n} (its seeds are {a}, {b}, …)"));
        }
        if k > 0 && rows[k - 1].seed > r.seed {
            return Err(format!("{at}: out of order (after seed {})", rows[k - 1].seed));
        }
    }
    let want = shard_len(span, s.shard);
    if rows.len() as u64 != want {
        let missing = (0..want).map(|k| shard_seed(span, s.shard, k)).find(|x| !lines.contains_key(x));
        let which = missing.map_or(String::new(), |x| format!(": seed {x} is missing"));
        let (a, b) = (span.start, span.end);
        return Err(format!("{file}: {} rows, but this shard of seeds {a}..{b} has {want}{which}", rows.len()));
    }
    Ok(())
}

/// One row agrees with itself and with the scenario's `expect`.
fn row(at: &str, s: &SweepSummary, r: &SeedRow) -> Result<(), String> {
    let verdict = VERDICTS.iter().copied().find(|v| v.name() == r.verdict);
    if verdict.is_none() && r.verdict != "error" && r.verdict != "panic" {
        let names: Vec<&str> = VERDICTS.iter().map(|v| v.name()).chain(["error", "panic"]).collect();
        return Err(format!("{at}: verdict {} is not one of {}", excerpt(&r.verdict), names.join(", ")));
    }
    let matches = verdict.is_some_and(|v| v.matches(s.expect));
    if r.matches_expect != matches {
        return Err(format!(
            "{at}: matches_expect is {}, but verdict {} {} the scenario's expect = {}",
            r.matches_expect,
            r.verdict,
            if matches { "matches" } else { "does not match" },
            s.expect.name()
        ));
    }
    if !r.class.is_empty() {
        if !matches!(verdict, Some(Verdict::Safety | Verdict::NoConvergence)) {
            return Err(format!(
                "{at}: failure_class {} on a {} row (only safety and no_convergence runs have one)",
                excerpt(&r.class),
                r.verdict
            ));
        }
        if r.class.len() > 64 || !r.class.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return Err(format!("{at}: failure_class {} is not a class name", excerpt(&r.class)));
        }
    }
    if verdict.is_none() {
        let name = METRICS.iter().zip(&r.metrics).find(|(_, v)| v.is_some()).map(|(m, _)| m.0);
        if let Some(field) = name.or((!r.outside.is_empty()).then_some("outside_assumptions")) {
            return Err(format!("{at}: an {} row (no report) has a value in {field}", r.verdict));
        }
    }
    for ((name, _), v) in METRICS.iter().zip(&r.metrics) {
        let Some(x) = *v else { continue };
        let (ok, what) = if RATIOS.contains(name) {
            ((0.0..=1.0).contains(&x), "a ratio in 0..=1")
        } else if COUNTS.contains(name) {
            (x >= 0.0 && x.fract() == 0.0, "a whole number ≥ 0")
        } else {
            (*name == "rounds_to_converge" || x >= 0.0, "≥ 0")
        };
        if !ok {
            return Err(format!("{at}: {name} is {x}, not {what}"));
        }
    }
    Ok(())
}

/// The summary's figures are what its rows give.
fn figures(file: &str, s: &SweepSummary, rows: &[SeedRow]) -> Result<(), String> {
    let r = summary(&s.meta(), rows);
    let differ =
        |field: &str, have: String, want: String| Err(format!("{file}: {field} is {have}, but runs.csv gives {want}"));
    if s.runs != r.runs {
        return differ("runs", s.runs.to_string(), r.runs.to_string());
    }
    for k in s.verdicts.keys().chain(r.verdicts.keys()) {
        let (have, want) = (s.verdicts.get(k).copied().unwrap_or(0), r.verdicts.get(k).copied().unwrap_or(0));
        if have != want {
            return differ(&format!("verdicts.{}", excerpt(k)), have.to_string(), want.to_string());
        }
    }
    if s.matching_expect != r.matching_expect {
        return differ("matching_expect", s.matching_expect.to_string(), r.matching_expect.to_string());
    }
    if s.outside_assumptions != r.outside_assumptions {
        return differ("outside_assumptions", s.outside_assumptions.to_string(), r.outside_assumptions.to_string());
    }
    for k in s.failure_classes.keys().chain(r.failure_classes.keys()) {
        let (have, want) =
            (s.failure_classes.get(k).copied().unwrap_or(0), r.failure_classes.get(k).copied().unwrap_or(0));
        if have != want {
            return differ(&format!("failure_classes.{}", excerpt(k)), have.to_string(), want.to_string());
        }
    }
    if s.failing_seeds != r.failing_seeds {
        return differ("failing_seeds", seed_list(&s.failing_seeds), seed_list(&r.failing_seeds));
    }
    metrics(file, &s.metrics, &r.metrics)
}

/// At most 8 seeds, then how many more.
fn seed_list(seeds: &[u64]) -> String {
    let shown: Vec<String> = seeds.iter().take(8).map(u64::to_string).collect();
    let more = if seeds.len() > 8 { format!(", … {} in all", seeds.len()) } else { String::new() };
    format!("[{}{more}]", shown.join(", "))
}

/// Each metric's summary equals the recomputed one (numbers to 1e-12 relative: JSON parsing may
/// round the last bit).
fn metrics(
    file: &str,
    have: &serde_json::Map<String, Value>,
    want: &serde_json::Map<String, Value>,
) -> Result<(), String> {
    if let Some(k) = have.keys().find(|k| !want.contains_key(*k)) {
        return Err(format!("{file}: metrics.{} is not a metric a sweep writes", excerpt(k)));
    }
    for (name, w) in want {
        let h = have.get(name).unwrap_or(&Value::Null);
        let field =
            |stat: &str| if stat.is_empty() { format!("metrics.{name}") } else { format!("metrics.{name}.{stat}") };
        match (h, w) {
            (Value::Null, Value::Null) => {}
            (Value::Object(h), Value::Object(w)) => {
                if let Some(k) = h.keys().find(|k| !w.contains_key(*k)) {
                    return Err(format!("{file}: {} is not a statistic a sweep writes", field(&excerpt(k))));
                }
                for (stat, wv) in w {
                    let hv = h.get(stat).unwrap_or(&Value::Null);
                    if !same_number(hv, wv) {
                        return Err(format!("{file}: {} is {hv}, but runs.csv gives {wv}", field(stat)));
                    }
                }
            }
            _ => return Err(format!("{file}: {} is {}, but runs.csv gives {}", field(""), brief(h), brief(w))),
        }
    }
    Ok(())
}

fn same_number(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
        _ => a == b,
    }
}

fn brief(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Object(_) => "a summary".into(),
        v => excerpt(&v.to_string()),
    }
}

/// A seed that does not match `expect` and has a report: the report is in the folder and is that
/// seed's, with that verdict.
fn report(dir: &Path, name: &str, r: &SeedRow) -> Result<(), String> {
    if r.verdict == "error" || r.verdict == "panic" || r.reason.contains(NOT_WRITTEN) {
        return Ok(());
    }
    let file = dir.join(format!("{name}-seed{}", r.seed)).join("report.json");
    let shown = file.display();
    let text = std::fs::read_to_string(&file).map_err(|e| {
        format!("{shown}: cannot read the report of failing seed {} ({} in runs.csv): {e}", r.seed, r.verdict)
    })?;
    let v: Value = serde_json::from_str(&text).map_err(|e| format!("{shown}: {e}"))?;
    if v["seed"].as_u64() != Some(r.seed) {
        return Err(format!("{shown}: seed is {}, but the folder and runs.csv say {}", v["seed"], r.seed));
    }
    let verdict = &v["verdict"]["verdict"];
    if verdict.as_str() != Some(r.verdict.as_str()) {
        return Err(format!(
            "{shown}: verdict.verdict is {verdict}, but runs.csv says {} for seed {}",
            r.verdict, r.seed
        ));
    }
    Ok(())
}
