//! Replays of zave.md's counterexample traces T1-T6 and the T3' class, plus
//! unit tests of the step semantics and the DSL.

use super::*;
use crate::oracle::zave::properties::{Property, Violation, check_all};

const IDS: [u64; 4] = [0, 16, 32, 48];

fn model(checks: Checks) -> Model {
    Model::new(&IDS, checks)
}

fn run(z: &mut Model, script: &str) {
    if let Err(e) = z.run(script) {
        panic!("{e}\nstate:\n{}", z.snapshot());
    }
}

/// Violated properties among the seven PODC'02 ones, in zave.md order.
fn podc_violations(z: &Model) -> Vec<Property> {
    check_all(z).into_iter().map(|v| v.property).filter(|p| Property::PODC.contains(p)).collect()
}

fn violation(z: &Model, p: Property) -> Violation {
    p.check(z).unwrap_or_else(|| panic!("{p} holds in\n{}", z.snapshot()))
}

fn assert_state(z: &Model, expected: &[&str]) {
    assert_eq!(z.snapshot(), expected.join("\n"), "\nfull state:\n{}", z.snapshot());
}

const IDEAL_2_RING: &str = "Join n2; S n2; S n0; Reconcile n0; Reconcile n2";

#[test]
fn t1_at_least_one_ring_without_stabilize_check() {
    let checks = Checks { join_liveness: true, stabilize_liveness: false };
    let mut z = model(checks);
    run(&mut z, "Join n2; S n2; S n0; Join n1; S n1; Fail n1; S n0; Flush n2");
    assert_state(
        &z,
        &[
            "n0 live succ=n1 succ2=- prdc=n2",
            "n1 dead succ=n2 succ2=- prdc=-",
            "n2 live succ=n0 succ2=- prdc=-",
            "n3 outside",
        ],
    );
    // No ring at all; with no ring, every member is an unconnected appendage.
    assert_eq!(podc_violations(&z), [Property::AtLeastOneRing, Property::ConnectedAppendages]);
    assert_eq!(violation(&z, Property::OneLiveSuccessor).nodes, [0]);
}

#[test]
fn t1_is_harmless_with_the_stabilize_check() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0; Join n1; S n1; Fail n1; S n0; Flush n2");
    assert_eq!(z.node(0).succ(), Some(2), "the dead x = n1 is not adopted");
    assert_eq!(podc_violations(&z), []);
}

#[test]
fn t2_connected_appendages_without_join_check() {
    let checks = Checks { join_liveness: false, stabilize_liveness: true };
    let mut z = model(checks);
    run(&mut z, "Join n2; S n2; S n0; Reconcile n0; Fail n2; Join n1 via n0; Update n0");
    assert_state(
        &z,
        &[
            "n0 live succ=n0 succ2=- prdc=n2",
            "n1 live succ=n2 succ2=- prdc=-",
            "n2 dead succ=n0 succ2=- prdc=n0",
            "n3 outside",
        ],
    );
    assert_eq!(podc_violations(&z), [Property::ConnectedAppendages]);
    assert_eq!(violation(&z, Property::ConnectedAppendages).nodes, [1]);
}

#[test]
fn t2_join_is_refused_with_the_join_check() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0; Reconcile n0; Fail n2");
    let err = z.run("Join n1 via n0").unwrap_err();
    assert!(err.to_string().contains("join check"), "{err}");
    assert!(z.run("Join n1").is_err(), "no other member can admit n1");
}

#[test]
fn t3_at_most_one_ring() {
    let mut z = model(Checks::both());
    run(&mut z, IDEAL_2_RING);
    run(&mut z, "Join n1; S n1; S n0; Join n3; S n3; S n2");
    assert_eq!(podc_violations(&z), [], "looks like an ideal 4-ring");
    run(&mut z, "Fail n1; Fail n3; Update n0; Update n2");
    assert_state(
        &z,
        &[
            "n0 live succ=n0 succ2=- prdc=n3",
            "n1 dead succ=n2 succ2=- prdc=n0",
            "n2 live succ=n2 succ2=- prdc=n1",
            "n3 dead succ=n0 succ2=- prdc=n2",
        ],
    );
    assert_eq!(podc_violations(&z), [Property::AtMostOneRing]);
    assert_eq!(violation(&z, Property::AtMostOneRing).nodes, [0, 2]);
}

