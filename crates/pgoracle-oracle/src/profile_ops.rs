//! The operations of interface version 2 (`shared/spec/profiles.md`, "First profile
//! operations"): a case under a peer profile, or under the book's with conventions overridden.
//! Each reads its input, sets the core's conventions and calls the same core algorithm as
//! version 1 ([`crate::ops`]); nothing here is a second implementation of an algorithm.

use nalgebra::DVector;
use serde_json::{Map, Value, json};

use super::DocError;
use super::Operation;
use super::fields::Fields;
use super::number::{JsonScalar, number, vector};
use super::ops::{self, Outcome, RunOptions};
use super::policy_json::{Batch, JsonPolicy, PolicySpec, policy_spec, samples, trajectories};
use super::profile::Context;
use pgoracle::conventions::{
    Advantages, Averaging, CgStop, Conventions, Departure, NormalizeAdvantage, Profile,
};
use pgoracle::linesearch::LinesearchParams;
use pgoracle::policy::{GaussianLogStd, Softmax};
use pgoracle::samples::{Sample, samples_from_trajectories, standardised_trajectories};
use pgoracle::scalar::lit;
use pgoracle::solver::{CgParams, Solver};
use pgoracle::trust_region::{ConventionalStep, TrustRegionSettings};
use pgoracle::{
    Normal, clamped_gradient_with, clamped_objective, clip_gradient_with, clip_statistics,
    kl_categorical_with, kl_gaussian_with, scale_gradient_with, trust_region_update_with,
};

/// sb3-contrib `TRPO`'s defaults (`sb3_contrib/trpo/trpo.py`, `__init__`).
const SB3_TARGET_KL: f64 = 0.01;
const SB3_CG_MAX_STEPS: usize = 15;
const SB3_SHRINK: f64 = 0.8;
const SB3_MAX_ITER: usize = 10;
/// `conjugate_gradient_solver`'s `residual_tol` (`sb3_contrib/common/utils.py`).
const SB3_CG_TOL: f64 = 1e-10;
/// SB3 PPO's default `clip_range`.
const SB3_CLIP_RANGE: f64 = 0.2;

/// Runs `op` under the case's context (not the book's defaults: [`ops::run`] handles those).
pub fn run<T: JsonScalar>(
    op: Operation,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let context = &options.context;
    // An override the operation does not read would silently change nothing: a document error,
    // so that a user never believes a convention applied.
    if let Some(name) = context
        .overridden
        .iter()
        .find(|name| !relevant(op).contains(name))
    {
        let reads = relevant(op);
        return Err(DocError::new(
            f.id(),
            &format!("conventions.{name}"),
            &format!(
                "operation `{op}` does not read this convention (it reads: {})",
                if reads.is_empty() {
                    "none".to_string()
                } else {
                    reads.join(", ")
                }
            ),
        ));
    }
    let reads_an_override = !context.overridden.is_empty();
    match (context.profile, op) {
        (Profile::Book, _) if !reads_an_override => ops::run_book::<T>(op, f, options),
        (Profile::Sb3 | Profile::Book, Operation::TrustRegionUpdate)
        | (
            Profile::Sb3 | Profile::Book,
            Operation::ClampedObjective | Operation::ClampedGradient,
        ) => with_family::<T>(op, f, options),
        (
            Profile::Torch | Profile::Book,
            Operation::ScaleGradient
            | Operation::ClipGradient
            | Operation::KlCategorical
            | Operation::KlGaussian,
        ) => torch_op::<T>(op, f, options),
        (Profile::Book, _) => ops::run_book::<T>(op, f, options),
        (profile, op) => Err(f.error(
            "operation",
            &format!("profile `{profile}` does not define operation `{op}`"),
        )),
    }
}

