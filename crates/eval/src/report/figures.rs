//! The plots of each protocol, built from the observables the protocol computed: the CaloClouds
//! II set (paper 000 Figs. 3–5: hits, visible energy, cell energies, centres of gravity,
//! longitudinal and radial profiles) and the CaloChallenge set (paper 003 §8: E_tot/E_inc, voxel
//! energies, the per-layer features at the shower maximum with the challenge's binnings, the
//! mean layer-energy and radial profiles, the difference of the layer-energy correlations).

use std::collections::BTreeMap;

use calogen_data::VoxelShowers;
use calogen_geometry::Voxelisation;

use super::figure::{log_plot_edges, plot_edges, BinnedPair, Figure, MatrixDiff};
use crate::metrics::histogram::challenge::{self, Dataset};
use crate::observables::cells::RADIAL_PROFILE_EDGES;
use crate::observables::shape::ShowerShapes;
use crate::observables::{CellObservables, HighLevelFeatures};
use crate::protocols::caloclouds::W1Pair;

/// Bins of a distribution plot: about twice the square root of the sample size, 10 to 40, so a
/// small test sample does not scatter into single-entry bins.
fn bins_for(n: usize) -> usize {
    ((2.0 * (n as f64).sqrt()).round() as usize).clamp(10, 40)
}

fn w1_caption(w1: &BTreeMap<String, W1Pair>, key: &str) -> String {
    match w1.get(key) {
        Some(W1Pair {
            model: m,
            baseline: b,
        }) => format!(
            "W1 ×10⁻³: model {:.1} ± {:.1}, Geant4 baseline {:.1} ± {:.1}",
            1e3 * m.mean,
            1e3 * m.std,
            1e3 * b.mean,
            1e3 * b.std
        ),
        None => String::new(),
    }
}

