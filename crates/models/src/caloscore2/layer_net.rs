//! CaloScore v2's layer-energy network (config.rs, "Layer-energy network"): a residual MLP on the
//! n_layers standardised logit fractions, conditioned on [temb(t), e] (paper "CaloScore v2",
//! §III: 3 blocks, 1024 wide for datasets 2 and 3; our default is narrower, see config.rs).

use super::condition::ConditionEmbedding;
use super::config::Cs2Config;
use crate::error::Result;
use crate::nn::activation::swish_inplace;
use crate::nn::Linear;
use crate::tensor::TensorMap;

#[derive(Debug, Clone)]
struct Block {
    a: Linear,
    emb: Linear,
    b: Linear,
}

#[derive(Debug, Clone)]
pub struct LayerNet {
    pub n_layers: usize,
    pub hidden: usize,
    cond: ConditionEmbedding,
    inp: Linear,
    blocks: Vec<Block>,
    out: Linear,
}

impl LayerNet {
    pub fn from_map(map: &TensorMap, cfg: &Cs2Config, n_layers: usize) -> Result<Self> {
        let l = &cfg.layer_net;
        let lin = |name: &str, i, o| Linear::from_map(map, &format!("layer.{name}"), i, o, true);
        let blocks = (0..l.blocks)
            .map(|k| {
                Ok(Block {
                    a: lin(&format!("block.{k}.a"), l.hidden, l.hidden)?,
                    emb: lin(&format!("block.{k}.emb"), l.embedding, l.hidden)?,
                    b: lin(&format!("block.{k}.b"), l.hidden, l.hidden)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            n_layers,
            hidden: l.hidden,
            cond: ConditionEmbedding::from_map(
                map,
                "layer.",
                cfg.time_embedding,
                cfg.time_embedding + 1,
                l.embedding,
            )?,
            inp: lin("in", n_layers, l.hidden)?,
            blocks,
            out: lin("out", l.hidden, n_layers)?,
        })
    }

    /// The velocity `[B, n_layers]` at `x` `[B, n_layers]`, times `t` and encoded energies `e`
    /// (one per shower).
    pub fn forward(&self, x: &[f32], t: &[f64], e: &[f32]) -> Vec<f32> {
        let batch = t.len();
        assert_eq!(x.len(), batch * self.n_layers, "layer features");
        let emb = self.cond.forward(&self.cond.rows(t, e, &[]), batch);
        let hw = batch * self.hidden;
        let mut h = vec![0f32; hw];
        self.inp.forward(x, batch, &mut h);
        let (mut a, mut u, mut e_add) = (vec![0f32; hw], vec![0f32; hw], vec![0f32; hw]);
        for blk in &self.blocks {
            a.copy_from_slice(&h);
            swish_inplace(&mut a);
            blk.a.forward(&a, batch, &mut u);
            blk.emb.forward(&emb, batch, &mut e_add);
            for (u, e) in u.iter_mut().zip(&e_add) {
                *u += e;
            }
            swish_inplace(&mut u);
            blk.b.forward(&u, batch, &mut a);
            for (h, a) in h.iter_mut().zip(&a) {
                *h += a;
            }
        }
        swish_inplace(&mut h);
        let mut v = vec![0f32; batch * self.n_layers];
        self.out.forward(&h, batch, &mut v);
        v
    }

    /// Multiply-adds of one evaluation for one shower.
    pub fn macs(&self) -> usize {
        let (h, n) = (self.hidden, self.n_layers);
        let w = self.cond.width();
        self.cond.macs() + n * h + self.blocks.len() * (2 * h * h + w * h) + h * n
    }
}
