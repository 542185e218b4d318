//! The comparison `pgoracle check` applies, against hand-computed values.

use pgoracle::oracle::compare::{compare_field, ulp_distance};
use serde_json::json;

#[test]
fn ulp_distance_counts_representable_numbers() {
    assert_eq!(ulp_distance(1.0, 1.0 + f64::EPSILON, false), Some(1));
    assert_eq!(ulp_distance(1.0, 1.0 - f64::EPSILON / 2.0, false), Some(1));
    assert_eq!(ulp_distance(-0.0, 0.0, false), Some(0));
    // Across zero: the smallest subnormals on each side are 2 apart (−min, ±0, +min).
    assert_eq!(ulp_distance(-5e-324, 5e-324, false), Some(2));
    assert_eq!(
        ulp_distance(1.0, f64::from(1.0f32 + f32::EPSILON), true),
        Some(1)
    );
    assert_eq!(ulp_distance(f64::NAN, 1.0, false), None);
}

#[test]
fn fields_compare_normwise_and_report_the_worst_component() {
    // Expected [10, 0.001]: an error of 1e-9 in the small component is 1e-10 normwise.
    let c = compare_field(
        "grad",
        &json!([10, 0.001]),
        Some(&json!([10, 0.001000001])),
        2e-10,
        false,
    );
    assert!(c.ok && c.index == Some(1));
    assert!((c.rel_error - 1e-10).abs() < 1e-15);
    let c = compare_field(
        "grad",
        &json!([10, 0.001]),
        Some(&json!([10, 0.001000001])),
        5e-11,
        false,
    );
    assert!(!c.ok);
    // Shape, type, missing field, exact fields.
    assert!(
        !compare_field(
            "fisher",
            &json!([[1, 0], [0, 1]]),
            Some(&json!([1, 0, 0, 1])),
            1.0,
            false
        )
        .ok
    );
    assert!(!compare_field("value", &json!(1.0), Some(&json!("one")), 1.0, false).ok);
    assert!(!compare_field("value", &json!(1.0), None, 1.0, false).ok);
    assert!(compare_field("steps", &json!(3), Some(&json!(3)), 0.0, false).ok);
    assert!(!compare_field("steps", &json!(3), Some(&json!(4)), 1.0, false).ok);
    assert!(!compare_field("accepted", &json!(true), Some(&json!(false)), 1.0, false).ok);
    assert!(
        compare_field(
            "f_theta_prime",
            &json!(null),
            Some(&json!(null)),
            0.0,
            false
        )
        .ok
    );
    // NaN never agrees; an all-zero field compares absolutely.
    assert!(!compare_field("value", &json!(1.0), Some(&json!("NaN")), 1.0, false).ok);
    assert!(
        compare_field(
            "grad",
            &json!([0, 0]),
            Some(&json!([1e-12, 0])),
            1e-11,
            false
        )
        .ok
    );
}
