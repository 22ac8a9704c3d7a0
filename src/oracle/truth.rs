//! Ground truth: which nodes are alive, which have joined, and the true ring.
//!
//! Owns: the set of live nodes ordered by id (the true ring), O(1) uniform picks of a live or joined
//! node, the log of membership changes (to judge lookups that were in flight while the ring changed)
//! and the node-time integral used to normalise traffic. Updated only by the simulator's membership
//! operations. Never: read protocol state — truth is what happened, not what nodes believe.

use crate::id::Id;
use crate::protocol::msg::{Addr, Peer};
use crate::rng::Rng;
use std::collections::BTreeMap;

/// A set of addresses with O(1) insert, remove and uniform pick; iteration order is deterministic.
#[derive(Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AddrSet {
    items: Vec<Addr>,
    pos: Vec<u32>,
}

const ABSENT: u32 = u32::MAX;

impl AddrSet {
    pub fn insert(&mut self, a: Addr) {
        let i = a.0 as usize;
        if self.pos.len() <= i {
            self.pos.resize(i + 1, ABSENT);
        }
        if self.pos[i] == ABSENT {
            self.pos[i] = self.items.len() as u32;
            self.items.push(a);
        }
    }

    pub fn remove(&mut self, a: Addr) {
        let i = a.0 as usize;
        let Some(&p) = self.pos.get(i) else { return };
        if p == ABSENT {
            return;
        }
        let last = *self.items.last().expect("non-empty");
        self.items.swap_remove(p as usize);
        if last != a {
            self.pos[last.0 as usize] = p;
        }
        self.pos[i] = ABSENT;
    }

    #[must_use]
    pub fn contains(&self, a: Addr) -> bool {
        self.pos.get(a.0 as usize).is_some_and(|&p| p != ABSENT)
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn pick(&self, rng: &mut Rng) -> Option<Addr> {
        if self.items.is_empty() {
            return None;
        }
        Some(self.items[rng.below(self.items.len() as u64) as usize])
    }

    #[must_use]
    pub fn as_slice(&self) -> &[Addr] {
        &self.items
    }

    /// Whether the set is one [`AddrSet::insert`] and [`AddrSet::remove`] can build with addresses
    /// below `slots`: the index has at most `slots` entries, every item is below `slots`, indexed at
    /// its own position, and every indexed position is an item (for a decoded checkpoint).
    pub fn validate(&self, slots: usize) -> Result<(), String> {
        if self.pos.len() > slots || self.items.len() > slots {
            return Err(format!(
                "an address set of {} entries for {slots} slots",
                self.pos.len().max(self.items.len())
            ));
        }
        for (k, a) in self.items.iter().enumerate() {
            if self.pos.get(a.0 as usize) != Some(&(k as u32)) {
                return Err(format!("address {} is not indexed at its position {k}", a.0));
            }
        }
        let indexed = self.pos.iter().filter(|&&p| p != ABSENT).count();
        if indexed != self.items.len() {
            return Err(format!("{indexed} indexed addresses for {} items", self.items.len()));
        }
        Ok(())
    }
}

/// One membership change, for judging in-flight lookups.
#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Change {
    pub at: u64,
    pub peer: Peer,
    pub added: bool,
}

/// Live peers in id order with a directory over the ids' top bits: `rank` (how many ids lie below a
/// key) is one directory read and a binary search within one bucket, O(1) expected for ids spread
/// uniformly (hashed), where a search over the whole array costs ~log2 N cache misses.
#[derive(Default, Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct RingIndex {
    peers: Vec<Peer>,
    /// `starts[b]`: index of the first peer whose id shifted right by `shift` is at least `b`.
    starts: Vec<u32>,
    shift: u32,
}

impl RingIndex {
    fn rebuild(&mut self, ring: &BTreeMap<Id, Addr>) {
        self.peers.clear();
        self.peers.extend(ring.iter().map(|(&id, &addr)| Peer { id, addr }));
        let n = self.peers.len();
        let id_bits = 64 - self.peers.last().map_or(0, |p| p.id.0).leading_zeros();
        let dir_bits = n.max(1).next_power_of_two().trailing_zeros().min(id_bits);
        self.shift = id_bits - dir_bits;
        self.starts.clear();
        let mut i = 0;
        for b in 0..=(1u64 << dir_bits) {
            while i < n && self.top(self.peers[i].id) < b {
                i += 1;
            }
            self.starts.push(i as u32);
        }
    }

