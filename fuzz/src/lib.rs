//! The fuzz targets' shared code: the harness (one function per parser, also replayed over the
//! committed corpus by `cargo test -p calogen-models --test fuzz_corpus`) and an allocation guard.

pub mod harness;

use std::alloc::{GlobalAlloc, Layout, System};

/// Largest single allocation a parser may make on fuzzer input. The targets are built without
/// AddressSanitizer (safe Rust; `-s none` runs 2–3× more inputs per second), which is what would
/// otherwise enforce libFuzzer's `-malloc_limit_mb`; Linux overcommit makes an untouched
/// `Vec::with_capacity(huge)` cost no RSS, so `-rss_limit_mb` alone misses it. No input of a few KB
/// should make a parser ask for 1 GiB at once: that is a size taken from the file on trust.
const MAX_ALLOCATION: usize = 1 << 30;

struct Guard;

unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

fn check(size: usize) {
    if size > MAX_ALLOCATION {
        // Unwinding out of an allocator is not allowed, so report and abort (libFuzzer saves the
        // input on SIGABRT). The backtrace's own allocations are small: no recursion.
        eprintln!(
            "calogen-fuzz: one allocation of {size} bytes (over 1 GiB: a size trusted from the input)\n{}",
            std::backtrace::Backtrace::force_capture()
        );
        std::process::abort();
    }
}

#[global_allocator]
static GUARD: Guard = Guard;
