//! The CaloChallenge high-level features (paper 003 §8, the challenge's `HighLevelFeatures`):
//! per layer the energy, the energy-weighted centres and widths in eta = r cos α and phi = r sin α,
//! per layer the energy-weighted centre and width in r, and the sparsity (CaloChallenge 2022's
//! definition: the fraction of the layer's voxels *below* threshold, 1 − occupied); per shower
//! E_tot / E_inc.

use calogen_data::VoxelShowers;
use calogen_geometry::Voxelisation;

/// Features of every shower; per-layer blocks are `n_showers × n_layers`, row-major.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HighLevelFeatures {
    pub n_layers: usize,
    pub e_inc: Vec<f64>,
    pub e_tot: Vec<f64>,
    pub e_layer: Vec<f64>,
    pub ec_eta: Vec<f64>,
    pub ec_phi: Vec<f64>,
    pub width_eta: Vec<f64>,
    pub width_phi: Vec<f64>,
    pub ec_r: Vec<f64>,
    pub width_r: Vec<f64>,
    pub sparsity: Vec<f64>,
    /// Voxel energies above threshold, pooled (for the voxel-energy histogram), MeV.
    pub voxel_energy: Vec<f64>,
    /// How the energy sums were accumulated.
    pub sums: Sums,
}

/// How layer and shower energies are summed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sums {
    /// As CaloChallenge 2022's `evaluate.py` sums its float32 voxels: numpy's float32 pairwise
    /// summation ([`numpy_sum_f32`]) for E_layer, E_tot and the denominators of the centres and
    /// widths, and E_tot/E_inc divided in float32. Entries then fall in the same histogram bins as
    /// the challenge's, so separation powers agree to rounding rather than to a few 1e-3.
    #[default]
    Float32,
    /// Plain float64 accumulation (more exact; the challenge's numbers to about 1e-7 per entry).
    Float64,
}

/// `np.sum` of a contiguous float32 row as numpy computes it (`pairwise_sum` of its loops):
/// fewer than 8 values in order; up to 128 in eight interleaved accumulators combined as
/// ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7)), then the remainder; longer rows split at
/// half, rounded down to a multiple of 8, and summed recursively.
pub fn numpy_sum_f32(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        a.iter().fold(0.0f32, |s, &x| s + x)
    } else if n <= 128 {
        let mut r = [0f32; 8];
        r.copy_from_slice(&a[..8]);
        let full = n - n % 8;
        for chunk in a[8..full].chunks_exact(8) {
            for (acc, &x) in r.iter_mut().zip(chunk) {
                *acc += x;
            }
        }
        let mut s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &x in &a[full..] {
            s += x;
        }
        s
    } else {
        let half = n / 2;
        let half = half - half % 8;
        numpy_sum_f32(&a[..half]) + numpy_sum_f32(&a[half..])
    }
}

impl HighLevelFeatures {
    pub fn len(&self) -> usize {
        self.e_inc.len()
    }

    pub fn is_empty(&self) -> bool {
        self.e_inc.is_empty()
    }

    /// Layers that have voxels (dataset 1 has empty layers, which the challenge skips).
    pub fn layer_column(block: &[f64], layer: usize, n_layers: usize) -> Vec<f64> {
        block
            .iter()
            .skip(layer)
            .step_by(n_layers)
            .copied()
            .collect()
    }

    pub fn etot_over_einc(&self) -> Vec<f64> {
        self.e_tot
            .iter()
            .zip(&self.e_inc)
            .map(|(t, i)| match self.sums {
                // evaluate.py divides its float32 E_tot by its float32 E_inc
                Sums::Float32 => (*t as f32 / *i as f32) as f64,
                Sums::Float64 => t / i,
            })
            .collect()
    }
}

