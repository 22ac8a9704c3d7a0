//! Zave's ring properties and her model of the original Chord protocol (zave.md; Zave CCR'12, TSE'17).
//!
//! Owns: the identifier-space predicate of her model (`ring_id`), the named property checkers over any
//! read-only ring view (`properties`, used by the simulator's checker each round through
//! [`properties::RingView`]), the step-by-step model of the original protocol with its trace DSL
//! (`model`, replaying T1–T6 and T3'), and randomized search with shrinking over that model (`search`).
//! Must never: depend on the simulator's internals; the checkers see a network only through `RingView`.

pub mod model;
pub mod properties;
pub mod ring_id;
pub mod search;
