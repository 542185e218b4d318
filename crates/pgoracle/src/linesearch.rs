//! The line search of Algorithm 12.5 (Eq. 12.20), made to always terminate.

use nalgebra::DVector;

use crate::error::Result;
use crate::scalar::{
    Scalar, check_finite_vec, check_len, check_open_interval, check_positive, check_vector,
};

/// Parameters of [`linesearch`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinesearchParams<T> {
    /// Divergence bound ε > 0 on the surrogate constraint.
    pub epsilon: T,
    /// Shrink factor α ∈ (0, 1) (0.5 in the book's examples).
    pub alpha: T,
    /// Maximum number of shrinks; the book's loop has no cap. The oracle default is 100.
    pub max_steps: usize,
}

impl<T: Scalar> LinesearchParams<T> {
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
}

/// How a line search ended.
#[derive(Debug, Clone, PartialEq)]
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
/// ```
/// use nalgebra::dvector;
/// use pgoracle::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch};
/// // f improves everywhere, g(θ′) = ‖θ′ − θ‖²: with ε = 0.01 the first candidate within radius
/// // 0.1 of θ = 0, starting at distance 1, is 1/16 (four halvings).
/// let params = LinesearchParams { epsilon: 0.01, alpha: 0.5, max_steps: 100 };
/// let outcome = linesearch(0.0, &dvector![0.0], &dvector![1.0], &params, |c| {
///     Ok(Some(SurrogateValues { f: 1.0, g: c[0] * c[0] }))
/// })
/// .unwrap();
/// assert!(matches!(outcome, LinesearchOutcome::Accepted { steps: 4, .. }));
/// ```
pub fn linesearch<T, E>(
    f_theta: T,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    params: &LinesearchParams<T>,
    mut evaluate: E,
) -> Result<LinesearchOutcome<T>>
where
    T: Scalar,
    E: FnMut(&DVector<T>) -> Result<Option<SurrogateValues<T>>>,
{
    params.check()?;
    // θ and θ′ are checked too: θ′ of another length made the shrink θ + α(θ′ − θ) panic, and a
    // NaN or ±∞ in either gave non-finite candidates that the surrogate could accept. Found by
    // fuzzing (`fuzz_regressions::linesearch_checks_theta_and_theta_prime`).
    check_vector(theta, "theta")?;
    check_len(theta_prime, theta.len(), "theta_prime")?;
    check_finite_vec(theta_prime, "theta_prime")?;
    let mut candidate = theta_prime.clone();
    let mut steps = 0;
    loop {
        let values = evaluate(&candidate)?;
        if let Some(v) = values
            && v.g <= params.epsilon
            && v.f > f_theta
        {
            return Ok(LinesearchOutcome::Accepted {
                theta: candidate,
                steps,
                values: v,
            });
        }
        // Once θ′ has collapsed onto θ every later candidate is θ itself, which strict
        // improvement always rejects: the remaining shrinks are skipped, with the same outcome
        // as performing them (so `steps` still reports `max_steps`).
        if steps >= params.max_steps || &candidate == theta {
            return Ok(LinesearchOutcome::Exhausted {
                last_theta: candidate,
                steps: params.max_steps,
                last_values: values,
            });
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
