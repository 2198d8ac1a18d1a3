//! Training protocol of the classifier tests: split, (standardise), train, pick the best epoch,
//! calibrate, score.

use indicatif::ProgressBar;
use serde::Serialize;

use super::mlp::Mlp;
use crate::error::{EvalError, Result};
use crate::metrics::auc::{jsd_from_bce, roc_auc, IsotonicRegression};
use crate::rng::SeededSampler;

/// Which epoch's weights are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Selection {
    /// Lowest loss on the validation set (CaloClouds II).
    ValidationLoss,
    /// Highest accuracy on the test set (what the CaloChallenge's code does).
    TestAccuracy,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassifierConfig {
    pub hidden: Vec<usize>,
    pub learning_rate: f32,
    pub batch: usize,
    pub epochs: usize,
    /// Train, validation and test fractions.
    pub split: [f64; 3],
    pub selection: Selection,
    /// Standardise each input with the training set's mean and standard deviation.
    pub standardise: bool,
    /// Calibrate the test probabilities by isotonic regression fitted on the validation set before
    /// the JSD (the challenge's choice).
    pub calibrate: bool,
    pub seed: u64,
}

impl ClassifierConfig {
    /// Paper 000 §4.3: 32-16-8 LeakyReLU, sigmoid, Adam, 10 epochs, 80/10/10, lowest validation loss.
    pub fn caloclouds(seed: u64) -> Self {
        Self {
            hidden: vec![32, 16, 8],
            learning_rate: 1e-3,
            batch: 256,
            epochs: 10,
            split: [0.8, 0.1, 0.1],
            selection: Selection::ValidationLoss,
            standardise: true,
            calibrate: false,
            seed,
        }
    }

