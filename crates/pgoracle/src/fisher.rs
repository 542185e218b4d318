//! The empirical Fisher information matrix, Eqs. (12.9)–(12.10), and its matrix-free product.

use nalgebra::{DMatrix, DVector};

use crate::allocation;
use crate::compensated::{dot2, power_of_two_near};
use crate::dense;
use crate::error::{PgError, Result};
use crate::limits::check_explicit_size;
use crate::scalar::{Scalar, check_finite_row, lit, smallest_normal};
use crate::tolerance::epsilon;

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
        check_finite_row(s, "scores", i)?;
    }
    Ok(gather_rows(scores, n))
}

/// Columns of G written per pass of [`gather_rows`]: each score contributes 64 contiguous
/// entries, written into 64 columns side by side (a few KiB of G at a time).
const GATHER_COLUMNS: usize = 64;

/// The m × n column-major matrix whose rows are `rows`, copied in column tiles of
/// [`GATHER_COLUMNS`] (a plain entry-by-entry copy reads or writes with stride m, one cache miss
/// per entry at n = 2048, m = 1000; bands of rows touched a page of G per column, 12 ms there).
fn gather_rows<T: Scalar>(rows: &[DVector<T>], n: usize) -> DMatrix<T> {
    let m = rows.len();
    let mut g = allocation::zeros(m, n);
    let data = g.as_mut_slice();
    for j0 in (0..n).step_by(GATHER_COLUMNS) {
        let j1 = n.min(j0 + GATHER_COLUMNS);
        for (i, row) in rows.iter().enumerate() {
            for (j, x) in (j0..j1).zip(&row.as_slice()[j0..j1]) {
                data[j * m + i] = *x;
            }
        }
    }
    g
}

/// Empirical Fisher information, Eq. (12.10) as Algorithm 12.4 estimates it:
///
/// $$\mathbf{F}\_\theta = \mathbb{E}\_\tau\left[\nabla \log p(\tau \mid \theta) \nabla \log p(\tau \mid \theta)^\top\right] \approx \frac{1}{m} \sum\_{i=1}^{m} \nabla \log p(\tau^{(i)}) \nabla \log p(\tau^{(i)})^\top$$
///
/// F_θ ≈ (1/m) Σ_{i=1}^{m} ∇log p(τ⁽ⁱ⁾) ∇log p(τ⁽ⁱ⁾)ᵀ = GᵀG / m.
///
/// The result is exactly symmetric (the upper triangle is copied from the lower). The columns of
/// G are scaled by powers of two before the products and unscaled after, so an entry is finite
/// whenever its exact value is ([[1.3e154], [1.3e154]] gives 1.6899999999999998e308), and for
/// n ≤ 5 each entry is a Dot2 product, within 2u·|Fᵢⱼ| + γ²ₘ·Σₖ|GₖᵢGₖⱼ|/m of the exact value
/// (issue #16, item 5).
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

/// Width of the column blocks in which [`fisher_from_score_matrix`] forms GᵀG. Each block is
/// one GEMM call over the rows at and below its diagonal, so about (1 + b/n)/2 of the full
/// product's 2mn² flops are done; 512 was the fastest of 64…2048 at n = 2048, m = 1000
/// (docs/performance.md).
const FISHER_BLOCK: usize = 512;

/// Up to this many parameters GᵀG is formed entry by entry as dot products of the columns of
/// G: nalgebra hands a GEMM to `matrixmultiply` only when every dimension exceeds 5, and its
/// own small-GEMM loop is 10–20 times slower than the dot products (59 µs against 3 µs at
/// n = 2, m = 1000).
const SMALL_FISHER: usize = 5;

/// Side of the square tiles of [`symmetric_from_lower`]: a 32 × 32 buffer is 8 KiB in f64.
const MIRROR_TILE: usize = 32;

/// GᵀG / m for a checked score matrix G (m × n), without intermediate overflow or underflow
/// (issue #16, item 5): F = D F̂ D with F̂ = ĜᵀĜ/m from [`scaled_gram_lower`] and D = diag(σⱼ)
/// its column scales, each entry unscaled as Fᵢⱼ = (F̂ᵢⱼ·max(σᵢ, σⱼ))·min(σᵢ, σⱼ). The σⱼ are
/// powers of two, so this is exact whenever Fᵢⱼ is normal: [[1.3e154], [1.3e154]] gives
/// 1.6899999999999998e308 (correctly rounded), where GᵀG overflows. The result is exactly
/// symmetric. The division by m, the unscaling, the finiteness check and the mirroring are one
/// pass over F ([`symmetric_from_lower`]).
pub(crate) fn fisher_from_score_matrix<T: Scalar>(g: &DMatrix<T>) -> Result<DMatrix<T>> {
    let (mut f, scales) = scaled_gram_lower(g)?;
    let m = lit::<T>(g.nrows() as f64);
    finite_or_error(symmetric_from_lower(&mut f, |x, i, j| {
        unscale_product(x / m, scales[i], scales[j])
    }))?;
    Ok(f)
}

