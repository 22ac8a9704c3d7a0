//! Zave's corrected ring maintenance (TSE'17 Sec. III), protocol variant `zave`.
//!
//! Owns: Join through the predecessor, StabilizeFromSuccessor, StabilizeFromPredecessor, Rectify, and
//! the "busy" rule. Systematic differences from ToN'03 (TSE'17 Sec. III): successor lists always hold
//! r entries (a dead head is replaced by the list's tail plus a `pad` placeholder); a node checks a
//! peer is live — by querying it — before adopting a pointer to it; each step reads at most one other
//! node's state and writes only its own; a node waiting on a state query answers others' state queries
//! with `Busy` (liveness pings are always answered). Lookups and fingers are shared with `ton03`.
//! Never: adopt a pointer learned second-hand without querying its owner first.

use super::{Node, Status, Waiting};
use crate::protocol::msg::{Ctx, Effect, Msg, Peer, Timer};
use crate::protocol::options::Variant;
use crate::protocol::peer::ListId;

impl Node {
    pub(super) fn is_zave(&self, ctx: &Ctx) -> bool {
        ctx.params.variant == Variant::Zave
    }

    /// A state query of ours is outstanding: answer others' state queries with `Busy`.
    pub(super) fn is_busy(&self) -> bool {
        self.pending
            .iter()
            .any(|p| matches!(p.what, Waiting::Stabilize | Waiting::StabilizeFromPredecessor | Waiting::JoinQuery))
    }

    /// StabilizeFromSuccessor: query head(succList) for its predecessor and list. A `pad` head names
    /// no node, so it counts as an unanswered query at once.
    pub(super) fn zave_stabilize(&mut self, ctx: &mut Ctx) {
        if self.status != Status::Joined || self.is_busy() {
            return;
        }
        for _ in 0..self.succ.len() {
            let head = self.succ[0];
            if head.is_pad() {
                self.zave_drop_head(ctx);
                continue;
            }
            // At `max_pending_rpcs` the query is not sent and this stabilization is skipped: the head
            // did not fail to answer, so it is not dropped.
            let _ = self.rpc(ctx, head, Waiting::Stabilize, |req| Msg::GetState { req });
            return;
        }
    }

    /// `succList = tail(succList) ++ [pad]`, pad being the identifier just after the last entry.
    fn zave_drop_head(&mut self, ctx: &Ctx) {
        if self.succ.is_empty() {
            return;
        }
        self.succ.remove(0);
        let last = self.succ.last().map_or(self.me.id, |p| p.id);
        self.succ.push(Peer::pad(ctx.params.space.id(last.0.wrapping_add(1))));
    }

    /// The head did not answer: drop it and stabilize again at once.
    pub(super) fn zave_successor_timeout(&mut self, ctx: &mut Ctx) {
        self.zave_drop_head(ctx);
        self.zave_stabilize(ctx);
    }

    /// `succList = [first] ++ butLast(theirs)`, padded to r if theirs was short.
    fn adopt_list(&mut self, ctx: &Ctx, first: Peer, theirs: ListId) {
        let r = ctx.params.r;
        self.succ.clear();
        self.succ.push(first);
        self.succ.extend(ctx.lists.get(theirs).iter().take(r - 1).copied());
        self.pad_to(ctx, r);
        self.fingers.set(1, Some(first));
    }

    /// Fills the successor list up to `r` entries with pads (full-length lists, TSE'17 Sec. III).
    fn pad_to(&mut self, ctx: &Ctx, r: usize) {
        while self.succ.len() < r {
            let last = self.succ.last().map_or(self.me.id, |p| p.id);
            self.succ.push(Peer::pad(ctx.params.space.id(last.0.wrapping_add(1))));
        }
    }

    /// StabilizeFromSuccessor answered. If the head's predecessor lies between us and the head, the
    /// next step is StabilizeFromPredecessor(newSucc): query it before adopting it.
    pub(super) fn zave_from_successor(&mut self, ctx: &mut Ctx, head: Peer, pred: Option<Peer>, list: ListId) {
        self.zave_answered();
        if self.succ.first() != Some(&head) {
            return; // our list changed while we waited
        }
        self.adopt_list(ctx, head, list);
        let space = ctx.params.space;
        if let Some(x) = pred.filter(|x| !x.is_pad() && space.in_open(x.id, self.me.id, head.id))
            && self.rpc(ctx, x, Waiting::StabilizeFromPredecessor, |req| Msg::GetState { req })
        {
            return;
        }
        self.zave_end_stabilization(ctx);
    }

