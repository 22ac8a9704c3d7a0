//! The shell's `lookup`: a probe lookup shown hop by hop, then judged against the truth.
//!
//! Owns: [`walk`], which takes exactly the steps of the checker's probe ([`Checker::probe`]): each node's
//! own routing function ([`Node::route`]) over its current state, no messages, no time. A dead hop (or,
//! for a hop that must route, one not yet joined) counts as a timeout and the same node is asked again
//! with that peer skipped, as a real lookup would after being told. The result line is the checker's
//! own probe, so the shell and the checker cannot disagree on what a lookup finds.
//! Never: send a message, change node state, or draw randomness.
//!
//! [`Checker::probe`]: crate::oracle::checker::Checker::probe
//! [`Node::route`]: crate::protocol::node::Node::route

use crate::id::Id;
use crate::protocol::msg::{Addr, Peer};
use crate::protocol::node::Route;
use crate::sim::engine::Sim;

/// One routing step: node `at` was asked and named `next`, as owner (`done`) or as next hop.
#[derive(Copy, Clone, Debug, PartialEq)]
pub struct Step {
    pub at: Peer,
    pub next: Peer,
    pub done: bool,
    /// `next` answered (alive; and joined, if it had to route).
    pub answered: bool,
}

/// The walk of a probe lookup: its steps, the owner it found (None: gave up), hops and timeouts.
pub fn walk(sim: &Sim, origin: Addr, key: Id) -> (Vec<Step>, Option<Peer>, u16, u16) {
    let (mut steps, mut hops, mut touts) = (Vec::new(), 0u16, 0u16);
    let mut cur = &sim.nodes()[origin.0 as usize].node;
    let mut skip: Vec<Peer> = Vec::new();
    for _ in 0..sim.params().lookup_max_steps {
        let (next, done) = match cur.route(key, &skip) {
            Route::Done(s) => (s, true),
            Route::Next(h) => (h, false),
        };
        if next == cur.me() {
            steps.push(Step { at: cur.me(), next, done, answered: true });
            let pinged = u16::from(cur.me().addr != origin);
            return (steps, Some(next), hops + pinged, touts);
        }
        let answered = if done { sim.truth().is_alive(next.addr) } else { sim.truth().is_joined(next.addr) };
        steps.push(Step { at: cur.me(), next, done, answered });
        if !answered {
            touts += 1;
            skip.push(next);
            continue;
        }
        hops += 1;
        if done {
            return (steps, Some(next), hops, touts);
        }
        cur = &sim.nodes()[next.addr.0 as usize].node;
        skip.clear();
    }
    (steps, None, hops, touts)
}

/// One line per step.
fn step_line(sim: &Sim, s: &Step, key: Id) -> String {
    let at = s.at.id;
    let w = super::show::id_width(sim);
    let col = format!("{:<w$}", at.to_string());
    if s.next == s.at {
        return format!("  {col}  answers itself: the key is in its own range");
    }
    let what = if s.done {
        format!("done: {key} lies in ({at}, {}], the owner is its successor {}", s.next.id, s.next.id)
    } else {
        format!("next hop {}", s.next.id)
    };
    if s.answered {
        return format!("  {col}  {what}");
    }
    let why = if sim.truth().is_alive(s.next.addr) { "not joined yet, cannot route" } else { "dead" };
    format!("  {col}  {what} — {why}: timeout, {at} is asked again without it")
}

/// `lookup <key> [from <node>]`: the hops, then the checker's probe result next to the truth.
pub fn lookup_text(sim: &mut Sim, origin: Addr, key: Id, label: &str) -> String {
    let (steps, owner, _, _) = walk(sim, origin, key);
    let from = sim.nodes()[origin.0 as usize].node.me().id;
    let mut s =
        format!("lookup {label} from {from} (a probe over the current routing state: no messages, no time passes)\n");
    for st in &steps {
        s.push_str(&step_line(sim, st, key));
        s.push('\n');
    }
    let (got, hops, touts) = sim.probe(origin, key);
    debug_assert_eq!(got, owner, "the shell's walk and the checker's probe disagree");
    let truth = sim.truth().successor(key);
    let verdict = match got {
        None => format!("failed: gave up after {} steps (protocol.lookup_max_steps)", steps.len()),
        Some(o) if Some(o) == truth => "correct".to_string(),
        Some(_) => "wrong".to_string(),
    };
    let got = got.map_or("nothing".to_string(), |o| o.id.to_string());
    let truth = truth.map_or("none".to_string(), |t| t.id.to_string());
    let w = super::show::id_width(sim);
    let plural = |n: u16, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    s.push_str(&format!(
        "  {:<w$}  {got} after {}, {} — truth {truth}: {verdict}\n",
        "result",
        plural(hops, "hop"),
        plural(touts, "timeout")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn sim() -> Sim {
        let text = "id_bits = 12\nduration_s = 1000\nexpect = \"no_check\"\nseed = 5\n[initial]\nnodes = 24\n\
                    [protocol]\nsuccessor_list_len = 2\nstabilize_interval_ms = 1000\n\
                    [net]\nlatency = { kind = \"constant\", ms = 10 }\nrpc_timeout_ms = 100\n";
        Sim::new(Scenario::parse(text, "<t>", "t").expect("valid")).expect("builds")
    }

    /// Over a damaged ring (crashes, a join in progress) the walk takes the probe's steps exactly.
    #[test]
    fn walk_agrees_with_the_checkers_probe() {
        let mut s = sim();
        let ring = s.truth().sorted();
        for p in ring.iter().step_by(3) {
            s.crash(p.addr);
        }
        s.join_new();
        s.run_until(5_000);
        let origins = s.truth().sorted();
        for (i, o) in origins.iter().enumerate() {
            for k in 0..40u64 {
                let key = s.params().space.id(k * 977 + i as u64 * 131);
                let (_, owner, hops, touts) = walk(&s, o.addr, key);
                assert_eq!(s.probe(o.addr, key), (owner, hops, touts));
            }
        }
    }

    #[test]
    fn text_names_hops_timeouts_and_the_truth() {
        let mut s = sim();
        let ring = s.truth().sorted();
        let origin = ring[0];
        let key = Id(ring[3].id.0 - 1);
        let ok = lookup_text(&mut s, origin.addr, key, "k");
        assert!(ok.contains("no messages") && ok.contains("correct") && !ok.contains("timeout,"), "{ok}");
        s.crash(ring[3].addr);
        let bad = lookup_text(&mut s, origin.addr, key, "k");
        assert!(bad.contains("dead: timeout"), "{bad}");
        assert!(bad.contains(&format!("truth {}", ring[4].id)), "{bad}");
    }
}
