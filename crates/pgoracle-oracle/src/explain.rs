//! `pgoracle check --explain` (`shared/spec/profiles.md`, "Explaining a difference"): for each
//! case where a candidate misses the golden answer, the smallest set of conventions under which
//! pgoracle reproduces the candidate within tolerance, or none.
//!
//! The search runs over the conventions the case's operation reads ([`relevant`]), each with
//! the values that the defined profiles give it other than the case's own; sets are tried by
//! size, and among sets of one size in the order of the spec's table ([`CONVENTION_NAMES`]).
//! `null` means no known convention explains the difference: look for a bug.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::check::{CheckCase, check};
use super::compare::compare_field;
use super::profile::{CONVENTION_NAMES, Context};
use super::profile_ops::relevant;
use pgoracle::conventions::{Conventions, Profile};

/// The explanation of one golden case.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The case id.
    pub id: Value,
    /// Whether the candidate agrees with the golden answer.
    pub agrees: bool,
    /// The smallest set of conventions that reproduces the candidate (`None`: no set does).
    pub explained_by: Option<Vec<String>>,
    /// The candidate's largest normwise relative error over its fields, against pgoracle under
    /// `explained_by` (against the golden answer when nothing explains it).
    pub error_after: f64,
}

impl Explanation {
    /// The `--json` entry: `{ "id", "agrees": true }` or
    /// `{ "id", "agrees": false, "explained_by": [...] | null, "error_after": x }`.
    pub fn to_json(&self) -> Value {
        if self.agrees {
            return json!({ "id": self.id, "agrees": true });
        }
        json!({
            "id": self.id,
            "agrees": false,
            "explained_by": self.explained_by,
            "error_after": if self.error_after.is_finite() {
                json!(self.error_after)
            } else {
                json!("Infinity")
            },
        })
    }
}

/// The values the defined profiles give convention `name`, as `conventions` JSON values.
fn profile_values(name: &str) -> Vec<Value> {
    let mut presets: Vec<Conventions> = Profile::ALL.iter().map(|p| p.conventions()).collect();
    presets.push(Conventions::for_ppo(Profile::Sb3));
    let mut values: Vec<Value> = Vec::new();
    for c in &presets {
        let value = match name {
            "fisher" => json!(c.fisher.name()),
            "damping" => json!(c.damping),
            "solver" => continue,
            "step_scale" => json!(c.step_scale.name()),
            "linesearch_kl" => json!(c.linesearch_kl.name()),
            "acceptance" => json!(c.acceptance.name()),
            "advantages" => json!(c.advantages.name()),
            "normalize_advantage" => json!(c.normalize_advantage.name()),
            "averaging" => json!(c.averaging.name()),
            "norm" => json!(c.norm.name()),
            "clip_norm_epsilon" => json!(c.clip_norm_epsilon),
            "nonfinite" => json!(c.nonfinite.name()),
            "probabilities" => json!(c.probabilities.name()),
            "clip_boundary_gradient" => json!(c.clip_boundary_gradient.name()),
            _ => json!(c.kl_form.name()),
        };
        if !values.contains(&value) {
            values.push(value);
        }
    }
    if name == "solver" {
        // The book's is the case's own solver; sb3's is sb3-contrib's CG
        // (`conjugate_gradient_solver`: from 0 here, ‖r‖² < 10⁻¹⁰, `cg_max_steps` = 15).
        values.push(json!({
            "kind": "conjugate_gradient", "max_iters": 15, "tol": 1e-10,
            "cg_stop": "absolute_squared",
        }));
    }
    values
}

/// The alternatives of one convention for a case in `context`: the profiles' values other than
/// the one the case already computes with.
fn alternatives(name: &'static str, context: &Context) -> Vec<(&'static str, Value)> {
    let own = Context::with_overrides(context.profile, &Map::new(), "?")
        .map(|c| c.conventions)
        .unwrap_or_default();
    profile_values(name)
        .into_iter()
        .filter(|v| {
            let mut one = Map::new();
            one.insert(name.to_string(), v.clone());
            name == "solver"
                || Context::with_overrides(context.profile, &one, "?")
                    .is_ok_and(|c| c.conventions != own)
        })
        .map(|v| (name, v))
        .collect()
}

/// The largest normwise relative error of the candidate's output over the expected fields.
fn largest_error(test: &CheckCase, expected: &Map<String, Value>, output: &Value) -> f64 {
    expected
        .iter()
        .filter(|(k, _)| k.as_str() != "departures")
        .filter(|(_, v)| !(v.is_boolean() || v.is_null()))
        .map(|(field, value)| {
            compare_field(
                field,
                value,
                output.get(field),
                test.rel_of(field),
                test.scalar == "f32",
            )
            .rel_error
        })
        .fold(0.0, f64::max)
}

