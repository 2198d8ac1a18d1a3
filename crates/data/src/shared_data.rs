//! The project's large shared files (`../shared/data` beside the repository: full Geant4 sets,
//! the official CaloClouds3 checkpoint and its reference vectors), for the tests that need them.
//!
//! CI has the folder, a user's checkout usually does not. A test asks [`shared_data`] for a path:
//! when it is missing, under CI (the environment variable `CI` set, not empty, `0` or `false`) the
//! test fails with the path in the message, so a CI machine that lost the data cannot pass
//! silently; elsewhere it prints `skipped: <path> missing` to stderr and the test returns early.

use std::path::{Path, PathBuf};

/// `../shared/data` as seen from the workspace (every crate sits two levels below its root).
pub fn shared_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// Whether the environment says this is CI.
pub fn running_in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// `shared/data/<relative>` when it exists. When it does not: panics under CI (naming the path),
/// otherwise prints `skipped: <path> missing` and returns `None`.
/// Use: `let Some(path) = shared_data("ild_photons_train.h5") else { return };`
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let p = shared_data_dir().join(relative);
    if p.exists() {
        return Some(p);
    }
    if running_in_ci() {
        panic!(
            "{} missing: CI must have ../shared/data (unset CI to skip this test locally)",
            p.display()
        );
    }
    eprintln!("skipped: {} missing", p.display());
    None
}
