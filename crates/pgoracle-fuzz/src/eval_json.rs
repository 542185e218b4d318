//! Fuzz target `eval_json`: arbitrary bytes into `pgoracle eval`'s parser and evaluator
//! ([`parse_document`], [`eval_document`], and [`eval_case`] line by line as `--jsonl` does).
//!
//! Properties:
//!
//! 1. Nothing panics: every input is a result or a [`DocError`](pgoracle_oracle::DocError).
//! 2. A document's result has its shape: an array of as many results as cases, or one result.
//! 3. Every result is `{ "id", "operation", "output" }` or
//!    `{ "id", "operation", "error": { "kind", "message" } }`, with the case's id and operation,
//!    and `kind` one of the interface's error kinds.
//! 4. Every number in an output is a finite JSON number: no output value is a string (the
//!    non-finite `"NaN"`, `"Infinity"`, `"-Infinity"` in particular), except under the
//!    `nonfinite: propagate` convention (interface version 2: the `torch` profile), which writes
//!    the peer's NaN and ∞ as those strings, and a naive norm that overflowed
//!    (`departures` holds `norm_overflow`, `total_norm` is `"Infinity"`). `departures` is an
//!    array of known departure names.
//! 5. The readable layout that `eval` prints is valid JSON and reads back as the same value.
//!
//! Bounded work: a document whose evaluation would be long (an array of more than
//! [`MAX_ARRAY`] elements anywhere, or a `k_max` or `max_iters` between [`MAX_COUNT`] and the
//! library's limit of 10⁶) is only parsed, not evaluated. Counts above 10⁶ are still evaluated:
//! they are rejected at once.
//!
//! The corpus files of this target are JSON text: the case is the whole input.

use arbitrary::Arbitrary;
use serde_json::Value;

use pgoracle::conventions::Departure;
use pgoracle::limits::MAX_ITERATIONS;
use pgoracle_oracle::layout::to_readable_string;
use pgoracle_oracle::{eval_case, eval_document, parse_document};

/// Longest array a document may hold and still be evaluated.
pub const MAX_ARRAY: usize = 64;
/// Largest `k_max` or `max_iters` (up to the library's limit) a document may hold and still be
/// evaluated.
pub const MAX_COUNT: u64 = 1000;

/// The error kinds of the oracle interface.
const KINDS: [&str; 10] = [
    "NonFiniteInput",
    "InvalidParameter",
    "DimensionMismatch",
    "EmptyInput",
    "ZeroGradient",
    "SingularFisher",
    "NonPositiveCurvature",
    "ZeroProbability",
    "NoConvergence",
    "NonFiniteResult",
];

/// The bytes given to `pgoracle eval`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Case<'a> {
    /// The input, all of it (UTF-8 or not).
    pub text: &'a [u8],
}

/// Parses and evaluates the case as a document and as JSON lines, and asserts the properties of
/// the module docs.
pub fn harness(case: Case<'_>) {
    let Ok(text) = std::str::from_utf8(case.text) else {
        // `eval` reads its input as UTF-8 text; anything else is unreadable input (exit 2).
        return;
    };
    if let Ok(doc) = parse_document(text)
        && affordable(&doc)
        && let Ok(results) = eval_document(&doc)
    {
        match (&doc, &results) {
            (Value::Array(cases), Value::Array(out)) => {
                assert_eq!(cases.len(), out.len(), "one result per case: {text:?}");
                for (c, r) in cases.iter().zip(out) {
                    check_result(c, r, text);
                }
            }
            (Value::Array(_), _) => panic!("an array of cases gave {results}: {text:?}"),
            (c, r) => check_result(c, r, text),
        }
        let printed = to_readable_string(&results);
        let reread: Value = serde_json::from_str(&printed)
            .unwrap_or_else(|e| panic!("layout is not JSON ({e}): {printed}"));
        assert_eq!(reread, results, "layout changed the results: {printed}");
    }
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        if let Ok(case) = parse_document(line)
            && affordable(&case)
            && let Ok(result) = eval_case(&case)
        {
            check_result(&case, &result, line);
        }
    }
}

/// Whether evaluating `doc` is quick: no long array, no large iteration count.
fn affordable(doc: &Value) -> bool {
    match doc {
        Value::Array(items) => items.len() <= MAX_ARRAY && items.iter().all(affordable),
        Value::Object(map) => map.iter().all(|(key, v)| {
            let slow_count = (key == "k_max" || key == "max_iters")
                && v.as_u64()
                    .is_some_and(|c| c > MAX_COUNT && c <= MAX_ITERATIONS as u64);
            !slow_count && affordable(v)
        }),
        _ => true,
    }
}

