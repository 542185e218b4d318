//! Condition numbers of results and rounding bounds of decisions, from forward-mode
//! derivatives (issue #16, "condition-aware tolerances" and "certified decisions").
//!
//! **Sensitivity.** For an output component y computed from the case's real inputs x₁ … x_N
//! (every number the case's input holds, parameters included), its sensitivity is
//!
//! $$S(y) = \sum\_{i=1}^{N} \left| \frac{\partial y}{\partial x\_i} \right| |x\_i|,$$
//!
//! the first-order bound on |Δy| per unit of relative perturbation of every input: a
//! backward-stable implementation, which computes the exact y of inputs perturbed by c·ε
//! relative, lands within c·ε·S(y) of it. The derivatives come from running the same generic
//! code on num-dual's `Dual64` (`Dual32` for an f32 case), once per input, seeded with xᵢ on
//! that input ([`seed`]), so each pass gives ∂y/∂xᵢ·xᵢ; no formula is written twice. Where a
//! pass fails, or a derivative overflows in the dual arithmetic (num-dual's quotient rule
//! squares the divisor; the core divides by powers of two as products with their reciprocals to
//! avoid it), the field has no κ and the golden file gives it the κ = 1 tolerance, and a
//! decision whose terms' sensitivity is unknown is listed as indeterminate.
//!
//! **κ per field.** For an output field y (a number, vector or matrix), normwise like the
//! comparison: κ = maxⱼ S(yⱼ) / maxⱼ |yⱼ|, or maxⱼ S(yⱼ) when y is all zero (the comparison
//! then uses scale 1). The field's tolerance is ε^(5/8) + 16·κ·ε.
//!
//! **Decision bounds.** A decision's margin compares two quantities that another
//! implementation computes separately (f(θ, θ′) and f(θ, θ); ε and g(θ, θ′)); each may be off
//! by 16·ε times its sensitivity, so the decision is certain only when
//! |margin| > bound = 16·ε·(S(t₁) + S(t₂)), times κ₂(F) for the trust region's line search
//! (its candidates come from a solve). Otherwise the result lists it in `indeterminate`.
//!
//! **Exceptions** (docs/oracle.md): the dual passes follow the primary pass's branches (the
//! line search is forced to accept where the primary pass did: num-dual's `mul_add` is not
//! fused, so a dual's real part may differ from the f64 value in its last bits, and a pass
//! must not take another branch); a CG stop or clamp decided otherwise in a dual pass changes
//! the derivatives of that pass only within that decision's own rounding. A natural-gradient
//! solve's fields add the 2-norm condition number of the matrix solved (the reference's
//! `conditioning`), since a normwise backward-stable solve perturbs F as a whole, not through
//! the scores.

use std::cell::Cell;

use num_dual::{Dual32, Dual64};
use serde_json::{Map, Value, json};

use super::DocError;
use super::compare::parse_value;
use super::fields::Fields;
use super::number::{JsonScalar, number};
use super::operation::Operation;
use super::ops::{self, Outcome, RunOptions};
use super::profile::Context;

/// The constant c of the bounds c·ε·S: the tolerance's 16.
pub const C: f64 = 16.0;

/// Output fields that hold no real result (integers, flags, internal records).
const NOT_REAL: [&str; 8] = [
    "grad_terms",
    "steps",
    "accepted",
    "candidates",
    "departures",
    "cg_iterations",
    "cg_residual",
    "decisions",
];

thread_local! {
    /// The seeding state of the current pass: (the input to seed, inputs read so far).
    static CURSOR: Cell<(Option<usize>, usize)> = const { Cell::new((None, 0)) };
}

/// Called by a dual's decimal parser for every real input read, in reading order: the
/// derivative seed, xᵢ itself for the seeded input and 0 for every other. Seeding with xᵢ
/// rather than 1 makes a pass compute ∂y/∂xᵢ·xᵢ (the derivative along x(1 + t)) directly, of
/// the size of y: ∂y/∂xᵢ alone overflows for inputs near 1e-300 whose products stay finite.
pub fn seed(value: f64) -> f64 {
    CURSOR.with(|c| {
        let (target, count) = c.get();
        c.set((target, count + 1));
        if target == Some(count) { value } else { 0.0 }
    })
}

