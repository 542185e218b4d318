//! Structure-aware cases for every operation of the oracle interface, aimed at the inputs on
//! which implementations disagree: the fuzz targets' edge values; Fisher matrices of a chosen
//! rank or conditioning (the `natural_update` fuzz target's [`Scores`] and [`Grads`]); ratios
//! exactly at 1 ± ε and line searches exactly on their constraint ([`crate::boundary`]); zero,
//! huge and tiny gradients ([`Magnitude`]); rewards-to-go that cancel; one-sample batches.
//!
//! [`case`] is a pure function of (operation, profile, seed, index): a hunt's case k can be
//! regenerated alone.

use serde_json::{Value, json};

use pgoracle_fuzz::SolverCase;
use pgoracle_fuzz::natural_update::{Grads, Scores};
use pgoracle_oracle::Operation;

use crate::boundary;
use crate::draw::{Draw, Magnitude};

/// Case `index` of a hunt of `op` seeded with `seed`, under `profile` (`None`: the book's).
pub fn case(op: Operation, profile: Option<&str>, seed: u64, index: u64) -> Value {
    let mut d = Draw::new(seed, index);
    let input = match profile {
        Some("sb3") if sb3_schema(op) => sb3_input(op, &mut d),
        _ => input(op, profile, &mut d),
    };
    let mut case = json!({
        "id": index, "operation": op.name(), "scalar": d.precision.name(), "input": input,
    });
    if let Some(profile) = profile {
        case["profile"] = json!(profile);
    }
    boundary::adjust(case, &mut d)
}

/// Whether pgoracle defines `op` under `profile`: `Err` with its reason when none of the first
/// eight generated cases is a valid document (the `sb3` profile defines only its TRPO and PPO
/// operations, `torch` only its four; docs/profiles.md).
///
/// # Errors
/// The oracle's document error for the first case.
pub fn supported(op: Operation, profile: Option<&str>) -> Result<(), String> {
    let mut first = None;
    for index in 0..8 {
        match pgoracle_oracle::eval_case(&case(op, profile, 0, index)) {
            Ok(_) => return Ok(()),
            Err(e) => {
                first.get_or_insert(e.message);
            }
        }
    }
    Err(format!(
        "{op} under profile {}: {}",
        profile.unwrap_or("book"),
        first.unwrap_or_default()
    ))
}

/// Whether the `sb3` profile reads `op` with SB3's own input names (docs/profiles.md).
fn sb3_schema(op: Operation) -> bool {
    matches!(
        op,
        Operation::TrustRegionUpdate | Operation::ClampedObjective | Operation::ClampedGradient
    )
}

/// A parameter count: 1–4 mostly, up to 8.
fn params(d: &mut Draw) -> usize {
    if d.chance(0.85) {
        d.int(1, 4)
    } else {
        d.int(5, 8)
    }
}

/// A gradient: all zero one time in eight, otherwise numbers of the case's magnitude.
fn gradient(d: &mut Draw, n: usize) -> Vec<f64> {
    if d.chance(0.125) {
        vec![0.0; n]
    } else {
        d.numbers(n)
    }
}

