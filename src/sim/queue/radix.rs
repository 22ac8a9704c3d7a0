//! The fallback of the event queue: a monotone radix heap of entries `(time, seq, event)`.
//!
//! Owns: entries whose delay has no FIFO lane (see `queue.rs`). A key lives in the bucket of the highest
//! bit in which its time differs from the heap's base `last`, and moves down at most 64 times in its
//! life, instead of sifting through ~log2(n) levels of a binary heap on every pop (Ahuja et al. 1990).
//! Keys equal to the base sit in `now`, in `seq` order. Events move with their keys, so every access is
//! a sequential walk over a bucket.
//! Never: order by anything but `(time, seq)`; it does not check the simulator's clock (the owning
//! queue does), so a push before the base is legal and lowers the base.

use std::collections::VecDeque;

/// A queued event with its key. Events travel with their keys (no side slab): every access of the
/// queue is a sequential walk over a bucket, where a slab meant one cache miss per pop.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Entry<E> {
    pub at: u64,
    pub seq: u64,
    pub ev: E,
}

impl<E> Entry<E> {
    pub fn key(&self) -> (u64, u64) {
        (self.at, self.seq)
    }
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct RadixHeap<E> {
    /// Entries whose time equals `last`, in `seq` order.
    now: VecDeque<Entry<E>>,
    /// `buckets[i]`: entries whose time differs from `last` first in bit `i - 1` (`i = 64 - lz`).
    buckets: Vec<Vec<Entry<E>>>,
    last: u64,
    len: usize,
}

impl<E> Default for RadixHeap<E> {
    fn default() -> Self {
        RadixHeap { now: VecDeque::new(), buckets: (0..65).map(|_| Vec::new()).collect(), last: 0, len: 0 }
    }
}

fn bucket(at: u64, last: u64) -> usize {
    64 - (at ^ last).leading_zeros() as usize
}

impl<E> RadixHeap<E> {
    /// Adds an entry. `seq` must exceed every `seq` held (the owning queue's counter guarantees it).
    pub fn push(&mut self, e: Entry<E>) {
        if e.at < self.last {
            self.lower(e.at);
        }
        match bucket(e.at, self.last) {
            0 => self.now.push_back(e),
            b => self.buckets[b].push(e),
        }
        self.len += 1;
    }

    /// Moves the base down to `at` (a peek moved it to the heap's minimum, and then an earlier entry
    /// came). With `k` the highest bit in which `at` and the old base differ, plus one: entries of
    /// `now` and of buckets below `k` all differ from `at` first in that bit and move to bucket `k`
    /// wholesale; only bucket `k` is re-filed entry by entry, and buckets above `k` stay.
    fn lower(&mut self, at: u64) {
        let k = bucket(at, self.last);
        self.last = at;
        let mut refile = std::mem::take(&mut self.buckets[k]);
        let (low, high) = self.buckets.split_at_mut(k);
        let target = &mut high[0];
        target.extend(self.now.drain(..));
        for b in &mut low[1..] {
            target.append(b);
        }
        for e in refile.drain(..) {
            match bucket(e.at, at) {
                0 => self.now.push_back(e),
                b => self.buckets[b].push(e),
            }
        }
        self.sort_now();
    }

    /// Moves the entries of the earliest time into `now` (if it is empty). Amortized O(1) per entry.
    fn refill(&mut self) {
        if !self.now.is_empty() || self.len == 0 {
            return;
        }
        let b = (1..65).find(|&b| !self.buckets[b].is_empty()).expect("len > 0");
        let mut entries = std::mem::take(&mut self.buckets[b]);
        self.last = entries.iter().map(|e| e.at).min().expect("non-empty");
        for e in entries.drain(..) {
            match bucket(e.at, self.last) {
                0 => self.now.push_back(e),
                nb => self.buckets[nb].push(e),
            }
        }
        self.buckets[b] = entries;
        self.sort_now();
    }

    fn sort_now(&mut self) {
        let now = self.now.make_contiguous();
        if !now.is_sorted_by_key(|e| e.seq) {
            now.sort_by_key(|e| e.seq);
        }
    }

    /// Key `(time, seq)` of the earliest entry.
    pub fn peek_key(&mut self) -> Option<(u64, u64)> {
        self.refill();
        self.now.front().map(Entry::key)
    }

    /// The earliest entry's event (after a `peek_key`, without moving anything).
    pub fn peek(&mut self) -> Option<&E> {
        self.refill();
        self.now.front().map(|e| &e.ev)
    }

    /// Removes the earliest entry.
    pub fn pop(&mut self) -> Option<Entry<E>> {
        self.refill();
        let e = self.now.pop_front()?;
        self.len -= 1;
        Some(e)
    }
}

impl<E> RadixHeap<E> {
    /// The layout invariants of a heap read back from a checkpoint (no entry before `floor`, each
    /// where `push` files it, the count as stated); returns every entry.
    pub fn check(&self, floor: u64) -> Result<Vec<&Entry<E>>, String> {
        if self.buckets.len() != 65 {
            return Err(format!("queue heap: {} buckets, not 65", self.buckets.len()));
        }
        let now_ok = self.now.iter().all(|e| e.at == self.last) && self.now.iter().is_sorted_by_key(|e| e.seq);
        let filed =
            self.buckets.iter().enumerate().all(|(b, v)| v.iter().all(|e| b > 0 && bucket(e.at, self.last) == b));
        let all: Vec<&Entry<E>> = self.now.iter().chain(self.buckets.iter().flatten()).collect();
        let early = all.iter().any(|e| e.at < floor || e.at < self.last);
        if !now_ok || !filed || early || all.len() != self.len {
            return Err(format!("queue heap: entries misfiled, or {} held for {} stated", all.len(), self.len));
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(h: &mut RadixHeap<char>) -> Vec<char> {
        std::iter::from_fn(|| h.pop().map(|e| e.ev)).collect()
    }

    #[test]
    fn lowering_the_base_keeps_time_then_seq_order() {
        let mut h = RadixHeap::default();
        for (seq, (at, ev)) in [(100, 'a'), (103, 'b'), (96, 'c'), (4000, 'd')].into_iter().enumerate() {
            h.push(Entry { at, seq: seq as u64, ev });
        }
        assert_eq!(h.peek_key(), Some((96, 2))); // the base moves to 96
        h.push(Entry { at: 40, seq: 4, ev: 'e' }); // earlier than the base: lowered
        h.push(Entry { at: 100, seq: 5, ev: 'f' });
        h.push(Entry { at: 40, seq: 6, ev: 'g' });
        assert_eq!(drain(&mut h), ['e', 'g', 'c', 'a', 'f', 'b', 'd']);
    }
}