/// Runs one dual pass seeded on input `target` (`None`: count the inputs); returns the output
/// (relative derivatives ∂y/∂xᵢ·xᵢ in place of values) and the number of inputs read.
fn pass<D: JsonScalar>(
    op: Operation,
    input: &Value,
    id: &str,
    options: &RunOptions,
    target: Option<usize>,
) -> Result<(Outcome, usize), DocError> {
    CURSOR.with(|c| c.set((target, 0)));
    let mut fields = Fields::new(input, "input", id)?;
    let outcome = ops::run::<D>(op, &mut fields, options);
    let (_, count) = CURSOR.with(|c| c.replace((None, 0)));
    Ok((outcome?, count))
}

/// Adds |d| to every numeric leaf of `acc` from the matching leaf `d` of a pass's output.
fn accumulate(acc: &mut Value, d: &Value) {
    match (acc, d) {
        (Value::Array(a), Value::Array(b)) => {
            for (a, b) in a.iter_mut().zip(b) {
                accumulate(a, b);
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            for (k, a) in a.iter_mut() {
                if let Some(b) = b.get(k) {
                    accumulate(a, b);
                }
            }
        }
        (a, b) => {
            if let (Some(s), Some(d)) = (parse_value(a), parse_value(b)) {
                *a = if d.is_finite() && s.is_finite() {
                    json!(s + d.abs())
                } else {
                    // A derivative that overflowed in the dual arithmetic: S is not known.
                    json!(UNAVAILABLE)
                };
            }
        }
    }
}

/// The mark of a sensitivity the dual passes could not compute (a non-finite derivative).
const UNAVAILABLE: &str = "Infinity";

/// A zeroed copy of an output (every number 0), the accumulator of [`sensitivities`].
fn zeroed(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(zeroed).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), zeroed(v))).collect()),
        Value::Number(_) | Value::String(_) => json!(0.0),
        other => other.clone(),
    }
}

/// S(y) for every real leaf of the output of `op` on `input` (the same shape as the output),
/// in the precision `D` (`Dual64` or `Dual32`); `None` when a pass gives an error where the
/// primary pass gave an output.
fn sensitivities<D: JsonScalar>(
    op: Operation,
    input: &Value,
    id: &str,
    options: &RunOptions,
) -> Result<Option<Value>, DocError> {
    let (first, count) = pass::<D>(op, input, id, options, None)?;
    let Ok(first) = first else { return Ok(None) };
    let mut acc = zeroed(&first);
    for i in 0..count {
        let (out, _) = pass::<D>(op, input, id, options, Some(i))?;
        let Ok(out) = out else { return Ok(None) };
        accumulate(&mut acc, &out);
    }
    Ok(Some(acc))
}

/// Flattens the numbers of a field.
fn numbers(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(items) => items.iter().for_each(|x| numbers(x, out)),
        other => out.extend(parse_value(other)),
    }
}

/// The largest |x| over a field's numbers (non-finite ones excluded).
fn max_abs(v: &Value) -> f64 {
    let mut xs = Vec::new();
    numbers(v, &mut xs);
    xs.iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The largest |x| over a field's numbers, non-finite ones included.
fn max_abs_all(v: &Value) -> f64 {
    let mut xs = Vec::new();
    numbers(v, &mut xs);
    xs.iter().fold(0.0f64, |m, x| m.max(x.abs()))
}

/// The fields downstream of a natural-gradient solve, whose κ adds the solved matrix's.
const SOLVED: [&str; 5] = [
    "direction",
    "theta",
    "theta_natural",
    "f_theta_prime",
    "g_theta_prime",
];

/// κ of every real output field: maxⱼ S(yⱼ) / maxⱼ |yⱼ| (scale 1 when y is all zero), plus
/// `solve_conditioning` for the fields of a natural-gradient solve.
pub fn field_conditioning(
    op: Operation,
    output: &Map<String, Value>,
    sens: &Value,
    solve_conditioning: f64,
) -> Map<String, Value> {
    let solves = matches!(
        op,
        Operation::NaturalUpdate | Operation::NaturalPolicyUpdate | Operation::TrustRegionUpdate
    );
    let mut kappa = Map::new();
    for (field, value) in output {
        if NOT_REAL.contains(&field.as_str()) || value.is_null() || value.is_boolean() {
            continue;
        }
        let Some(s) = sens.get(field) else { continue };
        if !max_abs_all(s).is_finite() {
            // No κ for this field: the golden file gives it the κ = 1 tolerance.
            continue;
        }
        let scale = max_abs(value);
        let mut k = max_abs(s) / if scale > 0.0 { scale } else { 1.0 };
        if solves && SOLVED.contains(&field.as_str()) {
            k += solve_conditioning;
        }
        kappa.insert(field.clone(), json!(k));
    }
    kappa
}

/// One decision of an evaluation with its rounding bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Certified {
    /// The decision's name ([`pgoracle::DecisionKind::name`]).
    pub decision: String,
    /// Where: the shrink index or the sample index.
    pub at: usize,
    /// The margin as computed (see [`pgoracle::Decision`]).
    pub margin: f64,
    /// 16·ε·(S(t₁) + S(t₂)): how far rounding may move the margin.
    pub bound: f64,
    /// Whether the test holds by the book's rule on the margin.
    pub holds: bool,
}

