//! Each reader on the small files cut from ../shared/data (tools/make_fixtures.py).

use std::path::PathBuf;

use calogen_data::hdf5;
use calogen_data::{open, FileKind, ShowerBatch, ShowerFileOptions};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name)
}

/// `n_points` as stored by Geant4 post-processing, for cross-checking the padding logic.
fn stored_counts(name: &str, ds: &str) -> Vec<i32> {
    let f = hdf5::File::open(fixture(name)).unwrap();
    f.dataset(ds).unwrap().read_raw().unwrap()
}

fn stored_incident_gev(name: &str) -> Vec<f32> {
    let f = hdf5::File::open(fixture(name)).unwrap();
    f.dataset("energy").unwrap().read_raw().unwrap()
}

#[test]
fn point_files_match_their_stored_counts() {
    for (name, layout, n_layers) in [
        ("ild_photons_small.h5", "caloclouds2", 30u16),
        ("ild_photons_angular_small.h5", "caloclouds3", 30),
        ("pions_small.h5", "calohadronic", 78),
    ] {
        let f = open(&fixture(name), &ShowerFileOptions::default()).unwrap();
        let FileKind::Points(l) = f.kind() else {
            panic!("{name}: kind")
        };
        assert_eq!(l.name, layout);
        let ShowerBatch::Points(p) = f.read(0..f.len()).unwrap() else {
            panic!()
        };
        assert!(p.is_consistent());
        let counts: Vec<i32> = (0..p.len()).map(|i| p.shower(i).len() as i32).collect();
        assert_eq!(counts, stored_counts(name, "n_points"), "{name}");
        assert!(p.layer.iter().all(|&l| l < n_layers));
        // GeV in the file, MeV inside calogen
        for (mev, gev) in p.incident_energy.iter().zip(stored_incident_gev(name)) {
            assert!((mev - 1000.0 * gev).abs() <= 1e-3 * mev);
        }
        // Visible energy is a few per cent of the incident energy in these samplings.
        for s in p.iter() {
            let r = s.total_energy() / s.incident_energy as f64;
            assert!(r > 0.0 && r < 0.06, "{name}: E_vis/E_inc = {r}");
        }
        // CaloClouds II stores padding at the front, CaloClouds3 at the end; both read the same points.
        if layout == "calohadronic" {
            let ecal = stored_counts(name, "n_points_ecal");
            for (i, s) in p.iter().enumerate() {
                assert_eq!(s.layer.iter().filter(|&&l| l < 30).count() as i32, ecal[i]);
            }
        }
    }
}

#[test]
fn directions_are_read_as_unit_vectors() {
    let f = open(
        &fixture("ild_photons_angular_small.h5"),
        &ShowerFileOptions::default(),
    )
    .unwrap();
    let d = f.direction().expect("p_norm_local");
    assert_eq!(d.len(), f.len());
    for v in d {
        let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        assert!((n - 1.0).abs() < 1e-5);
        assert!(
            v[2] >= 40f32.to_radians().cos() - 1e-4,
            "within 40 degrees of the normal"
        );
    }
}

#[test]
fn both_cell_index_conventions_read_alike() {
    // flat index (ILD photons): cells centred on the axis, ix, iy in -30..30
    let f = open(
        &fixture("ild_photons_small.h5"),
        &ShowerFileOptions::default(),
    )
    .unwrap();
    let cells = f.cells().unwrap().expect("cells/ group");
    assert_eq!(
        cells.indexing(),
        calogen_data::formats::CellIndexing::Flat { n_per_side: 60 }
    );
    let c = cells.read(0..cells.len()).unwrap();
    assert!(c.is_consistent());
    assert!(c.ix.iter().chain(&c.iy).all(|&i| (-30..30).contains(&i)));
    assert!(c.layer.iter().all(|&l| l < 30));
    // the showers start at the axis: the most energetic cell of layer 10 sits near (0, 0)
    for i in 0..c.len() {
        let s = c.shower(i);
        let (k, _) = s
            .energy
            .iter()
            .enumerate()
            .filter(|(k, _)| s.layer[*k] == 10)
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        assert!(
            s.ix[k].abs() <= 1 && s.iy[k].abs() <= 1,
            "shower {i}: hottest cell at ({}, {})",
            s.ix[k],
            s.iy[k]
        );
    }
    // split index (pions): HCAL layers present
    let f = open(&fixture("pions_small.h5"), &ShowerFileOptions::default()).unwrap();
    let cells = f.cells().unwrap().expect("cells/ group");
    assert_eq!(cells.indexing(), calogen_data::formats::CellIndexing::Split);
    let c = cells.read(0..cells.len()).unwrap();
    assert!(c.layer.iter().any(|&l| l >= 30));
    assert_eq!(c.len(), f.len());
}

#[test]
fn calochallenge_fixture() {
    let f = open(
        &fixture("par04_electrons_small.h5"),
        &ShowerFileOptions::default(),
    )
    .unwrap();
    assert_eq!(f.kind(), &FileKind::CaloChallenge);
    let ShowerBatch::Voxels(v) = f.read(0..f.len()).unwrap() else {
        panic!()
    };
    assert_eq!(v.n_voxels, 6480);
    // E_tot / E_inc near 1 (the challenge's 1/0.033 calibration), data README: 5-95 % in 0.90-1.04
    let mean: f64 = (0..v.len())
        .map(|i| v.shower(i).iter().map(|&e| e as f64).sum::<f64>() / v.incident_energy[i] as f64)
        .sum::<f64>()
        / v.len() as f64;
    assert!((0.9..1.05).contains(&mean), "mean E_tot/E_inc = {mean}");
}
