//! Iterated ascent (Section 12.1: "this method can be called for a fixed number of
//! iterations"): run one Chapter 12 method for N iterations from a start θ₀, sampling m fresh
//! rollouts to depth d at every iterate with the caller's seeded generator, and return the
//! path θ₀, θ₁, …
//!
//! # When an update leaves the policy's domain
//!
//! The Gaussian policies need σ = θ₂ > 0, and the simple regulator's optimum θ = [−1, 0] lies
//! on the boundary σ = 0, so a method that makes good progress will sooner or later propose
//! σ ≤ 0. pgoracle does not clip, reflect or re-parameterise (each would be a different
//! algorithm from the book's): the path **stops** at the last valid θ, and [`Stop`] says why —
//! [`Stop::LeftDomain`] with the rejected proposal, or [`Stop::Failed`] with the typed error
//! of the update or of the simulation (a zero gradient, a singular Fisher matrix, the clamped
//! inner loop stepping to σ ≤ 0, states that overflow after a huge step, …). The trust region
//! update never leaves the domain: its line search rejects such candidates and shrinks. No
//! path contains NaN or ±∞.

mod method;

pub use method::{GradientTransform, IterationNote, Method};

use nalgebra::DVector;
use rand::Rng;

use crate::error::{PgError, Result};
use crate::policy::Policy;
use crate::problem::Mdp;
use crate::simulate::{SamplePolicy, rollouts};

/// How many rollouts, and how deep, each iteration samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RolloutPlan {
    /// Depth d ≥ 1 of each rollout.
    pub depth: usize,
    /// Number m ≥ 1 of rollouts per iteration.
    pub rollouts: usize,
}

impl RolloutPlan {
    /// Checks d ≥ 1 and m ≥ 1 (an empty batch or trajectory has no estimate).
    ///
    /// # Errors
    /// `InvalidParameter` naming `depth` or `rollouts`.
    pub fn check(&self) -> Result<()> {
        for (value, field) in [(self.depth, "depth"), (self.rollouts, "rollouts")] {
            if value == 0 {
                return Err(PgError::InvalidParameter {
                    field: field.into(),
                    reason: "must be ≥ 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// Why a path ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// All requested iterations ran.
    Completed,
    /// Iteration `iteration` (1-based) proposed a θ outside the policy's domain (σ ≤ 0 for
    /// the Gaussian families); the path ends at the previous θ.
    LeftDomain {
        /// The iteration whose update was rejected.
        iteration: usize,
        /// The rejected θ.
        proposed: DVector<f64>,
    },
    /// Iteration `iteration` (1-based) has no defined update; the path ends at the previous θ.
    Failed {
        /// The iteration whose update failed.
        iteration: usize,
        /// The typed reason.
        error: PgError,
    },
}

/// A run of one method: θ₀, θ₁, …, one note per completed iteration, and why it stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct ThetaPath {
    /// θ₀ (the start) followed by one θ per completed iteration; every entry is inside the
    /// policy's domain.
    pub thetas: Vec<DVector<f64>>,
    /// How each completed iteration's update ended (`thetas.len() − 1` entries).
    pub notes: Vec<IterationNote>,
    /// Why the path ended.
    pub stop: Stop,
}

/// Runs `method` for `iterations` iterations from `theta0`: at each iterate θ, m rollouts to
/// depth d are sampled with `rng` (`τs = [simulate(𝒫, rand(b), πθ, d) for i in 1:m]`), then
/// θ ← `method.update(θ, τs)`. See the module documentation for what happens when an update
/// leaves the policy's domain or fails.
///
/// # Errors
/// Invalid inputs, before any iteration: θ₀ (the policy's checks), the plan
/// ([`RolloutPlan::check`]) and the method's parameters ([`Method::check`]). Everything that
/// goes wrong later — a simulation that overflows because the path reached a θ whose states
/// grow without bound, or an update with no defined value — ends the path with
/// [`Stop::Failed`] instead.
pub fn run<M, P, R>(
    problem: &M,
    policy: &P,
    method: &Method,
    theta0: &DVector<f64>,
    plan: RolloutPlan,
    iterations: usize,
    rng: &mut R,
) -> Result<ThetaPath>
where
    P: SamplePolicy,
    M: Mdp<State = <P as Policy<f64>>::State, Action = <P as Policy<f64>>::Action>,
    R: Rng + ?Sized,
{
    policy.check_theta(theta0, "theta0")?;
    plan.check()?;
    method.check()?;
    let gamma = problem.discount();
    let mut thetas = vec![theta0.clone()];
    let mut notes = Vec::with_capacity(iterations);
    let mut theta = theta0.clone();
    for iteration in 1..=iterations {
        let update = rollouts(problem, policy, &theta, plan.depth, plan.rollouts, rng)
            .and_then(|taus| method.update(policy, &theta, &taus, gamma));
        let (next, note) = match update {
            Ok(update) => update,
            Err(error) => return Ok(finish(thetas, notes, Stop::Failed { iteration, error })),
        };
        if policy.check_theta(&next, "theta").is_err() {
            let stop = Stop::LeftDomain {
                iteration,
                proposed: next,
            };
            return Ok(finish(thetas, notes, stop));
        }
        thetas.push(next.clone());
        notes.push(note);
        theta = next;
    }
    Ok(finish(thetas, notes, Stop::Completed))
}

fn finish(thetas: Vec<DVector<f64>>, notes: Vec<IterationNote>, stop: Stop) -> ThetaPath {
    ThetaPath {
        thetas,
        notes,
        stop,
    }
}
