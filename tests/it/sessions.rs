//! Session churn (`kind = "sessions"`) and the warm-up: members rejoin with their own ids and the
//! ring still converges; a stationary start keeps the online population at its equilibrium; the
//! graceful-leave fraction; the warm-up only changes accounting; validation names key and range.

use chordsim::id::Id;
use chordsim::scenario::Scenario;
use chordsim::sim::engine::Sim;
use chordsim::tools::run::Run;
use std::collections::BTreeMap;

/// 60 members around a 10-node core, stabilizing every 5 s, sessions until t = 1200 s: Pareto on
/// periods (mean 1200 s), exponential off periods (mean 60 s), half the departures graceful. `extra`
/// goes into `[check]`.
fn small(on: &str, extra: &str) -> String {
    format!(
        r#"
seed = 3
duration_s = 1500
[initial]
nodes = 10
[protocol]
# Rejoining members fetch their successor's list (the published join's window would split the ring).
join_fetches_list = true
stabilize_interval_ms = 5000
fix_fingers_interval_ms = 5000
check_predecessor_interval_ms = 5000
[net]
latency = {{ kind = "uniform", min_ms = 10, max_ms = 90 }}
[check]
quiet_rounds_max = 20
{extra}
[[workload]]
kind = "sessions"
start_s = 0
end_s = 1200
population = 60
on = {on}
off = {{ dist = "exponential", mean_s = 60 }}
leave_probability = 0.5
[[workload]]
kind = "lookups"
start_s = 10
end_s = 1500
per_s = 2
"#
    )
}

const PARETO_ON: &str = r#"{ dist = "pareto", mean_s = 1200, shape = 2.5 }"#;

