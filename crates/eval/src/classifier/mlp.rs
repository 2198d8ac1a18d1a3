//! A multilayer perceptron with LeakyReLU hidden layers and linear outputs, trained by Adam: on
//! the binary cross-entropy of one logit ([`Mlp::backward_and_step`]), or on any loss whose
//! gradient with respect to the outputs the caller computes ([`Mlp::backward_delta`], the
//! multiclass classifier's softmax cross-entropy).

use crate::rng::SeededSampler;

/// LeakyReLU slope of PyTorch's default, which both papers' classifiers use.
const LEAKY: f32 = 0.01;

#[derive(Debug, Clone)]
struct Dense {
    n_in: usize,
    n_out: usize,
    /// `n_in × n_out`, row-major, so a batch `X [B × n_in]` maps to `X·W`.
    w: Vec<f32>,
    b: Vec<f32>,
}

/// Gradients of one layer: `(dW, db)`.
pub type Gradient = (Vec<f32>, Vec<f32>);

#[derive(Debug, Clone)]
struct AdamState {
    m: Vec<f32>,
    v: Vec<f32>,
}

/// The network, its Adam state and the scratch buffers of one batch.
#[derive(Debug, Clone)]
pub struct Mlp {
    layers: Vec<Dense>,
    adam: Vec<(AdamState, AdamState)>,
    step: i32,
    /// Activations per layer of the last forward pass (input excluded): pre-activation `z`.
    z: Vec<Vec<f32>>,
    a: Vec<Vec<f32>>,
}

