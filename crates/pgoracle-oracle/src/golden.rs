//! `pgoracle golden`: the golden test vectors, one JSON file per operation, generated from the
//! inputs and 50-digit values of the independent reference (`tools/reference/cases.json`,
//! written by `tools/reference/mp_reference.py`) and pgoracle's own results.
//!
//! The envelope follows Wycheproof's: a file header (schema, generator, notes explaining every
//! flag used) and groups of tests that share a precision. Every test carries its `id`,
//! `operation`, `scalar`, `input`, the expected output (pgoracle's) or expected error kind, its
//! tolerance, `source`, `flags`, a `comment`, the independent reference value of every expected
//! field, and pgoracle's error against it. The output is byte-identical on every run.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::compare::{compare_field, parse_value};
use super::ops::OPERATIONS;
use super::{DocError, eval_case};
use pgoracle::tolerance::Tolerance;

/// The independent reference: inputs, sources, flags and 50-digit expected values.
pub const REFERENCE: &str = include_str!("../../../tools/reference/cases.json");

/// Schema name written in every golden file.
pub const SCHEMA: &str = "pgoracle-golden-v1";

/// What each flag means; every flag used by a golden file is explained in its header.
pub const FLAG_NOTES: [(&str, &str); 10] = [
    (
        "TextbookWorkedExample",
        "The book's own data: Example 12.1 or Exercise 12.3.",
    ),
    (
        "SingularFisher",
        "The exact solver on an exactly singular Fisher matrix: the expected result is the error SingularFisher.",
    ),
    (
        "RankDeficient",
        "A singular Fisher matrix solved by the damped, pseudo-inverse or conjugate gradient solver: a defined result.",
    ),
    (
        "IllConditioned",
        "A Fisher matrix with condition number between 1e6 and 1e10; the tolerance grows with the condition number.",
    ),
    (
        "ZeroGradient",
        "The step direction is the zero vector: the expected result is the error ZeroGradient (the book's code returns NaN).",
    ),
    (
        "AtClipBoundary",
        "Entries exactly at a clip bound, a gradient norm exactly at l2_max, or a reward-to-go exactly 0: the book's strict inequalities decide.",
    ),
    (
        "NonFiniteInput",
        "A NaN or an infinity in an input: the expected result is the error NonFiniteInput.",
    ),
    (
        "LineSearchExhausted",
        "A trust region line search that finds no acceptable point within max_steps: accepted is false and theta is the input θ.",
    ),
    (
        "Underflow",
        "A naive evaluation underflows or overflows (densities of actions 40σ away, gradients near 1e±200, probabilities near 1e-300) while the result is representable.",
    ),
    (
        "f32",
        "Computed in single precision; every input is exactly representable in f32.",
    ),
];

/// Where each operation comes from in the chapter.
pub fn book_source(operation: &str) -> &'static str {
    match operation {
        "gradient_ascent" => "Eq. (12.1), Algorithm 12.1",
        "scale_gradient" | "clip_gradient" => "Algorithm 12.2",
        "restricted_step" => "Eq. (12.6)",
        "fisher" => "Eq. (12.10)",
        "natural_update" => "Eqs. (12.12)–(12.13), natural_update of Algorithm 12.4",
        "score" => "∇log p(τ) = Σ_k ∇log π(θ, a_k, s_k), Algorithms 12.3–12.5",
        "likelihood_ratio_gradient" => "∇U(τ) = ∇log p(τ) R(τ), Algorithms 12.3–12.4",
        "restricted_update" => "Algorithm 12.3",
        "natural_policy_update" => "Algorithm 12.4",
        "policy_kl" => "D_KL(π_θ(·|s) ‖ π_θ′(·|s)), Eq. (12.19)",
        "surrogate_objective" => "Eq. (12.18), Algorithm 12.5",
        "surrogate_constraint" => "Eq. (12.19), Algorithm 12.5",
        "trust_region_update" => "Algorithm 12.5",
        "clamped_objective" => "Eq. (12.22)",
        "clamped_gradient" => "Eq. (12.23), Algorithm 12.6",
        "kl_penalty_objective" => "Eq. (12.24)",
        "clamped_update" => "Algorithm 12.6",
        "kl_categorical" => "Exercise 12.3",
        "kl_gaussian" => "closed form, Appendix A.10",
        _ => "",
    }
}

