//! Applications on top of the overlay. The overlay carries their messages (`Msg::App`) without
//! looking inside, runs their lookups, and tells them when the node's successor list or predecessor
//! changes; it knows nothing of keys and values. The DHT ([`dht`]) is the first application.
//!
//! Owns: the application vocabulary ([`AppMsg`], [`AppTimer`], [`AppEffect`]), the context an
//! application handler gets ([`AppCtx`]), the per-node [`App`] dispatch, and the [`Items`] arena that
//! carries batches of items between nodes (events stay small: a batch travels as an index).
//! Never: touch the overlay's state, the queue, a clock or an RNG (sans-IO like the node).

pub mod dht;

use crate::id::{Id, IdSpace};
use crate::protocol::peer::Peer;
pub use dht::{DhtMsg, DhtNode, DhtTimer, OpKind, OpResult};

/// An application message.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AppMsg {
    Dht(DhtMsg),
}

/// An application timer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AppTimer {
    Dht(DhtTimer),
}

/// What an application handler asks the simulator to do.
#[derive(Copy, Clone, Debug, PartialEq)]
pub enum AppEffect {
    Send {
        to: Peer,
        msg: AppMsg,
    },
    SetTimer {
        after_us: u64,
        timer: AppTimer,
    },
    /// Run an overlay lookup for `key`; the answer comes back through `on_lookup_done(tag, …)`.
    Lookup {
        key: Id,
        tag: u32,
    },
    /// A client operation finished (the checker judges it).
    OpDone {
        op: u32,
        result: OpResult,
    },
    /// Items moved (for bandwidth accounting): `count` items in one message.
    Transferred {
        count: u32,
    },
}

/// Settings of the applications, resolved from the scenario.
#[derive(Clone, Debug)]
pub struct AppParams {
    pub space: IdSpace,
    pub replicas: usize,
    pub repair_us: u64,
    pub repair_items: usize,
    pub batch_items: usize,
    pub rpc_timeout_us: u64,
}

/// One stored item: a key and the version written (values are not simulated, only versions).
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Item {
    pub key: Id,
    pub version: u32,
}

/// Handle of a batch of items in flight.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchId(pub u32);

/// Batches of items in flight; slots are recycled.
#[derive(Default, Debug, serde::Serialize, serde::Deserialize)]
pub struct Items {
    slots: Vec<Vec<Item>>,
    free: Vec<u32>,
}

impl Items {
    pub fn alloc(&mut self, items: &[Item]) -> BatchId {
        if let Some(i) = self.free.pop() {
            self.slots[i as usize].clear();
            self.slots[i as usize].extend_from_slice(items);
            BatchId(i)
        } else {
            self.slots.push(items.to_vec());
            BatchId(self.slots.len() as u32 - 1)
        }
    }

    #[must_use]
    pub fn get(&self, b: BatchId) -> &[Item] {
        &self.slots[b.0 as usize]
    }

    pub fn release(&mut self, b: BatchId) {
        self.free.push(b.0);
    }

    /// Read back from a checkpoint: free slots exist and are distinct; `refs`, the batches the
    /// messages in flight carry, exist, are not free, and are each carried once (a batch is released
    /// when its message is delivered or lost).
    pub fn check_restored(&self, refs: &mut [u32]) -> Result<(), String> {
        crate::bounds::check_arena("item batch", self.slots.len(), &self.free, refs)
    }
}

/// What an application handler may touch.
pub struct AppCtx<'a> {
    pub now: u64,
    pub me: Peer,
    /// The node's successor list and predecessor, read-only.
    pub succ: &'a [Peer],
    pub pred: Option<Peer>,
    pub params: &'a AppParams,
    pub items: &'a mut Items,
    pub out: &'a mut Vec<AppEffect>,
}

impl AppCtx<'_> {
    pub fn send(&mut self, to: Peer, msg: DhtMsg) {
        self.out.push(AppEffect::Send { to, msg: AppMsg::Dht(msg) });
    }

    pub fn timer(&mut self, after_us: u64, t: DhtTimer) {
        self.out.push(AppEffect::SetTimer { after_us, timer: AppTimer::Dht(t) });
    }
}

/// The application a node runs.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub enum App {
    #[default]
    None,
    /// Boxed: a node without the DHT pays one pointer, not the DHT's state.
    Dht(Box<DhtNode>),
}

impl App {
    pub fn on_message(&mut self, ctx: &mut AppCtx, from: Peer, m: AppMsg) {
        match (self, m) {
            (App::Dht(d), AppMsg::Dht(m)) => d.on_message(ctx, from, m),
            (App::None, _) => {}
        }
    }

    pub fn on_timer(&mut self, ctx: &mut AppCtx, t: AppTimer) {
        match (self, t) {
            (App::Dht(d), AppTimer::Dht(t)) => d.on_timer(ctx, t),
            (App::None, _) => {}
        }
    }

    pub fn on_lookup_done(&mut self, ctx: &mut AppCtx, tag: u32, owner: Option<Peer>) {
        if let App::Dht(d) = self {
            d.on_lookup_done(ctx, tag, owner);
        }
    }

    /// The node's successor list or predecessor changed (or the node just joined).
    pub fn on_neighbors(&mut self, ctx: &mut AppCtx) {
        if let App::Dht(d) = self {
            d.on_neighbors(ctx);
        }
    }

    /// The node is about to leave gracefully.
    pub fn on_leave(&mut self, ctx: &mut AppCtx) {
        if let App::Dht(d) = self {
            d.on_leave(ctx);
        }
    }

    #[must_use]
    pub fn dht(&self) -> Option<&DhtNode> {
        match self {
            App::Dht(d) => Some(d),
            App::None => None,
        }
    }

    pub fn dht_mut(&mut self) -> Option<&mut DhtNode> {
        match self {
            App::Dht(d) => Some(d),
            App::None => None,
        }
    }
}
