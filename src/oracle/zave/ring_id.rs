//! Identifier-space arithmetic on the Chord ring.
//!
//! Owns: the open-interval predicate `between` used by every property and
//! protocol step. Ids live on the ring of all `u64` values (2^64 points).
//! Must never: hold state, know about nodes, or reduce ids modulo a smaller
//! space (callers that use an m-bit space simply keep ids below 2^m).

/// Open ring interval membership: is `b` strictly inside `(a, c)` when walking
/// the ring clockwise from `a`?
///
/// Exactly Zave's definition: if `a < c` then `a < b < c`, else `a < b or
/// b < c`. For `a == c` the interval is the whole ring except `a`, so the
/// result is `b != a`.
#[must_use]
pub fn between(a: u64, b: u64, c: u64) -> bool {
    if a < c { a < b && b < c } else { a < b || b < c }
}

/// Clockwise distance from `a` to `b` on the 2^64 ring (0 when equal).
#[must_use]
pub fn clockwise(a: u64, b: u64) -> u64 {
    b.wrapping_sub(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BITS: u64 = 4;
    const SPACE: u64 = 1 << BITS;

    /// Reference: walk clockwise from `a` (exclusive) until reaching `c`,
    /// collecting every id passed on the way. For `a == c` the walk goes all
    /// the way round.
    fn walk_between(a: u64, b: u64, c: u64) -> bool {
        let mut x = (a + 1) % SPACE;
        while x != c {
            if x == b {
                return true;
            }
            x = (x + 1) % SPACE;
        }
        false
    }

    #[test]
    fn between_matches_brute_force_walk_on_4_bit_ring() {
        let mut checked = 0;
        for a in 0..SPACE {
            for b in 0..SPACE {
                for c in 0..SPACE {
                    assert_eq!(between(a, b, c), walk_between(a, b, c), "between({a}, {b}, {c})");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, SPACE * SPACE * SPACE);
    }

    #[test]
    fn degenerate_interval_is_everything_but_its_endpoint() {
        for a in 0..SPACE {
            for b in 0..SPACE {
                assert_eq!(between(a, b, a), b != a);
            }
        }
    }

    #[test]
    fn endpoints_are_never_inside() {
        for a in 0..SPACE {
            for c in 0..SPACE {
                assert!(!between(a, a, c));
                assert!(!between(a, c, c));
            }
        }
    }

    #[test]
    fn clockwise_distance_wraps() {
        assert_eq!(clockwise(5, 9), 4);
        assert_eq!(clockwise(9, 5), u64::MAX - 3);
        assert_eq!(clockwise(7, 7), 0);
    }

    proptest! {
        /// On the full u64 ring, `between` agrees with clockwise distances.
        #[test]
        fn between_agrees_with_clockwise_distance(a: u64, b: u64, c: u64) {
            let expected = b != a && (a == c || clockwise(a, b) < clockwise(a, c));
            prop_assert_eq!(between(a, b, c), expected);
        }

        /// For distinct a, b, c exactly one of b in (a,c) and b in (c,a) holds.
        #[test]
        fn distinct_points_split_the_ring(a: u64, b: u64, c: u64) {
            prop_assume!(a != b && b != c && a != c);
            prop_assert!(between(a, b, c) != between(c, b, a));
        }
    }
}
