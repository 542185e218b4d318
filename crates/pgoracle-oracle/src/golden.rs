//! `pgoracle golden`: the golden test vectors, one JSON file per operation, generated from the
//! inputs and 50-digit values of the independent reference (`tools/reference/cases.json`,
//! written by `tools/reference/mp_reference.py`) and pgoracle's own results.
//!
//! The envelope follows Wycheproof's: a file header (schema, generator, notes explaining every
//! flag used) and groups of tests that share a precision. Every test carries its `id`,
//! `operation`, `scalar`, `input`, the expected output (pgoracle's) or expected error kind, its
//! tolerance, `source`, `flags`, a `comment`, the independent reference value of every expected
//! field, and pgoracle's error against it. The output is byte-identical on every run.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value, json};

use super::compare::{compare_field, parse_value};
use super::golden_file::{
    Expectation, GoldenFile, GoldenTest, GoldenTolerance, SCHEMA, TestGroup, to_text,
};
use super::operation::Operation;
use super::ops::RunOptions;
use super::{DocError, EvalOptions, eval_case_following, eval_case_with};
use pgoracle::tolerance::Tolerance;

/// The independent reference: inputs, sources, flags and 50-digit expected values.
pub const REFERENCE: &str = include_str!("../../../tools/reference/cases.json");

/// What each flag means; every flag used by a golden file is explained in its header.
pub const FLAG_NOTES: [(&str, &str); 13] = [
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
    (
        "Adversarial",
        "An input built to be hard for naive code (issue #16): near-equal distributions, near-certain or far-tail actions, cancelling sums, extreme magnitudes; the κ of each field says how much any backward-stable implementation may differ.",
    ),
    (
        "RoundingLevelDecision",
        "A line-search test decided within a few ulps of its threshold (issue #16, item 8).",
    ),
    (
        "IndeterminateDecision",
        "A decision within its rounding bound (the test's `indeterminate` entries): a candidate may take either branch, and is then compared with pgoracle's result on that branch.",
    ),
];

/// Output fields that describe how pgoracle computed a result rather than the result, and so
/// are not expected of other implementations.
pub const DIAGNOSTIC_FIELDS: [&str; 2] = ["cg_iterations", "cg_residual"];

/// The agreement rule of every golden file, in words (the envelope's `comparison`).
pub const COMPARISON: &str = "Each expected field f agrees when max_i |got_i − expected_i| ≤ tolerance.rel[f] · max_i |expected_i| (normwise over a vector or matrix; scale 1 for an all-zero field); steps, accepted and null compare exactly; expected_error matches only the same error kind. tolerance.rel[f] = ε^(5/8) + 16·κ·ε for the case's precision (ε = 2^-52 or 2^-23) with κ = tolerance.kappa[f], the field's condition number at this input: max_j S(y_j) / max_j |y_j| with S(y) = Σ_i |∂y/∂x_i|·|x_i| over every real input (forward-mode derivatives; plus tolerance.conditioning for the fields of a natural-gradient solve). Where a decision is within its rounding bound (indeterminate), a candidate may take either branch and is compared with pgoracle's result on that branch.";

/// One generated golden file: its name (`<operation>.json`) and its text ([`to_text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// File name.
    pub name: String,
    /// File contents.
    pub text: String,
}

fn generator_error(id: &str, message: &str) -> DocError {
    DocError::new(id, "(reference)", message)
}

/// The golden tolerance of a reference case as an f64 relative bound, in the case's precision,
/// with κ the solved matrix's condition number (1 unless the case gives one).
pub fn case_tolerance(case: &Value) -> f64 {
    let kappa = case
        .get("conditioning")
        .and_then(parse_value)
        .unwrap_or(1.0);
    golden_rel(case["scalar"].as_str().unwrap_or("f64"), kappa)
}

/// ε^(5/8) + 16·κ·ε ([`Tolerance::golden`]) in precision `scalar` (`"f32"` or `"f64"`).
pub fn golden_rel(scalar: &str, kappa: f64) -> f64 {
    if scalar == "f32" {
        f64::from(Tolerance::<f32>::golden(kappa as f32).rel)
    } else {
        Tolerance::<f64>::golden(kappa).rel
    }
}

