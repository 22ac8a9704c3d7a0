//! The network model: per-message latency, jitter and loss, per-pair latency (Euclidean coordinates or
//! a measured delay matrix), and scripted partitions.
//!
//! Owns: the decision, for each message sent, whether it is lost and when it arrives. Per-message draws
//! (distribution latency, jitter, loss) come from the `net` stream handed in; node coordinates from the
//! network's own `coords` stream and partition sides from its own `partition` stream, so neither shifts
//! churn, workload or the draws of runs that do not use them. Jitter and loss are drawn only when set,
//! so a run without them draws exactly what it drew before they existed.
//! Pairs are physical nodes ("hosts", numbered in creation order; a host is the node slot when
//! `virtual_nodes = 1`): virtual nodes of one host share its coordinate and matrix row.
//! Never: look at message contents or node state; deliver to or from a crashed node (the simulator
//! drops those at delivery time); allocate per message (coordinates grow only when a new host appears).

use crate::rng::{Rng, SimRng};
#[cfg(test)]
use crate::scenario::MatrixValues;
use crate::scenario::{Latency, Matrix, Net};
use crate::time::Time;
use std::sync::Arc;

/// Latency distribution in µs.
#[derive(Clone, Debug, PartialEq)]
pub enum LatencyModel {
    Constant(u64),
    Uniform {
        min: u64,
        max: u64,
    },
    Exponential {
        mean: f64,
    },
    /// One-way delay = Euclidean distance between the hosts' coordinates, each uniform in `[0, side)^dims`
    /// (µs).
    Euclidean {
        dims: usize,
        side: f64,
    },
    /// One-way delays between hosts `i mod n` and `j mod n`.
    Matrix(Arc<Matrix>),
}

fn placeholder_latency() -> LatencyModel {
    LatencyModel::Constant(0)
}

/// A partition while it lasts: messages between hosts on different sides are lost.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Cut {
    until: u64,
    /// `side[h]`: host h is on the minority side. Hosts created after the cut began are on the
    /// majority side (they join through nodes they can reach, see `Sim::start_partition`).
    side: Vec<bool>,
}

/// The resolved network of a run.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Network {
    /// Rebuilt from the scenario when a checkpoint is restored (a matrix can be large and is in its
    /// file); everything below evolves during a run and is saved.
    #[serde(skip, default = "placeholder_latency")]
    pub latency: LatencyModel,
    pub loss_ratio: f64,
    /// Uniform `[0, jitter_us]` added to every message (0: off, nothing drawn).
    pub jitter_us: u64,
    /// Uniform `[0, jitter_fraction × delay]` added to every message (0: off, nothing drawn).
    pub jitter_fraction: f64,
    /// Host coordinates (`dims` per host, µs), drawn in host order from the run's `coords` stream.
    coords: Vec<f64>,
    cuts: Vec<Cut>,
}

impl Network {
    /// The network of a scenario. Fails only for a matrix that was never loaded (a scenario built in
    /// memory, or one replayed from a report: the matrix file is not embedded in reports).
    pub fn from_scenario(n: &Net) -> Result<Self, String> {
        let us = |ms: f64| Time::from_ms(ms).us();
        let latency = match &n.latency {
            Latency::Constant { ms } => LatencyModel::Constant(us(*ms)),
            Latency::Uniform { min_ms, max_ms } => LatencyModel::Uniform { min: us(*min_ms), max: us(*max_ms) },
            Latency::Exponential { mean_ms } => LatencyModel::Exponential { mean: mean_ms * 1e3 },
            Latency::Euclidean { dims, side_ms } => {
                LatencyModel::Euclidean { dims: *dims as usize, side: side_ms * 1e3 }
            }
            Latency::Matrix { data: Some(m), .. } => LatencyModel::Matrix(m.clone()),
            Latency::Matrix { file, .. } => {
                return Err(format!(
                    "net.latency.file: the matrix `{file}` is not loaded (it is read relative to the scenario \
                     file by Scenario::load; run from the scenario file, reports do not embed it)"
                ));
            }
        };
        Ok(Network {
            latency,
            loss_ratio: n.loss_ratio,
            jitter_us: us(n.jitter_ms),
            jitter_fraction: n.jitter_fraction,
            coords: Vec::new(),
            cuts: Vec::new(),
        })
    }

    /// A network with a distribution latency and loss only (tests).
    #[must_use]
    pub fn simple(latency: LatencyModel, loss_ratio: f64) -> Self {
        let mut net = Network::from_scenario(&Net::default()).expect("default net");
        net.latency = latency;
        net.loss_ratio = loss_ratio;
        net
    }

    /// `None` if the message from host `a` to host `b` is lost (cut by a partition, or drawn lost),
    /// else its delay in µs. Loss is drawn only when the loss ratio is positive, so a lossless run's
    /// latency draws do not depend on it. Draws come from the run's `net` stream (and `coords`, for a
    /// host's first Euclidean coordinates).
    pub fn transit(&mut self, rng: &mut SimRng, now: u64, a: u32, b: u32) -> Option<u64> {
        if !self.cuts.is_empty() && self.is_cut(now, a, b) {
            return None;
        }
        if self.loss_ratio > 0.0 && rng.net.chance(self.loss_ratio) {
            return None;
        }
        let base = self.delay(rng, a, b);
        Some(base + self.jitter(&mut rng.net, base))
    }

