//! Section 12.2: the restricted gradient update (Eq. 12.6, Algorithm 12.3).

use nalgebra::DVector;

use crate::compensated::power_of_two_near;
use crate::error::{PgError, Result};
use crate::extended::mul_pow2;
use crate::likelihood_ratio::likelihood_ratio_gradient;
use crate::likelihood_ratio::scaled_likelihood_ratio_gradient;
use crate::policy::Policy;
use crate::scalar::{
    Scalar, check_len, check_positive, check_vector, finite_result, lit, stable_norm,
};
use crate::trajectory::Trajectory;

/// Restricted step, Eq. (12.6): the solution of
/// maximize ∇U(θ)ᵀ(θ′ − θ) subject to ½(θ′ − θ)ᵀ I (θ′ − θ) = ε (Eq. 12.5),
///
/// $$\theta^{\prime} = \theta + \mathbf{u} \sqrt{\frac{2\epsilon}{\mathbf{u}^\top \mathbf{u}}} = \theta + \sqrt{2\epsilon} \frac{\mathbf{u}}{\lVert \mathbf{u} \rVert}$$
///
/// θ′ = θ + u √(2ε / uᵀu) = θ + √(2ε) u / ‖u‖, with u = ∇U(θ).
///
/// pgoracle evaluates the right-hand form with an overflow-free norm, so gradients with
/// entries near 10^±200 still give a step of length exactly √(2ε) (up to rounding).
/// The length is √(ε + ε), or √(ε/2)·2 when 2ε overflows (ε/2 and ·2 are exact, so both are
/// correctly rounded: ε = 1e308 gives 1.414213562373095e154), and each entry is one fused
/// multiply-add, θᵢ′ = fma(uᵢ/‖u‖, √(2ε), θᵢ). Bound: |θ̂ᵢ′ − θᵢ′| ≤ u·|θᵢ′| + (n/2 + 4)·u·|Δᵢ|,
/// Δ = θ′ − θ (issue #16, item 5).
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter` (ε ≤ 0),
/// `ZeroGradient` (u = 0: the book divides 0 by 0 and returns NaN), `NonFiniteResult`.
///
/// ```
/// use nalgebra::dvector;
/// let theta = pgoracle::restricted_step(&dvector![0.0, 0.0], &dvector![3.0, 4.0], 0.5).unwrap();
/// assert!((theta - dvector![0.6, 0.8]).norm() < 1e-15); // step length √(2·0.5) = 1
/// ```
pub fn restricted_step<T: Scalar>(
    theta: &DVector<T>,
    grad: &DVector<T>,
    epsilon: T,
) -> Result<DVector<T>> {
    check_vector(theta, "theta")?;
    check_len(grad, theta.len(), "grad")?;
    check_vector(grad, "grad")?;
    check_positive(epsilon, "epsilon")?;
    // u = ĝ/‖ĝ‖ with ĝ = g/2^k, 2^k near ‖g‖∞: the scaling is exact, and ‖ĝ‖ is never subnormal
    // (g = [1e-320, −3e-320] has a subnormal ‖g‖ with ~11 bits: θ′ was 4e-5 off).
    let scale = power_of_two_near(grad.amax());
    // × 1/2^k, the same float as ÷ 2^k, with a finite dual derivative (see `stable_norm`).
    let scaled = grad * (T::one() / scale);
    let norm = stable_norm(&scaled);
    if norm == T::zero() {
        return Err(PgError::ZeroGradient {
            field: "grad".into(),
        });
    }
    let length = step_length(epsilon);
    finite_result(
        scaled.zip_map(theta, |g, t| (g / norm).mul_add(length, t)),
        "theta",
    )
}

/// √(2ε), correctly rounded: √(ε + ε), or √(ε·½)·2 when ε + ε overflows (ε·½ is exact there).
fn step_length<T: Scalar>(epsilon: T) -> T {
    let two_eps = epsilon + epsilon;
    if two_eps.is_finite() {
        two_eps.sqrt()
    } else {
        (epsilon * lit::<T>(0.5)).sqrt() * lit::<T>(2.0)
    }
}

/// Result of [`restricted_update`].
#[derive(Debug, Clone, PartialEq)]
pub struct RestrictedUpdate<T: Scalar> {
    /// u = mean_τ ∇U(τ), the estimated gradient.
    pub grad: DVector<T>,
    /// θ′ = θ + u √(2ε / uᵀu).
    pub theta: DVector<T>,
}

/// The parameters of Algorithm 12.3, named so that γ and ε cannot be swapped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestrictedUpdateParams<T> {
    /// Discount factor γ ∈ [0, 1] of the returns.
    pub gamma: T,
    /// Step bound ε > 0: ½‖θ′ − θ‖² = ε (Eq. 12.3).
    pub epsilon: T,
}

/// Restricted policy update from sampled trajectories, Algorithm 12.3:
/// u = mean_τ ∇log p(τ) R(τ), then the restricted step of Eq. (12.6).
///
/// $$\mathbf{u} = \frac{1}{m} \sum\_{i=1}^{m} \nabla \log p(\tau^{(i)}) R(\tau^{(i)}), \qquad \theta^{\prime} = \theta + \mathbf{u} \sqrt{\frac{2\epsilon}{\mathbf{u}^\top \mathbf{u}}}$$
///
/// # Errors
/// Those of [`likelihood_ratio_gradient`] and [`restricted_step`].
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, RestrictedUpdateParams, Step, restricted_update};
/// // One step a = 1, r = 1 under N(0, 1): ∇log π = [1, 0], so u = [1, 0] and θ′ = θ + √(2ε)[1, 0].
/// let trajectories = vec![vec![Step { s: 0.0, a: 1.0, r: 1.0 }]];
/// let params = RestrictedUpdateParams { gamma: 1.0, epsilon: 0.5 };
/// let update = restricted_update(&Gaussian, &dvector![0.0, 1.0], &trajectories, &params).unwrap();
/// assert_eq!(update.theta, dvector![1.0, 1.0]);
/// ```
pub fn restricted_update<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    params: &RestrictedUpdateParams<T>,
) -> Result<RestrictedUpdate<T>> {
    check_positive(params.epsilon, "epsilon")?;
    let grad = likelihood_ratio_gradient(policy, theta, trajectories, params.gamma)?.grad;
    if grad.iter().all(|g| *g == T::zero())
        && let Some((scaled, exponent)) =
            scaled_likelihood_ratio_gradient(policy, theta, trajectories, params.gamma)?
        && scaled.grad.iter().any(|g| *g != T::zero())
    {
        // The gradient underflowed (returns below the range): θ′ depends only on g/‖g‖, so it
        // is the step of g·2^−E; `grad` is that × 2^E, rounded once (0 or subnormal).
        let theta = restricted_step(theta, &scaled.grad, params.epsilon)?;
        return Ok(RestrictedUpdate {
            grad: scaled.grad.map(|g| mul_pow2(g, exponent)),
            theta,
        });
    }
    let theta = restricted_step(theta, &grad, params.epsilon)?;
    Ok(RestrictedUpdate { grad, theta })
}
