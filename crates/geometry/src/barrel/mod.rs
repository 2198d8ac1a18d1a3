//! A realistic ILD ECAL barrel segment: the real cell layout (`geometries/ild-ecal-barrel.toml`,
//! built by `tools/make_barrel_map.py` from the ILD cell map of the CaloClouds3 repository), with the
//! wafer gaps, the per-layer staggering of the wafers and the octagon of 8 staves.
//!
//! Frame: global ILD mm as in the map's `meta.json` — `y` up (radial for the top stave), `z` along
//! the beam. Stave `k` is the top stave rotated by `k·45°` about the beam axis, so a global point is
//! first rotated into the top stave. Per layer, the cells are the product of x columns and z rows,
//! each a list of runs of contiguous cells (one run per silicon wafer); the space between runs is
//! dead. Energy that falls into a gap (or a lattice cell the map lacks) is lost, as in the detector,
//! and counted; energy beyond the described region (the part of the stave the map covers
//! completely) is "outside", counted separately.
//!
//! Generated showers come in the local frame of CaloClouds3 (SPEC §3: local x ∥ beam = global z,
//! local y = global x, depth = layer index) and are placed by [`Placement`].

use serde::Deserialize;

use crate::error::{GeometryError, Result};

/// The TOML description (`kind = "barrel"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrelSpec {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Always "barrel" (the tag shared with the other geometry kinds).
    pub kind: String,
    pub threshold_mev: f64,
    pub staves: usize,
    pub cell_mm: f64,
    pub sensitive_mm: f64,
    /// The region of the top stave the map describes (global x and z, mm).
    pub x_range: [f64; 2],
    pub z_range: [f64; 2],
    /// The CaloClouds II/3 gun position (x, y, z): where generated showers enter by default.
    pub gun: [f64; 3],
    pub layers: Vec<BarrelLayerSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrelLayerSpec {
    /// Radial position of the silicon centre in the top stave.
    pub y_mm: f64,
    /// [first cell centre, number of cells] of each run of contiguous cells along x.
    pub x_runs: Vec<(f64, u32)>,
    pub z_runs: Vec<(f64, u32)>,
    /// [column, row] of lattice cells that do not exist.
    #[serde(default)]
    pub missing: Vec<[u32; 2]>,
}

/// Where a coordinate falls along one axis of a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisHit {
    /// Column (or row) index, counted over all runs from the first.
    Cell(u32),
    /// Between two runs: dead material.
    Gap,
    /// Before the first run or after the last: beyond the described region.
    Outside,
}

/// One axis of a layer: runs of contiguous cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Lower edge of each run.
    lo: Vec<f64>,
    /// Index of each run's first cell.
    first: Vec<u32>,
    n: Vec<u32>,
    cell: f64,
    inv_cell: f64,
}

impl Axis {
    fn new(runs: &[(f64, u32)], cell: f64, what: &str, source: &str) -> Result<Self> {
        let mut a = Axis {
            lo: Vec::new(),
            first: Vec::new(),
            n: Vec::new(),
            cell,
            inv_cell: 1.0 / cell,
        };
        let mut count = 0u32;
        for (i, &(centre, n)) in runs.iter().enumerate() {
            let lo = centre - 0.5 * cell;
            if n == 0 || !centre.is_finite() {
                return Err(GeometryError::new(
                    source,
                    what,
                    format!("run {i} is empty or not finite"),
                ));
            }
            if let Some(&prev) = a.lo.last() {
                // Runs must not overlap: a cell belongs to one run.
                let prev_hi = prev + *a.n.last().unwrap() as f64 * cell;
                if lo < prev_hi - 1e-6 {
                    return Err(GeometryError::new(
                        source,
                        what,
                        format!("run {i} starts at {lo} mm, inside the previous run (ends {prev_hi} mm)"),
                    ));
                }
            }
            a.lo.push(lo);
            a.first.push(count);
            a.n.push(n);
            // Counts come from the file: 4294967295 cells in two runs must not wrap.
            count = count.checked_add(n).ok_or_else(|| {
                GeometryError::new(source, what, "more than 2^32 - 1 cells along one axis")
            })?;
        }
        if count == 0 {
            return Err(GeometryError::new(source, what, "no cells"));
        }
        Ok(a)
    }

    pub fn n_cells(&self) -> u32 {
        self.first.last().unwrap() + self.n.last().unwrap()
    }

