//! `pgoracle eval` against the independent 50-digit mpmath reference
//! (`tools/reference/cases.json`, written by `tools/reference/mp_reference.py`, which shares no
//! code with `src/`).
//!
//! Every case is evaluated in its precision. Error cases must give exactly the expected error
//! kind; every output field must agree normwise with the reference within its golden tolerance
//! ε^(5/8) + 16κε, κ the field's condition number at that input (1.65·10⁻¹⁰ relative in f64 for
//! well-conditioned fields — inside the 10⁻⁹ the acceptance criteria ask for). Where pgoracle
//! lists a decision as indeterminate and the reference took the other branch, pgoracle's result
//! on the reference's branch must agree with it: the comparison is `check`'s, with pgoracle as
//! the golden side and the reference as the candidate.

use std::collections::HashMap;

use pgoracle_oracle::check::{CheckCase, check};
use pgoracle_oracle::compare::parse_value;
use pgoracle_oracle::golden::{REFERENCE, golden_rel};
use pgoracle_oracle::{EvalOptions, Operation, eval_case_with};
use serde_json::{Map, Value, json};

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(REFERENCE).expect("reference file is valid JSON");
    doc["cases"].as_array().expect("cases array").clone()
}

/// Output fields pgoracle adds to the interface's: CG diagnostics, κ, indeterminate decisions.
const EXTRA: [&str; 4] = [
    "cg_iterations",
    "cg_residual",
    "indeterminate",
    "conditioning",
];

/// pgoracle's output as a golden test (per-field tolerance from its κ, its indeterminate
/// decisions).
fn as_golden(case: &Value, output: &Map<String, Value>, solve: f64) -> CheckCase {
    let scalar = case["scalar"].as_str().unwrap_or("f64").to_string();
    let kappa = output
        .get("conditioning")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let rel = kappa
        .iter()
        .map(|(f, k)| {
            let k = parse_value(k).unwrap_or(1.0);
            (f.clone(), json!(golden_rel(&scalar, k)))
        })
        .collect();
    let mut expected = output.clone();
    for key in EXTRA {
        expected.remove(key);
    }
    // The matrix-free CG never forms F: pgoracle has no `fisher` (null in the trust region's
    // output), the reference gives the F it would have formed.
    if case["input"]["solver"]["kind"] == "conjugate_gradient" {
        expected.remove("fisher");
    }
    CheckCase {
        id: case["id"].clone(),
        operation: case["operation"].as_str().unwrap().parse().unwrap(),
        scalar,
        expected: Some(expected),
        expected_error: None,
        rel,
        kappa,
        certified_digits: Map::new(),
        input: case["input"].clone(),
        indeterminate: output
            .get("indeterminate")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        solve_conditioning: solve,
        profile: None,
        conventions: None,
    }
}

#[test]
fn eval_matches_the_mpmath_reference_for_every_operation() {
    let mut failures = Vec::new();
    let mut branches = 0;
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for case in cases() {
        let id = case["id"].as_str().unwrap_or("?").to_string();
        *seen
            .entry(case["operation"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        let request = json!({
            "id": case["id"], "operation": case["operation"],
            "scalar": case["scalar"], "input": case["input"],
        });
        let solve = case
            .get("conditioning")
            .and_then(parse_value)
            .unwrap_or(0.0);
        let options = EvalOptions {
            conditioning: true,
            solve_conditioning: solve,
        };
        let result = match eval_case_with(&request, &options) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{id}: document error {e}"));
                continue;
            }
        };
        if let Some(kind) = case.get("expected_error") {
            if result["error"]["kind"] != *kind {
                failures.push(format!("{id}: expected error {kind}, got {result}"));
            }
            continue;
        }
        let Some(output) = result.get("output").and_then(Value::as_object) else {
            failures.push(format!("{id}: expected an output, got {result}"));
            continue;
        };
        let expected = case["expected"].as_object().expect("expected object");
        for key in output.keys() {
            if !expected.contains_key(key) && !EXTRA.contains(&key.as_str()) {
                failures.push(format!("{id}: unexpected output field {key}"));
            }
        }
        let golden = as_golden(&case, output, solve);
        let candidate = HashMap::from([(
            case["id"].to_string(),
            json!({"id": case["id"], "output": expected}),
        )]);
        let report = &check(std::slice::from_ref(&golden), &candidate)[0];
        if !report.agrees() {
            failures.push(format!("{id}: {:?} {:?}", report.problem, report.fields));
        } else if report.branch.is_some() {
            branches += 1;
        }
    }
    eprintln!("{branches} cases agree on the reference's branch of an indeterminate decision");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for op in Operation::ALL.map(Operation::name) {
        assert!(
            seen.get(op).copied().unwrap_or(0) >= 15,
            "too few reference cases for {op}"
        );
    }
}
