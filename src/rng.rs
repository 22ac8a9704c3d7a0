//! Seeded randomness: one run seed, independent named ChaCha8 streams.
//!
//! Owns: [`SimRng`] and every integer→range and float sampling helper. This is the only module that
//! imports `rand`; the sampling arithmetic is our own (Lemire's multiply-and-reject for ranges, 53-bit
//! floats, `libm` for logarithms and powers) so a `rand` upgrade or another platform's libm cannot change
//! a run. Each stream is `ChaCha8Rng::seed_from_u64(seed)` with its own `set_stream`, so extra draws on
//! one stream (say, the network's) never shift another (say, the churn schedule). Streams are created
//! in one place: [`SimRng::new`] gives a run all eight of its streams and [`SimRng::swarm`] a sweep's
//! variant stream; [`Rng`] has no public constructor (a checkpoint's streams are read back here).
//! Never: `thread_rng`, `StdRng`, `rand::random`, or a stream shared between two concerns.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The named streams. The discriminant is the ChaCha stream number: never renumber.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Node names (hence ids).
    Ids = 1,
    /// Latency and loss draws.
    Net = 2,
    /// Membership changes: churn arrival times, which node crashes or leaves, bootstrap choice.
    Churn = 3,
    /// Lookup workload: arrival times, keys, origins.
    Workload = 4,
    /// Checker sampling: probe keys and probe origins.
    Check = 5,
    /// Entropy handed to nodes with timer events (timer phases and jitter).
    Node = 6,
    /// `--swarm`: the fault parameters of a scenario variant, drawn before the run (`tools/swarm.rs`).
    Swarm = 7,
    /// Node coordinates of the Euclidean latency model (`sim/net.rs`), drawn in host order.
    Coords = 8,
    /// Which hosts a scripted partition puts on its minority side (`sim/net.rs`).
    Partition = 9,
}

/// One stream of random numbers.
#[derive(Clone, Debug)]
pub struct Rng(ChaCha8Rng);

impl Rng {
    fn new(seed: u64, stream: Stream) -> Self {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        r.set_stream(stream as u64);
        Rng(r)
    }

    /// The stream's exact position (for checkpoints): seed, stream number, word position.
    #[must_use]
    pub fn position(&self) -> ([u8; 32], u64, u128) {
        (self.0.get_seed(), self.0.get_stream(), self.0.get_word_pos())
    }

    /// Which stream this is, whatever its position: its seed and stream number (a checkpoint's
    /// streams are checked against the ones its seed gives).
    #[must_use]
    pub fn identity(&self) -> ([u8; 32], u64) {
        (self.0.get_seed(), self.0.get_stream())
    }

