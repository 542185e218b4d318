//! Section 12.1: the gradient ascent update (Algorithm 12.1) and gradient scaling and
//! clipping (Algorithm 12.2).

use nalgebra::DVector;

use crate::conventions::{Departure, Nonfinite, Norm};
use crate::error::{PgError, Result};
use crate::scalar::{
    Scalar, check_finite, check_len, check_nonnegative, check_positive, check_vector,
    finite_result, smallest_normal, stable_norm,
};

/// Gradient ascent update, Eq. (12.1) and Algorithm 12.1:
///
/// $$\theta \leftarrow \theta + \alpha \nabla U(\theta)$$
///
/// θ ← θ + α ∇U(θ), with step factor α > 0.
///
/// Each entry is one fused multiply-add, θᵢ′ = fma(∇ᵢ, α, θᵢ): the exact θᵢ + α∇ᵢ rounded once,
/// |θ̂ᵢ′ − θᵢ′| ≤ u·|θᵢ′| (u = 2⁻⁵³ in f64). So α∇ᵢ may overflow when θᵢ′ does not
/// (θ = \[−1e308\], ∇ = \[1e308\], α = 2 gives 1e308), and θ + α∇ ≈ 0 does not cancel
/// (θ = \[1\], ∇ = \[−10.000000001\], α = 0.1 gives −1.0000006378518833e-10; issue #16, item 5).
///
/// # Errors
/// `EmptyInput` (empty θ), `DimensionMismatch` (len ∇U ≠ len θ), `NonFiniteInput`,
/// `InvalidParameter` (α ≤ 0), `NonFiniteResult` (overflow).
///
/// ```
/// use nalgebra::dvector;
/// let theta = pgoracle::gradient_ascent(&dvector![0.0, 1.0], &dvector![2.0, -1.0], 0.5).unwrap();
/// assert_eq!(theta, dvector![1.0, 0.5]);
/// ```
pub fn gradient_ascent<T: Scalar>(
    theta: &DVector<T>,
    grad: &DVector<T>,
    alpha: T,
) -> Result<DVector<T>> {
    check_vector(theta, "theta")?;
    check_len(grad, theta.len(), "grad")?;
    check_vector(grad, "grad")?;
    check_positive(alpha, "alpha")?;
    finite_result(grad.zip_map(theta, |g, t| g.mul_add(alpha, t)), "theta")
}

/// Gradient scaling, Algorithm 12.2:
///
/// $$\operatorname{scale}(\nabla, L) = \min\left(\frac{L}{\lVert \nabla \rVert\_2}, 1\right) \nabla$$
///
/// scale_gradient(∇, L) = min(L / ‖∇‖₂, 1) ∇.
///
/// The direction is kept and the L2 norm limited to `l2_max`. Where the book's code is
/// undefined, pgoracle is explicit: the zero gradient scales to the zero vector (the book
/// gives NaN for L = 0), and the norm is computed with scaling so entries near 10^±200 neither
/// overflow nor underflow.
///
/// # Errors
/// `EmptyInput`, `NonFiniteInput`, `InvalidParameter` (l2_max < 0).
///
/// ```
/// use nalgebra::dvector;
/// let g = pgoracle::scale_gradient(&dvector![3.0, 4.0], 1.0).unwrap();
/// assert!((g - dvector![0.6, 0.8]).norm() < 1e-15);
/// ```
pub fn scale_gradient<T: Scalar>(grad: &DVector<T>, l2_max: T) -> Result<DVector<T>> {
    check_vector(grad, "grad")?;
    check_nonnegative(l2_max, "l2_max")?;
    let norm = stable_norm(grad);
    if norm == T::zero() {
        return Ok(DVector::zeros(grad.len()));
    }
    let factor = (l2_max / norm).min(T::one());
    let normal = smallest_normal::<T>();
    if factor < normal && l2_max > T::zero() {
        // L/‖∇‖ below the normal range (‖∇‖ ~ 1e240 with L ~ 1e-246, or ‖∇‖ = ∞ because it
        // exceeds MAX although every entry is finite) underflows to 0, or keeps only a few bits
        // as a subnormal, although the scaled gradient, of norm L, is representable. With
        // s = max|∇ᵢ| and ∇̂ = ∇/s it is ∇·c, c = (L/s)/‖∇̂‖, when c is normal, else (∇̂/‖∇̂‖)·L.
        // Found by fuzzing (`fuzz_regressions::scale_gradient_factor_below_the_normal_range`,
        // `…_norm_beyond_the_largest_float`, `…_norm_beyond_the_largest_float_with_tiny_entries`).
        let s = grad.amax();
        let unit_norm = stable_norm(&(grad / s));
        let c = l2_max / s / unit_norm;
        let scaled = if c >= normal {
            grad * c
        } else {
            grad / s / unit_norm * l2_max
        };
        return finite_result(scaled, "grad");
    }
    finite_result(grad * factor, "grad")
}

