//! Policies and trajectories in the oracle's JSON (`"policy": {"family": …}` and arrays of
//! `{ "s", "a", "r" }` steps).

use serde_json::Value;

use super::DocError;
use super::fields::{Fields, parse_count};
use super::number::{JsonScalar, parse_number};
use pgoracle::policy::{Gaussian, GaussianLogStd, LinearGaussian, Policy, Softmax};
use pgoracle::samples::Sample;
use pgoracle::trajectory::{PolicyTrajectory, Step};

/// A policy whose states and actions can be read from JSON.
pub trait JsonPolicy<T: JsonScalar>: Policy<T> {
    /// Reads a state.
    fn state(&self, v: &Value, path: &str, id: &str) -> Result<Self::State, DocError>;
    /// Reads an action.
    fn action(&self, v: &Value, path: &str, id: &str) -> Result<Self::Action, DocError>;
}

fn real<T: JsonScalar>(v: &Value, path: &str, id: &str) -> Result<T, DocError> {
    parse_number(v).ok_or_else(|| DocError::new(id, path, "expected a number"))
}

fn index(v: &Value, path: &str, id: &str) -> Result<usize, DocError> {
    parse_count(v).ok_or_else(|| DocError::new(id, path, "expected a 0-based integer index"))
}

/// The Gaussian families (`gaussian`, `linear_gaussian`): real states and actions. One impl per
/// family, because a blanket impl over the core's `LinearMean` would overlap the softmax impl
/// for the coherence checker once the two traits live in different crates.
macro_rules! real_valued_policy {
    ($($family:ty),*) => {$(
        impl<T: JsonScalar> JsonPolicy<T> for $family {
            fn state(&self, v: &Value, path: &str, id: &str) -> Result<T, DocError> {
                real(v, path, id)
            }
            fn action(&self, v: &Value, path: &str, id: &str) -> Result<T, DocError> {
                real(v, path, id)
            }
        }
    )*};
}
real_valued_policy!(Gaussian, LinearGaussian, GaussianLogStd);

impl<T: JsonScalar> JsonPolicy<T> for Softmax {
    fn state(&self, v: &Value, path: &str, id: &str) -> Result<usize, DocError> {
        index(v, path, id)
    }
    fn action(&self, v: &Value, path: &str, id: &str) -> Result<usize, DocError> {
        index(v, path, id)
    }
}

/// The `policy` object of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySpec {
    /// `{"family": "gaussian"}`.
    Gaussian,
    /// `{"family": "linear_gaussian"}`.
    LinearGaussian,
    /// `{"family": "gaussian_log_std"}` (version 2): θ = [μ, log σ].
    GaussianLogStd,
    /// `{"family": "softmax", "n_states": n, "n_actions": k}` with n, k ≥ 1.
    Softmax(Softmax),
}

/// Reads the `policy` field.
pub fn policy_spec(f: &mut Fields) -> Result<PolicySpec, DocError> {
    let mut p = f.object("policy")?;
    let spec = match p.string("family")? {
        "gaussian" => PolicySpec::Gaussian,
        "linear_gaussian" => PolicySpec::LinearGaussian,
        "gaussian_log_std" => PolicySpec::GaussianLogStd,
        "softmax" => {
            let n_states = p.count("n_states")?;
            let n_actions = p.count("n_actions")?;
            let table = Softmax::new(n_states, n_actions).map_err(|e| {
                p.error(
                    if n_states == 0 {
                        "n_states"
                    } else {
                        "n_actions"
                    },
                    &format!("expected a positive integer ({e})"),
                )
            })?;
            PolicySpec::Softmax(table)
        }
        other => {
            return Err(p.error(
                "family",
                &format!("unknown family `{other}` (gaussian, linear_gaussian, softmax, gaussian_log_std)"),
            ));
        }
    };
    p.finish()?;
    Ok(spec)
}

/// Reads the `trajectories` field: an array of arrays of `{ "s", "a", "r" }` steps.
pub fn trajectories<T: JsonScalar, P: JsonPolicy<T>>(
    policy: &P,
    f: &mut Fields,
) -> Result<Vec<PolicyTrajectory<T, P>>, DocError> {
    let id = f.id();
    f.array("trajectories")?
        .into_iter()
        .map(|(tau, path)| {
            let steps = tau
                .as_array()
                .ok_or_else(|| DocError::new(id, &path, "expected an array of steps"))?;
            steps
                .iter()
                .enumerate()
                .map(|(k, step)| {
                    let step_path = format!("{path}[{k}]");
                    let mut s = Fields::new(step, &step_path, id)?;
                    let state = policy.state(s.required("s")?, &format!("{step_path}.s"), id)?;
                    let action = policy.action(s.required("a")?, &format!("{step_path}.a"), id)?;
                    let r = s.scalar("r")?;
                    s.finish()?;
                    Ok(Step {
                        s: state,
                        a: action,
                        r,
                    })
                })
                .collect()
        })
        .collect()
}

/// A flat batch of policy `P`'s samples.
pub type Batch<T, P> = Vec<Sample<<P as Policy<T>>::State, <P as Policy<T>>::Action, T>>;

/// Reads the `samples` field (version 2, `advantages: supplied`): an array of
/// `{ "s", "a", "advantage" }`.
pub fn samples<T: JsonScalar, P: JsonPolicy<T>>(
    policy: &P,
    f: &mut Fields,
) -> Result<Batch<T, P>, DocError> {
    let id = f.id();
    let items = f.array("samples")?;
    if items.is_empty() {
        return Err(f.error("samples", "expected at least one sample"));
    }
    items
        .into_iter()
        .map(|(item, path)| {
            let mut x = Fields::new(item, &path, id)?;
            let s = policy.state(x.required("s")?, &format!("{path}.s"), id)?;
            let a = policy.action(x.required("a")?, &format!("{path}.a"), id)?;
            let advantage = x.scalar("advantage")?;
            x.finish()?;
            Ok(Sample { s, a, advantage })
        })
        .collect()
}
