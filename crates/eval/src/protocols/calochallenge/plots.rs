//! The CaloChallenge plots (paper 003 §8): E_tot/E_inc, voxel energies, the per-layer features at
//! the shower maximum with the challenge's binnings, the mean layer-energy and radial profiles,
//! and the difference of the layer-energy correlations.

use std::collections::BTreeMap;

use calogen_data::VoxelShowers;
use calogen_geometry::Voxelisation;

use crate::metrics::histogram::challenge::{self, Dataset};
use crate::observables::calochallenge::kept;
use crate::observables::HighLevelFeatures;
use crate::report::figure::{
    per_incident_gev, BinnedPair, Figure, MatrixDiff, PolarImages, PolarLayer, PER_GEV_LABEL,
};

/// What the CaloChallenge plots are made of.
pub struct ChallengeInputs<'a> {
    pub reference: &'a HighLevelFeatures,
    pub generated: &'a HighLevelFeatures,
    pub reference_voxels: &'a VoxelShowers,
    pub generated_voxels: &'a VoxelShowers,
    pub geometry: &'a Voxelisation,
    pub dataset: Dataset,
    pub threshold_mev: f64,
    /// Layers with voxels (the rows of the correlation matrices).
    pub layers: &'a [usize],
    /// Pearson matrices of the layer energies, `layers.len()²`, row-major.
    pub correlation_reference: &'a [f64],
    pub correlation_generated: &'a [f64],
    pub separation_power: &'a BTreeMap<String, f64>,
}

/// Energy per radial bin and shower, `n × (edges − 1)`, summed over layers and angles; the bins
/// are those of the layer with the most radial bins.
fn radial_energy(v: &VoxelShowers, g: &Voxelisation, thr: f64) -> (Vec<f64>, Vec<f64>) {
    let edges = g
        .layers
        .iter()
        .max_by_key(|l| l.n_r())
        .map(|l| l.r_edges.clone())
        .unwrap_or_default();
    if edges.len() < 2 {
        return (vec![0.0, 1.0], vec![0.0; v.len()]);
    }
    let nb = edges.len() - 1;
    let bins: Vec<Option<usize>> = g
        .voxel_centres()
        .iter()
        .map(|c| {
            (c.r >= edges[0] && c.r <= edges[nb])
                .then(|| edges[1..nb].partition_point(|&e| e <= c.r).min(nb - 1))
        })
        .collect();
    let mut out = vec![0.0; v.len() * nb];
    for i in 0..v.len() {
        for (j, &x) in v.shower(i).iter().enumerate() {
            if kept(x as f64, thr) {
                if let Some(b) = bins[j] {
                    out[i * nb + b] += x as f64;
                }
            }
        }
    }
    (edges, out)
}

fn sp_caption(sp: &BTreeMap<String, f64>, key: &str) -> String {
    match sp.get(key) {
        Some(v) if v.is_finite() => format!("separation power {v:.4}"),
        _ => String::new(),
    }
}

/// Mean energy of every voxel (voxels below the threshold count as 0), CaloChallenge order.
fn mean_voxels(v: &VoxelShowers, thr: f64) -> Vec<f64> {
    let mut m = vec![0.0; v.n_voxels];
    for i in 0..v.len() {
        for (s, &e) in m.iter_mut().zip(v.shower(i)) {
            if kept(e as f64, thr) {
                *s += e as f64;
            }
        }
    }
    let n = v.len().max(1) as f64;
    m.iter_mut().for_each(|s| *s /= n);
    m
}

