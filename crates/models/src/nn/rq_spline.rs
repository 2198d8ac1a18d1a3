//! The monotone rational-quadratic spline of neural spline flows (Durkan et al. 2019), the
//! transform of the ShowerFlow's spline couplings (CaloClouds3 §3.3): shared here because a
//! coupling layer of any flow family can use it.

/// Monotone rational-quadratic spline on [−B, B] (identity outside) with `k` bins; `p` holds k
/// unnormalised widths, k heights and k − 1 interior derivatives. Returns (value, log|derivative|)
/// of the forward map or, with `inverse`, of the inverse map.
pub fn rq_spline(x: f64, p: &[f64], k: usize, bound: f64, inverse: bool) -> (f64, f64) {
    if x <= -bound || x >= bound {
        return (x, 0.0);
    }
    const MIN_BIN: f64 = 1e-3;
    const MIN_DERIV: f64 = 1e-3;
    let knots = |raw: &[f64]| -> Vec<f64> {
        let m = raw.iter().fold(f64::NEG_INFINITY, |a, &b| a.max(b));
        let e: Vec<f64> = raw.iter().map(|v| (v - m).exp()).collect();
        let s: f64 = e.iter().sum();
        let mut pos = vec![-bound];
        let mut acc = -bound;
        for v in &e {
            acc += 2.0 * bound * (MIN_BIN + (1.0 - MIN_BIN * k as f64) * v / s);
            pos.push(acc);
        }
        pos[k] = bound;
        pos
    };
    let xs = knots(&p[..k]);
    let ys = knots(&p[k..2 * k]);
    let deriv = |i: usize| -> f64 {
        if i == 0 || i == k {
            1.0
        } else {
            let v = p[2 * k + i - 1];
            MIN_DERIV + if v > 30.0 { v } else { v.exp().ln_1p() }
        }
    };
    let lo = if inverse { &ys } else { &xs };
    let b = lo.partition_point(|&v| v <= x).clamp(1, k) - 1;
    let (w, h) = (xs[b + 1] - xs[b], ys[b + 1] - ys[b]);
    let s = h / w;
    let (d0, d1) = (deriv(b), deriv(b + 1));
    let xi = if inverse {
        let dy = x - ys[b];
        let q = d1 + d0 - 2.0 * s;
        let a = h * (s - d0) + dy * q;
        let bb = h * d0 - dy * q;
        let c = -s * dy;
        let disc = (bb * bb - 4.0 * a * c).max(0.0);
        (2.0 * c) / (-bb - disc.sqrt())
    } else {
        (x - xs[b]) / w
    };
    let t = xi * (1.0 - xi);
    let den = s + (d1 + d0 - 2.0 * s) * t;
    let dydx = s * s * (d1 * xi * xi + 2.0 * s * t + d0 * (1.0 - xi) * (1.0 - xi)) / (den * den);
    if inverse {
        (xs[b] + xi * w, -dydx.ln())
    } else {
        (ys[b] + h * (s * xi * xi + d0 * t) / den, dydx.ln())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spline_inverts_and_its_log_derivative_is_right() {
        let p: Vec<f64> = (0..14)
            .map(|i| ((i * 37 % 11) as f64 - 5.0) * 0.3)
            .collect();
        for x in [-2.9, -1.3, -0.01, 0.0, 0.7, 2.2, 2.99, 3.5, -7.0] {
            let (y, ld) = rq_spline(x, &p, 5, 3.0, false);
            let (back, ldi) = rq_spline(y, &p, 5, 3.0, true);
            assert!((back - x).abs() < 1e-9, "{x} → {y} → {back}");
            assert!((ld + ldi).abs() < 1e-9);
            let h = 1e-6;
            let num = ((rq_spline(x + h, &p, 5, 3.0, false).0
                - rq_spline(x - h, &p, 5, 3.0, false).0)
                / (2.0 * h))
                .ln();
            assert!((num - ld).abs() < 1e-5, "{x}: {num} vs {ld}");
        }
    }
}
