//! The point network shared by the CaloClouds families (PointwiseNet_kDiffusion, CaloClouds3
//! SPEC §2): a Fourier time embedding, then ConcatSquashLinear layers (CaloClouds3:
//! 4→32→64→128→64→32→4; CaloClouds II: its own widths) applied to each point independently, all
//! conditioned on one context vector per shower.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::nn::activation::{leaky_relu_inplace, LEAKY_SLOPE};
use crate::nn::{
    ConcatSquashLinear, FourierTimeEmbedding, FusedMlp, PartialModulation, TimeEmbedding,
};
use crate::tensor::TensorMap;

/// The widths and tensor names of a point network: what [`PointwiseNet::from_tensors`] needs from
/// a family's config.
#[derive(Debug, Clone, PartialEq)]
pub struct PointwiseShape {
    pub point_dim: usize,
    pub cond_dim: usize,
    pub time_dim: usize,
    pub fourier_features: usize,
    /// time_dim + cond_dim, time embedding first.
    pub ctx_dim: usize,
    pub layer_in: Vec<usize>,
    pub layer_out: Vec<usize>,
    /// Export name → shape, checked before the net is built.
    pub tensor_names: BTreeMap<String, Vec<usize>>,
}

impl PointwiseShape {
    pub fn num_layers(&self) -> usize {
        self.layer_in.len()
    }

    /// A plain chain of widths `features → hidden… → features` with export names
    /// `time_embed.*` and `layers.{i}.{layer,hyper_gate,hyper_bias}.*`.
    pub fn chain(features: usize, hidden: &[usize], time_dim: usize, cond_dim: usize) -> Self {
        let mut widths = vec![features];
        widths.extend(hidden);
        widths.push(features);
        let ctx = time_dim + cond_dim;
        let mut names = BTreeMap::new();
        names.insert(
            "time_embed.fourier.weight".to_string(),
            vec![time_dim / 2, 1],
        );
        names.insert(
            "time_embed.linear.weight".to_string(),
            vec![time_dim, time_dim],
        );
        names.insert("time_embed.linear.bias".to_string(), vec![time_dim]);
        for (i, w) in widths.windows(2).enumerate() {
            let p = format!("layers.{i}");
            names.insert(format!("{p}.layer.weight"), vec![w[1], w[0]]);
            names.insert(format!("{p}.layer.bias"), vec![w[1]]);
            names.insert(format!("{p}.hyper_gate.weight"), vec![w[1], ctx]);
            names.insert(format!("{p}.hyper_gate.bias"), vec![w[1]]);
            names.insert(format!("{p}.hyper_bias.weight"), vec![w[1], ctx]);
        }
        PointwiseShape {
            point_dim: features,
            cond_dim,
            time_dim,
            fourier_features: time_dim / 2,
            ctx_dim: ctx,
            layer_in: widths[..widths.len() - 1].to_vec(),
            layer_out: widths[1..].to_vec(),
            tensor_names: names,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PointwiseNet {
    time_embed: FourierTimeEmbedding,
    layers: Vec<ConcatSquashLinear>,
    cond_dim: usize,
    point_dim: usize,
}

/// The per-shower conditioning: time embedding stages and ctx = [t (64), cond (4)].
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub time: TimeEmbedding,
    pub ctx: Vec<f32>,
}

/// The σ-only part of the per-shower modulation (see [`PointwiseNet::time_part`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TimePart {
    sigma: f32,
    partial: Vec<PartialModulation>,
}

impl TimePart {
    pub fn sigma(&self) -> f32 {
        self.sigma
    }
}

/// Outputs of every layer (after its LeakyReLU for all but the last), point-major.
pub type LayerOutputs = Vec<Vec<f32>>;

impl PointwiseNet {
    /// Builds the network from tensors under their export names (`layers.{i}.layer.weight`, ...).
    pub fn from_tensors(cfg: &PointwiseShape, map: &TensorMap) -> Result<Self> {
        for (name, shape) in &cfg.tensor_names {
            map.get(name, shape)?;
        }
        let time_embed = FourierTimeEmbedding::from_map(
            map,
            "time_embed.fourier",
            "time_embed.linear",
            cfg.fourier_features,
            cfg.time_dim,
        )?;
        let layers = (0..cfg.num_layers())
            .map(|i| {
                ConcatSquashLinear::from_map(
                    map,
                    &format!("layers.{i}"),
                    cfg.layer_in[i],
                    cfg.layer_out[i],
                    cfg.ctx_dim,
                )
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(PointwiseNet {
            time_embed,
            layers,
            cond_dim: cfg.cond_dim,
            point_dim: cfg.point_dim,
        })
    }

    pub fn point_dim(&self) -> usize {
        self.point_dim
    }

    pub fn layers(&self) -> &[ConcatSquashLinear] {
        &self.layers
    }

    /// ctx = [LeakyReLU(A·[cos f, sin f] + a), cond]: time embedding first (SPEC §2). F receives
    /// the raw σ and forms c_noise = ln σ / 4 itself.
    pub fn context(&self, sigma: f32, cond: &[f32]) -> Result<Context> {
        if cond.len() != self.cond_dim || cond.iter().any(|c| !c.is_finite()) {
            return Err(Error::Invalid(format!(
                "condition must be {} finite values, got {cond:?}",
                self.cond_dim
            )));
        }
        if !(sigma > 0.0 && sigma.is_finite()) {
            return Err(Error::Invalid(format!(
                "sigma must be positive, got {sigma}"
            )));
        }
        let time = self.time_embed.forward(sigma);
        let ctx = time.embedding.iter().chain(cond).copied().collect();
        Ok(Context { time, ctx })
    }

    /// F(x_in) for `n` points exactly as PyTorch orders the work (one sgemm per layer, then gate
    /// and shift), returning every layer's output. The slow, transparent path.
    pub fn forward_reference(&self, x_in: &[f32], n: usize, ctx: &[f32]) -> LayerOutputs {
        assert_eq!(
            x_in.len(),
            n * self.point_dim,
            "input must be [n, point_dim]"
        );
        let last = self.layers.len() - 1;
        let mut outs: LayerOutputs = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let h = outs.last().map_or(x_in, Vec::as_slice);
            let mut y = vec![0.0; n * layer.out_features()];
            layer.forward(h, n, ctx, &mut y);
            if i < last {
                leaky_relu_inplace(&mut y, LEAKY_SLOPE);
            }
            outs.push(y);
        }
        outs
    }

    /// The fused per-point MLP with W packed once; each shower then only sets per-channel
    /// scales and shifts ([`PointwiseNet::modulate`]).
    pub fn new_fused(&self) -> FusedMlp {
        let mut mlp = FusedMlp::new();
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            let lin = l.linear();
            let bias = lin.bias().expect("ConcatSquashLinear layers have a bias");
            mlp.push_layer(lin.in_features(), lin.weight(), bias, i < last);
        }
        mlp
    }

