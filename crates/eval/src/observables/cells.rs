//! CaloClouds II observables at cell level, after the half-MIP cell threshold.
//!
//! Per shower: the number of hits, the visible energy over the incident energy, the centre of
//! gravity in x, y, z, and ten longitudinal and ten radial energy observables whose bins hold about
//! the same number of reference hits (paper 000 appendix A: deciles of the reference, longitudinal
//! edges rounded to whole layers, bins half-open except the last).

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

/// Per-shower observables, struct of arrays; index `i` is shower `i`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CellObservables {
    pub n_hits: Vec<f64>,
    /// Visible energy (sum of cells above threshold), MeV.
    pub e_vis: Vec<f64>,
    /// Incident energy, MeV.
    pub e_inc: Vec<f64>,
    /// Energy-weighted centre of gravity (x, y transverse; z the layer depth), mm.
    pub cog_x: Vec<f64>,
    pub cog_y: Vec<f64>,
    pub cog_z: Vec<f64>,
    /// Energy in each longitudinal (layer) bin, `n_showers × 10`, row-major, MeV.
    pub e_long: Vec<f64>,
    /// Energy in each radial bin, `n_showers × 10`, row-major, MeV.
    pub e_radial: Vec<f64>,
    /// Energies of all cells above threshold, pooled over showers, MeV.
    pub cell_energy: Vec<f64>,
    /// Energy per layer, `n_showers × n_layers`, row-major, MeV (the longitudinal profile).
    pub layer_energy: Vec<f64>,
    pub n_layers: usize,
    /// Bin edges of the radial profile used in `radial_profile` (mm) and its sum over showers (MeV).
    pub radial_profile: Vec<f64>,
    /// Energy per fine radial bin ([`RADIAL_PROFILE_EDGES`]), `n_showers × 30`, row-major, MeV:
    /// the radial profile per shower, for its mean and standard error in the report's plots.
    pub radial_energy: Vec<f64>,
}

/// Bin edges of the ten longitudinal (layer index) and ten radial (mm) energy observables.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ProfileEdges {
    pub longitudinal: Vec<f64>,
    pub radial: Vec<f64>,
}

/// Edges of the fine radial profile (the paper's Fig. 3 centre), mm.
pub const RADIAL_PROFILE_EDGES: [f64; 31] = {
    let mut e = [0.0; 31];
    let mut i = 0;
    while i < 31 {
        e[i] = i as f64 * 10.0;
        i += 1;
    }
    e
};

impl CellObservables {
    pub fn len(&self) -> usize {
        self.n_hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.n_hits.is_empty()
    }

    /// E_vis / E_inc per shower.
    pub fn sampling_fraction(&self) -> Vec<f64> {
        self.e_vis
            .iter()
            .zip(&self.e_inc)
            .map(|(v, i)| v / i)
            .collect()
    }

    /// Column `j` of a row-major `n × 10` block.
    pub fn column(block: &[f64], j: usize, width: usize) -> Vec<f64> {
        block.iter().skip(j).step_by(width).copied().collect()
    }

    /// The 25 observables of the CaloClouds II classifier, `n × 25` row-major: 10 radial, 10
    /// longitudinal, CoG x/y/z, N_hits, E_vis.
    pub fn classifier_inputs(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.len() * 25);
        for i in 0..self.len() {
            out.extend_from_slice(&self.e_radial[i * 10..(i + 1) * 10]);
            out.extend_from_slice(&self.e_long[i * 10..(i + 1) * 10]);
            out.extend_from_slice(&[
                self.cog_x[i],
                self.cog_y[i],
                self.cog_z[i],
                self.n_hits[i],
                self.e_vis[i],
            ]);
        }
        out
    }
}

/// Transverse distance of a cell centre from the shower axis. The axis enters at the transverse
/// origin (the gun position of our Geant4 files) and follows the incident direction, if known.
#[inline]
fn radius(x: f64, y: f64, depth: f64, axis_slope: (f64, f64)) -> f64 {
    (x - axis_slope.0 * depth).hypot(y - axis_slope.1 * depth)
}

fn slope(direction: Option<[f32; 3]>) -> (f64, f64) {
    match direction {
        Some([dx, dy, dz]) if dz > 0.0 => (dx as f64 / dz as f64, dy as f64 / dz as f64),
        _ => (0.0, 0.0),
    }
}

