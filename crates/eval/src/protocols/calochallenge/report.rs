//! The CaloChallenge protocol's `report.md`: separation powers, correlations, FPD/KPD, PRDC and
//! the classifiers.

use std::fmt::Write as _;

use super::result::CaloChallengeOutput;
use crate::protocols::protocol::Run;

pub fn markdown(o: &CaloChallengeOutput, m: &Run) -> String {
    let r = &o.calochallenge;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# calogen evaluate — CaloChallenge protocol ({})\n",
        r.dataset
    );
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
        "- geometry `{}`, voxel threshold {} MeV, seed {}, {:.1} s\n",
        m.geometry, r.threshold_mev, m.seed, m.seconds
    );
    let _ = writeln!(
        s,
        "Separation power (0 identical, 1 disjoint), mean over layers:\n"
    );
    let _ = writeln!(s, "| feature | separation power |\n|---|---|");
    for k in ["etot_einc", "voxel_energy"] {
        if let Some(v) = r.separation_power.get(k) {
            let _ = writeln!(s, "| {k} | {v:.4} |");
        }
    }
    for (k, v) in &r.separation_power_mean {
        let _ = writeln!(s, "| {k} (mean over layers) | {v:.4} |");
    }
    let _ = writeln!(
        s,
        "\nLayer-energy correlations: max |Δρ| {:.3}, mean |Δρ| {:.4}",
        r.correlation_max_abs_diff, r.correlation_mean_abs_diff
    );
    if let Some(f) = &r.fpd {
        let _ = writeln!(
            s,
            "\nFPD (high-level features): {:.4} ± {:.4}",
            f.value, f.error
        );
    }
    if let Some(k) = &r.kpd {
        let _ = writeln!(
            s,
            "KPD (high-level features): {:.5} ± {:.5}",
            k.value, k.error
        );
    }
    if let Some(p) = &r.prdc {
        let _ = writeln!(
            s,
            "\nPrecision {:.3}, recall {:.3}, density {:.3}, coverage {:.3} (k = 5, log10 voxels)",
            p["precision"], p["recall"], p["density"], p["coverage"]
        );
    }
    for (name, c) in [
        ("low-level", &r.classifier_low_level),
        ("high-level", &r.classifier_high_level),
    ] {
        if let Some(c) = c {
            let _ = writeln!(
                s,
                "\nDNN classifier, {name}: AUC {:.3} (uncalibrated {:.3}), JSD {:.3}, accuracy {:.3} on the \
                 {} held-out showers (epoch {} of best accuracy on {} others, which also fitted the \
                 calibration; {} parameters)",
                c.auc,
                c.auc_uncalibrated,
                c.jsd,
                c.test_accuracy,
                c.n_test,
                c.best_epoch + 1,
                c.n_validation,
                c.n_parameters
            );
            for w in &c.warnings {
                let _ = writeln!(s, "\n**Warning** ({name} classifier): {w}");
            }
        }
    }
    if let Some(c) = &o.resnet {
        let _ = writeln!(
            s,
            "\n3D ResNet-18 classifier, low-level: AUC {:.3}, JSD {:.3}, test accuracy {:.3} (best epoch {}, {} parameters, {:.0} CPU s of training)",
            c.auc, c.jsd, c.test_accuracy, c.best_epoch, c.n_parameters, c.train_cpu_seconds
        );
    }
    s
}
