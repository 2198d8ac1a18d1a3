//! The `calogen` binary on the committed fixtures (cut from ../shared/data by tools/make_fixtures.py).

use std::path::PathBuf;
use std::process::Command;

fn calogen() -> Command {
    Command::new(env!("CARGO_BIN_EXE_calogen"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

fn info_json(file: &str) -> serde_json::Value {
    let out = calogen()
        .args(["info", "--json"])
        .arg(fixture(file))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn info_recognises_every_layout() {
    for (file, kind, n_layers) in [
        ("ild_photons_small.h5", "points/caloclouds2", Some(30)),
        (
            "ild_photons_angular_small.h5",
            "points/caloclouds3",
            Some(30),
        ),
        ("pions_small.h5", "points/calohadronic", Some(78)),
        ("par04_electrons_small.h5", "calochallenge", None),
    ] {
        let r = info_json(file);
        assert_eq!(r["kind"], kind, "{file}");
        assert!(r["n_showers"].as_u64().unwrap() > 0);
        if let Some(n) = n_layers {
            assert_eq!(r["layout"]["n_layers"], n);
        }
        let inc = &r["incident_energy_gev"];
        assert!(inc["min"].as_f64().unwrap() >= 1.0 && inc["max"].as_f64().unwrap() <= 1000.0);
    }
    let r = info_json("ild_photons_angular_small.h5");
    assert!(r["direction_theta_deg"]["max"].as_f64().unwrap() <= 40.0);
}

#[test]
fn info_text_and_help() {
    let out = calogen()
        .arg("info")
        .arg(fixture("par04_electrons_small.h5"))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("kind:            calochallenge"), "{text}");
    assert!(text.contains("6480 per shower"), "{text}");
    for cmd in ["info", "project"] {
        let out = calogen().args([cmd, "--help"]).output().unwrap();
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Example"), "{cmd} --help has an example");
    }
}

#[test]
fn bad_input_exits_non_zero_naming_the_file() {
    let out = calogen()
        .args(["info", "/no/such/file.h5"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("/no/such/file.h5") && err.contains("does not exist"),
        "{err}"
    );
    let out = calogen()
        .args(["info", "--layout", "nonsense"])
        .arg(fixture("ild_photons_small.h5"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("unknown layout"));
}
