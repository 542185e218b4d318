//! The problems Chapter 12 runs its methods on, behind a small MDP interface: a discount γ,
//! an initial state distribution b, and a sampled transition with its reward (the `randstep`
//! of the book's support code).
//!
//! | problem | source | s₁ ~ b | s′ ~ T(· ∣ s, a) | R(s, a) |
//! |---|---|---|---|---|
//! | [`SingleState`] | Example 11.1 (used by Example 12.1) | the one state | the same state | a |
//! | [`SimpleRegulator`] | Appendix F.5 (Figures 12.1, 12.2, 12.5, 12.7) | N(0.3, 0.1²) | N(s + a, 0.1²) | −s² |
//!
//! [`regulator_moments`] gives the regulator's exact utility, policy gradient and trajectory
//! Fisher matrix under the linear Gaussian policy (the "true gradient" of Figure 12.2).

mod regulator_exact;
mod simple_regulator;
mod single_state;

pub use regulator_exact::{RegulatorMoments, regulator_moments};
pub use simple_regulator::SimpleRegulator;
pub use single_state::SingleState;

use rand::Rng;

use crate::error::Result;

/// A Markov decision process that can be sampled: discount γ, initial state distribution b,
/// and one sampled transition (s′, r) with s′ ~ T(· ∣ s, a) and r = R(s, a).
pub trait Mdp {
    /// State type s.
    type State: Clone + std::fmt::Debug;
    /// Action type a.
    type Action: Clone + std::fmt::Debug;

    /// Discount factor γ ∈ [0, 1].
    fn discount(&self) -> f64;

    /// A draw s₁ ~ b from the initial state distribution (`rand(b)` in Algorithms 12.3–12.6).
    fn initial_state<R: Rng + ?Sized>(&self, rng: &mut R) -> Self::State;

    /// One transition: (s′, r) with s′ ~ T(· ∣ s, a) and r = R(s, a), the reward of the state
    /// the step leaves (the book's `randstep`).
    ///
    /// # Errors
    /// `NonFiniteInput` for a non-finite state or action, `NonFiniteResult` when the reward or
    /// the successor overflows.
    fn step<R: Rng + ?Sized>(
        &self,
        s: &Self::State,
        a: &Self::Action,
        rng: &mut R,
    ) -> Result<(Self::State, f64)>;
}
