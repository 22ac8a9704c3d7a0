//! How tools drive and read the engine: running to a time or one event at a time, moving the clock,
//! going on past a verdict, the truth's bookkeeping between rounds, the observer hook ([`Observer`],
//! called after every dispatched event with read access to the whole simulation, and the
//! [`Observed`] record of that event), and read access to every part of the state.
//!
//! Owns: how time moves and what can be read. The engine's fields are private to `sim::engine`; the
//! run loop, the shell and the checkpoint go through these methods (and through the membership and
//! workload operations of `churn.rs` and `apps.rs`: `crash`, `leave`, `join_new`, `join_with_id`,
//! `lookup_from`, `dht_op`, `load_keys`; building is `engine.rs`'s, saving `state.rs`'s), so the
//! invariants they keep (the clock never goes back, no event is skipped, the truth's change log
//! keeps what in-flight lookups need) live in one place.
//! Observers themselves (the determinism hash, the state trace, the diagnosis recorder) live with
//! their tools; the hook gives them `&Sim` only.
//! Never: hand out `&mut` to a part of the state, or run anything but the queue's next event.

use crate::id::Id;
use crate::oracle::checker::Checker;
use crate::oracle::metrics::Metrics;
use crate::oracle::truth::{AddrSet, Truth};
use crate::protocol::app::Items;
use crate::protocol::msg::{Addr, Peer};
use crate::protocol::node::Node;
use crate::protocol::options::Params;
use crate::protocol::peer::Lists;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::sim::engine::session::Sessions;
use crate::sim::engine::{Ev, Sim, Slot, Stop};
use crate::sim::net::Network;
use crate::sim::queue::EventQueue;
use std::any::Any;

/// An event the simulator has just dispatched.
#[derive(Copy, Clone, Debug)]
pub struct Observed {
    /// 0-based position in the run's event sequence.
    pub index: u64,
    /// Simulated time (µs) and global insertion counter: the queue order.
    pub at: u64,
    pub seq: u64,
    pub ev: Ev,
}

/// Sees every event after it was dispatched, with read access to the whole simulation.
pub trait Observer: Any + Send {
    /// Called once, when the initial ring is built and before the first event.
    fn start(&mut self, _sim: &Sim) {}
    fn after_event(&mut self, sim: &Sim, ev: &Observed);
}

impl Sim {
    /// Runs to the end of the scenario (or an early verdict, or the event limit).
    pub fn run(&mut self) -> Stop {
        match self.run_until(self.sc.duration_us()) {
            Stop::Reached => Stop::Duration,
            s => s,
        }
    }

    /// Processes every event with time ≤ `until`. Once the checker has reached a verdict, it returns
    /// [`Stop::Verdict`] at once and runs nothing until the caller goes on with [`Sim::clear_stop`]
    /// (as the shell does): a caller that keeps calling after a verdict does not creep forward one
    /// event a call.
    pub fn run_until(&mut self, until: u64) -> Stop {
        self.run_capped(until, self.sc.limits.max_events)
    }

    /// [`Sim::run_until`] that stops with [`Stop::EventLimit`] once the run has processed
    /// `max_events` events in all (at most the scenario's `limits.max_events`): the shell runs long
    /// stretches in batches so that Ctrl-C is seen between them.
    pub fn run_capped(&mut self, until: u64, max_events: u64) -> Stop {
        if self.stop_early {
            return Stop::Verdict;
        }
        let max_events = max_events.min(self.sc.limits.max_events);
        while let Some(at) = self.queue.peek_time() {
            if at > until {
                break;
            }
            if self.events >= max_events {
                return Stop::EventLimit;
            }
            let (at, seq, ev) = self.queue.pop().expect("peeked");
            self.now = at;
            self.events += 1;
            self.prefetch_next();
            self.dispatch(ev);
            if self.observer.is_some() {
                self.observe(at, seq, ev);
            }
            if self.stop_early {
                return Stop::Verdict;
            }
        }
        self.now = self.now.max(until);
        Stop::Reached
    }

