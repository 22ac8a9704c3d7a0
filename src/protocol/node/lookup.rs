//! Iterative lookups: `find_successor` and `closest_preceding_node` (ToN'03 Fig. 5, IV-E.3, V-A).
//!
//! Owns: the routing function ([`Node::route`], pure, shared with the checker's probe lookups) and the
//! lookup state machine run by the lookup's origin. A lookup asks one node at a time for its next hop;
//! once a node answers "the key is mine to hand out: my successor s", the origin contacts s, and the
//! lookup completes when s answers. Hops = live nodes contacted, including the final successor
//! (chord.md's reading of ToN'03 Table II); timeouts are counted separately.
//! On a timeout the origin removes the dead node from its own successor list and fingers (ToN'03 V-A:
//! "if it is in the successor list or finger table it is removed"), goes back to the node that
//! referred it to the dead one and tells it ("else n informs the node it learned about it from"); that
//! node forgets the dead node and answers with its next best candidate.
//! Join and finger lookups adopt the owner the last hop names; workload lookups contact it.
//! Never: allocate per routing step — `route()` scans fingers and list in place.

use super::{Node, Status, Waiting, owns};
use crate::id::Id;
use crate::protocol::msg::{Ctx, Effect, Msg, Peer, Purpose, ReqId};
use crate::protocol::options::Variant;

/// The answer of one routing step at one node.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Route {
    /// The key lies in `(node, successor]`: this is the owner to contact.
    Done(Peer),
    /// Ask this node next (the closest preceding node this node knows).
    Next(Peer),
}

#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Lookup {
    pub(super) id: u32,
    pub(super) key: Id,
    pub(super) purpose: Purpose,
    /// The node being asked now.
    pub(super) current: Peer,
    /// Who told us about `current`; `None` when the origin found it itself.
    pub(super) referrer: Option<Peer>,
    /// `current` is the owner being contacted, not a hop being asked.
    pub(super) final_step: bool,
    /// `current` was asked before (we came back after a timeout): no new hop when it answers.
    pub(super) revisit: bool,
    pub(super) hops: u16,
    pub(super) timeouts: u16,
    pub(super) steps: u16,
}

impl Node {
    /// One routing step at this node, ignoring the peers in `skip` (the checker's probes skip dead
    /// nodes this way; real lookups pass `&[]` because the node itself forgets dead peers).
    ///
    /// Deviation from ToN'03 Fig. 5: `closest_preceding_node` scans fingers from m down to 1 and takes
    /// the first in `(n, id)`; we take the candidate closest to `id` among all fingers and the whole
    /// successor list (IV-E.3 says the list is searched too). With correct fingers both pick the same.
    #[must_use]
    pub fn route(&self, key: Id, skip: &[Peer]) -> Route {
        let space = self.space;
        let usable = |p: &Peer| !skip.contains(p) && !p.is_pad();
        let succ = self.successor_without(skip);
        if owns(space, key, self.me.id, succ.id) {
            return Route::Done(succ);
        }
        if self.list_answers
            && let Some(&e) = self.succ.iter().find(|e| usable(e) && owns(space, key, self.me.id, e.id))
        {
            // Option `answer_from_successor_list` (the ToN'03 simulator's behaviour, as its Table II
            // implies): a key covered by the successor list is answered with its owner from the list.
            return Route::Done(e);
        }
        let mut best = succ;
        let mut best_d = space.dist(self.me.id, succ.id);
        let candidates = self.fingers.distinct().chain(self.succ.iter());
        for &c in candidates {
            if !usable(&c) || !space.in_open(c.id, self.me.id, key) {
                continue;
            }
            let d = space.dist(self.me.id, c.id);
            if d > best_d {
                best = c;
                best_d = d;
            }
        }
        Route::Next(best)
    }