/// Gradient clipping, Algorithm 12.2: elementwise clamp(∇ᵢ, a, b) = min(max(∇ᵢ, a), b).
///
/// $$\operatorname{clip}(\nabla, a, b)\_i = \min(\max(\nabla\_i, a), b)$$
///
/// # Errors
/// `EmptyInput`, `NonFiniteInput` (also for infinite bounds), `InvalidParameter` (lo > hi; the
/// book's `clamp.` is undefined there).
///
/// ```
/// use nalgebra::dvector;
/// let g = pgoracle::clip_gradient(&dvector![-3.0, 0.5, 2.0], -1.0, 1.0).unwrap();
/// assert_eq!(g, dvector![-1.0, 0.5, 1.0]);
/// ```
pub fn clip_gradient<T: Scalar>(grad: &DVector<T>, lo: T, hi: T) -> Result<DVector<T>> {
    check_vector(grad, "grad")?;
    check_clip_bounds(lo, hi)?;
    Ok(grad.map(|x| x.max(lo).min(hi)))
}

/// The bounds of [`clip_gradient`]: finite, with lo ≤ hi (equal bounds are allowed).
///
/// # Errors
/// `NonFiniteInput` naming `lo` or `hi`; `InvalidParameter` naming `lo` when lo > hi (the book
/// leaves it undefined).
pub fn check_clip_bounds<T: Scalar>(lo: T, hi: T) -> Result<()> {
    check_finite(lo, "lo")?;
    check_finite(hi, "hi")?;
    if lo > hi {
        return Err(PgError::invalid(
            "lo",
            format!("lower bound {lo} exceeds upper bound {hi}"),
        ));
    }
    Ok(())
}

/// The result of [`scale_gradient_with`]: the scaled gradient, the norm the coefficient was
/// computed from (`clip_grad_norm_`'s return value) and where the computation departed from
/// the mathematics.
#[derive(Debug, Clone, PartialEq)]
pub struct ClippedNorm<T> {
    /// The scaled gradient.
    pub grad: DVector<T>,
    /// ‖∇‖₂ as computed under the `norm` convention (torch's `total_norm`).
    pub total_norm: T,
    /// The departures of this evaluation (none under the book's conventions).
    pub departures: Vec<Departure>,
}

