//! The simulation layer: the only owner of time and the event queue.
//!
//! Owns: the engine ([`engine::Sim`]: clock, slots, dispatch, effects, membership changes, sessions,
//! the application and host glue, the observer hook), the event queue ([`queue`]) and the network model
//! ([`net`]: latency, jitter, loss, partitions).
//! Never: decide protocol behaviour (the node's) or correctness (the oracle's); print or touch files.

pub mod engine;
pub mod net;
pub mod queue;
