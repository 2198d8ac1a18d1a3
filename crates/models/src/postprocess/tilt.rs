//! The CaloClouds3 per-layer tilt shift (§2.2): a shower entering at an angle drifts sideways
//! with depth. Preprocessing moves each layer back by the drift of the shower axis at that
//! layer's depth d — Δx = d·p_x/p_z, Δy = d·p_y/p_z for the unit direction p — so the model
//! learns showers that look upright; generation puts the drift back.

use calogen_data::PointClouds;
use calogen_geometry::PlanarGeometry;

use crate::error::{Error, Result};

/// Depth of the gun relative to the front face of the planar geometries (../shared/data/README.md).
pub const PLANAR_GUN_DEPTH_MM: f64 = -1.0;

/// Per-layer depths of the shower axis, measured along the depth axis from the point where the
/// axis crosses the transverse origin (x = y = 0): for a gun at the transverse origin, a layer's
/// depth minus the gun's depth.
#[derive(Debug, Clone, PartialEq)]
pub struct TiltShift {
    depth_mm: Vec<f64>,
}

impl TiltShift {
    /// `depth_mm[l]`: the depth of layer `l` from the axis' transverse-origin crossing.
    pub fn new(depth_mm: Vec<f64>) -> Result<Self> {
        if depth_mm.iter().any(|d| !d.is_finite()) {
            return Err(Error::Invalid("tilt shift: non-finite layer depth".into()));
        }
        Ok(Self { depth_mm })
    }

    /// From layer depths in any frame and the depth of the origin crossing in the same frame
    /// (e.g. planar layer depths from the front face and a gun 1 mm in front: `origin = -1`).
    pub fn from_layer_depths(layer_depth_mm: &[f64], origin_depth_mm: f64) -> Result<Self> {
        Self::new(layer_depth_mm.iter().map(|d| d - origin_depth_mm).collect())
    }

    /// A planar stack's layers with the gun 1 mm in front of its front face, as in every file of
    /// ../shared/data (their README): the drift of the showers in those files.
    pub fn planar(g: &PlanarGeometry) -> Result<Self> {
        let d: Vec<f64> = g.layer_depths().iter().map(|&v| v as f64).collect();
        Self::from_layer_depths(&d, PLANAR_GUN_DEPTH_MM)
    }

    pub fn n_layers(&self) -> usize {
        self.depth_mm.len()
    }

    pub fn depths(&self) -> &[f64] {
        &self.depth_mm
    }

    /// The axis' transverse offset (Δx, Δy) at layer `l` for direction `p`.
    pub fn offset(&self, l: usize, p: [f32; 3]) -> Result<[f64; 2]> {
        let [tx, ty] = slopes(p)?;
        let d = *self.depth_mm.get(l).ok_or_else(|| {
            Error::Invalid(format!(
                "tilt shift: layer {l}, the geometry has {} layers",
                self.depth_mm.len()
            ))
        })?;
        Ok([d * tx, d * ty])
    }

    /// Preprocessing: subtracts the axis offset of each point's layer.
    pub fn remove(&self, x: &mut [f32], y: &mut [f32], layer: &[u16], p: [f32; 3]) -> Result<()> {
        self.apply(x, y, layer, p, -1.0)
    }

    /// Generation: adds the axis offset of each point's layer back (the inverse of
    /// [`TiltShift::remove`]).
    pub fn restore(&self, x: &mut [f32], y: &mut [f32], layer: &[u16], p: [f32; 3]) -> Result<()> {
        self.apply(x, y, layer, p, 1.0)
    }

    /// [`TiltShift::remove`] on every shower of a batch with directions (the angular photon file
    /// stores points that are not tilt-corrected, with `p_norm_local`).
    pub fn remove_clouds(&self, clouds: &mut PointClouds) -> Result<()> {
        self.apply_clouds(clouds, -1.0)
    }

    /// [`TiltShift::restore`] on every shower of a batch with directions.
    pub fn restore_clouds(&self, clouds: &mut PointClouds) -> Result<()> {
        self.apply_clouds(clouds, 1.0)
    }

