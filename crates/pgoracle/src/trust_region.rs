//! Section 12.4: the trust region update (TRPO), Algorithm 12.5, and the same update under
//! explicit conventions ([`trust_region_update_with`], `shared/spec/profiles.md`).

use nalgebra::{DMatrix, DVector};

use crate::compensated::CompensatedSum;
use crate::conventions::{
    CgStop, Conventions, FisherKind, LinesearchKl, NormalizeAdvantage, StepScale,
};
use crate::decision::Decision;
use crate::error::{PgError, Result};
use crate::fisher::{fisher, fisher_vector_product, score_matrix};
use crate::likelihood_ratio::likelihood_ratio_gradient;
use crate::linesearch::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch_checked};
use crate::natural::{NaturalStep, natural_policy_update_checked, natural_step, step_size};
use crate::policy::Policy;
use crate::samples::{Sample, standardised_trajectories};
use crate::scalar::{
    Scalar, check_finite_vec, check_len, check_nonnegative, finite_matrix, finite_result,
    finite_scalar, lit,
};
use crate::solver::{Direction, Solver, solve_direction, solve_explicit};
use crate::surrogate::{surrogate_constraint, surrogate_improvement, surrogate_objective};
use crate::trajectory::Trajectory;

/// Everything one trust region update computed.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRegionStep<T: Scalar> {
    /// The natural gradient step that starts the line search (θ′ = `natural.theta`).
    pub natural: NaturalStep<T>,
    /// f(θ, θ), the surrogate objective at the current parameters.
    pub f_theta: T,
    /// How the line search ended.
    pub outcome: LinesearchOutcome<T>,
    /// The update's result: the accepted θ′, or θ unchanged when the search is exhausted.
    pub theta: DVector<T>,
    /// Every test the line search evaluated, in order, with its margin.
    pub decisions: Vec<Decision<T>>,
}

