//! Ring maintenance: stabilize, notify, `check_predecessor`, `fix_fingers` (ToN'03 Fig. 6) and the
//! successor-list reconcile and failover of ToN'03 IV-E.3.
//!
//! Owns: the periodic timers' handlers and the state replies they cause. Invariants: at most one
//! stabilize and one predecessor check are in flight per node; the successor list is cut to r.
//! Never: decide liveness by anything but an RPC timeout (there is no oracle inside a node).

use super::{Node, Status, Waiting};
use crate::protocol::msg::{Ctx, Msg, Peer, Purpose, ReqId, Timer};
use crate::protocol::options::FingerRefresh;
use crate::protocol::peer::ListId;

impl Node {
    /// Arms the three periodic timers at random phases in `[0, period)`, so that nodes do not act in
    /// lockstep; with `maintenance = "joint"`, the one maintenance timer. The phases come from
    /// `ctx.entropy`.
    pub fn start_timers(&mut self, ctx: &mut Ctx) {
        let p = ctx.params;
        let e = ctx.entropy;
        let (s, f, c) = (p.stabilize_us.max(1), p.fix_fingers_us.max(1), p.check_pred_us.max(1));
        if p.joint.is_some() {
            return ctx.timer(mix(e, 1) % s, Timer::Maintain);
        }
        ctx.timer(mix(e, 1) % s, Timer::Stabilize);
        if p.finger_refresh.uses_fix_fingers_timer() {
            ctx.timer(mix(e, 2) % f, Timer::FixFingers);
        }
        ctx.timer(mix(e, 3) % c, Timer::CheckPredecessor);
    }

    /// The next stabilize interval, drawn from `[(1-j)T, (1+j)T]` with the timer's entropy.
    fn stabilize_delay(ctx: &Ctx) -> u64 {
        let p = ctx.params;
        let spread = (p.stabilize_us as f64 * p.stabilize_jitter) as u64;
        let next = p.stabilize_us - spread + if spread > 0 { ctx.entropy % (2 * spread + 1) } else { 0 };
        next.max(1)
    }

    pub(super) fn on_stabilize_timer(&mut self, ctx: &mut Ctx) {
        ctx.timer(Self::stabilize_delay(ctx), Timer::Stabilize);
        self.stabilize_tick(ctx);
    }

    /// `maintenance = "joint"`: one timer runs stabilize every tick, `fix_fingers` every `k`-th and
    /// `check_predecessor` every `l`-th tick (`Params::joint`), in that order.
    pub(super) fn on_maintain_timer(&mut self, ctx: &mut Ctx) {
        ctx.timer(Self::stabilize_delay(ctx), Timer::Maintain);
        let Some((fix_every, check_every)) = ctx.params.joint else { return };
        self.ticks = self.ticks.wrapping_add(1);
        self.stabilize_tick(ctx);
        if self.ticks.is_multiple_of(fix_every) && ctx.params.finger_refresh.uses_fix_fingers_timer() {
            self.fix_fingers_tick(ctx);
        }
        if self.ticks.is_multiple_of(check_every) {
            self.check_predecessor_tick(ctx);
        }
    }

    /// One stabilization, and the finger refresh that goes with it under the per-stabilize policies.
    fn stabilize_tick(&mut self, ctx: &mut Ctx) {
        if self.status != Status::Joined {
            return;
        }
        self.stabilize(ctx);
        match ctx.params.finger_refresh {
            FingerRefresh::FixFingers | FingerRefresh::OneIndexPerTick => {}
            FingerRefresh::OnePerStabilize => self.refresh_fingers(ctx, 1),
            FingerRefresh::AllPerStabilize => self.refresh_fingers(ctx, ctx.params.space.bits()),
        }
    }

    /// ToN'03 Fig. 6 `stabilize()`: ask the successor for its predecessor (and, IV-E.3, its list).
    /// For the `zave` variant, Zave's StabilizeFromSuccessor instead.
    pub fn stabilize(&mut self, ctx: &mut Ctx) {
        if self.is_zave(ctx) {
            return self.zave_stabilize(ctx);
        }
        if self.waiting_for(Waiting::Stabilize) {
            return;
        }
        let s = self.successor();
        if s == self.me {
            // Alone (or believes so): "asking" itself is local. A notifier that became our
            // predecessor is the only other node we know. Otherwise we are our own successor, as
            // after `create()`, and the list says so.
            if self.succ.is_empty() {
                self.succ.push(self.me);
            }
            if let Some(x) = self.pred.filter(|&x| x != self.me) {
                self.succ.clear();
                self.succ.push(x);
                ctx.send(x, Msg::Notify);
            }
            return;
        }
        // At `max_pending_rpcs` the query is not sent: this stabilization is skipped (the next period
        // retries); the successor did not time out, so it is not forgotten.
        let _ = self.rpc(ctx, s, Waiting::Stabilize, |req| Msg::GetState { req });
    }

