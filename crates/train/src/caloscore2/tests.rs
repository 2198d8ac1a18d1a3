//! Tests of the CaloScore v2 training side against the contract and by hand.

use super::config::{DataConfig, TrainConfig};
use super::data::{load_geometry, split_files, Cs2Data};
use super::distil::{distil_batch, teacher_two_steps};
use super::export::{contract_tensors, load_model, save_model};
use super::model::{circular_pad, t2, upsample_to, vec2, Cs2Nets, Grid3, VoxelNet};
use super::run::train_on;
use crate::engine::rng::{normals, stream};
use crate::engine::st::StFile;
use crate::infer_device;
use burn::tensor::{Tensor, TensorData};
use calogen_models::caloscore2::config::{
    paper_config_ds1, parameter_shapes, Cs2Config, Grid, CONFIG_KEY, PREPROCESS_TENSORS,
    WEIGHTS_FILE,
};
use std::path::{Path, PathBuf};

fn grid_ds2() -> Grid {
    Grid {
        dims: vec![45, 16, 9],
        circular: vec![false, true, false],
    }
}

fn sorted(mut v: Vec<(String, Vec<usize>)>) -> Vec<(String, Vec<usize>)> {
    v.sort();
    v
}

/// Preprocessing of the ds2 grid: the given layer means, one layer std, one voxel mean and std.
fn preprocessing(
    layer_mean: Vec<f64>,
    layer_std: f64,
    voxel_mean: f64,
    voxel_std: f64,
) -> super::data::Preprocessing {
    use calogen_models::caloscore2::preprocess::FeatureScaler;
    super::data::Preprocessing {
        layer: FeatureScaler {
            std: vec![layer_std; layer_mean.len()],
            mean: layer_mean,
        },
        voxel: FeatureScaler {
            mean: vec![voxel_mean; 6480],
            std: vec![voxel_std; 6480],
        },
    }
}

fn small_cfg() -> Cs2Config {
    let mut c = Cs2Config {
        time_embedding: 8,
        ..Cs2Config::default()
    };
    c.layer_net.hidden = 32;
    c.layer_net.blocks = 2;
    c.layer_net.embedding = 16;
    c.voxel_net.channels = vec![4, 8, 8];
    c.voxel_net.embedding = 16;
    c
}

/// The exported names and shapes are exactly the contract's, for the 3-D U-Net (attention at
/// the lowest level) and the 1-D one (attention at every lower level).
#[test]
fn exported_tensors_are_the_contract() {
    let dev = infer_device();
    let cfg = Cs2Config::default();
    let nets = Cs2Nets::new(&cfg, 45, &grid_ds2(), &mut stream(1, "init"), &dev);
    let got: Vec<_> = contract_tensors(&nets.layer, &nets.voxel, &cfg, 45, &grid_ds2())
        .unwrap()
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect();
    assert_eq!(sorted(got), sorted(parameter_shapes(&cfg, 45, &grid_ds2())));

    let mut c1 = paper_config_ds1("calochallenge-ds1-photons");
    c1.voxel_net.channels = vec![4, 8, 8, 12];
    let g1 = Grid {
        dims: vec![368],
        circular: vec![false],
    };
    let nets = Cs2Nets::new(&c1, 5, &g1, &mut stream(1, "init"), &dev);
    let got: Vec<_> = contract_tensors(&nets.layer, &nets.voxel, &c1, 5, &g1)
        .unwrap()
        .into_iter()
        .map(|(n, s, _)| (n, s))
        .collect();
    let want = sorted(parameter_shapes(&c1, 5, &g1));
    assert!(want.iter().any(|(n, _)| n == "voxel.up.3.attn.qkv.weight"));
    assert_eq!(sorted(got), want);
}

