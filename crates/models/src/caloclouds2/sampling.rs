//! Sampling the PointWise Net through the fused kernel: one step for the consistency model
//! (x₀ = f(σ_max·ε, σ_max)), Heun for the EDM teacher (13 steps = 25 evaluations, the last step
//! Euler), exactly the algorithms of `calogen-train`'s burn implementation.

use rand::Rng;

use super::model::{Cc2Network, NetKind};
use crate::error::{Error, Result};
use crate::nn::standard_normal;
use crate::nn::FusedMlp;

/// Reusable per-thread buffers.
#[derive(Debug, Clone)]
pub struct Workspace {
    mlp: FusedMlp,
    raw: Vec<f32>,
    den: Vec<f32>,
    x_euler: Vec<f32>,
}

impl Workspace {
    pub fn mlp_mut(&mut self) -> &mut FusedMlp {
        &mut self.mlp
    }
}

/// One shower's points in physical units, column-wise.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawPoints {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// Continuous depth in layer units (layer assignment sorts by it).
    pub z: Vec<f32>,
    pub energy_mev: Vec<f32>,
}

impl Cc2Network {
    pub fn workspace(&self) -> Workspace {
        Workspace {
            mlp: self.net.new_fused(),
            raw: Vec::new(),
            den: Vec::new(),
            x_euler: Vec::new(),
        }
    }

    /// D(x; σ_level) = c_skip·x + c_out·F(c_in·x, σ) for one shower (`x` point-major `[n, 4]`);
    /// `level` indexes the precomputed σ levels (0 = σ_max).
    fn denoise(
        &self,
        ws: &mut Workspace,
        level: usize,
        x: &[f32],
        cond: &[f32; 2],
        out: &mut Vec<f32>,
    ) -> Result<()> {
        let time = &self.times[level];
        let s = self.scalings(time.sigma() as f64);
        self.net.modulate(time, cond, &mut ws.mlp)?;
        ws.raw.resize(x.len(), 0.0);
        let d = self.config.features;
        ws.mlp.run(x, x.len() / d, s.c_in, &mut ws.raw);
        out.clear();
        out.extend(
            x.iter()
                .zip(&ws.raw)
                .map(|(&xv, &f)| s.c_skip * xv + s.c_out * f),
        );
        Ok(())
    }

    /// The network-space points for noise `eps` (`[n, 4]`, N(0,1)); returns the number of network
    /// evaluations.
    pub fn sample_from_noise(
        &self,
        ws: &mut Workspace,
        cond: [f32; 2],
        eps: &[f32],
        out: &mut Vec<f32>,
    ) -> Result<usize> {
        if cond.iter().any(|c| !c.is_finite()) || !eps.len().is_multiple_of(self.config.features) {
            return Err(Error::Invalid(format!(
                "CaloClouds II sampling: condition {cond:?}, {} noise values",
                eps.len()
            )));
        }
        let smax = self.config.sigma_max as f32;
        let mut x: Vec<f32> = eps.iter().map(|e| e * smax).collect();
        match self.kind {
            NetKind::Consistency => {
                self.denoise(ws, 0, &x, &cond, out)?;
                Ok(1)
            }
            NetKind::Edm => {
                let sig = self.config.karras_sigmas();
                let mut nfe = 0;
                let mut den = std::mem::take(&mut ws.den);
                let mut xe = std::mem::take(&mut ws.x_euler);
                for (i, w) in sig.windows(2).enumerate() {
                    let (s, s_next) = (w[0] as f32, w[1] as f32);
                    self.denoise(ws, i, &x, &cond, &mut den)?;
                    nfe += 1;
                    // d = (x − D)/σ; Euler to σ_next; Heun correction unless σ_next = 0.
                    let h = s_next - s;
                    xe.clear();
                    xe.extend(x.iter().zip(&den).map(|(&xv, &dv)| xv + h * (xv - dv) / s));
                    if s_next > 0.0 {
                        let mut den2 = std::mem::take(out);
                        self.denoise(ws, i + 1, &xe, &cond, &mut den2)?;
                        nfe += 1;
                        for (((xv, &dv), &ev), &d2v) in x.iter_mut().zip(&den).zip(&xe).zip(&den2) {
                            let d1 = (*xv - dv) / s;
                            let d2 = (ev - d2v) / s_next;
                            *xv += 0.5 * h * (d1 + d2);
                        }
                        *out = den2;
                    } else {
                        std::mem::swap(&mut x, &mut xe);
                    }
                }
                ws.den = den;
                ws.x_euler = xe;
                *out = x;
                Ok(nfe)
            }
        }
    }

    /// Samples `n` points of a shower with incident energy `e_inc_mev`, conditioned on `n`.
    pub fn sample<R: Rng>(
        &self,
        ws: &mut Workspace,
        e_inc_mev: f32,
        n: usize,
        rng: &mut R,
        out: &mut RawPoints,
    ) -> Result<()> {
        let eps = standard_normal(rng, n * self.config.features);
        let mut v = Vec::new();
        self.sample_from_noise(ws, self.cond(e_inc_mev, n), &eps, &mut v)?;
        self.to_physical(&v, out);
        Ok(())
    }

    /// Network space → x, y (mm), continuous depth (layers), E (MeV).
    pub fn to_physical(&self, v: &[f32], out: &mut RawPoints) {
        let nm = &self.config.norm;
        out.x.clear();
        out.y.clear();
        out.z.clear();
        out.energy_mev.clear();
        for p in v.chunks_exact(4) {
            out.x.push(nm.x.inv(p[0]) as f32);
            out.y.push(nm.y.inv(p[1]) as f32);
            out.z.push(nm.z.inv(p[2]) as f32);
            out.energy_mev.push(nm.ln_e.inv(p[3]).exp() as f32);
        }
    }
}
