//! Checkpoint / restore: a run saved at time t and restored continues byte-identically to the
//! uninterrupted run — same report.json, same event count — whatever t (round boundaries, mid-round,
//! with messages, RPCs and lookups in flight), for the DHT and the `zave` variant too; restoring and
//! saving again gives the same bytes; `chordsim resume` writes the uninterrupted run's report; a
//! corrupt, truncated or foreign file exits 1 with a message saying what is wrong.

use crate::util::{Tmp, chordsim, read, scenario, stderr};
use chordsim::scenario::Scenario;
use chordsim::sim::engine::Sim;
use chordsim::tools::checkpoint;
use chordsim::tools::run::Run;
use proptest::prelude::*;
use sha1::{Digest, Sha1};

fn load(name: &str) -> Scenario {
    Scenario::load(&scenario(name)).expect("shipped scenario")
}

/// The uninterrupted run: report JSON, event count and end time (µs; an early verdict ends it early).
fn straight(sc: &Scenario) -> (String, u64, u64) {
    let r = Run::new(sc.clone()).expect("builds").finish().report;
    (r.to_json(), r.run.events, (r.run.sim_time_s * 1e6) as u64)
}

/// What was in flight at the checkpoint.
#[derive(Debug, Default)]
struct InFlight {
    queued: usize,
    pending_rpcs: usize,
    lookups: bool,
}

/// Runs to `at_us`, saves, restores from the bytes, runs on: report JSON, events, what was in flight.
fn resumed(sc: &Scenario, at_us: u64) -> (String, u64, InFlight) {
    let mut run = Run::new(sc.clone()).expect("builds");
    assert!(run.pause_at(at_us), "the run ends before the checkpoint");
    let s = run.sim();
    let live = s.nodes().iter().filter(|n| n.alive);
    let fl = InFlight {
        queued: s.queued(),
        pending_rpcs: live.map(|n| n.node.pending_rpcs()).sum(),
        lookups: s.checker().oldest_inflight().is_some(),
    };
    let bytes = checkpoint::to_bytes(s).expect("encodes");
    let (sim, h) = checkpoint::from_bytes(&bytes).expect("restores");
    assert_eq!(h.at_us, at_us);
    assert_eq!(checkpoint::to_bytes(&sim).expect("encodes"), bytes, "restore then save must give the same bytes");
    let r = Run::of(sim).finish().report;
    (r.to_json(), r.run.events, fl)
}

/// Checkpoints `name` at each time (seconds; a negative one counts back from where the uninterrupted
/// run ended, e.g. on an early verdict) and compares with the uninterrupted run.
fn check_times(name: &str, times_s: &[f64]) -> Vec<InFlight> {
    let sc = load(name);
    let (json, events, end) = straight(&sc);
    let mut seen = Vec::new();
    for &t in times_s {
        let at = if t < 0.0 { end - (-t * 1e6) as u64 } else { (t * 1e6) as u64 };
        assert!(at < end, "{name}: checkpoint at {t} s is past the run's end ({end} µs)");
        let (j, e, fl) = resumed(&sc, at);
        assert_eq!(e, events, "{name} at {at} µs: event count");
        assert!(j == json, "{name} checkpointed at {at} µs: report differs from the uninterrupted run");
        seen.push(fl);
    }
    seen
}

#[test]
fn lookups_and_churn_resume_identically_at_boundaries_and_mid_round() {
    // small-churn: 10 s rounds, joins from 30 s, lookups throughout; 0, a boundary, mid-round ones.
    let seen = check_times("small-churn.toml", &[0.0, 10.0, 5.000_001, 123.456_7, 331.25, 899.999_999]);
    assert!(seen.iter().any(|f| f.pending_rpcs > 0), "some checkpoint has RPCs in flight: {seen:?}");
    assert!(seen.iter().any(|f| f.lookups), "some checkpoint has lookups in flight: {seen:?}");
    assert!(seen.iter().all(|f| f.queued > 0));
}

#[test]
fn dht_and_zave_resume_identically() {
    // dht-churn ends early on a verdict at this commit (t = 180 s): the last checkpoint is 0.25 s before.
    let dht = check_times("dht-churn.toml", &[45.5, 90.0, -0.25]);
    let zave = check_times("zave-churn.toml", &[15.0, 600.000_5, -77.7]);
    assert!(dht.iter().chain(&zave).any(|f| f.pending_rpcs > 0));
}

/// A safety net for state added later: every small shipped scenario, checkpointed mid-run.
#[test]
fn every_small_shipped_scenario_resumes_identically() {
    for name in ["join-window.toml", "mass-crash.toml", "small-ring-churn.toml", "dht-churn-r0.toml"] {
        let (_, _, end) = straight(&load(name));
        check_times(name, &[end as f64 * 0.37e-6 + 0.000_123]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, rng_seed: crate::props::rng_seed(), ..ProptestConfig::default() })]

    #[test]
    fn any_checkpoint_time_resumes_identically(frac in 0.0f64..1.0) {
        let sc = load("small-ring-churn.toml");
        let (json, events, end) = straight(&sc);
        let at = (frac * end as f64) as u64;
        let (j, e, _) = resumed(&sc, at);
        prop_assert_eq!(e, events);
        prop_assert!(j == json, "checkpoint at {} µs: report differs", at);
    }
}

