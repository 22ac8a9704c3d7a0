//! The Chord node: a sans-IO state machine (ToN'03 Fig. 5/6, successor lists IV-E.3, leave IV-E.4).
//!
//! Owns: one node's routing state (predecessor, successor list, finger table), its outstanding RPCs
//! and lookups, and the dispatch of messages and timers to the per-concern files:
//! `lookup.rs` (iterative lookups, `find_successor`), `stabilize.rs` (stabilize / notify /
//! `check_predecessor` / `fix_fingers`) and `membership.rs` (create, join, graceful leave).
//! Input is `(ctx.now, event)`; output is effects pushed into `ctx.out`. Invariants: the successor
//! list never exceeds r entries; every RPC has exactly one pending entry until its reply or timeout.
//! Never: touch an RNG, a clock, the queue, the checker or another node's state. Randomness arrives
//! as `ctx.entropy`.

mod fingers;
#[cfg(test)]
mod harness;
mod lookup;
mod membership;
mod proximity;
mod recursive;
mod restore;
mod stabilize;
#[cfg(test)]
mod tests;
mod zave;
#[cfg(test)]
mod zave_tests;

use crate::id::{Id, IdSpace};
use crate::protocol::msg::{Addr, Ctx, Msg, Peer, ReqId, Timer};
use fingers::Fingers;
use lookup::Lookup;
pub use lookup::Route;
use smallvec::SmallVec;

/// Successor-list entries held inside the node; a longer list (r up to 32) spills to the heap.
const SUCC_INLINE: usize = 8;
/// Outstanding RPCs held inside the node (typically 0–3 at a time); more spill to the heap.
const PENDING_INLINE: usize = 4;
/// Lookups in progress held inside the node (usually 0–1); more spill to the heap.
const LOOKUPS_INLINE: usize = 2;

/// Where a node is in its life.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub enum Status {
    /// Spawned, join lookup not finished: has no successor yet.
    Joining,
    /// Part of the overlay.
    Joined,
    /// Left gracefully; acts no more.
    Left,
}

/// What an outstanding RPC was for.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
enum Waiting {
    /// State query to the successor (ToN'03 stabilize; Zave's StabilizeFromSuccessor).
    Stabilize,
    /// Zave: state query to the successor's predecessor (StabilizeFromPredecessor).
    StabilizeFromPredecessor,
    /// Zave: state query to the predecessor found by the join lookup.
    JoinQuery,
    /// Zave's Rectify: liveness check of the current predecessor before adopting the notifier kept
    /// in `Node::rectify_with` (at most one such check is in flight).
    Rectify,
    CheckPredecessor,
    /// Step of the lookup with this local lookup id.
    Lookup(u32),
    /// Recursive mode: a query this node forwarded, awaiting the next hop's ack (`relays` holds it).
    Relay,
    /// Recursive mode: the end-to-end deadline of this node's own lookup with this id (sent to no one).
    RecLookup(u32),
    /// Proximity: state query to the owner of this finger, for its successors (the alternates).
    FingerState(u8),
    /// Proximity: round-trip probe of an alternate for this finger.
    FingerProbe(u8),
}

/// An outstanding RPC: 32 bytes (the peer is kept as its two halves, so no padding), two to a
/// cache line.
#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Pending {
    /// Time at which the RPC times out.
    deadline: u64,
    to_id: Id,
    to_addr: Addr,
    req: ReqId,
    what: Waiting,
}

impl Pending {
    fn to(&self) -> Peer {
        Peer { id: self.to_id, addr: self.to_addr }
    }
}

/// `Node::rpc_check_at` when no RPC check is armed (later than any deadline).
const NOT_ARMED: u64 = u64::MAX;

