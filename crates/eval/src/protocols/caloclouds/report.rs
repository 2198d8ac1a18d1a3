//! The CaloClouds II protocol's `report.md`: W1 scores beside paper 000's Table 1, the classifier
//! AUC beside its Table 2, and the means of the headline observables.

use std::fmt::Write as _;

use super::paper000;
use super::result::CaloCloudsResult;
use crate::protocols::protocol::Run;

pub fn markdown(r: &CaloCloudsResult, m: &Run) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# calogen evaluate — CaloClouds II protocol\n");
    let _ = writeln!(
        s,
        "- reference: `{}` ({} showers)",
        m.reference, r.n_reference
    );
    let _ = writeln!(
        s,
        "- generated: `{}` ({} showers)",
        m.generated, r.n_generated
    );
    let _ = writeln!(
        s,
        "- geometry `{}`, cell threshold {} MeV, {} batches of {} showers, seed {}, {:.1} s\n",
        m.geometry, r.threshold_mev, 10, r.batch_size, m.seed, m.seconds
    );
    let _ = writeln!(s, "Standardised W1 (×10⁻³), mean ± std over batches; baseline = reference half A vs half B. \
        Beside them paper 000's Table 1 (batches of 50 000 showers, ours {} per batch: W1 of finite samples \
        shrinks with the batch, so compare each column with its own Geant4 baseline, not across):\n", r.batch_size);
    let _ = writeln!(
        s,
        "| observable | model | baseline | model / baseline | paper Geant4 | paper CC II (EDM) | paper CC II (CM) |\n|---|---|---|---|---|---|---|"
    );
    let pm = |p: (f64, f64)| format!("{} ± {}", p.0, p.1);
    for (k, v) in &r.w1 {
        let (pg, pe, pc) = paper000::table1(k)
            .map_or(("–".into(), "–".into(), "–".into()), |t| {
                (pm(t.geant4), pm(t.edm), pm(t.cm))
            });
        let _ = writeln!(
            s,
            "| {k} | {:.1} ± {:.1} | {:.1} ± {:.1} | {:.1} | {pg} | {pe} | {pc} |",
            1e3 * v.model.mean,
            1e3 * v.model.std,
            1e3 * v.baseline.mean,
            1e3 * v.baseline.std,
            v.model.mean / v.baseline.mean
        );
    }
    if let Some(c) = &r.classifier_auc {
        let _ = writeln!(
            s,
            "\nClassifier (25 observables, 32-16-8): AUC model {:.3} ± {:.3}, baseline {:.3} ± {:.3}; \
             paper 000 Table 2 (500k vs 500k): CC II (EDM) {}, CC II (CM) {}",
            c.model.mean,
            c.model.std,
            c.baseline.mean,
            c.baseline.std,
            pm(paper000::TABLE2_AUC_EDM),
            pm(paper000::TABLE2_AUC_CM)
        );
    }
    let _ = writeln!(s, "\n| mean | reference | generated |\n|---|---|---|");
    for (k, v) in &r.means {
        let _ = writeln!(s, "| {k} | {:.4} | {:.4} |", v[0], v[1]);
    }
    s
}
