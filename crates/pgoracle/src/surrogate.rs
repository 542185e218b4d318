//! Section 12.4: the surrogate objective (Eq. 12.18), the surrogate constraint (Eq. 12.19),
//! both as Algorithm 12.5 estimates them, and the KL-penalty objective (Eq. 12.24).

use nalgebra::DVector;

use crate::compensated::{CompensatedSum, pow_scaled};
use crate::error::Result;
use crate::policy::Policy;
use crate::scalar::{Scalar, check_discount, check_nonnegative, finite_scalar, lit};
use crate::trajectory::{Step, Trajectory, check_trajectories, rewards_to_go};

/// Likelihood ratio w = π_θ′(a | s) / π_θ(a | s), computed as exp(log w) so that densities
/// that underflow separately still give their ratio.
///
/// $$w = \frac{\pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)} = \exp\left(\log \pi\_{\theta^{\prime}}(a \mid s) - \log \pi\_\theta(a \mid s)\right)$$
///
/// log w comes from [`Policy::log_ratio`], formed from θ′ − θ rather than as the difference of
/// two separately rounded log-densities (issue #16, items 2 and 3):
///
/// - Gaussian families: log w = ln(σ/σ′) − ½(z′ − z)(z′ + z), with z′ − z =
///   fma(z, σ − σ′, (θ₁ − θ₁′)x)/σ′. A far-tail action (|z| = 10⁶) no longer loses u·z²:
///   θ = [0, 1] → [1e-7, 1] at a = 1234567.891 gives 1.131401114625368 (exact
///   1.1314011146253681), where the difference of log-densities gave 1.1312135738760538.
/// - Softmax: log w_a = e_a − ln(1 + S) with e = (θ′ − θ) − Σ_b p_b(θ′_b − θ_b) and S as in the
///   softmax KL.
///
/// With K = 1 + |log w| + |z′ − z|(|z| + |z′|) (Gaussian) or K = 4 + |log w| (softmax),
/// |log ŵ − log w| ≤ 4u·K and |ŵ − w| ≤ (4K + 1)u·w; K is the ratio's own condition.
///
/// # Errors
/// `ZeroProbability` when log π_θ(a | s) = −∞ (π_θ(a | s) = 0 even in log space),
/// `NonFiniteResult` when the ratio overflows, and the policy's θ checks.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, likelihood_ratio};
/// // N(0.5, 1) against N(0, 1) at a = 0: w = exp(−0.5²/2).
/// let w = likelihood_ratio(&Gaussian, &dvector![0.0, 1.0], &dvector![0.5, 1.0], &0.0, &0.0).unwrap();
/// assert!((w - (-0.125f64).exp()).abs() < 1e-15);
/// ```
pub fn likelihood_ratio<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    a: &P::Action,
    s: &P::State,
) -> Result<T> {
    finite_scalar(
        unbounded_ratio(policy, theta, theta_prime, a, s)?,
        "likelihood ratio",
    )
}

/// exp([`Policy::log_ratio`]), which may be +∞ when the ratio overflows: the clamped objective
/// decides a clamp on it before any overflow matters.
pub(crate) fn unbounded_ratio<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    a: &P::Action,
    s: &P::State,
) -> Result<T> {
    Ok(policy.log_ratio(theta, theta_prime, a, s)?.exp())
}

/// Checks shared by the Section 12.4–12.5 estimators: γ, θ, θ′ and the trajectories.
pub(crate) fn check_surrogate_inputs<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<()> {
    policy.check_theta(theta, "theta")?;
    policy.check_theta(theta_prime, "theta_prime")?;
    check_discount(gamma)?;
    check_trajectories(policy, trajectories)
}

