//! `pgoracle._core`: the oracle's `eval` and golden files for Python (issue #18).
//!
//! Thin on purpose: JSON text in, JSON text out, through the same functions as the CLI
//! (`pgoracle eval`), so the results are the CLI's byte for byte once parsed. Every call runs
//! under `catch_unwind`: a Rust panic becomes `pgoracle._core.OracleError`, never an abort.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pgoracle_oracle::check as checker;
use pgoracle_oracle::golden as golden_files;
use pgoracle_oracle::golden_file;
use pgoracle_oracle::{DocError, EvalOptions, eval_document_with, parse_document};
use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use serde_json::Value;

create_exception!(
    _core,
    DocumentError,
    PyValueError,
    "An invalid document: which case, which field, what is wrong."
);
create_exception!(
    _core,
    OracleError,
    PyRuntimeError,
    "An internal failure of the oracle (a Rust panic); please report it."
);

fn document_error(py: Python<'_>, e: &DocError) -> PyErr {
    let err = DocumentError::new_err(e.to_string());
    let value = err.value(py);
    // Attribute failures leave the message, which carries the same text.
    let _ = value.setattr("case_id", e.id.as_str());
    let _ = value.setattr("field", e.field.as_str());
    let _ = value.setattr("message", e.message.as_str());
    err
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs `f` and turns a panic into `OracleError`.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| {
        OracleError::new_err(format!("pgoracle {what} panicked: {}", panic_message(&*p)))
    })
}

enum Failure {
    Doc(DocError),
    Serialise(String),
}

/// Evaluates a document (one case or an array of cases) as `pgoracle eval` does and returns the
/// result as JSON text. `conditioning`: add κ per output field (`pgoracle eval --conditioning`).
#[pyfunction]
#[pyo3(signature = (text, conditioning = false))]
fn evaluate(py: Python<'_>, text: &str, conditioning: bool) -> PyResult<String> {
    let options = EvalOptions {
        conditioning,
        ..EvalOptions::default()
    };
    let outcome = guarded("evaluate", || -> Result<String, Failure> {
        let doc = parse_document(text).map_err(Failure::Doc)?;
        let out = eval_document_with(&doc, &options).map_err(Failure::Doc)?;
        serde_json::to_string(&out).map_err(|e| Failure::Serialise(e.to_string()))
    })?;
    match outcome {
        Ok(s) => Ok(s),
        Err(Failure::Doc(e)) => Err(document_error(py, &e)),
        Err(Failure::Serialise(m)) => Err(OracleError::new_err(format!(
            "cannot serialise the result: {m}"
        ))),
    }
}

/// The golden files generated from the reference embedded in the crate, as one JSON object
/// `{ "<operation>.json": <file>, ... }` (the files `pgoracle golden` writes).
#[pyfunction]
fn golden(py: Python<'_>) -> PyResult<String> {
    let outcome = guarded("golden", || -> Result<String, Failure> {
        let files = golden_files::generate_files().map_err(Failure::Doc)?;
        let mut map = serde_json::Map::new();
        for f in files {
            let v: Value =
                serde_json::from_str(&f.text).map_err(|e| Failure::Serialise(e.to_string()))?;
            map.insert(f.name, v);
        }
        serde_json::to_string(&Value::Object(map)).map_err(|e| Failure::Serialise(e.to_string()))
    })?;
    match outcome {
        Ok(s) => Ok(s),
        Err(Failure::Doc(e)) => Err(document_error(py, &e)),
        Err(Failure::Serialise(m)) => Err(OracleError::new_err(format!(
            "cannot serialise the golden files: {m}"
        ))),
    }
}

/// `pgoracle check` of one candidate result (JSON text) against one golden test (JSON text of
/// a test object of a golden file): `{"agrees": bool, "branch": str | null, "report": str}`.
/// Used where a decision is indeterminate: the candidate is compared with pgoracle's result on
/// the branch it took.
#[pyfunction]
fn check(py: Python<'_>, test: &str, candidate: &str) -> PyResult<String> {
    let outcome = guarded("check", || -> Result<String, Failure> {
        let golden: golden_file::GoldenTest = serde_json::from_str(test)
            .map_err(|e| Failure::Doc(DocError::new("?", "(golden test)", &e.to_string())))?;
        let case = checker::CheckCase::from(&golden);
        let results = checker::load_candidate(candidate).map_err(Failure::Doc)?;
        let reports = checker::check(std::slice::from_ref(&case), &results);
        let agrees = reports.iter().all(checker::CaseReport::agrees);
        let branch = reports.first().and_then(|r| r.branch.clone());
        let out = serde_json::json!({
            "agrees": agrees,
            "branch": branch,
            "report": checker::render(&reports),
        });
        serde_json::to_string(&out).map_err(|e| Failure::Serialise(e.to_string()))
    })?;
    match outcome {
        Ok(s) => Ok(s),
        Err(Failure::Doc(e)) => Err(document_error(py, &e)),
        Err(Failure::Serialise(m)) => Err(OracleError::new_err(format!(
            "cannot serialise the report: {m}"
        ))),
    }
}

/// For tests of the panic guard only: panics inside `catch_unwind`.
#[pyfunction]
fn _panic() -> PyResult<()> {
    guarded("_panic", || panic!("deliberate panic"))
}

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(golden, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(_panic, m)?)?;
    for ty in [
        m.py().get_type::<DocumentError>(),
        m.py().get_type::<OracleError>(),
    ] {
        // `create_exception!` names the module `_core`; the import path is `pgoracle._core`.
        ty.setattr("__module__", "pgoracle._core")?;
        m.add(ty.name()?, ty)?;
    }
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