/// Heavier churn (sessions of 5 min, 2 min off, every departure a crash) on Zave's protocol, which
/// keeps one ring where `ToN`'03 splits into disjoint rings at this rate for many seeds.
fn heavy_zave() -> String {
    small(r#"{ dist = "pareto", mean_s = 300, shape = 2.5 }"#, "")
        .replace("mean_s = 60 }", "mean_s = 120 }")
        .replace("leave_probability = 0.5", "leave_probability = 0")
        .replace("[protocol]", "[protocol]\nvariant = \"zave\"")
        .replace("_interval_ms = 5000", "_interval_ms = 10000")
        .replace("join_fetches_list = true\n", "")
}

/// Every id that had more than one slot had at most one live, and the truth names that one.
fn assert_rejoined_with_same_ids(sim: &Sim, at_least: usize) {
    let mut slots: BTreeMap<Id, Vec<usize>> = BTreeMap::new();
    for (a, s) in sim.nodes().iter().enumerate() {
        slots.entry(s.node.me().id).or_default().push(a);
    }
    let rejoined = slots.values().filter(|v| v.len() > 1).count();
    assert!(rejoined >= at_least, "only {rejoined} ids came back");
    for (id, v) in &slots {
        let live: Vec<usize> = v.iter().copied().filter(|&a| sim.nodes()[a].alive).collect();
        assert!(live.len() <= 1, "{id}: live slots {live:?}");
        if let [a] = live[..] {
            assert_eq!(sim.truth().by_id(*id).map(|p| p.addr.0 as usize), Some(a), "truth names the live slot");
        }
    }
}

fn parse(text: &str) -> Result<Scenario, String> {
    Scenario::parse(text, "<t>", "t").map_err(|e| e.0)
}

#[test]
fn members_rejoin_with_their_ids_and_the_ring_converges() {
    for (text, rejoins) in [(small(PARETO_ON, ""), 20), (heavy_zave(), 50)] {
        let sc = parse(&text).expect("valid");
        let mut sim = Sim::new(sc.clone()).expect("builds");
        sim.run();
        assert_rejoined_with_same_ids(&sim, rejoins);
        let rep = Run::new(sc).and_then(Run::report).expect("runs");
        assert_eq!(rep.verdict.verdict.name(), "pass", "{:?}", rep.verdict.reason);
        assert!(rep.run.crashes > 20 && rep.run.nodes_created > 120, "{:?}", rep.run);
        let o = &rep.lookups.outcomes;
        assert!(o.done > 2000 && o.correct as f64 > 0.9 * o.done as f64, "{o:?}");
    }
}

/// Online members over time; the population's equilibrium share is E[on] / (E[on] + E[off]).
fn online_over_time(start_state: &str) -> (Vec<usize>, f64, f64) {
    let text = format!(
        r#"
seed = 5
duration_s = 400
expect = "no_check"
[initial]
nodes = 1
[check]
probe_keys = 0
[[workload]]
kind = "sessions"
start_s = 0
end_s = 400
population = 2000
start_state = "{start_state}"
on = {{ dist = "weibull", mean_s = 100, shape = 0.5 }}
off = {{ dist = "pareto", mean_s = 300, shape = 3 }}
leave_probability = 0.3
"#
    );
    let mut sim = Sim::new(parse(&text).expect("valid")).expect("builds");
    let online = [0u64, 20, 50, 100, 200, 400]
        .iter()
        .map(|&t| {
            sim.run_until(t * 1_000_000);
            sim.sessions().online()
        })
        .collect();
    let m = sim.metrics();
    (online, 0.25 * 2000.0, m.leaves as f64 / (m.leaves + m.crashes) as f64)
}

#[test]
fn stationary_start_stays_at_equilibrium_and_leaves_are_the_given_share() {
    let (online, want, leave_share) = online_over_time("stationary");
    // Binomial sd at N = 2000, p = 1/4 is about 19: allow 4 sd at every time.
    for (i, n) in online.iter().enumerate() {
        assert!((*n as f64 - want).abs() < 80.0, "sample {i}: {n} online, equilibrium {want} ({online:?})");
    }
    assert!((leave_share - 0.3).abs() < 0.03, "graceful share {leave_share}");
    // Starting all online is far from equilibrium, and heavy-tailed sessions drain it slowly.
    let (online, ..) = online_over_time("on");
    assert_eq!(online[0], 2000);
    assert!(online[2] as f64 > want + 300.0, "{online:?}");
}

#[test]
fn warmup_changes_only_the_summary() {
    let full = Run::new(parse(&small(PARETO_ON, "")).expect("valid")).and_then(Run::report).expect("runs");
    let warm =
        Run::new(parse(&small(PARETO_ON, "warmup_s = 300")).expect("valid")).and_then(Run::report).expect("runs");
    assert_eq!(full.run, warm.run, "same simulation");
    assert!(full.warmup.is_none() && full.rounds.iter().all(|r| r.warmup.is_none()));
    let w = warm.warmup.as_ref().expect("warm-up reported");
    assert_eq!(w.rounds, 59, "rounds at t = 5 … 295 s");
    assert!(warm.rounds.iter().all(|r| r.warmup == Some(r.time_s < 300.0)));
    assert_eq!(full.lookups.started, warm.lookups.started + w.lookups_started);
    assert!(w.lookups_started > 400 && warm.lookups.outcomes.done < full.lookups.outcomes.done);
    let late_probes: u64 = warm.rounds.iter().filter(|r| r.time_s >= 300.0).map(|r| r.probes).sum();
    assert_eq!(warm.probes.total, late_probes);
    // Per-round rows keep every lookup, so they are the same in both runs.
    let rows = |r: &chordsim::output::report::Report| r.rounds.iter().map(|r| r.lookups.done).collect::<Vec<_>>();
    assert_eq!(rows(&full), rows(&warm));
    assert_eq!((full.verdict.verdict.name(), warm.verdict.verdict.name()), ("pass", "pass"));
}

#[test]
fn bad_session_settings_name_key_and_range() {
    let on = r#"{ dist = "exponential", mean_s = 60 }"#;
    let cases = [
        (small(r#"{ dist = "pareto", mean_s = 60, shape = 1 }"#, ""), "workload[0].on.shape: 1 is out of range"),
        (small(r#"{ dist = "weibull", mean_s = 60, shape = 0 }"#, ""), "workload[0].on.shape: 0 is out of range"),
        (small(r#"{ dist = "exponential", mean_s = 0 }"#, ""), "workload[0].on.mean_s: 0 is out of range"),
        (small(r#"{ dist = "gamma", mean_s = 60 }"#, ""), "workload[0].on.dist: unknown variant \"gamma\""),
        (small(r#"{ dist = "exponential", mean = 60 }"#, ""), "workload[0].on.mean: unknown key \"mean\""),
        (small(on, "warmup_s = 1500"), "check.warmup_s: 1500 is out of range"),
        (small(on, "").replace("leave_probability = 0.5", "leave_probability = 1.5"), "leave_probability: 1.5"),
        (small(on, "").replace("population = 60", "population = 0"), "workload[0].population: 0 is out of range"),
        (
            small(on, "").replace("end_s = 1200", "end_s = 1401"),
            "remain after the last membership change at 1401.000 s",
        ),
        (small(on, "").replace("[protocol]", "[protocol]\nvariant = \"zave\""), "\"zave\" has no graceful leave"),
    ];
    for (text, want) in cases {
        let err = parse(&text).expect_err(want);
        assert!(err.contains(want), "want {want:?} in {err}");
    }
}
