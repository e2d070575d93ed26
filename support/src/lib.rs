//! Test and benchmark support shared by the eqlc crates.
//!
//! * [`Counting`] — a global allocator that counts allocations per thread, so that tests
//!   can prove "zero allocations per event in steady state". Install it in a test binary
//!   with `#[global_allocator] static A: Counting = Counting;` and measure with
//!   [`allocations_in`] or [`thread_allocations`]; [`bytes_in`] / [`thread_bytes`] sum
//!   the bytes those allocations asked for (to show that state is not sized up front).

// A `GlobalAlloc` implementation is `unsafe` by definition. This crate is the only place
// in the workspace that implements one; it forwards every call to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    // `const` initialisation: reading it never allocates, so the allocator can use it.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    ALLOCS.with(|c| c.set(c.get() + 1));
    BYTES.with(|c| c.set(c.get() + bytes as u64));
}

/// Counts allocations and reallocations made by each thread, then defers to [`System`].
pub struct Counting;

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the
// `GlobalAlloc` contract; the only addition is incrementing a thread-local `Cell`, which
// neither allocates nor unwinds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract for `layout` is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was returned by `System` (through this allocator) for `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size.saturating_sub(layout.size()));
        // SAFETY: `ptr`/`layout` come from `System`; `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations (and reallocations) made so far by the current thread.
pub fn thread_allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

/// Bytes asked for so far by the current thread's allocations (a reallocation counts
/// the bytes it adds; frees are not subtracted).
pub fn thread_bytes() -> u64 {
    BYTES.with(|c| c.get())
}

/// Bytes asked for by the current thread's allocations while running `f` (see
/// [`thread_bytes`]).
pub fn bytes_in(f: impl FnOnce()) -> u64 {
    let before = thread_bytes();
    f();
    thread_bytes() - before
}

/// Allocations made by the current thread while running `f`.
pub fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = thread_allocations();
    f();
    thread_allocations() - before
}
