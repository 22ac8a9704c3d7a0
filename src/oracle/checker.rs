//! The outside oracle: after each round, compares every node's routing state and a sample of probe
//! lookups with the true ring; judges every workload lookup when it completes; decides convergence.
//!
//! Owns: per-round rows, lookup and probe tallies, in-flight workload lookups, and the
//! convergence rule of DESIGN.md principle 5 (after the last membership change, every successor,
//! predecessor and successor list correct and every probe correct within `quiet_rounds_max` rounds;
//! fingers are reported, not required). Reads nodes only through their public read-only accessors and
//! [`Node::route`], which is pure.
//! Never: send a message, change node state, or use the simulator's protocol RNG streams.

use crate::id::{Id, IdSpace};
use crate::oracle::metrics::{Hist, round6};
pub use crate::oracle::truth::Truth;
use crate::protocol::msg::{Addr, Peer};
use crate::protocol::node::{Node, Route};
use crate::protocol::options::Params;
use crate::rng::Rng;
use crate::scenario::{Expect, Scenario};
use crate::time::Time;
use serde::Serialize;

/// How a workload lookup ended, judged against the truth when it completed.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LookupOutcome {
    Correct,
    Wrong,
    Failed,
    /// The answer was the key's true successor at some moment while the lookup was in flight.
    Ambiguous,
}

#[derive(Default, Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct LookupCounts {
    pub done: u64,
    pub correct: u64,
    pub wrong: u64,
    pub failed: u64,
    pub ambiguous: u64,
}

impl LookupCounts {
    fn add(&mut self, o: LookupOutcome) {
        self.done += 1;
        match o {
            LookupOutcome::Correct => self.correct += 1,
            LookupOutcome::Wrong => self.wrong += 1,
            LookupOutcome::Failed => self.failed += 1,
            LookupOutcome::Ambiguous => self.ambiguous += 1,
        }
    }
}

/// One checked round.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct RoundRow {
    pub round: u32,
    pub time_s: f64,
    pub live: u64,
    pub joined: u64,
    /// Live nodes whose state was compared: all of them up to 10^5, a ring-order sample above.
    pub checked: u64,
    /// Fractions of live nodes whose successor / predecessor / whole successor list is correct.
    pub succ_ok: f64,
    pub pred_ok: f64,
    pub list_ok: f64,
    /// Fraction of finger entries (over live nodes) that are correct, and of nodes with all correct.
    pub finger_entries_ok: f64,
    pub fingers_all_ok: f64,
    /// Nodes whose fingers were compared: all checked nodes up to 2,000, every k-th above.
    pub fingers_checked: u64,
    pub probes: u64,
    pub probes_ok: u64,
    pub probe_hops_mean: f64,
    pub probe_timeouts_mean: f64,
    /// Workload lookups completed since the previous checked round.
    pub lookups: LookupCounts,
    /// Messages sent since the previous checked round.
    pub msgs: u64,
    pub converged: bool,
    /// Zave's properties violated this round (names as in zave.md).
    #[serde(deserialize_with = "crate::oracle::checker::names::de_vec")]
    pub violated: Vec<&'static str>,
    /// Principal nodes (TSE'17): members skipped by no extended successor list.
    pub principals: u64,
    /// DHT accounting, when the DHT runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dht: Option<DhtRow>,
    /// With `check.warmup_s`: whether this round falls in the warm-up (its probes are then left out
    /// of the summary). Absent without a warm-up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warmup: Option<bool>,
    /// Workload lookup latency and stretch this round, when the scenario measures them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<RoundLatency>,
}

/// A workload lookup as it completed at its origin.
#[derive(Copy, Clone, Debug)]
pub struct Done {
    pub now: u64,
    pub owner: Option<Peer>,
    pub hops: u16,
    pub timeouts: u16,
    /// Direct one-way delay from the origin to the key's true owner (per-pair latency models).
    pub direct_us: Option<u64>,
}

#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Inflight {
    start: u64,
    key: Id,
    origin: Addr,
    /// The true owner of `key` at the start, valid while the truth's version is `version`: most
    /// lookups finish before membership changes, and then need no second search of the ring.
    want: Option<Peer>,
    version: u64,
}