    /// A stream at a position returned by [`Rng::position`]; it continues with the same draws.
    #[must_use]
    fn at_position((seed, stream, word_pos): ([u8; 32], u64, u128)) -> Self {
        let mut r = ChaCha8Rng::from_seed(seed);
        r.set_stream(stream);
        r.set_word_pos(word_pos);
        Rng(r)
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in `0..n` (`n > 0`), unbiased (Lemire 2019, multiply and reject).
    pub fn below(&mut self, n: u64) -> u64 {
        below(n, || self.0.next_u64())
    }

    /// Uniform in `lo..=hi`.
    pub fn range_inclusive(&mut self, lo: u64, hi: u64) -> u64 {
        if hi.wrapping_sub(lo) == u64::MAX {
            return self.next_u64();
        }
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        unit_from(self.next_u64())
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// Exponential with the given mean, by inversion with `libm::log` (platform-independent).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        exponential_from(self.next_u64(), mean)
    }

    /// Weibull with `scale` λ and `shape` k (mean λ·Γ(1 + 1/k)), by inversion: λ·(−ln(1 − u))^(1/k).
    pub fn weibull(&mut self, scale: f64, shape: f64) -> f64 {
        scale * libm::pow(-libm::log(1.0 - self.unit()), 1.0 / shape)
    }

    /// Pareto of the second kind (Lomax) with `scale` β and `shape` α: P(X > x) = (1 + x/β)^(−α),
    /// mean β/(α − 1) for α > 1. By inversion: β·((1 − u)^(−1/α) − 1).
    pub fn pareto(&mut self, scale: f64, shape: f64) -> f64 {
        scale * (libm::pow(1.0 - self.unit(), -1.0 / shape) - 1.0)
    }

    /// Standard normal, by Box–Muller (one of the pair; two uniforms per call).
    pub fn normal(&mut self) -> f64 {
        let r = libm::sqrt(-2.0 * libm::log(1.0 - self.unit()));
        r * libm::cos(std::f64::consts::TAU * self.unit())
    }

    /// Gamma with `shape` a > 0 and scale 1 (mean a): Marsaglia and Tsang (2000) for a ≥ 1, and
    /// Gamma(a + 1)·U^(1/a) below.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let g = self.gamma(shape + 1.0);
            return g * libm::pow(1.0 - self.unit(), 1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / libm::sqrt(9.0 * d);
        loop {
            let x = self.normal();
            let v = 1.0 + c * x;
            if v <= 0.0 {
                continue;
            }
            let v = v * v * v;
            let u = 1.0 - self.unit(); // in (0, 1]
            if u < 1.0 - 0.0331 * x * x * x * x || libm::log(u) < 0.5 * x * x + d * (1.0 - v + libm::log(v)) {
                return d * v;
            }
        }
    }
}

impl serde::Serialize for Rng {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&self.position(), s)
    }
}

impl<'de> serde::Deserialize<'de> for Rng {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Rng, D::Error> {
        <([u8; 32], u64, u128) as serde::Deserialize>::deserialize(d).map(Rng::at_position)
    }
}

