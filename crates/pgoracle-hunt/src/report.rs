//! A hunt's report: the summary per kind of disagreement, and the minimal cases as golden files
//! (`pgoracle-golden-v2`, read by `pgoracle check`), one per operation.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use pgoracle_oracle::Operation;
use pgoracle_oracle::golden::{COMPARISON, FLAG_NOTES};
use pgoracle_oracle::golden_file::{
    Expectation, GoldenFile, GoldenTest, GoldenTolerance, SCHEMA, TestGroup,
};

use crate::{Finding, Report, Stop};

/// The flag of every hunt finding, and its note.
pub const HUNT_FLAG: (&str, &str) = (
    "HuntFinding",
    "A minimal case on which a candidate disagreed with pgoracle, found by `pgoracle hunt`: `hunt` holds the seed and case index that found it, the kind and description of the disagreement, and the candidate's answer. Expected values are pgoracle's own (no independent reference).",
);

/// The summary printed at the end of a hunt: one block per kind of disagreement (operation,
/// kind, count, the case that found it, the minimal case and the disagreement on it), then
/// the totals.
pub fn summary(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(
            out,
            "{} {}: {} case{} (first: case {})",
            f.operation,
            f.kind,
            f.count,
            if f.count == 1 { "" } else { "s" },
            f.index
        );
        let _ = writeln!(out, "  {}", f.disagreement.detail);
        let _ = writeln!(
            out,
            "  minimal input ({} after {} shrink step{}): {}",
            if f.is_minimal {
                "no single simplification keeps it"
            } else {
                "not shrunk to the end"
            },
            f.shrink_steps,
            if f.shrink_steps == 1 { "" } else { "s" },
            f.minimal["input"]
        );
        let _ = writeln!(out, "  candidate: {}", f.answer);
    }
    let o = &report.options;
    let stop = match report.stop {
        Stop::Cases => "all cases run",
        Stop::Time => "time budget reached",
        Stop::CandidateUnusable => "the candidate misbehaved on every recent case; gave up",
    };
    let ops: Vec<&str> = o.operations.iter().map(|op| op.name()).collect();
    let _ = writeln!(
        out,
        "hunt: {} case{} of {} (profile {}, seed {}) in {:.1} s ({stop}); {} skipped; {} kind{} of disagreement",
        report.cases,
        if report.cases == 1 { "" } else { "s" },
        ops.join(", "),
        o.profile.as_deref().unwrap_or("book"),
        o.seed,
        report.elapsed.as_secs_f64(),
        report.skipped,
        report.findings.len(),
        if report.findings.len() == 1 { "" } else { "s" },
    );
    out
}

/// The golden test of one finding.
fn golden_test(f: &Finding, tc_id: usize, seed: u64) -> GoldenTest {
    let e = &f.expected;
    let mut flags = vec![HUNT_FLAG.0.to_string()];
    if !e.indeterminate.is_empty() {
        flags.push("IndeterminateDecision".to_string());
    }
    if e.scalar == "f32" {
        flags.push("f32".to_string());
    }
    let valid = e.expected.is_some();
    GoldenTest {
        tc_id,
        id: f.minimal["id"].clone(),
        operation: f.operation,
        scalar: e.scalar.clone(),
        profile: e.profile.clone(),
        conventions: e.conventions.clone(),
        comment: format!("{}: {}", f.kind, f.disagreement.detail),
        source: format!(
            "pgoracle hunt --operation {} --seed {seed}: case {}, shrunk in {} steps",
            f.operation, f.index, f.shrink_steps
        ),
        flags,
        input: f.minimal["input"].clone(),
        result: if valid {
            Expectation::Valid
        } else {
            Expectation::Error
        },
        expected_error: e.expected_error.clone(),
        expected: e.expected.clone(),
        tolerance: valid.then(|| GoldenTolerance {
            rel: e.rel.clone(),
            abs: 0.into(),
            kappa: e.kappa.clone(),
            conditioning: None,
        }),
        reference: None,
        reference_error: None,
        certified_digits: None,
        indeterminate: (!e.indeterminate.is_empty()).then(|| e.indeterminate.clone()),
        reference_branch: None,
        hunt: Some(json!({
            "seed": seed, "case": f.index, "kind": f.kind,
            "disagreement": f.disagreement.detail, "candidate": f.answer,
            "minimal": f.is_minimal, "shrink_steps": f.shrink_steps,
            "original_input": f.original["input"],
        })),
    }
}

/// The findings as golden files, one per operation with findings (in the order of
/// [`Operation::ALL`]); tests grouped by precision.
pub fn golden_files(report: &Report) -> Vec<GoldenFile> {
    let mut by_op: BTreeMap<Operation, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_op.entry(f.operation).or_default().push(f);
    }
    by_op
        .into_iter()
        .map(|(op, findings)| {
            let mut groups: Vec<TestGroup> = Vec::new();
            let mut tc_id = 0;
            for scalar in ["f64", "f32"] {
                let tests: Vec<GoldenTest> = findings
                    .iter()
                    .filter(|f| f.expected.scalar == scalar)
                    .map(|f| {
                        tc_id += 1;
                        golden_test(f, tc_id, report.options.seed)
                    })
                    .collect();
                if !tests.is_empty() {
                    groups.push(TestGroup {
                        scalar: scalar.to_string(),
                        tests,
                    });
                }
            }
            let mut notes = BTreeMap::new();
            for flag in groups.iter().flat_map(|g| &g.tests).flat_map(|t| &t.flags) {
                let note = FLAG_NOTES
                    .iter()
                    .chain(std::iter::once(&HUNT_FLAG))
                    .find(|(name, _)| name == flag)
                    .map_or("", |(_, note)| note);
                notes.insert(flag.clone(), note.to_string());
            }
            GoldenFile {
                schema: SCHEMA.to_string(),
                generator: format!("pgoracle hunt {}", env!("CARGO_PKG_VERSION")),
                interface_version: if report.options.profile.is_some() { 2 } else { 1 },
                operation: op,
                book: op.book_source().to_string(),
                number_of_tests: tc_id,
                reference: "pgoracle's own result (CheckCase::evaluated): hunt findings are regression vectors, not independently certified values".to_string(),
                comparison: COMPARISON.to_string(),
                notes,
                test_groups: groups,
            }
        })
        .collect()
}

/// The summary as JSON: per finding its operation, kind, count, case index, minimal input,
/// disagreement and the candidate's answer, then the totals.
pub fn summary_json(report: &Report) -> Value {
    let findings: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            json!({
                "operation": f.operation.name(), "kind": f.kind, "count": f.count,
                "case": f.index, "minimal": f.is_minimal, "input": f.minimal["input"],
                "disagreement": f.disagreement.detail, "candidate": f.answer,
            })
        })
        .collect();
    let mut out = Map::new();
    out.insert("seed".into(), json!(report.options.seed));
    out.insert("cases".into(), json!(report.cases));
    out.insert("skipped".into(), json!(report.skipped));
    out.insert("findings".into(), Value::Array(findings));
    Value::Object(out)
}
