//! Limits that state read back from a checkpoint must respect, known before the state is decoded.
//!
//! Owns: a per-thread [`Limits`] record that the checkpoint decoder sets, from the file's header, for
//! the duration of one decode ([`with`]), and the checks that the `Deserialize` impls of the
//! ubiquitous small types (`msg::Addr`, `id::Id`; this module imports neither) run against it, so that every
//! address and id anywhere in the state (events, RPCs, lookups, lists, items, the checker) is in range
//! without a walk over each structure that holds one.
//! Invariants: outside [`with`] there are no limits (reports, scenarios and tests decode freely); the
//! limits are restored on every exit from [`with`], also on error.
//! Also [`check_arena`] and [`check_tags`], the shared checks of a restored slot arena (lists, item
//! batches, lookup and operation tags), and
//! [`excerpt`], the bound on how much of a user-given text any message quotes.
//! Never: hold anything but plain numbers, or be read by the simulation itself.

use std::cell::Cell;

/// What the header says about the state it precedes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Node slots: every address is below this (or is the placeholder `Addr::PAD`).
    pub slots: u32,
    /// Ids are masked to this many bits.
    pub id_bits: u32,
}

thread_local! {
    static LIMITS: Cell<Option<Limits>> = const { Cell::new(None) };
}

/// Runs `f` with `limits` in force on this thread.
pub fn with<T>(limits: Limits, f: impl FnOnce() -> T) -> T {
    struct Restore(Option<Limits>);
    impl Drop for Restore {
        fn drop(&mut self) {
            LIMITS.with(|l| l.set(self.0));
        }
    }
    let _restore = Restore(LIMITS.with(|l| l.replace(Some(limits))));
    f()
}

/// An address read back: below the slot count, or the placeholder.
pub fn addr(a: u32) -> Result<u32, String> {
    match LIMITS.with(Cell::get) {
        Some(l) if a >= l.slots && a != u32::MAX => Err(format!("address {a} of {} node slots", l.slots)),
        _ => Ok(a),
    }
}

/// An id read back: within the identifier space.
pub fn id(v: u64) -> Result<u64, String> {
    match LIMITS.with(Cell::get) {
        Some(l) if l.id_bits < 64 && v >> l.id_bits != 0 => Err(format!("id {v:#x} outside {}-bit ids", l.id_bits)),
        _ => Ok(v),
    }
}

/// An arena of slots read back from a checkpoint: `free` and `refs` (the slots in use by messages in
/// flight) name slots below `len`, each at most once, and never the same slot. Sorts both.
pub fn check_arena(what: &str, len: usize, free: &[u32], refs: &mut [u32]) -> Result<(), String> {
    let mut free = free.to_vec();
    free.sort_unstable();
    refs.sort_unstable();
    let out = |v: &[u32]| v.last().is_some_and(|&x| x as usize >= len);
    let twice = |v: &[u32]| v.windows(2).find(|w| w[0] == w[1]).map(|w| w[0]);
    if out(&free) || out(refs) {
        return Err(format!("a {what} beyond the {len} allocated"));
    }
    if let Some(x) = twice(&free).or(twice(refs)) {
        return Err(format!("{what} {x} is freed or carried twice"));
    }
    if let Some(x) = refs.iter().find(|x| free.binary_search(x).is_ok()) {
        return Err(format!("{what} {x} is carried by a message but free"));
    }
    Ok(())
}

/// A tag table read back from a checkpoint (`slots[t]` is `Some` while tag `t` is in flight) with its
/// free list: [`check_arena`] with the tags in flight as the ones in use.
pub fn check_tags<T>(what: &str, slots: &[Option<T>], free: &[u32]) -> Result<(), String> {
    let mut live: Vec<u32> = (0..slots.len() as u32).filter(|&t| slots[t as usize].is_some()).collect();
    check_arena(what, slots.len(), free, &mut live)
}

/// A user-given text as a short quoted excerpt for messages: at most 40 characters, control
/// characters escaped, so an error never echoes a huge or binary value whole.
#[must_use]
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let mut out = String::from("\"");
    for c in text.chars().take(MAX) {
        out.extend(c.escape_debug());
    }
    out.push('"');
    let n = text.chars().count();
    if n > MAX {
        out.push_str(&format!("… ({n} characters)"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_inside_with_only() {
        let l = Limits { slots: 10, id_bits: 8 };
        assert!(addr(99).is_ok() && id(1 << 20).is_ok());
        with(l, || {
            assert!(addr(9).is_ok() && addr(u32::MAX).is_ok());
            assert_eq!(addr(10).unwrap_err(), "address 10 of 10 node slots");
            assert!(id(255).is_ok() && id(256).is_err());
        });
        assert!(addr(99).is_ok());
        let r: Result<(), ()> = with(l, || Err(()));
        assert!(r.is_err() && addr(99).is_ok());
    }
}
