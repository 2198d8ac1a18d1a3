//! The CaloHadronic plots (paper 004 Figs. 5–10, paper 001 Fig. 8): the per-shower observables,
//! cell energies, longitudinal and radial profiles, the PCA angle to the incident direction, and
//! the Pearson-matrix difference.

use std::collections::BTreeMap;

use super::result::ObservableScore;
use super::sample::{shower_columns, Sample};
use crate::error::Result;
use crate::metrics::histogram::auto_edges;
use crate::observables::shape::ShowerShapes;
use crate::report::figure::{
    bins_for, log_plot_edges, per_incident_gev, plot_edges, BinnedPair, Figure, MatrixDiff,
    PER_GEV_LABEL,
};

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
pub fn figures(x: &HadronicInputs) -> Vec<Figure> {
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
                PER_GEV_LABEL,
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                &per_incident_gev(x.layer_energy[0], nl, &x.reference.e_inc),
                &per_incident_gev(x.layer_energy[1], nl, &x.generated.e_inc),
            )
            .log_y()
            .caption(caption("e_long")),
        ));
    }
    if x.radial_edges.len() > 1 {
        let nr = x.radial_edges.len() - 1;
        out.push(Figure::Binned(
            BinnedPair::profile(
                "radial_profile",
                "Radial profile",
                "distance from the shower axis [mm]",
                PER_GEV_LABEL,
                x.radial_edges.to_vec(),
                &per_incident_gev(x.radial_energy[0], nr, &x.reference.e_inc),
                &per_incident_gev(x.radial_energy[1], nr, &x.generated.e_inc),
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

/// What the protocol hands over to build its plots.
pub(super) struct Parts<'a> {
    pub reference: &'a Sample,
    pub generated: &'a Sample,
    pub scores: &'a BTreeMap<String, ObservableScore>,
    /// The observables of the Pearson matrix.
    pub names: &'a [&'a str],
    pub pearson_difference: &'a [Vec<Option<f64>>],
    pub top_percent: &'a [f64],
    pub bins: usize,
}

/// The plots from the two analysed samples and the scores (for the captions).
pub(super) fn from_samples(x: &Parts) -> Result<Vec<Figure>> {
    let (rs, gs) = (x.reference, x.generated);
    let (r, g) = (&rs.shapes, &gs.shapes);
    let (rh, gh) = (&rs.hits, &gs.hits);
    let with_hcal = r.hcal_first_layer < r.n_layers;
    let (rc, gc) = (shower_columns(r, with_hcal), shower_columns(g, with_hcal));
    let (scores, names, diff, bins) = (x.scores, x.names, x.pearson_difference, x.bins);
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
    Ok(figures(&HadronicInputs {
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
        angles: x
            .top_percent
            .iter()
            .enumerate()
            .filter(|(j, _)| rs.angles[*j][0].len() > 1 && gs.angles[*j][0].len() > 1)
            .map(|(j, &p)| (p, rs.angles[j][0].as_slice(), gs.angles[j][0].as_slice()))
            .collect(),
        pearson_names: &pearson_names,
        pearson_difference: diff,
        captions: &captions,
    }))
}