    /// The delay before jitter: a draw from the distribution, or the pair's fixed delay.
    pub fn delay(&mut self, rng: &mut SimRng, a: u32, b: u32) -> u64 {
        match self.latency {
            LatencyModel::Constant(d) => d,
            LatencyModel::Uniform { min, max } => rng.net.range_inclusive(min, max),
            LatencyModel::Exponential { mean } => rng.net.exponential(mean).round() as u64,
            LatencyModel::Euclidean { .. } | LatencyModel::Matrix(_) => self.pair_delay(rng, a, b).unwrap_or(0),
        }
    }

    /// The fixed one-way delay between two hosts under a per-pair model (`None` for distributions).
    pub fn pair_delay(&mut self, rng: &mut SimRng, a: u32, b: u32) -> Option<u64> {
        match &self.latency {
            LatencyModel::Matrix(m) => Some(m.get(a as usize, b as usize)),
            LatencyModel::Euclidean { dims, .. } => {
                let d = *dims;
                self.ensure_coords(&mut rng.coords, a.max(b) as usize);
                let (x, y) = (&self.coords[a as usize * d..][..d], &self.coords[b as usize * d..][..d]);
                let sq: f64 = x.iter().zip(y).map(|(p, q)| (p - q) * (p - q)).sum();
                Some(libm::round(libm::sqrt(sq)) as u64)
            }
            _ => None,
        }
    }

    /// Draws coordinates for every host up to `h`, in host order (so a host's coordinate is the same
    /// whenever it is first needed: the stream is the network's own).
    fn ensure_coords(&mut self, coords: &mut Rng, h: usize) {
        let LatencyModel::Euclidean { dims, side } = self.latency else { return };
        while self.coords.len() < (h + 1) * dims {
            let u = coords.unit();
            self.coords.push(u * side);
        }
    }

    fn jitter(&self, rng: &mut Rng, base: u64) -> u64 {
        let mut j = 0;
        if self.jitter_us > 0 {
            j += rng.range_inclusive(0, self.jitter_us);
        }
        if self.jitter_fraction > 0.0 {
            j += libm::round(base as f64 * self.jitter_fraction * rng.unit()) as u64;
        }
        j
    }

    /// Largest possible round trip, if bounded (every kind but the exponential), jitter included.
    #[must_use]
    pub fn max_round_trip_us(&self) -> Option<u64> {
        let one_way = match &self.latency {
            LatencyModel::Constant(d) => *d,
            LatencyModel::Uniform { max, .. } => *max,
            LatencyModel::Exponential { .. } => return None,
            LatencyModel::Euclidean { dims, side } => libm::ceil(side * libm::sqrt(*dims as f64)) as u64,
            LatencyModel::Matrix(m) => m.max(),
        };
        let j = self.jitter_us + libm::ceil(one_way as f64 * self.jitter_fraction) as u64;
        Some(2 * (one_way + j))
    }