#[derive(serde::Serialize, serde::Deserialize)]
pub struct Checker {
    space: IdSpace,
    r: usize,
    probe_keys: u32,
    max_steps: u16,
    quiet_start: u64,
    quiet_rounds_max: u64,
    round_us: u64,
    check_convergence: bool,
    inflight: Vec<Option<Inflight>>,
    free: Vec<u32>,
    pub started: u64,
    pub abandoned: u64,
    pub lookups: LookupCounts,
    round_lookups: LookupCounts,
    pub hops: Hist,
    pub timeouts: Hist,
    pub probe_hops: Hist,
    pub probe_timeouts: Hist,
    pub probes_total: u64,
    pub probes_ok: u64,
    /// In a checkpoint as JSON text (rows skip absent fields, which the binary format cannot).
    #[serde(with = "crate::oracle::checker::names::json_text")]
    pub rounds: Vec<RoundRow>,
    pub converged_round: Option<u32>,
    /// Set when the run failed to converge: names a node, what it holds and the truth.
    pub failure: Option<String>,
    skip: Vec<Peer>,
    zave: bool,
    perfect_fd: bool,
    /// `check.on_violation = "stop"`: end the run at the round that decides the verdict.
    stop_on_violation: bool,
    /// The checked round that decided a failure verdict (safety or no convergence), if any.
    pub verdict_round: Option<u32>,
    pub props: PropReport,
    /// Set when a safety property failed: names the property, the nodes and the round.
    pub safety: Option<String>,
    /// The safety violation seen in the latest checked round, if any.
    last_safety: Option<String>,
    /// The failure injector refuses crashes outside Zave's assumptions.
    guarded: bool,
    /// DHT ground truth, when the DHT runs.
    pub dht: Option<DhtTruth>,
    /// The latest checked round was outside the operating assumptions.
    assumption_broken: bool,
    /// End of the warm-up (µs): lookups started and rounds checked before it are not summarised.
    warmup_us: u64,
    /// Workload lookups started during the warm-up (not in `started`).
    pub warmup_started: u64,
    /// Probes of the current snapshot count towards the summary (it is past the warm-up).
    summarise_probes: bool,
    /// Scripted partitions `(start, heal)` in µs (see `checker/split.rs`).
    partitions: Vec<(u64, u64)>,
    /// Lookup latency and stretch, for scenarios that measure them.
    pub latency: Option<LatencyStats>,
}

mod dht;
mod latency;
pub mod names;
mod props;
mod restore;
mod split;
mod state;
mod view;
pub use dht::{DhtCounts, DhtRow, DhtTruth};
pub use latency::{FDist, LatencyReport, LatencyStats, RoundLatency};
pub use props::{PropReport, PropTally, SimView, ViolationRecord, is_safety};
pub use split::windows as partition_windows;
pub use view::NodeView;

impl Checker {
    pub fn new(sc: &Scenario) -> Self {
        Checker {
            space: sc.space(),
            r: sc.protocol.successor_list_len as usize,
            probe_keys: sc.check.probe_keys,
            max_steps: sc.protocol.lookup_max_steps.min(u32::from(u16::MAX)) as u16,
            quiet_start: sc.last_change_us(),
            quiet_rounds_max: u64::from(sc.check.quiet_rounds_max),
            round_us: sc.round_us().max(1),
            check_convergence: sc.expect != Expect::NoCheck,
            inflight: Vec::new(),
            free: Vec::new(),
            started: 0,
            abandoned: 0,
            lookups: LookupCounts::default(),
            round_lookups: LookupCounts::default(),
            hops: Hist::default(),
            timeouts: Hist::default(),
            probe_hops: Hist::default(),
            probe_timeouts: Hist::default(),
            probes_total: 0,
            probes_ok: 0,
            rounds: Vec::new(),
            converged_round: None,
            failure: None,
            skip: Vec::new(),
            zave: sc.protocol.variant == crate::scenario::Variant::Zave,
            perfect_fd: sc.perfect_failure_detection(),
            stop_on_violation: sc.check.on_violation == crate::scenario::OnViolation::Stop,
            verdict_round: None,
            props: PropReport::default(),
            safety: None,
            last_safety: None,
            guarded: sc.guard_crashes(),
            dht: sc.dht.enabled.then(DhtTruth::default),
            assumption_broken: false,
            warmup_us: Time::from_s(sc.check.warmup_s).us(),
            warmup_started: 0,
            summarise_probes: true,
            partitions: split::windows(sc),
            latency: LatencyStats::wanted(sc).then(LatencyStats::default),
        }
    }

    /// Registers a workload lookup; returns the tag the node echoes back.
    pub fn lookup_started(&mut self, now: u64, key: Id, origin: Addr, truth: &Truth) -> u32 {
        if now < self.warmup_us {
            self.warmup_started += 1;
        } else {
            self.started += 1;
        }
        let f = Inflight { start: now, key, origin, want: truth.successor(key), version: truth.version() };
        if let Some(t) = self.free.pop() {
            self.inflight[t as usize] = Some(f);
            t
        } else {
            self.inflight.push(Some(f));
            self.inflight.len() as u32 - 1
        }
    }