/// The input object of `op` in the book's schema (the `torch` profile's `clip_value` for
/// `clip_gradient`).
fn input(op: Operation, profile: Option<&str>, d: &mut Draw) -> Value {
    let n = params(d);
    match op {
        Operation::GradientAscent => {
            let (theta, grad, alpha) = (d.numbers(n), gradient(d, n), d.positive());
            json!({"theta": d.json_vec(&theta), "grad": d.json_vec(&grad), "alpha": d.json(alpha)})
        }
        Operation::ScaleGradient => {
            let grad = gradient(d, n);
            let l2_max = if d.chance(0.1) { 0.0 } else { d.positive() };
            json!({"grad": d.json_vec(&grad), "l2_max": d.json(l2_max)})
        }
        Operation::ClipGradient if profile == Some("torch") => {
            let (grad, c) = (gradient(d, n), d.positive());
            json!({"grad": d.json_vec(&grad), "clip_value": d.json(c)})
        }
        Operation::ClipGradient => {
            let grad = gradient(d, n);
            let lo = -d.positive();
            // lo = hi, lo < hi, and (invalid) lo > hi.
            let hi = match d.int(0, 5) {
                0 => lo,
                1 => lo - d.positive(),
                _ => d.positive(),
            };
            json!({"grad": d.json_vec(&grad), "lo": d.json(lo), "hi": d.json(hi)})
        }
        Operation::RestrictedStep => {
            let (theta, grad, eps) = (d.numbers(n), gradient(d, n), d.positive());
            json!({"theta": d.json_vec(&theta), "grad": d.json_vec(&grad), "epsilon": d.json(eps)})
        }
        Operation::Fisher => json!({"scores": score_rows(d, n).0}),
        Operation::NaturalUpdate => {
            let (scores, rows) = score_rows(d, n);
            // ∇U(τ) = ∇log p(τ)R(τ) (g in the range of F, so gᵀu > 0) three times in five.
            let grads = if d.chance(0.6) {
                Grads::LikelihoodRatio
            } else {
                d.structured().unwrap_or(Grads::Raw)
            };
            let grads = grads.rows(&rows, &mut || d.number());
            let theta = d.numbers(n);
            let eps = d.positive();
            json!({
                "theta": d.json_vec(&theta),
                "grads": Value::Array(grads.iter().map(|g| d.json_vec(g)).collect()),
                "scores": scores, "epsilon": d.json(eps), "solver": solver(d),
            })
        }
        Operation::KlCategorical => {
            let k = d.int(1, 5);
            json!({"p": probabilities(d, k), "q": probabilities(d, k)})
        }
        Operation::KlGaussian => {
            let (mp, mq) = (d.number(), d.number());
            let (sp, sq) = (std_dev(d), std_dev(d));
            json!({"mean_p": d.json(mp), "std_p": d.json(sp), "mean_q": d.json(mq), "std_q": d.json(sq)})
        }
        _ => policy_input(op, d),
    }
}

/// An m × n score matrix of a structure from the `natural_update` fuzz target ([`Scores`]):
/// as JSON, and as rows.
fn score_rows(d: &mut Draw, n: usize) -> (Value, Vec<Vec<f64>>) {
    let m = if d.chance(0.15) { 1 } else { d.int(1, 6) };
    let structure: Scores = d.structured().unwrap_or(Scores::Raw);
    let g = structure.matrix(m, n, &mut || d.number());
    let rows: Vec<Vec<f64>> = g.row_iter().map(|r| r.iter().copied().collect()).collect();
    (
        Value::Array(rows.iter().map(|r| d.json_vec(r)).collect()),
        rows,
    )
}

/// A solver from the fuzz targets' [`SolverCase`], as JSON; its parameters made valid nine
/// times in ten (λ, rcond, tol ≥ 0 and finite, at least one CG iteration).
fn solver(d: &mut Draw) -> Value {
    let case: SolverCase = d.structured().unwrap_or(SolverCase::Exact);
    let valid = d.chance(0.9);
    let param = |x: f64, default: f64| {
        if !valid || (x.is_finite() && x > 0.0) {
            x
        } else {
            default
        }
    };
    match case {
        SolverCase::Exact => json!({"kind": "exact"}),
        SolverCase::Damped(l) => json!({"kind": "damped", "damping": d.json(param(l.0, 1e-3))}),
        SolverCase::PseudoInverse(r) => {
            json!({"kind": "pseudo_inverse", "rcond": d.json(param(r.0, 1e-12))})
        }
        SolverCase::ConjugateGradient {
            max_iters,
            tol,
            damping,
            strict,
        } => json!({
            "kind": "conjugate_gradient",
            "max_iters": (usize::from(max_iters) % (SolverCase::MAX_CG_ITERS + 1)).max(usize::from(valid)),
            "tol": d.json(param(tol.0.abs(), 1e-10)), "damping": d.json(param(damping.0.abs(), 0.0)),
            "strict": strict,
        }),
        SolverCase::ConjugateGradientOverLimit if valid => json!({"kind": "exact"}),
        SolverCase::ConjugateGradientOverLimit => json!({
            "kind": "conjugate_gradient", "max_iters": 1_000_001, "tol": 0, "damping": 0,
        }),
    }
}

