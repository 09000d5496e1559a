//! Safe software prefetch hints.
//!
//! `cxl` forbids `unsafe` code; the one instruction it needs that Rust exposes
//! only as an `unsafe` intrinsic on stable lives here, alone, so the exception
//! is small enough to audit at a glance. A prefetch asks the CPU to start
//! loading a cache line that will be read soon. It never faults and never
//! changes what a program computes, only when memory arrives; the functions
//! take references, so no caller ever hands over a dangling pointer anyway.
//!
//! On targets other than x86-64 the hints compile to nothing.

/// The size of a cache line on the targets this helps (x86-64).
pub const LINE: usize = 64;

/// Most lines hinted for one value: a hint is for a few lines about to be
/// read, not a copy of a large buffer (hardware prefetchers do that better).
pub const MAX_LINES: usize = 16;

/// Start loading the cache lines of `value` (at most [`MAX_LINES`]).
#[inline(always)]
pub fn prefetch<T: ?Sized>(value: &T) {
    let start = (value as *const T).cast::<u8>();
    prefetch_bytes(start, std::mem::size_of_val(value));
}

/// Start loading the cache lines of the elements of `items` (at most
/// [`MAX_LINES`]).
#[inline(always)]
pub fn prefetch_slice<T>(items: &[T]) {
    prefetch_bytes(items.as_ptr().cast::<u8>(), std::mem::size_of_val(items));
}

/// Hint every line that `len` bytes from `start` touch, up to [`MAX_LINES`].
#[inline(always)]
fn prefetch_bytes(start: *const u8, len: usize) {
    if len == 0 {
        return;
    }
    // The first line may begin before `start`: count lines from its start.
    let offset = start as usize % LINE;
    let lines = (offset + len).div_ceil(LINE).min(MAX_LINES);
    for line in 0..lines {
        // `wrapping_*` keeps this free of any claim about the allocation; the
        // lines hinted lie within `value` or share a line with its ends.
        line_hint(start.wrapping_sub(offset).wrapping_add(line * LINE));
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn line_hint(p: *const u8) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: `prefetch` is a hint: it does not dereference the address as a
    // load would, cannot fault, and has no effect a program can observe but
    // timing. The intrinsic is `unsafe` only because it carries
    // `#[target_feature(enable = "sse")]`, and SSE is part of the x86-64
    // baseline, so every x86-64 CPU this runs on has it.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn line_hint(_p: *const u8) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_change_nothing_the_program_sees() {
        let values: Vec<u64> = (0..1000).collect();
        prefetch(&values[..]);
        prefetch_slice(&values[3..900]);
        prefetch_slice::<u64>(&[]);
        prefetch(&values[999]);
        let boxed: Box<[u8]> = vec![7u8; 3].into_boxed_slice();
        prefetch(&*boxed);
        prefetch("a str");
        assert_eq!(values.iter().sum::<u64>(), 999 * 1000 / 2);
        assert_eq!(&*boxed, &[7, 7, 7]);
    }
}
