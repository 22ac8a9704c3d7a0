//! Ring identifiers and interval arithmetic on the `2^m` identifier circle.
//!
//! Owns: the fixed-width [`Id`] (a `u64` masked to `m` bits), the [`IdSpace`] that knows `m`, the
//! three interval tests the protocol needs (open, half-open, wrap-around) and the SHA-1 → id map.
//! Invariant: every `Id` produced by an `IdSpace` is already masked, so equality is plain `u64`
//! equality. Never uses big integers or allocates: these functions sit on the routing hot path.

use serde::{Serialize, Serializer};
use sha1::{Digest, Sha1};
use std::fmt;

/// A position on the identifier circle. Always masked to the space's `m` bits.
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Default)]
pub struct Id(pub u64);

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// Reports show ids as hex text; the checkpoint's binary format (not human-readable) stores the raw value.
impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() { s.serialize_str(&self.to_string()) } else { s.serialize_u64(self.0) }
    }
}

impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Id, D::Error> {
        if !d.is_human_readable() {
            let v = <u64 as serde::Deserialize>::deserialize(d)?;
            return crate::bounds::id(v).map(Id).map_err(serde::de::Error::custom);
        }
        let s = <String as serde::Deserialize>::deserialize(d)?;
        let hex = s.strip_prefix("0x").ok_or_else(|| serde::de::Error::custom(format!("id `{s}`: expected 0x…")))?;
        u64::from_str_radix(hex, 16).map(Id).map_err(|e| serde::de::Error::custom(format!("id `{s}`: {e}")))
    }
}

/// The identifier circle `[0, 2^m)`.
///
/// ```
/// use chordsim::id::{Id, IdSpace};
/// let sp = IdSpace::new(4); // ids 0..16
/// assert!(sp.in_half_open(Id(1), Id(14), Id(2))); // 1 ∈ (14, 2] wraps past 0
/// assert!(!sp.in_open(Id(2), Id(14), Id(2)));
/// assert_eq!(sp.finger_start(Id(14), 3), Id(2)); // 14 + 2^2 mod 16
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdSpace {
    bits: u32,
    mask: u64,
}

impl IdSpace {
    /// `bits` must be in `1..=64` (the scenario validator guarantees it).
    #[must_use]
    pub fn new(bits: u32) -> Self {
        assert!((1..=64).contains(&bits), "id_bits must be in 1..=64");
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        IdSpace { bits, mask }
    }

    #[must_use]
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Number of ids in the space, saturating at `u64::MAX` for `m = 64`.
    #[must_use]
    pub fn size(&self) -> u64 {
        if self.bits == 64 { u64::MAX } else { 1u64 << self.bits }
    }

    #[must_use]
    pub fn id(&self, raw: u64) -> Id {
        Id(raw & self.mask)
    }

    /// Clockwise distance from `a` to `b` (0 when equal).
    #[inline]
    #[must_use]
    pub fn dist(&self, a: Id, b: Id) -> u64 {
        b.0.wrapping_sub(a.0) & self.mask
    }

    /// `x ∈ (a, b)`. With `a == b` the interval is the whole circle except `a` (ToN'03 Fig. 5).
    #[inline]
    #[must_use]
    pub fn in_open(&self, x: Id, a: Id, b: Id) -> bool {
        let dx = self.dist(a, x);
        if a == b { dx != 0 } else { dx != 0 && dx < self.dist(a, b) }
    }

    /// `x ∈ (a, b]`. With `a == b` the interval is the whole circle: a node that is its own
    /// successor owns every key (ToN'03 Fig. 5, `n.create()`).
    #[inline]
    #[must_use]
    pub fn in_half_open(&self, x: Id, a: Id, b: Id) -> bool {
        if a == b {
            return true;
        }
        let dx = self.dist(a, x);
        dx != 0 && dx <= self.dist(a, b)
    }

    /// `x ∈ [a, b)`. With `a == b` the whole circle.
    #[inline]
    #[must_use]
    pub fn in_closed_open(&self, x: Id, a: Id, b: Id) -> bool {
        a == b || self.dist(a, x) < self.dist(a, b)
    }

    /// Start of finger `i` (1-based, `1..=m`): `n + 2^(i-1) mod 2^m` (ToN'03 Table I).
    #[inline]
    #[must_use]
    pub fn finger_start(&self, n: Id, i: u32) -> Id {
        Id(n.0.wrapping_add(1u64 << (i - 1)) & self.mask)
    }

