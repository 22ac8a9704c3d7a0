//! The one integration-test binary: the ring-test DSL and tests of whole runs (scenarios,
//! determinism, the command line, sweeps and shard merging, replay and reproduction, the shell).
//! Unit tests live next to the code they test.

// The test harness captures std's print macros; the binary itself uses chordsim's (see src/out.rs).
#![allow(clippy::disallowed_macros)]

mod checkpoint;
mod checkpoint_forged;
mod checkpoint_side;
mod cli;
mod determinism;
mod dht;
mod diagnose;
mod dsl;
mod input;
mod input_fuzz;
mod layers;
mod merge;
mod net;
mod paper;
mod pipes;
mod plots;
mod props;
mod replay;
mod ring;
mod scenarios;
mod schema;
mod search;
mod sessions;
mod shell;
mod shell_limits;
mod sweep;
mod util;
