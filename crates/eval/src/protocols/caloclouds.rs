//! The CaloClouds II protocol (paper 000 §4.2–4.3, appendix A) at cell level: standardised W1
//! scores of eight observable groups over 10 batch pairs, with the reference-vs-reference baseline
//! alongside, and the 25-observable classifier AUC over repeated trainings.
//!
//! The reference is split at random into two halves A and B: the model is scored A vs generated,
//! the baseline A vs B, with the same batch size, so the two columns are directly comparable.

use std::collections::BTreeMap;

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;
use serde::Serialize;

use super::Score;
use crate::classifier::{train_and_score, ClassifierConfig};
use crate::error::{EvalError, Result};
use crate::linalg::RowMatrix;
use crate::metrics::wasserstein::{combine_scores, standardized_wasserstein};
use crate::observables::{cell_observables, CellObservables, ProfileEdges};
use crate::report::{figures, Figure};
use crate::rng::SeededSampler;

#[derive(Debug, Clone, Serialize)]
pub struct CaloCloudsConfig {
    /// Cell threshold (half a MIP: 0.07 MeV for 0.5 mm silicon), MeV.
    pub threshold_mev: f64,
    pub n_batches: usize,
    /// Trainings of the classifier (each with its own split); 0 skips the classifier.
    pub classifier_repeats: usize,
    pub seed: u64,
}

impl CaloCloudsConfig {
    pub fn new(threshold_mev: f64, seed: u64) -> Self {
        Self {
            threshold_mev,
            n_batches: 10,
            classifier_repeats: 10,
            seed,
        }
    }
}

/// One W1 row of table 1: the model and the Geant4-vs-Geant4 baseline.
#[derive(Debug, Clone, Serialize)]
pub struct W1Pair {
    pub model: Score,
    pub baseline: Score,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaloCloudsResult {
    pub n_reference: usize,
    pub n_generated: usize,
    pub batch_size: usize,
    pub threshold_mev: f64,
    pub edges: ProfileEdges,
    /// Standardised W1 per observable group (`n_hits`, `e_vis_over_e_inc`, `e_cell`, `e_long`,
    /// `e_radial`, `cog_x`, `cog_y`, `cog_z`); `e_long`/`e_radial` average their ten bins.
    pub w1: BTreeMap<String, W1Pair>,
    /// AUC of the 25-observable classifier (model vs reference half A; baseline B vs A).
    pub classifier_auc: Option<W1Pair>,
    /// Means of the headline observables, reference vs generated.
    pub means: BTreeMap<String, [f64; 2]>,
    /// The report's plots (not part of metrics.json).
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

/// The observables of a subset of showers, as the columns W1 is computed on.
fn columns(o: &CellObservables, idx: &[usize]) -> Vec<(String, Vec<f64>)> {
    let pick = |v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let sf = o.sampling_fraction();
    let mut out = vec![
        ("n_hits".to_string(), pick(&o.n_hits)),
        ("e_vis_over_e_inc".to_string(), pick(&sf)),
        ("cog_x".to_string(), pick(&o.cog_x)),
        ("cog_y".to_string(), pick(&o.cog_y)),
        ("cog_z".to_string(), pick(&o.cog_z)),
    ];
    for j in 0..10 {
        out.push((
            format!("e_long_{j}"),
            pick(&CellObservables::column(&o.e_long, j, 10)),
        ));
        out.push((
            format!("e_radial_{j}"),
            pick(&CellObservables::column(&o.e_radial, j, 10)),
        ));
    }
    out
}

fn shuffled(n: usize, rng: &mut SeededSampler) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        v.swap(i, rng.below(i + 1));
    }
    v
}

/// W1 of every observable column between two index sets of (possibly different) observable tables.
fn w1_groups(
    ref_o: &CellObservables,
    ref_idx: &[usize],
    gen_o: &CellObservables,
    gen_idx: &[usize],
    n_batches: usize,
    batch: usize,
    cell_pool: (&[f64], &[f64]),
) -> Result<BTreeMap<String, Score>> {
    let rc = columns(ref_o, ref_idx);
    let gc = columns(gen_o, gen_idx);
    let width = rc.len();
    let to_rows = |cols: &[(String, Vec<f64>)]| {
        let n = cols[0].1.len();
        let mut m = Vec::with_capacity(n * width);
        for i in 0..n {
            for c in cols {
                m.push(c.1[i]);
            }
        }
        m
    };
    let (rm, gm) = (to_rows(&rc), to_rows(&gc));
    let scores = standardized_wasserstein(
        RowMatrix::new(&rm, width)?,
        RowMatrix::new(&gm, width)?,
        n_batches,
        batch,
    )?;
    let by_name: BTreeMap<&str, _> = rc.iter().map(|c| c.0.as_str()).zip(scores).collect();
    let mut out = BTreeMap::new();
    for name in ["n_hits", "e_vis_over_e_inc", "cog_x", "cog_y", "cog_z"] {
        out.insert(name.to_string(), by_name[name].into());
    }
    for group in ["e_long", "e_radial"] {
        let s: Vec<_> = (0..10)
            .map(|j| by_name[format!("{group}_{j}").as_str()])
            .collect();
        out.insert(group.to_string(), combine_scores(&s).into());
    }
    // Cell energies: a pool per side, batched the same way (the paper uses 50k hits per batch).
    let (rp, gp) = cell_pool;
    let per = (rp.len().min(gp.len()) / n_batches).max(1);
    if rp.len() >= n_batches && gp.len() >= n_batches {
        let r = RowMatrix::new(&rp[..per * n_batches], 1)?;
        let g = RowMatrix::new(&gp[..per * n_batches], 1)?;
        let s = standardized_wasserstein(r, g, n_batches, per)?;
        out.insert("e_cell".to_string(), s[0].into());
    }
    Ok(out)
}

