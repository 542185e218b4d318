//! The `profile` and `conventions` fields of a version-2 case (`shared/spec/profiles.md`,
//! "Case fields"; `docs/profiles.md`): which preset of conventions a case is computed under,
//! and which single conventions it overrides.

use serde_json::{Map, Value};

use super::DocError;
use super::fields::Fields;
use pgoracle::conventions::{
    Acceptance, Advantages, Averaging, ClipBoundaryGradient, Conventions, FisherKind, KlForm,
    LinesearchKl, Nonfinite, Norm, NormalizeAdvantage, Probabilities, Profile, StepScale,
};

/// Every convention name, in the spec's table order (`check --explain` breaks ties by it).
pub const CONVENTION_NAMES: [&str; 15] = [
    "fisher",
    "damping",
    "solver",
    "step_scale",
    "linesearch_kl",
    "acceptance",
    "advantages",
    "normalize_advantage",
    "averaging",
    "norm",
    "clip_norm_epsilon",
    "nonfinite",
    "probabilities",
    "clip_boundary_gradient",
    "kl_form",
];

/// The conventions a case is computed under.
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    /// The case's profile (`book` when absent).
    pub profile: Profile,
    /// The profile's conventions with the case's overrides applied.
    pub conventions: Conventions,
    /// The names the case's `conventions` object set explicitly (they win over an operation's
    /// own hyper-parameters, such as SB3's `normalize_advantage: false`).
    pub overridden: Vec<&'static str>,
    /// The `solver` convention: a version-1 solver object (with `cg_start`, `cg_stop`) that
    /// replaces the operation's own.
    pub solver: Option<Value>,
}

impl Default for Context {
    fn default() -> Self {
        Context {
            profile: Profile::Book,
            conventions: Conventions::book(),
            overridden: Vec::new(),
            solver: None,
        }
    }
}

impl Context {
    /// Whether the case is version 1: the book's profile with no override.
    pub fn is_book(&self) -> bool {
        self.profile == Profile::Book && self.overridden.is_empty()
    }

    /// Whether `name` was set by the case's `conventions` object.
    pub fn overrides(&self, name: &str) -> bool {
        self.overridden.contains(&name)
    }

    /// The context of `profile` with `overrides` (convention name → JSON value) applied, as a
    /// case's `conventions` object would.
    ///
    /// # Errors
    /// [`DocError`] naming the convention for an unknown name or value.
    pub fn with_overrides(
        profile: Profile,
        overrides: &Map<String, Value>,
        id: &str,
    ) -> Result<Context, DocError> {
        let mut context = Context {
            profile,
            conventions: profile.conventions(),
            overridden: Vec::new(),
            solver: None,
        };
        for (name, value) in overrides {
            let path = format!("conventions.{name}");
            let known = CONVENTION_NAMES
                .iter()
                .find(|n| **n == name)
                .ok_or_else(|| {
                    DocError::new(
                        id,
                        &path,
                        &format!(
                            "unknown convention (one of {})",
                            CONVENTION_NAMES.join(", ")
                        ),
                    )
                })?;
            apply(&mut context, known, value)
                .map_err(|message| DocError::new(id, &path, &message))?;
            context.overridden.push(known);
        }
        Ok(context)
    }
}

/// Reads the optional `profile` and `conventions` fields of a case object.
///
/// # Errors
/// [`DocError`] for an unknown profile, convention name or value.
pub fn read_context(top: &mut Fields) -> Result<Context, DocError> {
    let profile = match top.optional("profile") {
        None => Profile::Book,
        Some(Value::String(name)) => Profile::from_name(name).ok_or_else(|| {
            top.error(
                "profile",
                &format!("unknown profile `{name}` (book, sb3, torch)"),
            )
        })?,
        Some(_) => return Err(top.error("profile", "expected a string")),
    };
    match top.optional("conventions") {
        None => Ok(Context::with_overrides(profile, &Map::new(), top.id())?),
        Some(Value::Object(map)) => Context::with_overrides(profile, map, top.id()),
        Some(_) => Err(top.error("conventions", "expected an object")),
    }
}

/// Sets convention `name` from its JSON value; the message of a bad value.
fn apply(context: &mut Context, name: &str, value: &Value) -> Result<(), String> {
    let c = &mut context.conventions;
    match name {
        "fisher" => c.fisher = named(value, FisherKind::from_name, FisherKind::ALL)?,
        "damping" => c.damping = non_negative(value)?,
        "solver" => {
            if !value.is_object() {
                return Err(
                    "expected a solver object (version 1's, plus cg_start and cg_stop)".into(),
                );
            }
            context.solver = Some(value.clone());
        }
        "step_scale" => c.step_scale = named(value, StepScale::from_name, StepScale::ALL)?,
        "linesearch_kl" => {
            c.linesearch_kl = named(value, LinesearchKl::from_name, LinesearchKl::ALL)?;
        }
        "acceptance" => c.acceptance = named(value, Acceptance::from_name, Acceptance::ALL)?,
        "advantages" => c.advantages = named(value, Advantages::from_name, Advantages::ALL)?,
        "normalize_advantage" => {
            c.normalize_advantage = named(
                value,
                NormalizeAdvantage::from_name,
                NormalizeAdvantage::ALL,
            )?;
        }
        "averaging" => c.averaging = named(value, Averaging::from_name, Averaging::ALL)?,
        "norm" => c.norm = named(value, Norm::from_name, Norm::ALL)?,
        "clip_norm_epsilon" => c.clip_norm_epsilon = non_negative(value)?,
        "nonfinite" => c.nonfinite = named(value, Nonfinite::from_name, Nonfinite::ALL)?,
        "probabilities" => {
            c.probabilities = named(value, Probabilities::from_name, Probabilities::ALL)?;
        }
        "clip_boundary_gradient" => {
            c.clip_boundary_gradient = named(
                value,
                ClipBoundaryGradient::from_name,
                ClipBoundaryGradient::ALL,
            )?;
        }
        _ => c.kl_form = named(value, KlForm::from_name, KlForm::ALL)?,
    }
    Ok(())
}

/// A convention value given by name.
fn named<V: Copy + std::fmt::Display>(
    value: &Value,
    parse: fn(&str) -> Option<V>,
    all: &[V],
) -> Result<V, String> {
    let names = || {
        all.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match value {
        Value::String(s) => parse(s).ok_or_else(|| format!("unknown value `{s}` ({})", names())),
        _ => Err(format!("expected a string ({})", names())),
    }
}

/// A finite number ≥ 0.
fn non_negative(value: &Value) -> Result<f64, String> {
    match value.as_f64() {
        Some(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err("expected a finite number ≥ 0".into()),
    }
}
