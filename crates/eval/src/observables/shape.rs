//! Shower-shape observables of CaloHadronic (paper 004 §4.1–4.2) and CaloClouds3 (paper 001 §4.3)
//! for any set of hits (cells or points): centre of gravity, the start layer (layer of the most
//! energetic hit), the ECAL/HCAL split of the visible energy, and the shower axis from an
//! energy-weighted PCA of the most energetic hits with its angle to a given direction.
//!
//! Directions are in the frame of our files: `x`, `y` transverse, the third component along the
//! depth axis. Angles follow CaloClouds3's local frame (its SPEC: file x = the beam axis of the ILD
//! barrel): θ is the angle to the x axis, φ the angle in the plane perpendicular to it, measured
//! from the depth axis towards y.

use calogen_data::CellShowers;
use calogen_geometry::PlanarGeometry;
use nalgebra::{Matrix3, SymmetricEigen, Vector3};

/// Hits of one shower, struct of arrays (mm, MeV).
#[derive(Debug, Clone, Copy)]
pub struct Hits<'a> {
    pub x: &'a [f64],
    pub y: &'a [f64],
    /// Depth along the layer normal, mm.
    pub z: &'a [f64],
    pub energy: &'a [f64],
}

impl Hits<'_> {
    pub fn len(&self) -> usize {
        self.energy.len()
    }

    pub fn is_empty(&self) -> bool {
        self.energy.is_empty()
    }
}

/// Energy-weighted centre of gravity; `None` without energy.
pub fn centre_of_gravity(h: &Hits) -> Option<[f64; 3]> {
    let e: f64 = h.energy.iter().sum();
    if e <= 0.0 {
        return None;
    }
    let w = |c: &[f64]| c.iter().zip(h.energy).map(|(a, b)| a * b).sum::<f64>() / e;
    Some([w(h.x), w(h.y), w(h.z)])
}

/// CaloHadronic's "shower start layer": the layer of the most energetic hit; on equal energies
/// the lowest layer, so the result does not depend on the order of the hits. `None` if empty.
pub fn start_layer(layers: &[u16], energy: &[f64]) -> Option<u16> {
    let mut best: Option<(f64, u16)> = None;
    for (&l, &e) in layers.iter().zip(energy) {
        match best {
            Some((be, bl)) if e < be || (e == be && l >= bl) => {}
            _ => best = Some((e, l)),
        }
    }
    best.map(|(_, l)| l)
}

/// Visible energy in layers `< boundary` (ECAL) and `>= boundary` (HCAL).
pub fn split_energy(layers: &[u16], energy: &[f64], boundary: u16) -> (f64, f64) {
    let mut s = (0.0, 0.0);
    for (&l, &e) in layers.iter().zip(energy) {
        if l < boundary {
            s.0 += e;
        } else {
            s.1 += e;
        }
    }
    s
}

/// Indices of the `⌈fraction·n⌉` most energetic hits (at least two when the shower has two), the
/// "highest x % of hit energies" of paper 001 §4.3. Ties are broken by index, so the choice is
/// deterministic.
pub fn top_energy_hits(energy: &[f64], fraction: f64) -> Vec<usize> {
    let n = energy.len();
    let k = ((fraction.clamp(0.0, 1.0) * n as f64).ceil() as usize)
        .max(2)
        .min(n);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| energy[b].total_cmp(&energy[a]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

/// First principal component of the energy-weighted hit positions (the eigenvector of the
/// weighted covariance with the largest eigenvalue), using only the `fraction` most energetic
/// hits. Oriented along +depth (a shower runs into the detector). `None` for fewer than two hits,
/// no energy, or a degenerate (isotropic) spread whose leading axis is undefined.
pub fn principal_axis(h: &Hits, fraction: f64) -> Option<[f64; 3]> {
    let idx = top_energy_hits(h.energy, fraction);
    if idx.len() < 2 {
        return None;
    }
    let w: f64 = idx.iter().map(|&i| h.energy[i]).sum();
    if w <= 0.0 {
        return None;
    }
    let p = |i: usize| Vector3::new(h.x[i], h.y[i], h.z[i]);
    let mean = idx
        .iter()
        .fold(Vector3::zeros(), |a, &i| a + p(i) * h.energy[i])
        / w;
    let mut cov = Matrix3::zeros();
    for &i in &idx {
        let d = p(i) - mean;
        cov += d * d.transpose() * h.energy[i];
    }
    cov /= w;
    let eig = SymmetricEigen::new(cov);
    let mut order = [0usize, 1, 2];
    order.sort_by(|&a, &b| eig.eigenvalues[b].total_cmp(&eig.eigenvalues[a]));
    let (l0, l1) = (eig.eigenvalues[order[0]], eig.eigenvalues[order[1]]);
    // Equal leading eigenvalues (a disc or a ball of hits) leave the axis arbitrary.
    if l0.is_nan() || l0 <= 0.0 || (l0 - l1) <= 1e-12 * l0 {
        return None;
    }
    let v = eig.eigenvectors.column(order[0]);
    let s = if v[2] < 0.0 { -1.0 } else { 1.0 };
    Some([s * v[0], s * v[1], s * v[2]])
}

fn unit(v: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / n, v[1] / n, v[2] / n]
}

/// Angle between two axes (orientation ignored), radians in `[0, π/2]`.
pub fn axis_angle(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (a, b) = (unit(a), unit(b));
    let c = (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]).abs().min(1.0);
    c.acos()
}

