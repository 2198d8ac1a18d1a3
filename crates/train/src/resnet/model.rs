//! The 3D ResNet-18 of the CaloChallenge CNN classifier (paper 003 §8.3): a 7×7×7 stride-2 stem
//! convolution, a 3×3×3 stride-2 max pool, four stages of basic residual blocks with 3×3×3
//! convolutions, global average pooling, the batch-normalised log10 E_inc appended, and one dense
//! layer to a logit. Layout and initialisation follow torchvision's ResNet (convolutions without
//! bias before batch norm, Kaiming-normal fan-out weights, strided 1×1×1 projection shortcuts).

use super::ResNetConfig;
use crate::nn::{init, Linear};
use burn::module::{Module, Param};
use burn::nn::{BatchNorm, BatchNormConfig};
use burn::tensor::activation::relu;
use burn::tensor::module::{conv3d, max_pool1d, max_pool2d};
use burn::tensor::ops::{ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor};
use rand_chacha::ChaCha8Rng;

pub const STEM_KERNEL: usize = 7;
pub const STEM_STRIDE: usize = 2;
pub const POOL_KERNEL: usize = 3;
pub const POOL_STRIDE: usize = 2;

/// A bias-free cubic-kernel 3D convolution with symmetric padding.
#[derive(Module, Debug)]
pub struct Conv3 {
    /// `[out, in, k, k, k]` (PyTorch layout).
    pub weight: Param<Tensor<5>>,
    pub stride: usize,
    pub padding: usize,
}

impl Conv3 {
    /// Kaiming normal with fan-out and the ReLU gain, as torchvision initialises ResNets.
    pub fn new(
        c_in: usize,
        c_out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let fan_out = (c_out * kernel.pow(3)) as f32;
        let weight = init::normal(
            rng,
            [c_out, c_in, kernel, kernel, kernel],
            (2.0 / fan_out).sqrt(),
            device,
        );
        Self {
            weight,
            stride,
            padding,
        }
    }

    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        let (s, p) = (self.stride, self.padding);
        conv3d(
            x,
            self.weight.val(),
            None,
            ConvOptions::new([s; 3], [p; 3], [1; 3], 1),
        )
    }
}

/// Output length of a convolution or pooling along one axis.
pub fn out_len(n: usize, kernel: usize, stride: usize, padding: usize) -> usize {
    (n + 2 * padding - kernel) / stride + 1
}

/// Max pooling over a `k×k×k` box, built from burn's 2D and 1D pooling (burn has no 3D max
/// pool): the maximum over a box is the maximum along depth of the maxima over (height, width).
/// Padding counts as −∞, as in PyTorch.
pub fn max_pool3d(x: Tensor<5>, kernel: usize, stride: usize, padding: usize) -> Tensor<5> {
    let [b, c, d, h, w] = x.dims();
    let opts2 = MaxPoolOptions::new([kernel; 2])
        .with_stride([stride; 2])
        .with_padding([padding; 2]);
    let y = max_pool2d(x.reshape([b, c * d, h, w]), opts2);
    let [_, _, h2, w2] = y.dims();
    // Depth last, then pool it as a 1D signal per (channel, row, column).
    let y = y
        .reshape([b, c, d, h2 * w2])
        .swap_dims(2, 3)
        .reshape([b, c * h2 * w2, d]);
    let opts1 = MaxPoolOptions::new([kernel])
        .with_stride([stride])
        .with_padding([padding]);
    let y = max_pool1d(y, opts1);
    let d2 = y.dims()[2];
    y.reshape([b, c, h2 * w2, d2])
        .swap_dims(2, 3)
        .reshape([b, c, d2, h2, w2])
}

/// conv-BN-ReLU-conv-BN plus the (projected) input, then ReLU.
#[derive(Module, Debug)]
pub struct BasicBlock {
    pub conv1: Conv3,
    pub bn1: BatchNorm,
    pub conv2: Conv3,
    pub bn2: BatchNorm,
    /// A strided 1×1×1 convolution and batch norm when the shape changes.
    pub downsample: Option<(Conv3, BatchNorm)>,
}

impl BasicBlock {
    pub fn new(
        c_in: usize,
        c_out: usize,
        stride: usize,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let bn = |c| BatchNormConfig::new(c).init(device);
        let conv1 = Conv3::new(c_in, c_out, 3, stride, 1, rng, device);
        let conv2 = Conv3::new(c_out, c_out, 3, 1, 1, rng, device);
        let downsample = (stride != 1 || c_in != c_out).then(|| {
            (
                Conv3::new(c_in, c_out, 1, stride, 0, rng, device),
                bn(c_out),
            )
        });
        Self {
            conv1,
            bn1: bn(c_out),
            conv2,
            bn2: bn(c_out),
            downsample,
        }
    }

    pub fn forward(&self, x: Tensor<5>) -> Tensor<5> {
        let h = relu(self.bn1.forward(self.conv1.forward(x.clone())));
        let h = self.bn2.forward(self.conv2.forward(h));
        let skip = match &self.downsample {
            Some((conv, bn)) => bn.forward(conv.forward(x)),
            None => x,
        };
        relu(h + skip)
    }
}

