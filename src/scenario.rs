//! Scenario files: the TOML schema, its defaults, and validation into a resolved [`Scenario`].
//!
//! Owns: every user-facing setting and its allowed range. Unknown keys, wrong types and unknown
//! variants are refused by the schema pass on the spanned document (`scenario/schema.rs`, with
//! serde's `deny_unknown_fields` behind it); ranges and cross-field rules by `scenario/check.rs`.
//! Every refusal is one line, `FILE:LINE:COL: key.path: problem (allowed: …)` (`scenario/load.rs`). The resolved scenario (defaults filled in) is what reports
//! embed, so a run can be repeated from its report alone.
//! Never: panic on bad input, or silently replace a bad value by a default.

use crate::id::IdSpace;
use crate::time::Time;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub mod check;
mod load;
pub use matrix::{MATRIX_COPY, Matrix, write_side_files};
mod matrix;
pub mod memory;
mod protocol;
pub mod schema;
pub use load::{MAX_FILE_BYTES, ScenarioError};
pub use protocol::{FingerRefresh, LookupStyle, Maintenance, Protocol, Variant};

/// The verdict a scenario expects (tests compare it with the run's verdict).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    #[default]
    Pass,
    NoConvergence,
    Safety,
    LimitHit,
    /// No convergence check at all (e.g. every node leaves at the end).
    NoCheck,
}

impl Expect {
    /// The name as a scenario file and the report spell it (`no_convergence`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Expect::Pass => "pass",
            Expect::NoConvergence => "no_convergence",
            Expect::Safety => "safety",
            Expect::LimitHit => "limit_hit",
            Expect::NoCheck => "no_check",
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Defaults to the file's stem.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub seed: u64,
    #[serde(default = "d_id_bits")]
    pub id_bits: u32,
    pub duration_s: f64,
    #[serde(default)]
    pub expect: Expect,
    pub initial: Initial,
    #[serde(default)]
    pub protocol: Protocol,
    #[serde(default)]
    pub net: Net,
    #[serde(default)]
    pub check: Check,
    #[serde(default)]
    pub faults: Faults,
    #[serde(default)]
    pub dht: Dht,
    #[serde(default)]
    pub limits: Limits,
    /// What a run writes besides its report (plots); left out of reports while at its default.
    #[serde(default, skip_serializing_if = "ReportOpts::is_default")]
    pub report: ReportOpts,
    #[serde(default, rename = "event")]
    pub events: Vec<Event>,
    #[serde(default, rename = "workload")]
    pub workloads: Vec<Workload>,
}

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// All nodes start with perfect routing state.
    #[default]
    Ideal,
    /// One node creates the ring at t = 0; every other joins at t = 0 through a random earlier node.
    Joins,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Initial {
    pub nodes: u64,
    #[serde(default)]
    pub mode: StartMode,
    /// Explicit node ids (hex `0x…` or decimal), instead of SHA-1 of names drawn from the seed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    /// Virtual Chord nodes per physical node (SIGCOMM'01 Sec. 6, Fig. 9). `nodes` counts physical
    /// nodes; joins, crashes and leaves act on physical nodes, each with all its virtual nodes.
    #[serde(default = "one")]
    pub virtual_nodes: u32,
}

fn one() -> u32 {
    1
}

/// The DHT application on top of the overlay (`src/app/`).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Dht {
    pub enabled: bool,
    /// Each item lives on its owner and the owner's next `replicas` successors.
    pub replicas: u32,
    /// Period of the re-replication pass.
    pub repair_interval_ms: f64,
    /// Items a node may push per repair period (its repair bandwidth).
    pub repair_items_per_period: u32,
    /// Items per transfer message.
    pub batch_items: u32,
}

impl Default for Dht {
    fn default() -> Self {
        Dht {
            enabled: false,
            replicas: 0,
            repair_interval_ms: 30_000.0,
            repair_items_per_period: 1000,
            batch_items: 64,
        }
    }
}

/// Key popularity of the DHT workload.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Popularity {
    /// A struct variant (not a unit one) so that serde's `deny_unknown_fields` applies to it too.
    Uniform {},
    /// Zipf over the key universe with exponent `s` (rank 1 most popular).
    Zipf { s: f64 },
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latency {
    Constant {
        ms: f64,
    },
    Uniform {
        min_ms: f64,
        max_ms: f64,
    },
    Exponential {
        mean_ms: f64,
    },
    /// Per pair: each physical node gets a coordinate uniform in `[0, side_ms)^dims` when created;
    /// one-way delay = Euclidean distance in ms.
    Euclidean {
        dims: u32,
        side_ms: f64,
    },
    /// Per pair, from a file of N×N delays in ms (path relative to the scenario file); physical node
    /// k uses row/column `k mod N`. `values` says whether entries are round trips or one-way delays.
    Matrix {
        file: String,
        values: MatrixValues,
        /// The parsed matrix (read by [`Scenario::load`]; not part of the resolved scenario text).
        #[serde(skip)]
        data: Option<std::sync::Arc<Matrix>>,
    },
}

