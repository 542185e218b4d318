//! Trajectory scores and likelihood-ratio gradient estimates, as Algorithms 12.3–12.5 compute
//! them from sampled trajectories.

use nalgebra::DVector;

use crate::compensated::{dot2, pow_scaled};
use crate::error::Result;
use crate::extended::{common_exponent, discounted_return_split, split_exponent};
use crate::policy::Policy;
use crate::scalar::{Scalar, check_discount, finite_result, lit};
use crate::trajectory::{Trajectory, check_trajectories, discounted_return, mean_vector};

/// Score of a trajectory, ∇_θ log p(τ | θ) = Σ_{k=1}^{d} ∇_θ log π_θ(a_k | s_k)
/// (the transition terms of log p(τ | θ) do not depend on θ).
///
/// $$\nabla\_\theta \log p(\tau \mid \theta) = \sum\_{k=1}^{d} \nabla\_\theta \log \pi\_\theta(a^{(k)} \mid s^{(k)})$$
///
/// # Errors
/// Those of [`crate::trajectory::check_trajectories`] and [`Policy::check_theta`].
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, score};
/// // Example 12.1, τ₁: ∇log p(τ₁) = [Σa, Σ(a² − 1)] = [2.012, 1.430242] at θ = [0, 1].
/// let s = score(&Gaussian, &example_12_1_theta::<f64>(), &example_12_1_trajectories()[0]).unwrap();
/// assert!((s[0] - 2.012).abs() < 1e-12 && (s[1] - 1.430242).abs() < 1e-12);
/// ```
pub fn score<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    tau: &Trajectory<P::State, P::Action, T>,
) -> Result<DVector<T>> {
    policy.check_theta(theta, "theta")?;
    check_trajectories(policy, std::slice::from_ref(tau))?;
    score_unchecked(policy, theta, tau)
}

/// Scores of every trajectory, [∇log p(τ⁽¹⁾), …, ∇log p(τ⁽ᵐ⁾)].
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter`, `NonFiniteResult`.
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, scores};
/// let s = scores(&Gaussian, &example_12_1_theta::<f64>(), &example_12_1_trajectories()).unwrap();
/// assert!((s[1][0] + 0.111).abs() < 1e-12 && (s[1][1] - 7.550609).abs() < 1e-12); // τ₂
/// ```
pub fn scores<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
) -> Result<Vec<DVector<T>>> {
    policy.check_theta(theta, "theta")?;
    check_trajectories(policy, trajectories)?;
    trajectories
        .iter()
        .map(|tau| score_unchecked(policy, theta, tau))
        .collect()
}

fn score_unchecked<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    tau: &Trajectory<P::State, P::Action, T>,
) -> Result<DVector<T>> {
    let mut acc = DVector::zeros(theta.len());
    for step in tau {
        acc += policy.grad_log_density(theta, &step.a, &step.s)?;
    }
    finite_result(acc, "score")
}

/// Σᵢ scoresᵢ·Rᵢ / m, component by component with Dot2; the compensated mean of the rounded
/// products `grads` where that overflows.
fn mean_of_products<T: Scalar>(
    scores: &[DVector<T>],
    returns: &DVector<T>,
    grads: &[DVector<T>],
) -> DVector<T> {
    let n = scores.first().map_or(0, |s| s.len());
    let m = lit::<T>(scores.len() as f64);
    let mean = DVector::from_fn(n, |j, _| {
        let column = DVector::from_iterator(scores.len(), scores.iter().map(|s| s[j]));
        dot2(&column, returns) / m
    });
    if mean.iter().all(|x| x.is_finite()) {
        mean
    } else {
        mean_vector(grads)
    }
}

/// Per-trajectory likelihood-ratio gradient estimates and their mean:
///
/// ∇U(τ) = ∇log p(τ | θ) R(τ), with R(τ) = Σ_k r_k γ^(k−1), and ∇U(θ) ≈ mean_τ ∇U(τ)
/// (Algorithms 12.3 and 12.4; the estimator of Chapter 11).
#[derive(Debug, Clone, PartialEq)]
pub struct LikelihoodRatioGradient<T: Scalar> {
    /// ∇log p(τ⁽ⁱ⁾) for each trajectory.
    pub scores: Vec<DVector<T>>,
    /// ∇U(τ⁽ⁱ⁾) = ∇log p(τ⁽ⁱ⁾) R(τ⁽ⁱ⁾) for each trajectory.
    pub grads: Vec<DVector<T>>,
    /// mean_i ∇U(τ⁽ⁱ⁾).
    pub grad: DVector<T>,
}

