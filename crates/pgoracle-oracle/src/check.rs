//! `pgoracle check GOLDEN CANDIDATE`: compare another implementation's results with the golden
//! files, field by field, within each field's recorded tolerance ε^(5/8) + 16·κ·ε.
//!
//! Where the golden test lists `indeterminate` decisions and the candidate took another
//! branch (another `steps`/`accepted` of the trust region's line search), `check` evaluates
//! pgoracle on the candidate's branch ([`crate::ops::RunOptions::accept_at`]) and accepts it
//! when every decision on which that branch departs from the book's is within its rounding
//! bound there, and the candidate's fields agree with that branch's result. A branch that
//! flips a certain decision fails ([`Problem::FlippedDecision`]).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::compare::{FieldComparison, compare_field, parse_value};
use super::conditioning::Certified;
use super::golden::golden_rel;
use super::golden_file::{GoldenFile, GoldenTest, SCHEMA};
use super::operation::Operation;
use super::ops::RunOptions;
use super::{DocError, EvalOptions, eval_certified};

/// One golden test as `check` uses it: what a result is compared with.
#[derive(Debug, Clone)]
pub struct CheckCase {
    /// The case id (any JSON string or integer).
    pub id: Value,
    /// The operation.
    pub operation: Operation,
    /// `"f64"` or `"f32"`.
    pub scalar: String,
    /// Expected output fields, or `None` for an error case.
    pub expected: Option<serde_json::Map<String, Value>>,
    /// Expected error kind, for an error case.
    pub expected_error: Option<String>,
    /// Relative tolerance per real field.
    pub rel: serde_json::Map<String, Value>,
    /// κ per real field.
    pub kappa: serde_json::Map<String, Value>,
    /// Digits the reference certifies, per real field.
    pub certified_digits: serde_json::Map<String, Value>,
    /// The operation's input (to evaluate another branch).
    pub input: Value,
    /// The decisions within their rounding bound.
    pub indeterminate: Vec<Value>,
    /// The solved matrix's condition number (0 when none is recorded).
    pub solve_conditioning: f64,
    /// The case's profile (version 2; `None`: the book's).
    pub profile: Option<String>,
    /// The case's convention overrides (version 2).
    pub conventions: Option<serde_json::Map<String, Value>>,
}

impl CheckCase {
    /// The case as an oracle request (with its profile and conventions, when set).
    pub fn request(&self) -> Value {
        let mut case = serde_json::json!({
            "id": self.id, "operation": self.operation.name(), "scalar": self.scalar,
            "input": self.input,
        });
        if let Some(profile) = &self.profile {
            case["profile"] = Value::String(profile.clone());
        }
        if let Some(conventions) = &self.conventions {
            case["conventions"] = Value::Object(conventions.clone());
        }
        case
    }

    /// The check case of an oracle request and pgoracle's result for it, evaluated with
    /// `conditioning` ([`crate::EvalOptions`]): the expected output, per-field tolerance
    /// ε^(5/8) + 16·κ·ε from each field's κ, and the indeterminate decisions. This is how
    /// `check --explain` and the peer replay judge a result without a golden file.
    ///
    /// # Errors
    /// [`DocError`] when the request is not a valid document.
    pub fn evaluated(request: &Value) -> Result<CheckCase, DocError> {
        let options = EvalOptions {
            conditioning: true,
            solve_conditioning: 0.0,
        };
        let (result, _) = eval_certified(request, &options, &RunOptions::default())?;
        let scalar = request
            .get("scalar")
            .and_then(Value::as_str)
            .unwrap_or("f64")
            .to_string();
        let operation: Operation = request["operation"]
            .as_str()
            .unwrap_or_default()
            .parse()
            .map_err(|e: crate::operation::UnknownOperation| {
                DocError::new("?", "operation", &e.to_string())
            })?;
        let mut case = CheckCase {
            id: request["id"].clone(),
            operation,
            scalar: scalar.clone(),
            expected: None,
            expected_error: None,
            rel: serde_json::Map::new(),
            kappa: serde_json::Map::new(),
            certified_digits: serde_json::Map::new(),
            input: request["input"].clone(),
            indeterminate: Vec::new(),
            solve_conditioning: 0.0,
            profile: request
                .get("profile")
                .and_then(Value::as_str)
                .map(str::to_string),
            conventions: request
                .get("conventions")
                .and_then(Value::as_object)
                .cloned(),
        };
        if let Some(error) = result.get("error") {
            case.expected_error = error["kind"].as_str().map(str::to_string);
            return Ok(case);
        }
        let mut expected = result["output"].as_object().cloned().unwrap_or_default();
        let kappa = expected
            .remove("conditioning")
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        if let Some(Value::Array(entries)) = expected.remove("indeterminate") {
            case.indeterminate = entries;
        }
        for key in ["cg_iterations", "cg_residual"] {
            expected.remove(key);
        }
        for (field, k) in &kappa {
            let k = parse_value(k).unwrap_or(f64::INFINITY);
            case.rel.insert(
                field.clone(),
                serde_json::json!(golden_rel(&scalar, k.max(1.0))),
            );
        }
        case.kappa = kappa;
        case.expected = Some(expected);
        Ok(case)
    }

