//! Proximity neighbour selection for fingers: each finger becomes the lowest-round-trip node among the
//! finger's owner and the owner's next `s - 1` successors (`protocol.finger_alternates = s`).
//!
//! Owns: the measurement and the choice. When `fix_fingers`' lookup finds finger i's owner o, the node
//! sets finger i to o as before, asks o for its state (the successor list holds the alternates; the
//! answer's round trip is o's), pings the first `s - 1` alternates, and moves finger i to any
//! alternate that answers faster than the entry it holds. Round trips are measured by the node itself
//! from its own RPCs (send time = deadline − RPC timeout), so the node stays sans-IO.
//!
//! Deviation from ToN'03: Fig. 6's `fix_fingers` sets finger i to `find_successor(n + 2^(i-1))`; this
//! follows the proximity variant of ToN'03 Sec. V (Table IV: finger alternates, lookup stretch) and
//! Gummadi et al. (SIGCOMM'03, "PNS"). Routing is unchanged: `route` still takes the candidate that
//! gets closest to the key, so any live finger keeps lookups correct; the checker's finger accuracy
//! then counts alternates as wrong entries (fingers are reported, not required for convergence).
//! Never: probe when the option is off (then no message, timer or allocation differs).

use super::{Node, Waiting};
use crate::protocol::msg::{Ctx, Msg, Peer, ReqId};
use crate::protocol::peer::ListId;

impl Node {
    /// When the pending RPC `req` to `from` was sent (only tracked with alternates on).
    pub(super) fn sent_at(&self, ctx: &Ctx, req: ReqId, from: Peer) -> Option<u64> {
        if ctx.params.finger_alternates <= 1 {
            return None;
        }
        let p = self.pending.iter().find(|p| p.req == req && p.to() == from)?;
        Some(p.deadline.saturating_sub(ctx.params.rpc_timeout_us))
    }

    /// `fix_fingers` found `owner` for finger `i`; with alternates on, measure it and its successors.
    pub(super) fn finger_found(&mut self, ctx: &mut Ctx, i: u8, owner: Peer) {
        self.fingers.set(u32::from(i), Some(owner));
        if ctx.params.finger_alternates <= 1 || owner == self.me {
            return;
        }
        let m = ctx.params.space.bits() as usize;
        let rtt = self.finger_rtt.get_or_insert_with(|| vec![u64::MAX; m].into_boxed_slice());
        rtt[i as usize - 1] = u64::MAX;
        self.rpc(ctx, owner, Waiting::FingerState(i), |req| Msg::GetState { req });
    }

    /// The finger's owner answered with its successor list: note its round trip, probe the alternates.
    pub(super) fn finger_state(&mut self, ctx: &mut Ctx, i: u8, from: Peer, sent: Option<u64>, list: ListId) {
        let (Some(sent), true) = (sent, self.fingers.get(u32::from(i)) == Some(from)) else { return };
        let Some(rtt) = self.finger_rtt.as_mut() else { return };
        rtt[i as usize - 1] = ctx.now - sent;
        let mut alts = [self.me; 32];
        let mut k = 0;
        for &p in ctx.lists.get(list).iter().take(ctx.params.finger_alternates - 1) {
            if p != self.me && !p.is_pad() && k < alts.len() {
                alts[k] = p;
                k += 1;
            }
        }
        for &p in &alts[..k] {
            self.rpc(ctx, p, Waiting::FingerProbe(i), |req| Msg::Ping { req, user: false });
        }
    }

    /// An alternate answered its probe: it becomes finger `i` if it is closer (in round trip).
    pub(super) fn finger_probed(&mut self, ctx: &Ctx, i: u8, from: Peer, sent: Option<u64>) {
        let Some(sent) = sent else { return };
        let rtt = ctx.now - sent;
        let Some(table) = self.finger_rtt.as_mut() else { return };
        let slot = &mut table[i as usize - 1];
        if rtt < *slot {
            *slot = rtt;
            self.fingers.set(u32::from(i), Some(from));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::harness::*;
    use crate::protocol::msg::{Msg, Timer};
    use crate::protocol::options::Variant;

    #[test]
    fn the_fastest_alternate_becomes_the_finger() {
        let mut h = H::installed(Variant::Ton03);
        h.p.finger_alternates = 3;
        let fx = h.call(|node, ctx| node.finger_found(ctx, 8, n(10)));
        assert_eq!(fx, vec![send(n(10), Msg::GetState { req: 0 }), rpc_timer(0)]);
        h.now = 40; // the owner's round trip: 40
        let list = h.lists.alloc(&[n(20), n(30), n(40)]);
        let fx = h.msg(n(10), Msg::StateReply { req: 0, pred: None, list });
        let ping = |req| Msg::Ping { req, user: false };
        assert_eq!(fx, vec![send(n(20), ping(1)), send(n(30), ping(2))], "s − 1 = 2 alternates probed");
        h.now = 70; // node 30: 30 < 40
        assert_eq!(h.msg(n(30), Msg::Pong { req: 2, user: false }), vec![]);
        h.now = 90; // node 20: 50, slower than 30
        h.msg(n(20), Msg::Pong { req: 1, user: false });
        assert_eq!(h.node.fingers()[7], Some(n(30)));
        assert_eq!(h.node.pending_rpcs(), 0);
    }

    #[test]
    fn off_by_default_the_owner_is_the_finger_and_nothing_is_sent() {
        let mut h = H::installed(Variant::Ton03);
        assert_eq!(h.call(|node, ctx| node.finger_found(ctx, 8, n(10))), vec![]);
        assert_eq!(h.node.fingers()[7], Some(n(10)));
        assert_eq!(h.timer(Timer::RpcCheck), vec![], "no RPC outstanding");
    }
}
