use serde_json::json;

use pgoracle_hunt::shrink::{complexity, simplifications};

#[test]
fn a_huge_number_simplifies_to_a_power_of_two_and_fewer_digits() {
    let case = json!({"id": 0, "operation": "scale_gradient", "scalar": "f64",
        "input": {"grad": [-8.618206661096855e220], "l2_max": 1}});
    let all = simplifications(&case);
    let grads: Vec<f64> = all
        .iter()
        .filter_map(|c| c["input"]["grad"][0].as_f64())
        .collect();
    assert!(grads.contains(&-9e220));
    // 2^734 written out has as many digits as the number itself: not simpler.
    assert!(!grads.contains(&-(2f64.powi(734))));
    assert!(grads.contains(&-1e110) && grads.contains(&-1e219));
    let order = [
        json!(0),
        json!(1),
        json!(-1),
        json!(0.5),
        json!(-64),
        json!(1e200),
        json!(-9e214),
        json!(-8.618206661096855e214),
        json!("NaN"),
    ];
    for pair in order.windows(2) {
        assert!(complexity(&pair[0]) < complexity(&pair[1]), "{pair:?}");
    }
}

#[test]
fn a_moderate_number_simplifies_to_its_nearest_power_of_two() {
    let case =
        json!({"id": 0, "operation": "fisher", "scalar": "f64", "input": {"scores": [[3.3]]}});
    let xs: Vec<f64> = simplifications(&case)
        .iter()
        .filter_map(|c| c["input"]["scores"][0][0].as_f64())
        .collect();
    assert_eq!(xs, vec![0.0, 1.0, -1.0, 4.0, 3.0]);
}
