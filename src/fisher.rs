//! The empirical Fisher information matrix, Eqs. (12.9)–(12.10), and its matrix-free product.

use nalgebra::{DMatrix, DVector};

use crate::error::{PgError, Result};
use crate::limits::check_explicit_size;
use crate::scalar::{Scalar, check_finite_vec, finite_matrix, lit};

/// The m × n score matrix G whose rows are the trajectory scores ∇log p(τ⁽ⁱ⁾)ᵀ, after
/// checking that there is at least one score, all of one non-zero length, all finite.
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`.
pub fn score_matrix<T: Scalar>(scores: &[DVector<T>]) -> Result<DMatrix<T>> {
    let first = scores.first().ok_or_else(|| PgError::empty("scores"))?;
    let n = first.len();
    if n == 0 {
        return Err(PgError::empty("scores[0]"));
    }
    for (i, s) in scores.iter().enumerate() {
        if s.len() != n {
            return Err(PgError::mismatch(format!("scores[{i}]"), n, s.len()));
        }
        check_finite_vec(s, &format!("scores[{i}]"))?;
    }
    Ok(DMatrix::from_fn(scores.len(), n, |i, j| scores[i][j]))
}

/// Empirical Fisher information, Eq. (12.10) as Algorithm 12.4 estimates it:
///
/// $$\mathbf{F}\_\theta = \mathbb{E}\_\tau\left[\nabla \log p(\tau \mid \theta) \nabla \log p(\tau \mid \theta)^\top\right] \approx \frac{1}{m} \sum\_{i=1}^{m} \nabla \log p(\tau^{(i)}) \nabla \log p(\tau^{(i)})^\top$$
///
/// F_θ ≈ (1/m) Σ_{i=1}^{m} ∇log p(τ⁽ⁱ⁾) ∇log p(τ⁽ⁱ⁾)ᵀ = GᵀG / m.
///
/// The result is exactly symmetric (the lower triangle is copied from the upper).
///
/// # Errors
/// `EmptyInput`, `DimensionMismatch`, `NonFiniteInput`, `NonFiniteResult` (overflow).
///
/// ```
/// use nalgebra::{dmatrix, dvector};
/// let f = pgoracle::fisher(&[dvector![1.0, 2.0], dvector![3.0, 0.0]]).unwrap();
/// assert_eq!(f, dmatrix![5.0, 1.0; 1.0, 2.0]);
/// ```
pub fn fisher<T: Scalar>(scores: &[DVector<T>]) -> Result<DMatrix<T>> {
    let g = score_matrix(scores)?;
    fisher_from_score_matrix(&g)
}

/// GᵀG / m for a checked score matrix G (m × n).
pub(crate) fn fisher_from_score_matrix<T: Scalar>(g: &DMatrix<T>) -> Result<DMatrix<T>> {
    check_explicit_size(g.ncols())?;
    let m = lit::<T>(g.nrows() as f64);
    let mut f = g.tr_mul(g) / m;
    f.fill_lower_triangle_with_upper_triangle();
    finite_matrix(f, "fisher")
}

/// Fisher-vector product F v = Gᵀ(G v) / m without forming F: O(mn) work and memory, the
/// product the matrix-free conjugate gradient solver uses (footnote 3 of Section 12.3).
///
/// ```
/// use nalgebra::{dmatrix, dvector};
/// // G = [[1, 2], [3, 0]]: F = GᵀG/2 = [[5, 1], [1, 2]], and F·[1, 1] = [6, 3].
/// let fv = pgoracle::fisher_vector_product(&dmatrix![1.0, 2.0; 3.0, 0.0], &dvector![1.0, 1.0]);
/// assert_eq!(fv, dvector![6.0, 3.0]);
/// ```
pub fn fisher_vector_product<T: Scalar>(g: &DMatrix<T>, v: &DVector<T>) -> DVector<T> {
    let m = lit::<T>(g.nrows() as f64);
    g.tr_mul(&(g * v)) / m
}