    fn top(&self, id: Id) -> u64 {
        id.0.checked_shr(self.shift).unwrap_or(0)
    }

    /// Number of peers with an id below `key`.
    fn rank(&self, key: Id) -> usize {
        match self.bucket(key) {
            Some(r) => r.start + self.peers[r].partition_point(|p| p.id < key),
            None => self.peers.len(),
        }
    }

    /// Indices of the peers in `key`'s bucket; `None` when `key` lies above every id.
    fn bucket(&self, key: Id) -> Option<std::ops::Range<usize>> {
        let b = self.top(key) as usize;
        (b < self.starts.len() - 1).then(|| self.starts[b] as usize..self.starts[b + 1] as usize)
    }
}

#[derive(Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Truth {
    ring: BTreeMap<Id, Addr>,
    /// The live nodes in id order, a copy of `ring` with a bucket directory; valid only while `indexed`.
    /// Rebuilt at round boundaries ([`Truth::reindex`]): after a membership change, queries fall back to
    /// the map until the next round. Same answers either way; the copy only saves the map's pointer
    /// chasing on the hot path (every lookup judged, every node checked).
    sorted: RingIndex,
    indexed: bool,
    alive: AddrSet,
    joined: AddrSet,
    changes: Vec<Change>,
    node_us: u128,
    last_at: u64,
    /// Membership changes so far: an answer of [`Truth::successor`] stands while this is unchanged.
    version: u64,
}

impl Truth {
    /// Advances the node-time integral to `now`.
    fn tick(&mut self, now: u64) {
        self.node_us += self.ring.len() as u128 * u128::from(now.saturating_sub(self.last_at));
        self.last_at = now;
    }

    pub fn add(&mut self, p: Peer, now: u64) {
        self.tick(now);
        self.version += 1;
        self.ring.insert(p.id, p.addr);
        self.indexed = false;
        self.alive.insert(p.addr);
        self.changes.push(Change { at: now, peer: p, added: true });
    }

    pub fn remove(&mut self, p: Peer, now: u64) {
        self.tick(now);
        self.version += 1;
        if self.ring.get(&p.id) == Some(&p.addr) {
            self.ring.remove(&p.id);
            self.indexed = false;
        }
        self.alive.remove(p.addr);
        self.joined.remove(p.addr);
        self.changes.push(Change { at: now, peer: p, added: false });
    }

    pub fn set_joined(&mut self, a: Addr, joined: bool) {
        if joined && self.alive.contains(a) {
            self.joined.insert(a);
        } else if !joined {
            self.joined.remove(a);
        }
    }

    #[must_use]
    pub fn is_alive(&self, a: Addr) -> bool {
        self.alive.contains(a)
    }

    #[must_use]
    pub fn is_joined(&self, a: Addr) -> bool {
        self.joined.contains(a)
    }

    #[must_use]
    pub fn contains_id(&self, id: Id) -> bool {
        self.ring.contains_key(&id)
    }

    #[must_use]
    pub fn live(&self) -> usize {
        self.ring.len()
    }

    /// The membership sets of a decoded checkpoint against its `slots` node slots, and the ring map
    /// against them: every live node in the ring is alive and below `slots`.
    pub fn validate(&self, slots: usize) -> Result<(), String> {
        self.alive.validate(slots).map_err(|e| format!("truth.alive: {e}"))?;
        self.joined.validate(slots).map_err(|e| format!("truth.joined: {e}"))?;
        if let Some(a) = self.ring.values().find(|a| !self.alive.contains(**a)) {
            return Err(format!("truth.ring: slot {} is in the ring but not alive", a.0));
        }
        let mut fresh = RingIndex::default();
        fresh.rebuild(&self.ring);
        if self.indexed && fresh != self.sorted {
            return Err("truth: the ring's index is not the ring".into());
        }
        Ok(())
    }

    #[must_use]
    pub fn alive(&self) -> &AddrSet {
        &self.alive
    }

