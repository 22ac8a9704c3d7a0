//! The discrete-event engine: clock, queue, node slots, dispatch, and application of effects.
//!
//! Owns: simulated time (integer µs), the event queue ordered by `(time, seq)` with `seq` a global
//! insertion counter (ties are FIFO, runs deterministic), the node slots (a `Vec`; addresses are never
//! reused), the message arena and the run loop. Membership changes live in `engine/churn.rs`, judging in
//! the oracle's `checker.rs`; this file only routes events to them.
//! Never: decide protocol behaviour (that is the node's), or let anything but the queue order events.

use crate::oracle::checker::{Checker, Truth};
use crate::oracle::metrics::Metrics;
use crate::protocol::msg::{Addr, Ctx, Effect, Msg, Peer, Timer};
use crate::protocol::node::Node;
use crate::protocol::options::Params;
use crate::protocol::peer::Lists;
use crate::rng::SimRng;
use crate::scenario::Scenario;
use crate::sim::net::Network;
use crate::time::Time;

pub mod apps;
pub mod churn;
pub mod hosts;
pub mod session;
pub mod state;

mod control;
use crate::sim::queue::EventQueue;
pub use control::{Observed, Observer};

/// The wall clock the engine times the checker with (`Sim::check_secs`), if the program installed one
/// ([`set_wall_clock`]): the CLI does, for `--timing`; tests, sweeps and library callers do not, and
/// then the engine reads no clock at all. Never read by anything that orders events or output.
static WALL_CLOCK: std::sync::OnceLock<fn() -> f64> = std::sync::OnceLock::new();

/// Installs the clock for `check_secs` (monotonic seconds from any origin), once per process.
pub fn set_wall_clock(now: fn() -> f64) {
    let _ = WALL_CLOCK.set(now);
}

fn wall_clock() -> Option<fn() -> f64> {
    WALL_CLOCK.get().copied()
}

/// How far behind its lane's head an event gets its node prefetched (besides the next event).
const PREFETCH_AHEAD: usize = 2;

/// Prefetches the slot of the node `ev` is addressed to, if any ([`Ev::target`]).
#[inline]
fn prefetch_target(nodes: &[Slot], ev: Option<&Ev>) {
    if let Some(slot) = ev.and_then(Ev::target).and_then(|a| nodes.get(a.0 as usize)) {
        crate::prefetch::prefetch(slot);
    }
}

/// What happens at a point in simulated time.
#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub enum Ev {
    Deliver {
        to: Addr,
        from: Peer,
        msg: Msg,
    },
    Timer {
        to: Addr,
        timer: Timer,
    },
    /// The scripted event with this index (in time order).
    Script(u32),
    /// Next arrival of the churn workload with this index.
    Churn(u16),
    /// Next arrival of the lookup workload with this index.
    Lookup(u16),
    /// The node at this address (re)tries to join through a random joined node.
    Join(Addr),
    /// Round boundary: the checker runs.
    Round(u32),
    /// An application timer of the node at this address.
    AppTimer {
        to: Addr,
        timer: crate::protocol::app::AppTimer,
    },
    /// Next arrival of the DHT workload with this index.
    Dht(u16),
    /// The session member with this index goes online or offline (`sim/engine/session.rs`).
    Session(u32),
}

impl Ev {
    /// The one node this event is addressed to, if any. Other events may touch any node.
    #[inline]
    #[must_use]
    pub fn target(&self) -> Option<Addr> {
        match self {
            Ev::Deliver { to, .. } | Ev::Timer { to, .. } | Ev::AppTimer { to, .. } => Some(*to),
            Ev::Join(a) => Some(*a),
            Ev::Script(_) | Ev::Churn(_) | Ev::Lookup(_) | Ev::Round(_) | Ev::Dht(_) | Ev::Session(_) => None,
        }
    }
}

/// A node slot. A crashed or departed node keeps its slot (addresses are never reused).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[repr(C)] // `alive`, read first by every dispatch, shares the first cache line with the node's hot fields
pub struct Slot {
    pub alive: bool,
    pub node: Node,
    /// The application the node runs (the DHT, or none).
    pub app: crate::protocol::app::App,
}

impl crate::oracle::checker::NodeView for Slot {
    #[inline]
    fn is_alive(&self) -> bool {
        self.alive
    }

    #[inline]
    fn node(&self) -> &Node {
        &self.node
    }

    #[inline]
    fn dht(&self) -> Option<&crate::protocol::app::DhtNode> {
        self.app.dht()
    }
}

