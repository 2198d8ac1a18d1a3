//! A reference (or generated file) whose showers hold no energy is refused by name right after it
//! is loaded (issue 12, point 9): it used to fail deep in the metrics with
//! `standardized_wasserstein: reference observable 0 has zero spread`, naming neither the file
//! nor the cause.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calogen_data::hdf5;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// A copy of the 40-shower photon fixture with every point zeroed (zero points are padding, so
/// each shower has no points).
fn without_points(dir: &Path) -> PathBuf {
    let path = dir.join("empty.h5");
    std::fs::copy(fixture("ild_photons_small.h5"), &path).unwrap();
    let f = hdf5::File::open_rw(&path).unwrap();
    let ds = f.dataset("events").unwrap();
    let zeros = vec![0f32; ds.size()];
    ds.write_raw(&zeros).unwrap();
    path
}

fn evaluate(reference: &Path, generated: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["evaluate", "--no-plots", "--classifier-repeats", "0"])
        .arg("--reference")
        .arg(reference)
        .arg("--generated")
        .arg(generated)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_reference_without_points_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let empty = without_points(dir.path());
    let out = dir.path().join("o");
    let o = evaluate(&empty, &fixture("ild_photons_small.h5"), &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "an empty reference was evaluated");
    assert!(
        err.contains("empty.h5 (--reference): 0 of its 40 showers hold energy in `ild-ecal`"),
        "{err}"
    );
    assert!(!err.contains("zero spread"), "{err}");
    assert!(!out.exists());

    // The generated side is named as such.
    let o = evaluate(&fixture("ild_photons_small.h5"), &empty, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("empty.h5 (--generated): 0 of its 40"), "{err}");
}