    /// Starts a lookup for `key`. With `via`, the first question goes to that node (a join through a
    /// bootstrap node); otherwise the origin takes the first step itself.
    pub fn start_lookup(&mut self, ctx: &mut Ctx, key: Id, purpose: Purpose, via: Option<Peer>) {
        let id = self.next_lookup;
        self.next_lookup = self.next_lookup.wrapping_add(1);
        let mut l = Lookup {
            id,
            key,
            purpose,
            current: self.me,
            referrer: None,
            final_step: false,
            revisit: false,
            hops: 0,
            timeouts: 0,
            steps: 0,
        };
        match via {
            Some(b) => {
                l.current = b;
                self.ask(ctx, l);
            }
            None if ctx.params.recursive && matches!(purpose, Purpose::User(_) | Purpose::App(_)) => {
                self.start_recursive(ctx, l);
            }
            None => self.local_step(ctx, l),
        }
    }

    /// The origin routes from its own state.
    fn local_step(&mut self, ctx: &mut Ctx, mut l: Lookup) {
        l.referrer = None;
        l.revisit = false;
        match self.route(l.key, &[]) {
            Route::Done(s) if s == self.me => self.finish(ctx, l, Some(s)),
            Route::Done(s) if !Self::reaches_owner(ctx, &l) => self.finish(ctx, l, Some(s)),
            Route::Done(s) => {
                l.current = s;
                l.final_step = true;
                self.ask(ctx, l);
            }
            Route::Next(h) => {
                l.current = h;
                l.final_step = false;
                self.ask(ctx, l);
            }
        }
    }

    /// Sends the lookup's next message to `l.current` and parks the lookup until reply or timeout.
    fn ask(&mut self, ctx: &mut Ctx, mut l: Lookup) {
        self.ask_with(ctx, &mut l, None);
    }

    fn ask_with(&mut self, ctx: &mut Ctx, l: &mut Lookup, dead: Option<Peer>) {
        l.steps += 1;
        if l.steps > ctx.params.lookup_max_steps {
            return self.finish(ctx, *l, None);
        }
        let user = matches!(l.purpose, Purpose::User(_) | Purpose::App(_));
        let (key, final_step) = (l.key, l.final_step);
        let sent = self.rpc(ctx, l.current, Waiting::Lookup(l.id), |req| {
            if final_step { Msg::Ping { req, user } } else { Msg::FindNext { req, key, dead, user } }
        });
        if sent {
            self.lookups.push(*l);
        } else {
            self.finish(ctx, *l, None);
        }
    }

    /// The owner a joining node is contacting as the last step of its join lookup: the node it will
    /// adopt as its only successor when the answer arrives (the crash guard must not kill it then).
    #[must_use]
    pub fn join_target(&self) -> Option<crate::protocol::msg::Addr> {
        self.lookups.iter().find(|l| l.purpose == Purpose::Join && l.final_step).map(|l| l.current.addr)
    }

    pub(super) fn take_lookup(&mut self, id: u32) -> Option<Lookup> {
        let i = self.lookups.iter().position(|l| l.id == id)?;
        Some(self.lookups.swap_remove(i))
    }

    /// Serves a lookup step for someone else.
    pub(super) fn on_find_next(
        &mut self,
        ctx: &mut Ctx,
        from: Peer,
        req: ReqId,
        key: Id,
        dead: Option<Peer>,
        user: bool,
    ) {
        if self.status != Status::Joined {
            return; // a joining node cannot route; the asker will time out
        }
        if let Some(d) = dead {
            self.forget_routing(ctx, d);
        }
        let (done, node) = match self.route(key, &[]) {
            Route::Done(p) => (true, p),
            Route::Next(p) => (false, p),
        };
        ctx.send(from, Msg::FindNextReply { req, done, node, user });
    }

