//! Whether a candidate's answer to a case disagrees with pgoracle, and how: `pgoracle check`'s
//! rules ([`pgoracle_oracle::check::check`]: each field within ε^(5/8) + 16·κ·ε, the same
//! error kind, another branch allowed only at a decision within its rounding bound), plus one
//! rule of the hunt's own, for exact ties.
//!
//! **Exact ties.** At a line-search constraint test whose margin is exactly 0 (g(θ, θ′) = ε)
//! `check` allows either branch, since rounding could have put a candidate's margin on either
//! side. The hunt builds such ties where every operation is exact ([`crate::boundary`]: any
//! correct implementation computes g = ε bit for bit), so a candidate on the other branch there
//! is reported as a `tie:<decision>` disagreement: the book's rule decides the tie (g ≤ ε
//! accepts), and rejecting is the signature of a test written as g < ε. The report says it is a
//! tie, so that a user can tell it from a disagreement clear of rounding. A clip bound w = 1 ± ε
//! is never exact (w is an exponential), so the clamp's ties stay under `check`'s rule: either
//! branch passes.

use pgoracle_oracle::check::{CaseReport, CheckCase, Problem, check};
use pgoracle_oracle::compare::parse_value;

use crate::candidate::Answer;

/// A disagreement: its kind (what the shrinker keeps) and a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The kind: `timeout`, `crash`, `garbled`, `wrong_id` (the candidate misbehaved);
    /// `error:<kind>` (an error expected, another answer given); `output:<kind>` (an output
    /// expected, an error of that kind given); `nonfinite:<field>` (the candidate's field is NaN,
    /// ±∞ or not a number where pgoracle's is finite); `field:<field>` (the first field off by
    /// more than its tolerance, in pgoracle's output order); `flipped:<decision>` (another
    /// branch at a decision clear of rounding); `tie:<decision>` (another branch at an exact tie).
    pub kind: String,
    /// What differs, in words.
    pub detail: String,
}

/// The disagreement of `answer` with pgoracle's expectation `expected` for a case, if any.
pub fn judge(expected: &CheckCase, answer: &Answer) -> Option<Disagreement> {
    let result = match answer {
        Ok(result) => result,
        Err((misbehaviour, said)) => {
            return Some(Disagreement {
                kind: misbehaviour.name().to_string(),
                detail: said.clone(),
            });
        }
    };
    let mut by_id = std::collections::HashMap::new();
    by_id.insert(expected.id.to_string(), result.clone());
    let report = check(std::slice::from_ref(expected), &by_id).pop()?;
    if report.agrees() {
        return exact_tie(&report);
    }
    Some(classify(&report))
}

/// The kind and description of a failed [`CaseReport`].
fn classify(report: &CaseReport) -> Disagreement {
    if let Some(problem) = &report.problem {
        let kind = match problem {
            Problem::Missing => "wrong_id".to_string(),
            Problem::WrongError { expected, .. } => format!("error:{expected}"),
            Problem::NoOutput { got } => {
                format!("output:{}", got.as_deref().unwrap_or("none"))
            }
            Problem::NoExpectation => "no_expectation".to_string(),
            Problem::FlippedDecision { decision, .. } => format!("flipped:{decision}"),
        };
        return Disagreement {
            kind,
            detail: problem.to_string(),
        };
    }
    let order: Vec<&String> = report
        .test
        .expected
        .as_ref()
        .map(|e| e.keys().collect())
        .unwrap_or_default();
    let first = report
        .fields
        .iter()
        .min_by_key(|f| order.iter().position(|k| **k == f.field))
        .or_else(|| report.fields.first());
    let Some(f) = first else {
        return Disagreement {
            kind: "field:?".into(),
            detail: "disagrees".into(),
        };
    };
    let non_finite = f.reason.is_some() || f.got.is_some_and(|x| !x.is_finite());
    let kind = if non_finite {
        format!("nonfinite:{}", f.field)
    } else {
        format!("field:{}", f.field)
    };
    let detail = match (&f.reason, f.expected, f.got) {
        (Some(reason), _, _) => format!("{}: {reason}", f.field),
        (None, Some(e), Some(g)) => format!(
            "{}: expected {e:e}, got {g:e} at index {} (relative error {:.3e}, tolerance {:.3e})",
            f.field,
            f.index.unwrap_or(0),
            f.rel_error,
            report.test.rel_of(&f.field)
        ),
        _ => format!("{}: relative error {:.3e}", f.field, f.rel_error),
    };
    Disagreement { kind, detail }
}

/// A `tie:` disagreement when the candidate agreed only by taking another branch and one of
/// the case's indeterminate decisions has margin exactly 0.
fn exact_tie(report: &CaseReport) -> Option<Disagreement> {
    let branch = report.branch.as_ref()?;
    let tie = report.test.indeterminate.iter().find(|d| {
        parse_value(&d["margin"]) == Some(0.0)
            && d["decision"]
                .as_str()
                .is_some_and(|n| n.starts_with("linesearch_constraint"))
    })?;
    let decision = tie["decision"].as_str().unwrap_or_default();
    Some(Disagreement {
        kind: format!("tie:{decision}"),
        detail: format!(
            "{decision} {} has margin exactly 0 (a tie the book's rule decides: g ≤ ε accepts); \
             the candidate took {branch}",
            tie["at"]
        ),
    })
}
