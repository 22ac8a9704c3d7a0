//! Random search with the full message simulator (zave.md; issue: "random search, level b"): small
//! rings, perfect failure detection, heavy churn, many seeds. The published protocol is searched and
//! what it finds is checked to be real (a permanent split); Zave's protocol must show no violation of
//! any non-warning property at any checked round, and must reach the ideal ring after quiescence.

use chordsim::report::{Report, Verdict};
use chordsim::run::run_scenario;
use chordsim::scenario::{Scenario, Variant};
use std::path::Path;

fn run(variant: Variant, seed: u64) -> Report {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/small-ring-churn.toml");
    let mut sc = Scenario::load(&path).expect("loads");
    sc.protocol.variant = variant;
    sc.faults.respect_assumptions = Some(true);
    sc.seed = seed;
    run_scenario(sc, |_| {}).expect("runs")
}

fn seeds() -> u64 {
    std::env::var("CHORDSIM_SEARCH_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(40)
}

#[test]
fn zave_never_violates_anything_and_always_converges() {
    for seed in 0..seeds() {
        let rep = run(Variant::Zave, seed);
        // OrderedMerges and OrderedAppendages also fail in normal operation of the corrected protocol
        // (zave.md): warnings. Nothing else may ever fail.
        let props: Vec<_> = rep.properties.by_property.iter().filter(|(_, t)| !t.warning).collect();
        assert!(props.is_empty(), "seed {seed}: zave violated {props:?}");
        assert_eq!(rep.verdict.verdict, Verdict::Pass, "seed {seed}: {:?}", rep.verdict.reason);
        assert!(rep.run.crashes > 50, "seed {seed}: churn too light to mean anything: {:?}", rep.run);
    }
}

#[test]
fn ton03_search_finds_permanent_splits() {
    let mut found = Vec::new();
    for seed in 0..seeds() {
        let rep = run(Variant::Ton03, seed);
        if rep.verdict.verdict == Verdict::Safety {
            let reason = rep.verdict.reason.clone().unwrap_or_default();
            assert!(
                reason.contains("AtMostOneRing")
                    || reason.contains("AtLeastOneRing")
                    || reason.contains("OrderedRing")
                    || reason.contains("ConnectedAppendages"),
                "{reason}"
            );
            // Permanent: still violated at the last checked round, long after the churn stopped.
            let last = rep.rounds.last().expect("rounds");
            assert!(
                last.violated
                    .iter()
                    .any(|p| ["AtMostOneRing", "AtLeastOneRing", "OrderedRing", "ConnectedAppendages"].contains(p))
            );
            found.push(seed);
        }
    }
    eprintln!("ton03: {} of {} seeds end in a safety violation: {found:?}", found.len(), seeds());
    // Seeds 3 and 13 split the ring at the time of writing; a protocol change may move them, but the
    // published protocol should keep failing now and then under this churn.
    assert!(!found.is_empty(), "the search found no ton03 violation in {} seeds", seeds());
}
