//! Naming a failure: the final state at the deciding round ([`Final`]: the violated properties, the
//! nodes they name and what those nodes hold) and the rules that match it, with the recorded slice,
//! to a failure class.
//!
//! Owns: the classes and their rules, tried in this order (the first that matches wins):
//! 1. `ring_split_by_partition`: a scripted partition began before the deciding round;
//! 2. `false_suspicion`: a focus node, or a node it points at, dropped a live node from its successor
//!    list after an RPC timeout (a lost message or a slow answer), or lost messages in the slice did;
//! 3. `isolated_joiner`: a focus node joined within the slice and its join successor died or it ends
//!    as its own successor (the ToN'03 join window);
//! 4. `successor_list_exhausted`: a focus member lost the last live entry of its successor list in
//!    the slice (every one of its r successors died within the repair period that would have
//!    refilled the list);
//! 5. Zave's counterexample classes (zave.md, "Counterexample traces") where the pattern matches: T1
//!    (a dead node adopted as successor, AtLeastOneRing), T2 (a join onto a dead successor,
//!    ConnectedAppendages), T3 (stale list entries promoted after crashes, AtMostOneRing; T3' for
//!    OrderedRing), T4 (ValidSuccessorList), T5 (OrderedMerges), T6 (OrderedAppendages);
//! 6. `unclassified`, with the slice.
//!
//! Never: run the simulation or change node state; it only reads a [`Sim`] through `capture`.

use super::record::{Entry, What};
use crate::oracle::checker::{SimView, is_safety};
use crate::oracle::zave::properties::check_all_counting;
use crate::protocol::msg::{Addr, Peer};
use crate::sim::engine::Sim;
use crate::time::Time;

/// At most this many focus nodes (violating or wrong) are named.
pub const MAX_FOCUS: usize = 8;

/// A node as it stood at the deciding round.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeAt {
    pub peer: Peer,
    pub alive: bool,
    pub joined: bool,
    /// Successor list, each entry with whether it is alive.
    pub list: Vec<(Peer, bool)>,
    pub pred: Option<(Peer, bool)>,
}

/// What the deciding round showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Final {
    pub at: u64,
    /// Zave's properties violated, in the checker's order.
    pub violated: Vec<&'static str>,
    /// The nodes the violations name (or, with none, the nodes whose successor or predecessor is
    /// wrong), capped at [`MAX_FOCUS`].
    pub focus: Vec<NodeAt>,
    /// Focus nodes plus every node their pointers name.
    pub relevant: Vec<Addr>,
}

fn node_at(sim: &Sim, a: Addr) -> NodeAt {
    let s = &sim.nodes()[a.0 as usize];
    let alive = s.alive && sim.truth().is_alive(a);
    let live = |p: Peer| !p.is_pad() && sim.truth().is_alive(p.addr);
    let list = if alive { s.node.succ_list().iter().map(|&p| (p, live(p))).collect() } else { Vec::new() };
    NodeAt {
        peer: s.node.me(),
        alive,
        joined: alive && s.node.is_joined(),
        list,
        pred: if alive { s.node.predecessor().map(|p| (p, live(p))) } else { None },
    }
}

/// Live joined nodes whose first successor or predecessor differs from the truth.
fn wrong_nodes(sim: &Sim) -> Vec<Addr> {
    let ring = sim.truth().sorted();
    let n = ring.len();
    let mut out = Vec::new();
    for (i, me) in ring.iter().enumerate() {
        let node = &sim.nodes()[me.addr.0 as usize].node;
        let (succ, pred) = (ring[(i + 1) % n], ring[(i + n - 1) % n]);
        if node.is_joined() && (node.successor() != succ || node.predecessor() != Some(pred)) {
            out.push(me.addr);
            if out.len() == MAX_FOCUS {
                break;
            }
        }
    }
    out
}

