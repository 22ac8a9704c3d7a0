//! A cache hint: start loading a value's memory now, because it will be read soon.
//!
//! Owns: the crate's only `unsafe` code, a prefetch instruction. Used wherever the next random access
//! is known ahead: the run loop prefetches the slots of the nodes that the next event, and an event
//! two places down the same queue lane, go to; the queue prefetches a lane's entries ahead of its
//! head; a lookup arrival prefetches the next arrival's origin and the truth's index line for its key;
//! the state check prefetches nodes ahead in ring order. A random node's state was the largest single
//! stall in the profile at 10^4+ nodes; with the hint its miss overlaps with useful work.
//! Never: read or write through the pointer, or change what the program computes (a prefetch is a
//! hint: it cannot fault and has no visible effect but speed). Other targets get a no-op.

/// Hints the CPU to bring every cache line of `*value` into the cache.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let base = std::ptr::from_ref::<T>(value).cast::<i8>();
        let mut off = 0;
        while off < std::mem::size_of::<T>() {
            // SAFETY: `_mm_prefetch` is a hint: it never faults, reads nothing into the program and
            // writes nothing, whatever the address; SSE is part of the x86_64 baseline. The address
            // lies inside the referenced value (`off < size_of::<T>()`).
            #[allow(unsafe_code)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(base.wrapping_add(off));
            }
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
