//! Numbers in the oracle's JSON: finite values are JSON numbers, non-finite ones the strings
//! `"NaN"`, `"Infinity"`, `"-Infinity"` (oracle interface, "Numbers").

use nalgebra::{DMatrix, DVector};
use num_dual::{Dual32, Dual64};
use serde_json::{Number, Value};

use pgoracle::scalar::Scalar;

/// A scalar the oracle reads and writes: `f64` or `f32`, or num-dual's `Dual64`/`Dual32` for
/// the sensitivity passes of [`crate::conditioning`].
///
/// Input decimals are parsed straight into the target precision (one correct rounding, no
/// detour through f64 for f32). Output uses Rust's `{}` formatting: the shortest decimal that
/// round-trips exactly in that precision.
pub trait JsonScalar: Scalar {
    /// The `scalar` field's value: `"f64"` or `"f32"` (a dual's is its real part's).
    const NAME: &'static str;
    /// A finite JSON number's text in this precision; `None` if it does not parse.
    fn parse_decimal(text: &str) -> Option<Self>;
    /// NaN or ±∞ in this type.
    fn non_finite_value(x: f64) -> Self;
    /// The JSON of a value: a number when finite, otherwise the contract's string. A dual
    /// writes its derivative part: a sensitivity pass reads derivatives where the plain pass
    /// reads values.
    fn to_json(self) -> Value;
}

/// The JSON of a finite or non-finite primitive float (`{}`: shortest round-trip decimal).
fn float_json<F: std::fmt::Display + num_traits::Float>(x: F) -> Value {
    if x.is_finite() {
        let text = format!("{x}");
        match serde_json::from_str::<Number>(&text) {
            Ok(n) => Value::Number(n),
            Err(_) => Value::String(text),
        }
    } else if x > F::zero() {
        Value::String("Infinity".into())
    } else if x < F::zero() {
        Value::String("-Infinity".into())
    } else {
        Value::String("NaN".into())
    }
}

impl JsonScalar for f64 {
    const NAME: &'static str = "f64";
    fn parse_decimal(text: &str) -> Option<Self> {
        text.parse().ok()
    }
    fn non_finite_value(x: f64) -> Self {
        x
    }
    fn to_json(self) -> Value {
        float_json(self)
    }
}

impl JsonScalar for f32 {
    const NAME: &'static str = "f32";
    fn parse_decimal(text: &str) -> Option<Self> {
        text.parse().ok()
    }
    fn non_finite_value(x: f64) -> Self {
        x as f32
    }
    fn to_json(self) -> Value {
        float_json(self)
    }
}

impl JsonScalar for Dual64 {
    const NAME: &'static str = "f64";
    fn parse_decimal(text: &str) -> Option<Self> {
        let re: f64 = text.parse().ok()?;
        Some(Dual64::new(re, crate::conditioning::seed(re)))
    }
    fn non_finite_value(x: f64) -> Self {
        Dual64::from_re(x)
    }
    fn to_json(self) -> Value {
        float_json(self.eps)
    }
}

impl JsonScalar for Dual32 {
    const NAME: &'static str = "f32";
    fn parse_decimal(text: &str) -> Option<Self> {
        let re: f32 = text.parse().ok()?;
        let eps = crate::conditioning::seed(f64::from(re)) as f32;
        Some(Dual32::new(re, eps))
    }
    fn non_finite_value(x: f64) -> Self {
        Dual32::from_re(x as f32)
    }
    fn to_json(self) -> Value {
        float_json(self.eps)
    }
}

/// The value of one of the interface's non-finite strings (`"NaN"`, `"Infinity"`,
/// `"-Infinity"`); `None` for any other string. The one reader of those strings.
pub fn non_finite<T: JsonScalar>(s: &str) -> Option<T> {
    match s {
        "NaN" => Some(T::non_finite_value(f64::NAN)),
        "Infinity" => Some(T::non_finite_value(f64::INFINITY)),
        "-Infinity" => Some(T::non_finite_value(f64::NEG_INFINITY)),
        _ => None,
    }
}

/// Parses a JSON number or one of the non-finite strings; `None` for anything else.
pub fn parse_number<T: JsonScalar>(v: &Value) -> Option<T> {
    match v {
        Value::Number(n) => T::parse_decimal(n.as_str()),
        Value::String(s) => non_finite(s),
        _ => None,
    }
}

/// Writes a scalar: a JSON number when finite, otherwise the contract's string.
pub fn number<T: JsonScalar>(x: T) -> Value {
    x.to_json()
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
