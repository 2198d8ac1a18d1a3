//! Backs the choice of burn's Flex backend with a rerunnable number: one CaloClouds II training
//! step (PointWise Net 4→128→256→512→256→128→4, EDM loss, backward, Adam, EMA) on 4096 points
//! (16 showers × 256), single thread (this crate builds burn without `rayon`).
//!
//! `cargo run --release -p calogen-train --example engine_choice -- [steps]`

use calogen_train::caloclouds2::training::{edm_loss, Batch};
use calogen_train::caloclouds2::{Cc2Config, PointWiseNet};
use calogen_train::engine::{rng, TrainTask, Trainer};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

struct Synthetic {
    cfg: Cc2Config,
}

impl TrainTask for Synthetic {
    type Model = PointWiseNet;
    fn loss(&self, model: &PointWiseNet, r: &mut ChaCha8Rng) -> burn::tensor::Tensor<1> {
        let (b, n) = (self.cfg.batch.showers, self.cfg.batch.points_per_shower);
        let batch = Batch {
            x0: rng::normals(r, b * n * 4).iter().map(|v| v * 0.5).collect(),
            cond: (0..b * 2).map(|_| r.random::<f32>()).collect(),
            b,
            n,
        };
        let sigma: Vec<f64> = (0..b)
            .map(|_| (-1.2 + 1.2 * rng::normal(r) as f64).exp())
            .collect();
        let eps = rng::normals(r, b * n * 4);
        edm_loss(
            model,
            &batch,
            &sigma,
            &eps,
            0.5,
            &calogen_train::train_device(),
        )
    }
}

fn main() {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let mut cfg = Cc2Config::default();
    cfg.batch.showers = 16;
    cfg.batch.points_per_shower = 256;
    let device = calogen_train::train_device();
    let net_cfg = cfg.net.clone();
    let mut t = Trainer::new(cfg.trainer.clone(), |r| {
        PointWiseNet::new(&net_cfg, r, &device)
    });
    let task = Synthetic { cfg };
    for _ in 0..3 {
        t.train_step(&task);
    }
    let mut ms: Vec<f64> = (0..steps)
        .map(|_| {
            let t0 = Instant::now();
            t.train_step(&task);
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "calogen-train {} on burn flex, 1 thread, 4096 points: train step median {:.1} ms (min {:.1}, max {:.1}) over {steps} steps",
        env!("CARGO_PKG_VERSION"),
        ms[ms.len() / 2],
        ms[0],
        ms[ms.len() - 1]
    );
}
