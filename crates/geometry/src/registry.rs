//! The built-in geometries, embedded so the binary works on a machine without this repository.

/// (name, TOML text) of every built-in geometry, from `geometries/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "ild-ecal",
        include_str!("../../../geometries/ild-ecal.toml"),
    ),
    (
        "ild-ecal-wide",
        include_str!("../../../geometries/ild-ecal-wide.toml"),
    ),
    (
        "ild-ecal-hcal",
        include_str!("../../../geometries/ild-ecal-hcal.toml"),
    ),
    (
        "calochallenge-ds1-photons",
        include_str!("../../../geometries/calochallenge-ds1-photons.toml"),
    ),
    (
        "calochallenge-ds1-pions",
        include_str!("../../../geometries/calochallenge-ds1-pions.toml"),
    ),
    (
        "calochallenge-ds2",
        include_str!("../../../geometries/calochallenge-ds2.toml"),
    ),
    (
        "calochallenge-ds3",
        include_str!("../../../geometries/calochallenge-ds3.toml"),
    ),
];

/// Binning XMLs the built-in CaloChallenge geometries refer to, by their path relative to `geometries/`.
pub const XML: &[(&str, &str)] = &[
    (
        "calochallenge/binning_dataset_1_photons.xml",
        include_str!("../../../geometries/calochallenge/binning_dataset_1_photons.xml"),
    ),
    (
        "calochallenge/binning_dataset_1_pions.xml",
        include_str!("../../../geometries/calochallenge/binning_dataset_1_pions.xml"),
    ),
    (
        "calochallenge/binning_dataset_2.xml",
        include_str!("../../../geometries/calochallenge/binning_dataset_2.xml"),
    ),
    (
        "calochallenge/binning_dataset_3.xml",
        include_str!("../../../geometries/calochallenge/binning_dataset_3.xml"),
    ),
];

/// Every built-in name, planar and CaloChallenge first, then the barrels.
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().chain(BARREL).map(|(n, _)| *n).collect()
}

/// Built-in realistic barrels (`kind = "barrel"`): [`Geometry::load`](crate::Geometry::load) and
/// [`BarrelGeometry::load`](crate::barrel::BarrelGeometry::load) both find them here.
pub const BARREL: &[(&str, &str)] = &[(
    "ild-ecal-barrel",
    include_str!("../../../geometries/ild-ecal-barrel.toml"),
)];
