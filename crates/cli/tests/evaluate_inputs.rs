//! `calogen evaluate` refuses a geometry that does not cover the files' layers (a 78-layer pion
//! file in the 30-layer ECAL would lose its HCAL silently), and warns, on stderr, in report.md and
//! in metrics.json, when the two samples' incident-energy spectra differ or when they are
//! different kinds of sample (issue 12, point 8).

use std::path::Path;
use std::process::{Command, Output};

use calogen_data::formats::PointsWriter;
use calogen_data::{ShowerBatch, ShowerFileOptions};

mod common;
use common::fixture;

/// `calogen evaluate --no-plots` with the given arguments, reference and generated file.
fn evaluate(args: &[&str], reference: &Path, generated: &Path, out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_calogen"))
        .arg("evaluate")
        .args(args)
        .args(["--no-plots", "--classifier-repeats", "0"])
        .arg("--reference")
        .arg(reference)
        .arg("--generated")
        .arg(generated)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn metrics(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn a_pion_file_in_the_ecal_only_geometry_is_refused() {
    let pions = fixture("pions_small.h5");
    for protocol in ["caloclouds", "calohadronic"] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("o");
        let o = evaluate(
            &[
                "--protocol",
                protocol,
                "--geometry",
                "ild-ecal",
                "--reference-showers",
                "0..12",
                "--generated-showers",
                "12..25",
            ],
            &pions,
            &pions,
            &out,
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{protocol}: accepted");
        assert!(
            err.contains("pions_small.h5")
                && err.contains("78 layers")
                && err.contains("`ild-ecal` only 30"),
            "{protocol}: {err}"
        );
        assert!(!out.exists(), "{protocol}: wrote {}", out.display());
    }
    // The same file's own cells (--use-cells) are refused the same way.
    let dir = tempfile::tempdir().unwrap();
    let o = evaluate(
        &["--geometry", "ild-ecal", "--use-cells"],
        &pions,
        &pions,
        &dir.path().join("o"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("`ild-ecal` only 30"),
        "{err}"
    );
}

#[test]
fn halves_of_one_file_raise_no_warning() {
    let f = fixture("ild_photons_small.h5");
    let dir = tempfile::tempdir().unwrap();
    let o = evaluate(
        &[
            "--reference-showers",
            "0..20",
            "--generated-showers",
            "20..40",
        ],
        &f,
        &f,
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("warning"));
    assert!(metrics(dir.path()).get("warnings").is_none());
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(!report.contains("Warning"), "{report}");
}

/// A copy of the photon fixture whose incident energies are three times the original's.
fn harder_spectrum(dest: &Path) {
    let src = calogen_data::open(
        &fixture("ild_photons_small.h5"),
        &ShowerFileOptions::default(),
    )
    .unwrap();
    let reader = src.points().unwrap();
    let ShowerBatch::Points(mut p) = src.read(0..src.len()).unwrap() else {
        panic!("points expected")
    };
    for e in &mut p.incident_energy {
        *e *= 3.0;
    }
    let mut w = PointsWriter::create(
        dest,
        reader.layout().clone(),
        reader.max_points(),
        p.direction.is_some(),
    )
    .unwrap();
    w.append(&p).unwrap();
    w.finish().unwrap();
}

#[test]
fn different_incident_spectra_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let hard = dir.path().join("hard.h5");
    harder_spectrum(&hard);
    let out = dir.path().join("o");
    let o = evaluate(
        &[
            "--reference-showers",
            "0..20",
            "--generated-showers",
            "20..40",
        ],
        &fixture("ild_photons_small.h5"),
        &hard,
        &out,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning: the incident-energy spectra differ") && err.contains("KS"),
        "{err}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    // Right under the title, before the run's lines.
    let warn = report
        .find("Warning: the incident-energy spectra differ")
        .unwrap();
    assert!(warn < report.find("- reference:").unwrap(), "{report}");
    let w = &metrics(&out)["warnings"];
    assert_eq!(w.as_array().unwrap().len(), 1, "{w}");
}

#[test]
fn pions_against_photons_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let o = evaluate(
        &[
            "--protocol",
            "calohadronic",
            "--geometry",
            "ild-ecal-hcal",
            "--reference-showers",
            "0..20",
            "--generated-showers",
            "0..20",
        ],
        &fixture("ild_photons_small.h5"),
        &fixture("pions_small.h5"),
        dir.path(),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("different kinds of sample")
            && err.contains("30 layers")
            && err.contains("78"),
        "{err}"
    );
    let report = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(report.contains("Warning: the files are different kinds of sample"));
}

/// `calogen generate` of 40 showers with `model` (`None`: the built-in CaloClouds II) into `out`.
fn generate(model: Option<&Path>, out: &Path) {
    let mut c = common::calogen();
    c.args([
        "generate",
        "--energy",
        "10GeV..90GeV",
        "--n",
        "40",
        "--seed",
        "3",
    ]);
    if let Some(m) = model {
        c.arg("--model").arg(m);
    }
    common::run(c.arg("--out").arg(out));
}

#[test]
fn a_reference_among_the_training_showers_is_warned_about() {
    // The built-in CaloClouds II was trained on showers 0..3000 of ild_photons_train.h5; the
    // fixture (cut from that file's first showers) stands in for it under that name.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = d.join("ild_photons_train.h5");
    std::fs::copy(fixture("ild_photons_small.h5"), &train).unwrap();
    let gen = d.join("gen.h5");
    generate(None, &gen);
    let out = d.join("o");
    let o = evaluate(&["--reference-showers", "0..20"], &train, &gen, &out);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("the reference showers 0..20 of ild_photons_train.h5 were used to train"),
        "{err}"
    );
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("were used to train"), "{report}");

    // A model folder says what trained it (training.json): showers 0..10 only. A reference from
    // 20 on is not warned about; one from 5 on is, for the 5 it shares.
    let model = d.join("model");
    std::fs::create_dir(&model).unwrap();
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/assets/caloclouds2");
    for f in [
        "pointwise.safetensors",
        "showerflow.safetensors",
        "calibration.json",
    ] {
        std::fs::copy(assets.join(f), model.join(f)).unwrap();
    }
    std::fs::write(
        model.join("training.json"),
        r#"{"files":[{"file":"ild_photons_train.h5","first":0,"end":10}]}"#,
    )
    .unwrap();
    let gen2 = d.join("gen2.h5");
    generate(Some(&model), &gen2);
    let o = evaluate(
        &["--reference-showers", "20..40"],
        &train,
        &gen2,
        &d.join("o2"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success() && !err.contains("used to train"),
        "{err}"
    );
    let o = evaluate(
        &["--reference-showers", "5..25"],
        &train,
        &gen2,
        &d.join("o3"),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("the reference showers 5..10 of"), "{err}");
}