    /// StabilizeFromPredecessor answered: `succList = [newSucc] ++ butLast(newSucc.succList)`.
    pub(super) fn zave_from_predecessor(&mut self, ctx: &mut Ctx, new_succ: Peer, list: ListId) {
        let space = ctx.params.space;
        if self.succ.first().is_some_and(|h| space.in_open(new_succ.id, self.me.id, h.id)) {
            self.adopt_list(ctx, new_succ, list);
        }
        self.zave_end_stabilization(ctx);
    }

    /// At the end of every stabilization: notify head(succList).
    pub(super) fn zave_end_stabilization(&mut self, ctx: &mut Ctx) {
        if let Some(&h) = self.succ.first().filter(|h| !h.is_pad()) {
            ctx.send(h, Msg::Notify);
        }
    }

    /// Rectify(newPrdc): adopt a closer notifier at once; otherwise adopt it only if the current
    /// predecessor fails a liveness query.
    pub(super) fn zave_rectify(&mut self, ctx: &mut Ctx, from: Peer) {
        let space = ctx.params.space;
        match self.pred {
            None => self.pred = Some(from),
            Some(p) if p == from => {}
            Some(p) if space.in_open(from.id, p.id, self.me.id) => self.pred = Some(from),
            Some(p) => {
                let checking = self.pending.iter().any(|q| q.what == Waiting::Rectify);
                if !checking {
                    self.rectify_with = from;
                    self.rpc(ctx, p, Waiting::Rectify, |req| Msg::Ping { req, user: false });
                }
            }
        }
    }

    /// The join lookup found `prdc` with our id ∈ (prdc, head(prdc.succList)]: query its state.
    pub(super) fn zave_join_found(&mut self, ctx: &mut Ctx, prdc: Peer) {
        if !self.rpc(ctx, prdc, Waiting::JoinQuery, |req| Msg::GetState { req }) {
            ctx.out.push(Effect::JoinFailed);
        }
    }

    /// Join: `succList = newPrdc.succList; prdc = newPrdc`.
    ///
    /// Deviation from TSE'17: the model finds newPrdc and reads its list in one atomic step; here a
    /// lookup and a query are separate messages, so we re-check that our id still lies in
    /// `(newPrdc, head(newPrdc.succList))` and retry the join later if not.
    pub(super) fn zave_join_reply(&mut self, ctx: &mut Ctx, prdc: Peer, list: ListId) {
        if self.status != Status::Joining {
            return;
        }
        let space = ctx.params.space;
        let theirs = ctx.lists.get(list);
        let fits = theirs.first().is_some_and(|h| !h.is_pad() && space.in_open(self.me.id, prdc.id, h.id));
        if !fits {
            return ctx.out.push(Effect::JoinFailed);
        }
        let r = ctx.params.r;
        self.succ.clear();
        self.succ.extend(theirs.iter().take(r).copied());
        self.pad_to(ctx, r);
        self.fingers.set(1, Some(self.succ[0]));
        self.pred = Some(prdc);
        self.status = Status::Joined;
        ctx.out.push(Effect::Joined);
    }

    /// Someone was busy with a state query of its own.
    ///
    /// TSE'17 Sec. III only says a busy node answers "busy" and the querier's step does not happen;
    /// when to try again is left open. Retrying at the next period livelocks in lockstep (jitter 0,
    /// constant latency: the same two nodes collide every period), so a busy stabilization is retried
    /// after a randomized binary exponential back-off drawn from the node's entropy (deterministic),
    /// as a contended medium does. A busy StabilizeFromPredecessor changes nothing and the retry starts
    /// the stabilization again from the successor, which finds the new successor again.
    pub(super) fn on_busy(&mut self, ctx: &mut Ctx, from: Peer, req: crate::protocol::msg::ReqId) {
        match self.take_pending(req, from) {
            Some(Waiting::Stabilize | Waiting::StabilizeFromPredecessor) => {
                let after_us = self.busy_backoff_us(ctx);
                ctx.timer(after_us, Timer::BusyRetry);
            }
            Some(Waiting::JoinQuery) => ctx.out.push(Effect::JoinFailed),
            _ => {}
        }
    }

    /// The back-off before retrying a busy stabilization: uniform in `[1, 2^(k-1) · rpc_timeout]`
    /// after the k-th consecutive busy answer (k capped at 6), never beyond one stabilize period. Under
    /// Zave's assumptions a state query is answered within one RPC timeout, so one window outlasts the
    /// query that made the other node busy.
    fn busy_backoff_us(&mut self, ctx: &Ctx) -> u64 {
        self.busy_streak = self.busy_streak.saturating_add(1).min(6);
        let p = ctx.params;
        let window = (p.rpc_timeout_us.max(1) << (self.busy_streak - 1)).min(p.stabilize_us.max(1));
        1 + ctx.entropy % window
    }

    /// A stabilization query was answered: the busy streak ends.
    pub(super) fn zave_answered(&mut self) {
        self.busy_streak = 0;
    }
}
