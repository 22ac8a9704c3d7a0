//! Forged and damaged checkpoints: bytes flipped or overwritten in the state and the header, the file
//! truncated, the checksum recomputed (or not). Every such file is refused with a one-line error, or
//! restores and runs a few rounds; none panics, aborts or allocates beyond what its size justifies.
//! `CHORDSIM_CKPT_CASES` sets the number of generated cases (2,000 by default, about 3 s; the issue-16
//! measurement ran 10,000 for each of several `PROPTEST_RNG_SEED`s). `CHORDSIM_CKPT_DUMP=FILE` writes
//! each case to FILE before it runs, so that a case that kills the process (an abort) can be replayed
//! with `chordsim resume FILE`.

use crate::util::scenario;
use chordsim::scenario::Scenario;
use chordsim::tools::checkpoint;
use chordsim::tools::run::Run;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sha1::{Digest, Sha1};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Checkpoints of a few shipped scenarios mid-run (iterative and recursive lookups, the DHT, Zave's
/// variant, a latency matrix, sessions): what the cases mutate.
fn bases() -> &'static [Vec<u8>] {
    static B: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    B.get_or_init(|| {
        let at = [("small-ring-churn.toml", 95.5), ("dht-churn.toml", 45.5), ("zave-churn.toml", 150.0)];
        let more = [("net-matrix.toml", 250.25), ("sessions.toml", 120.0), ("net-recursive.toml", 60.0)];
        let net = [("net-proximity.toml", 100.0), ("partition-split.toml", 100.0)];
        at.iter().chain(&more).chain(&net).filter(|(n, _)| scenario(n).exists()).map(|&(n, s)| at_time(n, s)).collect()
    })
}

fn at_time(name: &str, at_s: f64) -> Vec<u8> {
    let sc = Scenario::load(&scenario(name)).expect("shipped scenario");
    let mut run = Run::new(sc).expect("builds");
    assert!(run.pause_at((at_s * 1e6) as u64), "{name} ends before {at_s} s");
    checkpoint::to_bytes(run.sim()).expect("encodes")
}

/// Rewrites the trailing SHA-1 after an edit.
pub fn resum(mut b: Vec<u8>) -> Vec<u8> {
    if b.len() >= 20 {
        let n = b.len() - 20;
        let sum = Sha1::digest(&b[..n]);
        b[n..].copy_from_slice(&sum);
    }
    b
}

/// One edit: at a position (a fraction of the file, as u32), a kind, a value.
type Edit = (u32, u8, u64);

/// Applies the edits: flip a bit, set a byte, write a little-endian u32 or u64 (random or a boundary).
fn forge(base: &[u8], edits: &[Edit], cut: Option<u32>, sum: bool) -> Vec<u8> {
    let mut b = base.to_vec();
    let n = b.len();
    for &(pos, kind, v) in edits {
        let at = ((u64::from(pos) * n as u64) >> 32) as usize;
        let word: u64 = match v % 6 {
            0 => 0,
            1 => u64::MAX,
            2 => v >> 40,
            3 => (v >> 8) % 300, // a small count or index: near the sizes of the bases' tables
            _ => v,
        };
        let w = match kind % 5 {
            0 => {
                b[at] ^= 1 << (v % 8);
                continue;
            }
            4 => {
                // A digit of the JSON header replaced by another: the header still parses, and says
                // something else (seed, node count, a scenario setting).
                let head = 20..(20 + u64::from_le_bytes(b[12..20].try_into().unwrap()) as usize).min(n);
                let digits: Vec<usize> = head.filter(|&i| b[i].is_ascii_digit()).collect();
                if !digits.is_empty() {
                    b[digits[(pos as usize) % digits.len()]] = b'0' + (v % 10) as u8;
                }
                continue;
            }
            1 => vec![v as u8],
            2 => (word as u32).to_le_bytes().to_vec(),
            _ => word.to_le_bytes().to_vec(),
        };
        let end = (at + w.len()).min(n);
        b[at..end].copy_from_slice(&w[..end - at]);
    }
    if let Some(c) = cut {
        b.truncate(((u64::from(c) * n as u64) >> 32) as usize);
    }
    if sum { resum(b) } else { b }
}

/// Decodes `bytes`; if accepted, runs three rounds on. Ok(true): accepted and ran; Ok(false): refused
/// with a one-line error (or the run ended with one).
pub fn decode_and_run(bytes: &[u8]) -> Result<bool, String> {
    let (sim, _) = match checkpoint::from_bytes(bytes) {
        Ok(x) => x,
        Err(e) if e.lines().count() == 1 && !e.is_empty() => return Ok(false),
        Err(e) => return Err(format!("the error is not one line: {e:?}")),
    };
    let until = sim.now().saturating_add(3 * sim.sc().round_us().max(1));
    Run::of(sim).pause_at(until);
    Ok(true)
}

