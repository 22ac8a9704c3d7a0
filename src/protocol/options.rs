//! What a node is configured with: the options the scenario's `[protocol]` section spells — which
//! Chord ([`Variant`]) and how fingers are refreshed ([`FingerRefresh`]) — and the resolved
//! [`Params`] every node of a run shares (intervals in µs, list length, the named deviations).
//!
//! Owns: these types and the enums' serde names. They sit in the protocol layer, below the scenario
//! (which re-exports the enums and resolves `Params`), so that `node/` and `msg.rs` need nothing from
//! the scenario's schema.
//! Never: depend on anything but the id space and serde.

use crate::id::IdSpace;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The published protocol (Stoica et al., ToN'03).
    #[default]
    Ton03,
    /// Zave's corrected protocol (TSE'17 Sec. III).
    Zave,
}

/// How a node keeps its fingers fresh.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum FingerRefresh {
    /// ToN'03 Fig. 6 with one departure: each `fix_fingers` tick refreshes the next finger that needs a
    /// lookup; fingers on the way whose start lies in `(n, successor]` are set to the successor (the
    /// lookup would return exactly that). A new node thus gets its far fingers within log N ticks.
    #[default]
    FixFingers,
    /// ToN'03 Fig. 6 to the letter: each `fix_fingers` tick refreshes the next finger index, local or not
    /// (a new node waits about m − log N ticks for its first far finger). SimGrid's Chord does this.
    OneIndexPerTick,
    /// The ToN'03 simulator (Sec. V-A): each stabilization also refreshes one other entry — the next
    /// finger that needs a lookup (fingers equal to the successor are set on the way); no `fix_fingers` timer.
    OnePerStabilize,
    /// SIGCOMM'01 Sec. 6.4 (Fig. 12): each stabilization refreshes every finger; no `fix_fingers` timer.
    AllPerStabilize,
}

impl FingerRefresh {
    /// Whether fingers are refreshed on `fix_fingers`' own schedule (else with each stabilization).
    #[must_use]
    pub fn uses_fix_fingers_timer(self) -> bool {
        matches!(self, FingerRefresh::FixFingers | FingerRefresh::OneIndexPerTick)
    }
}

/// Protocol parameters shared by all nodes of a run (resolved from the scenario).
#[derive(Clone, Debug)]
pub struct Params {
    pub variant: Variant,
    pub space: IdSpace,
    /// Successor-list length r.
    pub r: usize,
    pub stabilize_us: u64,
    /// Each stabilize interval is drawn from `[(1-j)T, (1+j)T]`.
    pub stabilize_jitter: f64,
    pub fix_fingers_us: u64,
    pub check_pred_us: u64,
    pub rpc_timeout_us: u64,
    /// A lookup gives up after this many steps (messages sent, counting retries).
    pub lookup_max_steps: u16,
    /// ToN'03 Sec. V-A: when a node's predecessor changes it tells the old predecessor the new one.
    pub notify_old_predecessor: bool,
    /// Pending RPCs per node; beyond this a new RPC is not sent and counted as dropped (limit).
    pub max_pending: usize,
    pub join_retry_us: u64,
    /// Join and finger lookups ping the owner before adopting it (a named deviation; see `Protocol`).
    pub ping_owner: bool,
    /// A node with an all-dead successor list falls back to its nearest finger (a named deviation).
    pub successor_fallback: bool,
    /// A ton03 joiner fetches its new successor's list before it counts as joined (see `Protocol`).
    pub join_fetches_list: bool,
    pub finger_refresh: FingerRefresh,
    /// Retry a lookup through the referrer after a timed-out hop (else the lookup fails).
    pub lookup_retries: bool,
    pub stabilize_on_join: bool,
    /// `maintenance = "joint"`: run `fix_fingers` every `.0`-th and `check_predecessor` every `.1`-th
    /// stabilize tick of the one maintenance timer; `None`: three separate timers.
    pub joint: Option<(u32, u32)>,
    /// Workload and application lookups are recursive (`node/recursive.rs`), not iterative.
    pub recursive: bool,
    /// Proximity neighbour selection: candidates per finger, the finger included (≤ 1: off).
    pub finger_alternates: usize,
}