    /// The relative tolerance of `field` (ε^(5/8) + 16ε for a field without a recorded one).
    pub fn rel_of(&self, field: &str) -> f64 {
        self.rel
            .get(field)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| golden_rel(&self.scalar, 1.0))
    }
}

impl From<&GoldenTest> for CheckCase {
    fn from(t: &GoldenTest) -> Self {
        let tolerance = t.tolerance.as_ref();
        CheckCase {
            id: t.id.clone(),
            operation: t.operation,
            scalar: t.scalar.clone(),
            expected: t.expected.clone(),
            expected_error: t.expected_error.clone(),
            rel: tolerance.map(|tol| tol.rel.clone()).unwrap_or_default(),
            kappa: tolerance.map(|tol| tol.kappa.clone()).unwrap_or_default(),
            certified_digits: t.certified_digits.clone().unwrap_or_default(),
            input: t.input.clone(),
            indeterminate: t.indeterminate.clone().unwrap_or_default(),
            solve_conditioning: tolerance
                .and_then(|tol| tol.conditioning.as_ref())
                .and_then(parse_value)
                .unwrap_or(0.0),
            profile: t.profile.clone(),
            conventions: t.conventions.clone(),
        }
    }
}

/// What is wrong with a case as a whole (rather than with one of its fields).
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The candidate has no result with the case's id.
    Missing,
    /// An error kind was expected; the candidate gave another kind, or an output (`None`).
    WrongError {
        /// The expected kind.
        expected: String,
        /// The kind the candidate gave, if it gave an error.
        got: Option<String>,
    },
    /// An output was expected; the candidate gave an error of this kind, or neither (`None`).
    NoOutput {
        /// The kind the candidate gave, if it gave an error.
        got: Option<String>,
    },
    /// The golden test has neither `expected` nor `expected_error`.
    NoExpectation,
    /// The candidate took a branch that departs from the book's at a decision clear of
    /// rounding.
    FlippedDecision {
        /// The decision ([`pgoracle::DecisionKind::name`]).
        decision: String,
        /// Where (the shrink index).
        at: usize,
        /// Its margin on the candidate's branch.
        margin: f64,
        /// Its rounding bound.
        bound: f64,
    },
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Missing => f.write_str("no result with this id"),
            Problem::WrongError {
                expected,
                got: Some(other),
            } => write!(f, "expected error {expected}, got error {other}"),
            Problem::WrongError {
                expected,
                got: None,
            } => write!(f, "expected error {expected}, got an output"),
            Problem::NoOutput { got: Some(kind) } => {
                write!(f, "expected an output, got error {kind}")
            }
            Problem::NoOutput { got: None } => f.write_str("expected an output, got no output"),
            Problem::NoExpectation => {
                f.write_str("golden test has neither expected nor expected_error")
            }
            Problem::FlippedDecision {
                decision,
                at,
                margin,
                bound,
            } => write!(
                f,
                "took another branch at {decision} {at}, a certain decision (margin {margin:e}, rounding bound {bound:e})"
            ),
        }
    }
}

