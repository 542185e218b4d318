//! The comparison `pgoracle check` applies, against hand-computed values.

use pgoracle_oracle::compare::{compare_field, ulp_distance};
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

/// `check` counts ULPs in the golden case's own scalar: kl = 1 + 2⁻²⁰ against 1 is 8 f32 ULPs
/// (2⁻²³ apart at 1) in an f32 case and 2³² f64 ULPs (2⁻⁵²) in an f64 case.
#[test]
fn check_reports_ulps_in_the_case_scalar() {
    use pgoracle_oracle::Operation;
    use pgoracle_oracle::check::{CheckCase, check};
    use std::collections::HashMap;
    let got = 1.0 + 2f64.powi(-20);
    for (scalar, ulps) in [("f32", 8u64), ("f64", 1u64 << 32)] {
        let test = CheckCase {
            id: json!(scalar),
            operation: Operation::KlGaussian,
            scalar: scalar.into(),
            expected: Some(json!({"kl": 1.0}).as_object().unwrap().clone()),
            expected_error: None,
            rel: json!({"kl": 1e-9}).as_object().unwrap().clone(),
            kappa: serde_json::Map::new(),
            certified_digits: serde_json::Map::new(),
            input: json!({}),
            indeterminate: Vec::new(),
            solve_conditioning: 0.0,
            profile: None,
            conventions: None,
        };
        let candidate = HashMap::from([(
            json!(scalar).to_string(),
            json!({"id": scalar, "output": {"kl": got}}),
        )]);
        let reports = check(&[test], &candidate);
        assert_eq!(reports[0].fields.len(), 1, "{scalar}");
        assert_eq!(reports[0].fields[0].ulps, Some(ulps), "{scalar}");
    }
}

/// f32 ULPs on the negative side and around zero: −1 and −(1 + 2⁻²³) are adjacent; +0 and
/// the smallest f32 subnormal 2⁻¹⁴⁹ are adjacent; ∓2⁻¹⁴⁹ are 2 apart (−min, ±0, +min).
#[test]
fn f32_ulp_distance_on_the_negative_side_and_at_zero() {
    let min32 = f64::from(f32::from_bits(1));
    assert_eq!(min32, 2f64.powi(-149));
    assert_eq!(
        ulp_distance(-1.0, -f64::from(1.0f32 + f32::EPSILON), true),
        Some(1)
    );
    assert_eq!(ulp_distance(0.0, min32, true), Some(1));
    assert_eq!(ulp_distance(-min32, min32, true), Some(2));
    assert_eq!(
        ulp_distance(-2.0, 2.0, true),
        ulp_distance(0.0, 2.0, true).map(|d| 2 * d)
    );
}

/// A matrix is compared with its shape: [[1, 2], [3, 4]] and [[1, 2, 3], [4]] hold the same
/// numbers in the same order but are not the same field.
#[test]
fn nested_shapes_must_match() {
    let c = compare_field(
        "fisher",
        &json!([[1, 2], [3, 4]]),
        Some(&json!([[1, 2, 3], [4]])),
        1e-9,
        false,
    );
    assert!(!c.ok);
    assert!(
        c.reason.as_deref().unwrap_or("").starts_with("shape"),
        "{c:?}"
    );
}

/// Exact fields that agree report no error at all; among equally bad components the first is
/// the worst.
#[test]
fn exact_agreement_reports_zero_error_and_ties_report_the_first_component() {
    let steps = compare_field("steps", &json!(3), Some(&json!(3)), 1e-9, false);
    assert!(steps.ok);
    assert_eq!((steps.abs_error, steps.rel_error), (0.0, 0.0));
    assert_eq!(steps.reason, None);
    let tie = compare_field(
        "grad",
        &json!([1, 1]),
        Some(&json!([1.5, 1.5])),
        1e-9,
        false,
    );
    assert!(!tie.ok);
    assert_eq!(tie.index, Some(0));
    assert_eq!((tie.abs_error, tie.rel_error), (0.5, 0.5));
}

/// A subnormal result has a few bits: in f32, −7e-45 (5·2⁻¹⁴⁹) and −8.4e-45 (6·2⁻¹⁴⁹) are one
/// spacing apart (20% relative) and agree; three spacings apart do not. In f64 the spacing is
/// 2⁻¹⁰⁷⁴.
#[test]
fn results_two_subnormal_spacings_apart_agree() {
    let tiny32 = f64::from(f32::from_bits(1));
    let c =
        |e: f64, g: f64, single| compare_field("value", &json!(e), Some(&json!(g)), 1e-9, single);
    assert!(c(-5.0 * tiny32, -6.0 * tiny32, true).ok);
    assert!(c(-5.0 * tiny32, -7.0 * tiny32, true).ok);
    assert!(!c(-5.0 * tiny32, -8.0 * tiny32, true).ok);
    let tiny64 = f64::from_bits(1);
    assert!(c(5.0 * tiny64, 7.0 * tiny64, false).ok);
    assert!(!c(5.0 * tiny64, 8.0 * tiny64, false).ok);
}
