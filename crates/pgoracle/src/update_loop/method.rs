//! One update of each Chapter 12 method from freshly sampled trajectories.

use nalgebra::DVector;

use crate::clamped::{ClampedUpdateParams, clamped_update};
use crate::error::Result;
use crate::gradient_ascent::{check_clip_bounds, clip_gradient, gradient_ascent, scale_gradient};
use crate::likelihood_ratio::likelihood_ratio_gradient;
use crate::linesearch::{LinesearchOutcome, LinesearchParams};
use crate::natural::natural_policy_update;
use crate::policy::Policy;
use crate::restricted::{RestrictedUpdateParams, restricted_update};
use crate::scalar::{check_nonnegative, check_positive};
use crate::solver::Solver;
use crate::trajectory::Trajectory;
use crate::trust_region::trust_region_update;

/// What Algorithm 12.2 does to the gradient estimate before the ascent step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GradientTransform {
    /// The estimate is used as it is (Algorithm 12.1).
    Plain,
    /// `scale_gradient(∇, L2_max) = min(L2_max/‖∇‖, 1) ∇` (Algorithm 12.2).
    Scale {
        /// L2_max ≥ 0 (1 in Section 12.1's "commonly limited to an L2-norm of 1").
        l2_max: f64,
    },
    /// `clip_gradient(∇, a, b) = clamp.(∇, a, b)` (Algorithm 12.2).
    Clip {
        /// Lower bound a (−1 in Section 12.1's "between ±1").
        lo: f64,
        /// Upper bound b ≥ a.
        hi: f64,
    },
}

/// A Chapter 12 update rule with its parameters. Every method estimates from the m rollouts
/// of the current iteration; γ is the problem's discount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// Gradient ascent, θ ← θ + α T(∇U(θ)) (Eq. 12.1, Algorithms 12.1–12.2), with ∇U(θ) the
    /// likelihood-ratio estimate mean_τ ∇log p(τ) R(τ) of Algorithm 12.3 and T a
    /// [`GradientTransform`].
    GradientAscent {
        /// Step factor α > 0.
        alpha: f64,
        /// Scaling, clipping, or neither.
        transform: GradientTransform,
    },
    /// Restricted update, θ′ = θ + √(2ε) u/‖u‖ (Eq. 12.6, Algorithm 12.3).
    Restricted {
        /// ε > 0.
        epsilon: f64,
    },
    /// Natural update, θ′ = θ + u √(2ε/∇Uᵀu), u = F⁻¹∇U (Eqs. 12.12–12.13, Algorithm 12.4).
    Natural {
        /// ε > 0.
        epsilon: f64,
        /// How u is solved for.
        solver: Solver<f64>,
    },
    /// Trust region update (TRPO, Algorithm 12.5): the natural step followed by the line
    /// search of Eq. 12.20 on the surrogate objective and constraint (Eqs. 12.18–12.19).
    TrustRegion {
        /// ε, the shrink factor α and the shrink cap.
        params: LinesearchParams<f64>,
        /// How the natural direction is solved for.
        solver: Solver<f64>,
    },
    /// Clamped surrogate update (PPO, Algorithm 12.6): θ′ ← θ′ + α ∇f_clamped(θ, θ′), k_max
    /// times on the same rollouts (Eqs. 12.22–12.23).
    Clamped {
        /// Clamping parameter ε > 0 (0.2 is typical, footnote 9).
        epsilon: f64,
        /// Step size α > 0.
        alpha: f64,
        /// Gradient steps per update.
        k_max: usize,
    },
}

/// How one iteration's update ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IterationNote {
    /// The method's update was applied (every method except the trust region).
    Stepped,
    /// The trust region line search accepted a point after `shrinks` shrinks.
    Accepted {
        /// Number of shrinks θ′ ← θ + α(θ′ − θ) performed.
        shrinks: usize,
    },
    /// The trust region line search found no acceptable point within its cap; θ is kept
    /// (the book's loop would never end).
    Exhausted {
        /// Number of shrinks performed (the cap).
        shrinks: usize,
    },
}

