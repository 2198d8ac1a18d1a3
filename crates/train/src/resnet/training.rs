//! Training protocol of the ResNet classifier, the same as the DNN classifier's
//! (`calogen_eval::classifier::train`): stratified split, train, keep the epoch with the lowest
//! validation loss, calibrate on the validation set, score on the test set.

use super::{ResNet3d, ResNetConfig, ResNetError, Result};
use crate::engine::{progress, rng};
use crate::{infer_device, train_device};
use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use calogen_eval::classifier::train::{accuracy, mean_bce};
use calogen_eval::metrics::auc::{binary_cross_entropy, jsd_from_bce, roc_auc, IsotonicRegression};
use calogen_eval::SeededSampler;
use indicatif::ProgressBar;
use std::time::Instant;

/// Showers per forward pass when only predicting (bounded memory, no gradients kept).
const PREDICT_CHUNK: usize = 256;

/// The score, defined in `calogen-eval` so that its calochallenge protocol holds it typed.
pub use calogen_eval::classifier::ResNetScore;

/// The two samples, read in place: network inputs are built per batch so the voxels are never
/// copied whole (dataset 3 is 40 500 voxels a shower).
struct Samples<'a> {
    reference: &'a [f32],
    generated: &'a [f32],
    e_ref: &'a [f32],
    e_gen: &'a [f32],
    n_vox: usize,
    shape: [usize; 3],
}

/// One batch: voxel images `[b, 1, d, h, w]` (energy / E_inc), log10(E_inc / MeV) `[b, 1]`,
/// labels `[b, 1]` (1 = generated).
struct Batch {
    x: Vec<f32>,
    log_e: Vec<f32>,
    y: Vec<f32>,
}

impl Samples<'_> {
    fn n_ref(&self) -> usize {
        self.e_ref.len()
    }

    fn gather(&self, idx: &[usize]) -> Batch {
        let n_ref = self.n_ref();
        let mut b = Batch {
            x: Vec::with_capacity(idx.len() * self.n_vox),
            log_e: Vec::with_capacity(idx.len()),
            y: Vec::with_capacity(idx.len()),
        };
        for &i in idx {
            let (rows, e, j, label) = if i < n_ref {
                (self.reference, self.e_ref, i, 0.0)
            } else {
                (self.generated, self.e_gen, i - n_ref, 1.0)
            };
            let inv = 1.0 / e[j] as f64;
            b.x.extend(
                rows[j * self.n_vox..(j + 1) * self.n_vox]
                    .iter()
                    .map(|&v| (v as f64 * inv) as f32),
            );
            b.log_e.push((e[j] as f64).log10() as f32);
            b.y.push(label);
        }
        b
    }

    fn tensors(&self, batch: Batch, device: &Device) -> (Tensor<5>, Tensor<2>, Tensor<2>) {
        let n = batch.y.len();
        let [d, h, w] = self.shape;
        (
            Tensor::from_data(TensorData::new(batch.x, [n, 1, d, h, w]), device),
            Tensor::from_data(TensorData::new(batch.log_e, [n, 1]), device),
            Tensor::from_data(TensorData::new(batch.y, [n, 1]), device),
        )
    }
}