    pub(super) fn on_get_state(&mut self, ctx: &mut Ctx, from: Peer, req: ReqId) {
        if self.status != Status::Joined {
            return;
        }
        if self.is_zave(ctx) && self.is_busy() {
            return ctx.send(from, Msg::Busy { req });
        }
        let list = ctx.lists.alloc_from(Some(self.me), &self.succ);
        ctx.send(from, Msg::StateReply { req, pred: self.pred, list });
    }

    /// A state query was answered: dispatch by what it was for.
    pub(super) fn on_state_reply(&mut self, ctx: &mut Ctx, from: Peer, req: ReqId, x: Option<Peer>, list: ListId) {
        let sent = self.sent_at(ctx, req, from);
        match self.take_pending(req, from) {
            Some(Waiting::FingerState(i)) => self.finger_state(ctx, i, from, sent, list),
            Some(Waiting::Stabilize) if self.is_zave(ctx) => self.zave_from_successor(ctx, from, x, list),
            Some(Waiting::Stabilize) => self.reconcile(ctx, from, x, list),
            Some(Waiting::StabilizeFromPredecessor) => self.zave_from_predecessor(ctx, from, list),
            Some(Waiting::JoinQuery) if self.is_zave(ctx) => self.zave_join_reply(ctx, from, list),
            Some(Waiting::JoinQuery) => self.join_with_list(ctx, from, list),
            _ => {} // a late answer
        }
    }

    /// ToN'03 Fig. 6 + IV-E.3: the successor `s` answered with its predecessor `x` and its list.
    fn reconcile(&mut self, ctx: &mut Ctx, s: Peer, x: Option<Peer>, list: ListId) {
        if self.successor() != s {
            return; // our successor changed meanwhile
        }
        let r = ctx.params.r;
        let space = ctx.params.space;
        // IV-E.3 reconcile: copy s's list, drop its last entry, prepend s. Fig. 6: x ∈ (n, successor)
        // becomes the successor, ahead of s, and the list is cut to r. The published protocol adopts x
        // without checking that it is alive (Zave TSE'17 Sec. II shows where that breaks the ring).
        // Built in place, never longer than r, so a list of r ≤ SUCC_INLINE stays inside the node.
        self.succ.clear();
        if let Some(x) = x.filter(|&x| space.in_open(x.id, self.me.id, s.id)) {
            self.succ.push(x);
        }
        if self.succ.len() < r {
            self.succ.push(s);
        }
        let theirs = ctx.lists.get(list);
        self.succ.extend(theirs.iter().take(r - self.succ.len()).copied());
        self.fingers.set(1, Some(self.succ[0]));
        let succ = self.succ[0];
        ctx.send(succ, Msg::Notify);
    }

    /// The successor did not answer: fail over to the next entry of the list and stabilize with it at
    /// once (ToN'03 IV-E.3: "replaces it with the first live entry … and reconciles").
    pub(super) fn on_successor_timeout(&mut self, ctx: &mut Ctx, dead: Peer) {
        self.forget(dead);
        if self.successor() != dead {
            self.stabilize(ctx);
        }
    }

    /// ToN'03 Fig. 6 `notify(n')`; Zave's Rectify for the `zave` variant.
    pub(super) fn on_notify(&mut self, ctx: &mut Ctx, from: Peer) {
        if self.status != Status::Joined || from == self.me {
            return;
        }
        if self.is_zave(ctx) {
            return self.zave_rectify(ctx, from);
        }
        let space = ctx.params.space;
        let adopt = match self.pred {
            None => true,
            Some(p) => space.in_open(from.id, p.id, self.me.id),
        };
        if adopt {
            let old = self.pred.replace(from);
            if let Some(o) = old.filter(|&o| ctx.params.notify_old_predecessor && o != from) {
                ctx.send(o, Msg::NewPredecessor { pred: from });
            }
        }
    }

