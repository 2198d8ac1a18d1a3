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

/// A seed config of `fuzz/corpus/model_json` with `changes` applied.
fn config_with(seed: &str, changes: &[(&str, serde_json::Value)]) -> String {
    let path = format!(
        "{}/../../fuzz/corpus/model_json/{seed}",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for (k, x) in changes {
        v[k] = x.clone();
    }
    v.to_string()
}

// The configs below were found in reviewing what the `model_json` target reaches: sizes a config
// gives that the loaders multiply or allocate before any tensor is looked at.

/// `steps` sizes the Karras schedule: 10^12 steps asked for 8 TB.
#[test]
fn net_config_with_a_trillion_steps_is_refused() {
    use calogen_models::caloclouds2::NetConfig;
    let text = config_with(
        "seed-cc2-inference.json",
        &[("steps", 1_000_000_000_000u64.into())],
    );
    let msg = NetConfig::from_json(&text, "fuzz.json")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("steps"), "{msg}");
}

/// time_dim + cond_dim (the context width) overflowed in `shape()`.
#[test]
fn context_widths_that_overflow_are_refused() {
    use calogen_models::caloclouds2::NetConfig;
    use calogen_models::caloclouds3::Cc3Config;
    let half = serde_json::Value::from(1u64 << 63);
    let big = [("time_dim", half.clone()), ("cond_dim", half.clone())];
    let text = config_with("seed-cc2-inference.json", &big);
    assert!(NetConfig::from_json(&text, "fuzz.json").is_err());
    let text = config_with("seed-cc3_cm_config.json", &big);
    let msg = Cc3Config::from_json(&text, "fuzz.json")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("ctx_dim"), "{msg}");
}

/// `3 * bins - 1` spline parameters per feature overflowed with 2^62 bins.
#[test]
fn flow_config_with_2_to_62_bins_is_refused() {
    use calogen_models::caloclouds2::{Cc2ShowerFlow, FlowConfig};
    let text = config_with("seed-flow-inference.json", &[("bins", (1u64 << 62).into())]);
    let msg = FlowConfig::from_json(&text, "fuzz.json")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("bins"), "{msg}");
    let st = harness::metadata_only_safetensors(&[
        ("model", "caloclouds2-showerflow"),
        ("inference", &text),
    ]);
    assert!(Cc2ShowerFlow::from_bytes(&st, "fuzz.safetensors").is_err());
}
