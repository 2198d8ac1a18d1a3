//! The training losses against closed forms on tiny hand-built cases (issue 17): the EDM loss,
//! the consistency-distillation loss and the ShowerFlow negative log-likelihood. Every expected
//! value is computed here in f64 from the papers' formulas, never through the crate's own
//! scalings, so a wrong scaling, weight, sign or target in the crate makes a test fail.
//!
//! (There is no flow-matching loss in calogen-train: nothing to test there.)

mod common;

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_data::PointClouds;
use calogen_train::caloclouds2::distil::{DistilConfig, DistilTask};
use calogen_train::caloclouds2::training::{edm_loss, Batch};
use calogen_train::caloclouds2::{Cc2Config, PointWiseNet};
use calogen_train::data::PointNormalisation;
use calogen_train::engine::rng::stream;
use calogen_train::engine::TrainTask;
use calogen_train::infer_device;
use calogen_train::nn::fourier::{FourierFeatures, TimeEmbedding};
use calogen_train::nn::{ConcatSquashLinear, Linear};
use calogen_train::showerflow::coupling::{Conditioner, Coupling, Kind};
use calogen_train::showerflow::training::{FlowData, FlowTask};
use calogen_train::showerflow::{FlowConfig, ShowerFlow};

const SD: f64 = 0.5; // σ_data
const LN_2PI: f64 = 1.837_877_066_409_345_5;

fn rel_close(got: f64, want: f64, tol: f64) -> bool {
    (got - want).abs() <= tol * want.abs().max(1e-12)
}

// ---------------------------------------------------------------------------------------------
// A PointWise Net whose output is known in closed form.

const BETA: [f64; 4] = [0.1, -0.2, 0.05, 0.3];

fn p2(v: Vec<f32>, shape: [usize; 2], dev: &Device) -> Param<Tensor<2>> {
    Param::from_data(TensorData::new(v, shape), dev)
}

fn p1(v: Vec<f32>, dev: &Device) -> Param<Tensor<1>> {
    let n = v.len();
    Param::from_data(TensorData::new(v, [n]), dev)
}

fn linear(w: Vec<f32>, out: usize, inp: usize, bias: Option<Vec<f32>>, dev: &Device) -> Linear {
    Linear {
        weight: p2(w, [out, inp], dev),
        bias: bias.map(|b| p1(b, dev)),
    }
}

/// One ConcatSquashLinear layer (4 → 4) with time_dim 2, so that
/// F_k(x_in; σ, c) = α·x_in,k + β_k + h·ctx_k for k < 3 and F_3 = α·x_in,3 + β_3, where
/// ctx = [LReLU(cos c_noise), LReLU(sin c_noise), c_0, c_1] and c_noise = ln σ / 4:
/// layer W = 2α·I, b = 2β; gate G = 0, g = 0 (sigmoid(0) = ½ exactly); H picks ctx_k;
/// Fourier weight 1/(2π) so the Fourier angle is c_noise itself; time linear = I.
fn hand_net(alpha: f32, h: f32, dev: &Device) -> PointWiseNet {
    let mut w = vec![0f32; 16];
    let mut hb = vec![0f32; 16];
    for k in 0..4 {
        w[k * 4 + k] = 2.0 * alpha;
        if k < 3 {
            hb[k * 4 + k] = h;
        }
    }
    let b: Vec<f32> = BETA.iter().map(|&v| (2.0 * v) as f32).collect();
    PointWiseNet {
        time_embed: TimeEmbedding {
            fourier: FourierFeatures {
                weight: p2(vec![(1.0 / std::f64::consts::TAU) as f32], [1, 1], dev)
                    .set_require_grad(false),
            },
            linear: linear(vec![1.0, 0.0, 0.0, 1.0], 2, 2, Some(vec![0.0, 0.0]), dev),
        },
        layers: vec![ConcatSquashLinear {
            layer: linear(w, 4, 4, Some(b), dev),
            hyper_gate: linear(vec![0.0; 16], 4, 4, Some(vec![0.0; 4]), dev),
            hyper_bias: linear(hb, 4, 4, None, dev),
        }],
    }
}

fn leaky(v: f64) -> f64 {
    if v >= 0.0 {
        v
    } else {
        0.01 * v
    }
}

/// The closed form of [`hand_net`]'s F for feature `k`.
fn f_hand(alpha: f64, h: f64, x_in: f64, k: usize, sigma: f64, cond: [f64; 2]) -> f64 {
    let c_noise = sigma.ln() / 4.0;
    let ctx = [leaky(c_noise.cos()), leaky(c_noise.sin()), cond[0], cond[1]];
    alpha * x_in + BETA[k] + if k < 3 { h * ctx[k] } else { 0.0 }
}