impl Final {
    /// Reads the state the checker judged at this moment.
    #[must_use]
    pub fn capture(sim: &Sim) -> Final {
        let view = SimView::build(sim.nodes(), sim.truth(), sim.params().r);
        let (violations, _) = check_all_counting(&view);
        let n = sim.nodes().len();
        let mut focus_addrs: Vec<Addr> = Vec::new();
        // The deciding violation is the first safety one (as the checker names it); others only when
        // none is.
        let zave = sim.sc().protocol.variant == crate::scenario::Variant::Zave;
        let deciding: Vec<_> = match violations.iter().find(|v| is_safety(v.property, zave)) {
            Some(v) => vec![v],
            None => violations.iter().collect(),
        };
        for v in deciding {
            for &x in v.nodes.iter().filter(|&&x| x < n) {
                if focus_addrs.len() < MAX_FOCUS && !focus_addrs.contains(&Addr(x as u32)) {
                    focus_addrs.push(Addr(x as u32));
                }
            }
        }
        if focus_addrs.is_empty() {
            focus_addrs = wrong_nodes(sim);
        }
        let focus: Vec<NodeAt> = focus_addrs.iter().map(|&a| node_at(sim, a)).collect();
        let mut relevant = focus_addrs.clone();
        for f in &focus {
            let named = f.list.iter().map(|(p, _)| *p).chain(f.pred.map(|(p, _)| p));
            for p in named.filter(|p| !p.is_pad()) {
                if !relevant.contains(&p.addr) {
                    relevant.push(p.addr);
                }
            }
        }
        let mut violated: Vec<&'static str> = violations.iter().map(|v| v.property.name()).collect();
        violated.dedup();
        Final { at: sim.now(), violated, focus, relevant }
    }

    fn is_focus(&self, a: Addr) -> bool {
        self.focus.iter().any(|f| f.peer.addr == a)
    }
}

/// A class and the sentence that explains it.
pub struct Named {
    pub class: &'static str,
    pub summary: String,
}

/// What the classifier reads besides the final state.
pub struct Context<'a> {
    pub slice: &'a [Entry],
    /// Scripted partitions `(start, heal)`, µs.
    pub partitions: &'a [(u64, u64)],
    /// Stabilization period (µs): the repair period a successor list has.
    pub period_us: u64,
}

#[must_use]
pub fn secs(us: u64) -> String {
    format!("{:.3} s", Time(us).as_secs_f64())
}

/// Applies the rules of the module doc in order.
#[must_use]
pub fn classify(f: &Final, c: &Context) -> Named {
    partition(f, c)
        .or_else(|| false_suspicion(f, c))
        .or_else(|| isolated_joiner(f, c))
        .or_else(|| exhausted(f, c))
        .or_else(|| zave_pattern(f, c))
        .unwrap_or_else(|| Named {
            class: "unclassified",
            summary: format!(
                "no known pattern matches{}; see the slice",
                if f.violated.is_empty() { String::new() } else { format!(" ({})", f.violated.join(", ")) }
            ),
        })
}

fn partition(f: &Final, c: &Context) -> Option<Named> {
    let &(a, h) = c.partitions.iter().filter(|&&(a, _)| a <= f.at).max_by_key(|&&(_, h)| h)?;
    let state = if h <= f.at { format!("healed at {}", secs(h)) } else { "still in force".to_string() };
    Some(Named {
        class: "ring_split_by_partition",
        summary: format!(
            "the ring split while the partition of {}–{} was in force ({state}); stabilization never merges \
             two rings",
            secs(a),
            secs(h)
        ),
    })
}

fn false_suspicion(f: &Final, c: &Context) -> Option<Named> {
    let hit = c.slice.iter().find(|e| {
        matches!(e.what, What::DroppedLive { peer, after_timeout: true }
            if f.relevant.contains(&e.node.addr) && (f.relevant.contains(&peer.addr) || f.is_focus(e.node.addr)))
    })?;
    let What::DroppedLive { peer, .. } = hit.what else { return None };
    let lost: u32 = c.slice.iter().map(|e| if let What::Lost(n) = e.what { n } else { 0 }).sum();
    Some(Named {
        class: "false_suspicion",
        summary: format!(
            "{} declared live node {} dead after an RPC timeout at {} ({lost} messages lost in the slice)",
            hit.node.id,
            peer.id,
            secs(hit.at)
        ),
    })
}

fn isolated_joiner(f: &Final, c: &Context) -> Option<Named> {
    for n in &f.focus {
        let Some(j) = c.slice.iter().find(|e| e.node.addr == n.peer.addr && matches!(e.what, What::Joined { .. }))
        else {
            continue;
        };
        let What::Joined { succ, succ_alive } = j.what else { continue };
        let alone = n.list.first().is_none_or(|(p, _)| p.addr == n.peer.addr);
        let succ_died = succ.and_then(|s| {
            let gone = c.slice.iter().find(|e| e.node.addr == s.addr && matches!(e.what, What::Crashed | What::Left));
            gone.map(|e| (e.at, if e.what == What::Left { "left" } else { "crashed" }))
        });
        if !(alone || succ_died.is_some() || !succ_alive) {
            continue;
        }
        let s = succ.map_or("none".to_string(), |p| p.id.to_string());
        let fate = match (succ_alive, succ_died) {
            (false, _) => "already dead when the join adopted it".to_string(),
            (true, Some((t, how))) => format!("{how} at {}", secs(t)),
            (true, None) => "alive".to_string(),
        };
        return Some(Named {
            class: "isolated_joiner",
            summary: format!(
                "{} joined at {} with successor {s} ({fate}); {} — the join window: a one-entry list lost its \
                 only link into the ring",
                n.peer.id,
                secs(j.at),
                if alone { "it ends as its own successor, a ring of one" } else { "it was cut off" }
            ),
        });
    }
    None
}

