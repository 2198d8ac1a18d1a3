//! Time of one CaloScore v2 training step (both networks, forward + backward + Adam + EMA) on
//! one thread, for the default config on the dataset-2 grid, at a few batch sizes; and the
//! forward time of the voxel U-Net alone. Random features: the time does not depend on them.
//!
//! `cargo run --release -p calogen-train --example cs2_step_time [BATCH...]`

use burn::module::Module;
use calogen_models::caloscore2::config::{parameter_counts, Cs2Config, Grid};
use calogen_train::caloscore2::data::Features;
use calogen_train::caloscore2::model::{t2, Cs2Nets};
use calogen_train::caloscore2::training::VTask;
use calogen_train::engine::rng::{normals, stream};
use calogen_train::engine::{Trainer, TrainerConfig};
use std::time::Instant;

fn main() {
    let batches: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("batch sizes"))
        .collect();
    let batches = if batches.is_empty() {
        vec![4, 8, 16, 32]
    } else {
        batches
    };
    let cfg = Cs2Config::default();
    let grid = Grid {
        dims: vec![45, 16, 9],
        circular: vec![false, true, false],
    };
    let (pl, pv) = parameter_counts(&cfg, 45, &grid);
    println!("parameters: layer net {pl}, voxel net {pv}");
    let n = 64;
    let feats = Features {
        layer: normals(&mut stream(1, "l"), n * 45),
        voxel: normals(&mut stream(1, "v"), n * 6480),
        energy: (0..n).map(|i| i as f32 / n as f32).collect(),
    };
    let device = calogen_train::train_device();
    for &b in &batches {
        let mut t = Trainer::new(
            TrainerConfig {
                clip_grad_norm: 1.0,
                ..TrainerConfig::default()
            },
            |r| Cs2Nets::new(&cfg, 45, &grid, r, &device),
        );
        let task = VTask {
            feats: &feats,
            batch: b,
            time_dim: cfg.time_embedding,
            device: device.clone(),
        };
        t.train_step(&task); // warm-up
        let reps = 3;
        let t0 = Instant::now();
        for _ in 0..reps {
            t.train_step(&task);
        }
        let s = t0.elapsed().as_secs_f64() / reps as f64;
        // Forward of the voxel net alone, no autodiff.
        let plain = calogen_train::infer_device();
        let net = t.model.valid();
        let x = t2(feats.voxel[..b * 6480].to_vec(), b, &plain);
        let c = t2(vec![0.1; b * (cfg.time_embedding + 1 + 45)], b, &plain);
        let t1 = Instant::now();
        let _ = net.voxel.forward(x, c);
        let f = t1.elapsed().as_secs_f64();
        println!(
            "batch {b:>3}: train step {s:.3} s ({:.1} ms/shower); voxel forward {:.1} ms/shower",
            1e3 * s / b as f64,
            1e3 * f / b as f64
        );
    }
}
