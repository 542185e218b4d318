//! Condition numbers per field and certified decisions (issue #16): `eval`'s `conditioning`
//! and `indeterminate`, and `check` accepting either branch of an indeterminate decision but
//! not a flipped certain one.

use std::collections::HashMap;

use nalgebra::DVector;
use pgoracle::{Gaussian, LinesearchParams, Solver, Step, trust_region_update};
use pgoracle_oracle::check::{CheckCase, Problem, check};
use pgoracle_oracle::golden::golden_rel;
use pgoracle_oracle::{EvalOptions, eval_case, eval_case_with};
use serde_json::{Map, Value, json};

/// `eval` with κ per field.
fn eval_kappa(case: &Value) -> Value {
    let options = EvalOptions {
        conditioning: true,
        solve_conditioning: 0.0,
    };
    eval_case_with(case, &options).expect("valid case")
}

/// A golden test built the way `pgoracle golden` builds one: pgoracle's output as expected,
/// per-field tolerance ε^(5/8) + 16κε, and the indeterminate decisions.
fn golden_case(case: &Value) -> CheckCase {
    let result = eval_kappa(case);
    let mut expected = result["output"].as_object().expect("an output").clone();
    let kappa = match expected.remove("conditioning") {
        Some(Value::Object(k)) => k,
        _ => Map::new(),
    };
    let indeterminate = match expected.remove("indeterminate") {
        Some(Value::Array(d)) => d,
        _ => Vec::new(),
    };
    let scalar = case["scalar"].as_str().unwrap_or("f64").to_string();
    let rel = kappa
        .iter()
        .map(|(f, k)| (f.clone(), json!(golden_rel(&scalar, k.as_f64().unwrap()))))
        .collect();
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
        indeterminate,
        solve_conditioning: 0.0,
        profile: None,
        conventions: None,
    }
}

fn candidate(id: &Value, output: Value) -> HashMap<String, Value> {
    HashMap::from([(id.to_string(), json!({ "id": id, "output": output }))])
}

/// θ + αg with θ = [1], g = [−10.000000001], α = 0.1 cancels to about −1e-10. Its κ is
/// S/|y| with S = |θ| + |α g| + |g α| (each input's derivative times the input), about
/// 3.0000000002e10; a candidate that forms αg and θ + αg with two roundings (no fma) is off by
/// about 1e-6 relative, outside ε^(5/8) + 16ε but inside ε^(5/8) + 16κε.
#[test]
fn a_cancelling_gradient_step_has_the_condition_number_of_its_inputs() {
    let (theta, g, alpha) = (1.0f64, -10.000000001f64, 0.1f64);
    let case = json!({"id": "cancel", "operation": "gradient_ascent",
        "input": {"theta": [theta], "grad": [g], "alpha": alpha}});
    let result = eval_kappa(&case);
    let y = result["output"]["theta"][0].as_f64().unwrap();
    let kappa = result["output"]["conditioning"]["theta"].as_f64().unwrap();
    let want = (theta.abs() + (alpha * g).abs() * 2.0) / y.abs();
    assert!(
        (kappa - want).abs() <= 1e-6 * want,
        "κ {kappa}, want {want}"
    );
    assert!(kappa > 2.9e10);

    let naive = theta + alpha * g;
    let rel_error = (naive - y).abs() / y.abs();
    assert!(
        rel_error > golden_rel("f64", 1.0),
        "naive is off by {rel_error:e}"
    );
    let test = golden_case(&case);
    let reports = check(
        std::slice::from_ref(&test),
        &candidate(&case["id"], json!({ "theta": [naive] })),
    );
    assert!(reports[0].agrees(), "{:?}", reports[0]);
    // 1e3 times the naive error fails even with κ.
    let wrong = y + 1e3 * (naive - y);
    let reports = check(
        &[test],
        &candidate(&case["id"], json!({ "theta": [wrong] })),
    );
    assert!(!reports[0].agrees());
}

