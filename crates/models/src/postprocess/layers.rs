//! Layer assignment (CaloClouds3 §3.3 "Apply macro features", CaloClouds II §3): the points are
//! generated i.i.d. with a continuous depth coordinate; the flow says how many points each layer
//! has. Sorting by depth and filling the layers from the front keeps the generated longitudinal
//! order while making the per-layer counts exactly the flow's.

use crate::error::{Error, Result};

/// Reusable state for [`LayerAssigner::assign`] (the sort keys of the last shower).
#[derive(Debug, Clone, Default)]
pub struct LayerAssigner {
    keys: Vec<(f32, u32)>,
}

impl LayerAssigner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives each point a layer: the `counts[0]` points with the smallest `z` go to layer 0, the
    /// next `counts[1]` to layer 1, and so on. `counts` must add up to `z.len()` (see
    /// [`fit_counts_to_total`]). Ties and NaN depths are ordered by `f32::total_cmp` (NaN last), so
    /// the result is deterministic.
    ///
    /// When `layer_centres` is given (one value per layer, the same units as `z`), each point's
    /// `z` is moved to its layer's centre — the CaloClouds3 step "moved along the shower axis to
    /// sit at the centre of the layer"; otherwise `z` is left as generated.
    pub fn assign(
        &mut self,
        z: &mut [f32],
        counts: &[u32],
        layer_centres: Option<&[f32]>,
        layer: &mut [u16],
    ) -> Result<()> {
        let n = z.len();
        if layer.len() != n {
            return Err(Error::Invalid(format!(
                "layer assignment: {} depths but {} layer slots",
                n,
                layer.len()
            )));
        }
        let total: u64 = counts.iter().map(|&c| c as u64).sum();
        if total != n as u64 {
            return Err(Error::Invalid(format!(
                "layer assignment: the per-layer counts add up to {total}, the shower has {n} points"
            )));
        }
        if counts.len() > u16::MAX as usize + 1 {
            return Err(Error::Invalid(format!(
                "layer assignment: {} layers do not fit a u16 layer index",
                counts.len()
            )));
        }
        if let Some(c) = layer_centres {
            if c.len() != counts.len() {
                return Err(Error::Invalid(format!(
                    "layer assignment: {} layer centres for {} layers",
                    c.len(),
                    counts.len()
                )));
            }
        }
        self.keys.clear();
        self.keys
            .extend(z.iter().enumerate().map(|(i, &v)| (v, i as u32)));
        // Sorting (value, index) pairs: equal depths keep a fixed order, so the same input always
        // gives the same layers.
        self.keys
            .sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut start = 0usize;
        for (l, &c) in counts.iter().enumerate() {
            let end = start + c as usize;
            for &(_, i) in &self.keys[start..end] {
                layer[i as usize] = l as u16;
                if let Some(centres) = layer_centres {
                    z[i as usize] = centres[l];
                }
            }
            start = end;
        }
        Ok(())
    }
}