    /// The origin of some in-flight lookups crashed or left: they will never complete.
    pub fn origin_gone(&mut self, a: Addr) {
        for (t, slot) in self.inflight.iter_mut().enumerate() {
            if let Some(f) = *slot
                && f.origin == a
            {
                *slot = None;
                self.free.push(t as u32);
                self.abandoned += u64::from(f.start >= self.warmup_us);
            }
        }
    }

    /// Judges a completed workload lookup against the truth at completion time.
    pub fn judge_lookup(&mut self, truth: &Truth, tag: u32, key: Id, done: Done) {
        let Done { owner, hops, timeouts, .. } = done;
        let Some(f) = self.inflight.get_mut(tag as usize).and_then(Option::take) else { return };
        self.free.push(tag);
        debug_assert_eq!(f.key, key);
        let want = if f.version == truth.version() { f.want } else { truth.successor(key) };
        let outcome = match owner {
            None => LookupOutcome::Failed,
            Some(o) if want == Some(o) => LookupOutcome::Correct,
            Some(o) if self.was_successor(truth, key, o, f.start) => LookupOutcome::Ambiguous,
            Some(_) => LookupOutcome::Wrong,
        };
        self.round_lookups.add(outcome);
        if f.start < self.warmup_us {
            return; // listed in its round's row, left out of the summary
        }
        self.lookups.add(outcome);
        if outcome != LookupOutcome::Failed {
            self.hops.add(u64::from(hops));
            if let Some(l) = self.latency.as_mut() {
                let direct = done.direct_us.filter(|_| outcome == LookupOutcome::Correct);
                l.add(done.now.saturating_sub(f.start), direct);
            }
        }
        self.timeouts.add(u64::from(timeouts));
    }

    /// Was `o` the true successor of `key` at some moment since `since`? Walks the membership changes
    /// backwards from now, tracking whether `o` was alive and how many live nodes lay in `[key, o)`.
    fn was_successor(&self, truth: &Truth, key: Id, o: Peer, since: u64) -> bool {
        let changes = truth.changes_since(since);
        let mut alive = truth.is_alive(o.addr);
        let mut between = truth.count_in(key, o.id, changes.len()) as i64;
        for c in changes.iter().rev() {
            let inside = self.space.in_closed_open(c.peer.id, key, o.id) && c.peer.id != o.id;
            if c.peer == o {
                alive = !c.added;
            } else if inside {
                between += if c.added { -1 } else { 1 };
            }
            if alive && between == 0 {
                return true;
            }
        }
        false
    }

    /// Did the latest checked round violate a safety property?
    #[must_use]
    pub fn safety_now(&self) -> bool {
        self.last_safety.is_some()
    }

    /// Stop at every verdict (the shell, which reports each one and goes on with `take_verdict`).
    pub fn stop_at_verdicts(&mut self) {
        self.stop_on_violation = true;
    }

    /// Takes the decided verdict's reason and forgets it, so that a later round can decide again.
    pub fn take_verdict(&mut self) -> Option<String> {
        self.verdict_round = None;
        self.safety.take().or_else(|| self.failure.take())
    }

    /// The oldest start of an in-flight lookup (membership changes before it can be forgotten).
    #[must_use]
    pub fn oldest_inflight(&self) -> Option<u64> {
        self.inflight.iter().flatten().map(|f| f.start).min()
    }

    /// Checks round `k`. Returns true when the run should stop: a violation decided the verdict in
    /// this round and `check.on_violation` is `stop`. With `continue` the run goes on; the first
    /// decision stands and later rounds are only recorded (and may show the ring converging).
    #[allow(clippy::too_many_arguments)]
    pub fn check_round<V: NodeView>(
        &mut self,
        k: u32,
        now: u64,
        nodes: &[V],
        truth: &Truth,
        params: &Params,
        rng: &mut Rng,
        msgs: u64,
    ) -> bool {
        let (mut row, reason) = self.snapshot(now, nodes, truth, params, rng);
        let (violated, principals, safety) = self.check_properties(k, now, nodes, truth);
        row.round = k;
        row.msgs = msgs;
        row.lookups = std::mem::take(&mut self.round_lookups);
        row.latency = self.latency.as_mut().map(LatencyStats::take_round);
        let split = self.split_after_heal(k, now, &violated);
        row.violated = violated;
        row.principals = principals;
        let converged = row.converged;
        if converged {
            self.assumption_broken = false;
        }
        self.rounds.push(row);
        self.last_safety = safety.map(|s| format!("round {k} (t = {:.3} s): {s}", Time(now).as_secs_f64()));
        if self.verdict_round.is_some() {
            if converged && self.converged_round.is_none() && now > self.quiet_start {
                self.converged_round = Some(k);
            }
            return false;
        }
        if !self.judge(k, now, split, converged, reason) {
            return false;
        }
        self.verdict_round = Some(k);
        self.stop_on_violation
    }

