//! Watching a run event by event: observers on the simulator's [`Observer`] hook (`sim/engine/control.rs`,
//! re-exported here), the compact [`EventRecord`] of an event with its rolling 64-bit FNV-1a hash, and the state
//! [`Tracer`] that writes one line per node state transition (`--trace FILE`).
//!
//! Owns: the identity of an event for determinism checks — `(time, seq, kind, node)` — and the trace
//! file format. The simulator only pays one branch per event when no observer is attached.
//! Never: change the simulation (observers get `&Sim`), draw randomness, or read the wall clock. I/O
//! happens here, in the observer, never in the node or the checker.

use crate::protocol::msg::{Addr, MSG_KINDS, Timer};
use crate::sim::engine::{Ev, Sim};
use std::any::Any;
use std::io::Write;

pub use crate::sim::engine::{Observed, Observer};

/// No node for this event (scripted, churn, lookup arrival, round boundary).
pub const NO_NODE: u32 = u32::MAX;

/// What identifies an event for the determinism check.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub index: u64,
    pub at: u64,
    pub seq: u64,
    /// [`kind_code`] of the event.
    pub kind: u16,
    /// Address of the node the event is for, or [`NO_NODE`].
    pub node: u32,
}

impl EventRecord {
    #[must_use]
    pub fn of(o: &Observed) -> Self {
        EventRecord {
            index: o.index,
            at: o.at,
            seq: o.seq,
            kind: kind_code(&o.ev),
            node: target(&o.ev).map_or(NO_NODE, |a| a.0),
        }
    }

