//! `calogen generate --shard i/n` and `calogen merge` (issue 15): three shards of the embedded
//! CaloClouds II model merged equal the single run dataset by dataset (points and cells, every
//! root attribute too); merge refuses a missing shard, a duplicate and mixed seeds; a shard killed
//! while writing and rerun gives the same file.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;
use common::{assert_same_h5, calogen, run};

const N: &str = "12";
const SEED: &str = "5";

fn generate(dir: &Path, name: &str, seed: &str, extra: &[&str]) -> PathBuf {
    let out = dir.join(name);
    run(calogen()
        .args(["generate", "--energy", "10GeV..90GeV", "--theta", "0"])
        .args(["--n", N, "--seed", seed, "--format", "both"])
        .args(extra)
        .arg("--out")
        .arg(&out));
    out
}

fn cells(p: &Path) -> PathBuf {
    let stem = p.file_stem().unwrap().to_string_lossy();
    p.with_file_name(format!("{stem}_cells.h5"))
}

fn merge(out: &Path, shards: &[&Path]) -> std::process::Output {
    calogen()
        .arg("merge")
        .arg(out)
        .args(shards)
        .output()
        .unwrap()
}

fn events_width(p: &Path) -> usize {
    let f = calogen_data::hdf5::File::open(p).unwrap();
    let shape = f.dataset("events").unwrap().shape();
    // [N, 4, P] or [N, P, 4]: the point axis is the long one.
    shape[1].max(shape[2])
}

#[test]
fn merged_shards_equal_the_single_run_and_bad_sets_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let single = generate(dir, "single.h5", SEED, &[]);
    // Shard 1 on two threads: a shard's showers do not depend on the thread count either.
    let parts: Vec<PathBuf> = (0..3)
        .map(|i| {
            let threads = if i == 1 { "2" } else { "1" };
            generate(
                dir,
                &format!("part{i}.h5"),
                SEED,
                &["--shard", &format!("{i}/3"), "--threads", threads],
            )
        })
        .collect();
    // The shards' widths differ, so the merge really re-pads the point rows.
    let widths: Vec<usize> = parts.iter().map(|p| events_width(p)).collect();
    assert!(
        widths.iter().any(|&w| w != widths[0]),
        "all shards {widths:?} wide: pick another seed to exercise the re-padding"
    );

    // Given out of order on purpose.
    let merged = dir.join("merged.h5");
    let r = merge(&merged, &[&parts[2], &parts[0], &parts[1]]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_same_h5(&single, &merged);
    let merged_cells = dir.join("merged_cells.h5");
    let cell_parts: Vec<PathBuf> = parts.iter().map(|p| cells(p)).collect();
    let r = merge(
        &merged_cells,
        &cell_parts.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_same_h5(&cells(&single), &merged_cells);

    let refused = |shards: &[&Path], expect: &[&str]| {
        let out = dir.join("refused.h5");
        let r = merge(&out, shards);
        let err = String::from_utf8_lossy(&r.stderr).to_string();
        assert!(!r.status.success(), "merge of {shards:?} succeeded");
        for e in expect {
            assert!(err.contains(e), "expected `{e}` in: {err}");
        }
        assert!(!out.exists(), "a refused merge left {}", out.display());
    };
    refused(&[&parts[0], &parts[1]], &["missing", "2/3"]);
    refused(
        &[&parts[0], &parts[1], &parts[1], &parts[2]],
        &["both shard 1/3"],
    );
    let other_seed = generate(dir, "seed6.h5", "6", &["--shard", "1/3"]);
    refused(
        &[&parts[0], &other_seed, &parts[2]],
        &["calogen_seed", "different runs"],
    );
    refused(&[&single], &["not a shard file"]);
}

/// A shard killed (SIGKILL) 1.5 s into its run (generating, or in the commit held open by
/// `CALOGEN_TEST_COMMIT_DELAY_MS`) leaves nothing in place; the rerun writes the same file as an
/// undisturbed run.
#[test]
fn killed_shard_rerun_gives_the_same_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let reference = generate(dir, "ref.h5", SEED, &["--shard", "2/3"]);
    let out = dir.join("killed.h5");
    let mut child = calogen()
        .env("CALOGEN_TEST_COMMIT_DELAY_MS", "20000")
        .args(["generate", "--energy", "10GeV..90GeV", "--theta", "0"])
        .args(["--n", N, "--seed", SEED, "--format", "both"])
        .args(["--shard", "2/3", "--out"])
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The staged files exist from the start of the run.
    let t0 = Instant::now();
    let staged = || {
        std::fs::read_dir(dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("killed"))
    };
    while !staged() {
        assert!(t0.elapsed() < Duration::from_secs(120), "no staged file");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "the killed shard committed");
    assert!(
        !cells(&out).exists(),
        "the killed shard committed its cells"
    );
    generate(dir, "killed.h5", SEED, &["--shard", "2/3"]);
    assert_same_h5(&reference, &out);
    assert_same_h5(&cells(&reference), &cells(&out));
    // No temporary of the killed run is left beside the files (the rerun swept them).
    let left: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
