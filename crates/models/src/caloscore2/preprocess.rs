//! CaloScore v2's preprocessing (§IV) and its exact inverse.
//!
//! Two tasks, two codings:
//! - the layer-energy model sees the energy per layer as CaloFlow's fractions: u₀ = ΣE/(f·E₀),
//!   the total over the incident energy scaled by f, then u_i = E_i / Σ_{j≥i} E_j for every layer
//!   but the last (the share of layer i in what is left from i on) — all in [0, 1];
//! - the voxel model sees each voxel's energy over its layer's energy, E'_v = E_v / E_layer.
//!
//! Both then go to logit space, u = log(x/(1−x)) with x = α + (1−2α)·E' and α = 10⁻⁶ (Eq. 10),
//! and are standardised per feature over the training set. The incident energy becomes
//! u₀ = (log E₀ − log E_min)/(log E_max − log E_min) (Eq. 11, on log E as the issue asks: the
//! datasets' energies span three decades).
//!
//! Every map here is inverted exactly (up to float rounding); a layer (or a tail of layers) with
//! no energy decodes to zeros.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// α of Eq. 10.
pub const LOGIT_ALPHA: f64 = 1e-6;

/// x ∈ [0, 1] → logit(α + (1−2α)·x).
pub fn logit(x: f64) -> f64 {
    let y = LOGIT_ALPHA + (1.0 - 2.0 * LOGIT_ALPHA) * x;
    (y / (1.0 - y)).ln()
}

/// The inverse of [`logit`], clamped to [0, 1] (a generated value may land outside).
pub fn inverse_logit(u: f64) -> f64 {
    let y = 1.0 / (1.0 + (-u).exp());
    ((y - LOGIT_ALPHA) / (1.0 - 2.0 * LOGIT_ALPHA)).clamp(0.0, 1.0)
}

/// CaloFlow's layer-energy fractions: `layers` energies (MeV) and the incident energy `e0` →
/// `layers.len()` values in [0, 1]; `f` scales the total (chosen so that ΣE ≤ f·E₀ in the data).
pub fn layer_fractions(layers: &[f64], e0: f64, f: f64, out: &mut Vec<f64>) -> Result<()> {
    if !(e0 > 0.0 && f > 0.0) || layers.iter().any(|e| !(e.is_finite() && *e >= 0.0)) {
        return Err(Error::Invalid(format!(
            "layer fractions: incident energy {e0} MeV, scale {f}, layer energies must be finite and ≥ 0"
        )));
    }
    out.clear();
    let total: f64 = layers.iter().sum();
    out.push((total / (f * e0)).min(1.0));
    let mut left = total;
    for &e in &layers[..layers.len().saturating_sub(1)] {
        out.push(if left > 0.0 {
            (e / left).clamp(0.0, 1.0)
        } else {
            0.0
        });
        left = (left - e).max(0.0);
    }
    Ok(())
}

/// The inverse of [`layer_fractions`]: energies per layer (MeV) from `u` (one value per layer).
pub fn layer_energies_from_fractions(u: &[f64], e0: f64, f: f64, out: &mut Vec<f64>) {
    out.clear();
    let Some((&u0, shares)) = u.split_first() else {
        return;
    };
    let mut left = u0.clamp(0.0, 1.0) * f * e0;
    for &s in shares {
        let e = s.clamp(0.0, 1.0) * left;
        out.push(e);
        left -= e;
    }
    out.push(left.max(0.0));
}

/// The incident-energy condition of Eq. 11 on log E.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EnergyCondition {
    pub e_min_mev: f64,
    pub e_max_mev: f64,
}

impl EnergyCondition {
    pub fn encode(&self, e0: f64) -> f64 {
        (e0.ln() - self.e_min_mev.ln()) / (self.e_max_mev.ln() - self.e_min_mev.ln())
    }

    pub fn decode(&self, u: f64) -> f64 {
        (self.e_min_mev.ln() + u * (self.e_max_mev.ln() - self.e_min_mev.ln())).exp()
    }
}

/// The smallest standard deviation [`FeatureScaler::fit`] takes as a spread (below: constant).
pub const MIN_STD: f64 = 1e-6;

