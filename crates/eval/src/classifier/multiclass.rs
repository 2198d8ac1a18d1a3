//! The CaloChallenge's multiclass classifier test (paper 003 §8, eqs. 41–42, appendix B): one
//! softmax network trained on "model 1 vs model 2 vs … vs model K", then evaluated on the Geant4
//! test set; the figure of merit is the mean log-posterior LP(model i | Geant4) — the model the
//! Geant4 showers are most often mistaken for is the closest one. Geant4 is not a class (it would
//! absorb its own test set); it is only evaluated.
//!
//! Cross-check (eq. 42): on the held-out test sets of the models, each model's own test set must
//! get the highest mean log-posterior in its own class, LP(i | i) > LP(i | j ≠ i), or the
//! classifier did not learn to tell the models apart and its LP on Geant4 means little.
//!
//! Network as the challenge's DNN: one hidden layer (4096) with LeakyReLU(0.01), softmax output,
//! batches of 2000, learning rate 1e-3, at most 25 epochs keeping the epoch of lowest validation
//! loss. The challenge used schedule-free AdamW; plain Adam is used here.

use serde::Serialize;

use super::mlp::Mlp;
use crate::error::{invalid, Result};
use crate::protocols::Score;
use crate::rng::SeededSampler;

#[derive(Debug, Clone, Serialize)]
pub struct MulticlassConfig {
    pub hidden: Vec<usize>,
    pub learning_rate: f32,
    pub batch: usize,
    pub epochs: usize,
    /// Train, validation, test fractions of each model's sample.
    pub split: [f64; 3],
    /// Standardise the inputs with the training set's mean and standard deviation.
    pub standardise: bool,
    pub seed: u64,
}

impl MulticlassConfig {
    /// Paper 003 §8: 4096 hidden, batch 2000, lr 1e-3, 25 epochs; 60/20/20 split.
    pub fn challenge(seed: u64) -> Self {
        Self {
            hidden: vec![4096],
            learning_rate: 1e-3,
            batch: 2000,
            epochs: 25,
            split: [0.6, 0.2, 0.2],
            standardise: true,
            seed,
        }
    }
}

/// One trained classifier.
#[derive(Debug, Clone, Serialize)]
pub struct MulticlassRun {
    pub seed: u64,
    pub best_epoch: usize,
    /// LP(model i | Geant4), per model.
    pub reference_log_posterior: Vec<f64>,
    /// `test_log_posterior[i][j]` = LP(model i | test set of model j).
    pub test_log_posterior: Vec<Vec<f64>>,
    /// Eq. 42 per model: its own test set has the highest LP in its class.
    pub cross_check: Vec<bool>,
    /// Fraction of the models' test showers assigned to their own model.
    pub test_accuracy: f64,
}

/// Repeated trainings (the challenge: ten) and their mean.
#[derive(Debug, Clone, Serialize)]
pub struct MulticlassResult {
    pub n_models: usize,
    pub n_features: usize,
    pub n_reference: usize,
    pub n_parameters: usize,
    /// Mean ± std over runs of LP(model i | Geant4).
    pub reference_log_posterior: Vec<Score>,
    /// Whether eq. 42 held for every model in every run.
    pub cross_check_passed: bool,
    pub runs: Vec<MulticlassRun>,
    pub config: MulticlassConfig,
}

/// A softmax MLP with LeakyReLU hidden layers, trained by Adam on the cross-entropy.
#[derive(Debug, Clone)]
struct SoftmaxMlp(Mlp);

impl SoftmaxMlp {
    fn new(sizes: &[usize], seed: u64) -> Self {
        Self(Mlp::new(sizes, seed))
    }

    fn n_parameters(&self) -> usize {
        self.0.n_parameters()
    }

    /// Log-softmax of the logits, in batches.
    fn log_posteriors(&mut self, x: &[f32], batch: usize) -> Vec<f32> {
        let k = self.0.n_outputs();
        let logits = self.0.predict_logits(x, batch.max(1));
        logits.chunks(k).flat_map(log_softmax).collect()
    }