    /// `#12345 t=1500000 µs seq 678 recv:get_state node @17`
    #[must_use]
    pub fn describe(&self) -> String {
        let node = if self.node == NO_NODE { String::new() } else { format!(" at node address {}", self.node) };
        format!("#{} t = {} µs (seq {}) {}{node}", self.index, self.at, self.seq, kind_name(self.kind))
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The hash of an empty event sequence.
pub const HASH_START: u64 = FNV_OFFSET;

/// Folds one event into a rolling FNV-1a hash (bytes of time, seq, kind and node, little-endian).
#[must_use]
pub fn fold(mut h: u64, r: &EventRecord) -> u64 {
    let bytes = r.at.to_le_bytes().into_iter().chain(r.seq.to_le_bytes()).chain(r.kind.to_le_bytes());
    for b in bytes.chain(r.node.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

fn timer_index(t: Timer) -> u16 {
    match t {
        Timer::Stabilize => 0,
        Timer::FixFingers => 1,
        Timer::CheckPredecessor => 2,
        Timer::RpcCheck => 3,
        Timer::JoinRetry => 4,
        Timer::Maintain => 5,
        Timer::BusyRetry => 6,
    }
}

const TIMER_NAMES: [&str; 7] =
    ["stabilize", "fix_fingers", "check_predecessor", "rpc_timeout", "join_retry", "maintain", "busy_retry"];

/// A small stable number for the kind of event: high byte the event type, low byte the message or
/// timer type.
#[must_use]
pub fn kind_code(ev: &Ev) -> u16 {
    match ev {
        Ev::Deliver { msg, .. } => 0x100 | msg.kind() as u16,
        Ev::Timer { timer, .. } => 0x200 | timer_index(*timer),
        Ev::Script(_) => 0x300,
        Ev::Churn(_) => 0x400,
        Ev::Lookup(_) => 0x500,
        Ev::Join(_) => 0x600,
        Ev::Round(_) => 0x700,
        Ev::AppTimer { .. } => 0x800,
        Ev::Dht(_) => 0x900,
        Ev::Session(_) => 0xa00,
    }
}

/// Name of a [`kind_code`]: `recv:get_state`, `timer:stabilize`, `script`, `churn`, …
#[must_use]
pub fn kind_name(code: u16) -> String {
    let low = (code & 0xff) as usize;
    match code >> 8 {
        1 => format!("recv:{}", MSG_KINDS.get(low).unwrap_or(&"?")),
        2 => format!("timer:{}", TIMER_NAMES.get(low).unwrap_or(&"?")),
        3 => "script".into(),
        4 => "churn".into(),
        5 => "lookup_start".into(),
        6 => "join_retry".into(),
        7 => "round".into(),
        8 => "timer:app".into(),
        9 => "dht_op_start".into(),
        10 => "session".into(),
        _ => format!("unknown:{code:#x}"),
    }
}

/// The one node an event is addressed to, if any ([`Ev::target`]).
#[must_use]
pub fn target(ev: &Ev) -> Option<Addr> {
    ev.target()
}

/// Several observers, called in order.
pub struct Fanout(pub Vec<Box<dyn Observer>>);

impl Observer for Fanout {
    fn start(&mut self, sim: &Sim) {
        for o in &mut self.0 {
            o.start(sim);
        }
    }

    fn after_event(&mut self, sim: &Sim, ev: &Observed) {
        for o in &mut self.0 {
            o.after_event(sim, ev);
        }
    }
}

impl Fanout {
    /// Removes and returns the first observer of type `T`.
    pub fn take<T: Observer>(&mut self) -> Option<Box<T>> {
        let i = self.0.iter().position(|o| (o.as_ref() as &dyn Any).is::<T>())?;
        let o: Box<dyn Any> = self.0.remove(i);
        o.downcast::<T>().ok()
    }
}

/// What the trace compares: is the node alive, and its successor and predecessor ids.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
struct NodeState {
    alive: bool,
    succ: Option<u64>,
    pred: Option<u64>,
}

/// Writes `time_us node event successor predecessor`, one line per node whose successor, predecessor
/// or liveness changed with an event. Ids are hex; `-` means none; a dead node shows `dead dead`.
pub struct Tracer {
    out: Box<dyn Write + Send>,
    last: Vec<NodeState>,
    lines: u64,
    error: Option<std::io::Error>,
}

pub const TRACE_HEADER: &str = "# time_us node event successor predecessor";

impl Tracer {
    /// A trace written to `out`: a header line, one `init` line per node of the initial ring, then
    /// one line per transition.
    #[must_use]
    pub fn new(out: Box<dyn Write + Send>) -> Tracer {
        Tracer { out, last: Vec::new(), lines: 0, error: None }
    }

    fn state(sim: &Sim, a: usize) -> NodeState {
        let s = &sim.nodes()[a];
        NodeState {
            alive: s.alive,
            succ: s.node.succ_list().first().map(|p| p.id.0),
            pred: s.node.predecessor().map(|p| p.id.0),
        }
    }

    fn write_line(&mut self, args: std::fmt::Arguments) {
        if self.error.is_none()
            && let Err(e) = writeln!(self.out, "{args}")
        {
            self.error = Some(e);
        }
    }

    fn check(&mut self, sim: &Sim, a: usize, event: &str) {
        let now = Tracer::state(sim, a);
        match self.last.get_mut(a) {
            Some(old) if *old == now => return,
            Some(old) => *old = now,
            // Slots are checked in address order, so a new slot is always the next one.
            None => self.last.push(now),
        }
        self.lines += 1;
        let id = sim.nodes()[a].node.me().id;
        let hex = |v: Option<u64>| v.map_or("-".to_string(), |v| format!("{v:#x}"));
        let (succ, pred) = if now.alive { (hex(now.succ), hex(now.pred)) } else { ("dead".into(), "dead".into()) };
        self.write_line(format_args!("{} {id} {event} {succ} {pred}", sim.now()));
    }

    fn scan(&mut self, sim: &Sim, event: &str) {
        for a in 0..sim.nodes().len() {
            self.check(sim, a, event);
        }
    }

    /// Flushes the file; returns the number of transition lines written (the header not counted).
    pub fn finish(mut self) -> std::io::Result<u64> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()?;
        Ok(self.lines)
    }
}

impl Observer for Tracer {
    fn start(&mut self, sim: &Sim) {
        self.write_line(format_args!("{TRACE_HEADER}"));
        self.scan(sim, "init");
    }

    fn after_event(&mut self, sim: &Sim, ev: &Observed) {
        let name = kind_name(kind_code(&ev.ev));
        match target(&ev.ev) {
            Some(a) => {
                for new in self.last.len()..sim.nodes().len() {
                    self.check(sim, new, &name);
                }
                self.check(sim, a.0 as usize, &name);
            }
            None => self.scan(sim, &name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::msg::Msg;

    #[test]
    fn kind_codes_round_trip_to_names() {
        let ev = Ev::Deliver {
            to: Addr(3),
            from: crate::protocol::msg::Peer { id: crate::id::Id(1), addr: Addr(0) },
            msg: Msg::Notify,
        };
        assert_eq!(kind_name(kind_code(&ev)), "recv:notify");
        assert_eq!(kind_name(kind_code(&Ev::Timer { to: Addr(1), timer: Timer::RpcCheck })), "timer:rpc_timeout");
        assert_eq!(kind_name(kind_code(&Ev::Round(9))), "round");
        assert_eq!(target(&ev), Some(Addr(3)));
        assert_eq!(target(&Ev::Churn(0)), None);
    }

    #[test]
    fn fold_is_fnv1a_and_order_sensitive() {
        // FNV-1a of the empty input is the offset basis; of one zero byte, offset·prime.
        assert_eq!(HASH_START, 0xcbf2_9ce4_8422_2325);
        let a = EventRecord { index: 0, at: 1, seq: 2, kind: 0x700, node: NO_NODE };
        let b = EventRecord { at: 2, seq: 1, ..a };
        assert_ne!(fold(fold(HASH_START, &a), &b), fold(fold(HASH_START, &b), &a));
        assert_eq!(fold(HASH_START, &a), fold(HASH_START, &EventRecord { index: 99, ..a }), "index is not hashed");
    }
}