/// A reference case's string field, `""` when absent.
fn text_field(case: &Value, key: &str) -> String {
    case.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Builds the golden test of one reference case.
fn golden_test(case: &Value, operation: Operation, tc_id: usize) -> Result<GoldenTest, DocError> {
    let id = case["id"].as_str().unwrap_or("?");
    let request = json!({
        "id": case["id"], "operation": case["operation"],
        "scalar": case["scalar"], "input": case["input"],
    });
    let solve_conditioning = case.get("conditioning").and_then(parse_value);
    let options = EvalOptions {
        conditioning: true,
        solve_conditioning: solve_conditioning.unwrap_or(0.0),
    };
    let result = eval_case_with(&request, &options)?;
    let scalar = case["scalar"].as_str().unwrap_or("f64");
    let flags = case["flags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f.as_str().map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| generator_error(id, "a flag is not a string"))?;
    let mut test = GoldenTest {
        tc_id,
        id: case["id"].clone(),
        operation,
        scalar: scalar.to_string(),
        profile: None,
        conventions: None,
        comment: text_field(case, "comment"),
        source: text_field(case, "source"),
        flags,
        input: case["input"].clone(),
        result: Expectation::Error,
        expected_error: None,
        expected: None,
        tolerance: None,
        reference: None,
        reference_error: None,
        certified_digits: None,
        indeterminate: None,
        reference_branch: None,
        hunt: None,
    };
    if let Some(kind) = case.get("expected_error") {
        if result["error"]["kind"] != *kind {
            return Err(generator_error(
                id,
                &format!("pgoracle gives {result}, the reference {kind}"),
            ));
        }
        test.expected_error = kind.as_str().map(str::to_string);
        if let Some(Value::Array(entries)) = result["error"].get("indeterminate") {
            test.flags.push("IndeterminateDecision".to_string());
            test.indeterminate = Some(entries.clone());
        }
        return Ok(test);
    }
    let mut output = result["output"].as_object().cloned().ok_or_else(|| {
        generator_error(
            id,
            &format!("pgoracle gives {result}, the reference an output"),
        )
    })?;
    let kappa = match output.remove("conditioning") {
        Some(Value::Object(k)) => k,
        _ => Map::new(),
    };
    if let Some(Value::Array(entries)) = output.remove("indeterminate") {
        test.flags.push("IndeterminateDecision".to_string());
        test.indeterminate = Some(entries);
    }
    let mut rel = Map::new();
    for (field, k) in &kappa {
        let k = parse_value(k).unwrap_or(f64::INFINITY);
        rel.insert(field.clone(), json!(golden_rel(scalar, k)));
    }
    let base = golden_rel(scalar, 1.0);
    let reference = case["expected"]
        .as_object()
        .ok_or_else(|| generator_error(id, "the reference has no expected output"))?;
    let measured = reference_branch(&request, &output, reference, &options)?;
    let branch_rel: Option<Map<String, Value>> = measured.as_ref().map(|m| {
        m.get("conditioning")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(f, k)| {
                let k = parse_value(k).unwrap_or(f64::INFINITY);
                (f.clone(), json!(golden_rel(scalar, k)))
            })
            .collect()
    });
    if let Some(branch_rel) = &branch_rel {
        test.reference_branch = Some(json!({
            "steps": reference["steps"], "accepted": reference["accepted"], "rel": branch_rel,
        }));
    }
    let mut expected = Map::new();
    let mut references = Map::new();
    let mut errors = Map::new();
    for (field, value) in &output {
        if DIAGNOSTIC_FIELDS.contains(&field.as_str()) {
            continue;
        }
        let mp = reference
            .get(field)
            .ok_or_else(|| generator_error(id, &format!("the reference has no field {field}")))?;
        let field_rel = rel.get(field).and_then(Value::as_f64).unwrap_or(base);
        if !(mp.is_null() || mp.is_boolean() || field == "steps") {
            // A field without κ (a sensitivity pass failed) keeps the κ = 1 tolerance.
            rel.entry(field.clone()).or_insert(json!(base));
        }
        // The reference is judged as `check` judges a candidate: its normwise difference from
        // pgoracle's value (on the reference's branch, if it took another), relative to
        // pgoracle's. Relative to the reference's own value a line search that halves 100 times
        // would be off by 10²⁸: its exact last candidate is 2⁻¹⁰⁰ from θ, which no float
        // candidate can be (g ≈ 10⁻⁶¹ where every float implementation has ≈ 10⁻³²).
        let ours = measured
            .as_ref()
            .and_then(|m| m.get(field))
            .unwrap_or(value);
        let c = compare_field(field, ours, Some(mp), field_rel, scalar == "f32");
        expected.insert(field.clone(), value.clone());
        references.insert(field.clone(), mp.clone());
        if c.reason.is_none() && !(mp.is_null() || mp.is_boolean() || field == "steps") {
            errors.insert(field.clone(), json!(c.rel_error));
        }
    }
    test.result = Expectation::Valid;
    test.expected = Some(expected);
    test.tolerance = Some(GoldenTolerance {
        rel,
        abs: Number::from(0),
        kappa,
        conditioning: case.get("conditioning").cloned(),
    });
    test.reference = Some(references);
    test.reference_error = Some(errors);
    test.certified_digits = case
        .get("certified_digits")
        .and_then(Value::as_object)
        .cloned();
    Ok(test)
}

/// When pgoracle's line search ends otherwise than the reference's at an indeterminate
/// decision (`steps`/`accepted` differ and the output lists decisions within their bound),
/// pgoracle's output on the reference's branch, against which `reference_error` is measured;
/// `None` when the two take the same branch.
fn reference_branch(
    request: &Value,
    output: &Map<String, Value>,
    reference: &Map<String, Value>,
    options: &EvalOptions,
) -> Result<Option<Map<String, Value>>, DocError> {
    let differs = ["steps", "accepted"]
        .iter()
        .any(|k| output.get(*k).is_some() && output.get(*k) != reference.get(*k));
    if !differs {
        return Ok(None);
    }
    let accept_at = match (reference["accepted"].as_bool(), reference["steps"].as_u64()) {
        (Some(true), Some(k)) => usize::try_from(k).ok(),
        _ => Some(usize::MAX),
    };
    let run = RunOptions {
        accept_at,
        ..RunOptions::default()
    };
    let result = eval_case_following(request, options, &run)?;
    Ok(result["output"].as_object().cloned())
}

/// The file of one operation around its test groups.
fn golden_file(operation: Operation, test_groups: Vec<TestGroup>) -> Result<GoldenFile, DocError> {
    let mut notes = BTreeMap::new();
    for test in test_groups.iter().flat_map(|g| &g.tests) {
        for flag in &test.flags {
            let note = FLAG_NOTES
                .iter()
                .find(|(name, _)| name == flag)
                .ok_or_else(|| {
                    generator_error(operation.name(), &format!("unknown flag {flag}"))
                })?;
            notes.insert(flag.clone(), note.1.to_string());
        }
    }
    Ok(GoldenFile {
        schema: SCHEMA.to_string(),
        generator: format!("pgoracle {}", env!("CARGO_PKG_VERSION")),
        interface_version: 1,
        operation,
        book: operation.book_source().to_string(),
        number_of_tests: test_groups.iter().map(|g| g.tests.len()).sum(),
        reference:
            "tools/reference/mp_reference.py: an independent mpmath implementation at 50 digits"
                .to_string(),
        comparison: COMPARISON.to_string(),
        notes,
        test_groups,
    })
}

/// Generates every golden file from the embedded reference, one per [`Operation`].
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
    Operation::ALL
        .iter()
        .map(|&op| {
            let mut groups: Vec<TestGroup> = Vec::new();
            let mine = cases.iter().filter(|c| c["operation"] == op.name());
            for (k, case) in mine.enumerate() {
                let test = golden_test(case, op, k + 1)?;
                match groups.iter_mut().find(|g| g.scalar == test.scalar) {
                    Some(group) => group.tests.push(test),
                    None => groups.push(TestGroup {
                        scalar: test.scalar.clone(),
                        tests: vec![test],
                    }),
                }
            }
            golden_file(op, groups)
        })
        .collect()
}

/// The generated files, named `<operation>.json`, as text.
///
/// # Errors
/// As [`generate`].
pub fn generate_files() -> Result<Vec<GeneratedFile>, DocError> {
    generate()?
        .iter()
        .map(|file| {
            let name = format!("{}.json", file.operation);
            let text = to_text(file)
                .map_err(|e| generator_error(&name, &format!("cannot serialise: {e}")))?;
            Ok(GeneratedFile { name, text })
        })
        .collect()
}

/// Writes every golden file into `dir` (created if needed).
///
/// # Errors
/// A message for a generator failure or an I/O error.
pub fn write(dir: &std::path::Path) -> Result<usize, String> {
    let files = generate_files().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for f in &files {
        let path = dir.join(&f.name);
        std::fs::write(&path, &f.text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files.len())
}
