//! The JSON text `pgoracle eval` writes (oracle interface): the human-readable layout and the
//! contract's strings for non-finite numbers.

use pgoracle_oracle::layout::to_readable_string;
use pgoracle_oracle::number::number;
use serde_json::json;

/// Objects one key per line, indented two spaces per level; arrays, and objects inside arrays,
/// on one line; a top-level array of results one block per element. Written by hand from those
/// rules.
#[test]
fn objects_are_indented_and_arrays_inline() {
    let result = json!({
        "id": "a",
        "output": {
            "u": [1, 2.5],
            "m": [[1, 2], [3, 4]],
            "steps": [{"k": 1, "v": [0.5]}, {"k": 2}],
        },
        "operation": "x",
    });
    let want = r#"{
  "id": "a",
  "output": {
    "u": [1, 2.5],
    "m": [[1, 2], [3, 4]],
    "steps": [{"k": 1, "v": [0.5]}, {"k": 2}]
  },
  "operation": "x"
}"#;
    assert_eq!(to_readable_string(&result), want);
    let two = json!([{"id": 1}, {"id": 2}]);
    assert_eq!(
        to_readable_string(&two),
        "[\n{\n  \"id\": 1\n},\n{\n  \"id\": 2\n}\n]"
    );
}

/// Finite numbers are JSON numbers; ±∞ and NaN are the strings "Infinity", "-Infinity" and
/// "NaN", in f64 and f32.
#[test]
fn non_finite_numbers_are_the_contract_strings() {
    assert_eq!(number(-0.25f64), json!(-0.25));
    assert_eq!(number(f64::INFINITY), json!("Infinity"));
    assert_eq!(number(f64::NEG_INFINITY), json!("-Infinity"));
    assert_eq!(number(f64::NAN), json!("NaN"));
    assert_eq!(number(f32::INFINITY), json!("Infinity"));
    assert_eq!(number(f32::NEG_INFINITY), json!("-Infinity"));
    assert_eq!(number(f32::NAN), json!("NaN"));
}

/// The contract's strings read back as the values they name, in both precisions, and a
/// candidate's "Infinity" does not pass for an expected "-Infinity".
#[test]
fn non_finite_strings_read_back_with_their_sign() {
    use pgoracle_oracle::compare::{compare_field, parse_value};
    use pgoracle_oracle::number::parse_number;
    assert_eq!(
        parse_number::<f64>(&json!("-Infinity")),
        Some(f64::NEG_INFINITY)
    );
    assert_eq!(
        parse_number::<f32>(&json!("-Infinity")),
        Some(f32::NEG_INFINITY)
    );
    assert_eq!(parse_number::<f64>(&json!("Infinity")), Some(f64::INFINITY));
    assert!(parse_number::<f32>(&json!("NaN")).is_some_and(f32::is_nan));
    assert_eq!(
        parse_number::<f64>(&json!("inf")),
        None,
        "only the contract's strings"
    );
    assert_eq!(parse_value(&json!("-Infinity")), Some(f64::NEG_INFINITY));
    let mixed = compare_field(
        "kl",
        &json!("-Infinity"),
        Some(&json!("Infinity")),
        1e-9,
        false,
    );
    assert!(!mixed.ok);
    let same = compare_field(
        "kl",
        &json!("-Infinity"),
        Some(&json!("-Infinity")),
        1e-9,
        false,
    );
    assert!(same.ok);
}

/// A non-finite expected entry agrees only with the same value, and does not widen the bound
/// of the finite entries beside it.
#[test]
fn non_finite_expected_entries_must_match_exactly() {
    use pgoracle_oracle::compare::compare_field;
    let expected = json!([1.0, "Infinity"]);
    let ok = |got: serde_json::Value| compare_field("g", &expected, Some(&got), 1e-9, false).ok;
    assert!(ok(json!([1.0, "Infinity"])));
    assert!(
        !ok(json!([2.0, "Infinity"])),
        "the finite entry is still compared"
    );
    assert!(!ok(json!([1.0, 1e308])));
    assert!(!ok(json!([1.0, "NaN"])));
    let nan = json!(["NaN"]);
    assert!(compare_field("v", &nan, Some(&json!(["NaN"])), 1e-9, false).ok);
    assert!(!compare_field("v", &nan, Some(&json!([0.0])), 1e-9, false).ok);
}
