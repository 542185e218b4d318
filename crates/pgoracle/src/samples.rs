//! Flat batches of samples (s, a, A), as the peers train on them (`shared/spec/profiles.md`,
//! "Inputs the peers consume"), and the advantage conventions that produce and standardise
//! them.
//!
//! Every per-sample algorithm of the profiles is the book's algorithm on one-step
//! trajectories: a sample (s, a, A) is the trajectory ((s, a, A)) with γ = 1, whose return and
//! reward-to-go are A and whose ∇log p(τ) is ∇log π(a | s). So per-sample averaging
//! (the peers' flat minibatch mean) is the book's per-trajectory mean over those trajectories,
//! and no algorithm is copied ([`one_step_trajectories`]).

use crate::compensated::CompensatedSum;
use crate::conventions::NormalizeAdvantage;
use crate::error::{PgError, Result};
use crate::scalar::{Scalar, lit};
use crate::trajectory::{Step, Trajectory, rewards_to_go};

/// One sample of a flat batch: state, action and its advantage estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample<S, A, T> {
    /// State s.
    pub s: S,
    /// Action a.
    pub a: A,
    /// Advantage A(s, a), as the peer's rollout buffer holds it.
    pub advantage: T,
}

/// The samples of trajectories under `averaging: per_sample` with `advantages: reward_to_go`:
/// every step (s_k, a_k) with the book code's reward-to-go R(τ, k) = Σ_{j≥k} r_j γ^(j−1)
/// (Algorithm 12.6; [`rewards_to_go`]), in trajectory order.
pub fn samples_from_trajectories<S: Clone, A: Clone, T: Scalar>(
    trajectories: &[Trajectory<S, A, T>],
    gamma: T,
) -> Vec<Sample<S, A, T>> {
    trajectories
        .iter()
        .flat_map(|tau| {
            tau.iter()
                .zip(rewards_to_go(tau, gamma))
                .map(|(step, advantage)| Sample {
                    s: step.s.clone(),
                    a: step.a.clone(),
                    advantage,
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The samples as one-step trajectories ((s, a, A)), to be used with γ = 1: the book's
/// per-trajectory algorithms on them are the per-sample algorithms of the peers.
pub fn one_step_trajectories<S: Clone, A: Clone, T: Scalar>(
    samples: &[Sample<S, A, T>],
) -> Vec<Trajectory<S, A, T>> {
    samples
        .iter()
        .map(|x| {
            vec![Step {
                s: x.s.clone(),
                a: x.a.clone(),
                r: x.advantage,
            }]
        })
        .collect()
}

/// The advantages used and the one-step trajectories of [`standardised_trajectories`].
pub type Standardised<S, A, T> = (Vec<T>, Vec<Trajectory<S, A, T>>);

/// The samples with their advantages standardised by `how` ([`normalize_advantages`]), as
/// one-step trajectories ([`one_step_trajectories`], γ = 1), and the advantages used: the input
/// of every per-sample algorithm of the profiles.
///
/// # Errors
/// Those of [`normalize_advantages`].
pub fn standardised_trajectories<S: Clone, A: Clone, T: Scalar>(
    samples: &[Sample<S, A, T>],
    how: NormalizeAdvantage,
) -> Result<Standardised<S, A, T>> {
    let raw: Vec<T> = samples.iter().map(|x| x.advantage).collect();
    let advantages = normalize_advantages(&raw, how)?;
    let standardised: Vec<_> = samples
        .iter()
        .zip(&advantages)
        .map(|(x, a)| Sample {
            advantage: *a,
            ..x.clone()
        })
        .collect();
    Ok((advantages, one_step_trajectories(&standardised)))
}

/// The constant 10⁻⁸ the peers add to the standard deviation (`sb3_contrib/trpo/trpo.py`,
/// `stable_baselines3/ppo/ppo.py`: `(advantages - advantages.mean()) / (advantages.std() + 1e-8)`).
pub const STD_OFFSET: f64 = 1e-8;

/// Standardises the advantages as the `normalize_advantage` convention says:
///
/// Âᵢ = (Aᵢ − Ā)/(s + 10⁻⁸), Ā = Σ Aᵢ/n, s = √(Σ(Aᵢ − Ā)²/(n − 1)),
///
/// for `sample_std`, and for `sample_std_if_several` when n > 1 (SB3 PPO's
/// `if self.normalize_advantage and len(advantages) > 1`). The mean and the sum of squares are
/// compensated sums, and s is the two-pass form (no cancellation of Σ A² − nĀ²).
///
/// # Errors
/// `EmptyInput` for no samples; `NonFiniteInput` (`samples[i].advantage`) for a NaN or ±∞;
/// `InvalidParameter` (`normalize_advantage`) for `sample_std` on
/// one sample, where s (n − 1 = 0) is undefined: the peer divides by NaN and then raises
/// `ValueError` on the NaN logits.
pub fn normalize_advantages<T: Scalar>(
    advantages: &[T],
    how: NormalizeAdvantage,
) -> Result<Vec<T>> {
    let n = advantages.len();
    if n == 0 {
        return Err(PgError::empty("samples"));
    }
    if let Some(i) = advantages.iter().position(|a| !a.is_finite()) {
        return Err(PgError::NonFiniteInput {
            field: format!("samples[{i}].advantage"),
        });
    }
    match how {
        NormalizeAdvantage::None => return Ok(advantages.to_vec()),
        NormalizeAdvantage::SampleStdIfSeveral if n == 1 => return Ok(advantages.to_vec()),
        NormalizeAdvantage::SampleStd if n == 1 => {
            return Err(PgError::invalid(
                "normalize_advantage",
                "the sample standard deviation (n − 1 = 0) of one advantage is undefined; \
                 the peer divides by NaN",
            ));
        }
        _ => {}
    }
    let count = lit::<T>(n as f64);
    let mean = advantages
        .iter()
        .copied()
        .collect::<CompensatedSum<T>>()
        .total()
        / count;
    let deviations: Vec<T> = advantages.iter().map(|a| *a - mean).collect();
    let sum_sq = deviations
        .iter()
        .map(|d| *d * *d)
        .collect::<CompensatedSum<T>>()
        .total();
    let std = (sum_sq / (count - T::one())).sqrt();
    let denominator = std + lit::<T>(STD_OFFSET);
    Ok(deviations.into_iter().map(|d| d / denominator).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [1, 2, 3, 4]: mean 2.5, s = √(5/3) = 1.2909944487358056 (n − 1), so Â₀ = −1.5/(s + 1e-8).
    #[test]
    fn sample_std_uses_n_minus_one_and_the_offset() {
        let a =
            normalize_advantages(&[1.0f64, 2.0, 3.0, 4.0], NormalizeAdvantage::SampleStd).unwrap();
        let s = (5.0f64 / 3.0).sqrt();
        assert_eq!(s, 1.2909944487358056);
        assert!((a[0] - (-1.5 / (s + 1e-8))).abs() <= 2.0 * f64::EPSILON);
        assert!((a[3] - (1.5 / (s + 1e-8))).abs() <= 2.0 * f64::EPSILON);
    }

    /// One sample: PPO leaves it, TRPO's std is undefined.
    #[test]
    fn one_sample() {
        assert_eq!(
            normalize_advantages(&[3.0f64], NormalizeAdvantage::SampleStdIfSeveral).unwrap(),
            vec![3.0]
        );
        let e = normalize_advantages(&[3.0f64], NormalizeAdvantage::SampleStd).unwrap_err();
        assert_eq!(e.kind(), "InvalidParameter");
    }

    /// A NaN advantage is named as the sample's input, whatever the standardisation.
    #[test]
    fn non_finite_advantage() {
        for how in [NormalizeAdvantage::None, NormalizeAdvantage::SampleStd] {
            let e = normalize_advantages(&[1.0f64, f64::NAN], how).unwrap_err();
            assert_eq!(e.kind(), "NonFiniteInput");
            assert!(e.to_string().contains("samples[1].advantage"), "{e}");
        }
    }

    /// Reward-to-go samples carry R(τ, k) with γ^(j−1) from the first step: r = [1, 2], γ = ½
    /// gives R(τ, 1) = 1 + 2·½ = 2 and R(τ, 2) = 2·½ = 1.
    #[test]
    fn reward_to_go_samples() {
        let tau = vec![
            Step {
                s: 0usize,
                a: 1usize,
                r: 1.0f64,
            },
            Step { s: 1, a: 0, r: 2.0 },
        ];
        let samples = samples_from_trajectories(&[tau], 0.5);
        assert_eq!(samples.len(), 2);
        assert_eq!((samples[0].advantage, samples[1].advantage), (2.0, 1.0));
        assert_eq!((samples[1].s, samples[1].a), (1, 0));
    }
}
