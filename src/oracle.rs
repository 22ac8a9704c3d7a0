//! The oracle layer: ground truth and the judges that read the ring from outside.
//!
//! Owns: the true ring ([`truth`]), the checker that judges every lookup and the ring's structure each
//! round ([`checker`], reading nodes through [`checker::NodeView`]), the run's counters ([`metrics`]) and
//! Zave's properties, model and search ([`zave`]).
//! Never: change a node, name the engine, or decide what happens next — it only reads and judges.

pub mod checker;
pub mod metrics;
pub mod truth;
pub mod zave;
