//! The CaloClouds3 ShowerFlow (§3.3): a conditional normalising flow over 60 features — the points
//! per layer divided by a fixed factor (30) and the visible energy per layer divided by a fixed
//! factor (30) — conditioned like the point model on [E/127, p_x, p_y, p_z]. It interleaves 12
//! affine couplings and 2 rational-quadratic spline couplings (Durkan et al. 2019).
//!
//! State: this is the inference structure (sampling z → features, the density direction with its
//! log-determinant, loading weights by name from safetensors). No trained CaloClouds3 flow weights
//! exist in this project (the public checkpoint holds only the consistency model), and training
//! belongs to `crates/train`; [`Cc3ShowerFlow::random`] gives a randomly initialised flow for tests
//! and timing. The paper's two scale factors were lost in the text extraction; they are config
//! fields, [`ShowerFlowConfig::fit_scales`] measures them from data (99th percentile, so that "the
//! majority of the distribution" lies in [0, 1]).
//!
//! Coupling `k` transforms the features with (index + k) odd, conditioned on the others and the
//! condition vector through an MLP (in → hidden → hidden, ReLU); affine: x = z·exp(s) + t with
//! s = clamp·tanh(raw); spline: monotone rational-quadratic on [−B, B], identity outside.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::profile::LayerProfile;
use super::Condition;
use crate::error::{Error, Result};
use crate::nn::rq_spline;
use crate::tensor::TensorMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShowerFlowConfig {
    pub n_layers: usize,
    pub cond_dim: usize,
    pub hidden: usize,
    pub affine_couplings: usize,
    pub spline_couplings: usize,
    pub spline_bins: usize,
    pub tail_bound: f64,
    /// Bound of the affine log-scale: s = clamp·tanh(raw).
    pub log_scale_clamp: f64,
    /// Points per layer = feature × points_scale.
    pub points_scale: f64,
    /// Energy per layer (MeV) = feature × energy_scale_mev.
    pub energy_scale_mev: f64,
    /// cond[0] = E / incident_energy_rescale_gev (127 GeV, SPEC §3).
    pub incident_energy_rescale_gev: f64,
}

impl ShowerFlowConfig {
    /// The paper's structure (30 layers, 12 affine + 2 spline couplings) with the given scales.
    pub fn cc3(points_scale: f64, energy_scale_mev: f64) -> Self {
        Self {
            n_layers: 30,
            cond_dim: 4,
            hidden: 64,
            affine_couplings: 12,
            spline_couplings: 2,
            spline_bins: 8,
            tail_bound: 5.0,
            log_scale_clamp: 3.0,
            points_scale,
            energy_scale_mev,
            incident_energy_rescale_gev: 127.0,
        }
    }

    pub fn features(&self) -> usize {
        2 * self.n_layers
    }

    /// (points_scale, energy_scale_mev) = the 99th percentiles of the per-layer counts and energies
    /// of the given profiles.
    pub fn fit_scales(profiles: &[LayerProfile]) -> Result<(f64, f64)> {
        let q99 = |mut v: Vec<f64>| -> Result<f64> {
            if v.is_empty() {
                return Err(Error::Invalid("ShowerFlow scales: no profiles".into()));
            }
            v.sort_by(f64::total_cmp);
            let q = v[((v.len() - 1) as f64 * 0.99).round() as usize];
            if q > 0.0 {
                Ok(q)
            } else {
                Err(Error::Invalid("ShowerFlow scales: all values zero".into()))
            }
        };
        let pts = profiles
            .iter()
            .flat_map(|p| p.points.iter().map(|&c| c as f64))
            .collect();
        let en = profiles
            .iter()
            .flat_map(|p| p.energy_mev.iter().copied())
            .collect();
        Ok((q99(pts)?, q99(en)?))
    }