/// The column-scaled Fisher matrix F̂ = ĜᵀĜ/m (full, exactly symmetric) and its power-of-two
/// column scales D = diag(σⱼ), F = D F̂ D ([`scaled_gram_lower`]). The exact solver takes its
/// rank test and its solve on F̂, whose entries are near 1 whatever the scale of the scores.
///
/// # Errors
/// `NonFiniteResult` if an entry of F̂ is not finite (not expected: the entries of Ĝ are O(1)
/// when the scores were scaled, and below √(M·ε) otherwise, M the largest finite number).
pub(crate) fn scaled_fisher<T: Scalar>(g: &DMatrix<T>) -> Result<(DMatrix<T>, DVector<T>)> {
    let (mut f_hat, scales) = scaled_gram_lower(g)?;
    let m = lit::<T>(g.nrows() as f64);
    finite_or_error(symmetric_from_lower(&mut f_hat, |x, _, _| x / m))?;
    Ok((f_hat, scales))
}

/// F = D F̂ D from the symmetric F̂ and the power-of-two scales D = diag(σⱼ) of
/// [`scaled_fisher`], exactly symmetric. `NonFiniteResult` if an entry overflows. Where every
/// σⱼ = 1 (scores that needed no scaling) each entry is x·1·1 = x exactly.
pub(crate) fn unscaled_fisher<T: Scalar>(
    f_hat: &DMatrix<T>,
    scales: &DVector<T>,
) -> Result<DMatrix<T>> {
    let mut f = f_hat.clone();
    finite_or_error(symmetric_from_lower(&mut f, |x, i, j| {
        unscale_product(x, scales[i], scales[j])
    }))?;
    Ok(f)
}

/// `NonFiniteResult` naming `fisher` when `finite` is false.
fn finite_or_error(finite: bool) -> Result<()> {
    if finite {
        Ok(())
    } else {
        Err(PgError::NonFiniteResult {
            field: "fisher".into(),
        })
    }
}

/// x·a·b for powers of two a, b, ordered so that no intermediate leaves the range before the
/// result does: (x·max)·min, or (x·min)·max when x·max overflows.
fn unscale_product<T: Scalar>(x: T, a: T, b: T) -> T {
    let (big, small) = if a >= b { (a, b) } else { (b, a) };
    let first = x * big;
    if first.is_finite() {
        first * small
    } else {
        (x * small) * big
    }
}

