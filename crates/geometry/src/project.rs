//! Projection: points → detector cells or CaloChallenge voxels, and cells → points.
//!
//! This sits on the generation hot path (every generated shower goes through it), so points → cells
//! uses a dense per-layer scratch grid indexed directly from the point's cell coordinates, plus a list
//! of the cells touched, so that resetting the grid costs the shower's cell count, not the grid's size.
//! No hashing, no sorting: cells come out in the order the shower first touched them.

use calogen_data::{CellShowers, PointClouds, VoxelShowers};

use crate::calochallenge::Voxelisation;
use crate::error::{GeometryError, Result};
use crate::planar::PlanarGeometry;

/// Energy that fell outside the detector (outside every cell grid, or in a layer the detector lacks).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutsideReport {
    /// Per shower: points outside, and their energy (MeV).
    pub points: Vec<usize>,
    pub energy_mev: Vec<f64>,
    /// Energy of all points projected, inside or out (MeV).
    pub total_energy_mev: f64,
}

impl OutsideReport {
    pub fn outside_points(&self) -> usize {
        self.points.iter().sum()
    }

    pub fn outside_energy_mev(&self) -> f64 {
        self.energy_mev.iter().sum()
    }

    /// Fraction of all projected energy that fell outside.
    pub fn outside_fraction(&self) -> f64 {
        if self.total_energy_mev > 0.0 {
            self.outside_energy_mev() / self.total_energy_mev
        } else {
            0.0
        }
    }

    pub fn extend(&mut self, other: &OutsideReport) {
        self.points.extend_from_slice(&other.points);
        self.energy_mev.extend_from_slice(&other.energy_mev);
        self.total_energy_mev += other.total_energy_mev;
    }
}

/// Per-layer constants in the form the inner loop wants them (f32, precomputed reciprocal).
#[derive(Debug, Clone, Copy)]
struct LayerLut {
    inv_cell: f32,
    /// `u = x * inv_cell - off_x` is x in cell units from the grid's lower edge, so that the column is
    /// `trunc(u)` and "inside" is `0 <= u < nx`: one float compare pair, no floor, no signed ranges.
    off_x: f32,
    off_y: f32,
    ix0: i32,
    iy0: i32,
    nx: f32,
    ny: f32,
    ny_u: u32,
    base: u32,
}

/// Reusable projector for one planar geometry: owns the scratch grid so that projecting many batches
/// allocates nothing per shower.
pub struct CellProjector {
    lut: Vec<LayerLut>,
    grid: Vec<f32>,
    // The cells touched by the current shower, in first-touch order, struct of arrays so that the
    // drain copies them into `CellShowers` with four memcpys.
    t_idx: Vec<u32>,
    t_layer: Vec<u16>,
    t_ix: Vec<i32>,
    t_iy: Vec<i32>,
    t_energy: Vec<f32>,
    used: usize,
}

impl CellProjector {
    pub fn new(geometry: &PlanarGeometry) -> Self {
        let mut base = 0u32;
        let lut = geometry
            .layers
            .iter()
            .map(|l| {
                let inv = 1.0 / l.cell_mm;
                let e = LayerLut {
                    inv_cell: inv as f32,
                    off_x: (l.origin_mm[0] * inv - 0.5 + l.ix[0] as f64) as f32,
                    off_y: (l.origin_mm[1] * inv - 0.5 + l.iy[0] as f64) as f32,
                    ix0: l.ix[0],
                    iy0: l.iy[0],
                    nx: l.nx() as f32,
                    ny: l.ny() as f32,
                    ny_u: l.ny() as u32,
                    base,
                };
                base += (l.nx() * l.ny()) as u32;
                e
            })
            .collect();
        Self {
            lut,
            grid: vec![0.0; base as usize],
            t_idx: Vec::new(),
            t_layer: Vec::new(),
            t_ix: Vec::new(),
            t_iy: Vec::new(),
            t_energy: Vec::new(),
            used: 0,
        }
    }

    /// Project a batch, appending the showers to `out` and their outside energy to `report`.
    pub fn project(
        &mut self,
        points: &PointClouds,
        out: &mut CellShowers,
        report: &mut OutsideReport,
    ) {
        let dirs = points.direction.as_deref();
        for i in 0..points.len() {
            let (a, b) = (points.offsets[i], points.offsets[i + 1]);
            let (n_out, e_out) = self.accumulate(
                &points.x[a..b],
                &points.y[a..b],
                &points.layer[a..b],
                &points.energy[a..b],
            );
            let e_in = self.drain_into(out);
            out.end_shower(points.incident_energy[i], dirs.map(|d| d[i]));
            report.points.push(n_out);
            report.energy_mev.push(e_out);
            report.total_energy_mev += e_in + e_out;
        }
    }

