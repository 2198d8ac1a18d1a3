//! The CaloHadronic protocol (paper 004 §4 and appendices F–G) with the CaloClouds3 extras
//! (paper 001 §4), at cell level:
//!
//! - normalised W1 (W1 of each batch over the standard deviation of the whole reference, the
//!   "normalized WD" of table 4) and quantile KL (25 reference quantiles) of the shower
//!   observables over batches (five of up to 10 000 showers);
//! - the Pearson matrix of CoG x/y/z, incident energy, start layer, E_vis, E_ECAL, E_HCAL for
//!   Geant4 and the model, and their difference (figure 10);
//! - µ90, σ90/µ90 of the visible energy at fixed incident energies with the delta-method errors
//!   (appendix G, figure 22): linearity and resolution;
//! - Jensen–Shannon distances of the histograms of paper 001 table 2 (energy per cell, per layer,
//!   per radius, total and per-layer and per-radius occupancy, CoG);
//! - the shower axis from an energy-weighted PCA of the top 4 % and 100 % most energetic hits
//!   against the incident direction (paper 001 §4.3): the angle errors of both samples.
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
use std::fmt::Write as _;

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;
use serde::Serialize;

use super::Score;
use crate::error::{invalid, Result};
use crate::linalg::RowMatrix;
use crate::metrics::correlation::pearson_matrix;
use crate::metrics::histogram::{auto_edges, histogram, histogram_weighted, logspace_edges};
use crate::metrics::jsd::jensen_shannon_distance;
use crate::metrics::quantile_kl::{kl_divergence, quantile_kl};
use crate::metrics::resolution::{resolution90, Core, Resolution};
use crate::metrics::wasserstein::wasserstein_1d;
use crate::observables::shape::{
    angle_error, principal_axis, shower_hits, shower_shapes, ShowerShapes,
};
use crate::report::figures::{self, HadronicInputs};
use crate::report::Figure;
use crate::rng::SeededSampler;
use crate::stats::{mean, median, std, MeanStd};

#[derive(Debug, Clone, Serialize)]
pub struct CaloHadronicConfig {
    /// One cell threshold for every layer, MeV; `None`: each layer's from the geometry.
    pub threshold_mev: Option<f64>,
    pub n_batches: usize,
    pub max_batch_size: usize,
    pub n_quantiles: usize,
    /// Centres of the fixed-energy windows, GeV.
    pub energies_gev: Vec<f64>,
    pub energy_half_width_gev: f64,
    /// Fewest showers in a window for µ90/σ90.
    pub min_showers_per_energy: usize,
    /// Percentages of the most energetic hits the PCA axis is fitted to.
    pub top_percent: Vec<f64>,
    /// Incident direction of showers whose file stores none (our pion gun: along the depth axis).
    pub default_direction: [f64; 3],
    /// Transverse position (x, y) and depth (mm) of the gun: the shower axis starts there.
    pub gun_position_mm: [f64; 3],
    /// Bins of the JSD histograms of continuous observables.
    pub jsd_bins: usize,
    pub seed: u64,
}

impl CaloHadronicConfig {
    /// The papers' settings: 5 batches of up to 10 000 showers, 25 quantiles, 15/50/85 GeV,
    /// top 4 % and 100 % of the hits; gun at the transverse origin 1 mm in front of the detector.
    pub fn new(seed: u64) -> Self {
        Self {
            threshold_mev: None,
            n_batches: 5,
            max_batch_size: 10_000,
            n_quantiles: 25,
            energies_gev: vec![15.0, 50.0, 85.0],
            energy_half_width_gev: 2.5,
            min_showers_per_energy: 10,
            top_percent: vec![4.0, 100.0],
            default_direction: [0.0, 0.0, 1.0],
            gun_position_mm: [0.0, 0.0, -1.0],
            jsd_bins: 50,
            seed,
        }
    }
}

/// Normalised W1 and quantile KL of one observable, mean ± std over batches.
#[derive(Debug, Clone, Serialize)]
pub struct ObservableScore {
    pub w1_normalised: Score,
    /// Over the batches whose KL is finite; `None` if none is (every batch has a quantile bin the
    /// model leaves empty: the supports differ).
    pub quantile_kl: Option<Score>,
    pub kl_finite_batches: usize,
}

