//! One `generate` path for every family: CaloClouds3 from explicit conditions (no Geant4 file),
//! `--threads` not changing a byte and `--format` acting the same for CaloClouds II and
//! CaloClouds3.

use std::path::{Path, PathBuf};

use calogen_data::{ShowerBatch, ShowerFileOptions};

mod common;
use common::calogen;

fn run(args: &[&str], out: &Path) {
    let r = calogen().args(args).arg("--out").arg(out).output().unwrap();
    assert!(
        r.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
}

fn open(p: &Path) -> calogen_data::ShowerFile {
    calogen_data::open(p, &ShowerFileOptions::default()).unwrap()
}

#[test]
fn caloclouds3_generates_from_explicit_conditions() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    run(
        &[
            "generate",
            "--model",
            "caloclouds3",
            "--energy",
            "50GeV",
            "--theta",
            "30deg",
            "--n",
            "100",
            "--format",
            "both",
        ],
        &out,
    );
    let ShowerBatch::Points(pc) = open(&out).read(0..100).unwrap() else {
        panic!("points expected")
    };
    assert_eq!(pc.len(), 100);
    assert!(pc.incident_energy.iter().all(|&e| e == 50_000.0));
    let cos30 = 30f32.to_radians().cos();
    let dirs = pc.direction.as_ref().expect("directions are written");
    assert!(dirs
        .iter()
        .all(|d| (d[2] - cos30).abs() < 1e-5 && d[1].abs() < 1e-6));
    assert!(pc.n_points() > 100 * 500);
    assert!(pc.energy.iter().all(|e| e.is_finite() && *e > 0.0));
    assert!(pc.layer.iter().all(|&l| l < 30));
    let cells = dir.path().join("x_cells.h5");
    assert_eq!(open(&cells).len(), 100);
}

/// 150 showers cross the 64-per-thread chunks for both thread counts.
#[test]
fn threads_do_not_change_a_byte_for_either_family() {
    let dir = tempfile::tempdir().unwrap();
    let families: [&[&str]; 2] = [
        &["--energy", "10GeV..90GeV"],
        &[
            "--model",
            "caloclouds3",
            "--energy",
            "10GeV..90GeV",
            "--theta",
            "0..40",
            "--phi",
            "-180..180",
        ],
    ];
    for (k, family) in families.iter().enumerate() {
        let files: Vec<PathBuf> = ["1", "2"]
            .iter()
            .map(|t| {
                let out = dir.path().join(format!("f{k}_t{t}.h5"));
                let mut args = vec!["generate", "--n", "150", "--seed", "9", "--threads", t];
                args.extend_from_slice(family);
                run(&args, &out);
                out
            })
            .collect();
        let (a, b) = (
            std::fs::read(&files[0]).unwrap(),
            std::fs::read(&files[1]).unwrap(),
        );
        assert!(a == b, "family {family:?}: --threads 1 and 2 differ");
        assert_eq!(open(&files[0]).len(), 150);
    }
}

#[test]
fn format_acts_for_both_families() {
    let dir = tempfile::tempdir().unwrap();
    for (name, family) in [("cc2", vec![]), ("cc3", vec!["--model", "caloclouds3"])] {
        for format in ["points", "cells", "both"] {
            let out = dir.path().join(format!("{name}_{format}.h5"));
            let mut args = vec![
                "generate", "--energy", "40GeV", "--n", "3", "--format", format,
            ];
            args.extend(&family);
            run(&args, &out);
            let f = open(&out);
            assert_eq!(f.len(), 3);
            let is_points = f.points().is_some();
            assert_eq!(is_points, format != "cells", "{name} {format}");
            let cells = dir.path().join(format!("{name}_{format}_cells.h5"));
            assert_eq!(cells.exists(), format == "both", "{name} {format}");
            if format == "cells" {
                assert!(
                    f.cells().unwrap().is_some(),
                    "{name}: cells/ group expected"
                );
            }
        }
    }
}
