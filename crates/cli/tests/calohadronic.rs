//! `calogen evaluate --protocol calohadronic` and `calogen evaluate-multiclass` on the committed
//! fixtures: Geant4 half against Geant4 half.

use std::process::Command;

mod common;
use common::fixture;

fn run(args: &[&str], file: &str, out: &std::path::Path) -> serde_json::Value {
    let f = fixture(file);
    let o = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(args)
        .arg("--reference")
        .arg(&f)
        .arg("--generated")
        .arg(&f)
        .arg("--out")
        .arg(out)
        .env("CI", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn pions_halves() {
    let dir = tempfile::tempdir().unwrap();
    let m = run(
        &[
            "evaluate",
            "--protocol",
            "calohadronic",
            "--geometry",
            "ild-ecal-hcal",
            "--no-plots",
            "--reference-showers",
            "0..12",
            "--generated-showers",
            "12..25",
        ],
        "pions_small.h5",
        dir.path(),
    );
    assert_eq!(m["protocol"], "calohadronic");
    let r = &m["calohadronic"];
    assert_eq!(r["n_reference"], 12);
    assert_eq!(r["hcal_first_layer"], 30);
    assert_eq!(r["n_layers"], 78);
    // The pion file stores no direction: the gun's (along depth) is used, and said so.
    assert_eq!(r["directions_from_file"], serde_json::json!([false, false]));
    for k in [
        "cog_x",
        "cog_y",
        "cog_z",
        "start_layer",
        "e_sum",
        "n_hits",
        "e_ecal",
        "e_hcal",
        "e_cell",
        "e_long",
        "e_radial",
    ] {
        // Five batches of two showers per side from one distribution: the normalised W1 of two
        // draws against two is ~1 for a per-shower observable (E|a − b|/σ = 1.13 for one draw
        // each; measured up to 1.7, cog_z), and far less for the pooled or energy-weighted hit
        // observables.
        let w = r["scores"][k]["w1_normalised"]["mean"].as_f64().unwrap();
        assert!(w > 0.0 && w < 2.5, "{k}: {w}");
    }
    // Eight observables incl. the ECAL/HCAL split; the diagonal of a correlation matrix is 1.
    let names = r["pearson"]["observables"].as_array().unwrap();
    assert_eq!(names.len(), 8);
    assert!((r["pearson"]["reference"][5][5].as_f64().unwrap() - 1.0).abs() < 1e-12);
    // Histograms of thousands of hits from showers of one distribution: JS distances well below
    // the √ln2 = 0.83 of disjoint histograms.
    for k in [
        "energy_per_layer",
        "occupancy_per_radius",
        "energy_per_radius",
    ] {
        let j = r["jsd"][k].as_f64().unwrap();
        assert!(j > 0.0 && j < 0.3, "{k}: {j}");
    }
    // Means of the two halves: E_vis/E_inc and the depth of the CoG agree within the pion
    // shower's fluctuations over 12 showers (~30 % and ~15 %).
    let mean = |k: &str| {
        let v = &r["means"][k];
        (v[0].as_f64().unwrap(), v[1].as_f64().unwrap())
    };
    let (a, b) = mean("e_vis_over_e_inc");
    assert!((b / a - 1.0).abs() < 0.3, "E_vis/E_inc {a} {b}");
    let (a, b) = mean("cog_z_mm");
    assert!((b / a - 1.0).abs() < 0.2, "cog_z {a} {b}");
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(report.contains("CaloHadronic protocol") && report.contains("| e_hcal |"));
    // The quantile-KL columns (∞, k/5) are explained under the table.
    assert!(
        report.contains("it is infinite when a bin gets no generated entry"),
        "{report}"
    );
}

#[test]
fn angular_photons_halves() {
    let dir = tempfile::tempdir().unwrap();
    let m = run(
        &[
            "evaluate",
            "--protocol",
            "calohadronic",
            "--geometry",
            "ild-ecal-wide",
            "--no-plots",
            "--reference-showers",
            "0..20",
            "--generated-showers",
            "20..40",
        ],
        "ild_photons_angular_small.h5",
        dir.path(),
    );
    let r = &m["calohadronic"];
    // No HCAL in this geometry: no split observables.
    assert_eq!(r["hcal_first_layer"], 30);
    assert!(r["scores"]["e_hcal"].is_null());
    assert_eq!(r["pearson"]["observables"].as_array().unwrap().len(), 6);
    // The file stores the incident direction: PCA axes of the top 4 % and of all hits.
    assert_eq!(r["directions_from_file"], serde_json::json!([true, true]));
    let angles = r["angles"].as_array().unwrap();
    assert_eq!(angles.len(), 2);
    for a in angles {
        let mean = a["angle"]["reference"]["mean_deg"].as_f64().unwrap();
        // Photons at up to 40°: the shower axis is found to within a few degrees on average.
        assert!((0.0..10.0).contains(&mean), "{a}");
        assert!(a["n_reference"].as_u64().unwrap() >= 18);
    }
}

#[test]
fn multiclass_runs_and_reports_every_model() {
    let dir = tempfile::tempdir().unwrap();
    let f = fixture("pions_small.h5");
    let o = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["evaluate-multiclass", "--geometry", "ild-ecal-hcal"])
        .args(["--repeats", "2", "--epochs", "3", "--hidden", "16"])
        .arg("--reference")
        .arg(&f)
        .args(["--reference-showers", "0..9"])
        .arg("--generated")
        .arg(&f)
        .arg("--generated")
        .arg(&f)
        .args([
            "--generated-showers",
            "9..17",
            "--generated-showers",
            "17..25",
        ])
        .arg("--out")
        .arg(dir.path())
        .env("CI", "1")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap())
            .unwrap();
    let mc = &m["multiclass"];
    assert_eq!(mc["n_models"], 2);
    assert_eq!(mc["n_features"], 78 + 6);
    assert_eq!(mc["runs"].as_array().unwrap().len(), 2);
    // The cross-check's verdict comes with what it means.
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("What it means: FAILED says"), "{md}");
    // Both "models" are Geant4: a classifier (standardised inputs, 3 epochs) cannot tell them
    // apart, so each posterior on Geant4 showers is near ½ and its mean log is near ln ½ = −0.69
    // (a little below: the log of a spread of posteriors averages under the log of their mean).
    let lps: Vec<f64> = mc["reference_log_posterior"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["mean"].as_f64().unwrap())
        .collect();
    // Bounds: below −2 it would put a posterior of ~0.14 on a class it cannot tell from the other
    // (a confidently wrong or unnormalised output); above −0.3 it would claim ~0.74 for one of
    // two identical classes.
    for lp in &lps {
        assert!((-2.0..-0.3).contains(lp), "{lps:?}");
    }
    // Mean log ≤ log mean and the two posteriors sum to 1: e^LP₁ + e^LP₂ ≤ 1.
    assert!(lps[0].exp() + lps[1].exp() <= 1.0 + 1e-6, "{lps:?}");
    // One generated file only: a clear error.
    let o = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .args(["evaluate-multiclass", "--reference"])
        .arg(&f)
        .arg("--generated")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least two"));
}

#[test]
fn pions_report_has_the_papers_plots() {
    let dir = tempfile::tempdir().unwrap();
    run(
        &[
            "evaluate",
            "--protocol",
            "calohadronic",
            "--geometry",
            "ild-ecal-hcal",
            "--reference-showers",
            "0..12",
            "--generated-showers",
            "12..25",
        ],
        "pions_small.h5",
        dir.path(),
    );
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    for name in [
        "e_sum",
        "e_hcal",
        "start_layer",
        "e_cell",
        "longitudinal_profile",
        "radial_profile",
        "pca_angle_top100",
        "pearson_difference",
    ] {
        let png = dir.path().join("plots").join(format!("{name}.png"));
        let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert_eq!(&bytes[1..4], b"PNG", "{name}");
        assert!(
            html.contains(&format!("plots/{name}.png")),
            "{name} not in the report"
        );
    }
}