    #[must_use]
    pub fn joined(&self) -> &AddrSet {
        &self.joined
    }

    /// The true successor of `key`: the first live node at or after it, clockwise.
    #[must_use]
    pub fn successor(&self, key: Id) -> Option<Peer> {
        if self.indexed {
            let peers = &self.sorted.peers;
            return peers.get(self.sorted.rank(key)).or(peers.first()).copied();
        }
        let (&id, &addr) = self.ring.range(key..).next().or_else(|| self.ring.iter().next())?;
        Some(Peer { id, addr })
    }

    /// Counts membership changes (see the field).
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// Hints the memory that `successor(key)` reads into the cache (a lookup about to start).
    pub fn prefetch_successor(&self, key: Id) {
        if self.indexed {
            let s = &self.sorted;
            if let Some(p) = s.bucket(key).and_then(|r| s.peers.get(r.start)) {
                crate::prefetch::prefetch(p);
            }
        }
    }

    /// Rebuilds the sorted copy if membership changed since the last call (O(N); once a round).
    pub fn reindex(&mut self) {
        if !self.indexed {
            self.sorted.rebuild(&self.ring);
            self.indexed = true;
        }
    }

    /// Live nodes in id order.
    #[must_use]
    pub fn sorted(&self) -> Vec<Peer> {
        if self.indexed {
            return self.sorted.peers.clone();
        }
        self.ring.iter().map(|(&id, &addr)| Peer { id, addr }).collect()
    }

    /// The live node with this exact id.
    #[must_use]
    pub fn by_id(&self, id: Id) -> Option<Peer> {
        self.ring.get(&id).map(|&addr| Peer { id, addr })
    }

    /// Number of live nodes with ids in `[a, b)` (wrapping), counting at most `cap + 1`.
    #[must_use]
    pub fn count_in(&self, a: Id, b: Id, cap: usize) -> usize {
        if a == b {
            return self.ring.len().min(cap + 1);
        }
        let take = cap + 1;
        if self.indexed {
            let (ra, rb) = (self.sorted.rank(a), self.sorted.rank(b));
            let n = self.sorted.peers.len();
            return if a < b { rb - ra } else { n - ra + rb }.min(take);
        }
        if a < b {
            self.ring.range(a..b).take(take).count()
        } else {
            let hi = self.ring.range(a..).take(take).count();
            let lo = self.ring.range(..b).take(take).count();
            (hi + lo).min(take)
        }
    }

    /// Membership changes at or after `since` (oldest first).
    #[must_use]
    pub fn changes_since(&self, since: u64) -> &[Change] {
        let i = self.changes.partition_point(|c| c.at < since);
        &self.changes[i..]
    }

    /// Forgets changes older than `before` (no in-flight lookup started before it).
    pub fn prune_changes(&mut self, before: u64) {
        let i = self.changes.partition_point(|c| c.at < before);
        self.changes.drain(..i);
    }