/// Karras et al. 2022, Table 1 (EDM): (c_skip, c_out, c_in), written out again here.
fn karras(s: f64) -> (f64, f64, f64) {
    let r = (s * s + SD * SD).sqrt();
    (SD * SD / (s * s + SD * SD), s * SD / r, 1.0 / r)
}

/// Song et al. 2023 boundary scalings: c_skip = σ_d²/((σ−σ_min)² + σ_d²),
/// c_out = (σ−σ_min)·σ_d/√(σ² + σ_d²), c_in = 1/√(σ² + σ_d²).
fn consistency_scalings(s: f64, s_min: f64) -> (f64, f64, f64) {
    let d = s - s_min;
    let r = (s * s + SD * SD).sqrt();
    (SD * SD / (d * d + SD * SD), d * SD / r, 1.0 / r)
}

const X0: [f32; 16] = [
    0.3, -0.7, 0.1, 0.45, -0.2, 0.6, -0.55, 0.05, 0.8, -0.1, 0.25, -0.4, -0.35, 0.15, 0.5, -0.6,
];
const EPS: [f32; 16] = [
    1.1, -0.4, 0.7, -1.3, 0.2, 0.9, -0.8, 0.5, -1.5, 0.3, 1.2, -0.6, 0.4, -1.0, 0.05, 1.7,
];
const COND: [f32; 4] = [0.2, 0.4, 0.7, 0.1];

/// Two showers of two points each.
fn batch() -> Batch {
    Batch {
        x0: X0.to_vec(),
        cond: COND.to_vec(),
        b: 2,
        n: 2,
    }
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f64>()
}

// ---------------------------------------------------------------------------------------------
// EDM

/// The EDM objective as the paper writes it, E[λ(σ)·‖D(x₀ + σε; σ) − x₀‖²] with
/// λ = (σ² + σ_d²)/(σ·σ_d)², averaged over the elements of the batch.
fn edm_expected(alpha: f64, h: f64, sigma: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (i, &s) in sigma.iter().enumerate() {
        let (c_skip, c_out, c_in) = karras(s);
        let lambda = (s * s + SD * SD) / (s * SD).powi(2);
        let cond = [COND[2 * i] as f64, COND[2 * i + 1] as f64];
        for j in 0..8 {
            let e = i * 8 + j;
            let x0 = X0[e] as f64;
            let x = x0 + s * EPS[e] as f64;
            let d = c_skip * x + c_out * f_hand(alpha, h, c_in * x, j % 4, s, cond);
            sum += lambda * (d - x0).powi(2);
        }
    }
    sum / 16.0
}

#[test]
fn edm_loss_is_the_lambda_weighted_denoiser_error() {
    let dev = infer_device();
    for (alpha, h) in [(0.0, 0.0), (0.7, 0.4), (-1.3, 0.9)] {
        let net = hand_net(alpha as f32, h as f32, &dev);
        // σ across the training range: small (c_skip ≈ 1), at σ_data, large (c_out ≈ σ_data).
        for sigma in [[0.3, 2.5], [0.01, 0.5], [40.0, 0.08]] {
            let eps = EPS.to_vec();
            let got = scalar(edm_loss(&net, &batch(), &sigma, &eps, SD, &dev));
            let want = edm_expected(alpha, h, &sigma);
            // 1e-5: f32 network and f32 casts of x_in and the target; nothing else differs.
            assert!(
                rel_close(got, want, 1e-5),
                "α={alpha} h={h} σ={sigma:?}: loss {got} vs closed form {want}"
            );
        }
    }
    // A perfect denoiser has zero loss: F equal to the regression target, built for one σ.
    // With α = 0 and h = 0, F = β; make x₀ − c_skip·x = c_out·β per element instead: pick x₀.
    let s = 0.7;
    let (c_skip, c_out, _) = karras(s);
    let x0: Vec<f32> = EPS
        .iter()
        .enumerate()
        .map(|(e, &z)| ((c_out * BETA[e % 4] + c_skip * s * z as f64) / (1.0 - c_skip)) as f32)
        .collect();
    let b = Batch {
        x0,
        cond: COND.to_vec(),
        b: 2,
        n: 2,
    };
    let got = scalar(edm_loss(
        &hand_net(0.0, 0.0, &dev),
        &b,
        &[s, s],
        &EPS,
        SD,
        &dev,
    ));
    // 1e-9: zero up to the f32 rounding of the constructed x₀.
    assert!(got < 1e-9, "perfect denoiser has loss {got}");
}

