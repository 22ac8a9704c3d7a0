//! Membership changes and load generators: the initial ring, the scripted timeline, Poisson joins /
//! crashes / graceful leaves, and the lookup workload (session churn lives in `sim/engine/session.rs`).
//!
//! Owns: node creation (unique ids from the `ids` stream), crash and leave, bootstrap choice, and the
//! arrival processes. Churn decisions draw only from the `churn` stream and lookups only from the
//! `workload` stream, so adding lookups never shifts the churn schedule.
//! Never: touch a node's routing state except through its own entry points (`create`, `join`,
//! `install`, `leave`).

use crate::id::Id;
use crate::protocol::msg::{Addr, Peer, Purpose};
use crate::protocol::node::Node;
use crate::rng::Rng;
use crate::scenario::{Event, NodeRef, StartMode, Workload};
use crate::sim::engine::{Ev, Sim, Slot};
use crate::time::Time;

/// Redraws allowed when a drawn id collides with a live node's.
const ID_ATTEMPTS: u32 = 10_000;

impl Sim {
    /// A fresh id not used by any live node nor owned by a session member (`sim/engine/session.rs`), from SHA-1
    /// of a name drawn from the `ids` stream.
    pub(super) fn fresh_id(&mut self) -> Option<Id> {
        for _ in 0..ID_ATTEMPTS {
            let name = format!("node-{:016x}", self.rng.ids.next_u64());
            let id = self.params.space.hash(name.as_bytes());
            if !self.truth.contains_id(id) && !self.sessions.reserves(id) {
                return Some(id);
            }
        }
        None
    }

    /// Adds a node slot (alive, not yet part of the ring) on physical node `host`.
    fn spawn(&mut self, id: Id, host: u32) -> Peer {
        let me = Peer { id, addr: Addr(self.nodes.len() as u32) };
        let app = self.new_app();
        let p = &self.sc.protocol;
        let node = Node::new(me, self.params.space)
            .answering_from_list(p.answer_from_successor_list)
            .falling_back(p.successor_fallback);
        self.nodes.push(Slot { node, app, alive: true });
        self.truth.add(me, self.now);
        self.metrics.joins += 1;
        if self.hosts.len() <= host as usize {
            self.hosts.resize(host as usize + 1, Vec::new());
        }
        self.hosts[host as usize].push(me.addr);
        self.host_of.push(host);
        self.hosts_alive.insert(Addr(host));
        me
    }

    /// A physical node is gone once all its virtual nodes are.
    fn update_host(&mut self, a: Addr) {
        let h = self.host_of[a.0 as usize];
        if self.hosts[h as usize].iter().all(|v| !self.nodes[v.0 as usize].alive) {
            self.hosts_alive.remove(Addr(h));
        }
    }

    fn start_timers(&mut self, a: Addr) {
        let entropy = self.rng.node.next_u64();
        self.with_node(a, entropy, crate::protocol::node::Node::start_timers);
    }

    /// The initial ring: an ideal ring, or nodes joining at t = 0 through random earlier nodes.
    pub(super) fn build_initial_ring(&mut self) -> Result<(), String> {
        let (n, v) = (self.sc.initial.nodes as usize, self.sc.initial.virtual_nodes);
        let mut ids = Vec::with_capacity(n * v as usize);
        if self.sc.initial.ids.is_empty() {
            for host in 0..n as u32 {
                for _ in 0..v {
                    let id = self.fresh_id().ok_or("initial.nodes: cannot draw unique ids (id space too small)")?;
                    ids.push(self.spawn(id, host));
                }
            }
        } else {
            let space = self.params.space;
            for (host, t) in self.sc.initial.ids.clone().iter().enumerate() {
                let id = space.parse(t).map_err(|e| format!("initial.ids: {e}"))?;
                ids.push(self.spawn(id, host as u32));
            }
        }
        match self.sc.initial.mode {
            StartMode::Ideal => self.install_ideal(&ids),
            StartMode::Joins => self.start_joins(&ids),
        }
        Ok(())
    }

    /// Gives every node its correct predecessor, successor list and fingers.
    fn install_ideal(&mut self, peers: &[Peer]) {
        let ring = self.truth.sorted();
        let n = ring.len();
        let (r, space) = (self.params.r, self.params.space);
        let mut succ = Vec::with_capacity(r);
        let mut fingers = Vec::with_capacity(space.bits() as usize);
        for (i, me) in ring.iter().enumerate() {
            succ.clear();
            succ.extend((1..=r).map(|j| ring[(i + j) % n]));
            fingers.clear();
            fingers.extend((1..=space.bits()).map(|k| self.truth.successor(space.finger_start(me.id, k))));
            let pred = if n > 1 { Some(ring[(i + n - 1) % n]) } else { None };
            self.nodes[me.addr.0 as usize].node.install(pred, &succ, &fingers);
        }
        for p in peers {
            self.truth.set_joined(p.addr, true);
            self.start_timers(p.addr);
        }
    }

