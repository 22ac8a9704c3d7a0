//! Reproduction: a report replayed gives the same bytes; a failing seed's printed repro, rerun, gives
//! the same violation at the same simulated time; `--check-determinism`, `--trace` and `rounds.csv`.

use crate::util::{Tmp, chordsim, json, read, scenario, stderr, stdout};

fn s(p: &std::path::Path) -> String {
    p.display().to_string()
}

#[test]
fn a_run_replayed_gives_identical_bytes() {
    let t = Tmp::new("replay-same");
    let o = chordsim(&[
        s(&scenario("small-churn.toml")),
        "--seed".into(),
        "4".into(),
        "--quiet".into(),
        "--out".into(),
        s(&t.0),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = t.path("small-churn-seed4");
    let o = chordsim(&["replay".into(), s(&dir), "--quiet".into()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("replay: identical to"), "{}", stdout(&o));
    assert!(stderr(&o).lines().next().is_some_and(|l| l.contains("replaying") && l.contains("seed 4")));
    assert!(!dir.join("report.replay.json").exists(), "nothing written beside an identical report");
}

#[test]
fn a_changed_report_is_named_and_the_replay_kept_beside_it() {
    let t = Tmp::new("replay-diff");
    let o = chordsim(&[s(&scenario("small-churn.toml")), "--quiet".into(), "--out".into(), s(&t.0)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report = t.path("small-churn-seed1/report.json");
    let text = read(&report);
    let events = json(&report)["run"]["events"].clone();
    std::fs::write(&report, text.replace(&format!("\"events\": {events},"), "\"events\": 1,")).expect("edit");
    let o = chordsim(&["replay".into(), s(&report), "--quiet".into()]);
    assert_eq!(o.status.code(), Some(5), "a replay that differs exits 5: {}", stderr(&o));
    assert!(stdout(&o).contains("DIFFERS") && stdout(&o).contains("\"events\": 1,"), "{}", stdout(&o));
    assert!(read(&t.path("small-churn-seed1/report.replay.json")) == text, "the replay is the original run");
}

/// A sweep over a scenario that sometimes splits the ring (`ToN`'03's join window, seed 90): the
/// printed repro command, rerun, gives the same verdict, reason and failure time; the failing seed's
/// report in the sweep folder replays to the same bytes.
#[test]
fn a_failing_seeds_repro_reproduces_it() {
    let t = Tmp::new("replay-repro");
    let text = read(&scenario("join-window.toml")).replace("expect = \"safety\"", "expect = \"pass\"");
    let file = t.file("jw.toml", &text);
    let o = chordsim(&["sweep".into(), s(&file), "--seeds".into(), "89..92".into(), "--out".into(), s(&t.0)]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("seed ")).expect("a failing seed line");
    assert_eq!(out.lines().filter(|l| l.starts_with("seed ")).count(), 1, "{out}");
    let want = format!("seed 90: safety — repro: cargo run --release -- {} --seed 90", file.display());
    assert_eq!(line, want);
    let swept = t.path("sweep-join-window-seeds89-92/join-window-seed90/report.json");
    let args: Vec<String> =
        line.split("cargo run --release -- ").nth(1).expect("repro").split(' ').map(String::from).collect();
    let mut rerun = args.clone();
    rerun.extend(["--quiet", "--out"].map(String::from));
    rerun.push(s(&t.path("rerun")));
    let o = chordsim(&rerun);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let (a, b) = (json(&swept), json(&t.path("rerun/join-window-seed90/report.json")));
    assert_eq!(a["verdict"]["verdict"], "safety");
    assert_eq!(a["verdict"]["verdict"], b["verdict"]["verdict"]);
    assert!(a["verdict"]["reason"].as_str().is_some_and(|r| r.contains("AtMostOneRing")));
    assert_eq!(a["verdict"]["reason"], b["verdict"]["reason"]);
    assert_eq!(a["run"]["sim_time_s"], b["run"]["sim_time_s"]);
    let o = chordsim(&["replay".into(), s(&swept), "--quiet".into()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stdout(&o).contains("replay: identical to"), "{}", stdout(&o));
}

#[test]
fn check_determinism_says_deterministic() {
    let t = Tmp::new("replay-det");
    let o = chordsim(&[
        s(&scenario("small-churn.toml")),
        "--quiet".into(),
        "--check-determinism".into(),
        "--out".into(),
        s(&t.0),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let events = json(&t.path("small-churn-seed1/report.json"))["run"]["events"].clone();
    let line = stdout(&o).lines().find(|l| l.starts_with("deterministic: ")).map(String::from);
    let line = line.unwrap_or_else(|| panic!("no verdict line: {}", stdout(&o)));
    assert!(line.starts_with(&format!("deterministic: {events} events, hash 0x")), "{line}");
    let o =
        chordsim(&["replay".into(), s(&t.path("small-churn-seed1")), "--quiet".into(), "--check-determinism".into()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains(&line), "the replay's check gives the same hash: {}", stdout(&o));
}

#[test]
fn trace_writes_one_line_per_state_transition() {
    let t = Tmp::new("replay-trace");
    let trace = t.path("trace.txt");
    let args =
        [s(&scenario("join-window.toml")), "--quiet".into(), "--trace".into(), s(&trace), "--out".into(), s(&t.0)];
    let o = chordsim(&args);
    assert_eq!(o.status.code(), Some(0), "seed 90 ends in the safety it expects: {}", stderr(&o));
    assert!(stderr(&o).contains("transitions) written to"), "{}", stderr(&o));
    let text = read(&trace);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(chordsim::output::trace::TRACE_HEADER));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(' ').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 5), "time node event successor predecessor");
    assert_eq!(rows.iter().filter(|r| r[2] == "init").count(), 48, "one init line per initial node");
    let times: Vec<u64> = rows.iter().map(|r| r[0].parse().expect("time in µs")).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "lines in time order");
    // The postmortem of join-window.toml, as the trace tells it: the new node ends as its own
    // successor with no predecessor — a ring of one that no other node knows.
    let last = rows.iter().rev().find(|r| r[1] == "0xa57910f8").expect("the isolated node is traced");
    assert_eq!((last[3], last[4]), ("0xa57910f8", "-"), "{last:?}");
}

#[test]
fn rounds_csv_has_a_header_and_one_line_per_round() {
    let t = Tmp::new("replay-rounds");
    let o = chordsim(&[s(&scenario("small-churn.toml")), "--quiet".into(), "--out".into(), s(&t.0)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("rounds.csv"), "the path is printed: {}", stdout(&o));
    let report = json(&t.path("small-churn-seed1/report.json"));
    let csv = read(&t.path("small-churn-seed1/rounds.csv"));
    let lines: Vec<&str> = csv.lines().collect();
    let rounds = report["rounds"].as_array().expect("rounds");
    assert_eq!(lines.len(), rounds.len() + 1);
    assert_eq!(report["run"]["rounds_checked"], rounds.len());
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[..3], ["round", "time_s", "live"]);
    assert!(header.contains(&"lookups_correct") && header.contains(&"converged"), "{header:?}");
    let last: Vec<&str> = lines[lines.len() - 1].split(',').collect();
    assert_eq!(last.len(), header.len());
    assert_eq!(last[0], rounds[rounds.len() - 1]["round"].to_string());
}

/// With `--swarm`, the printed repro (`FILE --seed k --swarm`) reruns the same drawn variant: the
/// same report bytes as the one the sweep kept for the failing seed.
#[test]
fn a_swarm_seeds_repro_reruns_its_variant() {
    let t = Tmp::new("replay-swarm");
    let file = s(&scenario("small-churn.toml"));
    let o =
        chordsim(&["sweep".into(), file, "--seeds".into(), "30..31".into(), "--swarm".into(), "--out".into(), s(&t.0)]);
    assert_eq!(o.status.code(), Some(3), "seed 30's variant does not converge: {}", stderr(&o));
    let out = stdout(&o);
    let line = out.lines().find(|l| l.starts_with("seed 30: ")).unwrap_or_else(|| panic!("{out}"));
    let repro = line.split("cargo run --release -- ").nth(1).expect("repro");
    assert!(repro.ends_with("--seed 30 --swarm"), "{repro}");
    let mut args: Vec<String> = repro.split(' ').map(String::from).collect();
    args.extend(["--quiet".into(), "--out".into(), s(&t.path("rerun"))]);
    assert_eq!(chordsim(&args).status.code(), Some(3));
    let swept = read(&t.path("sweep-small-churn-swarm-seeds30-31/small-churn-swarm-seed30/report.json"));
    assert!(swept == read(&t.path("rerun/small-churn-swarm-seed30/report.json")), "the repro ran another variant");
}
