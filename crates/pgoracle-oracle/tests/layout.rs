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