/// The file holds the contract's tensors plus `pre.*`, the config under its key, and reads back
/// into the same weights.
#[test]
fn model_folder_round_trip() {
    let dev = infer_device();
    let cfg = small_cfg();
    let nets = Cs2Nets::new(&cfg, 45, &grid_ds2(), &mut stream(2, "init"), &dev);
    let pre = preprocessing((0..45).map(|i| i as f64).collect(), 2.0, -3.0, 1.5);
    let dir = tempfile::tempdir().unwrap();
    save_model(
        dir.path(),
        &nets.layer,
        &nets.voxel,
        &cfg,
        &pre,
        &grid_ds2(),
    )
    .unwrap();
    let f = StFile::load(&dir.path().join(WEIGHTS_FILE)).unwrap();
    let mut names: Vec<String> = f.tensors.keys().cloned().collect();
    names.sort();
    let mut want: Vec<String> = parameter_shapes(&cfg, 45, &grid_ds2())
        .into_iter()
        .map(|(n, _)| n)
        .chain(PREPROCESS_TENSORS.iter().map(|s| s.to_string()))
        .collect();
    want.sort();
    assert_eq!(names, want);
    let back = Cs2Config::from_json(&f.metadata[CONFIG_KEY], "x").unwrap();
    assert_eq!(back, cfg);
    let family = std::fs::read_to_string(dir.path().join("family.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&family).unwrap();
    assert_eq!(v["family"], "caloscore2");
    let m = load_model(dir.path(), &grid_ds2(), &dev).unwrap();
    assert_eq!(m.pre.layer.mean[7], 7.0);
    let a = crate::engine::params::collect(&nets);
    let b = crate::engine::params::collect(&m.nets);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.path, &x.values), (&y.path, &y.values));
    }
}

#[test]
fn circular_pad_and_nearest_upsampling() {
    let dev = infer_device();
    let x = Tensor::<5>::from_data(
        TensorData::new(
            (0..6).map(|v| v as f32).collect::<Vec<_>>(),
            [1, 1, 1, 3, 2],
        ),
        &dev,
    );
    let p: Vec<f32> = circular_pad(x.clone(), 3)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    // α rows (0,1), (2,3), (4,5) → (4,5), (0,1), (2,3), (4,5), (0,1).
    assert_eq!(p, vec![4., 5., 0., 1., 2., 3., 4., 5., 0., 1.]);
    let u = upsample_to(x, [1, 5, 3]);
    assert_eq!(u.dims(), [1, 1, 1, 5, 3]);
    let u: Vec<f32> = u.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(
        u,
        vec![0., 0., 1., 0., 0., 1., 2., 2., 3., 2., 2., 3., 4., 4., 5.]
    );
}

/// Rolling the input by 8 α bins rolls the U-Net's output by 8 (ds2 grid, small channels): the
/// circular padding makes the network equivariant to rotations by multiples of 2^levels bins.
/// With zero padding along α the edges would differ.
#[test]
fn rolling_alpha_rolls_the_unet_output() {
    let dev = infer_device();
    let mut cfg = small_cfg();
    cfg.voxel_net.heads = 2;
    let g = Grid3::of(&grid_ds2());
    let net = VoxelNet::new(&cfg, 45, &g, &mut stream(3, "init"), &dev);
    let b = 2;
    let x = normals(&mut stream(4, "x"), b * 6480);
    let c = normals(&mut stream(5, "c"), b * (cfg.time_embedding + 1 + 45));
    let roll = |v: &[f32], k: usize| -> Vec<f32> {
        let mut out = vec![0f32; v.len()];
        for s in 0..b {
            for l in 0..45 {
                for a in 0..16 {
                    for r in 0..9 {
                        let src = s * 6480 + (l * 16 + a) * 9 + r;
                        let dst = s * 6480 + (l * 16 + (a + k) % 16) * 9 + r;
                        out[dst] = v[src];
                    }
                }
            }
        }
        out
    };
    let y = vec2(net.forward(t2(x.clone(), b, &dev), t2(c.clone(), b, &dev)));
    let y_rolled_in = vec2(net.forward(t2(roll(&x, 8), b, &dev), t2(c, b, &dev)));
    let want = roll(&y, 8);
    let err = y_rolled_in
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let scale = y.iter().map(|v| v.abs()).fold(0f32, f32::max);
    assert!(
        err < 1e-5 * scale.max(1.0),
        "max difference {err} (scale {scale})"
    );
    // The output does depend on the input (a network ignoring it would pass the test).
    assert!(y
        .iter()
        .zip(&y_rolled_in)
        .any(|(a, b)| (a - b).abs() > 1e-4));
}

/// A voxel network whose output is the constant `c` everywhere (last convolution: zero weights,
/// bias c).
fn constant_teacher(cfg: &Cs2Config, c: f32) -> VoxelNet {
    let dev = infer_device();
    let mut net = VoxelNet::new(
        cfg,
        45,
        &Grid3::of(&grid_ds2()),
        &mut stream(6, "init"),
        &dev,
    );
    let w = net.out.weight.val().zeros_like();
    net.out.weight = burn::module::Param::from_tensor(w);
    net.out.bias = burn::module::Param::from_tensor(Tensor::full([1], c, &dev));
    net
}