/// Train on `reference` (label 0) against `generated` (label 1): row-major showers of
/// `shape = [layers, alpha bins, radial bins]` voxel energies in MeV (the CaloChallenge order, r
/// fastest), with their incident energies in MeV. Same inputs and config → same score.
pub fn resnet_score(
    reference: &[f32],
    generated: &[f32],
    e_ref_mev: &[f32],
    e_gen_mev: &[f32],
    shape: [usize; 3],
    config: &ResNetConfig,
    progress: bool,
) -> Result<ResNetScore> {
    config.validate().map_err(ResNetError::Invalid)?;
    let samples = check_inputs(reference, generated, e_ref_mev, e_gen_mev, shape)?;
    let (n_ref, n_gen) = (e_ref_mev.len(), e_gen_mev.len());
    // One sampler makes the split and then the epoch shuffles, as in the DNN classifier.
    let mut sampler = SeededSampler::new(config.seed);
    let (train, val, test) = split(n_ref, n_gen, config.split, &mut sampler);
    if train.len() < 2 || val.is_empty() || test.is_empty() {
        return Err(ResNetError::Invalid(format!(
            "too few showers for train, validation and test sets ({} + {}, split {:?})",
            n_ref, n_gen, config.split
        )));
    }

    let device = train_device();
    let mut model = ResNet3d::new(
        config,
        &mut rng::stream(config.seed, "resnet-init"),
        &device,
    );
    let n_parameters = model.n_trainable();
    let mut optim = AdamWConfig::new()
        .with_beta_1(0.9)
        .with_beta_2(0.999)
        .with_epsilon(1e-8)
        .with_weight_decay(config.weight_decay as f32)
        .init();
    let steps_per_epoch = train.chunks(config.batch).filter(|c| c.len() >= 2).count();
    let pb = if progress && std::env::var_os("CI").is_none() {
        progress::bar((config.epochs * steps_per_epoch) as u64, 0)
    } else {
        ProgressBar::hidden()
    };

    let cpu0 = thread_cpu_seconds();
    let wall0 = Instant::now();
    let mut best: Option<(f64, usize, ResNet3d)> = None;
    let mut order = train.clone();
    for epoch in 0..config.epochs {
        shuffle(&mut order, &mut sampler);
        // Batch norm needs two showers; a last batch of one is dropped.
        for chunk in order.chunks(config.batch).filter(|c| c.len() >= 2) {
            let (x, log_e, y) = samples.tensors(samples.gather(chunk), &device);
            let loss = bce_with_logits(model.forward(x, log_e), y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(config.learning_rate, model, grads);
            pb.inc(1);
        }
        let plain = model.valid();
        let (logits, y) = predict(&plain, &samples, &val);
        let val_loss = mean_bce(&logits, &y);
        if !val_loss.is_finite() {
            return Err(ResNetError::Invalid(format!(
                "validation loss is {val_loss} after epoch {epoch}; lower the learning rate"
            )));
        }
        pb.set_message(format!("epoch {epoch} val loss {val_loss:.4}"));
        if best.as_ref().is_none_or(|(l, _, _)| val_loss < *l) {
            best = Some((val_loss, epoch, plain));
        }
    }
    pb.finish_and_clear();
    let train_cpu_seconds = match (cpu0, thread_cpu_seconds()) {
        (Some(a), Some(b)) => b - a,
        _ => wall0.elapsed().as_secs_f64(),
    };
    let (_, best_epoch, net) = best.expect("epochs >= 1 was validated");

    let sigmoid = |z: &f32| 1.0 / (1.0 + (-(*z as f64)).exp());
    let (test_logits, y_test) = predict(&net, &samples, &test);
    let test_accuracy = accuracy(&test_logits, &y_test);
    let mut p_test: Vec<f64> = test_logits.iter().map(sigmoid).collect();
    if config.calibrate {
        let (val_logits, y_val) = predict(&net, &samples, &val);
        let p_val: Vec<f64> = val_logits.iter().map(sigmoid).collect();
        let yv: Vec<f64> = y_val.iter().map(|&v| v as f64).collect();
        let iso = IsotonicRegression::fit(&p_val, &yv, None, 1e-6, 1.0 - 1e-6)?;
        p_test = iso.predict_all(&p_test);
    }
    let labels: Vec<bool> = y_test.iter().map(|&v| v > 0.5).collect();
    let auc = roc_auc(&p_test, &labels)?;
    let bce = binary_cross_entropy(&p_test, &labels)?;
    Ok(ResNetScore {
        auc,
        jsd: jsd_from_bce(bce),
        test_accuracy,
        best_epoch,
        n_train: train.len(),
        n_validation: val.len(),
        n_test: test.len(),
        n_parameters,
        train_cpu_seconds,
        seconds_per_epoch: train_cpu_seconds / config.epochs as f64,
    })
}

fn check_inputs<'a>(
    reference: &'a [f32],
    generated: &'a [f32],
    e_ref: &'a [f32],
    e_gen: &'a [f32],
    shape: [usize; 3],
) -> Result<Samples<'a>> {
    let bad = |m: String| Err(ResNetError::Invalid(m));
    let n_vox: usize = shape.iter().product();
    if n_vox == 0 {
        return bad(format!("shower shape {shape:?} has no voxels"));
    }
    for (what, rows, e) in [
        ("reference", reference, e_ref),
        ("generated", generated, e_gen),
    ] {
        if !rows.len().is_multiple_of(n_vox) {
            return bad(format!(
                "{what} showers: {} values are not rows of {n_vox} voxels (shape {shape:?})",
                rows.len()
            ));
        }
        let n = rows.len() / n_vox;
        if n != e.len() {
            return bad(format!(
                "{what}: {n} showers but {} incident energies",
                e.len()
            ));
        }
        if n < 10 {
            return bad(format!("needs at least 10 {what} showers, got {n}"));
        }
        if let Some(i) = rows.iter().position(|v| !v.is_finite()) {
            return bad(format!(
                "{what} showers: voxel {} of shower {} is {}",
                i % n_vox,
                i / n_vox,
                rows[i]
            ));
        }
        if let Some(i) = e.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return bad(format!(
                "{what}: incident energy of shower {i} is {} (must be finite and > 0 MeV)",
                e[i]
            ));
        }
    }
    Ok(Samples {
        reference,
        generated,
        e_ref,
        e_gen,
        n_vox,
        shape,
    })
}

