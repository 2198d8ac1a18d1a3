//! The CaloHadronic protocol's `report.md`: table 4's scores, the Pearson matrices, linearity and
//! resolution, the JS distances and the shower-axis angles.

use std::fmt::Write as _;

use super::result::{CaloHadronicResult, ResolutionPoint};
use crate::protocols::protocol::Run;

/// The whole page: title, the run's lines, then [`CaloHadronicResult::markdown`].
pub fn markdown(r: &CaloHadronicResult, m: &Run) -> String {
    format!(
        "# calogen evaluate — CaloHadronic protocol\n\n- reference: `{}` ({} showers)\n- generated: `{}` ({} showers)\n- geometry `{}`, seed {}, {:.1} s\n\n{}",
        m.reference, r.n_reference, m.generated, r.n_generated, m.geometry, m.seed, m.seconds, r.markdown()
    )
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
        // Beside each score, the same score of two Geant4 halves: what a perfect model would get
        // at these sample sizes (paper 004 reports the model alone).
        let kl_text = |q: Option<crate::metrics::stats::MeanStd>| {
            q.map_or("∞".to_string(), |q| {
                format!("{:.2} ± {:.2}", 1e2 * q.mean, 1e2 * q.std)
            })
        };
        let _ = writeln!(
            s,
            "| observable | normalised W1 (×10⁻²) | Geant4 vs Geant4 W1 | quantile KL (×10⁻²) | Geant4 vs Geant4 KL | finite KL batches |\n|---|---|---|---|---|---|"
        );
        for (k, v) in &self.scores {
            let (bw, bk) = match self.baseline.as_ref().and_then(|b| b.get(k)) {
                Some(b) => (
                    format!(
                        "{:.2} ± {:.2}",
                        1e2 * b.w1_normalised.mean,
                        1e2 * b.w1_normalised.std
                    ),
                    kl_text(b.quantile_kl),
                ),
                None => ("–".into(), "–".into()),
            };
            let _ = writeln!(
                s,
                "| {k} | {:.2} ± {:.2} | {bw} | {} | {bk} | {}/{} |",
                1e2 * v.w1_normalised.mean,
                1e2 * v.w1_normalised.std,
                kl_text(v.quantile_kl),
                v.kl_finite_batches,
                self.n_batches
            );
        }
        match self.baseline_batch_size {
            Some(b) => {
                let _ = writeln!(
                    s,
                    "\nGeant4 vs Geant4: the reference split at random into two halves, scored \
                     against each other in {} batches of {b} showers{}.",
                    self.n_batches,
                    if b < self.batch_size {
                        format!(
                            " (smaller than the model's {}: the halves hold fewer showers, so \
                             this floor is somewhat higher than at the model's batch size)",
                            self.batch_size
                        )
                    } else {
                        String::new()
                    }
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "\nGeant4 vs Geant4: not computed (fewer than 4 reference showers per batch)."
                );
            }
        }
        // "∞" and "0/5" were unexplained: the KL is infinite in a batch where a reference quantile
        // bin gets no generated entry, and the mean covers the finite batches only.
        let _ = writeln!(
            s,
            "\nQuantile KL: per batch, KL(Geant4 ‖ generated) on {} bins holding equal shares of \
             the Geant4 batch; it is infinite when a bin gets no generated entry. \"finite KL \
             batches\" k/{} counts the batches where it is finite, over which mean ± std are taken; \
             ∞ means none was (0/{}: the generated sample misses part of Geant4's range in every \
             batch).",
            self.n_quantiles, self.n_batches, self.n_batches
        );
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
