//! Detectors as data, and the projection of generated points into them.
//!
//! A geometry is a TOML file (`geometries/*.toml`, embedded in the binary as built-ins): a planar
//! layered calorimeter (`kind = "planar"`: per-section absorber/sensitive thicknesses, cell size and
//! grid) or a CaloChallenge voxelisation (`kind = "calochallenge"`: the challenge's binning XML).
//! `project` turns point clouds into sparse cells or voxels — the step that makes CaloClouds
//! models independent of the detector's cell layout — and cells back into points.

pub mod barrel;
pub mod calochallenge;
pub mod error;
pub mod planar;
pub mod project;
pub mod registry;

use std::path::Path;

use serde::Deserialize;

pub use barrel::{
    BarrelGeometry, BarrelProjector, BarrelReport, BarrelSpec, Landing, Placement, ShowerLoss,
};
pub use calochallenge::{CaloChallengeSpec, VoxelCentre, VoxelLayer, Voxelisation};
pub use error::{GeometryError, Result};
pub use planar::{Layer, PlanarGeometry, PlanarSpec, Section};
pub use project::{
    cells_to_points, project_points_to_cells, project_points_to_voxels, CellProjector,
    OutsideReport,
};

/// A detector description, resolved and ready to project into.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    Planar(PlanarGeometry),
    CaloChallenge(Voxelisation),
    /// A realistic barrel segment (`kind = "barrel"`): rotated staves, staggered layers, dead gaps.
    Barrel(BarrelGeometry),
}

/// What a TOML file's `kind` selects (`barrel` is read by [`BarrelGeometry::parse`], whose spec keeps
/// its own `kind` field).
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum Spec {
    Planar(PlanarSpec),
    CaloChallenge(CaloChallengeSpec),
}

impl Geometry {
    /// A built-in name (`ild-ecal`, `calochallenge-ds2`, …; see [`registry::names`]) or the path of a
    /// TOML file. A CaloChallenge TOML names its XML relative to its own folder.
    pub fn load(name_or_path: &str) -> Result<Self> {
        if let Some((_, toml)) = registry::BARREL.iter().find(|(n, _)| *n == name_or_path) {
            return Ok(Self::Barrel(BarrelGeometry::parse(toml, name_or_path)?));
        }
        if let Some((_, toml)) = registry::BUILT_IN.iter().find(|(n, _)| *n == name_or_path) {
            return Self::parse(toml, name_or_path, |rel| {
                registry::XML
                    .iter()
                    .find(|(p, _)| *p == rel)
                    .map(|(_, x)| x.to_string())
                    .ok_or_else(|| {
                        GeometryError::new(name_or_path, "binning", format!("no built-in {rel}"))
                    })
            });
        }
        let path = Path::new(name_or_path);
        if !path.exists() {
            return Err(GeometryError::new(
                name_or_path,
                "",
                format!(
                    "unknown geometry: neither a built-in name ({}) nor an existing file",
                    registry::names().join(", ")
                ),
            ));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| GeometryError::new(name_or_path, "", format!("cannot read: {e}")))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, name_or_path, |rel| {
            let xml = dir.join(rel);
            std::fs::read_to_string(&xml).map_err(|e| {
                GeometryError::new(
                    name_or_path,
                    "binning",
                    format!("cannot read {}: {e}", xml.display()),
                )
            })
        })
    }

    /// Parse a geometry from TOML text; `read_xml` resolves a CaloChallenge binning reference.
    pub fn parse(
        toml_text: &str,
        source: &str,
        read_xml: impl FnOnce(&str) -> Result<String>,
    ) -> Result<Self> {
        #[derive(Deserialize)]
        struct Kind {
            kind: Option<String>,
        }
        let kind = toml::from_str::<Kind>(toml_text).ok().and_then(|k| k.kind);
        if kind.as_deref() == Some("barrel") {
            return Ok(Self::Barrel(BarrelGeometry::parse(toml_text, source)?));
        }
        let spec: Spec = toml::from_str(toml_text).map_err(|e| {
            let field = e
                .span()
                .map(|s| format!("bytes {}..{}", s.start, s.end))
                .unwrap_or_default();
            GeometryError::new(source, field, e.message().to_string())
        })?;
        match spec {
            Spec::Planar(p) => Ok(Self::Planar(PlanarGeometry::from_spec(p, source)?)),
            Spec::CaloChallenge(c) => {
                let xml = read_xml(&c.binning)?;
                let xml_source = format!("{source} → {}", c.binning);
                Ok(Self::CaloChallenge(Voxelisation::from_spec(
                    c,
                    &xml,
                    &xml_source,
                )?))
            }
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Planar(p) => &p.name,
            Self::CaloChallenge(v) => &v.name,
            Self::Barrel(b) => &b.name,
        }
    }

    pub fn n_layers(&self) -> usize {
        match self {
            Self::Planar(p) => p.n_layers(),
            Self::CaloChallenge(v) => v.n_layers(),
            Self::Barrel(b) => b.n_layers(),
        }
    }
}
