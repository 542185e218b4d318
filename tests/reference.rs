//! `pgoracle eval` against the independent 50-digit mpmath reference
//! (`tools/reference/mp_reference.py`, which shares no code with `src/`).
//!
//! Every case of `tests/data/reference/cases.json` is evaluated in f64. Error cases must give
//! exactly the expected error kind; every numeric output field must agree normwise with the
//! reference to [`Tolerance::reference`] (2²²·ε ≈ 9.3·10⁻¹⁰ relative).

use pgoracle::Tolerance;
use pgoracle::oracle::{OPERATIONS, eval_case};
use serde_json::{Value, json};

fn cases() -> Vec<Value> {
    let text = include_str!("data/reference/cases.json");
    let doc: Value = serde_json::from_str(text).expect("reference file is valid JSON");
    doc["cases"].as_array().expect("cases array").clone()
}

/// Flattens a number, vector or matrix (numbers or decimal strings) into f64s.
fn flatten(v: &Value, out: &mut Vec<f64>) -> bool {
    match v {
        Value::Array(items) => items.iter().all(|x| flatten(x, out)),
        Value::String(s) => s.parse().map(|x| out.push(x)).is_ok(),
        Value::Number(n) => n.as_str().parse().map(|x| out.push(x)).is_ok(),
        _ => false,
    }
}

/// Normwise relative error of `got` against `expected` (for the report).
fn normwise_error(expected: &[f64], got: &[f64]) -> f64 {
    let scale = expected.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    let err = expected
        .iter()
        .zip(got)
        .fold(0.0f64, |m, (e, g)| m.max((g - e).abs()));
    if scale == 0.0 { err } else { err / scale }
}

#[test]
fn eval_matches_the_mpmath_reference_for_every_operation() {
    let tol = Tolerance::<f64>::reference();
    let mut failures = Vec::new();
    let mut worst = (0.0f64, String::new());
    let mut seen = std::collections::BTreeMap::<String, usize>::new();
    for case in cases() {
        let id = case["id"].as_str().unwrap_or("?").to_string();
        let op = case["operation"].as_str().unwrap_or("?").to_string();
        *seen.entry(op.clone()).or_default() += 1;
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
        let Some(output) = result.get("output") else {
            failures.push(format!("{id}: expected an output, got {result}"));
            continue;
        };
        for (field, expected) in case["expected"].as_object().expect("expected object") {
            let got = &output[field.as_str()];
            match expected {
                Value::Null | Value::Bool(_) => {
                    if got != expected {
                        failures.push(format!("{id}.{field}: expected {expected}, got {got}"));
                    }
                }
                Value::Number(n) if n.is_u64() => {
                    if got.as_u64() != n.as_u64() {
                        failures.push(format!("{id}.{field}: expected {expected}, got {got}"));
                    }
                }
                _ => {
                    let (mut e, mut g) = (Vec::new(), Vec::new());
                    if !flatten(expected, &mut e) || !flatten(got, &mut g) {
                        failures.push(format!("{id}.{field}: not numeric: {got}"));
                        continue;
                    }
                    if !tol.agrees_normwise(&e, &g) {
                        failures.push(format!("{id}.{field}: expected {expected}, got {got}"));
                    } else if e.len() == g.len() {
                        let err = normwise_error(&e, &g);
                        if err > worst.0 {
                            worst = (err, format!("{id}.{field}"));
                        }
                    }
                }
            }
        }
        for key in output.as_object().expect("output object").keys() {
            let extra = !case["expected"]
                .as_object()
                .is_some_and(|m| m.contains_key(key))
                && key != "cg_iterations"
                && key != "cg_residual";
            if extra {
                failures.push(format!("{id}: unexpected output field {key}"));
            }
        }
    }
    eprintln!(
        "largest normwise relative error: {:.3e} at {}",
        worst.0, worst.1
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    for op in OPERATIONS {
        assert!(
            seen.get(op).copied().unwrap_or(0) >= 15,
            "too few reference cases for {op}"
        );
    }
}