/// How a run ended, before judging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Reached the requested time (`run_until`).
    Reached,
    /// Reached `duration_s`.
    Duration,
    /// The checker reached a verdict early (e.g. no convergence within the quiet rounds).
    Verdict,
    /// `limits.max_events` was hit.
    EventLimit,
}

/// The whole simulation state.
pub struct Sim {
    sc: Scenario,
    params: Params,
    net: Network,
    rng: SimRng,
    now: u64,
    queue: EventQueue<Ev>,
    nodes: Vec<Slot>,
    truth: Truth,
    lists: Lists,
    out: Vec<Effect>,
    checker: Checker,
    metrics: Metrics,
    events: u64,
    /// Scripted events sorted by time (stable).
    script: Vec<crate::scenario::Event>,
    /// Set by the checker when it reaches a verdict before the end.
    stop_early: bool,
    /// A scripted event that could not be carried out (a scenario error, exit 1).
    script_error: Option<String>,
    /// Links cut until a time: messages between the two nodes (either way) are lost.
    blocked: Vec<(Addr, Addr, u64)>,
    app_params: crate::protocol::app::AppParams,
    items: crate::protocol::app::Items,
    app_out: Vec<crate::protocol::app::AppEffect>,
    /// Physical node of each slot (virtual nodes share one), and the slots of each physical node.
    host_of: Vec<u32>,
    hosts: Vec<Vec<Addr>>,
    /// Live physical nodes (indices into `hosts`, as addresses).
    hosts_alive: crate::oracle::truth::AddrSet,
    /// Zipf CDF per workload (built on first use).
    zipf: Vec<Vec<f64>>,
    /// Session churn populations (empty without a `sessions` workload).
    sessions: crate::sim::engine::session::Sessions,
    /// Sees every dispatched event (determinism hash, state trace); `None` costs one branch per event.
    observer: Option<Box<dyn Observer>>,
    /// Wall-clock seconds spent in the per-round checker, for `--timing` only (0 unless a clock was
    /// installed with [`set_wall_clock`]): never in a report, never read by anything that orders events.
    check_secs: f64,
}

impl Sim {
    /// Builds the initial ring and schedules every generator. Errors are scenario errors (exit 1).
    pub fn new(sc: Scenario) -> Result<Sim, String> {
        let mut sim = Sim::blank(sc)?;
        sim.build_initial_ring()?;
        sim.schedule_generators();
        Ok(sim)
    }

    /// The simulation of `sc` at time 0 with no node and nothing queued (a checkpoint restore fills it).
    fn blank(sc: Scenario) -> Result<Sim, String> {
        let space = sc.space();
        let p = &sc.protocol;
        let params = Params {
            variant: p.variant,
            space,
            r: p.successor_list_len as usize,
            stabilize_us: Time::from_ms(p.stabilize_interval_ms).us().max(1),
            stabilize_jitter: p.stabilize_jitter,
            fix_fingers_us: Time::from_ms(p.fix_fingers_interval_ms).us().max(1),
            check_pred_us: Time::from_ms(p.check_predecessor_interval_ms).us().max(1),
            rpc_timeout_us: Time::from_ms(sc.net.rpc_timeout_ms).us().max(1),
            lookup_max_steps: p.lookup_max_steps.min(u32::from(u16::MAX)) as u16,
            notify_old_predecessor: p.notify_old_predecessor,
            max_pending: p.max_pending_rpcs as usize,
            join_retry_us: Time::from_ms(p.join_retry_ms).us().max(1),
            ping_owner: p.ping_owner,
            successor_fallback: p.successor_fallback,
            join_fetches_list: p.join_fetches_list,
            finger_refresh: p.finger_refresh,
            lookup_retries: p.lookup_retries,
            stabilize_on_join: p.stabilize_on_join,
            joint: (p.maintenance == crate::scenario::Maintenance::Joint).then(|| {
                let stab = Time::from_ms(p.stabilize_interval_ms).us().max(1);
                let every = |ms| (Time::from_ms(ms).us() / stab).clamp(1, u64::from(u32::MAX)) as u32;
                (every(p.fix_fingers_interval_ms), every(p.check_predecessor_interval_ms))
            }),
            recursive: p.lookup_style == crate::scenario::LookupStyle::Recursive,
            finger_alternates: p.finger_alternates as usize,
        };
        let mut script = sc.events.clone();
        script.sort_by(|a, b| a.at_s().total_cmp(&b.at_s()));
        let mut sim = Sim {
            net: Network::from_scenario(&sc.net)?,
            rng: SimRng::new(sc.seed),
            checker: Checker::new(&sc),
            metrics: Metrics::default(),
            params,
            now: 0,
            queue: EventQueue::default(),
            nodes: Vec::new(),
            truth: Truth::default(),
            lists: Lists::default(),
            out: Vec::new(),
            events: 0,
            script,
            stop_early: false,
            script_error: None,
            blocked: Vec::new(),
            app_params: crate::protocol::app::AppParams {
                space,
                replicas: 0,
                repair_us: 1,
                repair_items: 1,
                batch_items: 1,
                rpc_timeout_us: 1,
            },
            items: crate::protocol::app::Items::default(),
            app_out: Vec::new(),
            host_of: Vec::new(),
            hosts: Vec::new(),
            hosts_alive: crate::oracle::truth::AddrSet::default(),
            zipf: vec![Vec::new(); sc.workloads.len()],
            observer: None,
            check_secs: 0.0,
            sessions: session::Sessions::default(),
            sc,
        };
        sim.app_params = sim.app_params();
        Ok(sim)
    }

