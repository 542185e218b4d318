use serde_json::json;

use pgoracle_hunt::candidate::{Answer, Function};
use pgoracle_hunt::generate::case;
use pgoracle_hunt::verdict::judge;
use pgoracle_hunt::{Options, hunt};
use pgoracle_oracle::check::CheckCase;
use pgoracle_oracle::{Operation, eval_case};

#[test]
fn case_k_of_a_seed_is_the_same_alone_and_differs_across_seeds() {
    for op in Operation::ALL {
        assert_eq!(case(op, None, 3, 17), case(op, None, 3, 17));
        assert_ne!(
            case(op, None, 3, 17)["input"],
            case(op, None, 4, 17)["input"]
        );
    }
}

#[test]
fn every_generated_case_is_a_valid_document_with_outputs_and_errors() {
    for op in Operation::ALL {
        let (mut outputs, mut errors) = (0, 0);
        for k in 0..150 {
            let c = case(op, None, 11, k);
            let result = eval_case(&c).unwrap_or_else(|e| panic!("{op} case {k}: {e}"));
            if result.get("output").is_some() {
                outputs += 1
            } else {
                errors += 1
            }
        }
        // Both sides of every operation are hunted.
        assert!(
            outputs >= 30 && errors >= 3,
            "{op}: {outputs} outputs, {errors} errors"
        );
    }
}

#[test]
fn the_profiles_read_their_own_schemas() {
    for (profile, ops) in [
        (
            "sb3",
            &[
                Operation::TrustRegionUpdate,
                Operation::ClampedObjective,
                Operation::ClampedGradient,
            ][..],
        ),
        (
            "torch",
            &[
                Operation::ScaleGradient,
                Operation::ClipGradient,
                Operation::KlCategorical,
                Operation::KlGaussian,
            ][..],
        ),
    ] {
        for &op in ops {
            for k in 0..40 {
                let c = case(op, Some(profile), 5, k);
                assert!(eval_case(&c).is_ok(), "{profile} {op} {c}");
            }
        }
    }
}

/// The line-search ties of `boundary` are exact: the oracle's margin is 0 at the first
/// candidate, and its KL equals ε.
#[test]
fn line_search_ties_are_generated() {
    let ties = (0..200)
        .map(|k| eval_case(&case(Operation::TrustRegionUpdate, None, 2, k)).expect("valid"))
        .filter(|r| {
            r["output"]["indeterminate"].as_array().is_some_and(|d| {
                d.iter()
                    .any(|e| e["decision"] == "linesearch_constraint" && e["margin"] == 0)
            })
        })
        .count();
    assert!(ties >= 10, "{ties} ties in 200 cases");
}

/// An in-process candidate (a Rust closure) with a planted bug: `kl_gaussian` computed by
/// torch's variance-ratio form, which overflows for σ_p/σ_q beyond 10¹⁵⁴.
#[test]
fn an_in_process_candidate_is_hunted_and_shrunk() {
    let mut candidate = Function(|c: &serde_json::Value| -> Answer {
        let x = &c["input"];
        let f = |k: &str| x[k].as_f64().unwrap_or(f64::NAN);
        let (mp, sp, mq, sq) = (f("mean_p"), f("std_p"), f("mean_q"), f("std_q"));
        let mut result = eval_case(c).map_err(|e| {
            (
                pgoracle_hunt::candidate::Misbehaviour::Garbled,
                e.to_string(),
            )
        })?;
        if result.get("output").is_some() {
            let r = (sp / sq).powi(2);
            let t = ((mp - mq) / sq).powi(2);
            result["output"]["kl"] = pgoracle_oracle::number::number(0.5 * (r + t - 1.0 - r.ln()));
        }
        Ok(result)
    });
    let mut options = Options::new(vec![Operation::KlGaussian]);
    options.cases = 3000;
    let report = hunt(&mut candidate, &options, &mut |_| {});
    let f = report
        .findings
        .iter()
        .find(|f| f.kind.starts_with("nonfinite:kl") || f.kind.starts_with("field:kl"))
        .unwrap_or_else(|| panic!("{}", pgoracle_hunt::report::summary(&report)));
    assert!(f.is_minimal, "{}", f.minimal);
    assert_eq!(report.exit_code(), 1);
}

/// NaN where an error is expected is `error:<kind>`; the same answer again agrees.
#[test]
fn verdicts_name_the_kind() {
    let c = json!({"id": 1, "operation": "restricted_step", "input": {"theta": [0], "grad": [0], "epsilon": 1}});
    let expected = CheckCase::evaluated(&c).expect("valid");
    let nan: Answer =
        Ok(json!({"id": 1, "operation": "restricted_step", "output": {"theta": ["NaN"]}}));
    assert_eq!(
        judge(&expected, &nan).map(|d| d.kind).as_deref(),
        Some("error:ZeroGradient")
    );
    let same: Answer = Ok(eval_case(&c).expect("valid"));
    assert_eq!(judge(&expected, &same), None);
}

/// A hunt of no operation runs no case and finds nothing (it does not index an empty list).
#[test]
fn a_hunt_of_no_operation_runs_nothing() {
    let mut candidate = Function(|c: &serde_json::Value| -> Answer { Ok(c.clone()) });
    let report = hunt(&mut candidate, &Options::new(Vec::new()), &mut |_| {});
    assert_eq!(
        (report.cases, report.findings.len(), report.exit_code()),
        (0, 0, 0)
    );
}
