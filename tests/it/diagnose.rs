//! Failure diagnosis: every shipped failure class shows on its named scenario and seed, the slice
//! names the nodes and events that explain it, passing runs carry none, and the console prints it.

use crate::util::{Tmp, chordsim, scenario, stderr};
use chordsim::output::report::Verdict;
use chordsim::scenario::Scenario;
use chordsim::tools::diagnose::Diagnosis;
use chordsim::tools::run::Run;

fn diagnosis(name: &str, seed: u64) -> Diagnosis {
    let mut sc = Scenario::load(&scenario(name)).expect("loads");
    sc.reseed(seed);
    let rep = Run::new(sc).and_then(Run::report).expect("runs");
    assert!(matches!(rep.verdict.verdict, Verdict::Safety | Verdict::NoConvergence), "{name} seed {seed}");
    rep.diagnosis.unwrap_or_else(|| panic!("{name} seed {seed}: failed without a diagnosis"))
}

/// The class, and lines every diagnosis must have: the focus nodes, a bounded slice ending at or
/// before the break, the summary naming the node it blames.
fn assert_class(d: &Diagnosis, class: &str, blamed: &str) {
    assert_eq!(d.class, class, "{}\n{}", d.summary, d.slice.join("\n"));
    assert!(d.summary.contains(blamed), "{class}: summary does not name {blamed}: {}", d.summary);
    assert!(!d.nodes.is_empty() && d.nodes.len() <= chordsim::tools::diagnose::classify::MAX_FOCUS);
    assert!(d.slice.len() <= chordsim::tools::diagnose::MAX_LINES);
    assert!(d.window_s[0] < d.window_s[1], "{:?}", d.window_s);
    assert!(!d.summary.contains("diverged"), "the re-run must match the run: {}", d.summary);
}

#[test]
fn isolated_joiner_on_the_join_window_scenarios() {
    let d = diagnosis("join-window.toml", 90);
    assert_class(&d, "isolated_joiner", "0xa57910f8");
    assert!(d.slice.iter().any(|l| l.contains("0xa57910f8") && l.contains("joined, successor 0xb9dd04c2")));
    assert!(d.nodes.iter().any(|n| n.starts_with("0xa57910f8 member: successors [0xa57910f8]")), "{:?}", d.nodes);
    let d = diagnosis("small-ring-churn.toml", 0);
    assert_class(&d, "isolated_joiner", "already dead when the join adopted it");
    let d = diagnosis("churn-published.toml", 1);
    assert_class(&d, "isolated_joiner", "0x99455300");
    // The join successor left: its departure is in the slice although it is no pointer at the end.
    assert!(d.slice.iter().any(|l| l.contains("0x99566915") && l.contains("left")), "{}", d.slice.join("\n"));
}

#[test]
fn successor_list_exhausted_and_zave_t3_on_list_exhausted() {
    let d = diagnosis("list-exhausted.toml", 13);
    assert_class(&d, "successor_list_exhausted", "0x3a lost every successor");
    assert!(d.slice.iter().any(|l| l.contains("0x33c  crashed")), "{}", d.slice.join("\n"));
    let d = diagnosis("list-exhausted.toml", 16);
    assert_class(&d, "zave_t3", "0x142 replaced its dead successor 0x15d by the stale entry 0xd4");
}

#[test]
fn false_suspicion_under_message_loss() {
    let d = diagnosis("false-suspicion.toml", 0);
    assert_class(&d, "false_suspicion", "0x1a8 declared live node 0x2d7 dead");
    assert!(d.slice.iter().any(|l| l.contains("after a timeout (false suspicion)")));
    assert!(d.slice.iter().any(|l| l.contains("lost")));
}

#[test]
fn ring_split_by_partition() {
    let d = diagnosis("partition-split.toml", 1);
    assert_class(&d, "ring_split_by_partition", "300.000 s–600.000 s");
    // The slice ends where AtMostOneRing broke, during the partition, not at the verdict after it.
    assert!(d.window_s[1] > 300.0 && d.window_s[1] <= 600.0, "{:?}", d.window_s);
}

#[test]
fn passing_runs_carry_no_diagnosis_and_the_report_is_unchanged() {
    let sc = Scenario::load(&scenario("small-churn.toml")).expect("loads");
    let rep = Run::new(sc).and_then(Run::report).expect("runs");
    assert_eq!(rep.verdict.verdict, Verdict::Pass);
    assert!(rep.diagnosis.is_none());
    assert!(!rep.to_json().contains("\"diagnosis\""));
}

#[test]
fn console_and_report_show_the_diagnosis() {
    let tmp = Tmp::new("diagnose");
    let out = tmp.path("out");
    let o = chordsim(&[
        scenario("list-exhausted.toml").to_str().unwrap(),
        "--quiet",
        "--no-plots",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("diagnosis: successor_list_exhausted — 0x3a lost every successor"), "{err}");
    assert!(err.contains("  slice 287.000–290.000 s:"), "{err}");
    let rep = crate::util::json(&out.join("list-exhausted-seed13/report.json"));
    assert_eq!(rep["diagnosis"]["class"], "successor_list_exhausted");
    assert!(rep["diagnosis"]["slice"].as_array().is_some_and(|s| !s.is_empty()));
}

#[test]
fn sweep_counts_failure_classes() {
    let tmp = Tmp::new("diagnose-sweep");
    let out = tmp.path("out");
    let o = chordsim(&[
        "sweep",
        scenario("false-suspicion.toml").to_str().unwrap(),
        "--seeds",
        "0..8",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = std::fs::read_dir(&out).expect("sweep folder").next().expect("one").expect("entry").path();
    let s = crate::util::json(&dir.join("summary.json"));
    let classes = s["failure_classes"].as_object().expect("failure_classes");
    let total: u64 = classes.values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(total, 8, "{classes:?}");
    assert!(classes.contains_key("false_suspicion"), "{classes:?}");
    let csv = crate::util::read(&dir.join("runs.csv"));
    assert!(csv.lines().next().unwrap().contains("failure_class"));
}

#[test]
fn shell_check_uses_the_same_diagnosis() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_chordsim"))
        .args(["shell", scenario("list-exhausted.toml").to_str().unwrap(), "--seed", "13"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("shell starts");
    child.stdin.take().expect("stdin").write_all(b"run 295s\ncheck\nstep\ncheck\n").expect("commands");
    let out = child.wait_with_output().expect("shell ends");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("  diagnosis: zave_t3").count(), 2, "{text}");
    assert!(text.contains("0x13a replaced its dead successor 0x147 by the stale entry 0x133"), "{text}");
    assert!(text.contains("      t =    291.755 s  0x252  crashed  [churn]"), "{text}");
}
