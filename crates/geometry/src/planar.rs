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
    // In i64: [i32::MIN, i32::MAX] spans 2^32 cells, which overflows i32.
    pub fn nx(&self) -> usize {
        (i64::from(self.ix[1]) - i64::from(self.ix[0]) + 1) as usize
    }

    pub fn ny(&self) -> usize {
        (i64::from(self.iy[1]) - i64::from(self.iy[0]) + 1) as usize
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

/// Most cells a planar geometry may have (all layers): the projection's scratch grid holds one f32
/// per cell (1 GiB here); the ILD ECAL+HCAL has under a million.
pub const MAX_CELLS: usize = 1 << 28;

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
        // Counts in a file are not trusted: check the totals before building anything (a
        // `layers = 100000000000` section would otherwise push layers until memory runs out).
        let n_layers = spec
            .sections
            .iter()
            .try_fold(0usize, |n, s| n.checked_add(s.layers))
            .filter(|&n| n <= u16::MAX as usize);
        if n_layers.is_none() {
            return Err(GeometryError::new(
                source,
                "sections",
                "more than 65535 layers",
            ));
        }
        // Cells are indexed with u32 and projected through a dense f32 grid of all of them.
        let n_cells = spec.sections.iter().try_fold(0usize, |n, s| {
            let span = |r: [i32; 2]| (i64::from(r[1]) - i64::from(r[0]) + 1).max(0) as usize;
            span(s.ix)
                .checked_mul(span(s.iy))
                .and_then(|c| c.checked_mul(s.layers))
                .and_then(|c| n.checked_add(c))
        });
        if n_cells.is_none_or(|n| n > MAX_CELLS) {
            return Err(GeometryError::new(
                source,
                "sections",
                format!("more than {MAX_CELLS} cells in all"),
            ));
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
