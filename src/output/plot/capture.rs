//! What the plots need beyond the report, captured while the run goes: membership changes and
//! workload-lookup hops per round, and snapshots of the ring (node ids and successor pointers, judged
//! against the truth) at chosen rounds.
//!
//! Owns: [`Capture`], fed by `tools::run::Run` after each round of simulated time (so a snapshot
//! of round k is the state once every event at or before t = k · interval ran, the checker's round
//! event included) and once more at the end of the run. It reads the simulation like the checker does
//! — node accessors, the truth, the metrics counters — and keeps only what it will draw: a ring
//! snapshot of a large ring holds at most [`MAX_DRAWN`] nodes (every k-th in ring order, plus the nodes
//! whose successor is wrong), while its counts cover every live node.
//! Never: change the simulation, draw random numbers, or influence what the run does; a run with a
//! capture gives the same report, byte for byte, as one without.

use crate::oracle::checker::RoundRow;
use crate::scenario::Scenario;
use crate::sim::engine::Sim;
use crate::time::Time;

/// At most this many nodes are drawn in a ring picture.
pub const MAX_DRAWN: usize = 500;

/// Membership changes and workload-lookup hops in one round of simulated time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoundChanges {
    pub round: u32,
    pub joins: u64,
    pub crashes: u64,
    pub leaves: u64,
    /// Workload lookups that completed with an owner this round, and their hops (mean, 99th pct).
    pub hops_n: u64,
    pub hops_mean: f64,
    pub hops_p99: u64,
}

/// One drawn node of a ring snapshot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SnapNode {
    pub id: u64,
    pub succ: u64,
    pub succ_ok: bool,
    /// The node it names as successor is alive.
    pub succ_alive: bool,
    pub joined: bool,
}

/// The ring at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct RingSnap {
    pub round: u32,
    pub time_s: f64,
    /// Why this round was drawn ("asked", "first round with a problem", "end of run").
    pub why: String,
    pub id_bits: u32,
    pub live: u64,
    /// Live nodes whose successor is not the true one / that have not finished joining.
    pub wrong: u64,
    pub joining: u64,
    /// Every `stride`-th node in ring order is drawn (1: all), plus every node with a wrong successor
    /// (up to half of [`MAX_DRAWN`]).
    pub stride: usize,
    pub nodes: Vec<SnapNode>,
}

/// Collects the plots' extra data during a run.
#[derive(Clone, Debug, Default)]
pub struct Capture {
    /// Rounds to picture; `None`: automatic (first round with a problem, and the end).
    wanted: Option<Vec<u32>>,
    problem_taken: bool,
    base: (u64, u64, u64, Vec<u64>),
    pub rounds: Vec<RoundChanges>,
    pub rings: Vec<RingSnap>,
}

impl Capture {
    /// Pictures at `rounds` if given, else at the scenario's `[report] ring_pictures_at_rounds`, else
    /// automatic.
    #[must_use]
    pub fn new(sc: &Scenario, rounds: Option<Vec<u32>>) -> Capture {
        let wanted = rounds.or_else(|| sc.report.ring_pictures_at_rounds.clone());
        Capture { wanted, ..Capture::default() }
    }

    fn counters(sim: &Sim) -> (u64, u64, u64, Vec<u64>) {
        let m = sim.metrics();
        (m.joins, m.crashes, m.leaves, sim.checker().hops.counts().to_vec())
    }

    /// Before the first event: the counters' starting values (the initial ring counts as created).
    pub fn begin(&mut self, sim: &Sim) {
        self.base = Self::counters(sim);
    }

    /// After the events of round `k` ran; `new_rows` are the rows the checker added meanwhile.
    pub fn after_round(&mut self, sim: &Sim, k: u32, new_rows: &[RoundRow]) {
        let now = Self::counters(sim);
        let hist: Vec<u64> =
            now.3.iter().enumerate().map(|(i, &c)| c - self.base.3.get(i).copied().unwrap_or(0)).collect();
        let n: u64 = hist.iter().sum();
        let sum: u64 = hist.iter().enumerate().map(|(v, &c)| v as u64 * c).sum();
        let rank = (n * 99).div_ceil(100).max(1);
        let mut acc = 0;
        let p99 = hist.iter().position(|&c| {
            acc += c;
            acc >= rank
        });
        self.rounds.push(RoundChanges {
            round: k,
            joins: now.0 - self.base.0,
            crashes: now.1 - self.base.1,
            leaves: now.2 - self.base.2,
            hops_n: n,
            hops_mean: if n == 0 { 0.0 } else { sum as f64 / n as f64 },
            hops_p99: if n == 0 { 0 } else { p99.unwrap_or(0) as u64 },
        });
        self.base = now;
        let asked = self.wanted.as_ref().is_some_and(|w| w.contains(&k));
        let problem = new_rows.iter().any(|r| r.succ_ok < 1.0 || !r.violated.is_empty());
        if asked {
            self.rings.push(snapshot(sim, k, "asked"));
        } else if self.wanted.is_none() && problem && !self.problem_taken {
            self.problem_taken = true;
            self.rings.push(snapshot(sim, k, "first round with a wrong successor or a violated property"));
        }
    }