/// Reads the policy family and runs a policy operation with it. Under `sb3` the Gaussian family
/// is `gaussian_log_std`; the version-1 `gaussian` (θ = [μ, σ]) is a document error there.
fn with_family<T: JsonScalar>(
    op: Operation,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let spec = policy_spec(f)?;
    match spec {
        PolicySpec::Softmax(table) => policy_op::<T, Softmax>(op, &table, f, options),
        PolicySpec::GaussianLogStd => policy_op::<T, _>(op, &GaussianLogStd, f, options),
        PolicySpec::Gaussian | PolicySpec::LinearGaussian
            if options.context.profile == Profile::Sb3 =>
        {
            Err(f.error(
                "policy.family",
                "profile `sb3` computes SB3's Gaussian, family `gaussian_log_std` (θ = [μ, log σ])",
            ))
        }
        PolicySpec::Gaussian => policy_op::<T, _>(op, &pgoracle::policy::Gaussian, f, options),
        PolicySpec::LinearGaussian => {
            policy_op::<T, _>(op, &pgoracle::policy::LinearGaussian, f, options)
        }
    }
}

fn policy_op<T: JsonScalar, P: JsonPolicy<T>>(
    op: Operation,
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let context = &options.context;
    match (context.profile, op) {
        (Profile::Sb3, Operation::TrustRegionUpdate) => sb3_trust_region(policy, f, options),
        (Profile::Sb3, _) => sb3_clamped(op, policy, f, options),
        (_, Operation::TrustRegionUpdate) => book_trust_region(policy, f, options),
        _ => book_clamped(op, policy, f, options),
    }
}

/// The conventions of an operation whose peer hyper-parameter (`normalize_advantage: false`,
/// `cg_damping`) sets a convention, unless the case's `conventions` set it explicitly.
fn hyper_parameter<V>(context: &Context, name: &str, current: V, from_input: Option<V>) -> V {
    match from_input {
        Some(v) if !context.overrides(name) => v,
        _ => current,
    }
}

/// `sb3` · `trust_region_update`: one policy update of sb3-contrib's `TRPO.train()`.
fn sb3_trust_region<T: JsonScalar, P: JsonPolicy<T>>(
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let context = &options.context;
    let theta = f.vector::<T>("theta")?;
    let batch = samples(policy, f)?;
    let target_kl = f
        .optional_scalar("target_kl")?
        .unwrap_or(lit::<T>(SB3_TARGET_KL));
    let cg_max_steps = f
        .optional_count("cg_max_steps")?
        .unwrap_or(SB3_CG_MAX_STEPS);
    let cg_damping: Option<T> = f.optional_scalar("cg_damping")?;
    let shrink = f
        .optional_scalar("line_search_shrinking_factor")?
        .unwrap_or(lit::<T>(SB3_SHRINK));
    let max_iter = f
        .optional_count("line_search_max_iter")?
        .unwrap_or(SB3_MAX_ITER);
    let normalize = f.optional_bool("normalize_advantage")?;
    let cg_start = f.optional_vector::<T>("cg_start")?;
    f.finish()?;
    if max_iter == 0 {
        return Err(f.error("line_search_max_iter", "expected a positive integer"));
    }
    if cg_max_steps == 0 {
        return Err(f.error("cg_max_steps", "expected a positive integer"));
    }
    let mut conventions = context.conventions;
    conventions.normalize_advantage = hyper_parameter(
        context,
        "normalize_advantage",
        conventions.normalize_advantage,
        normalize.map(|on| {
            if on {
                NormalizeAdvantage::SampleStd
            } else {
                NormalizeAdvantage::None
            }
        }),
    );
    // SB3's `cg_damping` is the `damping` convention, kept as an input of the case (its
    // sensitivity counts in κ) unless the case's `conventions` set `damping`.
    let damping = match cg_damping {
        Some(d) if !context.overrides("damping") => {
            real(d, f, "cg_damping")?;
            Some(d)
        }
        _ => None,
    };
    let (solver, cg_stop, start) = match &context.solver {
        Some(object) => solver_object::<T>(object, f.id(), "conventions.solver")?,
        None => (
            Solver::ConjugateGradient(CgParams::new(cg_max_steps, lit::<T>(SB3_CG_TOL))),
            CgStop::AbsoluteSquared,
            None,
        ),
    };
    let settings = TrustRegionSettings {
        conventions,
        solver,
        cg_stop,
        cg_start: start.or(cg_start),
        damping,
    };
    // `line_search_max_iter` candidates are the first and `max_iter − 1` shrinks of it.
    let params = linesearch_params(target_kl, shrink, max_iter - 1, &conventions, options);
    let result = trust_region_update_with(policy, &theta, &batch, &params, &settings);
    // β is an output here: a β beyond the range (θ′ − θ = βu is still formed, from u/t) is
    // NonFiniteResult, never ∞.
    Ok(result.and_then(|step| {
        let beta = step
            .step_size
            .ok_or_else(|| pgoracle::error::PgError::NonFiniteResult {
                field: "line_search_max_step_size".into(),
            })?;
        Ok(sb3_trust_region_output(&step, beta, max_iter))
    }))
}

