//! Joining and leaving: `create`, `join` (ToN'03 Fig. 6) and voluntary departure (ToN'03 IV-E.4).
//!
//! Owns: the transitions between [`Status`] values and the leave notifications. A joining node asks a
//! bootstrap node to look up its own id; the answer is its successor, and stabilization does the rest.
//! Never: choose a bootstrap node (the simulator does; a node knows no one before it joins).

use super::{Node, Status, Waiting};
use crate::protocol::msg::{Ctx, Effect, Msg, Peer, Purpose};

impl Node {
    /// ToN'03 Fig. 6 `create()`: a new ring of one node.
    pub fn create(&mut self) {
        self.pred = None;
        self.succ.clear();
        self.succ.push(self.me);
        self.status = Status::Joined;
    }

    /// ToN'03 Fig. 6 `join(n')`: `successor = n'.find_successor(n)`.
    pub fn join(&mut self, ctx: &mut Ctx, bootstrap: Peer) {
        self.status = Status::Joining;
        self.pred = None;
        self.succ.clear();
        self.start_lookup(ctx, self.me.id, Purpose::Join, Some(bootstrap));
    }

    pub(super) fn join_done(&mut self, ctx: &mut Ctx, owner: Option<Peer>) {
        if self.status != Status::Joining {
            return;
        }
        match owner {
            Some(s) if s != self.me && ctx.params.join_fetches_list => {
                if !self.rpc(ctx, s, Waiting::JoinQuery, |req| Msg::GetState { req }) {
                    ctx.out.push(Effect::JoinFailed);
                }
            }
            Some(s) if s != self.me => {
                self.succ.clear();
                self.succ.push(s);
                self.joined_with(ctx, s);
            }
            _ => ctx.out.push(Effect::JoinFailed),
        }
    }

    /// `join_fetches_list`: the owner `s` answered with its list; join with `[s] ++ list`, cut to r.
    pub(super) fn join_with_list(&mut self, ctx: &mut Ctx, s: Peer, list: crate::protocol::peer::ListId) {
        if self.status != Status::Joining {
            return;
        }
        let r = ctx.params.r;
        self.succ.clear();
        self.succ.push(s);
        let theirs = ctx.lists.get(list);
        self.succ.extend(theirs.iter().filter(|&&p| p != self.me && p != s).take(r - 1).copied());
        self.joined_with(ctx, s);
    }

    /// The successor list is set, headed by `s`: the node has joined.
    fn joined_with(&mut self, ctx: &mut Ctx, s: Peer) {
        self.fingers.set(1, Some(s));
        self.status = Status::Joined;
        ctx.out.push(Effect::Joined);
        if ctx.params.stabilize_on_join {
            self.stabilize(ctx);
        }
    }

    /// ToN'03 IV-E.4: tell the predecessor to drop us and append our last successor, and the
    /// successor to take our predecessor. Keys would be handed over here by an application.
    pub fn leave(&mut self, ctx: &mut Ctx) {
        if self.status == Status::Joined {
            let succ = self.successor();
            if let Some(p) = self.pred.filter(|&p| p != self.me) {
                ctx.send(p, Msg::LeaveToPred { last: self.succ.last().copied() });
            }
            if succ != self.me {
                ctx.send(succ, Msg::LeaveToSucc { pred: self.pred });
            }
        }
        self.status = Status::Left;
        self.pending.clear();
        self.lookups.clear();
        self.relays = None;
    }

    /// Our successor-list entry `from` is leaving: remove it and append its last successor (unless
    /// already listed: with fewer than r+1 nodes the lists wrap around and would repeat it).
    pub(super) fn on_leave_to_pred(&mut self, from: Peer, last: Option<Peer>) {
        let had = self.succ.len();
        self.succ.retain(|p| *p != from);
        if self.succ.len() < had
            && let Some(l) = last.filter(|&l| l != from && !self.succ.contains(&l))
        {
            self.succ.push(l);
        }
        self.clear_fingers(from);
        if !self.succ.is_empty() {
            self.fingers.set(1, self.succ.first().copied());
        }
    }

    /// Our predecessor `from` is leaving: its predecessor becomes ours.
    pub(super) fn on_leave_to_succ(&mut self, from: Peer, pred: Option<Peer>) {
        if self.pred == Some(from) {
            self.pred = pred.filter(|&p| p != self.me);
        }
        self.forget(from);
    }
}
