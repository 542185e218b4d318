//! The 20 operations of the oracle interface: read the input, call the library, write the
//! output. Reading is complete (every field checked, unknown fields rejected) before any
//! computation, so a document error never hides behind a numerical one.

use serde_json::{Map, Value, json};

use super::DocError;
use super::fields::Fields;
use super::number::{JsonScalar, matrix, number, vector, vectors};
use super::operation::Operation;
use super::policy_json::{JsonPolicy, PolicySpec, policy_spec, trajectories};
use super::profile::Context;
use super::profile_ops;
use pgoracle::Decision;
use pgoracle::error::PgError;
use pgoracle::linesearch::LinesearchParams;
use pgoracle::natural::NaturalStep;
use pgoracle::policy::{Gaussian, GaussianLogStd, LinearGaussian};
use pgoracle::solver::{CgParams, Solver};
use pgoracle::trust_region::TrustRegionStep;
use pgoracle::{ClampedUpdateParams, Normal, RestrictedUpdateParams};
use pgoracle::{
    clamped_gradient_traced, clamped_objective, clamped_update_traced, clip_gradient, fisher,
    gradient_ascent, kl_categorical, kl_gaussian, kl_penalty_objective, likelihood_ratio_gradient,
    natural_policy_update, natural_update, restricted_step, restricted_update, scale_gradient,
    scores, surrogate_constraint, surrogate_objective, trust_region_update,
};

/// The default `max_steps` of `trust_region_update`.
pub const DEFAULT_MAX_STEPS: usize = 100;

/// A computed output object, or the numerical error the inputs lead to.
pub type Outcome = Result<Value, PgError>;

/// Output fields of [`run`] for the certification only, never in an interface output.
pub const INTERNAL_FIELDS: [&str; 3] = ["decisions", "last_candidate", "grad_terms"];

/// How [`run`] decides where the book leaves a choice to the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// The trust region's line search follows the branch that accepts exactly this candidate
    /// ([`LinesearchParams::accept_at`]); `None`: the book's tests decide.
    pub accept_at: Option<usize>,
    /// The clamp decisions (by index) that `clamped_gradient` and `clamped_update` take the
    /// other way ([`pgoracle::clamped_gradient_traced`]); empty: the book's.
    pub flipped: Vec<usize>,
    /// The case's profile and conventions (version 2); the book's by default.
    pub context: Context,
}

/// Runs operation `op` on the input object `f` in precision `T`: one arm per [`Operation`].
///
/// An output with discrete decisions (the trust region's line search, the clamps) carries them
/// in an internal field `decisions` (`{ decision, at, margin, holds, terms }` each), and the
/// trust region its last candidate θ′ in `last_candidate`; [`crate::eval_case_with`] turns
/// them into `indeterminate` and κ and removes them ([`INTERNAL_FIELDS`]).
pub fn run<T: JsonScalar>(
    op: Operation,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    if options.context.is_book() {
        run_book::<T>(op, f, options)
    } else {
        profile_ops::run::<T>(op, f, options)
    }
}

