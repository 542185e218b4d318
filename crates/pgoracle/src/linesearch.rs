//! The line search of Algorithm 12.5 (Eq. 12.20), made to always terminate.

use nalgebra::DVector;

use crate::conventions::Acceptance;
use crate::decision::{Decision, DecisionKind};
use crate::error::Result;
use crate::scalar::{
    Scalar, check_finite_vec, check_len, check_open_interval, check_positive, check_vector, lit,
};

/// Parameters of [`linesearch`] (Algorithm 12.5's ε and α, and a cap the book does not have).
///
/// `#[non_exhaustive]`: build it with [`LinesearchParams::new`] and the `with_*` setters, so a
/// later field does not break callers.
///
/// ```
/// use pgoracle::LinesearchParams;
/// let params = LinesearchParams::new(0.1).with_alpha(0.8).with_max_steps(10);
/// assert_eq!((params.epsilon, params.alpha, params.max_steps), (0.1, 0.8, 10));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct LinesearchParams<T> {
    /// Divergence bound ε > 0 on the surrogate constraint.
    pub epsilon: T,
    /// Shrink factor α ∈ (0, 1) (0.5 in the book's examples).
    pub alpha: T,
    /// Maximum number of shrinks; the book's loop has no cap. The oracle default is 100.
    pub max_steps: usize,
    /// `None` (the default): the book's tests decide. `Some(k)`: follow another branch —
    /// reject every candidate before shrink k and accept the k-th if it can be evaluated
    /// (k > `max_steps`: accept none). `pgoracle check` evaluates with it the branch another
    /// implementation took at a decision rounding could flip (an `indeterminate` one).
    pub accept_at: Option<usize>,
    /// The acceptance convention: the book's g ≤ ε, or `strict` KL < δ (`shared/spec/profiles.md`).
    pub acceptance: Acceptance,
}

impl<T: Scalar> LinesearchParams<T> {
    /// Divergence bound ε, with the book's α = 0.5 and the oracle interface's default
    /// `max_steps` = 100. Checked where it is used ([`LinesearchParams::check`]).
    pub fn new(epsilon: T) -> Self {
        LinesearchParams {
            epsilon,
            alpha: lit(0.5),
            max_steps: 100,
            accept_at: None,
            acceptance: Acceptance::Book,
        }
    }

    /// The same parameters with shrink factor α.
    #[must_use]
    pub fn with_alpha(self, alpha: T) -> Self {
        LinesearchParams { alpha, ..self }
    }

    /// The same parameters with at most `max_steps` shrinks.
    #[must_use]
    pub fn with_max_steps(self, max_steps: usize) -> Self {
        LinesearchParams { max_steps, ..self }
    }

    /// The same parameters, following the branch that accepts exactly the `k`-th candidate
    /// (none when `k` > `max_steps`) whatever the tests say ([`LinesearchParams::accept_at`]).
    #[must_use]
    pub fn with_accept_at(self, k: usize) -> Self {
        LinesearchParams {
            accept_at: Some(k),
            ..self
        }
    }

    /// The same parameters with the acceptance convention `acceptance`.
    #[must_use]
    pub fn with_acceptance(self, acceptance: Acceptance) -> Self {
        LinesearchParams { acceptance, ..self }
    }

    /// Checks ε > 0 and α ∈ (0, 1).
    ///
    /// # Errors
    /// `NonFiniteInput`, `InvalidParameter` naming `epsilon` or `alpha`.
    pub fn check(&self) -> Result<()> {
        check_positive(self.epsilon, "epsilon")?;
        check_open_interval(self.alpha, T::zero(), T::one(), "alpha")
    }
}

/// Surrogate objective and constraint at one candidate θ′.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurrogateValues<T> {
    /// f(θ, θ′), Eq. (12.18).
    pub f: T,
    /// g(θ, θ′), Eq. (12.19).
    pub g: T,
    /// f(θ, θ′) − f(θ, θ), the improvement the line search requires to be positive. The trust
    /// region forms it without cancellation ([`crate::surrogate::surrogate_improvement`]);
    /// [`SurrogateValues::new`] takes the difference of the two values.
    pub improvement: T,
}

