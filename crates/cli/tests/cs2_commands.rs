//! `calogen train caloscore2` and `caloscore2-distil` end to end on the two par04 files (tiny
//! config, a few steps): OUT becomes a model folder of the CaloScore v2 contract, the distilled
//! folder records its halved voxel steps, and bad arguments are named.

use std::path::{Path, PathBuf};

mod common;
use common::{calogen, run};

fn shared(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(name);
    p.exists().then_some(p)
}

fn config_of(dir: &Path) -> serde_json::Value {
    let bytes = std::fs::read(dir.join("caloscore2.safetensors")).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    serde_json::from_str(header["__metadata__"]["caloscore2"].as_str().unwrap()).unwrap()
}

#[test]
fn train_then_distil_caloscore2() {
    let (Some(a), Some(b)) = (
        shared("par04_electrons_train.h5"),
        shared("par04_electrons_train_2.h5"),
    ) else {
        eprintln!("skipped: ../shared/data not found");
        return;
    };
    let cfg = Path::new(env!("CARGO_MANIFEST_DIR")).join("../train/configs/caloscore2/tiny.toml");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    let out = run(calogen()
        .args(["train", "caloscore2", "--steps", "2", "--data"])
        .arg(&a)
        .arg("--data")
        .arg(&b)
        .arg("--out")
        .arg(&m)
        .arg("--config")
        .arg(&cfg));
    assert!(out.contains("held-out loss"), "{out}");
    let family: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(m.join("family.json")).unwrap()).unwrap();
    assert_eq!(family["family"], "caloscore2");
    assert_eq!(config_of(&m)["voxel_steps"], 8);
    // 500 held back from each file, written for `calogen evaluate`.
    assert!(m.join("heldout.h5").exists());
    let t = std::fs::read_to_string(m.join("training.json")).unwrap();
    assert!(
        t.contains("par04_electrons_train_2.h5") && t.contains("7000"),
        "{t}"
    );

    let dcfg = dir.path().join("d.toml");
    std::fs::write(&dcfg, "batch = 2\neval_batches = 1\n[trainer]\nsteps = 2\n").unwrap();
    let d = dir.path().join("d");
    let distil = |to: &str| {
        let mut c = calogen();
        c.args(["train", "caloscore2-distil", "--to-steps", to, "--teacher"])
            .arg(&m)
            .arg("--data")
            .arg(&a)
            .arg("--data")
            .arg(&b)
            .arg("--out")
            .arg(&d)
            .arg("--config")
            .arg(&dcfg);
        c
    };
    let o = distil("3").output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--to-steps 3"), "{err}");
    let out = run(&mut distil("2"));
    assert!(out.contains("4 steps") && out.contains("2 steps"), "{out}");
    let c = config_of(&d);
    assert_eq!(
        (c["voxel_steps"].as_u64(), c["layer_steps"].as_u64()),
        (Some(2), Some(8))
    );
    assert_eq!(config_of(&d.join("steps_4"))["voxel_steps"], 4);
}

#[test]
fn caloclouds_parts_take_one_data_file() {
    let o = calogen()
        .args([
            "train",
            "showerflow",
            "--data",
            "a.h5",
            "--data",
            "b.h5",
            "--out",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exactly one --data"), "{err}");
}