    pub(super) fn on_find_next_reply(&mut self, ctx: &mut Ctx, from: Peer, req: ReqId, done: bool, node: Peer) {
        let Some(Waiting::Lookup(lid)) = self.take_pending(req, from) else { return };
        let Some(mut l) = self.take_lookup(lid) else { return };
        if !l.revisit {
            l.hops += 1;
        }
        l.revisit = false;
        if node == self.me {
            // The asked node points back at the origin: for `done` the origin is the owner; otherwise
            // the origin continues from its own state.
            return if done { self.finish(ctx, l, Some(node)) } else { self.local_step(ctx, l) };
        }
        if done && l.purpose == Purpose::Join && self.is_zave(ctx) {
            // Zave's join needs the predecessor (`from`: key ∈ (from, node]), not the owner.
            return self.zave_join_found(ctx, from);
        }
        if done && !Self::reaches_owner(ctx, &l) {
            return self.finish(ctx, l, Some(node));
        }
        l.referrer = Some(from);
        l.current = node;
        l.final_step = done;
        self.ask(ctx, l);
    }

    /// Whether the lookup contacts the owner it found before finishing. Workload and application
    /// lookups do (ToN'03 Sec. V-A: a lookup succeeds iff it reaches the key's current successor).
    /// Join and finger lookups adopt the owner named by the last hop unchecked (Fig. 5: `successor =
    /// n'.find_successor(n)`), unless `ping_owner` (a deviation: Zave's liveness check before a join).
    /// Zave's variant always checks, as her protocol does before adopting any pointer.
    fn reaches_owner(ctx: &Ctx, l: &Lookup) -> bool {
        matches!(l.purpose, Purpose::User(_) | Purpose::App(_))
            || ctx.params.ping_owner
            || ctx.params.variant == Variant::Zave
    }

    pub(super) fn on_pong(&mut self, ctx: &mut Ctx, from: Peer, req: ReqId) {
        // Other answers are check_predecessor's (the predecessor is alive) or stale: nothing to do.
        let sent = self.sent_at(ctx, req, from);
        match self.take_pending(req, from) {
            Some(Waiting::Lookup(lid)) => {
                if let Some(mut l) = self.take_lookup(lid) {
                    l.hops += 1;
                    self.finish(ctx, l, Some(from));
                }
            }
            Some(Waiting::FingerProbe(i)) => self.finger_probed(ctx, i, from, sent),
            _ => {}
        }
    }

    pub(super) fn on_lookup_timeout(&mut self, ctx: &mut Ctx, lid: u32, dead: Peer) {
        let Some(mut l) = self.take_lookup(lid) else { return };
        l.timeouts += 1;
        l.final_step = false;
        if !ctx.params.lookup_retries && matches!(l.purpose, Purpose::User(_) | Purpose::App(_)) {
            // SIGCOMM'01 Sec. 6.4 (Fig. 12): no retries — a lookup that hits a dead node fails. The
            // origin still forgets the dead node, as after any timeout.
            self.forget_routing(ctx, dead);
            return self.finish(ctx, l, None);
        }
        match l.referrer {
            Some(r) if r != dead => {
                self.forget_routing(ctx, dead);
                l.current = r;
                l.referrer = None;
                l.revisit = true;
                self.ask_with(ctx, &mut l, Some(dead));
            }
            _ if self.status != Status::Joined => self.finish(ctx, l, None),
            _ => {
                self.forget_routing(ctx, dead);
                self.local_step(ctx, l);
            }
        }
    }

    pub(super) fn finish(&mut self, ctx: &mut Ctx, l: Lookup, owner: Option<Peer>) {
        match l.purpose {
            Purpose::User(tag) => {
                ctx.out.push(Effect::LookupDone { tag, key: l.key, owner, hops: l.hops, timeouts: l.timeouts });
            }
            Purpose::App(tag) => ctx.out.push(Effect::AppLookupDone { tag, owner }),
            Purpose::Finger(i) => {
                if let Some(o) = owner {
                    self.finger_found(ctx, i, o);
                }
            }
            Purpose::Join => self.join_done(ctx, owner),
        }
    }
}
