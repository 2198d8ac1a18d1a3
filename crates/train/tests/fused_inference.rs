//! The fused CPU inference of `calogen-models` reproduces the burn networks trained here, from the
//! exported files alone: PointWise Net one-step (consistency) and Heun (EDM) sampling, and the
//! ShowerFlow inverse.

use calogen_models::caloclouds2::{Cc2Network, Cc2ShowerFlow, NetKind};
use calogen_models::caloclouds3::{Cc3Model, Condition, CONFIG_FILE};
use calogen_train::caloclouds2::run::{metadata, write_cc3_config};
use calogen_train::caloclouds2::sampling::{heun, one_step};
use calogen_train::caloclouds2::{Cc2Config, PointWiseNet};
use calogen_train::data::{PointNormalisation, Standardiser};
use calogen_train::engine::checkpoint::save_weights;
use calogen_train::engine::rng::{normals, stream};
use calogen_train::infer_device;
use calogen_train::showerflow::run::{inference_json, layout};
use calogen_train::showerflow::training::FeatureNormalisation;
use calogen_train::showerflow::{FlowConfig, ShowerFlow};
use std::collections::BTreeMap;

fn norm() -> PointNormalisation {
    let s = |mean, std| Standardiser { mean, std };
    PointNormalisation {
        x: s(0.1, 20.0),
        y: s(-0.2, 21.0),
        z: s(12.0, 6.0),
        ln_e: s(-1.0, 1.2),
    }
}

fn export(kind: &str, net: &PointWiseNet, cfg: &Cc2Config) -> Cc2Network {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("net.safetensors");
    let mut m = metadata(cfg, &norm(), 30);
    m.insert("model".into(), kind.into());
    save_weights(&f, net, m).unwrap();
    Cc2Network::load(&f).unwrap()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn fused_pointwise_net_matches_burn() {
    let cfg = Cc2Config::default();
    let dev = infer_device();
    let net = PointWiseNet::new(&cfg.net, &mut stream(11, "init"), &dev);
    let (n, cond) = (77, [0.43f32, 0.31]);
    let eps = normals(&mut stream(12, "noise"), n * 4);

    let cm = export("caloclouds2-consistency", &net, &cfg);
    assert_eq!(cm.kind, NetKind::Consistency);
    let want = one_step(&net, &cfg, &cond, n, &mut stream(12, "noise"), &dev);
    let mut ws = cm.workspace();
    let mut got = Vec::new();
    assert_eq!(
        cm.sample_from_noise(&mut ws, cond, &eps, &mut got).unwrap(),
        1
    );
    let d = max_abs_diff(&got, &want);
    assert!(d < 1e-4, "one step: max |Δ| = {d}");

    let edm = export("caloclouds2-pointwise-net", &net, &cfg);
    let (want, nfe) = heun(&net, &cfg, &cond, n, &mut stream(12, "noise"), &dev);
    let mut ws = edm.workspace();
    let nfe_fused = edm
        .sample_from_noise(&mut ws, cond, &eps, &mut got)
        .unwrap();
    assert_eq!((nfe, nfe_fused), (25, 25));
    let scale = want.iter().fold(0f32, |m, v| m.max(v.abs()));
    let d = max_abs_diff(&got, &want);
    assert!(
        d < 1e-4 * scale.max(1.0),
        "Heun: max |Δ| = {d} (scale {scale})"
    );
}

#[test]
fn plain_showerflow_inverse_matches_burn() {
    showerflow_inverse_matches_burn(false);
}

/// The CaloClouds3-setting flow: conditioned on [E, direction].
#[test]
fn plain_showerflow_with_direction_matches_burn() {
    showerflow_inverse_matches_burn(true);
}

fn showerflow_inverse_matches_burn(direction: bool) {
    let cfg = FlowConfig {
        blocks: 2,
        hidden: 32,
        direction,
        ..FlowConfig::default()
    };
    let k = cfg.cond_dim();
    let dim = 64;
    let dev = infer_device();
    // Random (not identity) last layers, so every coupling does something.
    let flow = ShowerFlow::new(&cfg, dim, k, false, &mut stream(5, "init"), &dev);
    let fnorm = FeatureNormalisation {
        mean: vec![0.0; dim],
        std: vec![1.0; dim],
    };
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("flow.safetensors");
    let meta = BTreeMap::from([
        ("model".to_string(), "caloclouds2-showerflow".to_string()),
        ("layout".to_string(), layout(&flow)),
        ("inference".to_string(), inference_json(&cfg, &fnorm, &flow)),
    ]);
    save_weights(&f, &flow, meta).unwrap();
    let plain = Cc2ShowerFlow::load(&f).unwrap();

    let rows = 5;
    // Wide enough that some values fall in the spline tails (|z| > 5 after scaling).
    let z: Vec<f32> = normals(&mut stream(6, "z"), rows * dim)
        .into_iter()
        .map(|v| v * 2.5)
        .collect();
    let c: Vec<f32> = (0..rows * k).map(|i| 0.1 + 0.2 * i as f32).collect();
    let zt = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(z.clone(), [rows, dim]),
        &dev,
    );
    let ct = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(c.clone(), [rows, k]),
        &dev,
    );
    let want: Vec<f32> = flow
        .inverse(zt, ct)
        .into_data()
        .convert::<f32>()
        .try_to_vec()
        .unwrap();
    for r in 0..rows {
        let got = plain.inverse(&z[r * dim..(r + 1) * dim], &c[r * k..(r + 1) * k]);
        let d = max_abs_diff(&got, &want[r * dim..(r + 1) * dim]);
        assert!(d < 2e-4, "row {r}: max |Δ| = {d}");
    }
}