/// Per-feature standardisation to mean 0 and unit variance over the training set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureScaler {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
}

impl FeatureScaler {
    /// From rows of `n_features` values (row-major `rows`); a constant feature gets std 1.
    pub fn fit(rows: &[f64], n_features: usize) -> Result<Self> {
        if n_features == 0 || rows.is_empty() || !rows.len().is_multiple_of(n_features) {
            return Err(Error::Invalid(format!(
                "feature scaler: {} values are not rows of {n_features}",
                rows.len()
            )));
        }
        let n = (rows.len() / n_features) as f64;
        let mut mean = vec![0.0; n_features];
        for row in rows.chunks_exact(n_features) {
            for (m, v) in mean.iter_mut().zip(row) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; n_features];
        for row in rows.chunks_exact(n_features) {
            for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        // A feature constant over the training set (a voxel never hit: logit(0) in every shower)
        // gets a std of float rounding, ~1e-15, not 0; treated as spread it would turn a later
        // hit there into ~1e13. Features are logits within ±14: a std under MIN_STD is constant.
        let std = var
            .into_iter()
            .map(|v| if v.sqrt() > MIN_STD { v.sqrt() } else { 1.0 })
            .collect();
        Ok(Self { mean, std })
    }

    /// In place, one row.
    pub fn forward(&self, row: &mut [f64]) {
        for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = (*v - m) / s;
        }
    }

    pub fn inverse(&self, row: &mut [f64]) {
        for ((v, m), s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
            *v = *v * s + m;
        }
    }
}

/// The voxel model's input for one shower: each voxel over its layer's energy, in logit space.
/// `layer_of[v]` is voxel v's layer; `layer_energy` the per-layer sums.
pub fn encode_voxels(voxels: &[f64], layer_of: &[usize], layer_energy: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(voxels.iter().zip(layer_of).map(|(&e, &l)| {
        let el = layer_energy[l];
        logit(if el > 0.0 {
            (e / el).clamp(0.0, 1.0)
        } else {
            0.0
        })
    }));
}

