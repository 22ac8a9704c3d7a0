//! Zave's ring properties, checked over any read-only view of a network.
//!
//! Owns: the definitions of the seven properties claimed invariant for the
//! original protocol (AtLeastOneRing .. ValidSuccessorList) and of the
//! corrected protocol's properties (OneLiveSuccessor, SufficientPrincipals,
//! NoDuplicates, OrderedSuccessorLists), with their classification
//! (unrepairable / warning). Each check is near-linear in the node count.
//! Must never: mutate or repair a network, depend on a concrete simulator, or
//! let hash-map iteration order influence a result.
//!
//! Vocabulary (zave.md): the *best successor* of a member is the first live
//! entry of its successor list; a *ring member* is a member that reaches itself
//! via best successors; an *appendage* is any other member. The *ESL* of a node
//! is the node prepended to its successor list.

use crate::oracle::zave::ring_id::between;

/// Read-only view of a network state, as seen by the property checkers.
pub trait RingView {
    /// Number of node slots `0..len` (dead nodes included).
    fn len(&self) -> usize;
    /// Ring id of slot `n`; ids are unique.
    fn id(&self, n: usize) -> u64;
    /// Whether slot `n` is live (has not failed).
    fn is_live(&self, n: usize) -> bool;
    /// Whether slot `n` is live and has joined (has a successor list).
    fn is_member(&self, n: usize) -> bool;
    /// Successor list of slot `n` as slot indices, first entry = successor.
    /// May contain dead or duplicate entries.
    fn succ_list(&self, n: usize) -> &[usize];
    /// Nominal successor-list length.
    fn r(&self) -> usize;
    /// Whether the view has no node slots at all.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The named properties of zave.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    AtLeastOneRing,
    AtMostOneRing,
    OrderedRing,
    ConnectedAppendages,
    OrderedAppendages,
    OrderedMerges,
    ValidSuccessorList,
    OneLiveSuccessor,
    SufficientPrincipals,
    NoDuplicates,
    OrderedSuccessorLists,
}

impl Property {
    /// Every property, in the order of zave.md.
    pub const ALL: [Property; 11] = [
        Property::AtLeastOneRing,
        Property::AtMostOneRing,
        Property::OrderedRing,
        Property::ConnectedAppendages,
        Property::OrderedAppendages,
        Property::OrderedMerges,
        Property::ValidSuccessorList,
        Property::OneLiveSuccessor,
        Property::SufficientPrincipals,
        Property::NoDuplicates,
        Property::OrderedSuccessorLists,
    ];

    /// The seven properties PODC'02 claimed invariant for the original protocol.
    pub const PODC: [Property; 7] = [
        Property::AtLeastOneRing,
        Property::AtMostOneRing,
        Property::OrderedRing,
        Property::ConnectedAppendages,
        Property::OrderedAppendages,
        Property::OrderedMerges,
        Property::ValidSuccessorList,
    ];

    /// The property's name, exactly as zave.md spells it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Property::AtLeastOneRing => "AtLeastOneRing",
            Property::AtMostOneRing => "AtMostOneRing",
            Property::OrderedRing => "OrderedRing",
            Property::ConnectedAppendages => "ConnectedAppendages",
            Property::OrderedAppendages => "OrderedAppendages",
            Property::OrderedMerges => "OrderedMerges",
            Property::ValidSuccessorList => "ValidSuccessorList",
            Property::OneLiveSuccessor => "OneLiveSuccessor",
            Property::SufficientPrincipals => "SufficientPrincipals",
            Property::NoDuplicates => "NoDuplicates",
            Property::OrderedSuccessorLists => "OrderedSuccessorLists",
        }
    }

    /// True exactly for the four properties whose violation no amount of
    /// stabilization repairs (zave.md: "needed for correctness").
    #[must_use]
    pub fn unrepairable(self) -> bool {
        matches!(
            self,
            Property::AtLeastOneRing | Property::AtMostOneRing | Property::OrderedRing | Property::ConnectedAppendages
        )
    }

    /// True for the repairable PODC properties that the corrected protocol also
    /// violates in normal operation: a checker reports them as warnings.
    #[must_use]
    pub fn is_warning(self) -> bool {
        matches!(self, Property::OrderedAppendages | Property::OrderedMerges | Property::ValidSuccessorList)
    }

    /// Checks this one property on `view`.
    pub fn check<V: RingView + ?Sized>(self, view: &V) -> Option<Violation> {
        let rings = Rings::analyze(view);
        check_with(self, view, &rings)
    }
}