/// A Pearson matrix; `None` where a correlation is undefined (a constant observable).
#[derive(Debug, Clone, Serialize)]
pub struct PearsonResult {
    pub observables: Vec<String>,
    pub reference: Vec<Vec<Option<f64>>>,
    pub generated: Vec<Vec<Option<f64>>>,
    /// generated − reference.
    pub difference: Vec<Vec<Option<f64>>>,
    pub max_abs_difference: Option<f64>,
}

/// µ90, σ90 and their errors of one sample in one energy window (MeV).
#[derive(Debug, Clone, Serialize)]
pub struct ResolutionPoint {
    pub n_showers: usize,
    pub mu90_mev: f64,
    pub mu90_error_mev: f64,
    pub sigma90_mev: f64,
    pub sigma90_error_mev: f64,
    /// σ90/µ90 (resolution) and its error.
    pub relative: f64,
    pub relative_error: f64,
    /// µ90 / E₀ (linearity: visible over incident energy).
    pub response: f64,
    pub response_error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnergyWindow {
    pub energy_gev: f64,
    pub half_width_gev: f64,
    /// `None` when the window holds fewer than `min_showers_per_energy` showers.
    pub reference: Option<ResolutionPoint>,
    pub generated: Option<ResolutionPoint>,
    pub n_reference: usize,
    pub n_generated: usize,
}

/// Mean, standard deviation and median of an angle error, degrees.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AngleStats {
    pub mean_deg: f64,
    pub std_deg: f64,
    pub median_deg: f64,
}

/// One angle-error quantity compared between the samples.
#[derive(Debug, Clone, Serialize)]
pub struct AngleComparison {
    pub reference: AngleStats,
    pub generated: AngleStats,
    /// W1 over the reference's standard deviation.
    pub w1_normalised: f64,
    pub jsd: f64,
}

/// PCA axis of the top `top_percent` % hits against the incident direction.
#[derive(Debug, Clone, Serialize)]
pub struct AngleResult {
    pub top_percent: f64,
    /// Showers with a defined axis, per sample.
    pub n_reference: usize,
    pub n_generated: usize,
    /// Total angle between axis and direction, and the θ (to the x axis) and φ errors.
    pub angle: AngleComparison,
    pub d_theta: AngleComparison,
    pub d_phi: AngleComparison,
}

#[derive(Debug, Clone, Serialize)]
pub struct CaloHadronicResult {
    pub n_reference: usize,
    pub n_generated: usize,
    /// `None`: each layer's threshold of the geometry.
    pub threshold_mev: Option<f64>,
    /// First HCAL layer (`n_layers` when the geometry has no HCAL).
    pub hcal_first_layer: usize,
    pub n_layers: usize,
    pub n_batches: usize,
    pub batch_size: usize,
    pub n_quantiles: usize,
    /// Normalised W1 and quantile KL per observable (table 4 of paper 004).
    pub scores: BTreeMap<String, ObservableScore>,
    pub pearson: PearsonResult,
    pub resolution: Vec<EnergyWindow>,
    /// Jensen–Shannon distances of the paper-001 histograms.
    pub jsd: BTreeMap<String, f64>,
    pub angles: Vec<AngleResult>,
    /// Whether the incident directions came from the files ([reference, generated]); `false`:
    /// `config.default_direction` was used.
    pub directions_from_file: [bool; 2],
    /// Means of headline observables, [reference, generated].
    pub means: BTreeMap<String, [f64; 2]>,
    pub config: CaloHadronicConfig,
    /// The report's plots (not part of metrics.json).
    #[serde(skip)]
    pub figures: Vec<Figure>,
}

/// Hits above threshold of all showers, flat, with per-shower offsets.
struct HitTable {
    offsets: Vec<usize>,
    energy: Vec<f64>,
    layer: Vec<f64>,
    radius: Vec<f64>,
}

