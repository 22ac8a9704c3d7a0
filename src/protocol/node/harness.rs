//! Test harness for node handlers (tests only): a node plus the simulator-side buffers a handler
//! needs, so a test feeds one message or timer in and compares the exact effects out. Ids live in an
//! 8-bit space; node `n(x)` has id x and address x, so effects are easy to read.
//! Never: used outside `#[cfg(test)]`.

use super::Node;
use crate::id::{Id, IdSpace};
use crate::protocol::msg::{Addr, Ctx, Effect, Msg, Peer, Timer};
use crate::protocol::options::Params;
use crate::protocol::options::Variant;
use crate::protocol::peer::Lists;

pub fn n(x: u64) -> Peer {
    Peer { id: Id(x), addr: Addr(x as u32) }
}

pub fn params(variant: Variant) -> Params {
    Params {
        variant,
        space: IdSpace::new(8),
        r: 3,
        stabilize_us: 1000,
        stabilize_jitter: 0.0,
        fix_fingers_us: 2000,
        check_pred_us: 3000,
        rpc_timeout_us: 100,
        lookup_max_steps: 16,
        notify_old_predecessor: false,
        max_pending: 64,
        join_retry_us: 500,
        ping_owner: false,
        successor_fallback: false,
        join_fetches_list: false,
        finger_refresh: crate::protocol::options::FingerRefresh::FixFingers,
        lookup_retries: true,
        stabilize_on_join: false,
        joint: None,
        recursive: false,
        finger_alternates: 0,
    }
}

pub struct H {
    pub now: u64,
    pub node: Node,
    pub p: Params,
    pub lists: Lists,
    pub out: Vec<Effect>,
}

impl H {
    /// Node 100 with predecessor 50, successors [120, 150, 200], and fingers all at 120 except
    /// finger 7 (start 164) → 200 and finger 8 (start 228) → 10.
    pub fn installed(variant: Variant) -> H {
        let mut h = H::fresh(100, variant);
        let mut fingers = vec![Some(n(120)); 8];
        fingers[6] = Some(n(200));
        fingers[7] = Some(n(10));
        h.node.install(Some(n(50)), &[n(120), n(150), n(200)], &fingers);
        h
    }

    /// Node `id`, not part of any ring yet.
    pub fn fresh(id: u64, variant: Variant) -> H {
        let p = params(variant);
        H { now: 0, node: Node::new(n(id), p.space), p, lists: Lists::default(), out: Vec::new() }
    }

    pub fn call(&mut self, f: impl FnOnce(&mut Node, &mut Ctx)) -> Vec<Effect> {
        self.out.clear();
        let mut ctx = Ctx { now: self.now, params: &self.p, entropy: 0, lists: &mut self.lists, out: &mut self.out };
        f(&mut self.node, &mut ctx);
        self.out.clone()
    }

    pub fn msg(&mut self, from: Peer, m: Msg) -> Vec<Effect> {
        self.call(|node, ctx| node.on_message(ctx, from, m))
    }

    pub fn timer(&mut self, t: Timer) -> Vec<Effect> {
        self.call(|node, ctx| node.on_timer(ctx, t))
    }

    /// Lets the RPC timeout pass and fires the node's RPC check.
    pub fn expire(&mut self) -> Vec<Effect> {
        self.now += self.p.rpc_timeout_us;
        self.timer(Timer::RpcCheck)
    }

    pub fn succ(&self) -> Vec<Peer> {
        self.node.succ_list().to_vec()
    }

    pub fn succ_ids(&self) -> Vec<u64> {
        self.node.succ_list().iter().map(|p| p.id.0).collect()
    }
}

pub fn send(to: Peer, msg: Msg) -> Effect {
    Effect::Send { to, msg }
}

/// The node's RPC check timer, armed with the first outstanding RPC.
pub fn rpc_timer(_req: u32) -> Effect {
    Effect::SetTimer { after_us: 100, timer: Timer::RpcCheck }
}
