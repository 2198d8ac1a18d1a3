//! Per-layer energy rescale (CaloClouds II §3 "calibrate the energy per layer", CaloClouds3 §3.3
//! step 3): the points of each layer keep their relative energies, and their sum becomes the
//! flow's energy for that layer.

use crate::error::{Error, Result};

/// What a rescale could not do.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RescaleReport {
    /// Requested energy of layers that received no point (it cannot be placed), same unit as the
    /// targets.
    pub unplaced: f64,
    /// Layers with a positive target and no point.
    pub empty_layers: usize,
}

/// Sums `energy` per layer into `sums` (resized to `n_layers`, f64 so that thousands of small
/// deposits add up without loss). Points with a layer `>= n_layers` are an error.
pub fn layer_energies(
    layer: &[u16],
    energy: &[f32],
    n_layers: usize,
    sums: &mut Vec<f64>,
) -> Result<()> {
    if layer.len() != energy.len() {
        return Err(Error::Invalid(format!(
            "layer energies: {} layers for {} energies",
            layer.len(),
            energy.len()
        )));
    }
    sums.clear();
    sums.resize(n_layers, 0.0);
    for (&l, &e) in layer.iter().zip(energy) {
        let s = sums.get_mut(l as usize).ok_or_else(|| {
            Error::Invalid(format!(
                "layer energies: a point is in layer {l}, the shower has {n_layers} layers"
            ))
        })?;
        *s += e as f64;
    }
    Ok(())
}

/// Scales the energies of each layer `l` so that they add up to `target[l]` (any unit; the
/// points take the targets' unit). A layer whose points have zero energy in total shares its
/// target equally; a layer without points cannot receive its target and is reported.
/// Negative or non-finite targets are errors. `sums` is reusable scratch (it holds per-layer
/// factors afterwards, not sums).
pub fn rescale_layer_energies(
    layer: &[u16],
    energy: &mut [f32],
    target: &[f64],
    sums: &mut Vec<f64>,
) -> Result<RescaleReport> {
    if let Some((l, t)) = target
        .iter()
        .enumerate()
        .find(|(_, t)| !t.is_finite() || **t < 0.0)
    {
        return Err(Error::Invalid(format!(
            "energy rescale: target of layer {l} is {t}"
        )));
    }
    let n_layers = target.len();
    layer_energies(layer, energy, n_layers, sums)?;
    // `sums` becomes the per-layer factor in place: >= 0 multiplies, < 0 means "set every point to
    // |value|" (equal shares), NaN means zero energy with zero target.
    let mut report = RescaleReport::default();
    let mut zero_layers = false;
    for (l, (s, &t)) in sums.iter_mut().zip(target).enumerate() {
        if *s > 0.0 {
            *s = t / *s;
        } else {
            *s = f64::NAN;
            if t > 0.0 {
                if layer.iter().any(|&p| p as usize == l) {
                    zero_layers = true;
                } else {
                    report.unplaced += t;
                    report.empty_layers += 1;
                }
            }
        }
    }
    if zero_layers {
        // Rare (generated energies are exponentials, never zero): count the points there.
        let mut count = vec![0u32; n_layers];
        for &l in layer {
            count[l as usize] += 1;
        }
        for (l, f) in sums.iter_mut().enumerate() {
            if f.is_nan() && count[l] > 0 && target[l] > 0.0 {
                *f = -(target[l] / count[l] as f64);
            }
        }
    }
    let factor = &sums[..];
    for (&l, e) in layer.iter().zip(energy.iter_mut()) {
        let f = factor[l as usize];
        if f >= 0.0 {
            *e = (*e as f64 * f) as f32;
        } else if f < 0.0 {
            *e = (-f) as f32;
        } else {
            // NaN: zero energy and zero target.
            *e = 0.0;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescale_hits_the_requested_layer_energies() {
        let layer = [0u16, 1, 0, 2, 1, 1, 0];
        let mut energy = [0.3f32, 1e-4, 2.0, 7.5, 3e-3, 0.2, 0.01];
        let before = energy;
        let target = [1234.5, 0.75, 42.0];
        let mut sums = Vec::new();
        let r = rescale_layer_energies(&layer, &mut energy, &target, &mut sums).unwrap();
        assert_eq!(r, RescaleReport::default());
        layer_energies(&layer, &energy, 3, &mut sums).unwrap();
        for (s, t) in sums.iter().zip(target) {
            assert!((s - t).abs() <= 1e-6 * t, "{s} vs {t}");
        }
        // Relative energies inside a layer are kept.
        let ratio = |a: f32, b: f32| a as f64 / b as f64;
        assert!((ratio(energy[0], energy[2]) - ratio(before[0], before[2])).abs() < 1e-6);
        assert!((ratio(energy[1], energy[5]) - ratio(before[1], before[5])).abs() < 1e-6);
    }

    #[test]
    fn empty_and_zero_layers() {
        // Layer 1 has no point, layer 2 has points with zero energy.
        let layer = [0u16, 2, 2];
        let mut energy = [1.0f32, 0.0, 0.0];
        let mut sums = Vec::new();
        let r =
            rescale_layer_energies(&layer, &mut energy, &[2.0, 5.0, 3.0, 0.0], &mut sums).unwrap();
        assert_eq!(r.empty_layers, 1);
        assert_eq!(r.unplaced, 5.0);
        assert_eq!(energy, [2.0, 1.5, 1.5]);
        assert!(
            rescale_layer_energies(&layer, &mut energy, &[1.0, f64::NAN, 1.0], &mut sums).is_err()
        );
        assert!(rescale_layer_energies(&layer, &mut energy, &[1.0, 1.0], &mut sums).is_err());
    }
}
