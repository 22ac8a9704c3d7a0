//! Who a node talks to: the slot [`Addr`] the simulator delivers to, the [`Peer`] (ring id and
//! address) the protocol keeps in its tables, and the [`Lists`] arena in which lists of peers travel
//! between nodes (a message carries a [`ListId`], never a `Vec`, so events stay small and `Copy`).
//!
//! Owns: these types, the placeholder address of Zave's `pad` entries, the range check an address
//! read back from a checkpoint passes (`bounds.rs`), and the arena's slot recycling (steady state
//! allocates nothing). The protocol's vocabulary (`msg.rs`)
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
    #[must_use]
    pub fn pad(id: Id) -> Peer {
        Peer { id, addr: Addr::PAD }
    }

    #[must_use]
    pub fn is_pad(&self) -> bool {
        self.addr == Addr::PAD
    }
}

/// Handle of a successor list in [`Lists`].
#[derive(Copy, Clone, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct ListId(pub u32);

/// Successor lists in flight, each with the node that sent it. Slots are recycled, so steady state
/// allocates nothing.
#[derive(Default, Debug, serde::Serialize, serde::Deserialize)]
pub struct Lists {
    slots: Vec<Vec<Peer>>,
    owners: Vec<Option<Peer>>,
    used: Vec<bool>,
    free: Vec<u32>,
}

impl Lists {
    pub fn alloc(&mut self, peers: &[Peer]) -> ListId {
        self.alloc_from(None, peers)
    }

    /// A list sent by `owner` (its own successor list).
    pub fn alloc_from(&mut self, owner: Option<Peer>, peers: &[Peer]) -> ListId {
        if let Some(i) = self.free.pop() {
            let v = &mut self.slots[i as usize];
            v.clear();
            v.extend_from_slice(peers);
            self.owners[i as usize] = owner;
            self.used[i as usize] = true;
            ListId(i)
        } else {
            self.slots.push(peers.to_vec());
            self.owners.push(owner);
            self.used.push(true);
            ListId(self.slots.len() as u32 - 1)
        }
    }

    /// Every list in flight with its sender, in slot order.
    pub fn in_flight(&self) -> impl Iterator<Item = (Option<Peer>, &[Peer])> {
        self.slots.iter().zip(&self.owners).zip(&self.used).filter(|(_, u)| **u).map(|((l, o), _)| (*o, l.as_slice()))
    }

    #[must_use]
    pub fn get(&self, id: ListId) -> &[Peer] {
        &self.slots[id.0 as usize]
    }

    pub fn release(&mut self, id: ListId) {
        self.used[id.0 as usize] = false;
        self.free.push(id.0);
    }

    /// Read back from a checkpoint: the arena's columns agree, the free slots are the unused ones, and
    /// `refs`, the lists the messages in flight carry, are in use and each carried once.
    pub fn check_restored(&self, refs: &mut [u32]) -> Result<(), String> {
        let n = self.slots.len();
        if self.owners.len() != n || self.used.len() != n {
            return Err(format!("list arena: {n} lists, {} owners, {} flags", self.owners.len(), self.used.len()));
        }
        crate::bounds::check_arena("successor list", n, &self.free, refs)?;
        if self.free.len() + self.used.iter().filter(|&&u| u).count() != n
            || self.free.iter().any(|&f| self.used[f as usize])
        {
            return Err("list arena: the free lists are not the unused ones".into());
        }
        if let Some(r) = refs.iter().find(|&&r| !self.used[r as usize]) {
            return Err(format!("successor list {r} is carried by a message but unused"));
        }
        Ok(())
    }

    /// Lists currently allocated (for leak checks in tests).
    #[must_use]
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}