/// The average shower of each sample, layer by layer, as the challenge's evaluate.py draws it
/// (polar images, one colour scale for both samples).
fn average_images(x: &ChallengeInputs) -> Vec<Figure> {
    let g = x.geometry;
    let means = [
        mean_voxels(x.reference_voxels, x.threshold_mev),
        mean_voxels(x.generated_voxels, x.threshold_mev),
    ];
    let positive = means.iter().flatten().copied().filter(|&v| v > 0.0);
    let hi = positive.clone().fold(0.0f64, f64::max);
    // Four decades below the brightest voxel: fainter voxels are drawn at the bottom colour.
    let lo = positive.fold(f64::INFINITY, f64::min).max(hi * 1e-4);
    if !(hi > 0.0 && lo < hi) || means.iter().any(|m| m.len() != g.n_voxels) {
        return Vec::new();
    }
    [
        ("geant4", "Geant4", &means[0]),
        ("generated", "generated", &means[1]),
    ]
    .into_iter()
    .map(|(key, who, m)| {
        Figure::Polar(PolarImages {
            name: format!("average_shower_{key}"),
            title: format!("Average {who} shower per layer"),
            caption: "Mean voxel energy per layer (x = r cos α, y = r sin α), the same \
                          colour scale for both samples"
                .into(),
            layers: g
                .layers
                .iter()
                .map(|l| PolarLayer {
                    label: format!("layer {}", l.id),
                    r_edges: l.r_edges.clone(),
                    n_alpha: l.n_alpha,
                    mean_mev: m[l.first_voxel..l.first_voxel + l.n_voxels()].to_vec(),
                })
                .collect(),
            range_mev: (lo.min(hi * 0.999), hi),
        })
    })
    .collect()
}