/// One distillation target by hand. Teacher velocity v ≡ c. Student of 1 step: t = 1, the
/// teacher goes 1 → 1/2 → 0. At t = 1 (α 0, σ 1): x̂ = −c, ε̂ = x_t, so x_½ = (x_t − c)/√2; at
/// ½ (α = σ = 1/√2): x̂ = (x_½ − c)/√2 and x_0 = x̂. The student's target at t = 1, u = 0
/// (σ_u = 0, α_u = 1): x̃ = x_0, ṽ = (0·x_t − x̃)/1 = −((x_t − c)/√2 − c)/√2.
#[test]
fn a_distillation_target_by_hand() {
    let cfg = small_cfg();
    let c = 0.3f32;
    let teacher = constant_teacher(&cfg, c);
    let feats = super::data::Features {
        layer: normals(&mut stream(7, "l"), 3 * 45),
        voxel: normals(&mut stream(7, "v"), 3 * 6480),
        energy: vec![0.1, 0.5, 0.9],
    };
    let b = distil_batch(
        &teacher,
        &feats,
        1,
        2,
        cfg.time_embedding,
        &mut stream(8, "d"),
    );
    let s = std::f64::consts::FRAC_1_SQRT_2;
    for (xt, v) in b.x_t.iter().zip(&b.target) {
        let (xt, c) = (*xt as f64, c as f64);
        let want = -(((xt - c) * s) - c) * s;
        assert!((*v as f64 - want).abs() < 1e-5, "{v} vs {want}");
    }
    // An interior time by hand: t = 3/4, two steps of 1/8 with v ≡ c.
    let (t, h) = (0.75f64, 0.125f64);
    let x0 = [0.7f32; 6480];
    let got = teacher_two_steps(
        &teacher,
        &x0,
        &[t],
        h,
        &[0.2],
        &feats.layer[..45],
        cfg.time_embedding,
    );
    let ab = |t: f64| {
        (
            (std::f64::consts::FRAC_PI_2 * t).cos(),
            (std::f64::consts::FRAC_PI_2 * t).sin(),
        )
    };
    let mut x = 0.7f64;
    for k in 0..2 {
        let (a, s) = ab(t - k as f64 * h);
        let (a2, s2) = ab(t - (k + 1) as f64 * h);
        let (xh, eh) = (a * x - s * c as f64, s * x + a * c as f64);
        x = a2 * xh + s2 * eh;
    }
    assert!(
        got.iter().all(|&g| (g as f64 - x).abs() < 1e-5),
        "{} vs {x}",
        got[0]
    );
}

fn shared_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/par04_electrons_train.h5")
}

/// 48 real showers: 40 to train, 8 held out.
fn tiny_data(cfg: &Cs2Config) -> Option<Cs2Data> {
    let p = shared_data();
    if !p.exists() {
        eprintln!("skipped: {} not found", p.display());
        return None;
    }
    let g = load_geometry(cfg).unwrap();
    let f = calogen_data::ShowerFile::open(&p, &Default::default()).unwrap();
    let calogen_data::ShowerBatch::Voxels(v) = f.read(0..48).unwrap() else {
        panic!("voxel file")
    };
    let mut train = calogen_data::VoxelShowers::new(v.n_voxels);
    let mut eval = calogen_data::VoxelShowers::new(v.n_voxels);
    for i in 0..48 {
        let dst = if i < 40 { &mut train } else { &mut eval };
        dst.push(v.shower(i), v.incident_energy[i]);
    }
    Some(Cs2Data::from_showers(g, train, eval, cfg, &DataConfig::default(), None).unwrap())
}

fn tiny_train_cfg(steps: u64) -> TrainConfig {
    let mut c = TrainConfig {
        model: small_cfg(),
        batch: 4,
        eval_every: 0,
        eval_batches: 2,
        eval_batch: 8,
        ..TrainConfig::default()
    };
    c.model.voxel_net.channels = vec![4, 4];
    c.trainer.steps = steps;
    c.trainer.lr = 3e-3;
    c.trainer.ema_decay = 0.5;
    c.trainer.checkpoint_every = 0;
    c
}

