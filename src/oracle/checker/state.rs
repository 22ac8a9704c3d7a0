//! Routing-state correctness against the true ring: successor, predecessor, successor list, fingers.
//!
//! Owns: the per-round scan over all live nodes in id order. The true successor list of the node at
//! ring index i is the next r live nodes going around the ring, wrapping (and repeating) when fewer
//! than r+1 nodes are alive: exactly the fixed point of ToN'03 IV-E.3's reconcile. A lone node is
//! correct with itself (or nothing) as predecessor and only itself in its list.
//! Above [`MAX_CHECKED`] live nodes the scan samples every k-th node of the ring from a random
//! offset (DESIGN.md principle 5), and the round row says how many were checked.
//! Never: mutate nodes; allocate per node (one pass, O(N · m · log N) for the fingers).

use super::Checker;
use super::NodeView;
use crate::id::Id;
use crate::protocol::msg::Peer;
use crate::protocol::node::Node;
use crate::protocol::options::Params;

/// Counts of correct state over the live nodes, and the first problem found (in id order).
#[derive(Default, Debug)]
pub(super) struct StateCounts {
    /// Nodes compared (all live nodes, or a sample).
    pub checked: u64,
    /// Nodes whose fingers were compared.
    pub finger_nodes: u64,
    pub succ: u64,
    pub pred: u64,
    pub list: u64,
    pub finger_ok: u64,
    pub finger_total: u64,
    pub fingers_all: u64,
    pub reason: Option<String>,
}

/// The scan visits nodes in ring order, which is random in memory: the node this many checks ahead
/// is prefetched.
const PREFETCH_AHEAD: usize = 4;

/// Up to this many live nodes, every node is checked each round; above, a sample of about this many.
pub const MAX_CHECKED: usize = 100_000;
/// Fingers are reported, not required for convergence (DESIGN.md principle 5), and checking them costs
/// m binary searches per node: up to this many checked nodes all fingers are compared, above it every
/// k-th checked node's (the round row's `fingers_checked` says how many).
pub const MAX_FINGER_CHECKED: u64 = 2_000;

impl Checker {
    /// Checks every `stride`-th node of the ring, starting at `offset`.
    pub(super) fn check_states<V: NodeView>(
        &self,
        ring: &[Peer],
        nodes: &[V],
        params: &Params,
        stride: usize,
        offset: usize,
    ) -> StateCounts {
        let mut c = StateCounts::default();
        let n = ring.len();
        let sampled = n.div_ceil(stride.max(1)) as u64;
        let finger_every = sampled.div_ceil(MAX_FINGER_CHECKED).max(1);
        for (i, me) in ring.iter().enumerate().skip(offset).step_by(stride.max(1)) {
            c.checked += 1;
            if let Some(ahead) = ring.get(i + PREFETCH_AHEAD * stride.max(1)) {
                crate::prefetch::prefetch(nodes[ahead.addr.0 as usize].node());
            }
            let fingers_too = (c.checked - 1).is_multiple_of(finger_every);
            let node = &nodes[me.addr.0 as usize].node();
            if !node.is_joined() {
                if fingers_too {
                    c.finger_nodes += 1;
                    c.finger_total += u64::from(params.space.bits());
                }
                c.reason.get_or_insert_with(|| format!("node {} has not finished joining", me.id));
                continue;
            }
            let succ_true = ring[(i + 1) % n];
            let pred_true = ring[(i + n - 1) % n];
            let s = node.successor();
            if s == succ_true {
                c.succ += 1;
            } else {
                note(&mut c.reason, me.id, "successor", s.id, succ_true.id);
            }
            let pred_ok = match node.predecessor() {
                Some(p) => p == pred_true,
                None => n == 1,
            };
            if pred_ok {
                c.pred += 1;
            } else {
                let held = node.predecessor().map_or("nil".to_string(), |p| p.id.to_string());
                c.reason.get_or_insert_with(|| format!("node {} predecessor is {held}, truth {}", me.id, pred_true.id));
            }
            if self.list_ok(node, ring, i) {
                c.list += 1;
            } else {
                c.reason.get_or_insert_with(|| list_reason(node, ring, i, self.r));
            }
            if !fingers_too {
                continue;
            }
            c.finger_nodes += 1;
            let ok = fingers_ok(node, ring, params);
            c.finger_ok += ok;
            c.finger_total += u64::from(params.space.bits());
            if ok == u64::from(params.space.bits()) {
                c.fingers_all += 1;
            }
        }
        c
    }

    fn list_ok(&self, node: &Node, ring: &[Peer], i: usize) -> bool {
        let n = ring.len();
        let list = node.succ_list();
        if n == 1 {
            return !list.is_empty() && list.iter().all(|&p| p == ring[0]);
        }
        list.len() == self.r && list.iter().enumerate().all(|(j, &p)| p == ring[(i + 1 + j) % n])
    }
}

fn note(reason: &mut Option<String>, me: Id, what: &str, held: Id, truth: Id) {
    reason.get_or_insert_with(|| format!("node {me} {what} is {held}, truth {truth}"));
}

fn list_reason(node: &Node, ring: &[Peer], i: usize, r: usize) -> String {
    let n = ring.len();
    let held: Vec<String> = node.succ_list().iter().map(|p| p.id.to_string()).collect();
    let truth: Vec<String> = (0..r).map(|j| ring[(i + 1 + j) % n].id.to_string()).collect();
    format!("node {} successor list is [{}], truth [{}]", ring[i].id, held.join(", "), truth.join(", "))
}

/// Number of correct finger entries: finger k must be the true successor of `n + 2^(k-1)`.
fn fingers_ok(node: &Node, ring: &[Peer], params: &Params) -> u64 {
    let me = node.me().id;
    let mut ok = 0;
    for (k, f) in node.fingers().iter().enumerate() {
        let start = params.space.finger_start(me, k as u32 + 1);
        let idx = ring.partition_point(|p| p.id < start);
        let want = ring[if idx == ring.len() { 0 } else { idx }];
        if *f == Some(want) {
            ok += 1;
        }
    }
    ok
}
