//! Inputs the fuzzers (`fuzz/`, docs/fuzzing.md) found crashing a loader, kept as bytes
//! (`tests/data/fuzz/`) or rebuilt by hand: each must now give an error, not a panic, an abort or an
//! allocation sized by the file.

#[allow(dead_code)]
#[path = "../../../fuzz/src/harness.rs"]
mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Cursor;

use calogen_models::io::read_pt;

/// Refuses (null → `handle_alloc_error` aborts the test binary) any single allocation over
/// 256 MiB: overcommit would otherwise let an untouched `Vec::with_capacity(file size claim)`
/// pass unnoticed. No test here needs more than a few KB.
struct Guard;

unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > LIMIT {
            return std::ptr::null_mut();
        }
        System.alloc(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > LIMIT {
            return std::ptr::null_mut();
        }
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

const LIMIT: usize = 256 << 20;

#[global_allocator]
static GUARD: Guard = Guard;

fn pt_error(archive: &[u8]) -> String {
    match read_pt(Cursor::new(archive), "fuzz.pt", &[]) {
        Ok(m) => panic!("read {} tensors from a broken checkpoint", m.len()),
        Err(e) => e.to_string(),
    }
}

/// The zip entry `data.pkl` declares 1.56 GB uncompressed and stores 629 bytes; the reader
/// preallocated the declared size.
#[test]
fn zip_entry_declaring_1_5_gb_is_not_preallocated() {
    let archive = include_bytes!("data/fuzz/pt-declared-entry-size.pt");
    let msg = pt_error(archive);
    assert!(msg.contains("fuzz.pt"), "{msg}");
}

/// Two tensors on storage `1`: first as 16 floats (64 bytes, present), then as 64-bit doubles; the
/// storage's length was checked only for the first, and the second read past its end.
#[test]
fn storage_reused_with_a_wider_dtype_is_refused() {
    let pkl = include_bytes!("data/fuzz/pickle-shared-storage-wider-dtype.pkl");
    let msg = pt_error(&harness::torch_archive(pkl));
    assert!(msg.contains("storage"), "{msg}");
}
