//! The DHT layer: hand-off on join and leave, replication and repair, loss accounting against a
//! brute-force recount, gets judged after puts under churn, virtual nodes, and a property test over
//! op lists with puts and gets.

use chordsim::id::Id;
use chordsim::protocol::msg::Addr;
use chordsim::scenario::Scenario;
use chordsim::sim::engine::Sim;
use chordsim::sim::engine::apps::key_id;
use chordsim::tools::run::Run;
use proptest::prelude::*;
use std::path::Path;

const ROUND_US: u64 = 1_000_000;

fn ring(ids: &[u64], replicas: u32, repair_ms: u32) -> Sim {
    let ids: Vec<String> = ids.iter().map(|i| format!("\"{i:#x}\"")).collect();
    let text = format!(
        r#"
        id_bits = 16
        duration_s = 100000
        expect = "no_check"
        [initial]
        nodes = {n}
        ids = [{ids}]
        [protocol]
        successor_list_len = 3
        stabilize_interval_ms = 1000
        [net]
        latency = {{ kind = "constant", ms = 10 }}
        rpc_timeout_ms = 100
        [dht]
        enabled = true
        replicas = {replicas}
        repair_interval_ms = {repair_ms}
        [check]
        every_rounds = 1000000
        "#,
        n = ids.len(),
        ids = ids.join(", ")
    );
    Sim::new(Scenario::parse(&text, "<dht test>", "dht").expect("valid")).expect("builds")
}

fn addr(sim: &Sim, id: u64) -> Addr {
    sim.truth().by_id(Id(id)).expect("live").addr
}

fn holds(sim: &Sim, id: u64, key: u64) -> Option<u32> {
    sim.nodes()[addr(sim, id).0 as usize].app.dht().and_then(|d| d.store().get(&Id(key)).copied())
}

fn run(sim: &mut Sim, secs: u64) {
    let t = sim.now() + secs * ROUND_US;
    sim.run_until(t);
}

fn put(sim: &mut Sim, from: u64, key: u64) {
    let a = addr(sim, from);
    sim.dht_op(a, false, Id(key));
    run(sim, 1);
}

#[test]
fn joining_node_receives_the_keys_it_now_owns() {
    let mut sim = ring(&[0x1000, 0x4000, 0x8000, 0xc000], 0, 1000);
    put(&mut sim, 0x1000, 0x5000);
    put(&mut sim, 0x1000, 0x7000);
    assert_eq!(holds(&sim, 0x8000, 0x5000), Some(1));
    sim.join_with_id(Id(0x6000));
    run(&mut sim, 10);
    assert_eq!(holds(&sim, 0x6000, 0x5000), Some(1), "0x5000 ∈ (0x4000, 0x6000] moved to the new node");
    assert_eq!(holds(&sim, 0x6000, 0x7000), None, "0x7000 still belongs to 0x8000");
    let acc = sim.dht_account().expect("dht");
    assert_eq!((acc.items, acc.owner_holds, acc.lost), (2, 2, 0));
}

#[test]
fn leaving_node_hands_its_keys_to_its_successor() {
    let mut sim = ring(&[0x1000, 0x4000, 0x8000, 0xc000], 0, 1000);
    put(&mut sim, 0x1000, 0x5000);
    let a = addr(&sim, 0x8000);
    sim.leave(a);
    run(&mut sim, 1);
    assert_eq!(holds(&sim, 0xc000, 0x5000), Some(1));
    assert_eq!(sim.dht_account().expect("dht").lost, 0);
}

#[test]
fn item_is_lost_only_if_all_holders_crash_before_repair() {
    // replicas = 1: 0x5000 lives on 0x8000 (owner) and 0xc000.
    let ids = [0x1000, 0x4000, 0x8000, 0xc000, 0xe000];
    let mut sim = ring(&ids, 1, 1000);
    put(&mut sim, 0x1000, 0x5000);
    assert_eq!((holds(&sim, 0x8000, 0x5000), holds(&sim, 0xc000, 0x5000)), (Some(1), Some(1)));
    let mut race = ring(&ids, 1, 1000);
    put(&mut race, 0x1000, 0x5000);
    // Both holders crash at once: lost.
    let (o, s) = (addr(&race, 0x8000), addr(&race, 0xc000));
    race.crash(o);
    race.crash(s);
    run(&mut race, 30);
    assert_eq!(race.dht_account().expect("dht").lost, 1);
    // The owner crashes; repair copies the item to the new replica before the second holder dies.
    let o = addr(&sim, 0x8000);
    sim.crash(o);
    run(&mut sim, 30);
    assert_eq!(holds(&sim, 0xe000, 0x5000), Some(1), "0xc000 now owns it and re-replicated to 0xe000");
    let s = addr(&sim, 0xc000);
    sim.crash(s);
    run(&mut sim, 5);
    let acc = sim.dht_account().expect("dht");
    assert_eq!(acc.lost, 0, "{acc:?}");
}