/// Gradient scaling under explicit conventions (`norm`, `clip_norm_epsilon`, `nonfinite` of
/// `shared/spec/profiles.md`): with (`Scaled`, 0, `Error`) it is [`scale_gradient`], bit for
/// bit, and with torch's (`Naive`, 10⁻⁶, `Propagate`) it is torch 2.15's
/// `clip_grad_norm_(p, max_norm=l2_max, norm_type=2)` on one tensor
/// (`torch/nn/utils/clip_grad.py`: `_get_total_norm`, `_clip_grads_with_norm_`,
/// `clip_grad_norm_`; `docs/peer-sources.md` §3.1):
///
/// $$n = \lVert \nabla \rVert\_2,\quad c = \min\left(\frac{L}{n + \epsilon}, 1\right),\quad \nabla \leftarrow c\,\nabla$$
///
/// n = ‖∇‖₂, c = min(L/(n + ε), 1), ∇ ← c·∇, returning (c·∇, n).
///
/// - `Norm::Naive`: n = √(Σ∇ᵢ²), summed in order in the scalar's precision (ATen's unscaled
///   `linalg.vector_norm`): Σ∇ᵢ² overflows to ∞ (c = 0, the gradient becomes 0) or underflows
///   to 0. One entry is the exception: its norm is |∇₀| exactly, as torch's. The coefficient is evaluated as torch does: `max_norm / (total_norm + 1e-6)` is
///   `Tensor.__rdiv__`, `(total_norm + 1e-6).reciprocal() * max_norm`, two roundings, and
///   ε is added in the scalar's precision (pass `f32(1e-6)` for f32). `clamp(max=1.0)` keeps a
///   NaN, and the gradient is always multiplied, by 1 too. With ε = 0 and n = 0, c = 1/0·L is
///   taken as 1 for L > 0 and 0 for L = 0 (the book's choice for the zero gradient).
/// - `Norm::Scaled`: n is the accurate [`stable_norm`] (the naive sum when an entry is NaN or
///   ∞). When ε is absorbed, n + ε = n (always for ε = 0), the result is [`scale_gradient`]'s,
///   which also rescales when L/n leaves the normal range. Otherwise c = L/(n + ε) is one
///   correctly rounded division, min(c, 1), and ∇·c: the accurate norm combined with the
///   epsilon, so a gradient longer than L is scaled to L·n/(n + ε).
/// - `Nonfinite::Error`: a NaN or ∞ entry is `NonFiniteInput`, L < 0 is `InvalidParameter`, and
///   a non-finite `total_norm` or entry of the result is `NonFiniteResult` — except that under
///   `Scaled` `total_norm` is ∞ when ‖∇‖ exceeds the largest float although every entry is
///   finite, as [`scale_gradient`] computes the scaled gradient exactly there.
/// - `Nonfinite::Propagate`: no check beyond torch's (`max_norm = float(max_norm)`): NaN and ∞
///   entries propagate (∇ = \[∞, 1, −2\] gives n = ∞, c = 0, \[NaN, 0, −0\]), and L < 0 reverses
///   the gradient as torch does.
///
/// Departures: [`Departure::NormOverflow`] when Σ∇ᵢ² overflowed to ∞ with finite entries or
/// underflowed to 0 with a nonzero entry (`Naive` only); [`Departure::NormEpsilon`] when ε > 0
/// and c < 1; [`Departure::NonfinitePropagated`] when `total_norm` or an entry of the result is
/// NaN or ∞ under `Propagate`.
///
/// # Errors
/// `EmptyInput`; `InvalidParameter` (ε < 0 or NaN, and under `Error` L < 0); under `Error`,
/// `NonFiniteInput` and `NonFiniteResult`.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::conventions::{Nonfinite, Norm};
/// // torch-scale_gradient-overflow-1e200-f64 (torch 2.15.0): the norm overflows, the gradient
/// // is scaled by 0.
/// let r = pgoracle::scale_gradient_with(&dvector![1e200, 1e200, 0.0], 1.0, Norm::Naive, 1e-6,
///     Nonfinite::Propagate).unwrap();
/// assert_eq!(r.total_norm, f64::INFINITY);
/// assert_eq!(r.grad, dvector![0.0, 0.0, 0.0]);
/// ```
pub fn scale_gradient_with<T: Scalar>(
    grad: &DVector<T>,
    l2_max: T,
    norm: Norm,
    clip_norm_epsilon: T,
    nonfinite: Nonfinite,
) -> Result<ClippedNorm<T>> {
    if grad.is_empty() {
        return Err(PgError::empty("grad"));
    }
    check_nonnegative(clip_norm_epsilon, "clip_norm_epsilon")?;
    let propagate = nonfinite == Nonfinite::Propagate;
    if !propagate {
        check_vector(grad, "grad")?;
        check_nonnegative(l2_max, "l2_max")?;
    }
    let entries_finite = grad.iter().all(|x| x.is_finite());
    let eps = clip_norm_epsilon;
    let mut departures = Vec::new();
    let (scaled, total_norm, coef_below_one) = match norm {
        Norm::Scaled => {
            let total = if entries_finite {
                stable_norm(grad)
            } else {
                naive_norm(grad)
            };
            if entries_finite && l2_max.is_finite() && l2_max >= T::zero() && total + eps == total {
                // ε is absorbed (ε = 0, or n ≫ ε): c = min(L/n, 1) is the book's coefficient.
                let scaled = scale_gradient(grad, l2_max)?;
                (scaled, total, l2_max < total)
            } else {
                let coef = clamp_to_one(l2_max / (total + eps));
                (grad.map(|g| g * coef), total, coef < T::one())
            }
        }
        Norm::Naive => {
            let total = naive_norm(grad);
            let any_nonzero = grad.iter().any(|x| *x != T::zero());
            if entries_finite && (!total.is_finite() || (total == T::zero() && any_nonzero)) {
                departures.push(Departure::NormOverflow);
            }
            let denominator = total + eps;
            let coef = if denominator == T::zero() && l2_max >= T::zero() {
                if l2_max > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            } else {
                // torch: `max_norm / (total_norm + 1e-6)` is `(…).reciprocal() * max_norm`.
                (T::one() / denominator) * l2_max
            };
            let coef = clamp_to_one(coef);
            (grad.map(|g| g * coef), total, coef < T::one())
        }
    };
    // ε changed the coefficient only where ‖g‖ + ε ≠ ‖g‖ (not for an overflowed ∞ norm).
    if eps > T::zero() && coef_below_one && total_norm + eps != total_norm {
        departures.push(Departure::NormEpsilon);
    }
    let nonfinite_output = !total_norm.is_finite() || scaled.iter().any(|x| !x.is_finite());
    // An overflowing naive norm with finite entries is the `norm` convention's departure (the
    // gradient is scaled by 0, a finite result); only a non-finite gradient is an error.
    if nonfinite_output && propagate {
        departures.push(Departure::NonfinitePropagated);
    }
    let grad = if propagate {
        scaled
    } else {
        finite_result(scaled, "grad")?
    };
    Ok(ClippedNorm {
        grad,
        total_norm,
        departures,
    })
}

