//! The slice recorder: an [`Observer`] that notes, from a start time on, every change an event makes to
//! a node — created, joined, crashed, left, successor, predecessor, successor-list entries dropped —
//! and the messages it sent that the network lost, each with the time and the kind of event that made
//! it. At the round that decided a verdict (or whenever the shell asks) it captures the final state
//! the classifier reads.
//!
//! Owns: the per-node "last seen" state (from the window's start: one O(N) snapshot, then one node per
//! targeted event and the truth's membership changes for the others) and the entry log, pruned to a
//! rolling window when asked (the shell).
//! Never: change the simulation, draw randomness or read the wall clock. It runs only in the
//! diagnostic re-run or in the shell, never in a normal run's loop.

use crate::output::trace::{Observed, Observer, kind_code, target};
use crate::protocol::msg::{Addr, Peer};
use crate::sim::engine::{Ev, Sim};

/// What one event did to one node.
#[derive(Clone, Debug, PartialEq)]
pub enum What {
    /// A new slot appeared (a joiner, before its join completes).
    Created,
    /// The join completed, with this successor.
    Joined {
        succ: Option<Peer>,
        succ_alive: bool,
    },
    Crashed,
    Left,
    /// The first successor changed; `alive`: whether the new one was alive when adopted.
    Succ {
        old: Option<Peer>,
        new: Option<Peer>,
        alive: bool,
    },
    Pred {
        old: Option<Peer>,
        new: Option<Peer>,
    },
    /// An entry left the successor list while it was still alive (`after_timeout`: the event was an
    /// RPC timeout, i.e. the node declared it dead).
    DroppedLive {
        peer: Peer,
        after_timeout: bool,
    },
    /// The successor list lost its last entry other than the node itself; `had` is what it held.
    ListEmptied {
        had: Vec<Peer>,
    },
    /// Messages this node sent while handling the event that the network lost.
    Lost(u32),
}

/// One change, at simulated time `at` (µs), made by an event of kind `cause` (see [`kind_code`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub at: u64,
    pub node: Peer,
    pub cause: u16,
    pub what: What,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Seen {
    alive: bool,
    joined: bool,
    list: Vec<Peer>,
    pred: Option<Peer>,
}

/// Records the slice; see the module doc.
pub struct Recorder {
    from_us: u64,
    /// Keep only entries this recent (µs), for a rolling record; `None` keeps all.
    keep_us: Option<u64>,
    /// Capture the final state at this round event, then stop recording.
    at_round: Option<u32>,
    started: bool,
    seen: Vec<Seen>,
    lost: u64,
    leaves: u64,
    pub entries: Vec<Entry>,
    pub captured: Option<super::classify::Final>,
}

impl Recorder {
    /// Records from `from_us` on; captures the final state at round `at_round`.
    #[must_use]
    pub fn window(from_us: u64, at_round: u32) -> Recorder {
        Recorder::new(from_us, None, Some(at_round))
    }

    /// Records all the time, keeping the last `keep_us` µs (the shell's `check`).
    #[must_use]
    pub fn rolling(keep_us: u64) -> Recorder {
        Recorder::new(0, Some(keep_us), None)
    }

    fn new(from_us: u64, keep_us: Option<u64>, at_round: Option<u32>) -> Recorder {
        Recorder {
            from_us,
            keep_us,
            at_round,
            started: false,
            seen: Vec::new(),
            lost: 0,
            leaves: 0,
            entries: Vec::new(),
            captured: None,
        }
    }

    fn seen(sim: &Sim, a: usize) -> Seen {
        let s = &sim.nodes()[a];
        let alive = s.alive && sim.truth().is_alive(Addr(a as u32));
        Seen {
            alive,
            joined: alive && s.node.is_joined(),
            list: if alive { s.node.succ_list().iter().copied().filter(|p| !p.is_pad()).collect() } else { Vec::new() },
            pred: if alive { s.node.predecessor() } else { None },
        }
    }

