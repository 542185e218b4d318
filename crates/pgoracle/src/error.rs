//! Typed errors: every way a computation of Chapter 12 can be undefined.
//!
//! The variants are the error kinds of the oracle interface
//! (`shared/spec/oracle-interface.md`); [`PgError::kind`] returns the contract string.
//! `docs/edge-cases.md` lists which input produces which kind and what the book's
//! code does instead.

use thiserror::Error;

/// Result of every fallible pgoracle function.
pub type Result<T> = std::result::Result<T, PgError>;

/// Why a Chapter 12 computation has no defined value for its input.
///
/// `#[non_exhaustive]`: a later version may add kinds; match with a wildcard arm, or use
/// [`PgError::kind`].
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PgError {
    /// A NaN or an infinity in an input; `field` names where.
    #[error("non-finite number in `{field}`")]
    NonFiniteInput {
        /// Path of the offending input.
        field: String,
    },
    /// A parameter outside its domain (ε ≤ 0, α ∉ (0, 1), γ ∉ [0, 1], σ ≤ 0, lo > hi, …).
    #[error("invalid parameter `{field}`: {reason}")]
    InvalidParameter {
        /// The parameter.
        field: String,
        /// The domain it violates.
        reason: String,
    },
    /// Lengths that do not fit together.
    #[error("dimension mismatch in `{field}`: expected {expected}, got {got}")]
    DimensionMismatch {
        /// The input whose length is wrong.
        field: String,
        /// The length (or bound) it must have.
        expected: usize,
        /// The length (or index) it has.
        got: usize,
    },
    /// No trajectories, an empty trajectory, or an empty vector.
    #[error("empty input `{field}`")]
    EmptyInput {
        /// The empty input.
        field: String,
    },
    /// The step direction is the zero vector (Eq. 12.6 and Eq. 12.12 divide by it).
    #[error("the gradient `{field}` is the zero vector: the step direction is undefined")]
    ZeroGradient {
        /// The zero gradient.
        field: String,
    },
    /// The Fisher matrix cannot be solved with the requested solver.
    #[error("singular Fisher matrix: {reason}")]
    SingularFisher {
        /// The test that failed.
        reason: String,
        /// [λ_min − τ, τ] with τ = n·ε·λ_max, of F/σ²_max, when the exact solver's rank test
        /// decided (`None` for rank ≤ m < n and for a failed factorisation): the decision's
        /// margin and threshold, which the oracle turns into a `rank` decision.
        rank_margin: Option<[f64; 2]>,
    },
    /// gᵀu ≤ 0 in the natural step scale √(2ε / gᵀu) of Eq. 12.12.
    #[error("non-positive curvature: gᵀu = {value}, so √(2ε/gᵀu) is undefined")]
    NonPositiveCurvature {
        /// The value of gᵀu.
        value: String,
    },
    /// π_θ(a | s) = 0 to working precision, so a likelihood ratio (or a KL term) divides by zero.
    #[error("zero probability at `{field}`: the ratio is undefined")]
    ZeroProbability {
        /// Where the zero probability occurs.
        field: String,
    },
    /// An iterative solver missed its tolerance (the conjugate gradient solver when asked to be
    /// strict) or a decomposition did not converge within its iteration cap.
    #[error("no convergence after {iterations} iterations: {detail}")]
    NoConvergence {
        /// Iterations performed (or the cap).
        iterations: usize,
        /// What did not converge, with the final residual where there is one.
        detail: String,
    },
    /// A finite input whose result overflows (or is otherwise non-finite).
    #[error("non-finite result in `{field}`")]
    NonFiniteResult {
        /// The quantity that overflowed.
        field: String,
    },
}

impl PgError {
    /// The error kind string of the oracle interface (`"SingularFisher"`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            PgError::NonFiniteInput { .. } => "NonFiniteInput",
            PgError::InvalidParameter { .. } => "InvalidParameter",
            PgError::DimensionMismatch { .. } => "DimensionMismatch",
            PgError::EmptyInput { .. } => "EmptyInput",
            PgError::ZeroGradient { .. } => "ZeroGradient",
            PgError::SingularFisher { .. } => "SingularFisher",
            PgError::NonPositiveCurvature { .. } => "NonPositiveCurvature",
            PgError::ZeroProbability { .. } => "ZeroProbability",
            PgError::NoConvergence { .. } => "NoConvergence",
            PgError::NonFiniteResult { .. } => "NonFiniteResult",
        }
    }

    /// `InvalidParameter` for `field`, with the domain it violates.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PgError::InvalidParameter {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// `EmptyInput` for `field`.
    pub fn empty(field: impl Into<String>) -> Self {
        PgError::EmptyInput {
            field: field.into(),
        }
    }

    /// `DimensionMismatch` for `field`: `expected` entries, `got` entries.
    pub fn mismatch(field: impl Into<String>, expected: usize, got: usize) -> Self {
        PgError::DimensionMismatch {
            field: field.into(),
            expected,
            got,
        }
    }
}
