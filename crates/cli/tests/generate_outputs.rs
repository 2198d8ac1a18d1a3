//! `generate`'s outputs: the destination folder is checked before any shower is made (it used to
//! be checked after generating every shower: minutes lost at 20 000), and `--format both` commits
//! points and cells as one set, leaving no temporary behind.

use std::time::{Duration, Instant};

mod common;
use common::calogen;

#[test]
fn a_missing_output_folder_is_refused_before_generating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("no/such/folder/x.h5");
    let t = Instant::now();
    let o = calogen()
        .args([
            "generate", "--energy", "50GeV", "--n", "20000", "--seed", "1", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "generate into a missing folder succeeded"
    );
    assert!(
        stderr.contains("no/such/folder"),
        "names the folder: {stderr}"
    );
    // 20 000 showers take minutes on one core; a refusal before the work takes well under 30 s
    // even in the unoptimised-binary test profile on a loaded 2-core machine.
    assert!(
        took < Duration::from_secs(30),
        "refused only after {took:?}"
    );
}

#[test]
fn format_both_writes_the_pair_and_no_temporaries() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g.h5");
    let o = calogen()
        .args([
            "generate", "--energy", "30GeV", "--n", "3", "--seed", "5", "--format", "both", "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["g.h5", "g_cells.h5"],
        "exactly the pair, nothing hidden left"
    );
    for n in &names {
        calogen_data::open(
            &dir.path().join(n),
            &calogen_data::ShowerFileOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{n}: {e}"));
    }
}
