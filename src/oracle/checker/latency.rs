//! Lookup latency and stretch: how long each workload lookup took from issue to completion, and how
//! that compares with the direct round-trip time between its origin and the key's true owner.
//!
//! Owns: the run-wide histograms (latency in whole ms, stretch in hundredths) and the per-round sums.
//! Stretch = lookup latency / direct round-trip time (the measure of ToN'03 Sec. V-B and Table IV,
//! which divides by the round trip initiator ↔ responsible node; before 0.3.0 chordsim divided by the
//! one-way delay, which gave twice these values), sampled only
//! for correct lookups under a per-pair latency model with a non-zero direct delay.
//! Kept only when a scenario uses the network model's per-pair latency, jitter or recursive lookups,
//! so the reports of other runs keep their bytes. Never: allocate per lookup (histograms grow only to
//! the largest value seen, capped).

use crate::oracle::metrics::{Hist, round6};
use crate::scenario::{LookupStyle, Scenario};
use serde::Serialize;

/// Latencies above this many ms are counted at this value in the histogram (the mean is exact).
const MAX_MS: u64 = 120_000;
/// Stretches above this many hundredths are counted at this value (the mean is exact).
const MAX_STRETCH_CENTI: u64 = 100_000;

/// Run-wide and per-round latency tallies.
#[derive(Default, Clone, Debug, Serialize, serde::Deserialize)]
pub struct LatencyStats {
    ms: Hist,
    stretch: Hist,
    sum_us: u64,
    sum_stretch: f64,
    round: (u64, u64, u64, f64),
}

/// Per-round means (in `rounds[]` of the report).
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct RoundLatency {
    pub ms_mean: f64,
    pub stretch_mean: f64,
}

/// Summary of a float-valued distribution.
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct FDist {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

/// The report's `lookup_latency` section.
#[derive(Serialize, serde::Deserialize, Clone, Debug, PartialEq)]
pub struct LatencyReport {
    /// Issue → completion of every lookup that returned an owner, in ms.
    pub latency_ms: FDist,
    /// Latency / direct round-trip time origin ↔ true owner (correct lookups; per-pair models only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stretch: Option<FDist>,
}

impl LatencyStats {
    /// On for scenarios whose lookup timing means something new: per-pair latency, jitter, recursion.
    #[must_use]
    pub fn wanted(sc: &Scenario) -> bool {
        let n = &sc.net;
        n.per_pair()
            || n.jitter_ms > 0.0
            || n.jitter_fraction > 0.0
            || sc.protocol.lookup_style == LookupStyle::Recursive
    }

    /// One completed lookup: its latency, and its direct round-trip time if stretch applies.
    pub fn add(&mut self, latency_us: u64, direct_us: Option<u64>) {
        self.ms.add(((latency_us + 500) / 1000).min(MAX_MS));
        self.sum_us += latency_us;
        self.round.0 += 1;
        self.round.1 += latency_us;
        if let Some(d) = direct_us.filter(|&d| d > 0) {
            let s = latency_us as f64 / d as f64;
            self.stretch.add(libm::round(s * 100.0).min(MAX_STRETCH_CENTI as f64) as u64);
            self.sum_stretch += s;
            self.round.2 += 1;
            self.round.3 += s;
        }
    }

    /// Means since the previous call (one checked round).
    pub fn take_round(&mut self) -> RoundLatency {
        let (n, us, ns, s) = std::mem::take(&mut self.round);
        RoundLatency {
            ms_mean: if n == 0 { 0.0 } else { round6(us as f64 / n as f64 / 1e3) },
            stretch_mean: if ns == 0 { 0.0 } else { round6(s / ns as f64) },
        }
    }

    #[must_use]
    pub fn report(&self) -> LatencyReport {
        let f = |h: &Hist, scale: f64, mean: f64| FDist {
            count: h.count(),
            mean: round6(mean),
            p50: round6(h.quantile(0.5) as f64 / scale),
            p99: round6(h.quantile(0.99) as f64 / scale),
            max: round6(h.max() as f64 / scale),
        };
        let n = self.ms.count().max(1) as f64;
        let ns = self.stretch.count().max(1) as f64;
        LatencyReport {
            latency_ms: f(&self.ms, 1.0, self.sum_us as f64 / n / 1e3),
            stretch: (self.stretch.count() > 0).then(|| f(&self.stretch, 100.0, self.sum_stretch / ns)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_and_stretch_summaries() {
        let mut s = LatencyStats::default();
        s.add(100_000, Some(50_000)); // 100 ms, stretch 2
        s.add(300_000, Some(100_000)); // 300 ms, stretch 3
        s.add(200_000, None); // no stretch sample
        let r = s.take_round();
        assert_eq!((r.ms_mean, r.stretch_mean), (200.0, 2.5));
        assert_eq!(s.take_round().ms_mean, 0.0);
        let rep = s.report();
        assert_eq!((rep.latency_ms.count, rep.latency_ms.mean, rep.latency_ms.p50), (3, 200.0, 200.0));
        let st = rep.stretch.expect("stretch sampled");
        assert_eq!((st.count, st.mean, st.p50, st.max), (2, 2.5, 2.0, 3.0));
        s.add(10, Some(0)); // zero direct delay: no stretch
        assert_eq!(s.report().stretch.unwrap().count, 2);
    }
}
