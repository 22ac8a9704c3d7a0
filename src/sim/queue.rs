//! The event queue: FIFO lanes for events pushed with a recurring delay, a radix heap for the rest.
//!
//! Owns: ordering of simulated events by `(time, seq)` — `seq` is the global insertion counter, so ties
//! are FIFO and runs are deterministic — and the storage of the events themselves.
//!
//! Most events are pushed with one of a few fixed delays: the network latency (when it is constant),
//! each maintenance period, the RPC timeout, the round length. Events pushed with the same delay `d`
//! come out in the order they went in, because the clock never goes back: an event pushed later has a
//! later or equal time and a larger `seq`. So a FIFO lane per such delay is already sorted, and costs
//! one append and one pop per event with no sifting or re-filing at all. Up to [`MAX_LANES`] lanes
//! exist; a lane is keyed by its delay and may take a new delay whenever it is empty. Events whose
//! delay has no lane (random phases, jitter, per-pair latencies) go to a monotone radix heap
//! (`queue/radix.rs`). A pop takes the smallest `(time, seq)` among the lanes' heads and the heap's
//! minimum, so the order is exactly that of one `(time, seq)` priority queue: reports are the same
//! bytes as with a binary heap.
//! Never: look inside events, order by anything but `(time, seq)`, or accept a time before the last one
//! popped (that would be a simulator bug: it panics).

mod radix;

use radix::{Entry, RadixHeap};
use std::collections::VecDeque;

/// Lanes per queue: recurring delays are the latency (when constant), the maintenance periods, the
/// RPC timeout, the round, and the DHT's repair and operation timers; a lane is one more head to
/// compare on every pop, and delays beyond eight share the heap.
pub const MAX_LANES: usize = 8;

/// How far ahead of a lane's head its entries are prefetched: a lane is read in order, but slowly (one
/// entry every few events), so an entry pushed one latency ago has left the near caches by then.
const LANE_PREFETCH: usize = 16;

/// Slots of the table of delays recently sent to the heap (a power of two).
const RECENT: usize = 64;

/// Events pushed `delay` after the time popped then, in push order (which is `(time, seq)` order).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Lane<E> {
    delay: u64,
    q: VecDeque<Entry<E>>,
}

/// Where the earliest entry is: a lane's head, or the heap's minimum.
#[derive(Copy, Clone, Debug)]
struct Next {
    at: u64,
    seq: u64,
    src: u8,
}

const HEAP: u8 = u8::MAX;

/// Events of type `E` ordered by `(time, insertion order)`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct EventQueue<E> {
    lanes: Vec<Lane<E>>,
    heap: RadixHeap<E>,
    /// Time of the last event popped: nothing may be scheduled before it.
    popped: u64,
    len: usize,
    seq: u64,
    /// The earliest entry, once found (derived: recomputed after a restore).
    #[serde(skip)]
    next: Option<Next>,
    /// Delays recently sent to the heap, by hash: a delay gets a lane only once it recurs, so that
    /// one-off delays (random latencies, jittered periods) do not crowd the lanes. Placement only
    /// (the pop order is the same wherever an entry waits), but saved with the queue, so that a
    /// resumed run places entries, and writes later checkpoints, exactly as the uninterrupted run.
    recent: Vec<u64>,
    /// The lane the last pop came from (a prefetch hint only; not saved).
    #[serde(skip)]
    last_lane: Option<u8>,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue {
            lanes: Vec::new(),
            heap: RadixHeap::default(),
            popped: 0,
            len: 0,
            seq: 0,
            next: None,
            recent: vec![u64::MAX; RECENT],
            last_lane: None,
        }
    }
}

impl<E> EventQueue<E> {
    /// Schedules `ev` at time `at` (not before the last time popped); returns its sequence number.
    #[inline(always)]
    pub fn push(&mut self, at: u64, ev: E) -> u64 {
        assert!(at >= self.popped, "event scheduled in the past: {at} < {}", self.popped);
        let seq = self.seq;
        self.seq += 1;
        self.len += 1;
        let e = Entry { at, seq, ev };
        let src = self.lane_for(at - self.popped);
        match src {
            HEAP => self.heap.push(e),
            l => self.lanes[l as usize].q.push_back(e),
        }
        // The new entry has the largest seq, so it comes first only if strictly earlier; then it is
        // also the head of its lane (every entry of a lane is at or before it) or the heap's minimum.
        if self.next.is_some_and(|n| at < n.at) {
            self.next = Some(Next { at, seq, src });
        }
        seq
    }