    /// Decides round `k`'s verdict, if it decides one (true: `safety` or `failure` is now set).
    fn judge(&mut self, k: u32, now: u64, split: Option<String>, converged: bool, reason: Option<String>) -> bool {
        if split.is_some() && self.check_convergence {
            self.failure = split;
            return true;
        }
        // A ton03 member with no live successor takes its predecessor as successor (Fig. 6 with
        // successor = n), or with `successor_fallback` its nearest finger (`Node::successor`), which
        // can mend a ring Zave's model calls unrepairable: not final yet.
        let mendable = !self.zave && self.rounds.last().is_some_and(|r| r.violated.contains(&"OneLiveSuccessor"));
        if self.perfect_fd && self.last_safety.is_some() && !self.assumption_broken && !mendable {
            // Only false suspicions could make such a violation transient, and there are none.
            self.safety = self.last_safety.clone();
            return true;
        }
        self.judge_convergence(k, now, converged, reason)
    }

    /// Compares every live node with the truth and runs the probe lookups, without recording a round.
    /// Returns the row (round, msgs and lookups left empty) and the first problem found.
    pub fn snapshot<V: NodeView>(
        &mut self,
        now: u64,
        nodes: &[V],
        truth: &Truth,
        params: &Params,
        rng: &mut Rng,
    ) -> (RoundRow, Option<String>) {
        self.summarise_probes = now >= self.warmup_us;
        let ring = truth.sorted();
        let stride = ring.len().div_ceil(state::MAX_CHECKED).max(1);
        let offset = if stride > 1 { rng.below(stride as u64) as usize } else { 0 };
        let st = self.check_states(&ring, nodes, params, stride, offset);
        let (probes, probes_ok, hops, touts, probe_reason) = self.run_probes(nodes, truth, rng);
        let n = ring.len() as u64;
        let checked = st.checked;
        let frac = |x: u64| if checked == 0 { 1.0 } else { round6(x as f64 / checked as f64) };
        let mean = |x: u64| if probes == 0 { 0.0 } else { round6(x as f64 / probes as f64) };
        let row = RoundRow {
            round: 0,
            time_s: Time(now).as_secs_f64(),
            live: n,
            joined: truth.joined().len() as u64,
            checked,
            succ_ok: frac(st.succ),
            pred_ok: frac(st.pred),
            list_ok: frac(st.list),
            finger_entries_ok: if st.finger_total == 0 {
                1.0
            } else {
                round6(st.finger_ok as f64 / st.finger_total as f64)
            },
            fingers_all_ok: if st.finger_nodes == 0 {
                1.0
            } else {
                round6(st.fingers_all as f64 / st.finger_nodes as f64)
            },
            fingers_checked: st.finger_nodes,
            probes,
            probes_ok,
            probe_hops_mean: mean(hops),
            probe_timeouts_mean: mean(touts),
            lookups: LookupCounts::default(),
            msgs: 0,
            violated: Vec::new(),
            principals: 0,
            dht: None,
            warmup: (self.warmup_us > 0).then_some(now < self.warmup_us),
            latency: None,
            converged: n > 0 && st.succ == checked && st.pred == checked && st.list == checked && probes_ok == probes,
        };
        (row, st.reason.or(probe_reason))
    }

    fn judge_convergence(&mut self, k: u32, now: u64, converged: bool, reason: Option<String>) -> bool {
        if now <= self.quiet_start || self.converged_round.is_some() {
            return false;
        }
        if converged {
            self.converged_round = Some(k);
            return false;
        }
        let quiet_rounds = (now - self.quiet_start) / self.round_us;
        if self.check_convergence && quiet_rounds >= self.quiet_rounds_max {
            if let Some(s) = &self.last_safety {
                self.safety =
                    Some(format!("still violated {quiet_rounds} rounds after the last membership change: {s}"));
                return true;
            }
            let why = reason.unwrap_or_else(|| "no live node".to_string());
            self.failure = Some(format!("not converged {quiet_rounds} rounds after the last membership change: {why}"));
            return true;
        }
        false
    }

