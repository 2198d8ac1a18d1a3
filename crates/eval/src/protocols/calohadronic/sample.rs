//! Per-sample analysis of the CaloHadronic protocol: shower shapes, every hit above threshold with
//! its layer and distance from the shower axis, and the PCA-axis angle errors.

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;

use super::result::CaloHadronicConfig;
use crate::observables::shape::{
    angle_error, principal_axis, shower_hits, shower_shapes, ShowerShapes,
};

/// The (energy, layer, radius) columns of the hits of a batch of showers.
pub(super) type HitColumns = [Vec<f64>; 3];

/// Hits above threshold of all showers, flat, with per-shower offsets.
pub(super) struct HitTable {
    pub offsets: Vec<usize>,
    pub energy: Vec<f64>,
    pub layer: Vec<f64>,
    pub radius: Vec<f64>,
}

impl HitTable {
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }

    /// Energy per shower and bin of `coord` (`n × (edges − 1)`, row-major): the rows of a mean
    /// profile plot. Hits outside the edges are not counted.
    pub fn energy_rows(&self, coord: &[f64], edges: &[f64]) -> Vec<f64> {
        let w = edges.len().saturating_sub(1);
        let n = self.offsets.len() - 1;
        let mut rows = vec![0.0; n * w];
        for i in 0..n {
            for k in self.range(i) {
                let v = coord[k];
                let b = edges.partition_point(|&e| e <= v);
                if b >= 1 && b <= w && v <= edges[w] {
                    rows[i * w + b - 1] += self.energy[k];
                }
            }
        }
        rows
    }

    /// The hits of the showers `idx`: (energy, layer, radius).
    pub fn gather(&self, idx: &[usize]) -> HitColumns {
        let mut out: HitColumns = Default::default();
        for &i in idx {
            let r = self.range(i);
            out[0].extend_from_slice(&self.energy[r.clone()]);
            out[1].extend_from_slice(&self.layer[r.clone()]);
            out[2].extend_from_slice(&self.radius[r]);
        }
        out
    }
}

/// Distance of `p` from the line through `a` along the unit vector `d`.
fn distance_to_axis(p: [f64; 3], a: [f64; 3], d: [f64; 3]) -> f64 {
    let v = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    let c = [
        v[1] * d[2] - v[2] * d[1],
        v[2] * d[0] - v[0] * d[2],
        v[0] * d[1] - v[1] * d[0],
    ];
    (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]).sqrt()
}

/// Per-shower hits, radii and PCA angle errors (degrees) of one sample.
pub(super) struct Sample {
    pub shapes: ShowerShapes,
    pub hits: HitTable,
    /// Per `top_percent`: (angle, dθ, dφ) of the showers with an axis.
    pub angles: Vec<[Vec<f64>; 3]>,
}

pub(super) fn analyse(
    cells: &CellShowers,
    geometry: &PlanarGeometry,
    cfg: &CaloHadronicConfig,
) -> Sample {
    let shapes = shower_shapes(cells, geometry, cfg.threshold_mev);
    let mut hits = HitTable {
        offsets: vec![0],
        energy: Vec::new(),
        layer: Vec::new(),
        radius: Vec::new(),
    };
    let mut angles: Vec<[Vec<f64>; 3]> = vec![Default::default(); cfg.top_percent.len()];
    for i in 0..cells.len() {
        let h = shower_hits(cells, i, geometry, cfg.threshold_mev);
        let d = shapes
            .direction
            .as_ref()
            .map_or(cfg.default_direction, |v| v[i]);
        for k in 0..h.energy.len() {
            hits.energy.push(h.energy[k]);
            hits.layer.push(h.layer[k] as f64);
            hits.radius.push(distance_to_axis(
                [h.x[k], h.y[k], h.z[k]],
                cfg.gun_position_mm,
                d,
            ));
        }
        hits.offsets.push(hits.energy.len());
        for (j, &pct) in cfg.top_percent.iter().enumerate() {
            if let Some(axis) = principal_axis(&h.hits(), pct / 100.0) {
                let e = angle_error(axis, d);
                angles[j][0].push(e.angle.to_degrees());
                angles[j][1].push(e.d_theta.to_degrees());
                angles[j][2].push(e.d_phi.to_degrees());
            }
        }
    }
    Sample {
        shapes,
        hits,
        angles,
    }
}

/// The per-shower observables scored and correlated, by name.
pub(super) fn shower_columns(s: &ShowerShapes, with_hcal: bool) -> Vec<(&'static str, &Vec<f64>)> {
    let mut c = vec![
        ("cog_x", &s.cog_x),
        ("cog_y", &s.cog_y),
        ("cog_z", &s.cog_z),
        ("start_layer", &s.start_layer),
        ("e_sum", &s.e_vis),
        ("n_hits", &s.n_hits),
    ];
    if with_hcal {
        c.extend([
            ("e_ecal", &s.e_ecal),
            ("e_hcal", &s.e_hcal),
            ("n_hits_ecal", &s.n_hits_ecal),
            ("n_hits_hcal", &s.n_hits_hcal),
        ]);
    }
    c
}