impl HitTable {
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }

    /// Energy per shower and bin of `coord` (`n × (edges − 1)`, row-major): the rows of a mean
    /// profile plot. Hits outside the edges are not counted.
    fn energy_rows(&self, coord: &[f64], edges: &[f64]) -> Vec<f64> {
        let w = edges.len().saturating_sub(1);
        let n = self.offsets.len() - 1;
        let mut rows = vec![0.0; n * w];
        for i in 0..n {
            for k in self.range(i) {
                let v = coord[k];
                let b = edges.partition_point(|&e| e <= v);
                if b >= 1 && b <= w && v <= edges[w] {
                    rows[i * w + b - 1] += self.energy[k];
                }
            }
        }
        rows
    }

    /// The hits of the showers `idx`: (energy, layer, radius).
    fn gather(&self, idx: &[usize]) -> HitColumns {
        let mut out: HitColumns = Default::default();
        for &i in idx {
            let r = self.range(i);
            out[0].extend_from_slice(&self.energy[r.clone()]);
            out[1].extend_from_slice(&self.layer[r.clone()]);
            out[2].extend_from_slice(&self.radius[r]);
        }
        out
    }
}

/// Distance of `p` from the line through `a` along the unit vector `d`.
fn distance_to_axis(p: [f64; 3], a: [f64; 3], d: [f64; 3]) -> f64 {
    let v = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    let c = [
        v[1] * d[2] - v[2] * d[1],
        v[2] * d[0] - v[0] * d[2],
        v[0] * d[1] - v[1] * d[0],
    ];
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
}

/// Per-shower hits, radii and PCA angle errors (degrees) of one sample.
struct Sample {
    shapes: ShowerShapes,
    hits: HitTable,
    /// Per `top_percent`: (angle, dθ, dφ) of the showers with an axis.
    angles: Vec<[Vec<f64>; 3]>,
}

fn analyse(cells: &CellShowers, geometry: &PlanarGeometry, cfg: &CaloHadronicConfig) -> Sample {
    let shapes = shower_shapes(cells, geometry, cfg.threshold_mev);
    let mut hits = HitTable {
        offsets: vec![0],
        energy: Vec::new(),
        layer: Vec::new(),
        radius: Vec::new(),
    };
    let mut angles: Vec<[Vec<f64>; 3]> = vec![Default::default(); cfg.top_percent.len()];
    for i in 0..cells.len() {
        let h = shower_hits(cells, i, geometry, cfg.threshold_mev);
        let d = shapes
            .direction
            .as_ref()
            .map_or(cfg.default_direction, |v| v[i]);
        for k in 0..h.energy.len() {
            hits.energy.push(h.energy[k]);
            hits.layer.push(h.layer[k] as f64);
            hits.radius.push(distance_to_axis(
                [h.x[k], h.y[k], h.z[k]],
                cfg.gun_position_mm,
                d,
            ));
        }
        hits.offsets.push(hits.energy.len());
        for (j, &pct) in cfg.top_percent.iter().enumerate() {
            if let Some(axis) = principal_axis(&h.hits(), pct / 100.0) {
                let e = angle_error(axis, d);
                angles[j][0].push(e.angle.to_degrees());
                angles[j][1].push(e.d_theta.to_degrees());
                angles[j][2].push(e.d_phi.to_degrees());
            }
        }
    }
    Sample {
        shapes,
        hits,
        angles,
    }
}

