//! The parameter-free sinusoidal time embedding of DDPM-style networks (Ho et al. 2020, after
//! Vaswani et al. 2017), as CaloScore v2 feeds its diffusion time to both networks: width D, for
//! k < D/2, w_k = exp(−ln(10⁴)·k/(D/2)) and temb(t) = [sin(1000·t·w_k)…, cos(1000·t·w_k)…]
//! (the factor 1000 maps t ∈ [0, 1] onto the usual step range).

/// Appends temb(`t`) (`dim` values, `dim` even) to `out`; evaluated in f64, rounded once.
pub fn sinusoidal_embedding(t: f64, dim: usize, out: &mut Vec<f32>) {
    let half = dim / 2;
    let args: Vec<f64> = (0..half)
        .map(|k| 1000.0 * t * (-(1e4f64).ln() * k as f64 / half as f64).exp())
        .collect();
    out.extend(args.iter().map(|a| a.sin() as f32));
    out.extend(args.iter().map(|a| a.cos() as f32));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form() {
        let mut e = Vec::new();
        sinusoidal_embedding(0.0, 4, &mut e);
        assert_eq!(e, vec![0.0, 0.0, 1.0, 1.0]);
        e.clear();
        // D = 4: w = (1, 10⁻²); t = 0.5 → arguments 500 and 5.
        sinusoidal_embedding(0.5, 4, &mut e);
        let want = [500f64.sin(), 5f64.sin(), 500f64.cos(), 5f64.cos()];
        for (a, b) in e.iter().zip(want) {
            assert!((*a as f64 - b).abs() < 1e-7, "{e:?}");
        }
    }
}
