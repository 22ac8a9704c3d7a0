//! chordsim — a deterministic discrete-event simulator of the Chord DHT.
//!
//! Architecture (see DESIGN.md in the project's shared notes; this is the map of the code):
//!
//! ```text
//! scenario.toml → scenario::Scenario::load (+ scenario::check) → Scenario ──────────┐
//! seed → rng::SimRng {ids, net, churn, workload, check, node, coords, partition} ───┤
//!                                                                                   ▼
//!   sim::engine::Sim: pop (time, seq) → Deliver → node.on_message | Timer → node.on_timer
//!             | AppTimer → app | Script / Churn / Lookup (engine/churn.rs)
//!             | Session (engine/session.rs) | Round → oracle::checker.check_round
//!   effects → Sim::apply: Send → sim::net (loss, latency) → sim::queue; SetTimer → queue;
//!             LookupDone → checker judges; Joined / JoinFailed → truth / retry
//!   end → output::report::Report {seed, version, resolved scenario, rounds, stats, verdict}
//! ```
//!
//! Streams: the run's seed feeds named ChaCha8 streams ([`rng::Stream`]), all handed out by
//! [`rng::SimRng`]: `ids`, `net`, `churn`, `workload`, `check`, `node`, `coords` (Euclidean host
//! coordinates) and `partition` (a scripted partition's sides) for the run; `swarm`
//! ([`rng::SimRng::swarm`]) for a sweep's scenario variants, drawn before any run.
//!
//! The folder list is the architecture: one folder per layer, lowest first. A module names only its
//! own layer or those below, with no cycle (`tests/it/layers.rs` checks both, that every top-level
//! file or folder belongs to a layer, and that the protocol layer is sans-IO):
//! - ground (files at the top): [`id`] ring ids and intervals · [`rng`] seeded named streams ·
//!   [`time`] simulated µs and its conversions · [`prefetch`] cache hints (the one `unsafe` block)
//!   · [`bounds`] limits restored state must respect, and how much input a message quotes ·
//!   [`out`](mod@out) stdout and stderr that end quietly on a broken pipe.
//! - [`protocol`] (sans-IO): [`protocol::peer`] addresses, peers and the list arena ·
//!   [`protocol::options`] the node's options and parameters · [`protocol::msg`] the node's
//!   vocabulary (messages, timers, effects, the handler's context) · [`protocol::node`] the Chord
//!   state machine · [`protocol::app`] the application layer and the DHT.
//! - [`scenario`]: the TOML schema, validation, the latency matrix, the memory estimate.
//! - [`oracle`]: [`oracle::truth`] ground truth · [`oracle::checker`] the outside oracle (reads
//!   nodes through [`oracle::checker::NodeView`]) · [`oracle::metrics`] counters · [`oracle::zave`]
//!   Zave's properties, model and search.
//! - [`sim`]: [`sim::engine`] the engine (run control and the observer hook, saved state,
//!   membership changes, session churn, application and network glue) · [`sim::queue`] the event
//!   queue · [`sim::net`] latency, jitter, loss, partitions.
//! - [`output`]: [`output::report`] the JSON report and verdict · [`output::csv`] tables ·
//!   [`output::trace`] observers and the state trace · [`output::plot`] SVG plots ·
//!   [`output::outdir`] output folders checked before a run · [`output::progress`] the progress
//!   display, the wall-clock reader · [`output::invocation`] how the user called chordsim (for
//!   repro lines) · [`output::stats`] statistics across seeds.
//! - [`tools`]: [`tools::run`] driving a run · [`tools::determinism`] two runs compared event by
//!   event · [`tools::replay`] rerunning a report · [`tools::diagnose`] the failure class and
//!   causal slice of a failed run · [`tools::checkpoint`] save and resume · [`tools::shell`] an
//!   interactive prompt over one simulation · [`tools::sweep`] many seeds on all cores (summaries,
//!   shards, merge and its checks) · [`tools::swarm`] scenario variants · [`tools::paper`] the
//!   papers' experiments.
//! - the binary: `main.rs` parses and dispatches; `cli.rs` and `cli/` hold the clap types and one file
//!   per command, which print.
//!
//! Running a scenario from code:
//!
//! ```
//! use chordsim::{scenario::Scenario, tools::run::Run};
//! let text = "duration_s = 300\n[initial]\nnodes = 16\n[protocol]\nstabilize_interval_ms = 10000";
//! let sc = Scenario::parse(text, "<doc>", "doc").expect("valid");
//! let report = Run::new(sc).and_then(Run::report).expect("runs");
//! assert_eq!(report.verdict.verdict.name(), "pass");
//! ```
//!
//! Rules: the node never sees an RNG, clock or the queue; only the simulator owns time; the checker
//! never changes state; no hash-order iteration, wall clock or unseeded randomness anywhere that
//! orders events or output.
#![deny(unsafe_code)] // one audited exception: the cache hint in `prefetch`

pub mod bounds;
pub mod id;
pub mod out;
pub mod prefetch;
pub mod rng;
pub mod time;

pub mod oracle;
pub mod output;
pub mod protocol;
pub mod scenario;
pub mod sim;
pub mod tools;