impl Certified {
    /// Whether rounding could flip the decision: a finite |margin| ≤ bound, or a NaN margin. An
    /// infinite margin (a ratio that overflows: certainly clamped) is certain whatever the
    /// bound; an unknown (infinite) bound makes every finite margin indeterminate.
    pub fn indeterminate(&self) -> bool {
        self.margin.is_nan() || (self.margin.is_finite() && self.margin.abs() <= self.bound)
    }

    /// The `indeterminate` entry of an output: `{ decision, at, margin, bound }`; a non-finite
    /// margin or bound (an unknown sensitivity) is written as the interface's strings.
    pub fn entry(&self) -> Value {
        json!({
            "decision": self.decision, "at": self.at,
            "margin": number(self.margin), "bound": number(self.bound),
        })
    }
}

/// The exact solver's rank test λ_min ≤ τ = n·ε·λ_max as a decision: margin λ_min − τ,
/// bound τ/2. A backward-stable eigenvalue or factorisation moves λ_min by a few ε·λ_max, so
/// within half the threshold of it whether F is singular to working precision is decided by
/// rounding; an exactly singular F (λ_min = 0, margin −τ) stays certain.
fn rank_decision(margin: f64, threshold: f64) -> Option<Certified> {
    let bound = 0.5 * threshold;
    (margin.abs() <= bound || margin.is_nan()).then(|| Certified {
        decision: "rank".into(),
        at: 0,
        margin,
        bound,
        holds: margin > 0.0,
    })
}

/// The `rank` decision of a `SingularFisher` error, when the rank test decided it within its
/// bound: another implementation may solve F.
pub fn rank_of_error(error: &pgoracle::PgError) -> Option<Certified> {
    match error {
        pgoracle::PgError::SingularFisher {
            rank_margin: Some([margin, threshold]),
            ..
        } => rank_decision(*margin, *threshold),
        _ => None,
    }
}

/// The `rank` decision of an exact solve that went through: from the output's `fisher`, when
/// λ_min is within the bound above the threshold (another implementation may call F
/// singular).
fn rank_of_output(
    op: Operation,
    input: &Value,
    output: &Map<String, Value>,
    eps: f64,
) -> Option<Certified> {
    let solves = matches!(
        op,
        Operation::NaturalUpdate | Operation::NaturalPolicyUpdate | Operation::TrustRegionUpdate
    );
    let exact = input.get("solver").is_none_or(|s| s["kind"] == "exact");
    if !solves || !exact {
        return None;
    }
    let rows = output.get("fisher")?.as_array()?;
    let n = rows.len();
    let mut entries = Vec::with_capacity(n * n);
    for row in rows {
        numbers(row, &mut entries);
    }
    if n == 0 || entries.len() != n * n {
        return None;
    }
    let f = nalgebra::DMatrix::from_row_slice(n, n, &entries);
    let eig = f
        .try_symmetric_eigen(f64::EPSILON, 1000 + 100 * n)?
        .eigenvalues;
    let max = eig.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let min = eig.iter().fold(max, |m, x| m.min(*x));
    let threshold = n as f64 * eps * max;
    rank_decision(min - threshold, threshold)
}

/// The operations whose `grad` output is a computed mean (of gradients or of score × return
/// terms) that the step then divides by: ZeroGradient when it is exactly 0.
const ZERO_GRADIENT_OPS: [Operation; 4] = [
    Operation::NaturalUpdate,
    Operation::NaturalPolicyUpdate,
    Operation::RestrictedUpdate,
    Operation::TrustRegionUpdate,
];