/// CaloChallenge plots.
pub fn figures(x: &ChallengeInputs) -> Vec<Figure> {
    let (fr, fg) = (x.reference, x.generated);
    let ds = x.dataset;
    let nl = fr.n_layers;
    let sp = x.separation_power;
    let mut out = Vec::new();
    out.push(
        BinnedPair::distribution(
            "etot_einc",
            "Deposited energy / incident energy",
            "E_tot / E_inc",
            &fr.etot_over_einc(),
            &fg.etot_over_einc(),
            challenge::etot_einc(),
        )
        .caption(sp_caption(sp, "etot_einc"))
        .into(),
    );
    // Dataset 1's discrete incident energies, 2^8 … 2^22 MeV: E_tot/E_inc per energy, as
    // evaluate.py's `plot_Etot_Einc_discrete`.
    if ds.is_ds1() {
        for k in 0..15 {
            let target = 2f64.powi(8 + k as i32);
            let at = |f: &HighLevelFeatures| -> Vec<f64> {
                f.etot_over_einc()
                    .into_iter()
                    .zip(&f.e_inc)
                    .filter(|(_, &e)| (e / target - 1.0).abs() < 1e-3)
                    .map(|(r, _)| r)
                    .collect()
            };
            let (a, b) = (at(fr), at(fg));
            if a.is_empty() || b.is_empty() {
                continue;
            }
            out.push(
                BinnedPair::distribution(
                    &format!("etot_einc_E{k}"),
                    &format!("E_tot / E_inc at E_inc = {target} MeV"),
                    "E_tot / E_inc",
                    &a,
                    &b,
                    challenge::etot_einc_discrete(ds, k),
                )
                .into(),
            );
        }
    }
    let vmax = fr
        .voxel_energy
        .iter()
        .copied()
        .fold(0.0, f64::max)
        .max(challenge::min_energy(ds) * 10.0);
    out.push(
        BinnedPair::distribution(
            "voxel_energy",
            "Voxel energy",
            "voxel energy [MeV]",
            &fr.voxel_energy,
            &fg.voxel_energy,
            challenge::voxel_energy(ds, vmax),
        )
        .log_x()
        .log_y()
        .caption(sp_caption(sp, "voxel_energy"))
        .into(),
    );
    if nl > 0 && fg.n_layers == nl {
        out.push(
            BinnedPair::profile(
                "layer_profile",
                "Mean energy per layer",
                "layer",
                PER_GEV_LABEL,
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                &per_incident_gev(&fr.e_layer, nl, &fr.e_inc),
                &per_incident_gev(&fg.e_layer, nl, &fg.e_inc),
            )
            .log_y()
            .into(),
        );
    }
    let (edges, rr) = radial_energy(x.reference_voxels, x.geometry, x.threshold_mev);
    let (_, rg) = radial_energy(x.generated_voxels, x.geometry, x.threshold_mev);
    let nr = edges.len() - 1;
    out.push(
        BinnedPair::profile(
            "radial_profile",
            "Radial profile",
            "r [mm]",
            PER_GEV_LABEL,
            edges,
            &per_incident_gev(&rr, nr, &fr.e_inc),
            &per_incident_gev(&rg, nr, &fg.e_inc),
        )
        .log_y()
        .into(),
    );

    // The per-layer features at the shower maximum (the layer with the largest mean reference
    // energy), with the binnings of the separation powers.
    let col = |b: &[f64], l| HighLevelFeatures::layer_column(b, l, nl);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    let lmax = x
        .layers
        .iter()
        .copied()
        .max_by(|&a, &b| mean(&col(&fr.e_layer, a)).total_cmp(&mean(&col(&fr.e_layer, b))));
    if let Some(l) = lmax {
        let emax = col(&fr.e_layer, l)
            .into_iter()
            .fold(0.0, f64::max)
            .max(challenge::min_energy(ds) * 10.0);
        let items = [
            (
                "e_layer",
                "Energy",
                "E [MeV]",
                &fr.e_layer,
                &fg.e_layer,
                challenge::layer_energy(ds, emax),
            ),
            (
                "ec_eta",
                "Centre of energy in η",
                "η [mm]",
                &fr.ec_eta,
                &fg.ec_eta,
                challenge::centre_eta_phi(ds, l),
            ),
            (
                "ec_phi",
                "Centre of energy in φ",
                "φ [mm]",
                &fr.ec_phi,
                &fg.ec_phi,
                challenge::centre_eta_phi(ds, l),
            ),
            (
                "width_eta",
                "Width in η",
                "η width [mm]",
                &fr.width_eta,
                &fg.width_eta,
                challenge::width_eta_phi(ds, l),
            ),
            (
                "width_phi",
                "Width in φ",
                "φ width [mm]",
                &fr.width_phi,
                &fg.width_phi,
                challenge::width_eta_phi(ds, l),
            ),
            (
                "ec_r",
                "Centre of energy in r",
                "r [mm]",
                &fr.ec_r,
                &fg.ec_r,
                challenge::centre_r(ds, l),
            ),
            (
                "width_r",
                "Width in r",
                "r width [mm]",
                &fr.width_r,
                &fg.width_r,
                challenge::width_r(ds, l),
            ),
            (
                "sparsity",
                "Sparsity",
                "fraction of voxels below threshold",
                &fr.sparsity,
                &fg.sparsity,
                challenge::sparsity(),
            ),
        ];
        for (key, title, x_label, r, g, edges) in items {
            let name = format!("{key}_{l}");
            let mut p = BinnedPair::distribution(
                &name,
                &format!("{title}, layer {l} (shower maximum)"),
                x_label,
                &col(r, l),
                &col(g, l),
                edges,
            )
            .caption(sp_caption(sp, &name));
            if key == "e_layer" {
                p = p.log_x().log_y();
            }
            out.push(Figure::Binned(p));
        }
    }

    out.extend(average_images(x));

    let n = x.layers.len();
    if n > 0 && x.correlation_reference.len() == n * n && x.correlation_generated.len() == n * n {
        out.push(Figure::Matrix(MatrixDiff {
            name: "layer_correlation_diff".into(),
            title: "Layer-energy correlations: generated − Geant4".into(),
            axis_label: "layer".into(),
            colour_label: "ρ(generated) − ρ(Geant4)".into(),
            labels: x.layers.iter().map(|l| l.to_string()).collect(),
            values: x
                .correlation_generated
                .iter()
                .zip(x.correlation_reference)
                .map(|(g, r)| g - r)
                .collect(),
            caption:
                "Pearson correlation coefficients of the layer energies; empty cells: a layer \
                      without energy in one sample"
                    .into(),
        }));
    }
    out
}
