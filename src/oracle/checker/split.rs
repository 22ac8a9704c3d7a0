//! Partitions and the rings they leave behind: after a scripted partition heals, a ring that split in
//! two while it lasted is reported at once, with a reason, instead of waiting out the quiet phase.
//!
//! Owns: the partition windows of the scenario and the rule: at a checked round at least one round
//! after the latest heal (so messages sent across the cut have been delivered or lost), with no
//! partition in force, a violated AtMostOneRing is final. Neither ToN'03's stabilization nor Zave's
//! corrected one ever merges two best-successor cycles (zave.md: AtMostOneRing is unrepairable;
//! SIGCOMM'01 Sec. 5.1 assumes a single ring and leaves merging to future work), so the checker names
//! the split as the reason for `no_convergence`. A partition that heals before the ring separates
//! leaves one ring, and the run is judged as any other.
//! Never: judge anything during a partition (the split may still be forming), or change node state.

use super::Checker;
use crate::scenario::{Event, Scenario};
use crate::time::Time;

/// `(start, heal)` of every scripted partition, in µs.
#[must_use]
pub fn windows(sc: &Scenario) -> Vec<(u64, u64)> {
    let mut w: Vec<(u64, u64)> = sc
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Partition { at_s, heal_at_s, .. } => Some((Time::from_s(*at_s).us(), Time::from_s(*heal_at_s).us())),
            _ => None,
        })
        .collect();
    w.sort_unstable();
    w
}

impl Checker {
    /// The reason to stop, if the ring is split for good after the partitions healed.
    pub(super) fn split_after_heal(&self, k: u32, now: u64, violated: &[&'static str]) -> Option<String> {
        if self.partitions.is_empty() || !violated.contains(&"AtMostOneRing") {
            return None;
        }
        if self.partitions.iter().any(|&(a, h)| a <= now && now < h + self.round_us) {
            return None; // a partition is in force, or healed less than a round ago
        }
        let &(start, heal) = self.partitions.iter().filter(|&&(_, h)| h <= now).max_by_key(|&&(_, h)| h)?;
        let rings = self
            .props
            .records
            .iter()
            .rev()
            .find(|r| r.round == k && r.property == "AtMostOneRing")
            .map_or("several disjoint rings".to_string(), |r| r.detail.clone());
        Some(format!(
            "ring split during partition {:.0}–{:.0} s: {rings} remain at round {k} (t = {:.3} s); ToN'03/Zave \
             stabilization cannot merge them (AtMostOneRing is unrepairable; SIGCOMM'01 Sec. 5.1)",
            Time(start).as_secs_f64(),
            Time(heal).as_secs_f64(),
            Time(now).as_secs_f64()
        ))
    }
}