    /// Where `v` (mm) falls. NaN is outside.
    #[inline]
    pub fn locate(&self, v: f64) -> AxisHit {
        // The run whose lower edge is the last one <= v.
        let r = self.lo.partition_point(|&lo| lo <= v);
        if r == 0 {
            return AxisHit::Outside;
        }
        let r = r - 1;
        let k = ((v - self.lo[r]) * self.inv_cell).floor();
        if k < self.n[r] as f64 {
            AxisHit::Cell(self.first[r] + k as u32)
        } else if r + 1 == self.lo.len() {
            AxisHit::Outside
        } else {
            AxisHit::Gap
        }
    }

    /// Centre of cell `i` (mm).
    pub fn centre(&self, i: u32) -> Option<f64> {
        let r = self.first.partition_point(|&f| f <= i).checked_sub(1)?;
        let k = i - self.first[r];
        (k < self.n[r]).then(|| self.lo[r] + (k as f64 + 0.5) * self.cell)
    }

    /// Length of the described span (first lower edge to last upper edge) and of its cells.
    fn spans(&self) -> (f64, f64) {
        let last = self.lo.len() - 1;
        let span = self.lo[last] + self.n[last] as f64 * self.cell - self.lo[0];
        (span, self.n_cells() as f64 * self.cell)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BarrelLayer {
    pub y_mm: f64,
    pub x: Axis,
    pub z: Axis,
    /// Offset of this layer's cells in the flat cell index.
    base: u32,
}

impl BarrelLayer {
    pub fn n_cells(&self) -> u32 {
        self.x.n_cells() * self.z.n_cells()
    }
}

/// Most lattice cells a barrel may have (all layers of a stave): one flag each; the ILD ECAL barrel
/// has a few million.
pub const MAX_CELLS: u64 = 1 << 28;

/// The resolved barrel segment.
#[derive(Debug, Clone, PartialEq)]
pub struct BarrelGeometry {
    pub name: String,
    pub description: String,
    pub threshold_mev: f64,
    pub staves: usize,
    pub cell_mm: f64,
    pub sensitive_mm: f64,
    pub x_range: [f64; 2],
    pub z_range: [f64; 2],
    pub gun: [f64; 3],
    pub layers: Vec<BarrelLayer>,
    /// Per flat cell: false where the lattice has a cell that the detector lacks.
    exists: Vec<bool>,
}

/// Where a shower enters the top stave: local (x, y) = (0, 0) goes to global (x, z) =
/// (`x_mm`, `z_mm`); local x runs along the beam (global z), local y along global x (CaloClouds3
/// SPEC §3, orientation `hdf5:xyz == global:zxy`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    pub x_mm: f64,
    pub z_mm: f64,
}

/// What happened to one point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Landing {
    /// Flat cell index.
    Cell(u32),
    Gap,
    Outside,
}

impl BarrelGeometry {
    pub fn from_spec(spec: BarrelSpec, source: &str) -> Result<Self> {
        if spec.kind != "barrel" {
            return Err(GeometryError::new(source, "kind", "expected \"barrel\""));
        }
        if spec.cell_mm.is_nan()
            || spec.cell_mm <= 0.0
            || spec.staves == 0
            || spec.layers.is_empty()
        {
            return Err(GeometryError::new(
                source,
                "cell_mm",
                "cell size, staves and layers must be positive",
            ));
        }
        let mut base = 0u32;
        let mut layers = Vec::with_capacity(spec.layers.len());
        let mut missing_all = Vec::new();
        for (l, ls) in spec.layers.iter().enumerate() {
            let x = Axis::new(
                &ls.x_runs,
                spec.cell_mm,
                &format!("layers[{l}].x_runs"),
                source,
            )?;
            let z = Axis::new(
                &ls.z_runs,
                spec.cell_mm,
                &format!("layers[{l}].z_runs"),
                source,
            )?;
            let layer = BarrelLayer {
                y_mm: ls.y_mm,
                x,
                z,
                base,
            };
            // `exists` holds a flag per lattice cell and cells are indexed with u32: bound the
            // total before any index is computed from it.
            let cells = u64::from(layer.x.n_cells()) * u64::from(layer.z.n_cells());
            if u64::from(base) + cells > MAX_CELLS {
                return Err(GeometryError::new(
                    source,
                    format!("layers[{l}]"),
                    format!("more than {MAX_CELLS} cells up to this layer"),
                ));
            }
            for &[c, r] in &ls.missing {
                if c >= layer.x.n_cells() || r >= layer.z.n_cells() {
                    return Err(GeometryError::new(
                        source,
                        format!("layers[{l}].missing"),
                        format!("cell [{c}, {r}] is not on the layer's lattice"),
                    ));
                }
                missing_all.push(base + c * layer.z.n_cells() + r);
            }
            base += layer.n_cells();
            layers.push(layer);
        }
        let mut exists = vec![true; base as usize];
        for i in missing_all {
            exists[i as usize] = false;
        }
        Ok(Self {
            name: spec.name,
            description: spec.description,
            threshold_mev: spec.threshold_mev,
            staves: spec.staves,
            cell_mm: spec.cell_mm,
            sensitive_mm: spec.sensitive_mm,
            x_range: spec.x_range,
            z_range: spec.z_range,
            gun: spec.gun,
            layers,
            exists,
        })
    }