#[test]
fn t4_valid_successor_list() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0; Join n1; Reconcile n1; Join n3; S n3; S n2; Reconcile n0");
    run(&mut z, "S n1; S n0; Fail n2; Update n1");
    assert_state(
        &z,
        &[
            "n0 live succ=n1 succ2=n3 prdc=n3",
            "n1 live succ=n0 succ2=- prdc=n0",
            "n2 dead succ=n3 succ2=- prdc=n1",
            "n3 live succ=n0 succ2=- prdc=n2",
        ],
    );
    assert_eq!(podc_violations(&z), [Property::ValidSuccessorList]);
    // w = n1 skips live v = n3, which w's antecedent n0 lists as its succ2.
    assert_eq!(violation(&z, Property::ValidSuccessorList).nodes, [1, 3, 0]);
}

#[test]
fn t5_ordered_merges() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n3; S n3; S n0; Join n1; Join n2");
    assert_eq!((z.node(1).succ(), z.node(2).succ()), (Some(3), Some(3)));
    run(&mut z, "S n1; S n2; S n0");
    assert_state(
        &z,
        &[
            "n0 live succ=n2 succ2=- prdc=n3",
            "n1 live succ=n3 succ2=- prdc=-",
            "n2 live succ=n3 succ2=- prdc=n0",
            "n3 live succ=n0 succ2=- prdc=n2",
        ],
    );
    assert_eq!(podc_violations(&z), [Property::OrderedMerges]);
    // Ring node n2 and appendage n1 share best successor n3; n1 ∉ (n2, n3).
    assert_eq!(violation(&z, Property::OrderedMerges).nodes, [2, 1, 3]);
}

/// T6 as written ends with "Flush n3; S n3". Under the stated semantics both
/// are no-ops: n3.prdc = n1 is live, so Flush n3 clears nothing; S n3 reads
/// x = n2.prdc = dead n0, which the stabilize check rejects, and its
/// notification cannot displace n2's dead prdc n0 because 44 ∉ (60, 32) and
/// Notified only replaces a prdc that is none. The stated final state
/// (ring {n2}, appendage n1 → n3 → n2) is reached all the same.
#[test]
fn t6_ordered_appendages() {
    let mut z = Model::new(&[60, 5, 32, 44], Checks::both());
    run(&mut z, "Join n1; Join n2; Join n3");
    assert!((1..4).all(|n| z.node(n).succ() == Some(0)), "all join with succ n0");
    run(&mut z, "S n2; S n0; S n3; S n1; Reconcile n2; Reconcile n3; Fail n0; Update n2; Update n3");
    let before_tail = z.clone();
    run(&mut z, "Flush n3; S n3");
    assert_eq!(z, before_tail, "Flush n3 and S n3 change nothing");
    assert_state(
        &z,
        &[
            "n0 dead succ=n2 succ2=- prdc=n3",
            "n1 live succ=n3 succ2=- prdc=-",
            "n2 live succ=n2 succ2=- prdc=n0",
            "n3 live succ=n2 succ2=- prdc=n1",
        ],
    );
    assert_eq!(podc_violations(&z), [Property::OrderedAppendages]);
    assert_eq!(violation(&z, Property::OrderedAppendages).nodes, [1]);
}

/// T3' for k old nodes: old node i is slot 2i (id 20i), the new node joining
/// just after it is slot 2i+1 (id 20i+10). Returns the ids and the three
/// phases: ideal reconciled ring of old nodes, incorporation of the new nodes
/// (new node S, then old predecessor S, no Reconcile), failures and updates.
fn t3_prime(k: usize) -> (Vec<u64>, [String; 3]) {
    let ids = (0..2 * k as u64).map(|s| 10 * s).collect();
    let old = |i: usize| 2 * (i % k);
    let mut ideal = Vec::new();
    for i in 1..k {
        ideal.push(format!("Join n{0}; S n{0}; S n{1}", old(i), old(i - 1)));
    }
    ideal.extend((0..k).map(|i| format!("Reconcile n{}", old(i))));
    let incorporate = (0..k).map(|i| format!("Join n{0}; S n{0}; S n{1}", old(i) + 1, old(i)));
    let fail = (0..k).map(|i| format!("Fail n{}", old(i) + 1));
    let update = (0..k).map(|i| format!("Update n{}", old(i)));
    let collapse: Vec<String> = fail.chain(update).collect();
    (ids, [ideal.join("; "), incorporate.collect::<Vec<_>>().join("; "), collapse.join("; ")])
}

