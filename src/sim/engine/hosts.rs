//! The simulator's side of the network model: which physical node ("host") a slot sends from, scripted
//! partitions, and what a completed workload lookup cost in time (latency and stretch).
//!
//! Owns: the glue between [`crate::sim::net::Network`] and the engine, kept out of `engine.rs` so the engine's
//! file stays about the queue and dispatch. Stretch is measured against the direct round-trip time
//! between the origin's host and the true owner's host (ToN'03 Sec. V-B defines stretch against the
//! round trip between the lookup's initiator and the node responsible for the key), so it exists only for per-pair
//! latency models.
//! Never: draw random numbers for anything but a partition's sides (the network's own stream), or
//! change node state.

use crate::id::Id;
use crate::protocol::msg::{Addr, Peer};
use crate::sim::engine::Sim;
use crate::time::Time;

impl Sim {
    /// The physical node of slot `a` (the slot itself for an address the simulator never created).
    #[inline]
    pub(super) fn host(&self, a: Addr) -> u32 {
        self.host_of.get(a.0 as usize).copied().unwrap_or(a.0)
    }

    /// Scripted partition: from now until `heal_at_s`, messages between the drawn `fraction` of live
    /// physical nodes and the rest are lost.
    pub(super) fn start_partition(&mut self, heal_at_s: f64, fraction: f64) {
        let hosts = self.live_hosts();
        self.net.start_partition(&mut self.rng, Time::from_s(heal_at_s).us(), fraction, &hosts);
    }

    /// A workload lookup of node `a` completed: the checker judges it, with its end-to-end latency and,
    /// under a per-pair latency model, the direct round-trip time between `a` and the key's true owner
    /// (out and back, so an asymmetric matrix counts both directions).
    pub(super) fn lookup_done(&mut self, a: Addr, tag: u32, key: Id, owner: Option<Peer>, hops: u16, touts: u16) {
        let direct = match (owner, self.truth.successor(key)) {
            (Some(_), Some(t)) if self.sc.net.per_pair() => {
                let (ha, ht) = (self.host(a), self.host(t.addr));
                let out = self.net.pair_delay(&mut self.rng, ha, ht);
                out.zip(self.net.pair_delay(&mut self.rng, ht, ha)).map(|(o, b)| o + b)
            }
            _ => None,
        };
        let done = crate::oracle::checker::Done { now: self.now, owner, hops, timeouts: touts, direct_us: direct };
        self.checker.judge_lookup(&self.truth, tag, key, done);
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::msg::Msg;
    use crate::sim::engine::Ev;

    /// The recursive-lookup messages fit in the space `Msg` already had: queued events do not grow.
    #[test]
    fn events_do_not_grow() {
        assert_eq!(std::mem::size_of::<Msg>(), 40);
        assert_eq!(std::mem::size_of::<Ev>(), 64);
    }
}