    /// The lane for events pushed with this delay: the lane keyed by it; else, if the delay recurs (it
    /// went to the heap recently), an empty lane re-keyed or a new lane while there are fewer than
    /// [`MAX_LANES`]; else the heap.
    #[inline(always)]
    fn lane_for(&mut self, delay: u64) -> u8 {
        if let Some(i) = self.lanes.iter().position(|l| l.delay == delay) {
            return i as u8;
        }
        let h = (delay.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 58) as usize % RECENT;
        if std::mem::replace(&mut self.recent[h], delay) != delay {
            return HEAP;
        }
        if let Some(i) = self.lanes.iter().position(|l| l.q.is_empty()) {
            self.lanes[i].delay = delay;
            return i as u8;
        }
        if self.lanes.len() < MAX_LANES {
            self.lanes.push(Lane { delay, q: VecDeque::new() });
            return (self.lanes.len() - 1) as u8;
        }
        HEAP
    }

    /// Finds the earliest entry (if not known yet).
    #[inline(always)]
    fn select(&mut self) -> Option<Next> {
        if self.next.is_none() && self.len > 0 {
            let mut best = self.heap.peek_key().map(|(at, seq)| Next { at, seq, src: HEAP });
            for (i, l) in self.lanes.iter().enumerate() {
                if let Some(f) = l.q.front()
                    && best.is_none_or(|b| f.key() < (b.at, b.seq))
                {
                    best = Some(Next { at: f.at, seq: f.seq, src: i as u8 });
                }
            }
            self.next = best;
        }
        self.next
    }

    /// Time of the earliest event.
    #[inline(always)]
    pub fn peek_time(&mut self) -> Option<u64> {
        self.select().map(|n| n.at)
    }

