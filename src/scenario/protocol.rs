//! The `[protocol]` section of a scenario: which Chord, and how each node runs it.
//!
//! Owns: [`Protocol`] with its defaults, and the option enums only the simulator reads
//! ([`LookupStyle`], [`Maintenance`]); the node's own options ([`Variant`], [`FingerRefresh`]) live in
//! `options.rs`, below the scenario, and are re-exported here. Validation lives in `scenario/check.rs`, behaviour in `node/`.
//! Never: read files or check ranges; a field skipped in reports when at its default keeps older
//! reports byte-identical on replay.

pub use crate::protocol::options::{FingerRefresh, Variant};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Protocol {
    pub variant: Variant,
    pub successor_list_len: u32,
    /// One round = one stabilize interval; the checker runs at round boundaries.
    pub stabilize_interval_ms: f64,
    /// Each node's stabilize interval is drawn from U[(1−j)·T, (1+j)·T].
    pub stabilize_jitter: f64,
    pub fix_fingers_interval_ms: f64,
    pub check_predecessor_interval_ms: f64,
    pub lookup_max_steps: u32,
    pub notify_old_predecessor: bool,
    /// Answer lookups from the whole successor list (the ToN'03 simulator), not only from the first
    /// successor (ToN'03 Fig. 5, the default).
    pub answer_from_successor_list: bool,
    pub max_pending_rpcs: u32,
    pub join_retry_ms: f64,
    /// Deviation from ToN'03 when on: a join or finger lookup pings the owner it found before adopting
    /// it (Zave's join fix). Off (the default): Fig. 5, the owner named by the last hop is adopted
    /// unchecked. Workload lookups always contact the owner (Sec. V-A: a lookup succeeds iff it reaches
    /// the key's current successor).
    pub ping_owner: bool,
    /// Deviation from ToN'03 when on: a node whose whole successor list was found dead takes its
    /// nearest finger, then its predecessor, as successor. Off (the default; the paper says nothing):
    /// it is its own successor, as Zave's model has it, so AtLeastOneRing and the other unrepairable
    /// properties are unrepairable in the code as it runs.
    pub successor_fallback: bool,
    /// Beyond ToN'03 when on: a joining node asks the owner its lookup found for its successor list and
    /// joins with `[owner] ++ list` cut to r, instead of the owner alone (Fig. 5 `join` sets only the
    /// successor; stabilization fills the list later). Deployed Chord does this (MIT lsd's join fetches
    /// the successor's list; Zave's corrected join copies its predecessor's), and it closes the join
    /// window in which a one-entry list loses its only successor. No answer: the join fails and retries.
    pub join_fetches_list: bool,
    /// How fingers are refreshed (see [`FingerRefresh`]).
    pub finger_refresh: FingerRefresh,
    /// After a timed-out hop, a lookup goes back to the node that referred it (ToN'03 Sec. V-A; the
    /// default). `false`: the lookup fails at once (SIGCOMM'01 Sec. 6.4, Fig. 12: "no retries").
    pub lookup_retries: bool,
    /// A node runs its first stabilization as soon as its join completes, instead of at its timer's
    /// random phase (up to one interval later).
    pub stabilize_on_join: bool,
    /// `iterative` (default) or `recursive` workload and application lookups.
    #[serde(skip_serializing_if = "LookupStyle::is_iterative")]
    pub lookup_style: LookupStyle,
    /// `separate` (default) or `joint` maintenance timers (see [`Maintenance`]).
    #[serde(skip_serializing_if = "Maintenance::is_separate")]
    pub maintenance: Maintenance,
    /// Proximity neighbour selection: each finger is the lowest-round-trip node among the finger's
    /// owner and its next `finger_alternates - 1` successors (0 or 1: off).
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub finger_alternates: u32,
}

/// How a node schedules its periodic maintenance.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Maintenance {
    /// stabilize, `fix_fingers` and `check_predecessor` each run on a timer of their own, each at its own
    /// random phase (ToN'03 Fig. 6: each is "called periodically").
    #[default]
    Separate,
    /// One maintenance timer per node at the stabilize interval: every tick stabilizes, and every k-th
    /// tick also runs `fix_fingers` (k = `fix_fingers` / stabilize interval) and `check_predecessor` (likewise),
    /// in that order. The same work at the same rates with one timer event per tick instead of up to
    /// three, as simulators with a per-node "maintenance round" (Corten's workload) schedule it; the
    /// three tasks are in phase. Both intervals must be whole multiples of the stabilize interval
    /// (where used). With `stabilize_jitter`, each tick's interval is jittered, so `fix_fingers` and
    /// `check_predecessor` inherit the jitter (their mean intervals are as set).
    Joint,
}

impl Maintenance {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
    fn is_separate(&self) -> bool {
        *self == Maintenance::Separate
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
fn is_zero_u32(x: &u32) -> bool {
    *x == 0
}

impl Default for Protocol {
    fn default() -> Self {
        Protocol {
            variant: Variant::Ton03,
            successor_list_len: 8,
            stabilize_interval_ms: 30_000.0,
            stabilize_jitter: 0.0,
            fix_fingers_interval_ms: 30_000.0,
            check_predecessor_interval_ms: 30_000.0,
            lookup_max_steps: 64,
            notify_old_predecessor: false,
            answer_from_successor_list: false,
            max_pending_rpcs: 1024,
            join_retry_ms: 5_000.0,
            ping_owner: false,
            successor_fallback: false,
            join_fetches_list: false,
            finger_refresh: FingerRefresh::FixFingers,
            lookup_retries: true,
            stabilize_on_join: false,
            lookup_style: LookupStyle::Iterative,
            maintenance: Maintenance::Separate,
            finger_alternates: 0,
        }
    }
}

/// How lookups travel (ToN'03 describes iterative lookups; recursive is the later implementations').
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LookupStyle {
    /// The origin asks each hop in turn (ToN'03 Fig. 5).
    #[default]
    Iterative,
    /// Each hop forwards the query; the owner answers the origin (see `node/recursive.rs`).
    Recursive,
}

impl LookupStyle {
    #[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference
    fn is_iterative(&self) -> bool {
        *self == LookupStyle::Iterative
    }
}