impl std::fmt::Display for Property {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A violated property with the node slots that witness it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub property: Property,
    pub nodes: Vec<usize>,
    pub detail: String,
}

impl Violation {
    fn new(property: Property, nodes: Vec<usize>, detail: String) -> Self {
        Violation { property, nodes, detail }
    }
}

/// "1 member has" / "3 members have": a count with the noun phrase agreeing.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Checks every property of zave.md once; returns the violated ones in the
/// order of `Property::ALL`. Ring structure is computed once and shared.
pub fn check_all<V: RingView + ?Sized>(view: &V) -> Vec<Violation> {
    check_all_counting(view).0
}

/// [`check_all`] plus the number of principals, computed once for both (the principal scan is the
/// most expensive check).
pub fn check_all_counting<V: RingView + ?Sized>(view: &V) -> (Vec<Violation>, usize) {
    let rings = Rings::analyze(view);
    let principals = principal_nodes(view);
    let count = principals.len();
    let mut out: Vec<Violation> = Property::ALL
        .iter()
        .filter(|&&p| p != Property::SufficientPrincipals)
        .filter_map(|&p| check_with(p, view, &rings))
        .collect();
    if count <= view.r() {
        let detail = format!("principals = {count}, need at least r + 1 = {}", view.r() + 1);
        out.push(Violation::new(Property::SufficientPrincipals, principals, detail));
        out.sort_by_key(|v| Property::ALL.iter().position(|&p| p == v.property));
    }
    (out, count)
}

fn check_with<V: RingView + ?Sized>(p: Property, v: &V, rings: &Rings) -> Option<Violation> {
    match p {
        Property::AtLeastOneRing => at_least_one_ring_in(v, rings),
        Property::AtMostOneRing => at_most_one_ring_in(rings),
        Property::OrderedRing => ordered_ring_in(v, rings),
        Property::ConnectedAppendages => connected_appendages_in(v, rings),
        Property::OrderedAppendages => ordered_appendages_in(v, rings),
        Property::OrderedMerges => ordered_merges_in(v, rings),
        Property::ValidSuccessorList => valid_successor_list(v),
        Property::OneLiveSuccessor => one_live_successor(v),
        Property::SufficientPrincipals => sufficient_principals(v),
        Property::NoDuplicates => no_duplicates(v),
        Property::OrderedSuccessorLists => ordered_successor_lists(v),
    }
}

/// Best-successor structure: which members lie on cycles ("rings") and which
/// ring member each appendage first reaches. Built in O(N·r).
struct Rings {
    /// Best successor of each member (first live entry), `None` otherwise.
    best: Vec<Option<usize>>,
    /// Index into `cycles` for ring members.
    ring_of: Vec<Option<usize>>,
    /// First ring member reached via best successors (itself for ring members).
    entry: Vec<Option<usize>>,
    /// Each ring, listed in best-successor order.
    cycles: Vec<Vec<usize>>,
}

impl Rings {
    fn analyze<V: RingView + ?Sized>(v: &V) -> Self {
        let n = v.len();
        let best = (0..n).map(|x| best_successor(v, x)).collect();
        let mut rings = Rings { best, ring_of: vec![None; n], entry: vec![None; n], cycles: vec![] };
        let mut done = vec![false; n];
        let mut on_path = vec![usize::MAX; n];
        for start in 0..n {
            if v.is_member(start) && !done[start] {
                rings.walk(v, start, &mut done, &mut on_path);
            }
        }
        rings
    }

    /// Follows best successors from `start` until a dead end, a node already
    /// classified, or a node on the current path (a new ring).
    fn walk<V: RingView + ?Sized>(&mut self, v: &V, start: usize, done: &mut [bool], on_path: &mut [usize]) {
        let mut path = Vec::new();
        let mut cur = Some(start);
        let reached = loop {
            let Some(x) = cur.filter(|&x| v.is_member(x)) else {
                break None;
            };
            if done[x] {
                break self.entry[x];
            }
            if on_path[x] != usize::MAX {
                let cycle = path.split_off(on_path[x]);
                for &c in &cycle {
                    self.ring_of[c] = Some(self.cycles.len());
                    self.entry[c] = Some(c);
                    done[c] = true;
                }
                self.cycles.push(cycle);
                break Some(x);
            }
            on_path[x] = path.len();
            path.push(x);
            cur = self.best[x];
        };
        for &p in &path {
            self.entry[p] = reached;
            done[p] = true;
        }
    }

