//! Counters and histograms: messages by type, membership counts, hop and timeout distributions.
//!
//! Owns: integer counters updated on the hot path (no floats, no allocation per event) and the
//! conversion to summary statistics ([`Dist`]) when a report is written.
//! Never: decide anything about correctness (the checker does) or read node state.

use crate::protocol::msg::{MSG_KINDS, Msg};
use serde::Serialize;

/// A histogram of small non-negative integers (hops, timeouts).
#[derive(Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Hist {
    counts: Vec<u64>,
    n: u64,
    sum: u64,
}

impl Hist {
    pub fn add(&mut self, v: u64) {
        let i = v as usize;
        if self.counts.len() <= i {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += 1;
        self.n += 1;
        self.sum += v;
    }

    #[must_use]
    pub fn count(&self) -> u64 {
        self.n
    }

    /// `counts()[v]`: how many samples had value v (for per-round differences of a running histogram).
    #[must_use]
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    #[must_use]
    pub fn mean(&self) -> f64 {
        if self.n == 0 { 0.0 } else { self.sum as f64 / self.n as f64 }
    }

    /// The smallest value v such that at least `q` of the samples are ≤ v (nearest rank).
    #[must_use]
    pub fn quantile(&self, q: f64) -> u64 {
        if self.n == 0 {
            return 0;
        }
        let rank = ((q * self.n as f64).ceil() as u64).clamp(1, self.n);
        let mut acc = 0;
        for (v, &c) in self.counts.iter().enumerate() {
            acc += c;
            if acc >= rank {
                return v as u64;
            }
        }
        self.counts.len() as u64 - 1
    }

    #[must_use]
    pub fn max(&self) -> u64 {
        self.counts.iter().rposition(|&c| c > 0).unwrap_or(0) as u64
    }

    #[must_use]
    pub fn dist(&self) -> Dist {
        Dist {
            count: self.n,
            mean: round6(self.mean()),
            p1: self.quantile(0.01),
            p50: self.quantile(0.5),
            p99: self.quantile(0.99),
            max: self.max(),
        }
    }
}

/// Summary of a distribution, as reports show it (ToN'03 Table II style: mean, 1st and 99th pct).
#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Dist {
    pub count: u64,
    pub mean: f64,
    pub p1: u64,
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

/// Rounds a float to 6 decimals so reports do not carry noise digits.
#[must_use]
pub fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Run-wide counters.
#[derive(Default, Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Metrics {
    /// Messages sent, by [`Msg::kind`], maintenance traffic.
    pub maint: [u64; MSG_KINDS.len()],
    /// Messages sent, by kind, caused by the lookup workload.
    pub user: [u64; MSG_KINDS.len()],
    /// Messages sent since the last checked round.
    round_msgs: u64,
    /// Lost by the network.
    pub lost: u64,
    /// Arrived at a crashed or departed node.
    pub dropped_dead: u64,
    pub joins: u64,
    pub joins_skipped: u64,
    pub join_retries: u64,
    pub crashes: u64,
    /// Crashes the injector refused because they would break Zave's operating assumptions.
    pub crashes_refused: u64,
    pub leaves: u64,
    /// DHT items moved by hand-off and re-replication, and the messages that carried them.
    pub items_transferred: u64,
    pub transfer_msgs: u64,
}

impl Metrics {
    #[inline]
    pub fn count_msg(&mut self, m: &Msg) {
        let k = m.kind();
        if m.is_user() {
            self.user[k] += 1;
        } else {
            self.maint[k] += 1;
        }
        self.round_msgs += 1;
    }

    /// Messages sent since the previous call.
    pub fn take_round_msgs(&mut self) -> u64 {
        std::mem::take(&mut self.round_msgs)
    }

    #[must_use]
    pub fn total_msgs(&self) -> u64 {
        self.maint.iter().chain(self.user.iter()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_nearest_rank() {
        let mut h = Hist::default();
        for v in 1..=100 {
            h.add(v);
        }
        assert_eq!(h.quantile(0.01), 1);
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.max(), 100);
        assert!((h.mean() - 50.5).abs() < 1e-12);
        assert_eq!(Hist::default().dist().p99, 0);
    }
}