    /// The first `m` bits of SHA-1(`name`) (ToN'03 Sec. IV-A: consistent hashing).
    #[must_use]
    pub fn hash(&self, name: &[u8]) -> Id {
        let digest = Sha1::digest(name);
        let mut top = [0u8; 8];
        top.copy_from_slice(&digest[..8]);
        let v = u64::from_be_bytes(top);
        Id(if self.bits == 64 { v } else { v >> (64 - self.bits) })
    }

    /// Parses `0x…` hex or decimal, rejecting ids outside the space.
    pub fn parse(&self, s: &str) -> Result<Id, String> {
        let t = s;
        let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
            u64::from_str_radix(h, 16)
        } else {
            t.parse::<u64>()
        }
        .map_err(|_| format!("{} is not an id (allowed: 0x-prefixed hex or decimal, no spaces)", shown(s)))?;
        if v & !self.mask != 0 {
            return Err(format!("id {} does not fit in {} bits (allowed: 0 ..= {})", shown(s), self.bits, self.mask));
        }
        Ok(Id(v))
    }
}

/// An id as typed, cut to a short excerpt for messages.
fn shown(s: &str) -> String {
    crate::bounds::excerpt(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Brute force: walk clockwise from `a` (exclusive) to `b`, collecting the ids passed.
    fn walk(sp: &IdSpace, a: u64, b: u64, include_end: bool) -> Vec<u64> {
        let n = sp.size();
        let mut out = Vec::new();
        let mut x = (a + 1) % n;
        loop {
            if x == b {
                if include_end {
                    out.push(x);
                }
                break;
            }
            out.push(x);
            x = (x + 1) % n;
        }
        out
    }

    #[test]
    fn intervals_exhaustive_m4() {
        let sp = IdSpace::new(4);
        for a in 0..16u64 {
            for b in 0..16u64 {
                let open = walk(&sp, a, b, false);
                let half = walk(&sp, a, b, true);
                for x in 0..16u64 {
                    let (ia, ib, ix) = (Id(a), Id(b), Id(x));
                    // (a, a) is everything but a; (a, a] is everything.
                    let want_open = if a == b { x != a } else { open.contains(&x) };
                    let want_half = if a == b { true } else { half.contains(&x) };
                    let want_co = a == b || x == a || open.contains(&x);
                    assert_eq!(sp.in_open(ix, ia, ib), want_open, "({a},{b}) x={x}");
                    assert_eq!(sp.in_half_open(ix, ia, ib), want_half, "({a},{b}] x={x}");
                    assert_eq!(sp.in_closed_open(ix, ia, ib), want_co, "[{a},{b}) x={x}");
                }
            }
        }
    }

    #[test]
    fn finger_starts_wrap() {
        let sp = IdSpace::new(4);
        assert_eq!(sp.finger_start(Id(14), 1), Id(15));
        assert_eq!(sp.finger_start(Id(14), 2), Id(0));
        assert_eq!(sp.finger_start(Id(14), 4), Id(6));
        let full = IdSpace::new(64);
        assert_eq!(full.finger_start(Id(u64::MAX), 1), Id(0));
        assert_eq!(full.finger_start(Id(0), 64), Id(1 << 63));
    }

    #[test]
    fn full_width_space() {
        let sp = IdSpace::new(64);
        assert!(sp.in_open(Id(0), Id(u64::MAX - 1), Id(5)));
        assert!(sp.in_half_open(Id(5), Id(u64::MAX), Id(5)));
        assert!(!sp.in_open(Id(6), Id(u64::MAX), Id(5)));
    }

    #[test]
    fn hash_takes_top_bits() {
        // SHA-1("") = da39a3ee 5e6b4b0d ...
        assert_eq!(IdSpace::new(8).hash(b""), Id(0xda));
        assert_eq!(IdSpace::new(32).hash(b""), Id(0xda39_a3ee));
        assert_eq!(IdSpace::new(64).hash(b""), Id(0xda39_a3ee_5e6b_4b0d));
    }

    #[test]
    fn parse_ids() {
        let sp = IdSpace::new(8);
        assert_eq!(sp.parse("0x1f"), Ok(Id(31)));
        assert_eq!(sp.parse("200"), Ok(Id(200)));
        assert!(sp.parse("0x100").is_err());
        assert!(sp.parse("zz").is_err());
    }
}
