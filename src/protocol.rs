//! The protocol layer: the Chord node and the applications it carries, sans-IO.
//!
//! Owns: what a node knows and says — addresses and peers, the node's options, its messages, timers and
//! effects, the state machine (ToN'03 and Zave's corrected protocol) and the application layer with the
//! DHT. Handlers take an event and a [`msg::Ctx`] and return effects.
//! Never: name anything above the ground layer, or use randomness, a clock, the queue, files, sockets
//! or threads (`tests/it/layers.rs` checks it). The simulator owns time and delivery.

pub mod app;
pub mod msg;
pub mod node;
pub mod options;
pub mod peer;
