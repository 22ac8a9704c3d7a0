//! Plots, in hand-written SVG (no plotting crate): the per-run charts and ring pictures written beside
//! `report.json`, and the paper figures (`paper.rs` draws through [`chart`] too, so there is one
//! plotting code path).
//!
//! Modules: [`svg`] primitives (document, scales, ticks, axes, legend, markers, decimation) ·
//! [`chart`] line charts with an optional bar strip · [`capture`] what a run records for its plots
//! (membership per round, hops per round, ring snapshots) · [`ring`] the ring picture ·
//! [`run_plots`] which plots a run gets and their files.
//! Invariants: output is a pure function of its inputs (fixed float formatting, no hash-order
//! iteration, no clock), so the same seed writes the same bytes. Never: change a run — capturing
//! reads the simulation like the checker does.

pub mod capture;
pub mod chart;
pub mod ring;
pub mod run_plots;
pub mod svg;

pub use capture::Capture;
pub use run_plots::{render_all, write};