    /// The earliest event, without removing it.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<&E> {
        let n = self.select()?;
        match n.src {
            HEAP => self.heap.peek(),
            l => self.lanes[l as usize].q.front().map(|e| &e.ev),
        }
    }

    /// The event `k` places behind the head of the lane the last pop came from (`None` if that was
    /// the heap): it will come out soon, which makes it worth a cache hint further ahead than the
    /// next event.
    #[must_use]
    pub fn lane_ahead(&self, k: usize) -> Option<&E> {
        let l = self.last_lane?;
        self.lanes[l as usize].q.get(k).map(|e| &e.ev)
    }

    /// Removes the earliest event: `(time, seq, event)`.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(u64, u64, E)> {
        let n = self.select()?;
        self.next = None;
        let e = match n.src {
            HEAP => self.heap.pop(),
            l => {
                let q = &mut self.lanes[l as usize].q;
                if let Some(ahead) = q.get(LANE_PREFETCH) {
                    crate::prefetch::prefetch(ahead);
                }
                q.pop_front()
            }
        }
        .expect("selected entry exists");
        debug_assert_eq!(e.key(), (n.at, n.seq));
        self.last_lane = (n.src != HEAP).then_some(n.src);
        self.len -= 1;
        self.popped = e.at;
        Some((e.at, e.seq, e.ev))
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The insertion counter (events ever pushed).
    #[must_use]
    pub fn pushed(&self) -> u64 {
        self.seq
    }

    /// The layout invariants of a queue read back from a checkpoint taken at time `now`, and `each` on
    /// every event held: lanes within [`MAX_LANES`], each sorted and within its delay of the last pop,
    /// the heap's buckets as it files them, every time at or after the last pop (and that at or before
    /// `now`), every `seq` distinct and below the counter, the counts as stated.
    pub fn check_restored(&self, now: u64, mut each: impl FnMut(&E) -> Result<(), String>) -> Result<(), String> {
        if self.lanes.len() > MAX_LANES || self.recent.len() != RECENT || self.popped > now {
            return Err(format!(
                "queue: {} lanes, {} recent delays, last pop at {} µs",
                self.lanes.len(),
                self.recent.len(),
                self.popped
            ));
        }
        let mut seqs = Vec::with_capacity(self.len.min(1 << 20));
        for (i, l) in self.lanes.iter().enumerate() {
            let late = l.q.iter().any(|e| e.at < self.popped || e.at - self.popped > l.delay);
            if late || !l.q.iter().is_sorted_by_key(Entry::key) {
                return Err(format!("queue lane {i} (delay {} µs) is out of order", l.delay));
            }
            seqs.extend(l.q.iter().map(|e| e.seq));
        }
        let heap = self.heap.check(self.popped)?;
        seqs.extend(heap.iter().map(|e| e.seq));
        if seqs.len() != self.len {
            return Err(format!("queue holds {} events, says {}", seqs.len(), self.len));
        }
        seqs.sort_unstable();
        if seqs.windows(2).any(|w| w[0] == w[1]) || seqs.last().is_some_and(|&s| s >= self.seq) {
            return Err(format!("queue: sequence numbers repeat or reach the counter {}", self.seq));
        }
        self.lanes.iter().flat_map(|l| &l.q).chain(heap).try_for_each(|e| each(&e.ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A queue with events in lanes and in the heap, popped part way.
    fn busy() -> EventQueue<u32> {
        let mut q = EventQueue::default();
        for i in 0..40u32 {
            q.push(q.popped + [10, 10, 7, 1000 + u64::from(i)][i as usize % 4], i);
            if i % 3 == 0 {
                q.pop();
            }
        }
        q
    }

    #[test]
    fn a_queue_as_built_passes_its_restore_check() {
        let q = busy();
        let mut seen = 0;
        let count = |_: &u32| {
            seen += 1;
            Ok(())
        };
        assert_eq!(q.check_restored(q.popped, count), Ok(()));
        assert_eq!(seen, q.len());
        assert!(q.check_restored(q.popped, |&e| if e == 39 { Err("no".into()) } else { Ok(()) }).is_err());
        assert!(q.check_restored(q.popped - 1, |_| Ok(())).is_err(), "the last pop after the checkpoint time");
    }

    #[test]
    fn a_forged_queue_is_refused() {
        let forge: [fn(&mut EventQueue<u32>); 5] = [
            |q| q.popped += 1_000_000,
            |q| q.len += 1,
            |q| q.seq = 3,
            |q| q.recent.pop().map_or((), drop),
            |q| q.lanes[0].q.swap(0, 1),
        ];
        for (k, f) in forge.iter().enumerate() {
            let mut q = busy();
            assert!(q.lanes[0].q.len() >= 2, "the test needs a lane of two");
            f(&mut q);
            assert!(q.check_restored(q.popped, |_| Ok(())).is_err(), "forgery {k} passed");
        }
    }

    #[test]
    fn orders_by_time_then_insertion() {
        let mut q = EventQueue::default();
        q.push(5, 'a');
        q.push(3, 'b');
        q.push(5, 'c');
        q.push(3, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ['b', 'd', 'a', 'c']);
    }

    /// Against a reference `(time, seq)` ordering, with pushes interleaved with pops as the simulator
    /// does (never before the last time popped).
    #[test]
    fn matches_a_sorted_reference() {
        let mut q = EventQueue::default();
        let mut reference = std::collections::BTreeSet::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut now = 0;
        for i in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if x.is_multiple_of(3) {
                if let Some((at, seq, e)) = q.pop() {
                    let first = *reference.iter().next().expect("same length");
                    assert_eq!((at, seq), first);
                    assert_eq!(e, seq);
                    reference.remove(&first);
                    now = at;
                }
            } else {
                let at = now + [0, 1, 50, 500_000, 20_000_000, x % 1000][(x % 6) as usize];
                let seq = q.pushed();
                q.push(at, seq);
                reference.insert((at, seq));
                let _ = i;
            }
        }
        while let Some((at, seq, _)) = q.pop() {
            let first = *reference.iter().next().expect("same length");
            assert_eq!((at, seq), first);
            reference.remove(&first);
        }
        assert!(reference.is_empty() && q.is_empty());
    }

    #[test]
    fn peeking_then_pushing_earlier_still_orders_correctly() {
        let mut q = EventQueue::default();
        q.push(100, 'a');
        assert_eq!(q.peek_time(), Some(100)); // the base moves to 100
        q.push(40, 'b'); // the clock stopped at 40 (< 100, ≥ the last pop)
        q.push(100, 'c');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, ['b', 'a', 'c']);
    }

    proptest::proptest! {
        /// Any mix of recurring delays (lanes), one-off delays (heap), peeks and pops comes out in
        /// `(time, seq)` order, also when more delays recur than there are lanes.
        #[test]
        fn lanes_and_heap_pop_in_time_then_seq_order(
            ops in proptest::collection::vec((0u8..4, 0usize..12, 0u64..2_000), 1..600),
        ) {
            let mut q = EventQueue::default();
            let mut reference = std::collections::BTreeSet::new();
            let mut now = 0;
            for (op, d, r) in ops {
                match op {
                    0 => {
                        if let Some((at, seq, e)) = q.pop() {
                            let first = reference.pop_first().expect("same length");
                            proptest::prop_assert_eq!((at, seq), first);
                            proptest::prop_assert_eq!(e, seq);
                            now = at;
                        }
                    }
                    1 => {
                        let _ = q.peek_time();
                    }
                    _ => {
                        let at = now + if d < 10 { d as u64 * 100 } else { r };
                        let seq = q.pushed();
                        q.push(at, seq);
                        reference.insert((at, seq));
                    }
                }
            }
            while let Some((at, seq, _)) = q.pop() {
                proptest::prop_assert_eq!(Some((at, seq)), reference.pop_first());
            }
            proptest::prop_assert!(reference.is_empty() && q.is_empty());
        }
    }
}