    /// Coupling kinds in order: affine couplings with the spline couplings spread evenly between
    /// them (12 + 2: six affine, spline, six affine, spline).
    pub fn kinds(&self) -> Vec<CouplingKind> {
        let mut v = Vec::new();
        let per = self.affine_couplings / self.spline_couplings.max(1);
        let mut a = 0;
        for _ in 0..self.spline_couplings {
            for _ in 0..per {
                v.push(CouplingKind::Affine);
                a += 1;
            }
            v.push(CouplingKind::Spline);
        }
        v.extend((a..self.affine_couplings).map(|_| CouplingKind::Affine));
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouplingKind {
    Affine,
    Spline,
}

/// Kind, kept features, changed features, MLP widths [in, hidden, hidden, out].
type CouplingShape = (CouplingKind, Vec<usize>, Vec<usize>, [usize; 4]);

#[derive(Debug, Clone)]
struct Dense {
    inp: usize,
    out: usize,
    w: Vec<f64>,
    b: Vec<f64>,
}

impl Dense {
    fn forward(&self, x: &[f64], y: &mut [f64], relu: bool) {
        for (o, yo) in y.iter_mut().enumerate().take(self.out) {
            let row = &self.w[o * self.inp..(o + 1) * self.inp];
            let s = self.b[o] + row.iter().zip(x).map(|(a, b)| a * b).sum::<f64>();
            *yo = if relu { s.max(0.0) } else { s };
        }
    }
}

#[derive(Debug, Clone)]
struct Coupling {
    kind: CouplingKind,
    /// Feature indices passed through (conditioning) and transformed.
    keep: Vec<usize>,
    change: Vec<usize>,
    net: [Dense; 3],
}

/// The flow, ready to sample.
#[derive(Debug, Clone)]
pub struct Cc3ShowerFlow {
    config: ShowerFlowConfig,
    couplings: Vec<Coupling>,
}

impl Cc3ShowerFlow {
    fn params_per_feature(config: &ShowerFlowConfig, kind: CouplingKind) -> usize {
        match kind {
            CouplingKind::Affine => 2,
            CouplingKind::Spline => 3 * config.spline_bins - 1,
        }
    }

    fn shapes(config: &ShowerFlowConfig) -> Vec<CouplingShape> {
        let d = config.features();
        config
            .kinds()
            .into_iter()
            .enumerate()
            .map(|(k, kind)| {
                let change: Vec<usize> = (0..d).filter(|i| (i + k) % 2 == 1).collect();
                let keep: Vec<usize> = (0..d).filter(|i| (i + k) % 2 == 0).collect();
                let out = change.len() * Self::params_per_feature(config, kind);
                let dims = [
                    keep.len() + config.cond_dim,
                    config.hidden,
                    config.hidden,
                    out,
                ];
                (kind, keep, change, dims)
            })
            .collect()
    }

    /// Tensor names and shapes: `couplings.{k}.net.{j}.weight` [out, in] and `.bias` [out], j = 0..3.
    pub fn tensor_shapes(config: &ShowerFlowConfig) -> Vec<(String, Vec<usize>)> {
        let mut v = Vec::new();
        for (k, (_, _, _, dims)) in Self::shapes(config).into_iter().enumerate() {
            for j in 0..3 {
                v.push((
                    format!("couplings.{k}.net.{j}.weight"),
                    vec![dims[j + 1], dims[j]],
                ));
                v.push((format!("couplings.{k}.net.{j}.bias"), vec![dims[j + 1]]));
            }
        }
        v
    }

    /// Weights by the names of [`Cc3ShowerFlow::tensor_shapes`] (safetensors, f32).
    pub fn from_tensors(config: ShowerFlowConfig, t: &TensorMap) -> Result<Self> {
        Self::build(config, |name, shape| {
            Ok(t.get(name, shape)?.data.iter().map(|&v| v as f64).collect())
        })
    }

    /// Randomly initialised (PyTorch's default uniform ±1/√in, last layer ×0.01 so the untrained
    /// flow is close to the identity): for structure tests and timing only.
    pub fn random(config: ShowerFlowConfig, seed: u64) -> Result<Self> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Weights come before their bias in `build`, so the bias reuses the weight's fan-in.
        let mut fan_in = 1.0f64;
        Self::build(config, |name, shape| {
            if shape.len() == 2 {
                fan_in = shape[1] as f64;
            }
            let last = name.contains(".net.2.");
            let a = fan_in.sqrt().recip() * if last { 0.01 } else { 1.0 };
            let n: usize = shape.iter().product();
            Ok((0..n).map(|_| rng.random_range(-a..a)).collect())
        })
    }

    fn build(
        config: ShowerFlowConfig,
        mut get: impl FnMut(&str, &[usize]) -> Result<Vec<f64>>,
    ) -> Result<Self> {
        if config.spline_bins < 2 || config.tail_bound <= 0.0 || config.n_layers == 0 {
            return Err(Error::Invalid(format!("ShowerFlow config: {config:?}")));
        }
        let mut couplings = Vec::new();
        for (k, (kind, keep, change, dims)) in Self::shapes(&config).into_iter().enumerate() {
            let mut layer = |j: usize| -> Result<Dense> {
                let w = get(
                    &format!("couplings.{k}.net.{j}.weight"),
                    &[dims[j + 1], dims[j]],
                )?;
                let b = get(&format!("couplings.{k}.net.{j}.bias"), &[dims[j + 1]])?;
                Ok(Dense {
                    inp: dims[j],
                    out: dims[j + 1],
                    w,
                    b,
                })
            };
            let net = [layer(0)?, layer(1)?, layer(2)?];
            couplings.push(Coupling {
                kind,
                keep,
                change,
                net,
            });
        }
        Ok(Self { config, couplings })
    }

    pub fn config(&self) -> &ShowerFlowConfig {
        &self.config
    }

    pub fn cond_vector(&self, c: &Condition) -> Vec<f64> {
        vec![
            c.energy_gev as f64 / self.config.incident_energy_rescale_gev,
            c.direction[0] as f64,
            c.direction[1] as f64,
            c.direction[2] as f64,
        ]
    }

    fn params(&self, c: &Coupling, x: &[f64], cond: &[f64]) -> Vec<f64> {
        let mut inp: Vec<f64> = c.keep.iter().map(|&i| x[i]).collect();
        inp.extend_from_slice(cond);
        let mut h1 = vec![0.0; c.net[0].out];
        c.net[0].forward(&inp, &mut h1, true);
        let mut h2 = vec![0.0; c.net[1].out];
        c.net[1].forward(&h1, &mut h2, true);
        let mut out = vec![0.0; c.net[2].out];
        c.net[2].forward(&h2, &mut out, false);
        out
    }

    /// Generation direction z → x (in place); returns log|det ∂x/∂z|.
    pub fn forward(&self, z: &mut [f64], cond: &[f64]) -> f64 {
        let mut logdet = 0.0;
        for c in &self.couplings {
            logdet += self.coupling(c, z, cond, false);
        }
        logdet
    }

    /// Density direction x → z (in place); returns log|det ∂z/∂x|, so that
    /// log p(x) = log N(z) + the returned value.
    pub fn inverse(&self, x: &mut [f64], cond: &[f64]) -> f64 {
        let mut logdet = 0.0;
        for c in self.couplings.iter().rev() {
            logdet += self.coupling(c, x, cond, true);
        }
        logdet
    }

    /// log p(x | cond) under the flow with a standard normal base.
    pub fn log_prob(&self, x: &[f64], cond: &[f64]) -> f64 {
        let mut z = x.to_vec();
        let ld = self.inverse(&mut z, cond);
        let d = z.len() as f64;
        ld - 0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * d * (std::f64::consts::TAU).ln()
    }

    fn coupling(&self, c: &Coupling, v: &mut [f64], cond: &[f64], inverse: bool) -> f64 {
        let p = self.params(c, v, cond);
        let mut logdet = 0.0;
        match c.kind {
            CouplingKind::Affine => {
                let m = c.change.len();
                for (j, &i) in c.change.iter().enumerate() {
                    let s =
                        self.config.log_scale_clamp * (p[j] / self.config.log_scale_clamp).tanh();
                    let t = p[m + j];
                    if inverse {
                        v[i] = (v[i] - t) * (-s).exp();
                        logdet -= s;
                    } else {
                        v[i] = v[i] * s.exp() + t;
                        logdet += s;
                    }
                }
            }
            CouplingKind::Spline => {
                let per = 3 * self.config.spline_bins - 1;
                for (j, &i) in c.change.iter().enumerate() {
                    let (y, ld) = rq_spline(
                        v[i],
                        &p[j * per..(j + 1) * per],
                        self.config.spline_bins,
                        self.config.tail_bound,
                        inverse,
                    );
                    v[i] = y;
                    logdet += ld;
                }
            }
        }
        logdet
    }

    /// Raw features of one sample: z ~ N(0, 1), then [`Cc3ShowerFlow::forward`].
    pub fn sample_features(&self, c: &Condition, rng: &mut dyn rand::RngCore) -> Vec<f64> {
        let mut z: Vec<f64> = (0..self.config.features())
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        self.forward(&mut z, &self.cond_vector(c));
        z
    }

    /// Points and energies per layer: features × the fixed scales, negative values (the flow's
    /// rare unphysical outputs, §3.2) set to zero, counts rounded.
    pub fn sample_layers(
        &self,
        c: &Condition,
        rng: &mut dyn rand::RngCore,
        out: &mut LayerProfile,
    ) -> Result<()> {
        let f = self.sample_features(c, rng);
        let n = self.config.n_layers;
        if f.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid(
                "ShowerFlow produced a non-finite feature".into(),
            ));
        }
        out.points.clear();
        out.points.extend(
            f[..n]
                .iter()
                .map(|v| (v * self.config.points_scale).round().max(0.0) as u32),
        );
        out.energy_mev.clear();
        out.energy_mev.extend(
            f[n..]
                .iter()
                .map(|v| (v * self.config.energy_scale_mev).max(0.0)),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> ShowerFlowConfig {
        ShowerFlowConfig {
            n_layers: 3,
            hidden: 8,
            affine_couplings: 4,
            spline_couplings: 2,
            spline_bins: 5,
            tail_bound: 3.0,
            ..ShowerFlowConfig::cc3(100.0, 1000.0)
        }
    }

    /// A flow with larger random weights so the transforms are far from the identity.
    fn strong(config: ShowerFlowConfig) -> Cc3ShowerFlow {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        Cc3ShowerFlow::build(config, |_, shape| {
            let n: usize = shape.iter().product();
            Ok((0..n).map(|_| rng.random_range(-0.35..0.35)).collect())
        })
        .unwrap()
    }

    #[test]
    fn structure_of_the_paper() {
        let c = ShowerFlowConfig::cc3(1.0, 1.0);
        let kinds = c.kinds();
        assert_eq!(kinds.len(), 14);
        assert_eq!(
            kinds.iter().filter(|k| **k == CouplingKind::Spline).count(),
            2
        );
        assert_eq!(
            (kinds[6], kinds[13]),
            (CouplingKind::Spline, CouplingKind::Spline)
        );
        assert_eq!(c.features(), 60);
        let f = Cc3ShowerFlow::random(c, 1).unwrap();
        let mut out = LayerProfile::default();
        f.sample_layers(
            &Condition::from_local_angles(50.0, 20.0, 10.0),
            &mut ChaCha8Rng::seed_from_u64(2),
            &mut out,
        )
        .unwrap();
        assert_eq!((out.points.len(), out.energy_mev.len()), (30, 30));
    }

    /// The density integrates to one: a two-feature flow (one layer), exp(log_prob) summed on a
    /// grid wide enough for its tails. A flipped log-determinant sign gives 2.77; the grid's own
    /// error is below 1e-3.
    #[test]
    fn log_prob_is_a_normalised_density() {
        let f = strong(ShowerFlowConfig {
            n_layers: 1,
            ..small()
        });
        assert_eq!(f.config.features(), 2);
        let cond = [0.4, 0.3, -0.2, 0.93];
        let (lo, hi, n) = (-20.0, 20.0, 800);
        let h = (hi - lo) / n as f64;
        let mut total = 0.0;
        for i in 0..n {
            for j in 0..n {
                let x = [lo + (i as f64 + 0.5) * h, lo + (j as f64 + 0.5) * h];
                total += f.log_prob(&x, &cond).exp() * h * h;
            }
        }
        assert!((total - 1.0).abs() < 1e-3, "∫p = {total}");
    }

    /// `sample_features` draws z ~ N(0, 1) from the stream and maps it forward: inverting the
    /// sample gives the stream's draws back, and log_prob is log N(z) plus the inverse's log det.
    #[test]
    fn sample_features_replays_the_stream() {
        let f = strong(small());
        let c = Condition::from_local_angles(50.0, 20.0, 10.0);
        let x = f.sample_features(&c, &mut ChaCha8Rng::seed_from_u64(5));
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let z: Vec<f64> = (0..x.len())
            .map(|_| rng.sample::<f64, _>(StandardNormal))
            .collect();
        let mut back = x.clone();
        let ld = f.inverse(&mut back, &f.cond_vector(&c));
        for (a, b) in back.iter().zip(&z) {
            assert!((a - b).abs() < 1e-9, "{back:?} vs {z:?}");
        }
        let d = z.len() as f64;
        let want =
            ld - 0.5 * z.iter().map(|v| v * v).sum::<f64>() - 0.5 * d * std::f64::consts::TAU.ln();
        let got = f.log_prob(&x, &f.cond_vector(&c));
        assert!((got - want).abs() < 1e-9, "{got} vs {want}");
    }

    #[test]
    fn flow_inverts_and_log_det_matches_the_jacobian() {
        let f = strong(small());
        let cond = [0.4, 0.3, -0.2, 0.93];
        let z0: Vec<f64> = vec![0.3, -1.2, 0.8, 2.1, -0.4, 0.05];
        let mut x = z0.clone();
        let ld = f.forward(&mut x, &cond);
        let mut back = x.clone();
        let ldi = f.inverse(&mut back, &cond);
        for (a, b) in back.iter().zip(&z0) {
            assert!((a - b).abs() < 1e-9, "{back:?} vs {z0:?}");
        }
        assert!((ld + ldi).abs() < 1e-9);
        assert!(
            x.iter().zip(&z0).any(|(a, b)| (a - b).abs() > 0.1),
            "not the identity"
        );
        // Numeric Jacobian determinant.
        let d = z0.len();
        let h = 1e-6;
        let mut j = vec![vec![0.0; d]; d];
        for c in 0..d {
            let (mut p, mut m) = (z0.clone(), z0.clone());
            p[c] += h;
            m[c] -= h;
            f.forward(&mut p, &cond);
            f.forward(&mut m, &cond);
            for r in 0..d {
                j[r][c] = (p[r] - m[r]) / (2.0 * h);
            }
        }
        let mut det = 1.0f64;
        for col in 0..d {
            let piv = (col..d)
                .max_by(|&a, &b| j[a][col].abs().total_cmp(&j[b][col].abs()))
                .unwrap();
            if piv != col {
                j.swap(piv, col);
                det = -det;
            }
            det *= j[col][col];
            let pr = j[col].clone();
            for row in j.iter_mut().skip(col + 1) {
                let fac = row[col] / pr[col];
                for (v, q) in row.iter_mut().zip(&pr) {
                    *v -= fac * q;
                }
            }
        }
        assert!(
            (det.abs().ln() - ld).abs() < 1e-5,
            "{} vs {ld}",
            det.abs().ln()
        );
    }

    #[test]
    fn weights_load_by_name() {
        let c = small();
        let mut t = TensorMap::new("test.safetensors");
        for (name, shape) in Cc3ShowerFlow::tensor_shapes(&c) {
            let n = shape.iter().product();
            t.insert(name, crate::Tensor::new(shape, vec![0.01; n]).unwrap());
        }
        assert!(Cc3ShowerFlow::from_tensors(c.clone(), &t).is_ok());
        let mut t2 = TensorMap::new("test.safetensors");
        for (name, shape) in Cc3ShowerFlow::tensor_shapes(&c).into_iter().skip(1) {
            let n = shape.iter().product();
            t2.insert(name, crate::Tensor::new(shape, vec![0.0; n]).unwrap());
        }
        let e = Cc3ShowerFlow::from_tensors(c, &t2).unwrap_err().to_string();
        assert!(
            e.contains("test.safetensors") && e.contains("couplings.0.net.0.weight"),
            "{e}"
        );
    }
}
