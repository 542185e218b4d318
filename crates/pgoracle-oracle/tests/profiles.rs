//! The case fields of interface version 2 (`shared/spec/profiles.md`, "Case fields"): a version-1
//! case keeps its bytes, `"profile": "book"` is the default, and every unknown name or value, or
//! combination an operation cannot compute, is a document error naming its field.

use pgoracle_oracle::{DocError, eval_case};
use serde_json::{Value, json};

fn doc_error(case: Value) -> DocError {
    eval_case(&case).expect_err("a document error")
}

fn trust_region_case() -> Value {
    json!({
        "id": "t", "operation": "trust_region_update",
        "input": {
            "policy": {"family": "gaussian"}, "theta": [0.0, 1.0],
            "trajectories": [[{"s": 0.0, "a": 0.5, "r": 1.0}], [{"s": 0.0, "a": -0.3, "r": 0.2}],
                             [{"s": 0.0, "a": 1.4, "r": -0.4}]],
            "gamma": 1.0, "epsilon": 0.05, "alpha": 0.5
        }
    })
}

/// `"profile": "book"` and an empty `conventions` give the version-1 result byte for byte.
#[test]
fn the_book_profile_is_version_1() {
    let v1 = eval_case(&trust_region_case()).unwrap();
    let mut explicit = trust_region_case();
    explicit["profile"] = json!("book");
    explicit["conventions"] = json!({});
    assert_eq!(eval_case(&explicit).unwrap().to_string(), v1.to_string());
}

/// An override the operation does not read is a document error naming it, never a silent
/// no-op: `norm` is `scale_gradient`'s, not the trust region's.
#[test]
fn an_override_the_operation_does_not_read_is_a_document_error() {
    let mut c = trust_region_case();
    c["conventions"] = json!({"norm": "naive"});
    let e = doc_error(c);
    assert_eq!(e.field, "conventions.norm");
    assert!(e.message.contains("fisher"), "{e}");
}

#[test]
fn unknown_profile_convention_or_value_is_a_document_error() {
    let mut c = trust_region_case();
    c["profile"] = json!("keras");
    assert_eq!(doc_error(c).field, "profile");
    let mut c = trust_region_case();
    c["conventions"] = json!({"fisher": "exact"});
    assert_eq!(doc_error(c).field, "conventions.fisher");
    let mut c = trust_region_case();
    c["conventions"] = json!({"fishr": "empirical"});
    assert_eq!(doc_error(c).field, "conventions.fishr");
    let mut c = trust_region_case();
    c["conventions"] = json!({"damping": -1.0});
    assert_eq!(doc_error(c).field, "conventions.damping");
}

/// Under `sb3` the Gaussian family is `gaussian_log_std`; an operation a profile does not
/// define is a document error naming profile and operation.
#[test]
fn sb3_rejects_the_sigma_gaussian_and_undefined_operations() {
    let case = json!({
        "id": "s", "operation": "trust_region_update", "profile": "sb3",
        "input": {"policy": {"family": "gaussian"}, "theta": [0.0, 1.0],
                  "samples": [{"s": 0.0, "a": 0.5, "advantage": 1.0}]}
    });
    assert_eq!(doc_error(case).field, "input.policy.family");
    let case = json!({
        "id": "s", "operation": "fisher", "profile": "sb3",
        "input": {"scores": [[1.0, 2.0]]}
    });
    let e = doc_error(case);
    assert!(
        e.message.contains("sb3") && e.message.contains("fisher"),
        "{e}"
    );
}

/// A per-trajectory trust region on trajectories of several steps has no per-sample form: a
/// document error, unless `averaging: per_sample`.
#[test]
fn multi_step_trajectories_need_per_sample_averaging_under_conventions() {
    let mut c = trust_region_case();
    c["input"]["trajectories"][0] =
        json!([{"s": 0.0, "a": 0.5, "r": 1.0}, {"s": 0.0, "a": 0.1, "r": 0.5}]);
    c["conventions"] = json!({"fisher": "kl_hessian"});
    assert_eq!(doc_error(c.clone()).field, "conventions");
    c["conventions"] = json!({"fisher": "kl_hessian", "averaging": "per_sample"});
    let out = eval_case(&c).unwrap();
    assert!(out.get("output").is_some(), "{out}");
}

/// `normalize_advantage` on a batch of one is `InvalidParameter` under sb3's TRPO (SB3 divides
/// by a NaN standard deviation and raises ValueError), and left alone by PPO.
#[test]
fn one_sample_standardisation() {
    let trpo = json!({
        "id": "one", "operation": "trust_region_update", "profile": "sb3",
        "input": {"policy": {"family": "gaussian_log_std"}, "theta": [0.0, 0.0],
                  "samples": [{"s": 0.0, "a": 0.5, "advantage": 1.0}]}
    });
    let out = eval_case(&trpo).unwrap();
    assert_eq!(out["error"]["kind"], "InvalidParameter", "{out}");
    let ppo = json!({
        "id": "one", "operation": "clamped_objective", "profile": "sb3",
        "input": {"policy": {"family": "gaussian_log_std"}, "theta": [0.0, 0.0],
                  "theta_prime": [0.1, 0.0], "samples": [{"s": 0.0, "a": 0.5, "advantage": 2.0}]}
    });
    let out = eval_case(&ppo).unwrap();
    // w = exp(log N(0.5; 0.1, 1) − log N(0.5; 0, 1)) = exp(0.5·0.25 − 0.5·0.16) = e^0.045,
    // inside [0.8, 1.2]: value = w·A.
    let w = 0.045f64.exp();
    let value = out["output"]["value"].as_f64().unwrap();
    assert!((value - 2.0 * w).abs() < 4.0 * f64::EPSILON, "{out}");
    assert_eq!(out["output"]["clip_fraction"].as_f64(), Some(0.0));
}
