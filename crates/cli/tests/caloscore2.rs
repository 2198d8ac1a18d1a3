//! CaloScore v2 through the CLI with a model folder (random weights, small widths): `generate`
//! writes a CaloChallenge file, `evaluate --protocol calochallenge` reads it, and the built-in
//! name explains that no weights are embedded yet. No line of the CLI names the family.

mod common;

use calogen_models::caloscore2::config::{Attention, Cs2Config, LayerNetConfig, VoxelNetConfig};
use calogen_models::caloscore2::export::{random_tensors, write_model};
use common::{calogen, run};

fn small() -> Cs2Config {
    Cs2Config {
        geometry: "calochallenge-ds2".into(),
        time_embedding: 8,
        layer_net: LayerNetConfig {
            hidden: 16,
            blocks: 2,
            embedding: 8,
        },
        voxel_net: VoxelNetConfig {
            channels: vec![2, 4, 4],
            embedding: 8,
            heads: 2,
            attention: Attention::Lowest,
        },
        layer_steps: 2,
        voxel_steps: 2,
        ..Cs2Config::default()
    }
}

#[test]
fn generate_with_a_model_folder_writes_a_calochallenge_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = d.join("cs2");
    let cfg = small();
    write_model(&model, &cfg, &random_tensors(&cfg, 4, 1.0).unwrap()).unwrap();
    let out = d.join("x.h5");
    let text = run(calogen()
        .args(["generate", "--model"])
        .arg(&model)
        .args(["--energy", "50GeV", "--n", "20", "--threads", "2", "--out"])
        .arg(&out));
    assert!(text.contains("caloscore2"), "{text}");
    // The CaloChallenge layout: incident_energies (N, 1) and showers (N, voxels), float32, MeV.
    let f = calogen_data::hdf5::File::open(&out).unwrap();
    let inc = f.dataset("incident_energies").unwrap();
    let showers = f.dataset("showers").unwrap();
    assert_eq!(inc.shape(), vec![20, 1]);
    assert_eq!(showers.shape(), vec![20, 6480]);
    assert!(inc.dtype().unwrap().is::<f32>() && showers.dtype().unwrap().is::<f32>());
    // The same datasets, ranks and dtypes as a real CaloChallenge dataset-2 file.
    let g4 = calogen_data::hdf5::File::open(common::fixture("par04_electrons_small.h5")).unwrap();
    for name in ["incident_energies", "showers"] {
        let (ours, theirs) = (f.dataset(name).unwrap(), g4.dataset(name).unwrap());
        assert_eq!(ours.ndim(), theirs.ndim(), "{name}");
        assert_eq!(ours.shape()[1..], theirs.shape()[1..], "{name}");
        assert_eq!(
            ours.dtype().unwrap().to_descriptor().unwrap(),
            theirs.dtype().unwrap().to_descriptor().unwrap(),
            "{name}"
        );
    }
    let e: Vec<f32> = inc.read_raw().unwrap();
    assert!(e.iter().all(|&x| x == 50_000.0), "{e:?}");
    let v: Vec<f32> = showers.read_raw().unwrap();
    assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0));
    // One thread gives the same bytes.
    let out1 = d.join("x1.h5");
    run(calogen()
        .args(["generate", "--model"])
        .arg(&model)
        .args(["--energy", "50GeV", "--n", "20", "--threads", "1", "--out"])
        .arg(&out1));
    let v1: Vec<f32> = calogen_data::hdf5::File::open(&out1)
        .unwrap()
        .dataset("showers")
        .unwrap()
        .read_raw()
        .unwrap();
    assert_eq!(v, v1);

    run(calogen()
        .args([
            "evaluate",
            "--protocol",
            "calochallenge",
            "--geometry",
            "calochallenge-ds2",
            "--classifier-epochs",
            "0",
            "--resnet-epochs",
            "1",
            "--fpd-kpd-sizes",
            "scaled",
            "--reference-showers",
            "0..10",
            "--generated-showers",
            "10..20",
        ])
        .arg("--reference")
        .arg(&out)
        .arg("--generated")
        .arg(&out)
        .arg("--out")
        .arg(d.join("eval")));
    assert!(d.join("eval/metrics.json").exists());

    // The CaloChallenge timing protocol with the folder.
    let json = d.join("bench.json");
    run(calogen()
        .args(["bench", "--model"])
        .arg(&model)
        .args([
            "--batch",
            "1,3",
            "--threads",
            "1",
            "--repeats",
            "1",
            "--quick",
            "--json",
        ])
        .arg(&json));
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(b["model"], "caloscore2");
    assert_eq!(b["rows"].as_array().unwrap().len(), 2);
    assert!(b["stages"].as_str().unwrap().contains("DDIM"), "{b}");
}

#[test]
fn built_in_name_explains_there_are_no_weights_yet() {
    let dir = tempfile::tempdir().unwrap();
    let out = calogen()
        .args([
            "generate",
            "--model",
            "caloscore2",
            "--energy",
            "50GeV",
            "--n",
            "1",
            "--out",
        ])
        .arg(dir.path().join("x.h5"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("assets/caloscore2") && err.contains("--model DIR"),
        "{err}"
    );
}

/// The contract end to end: a folder written by `calogen train caloscore2` (burn, calogen-train)
/// loads in calogen-models' inference and generates a CaloChallenge file of finite energies.
#[test]
fn a_trained_folder_generates() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let (a, b) = (
        data.join("par04_electrons_train.h5"),
        data.join("par04_electrons_train_2.h5"),
    );
    if !(a.exists() && b.exists()) {
        eprintln!("skipped: ../shared/data not found");
        return;
    }
    let cfg = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../train/configs/caloscore2/tiny.toml");
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("m");
    run(calogen()
        .args(["train", "caloscore2", "--steps", "1", "--data"])
        .arg(&a)
        .arg("--data")
        .arg(&b)
        .arg("--out")
        .arg(&m)
        .arg("--config")
        .arg(&cfg));
    let out = dir.path().join("g.h5");
    run(calogen()
        .args(["generate", "--model"])
        .arg(&m)
        .args(["--energy", "50GeV", "--n", "3", "--out"])
        .arg(&out));
    let f = calogen_data::hdf5::File::open(&out).unwrap();
    let v: Vec<f32> = f.dataset("showers").unwrap().read_raw().unwrap();
    assert_eq!(v.len(), 3 * 6480);
    assert!(v.iter().all(|x| x.is_finite() && *x >= 0.0));
}

#[test]
fn generate_like_a_calochallenge_file_takes_its_incident_energies() {
    // `--like` on a voxel file (the held-back Geant4 showers of the CaloScore v2 chain): one
    // shower per shower of the range, at its incident energy.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = d.join("cs2");
    let cfg = small();
    write_model(&model, &cfg, &random_tensors(&cfg, 4, 1.0).unwrap()).unwrap();
    let g4 = common::fixture("par04_electrons_small.h5");
    let out = d.join("like.h5");
    run(calogen()
        .args(["generate", "--model"])
        .arg(&model)
        .arg("--like")
        .arg(&g4)
        .args(["--like-showers", "3..9", "--out"])
        .arg(&out));
    let read = |p: &std::path::Path| -> Vec<f32> {
        calogen_data::hdf5::File::open(p)
            .unwrap()
            .dataset("incident_energies")
            .unwrap()
            .read_raw::<f32>()
            .unwrap()
    };
    assert_eq!(read(&out), read(&g4)[3..9].to_vec());
}