#[test]
fn edm_denoiser_uses_karras_preconditioning() {
    // D(x; σ) = c_skip·x + c_out·F(c_in·x, c_noise) element by element.
    let dev = infer_device();
    let (alpha, h) = (0.9, -0.5);
    let net = hand_net(alpha as f32, h as f32, &dev);
    let sigma = [0.2, 3.0];
    let x: Vec<f32> = X0.iter().zip(&EPS).map(|(a, b)| a + b).collect();
    let xt = Tensor::<3>::from_data(TensorData::new(x.clone(), [2, 2, 4]), &dev);
    let cond = Tensor::<2>::from_data(TensorData::new(COND.to_vec(), [2, 2]), &dev);
    let d = net
        .denoise(xt, &sigma, cond, SD)
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap();
    for (e, (&xv, &dv)) in x.iter().zip(&d).enumerate() {
        let i = e / 8;
        let (c_skip, c_out, c_in) = karras(sigma[i]);
        let cond = [COND[2 * i] as f64, COND[2 * i + 1] as f64];
        let want =
            c_skip * xv as f64 + c_out * f_hand(alpha, h, c_in * xv as f64, e % 4, sigma[i], cond);
        // 1e-6 absolute: f32 arithmetic on O(1) values.
        assert!((dv as f64 - want).abs() < 1e-6, "D[{e}] {dv} vs {want}");
    }
}

// ---------------------------------------------------------------------------------------------
// Consistency distillation

const S_MIN: f64 = 0.002;
const S_MAX: f64 = 10.0;
const RHO: f64 = 7.0;
const N_BOUNDS: usize = 4;
const TEACHER: (f64, f64) = (0.8, 0.3);
const STUDENT: (f64, f64) = (0.5, 0.1);
const EMA: (f64, f64) = (0.65, -0.2);

fn distil_cfg() -> (Cc2Config, DistilConfig) {
    let mut cfg = Cc2Config::default();
    cfg.net.hidden = vec![];
    cfg.net.time_dim = 2;
    cfg.edm.sigma_data = SD;
    cfg.edm.sigma_min = S_MIN;
    cfg.edm.sigma_max = S_MAX;
    cfg.edm.rho = RHO;
    let d = DistilConfig {
        boundaries: N_BOUNDS,
        showers: 5,
        points_per_shower: 3,
        ..DistilConfig::default()
    };
    (cfg, d)
}

/// t_1 = σ_min < … < t_N = σ_max: t_j = (σ_max^{1/ρ} + (N−j)/(N−1)·(σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ.
fn bounds() -> Vec<f64> {
    let (a, b) = (S_MAX.powf(1.0 / RHO), S_MIN.powf(1.0 / RHO));
    (0..N_BOUNDS)
        .map(|j| {
            let i = (N_BOUNDS - 1 - j) as f64 / (N_BOUNDS - 1) as f64;
            (a + i * (b - a)).powf(RHO)
        })
        .collect()
}

/// Song et al. 2023, Algorithm 2 with the Heun solver, element by element: x_hi = x₀ + t_{n+1}·z,
/// one teacher Heun step to t_n, target f_EMA(x̂, t_n), loss mean (f_student(x_hi, t_{n+1}) − target)².
fn distil_expected(b: &Batch, n_idx: &[usize], z: &[f32]) -> f64 {
    let t = bounds();
    let per = b.n * 4;
    let mut sum = 0.0;
    for (i, &ni) in n_idx.iter().enumerate() {
        let (hi, lo) = (t[ni + 1], t[ni]);
        let cond = [b.cond[2 * i] as f64, b.cond[2 * i + 1] as f64];
        let den = |x: f64, s: f64, k: usize| {
            let (cs, co, ci) = karras(s);
            cs * x + co * f_hand(TEACHER.0, TEACHER.1, ci * x, k, s, cond)
        };
        let cons = |net: (f64, f64), x: f64, s: f64, k: usize| {
            let (cs, co, ci) = consistency_scalings(s, S_MIN);
            cs * x + co * f_hand(net.0, net.1, ci * x, k, s, cond)
        };
        for j in 0..per {
            let e = i * per + j;
            let k = j % 4;
            // As the crate forms it, in f32.
            let x = (b.x0[e] + hi as f32 * z[e]) as f64;
            let dt = lo - hi;
            let d1 = (x - den(x, hi, k)) / hi;
            let xe = x + d1 * dt;
            let d2 = (xe - den(xe, lo, k)) / lo;
            let x_lo = x + 0.5 * (d1 + d2) * dt;
            let target = cons(EMA, x_lo, lo, k);
            let f = cons(STUDENT, x, hi, k);
            sum += (f - target).powi(2);
        }
    }
    sum / (n_idx.len() * per) as f64
}