fn pooled_cells(
    cells: &CellShowers,
    idx: &[usize],
    threshold: f64,
    rng: &mut SeededSampler,
) -> Vec<f64> {
    let mut v: Vec<f64> = idx
        .iter()
        .flat_map(|&i| {
            cells
                .shower(i)
                .energy
                .iter()
                .map(|&e| e as f64)
                .filter(|&e| e > threshold)
                .collect::<Vec<_>>()
        })
        .collect();
    let order = shuffled(v.len(), rng);
    v = order.iter().map(|&i| v[i]).collect();
    v
}

/// Evaluate `generated` against `reference` (both cell-level showers of `geometry`).
pub fn evaluate_caloclouds(
    reference: &CellShowers,
    generated: &CellShowers,
    geometry: &PlanarGeometry,
    config: &CaloCloudsConfig,
) -> Result<CaloCloudsResult> {
    let nb = config.n_batches.max(1);
    if reference.len() < 2 * nb || generated.len() < nb {
        return Err(EvalError::Invalid {
            what: "caloclouds protocol",
            message: format!(
                "needs at least {} reference and {} generated showers, got {} and {}",
                2 * nb,
                nb,
                reference.len(),
                generated.len()
            ),
        });
    }
    let mut rng = SeededSampler::new(config.seed);
    let edges = ProfileEdges::from_reference(reference, geometry, config.threshold_mev);
    let ro = cell_observables(reference, geometry, config.threshold_mev, &edges);
    let go = cell_observables(generated, geometry, config.threshold_mev, &edges);

    let ref_order = shuffled(reference.len(), &mut rng);
    let half = reference.len() / 2;
    let (a, b) = ref_order.split_at(half);
    let gen_order = shuffled(generated.len(), &mut rng);
    let batch = half.min(generated.len()) / nb;
    let (a, b, g) = (&a[..batch * nb], &b[..batch * nb], &gen_order[..batch * nb]);

    let pa = pooled_cells(reference, a, config.threshold_mev, &mut rng);
    let pb = pooled_cells(reference, b, config.threshold_mev, &mut rng);
    let pg = pooled_cells(generated, g, config.threshold_mev, &mut rng);
    let model = w1_groups(&ro, a, &go, g, nb, batch, (&pa, &pg))?;
    let baseline = w1_groups(&ro, a, &ro, b, nb, batch, (&pa, &pb))?;
    let w1: BTreeMap<String, W1Pair> = model
        .into_iter()
        .map(|(k, m)| {
            let b = baseline[&k];
            (
                k,
                W1Pair {
                    model: m,
                    baseline: b,
                },
            )
        })
        .collect();

    let classifier_auc = if config.classifier_repeats > 0 {
        let rows = |o: &CellObservables, idx: &[usize]| {
            let all = o.classifier_inputs();
            idx.iter()
                .flat_map(|&i| all[i * 25..(i + 1) * 25].to_vec())
                .collect::<Vec<f64>>()
        };
        let (ra, rb, rg) = (rows(&ro, a), rows(&ro, b), rows(&go, g));
        let (mut model, mut base) = (Vec::new(), Vec::new());
        for k in 0..config.classifier_repeats {
            let cfg = ClassifierConfig::caloclouds(config.seed.wrapping_add(1000 + k as u64));
            model.push(train_and_score(&ra, &rg, 25, &cfg)?.auc);
            base.push(train_and_score(&ra, &rb, 25, &cfg)?.auc);
        }
        Some(W1Pair {
            model: Score::of(&model),
            baseline: Score::of(&base),
        })
    } else {
        None
    };

    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let mut means = BTreeMap::new();
    means.insert("n_hits".into(), [mean(&ro.n_hits), mean(&go.n_hits)]);
    means.insert(
        "e_vis_over_e_inc".into(),
        [mean(&ro.sampling_fraction()), mean(&go.sampling_fraction())],
    );
    means.insert("cog_z_mm".into(), [mean(&ro.cog_z), mean(&go.cog_z)]);

    Ok(CaloCloudsResult {
        n_reference: reference.len(),
        n_generated: generated.len(),
        batch_size: batch,
        threshold_mev: config.threshold_mev,
        edges,
        classifier_auc,
        means,
        figures: figures::caloclouds(&ro, &go, config.threshold_mev, &w1),
        w1,
    })
}
