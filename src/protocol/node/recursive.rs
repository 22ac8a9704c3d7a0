//! Recursive lookups: each hop forwards the query to its next hop, and the owner answers the origin.
//!
//! Owns: the forwarding step ([`Node::relay`]), per-hop acknowledgements, rerouting around dead hops,
//! and the origin's end-to-end deadline. Used for workload and application lookups when
//! `protocol.lookup_style = "recursive"`; finger and join lookups stay iterative, so maintenance is the
//! same in both styles.
//!
//! Deviation from ToN'03: the paper (Fig. 5, Sec. V-A) describes and simulates iterative lookups only.
//! This follows the later implementations (MIT Chord's `recroute`, Dabek et al., NSDI'04 Sec. 4.2):
//! - A node that forwards a query (the origin included) keeps it until the next hop acknowledges it
//!   (`Ack`, sent by the receiver before it routes further). If no ack comes within the RPC timeout,
//!   the forwarder forgets the silent node exactly as an iterative origin would (ToN'03 V-A) and
//!   reroutes from its own state; the timeout is counted in the query.
//! - Routing is `Node::route`, as in iterative mode; when it says "the key is my successor s's", the
//!   query is forwarded to s with `last` set, s acks and answers the origin itself (as the iterative
//!   origin's final ping checks that s is alive). Hops = nodes that received the query, the owner
//!   included, the iterative convention.
//! - The origin holds an end-to-end deadline of [`E2E_TIMEOUTS`] RPC timeouts: a query lost after an
//!   ack (its holder crashed) ends as a failed lookup when it passes. A query that has taken
//!   `lookup_max_steps` steps (hops + reroutes) is answered "not found" by the node holding it.
//!
//! Never: allocate per hop beyond the `relays` entry (a boxed `Vec`, made on a node's first relay and
//! reused across queries).

use super::lookup::{Lookup, Route};
use super::{Node, Status, Waiting};
use crate::id::Id;
use crate::protocol::msg::{Ctx, Msg, Peer, ReqId};

/// The origin gives up on a recursive lookup after this many RPC timeouts.
pub const E2E_TIMEOUTS: u64 = 8;

/// A recursive query as a node holds it.
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct Query {
    pub lid: u32,
    pub key: Id,
    pub origin: Peer,
    pub hops: u16,
    pub touts: u16,
    pub user: bool,
}

/// A forwarded query awaiting its ack.
#[derive(Copy, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct Relay {
    req: ReqId,
    q: Query,
}

impl Node {
    /// The origin starts lookup `l` recursively: an end-to-end deadline, then the first forwarding step.
    pub(super) fn start_recursive(&mut self, ctx: &mut Ctx, l: Lookup) {
        let deadline = ctx.now + E2E_TIMEOUTS * ctx.params.rpc_timeout_us;
        if self.track(ctx, self.me, Waiting::RecLookup(l.id), deadline).is_none() {
            return self.finish(ctx, l, None);
        }
        self.arm(ctx, deadline);
        let user = matches!(l.purpose, crate::protocol::msg::Purpose::User(_) | crate::protocol::msg::Purpose::App(_));
        let q = Query { lid: l.id, key: l.key, origin: self.me, hops: 0, touts: 0, user };
        self.lookups.push(l);
        self.relay(ctx, q, &[]);
    }

    /// One routing step at this node, ignoring `skip` (a next hop that just failed to ack: `zave`
    /// forgets only fingers, so it may still be in the successor list): answer, or forward.
    fn relay(&mut self, ctx: &mut Ctx, q: Query, skip: &[Peer]) {
        if q.hops.saturating_add(q.touts) >= ctx.params.lookup_max_steps {
            return self.answer(ctx, q, None);
        }
        match self.route(q.key, skip) {
            Route::Done(s) if s == self.me => self.answer(ctx, q, Some(s)),
            Route::Done(s) => self.forward(ctx, q, s, true),
            Route::Next(h) if h == self.me => self.answer(ctx, q, None),
            Route::Next(h) => self.forward(ctx, q, h, false),
        }
    }

    fn forward(&mut self, ctx: &mut Ctx, q: Query, to: Peer, last: bool) {
        let Query { lid, key, origin, hops, touts, user } = q;
        let msg = |req| Msg::Forward { req, lid, key, origin, hops, touts, last, user };
        let req = self.next_req;
        if self.rpc(ctx, to, Waiting::Relay, msg) {
            self.relays.get_or_insert_default().push(Relay { req, q });
        } else {
            self.answer(ctx, q, None);
        }
    }

    /// Sends the outcome to the origin (or finishes locally when this node is the origin).
    fn answer(&mut self, ctx: &mut Ctx, q: Query, owner: Option<Peer>) {
        if q.origin == self.me {
            return self.on_found(ctx, q.lid, owner, q.hops, q.touts);
        }
        let found = owner.is_some();
        let owner = owner.unwrap_or(self.me);
        ctx.send(q.origin, Msg::Found { lid: q.lid, owner, found, hops: q.hops, touts: q.touts, user: q.user });
    }

    /// A query arrives. A node that has not joined cannot route: it stays silent and the sender
    /// reroutes; an owner (`last`) only has to answer, as to the iterative final ping.
    pub(super) fn on_forward(&mut self, ctx: &mut Ctx, from: Peer, req: ReqId, mut q: Query, last: bool) {
        if !last && self.status != Status::Joined {
            return;
        }
        ctx.send(from, Msg::Ack { req, user: q.user });
        q.hops = q.hops.saturating_add(1);
        if last { self.answer(ctx, q, Some(self.me)) } else { self.relay(ctx, q, &[]) }
    }