/// Mean over trajectories of the mean over steps of `term(step, R(τ, k), k − 1)` — the
/// `mean(f(τ) for τ in τs)` with `f(τ) = mean(… for (k, (s,a,r)) in enumerate(τ))` shape of
/// Algorithms 12.5 and 12.6. Rewards-to-go are computed once per trajectory; a term that needs
/// the discount γ^(k−1) forms x·γ^(k−1) with [`pow_scaled`] from the exponent it is given, and
/// both means are compensated sums (issue #16, item 6).
pub(crate) fn mean_of_step_means<T: Scalar, S, A, F>(
    trajectories: &[Trajectory<S, A, T>],
    gamma: T,
    mut term: F,
) -> Result<T>
where
    F: FnMut(&Step<S, A, T>, T, usize) -> Result<T>,
{
    let mut total = CompensatedSum::default();
    for tau in trajectories {
        let rtg = rewards_to_go(tau, gamma);
        let mut acc = CompensatedSum::default();
        for (k, (step, r)) in tau.iter().zip(rtg).enumerate() {
            acc.add(term(step, r, k)?);
        }
        total.add(acc.total() / lit::<T>(tau.len() as f64));
    }
    Ok(total.total() / lit::<T>(trajectories.len() as f64))
}

/// Surrogate objective, Eq. (12.18) as estimated by `surrogate_objective` of Algorithm 12.5:
///
/// $$f(\theta, \theta^{\prime}) = \mathbb{E}\_{s \sim b\_{\gamma,\theta}}\left[\mathbb{E}\_{a \sim \pi\_\theta(\cdot \mid s)}\left[\frac{\pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)} Q\_\theta(s, a)\right]\right]$$
///
/// f(θ, θ′) ≈ mean_τ mean_k [π_θ′(a_k | s_k)/π_θ(a_k | s_k)] R(τ, k),
///
/// with Q_θ(s_k, a_k) estimated by the reward-to-go R(τ, k) = Σ_{ℓ≥k} r_ℓ γ^(ℓ−1), discounted
/// from the first step (footnote 7).
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `InvalidParameter` (γ, σ),
/// `ZeroProbability`, `NonFiniteResult`.
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, surrogate_objective};
/// let theta = example_12_1_theta::<f64>();
/// let f = surrogate_objective(&Gaussian, &theta, &theta, &example_12_1_trajectories(), 1.0).unwrap();
/// assert!((f - 1.485).abs() < 5e-4); // Example 12.1: f(θ, θ) = 1.485
/// ```
pub fn surrogate_objective<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<T> {
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, gamma)?;
    let value = mean_of_step_means(trajectories, gamma, |step, rtg, _| {
        let w = likelihood_ratio(policy, theta, theta_prime, &step.a, &step.s)?;
        Ok(w * rtg)
    })?;
    finite_scalar(value, "surrogate_objective")
}

/// The improvement f(θ, θ′) − f(θ, θ) of the surrogate objective (Eq. 12.18), the quantity
/// Algorithm 12.5's line search requires to be positive, formed without cancellation:
///
/// $$f(\theta, \theta^{\prime}) - f(\theta, \theta) \approx \operatorname{mean}\_\tau \operatorname{mean}\_k \left(w\_k - 1\right) R(\tau, k), \qquad w\_k - 1 = \operatorname{expm1}(\log w\_k)$$
///
/// (at θ′ = θ every ratio is exactly 1, so f(θ, θ) is the mean of the rewards-to-go). Each
/// w − 1 keeps its relative accuracy however close w is to 1, so the sign of the improvement
/// is that of the exact one unless the sum itself cancels to rounding level; the difference of
/// two separately rounded objectives (issue #16, item 8) decided a 1-ulp "improvement"
/// (2.389847493104313 against 2.3898474931043125) by the last bit.
///
/// # Errors
/// As [`surrogate_objective`].
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, Step, surrogate_improvement};
/// // One step, R = 1: w − 1 = exp(−0.125) − 1 at a = 0 for N(0.5, 1) against N(0, 1).
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r: 1.0 }]];
/// let d = surrogate_improvement(&Gaussian, &dvector![0.0, 1.0], &dvector![0.5, 1.0], &trajectories, 1.0)
///     .unwrap();
/// assert!((d - (-0.125f64).exp_m1()).abs() < 1e-16);
/// ```
pub fn surrogate_improvement<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<T> {
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, gamma)?;
    let value = mean_of_step_means(trajectories, gamma, |step, rtg, _| {
        let log_w = policy.log_ratio(theta, theta_prime, &step.a, &step.s)?;
        Ok(log_w.exp_m1() * rtg)
    })?;
    finite_scalar(value, "surrogate_improvement")
}