    #[inline]
    fn accumulate(&mut self, x: &[f32], y: &[f32], layer: &[u16], energy: &[f32]) -> (usize, f64) {
        let (mut n_out, mut e_out) = (0usize, 0f64);
        let n = energy.len().min(x.len()).min(y.len()).min(layer.len());
        if self.t_idx.len() < n {
            self.t_idx.resize(n, 0);
            self.t_layer.resize(n, 0);
            self.t_ix.resize(n, 0);
            self.t_iy.resize(n, 0);
            self.t_energy.resize(n, 0.0);
        }
        let mut used = 0usize;
        for k in 0..n {
            let e = energy[k];
            let Some(l) = self.lut.get(layer[k] as usize) else {
                n_out += 1;
                e_out += e as f64;
                continue;
            };
            let u = x[k] * l.inv_cell - l.off_x;
            let v = y[k] * l.inv_cell - l.off_y;
            // `&` not `&&`: one predictable branch; NaN fails every compare and lands outside.
            if !((u >= 0.0) & (u < l.nx) & (v >= 0.0) & (v < l.ny)) {
                n_out += 1;
                e_out += e as f64;
                continue;
            }
            // SAFETY: 0 <= u < nx and 0 <= v < ny (checked above, both < 2^24), so truncation is in
            // range of u32; the checked `as` would add saturation code worth a third of the loop.
            let (jx, jy) = unsafe { (u.to_int_unchecked::<u32>(), v.to_int_unchecked::<u32>()) };
            let idx = l.base + jx * l.ny_u + jy;
            let g = &mut self.grid[idx as usize];
            // Branch-free first-touch bookkeeping: every point writes its cell into the next free
            // slot, kept only when the cell was empty (a branch here mispredicts on about every
            // other point). A zero-energy point can so record a cell twice; the drain drops the copy.
            self.t_idx[used] = idx;
            self.t_layer[used] = layer[k];
            self.t_ix[used] = jx as i32 + l.ix0;
            self.t_iy[used] = jy as i32 + l.iy0;
            used += (*g == 0.0) as usize;
            *g += e;
        }
        self.used = used;
        (n_out, e_out)
    }

    /// Moves the shower's cells to `out`, resets the scratch grid, returns the energy moved (MeV).
    fn drain_into(&mut self, out: &mut CellShowers) -> f64 {
        let mut kept = 0usize;
        let mut sum = 0f64;
        for k in 0..self.used {
            let g = &mut self.grid[self.t_idx[k] as usize];
            let e = *g;
            *g = 0.0;
            // Compact in place; a second copy of a cell finds it already reset and is overwritten.
            self.t_layer[kept] = self.t_layer[k];
            self.t_ix[kept] = self.t_ix[k];
            self.t_iy[kept] = self.t_iy[k];
            self.t_energy[kept] = e;
            kept += (e != 0.0) as usize;
            sum += e as f64;
        }
        out.layer.extend_from_slice(&self.t_layer[..kept]);
        out.ix.extend_from_slice(&self.t_ix[..kept]);
        out.iy.extend_from_slice(&self.t_iy[..kept]);
        out.energy.extend_from_slice(&self.t_energy[..kept]);
        self.used = 0;
        sum
    }
}

/// Points → sparse cells of a planar geometry (energy summed per cell).
pub fn project_points_to_cells(
    geometry: &PlanarGeometry,
    points: &PointClouds,
) -> (CellShowers, OutsideReport) {
    let mut projector = CellProjector::new(geometry);
    let mut cells = CellShowers::new();
    // One cell per ~2.5 points in the Geant4 ILD photons: reserve so the hot loop never reallocates.
    let guess = points.n_points() / 2;
    cells.layer.reserve(guess);
    cells.ix.reserve(guess);
    cells.iy.reserve(guess);
    cells.energy.reserve(guess);
    cells.direction = points.direction.as_ref().map(|_| Vec::new());
    let mut report = OutsideReport::default();
    projector.project(points, &mut cells, &mut report);
    (cells, report)
}

/// Points → CaloChallenge voxels; a point's `layer` is the voxel layer, (x, y) its transverse position.
pub fn project_points_to_voxels(
    voxels: &Voxelisation,
    points: &PointClouds,
) -> (VoxelShowers, OutsideReport) {
    let mut out = VoxelShowers::new(voxels.n_voxels);
    let mut report = OutsideReport::default();
    for i in 0..points.len() {
        let s = points.shower(i);
        let v = out.push_zeroed(s.incident_energy);
        let (mut n_out, mut e_out, mut e_all) = (0usize, 0f64, 0f64);
        for k in 0..s.len() {
            let e = s.energy[k];
            e_all += e as f64;
            match voxels.voxel_of(s.layer[k] as usize, s.x[k] as f64, s.y[k] as f64) {
                Some(j) => v[j] += e,
                None => {
                    n_out += 1;
                    e_out += e as f64;
                }
            }
        }
        report.points.push(n_out);
        report.energy_mev.push(e_out);
        report.total_energy_mev += e_all;
    }
    (out, report)
}

/// Cells → points at the cell centres (z = the layer's depth), one point per cell. A cell in a layer
/// the geometry lacks is an error (the cells belong to another detector).
pub fn cells_to_points(geometry: &PlanarGeometry, cells: &CellShowers) -> Result<PointClouds> {
    let mut p = PointClouds::with_capacity(cells.len(), cells.n_cells());
    p.direction = cells.direction.clone();
    for i in 0..cells.len() {
        let c = cells.shower(i);
        for k in 0..c.len() {
            let l = geometry.layers.get(c.layer[k] as usize).ok_or_else(|| {
                GeometryError::new(
                    &geometry.name,
                    "layer",
                    format!(
                        "shower {i} has a cell in layer {}, the geometry has {} layers",
                        c.layer[k],
                        geometry.n_layers()
                    ),
                )
            })?;
            let (x, y) = l.cell_centre(c.ix[k], c.iy[k]);
            p.x.push(x as f32);
            p.y.push(y as f32);
            p.z.push(l.depth_mm as f32);
            p.layer.push(c.layer[k]);
            p.energy.push(c.energy[k]);
        }
        p.offsets.push(p.energy.len());
        p.incident_energy.push(c.incident_energy);
    }
    Ok(p)
}
