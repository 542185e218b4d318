//! The scalar bound of the numerical core and the input checks every public function shares.
//!
//! Every algorithm is generic over `T: nalgebra::RealField + Copy`, so it runs in `f32`,
//! `f64`, and num-dual's `Dual64`, `DualVec` and `HyperDual64` (autodiff checks).

use nalgebra::{DMatrix, DVector, RealField};

use crate::error::{PgError, Result};

/// The numeric type of the core: f32, f64, or a num-dual number.
pub trait Scalar: RealField + Copy {}
impl<T: RealField + Copy> Scalar for T {}

/// The constant `x` in the scalar type `T` (exact for the small constants used here).
pub fn lit<T: Scalar>(x: f64) -> T {
    nalgebra::convert(x)
}

/// `NonFiniteInput` unless `x` is finite.
pub fn check_finite<T: Scalar>(x: T, field: &str) -> Result<()> {
    if x.is_finite() {
        Ok(())
    } else {
        Err(PgError::NonFiniteInput {
            field: field.to_string(),
        })
    }
}

/// `NonFiniteInput` unless every entry is finite; the error names the first bad index.
pub fn check_finite_vec<T: Scalar>(v: &DVector<T>, field: &str) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(PgError::NonFiniteInput {
            field: format!("{field}[{i}]"),
        }),
    }
}

/// [`check_finite_vec`] for the `row`-th of a list of vectors called `list`, naming the bad
/// entry `list[row][i]`; the name is formatted only on error (once per row it cost more than
/// the Fisher build at n = 2, m = 1000).
pub fn check_finite_row<T: Scalar>(v: &DVector<T>, list: &str, row: usize) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(i) => Err(PgError::NonFiniteInput {
            field: format!("{list}[{row}][{i}]"),
        }),
    }
}

/// `EmptyInput` for a zero-length vector, then [`check_finite_vec`].
pub fn check_vector<T: Scalar>(v: &DVector<T>, field: &str) -> Result<()> {
    if v.is_empty() {
        return Err(PgError::empty(field));
    }
    check_finite_vec(v, field)
}

/// `DimensionMismatch` unless `v` has `expected` entries.
pub fn check_len<T: Scalar>(v: &DVector<T>, expected: usize, field: &str) -> Result<()> {
    if v.len() == expected {
        Ok(())
    } else {
        Err(PgError::mismatch(field, expected, v.len()))
    }
}

/// `NonFiniteResult` unless every entry of a computed vector is finite.
pub fn finite_result<T: Scalar>(v: DVector<T>, field: &str) -> Result<DVector<T>> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(v)
    } else {
        Err(PgError::NonFiniteResult {
            field: field.to_string(),
        })
    }
}

/// `NonFiniteResult` unless a computed scalar is finite.
pub fn finite_scalar<T: Scalar>(x: T, field: &str) -> Result<T> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(PgError::NonFiniteResult {
            field: field.to_string(),
        })
    }
}

/// `NonFiniteResult` unless every entry of a computed matrix is finite.
pub fn finite_matrix<T: Scalar>(m: DMatrix<T>, field: &str) -> Result<DMatrix<T>> {
    if m.iter().all(|x| x.is_finite()) {
        Ok(m)
    } else {
        Err(PgError::NonFiniteResult {
            field: field.to_string(),
        })
    }
}

/// `InvalidParameter` unless `lo < x < hi` (open interval), after a finiteness check.
pub fn check_open_interval<T: Scalar>(x: T, lo: T, hi: T, field: &str) -> Result<()> {
    check_finite(x, field)?;
    if x > lo && x < hi {
        Ok(())
    } else {
        Err(PgError::invalid(
            field,
            format!("must lie in ({lo}, {hi}), got {x}"),
        ))
    }
}

/// `InvalidParameter` unless `x > 0`, after a finiteness check.
pub fn check_positive<T: Scalar>(x: T, field: &str) -> Result<()> {
    check_finite(x, field)?;
    if x > T::zero() {
        Ok(())
    } else {
        Err(PgError::invalid(field, format!("must be > 0, got {x}")))
    }
}

/// `InvalidParameter` unless `x ≥ 0`, after a finiteness check.
pub fn check_nonnegative<T: Scalar>(x: T, field: &str) -> Result<()> {
    check_finite(x, field)?;
    if x >= T::zero() {
        Ok(())
    } else {
        Err(PgError::invalid(field, format!("must be ≥ 0, got {x}")))
    }
}

/// `InvalidParameter` unless the discount factor γ lies in [0, 1].
pub fn check_discount<T: Scalar>(gamma: T) -> Result<()> {
    check_finite(gamma, "gamma")?;
    if gamma >= T::zero() && gamma <= T::one() {
        Ok(())
    } else {
        Err(PgError::invalid(
            "gamma",
            format!("must lie in [0, 1], got {gamma}"),
        ))
    }
}

/// Euclidean norm ‖v‖₂ computed without overflow or underflow: the entries are scaled by a
/// power of two near max |vᵢ| before squaring (the scaling of LAPACK's `dnrm2`, made exact).
/// Exact 0 for the zero vector. The scaling multiplies by the power of two's reciprocal, which
/// is the same float as dividing, but keeps a dual number's derivative finite: num-dual forms
/// x/s's derivative with s², which overflows for |s| > 1e154.
pub fn stable_norm<T: Scalar>(v: &DVector<T>) -> T {
    let max = v.iter().fold(T::zero(), |m, x| m.max(x.abs()));
    if max == T::zero() {
        return T::zero();
    }
    let scale = crate::compensated::power_of_two_near(max);
    let inverse = T::one() / scale;
    let sum = v.iter().fold(T::zero(), |acc, x| {
        let y = *x * inverse;
        acc + y * y
    });
    scale * sum.sqrt()
}

/// The smallest positive normal number of `T` to within one unit in the last place (2⁻¹⁰²² for
/// f64, 2⁻¹²⁶ for f32): 4/MAX, as MAX ≈ 2^(e_max + 1) and the smallest normal is 2^(1 − e_max).
/// `RealField` has no constant for it; a type without a maximum gets 0. Below it a quotient keeps
/// only a few bits (subnormal) or none (0), so the callers switch to a rescaled formula there.
pub(crate) fn smallest_normal<T: Scalar>() -> T {
    T::max_value().map_or(T::zero(), |max| lit::<T>(4.0) / max)
}
