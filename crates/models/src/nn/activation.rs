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
    }
}
