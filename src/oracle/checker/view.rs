//! What the oracle reads of a node slot: [`NodeView`], read-only, implemented by the engine's slot.
//!
//! Owns: the boundary between the checker and the engine. The checker judges nodes through this
//! view and never names the engine's cache-tuned slot type, so the oracle does not depend on the
//! simulator (the simulator depends on the oracle). Functions take `&[V]` with `V: NodeView`
//! (generic, not `dyn`: the per-round scan is on the hot path and compiles to direct field reads).
//! Never: offer a way to change a node.

use crate::protocol::app::DhtNode;
use crate::protocol::node::Node;

/// A node slot as the oracle sees it.
pub trait NodeView {
    /// The node runs (it has not crashed or left).
    fn is_alive(&self) -> bool;
    /// Its protocol state.
    fn node(&self) -> &Node;
    /// Its DHT state, if it runs the DHT.
    fn dht(&self) -> Option<&DhtNode>;
}