/// [`run`] under the book's conventions: version 1.
pub fn run_book<T: JsonScalar>(
    op: Operation,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    match op {
        Operation::GradientAscent => {
            let (theta, grad, alpha) = (f.vector("theta")?, f.vector("grad")?, f.scalar("alpha")?);
            f.finish()?;
            Ok(gradient_ascent::<T>(&theta, &grad, alpha).map(|t| json!({ "theta": vector(&t) })))
        }
        Operation::ScaleGradient => {
            let (grad, l2_max) = (f.vector("grad")?, f.scalar("l2_max")?);
            f.finish()?;
            Ok(scale_gradient::<T>(&grad, l2_max).map(|g| json!({ "grad": vector(&g) })))
        }
        Operation::ClipGradient => {
            let (grad, lo, hi) = (f.vector("grad")?, f.scalar("lo")?, f.scalar("hi")?);
            f.finish()?;
            Ok(clip_gradient::<T>(&grad, lo, hi).map(|g| json!({ "grad": vector(&g) })))
        }
        Operation::RestrictedStep => {
            let (theta, grad, eps) = (f.vector("theta")?, f.vector("grad")?, f.scalar("epsilon")?);
            f.finish()?;
            Ok(restricted_step::<T>(&theta, &grad, eps).map(|t| json!({ "theta": vector(&t) })))
        }
        Operation::Fisher => {
            let s = f.vectors("scores")?;
            f.finish()?;
            Ok(fisher::<T>(&s).map(|m| json!({ "fisher": matrix(&m) })))
        }
        Operation::NaturalUpdate => {
            let theta = f.vector("theta")?;
            let grads = f.vectors("grads")?;
            let s = f.vectors("scores")?;
            let eps = f.scalar("epsilon")?;
            let solver = solver::<T>(f)?;
            f.finish()?;
            Ok(natural_update(&theta, &grads, &s, eps, &solver).map(|step| natural_output(&step)))
        }
        Operation::KlCategorical => {
            let (p, q) = (f.vector("p")?, f.vector("q")?);
            f.finish()?;
            Ok(kl_categorical::<T>(&p, &q).map(|kl| json!({ "kl": number(kl) })))
        }
        Operation::KlGaussian => {
            let mean_p = f.scalar("mean_p")?;
            let std_p = f.scalar("std_p")?;
            let mean_q = f.scalar("mean_q")?;
            let std_q = f.scalar("std_q")?;
            f.finish()?;
            Ok(kl_gaussian::<T>(
                &Normal {
                    mean: mean_p,
                    std: std_p,
                },
                &Normal {
                    mean: mean_q,
                    std: std_q,
                },
            )
            .map(|kl| json!({ "kl": number(kl) })))
        }
        Operation::Score => with_policy::<T>(PolicyOp::Score, f, options),
        Operation::LikelihoodRatioGradient => {
            with_policy::<T>(PolicyOp::LikelihoodRatioGradient, f, options)
        }
        Operation::RestrictedUpdate => with_policy::<T>(PolicyOp::RestrictedUpdate, f, options),
        Operation::NaturalPolicyUpdate => {
            with_policy::<T>(PolicyOp::NaturalPolicyUpdate, f, options)
        }
        Operation::PolicyKl => with_policy::<T>(PolicyOp::PolicyKl, f, options),
        Operation::SurrogateObjective => with_policy::<T>(PolicyOp::SurrogateObjective, f, options),
        Operation::SurrogateConstraint => {
            with_policy::<T>(PolicyOp::SurrogateConstraint, f, options)
        }
        Operation::TrustRegionUpdate => with_policy::<T>(PolicyOp::TrustRegionUpdate, f, options),
        Operation::ClampedObjective => with_policy::<T>(PolicyOp::ClampedObjective, f, options),
        Operation::ClampedGradient => with_policy::<T>(PolicyOp::ClampedGradient, f, options),
        Operation::KlPenaltyObjective => with_policy::<T>(PolicyOp::KlPenaltyObjective, f, options),
        Operation::ClampedUpdate => with_policy::<T>(PolicyOp::ClampedUpdate, f, options),
    }
}

/// The operations that take a `policy`: [`run`] hands each to [`policy_op`] once the policy
/// family, and so the generic policy type, is known.
#[derive(Debug, Clone, Copy)]
enum PolicyOp {
    Score,
    LikelihoodRatioGradient,
    RestrictedUpdate,
    NaturalPolicyUpdate,
    PolicyKl,
    SurrogateObjective,
    SurrogateConstraint,
    TrustRegionUpdate,
    ClampedObjective,
    ClampedGradient,
    KlPenaltyObjective,
    ClampedUpdate,
}

/// Reads the `policy` object and runs `op` with that family.
fn with_policy<T: JsonScalar>(
    op: PolicyOp,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    match policy_spec(f)? {
        PolicySpec::Gaussian => policy_op::<T, _>(op, &Gaussian, f, options),
        PolicySpec::LinearGaussian => policy_op::<T, _>(op, &LinearGaussian, f, options),
        PolicySpec::GaussianLogStd => policy_op::<T, _>(op, &GaussianLogStd, f, options),
        PolicySpec::Softmax(table) => policy_op::<T, _>(op, &table, f, options),
    }
}