/// One Chord node.
///
/// Laid out in declaration order (`repr(C)`), hot fields first: what nearly every message and timer
/// reads (identity, predecessor, the RPC check, counters, status), then the pending RPCs, the
/// successor list and the finger table held inline, then the lookups, then what few events touch.
/// With r ≤ 8, at most 16 distinct fingers and a few RPCs in flight, an event touches no heap block
/// of the node.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[repr(C)]
pub struct Node {
    me: Peer,
    space: IdSpace,
    pred: Option<Peer>,
    /// When the armed RPC check fires; [`NOT_ARMED`] when none is (a sentinel, not an `Option`: 8
    /// bytes fewer keep the node slot at 15 cache lines).
    rpc_check_at: u64,
    next_req: ReqId,
    next_lookup: u32,
    /// Index (1-based) of the finger `fix_fingers` refreshed last.
    next_finger: u32,
    /// Ticks of the joint maintenance timer so far (`maintenance = "joint"`), counted from the node's
    /// start whether or not it has joined yet.
    ticks: u32,
    status: Status,
    /// Answer lookups for keys covered by the successor list with the owner from the list.
    list_answers: bool,
    /// With an all-dead successor list, take the nearest finger, then the predecessor (a deviation).
    fallback: bool,
    /// Zave: consecutive stabilizations abandoned on a `Busy` answer; sets the retry back-off window
    /// (`zave.rs`, `busy_backoff_us`). Reset when a stabilization is answered.
    busy_streak: u8,
    pending: SmallVec<[Pending; PENDING_INLINE]>,
    /// Successor list, nearest first; `succ[0]` is the successor. Empty only after every entry
    /// was found dead (see [`Node::successor`]).
    succ: SmallVec<[Peer; SUCC_INLINE]>,
    /// `fingers[i-1]` is finger i (1-based as in the paper).
    fingers: Fingers,
    lookups: SmallVec<[Lookup; LOOKUPS_INLINE]>,
    /// Recursive mode: queries forwarded and not yet acknowledged, by request id.
    /// Boxed, and created on first use: iterative runs never pay for it in the node's size.
    #[allow(clippy::box_collection)] // 8 bytes in the node (a `Vec` is 24): keeps its slot at 15 lines
    relays: Option<Box<Vec<recursive::Relay>>>,
    /// Zave: the notifier to adopt if the pending [`Waiting::Rectify`] check times out.
    rectify_with: Peer,
    /// Proximity: measured round trip of each finger's current entry (`[i-1]`; `None` when off, so
    /// the option costs a node 8 bytes, not a `Vec`'s 24).
    finger_rtt: Option<Box<[u64]>>,
}

impl Node {
    /// A node that is not part of any ring yet. Call [`Node::create`], [`Node::join`] or
    /// [`Node::install`] next.
    #[must_use]
    pub fn new(me: Peer, space: IdSpace) -> Self {
        Node {
            me,
            space,
            status: Status::Joining,
            pred: None,
            succ: SmallVec::new(),
            fingers: Fingers::default(),
            next_finger: 0,
            ticks: 0,
            pending: SmallVec::new(),
            lookups: SmallVec::new(),
            relays: None,
            next_req: 0,
            next_lookup: 0,
            rpc_check_at: NOT_ARMED,
            list_answers: false,
            fallback: false,
            busy_streak: 0,
            rectify_with: me,
            finger_rtt: None,
        }
    }

    /// Deviation from ToN'03 Fig. 5, off by default: with `on`, `find_successor` also answers with the
    /// owner of a key that lies within the successor list (not only up to the first successor), as the
    /// ToN'03 simulator's Table II numbers imply (½ log2 N − ½ log2 r + 1 hops).
    #[must_use]
    pub fn answering_from_list(mut self, on: bool) -> Self {
        self.list_answers = on;
        self
    }

    /// Deviation from ToN'03, off by default (`protocol.successor_fallback`): see [`Node::successor`].
    #[must_use]
    pub fn falling_back(mut self, on: bool) -> Self {
        self.fallback = on;
        self
    }

    #[must_use]
    pub fn me(&self) -> Peer {
        self.me
    }

    #[must_use]
    pub fn status(&self) -> Status {
        self.status
    }

    #[must_use]
    pub fn is_joined(&self) -> bool {
        self.status == Status::Joined
    }

    #[must_use]
    pub fn predecessor(&self) -> Option<Peer> {
        self.pred
    }

    #[must_use]
    pub fn succ_list(&self) -> &[Peer] {
        &self.succ
    }

    /// The expanded finger table: `[i - 1]` is finger i (allocates; for the checker, shell, tests).
    #[must_use]
    pub fn fingers(&self) -> Vec<Option<Peer>> {
        self.fingers.expand(self.space.bits())
    }

    /// Distinct peers in the finger table.
    #[must_use]
    pub fn distinct_fingers(&self) -> usize {
        self.fingers.distinct_len()
    }

    /// Outstanding RPCs (for limits and tests).
    #[must_use]
    pub fn pending_rpcs(&self) -> usize {
        self.pending.len()
    }

    /// The successor: the head of the successor list.
    ///
    /// The paper does not say what a node does once every entry of its successor list has been found
    /// dead; by default it is its own successor (Zave's model: a node with no live successor is lost
    /// to the ring, which is why AtLeastOneRing is unrepairable).
    ///
    /// Deviation from ToN'03 (`protocol.successor_fallback = true`): fall back to the nearest finger,
    /// then the predecessor, and only then to the node itself, so the node keeps a way back into the
    /// ring; the checker then does not judge a round with such a node final at once.
    #[must_use]
    pub fn successor(&self) -> Peer {
        if let Some(&s) = self.succ.first() {
            return s;
        }
        self.list_exhausted(|_| true)
    }

