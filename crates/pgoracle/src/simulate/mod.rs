//! Seeded rollouts: the `simulate(𝒫, s, π, d)` of the book's support code and the
//! `τs = [simulate(𝒫, rand(b), πθ, d) for i in 1:m]` line of Algorithms 12.3–12.6.
//!
//! Randomness comes only from the generator the caller passes (the figures and tests use
//! `rand_chacha::ChaCha8Rng::seed_from_u64`), and it is consumed in a fixed order: for each
//! rollout, s₁ ~ b, then for k = 1..d the action a_k ~ π_θ(· ∣ s_k) and the successor
//! s_{k+1} ~ T(· ∣ s_k, a_k). The same seed therefore gives bit-identical trajectories.

mod sample_policy;

pub use sample_policy::SamplePolicy;

use nalgebra::DVector;
use rand::Rng;

use crate::error::Result;
use crate::policy::Policy;
use crate::problem::Mdp;
use crate::trajectory::{Step, Trajectory};

/// The trajectory type of policy `P` in f64.
pub type Rollout<P> = Trajectory<<P as Policy<f64>>::State, <P as Policy<f64>>::Action, f64>;

/// `simulate(𝒫, s, π, d)`: `d` steps (s_k, a_k, r_k), k = 1..d, from s₁ = `s`, with
/// a_k ~ π_θ(· ∣ s_k) and (s_{k+1}, r_k) from [`Mdp::step`]. As in the book, the final state
/// s_{d+1} is drawn but not stored; d = 0 gives the empty trajectory.
///
/// # Errors
/// The policy's θ checks, and the errors of [`SamplePolicy::sample_action`] and
/// [`Mdp::step`] (non-finite states, actions or rewards).
pub fn simulate<M, P, R>(
    problem: &M,
    s: M::State,
    policy: &P,
    theta: &DVector<f64>,
    d: usize,
    rng: &mut R,
) -> Result<Rollout<P>>
where
    P: SamplePolicy,
    M: Mdp<State = <P as Policy<f64>>::State, Action = <P as Policy<f64>>::Action>,
    R: Rng + ?Sized,
{
    policy.check_theta(theta, "theta")?;
    let mut tau = Vec::with_capacity(d);
    let mut s = s;
    for _ in 0..d {
        let a = policy.sample_action(theta, &s, rng)?;
        let (next, r) = problem.step(&s, &a, rng)?;
        tau.push(Step { s, a, r });
        s = next;
    }
    Ok(tau)
}

/// `m` rollouts to depth `d`, each from its own s₁ ~ b: the
/// `τs = [simulate(𝒫, rand(b), πθ, d) for i in 1:m]` of Algorithms 12.3–12.6.
///
/// # Errors
/// As [`simulate`].
pub fn rollouts<M, P, R>(
    problem: &M,
    policy: &P,
    theta: &DVector<f64>,
    d: usize,
    m: usize,
    rng: &mut R,
) -> Result<Vec<Rollout<P>>>
where
    P: SamplePolicy,
    M: Mdp<State = <P as Policy<f64>>::State, Action = <P as Policy<f64>>::Action>,
    R: Rng + ?Sized,
{
    (0..m)
        .map(|_| {
            let s = problem.initial_state(rng);
            simulate(problem, s, policy, theta, d, rng)
        })
        .collect()
}