impl Method {
    /// Checks the method's parameters.
    ///
    /// # Errors
    /// `NonFiniteInput` or `InvalidParameter` naming the parameter (`alpha`, `epsilon`,
    /// `l2_max`, `lo`, `solver.…`).
    pub fn check(&self) -> Result<()> {
        match self {
            Method::GradientAscent { alpha, transform } => {
                check_positive(*alpha, "alpha")?;
                match transform {
                    GradientTransform::Plain => Ok(()),
                    GradientTransform::Scale { l2_max } => check_nonnegative(*l2_max, "l2_max"),
                    GradientTransform::Clip { lo, hi } => check_clip_bounds(*lo, *hi),
                }
            }
            Method::Restricted { epsilon } => check_positive(*epsilon, "epsilon"),
            Method::Natural { epsilon, solver } => {
                check_positive(*epsilon, "epsilon")?;
                solver.check()
            }
            Method::TrustRegion { params, solver } => {
                params.check()?;
                solver.check()
            }
            Method::Clamped { epsilon, alpha, .. } => {
                check_positive(*epsilon, "epsilon")?;
                check_positive(*alpha, "alpha")
            }
        }
    }

    /// One update of θ from the trajectories `taus` sampled at θ, by the library function of
    /// the method: [`gradient_ascent`] (after [`scale_gradient`] or [`clip_gradient`]),
    /// [`restricted_update`], [`natural_policy_update`], [`trust_region_update`] or
    /// [`clamped_update`].
    ///
    /// # Errors
    /// Those of the library function (`ZeroGradient`, `SingularFisher`,
    /// `NonPositiveCurvature`, `InvalidParameter` when the clamped inner loop leaves the
    /// policy's domain, …).
    pub fn update<P: Policy<f64>>(
        &self,
        policy: &P,
        theta: &DVector<f64>,
        taus: &[Trajectory<P::State, P::Action, f64>],
        gamma: f64,
    ) -> Result<(DVector<f64>, IterationNote)> {
        let stepped = |theta: DVector<f64>| (theta, IterationNote::Stepped);
        match self {
            Method::GradientAscent { alpha, transform } => {
                let grad = likelihood_ratio_gradient(policy, theta, taus, gamma)?.grad;
                let grad = match transform {
                    GradientTransform::Plain => grad,
                    GradientTransform::Scale { l2_max } => scale_gradient(&grad, *l2_max)?,
                    GradientTransform::Clip { lo, hi } => clip_gradient(&grad, *lo, *hi)?,
                };
                gradient_ascent(theta, &grad, *alpha).map(stepped)
            }
            Method::Restricted { epsilon } => restricted_update(
                policy,
                theta,
                taus,
                &RestrictedUpdateParams {
                    gamma,
                    epsilon: *epsilon,
                },
            )
            .map(|u| stepped(u.theta)),
            Method::Natural { epsilon, solver } => {
                natural_policy_update(policy, theta, taus, gamma, *epsilon, solver)
                    .map(|u| stepped(u.theta))
            }
            Method::TrustRegion { params, solver } => {
                let step = trust_region_update(policy, theta, taus, gamma, params, solver)?;
                let note = match step.outcome {
                    LinesearchOutcome::Accepted { steps, .. } => {
                        IterationNote::Accepted { shrinks: steps }
                    }
                    LinesearchOutcome::Exhausted { steps, .. } => {
                        IterationNote::Exhausted { shrinks: steps }
                    }
                };
                Ok((step.theta, note))
            }
            Method::Clamped {
                epsilon,
                alpha,
                k_max,
            } => clamped_update(
                policy,
                theta,
                taus,
                &ClampedUpdateParams {
                    gamma,
                    epsilon: *epsilon,
                    alpha: *alpha,
                    k_max: *k_max,
                },
            )
            .map(stepped),
        }
    }
}