/// A tiny training run on real showers lowers the held-out loss of both networks.
#[test]
fn tiny_training_lowers_the_heldout_loss() {
    let cfg = tiny_train_cfg(60);
    let Some(data) = tiny_data(&cfg.model) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let s = train_on(&cfg, &data, dir.path()).unwrap();
    let (first, last) = (s.heldout[0], *s.heldout.last().unwrap());
    assert_eq!(last.0, 60);
    assert!(last.1 < 0.95 * first.1, "layer loss {first:?} -> {last:?}");
    assert!(last.2 < 0.95 * first.2, "voxel loss {first:?} -> {last:?}");
    assert!(dir.path().join(WEIGHTS_FILE).exists());
}

/// Stopping after 3 steps and resuming to 6 gives the same bytes as 6 steps in one go.
#[test]
fn resume_gives_identical_weights() {
    let cfg6 = tiny_train_cfg(6);
    let Some(data) = tiny_data(&cfg6.model) else {
        return;
    };
    let once = tempfile::tempdir().unwrap();
    train_on(&cfg6, &data, once.path()).unwrap();
    let twice = tempfile::tempdir().unwrap();
    train_on(&tiny_train_cfg(3), &data, twice.path()).unwrap();
    train_on(&cfg6, &data, twice.path()).unwrap();
    let a = std::fs::read(once.path().join(WEIGHTS_FILE)).unwrap();
    let b = std::fs::read(twice.path().join(WEIGHTS_FILE)).unwrap();
    assert!(a == b, "resumed weights differ");
}

/// The split holds back the last N of each file.
#[test]
fn split_holds_back_the_tail_of_every_file() {
    let p = shared_data();
    if !p.exists() {
        return;
    }
    let dc = DataConfig {
        eval_per_file: 1990,
        threshold_mev: None,
    };
    let (train, eval) = split_files(&[&p, &p], 6480, &dc).unwrap();
    assert_eq!((train.len(), eval.len()), (20, 3980));
    // The same file twice: the two halves of each part are equal.
    assert_eq!(train.shower(0), train.shower(10));
    assert_eq!(eval.shower(0), eval.shower(1990));
    assert_ne!(train.shower(0), eval.shower(0));
}

/// The exported networks run by calogen-models' kernels (im2col + sgemm, its own padding,
/// upsampling and attention) give burn's velocities on the same inputs: training and inference
/// implement one definition (config.rs), not two.
#[test]
fn burn_forward_equals_the_inference_kernels() {
    use super::model::time_embedding;
    use calogen_models::caloscore2::model::Cs2Model;
    let dev = infer_device();
    let cfg = small_cfg();
    let nets = Cs2Nets::new(&cfg, 45, &grid_ds2(), &mut stream(3, "init"), &dev);
    let pre = preprocessing(vec![0.0; 45], 1.0, 0.0, 1.0);
    let dir = tempfile::tempdir().unwrap();
    save_model(
        dir.path(),
        &nets.layer,
        &nets.voxel,
        &cfg,
        &pre,
        &grid_ds2(),
    )
    .unwrap();
    let m = Cs2Model::from_dir(dir.path()).unwrap();
    let b = 2;
    let x = normals(&mut stream(4, "x"), b * 6480);
    let layers = normals(&mut stream(4, "layers"), b * 45);
    let (t, e) = ([0.25f64, 0.7], [0.3f32, 0.8]);
    let close = |name: &str, a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len(), "{name}");
        let top = a.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        let worst = a
            .iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0f32, f32::max);
        assert!(
            worst <= 1e-4 * top,
            "{name}: worst difference {worst} of {top}"
        );
    };
    // Voxel network: c = [temb(t), e, layer features].
    let mut c = Vec::new();
    for i in 0..b {
        time_embedding(t[i], cfg.time_embedding, &mut c);
        c.push(e[i]);
        c.extend_from_slice(&layers[i * 45..(i + 1) * 45]);
    }
    let burn_v = vec2(nets.voxel.forward(t2(x.clone(), b, &dev), t2(c, b, &dev)));
    close(
        "voxel net",
        &burn_v,
        &m.voxel_net.forward(&x, &t, &e, &layers),
    );
    // Layer network: c = [temb(t), e].
    let mut c = Vec::new();
    for i in 0..b {
        time_embedding(t[i], cfg.time_embedding, &mut c);
        c.push(e[i]);
    }
    let burn_l = vec2(
        nets.layer
            .forward(t2(layers.clone(), b, &dev), t2(c, b, &dev)),
    );
    close("layer net", &burn_l, &m.layer_net.forward(&layers, &t, &e));
}