/// A probability vector of k entries: normalised weights, with exact zeros, entries of 10⁻²⁰
/// and (one time in ten) weights that do not sum to 1.
fn probabilities(d: &mut Draw, k: usize) -> Value {
    let mut w: Vec<f64> = (0..k)
        .map(|_| match d.int(0, 19) {
            0 => 0.0,
            1 => 1e-20,
            _ => d.moderate().abs(),
        })
        .collect();
    let total: f64 = w.iter().sum();
    if total > 0.0 && d.chance(0.9) {
        w.iter_mut().for_each(|x| *x /= total);
    }
    d.json_vec(&w)
}

/// A standard deviation: moderate, or a power of ten from 10⁻³⁰⁰ to 10³⁰⁰ (ratios that
/// overflow when squared), or (edge cases) anything.
fn std_dev(d: &mut Draw) -> f64 {
    match d.magnitude {
        Magnitude::Huge | Magnitude::Tiny => crate::draw::decimal(1, d.int(0, 600) as i32 - 300),
        _ => d.positive(),
    }
}

/// A policy of the interface, its parameters θ, and a nearby θ′.
struct PolicyDraw {
    policy: Value,
    theta: Vec<f64>,
    theta_prime: Vec<f64>,
    /// `Some((n_states, n_actions))` for a softmax policy.
    softmax: Option<(usize, usize)>,
}

/// The book's families, or `gaussian_log_std` when `log_std`.
fn policy(d: &mut Draw, log_std: bool) -> PolicyDraw {
    let family = if log_std {
        d.pick(&["softmax", "gaussian_log_std"])
    } else {
        d.pick(&["gaussian", "linear_gaussian", "softmax"])
    };
    let (policy, theta, softmax) = if family == "softmax" {
        let (ns, na) = (d.int(1, 3), d.int(1, 3));
        let theta = d.numbers(ns * na);
        (
            json!({"family": "softmax", "n_states": ns, "n_actions": na}),
            theta,
            Some((ns, na)),
        )
    } else {
        let sigma = std_dev(d);
        let sigma = if log_std { sigma.ln() } else { sigma };
        (json!({ "family": family }), vec![d.number(), sigma], None)
    };
    // θ′ = θ (every ratio exactly 1), or θ moved by small multiples of 1/8.
    let theta_prime = if d.chance(0.2) {
        theta.clone()
    } else {
        let mut tp: Vec<f64> = theta
            .iter()
            .map(|x| x + (d.int(0, 8) as f64 - 4.0) / 8.0)
            .collect();
        if softmax.is_none() && !log_std && tp[1] <= 0.0 {
            tp[1] = theta[1];
        }
        tp
    };
    PolicyDraw {
        policy,
        theta,
        theta_prime,
        softmax,
    }
}

/// A state and an action for the policy.
fn state_action(d: &mut Draw, p: &PolicyDraw) -> (Value, Value) {
    match p.softmax {
        Some((ns, na)) => (json!(d.int(0, ns - 1)), json!(d.int(0, na - 1))),
        None => {
            let (s, a) = (d.moderate(), d.number());
            (d.json(s), d.json(a))
        }
    }
}