/// The line search's parameters: ε, α, the shrinks, the acceptance convention, and the branch
/// `pgoracle check` may force.
fn linesearch_params<T: JsonScalar>(
    epsilon: T,
    alpha: T,
    max_steps: usize,
    conventions: &Conventions,
    options: &RunOptions,
) -> LinesearchParams<T> {
    let params = LinesearchParams::new(epsilon)
        .with_alpha(alpha)
        .with_max_steps(max_steps)
        .with_acceptance(conventions.acceptance);
    match options.accept_at {
        Some(k) => params.with_accept_at(k),
        None => params,
    }
}

/// A hyper-parameter's value as the f64 a convention holds.
fn real<T: JsonScalar>(x: T, f: &Fields, name: &str) -> Result<f64, DocError> {
    nalgebra::try_convert::<T, f64>(x)
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| f.error(name, "expected a finite number ≥ 0"))
}

/// The sb3 output: SB3's own names (`search_direction`, `line_search_max_step_size`, …).
fn sb3_trust_region_output<T: JsonScalar>(
    step: &ConventionalStep<T>,
    beta: T,
    max_iter: usize,
) -> Value {
    let tr = &step.step;
    let outcome = &tr.outcome;
    let candidates = if outcome.accepted() {
        outcome.steps() + 1
    } else {
        max_iter
    };
    let last = outcome.values();
    let mut out = Map::new();
    out.insert("theta".into(), vector(&tr.theta));
    out.insert("accepted".into(), json!(outcome.accepted()));
    out.insert("candidates".into(), json!(candidates));
    out.insert("grad".into(), vector(&tr.natural.grad));
    out.insert("search_direction".into(), vector(&tr.natural.direction));
    out.insert("line_search_max_step_size".into(), number(beta));
    out.insert("policy_objective".into(), number(tr.f_theta));
    out.insert(
        "new_policy_objective".into(),
        last.map_or(Value::Null, |v| number(v.f)),
    );
    out.insert("kl_div".into(), last.map_or(Value::Null, |v| number(v.g)));
    out.insert("departures".into(), json!([]));
    out.insert("decisions".into(), ops::decisions(&tr.decisions));
    out.insert("last_candidate".into(), vector(outcome.theta()));
    out.insert("grad_terms".into(), vector(&step.grad_terms));
    Value::Object(out)
}

/// `trust_region_update` under the book's profile with conventions overridden: the version-1
/// input and output, computed by the conventions' trust region on the trajectories' samples.
fn book_trust_region<T: JsonScalar, P: JsonPolicy<T>>(
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let context = &options.context;
    let conventions = context.conventions;
    let theta = f.vector::<T>("theta")?;
    let batch = batch_of(policy, f, &conventions, "trust_region_update")?;
    let epsilon = f.scalar("epsilon")?;
    let alpha = f.scalar("alpha")?;
    let max_steps = f
        .optional_count("max_steps")?
        .unwrap_or(ops::DEFAULT_MAX_STEPS);
    let own_solver = match f.optional("solver") {
        Some(object) => Some(solver_object::<T>(object, f.id(), &f.child("solver"))?),
        None => None,
    };
    f.finish()?;
    let (solver, cg_stop, cg_start) = match &context.solver {
        Some(object) => solver_object::<T>(object, f.id(), "conventions.solver")?,
        None => own_solver.unwrap_or((Solver::Exact, CgStop::Relative, None)),
    };
    let settings = TrustRegionSettings {
        conventions,
        solver,
        cg_stop,
        cg_start,
        damping: None,
    };
    let params = linesearch_params(epsilon, alpha, max_steps, &conventions, options);
    Ok(
        trust_region_update_with(policy, &theta, &batch, &params, &settings).map(|step| {
            let mut out = ops::trust_region_output(&step.step);
            out["grad_terms"] = vector(&step.grad_terms);
            out
        }),
    )
}

