//! The run report: verdict, lookup and probe statistics, traffic, per-round series, and the resolved
//! scenario, as deterministic JSON; plus the human summary table.
//!
//! Owns: the report schema (`schema_version`), the verdict and its exit code, and how results are laid
//! out on disk (`results/<scenario>-seed<seed>/report.json`, and `rounds.csv` beside it). Every map is
//! a `BTreeMap` and every field is simulated, never wall-clock, so the same seed gives the same bytes.
//! Never: run the simulation or decide correctness (it only formats what the checker decided).

use crate::oracle::checker::{LookupCounts, RoundRow};
use crate::oracle::metrics::{Dist, round6};
use crate::protocol::msg::MSG_KINDS;
use crate::scenario::{Expect, Scenario};
use crate::sim::engine::{Sim, Stop};
use crate::time::Time;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const SCHEMA_VERSION: u32 = 1;
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[derive(Serialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Safety,
    NoConvergence,
    LimitHit,
    /// The scenario asked for no convergence check and nothing went wrong.
    NoCheck,
    /// A scripted event could not be carried out (a node reference that names no live node when it
    /// fires): the run stopped there, and the reason names the key. Matches no `expect`; exit 1.
    ScenarioError,
}

impl Verdict {
    /// Exit codes of DESIGN.md: 0 pass, 2 safety, 3 no convergence, 4 limit hit.
    #[must_use]
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Pass | Verdict::NoCheck => 0,
            Verdict::Safety => 2,
            Verdict::NoConvergence => 3,
            Verdict::LimitHit => 4,
            Verdict::ScenarioError => 1,
        }
    }

    #[must_use]
    pub fn matches(self, e: Expect) -> bool {
        matches!(
            (self, e),
            (Verdict::Pass, Expect::Pass)
                | (Verdict::Safety, Expect::Safety)
                | (Verdict::NoConvergence, Expect::NoConvergence)
                | (Verdict::LimitHit, Expect::LimitHit)
                | (Verdict::NoCheck, Expect::NoCheck)
        )
    }

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Safety => "safety",
            Verdict::NoConvergence => "no_convergence",
            Verdict::LimitHit => "limit_hit",
            Verdict::NoCheck => "no_check",
            Verdict::ScenarioError => "scenario_error",
        }
    }
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct VerdictInfo {
    pub verdict: Verdict,
    pub expected: Expect,
    pub matches_expect: bool,
    pub reason: Option<String>,
    pub quiet_start_s: f64,
    pub converged_round: Option<u32>,
    /// Why the run lies outside the protocol variant's operating assumptions (Zave's reliable links,
    /// perfect failure detection, guarded crashes), e.g. "message loss 3.8 %"; absent when inside.
    /// The verdict stands, but a safety violation here is not the protocol's fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_assumptions: Option<String>,
    /// The checked round that decided a `safety` or `no_convergence` verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_round: Option<u32>,
    /// For `safety` and `no_convergence`: whether the failure was still there in the last checked
    /// round — observed, when the run went on to its end (`check.on_violation = "continue"`); absent
    /// when the run stopped at the verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub present_at_end: Option<bool>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct RunInfo {
    pub sim_time_s: f64,
    pub events: u64,
    pub rounds_checked: u64,
    pub live_final: u64,
    /// Nodes created, the initial ones included.
    pub nodes_created: u64,
    pub joins_skipped: u64,
    pub join_retries: u64,
    pub crashes: u64,
    pub crashes_refused: u64,
    pub leaves: u64,
    pub messages_lost: u64,
    pub messages_to_dead: u64,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct LookupReport {
    pub started: u64,
    /// Origin crashed or left before the lookup completed.
    pub abandoned: u64,
    /// Still in flight when the run ended.
    pub unfinished: u64,
    pub outcomes: LookupCounts,
    /// Live nodes contacted, including the final successor (chord.md, ToN'03 Table II convention).
    pub hops: Dist,
    pub timeouts: Dist,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct ProbeReport {
    pub total: u64,
    pub correct: u64,
    pub hops: Dist,
    pub timeouts: Dist,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Traffic {
    pub node_seconds: f64,
    pub messages_total: u64,
    /// Ring maintenance (stabilize, notify, `fix_fingers` lookups, predecessor checks, joins, leaves).
    pub maintenance_per_node_per_s: f64,
    pub maintenance_by_type: BTreeMap<&'static str, f64>,
    /// Messages caused by the lookup workload.
    pub lookup_per_node_per_s: f64,
    pub lookup_by_type: BTreeMap<&'static str, f64>,
}

/// What the warm-up (`check.warmup_s`) left out of the lookup and probe statistics. Traffic and
/// membership counts cover the whole run.
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct WarmupReport {
    pub until_s: f64,
    /// Checked rounds in the warm-up (listed in `rounds`, flagged `warmup`; their probes left out).
    pub rounds: u64,
    /// Workload lookups started in the warm-up (left out of `lookups`).
    pub lookups_started: u64,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct DhtReport {
    pub ops: crate::oracle::checker::DhtCounts,
    pub items_transferred: u64,
    pub transfer_msgs: u64,
    /// Items ever lost (max over checked rounds; crashed nodes never come back).
    pub lost_max: u64,
    pub last_round: Option<crate::oracle::checker::DhtRow>,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Report {
    pub schema_version: u32,
    pub chordsim_version: &'static str,
    /// The commit the binary was built from ("unknown" outside a checkout). Every byte comparison of
    /// reports (replay, determinism checks, tests of committed results) leaves this line out.
    pub build: &'static str,
    pub seed: u64,
    pub scenario_name: String,
    pub verdict: VerdictInfo,
    /// For `safety` and `no_convergence`: the failure class and its causal slice (`diagnose`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    /// Present when the scenario sets `check.warmup_s`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<WarmupReport>,
    pub run: RunInfo,
    pub lookups: LookupReport,
    /// Lookup latency (issue → completion) and stretch, for scenarios with per-pair latency, jitter or
    /// recursive lookups (absent otherwise, so older reports keep their bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup_latency: Option<crate::oracle::checker::LatencyReport>,
    pub probes: ProbeReport,
    pub traffic: Traffic,
    /// Zave's properties: per property, rounds violated and when; every violation (capped).
    pub properties: crate::oracle::checker::PropReport,
    /// The DHT, when it runs: operations judged against the last acknowledged put, transfers, and the
    /// final round's accounting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dht: Option<DhtReport>,
    pub scenario: Scenario,
    pub rounds: Vec<RoundRow>,
}

/// A failure's class, its explanation and its causal slice (computed by `diagnose`).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Diagnosis {
    /// `isolated_joiner`, `successor_list_exhausted`, `ring_split_by_partition`, `false_suspicion`,
    /// `zave_t1` … `zave_t6` (`zave_t3_prime`), or `unclassified`.
    pub class: &'static str,
    pub summary: String,
    /// The slice's span in simulated seconds: from the last good round (or the cap) to the deciding one.
    pub window_s: [f64; 2],
    /// The focus nodes as they stood at the deciding round, one line each.
    pub nodes: Vec<String>,
    /// What touched the focus nodes and the nodes they point at, oldest first.
    pub slice: Vec<String>,
    /// Slice lines left out (the oldest).
    pub slice_omitted: u64,
}

/// Decides the verdict from how the run stopped and what the checker saw.
#[must_use]
pub fn verdict(sim: &Sim, stop: &Stop) -> (Verdict, Option<String>) {
    let c = sim.checker();
    if let Some(e) = sim.script_error() {
        return (Verdict::ScenarioError, Some(e.to_string()));
    }
    if *stop == Stop::EventLimit {
        let why = format!(
            "limits.max_events = {} reached at t = {:.3} s",
            sim.sc().limits.max_events,
            Time(sim.now()).as_secs_f64()
        );
        return (Verdict::LimitHit, Some(why));
    }
    if let Some(s) = &c.safety {
        return (Verdict::Safety, Some(s.clone()));
    }
    if let Some(f) = &c.failure {
        return (Verdict::NoConvergence, Some(f.clone()));
    }
    if sim.sc().expect == Expect::NoCheck {
        return (Verdict::NoCheck, None);
    }
    match c.converged_round {
        Some(_) => (Verdict::Pass, None),
        None => (Verdict::NoConvergence, Some("the run ended before the ring converged".to_string())),
    }
}

impl Report {
    /// After a failure verdict, what the rest of the run showed (runs that went on to their end).
    fn aftermath(&self) -> Option<String> {
        let v = &self.verdict;
        let (k, present) = (v.decided_round?, v.present_at_end?);
        let last = self.rounds.last().map_or(k, |r| r.round);
        let conv = v.converged_round.map_or(String::new(), |r| format!(", the ring converged at round {r}"));
        Some(if present {
            format!("decided at round {k}; still present at the last checked round {last}{conv}")
        } else {
            format!("decided at round {k}; gone by the last checked round {last}{conv}")
        })
    }
}

/// Whether a failure verdict's cause was still there in the last checked round (observed only when
/// the run did not stop at the verdict).
fn present_at_end(sim: &Sim, v: Verdict, stop: &Stop) -> Option<bool> {
    let c = sim.checker();
    let last = c.rounds.last()?;
    match v {
        _ if *stop == Stop::Verdict => None,
        Verdict::Safety => Some(c.safety_now()),
        Verdict::NoConvergence => Some(!last.converged),
        _ => None,
    }
}

/// [`Scenario::assumption_breaks`], plus what the run itself shows: messages lost to cut links
/// (the shell's `cut`) although the scenario has neither loss nor partitions.
fn outside_assumptions(sim: &Sim) -> Option<String> {
    let mut why = sim.sc().assumption_breaks();
    let lost = sim.metrics().lost;
    let network_explains = sim.sc().net.loss_ratio > 0.0 || why.iter().any(|w| w.contains("partition"));
    if sim.sc().protocol.variant == crate::scenario::Variant::Zave && lost > 0 && !network_explains {
        why.push(format!("{lost} messages lost to cut links"));
    }
    (!why.is_empty()).then(|| why.join("; "))
}

/// The verdict as the text report and the sweep name it: `safety, outside Zave's assumptions (…)`.
/// A report's JSON without its `build` line: what every byte comparison of reports compares.
#[must_use]
pub fn without_build(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for line in json.split_inclusive('\n') {
        if !line.starts_with("  \"build\": ") {
            out.push_str(line);
        }
    }
    out
}

/// The exit code of one run (`run`, `replay`, `resume`): 0 when the verdict matches the scenario's
/// `expect` (as a sweep counts it), else the verdict's own code (2 safety, 3 `no_convergence`, 4
/// `limit_hit`), or 6 when the ring passed where `expect` names a failure.
#[must_use]
pub fn run_exit_code(v: &VerdictInfo) -> u8 {
    match v.verdict.exit_code() {
        _ if v.matches_expect => 0,
        0 => 6,
        c => c as u8,
    }
}

/// The line a finished run prints on stderr: `FAILED …` when the verdict does not match `expect`, a
/// plain note when it matches a failure the scenario expects, nothing for an expected pass.
#[must_use]
pub fn outcome_line(v: &VerdictInfo, repro: &str) -> Option<String> {
    let text = verdict_text(v);
    if !v.matches_expect {
        Some(format!("FAILED: verdict {text}, expected {} — repro: {repro}", v.expected.name()))
    } else if v.verdict.exit_code() != 0 {
        Some(format!("verdict {text}, as the scenario expects — repro: {repro}"))
    } else {
        None
    }
}

#[must_use]
pub fn verdict_text(v: &VerdictInfo) -> String {
    match &v.outside_assumptions {
        Some(why) => format!("{}, outside Zave's assumptions ({why})", v.verdict.name()),
        None => v.verdict.name().to_string(),
    }
}

fn per_node_s(counts: &[u64], node_s: f64) -> (f64, BTreeMap<&'static str, f64>) {
    let rate = |c: u64| if node_s > 0.0 { round6(c as f64 / node_s) } else { 0.0 };
    let by: BTreeMap<_, _> =
        MSG_KINDS.iter().zip(counts).filter(|(_, c)| **c > 0).map(|(k, c)| (*k, rate(*c))).collect();
    (rate(counts.iter().sum()), by)
}

/// Builds the report at the end of a run.
pub fn build(sim: &mut Sim, stop: &Stop) -> Report {
    let (v, reason) = verdict(sim, stop);
    let node_s = sim.node_seconds();
    let (m, c) = (sim.metrics(), sim.checker());
    let (maint, maint_by) = per_node_s(&m.maint, node_s);
    let (user, user_by) = per_node_s(&m.user, node_s);
    let unfinished = c.started - c.lookups.done - c.abandoned;
    Report {
        schema_version: SCHEMA_VERSION,
        chordsim_version: VERSION,
        build: crate::output::invocation::commit(),
        seed: sim.sc().seed,
        scenario_name: sim.sc().name.clone(),
        verdict: VerdictInfo {
            verdict: v,
            expected: sim.sc().expect,
            matches_expect: v.matches(sim.sc().expect),
            reason,
            quiet_start_s: Time(sim.sc().last_change_us()).as_secs_f64(),
            converged_round: c.converged_round,
            outside_assumptions: outside_assumptions(sim),
            decided_round: c.verdict_round,
            present_at_end: present_at_end(sim, v, stop),
        },
        diagnosis: None,
        warmup: (sim.sc().check.warmup_s > 0.0).then(|| WarmupReport {
            until_s: sim.sc().check.warmup_s,
            rounds: c.rounds.iter().filter(|r| r.warmup == Some(true)).count() as u64,
            lookups_started: c.warmup_started,
        }),
        run: RunInfo {
            sim_time_s: Time(sim.now()).as_secs_f64(),
            events: sim.events(),
            rounds_checked: c.rounds.len() as u64,
            live_final: sim.truth().live() as u64,
            nodes_created: m.joins,
            joins_skipped: m.joins_skipped,
            join_retries: m.join_retries,
            crashes: m.crashes,
            crashes_refused: m.crashes_refused,
            leaves: m.leaves,
            messages_lost: m.lost,
            messages_to_dead: m.dropped_dead,
        },
        lookups: LookupReport {
            started: c.started,
            abandoned: c.abandoned,
            unfinished,
            outcomes: c.lookups.clone(),
            hops: c.hops.dist(),
            timeouts: c.timeouts.dist(),
        },
        lookup_latency: c.latency.as_ref().map(crate::oracle::checker::LatencyStats::report),
        probes: ProbeReport {
            total: c.probes_total,
            correct: c.probes_ok,
            hops: c.probe_hops.dist(),
            timeouts: c.probe_timeouts.dist(),
        },
        traffic: Traffic {
            node_seconds: round6(node_s),
            messages_total: m.total_msgs(),
            maintenance_per_node_per_s: maint,
            maintenance_by_type: maint_by,
            lookup_per_node_per_s: user,
            lookup_by_type: user_by,
        },
        properties: c.props.with_end(c.rounds.last()),
        dht: c.dht.as_ref().map(|d| DhtReport {
            ops: d.counts.clone(),
            items_transferred: m.items_transferred,
            transfer_msgs: m.transfer_msgs,
            lost_max: c.rounds.iter().filter_map(|r| r.dht.as_ref()).map(|d| d.lost).max().unwrap_or(0),
            last_round: c.rounds.iter().rev().find_map(|r| r.dht.clone()),
        }),
        scenario: sim.sc().clone(),
        rounds: c.rounds.clone(),
    }
}

impl Report {
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
        s.push('\n');
        s
    }

    /// `results/<scenario>-seed<seed>/` under `root`.
    #[must_use]
    pub fn dir(&self, root: &Path) -> PathBuf {
        root.join(format!("{}-seed{}", self.scenario_name, self.seed))
    }

    /// Writes `report.json` and, beside it, `rounds.csv` (one line per checked round) and a copy of
    /// any side file the scenario read (`scenario::write_side_files`); returns the path of `report.json`.
    pub fn write(&self, root: &Path) -> std::io::Result<PathBuf> {
        let dir = self.dir(root);
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("report.json");
        std::fs::write(&path, self.to_json())?;
        std::fs::write(dir.join("rounds.csv"), crate::output::csv::rounds_csv(&self.rounds))?;
        crate::scenario::write_side_files(&dir, &self.scenario)?;
        Ok(path)
    }

    /// The final summary table for people.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let l = &self.lookups;
        let o = &l.outcomes;
        let pct = |x: u64, n: u64| if n == 0 { 0.0 } else { 100.0 * x as f64 / n as f64 };
        let _ = writeln!(s, "── summary: {} (seed {}) ──", self.scenario_name, self.seed);
        let _ = writeln!(
            s,
            "  simulated     {:>10.1} s   events {}   rounds checked {}",
            self.run.sim_time_s, self.run.events, self.run.rounds_checked
        );
        let _ = writeln!(
            s,
            "  membership    nodes created {}  crashes {}  leaves {}  live at end {}",
            self.run.nodes_created, self.run.crashes, self.run.leaves, self.run.live_final
        );
        if let Some(w) = &self.warmup {
            let _ = writeln!(
                s,
                "  warm-up       first {} s left out of lookups and probes: {} rounds, {} lookups started",
                w.until_s, w.rounds, w.lookups_started
            );
        }
        let _ = writeln!(
            s,
            "  lookups       {} done: correct {:.2}%  wrong {:.2}%  failed {:.2}%  ambiguous {:.2}%  (abandoned {}, unfinished {})",
            o.done,
            pct(o.correct, o.done),
            pct(o.wrong, o.done),
            pct(o.failed, o.done),
            pct(o.ambiguous, o.done),
            l.abandoned,
            l.unfinished
        );
        let _ = writeln!(s, "  lookup hops   {}", dist_line(&l.hops));
        let _ = writeln!(s, "  timeouts      {}", dist_line(&l.timeouts));
        if let Some(t) = &self.lookup_latency {
            let d = &t.latency_ms;
            let _ = write!(s, "  latency ms    mean {:.1}  p50 {}  p99 {}  max {}", d.mean, d.p50, d.p99, d.max);
            if let Some(x) = &t.stretch {
                let _ = write!(s, "   stretch mean {:.2}  p50 {:.2}  p99 {:.2}", x.mean, x.p50, x.p99);
            }
            s.push('\n');
        }
        let _ = writeln!(
            s,
            "  probes        {}/{} correct   hops {}",
            self.probes.correct,
            self.probes.total,
            dist_line(&self.probes.hops)
        );
        let _ = writeln!(
            s,
            "  traffic       maintenance {:.4} msg/node/s   lookups {:.4} msg/node/s   lost {}",
            self.traffic.maintenance_per_node_per_s, self.traffic.lookup_per_node_per_s, self.run.messages_lost
        );
        if let Some(d) = &self.dht {
            let o = &d.ops;
            let _ = writeln!(
                s,
                "  dht ops       puts {} (acked {}, failed {})   gets {}: correct {}  stale {}  missing {}  failed {} (of these, key lost {})",
                o.puts,
                o.puts_acked,
                o.puts_failed,
                o.gets,
                o.gets_correct,
                o.gets_stale,
                o.gets_missing,
                o.gets_failed,
                o.gets_unsuccessful_key_lost
            );
            if let Some(r) = &d.last_round {
                let _ = writeln!(
                    s,
                    "  dht items     {} items: owner holds {}  under-replicated {}  lost {} (max {})   keys/node mean {:.1} p1 {} p99 {} max {}",
                    r.items,
                    r.owner_holds,
                    r.under_replicated,
                    r.lost,
                    d.lost_max,
                    r.keys_per_node_mean,
                    r.keys_per_node_p1,
                    r.keys_per_node_p99,
                    r.keys_per_node_max
                );
            }
            let _ = writeln!(s, "  dht transfer  {} items in {} messages", d.items_transferred, d.transfer_msgs);
        }
        let v = &self.verdict;
        let conv = match (v.decided_round, v.converged_round) {
            (None, Some(r)) => format!(" (converged at round {r})"),
            _ => String::new(),
        };
        let _ = writeln!(s, "  verdict       {}{}   expected {}", verdict_text(v), conv, v.expected.name());
        if let Some(r) = &v.reason {
            let _ = writeln!(s, "  reason        {r}");
        }
        if let Some(line) = self.aftermath() {
            let _ = writeln!(s, "  afterwards    {line}");
        }
        s
    }
}

fn dist_line(d: &Dist) -> String {
    format!("mean {:.2}  p1 {}  p50 {}  p99 {}  max {}", d.mean, d.p1, d.p50, d.p99, d.max)
}

/// One progress line for a checked round.
#[must_use]
pub fn round_line(r: &RoundRow) -> String {
    let l = &r.lookups;
    format!(
        "round {:>5}  t={:>9.1}s  live {:>6}  succ {:>6.2}%  pred {:>6.2}%  list {:>6.2}%  fingers {:>6.2}%  probes {}/{} hops {:.2}  lookups ok {} wrong {} failed {} amb {}",
        r.round,
        r.time_s,
        r.live,
        100.0 * r.succ_ok,
        100.0 * r.pred_ok,
        100.0 * r.list_ok,
        100.0 * r.finger_entries_ok,
        r.probes_ok,
        r.probes,
        r.probe_hops_mean,
        l.correct,
        l.wrong,
        l.failed,
        l.ambiguous
    )
}
