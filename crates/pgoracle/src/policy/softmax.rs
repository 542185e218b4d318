//! The tabular softmax policy π_θ(a | s) = exp θ[s,a] / Σ_b exp θ[s,b].

use nalgebra::DVector;

use super::Policy;
use crate::error::{PgError, Result};
use crate::scalar::{Scalar, check_finite_vec, check_len, finite_scalar};

/// Softmax over `n_actions` logits per state; θ holds `n_states × n_actions` logits,
/// row-major by state. States and actions are 0-based indices.
///
/// ∂/∂θ[s′,b] log π_θ(a | s) = 1{s′ = s}(1{b = a} − π_θ(b | s)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Softmax {
    n_states: usize,
    n_actions: usize,
}

impl Softmax {
    /// A softmax table with `n_states` rows of `n_actions` logits; both must be ≥ 1.
    pub fn new(n_states: usize, n_actions: usize) -> Result<Self> {
        if n_states == 0 {
            return Err(PgError::invalid("n_states", "must be ≥ 1"));
        }
        if n_actions == 0 {
            return Err(PgError::invalid("n_actions", "must be ≥ 1"));
        }
        if n_states.checked_mul(n_actions).is_none() {
            return Err(PgError::invalid(
                "n_actions",
                "n_states·n_actions overflows",
            ));
        }
        Ok(Softmax {
            n_states,
            n_actions,
        })
    }

    /// Number of states.
    pub fn n_states(&self) -> usize {
        self.n_states
    }

    /// Number of actions.
    pub fn n_actions(&self) -> usize {
        self.n_actions
    }

    fn check_state(&self, s: usize, field: &str) -> Result<()> {
        if s < self.n_states {
            Ok(())
        } else {
            Err(PgError::mismatch(field, self.n_states, s))
        }
    }

    fn check_action(&self, a: usize, field: &str) -> Result<()> {
        if a < self.n_actions {
            Ok(())
        } else {
            Err(PgError::mismatch(field, self.n_actions, a))
        }
    }

    /// log π_θ(· | s) for row `s`: θ[s,b] − logsumexp_b θ[s,b], computed with the row maximum
    /// subtracted so no exponential overflows. Checks θ's length and the row's finiteness only
    /// (O(n_actions), not O(n) per step); the entry points check all of θ once.
    fn log_probs<T: Scalar>(&self, theta: &DVector<T>, s: usize, field: &str) -> Result<Vec<T>> {
        check_len(theta, self.n_states * self.n_actions, field)?;
        self.check_state(s, "s")?;
        let row = theta.rows(s * self.n_actions, self.n_actions);
        if let Some(b) = row.iter().position(|x| !x.is_finite()) {
            return Err(PgError::NonFiniteInput {
                field: format!("{field}[{}]", s * self.n_actions + b),
            });
        }
        let max = row.iter().fold(row[0], |m, x| m.max(*x));
        let sum = row.iter().fold(T::zero(), |acc, x| acc + (*x - max).exp());
        let lse = max + sum.ln();
        Ok(row.iter().map(|x| *x - lse).collect())
    }
}

impl<T: Scalar> Policy<T> for Softmax {
    type State = usize;
    type Action = usize;

    fn n_params(&self) -> usize {
        self.n_states * self.n_actions
    }

    fn check_theta(&self, theta: &DVector<T>, field: &str) -> Result<()> {
        check_len(theta, self.n_states * self.n_actions, field)?;
        check_finite_vec(theta, field)
    }

    fn check_step<F: Fn() -> String>(&self, s: &usize, a: &usize, field: F) -> Result<()> {
        if *s >= self.n_states {
            return self.check_state(*s, &format!("{}.s", field()));
        }
        if *a >= self.n_actions {
            return self.check_action(*a, &format!("{}.a", field()));
        }
        Ok(())
    }

    fn log_density(&self, theta: &DVector<T>, a: &usize, s: &usize) -> Result<T> {
        Policy::<T>::check_step(self, s, a, || "step".to_string())?;
        Ok(self.log_probs(theta, *s, "theta")?[*a])
    }

    fn grad_log_density(&self, theta: &DVector<T>, a: &usize, s: &usize) -> Result<DVector<T>> {
        Policy::<T>::check_step(self, s, a, || "step".to_string())?;
        let log_probs = self.log_probs(theta, *s, "theta")?;
        let mut g = DVector::zeros(self.n_states * self.n_actions);
        for (b, lp) in log_probs.into_iter().enumerate() {
            let indicator = if b == *a { T::one() } else { T::zero() };
            g[*s * self.n_actions + b] = indicator - lp.exp();
        }
        Ok(g)
    }

    /// Σ_b p_b (log p_b − log q_b) over row s, with 0·log 0 = 0 for probabilities that
    /// underflow; `NonFiniteResult` when a q_b underflows to 0 where p_b > 0.
    fn kl(&self, theta: &DVector<T>, theta_prime: &DVector<T>, s: &usize) -> Result<T> {
        self.check_state(*s, "s")?;
        let lp = self.log_probs(theta, *s, "theta")?;
        let lq = self.log_probs(theta_prime, *s, "theta_prime")?;
        let kl = lp.iter().zip(&lq).fold(T::zero(), |acc, (p, q)| {
            let prob = p.exp();
            if prob == T::zero() {
                acc
            } else {
                acc + prob * (*p - *q)
            }
        });
        finite_scalar(kl, "kl")
    }
}
