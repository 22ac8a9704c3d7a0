//! Ground truth for the DHT: every item ever put, the last acknowledged version of each, the judging of
//! every get against it, and the per-round accounting of where items live.
//!
//! Owns: the item ledger (key → versions issued and acknowledged), client operations in flight, the
//! put/get tallies, and [`DhtRow`] (items whose owner holds the latest acknowledged version, items held
//! by fewer than `min(replicas + 1, live)` live nodes, items with no live holder — lost — and keys per
//! physical node). An item is lost only when every node holding its acknowledged version crashed before
//! repair could copy it. Reads node stores only through `DhtNode::store`.
//! Never: touch a store, or send anything.

use super::NodeView;
use crate::id::Id;
use crate::oracle::metrics::round6;
use crate::oracle::truth::Truth;
use crate::protocol::app::{OpKind, OpResult};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Copy, Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Ledger {
    issued: u32,
    acked: u32,
}

#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Op {
    kind: OpKind,
    key: Id,
}

/// Put and get outcomes.
#[derive(Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DhtCounts {
    pub puts: u64,
    pub puts_acked: u64,
    pub puts_failed: u64,
    pub gets: u64,
    /// The last acknowledged version (or newer: a put in flight already stored).
    pub gets_correct: u64,
    /// An older version than the last acknowledged one.
    pub gets_stale: u64,
    /// Nothing found although a version was acknowledged.
    pub gets_missing: u64,
    /// Lookup failed or the owner did not answer.
    pub gets_failed: u64,
    /// Origin crashed or left before the operation completed.
    pub abandoned: u64,
    /// Gets counted stale, missing or failed whose key no live node held (at the acknowledged
    /// version) when the get completed: the key was lost, so no routing could have found it. The
    /// rest of those gets are failures of routing or of the store, with the key still there.
    pub gets_unsuccessful_key_lost: u64,
}

impl DhtCounts {
    /// Gets that did not return the acknowledged version (stale, missing, failed, or never
    /// finished) less those whose key no live node held: failures of routing or of the store, not
    /// of the data.
    #[must_use]
    pub fn gets_unsuccessful_key_held(&self) -> u64 {
        self.gets - self.gets_correct - self.gets_unsuccessful_key_lost
    }
}

/// One round of DHT accounting.
#[derive(Serialize, serde::Deserialize, Clone, Debug, Default, PartialEq)]
pub struct DhtRow {
    /// Items with an acknowledged version.
    pub items: u64,
    pub owner_holds: u64,
    pub under_replicated: u64,
    pub lost: u64,
    /// Copies stored on live nodes (any version, any key).
    pub stored_copies: u64,
    /// Keys owned per live physical node (true owner = successor of the key): mean, 1st and 99th
    /// percentile, max.
    pub keys_per_node_mean: f64,
    pub keys_per_node_p1: u64,
    pub keys_per_node_p99: u64,
    pub keys_per_node_max: u64,
}

#[derive(Default, Debug, serde::Serialize, serde::Deserialize)]
pub struct DhtTruth {
    ledger: BTreeMap<Id, Ledger>,
    ops: Vec<Option<Op>>,
    free: Vec<u32>,
    origin: Vec<u32>,
    pub counts: DhtCounts,
}

impl DhtTruth {
    /// A put or get starts at `origin` (slot); returns the op tag and, for puts, the version to write.
    pub fn start(&mut self, read: bool, key: Id, origin: u32) -> (u32, OpKind) {
        let kind = if read {
            self.counts.gets += 1;
            OpKind::Get
        } else {
            self.counts.puts += 1;
            let l = self.ledger.entry(key).or_default();
            l.issued += 1;
            OpKind::Put { version: l.issued }
        };
        let op = Some(Op { kind, key });
        let tag = if let Some(t) = self.free.pop() {
            self.ops[t as usize] = op;
            self.origin[t as usize] = origin;
            t
        } else {
            self.ops.push(op);
            self.origin.push(origin);
            self.ops.len() as u32 - 1
        };
        (tag, kind)
    }

    /// Read back from a checkpoint: one origin per operation slot, and the free slots distinct, empty
    /// and below the count (operation tags index the slots).
    pub fn check_restored(&self) -> Result<(), String> {
        if self.origin.len() != self.ops.len() {
            return Err(format!("{} operations, {} origins", self.ops.len(), self.origin.len()));
        }
        crate::bounds::check_tags("operation tag", &self.ops, &self.free)
    }

    /// Items placed directly (the `load_keys` event): version 1, acknowledged.
    pub fn preload(&mut self, key: Id) {
        let l = self.ledger.entry(key).or_default();
        l.issued = l.issued.max(1);
        l.acked = l.acked.max(1);
    }

