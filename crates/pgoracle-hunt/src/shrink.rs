//! Shrinking a disagreement to a minimal case (the approach of Hypothesis and C-Reduce): take
//! single simplification steps while the disagreement keeps its kind, until none does.
//!
//! The steps ([`simplifications`]), biggest first:
//!
//! 1. **Fewer rows**: remove element i from every array of arrays or objects of one length at
//!    once (row i of `grads` and `scores` together: one trajectory fewer), then from each such
//!    array alone (one trajectory, one step of a trajectory, one sample).
//! 2. **Fewer parameters**: remove entry i from every array of numbers of one length at once
//!    (parameter i of θ, θ′, the gradients and the scores together), then from each alone.
//! 3. **Simpler numbers**: replace one number by a simpler one, in the order 0, 1, −1, a power
//!    of two (the one nearest in ratio, sign kept), the number rounded to fewer significant
//!    digits. A number is replaced only by one strictly simpler ([`complexity`]), so shrinking
//!    ends.
//!
//! The result is minimal: [`shrink`] stops only when no single step keeps the kind (or when its
//! evaluation budget runs out, which the finding then says).

use std::time::Instant;

use serde_json::{Number, Value};

use crate::draw::json_number;

/// A place in the input: the keys and indices from the input object down.
type Path = Vec<Step>;

/// One key or index of a [`Path`].
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// Every value inside `v` (itself included) with its path, depth first.
fn nodes(v: &Value, path: &mut Path, out: &mut Vec<(Path, Value)>) {
    out.push((path.clone(), v.clone()));
    let children: Vec<(Step, &Value)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, x)| (Step::Index(i), x))
            .collect(),
        Value::Object(map) => map.iter().map(|(k, x)| (Step::Key(k.clone()), x)).collect(),
        _ => Vec::new(),
    };
    for (step, x) in children {
        path.push(step);
        nodes(x, path, out);
        path.pop();
    }
}

/// Every array of the value with its path, depth first.
fn arrays(v: &Value) -> Vec<(Path, Vec<Value>)> {
    let mut all = Vec::new();
    nodes(v, &mut Vec::new(), &mut all);
    all.into_iter()
        .filter_map(|(p, x)| match x {
            Value::Array(items) => Some((p, items)),
            _ => None,
        })
        .collect()
}

/// Every number of the value (the non-finite strings included) with its path.
fn leaves(v: &Value) -> Vec<(Path, Value)> {
    let mut all = Vec::new();
    nodes(v, &mut Vec::new(), &mut all);
    all.into_iter()
        .filter(|(_, x)| match x {
            Value::Number(_) => true,
            Value::String(s) => ["NaN", "Infinity", "-Infinity"].contains(&s.as_str()),
            _ => false,
        })
        .collect()
}

/// The value at `path`, mutably.
fn at<'a>(v: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, step| match step {
        Step::Key(k) => v.get_mut(k.as_str()),
        Step::Index(i) => v.get_mut(*i),
    })
}

/// Whether an array holds numbers (JSON numbers or the non-finite strings).
fn numeric(items: &[Value]) -> bool {
    items.iter().all(|x| x.is_number() || x.is_string())
}

/// `input` with element `i` removed from the arrays at `paths`.
fn without(input: &Value, paths: &[&Path], i: usize) -> Option<Value> {
    let mut out = input.clone();
    // Deepest and last first, so that earlier paths stay valid.
    let mut sorted: Vec<&&Path> = paths.iter().collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for path in sorted {
        let Value::Array(items) = at(&mut out, path)? else {
            return None;
        };
        if i < items.len() {
            items.remove(i);
        }
    }
    Some(out)
}

/// The structural steps for arrays that are (`numbers = true`) or are not numeric.
fn removals(input: &Value, numbers: bool, out: &mut Vec<Value>) {
    let all = arrays(input);
    let chosen: Vec<&(Path, Vec<Value>)> = all
        .iter()
        .filter(|(_, items)| items.len() >= 2 && numeric(items) == numbers)
        .collect();
    let mut lengths: Vec<usize> = chosen.iter().map(|(_, items)| items.len()).collect();
    lengths.sort_unstable();
    lengths.dedup();
    for len in lengths.into_iter().rev() {
        let group: Vec<&Path> = chosen
            .iter()
            .filter(|(_, items)| items.len() == len)
            .map(|(p, _)| p)
            .collect();
        for i in 0..len {
            out.extend(without(input, &group, i));
            if group.len() > 1 {
                for p in &group {
                    out.extend(without(input, &[*p], i));
                }
            }
        }
    }
}