    /// Everything that depends on σ alone: the time embedding and its contribution to every
    /// layer's gate and shift. Computed once per σ and shared by all showers of a batch.
    pub fn time_part(&self, sigma: f32) -> Result<TimePart> {
        let context = self.context(sigma, &vec![0.0; self.cond_dim])?;
        let emb = &context.time.embedding;
        Ok(TimePart {
            sigma,
            partial: self
                .layers
                .iter()
                .map(|l| l.partial_modulation(emb))
                .collect(),
        })
    }

    /// Sets one shower's gates and shifts in `mlp` (SPEC §2: y = (W h + b)⊙gate + H ctx becomes
    /// gate⊙(W h) + (b⊙gate + H ctx), a plain layer with per-channel scale and shift).
    pub fn modulate(&self, time: &TimePart, cond: &[f32], mlp: &mut FusedMlp) -> Result<()> {
        if cond.len() != self.cond_dim || cond.iter().any(|c| !c.is_finite()) {
            return Err(Error::Invalid(format!(
                "condition must be {} finite values, got {cond:?}",
                self.cond_dim
            )));
        }
        for (i, (l, p)) in self.layers.iter().zip(&time.partial).enumerate() {
            let (scale, shift) = l.affine_of(p.finish(l, cond));
            mlp.set_affine(i, &scale, &shift);
        }
        Ok(())
    }

    /// Multiply-adds per point in the six per-point layers.
    pub fn macs_per_point(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.in_features() * l.out_features())
            .sum()
    }
}