#[test]
fn direction_conditioned_net_runs_in_the_caloclouds3_pipeline() {
    let cfg = Cc2Config::from_toml(include_str!("../configs/cc3/pointwise.toml")).unwrap();
    let dev = infer_device();
    let net = PointWiseNet::new(&cfg.net, &mut stream(21, "init"), &dev);
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("consistency_ema.safetensors");
    let mut m = metadata(&cfg, &norm(), 30);
    m.insert("model".into(), "caloclouds2-consistency".into());
    save_weights(&w, &net, m).unwrap();
    write_cc3_config(&w, &cfg, &norm()).unwrap();
    let cc3 = Cc3Model::from_safetensors(&w, &dir.path().join(CONFIG_FILE)).unwrap();

    // 37 GeV at (θ, φ) = (30°, 45°): the official model's cond vector equals the trained one.
    let (t, f) = (30f32.to_radians(), 45f32.to_radians());
    let c = Condition {
        energy_gev: 37.0,
        direction: [t.sin() * f.cos(), t.sin() * f.sin(), t.cos()],
    };
    let cond = cfg.cond.fwd(37_000.0, 0, Some(c.direction));
    let got_cond = cc3.cond_vector(&c);
    assert!(
        max_abs_diff(&got_cond, &cond) < 1e-7,
        "{got_cond:?} vs {cond:?}"
    );

    let n = 53;
    let want = one_step(&net, &cfg, &cond, n, &mut stream(22, "noise"), &dev);
    let sigma = cfg.edm.sigma_max as f32;
    let x_t: Vec<f32> = normals(&mut stream(22, "noise"), n * 4)
        .iter()
        .map(|e| e * sigma)
        .collect();
    let got = cc3.denoise(&x_t, &cond, sigma).unwrap();
    let d = max_abs_diff(&got, &want);
    assert!(d < 1e-4, "one step: max |Δ| = {d}");
    assert_eq!(cc3.config().point_norm.x_std, norm().x.std);
    assert_eq!(cc3.config().incident_energy_rescale_gev, 127.0);
}
