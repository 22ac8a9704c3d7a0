//! The simulator's side of the application layer: delivering application messages and timers,
//! running application lookups on the overlay, telling applications of neighbour changes, and the DHT
//! workload and bulk load.
//!
//! Owns: the glue between [`crate::protocol::app`] and the engine. The overlay node never sees an application
//! message; after every node handler the simulator compares the node's successor list and predecessor
//! with what the application last saw and, if they changed, calls `on_neighbors`.
//! Never: let an application read another node's state (it gets only its own node's neighbours).

use crate::id::Id;
use crate::protocol::app::{App, AppCtx, AppEffect, AppMsg, AppParams, AppTimer};
use crate::protocol::msg::{Addr, Msg, Peer, Purpose};
use crate::scenario::{Popularity, Workload};
use crate::sim::engine::{Ev, Sim};
use crate::time::Time;

impl Sim {
    pub(super) fn app_params(&self) -> AppParams {
        let d = &self.sc.dht;
        AppParams {
            space: self.params.space,
            replicas: d.replicas as usize,
            repair_us: Time::from_ms(d.repair_interval_ms).us().max(1),
            repair_items: d.repair_items_per_period as usize,
            batch_items: d.batch_items as usize,
            rpc_timeout_us: self.params.rpc_timeout_us,
        }
    }

    /// The application a new node runs.
    pub(super) fn new_app(&self) -> App {
        if self.sc.dht.enabled { App::Dht(Box::default()) } else { App::None }
    }

    /// Calls an application handler of node `a`, then applies its effects.
    pub(super) fn with_app(&mut self, a: Addr, f: impl FnOnce(&mut App, &mut AppCtx)) {
        let mut out = std::mem::take(&mut self.app_out);
        {
            let slot = &mut self.nodes[a.0 as usize];
            let mut ctx = AppCtx {
                now: self.now,
                me: slot.node.me(),
                succ: slot.node.succ_list(),
                pred: slot.node.predecessor(),
                params: &self.app_params,
                items: &mut self.items,
                out: &mut out,
            };
            f(&mut slot.app, &mut ctx);
        }
        for &e in &out {
            self.apply_app(a, e);
        }
        out.clear();
        self.app_out = out;
    }

    fn apply_app(&mut self, a: Addr, e: AppEffect) {
        match e {
            AppEffect::Send { to, msg } => self.apply_send(a, to, Msg::App(msg)),
            AppEffect::SetTimer { after_us, timer } => self.push(self.now + after_us, Ev::AppTimer { to: a, timer }),
            AppEffect::Lookup { key, tag } => {
                self.with_node(a, 0, |n, ctx| n.start_lookup(ctx, key, Purpose::App(tag), None));
            }
            AppEffect::OpDone { op, result } => {
                let (nodes, alive) = (&self.nodes, self.truth.alive());
                if let Some(d) = self.checker.dht.as_mut() {
                    d.done(op, result, |key, v| {
                        // Only for unsuccessful gets (off the common path): is the key anywhere?
                        let holds = |a: &Addr| nodes[a.0 as usize].app.dht().is_some_and(|s| s.holds(key, v));
                        alive.as_slice().iter().any(holds)
                    });
                }
            }
            AppEffect::Transferred { count } => {
                self.metrics.items_transferred += u64::from(count);
                self.metrics.transfer_msgs += 1;
            }
        }
    }

    /// An application message arrives.
    pub(super) fn deliver_app(&mut self, to: Addr, from: Peer, m: AppMsg) {
        if self.nodes.get(to.0 as usize).is_some_and(|s| s.alive) {
            self.with_app(to, |app, ctx| app.on_message(ctx, from, m));
        } else {
            self.metrics.dropped_dead += 1;
        }
    }

    pub(super) fn app_timer(&mut self, to: Addr, t: AppTimer) {
        if self.nodes[to.0 as usize].alive {
            self.with_app(to, |app, ctx| app.on_timer(ctx, t));
        }
    }

    /// After a node handler: if the node's neighbourhood changed, tell its application.
    pub(super) fn check_neighbors(&mut self, a: Addr) {
        let slot = &self.nodes[a.0 as usize];
        if !slot.alive || !slot.node.is_joined() {
            return;
        }
        let changed = match slot.app.dht() {
            Some(d) => d.neighbors_changed(slot.node.predecessor(), slot.node.succ_list()),
            None => false,
        };
        if changed {
            self.with_app(a, crate::protocol::app::App::on_neighbors);
        }
    }