    /// At the end of the run: with automatic pictures, the final state (unless just taken).
    pub fn finish(&mut self, sim: &Sim) {
        if self.wanted.is_some() {
            return;
        }
        let k = (sim.now() / sim.sc().round_us().max(1)) as u32;
        if self.rings.last().is_some_and(|r| r.round == k) {
            return;
        }
        self.rings.push(snapshot(sim, k, "end of run"));
    }
}

/// The ring now: every live node judged, at most [`MAX_DRAWN`] kept.
#[must_use]
pub fn snapshot(sim: &Sim, round: u32, why: &str) -> RingSnap {
    let ring = sim.truth().sorted();
    let n = ring.len();
    let mut all = Vec::with_capacity(n);
    for (i, p) in ring.iter().enumerate() {
        let node = &sim.nodes()[p.addr.0 as usize].node;
        let s = node.successor();
        let truth = ring[(i + 1) % n];
        all.push(SnapNode {
            id: p.id.0,
            succ: s.id.0,
            succ_ok: node.is_joined() && s == truth,
            succ_alive: sim.truth().is_alive(s.addr),
            joined: node.is_joined(),
        });
    }
    let wrong = all.iter().filter(|x| !x.succ_ok).count();
    let joining = all.iter().filter(|x| !x.joined).count() as u64;
    let (nodes, stride) = thin(&all, wrong);
    RingSnap {
        round,
        time_s: Time(sim.now()).as_secs_f64(),
        why: why.to_string(),
        id_bits: sim.sc().id_bits,
        live: n as u64,
        wrong: wrong as u64,
        joining,
        stride,
        nodes,
    }
}

/// Keeps every node if there are few; else every k-th node and (up to half the budget, evenly
/// spread) the nodes with a wrong successor, in ring order.
fn thin(all: &[SnapNode], wrong: usize) -> (Vec<SnapNode>, usize) {
    if all.len() <= MAX_DRAWN {
        return (all.to_vec(), 1);
    }
    let bad_budget = MAX_DRAWN / 2;
    let bad_every = wrong.div_ceil(bad_budget).max(1);
    let kept_bad = wrong.div_ceil(bad_every);
    let stride = all.len().div_ceil(MAX_DRAWN - kept_bad).max(1);
    let mut bad_seen = 0;
    let mut out = Vec::with_capacity(MAX_DRAWN);
    for (i, x) in all.iter().enumerate() {
        let keep_bad = !x.succ_ok && {
            bad_seen += 1;
            (bad_seen - 1) % bad_every == 0
        };
        if keep_bad || (x.succ_ok && i % stride == 0) {
            out.push(*x);
        }
    }
    (out, stride)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: u64, ok: bool) -> SnapNode {
        SnapNode { id, succ: id + 1, succ_ok: ok, succ_alive: true, joined: true }
    }

    #[test]
    fn thinning_keeps_the_budget_and_the_wrong_nodes() {
        let small: Vec<SnapNode> = (0..100).map(|i| node(i, i != 7)).collect();
        assert_eq!(thin(&small, 1), (small.clone(), 1));
        let big: Vec<SnapNode> = (0..10_000).map(|i| node(i, i % 1000 != 0)).collect();
        let (kept, stride) = thin(&big, 10);
        assert!(kept.len() <= MAX_DRAWN, "{}", kept.len());
        assert_eq!(kept.iter().filter(|x| !x.succ_ok).count(), 10, "every wrong node kept");
        assert_eq!(stride, 21);
        assert!(kept.windows(2).all(|w| w[0].id < w[1].id), "ring order");
        let all_bad: Vec<SnapNode> = (0..10_000).map(|i| node(i, false)).collect();
        let (kept, _) = thin(&all_bad, 10_000);
        assert_eq!(kept.len(), 250, "wrong nodes take at most half the budget");
    }
}