    fn is_appendage<V: RingView + ?Sized>(&self, v: &V, n: usize) -> bool {
        v.is_member(n) && self.ring_of[n].is_none()
    }

    /// The ring member whose best successor is `n` (`n` must be a ring member).
    fn ring_predecessors(&self, len: usize) -> Vec<Option<usize>> {
        let mut pred = vec![None; len];
        for cycle in &self.cycles {
            for (i, &x) in cycle.iter().enumerate() {
                pred[cycle[(i + 1) % cycle.len()]] = Some(x);
            }
        }
        pred
    }
}

/// Best successor (zave.md): the first live entry of the successor list of a
/// member; `None` for non-members and for members with no live entry.
pub fn best_successor<V: RingView + ?Sized>(v: &V, n: usize) -> Option<usize> {
    if !v.is_member(n) {
        return None;
    }
    v.succ_list(n).iter().copied().find(|&s| v.is_live(s))
}

fn members<V: RingView + ?Sized>(v: &V) -> impl Iterator<Item = usize> + '_ {
    (0..v.len()).filter(|&n| v.is_member(n))
}

/// AtLeastOneRing (zave.md): there is at least one ring member. Unrepairable.
/// Witnesses: all members (none of which is on a ring).
pub fn at_least_one_ring<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    at_least_one_ring_in(v, &Rings::analyze(v))
}

fn at_least_one_ring_in<V: RingView + ?Sized>(v: &V, rings: &Rings) -> Option<Violation> {
    if !rings.cycles.is_empty() {
        return None;
    }
    let nodes: Vec<usize> = members(v).collect();
    let detail = format!("no ring member among {} members", nodes.len());
    Some(Violation::new(Property::AtLeastOneRing, nodes, detail))
}

/// AtMostOneRing (zave.md): any two ring members reach each other via best
/// successors, i.e. there is at most one best-successor cycle. Unrepairable.
/// Witnesses: one member of each ring.
pub fn at_most_one_ring<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    at_most_one_ring_in(&Rings::analyze(v))
}

fn at_most_one_ring_in(rings: &Rings) -> Option<Violation> {
    if rings.cycles.len() <= 1 {
        return None;
    }
    let nodes = rings.cycles.iter().map(|c| c[0]).collect();
    let detail = format!("{} disjoint rings", rings.cycles.len());
    Some(Violation::new(Property::AtMostOneRing, nodes, detail))
}

/// OrderedRing (zave.md): on the ring, no ring member lies strictly between a
/// node and its best successor. Unrepairable.
///
/// Checked per ring: each ring member's best successor must be the next member
/// *of the same ring* in id order (sort each ring, O(N log N) total), so a ring
/// that loops around the id space more than once is caught. Members of other
/// rings are not counted here: several rings are AtMostOneRing's business.
/// Witnesses: ring members whose best successor skips a ring member.
pub fn ordered_ring<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    ordered_ring_in(v, &Rings::analyze(v))
}

fn ordered_ring_in<V: RingView + ?Sized>(v: &V, rings: &Rings) -> Option<Violation> {
    let mut nodes = Vec::new();
    for cycle in &rings.cycles {
        let mut sorted: Vec<(u64, usize)> = cycle.iter().map(|&x| (v.id(x), x)).collect();
        sorted.sort_unstable();
        for (i, &(_, x)) in sorted.iter().enumerate() {
            let next = sorted[(i + 1) % sorted.len()].1;
            if rings.best[x] != Some(next) {
                nodes.push(x);
            }
        }
    }
    if nodes.is_empty() {
        return None;
    }
    nodes.sort_unstable();
    let detail = format!("{} ring members skip a member of their ring", nodes.len());
    Some(Violation::new(Property::OrderedRing, nodes, detail))
}

/// ConnectedAppendages (zave.md): every appendage reaches a ring member via
/// best successors. Unrepairable. Witnesses: the appendages that do not.
/// (With no ring at all, every member is such an appendage.)
pub fn connected_appendages<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    connected_appendages_in(v, &Rings::analyze(v))
}

fn connected_appendages_in<V: RingView + ?Sized>(v: &V, rings: &Rings) -> Option<Violation> {
    let nodes: Vec<usize> = members(v).filter(|&n| rings.is_appendage(v, n) && rings.entry[n].is_none()).collect();
    if nodes.is_empty() {
        return None;
    }
    let detail = count(nodes.len(), "appendage reaches", "appendages reach") + " no ring member";
    Some(Violation::new(Property::ConnectedAppendages, nodes, detail))
}