fn cases() -> u32 {
    std::env::var("CHORDSIM_CKPT_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

#[test]
fn forged_checkpoints_are_refused_or_run_and_never_panic() {
    let bases = bases();
    assert!(bases.len() >= 4, "base checkpoints: {}", bases.len());
    let edits = prop::collection::vec((any::<u32>(), any::<u8>(), any::<u64>()), 1..4);
    let cut = prop::option::weighted(0.1, any::<u32>());
    let strategy = (0..bases.len(), edits, cut, prop::bool::weighted(0.9));
    let config =
        Config { cases: cases(), rng_seed: crate::props::rng_seed(), failure_persistence: None, ..Config::default() };
    let (refused, ran) = (AtomicU64::new(0), AtomicU64::new(0));
    let mut runner = TestRunner::new(config);
    let result = runner.run(&strategy, |(i, edits, cut, sum)| {
        let bytes = forge(&bases[i], &edits, cut, sum);
        if let Ok(path) = std::env::var("CHORDSIM_CKPT_DUMP") {
            // A debugging aid: the case about to run, for when it aborts the process.
            std::fs::write(path, &bytes).expect("dump the case");
        }
        if decode_and_run(&bytes).map_err(TestCaseError::fail)? {
            ran.fetch_add(1, Relaxed)
        } else {
            refused.fetch_add(1, Relaxed)
        };
        Ok(())
    });
    let (r, a) = (refused.load(Relaxed), ran.load(Relaxed));
    if let Err(e) = result {
        panic!("after {r} refused and {a} accepted: {e}");
    }
    eprintln!("forged checkpoints: {} cases, {r} refused, {a} accepted and ran, 0 panics", r + a);
}

/// Through the command line: a forged state (bytes of the state overwritten, checksum recomputed) is refused
/// with one line naming the file and exit 1, before any output folder is made; `--mem-limit` refuses a
/// checkpoint whose scenario needs more, with the estimate, before the state is decoded.
#[test]
fn resume_refuses_forged_state_and_oversized_scenarios_in_one_line() {
    use crate::util::{Tmp, chordsim, stderr};
    let tmp = Tmp::new("ckpt-forged-cli");
    let good = at_time("small-ring-churn.toml", 95.5);
    let ck = tmp.path("ok.ckpt");
    std::fs::write(&ck, &good).expect("write");
    let out = tmp.path("out");
    let o = chordsim(&["resume", ck.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap(), "--mem-limit", "1M"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("ok.ckpt") && stderr(&o).contains("--mem-limit"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    // 64 bytes in the middle of the state set to 0xff (addresses, counts and lengths at their
    // largest), the checksum recomputed.
    let bad = tmp.path("bad.ckpt");
    let mut b = good.clone();
    let n = b.len();
    b[n / 2..n - 20].iter_mut().take(64).for_each(|x| *x = 0xff);
    std::fs::write(&bad, resum(b)).expect("write");
    let o = chordsim(&["resume", bad.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("bad.ckpt: corrupt checkpoint"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    assert!(!out.exists(), "nothing written for a refused checkpoint");
}

/// `bytes` with its JSON header rewritten by `edit` (lengths and checksum recomputed).
fn with_header(bytes: &[u8], edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes")) as usize;
    let mut h: serde_json::Value = serde_json::from_slice(&bytes[20..20 + n]).expect("header json");
    edit(&mut h);
    let head = serde_json::to_vec(&h).expect("json");
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(head.len() as u64).to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(&bytes[20 + n..]);
    resum(out)
}

/// Header edits that still parse: each is refused for disagreeing with the state, with one line.
#[test]
fn a_header_that_disagrees_with_the_state_is_refused() {
    type Edit = fn(&mut serde_json::Value);
    let good = at_time("small-ring-churn.toml", 95.5);
    assert!(checkpoint::from_bytes(&with_header(&good, |_| {})).is_ok(), "an unchanged header restores");
    let cases: [(&str, Edit, &str); 5] = [
        ("seed", |h| h["seed"] = (h["seed"].as_u64().unwrap() + 1).into(), "random streams are not those of seed"),
        ("nodes", |h| h["nodes"] = (h["nodes"].as_u64().unwrap() + 1).into(), "the header says"),
        ("few nodes", |h| h["nodes"] = 3.into(), "corrupt checkpoint state"),
        ("id_bits", |h| h["scenario"]["id_bits"] = 20.into(), "corrupt checkpoint state"),
        ("time", |h| h["at_us"] = (h["at_us"].as_u64().unwrap() + 1).into(), "header and state disagree"),
    ];
    for (what, edit, want) in cases {
        let e = checkpoint::from_bytes(&with_header(&good, edit)).err().unwrap_or_else(|| panic!("{what}: accepted"));
        assert!(e.contains(want) && e.lines().count() == 1, "{what}: {e}");
    }
}
