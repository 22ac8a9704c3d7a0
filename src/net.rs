//! The network model: per-message latency and loss.
//!
//! Owns: the decision, for each message sent, whether it is lost and when it arrives. All draws come
//! from the `net` stream handed in, so network randomness never shifts churn or workload draws.
//! Never: look at message contents or node state; deliver to or from a crashed node (the simulator
//! drops those at delivery time).

use crate::rng::Rng;
use crate::scenario::{Latency, Net};

/// Latency distribution in µs.
#[derive(Clone, Debug, PartialEq)]
pub enum LatencyModel {
    Constant(u64),
    Uniform { min: u64, max: u64 },
    Exponential { mean: f64 },
}

/// The resolved network of a run.
#[derive(Clone, Debug)]
pub struct Network {
    pub latency: LatencyModel,
    pub loss_ratio: f64,
}

impl Network {
    pub fn from_scenario(n: &Net) -> Self {
        let us = |ms: f64| (ms * 1e3).round() as u64;
        let latency = match n.latency {
            Latency::Constant { ms } => LatencyModel::Constant(us(ms)),
            Latency::Uniform { min_ms, max_ms } => LatencyModel::Uniform { min: us(min_ms), max: us(max_ms) },
            Latency::Exponential { mean_ms } => LatencyModel::Exponential { mean: mean_ms * 1e3 },
        };
        Network { latency, loss_ratio: n.loss_ratio }
    }

    /// `None` if the message is lost, else its delay in µs. Loss is drawn only when the loss ratio is
    /// positive, so a lossless run's latency draws do not depend on it.
    pub fn transit(&self, rng: &mut Rng) -> Option<u64> {
        if self.loss_ratio > 0.0 && rng.chance(self.loss_ratio) {
            return None;
        }
        Some(self.latency(rng))
    }

    pub fn latency(&self, rng: &mut Rng) -> u64 {
        match self.latency {
            LatencyModel::Constant(d) => d,
            LatencyModel::Uniform { min, max } => rng.range_inclusive(min, max),
            LatencyModel::Exponential { mean } => rng.exponential(mean).round() as u64,
        }
    }

    /// Largest possible round trip, if bounded (constant or uniform latency).
    pub fn max_round_trip_us(&self) -> Option<u64> {
        match self.latency {
            LatencyModel::Constant(d) => Some(2 * d),
            LatencyModel::Uniform { max, .. } => Some(2 * max),
            LatencyModel::Exponential { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Stream;

    #[test]
    fn constant_and_uniform() {
        let mut r = Rng::new(0, Stream::Net);
        let c = Network { latency: LatencyModel::Constant(50), loss_ratio: 0.0 };
        assert_eq!(c.transit(&mut r), Some(50));
        let u = Network { latency: LatencyModel::Uniform { min: 10, max: 20 }, loss_ratio: 0.0 };
        for _ in 0..100 {
            let d = u.transit(&mut r).unwrap();
            assert!((10..=20).contains(&d));
        }
        assert_eq!(u.max_round_trip_us(), Some(40));
    }

    #[test]
    fn loss_ratio_is_respected() {
        let mut r = Rng::new(0, Stream::Net);
        let n = Network { latency: LatencyModel::Exponential { mean: 50_000.0 }, loss_ratio: 0.25 };
        let lost = (0..10_000).filter(|_| n.transit(&mut r).is_none()).count();
        assert!((2300..2700).contains(&lost), "{lost}");
    }
}
