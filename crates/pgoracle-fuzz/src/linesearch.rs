//! Fuzz target `linesearch`: the backtracking line search of Algorithm 12.5 (Eq. 12.20), on its
//! own with a scripted surrogate, and inside `trust_region_update` on arbitrary trajectories.
//!
//! Properties of [`linesearch`] with a scripted surrogate (any θ, θ′, ε, α, `max_steps`, and
//! any sequence of surrogate values, unscorable candidates and errors):
//!
//! 1. Invalid inputs (ε ≤ 0, α ∉ (0, 1), NaN or ±∞ in ε, α, θ or θ′, θ empty, θ′ of another
//!    length) are a typed error before any candidate is evaluated.
//! 2. It terminates: at most `max_steps` + 1 candidates are evaluated, the first is θ′ and each
//!    next one lies between θ and the one before. Every candidate is finite.
//! 3. An error of the surrogate is returned as it is, and ends the search.
//! 4. `Accepted` is the first candidate whose values satisfy both conditions, g ≤ ε and
//!    f > f(θ); `steps` counts the shrinks before it, and the values are the surrogate's.
//! 5. `Exhausted` means no candidate was acceptable; `steps` = `max_steps`, and the last
//!    candidate and its values are reported.
//!
//! Properties of `trust_region_update` (Gaussian and linear Gaussian policies, any trajectories,
//! θ, γ, ε, α, solver):
//!
//! 6. Valid, finite inputs never give `NonFiniteInput`, `InvalidParameter`, `EmptyInput` or
//!    `DimensionMismatch`; invalid ones always give one of the kinds their defects explain.
//! 7. Every number of the result is finite (θ′ of the natural step, g, F, u, f(θ), θ, values).
//! 8. `Accepted`: `steps` ≤ `max_steps`, g(θ, θ′) ≤ ε and f(θ, θ′) > f(θ, θ), recomputed
//!    independently from the trajectories, and the update's θ is the accepted θ′.
//!    `Exhausted`: `steps` = `max_steps`, the update's θ is the input θ, and the last values (when
//!    present) violate a condition.

use arbitrary::Arbitrary;
use nalgebra::DVector;

use super::input::{Num, SolverCase, values};
use super::{assert_finite, assert_kind};
use pgoracle::error::{PgError, Result};
use pgoracle::linesearch::{LinesearchOutcome, LinesearchParams, SurrogateValues, linesearch};
use pgoracle::policy::{Gaussian, LinearGaussian, Policy};
use pgoracle::surrogate::{surrogate_constraint, surrogate_improvement, surrogate_objective};
use pgoracle::trajectory::{Step, Trajectory};
use pgoracle::trust_region::trust_region_update;

/// Longest θ a scripted case uses.
pub const MAX_PARAMS: usize = 4;
/// Most trajectories, and most steps per trajectory, a trust region case uses.
pub const MAX_TRAJECTORIES: usize = 4;

/// A line search case.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub enum Case {
    /// [`linesearch`] with a scripted surrogate.
    Scripted(Scripted),
    /// `trust_region_update` on trajectories of a Gaussian policy.
    TrustRegion(TrustRegion),
}

/// [`linesearch`] with surrogate values replayed from a script.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Scripted {
    /// f(θ, θ).
    pub f_theta: Num,
    /// ε.
    pub epsilon: Num,
    /// α.
    pub alpha: Num,
    /// The cap on shrinks.
    pub max_steps: u16,
    /// Evaluation (0-based) at which the surrogate fails with an error, if any.
    pub fail_at: Option<u16>,
    /// θ (at most [`MAX_PARAMS`] entries).
    pub theta: Vec<Num>,
    /// θ′, the first candidate (at most [`MAX_PARAMS`] entries; its length may differ from θ's).
    pub theta_prime: Vec<Num>,
    /// The surrogate's answers, used in turn and cyclically: `(f, g)`, or `None` for a candidate
    /// it cannot score. An empty script never scores.
    pub script: Vec<Option<(Num, Num)>>,
}

