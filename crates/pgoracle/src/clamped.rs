//! Section 12.5: the clamped surrogate objective (Eq. 12.22), its gradient (Eq. 12.23) and
//! the clamped surrogate update (Algorithm 12.6), the core of PPO.

use nalgebra::DVector;

use crate::compensated::{CompensatedSum, exp_m1_minus};
use crate::conventions::ClipBoundaryGradient;
use crate::decision::{Decision, DecisionKind};
use crate::error::{PgError, Result};
use crate::limits::MAX_ITERATIONS;
use crate::policy::Policy;
use crate::scalar::{Scalar, check_discount, check_positive, finite_result, finite_scalar, lit};
use crate::surrogate::{check_surrogate_inputs, mean_of_step_means, unbounded_ratio};
use crate::trajectory::{Trajectory, rescaled_rewards, rewards_to_go};

/// clamp(x, a, b) = min(max(x, a), b), as defined in Section 12.5.
pub fn clamp<T: Scalar>(x: T, lo: T, hi: T) -> T {
    x.max(lo).min(hi)
}

/// Whether a step's contribution is clamped away in Algorithm 12.6: the reward-to-go is
/// positive and w > 1 + ε, or negative and w < 1 − ε (strict inequalities, comparisons with
/// zero — book-code-notes §1 corrects the OCR's `r_togo > θ`). Decided on [`clamp_margin`].
pub fn is_clamped<T: Scalar>(w: T, reward_to_go: T, epsilon: T) -> bool {
    clamp_margin(w, reward_to_go, epsilon).is_some_and(|m| m > T::zero())
}

/// The margin of the clamp decision of Eq. (12.23): (w − 1) − ε when R > 0, (1 − w) − ε when
/// R < 0 (clamped when > 0), `None` when R = 0 (no decision: the contribution is 0 either
/// way). w − 1 is exact for w ∈ [½, 2] (Sterbenz), so the margin carries only the rounding of
/// w and of one subtraction, where w > 1 + ε also rounded 1 + ε.
pub fn clamp_margin<T: Scalar>(w: T, reward_to_go: T, epsilon: T) -> Option<T> {
    if reward_to_go > T::zero() {
        Some((w - T::one()) - epsilon)
    } else if reward_to_go < T::zero() {
        Some((T::one() - w) - epsilon)
    } else {
        None
    }
}

/// The clamp decisions of one evaluation: those taken, in sample order, and the sample
/// indices whose decision is flipped (another implementation's branch at an indeterminate
/// decision; empty for the book's).
struct ClampTrace<'a, T> {
    flipped: &'a [usize],
    decisions: Vec<Decision<T>>,
    next: usize,
}

impl<T: Scalar> ClampTrace<'_, T> {
    /// Records the decision of the next sample and says whether it is clamped.
    fn decide(&mut self, w: T, reward_to_go: T, epsilon: T) -> bool {
        let at = self.next;
        self.next += 1;
        let Some(margin) = clamp_margin(w, reward_to_go, epsilon) else {
            return false;
        };
        let decision = Decision {
            kind: DecisionKind::Clamp,
            at,
            margin,
            terms: [w, epsilon],
        };
        self.decisions.push(decision);
        decision.holds() != self.flipped.contains(&at)
    }
}

/// Clamped surrogate objective, Eq. (12.22), with Q_θ(s, a) estimated by the reward-to-go as
/// the book's code does, averaged like Algorithm 12.6's gradient:
///
/// $$\mathbb{E}\left[\min\left(\frac{\pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)} A\_\theta(s, a), \operatorname{clamp}\left(\frac{\pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)}, 1 - \epsilon, 1 + \epsilon\right) A\_\theta(s, a)\right)\right]$$
///
/// mean_τ mean_k min(w_k R(τ,k), clamp(w_k, 1 − ε, 1 + ε) R(τ,k)),
/// w_k = π_θ′(a_k | s_k)/π_θ(a_k | s_k).
///
/// # Errors
/// As [`crate::surrogate_objective`], and `InvalidParameter` for ε ≤ 0.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, Step, clamped_objective};
/// // At a = 0, N(0, 0.5²) against N(0, 1) has ratio w = 2 > 1 + ε: min(2·1, 1.2·1) = 1.2.
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r: 1.0 }]];
/// let f = clamped_objective(&Gaussian, &dvector![0.0, 1.0], &dvector![0.0, 0.5], &trajectories, 1.0, 0.2)
///     .unwrap();
/// assert!((f - 1.2f64).abs() < 1e-15);
/// ```
pub fn clamped_objective<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
) -> Result<T> {
    check_positive(epsilon, "epsilon")?;
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, gamma)?;
    let lo = T::one() - epsilon;
    let hi = T::one() + epsilon;
    let value = mean_of_step_means(trajectories, gamma, |step, rtg, _| {
        if rtg == T::zero() {
            return Ok(T::zero());
        }
        // An overflowing ratio with a positive reward-to-go is clamped: min(∞, (1 + ε)R).
        let w = unbounded_ratio(policy, theta, theta_prime, &step.a, &step.s)?;
        finite_scalar((w * rtg).min(clamp(w, lo, hi) * rtg), "clamped_objective")
    })?;
    finite_scalar(value, "clamped_objective")
}