/// The stratified split of the DNN classifier: each class shuffled and cut in the same fractions
/// (so even a small test set holds both classes); indices ≥ `n_ref` are generated showers.
fn split(
    n_ref: usize,
    n_gen: usize,
    fractions: [f64; 3],
    sampler: &mut SeededSampler,
) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for class in [0..n_ref, n_ref..n_ref + n_gen] {
        let mut idx: Vec<usize> = class.collect();
        shuffle(&mut idx, sampler);
        let m = idx.len();
        let a = ((fractions[0] * m as f64).round() as usize).min(m);
        let b = (a + (fractions[1] * m as f64).round() as usize).min(m);
        train.extend_from_slice(&idx[..a]);
        val.extend_from_slice(&idx[a..b]);
        test.extend_from_slice(&idx[b..]);
    }
    (train, val, test)
}

fn shuffle(v: &mut [usize], rng: &mut SeededSampler) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

/// Mean binary cross-entropy of logits, in the overflow-free form max(z, 0) − z·y + ln(1 + e^−|z|).
fn bce_with_logits(z: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    (z.clone().clamp_min(0.0) - z.clone() * y + z.abs().neg().exp().log1p()).mean()
}

/// Logits and labels of the showers `idx`, in inference mode (batch norm on running statistics).
fn predict(model: &ResNet3d, samples: &Samples, idx: &[usize]) -> (Vec<f32>, Vec<f32>) {
    let device = infer_device();
    let (mut logits, mut labels) = (Vec::with_capacity(idx.len()), Vec::new());
    for chunk in idx.chunks(PREDICT_CHUNK) {
        let batch = samples.gather(chunk);
        labels.extend_from_slice(&batch.y);
        let (x, log_e, _) = samples.tensors(batch, &device);
        let z = model
            .forward(x, log_e)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 tensor");
        logits.extend(z);
    }
    (logits, labels)
}

/// CPU seconds of the calling thread (Linux `schedstat`, nanoseconds); `None` elsewhere.
fn thread_cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}