/// OrderedAppendages (zave.md): within an appendage, successor order agrees
/// with id order. Repairable; a warning.
///
/// Made precise as: for every appendage `a` that reaches ring member `e`, its
/// best successor `b` lies in `(a, e]`. Applied at every appendage this says
/// the whole best-successor path from `a` to the ring advances clockwise
/// without passing `e` (so it also implies every triple on the path is in id
/// order). Appendages that reach no ring are ConnectedAppendages' business.
/// Witnesses: the out-of-order appendages.
pub fn ordered_appendages<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    ordered_appendages_in(v, &Rings::analyze(v))
}

fn ordered_appendages_in<V: RingView + ?Sized>(v: &V, rings: &Rings) -> Option<Violation> {
    let nodes: Vec<usize> = members(v)
        .filter(|&a| rings.is_appendage(v, a))
        .filter(|&a| match (rings.best[a], rings.entry[a]) {
            (Some(b), Some(e)) => b != e && !between(v.id(a), v.id(b), v.id(e)),
            _ => false,
        })
        .collect();
    if nodes.is_empty() {
        return None;
    }
    let detail = format!("{} appendages jump past their ring entry", nodes.len());
    Some(Violation::new(Property::OrderedAppendages, nodes, detail))
}

/// OrderedMerges (zave.md): if ring node n1 and appendage n2 have the same best
/// successor n3, then n2 ∈ (n1, n3). Repairable; a warning. On a ring n1 is the
/// unique ring predecessor of n3, so this is O(N).
/// Witnesses: `[n1, n2, n3]` of the first offending merge.
pub fn ordered_merges<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    ordered_merges_in(v, &Rings::analyze(v))
}

fn ordered_merges_in<V: RingView + ?Sized>(v: &V, rings: &Rings) -> Option<Violation> {
    let pred = rings.ring_predecessors(v.len());
    for n2 in members(v).filter(|&a| rings.is_appendage(v, a)) {
        let Some(n3) = rings.best[n2].filter(|&b| rings.ring_of[b].is_some()) else {
            continue;
        };
        let Some(n1) = pred[n3] else { continue };
        if !between(v.id(n1), v.id(n2), v.id(n3)) {
            let detail = format!("appendage {n2} merges at {n3} outside ({n1}, {n3})");
            return Some(Violation::new(Property::OrderedMerges, vec![n1, n2, n3], detail));
        }
    }
    None
}

/// Does the ESL of `w` (w prepended to its successor list) skip `x`, i.e. is
/// `x` strictly inside some adjacent pair of it?
fn esl_skips<V: RingView + ?Sized>(v: &V, w: usize, x: usize) -> bool {
    let mut prev = w;
    for &s in v.succ_list(w) {
        if between(v.id(prev), v.id(x), v.id(s)) {
            return true;
        }
        prev = s;
    }
    false
}

/// ValidSuccessorList (zave.md): if w's list skips a live member v, then v is
/// not in the successor list of any immediate antecedent of w. Repairable; a
/// warning.
///
/// "Skips" is taken over w's ESL, i.e. v ∈ (w, w.succ) or v between two
/// adjacent entries; zave.md's parenthetical names only the (w.succ, w.succ2)
/// gap, but its own trace T4 ends with n1's list `[n0]` skipping n3 in the
/// (w, w.succ) gap. An immediate antecedent of w is a member u with u.succ = w;
/// with r = 2, "v in u's list" means v = u.succ2. Checked from the antecedent's
/// side: O(N·r²). Witnesses: `[w, v, u]` of the first offence.
pub fn valid_successor_list<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    for u in members(v) {
        let list = v.succ_list(u);
        let Some((&w, rest)) = list.split_first() else {
            continue;
        };
        if !v.is_member(w) {
            continue;
        }
        for &x in rest.iter().filter(|&&x| x != w && v.is_member(x)) {
            if esl_skips(v, w, x) {
                let detail = format!("{w}'s list skips {x}, which antecedent {u} lists after {w}");
                return Some(Violation::new(Property::ValidSuccessorList, vec![w, x, u], detail));
            }
        }
    }
    None
}

/// OneLiveSuccessor (zave.md, corrected protocol): every member has at least
/// one live entry in its successor list. Witnesses: members without one.
pub fn one_live_successor<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    let nodes: Vec<usize> = members(v).filter(|&n| best_successor(v, n).is_none()).collect();
    if nodes.is_empty() {
        return None;
    }
    let detail = count(nodes.len(), "member has", "members have") + " no live successor";
    Some(Violation::new(Property::OneLiveSuccessor, nodes, detail))
}

