//! One-step consistency-model sampling (SPEC §4): x_T = σ_max·ε, then
//! x_0 = c_skip·x_T + c_out·F(c_in·x_T, σ_max, cond), one network evaluation per shower.

use super::Cc3Model;
use crate::error::{Error, Result};
use crate::nn::{standard_normal, TimePart};
use crate::nn::{FusedMlp, Scalings};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The incident particle of one shower, in the detector's local frame (local z = depth axis).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Condition {
    pub energy_gev: f32,
    /// Unit momentum direction (p_x, p_y, p_z), local frame.
    pub direction: [f32; 3],
}

impl Condition {
    /// p = (cos φ sin θ, sin φ sin θ, cos θ) (SPEC §3); θ = 0 is perpendicular incidence.
    pub fn from_local_angles(energy_gev: f32, theta_deg: f64, phi_deg: f64) -> Self {
        let (t, p) = (theta_deg.to_radians(), phi_deg.to_radians());
        Condition {
            energy_gev,
            direction: [
                (p.cos() * t.sin()) as f32,
                (p.sin() * t.sin()) as f32,
                t.cos() as f32,
            ],
        }
    }
}

/// Reusable per-thread state: the per-shower folded MLP and a buffer for the raw output.
#[derive(Debug, Clone)]
pub struct Workspace {
    mlp: FusedMlp,
    /// The σ-only part of the modulation, reused while σ stays the same.
    time: Option<TimePart>,
    raw: Vec<f32>,
}

impl Workspace {
    /// The fused MLP (to pick a backend or tile size when benchmarking).
    pub fn mlp_mut(&mut self) -> &mut FusedMlp {
        &mut self.mlp
    }
}

impl Cc3Model {
    pub fn workspace(&self) -> Workspace {
        Workspace {
            mlp: self.network().new_fused(),
            time: Some(self.time_at_sigma_max().clone()),
            raw: Vec::new(),
        }
    }

    /// cond = [E/127, p_x, p_y, p_z] (SPEC §3: 127 GeV is the dataset's `incident_rescale`).
    pub fn cond_vector(&self, c: &Condition) -> [f32; 4] {
        let e = (c.energy_gev as f64 / self.config().incident_energy_rescale_gev) as f32;
        [e, c.direction[0], c.direction[1], c.direction[2]]
    }

    /// Consistency-model scalings at noise level σ.
    pub fn scalings(&self, sigma: f32) -> Scalings {
        let cfg = self.config();
        Scalings::consistency(sigma as f64, cfg.sigma_data, cfg.sigma_min)
    }

    /// The raw network output F(c_in·x_t, σ, cond) for one shower through the fused kernel.
    pub fn network_output(
        &self,
        ws: &mut Workspace,
        x_t: &[f32],
        cond: &[f32],
        sigma: f32,
        raw: &mut [f32],
    ) -> Result<()> {
        let d = self.network().point_dim();
        check_points(x_t, d)?;
        if raw.len() != x_t.len() {
            return Err(Error::Invalid("output and input lengths differ".into()));
        }
        let net = self.network();
        let time = match ws.time.take() {
            Some(t) if t.sigma().to_bits() == sigma.to_bits() => t,
            _ => net.time_part(sigma)?,
        };
        let modulated = net.modulate(&time, cond, &mut ws.mlp);
        ws.time = Some(time);
        modulated?;
        let c_in = self.scalings(sigma).c_in;
        ws.mlp.run(x_t, x_t.len() / d, c_in, raw);
        Ok(())
    }

    /// One denoiser evaluation D(x_t, σ) = c_skip·x_t + c_out·F(c_in·x_t, σ, cond) for one shower
    /// of `x_t.len()/4` points (normalised units, point-major [n, 4]).
    pub fn denoise_with(
        &self,
        ws: &mut Workspace,
        x_t: &[f32],
        cond: &[f32],
        sigma: f32,
        out: &mut [f32],
    ) -> Result<()> {
        let mut raw = std::mem::take(&mut ws.raw);
        raw.resize(x_t.len(), 0.0);
        let r = self.network_output(ws, x_t, cond, sigma, &mut raw);
        if r.is_ok() {
            let s = self.scalings(sigma);
            for ((o, &f), &x) in out.iter_mut().zip(&raw).zip(x_t) {
                // The order of the repo's Denoiser: model_output·c_out + input·c_skip.
                *o = f * s.c_out + x * s.c_skip;
            }
        }
        ws.raw = raw;
        r
    }

    /// [`Cc3Model::denoise_with`] with a fresh workspace.
    pub fn denoise(&self, x_t: &[f32], cond: &[f32], sigma: f32) -> Result<Vec<f32>> {
        let mut out = vec![0.0; x_t.len()];
        self.denoise_with(&mut self.workspace(), x_t, cond, sigma, &mut out)?;
        Ok(out)
    }

    /// `B` showers of equal size at once: `x_t` is [B, n, 4], `conds` [B, 4].
    pub fn denoise_batch(
        &self,
        ws: &mut Workspace,
        x_t: &[f32],
        conds: &[f32],
        sigma: f32,
        out: &mut [f32],
    ) -> Result<()> {
        let c = self.config().cond_dim;
        let b = conds.len() / c;
        if b == 0
            || !conds.len().is_multiple_of(c)
            || !x_t.len().is_multiple_of(b)
            || out.len() != x_t.len()
        {
            return Err(Error::Invalid(format!(
                "batch shapes: {} noise values, {} condition values, {} outputs",
                x_t.len(),
                conds.len(),
                out.len()
            )));
        }
        let per = x_t.len() / b;
        for ((x, cond), o) in x_t
            .chunks_exact(per)
            .zip(conds.chunks_exact(c))
            .zip(out.chunks_exact_mut(per))
        {
            self.denoise_with(ws, x, cond, sigma, o)?;
        }
        Ok(())
    }

    /// One-step sample of `n` points in normalised units: x_T = σ_max·ε, one denoiser call.
    pub fn sample_normalised<R: Rng>(
        &self,
        ws: &mut Workspace,
        condition: &Condition,
        n: usize,
        rng: &mut R,
    ) -> Result<Vec<f32>> {
        let sigma = self.config().sigma_max as f32;
        let x_t: Vec<f32> = standard_normal(rng, n * self.network().point_dim())
            .into_iter()
            .map(|e| e * sigma)
            .collect();
        let mut out = vec![0.0; x_t.len()];
        self.denoise_with(ws, &x_t, &self.cond_vector(condition), sigma, &mut out)?;
        Ok(out)
    }

    /// Points `[x mm, y mm, z layer, E]` (exact inverse normalisation, SPEC §5) for each shower,
    /// `num_points[i]` for `conditions[i]`; the same seed gives the same points.
    pub fn sample(
        &self,
        conditions: &[Condition],
        num_points: &[usize],
        seed: u64,
    ) -> Result<Vec<Vec<f32>>> {
        if conditions.len() != num_points.len() {
            return Err(Error::Invalid(
                "one point count per condition is needed".into(),
            ));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut ws = self.workspace();
        conditions
            .iter()
            .zip(num_points)
            .map(|(c, &n)| {
                let x0 = self.sample_normalised(&mut ws, c, n, &mut rng)?;
                Ok(self.config().point_norm.denormalise(&x0, 1.0))
            })
            .collect()
    }
}

fn check_points(x: &[f32], d: usize) -> Result<()> {
    if !x.len().is_multiple_of(d) {
        return Err(Error::Invalid(format!(
            "points must be [n, {d}], got {} values",
            x.len()
        )));
    }
    Ok(())
}