    /// Starts a partition until `until`: `round(fraction × live)` of the live hosts (drawn from the
    /// partition stream) on one side, the rest on the other.
    pub fn start_partition(&mut self, rng: &mut SimRng, until: u64, fraction: f64, live_hosts: &[u32]) {
        let mut pool = live_hosts.to_vec();
        pool.sort_unstable();
        let k = ((fraction * pool.len() as f64).round() as usize).min(pool.len());
        for i in 0..k {
            let j = i + rng.partition.below((pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        let top = live_hosts.iter().copied().max().map_or(0, |h| h as usize + 1);
        let mut side = vec![false; top];
        for &h in &pool[..k] {
            side[h as usize] = true;
        }
        self.cuts.push(Cut { until, side });
    }

    /// Is the link between hosts `a` and `b` cut by a partition at `now`? Healed cuts are dropped.
    fn is_cut(&mut self, now: u64, a: u32, b: u32) -> bool {
        self.cuts.retain(|c| c.until > now);
        let side = |c: &Cut, h: u32| c.side.get(h as usize).copied().unwrap_or(false);
        self.cuts.iter().any(|c| side(c, a) != side(c, b))
    }

    /// A network read back from a checkpoint, against `fresh`, the one the run's scenario builds: the
    /// same loss and jitter settings, and coordinates as `ensure_coords` draws them
    /// (whole points, each within the square).
    pub fn check_restored(&self, fresh: &Network) -> Result<(), String> {
        let settings = |n: &Network| (n.loss_ratio.to_bits(), n.jitter_us, n.jitter_fraction.to_bits());
        if settings(self) != settings(fresh) {
            return Err("network: its settings are not those of the checkpoint's scenario".into());
        }
        let ok = match fresh.latency {
            LatencyModel::Euclidean { dims, side } => {
                self.coords.len().is_multiple_of(dims) && self.coords.iter().all(|c| (0.0..=side).contains(c))
            }
            _ => self.coords.is_empty(),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("network: {} coordinates that its model does not draw", self.coords.len()))
        }
    }

    /// Partitions in force.
    #[must_use]
    pub fn partitions_active(&self, now: u64) -> usize {
        self.cuts.iter().filter(|c| c.until > now).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_and_uniform() {
        let mut r = SimRng::new(0);
        let mut c = Network::simple(LatencyModel::Constant(50), 0.0);
        assert_eq!(c.transit(&mut r, 0, 0, 1), Some(50));
        let mut u = Network::simple(LatencyModel::Uniform { min: 10, max: 20 }, 0.0);
        for _ in 0..100 {
            let d = u.transit(&mut r, 0, 0, 1).unwrap();
            assert!((10..=20).contains(&d));
        }
        assert_eq!(u.max_round_trip_us(), Some(40));
    }

    #[test]
    fn loss_ratio_is_respected() {
        let mut r = SimRng::new(0);
        let mut n = Network::simple(LatencyModel::Exponential { mean: 50_000.0 }, 0.25);
        let lost = (0..10_000).filter(|_| n.transit(&mut r, 0, 0, 1).is_none()).count();
        assert!((2300..2700).contains(&lost), "{lost}");
    }

    #[test]
    fn euclidean_is_symmetric_bounded_and_stable() {
        let mut n = Network::simple(LatencyModel::Euclidean { dims: 2, side: 200_000.0 }, 0.0);
        let r = &mut SimRng::new(0);
        let d01 = n.pair_delay(r, 0, 1).unwrap();
        assert_eq!(n.pair_delay(r, 1, 0), Some(d01));
        assert_eq!(n.pair_delay(r, 3, 3), Some(0));
        for a in 0..20 {
            for b in 0..20 {
                assert!(n.pair_delay(r, a, b).unwrap() <= 282_843);
            }
        }
        // Coordinates do not depend on the order in which hosts are first needed.
        let mut m = Network::simple(LatencyModel::Euclidean { dims: 2, side: 200_000.0 }, 0.0);
        assert_eq!(m.pair_delay(&mut SimRng::new(0), 19, 7), n.pair_delay(r, 19, 7));
        assert_eq!(n.max_round_trip_us(), Some(2 * 282_843));
    }

    #[test]
    fn jitter_is_bounded_and_only_drawn_when_on() {
        let mut n = Network::simple(LatencyModel::Constant(1000), 0.0);
        let (mut r1, mut r2) = (SimRng::new(1), SimRng::new(1));
        n.transit(&mut r1, 0, 0, 1);
        assert_eq!(r1.net.next_u64(), r2.net.next_u64(), "no jitter, no draw");
        n.jitter_us = 100;
        n.jitter_fraction = 0.5;
        let ds: Vec<u64> = (0..500).map(|_| n.transit(&mut r1, 0, 0, 1).unwrap()).collect();
        assert!(ds.iter().all(|&d| (1000..=1600).contains(&d)), "{ds:?}");
        assert!(ds.iter().any(|&d| d > 1300) && ds.iter().any(|&d| d < 1100));
        assert_eq!(n.max_round_trip_us(), Some(2 * 1600));
    }

    #[test]
    fn matrix_parses_rtt_and_maps_hosts_mod_n() {
        let m = Matrix::parse("# king\n0 10 20\n10 0 30\n\n20 30 0\n", "m.txt", MatrixValues::Rtt).unwrap();
        assert_eq!((m.n, m.get(0, 2), m.get(4, 5), m.max()), (3, 10_000, 15_000, 15_000));
        let one = Matrix::parse("0 4\n4 0\n", "m.txt", MatrixValues::OneWay).unwrap();
        assert_eq!(one.get(0, 1), 4000);
        let mut n = Network::simple(LatencyModel::Matrix(Arc::new(m)), 0.0);
        assert_eq!(n.pair_delay(&mut SimRng::new(0), 3, 1), Some(5_000));
    }

    #[test]
    fn partition_cuts_across_sides_until_it_heals() {
        let mut n = Network::simple(LatencyModel::Constant(10), 0.0);
        let mut r = SimRng::new(0);
        let hosts: Vec<u32> = (0..10).collect();
        n.start_partition(&mut r, 1000, 0.3, &hosts);
        let minority: Vec<u32> = hosts.iter().copied().filter(|&h| n.cuts[0].side[h as usize]).collect();
        assert_eq!(minority.len(), 3);
        let (a, b) = (minority[0], hosts.iter().copied().find(|h| !minority.contains(h)).unwrap());
        assert_eq!(n.transit(&mut r, 500, a, b), None);
        assert_eq!(n.transit(&mut r, 500, a, minority[1]), Some(10));
        assert_eq!(n.transit(&mut r, 500, b, 42), Some(10), "new hosts are on the majority side");
        assert_eq!(n.partitions_active(500), 1);
        assert_eq!(n.transit(&mut r, 1000, a, b), Some(10), "healed");
        assert_eq!(n.partitions_active(1000), 0);
    }
}