    /// Paper 003 §8: two hidden layers of 2048, LeakyReLU, Adam 2e-4, batch 1000, up to 50 epochs,
    /// best test accuracy, isotonic calibration; 60/20/20 split.
    pub fn calochallenge(seed: u64) -> Self {
        Self {
            hidden: vec![2048, 2048],
            learning_rate: 2e-4,
            batch: 1000,
            epochs: 50,
            split: [0.6, 0.2, 0.2],
            selection: Selection::TestAccuracy,
            standardise: false,
            calibrate: true,
            seed,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassifierScore {
    /// ROC AUC on the test set (of the calibrated probabilities when calibrating).
    pub auc: f64,
    /// (ln 2 − BCE) / ln 2 on the test set: 0 for indistinguishable samples, 1 for separable.
    pub jsd: f64,
    pub test_accuracy: f64,
    pub best_epoch: usize,
    pub n_train: usize,
    pub n_validation: usize,
    pub n_test: usize,
    pub n_parameters: usize,
}

/// Train on `reference` (label 0) against `generated` (label 1), both `n × n_features` row-major,
/// with a progress bar over the epochs (the CaloChallenge DNN trains for minutes).
pub fn train_and_score(
    reference: &[f64],
    generated: &[f64],
    n_features: usize,
    config: &ClassifierConfig,
) -> Result<ClassifierScore> {
    let pb = crate::progress::epochs(config.epochs as u64, "classifier");
    let score = train_and_score_with(reference, generated, n_features, config, &pb);
    pb.finish_and_clear();
    score
}

/// [`train_and_score`] advancing `pb` by one per epoch.
pub fn train_and_score_with(
    reference: &[f64],
    generated: &[f64],
    n_features: usize,
    config: &ClassifierConfig,
    pb: &ProgressBar,
) -> Result<ClassifierScore> {
    if n_features == 0
        || !reference.len().is_multiple_of(n_features)
        || !generated.len().is_multiple_of(n_features)
    {
        return Err(EvalError::Invalid {
            what: "classifier",
            message: format!("inputs are not rows of {n_features} features"),
        });
    }
    let (n_ref, n_gen) = (reference.len() / n_features, generated.len() / n_features);
    let n = n_ref + n_gen;
    if n_ref < 10 || n_gen < 10 {
        return Err(EvalError::Invalid {
            what: "classifier",
            message: format!("needs at least 10 showers of each kind, got {n_ref} and {n_gen}"),
        });
    }
    // Rows as f32, labels, then a seeded shuffle that fixes the split.
    let mut x: Vec<f32> = reference
        .iter()
        .chain(generated)
        .map(|&v| v as f32)
        .collect();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(EvalError::Invalid {
            what: "classifier",
            message: "inputs must be finite".into(),
        });
    }
    let y: Vec<f32> = (0..n).map(|i| (i >= n_ref) as u8 as f32).collect();
    let mut rng = SeededSampler::new(config.seed);
    // Stratified split: each class is shuffled and cut in the same fractions, so even a small test
    // set holds both classes (AUC needs them).
    let (mut train, mut val, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for class in [0..n_ref, n_ref..n] {
        let mut idx: Vec<usize> = class.collect();
        shuffle(&mut idx, &mut rng);
        let m = idx.len();
        let a = ((config.split[0] * m as f64).round() as usize).min(m);
        let b = (a + (config.split[1] * m as f64).round() as usize).min(m);
        train.extend_from_slice(&idx[..a]);
        val.extend_from_slice(&idx[a..b]);
        test.extend_from_slice(&idx[b..]);
    }
    if test.is_empty() || val.is_empty() && config.calibrate {
        return Err(EvalError::Invalid {
            what: "classifier",
            message: "too few showers for a validation and a test set".into(),
        });
    }
    let (train, val, test) = (&train[..], &val[..], &test[..]);
    if config.standardise {
        standardise(&mut x, n_features, train);
    }
    let gather = |idx: &[usize]| -> (Vec<f32>, Vec<f32>) {
        let mut xs = Vec::with_capacity(idx.len() * n_features);
        for &i in idx {
            xs.extend_from_slice(&x[i * n_features..(i + 1) * n_features]);
        }
        (xs, idx.iter().map(|&i| y[i]).collect())
    };
    let (x_val, y_val) = gather(val);
    let (x_test, y_test) = gather(test);

    let mut sizes = vec![n_features];
    sizes.extend_from_slice(&config.hidden);
    sizes.push(1);
    let mut net = Mlp::new(&sizes, config.seed ^ 0x5EED);
    let mut best: Option<(f64, usize, Mlp)> = None;
    let mut train_order = train.to_vec();
    for epoch in 0..config.epochs {
        shuffle(&mut train_order, &mut rng);
        for batch in train_order.chunks(config.batch) {
            let (xb, yb) = gather(batch);
            net.forward(&xb);
            net.backward_and_step(&xb, &yb, config.learning_rate);
        }
        let figure = match config.selection {
            Selection::ValidationLoss => {
                -mean_bce(&net.clone().predict_logits(&x_val, 4096), &y_val)
            }
            Selection::TestAccuracy => {
                accuracy(&net.clone().predict_logits(&x_test, 4096), &y_test)
            }
        };
        if best.as_ref().is_none_or(|(f, _, _)| figure > *f) {
            best = Some((figure, epoch, net.clone()));
        }
        pb.inc(1);
    }
    let (_, best_epoch, mut net) = best.ok_or_else(|| EvalError::Invalid {
        what: "classifier",
        message: "zero epochs".into(),
    })?;

    let sigmoid = |z: &f32| 1.0 / (1.0 + (-(*z as f64)).exp());
    let test_logits = net.predict_logits(&x_test, 4096);
    let test_accuracy = accuracy(&test_logits, &y_test);
    let mut p_test: Vec<f64> = test_logits.iter().map(sigmoid).collect();
    if config.calibrate {
        let p_val: Vec<f64> = net
            .predict_logits(&x_val, 4096)
            .iter()
            .map(sigmoid)
            .collect();
        let yv: Vec<f64> = y_val.iter().map(|&v| v as f64).collect();
        let iso = IsotonicRegression::fit(&p_val, &yv, None, 1e-6, 1.0 - 1e-6)?;
        p_test = iso.predict_all(&p_test);
    }
    let labels: Vec<bool> = y_test.iter().map(|&v| v > 0.5).collect();
    let auc = roc_auc(&p_test, &labels)?;
    let bce = crate::metrics::auc::binary_cross_entropy(&p_test, &labels)?;
    Ok(ClassifierScore {
        auc,
        jsd: jsd_from_bce(bce),
        test_accuracy,
        best_epoch,
        n_train: train.len(),
        n_validation: val.len(),
        n_test: test.len(),
        n_parameters: net.n_parameters(),
    })
}

fn shuffle(v: &mut [usize], rng: &mut SeededSampler) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i + 1);
        v.swap(i, j);
    }
}