/// An ordinary random Gaussian trust-region case (seeded search, 1 of about 100 such) whose
/// natural direction does not improve the surrogate to first order: the improvement margins
/// are −c·α^k, and from shrink 40 on they are within their rounding bound. pgoracle accepts
/// the rounded candidate of shrink 49, whose improvement is +2.3e-17.
fn rounding_level_case() -> Value {
    json!({"id": "tr-rounding", "operation": "trust_region_update", "input": {
        "policy": {"family": "gaussian"}, "theta": [0.5842483160625296, 0.8965112840579303],
        "trajectories": [
            [{"s": 0.0, "a": -0.927974342200186, "r": -0.7135522513009588}],
            [{"s": 0.0, "a": -1.858337116434122, "r": -0.4476128317233178},
             {"s": 0.0, "a": 0.5216492528585912, "r": -0.3163033526889248},
             {"s": 0.0, "a": 2.1125003766583887, "r": -0.0623841639561568},
             {"s": 0.0, "a": -2.111087146006992, "r": 1.1022548930210836}],
            [{"s": 0.0, "a": -1.0224687763052152, "r": 0.6753382805742046},
             {"s": 0.0, "a": 0.8160595802455726, "r": 0.7123563928380272},
             {"s": 0.0, "a": 0.9458819351204445, "r": 0.3538519783770787}]],
        "gamma": 1.0, "epsilon": 0.01, "alpha": 0.5}})
}

/// The case's trajectories for the core API.
fn rounding_level_trajectories() -> Vec<Vec<Step<f64, f64, f64>>> {
    let case = rounding_level_case();
    case["input"]["trajectories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|tau| {
            tau.as_array()
                .unwrap()
                .iter()
                .map(|s| Step {
                    s: s["s"].as_f64().unwrap(),
                    a: s["a"].as_f64().unwrap(),
                    r: s["r"].as_f64().unwrap(),
                })
                .collect()
        })
        .collect()
}

/// Another implementation's output on the branch that accepts the `k`-th candidate (none for
/// `k` > 100): the core API with that branch forced, written in the interface's fields.
fn branch_output(k: usize) -> Value {
    let theta = DVector::from_vec(vec![0.5842483160625296, 0.8965112840579303]);
    let params = LinesearchParams::new(0.01).with_accept_at(k);
    let step = trust_region_update(
        &Gaussian,
        &theta,
        &rounding_level_trajectories(),
        1.0,
        &params,
        &Solver::Exact,
    )
    .unwrap();
    let values = step.outcome.values().unwrap();
    let v = |x: &DVector<f64>| x.iter().copied().collect::<Vec<_>>();
    json!({
        "grad": v(&step.natural.grad),
        "fisher": step.natural.fisher.as_ref().unwrap().row_iter().map(|r| r.iter().copied().collect::<Vec<_>>()).collect::<Vec<_>>(),
        "direction": v(&step.natural.direction), "theta_natural": v(&step.natural.theta),
        "theta": v(&step.theta), "steps": step.outcome.steps(), "accepted": step.outcome.accepted(),
        "f_theta": step.f_theta, "f_theta_prime": values.f, "g_theta_prime": values.g,
    })
}

#[test]
fn a_rounding_level_line_search_lists_its_indeterminate_tests() {
    let result = eval_case(&rounding_level_case()).unwrap();
    let out = &result["output"];
    assert_eq!(
        (out["steps"].as_u64(), out["accepted"].as_bool()),
        (Some(49), Some(true))
    );
    let entries = out["indeterminate"].as_array().expect("indeterminate");
    // The improvement test of every shrink from some k on, up to the accepted 49 (the margins
    // −c·αᵏ halve while the bound stays ≈ 16ε·(S(f′) + S(f))·κ₂(F)); the early shrinks, whose
    // margins are ~10⁻¹¹, are certain. Every entry within its bound.
    let ats: Vec<u64> = entries.iter().map(|e| e["at"].as_u64().unwrap()).collect();
    let first = ats[0];
    assert!((20..=45).contains(&first), "{ats:?}");
    assert_eq!(ats, (first..=49).collect::<Vec<_>>());
    for e in entries {
        assert_eq!(e["decision"], "linesearch_improvement");
        let (m, b) = (e["margin"].as_f64().unwrap(), e["bound"].as_f64().unwrap());
        assert!(m.abs() <= b && b < 1e-11, "{e}");
    }
}

#[test]
fn check_accepts_either_branch_of_an_indeterminate_line_search_test() {
    let case = rounding_level_case();
    let test = golden_case(&case);
    assert!(!test.indeterminate.is_empty());
    for k in [40, 45, 48, usize::MAX] {
        let reports = check(
            std::slice::from_ref(&test),
            &candidate(&case["id"], branch_output(k)),
        );
        assert!(reports[0].agrees(), "accepting at {k}: {:?}", reports[0]);
        assert!(reports[0].branch.is_some());
    }
}