    /// Probe lookups: `probe_keys` random keys from random joined nodes, walked over current states.
    fn run_probes<V: NodeView>(
        &mut self,
        nodes: &[V],
        truth: &Truth,
        rng: &mut Rng,
    ) -> (u64, u64, u64, u64, Option<String>) {
        let (mut ok, mut hops_sum, mut touts_sum, mut reason) = (0, 0, 0, None);
        let mut done = 0;
        for _ in 0..self.probe_keys {
            let Some(a) = truth.joined().pick(rng) else { break };
            let key = self.space.id(rng.next_u64());
            let (owner, hops, touts) = self.probe(nodes, truth, a, key);
            let want = truth.successor(key);
            done += 1;
            hops_sum += u64::from(hops);
            touts_sum += u64::from(touts);
            let correct = owner.is_some() && owner == want;
            self.tally_probe(correct, hops, touts);
            if correct {
                ok += 1;
            } else if reason.is_none() {
                let me = nodes[a.0 as usize].node().me();
                let got = owner.map_or("nothing (gave up)".to_string(), |o| o.id.to_string());
                let want = want.map_or("none".to_string(), |w| w.id.to_string());
                reason = Some(format!("probe lookup from node {} for key {key} returned {got}, truth {want}", me.id));
            }
        }
        (done, ok, hops_sum, touts_sum, reason)
    }

    /// Adds one probe to the summary tallies, unless it ran during the warm-up.
    fn tally_probe(&mut self, correct: bool, hops: u16, touts: u16) {
        if !self.summarise_probes {
            return;
        }
        self.probes_total += 1;
        self.probe_timeouts.add(u64::from(touts));
        if correct {
            self.probes_ok += 1;
            self.probe_hops.add(u64::from(hops));
        }
    }

    /// One probe: the routing function of each node over its current state, no messages. A dead (or
    /// not yet joined) hop counts as a timeout and the walk asks the same node for its next candidate,
    /// as the real lookup would after being told of the dead node.
    pub fn probe<V: NodeView>(
        &mut self,
        nodes: &[V],
        truth: &Truth,
        origin: Addr,
        key: Id,
    ) -> (Option<Peer>, u16, u16) {
        let (mut hops, mut touts, mut steps) = (0u16, 0u16, 0u16);
        let mut cur: &Node = nodes[origin.0 as usize].node();
        self.skip.clear();
        while steps < self.max_steps {
            steps += 1;
            let (next, done) = match cur.route(key, &self.skip) {
                Route::Done(s) => (s, true),
                Route::Next(h) => (h, false),
            };
            if next == cur.me() {
                // A hop that names itself as owner is then pinged by the origin, as any owner: a hop.
                let pinged = u16::from(cur.me().addr != origin);
                return (Some(next), hops + pinged, touts);
            }
            // A final owner only has to answer a ping; a hop has to route, so it must have joined.
            let reachable = if done { truth.is_alive(next.addr) } else { truth.is_joined(next.addr) };
            if !reachable {
                touts += 1;
                self.skip.push(next);
                continue;
            }
            hops += 1;
            if done {
                return (Some(next), hops, touts);
            }
            cur = nodes[next.addr.0 as usize].node();
            self.skip.clear();
        }
        (None, hops, touts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The owner recorded at a lookup's start is used only while membership is unchanged: a join
    /// in between makes the new node the owner, and the old answer then counts as ambiguous.
    #[test]
    fn owner_cached_at_start_is_dropped_when_membership_changes() {
        let sc = Scenario::parse("duration_s = 400\n[initial]\nnodes = 2\n", "t.toml", "t").expect("valid");
        let mut c = Checker::new(&sc);
        let mut t = Truth::default();
        let p = |id: u64, a: u32| Peer { id: Id(id), addr: Addr(a) };
        t.add(p(100, 0), 0);
        t.add(p(200, 1), 0);
        let done = |owner| Done { now: 5, owner: Some(owner), hops: 1, timeouts: 0, direct_us: None };
        let a = c.lookup_started(1, Id(150), Addr(0), &t);
        c.judge_lookup(&t, a, Id(150), done(p(200, 1)));
        assert_eq!((c.lookups.done, c.lookups.correct), (1, 1));
        let b = c.lookup_started(2, Id(150), Addr(0), &t);
        t.add(p(160, 2), 3); // now the owner of 150
        c.judge_lookup(&t, b, Id(150), done(p(200, 1)));
        assert_eq!((c.lookups.correct, c.lookups.ambiguous), (1, 1), "the start's owner is stale");
        let d = c.lookup_started(4, Id(150), Addr(0), &t);
        c.judge_lookup(&t, d, Id(150), done(p(160, 2)));
        assert_eq!(c.lookups.correct, 2);
    }
}
