//! Allocation counting for benchmarks: the workspace's counting allocator (install it
//! with `#[global_allocator]` in a bench binary) and the count so far on this thread.

pub use eqlc_test_support::Counting;

/// Allocations made so far by the current thread.
pub fn allocations() -> u64 {
    eqlc_test_support::thread_allocations()
}