    #[inline(always)]
    fn push(&mut self, at: u64, ev: Ev) {
        self.queue.push(at, ev);
    }

    /// Starts loading the slot of the node the next event goes to, so that its cache miss overlaps
    /// with this event's dispatch (`prefetch.rs`). Changes nothing but speed.
    #[inline]
    fn prefetch_next(&mut self) {
        prefetch_target(&self.nodes, self.queue.lane_ahead(PREFETCH_AHEAD));
        prefetch_target(&self.nodes, self.queue.peek());
    }

    fn dispatch(&mut self, ev: Ev) {
        match ev {
            Ev::Deliver { to, from, msg: Msg::App(m) } => {
                self.deliver_app(to, from, m);
                self.release_payload(&Msg::App(m));
            }
            Ev::Deliver { to, from, msg } => {
                if self.nodes.get(to.0 as usize).is_some_and(|s| s.alive) {
                    // A `Busy` answer (Zave) draws entropy for the retry back-off; nothing else does.
                    let entropy = if matches!(msg, Msg::Busy { .. }) { self.rng.node.next_u64() } else { 0 };
                    self.with_node(to, entropy, |n, ctx| n.on_message(ctx, from, msg));
                } else {
                    self.metrics.dropped_dead += 1;
                }
                self.release_payload(&msg);
            }
            Ev::AppTimer { to, timer } => self.app_timer(to, timer),
            Ev::Dht(w) => self.dht_arrival(w as usize),
            Ev::Timer { to, timer } => {
                if self.nodes[to.0 as usize].alive {
                    let entropy = match timer {
                        Timer::Stabilize | Timer::FixFingers | Timer::CheckPredecessor | Timer::Maintain => {
                            self.rng.node.next_u64()
                        }
                        Timer::RpcCheck | Timer::JoinRetry | Timer::BusyRetry => 0,
                    };
                    self.with_node(to, entropy, |n, ctx| n.on_timer(ctx, timer));
                }
            }
            Ev::Script(i) => self.run_script(i as usize),
            Ev::Churn(w) => self.churn_arrival(w as usize),
            Ev::Lookup(w) => self.lookup_arrival(w as usize),
            Ev::Join(a) => self.retry_join(a),
            Ev::Round(k) => self.round_end(k),
            Ev::Session(m) => self.session_transition(m as usize),
        }
    }

    /// Hands the event just dispatched to the observer (taken out while it looks at the simulation).
    #[cold]
    fn observe(&mut self, at: u64, seq: u64, ev: Ev) {
        if let Some(mut o) = self.observer.take() {
            o.after_event(self, &Observed { index: self.events - 1, at, seq, ev });
            self.observer = Some(o);
        }
    }

    /// Calls a node handler with a fresh context, then applies its effects.
    pub(super) fn with_node(&mut self, a: Addr, entropy: u64, f: impl FnOnce(&mut Node, &mut Ctx)) {
        let mut out = std::mem::take(&mut self.out);
        {
            let mut ctx = Ctx { now: self.now, params: &self.params, entropy, lists: &mut self.lists, out: &mut out };
            f(&mut self.nodes[a.0 as usize].node, &mut ctx);
        }
        for &e in &out {
            self.apply(a, e);
        }
        out.clear();
        self.out = out;
        if self.sc.dht.enabled {
            self.check_neighbors(a);
        }
    }