    /// [`Node::successor`] as it would be once the peers in `skip` were forgotten (a probe walk's view
    /// of a node that a real lookup has told of those dead peers): never a skipped peer.
    pub(crate) fn successor_without(&self, skip: &[Peer]) -> Peer {
        let usable = |p: &Peer| !skip.contains(p) && !p.is_pad();
        match self.succ.iter().find(|p| usable(p)) {
            Some(&s) => s,
            None => self.list_exhausted(usable),
        }
    }

    /// The successor once no entry of the list is usable: the node itself, or with the fallback the
    /// nearest usable finger, then a usable predecessor, then the node itself.
    fn list_exhausted(&self, usable: impl Fn(&Peer) -> bool) -> Peer {
        if !self.fallback {
            return self.me;
        }
        let fingers = self.fingers.distinct().filter(|f| f.id != self.me.id && usable(f));
        let nearest = fingers.min_by_key(|f| self.space.dist(self.me.id, f.id));
        nearest.copied().or(self.pred.filter(|p| usable(p))).unwrap_or(self.me)
    }

    /// Sets the whole routing state at once (an ideal ring built by the simulator, or a test).
    pub fn install(&mut self, pred: Option<Peer>, succ: &[Peer], fingers: &[Option<Peer>]) {
        self.pred = pred;
        self.succ.clear();
        self.succ.extend_from_slice(succ);
        self.fingers.install(fingers);
        self.status = Status::Joined;
    }

    /// A message arrived from `from`.
    pub fn on_message(&mut self, ctx: &mut Ctx, from: Peer, msg: Msg) {
        if self.status == Status::Left {
            return;
        }
        match msg {
            Msg::FindNext { req, key, dead, user } => self.on_find_next(ctx, from, req, key, dead, user),
            Msg::FindNextReply { req, done, node, .. } => self.on_find_next_reply(ctx, from, req, done, node),
            Msg::Ping { req, user } => ctx.send(from, Msg::Pong { req, user }),
            Msg::Pong { req, .. } => self.on_pong(ctx, from, req),
            Msg::GetState { req } => self.on_get_state(ctx, from, req),
            Msg::StateReply { req, pred, list } => self.on_state_reply(ctx, from, req, pred, list),
            Msg::Notify => self.on_notify(ctx, from),
            Msg::NewPredecessor { pred } => self.on_new_predecessor(ctx, from, pred),
            Msg::LeaveToPred { last } => self.on_leave_to_pred(from, last),
            Msg::LeaveToSucc { pred } => self.on_leave_to_succ(from, pred),
            Msg::Busy { req } => self.on_busy(ctx, from, req),
            Msg::App(_) => {} // delivered to the application by the simulator, never here
            Msg::Forward { req, lid, key, origin, hops, touts, last, user } => {
                let q = recursive::Query { lid, key, origin, hops, touts, user };
                self.on_forward(ctx, from, req, q, last);
            }
            Msg::Ack { req, .. } => self.on_ack(from, req),
            Msg::Found { lid, owner, found, hops, touts, .. } => {
                self.on_found(ctx, lid, found.then_some(owner), hops, touts);
            }
        }
    }

    /// A timer fired.
    pub fn on_timer(&mut self, ctx: &mut Ctx, timer: Timer) {
        if self.status == Status::Left {
            return;
        }
        match timer {
            Timer::Stabilize => self.on_stabilize_timer(ctx),
            Timer::FixFingers => self.on_fix_fingers_timer(ctx),
            Timer::CheckPredecessor => self.on_check_predecessor_timer(ctx),
            Timer::RpcCheck => self.on_rpc_check(ctx),
            Timer::JoinRetry => {}
            Timer::BusyRetry => self.zave_stabilize(ctx),
            Timer::Maintain => self.on_maintain_timer(ctx),
        }
    }

    /// Sends an RPC with a deadline `now + rpc_timeout`. Returns false (sending nothing) when the node
    /// already has `max_pending` RPCs outstanding: the caller treats that like a timeout.
    ///
    /// One timer per node covers all its deadlines: since every RPC has the same timeout and time only
    /// moves forward, a new deadline is never earlier than an armed check, so the check is armed only
    /// when none is (and re-armed for the earliest remaining deadline when it fires). This keeps a
    /// timer event per RPC out of the queue; each timeout still fires at its exact deadline.
    fn rpc(&mut self, ctx: &mut Ctx, to: Peer, what: Waiting, msg_for: impl FnOnce(ReqId) -> Msg) -> bool {
        let deadline = ctx.now + ctx.params.rpc_timeout_us;
        let Some(req) = self.track(ctx, to, what, deadline) else { return false };
        ctx.send(to, msg_for(req));
        self.arm(ctx, deadline);
        true
    }

