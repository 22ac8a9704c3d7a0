//! The DHT application: put/get routed to the key's successor, key hand-off on join and graceful leave,
//! and replication on the owner's next `replicas` successors (the python-chord layering: the DHT adds
//! its own commands on top of a generic overlay).
//!
//! Owns: one node's item store (key → latest version), its client operations in flight, and the
//! replication state (which successors have received a full copy of the items it owns since its
//! neighbourhood last changed, and where each copy pass stands). Rules: a node owns the keys in
//! `(predecessor, self]`; a put is stored by whoever the lookup found and replicated at once to its
//! first `replicas` successors; after any change of successor list or predecessor, the owner pushes all
//! its items again to its replica successors, at most `repair_items` per repair period (its repair
//! bandwidth); a new predecessor between the old one and us receives the keys it now owns at once; a
//! leaving node hands everything to its successor.
//! Never: look at another node's store or at ground truth; send a `Vec` inside a message (batches go
//! through the [`Items`](super::Items) arena).

use super::{AppCtx, AppEffect, BatchId, Item};
use crate::id::Id;
use crate::protocol::peer::Peer;
use std::collections::BTreeMap;

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DhtMsg {
    Put {
        op: u32,
        key: Id,
        version: u32,
    },
    PutAck {
        op: u32,
    },
    Get {
        op: u32,
        key: Id,
    },
    /// `version` 0: the key is not stored here.
    GetReply {
        op: u32,
        version: u32,
    },
    /// One item, from an owner to a replica.
    Replica {
        key: Id,
        version: u32,
    },
    /// A batch of items (hand-off or re-replication).
    Store {
        batch: BatchId,
    },
    /// "Send me the items you hold with keys in `(lo, hi]`": a node whose range grew (its old
    /// predecessor died) pulls the items it now owns from the replicas after it.
    Fetch {
        lo: Id,
        hi: Id,
    },
}