#[test]
fn check_fails_a_branch_that_flips_a_certain_test() {
    let case = rounding_level_case();
    let test = golden_case(&case);
    // Shrink 10's improvement margin is about −2e-11, far outside its bound (≈ 1.8e-14).
    let reports = check(
        std::slice::from_ref(&test),
        &candidate(&case["id"], branch_output(10)),
    );
    match &reports[0].problem {
        Some(Problem::FlippedDecision { decision, at, .. }) => {
            assert_eq!((decision.as_str(), *at), ("linesearch_improvement", 10));
        }
        other => panic!("expected a flipped decision, got {other:?}"),
    }
    // The right branch with a wrong θ fails on the field.
    let mut wrong = branch_output(45);
    wrong["theta"][0] = json!(wrong["theta"][0].as_f64().unwrap() + 1e-6);
    let reports = check(&[test], &candidate(&case["id"], wrong));
    assert!(!reports[0].agrees());
    assert_eq!(reports[0].fields[0].field, "theta");
}

/// θ′ = θ makes every ratio exactly 1; with ε = 1e-300 the clamp margin 1 − 1 − ε = −1e-300
/// is far inside its rounding bound (another implementation's ratio π′/π may be 1 + 1 ulp and
/// clamp). Each sample (one step per trajectory, R = 1 > 0) contributes, unclamped,
/// ∇log π(a | θ′)·w·R = [(a − μ)/σ², ((a − μ)² − σ²)/σ³] = [a, a² − 1] at θ′ = [0, 1], and the
/// gradient is the mean over the two trajectories; a clamped sample contributes 0.
#[test]
fn check_accepts_either_branch_of_an_indeterminate_clamp() {
    let case = json!({"id": "clamp-at-1", "operation": "clamped_gradient", "input": {
        "policy": {"family": "gaussian"}, "theta": [0.0, 1.0], "theta_prime": [0.0, 1.0],
        "trajectories": [[{"s": 0.0, "a": 0.5, "r": 1.0}], [{"s": 0.0, "a": -2.0, "r": 1.0}]],
        "gamma": 1.0, "epsilon": 1e-300}});
    let result = eval_case(&case).unwrap();
    let entries = result["output"]["indeterminate"]
        .as_array()
        .expect("indeterminate");
    assert_eq!(entries.len(), 2);
    let test = golden_case(&case);
    // Unclamped contributions [a, a² − 1] per sample, averaged over the two trajectories.
    let c0 = [0.5, 0.25 - 1.0];
    let c1 = [-2.0, 4.0 - 1.0];
    let mean = |a: [f64; 2], b: [f64; 2]| json!([(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0]);
    for grad in [
        mean(c0, c1),
        mean([0.0; 2], c1),
        mean(c0, [0.0; 2]),
        mean([0.0; 2], [0.0; 2]),
    ] {
        let reports = check(
            std::slice::from_ref(&test),
            &candidate(&case["id"], json!({ "grad": grad })),
        );
        assert!(reports[0].agrees(), "{grad}: {:?}", reports[0]);
    }
    // Half a contribution is no branch at all.
    let reports = check(
        &[test],
        &candidate(&case["id"], json!({ "grad": mean([0.25, -0.375], c1) })),
    );
    assert!(!reports[0].agrees());
}

/// A clamp far from its threshold is certain: no entry, and the flipped branch fails.
#[test]
fn a_clear_clamp_is_certain() {
    let case = json!({"id": "clamp-clear", "operation": "clamped_gradient", "input": {
        "policy": {"family": "gaussian"}, "theta": [0.0, 1.0], "theta_prime": [0.0, 0.5],
        "trajectories": [[{"s": 0.0, "a": 0.0, "r": 1.0}]], "gamma": 1.0, "epsilon": 0.2}});
    let result = eval_case(&case).unwrap();
    assert!(result["output"].get("indeterminate").is_none(), "{result}");
    // w = 2 > 1.2 with R > 0: clamped, gradient 0. The unclamped branch
    // ∇log π(0 | [0, 0.5])·2·1 = [0, −1/0.5]·2 = [0, −4] fails.
    let grad: Vec<f64> = result["output"]["grad"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_eq!(grad, [0.0, 0.0]);
    let test = golden_case(&case);
    let reports = check(
        &[test],
        &candidate(&case["id"], json!({ "grad": [0.0, -4.0] })),
    );
    assert!(!reports[0].agrees());
}

/// A natural-gradient solve's fields add the solved matrix's 2-norm condition number. Scores
/// [2, 0] and [0, 1], grads e₁ and e₂: F = diag(2, ½) (κ₂ = 4), u = F⁻¹g = [¼, 1]. Each uⱼ =
/// ḡⱼ/Fⱼⱼ is linear in one grad entry (relative sensitivity 1) and inverse-quadratic in one
/// score (2): κ(u) = 3 + 4 = 7. The damped solver with λ = ½ solves diag(5/2, 1): κ₂ = 5/2.
#[test]
fn solve_fields_add_the_condition_number_of_the_matrix_solved() {
    let case = |solver: Value| {
        json!({"id": 1, "operation": "natural_update", "input": {"theta": [0, 0],
            "grads": [[1, 0], [0, 1]], "scores": [[2, 0], [0, 1]], "epsilon": 0.5,
            "solver": solver}})
    };
    let exact = eval_kappa(&case(json!({"kind": "exact"})));
    let kappa = &exact["output"]["conditioning"];
    assert!(
        (kappa["direction"].as_f64().unwrap() - 7.0).abs() < 1e-12,
        "{kappa}"
    );
    assert!(
        (kappa["grad"].as_f64().unwrap() - 1.0).abs() < 1e-15,
        "{kappa}"
    );
    let damped = eval_kappa(&case(json!({"kind": "damped", "damping": 0.5})));
    let fisher_kappa = damped["output"]["conditioning"]["fisher"].as_f64().unwrap();
    assert!(
        (fisher_kappa - 2.0).abs() < 1e-15,
        "F is quadratic in the scores"
    );
    let direction = damped["output"]["conditioning"]["direction"]
        .as_f64()
        .unwrap();
    // u = ḡ/(F + λ): u₁ = ½/(2 + ½) with sensitivity 1 + 2·2/(5/2) + ½/(5/2) = 2.8;
    // u₂ = ½/(½ + ½) = ½ with 1 + 2·½/1 + ½/1 = 2.5: max S/max|u| = (2.8·0.2)∨(2.5·0.5) / 0.5.
    let inputs = (2.8f64 * 0.2).max(2.5 * 0.5) / 0.5;
    assert!((direction - (inputs + 2.5)).abs() < 1e-12, "{direction}");
}

/// F = diag(1, δ) from scores [√2, 0] and [0, √(2δ)]: the exact solver's rank test is
/// λ_min ≤ τ = n·ε·λ_max = 2ε. With δ within τ/2 of τ (δ = 2.2ε solves, δ = 1.8ε is
/// `SingularFisher`) the result lists a `rank` decision and `check` accepts the other branch; an
/// exactly singular F (δ = 0: margin −τ) and δ = 0.5ε are certain.
#[test]
fn the_rank_test_near_its_threshold_is_a_decision() {
    let case = |delta: f64| {
        json!({"id": "rank", "operation": "natural_update", "input": {
            "theta": [0.0, 0.0], "grads": [[1.0, 0.0], [0.0, 1.0]],
            "scores": [[std::f64::consts::SQRT_2, 0.0], [0.0, (2.0 * delta).sqrt()]],
            "epsilon": 0.1}})
    };
    let eps = f64::EPSILON;
    let rank_entries = |result: &Value| -> usize {
        let holder = result.get("output").unwrap_or(&result["error"]);
        holder["indeterminate"]
            .as_array()
            .map_or(0, |d| d.iter().filter(|e| e["decision"] == "rank").count())
    };
    let solves = eval_case(&case(2.2 * eps)).unwrap();
    assert!(solves.get("output").is_some(), "{solves}");
    assert_eq!(rank_entries(&solves), 1, "{solves}");
    let singular = eval_case(&case(1.8 * eps)).unwrap();
    assert_eq!(singular["error"]["kind"], "SingularFisher");
    assert_eq!(rank_entries(&singular), 1, "{singular}");
    for delta in [0.0, 0.5 * eps] {
        let certain = eval_case(&case(delta)).unwrap();
        assert_eq!(certain["error"]["kind"], "SingularFisher");
        assert_eq!(rank_entries(&certain), 0, "{certain}");
    }
    // check: a golden output near the threshold accepts a candidate's SingularFisher.
    let test = golden_case(&case(2.2 * eps));
    let candidate = HashMap::from([(
        json!("rank").to_string(),
        json!({"id": "rank", "error": {"kind": "SingularFisher", "message": "singular"}}),
    )]);
    assert!(check(std::slice::from_ref(&test), &candidate)[0].agrees());
}