#[derive(Module, Debug)]
pub struct ResNet3d {
    pub stem: Conv3,
    pub stem_bn: BatchNorm,
    pub blocks: Vec<BasicBlock>,
    /// Normalises log10(E_inc / MeV) before it joins the pooled features.
    pub energy_bn: BatchNorm,
    pub head: Linear,
}

impl ResNet3d {
    pub fn new(cfg: &ResNetConfig, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let c0 = cfg.channels[0];
        let stem = Conv3::new(
            1,
            c0,
            STEM_KERNEL,
            STEM_STRIDE,
            STEM_KERNEL / 2,
            rng,
            device,
        );
        let mut blocks = Vec::new();
        let mut c_in = c0;
        for (stage, (&c, &n)) in cfg.channels.iter().zip(&cfg.blocks).enumerate() {
            for i in 0..n {
                // The first block of every stage but the first halves the image.
                let stride = if stage > 0 && i == 0 { 2 } else { 1 };
                blocks.push(BasicBlock::new(c_in, c, stride, rng, device));
                c_in = c;
            }
        }
        Self {
            stem,
            stem_bn: BatchNormConfig::new(c0).init(device),
            blocks,
            energy_bn: BatchNormConfig::new(1).init(device),
            head: Linear::new(c_in + 1, 1, true, rng, device),
        }
    }

    /// Trainable parameters, counted as PyTorch does: burn's `num_params` also counts the batch
    /// norms' running mean and variance.
    pub fn n_trainable(&self) -> usize {
        let conv = |c: &Conv3| c.weight.shape().num_elements();
        let bn = |b: &BatchNorm| 2 * b.gamma.shape().num_elements();
        let mut n = conv(&self.stem) + bn(&self.stem_bn) + bn(&self.energy_bn);
        for b in &self.blocks {
            n += conv(&b.conv1) + bn(&b.bn1) + conv(&b.conv2) + bn(&b.bn2);
            if let Some((c, d)) = &b.downsample {
                n += conv(c) + bn(d);
            }
        }
        let head = self.head.weight.shape().num_elements();
        n + head
            + self
                .head
                .bias
                .as_ref()
                .map_or(0, |b| b.shape().num_elements())
    }

    /// Stem convolution, batch norm, ReLU and max pool: `[b, 1, d, h, w]` → `[b, c0, d', h', w']`.
    pub fn stem_forward(&self, x: Tensor<5>) -> Tensor<5> {
        let h = relu(self.stem_bn.forward(self.stem.forward(x)));
        max_pool3d(h, POOL_KERNEL, POOL_STRIDE, POOL_KERNEL / 2)
    }

    /// Logits `[b, 1]` of voxel images `[b, 1, d, h, w]` and log10 E_inc `[b, 1]`.
    pub fn forward(&self, x: Tensor<5>, log_e: Tensor<2>) -> Tensor<2> {
        let mut h = self.stem_forward(x);
        for block in &self.blocks {
            h = block.forward(h);
        }
        let [b, c, ..] = h.dims();
        let pooled = h.flatten::<3>(2, 4).mean_dim(2).reshape([b, c]);
        let e = self.energy_bn.forward(log_e);
        self.head.forward(Tensor::cat(vec![pooled, e], 1))
    }
}

/// Floating-point operations (2 per multiply-add) of one shower's forward pass through the
/// convolutions and the dense layer; batch norm, ReLU and pooling (a few per activation) are left
/// out, they are < 1 % of the total.
pub fn forward_flops(shape: [usize; 3], cfg: &ResNetConfig) -> u64 {
    let conv = |s: [usize; 3], c_in: usize, c_out: usize, k: usize, stride: usize, p: usize| {
        let o = s.map(|n| out_len(n, k, stride, p));
        let flops = 2 * (o[0] * o[1] * o[2] * c_out * c_in * k.pow(3)) as u64;
        (o, flops)
    };
    let c0 = cfg.channels[0];
    let (s, mut total) = conv(shape, 1, c0, STEM_KERNEL, STEM_STRIDE, STEM_KERNEL / 2);
    let mut s = s.map(|n| out_len(n, POOL_KERNEL, POOL_STRIDE, POOL_KERNEL / 2));
    let mut c_in = c0;
    for (stage, (&c, &n)) in cfg.channels.iter().zip(&cfg.blocks).enumerate() {
        for i in 0..n {
            let stride = if stage > 0 && i == 0 { 2 } else { 1 };
            let (o, f1) = conv(s, c_in, c, 3, stride, 1);
            let (_, f2) = conv(o, c, c, 3, 1, 1);
            total += f1 + f2;
            if stride != 1 || c_in != c {
                total += conv(s, c_in, c, 1, stride, 0).1;
            }
            s = o;
            c_in = c;
        }
    }
    total + 2 * (c_in as u64 + 1)
}