impl<T: Scalar> SurrogateValues<T> {
    /// f and g at a candidate, with the improvement f − `f_theta` (f(θ, θ) = `f_theta`).
    pub fn new(f: T, g: T, f_theta: T) -> Self {
        SurrogateValues {
            f,
            g,
            improvement: f - f_theta,
        }
    }
}

/// How a line search ended.
///
/// `#[non_exhaustive]`: outside this crate, read it through [`LinesearchOutcome::accepted`],
/// [`LinesearchOutcome::steps`], [`LinesearchOutcome::theta`] and
/// [`LinesearchOutcome::values`], or match with a wildcard arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LinesearchOutcome<T: Scalar> {
    /// A candidate with g(θ, θ′) ≤ ε and f(θ, θ′) > f(θ, θ) was found after `steps` shrinks.
    Accepted {
        /// The accepted θ′.
        theta: DVector<T>,
        /// Shrinks performed (0 when the natural step itself is accepted).
        steps: usize,
        /// f and g at the accepted θ′.
        values: SurrogateValues<T>,
    },
    /// No acceptable point within `max_steps` shrinks (the book's loop would never end).
    Exhausted {
        /// The last candidate examined.
        last_theta: DVector<T>,
        /// Shrinks performed (= `max_steps`).
        steps: usize,
        /// f and g at the last candidate, `None` when it could not be evaluated (outside the
        /// policy's domain, or an overflowing likelihood ratio).
        last_values: Option<SurrogateValues<T>>,
    },
}

impl<T: Scalar> LinesearchOutcome<T> {
    /// Whether a candidate was accepted.
    pub fn accepted(&self) -> bool {
        matches!(self, LinesearchOutcome::Accepted { .. })
    }

    /// Shrinks performed: before acceptance, or `max_steps` when exhausted.
    pub fn steps(&self) -> usize {
        match self {
            LinesearchOutcome::Accepted { steps, .. }
            | LinesearchOutcome::Exhausted { steps, .. } => *steps,
        }
    }

    /// The last candidate examined: the accepted θ′, or the last rejected one.
    pub fn theta(&self) -> &DVector<T> {
        match self {
            LinesearchOutcome::Accepted { theta, .. } => theta,
            LinesearchOutcome::Exhausted { last_theta, .. } => last_theta,
        }
    }

    /// f and g at the last candidate examined; `None` when it could not be evaluated.
    pub fn values(&self) -> Option<SurrogateValues<T>> {
        match self {
            LinesearchOutcome::Accepted { values, .. } => Some(*values),
            LinesearchOutcome::Exhausted { last_values, .. } => *last_values,
        }
    }
}

/// Backtracking line search of Algorithm 12.5 (Eq. 12.20).
///
/// $$\theta^{\prime} \leftarrow \theta + \alpha(\theta^{\prime} - \theta) \quad \text{while } g(\theta, \theta^{\prime}) > \epsilon \text{ or } f(\theta, \theta^{\prime}) \le f(\theta, \theta)$$
///
/// Starting from θ′ = `theta_prime`, while g(θ, θ′) > ε or f(θ, θ′) ≤ f(θ, θ):
/// θ′ ← θ + α(θ′ − θ). Acceptance needs strict improvement, as in the book.
///
/// Departures from the book, each to make the outcome defined (docs/edge-cases.md):
/// at most `max_steps` shrinks, after which the outcome is [`LinesearchOutcome::Exhausted`]
/// (reached at once when θ′ has collapsed onto θ, where no shrink can change anything);
/// a candidate that `evaluate` cannot score (it returns `Ok(None)`: θ′ outside the policy's
/// domain, or a non-finite surrogate) is rejected instead of compared as NaN.
///
/// # Errors
/// `InvalidParameter`/`NonFiniteInput` for the parameters, `EmptyInput`/`NonFiniteInput` for θ,
/// `DimensionMismatch`/`NonFiniteInput` for θ′, and any error `evaluate` returns.
///
/// The tests are decided on `improvement` (f(θ, θ′) − f(θ, θ)) and on g, and every test
/// evaluated is recorded, in order, with its margin ([`Decision`]): the second element of the
/// result.
///
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch};
/// // f improves everywhere, g(θ′) = ‖θ′ − θ‖²: with ε = 0.01 the first candidate within radius
/// // 0.1 of θ = 0, starting at distance 1, is 1/16 (four halvings).
/// let params = LinesearchParams::new(0.01);
/// let (outcome, decisions) = linesearch(&dvector![0.0], &dvector![1.0], &params, |c| {
///     Ok(Some(SurrogateValues::new(1.0, c[0] * c[0], 0.0)))
/// })
/// .unwrap();
/// assert!(matches!(outcome, LinesearchOutcome::Accepted { steps: 4, .. }));
/// // Two tests per candidate; the last constraint margin is 0.01 − 1/256.
/// assert_eq!(decisions.len(), 10);
/// assert_eq!(decisions[8].margin, 0.01 - 1.0 / 256.0);
/// ```
pub fn linesearch<T, E>(
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    params: &LinesearchParams<T>,
    evaluate: E,
) -> Result<(LinesearchOutcome<T>, Vec<Decision<T>>)>
where
    T: Scalar,
    E: FnMut(&DVector<T>) -> Result<Option<SurrogateValues<T>>>,
{
    params.check()?;
    linesearch_checked(theta, theta_prime, params, evaluate)
}