#[test]
fn cli_checkpoint_then_resume_writes_the_same_report() {
    let tmp = Tmp::new("ckpt-cli");
    let sc = scenario("small-churn.toml");
    let a = tmp.path("a");
    let o = chordsim(&[sc.as_os_str(), "--quiet".as_ref(), "--out".as_ref(), a.as_os_str()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let ck = tmp.path("dht.ckpt");
    let b = tmp.path("b");
    let args = ["--quiet", "--checkpoint-at-s", "312.5", "--checkpoint-out", ck.to_str().unwrap(), "--checkpoint-stop"];
    let o = chordsim(&[&[sc.to_str().unwrap(), "--out", b.to_str().unwrap()][..], &args[..]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("checkpoint: t = 312.5 s"), "{}", stderr(&o));
    assert!(!b.exists(), "--checkpoint-stop writes no report");
    let o = chordsim(&["resume", ck.to_str().unwrap(), "--quiet", "--out", b.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let name = "small-churn-seed1/report.json";
    assert!(read(&a.join(name)) == read(&b.join(name)), "resumed report differs");
}

/// Rewrites the trailing SHA-1 after an edit, so that only the edited field is wrong.
fn resum(mut b: Vec<u8>) -> Vec<u8> {
    let n = b.len() - 20;
    let sum = Sha1::digest(&b[..n]);
    b[n..].copy_from_slice(&sum);
    b
}

#[test]
fn bad_checkpoints_exit_1_with_a_clear_message() {
    let tmp = Tmp::new("ckpt-bad");
    let sc = load("small-ring-churn.toml");
    let sim = Sim::new(sc.clone()).expect("builds");
    let good = checkpoint::to_bytes(&sim).expect("encodes");
    let v = format!("\"chordsim_version\":\"{}\"", chordsim::output::report::VERSION);
    let at = good.windows(v.len()).position(|w| w == v.as_bytes()).expect("version in header") + v.len() - 2;
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x40;
    let mut other_version = good.clone();
    other_version[at] = b'~';
    let mut other_format = good.clone();
    other_format[8] = 99;
    let cases: [(&str, Vec<u8>, &str); 6] = [
        ("flipped", flipped, "checksum mismatch"),
        ("truncated", good[..good.len() - 100].to_vec(), "truncated"),
        ("empty", Vec::new(), "not a chordsim checkpoint"),
        ("report", b"{\"schema_version\": 1}".to_vec(), "not a chordsim checkpoint"),
        ("version", resum(other_version), "read only by the version that wrote it"),
        ("format", resum(other_format), "checkpoint format 99"),
    ];
    for (name, bytes, want) in cases {
        let p = tmp.path(name);
        std::fs::write(&p, bytes).expect("write");
        let o = chordsim(&["resume", p.to_str().unwrap(), "--quiet", "--out", tmp.path("out").to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(want) && stderr(&o).contains(name), "{name}: {}", stderr(&o));
    }
    let late = chordsim(&[
        scenario("small-ring-churn.toml").to_str().unwrap(),
        "--checkpoint-at-s",
        "1e9",
        "--checkpoint-out",
        tmp.path("x").to_str().unwrap(),
    ]);
    assert_eq!(late.status.code(), Some(1));
    assert!(stderr(&late).contains("must be before the end of the run"), "{}", stderr(&late));
    let half = chordsim(&[scenario("small-ring-churn.toml").to_str().unwrap(), "--checkpoint-at-s", "5"]);
    assert_eq!(half.status.code(), Some(1), "--checkpoint-at-s without --checkpoint-out is a usage error");
}

/// Checkpoint bytes at `at_us` of a run started from `sim`.
fn bytes_at(sim: Sim, at_us: u64) -> Vec<u8> {
    let mut run = Run::of(sim);
    assert!(run.pause_at(at_us), "the run ends before the checkpoint");
    checkpoint::to_bytes(run.sim()).expect("encodes")
}

/// A checkpoint taken by a resumed run is the very file the uninterrupted run writes at that time: the
/// queue's placement state (lanes, the table of recurring delays, the heap's layout) is saved too.
/// Random per-pair latencies exercise the heap; later times 40 ms, 1 s and 190 s after the resume.
#[test]
fn a_checkpoint_after_a_resume_has_the_uninterrupted_runs_bytes() {
    let sc = load("net-euclidean.toml");
    let t1 = 120_000_000;
    let first = bytes_at(Sim::new(sc.clone()).expect("builds"), t1);
    for t2 in [t1 + 40_000, t1 + 1_000_000, t1 + 190_500_000] {
        let straight = bytes_at(Sim::new(sc.clone()).expect("builds"), t2);
        let (sim, _) = checkpoint::from_bytes(&first).expect("restores");
        assert!(bytes_at(sim, t2) == straight, "checkpoint at {t2} µs after a resume at {t1} µs differs");
    }
}