fn t3_prime_expected_state(k: usize) -> Vec<String> {
    let old = |i: usize| 2 * (i % k);
    let mut lines = Vec::new();
    for i in 0..k {
        let (succ, prdc) = (old(i + 2), old(i + k - 1) + 1);
        lines.push(format!("n{} live succ=n{succ} succ2=- prdc=n{prdc}", old(i)));
        lines.push(format!("n{} dead succ=n{} succ2=- prdc=n{}", old(i) + 1, old(i + 1), old(i)));
    }
    lines
}

#[test]
fn t3_prime_class_odd_loops_even_splits() {
    for k in 2..=6 {
        let (ids, [ideal, incorporate, collapse]) = t3_prime(k);
        let mut z = Model::new(&ids, Checks::both());
        run(&mut z, &ideal);
        for i in 0..k {
            let (n, s, s2) = (z.node(2 * i), 2 * ((i + 1) % k), 2 * ((i + 2) % k));
            assert_eq!((n.succ(), n.succ2()), (Some(s), Some(s2)), "k={k}: ideal ring");
        }
        // With k = 2 < r + 1 the ideal ring has duplicate ESL entries and too
        // few principals; zave.md's corrected protocol starts from r + 1 nodes.
        let expected: &[Property] = match k {
            2 => &[Property::SufficientPrincipals, Property::NoDuplicates],
            _ => &[],
        };
        let all: Vec<Property> = check_all(&z).into_iter().map(|v| v.property).collect();
        assert_eq!(all, expected, "k={k}: ideal ring of old nodes");
        run(&mut z, &incorporate);
        assert_eq!(podc_violations(&z), [], "k={k}: looks like an ideal ring");
        run(&mut z, &collapse);
        let expected = t3_prime_expected_state(k);
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_state(&z, &expected);
        let want = if k % 2 == 1 { Property::OrderedRing } else { Property::AtMostOneRing };
        assert_eq!(podc_violations(&z), [want], "k={k}");
        if k % 2 == 1 {
            let all_old: Vec<usize> = (0..k).map(|i| 2 * i).collect();
            assert_eq!(violation(&z, Property::OrderedRing).nodes, all_old, "k={k}");
        } else {
            assert_eq!(violation(&z, Property::AtMostOneRing).nodes, [0, 2], "k={k}");
        }
    }
}

#[test]
fn t3_is_the_k2_instance_of_t3_prime() {
    let (_, [ideal, incorporate, collapse]) = t3_prime(2);
    let mut z = Model::new(&[0, 10, 20, 30], Checks::both());
    run(&mut z, &format!("{ideal}; {incorporate}; {collapse}"));
    assert_eq!(podc_violations(&z), [Property::AtMostOneRing]);
}

#[test]
fn initial_state_is_a_single_member_ring() {
    let z = model(Checks::both());
    assert_state(&z, &["n0 live succ=n0 succ2=- prdc=-", "n1 outside", "n2 outside", "n3 outside"]);
    assert_eq!(podc_violations(&z), []);
}

#[test]
fn join_requires_a_member_whose_interval_contains_the_joiner() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0");
    let err = z.apply(Step::Join { n: 1, via: Some(2) }).unwrap_err();
    assert!(err.0.contains("not in (n2, n2.succ = n0)"), "{err}");
    assert_eq!(z.join_candidates(1), [0]);
    assert_eq!(z.join_candidates(3), [2]);
    assert!(z.apply(Step::Join { n: 2, via: None }).is_err(), "already a member");
}