/// CaloClouds II plots; `w1` (observable group → model and baseline W1) goes into the captions.
pub fn caloclouds(
    reference: &CellObservables,
    generated: &CellObservables,
    threshold_mev: f64,
    w1: &BTreeMap<String, W1Pair>,
) -> Vec<Figure> {
    let mut out: Vec<BinnedPair> = Vec::new();
    let dist = |name: &str, title: &str, x: &str, r: &[f64], g: &[f64]| {
        BinnedPair::distribution(name, title, x, r, g, plot_edges(r, g, bins_for(r.len())))
    };
    out.push(
        dist(
            "n_hits",
            "Number of hits",
            "hits above threshold",
            &reference.n_hits,
            &generated.n_hits,
        )
        .caption(w1_caption(w1, "n_hits")),
    );
    out.push(
        dist(
            "e_vis_over_e_inc",
            "Visible energy / incident energy",
            "E_vis / E_inc",
            &reference.sampling_fraction(),
            &generated.sampling_fraction(),
        )
        .caption(w1_caption(w1, "e_vis_over_e_inc")),
    );
    out.push(
        BinnedPair::distribution(
            "e_cell",
            "Visible cell energy",
            "cell energy [MeV]",
            &reference.cell_energy,
            &generated.cell_energy,
            log_plot_edges(
                threshold_mev,
                &reference.cell_energy,
                &generated.cell_energy,
                50,
            ),
        )
        .log_x()
        .log_y()
        .caption(w1_caption(w1, "e_cell")),
    );
    for (name, axis, r, g) in [
        ("cog_x", "x", &reference.cog_x, &generated.cog_x),
        ("cog_y", "y", &reference.cog_y, &generated.cog_y),
        ("cog_z", "z", &reference.cog_z, &generated.cog_z),
    ] {
        out.push(
            dist(
                name,
                &format!("Centre of gravity in {axis}"),
                &format!("{axis} [mm]"),
                r,
                g,
            )
            .caption(w1_caption(w1, name)),
        );
    }
    let nl = reference.n_layers;
    if nl > 0 && generated.n_layers == nl {
        out.push(
            BinnedPair::profile(
                "longitudinal_profile",
                "Longitudinal profile",
                "layer",
                "mean energy per shower [MeV]",
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                &reference.layer_energy,
                &generated.layer_energy,
            )
            .log_y()
            .caption(w1_caption(w1, "e_long")),
        );
    }
    out.push(
        BinnedPair::profile(
            "radial_profile",
            "Radial profile",
            "distance from the shower axis [mm]",
            "mean energy per shower [MeV]",
            RADIAL_PROFILE_EDGES.to_vec(),
            &reference.radial_energy,
            &generated.radial_energy,
        )
        .log_y()
        .caption(w1_caption(w1, "e_radial")),
    );
    out.into_iter().map(Figure::Binned).collect()
}

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
            if (x as f64) > thr {
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

/// CaloChallenge plots.
pub fn calochallenge(x: &ChallengeInputs) -> Vec<Figure> {
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
                "mean energy per shower [MeV]",
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                &fr.e_layer,
                &fg.e_layer,
            )
            .log_y()
            .into(),
        );
    }
    let (edges, rr) = radial_energy(x.reference_voxels, x.geometry, x.threshold_mev);
    let (_, rg) = radial_energy(x.generated_voxels, x.geometry, x.threshold_mev);
    out.push(
        BinnedPair::profile(
            "radial_profile",
            "Radial profile",
            "r [mm]",
            "mean energy per shower [MeV]",
            edges,
            &rr,
            &rg,
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
                "sparsity",
                "Sparsity",
                "fraction of voxels above threshold",
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

impl From<BinnedPair> for Figure {
    fn from(b: BinnedPair) -> Self {
        Figure::Binned(b)
    }
}

/// What the CaloHadronic plots are made of (paper 004 Figs. 5–10, paper 001 Fig. 8).
pub struct HadronicInputs<'a> {
    pub reference: &'a ShowerShapes,
    pub generated: &'a ShowerShapes,
    /// Per-shower observables by name (the protocol's score keys), reference and generated.
    pub columns: Vec<(&'static str, &'a [f64], &'a [f64])>,
    /// All hits above threshold: energies (MeV).
    pub hit_energy: [&'a [f64]; 2],
    /// Per shower and layer, energy (MeV), `n × n_layers`.
    pub layer_energy: [&'a [f64]; 2],
    /// Per shower and radial bin, energy (MeV), `n × (radial_edges − 1)`.
    pub radial_energy: [&'a [f64]; 2],
    pub radial_edges: &'a [f64],
    pub threshold_mev: f64,
    /// PCA angle to the incident direction (degrees) per top-x % of hits.
    pub angles: Vec<(f64, &'a [f64], &'a [f64])>,
    /// Pearson matrix: observable names, generated − reference (`None`: undefined).
    pub pearson_names: &'a [String],
    pub pearson_difference: &'a [Vec<Option<f64>>],
    /// Caption per observable (the normalised W1 and quantile KL).
    pub captions: &'a BTreeMap<String, String>,
}

/// CaloHadronic plots: the per-shower observables, cell energies, longitudinal and radial profiles,
/// the PCA angle to the incident direction, and the Pearson-matrix difference.
pub fn calohadronic(x: &HadronicInputs) -> Vec<Figure> {
    let caption = |k: &str| x.captions.get(k).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (name, r, g) in &x.columns {
        let (title, label) = match *name {
            "cog_x" => ("Centre of gravity in x", "x [mm]"),
            "cog_y" => ("Centre of gravity in y", "y [mm]"),
            "cog_z" => ("Centre of gravity in z (depth)", "z [mm]"),
            "start_layer" => ("Start layer (layer of the most energetic cell)", "layer"),
            "e_sum" => ("Visible energy", "E_vis [MeV]"),
            "n_hits" => ("Number of hits", "hits above threshold"),
            "e_ecal" => ("Visible energy in the ECAL", "E_ECAL [MeV]"),
            "e_hcal" => ("Visible energy in the HCAL", "E_HCAL [MeV]"),
            "n_hits_ecal" => ("Hits in the ECAL", "hits"),
            "n_hits_hcal" => ("Hits in the HCAL", "hits"),
            other => (other, other),
        };
        let edges = plot_edges(r, g, bins_for(r.len()));
        out.push(Figure::Binned(
            BinnedPair::distribution(name, title, label, r, g, edges).caption(caption(name)),
        ));
    }
    let [rh, gh] = x.hit_energy;
    if !rh.is_empty() && !gh.is_empty() {
        out.push(Figure::Binned(
            BinnedPair::distribution(
                "e_cell",
                "Visible cell energy",
                "cell energy [MeV]",
                rh,
                gh,
                log_plot_edges(x.threshold_mev.max(1e-3), rh, gh, 50),
            )
            .log_x()
            .log_y()
            .caption(caption("e_cell")),
        ));
    }
    let nl = x.reference.n_layers;
    if nl > 0 && x.generated.n_layers == nl {
        out.push(Figure::Binned(
            BinnedPair::profile(
                "longitudinal_profile",
                "Longitudinal profile",
                "layer",
                "mean energy per shower [MeV]",
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                x.layer_energy[0],
                x.layer_energy[1],
            )
            .log_y()
            .caption(caption("e_long")),
        ));
    }
    if x.radial_edges.len() > 1 {
        out.push(Figure::Binned(
            BinnedPair::profile(
                "radial_profile",
                "Radial profile",
                "distance from the shower axis [mm]",
                "mean energy per shower [MeV]",
                x.radial_edges.to_vec(),
                x.radial_energy[0],
                x.radial_energy[1],
            )
            .log_y()
            .caption(caption("e_radial")),
        ));
    }
    for (pct, r, g) in &x.angles {
        let edges = plot_edges(r, g, bins_for(r.len()));
        out.push(Figure::Binned(
            BinnedPair::distribution(
                &format!("pca_angle_top{}", pct.round() as u32),
                &format!("PCA axis vs incident direction, top {pct} % of hits"),
                "angle [deg]",
                r,
                g,
                edges,
            )
            .caption("paper 001 §4.3: the shower axis from the most energetic hits"),
        ));
    }
    let n = x.pearson_names.len();
    if n > 1 {
        out.push(Figure::Matrix(MatrixDiff {
            name: "pearson_difference".into(),
            title: "Pearson correlations: generated − Geant4".into(),
            // The names are long: an axis title would overlap them.
            axis_label: String::new(),
            colour_label: "ρ(generated) − ρ(Geant4)".into(),
            labels: x.pearson_names.to_vec(),
            values: x
                .pearson_difference
                .iter()
                .flat_map(|row| row.iter().map(|v| v.unwrap_or(f64::NAN)))
                .collect(),
            caption: "paper 004 Fig. 10: CoG, start layer and energies".into(),
        }));
    }
    out
}