    /// Sends `msg` from `a` through the network (loss, cut links, latency).
    fn apply_send(&mut self, a: Addr, to: Peer, msg: Msg) {
        self.metrics.count_msg(&msg);
        if to.addr.0 as usize >= self.nodes.len() {
            // No slot has this address (a placeholder entry, or a forged checkpoint's): nobody gets it.
            self.metrics.dropped_dead += 1;
            return self.release_payload(&msg);
        }
        let cut = !self.blocked.is_empty() && self.is_blocked(a, to.addr);
        let (ha, hb) = (self.host(a), self.host(to.addr));
        if let Some(d) = self.net.transit(&mut self.rng, self.now, ha, hb).filter(|_| !cut) {
            let from = self.nodes[a.0 as usize].node.me();
            self.push(self.now + d, Ev::Deliver { to: to.addr, from, msg });
        } else {
            self.metrics.lost += 1;
            self.release_payload(&msg);
        }
    }

    fn apply(&mut self, a: Addr, e: Effect) {
        match e {
            Effect::Send { to, msg } => self.apply_send(a, to, msg),
            Effect::AppLookupDone { tag, owner } => self.with_app(a, |app, ctx| app.on_lookup_done(ctx, tag, owner)),
            Effect::SetTimer { after_us, timer } => self.push(self.now + after_us, Ev::Timer { to: a, timer }),
            Effect::LookupDone { tag, key, owner, hops, timeouts } => {
                self.lookup_done(a, tag, key, owner, hops, timeouts);
            }
            Effect::JoinFailed => {
                self.metrics.join_retries += 1;
                self.push(self.now + self.params.join_retry_us, Ev::Join(a));
            }
            Effect::Joined => self.truth.set_joined(a, true),
        }
    }

    /// Round boundary: run the checker (every `check.every_rounds` rounds) and schedule the next.
    fn round_end(&mut self, k: u32) {
        self.truth.reindex();
        let round_us = self.sc.round_us().max(1);
        if k.is_multiple_of(self.sc.check.every_rounds) {
            let msgs = self.metrics.take_round_msgs();
            let clock = wall_clock();
            let started = clock.map(|now| now());
            let done = self.checker.check_round(
                k,
                self.now,
                &self.nodes,
                &self.truth,
                &self.params,
                &mut self.rng.check,
                msgs,
            );
            if let (Some(t0), Some(now)) = (started, clock) {
                self.check_secs += now() - t0;
            }
            if done {
                self.stop_early = true;
            }
            if let Some(row) = self.dht_account()
                && let Some(last) = self.checker.rounds.last_mut()
            {
                last.dht = Some(row);
            }
        }
        let next = (u64::from(k) + 1) * round_us;
        if next <= self.sc.duration_us() {
            self.push(next, Ev::Round(k + 1));
        }
    }

    /// The checker's view right now (no round recorded): the row and the first problem found.
    pub fn snapshot(&mut self) -> (crate::oracle::checker::RoundRow, Option<String>) {
        self.checker.snapshot(self.now, &self.nodes, &self.truth, &self.params, &mut self.rng.check)
    }

    /// Loses every message between `a` and `b` (both ways) until `until_us`: a link failure that
    /// makes live nodes look dead to each other.
    pub fn block_link(&mut self, a: Addr, b: Addr, until_us: u64) {
        self.blocked.push((a, b, until_us));
    }

    fn is_blocked(&mut self, x: Addr, y: Addr) -> bool {
        let now = self.now;
        self.blocked.retain(|&(_, _, until)| until > now);
        self.blocked.iter().any(|&(a, b, _)| (a, b) == (x, y) || (a, b) == (y, x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// After a verdict, `run_until` runs nothing until the caller clears `stop_early`.
    #[test]
    fn nothing_runs_after_a_verdict_until_cleared() {
        let text = "duration_s = 300\n[initial]\nnodes = 8\n[protocol]\nstabilize_interval_ms = 10000";
        let mut sim = Sim::new(Scenario::parse(text, "t.toml", "t").expect("valid")).expect("builds");
        assert_eq!(sim.run_until(20_000_000), Stop::Reached);
        let events = sim.events;
        sim.stop_early = true;
        assert_eq!(sim.run_until(40_000_000), Stop::Verdict);
        assert_eq!(sim.run_until(40_000_000), Stop::Verdict);
        assert_eq!(sim.events, events, "no event ran");
        sim.stop_early = false;
        assert_eq!(sim.run_until(40_000_000), Stop::Reached);
        assert!(sim.events > events);
    }
}