/// The inverse of [`encode_voxels`] given the layer energies (from the layer-energy model).
pub fn decode_voxels(u: &[f64], layer_of: &[usize], layer_energy: &[f64], out: &mut Vec<f64>) {
    out.clear();
    out.extend(
        u.iter()
            .zip(layer_of)
            .map(|(&u, &l)| inverse_logit(u) * layer_energy[l]),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_feature_constant_up_to_rounding_gets_unit_std() {
        // logit(0) in every row: the computed variance is float rounding, not 0.
        let u = logit(0.0);
        let rows: Vec<f64> = (0..8500).flat_map(|i| [u, i as f64]).collect();
        let s = FeatureScaler::fit(&rows, 2).unwrap();
        assert_eq!(s.std[0], 1.0);
        assert!(s.std[1] > 1000.0);
        let mut hit = [logit(0.5), 0.0];
        s.forward(&mut hit);
        assert!(hit[0].abs() < 20.0, "{}", hit[0]);
    }

    #[test]
    fn logit_round_trip_and_end_points() {
        for x in [0.0, 1e-9, 0.01, 0.5, 0.93, 1.0] {
            assert!((inverse_logit(logit(x)) - x).abs() < 1e-12, "{x}");
        }
        // x = 0 → logit(α) = ln(α/(1−α)); finite, no discontinuity (the reason for α).
        assert!((logit(0.0) - (1e-6f64 / (1.0 - 1e-6)).ln()).abs() < 1e-12);
        assert_eq!(logit(0.5), 0.0);
    }

    /// Hand case: layers (6, 3, 1) MeV, E₀ = 20, f = 1: u = (10/20, 6/10, 3/4), and back.
    #[test]
    fn layer_fractions_by_hand_and_back() {
        let mut u = Vec::new();
        layer_fractions(&[6.0, 3.0, 1.0], 20.0, 1.0, &mut u).unwrap();
        assert_eq!(u, vec![0.5, 0.6, 0.75]);
        let mut e = Vec::new();
        layer_energies_from_fractions(&u, 20.0, 1.0, &mut e);
        for (a, b) in e.iter().zip([6.0, 3.0, 1.0]) {
            assert!((a - b).abs() < 1e-12, "{e:?}");
        }
        // Empty tail: the shares past the last deposit are 0 and decode to 0.
        layer_fractions(&[4.0, 0.0, 0.0, 0.0], 10.0, 2.0, &mut u).unwrap();
        assert_eq!(u, vec![0.2, 1.0, 0.0, 0.0]);
        layer_energies_from_fractions(&u, 10.0, 2.0, &mut e);
        assert_eq!(e, vec![4.0, 0.0, 0.0, 0.0]);
        assert!(layer_fractions(&[1.0, f64::NAN], 10.0, 1.0, &mut u).is_err());
        assert!(layer_fractions(&[1.0], 0.0, 1.0, &mut u).is_err());
    }

    /// The whole chain on random showers: fractions → logit → standardise → back.
    #[test]
    fn preprocessing_round_trip() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
        let (n, nl) = (50, 5);
        let mut rows = Vec::new();
        let mut showers = Vec::new();
        for _ in 0..n {
            let e0 = 10f64.powf(rng.random_range(3.0..6.0));
            let layers: Vec<f64> = (0..nl)
                .map(|_| {
                    if rng.random::<f64>() < 0.2 {
                        0.0
                    } else {
                        rng.random::<f64>() * e0 / nl as f64
                    }
                })
                .collect();
            let mut u = Vec::new();
            layer_fractions(&layers, e0, 2.0, &mut u).unwrap();
            rows.extend(u.iter().map(|&x| logit(x)));
            showers.push((e0, layers));
        }
        let scaler = FeatureScaler::fit(&rows, nl).unwrap();
        for (row, (e0, layers)) in rows.chunks_exact(nl).zip(&showers) {
            let mut r = row.to_vec();
            scaler.forward(&mut r);
            scaler.inverse(&mut r);
            let u: Vec<f64> = r.iter().map(|&v| inverse_logit(v)).collect();
            let mut back = Vec::new();
            layer_energies_from_fractions(&u, *e0, 2.0, &mut back);
            for (a, b) in back.iter().zip(layers) {
                // logit's α shifts a share by up to 2α relative: ~1e-6 of the energy left.
                assert!((a - b).abs() <= 1e-5 * e0, "{back:?} vs {layers:?}");
            }
        }
        // Standardised features have mean 0 and variance 1 over the training rows.
        let mut z = rows.clone();
        for r in z.chunks_exact_mut(nl) {
            scaler.forward(r);
        }
        for k in 0..nl {
            let col: Vec<f64> = z.iter().skip(k).step_by(nl).copied().collect();
            let m = col.iter().sum::<f64>() / n as f64;
            let v = col.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
            assert!(
                m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12,
                "feature {k}: {m} {v}"
            );
        }
        let c = EnergyCondition {
            e_min_mev: 1e3,
            e_max_mev: 1e6,
        };
        assert!((c.encode(1e3)).abs() < 1e-15 && (c.encode(1e6) - 1.0).abs() < 1e-15);
        assert!((c.encode(31_622.776_601_683_792) - 0.5).abs() < 1e-12);
        assert!((c.decode(c.encode(47_000.0)) - 47_000.0).abs() < 1e-9);
    }

    #[test]
    fn voxels_over_their_layer_and_back() {
        let voxels = [2.0, 0.0, 6.0, 5.0, 0.0];
        let layer_of = [0, 0, 0, 1, 2];
        let layer_energy = [8.0, 5.0, 0.0];
        let (mut u, mut back) = (Vec::new(), Vec::new());
        encode_voxels(&voxels, &layer_of, &layer_energy, &mut u);
        assert!((u[0] - logit(0.25)).abs() < 1e-15 && (u[2] - logit(0.75)).abs() < 1e-15);
        decode_voxels(&u, &layer_of, &layer_energy, &mut back);
        for (a, b) in back.iter().zip(voxels) {
            assert!((a - b).abs() < 1e-5, "{back:?}");
        }
    }
}
