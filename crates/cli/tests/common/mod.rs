//! Helpers every CLI test file shares (`mod common;`): the built `calogen` binary with progress
//! bars off, the committed fixtures, and reading a point file back.
// Each test file is its own crate and uses only some of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use calogen_data::{PointClouds, ShowerBatch, ShowerFileOptions};

/// The `calogen` binary of this build, with `CI` set (no progress bars in the captured output).
/// (HDF5 file locking is off for every test run: `.cargo/config.toml`.)
pub fn calogen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calogen"));
    c.env("CI", "1");
    c
}

/// A committed fixture (`fixtures/` at the repository root).
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// Runs `c`, which must succeed; its standard output.
pub fn run(c: &mut Command) -> String {
    let r = c.output().unwrap();
    assert!(
        r.status.success(),
        "{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// Every shower of a point file.
pub fn points(p: &Path) -> PointClouds {
    let f = calogen_data::open(p, &ShowerFileOptions::default()).unwrap();
    match f.read(0..f.len()).unwrap() {
        ShowerBatch::Points(pc) => pc,
        _ => panic!("{}: not points", p.display()),
    }
}
