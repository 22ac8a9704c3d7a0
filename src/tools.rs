//! The tools layer: what a user does with the simulator, each built on the layers below.
//!
//! Owns: driving a run ([`run`]), two runs compared event by event ([`determinism`]), rerunning a report
//! ([`replay`]), the failure class and causal slice of a failed run ([`diagnose`]), save and resume
//! ([`checkpoint`]), the interactive prompt ([`shell`]), many seeds on all cores ([`sweep`]) with
//! scenario variants ([`swarm`]), and the papers' experiments ([`paper`]).
//! Never: print to the terminal (the binary does) or change what a run computes.

pub mod checkpoint;
pub mod determinism;
pub mod diagnose;
pub mod paper;
pub mod replay;
pub mod run;
pub mod shell;
pub mod swarm;
pub mod sweep;