/// W1 between weighted empirical distributions: ∫|F_u − F_v| with each CDF the cumulative
/// weight fraction (scipy's `wasserstein_distance(u, v, u_weights, v_weights)`).
pub fn wasserstein_1d_weighted(u: &[f64], uw: &[f64], v: &[f64], vw: &[f64]) -> Result<f64> {
    let su: f64 = uw.iter().sum();
    let sv: f64 = vw.iter().sum();
    if u.is_empty() || v.is_empty() || u.len() != uw.len() || v.len() != vw.len() {
        return Err(invalid(
            "wasserstein_1d_weighted",
            "samples must be non-empty and as long as their weights",
        ));
    }
    if !(su > 0.0 && sv > 0.0)
        || u.iter()
            .chain(v)
            .chain(uw)
            .chain(vw)
            .any(|x| !x.is_finite())
        || uw.iter().chain(vw).any(|&w| w < 0.0)
    {
        return Err(invalid(
            "wasserstein_1d_weighted",
            "values and weights must be finite, weights >= 0 with a positive sum",
        ));
    }
    let order = |x: &[f64]| {
        let mut o: Vec<usize> = (0..x.len()).collect();
        o.sort_unstable_by(|&a, &b| x[a].total_cmp(&x[b]));
        o
    };
    let (ou, ov) = (order(u), order(v));
    let (mut i, mut j) = (0usize, 0usize);
    let (mut fu, mut fv) = (0.0f64, 0.0f64);
    let mut prev = u[ou[0]].min(v[ov[0]]);
    let mut total = 0.0;
    while i < ou.len() || j < ov.len() {
        let x = match (ou.get(i), ov.get(j)) {
            (Some(&a), Some(&b)) => u[a].min(v[b]),
            (Some(&a), None) => u[a],
            (None, Some(&b)) => v[b],
            (None, None) => unreachable!(),
        };
        total += (fu - fv).abs() * (x - prev);
        while i < ou.len() && u[ou[i]] == x {
            fu += uw[ou[i]] / su;
            i += 1;
        }
        while j < ov.len() && v[ov[j]] == x {
            fv += vw[ov[j]] / sv;
            j += 1;
        }
        prev = x;
    }
    Ok(total)
}

/// Edges at the weighted quantiles `1/n … (n−1)/n` of the reference (smallest value whose
/// cumulative weight reaches the level), outer edges ±∞.
pub fn weighted_quantile_edges(values: &[f64], weights: &[f64], n: usize) -> Vec<f64> {
    let mut o: Vec<usize> = (0..values.len()).collect();
    o.sort_unstable_by(|&a, &b| values[a].total_cmp(&values[b]));
    let total: f64 = weights.iter().sum();
    let mut edges = vec![f64::NEG_INFINITY];
    let (mut cum, mut k) = (0.0, 0usize);
    for q in 1..n {
        let level = q as f64 / n as f64 * total;
        while k < o.len() && cum + weights[o[k]] < level {
            cum += weights[o[k]];
            k += 1;
        }
        edges.push(values[o[k.min(o.len() - 1)]]);
    }
    edges.push(f64::INFINITY);
    edges
}

fn weighted_std(x: &[f64], w: &[f64]) -> f64 {
    let s: f64 = w.iter().sum();
    let m = x.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() / s;
    (x.iter()
        .zip(w)
        .map(|(a, b)| b * (a - m) * (a - m))
        .sum::<f64>()
        / s)
        .sqrt()
}

/// One batch of one observable: reference values and weights, generated values and weights
/// (`None` weights: unweighted).
type Batch = (Vec<f64>, Option<Vec<f64>>, Vec<f64>, Option<Vec<f64>>);

/// The (energy, layer, radius) columns of the hits of a batch of showers.
type HitColumns = [Vec<f64>; 3];

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
        w1_normalised: MeanStd::of(&w1).into(),
        quantile_kl: (!kl.is_empty()).then(|| MeanStd::of(&kl).into()),
        kl_finite_batches: kl.len(),
    })
}

fn shuffled(n: usize, rng: &mut SeededSampler) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        v.swap(i, rng.below(i + 1));
    }
    v
}

