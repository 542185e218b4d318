//! `pgoracle check GOLDEN CANDIDATE`: compare another implementation's results with the golden
//! files, field by field, within each case's recorded tolerance.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use super::DocError;
use super::compare::{FieldComparison, compare_field};
use super::golden_file::{GoldenFile, GoldenTest, SCHEMA};
use super::operation::Operation;

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
    /// Relative tolerance.
    pub rel: f64,
}

impl From<&GoldenTest> for CheckCase {
    fn from(t: &GoldenTest) -> Self {
        CheckCase {
            id: t.id.clone(),
            operation: t.operation,
            scalar: t.scalar.clone(),
            expected: t.expected.clone(),
            expected_error: t.expected_error.clone(),
            rel: t.tolerance.as_ref().map_or(0.0, |tol| tol.rel),
        }
    }
}

/// What is wrong with a case as a whole (rather than with one of its fields).
#[derive(Debug, Clone, PartialEq, Eq)]
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
            };
            let Some(result) = candidate.get(&t.id.to_string()) else {
                report.problem = Some(Problem::Missing);
                return report;
            };
            let got_error = result["error"]["kind"].as_str();
            match (&t.expected_error, &t.expected) {
                (Some(kind), _) => {
                    if got_error != Some(kind.as_str()) {
                        report.problem = Some(Problem::WrongError {
                            expected: kind.clone(),
                            got: got_error.map(str::to_string),
                        });
                    }
                }
                (None, Some(expected)) => match result.get("output") {
                    None => {
                        report.problem = Some(Problem::NoOutput {
                            got: got_error.map(str::to_string),
                        });
                    }
                    Some(output) => {
                        for (field, value) in expected {
                            let c = compare_field(
                                field,
                                value,
                                output.get(field),
                                t.rel,
                                t.scalar == "f32",
                            );
                            if !c.ok {
                                report.fields.push(c);
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
        let _ = writeln!(
            out,
            "{} field(s) outside tolerance rel {:.3e}",
            r.fields.len(),
            t.rel
        );
        for c in &r.fields {
            match &c.reason {
                Some(reason) => {
                    let _ = writeln!(out, "  {}: {reason}", c.field);
                }
                None => {
                    let at = c.index.map_or(String::new(), |i| format!("[{i}]"));
                    let ulps = c.ulps.map_or("n/a".into(), |u| u.to_string());
                    let _ = writeln!(
                        out,
                        "  {}{at}: expected {}, got {}, abs error {:.3e}, rel error {:.3e}, {ulps} ULPs",
                        c.field,
                        c.expected.map_or("?".into(), |x| format!("{x:e}")),
                        c.got.map_or("?".into(), |x| format!("{x:e}")),
                        c.abs_error,
                        c.rel_error,
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
    let _ = write!(
        out,
        "pgoracle check: {} cases, {agree} agree, {} differ, {missing} missing",
        reports.len(),
        reports.len() - agree - missing
    );
    out
}