#[test]
fn distillation_loss_regresses_the_student_on_the_ema_at_the_teacher_heun_step() {
    let dev = infer_device();
    let (cfg, dcfg) = distil_cfg();
    let teacher = hand_net(TEACHER.0 as f32, TEACHER.1 as f32, &dev);
    let student = hand_net(STUDENT.0 as f32, STUDENT.1 as f32, &dev);
    let ema = hand_net(EMA.0 as f32, EMA.1 as f32, &dev);
    let empty = PointClouds::new();
    let norm = PointNormalisation::fit(&common::showers(2, 1));
    let task = DistilTask {
        showers: &empty,
        norm,
        cfg: &cfg,
        distil: &dcfg,
        teacher: &teacher,
        device: dev.clone(),
    };
    // Every boundary pair, the top one from σ_max included.
    for n_idx in [[0, 1], [1, 2], [2, 0]] {
        let got = scalar(task.loss_for(&student, &ema, &batch(), &n_idx, &EPS));
        let want = distil_expected(&batch(), &n_idx, &EPS);
        // 1e-5: f32 teacher steps from σ ≤ 10 on O(1) data.
        assert!(
            rel_close(got, want, 1e-5),
            "n={n_idx:?}: loss {got} vs closed form {want}"
        );
    }
}

#[test]
fn distillation_step_of_the_trainer_uses_the_ema_as_target() {
    // `loss_with_ema` (what `Trainer::train_step` calls) on a drawn batch: same closed form with
    // the batch, boundaries and noise it draws.
    let dev = infer_device();
    let (cfg, dcfg) = distil_cfg();
    let data = common::showers(6, 4);
    let norm = PointNormalisation::fit(&data);
    let teacher = hand_net(TEACHER.0 as f32, TEACHER.1 as f32, &dev);
    let student = hand_net(STUDENT.0 as f32, STUDENT.1 as f32, &dev);
    let ema = hand_net(EMA.0 as f32, EMA.1 as f32, &dev);
    let task = DistilTask {
        showers: &data,
        norm,
        cfg: &cfg,
        distil: &dcfg,
        teacher: &teacher,
        device: dev.clone(),
    };
    let rng = stream(3, "distil");
    let (b, n_idx, z) = task.draw(&mut rng.clone());
    assert!(n_idx.iter().any(|&n| n > 0), "some target away from σ_min");
    let got = scalar(task.loss_with_ema(&student, &ema, &mut rng.clone()));
    let want = distil_expected(&b, &n_idx, &z);
    // 1e-5: as above.
    assert!(
        rel_close(got, want, 1e-5),
        "loss_with_ema {got} vs closed form {want}"
    );
}

// ---------------------------------------------------------------------------------------------
// ShowerFlow

fn t2(v: Vec<f32>, r: usize, c: usize) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v, [r, c]), &infer_device())
}

#[test]
fn identity_flow_nll_is_the_standard_normal_one() {
    // An affine-only flow with zero-initialised conditioner outputs is the identity: log_s =
    // B·tanh(0) = 0 and t = 0, so NLL per feature = mean over rows of Σ_j ½(x_j² + ln 2π) / d.
    let cfg = FlowConfig {
        blocks: 2,
        hidden: 8,
        spline: false,
        ..FlowConfig::default()
    };
    let dev = infer_device();
    let flow = ShowerFlow::new(&cfg, 3, 1, true, &mut stream(1, "init"), &dev);
    let x = vec![0.3f32, -1.2, 2.0, 0.0, 0.5, -0.7];
    let data = FlowData {
        x: x.clone(),
        cond: vec![0.4, 0.9],
        n: 2,
        dim: 3,
        cond_dim: 1,
    };
    let got = scalar(data.nll(&flow, &[0, 1], &dev));
    let want = x
        .iter()
        .map(|&v| 0.5 * ((v as f64).powi(2) + LN_2PI))
        .sum::<f64>()
        / 6.0;
    // 1e-6: f32 sums of six O(1) terms.
    assert!(rel_close(got, want, 1e-6), "NLL {got} vs {want}");
}

