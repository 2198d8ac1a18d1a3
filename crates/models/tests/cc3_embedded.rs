//! The embedded CaloClouds3 model: loads, samples deterministically, and rejects broken weights
//! with messages that name the file and the tensor. Needs no shared data.

use calogen_models::caloclouds3::{Cc3Config, Cc3Model, Condition};
use calogen_models::{io, Tensor};

const CONFIG: &str = include_str!("../assets/caloclouds3/cc3_cm_config.json");
const WEIGHTS: &[u8] = include_bytes!("../assets/caloclouds3/cc3_cm_ema.safetensors");

#[test]
fn same_seed_same_points() {
    let model = Cc3Model::embedded().unwrap();
    let conds = [
        Condition::from_local_angles(15.0, 0.0, 0.0),
        Condition::from_local_angles(90.0, 55.0, -120.0),
    ];
    let a = model.sample(&conds, &[500, 37], 7).unwrap();
    let b = model.sample(&conds, &[500, 37], 7).unwrap();
    let c = model.sample(&conds, &[500, 37], 8).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!((a[0].len(), a[1].len()), (2000, 148));
    for p in a[0].chunks_exact(4) {
        assert!(p.iter().all(|v| v.is_finite()) && p[3] > 0.0, "{p:?}");
    }
    // Points stay in the detector's rough extent (z in layer units 0…29, a few sigma around).
    let mean_z = a[0].iter().skip(2).step_by(4).sum::<f32>() / 500.0;
    assert!((0.0..30.0).contains(&mean_z), "mean z {mean_z}");
}

#[test]
fn missing_tensor_is_named_with_its_file() {
    let cfg = Cc3Config::from_json(CONFIG, "cfg.json").unwrap();
    let mut map = io::read_safetensors(WEIGHTS, "weights.safetensors").unwrap();
    map.take("layers.3.hyper_gate.bias").unwrap();
    let err = Cc3Model::from_tensors(cfg, &map).unwrap_err().to_string();
    assert!(err.contains("weights.safetensors"), "{err}");
    assert!(err.contains("layers.3.hyper_gate.bias"), "{err}");
}

#[test]
fn wrong_shape_is_named_with_its_file() {
    let cfg = Cc3Config::from_json(CONFIG, "cfg.json").unwrap();
    let mut map = io::read_safetensors(WEIGHTS, "weights.safetensors").unwrap();
    map.insert(
        "layers.2.layer.weight",
        Tensor::new(vec![64, 128], vec![0.0; 8192]).unwrap(),
    );
    let err = Cc3Model::from_tensors(cfg, &map).unwrap_err().to_string();
    assert!(err.contains("weights.safetensors"), "{err}");
    assert!(err.contains("layers.2.layer.weight"), "{err}");
    assert!(
        err.contains("[64, 128]") && err.contains("[128, 64]"),
        "{err}"
    );
}

#[test]
fn bad_conditions_are_errors() {
    let model = Cc3Model::embedded().unwrap();
    let x = vec![0.0; 8];
    assert!(model.denoise(&x, &[0.1, 0.0, 0.0], 80.0).is_err());
    assert!(model.denoise(&x, &[f32::NAN, 0.0, 0.0, 1.0], 80.0).is_err());
    assert!(model.denoise(&x[..7], &[0.1, 0.0, 0.0, 1.0], 80.0).is_err());
}
