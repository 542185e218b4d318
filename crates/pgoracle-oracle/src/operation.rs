//! The operations of the oracle interface (`shared/spec/oracle-interface.md`, "Operations"):
//! one enum, so that parsing, naming, the book source and dispatch ([`crate::ops::run`]) are
//! each one exhaustive `match`. Adding an operation is adding a variant; the compiler then
//! names every place that must handle it (docs/architecture.md).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One operation of the oracle interface. Its serde form is the interface's name
/// (`"natural_update"`, …), as are [`Operation::name`], [`fmt::Display`] and [`FromStr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// θ + αg (Eq. 12.1, Algorithm 12.1).
    GradientAscent,
    /// min(l2_max/‖g‖, 1)·g (Algorithm 12.2).
    ScaleGradient,
    /// g clamped to [lo, hi] entrywise (Algorithm 12.2).
    ClipGradient,
    /// θ + √(2ε)·g/‖g‖ (Eq. 12.6).
    RestrictedStep,
    /// The sample Fisher matrix (Eq. 12.10).
    Fisher,
    /// The natural gradient step (Eqs. 12.12–12.13).
    NaturalUpdate,
    /// ∇log p(τ) per trajectory.
    Score,
    /// ∇log p(τ)R(τ) per trajectory and their mean.
    LikelihoodRatioGradient,
    /// Algorithm 12.3.
    RestrictedUpdate,
    /// Algorithm 12.4.
    NaturalPolicyUpdate,
    /// D_KL(π_θ(·|s) ‖ π_θ′(·|s)).
    PolicyKl,
    /// Eq. 12.18.
    SurrogateObjective,
    /// Eq. 12.19.
    SurrogateConstraint,
    /// Algorithm 12.5.
    TrustRegionUpdate,
    /// Eq. 12.22.
    ClampedObjective,
    /// Eq. 12.23.
    ClampedGradient,
    /// Eq. 12.24.
    KlPenaltyObjective,
    /// Algorithm 12.6.
    ClampedUpdate,
    /// KL divergence of two categorical distributions (Exercise 12.3).
    KlCategorical,
    /// KL divergence of two univariate Gaussians (closed form).
    KlGaussian,
}

impl Operation {
    /// Every operation, in the order of the interface's table (and of the golden files).
    pub const ALL: [Operation; 20] = [
        Operation::GradientAscent,
        Operation::ScaleGradient,
        Operation::ClipGradient,
        Operation::RestrictedStep,
        Operation::Fisher,
        Operation::NaturalUpdate,
        Operation::Score,
        Operation::LikelihoodRatioGradient,
        Operation::RestrictedUpdate,
        Operation::NaturalPolicyUpdate,
        Operation::PolicyKl,
        Operation::SurrogateObjective,
        Operation::SurrogateConstraint,
        Operation::TrustRegionUpdate,
        Operation::ClampedObjective,
        Operation::ClampedGradient,
        Operation::KlPenaltyObjective,
        Operation::ClampedUpdate,
        Operation::KlCategorical,
        Operation::KlGaussian,
    ];

    /// The interface's name of the operation.
    pub fn name(self) -> &'static str {
        match self {
            Operation::GradientAscent => "gradient_ascent",
            Operation::ScaleGradient => "scale_gradient",
            Operation::ClipGradient => "clip_gradient",
            Operation::RestrictedStep => "restricted_step",
            Operation::Fisher => "fisher",
            Operation::NaturalUpdate => "natural_update",
            Operation::Score => "score",
            Operation::LikelihoodRatioGradient => "likelihood_ratio_gradient",
            Operation::RestrictedUpdate => "restricted_update",
            Operation::NaturalPolicyUpdate => "natural_policy_update",
            Operation::PolicyKl => "policy_kl",
            Operation::SurrogateObjective => "surrogate_objective",
            Operation::SurrogateConstraint => "surrogate_constraint",
            Operation::TrustRegionUpdate => "trust_region_update",
            Operation::ClampedObjective => "clamped_objective",
            Operation::ClampedGradient => "clamped_gradient",
            Operation::KlPenaltyObjective => "kl_penalty_objective",
            Operation::ClampedUpdate => "clamped_update",
            Operation::KlCategorical => "kl_categorical",
            Operation::KlGaussian => "kl_gaussian",
        }
    }

    /// Where the operation comes from in the chapter (the `book` column of the interface).
    pub fn book_source(self) -> &'static str {
        match self {
            Operation::GradientAscent => "Eq. (12.1), Algorithm 12.1",
            Operation::ScaleGradient | Operation::ClipGradient => "Algorithm 12.2",
            Operation::RestrictedStep => "Eq. (12.6)",
            Operation::Fisher => "Eq. (12.10)",
            Operation::NaturalUpdate => "Eqs. (12.12)–(12.13), natural_update of Algorithm 12.4",
            Operation::Score => "∇log p(τ) = Σ_k ∇log π(θ, a_k, s_k), Algorithms 12.3–12.5",
            Operation::LikelihoodRatioGradient => "∇U(τ) = ∇log p(τ) R(τ), Algorithms 12.3–12.4",
            Operation::RestrictedUpdate => "Algorithm 12.3",
            Operation::NaturalPolicyUpdate => "Algorithm 12.4",
            Operation::PolicyKl => "D_KL(π_θ(·|s) ‖ π_θ′(·|s)), Eq. (12.19)",
            Operation::SurrogateObjective => "Eq. (12.18), Algorithm 12.5",
            Operation::SurrogateConstraint => "Eq. (12.19), Algorithm 12.5",
            Operation::TrustRegionUpdate => "Algorithm 12.5",
            Operation::ClampedObjective => "Eq. (12.22)",
            Operation::ClampedGradient => "Eq. (12.23), Algorithm 12.6",
            Operation::KlPenaltyObjective => "Eq. (12.24)",
            Operation::ClampedUpdate => "Algorithm 12.6",
            Operation::KlCategorical => "Exercise 12.3",
            Operation::KlGaussian => "closed form, Appendix A.10",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name is not an operation of the interface.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown operation `{0}`")]
pub struct UnknownOperation(pub String);

impl FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Operation::ALL
            .into_iter()
            .find(|op| op.name() == name)
            .ok_or_else(|| UnknownOperation(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_match_serde() {
        for op in Operation::ALL {
            assert_eq!(op.name().parse::<Operation>(), Ok(op));
            assert_eq!(
                serde_json::to_value(op).ok(),
                Some(serde_json::Value::String(op.name().into()))
            );
            assert!(!op.book_source().is_empty());
        }
        let mut names: Vec<_> = Operation::ALL.iter().map(|op| op.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 20);
        assert_eq!(
            "natural_gradient".parse::<Operation>(),
            Err(UnknownOperation("natural_gradient".into()))
        );
    }
}
