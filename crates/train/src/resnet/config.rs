//! Settings of the CNN ResNet classifier (paper 003 §8.3): architecture, AdamW and the split.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResNetConfig {
    /// Output channels of each ResNet stage; the stem has `channels[0]`.
    pub channels: Vec<usize>,
    /// Basic blocks (two 3×3×3 convolutions each) per stage: [2, 2, 2, 2] with the stem and the
    /// head makes ResNet-18.
    pub blocks: Vec<usize>,
    pub learning_rate: f64,
    /// AdamW's decoupled weight decay (PyTorch's default 0.01: the paper keeps "default settings").
    pub weight_decay: f64,
    pub epochs: usize,
    /// Showers per optimiser step; the paper does not give it for the ResNet.
    pub batch: usize,
    /// Train, validation and test fractions of each class (stratified, as the DNN classifier).
    pub split: [f64; 3],
    /// Calibrate the test probabilities by isotonic regression fitted on the validation set
    /// before the JSD (the challenge's choice).
    pub calibrate: bool,
    pub seed: u64,
}

impl ResNetConfig {
    /// Dataset 2, (45, 16, 9) voxels: AdamW lr 2.5e-5 for 48 epochs.
    pub fn ds2() -> Self {
        Self {
            channels: vec![32, 64, 128, 128],
            blocks: vec![2, 2, 2, 2],
            learning_rate: 2.5e-5,
            weight_decay: 0.01,
            epochs: 48,
            batch: 128,
            split: [0.6, 0.2, 0.2],
            calibrate: true,
            seed: 0,
        }
    }

    /// Dataset 3, (45, 50, 18) voxels: same optimiser, lr 5e-5 for 12 epochs.
    pub fn ds3() -> Self {
        Self {
            learning_rate: 5e-5,
            epochs: 12,
            ..Self::ds2()
        }
    }

    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the settings; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err("resnet.channels: needs at least one stage, each with > 0 channels".into());
        }
        if self.blocks.len() != self.channels.len() || self.blocks.contains(&0) {
            return Err(format!(
                "resnet.blocks: needs one entry > 0 per stage ({} stages), got {:?}",
                self.channels.len(),
                self.blocks
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(format!(
                "resnet.learning_rate: must be finite and > 0, got {}",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(format!(
                "resnet.weight_decay: must be finite and >= 0, got {}",
                self.weight_decay
            ));
        }
        if self.epochs == 0 || self.batch < 2 {
            return Err(format!(
                "resnet.epochs / resnet.batch: need epochs >= 1 and batch >= 2 (batch norm), got {} and {}",
                self.epochs, self.batch
            ));
        }
        let s = self.split;
        if s.iter().any(|f| !(f.is_finite() && *f > 0.0))
            || (s.iter().sum::<f64>() - 1.0).abs() > 1e-9
        {
            return Err(format!(
                "resnet.split: three positive fractions summing to 1, got {s:?}"
            ));
        }
        Ok(())
    }
}
