//! The CaloChallenge protocol's computation: high-level features and their classifier inputs,
//! then every score of [`CaloChallengeResult`].

use std::collections::BTreeMap;

use calogen_data::VoxelShowers;
use calogen_geometry::Voxelisation;

use super::plots::{self, ChallengeInputs};
use super::result::{CaloChallengeConfig, CaloChallengeResult, ValueWithError};
use crate::classifier::{train_and_score, ClassifierConfig};
use crate::error::{EvalError, Result};
use crate::linalg::RowMatrix;
use crate::metrics::correlation::pearson_matrix;
use crate::metrics::frechet::fpd;
use crate::metrics::histogram::challenge::{self, Dataset};
use crate::metrics::kernel::kpd;
use crate::metrics::prdc::prdc;
use crate::metrics::separation_power::separation_power_samples;
use crate::observables::calochallenge::kept;
use crate::observables::{high_level_features_with, HighLevelFeatures, Sums};

/// A feature family of one layer: name, reference and generated blocks, binning.
type Family<'a> = (&'static str, &'a [f64], &'a [f64], Vec<f64>);

/// The challenge's dataset from a geometry name (`calochallenge-ds2` …).
pub fn dataset_of(geometry: &Voxelisation) -> Dataset {
    match geometry.name.as_str() {
        n if n.contains("ds1-photons") => Dataset::Ds1Photons,
        n if n.contains("ds1-pions") => Dataset::Ds1Pions,
        n if n.contains("ds3") => Dataset::Ds3,
        _ => Dataset::Ds2,
    }
}

/// High-level inputs of the classifier and of FPD/KPD in CaloChallenge 2022's order and scale
/// (`prepare_high_data_for_classifier`): log10 E_inc, log10(E_layer + 1e-8) per layer, the
/// centres and widths in eta and phi of the layers binned in alpha divided by 100, log10(E_tot +
/// 1e-8), the sparsity per layer, and the centre and width in r per layer divided by 100
/// (362 features on dataset 2).
fn high_level_rows(f: &HighLevelFeatures, layers: &[usize], alpha: &[usize]) -> (Vec<f64>, usize) {
    let nl = f.n_layers;
    let width = 2 + 4 * layers.len() + 4 * alpha.len();
    let mut out = Vec::with_capacity(f.len() * width);
    for i in 0..f.len() {
        out.push(f.e_inc[i].log10());
        for &l in layers {
            out.push((f.e_layer[i * nl + l] + 1e-8).log10());
        }
        for block in [&f.ec_eta, &f.ec_phi, &f.width_eta, &f.width_phi] {
            for &l in alpha {
                out.push(block[i * nl + l] / 1e2);
            }
        }
        out.push((f.e_tot[i] + 1e-8).log10());
        for &l in layers {
            out.push(f.sparsity[i * nl + l]);
        }
        for block in [&f.ec_r, &f.width_r] {
            for &l in layers {
                out.push(block[i * nl + l] / 1e2);
            }
        }
    }
    (out, width)
}

/// Low-level inputs as the challenge orders them: log10 E_inc, then voxels / E_inc after the
/// threshold (kept at or above it).
fn low_level_rows(v: &VoxelShowers, threshold: f64) -> (Vec<f64>, usize) {
    let width = v.n_voxels + 1;
    let mut out = Vec::with_capacity(v.len() * width);
    for i in 0..v.len() {
        let e = v.incident_energy[i] as f64;
        out.push(e.log10());
        out.extend(v.shower(i).iter().map(|&x| {
            if kept(x as f64, threshold) {
                x as f64 / e
            } else {
                0.0
            }
        }));
    }
    (out, width)
}

