//! Replays the recordings of the real peers (`tests/peers/*.json`, made by `tools/peers/` with
//! stable-baselines3 2.9.2, sb3-contrib 2.9.2 and torch 2.15.0; the versions are in every
//! recording) against pgoracle's profiles (issue #17, acceptance 1–2): each recorded input is
//! evaluated under its profile with κ per field, and the peer's output is judged by `check`'s
//! rules (ε^(5/8) + 16·κ·ε per field; discrete outputs only where the decision is clear of
//! rounding). The expected values are the real peers' outputs, never pgoracle's.

use std::collections::HashMap;
use std::path::PathBuf;

use serde_json::{Value, json};

use pgoracle_oracle::check::{CheckCase, check};

fn recordings(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/peers")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("recording file");
    serde_json::from_str::<Vec<Value>>(&text).expect("recordings are a JSON array")
}

/// The profiles.md case of a recording (its other keys are the peer's).
fn request(r: &Value) -> Value {
    let mut case = json!({
        "id": r["id"], "operation": r["operation"], "scalar": r["scalar"], "input": r["input"],
    });
    if r["profile"] != "book" {
        case["profile"] = r["profile"].clone();
    }
    case
}

/// How pgoracle judges one recording.
#[derive(Debug, PartialEq)]
enum Verdict {
    /// The peer's output agrees within tolerance (or both raised an error).
    Agrees,
    /// It does not: what `check` reported.
    Differs(String),
}

fn judge(r: &Value) -> (Verdict, CheckCase) {
    let case = CheckCase::evaluated(&request(r)).expect("a valid profiles.md case");
    let peer = &r["peer_output"];
    if peer.get("error").is_some() {
        let verdict = match &case.expected_error {
            Some(_) => Verdict::Agrees,
            None => Verdict::Differs(format!("the peer raised {}", peer["error"]["type"])),
        };
        return (verdict, case);
    }
    let mut output = peer.as_object().cloned().unwrap_or_default();
    // Fields of the peer's that are not profile outputs (recorded for the findings).
    output.retain(|k, _| {
        case.expected
            .as_ref()
            .is_none_or(|e| e.contains_key(k) || k == "total_norm")
    });
    let mut case = case;
    if let Some(why) = peer_rounding_fields(&mut output, &mut case) {
        return (Verdict::Differs(why), case);
    }
    let mut candidate = HashMap::new();
    candidate.insert(
        r["id"].to_string(),
        json!({ "id": r["id"], "output": output }),
    );
    let report = check(std::slice::from_ref(&case), &candidate);
    let verdict = if report[0].agrees() {
        Verdict::Agrees
    } else {
        let fields: Vec<String> = report[0]
            .fields
            .iter()
            .map(|c| {
                format!(
                    "{} (rel {:.2e}, tol {:.2e}, got {:?}, expected {:?})",
                    c.field,
                    c.rel_error,
                    case.rel_of(&c.field),
                    c.got,
                    c.expected
                )
            })
            .collect();
        Verdict::Differs(format!("{:?} {}", report[0].problem, fields.join("; ")))
    };
    (verdict, case)
}

