//! `pgoracle._core`: the oracle's `eval` and golden files for Python (issue #18), and `hunt`
//! with a Python callable as the candidate (issue #19).
//!
//! Thin on purpose: JSON text in, JSON text out, through the same functions as the CLI
//! (`pgoracle eval`), so the results are the CLI's byte for byte once parsed. Every call runs
//! under `catch_unwind`: a Rust panic becomes `pgoracle._core.OracleError`, never an abort.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pgoracle_hunt::candidate::{Answer, Function, Misbehaviour};
use pgoracle_hunt::report::{golden_files as hunt_golden_files, summary, summary_json};
use pgoracle_hunt::{Options, Progress};
use pgoracle_oracle::check as checker;
use pgoracle_oracle::golden as golden_files;
use pgoracle_oracle::golden_file;
use pgoracle_oracle::{DocError, EvalOptions, eval_document_with, parse_document};
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError, PySystemExit, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTracebackMethods;
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

/// The Python value of an outcome: the text, a `DocumentError`, or an `OracleError` naming
/// `what` could not be serialised.
fn returned(py: Python<'_>, outcome: Result<String, Failure>, what: &str) -> PyResult<String> {
    match outcome {
        Ok(s) => Ok(s),
        Err(Failure::Doc(e)) => Err(document_error(py, &e)),
        Err(Failure::Serialise(m)) => Err(OracleError::new_err(format!(
            "cannot serialise the {what}: {m}"
        ))),
    }
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
    returned(py, outcome, "result")
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
    returned(py, outcome, "golden files")
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
    returned(py, outcome, "report")
}

/// The text of a Python exception: its traceback (when it has one), then `Type: message`.
fn exception_text(py: Python<'_>, e: &PyErr) -> String {
    let tb = e
        .traceback(py)
        .and_then(|t| t.format().ok())
        .unwrap_or_default();
    format!("{tb}{e}")
}

/// One answer of the Python candidate: `adapter` is called with the case as JSON text and
/// returns the result as JSON text. An exception is a crash (with its traceback), text that is
/// not a JSON object is garbled, another `id` is a wrong id. A `KeyboardInterrupt` or
/// `SystemExit` (or a pending signal) is kept in `interrupt`: from then on every answer is a
/// crash without calling Python, so the hunt ends at once, and `hunt` raises it.
fn python_answer(adapter: &Py<PyAny>, case: &Value, interrupt: &mut Option<PyErr>) -> Answer {
    let interrupted = || Err((Misbehaviour::Crash, "interrupted".to_string()));
    if interrupt.is_some() {
        return interrupted();
    }
    Python::attach(|py| {
        if let Err(e) = py.check_signals() {
            *interrupt = Some(e);
            return interrupted();
        }
        let returned = match adapter.bind(py).call1((case.to_string(),)) {
            Ok(r) => r,
            Err(e) => {
                if e.is_instance_of::<PyKeyboardInterrupt>(py)
                    || e.is_instance_of::<PySystemExit>(py)
                {
                    *interrupt = Some(e);
                    return interrupted();
                }
                return Err((Misbehaviour::Crash, exception_text(py, &e)));
            }
        };
        let Ok(text) = returned.extract::<String>() else {
            let said = returned
                .repr()
                .map_or_else(|_| "(a value without repr)".to_string(), |r| r.to_string());
            return Err((Misbehaviour::Garbled, said));
        };
        match serde_json::from_str::<Value>(&text) {
            Ok(result) if result.is_object() => {
                if result.get("id") == case.get("id") {
                    Ok(result)
                } else {
                    Err((Misbehaviour::WrongId, text))
                }
            }
            _ => Err((Misbehaviour::Garbled, text)),
        }
    })
}

/// The hunt's options from `hunt`'s arguments (the CLI's: [`Options::for_names`]).
fn hunt_options(
    operation: &str,
    profile: Option<&str>,
    cases: u64,
    seed: u64,
    time: f64,
) -> PyResult<Options> {
    let mut options = Options::for_names(operation, profile).map_err(PyValueError::new_err)?;
    options.seed = seed;
    options.cases = cases;
    options.time = std::time::Duration::try_from_secs_f64(time)
        .map_err(|_| PyValueError::new_err(format!("time {time}: not a number of seconds")))?;
    Ok(options)
}

/// `pgoracle hunt` with the Python callable `adapter` as the candidate (in-process: case JSON
/// text in, result JSON text out). Returns JSON text `{"summary": <summary_json>, "text":
/// <summary>, "golden": {"<operation>": <golden file text>, ...}, "exit_code": 0 | 1}`. The
/// GIL is released while pgoracle works and taken for each call of `adapter`.
#[pyfunction]
#[pyo3(signature = (adapter, operation, profile = None, cases = 1000, seed = 0, time = 60.0))]
fn hunt(
    py: Python<'_>,
    adapter: Py<PyAny>,
    operation: &str,
    profile: Option<&str>,
    cases: u64,
    seed: u64,
    time: f64,
) -> PyResult<String> {
    let options = hunt_options(operation, profile, cases, seed, time)?;
    let (outcome, interrupt) = py.detach(move || {
        let mut interrupt: Option<PyErr> = None;
        let outcome = guarded("hunt", || -> Result<String, Failure> {
            let mut candidate =
                Function(|case: &Value| python_answer(&adapter, case, &mut interrupt));
            let report = pgoracle_hunt::hunt(&mut candidate, &options, &mut |_: Progress| {});
            let mut golden = serde_json::Map::new();
            for file in hunt_golden_files(&report) {
                let text =
                    golden_file::to_text(&file).map_err(|e| Failure::Serialise(e.to_string()))?;
                golden.insert(file.operation.name().to_string(), Value::String(text));
            }
            let out = serde_json::json!({
                "summary": summary_json(&report),
                "text": summary(&report),
                "golden": golden,
                "exit_code": report.exit_code(),
            });
            serde_json::to_string(&out).map_err(|e| Failure::Serialise(e.to_string()))
        });
        (outcome, interrupt)
    });
    if let Some(e) = interrupt {
        return Err(e);
    }
    returned(py, outcome?, "hunt's report")
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
    m.add_function(wrap_pyfunction!(hunt, m)?)?;
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
