//! The single-state MDP of Example 11.1.

use rand::Rng;

use super::Mdp;
use crate::error::Result;
use crate::scalar::{check_discount, check_finite};

/// The single-state MDP of Example 11.1: one state, the reward equals the action,
/// R(s, a) = a, and every transition returns to the state. It is the problem of Example 12.1
/// (τ₁ = {a = r = −0.532, …}).
///
/// The state is represented by the real number 0 so that the Gaussian policy of
/// Example 11.3 (whose state is a real it ignores) runs on it unchanged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SingleState {
    gamma: f64,
}

impl SingleState {
    /// The single-state MDP with discount γ ∈ [0, 1] (Example 12.1 uses γ = 1).
    ///
    /// # Errors
    /// `InvalidParameter` (or `NonFiniteInput`) for γ ∉ [0, 1].
    pub fn new(gamma: f64) -> Result<Self> {
        check_discount(gamma)?;
        Ok(SingleState { gamma })
    }
}

impl Default for SingleState {
    /// γ = 1, as in Example 12.1.
    fn default() -> Self {
        SingleState { gamma: 1.0 }
    }
}

impl Mdp for SingleState {
    type State = f64;
    type Action = f64;

    fn discount(&self) -> f64 {
        self.gamma
    }

    /// The one state, represented by 0 (no randomness is drawn).
    fn initial_state<R: Rng + ?Sized>(&self, _rng: &mut R) -> f64 {
        0.0
    }

    /// (s′, r) = (s, a): the state is kept and the reward is the action (no randomness).
    fn step<R: Rng + ?Sized>(&self, s: &f64, a: &f64, _rng: &mut R) -> Result<(f64, f64)> {
        check_finite(*s, "s")?;
        check_finite(*a, "a")?;
        Ok((*s, *a))
    }
}
