//! Elementwise activations with PyTorch's defaults.

/// Negative slope of `torch.nn.LeakyReLU()` / `F.leaky_relu` (0.01), used throughout CaloClouds.
pub const LEAKY_SLOPE: f32 = 0.01;

#[inline]
pub fn leaky_relu(x: f32, slope: f32) -> f32 {
    if x >= 0.0 {
        x
    } else {
        x * slope
    }
}

pub fn leaky_relu_inplace(xs: &mut [f32], slope: f32) {
    for x in xs {
        *x = leaky_relu(*x, slope);
    }
}

/// Logistic sigmoid, evaluated in f64 so the f32 result is correctly rounded for all inputs.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    (1.0 / (1.0 + (-(x as f64)).exp())) as f32
}

/// Swish (SiLU), x·sigmoid(x) = x/(1 + e^(−x)), in f32: the activation of CaloScore v2. At very
/// negative x, e^(−x) overflows to +∞ and the quotient is −0, the right limit.
#[inline]
pub fn swish(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

pub fn swish_inplace(xs: &mut [f32]) {
    for x in xs {
        *x = swish(*x);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(leaky_relu(2.0, LEAKY_SLOPE), 2.0);
        assert_eq!(leaky_relu(-2.0, LEAKY_SLOPE), -0.02);
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
        assert_eq!(swish(0.0), 0.0);
        assert!((swish(1.0) - 0.731_058_6).abs() < 1e-6);
        assert_eq!(swish(-200.0), 0.0);
        assert_eq!(swish(200.0), 200.0);
    }
}