/// The lower triangle (diagonal included) of the column-scaled Gram matrix ĜᵀĜ, Ĝ = G·D⁻¹, and
/// the column scales D = diag(σⱼ) (powers of two near maxₖ|Gₖⱼ|, 1 for a zero column;
/// [`power_of_two_near`]), so that F = D (ĜᵀĜ/m) D. The strict upper triangle is zero; the
/// callers divide by m and mirror ([`fisher_from_score_matrix`], [`scaled_fisher`]).
///
/// For n ≤ 5 each entry is Dot2(Ĝ·ᵢ, Ĝ·ⱼ), and after the division by m,
/// |F̂ᵢⱼ − exact| ≤ 2u·|F̂ᵢⱼ| + γ²ₘ·Σₖ|ĜₖᵢĜₖⱼ|/m, so Fᵢⱼ = σᵢσⱼF̂ᵢⱼ has that relative bound
/// whatever the magnitude of the scores (nalgebra hands a GEMM to `matrixmultiply` only when
/// every dimension exceeds 5, and its own small loop is slower than these dot products).
///
/// Above, the lower triangle is formed block column by block column as the GEMMs
/// F̂[j₀.., j₀..j₁] = Ĝᵀ[j₀.., :] Ĝ[:, j₀..j₁] (a symmetric rank-m update, BLAS `syrk`), with Ĝᵀ
/// copied once (O(mn); nalgebra's generic GEMM mis-indexes a transposed strided view, so none is
/// used). The scores are scaled only when some column's largest entry lies outside
/// [√(N/ε), √(M·ε)] (N the smallest normal, M the largest finite number): otherwise σⱼ = 1 and G
/// is used as it is, and since the σⱼ are powers of two, both give the same bits wherever no
/// product over- or underflows. For f32 and f64 with n ≤ 64 nalgebra hands each GEMM to
/// `matrixmultiply` (blocked, SIMD, on as many threads as the machine has physical cores, at
/// most 4; `MATMUL_NUM_THREADS` overrides); threads split the rows and columns of the result,
/// never the sum over trajectories, so every entry is the same sum in the same order whatever
/// the thread count, and the result is bit-identical run to run. For f32 and f64 with n ≥ 65
/// the whole lower triangle is one faer `syrk`-like product (`dense::gram_lower`, the same
/// determinism). Each entry is the sum Σₖ ĜₖᵢĜₖⱼ, rounded, then divided by m:
/// |err| ≤ γₘ₊₁·Σₖ|ĜₖᵢĜₖⱼ|/m.
fn scaled_gram_lower<T: Scalar>(g: &DMatrix<T>) -> Result<(DMatrix<T>, DVector<T>)> {
    let n = g.ncols();
    check_explicit_size(n)?;
    let mut f = allocation::zeros(n, n);
    let mut scales = DVector::from_fn(n, |j, _| power_of_two_near(g.column(j).amax()));
    if n <= SMALL_FISHER {
        // × 1/σⱼ, the same float as ÷ σⱼ (a power of two), with a finite dual derivative.
        let columns: Vec<DVector<T>> = (0..n)
            .map(|j| g.column(j) * (T::one() / scales[j]))
            .collect();
        for j in 0..n {
            for i in j..n {
                f[(i, j)] = dot2(&columns[i], &columns[j]);
            }
        }
        return Ok((f, scales));
    }
    let normal = smallest_normal::<T>();
    let eps = epsilon::<T>();
    let (lo, hi) = match T::max_value() {
        Some(max) => ((normal / eps).sqrt(), (max * eps).sqrt()),
        None => (T::zero(), T::one() / T::zero()),
    };
    let needs_scaling = scales.iter().any(|s| *s < lo || *s > hi);
    let scaled;
    let g = if needs_scaling {
        let mut copy = g.clone();
        for (j, mut column) in copy.column_iter_mut().enumerate() {
            column /= scales[j];
        }
        scaled = copy;
        &scaled
    } else {
        scales.fill(T::one());
        g
    };
    if dense::gram_lower(g, &mut f, dense::par_for(g.nrows() * n * n)) {
        return Ok((f, scales));
    }
    let gt = g.transpose();
    for j0 in (0..n).step_by(FISHER_BLOCK) {
        let width = FISHER_BLOCK.min(n - j0);
        f.view_mut((j0, j0), (n - j0, width)).gemm(
            T::one(),
            &gt.rows(j0, n - j0),
            &g.columns(j0, width),
            T::zero(),
        );
    }
    Ok((f, scales))
}

/// Applies `each(x, i, j)` to every entry Fᵢⱼ, i ≥ j, of the lower triangle of the square `f`
/// and copies the results into the upper triangle, so that `f` is exactly symmetric; `true`
/// when every result is finite. One pass over F, tile by tile: a lower tile is read down its
/// columns (contiguous), finished, written back and kept in an 8 KiB buffer, and the buffer is
/// written down the columns of the mirrored upper tile (contiguous). A direct copy reads the
/// lower tile across its rows with stride n; at n = 2048 that stride is 16 KiB, a power of
/// two, so a tile's columns fall into the same cache sets and evict each other (the former
/// finiteness check and mirror took 14–17 ms at n = 2048, this whole pass 7 ms;
/// docs/performance.md).
/// Column-major: entry (i, j) is `data[j·n + i]`.
pub(crate) fn symmetric_from_lower<T: Scalar>(
    f: &mut DMatrix<T>,
    each: impl Fn(T, usize, usize) -> T,
) -> bool {
    let n = f.nrows();
    let data = f.as_mut_slice();
    let mut tile = [T::zero(); MIRROR_TILE * MIRROR_TILE];
    let mut finite = true;
    for c0 in (0..n).step_by(MIRROR_TILE) {
        let c1 = n.min(c0 + MIRROR_TILE);
        for r0 in (c0..n).step_by(MIRROR_TILE) {
            let r1 = n.min(r0 + MIRROR_TILE);
            // Lower entries (i, j), i ≥ j, of the tile, down column j; kept row i-major.
            for j in c0..c1 {
                let first = r0.max(j);
                for (i, x) in (first..r1).zip(&mut data[j * n + first..j * n + r1]) {
                    let y = each(*x, i, j);
                    finite &= y.is_finite();
                    *x = y;
                    tile[(i - r0) * MIRROR_TILE + (j - c0)] = y;
                }
            }
            // Upper entries (j, i), j < i, down column i.
            for i in r0..r1 {
                let end = c1.min(i);
                if end > c0 {
                    let row = (i - r0) * MIRROR_TILE;
                    data[i * n + c0..i * n + end].copy_from_slice(&tile[row..row + end - c0]);
                }
            }
        }
    }
    finite
}