/// The test "g = 0" (`ZeroGradient`) as a decision: margin maxⱼ |gⱼ|, bound 16ε·maxⱼ S(gⱼ). A
/// gradient that is a cancelling sum ([1e16, 1, −1e16] / 3) is 0 in a correct implementation
/// that sums in another order, so a candidate's `ZeroGradient` is then the other branch. Only
/// with κ (the sensitivity passes), so `eval` reports it under `--conditioning`, and the golden
/// files always.
///
/// A version-2 trust region also reports the size of the gradient's terms (internal field
/// `grad_terms`, meanᵢ |Âᵢ||∇log πᵢ|), and the bound is at least 16ε times it: standardised
/// advantages that cancel in exact arithmetic (two samples of one action) leave a gradient
/// made of their rounding, whose derivatives cancel too, so S(g) alone does not see it
/// (`sb3-trpo-softmax-37-f32`: |g| = 2.3·10⁻⁸ against terms of 0.35).
fn zero_gradient(
    op: Operation,
    output: &Map<String, Value>,
    sens: &Value,
    eps: f64,
) -> Option<Certified> {
    if !ZERO_GRADIENT_OPS.contains(&op) {
        return None;
    }
    let margin = max_abs(output.get("grad")?);
    let terms = output.get("grad_terms").map_or(0.0, max_abs);
    let bound = C * eps * max_abs_all(sens.get("grad")?).max(terms);
    (margin <= bound).then(|| Certified {
        decision: "zero_gradient".into(),
        at: 0,
        margin,
        bound,
        holds: true,
    })
}

/// The trust region's f(θ, θ′) and g(θ, θ′) at the last candidate also depend on θ′ as a
/// rounded vector: every implementation evaluates the policy at a floating-point θ′, which is
/// ε|θ′| from the exact θ + αᵏ(θ_nat − θ), while the input passes see only the tiny αᵏ-scaled
/// dependence (g at a candidate 10⁻¹⁶ from θ moved by 10⁻⁶ relative). So S(f_theta_prime) and
/// S(g_theta_prime) add the sensitivity of `surrogate_objective` / `surrogate_constraint` at
/// that θ′, with θ′ as an input.
fn add_candidate_rounding(
    scalar: &str,
    input: &Value,
    id: &str,
    output: &Map<String, Value>,
    sens: &mut Value,
) -> Result<(), DocError> {
    let Some(candidate) = output.get("last_candidate") else {
        return Ok(());
    };
    for (field, op) in [
        ("f_theta_prime", Operation::SurrogateObjective),
        ("g_theta_prime", Operation::SurrogateConstraint),
    ] {
        if output.get(field).is_none_or(Value::is_null) {
            continue;
        }
        let aux = json!({
            "policy": input["policy"], "theta": input["theta"], "theta_prime": candidate,
            "trajectories": input["trajectories"], "gamma": input["gamma"],
        });
        let options = RunOptions::default();
        let extra = if scalar == "f32" {
            sensitivities::<Dual32>(op, &aux, id, &options)?
        } else {
            sensitivities::<Dual64>(op, &aux, id, &options)?
        };
        let (Some(extra), Some(s)) = (
            extra.and_then(|e| e.get("value").and_then(parse_value)),
            sens.get(field).and_then(parse_value),
        ) else {
            continue;
        };
        sens[field] = json!(s + extra);
    }
    Ok(())
}

/// The 2-norm condition number of the matrix a natural-gradient solve used, from the output's
/// `fisher` and the input's solver, as the reference defines it: F for `exact`, F + λI for
/// `damped`, σ_max/σ_min over the eigenvalues kept (|λ| ≥ rcond·σ_max) for `pseudo_inverse`;
/// 0 when the output has no `fisher` (the matrix-free CG) or the eigenvalues do not converge
/// within the bounded sweeps.
pub fn solved_matrix_conditioning(input: &Value, output: &Map<String, Value>) -> f64 {
    let Some(rows) = output.get("fisher").and_then(Value::as_array) else {
        return 0.0;
    };
    let n = rows.len();
    let mut entries = Vec::with_capacity(n * n);
    for row in rows {
        numbers(row, &mut entries);
    }
    if n == 0 || entries.len() != n * n {
        return 0.0;
    }
    let f = nalgebra::DMatrix::from_row_slice(n, n, &entries);
    let Some(eig) = f.try_symmetric_eigen(f64::EPSILON, 1000 + 100 * n) else {
        return 0.0;
    };
    let solver = &input["solver"];
    let number = |key: &str| solver.get(key).and_then(parse_value).unwrap_or(0.0);
    let mut sigma: Vec<f64> = eig.eigenvalues.iter().map(|x| x.abs()).collect();
    match solver["kind"].as_str() {
        Some("damped") => {
            let damping = number("damping");
            sigma = eig
                .eigenvalues
                .iter()
                .map(|x| (x + damping).abs())
                .collect();
        }
        Some("pseudo_inverse") => {
            let max = sigma.iter().fold(0.0f64, |m, x| m.max(*x));
            let cut = number("rcond") * max;
            sigma.retain(|x| *x >= cut);
        }
        _ => {}
    }
    let max = sigma.iter().fold(0.0f64, |m, x| m.max(*x));
    let min = sigma.iter().fold(f64::INFINITY, |m, x| m.min(*x));
    if max > 0.0 { max / min } else { 0.0 }
}

