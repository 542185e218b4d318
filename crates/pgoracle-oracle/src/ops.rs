//! The 20 operations of the oracle interface: read the input, call the library, write the
//! output. Reading is complete (every field checked, unknown fields rejected) before any
//! computation, so a document error never hides behind a numerical one.

use serde_json::{Map, Value, json};

use super::DocError;
use super::fields::Fields;
use super::number::{JsonScalar, matrix, number, vector, vectors};
use super::policy_json::{JsonPolicy, PolicySpec, policy_spec, trajectories};
use pgoracle::error::PgError;
use pgoracle::linesearch::{LinesearchOutcome, LinesearchParams};
use pgoracle::natural::NaturalStep;
use pgoracle::policy::{Gaussian, LinearGaussian};
use pgoracle::solver::{CgParams, Solver};
use pgoracle::{
    clamped_gradient, clamped_objective, clamped_update, clip_gradient, fisher, gradient_ascent,
    kl_categorical, kl_gaussian, kl_penalty_objective, likelihood_ratio_gradient,
    natural_policy_update, natural_update, restricted_step, restricted_update, scale_gradient,
    scores, surrogate_constraint, surrogate_objective, trust_region_update,
};

/// Every operation name of the oracle interface.
pub const OPERATIONS: [&str; 20] = [
    "gradient_ascent",
    "scale_gradient",
    "clip_gradient",
    "restricted_step",
    "fisher",
    "natural_update",
    "score",
    "likelihood_ratio_gradient",
    "restricted_update",
    "natural_policy_update",
    "policy_kl",
    "surrogate_objective",
    "surrogate_constraint",
    "trust_region_update",
    "clamped_objective",
    "clamped_gradient",
    "kl_penalty_objective",
    "clamped_update",
    "kl_categorical",
    "kl_gaussian",
];

/// The default `max_steps` of `trust_region_update`.
pub const DEFAULT_MAX_STEPS: usize = 100;

/// A computed output object, or the numerical error the inputs lead to.
pub type Outcome = Result<Value, PgError>;

/// Runs operation `op` on the input object `f` in precision `T`.
pub fn run<T: JsonScalar>(op: &str, f: &mut Fields) -> Result<Outcome, DocError> {
    match op {
        "gradient_ascent" => {
            let (theta, grad, alpha) = (f.vector("theta")?, f.vector("grad")?, f.scalar("alpha")?);
            f.finish()?;
            Ok(gradient_ascent::<T>(&theta, &grad, alpha).map(|t| json!({ "theta": vector(&t) })))
        }
        "scale_gradient" => {
            let (grad, l2_max) = (f.vector("grad")?, f.scalar("l2_max")?);
            f.finish()?;
            Ok(scale_gradient::<T>(&grad, l2_max).map(|g| json!({ "grad": vector(&g) })))
        }
        "clip_gradient" => {
            let (grad, lo, hi) = (f.vector("grad")?, f.scalar("lo")?, f.scalar("hi")?);
            f.finish()?;
            Ok(clip_gradient::<T>(&grad, lo, hi).map(|g| json!({ "grad": vector(&g) })))
        }
        "restricted_step" => {
            let (theta, grad, eps) = (f.vector("theta")?, f.vector("grad")?, f.scalar("epsilon")?);
            f.finish()?;
            Ok(restricted_step::<T>(&theta, &grad, eps).map(|t| json!({ "theta": vector(&t) })))
        }
        "fisher" => {
            let s = f.vectors("scores")?;
            f.finish()?;
            Ok(fisher::<T>(&s).map(|m| json!({ "fisher": matrix(&m) })))
        }
        "natural_update" => {
            let theta = f.vector("theta")?;
            let grads = f.vectors("grads")?;
            let s = f.vectors("scores")?;
            let eps = f.scalar("epsilon")?;
            let solver = solver::<T>(f)?;
            f.finish()?;
            Ok(natural_update(&theta, &grads, &s, eps, &solver).map(|step| natural_output(&step)))
        }
        "kl_categorical" => {
            let (p, q) = (f.vector("p")?, f.vector("q")?);
            f.finish()?;
            Ok(kl_categorical::<T>(&p, &q).map(|kl| json!({ "kl": number(kl) })))
        }
        "kl_gaussian" => {
            let mean_p = f.scalar("mean_p")?;
            let std_p = f.scalar("std_p")?;
            let mean_q = f.scalar("mean_q")?;
            let std_q = f.scalar("std_q")?;
            f.finish()?;
            Ok(
                kl_gaussian::<T>(mean_p, std_p, mean_q, std_q)
                    .map(|kl| json!({ "kl": number(kl) })),
            )
        }
        _ => match policy_spec(f)? {
            PolicySpec::Gaussian => policy_op::<T, _>(op, &Gaussian, f),
            PolicySpec::LinearGaussian => policy_op::<T, _>(op, &LinearGaussian, f),
            PolicySpec::Softmax(table) => policy_op::<T, _>(op, &table, f),
        },
    }
}

