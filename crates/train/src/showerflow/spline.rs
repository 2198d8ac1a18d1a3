//! Monotonic rational-quadratic spline (Durkan et al. 2019, "Neural Spline Flows"), elementwise on
//! [−B, B] with identity tails; boundary derivatives are 1 so the tails join smoothly.
//!
//! Bins are found without a search: a point's one-hot bin is [x ≥ left knot] − [x ≥ right knot],
//! which vectorises and keeps gradients flowing through the bin parameters.

use burn::tensor::activation::{softmax, softplus};
use burn::tensor::Tensor;

pub const MIN_BIN: f64 = 1e-3;
pub const MIN_DERIV: f64 = 1e-3;

/// Spline parameters for `[n, d]` inputs, all `[n, d, K]` (`deriv_*` are the knot derivatives
/// left and right of each bin).
#[derive(Clone)]
pub struct Knots {
    x_left: Tensor<3>,
    width: Tensor<3>,
    y_left: Tensor<3>,
    height: Tensor<3>,
    deriv_left: Tensor<3>,
    deriv_right: Tensor<3>,
    bound: f64,
}

fn bins(raw: Tensor<3>, bound: f64) -> (Tensor<3>, Tensor<3>) {
    let k = raw.dims()[2];
    let w = softmax(raw, 2)
        .mul_scalar(1.0 - MIN_BIN * k as f64)
        .add_scalar(MIN_BIN);
    let edges = w
        .clone()
        .cumsum(2)
        .mul_scalar(2.0 * bound)
        .sub_scalar(bound);
    let [n, d, _] = edges.dims();
    let lo = Tensor::<3>::zeros([n, d, 1], &w.device()).sub_scalar(bound);
    let left = Tensor::cat(vec![lo, edges.narrow(2, 0, k - 1)], 2);
    (left, w.mul_scalar(2.0 * bound))
}

impl Knots {
    /// `raw`: `[n, d, 3K − 1]` = K widths, K heights, K − 1 interior derivatives (unconstrained).
    pub fn new(raw: Tensor<3>, bound: f64) -> Self {
        let k = (raw.dims()[2] + 1) / 3;
        let [n, d, _] = raw.dims();
        let (x_left, width) = bins(raw.clone().narrow(2, 0, k), bound);
        let (y_left, height) = bins(raw.clone().narrow(2, k, k), bound);
        let inner = softplus(raw.narrow(2, 2 * k, k - 1), 1.0).add_scalar(MIN_DERIV);
        let one = Tensor::<3>::ones([n, d, 1], &inner.device());
        let deriv_left = Tensor::cat(vec![one.clone(), inner.clone()], 2);
        let deriv_right = Tensor::cat(vec![inner, one], 2);
        Self {
            x_left,
            width,
            y_left,
            height,
            deriv_left,
            deriv_right,
            bound,
        }
    }

    /// One-hot bin of `v` (clamped inside) given the left knots of its axis.
    fn one_hot(v: &Tensor<3>, left: &Tensor<3>) -> Tensor<3> {
        let k = left.dims()[2];
        let vk = v.clone().repeat_dim(2, k - 1);
        let ge = vk.greater_equal(left.clone().narrow(2, 1, k - 1)).float();
        let [n, d, _] = ge.dims();
        let ones = Tensor::<3>::ones([n, d, 1], &ge.device());
        let zeros = Tensor::<3>::zeros([n, d, 1], &ge.device());
        Tensor::cat(vec![ones, ge.clone()], 2) - Tensor::cat(vec![ge, zeros], 2)
    }

    fn pick(t: &Tensor<3>, hot: &Tensor<3>) -> Tensor<2> {
        (t.clone() * hot.clone()).sum_dim(2).squeeze_dim(2)
    }

    fn inside(&self, v: &Tensor<2>) -> burn::tensor::Tensor<2, burn::tensor::Bool> {
        v.clone()
            .greater_elem(-self.bound)
            .bool_and(v.clone().lower_elem(self.bound))
    }