/// Fields whose peer value carries the peer's own rounding beyond the oracle's tolerance,
/// judged here with that rounding as the bound and removed from `check`'s comparison:
///
/// - `clip_fraction` is a count over n, which SB3 casts to float32 in both precisions
///   (`ppo.py`: `.float()`): half an f32 ulp;
/// - `kl_div` and `approx_kl` in f32: torch's forms sum terms of size t and cancel (Σp(log p −
///   log q) with t ≈ 1; (w − 1) − log w with t ≈ |w − 1| ≈ √(2·approx_kl)), so the peer's value
///   is within 8·ε·t of the exact one, where pgoracle's accurate value is.
///
/// Returns what differs, if anything.
fn peer_rounding_fields(
    output: &mut serde_json::Map<String, Value>,
    case: &mut CheckCase,
) -> Option<String> {
    let expected = case.expected.clone()?;
    // At a gradient within rounding of 0 the step is noise on both sides: `check` decides.
    if case
        .indeterminate
        .iter()
        .any(|d| d["decision"] == "zero_gradient")
    {
        return None;
    }
    let eps = if case.scalar == "f32" {
        f64::from(f32::EPSILON)
    } else {
        f64::EPSILON
    };
    let mut problems = Vec::new();
    for field in ["clip_fraction", "kl_div", "approx_kl"] {
        let (Some(got), Some(want)) = (
            output.get(field).and_then(Value::as_f64),
            expected.get(field).and_then(Value::as_f64),
        ) else {
            continue;
        };
        let bound = match field {
            "clip_fraction" => f64::from(f32::EPSILON) * want.abs(),
            "kl_div" if case.scalar == "f32" => 8.0 * eps,
            "approx_kl" if case.scalar == "f32" => 16.0 * eps * (2.0 * want.abs()).sqrt(),
            _ => continue,
        };
        output.remove(field);
        if let Some(e) = case.expected.as_mut() {
            e.remove(field);
        }
        let tolerance = bound + case.rel_of(field) * want.abs();
        if (got - want).abs() > tolerance {
            problems.push(format!("{field}: {got} vs {want} (bound {tolerance:.2e})"));
        }
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Replays a file; returns the ids that differ, with what differs.
fn replay(name: &str) -> (usize, Vec<(String, String)>) {
    let records = recordings(name);
    let mut differing = Vec::new();
    for r in &records {
        if let (Verdict::Differs(why), _) = judge(r) {
            differing.push((r["id"].as_str().unwrap_or("?").to_string(), why));
        }
    }
    (records.len(), differing)
}

/// sb3-contrib `TRPO.train()` on softmax and log-std Gaussian policies, f32 and f64: θ,
/// `accepted`, `candidates` and every reported quantity agree on every recording, except the
/// documented finding (docs/peers.md): where the exact gradient is 0 (equal advantages
/// standardised to 0, or two samples of one action whose standardised advantages cancel),
/// pgoracle reports `ZeroGradient`, or in f32 a gradient within rounding of 0 (an
/// `indeterminate` zero-gradient decision, whose noise step `check` does not judge), while the
/// peer's CG turns rounding noise into a direction and √(2δ/uᵀAu) rescales it to a full step.
#[test]
fn sb3_trust_region_update_reproduces_trpo_train() {
    let records = recordings("sb3_trpo.json");
    let mut agreed = 0;
    let mut zero_gradient = 0;
    let mut failures = Vec::new();
    for r in &records {
        let (verdict, case) = judge(r);
        let exact_zero = case.expected_error.as_deref() == Some("ZeroGradient");
        let noise = case
            .indeterminate
            .iter()
            .any(|d| d["decision"] == "zero_gradient");
        if exact_zero || noise {
            zero_gradient += 1;
        }
        match verdict {
            Verdict::Agrees => agreed += 1,
            Verdict::Differs(_) if exact_zero => {}
            Verdict::Differs(why) => failures.push(format!("{}: {why}", r["id"])),
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The 10 finding seeds and 7 generated inputs, × {f32, f64}: 34 recordings whose exact
    // gradient is 0 (the two ZeroDivisionError cases among them, where both sides are errors).
    eprintln!(
        "sb3_trpo.json: {agreed} of {} agree; {zero_gradient} with an exact zero gradient",
        records.len()
    );
    assert_eq!(zero_gradient, 34);
    assert!(agreed >= 185, "only {agreed} of {} agree", records.len());
}

/// SB3 PPO's policy objective, its gradient, approx_kl and clip_fraction.
#[test]
fn sb3_clamped_objective_and_gradient_reproduce_ppo() {
    let (n, differing) = replay("sb3_ppo.json");
    assert_eq!(n, 160);
    assert!(differing.is_empty(), "{differing:#?}");
}

/// torch's clip_grad_norm_, clip_grad_value_ and kl_divergence (Categorical, Normal).
#[test]
fn torch_profile_reproduces_torch() {
    let (n, differing) = replay("torch.json");
    assert_eq!(n, 125);
    assert!(differing.is_empty(), "{differing:#?}");
}

/// The candidate map of one recording's peer output, its non-output keys dropped.
fn candidate_of(r: &Value, case: &CheckCase) -> HashMap<String, Value> {
    let mut output = r["peer_output"].as_object().cloned().unwrap_or_default();
    if let Some(expected) = &case.expected {
        output.retain(|k, _| expected.contains_key(k));
    }
    let mut candidate = HashMap::new();
    candidate.insert(
        r["id"].to_string(),
        json!({ "id": r["id"], "output": output }),
    );
    candidate
}

/// `check --explain` on the real peers' candidates with exactly one convention differing from
/// the book (`tests/peers/explain.json`: sb3-contrib TRPO.train(), SB3 PPO.train() and torch
/// 2.15 run with every other convention set to the book's): it names that convention, and
/// says `agrees` on the controls (issue #17, acceptance 3).
#[test]
fn explain_names_the_one_convention_a_real_peer_differs_in() {
    let mut named = 0;
    let mut failures = Vec::new();
    for r in &recordings("explain.json") {
        let case = CheckCase::evaluated(&request(r)).expect("a valid book case");
        let candidate = candidate_of(r, &case);
        let e = &pgoracle_oracle::explain::explain(std::slice::from_ref(&case), &candidate)[0];
        let expected: Option<Vec<String>> = r["differs"].as_array().map(|list| {
            list.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect()
        });
        let ok = match expected.as_deref() {
            Some([]) => e.agrees,
            Some(names) => !e.agrees && e.explained_by.as_deref() == Some(names),
            None => !e.agrees && e.explained_by.is_none(),
        };
        if ok {
            named += 1;
        } else {
            failures.push(format!("{}: expected {:?}, got {:?}", r["id"], expected, e));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(named, 94);
}

/// An injected bug is explained by no convention: `explained_by` is null. The candidates are
/// real peer outputs of the controls (book conventions) with one typical bug each: a gradient
/// entry with its sign flipped, a step 10% too long, a clamped objective that forgot the clamp
/// (plain wA), and a KL with log2 instead of ln.
#[test]
fn explain_answers_null_on_an_injected_bug() {
    let records = recordings("explain.json");
    let control = |id: &str| {
        records
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .expect("control recording")
    };
    let mut bugs = Vec::new();
    let mut trpo = control("explain-trpo-00-control");
    let g0 = trpo["peer_output"]["grad"][0].as_f64().unwrap_or_default();
    trpo["peer_output"]["grad"][0] = json!(-g0);
    bugs.push(trpo);
    let mut trpo = control("explain-trpo-01-control");
    for i in 0..2 {
        let t = trpo["input"]["theta"][i].as_f64().unwrap_or_default();
        let n = trpo["peer_output"]["theta_natural"][i]
            .as_f64()
            .unwrap_or_default();
        trpo["peer_output"]["theta_natural"][i] = json!(t + 1.1 * (n - t));
    }
    bugs.push(trpo);
    let mut ppo = control("explain-ppo-00-clamped_gradient-control");
    for x in ppo["peer_output"]["grad"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        *x = json!(x.as_f64().unwrap_or_default() * 2.0);
    }
    bugs.push(ppo);
    let mut kl = control("explain-torch-control-kl-gaussian");
    let v = kl["peer_output"]["kl"].as_f64().unwrap_or_default();
    kl["peer_output"]["kl"] = json!(v / std::f64::consts::LN_2);
    bugs.push(kl);
    for r in &bugs {
        let case = CheckCase::evaluated(&request(r)).expect("a valid book case");
        let candidate = candidate_of(r, &case);
        let e = &pgoracle_oracle::explain::explain(std::slice::from_ref(&case), &candidate)[0];
        assert!(!e.agrees, "{}", r["id"]);
        assert_eq!(e.explained_by, None, "{}: {e:?}", r["id"]);
        assert!(e.error_after > 1e-3, "{}: {e:?}", r["id"]);
    }
}