    /// Registers a pending entry with this deadline (no message, no timer); `None` at `max_pending`.
    fn track(&mut self, ctx: &Ctx, to: Peer, what: Waiting, deadline: u64) -> Option<ReqId> {
        if self.pending.len() >= ctx.params.max_pending {
            return None;
        }
        let req = self.next_req;
        self.next_req = self.next_req.wrapping_add(1);
        self.pending.push(Pending { deadline, to_id: to.id, to_addr: to.addr, req, what });
        Some(req)
    }

    /// Makes sure the RPC check fires by `deadline`. Plain RPCs all share one timeout, so their
    /// deadlines never precede an armed check; a recursive lookup's longer end-to-end deadline can
    /// be followed by an earlier plain one, which then arms an earlier check (the later becomes stale).
    fn arm(&mut self, ctx: &mut Ctx, deadline: u64) {
        if deadline < self.rpc_check_at {
            ctx.timer(deadline - ctx.now, Timer::RpcCheck);
            self.rpc_check_at = deadline;
        }
    }

    /// The RPC check fired: every RPC past its deadline times out, oldest first; then the check is
    /// re-armed for the earliest deadline left.
    fn on_rpc_check(&mut self, ctx: &mut Ctx) {
        if self.rpc_check_at != ctx.now {
            return; // a stale check, superseded by an earlier one (see `arm`)
        }
        // Marked armed while the timeouts run, so that RPCs they send do not arm a second check.
        self.rpc_check_at = ctx.now;
        while let Some(i) = self.next_expired(ctx.now) {
            let p = self.pending.remove(i);
            self.on_rpc_timeout(ctx, p);
        }
        self.rpc_check_at = NOT_ARMED;
        if let Some(next) = self.pending.iter().map(|p| p.deadline).min() {
            ctx.timer(next - ctx.now, Timer::RpcCheck);
            self.rpc_check_at = next;
        }
    }

    /// Index of the pending RPC with the earliest expired deadline (ties: the older request).
    fn next_expired(&self, now: u64) -> Option<usize> {
        (0..self.pending.len()).filter(|&i| self.pending[i].deadline <= now).min_by_key(|&i| self.pending[i].deadline)
    }

    /// Removes and returns the pending RPC `req` if it was sent to `from`.
    fn take_pending(&mut self, req: ReqId, from: Peer) -> Option<Waiting> {
        let i = self.pending.iter().position(|p| p.req == req && p.to() == from)?;
        Some(self.pending.swap_remove(i).what)
    }

    fn on_rpc_timeout(&mut self, ctx: &mut Ctx, p: Pending) {
        let (req, to) = (p.req, p.to());
        match p.what {
            Waiting::Stabilize if self.is_zave(ctx) => self.zave_successor_timeout(ctx),
            Waiting::Stabilize => self.on_successor_timeout(ctx, to),
            Waiting::StabilizeFromPredecessor => self.zave_end_stabilization(ctx),
            Waiting::JoinQuery => ctx.out.push(crate::protocol::msg::Effect::JoinFailed),
            Waiting::Rectify => {
                if self.pred == Some(to) {
                    self.pred = Some(self.rectify_with);
                }
            }
            Waiting::CheckPredecessor => {
                if self.pred == Some(to) {
                    self.pred = None;
                }
            }
            Waiting::Lookup(l) => self.on_lookup_timeout(ctx, l, to),
            Waiting::Relay => self.on_relay_timeout(ctx, req, to),
            Waiting::RecLookup(l) => self.on_recursive_timeout(ctx, l),
            Waiting::FingerState(_) | Waiting::FingerProbe(_) => {} // the finger keeps its entry
        }
    }

    fn waiting_for(&self, what: Waiting) -> bool {
        self.pending.iter().any(|p| p.what == what)
    }

    /// Empties every finger that points at `p`.
    fn clear_fingers(&mut self, p: Peer) {
        self.fingers.remove_peer(p);
    }

    /// A lookup found `dead` unresponsive. ToN'03 forgets it everywhere. For `zave`, only fingers:
    /// the successor list and predecessor change only through Zave's own steps (TSE'17 Sec. III),
    /// which keep lists full-length and check liveness themselves.
    fn forget_routing(&mut self, ctx: &Ctx, dead: Peer) {
        if self.is_zave(ctx) {
            self.clear_fingers(dead);
        } else {
            self.forget(dead);
        }
    }

    /// ToN'03 Sec. V-A: a node presumed gone is removed from the successor list and finger table
    /// (and as predecessor).
    fn forget(&mut self, dead: Peer) {
        if dead == self.me {
            return;
        }
        self.succ.retain(|p| *p != dead);
        self.clear_fingers(dead);
        if self.pred == Some(dead) {
            self.pred = None;
        }
    }
}

/// `key ∈ (a, b]` shorthand used by several handlers.
fn owns(space: IdSpace, key: Id, a: Id, b: Id) -> bool {
    space.in_half_open(key, a, b)
}