/// The per-shower observables scored and correlated, by name.
fn shower_columns(s: &ShowerShapes, with_hcal: bool) -> Vec<(&'static str, &Vec<f64>)> {
    let mut c = vec![
        ("cog_x", &s.cog_x),
        ("cog_y", &s.cog_y),
        ("cog_z", &s.cog_z),
        ("start_layer", &s.start_layer),
        ("e_sum", &s.e_vis),
        ("n_hits", &s.n_hits),
    ];
    if with_hcal {
        c.extend([
            ("e_ecal", &s.e_ecal),
            ("e_hcal", &s.e_hcal),
            ("n_hits_ecal", &s.n_hits_ecal),
            ("n_hits_hcal", &s.n_hits_hcal),
        ]);
    }
    c
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

fn jsd_hist(r: &[f64], g: &[f64], bins: usize) -> Result<f64> {
    let both: Vec<f64> = r.iter().chain(g).copied().collect();
    let edges = auto_edges(&both, bins)?;
    jensen_shannon_distance(&histogram(r, &edges)?, &histogram(g, &edges)?, None)
}

fn jsd_weighted(r: (&[f64], &[f64]), g: (&[f64], &[f64]), edges: &[f64]) -> Result<f64> {
    jensen_shannon_distance(
        &histogram_weighted(r.0, r.1, edges)?,
        &histogram_weighted(g.0, g.1, edges)?,
        None,
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
        jsd: jsd_hist(r, g, bins)?,
    })
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
    let ro = shuffled(reference.len(), &mut rng);
    let go = shuffled(generated.len(), &mut rng);
    let batch_idx = |o: &[usize], b: usize| o[b * batch..(b + 1) * batch].to_vec();

    // Per-shower observables.
    let mut scores = BTreeMap::new();
    let (rc, gc) = (
        shower_columns(&rs.shapes, with_hcal),
        shower_columns(&gs.shapes, with_hcal),
    );
    for ((name, r), (_, g)) in rc.iter().zip(&gc) {
        let batches: Vec<_> = (0..nb)
            .map(|b| {
                let pick = |v: &Vec<f64>, idx: Vec<usize>| idx.iter().map(|&i| v[i]).collect();
                (
                    pick(r, batch_idx(&ro, b)),
                    None,
                    pick(g, batch_idx(&go, b)),
                    None,
                )
            })
            .collect();
        scores.insert(
            name.to_string(),
            batched_scores(&batches, std(r, 0), config.n_quantiles)?,
        );
    }
    // Hit-level observables: cell energies (unweighted), layer and radius (energy-weighted).
    let hit_batches: Vec<(HitColumns, HitColumns)> = (0..nb)
        .map(|b| {
            (
                rs.hits.gather(&batch_idx(&ro, b)),
                gs.hits.gather(&batch_idx(&go, b)),
            )
        })
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
        jsd.insert(name.to_string(), jsd_hist(a, b, bins)?);
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
            jsd.insert(name.into(), jsd_weighted((rv, rw), (gv, gw), edges)?);
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

    let figures = {
        let captions: BTreeMap<String, String> = scores
            .iter()
            .map(|(k, v): (&String, &ObservableScore)| {
                let kl = v
                    .quantile_kl
                    .map_or("quantile KL not finite".to_string(), |q| {
                        format!("quantile KL {:.3} ± {:.3}", q.mean, q.std)
                    });
                (
                    k.clone(),
                    format!(
                        "normalised W1 {:.3} ± {:.3}; {kl}",
                        v.w1_normalised.mean, v.w1_normalised.std
                    ),
                )
            })
            .collect();
        let layer_edges: Vec<f64> = (0..=r.n_layers).map(|l| l as f64 - 0.5).collect();
        let rmax = rh
            .radius
            .iter()
            .chain(&gh.radius)
            .fold(0.0f64, |a, &b| a.max(b));
        let radial_edges = if rmax > 0.0 {
            auto_edges(&[0.0, rmax], bins)?
        } else {
            Vec::new()
        };
        let (rl, gl) = (
            rh.energy_rows(&rh.layer, &layer_edges),
            gh.energy_rows(&gh.layer, &layer_edges),
        );
        let (rr, gr) = (
            rh.energy_rows(&rh.radius, &radial_edges),
            gh.energy_rows(&gh.radius, &radial_edges),
        );
        let pearson_names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        figures::calohadronic(&HadronicInputs {
            reference: r,
            generated: g,
            columns: rc
                .iter()
                .zip(&gc)
                .map(|((n, a), (_, b))| (*n, a.as_slice(), b.as_slice()))
                .collect(),
            hit_energy: [&rh.energy, &gh.energy],
            layer_energy: [&rl, &gl],
            radial_energy: [&rr, &gr],
            radial_edges: &radial_edges,
            // The plot starts at the smallest hit kept (per-layer thresholds differ).
            threshold_mev: rh
                .energy
                .iter()
                .chain(&gh.energy)
                .fold(f64::INFINITY, |a, &b| a.min(b)),
            angles: config
                .top_percent
                .iter()
                .enumerate()
                .filter(|(j, _)| rs.angles[*j][0].len() > 1 && gs.angles[*j][0].len() > 1)
                .map(|(j, &p)| (p, rs.angles[j][0].as_slice(), gs.angles[j][0].as_slice()))
                .collect(),
            pearson_names: &pearson_names,
            pearson_difference: &diff,
            captions: &captions,
        })
    };

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

fn cell(v: Option<f64>) -> String {
    v.map_or("–".into(), |v| format!("{v:+.2}"))
}

impl CaloHadronicResult {
    /// The report section (Markdown), headed by `##` titles.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "Cell threshold: {}; {}; {} batches of {} showers, {} quantiles.\n",
            self.threshold_mev
                .map_or("each layer's half MIP (geometry)".into(), |t| format!(
                    "{t} MeV"
                )),
            if self.hcal_first_layer < self.n_layers {
                format!(
                    "ECAL layers 0–{}, HCAL {}–{}",
                    self.hcal_first_layer - 1,
                    self.hcal_first_layer,
                    self.n_layers - 1
                )
            } else {
                format!("{} layers, no HCAL", self.n_layers)
            },
            self.n_batches,
            self.batch_size,
            self.n_quantiles
        );
        let _ = writeln!(s, "## Scores (paper 004 table 4)\n");
        let _ = writeln!(
            s,
            "| observable | normalised W1 (×10⁻²) | quantile KL (×10⁻²) | finite KL batches |\n|---|---|---|---|"
        );
        for (k, v) in &self.scores {
            let kl = v.quantile_kl.map_or("∞".to_string(), |q| {
                format!("{:.2} ± {:.2}", 1e2 * q.mean, 1e2 * q.std)
            });
            let _ = writeln!(
                s,
                "| {k} | {:.2} ± {:.2} | {kl} | {}/{} |",
                1e2 * v.w1_normalised.mean,
                1e2 * v.w1_normalised.std,
                v.kl_finite_batches,
                self.n_batches
            );
        }
        let p = &self.pearson;
        let _ = writeln!(s, "\n## Pearson correlations (paper 004 figure 10)\n");
        let _ = writeln!(
            s,
            "Reference / generated − reference; max |Δρ| = {}.\n",
            p.max_abs_difference
                .map_or("–".into(), |v| format!("{v:.3}"))
        );
        let _ = writeln!(s, "| | {} |", p.observables.join(" | "));
        let _ = writeln!(s, "|---|{}", "---|".repeat(p.observables.len()));
        for (i, name) in p.observables.iter().enumerate() {
            let row: Vec<String> = (0..p.observables.len())
                .map(|j| format!("{} / {}", cell(p.reference[i][j]), cell(p.difference[i][j])))
                .collect();
            let _ = writeln!(s, "| {name} | {} |", row.join(" | "));
        }
        let _ = writeln!(s, "\n## Linearity and resolution (paper 004 appendix G)\n");
        let _ = writeln!(
            s,
            "90 % core (5 % cut each side) of E_vis·E₀/E_inc in windows E₀ ± {} GeV; errors σ/√n and delta method.\n",
            self.config.energy_half_width_gev
        );
        let _ = writeln!(
            s,
            "| E₀ (GeV) | n ref / gen | µ90/E₀ ref (×10⁻³) | µ90/E₀ gen (×10⁻³) | σ90/µ90 ref | σ90/µ90 gen |\n|---|---|---|---|---|---|"
        );
        let fmt = |p: &Option<ResolutionPoint>, rel: bool| match p {
            None => "–".to_string(),
            Some(p) if rel => format!("{:.4} ± {:.4}", p.relative, p.relative_error),
            Some(p) => format!("{:.3} ± {:.3}", 1e3 * p.response, 1e3 * p.response_error),
        };
        for w in &self.resolution {
            let _ = writeln!(
                s,
                "| {} | {} / {} | {} | {} | {} | {} |",
                w.energy_gev,
                w.n_reference,
                w.n_generated,
                fmt(&w.reference, false),
                fmt(&w.generated, false),
                fmt(&w.reference, true),
                fmt(&w.generated, true)
            );
        }
        let _ = writeln!(s, "\n## Jensen–Shannon distances (paper 001 table 2)\n");
        let _ = writeln!(s, "| histogram | JS distance |\n|---|---|");
        for (k, v) in &self.jsd {
            let _ = writeln!(s, "| {k} | {v:.4} |");
        }
        if !self.angles.is_empty() {
            let _ = writeln!(
                s,
                "\n## Shower axis by PCA vs incident direction (paper 001 §4.3)\n"
            );
            let src = |f: bool| if f { "file" } else { "default (config)" };
            let _ = writeln!(
                s,
                "Directions: reference from {}, generated from {}; θ = angle to x, φ = angle about x from the depth axis.\n",
                src(self.directions_from_file[0]),
                src(self.directions_from_file[1])
            );
            let _ = writeln!(
                s,
                "| top hits | quantity | ref mean ± std (°) | gen mean ± std (°) | ref / gen median (°) | normalised W1 | JSD |\n|---|---|---|---|---|---|---|"
            );
            for a in &self.angles {
                for (q, c) in [("angle", &a.angle), ("Δθ", &a.d_theta), ("Δφ", &a.d_phi)] {
                    let _ = writeln!(
                        s,
                        "| {} % | {q} | {:.3} ± {:.3} | {:.3} ± {:.3} | {:.3} / {:.3} | {:.3} | {:.4} |",
                        a.top_percent,
                        c.reference.mean_deg,
                        c.reference.std_deg,
                        c.generated.mean_deg,
                        c.generated.std_deg,
                        c.reference.median_deg,
                        c.generated.median_deg,
                        c.w1_normalised,
                        c.jsd
                    );
                }
            }
        }
        let _ = writeln!(s, "\n| mean | reference | generated |\n|---|---|---|");
        for (k, v) in &self.means {
            let _ = writeln!(s, "| {k} | {:.4} | {:.4} |", v[0], v[1]);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::resolution::sigma_error;

    #[test]
    fn weighted_w1_matches_repetition_and_unit_weights() {
        let u = [0.5, 3.0, 1.0, 7.5];
        let v = [2.0, 2.5, 9.0];
        let ones_u = [1.0; 4];
        let ones_v = [1.0; 3];
        let a = wasserstein_1d_weighted(&u, &ones_u, &v, &ones_v).unwrap();
        assert!((a - wasserstein_1d(&u, &v).unwrap()).abs() < 1e-12);
        // Integer weights = repeated values.
        let w = [2.0, 1.0, 3.0, 1.0];
        let rep: Vec<f64> = u
            .iter()
            .zip(w)
            .flat_map(|(x, k)| std::iter::repeat_n(*x, k as usize))
            .collect();
        let b = wasserstein_1d_weighted(&u, &w, &v, &ones_v).unwrap();
        assert!((b - wasserstein_1d(&rep, &v).unwrap()).abs() < 1e-12);
        // Two point masses a distance 4 apart: W1 = 4.
        assert_eq!(
            wasserstein_1d_weighted(&[1.0], &[3.0], &[5.0], &[0.5]).unwrap(),
            4.0
        );
    }

    #[test]
    fn weighted_quantile_edges_split_the_weight() {
        // Values 0..9 with weight = value + 1 (total 55): the median level 27.5 is reached at 6
        // (cumulative 1+…+7 = 28 ≥ 27.5, 1+…+6 = 21 < 27.5).
        let v: Vec<f64> = (0..10).map(|i| i as f64).collect();
        let w: Vec<f64> = (1..=10).map(|i| i as f64).collect();
        let e = weighted_quantile_edges(&v, &w, 2);
        assert_eq!(e, vec![f64::NEG_INFINITY, 6.0, f64::INFINITY]);
    }

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