fn exhausted(f: &Final, c: &Context) -> Option<Named> {
    for n in &f.focus {
        let emptied = c.slice.iter().rev().find_map(|e| match &e.what {
            What::ListEmptied { had } if e.node.addr == n.peer.addr => Some((e.at, had)),
            _ => None,
        });
        let Some((at, had)) = emptied else { continue };
        let gone =
            |p: &Peer| c.slice.iter().find(|e| e.node.addr == p.addr && matches!(e.what, What::Crashed | What::Left));
        let deaths: Vec<u64> = had.iter().filter_map(gone).map(|e| e.at).collect();
        let (first, last) = (deaths.iter().min().copied(), deaths.iter().max().copied());
        let when = match (first, last) {
            (Some(a), Some(b)) => format!(
                "{} of them died in the slice, between {} and {} ({} apart; one stabilization period is {})",
                deaths.len(),
                secs(a),
                secs(b),
                secs(b - a),
                secs(c.period_us)
            ),
            _ => "they died before the slice".to_string(),
        };
        let ids: Vec<String> = had.iter().map(|p| p.id.to_string()).collect();
        return Some(Named {
            class: "successor_list_exhausted",
            summary: format!(
                "{} lost every successor at {} — its list held [{}]; {when}; with no live entry left it became \
                 its own successor",
                n.peer.id,
                secs(at),
                ids.join(", ")
            ),
        });
    }
    None
}

fn zave_pattern(f: &Final, c: &Context) -> Option<Named> {
    let has = |p: &str| f.violated.contains(&p);
    let crashes = c.slice.iter().filter(|e| matches!(e.what, What::Crashed)).count();
    let dead_adopted = c.slice.iter().find(|e| matches!(e.what, What::Succ { alive: false, new: Some(_), .. }));
    let dead_join = c.slice.iter().find(|e| matches!(e.what, What::Joined { succ_alive: false, .. }));
    // Zave's Update step: a focus node's dead head replaced by the next entry it had kept.
    let timeout = crate::output::trace::kind_code(&crate::sim::engine::Ev::Timer {
        to: Addr(0),
        timer: crate::protocol::msg::Timer::RpcCheck,
    });
    let promoted = c.slice.iter().rev().find(|e| {
        e.cause == timeout && f.is_focus(e.node.addr) && matches!(e.what, What::Succ { new: Some(_), alive: true, .. })
    });
    let (class, what) = if has("AtLeastOneRing") && dead_adopted.is_some() {
        ("zave_t1", "a node adopted a dead node as its successor (T1: stabilize without a liveness check)")
    } else if has("ConnectedAppendages") && dead_join.is_some() {
        ("zave_t2", "a node joined onto a dead successor (T2: join without a liveness check)")
    } else if has("AtMostOneRing") && promoted.is_some() {
        ("zave_t3", "crashes left stale successor-list entries that were promoted, closing disjoint rings (T3)")
    } else if has("OrderedRing") && promoted.is_some() {
        ("zave_t3_prime", "stale entries promoted after crashes closed a ring that loops the id space (T3')")
    } else if has("ValidSuccessorList") {
        ("zave_t4", "a successor list skips a live member after an update (T4)")
    } else if has("OrderedMerges") {
        ("zave_t5", "an appendage merges into the ring out of order (T5)")
    } else if has("OrderedAppendages") {
        ("zave_t6", "an appendage's successors are out of id order (T6)")
    } else {
        return None;
    };
    let step = match promoted.map(|e| (e.node.id, &e.what)) {
        Some((id, What::Succ { old: Some(o), new: Some(n), .. })) if class.starts_with("zave_t3") => {
            format!(": {id} replaced its dead successor {} by the stale entry {}", o.id, n.id)
        }
        _ => String::new(),
    };
    Some(Named { class, summary: format!("{what}{step}; {crashes} crashes in the slice") })
}
