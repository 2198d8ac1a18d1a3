//! The family end to end on small random-weight models: export and reload, determinism across
//! threads and calls, the loader's errors, the decoded showers' energy bookkeeping.

use calogen_data::{ShowerBatch, ShowerFileOptions};

use super::config::{Attention, WEIGHTS_FILE};
use super::export::{random_tensors, write_model};
use super::family::Cs2Family;
use super::model::Cs2Model;
use super::unet_tests::small_config;
use crate::family::{Incident, LoadOptions, ModelFamily, Registry};
use crate::tensor::Tensor;

const GEO: &str = "calochallenge-ds1-photons";

fn incidents(n: usize) -> Vec<Incident> {
    (0..n)
        .map(|i| Incident::perpendicular(2_000.0 * (i + 1) as f32))
        .collect()
}

fn voxels(b: ShowerBatch) -> Vec<f32> {
    match b {
        ShowerBatch::Voxels(v) => v.energy,
        _ => panic!("voxels expected"),
    }
}

#[test]
fn exported_model_reloads_to_identical_samples() {
    let cfg = small_config(GEO, Attention::AllLow);
    let tensors = random_tensors(&cfg, 7, 1.0).unwrap();
    let direct = Cs2Family::from_model(
        Cs2Model::from_tensors(cfg.clone(), &tensors).unwrap(),
        "memory",
    );
    let dir = tempfile::tempdir().unwrap();
    write_model(dir.path(), &cfg, &tensors).unwrap();
    // Through the registry, as `--model DIR` loads it.
    let loaded = Registry::builtin()
        .load(Some(dir.path().to_str().unwrap()), &LoadOptions::default())
        .unwrap();
    assert_eq!(loaded.name(), "caloscore2");
    let inc = incidents(4);
    let a = voxels(direct.generate(&inc, 5, 0, false).unwrap());
    let b = voxels(loaded.generate(&inc, 5, 0, false).unwrap());
    assert_eq!(a.len(), 4 * 368);
    assert!(a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()));
    // Another seed gives other showers.
    let c = voxels(direct.generate(&inc, 6, 0, false).unwrap());
    assert_ne!(a, c);
}

#[test]
fn same_seed_same_bytes_serial_parallel_and_in_pieces() {
    let cfg = small_config("calochallenge-ds2", Attention::Lowest);
    let model =
        Cs2Model::from_tensors(cfg.clone(), &random_tensors(&cfg, 8, 1.0).unwrap()).unwrap();
    let fam = Cs2Family::from_model(model, "memory");
    let inc = incidents(5);
    let serial = voxels(fam.generate(&inc, 3, 10, false).unwrap());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(3)
        .build()
        .unwrap();
    let parallel = voxels(pool.install(|| fam.generate(&inc, 3, 10, true)).unwrap());
    assert!(serial
        .iter()
        .zip(&parallel)
        .all(|(x, y)| x.to_bits() == y.to_bits()));
    // Shower 3 alone, as the fourth stream of the same seed.
    let one = voxels(fam.generate(&inc[3..4], 3, 13, false).unwrap());
    let nv = fam.model().n_voxels();
    assert_eq!(&serial[3 * nv..4 * nv], &one[..]);
}

/// Every shower's voxels are finite and ≥ 0, sum per layer to the decoded layer energy (so the
/// total stays below f·E₀) and the file written by `save` is a CaloChallenge file.
#[test]
fn showers_are_energies_and_save_as_calochallenge() {
    let cfg = small_config(GEO, Attention::AllLow);
    let model =
        Cs2Model::from_tensors(cfg.clone(), &random_tensors(&cfg, 9, 1.0).unwrap()).unwrap();
    let fam = Cs2Family::from_model(model, "memory");
    let inc = incidents(3);
    let b = fam.generate(&inc, 1, 0, false).unwrap();
    let e = match &b {
        ShowerBatch::Voxels(v) => v.energy.clone(),
        _ => unreachable!(),
    };
    for (s, i) in e.chunks_exact(368).zip(&inc) {
        assert!(s.iter().all(|v| v.is_finite() && *v >= 0.0));
        let total: f64 = s.iter().map(|&v| v as f64).sum();
        assert!(
            total > 0.0 && total <= cfg.fraction_scale * i.energy_mev as f64 * 1.0001,
            "{total}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cs2.h5");
    fam.save(&[b], &path).unwrap();
    let f = calogen_data::open(&path, &ShowerFileOptions::default()).unwrap();
    let ShowerBatch::Voxels(v) = f.read(0..f.len()).unwrap() else {
        panic!("a CaloChallenge file reads as voxels")
    };
    assert_eq!((v.len(), v.n_voxels), (3, 368));
    assert_eq!(v.energy, e);
    let h5 = calogen_data::hdf5::File::open(&path).unwrap();
    assert_eq!(h5.dataset("incident_energies").unwrap().shape(), vec![3, 1]);
    assert_eq!(h5.dataset("showers").unwrap().shape(), vec![3, 368]);
}

#[test]
fn loader_names_the_file_and_the_tensor() {
    let cfg = small_config(GEO, Attention::AllLow);
    let good = random_tensors(&cfg, 1, 1.0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(WEIGHTS_FILE).display().to_string();
    let load_err = |t: &crate::tensor::TensorMap| {
        write_model(dir.path(), &cfg, t).unwrap();
        Cs2Family::load(Some(dir.path()), &LoadOptions::default())
            .err()
            .unwrap()
            .to_string()
    };
    let mut missing = good.clone();
    missing.take("voxel.mid.attn.qkv.weight");
    let err = load_err(&missing);
    assert!(
        err.contains(&file) && err.contains("voxel.mid.attn.qkv.weight") && err.contains("missing"),
        "{err}"
    );
    let mut wrong = good.clone();
    wrong.insert(
        "layer.in.weight",
        Tensor::new(vec![16, 3], vec![0.0; 48]).unwrap(),
    );
    let err = load_err(&wrong);
    assert!(
        err.contains(&file) && err.contains("layer.in.weight") && err.contains("shape"),
        "{err}"
    );
    let mut extra = good.clone();
    extra.insert(
        "voxel.down.9.a.conv.weight",
        Tensor::new(vec![1], vec![0.0]).unwrap(),
    );
    let err = load_err(&extra);
    assert!(err.contains("voxel.down.9.a.conv.weight"), "{err}");
    let mut bad_std = good.clone();
    bad_std.insert(
        "pre.voxel_std",
        Tensor::new(vec![368], vec![0.0; 368]).unwrap(),
    );
    let err = load_err(&bad_std);
    assert!(err.contains("pre.voxel_std"), "{err}");
    // The good one loads.
    write_model(dir.path(), &cfg, &good).unwrap();
    assert!(Cs2Family::load(Some(dir.path()), &LoadOptions::default()).is_ok());
}

#[test]
fn built_in_name_says_how_to_get_a_model() {
    let err = Registry::builtin()
        .load(Some("caloscore2"), &LoadOptions::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("assets/caloscore2") && err.contains("--model DIR"),
        "{err}"
    );
}