/// One `trust_region_update`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct TrustRegion {
    /// Use the linear Gaussian policy N(θ₁s, θ₂²) instead of N(θ₁, θ₂²).
    pub linear: bool,
    /// θ (the policy takes 2 entries; at most 3 are used, so lengths can mismatch).
    pub theta: Vec<Num>,
    /// γ.
    pub gamma: Num,
    /// ε.
    pub epsilon: Num,
    /// α.
    pub alpha: Num,
    /// The cap on shrinks.
    pub max_steps: u8,
    /// The natural-gradient solver.
    pub solver: SolverCase,
    /// Trajectories of (s, a, r) steps (at most [`MAX_TRAJECTORIES`] of at most
    /// [`MAX_TRAJECTORIES`] steps).
    pub trajectories: Vec<Vec<(Num, Num, Num)>>,
}

/// Runs the case and asserts the properties of the module docs.
pub fn harness(case: Case) {
    match &case {
        Case::Scripted(s) => scripted(s),
        Case::TrustRegion(t) if t.linear => trust_region(&LinearGaussian, t),
        Case::TrustRegion(t) => trust_region(&Gaussian, t),
    }
}

fn scripted(case: &Scripted) {
    let theta = DVector::from_vec(values(&case.theta, MAX_PARAMS));
    let theta_prime = DVector::from_vec(values(&case.theta_prime, MAX_PARAMS));
    let params = LinesearchParams::new(case.epsilon.0)
        .with_alpha(case.alpha.0)
        .with_max_steps(usize::from(case.max_steps));
    let finite = |v: &DVector<f64>| v.iter().all(|x| x.is_finite());
    let mut defects = Vec::new();
    if !(params.epsilon.is_finite()
        && params.alpha.is_finite()
        && finite(&theta)
        && finite(&theta_prime))
    {
        defects.push("NonFiniteInput");
    }
    if !(params.epsilon > 0.0 && params.alpha > 0.0 && params.alpha < 1.0) {
        defects.push("InvalidParameter");
    }
    if theta.is_empty() {
        defects.push("EmptyInput");
    }
    if theta_prime.len() != theta.len() {
        defects.push("DimensionMismatch");
    }

    let injected = PgError::ZeroProbability {
        field: "scripted surrogate".into(),
    };
    let mut candidates: Vec<DVector<f64>> = Vec::new();
    let mut answers: Vec<Option<SurrogateValues<f64>>> = Vec::new();
    let result = linesearch(&theta, &theta_prime, &params, |c| {
        let call = candidates.len();
        candidates.push(c.clone());
        assert!(
            call <= params.max_steps,
            "more than max_steps + 1 evaluations: {case:?}"
        );
        if case.fail_at.is_some_and(|k| usize::from(k) == call) {
            return Err(injected.clone());
        }
        let answer = match case.script.get(call % case.script.len().max(1)) {
            Some(Some((f, g))) => Some(SurrogateValues::new(f.0, g.0, case.f_theta.0)),
            _ => None,
        };
        answers.push(answer);
        Ok(answer)
    });

    if !defects.is_empty() {
        match result {
            Err(e) => assert_kind(&e, &defects, case),
            Ok(outcome) => panic!("{outcome:?} despite {defects:?}: {case:?}"),
        }
        assert!(
            candidates.is_empty(),
            "evaluated before validation: {case:?}"
        );
        return;
    }
    let calls = candidates.len();
    assert!(calls >= 1, "no candidate evaluated: {case:?}");
    assert_eq!(
        candidates[0], theta_prime,
        "first candidate is not θ′: {case:?}"
    );
    for (k, c) in candidates.iter().enumerate() {
        assert_finite(c, "candidate", case);
        if k > 0 {
            let prev = &candidates[k - 1];
            for i in 0..theta.len() {
                let (lo, hi) = if prev[i] <= theta[i] {
                    (prev[i], theta[i])
                } else {
                    (theta[i], prev[i])
                };
                assert!(
                    lo <= c[i] && c[i] <= hi,
                    "candidate {k} left the segment from θ to the previous one: {case:?}"
                );
            }
        }
    }
    let acceptable = |v: &Option<SurrogateValues<f64>>| {
        v.is_some_and(|v| v.g <= params.epsilon && v.f > case.f_theta.0)
    };
    let result = result.map(|(outcome, decisions)| {
        // Two tests recorded per candidate evaluated, in order, with the margins ε − g and
        // f − f(θ).
        let evaluated: Vec<_> = answers
            .iter()
            .enumerate()
            .filter_map(|(k, a)| a.map(|v| (k, v)))
            .collect();
        assert_eq!(
            decisions.len(),
            2 * evaluated.len(),
            "decisions recorded: {case:?}"
        );
        for (pair, (k, v)) in decisions.chunks(2).zip(&evaluated) {
            assert_eq!(
                (pair[0].at, pair[1].at),
                (*k, *k),
                "decision index: {case:?}"
            );
            assert_eq!(pair[0].margin.to_bits(), (params.epsilon - v.g).to_bits());
            assert_eq!(pair[1].margin.to_bits(), (v.f - case.f_theta.0).to_bits());
        }
        outcome
    });
    match result {
        Err(e) => {
            assert_eq!(e, injected, "error not from the surrogate: {case:?}");
            assert_eq!(Some(calls - 1), case.fail_at.map(usize::from));
        }
        Ok(LinesearchOutcome::Accepted {
            theta: accepted,
            steps,
            values,
        }) => {
            assert_eq!(steps, calls - 1, "steps ≠ shrinks performed: {case:?}");
            assert_eq!(accepted, candidates[calls - 1]);
            assert!(
                same(&Some(values), &answers[calls - 1]),
                "values differ: {case:?}"
            );
            assert!(acceptable(&Some(values)), "accepted {values:?}: {case:?}");
            assert!(
                !answers[..calls - 1].iter().any(acceptable),
                "an earlier candidate was acceptable: {case:?}"
            );
        }
        Ok(LinesearchOutcome::Exhausted {
            last_theta,
            steps,
            last_values,
        }) => {
            assert_eq!(steps, params.max_steps, "exhausted early: {case:?}");
            assert_eq!(last_theta, candidates[calls - 1]);
            assert!(
                same(&last_values, &answers[calls - 1]),
                "last values differ: {case:?}"
            );
            assert!(
                !answers.iter().any(acceptable),
                "an acceptable candidate was passed over: {case:?}"
            );
            assert!(
                calls == params.max_steps + 1 || last_theta == theta,
                "stopped after {calls} evaluations before collapsing onto θ: {case:?}"
            );
        }
        Ok(other) => panic!("an outcome this harness does not know: {other:?}"),
    }
}