#[test]
fn fail_is_refused_when_a_node_would_lose_every_live_successor() {
    let mut z = model(Checks::both());
    assert!(z.run("Fail n0").is_err(), "n0 is its own only successor");
    run(&mut z, "Join n2; S n2; S n0");
    let err = z.apply(Step::Fail(2)).unwrap_err();
    assert!(err.0.contains("n0.succ = n2"), "{err}");
    run(&mut z, "Reconcile n0; Reconcile n2");
    // Now n0.succ2 = n0 survives n2's failure.
    assert!(z.clone().apply(Step::Fail(2)).is_ok());
    // A node whose two successors coincide may not fail, even if nobody
    // points at it (the literal third condition of zave.md's Fail).
    let mut y = model(Checks::both());
    run(&mut y, "Join n1; Reconcile n1");
    assert_eq!((y.node(1).succ(), y.node(1).succ2()), (Some(0), Some(0)));
    let err = y.apply(Step::Fail(1)).unwrap_err();
    assert!(err.0.contains("n1.succ = n1.succ2"), "{err}");
}

#[test]
fn stabilize_needs_a_live_successor_and_update_promotes_succ2() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0; Reconcile n0; Reconcile n2; Fail n2");
    assert!(z.apply(Step::S(0)).is_err());
    run(&mut z, "Update n0");
    assert_eq!((z.node(0).succ(), z.node(0).succ2()), (Some(0), None));
    run(&mut z, "Flush n0; S n0");
    assert_eq!(z.node(0).prdc(), Some(0));
}

#[test]
fn notified_is_delivered_only_while_the_sender_points_at_the_receiver() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; Stabilize n2");
    assert_eq!(z.node(0).prdc(), None, "Stabilize alone does not notify");
    assert!(z.apply(Step::Notified { n: 2, p: 0 }).is_err(), "n0.succ is n0, not n2");
    run(&mut z, "Notified n0 n2");
    assert_eq!(z.node(0).prdc(), Some(2));
}

#[test]
fn dsl_reports_parse_errors_with_position() {
    let z = model(Checks::both());
    let cases = [
        ("Join n1; Frobnicate n2", 1, "unknown step `Frobnicate`"),
        ("S x1", 0, "`x1` is not a node name"),
        ("Join n1; S n9", 1, "node n9 does not exist (only n0..n3)"),
        ("Join", 0, "expected"),
        ("Notified n1", 0, "unknown step `Notified`"),
        ("Join n1 with n0", 0, "expected"),
    ];
    for (script, at, msg) in cases {
        match z.parse(script) {
            Err(ScriptError::Parse { index, reason, .. }) => {
                assert_eq!(index, at, "{script}");
                assert!(reason.contains(msg), "{script}: {reason}");
            }
            other => panic!("{script}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn dsl_accepts_newlines_and_comments_and_round_trips() {
    let z = model(Checks::both());
    let steps = z.parse("Join n2 # first joiner\n S n2;; S n0\n\n Join n1 via n0").unwrap();
    assert_eq!(steps.len(), 4);
    let all = [
        Step::Join { n: 1, via: None },
        Step::Join { n: 1, via: Some(0) },
        Step::Stabilize(2),
        Step::Notified { n: 3, p: 1 },
        Step::S(0),
        Step::Fail(1),
        Step::Flush(2),
        Step::Update(3),
        Step::Reconcile(0),
    ];
    assert_eq!(z.parse(&to_script(&all)).unwrap(), all);
}

#[test]
fn refused_step_in_a_script_names_the_statement_and_keeps_earlier_effects() {
    let mut z = model(Checks::both());
    let err = z.run("Join n2; Fail n3").unwrap_err();
    assert_eq!(
        err,
        ScriptError::Refused { index: 1, statement: "Fail n3".into(), reason: "n3 is not a live member".into() }
    );
    assert_eq!(z.node(2).succ(), Some(0));
}

#[test]
#[should_panic(expected = "ring ids must be unique")]
fn duplicate_ids_are_rejected() {
    let _ = Model::new(&[1, 2, 1], Checks::both());
}

#[test]
fn ring_view_lists_omit_empty_successors() {
    let mut z = model(Checks::both());
    run(&mut z, "Join n2; S n2; S n0");
    assert_eq!(z.succ_list(0), [2]);
    run(&mut z, "Reconcile n0");
    assert_eq!(z.succ_list(0), [2, 0]);
    assert!(z.succ_list(1).is_empty());
    assert_eq!((z.len(), z.r()), (4, 2));
}