/// Likelihood-ratio gradient estimate from trajectories (see [`LikelihoodRatioGradient`]).
///
/// R(τ) is the compensated return of [`discounted_return`], and each component of the mean is
/// one Dot2 (Ogita–Rump–Oishi) of the scores with the returns, divided by m:
/// ∇U_j = Dot2(∇log p(τ⁽·⁾)_j, R)/m, |err| ≤ 2u·|∇U_j| + γ²ₘ·Σᵢ|∇log p(τ⁽ⁱ⁾)_j R(τ⁽ⁱ⁾)|/m
/// (issue #16, item 6). If that overflows although the mean does not, the compensated mean of
/// the per-trajectory products is used.
///
/// $$\nabla U(\tau) = \nabla \log p(\tau) R(\tau), \qquad R(\tau) = \sum\_{k=1}^{d} r^{(k)} \gamma^{k-1}$$
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter` (γ ∉ [0, 1],
/// σ ≤ 0), `NonFiniteResult`.
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, likelihood_ratio_gradient};
/// let lr = likelihood_ratio_gradient(&Gaussian, &example_12_1_theta::<f64>(), &example_12_1_trajectories(), 1.0)
///     .unwrap();
/// // Example 12.1 prints ∇U = [2.030, 1.020].
/// assert!((lr.grad[0] - 2.030).abs() < 5e-4 && (lr.grad[1] - 1.020).abs() < 5e-4);
/// ```
pub fn likelihood_ratio_gradient<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<LikelihoodRatioGradient<T>> {
    check_discount(gamma)?;
    let scores = scores(policy, theta, trajectories)?;
    let returns = DVector::from_iterator(
        trajectories.len(),
        trajectories.iter().map(|tau| discounted_return(tau, gamma)),
    );
    let grads = scores
        .iter()
        .zip(returns.iter())
        .map(|(score, r)| finite_result(score * *r, "grads"))
        .collect::<Result<Vec<_>>>()?;
    let grad = finite_result(mean_of_products(&scores, &returns, &grads), "grad")?;
    Ok(LikelihoodRatioGradient {
        scores,
        grads,
        grad,
    })
}

/// [`likelihood_ratio_gradient`] with every return R(τ) scaled by one power of two 2^−E, and
/// E: ∇Û = ∇U·2^−E, from returns kept as m·2^e ([`discounted_return_split`]). For the steps
/// whose result does not depend on the gradient's scale (Eqs. 12.6 and 12.12), when the plain
/// gradient underflows to 0 although it is not 0: returns discounted below the precision's range
/// (5.5e18·γ¹⁷ with γ = 2.2e-5 is 1e-60, 0 in f32) or rewards ~1e-290 against scores ~1e-61.
/// `None` when every return is exactly 0.
///
/// # Errors
/// As [`likelihood_ratio_gradient`].
pub(crate) fn scaled_likelihood_ratio_gradient<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<Option<(LikelihoodRatioGradient<T>, i32)>> {
    check_discount(gamma)?;
    let scores = scores(policy, theta, trajectories)?;
    // The compensated return where it is not 0; where it is, the split return only if every
    // term r_k·γ^(k−1) underflows on its own (then the 0 is underflow, not cancellation:
    // [−1, 1e16, 1, −1e16] sums to exactly 0, which plain Horner would make −1).
    let split: Vec<(T, i32)> = trajectories
        .iter()
        .map(|tau| {
            let r = discounted_return(tau, gamma);
            let underflows = tau
                .iter()
                .enumerate()
                .all(|(k, step)| pow_scaled(step.r, gamma, k) == T::zero());
            if r != T::zero() || !underflows {
                split_exponent(r)
            } else {
                discounted_return_split(tau, gamma)
            }
        })
        .collect();
    if split.iter().all(|(m, _)| *m == T::zero()) {
        return Ok(None);
    }
    let (returns, exponent) = common_exponent(&split);
    let grads = scores
        .iter()
        .zip(returns.iter())
        .map(|(score, r)| finite_result(score * *r, "grads"))
        .collect::<Result<Vec<_>>>()?;
    let grad = finite_result(mean_of_products(&scores, &returns, &grads), "grad")?;
    Ok(Some((
        LikelihoodRatioGradient {
            scores,
            grads,
            grad,
        },
        exponent,
    )))
}