/// Output fields that describe how pgoracle computed a result rather than the result, and so
/// are not expected of other implementations.
pub const DIAGNOSTIC_FIELDS: [&str; 2] = ["cg_iterations", "cg_residual"];

/// One golden file: its name (`<operation>.json`) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoldenFile {
    /// File name.
    pub name: String,
    /// File contents.
    pub text: String,
}

fn generator_error(id: &str, message: &str) -> DocError {
    DocError::new(id, "(reference)", message)
}

/// The golden tolerance of a reference case as an f64 relative bound, in the case's precision.
pub fn case_tolerance(case: &Value) -> f64 {
    let kappa = case
        .get("conditioning")
        .and_then(parse_value)
        .unwrap_or(1.0);
    if case["scalar"] == "f32" {
        f64::from(Tolerance::<f32>::golden(kappa as f32).rel)
    } else {
        Tolerance::<f64>::golden(kappa).rel
    }
}

/// Builds the golden test of one reference case.
fn golden_test(case: &Value, tc_id: usize) -> Result<Value, DocError> {
    let id = case["id"].as_str().unwrap_or("?");
    let request = json!({
        "id": case["id"], "operation": case["operation"],
        "scalar": case["scalar"], "input": case["input"],
    });
    let result = eval_case(&request)?;
    let scalar = case["scalar"].as_str().unwrap_or("f64");
    let rel = case_tolerance(case);
    let mut test = Map::new();
    test.insert("tc_id".into(), json!(tc_id));
    test.insert("id".into(), case["id"].clone());
    test.insert("operation".into(), case["operation"].clone());
    test.insert("scalar".into(), json!(scalar));
    test.insert(
        "comment".into(),
        case.get("comment").cloned().unwrap_or(json!("")),
    );
    test.insert(
        "source".into(),
        case.get("source").cloned().unwrap_or(json!("")),
    );
    test.insert(
        "flags".into(),
        case.get("flags").cloned().unwrap_or(json!([])),
    );
    test.insert("input".into(), case["input"].clone());
    if let Some(kind) = case.get("expected_error") {
        if result["error"]["kind"] != *kind {
            return Err(generator_error(
                id,
                &format!("pgoracle gives {result}, the reference {kind}"),
            ));
        }
        test.insert("result".into(), json!("error"));
        test.insert("expected_error".into(), kind.clone());
        return Ok(Value::Object(test));
    }
    let output = result["output"].as_object().ok_or_else(|| {
        generator_error(
            id,
            &format!("pgoracle gives {result}, the reference an output"),
        )
    })?;
    let reference = case["expected"]
        .as_object()
        .ok_or_else(|| generator_error(id, "the reference has no expected output"))?;
    let mut expected = Map::new();
    let mut references = Map::new();
    let mut errors = Map::new();
    for (field, value) in output {
        if DIAGNOSTIC_FIELDS.contains(&field.as_str()) {
            continue;
        }
        let mp = reference
            .get(field)
            .ok_or_else(|| generator_error(id, &format!("the reference has no field {field}")))?;
        let c = compare_field(field, mp, Some(value), rel, scalar == "f32");
        expected.insert(field.clone(), value.clone());
        references.insert(field.clone(), mp.clone());
        if c.reason.is_none() && !(mp.is_null() || mp.is_boolean() || field == "steps") {
            errors.insert(field.clone(), json!(c.rel_error));
        }
    }
    test.insert("result".into(), json!("valid"));
    test.insert("expected".into(), Value::Object(expected));
    let mut tolerance = Map::new();
    tolerance.insert("rel".into(), json!(rel));
    tolerance.insert("abs".into(), json!(0));
    if let Some(kappa) = case.get("conditioning") {
        tolerance.insert("conditioning".into(), kappa.clone());
    }
    test.insert("tolerance".into(), Value::Object(tolerance));
    test.insert("reference".into(), Value::Object(references));
    test.insert("reference_error".into(), Value::Object(errors));
    Ok(Value::Object(test))
}