fn uniform(rng: &mut SeededSampler, bound: f32) -> f32 {
    let u = (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
    (2.0 * u - 1.0) * bound
}

/// `C[m×n] (+)= A[m×k] · B[k×n]`, all row-major unless the strides say otherwise.
#[allow(clippy::too_many_arguments)]
fn gemm(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    (rsa, csa): (isize, isize),
    b: &[f32],
    (rsb, csb): (isize, isize),
    beta: f32,
    c: &mut [f32],
) {
    debug_assert!(c.len() >= m * n);
    // SAFETY: the strides describe matrices inside the given slices (checked by the callers'
    // shapes: a holds m·k, b k·n, c m·n elements).
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

impl Mlp {
    /// `sizes` = [inputs, hidden…, outputs]; PyTorch's default initialisation, U(±1/√fan_in).
    pub fn new(sizes: &[usize], seed: u64) -> Self {
        assert!(
            sizes.len() >= 2 && sizes.iter().all(|&n| n > 0),
            "at least an input and an output layer"
        );
        let mut rng = SeededSampler::new(seed);
        let layers: Vec<Dense> = sizes
            .windows(2)
            .map(|w| {
                let bound = 1.0 / (w[0] as f32).sqrt();
                Dense {
                    n_in: w[0],
                    n_out: w[1],
                    w: (0..w[0] * w[1]).map(|_| uniform(&mut rng, bound)).collect(),
                    b: (0..w[1]).map(|_| uniform(&mut rng, bound)).collect(),
                }
            })
            .collect();
        let adam = layers
            .iter()
            .map(|l| {
                let z = |n| AdamState {
                    m: vec![0.0; n],
                    v: vec![0.0; n],
                };
                (z(l.w.len()), z(l.b.len()))
            })
            .collect();
        Self {
            z: vec![Vec::new(); layers.len()],
            a: vec![Vec::new(); layers.len()],
            layers,
            adam,
            step: 0,
        }
    }

    pub fn n_inputs(&self) -> usize {
        self.layers[0].n_in
    }

    pub fn n_outputs(&self) -> usize {
        self.layers.last().expect("at least one layer").n_out
    }

    pub fn n_parameters(&self) -> usize {
        self.layers.iter().map(|l| l.w.len() + l.b.len()).sum()
    }

    /// Outputs of a batch `x [B × n_in]` (`[B × n_out]`); keeps the activations for
    /// [`Self::backward`].
    pub fn forward(&mut self, x: &[f32]) -> &[f32] {
        let bsz = x.len() / self.n_inputs();
        for li in 0..self.layers.len() {
            let l = &self.layers[li];
            let (z, rest) = self.z.split_at_mut(li + 1);
            let z = &mut z[li];
            z.clear();
            z.reserve(bsz * l.n_out);
            for _ in 0..bsz {
                z.extend_from_slice(&l.b);
            }
            let input: &[f32] = if li == 0 { x } else { &self.a[li - 1] };
            gemm(
                bsz,
                l.n_in,
                l.n_out,
                input,
                (l.n_in as isize, 1),
                &l.w,
                (l.n_out as isize, 1),
                1.0,
                z,
            );
            let _ = rest;
            let a = &mut self.a[li];
            a.clear();
            if li + 1 < self.layers.len() {
                a.extend(z.iter().map(|&v| if v > 0.0 { v } else { LEAKY * v }));
            } else {
                a.extend_from_slice(z);
            }
        }
        self.a.last().expect("at least one layer")
    }

    /// Outputs in batches (for validation and test sets).
    pub fn predict_logits(&mut self, x: &[f32], batch: usize) -> Vec<f32> {
        let n_in = self.n_inputs();
        let mut out = Vec::with_capacity(x.len() / n_in);
        for chunk in x.chunks(batch * n_in) {
            out.extend_from_slice(self.forward(chunk));
        }
        out
    }

    /// One Adam step on the mean binary cross-entropy of the last forward batch `x` with labels `y`.
    /// Returns the batch loss.
    pub fn backward_and_step(&mut self, x: &[f32], y: &[f32], lr: f32) -> f32 {
        let (loss, grads) = self.backward(x, y);
        self.adam_step(&grads, lr);
        loss
    }

    /// One Adam step with the gradients `(dW, db)` of every layer.
    pub fn adam_step(&mut self, grads: &[Gradient], lr: f32) {
        self.step += 1;
        let t = self.step;
        for (li, (dw, db)) in grads.iter().enumerate() {
            let (sw, sb) = &mut self.adam[li];
            let l = &mut self.layers[li];
            adam(&mut l.w, dw, sw, lr, t);
            adam(&mut l.b, db, sb, lr, t);
        }
    }

    /// Mean BCE of the last forward batch (one logit per row) and its gradients per layer.
    pub fn backward(&self, x: &[f32], y: &[f32]) -> (f32, Vec<Gradient>) {
        let bsz = y.len();
        let logits = self.a.last().expect("forward first");
        // d(mean BCE)/d(logit) = (σ(z) − y) / B; the loss in its stable log-sum-exp form.
        let mut loss = 0.0f64;
        let delta: Vec<f32> = logits
            .iter()
            .zip(y)
            .map(|(&z, &t)| {
                loss += (z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()) as f64;
                (1.0 / (1.0 + (-z).exp()) - t) / bsz as f32
            })
            .collect();
        ((loss / bsz as f64) as f32, self.backward_delta(x, delta))
    }

    /// Gradients `(dW, db)` per layer of a loss whose gradient with respect to the outputs of the
    /// last forward batch `x` is `delta` `[B × n_out]`.
    pub fn backward_delta(&self, x: &[f32], mut delta: Vec<f32>) -> Vec<Gradient> {
        let bsz = delta.len() / self.n_outputs();
        let mut grads = vec![(Vec::new(), Vec::new()); self.layers.len()];
        for li in (0..self.layers.len()).rev() {
            let (n_in, n_out) = (self.layers[li].n_in, self.layers[li].n_out);
            let input: &[f32] = if li == 0 { x } else { &self.a[li - 1] };
            // dW = inputᵀ · delta; db = Σ_batch delta
            let mut dw = vec![0.0f32; n_in * n_out];
            gemm(
                n_in,
                bsz,
                n_out,
                input,
                (1, n_in as isize),
                &delta,
                (n_out as isize, 1),
                0.0,
                &mut dw,
            );
            let mut db = vec![0.0f32; n_out];
            for row in delta.chunks(n_out) {
                for (d, r) in db.iter_mut().zip(row) {
                    *d += r;
                }
            }
            if li > 0 {
                // delta_prev = delta · Wᵀ ⊙ LeakyReLU'(z_prev)
                let mut prev = vec![0.0f32; bsz * n_in];
                let w = &self.layers[li].w;
                gemm(
                    bsz,
                    n_out,
                    n_in,
                    &delta,
                    (n_out as isize, 1),
                    w,
                    (1, n_out as isize),
                    0.0,
                    &mut prev,
                );
                for (p, &z) in prev.iter_mut().zip(&self.z[li - 1]) {
                    if z <= 0.0 {
                        *p *= LEAKY;
                    }
                }
                delta = prev;
            }
            grads[li] = (dw, db);
        }
        grads
    }
}

/// PyTorch's Adam (β = 0.9, 0.999; ε = 1e-8; no weight decay).
fn adam(p: &mut [f32], g: &[f32], s: &mut AdamState, lr: f32, t: i32) {
    let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
    let c1 = 1.0 - b1.powi(t);
    let c2 = 1.0 - b2.powi(t);
    let step = lr / c1;
    let c2s = c2.sqrt();
    for i in 0..p.len() {
        s.m[i] = b1 * s.m[i] + (1.0 - b1) * g[i];
        s.v[i] = b2 * s.v[i] + (1.0 - b2) * g[i] * g[i];
        p[i] -= step * s.m[i] / (s.v[i].sqrt() / c2s + eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analytic gradient of the first weight matches a central finite difference.
    #[test]
    fn gradient_matches_finite_difference() {
        let x: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let y = [1.0f32, 0.0, 1.0, 0.0];
        let loss = |net: &mut Mlp| {
            let z = net.forward(&x).to_vec();
            z.iter()
                .zip(&y)
                .map(|(&z, &t)| (z.max(0.0) - z * t + (-z.abs()).exp().ln_1p()) as f64)
                .sum::<f64>()
                / 4.0
        };
        let mut net0 = Mlp::new(&[3, 5, 4, 1], 7);
        net0.forward(&x);
        let (_, grads) = net0.backward(&x, &y);
        for (li, wi) in [(0usize, 2usize), (1, 7), (2, 3)] {
            let h = 1e-2f32;
            let mut plus = net0.clone();
            plus.layers[li].w[wi] += h;
            let mut minus = net0.clone();
            minus.layers[li].w[wi] -= h;
            let fd = (loss(&mut plus) - loss(&mut minus)) / (2.0 * h as f64);
            let g = grads[li].0[wi] as f64;
            assert!(
                (g - fd).abs() < 2e-3 * (1.0 + fd.abs()),
                "layer {li} weight {wi}: {g} vs {fd}"
            );
        }
        let mut plus = net0.clone();
        plus.layers[1].b[2] += 1e-2;
        let mut minus = net0.clone();
        minus.layers[1].b[2] -= 1e-2;
        let fd = (loss(&mut plus) - loss(&mut minus)) / 2e-2;
        assert!((grads[1].1[2] as f64 - fd).abs() < 2e-3 * (1.0 + fd.abs()));
    }
}