pub fn evaluate_calochallenge(
    reference: &VoxelShowers,
    generated: &VoxelShowers,
    geometry: &Voxelisation,
    config: &CaloChallengeConfig,
) -> Result<CaloChallengeResult> {
    if reference.n_voxels != geometry.n_voxels || generated.n_voxels != geometry.n_voxels {
        return Err(EvalError::Invalid {
            what: "calochallenge protocol",
            message: format!(
                "{} has {} voxels; the files have {} and {}",
                geometry.name, geometry.n_voxels, reference.n_voxels, generated.n_voxels
            ),
        });
    }
    let ds = dataset_of(geometry);
    let thr = config.threshold_mev;
    let fr = high_level_features_with(reference, geometry, thr, config.sums);
    let fg = high_level_features_with(generated, geometry, thr, config.sums);
    // evaluate.py's log-binned histograms end at 10^log10(max) with the log10 of the float32
    // maximum taken in float32. numpy's float32 log10 is a SIMD one on AVX-512 machines, not
    // correctly rounded, so whether the largest reference entry of a layer is inside the last bin
    // can differ from this (correctly rounded) one: one entry of the layer's histogram
    // (docs/calochallenge-parity.md measures it).
    let top = |max: f64| match config.sums {
        Sums::Float32 if max > 0.0 => 10f64.powf((max as f32).log10() as f64),
        _ => max,
    };
    let nl = geometry.n_layers();
    let layers: Vec<usize> = (0..nl)
        .filter(|&l| geometry.layers[l].n_voxels() > 0)
        .collect();
    // eta/phi centres and widths exist only where there is more than one alpha bin (the
    // challenge's `layersBinnedInAlpha`; every layer of datasets 2 and 3).
    let alpha: Vec<usize> = layers
        .iter()
        .copied()
        .filter(|&l| geometry.layers[l].n_alpha > 1)
        .collect();

    let mut sp = BTreeMap::new();
    sp.insert(
        "etot_einc".to_string(),
        separation_power_samples(
            &fr.etot_over_einc(),
            &fg.etot_over_einc(),
            &challenge::etot_einc(),
        )?,
    );
    let vmax = fr
        .voxel_energy
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(challenge::min_energy(ds) * 10.0);
    sp.insert(
        "voxel_energy".to_string(),
        separation_power_samples(
            &fr.voxel_energy,
            &fg.voxel_energy,
            &challenge::voxel_energy(ds, top(vmax)),
        )?,
    );
    let col = |b: &[f64], l| HighLevelFeatures::layer_column(b, l, nl);
    let mut families: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for &l in &layers {
        let emax = col(&fr.e_layer, l)
            .into_iter()
            .fold(0.0, f64::max)
            .max(challenge::min_energy(ds) * 10.0);
        let mut items: Vec<Family> = vec![(
            "e_layer",
            &fr.e_layer,
            &fg.e_layer,
            challenge::layer_energy(ds, top(emax)),
        )];
        if alpha.contains(&l) {
            items.extend([
                (
                    "ec_eta",
                    &fr.ec_eta[..],
                    &fg.ec_eta[..],
                    challenge::centre_eta_phi(ds, l),
                ),
                (
                    "ec_phi",
                    &fr.ec_phi,
                    &fg.ec_phi,
                    challenge::centre_eta_phi(ds, l),
                ),
                (
                    "width_eta",
                    &fr.width_eta,
                    &fg.width_eta,
                    challenge::width_eta_phi(ds, l),
                ),
                (
                    "width_phi",
                    &fr.width_phi,
                    &fg.width_phi,
                    challenge::width_eta_phi(ds, l),
                ),
            ]);
        }
        items.extend([
            (
                "ec_r",
                &fr.ec_r[..],
                &fg.ec_r[..],
                challenge::centre_r(ds, l),
            ),
            (
                "width_r",
                &fr.width_r,
                &fg.width_r,
                challenge::width_r(ds, l),
            ),
            (
                "sparsity",
                &fr.sparsity,
                &fg.sparsity,
                challenge::sparsity(),
            ),
        ]);
        for (name, r, g, edges) in items {
            let s = separation_power_samples(&col(r, l), &col(g, l), &edges)?;
            if s.is_finite() {
                families.entry(name.to_string()).or_default().push(s);
            }
            sp.insert(format!("{name}_{l}"), s);
        }
    }
    let sp_mean = families
        .into_iter()
        .map(|(k, v)| (k, v.iter().sum::<f64>() / v.len().max(1) as f64))
        .collect();

    // Pearson correlations of the layer energies (layers with voxels).
    let layer_rows = |f: &HighLevelFeatures| -> Vec<f64> {
        (0..f.len())
            .flat_map(|i| layers.iter().map(move |&l| f.e_layer[i * nl + l]))
            .collect()
    };
    let (lr, lg) = (layer_rows(&fr), layer_rows(&fg));
    let cr = pearson_matrix(RowMatrix::new(&lr, layers.len())?)?;
    let cg = pearson_matrix(RowMatrix::new(&lg, layers.len())?)?;
    let diffs: Vec<f64> = cr
        .iter()
        .zip(&cg)
        .map(|(a, b)| (a - b).abs())
        .filter(|d| d.is_finite())
        .collect();
    let corr_max = diffs.iter().copied().fold(0.0, f64::max);
    let corr_mean = diffs.iter().sum::<f64>() / diffs.len().max(1) as f64;

    let (hr, width) = high_level_rows(&fr, &layers, &alpha);
    let (hg, _) = high_level_rows(&fg, &layers, &alpha);
    let n_min = reference.len().min(generated.len());
    let fpd_v = {
        let cfg = config.fpd_kpd.fpd(n_min, config.seed);
        fpd(
            RowMatrix::new(&hr, width)?,
            RowMatrix::new(&hg, width)?,
            &cfg,
        )
        .ok()
        .map(|v| ValueWithError {
            value: v.value,
            error: v.error,
        })
    };
    let kpd_v = {
        let cfg = config.fpd_kpd.kpd(n_min, config.seed);
        kpd(
            RowMatrix::new(&hr, width)?,
            RowMatrix::new(&hg, width)?,
            &cfg,
        )
        .ok()
        .map(|v| ValueWithError {
            value: v.value,
            error: v.error,
        })
    };

    let prdc_v = if config.prdc_showers > 0 {
        let m = config.prdc_showers.min(n_min);
        let logv = |v: &VoxelShowers| -> Vec<f64> {
            // log10 of the thresholded voxel energy; empty voxels sit at the threshold's log so
            // that an empty voxel and a barely lit one are close, not 10 decades apart.
            let floor = thr.max(1e-6).log10();
            (0..m)
                .flat_map(|i| {
                    v.shower(i)
                        .iter()
                        .map(|&x| {
                            if kept(x as f64, thr) {
                                (x as f64).log10()
                            } else {
                                floor
                            }
                        })
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        let (a, b) = (logv(reference), logv(generated));
        let p = prdc(
            RowMatrix::new(&a, geometry.n_voxels)?,
            RowMatrix::new(&b, geometry.n_voxels)?,
            5,
        )?;
        Some(BTreeMap::from([
            ("precision".to_string(), p.precision),
            ("recall".to_string(), p.recall),
            ("density".to_string(), p.density),
            ("coverage".to_string(), p.coverage),
        ]))
    } else {
        None
    };

    let (low, high) = if config.classifier_epochs > 0 {
        let mut cfg = ClassifierConfig::calochallenge(config.seed);
        cfg.epochs = config.classifier_epochs;
        let (lr_, w) = low_level_rows(reference, thr);
        let (lg_, _) = low_level_rows(generated, thr);
        let low = train_and_score(&lr_, &lg_, w, &cfg)?;
        let high = train_and_score(&hr, &hg, width, &cfg)?;
        (Some(low), Some(high))
    } else {
        (None, None)
    };

    let figures = plots::figures(&ChallengeInputs {
        reference: &fr,
        generated: &fg,
        reference_voxels: reference,
        generated_voxels: generated,
        geometry,
        dataset: ds,
        threshold_mev: thr,
        layers: &layers,
        correlation_reference: &cr,
        correlation_generated: &cg,
        separation_power: &sp,
    });
    Ok(CaloChallengeResult {
        dataset: format!("{ds:?}"),
        n_reference: reference.len(),
        n_generated: generated.len(),
        threshold_mev: thr,
        separation_power: sp,
        separation_power_mean: sp_mean,
        correlation_max_abs_diff: corr_max,
        correlation_mean_abs_diff: corr_mean,
        fpd: fpd_v,
        kpd: kpd_v,
        prdc: prdc_v,
        classifier_low_level: low,
        classifier_high_level: high,
        figures,
    })
}