/// Trust region policy optimization update, Algorithm 12.5:
///
/// $$\theta^{\prime} = \theta + \mathbf{u} \sqrt{\frac{2\epsilon}{\nabla U(\theta)^\top \mathbf{u}}}, \quad \text{then } \theta^{\prime} \leftarrow \theta + \alpha(\theta^{\prime} - \theta) \text{ until } g \le \epsilon \text{ and } f(\theta, \theta^{\prime}) > f(\theta, \theta)$$
///
/// 1. θ′ from the natural policy update (Algorithm 12.4) with the chosen solver;
/// 2. f(θ′) = surrogate objective (Eq. 12.18), g(θ′) = surrogate constraint (Eq. 12.19), both
///    from the same trajectories (no new rollouts);
/// 3. [`linesearch`](crate::linesearch()) along θ → θ′ (Eq. 12.20), at most `max_steps` shrinks,
///    deciding improvement on f(θ, θ′) − f(θ, θ) formed without cancellation
///    ([`surrogate_improvement`]).
///
/// When no acceptable point is found the update returns θ unchanged and says so in
/// [`TrustRegionStep::outcome`]; the book's loop would never terminate.
///
/// # Errors
/// Those of [`natural_policy_update`](crate::natural_policy_update), [`surrogate_objective`] and [`LinesearchParams::check`].
///
/// ```
/// use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
/// use pgoracle::{Gaussian, LinesearchOutcome, LinesearchParams, Solver, trust_region_update};
/// let params = LinesearchParams::new(0.1).with_alpha(0.5).with_max_steps(100);
/// let step = trust_region_update(
///     &Gaussian, &example_12_1_theta::<f64>(), &example_12_1_trajectories(), 1.0, &params, &Solver::Exact,
/// )
/// .unwrap();
/// // Example 12.1: θ′ is accepted with no shrink, f(θ′) = 2.110, g(θ′) = 0.049.
/// let LinesearchOutcome::Accepted { steps, values, .. } = step.outcome else { panic!() };
/// assert_eq!(steps, 0);
/// assert!((values.f - 2.110).abs() < 5e-4 && (values.g - 0.049).abs() < 5e-4);
/// ```
pub fn trust_region_update<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    trajectories: &[Trajectory<P::State, P::Action, T>],
    gamma: T,
    params: &LinesearchParams<T>,
    solver: &Solver<T>,
) -> Result<TrustRegionStep<T>> {
    // Every parameter is checked once, here; the natural step and the line search below take
    // them as checked.
    params.check()?;
    solver.check()?;
    let natural =
        natural_policy_update_checked(policy, theta, trajectories, gamma, params.epsilon, solver)?;
    let f_theta = surrogate_objective(policy, theta, theta, trajectories, gamma)?;
    let evaluate = |candidate: &DVector<T>| -> Result<Option<SurrogateValues<T>>> {
        if policy.check_theta(candidate, "theta_prime").is_err() {
            return Ok(None);
        }
        let values =
            surrogate_constraint(policy, theta, candidate, trajectories, gamma).and_then(|g| {
                let f = surrogate_objective(policy, theta, candidate, trajectories, gamma)?;
                let improvement =
                    surrogate_improvement(policy, theta, candidate, trajectories, gamma)?;
                Ok(SurrogateValues { f, g, improvement })
            });
        match values {
            Ok(v) => Ok(Some(v)),
            Err(PgError::NonFiniteResult { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (outcome, decisions) = linesearch_checked(theta, &natural.theta, params, evaluate)?;
    let result = match &outcome {
        LinesearchOutcome::Accepted {
            theta: accepted, ..
        } => accepted.clone(),
        LinesearchOutcome::Exhausted { .. } => theta.clone(),
    };
    Ok(TrustRegionStep {
        natural,
        f_theta,
        outcome,
        theta: result,
        decisions,
    })
}

/// The settings of [`trust_region_update_with`] beyond the line search's: the conventions, the
/// solver (version 1's `solver` object), and the solver convention's CG stop and start.
#[derive(Debug, Clone, PartialEq)]
pub struct TrustRegionSettings<T> {
    /// The conventions (`fisher`, `damping`, `step_scale`, `linesearch_kl`,
    /// `normalize_advantage`; `acceptance` is [`LinesearchParams::acceptance`]).
    pub conventions: Conventions,
    /// The solver for (F + λI)u = g.
    pub solver: Solver<T>,
    /// CG's stopping rule.
    pub cg_stop: CgStop,
    /// CG's start x₀ (zeros when `None`); the peer draws x₀ = 10⁻⁴·N(0, 1).
    pub cg_start: Option<DVector<T>>,
    /// λ of the `damping` convention as an input of the case (SB3's `cg_damping`), so that its
    /// sensitivity is seen; `None`: [`Conventions::damping`].
    pub damping: Option<T>,
}

/// What [`trust_region_update_with`] computed.
#[derive(Debug, Clone, PartialEq)]
pub struct ConventionalStep<T: Scalar> {
    /// The update, as [`trust_region_update`] reports it; `natural.fisher` is the `fisher`
    /// convention's F (the direction solved (F + λI)u = g), and `natural.grad` the gradient of
    /// the (standardised) advantages.
    pub step: TrustRegionStep<T>,
    /// The step length β along u: √(2ε/gᵀu) or √(2δ/uᵀ(F + λI)u) (sb3-contrib's
    /// `line_search_max_step_size`); `None` when β is beyond the range of `T` (θ′ − θ = βu is
    /// still formed, from u/t, as the natural step of Eq. (12.12) forms it).
    pub step_size: Option<T>,
    /// The advantages the update used, after the `normalize_advantage` convention.
    pub advantages: Vec<T>,
    /// meanᵢ |Âᵢ|·|∇log π_θ(aᵢ | sᵢ)| per component: the size of the terms the gradient sums,
    /// so that a gradient that is 0 in exact arithmetic (standardised advantages that cancel)
    /// can be told from a small one: its rounding is a few ε times this.
    pub grad_terms: DVector<T>,
}

/// Trust region update under explicit conventions (`shared/spec/profiles.md`), on a flat batch
/// of samples: Algorithm 12.5 on the one-step trajectories ((sᵢ, aᵢ, Âᵢ)) with γ = 1
/// ([`crate::samples`]), with each convention one setting of its steps:
///
/// 1. Âᵢ: the advantages after `normalize_advantage` ([`crate::samples::normalize_advantages`]);
/// 2. g = meanᵢ Âᵢ∇log π_θ(aᵢ | sᵢ) (Algorithm 12.4's likelihood-ratio gradient);
/// 3. F: `empirical`, meanᵢ ∇log π ∇log πᵀ (Eq. 12.10), or `kl_hessian`, meanᵢ of the Fisher
///    information of π_θ(·|sᵢ) ([`Policy::fisher_information`]), the Hessian at θ′ = θ of the
///    mean KL that sb3-contrib differentiates twice; A = F + λI with λ = `damping`;
/// 4. u from A u = g with the solver (CG from `cg_start`, stopping by `cg_stop`);
/// 5. θ′ = θ + βu, β = √(2ε/gᵀu) (`g_dot_u`, Eq. 12.13) or √(2ε/uᵀAu) (`u_dot_au`);
/// 6. the line search of Algorithm 12.5 from θ′ with f(θ′) = meanᵢ wᵢÂᵢ and the divergence
///    `linesearch_kl`: `old_new`, meanᵢ D_KL(π_θ(·|sᵢ) ‖ π_θ′(·|sᵢ)) (Eq. 12.19), or `new_old`,
///    meanᵢ D_KL(π_θ′(·|sᵢ) ‖ π_θ(·|sᵢ)) (sb3-contrib); acceptance by `params.acceptance`.
///
/// With every convention at the book's and an exact or relative-CG solver from 0, the direction
/// is the version-1 one (solved from the score matrix). With standardised advantages
/// f(θ, θ) = meanᵢ Âᵢ is reported as its exact value 0.
///
/// # Errors
/// As [`trust_region_update`]; `ZeroGradient` when g = 0 exactly (the peer divides 2δ by
/// uᵀAu = 0, or, with a random CG start, steps along rounding noise: the natural direction
/// is undefined); `InvalidParameter` for a negative damping or `sample_std` on one sample;
/// `DimensionMismatch` or `NonFiniteInput` for a `cg_start` of another length or with a NaN.
pub fn trust_region_update_with<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    samples: &[Sample<P::State, P::Action, T>],
    params: &LinesearchParams<T>,
    settings: &TrustRegionSettings<T>,
) -> Result<ConventionalStep<T>> {
    params.check()?;
    settings.solver.check()?;
    let conventions = &settings.conventions;
    let damping = settings
        .damping
        .unwrap_or_else(|| lit::<T>(conventions.damping));
    check_nonnegative(damping, "damping")?;
    if let Some(start) = &settings.cg_start {
        check_len(start, theta.len(), "cg_start")?;
        check_finite_vec(start, "cg_start")?;
    }
    let (advantages, trajectories) =
        standardised_trajectories(samples, conventions.normalize_advantage)?;
    let one = T::one();
    let lr = likelihood_ratio_gradient(policy, theta, &trajectories, one)?;
    let grad = lr.grad;
    let mut grad_terms = DVector::zeros(theta.len());
    for (score, a) in lr.scores.iter().zip(&advantages) {
        grad_terms += score.abs() * a.abs();
    }
    let grad_terms = grad_terms / lit::<T>(samples.len() as f64);
    if grad.iter().all(|x| *x == T::zero()) {
        return Err(PgError::ZeroGradient {
            field: "grad".into(),
        });
    }
    let book_direction = conventions.fisher == FisherKind::Empirical
        && damping == T::zero()
        && settings.cg_start.is_none()
        && settings.cg_stop == CgStop::Relative;
    let Direction {
        fisher,
        direction,
        cg,
    } = if book_direction {
        solve_direction(&settings.solver, score_matrix(&lr.scores)?, &grad)?
    } else {
        let f = match conventions.fisher {
            FisherKind::Empirical => fisher(&lr.scores)?,
            FisherKind::KlHessian => kl_hessian(policy, theta, samples)?,
        };
        solve_explicit(
            &settings.solver,
            f,
            damping,
            &grad,
            settings.cg_stop,
            settings.cg_start.as_ref(),
        )?
    };
    let direction = finite_result(direction, "direction")?;
    let scale_by = match conventions.step_scale {
        StepScale::GDotU => grad.clone(),
        StepScale::UDotAu => {
            // A = F + λI (+ the CG solver's own damping): the matrix the direction solved.
            let solver_damping = match &settings.solver {
                Solver::ConjugateGradient(p) => p.damping,
                Solver::Damped { damping } => *damping,
                _ => T::zero(),
            };
            let f_u = match &fisher {
                Some(f) => f * &direction,
                None => fisher_vector_product(&score_matrix(&lr.scores)?, &direction),
            };
            f_u + &direction * (damping + solver_damping)
        }
    };
    // β = √(2ε/aᵀu) with a = g or Au, as the natural step evaluates it (no overflow of
    // 2ε/aᵀu for a subnormal aᵀu; NonPositiveCurvature for aᵀu within its rounding of 0).
    let step_size = step_size(&scale_by, &direction, params.epsilon)?;
    let theta_natural = natural_step(theta, &scale_by, &direction, params.epsilon)?;
    // Standardised advantages have mean 0 exactly (Σ(Aᵢ − Ā) = 0 for the exact mean), so
    // f(θ, θ) = meanᵢ Âᵢ is 0: the exact value, where summing the rounded Âᵢ leaves noise of
    // size n·ε (SB3's `policy_objective` holds ±1e-8 in float32).
    let standardised_mean_zero = match conventions.normalize_advantage {
        NormalizeAdvantage::None => false,
        NormalizeAdvantage::SampleStd => true,
        NormalizeAdvantage::SampleStdIfSeveral => samples.len() > 1,
    };
    let f_theta = if standardised_mean_zero {
        T::zero()
    } else {
        surrogate_objective(policy, theta, theta, &trajectories, one)?
    };
    let evaluate = |candidate: &DVector<T>| -> Result<Option<SurrogateValues<T>>> {
        if policy.check_theta(candidate, "theta_prime").is_err() {
            return Ok(None);
        }
        let values = linesearch_divergence(
            policy,
            theta,
            candidate,
            samples,
            &trajectories,
            conventions.linesearch_kl,
        )
        .and_then(|g| {
            let f = surrogate_objective(policy, theta, candidate, &trajectories, one)?;
            let improvement = surrogate_improvement(policy, theta, candidate, &trajectories, one)?;
            Ok(SurrogateValues { f, g, improvement })
        });
        match values {
            Ok(v) => Ok(Some(v)),
            Err(PgError::NonFiniteResult { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let (outcome, decisions) = linesearch_checked(theta, &theta_natural, params, evaluate)?;
    let result = match &outcome {
        LinesearchOutcome::Accepted {
            theta: accepted, ..
        } => accepted.clone(),
        LinesearchOutcome::Exhausted { .. } => theta.clone(),
    };
    Ok(ConventionalStep {
        step: TrustRegionStep {
            natural: NaturalStep {
                grad,
                fisher,
                direction,
                theta: theta_natural,
                cg,
            },
            f_theta,
            outcome,
            theta: result,
            decisions,
        },
        step_size,
        advantages,
        grad_terms,
    })
}

/// F = meanᵢ of the Fisher information of π_θ(·|sᵢ): the `kl_hessian` convention, the Hessian
/// at θ′ = θ of meanᵢ D_KL(π_θ′(·|sᵢ) ‖ π_θ(·|sᵢ)).
fn kl_hessian<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    samples: &[Sample<P::State, P::Action, T>],
) -> Result<DMatrix<T>> {
    policy.check_theta(theta, "theta")?;
    let n = theta.len();
    let mut sum = DMatrix::zeros(n, n);
    for x in samples {
        sum += policy.fisher_information(theta, &x.s)?;
    }
    finite_matrix(sum / lit::<T>(samples.len() as f64), "fisher")
}

/// The line search's divergence under `linesearch_kl`: Eq. (12.19) over the one-step
/// trajectories (`old_new`), or meanᵢ D_KL(π_θ′(·|sᵢ) ‖ π_θ(·|sᵢ)) (`new_old`).
fn linesearch_divergence<T: Scalar, P: Policy<T>>(
    policy: &P,
    theta: &DVector<T>,
    candidate: &DVector<T>,
    samples: &[Sample<P::State, P::Action, T>],
    trajectories: &[Trajectory<P::State, P::Action, T>],
    kl: LinesearchKl,
) -> Result<T> {
    match kl {
        LinesearchKl::OldNew => {
            surrogate_constraint(policy, theta, candidate, trajectories, T::one())
        }
        LinesearchKl::NewOld => {
            let mut sum = CompensatedSum::default();
            for x in samples {
                sum.add(policy.kl(candidate, theta, &x.s)?);
            }
            finite_scalar(sum.total() / lit::<T>(samples.len() as f64), "kl_div")
        }
    }
}
