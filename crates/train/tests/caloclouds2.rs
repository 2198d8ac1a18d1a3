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

    let (pts, nfe) = heun(&net, &cfg, &[0.5, 0.3], 7, &mut stream(3, "sample"), &dev);
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
    let c = calogen_train::caloclouds2::Cc2Config::from_toml(include_str!(
        "../configs/cc3/pointwise.toml"
    ))
    .unwrap();
    assert_eq!((c.net.hidden.len(), c.net.cond_dim), (5, 4));
    assert_eq!(c.data.tilt_geometry.as_deref(), Some("ild-ecal-wide"));
    DistilConfig::from_toml(include_str!("../configs/cc3/distil.toml")).unwrap();
    let f = FlowConfig::from_toml(include_str!("../configs/cc3/showerflow.toml")).unwrap();
    assert!(f.direction);
    assert_eq!((f.noise, f.totals_noise), (0.3, Some(0.02)));
}

#[test]
fn tilt_geometry_makes_showers_at_angles_upright() {
    use calogen_train::caloclouds2::run::open_set;
    use calogen_train::caloclouds2::Cc2Config;
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/ild_photons_angular_small.h5");
    let cfg = Cc2Config::from_toml(include_str!("../configs/cc3/pointwise.toml")).unwrap();
    let mut plain_cfg = cfg.clone();
    plain_cfg.data.tilt_geometry = None;
    let (tilted, upright) = (
        open_set(&plain_cfg, &data).unwrap(),
        open_set(&cfg, &data).unwrap(),
    );
    // Energy-weighted x slope over depth, per shower, against the axis' own slope p_x/p_z: the
    // file's showers lean with their direction, the preprocessed ones no longer do.
    let lean = |pc: &calogen_data::PointClouds| -> Vec<(f64, f64)> {
        (0..pc.len())
            .map(|i| {
                let s = pc.shower(i);
                let p = s.direction.unwrap();
                let (mut sw, mut sl, mut sx, mut sll, mut slx) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for k in 0..s.len() {
                    let (w, l, x) = (s.energy[k] as f64, s.layer[k] as f64, s.x[k] as f64);
                    sw += w;
                    sl += w * l;
                    sx += w * x;
                    sll += w * l * l;
                    slx += w * l * x;
                }
                let slope = (slx / sw - sl * sx / sw / sw) / (sll / sw - (sl / sw).powi(2));
                (slope, (p[0] / p[2]) as f64)
            })
            .collect()
    };
    let all = |v: Vec<(f64, f64)>| {
        let n = v.len() as f64;
        let (s, t): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        // Least-squares factor between the measured slope per layer and tan θ_x.
        let k = s.iter().zip(&t).map(|(a, b)| a * b).sum::<f64>()
            / t.iter().map(|b| b * b).sum::<f64>();
        (k, n)
    };
    let both = |s: &calogen_train::data::ShowerSet| [lean(&s.train), lean(&s.eval)].concat();
    let (k_tilted, n) = all(both(&tilted));
    let (k_upright, _) = all(both(&upright));
    assert!(n >= 10.0);
    // ild-ecal-wide's layers are 2.6 mm (W 2.1 + Si 0.5) and 4.7 mm deep: the raw showers drift
    // by about that per layer and unit slope.
    assert!(
        k_tilted > 2.0,
        "raw drift {k_tilted} mm per layer per unit slope"
    );
    assert!(
        k_upright.abs() < 0.15 * k_tilted,
        "after removal {k_upright} vs {k_tilted}"
    );
    assert!(open_set(&cfg, std::path::Path::new("/nonexistent.h5")).is_err());
}