/// What a latency matrix file holds.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MatrixValues {
    /// Round-trip times (King, PlanetLab ping): one-way delay = half.
    Rtt,
    /// One-way delays.
    OneWay,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Net {
    pub latency: Latency,
    pub loss_ratio: f64,
    pub rpc_timeout_ms: f64,
    /// Per-message jitter, uniform in `[0, jitter_ms]`, added to any latency model (0: off).
    #[serde(skip_serializing_if = "is_zero")]
    pub jitter_ms: f64,
    /// Per-message jitter, uniform in `[0, jitter_fraction × delay]` (0: off).
    #[serde(skip_serializing_if = "is_zero")]
    pub jitter_fraction: f64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Default for Net {
    fn default() -> Self {
        Net {
            latency: Latency::Exponential { mean_ms: 50.0 },
            loss_ratio: 0.0,
            rpc_timeout_ms: 500.0,
            jitter_ms: 0.0,
            jitter_fraction: 0.0,
        }
    }
}

impl Net {
    /// Per-pair latency (Euclidean or matrix): lookup stretch is defined.
    #[must_use]
    pub fn per_pair(&self) -> bool {
        matches!(self.latency, Latency::Euclidean { .. } | Latency::Matrix { .. })
    }

    /// Reads the latency matrix, if any, relative to the directory of `file` (the scenario file).
    fn load_matrix(&mut self, file: &str) -> Result<(), ScenarioError> {
        if let Latency::Matrix { file: m, values, data } = &mut self.latency {
            let base = Path::new(file).parent().unwrap_or(Path::new(""));
            let parsed = Matrix::load(&base.join(m.as_str()), *values)
                .map_err(|e| ScenarioError(format!("{file}: net.latency.file: {e}")))?;
            *data = Some(std::sync::Arc::new(parsed));
        }
        Ok(())
    }
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Check {
    /// Run the checker every k rounds.
    pub every_rounds: u32,
    /// Print a progress line every k checked rounds (0 = never).
    pub print_every_rounds: u32,
    /// Probe lookups per checked round.
    pub probe_keys: u32,
    /// Rounds after the last membership change within which the ring must converge.
    pub quiet_rounds_max: u32,
    /// Lookups started and rounds checked before this time are left out of the summary statistics
    /// (rounds are still listed, flagged `warmup`). 0 = no warm-up (not written out, so reports of
    /// scenarios without one keep their bytes).
    #[serde(skip_serializing_if = "is_zero")]
    pub warmup_s: f64,
    /// What the run does once its verdict is decided by a violation (a safety property, or no
    /// convergence in time): `continue` (default) runs to the end and records every violation with
    /// its first and last round and whether it was still present at the end; `stop` ends the run there.
    pub on_violation: OnViolation,
}

/// `[check] on_violation`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnViolation {
    #[default]
    Continue,
    Stop,
}

impl Default for Check {
    fn default() -> Self {
        Check {
            every_rounds: 1,
            print_every_rounds: 10,
            probe_keys: 256,
            quiet_rounds_max: 10,
            warmup_s: 0.0,
            on_violation: OnViolation::Continue,
        }
    }
}

/// The failure injector.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Refuse crashes that break Zave's operating assumptions (a member left with no live successor
    /// entry; a principal failing while only r+1 principals remain). Default: true for `zave`, false
    /// for `ton03`. Refused crashes are counted in the report.
    pub respect_assumptions: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub max_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_events: 2_000_000_000 }
    }
}

/// `[report]`: options of a run's outputs that do not change the run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct ReportOpts {
    /// Rounds at which to draw the ring (`ring-round<k>.svg`); absent: the first round with a wrong
    /// successor or a violated property, and the end of the run; `[]`: no ring pictures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_pictures_at_rounds: Option<Vec<u32>>,
}

impl ReportOpts {
    #[must_use]
    pub fn is_default(&self) -> bool {
        *self == ReportOpts::default()
    }
}

/// Names a node in a scripted event: its exact id, or its rank (0-based) among live nodes in id order
/// at the time of the event.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "snake_case")]
pub enum NodeRef {
    Id(String),
    Rank(u64),
}