/// The samples of a book-profile case: `samples` under `advantages: supplied`, else the
/// trajectories' steps with the book's rewards-to-go. A per-trajectory trust region on
/// trajectories of several steps (the book's likelihood of a whole trajectory) is not a
/// per-sample computation: a document error there.
fn batch_of<T: JsonScalar, P: JsonPolicy<T>>(
    policy: &P,
    f: &mut Fields,
    conventions: &Conventions,
    operation: &str,
) -> Result<Batch<T, P>, DocError> {
    if conventions.advantages == Advantages::Supplied {
        return samples(policy, f);
    }
    let trajs = trajectories(policy, f)?;
    let gamma: T = f.scalar("gamma")?;
    if trajs.is_empty() || trajs.iter().any(Vec::is_empty) {
        return Err(f.error("trajectories", "expected non-empty trajectories"));
    }
    if operation == "trust_region_update"
        && conventions.averaging == Averaging::PerTrajectory
        && trajs.iter().any(|tau| tau.len() > 1)
    {
        return Err(DocError::new(
            f.id(),
            "conventions",
            "trust_region_update with non-book conventions needs one-step trajectories or \
             `averaging: per_sample` (the book's per-trajectory likelihood is not per-sample)",
        ));
    }
    let mut batch = samples_from_trajectories(&trajs, gamma);
    if conventions.averaging == Averaging::PerTrajectory {
        // meanₜ meanₖ x = Σ x/(m·dₜ): each sample's advantage weighted by N/(m·dₜ) (exactly 1
        // when the trajectories have equal lengths).
        let total = batch.len();
        let m = trajs.len();
        if trajs.iter().any(|tau| tau.len() != trajs[0].len()) {
            let mut k = 0;
            for tau in &trajs {
                let w = lit::<T>(total as f64) / lit::<T>((m * tau.len()) as f64);
                for _ in tau {
                    batch[k].advantage *= w;
                    k += 1;
                }
            }
        }
    }
    Ok(batch)
}

/// `sb3` · `clamped_objective`, `clamped_gradient`: SB3 PPO's policy loss on one batch.
fn sb3_clamped<T: JsonScalar, P: JsonPolicy<T>>(
    op: Operation,
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let context = &options.context;
    let theta = f.vector::<T>("theta")?;
    let theta_prime = f.vector::<T>("theta_prime")?;
    let batch = samples(policy, f)?;
    let clip_range = f
        .optional_scalar("clip_range")?
        .unwrap_or(lit::<T>(SB3_CLIP_RANGE));
    let normalize = f.optional_bool("normalize_advantage")?;
    f.finish()?;
    let mut conventions = Conventions::for_ppo(context.profile);
    conventions.normalize_advantage = if context.overrides("normalize_advantage") {
        context.conventions.normalize_advantage
    } else if normalize.unwrap_or(true) {
        conventions.normalize_advantage
    } else {
        NormalizeAdvantage::None
    };
    conventions.clip_boundary_gradient = context.conventions.clip_boundary_gradient;
    Ok(clamped_on_samples(
        op,
        policy,
        &theta,
        &theta_prime,
        &batch,
        clip_range,
        &conventions,
        options,
        true,
    ))
}

