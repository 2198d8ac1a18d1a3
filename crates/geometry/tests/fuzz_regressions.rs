//! Geometry inputs that crashed a parser (found by the `binning_xml` fuzz target or in reviewing
//! what the targets reach; docs/fuzzing.md): each must now give an error naming the field.

use std::alloc::{GlobalAlloc, Layout, System};

use calogen_geometry::{CaloChallengeSpec, Geometry, Voxelisation};

/// Refuses (null → the test binary aborts) any single allocation over 256 MiB, so an allocation
/// sized by the file fails here at once instead of exhausting a shared machine's memory.
struct Guard;

const LIMIT: usize = 256 << 20;

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

#[global_allocator]
static GUARD: Guard = Guard;

fn parse_err(toml: &str) -> String {
    match Geometry::parse(toml, "fuzz.toml", |_| unreachable!("no XML")) {
        Ok(g) => panic!("parsed {} with {} layers", g.name(), g.n_layers()),
        Err(e) => e.to_string(),
    }
}

/// The fuzzer's input (first byte `s`: particle "pion"): a layer without radial bins but with
/// 214 748 364 732 alpha bins; `voxel_centres` allocated 1.7 TB of alpha edges.
#[test]
fn binning_with_214_billion_alpha_bins_is_refused() {
    let input = b"s>\n  <Bin pid=\"2ton\"><Layer id=\"0\" r_edges=\"01\" \
                  n_bin_alpha=\"214748364732\"/Bins>\n";
    let xml = std::str::from_utf8(&input[1..]).unwrap();
    let spec = CaloChallengeSpec {
        name: "fuzz".into(),
        description: String::new(),
        binning: "fuzz.xml".into(),
        particle: "pion".into(),
        threshold_mev: 0.0,
    };
    let msg = match Voxelisation::from_spec(spec, xml, "fuzz.xml") {
        Ok(v) => panic!("accepted, {} voxel centres", v.voxel_centres().len()),
        Err(e) => e.to_string(),
    };
    assert!(msg.contains("n_bin_alpha"), "{msg}");
}

/// A section of 10^11 layers was expanded layer by layer before the 65 535-layer limit was checked.
#[test]
fn hundred_billion_layers_are_refused_before_they_are_built() {
    let msg = parse_err(
        r#"kind = "planar"
name = "deep"
threshold_mev = 0.1
[[sections]]
layers = 100000000000
absorber_mm = 1.0
sensitive_mm = 0.5
cell_mm = 5.0
ix = [0, 9]
iy = [0, 9]
"#,
    );
    assert!(msg.contains("65535 layers"), "{msg}");
}

/// ix spanning every i32 is 2^32 cells: `Layer::nx` overflowed i32 and the cell count had no bound.
#[test]
fn cell_grid_spanning_every_i32_is_refused() {
    let msg = parse_err(
        r#"kind = "planar"
name = "wide"
threshold_mev = 0.1
[[sections]]
layers = 1
absorber_mm = 1.0
sensitive_mm = 0.5
cell_mm = 5.0
ix = [-2147483648, 2147483647]
iy = [0, 0]
"#,
    );
    assert!(msg.contains("cells"), "{msg}");
}

/// Two runs of 4 294 967 295 and 1 cells: the u32 cell count wrapped (a panic with overflow checks).
#[test]
fn barrel_runs_overflowing_u32_are_refused() {
    let msg = parse_err(
        r#"name = "b"
kind = "barrel"
threshold_mev = 0.1
staves = 8
cell_mm = 5.0
sensitive_mm = 0.5
x_range = [0.0, 1.0]
z_range = [0.0, 1.0]
gun = [0.0, 0.0, 0.0]
[[layers]]
y_mm = 1.0
x_runs = [[0.0, 4294967295], [1e12, 1]]
z_runs = [[0.0, 1]]
"#,
    );
    assert!(msg.contains("x_runs"), "{msg}");
}