    pub(super) fn on_ack(&mut self, from: Peer, req: ReqId) {
        if let Some(Waiting::Relay) = self.take_pending(req, from)
            && let Some(relays) = self.relays.as_mut()
            && let Some(i) = relays.iter().position(|r| r.req == req)
        {
            relays.swap_remove(i);
        }
    }

    /// The next hop did not ack: forget it (ToN'03 V-A) and reroute from this node's state.
    pub(super) fn on_relay_timeout(&mut self, ctx: &mut Ctx, req: ReqId, dead: Peer) {
        let Some(relays) = self.relays.as_mut() else { return };
        let Some(i) = relays.iter().position(|r| r.req == req) else { return };
        let mut q = relays.swap_remove(i).q;
        q.touts = q.touts.saturating_add(1);
        if self.status != Status::Joined && q.origin != self.me {
            return self.answer(ctx, q, None);
        }
        self.forget_routing(ctx, dead);
        self.relay(ctx, q, &[dead]);
    }

    /// The answer of this node's lookup `lid` (ignored if the lookup already ended).
    pub(super) fn on_found(&mut self, ctx: &mut Ctx, lid: u32, owner: Option<Peer>, hops: u16, touts: u16) {
        let Some(i) = self.pending.iter().position(|p| p.what == Waiting::RecLookup(lid)) else { return };
        self.pending.swap_remove(i);
        let Some(mut l) = self.take_lookup(lid) else { return };
        (l.hops, l.timeouts) = (hops, touts);
        self.finish(ctx, l, owner);
    }

    /// The end-to-end deadline passed: the query was lost with a node that had acked it.
    pub(super) fn on_recursive_timeout(&mut self, ctx: &mut Ctx, lid: u32) {
        if let Some(mut l) = self.take_lookup(lid) {
            l.timeouts = l.timeouts.saturating_add(1);
            self.finish(ctx, l, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::*;
    use crate::id::Id;
    use crate::protocol::msg::{Effect, Msg, Purpose, Timer};
    use crate::protocol::options::Variant;

    fn fwd(req: u32, lid: u32, origin: u64, hops: u16, touts: u16, last: bool) -> Msg {
        Msg::Forward { req, lid, key: Id(30), origin: n(origin), hops, touts, last, user: true }
    }

    fn recursive() -> H {
        let mut h = H::installed(Variant::Ton03);
        h.p.recursive = true;
        h
    }

    #[test]
    fn origin_forwards_then_finishes_on_the_owners_answer() {
        let mut h = recursive();
        let fx = h.call(|node, ctx| node.start_lookup(ctx, Id(30), Purpose::User(7), None));
        let e2e = Effect::SetTimer { after_us: 800, timer: Timer::RpcCheck };
        // Key 30: the closest preceding node node 100 knows is finger 8, node 10.
        assert_eq!(fx, vec![e2e, send(n(10), fwd(1, 0, 100, 0, 0, false)), rpc_timer(1)]);
        assert_eq!(h.msg(n(10), Msg::Ack { req: 1, user: true }), vec![]);
        let found = Msg::Found { lid: 0, owner: n(40), found: true, hops: 3, touts: 0, user: true };
        let done = Effect::LookupDone { tag: 7, key: Id(30), owner: Some(n(40)), hops: 3, timeouts: 0 };
        assert_eq!(h.msg(n(40), found), vec![done]);
        assert_eq!(h.msg(n(40), found), vec![], "a second answer is stale");
        assert_eq!(h.node.pending_rpcs(), 0);
    }

    #[test]
    fn a_hop_acks_and_forwards_and_reroutes_around_a_silent_next_hop() {
        let mut h = recursive();
        let fx = h.msg(n(50), fwd(5, 2, 50, 1, 0, false));
        let ack = send(n(50), Msg::Ack { req: 5, user: true });
        assert_eq!(fx, vec![ack, send(n(10), fwd(0, 2, 50, 2, 0, false)), rpc_timer(0)]);
        // Node 10 never acks: it is forgotten and the query goes to the next best candidate, 200.
        let fx = h.expire();
        assert_eq!(fx, vec![send(n(200), fwd(1, 2, 50, 2, 1, false)), rpc_timer(1)]);
        assert!(!h.node.fingers().contains(&Some(n(10))));
    }

    #[test]
    fn the_owner_answers_the_origin_directly() {
        let mut h = recursive();
        let fx = h.msg(n(70), fwd(3, 4, 50, 2, 1, true));
        let found = Msg::Found { lid: 4, owner: n(100), found: true, hops: 3, touts: 1, user: true };
        assert_eq!(fx, vec![send(n(70), Msg::Ack { req: 3, user: true }), send(n(50), found)]);
    }

    #[test]
    fn a_lost_query_fails_at_the_end_to_end_deadline() {
        let mut h = recursive();
        h.call(|node, ctx| node.start_lookup(ctx, Id(30), Purpose::User(7), None));
        h.msg(n(10), Msg::Ack { req: 1, user: true });
        h.now = 100;
        assert_eq!(h.timer(Timer::RpcCheck), vec![Effect::SetTimer { after_us: 700, timer: Timer::RpcCheck }]);
        h.now = 800;
        let failed = Effect::LookupDone { tag: 7, key: Id(30), owner: None, hops: 0, timeouts: 1 };
        assert_eq!(h.timer(Timer::RpcCheck), vec![failed]);
    }
}
