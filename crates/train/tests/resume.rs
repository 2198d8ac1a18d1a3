//! A run killed midway resumes from its last checkpoint and ends bit-identical to an
//! uninterrupted run with the same seed (weights, EMA, Adam state, RNG position all restored).

mod common;

use calogen_train::caloclouds2::training::EdmTask;
use calogen_train::caloclouds2::PointWiseNet;
use calogen_train::data::PointNormalisation;
use calogen_train::engine::params::collect;
use calogen_train::engine::{LrSchedule, Trainer};
use calogen_train::train_device;

#[test]
fn killed_run_resumes_to_the_same_result() {
    let data = common::showers(12, 3);
    let norm = PointNormalisation::fit(&data);
    let mut cfg = common::tiny_cfg();
    cfg.trainer.seed = 42;
    cfg.trainer.steps = 24;
    cfg.trainer.checkpoint_every = 8;
    cfg.trainer.log_every = 4;
    cfg.trainer.clip_grad_norm = 0.5;
    cfg.trainer.schedule = LrSchedule::Cosine {
        warmup: 3,
        total: 24,
        min_factor: 0.1,
    };
    let device = train_device();
    let task = EdmTask {
        showers: &data,
        norm,
        cfg: &cfg,
        device: device.clone(),
    };
    let build = |r: &mut rand_chacha::ChaCha8Rng| PointWiseNet::new(&cfg.net, r, &device);
    let dir = tempfile::tempdir().unwrap();

    let mut straight = Trainer::new(cfg.trainer.clone(), build);
    straight.run(&task, None, u64::MAX).unwrap();

    let ckpt = dir.path().join("ckpt.safetensors");
    let mut killed = Trainer::resume_or_new(cfg.trainer.clone(), build, &ckpt).unwrap();
    killed.run(&task, Some(&ckpt), 16).unwrap();
    // Progress after the last checkpoint is lost, as in a kill.
    for _ in 0..3 {
        killed.train_step(&task);
    }
    drop(killed);

    let mut resumed = Trainer::resume_or_new(cfg.trainer.clone(), build, &ckpt).unwrap();
    assert_eq!(resumed.step, 16);
    resumed.run(&task, Some(&ckpt), u64::MAX).unwrap();
    assert_eq!(resumed.step, 24);

    for (a, b) in [
        (collect(&straight.model), collect(&resumed.model)),
        (collect(&straight.ema.model), collect(&resumed.ema.model)),
    ] {
        assert_eq!(a.len(), b.len());
        for (pa, pb) in a.iter().zip(&b) {
            assert_eq!(pa.path, pb.path);
            assert_eq!(pa.values, pb.values, "{} differs after resume", pa.path);
        }
    }
    assert_eq!(straight.history.points, resumed.history.points);
    // And training moved the weights at all.
    let fresh = collect(&Trainer::new(cfg.trainer.clone(), build).model);
    assert_ne!(fresh[2].values, collect(&straight.model)[2].values);
}
