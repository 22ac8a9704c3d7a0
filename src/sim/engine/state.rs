//! The engine's evolving state as one record, for tools that save and restore a run (the checkpoint):
//! [`StateRef`] borrows it from a running [`Sim`] for writing, [`State`] owns it for reading, and
//! `Sim::restore` (crate-private: only the checkpoint, which checks the state first) rebuilds a simulation from a scenario and a `State`.
//!
//! Owns: which fields make up a run's state (everything but what the scenario rebuilds: parameters,
//! the script, the latency model, the DHT's Zipf tables) and their order, which is the checkpoint's
//! byte layout. Restoring checks what the scenario itself can vouch for (the random streams' seeds,
//! the network's settings); the checkpoint checks the rest before it runs anything.
//! Never: encode bytes or read files (the checkpoint does), or change a running simulation.

use crate::oracle::checker::Checker;
use crate::oracle::metrics::Metrics;
use crate::oracle::truth::{AddrSet, Truth};
use crate::protocol::app::Items;
use crate::protocol::msg::Addr;
use crate::protocol::peer::Lists;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::sim::engine::session::Sessions;
use crate::sim::engine::{Ev, Sim, Slot};
use crate::sim::net::Network;
use crate::sim::queue::EventQueue;
use serde::{Deserialize, Serialize};

/// The evolving state, borrowed for writing (field order = [`State`]'s).
#[derive(Serialize)]
pub struct StateRef<'a> {
    now: u64,
    events: u64,
    queue: &'a EventQueue<Ev>,
    nodes: &'a [Slot],
    truth: &'a Truth,
    lists: &'a Lists,
    checker: &'a Checker,
    metrics: &'a Metrics,
    rng: &'a SimRng,
    stop_early: bool,
    script_error: &'a Option<String>,
    blocked: &'a [(Addr, Addr, u64)],
    items: &'a Items,
    host_of: &'a [u32],
    hosts: &'a [Vec<Addr>],
    hosts_alive: &'a AddrSet,
    net: &'a Network,
    sessions: &'a Sessions,
}

/// The evolving state, owned for reading.
#[derive(Deserialize)]
pub struct State {
    now: u64,
    events: u64,
    queue: EventQueue<Ev>,
    nodes: Vec<Slot>,
    truth: Truth,
    lists: Lists,
    checker: Checker,
    metrics: Metrics,
    rng: SimRng,
    stop_early: bool,
    script_error: Option<String>,
    blocked: Vec<(Addr, Addr, u64)>,
    items: Items,
    host_of: Vec<u32>,
    hosts: Vec<Vec<Addr>>,
    hosts_alive: AddrSet,
    net: Network,
    sessions: Sessions,
}

impl State {
    /// How many node slots the state holds.
    #[must_use]
    pub fn slots(&self) -> usize {
        self.nodes.len()
    }
}

impl Sim {
    /// The run's evolving state as it stands, for saving.
    #[must_use]
    pub fn state(&self) -> StateRef<'_> {
        StateRef {
            now: self.now,
            events: self.events,
            queue: &self.queue,
            nodes: &self.nodes,
            truth: &self.truth,
            lists: &self.lists,
            checker: &self.checker,
            metrics: &self.metrics,
            rng: &self.rng,
            stop_early: self.stop_early,
            script_error: &self.script_error,
            blocked: &self.blocked,
            items: &self.items,
            host_of: &self.host_of,
            hosts: &self.hosts,
            hosts_alive: &self.hosts_alive,
            net: &self.net,
            sessions: &self.sessions,
        }
    }

    /// The simulation of `sc` standing where `st` was saved. Errors: the network cannot be rebuilt
    /// from `sc`, or the state's random streams or network settings are not those `sc` makes (a
    /// corrupt or foreign state). The state's own invariants are the caller's to check.
    pub(crate) fn restore(sc: Scenario, st: State) -> Result<Sim, String> {
        let seed = sc.seed;
        let mut sim = Sim::blank(sc).map_err(|e| format!("cannot rebuild the checkpoint's network: {e}"))?;
        if !st.rng.same_streams(&sim.rng) {
            return Err(format!("corrupt checkpoint: the random streams are not those of seed {seed}"));
        }
        st.net.check_restored(&sim.net).map_err(|e| format!("corrupt checkpoint state: {e}"))?;
        let latency = std::mem::replace(&mut sim.net.latency, crate::sim::net::LatencyModel::Constant(0));
        sim.net = st.net;
        sim.net.latency = latency;
        sim.now = st.now;
        sim.events = st.events;
        sim.queue = st.queue;
        sim.nodes = st.nodes;
        sim.truth = st.truth;
        sim.lists = st.lists;
        sim.checker = st.checker;
        sim.metrics = st.metrics;
        sim.rng = st.rng;
        sim.stop_early = st.stop_early;
        sim.script_error = st.script_error;
        sim.blocked = st.blocked;
        sim.items = st.items;
        sim.host_of = st.host_of;
        sim.hosts = st.hosts;
        sim.hosts_alive = st.hosts_alive;
        sim.sessions = st.sessions;
        Ok(sim)
    }
}
