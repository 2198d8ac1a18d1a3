//! The training engine's arithmetic by hand (issue 17): global-norm clipping, the EMA recursion,
//! the learning-rate schedules, and one Trainer run of Adam + schedule + EMA on a loss whose
//! gradient is a known constant.

use burn::module::Param;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Tensor, TensorData};
use calogen_train::engine::clip::clip_grad_norm;
use calogen_train::engine::{Ema, LrSchedule, TrainTask, Trainer, TrainerConfig};
use calogen_train::nn::Linear;
use calogen_train::{infer_device, train_device};
use rand_chacha::ChaCha8Rng;

/// A 1 × 2 layer with bias: three parameters in a rank-2 and a rank-1 tensor.
fn layer(w: [f32; 2], b: f32, dev: &Device) -> Linear {
    Linear {
        weight: Param::from_data(TensorData::new(w.to_vec(), [1, 2]), dev),
        bias: Some(Param::from_data(TensorData::new(vec![b], [1]), dev)),
    }
}

fn weights(l: &Linear) -> [f64; 3] {
    let w = l
        .weight
        .val()
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap();
    let b = l.bias.as_ref().unwrap().val().into_data().convert::<f32>();
    let b = b.try_into_vec::<f32>().unwrap();
    [w[0] as f64, w[1] as f64, b[0] as f64]
}

/// L = Σ w ⊙ c_w + b·c_b: the gradient is exactly (c_w, c_b) wherever the weights are.
fn linear_loss(l: &Linear, c: [f32; 3], dev: &Device) -> Tensor<1> {
    let cw = Tensor::<2>::from_data(TensorData::new(vec![c[0], c[1]], [1, 2]), dev);
    let cb = Tensor::<1>::from_data(TensorData::new(vec![c[2]], [1]), dev);
    (l.weight.val() * cw).sum() + (l.bias.as_ref().unwrap().val() * cb).sum()
}

/// Gradients of [`linear_loss`] after clipping to `max_norm`, and the returned norm.
fn clipped(c: [f32; 3], max_norm: f64) -> ([f64; 3], f64) {
    let dev = train_device();
    let l = layer([0.5, -1.0], 0.2, &dev);
    let mut grads = GradientsParams::from_grads(linear_loss(&l, c, &dev).backward(), &l);
    let norm = clip_grad_norm(&l, &mut grads, max_norm);
    let gw = grads.get::<2>(l.weight.id).unwrap().into_data();
    let gw = gw.convert::<f32>().try_into_vec::<f32>().unwrap();
    let gb = grads
        .get::<1>(l.bias.as_ref().unwrap().id)
        .unwrap()
        .into_data();
    let gb = gb.convert::<f32>().try_into_vec::<f32>().unwrap();
    ([gw[0] as f64, gw[1] as f64, gb[0] as f64], norm)
}

#[test]
fn global_norm_clipping_scales_all_gradients_together() {
    // ‖(3, 0, 4)‖ = 5 over a weight matrix and a bias: clipped to 1 every component is scaled by
    // 1/(5 + 1e-6) (torch's clip_grad_norm_ formula), so the direction is kept.
    let (g, norm) = clipped([3.0, 0.0, 4.0], 1.0);
    assert_eq!(norm, 5.0, "norm before clipping, exact for these integers");
    let s = 1.0 / (5.0 + 1e-6);
    for (got, want) in g.iter().zip([3.0 * s, 0.0, 4.0 * s]) {
        // 1e-7: one f32 multiplication of an O(1) value.
        assert!((got - want).abs() < 1e-7, "clipped {got} vs {want}");
    }
    let after = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    assert!((after - 1.0).abs() < 1e-6, "clipped norm {after}");

    // Clipping to 2.5 halves (norm 5, two tensors of different rank).
    let (g, _) = clipped([-3.0, 0.0, 4.0], 2.5);
    let s = 2.5 / (5.0 + 1e-6);
    for (got, want) in g.iter().zip([-3.0 * s, 0.0, 4.0 * s]) {
        assert!((got - want).abs() < 1e-7, "clipped {got} vs {want}");
    }

    // At or below the threshold, and with clipping disabled (0), the gradients are untouched:
    // bit for bit.
    for max_norm in [5.0, 10.0, 0.0] {
        let (g, norm) = clipped([3.0, 0.0, 4.0], max_norm);
        assert_eq!(norm, 5.0);
        assert_eq!(g, [3.0, 0.0, 4.0], "max_norm {max_norm} must not clip");
    }
    // 2-2-1 has norm 3: clipped to 1.5, each halves.
    let (g, norm) = clipped([2.0, -2.0, 1.0], 1.5);
    assert_eq!(norm, 3.0);
    let s = 1.5 / (3.0 + 1e-6);
    for (got, want) in g.iter().zip([2.0 * s, -2.0 * s, s]) {
        assert!((got - want).abs() < 1e-7, "clipped {got} vs {want}");
    }
}

