//! Structured inputs shared by the harnesses: numbers drawn towards the edge cases, and solver
//! choices.

use arbitrary::{Arbitrary, Result, Unstructured};

use pgoracle::limits::MAX_ITERATIONS;
use pgoracle::solver::{CgParams, Solver};

/// Values a floating-point edge case is made of: signed zeros, ±1, 1 ± ε, the extremes of the
/// normal and subnormal ranges, values that overflow or underflow when squared, NaN and ±∞.
/// The fuzz targets draw from it through [`Num`], and `pgoracle hunt` (crate `pgoracle-hunt`)
/// through the same [`Num`].
pub const EDGE_VALUES: [f64; 30] = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    -2.0,
    0.1,
    0.2,
    1.0 + f64::EPSILON,
    1.0 - f64::EPSILON / 2.0,
    f64::EPSILON,
    1e-8,
    1e8,
    1e-150,
    1e150,
    1e-160,
    1e160,
    1e-200,
    1e200,
    1e-300,
    1e300,
    f64::MIN_POSITIVE,
    5e-324,
    1e-310,
    f64::MAX,
    -f64::MAX,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

/// A floating-point input. A quarter of the draws each are: one of the edge values above; a
/// small multiple of 1/4 (exact values such as 0.75 or −3, so that ties, zero sums and exact
/// cancellations occur); a one-digit multiple of a power of ten from 10⁻³³⁰ to 10³¹⁰; any bit
/// pattern (every NaN payload and subnormal).
#[derive(Clone, Copy, PartialEq)]
pub struct Num(pub f64);

impl std::fmt::Debug for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:e}", self.0)
    }
}

impl<'a> Arbitrary<'a> for Num {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let x = match u.int_in_range(0u8..=3)? {
            0 => *u.choose(&EDGE_VALUES)?,
            1 => f64::from(u.int_in_range(-16i8..=16)?) / 4.0,
            2 => {
                let digit = f64::from(u.int_in_range(-9i8..=9)?);
                let exponent = u.int_in_range(-330i32..=310)?;
                // 10^e as the correctly rounded decimal, not powi's repeated products.
                digit * format!("1e{exponent}").parse::<f64>().unwrap_or(0.0)
            }
            _ => f64::from_bits(u64::arbitrary(u)?),
        };
        Ok(Num(x))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (1, Some(9))
    }
}

/// The values of a list of numbers, at most `max` of them.
pub(super) fn values(xs: &[Num], max: usize) -> Vec<f64> {
    xs.iter().take(max).map(|x| x.0).collect()
}

/// A natural-gradient solver with arbitrary parameters (invalid ones included: λ ≤ 0,
/// rcond < 0, NaN, `max_iters` = 0).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum SolverCase {
    /// [`Solver::Exact`].
    Exact,
    /// [`Solver::Damped`] with this λ.
    Damped(Num),
    /// [`Solver::PseudoInverse`] with this rcond.
    PseudoInverse(Num),
    /// [`Solver::ConjugateGradient`]; `max_iters` is bounded by [`SolverCase::MAX_CG_ITERS`]
    /// (0 stays 0, which is invalid) so one execution stays short.
    ConjugateGradient {
        /// Iteration cap before bounding.
        max_iters: u16,
        /// Relative residual tolerance.
        tol: Num,
        /// Damping λ.
        damping: Num,
        /// Whether a missed tolerance is an error.
        strict: bool,
    },
    /// A conjugate gradient solver with `max_iters` above the library's limit
    /// ([`MAX_ITERATIONS`]): always `InvalidParameter`, and rejected before any iteration.
    ConjugateGradientOverLimit,
}

impl SolverCase {
    /// Largest conjugate gradient iteration cap the harnesses use.
    pub const MAX_CG_ITERS: usize = 64;

    /// The solver, in precision `T`.
    pub(super) fn solver<T: super::Real>(&self) -> Solver<T> {
        let to = super::to::<T>;
        match *self {
            SolverCase::Exact => Solver::Exact,
            SolverCase::Damped(d) => Solver::Damped { damping: to(d.0) },
            SolverCase::PseudoInverse(r) => Solver::PseudoInverse { rcond: to(r.0) },
            SolverCase::ConjugateGradient {
                max_iters,
                tol,
                damping,
                strict,
            } => Solver::ConjugateGradient(
                CgParams::new(usize::from(max_iters) % (Self::MAX_CG_ITERS + 1), to(tol.0))
                    .with_damping(to(damping.0))
                    .with_strict(strict),
            ),
            SolverCase::ConjugateGradientOverLimit => Solver::ConjugateGradient(
                CgParams::new(MAX_ITERATIONS + 1, to(0.0))
                    .with_damping(to(0.0))
                    .with_strict(false),
            ),
        }
    }

    /// Whether the solver's parameters, rounded to `T`, are valid (λ > 0 for the damped solver;
    /// rcond ≥ 0; 1 ≤ `max_iters` ≤ 10⁶, tol ≥ 0 and λ ≥ 0 for conjugate gradient; all finite).
    /// A valid solver must never be reported as `InvalidParameter` or `NonFiniteInput`.
    pub(super) fn is_valid<T: super::Real>(&self) -> bool {
        let value = |x: Num| -> f64 { super::to::<T>(x.0).into() };
        let nonnegative = |x: Num| value(x).is_finite() && value(x) >= 0.0;
        match *self {
            SolverCase::Exact => true,
            SolverCase::Damped(d) => value(d).is_finite() && value(d) > 0.0,
            SolverCase::PseudoInverse(r) => nonnegative(r),
            SolverCase::ConjugateGradient {
                max_iters,
                tol,
                damping,
                ..
            } => {
                usize::from(max_iters) % (Self::MAX_CG_ITERS + 1) >= 1
                    && nonnegative(tol)
                    && nonnegative(damping)
            }
            SolverCase::ConjugateGradientOverLimit => false,
        }
    }
}
