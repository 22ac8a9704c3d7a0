//! The checks a simulation restored from a checkpoint passes before it runs: every index, count and
//! cross-reference in the state against the state itself and the scenario it runs.
//!
//! Owns: [`check`], which walks the restored [`Sim`] once and asks each owner's `check_restored` (the
//! node, the queue, the list and item arenas, the sessions, the membership sets) for its invariants,
//! and checks the references between them here (events against the script, the workloads, the
//! session members and the arenas). Addresses and ids are range-checked while decoding
//! (`crate::bounds`), so what is left is what needs the whole state.
//! Never: repair a state (a forged or damaged one is refused with one line naming the part), or run
//! anywhere but on restore.

use crate::protocol::app::AppMsg;
use crate::protocol::msg::Msg;
use crate::scenario::Workload;
use crate::sim::engine::{Ev, Sim};

/// Everything [`check`] refuses names the part of the state it found wrong.
pub fn check(sim: &Sim) -> Result<(), String> {
    membership(sim)?;
    let space = sim.params().space;
    for (i, slot) in sim.nodes().iter().enumerate() {
        slot.node.check_restored(i, space)?;
    }
    sim.checker().check_restored(sim.sc())?;
    sim.sessions().check_restored(&sim.sc().workloads, sim.hosts().len())?;
    let (mut lists, mut batches) = (Vec::new(), Vec::new());
    sim.queue().check_restored(sim.now(), |ev| {
        event(sim, ev)?;
        if let Ev::Deliver { msg, .. } = ev {
            lists.extend(msg.list().map(|l| l.0));
            if let Msg::App(AppMsg::Dht(m)) = msg {
                batches.extend(m.batch().map(|b| b.0));
            }
        }
        Ok(())
    })?;
    sim.lists().check_restored(&mut lists)?;
    sim.items().check_restored(&mut batches)
}

/// An event's own references: the script entry, workload or session member it names.
fn event(sim: &Sim, ev: &Ev) -> Result<(), String> {
    let w = |i: u16| sim.sc().workloads.get(i as usize);
    // A destination is a node slot, never the placeholder address that list entries may hold.
    let slot = |a: crate::protocol::msg::Addr| (a.0 as usize) < sim.nodes().len();
    let ok = match *ev {
        Ev::Deliver { to, .. } | Ev::Timer { to, .. } | Ev::AppTimer { to, .. } | Ev::Join(to) if !slot(to) => false,
        Ev::Script(i) => (i as usize) < sim.script().len(),
        Ev::Churn(i) => matches!(w(i), Some(Workload::Churn { .. })),
        Ev::Lookup(i) => matches!(w(i), Some(Workload::Lookups { .. })),
        Ev::Dht(i) => matches!(w(i), Some(Workload::Dht { .. })),
        Ev::Session(m) => sim.sessions().has(m),
        Ev::Deliver { .. } | Ev::Timer { .. } | Ev::Join(_) | Ev::Round(_) | Ev::AppTimer { .. } => true,
    };
    if ok { Ok(()) } else { Err(format!("a queued event names what the run does not have: {ev:?}")) }
}

/// The membership sets and the host map against the state's own slots and hosts (indices the hot
/// path uses without a bounds check; the addresses nodes and hosts name were checked on decoding).
fn membership(sim: &Sim) -> Result<(), String> {
    sim.truth().validate(sim.nodes().len())?;
    sim.hosts_alive().validate(sim.hosts().len()).map_err(|e| format!("hosts_alive: {e}"))?;
    if sim.host_of().len() != sim.nodes().len() {
        return Err(format!("{} host entries for {} slots", sim.host_of().len(), sim.nodes().len()));
    }
    if let Some(h) = sim.host_of().iter().find(|&&h| h as usize >= sim.hosts().len()) {
        return Err(format!("host_of names host {h} of {}", sim.hosts().len()));
    }
    if let Some(a) = sim.hosts().iter().flatten().find(|a| a.0 as usize >= sim.nodes().len()) {
        return Err(format!("a host names slot {} of {}", a.0, sim.nodes().len()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::id::Id;
    use crate::protocol::msg::{Addr, Msg, Peer, Timer};
    use crate::scenario::Scenario;
    use crate::sim::engine::{Ev, Sim};
    use crate::tools::checkpoint::{from_bytes, to_bytes};

    /// Twelve nodes 20 s into a run (with `net` as the `[net]` table's body).
    fn sim(net: &str) -> Sim {
        let text = format!("duration_s = 60\nseed = 3\nexpect = \"no_check\"\n[initial]\nnodes = 12\n[net]\n{net}\n");
        let mut sim = Sim::new(Scenario::parse(&text, "t.toml", "t").expect("valid")).expect("builds");
        sim.run_until(20_000_000);
        sim
    }

    fn refused(sim: &Sim) -> String {
        from_bytes(&to_bytes(sim).expect("encodes")).err().expect("refused")
    }

    #[test]
    fn an_intact_state_restores() {
        assert!(from_bytes(&to_bytes(&sim("")).expect("encodes")).is_ok());
    }

    // postmortem: a forged checkpoint queued a timer for the placeholder address (which the decoder
    // lets through, since list entries may hold it); dispatch indexed the slots with it and panicked.
    #[test]
    fn an_event_for_no_slot_is_refused() {
        let mut s = sim("");
        s.forge_event(s.now() + 1, Ev::Timer { to: Addr::PAD, timer: Timer::Stabilize });
        assert!(refused(&s).contains("names what the run does not have"), "{}", refused(&s));
    }

    // postmortem: a forged successor entry with the placeholder address was contacted under Euclidean
    // latency; the network drew coordinates up to host 2^32 (6.7 GB, then the OOM killer). A message
    // to no slot is now dropped before it reaches the network.
    #[test]
    fn a_message_to_no_slot_is_dropped_without_touching_the_network() {
        let mut s = sim("latency = { kind = \"euclidean\", dims = 2, side_ms = 200 }");
        let (dropped, queued) = (s.metrics().dropped_dead, s.queued());
        s.forge_send(Addr(0), Peer::pad(Id(5)), Msg::Ping { req: 1, user: false });
        assert_eq!((s.metrics().dropped_dead, s.queued()), (dropped + 1, queued));
        assert!(from_bytes(&to_bytes(&s).expect("encodes")).is_ok());
    }

    // postmortem: a forged jitter setting made `now + delay` wrap, and the queue panicked at an event
    // scheduled in the past.
    #[test]
    fn network_settings_other_than_the_scenarios_are_refused() {
        let mut s = sim("jitter_ms = 1");
        s.forge().0.jitter_us = u64::MAX / 2;
        assert!(refused(&s).contains("network: its settings"), "{}", refused(&s));
    }

    #[test]
    fn random_streams_of_another_seed_are_refused() {
        let mut s = sim("");
        *s.forge().1 = crate::rng::SimRng::new(4);
        assert!(refused(&s).contains("random streams"), "{}", refused(&s));
    }

    #[test]
    fn errors_are_one_short_line() {
        let e = super::super::one_line(&format!("bad name `a\nb\0`{}", "x".repeat(1000)));
        assert!(!e.contains('\n') && e.contains("a\\nb\\u{0}") && e.chars().count() == 301, "{e}");
    }
}