/// The operations that take a `policy`; all but `policy_kl` also take trajectories.
fn policy_op<T: JsonScalar, P: JsonPolicy<T>>(
    op: PolicyOp,
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let theta = f.vector::<T>("theta")?;
    let value = match op {
        PolicyOp::PolicyKl => {
            let theta_prime = f.vector("theta_prime")?;
            let s = policy.state(f.required("s")?, &f.child("s"), f.id())?;
            f.finish()?;
            return Ok(policy
                .kl(&theta, &theta_prime, &s)
                .map(|kl| json!({ "kl": number(kl) })));
        }
        PolicyOp::Score => {
            let trajs = trajectories(policy, f)?;
            f.finish()?;
            return Ok(scores(policy, &theta, &trajs).map(|s| json!({ "scores": vectors(&s) })));
        }
        PolicyOp::LikelihoodRatioGradient => {
            let trajs = trajectories(policy, f)?;
            let gamma = f.scalar("gamma")?;
            f.finish()?;
            return Ok(likelihood_ratio_gradient(policy, &theta, &trajs, gamma)
                .map(|lr| json!({ "grads": vectors(&lr.grads), "grad": vector(&lr.grad) })));
        }
        PolicyOp::RestrictedUpdate => {
            let trajs = trajectories(policy, f)?;
            let (gamma, eps) = (f.scalar("gamma")?, f.scalar("epsilon")?);
            f.finish()?;
            return Ok(restricted_update(
                policy,
                &theta,
                &trajs,
                &RestrictedUpdateParams {
                    gamma,
                    epsilon: eps,
                },
            )
            .map(|u| json!({ "grad": vector(&u.grad), "theta": vector(&u.theta) })));
        }
        PolicyOp::NaturalPolicyUpdate => {
            let trajs = trajectories(policy, f)?;
            let (gamma, eps) = (f.scalar("gamma")?, f.scalar("epsilon")?);
            let solver = solver::<T>(f)?;
            f.finish()?;
            return Ok(
                natural_policy_update(policy, &theta, &trajs, gamma, eps, &solver)
                    .map(|step| natural_output(&step)),
            );
        }
        PolicyOp::TrustRegionUpdate => {
            let trajs = trajectories(policy, f)?;
            let gamma = f.scalar("gamma")?;
            let epsilon = f.scalar("epsilon")?;
            let alpha = f.scalar("alpha")?;
            let max_steps = f.optional_count("max_steps")?.unwrap_or(DEFAULT_MAX_STEPS);
            let solver = solver::<T>(f)?;
            f.finish()?;
            let params = LinesearchParams::new(epsilon)
                .with_alpha(alpha)
                .with_max_steps(max_steps);
            let params = match options.accept_at {
                Some(k) => params.with_accept_at(k),
                None => params,
            };
            return Ok(
                trust_region_update(policy, &theta, &trajs, gamma, &params, &solver)
                    .map(|step| trust_region_output(&step)),
            );
        }
        PolicyOp::ClampedUpdate => {
            let trajs = trajectories(policy, f)?;
            let gamma = f.scalar("gamma")?;
            let eps = f.scalar("epsilon")?;
            let alpha = f.scalar("alpha")?;
            let k_max = f.count("k_max")?;
            f.finish()?;
            return Ok(clamped_update_traced(
                policy,
                &theta,
                &trajs,
                &ClampedUpdateParams {
                    gamma,
                    epsilon: eps,
                    alpha,
                    k_max,
                },
                &options.flipped,
            )
            .map(|(t, d)| json!({ "theta": vector(&t), "decisions": decisions(&d) })));
        }
        PolicyOp::ClampedGradient => {
            let trajs = trajectories(policy, f)?;
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            let eps = f.scalar("epsilon")?;
            f.finish()?;
            let flipped = &options.flipped;
            return Ok(clamped_gradient_traced(
                policy,
                &theta,
                &theta_prime,
                &trajs,
                gamma,
                eps,
                flipped,
            )
            .map(|(g, d)| json!({ "grad": vector(&g), "decisions": decisions(&d) })));
        }
        PolicyOp::SurrogateObjective => {
            let trajs = trajectories(policy, f)?;
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            f.finish()?;
            surrogate_objective(policy, &theta, &theta_prime, &trajs, gamma)
        }
        PolicyOp::SurrogateConstraint => {
            let trajs = trajectories(policy, f)?;
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            f.finish()?;
            surrogate_constraint(policy, &theta, &theta_prime, &trajs, gamma)
        }
        PolicyOp::ClampedObjective => {
            let trajs = trajectories(policy, f)?;
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            let eps = f.scalar("epsilon")?;
            f.finish()?;
            clamped_objective(policy, &theta, &theta_prime, &trajs, gamma, eps)
        }
        PolicyOp::KlPenaltyObjective => {
            let trajs = trajectories(policy, f)?;
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            let beta = f.scalar("beta")?;
            f.finish()?;
            kl_penalty_objective(policy, &theta, &theta_prime, &trajs, gamma, beta)
        }
    };
    Ok(value.map(|v| json!({ "value": number(v) })))
}