    /// Node-seconds lived so far, up to `now`.
    pub fn node_seconds(&mut self, now: u64) -> f64 {
        self.tick(now);
        self.node_us as f64 / 1e6 // node-µs (u128), not a `Time`
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SimRng;

    /// A decoded address set is checked before use: an index out of step with its items, or an
    /// address beyond the slots (the 6 GB `resize` of a forged checkpoint), is refused.
    #[test]
    fn forged_address_sets_are_refused() {
        let mut s = AddrSet::default();
        for a in [3, 0, 5] {
            s.insert(Addr(a));
        }
        s.remove(Addr(0));
        assert_eq!(s.validate(6), Ok(()));
        assert!(s.validate(5).is_err(), "address 5 needs 6 slots");
        let mut bad = s.clone();
        bad.pos[3] = 1;
        assert!(bad.validate(6).unwrap_err().contains("not indexed at its position"));
        let mut bad = s.clone();
        bad.pos[0] = 0;
        assert!(bad.validate(6).unwrap_err().contains("indexed addresses"));
        let bad = AddrSet { items: vec![], pos: vec![ABSENT; 1 << 20] };
        assert!(bad.validate(6).is_err());
    }

    fn p(id: u64, a: u32) -> Peer {
        Peer { id: Id(id), addr: Addr(a) }
    }

    #[test]
    fn addr_set_ops() {
        let mut s = AddrSet::default();
        for a in 0..5 {
            s.insert(Addr(a));
        }
        s.remove(Addr(1));
        s.remove(Addr(1));
        s.remove(Addr(4));
        assert_eq!(s.len(), 3);
        assert!(!s.contains(Addr(1)) && s.contains(Addr(3)));
        let mut r = SimRng::new(0).check;
        for _ in 0..20 {
            assert!(s.contains(s.pick(&mut r).unwrap()));
        }
    }

    #[test]
    fn successor_wraps_and_counts() {
        let mut t = Truth::default();
        for (i, id) in [10u64, 50, 200].iter().enumerate() {
            t.add(p(*id, i as u32), 0);
        }
        assert_eq!(t.successor(Id(50)), Some(p(50, 1)));
        assert_eq!(t.successor(Id(51)), Some(p(200, 2)));
        assert_eq!(t.successor(Id(201)), Some(p(10, 0)));
        assert_eq!(t.count_in(Id(201), Id(60), 10), 2);
        assert_eq!(t.count_in(Id(11), Id(50), 10), 0);
        t.remove(p(50, 1), 1_000_000);
        assert_eq!(t.successor(Id(11)), Some(p(200, 2)));
        assert_eq!(t.changes_since(1).len(), 1);
        assert!((t.node_seconds(2_000_000) - 5.0).abs() < 1e-9);
    }
}

#[cfg(test)]
mod index_tests {
    use super::*;
    use crate::rng::SimRng;

    /// The sorted copy answers exactly as the map, before and after membership changes.
    #[test]
    fn indexed_successor_matches_the_map() {
        let mut t = Truth::default();
        let mut r = SimRng::new(3).check;
        let peer = |x: u64| Peer { id: Id(x), addr: Addr(x as u32) };
        for _ in 0..200 {
            t.add(peer(r.below(1 << 16)), 0);
        }
        for round in 0..20 {
            let keys = (0..500).map(|k| Id(k * 131)).chain([Id(0), Id(u64::MAX), Id(1 << 16)]);
            let ask = |t: &Truth| -> Vec<_> {
                keys.clone()
                    .map(|k| (t.successor(k), t.count_in(k, Id(k.0 / 2), 50), t.count_in(Id(k.0 / 3), k, 50)))
                    .collect()
            };
            let before = ask(&t);
            t.reindex();
            assert!(t.indexed);
            assert_eq!(before, ask(&t), "round {round}");
            assert_eq!(t.sorted(), t.ring.iter().map(|(&id, &addr)| Peer { id, addr }).collect::<Vec<_>>());
            let victim = t.sorted()[r.below(t.live() as u64) as usize];
            t.remove(victim, 0);
            t.add(peer(r.below(1 << 16)), 0);
            assert!(!t.indexed, "a change invalidates the copy");
        }
    }

    /// Tiny rings, ids at both ends of the 64-bit space, and a lone node at id 0.
    #[test]
    fn index_edges_match_the_map() {
        let mut r = SimRng::new(5).check;
        for n in [1usize, 2, 3, 7, 40] {
            for full in [false, true] {
                let mut t = Truth::default();
                for a in 0..n {
                    let id = if full { r.next_u64() } else { r.below(4) };
                    t.add(Peer { id: Id(id), addr: Addr(a as u32) }, 0);
                }
                if n == 1 {
                    t.add(Peer { id: Id(0), addr: Addr(99) }, 0);
                }
                let keys: Vec<Id> =
                    (0..200).map(|_| Id(r.next_u64())).chain([Id(0), Id(1), Id(3), Id(u64::MAX)]).collect();
                let ask = |t: &Truth| -> Vec<_> {
                    keys.iter()
                        .map(|&k| (t.successor(k), t.count_in(k, Id(k.0 / 2), 9), t.count_in(Id(2), k, 9)))
                        .collect()
                };
                let before = ask(&t);
                t.reindex();
                assert_eq!(before, ask(&t), "n {n} full {full}");
            }
        }
    }
}
