//! The network model end to end: per-pair latency from coordinates and from a matrix file (and its
//! errors), partitions that split the ring or heal in time, recursive against iterative lookups, and
//! the latency section of the report (absent when the new options are off).

use crate::util::{Tmp, chordsim, scenario, stderr};
use chordsim::output::report::{Report, Verdict};
use chordsim::scenario::{LookupStyle, Scenario};
use chordsim::tools::run::Run;

fn run(name: &str, edit: impl FnOnce(&mut Scenario)) -> Report {
    let mut sc = Scenario::load(&scenario(name)).unwrap_or_else(|e| panic!("{e}"));
    edit(&mut sc);
    Run::new(sc).and_then(Run::report).expect("runs")
}

#[test]
fn a_split_ring_is_named_after_the_heal_and_a_short_cut_converges() {
    let rep = run("partition-split.toml", |_| {});
    assert_eq!(rep.verdict.verdict, Verdict::NoConvergence);
    let why = rep.verdict.reason.clone().unwrap_or_default();
    // Two halves, and members whose whole list lay across the cut are rings of their own (4 at this seed).
    assert!(why.starts_with("ring split during partition 300–600 s: 4 disjoint rings remain"), "{why}");
    assert!(why.contains("round 61"), "named one round after the heal, not at the quiet phase's end: {why}");
    assert!(rep.run.messages_lost > 0);
    let rep = run("partition-heal.toml", |_| {});
    assert_eq!(rep.verdict.verdict, Verdict::Pass, "{:?}", rep.verdict.reason);
    assert!(rep.run.messages_lost > 0, "the cut dropped messages");
}

#[test]
fn recursive_lookups_are_faster_than_iterative_and_as_correct() {
    let iter = run("net-euclidean.toml", |_| {});
    let rec = run("net-euclidean.toml", |sc| sc.protocol.lookup_style = LookupStyle::Recursive);
    let (li, lr) = (iter.lookup_latency.clone().expect("measured"), rec.lookup_latency.clone().expect("measured"));
    for r in [&iter, &rec] {
        assert_eq!(r.verdict.verdict, Verdict::Pass, "{:?}", r.verdict.reason);
        let o = &r.lookups.outcomes;
        assert!(o.correct as f64 > 0.99 * o.done as f64, "{o:?}");
    }
    // Iterative: a round trip per hop; recursive: one way per hop plus the answer.
    assert!(lr.latency_ms.mean < 0.75 * li.latency_ms.mean, "{lr:?} vs {li:?}");
    let (si, sr) = (li.stretch.expect("per-pair model"), lr.stretch.expect("per-pair model"));
    assert!(sr.p50 < si.p50 && si.p50 > 1.0, "{sr:?} vs {si:?}");
    assert!((iter.lookups.hops.mean - rec.lookups.hops.mean).abs() < 0.3);
    assert!(rec.traffic.lookup_by_type.contains_key("forward") && !iter.traffic.lookup_by_type.contains_key("forward"));
}

#[test]
fn latency_section_only_when_the_network_model_is_used() {
    let plain = run("small-churn.toml", |_| {}).to_json();
    assert!(
        !plain.contains("lookup_latency")
            && !plain.contains("jitter_ms")
            && !plain.contains("jitter_fraction")
            && !plain.contains("lookup_style")
    );
    let m = run("net-matrix.toml", |_| {});
    assert_eq!(m.verdict.verdict, Verdict::Pass, "{:?}", m.verdict.reason);
    let json = m.to_json();
    assert!(json.contains("\"lookup_latency\"") && json.contains("\"stretch\""), "report has the section");
    assert!(m.rounds.iter().all(|r| r.latency.is_some()), "every round row has its means");
    let a = run("net-matrix.toml", |sc| sc.reseed(9)).to_json();
    assert_eq!(a, run("net-matrix.toml", |sc| sc.reseed(9)).to_json(), "same seed, same bytes");
}

#[test]
fn a_malformed_matrix_is_a_scenario_error_naming_file_and_line() {
    let t = Tmp::new("matrix");
    t.file("m.txt", "0 10 20\n10 0\n20 30 0\n");
    let text = "duration_s = 300\n[initial]\nnodes = 8\n[net]\nlatency = { kind = \"matrix\", file = \"m.txt\", values = \"rtt\" }\n";
    let sc = t.file("bad.toml", text);
    let out = chordsim(&[sc.as_os_str(), "--quiet".as_ref(), "--out".as_ref(), t.path("res").as_os_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("m.txt: line 2: 2 columns, but the matrix has 3 rows"), "{err}");
    t.file("m.txt", "0 10\n10 0\n");
    let out = chordsim(&[sc.as_os_str(), "--quiet".as_ref(), "--out".as_ref(), t.path("res").as_os_str()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::remove_file(t.path("m.txt")).expect("rm");
    let out = chordsim(&[sc.as_os_str(), "--quiet".as_ref()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read the latency matrix"), "{}", stderr(&out));
}

#[test]
fn bad_network_settings_name_key_and_range() {
    let text = "duration_s = 900\n[initial]\nnodes = 8\n[net]\nlatency = { kind = \"euclidean\", dims = 0, side_ms = 100 }\n\
                jitter_ms = -1\n[[event]]\naction = \"partition\"\nat_s = 300\nheal_at_s = 200\nfraction = 1.5\n";
    let e = Scenario::parse(text, "x.toml", "x").expect_err("invalid").to_string();
    // One line: the first problem in full, the keys of the others in brackets.
    assert_eq!(e.lines().count(), 1, "{e}");
    for want in [
        "x.toml:5:33: net.latency.dims: 0 is out of range (allowed 1 ..= 16)",
        "[3 more: net.jitter_ms, event[0].fraction, event[0].heal_at_s]",
    ] {
        assert!(e.contains(want), "missing `{want}` in:\n{e}");
    }
    let e = Scenario::parse(
        "duration_s = 9\n[initial]\nnodes = 8\n[protocol]\nlookup_style = \"flooding\"\n",
        "y.toml",
        "y",
    )
    .expect_err("invalid");
    assert!(e.to_string().contains("y.toml") && e.to_string().contains("iterative"), "{e}");
}

/// `ToN`'03 Table IV's trend: more finger alternates (proximity neighbour selection), lower stretch.
#[test]
fn stretch_falls_as_finger_alternates_grow() {
    let stretch = |s: u32| {
        let rep = run("net-proximity.toml", |sc| sc.protocol.finger_alternates = s);
        assert_eq!(rep.verdict.verdict, Verdict::Pass, "{:?}", rep.verdict.reason);
        let o = &rep.lookups.outcomes;
        assert_eq!(o.correct, o.done, "{o:?}");
        rep.lookup_latency.and_then(|l| l.stretch).expect("per-pair model").mean
    };
    let (s1, s4, s8) = (stretch(1), stretch(4), stretch(8));
    assert!(s1 > s4 && s4 > s8 && s8 < 0.8 * s1, "stretch with 1, 4, 8 alternates: {s1}, {s4}, {s8}");
}