/// A scripted membership change.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    Join {
        at_s: f64,
        count: u64,
    },
    /// Places `count` keys (`key-0` … `key-{count-1}`, version 1) directly on their owners and the
    /// owners' replicas, as if put and fully replicated: the setup of SIGCOMM'01 Fig. 8 and 9.
    LoadKeys {
        at_s: f64,
        count: u64,
    },
    CrashFraction {
        at_s: f64,
        fraction: f64,
    },
    LeaveFraction {
        at_s: f64,
        fraction: f64,
    },
    Crash {
        at_s: f64,
        node: NodeRef,
    },
    Leave {
        at_s: f64,
        node: NodeRef,
    },
    /// A network partition from `at_s` to `heal_at_s`: `fraction` of the live physical nodes (drawn
    /// from the partition stream) on one side, the rest on the other; messages across are lost.
    Partition {
        at_s: f64,
        heal_at_s: f64,
        fraction: f64,
    },
}

impl Event {
    #[must_use]
    pub fn at_s(&self) -> f64 {
        match self {
            Event::Join { at_s, .. }
            | Event::LoadKeys { at_s, .. }
            | Event::CrashFraction { at_s, .. }
            | Event::LeaveFraction { at_s, .. }
            | Event::Crash { at_s, .. }
            | Event::Leave { at_s, .. }
            | Event::Partition { at_s, .. } => *at_s,
        }
    }

    /// When the disturbance ends: the heal time of a partition, else the event's time.
    #[must_use]
    pub fn end_s(&self) -> f64 {
        match self {
            Event::Partition { heal_at_s, .. } => *heal_at_s,
            e => e.at_s(),
        }
    }
}

/// Generators running between two times.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Workload {
    /// Poisson joins, crashes and graceful leaves (rates per second, whole network).
    Churn {
        start_s: f64,
        end_s: f64,
        #[serde(default)]
        join_per_s: f64,
        #[serde(default)]
        crash_per_s: f64,
        #[serde(default)]
        leave_per_s: f64,
    },
    /// Poisson lookups for uniformly random keys from uniformly random joined nodes.
    Lookups { start_s: f64, end_s: f64, per_s: f64 },
    /// Poisson DHT operations from random joined nodes over a universe of `keys` keys: a fraction
    /// `read_fraction` are gets, the rest puts (each put writes a new version).
    Dht {
        start_s: f64,
        end_s: f64,
        per_s: f64,
        keys: u64,
        #[serde(default = "half")]
        read_fraction: f64,
        #[serde(default = "uniform")]
        popularity: Popularity,
    },
    /// Session churn (OverSim-style, `sim/engine/session.rs`): each of `population` physical nodes alternates
    /// online and offline periods drawn from `on` and `off`; a node that comes back rejoins with the
    /// same id(s). Going offline is a graceful leave with probability `leave_probability`, else a
    /// crash. No transition is scheduled after `end_s`.
    Sessions {
        start_s: f64,
        end_s: f64,
        population: u64,
        on: Lifetime,
        off: Lifetime,
        #[serde(default)]
        leave_probability: f64,
        #[serde(default)]
        start_state: SessionStart,
    },
}

/// A distribution of on or off period lengths, given by its mean (so that exchanging the family
/// keeps the mean churn rate).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq)]
#[serde(tag = "dist", rename_all = "snake_case", deny_unknown_fields)]
pub enum Lifetime {
    Exponential {
        mean_s: f64,
    },
    /// Weibull with shape k: scale λ = `mean_s` / Γ(1 + 1/k); k < 1 is heavy-tailed.
    Weibull {
        mean_s: f64,
        shape: f64,
    },
    /// Pareto of the second kind (Lomax), P(X > x) = (1 + x/β)^(−α) with α = shape > 1 and
    /// β = `mean_s`·(α − 1): the form of Yao et al. (ICNP'06) and OverSim's `ParetoChurn`.
    Pareto {
        mean_s: f64,
        shape: f64,
    },
}

impl Lifetime {
    #[must_use]
    pub fn mean_s(&self) -> f64 {
        match *self {
            Lifetime::Exponential { mean_s } | Lifetime::Weibull { mean_s, .. } | Lifetime::Pareto { mean_s, .. } => {
                mean_s
            }
        }
    }
}

/// How the session population starts at `start_s`.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum SessionStart {
    /// As if the process had run forever: each node is on with probability `E[on]/(E[on]+E[off])`,
    /// and its first period is a residual (equilibrium) one.
    #[default]
    Stationary,
    /// Every node joins at `start_s` with a full on period.
    On,
    /// Every node is offline at `start_s` with a full off period.
    Off,
}

fn half() -> f64 {
    0.5
}

fn uniform() -> Popularity {
    Popularity::Uniform {}
}

