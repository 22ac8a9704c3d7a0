//! Simulated time: [`Time`], whole microseconds since the run began, and the conversions between it
//! and the seconds and milliseconds that scenarios and reports use.
//!
//! Owns: every conversion between simulated µs and `f64` seconds or milliseconds, so that a rounding
//! rule lives in one place. Scenario keys in seconds or milliseconds round to the nearest µs
//! ([`Time::from_s`], [`Time::from_ms`]); a drawn session period also rounds but is at least 1 µs
//! ([`Time::from_s_at_least_1us`]), so an on or off period always ends after it starts. Casts
//! saturate (a negative or NaN value is 0, a huge one `u64::MAX`), as Rust's `as` does.
//! Never: read a wall clock (simulated time only), or round differently in two places.

use serde::{Deserialize, Serialize};

/// A simulated instant or span, in whole microseconds.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Time(pub u64);

impl Time {
    /// The start of a run.
    pub const ZERO: Time = Time(0);

    /// `us` microseconds.
    #[must_use]
    pub const fn from_us(us: u64) -> Time {
        Time(us)
    }

    /// Seconds, rounded to the nearest µs.
    #[must_use]
    pub fn from_s(s: f64) -> Time {
        Time((s * 1e6).round() as u64)
    }

    /// Milliseconds, rounded to the nearest µs.
    #[must_use]
    pub fn from_ms(ms: f64) -> Time {
        Time((ms * 1e3).round() as u64)
    }

    /// Seconds, rounded to the nearest µs but at least 1 µs: a drawn period that must move time on.
    #[must_use]
    pub fn from_s_at_least_1us(s: f64) -> Time {
        Time((s * 1e6).round().max(1.0) as u64)
    }

    /// Whole microseconds.
    #[must_use]
    pub const fn us(self) -> u64 {
        self.0
    }

    /// Seconds, as reports and messages show them.
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Milliseconds.
    #[must_use]
    pub fn as_ms_f64(self) -> f64 {
        self.0 as f64 / 1e3
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_and_milliseconds_round_to_the_nearest_microsecond() {
        assert_eq!(Time::from_s(1.5e-6), Time(2));
        assert_eq!(Time::from_s(300.0), Time(300_000_000));
        assert_eq!(Time::from_ms(0.0004), Time(0));
        assert_eq!(Time::from_ms(2.5), Time(2500));
        assert_eq!(Time::from_s(-1.0), Time(0), "saturates at 0");
        assert_eq!(Time::from_s(f64::NAN), Time(0));
        assert_eq!(Time::from_s(1e300), Time(u64::MAX));
    }

    #[test]
    fn a_period_is_at_least_one_microsecond() {
        assert_eq!(Time::from_s_at_least_1us(0.0), Time(1));
        assert_eq!(Time::from_s_at_least_1us(1e-9), Time(1));
        assert_eq!(Time::from_s_at_least_1us(2.0), Time::from_s(2.0));
    }

    #[test]
    fn back_to_seconds_and_milliseconds() {
        assert_eq!(Time(1_500_000).as_secs_f64(), 1.5);
        assert_eq!(Time(250_000).as_secs_f64(), 0.25);
        assert_eq!(Time(2500).as_ms_f64(), 2.5);
        assert_eq!(Time::from_s(123.456_789).as_secs_f64(), 123.456_789);
    }
}