    fn apply_clouds(&self, c: &mut PointClouds, sign: f64) -> Result<()> {
        let dirs = c.direction.clone().ok_or_else(|| {
            Error::Invalid("tilt shift: the point clouds carry no incident direction".into())
        })?;
        for (i, p) in dirs.into_iter().enumerate() {
            let r = c.offsets[i]..c.offsets[i + 1];
            self.apply(
                &mut c.x[r.clone()],
                &mut c.y[r.clone()],
                &c.layer[r],
                p,
                sign,
            )?;
        }
        Ok(())
    }

    fn apply(
        &self,
        x: &mut [f32],
        y: &mut [f32],
        layer: &[u16],
        p: [f32; 3],
        sign: f64,
    ) -> Result<()> {
        if x.len() != layer.len() || y.len() != layer.len() {
            return Err(Error::Invalid(format!(
                "tilt shift: {} x, {} y, {} layers",
                x.len(),
                y.len(),
                layer.len()
            )));
        }
        let [tx, ty] = slopes(p)?;
        for ((a, b), &l) in x.iter_mut().zip(y.iter_mut()).zip(layer) {
            let d = *self.depth_mm.get(l as usize).ok_or_else(|| {
                Error::Invalid(format!(
                    "tilt shift: a point is in layer {l}, the geometry has {} layers",
                    self.depth_mm.len()
                ))
            })? * sign;
            *a = (*a as f64 + d * tx) as f32;
            *b = (*b as f64 + d * ty) as f32;
        }
        Ok(())
    }
}

/// (p_x/p_z, p_y/p_z); the direction must point into the detector.
fn slopes(p: [f32; 3]) -> Result<[f64; 2]> {
    let [px, py, pz] = p.map(|v| v as f64);
    if pz.is_nan() || pz <= 0.0 || !px.is_finite() || !py.is_finite() {
        return Err(Error::Invalid(format!(
            "tilt shift: direction {p:?} does not point into the detector (p_z must be > 0)"
        )));
    }
    Ok([px / pz, py / pz])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tilted_line_becomes_upright_and_comes_back() {
        // A straight line from the origin along p: at layer depth d it is at d·(p_x, p_y)/p_z.
        let depths: Vec<f64> = (0..30).map(|l| 3.0 + 3.5 * l as f64).collect();
        let tilt = TiltShift::new(depths.clone()).unwrap();
        let (th, ph) = (35f64.to_radians(), (-120f64).to_radians());
        let p = [
            (ph.cos() * th.sin()) as f32,
            (ph.sin() * th.sin()) as f32,
            th.cos() as f32,
        ];
        let layer: Vec<u16> = (0..30).collect();
        let line = |d: f64, i: usize| d * p[i] as f64 / p[2] as f64;
        let mut x: Vec<f32> = depths.iter().map(|&d| line(d, 0) as f32).collect();
        let mut y: Vec<f32> = depths.iter().map(|&d| line(d, 1) as f32).collect();
        let (x0, y0) = (x.clone(), y.clone());
        tilt.remove(&mut x, &mut y, &layer, p).unwrap();
        assert!(x.iter().chain(&y).all(|v| v.abs() < 1e-4), "{x:?} {y:?}");
        tilt.restore(&mut x, &mut y, &layer, p).unwrap();
        for i in 0..30 {
            assert!((x[i] - x0[i]).abs() < 1e-4 && (y[i] - y0[i]).abs() < 1e-4);
        }
        // Perpendicular incidence shifts nothing.
        let mut x = x0.clone();
        let mut y = y0.clone();
        tilt.remove(&mut x, &mut y, &layer, [0.0, 0.0, 1.0])
            .unwrap();
        assert_eq!((x, y), (x0, y0));
        assert!(tilt
            .remove(&mut [0.0], &mut [0.0], &[0], [0.0, 1.0, 0.0])
            .is_err());
        assert!(tilt.remove(&mut [0.0], &mut [0.0], &[30], p).is_err());
    }
}