/// How simple a number is (smaller is simpler): 0; 1; −1; ±2^k for |k| ≤ 64, by |k|; then
/// by significant digits, the size of the decimal exponent and the leading digit (so 10³⁰⁰ is
/// simpler than 2⁹⁹⁷ written out, and 1e200 than 9e214); negatives after positives; the
/// non-finite strings last.
pub fn complexity(v: &Value) -> f64 {
    let Some(x) = v.as_f64().filter(|_| v.is_number()) else {
        return 1e9;
    };
    if x == 0.0 {
        return 0.0;
    }
    if x == 1.0 {
        return 1.0;
    }
    if x == -1.0 {
        return 2.0;
    }
    let sign = if x < 0.0 { 1e-7 } else { 0.0 };
    let (mantissa, exponent) = frexp(x.abs());
    if mantissa == 0.5 && (exponent - 1).unsigned_abs() <= 64 {
        return 3.0 + f64::from((exponent - 1).unsigned_abs()) / 100.0 + sign;
    }
    let text = format!("{:e}", x.abs());
    let (digits, exp10) = text.split_once('e').unwrap_or((&text, "0"));
    let significant = digits.chars().filter(char::is_ascii_digit).count();
    let leading = digits
        .chars()
        .next()
        .and_then(|c| c.to_digit(10))
        .unwrap_or(0);
    let exp10: i32 = exp10.parse().unwrap_or(0);
    4.0 + significant as f64
        + f64::from(exp10.unsigned_abs()) / 1000.0
        + f64::from(leading) / 1e5
        + sign
}

/// x = m·2^e with m in [½, 1) (x > 0, finite).
fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let e = x.log2().floor() as i32 + 1;
    let m = x / 2f64.powi(e);
    // Correct log2's rounding at the edges of a binade.
    if m >= 1.0 {
        (m / 2.0, e + 1)
    } else if m < 0.5 {
        (m * 2.0, e - 1)
    } else {
        (m, e)
    }
}

/// The simpler numbers to try in place of `v` (f32 values when `single`).
fn simpler_numbers(v: &Value, single: bool) -> Vec<Value> {
    let c = complexity(v);
    let x = v.as_f64().filter(|_| v.is_number());
    let integer = v.as_i64().is_some() || v.as_u64().is_some();
    let mut tries = vec![0.0, 1.0, -1.0];
    if let Some(x) = x.filter(|x| x.is_finite() && *x != 0.0) {
        let (_, e) = frexp(x.abs());
        let p = 2f64.powi(e - 1);
        let nearest = if x.abs() / p > 1.5 { 2.0 * p } else { p };
        tries.push(nearest.copysign(x));
        // Powers of ten nearer 1: 10^(e/2), 10^(e−1) (towards 0 from either side), 10^e.
        let e10 = x.abs().log10().floor() as i32;
        for k in [e10 / 2, e10 - e10.signum(), e10] {
            tries.push(crate::draw::decimal(1, k).copysign(x));
        }
        for digits in 1..17 {
            let rounded: f64 = format!("{:.*e}", digits - 1, x).parse().unwrap_or(x);
            tries.push(rounded);
        }
    }
    let mut out: Vec<Value> = Vec::new();
    for t in tries {
        let candidate = if integer {
            if t.fract() != 0.0 || !t.is_finite() {
                continue;
            }
            // An integer field stays an integer literal.
            #[allow(clippy::cast_possible_truncation)]
            Value::Number(Number::from(t as i64))
        } else {
            json_number(t, single)
        };
        if complexity(&candidate) < c && !out.contains(&candidate) {
            out.push(candidate);
        }
    }
    out
}

/// Every single simplification step of a case (`{ …, "input": … }`), biggest first (see the
/// module docs). Each is the whole case with one step applied.
pub fn simplifications(case: &Value) -> Vec<Value> {
    let input = &case["input"];
    let single = case["scalar"] == "f32";
    let mut inputs = Vec::new();
    removals(input, false, &mut inputs);
    removals(input, true, &mut inputs);
    for (path, v) in leaves(input) {
        for simpler in simpler_numbers(&v, single) {
            let mut changed = input.clone();
            if let Some(slot) = at(&mut changed, &path) {
                *slot = simpler;
                inputs.push(changed);
            }
        }
    }
    inputs
        .into_iter()
        .map(|input| {
            let mut c = case.clone();
            c["input"] = input;
            c
        })
        .collect()
}

/// The outcome of [`shrink`].
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest case found.
    pub case: Value,
    /// Successful steps taken.
    pub steps: usize,
    /// Cases evaluated.
    pub evaluations: usize,
    /// Whether no single step keeps the disagreement (false: the budget ran out first).
    pub minimal: bool,
}

/// Shrinks `case` while `keeps(candidate)` says the disagreement keeps its kind, with at most
/// `budget` evaluations and until `deadline` (see the module docs).
pub fn shrink(
    case: &Value,
    budget: usize,
    deadline: Instant,
    keeps: &mut dyn FnMut(&Value) -> bool,
) -> Shrunk {
    let mut current = case.clone();
    let mut steps = 0;
    let mut evaluations = 0;
    'outer: loop {
        for candidate in simplifications(&current) {
            if evaluations >= budget || Instant::now() >= deadline {
                return Shrunk {
                    case: current,
                    steps,
                    evaluations,
                    minimal: false,
                };
            }
            evaluations += 1;
            if keeps(&candidate) {
                current = candidate;
                steps += 1;
                continue 'outer;
            }
        }
        return Shrunk {
            case: current,
            steps,
            evaluations,
            minimal: true,
        };
    }
}

/// The number of array elements and numbers in a case's input (a size for reports).
pub fn size(case: &Value) -> usize {
    fn count(v: &Value) -> usize {
        match v {
            Value::Array(items) => items.len() + items.iter().map(count).sum::<usize>(),
            Value::Object(map) => map.values().map(count).sum(),
            _ => 0,
        }
    }
    count(&case["input"])
}
