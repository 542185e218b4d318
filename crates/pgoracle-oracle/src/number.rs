//! Numbers in the oracle's JSON: finite values are JSON numbers, non-finite ones the strings
//! `"NaN"`, `"Infinity"`, `"-Infinity"` (oracle interface, "Numbers").

use nalgebra::{DMatrix, DVector};
use serde_json::{Number, Value};

use pgoracle::scalar::Scalar;

/// A scalar the oracle reads and writes: `f64` or `f32`.
///
/// Input decimals are parsed straight into the target precision (one correct rounding, no
/// detour through f64 for f32). Output uses Rust's `{}` formatting: the shortest decimal that
/// round-trips exactly in that precision.
pub trait JsonScalar: Scalar + std::str::FromStr + std::fmt::Display + std::fmt::LowerExp {
    /// The `scalar` field's value: `"f64"` or `"f32"`.
    const NAME: &'static str;
    /// Not a number (`"NaN"`).
    const NAN: Self;
    /// +∞ (`"Infinity"`).
    const INFINITY: Self;
}

impl JsonScalar for f64 {
    const NAME: &'static str = "f64";
    const NAN: Self = f64::NAN;
    const INFINITY: Self = f64::INFINITY;
}

impl JsonScalar for f32 {
    const NAME: &'static str = "f32";
    const NAN: Self = f32::NAN;
    const INFINITY: Self = f32::INFINITY;
}

/// The value of one of the interface's non-finite strings (`"NaN"`, `"Infinity"`,
/// `"-Infinity"`); `None` for any other string. The one reader of those strings.
pub fn non_finite<T: JsonScalar>(s: &str) -> Option<T> {
    match s {
        "NaN" => Some(T::NAN),
        "Infinity" => Some(T::INFINITY),
        "-Infinity" => Some(-T::INFINITY),
        _ => None,
    }
}

/// Parses a JSON number or one of the non-finite strings; `None` for anything else.
pub fn parse_number<T: JsonScalar>(v: &Value) -> Option<T> {
    match v {
        Value::Number(n) => n.as_str().parse::<T>().ok(),
        Value::String(s) => non_finite(s),
        _ => None,
    }
}

/// Writes a scalar: a JSON number when finite, otherwise the contract's string.
pub fn number<T: JsonScalar>(x: T) -> Value {
    if x.is_finite() {
        let text = format!("{x}");
        match serde_json::from_str::<Number>(&text) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(text),
        }
    } else if x > T::zero() {
        Value::String("Infinity".into())
    } else if x < T::zero() {
        Value::String("-Infinity".into())
    } else {
        Value::String("NaN".into())
    }
}

/// Writes a vector as an array of numbers.
pub fn vector<T: JsonScalar>(v: &DVector<T>) -> Value {
    Value::Array(v.iter().map(|x| number(*x)).collect())
}

/// Writes a list of vectors as an array of arrays.
pub fn vectors<T: JsonScalar>(vs: &[DVector<T>]) -> Value {
    Value::Array(vs.iter().map(vector).collect())
}

/// Writes a matrix as an array of rows.
pub fn matrix<T: JsonScalar>(m: &DMatrix<T>) -> Value {
    Value::Array(
        m.row_iter()
            .map(|row| Value::Array(row.iter().map(|x| number(*x)).collect()))
            .collect(),
    )
}