/// Trajectories: one-step batches 15% of the time; rewards-to-go that cancel (r, −r/γ …) 15%.
fn trajectories(d: &mut Draw, p: &PolicyDraw, gamma: f64) -> Value {
    let one_sample = d.chance(0.15);
    let cancel = d.chance(0.15);
    let m = if one_sample { 1 } else { d.int(1, 4) };
    let trajs: Vec<Value> = (0..m)
        .map(|_| {
            let depth = if one_sample { 1 } else { d.int(1, 4) };
            let mut previous = d.number();
            (0..depth)
                .map(|k| {
                    let (s, a) = state_action(d, p);
                    let r = if cancel && k > 0 && gamma > 0.0 {
                        let r = -previous / gamma;
                        previous = r;
                        r
                    } else if k == 0 {
                        previous
                    } else {
                        d.number()
                    };
                    json!({"s": s, "a": a, "r": d.json(r)})
                })
                .collect()
        })
        .collect();
    Value::Array(trajs)
}

/// The input of an operation on a policy and trajectories (book schema).
fn policy_input(op: Operation, d: &mut Draw) -> Value {
    let p = policy(d, false);
    let theta = d.json_vec(&p.theta);
    let gamma = d.pick(&[1.0, 1.0, 0.9, 0.5, 0.0, 0.99]);
    if op == Operation::PolicyKl {
        let s = state_action(d, &p).0;
        return json!({"policy": p.policy, "theta": theta, "theta_prime": d.json_vec(&p.theta_prime), "s": s});
    }
    let trajs = trajectories(d, &p, gamma);
    let mut input = json!({"policy": p.policy, "theta": theta, "trajectories": trajs});
    if op == Operation::Score {
        return input;
    }
    input["gamma"] = d.json(gamma);
    let eps = d.positive();
    match op {
        Operation::LikelihoodRatioGradient => {}
        Operation::RestrictedUpdate => input["epsilon"] = d.json(eps),
        Operation::NaturalPolicyUpdate => {
            input["epsilon"] = d.json(eps);
            input["solver"] = solver(d);
        }
        Operation::TrustRegionUpdate => {
            input["epsilon"] = d.json(eps);
            input["alpha"] = d.pick_json(&[0.5, 0.5, 0.8, 0.25]);
            input["max_steps"] = json!(d.int(0, 12));
            input["solver"] = solver(d);
        }
        Operation::ClampedUpdate => {
            input["epsilon"] = d.pick_json(&[0.2, 0.1, 0.5, 0.25]);
            input["alpha"] = d.json(eps);
            input["k_max"] = json!(d.int(0, 4));
        }
        _ => {
            input["theta_prime"] = d.json_vec(&p.theta_prime);
            match op {
                Operation::ClampedObjective | Operation::ClampedGradient => {
                    input["epsilon"] = d.pick_json(&[0.2, 0.1, 0.5, 0.25]);
                }
                Operation::KlPenaltyObjective => input["beta"] = d.json(eps),
                _ => {}
            }
        }
    }
    input
}

/// The input of the `sb3` profile's TRPO and PPO operations: samples with supplied advantages.
fn sb3_input(op: Operation, d: &mut Draw) -> Value {
    let p = policy(d, true);
    let n = if d.chance(0.15) { 1 } else { d.int(2, 8) };
    let samples: Vec<Value> = (0..n)
        .map(|_| {
            let (s, a) = state_action(d, &p);
            let adv = d.number();
            json!({"s": s, "a": a, "advantage": d.json(adv)})
        })
        .collect();
    let mut input = json!({"policy": p.policy, "theta": d.json_vec(&p.theta), "samples": samples});
    if op == Operation::TrustRegionUpdate {
        input["target_kl"] = d.pick_json(&[0.01, 0.05, 0.1]);
    } else {
        input["theta_prime"] = d.json_vec(&p.theta_prime);
        input["clip_range"] = d.pick_json(&[0.2, 0.1, 0.3]);
        input["normalize_advantage"] = json!(d.chance(0.7));
    }
    input
}