    /// The built-in `ild-ecal-barrel` or a TOML file of `kind = "barrel"`.
    pub fn load(name_or_path: &str) -> Result<Self> {
        let (text, source) = match crate::registry::BARREL
            .iter()
            .find(|(n, _)| *n == name_or_path)
        {
            Some((_, t)) => (t.to_string(), name_or_path.to_string()),
            None => (
                std::fs::read_to_string(name_or_path).map_err(|e| {
                    GeometryError::new(
                        name_or_path,
                        "",
                        format!(
                            "neither a built-in barrel ({}) nor a readable file: {e}",
                            crate::registry::BARREL
                                .iter()
                                .map(|(n, _)| *n)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
                name_or_path.to_string(),
            ),
        };
        Self::parse(&text, &source)
    }

    pub fn parse(toml_text: &str, source: &str) -> Result<Self> {
        let spec: BarrelSpec = toml::from_str(toml_text).map_err(|e| {
            let field = e
                .span()
                .map(|s| format!("bytes {}..{}", s.start, s.end))
                .unwrap_or_default();
            GeometryError::new(source, field, e.message().to_string())
        })?;
        Self::from_spec(spec, source)
    }

    pub fn n_layers(&self) -> usize {
        self.layers.len()
    }

    /// Cells per stave (lattice cells that exist).
    pub fn n_cells(&self) -> usize {
        self.exists.iter().filter(|&&e| e).count()
    }

    /// Fraction of the described area of layer `l` that is dead (gaps and missing cells).
    pub fn dead_fraction(&self, l: usize) -> f64 {
        let layer = &self.layers[l];
        let (sx, cx) = layer.x.spans();
        let (sz, cz) = layer.z.spans();
        let n = layer.n_cells() as usize;
        let b = layer.base as usize;
        let present = self.exists[b..b + n].iter().filter(|&&e| e).count();
        1.0 - (cx * cz) * (present as f64 / n as f64) / (sx * sz)
    }

    /// Angle of stave `k` about the beam axis (radians, counter-clockwise seen from +z; stave 0 is
    /// the top one).
    pub fn stave_angle(&self, k: usize) -> f64 {
        (k as f64) * std::f64::consts::TAU / self.staves as f64
    }

    /// The stave a global (x, y) point belongs to (by its azimuth) and the point rotated into the
    /// top stave.
    #[inline]
    pub fn to_top_stave(&self, x: f64, y: f64) -> (usize, f64, f64) {
        let step = std::f64::consts::TAU / self.staves as f64;
        let phi = y.atan2(x) - std::f64::consts::FRAC_PI_2;
        let k = (phi / step).round().rem_euclid(self.staves as f64) as usize % self.staves;
        let (s, c) = (-self.stave_angle(k)).sin_cos();
        (k, c * x - s * y, s * x + c * y)
    }

    /// A top-stave point rotated into stave `k`.
    pub fn from_top_stave(&self, k: usize, x: f64, y: f64) -> (f64, f64) {
        let (s, c) = self.stave_angle(k).sin_cos();
        (c * x - s * y, s * x + c * y)
    }

    /// Where a top-stave point (x, z) of layer `l` lands.
    #[inline]
    pub fn locate(&self, l: usize, x: f64, z: f64) -> Landing {
        let Some(layer) = self.layers.get(l) else {
            return Landing::Outside;
        };
        let (hx, hz) = (layer.x.locate(x), layer.z.locate(z));
        match (hx, hz) {
            (AxisHit::Outside, _) | (_, AxisHit::Outside) => Landing::Outside,
            (AxisHit::Cell(c), AxisHit::Cell(r)) => {
                let i = layer.base + c * layer.z.n_cells() + r;
                if self.exists[i as usize] {
                    Landing::Cell(i)
                } else {
                    Landing::Gap
                }
            }
            _ => Landing::Gap,
        }
    }

    /// (layer, column, row) of a flat cell index.
    pub fn cell_coords(&self, i: u32) -> (u16, u32, u32) {
        let l = self.layers.partition_point(|ly| ly.base <= i) - 1;
        let layer = &self.layers[l];
        let k = i - layer.base;
        (l as u16, k / layer.z.n_cells(), k % layer.z.n_cells())
    }

    /// Global centre (x, y, z) of cell (column, row) of layer `l` in stave `k`.
    pub fn cell_centre(&self, k: usize, l: usize, column: u32, row: u32) -> Option<[f64; 3]> {
        let layer = self.layers.get(l)?;
        let (x, z) = (layer.x.centre(column)?, layer.z.centre(row)?);
        let (gx, gy) = self.from_top_stave(k, x, layer.y_mm);
        Some([gx, gy, z])
    }

    /// The default placement: the CaloClouds II/3 gun position.
    pub fn gun_placement(&self) -> Placement {
        Placement {
            x_mm: self.gun[0],
            z_mm: self.gun[2],
        }
    }
}

mod projector;
pub use projector::{BarrelProjector, BarrelReport, ShowerLoss};

#[cfg(test)]
mod tests {
    use super::*;

    const TOY: &str = r#"
name = "toy"
kind = "barrel"
threshold_mev = 0.0
staves = 8
cell_mm = 5.0
sensitive_mm = 0.5
x_range = [-20.0, 20.0]
z_range = [-20.0, 20.0]
gun = [0.0, 99.0, 0.0]

[[layers]]
y_mm = 100.0
x_runs = [[-12.5, 2], [3.5, 3]]
z_runs = [[0.0, 4]]
missing = [[1, 2]]

[[layers]]
y_mm = 110.0
x_runs = [[-11.5, 5]]
z_runs = [[0.0, 4]]
"#;

    #[test]
    fn axis_runs_and_gaps() {
        let g = BarrelGeometry::parse(TOY, "toy").unwrap();
        let x = &g.layers[0].x;
        // Run 0: cells centred -12.5, -7.5 (edges -15..-5); gap -5..1; run 1: 3.5, 8.5, 13.5 (1..16).
        assert_eq!(x.locate(-15.1), AxisHit::Outside);
        assert_eq!(x.locate(-14.9), AxisHit::Cell(0));
        assert_eq!(x.locate(-5.1), AxisHit::Cell(1));
        assert_eq!(x.locate(-4.9), AxisHit::Gap);
        assert_eq!(x.locate(0.99), AxisHit::Gap);
        assert_eq!(x.locate(1.01), AxisHit::Cell(2));
        assert_eq!(x.locate(15.9), AxisHit::Cell(4));
        assert_eq!(x.locate(16.1), AxisHit::Outside);
        assert_eq!(x.locate(f64::NAN), AxisHit::Outside);
        assert_eq!(x.centre(3), Some(8.5));
        assert_eq!(x.centre(5), None);
        // Missing cell (column 1, row 2) is dead; its neighbour is not.
        assert_eq!(g.locate(0, -7.5, 12.0), Landing::Gap);
        assert_eq!(g.locate(0, -7.5, 7.0), Landing::Cell(5));
        assert_eq!(g.cell_coords(5), (0, 1, 1));
        // Layer 1 is staggered: -5..1 is a gap in layer 0 but cells in layer 1.
        assert!(matches!(g.locate(1, -2.0, 7.0), Landing::Cell(_)));
        // Dead fraction of layer 0: span 31 mm, cells 25 mm; 1 of 20 cells missing.
        let expect = 1.0 - 25.0 * 20.0 * (19.0 / 20.0) / (31.0 * 20.0);
        assert!((g.dead_fraction(0) - expect).abs() < 1e-12);
        assert_eq!(g.dead_fraction(1), 0.0);
    }

    #[test]
    fn overlapping_runs_are_rejected() {
        let bad = TOY
            .replace("[[3.5, 3]]", "[[-9.0, 3]]")
            .replace("[[-12.5, 2], [3.5, 3]]", "[[-12.5, 2], [-9.0, 3]]");
        let e = BarrelGeometry::parse(&bad, "bad.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("bad.toml") && e.contains("layers[0].x_runs"),
            "{e}"
        );
    }
}