    /// One Adam step on the mean cross-entropy of batch `x` with class labels `y`; the loss.
    fn train_step(&mut self, x: &[f32], y: &[usize], lr: f32) -> f64 {
        let bsz = y.len();
        let k = self.0.n_outputs();
        let mut loss = 0.0;
        // d(mean CE)/d(logit) = (softmax − onehot)/B
        let mut delta: Vec<f32> = Vec::with_capacity(bsz * k);
        for (row, &t) in self.0.forward(x).chunks(k).zip(y) {
            let lp = log_softmax(row);
            loss -= lp[t] as f64;
            for (c, &l) in lp.iter().enumerate() {
                delta.push((l.exp() - (c == t) as u8 as f32) / bsz as f32);
            }
        }
        let grads = self.0.backward_delta(x, delta);
        self.0.adam_step(&grads, lr);
        loss / bsz as f64
    }
}

fn log_softmax(z: &[f32]) -> Vec<f32> {
    let m = z.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
    let lse = m + z.iter().map(|&v| (v - m).exp()).sum::<f32>().ln();
    z.iter().map(|&v| v - lse).collect()
}

fn shuffle(v: &mut [usize], rng: &mut SeededSampler) {
    for i in (1..v.len()).rev() {
        v.swap(i, rng.below(i + 1));
    }
}

/// Mean log-posterior of every class over the rows of `x` (`n × n_features`).
fn mean_log_posterior(net: &mut SoftmaxMlp, x: &[f32], k: usize) -> Vec<f64> {
    let lp = net.log_posteriors(x, 4096);
    let n = lp.len() / k;
    (0..k)
        .map(|c| lp.iter().skip(c).step_by(k).map(|&v| v as f64).sum::<f64>() / n as f64)
        .collect()
}

