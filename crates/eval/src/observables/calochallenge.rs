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
            .map(|(t, i)| t / i)
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
        ..Default::default()
    };
    for i in 0..n {
        let v = showers.shower(i);
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
        f.e_tot.push(tot);
    }
    f
}

/// Whether a voxel of energy `x` survives the threshold: at or above it, as the challenge keeps it.
pub fn kept(x: f64, threshold_mev: f64) -> bool {
    x >= threshold_mev && x > 0.0
}