/// The checker's loss accounting equals a brute-force recount over every node and every item.
#[test]
fn loss_accounting_matches_a_brute_force_recount() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/dht-churn-r0.toml");
    let mut sc = Scenario::load(&path).expect("loads");
    sc.duration_s = 900.0;
    sc.expect = chordsim::scenario::Expect::NoCheck;
    let mut sim = Sim::new(sc).expect("builds");
    sim.run_until(900 * ROUND_US);
    let acc = sim.dht_account().expect("dht");
    let (mut lost, mut owner_holds, mut items) = (0, 0, 0);
    let truth = sim.checker().dht.as_ref().expect("dht truth");
    for rank in 0..5000 {
        let key = key_id(sim.params().space, rank);
        let acked = truth.acked(key);
        if acked == 0 {
            continue;
        }
        items += 1;
        let holders: Vec<Addr> = (0..sim.nodes().len() as u32)
            .map(Addr)
            .filter(|&a| sim.truth().is_alive(a))
            .filter(|&a| {
                sim.nodes()[a.0 as usize].app.dht().and_then(|d| d.store().get(&key)).is_some_and(|&v| v >= acked)
            })
            .collect();
        lost += u64::from(holders.is_empty());
        let owner = sim.truth().successor(key).expect("ring").addr;
        owner_holds += u64::from(holders.contains(&owner));
    }
    assert_eq!((acc.items, acc.lost, acc.owner_holds), (items, lost, owner_holds));
    assert!(lost > 0, "replicas = 0 under crashes must lose something, or the test proves nothing");
}

#[test]
fn replication_three_loses_nothing_where_zero_loses_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let r3 = Run::new(Scenario::load(&dir.join("dht-churn.toml")).expect("loads")).and_then(Run::report).expect("runs");
    let r0 =
        Run::new(Scenario::load(&dir.join("dht-churn-r0.toml")).expect("loads")).and_then(Run::report).expect("runs");
    let (d3, d0) = (r3.dht.expect("dht"), r0.dht.expect("dht"));
    assert_eq!(r3.run.crashes, r0.run.crashes, "same churn");
    assert_eq!(d3.lost_max, 0, "{d3:?}");
    assert!(d0.lost_max > 100, "{d0:?}");
    let o = &d3.ops;
    assert!(o.gets_correct as f64 / o.gets as f64 > 0.98, "{o:?}");
    assert!(o.puts_acked as f64 / o.puts as f64 > 0.99, "{o:?}");
}

#[test]
fn virtual_nodes_even_out_the_load() {
    let base = r#"
        id_bits = 32
        duration_s = 60
        expect = "no_check"
        [initial]
        nodes = 300
        virtual_nodes = VN
        [dht]
        enabled = true
        [[event]]
        at_s = 1
        action = "load_keys"
        count = 30000
        [check]
        probe_keys = 0
    "#;
    let p99_over_mean = |v: u32| {
        let sc = Scenario::parse(&base.replace("VN", &v.to_string()), "<vn>", "vn").expect("valid");
        let rep = Run::new(sc).and_then(Run::report).expect("runs");
        let row = rep.dht.expect("dht").last_round.expect("a round");
        assert_eq!(row.keys_per_node_mean, 100.0, "load stats are per physical node");
        row.keys_per_node_p99 as f64 / row.keys_per_node_mean
    };
    let (one, ten) = (p99_over_mean(1), p99_over_mean(10));
    // SIGCOMM'01 Fig. 8/9: ~4.6× the mean with one node per host, much flatter with ten.
    assert!((3.5..6.0).contains(&one), "{one}");
    assert!(ten < 2.2, "{ten}");
}

#[derive(Clone, Debug)]
enum Op {
    Join,
    Crash(usize),
    Put(u8),
    Get(u8),
    Advance(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => Just(Op::Join),
        1 => (0..64usize).prop_map(Op::Crash),
        3 => any::<u8>().prop_map(Op::Put),
        2 => any::<u8>().prop_map(Op::Get),
        2 => (1..5u8).prop_map(Op::Advance),
    ]
}