/// Train one classifier on `models` (each `n_i × n_features`, row-major) and evaluate it on
/// `reference` (the Geant4 test set).
pub fn train_multiclass(
    models: &[&[f64]],
    reference: &[f64],
    n_features: usize,
    config: &MulticlassConfig,
) -> Result<(MulticlassRun, usize)> {
    let k = models.len();
    if k < 2 {
        return Err(invalid(
            "multiclass classifier",
            format!("needs at least two generated samples, got {k}"),
        ));
    }
    if n_features == 0
        || models
            .iter()
            .chain(std::iter::once(&reference))
            .any(|m| m.is_empty() || !m.len().is_multiple_of(n_features))
    {
        return Err(invalid(
            "multiclass classifier",
            format!("every sample must be non-empty rows of {n_features} features"),
        ));
    }
    if models
        .iter()
        .chain(std::iter::once(&reference))
        .any(|m| m.iter().any(|v| !v.is_finite()))
    {
        return Err(invalid("multiclass classifier", "inputs must be finite"));
    }
    let mut rng = SeededSampler::new(config.seed);
    // Stratified split per model.
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), vec![Vec::new(); k]);
    let mut rows: Vec<f32> = Vec::new();
    let mut labels = Vec::new();
    for (c, m) in models.iter().enumerate() {
        let start = labels.len();
        let n = m.len() / n_features;
        if n < 5 {
            return Err(invalid(
                "multiclass classifier",
                format!("generated sample {c} has {n} showers; needs at least 5"),
            ));
        }
        rows.extend(m.iter().map(|&v| v as f32));
        labels.extend(std::iter::repeat_n(c, n));
        let mut idx: Vec<usize> = (start..start + n).collect();
        shuffle(&mut idx, &mut rng);
        let a = ((config.split[0] * n as f64).round() as usize).clamp(1, n - 2);
        let b = (a + (config.split[1] * n as f64).round() as usize).clamp(a + 1, n - 1);
        train.extend_from_slice(&idx[..a]);
        val.extend_from_slice(&idx[a..b]);
        test[c] = idx[b..].to_vec();
    }
    let mut reference: Vec<f32> = reference.iter().map(|&v| v as f32).collect();
    if config.standardise {
        for j in 0..n_features {
            let (mut s, mut s2) = (0.0f64, 0.0f64);
            for &i in &train {
                let v = rows[i * n_features + j] as f64;
                s += v;
                s2 += v * v;
            }
            let m = s / train.len() as f64;
            let sd = (s2 / train.len() as f64 - m * m).max(0.0).sqrt();
            let inv = if sd > 0.0 { 1.0 / sd } else { 1.0 };
            for r in rows
                .chunks_mut(n_features)
                .chain(reference.chunks_mut(n_features))
            {
                r[j] = ((r[j] as f64 - m) * inv) as f32;
            }
        }
    }
    let gather = |idx: &[usize]| -> Vec<f32> {
        let mut x = Vec::with_capacity(idx.len() * n_features);
        for &i in idx {
            x.extend_from_slice(&rows[i * n_features..(i + 1) * n_features]);
        }
        x
    };
    let x_val = gather(&val);
    let y_val: Vec<usize> = val.iter().map(|&i| labels[i]).collect();

    let mut sizes = vec![n_features];
    sizes.extend_from_slice(&config.hidden);
    sizes.push(k);
    let mut net = SoftmaxMlp::new(&sizes, config.seed ^ 0x00C1_A55E);
    let mut best: Option<(f64, usize, SoftmaxMlp)> = None;
    let mut order = train.clone();
    for epoch in 0..config.epochs.max(1) {
        shuffle(&mut order, &mut rng);
        for b in order.chunks(config.batch.max(1)) {
            let y: Vec<usize> = b.iter().map(|&i| labels[i]).collect();
            net.train_step(&gather(b), &y, config.learning_rate);
        }
        let lp = net.log_posteriors(&x_val, 4096);
        let val_loss = -y_val
            .iter()
            .enumerate()
            .map(|(r, &t)| lp[r * k + t] as f64)
            .sum::<f64>()
            / y_val.len() as f64;
        if best.as_ref().is_none_or(|(l, _, _)| val_loss < *l) {
            best = Some((val_loss, epoch, net.clone()));
        }
    }
    let (_, best_epoch, mut net) = best.expect("at least one epoch");

    let test_log_posterior: Vec<Vec<f64>> = {
        // lp_by_set[j][i] = LP(i | set j), then transposed to [i][j].
        let by_set: Vec<Vec<f64>> = test
            .iter()
            .map(|t| mean_log_posterior(&mut net, &gather(t), k))
            .collect();
        (0..k)
            .map(|i| (0..k).map(|j| by_set[j][i]).collect())
            .collect()
    };
    let cross_check = (0..k)
        .map(|i| (0..k).all(|j| j == i || test_log_posterior[i][i] > test_log_posterior[i][j]))
        .collect();
    let mut correct = 0usize;
    let mut total = 0usize;
    for (c, t) in test.iter().enumerate() {
        let lp = net.log_posteriors(&gather(t), 4096);
        for row in lp.chunks(k) {
            let arg = (0..k)
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap_or(0);
            correct += (arg == c) as usize;
            total += 1;
        }
    }
    let reference_log_posterior = mean_log_posterior(&mut net, &reference, k);
    if reference_log_posterior
        .iter()
        .chain(test_log_posterior.iter().flatten())
        .any(|v| !v.is_finite())
    {
        return Err(invalid(
            "multiclass classifier",
            "a log-posterior is not finite (diverged training?)",
        ));
    }
    Ok((
        MulticlassRun {
            seed: config.seed,
            best_epoch,
            reference_log_posterior,
            test_log_posterior,
            cross_check,
            test_accuracy: correct as f64 / total.max(1) as f64,
        },
        net.n_parameters(),
    ))
}