    /// Node 0 creates the ring; node i joins through a node drawn from 0..i.
    fn start_joins(&mut self, peers: &[Peer]) {
        for (i, p) in peers.iter().enumerate() {
            if i == 0 {
                self.nodes[p.addr.0 as usize].node.create();
                self.truth.set_joined(p.addr, true);
            } else {
                let b = peers[self.rng.churn.below(i as u64) as usize];
                self.with_node(p.addr, 0, |n, ctx| n.join(ctx, b));
            }
            self.start_timers(p.addr);
        }
    }

    /// Schedules scripted events, churn and lookup generators, and the first round boundary.
    pub(super) fn schedule_generators(&mut self) {
        for i in 0..self.script.len() {
            let at = Time::from_s(self.script[i].at_s()).us();
            self.push(at, Ev::Script(i as u32));
        }
        for w in 0..self.sc.workloads.len() {
            let (start, ev) = match self.sc.workloads[w] {
                Workload::Sessions { .. } => {
                    self.start_sessions(w);
                    continue;
                }
                Workload::Churn { start_s, .. } => (start_s, Ev::Churn(w as u16)),
                Workload::Lookups { start_s, .. } => (start_s, Ev::Lookup(w as u16)),
                Workload::Dht { start_s, .. } => (start_s, Ev::Dht(w as u16)),
            };
            self.schedule_arrival(w, Time::from_s(start).us(), ev);
        }
        self.push(self.sc.round_us().max(1), Ev::Round(1));
    }

    /// Total rate of workload `w` (per second).
    fn rate(&self, w: usize) -> f64 {
        match self.sc.workloads[w] {
            Workload::Churn { join_per_s, crash_per_s, leave_per_s, .. } => join_per_s + crash_per_s + leave_per_s,
            Workload::Lookups { per_s, .. } | Workload::Dht { per_s, .. } => per_s,
            Workload::Sessions { .. } => 0.0,
        }
    }

    /// Draws the next Poisson arrival of workload `w` after `from`, if it falls inside its window.
    pub(super) fn schedule_arrival(&mut self, w: usize, from: u64, ev: Ev) {
        let rate = self.rate(w);
        let (end_s, rng): (f64, &mut Rng) = match self.sc.workloads[w] {
            Workload::Churn { end_s, .. } | Workload::Sessions { end_s, .. } => (end_s, &mut self.rng.churn),
            Workload::Lookups { end_s, .. } | Workload::Dht { end_s, .. } => (end_s, &mut self.rng.workload),
        };
        if rate <= 0.0 {
            return;
        }
        let gap = rng.exponential(1e6 / rate).round() as u64;
        let at = from + gap.max(1);
        if at <= Time::from_s(end_s).us() {
            self.push(at, ev);
        }
    }

    /// One arrival of a churn process: a join, crash or leave, chosen in proportion to the rates.
    pub(super) fn churn_arrival(&mut self, w: usize) {
        let Workload::Churn { join_per_s, crash_per_s, leave_per_s, .. } = self.sc.workloads[w] else { return };
        let u = self.rng.churn.unit() * (join_per_s + crash_per_s + leave_per_s);
        if u < join_per_s {
            self.join_new();
        } else if let Some(h) = self.hosts_alive.pick(&mut self.rng.churn) {
            let crash = u < join_per_s + crash_per_s;
            for a in self.hosts[h.0 as usize].clone() {
                if crash { self.crash(a) } else { self.leave(a) }
            }
        }
        self.schedule_arrival(w, self.now, Ev::Churn(w as u16));
    }

    /// A new physical node (with its virtual nodes) joins through random joined nodes. Returns its
    /// first virtual node.
    pub fn join_new(&mut self) -> Option<Addr> {
        let host = self.hosts.len() as u32;
        let mut first = None;
        for _ in 0..self.sc.initial.virtual_nodes {
            let Some(id) = self.fresh_id() else {
                self.metrics.joins_skipped += 1;
                return first;
            };
            first = first.or(Some(self.join_as(id, host)));
        }
        first
    }

