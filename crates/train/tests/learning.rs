//! A few training steps on real showers must lower the held-out loss (issue 17): the PointWise
//! Net's EDM loss and the ShowerFlow's NLL, each evaluated on the held-out showers of the fixture
//! with fixed noise before and after, so the comparison is free of sampling noise.

mod common;

use burn::module::Module;
use calogen_train::caloclouds2::run::eval_loss;
use calogen_train::caloclouds2::training::EdmTask;
use calogen_train::caloclouds2::PointWiseNet;
use calogen_train::data::{PointNormalisation, ShowerSet};
use calogen_train::engine::Trainer;
use calogen_train::showerflow::training::{prepare, FlowTask};
use calogen_train::showerflow::{FlowConfig, ShowerFlow};
use calogen_train::{infer_device, train_device};
use std::path::PathBuf;

/// Real Geant4 photons (ILD-like ECAL), the last `N_HELD_OUT` kept for evaluation.
fn fixture() -> ShowerSet {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/ild_photons_small.h5");
    ShowerSet::open(&p, N_HELD_OUT).unwrap()
}

const N_HELD_OUT: usize = 8;

#[test]
fn edm_steps_lower_the_held_out_loss() {
    let set = fixture();
    let norm = PointNormalisation::fit(&set.train);
    let mut cfg = common::tiny_cfg();
    cfg.net.hidden = vec![32, 32];
    cfg.batch.showers = 8;
    cfg.batch.points_per_shower = 64;
    cfg.trainer.seed = 7;
    cfg.trainer.steps = 40;
    cfg.trainer.lr = 3e-3;
    let device = train_device();
    let task = EdmTask {
        showers: &set.train,
        norm,
        cfg: &cfg,
        device: device.clone(),
    };
    let mut t = Trainer::new(cfg.trainer.clone(), |r| {
        PointWiseNet::new(&cfg.net, r, &device)
    });
    // Same showers, points, σ and noise before and after (eval_loss reseeds its own stream).
    let held_out = |m: &PointWiseNet| eval_loss(&m.valid(), &set.eval, &norm, &cfg, 8);
    let before = held_out(&t.model);
    t.run(&task, None, u64::MAX).unwrap();
    let after = held_out(&t.model);
    eprintln!(
        "EDM held-out loss {before:.4} → {after:.4} in {} steps",
        t.step
    );
    assert!(
        after < 0.95 * before,
        "held-out EDM loss {before} → {after} after {} steps",
        t.step
    );
}

#[test]
fn showerflow_steps_lower_the_held_out_nll() {
    let set = fixture();
    let (train, norm) = prepare(&set.train, set.n_layers, None, false);
    let (eval, _) = prepare(&set.eval, set.n_layers, Some(&norm), false);
    let mut cfg = FlowConfig {
        blocks: 2,
        hidden: 32,
        batch: 64,
        ..FlowConfig::default()
    };
    cfg.trainer.seed = 3;
    cfg.trainer.steps = 40;
    let device = train_device();
    let task = FlowTask {
        data: &train,
        batch: cfg.batch,
        noise: cfg.noise,
        totals_noise: cfg.noise,
        device: device.clone(),
    };
    let dim = train.dim;
    let mut t = Trainer::new(cfg.trainer.clone(), |r| {
        ShowerFlow::new(&cfg, dim, 1, true, r, &device)
    });
    let rows: Vec<usize> = (0..eval.n).collect();
    let held_out = |m: &ShowerFlow| {
        eval.nll(&m.valid(), &rows, &infer_device())
            .into_scalar::<f64>()
    };
    let before = held_out(&t.model);
    t.run(&task, None, u64::MAX).unwrap();
    let after = held_out(&t.model);
    eprintln!(
        "flow held-out NLL/feature {before:.4} → {after:.4} in {} steps",
        t.step
    );
    assert!(
        after < before - 0.05,
        "held-out NLL per feature {before} → {after} after {} steps",
        t.step
    );
}
