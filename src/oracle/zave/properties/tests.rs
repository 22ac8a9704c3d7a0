//! Hand-built states for each property (holding and violated), and property
//! tests of the near-linear checks against brute-force readings of zave.md.

use super::*;
use proptest::prelude::*;

/// A plain owned network state for tests.
#[derive(Clone, Debug)]
struct View {
    ids: Vec<u64>,
    live: Vec<bool>,
    joined: Vec<bool>,
    lists: Vec<Vec<usize>>,
    r: usize,
}

impl View {
    /// All nodes live, none joined.
    fn new(ids: &[u64], r: usize) -> Self {
        let n = ids.len();
        View { ids: ids.to_vec(), live: vec![true; n], joined: vec![false; n], lists: vec![vec![]; n], r }
    }
    /// Nodes with ids 0, 10, 20, ... each listing its next `r` nodes.
    fn ideal(n: usize, r: usize) -> Self {
        let ids: Vec<u64> = (0..n as u64).map(|i| 10 * i).collect();
        let mut v = View::new(&ids, r);
        for i in 0..n {
            let list: Vec<usize> = (1..=r).map(|d| (i + d) % n).collect();
            v = v.with(i, &list);
        }
        v
    }
    fn with(mut self, n: usize, list: &[usize]) -> Self {
        self.joined[n] = true;
        self.lists[n] = list.to_vec();
        self
    }
    fn dead(mut self, n: usize) -> Self {
        self.live[n] = false;
        self
    }
}

impl RingView for View {
    fn len(&self) -> usize {
        self.ids.len()
    }
    fn id(&self, n: usize) -> u64 {
        self.ids[n]
    }
    fn is_live(&self, n: usize) -> bool {
        self.live[n]
    }
    fn is_member(&self, n: usize) -> bool {
        self.live[n] && self.joined[n]
    }
    fn succ_list(&self, n: usize) -> &[usize] {
        &self.lists[n]
    }
    fn r(&self) -> usize {
        self.r
    }
}

fn violated(v: &View) -> Vec<Property> {
    check_all(v).into_iter().map(|x| x.property).collect()
}

const IDS4: [u64; 4] = [0, 16, 32, 48];

#[test]
fn names_and_classification_follow_zave() {
    let names: Vec<&str> = Property::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "AtLeastOneRing",
            "AtMostOneRing",
            "OrderedRing",
            "ConnectedAppendages",
            "OrderedAppendages",
            "OrderedMerges",
            "ValidSuccessorList",
            "OneLiveSuccessor",
            "SufficientPrincipals",
            "NoDuplicates",
            "OrderedSuccessorLists"
        ]
    );
    let unrepairable: Vec<Property> = Property::ALL.into_iter().filter(|p| p.unrepairable()).collect();
    assert_eq!(unrepairable, Property::PODC[..4]);
    let warnings: Vec<Property> = Property::ALL.into_iter().filter(|p| p.is_warning()).collect();
    assert_eq!(warnings, Property::PODC[4..]);
    assert_eq!(Property::OrderedMerges.to_string(), "OrderedMerges");
}

#[test]
fn ideal_rings_satisfy_every_property() {
    for (n, r) in [(3, 2), (4, 2), (5, 3), (9, 1)] {
        let v = View::ideal(n, r);
        assert_eq!(violated(&v), [], "n={n} r={r}");
        assert_eq!(principals(&v), n);
    }
}

#[test]
fn at_least_one_ring_cases() {
    let v = View::new(&IDS4, 2).with(0, &[1]).with(1, &[2]).dead(1).with(2, &[0]);
    let x = at_least_one_ring(&v).expect("no ring");
    assert_eq!(x.nodes, [0, 2]);
    assert_eq!(
        violated(&v),
        [
            Property::AtLeastOneRing,
            Property::ConnectedAppendages,
            Property::OneLiveSuccessor,
            Property::SufficientPrincipals,
            Property::NoDuplicates
        ]
    );
    assert_eq!(at_least_one_ring(&View::ideal(4, 2)), None);
}