/// `clamped_objective` / `clamped_gradient` under the book's profile with conventions
/// overridden (version-1 input and output names).
fn book_clamped<T: JsonScalar, P: JsonPolicy<T>>(
    op: Operation,
    policy: &P,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let conventions = options.context.conventions;
    let theta = f.vector::<T>("theta")?;
    let theta_prime = f.vector::<T>("theta_prime")?;
    let batch = batch_of(policy, f, &conventions, op.name())?;
    let epsilon = f.scalar("epsilon")?;
    f.finish()?;
    Ok(clamped_on_samples(
        op,
        policy,
        &theta,
        &theta_prime,
        &batch,
        epsilon,
        &conventions,
        options,
        false,
    ))
}

/// The clamped objective or its gradient on a flat batch: Eqs. (12.22)–(12.23) on the
/// one-step trajectories of the (standardised) samples, with the boundary convention, and
/// SB3's names (`policy_loss`, `approx_kl`, `clip_fraction`, `departures`) when `peer`.
#[allow(clippy::too_many_arguments)]
fn clamped_on_samples<T: JsonScalar, P: JsonPolicy<T>>(
    op: Operation,
    policy: &P,
    theta: &DVector<T>,
    theta_prime: &DVector<T>,
    batch: &[Sample<P::State, P::Action, T>],
    epsilon: T,
    conventions: &Conventions,
    options: &RunOptions,
    peer: bool,
) -> Outcome {
    let (_, trajs) = standardised_trajectories(batch, conventions.normalize_advantage)?;
    let one = T::one();
    if op == Operation::ClampedObjective {
        let value = clamped_objective(policy, theta, theta_prime, &trajs, one, epsilon)?;
        let mut out = Map::new();
        out.insert("value".into(), number(value));
        if peer {
            let (approx_kl, clip_fraction) =
                clip_statistics(policy, theta, theta_prime, &trajs, epsilon)?;
            out.insert("policy_loss".into(), number(-value));
            out.insert("approx_kl".into(), number(approx_kl));
            out.insert("clip_fraction".into(), number(clip_fraction));
            out.insert("departures".into(), json!([]));
        }
        return Ok(Value::Object(out));
    }
    let (grad, decisions, ties) = clamped_gradient_with(
        policy,
        theta,
        theta_prime,
        &trajs,
        one,
        epsilon,
        &options.flipped,
        conventions.clip_boundary_gradient,
    )?;
    let mut out = Map::new();
    out.insert("grad".into(), vector(&grad));
    if peer {
        let departures: Vec<&str> = if ties.is_empty() {
            Vec::new()
        } else {
            vec![Departure::ClipBoundaryTie.name()]
        };
        out.insert("departures".into(), json!(departures));
    }
    out.insert("decisions".into(), ops::decisions(&decisions));
    Ok(Value::Object(out))
}

/// A solver, its CG stopping rule and its CG start.
type SolverSetting<T> = (Solver<T>, CgStop, Option<DVector<T>>);

/// A solver object: version 1's `{ "kind", … }`, plus version 2's `cg_start` (a vector) and
/// `cg_stop` (`relative`, `absolute_squared`) for `conjugate_gradient`.
fn solver_object<T: JsonScalar>(
    object: &Value,
    id: &str,
    path: &str,
) -> Result<SolverSetting<T>, DocError> {
    let mut s = Fields::new(object, path, id)?;
    let kind = s.string("kind")?;
    let result = match kind {
        "conjugate_gradient" => {
            let max_iters = s.count("max_iters")?;
            let tol = s.scalar("tol")?;
            let damping = s.optional_scalar("damping")?.unwrap_or_else(T::zero);
            let strict = s.optional_bool("strict")?.unwrap_or(false);
            let stop = match s.optional("cg_stop") {
                None => CgStop::Relative,
                Some(Value::String(name)) => CgStop::from_name(name).ok_or_else(|| {
                    s.error("cg_stop", "expected `relative` or `absolute_squared`")
                })?,
                Some(_) => return Err(s.error("cg_stop", "expected a string")),
            };
            let start = s.optional_vector("cg_start")?;
            (
                Solver::ConjugateGradient(
                    CgParams::new(max_iters, tol)
                        .with_damping(damping)
                        .with_strict(strict),
                ),
                stop,
                start,
            )
        }
        _ => {
            let solver = ops::solver_of_kind(kind, &mut s)?;
            (solver, CgStop::Relative, None)
        }
    };
    s.finish()?;
    Ok(result)
}