    /// ToN'03 Sec. V-A: our successor's predecessor changed to `p`; adopt it if it is closer.
    pub(super) fn on_new_predecessor(&mut self, ctx: &mut Ctx, from: Peer, p: Peer) {
        let space = ctx.params.space;
        if self.status != Status::Joined || self.successor() != from || !space.in_open(p.id, self.me.id, from.id) {
            return;
        }
        // Cut first, then prepend: the list never grows past r (and so never spills to the heap).
        self.succ.truncate(ctx.params.r.saturating_sub(1));
        self.succ.insert(0, p);
        self.succ.truncate(ctx.params.r);
        self.fingers.set(1, Some(p));
    }

    pub(super) fn on_check_predecessor_timer(&mut self, ctx: &mut Ctx) {
        ctx.timer(ctx.params.check_pred_us.max(1), Timer::CheckPredecessor);
        self.check_predecessor_tick(ctx);
    }

    /// ToN'03 Fig. 6 `check_predecessor()`: ping the predecessor; no answer clears it.
    fn check_predecessor_tick(&mut self, ctx: &mut Ctx) {
        // Zave TSE'17 has no check_predecessor: Rectify checks the old predecessor when it matters.
        if self.status != Status::Joined || self.waiting_for(Waiting::CheckPredecessor) || self.is_zave(ctx) {
            return;
        }
        if let Some(p) = self.pred.filter(|&p| p != self.me) {
            self.rpc(ctx, p, Waiting::CheckPredecessor, |req| Msg::Ping { req, user: false });
        }
    }

    /// ToN'03 Fig. 6 `fix_fingers()`: refresh the next finger in turn.
    ///
    /// Deviation from ToN'03 (default `finger_refresh = "fix_fingers"`): a finger whose start lies in
    /// `(n, successor]` is set to the successor locally (the lookup would return exactly that) and the
    /// walk moves on to the next finger in the same tick, so each tick runs one lookup that is needed.
    /// With N nodes the first ~m − log N fingers are such fingers (IV-D); done one index a tick, as
    /// Fig. 6 reads (`"one_index_per_tick"`), a new node waits ~m − log N ticks for its first far finger
    /// and is cut off more often when its only successor fails (ToN'03's join window).
    pub(super) fn on_fix_fingers_timer(&mut self, ctx: &mut Ctx) {
        ctx.timer(ctx.params.fix_fingers_us.max(1), Timer::FixFingers);
        self.fix_fingers_tick(ctx);
    }

    fn fix_fingers_tick(&mut self, ctx: &mut Ctx) {
        if self.status != Status::Joined {
            return;
        }
        if ctx.params.finger_refresh == FingerRefresh::OneIndexPerTick {
            self.fix_next_finger(ctx);
        } else {
            self.refresh_fingers(ctx, 1);
        }
    }

    /// Advances `next_finger` and refreshes that finger: locally if its start lies in `(n, successor]`,
    /// else by a lookup. Returns whether a lookup was started.
    fn fix_next_finger(&mut self, ctx: &mut Ctx) -> bool {
        let space = ctx.params.space;
        let succ = self.successor();
        self.next_finger = self.next_finger % space.bits() + 1;
        let i = self.next_finger;
        let start = space.finger_start(self.me.id, i);
        if space.in_half_open(start, self.me.id, succ.id) {
            self.fingers.set(i, Some(succ));
            return false;
        }
        self.start_lookup(ctx, start, Purpose::Finger(i as u8), None);
        true
    }

    /// The finger refresh of the papers' simulators, run with each stabilization: walk the finger
    /// indices in turn until `lookups` fingers have been looked up or all m were visited. Fingers whose
    /// start lies in `(n, successor]` equal the successor that stabilization just refreshed and are set
    /// on the way, so `lookups = 1` refreshes "one other entry" of the ToN'03 simulator (Sec. V-A: each
    /// of the k unique entries once every k rounds) and `lookups = m` all fingers (SIGCOMM'01 Sec. 6.4).
    fn refresh_fingers(&mut self, ctx: &mut Ctx, lookups: u32) {
        let mut started = 0;
        for _ in 0..ctx.params.space.bits() {
            if started == lookups {
                return;
            }
            started += u32::from(self.fix_next_finger(ctx));
        }
    }
}

/// SplitMix64 finalizer: derives independent values from one entropy word.
pub(crate) fn mix(x: u64, salt: u64) -> u64 {
    let mut z = x.wrapping_add(salt.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
