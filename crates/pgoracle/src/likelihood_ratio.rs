//! Trajectory scores and likelihood-ratio gradient estimates, as Algorithms 12.3–12.5 compute
//! them from sampled trajectories.

use nalgebra::DVector;

use crate::compensated::dot2;
use crate::error::Result;
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
