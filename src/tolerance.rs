//! The one tolerance policy of pgoracle, derived from the scalar's machine epsilon ε.
//!
//! A value `got` agrees with `expected` when |got − expected| ≤ abs + rel·|expected|.
//! Every comparison in the tests and in `pgoracle verify` goes through this module, so an
//! f32 run automatically gets f32-sized bounds.

use crate::scalar::{Scalar, lit};

/// Mixed absolute/relative tolerance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance<T> {
    /// Absolute part.
    pub abs: T,
    /// Relative part, multiplied by |expected|.
    pub rel: T,
}

/// Machine epsilon of `T` (2⁻⁵² for f64, 2⁻²³ for f32).
pub fn epsilon<T: Scalar>() -> T {
    T::default_epsilon()
}

impl<T: Scalar> Tolerance<T> {
    /// `n` units of ε relative to |expected|, and `n`·ε absolute (so values near 0 compare
    /// on the scale of the inputs, assumed O(1)).
    pub fn ulps(n: u32) -> Self {
        let e = epsilon::<T>() * lit::<T>(f64::from(n));
        Tolerance { abs: e, rel: e }
    }

    /// Agreement with a value the book prints to `decimals` decimal places: half a unit in
    /// the last printed place, plus 16ε relative for the representation of the printed value.
    pub fn printed(decimals: u32) -> Self {
        let half_unit = lit::<T>(0.5) * lit::<T>(10f64.powi(-(decimals as i32)));
        let slack = epsilon::<T>() * lit::<T>(16.0);
        Tolerance {
            abs: half_unit + slack,
            rel: slack,
        }
    }

    /// The tolerance of a golden case, used both for pgoracle against the independent 50-digit
    /// reference and for any implementation against pgoracle (`pgoracle check`):
    ///
    /// rel = ε^(5/8) + 16·κ·ε, abs = 0, compared normwise ([`Tolerance::agrees_normwise`]),
    ///
    /// where κ ≥ 1 is the condition number of the matrix a natural-gradient solve used (1 for
    /// every other operation). ε^(5/8) asks for 5/8 of the significand's bits: 1.65·10⁻¹⁰ in f64
    /// (inside the 10⁻⁹ the acceptance criteria set for pgoracle), 4.7·10⁻⁵ in f32. It is computed
    /// as √ε·ε^(1/8) with correctly rounded square roots, so it is the same bits in every build
    /// (a `powf` is constant-folded in release builds and differs by an ulp from the run-time
    /// one). 16·κ·ε is the perturbation bound of a backward-stable solve with a small constant.
    pub fn golden(conditioning: T) -> Self {
        let e = epsilon::<T>();
        let root = e.sqrt();
        let eighth = root.sqrt().sqrt();
        Tolerance {
            abs: T::zero(),
            rel: root * eighth + lit::<T>(16.0) * conditioning.max(T::one()) * e,
        }
    }

    /// Normwise agreement of a whole field (vector or flattened matrix):
    /// maxᵢ |gotᵢ − expectedᵢ| ≤ abs + rel · maxᵢ |expectedᵢ|. Lengths must match; NaN never
    /// agrees.
    pub fn agrees_normwise(&self, expected: &[T], got: &[T]) -> bool {
        if expected.len() != got.len() {
            return false;
        }
        let scale = expected.iter().fold(T::zero(), |m, e| m.max(e.abs()));
        let bound = self.abs + self.rel * scale;
        expected
            .iter()
            .zip(got)
            .all(|(e, g)| (*g - *e).abs() <= bound)
    }

    /// Whether `got` agrees with `expected`. NaN never agrees.
    pub fn agrees(&self, expected: T, got: T) -> bool {
        (got - expected).abs() <= self.abs + self.rel * expected.abs()
    }
}