/// Whether two surrogate answers are the same, bit for bit (NaN included).
fn same(a: &Option<SurrogateValues<f64>>, b: &Option<SurrogateValues<f64>>) -> bool {
    let bits = |v: &Option<SurrogateValues<f64>>| v.map(|v| (v.f.to_bits(), v.g.to_bits()));
    bits(a) == bits(b)
}

fn trust_region<P>(policy: &P, case: &TrustRegion)
where
    P: Policy<f64, State = f64, Action = f64>,
{
    let theta = DVector::from_vec(values(&case.theta, 3));
    let trajectories: Vec<Trajectory<f64, f64, f64>> = case
        .trajectories
        .iter()
        .take(MAX_TRAJECTORIES)
        .map(|tau| {
            tau.iter()
                .take(MAX_TRAJECTORIES)
                .map(|(s, a, r)| Step {
                    s: s.0,
                    a: a.0,
                    r: r.0,
                })
                .collect()
        })
        .collect();
    let params = LinesearchParams::new(case.epsilon.0)
        .with_alpha(case.alpha.0)
        .with_max_steps(usize::from(case.max_steps));
    let gamma = case.gamma.0;

    let mut defects = Vec::new();
    let steps = trajectories.iter().flatten();
    let inputs_finite = theta.iter().all(|x| x.is_finite())
        && [gamma, params.epsilon, params.alpha]
            .iter()
            .all(|x| x.is_finite())
        && steps
            .clone()
            .all(|s| [s.s, s.a, s.r].iter().all(|x| x.is_finite()));
    if !inputs_finite || !case.solver.is_valid::<f64>() {
        defects.push("NonFiniteInput");
    }
    if theta.len() != 2 {
        defects.push("DimensionMismatch");
    }
    if trajectories.is_empty() || trajectories.iter().any(Vec::is_empty) {
        defects.push("EmptyInput");
    }
    let sigma_valid = theta.len() == 2 && theta[1] > 0.0;
    if !(sigma_valid
        && params.epsilon > 0.0
        && params.alpha > 0.0
        && params.alpha < 1.0
        && (0.0..=1.0).contains(&gamma)
        && case.solver.is_valid::<f64>())
    {
        defects.push("InvalidParameter");
    }
    // What valid inputs can still meet: Eq. 12.12–12.13 undefined, or an overflow.
    let numerical = [
        "ZeroGradient",
        "SingularFisher",
        "NonPositiveCurvature",
        "NoConvergence",
        "NonFiniteResult",
        "ZeroProbability",
    ];

    let step = match trust_region_update(
        policy,
        &theta,
        &trajectories,
        gamma,
        &params,
        &case.solver.solver(),
    ) {
        Err(e) => {
            let allowed: Vec<&str> = if defects.is_empty() {
                numerical.to_vec()
            } else {
                defects.clone()
            };
            assert_kind(&e, &allowed, case);
            return;
        }
        Ok(step) => step,
    };
    assert!(defects.is_empty(), "no error for {defects:?}: {case:?}");
    let natural = &step.natural;
    for (v, what) in [
        (&natural.grad, "g"),
        (&natural.direction, "u"),
        (&natural.theta, "natural θ′"),
        (&step.theta, "θ"),
    ] {
        assert_finite(v, what, case);
    }
    if let Some(f) = &natural.fisher {
        assert!(f.iter().all(|x| x.is_finite()), "non-finite F: {case:?}");
    }
    assert!(step.f_theta.is_finite(), "non-finite f(θ): {case:?}");
    // f, g and the improvement f(θ′) − f(θ), each from its own library function: the line
    // search decides on the improvement formed without cancellation (surrogate_improvement),
    // which can be positive where the separately rounded f(θ′) and f(θ) are equal (fuzz
    // finding crash-c7906d63: an improvement below ulp(f) after 68 shrinks).
    let surrogate = |candidate: &DVector<f64>| -> Result<(f64, f64, f64)> {
        Ok((
            surrogate_objective(policy, &theta, candidate, &trajectories, gamma)?,
            surrogate_constraint(policy, &theta, candidate, &trajectories, gamma)?,
            surrogate_improvement(policy, &theta, candidate, &trajectories, gamma)?,
        ))
    };
    match &step.outcome {
        LinesearchOutcome::Accepted {
            theta: accepted,
            steps,
            values,
        } => {
            assert!(*steps <= params.max_steps, "too many steps: {case:?}");
            assert_eq!(&step.theta, accepted);
            let (f, g, improvement) = surrogate(accepted)
                .unwrap_or_else(|e| panic!("accepted θ′ cannot be scored ({e}): {case:?}"));
            assert_eq!(
                (f, g, improvement),
                (values.f, values.g, values.improvement),
                "reported values differ"
            );
            assert!(
                g <= params.epsilon && improvement > 0.0,
                "accepted θ′ with g = {g:e} (ε = {:e}), f(θ′) − f(θ) = {improvement:e}: {case:?}",
                params.epsilon,
            );
        }
        LinesearchOutcome::Exhausted {
            steps, last_values, ..
        } => {
            assert_eq!(*steps, params.max_steps, "exhausted early: {case:?}");
            assert_eq!(
                step.theta, theta,
                "θ changed by an exhausted search: {case:?}"
            );
            if let Some(v) = last_values {
                assert!(v.f.is_finite() && v.g.is_finite(), "non-finite values");
                assert!(
                    v.g > params.epsilon || v.improvement <= 0.0,
                    "acceptable last candidate reported as exhausted: {case:?}"
                );
            }
        }
        other => panic!("an outcome this harness does not know: {other:?}"),
    }
}