    fn begin(&mut self, sim: &Sim) {
        self.started = true;
        self.seen = (0..sim.nodes().len()).map(|a| Recorder::seen(sim, a)).collect();
        self.lost = sim.metrics().lost;
        self.leaves = sim.metrics().leaves;
    }

    /// Compares node `a` with what was last seen of it and logs the differences.
    fn check(&mut self, sim: &Sim, a: usize, cause: u16) {
        let now = Recorder::seen(sim, a);
        if a >= self.seen.len() {
            self.seen.resize(a + 1, Seen::default());
            self.push(sim, a, cause, What::Created);
        }
        let old = std::mem::replace(&mut self.seen[a], now.clone());
        if old == now {
            return;
        }
        if old.alive && !now.alive {
            let left = sim.metrics().leaves > self.leaves;
            self.push(sim, a, cause, if left { What::Left } else { What::Crashed });
            return;
        }
        if !old.joined && now.joined {
            let succ = now.list.first().copied();
            let succ_alive = succ.is_some_and(|p| sim.truth().is_alive(p.addr));
            self.push(sim, a, cause, What::Joined { succ, succ_alive });
        } else if old.list.first() != now.list.first() && now.alive {
            let new = now.list.first().copied();
            let alive = new.is_some_and(|p| sim.truth().is_alive(p.addr));
            self.push(sim, a, cause, What::Succ { old: old.list.first().copied(), new, alive });
        }
        if old.pred != now.pred && now.alive {
            self.push(sim, a, cause, What::Pred { old: old.pred, new: now.pred });
        }
        let others = |l: &[Peer]| l.iter().any(|p| p.addr.0 as usize != a);
        if now.alive && now.joined && others(&old.list) && !others(&now.list) {
            self.push(sim, a, cause, What::ListEmptied { had: old.list.clone() });
        }
        let timeout = cause == kind_code(&Ev::Timer { to: Addr(0), timer: crate::protocol::msg::Timer::RpcCheck });
        for p in old.list.iter().filter(|p| !now.list.contains(p) && p.addr.0 as usize != a) {
            // A live entry pushed off the end by a closer newcomer is routine; one declared dead is not.
            if sim.truth().is_alive(p.addr) && (timeout || now.list.len() < old.list.len()) {
                self.push(sim, a, cause, What::DroppedLive { peer: *p, after_timeout: timeout });
            }
        }
    }

    fn push(&mut self, sim: &Sim, a: usize, cause: u16, what: What) {
        self.entries.push(Entry { at: sim.now(), node: sim.nodes()[a].node.me(), cause, what });
    }

    fn prune(&mut self, now: u64) {
        if let Some(keep) = self.keep_us {
            let cut = now.saturating_sub(keep);
            let i = self.entries.partition_point(|e| e.at < cut);
            self.entries.drain(..i);
        }
    }
}

impl Observer for Recorder {
    fn start(&mut self, sim: &Sim) {
        if self.from_us == 0 {
            self.begin(sim);
        }
    }

    fn after_event(&mut self, sim: &Sim, ev: &Observed) {
        if self.captured.is_some() {
            return;
        }
        if !self.started {
            if ev.at < self.from_us {
                return;
            }
            self.begin(sim);
        }
        let cause = kind_code(&ev.ev);
        let t = target(&ev.ev);
        if let Some(a) = t {
            self.check(sim, a.0 as usize, cause);
            let lost = sim.metrics().lost - self.lost;
            if lost > 0 {
                self.push(sim, a.0 as usize, cause, What::Lost(lost.min(u64::from(u32::MAX)) as u32));
            }
        }
        for c in sim.truth().changes_since(sim.now()) {
            if Some(c.peer.addr) != t {
                self.check(sim, c.peer.addr.0 as usize, cause);
            }
        }
        for a in self.seen.len()..sim.nodes().len() {
            self.check(sim, a, cause);
        }
        self.lost = sim.metrics().lost;
        self.leaves = sim.metrics().leaves;
        if let Ev::Round(k) = ev.ev {
            self.prune(sim.now());
            if self.at_round == Some(k) {
                self.captured = Some(super::classify::Final::capture(sim));
            }
        }
    }
}