/// The header of one operation's file, without its tests.
fn header(
    operation: &str,
    flags: &BTreeSet<String>,
    count: usize,
) -> Result<Map<String, Value>, DocError> {
    let mut notes = Map::new();
    for flag in flags {
        let note = FLAG_NOTES
            .iter()
            .find(|(name, _)| name == flag)
            .ok_or_else(|| generator_error(operation, &format!("unknown flag {flag}")))?;
        notes.insert(flag.clone(), json!(note.1));
    }
    let mut h = Map::new();
    h.insert("schema".into(), json!(SCHEMA));
    h.insert(
        "generator".into(),
        json!(format!("pgoracle {}", env!("CARGO_PKG_VERSION"))),
    );
    h.insert("interface_version".into(), json!(1));
    h.insert("operation".into(), json!(operation));
    h.insert("book".into(), json!(book_source(operation)));
    h.insert("number_of_tests".into(), json!(count));
    h.insert(
        "reference".into(),
        json!("tools/reference/mp_reference.py: an independent mpmath implementation at 50 digits"),
    );
    h.insert(
        "comparison".into(),
        json!("Each expected field agrees when max_i |got_i − expected_i| ≤ tolerance.rel · max_i |expected_i| (normwise over a vector or matrix); steps, accepted and null compare exactly; expected_error matches only the same error kind. tolerance.rel = ε^(5/8) + 16·κ·ε for the case's precision (ε = 2^-52 or 2^-23) and conditioning κ (1 unless given)."),
    );
    h.insert("notes".into(), Value::Object(notes));
    Ok(h)
}

/// Generates every golden file from the embedded reference.
///
/// # Errors
/// A [`DocError`] when the reference is malformed or pgoracle disagrees with it on an error
/// kind (a generator failure, never expected on a committed reference).
pub fn generate() -> Result<Vec<GoldenFile>, DocError> {
    let doc: Value = serde_json::from_str(REFERENCE)
        .map_err(|e| generator_error("?", &format!("reference is not JSON: {e}")))?;
    let cases = doc["cases"]
        .as_array()
        .ok_or_else(|| generator_error("?", "reference has no cases"))?;
    OPERATIONS
        .iter()
        .map(|op| {
            let mine: Vec<&Value> = cases.iter().filter(|c| c["operation"] == *op).collect();
            let mut flags = BTreeSet::new();
            let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
            for (k, case) in mine.iter().enumerate() {
                for flag in case["flags"].as_array().into_iter().flatten() {
                    flags.insert(flag.as_str().unwrap_or("").to_string());
                }
                let scalar = case["scalar"].as_str().unwrap_or("f64").to_string();
                let test = golden_test(case, k + 1)?;
                match groups.iter_mut().find(|(s, _)| *s == scalar) {
                    Some((_, tests)) => tests.push(test),
                    None => groups.push((scalar, vec![test])),
                }
            }
            let h = header(op, &flags, mine.len())?;
            Ok(GoldenFile {
                name: format!("{op}.json"),
                text: render(&h, &groups),
            })
        })
        .collect()
}

/// Writes the header pretty-printed and each test on one line, so a diff shows changed tests.
fn render(header: &Map<String, Value>, groups: &[(String, Vec<Value>)]) -> String {
    let mut out = String::from("{\n");
    for (key, value) in header {
        let v = serde_json::to_string_pretty(value)
            .unwrap_or_default()
            .replace('\n', "\n  ");
        out.push_str(&format!("  {}: {v},\n", Value::String(key.clone())));
    }
    out.push_str("  \"test_groups\": [\n");
    for (g, (scalar, tests)) in groups.iter().enumerate() {
        out.push_str(&format!("    {{\"scalar\": \"{scalar}\", \"tests\": [\n"));
        for (t, test) in tests.iter().enumerate() {
            let comma = if t + 1 < tests.len() { "," } else { "" };
            out.push_str(&format!(
                "      {}{comma}\n",
                serde_json::to_string(test).unwrap_or_default()
            ));
        }
        let comma = if g + 1 < groups.len() { "," } else { "" };
        out.push_str(&format!("    ]}}{comma}\n"));
    }
    out.push_str("  ]\n}\n");
    out
}

/// Writes every golden file into `dir` (created if needed).
///
/// # Errors
/// A message for a generator failure or an I/O error.
pub fn write(dir: &std::path::Path) -> Result<usize, String> {
    let files = generate().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for f in &files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.len())
}