/// How one case compares.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The golden test.
    pub test: CheckCase,
    /// Field comparisons that failed (empty when the case agrees).
    pub fields: Vec<FieldComparison>,
    /// A case-level problem: missing result, error instead of output, wrong error kind.
    pub problem: Option<Problem>,
    /// Set when the candidate took the other branch of an indeterminate decision and was
    /// compared with pgoracle's result on that branch: which branch, in words.
    pub branch: Option<String>,
}

impl CaseReport {
    /// Whether the candidate agrees on this case.
    pub fn agrees(&self) -> bool {
        self.problem.is_none() && self.fields.is_empty()
    }
}

/// Reads a golden file, or every `*.json` file of a folder (in name order).
///
/// # Errors
/// [`DocError`] for unreadable files or files that are not golden files.
pub fn load_golden(path: &Path) -> Result<Vec<CheckCase>, DocError> {
    let files = if path.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| DocError::new("?", &path.display().to_string(), &e.to_string()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
    } else {
        vec![path.to_path_buf()]
    };
    let mut tests = Vec::new();
    for file in files {
        let where_ = file.display().to_string();
        let text = std::fs::read_to_string(&file)
            .map_err(|e| DocError::new("?", &where_, &e.to_string()))?;
        let doc: Value = serde_json::from_str(&text)
            .map_err(|e| DocError::new("?", &where_, &format!("malformed JSON: {e}")))?;
        if doc["schema"] != SCHEMA {
            return Err(DocError::new(
                "?",
                &where_,
                &format!("not a golden file (schema is not {SCHEMA})"),
            ));
        }
        let file: GoldenFile = serde_json::from_value(doc)
            .map_err(|e| DocError::new("?", &where_, &format!("invalid golden file: {e}")))?;
        tests.extend(
            file.test_groups
                .iter()
                .flat_map(|g| &g.tests)
                .map(CheckCase::from),
        );
    }
    Ok(tests)
}

/// Reads the golden side of `check`: a golden file or folder ([`load_golden`]), or a document
/// of oracle cases (one case or an array; interface version 1 or 2), each evaluated by pgoracle
/// with κ per field ([`CheckCase::evaluated`]), so that a user can check results against cases
/// without generating a golden file first.
///
/// # Errors
/// [`DocError`] for an unreadable file, or a document that is neither.
pub fn load_golden_or_cases(path: &Path) -> Result<Vec<CheckCase>, DocError> {
    let where_ = path.display().to_string();
    if path.is_dir() {
        return load_golden(path);
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| DocError::new("?", &where_, &e.to_string()))?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| DocError::new("?", &where_, &format!("malformed JSON: {e}")))?;
    if doc.get("schema").is_some() {
        return load_golden(path);
    }
    match doc {
        Value::Array(cases) => cases.iter().map(CheckCase::evaluated).collect(),
        case => Ok(vec![CheckCase::evaluated(&case)?]),
    }
}