/// Polar angle θ to the x axis (the beam axis in CaloClouds3's local frame) and azimuth φ in the
/// plane perpendicular to it, from the depth axis towards y; radians.
pub fn theta_phi(d: [f64; 3]) -> (f64, f64) {
    let d = unit(d);
    (d[0].clamp(-1.0, 1.0).acos(), d[1].atan2(d[2]))
}

/// Errors of a reconstructed axis against the true direction (paper 001 §4.3), radians: the
/// total angle between them, and the differences in θ and φ (reconstructed − true, φ wrapped to
/// `(−π, π]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AngleError {
    pub angle: f64,
    pub d_theta: f64,
    pub d_phi: f64,
}

pub fn angle_error(reconstructed: [f64; 3], truth: [f64; 3]) -> AngleError {
    // The PCA axis has no sign; take the one pointing the same way as the truth.
    let r = unit(reconstructed);
    let t = unit(truth);
    let r = if r[0] * t[0] + r[1] * t[1] + r[2] * t[2] < 0.0 {
        [-r[0], -r[1], -r[2]]
    } else {
        r
    };
    let (tr, pr) = theta_phi(r);
    let (tt, pt) = theta_phi(t);
    let mut dp = pr - pt;
    let tau = std::f64::consts::TAU;
    dp -= tau * ((dp + std::f64::consts::PI) / tau).floor();
    if dp <= -std::f64::consts::PI {
        dp += tau;
    }
    AngleError {
        angle: axis_angle(r, t),
        d_theta: tr - tt,
        d_phi: dp,
    }
}

/// Per-shower observables of cell showers above threshold, struct of arrays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShowerShapes {
    pub e_inc: Vec<f64>,
    pub e_vis: Vec<f64>,
    pub e_ecal: Vec<f64>,
    pub e_hcal: Vec<f64>,
    pub n_hits: Vec<f64>,
    pub n_hits_ecal: Vec<f64>,
    pub n_hits_hcal: Vec<f64>,
    /// Centre of gravity (x, y transverse, z depth), mm; 0 for an empty shower.
    pub cog_x: Vec<f64>,
    pub cog_y: Vec<f64>,
    pub cog_z: Vec<f64>,
    /// Layer of the most energetic cell; −1 for an empty shower.
    pub start_layer: Vec<f64>,
    /// Incident direction if known (unit vector).
    pub direction: Option<Vec<[f64; 3]>>,
    /// First layer of the HCAL (== number of ECAL layers); `n_layers` without an HCAL.
    pub hcal_first_layer: usize,
    pub n_layers: usize,
}

/// The hits of shower `i` above threshold with positions in mm (the cell centres, depth from
/// the geometry's front face), and their layers.
pub struct ShowerHits {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub z: Vec<f64>,
    pub energy: Vec<f64>,
    pub layer: Vec<u16>,
}

