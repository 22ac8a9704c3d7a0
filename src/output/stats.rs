//! Statistics across runs (seeds) of a sweep: mean, sample standard deviation, a 95 % confidence
//! interval for the mean (Student's t), and the distribution as quantiles.
//!
//! Owns: [`Summary`] and the arithmetic behind it. Sums run in the order the values are given, and
//! callers pass them sorted by seed, so the same runs always give the same bits whatever order threads
//! finished in; results are rounded to 6 decimals like every other float in a report.
//! Never: read files, print, or know what the numbers mean.

use crate::oracle::metrics::round6;
use serde::{Deserialize, Serialize};

/// One metric across runs. `std_dev` and the interval need at least two values.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Summary {
    /// Runs that have a value (e.g. lookup ratios need at least one lookup done).
    pub n: u64,
    pub mean: f64,
    /// Sample standard deviation (divides by n − 1).
    pub std_dev: Option<f64>,
    /// 95 % confidence interval of the mean: mean ± t(0.975, n − 1) · `std_dev` / √n.
    pub ci95_low: Option<f64>,
    pub ci95_high: Option<f64>,
    /// Distribution over runs (nearest-rank quantiles: each is one of the values).
    pub min: f64,
    pub p5: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
    pub max: f64,
}

/// Two-sided 95 % quantiles of Student's t, t(0.975, df), for df = 1..=30.
const T975: [f64; 30] = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
    2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
];

/// Beyond 30 degrees of freedom: (df at least, t). Between two rows the smaller df's value is used,
/// which makes the interval slightly wider, never narrower.
const T975_LARGE: [(u64, f64); 7] =
    [(40, 2.021), (50, 2.009), (60, 2.000), (80, 1.990), (100, 1.984), (120, 1.980), (1000, 1.962)];

/// t(0.975, df) for `df ≥ 1`; 1.96 (the normal quantile) for very large df.
#[must_use]
pub fn t975(df: u64) -> f64 {
    match df {
        0 => f64::NAN,
        1..=30 => T975[df as usize - 1],
        _ => {
            let mut t = T975[29];
            for &(d, v) in &T975_LARGE {
                if df >= d {
                    t = v;
                }
            }
            if df >= 100_000 { 1.96 } else { t }
        }
    }
}

#[must_use]
pub fn mean(v: &[f64]) -> f64 {
    if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
}

/// Sample standard deviation; `None` for fewer than two values.
#[must_use]
pub fn std_dev(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = mean(v);
    let ss: f64 = v.iter().map(|x| (x - m) * (x - m)).sum();
    Some((ss / (v.len() - 1) as f64).sqrt())
}

/// Nearest-rank quantile of sorted values: the smallest value with at least a fraction `q` of the
/// values ≤ it.
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Summarizes values (in the caller's order for the sums); `None` when there are none.
pub fn summarize(values: &[f64]) -> Option<Summary> {
    if values.is_empty() {
        return None;
    }
    let n = values.len();
    let m = mean(values);
    let sd = std_dev(values);
    let half = sd.map(|s| t975(n as u64 - 1) * s / (n as f64).sqrt());
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let q = |p| round6(quantile(&sorted, p));
    Some(Summary {
        n: n as u64,
        mean: round6(m),
        std_dev: sd.map(round6),
        ci95_low: half.map(|h| round6(m - h)),
        ci95_high: half.map(|h| round6(m + h)),
        min: round6(sorted[0]),
        p5: q(0.05),
        p25: q(0.25),
        p50: q(0.5),
        p75: q(0.75),
        p95: q(0.95),
        max: round6(sorted[n - 1]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_sd_and_interval_of_a_known_sample() {
        // 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd sqrt(32/7) = 2.13809.
        let v = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let s = summarize(&v).expect("non-empty");
        assert_eq!(s.n, 8);
        assert_eq!(s.mean, 5.0);
        assert_eq!(s.std_dev, Some(2.13809));
        // t(0.975, 7) = 2.365; half width 2.365 · 2.13809 / sqrt(8) = 1.787772.
        assert_eq!(s.ci95_low, Some(3.212_228));
        assert_eq!(s.ci95_high, Some(6.787_772));
        assert_eq!((s.min, s.p25, s.p50, s.p75, s.max), (2.0, 4.0, 4.0, 5.0, 9.0));
    }

    #[test]
    fn single_value_has_no_interval() {
        let s = summarize(&[3.5]).expect("one");
        assert_eq!((s.n, s.mean, s.std_dev, s.ci95_low, s.p5, s.p95), (1, 3.5, None, None, 3.5, 3.5));
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn t_table_decreases_towards_the_normal_quantile() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(30), 2.042);
        assert_eq!(t975(45), 2.021);
        assert_eq!(t975(99), 1.990);
        assert_eq!(t975(10_000_000), 1.96);
        let mut prev = f64::INFINITY;
        for df in 1..2000 {
            assert!(t975(df) <= prev && t975(df) >= 1.96, "df {df}");
            prev = t975(df);
        }
    }

    #[test]
    fn quantiles_are_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.05), 5.0);
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.95), 95.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
    }
}
