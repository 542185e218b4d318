//! The data of the chapter's worked examples, exactly as printed, and the values the chapter
//! prints for them (book-code-notes §5). `verify` recomputes every value from this data.

use nalgebra::{DVector, dvector};

use crate::scalar::{Scalar, lit};
use crate::trajectory::{Step, Trajectory};

/// Example 12.1: θ = [0, 1] for the Gaussian policy N(θ₁, θ₂²).
pub fn example_12_1_theta<T: Scalar>() -> DVector<T> {
    dvector![T::zero(), T::one()]
}

/// Example 12.1: the actions of the two rollouts; on the single-state MDP of Example 11.1 the
/// reward equals the action (r = a) and the state is always 0.
pub const EXAMPLE_12_1_ACTIONS: [[f64; 3]; 2] = [[-0.532, 0.597, 1.947], [-0.263, -2.212, 2.364]];

/// Example 12.1: ε = 0.1 (divergence bound), γ = 1, line-search factor α = 0.5.
pub const EXAMPLE_12_1_EPSILON: f64 = 0.1;
/// Example 12.1: discount γ = 1 (Example 11.1).
pub const EXAMPLE_12_1_GAMMA: f64 = 1.0;
/// Line-search shrink factor used with Example 12.1 (the book's typical α = 0.5; the
/// example accepts the first point, so α never acts).
pub const EXAMPLE_12_1_ALPHA: f64 = 0.5;

/// Example 12.1's trajectories τ₁, τ₂ with s = 0 and r = a.
pub fn example_12_1_trajectories<T: Scalar>() -> Vec<Trajectory<T, T, T>> {
    EXAMPLE_12_1_ACTIONS
        .iter()
        .map(|actions| {
            actions
                .iter()
                .map(|&a| Step {
                    s: T::zero(),
                    a: lit(a),
                    r: lit(a),
                })
                .collect()
        })
        .collect()
}

/// Exercise 12.3: π_θ(· | s₁), π_θ′(· | s₁), π_θ(· | s₂), π_θ′(· | s₂) over a₁..a₄.
pub const EXERCISE_12_3_TABLE: [[f64; 4]; 4] = [
    [0.1, 0.2, 0.3, 0.4],
    [0.4, 0.3, 0.2, 0.1],
    [0.1, 0.1, 0.6, 0.2],
    [0.1, 0.1, 0.5, 0.3],
];

/// Exercise 12.3: the sampled states s₁, s₂, s₁, s₁, s₂ (0-based: 0 = s₁, 1 = s₂).
pub const EXERCISE_12_3_STATES: [usize; 5] = [0, 1, 0, 0, 1];

/// A row of the Exercise 12.3 table as a vector.
pub fn exercise_12_3_row<T: Scalar>(row: usize) -> DVector<T> {
    DVector::from_iterator(4, EXERCISE_12_3_TABLE[row].iter().map(|&x| lit(x)))
}
