//! A closed standard output (`calogen info F | head -1`) must not panic, and must not stop a
//! command's real work: before the fix both commands below died with "failed printing to stdout:
//! Broken pipe" (rc 101), `generate` before writing its file.

use std::path::Path;
use std::process::{Command, Stdio};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
        .display()
        .to_string()
}

/// Runs calogen with its stdout pipe closed before it writes anything; returns (success, stderr).
fn run_with_closed_stdout(args: &[&str]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader goes away: every write now fails with EPIPE
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn info_into_a_closed_pipe_exits_cleanly() {
    let (ok, stderr) = run_with_closed_stdout(&["info", &fixture("ild_photons_small.h5")]);
    assert!(ok, "rc != 0: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn generate_into_a_closed_pipe_still_writes_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.h5");
    let (ok, stderr) = run_with_closed_stdout(&[
        "generate",
        "--energy",
        "20GeV",
        "--n",
        "3",
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(ok, "rc != 0: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.exists(),
        "generate stopped before writing {}",
        out.display()
    );
}