#[test]
fn ema_follows_the_recursion_by_hand() {
    // e_0 = w_0, e_t = d·e_{t−1} + (1 − d)·w_t; with d = 0.9 over three updates
    // e_3 = 0.729·w_0 + 0.081·w_1 + 0.09·w_2 + 0.1·w_3.
    let dev = infer_device();
    let w: [[f32; 3]; 4] = [
        [1.0, -2.0, 0.5],
        [2.0, 0.0, -1.5],
        [-4.0, 1.0, 3.0],
        [0.5, 8.0, 0.25],
    ];
    let m = |v: [f32; 3]| layer([v[0], v[1]], v[2], &dev);
    let mut ema = Ema::new(&m(w[0]), 0.9);
    assert_eq!(weights(&ema.model), w[0].map(|v| v as f64));
    let mut want = w[0].map(|v| v as f64);
    for (t, wt) in w.iter().enumerate().skip(1) {
        ema.update(&m(*wt));
        for k in 0..3 {
            want[k] = 0.9 * want[k] + 0.1 * wt[k] as f64;
        }
        let got = weights(&ema.model);
        for k in 0..3 {
            // 1e-6: f32 blends of values up to 8.
            assert!(
                (got[k] - want[k]).abs() < 1e-6,
                "step {t}: {got:?} vs {want:?}"
            );
        }
    }
    let closed: Vec<f64> = (0..3)
        .map(|k| {
            0.729 * w[0][k] as f64
                + 0.081 * w[1][k] as f64
                + 0.09 * w[2][k] as f64
                + 0.1 * w[3][k] as f64
        })
        .collect();
    for (a, b) in weights(&ema.model).iter().zip(&closed) {
        assert!((a - b).abs() < 1e-6, "closed form {a} vs {b}");
    }
}

#[test]
fn schedules_at_chosen_steps() {
    let base = 2e-3;
    assert_eq!(LrSchedule::Constant.lr(base, 0), base);
    assert_eq!(LrSchedule::Constant.lr(base, 123_456), base);
    // Linear warm-up (step + 1)/warmup, then base·(m + (1 − m)·½(1 + cos(π·p))),
    // p = (step − warmup)/(total − warmup), held at p = 1 after `total`.
    let cos = LrSchedule::Cosine {
        warmup: 4,
        total: 20,
        min_factor: 0.1,
    };
    let cases = [
        (0, base * 0.25),
        (1, base * 0.5),
        (3, base),
        (4, base),
        // p = 1/4: ½(1 + cos π/4) = ½ + √2/4
        (8, base * (0.1 + 0.9 * (0.5 + 2f64.sqrt() / 4.0))),
        // p = 1/2: cos π/2 = 0
        (12, base * 0.55),
        // p = 3/4
        (16, base * (0.1 + 0.9 * (0.5 - 2f64.sqrt() / 4.0))),
        (20, base * 0.1),
        (1000, base * 0.1),
    ];
    for (step, want) in cases {
        let got = cos.lr(base, step);
        // 1e-15 relative: one cos and a few f64 operations.
        assert!(
            (got - want).abs() <= 1e-15 * want,
            "cosine step {step}: {got} vs {want}"
        );
    }
    let step = LrSchedule::Step {
        every: 3,
        gamma: 0.5,
    };
    for (s, want) in [
        (0, base),
        (2, base),
        (3, base / 2.0),
        (5, base / 2.0),
        (7, base / 4.0),
        (9, base / 8.0),
    ] {
        assert_eq!(step.lr(base, s), want, "step decay at {s}");
    }
}

struct LinearTask {
    c: [f32; 3],
    device: Device,
}

impl TrainTask for LinearTask {
    type Model = Linear;
    fn loss(&self, model: &Linear, _rng: &mut ChaCha8Rng) -> Tensor<1> {
        linear_loss(model, self.c, &self.device)
    }
}

#[test]
fn trainer_steps_by_the_scheduled_rate_and_averages_by_hand() {
    // With a constant gradient g, Adam's bias-corrected step is exactly lr_t·g/(|g| + ε) at every
    // t (m̂ = g, v̂ = g²), so w_t = w_{t−1} − lr(t − 1)·sign(g) (|g| ≫ ε = 1e-8). Clipping only
    // rescales g (same sign), so it must not change the steps either.
    for clip in [0.0, 0.5] {
        let cfg = TrainerConfig {
            seed: 1,
            steps: 5,
            lr: 0.01,
            schedule: LrSchedule::Cosine {
                warmup: 2,
                total: 6,
                min_factor: 0.1,
            },
            ema_decay: 0.6,
            clip_grad_norm: clip,
            log_every: 1,
            ..TrainerConfig::default()
        };
        let w0 = [0.5f32, -1.0, 0.2];
        let dev = train_device();
        let mut t = Trainer::new(cfg.clone(), |_| layer([w0[0], w0[1]], w0[2], &dev));
        let c = [3.0f32, -0.5, 4.0];
        let task = LinearTask {
            c,
            device: dev.clone(),
        };
        let lr = |s: u64| -> f64 {
            // The cosine schedule written out for warm-up 2, total 6, floor 0.1.
            if s < 2 {
                0.01 * (s + 1) as f64 / 2.0
            } else {
                let p = ((s - 2) as f64 / 4.0).min(1.0);
                0.01 * (0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * p).cos()))
            }
        };
        let mut w = w0.map(|v| v as f64);
        let mut e = w;
        for s in 0..cfg.steps {
            let loss = t.train_step(&task);
            let want_loss: f64 = (0..3).map(|k| w[k] * c[k] as f64).sum();
            // 1e-5: f32 loss of O(1) terms from weights carried in f32 over five steps.
            assert!(
                (loss - want_loss).abs() < 1e-5,
                "step {s} loss {loss} vs {want_loss}"
            );
            for k in 0..3 {
                w[k] -= lr(s) * (c[k] as f64).signum();
                e[k] = 0.6 * e[k] + 0.4 * w[k];
            }
            let (got_w, got_e) = (weights(&t.model), weights(&t.ema.model));
            for k in 0..3 {
                // 1e-6: f32 weights after a handful of 1e-2 steps.
                assert!(
                    (got_w[k] - w[k]).abs() < 1e-6,
                    "clip {clip} step {s}: weights {got_w:?} vs {w:?}"
                );
                assert!(
                    (got_e[k] - e[k]).abs() < 1e-6,
                    "clip {clip} step {s}: EMA {got_e:?} vs {e:?}"
                );
            }
        }
        assert_eq!(t.step, cfg.steps);
    }
}