impl DhtMsg {
    #[must_use]
    pub fn batch(&self) -> Option<BatchId> {
        match self {
            DhtMsg::Store { batch } => Some(*batch),
            _ => None,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum DhtTimer {
    Repair,
    OpTimeout(u32),
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OpKind {
    Put { version: u32 },
    Get,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OpResult {
    PutAcked,
    /// The version found (0: none).
    Got(u32),
    Failed,
}

#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
struct ClientOp {
    op: u32,
    kind: OpKind,
    key: Id,
    /// Set once the lookup answered and the request was sent.
    owner: Option<Peer>,
}

/// Re-replication progress towards one successor: it has every owned key up to `cursor`.
#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Copying {
    to: Peer,
    cursor: Option<Id>,
    done: bool,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct DhtNode {
    store: BTreeMap<Id, u32>,
    ops: Vec<ClientOp>,
    copying: Vec<Copying>,
    last_pred: Option<Peer>,
    last_succ: Vec<Peer>,
    timers_started: bool,
}

impl DhtNode {
    /// Whether this node stores `key` at `version` or newer.
    #[must_use]
    pub fn holds(&self, key: Id, version: u32) -> bool {
        self.store.get(&key).is_some_and(|&v| v >= version)
    }

    #[must_use]
    pub fn store(&self) -> &BTreeMap<Id, u32> {
        &self.store
    }

    /// Stores `version` of `key` unless a newer one is there.
    pub fn keep(&mut self, key: Id, version: u32) {
        let v = self.store.entry(key).or_insert(0);
        *v = (*v).max(version);
    }

    fn owns(&self, ctx: &AppCtx, key: Id) -> bool {
        ctx.pred.is_none_or(|p| ctx.params.space.in_half_open(key, p.id, ctx.me.id))
    }

    /// The first `replicas` distinct live-looking successors (not pads, not ourselves).
    fn replica_targets(ctx: &AppCtx) -> Vec<Peer> {
        let mut t: Vec<Peer> = Vec::with_capacity(ctx.params.replicas);
        for &p in ctx.succ {
            if t.len() == ctx.params.replicas {
                break;
            }
            if !p.is_pad() && p != ctx.me && !t.contains(&p) {
                t.push(p);
            }
        }
        t
    }

    pub(super) fn on_message(&mut self, ctx: &mut AppCtx, from: Peer, m: DhtMsg) {
        match m {
            DhtMsg::Put { op, key, version } => {
                self.put_here(ctx, key, version);
                ctx.send(from, DhtMsg::PutAck { op });
            }
            DhtMsg::Get { op, key } => {
                let version = self.store.get(&key).copied().unwrap_or(0);
                ctx.send(from, DhtMsg::GetReply { op, version });
            }
            DhtMsg::PutAck { op } => self.finish(ctx, op, OpResult::PutAcked, Some(from)),
            DhtMsg::GetReply { op, version } => self.finish(ctx, op, OpResult::Got(version), Some(from)),
            DhtMsg::Replica { key, version } => self.keep(key, version),
            DhtMsg::Store { batch } => {
                for i in ctx.items.get(batch).to_vec() {
                    self.keep(i.key, i.version);
                }
            }
            DhtMsg::Fetch { lo, hi } => {
                let space = ctx.params.space;
                let found: Vec<Item> = self
                    .store
                    .iter()
                    .filter(|(k, _)| space.in_half_open(**k, lo, hi))
                    .map(|(&key, &version)| Item { key, version })
                    .collect();
                send_batches(ctx, from, &found);
            }
        }
    }

    /// Stores a put and replicates it to the replica successors at once. If, by our own view, the
    /// key is our predecessor's (it joined after the lookup's routing state was formed), hand it the
    /// item too, one hop back.
    fn put_here(&mut self, ctx: &mut AppCtx, key: Id, version: u32) {
        self.keep(key, version);
        for t in Self::replica_targets(ctx) {
            ctx.send(t, DhtMsg::Replica { key, version });
        }
        if let Some(p) = ctx.pred.filter(|_| !self.owns(ctx, key)) {
            ctx.send(p, DhtMsg::Replica { key, version });
        }
    }

    pub(super) fn on_timer(&mut self, ctx: &mut AppCtx, t: DhtTimer) {
        match t {
            DhtTimer::Repair => {
                ctx.timer(ctx.params.repair_us, DhtTimer::Repair);
                self.repair(ctx);
            }
            DhtTimer::OpTimeout(op) => self.finish(ctx, op, OpResult::Failed, None),
        }
    }

    /// A client asks this node to run a put or get.
    pub fn start_op(&mut self, ctx: &mut AppCtx, op: u32, kind: OpKind, key: Id) {
        self.ops.push(ClientOp { op, kind, key, owner: None });
        ctx.out.push(AppEffect::Lookup { key, tag: op });
    }

    pub(super) fn on_lookup_done(&mut self, ctx: &mut AppCtx, op: u32, owner: Option<Peer>) {
        let Some(i) = self.ops.iter().position(|o| o.op == op && o.owner.is_none()) else { return };
        let Some(owner) = owner else { return self.finish(ctx, op, OpResult::Failed, None) };
        let c = &mut self.ops[i];
        c.owner = Some(owner);
        let (kind, key) = (c.kind, c.key);
        if owner == ctx.me {
            return match kind {
                OpKind::Put { version } => {
                    self.put_here(ctx, key, version);
                    self.finish(ctx, op, OpResult::PutAcked, Some(owner));
                }
                OpKind::Get => {
                    let v = self.store.get(&key).copied().unwrap_or(0);
                    self.finish(ctx, op, OpResult::Got(v), Some(owner));
                }
            };
        }
        let msg = match kind {
            OpKind::Put { version } => DhtMsg::Put { op, key, version },
            OpKind::Get => DhtMsg::Get { op, key },
        };
        ctx.send(owner, msg);
        ctx.timer(ctx.params.rpc_timeout_us, DhtTimer::OpTimeout(op));
    }

    /// Completes client op `op` (if still pending and, for replies, answered by the node asked).
    fn finish(&mut self, ctx: &mut AppCtx, op: u32, result: OpResult, from: Option<Peer>) {
        let Some(i) = self.ops.iter().position(|o| o.op == op) else { return };
        if from.is_some() && self.ops[i].owner != from {
            return;
        }
        self.ops.swap_remove(i);
        ctx.out.push(AppEffect::OpDone { op, result });
    }

    /// The successor list or predecessor changed: hand keys to a new predecessor that now owns them,
    /// and start a fresh copy pass to every replica successor.
    pub(super) fn on_neighbors(&mut self, ctx: &mut AppCtx) {
        if !self.timers_started {
            self.timers_started = true;
            ctx.timer(ctx.params.repair_us, DhtTimer::Repair);
        }
        let space = ctx.params.space;
        // ToN'03 IV-E: a joining node receives the keys it now owns from its successor. We hand a new
        // predecessor every item outside our own range `(new, me]`, not only those between the old
        // and the new predecessor: the old one may have died unnoticed, leaving us the owner of its
        // keys by the truth but not by our pointers (found by the DHT property test). The new
        // predecessor already holds most of these as a replica; the rest is bounded
        // over-replication.
        let me = ctx.me.id;
        if let Some(new) = ctx.pred.filter(|&p| Some(p) != self.last_pred && p != ctx.me) {
            let moved: Vec<Item> = self
                .store
                .iter()
                .filter(|(k, _)| !space.in_half_open(**k, new.id, me))
                .map(|(&key, &version)| Item { key, version })
                .collect();
            send_batches(ctx, new, &moved);
            // Our range grew (the old predecessor is gone, or unknown): pull the keys we now own from
            // the replicas after us — the put that created them may have missed us.
            let grew = self.last_pred.is_none_or(|o| space.in_open(o.id, new.id, me));
            if grew {
                let hi = self.last_pred.map_or(me, |o| o.id);
                for t in Self::replica_targets(ctx) {
                    ctx.send(t, DhtMsg::Fetch { lo: new.id, hi });
                }
            }
        }
        self.last_pred = ctx.pred;
        self.last_succ.clear();
        self.last_succ.extend_from_slice(ctx.succ);
        self.copying =
            Self::replica_targets(ctx).into_iter().map(|to| Copying { to, cursor: None, done: false }).collect();
    }

    /// Has the neighbourhood changed since `on_neighbors` last ran?
    #[must_use]
    pub fn neighbors_changed(&self, pred: Option<Peer>, succ: &[Peer]) -> bool {
        self.last_pred != pred || self.last_succ != succ || !self.timers_started
    }

    /// One repair period: continue the copy passes, at most `repair_items` items in all.
    fn repair(&mut self, ctx: &mut AppCtx) {
        let mut budget = ctx.params.repair_items;
        let space = ctx.params.space;
        let (lo, me) = (ctx.pred.map_or(ctx.me.id, |p| p.id), ctx.me.id);
        let mut buf = Vec::with_capacity(ctx.params.batch_items);
        for c in self.copying.iter_mut().filter(|c| !c.done) {
            let start = c.cursor.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded);
            let mut owned = self
                .store
                .range((start, std::ops::Bound::Unbounded))
                .filter(|(k, _)| lo == me || space.in_half_open(**k, lo, me));
            while budget > 0 {
                buf.clear();
                let take = budget.min(ctx.params.batch_items);
                buf.extend(owned.by_ref().take(take).map(|(&key, &version)| Item { key, version }));
                if buf.is_empty() {
                    c.done = true;
                    break;
                }
                budget -= buf.len();
                c.cursor = buf.last().map(|i| i.key);
                send_batches(ctx, c.to, &buf);
            }
        }
    }

    /// Graceful leave: everything goes to the successor.
    pub(super) fn on_leave(&mut self, ctx: &mut AppCtx) {
        let Some(&s) = ctx.succ.iter().find(|p| !p.is_pad() && **p != ctx.me) else { return };
        let all: Vec<Item> = self.store.iter().map(|(&key, &version)| Item { key, version }).collect();
        send_batches(ctx, s, &all);
    }

    /// Is `key` in this node's own range (for tests and the shell)?
    #[must_use]
    pub fn owns_key(&self, ctx: &AppCtx, key: Id) -> bool {
        self.owns(ctx, key)
    }
}

/// Sends `items` to `to` in batches of `batch_items`.
fn send_batches(ctx: &mut AppCtx, to: Peer, items: &[Item]) {
    for chunk in items.chunks(ctx.params.batch_items.max(1)) {
        let batch = ctx.items.alloc(chunk);
        ctx.send(to, DhtMsg::Store { batch });
        ctx.out.push(AppEffect::Transferred { count: chunk.len() as u32 });
    }
}