    /// One arrival of a DHT workload: a put or a get from a random joined node.
    pub(super) fn dht_arrival(&mut self, w: usize) {
        let Workload::Dht { keys, read_fraction, popularity, .. } = self.sc.workloads[w] else { return };
        if let Some(a) = self.truth.joined().pick(&mut self.rng.workload) {
            let rank = match popularity {
                Popularity::Uniform {} => self.rng.workload.below(keys),
                Popularity::Zipf { .. } => self.zipf_rank(w),
            };
            let read = self.rng.workload.unit() < read_fraction;
            self.dht_op(a, read, key_id(self.params.space, rank));
        }
        self.schedule_arrival(w, self.now, Ev::Dht(w as u16));
    }

    /// Node `a` starts a put (new version) or a get of `key`; the checker judges it when done.
    pub fn dht_op(&mut self, a: Addr, read: bool, key: Id) {
        let Some(truth) = self.checker.dht.as_mut() else { return };
        let (op, kind) = truth.start(read, key, a.0);
        self.with_app(a, |app, ctx| {
            if let Some(d) = app.dht_mut() {
                d.start_op(ctx, op, kind, key);
            }
        });
    }

    /// Zipf rank in `0..keys` by inverting a precomputed CDF (built on first use, per workload).
    fn zipf_rank(&mut self, w: usize) -> u64 {
        if self.zipf[w].is_empty() {
            let Workload::Dht { keys, popularity: Popularity::Zipf { s }, .. } = self.sc.workloads[w] else {
                return 0;
            };
            let mut acc = 0.0;
            self.zipf[w] = (1..=keys)
                .map(|k| {
                    acc += 1.0 / libm::pow(k as f64, s);
                    acc
                })
                .collect();
        }
        let cdf = &self.zipf[w];
        let u = self.rng.workload.unit() * cdf[cdf.len() - 1];
        cdf.partition_point(|&c| c <= u).min(cdf.len() - 1) as u64
    }

    /// `load_keys`: `count` keys placed on their owners and the owners' `replicas` successors (truth),
    /// as if put and fully replicated.
    pub fn load_keys(&mut self, count: u64) {
        let ring = self.truth.sorted();
        if ring.is_empty() {
            return;
        }
        let copies = (self.sc.dht.replicas as usize + 1).min(ring.len());
        for rank in 0..count {
            let key = key_id(self.params.space, rank);
            let i = ring.partition_point(|p| p.id < key) % ring.len();
            for j in 0..copies {
                let holder = ring[(i + j) % ring.len()];
                if let Some(d) = self.nodes[holder.addr.0 as usize].app.dht_mut() {
                    d.keep(key, 1);
                }
            }
            if let Some(t) = self.checker.dht.as_mut() {
                t.preload(key);
            }
        }
    }

    /// The checker's DHT accounting right now (None without the DHT).
    #[must_use]
    pub fn dht_account(&self) -> Option<crate::oracle::checker::DhtRow> {
        let hosts = self.live_hosts();
        let r = self.sc.dht.replicas as usize;
        self.checker.dht.as_ref().map(|d| d.account(&self.nodes, &self.truth, r, &self.host_of, &hosts))
    }

    /// Live physical nodes (host indices).
    #[must_use]
    pub fn live_hosts(&self) -> Vec<u32> {
        self.hosts_alive.as_slice().iter().map(|h| h.0).collect()
    }

    pub(super) fn app_leave(&mut self, a: Addr) {
        self.with_app(a, crate::protocol::app::App::on_leave);
    }

    pub(super) fn origin_gone_app(&mut self, a: Addr) {
        if let Some(d) = self.checker.dht.as_mut() {
            d.origin_gone(a.0);
        }
    }

    /// The dropped or delivered message's arena payloads go back to their arenas.
    pub(super) fn release_payload(&mut self, msg: &Msg) {
        if let Some(l) = msg.list() {
            self.lists.release(l);
        }
        if let Msg::App(AppMsg::Dht(m)) = msg
            && let Some(b) = m.batch()
        {
            self.items.release(b);
        }
    }
}

/// The id of the key of rank `rank`: SHA-1 of `key-<rank>`.
#[must_use]
pub fn key_id(space: crate::id::IdSpace, rank: u64) -> Id {
    space.hash(format!("key-{rank}").as_bytes())
}