fn d_id_bits() -> u32 {
    32
}

impl Scenario {
    #[must_use]
    pub fn space(&self) -> IdSpace {
        IdSpace::new(self.id_bits)
    }

    /// Sets the run's seed: the one place it is written after loading (the CLI's `--seed`, a sweep's
    /// seed, a replay's or a checkpoint's recorded seed, the papers' experiments); every stream of the
    /// run comes from it ([`crate::rng::SimRng::new`]).
    pub fn reseed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Length of a round (the stabilize interval) in µs.
    #[must_use]
    pub fn round_us(&self) -> u64 {
        Time::from_ms(self.protocol.stabilize_interval_ms).us()
    }

    #[must_use]
    pub fn duration_us(&self) -> u64 {
        Time::from_s(self.duration_s).us()
    }

    /// Time of the last scheduled membership change (scripted event or end of a churn or session
    /// window), or of the last partition heal, in µs.
    #[must_use]
    pub fn last_change_us(&self) -> u64 {
        let events = self.events.iter().map(|e| Time::from_s(e.end_s()).us());
        let churn = self.workloads.iter().filter_map(|w| match w {
            Workload::Churn { end_s, join_per_s, crash_per_s, leave_per_s, .. }
                if join_per_s + crash_per_s + leave_per_s > 0.0 =>
            {
                Some(Time::from_s(*end_s).us())
            }
            Workload::Sessions { end_s, population, .. } if *population > 0 => Some(Time::from_s(*end_s).us()),
            _ => None,
        });
        events.chain(churn).max().unwrap_or(0)
    }

    /// Whether the failure injector refuses crashes outside Zave's operating assumptions.
    #[must_use]
    pub fn guard_crashes(&self) -> bool {
        self.faults.respect_assumptions.unwrap_or(self.protocol.variant == Variant::Zave)
    }

    /// No loss and every round trip shorter than the RPC timeout: a timeout then always means a
    /// crash (Zave's "perfect failure detection").
    /// A partition makes live nodes look dead, so none may be scripted.
    #[must_use]
    pub fn perfect_failure_detection(&self) -> bool {
        self.net.loss_ratio == 0.0 && !self.has_partitions() && self.round_trips_below_timeout()
    }

    fn has_partitions(&self) -> bool {
        self.events.iter().any(|e| matches!(e, Event::Partition { .. }))
    }

    /// Every round trip (latency bound, jitter included) is shorter than the RPC timeout.
    #[must_use]
    pub fn round_trips_below_timeout(&self) -> bool {
        let max_ms = match &self.net.latency {
            Latency::Constant { ms } => *ms,
            Latency::Uniform { max_ms, .. } => *max_ms,
            Latency::Exponential { .. } => return false,
            Latency::Euclidean { dims, side_ms } => side_ms * f64::from(*dims).sqrt(),
            Latency::Matrix { data: Some(m), .. } => Time(m.max()).as_ms_f64(),
            Latency::Matrix { data: None, .. } => return false,
        };
        let max_ms = max_ms * (1.0 + self.net.jitter_fraction) + self.net.jitter_ms;
        2.0 * max_ms < self.net.rpc_timeout_ms
    }

    /// What in this scenario breaks the protocol variant's operating assumptions, in words; empty
    /// when nothing does. Only `zave` has such assumptions (TSE'17 Sec. III): reliable links, perfect
    /// failure detection, and failures that leave every member a live successor (the crash guard).
    /// A safety verdict under any of these is not the protocol's fault (README, "Blame outside the
    /// assumptions"). `ton03` claims nothing of the network, so nothing is listed for it.
    #[must_use]
    pub fn assumption_breaks(&self) -> Vec<String> {
        if self.protocol.variant != Variant::Zave {
            return Vec::new();
        }
        let mut why = Vec::new();
        if self.net.loss_ratio > 0.0 {
            why.push(format!(
                "message loss {} %",
                (100.0 * self.net.loss_ratio * 1e6).round() / 1e6 // to 6 decimals, as reports round
            ));
        }
        if self.has_partitions() {
            why.push("a network partition".to_string());
        }
        if !self.round_trips_below_timeout() {
            why.push("round trips can exceed the RPC timeout (false suspicions)".to_string());
        }
        if !self.guard_crashes() {
            why.push("crash guard off (faults.respect_assumptions = false)".to_string());
        }
        why
    }

    /// Serialized back to TOML (the resolved scenario, defaults included).
    #[must_use]
    pub fn to_toml(&self) -> String {
        toml::to_string(self).unwrap_or_else(|e| format!("# cannot serialize scenario: {e}\n"))
    }
}
