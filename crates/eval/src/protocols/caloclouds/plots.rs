//! The CaloClouds II plots (paper 000 Figs. 3–5): hits, visible energy, cell energies, centres of
//! gravity, longitudinal and radial profiles, each captioned with its W1 scores.

use std::collections::BTreeMap;

use super::result::W1Pair;
use crate::observables::cells::RADIAL_PROFILE_EDGES;
use crate::observables::CellObservables;
use crate::report::figure::{
    bins_for, log_plot_edges, per_incident_gev, plot_edges, BinnedPair, Figure, PER_GEV_LABEL,
};

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
pub fn figures(
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
                PER_GEV_LABEL,
                (0..=nl).map(|l| l as f64 - 0.5).collect(),
                &per_incident_gev(&reference.layer_energy, nl, &reference.e_inc),
                &per_incident_gev(&generated.layer_energy, nl, &generated.e_inc),
            )
            .log_y()
            .caption(w1_caption(w1, "e_long")),
        );
    }
    let nr = RADIAL_PROFILE_EDGES.len() - 1;
    out.push(
        BinnedPair::profile(
            "radial_profile",
            "Radial profile",
            "distance from the shower axis [mm]",
            PER_GEV_LABEL,
            RADIAL_PROFILE_EDGES.to_vec(),
            &per_incident_gev(&reference.radial_energy, nr, &reference.e_inc),
            &per_incident_gev(&generated.radial_energy, nr, &generated.e_inc),
        )
        .log_y()
        .caption(w1_caption(w1, "e_radial")),
    );
    out.into_iter().map(Figure::Binned).collect()
}