/// Compute the features; voxels below `threshold_mev` count as empty and a voxel exactly at it is
/// kept (CaloChallenge 2022's `evaluate.py` zeroes `shower < min_energy` before anything else).
/// Centres and widths of an empty layer are 0, as the challenge's code gives after its 1e-16 guard.
pub fn high_level_features(
    showers: &VoxelShowers,
    geometry: &Voxelisation,
    threshold_mev: f64,
) -> HighLevelFeatures {
    high_level_features_with(showers, geometry, threshold_mev, Sums::Float32)
}

/// [`high_level_features`] with the energy sums accumulated as `sums` says.
pub fn high_level_features_with(
    showers: &VoxelShowers,
    geometry: &Voxelisation,
    threshold_mev: f64,
    sums: Sums,
) -> HighLevelFeatures {
    let centres = geometry.voxel_centres();
    let nl = geometry.n_layers();
    let n = showers.len();
    let mut f = HighLevelFeatures {
        n_layers: nl,
        e_layer: vec![0.0; n * nl],
        ec_eta: vec![0.0; n * nl],
        ec_phi: vec![0.0; n * nl],
        width_eta: vec![0.0; n * nl],
        width_phi: vec![0.0; n * nl],
        ec_r: vec![0.0; n * nl],
        width_r: vec![0.0; n * nl],
        sparsity: vec![0.0; n * nl],
        sums,
        ..Default::default()
    };
    let mut kept_f32: Vec<f32> = Vec::with_capacity(showers.n_voxels);
    for i in 0..n {
        let v = showers.shower(i);
        // The thresholded shower (0 where dropped), for the float32 sums.
        kept_f32.clear();
        kept_f32.extend(v.iter().map(|&x| {
            if kept(x as f64, threshold_mev) {
                x
            } else {
                0.0
            }
        }));
        let mut tot = 0.0;
        for (l, layer) in geometry.layers.iter().enumerate() {
            let (a, b) = (layer.first_voxel, layer.first_voxel + layer.n_voxels());
            let (mut e, mut se, mut sp, mut se2, mut sp2, mut sr, mut sr2, mut nz) =
                (0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0usize);
            for j in a..b {
                let x = v[j] as f64;
                if !kept(x, threshold_mev) {
                    continue;
                }
                let c = &centres[j];
                e += x;
                se += x * c.eta;
                sp += x * c.phi;
                se2 += x * c.eta * c.eta;
                sp2 += x * c.phi * c.phi;
                sr += x * c.r;
                sr2 += x * c.r * c.r;
                nz += 1;
                f.voxel_energy.push(x);
            }
            if sums == Sums::Float32 {
                e = numpy_sum_f32(&kept_f32[a..b]) as f64;
            }
            tot += e;
            let k = i * nl + l;
            f.e_layer[k] = e;
            if e > 0.0 {
                let (me, mp, mr) = (se / e, sp / e, sr / e);
                f.ec_eta[k] = me;
                f.ec_phi[k] = mp;
                f.ec_r[k] = mr;
                // max(0) guards the rounding of E[x²] − E[x]² for single-voxel layers
                f.width_eta[k] = (se2 / e - me * me).max(0.0).sqrt();
                f.width_phi[k] = (sp2 / e - mp * mp).max(0.0).sqrt();
                f.width_r[k] = (sr2 / e - mr * mr).max(0.0).sqrt();
            }
            if b > a {
                // The challenge's sparsity is the empty fraction, `1 − mean(E > 0)` on thresholded
                // voxels; computed from the empty count so that it is exact, not 1 − rounded.
                f.sparsity[k] = (b - a - nz) as f64 / (b - a) as f64;
            }
        }
        f.e_inc.push(showers.incident_energy[i] as f64);
        f.e_tot.push(match sums {
            Sums::Float32 => numpy_sum_f32(&kept_f32) as f64,
            Sums::Float64 => tot,
        });
    }
    f
}

/// Whether a voxel of energy `x` survives the threshold: at or above it, as the challenge keeps it.
pub fn kept(x: f64, threshold_mev: f64) -> bool {
    x >= threshold_mev && x > 0.0
}
