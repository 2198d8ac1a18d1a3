//! The variance-preserving diffusion of CaloScore v2 (§II): the cosine schedule
//! α_t = cos(πt/2), σ_t = sin(πt/2) on t ∈ [0, 1], the velocity parameterisation
//! v = α_t·ε − σ_t·x (Salimans & Ho 2022, the paper's ref. [36]), the deterministic DDIM update
//! and the target of one progressive-distillation step. Shared here because the sampler
//! (`calogen-models`) and the training and distillation (`calogen-train`) must use the same
//! arithmetic, as with the Karras schedule in `noise.rs`.
//!
//! All maps are elementwise: a shower's voxels (or layer energies) are one flat slice.

use std::f64::consts::FRAC_PI_2;

/// α_t and σ_t of the cosine schedule at time `t` (α² + σ² = 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VpTime {
    pub t: f64,
    pub alpha: f64,
    pub sigma: f64,
}

impl VpTime {
    /// The schedule at `t`, clamped to [0, 1].
    pub fn at(t: f64) -> Self {
        let t = t.clamp(0.0, 1.0);
        let (sigma, alpha) = (FRAC_PI_2 * t).sin_cos();
        Self { t, alpha, sigma }
    }

    /// log(α²/σ²), the log signal-to-noise ratio (+∞ at t = 0).
    pub fn log_snr(&self) -> f64 {
        2.0 * (self.alpha / self.sigma).ln()
    }
}

/// `n` equal steps from t = 1 to t = 0: the times 1, (n−1)/n, …, 0 (n + 1 values).
pub fn uniform_times(n: usize) -> Vec<f64> {
    (0..=n).map(|k| 1.0 - k as f64 / n as f64).collect()
}

/// x_t = α_t·x + σ_t·ε, the forward (noising) map.
pub fn noisy(x: &[f32], eps: &[f32], at: VpTime, out: &mut Vec<f32>) {
    out.clear();
    out.extend(
        x.iter()
            .zip(eps)
            .map(|(&x, &e)| (at.alpha * x as f64 + at.sigma * e as f64) as f32),
    );
}

/// The training target v = α_t·ε − σ_t·x.
pub fn velocity(x: &[f32], eps: &[f32], at: VpTime, out: &mut Vec<f32>) {
    out.clear();
    out.extend(
        x.iter()
            .zip(eps)
            .map(|(&x, &e)| (at.alpha * e as f64 - at.sigma * x as f64) as f32),
    );
}

/// From a noisy x_t and a velocity v: the data prediction x̂ = α_t·x_t − σ_t·v and the noise
/// prediction ε̂ = σ_t·x_t + α_t·v (the rotation inverse to the two maps above).
pub fn predictions(x_t: f64, v: f64, at: VpTime) -> (f64, f64) {
    (at.alpha * x_t - at.sigma * v, at.sigma * x_t + at.alpha * v)
}

/// One deterministic DDIM step (CaloScore v2, the update before Eq. 9) from `t` to `s` < `t`:
/// x_s = α_s·x̂ + σ_s·ε̂ with x̂, ε̂ the predictions of the velocity `v` at x_t. In place.
pub fn ddim_step(x: &mut [f32], v: &[f32], t: VpTime, s: VpTime) {
    for (x, &v) in x.iter_mut().zip(v) {
        let (x0, eps) = predictions(*x as f64, v as f64, t);
        *x = (s.alpha * x0 + s.sigma * eps) as f32;
    }
}

