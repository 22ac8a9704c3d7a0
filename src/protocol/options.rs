//! The options a node itself reads, as the scenario's `[protocol]` section spells them: which Chord
//! ([`Variant`]) and how fingers are refreshed ([`FingerRefresh`]).
//!
//! Owns: these enums and their serde names. They sit in the protocol layer, below the scenario (which
//! re-exports them), so that `node/` and `msg.rs` need nothing from the scenario's schema.
//! Never: depend on anything but serde.

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
    /// finger that needs a lookup (fingers equal to the successor are set on the way); no fix_fingers timer.
    OnePerStabilize,
    /// SIGCOMM'01 Sec. 6.4 (Fig. 12): each stabilization refreshes every finger; no fix_fingers timer.
    AllPerStabilize,
}

impl FingerRefresh {
    /// Whether fingers are refreshed on fix_fingers' own schedule (else with each stabilization).
    pub fn uses_fix_fingers_timer(self) -> bool {
        matches!(self, FingerRefresh::FixFingers | FingerRefresh::OneIndexPerTick)
    }
}