#[test]
fn at_most_one_ring_cases() {
    let v = View::new(&IDS4, 1).with(0, &[0]).with(1, &[1]).with(2, &[3]).with(3, &[2]);
    let x = at_most_one_ring(&v).expect("three rings");
    assert_eq!(x.nodes, [0, 1, 2]);
    assert_eq!(x.detail, "3 disjoint rings");
    // Interleaved rings {0, 32} and {16, 48}: each is ordered on its own.
    let v = View::new(&IDS4, 1).with(0, &[2]).with(2, &[0]).with(1, &[3]).with(3, &[1]);
    assert_eq!(violated(&v), [Property::AtMostOneRing, Property::SufficientPrincipals]);
    assert_eq!(ordered_ring(&v), None);
}

#[test]
fn ordered_ring_cases() {
    let ids = [0, 10, 20];
    let looping = View::new(&ids, 1).with(0, &[2]).with(2, &[1]).with(1, &[0]);
    let x = ordered_ring(&looping).expect("loops twice round the id space");
    assert_eq!(x.nodes, [0, 1, 2]);
    let ordered = View::new(&ids, 1).with(0, &[1]).with(1, &[2]).with(2, &[0]);
    assert_eq!(ordered_ring(&ordered), None);
    // A dead node between ring members is not a ring member.
    let skip_dead = View::new(&ids, 2).with(0, &[1, 2]).with(1, &[2]).dead(1).with(2, &[0]);
    assert_eq!(ordered_ring(&skip_dead), None);
    assert_eq!(at_most_one_ring(&skip_dead), None);
}

#[test]
fn connected_appendages_cases() {
    let v = View::new(&IDS4, 2).with(0, &[2]).with(2, &[0]).with(1, &[3]).dead(3);
    assert_eq!(connected_appendages(&v).expect("n1 reaches only dead n3").nodes, [1]);
    let v = View::new(&IDS4, 2).with(0, &[2]).with(2, &[0]).with(1, &[3, 2]).dead(3);
    assert_eq!(connected_appendages(&v), None, "n1 falls back to live n2");
    // An appendage whose best successor is live but never joined is stuck.
    let v = View::new(&IDS4, 1).with(0, &[0]).with(1, &[2]);
    assert_eq!(connected_appendages(&v).expect("dead end").nodes, [1]);
}

#[test]
fn ordered_appendages_cases() {
    // T6's final state: ring {32}; appendage 5 -> 44 -> 32.
    let ids = [60, 5, 32, 44];
    let t6 = View::new(&ids, 2).with(0, &[2]).dead(0).with(1, &[3]).with(2, &[2]).with(3, &[2]);
    assert_eq!(ordered_appendages(&t6).expect("5 -> 44 jumps past 32").nodes, [1]);
    let fixed = t6.clone().with(1, &[2]);
    assert_eq!(ordered_appendages(&fixed), None);
    // Paths may wrap through zero as long as they do not pass their entry.
    let ids = [5, 6, 3, 4];
    let wrap = View::new(&ids, 1).with(0, &[0]).with(1, &[2]).with(2, &[0]);
    assert_eq!(ordered_appendages(&wrap), None, "6 -> 3 -> 5 is in order");
    let bad = wrap.with(3, &[1]);
    assert_eq!(ordered_appendages(&bad).expect("4 -> 6 passes 5").nodes, [3]);
}

#[test]
fn ordered_merges_cases() {
    // T5's final state: ring 0 -> 32 -> 48 -> 0; appendage 16 -> 48.
    let t5 = View::new(&IDS4, 2).with(0, &[2]).with(1, &[3]).with(2, &[3]).with(3, &[0]);
    let x = ordered_merges(&t5).expect("16 is not in (32, 48)");
    assert_eq!(x.nodes, [2, 1, 3]);
    assert_eq!(violated(&t5)[..1], [Property::OrderedMerges]);
    let fixed = t5.with(1, &[2]);
    assert_eq!(ordered_merges(&fixed), None, "16 in (0, 32)");
}

