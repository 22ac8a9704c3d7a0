//! Who a node talks to: the slot [`Addr`] the simulator delivers to and the [`Peer`] (ring id and
//! address) the protocol keeps in its tables.
//!
//! Owns: these two types, the placeholder address of Zave's `pad` entries, and the range check an
//! address read back from a checkpoint passes (`bounds.rs`). The protocol's vocabulary (`msg.rs`)
//! and the applications (`app/`) both build on it, so neither needs the other for them.
//! Never: know about messages, time or the simulator.

use crate::id::Id;

/// A node slot in the simulator. Addresses are never reused, so a stale address names a dead node.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, serde::Serialize)]
pub struct Addr(pub u32);

/// Read back from a checkpoint, an address is checked against the state's slot count
/// ([`crate::bounds`]), so that no event, RPC or list restored from a forged file names a slot
/// that does not exist.
impl<'de> serde::Deserialize<'de> for Addr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Addr, D::Error> {
        let a = <u32 as serde::Deserialize>::deserialize(d)?;
        crate::bounds::addr(a).map(Addr).map_err(serde::de::Error::custom)
    }
}

impl Addr {
    /// The address of a placeholder entry (Zave's `pad`): names no node, never contacted.
    pub const PAD: Addr = Addr(u32::MAX);
}

/// A reference to a remote node as the protocol knows it: its ring id and where to send.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, serde::Serialize, serde::Deserialize)]
pub struct Peer {
    pub id: Id,
    pub addr: Addr,
}

impl Peer {
    /// Zave TSE'17 Sec. III: the placeholder for "the identifier just after the last entry", which
    /// names no live node.
    pub fn pad(id: Id) -> Peer {
        Peer { id, addr: Addr::PAD }
    }

    pub fn is_pad(&self) -> bool {
        self.addr == Addr::PAD
    }
}