/// Unbiased `0..n` from a source of `u64`s (Lemire's nearly-divisionless method).
pub fn below(n: u64, mut next: impl FnMut() -> u64) -> u64 {
    assert!(n > 0, "below(0)");
    let mut m = u128::from(next()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(next()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// Maps 64 random bits to `[0, 1)`.
#[inline]
#[must_use]
pub fn unit_from(bits: u64) -> f64 {
    (bits >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Exponential sample with `mean` from 64 random bits.
#[must_use]
pub fn exponential_from(bits: u64, mean: f64) -> f64 {
    // 1 - u is in (0, 1], so the log is finite.
    -mean * libm::log(1.0 - unit_from(bits))
}

/// All streams of one run. Fields are public so the simulator can borrow them separately.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SimRng {
    pub ids: Rng,
    pub net: Rng,
    pub churn: Rng,
    pub workload: Rng,
    pub check: Rng,
    pub node: Rng,
    pub coords: Rng,
    pub partition: Rng,
}

impl SimRng {
    /// Every stream of a run of `seed`, at its start. This and [`SimRng::swarm`] are the only places
    /// a stream is created.
    #[must_use]
    pub fn new(seed: u64) -> Self {
        SimRng {
            ids: Rng::new(seed, Stream::Ids),
            net: Rng::new(seed, Stream::Net),
            churn: Rng::new(seed, Stream::Churn),
            workload: Rng::new(seed, Stream::Workload),
            check: Rng::new(seed, Stream::Check),
            node: Rng::new(seed, Stream::Node),
            coords: Rng::new(seed, Stream::Coords),
            partition: Rng::new(seed, Stream::Partition),
        }
    }

    /// The `swarm` stream of `seed`: a sweep draws a scenario variant from it before the run, so it is
    /// not part of a run's state.
    #[must_use]
    pub fn swarm(seed: u64) -> Rng {
        Rng::new(seed, Stream::Swarm)
    }

    /// Whether every stream is the one `SimRng::new` seeds for the same seed (positions may differ):
    /// a checkpoint's streams against its header's seed.
    #[must_use]
    pub fn same_streams(&self, other: &SimRng) -> bool {
        let key = |r: &SimRng| {
            [&r.ids, &r.net, &r.churn, &r.workload, &r.check, &r.node, &r.coords, &r.partition].map(Rng::identity)
        };
        key(self) == key(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden values: if this fails, every recorded run changes. Update only on purpose, and say why
    /// in the commit.
    #[test]
    fn golden_first_outputs_seed0() {
        let mut r = SimRng::new(0);
        let ids: Vec<u64> = (0..3).map(|_| r.ids.next_u64()).collect();
        let churn: Vec<u64> = (0..3).map(|_| r.churn.below(1000)).collect();
        let exp = r.net.exponential(50_000.0);
        assert_eq!(ids, [0xc16a_7b0f_c8d4_8f13, 0xbcf5_3862_6f55_9066, 0x970a_0ea8_f23d_cd07]);
        assert_eq!(churn, [39, 48, 233]);
        assert_eq!(exp.to_bits(), 0x40d3_b776_7eeb_c481);
    }

    /// A stream restored mid-block (not at a multiple of the 16-word ChaCha block) continues exactly.
    #[test]
    fn position_round_trip_continues_the_stream() {
        let mut a = Rng::new(9, Stream::Net);
        for _ in 0..7 {
            a.next_u64();
        }
        let mut b = Rng::at_position(a.position());
        let xs: Vec<u64> = (0..40).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..40).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
    }

    #[test]
    fn streams_are_independent() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        for _ in 0..100 {
            b.net.next_u64();
        }
        assert_eq!(a.churn.next_u64(), b.churn.next_u64());
        assert_ne!(a.ids.next_u64(), a.net.next_u64());
    }

    #[test]
    fn below_is_in_range_and_covers() {
        let mut r = Rng::new(1, Stream::Check);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[r.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 850 && c < 1150), "{seen:?}");
        assert_eq!(r.range_inclusive(5, 5), 5);
    }

    fn mean_of(n: usize, mut f: impl FnMut() -> f64) -> f64 {
        (0..n).map(|_| f()).sum::<f64>() / n as f64
    }

    fn assert_close(got: f64, want: f64, rel: f64) {
        assert!((got - want).abs() <= rel * want, "sample mean {got}, analytic {want}");
    }

    #[test]
    fn weibull_means_match_scale_times_gamma() {
        let mut r = Rng::new(11, Stream::Churn);
        for (scale, shape) in [(10.0, 0.5), (10.0, 1.0), (3.0, 2.0), (100.0, 5.0)] {
            let want = scale * libm::tgamma(1.0 + 1.0 / shape);
            assert_close(mean_of(200_000, || r.weibull(scale, shape)), want, 0.02);
        }
    }

    #[test]
    fn pareto_means_match_scale_over_shape_minus_one() {
        let mut r = Rng::new(12, Stream::Churn);
        for (scale, shape) in [(10.0, 3.0), (2.0, 5.0), (1.0, 10.0)] {
            assert_close(mean_of(200_000, || r.pareto(scale, shape)), scale / (shape - 1.0), 0.02);
        }
        assert!((0..1000).all(|_| r.pareto(1.0, 1.5) >= 0.0));
    }

    #[test]
    fn gamma_and_normal_moments() {
        let mut r = Rng::new(13, Stream::Churn);
        for shape in [0.3, 1.0, 1.5, 3.0, 12.0] {
            assert_close(mean_of(200_000, || r.gamma(shape)), shape, 0.02);
        }
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| r.normal()).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(n);
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / f64::from(n);
        assert!(mean.abs() < 0.01 && (var - 1.0).abs() < 0.02, "mean {mean}, var {var}");
    }

    #[test]
    fn exponential_mean() {
        let mut r = Rng::new(3, Stream::Net);
        let n = 20000;
        let mean: f64 = (0..n).map(|_| r.exponential(10.0)).sum::<f64>() / f64::from(n);
        assert!((mean - 10.0).abs() < 0.3, "{mean}");
    }
}