#[test]
fn valid_successor_list_cases() {
    // T4's final state: n1 = [n0] skips n3, which antecedent n0 lists.
    let t4 = View::new(&IDS4, 2).with(0, &[1, 3]).with(1, &[0]).with(2, &[3]).dead(2).with(3, &[0]);
    assert_eq!(valid_successor_list(&t4).expect("T4").nodes, [1, 3, 0]);
    assert_eq!(valid_successor_list(&t4.clone().with(0, &[1, 0])), None);
    // The (succ, succ2) gap: w = n1 lists [n2, n4], skipping n3 = n0.succ2.
    let ids = [0, 10, 20, 30, 40];
    let gap = View::ideal(5, 2).with(0, &[1, 3]).with(1, &[2, 4]);
    assert_eq!(gap.ids, ids);
    assert_eq!(valid_successor_list(&gap).expect("gap").nodes, [1, 3, 0]);
    // Skipping a dead node is fine.
    assert_eq!(valid_successor_list(&gap.dead(3)), None);
}

#[test]
fn one_live_successor_cases() {
    let v = View::ideal(4, 2).dead(1).dead(2);
    assert_eq!(one_live_successor(&v).expect("n0 lost both").nodes, [0]);
    assert_eq!(one_live_successor(&View::ideal(4, 2).dead(1)), None);
}

#[test]
fn sufficient_principals_counts_unskipped_members() {
    let v = View::ideal(3, 2);
    assert_eq!((principals(&v), sufficient_principals(&v)), (3, None));
    // n0's ESL [0, 20, 30] skips 10; still 3 principals = r + 1.
    let v = View::ideal(4, 2).with(0, &[2, 3]);
    assert_eq!(principal_nodes(&v), [0, 2, 3]);
    assert_eq!(sufficient_principals(&v), None);
    // n2's ESL [20, 30, 10] also skips 0 across the wrap.
    let v = v.with(2, &[3, 1]);
    let x = sufficient_principals(&v).expect("only 20 and 30 left");
    assert_eq!((x.nodes, x.detail.as_str()), (vec![2, 3], "principals = 2, need at least r + 1 = 3"));
    // A pair [x, x] skips everything but x.
    let v = View::ideal(4, 2).with(1, &[1, 2]);
    assert_eq!(principal_nodes(&v), [1]);
}

#[test]
fn no_duplicates_cases() {
    assert_eq!(no_duplicates(&View::ideal(4, 2)), None);
    let dup = View::ideal(4, 2).with(2, &[3, 3]);
    assert_eq!(no_duplicates(&dup).expect("dup").nodes, [2]);
    let short = View::ideal(4, 2).with(1, &[2]);
    assert_eq!(no_duplicates(&short).expect("short").nodes, [1]);
    let self_listed = View::ideal(4, 2).with(3, &[0, 3]);
    assert_eq!(no_duplicates(&self_listed).expect("self").nodes, [3]);
}

#[test]
fn ordered_successor_lists_cases() {
    assert_eq!(ordered_successor_lists(&View::ideal(5, 3)), None);
    let v = View::ideal(4, 2).with(0, &[2, 1]);
    assert_eq!(ordered_successor_lists(&v).expect("20 then 10").nodes, [0]);
    // Short lists have no triple to check.
    assert_eq!(ordered_successor_lists(&View::ideal(4, 2).with(0, &[1])), None);
}

#[test]
fn checks_scale_to_large_networks() {
    let n = 200_000;
    let big = View::ideal(n, 3);
    assert_eq!(violated(&big), []);
    // One long ordered appendage chain feeding a single-node ring.
    let ids: Vec<u64> = (0..n as u64).collect();
    let mut chain = View::new(&ids, 1);
    for i in 0..n {
        chain = chain.with(i, &[(i + 1) % n]);
    }
    chain = chain.with(0, &[0]);
    assert_eq!(violated(&chain)[..1], [Property::SufficientPrincipals]);
    // A ring looping twice round the id space (odd length, step 2).
    let mut twice = View::new(&ids[..n - 1], 1);
    for i in 0..n - 1 {
        twice = twice.with(i, &[(i + 2) % (n - 1)]);
    }
    assert_eq!(ordered_ring(&twice).expect("loops").nodes.len(), n - 1);
}

// ---- brute-force readings of zave.md, for property tests ----

fn walk(v: &View, from: usize, steps: usize) -> Vec<usize> {
    let mut path = vec![from];
    let mut cur = from;
    for _ in 0..steps {
        match best_successor(v, cur) {
            Some(next) if v.is_member(next) => cur = next,
            _ => break,
        }
        path.push(cur);
    }
    path
}

