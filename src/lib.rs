//! chordsim — a deterministic discrete-event simulator of the Chord DHT.
//!
//! Architecture (see DESIGN.md in the project's shared notes; this is the map of the code):
//!
//! ```text
//! scenario.toml → scenario::Scenario::load (+ scenario::check) → Scenario─┐
//! seed → rng::SimRng {ids, net, churn, workload, check, node} ────────────┤
//!                                                                         ▼
//!   sim::Sim: pop (time, seq) → Deliver → node.on_message | Timer → node.on_timer
//!             | Script / Churn / Lookup (churn.rs) | Session (sim/session.rs) | Round → checker.check_round
//!   effects → Sim::apply: Send → net (loss, latency) → queue; SetTimer → queue;
//!             LookupDone → checker judges; Joined / JoinFailed → truth / retry
//!   end → report::Report {seed, version, resolved scenario, rounds, stats, verdict}
//! ```
//!
//! Modules: [`id`] ring ids and intervals · [`rng`] seeded named streams · [`msg`] the node's
//! vocabulary · [`node`] the sans-IO Chord state machine · [`net`] latency (per pair too), jitter,
//! loss and partitions · [`sim`] the engine ([`sim_net`] its network glue, [`queue`] its event queue,
//! [`prefetch`] its cache hints) · [`churn`] membership
//! changes and generators · [`session`] on/off session churn · [`truth`] ground truth · [`checker`] the
//! outside oracle · [`metrics`] counters · [`report`] JSON report and verdict · [`run`] driving a run ·
//! [`scenario`] the TOML schema.
//!
//! Around a run: [`sweep`] many seeds on all cores (with [`swarm`] variants, shards, and
//! [`sweep::out`] for summaries, [`sweep::merge`] and [`sweep::verify`] for merging shards and checking them, [`stats`] for the statistics across seeds) · [`replay`]
//! rerunning a report · [`trace`] the per-event observer hook and the state trace · [`diagnose`] the failure class and causal slice of a failed run (a re-run) · [`determinism`]
//! two runs compared event by event · [`csv`] tables (`rounds.csv`, `runs.csv`) · [`progress`] the
//! progress bar, the only wall-clock reader · [`outdir`] output folders checked before a run · [`out`] stdout and stderr that end quietly on a broken pipe · [`shell`] an interactive prompt over one simulation.
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
