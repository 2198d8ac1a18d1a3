//! The ShowerFlow's per-shower features (paper 000, Sec. 3): number of points, visible energy,
//! the two transverse centres of gravity, and per layer the fraction of points and of energy.

use calogen_data::PointClouds;

/// The shower totals that lead the features: N, E_vis, CoG x, CoG y.
pub const N_TOTALS: usize = 4;

/// Number of features for `n_layers` layers: the totals, then two fractions per layer.
pub const fn n_features(n_layers: usize) -> usize {
    N_TOTALS + 2 * n_layers
}

/// 64 for the 30-layer ILD ECAL (the issue text says 65; its own list sums to 64).
pub const N_FEATURES: usize = n_features(30);

/// Raw (physical) features of shower `i`: `[N, E_vis MeV, CoG_x mm, CoG_y mm, point
/// fractions…, energy fractions…]`. CoGs are energy weighted.
pub fn shower_features(pc: &PointClouds, i: usize, n_layers: usize) -> Vec<f64> {
    let s = pc.shower(i);
    let n = s.len();
    let e_vis: f64 = s.energy.iter().map(|&e| e as f64).sum();
    let mut cog = [0.0f64; 2];
    let mut pts = vec![0.0f64; n_layers];
    let mut en = vec![0.0f64; n_layers];
    for k in 0..n {
        let e = s.energy[k] as f64;
        cog[0] += e * s.x[k] as f64;
        cog[1] += e * s.y[k] as f64;
        let l = (s.layer[k] as usize).min(n_layers - 1);
        pts[l] += 1.0;
        en[l] += e;
    }
    let norm_e = e_vis.max(f64::MIN_POSITIVE);
    let norm_n = (n as f64).max(1.0);
    let mut f = Vec::with_capacity(n_features(n_layers));
    f.extend([n as f64, e_vis, cog[0] / norm_e, cog[1] / norm_e]);
    f.extend(pts.iter().map(|p| p / norm_n));
    f.extend(en.iter().map(|e| e / norm_e));
    f
}
