//! A model refuses conditions outside its trained range before any work (issue 12, point 7):
//! `--energy 1e9GeV` used to print a warning and generate; now it, and 1 GeV for CaloClouds II
//! (trained on 10-90 GeV), are refused unless `--allow-extrapolation`, whose files say so in the
//! HDF5 attribute `calogen_extrapolated`. `--geometry` is checked before generating too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use calogen_data::hdf5;

/// `calogen` with progress bars off.
fn calogen() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_calogen"));
    c.env("CI", "1");
    c
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn generate(args: &[&str], out: &Path) -> Output {
    calogen()
        .arg("generate")
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn attr_bool(p: &Path, name: &str) -> bool {
    let f = hdf5::File::open(p).unwrap();
    f.attr(name)
        .unwrap_or_else(|e| panic!("{}: attribute {name}: {e}", p.display()))
        .read_scalar::<bool>()
        .unwrap()
}

fn attr_f64s(p: &Path, name: &str) -> Vec<f64> {
    let f = hdf5::File::open(p).unwrap();
    f.attr(name)
        .unwrap_or_else(|e| panic!("{}: attribute {name}: {e}", p.display()))
        .read_raw::<f64>()
        .unwrap()
}

/// 20 000 showers take minutes on one core; a refusal before the work takes well under 30 s even
/// with the unoptimised test binary on a loaded 2-core machine.
const BEFORE_ANY_WORK: Duration = Duration::from_secs(30);

#[test]
fn an_absurd_energy_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    let t = Instant::now();
    let o = generate(&["--energy", "1e9GeV", "--n", "20000", "--seed", "1"], &out);
    let took = t.elapsed();
    assert!(!o.status.success(), "1e9 GeV was generated");
    let err = stderr(&o);
    assert!(err.contains("--energy 1e9GeV"), "names the option: {err}");
    assert!(err.contains("10-90 GeV"), "names the trained range: {err}");
    assert!(
        err.contains("--allow-extrapolation"),
        "says the way out: {err}"
    );
    assert!(took < BEFORE_ANY_WORK, "refused only after {took:?}");
    assert!(
        files_in(dir.path()).is_empty(),
        "{:?}",
        files_in(dir.path())
    );
}

#[test]
fn one_gev_for_caloclouds2_needs_allow_extrapolation_and_is_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    let args = [
        "--energy", "1GeV", "--n", "2", "--seed", "3", "--format", "both",
    ];
    let o = generate(&args, &out);
    assert!(
        !o.status.success(),
        "1 GeV (trained 10-90 GeV) was generated"
    );
    let err = stderr(&o);
    assert!(
        err.contains("incident energies 1 GeV are outside its trained range 10-90 GeV"),
        "{err}"
    );
    assert!(files_in(dir.path()).is_empty());

    let o = generate(&[&args[..], &["--allow-extrapolation"]].concat(), &out);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("warning"), "{}", stderr(&o));
    let cells = dir.path().join("x_cells.h5");
    for f in [&out, &cells] {
        assert!(attr_bool(f, "calogen_extrapolated"), "{}", f.display());
        assert_eq!(attr_f64s(f, "calogen_trained_energy_gev"), [10.0, 90.0]);
        assert_eq!(attr_f64s(f, "calogen_energy_gev"), [1.0, 1.0]);
        assert_eq!(attr_f64s(f, "calogen_theta_deg"), [0.0, 0.0]);
    }

    // Inside the range the files say they are not extrapolated.
    let inside = dir.path().join("in.h5");
    let o = generate(&["--energy", "20GeV..30GeV", "--n", "2"], &inside);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!attr_bool(&inside, "calogen_extrapolated"));
    assert_eq!(attr_f64s(&inside, "calogen_energy_gev"), [20.0, 30.0]);
}

#[test]
fn caloclouds3_angles_beyond_60_degrees_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    let o = generate(
        &[
            "--model",
            "caloclouds3",
            "--energy",
            "50GeV",
            "--theta",
            "70deg",
            "--n",
            "1",
        ],
        &out,
    );
    assert!(!o.status.success(), "70° (trained 0-60°) was generated");
    let err = stderr(&o);
    assert!(
        err.contains("polar angles 70° are outside its trained range 0-60°"),
        "{err}"
    );
    assert!(!out.exists());
}

/// CaloClouds II ignores directions: a file of showers at angles is refused whatever the flag,
/// naming the file; so is calibrating on it.
#[test]
fn directions_are_refused_for_a_perpendicular_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    let angular = fixture("ild_photons_angular_small.h5");
    let o = calogen()
        .args(["generate", "--allow-extrapolation", "--like"])
        .arg(&angular)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("ild_photons_angular_small.h5"), "{err}");
    assert!(err.contains("perpendicular incidence only"), "{err}");
    assert!(!out.exists());

    let o = calogen()
        .args(["calibrate", "--n", "20", "--data"])
        .arg(&angular)
        .arg("--out")
        .arg(dir.path().join("cal.json"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("--data") && err.contains("ild_photons_angular_small.h5"),
        "{err}"
    );
    assert!(err.contains("perpendicular incidence only"), "{err}");
}

#[test]
fn an_unknown_or_non_planar_geometry_is_refused_before_generating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.h5");
    for (geometry, format, want) in [
        ("no-such-detector", "points", "no-such-detector"),
        ("calochallenge-ds2", "cells", "cells need a planar geometry"),
    ] {
        let t = Instant::now();
        let o = generate(
            &[
                "--energy",
                "50GeV",
                "--n",
                "20000",
                "--geometry",
                geometry,
                "--format",
                format,
            ],
            &out,
        );
        let took = t.elapsed();
        assert!(!o.status.success(), "--geometry {geometry} accepted");
        let err = stderr(&o);
        assert!(err.contains(want), "{geometry}: {err}");
        assert!(took < BEFORE_ANY_WORK, "{geometry}: refused after {took:?}");
        assert!(files_in(dir.path()).is_empty());
    }
}