/// Asserts properties 3 and 4 for one case and its result.
fn check_result(case: &Value, result: &Value, text: &str) {
    let obj = result
        .as_object()
        .unwrap_or_else(|| panic!("result {result} is not an object: {text:?}"));
    assert_eq!(obj.get("id"), case.get("id"), "id not echoed: {text:?}");
    assert_eq!(
        obj.get("operation"),
        case.get("operation"),
        "operation not echoed: {text:?}"
    );
    match (obj.get("output"), obj.get("error")) {
        (Some(output), None) => {
            assert_eq!(obj.len(), 3, "extra keys in {result}: {text:?}");
            let departures: Vec<&str> = output
                .get("departures")
                .and_then(Value::as_array)
                .map(|d| d.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert!(
                departures
                    .iter()
                    .all(|d| Departure::ALL.iter().any(|k| k.name() == *d)),
                "unknown departure in {result}: {text:?}"
            );
            let allowed = Allowed {
                non_finite: propagates(case),
                infinite_norm: departures.contains(&Departure::NormOverflow.name()),
            };
            assert_finite_numbers(output, text, allowed);
        }
        (None, Some(error)) => {
            assert_eq!(obj.len(), 3, "extra keys in {result}: {text:?}");
            let kind = error.get("kind").and_then(Value::as_str);
            assert!(
                kind.is_some_and(|k| KINDS.contains(&k)),
                "unknown error kind in {result}: {text:?}"
            );
            assert!(
                error.get("message").is_some_and(Value::is_string),
                "error without a message: {result}: {text:?}"
            );
        }
        _ => panic!("result {result} has neither output nor error: {text:?}"),
    }
}

/// Where an output may hold the interface's non-finite strings.
#[derive(Debug, Clone, Copy)]
struct Allowed {
    /// Anywhere: the case computes under `nonfinite: propagate`.
    non_finite: bool,
    /// `total_norm` = `"Infinity"`: a naive norm overflowed.
    infinite_norm: bool,
}

/// Whether a case computes under `nonfinite: propagate`: the `torch` profile unless its
/// `conventions` say `error`, or any profile whose `conventions` say `propagate`.
fn propagates(case: &Value) -> bool {
    match case
        .pointer("/conventions/nonfinite")
        .and_then(Value::as_str)
    {
        Some(value) => value == "propagate",
        None => case.get("profile").and_then(Value::as_str) == Some("torch"),
    }
}

/// Every number in an output is a finite JSON number and strings do not occur, except where
/// `allowed` says; `departures` holds names.
fn assert_finite_numbers(v: &Value, text: &str, allowed: Allowed) {
    const NON_FINITE: [&str; 3] = ["NaN", "Infinity", "-Infinity"];
    match v {
        Value::Number(n) => {
            let x: f64 = n.as_str().parse().unwrap_or(f64::NAN);
            assert!(x.is_finite(), "output number {n} is not finite: {text:?}");
        }
        Value::String(s) if allowed.non_finite && NON_FINITE.contains(&s.as_str()) => {}
        Value::String(s) => panic!("output value {s:?} is a string: {text:?}"),
        Value::Array(items) => items
            .iter()
            .for_each(|x| assert_finite_numbers(x, text, allowed)),
        Value::Object(map) => map.iter().for_each(|(key, x)| match key.as_str() {
            "indeterminate" => assert_indeterminate(x, text),
            "departures" => {}
            "total_norm" if allowed.infinite_norm && x == "Infinity" => {}
            _ => assert_finite_numbers(x, text, allowed),
        }),
        Value::Null | Value::Bool(_) => {}
    }
}

/// `indeterminate` (issue #16): an array of `{ decision, at, margin, bound }` with a known
/// decision name, an integer `at`, a number or non-finite string as `margin` and `bound`.
fn assert_indeterminate(v: &Value, text: &str) {
    const DECISIONS: [&str; 6] = [
        "linesearch_constraint",
        "linesearch_constraint_strict",
        "linesearch_improvement",
        "clamp",
        "rank",
        "zero_gradient",
    ];
    let entries = v
        .as_array()
        .unwrap_or_else(|| panic!("indeterminate is not an array: {text:?}"));
    for e in entries {
        let decision = e["decision"].as_str().unwrap_or_default();
        assert!(DECISIONS.contains(&decision), "decision {e}: {text:?}");
        assert!(e["at"].is_u64(), "at {e}: {text:?}");
        for key in ["margin", "bound"] {
            assert!(
                e[key].is_number() || e[key].is_string(),
                "{key} {e}: {text:?}"
            );
        }
    }
}