/// Runs an op list with replicas = 2, quiesces, then gets every acknowledged key from one node.
/// Returns (gets asked, gets correct, items lost by the accounting).
fn gets_after_quiescence(seed: u64, ops: &[Op]) -> (u64, u64, u64, String) {
    let ids: Vec<u64> = (0..8).map(|i| 0x1000 + i * 0x1f00 + seed % 0x100).collect();
    let mut sim = ring(&ids, 2, 1000);
    for o in ops {
        match *o {
            Op::Join => {
                sim.join_new();
            }
            Op::Crash(i) => {
                let ring = sim.truth().sorted();
                if ring.len() > 4 && !sim.crash_breaks_assumptions(ring[i % ring.len()].addr) {
                    sim.crash(ring[i % ring.len()].addr);
                }
            }
            Op::Put(k) | Op::Get(k) => {
                if let Some(&a) = sim.truth().joined().as_slice().first() {
                    sim.dht_op(a, matches!(o, Op::Get(_)), Id(u64::from(k) * 0x100));
                }
            }
            Op::Advance(k) => run(&mut sim, u64::from(k)),
        }
    }
    run(&mut sim, 40);
    let before = sim.checker().dht.as_ref().expect("dht").counts.clone();
    let acc = sim.dht_account().expect("dht");
    let origin = sim.truth().joined().as_slice()[0];
    for k in 0..=255u64 {
        if sim.checker().dht.as_ref().expect("dht").acked(Id(k * 0x100)) > 0 {
            sim.dht_op(origin, true, Id(k * 0x100));
        }
    }
    run(&mut sim, 2);
    let after = &sim.checker().dht.as_ref().expect("dht").counts;
    (after.gets - before.gets, after.gets_correct - before.gets_correct, acc.lost, format!("{after:?} {acc:?}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(32),
        rng_seed: crate::props::rng_seed(),
        ..ProptestConfig::default()
    })]

    /// With replicas = 2 and crashes that never take a node's whole list, after quiescence every
    /// acknowledged item that is not lost is found by a get, with its last acknowledged version.
    #[test]
    fn gets_after_quiescence_return_the_last_acknowledged_put(seed in 0..1000u64, ops in prop::collection::vec(op(), 0..30)) {
        let (asked, correct, lost, why) = gets_after_quiescence(seed, &ops);
        prop_assert_eq!(asked - correct, lost, "{}", why);
    }
}

// postmortem: the old predecessor had crashed unnoticed when a node joined in front of its successor;
// the hand-off sent only keys between the old and the new predecessor, not the dead one's keys, which
// the successor held as a replica. Fix: hand a new predecessor every item outside our own range.
#[test]
fn regression_handoff_after_an_unnoticed_predecessor_crash() {
    let ops = [Op::Crash(26), Op::Join, Op::Join, Op::Join, Op::Put(48), Op::Join, Op::Join];
    let (asked, correct, lost, why) = gets_after_quiescence(0, &ops);
    assert_eq!((asked, correct, lost), (1, 1, 0), "{why}");
}

// postmortem: a put whose lookup ended at its own origin was stored without the "hand it to the
// predecessor that now owns it" step the remote path had; a node that had just joined in front never
// received it. Fix: that step lives in `put_here`, shared by both paths.
#[test]
fn regression_local_put_at_a_stale_owner() {
    let ops = [Op::Join, Op::Join, Op::Join, Op::Advance(1), Op::Put(234), Op::Join];
    let (asked, correct, lost, why) = gets_after_quiescence(0, &ops);
    assert_eq!((asked, correct, lost), (1, 1, 0), "{why}");
}

// postmortem: the owner and one replica crashed; the node that became owner had joined just before
// the put and was not in the old owner's replica set, so the last copy sat on its successor, which
// never pushes towards its predecessor. Fix: a node whose range grows fetches its new keys from the
// replicas after it.
#[test]
fn regression_new_owner_pulls_from_replicas() {
    let ops = [Op::Put(172), Op::Crash(22), Op::Join, Op::Crash(39), Op::Advance(1), Op::Crash(24), Op::Crash(6)];
    let (asked, correct, lost, why) = gets_after_quiescence(0, &ops);
    assert_eq!((asked, correct, lost), (1, 1, 0), "{why}");
}
