//! Property tests of ring consistency (proptest): random operation lists — join, crash, graceful
//! leave, lookup, advance, cut a link for a while — on tiny rings (`id_bits` 6–10, ≤ 32 nodes,
//! r = 1..4), then quiescence; a quarter of the cases run in lockstep (constant 7 ms latency, jitter 0).
//! Shrinking acts on the op list.
//!
//! Properties. `ton03`: after quiescence with ≥ r+1 live nodes, every successor, predecessor and
//! successor list is correct and every probe lookup returns the true successor — unless an
//! unrepairable Zave property is violated, which makes the op list a counterexample to keep (printed),
//! not a failure to hide. `zave` (no link cuts: her proof assumes reliable links): Zave's invariant and
//! every unrepairable property hold after every step, and quiescence always ends in the ideal ring.
//! Crashes and leaves respect "never leave a node with no live successor" (the injector refuses them).
//! Cases: `PROPTEST_CASES` (default 48 per property).

use chordsim::oracle::checker::SimView;
use chordsim::oracle::zave::properties::{Property, check_all};
use chordsim::protocol::msg::Addr;
use chordsim::scenario::{Scenario, Variant};
use chordsim::sim::engine::Sim;
use proptest::prelude::*;

const ROUND_US: u64 = 1_000_000;
const MAX_NODES: usize = 32;

#[derive(Clone, Debug)]
pub enum Op {
    Join,
    Crash(usize),
    Leave(usize),
    Lookup(u64),
    Advance(u8),
    /// Lose all messages between two nodes (ranks) for this many rounds.
    Cut(usize, usize, u8),
}

#[derive(Clone, Debug)]
pub struct Case {
    pub id_bits: u32,
    pub nodes: u64,
    pub r: u32,
    pub seed: u64,
    /// Constant 7 ms latency and `stabilize_jitter` 0: every node's period and round trip the same, so
    /// a collision repeats every period unless the protocol breaks the symmetry (issue 14).
    pub lockstep: bool,
    pub ops: Vec<Op>,
}

fn op(variant: Variant) -> BoxedStrategy<Op> {
    let common = prop_oneof![
        3 => Just(Op::Join),
        3 => (0..64usize).prop_map(Op::Crash),
        2 => any::<u64>().prop_map(Op::Lookup),
        4 => (1..4u8).prop_map(Op::Advance),
    ];
    match variant {
        Variant::Ton03 => prop_oneof![
            10 => common,
            2 => (0..64usize).prop_map(Op::Leave),
            1 => (0..64usize, 0..64usize, 1..4u8).prop_map(|(a, b, k)| Op::Cut(a, b, k)),
        ]
        .boxed(),
        Variant::Zave => common.boxed(),
    }
}

fn case(variant: Variant) -> impl Strategy<Value = Case> {
    (6..=10u32, 1..=4u32, 0..u64::from(u32::MAX), prop::bool::weighted(0.25)).prop_flat_map(
        move |(id_bits, r, seed, lockstep)| {
            let min = u64::from(r) + 1;
            (min..=12u64, prop::collection::vec(op(variant), 0..24)).prop_map(move |(nodes, ops)| Case {
                id_bits,
                nodes,
                r,
                seed,
                lockstep,
                ops,
            })
        },
    )
}

pub fn build(c: &Case, variant: Variant) -> Sim {
    let v = if variant == Variant::Zave { "zave" } else { "ton03" };
    let text = format!(
        r#"
        id_bits = {bits}
        duration_s = 100000
        expect = "no_check"
        seed = {seed}
        [initial]
        nodes = {n}
        [protocol]
        variant = "{v}"
        successor_list_len = {r}
        stabilize_interval_ms = 1000
        stabilize_jitter = {jitter}
        fix_fingers_interval_ms = 500
        check_predecessor_interval_ms = 1000
        [net]
        latency = {latency}
        rpc_timeout_ms = 100
        [faults]
        respect_assumptions = true
        [check]
        probe_keys = 64
        # The test judges the state itself; the checker's own rounds (and their early verdicts, which
        # would stop the run) are kept out of the way.
        every_rounds = 1000000
        "#,
        bits = c.id_bits,
        seed = c.seed,
        n = c.nodes,
        r = c.r,
        jitter = if c.lockstep { 0.0 } else { 0.3 },
        latency = if c.lockstep {
            r#"{ kind = "constant", ms = 7 }"#
        } else {
            r#"{ kind = "uniform", min_ms = 1, max_ms = 20 }"#
        },
    );
    let sc = Scenario::parse(&text, "<proptest>", "proptest").expect("generated scenario is valid");
    Sim::new(sc).expect("ring builds")
}

