//! Projection of point showers into the barrel's cells: a dense scratch grid per stave and the
//! list of cells touched, with the energy lost in wafer gaps and outside the map accounted per
//! shower.

use calogen_data::{CellShowers, PointClouds};

use super::{BarrelGeometry, Landing, Placement};
use crate::project::OutsideReport;

/// Energy per shower that the barrel did not record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BarrelReport {
    /// Beyond the described region (and the totals of everything projected).
    pub outside: OutsideReport,
    /// Per shower: points and energy (MeV) lost in gaps between wafers or in missing cells.
    pub gap_points: Vec<usize>,
    pub gap_energy_mev: Vec<f64>,
}

impl BarrelReport {
    /// Fraction of all projected energy lost in gaps.
    pub fn gap_fraction(&self) -> f64 {
        let t = self.outside.total_energy_mev;
        if t > 0.0 {
            self.gap_energy_mev.iter().sum::<f64>() / t
        } else {
            0.0
        }
    }
}

/// What one shower lost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ShowerLoss {
    pub gap_points: usize,
    pub gap_energy_mev: f64,
    pub outside_points: usize,
    pub outside_energy_mev: f64,
    /// Energy that landed in cells.
    pub recorded_energy_mev: f64,
}

/// Reusable projector into a barrel: a dense scratch grid over all cells of one stave plus the
/// list of cells touched, so a shower costs its own size, not the grid's.
pub struct BarrelProjector<'g> {
    geometry: &'g BarrelGeometry,
    grid: Vec<f32>,
    touched: Vec<u32>,
}

impl<'g> BarrelProjector<'g> {
    pub fn new(geometry: &'g BarrelGeometry) -> Self {
        Self {
            geometry,
            grid: vec![0.0; geometry.exists.len()],
            touched: Vec::new(),
        }
    }

    pub fn geometry(&self) -> &BarrelGeometry {
        self.geometry
    }

    #[inline]
    fn deposit(&mut self, landing: Landing, e: f32, loss: &mut ShowerLoss) {
        match landing {
            Landing::Cell(i) => {
                let g = &mut self.grid[i as usize];
                if *g == 0.0 {
                    self.touched.push(i);
                }
                // A zero-energy point would be touched twice; harmless: drain skips zero cells.
                *g += e;
                loss.recorded_energy_mev += e as f64;
            }
            Landing::Gap => {
                loss.gap_points += 1;
                loss.gap_energy_mev += e as f64;
            }
            Landing::Outside => {
                loss.outside_points += 1;
                loss.outside_energy_mev += e as f64;
            }
        }
    }

    /// One shower in the local frame (x, y mm transverse, layer index), entering at `at`; its
    /// cells are appended to `out` (call [`CellShowers::end_shower`] after).
    pub fn project_local(
        &mut self,
        x: &[f32],
        y: &[f32],
        layer: &[u16],
        energy: &[f32],
        at: Placement,
        out: &mut CellShowers,
    ) -> ShowerLoss {
        let g = self.geometry;
        let mut loss = ShowerLoss::default();
        for (((&lx, &ly), &l), &e) in x.iter().zip(y).zip(layer).zip(energy) {
            let landing = g.locate(l as usize, at.x_mm + ly as f64, at.z_mm + lx as f64);
            self.deposit(landing, e, &mut loss);
        }
        self.drain(out);
        loss
    }

    /// One shower given in global coordinates (any stave) with its layer indices: each point is
    /// rotated into the top stave by its azimuth. Cells are identified within their stave.
    #[allow(clippy::too_many_arguments)]
    pub fn project_global(
        &mut self,
        gx: &[f32],
        gy: &[f32],
        gz: &[f32],
        layer: &[u16],
        energy: &[f32],
        out: &mut CellShowers,
    ) -> ShowerLoss {
        let g = self.geometry;
        let mut loss = ShowerLoss::default();
        for ((((&a, &b), &c), &l), &e) in gx.iter().zip(gy).zip(gz).zip(layer).zip(energy) {
            let (_, x, _) = g.to_top_stave(a as f64, b as f64);
            let landing = g.locate(l as usize, x, c as f64);
            self.deposit(landing, e, &mut loss);
        }
        self.drain(out);
        loss
    }

    /// A batch in the local frame, every shower entering at `at`.
    pub fn project_clouds(
        &mut self,
        points: &PointClouds,
        at: Placement,
        out: &mut CellShowers,
        report: &mut BarrelReport,
    ) {
        let dirs = points.direction.as_deref();
        for i in 0..points.len() {
            let r = points.offsets[i]..points.offsets[i + 1];
            let loss = self.project_local(
                &points.x[r.clone()],
                &points.y[r.clone()],
                &points.layer[r.clone()],
                &points.energy[r],
                at,
                out,
            );
            out.end_shower(points.incident_energy[i], dirs.map(|d| d[i]));
            report.add(&loss);
        }
    }

    fn drain(&mut self, out: &mut CellShowers) {
        for &i in &self.touched {
            let e = std::mem::take(&mut self.grid[i as usize]);
            if e != 0.0 {
                let (l, c, r) = self.geometry.cell_coords(i);
                out.push_cell(l, c as i32, r as i32, e);
            }
        }
        self.touched.clear();
    }
}

impl BarrelReport {
    pub fn add(&mut self, loss: &ShowerLoss) {
        self.gap_points.push(loss.gap_points);
        self.gap_energy_mev.push(loss.gap_energy_mev);
        self.outside.points.push(loss.outside_points);
        self.outside.energy_mev.push(loss.outside_energy_mev);
        self.outside.total_energy_mev +=
            loss.recorded_energy_mev + loss.gap_energy_mev + loss.outside_energy_mev;
    }
}