/// Adjusts non-negative per-layer counts so that they add up to `total`, keeping their shape:
/// counts are scaled by `total / sum` and rounded with the largest-remainder rule (ties go to the
/// earlier layer). Use it when the flow's rounded per-layer counts and the number of points
/// generated differ. All-zero counts with `total > 0` are an error (no shape to keep).
pub fn fit_counts_to_total(counts: &mut [u32], total: u32) -> Result<()> {
    let sum: u64 = counts.iter().map(|&c| c as u64).sum();
    if sum == total as u64 {
        return Ok(());
    }
    if sum == 0 {
        return Err(Error::Invalid(format!(
            "cannot spread {total} points over layers that all have 0 points"
        )));
    }
    let scale = total as f64 / sum as f64;
    let mut assigned = 0u64;
    let mut remainders: Vec<(f64, usize)> = Vec::with_capacity(counts.len());
    for (i, c) in counts.iter_mut().enumerate() {
        let exact = *c as f64 * scale;
        let floor = exact.floor();
        remainders.push((exact - floor, i));
        *c = floor as u32;
        assigned += *c as u64;
    }
    let missing = total as u64 - assigned;
    remainders.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(missing as usize) {
        counts[i] += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_layer_are_the_requested_ones_and_follow_depth() {
        // 10 points in a scrambled depth order; layers get 3, 0, 5, 2 points.
        let mut z = vec![9.0, 0.5, 4.0, 7.0, 1.0, 3.0, 8.0, 2.0, 6.0, 5.0];
        let original = z.clone();
        let counts = [3, 0, 5, 2];
        let mut layer = vec![u16::MAX; z.len()];
        let mut a = LayerAssigner::new();
        a.assign(&mut z, &counts, None, &mut layer).unwrap();
        assert_eq!(z, original, "z untouched without layer centres");
        for (l, &c) in counts.iter().enumerate() {
            assert_eq!(
                layer.iter().filter(|&&v| v as usize == l).count(),
                c as usize
            );
        }
        // Depth order is kept: every point of layer l is shallower than every point of layer l+1.
        for i in 0..z.len() {
            for j in 0..z.len() {
                if layer[i] < layer[j] {
                    assert!(z[i] < z[j]);
                }
            }
        }
        // The three shallowest (0.5, 1, 2) are layer 0; the two deepest (8, 9) are layer 3.
        assert_eq!(layer[1], 0);
        assert_eq!(layer[4], 0);
        assert_eq!(layer[7], 0);
        assert_eq!(layer[0], 3);
        assert_eq!(layer[6], 3);
    }

    #[test]
    fn energy_is_carried_with_the_points_and_z_moves_to_layer_centres() {
        let mut z = vec![0.3, -1.0, 2.2, 0.9];
        let energy = [1.5f32, 2.0, 0.25, 4.0];
        let mut layer = vec![0; 4];
        let centres = [0.0, 1.0, 2.0];
        LayerAssigner::new()
            .assign(&mut z, &[1, 2, 1], Some(&centres), &mut layer)
            .unwrap();
        assert_eq!(layer, vec![1, 0, 2, 1]);
        assert_eq!(z, vec![1.0, 0.0, 2.0, 1.0]);
        // Assignment never touches energies: the total is the same by construction, and per layer
        // it is the sum of the points given to it.
        let per: Vec<f32> = (0..3)
            .map(|l| (0..4).filter(|&i| layer[i] == l).map(|i| energy[i]).sum())
            .collect();
        assert_eq!(per, vec![2.0, 5.5, 0.25]);
    }

    #[test]
    fn wrong_totals_are_errors() {
        let mut z = vec![0.0; 4];
        let mut layer = vec![0; 4];
        let e = LayerAssigner::new()
            .assign(&mut z, &[1, 2], None, &mut layer)
            .unwrap_err();
        assert!(e.to_string().contains("add up to 3"), "{e}");
    }

    #[test]
    fn nan_depths_go_last() {
        let mut z = vec![f32::NAN, 1.0, 0.0];
        let mut layer = vec![0; 3];
        LayerAssigner::new()
            .assign(&mut z, &[2, 1], None, &mut layer)
            .unwrap();
        assert_eq!(layer, vec![1, 0, 0]);
    }

    #[test]
    fn fitting_counts_keeps_the_shape() {
        let mut c = [10, 20, 30, 40];
        fit_counts_to_total(&mut c, 50).unwrap();
        assert_eq!(c, [5, 10, 15, 20]);
        let mut c = [1, 1, 1];
        fit_counts_to_total(&mut c, 5).unwrap();
        assert_eq!(c.iter().sum::<u32>(), 5);
        assert_eq!(c, [2, 2, 1]);
        let mut c = [0, 0];
        assert!(fit_counts_to_total(&mut c, 3).is_err());
        let mut c = [7, 0, 2];
        fit_counts_to_total(&mut c, 9).unwrap();
        assert_eq!(c, [7, 0, 2]);
    }
}