fn standardise(x: &mut [f32], n_features: usize, train: &[usize]) {
    for j in 0..n_features {
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for &i in train {
            let v = x[i * n_features + j] as f64;
            s += v;
            s2 += v * v;
        }
        let m = s / train.len() as f64;
        let sd = (s2 / train.len() as f64 - m * m).max(0.0).sqrt();
        let inv = if sd > 0.0 { 1.0 / sd } else { 1.0 };
        for row in x.chunks_mut(n_features) {
            row[j] = ((row[j] as f64 - m) * inv) as f32;
        }
    }
}

/// Mean binary cross-entropy of logits against 0/1 labels (the stable log-sum-exp form).
pub fn mean_bce(logits: &[f32], y: &[f32]) -> f64 {
    logits
        .iter()
        .zip(y)
        .map(|(&z, &t)| (z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()) as f64)
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// Fraction of logits on the side of 0 that their 0/1 label says.
pub fn accuracy(logits: &[f32], y: &[f32]) -> f64 {
    logits
        .iter()
        .zip(y)
        .filter(|(&z, &t)| (z > 0.0) == (t > 0.5))
        .count() as f64
        / y.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gaussian(rng: &mut SeededSampler, n: usize, d: usize, shift: f64) -> Vec<f64> {
        // Box–Muller from the crate's generator.
        let mut u = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        (0..n * d)
            .map(|_| (-2.0 * u().ln()).sqrt() * (2.0 * std::f64::consts::PI * u()).cos() + shift)
            .collect()
    }

    #[test]
    fn same_distribution_gives_auc_near_half_and_shifted_is_found() {
        let mut rng = SeededSampler::new(1);
        let a = gaussian(&mut rng, 2000, 5, 0.0);
        let b = gaussian(&mut rng, 2000, 5, 0.0);
        let s = train_and_score(&a, &b, 5, &ClassifierConfig::caloclouds(3)).unwrap();
        assert!((s.auc - 0.5).abs() < 0.06, "same: {s:?}");
        assert!(s.jsd < 0.05, "{s:?}");
        // A shift of one standard deviation in one of five features: the Bayes AUC is Φ(1/√2) = 0.760.
        let mut c = gaussian(&mut rng, 2000, 5, 0.0);
        for row in c.chunks_mut(5) {
            row[2] += 1.0;
        }
        let s = train_and_score(&a, &c, 5, &ClassifierConfig::caloclouds(3)).unwrap();
        assert!((s.auc - 0.760).abs() < 0.04, "shifted: {s:?}");
    }

    #[test]
    fn calibrated_jsd_is_bounded_and_same_seed_same_score() {
        let mut rng = SeededSampler::new(2);
        let a = gaussian(&mut rng, 600, 3, 0.0);
        let b = gaussian(&mut rng, 600, 3, 3.0);
        let mut cfg = ClassifierConfig::calochallenge(5);
        cfg.hidden = vec![16, 16];
        cfg.epochs = 5;
        cfg.batch = 100;
        cfg.learning_rate = 1e-2;
        let s1 = train_and_score(&a, &b, 3, &cfg).unwrap();
        let s2 = train_and_score(&a, &b, 3, &cfg).unwrap();
        assert_eq!(s1.auc, s2.auc);
        assert!(s1.auc > 0.99 && s1.jsd > 0.8 && s1.jsd <= 1.0, "{s1:?}");
    }

    /// The bar advances once per epoch (issue 12, point 11: the CaloChallenge DNN's 50 epochs ran
    /// without any sign of life); a hidden bar still counts.
    #[test]
    fn the_progress_bar_counts_epochs() {
        let mut rng = SeededSampler::new(4);
        let a = gaussian(&mut rng, 200, 2, 0.0);
        let b = gaussian(&mut rng, 200, 2, 1.0);
        let mut cfg = ClassifierConfig::calochallenge(1);
        cfg.hidden = vec![4];
        cfg.epochs = 7;
        cfg.batch = 50;
        let pb = ProgressBar::hidden();
        train_and_score_with(&a, &b, 2, &cfg, &pb).unwrap();
        assert_eq!(pb.position(), 7);
    }
}