impl ProfileEdges {
    /// Deciles of the reference hits (cells above threshold): layer index and radius. The
    /// longitudinal edges are rounded to whole layers and made strictly increasing.
    pub fn from_reference(
        cells: &CellShowers,
        geometry: &PlanarGeometry,
        threshold_mev: f64,
    ) -> Self {
        let mut layers = Vec::new();
        let mut radii = Vec::new();
        for i in 0..cells.len() {
            let s = cells.shower(i);
            let sl = slope(s.direction);
            for k in 0..s.len() {
                if (s.energy[k] as f64) <= threshold_mev {
                    continue;
                }
                let Some(l) = geometry.layers.get(s.layer[k] as usize) else {
                    continue;
                };
                let (x, y) = l.cell_centre(s.ix[k], s.iy[k]);
                layers.push(s.layer[k] as f64);
                radii.push(radius(x, y, l.depth_mm - geometry.layers[0].depth_mm, sl));
            }
        }
        let n_layers = geometry.n_layers() as f64;
        let mut longitudinal = deciles(&mut layers);
        for e in longitudinal.iter_mut() {
            *e = e.round();
        }
        longitudinal[0] = 0.0;
        longitudinal[10] = n_layers - 1.0;
        for j in 1..=10 {
            if longitudinal[j] <= longitudinal[j - 1] {
                longitudinal[j] = longitudinal[j - 1] + 1.0;
            }
        }
        let mut radial = deciles(&mut radii);
        radial[0] = 0.0;
        // Cell centres sit on a grid, so radii take few distinct values near the axis and several
        // deciles can coincide: move a repeated edge up to the next radius that occurs.
        for j in 1..10 {
            if radial[j] <= radial[j - 1] {
                let k = radii.partition_point(|&r| r <= radial[j - 1]);
                radial[j] = radii.get(k).copied().unwrap_or(radial[j - 1] + 1.0);
            }
        }
        // Beyond any detector: the last bin takes every hit further out than the 90 % decile.
        radial[10] = 1.0e4;
        Self {
            longitudinal,
            radial,
        }
    }
}

/// 0 %, 10 %, …, 100 % quantiles (numpy's linear interpolation).
fn deciles(v: &mut [f64]) -> Vec<f64> {
    if v.is_empty() {
        return (0..=10).map(|i| i as f64).collect();
    }
    v.sort_by(f64::total_cmp);
    (0..=10)
        .map(|q| {
            let pos = q as f64 / 10.0 * (v.len() - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            v[lo] + (v[hi] - v[lo]) * (pos - lo as f64)
        })
        .collect()
}

/// Bin of `v` among `edges` (half-open bins, the last one closed), or `None` outside.
#[inline]
fn bin_of(v: f64, edges: &[f64]) -> Option<usize> {
    let n = edges.len() - 1;
    if v < edges[0] || v > edges[n] {
        return None;
    }
    Some(edges[1..n].partition_point(|&e| e <= v))
}

/// CaloClouds II observables of every shower, cells at or below `threshold_mev` dropped.
pub fn cell_observables(
    cells: &CellShowers,
    geometry: &PlanarGeometry,
    threshold_mev: f64,
    edges: &ProfileEdges,
) -> CellObservables {
    let n = cells.len();
    let n_layers = geometry.n_layers();
    let mut o = CellObservables {
        n_layers,
        e_long: vec![0.0; n * 10],
        e_radial: vec![0.0; n * 10],
        layer_energy: vec![0.0; n * n_layers],
        radial_profile: vec![0.0; RADIAL_PROFILE_EDGES.len() - 1],
        radial_energy: vec![0.0; n * (RADIAL_PROFILE_EDGES.len() - 1)],
        ..Default::default()
    };
    let front = geometry.layers.first().map_or(0.0, |l| l.depth_mm);
    for i in 0..n {
        let s = cells.shower(i);
        let sl = slope(s.direction);
        let (mut hits, mut e_sum, mut ex, mut ey, mut ez) = (0usize, 0.0, 0.0, 0.0, 0.0);
        for k in 0..s.len() {
            let e = s.energy[k] as f64;
            if e <= threshold_mev {
                continue;
            }
            let Some(l) = geometry.layers.get(s.layer[k] as usize) else {
                continue;
            };
            let (x, y) = l.cell_centre(s.ix[k], s.iy[k]);
            hits += 1;
            e_sum += e;
            ex += e * x;
            ey += e * y;
            ez += e * l.depth_mm;
            o.cell_energy.push(e);
            o.layer_energy[i * n_layers + s.layer[k] as usize] += e;
            if let Some(b) = bin_of(s.layer[k] as f64, &edges.longitudinal) {
                o.e_long[i * 10 + b] += e;
            }
            let r = radius(x, y, l.depth_mm - front, sl);
            if let Some(b) = bin_of(r, &edges.radial) {
                o.e_radial[i * 10 + b] += e;
            }
            if let Some(b) = bin_of(r, &RADIAL_PROFILE_EDGES) {
                o.radial_profile[b] += e;
                o.radial_energy[i * (RADIAL_PROFILE_EDGES.len() - 1) + b] += e;
            }
        }
        o.n_hits.push(hits as f64);
        o.e_vis.push(e_sum);
        o.e_inc.push(s.incident_energy as f64);
        let w = if e_sum > 0.0 { 1.0 / e_sum } else { 0.0 };
        o.cog_x.push(ex * w);
        o.cog_y.push(ey * w);
        o.cog_z.push(ez * w);
    }
    o
}
