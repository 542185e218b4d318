//! `pgoracle eval` against the independent 50-digit mpmath reference
//! (`tools/reference/cases.json`, written by `tools/reference/mp_reference.py`, which shares no
//! code with `src/`).
//!
//! Every case is evaluated in its precision. Error cases must give exactly the expected error
//! kind; every output field must agree normwise with the reference within the case's golden
//! tolerance (`Tolerance::golden`: ε^(5/8) + 16κε, i.e. 1.65·10⁻¹⁰ relative in f64 for
//! well-conditioned cases — inside the 10⁻⁹ the acceptance criteria ask for).

use pgoracle_oracle::compare::compare_field;
use pgoracle_oracle::golden::{REFERENCE, case_tolerance};
use pgoracle_oracle::{Operation, eval_case};
use serde_json::{Value, json};

fn cases() -> Vec<Value> {
    let doc: Value = serde_json::from_str(REFERENCE).expect("reference file is valid JSON");
    doc["cases"].as_array().expect("cases array").clone()
}

/// The conjugate gradient solver never forms F, so its output has no `fisher`.
fn skipped(case: &Value, field: &str) -> bool {
    field == "fisher" && case["input"]["solver"]["kind"] == "conjugate_gradient"
}

#[test]
fn eval_matches_the_mpmath_reference_for_every_operation() {
    let mut failures = Vec::new();
    let mut worst = (0.0f64, String::new());
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
        let result = match eval_case(&request) {
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
        let rel = case_tolerance(&case);
        let single = case["scalar"] == "f32";
        let expected = case["expected"].as_object().expect("expected object");
        for (field, value) in expected {
            if skipped(&case, field) {
                continue;
            }
            let c = compare_field(field, value, output.get(field), rel, single);
            if !c.ok {
                failures.push(format!("{id}.{field}: {c:?}"));
            } else if !single && c.rel_error > worst.0 {
                worst = (c.rel_error, format!("{id}.{field}"));
            }
        }
        for key in output.keys() {
            let known =
                expected.contains_key(key) || key == "cg_iterations" || key == "cg_residual";
            if !known {
                failures.push(format!("{id}: unexpected output field {key}"));
            }
        }
    }
    eprintln!(
        "largest f64 normwise relative error: {:.3e} at {}",
        worst.0, worst.1
    );
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