    /// A new node with this id (not used by a live node) joins through a random joined node.
    pub fn join_with_id(&mut self, id: Id) -> Addr {
        let host = self.hosts.len() as u32;
        self.join_as(id, host)
    }

    pub(super) fn join_as(&mut self, id: Id, host: u32) -> Addr {
        let me = self.spawn(id, host);
        self.retry_join(me.addr);
        self.start_timers(me.addr);
        me.addr
    }

    /// (Re)starts the join of node `a` through a random joined node; creates a ring if none is left.
    pub(super) fn retry_join(&mut self, a: Addr) {
        if !self.nodes[a.0 as usize].alive || self.nodes[a.0 as usize].node.is_joined() {
            return;
        }
        if let Some(b) = self.truth.joined().pick(&mut self.rng.churn) {
            let bootstrap = self.nodes[b.0 as usize].node.me();
            self.with_node(a, 0, |n, ctx| n.join(ctx, bootstrap));
        } else {
            self.nodes[a.0 as usize].node.create();
            self.truth.set_joined(a, true);
        }
    }

    /// Would crashing `a` break Zave's operating assumptions (zave.md)? Some member would be left with
    /// no live successor entry, or `a` is a principal and only r+1 principals remain.
    ///
    /// Zave's steps are atomic; here a state reply is a message, and the list it carries becomes its
    /// receiver's list (`[sender] ++ butLast(list)`, or the list itself for a join) when it arrives.
    /// So lists in flight count as held too: none may be left without a live entry either; and the
    /// owner a joining node is contacting counts as that joiner's successor list.
    #[must_use]
    pub fn crash_breaks_assumptions(&self, a: Addr) -> bool {
        let dead = |p: &Peer| p.is_pad() || p.addr == a || !self.nodes[p.addr.0 as usize].alive;
        let stranded = self.truth.joined().as_slice().iter().any(|&m| {
            let list = self.nodes[m.0 as usize].node.succ_list();
            m != a && list.iter().any(|p| p.addr == a) && list.iter().all(dead)
        });
        // A stabilizing receiver keeps [sender] ++ butLast(list); a joiner keeps the list itself.
        let r = self.params.r;
        let in_flight = self.lists.in_flight().any(|(owner, list)| {
            let involved = owner.is_some_and(|o| o.addr == a) || list.iter().any(|p| p.addr == a);
            let stabilize_dead = owner.is_none_or(|o| dead(&o)) && list.iter().take(r - 1).all(dead);
            let join_dead = list.iter().take(r).all(dead);
            involved && (stabilize_dead || join_dead)
        });
        // A ton03 joiner whose last join step is contacting `a` adopts `a` as its only successor
        // when the answer arrives, answer that may already be in flight.
        let joining = || {
            self.truth
                .alive()
                .as_slice()
                .iter()
                .any(|&j| !self.truth.is_joined(j) && self.nodes[j.0 as usize].node.join_target() == Some(a))
        };
        if stranded || in_flight || joining() {
            return true;
        }
        let view = crate::oracle::checker::SimView::build(&self.nodes, &self.truth, self.params.r);
        let principals = crate::oracle::zave::properties::principal_nodes(&view);
        principals.len() <= self.params.r + 1 && principals.contains(&(a.0 as usize))
    }

    /// Fail-stop crash: the node sends and receives nothing from now on. With
    /// `faults.respect_assumptions`, a crash outside Zave's operating assumptions is refused and
    /// counted instead.
    pub fn crash(&mut self, a: Addr) {
        if !self.nodes[a.0 as usize].alive {
            return;
        }
        if self.sc.guard_crashes() && self.crash_breaks_assumptions(a) {
            self.metrics.crashes_refused += 1;
            return;
        }
        let slot = &mut self.nodes[a.0 as usize];
        slot.alive = false;
        let me = slot.node.me();
        self.truth.remove(me, self.now);
        self.checker.origin_gone(a);
        self.origin_gone_app(a);
        self.update_host(a);
        self.metrics.crashes += 1;
    }

    /// Graceful leave (ToN'03 IV-E.4): the node notifies its neighbours, then is gone.
    pub fn leave(&mut self, a: Addr) {
        if !self.nodes[a.0 as usize].alive {
            return;
        }
        if self.nodes[a.0 as usize].node.is_joined() {
            self.app_leave(a); // keys go to the successor first (ToN'03 IV-E.4)
        }
        self.with_node(a, 0, crate::protocol::node::Node::leave);
        self.nodes[a.0 as usize].alive = false;
        let me = self.nodes[a.0 as usize].node.me();
        self.truth.remove(me, self.now);
        self.checker.origin_gone(a);
        self.origin_gone_app(a);
        self.update_host(a);
        self.metrics.leaves += 1;
    }

