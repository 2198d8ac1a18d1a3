//! `calogen evaluate` writes plots/*.png and a report.html whose every image exists and decodes
//! as a PNG; `--no-plots` writes neither.

use std::path::Path;
use std::process::Command;

mod common;
use common::fixture;

fn evaluate(dir: &Path, file: &str, extra: &[&str]) {
    let f = fixture(file);
    let out = Command::new(env!("CARGO_BIN_EXE_calogen"))
        .arg("evaluate")
        .args(extra)
        .args([
            "--reference-showers",
            "0..20",
            "--generated-showers",
            "20..40",
        ])
        .arg("--reference")
        .arg(&f)
        .arg("--generated")
        .arg(&f)
        .arg("--out")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `src` of every `<img>` in the page.
fn image_sources(html: &str) -> Vec<String> {
    html.split("<img ")
        .skip(1)
        .map(|rest| {
            let start = rest.find("src=\"").expect("img without src") + 5;
            let len = rest[start..].find('"').unwrap();
            rest[start..start + len].to_string()
        })
        .collect()
}

/// Every image of report.html exists, is a PNG of the size the page says, and the page has the
/// expected plots; returns the image names.
fn check_report(dir: &Path, expected: &[&str]) -> Vec<String> {
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("NaN"), "no NaN in the report");
    let srcs = image_sources(&html);
    assert!(!srcs.is_empty());
    for src in &srcs {
        assert!(src.starts_with("plots/") && src.ends_with(".png"), "{src}");
        let bytes = std::fs::read(dir.join(src)).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{src}");
        // IHDR width and height, big-endian, right after the signature and chunk header.
        let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
        let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
        assert!(
            html.contains(&format!("src=\"{src}\" alt="))
                && html.contains(&format!("width=\"{w}\" height=\"{h}\"")),
            "{src}: {w}×{h}"
        );
        assert!(bytes.len() > 10_000, "{src}: {} bytes, blank?", bytes.len());
    }
    for name in expected {
        assert!(
            srcs.iter().any(|s| s == &format!("plots/{name}.png")),
            "{name} missing from {srcs:?}"
        );
    }
    // No temporary files left behind.
    for entry in std::fs::read_dir(dir.join("plots")).unwrap() {
        let n = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.ends_with(".tmp"), "{n}");
    }
    srcs
}

#[test]
fn caloclouds_report_shows_every_plot() {
    let dir = tempfile::tempdir().unwrap();
    evaluate(
        dir.path(),
        "ild_photons_small.h5",
        &["--geometry", "ild-ecal", "--classifier-repeats", "0"],
    );
    let srcs = check_report(
        dir.path(),
        &[
            "n_hits",
            "e_vis_over_e_inc",
            "e_cell",
            "cog_x",
            "cog_y",
            "cog_z",
            "longitudinal_profile",
            "radial_profile",
        ],
    );
    assert_eq!(srcs.len(), 8);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    // The metric tables of report.md are in the page.
    assert!(html.contains("<td>n_hits</td>"), "{html}");
    assert!(html.contains("CaloClouds II protocol"));
}

#[test]
fn calochallenge_report_shows_every_plot() {
    let dir = tempfile::tempdir().unwrap();
    evaluate(
        dir.path(),
        "par04_electrons_small.h5",
        &[
            "--protocol",
            "calochallenge",
            "--geometry",
            "calochallenge-ds2",
            "--classifier-epochs",
            "0",
            "--prdc-showers",
            "0",
            "--fpd-kpd-sizes",
            "scaled",
        ],
    );
    let srcs = check_report(
        dir.path(),
        &[
            "etot_einc",
            "voxel_energy",
            "layer_profile",
            "radial_profile",
            "layer_correlation_diff",
        ],
    );
    // The eight per-layer features at the shower maximum.
    for key in [
        "e_layer_",
        "ec_eta_",
        "ec_phi_",
        "width_eta_",
        "width_phi_",
        "ec_r_",
        "width_r_",
        "sparsity_",
    ] {
        assert!(
            srcs.iter().any(|s| s.starts_with(&format!("plots/{key}"))),
            "{key}"
        );
    }
}

#[test]
fn no_plots_writes_neither_plots_nor_html() {
    let bare = tempfile::tempdir().unwrap();
    evaluate(
        bare.path(),
        "ild_photons_small.h5",
        &[
            "--geometry",
            "ild-ecal",
            "--classifier-repeats",
            "0",
            "--no-plots",
        ],
    );
    assert!(bare.path().join("metrics.json").exists());
    assert!(!bare.path().join("report.html").exists());
    assert!(!bare.path().join("plots").exists());
}
