//! Cases built to sit exactly on a decision's boundary, where a test written with the wrong
//! inequality (`<` for `≤`) takes the other branch:
//!
//! - **Line search on its constraint** (Algorithm 12.5, `trust_region_update`, book profile):
//!   a Gaussian policy θ = [μ, σ] with σ a power of two and one-step trajectories whose actions
//!   are a = μ ± σ. Each score is then (±1/σ, 0), the sample Fisher is F = diag(1/σ², 0), and
//!   the conjugate gradient solves F u = g exactly in one step: u = (g_μσ², 0), gᵀu = g_μ²σ².
//!   With ε = c²·gᵀu/2 for c a power of two, the first candidate is θ + c·u, and its KL is
//!   (c·u_μ)²/(2σ²) = c²g_μ²σ²/2 = ε: every operation is exact in binary floating point, so the
//!   tie g(θ, θ′) = ε holds in any correct implementation, and the book's g ≤ ε accepts.
//! - **Ratio on a clip bound** (Eq. (12.23), the clamped operations): the likelihood ratio w
//!   of a sample does not depend on ε, so ε is moved onto the sample's bound: ε ← ε + margin
//!   (margin (w − 1) − ε, or (1 − w) − ε for a negative reward-to-go, as the oracle computed
//!   it), repeated while the margin is not exactly 0. w is an exponential, so another correct
//!   implementation's margin may differ by its rounding: these cases exercise `check`'s
//!   indeterminate-decision rule (either branch passes), not the exact-tie rule of
//!   [`crate::verdict`].
//!
//! One case in five of those operations is moved onto a boundary; a case whose boundary would
//! need an invalid ε is left as drawn.

use serde_json::{Value, json};

use pgoracle_oracle::ops::RunOptions;
use pgoracle_oracle::{EvalOptions, eval_certified};

use crate::draw::{Draw, json_number};

/// The case, moved onto a decision boundary one time in five (see the module docs).
pub fn adjust(case: Value, d: &mut Draw) -> Value {
    if case.get("profile").is_some() || !d.chance(0.2) {
        return case;
    }
    match case["operation"].as_str() {
        Some("trust_region_update") => linesearch_tie(case, d),
        Some("clamped_objective" | "clamped_gradient" | "clamped_update") => clip_tie(case),
        _ => case,
    }
}

/// 2^e for a small e.
fn power_of_two(e: i32) -> f64 {
    2f64.powi(e)
}

/// The line-search tie of the module docs.
fn linesearch_tie(mut case: Value, d: &mut Draw) -> Value {
    let sigma = power_of_two(d.int(0, 4) as i32 - 2);
    let mu = (d.int(0, 16) as f64 - 8.0) / 4.0;
    let m = d.pick(&[1usize, 2, 4]);
    let mut trajectories = Vec::with_capacity(m);
    let mut sum = 0.0;
    for _ in 0..m {
        let sign = if d.chance(0.5) { 1.0 } else { -1.0 };
        let r = (d.int(1, 8) as f64) / 4.0 * if d.chance(0.7) { sign } else { -sign };
        sum += sign * r;
        trajectories.push(json!([{"s": 0.0, "a": d.json(mu + sign * sigma), "r": d.json(r)}]));
    }
    // g_μ = mean(sign·r)/σ; the tie needs g ≠ 0.
    let g_mu = sum / (m as f64) / sigma;
    if g_mu == 0.0 {
        return case;
    }
    let c = power_of_two(d.int(0, 3) as i32 - 2);
    let epsilon = c * c * g_mu * g_mu * sigma * sigma / 2.0;
    case["input"] = json!({
        "policy": {"family": "gaussian"},
        "theta": [d.json(mu), d.json(sigma)],
        "trajectories": trajectories,
        "gamma": d.pick_json(&[1.0, 0.9, 0.5]),
        "epsilon": d.json(epsilon),
        "alpha": 0.5,
        "max_steps": d.int(1, 6),
        "solver": {"kind": "conjugate_gradient", "max_iters": 10, "tol": 0, "damping": 0},
    });
    case
}

/// The clip-bound tie of the module docs: ε moved onto the first clamp decision's bound.
fn clip_tie(mut case: Value) -> Value {
    for _ in 0..4 {
        let Ok((_, decisions)) =
            eval_certified(&case, &EvalOptions::default(), &RunOptions::default())
        else {
            return case;
        };
        let Some(first) = decisions.iter().find(|c| c.decision == "clamp") else {
            return case;
        };
        if first.margin == 0.0 {
            return case;
        }
        let Some(epsilon) = case["input"]["epsilon"].as_f64() else {
            return case;
        };
        let moved = epsilon + first.margin;
        if !(moved.is_finite() && moved > 0.0) {
            return case;
        }
        // An f32 case's ε is the f32 nearest the f64 bound.
        case["input"]["epsilon"] = json_number(moved, case["scalar"] == "f32");
    }
    case
}
