//! CPU cost of the CaloChallenge CNN ResNet-18 classifier (paper 003 §8.3) on dataset-2 showers
//! (45 × 16 × 9 voxels), single thread: one training step on a batch, one inference pass, and one
//! whole `resnet_score` epoch (60 % trained, 20 % validated) on random sparse showers (the dense
//! convolutions cost the same whatever the values). Prints seconds per 1000 showers and the
//! forward FLOPs per shower, and projects a 10k-vs-10k, 48-epoch run.
//!
//! `nice cargo run --release -p calogen-train --example resnet_cost -- [showers per class] [steps]`
//! (defaults 500 and 4).

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Tensor, TensorData};
use calogen_train::engine::rng::stream;
use calogen_train::resnet::{forward_flops, resnet_score, ResNet3d, ResNetConfig};
use calogen_train::{infer_device, train_device};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

const SHAPE: [usize; 3] = [45, 16, 9];

/// About 10 % of the voxels hit, as in dataset 2 at a few tens of GeV.
fn random_showers(n: usize, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>) {
    let n_vox: usize = SHAPE.iter().product();
    let x = (0..n * n_vox)
        .map(|_| {
            if rng.random::<f32>() < 0.1 {
                -rng.random::<f32>().max(1e-9).ln() * 10.0
            } else {
                0.0
            }
        })
        .collect();
    let e = (0..n)
        .map(|_| 10f32.powf(3.0 + 3.0 * rng.random::<f32>()))
        .collect();
    (x, e)
}

/// CPU seconds of this thread (Linux), else wall time.
fn cpu_now(wall: &Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map(|ns| ns * 1e-9)
        .unwrap_or_else(|| wall.elapsed().as_secs_f64())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let per_class: usize = args
        .next()
        .map_or(500, |a| a.parse().expect("showers per class"));
    let steps: usize = args.next().map_or(4, |a| a.parse().expect("steps"));
    let cfg = ResNetConfig::ds2();
    let b = cfg.batch;
    let [d, h, w] = SHAPE;
    let wall = Instant::now();
    let mut rng = stream(0, "cost");

    let flops = forward_flops(SHAPE, &cfg);
    println!(
        "ResNet-18 3D, channels {:?}, blocks {:?}, input {SHAPE:?}, batch {b}",
        cfg.channels, cfg.blocks
    );
    println!("forward FLOPs per shower: {:.1} M", flops as f64 * 1e-6);
    println!(
        "(dataset 3, [45, 50, 18] voxels: {:.1} M)",
        forward_flops([45, 50, 18], &ResNetConfig::ds3()) as f64 * 1e-6
    );

    // Training steps (forward, backward, AdamW) on fixed random batches.
    let device = train_device();
    let mut model = ResNet3d::new(&cfg, &mut stream(0, "init"), &device);
    println!("trainable parameters: {}", model.n_trainable());
    let mut optim = AdamWConfig::new().with_weight_decay(0.01).init();
    let (x, e) = random_showers(b, &mut rng);
    let log_e: Vec<f32> = e.iter().map(|v| v.log10()).collect();
    let xs: Vec<f32> = x
        .chunks(d * h * w)
        .zip(&e)
        .flat_map(|(row, e)| row.iter().map(move |v| v / e))
        .collect();
    let y: Vec<f32> = (0..b).map(|i| (i % 2) as f32).collect();
    let mut step = |model: ResNet3d| {
        let xt = Tensor::<5>::from_data(TensorData::new(xs.clone(), [b, 1, d, h, w]), &device);
        let et = Tensor::<2>::from_data(TensorData::new(log_e.clone(), [b, 1]), &device);
        let yt = Tensor::<2>::from_data(TensorData::new(y.clone(), [b, 1]), &device);
        let z = model.forward(xt, et);
        let loss = (z.clone().clamp_min(0.0) - z.clone() * yt + z.abs().neg().exp().log1p()).mean();
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        optim.step(cfg.learning_rate, model, grads)
    };
    model = step(model); // warm-up: first-call allocations
    let t0 = cpu_now(&wall);
    for _ in 0..steps {
        model = step(model);
    }
    let train_per_1000 = (cpu_now(&wall) - t0) / (steps * b) as f64 * 1000.0;
    println!("training: {train_per_1000:.2} CPU s per 1000 showers (forward + backward + AdamW)");

    // Inference (batch norm on running statistics), as the validation and test passes run.
    let plain = model.valid();
    let dev = infer_device();
    let forward = || {
        let xt = Tensor::<5>::from_data(TensorData::new(xs.clone(), [b, 1, d, h, w]), &dev);
        let et = Tensor::<2>::from_data(TensorData::new(log_e.clone(), [b, 1]), &dev);
        plain.forward(xt, et).into_data()
    };
    forward();
    let t0 = cpu_now(&wall);
    for _ in 0..steps {
        forward();
    }
    let infer_per_1000 = (cpu_now(&wall) - t0) / (steps * b) as f64 * 1000.0;
    println!(
        "inference: {infer_per_1000:.2} CPU s per 1000 showers ({:.2} GFLOP/s)",
        flops as f64 * 1000.0 / infer_per_1000 * 1e-9
    );

    // One whole epoch through the public entry point.
    let (a, ea) = random_showers(per_class, &mut rng);
    let (g, eg) = random_showers(per_class, &mut rng);
    let one = ResNetConfig {
        epochs: 1,
        ..cfg.clone()
    };
    let s = resnet_score(&a, &g, &ea, &eg, SHAPE, &one, true).expect("score");
    let n = 2 * per_class;
    let epoch_per_1000 = s.seconds_per_epoch / n as f64 * 1000.0;
    println!(
        "resnet_score epoch on {per_class} + {per_class} showers ({} train, {} validation): \
         {:.1} CPU s, {epoch_per_1000:.2} CPU s per 1000 showers (of both classes) per epoch",
        s.n_train, s.n_validation, s.seconds_per_epoch
    );

    // 10k vs 10k: 12k trained and 4k validated each epoch, then 8k predicted once.
    let per_epoch = 12.0 * train_per_1000 + 4.0 * infer_per_1000;
    let total = cfg.epochs as f64 * per_epoch + 8.0 * infer_per_1000;
    println!(
        "projection, 10k vs 10k, {} epochs: {per_epoch:.0} CPU s per epoch, {:.2} CPU hours \
         (from the step timings); {:.2} CPU hours (from the resnet_score epoch)",
        cfg.epochs,
        total / 3600.0,
        cfg.epochs as f64 * epoch_per_1000 * 20.0 / 3600.0
    );
}