/// What a case's evaluation adds to the plain output.
#[derive(Debug, Clone, Default)]
pub struct Certificate {
    /// κ of every real output field (when asked for).
    pub kappa: Option<Map<String, Value>>,
    /// Every decision taken, in order, with its bound.
    pub decisions: Vec<Certified>,
}

impl Certificate {
    /// The decisions within their rounding bound, as `indeterminate` entries.
    pub fn indeterminate(&self) -> Vec<Value> {
        self.decisions
            .iter()
            .filter(|d| d.indeterminate())
            .map(Certified::entry)
            .collect()
    }
}

/// The machine epsilon of a case's precision.
pub fn epsilon(scalar: &str) -> f64 {
    if scalar == "f32" {
        f64::from(f32::EPSILON)
    } else {
        f64::EPSILON
    }
}

/// The options that make a dual pass follow the primary pass's branches (in the case's
/// context).
fn following(output: &Map<String, Value>, context: &Context) -> RunOptions {
    let object = Value::Object(output.clone());
    let steps = crate::compare::steps_of(&object);
    let accepted = output.get("accepted").and_then(Value::as_bool);
    RunOptions {
        accept_at: match (steps, accepted) {
            (Some(k), Some(true)) => usize::try_from(k).ok(),
            (Some(_), Some(false)) => Some(usize::MAX),
            _ => None,
        },
        flipped: Vec::new(),
        context: context.clone(),
    }
}

/// The certificate of a primary output: its decisions' bounds, and κ per field when `kappa`
/// is asked for (or the output has decisions, whose bounds need the same passes).
///
/// # Errors
/// [`DocError`] only for a document error, which the primary pass would have reported first.
#[allow(clippy::too_many_arguments)]
pub fn certify(
    op: Operation,
    scalar: &str,
    input: &Value,
    id: &str,
    output: &Map<String, Value>,
    kappa: bool,
    solve_conditioning: f64,
    context: &Context,
) -> Result<Certificate, DocError> {
    let decisions = output
        .get("decisions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let rank = rank_of_output(op, input, output, epsilon(scalar));
    if !kappa && decisions.is_empty() {
        return Ok(Certificate {
            kappa: None,
            decisions: rank.into_iter().collect(),
        });
    }
    let options = following(output, context);
    let sens = if scalar == "f32" {
        sensitivities::<Dual32>(op, input, id, &options)?
    } else {
        sensitivities::<Dual64>(op, input, id, &options)?
    };
    let Some(mut sens) = sens else {
        return Ok(Certificate {
            kappa: None,
            decisions: rank.into_iter().collect(),
        });
    };
    if kappa && op == Operation::TrustRegionUpdate {
        add_candidate_rounding(scalar, input, id, output, &mut sens)?;
    }
    let eps = epsilon(scalar);
    let sens_decisions = sens
        .get("decisions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // The trust region's candidates come from a solve: a normwise backward-stable solver moves
    // θ_nat by up to κ₂(F)·ε relative, which the componentwise input sensitivities do not
    // see, so its line-search bounds carry κ₂(F) (an f32 case with κ₂ = 3.7e6 accepted at shrink
    // 0 where exact arithmetic accepts at 1).
    let solve_factor = if op == Operation::TrustRegionUpdate {
        solve_conditioning.max(1.0)
    } else {
        1.0
    };
    let mut certified = Vec::new();
    if kappa {
        certified.extend(zero_gradient(op, output, &sens, eps));
    }
    certified.extend(rank);
    for (d, s) in decisions.iter().zip(&sens_decisions) {
        let mut terms = Vec::new();
        numbers(&s["terms"], &mut terms);
        certified.push(Certified {
            decision: d["decision"].as_str().unwrap_or_default().to_string(),
            at: d["at"]
                .as_u64()
                .and_then(|k| usize::try_from(k).ok())
                .unwrap_or_default(),
            margin: d.get("margin").and_then(parse_value).unwrap_or(f64::NAN),
            bound: C * eps * solve_factor * terms.iter().sum::<f64>(),
            holds: d["holds"].as_bool().unwrap_or(false),
        });
    }
    Ok(Certificate {
        kappa: kappa.then(|| field_conditioning(op, output, &sens, solve_conditioning)),
        decisions: certified,
    })
}