impl ShowerHits {
    pub fn hits(&self) -> Hits<'_> {
        Hits {
            x: &self.x,
            y: &self.y,
            z: &self.z,
            energy: &self.energy,
        }
    }
}

/// Cells of shower `i` above their layer's threshold (`threshold_mev` overrides every layer's
/// when given); cells on layers the geometry lacks are dropped.
pub fn shower_hits(
    cells: &CellShowers,
    i: usize,
    geometry: &PlanarGeometry,
    threshold_mev: Option<f64>,
) -> ShowerHits {
    let s = cells.shower(i);
    let mut h = ShowerHits {
        x: Vec::with_capacity(s.len()),
        y: Vec::with_capacity(s.len()),
        z: Vec::with_capacity(s.len()),
        energy: Vec::with_capacity(s.len()),
        layer: Vec::with_capacity(s.len()),
    };
    for k in 0..s.len() {
        let Some(l) = geometry.layers.get(s.layer[k] as usize) else {
            continue;
        };
        let e = s.energy[k] as f64;
        if e <= threshold_mev.unwrap_or(l.threshold_mev) {
            continue;
        }
        let (x, y) = l.cell_centre(s.ix[k], s.iy[k]);
        h.x.push(x);
        h.y.push(y);
        h.z.push(l.depth_mm);
        h.energy.push(e);
        h.layer.push(s.layer[k]);
    }
    h
}

/// First HCAL layer: the first layer whose cell size differs from layer 0's (the ECAL/HCAL
/// boundary of the CaloHadronic detector is where the granularity changes); `n_layers` if none.
pub fn hcal_first_layer(geometry: &PlanarGeometry) -> usize {
    let c0 = geometry.layers.first().map_or(0.0, |l| l.cell_mm);
    geometry
        .layers
        .iter()
        .position(|l| l.cell_mm != c0)
        .unwrap_or(geometry.n_layers())
}

