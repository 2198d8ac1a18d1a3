//! Planar layered calorimeters: a stack of absorber + sensitive layers with square cells.

use serde::Deserialize;

use crate::error::{GeometryError, Result};

/// A run of identical layers, as written in the TOML file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub layers: usize,
    /// Absorber in front of each sensitive layer, mm.
    pub absorber_mm: f64,
    /// Sensitive layer thickness, mm; points sit at its centre.
    pub sensitive_mm: f64,
    pub cell_mm: f64,
    /// Inclusive cell-index range along x; cell `ix` is centred at `origin_mm[0] + ix * cell_mm`.
    pub ix: [i32; 2],
    pub iy: [i32; 2],
    #[serde(default)]
    pub origin_mm: [f64; 2],
    /// Cell threshold for this section (overrides the geometry's), MeV.
    pub threshold_mev: Option<f64>,
}

/// The TOML description of a planar geometry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanarSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Depth of the front face of the first absorber, mm.
    #[serde(default)]
    pub front_mm: f64,
    /// Visible-energy threshold of a cell (half a MIP for the ILD ECAL), MeV.
    pub threshold_mev: f64,
    pub sections: Vec<Section>,
}

/// One sensitive layer, resolved from its section.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer {
    /// Depth of the sensitive layer's centre, mm.
    pub depth_mm: f64,
    pub cell_mm: f64,
    pub origin_mm: [f64; 2],
    pub ix: [i32; 2],
    pub iy: [i32; 2],
    pub threshold_mev: f64,
}

impl Layer {
    pub fn nx(&self) -> usize {
        (self.ix[1] - self.ix[0] + 1) as usize
    }

    pub fn ny(&self) -> usize {
        (self.iy[1] - self.iy[0] + 1) as usize
    }

    /// Centre of cell (ix, iy), mm.
    pub fn cell_centre(&self, ix: i32, iy: i32) -> (f64, f64) {
        (
            self.origin_mm[0] + ix as f64 * self.cell_mm,
            self.origin_mm[1] + iy as f64 * self.cell_mm,
        )
    }

    pub fn contains(&self, ix: i32, iy: i32) -> bool {
        (self.ix[0]..=self.ix[1]).contains(&ix) && (self.iy[0]..=self.iy[1]).contains(&iy)
    }
}

/// A planar layered calorimeter with its layers resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanarGeometry {
    pub name: String,
    pub description: String,
    pub threshold_mev: f64,
    pub layers: Vec<Layer>,
}

impl PlanarGeometry {
    pub fn from_spec(spec: PlanarSpec, source: &str) -> Result<Self> {
        if spec.sections.is_empty() {
            return Err(GeometryError::new(source, "sections", "no layers defined"));
        }
        let mut layers = Vec::new();
        let mut depth = spec.front_mm;
        for (k, s) in spec.sections.iter().enumerate() {
            let field = |f: &str| format!("sections[{k}].{f}");
            let positive = [
                ("layers", s.layers as f64),
                ("cell_mm", s.cell_mm),
                ("sensitive_mm", s.sensitive_mm),
            ];
            for (name, v) in positive {
                if !(v.is_finite() && v > 0.0) {
                    return Err(GeometryError::new(source, field(name), "must be positive"));
                }
            }
            if !(s.absorber_mm.is_finite() && s.absorber_mm >= 0.0) {
                return Err(GeometryError::new(
                    source,
                    field("absorber_mm"),
                    "must be >= 0",
                ));
            }
            for (name, r) in [("ix", s.ix), ("iy", s.iy)] {
                if r[0] > r[1] {
                    return Err(GeometryError::new(
                        source,
                        field(name),
                        "range is empty (first > last)",
                    ));
                }
            }
            for _ in 0..s.layers {
                depth += s.absorber_mm;
                layers.push(Layer {
                    depth_mm: depth + 0.5 * s.sensitive_mm,
                    cell_mm: s.cell_mm,
                    origin_mm: s.origin_mm,
                    ix: s.ix,
                    iy: s.iy,
                    threshold_mev: s.threshold_mev.unwrap_or(spec.threshold_mev),
                });
                depth += s.sensitive_mm;
            }
        }
        if layers.len() > u16::MAX as usize {
            return Err(GeometryError::new(
                source,
                "sections",
                "more than 65535 layers",
            ));
        }
        Ok(Self {
            name: spec.name,
            description: spec.description,
            threshold_mev: spec.threshold_mev,
            layers,
        })
    }

    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// Depth of each sensitive layer's centre, mm.
    pub fn layer_depths(&self) -> Vec<f32> {
        self.layers.iter().map(|l| l.depth_mm as f32).collect()
    }

    /// Total number of cells (all layers).
    pub fn n_cells(&self) -> usize {
        self.layers.iter().map(|l| l.nx() * l.ny()).sum()
    }
}
