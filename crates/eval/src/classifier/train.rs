//! Training protocol of the classifier tests: split, (standardise), train, pick the best epoch,
//! calibrate, score.

use indicatif::ProgressBar;
use serde::Serialize;

use super::mlp::Mlp;
use crate::error::{EvalError, Result};
use crate::metrics::auc::{jsd_from_bce, roc_auc, IsotonicRegression};
use crate::rng::SeededSampler;

/// Which epoch's weights are kept; judged on the selection set, never on the scored one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Selection {
    /// Lowest loss on the selection set (CaloClouds II's validation set).
    Loss,
    /// Highest accuracy on the selection set, stopping early at 100 % (CaloChallenge 2022's
    /// `evaluate.py`, whose selection set it calls "test").
    Accuracy,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassifierConfig {
    pub hidden: Vec<usize>,
    pub learning_rate: f32,
    pub batch: usize,
    pub epochs: usize,
    /// Train, selection and scored fractions (each class is cut in these fractions).
    pub split: [f64; 3],
    pub selection: Selection,
    /// Standardise each input with the training set's mean and standard deviation.
    pub standardise: bool,
    /// Calibrate the scored set's probabilities by isotonic regression fitted on the selection set
    /// before AUC and JSD (CaloChallenge 2022); the uncalibrated AUC is reported beside.
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
            selection: Selection::Loss,
            standardise: true,
            calibrate: false,
            seed,
        }
    }

    /// CaloChallenge 2022's `evaluate.py` defaults: `DNN(num_layer=2, num_hidden=2048)` is an input
    /// layer to 2048 followed by `num_layer` more 2048 → 2048 layers, so three hidden layers of
    /// 2048, LeakyReLU, no dropout; Adam 2e-4, batch 1000, up to 50 epochs; 60/20/20 split; the
    /// epoch of best accuracy on the selection set ("test"), isotonic calibration fitted on it,
    /// AUC and JSD on the third set ("validation") that neither touched.
    pub fn calochallenge(seed: u64) -> Self {
        Self {
            hidden: vec![2048, 2048, 2048],
            learning_rate: 2e-4,
            batch: 1000,
            epochs: 50,
            split: [0.6, 0.2, 0.2],
            selection: Selection::Accuracy,
            standardise: false,
            calibrate: true,
            seed,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassifierScore {
    /// ROC AUC on the scored ("test") set, of the calibrated probabilities when calibrating.
    pub auc: f64,
    /// (ln 2 − BCE) / ln 2 on the scored set: 0 for indistinguishable samples, 1 for separable.
    pub jsd: f64,
    /// ROC AUC of the network's own probabilities on the scored set (equal to `auc` without
    /// calibration).
    pub auc_uncalibrated: f64,
    /// Accuracy (probability > 0.5, uncalibrated) on the scored set.
    pub test_accuracy: f64,
    pub best_epoch: usize,
    pub n_train: usize,
    /// Showers that chose the epoch and fitted the calibration (the challenge's "test" set).
    pub n_validation: usize,
    /// Showers scored, untouched by training, epoch choice and calibration (the challenge's
    /// "validation" set).
    pub n_test: usize,
    pub n_parameters: usize,
    /// Why the score may not mean what it seems: a calibration that collapsed to a constant, an
    /// accuracy at chance.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The three disjoint sets of a classifier test, as row indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sets {
    pub train: Vec<usize>,
    /// Picks the epoch and fits the calibration.
    pub selection: Vec<usize>,
    /// Is scored, and does nothing else.
    pub scored: Vec<usize>,
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
    let x: Vec<f64> = reference.iter().chain(generated).copied().collect();
    let y: Vec<bool> = (0..n).map(|i| i >= n_ref).collect();
    let mut rng = SeededSampler::new(config.seed);
    // Stratified split: each class is shuffled and cut in the same fractions, so even a small
    // scored set holds both classes (AUC needs them).
    let mut sets = Sets {
        train: Vec::new(),
        selection: Vec::new(),
        scored: Vec::new(),
    };
    for class in [0..n_ref, n_ref..n] {
        let mut idx: Vec<usize> = class.collect();
        shuffle(&mut idx, &mut rng);
        let m = idx.len();
        let a = ((config.split[0] * m as f64).round() as usize).min(m);
        let b = (a + (config.split[1] * m as f64).round() as usize).min(m);
        sets.train.extend_from_slice(&idx[..a]);
        sets.selection.extend_from_slice(&idx[a..b]);
        sets.scored.extend_from_slice(&idx[b..]);
    }
    score_sets(&x, &y, n_features, &sets, config, &mut rng, pb)
}

/// Train on `sets.train`, keep the epoch that `sets.selection` prefers, fit the calibration on
/// `sets.selection`, and score `sets.scored` only: the scored rows and their labels are read after
/// everything else is fixed, so the score is unbiased.
pub fn train_and_score_sets(
    rows: &[f64],
    labels: &[bool],
    n_features: usize,
    sets: &Sets,
    config: &ClassifierConfig,
    rng: &mut SeededSampler,
) -> Result<ClassifierScore> {
    score_sets(
        rows,
        labels,
        n_features,
        sets,
        config,
        rng,
        &ProgressBar::hidden(),
    )
}

/// [`train_and_score_sets`] advancing `pb` by one per epoch.
fn score_sets(
    rows: &[f64],
    labels: &[bool],
    n_features: usize,
    sets: &Sets,
    config: &ClassifierConfig,
    rng: &mut SeededSampler,
    pb: &ProgressBar,
) -> Result<ClassifierScore> {
    let invalid = |message: &str| EvalError::Invalid {
        what: "classifier",
        message: message.into(),
    };
    let mut x: Vec<f32> = rows.iter().map(|&v| v as f32).collect();
    if x.iter().any(|v| !v.is_finite()) {
        return Err(invalid("inputs must be finite"));
    }
    if sets.train.is_empty() || sets.scored.is_empty() || sets.selection.is_empty() {
        return Err(invalid(
            "too few showers for a training, a selection and a scored set",
        ));
    }
    if config.standardise {
        standardise(&mut x, n_features, &sets.train);
    }
    let y: Vec<f32> = labels.iter().map(|&b| b as u8 as f32).collect();
    let gather = |idx: &[usize]| -> (Vec<f32>, Vec<f32>) {
        let mut xs = Vec::with_capacity(idx.len() * n_features);
        for &i in idx {
            xs.extend_from_slice(&x[i * n_features..(i + 1) * n_features]);
        }
        (xs, idx.iter().map(|&i| y[i]).collect())
    };
    let (x_sel, y_sel) = gather(&sets.selection);

    let mut sizes = vec![n_features];
    sizes.extend_from_slice(&config.hidden);
    sizes.push(1);
    let mut net = Mlp::new(&sizes, config.seed ^ 0x5EED);
    let mut best: Option<(f64, usize, Mlp)> = None;
    let mut train_order = sets.train.clone();
    for epoch in 0..config.epochs {
        shuffle(&mut train_order, rng);
        for batch in train_order.chunks(config.batch) {
            let (xb, yb) = gather(batch);
            net.forward(&xb);
            net.backward_and_step(&xb, &yb, config.learning_rate);
        }
        let logits = net.clone().predict_logits(&x_sel, 4096);
        let figure = match config.selection {
            Selection::Loss => -mean_bce(&logits, &y_sel),
            Selection::Accuracy => accuracy(&logits, &y_sel),
        };
        if best.as_ref().is_none_or(|(f, _, _)| figure > *f) {
            best = Some((figure, epoch, net.clone()));
        }
        pb.inc(1);
        // evaluate.py stops once the selection set is classified perfectly.
        if config.selection == Selection::Accuracy && figure == 1.0 {
            break;
        }
    }
    let (_, best_epoch, mut net) = best.ok_or_else(|| invalid("zero epochs"))?;

    let sigmoid = |z: &f32| 1.0 / (1.0 + (-(*z as f64)).exp());
    // Everything about the network and its calibration is fixed before the scored set is read.
    let calibration = if config.calibrate {
        let p_sel: Vec<f64> = net
            .predict_logits(&x_sel, 4096)
            .iter()
            .map(sigmoid)
            .collect();
        let ys: Vec<f64> = y_sel.iter().map(|&v| v as f64).collect();
        Some(IsotonicRegression::fit(
            &p_sel,
            &ys,
            None,
            1e-6,
            1.0 - 1e-6,
        )?)
    } else {
        None
    };
    let (x_scored, y_scored) = gather(&sets.scored);
    let logits = net.predict_logits(&x_scored, 4096);
    let test_accuracy = accuracy(&logits, &y_scored);
    let p_raw: Vec<f64> = logits.iter().map(sigmoid).collect();
    let truth: Vec<bool> = y_scored.iter().map(|&v| v > 0.5).collect();
    let auc_uncalibrated = roc_auc(&p_raw, &truth)?;
    let p = match &calibration {
        Some(iso) => iso.predict_all(&p_raw),
        None => p_raw,
    };
    let auc = roc_auc(&p, &truth)?;
    let bce = crate::metrics::auc::binary_cross_entropy(&p, &truth)?;
    let mut warnings = Vec::new();
    let (lo, hi) = p
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    if calibration.is_some() && hi - lo <= 0.0 {
        warnings.push(format!(
            "the isotonic calibration collapsed to the constant {lo:.4}: the calibrated AUC 0.5 \
             is a consequence, not a measurement (uncalibrated AUC {auc_uncalibrated:.4})"
        ));
    }
    // Chance: within two binomial standard deviations, 0.5/√n, of one half.
    let sigma = 0.5 / (truth.len() as f64).sqrt();
    if (test_accuracy - 0.5).abs() <= 2.0 * sigma {
        warnings.push(format!(
            "accuracy on the {} scored showers is {test_accuracy:.4}, at chance (0.5 ± {:.4}): \
             the classifier did not tell the samples apart",
            truth.len(),
            2.0 * sigma
        ));
    }
    Ok(ClassifierScore {
        auc,
        jsd: jsd_from_bce(bce),
        auc_uncalibrated,
        test_accuracy,
        best_epoch,
        n_train: sets.train.len(),
        n_validation: sets.selection.len(),
        n_test: sets.scored.len(),
        n_parameters: net.n_parameters(),
        warnings,
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

    /// The scored set must take no part in choosing the epoch or fitting the calibration: flipping
    /// its labels then leaves the network and the calibration as they were, so the best epoch is
    /// the same and both AUCs become exactly 1 − AUC. Were the epoch chosen on the scored set
    /// (calogen before CaloChallenge 2022 parity), the argmax of its accuracy would become the
    /// argmin; were the calibration fitted on it, the flipped isotonic fit would collapse to a
    /// constant and the AUC to 0.5.
    #[test]
    fn scored_set_takes_no_part_in_epoch_choice_or_calibration() {
        let mut rng = SeededSampler::new(7);
        let a = gaussian(&mut rng, 500, 3, 0.0);
        let b = gaussian(&mut rng, 500, 3, 0.5);
        let x: Vec<f64> = a.iter().chain(&b).copied().collect();
        let y: Vec<bool> = (0..1000).map(|i| i >= 500).collect();
        // Per class: rows 0–299 train, 300–399 selection, 400–499 scored.
        let pick = |r: std::ops::Range<usize>| -> Vec<usize> {
            r.clone().chain(r.start + 500..r.end + 500).collect()
        };
        let sets = Sets {
            train: pick(0..300),
            selection: pick(300..400),
            scored: pick(400..500),
        };
        let mut cfg = ClassifierConfig::calochallenge(5);
        cfg.hidden = vec![16, 16, 16];
        cfg.epochs = 8;
        cfg.batch = 50;
        cfg.learning_rate = 3e-3;
        let run = |labels: &[bool]| {
            train_and_score_sets(&x, labels, 3, &sets, &cfg, &mut SeededSampler::new(9)).unwrap()
        };
        let s = run(&y);
        let mut flipped = y.clone();
        for &i in &sets.scored {
            flipped[i] = !flipped[i];
        }
        let f = run(&flipped);
        assert_eq!(s.best_epoch, f.best_epoch, "{s:?} {f:?}");
        // Rank statistics of identical scores with complementary labels: exact up to the
        // rounding of the AUC's sums, 1e-12.
        assert!((s.auc + f.auc - 1.0).abs() < 1e-12, "{s:?} {f:?}");
        assert!((s.auc_uncalibrated + f.auc_uncalibrated - 1.0).abs() < 1e-12);
        assert!(s.auc > 0.6, "a half-σ shift in 3 features is found: {s:?}");
        assert_eq!((s.n_train, s.n_validation, s.n_test), (600, 200, 200));
    }

    /// evaluate.py's `DNN(num_layer=2, num_hidden=2048, input_dim)`: Linear(input, 2048), then two
    /// Linear(2048, 2048), then Linear(2048, 1). On dataset 2's 6 480 voxels + log10 E_inc that is
    /// 6481·2048 + 2048 + 2·(2048² + 2048) + 2049 = 21 669 889 parameters; on the 362 high-level
    /// features 362·2048 + 2048 + 2·(2048² + 2048) + 2049 = 9 138 177.
    #[test]
    fn challenge_dnn_has_three_hidden_layers_of_2048() {
        let cfg = ClassifierConfig::calochallenge(0);
        assert_eq!(cfg.hidden, vec![2048, 2048, 2048]);
        let count = |n_in: usize| {
            let mut sizes = vec![n_in];
            sizes.extend_from_slice(&cfg.hidden);
            sizes.push(1);
            Mlp::new(&sizes, 0).n_parameters()
        };
        assert_eq!(count(6481), 21_669_889);
        assert_eq!(count(362), 9_138_177);
    }

    /// A calibration fitted on a selection set of one class is the constant 1e-6, so every
    /// calibrated probability ties and the AUC is 0.5 by construction: the score says so. Two
    /// samples of one distribution leave the accuracy at chance, which it also says.
    #[test]
    fn collapsed_calibration_and_chance_accuracy_are_warned_about() {
        let mut rng = SeededSampler::new(3);
        let x = gaussian(&mut rng, 600, 2, 0.0);
        let y: Vec<bool> = (0..600).map(|i| i % 2 == 1).collect();
        let sets = Sets {
            train: (0..400).collect(),
            selection: (400..500).filter(|i| i % 2 == 0).collect(),
            scored: (500..600).collect(),
        };
        let mut cfg = ClassifierConfig::calochallenge(1);
        cfg.hidden = vec![8];
        cfg.epochs = 2;
        cfg.batch = 100;
        let s = train_and_score_sets(&x, &y, 2, &sets, &cfg, &mut SeededSampler::new(2)).unwrap();
        assert_eq!(s.auc, 0.5, "{s:?}");
        assert!(s.warnings.iter().any(|w| w.contains("collapsed")), "{s:?}");
        assert!(s.warnings.iter().any(|w| w.contains("at chance")), "{s:?}");
    }
}
