//! The CaloClouds II protocol's computation: standardised W1 of the observable groups for the
//! model and the Geant4 baseline, and the classifier AUCs.
//!
//! The reference is split at random into two halves A and B: the model is scored A vs generated,
//! the baseline A vs B, with the same batch size, so the two columns are directly comparable.

use std::collections::BTreeMap;

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

use super::plots;
use super::result::{CaloCloudsConfig, CaloCloudsResult, W1Pair};
use crate::classifier::{train_and_score, ClassifierConfig};
use crate::error::{EvalError, Result};
use crate::linalg::RowMatrix;
use crate::metrics::wasserstein::{combine_scores, standardized_wasserstein};
use crate::observables::{cell_observables, CellObservables, ProfileEdges};
use crate::protocols::protocol::Score;
use crate::rng::SeededSampler;

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
        out.insert(name.to_string(), by_name[name]);
    }
    for group in ["e_long", "e_radial"] {
        let s: Vec<_> = (0..10)
            .map(|j| by_name[format!("{group}_{j}").as_str()])
            .collect();
        out.insert(group.to_string(), combine_scores(&s));
    }
    // Cell energies: a pool per side, batched the same way (the paper uses 50k hits per batch).
    let (rp, gp) = cell_pool;
    let per = (rp.len().min(gp.len()) / n_batches).max(1);
    if rp.len() >= n_batches && gp.len() >= n_batches {
        let r = RowMatrix::new(&rp[..per * n_batches], 1)?;
        let g = RowMatrix::new(&gp[..per * n_batches], 1)?;
        let s = standardized_wasserstein(r, g, n_batches, per)?;
        out.insert("e_cell".to_string(), s[0]);
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
    let order = rng.permutation(v.len());
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

    let ref_order = rng.permutation(reference.len());
    let half = reference.len() / 2;
    let (a, b) = ref_order.split_at(half);
    let gen_order = rng.permutation(generated.len());
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
        figures: plots::figures(&ro, &go, config.threshold_mev, &w1),
        w1,
    })
}
