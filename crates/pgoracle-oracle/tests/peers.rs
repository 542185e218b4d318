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
    let mut candidate = HashMap::new();
    candidate.insert(r["id"].to_string(), json!({ "id": r["id"], "output": output }));
    let report = check(std::slice::from_ref(&case), &candidate);
    let verdict = if report[0].agrees() {
        Verdict::Agrees
    } else {
        Verdict::Differs(format!("{:?}", report[0]))
    };
    (verdict, case)
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
/// documented finding (docs/peers.md): with an exact gradient of 0 the peer steps along
/// rounding noise, where pgoracle reports `ZeroGradient`.
#[test]
fn sb3_trust_region_update_reproduces_trpo_train() {
    let records = recordings("sb3_trpo.json");
    let mut agreed = 0;
    let mut failures = Vec::new();
    for r in &records {
        let (verdict, case) = judge(r);
        let zero_gradient_finding = r["peer_output"]["grad"]
            .as_array()
            .is_some_and(|g| g.iter().all(|x| x.as_f64() == Some(0.0)));
        match verdict {
            Verdict::Agrees => agreed += 1,
            Verdict::Differs(_)
                if zero_gradient_finding
                    && case.expected_error.as_deref() == Some("ZeroGradient") => {}
            Verdict::Differs(why) => failures.push(format!("{}: {why}", r["id"])),
        }
    }
    assert!(failures.is_empty(), "{} differ:\n{}", failures.len(), failures.join("\n"));
    // 48 softmax + 48 log-std inputs × {f32, f64}, and the error cases, less the zero-gradient
    // finding runs.
    assert!(agreed >= 180, "only {agreed} of {} agree", records.len());
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