fn ranked(sim: &Sim, i: usize) -> Option<Addr> {
    let ring = sim.truth().sorted();
    (!ring.is_empty()).then(|| ring[i % ring.len()].addr)
}

pub fn apply(sim: &mut Sim, op: &Op) {
    match *op {
        Op::Join if sim.truth().live() < MAX_NODES => {
            sim.join_new();
        }
        Op::Join => {}
        Op::Crash(i) => {
            if let Some(a) = ranked(sim, i) {
                sim.crash(a); // refused by the injector if it would strand a node
            }
        }
        Op::Leave(i) => {
            if let Some(a) = ranked(sim, i).filter(|&a| !sim.crash_breaks_assumptions(a)) {
                sim.leave(a);
            }
        }
        Op::Lookup(key) => {
            if let Some(a) = sim.truth().joined().as_slice().first().copied() {
                let key = sim.params().space.id(key);
                sim.lookup_from(a, key);
            }
        }
        Op::Advance(k) => {
            let t = sim.now() + u64::from(k) * ROUND_US;
            sim.run_until(t);
        }
        Op::Cut(i, j, k) => {
            if let (Some(a), Some(b)) = (ranked(sim, i), ranked(sim, j)) {
                let until = sim.now() + u64::from(k) * ROUND_US;
                sim.block_link(a, b, until);
            }
        }
    }
}

/// Unrepairable (and, for `zave`, invariant) properties violated now.
pub fn safety_violations(sim: &Sim, zave: bool) -> Vec<&'static str> {
    let view = SimView::build(sim.nodes(), sim.truth(), sim.params().r);
    check_all(&view)
        .into_iter()
        .filter(|v| {
            v.property.unrepairable()
                || (zave && matches!(v.property, Property::OneLiveSuccessor | Property::SufficientPrincipals))
        })
        .map(|v| v.property.name())
        .collect()
}

/// Rounds of quiet that always suffice on these rings (lists repair one entry per round).
fn quiesce(sim: &mut Sim, r: u32) {
    let t = sim.now() + (30 + 4 * u64::from(r)) * ROUND_US;
    sim.run_until(t);
}

/// The ring is ideal and lookups are right; or `Err(why)`.
pub fn converged(sim: &mut Sim) -> Result<(), String> {
    let (row, why) = sim.snapshot();
    let ok = row.succ_ok == 1.0 && row.pred_ok == 1.0 && row.list_ok == 1.0 && row.probes_ok == row.probes;
    if ok { Ok(()) } else { Err(format!("{row:?}: {why:?}")) }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(48)
}