/// Gradient of the clamped objective with respect to θ′, Eq. (12.23) and `clamped_gradient`
/// of Algorithm 12.6:
///
/// $$\nabla\_{\theta^{\prime}} f(\theta, \theta^{\prime}) = \mathbb{E}\_{s \sim b\_{\gamma,\theta}}\left[\mathbb{E}\_{a \sim \pi\_\theta(\cdot \mid s)}\left[\frac{\nabla\_{\theta^{\prime}} \pi\_{\theta^{\prime}}(a \mid s)}{\pi\_\theta(a \mid s)} Q\_\theta(s, a)\right]\right]$$
///
/// mean_τ mean_k [0 if clamped, else ∇π_θ′(a_k | s_k) R(τ,k) / π_θ(a_k | s_k)],
///
/// where "clamped" is [`is_clamped`]. ∇π_θ′/π_θ is evaluated as w ∇log π_θ′ (the same
/// quantity), so densities that underflow separately still give a finite contribution. w is
/// exp([`Policy::log_ratio`]), formed from θ′ − θ: a far-tail Gaussian action (|z| = 10⁶) no
/// longer loses u·z² in w, which had flipped clamp decisions (issue #16, item 3).
///
/// # Errors
/// As [`clamped_objective`].
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{Gaussian, Step, clamped_gradient};
/// // Same step as `clamped_objective`'s example: w = 2 > 1 + ε with R > 0 is clamped away.
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r: 1.0 }]];
/// let g = clamped_gradient(&Gaussian, &dvector![0.0, 1.0], &dvector![0.0, 0.5], &trajectories, 1.0, 0.2)
///     .unwrap();
/// assert_eq!(g, dvector![0.0, 0.0]);
/// ```
pub fn clamped_gradient<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
) -> Result<DVector<T>> {
    clamped_gradient_traced(
        policy,
        theta,
        theta_prime,
        trajectories,
        gamma,
        epsilon,
        &[],
    )
    .map(|(grad, _)| grad)
}

/// [`clamped_gradient`] with its clamp decisions ([`Decision`], `at` = the sample's index over
/// all trajectories in order; none for a reward-to-go of 0), taking the other branch at the
/// sample indices in `flipped` (`&[]` for the book's). `pgoracle check` evaluates with it the
/// branch another implementation took at an indeterminate clamp.
///
/// # Errors
/// As [`clamped_gradient`].
pub fn clamped_gradient_traced<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
    flipped: &[usize],
) -> Result<(DVector<T>, Vec<Decision<T>>)> {
    clamped_gradient_with(
        policy,
        theta,
        theta_prime,
        trajectories,
        gamma,
        epsilon,
        flipped,
        ClipBoundaryGradient::Book,
    )
    .map(|(grad, decisions, _)| (grad, decisions))
}

/// The clamped gradient, its clamp decisions, and the samples whose ratio sat exactly on a
/// clip bound ([`clamped_gradient_with`]).
pub type TracedGradient<T> = (DVector<T>, Vec<Decision<T>>, Vec<usize>);

/// [`clamped_gradient_traced`] under the `clip_boundary_gradient` convention
/// (`shared/spec/profiles.md`): `book` is Algorithm 12.6's strict tests; `torch` is the
/// gradient torch's autograd gives min(wA, clamp(w, 1 − ε, 1 + ε)A) (SB3 PPO's
/// `th.min(policy_loss_1, policy_loss_2)`, `stable_baselines3/ppo/ppo.py`): the same except
/// where w equals a clip bound exactly, where `min` splits the tie ½/½ and `clamp` passes
/// gradient 0 at the bound (torch 2.15, `tools/peers/probe_torch.out`), so that sample
/// contributes ½·wA∇log π_θ′. The third element lists those samples (indices counted as
/// the clamp decisions' `at`).
///
/// # Errors
/// As [`clamped_gradient`].
#[allow(clippy::too_many_arguments)]
pub fn clamped_gradient_with<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    epsilon: T,
    flipped: &[usize],
    boundary: ClipBoundaryGradient,
) -> Result<TracedGradient<T>> {
    check_positive(epsilon, "epsilon")?;
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, gamma)?;
    let mut trace = ClampTrace {
        flipped,
        decisions: Vec::new(),
        next: 0,
    };
    let mut ties = Vec::new();
    let grad = clamped_gradient_checked(
        policy,
        theta,
        theta_prime,
        trajectories,
        (gamma, epsilon),
        &mut trace,
        (boundary, &mut ties),
    )?;
    Ok((grad, trace.decisions, ties))
}

