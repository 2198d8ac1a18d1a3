//! The CaloHadronic protocol's computation (the folder's `mod.rs` lists what it scores).
//!
//! Choices where the papers leave room (each is a field of [`CaloHadronicConfig`] or stated here):
//! the cell threshold defaults to each layer's half MIP from the geometry (paper 004 cuts at
//! 0.02 MeV on its own energy scale); E_long and E_radial are the energy-weighted distributions of
//! the hits' layer index and distance from the shower axis; our files have continuous incident
//! energies, so a "fixed energy" is a window of ±`energy_half_width_gev` whose showers' visible
//! energies are scaled to the window centre (E_vis · E₀/E_inc), which removes the spread the window
//! itself would add; the 90 % core is cut 5 % on each side (`Core::Central`, as CaloHadronic's
//! plotting code); JS distances use the natural logarithm (scipy's default).

use std::collections::BTreeMap;

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

use super::plots;
use super::result::{
    AngleComparison, AngleResult, AngleStats, CaloHadronicConfig, CaloHadronicResult, EnergyWindow,
    ObservableScore, PearsonResult, ResolutionPoint,
};
use super::sample::{analyse, shower_columns, HitColumns, Sample};
use crate::error::{invalid, Result};
use crate::linalg::RowMatrix;
use crate::metrics::correlation::pearson_matrix;
use crate::metrics::histogram::{auto_edges, histogram, histogram_weighted, logspace_edges};
use crate::metrics::jsd::{
    jensen_shannon_distance, jensen_shannon_samples, jensen_shannon_weighted,
};
use crate::metrics::quantile_kl::{kl_divergence, quantile_kl, weighted_quantile_edges};
use crate::metrics::resolution::{resolution90, Core, Resolution};
use crate::metrics::stats::{mean, median, std, weighted_std, MeanStd};
use crate::metrics::wasserstein::{wasserstein_1d, wasserstein_1d_weighted};
use crate::observables::shape::ShowerShapes;
use crate::rng::SeededSampler;

/// One batch of one observable: reference values and weights, generated values and weights
/// (`None` weights: unweighted).
type Batch = (Vec<f64>, Option<Vec<f64>>, Vec<f64>, Option<Vec<f64>>);

/// One observable's batched scores: `batches` gives, per batch, (reference values, reference
/// weights, generated values, generated weights); `None` weights = unweighted.
fn batched_scores(batches: &[Batch], scale: f64, n_quantiles: usize) -> Result<ObservableScore> {
    let mut w1 = Vec::new();
    let mut kl = Vec::new();
    for (r, rw, g, gw) in batches {
        if r.is_empty() || g.is_empty() {
            continue;
        }
        let (w, k) = match (rw, gw) {
            (Some(rw), Some(gw)) => {
                let edges = weighted_quantile_edges(r, rw, n_quantiles);
                let p = histogram_weighted(r, rw, &edges)?;
                let q = histogram_weighted(g, gw, &edges)?;
                (
                    wasserstein_1d_weighted(r, rw, g, gw)?,
                    kl_divergence(&p, &q),
                )
            }
            _ => (wasserstein_1d(r, g)?, quantile_kl(r, g, n_quantiles)?),
        };
        w1.push(if scale > 0.0 { w / scale } else { w });
        if k.is_finite() {
            kl.push(k);
        }
    }
    if w1.is_empty() {
        return Err(invalid(
            "calohadronic protocol",
            "no batch with hits on both sides",
        ));
    }
    Ok(ObservableScore {
        w1_normalised: MeanStd::of(&w1),
        quantile_kl: (!kl.is_empty()).then(|| MeanStd::of(&kl)),
        kl_finite_batches: kl.len(),
    })
}

fn pearson_of(s: &ShowerShapes, names: &[&str]) -> Result<Vec<Vec<Option<f64>>>> {
    let col = |n: &str| -> &Vec<f64> {
        match n {
            "cog_x" => &s.cog_x,
            "cog_y" => &s.cog_y,
            "cog_z" => &s.cog_z,
            "e_inc" => &s.e_inc,
            "start_layer" => &s.start_layer,
            "e_vis" => &s.e_vis,
            "e_ecal" => &s.e_ecal,
            _ => &s.e_hcal,
        }
    };
    let d = names.len();
    let n = s.e_inc.len();
    let mut rows = Vec::with_capacity(n * d);
    for i in 0..n {
        for name in names {
            rows.push(col(name)[i]);
        }
    }
    let r = pearson_matrix(RowMatrix::new(&rows, d)?)?;
    Ok((0..d)
        .map(|i| {
            (0..d)
                .map(|j| Some(r[i * d + j]).filter(|v| v.is_finite()))
                .collect()
        })
        .collect())
}

