//! The discrete decisions of the chapter's algorithms, each with its margin, so that a caller
//! can tell a decision clear of rounding from one that rounding could flip (issue #16,
//! "certified decisions").
//!
//! A decision's branch is the sign of its margin: the line search's constraint test
//! g(θ, θ′) ≤ ε has margin ε − g(θ, θ′) (taken when ≥ 0), its improvement test
//! f(θ, θ′) > f(θ, θ) has margin f(θ, θ′) − f(θ, θ) (taken when > 0), and the clamp of
//! Eq. (12.23) has margin (w − 1) − ε for a positive reward-to-go and (1 − w) − ε for a
//! negative one (clamped when > 0). The core computes each margin without cancellation, so
//! its sign is that of the exact margin unless |margin| is within a few ulps of its terms; the
//! oracle bounds that rounding from the terms' sensitivities (`pgoracle-oracle`'s
//! `conditioning` module) and reports the decisions it cannot certify as `indeterminate`.

/// Which test a [`Decision`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DecisionKind {
    /// Algorithm 12.5's constraint test g(θ, θ′) ≤ ε at one candidate; margin ε − g.
    LinesearchConstraint,
    /// Algorithm 12.5's improvement test f(θ, θ′) > f(θ, θ) at one candidate; margin
    /// f(θ, θ′) − f(θ, θ).
    LinesearchImprovement,
    /// The `strict` acceptance convention's constraint test KL < δ (sb3-contrib's
    /// `kl_div < self.target_kl`); margin δ − KL, taken only when > 0.
    LinesearchStrictConstraint,
    /// Eq. (12.23)'s clamp of one sample's likelihood ratio at 1 ± ε; margin (w − 1) − ε when
    /// R > 0, (1 − w) − ε when R < 0 (clamped, so the sample contributes 0, when > 0).
    Clamp,
}

impl DecisionKind {
    /// The decision's name in the oracle's `indeterminate` entries.
    pub fn name(self) -> &'static str {
        match self {
            DecisionKind::LinesearchConstraint => "linesearch_constraint",
            DecisionKind::LinesearchImprovement => "linesearch_improvement",
            DecisionKind::LinesearchStrictConstraint => "linesearch_constraint_strict",
            DecisionKind::Clamp => "clamp",
        }
    }

    /// Whether the test is strict (taken only when the margin is > 0) rather than taken at
    /// margin 0 too: the book's g ≤ ε is not strict, f′ > f and w > 1 + ε are.
    pub fn strict(self) -> bool {
        !matches!(self, DecisionKind::LinesearchConstraint)
    }
}

/// One discrete decision: which test, where (`at`: the line search's shrink index, or the
/// clamp's sample index counted over all trajectories in order), its margin, and the two
/// quantities the book's test compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision<T> {
    /// The test.
    pub kind: DecisionKind,
    /// Shrink index (line search, from 0) or sample index (clamp, from 0).
    pub at: usize,
    /// The margin: the test holds when it is > 0 (≥ 0 for a non-strict test).
    pub margin: T,
    /// The two quantities the book's test compares, each as another implementation computes
    /// it separately: (f(θ, θ′), f(θ, θ)), (ε, g(θ, θ′)), or (w, ε) for the clamp. Their
    /// sensitivities to the inputs bound how far rounding can move the margin.
    pub terms: [T; 2],
}

impl<T: crate::Scalar> Decision<T> {
    /// Whether the test holds, by the book's rule on the computed margin.
    pub fn holds(&self) -> bool {
        if self.kind.strict() {
            self.margin > T::zero()
        } else {
            self.margin >= T::zero()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// g ≤ ε holds at margin 0, f′ > f and the clamp do not.
    #[test]
    fn strictness_follows_the_book() {
        let at_zero = |kind| Decision {
            kind,
            at: 0,
            margin: 0.0,
            terms: [1.0, 1.0],
        };
        assert!(at_zero(DecisionKind::LinesearchConstraint).holds());
        assert!(!at_zero(DecisionKind::LinesearchImprovement).holds());
        assert!(!at_zero(DecisionKind::Clamp).holds());
        let negative = Decision {
            kind: DecisionKind::LinesearchConstraint,
            at: 3,
            margin: -1e-300,
            terms: [0.1, 0.1],
        };
        assert!(!negative.holds());
    }
}
