//! Field-by-field comparison of an expected output with another implementation's output, as
//! `pgoracle check` reports it: normwise relative error, the worst component, and its distance
//! in units in the last place (ULPs) of the case's precision.

use serde_json::Value;

use super::number::parse_number;

/// Output fields compared exactly (integers and booleans); every other numeric field is compared
/// with the case's tolerance.
pub const EXACT_FIELDS: [&str; 3] = ["steps", "accepted", "candidates"];

/// The line search's shrinks of a trust-region output: `steps`, or the `sb3` profile's
/// `candidates` − 1 (`candidates` counts the evaluated points, the first one included).
pub fn steps_of(output: &Value) -> Option<u64> {
    output.get("steps").and_then(Value::as_u64).or_else(|| {
        output
            .get("candidates")
            .and_then(Value::as_u64)
            .and_then(|c| c.checked_sub(1))
    })
}

/// How one output field compares.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldComparison {
    /// Output field name.
    pub field: String,
    /// Whether it agrees.
    pub ok: bool,
    /// Index of the worst component (flattened row-major; the first of equally bad ones), for
    /// vectors and matrices.
    pub index: Option<usize>,
    /// Expected value at the worst component.
    pub expected: Option<f64>,
    /// Value got at the worst component.
    pub got: Option<f64>,
    /// max |got − expected| over the field.
    pub abs_error: f64,
    /// `abs_error` / max |expected| (normwise relative error; `abs_error` when expected is 0).
    pub rel_error: f64,
    /// Distance in ULPs of the case's precision at the worst component.
    pub ulps: Option<u64>,
    /// Why it could not be compared numerically (missing, wrong shape, wrong type).
    pub reason: Option<String>,
}

/// Parses a number of a result or a reference: a JSON number, a decimal string (the 40-digit
/// reference values) or one of the non-finite strings.
pub fn parse_value(v: &Value) -> Option<f64> {
    parse_number::<f64>(v).or_else(|| v.as_str().and_then(|decimal| decimal.parse().ok()))
}

/// A number, vector or matrix flattened row-major, with its shape (lengths of nested arrays).
/// In an f32 case (`single`) a JSON number is read as the f32 it denotes: its shortest f32
/// decimal (`1e-45` for the smallest subnormal 2⁻¹⁴⁹ ≈ 1.4e-45) is not that value as an f64.
/// Decimal strings (the 40-digit references) are read as f64.
fn flatten(v: &Value, out: &mut Vec<f64>, shape: &mut Vec<usize>, single: bool) -> bool {
    match v {
        Value::Array(items) => {
            shape.push(items.len());
            items.iter().all(|x| {
                let mut inner = Vec::new();
                let ok = flatten(x, out, &mut inner, single);
                if !inner.is_empty() {
                    shape.extend(inner);
                }
                ok
            })
        }
        Value::Number(_) if single => parse_number::<f32>(v)
            .map(|x| out.push(f64::from(x)))
            .is_some(),
        other => parse_value(other).map(|x| out.push(x)).is_some(),
    }
}

/// Distance between `a` and `b` in ULPs of f64 (`single = false`) or f32 (`single = true`):
/// the number of representable values between them. `None` if either is NaN.
pub fn ulp_distance(a: f64, b: f64, single: bool) -> Option<u64> {
    if a.is_nan() || b.is_nan() {
        return None;
    }
    let (ka, kb) = if single {
        (ordered_f32(a as f32), ordered_f32(b as f32))
    } else {
        (ordered_f64(a), ordered_f64(b))
    };
    u64::try_from((ka - kb).abs()).ok()
}

fn ordered_f64(x: f64) -> i128 {
    let bits = x.to_bits() as i64;
    i128::from(if bits < 0 { i64::MIN - bits } else { bits })
}

fn ordered_f32(x: f32) -> i128 {
    let bits = x.to_bits() as i32;
    i128::from(if bits < 0 { i32::MIN - bits } else { bits })
}

fn unusable(field: &str, reason: &str) -> FieldComparison {
    FieldComparison {
        field: field.to_string(),
        ok: false,
        index: None,
        expected: None,
        got: None,
        abs_error: f64::INFINITY,
        rel_error: f64::INFINITY,
        ulps: None,
        reason: Some(reason.to_string()),
    }
}

/// Compares field `field` of an expected output with the value got (`None` when absent).
/// Numeric fields agree when max |got − expected| ≤ `rel` · max |expected| (normwise; for an
/// all-zero field the bound is `rel`), and never fail by two subnormal spacings or less;
/// `steps`, `accepted` and `null` must be equal.
pub fn compare_field(
    field: &str,
    expected: &Value,
    got: Option<&Value>,
    rel: f64,
    single: bool,
) -> FieldComparison {
    let Some(got) = got else {
        return unusable(field, "missing field");
    };
    if expected.is_null() || expected.is_boolean() || EXACT_FIELDS.contains(&field) {
        let equal = match (expected, got) {
            (Value::Number(_), Value::Number(_)) => parse_value(expected) == parse_value(got),
            (a, b) => a == b,
        };
        return if equal {
            FieldComparison {
                ok: true,
                abs_error: 0.0,
                rel_error: 0.0,
                reason: None,
                ..unusable(field, "")
            }
        } else {
            unusable(field, "must be equal")
        };
    }
    let (mut e, mut es) = (Vec::new(), Vec::new());
    let (mut g, mut gs) = (Vec::new(), Vec::new());
    if !flatten(expected, &mut e, &mut es, single) {
        return unusable(field, "expected value is not numeric");
    }
    if !flatten(got, &mut g, &mut gs, single) {
        return unusable(field, "not a number, vector or matrix of numbers");
    }
    if es != gs || e.len() != g.len() {
        return unusable(field, &format!("shape {gs:?}, expected {es:?}"));
    }
    // The normwise scale is over the finite expected entries. A non-finite entry (a peer's ∞ or
    // NaN, reproduced by a profile) agrees only with the same value: with ∞ in the scale the
    // bound was ∞ and a candidate's +∞ passed for an expected −∞.
    let scale = e
        .iter()
        .filter(|x| x.is_finite())
        .fold(0.0f64, |m, x| m.max(x.abs()));
    let mut worst = (0usize, 0.0f64);
    for (i, (x, y)) in e.iter().zip(&g).enumerate() {
        let d = if x == y || (x.is_nan() && y.is_nan()) {
            0.0
        } else if x.is_finite() && y.is_finite() {
            (y - x).abs()
        } else {
            f64::INFINITY
        };
        if d > worst.1 || i == 0 {
            worst = (i, d);
        }
    }
    let (i, abs_error) = worst;
    let rel_error = if scale > 0.0 {
        abs_error / scale
    } else {
        abs_error
    };
    // Never below two subnormal spacings of the case's precision: a subnormal result has only
    // a few bits, and two correctly rounded implementations may land a spacing apart (an f32
    // value of −7e-45 is 5·2⁻¹⁴⁹; the next is 20% away).
    let spacing = if single {
        f64::from(f32::from_bits(1))
    } else {
        f64::from_bits(1)
    };
    let bound = (rel * if scale > 0.0 { scale } else { 1.0 }).max(2.0 * spacing);
    FieldComparison {
        field: field.to_string(),
        ok: abs_error <= bound,
        index: (!es.is_empty()).then_some(i),
        expected: e.get(i).copied(),
        got: g.get(i).copied(),
        abs_error,
        rel_error,
        ulps: e
            .get(i)
            .zip(g.get(i))
            .and_then(|(x, y)| ulp_distance(*x, *y, single)),
        reason: None,
    }
}