    /// `round(fraction × live)` distinct random live physical nodes, in draw order, as the list of
    /// their virtual nodes.
    fn pick_fraction(&mut self, fraction: f64) -> Vec<Addr> {
        let mut pool: Vec<Addr> = self.hosts_alive.as_slice().to_vec();
        pool.sort();
        let k = ((fraction * pool.len() as f64).round() as usize).min(pool.len());
        // Partial Fisher–Yates on the sorted pool: deterministic for a given churn stream.
        for i in 0..k {
            let j = i + self.rng.churn.below((pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(k);
        pool.iter().flat_map(|h| self.hosts[h.0 as usize].iter().copied()).collect()
    }

    fn resolve(&self, r: &NodeRef) -> Result<Addr, String> {
        match r {
            NodeRef::Id(t) => {
                let id = self.params.space.parse(t)?;
                self.truth.by_id(id).map(|p| p.addr).ok_or_else(|| format!("no live node has id {t}"))
            }
            NodeRef::Rank(k) => {
                let ring = self.truth.sorted();
                ring.get(*k as usize)
                    .map(|p| p.addr)
                    .ok_or_else(|| format!("rank {k} but only {} live nodes", ring.len()))
            }
        }
    }

    /// Executes scripted event `i`. A node reference that names no live node is a scenario error,
    /// recorded and reported (exit 1), not a panic.
    pub(super) fn run_script(&mut self, i: usize) {
        match self.script[i].clone() {
            Event::LoadKeys { count, .. } => self.load_keys(count),
            Event::Partition { heal_at_s, fraction, .. } => self.start_partition(heal_at_s, fraction),
            Event::Join { count, .. } => {
                for _ in 0..count {
                    self.join_new();
                }
            }
            Event::CrashFraction { fraction, .. } => {
                for a in self.pick_fraction(fraction) {
                    self.crash(a);
                }
            }
            Event::LeaveFraction { fraction, .. } => {
                for a in self.pick_fraction(fraction) {
                    self.leave(a);
                }
            }
            Event::Crash { node, at_s } | Event::Leave { node, at_s } => {
                let crash = matches!(self.script[i], Event::Crash { .. });
                match self.resolve(&node) {
                    Ok(a) if crash => self.crash(a),
                    Ok(a) => self.leave(a),
                    Err(e) => {
                        // Name the event as the file does: its index in file order, not time order.
                        let file_ix = self.sc.events.iter().position(|x| *x == self.script[i]).unwrap_or(i);
                        let part = if matches!(node, NodeRef::Id(_)) { "id" } else { "rank" };
                        self.script_error = Some(format!(
                            "event[{file_ix}].node.{part}: {e} at at_s = {at_s} (allowed: a node alive then)"
                        ));
                        self.stop_early = true;
                    }
                }
            }
        }
    }

    /// One lookup of the workload: random joined origin, uniformly random key.
    pub(super) fn lookup_arrival(&mut self, w: usize) {
        if let Some(a) = self.truth.joined().pick(&mut self.rng.workload) {
            let key = self.params.space.id(self.rng.workload.next_u64());
            self.lookup_from(a, key);
        }
        self.schedule_arrival(w, self.now, Ev::Lookup(w as u16));
        self.prefetch_next_lookup();
    }

    /// Draws the next arrival's origin and key from a copy of the workload stream (the real draws
    /// happen at that arrival, unchanged) and hints the origin's slot and the truth's answer for the
    /// key into the cache: a lookup's origin is a random node, the one event whose node the run loop
    /// cannot prefetch from the queue. A hint only; if the next draw goes elsewhere, nothing changes.
    fn prefetch_next_lookup(&self) {
        let mut peek = self.rng.workload.clone();
        if let Some(a) = self.truth.joined().pick(&mut peek) {
            crate::prefetch::prefetch(&self.nodes[a.0 as usize]);
            self.truth.prefetch_successor(self.params.space.id(peek.next_u64()));
        }
    }

    /// Node `a` starts a lookup for `key`; the checker judges it when it completes.
    pub fn lookup_from(&mut self, a: Addr, key: Id) {
        let tag = self.checker.lookup_started(self.now, key, a, &self.truth);
        self.with_node(a, 0, |n, ctx| n.start_lookup(ctx, key, Purpose::User(tag), None));
    }
}