/// SB3 PPO's clipping diagnostics of one batch (`stable_baselines3/ppo/ppo.py`):
/// `approx_kl` = meanᵢ((wᵢ − 1) − log wᵢ) and `clip_fraction` = meanᵢ 1{|wᵢ − 1| > ε}, over
/// the one-step trajectories' samples. (w − 1) − log w = φ(log w), φ(x) = eˣ − 1 − x ≥ 0,
/// evaluated without cancellation ([`exp_m1_minus`]) from the accurate log w.
///
/// # Errors
/// As [`clamped_objective`].
pub fn clip_statistics<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    epsilon: T,
) -> Result<(T, T)> {
    check_positive(epsilon, "epsilon")?;
    check_surrogate_inputs(policy, theta, theta_prime, trajectories, T::one())?;
    let mut kl = CompensatedSum::default();
    let mut clipped = 0usize;
    let mut n = 0usize;
    for step in trajectories.iter().flatten() {
        let log_w = policy.log_ratio(theta, theta_prime, &step.a, &step.s)?;
        kl.add(exp_m1_minus(log_w));
        let w = log_w.exp();
        if (w - T::one()).abs() > epsilon {
            clipped += 1;
        }
        n += 1;
    }
    let count = lit::<T>(n as f64);
    Ok((
        finite_scalar(kl.total() / count, "approx_kl")?,
        lit::<T>(clipped as f64) / count,
    ))
}

/// [`clamped_gradient`] on inputs already checked, except θ′ (each iteration of
/// [`clamped_update`] checks its own θ′, which may leave the policy's domain).
fn clamped_gradient_checked<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    (gamma, epsilon): (T, T),
    trace: &mut ClampTrace<'_, T>,
    (boundary, ties): (ClipBoundaryGradient, &mut Vec<usize>),
) -> Result<DVector<T>> {
    let (lo, hi) = (T::one() - epsilon, T::one() + epsilon);
    let n = theta.len();
    let mut total = DVector::zeros(n);
    for tau in trajectories {
        let mut acc = DVector::zeros(n);
        let rtg = rewards_to_go(tau, gamma);
        for (step, r) in tau.iter().zip(rtg) {
            // The clamp is decided first, so a ratio that overflows on a clamped step (the
            // book's code gives 0 there) is not an error.
            let w = unbounded_ratio(policy, theta, theta_prime, &step.a, &step.s)?;
            let at = trace.next;
            if !trace.decide(w, r, epsilon) {
                let w = finite_scalar(w, "likelihood ratio")?;
                let tie = boundary == ClipBoundaryGradient::Torch
                    && (w == lo || w == hi)
                    && r != T::zero();
                let weight = if tie {
                    ties.push(at);
                    w * r * lit::<T>(0.5)
                } else {
                    w * r
                };
                match policy.grad_log_density(theta_prime, &step.a, &step.s) {
                    Ok(score) => acc += score * weight,
                    // A ratio below the smallest subnormal (w = 0: a far-tail action under a
                    // tiny σ′) weights the score by 0: a score that overflows there (σ′ = 5e-15
                    // in f32: ∂log π/∂σ′ ~ 1e42) contributes 0, not an error.
                    Err(PgError::NonFiniteResult { .. }) if weight == T::zero() => {}
                    Err(e) => return Err(e),
                }
            }
        }
        total += acc / lit::<T>(tau.len() as f64);
    }
    let mean = total / lit::<T>(trajectories.len() as f64);
    finite_result(mean, "clamped_gradient")
}

/// The parameters of Algorithm 12.6's `update`, named so that no two can be swapped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClampedUpdateParams<T> {
    /// Discount factor γ ∈ [0, 1] of the rewards-to-go.
    pub gamma: T,
    /// Clip bound ε > 0: ratios are clamped to [1 − ε, 1 + ε] (Eq. 12.22).
    pub epsilon: T,
    /// Step factor α > 0 of each gradient ascent iteration.
    pub alpha: T,
    /// Number of iterations, at most [`MAX_ITERATIONS`].
    pub k_max: usize,
}

impl<T: Scalar> ClampedUpdateParams<T> {
    /// Checks γ ∈ [0, 1], ε > 0, α > 0 and k_max ≤ [`MAX_ITERATIONS`].
    ///
    /// # Errors
    /// `NonFiniteInput` or `InvalidParameter` naming the field.
    pub fn check(&self) -> Result<()> {
        check_discount(self.gamma)?;
        check_positive(self.epsilon, "epsilon")?;
        check_positive(self.alpha, "alpha")?;
        if self.k_max > MAX_ITERATIONS {
            return Err(PgError::invalid(
                "k_max",
                format!("must be ≤ {MAX_ITERATIONS}, got {}", self.k_max),
            ));
        }
        Ok(())
    }
}