/// The output of `trust_region_update`: the natural step's fields, then the line search's.
pub(crate) fn trust_region_output<T: JsonScalar>(step: &TrustRegionStep<T>) -> Value {
    let natural = natural_output(&step.natural);
    let outcome = &step.outcome;
    let (steps, accepted, last) = (outcome.steps(), outcome.accepted(), outcome.values());
    let mut out = Map::new();
    for key in ["grad", "fisher", "direction"] {
        out.insert(key.into(), natural[key].clone());
    }
    out.insert("theta_natural".into(), vector(&step.natural.theta));
    out.insert("theta".into(), vector(&step.theta));
    out.insert("steps".into(), json!(steps));
    out.insert("accepted".into(), json!(accepted));
    out.insert("f_theta".into(), number(step.f_theta));
    out.insert(
        "f_theta_prime".into(),
        last.map_or(Value::Null, |v| number(v.f)),
    );
    out.insert(
        "g_theta_prime".into(),
        last.map_or(Value::Null, |v| number(v.g)),
    );
    for key in ["cg_iterations", "cg_residual"] {
        if let Some(v) = natural.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    out.insert("decisions".into(), decisions(&step.decisions));
    out.insert("last_candidate".into(), vector(outcome.theta()));
    Value::Object(out)
}

/// The internal `decisions` field: every decision with its margin and its two terms.
pub(crate) fn decisions<T: JsonScalar>(decisions: &[Decision<T>]) -> Value {
    Value::Array(
        decisions
            .iter()
            .map(|d| {
                json!({
                    "decision": d.kind.name(), "at": d.at, "margin": number(d.margin),
                    "holds": d.holds(), "terms": [number(d.terms[0]), number(d.terms[1])],
                })
            })
            .collect(),
    )
}

/// Reads the optional `solver` object; `{"kind": "exact"}` when absent.
fn solver<T: JsonScalar>(f: &mut Fields) -> Result<Solver<T>, DocError> {
    let Some(mut s) = f.optional_object("solver")? else {
        return Ok(Solver::Exact);
    };
    let kind = s.string("kind")?;
    let solver = solver_of_kind(kind, &mut s)?;
    s.finish()?;
    Ok(solver)
}

/// The version-1 solver of `kind`, its parameters read from `s`.
pub(crate) fn solver_of_kind<T: JsonScalar>(
    kind: &str,
    s: &mut Fields,
) -> Result<Solver<T>, DocError> {
    let solver = match kind {
        "exact" => Solver::Exact,
        "damped" => Solver::Damped {
            damping: s.scalar("damping")?,
        },
        "pseudo_inverse" => Solver::PseudoInverse {
            rcond: s.scalar("rcond")?,
        },
        "conjugate_gradient" => Solver::ConjugateGradient(
            CgParams::new(s.count("max_iters")?, s.scalar("tol")?)
                .with_damping(s.scalar("damping")?)
                .with_strict(s.optional_bool("strict")?.unwrap_or(false)),
        ),
        other => {
            return Err(s.error(
                "kind",
                &format!(
                    "unknown solver `{other}` (exact, damped, pseudo_inverse, conjugate_gradient)"
                ),
            ));
        }
    };
    Ok(solver)
}

/// The output of `natural_update` / `natural_policy_update`. The matrix-free CG solver never
/// forms F, so its output has no `fisher` (docs/interface.md: a departure from the interface,
/// which lists `fisher` for every solver).
fn natural_output<T: JsonScalar>(step: &NaturalStep<T>) -> Value {
    let mut out = Map::new();
    out.insert("grad".into(), vector(&step.grad));
    if let Some(f) = &step.fisher {
        out.insert("fisher".into(), matrix(f));
    }
    out.insert("direction".into(), vector(&step.direction));
    out.insert("theta".into(), vector(&step.theta));
    if let Some(cg) = &step.cg {
        out.insert("cg_iterations".into(), json!(cg.iterations));
        out.insert("cg_residual".into(), number(cg.residual));
    }
    Value::Object(out)
}