/// Observables of every shower.
pub fn shower_shapes(
    cells: &CellShowers,
    geometry: &PlanarGeometry,
    threshold_mev: Option<f64>,
) -> ShowerShapes {
    let boundary = hcal_first_layer(geometry);
    let mut o = ShowerShapes {
        hcal_first_layer: boundary,
        n_layers: geometry.n_layers(),
        direction: cells.direction.as_ref().map(|_| Vec::new()),
        ..Default::default()
    };
    for i in 0..cells.len() {
        let h = shower_hits(cells, i, geometry, threshold_mev);
        let (ee, eh) = split_energy(&h.layer, &h.energy, boundary as u16);
        let ne = h.layer.iter().filter(|&&l| (l as usize) < boundary).count();
        o.e_inc.push(cells.incident_energy[i] as f64);
        o.e_vis.push(ee + eh);
        o.e_ecal.push(ee);
        o.e_hcal.push(eh);
        o.n_hits.push(h.energy.len() as f64);
        o.n_hits_ecal.push(ne as f64);
        o.n_hits_hcal.push((h.energy.len() - ne) as f64);
        let c = centre_of_gravity(&h.hits()).unwrap_or([0.0; 3]);
        o.cog_x.push(c[0]);
        o.cog_y.push(c[1]);
        o.cog_z.push(c[2]);
        o.start_layer
            .push(start_layer(&h.layer, &h.energy).map_or(-1.0, |l| l as f64));
        if let (Some(d), Some(all)) = (o.direction.as_mut(), cells.direction.as_ref()) {
            let v = all[i];
            d.push(unit([v[0] as f64, v[1] as f64, v[2] as f64]));
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(dir: [f64; 3], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let d = unit(dir);
        let (mut x, mut y, mut z, mut e) = (vec![], vec![], vec![], vec![]);
        for k in 0..n {
            let t = k as f64 * 3.0;
            x.push(5.0 + d[0] * t);
            y.push(-2.0 + d[1] * t);
            z.push(1.0 + d[2] * t);
            e.push(1.0 + (k % 7) as f64);
        }
        (x, y, z, e)
    }

    #[test]
    fn pca_of_a_line_recovers_its_angle() {
        // 25° from the depth axis, azimuth 60° around it.
        let (th, ph) = (25f64.to_radians(), 60f64.to_radians());
        let dir = [th.sin() * ph.cos(), th.sin() * ph.sin(), th.cos()];
        let (x, y, z, e) = line(dir, 50);
        let h = Hits {
            x: &x,
            y: &y,
            z: &z,
            energy: &e,
        };
        for frac in [0.04, 1.0] {
            let a = principal_axis(&h, frac).unwrap();
            // Angle to the depth axis is the line's.
            assert!((axis_angle(a, [0.0, 0.0, 1.0]) - th).abs() < 1e-9, "{frac}");
            let err = angle_error(a, dir);
            assert!(err.angle < 1e-7 && err.d_theta.abs() < 1e-7 && err.d_phi.abs() < 1e-7);
        }
        // A known tilt: the axis at 10° from the truth in the x–z plane.
        let tilted = [10f64.to_radians().sin(), 0.0, 10f64.to_radians().cos()];
        let err = angle_error(tilted, [0.0, 0.0, 1.0]);
        assert!((err.angle.to_degrees() - 10.0).abs() < 1e-9);
        // Rotating towards +x lowers θ (angle to x) by the same 10°; φ unchanged.
        assert!((err.d_theta.to_degrees() + 10.0).abs() < 1e-9 && err.d_phi.abs() < 1e-12);
        let rolled = [0.0, 10f64.to_radians().sin(), 10f64.to_radians().cos()];
        let err = angle_error(rolled, [0.0, 0.0, 1.0]);
        assert!((err.d_phi.to_degrees() - 10.0).abs() < 1e-9 && err.d_theta.abs() < 1e-12);
    }

    #[test]
    fn top_fraction_ignores_a_soft_halo() {
        // A hard core along z plus soft hits scattered sideways: 100 % is pulled off axis, the top
        // 20 % (the core) is not.
        let (mut x, mut y, mut z, mut e) = line([0.0, 0.0, 1.0], 20);
        for k in 0..80 {
            x.push(40.0 + k as f64);
            y.push(0.0);
            z.push(10.0 + (k % 3) as f64);
            e.push(0.01);
        }
        for v in e.iter_mut().take(20) {
            *v = 100.0;
        }
        let h = Hits {
            x: &x,
            y: &y,
            z: &z,
            energy: &e,
        };
        let core = principal_axis(&h, 0.2).unwrap();
        assert!(axis_angle(core, [0.0, 0.0, 1.0]) < 1e-9);
        assert_eq!(top_energy_hits(&e, 0.2).len(), 20);
        assert_eq!(top_energy_hits(&e, 0.0).len(), 2);
        assert!(principal_axis(&h, 1.0).is_some());
    }

    #[test]
    fn start_layer_cog_and_split() {
        let layers = [3u16, 7, 31, 40, 7];
        let e = [1.0, 5.0, 2.0, 5.0, 0.5];
        // Two cells share the maximum (layers 7 and 40): the lower layer wins, whatever the order.
        assert_eq!(start_layer(&layers, &e), Some(7));
        let rev_l: Vec<u16> = layers.iter().rev().copied().collect();
        let rev_e: Vec<f64> = e.iter().rev().copied().collect();
        assert_eq!(start_layer(&rev_l, &rev_e), Some(7));
        assert_eq!(start_layer(&[], &[]), None);
        assert_eq!(split_energy(&layers, &e, 30), (6.5, 7.0));
        let (x, y, z) = ([0.0, 2.0], [1.0, 1.0], [10.0, 20.0]);
        let h = Hits {
            x: &x,
            y: &y,
            z: &z,
            energy: &[1.0, 3.0],
        };
        assert_eq!(centre_of_gravity(&h), Some([1.5, 1.0, 17.5]));
    }

    #[test]
    fn degenerate_spreads_have_no_axis() {
        // Four hits on a square in a plane: two equal leading eigenvalues.
        let (x, y, z, e) = (
            [1.0, -1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, -1.0],
            [5.0; 4],
            [1.0; 4],
        );
        let h = Hits {
            x: &x,
            y: &y,
            z: &z,
            energy: &e,
        };
        assert_eq!(principal_axis(&h, 1.0), None);
        let one = Hits {
            x: &x[..1],
            y: &y[..1],
            z: &z[..1],
            energy: &e[..1],
        };
        assert_eq!(principal_axis(&one, 1.0), None);
    }
}
