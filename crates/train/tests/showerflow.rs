//! ShowerFlow maths: spline monotonic and invertible, coupling/flow log-determinants against a
//! numerical Jacobian, flow invertibility.

use burn::tensor::{Tensor, TensorData};
use calogen_train::engine::rng::{normals, stream};
use calogen_train::infer_device;
use calogen_train::showerflow::spline::Knots;
use calogen_train::showerflow::{FlowConfig, ShowerFlow};

fn t2(v: Vec<f32>, r: usize, c: usize) -> Tensor<2> {
    Tensor::from_data(TensorData::new(v, [r, c]), &infer_device())
}

fn vals(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

fn vals1(t: Tensor<1>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

#[test]
fn spline_is_monotonic_invertible_with_exact_log_derivative() {
    let k = 6;
    let n = 241;
    let raw = normals(&mut stream(9, "spline"), 3 * k - 1);
    // The same random spline for every row.
    let all: Vec<f32> = (0..n).flat_map(|_| raw.iter().map(|v| v * 1.5)).collect();
    let knots = Knots::new(
        Tensor::from_data(TensorData::new(all, [n, 1, 3 * k - 1]), &infer_device()),
        3.0,
    );
    let xs: Vec<f32> = (0..n)
        .map(|i| -4.0 + 8.0 * i as f32 / (n - 1) as f32)
        .collect();
    let (y, ld) = knots.forward(t2(xs.clone(), n, 1));
    let (y, ld) = (vals(y), vals(ld));
    assert!(y.windows(2).all(|w| w[1] > w[0]), "strictly increasing");
    // Identity tails.
    assert_eq!(y[0], xs[0]);
    assert_eq!(ld[0], 0.0);
    // ln g' against central differences.
    let h = 1e-3f32;
    let plus: Vec<f32> = xs.iter().map(|x| x + h).collect();
    let minus: Vec<f32> = xs.iter().map(|x| x - h).collect();
    let yp = vals(knots.forward(t2(plus, n, 1)).0);
    let ym = vals(knots.forward(t2(minus, n, 1)).0);
    for i in 0..n {
        if (xs[i].abs() - 3.0).abs() < 2e-3 {
            continue; // the tail boundary is only C¹
        }
        let num = ((yp[i] - ym[i]) / (2.0 * h)).ln();
        assert!(
            (num - ld[i]).abs() < 5e-3,
            "x={} ln g' {} vs {}",
            xs[i],
            ld[i],
            num
        );
    }
    let (x_back, ld_inv) = knots.inverse(t2(y, n, 1));
    for ((a, b), (l, li)) in vals(x_back)
        .iter()
        .zip(&xs)
        .zip(ld.iter().zip(vals(ld_inv)))
    {
        assert!((a - b).abs() < 1e-4, "inverse {a} vs {b}");
        assert!((l + li).abs() < 1e-3);
    }
}

fn tiny_flow(spline: bool) -> ShowerFlow {
    let cfg = FlowConfig {
        blocks: 2,
        hidden: 16,
        bins: 5,
        tail_bound: 3.0,
        spline,
        ..FlowConfig::default()
    };
    ShowerFlow::new(&cfg, 4, 1, false, &mut stream(11, "init"), &infer_device())
}

/// ln|det J| by LU with partial pivoting.
fn log_abs_det(mut a: [[f64; 4]; 4]) -> f64 {
    let mut s = 0.0;
    for c in 0..4 {
        let p = (c..4)
            .max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))
            .unwrap();
        a.swap(c, p);
        s += a[c][c].abs().ln();
        for r in c + 1..4 {
            let f = a[r][c] / a[c][c];
            #[allow(clippy::needless_range_loop)] // rows r and c of the same matrix
            for k in c..4 {
                a[r][k] -= f * a[c][k];
            }
        }
    }
    s
}

#[test]
fn flow_log_det_matches_numerical_jacobian_and_inverts() {
    for spline in [true, false] {
        let flow = tiny_flow(spline);
        let x: Vec<f32> = normals(&mut stream(12, "x"), 4);
        let cond = t2(vec![0.4], 1, 1);
        let (z, ld) = flow.forward(t2(x.clone(), 1, 4), cond.clone());
        let ld = vals1(ld)[0] as f64;
        let h = 1e-2f32;
        let mut jac = [[0f64; 4]; 4];
        for j in 0..4 {
            let mut p = x.clone();
            let mut m = x.clone();
            p[j] += h;
            m[j] -= h;
            let zp = vals(flow.forward(t2(p, 1, 4), cond.clone()).0);
            let zm = vals(flow.forward(t2(m, 1, 4), cond.clone()).0);
            for i in 0..4 {
                jac[i][j] = (zp[i] - zm[i]) as f64 / (2.0 * h as f64);
            }
        }
        let num = log_abs_det(jac);
        assert!(
            (num - ld).abs() < 2e-2,
            "spline={spline}: log det {ld} vs numerical {num}"
        );
        let back = vals(flow.inverse(z, cond));
        for (a, b) in back.iter().zip(&x) {
            assert!((a - b).abs() < 1e-4, "spline={spline}: inverse {a} vs {b}");
        }
    }
}

#[test]
fn batch_inverse_roundtrip() {
    let flow = tiny_flow(true);
    let n = 64;
    let x = normals(&mut stream(13, "x"), n * 4)
        .iter()
        .map(|v| v * 2.0)
        .collect::<Vec<_>>();
    let c: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();
    let (z, _) = flow.forward(t2(x.clone(), n, 4), t2(c.clone(), n, 1));
    let back = vals(flow.inverse(z, t2(c, n, 1)));
    let err = back
        .iter()
        .zip(&x)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(err < 1e-3, "max |x − f⁻¹(f(x))| = {err}");
}
