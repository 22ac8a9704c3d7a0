//! chordsim — a deterministic discrete-event simulator of the Chord DHT.
//!
//! Architecture (see DESIGN.md in the project's shared notes; this is the map of the code):
//!
//! ```text
//! scenario.toml → scenario::Scenario::load (+ scenario::check) → Scenario─┐
//! seed → rng::SimRng {ids, net, churn, workload, check, node} ────────────┤
//!                                                                         ▼
//!   sim::Sim: pop (time, seq) → Deliver → node.on_message | Timer → node.on_timer | AppTimer → app
//!             | Script / Churn / Lookup (churn.rs) | Session (sim/session.rs) | Round → checker.check_round
//!   effects → Sim::apply: Send → net (loss, latency) → queue; SetTimer → queue;
//!             LookupDone → checker judges; Joined / JoinFailed → truth / retry
//!   end → report::Report {seed, version, resolved scenario, rounds, stats, verdict}
//! ```
//!
//! Streams: the run's seed feeds named ChaCha8 streams ([`rng::Stream`]): `ids`, `net`, `churn`,
//! `workload`, `check` and `node` in [`rng::SimRng`]; `coords` and `partition` inside the network;
//! `swarm` for a sweep's scenario variants, drawn before any run.
//!
//! Modules by layer, lowest first; a module names only its own layer or those below, with no cycle
//! (`tests/it/layers.rs` checks both, and that the protocol layer is sans-IO):
//! - ground: [`id`] ring ids and intervals · [`rng`] seeded named streams · [`prefetch`] cache hints
//!   (the one `unsafe` block) · [`bounds`] limits restored state must respect, and how much input a
//!   message quotes · [`out`] stdout and stderr that end quietly on a broken pipe.
//! - protocol (sans-IO): [`peer`] addresses and peers · [`options`] the node's own options · [`msg`]
//!   the node's vocabulary (messages, timers, effects, the list arena) · [`node`] the Chord state
//!   machine · [`app`] the application layer and the DHT.
//! - scenario: [`scenario`] the TOML schema, validation, the latency matrix, the memory estimate.
//! - oracle: [`truth`] ground truth · [`checker`] the outside oracle (reads nodes through
//!   [`checker::NodeView`]) · [`metrics`] counters · [`zave`] Zave's properties, model and search.
//! - engine: [`sim`] the engine (observer hook, session churn) with [`sim_app`] and [`sim_net`] its
//!   application and network glue · [`queue`] the event queue · [`net`] latency, jitter, loss,
//!   partitions · [`churn`] membership changes and generators.
//! - output: [`report`] the JSON report and verdict · [`csv`] tables · [`trace`] observers and the
//!   state trace · [`plot`] SVG plots · [`outdir`] output folders checked before a run · [`progress`]
//!   the progress display, the wall-clock reader · [`invocation`] how the user called chordsim (for
//!   repro lines) · [`stats`] statistics across seeds.
//! - tools: [`run`] driving a run · [`determinism`] two runs compared event by event · [`replay`]
//!   rerunning a report · [`diagnose`] the failure class and causal slice of a failed run ·
//!   [`checkpoint`] save and resume · [`shell`] an interactive prompt over one simulation ·
//!   [`sweep`] many seeds on all cores (`sweep/`: summaries, shards, merge and its checks) · [`swarm`]
//!   scenario variants · [`paper`] and [`paper_churn`] the papers' experiments.
//!
//! Running a scenario from code:
//!
//! ```
//! use chordsim::{run::run_scenario, scenario::Scenario};
//! let text = "duration_s = 300\n[initial]\nnodes = 16\n[protocol]\nstabilize_interval_ms = 10000";
//! let sc = Scenario::parse(text, "<doc>", "doc").expect("valid");
//! let report = run_scenario(sc, |_round| {}).expect("runs");
//! assert_eq!(report.verdict.verdict.name(), "pass");
//! ```
//!
//! Rules: the node never sees an RNG, clock or the queue; only the simulator owns time; the checker
//! never changes state; no hash-order iteration, wall clock or unseeded randomness anywhere that
//! orders events or output.
#![deny(unsafe_code)] // one audited exception: the cache hint in `prefetch`

pub mod app;
pub mod bounds;
pub mod checker;
pub mod checkpoint;
pub mod churn;
pub mod csv;
pub mod determinism;
pub mod diagnose;
pub mod id;
pub mod invocation;
pub mod metrics;
pub mod msg;
pub mod net;
pub mod node;
pub mod options;
pub mod out;
pub mod outdir;
pub mod paper;
pub mod paper_churn;
pub mod peer;
pub mod plot;
pub mod prefetch;
pub mod progress;
pub mod queue;
pub mod replay;
pub mod report;
pub mod rng;
pub mod run;
pub mod scenario;
pub mod shell;
pub mod sim;
pub mod sim_app;
pub mod sim_net;
pub mod stats;
pub mod swarm;
pub mod sweep;
pub mod trace;
pub mod truth;
pub mod zave;