    /// An operation completed with `result`. `held(key, version)` tells whether some live node holds
    /// `key` at `version` or newer; it is asked only for a get that did not return that version.
    pub fn done(&mut self, tag: u32, result: OpResult, held: impl FnOnce(Id, u32) -> bool) {
        let Some(op) = self.ops.get_mut(tag as usize).and_then(Option::take) else { return };
        self.free.push(tag);
        let acked = self.ledger.get(&op.key).map_or(0, |l| l.acked);
        let c = &mut self.counts;
        match (op.kind, result) {
            (OpKind::Put { version }, OpResult::PutAcked) => {
                c.puts_acked += 1;
                let l = self.ledger.entry(op.key).or_default();
                l.acked = l.acked.max(version);
            }
            (OpKind::Put { .. }, _) => c.puts_failed += 1,
            (OpKind::Get, OpResult::Got(v)) if v >= acked && (v > 0 || acked == 0) => c.gets_correct += 1,
            (OpKind::Get, r) => {
                match r {
                    OpResult::Got(0) => c.gets_missing += 1,
                    OpResult::Got(_) => c.gets_stale += 1,
                    _ => c.gets_failed += 1,
                }
                if acked > 0 && !held(op.key, acked) {
                    c.gets_unsuccessful_key_lost += 1;
                }
            }
        }
    }

    /// Operations started at slot `origin` will never complete.
    pub fn origin_gone(&mut self, origin: u32) {
        for (t, op) in self.ops.iter_mut().enumerate() {
            if op.is_some() && self.origin[t] == origin {
                *op = None;
                self.free.push(t as u32);
                self.counts.abandoned += 1;
            }
        }
    }

    /// Acknowledged version of `key` (0: none).
    #[must_use]
    pub fn acked(&self, key: Id) -> u32 {
        self.ledger.get(&key).map_or(0, |l| l.acked)
    }

    /// Where items live now. `host_of` maps a slot to its physical node; `hosts` lists live ones.
    pub fn account<V: NodeView>(
        &self,
        nodes: &[V],
        truth: &Truth,
        replicas: usize,
        host_of: &[u32],
        hosts: &[u32],
    ) -> DhtRow {
        let keys: Vec<(Id, u32)> =
            self.ledger.iter().filter(|(_, l)| l.acked > 0).map(|(&k, l)| (k, l.acked)).collect();
        let mut holders = vec![0u32; keys.len()];
        let mut owner_holds = vec![false; keys.len()];
        let mut row = DhtRow { items: keys.len() as u64, ..DhtRow::default() };
        for &a in truth.alive().as_slice() {
            let Some(store) = nodes[a.0 as usize].dht().map(crate::protocol::app::dht::DhtNode::store) else {
                continue;
            };
            row.stored_copies += store.len() as u64;
            for (k, &v) in store {
                let Ok(i) = keys.binary_search_by_key(k, |&(k, _)| k) else { continue };
                if v >= keys[i].1 {
                    holders[i] += 1;
                    if truth.successor(*k).is_some_and(|o| o.addr == a) {
                        owner_holds[i] = true;
                    }
                }
            }
        }
        let want = (replicas + 1).min(truth.live()) as u32;
        row.owner_holds = owner_holds.iter().filter(|&&h| h).count() as u64;
        row.under_replicated = holders.iter().filter(|&&h| h < want).count() as u64;
        row.lost = holders.iter().filter(|&&h| h == 0).count() as u64;
        self.load(&mut row, &keys, truth, host_of, hosts);
        row
    }

    /// Keys per live physical node, by true ownership.
    fn load(&self, row: &mut DhtRow, keys: &[(Id, u32)], truth: &Truth, host_of: &[u32], hosts: &[u32]) {
        if hosts.is_empty() {
            return;
        }
        let mut per: BTreeMap<u32, u64> = hosts.iter().map(|&h| (h, 0)).collect();
        for &(k, _) in keys {
            if let Some(o) = truth.successor(k) {
                *per.entry(host_of[o.addr.0 as usize]).or_default() += 1;
            }
        }
        let mut counts: Vec<u64> = per.into_values().collect();
        counts.sort_unstable();
        let n = counts.len();
        let q = |p: f64| counts[((p * n as f64).ceil() as usize).clamp(1, n) - 1];
        row.keys_per_node_mean = round6(keys.len() as f64 / n as f64);
        row.keys_per_node_p1 = q(0.01);
        row.keys_per_node_p99 = q(0.99);
        row.keys_per_node_max = counts[n - 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unsuccessful gets are split by ground truth: a key nobody holds any more, or one still held.
    #[test]
    fn unsuccessful_gets_count_the_lost_keys() {
        let mut d = DhtTruth::default();
        let (held, lost) = (Id(7), Id(9));
        d.preload(held);
        d.preload(lost);
        let holds = |k: Id, v: u32| k == held && v <= 1;
        for (key, result) in
            [(held, OpResult::Got(1)), (held, OpResult::Failed), (lost, OpResult::Got(0)), (lost, OpResult::Failed)]
        {
            let (tag, _) = d.start(true, key, 0);
            d.done(tag, result, holds);
        }
        let c = &d.counts;
        assert_eq!((c.gets, c.gets_correct, c.gets_missing, c.gets_failed), (4, 1, 1, 2));
        assert_eq!(c.gets_unsuccessful_key_lost, 2, "both unsuccessful gets of the lost key, not the held one's");
        assert_eq!(c.gets_unsuccessful_key_held(), 1);
        // A correct get never asks where the key is.
        let (tag, _) = d.start(true, held, 0);
        d.done(tag, OpResult::Got(1), |_, _| panic!("asked for a successful get"));
    }
}
