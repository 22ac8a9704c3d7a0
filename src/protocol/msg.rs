//! The node's vocabulary: peers, messages, timers and the effects a handler emits.
//!
//! Owns: [`Msg`], [`Timer`], [`Effect`] and [`Ctx`], the only thing a node handler may touch besides
//! its own state (the peers and the list arena are `peer.rs`'s, the parameters `options.rs`').
//! Invariant: every type that sits in the event queue is small and `Copy`; a successor list travels
//! as a [`ListId`] into the arena, never as a `Vec` inside an event.
//! Never: time, randomness or the queue live here; a `Ctx` only carries values the simulator chose.

use crate::id::Id;

use crate::protocol::options::Params;
pub use crate::protocol::peer::{Addr, Peer};
use crate::protocol::peer::{ListId, Lists};

/// Request id, unique per node (wrapping counter).
pub type ReqId = u32;

/// Messages between nodes. `user` marks traffic caused by the lookup workload, so that maintenance
/// traffic can be reported on its own.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum Msg {
    /// Iterative lookup step: "what is your next hop for `key`?". `dead`, when set, tells the
    /// receiver that a node it referred the asker to did not answer (ToN'03 Sec. V-A).
    FindNext {
        req: ReqId,
        key: Id,
        dead: Option<Peer>,
        user: bool,
    },
    /// `done`: `node` is the receiver's successor and `key ∈ (receiver, node]`; else `node` is the
    /// closest preceding node the receiver knows.
    FindNextReply {
        req: ReqId,
        done: bool,
        node: Peer,
        user: bool,
    },
    Ping {
        req: ReqId,
        user: bool,
    },
    Pong {
        req: ReqId,
        user: bool,
    },
    /// Stabilization: "send me your predecessor and successor list".
    GetState {
        req: ReqId,
    },
    StateReply {
        req: ReqId,
        pred: Option<Peer>,
        list: ListId,
    },
    /// ToN'03 Fig. 6 `notify(n')`: the sender thinks it might be our predecessor.
    Notify,
    /// ToN'03 Sec. V-A: our predecessor changed; tell the old one about the new one.
    NewPredecessor {
        pred: Peer,
    },
    /// Zave TSE'17: "I am waiting on a state query of my own; ask again later".
    Busy {
        req: ReqId,
    },
    /// An application's message; the overlay carries it without looking inside.
    App(crate::protocol::app::AppMsg),
    /// Graceful leave (ToN'03 IV-E.4), to the predecessor: remove me, append `last`.
    LeaveToPred {
        last: Option<Peer>,
    },
    /// Graceful leave, to the successor: your predecessor becomes `pred`.
    LeaveToSucc {
        pred: Option<Peer>,
    },
    /// Recursive lookup `lid` of `origin` for `key`, forwarded one hop (`node/recursive.rs`); the
    /// receiver acks at once. `last`: the receiver is the owner and answers `origin` directly.
    Forward {
        req: ReqId,
        lid: u32,
        key: Id,
        origin: Peer,
        hops: u16,
        touts: u16,
        last: bool,
        user: bool,
    },
    /// Per-hop acknowledgement of a [`Msg::Forward`].
    Ack {
        req: ReqId,
        user: bool,
    },
    /// The answer of recursive lookup `lid` to its origin (`found == false`: it gave up).
    Found {
        lid: u32,
        owner: Peer,
        found: bool,
        hops: u16,
        touts: u16,
        user: bool,
    },
}

/// Message type names for traffic accounting, indexed by [`Msg::kind`].
pub const MSG_KINDS: [&str; 15] = [
    "find_next",
    "find_next_reply",
    "ping",
    "pong",
    "get_state",
    "state_reply",
    "notify",
    "new_predecessor",
    "leave_to_pred",
    "leave_to_succ",
    "busy",
    "app",
    "forward",
    "ack",
    "found",
];

