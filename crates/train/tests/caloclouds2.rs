//! PointWise Net: tensor names for the fused inference, weight round trip, Heun evaluation count.

mod common;

use calogen_train::caloclouds2::sampling::{generate, heun};
use calogen_train::caloclouds2::PointWiseNet;
use calogen_train::data::PointNormalisation;
use calogen_train::engine::checkpoint::{load_weights, save_weights};
use calogen_train::engine::params::{collect, paths};
use calogen_train::engine::rng::stream;
use calogen_train::infer_device;

#[test]
fn paper_widths_and_documented_names() {
    let cfg = calogen_train::caloclouds2::Cc2Config::default();
    let net = PointWiseNet::new(&cfg.net, &mut stream(0, "init"), &infer_device());
    let p = collect(&net);
    let shape = |n: &str| p.iter().find(|q| q.path == n).map(|q| q.shape.clone());
    assert_eq!(shape("time_embed.fourier.weight"), Some(vec![32, 1]));
    assert_eq!(shape("time_embed.linear.weight"), Some(vec![64, 64]));
    assert_eq!(shape("layers.0.layer.weight"), Some(vec![128, 4]));
    assert_eq!(shape("layers.2.layer.weight"), Some(vec![512, 256]));
    assert_eq!(shape("layers.2.hyper_gate.weight"), Some(vec![512, 66]));
    assert_eq!(shape("layers.2.hyper_bias.weight"), Some(vec![512, 66]));
    assert_eq!(shape("layers.5.layer.bias"), Some(vec![4]));
    assert_eq!(shape("layers.5.hyper_bias.bias"), None);
    assert_eq!(p.len(), 3 + 6 * 5);
}

#[test]
fn weights_roundtrip_and_heun_uses_25_evaluations() {
    let cfg = common::tiny_cfg();
    let dev = infer_device();
    let net = PointWiseNet::new(&cfg.net, &mut stream(1, "init"), &dev);
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("w.safetensors");
    save_weights(&f, &net, [("k".to_string(), "v".to_string())].into()).unwrap();
    let other = PointWiseNet::new(&cfg.net, &mut stream(2, "init"), &dev);
    let (loaded, meta) = load_weights(&f, other).unwrap();
    assert_eq!(meta["k"], "v");
    assert_eq!(paths(&loaded), paths(&net));
    for (a, b) in collect(&net).iter().zip(collect(&loaded).iter()) {
        assert_eq!(a.values, b.values);
    }

    let (pts, nfe) = heun(&net, &cfg, [0.5, 0.3], 7, &mut stream(3, "sample"), &dev);
    assert_eq!(nfe, 25);
    assert_eq!(pts.len(), 7 * 4);
    assert!(pts.iter().all(|v| v.is_finite()));

    let data = common::showers(4, 5);
    let norm = PointNormalisation::fit(&data);
    let pc = generate(
        &net,
        &cfg,
        &norm,
        30,
        &[(20_000.0, 9), (60_000.0, 3)],
        &mut stream(4, "s"),
        &dev,
    );
    assert_eq!(pc.len(), 2);
    assert_eq!(pc.n_points(), 12);
    assert!(pc.layer.iter().all(|&l| l < 30));
    assert!(pc.energy.iter().all(|&e| e > 0.0));
}

#[test]
fn committed_training_configs_parse() {
    use calogen_train::caloclouds2::distil::DistilConfig;
    use calogen_train::showerflow::FlowConfig;
    let f = FlowConfig::from_toml(include_str!("../configs/cc2/showerflow.toml")).unwrap();
    assert_eq!((f.blocks, f.hidden, f.trainer.steps), (4, 64, 1200));
    let p = calogen_train::caloclouds2::Cc2Config::from_toml(include_str!(
        "../configs/cc2/pointwise.toml"
    ))
    .unwrap();
    assert_eq!(p.net.hidden, vec![128, 256, 512, 256, 128]);
    let d = DistilConfig::from_toml(include_str!("../configs/cc2/distil.toml")).unwrap();
    assert_eq!((d.boundaries, d.target_ema), (18, 0.95));
    assert_eq!(d.trainer().ema_decay, 0.95);
}
