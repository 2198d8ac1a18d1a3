//! ConcatSquashLinear (FFJORD; CaloClouds `models/common.py`), SPEC §2:
//! y = (W h + b) ⊙ sigmoid(G ctx + g) + H ctx, with H bias-free.

use super::activation::sigmoid;
use super::linear::Linear;
use crate::error::Result;
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
pub struct ConcatSquashLinear {
    layer: Linear,
    hyper_gate: Linear,
    hyper_bias: Linear,
}

/// The context-dependent part of a layer: per output channel, y = (W h + b)·gate + shift.
#[derive(Debug, Clone, PartialEq)]
pub struct Modulation {
    pub gate: Vec<f32>,
    pub shift: Vec<f32>,
}

/// Gate pre-activations and shifts summed over the head of a context (f64).
#[derive(Debug, Clone, PartialEq)]
pub struct PartialModulation {
    head_len: usize,
    gate: Vec<f64>,
    shift: Vec<f64>,
}

impl PartialModulation {
    /// Adds the remaining context entries `tail` (those after the head) and applies the sigmoid.
    pub fn finish(&self, layer: &ConcatSquashLinear, tail: &[f32]) -> Modulation {
        let (mut gate, mut shift) = (self.gate.clone(), self.shift.clone());
        layer
            .hyper_gate
            .accumulate_columns(tail, self.head_len, &mut gate);
        layer
            .hyper_bias
            .accumulate_columns(tail, self.head_len, &mut shift);
        Modulation {
            gate: gate.into_iter().map(|v| sigmoid(v as f32)).collect(),
            shift: shift.into_iter().map(|v| v as f32).collect(),
        }
    }
}

impl ConcatSquashLinear {
    /// Reads `{prefix}.layer.{weight,bias}`, `{prefix}.hyper_gate.{weight,bias}`,
    /// `{prefix}.hyper_bias.weight` (the names of our exports; see `cc3_cm_config.json`).
    pub fn from_map(
        map: &TensorMap,
        prefix: &str,
        in_features: usize,
        out_features: usize,
        ctx_dim: usize,
    ) -> Result<Self> {
        Ok(ConcatSquashLinear {
            layer: Linear::from_map(
                map,
                &format!("{prefix}.layer"),
                in_features,
                out_features,
                true,
            )?,
            hyper_gate: Linear::from_map(
                map,
                &format!("{prefix}.hyper_gate"),
                ctx_dim,
                out_features,
                true,
            )?,
            hyper_bias: Linear::from_map(
                map,
                &format!("{prefix}.hyper_bias"),
                ctx_dim,
                out_features,
                false,
            )?,
        })
    }

    pub fn in_features(&self) -> usize {
        self.layer.in_features()
    }

    pub fn out_features(&self) -> usize {
        self.layer.out_features()
    }

    pub fn modulation(&self, ctx: &[f32]) -> Modulation {
        self.partial_modulation(&[]).finish(self, ctx)
    }

    /// The contributions of the first `head.len()` context entries (and the gate bias). With a
    /// context [time embedding, cond] the head is fixed for a whole batch at one σ, so only the
    /// few condition columns remain per shower.
    pub fn partial_modulation(&self, head: &[f32]) -> PartialModulation {
        let mut gate = self.hyper_gate.bias_f64();
        let mut shift = self.hyper_bias.bias_f64();
        self.hyper_gate.accumulate_columns(head, 0, &mut gate);
        self.hyper_bias.accumulate_columns(head, 0, &mut shift);
        PartialModulation {
            head_len: head.len(),
            gate,
            shift,
        }
    }

    /// The layer as PyTorch evaluates it, for `rows` points sharing one context.
    pub fn forward(&self, x: &[f32], rows: usize, ctx: &[f32], y: &mut [f32]) {
        self.layer.forward(x, rows, y);
        let m = self.modulation(ctx);
        for row in y.chunks_exact_mut(self.out_features()) {
            for ((v, g), s) in row.iter_mut().zip(&m.gate).zip(&m.shift) {
                *v = *v * g + s;
            }
        }
    }

    /// The layer as act-free `scale ⊙ (W h) + shift` for one context: scale = gate and
    /// shift = b⊙gate + H ctx, since (W h + b)⊙gate + H ctx = gate⊙(W h) + (b⊙gate + H ctx).
    /// The gate and shift depend only on the shower (SPEC §2), so per point this is a plain
    /// linear layer with per-channel scale and shift.
    pub fn affine(&self, ctx: &[f32]) -> (Vec<f32>, Vec<f32>) {
        self.affine_of(self.modulation(ctx))
    }

    /// [`ConcatSquashLinear::affine`] from an already computed modulation.
    pub fn affine_of(&self, m: Modulation) -> (Vec<f32>, Vec<f32>) {
        let bias = self
            .layer
            .bias()
            .expect("ConcatSquashLinear layers have a bias");
        let shift = bias
            .iter()
            .zip(&m.gate)
            .zip(&m.shift)
            .map(|((b, g), s)| b * g + s)
            .collect();
        (m.gate, shift)
    }

    /// The weight W [out, in] of the per-point linear part.
    pub fn linear(&self) -> &Linear {
        &self.layer
    }
}