    /// The spline in the bin of each value of `v` `[n, d]`, the bins being those of `left` (the
    /// x knots going forward, the y knots going back).
    fn bin(&self, v: &Tensor<2>, left: &Tensor<3>) -> Bin {
        let hot = Self::one_hot(&v.clone().unsqueeze_dim(2), left);
        let (w, h) = (
            Self::pick(&self.width, &hot),
            Self::pick(&self.height, &hot),
        );
        Bin {
            xk: Self::pick(&self.x_left, &hot),
            yk: Self::pick(&self.y_left, &hot),
            dk: Self::pick(&self.deriv_left, &hot),
            dk1: Self::pick(&self.deriv_right, &hot),
            s: h.clone() / w.clone(),
            w,
            h,
        }
    }

    /// y = g(x) and ln g′(x), elementwise `[n, d]`.
    pub fn forward(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let b = self.bound;
        let inside = self.inside(&x);
        let xc = x.clone().clamp(-b, b);
        let k = self.bin(&xc, &self.x_left);
        let th = ((xc - k.xk.clone()) / k.w.clone()).clamp(0.0, 1.0);
        let (num, denom, tt) = k.derivative(th.clone());
        let y = k.yk + k.h * (k.s * th.square() + k.dk * tt) / denom.clone();
        let logd = num.log() - denom.square().log();
        let zeros = logd.zeros_like();
        (
            x.clone().mask_where(inside.clone(), y),
            zeros.mask_where(inside, logd),
        )
    }

    /// x = g⁻¹(y) and ln (g⁻¹)′(y) = −ln g′(x).
    pub fn inverse(&self, y: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let b = self.bound;
        let inside = self.inside(&y);
        let yc = y.clone().clamp(-b, b);
        let k = self.bin(&yc, &self.y_left);
        let dy = yc - k.yk.clone();
        let sum_d = k.dk1.clone() + k.dk.clone() - k.s.clone().mul_scalar(2.0);
        let a = k.h.clone() * (k.s.clone() - k.dk.clone()) + dy.clone() * sum_d.clone();
        let bq = k.h.clone() * k.dk.clone() - dy.clone() * sum_d;
        let c = (k.s.clone() * dy).neg();
        let disc = (bq.clone().square() - a.mul_scalar(4.0) * c.clone()).clamp_min(0.0);
        // The numerically stable root of the quadratic (Durkan et al., Eq. 29).
        let th = (c.mul_scalar(2.0) / (bq.neg() - disc.sqrt())).clamp(0.0, 1.0);
        let x = th.clone() * k.w.clone() + k.xk.clone();
        let (num, denom, _) = k.derivative(th);
        let logd = denom.square().log() - num.log();
        let zeros = logd.zeros_like();
        (
            y.clone().mask_where(inside.clone(), x),
            zeros.mask_where(inside, logd),
        )
    }
}

/// One bin of the rational-quadratic spline per element: left knot (xk, yk), width w, height h,
/// slope s = h/w, derivatives dk and dk1 at its two knots.
struct Bin {
    xk: Tensor<2>,
    yk: Tensor<2>,
    w: Tensor<2>,
    h: Tensor<2>,
    s: Tensor<2>,
    dk: Tensor<2>,
    dk1: Tensor<2>,
}

impl Bin {
    /// At θ ∈ [0, 1] inside the bin: g′ = num / denom² (Durkan et al., Eq. 5), and θ(1 − θ).
    fn derivative(&self, th: Tensor<2>) -> (Tensor<2>, Tensor<2>, Tensor<2>) {
        let th1 = th.clone().neg().add_scalar(1.0);
        let tt = th.clone() * th1.clone();
        let denom = self.s.clone()
            + (self.dk1.clone() + self.dk.clone() - self.s.clone().mul_scalar(2.0)) * tt.clone();
        let num = self.s.clone().square()
            * (self.dk1.clone() * th.square()
                + self.s.clone().mul_scalar(2.0) * tt.clone()
                + self.dk.clone() * th1.square());
        (num, denom, tt)
    }
}