/// Surrogate constraint, Eq. (12.19) as estimated by `surrogate_constraint` of Algorithm 12.5:
///
/// $$g(\theta, \theta^{\prime}) = \mathbb{E}\_{s \sim b\_{\gamma,\theta}}\left[D\_{\mathrm{KL}}\left(\pi\_\theta(\cdot \mid s) \;\Vert\; \pi\_{\theta^{\prime}}(\cdot \mid s)\right)\right] \le \epsilon$$
///
/// g(θ, θ′) ≈ mean_τ mean_k D_KL(π_θ(·|s_k) ‖ π_θ′(·|s_k)) γ^(k−1).
///
/// Each KL is [`Policy::kl`], formed from θ′ − θ as a sum of non-negative terms (softmax:
/// ln_1p(Σ_b p_b φ(e_b)), Gaussian: ½ψ(σ/σ′) + ½z²), so it is never negative and keeps its
/// relative accuracy down to KL ≈ 1e-30 (issue #16, items 1 and 4): the line search's test
/// g ≤ ε is decided on a value within (8 + n)u of the exact one.
///
/// # Errors
/// As [`surrogate_objective`].
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, Step, surrogate_constraint};
/// // One step: D_KL(N(0, 1) ‖ N(0.5, 1)) = 0.5²/2 = 0.125.
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r: 1.0 }]];
/// let g = surrogate_constraint(&Gaussian, &dvector![0.0, 1.0], &dvector![0.5, 1.0], &trajectories, 1.0)
///     .unwrap();
/// assert!((g - 0.125f64).abs() < 1e-15);
/// ```
pub fn surrogate_constraint<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
) -> Result<T> {
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, gamma)?;
    let value = mean_of_step_means(trajectories, gamma, |step, _, k| {
        Ok(pow_scaled(
            policy.kl(theta, theta_prime, &step.s)?,
            gamma,
            k,
        ))
    })?;
    finite_scalar(value, "surrogate_constraint")
}

/// KL-penalty objective, Eq. (12.24): the surrogate objective minus β times the surrogate
/// constraint, f(θ, θ′) − β g(θ, θ′), with β ≥ 0.
///
/// $$\mathbb{E}\left[\frac{\pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)} A\_\theta(s, a) - \beta D\_{\mathrm{KL}}\left(\pi\_\theta(\cdot \mid s) \;\Vert\; \pi\_{\theta^{\prime}}(\cdot \mid s)\right)\right]$$
///
/// # Errors
/// As [`surrogate_objective`], and `InvalidParameter` for β < 0.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, Step, kl_penalty_objective};
/// // f = w·R = exp(−0.125)·1, g = 0.125, β = 2: f − βg.
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r: 1.0 }]];
/// let value = kl_penalty_objective(
///     &Gaussian, &dvector![0.0, 1.0], &dvector![0.5, 1.0], &trajectories, 1.0, 2.0,
/// )
/// .unwrap();
/// assert!((value - ((-0.125f64).exp() - 2.0 * 0.125)).abs() < 1e-15);
/// ```
pub fn kl_penalty_objective<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    beta: T,
) -> Result<T> {
    check_nonnegative(beta, "beta")?;
    let f = surrogate_objective(policy, theta, theta_prime, trajectories, gamma)?;
    let g = surrogate_constraint(policy, theta, theta_prime, trajectories, gamma)?;
    finite_scalar(f - beta * g, "kl_penalty_objective")
}