/// Fisher-vector product F v = Gᵀ(G v) / m without forming F: O(mn) work and memory, the
/// product the matrix-free conjugate gradient solver uses (footnote 3 of Section 12.3). For
/// f32 and f64 with n ≥ 65 the two products are `dense::gram_vector_product`'s (column blocks,
/// threaded, the same bits for any thread count).
///
/// ```
/// use nalgebra::{dmatrix, dvector};
/// // G = [[1, 2], [3, 0]]: F = GᵀG/2 = [[5, 1], [1, 2]], and F·[1, 1] = [6, 3].
/// let fv = pgoracle::fisher_vector_product(&dmatrix![1.0, 2.0; 3.0, 0.0], &dvector![1.0, 1.0]);
/// assert_eq!(fv, dvector![6.0, 3.0]);
/// ```
pub fn fisher_vector_product<T: Scalar>(g: &DMatrix<T>, v: &DVector<T>) -> DVector<T> {
    let m = lit::<T>(g.nrows() as f64);
    match dense::gram_vector_product(g, v) {
        Some((gtgv, _)) => gtgv / m,
        None => g.tr_mul(&(g * v)) / m,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scores in [−0.5, 0.5) from a scrambled integer pattern (benches/common/inputs.rs).
    fn scores(n: usize, m: usize) -> Vec<DVector<f64>> {
        (0..m)
            .map(|i| {
                DVector::from_fn(n, |j, _| {
                    ((7919 * i + 104_729 * j + i * j) % 1013) as f64 / 1013.0 - 0.5
                })
            })
            .collect()
    }

    /// Every lower entry is finished exactly once and copied to its mirror, for sizes below,
    /// at and around the tile (32) and ragged; a non-finite result is reported.
    #[test]
    fn symmetric_from_lower_finishes_the_lower_triangle_and_mirrors_it() {
        for n in [1, 2, 31, 32, 33, 64, 70, 100] {
            let original = DMatrix::from_fn(n, n, |i, j| (i * 1000 + j) as f64);
            let mut f = original.clone();
            let each = |x: f64, i: usize, j: usize| 2.0 * x + (i as f64) - 0.5 * (j as f64);
            assert!(symmetric_from_lower(&mut f, each), "n = {n}");
            for j in 0..n {
                for i in j..n {
                    let expected = each(original[(i, j)], i, j);
                    assert_eq!(f[(i, j)], expected, "n = {n}, ({i}, {j})");
                    assert_eq!(f[(j, i)], expected, "n = {n}, ({j}, {i})");
                }
            }
        }
        let mut f = DMatrix::from_element(40, 40, 1.0);
        f[(39, 3)] = f64::MAX;
        assert!(!symmetric_from_lower(&mut f, |x, _, _| 2.0 * x));
        // Only the lower triangle is read: an infinite upper entry is overwritten, not reported.
        let mut f = DMatrix::from_element(40, 40, 1.0);
        f[(3, 39)] = f64::INFINITY;
        assert!(symmetric_from_lower(&mut f, |x, _, _| x));
        assert_eq!(f[(3, 39)], 1.0);
    }

    /// Both GEMM blocks (n = 600 > 512, the second ragged), several mirror tiles (the last
    /// ragged) and the dot-product path (n ≤ 5): the same matrix as the sum of outer products
    /// Σᵢ sᵢsᵢᵀ / m, formed independently, and exactly symmetric.
    #[test]
    fn blocked_fisher_equals_the_mean_outer_product() {
        for (n, m) in [(600, 7), (130, 40), (5, 30), (6, 3)] {
            let s = scores(n, m);
            let f = fisher(&s).expect("finite scores");
            let outer = s
                .iter()
                .fold(DMatrix::zeros(n, n), |acc, v| acc + v * v.transpose())
                / m as f64;
            // Entries are sums of m products of size ≤ 1/4: rounding below m·ε/4 · 4.
            assert!(
                (&f - &outer).amax() <= m as f64 * f64::EPSILON,
                "n = {n}, m = {m}"
            );
            assert_eq!(f, f.transpose(), "n = {n}, m = {m}: exactly symmetric");
        }
    }
}