/// `repeats` trainings with seeds `config.seed + r`, averaged (the challenge: ten).
pub fn evaluate_multiclass(
    models: &[&[f64]],
    reference: &[f64],
    n_features: usize,
    config: &MulticlassConfig,
    repeats: usize,
) -> Result<MulticlassResult> {
    let mut runs = Vec::new();
    let mut n_parameters = 0;
    for r in 0..repeats.max(1) {
        let mut c = config.clone();
        c.seed = config.seed.wrapping_add(r as u64);
        let (run, np) = train_multiclass(models, reference, n_features, &c)?;
        n_parameters = np;
        runs.push(run);
    }
    let k = models.len();
    let reference_log_posterior = (0..k)
        .map(|i| {
            let v: Vec<f64> = runs.iter().map(|r| r.reference_log_posterior[i]).collect();
            Score::of(&v)
        })
        .collect();
    Ok(MulticlassResult {
        n_models: k,
        n_features,
        n_reference: reference.len() / n_features,
        n_parameters,
        reference_log_posterior,
        cross_check_passed: runs.iter().all(|r| r.cross_check.iter().all(|&c| c)),
        runs,
        config: config.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(rng: &mut SeededSampler, n: usize, mean: [f64; 2]) -> Vec<f64> {
        let mut u = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        (0..n * 2)
            .map(|i| (-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos() + mean[i % 2])
            .collect()
    }

    /// Three unit Gaussians as "models", Geant4 = a fourth close to the second. With equal class
    /// sizes the Bayes posterior is softmax(−|x − µ_i|²/2); the trained network's mean
    /// log-posteriors on the reference must match the Bayes ones, rank model 1 first, and pass
    /// the cross-check.
    #[test]
    fn gaussians_give_the_bayes_log_posterior() {
        let mut rng = SeededSampler::new(4);
        let means = [[0.0, 0.0], [1.5, 0.0], [0.0, 2.0]];
        let models: Vec<Vec<f64>> = means.iter().map(|&m| gaussian(&mut rng, 4000, m)).collect();
        let reference = gaussian(&mut rng, 3000, [1.3, 0.2]);
        let mut cfg = MulticlassConfig::challenge(9);
        cfg.hidden = vec![64];
        cfg.batch = 200;
        cfg.epochs = 15;
        let views: Vec<&[f64]> = models.iter().map(|m| m.as_slice()).collect();
        let r = evaluate_multiclass(&views, &reference, 2, &cfg, 2).unwrap();
        assert!(r.cross_check_passed, "{:?}", r.runs[0].test_log_posterior);
        let bayes: Vec<f64> = (0..3)
            .map(|i| {
                reference
                    .chunks(2)
                    .map(|x| {
                        let l: Vec<f64> = means
                            .iter()
                            .map(|m| -((x[0] - m[0]).powi(2) + (x[1] - m[1]).powi(2)) / 2.0)
                            .collect();
                        let mx = l.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
                        let lse = mx + l.iter().map(|v| (v - mx).exp()).sum::<f64>().ln();
                        l[i] - lse
                    })
                    .sum::<f64>()
                    / 3000.0
            })
            .collect();
        let lp: Vec<f64> = r.reference_log_posterior.iter().map(|s| s.mean).collect();
        for i in 0..3 {
            assert!(
                (lp[i] - bayes[i]).abs() < 0.05 + 0.08 * bayes[i].abs(),
                "model {i}: {lp:?} vs Bayes {bayes:?}"
            );
        }
        let best = (0..3).max_by(|&a, &b| lp[a].total_cmp(&lp[b])).unwrap();
        assert_eq!(best, 1);
        // Same seed, same numbers.
        let again = evaluate_multiclass(&views, &reference, 2, &cfg, 2).unwrap();
        assert_eq!(
            again.runs[1].reference_log_posterior,
            r.runs[1].reference_log_posterior
        );
    }

    #[test]
    fn identical_models_tie_at_ln_half() {
        // Two copies of one distribution cannot be told apart: LP near ln ½ for both (what is
        // left is the network's fit to the training noise, p ≈ 0.5 ± 0.05).
        let mut rng = SeededSampler::new(5);
        let a = gaussian(&mut rng, 2000, [0.0, 0.0]);
        let b = gaussian(&mut rng, 2000, [0.0, 0.0]);
        let reference = gaussian(&mut rng, 1000, [0.0, 0.0]);
        let mut cfg = MulticlassConfig::challenge(1);
        cfg.hidden = vec![16];
        cfg.batch = 200;
        cfg.epochs = 5;
        let r = evaluate_multiclass(&[&a, &b], &reference, 2, &cfg, 1).unwrap();
        for s in &r.reference_log_posterior {
            assert!(
                (s.mean - 0.5f64.ln()).abs() < 0.1,
                "{:?}",
                r.reference_log_posterior
            );
        }
        assert!(evaluate_multiclass(&[&a], &reference, 2, &cfg, 1).is_err());
    }
}