/// √(Σ xᵢ²) summed in order, unscaled: ATen's 2-norm, which over- and underflows.
fn naive_norm<T: Scalar>(v: &DVector<T>) -> T {
    // torch 2.15's `linalg.vector_norm` of one entry is |x| exactly ([1e155] → 1e155,
    // [1e-158] → 1e-158, measured; found by `pgoracle hunt --profile torch`, docs/hunting.md).
    if v.len() == 1 {
        return v[0].abs();
    }
    v.iter().fold(T::zero(), |acc, x| acc + *x * *x).sqrt()
}

/// min(c, 1) keeping a NaN (torch's `clamp(max=1.0)`).
fn clamp_to_one<T: Scalar>(c: T) -> T {
    if c > T::one() { T::one() } else { c }
}

/// True for a NaN (its real part, for a dual number).
fn is_nan<T: Scalar>(x: T) -> bool {
    x.partial_cmp(&x).is_none()
}

/// Gradient clipping under the `nonfinite` convention: with `Error` it is [`clip_gradient`],
/// bit for bit; with `Propagate` it is torch 2.15's `clip_grad_value_(p, clip_value)` with
/// lo = −clip_value, hi = clip_value (the caller maps; `torch/nn/utils/clip_grad.py`
/// `clip_grad_value_`: `torch._foreach_clamp_min_(grads, -clip_value)` then
/// `torch._foreach_clamp_max_(grads, clip_value)`, `docs/peer-sources.md` §3.1):
///
/// $$\operatorname{clip}(\nabla, a, b)\_i = \min(\max(\nabla\_i, a), b)$$
///
/// clip(∇, a, b)ᵢ = min(max(∇ᵢ, a), b), the maximum first, each as ATen's comparison
/// (`max(x, a)` = a if x < a else x; `min(y, b)` = b if b < y else y), so a NaN entry or bound
/// stays NaN, ±∞ entries are clamped to the bounds, lo > hi (a negative clip value) sets every
/// entry to hi, and clip_value = 0 keeps −0 for a negative entry (torch
/// `torch-clip_gradient-zero-clip-value`). Under `Propagate` no bound is checked.
///
/// Departures: [`Departure::NonfinitePropagated`] when an entry of the result is NaN or ∞.
///
/// # Errors
/// `EmptyInput`; under `Error`, those of [`clip_gradient`].
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::conventions::Nonfinite;
/// let (g, _) = pgoracle::clip_gradient_with(&dvector![f64::NAN, 5.0, -5.0], -1.0, 1.0,
///     Nonfinite::Propagate).unwrap();
/// assert!(g[0].is_nan());
/// assert_eq!((g[1], g[2]), (1.0, -1.0));
/// ```
pub fn clip_gradient_with<T: Scalar>(
    grad: &DVector<T>,
    lo: T,
    hi: T,
    nonfinite: Nonfinite,
) -> Result<(DVector<T>, Vec<Departure>)> {
    if nonfinite == Nonfinite::Error {
        return Ok((clip_gradient(grad, lo, hi)?, Vec::new()));
    }
    if grad.is_empty() {
        return Err(PgError::empty("grad"));
    }
    let clipped = grad.map(|x| {
        if is_nan(x) {
            x
        } else if is_nan(lo) {
            lo
        } else if is_nan(hi) {
            hi
        } else {
            let y = if x < lo { lo } else { x };
            if hi < y { hi } else { y }
        }
    });
    let departures = if clipped.iter().all(|x| x.is_finite()) {
        Vec::new()
    } else {
        vec![Departure::NonfinitePropagated]
    };
    Ok((clipped, departures))
}
