//! The real CaloClouds II photon file (skipped where `../shared/data` is absent): split sizes,
//! feature sanity and normalisation scale.

use calogen_train::data::features::{n_features, shower_features};
use calogen_train::data::{PointNormalisation, ShowerSet};
use std::path::PathBuf;

/// The file (a CI run without it fails; locally the test is skipped).
fn file() -> Option<PathBuf> {
    calogen_data::shared_data::shared_data("ild_photons_train.h5")
}

#[test]
fn ild_photons_split_features_and_normalisation() {
    let Some(path) = file() else { return };
    let set = ShowerSet::open(&path, 500).unwrap();
    assert_eq!(set.eval.len(), 500);
    assert_eq!(set.train.len() + 500, 3500);
    assert_eq!(set.n_layers, 30);
    let f = shower_features(&set.train, 0, 30);
    assert_eq!(f.len(), n_features(30));
    assert_eq!(f.len(), 64);
    let sum = |r: std::ops::Range<usize>| f[r].iter().sum::<f64>();
    assert!((sum(4..34) - 1.0).abs() < 1e-9 && (sum(34..64) - 1.0).abs() < 1e-9);
    let n = PointNormalisation::fit(&set.train);
    // Showers are centred on the gun axis and a few cm wide; energies are ~MeV.
    assert!(
        n.x.mean.abs() < 2.0 && n.x.std > 5.0 && n.x.std < 60.0,
        "{n:?}"
    );
    assert!(n.z.mean > 5.0 && n.z.mean < 20.0, "{n:?}");
    let p = n.fwd(0.0, 0.0, 10, 1.0, 0.5);
    let (x, y, l, e) = n.inv(p, 30);
    assert!(x.abs() < 1e-3 && y.abs() < 1e-3 && l == 10 && (e - 1.0).abs() < 1e-4);
}
