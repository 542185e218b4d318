//! The oracle interface (`shared/spec/oracle-interface.md`, version 1): JSON cases in, JSON
//! results out, for the `pgoracle eval` command.
//!
//! A case is `{ "id", "operation", "scalar"?, "input" }`; its result is
//! `{ "id", "operation", "output" }` or `{ "id", "operation", "error": { "kind", "message" } }`.
//! An invalid *document* (malformed JSON, unknown operation, missing, unknown or mistyped
//! field) is a [`DocError`]: the command exits with status 2 and writes nothing to stdout.

pub mod check;
pub mod compare;
pub mod conditioning;
pub mod explain;
pub mod fields;
pub mod golden;
pub mod golden_file;
pub mod layout;
pub mod number;
pub mod operation;
pub mod ops;
pub mod policy_json;
pub mod profile;
pub mod profile_ops;

use serde_json::{Map, Value};

use fields::Fields;
pub use operation::Operation;

/// An invalid document: which case, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("case {id}: field `{field}`: {message}")]
pub struct DocError {
    /// The case id as JSON text (`"?"` when the case has none).
    pub id: String,
    /// Path of the offending field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl DocError {
    /// A document error for case `id` at `field`.
    pub fn new(id: &str, field: &str, message: &str) -> Self {
        DocError {
            id: id.to_string(),
            field: field.to_string(),
            message: message.to_string(),
        }
    }
}

/// What [`eval_case_with`] adds to the interface's output.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct EvalOptions {
    /// Add `conditioning`: κ of every real output field ([`conditioning`]).
    pub conditioning: bool,
    /// The 2-norm condition number of the matrix a natural-gradient solve used, added to the
    /// κ of the solve's fields (the golden generator takes it from the reference). 0: computed
    /// from the output's `fisher` ([`conditioning::solved_matrix_conditioning`]).
    pub solve_conditioning: f64,
}

/// Evaluates one case object: the interface's output, plus `indeterminate` when a decision
/// is within its rounding bound ([`conditioning`]).
///
/// # Errors
/// [`DocError`] when the case is not a valid document.
pub fn eval_case(case: &Value) -> Result<Value, DocError> {
    eval_case_with(case, &EvalOptions::default())
}

/// [`eval_case`] with options: κ per field (`conditioning`), and the forced branch of
/// [`ops::RunOptions`] (`pgoracle check`'s evaluation of another implementation's branch).
///
/// # Errors
/// [`DocError`] when the case is not a valid document.
pub fn eval_case_with(case: &Value, options: &EvalOptions) -> Result<Value, DocError> {
    eval_case_following(case, options, &ops::RunOptions::default())
}

/// [`eval_case_with`] on the branch `run` prescribes.
///
/// # Errors
/// [`DocError`] when the case is not a valid document.
pub fn eval_case_following(
    case: &Value,
    options: &EvalOptions,
    run: &ops::RunOptions,
) -> Result<Value, DocError> {
    eval_certified(case, options, run).map(|(result, _)| result)
}

/// [`eval_case_following`], with every decision the evaluation took and its rounding bound
/// (empty for an error or an operation without decisions).
///
/// # Errors
/// [`DocError`] when the case is not a valid document.
pub fn eval_certified(
    case: &Value,
    options: &EvalOptions,
    run: &ops::RunOptions,
) -> Result<(Value, Vec<conditioning::Certified>), DocError> {
    let id_value = case.get("id").cloned();
    let id_text = match &id_value {
        Some(v @ Value::String(_)) => v.to_string(),
        Some(Value::Number(n)) if is_integer_literal(n.as_str()) => n.to_string(),
        _ => "?".to_string(),
    };
    let mut top = Fields::new(case, "", &id_text)?;
    let id = top.required("id")?.clone();
    if id_text == "?" {
        return Err(top.error("id", "expected a string or an integer"));
    }
    let operation: Operation = top
        .string("operation")?
        .parse()
        .map_err(|e: operation::UnknownOperation| top.error("operation", &e.to_string()))?;
    let scalar = match top.optional("scalar") {
        None => "f64",
        Some(Value::String(s)) if s == "f64" || s == "f32" => s.as_str(),
        Some(_) => return Err(top.error("scalar", "expected \"f64\" or \"f32\"")),
    };
    let context = profile::read_context(&mut top)?;
    let input_value = top.required("input")?;
    let mut input = Fields::new(input_value, "input", &id_text)?;
    top.finish()?;
    let run = &ops::RunOptions {
        context: context.clone(),
        ..run.clone()
    };
    let outcome = match scalar {
        "f32" => ops::run::<f32>(operation, &mut input, run)?,
        _ => ops::run::<f64>(operation, &mut input, run)?,
    };
    let mut result = Map::new();
    let mut decisions = Vec::new();
    result.insert("id".into(), id);
    result.insert("operation".into(), Value::String(operation.name().into()));
    match outcome {
        Ok(Value::Object(mut output)) => {
            let certificate = conditioning::certify(
                operation,
                scalar,
                input_value,
                &id_text,
                &output,
                options.conditioning,
                if options.solve_conditioning > 0.0 {
                    options.solve_conditioning
                } else {
                    conditioning::solved_matrix_conditioning(input_value, &output)
                },
                &context,
            )?;
            for key in ops::INTERNAL_FIELDS {
                output.remove(key);
            }
            let indeterminate = certificate.indeterminate();
            if !indeterminate.is_empty() {
                output.insert("indeterminate".into(), Value::Array(indeterminate));
            }
            if let Some(kappa) = certificate.kappa {
                output.insert("conditioning".into(), Value::Object(kappa));
            }
            decisions = certificate.decisions;
            result.insert("output".into(), Value::Object(output));
        }
        Ok(output) => {
            result.insert("output".into(), output);
        }
        Err(e) => {
            let mut error = Map::new();
            error.insert("kind".into(), Value::String(e.kind().into()));
            error.insert("message".into(), Value::String(e.to_string()));
            if let Some(rank) = conditioning::rank_of_error(&e) {
                error.insert("indeterminate".into(), Value::Array(vec![rank.entry()]));
                decisions.push(rank);
            }
            result.insert("error".into(), Value::Object(error));
        }
    }
    Ok((Value::Object(result), decisions))
}

/// Whether a JSON number literal is an integer (any size: `-12`, `100000000000000000000`).
fn is_integer_literal(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Parses JSON text with the number handling of the interface (exact decimal strings).
///
/// # Errors
/// [`DocError`] for malformed JSON, with the line and column.
pub fn parse_document(text: &str) -> Result<Value, DocError> {
    serde_json::from_str(text)
        .map_err(|e| DocError::new("?", "(document)", &format!("malformed JSON: {e}")))
}

/// Evaluates a document holding one case or an array of cases; the result has the same shape.
/// Every case is evaluated before anything is returned, so a bad case anywhere means no output.
///
/// # Errors
/// The first [`DocError`].
pub fn eval_document(doc: &Value) -> Result<Value, DocError> {
    eval_document_with(doc, &EvalOptions::default())
}

/// [`eval_document`] with options ([`eval_case_with`]).
///
/// # Errors
/// The first [`DocError`].
pub fn eval_document_with(doc: &Value, options: &EvalOptions) -> Result<Value, DocError> {
    match doc {
        Value::Array(cases) => cases
            .iter()
            .map(|case| eval_case_with(case, options))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        _ => eval_case_with(doc, options),
    }
}