/// Principal members (zave.md): members not skipped by any ESL, i.e. for no
/// adjacent pair [x, y] of any member's ESL is p ∈ (x, y). Returned in id
/// order. Each pair marks its skipped interval on a difference array over the
/// id-sorted members (wrap-around splits it in two). A member's position in that
/// order is looked up by slot (ids are unique); only list entries that are not
/// members cost a binary search: O(N·r) on a healthy ring, O(N·r·log N) at worst.
pub fn principal_nodes<V: RingView + ?Sized>(v: &V) -> Vec<usize> {
    let mut sorted: Vec<(u64, usize)> = members(v).map(|n| (v.id(n), n)).collect();
    sorted.sort_unstable();
    let m = sorted.len();
    let mut rank = vec![u32::MAX; v.len()];
    for (i, &(_, n)) in sorted.iter().enumerate() {
        rank[n] = i as u32;
    }
    // Members with an id ≤ that of slot `n` (`le`), or < it (`lt`).
    let lt = |n: usize| match rank[n] {
        u32::MAX => sorted.partition_point(|&(id, _)| id < v.id(n)),
        r => r as usize,
    };
    let le = |n: usize| match rank[n] {
        u32::MAX => sorted.partition_point(|&(id, _)| id <= v.id(n)),
        r => r as usize + 1,
    };
    let mut diff = vec![0i64; m + 1];
    let mut mark = |lo: usize, hi: usize| {
        if lo < hi {
            diff[lo] += 1;
            diff[hi] -= 1;
        }
    };
    for w in members(v) {
        let mut x = w;
        for &s in v.succ_list(w) {
            let (lo, hi) = (le(x), lt(s));
            if v.id(x) < v.id(s) {
                mark(lo, hi);
            } else {
                mark(lo, m);
                mark(0, hi);
            }
            x = s;
        }
    }
    let mut depth = 0;
    let mut out = Vec::new();
    for (i, &(_, n)) in sorted.iter().enumerate() {
        depth += diff[i];
        if depth == 0 {
            out.push(n);
        }
    }
    out
}

/// Number of principal members (see `principal_nodes`).
pub fn principals<V: RingView + ?Sized>(v: &V) -> usize {
    principal_nodes(v).len()
}

/// SufficientPrincipals (zave.md, corrected protocol): the number of principals
/// is at least r + 1. `detail` reports the count; witnesses are the principals.
pub fn sufficient_principals<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    let nodes = principal_nodes(v);
    if nodes.len() > v.r() {
        return None;
    }
    let detail = format!("principals = {}, need at least r + 1 = {}", nodes.len(), v.r() + 1);
    Some(Violation::new(Property::SufficientPrincipals, nodes, detail))
}

/// NoDuplicates (zave.md, corrected protocol): every member's ESL has r + 1
/// distinct entries. A short list fails too, as the definition demands
/// exactly r + 1. Witnesses: offending members.
pub fn no_duplicates<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    let nodes: Vec<usize> = members(v)
        .filter(|&n| {
            let mut esl: Vec<usize> = std::iter::once(n).chain(v.succ_list(n).iter().copied()).collect();
            let full = esl.len() == v.r() + 1;
            esl.sort_unstable();
            esl.dedup();
            !full || esl.len() != v.r() + 1
        })
        .collect();
    if nodes.is_empty() {
        return None;
    }
    let detail = count(nodes.len(), "member lacks", "members lack") + " r + 1 distinct ESL entries";
    Some(Violation::new(Property::NoDuplicates, nodes, detail))
}

/// OrderedSuccessorLists (zave.md, corrected protocol): for every sublist
/// [x, y, z] of a member's ESL (three adjacent entries), y ∈ (x, z).
/// Witnesses: offending members.
pub fn ordered_successor_lists<V: RingView + ?Sized>(v: &V) -> Option<Violation> {
    let nodes: Vec<usize> = members(v)
        .filter(|&n| {
            let esl: Vec<u64> = std::iter::once(n).chain(v.succ_list(n).iter().copied()).map(|x| v.id(x)).collect();
            esl.windows(3).any(|t| !between(t[0], t[1], t[2]))
        })
        .collect();
    if nodes.is_empty() {
        return None;
    }
    let detail = format!("{} members have an out-of-order ESL", nodes.len());
    Some(Violation::new(Property::OrderedSuccessorLists, nodes, detail))
}

#[cfg(test)]
mod tests;