    /// Runs the next event alone and returns it with how the step ended ([`Stop::Verdict`] if the
    /// checker reached one, else [`Stop::Reached`]); the clock stands at the event. `None`: nothing
    /// ran (the queue is empty, the event limit is reached, or a verdict waits for
    /// [`Sim::clear_stop`]). An observer sees the event as in a run.
    pub fn step(&mut self) -> Option<(Observed, Stop)> {
        if self.stop_early || self.events >= self.sc.limits.max_events {
            return None;
        }
        let (at, seq, ev) = self.queue.pop()?;
        self.now = at;
        self.events += 1;
        self.dispatch(ev);
        if self.observer.is_some() {
            self.observe(at, seq, ev);
        }
        let stop = if self.stop_early { Stop::Verdict } else { Stop::Reached };
        Some((Observed { index: self.events - 1, at, seq, ev }, stop))
    }

    /// Moves the clock on to `t` without running anything; for a caller that has run every event
    /// before `t` (`run_until(t - 1)` reached). The clock never goes back.
    pub fn wait_until(&mut self, t: u64) {
        debug_assert!(self.queue.peek_time().is_none_or(|at| at >= t), "an event before {t} has not run");
        self.now = self.now.max(t);
    }

    /// Goes on past an early stop: clears it and returns what caused it — the scripted event that
    /// missed, and the checker's verdict.
    pub fn clear_stop(&mut self) -> (Option<String>, Option<String>) {
        self.stop_early = false;
        (self.script_error.take(), self.checker.take_verdict())
    }

    /// Takes the error of a scripted event that missed, if one did (the run stopped there).
    pub fn take_script_error(&mut self) -> Option<String> {
        self.script_error.take()
    }

    /// Verdicts stop nothing: the checker records them and the run goes on (the shell's mode,
    /// whatever the scenario's `check.on_violation` says).
    pub fn stop_at_verdicts(&mut self) {
        self.checker.stop_at_verdicts();
    }

    /// Forgets membership changes no lookup in flight can still be judged against (between rounds).
    pub fn prune_truth(&mut self) {
        let oldest = self.checker.oldest_inflight().unwrap_or(self.now);
        self.truth.prune_changes(oldest);
    }

    /// The checker's probe of `key` from `origin` over the current routing state (no messages, no
    /// time passes): the owner found, hops and timeouts.
    pub fn probe(&mut self, origin: Addr, key: Id) -> (Option<Peer>, u16, u16) {
        self.checker.probe(&self.nodes, &self.truth, origin, key)
    }

    /// Node `a` runs one stabilize now, outside its timer (a scripted step of the ring DSL); its
    /// effects are applied as a timer's would be.
    pub fn stabilize_now(&mut self, a: Addr) {
        self.with_node(a, 0, Node::stabilize);
    }

    /// Node-seconds lived so far, up to now (the truth's integral, brought up to date).
    pub fn node_seconds(&mut self) -> f64 {
        self.truth.node_seconds(self.now)
    }

    /// Attaches `o` (replacing any observer) after starting it on the simulation as it stands.
    pub fn observe_with(&mut self, mut o: Box<dyn Observer>) {
        o.start(self);
        self.observer = Some(o);
    }

    /// Attaches `o` as it is, without starting it (it watched this simulation before).
    pub fn reattach(&mut self, o: Box<dyn Observer>) {
        self.observer = Some(o);
    }

    /// Takes the observer out, whatever its type.
    pub fn detach(&mut self) -> Option<Box<dyn Observer>> {
        self.observer.take()
    }

    /// Takes the observer out as its concrete type; `None` (and the observer stays) if there is none
    /// or it is of another type.
    pub fn take_observer<T: Observer>(&mut self) -> Option<Box<T>> {
        self.observer.as_ref().filter(|o| (o.as_ref() as &dyn Any).is::<T>())?;
        let o: Box<dyn Any> = self.observer.take()?;
        o.downcast::<T>().ok()
    }

    /// The observer, as its concrete type, if it is one.
    #[must_use]
    pub fn observer<T: Observer>(&self) -> Option<&T> {
        (self.observer.as_deref()? as &dyn Any).downcast_ref::<T>()
    }
}

