//! Section 12.4: the trust region update (TRPO), Algorithm 12.5.

use nalgebra::DVector;

use crate::decision::Decision;
use crate::error::{PgError, Result};
use crate::linesearch::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch_checked};
use crate::natural::{NaturalStep, natural_policy_update_checked};
use crate::policy::Policy;
use crate::scalar::Scalar;
use crate::solver::Solver;
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
