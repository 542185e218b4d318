//! Trajectories τ = ((s₁, a₁, r₁), …, (s_d, a_d, r_d)) and their discounted returns.
//!
//! As in the book's `simulate`, a trajectory holds `d` steps and no final state; steps are
//! numbered k = 1..d.

use nalgebra::DVector;

use crate::compensated::{CompensatedSum, compensated_horner_suffixes, pow_scaled};
use crate::error::{PgError, Result};
use crate::policy::Policy;
use crate::scalar::Scalar;

/// One step (s, a, r) of a trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step<S, A, T> {
    /// State s_k.
    pub s: S,
    /// Action a_k.
    pub a: A,
    /// Reward r_k.
    pub r: T,
}

/// A trajectory: the steps k = 1..d in order.
pub type Trajectory<S, A, T> = Vec<Step<S, A, T>>;

/// A trajectory of policy `P`'s states and actions.
pub type PolicyTrajectory<T, P> = Trajectory<<P as Policy<T>>::State, <P as Policy<T>>::Action, T>;

/// Discounted return R(τ) = Σ_{k=1}^{d} r_k γ^(k−1) (Algorithms 12.3 and 12.4).
///
/// $$R(\tau) = \sum\_{k=1}^{d} r^{(k)} \gamma^{k-1}$$
pub fn discounted_return<S, A, T: Scalar>(tau: &[Step<S, A, T>], gamma: T) -> T {
    reward_to_go(tau, 1, gamma)
}

/// Reward-to-go R(τ, j) = Σ_{k=j}^{d} r_k γ^(k−1), discounted from the **first** step
/// (Algorithms 12.5 and 12.6, footnote 7; book-code-notes §2). `j` is 1-based; j > d gives 0.
///
/// $$R(\tau, j) = \sum\_{k=j}^{d} r^{(k)} \gamma^{k-1}$$
pub fn reward_to_go<S, A, T: Scalar>(tau: &[Step<S, A, T>], j: usize, gamma: T) -> T {
    rewards_to_go(tau, gamma)
        .get(j.saturating_sub(1))
        .copied()
        .unwrap_or_else(T::zero)
}

/// All rewards-to-go [R(τ, 1), …, R(τ, d)] in one backward pass (O(d log d) instead of O(d²)).
///
/// $$R(\tau, k) = \gamma^{k-1} H\_k, \qquad H\_k = \sum\_{\ell=k}^{d} r^{(\ell)} \gamma^{\ell-k} = r^{(k)} + \gamma H\_{k+1}$$
///
/// Hₖ comes from the compensated Horner scheme ([`compensated_horner_suffixes`]: as if summed in
/// twice the working precision, so r = [1e16, 1, −1e16] gives R(τ) = 1 and [−1, 1e16, 1, −1e16]
/// exactly 0, where plain summation gives 0 and −1), and γ^(k−1)·Hₖ from [`pow_scaled`], which
/// never goes through a subnormal γ^(k−1) when the product is normal (γ = 1e-29 with
/// r₁₃ = 1e300 gives 1e-48, where repeated multiplication gives 0). Issue #16, item 6.
/// Bound: |R̂(τ, k) − R(τ, k)| ≤ (2⌈log₂ k⌉ + 3)·u·|R(τ, k)| + γ²₂d·Σ_{ℓ≥k}|r_ℓ|γ^(ℓ−1).
pub fn rewards_to_go<S, A, T: Scalar>(tau: &[Step<S, A, T>], gamma: T) -> Vec<T> {
    let rewards: Vec<T> = tau.iter().map(|step| step.r).collect();
    compensated_horner_suffixes(&rewards, gamma)
        .into_iter()
        .enumerate()
        .map(|(k, h)| pow_scaled(h, gamma, k))
        .collect()
}

/// Validates a batch of trajectories for `policy`: at least one trajectory, none empty,
/// finite rewards, and states/actions the policy accepts.
pub fn check_trajectories<T: Scalar, P: Policy<T>>(
    policy: &P,
    trajectories: &[Trajectory<P::State, P::Action, T>],
) -> Result<()> {
    if trajectories.is_empty() {
        return Err(PgError::empty("trajectories"));
    }
    for (i, tau) in trajectories.iter().enumerate() {
        if tau.is_empty() {
            return Err(PgError::empty(format!("trajectories[{i}]")));
        }
        for (k, step) in tau.iter().enumerate() {
            // Names are formatted only on error: this runs once per step of every call.
            if !step.r.is_finite() {
                return Err(PgError::NonFiniteInput {
                    field: format!("trajectories[{i}][{k}].r"),
                });
            }
            policy.check_step(&step.s, &step.a, || format!("trajectories[{i}][{k}]"))?;
        }
    }
    Ok(())
}

