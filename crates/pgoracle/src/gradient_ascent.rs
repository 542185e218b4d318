//! Section 12.1: the gradient ascent update (Algorithm 12.1) and gradient scaling and
//! clipping (Algorithm 12.2).

use nalgebra::DVector;

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