/// An affine coupling on 3 features with split `perm` whose conditioner outputs the constants
/// `raw` = [raw log-scales (2), shifts (2)] whatever its input (zero last-layer weights).
fn const_affine(perm: Vec<usize>, raw: [f32; 4], bound: f64, dev: &Device) -> Coupling {
    let hidden = 3;
    let mut rng = stream(2, "conditioner");
    Coupling {
        net: Conditioner {
            l0: Linear::new(1 + 1, hidden, true, &mut rng, dev),
            l1: Linear::new(hidden, hidden, true, &mut rng, dev),
            out: linear(vec![0.0; 4 * hidden], 4, hidden, Some(raw.to_vec()), dev),
        },
        kind: Kind::Affine,
        perm,
        d_a: 1,
        bins: 4,
        tail_bound: 3.0,
        scale_bound: bound,
    }
}

/// The same coupling in f64: z[perm[0]] = x[perm[0]], z[perm[1 + j]] = x[perm[1 + j]]·e^{s_j} + t_j
/// with s_j = B·tanh(raw_j/B); returns (z, Σ s_j).
fn affine_hand(x: [f64; 3], perm: &[usize], raw: [f32; 4], bound: f64) -> ([f64; 3], f64) {
    let mut z = x;
    let mut ld = 0.0;
    for j in 0..2 {
        let s = bound * (raw[j] as f64 / bound).tanh();
        let t = raw[2 + j] as f64;
        z[perm[1 + j]] = x[perm[1 + j]] * s.exp() + t;
        ld += s;
    }
    (z, ld)
}

#[test]
fn affine_flow_nll_has_the_change_of_variables_log_det() {
    // ln p(x) = ln N(f(x); 0, I) + ln|det ∂f/∂x|, with two stacked couplings whose log-scales
    // are not zero, so the log-determinant's sign and accumulation matter.
    let dev = infer_device();
    let (b1, b2) = (3.0, 2.0);
    let (perm1, raw1) = (vec![2, 0, 1], [0.4f32, -0.9, 0.25, -0.6]);
    let (perm2, raw2) = (vec![1, 2, 0], [-0.3f32, 1.5, 0.1, 0.35]);
    let flow = ShowerFlow {
        couplings: vec![
            const_affine(perm1.clone(), raw1, b1, &dev),
            const_affine(perm2.clone(), raw2, b2, &dev),
        ],
    };
    let rows: [[f64; 3]; 2] = [[0.3, -1.2, 2.0], [1.1, 0.5, -0.7]];
    let x: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
    let cond = vec![0.4f32, 0.9];
    let want_lp: Vec<f64> = rows
        .iter()
        .map(|&r| {
            let (z1, l1) = affine_hand(r, &perm1, raw1, b1);
            let (z2, l2) = affine_hand(z1, &perm2, raw2, b2);
            -0.5 * z2.iter().map(|v| v * v).sum::<f64>() - 1.5 * LN_2PI + l1 + l2
        })
        .collect();
    let lp = flow
        .log_prob(t2(x.clone(), 2, 3), t2(cond.clone(), 2, 1))
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap();
    for (g, w) in lp.iter().zip(&want_lp) {
        // 1e-5: f32 on O(1) values.
        assert!((*g as f64 - w).abs() < 1e-5, "ln p {g} vs {w}");
    }
    // The training objective on the same rows: mean NLL per feature, without noise.
    let data = FlowData {
        x,
        cond,
        n: 2,
        dim: 3,
        cond_dim: 1,
    };
    let want_nll = -(want_lp[0] + want_lp[1]) / 2.0 / 3.0;
    let got = scalar(data.nll(&flow, &[0, 1], &dev));
    assert!((got - want_nll).abs() < 1e-5, "NLL {got} vs {want_nll}");
    // FlowTask::loss on a one-row data set (whichever rows it draws) with noise 0.
    let one = FlowData {
        x: data.x[..3].to_vec(),
        cond: vec![0.4],
        n: 1,
        dim: 3,
        cond_dim: 1,
    };
    let task = FlowTask {
        data: &one,
        batch: 4,
        noise: 0.0,
        totals_noise: 0.0,
        device: dev.clone(),
    };
    let got = scalar(task.loss(&flow, &mut stream(5, "train")));
    let want = -want_lp[0] / 3.0;
    assert!((got - want).abs() < 1e-5, "FlowTask loss {got} vs {want}");
}