/// Mean of a non-empty list of vectors of equal length (the `mean(…)` of the book's code):
/// each component is a compensated sum (Neumaier; error ≤ u·|Σ| + γ²ₘ·Σ|vᵢ|, so cancelling
/// gradients such as 1e16, 1, −1e16 average to 1/3, not 0) divided by m, or, if the sum
/// overflows, the compensated sum of the vᵢ/m (so a mean that is representable is returned even
/// when the sum is not). The length is the first vector's; the callers check that all are equal
/// (a shorter vector would add nothing to the components it lacks; never a panic).
pub fn mean_vector<T: Scalar>(vs: &[DVector<T>]) -> DVector<T> {
    let n = vs.first().map_or(0, |v| v.len());
    let m = nalgebra::convert::<f64, T>(vs.len() as f64);
    // One running sum per component, fed vector by vector: each component still sums
    // v₁[j], v₂[j], … in order (the same bits as summing component by component), but every
    // vector is read once, contiguously (component by component, the reads jump between the m
    // vectors: 10% of a natural-gradient update at n = 2048, m = 1000).
    let mut sums = vec![CompensatedSum::default(); n];
    for v in vs {
        for (acc, x) in sums.iter_mut().zip(v.iter()) {
            acc.add(*x);
        }
    }
    DVector::from_fn(n, |j, _| {
        let sum = sums[j].total();
        if sum.is_finite() {
            sum / m
        } else {
            vs.iter()
                .filter_map(|v| v.get(j).map(|x| *x / m))
                .collect::<CompensatedSum<T>>()
                .total()
        }
    })
}

/// The power of two 2^k and the trajectories with every reward multiplied by 1/2^k.
pub(crate) type Rescaled<S, A, T> = (T, Vec<Trajectory<S, A, T>>);

/// The trajectories with every reward multiplied by 1/2^k, 2^k a power of two near the largest
/// |r|, and 2^k: an exact rescaling (both ways, barring underflow of rewards far below the
/// largest) for the steps whose direction does not depend on the gradient's scale, when the
/// unscaled gradient underflows to 0 or overflows although the step is representable (issue
/// #16: rewards ~1e-290 against scores ~1e-61 gave a gradient of 1e-350 and `ZeroGradient`;
/// rewards ~1e230 gave a gradient of 1e329 with α = 5e-263). `None` when every reward is 0 or
/// the largest is already near 1.
pub(crate) fn rescaled_rewards<S: Clone, A: Clone, T: Scalar>(
    trajectories: &[Trajectory<S, A, T>],
) -> Option<Rescaled<S, A, T>> {
    let max = trajectories
        .iter()
        .flatten()
        .fold(T::zero(), |m, step| m.max(step.r.abs()));
    if max == T::zero() {
        return None;
    }
    let scale = crate::compensated::power_of_two_near(max);
    if scale == T::one() {
        return None;
    }
    let inverse = T::one() / scale;
    let scaled = trajectories
        .iter()
        .map(|tau| {
            tau.iter()
                .map(|step| Step {
                    s: step.s.clone(),
                    a: step.a.clone(),
                    r: step.r * inverse,
                })
                .collect()
        })
        .collect();
    Some((scale, scaled))
}

#[cfg(test)]
mod tests {
    use nalgebra::dvector;

    use super::*;

    /// Component j is v₁[j], v₂[j], … summed with compensation in that order, then divided by m:
    /// cancelling components (1e16 + 1 − 1e16 = 1, naive summation gives 0) and components of
    /// mixed magnitudes give the same bits as the sums formed component by component; a sum
    /// that overflows falls back to Σ vᵢ/m.
    #[test]
    fn mean_vector_is_the_compensated_mean_of_each_component() {
        let vs = [
            dvector![1e16, 0.1, f64::MAX, 3.0],
            dvector![1.0, 1e-300, f64::MAX, -1e300],
            dvector![-1e16, 0.7, -1e308, 1e300],
        ];
        let mean = mean_vector(&vs);
        assert_eq!(mean[0], 1.0 / 3.0);
        // (MAX + MAX − 1e308)/3 overflows as a sum; MAX/3 + MAX/3 − 1e308/3 does not.
        assert_eq!(
            mean[2],
            [f64::MAX / 3.0, f64::MAX / 3.0, -1e308 / 3.0]
                .into_iter()
                .collect::<CompensatedSum<f64>>()
                .total()
        );
        for j in [0, 1, 3] {
            let by_component = vs
                .iter()
                .map(|v| v[j])
                .collect::<CompensatedSum<f64>>()
                .total()
                / 3.0;
            assert_eq!(mean[j], by_component, "component {j}");
        }
        assert_eq!(mean[3], 1.0);
        assert_eq!(mean_vector::<f64>(&[]).len(), 0);
    }
}