/// `scale_gradient`, `clip_gradient`, `kl_categorical`, `kl_gaussian` under conventions: the
/// `torch` profile's `clip_grad_norm_` (input `l2_max`, output `total_norm` too),
/// `clip_grad_value_` (input `clip_value`) and `kl_divergence`, or the book's with overrides
/// (version-1 input and output names).
fn torch_op<T: JsonScalar>(
    op: Operation,
    f: &mut Fields,
    options: &RunOptions,
) -> Result<Outcome, DocError> {
    let c = &options.context.conventions;
    let peer = options.context.profile == Profile::Torch;
    let with_departures = |mut out: Map<String, Value>, departures: &[Departure]| {
        if peer {
            let names: Vec<&str> = departures.iter().map(|d| d.name()).collect();
            out.insert("departures".into(), json!(names));
        }
        Value::Object(out)
    };
    let outcome = match op {
        Operation::ScaleGradient => {
            let (grad, l2_max) = (f.vector::<T>("grad")?, f.scalar::<T>("l2_max")?);
            f.finish()?;
            let epsilon = lit::<T>(c.clip_norm_epsilon);
            scale_gradient_with(&grad, l2_max, c.norm, epsilon, c.nonfinite).map(|r| {
                let mut out = Map::new();
                out.insert("grad".into(), vector(&r.grad));
                if peer {
                    out.insert("total_norm".into(), number(r.total_norm));
                }
                with_departures(out, &r.departures)
            })
        }
        Operation::ClipGradient => {
            let grad = f.vector::<T>("grad")?;
            let (lo, hi) = if peer {
                let c: T = f.scalar("clip_value")?;
                (-c, c)
            } else {
                (f.scalar("lo")?, f.scalar("hi")?)
            };
            f.finish()?;
            clip_gradient_with(&grad, lo, hi, c.nonfinite).map(|(g, d)| {
                let mut out = Map::new();
                out.insert("grad".into(), vector(&g));
                with_departures(out, &d)
            })
        }
        Operation::KlCategorical => {
            let (p, q) = (f.vector::<T>("p")?, f.vector::<T>("q")?);
            f.finish()?;
            kl_categorical_with(&p, &q, c.probabilities, c.nonfinite).map(|(kl, d)| {
                let mut out = Map::new();
                out.insert("kl".into(), number(kl));
                with_departures(out, &d)
            })
        }
        _ => {
            let mean_p = f.scalar::<T>("mean_p")?;
            let std_p = f.scalar::<T>("std_p")?;
            let mean_q = f.scalar::<T>("mean_q")?;
            let std_q = f.scalar::<T>("std_q")?;
            f.finish()?;
            let p = Normal {
                mean: mean_p,
                std: std_p,
            };
            let q = Normal {
                mean: mean_q,
                std: std_q,
            };
            kl_gaussian_with(&p, &q, c.kl_form, c.nonfinite).map(|(kl, d)| {
                let mut out = Map::new();
                out.insert("kl".into(), number(kl));
                with_departures(out, &d)
            })
        }
    };
    Ok(outcome)
}

/// The conventions that `op` reads (`check --explain` searches only these).
pub fn relevant(op: Operation) -> &'static [&'static str] {
    match op {
        Operation::TrustRegionUpdate => &[
            "fisher",
            "damping",
            "solver",
            "step_scale",
            "linesearch_kl",
            "acceptance",
            "advantages",
            "normalize_advantage",
            "averaging",
        ],
        Operation::ClampedObjective => &["advantages", "normalize_advantage", "averaging"],
        Operation::ClampedGradient => &[
            "advantages",
            "normalize_advantage",
            "averaging",
            "clip_boundary_gradient",
        ],
        Operation::ScaleGradient => &["norm", "clip_norm_epsilon", "nonfinite"],
        Operation::ClipGradient => &["nonfinite"],
        Operation::KlCategorical => &["probabilities", "nonfinite"],
        Operation::KlGaussian => &["kl_form", "nonfinite"],
        _ => &[],
    }
}