fn naive_ring_members(v: &View) -> Vec<usize> {
    (0..v.len()).filter(|&x| v.is_member(x) && walk(v, x, v.len())[1..].contains(&x)).collect()
}

fn reaches(v: &View, a: usize, b: usize) -> bool {
    walk(v, a, v.len()).contains(&b)
}

fn naive_violations(v: &View) -> Vec<Property> {
    let ring = naive_ring_members(v);
    let appendages: Vec<usize> = (0..v.len()).filter(|&x| v.is_member(x) && !ring.contains(&x)).collect();
    let entry = |a: usize| walk(v, a, v.len()).into_iter().find(|x| ring.contains(x));
    let mut out = Vec::new();
    if ring.is_empty() {
        out.push(Property::AtLeastOneRing);
    }
    if ring.iter().any(|&a| ring.iter().any(|&b| !reaches(v, a, b))) {
        out.push(Property::AtMostOneRing);
    }
    let skips = |&n1: &usize| {
        let n2 = best_successor(v, n1).unwrap();
        ring.iter().any(|&n3| n3 != n1 && n3 != n2 && reaches(v, n1, n3) && between(v.id(n1), v.id(n3), v.id(n2)))
    };
    if ring.iter().any(skips) {
        out.push(Property::OrderedRing);
    }
    if appendages.iter().any(|&a| entry(a).is_none()) {
        out.push(Property::ConnectedAppendages);
    }
    let overshoots = |&a: &usize| {
        let Some(e) = entry(a) else { return false };
        let path = walk(v, a, v.len());
        let end = path.iter().position(|&x| x == e).unwrap();
        let travelled: u128 = path[..=end].windows(2).map(|w| u128::from(clockwise(v.id(w[0]), v.id(w[1])))).sum();
        travelled != u128::from(clockwise(v.id(a), v.id(e)))
    };
    if appendages.iter().any(overshoots) {
        out.push(Property::OrderedAppendages);
    }
    out
}

fn naive_principals(v: &View) -> Vec<usize> {
    let members: Vec<usize> = (0..v.len()).filter(|&x| v.is_member(x)).collect();
    let skipped = |p: usize| {
        members.iter().any(|&w| {
            let esl: Vec<usize> = std::iter::once(w).chain(v.lists[w].iter().copied()).collect();
            esl.windows(2).any(|e| between(v.id(e[0]), v.id(p), v.id(e[1])))
        })
    };
    let mut out: Vec<usize> = members.iter().copied().filter(|&p| !skipped(p)).collect();
    out.sort_by_key(|&p| v.id(p));
    out
}

use crate::oracle::zave::ring_id::clockwise;

fn arb_view() -> impl Strategy<Value = View> {
    (prop::collection::btree_set(0u64..32, 1..9), 0usize..8).prop_flat_map(|(ids, rot)| {
        let mut ids: Vec<u64> = ids.into_iter().collect();
        let k = rot % ids.len();
        ids.rotate_left(k);
        let n = ids.len();
        let lists = prop::collection::vec(prop::collection::vec(0..n, 0..4), n);
        let flags = prop::collection::vec((prop::bool::weighted(0.8), prop::bool::weighted(0.8)), n);
        (Just(ids), lists, flags, 1usize..4).prop_map(|(ids, lists, flags, r)| View {
            live: flags.iter().map(|f| f.0).collect(),
            joined: flags.iter().zip(&lists).map(|(f, l)| f.1 && !l.is_empty()).collect(),
            ids,
            lists,
            r,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn ring_checks_agree_with_brute_force(v in arb_view()) {
        let fast: Vec<Property> = violated(&v).into_iter().filter(|p| p.unrepairable()
            || *p == Property::OrderedAppendages).collect();
        prop_assert_eq!(fast, naive_violations(&v));
    }

    #[test]
    fn principals_agree_with_brute_force(v in arb_view()) {
        prop_assert_eq!(principal_nodes(&v), naive_principals(&v));
    }

    #[test]
    fn single_checks_agree_with_check_all(v in arb_view()) {
        let one_by_one: Vec<Violation> = Property::ALL.iter().filter_map(|p| p.check(&v)).collect();
        prop_assert_eq!(one_by_one, check_all(&v));
    }
}
