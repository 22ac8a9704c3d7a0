//! The hook through which tools watch a run: [`Observer`], called after every dispatched event with
//! read access to the whole simulation, and the [`Observed`] record of that event.
//!
//! Owns: the hook's contract only. Observers themselves (the determinism hash, the state trace, the
//! shell's clock, the diagnosis recorder) live with their tools (`trace.rs` and the rest).
//! Never: give an observer a way to change the simulation (it gets `&Sim`).

use crate::sim::engine::{Ev, Sim};
use std::any::Any;

/// An event the simulator has just dispatched.
#[derive(Copy, Clone, Debug)]
pub struct Observed {
    /// 0-based position in the run's event sequence.
    pub index: u64,
    /// Simulated time (µs) and global insertion counter: the queue order.
    pub at: u64,
    pub seq: u64,
    pub ev: Ev,
}

/// Sees every event after it was dispatched, with read access to the whole simulation.
pub trait Observer: Any + Send {
    /// Called once, when the initial ring is built and before the first event.
    fn start(&mut self, _sim: &Sim) {}
    fn after_event(&mut self, sim: &Sim, ev: &Observed);
}
