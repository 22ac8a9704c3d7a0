//! The output layer: what a run leaves behind, formatted deterministically.
//!
//! Owns: the JSON report and its verdict ([`report`]), tables ([`csv`]), observers and the state trace
//! ([`trace`]), SVG plots ([`plot`]), output folders checked before a run ([`outdir`]), the progress
//! display and the one wall-clock reader ([`progress`]), how the user called chordsim ([`invocation`])
//! and statistics across seeds ([`stats`]).
//! Never: run a simulation or judge one; nothing here orders events.

pub mod csv;
pub mod invocation;
pub mod outdir;
pub mod plot;
pub mod progress;
pub mod report;
pub mod stats;
pub mod trace;