/// Every subset of `options` of size `k` in order (combinations, lexicographic).
fn combinations<T: Clone>(options: &[T], k: usize) -> Vec<Vec<T>> {
    if k == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, first) in options.iter().enumerate() {
        for mut rest in combinations(&options[i + 1..], k - 1) {
            rest.insert(0, first.clone());
            out.push(rest);
        }
    }
    out
}

/// Explains every golden case against the candidate's results.
pub fn explain(tests: &[CheckCase], candidate: &HashMap<String, Value>) -> Vec<Explanation> {
    let reports = check(tests, candidate);
    tests
        .iter()
        .zip(reports)
        .map(|(test, report)| {
            let result = candidate.get(&test.id.to_string());
            let output = result.and_then(|r| r.get("output")).cloned();
            let book_error = match (&test.expected, &output) {
                (Some(e), Some(o)) => largest_error(test, e, o),
                _ => f64::INFINITY,
            };
            if report.agrees() {
                return Explanation {
                    id: test.id.clone(),
                    agrees: true,
                    explained_by: None,
                    error_after: book_error,
                };
            }
            let (explained_by, error_after) =
                search(test, candidate).map_or((None, book_error), |(names, e)| (Some(names), e));
            Explanation {
                id: test.id.clone(),
                agrees: false,
                explained_by,
                error_after,
            }
        })
        .collect()
}

/// The smallest set of conventions under which pgoracle's evaluation of `test` agrees with the
/// candidate, and the candidate's error against it.
fn search(test: &CheckCase, candidate: &HashMap<String, Value>) -> Option<(Vec<String>, f64)> {
    let request = test.request();
    let context = {
        let profile = test
            .profile
            .as_deref()
            .and_then(Profile::from_name)
            .unwrap_or(Profile::Book);
        let overrides = test.conventions.clone().unwrap_or_default();
        Context::with_overrides(profile, &overrides, "?").ok()?
    };
    let names: Vec<&'static str> = CONVENTION_NAMES
        .iter()
        .copied()
        .filter(|n| relevant(test.operation).contains(n))
        .collect();
    for k in 1..=names.len() {
        for set in combinations(&names, k) {
            let choices: Vec<Vec<(&str, Value)>> =
                set.iter().map(|n| alternatives(n, &context)).collect();
            for assignment in product(&choices) {
                let mut overrides = test.conventions.clone().unwrap_or_default();
                for (name, value) in &assignment {
                    overrides.insert((*name).to_string(), value.clone());
                }
                let mut req = request.clone();
                req["conventions"] = Value::Object(overrides);
                let Ok(case) = CheckCase::evaluated(&req) else {
                    continue;
                };
                let report = check(std::slice::from_ref(&case), candidate);
                if report[0].agrees() {
                    let error = match (&case.expected, candidate.get(&test.id.to_string())) {
                        (Some(e), Some(r)) => {
                            r.get("output").map_or(0.0, |o| largest_error(&case, e, o))
                        }
                        _ => 0.0,
                    };
                    return Some((set.iter().map(|s| (*s).to_string()).collect(), error));
                }
            }
        }
    }
    None
}

/// Every way of picking one alternative per convention.
fn product<'a>(choices: &[Vec<(&'a str, Value)>]) -> Vec<Vec<(&'a str, Value)>> {
    let mut out = vec![Vec::new()];
    for options in choices {
        let mut next = Vec::new();
        for partial in &out {
            for option in options {
                let mut p: Vec<(&str, Value)> = partial.clone();
                p.push(option.clone());
                next.push(p);
            }
        }
        out = next;
    }
    out
}

/// The text report: one line per case.
pub fn render(explanations: &[Explanation]) -> String {
    let mut text = String::new();
    for e in explanations {
        let line = if e.agrees {
            format!("{}: agrees with the golden answer\n", e.id)
        } else {
            match &e.explained_by {
                Some(names) => format!(
                    "{}: explained by {} (largest relative error after: {:.2e})\n",
                    e.id,
                    names.join(" + "),
                    e.error_after
                ),
                None => format!(
                    "{}: no known convention explains the difference (largest relative error \
                     {:.2e}): likely a bug\n",
                    e.id, e.error_after
                ),
            }
        };
        text.push_str(&line);
    }
    let unexplained = explanations
        .iter()
        .filter(|e| !e.agrees && e.explained_by.is_none())
        .count();
    let explained = explanations
        .iter()
        .filter(|e| e.explained_by.is_some())
        .count();
    let agree = explanations.iter().filter(|e| e.agrees).count();
    text.push_str(&format!(
        "{} cases: {agree} agree, {explained} explained by conventions, {unexplained} unexplained\n",
        explanations.len()
    ));
    text
}