impl Msg {
    #[must_use]
    pub fn kind(&self) -> usize {
        match self {
            Msg::FindNext { .. } => 0,
            Msg::FindNextReply { .. } => 1,
            Msg::Ping { .. } => 2,
            Msg::Pong { .. } => 3,
            Msg::GetState { .. } => 4,
            Msg::StateReply { .. } => 5,
            Msg::Notify => 6,
            Msg::NewPredecessor { .. } => 7,
            Msg::LeaveToPred { .. } => 8,
            Msg::LeaveToSucc { .. } => 9,
            Msg::Busy { .. } => 10,
            Msg::App(_) => 11,
            Msg::Forward { .. } => 12,
            Msg::Ack { .. } => 13,
            Msg::Found { .. } => 14,
        }
    }

    /// True for messages caused by the lookup workload rather than by ring maintenance.
    #[must_use]
    pub fn is_user(&self) -> bool {
        matches!(self, Msg::App(_))
            || matches!(
                self,
                Msg::FindNext { user: true, .. }
                    | Msg::FindNextReply { user: true, .. }
                    | Msg::Ping { user: true, .. }
                    | Msg::Pong { user: true, .. }
                    | Msg::Forward { user: true, .. }
                    | Msg::Ack { user: true, .. }
                    | Msg::Found { user: true, .. }
            )
    }

    /// The arena list this message owns, to be freed once delivered or dropped.
    #[must_use]
    pub fn list(&self) -> Option<ListId> {
        match self {
            Msg::StateReply { list, .. } => Some(*list),
            _ => None,
        }
    }
}

/// Timers a node sets on itself. Stale timers are ignored by the node, so none is ever cancelled.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum Timer {
    Stabilize,
    FixFingers,
    CheckPredecessor,
    /// Time to look for RPCs past their deadline (one such timer per node at a time).
    RpcCheck,
    /// Retry a join that could not start or failed.
    JoinRetry,
    /// `maintenance = "joint"`: the one periodic timer that runs all three maintenance tasks.
    Maintain,
    /// Zave: retry a stabilization that was answered `Busy`, after a randomized back-off.
    BusyRetry,
}

/// What a lookup was for. `User(tag)` lookups are judged by the checker; the tag is the simulator's.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum Purpose {
    User(u32),
    /// Asked by the node's application; the answer goes back to it with this tag.
    App(u32),
    Finger(u8),
    Join,
}

/// Outputs of a handler, applied by the simulator in order.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Effect {
    Send {
        to: Peer,
        msg: Msg,
    },
    SetTimer {
        after_us: u64,
        timer: Timer,
    },
    /// A workload lookup finished. `owner: None` means it failed (gave up).
    LookupDone {
        tag: u32,
        key: Id,
        owner: Option<Peer>,
        hops: u16,
        timeouts: u16,
    },
    /// An application's lookup finished (`owner: None`: it failed).
    AppLookupDone {
        tag: u32,
        owner: Option<Peer>,
    },
    /// The node's join lookup failed; the simulator picks another bootstrap.
    JoinFailed,
    /// The node found its successor and is now part of the overlay.
    Joined,
}

/// What a handler gets from the simulator: the time, the parameters, entropy for timer jitter, the
/// list arena and the effect buffer.
pub struct Ctx<'a> {
    pub now: u64,
    pub params: &'a Params,
    /// Fresh random bits for this event (timer events only; zero otherwise).
    pub entropy: u64,
    pub lists: &'a mut Lists,
    pub out: &'a mut Vec<Effect>,
}

impl Ctx<'_> {
    pub fn send(&mut self, to: Peer, msg: Msg) {
        self.out.push(Effect::Send { to, msg });
    }

    pub fn timer(&mut self, after_us: u64, timer: Timer) {
        self.out.push(Effect::SetTimer { after_us, timer });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_stay_small() {
        assert!(std::mem::size_of::<Msg>() <= 48, "{}", std::mem::size_of::<Msg>());
        assert!(std::mem::size_of::<Effect>() <= 64);
    }

    #[test]
    fn lists_recycle() {
        let mut l = Lists::default();
        let p = Peer { id: Id(1), addr: Addr(0) };
        let a = l.alloc(&[p, p]);
        l.release(a);
        let b = l.alloc(&[p]);
        assert_eq!(a, b);
        assert_eq!(l.get(b), &[p]);
        assert_eq!(l.live(), 1);
    }
}
