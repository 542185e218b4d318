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

#[cfg(test)]
mod tests {
    use super::*;

    /// The bounds are the formulas of the doc comments, written out here in plain f64/f32.
    #[test]
    fn bounds_are_the_documented_multiples_of_epsilon() {
        let four_ulps = Tolerance::<f64>::ulps(4);
        assert_eq!(four_ulps.abs, 4.0 * f64::EPSILON);
        assert_eq!(four_ulps.rel, 4.0 * f64::EPSILON);
        assert_eq!(Tolerance::<f32>::ulps(3).rel, 3.0 * f32::EPSILON);
        let three_decimals = Tolerance::<f64>::printed(3);
        assert_eq!(three_decimals.abs, 0.0005 + 16.0 * f64::EPSILON);
        assert_eq!(three_decimals.rel, 16.0 * f64::EPSILON);
        // ε^(5/8) + 16ε for κ ≤ 1, in f64 1.65·10⁻¹⁰ (docs/oracle.md).
        let golden = Tolerance::<f64>::golden(0.5);
        assert_eq!(golden.abs, 0.0);
        let want = f64::EPSILON.powf(0.625) + 16.0 * f64::EPSILON;
        assert!((golden.rel - want).abs() <= 4.0 * f64::EPSILON * want);
    }

    /// |got − expected| ≤ abs + rel·|expected|: inside and outside by 2.5% of the bound.
    #[test]
    fn agrees_is_the_mixed_bound() {
        let t = Tolerance {
            abs: 1e-6,
            rel: 1e-3,
        };
        // Bound at expected = −4: 1e-6 + 4e-3 = 4.001e-3.
        assert!(t.agrees(-4.0, -4.0 + 3.9e-3));
        assert!(!t.agrees(-4.0, -4.0 - 4.1e-3));
        assert!(t.agrees(0.0, 0.9e-6));
        assert!(!t.agrees(0.0, 1.1e-6));
        assert!(!t.agrees(1.0, f64::NAN));
    }

    /// maxᵢ |gotᵢ − expectedᵢ| ≤ abs + rel·maxᵢ |expectedᵢ|: the bound uses the largest
    /// |expectedᵢ| (4 here), not each entry's own, so an error of 3.9e-3 on the entry 2 agrees.
    #[test]
    fn agrees_normwise_scales_by_the_largest_entry() {
        let t = Tolerance {
            abs: 0.0,
            rel: 1e-3,
        };
        let expected = [2.0, -4.0];
        assert!(t.agrees_normwise(&expected, &[2.0 + 3.9e-3, -4.0]));
        assert!(!t.agrees_normwise(&expected, &[2.0 + 4.1e-3, -4.0]));
        assert!(!t.agrees_normwise(&expected, &[2.0]));
        assert!(!t.agrees_normwise(&expected, &[2.0, f64::NAN]));
        let with_abs = Tolerance {
            abs: 1e-2,
            rel: 1e-3,
        };
        assert!(with_abs.agrees_normwise(&expected, &[2.0 + 1.39e-2, -4.0]));
        assert!(!with_abs.agrees_normwise(&expected, &[2.0 + 1.41e-2, -4.0]));
    }
}
