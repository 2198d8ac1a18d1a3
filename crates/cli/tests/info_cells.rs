//! `calogen info` reads a point file's `cells/` truth, not only its offsets: a NaN cell energy
//! used to pass `info` and fail only later in `project` (issue: hardening, point 9).

use std::path::Path;
use std::process::Command;

use calogen_data::hdf5;

#[test]
fn info_rejects_a_nan_cell_energy_naming_the_dataset() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nan_cells.h5");
    std::fs::copy(&src, &path).unwrap();
    {
        let f = hdf5::File::open_rw(&path).unwrap();
        let ds = f.dataset("cells/energy_mev").unwrap();
        let mut e: Vec<f32> = ds.read_raw().unwrap();
        let k = e.len() / 2; // a cell in the middle of the file, not the first one read
        e[k] = f32::NAN;
        ds.write_raw(&e).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["info", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "info accepted a NaN cell energy");
    assert!(stderr.contains("nan_cells.h5"), "names the file: {stderr}");
    assert!(
        stderr.contains("cells/energy_mev"),
        "names the dataset: {stderr}"
    );
    assert!(stderr.contains("NaN"), "says what is wrong: {stderr}");

    // The clean fixture still passes. (In the same test on purpose: HDF5 opens files without
    // O_CLOEXEC, so a `calogen` spawned by a parallel test while the edit above held the file
    // inherited its descriptor and flock, and the `info` above then failed with EAGAIN.)
    let out = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["info", src.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("truth cells"));
}