fn resolution_point(
    s: &ShowerShapes,
    e0_gev: f64,
    hw_gev: f64,
    min_n: usize,
) -> (usize, Option<ResolutionPoint>) {
    let e0 = e0_gev * 1e3;
    let vals: Vec<f64> = s
        .e_inc
        .iter()
        .zip(&s.e_vis)
        .filter(|(ei, _)| (**ei - e0).abs() <= hw_gev * 1e3)
        .map(|(ei, ev)| ev * e0 / ei)
        .collect();
    let n = vals.len();
    if n < min_n.max(5) {
        return (n, None);
    }
    let r: Resolution = match resolution90(&vals, Core::Central) {
        Ok(r) => r,
        Err(_) => return (n, None),
    };
    let ok = [
        r.mu90,
        r.sigma90,
        r.relative,
        r.relative_error,
        r.sigma90_error,
    ]
    .iter()
    .all(|v| v.is_finite());
    (
        n,
        ok.then_some(ResolutionPoint {
            n_showers: n,
            mu90_mev: r.mu90,
            mu90_error_mev: r.mu90_error,
            sigma90_mev: r.sigma90,
            sigma90_error_mev: r.sigma90_error,
            relative: r.relative,
            relative_error: r.relative_error,
            response: r.mu90 / e0,
            response_error: r.mu90_error / e0,
        }),
    )
}

fn angle_stats(x: &[f64]) -> AngleStats {
    AngleStats {
        mean_deg: mean(x),
        std_deg: std(x, 0),
        median_deg: median(x),
    }
}

fn compare_angles(r: &[f64], g: &[f64], bins: usize) -> Result<AngleComparison> {
    let s = std(r, 0);
    let w = wasserstein_1d(r, g)?;
    Ok(AngleComparison {
        reference: angle_stats(r),
        generated: angle_stats(g),
        w1_normalised: if s > 0.0 { w / s } else { w },
        jsd: jensen_shannon_samples(r, g, bins)?,
    })
}

/// Normalised W1 and quantile KL of every per-shower observable and of the hit-level ones (cell
/// energies unweighted, layer and radius energy-weighted), batch by batch: `r.1[b]` are the
/// indices into sample `r.0` of batch `b`, likewise `g`. The scale of each W1 is the spread of
/// `r`'s whole sample.
fn score_observables(
    r: (&Sample, &[Vec<usize>]),
    g: (&Sample, &[Vec<usize>]),
    with_hcal: bool,
    config: &CaloHadronicConfig,
) -> Result<BTreeMap<String, ObservableScore>> {
    let ((rs, rb), (gs, gb)) = (r, g);
    let mut scores = BTreeMap::new();
    let (rc, gc) = (
        shower_columns(&rs.shapes, with_hcal),
        shower_columns(&gs.shapes, with_hcal),
    );
    let pick = |v: &Vec<f64>, idx: &[usize]| idx.iter().map(|&i| v[i]).collect::<Vec<_>>();
    for ((name, r), (_, g)) in rc.iter().zip(&gc) {
        let batches: Vec<Batch> = rb
            .iter()
            .zip(gb)
            .map(|(ri, gi)| (pick(r, ri), None, pick(g, gi), None))
            .collect();
        scores.insert(
            name.to_string(),
            batched_scores(&batches, std(r, 0), config.n_quantiles)?,
        );
    }
    let hit_batches: Vec<(HitColumns, HitColumns)> = rb
        .iter()
        .zip(gb)
        .map(|(ri, gi)| (rs.hits.gather(ri), gs.hits.gather(gi)))
        .collect();
    let rh = &rs.hits;
    let e_cell: Vec<_> = hit_batches
        .iter()
        .map(|(r, g)| (r[0].clone(), None, g[0].clone(), None))
        .collect();
    scores.insert(
        "e_cell".into(),
        batched_scores(&e_cell, std(&rh.energy, 0), config.n_quantiles)?,
    );
    for (name, k, all) in [("e_long", 1usize, &rh.layer), ("e_radial", 2, &rh.radius)] {
        let b: Vec<_> = hit_batches
            .iter()
            .map(|(r, g)| {
                (
                    r[k].clone(),
                    Some(r[0].clone()),
                    g[k].clone(),
                    Some(g[0].clone()),
                )
            })
            .collect();
        scores.insert(
            name.into(),
            batched_scores(&b, weighted_std(all, &rh.energy), config.n_quantiles)?,
        );
    }
    Ok(scores)
}