/// [`linesearch`] with parameters already checked ([`crate::trust_region_update`] checks them
/// once for the whole update).
pub(crate) fn linesearch_checked<T, E>(
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    params: &LinesearchParams<T>,
    mut evaluate: E,
) -> Result<(LinesearchOutcome<T>, Vec<Decision<T>>)>
where
    T: Scalar,
    E: FnMut(&DVector<T>) -> Result<Option<SurrogateValues<T>>>,
{
    // θ and θ′ are checked too: θ′ of another length made the shrink θ + α(θ′ − θ) panic, and a
    // NaN or ±∞ in either gave non-finite candidates that the surrogate could accept. Found by
    // fuzzing (`fuzz_regressions::linesearch_checks_theta_and_theta_prime`).
    check_vector(theta, "theta")?;
    check_len(theta_prime, theta.len(), "theta_prime")?;
    check_finite_vec(theta_prime, "theta_prime")?;
    let mut candidate = theta_prime.clone();
    let mut steps = 0;
    let mut decisions = Vec::new();
    loop {
        let values = evaluate(&candidate)?;
        if let Some(v) = values {
            let constraint = Decision {
                kind: match params.acceptance {
                    Acceptance::Book => DecisionKind::LinesearchConstraint,
                    Acceptance::Strict => DecisionKind::LinesearchStrictConstraint,
                },
                at: steps,
                margin: params.epsilon - v.g,
                terms: [params.epsilon, v.g],
            };
            let improvement = Decision {
                kind: DecisionKind::LinesearchImprovement,
                at: steps,
                margin: v.improvement,
                terms: [v.f, v.f - v.improvement],
            };
            decisions.extend([constraint, improvement]);
            let accept = match params.accept_at {
                None => constraint.holds() && improvement.holds(),
                Some(k) => k == steps,
            };
            if accept {
                let outcome = LinesearchOutcome::Accepted {
                    theta: candidate,
                    steps,
                    values: v,
                };
                return Ok((outcome, decisions));
            }
        }
        // Once θ′ has collapsed onto θ every later candidate is θ itself, which strict
        // improvement always rejects: the remaining shrinks are skipped, with the same outcome
        // as performing them (so `steps` still reports `max_steps`).
        if steps >= params.max_steps || &candidate == theta {
            let outcome = LinesearchOutcome::Exhausted {
                last_theta: candidate,
                steps: params.max_steps,
                last_values: values,
            };
            return Ok((outcome, decisions));
        }
        let shrunk = theta + (&candidate - theta) * params.alpha;
        candidate = if shrunk.iter().all(|x| x.is_finite()) {
            shrunk
        } else {
            // θ′ − θ overflows for θ, θ′ near ∓MAX, and the candidate became ±∞. The same point
            // as the convex combination (1 − α)θ + αθ′, which stays between them. Found with the
            // fuzz harness (`fuzz_regressions::linesearch_shrink_that_overflows`).
            theta * (T::one() - params.alpha) + &candidate * params.alpha
        };
        steps += 1;
    }
}