/// Read access to the state.
impl Sim {
    /// The scenario as run (seed included).
    #[must_use]
    pub fn sc(&self) -> &Scenario {
        &self.sc
    }
    /// The node parameters derived from the scenario.
    #[must_use]
    pub fn params(&self) -> &Params {
        &self.params
    }
    /// Simulated time (µs).
    #[must_use]
    pub fn now(&self) -> u64 {
        self.now
    }
    /// Events processed so far.
    #[must_use]
    pub fn events(&self) -> u64 {
        self.events
    }
    /// Events still queued.
    #[must_use]
    pub fn queued(&self) -> usize {
        self.queue.len()
    }
    /// The event queue.
    #[must_use]
    pub fn queue(&self) -> &EventQueue<Ev> {
        &self.queue
    }
    /// Every node slot ever created, by address (dead ones included).
    #[must_use]
    pub fn nodes(&self) -> &[Slot] {
        &self.nodes
    }
    /// The node at `a`.
    #[must_use]
    pub fn node(&self, a: Addr) -> &Node {
        &self.nodes[a.0 as usize].node
    }
    /// Ground truth.
    #[must_use]
    pub fn truth(&self) -> &Truth {
        &self.truth
    }
    /// The oracle and what it has recorded.
    #[must_use]
    pub fn checker(&self) -> &Checker {
        &self.checker
    }
    /// The run's counters.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// The network model.
    #[must_use]
    pub fn net(&self) -> &Network {
        &self.net
    }
    /// The random streams.
    #[must_use]
    pub fn rng(&self) -> &SimRng {
        &self.rng
    }
    /// The successor-list arena.
    #[must_use]
    pub fn lists(&self) -> &Lists {
        &self.lists
    }
    /// The DHT's item arena.
    #[must_use]
    pub fn items(&self) -> &Items {
        &self.items
    }
    /// The scripted events still to come.
    #[must_use]
    pub fn script(&self) -> &[crate::scenario::Event] {
        &self.script
    }
    /// The checker (or a missed scripted event) stopped the run.
    #[must_use]
    pub fn stop_early(&self) -> bool {
        self.stop_early
    }
    /// The error of the scripted event that missed, if one did.
    #[must_use]
    pub fn script_error(&self) -> Option<&str> {
        self.script_error.as_deref()
    }
    /// Blocked links: both ends and until when (µs).
    #[must_use]
    pub fn blocked(&self) -> &[(Addr, Addr, u64)] {
        &self.blocked
    }
    /// The physical node ("host") of each slot.
    #[must_use]
    pub fn host_of(&self) -> &[u32] {
        &self.host_of
    }
    /// The slots of each host.
    #[must_use]
    pub fn hosts(&self) -> &[Vec<Addr>] {
        &self.hosts
    }
    /// The hosts with a live node.
    #[must_use]
    pub fn hosts_alive(&self) -> &AddrSet {
        &self.hosts_alive
    }
    /// Session churn's members.
    #[must_use]
    pub fn sessions(&self) -> &Sessions {
        &self.sessions
    }
    /// Wall-clock seconds spent in the checker (0 unless the program installed a wall clock).
    #[must_use]
    pub fn check_secs(&self) -> f64 {
        self.check_secs
    }
}

#[cfg(test)]
impl Sim {
    /// The network and the random streams, writable: for tests that forge a restored state.
    pub(crate) fn forge(&mut self) -> (&mut Network, &mut SimRng) {
        (&mut self.net, &mut self.rng)
    }

    /// Queues `ev` at `at` whatever it is: for tests that forge a restored state.
    pub(crate) fn forge_event(&mut self, at: u64, ev: Ev) {
        self.push(at, ev);
    }

    /// Sends `msg` from `a` to `to` as a handler's effect would: for tests of forged addresses.
    pub(crate) fn forge_send(&mut self, a: Addr, to: Peer, msg: crate::protocol::msg::Msg) {
        self.apply_send(a, to, msg);
    }
}