/// The operations that take a `policy` and trajectories.
fn policy_op<T: JsonScalar, P: JsonPolicy<T>>(
    op: &str,
    policy: &P,
    f: &mut Fields,
) -> Result<Outcome, DocError> {
    let theta = f.vector::<T>("theta")?;
    if op == "policy_kl" {
        let theta_prime = f.vector("theta_prime")?;
        let s = policy.state(f.required("s")?, &f.child("s"), f.id())?;
        f.finish()?;
        return Ok(policy
            .kl(&theta, &theta_prime, &s)
            .map(|kl| json!({ "kl": number(kl) })));
    }
    let trajs = trajectories(policy, f)?;
    match op {
        "score" => {
            f.finish()?;
            Ok(scores(policy, &theta, &trajs).map(|s| json!({ "scores": vectors(&s) })))
        }
        "likelihood_ratio_gradient" => {
            let gamma = f.scalar("gamma")?;
            f.finish()?;
            Ok(likelihood_ratio_gradient(policy, &theta, &trajs, gamma)
                .map(|lr| json!({ "grads": vectors(&lr.grads), "grad": vector(&lr.grad) })))
        }
        "restricted_update" => {
            let (gamma, eps) = (f.scalar("gamma")?, f.scalar("epsilon")?);
            f.finish()?;
            Ok(restricted_update(policy, &theta, &trajs, gamma, eps)
                .map(|u| json!({ "grad": vector(&u.grad), "theta": vector(&u.theta) })))
        }
        "natural_policy_update" => {
            let (gamma, eps) = (f.scalar("gamma")?, f.scalar("epsilon")?);
            let solver = solver::<T>(f)?;
            f.finish()?;
            Ok(
                natural_policy_update(policy, &theta, &trajs, gamma, eps, &solver)
                    .map(|step| natural_output(&step)),
            )
        }
        "trust_region_update" => {
            let gamma = f.scalar("gamma")?;
            let epsilon = f.scalar("epsilon")?;
            let alpha = f.scalar("alpha")?;
            let max_steps = f.optional_count("max_steps")?.unwrap_or(DEFAULT_MAX_STEPS);
            let solver = solver::<T>(f)?;
            f.finish()?;
            let params = LinesearchParams {
                epsilon,
                alpha,
                max_steps,
            };
            Ok(
                trust_region_update(policy, &theta, &trajs, gamma, &params, &solver).map(|step| {
                    let natural = natural_output(&step.natural);
                    let (steps, accepted, last) = match &step.outcome {
                        LinesearchOutcome::Accepted { steps, values, .. } => {
                            (*steps, true, Some(*values))
                        }
                        LinesearchOutcome::Exhausted {
                            steps, last_values, ..
                        } => (*steps, false, *last_values),
                    };
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
                    Value::Object(out)
                }),
            )
        }
        "clamped_update" => {
            let gamma = f.scalar("gamma")?;
            let eps = f.scalar("epsilon")?;
            let alpha = f.scalar("alpha")?;
            let k_max = f.count("k_max")?;
            f.finish()?;
            Ok(
                clamped_update(policy, &theta, &trajs, gamma, eps, alpha, k_max)
                    .map(|t| json!({ "theta": vector(&t) })),
            )
        }
        _ => {
            let theta_prime = f.vector::<T>("theta_prime")?;
            let gamma = f.scalar("gamma")?;
            let value = match op {
                "surrogate_objective" => {
                    f.finish()?;
                    surrogate_objective(policy, &theta, &theta_prime, &trajs, gamma)
                }
                "surrogate_constraint" => {
                    f.finish()?;
                    surrogate_constraint(policy, &theta, &theta_prime, &trajs, gamma)
                }
                "clamped_objective" => {
                    let eps = f.scalar("epsilon")?;
                    f.finish()?;
                    clamped_objective(policy, &theta, &theta_prime, &trajs, gamma, eps)
                }
                "kl_penalty_objective" => {
                    let beta = f.scalar("beta")?;
                    f.finish()?;
                    kl_penalty_objective(policy, &theta, &theta_prime, &trajs, gamma, beta)
                }
                "clamped_gradient" => {
                    let eps = f.scalar("epsilon")?;
                    f.finish()?;
                    return Ok(
                        clamped_gradient(policy, &theta, &theta_prime, &trajs, gamma, eps)
                            .map(|g| json!({ "grad": vector(&g) })),
                    );
                }
                other => return Err(f.error("operation", &format!("unknown operation `{other}`"))),
            };
            Ok(value.map(|v| json!({ "value": number(v) })))
        }
    }
}

/// Reads the optional `solver` object; `{"kind": "exact"}` when absent.
fn solver<T: JsonScalar>(f: &mut Fields) -> Result<Solver<T>, DocError> {
    let Some(mut s) = f.optional_object("solver")? else {
        return Ok(Solver::Exact);
    };
    let solver = match s.string("kind")? {
        "exact" => Solver::Exact,
        "damped" => Solver::Damped {
            damping: s.scalar("damping")?,
        },
        "pseudo_inverse" => Solver::PseudoInverse {
            rcond: s.scalar("rcond")?,
        },
        "conjugate_gradient" => Solver::ConjugateGradient(CgParams {
            max_iters: s.count("max_iters")?,
            tol: s.scalar("tol")?,
            damping: s.scalar("damping")?,
            strict: s.optional_bool("strict")?.unwrap_or(false),
        }),
        other => {
            return Err(s.error(
                "kind",
                &format!(
                    "unknown solver `{other}` (exact, damped, pseudo_inverse, conjugate_gradient)"
                ),
            ));
        }
    };
    s.finish()?;
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