/// Property tests draw from a fixed seed unless `PROPTEST_RNG_SEED` names another, so CI is
/// deterministic and exploring is one environment variable away.
pub fn rng_seed() -> proptest::test_runner::RngSeed {
    let seed = std::env::var("PROPTEST_RNG_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c0de);
    proptest::test_runner::RngSeed::Fixed(seed)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 2000,
        rng_seed: rng_seed(),
        ..ProptestConfig::default()
    })]

    #[test]
    fn ton03_converges_after_quiescence_or_reports_a_ring_violation(c in case(Variant::Ton03)) {
        let mut sim = build(&c, Variant::Ton03);
        for op in &c.ops {
            apply(&mut sim, op);
        }
        quiesce(&mut sim, c.r);
        if sim.truth().live() > c.r as usize {
            let broken = safety_violations(&sim, false);
            if broken.is_empty() {
                prop_assert!(converged(&mut sim).is_ok(), "{:?}", converged(&mut sim));
            } else {
                eprintln!("counterexample (ton03, {broken:?}): {c:?}");
            }
        }
    }

    #[test]
    fn zave_invariant_holds_after_every_step_and_it_converges(c in case(Variant::Zave)) {
        let mut sim = build(&c, Variant::Zave);
        for (i, op) in c.ops.iter().enumerate() {
            apply(&mut sim, op);
            sim.run_until(sim.now() + 1); // let the step's immediate effects happen
            let broken = safety_violations(&sim, true);
            prop_assert!(broken.is_empty(), "after op {i} ({op:?}): {broken:?}");
        }
        quiesce(&mut sim, c.r);
        prop_assert!(safety_violations(&sim, true).is_empty());
        prop_assert!(converged(&mut sim).is_ok(), "{:?}", converged(&mut sim));
    }
}

/// Replays a shrunk case and returns the unrepairable properties violated after quiescence and
/// again 100 rounds later (they must be the same: a counterexample, not a slow repair).
fn replay_ton03(c: &Case) -> Vec<&'static str> {
    let mut sim = build(c, Variant::Ton03);
    for op in &c.ops {
        apply(&mut sim, op);
    }
    quiesce(&mut sim, c.r);
    let now = safety_violations(&sim, false);
    sim.run_until(sim.now() + 100 * ROUND_US);
    assert_eq!(safety_violations(&sim, false), now, "violation changed: not permanent");
    now
}

// postmortem: ToN'03 Sec. V-A removes a node presumed dead from the successor list. With r = 1, a
// 3-round link cut between the two nodes of a ring makes each forget the other; each then believes it
// is alone (successor = itself) and nothing in the protocol ever makes them meet again: two rings.
#[test]
fn regression_ton03_link_cut_splits_a_two_node_ring() {
    let c = Case { id_bits: 8, nodes: 2, r: 1, seed: 62_783_918, lockstep: false, ops: vec![Op::Cut(50, 11, 3)] };
    assert_eq!(replay_ton03(&c), ["AtMostOneRing"]);
}

// postmortem: 3 nodes, r = 2; one crashes, two links are cut for 1 and 3 rounds, a node joins. The
// false suspicions make two pairs of nodes each drop the other pair: two internally consistent
// two-node rings, {0x1, 0xd} and {0x83, 0x94}, that never learn of each other.
#[test]
fn regression_ton03_cuts_during_a_join_leave_two_rings() {
    let ops = vec![Op::Crash(4), Op::Cut(21, 46, 1), Op::Cut(11, 48, 3), Op::Join];
    let c = Case { id_bits: 8, nodes: 3, r: 2, seed: 3_423_151_736, lockstep: false, ops };
    assert_eq!(replay_ton03(&c), ["AtMostOneRing"]);
}

// postmortem: a case CI drew (2 nodes, r = 1: a one-round link cut, a crash, a join) failed because
// the checker's own round reached a safety verdict (the cut had left two one-node rings), set
// `stop_early`, and every later `run_until` of the harness returned after one event: the joiner never
// joined within "quiescence" and the test blamed the protocol. The harness now keeps the checker's
// rounds out of its runs (and the property tests draw from a fixed seed).
#[test]
fn regression_quiescence_runs_to_its_end() {
    let ops = vec![Op::Cut(20, 29, 1), Op::Advance(1), Op::Crash(0), Op::Join];
    let c = Case { id_bits: 7, nodes: 2, r: 1, seed: 3_831_266_077, lockstep: false, ops };
    let mut sim = build(&c, Variant::Ton03);
    for op in &c.ops {
        apply(&mut sim, op);
    }
    quiesce(&mut sim, c.r);
    assert!(sim.now() >= (1 + 34) * ROUND_US, "quiescence ran to its end: t = {}", sim.now());
    assert!(safety_violations(&sim, false).is_empty());
    assert_eq!(converged(&mut sim), Ok(()));
}