/// The target of progressive distillation (Salimans & Ho 2022, Algorithm 2): the teacher went
/// from x_t to x_u (t > u, in two of its DDIM steps); the student, taking one DDIM step from t to
/// u, must predict the data x̃ with x_u = α_u·x̃ + σ_u·(x_t − α_t·x̃)/σ_t, i.e.
/// x̃ = (x_u − (σ_u/σ_t)·x_t) / (α_u − (σ_u/σ_t)·α_t). Returned as the velocity the student is
/// trained on, ṽ = (α_t·x_t − x̃)/σ_t (so that its x̂ is x̃). Needs σ_t > 0.
pub fn distillation_velocity(x_t: &[f32], x_u: &[f32], t: VpTime, u: VpTime, out: &mut Vec<f32>) {
    let r = u.sigma / t.sigma;
    let den = u.alpha - r * t.alpha;
    out.clear();
    out.extend(x_t.iter().zip(x_u).map(|(&xt, &xu)| {
        let (xt, xu) = (xt as f64, xu as f64);
        let x0 = (xu - r * xt) / den;
        ((t.alpha * xt - x0) / t.sigma) as f32
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_schedule_closed_form() {
        for &t in &[0.0, 0.1, 0.25, 0.5, 0.8, 1.0] {
            let a = VpTime::at(t);
            assert!((a.alpha - (std::f64::consts::PI * t / 2.0).cos()).abs() < 1e-15);
            assert!((a.sigma - (std::f64::consts::PI * t / 2.0).sin()).abs() < 1e-15);
            assert!((a.alpha * a.alpha + a.sigma * a.sigma - 1.0).abs() < 1e-15);
        }
        // At t = 1/2, α = σ = 1/√2: log SNR 0.
        assert!(VpTime::at(0.5).log_snr().abs() < 1e-14);
        assert_eq!(uniform_times(4), vec![1.0, 0.75, 0.5, 0.25, 0.0]);
    }

    #[test]
    fn velocity_predictions_invert_the_noising() {
        let (x, eps) = ([0.3f32, -1.2, 2.0], [0.5f32, 0.1, -0.7]);
        let at = VpTime::at(0.37);
        let (mut xt, mut v) = (Vec::new(), Vec::new());
        noisy(&x, &eps, at, &mut xt);
        velocity(&x, &eps, at, &mut v);
        for k in 0..3 {
            let (x0, e) = predictions(xt[k] as f64, v[k] as f64, at);
            assert!((x0 - x[k] as f64).abs() < 1e-6 && (e - eps[k] as f64).abs() < 1e-6);
        }
    }

    /// Data N(0, s²): the ideal predictions at x_t are x̂ = α_t·s²·x_t/m_t and ε̂ = σ_t·x_t/m_t
    /// with m_t = α_t²s² + σ_t², and the probability flow maps x_1 to x_0 = x_1·√(m_0/m_1) =
    /// x_1·s. DDIM with the ideal velocity converges to that answer as the steps grow.
    #[test]
    fn ddim_on_gaussian_data_reaches_the_probability_flow_answer() {
        let s2 = 0.09f64; // data variance (s = 0.3)
        let ideal_v = |x: f64, at: VpTime| {
            let m = at.alpha * at.alpha * s2 + at.sigma * at.sigma;
            let (x0, eps) = (at.alpha * s2 * x / m, at.sigma * x / m);
            at.alpha * eps - at.sigma * x0
        };
        let x1 = 1.7f64;
        // Exact flow: x_t = x_1·√(m_t/m_1), m_1 = 1, m_0 = s².
        let exact = x1 * s2.sqrt();
        let mut errors = Vec::new();
        for n in [8usize, 32, 128, 512] {
            let times = uniform_times(n);
            let mut x = [x1 as f32];
            for w in times.windows(2) {
                let (t, s) = (VpTime::at(w[0]), VpTime::at(w[1]));
                let v = [ideal_v(x[0] as f64, t) as f32];
                ddim_step(&mut x, &v, t, s);
            }
            errors.push((x[0] as f64 - exact).abs());
        }
        // Measured: 0.128, 0.0346, 0.0089, 0.0022 — first order in the step (uniform t), so ×4
        // steps cut the error ×4 and it goes to zero: the sampler's limit is the exact flow. A
        // wrong update (swapped α/σ, a sign) converges elsewhere or not at all.
        for w in errors.windows(2) {
            let r = w[0] / w[1];
            assert!((3.5..4.5).contains(&r), "{errors:?}");
        }
        assert!(errors[3] < 5e-3 * exact, "{errors:?}");
    }

    /// One distillation target by hand: t = 1, u = 1/2 (σ_t = 1, α_t = 0; α_u = σ_u = 1/√2), the
    /// teacher's x_u given: x̃ = (x_u − x_t/√2)/(1/√2) = √2·x_u − x_t, and ṽ = (0·x_t − x̃)/1 = −x̃.
    /// And the student step it implies lands on the teacher's x_u.
    #[test]
    fn a_distillation_target_by_hand() {
        let (t, u) = (VpTime::at(1.0), VpTime::at(0.5));
        let (xt, xu) = ([0.8f32, -0.4], [0.25f32, 0.6]);
        let mut v = Vec::new();
        distillation_velocity(&xt, &xu, t, u, &mut v);
        for k in 0..2 {
            let want = -(2f64.sqrt() * xu[k] as f64 - xt[k] as f64);
            assert!((v[k] as f64 - want).abs() < 1e-6, "{} vs {want}", v[k]);
        }
        let mut x = xt;
        ddim_step(&mut x, &v, t, u);
        for k in 0..2 {
            assert!((x[k] - xu[k]).abs() < 1e-6, "{x:?} vs {xu:?}");
        }
        // At an interior t the student's one step also reproduces the teacher's two.
        let (t, mid, u) = (VpTime::at(0.8), VpTime::at(0.6), VpTime::at(0.4));
        let teacher_v = |x: f32, at: VpTime| (0.3 * x as f64 + 0.2 * at.t) as f32;
        let x_t = [1.1f32, -0.3];
        let mut x2 = x_t;
        let v1 = [teacher_v(x2[0], t), teacher_v(x2[1], t)];
        ddim_step(&mut x2, &v1, t, mid);
        let v2 = [teacher_v(x2[0], mid), teacher_v(x2[1], mid)];
        ddim_step(&mut x2, &v2, mid, u);
        distillation_velocity(&x_t, &x2, t, u, &mut v);
        let mut one = x_t;
        ddim_step(&mut one, &v, t, u);
        for k in 0..2 {
            assert!((one[k] - x2[k]).abs() < 1e-5, "{one:?} vs {x2:?}");
        }
    }
}
