//! The counting allocator counts: a test that it sees allocations and sees none where
//! there are none (so the zero-allocation tests built on it can fail).

use eqlc_test_support::{allocations_in, bytes_in, Counting};

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn counts_allocations_and_only_them() {
    let n = allocations_in(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 1);
    let mut v: Vec<u64> = Vec::with_capacity(4);
    let n = allocations_in(|| {
        v.push(1);
        v.push(2);
        std::hint::black_box(&v);
    });
    assert_eq!(n, 0);
    let n = allocations_in(|| {
        let s = String::from("grows");
        let mut s = std::hint::black_box(s);
        s.push_str(" beyond its first capacity, so it reallocates");
        std::hint::black_box(s);
    });
    assert_eq!(n, 2);
    let n = bytes_in(|| {
        let v: Vec<u64> = Vec::with_capacity(16);
        std::hint::black_box(v);
    });
    assert_eq!(n, 128);
}