/// Clamped surrogate policy update, `update` of Algorithm 12.6: starting from θ′ = θ, apply
/// θ′ ← θ′ + α · clamped_gradient(θ, θ′) `k_max` times on the same trajectories.
///
/// $$\theta^{\prime} \leftarrow \theta^{\prime} + \alpha \nabla\_{\theta^{\prime}} f\_{\mathrm{clamped}}(\theta, \theta^{\prime}) \quad (k\_{\max} \text{ times})$$
///
/// `k_max` ≤ [`MAX_ITERATIONS`]; an exact fixed point ends the loop early (same result).
/// As in the book the result may leave the policy's domain on the last iteration (σ ≤ 0);
/// an iteration that would evaluate the gradient at such a θ′ fails with `InvalidParameter`.
///
/// # Errors
/// As [`clamped_gradient`], and `InvalidParameter` for α ≤ 0.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{ClampedUpdateParams, Gaussian, Step, clamped_update};
/// // At θ′ = θ every ratio is 1, so the first iteration adds α ∇log π(a) R: for N(0, 1) at
/// // a = 0.3 with R = 2, ∇log π = [0.3, 0.09 − 1].
/// let trajectories = vec![vec![Step { s: 0.0, a: 0.3, r: 2.0 }]];
/// let params = ClampedUpdateParams { gamma: 1.0, epsilon: 0.2, alpha: 0.1, k_max: 1 };
/// let theta = clamped_update(&Gaussian, &dvector![0.0, 1.0], &trajectories, &params).unwrap();
/// assert!((theta - dvector![0.06, 1.0 - 0.182]).amax() < 1e-15);
/// ```
pub fn clamped_update<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    params: &ClampedUpdateParams<T>,
) -> Result<DVector<T>> {
    clamped_update_traced(policy, theta, trajectories, params, &[]).map(|(theta, _)| theta)
}

/// [`clamped_update`] with the clamp decisions of every iteration (`at` = iteration × m +
/// sample index, m the number of samples), taking the other branch at the indices in
/// `flipped` (`&[]` for the book's), as [`clamped_gradient_traced`].
///
/// # Errors
/// As [`clamped_update`].
pub fn clamped_update_traced<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    params: &ClampedUpdateParams<T>,
    flipped: &[usize],
) -> Result<(DVector<T>, Vec<Decision<T>>)> {
    // Every input is checked once, here; each iteration checks only its own θ′.
    params.check()?;
    let ClampedUpdateParams {
        gamma,
        epsilon,
        alpha,
        k_max,
    } = *params;
    check_surrogate_inputs(policy, theta, theta, trajectories, gamma)?;
    let samples: usize = trajectories.iter().map(Vec::len).sum();
    let mut trace = ClampTrace {
        flipped,
        decisions: Vec::new(),
        next: 0,
    };
    let mut theta_prime = theta.clone();
    for k in 0..k_max {
        policy.check_theta(&theta_prime, "theta_prime")?;
        trace.next = k * samples;
        let recorded = trace.decisions.len();
        let step = match clamped_gradient_checked(
            policy,
            theta,
            &theta_prime,
            trajectories,
            (gamma, epsilon),
            &mut trace,
            (ClipBoundaryGradient::Book, &mut Vec::new()),
        ) {
            Ok(grad) => grad * alpha,
            Err(PgError::NonFiniteResult { .. }) => {
                // The gradient overflows (rewards ~1e230: ~1e329) while α·∇ may not
                // (α = 5e-263): the gradient of the rewards scaled by 1/2^k, times α·2^k.
                // The clamp decisions do not depend on the rewards' scale; this iteration's
                // are recorded once, by the scaled evaluation.
                trace.decisions.truncate(recorded);
                trace.next = k * samples;
                let Some((scale, scaled)) = rescaled_rewards(trajectories) else {
                    return Err(PgError::NonFiniteResult {
                        field: "clamped_gradient".into(),
                    });
                };
                let grad = clamped_gradient_checked(
                    policy,
                    theta,
                    &theta_prime,
                    &scaled,
                    (gamma, epsilon),
                    &mut trace,
                    (ClipBoundaryGradient::Book, &mut Vec::new()),
                )?;
                grad * (alpha * scale)
            }
            Err(e) => return Err(e),
        };
        let next = finite_result(&theta_prime + step, "theta")?;
        if next == theta_prime {
            // A fixed point: every remaining iteration would return the same θ′.
            break;
        }
        theta_prime = next;
    }
    Ok((theta_prime, trace.decisions))
}