/// Evaluate `generated` against `reference`, both cell showers of `geometry`.
pub fn evaluate_calohadronic(
    reference: &CellShowers,
    generated: &CellShowers,
    geometry: &PlanarGeometry,
    config: &CaloHadronicConfig,
) -> Result<CaloHadronicResult> {
    let nb = config.n_batches.max(1);
    let usable = reference
        .len()
        .min(generated.len())
        .min(nb * config.max_batch_size);
    let batch = usable / nb;
    if batch < 2 {
        return Err(invalid(
            "calohadronic protocol",
            format!(
                "needs at least {} showers on each side for {nb} batches, got {} reference and {} generated",
                2 * nb,
                reference.len(),
                generated.len()
            ),
        ));
    }
    let rs = analyse(reference, geometry, config);
    let gs = analyse(generated, geometry, config);
    let with_hcal = rs.shapes.hcal_first_layer < rs.shapes.n_layers;

    let mut rng = SeededSampler::new(config.seed);
    let ro = rng.permutation(reference.len());
    let go = rng.permutation(generated.len());

    // Per-shower and hit-level observables, the model against the reference; the same scores of
    // one half of the reference against the other are the Geant4-vs-Geant4 column.
    let batches = |o: &[usize], size: usize| -> Vec<Vec<usize>> {
        (0..nb)
            .map(|b| o[b * size..(b + 1) * size].to_vec())
            .collect()
    };
    let scores = score_observables(
        (&rs, &batches(&ro, batch)),
        (&gs, &batches(&go, batch)),
        with_hcal,
        config,
    )?;
    let half = reference.len() / 2;
    let baseline_batch = batch.min(half / nb);
    let baseline = if baseline_batch >= 2 {
        let (a, b) = ro.split_at(half);
        Some(score_observables(
            (&rs, &batches(a, baseline_batch)),
            (&rs, &batches(b, baseline_batch)),
            with_hcal,
            config,
        )?)
    } else {
        None
    };

    // Correlations (figure 10 of paper 004).
    let mut names = vec!["cog_x", "cog_y", "cog_z", "e_inc", "start_layer", "e_vis"];
    if with_hcal {
        names.extend(["e_ecal", "e_hcal"]);
    }
    let pr = pearson_of(&rs.shapes, &names)?;
    let pg = pearson_of(&gs.shapes, &names)?;
    let diff: Vec<Vec<Option<f64>>> = pr
        .iter()
        .zip(&pg)
        .map(|(a, b)| a.iter().zip(b).map(|(x, y)| Some((*y)? - (*x)?)).collect())
        .collect();
    let max_abs_difference = diff
        .iter()
        .flatten()
        .flatten()
        .map(|v| v.abs())
        .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));

    // Linearity and resolution at fixed energies (appendix G).
    let resolution = config
        .energies_gev
        .iter()
        .map(|&e| {
            let (nr, r) = resolution_point(
                &rs.shapes,
                e,
                config.energy_half_width_gev,
                config.min_showers_per_energy,
            );
            let (ng, g) = resolution_point(
                &gs.shapes,
                e,
                config.energy_half_width_gev,
                config.min_showers_per_energy,
            );
            EnergyWindow {
                energy_gev: e,
                half_width_gev: config.energy_half_width_gev,
                reference: r,
                generated: g,
                n_reference: nr,
                n_generated: ng,
            }
        })
        .collect();

    // Paper 001 table 2: JS distances of whole-sample histograms.
    let bins = config.jsd_bins.max(1);
    let mut jsd = BTreeMap::new();
    let (r, g) = (&rs.shapes, &gs.shapes);
    for (name, a, b) in [
        ("total_visible_energy", &r.e_vis, &g.e_vis),
        ("total_occupancy", &r.n_hits, &g.n_hits),
        ("cog_x", &r.cog_x, &g.cog_x),
        ("cog_y", &r.cog_y, &g.cog_y),
        ("cog_z", &r.cog_z, &g.cog_z),
    ] {
        jsd.insert(name.to_string(), jensen_shannon_samples(a, b, bins)?);
    }
    let (rh, gh) = (&rs.hits, &gs.hits);
    if !rh.energy.is_empty() && !gh.energy.is_empty() {
        let lo = rh
            .energy
            .iter()
            .chain(&gh.energy)
            .fold(f64::INFINITY, |a, &b| a.min(b));
        let hi = rh
            .energy
            .iter()
            .chain(&gh.energy)
            .fold(0.0f64, |a, &b| a.max(b));
        if lo > 0.0 && hi > lo {
            let edges = logspace_edges(lo, hi, bins);
            jsd.insert(
                "energy_per_cell".into(),
                jensen_shannon_distance(
                    &histogram(&rh.energy, &edges)?,
                    &histogram(&gh.energy, &edges)?,
                    None,
                )?,
            );
        }
        let layer_edges: Vec<f64> = (0..=r.n_layers).map(|l| l as f64 - 0.5).collect();
        let ones_r = vec![1.0; rh.energy.len()];
        let ones_g = vec![1.0; gh.energy.len()];
        let rmax = rh
            .radius
            .iter()
            .chain(&gh.radius)
            .fold(0.0f64, |a, &b| a.max(b));
        let radial_edges = auto_edges(&[0.0, rmax], bins)?;
        for (name, k, edges) in [
            ("energy_per_layer", 1usize, &layer_edges),
            ("energy_per_radius", 2, &radial_edges),
            ("occupancy_per_layer", 1, &layer_edges),
            ("occupancy_per_radius", 2, &radial_edges),
        ] {
            let (rv, gv) = if k == 1 {
                (&rh.layer, &gh.layer)
            } else {
                (&rh.radius, &gh.radius)
            };
            let (rw, gw) = if name.starts_with("energy") {
                (&rh.energy, &gh.energy)
            } else {
                (&ones_r, &ones_g)
            };
            jsd.insert(
                name.into(),
                jensen_shannon_weighted((rv, rw), (gv, gw), edges)?,
            );
        }
    }

    // Paper 001 §4.3: PCA axis against the incident direction.
    let mut angles = Vec::new();
    for (j, &pct) in config.top_percent.iter().enumerate() {
        let (ra, ga) = (&rs.angles[j], &gs.angles[j]);
        if ra[0].len() < 2 || ga[0].len() < 2 {
            continue;
        }
        angles.push(AngleResult {
            top_percent: pct,
            n_reference: ra[0].len(),
            n_generated: ga[0].len(),
            angle: compare_angles(&ra[0], &ga[0], bins)?,
            d_theta: compare_angles(&ra[1], &ga[1], bins)?,
            d_phi: compare_angles(&ra[2], &ga[2], bins)?,
        });
    }

    let mut means = BTreeMap::new();
    let sf = |s: &ShowerShapes| mean(&s.e_vis) / mean(&s.e_inc);
    means.insert("e_vis_over_e_inc".into(), [sf(r), sf(g)]);
    for (name, a, b) in [
        ("n_hits", &r.n_hits, &g.n_hits),
        ("start_layer", &r.start_layer, &g.start_layer),
        ("cog_z_mm", &r.cog_z, &g.cog_z),
    ] {
        means.insert(name.into(), [mean(a), mean(b)]);
    }
    if with_hcal {
        means.insert("e_ecal_mev".into(), [mean(&r.e_ecal), mean(&g.e_ecal)]);
        means.insert("e_hcal_mev".into(), [mean(&r.e_hcal), mean(&g.e_hcal)]);
    }

    let figures = plots::from_samples(&plots::Parts {
        reference: &rs,
        generated: &gs,
        scores: &scores,
        names: &names,
        pearson_difference: &diff,
        top_percent: &config.top_percent,
        bins,
    })?;

    Ok(CaloHadronicResult {
        figures,
        n_reference: reference.len(),
        n_generated: generated.len(),
        threshold_mev: config.threshold_mev,
        hcal_first_layer: r.hcal_first_layer,
        n_layers: r.n_layers,
        n_batches: nb,
        batch_size: batch,
        n_quantiles: config.n_quantiles,
        scores,
        baseline_batch_size: baseline.as_ref().map(|_| baseline_batch),
        baseline,
        pearson: PearsonResult {
            observables: names.iter().map(|s| s.to_string()).collect(),
            reference: pr,
            generated: pg,
            difference: diff,
            max_abs_difference,
        },
        resolution,
        jsd,
        angles,
        directions_from_file: [r.direction.is_some(), g.direction.is_some()],
        means,
        config: config.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::resolution::sigma_error;

    /// The delta-method error of σ (paper 004 eq. G.1) against the spread of σ over many
    /// independent Gaussian samples, and against the Gaussian closed form σ/√(2(n−1)).
    #[test]
    fn delta_method_error_matches_monte_carlo() {
        let mut rng = SeededSampler::new(11);
        let mut u = || ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64;
        let n = 400;
        let sigma = 3.0;
        let (mut ses, mut sds) = (Vec::new(), Vec::new());
        for _ in 0..2000 {
            let x: Vec<f64> = (0..n)
                .map(|_| sigma * (-2.0 * u().ln()).sqrt() * (std::f64::consts::TAU * u()).cos())
                .collect();
            sds.push(std(&x, 1));
            ses.push(sigma_error(&x));
        }
        let mc = std(&sds, 1);
        let delta = mean(&ses);
        let closed = sigma / (2.0 * (n as f64 - 1.0)).sqrt();
        assert!((delta / mc - 1.0).abs() < 0.06, "delta {delta} vs MC {mc}");
        assert!(
            (delta / closed - 1.0).abs() < 0.03,
            "delta {delta} vs closed {closed}"
        );
    }

    fn toy(g: &PlanarGeometry, n: usize, seed: u64, tilt: f64) -> CellShowers {
        // Showers along a direction tilted by `tilt` in x: a hard core on the axis in every layer
        // plus soft cells beside it; energies scale with the incident energy.
        let mut rng = SeededSampler::new(seed);
        let mut c = CellShowers::new();
        c.direction = Some(Vec::new());
        for i in 0..n {
            let e_inc = 10_000.0 + 80_000.0 * (i as f64 + 0.5) / n as f64;
            let jitter = 1.0 + 0.05 * ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5);
            for l in 0..30u16 {
                let layer = &g.layers[l as usize];
                let ix = (tilt.tan() * (layer.depth_mm + 1.0) / layer.cell_mm).round() as i32;
                let e = (e_inc * 1e-3 * jitter * (1.0 + (l % 5) as f64)) as f32;
                c.push_cell(l, ix, 0, e);
                c.push_cell(l, ix + 2, 1 + (l % 3) as i32, 0.2);
            }
            c.end_shower(
                e_inc as f32,
                Some([tilt.sin() as f32, 0.0, tilt.cos() as f32]),
            );
        }
        c
    }

    #[test]
    fn identical_samples_score_zero_and_a_shift_is_seen() {
        let g = calogen_geometry::Geometry::load("ild-ecal-wide").unwrap();
        let calogen_geometry::Geometry::Planar(g) = g else {
            panic!()
        };
        let a = toy(&g, 200, 1, 0.3);
        // One batch: both sides then hold the same showers, whatever the shuffles.
        let mut cfg = CaloHadronicConfig::new(3);
        cfg.n_batches = 1;
        let r = evaluate_calohadronic(&a, &a, &g, &cfg).unwrap();
        assert_eq!(r.hcal_first_layer, 30);
        for (k, v) in &r.scores {
            assert!(v.w1_normalised.mean.abs() < 1e-12, "{k}");
            assert!(v.quantile_kl.unwrap().mean.abs() < 1e-12, "{k}");
        }
        assert!(r.jsd.values().all(|v| v.abs() < 1e-7), "{:?}", r.jsd);
        assert_eq!(r.pearson.max_abs_difference, Some(0.0));
        // The toy's core is on the true axis up to the rounding to 5 mm cells: the PCA of all hits
        // (the soft ones weigh nothing) finds the 0.3 rad direction to within a degree; the top 4 %
        // (three cells, 26 mm apart in depth) to within the rounding's few degrees.
        let (top4, all) = (&r.angles[0], &r.angles[1]);
        assert_eq!((top4.top_percent, all.top_percent), (4.0, 100.0));
        assert!(all.angle.reference.mean_deg < 1.0, "{:?}", all.angle);
        assert!(top4.angle.reference.mean_deg < 10.0, "{:?}", top4.angle);
        // Linearity: E_vis ∝ E_inc, so µ90/E₀ is the same at every energy.
        let resp: Vec<f64> = r
            .resolution
            .iter()
            .map(|w| w.reference.as_ref().unwrap().response)
            .collect();
        assert!(
            resp.windows(2).all(|p| (p[0] / p[1] - 1.0).abs() < 0.02),
            "{resp:?}"
        );
        // A different tilt moves the CoG, which the scores see.
        let b = toy(&g, 200, 2, 0.1);
        let r = evaluate_calohadronic(&a, &b, &g, &cfg).unwrap();
        assert!(r.scores["cog_x"].w1_normalised.mean > 1.0);
        assert!(r.jsd["cog_x"] > 0.5);
        assert!(serde_json::to_string(&r).unwrap().contains("\"e_long\""));
        assert!(r.markdown().contains("| e_radial |"));
    }
}