/// Reads the candidate's results: a JSON array of results, one result, or one result per line.
///
/// # Errors
/// [`DocError`] for malformed JSON, a result without an id, or a duplicated id.
pub fn load_candidate(text: &str) -> Result<HashMap<String, Value>, DocError> {
    let results: Vec<Value> = match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        Ok(single) => vec![single],
        Err(whole) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .enumerate()
            .map(|(n, l)| {
                serde_json::from_str(l).map_err(|_| {
                    DocError::new(
                        "?",
                        "(candidate)",
                        &format!("malformed JSON ({whole}; line {} as JSON Lines)", n + 1),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
    };
    let mut by_id = HashMap::new();
    for r in results {
        let id = r
            .get("id")
            .ok_or_else(|| DocError::new("?", "(candidate).id", "a result has no id"))?;
        let key = id.to_string();
        if by_id.insert(key.clone(), r).is_some() {
            return Err(DocError::new(&key, "(candidate).id", "duplicated id"));
        }
    }
    Ok(by_id)
}

/// Compares the candidate's results with every golden test.
pub fn check(tests: &[CheckCase], candidate: &HashMap<String, Value>) -> Vec<CaseReport> {
    tests
        .iter()
        .map(|t| {
            let mut report = CaseReport {
                test: t.clone(),
                fields: Vec::new(),
                problem: None,
                branch: None,
            };
            let Some(result) = candidate.get(&t.id.to_string()) else {
                report.problem = Some(Problem::Missing);
                return report;
            };
            let got_error = result["error"]["kind"].as_str();
            let rank_indeterminate = t.indeterminate.iter().any(|d| d["decision"] == "rank");
            match (&t.expected_error, &t.expected) {
                // F singular to working precision or not is decided by rounding: an output of
                // the candidate is the other branch (its values are not judged).
                (Some(kind), _)
                    if kind == "SingularFisher"
                        && rank_indeterminate
                        && result.get("output").is_some() =>
                {
                    report.branch =
                        Some("an output where F is singular to working precision".into());
                }
                (Some(kind), _) => {
                    if got_error != Some(kind.as_str()) {
                        report.problem = Some(Problem::WrongError {
                            expected: kind.clone(),
                            got: got_error.map(str::to_string),
                        });
                    }
                }
                (None, Some(expected)) => match result.get("output") {
                    // g = 0 is the other branch of an indeterminate zero-gradient test.
                    None if got_error == Some("ZeroGradient")
                        && t.indeterminate
                            .iter()
                            .any(|d| d["decision"] == "zero_gradient") =>
                    {
                        report.branch = Some("ZeroGradient (g = 0)".into());
                    }
                    None if got_error == Some("SingularFisher") && rank_indeterminate => {
                        report.branch =
                            Some("SingularFisher (F singular to working precision)".into());
                    }
                    None => {
                        report.problem = Some(Problem::NoOutput {
                            got: got_error.map(str::to_string),
                        });
                    }
                    Some(output) => {
                        report.fields = disagreements(t, expected, output, |f| t.rel_of(f));
                        if !report.fields.is_empty()
                            && let Some(bound) = zero_gradient_bound(t)
                            && output
                                .get("grad")
                                .is_none_or(|g| largest_magnitude(g) <= bound)
                        {
                            // Both gradients are within rounding of 0: the direction and
                            // everything after it are rounding noise on either side.
                            report.fields.clear();
                            report.branch = Some(format!(
                                "a gradient within rounding of 0 (|g| ≤ {bound:.3e}): its \
                                 direction and step are rounding noise, not judged"
                            ));
                        }
                        if !report.fields.is_empty() && !t.indeterminate.is_empty() {
                            match t.operation {
                                Operation::TrustRegionUpdate => {
                                    linesearch_branch(t, output, &mut report);
                                }
                                Operation::ClampedGradient | Operation::ClampedUpdate => {
                                    clamp_branch(t, output, &mut report);
                                }
                                _ => {}
                            }
                        }
                    }
                },
                (None, None) => report.problem = Some(Problem::NoExpectation),
            }
            report
        })
        .collect()
}

/// The rounding bound of an indeterminate zero-gradient decision of the golden case, if any.
fn zero_gradient_bound(t: &CheckCase) -> Option<f64> {
    t.indeterminate
        .iter()
        .find(|d| d["decision"] == "zero_gradient")
        .and_then(|d| parse_value(&d["bound"]))
}

/// The largest |x| over a JSON number or array of numbers (∞ for anything else).
fn largest_magnitude(v: &Value) -> f64 {
    match v {
        Value::Array(items) => items.iter().map(largest_magnitude).fold(0.0, f64::max),
        other => parse_value(other).map_or(f64::INFINITY, f64::abs),
    }
}

/// The fields of `expected` that `output` misses, each within its relative tolerance `rel`.
fn disagreements(
    t: &CheckCase,
    expected: &serde_json::Map<String, Value>,
    output: &Value,
    rel: impl Fn(&str) -> f64,
) -> Vec<FieldComparison> {
    expected
        .iter()
        // `departures` explains pgoracle's result (where the peer departs from the
        // mathematics); a candidate is not expected to report it.
        .filter(|(field, _)| field.as_str() != "departures")
        .map(|(field, value)| {
            compare_field(
                field,
                value,
                output.get(field),
                rel(field),
                t.scalar == "f32",
            )
        })
        .filter(|c| !c.ok)
        .collect()
}

/// The first decision on which the branch that accepts candidate `accept_at` departs from the
/// book's tests while the decision is clear of rounding, if any. At a shrink the book accepts
/// when every test holds; following another branch is allowed only where each test that
/// would have to flip is indeterminate (rejecting the book's acceptance needs one).
fn flipped_certain_decision(
    decisions: &[Certified],
    accept_at: Option<usize>,
) -> Option<&Certified> {
    // The line search's own tests only: a `rank` or `zero_gradient` entry also has `at` 0.
    let searched = |d: &&Certified| d.decision.starts_with("linesearch_");
    let mut steps: Vec<usize> = decisions.iter().filter(searched).map(|d| d.at).collect();
    steps.dedup();
    for k in steps {
        let tests: Vec<&Certified> = decisions
            .iter()
            .filter(searched)
            .filter(|d| d.at == k)
            .collect();
        let book = tests.iter().all(|d| d.holds);
        let forced = accept_at == Some(k);
        if forced && !book {
            if let Some(d) = tests.iter().find(|d| !d.holds && !d.indeterminate()) {
                return Some(d);
            }
        } else if book && !forced && !tests.iter().any(|d| d.indeterminate()) {
            return tests.first().copied();
        }
    }
    None
}

/// pgoracle's result on another branch, with its decisions, and the fields of `output` that
/// miss it (each within ε^(5/8) + 16κε with that branch's κ); `None` if it cannot be evaluated.
fn on_branch(
    t: &CheckCase,
    output: &Value,
    run: &RunOptions,
) -> Option<(Vec<Certified>, Vec<FieldComparison>)> {
    let case = t.request();
    let options = EvalOptions {
        conditioning: true,
        solve_conditioning: t.solve_conditioning,
    };
    let (result, decisions) = eval_certified(&case, &options, run).ok()?;
    let branch = result.get("output").and_then(Value::as_object)?;
    let kappa = branch
        .get("conditioning")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut expected = branch.clone();
    for key in [
        "conditioning",
        "indeterminate",
        "cg_iterations",
        "cg_residual",
    ] {
        expected.remove(key);
    }
    let rel = |field: &str| {
        kappa
            .get(field)
            .and_then(parse_value)
            .map_or_else(|| t.rel_of(field), |k| golden_rel(&t.scalar, k))
    };
    Some((decisions, disagreements(t, &expected, output, rel)))
}

/// The candidate of a clamped case misses the golden result, which has indeterminate clamps:
/// try pgoracle with those clamps flipped (every subset of up to 4 of them, else one at a
/// time) and accept the first branch the candidate agrees with.
fn clamp_branch(t: &CheckCase, output: &Value, report: &mut CaseReport) {
    let ats: Vec<usize> = t
        .indeterminate
        .iter()
        .filter(|d| d["decision"] == "clamp")
        .filter_map(|d| d["at"].as_u64().and_then(|k| usize::try_from(k).ok()))
        .collect();
    let subsets: Vec<Vec<usize>> = if ats.len() <= 4 {
        (1..1usize << ats.len())
            .map(|mask| {
                ats.iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, &at)| at)
                    .collect()
            })
            .collect()
    } else {
        ats.iter().map(|&at| vec![at]).collect()
    };
    for flipped in subsets {
        let run = RunOptions {
            flipped,
            ..RunOptions::default()
        };
        if let Some((_, fields)) = on_branch(t, output, &run)
            && fields.is_empty()
        {
            report.fields = fields;
            report.branch = Some(format!(
                "the clamp of sample(s) {:?} taken the other way",
                run.flipped
            ));
            return;
        }
    }
}

/// The candidate gave another `steps`/`accepted` than the golden result: evaluate pgoracle on
/// the candidate's branch and judge the candidate against that, if the branch departs from the
/// book's only at indeterminate decisions.
fn linesearch_branch(t: &CheckCase, output: &Value, report: &mut CaseReport) {
    let (Some(steps), Some(accepted)) = (
        crate::compare::steps_of(output),
        output.get("accepted").and_then(Value::as_bool),
    ) else {
        return;
    };
    let expected = t.expected.as_ref();
    let same_steps =
        expected.and_then(|e| crate::compare::steps_of(&Value::Object(e.clone()))) == Some(steps);
    let same = |key: &str, v: Value| expected.and_then(|e| e.get(key)) == Some(&v);
    if same_steps && same("accepted", Value::from(accepted)) {
        return;
    }
    let accept_at = if accepted {
        usize::try_from(steps).ok()
    } else {
        Some(usize::MAX)
    };
    let run = RunOptions {
        accept_at,
        ..RunOptions::default()
    };
    let Some((decisions, fields)) = on_branch(t, output, &run) else {
        return;
    };
    if let Some(d) = flipped_certain_decision(&decisions, accept_at.filter(|_| accepted)) {
        report.problem = Some(Problem::FlippedDecision {
            decision: d.decision.clone(),
            at: d.at,
            margin: d.margin,
            bound: d.bound,
        });
        return;
    }
    report.fields = fields;
    report.branch = Some(format!("steps = {steps}, accepted = {accepted}"));
}

/// The human-readable report: every disagreement, then a summary line.
pub fn render(reports: &[CaseReport]) -> String {
    let mut out = String::new();
    for r in reports.iter().filter(|r| !r.agrees()) {
        let t = &r.test;
        let _ = write!(out, "case {} ({}, {}): ", t.id, t.operation, t.scalar);
        if let Some(p) = &r.problem {
            let _ = writeln!(out, "{p}");
            continue;
        }
        let branch = r.branch.as_ref().map_or(String::new(), |b| {
            format!(" (on the candidate's branch, {b}, compared with pgoracle's result there)")
        });
        let _ = writeln!(out, "{} field(s) outside tolerance{branch}", r.fields.len());
        for c in &r.fields {
            match &c.reason {
                Some(reason) => {
                    let _ = writeln!(out, "  {}: {reason}", c.field);
                }
                None => {
                    let at = c.index.map_or(String::new(), |i| format!("[{i}]"));
                    let ulps = c.ulps.map_or("n/a".into(), |u| u.to_string());
                    let kappa = t.kappa.get(&c.field).and_then(parse_value);
                    let digits = t.certified_digits.get(&c.field).and_then(Value::as_u64);
                    let _ = writeln!(
                        out,
                        "  {}{at}: expected {}, got {}, abs error {:.3e}, rel error {:.3e} (tolerance {:.3e}, κ {}), {ulps} ULPs, {} digits agreed{}",
                        c.field,
                        c.expected.map_or("?".into(), |x| format!("{x:e}")),
                        c.got.map_or("?".into(), |x| format!("{x:e}")),
                        c.abs_error,
                        c.rel_error,
                        t.rel_of(&c.field),
                        kappa.map_or("1".into(), |k| format!("{k:.3e}")),
                        digits_agreed(c.rel_error),
                        digits.map_or(String::new(), |d| format!(" (the reference certifies {d})")),
                    );
                }
            }
        }
    }
    let missing = reports
        .iter()
        .filter(|r| r.problem == Some(Problem::Missing))
        .count();
    let agree = reports.iter().filter(|r| r.agrees()).count();
    let branches = reports
        .iter()
        .filter(|r| r.agrees() && r.branch.is_some())
        .count();
    if branches > 0 {
        let _ = writeln!(
            out,
            "{branches} case(s) agree on the other branch of an indeterminate decision"
        );
    }
    let _ = write!(
        out,
        "pgoracle check: {} cases, {agree} agree, {} differ, {missing} missing",
        reports.len(),
        reports.len() - agree - missing
    );
    out
}

/// The significant decimal digits on which two values agree, from their normwise relative
/// error: ⌊−log₁₀ rel⌋, 0 for rel ≥ 1, 17 for an exact match.
pub fn digits_agreed(rel_error: f64) -> u32 {
    if rel_error == 0.0 {
        17
    } else if rel_error.is_nan() || rel_error >= 1.0 {
        0
    } else {
        (-rel_error.log10()).floor().min(17.0) as u32
    }
}
