//! Dense f32/f64 kernels on faer for problems above [`NATIVE_MIN`] − 1 parameters (issue #20).
//!
//! The core is generic over [`Scalar`] (nalgebra's `RealField + Copy`), so it runs in f32, f64
//! and num-dual's numbers. For f32 and f64 with n ≥ [`NATIVE_MIN`], the expensive dense steps
//! go to faer 0.24 (docs.rs/faer/0.24.4), a BLAS-class library in Rust with its own SIMD
//! kernels and threads; everything else, every other scalar type and every smaller problem stay
//! on the generic nalgebra code, unchanged.
//!
//! | step | generic path | here (faer) |
//! |---|---|---|
//! | Fisher build, lower triangle of ĜᵀĜ (Eq. 12.10) | blocked GEMMs (`fisher`) | [`gram_lower`]: `matmul::triangular::matmul` into the lower triangle, BLAS `dsyrk` |
//! | lower triangle of GGᵀ (pseudo-inverse with m < n) | — | [`outer_gram_lower`]: the same product, other transpose |
//! | A = LLᵀ and A u = b | blocked Cholesky (`cholesky`) | [`cholesky_in_place`], [`cholesky_solve`]: `llt::factor::cholesky_in_place`, two triangular solves |
//! | P A = LU and A u = b | nalgebra `lu()` | [`lu_solve`]: `lu::partial_pivoting` |
//! | (A⁻¹)ᵢᵢ from L | — | [`inverse_diagonal`]: L⁻¹ by `triangular_inverse`, (A⁻¹)ᵢᵢ = ‖L⁻¹eᵢ‖² |
//! | eigenvalues of a symmetric A | nalgebra `try_symmetric_eigen` | [`symmetric_eigenvalues`] (no eigenvectors), [`symmetric_eigen`]: `evd::self_adjoint_evd` |
//! | Gᵀ(Gp) of the conjugate gradient | nalgebra `gemv` | [`gram_vector_product`]: fixed column blocks, one faer product per block |
//!
//! **Dispatch.** Every function takes the generic `T` and asks, through `core::any::Any` (every
//! nalgebra scalar is `'static`), whether `DMatrix<T>` is `DMatrix<f64>` or `DMatrix<f32>`. The
//! answer is a type check, resolved per monomorphisation; it returns `None` (or `false`) for
//! any other `T` or a smaller n, and the caller takes the generic path.
//!
//! **Why n ≥ 65.** Every golden case has at most 12 parameters, so the golden files keep the
//! bits of the generic path, and up to n = 64 the generic Cholesky is nalgebra's own unblocked
//! factorisation, so small problems compute exactly what they computed before issue #20 (faer's
//! per-call cost at small n was not measured).
//!
//! **Threads and determinism.** With the crate feature `threading`, faer runs on rayon's global
//! pool ([`par`]; the Fisher and GGᵀ products below 2²⁴ flops on one thread, [`par_for`]);
//! otherwise sequentially. The same input gives the same bits for any thread
//! count on one machine (`tests::*_same_bits_for_one_and_two_threads`):
//! - faer's matrix products (private-gemm-x86) split the rows and columns of the result among
//!   threads; the sum over the inner dimension is cut into blocks of min(k, 512) whatever the
//!   thread count, and each block is one micro-kernel accumulation, added in order;
//!   the Cholesky factorisation, the triangular inverse and the LU factorisation do their
//!   O(n³) work in such products and take the threads;
//! - faer's column-major matrix-vector product does split the inner sum among threads (one
//!   partial sum per thread, and `Par::rayon(1)` differs from `Par::Seq` too), so whatever
//!   rests on it runs on one thread: the triangular solves of one vector, and the symmetric
//!   eigendecomposition (its tridiagonalisation is matrix-vector products);
//!   [`gram_vector_product`] cuts G into column blocks of [`CG_BLOCK`] columns, a partition
//!   fixed by n alone, runs each block's products sequentially, in parallel across blocks, and
//!   adds the partial products in block order;
//! - across CPUs, faer chooses AVX-512, AVX2+FMA or a portable kernel at run time, so the last
//!   bits can differ between machines (within the golden tolerance; docs/performance.md).

use core::any::Any;

use faer::diag::DiagMut;
use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::{cholesky, evd, lu, triangular_inverse};
use faer::{Accum, ColMut, ColRef, MatMut, MatRef, Par};
use nalgebra::{DMatrix, DVector};

use crate::scalar::Scalar;

/// The smallest n (parameters) for which f32 and f64 take the faer kernels.
pub(crate) const NATIVE_MIN: usize = 65;

/// Columns of G per block of [`gram_vector_product`]: a partition fixed by n, never by the
/// thread count. 256 columns of 1000 trajectories are 2 MB, a share of the L3 cache per core.
pub(crate) const CG_BLOCK: usize = 256;

/// The size m·n of G from which [`gram_vector_product`] runs its blocks on rayon's pool:
/// below, a product takes a few µs, less than waking the pool (at 10 × 2048, nalgebra's two
/// products took 13 µs, the blocks on two threads 50 µs).
pub(crate) const CG_PARALLEL_MIN: usize = 1 << 17;

/// The flop count below which [`par_for`] keeps a product on one thread: waking rayon's pool
/// costs more than it saves (the Fisher build at n = 256, m = 10, 0.65 Mflop, spent a fifth of
/// its time in the scheduler on two threads).
const PARALLEL_MIN_FLOPS: usize = 1 << 24;

/// [`par`] for a call of about `flops` floating-point operations, sequential below
/// [`PARALLEL_MIN_FLOPS`]. faer's products give the same bits on one thread or several (see the
/// module documentation), so this choice changes no result.
pub(crate) fn par_for(flops: usize) -> Par {
    if flops < PARALLEL_MIN_FLOPS {
        Par::Seq
    } else {
        par()
    }
}

/// The parallelism of the faer calls: rayon's global pool (all its threads) with the feature
/// `threading`, sequential without it.
pub(crate) fn par() -> Par {
    #[cfg(feature = "threading")]
    {
        Par::rayon(0)
    }
    #[cfg(not(feature = "threading"))]
    {
        Par::Seq
    }
}

/// The f32 and f64 of faer: the two types faer's SIMD kernels cover, and nalgebra scalars.
trait Native: faer::traits::RealField + nalgebra::Scalar + Copy {}
impl Native for f64 {}
impl Native for f32 {}

/// `x` as a `U` when `T` is `U` (a type check, no conversion).
fn native_ref<T: 'static, U: 'static>(x: &T) -> Option<&U> {
    (x as &dyn Any).downcast_ref::<U>()
}

/// `x` as a mutable `U` when `T` is `U`.
fn native_mut<T: 'static, U: 'static>(x: &mut T) -> Option<&mut U> {
    (x as &mut dyn Any).downcast_mut::<U>()
}

/// The faer view of a column-major nalgebra matrix (no copy).
fn view<F: Native>(a: &DMatrix<F>) -> MatRef<'_, F> {
    MatRef::from_column_major_slice(a.as_slice(), a.nrows(), a.ncols())
}

/// The mutable faer view of a column-major nalgebra matrix (no copy).
fn view_mut<F: Native>(a: &mut DMatrix<F>) -> MatMut<'_, F> {
    let (r, c) = a.shape();
    MatMut::from_column_major_slice_mut(a.as_mut_slice(), r, c)
}

/// `Some(body)` with the arguments as their f64 types when `T` is f64, or as f32 when it is
/// f32; `None` for any other `T`.
macro_rules! dispatch {
    (($($arg:ident: $kind:ident),*) => $body:expr) => {
        if let ($(Some($arg),)*) = ($(dispatch!(@cast $kind f64, $arg),)*) {
            Some($body)
        } else if let ($(Some($arg),)*) = ($(dispatch!(@cast $kind f32, $arg),)*) {
            Some($body)
        } else {
            None
        }
    };
    (@cast matrix $f:ty, $arg:ident) => { native_ref::<_, DMatrix<$f>>($arg) };
    (@cast matrix_mut $f:ty, $arg:ident) => { native_mut::<_, DMatrix<$f>>($arg) };
    (@cast vector $f:ty, $arg:ident) => { native_ref::<_, DVector<$f>>($arg) };
    (@cast vector_mut $f:ty, $arg:ident) => { native_mut::<_, DVector<$f>>($arg) };
}

/// The lower triangle (diagonal included) of ĜᵀĜ for the m × n matrix `g`, written into the
/// lower triangle of the n × n `f` (the strict upper triangle is not touched): each entry is
/// Σₖ ĜₖᵢĜₖⱼ, the BLAS `syrk` of Eq. (12.10)'s Σᵢ ∇log p(τ⁽ⁱ⁾)∇log p(τ⁽ⁱ⁾)ᵀ. `false` for a type
/// other than f32/f64 or n < [`NATIVE_MIN`].
pub(crate) fn gram_lower<T: Scalar>(g: &DMatrix<T>, f: &mut DMatrix<T>, par: Par) -> bool {
    if g.ncols() < NATIVE_MIN {
        return false;
    }
    dispatch!((g: matrix, f: matrix_mut) => gram_lower_native(g, f, par)).is_some()
}

fn gram_lower_native<F: Native>(g: &DMatrix<F>, f: &mut DMatrix<F>, par: Par) {
    let g = view(g);
    lower_product(f, g.transpose(), g, par);
}

/// The lower triangle (diagonal included) of `lhs`·`rhs` written into that of `dst` (faer's
/// `triangular::matmul`; the strict upper triangle is not touched).
fn lower_product<F: Native>(
    dst: &mut DMatrix<F>,
    lhs: MatRef<'_, F>,
    rhs: MatRef<'_, F>,
    par: Par,
) {
    triangular::matmul(
        view_mut(dst),
        BlockStructure::TriangularLower,
        Accum::Replace,
        lhs,
        BlockStructure::Rectangular,
        rhs,
        BlockStructure::Rectangular,
        F::one(),
        par,
    );
}

/// The lower triangle (diagonal included) of G Gᵀ for the m × n matrix `g`, written into the
/// lower triangle of the m × m `k`: entry (i, j) is the dot product of scores i and j,
/// Σₗ GᵢₗGⱼₗ (BLAS `syrk` with the other transpose). `false` for a type other than f32/f64 or
/// n < [`NATIVE_MIN`].
pub(crate) fn outer_gram_lower<T: Scalar>(g: &DMatrix<T>, k: &mut DMatrix<T>, par: Par) -> bool {
    if g.ncols() < NATIVE_MIN {
        return false;
    }
    dispatch!((g: matrix, k: matrix_mut) => outer_gram_lower_native(g, k, par)).is_some()
}

fn outer_gram_lower_native<F: Native>(g: &DMatrix<F>, k: &mut DMatrix<F>, par: Par) {
    let g = view(g);
    lower_product(k, g, g.transpose(), par);
}

/// The Cholesky factor of a symmetric A = LLᵀ in place (only the lower triangle of A is read; L
/// is written over it, the strict upper triangle left as it was): `Some(true)` when every pivot
/// is positive, `Some(false)` when a pivot is not (A is not positive definite to working
/// precision), `None` for a type other than f32/f64 or n < [`NATIVE_MIN`]. faer's left-looking
/// blocked `llt` (LAPACK `dpotrf`), no regularisation.
pub(crate) fn cholesky_in_place<T: Scalar>(a: &mut DMatrix<T>, par: Par) -> Option<bool> {
    if a.nrows() < NATIVE_MIN {
        return None;
    }
    dispatch!((a: matrix_mut) => cholesky_native(a, par))
}

fn cholesky_native<F: Native>(a: &mut DMatrix<F>, par: Par) -> bool {
    let n = a.nrows();
    let params = Default::default();
    let mut mem = MemBuffer::new(cholesky::llt::factor::cholesky_in_place_scratch::<F>(
        n, par, params,
    ));
    cholesky::llt::factor::cholesky_in_place(
        view_mut(a),
        Default::default(),
        par,
        MemStack::new(&mut mem),
        params,
    )
    .is_ok()
}

/// b ← A⁻¹b from the factor L of [`cholesky_in_place`] (L y = b, then Lᵀ x = y; only the lower
/// triangle of `l` is read), on one thread: faer's threaded triangular solve of one vector
/// splits inner sums among threads (see the module's determinism note), and O(n²) work does not
/// need them. `false` for a type other than f32/f64 or n < [`NATIVE_MIN`].
pub(crate) fn cholesky_solve<T: Scalar>(l: &DMatrix<T>, b: &mut DVector<T>) -> bool {
    if l.nrows() < NATIVE_MIN {
        return false;
    }
    dispatch!((l: matrix, b: vector_mut) => cholesky_solve_native(l, b)).is_some()
}

fn cholesky_solve_native<F: Native>(l: &DMatrix<F>, b: &mut DVector<F>) {
    let n = b.len();
    let rhs = MatMut::from_column_major_slice_mut(b.as_mut_slice(), n, 1);
    cholesky::llt::solve::solve_in_place(view(l), rhs, Par::Seq, MemStack::new(&mut []));
}

/// The diagonal of A⁻¹ = L⁻ᵀL⁻¹ from the factor L of [`cholesky_in_place`]: (A⁻¹)ᵢᵢ = ‖L⁻¹eᵢ‖²,
/// the squared norm of column i of L⁻¹ (faer's blocked triangular inverse, n³/3 flops, as much
/// as the factorisation). `None` for a type other than f32/f64 or n < [`NATIVE_MIN`].
pub(crate) fn inverse_diagonal<T: Scalar>(l: &DMatrix<T>, par: Par) -> Option<DVector<T>> {
    if l.nrows() < NATIVE_MIN {
        return None;
    }
    let mut out = DVector::zeros(l.nrows());
    {
        let out = &mut out;
        dispatch!((l: matrix, out: vector_mut) => inverse_diagonal_native(l, out, par))?;
    }
    Some(out)
}

fn inverse_diagonal_native<F: Native>(l: &DMatrix<F>, out: &mut DVector<F>, par: Par) {
    let n = l.nrows();
    let mut inv = DMatrix::<F>::zeros(n, n);
    triangular_inverse::invert_lower_triangular(view_mut(&mut inv), view(l), par);
    for (j, d) in out.iter_mut().enumerate() {
        *d = inv
            .column(j)
            .rows(j, n - j)
            .iter()
            .fold(F::zero(), |s, x| s + *x * *x);
    }
}

/// u with A u = b by faer's LU with partial pivoting (LAPACK `dgetrf`/`dgetrs`), for a square
/// A: `Some(Some(u))`, `Some(None)` when a pivot of U is exactly zero (nalgebra's `lu().solve`
/// rule), `None` for a type other than f32/f64 or n < [`NATIVE_MIN`].
pub(crate) fn lu_solve<T: Scalar>(
    a: &DMatrix<T>,
    b: &DVector<T>,
    par: Par,
) -> Option<Option<DVector<T>>> {
    if a.nrows() < NATIVE_MIN {
        return None;
    }
    let mut u = b.clone();
    let solved = {
        let u = &mut u;
        dispatch!((a: matrix, u: vector_mut) => lu_solve_native(a, u, par))?
    };
    Some(solved.then_some(u))
}

fn lu_solve_native<F: Native>(a: &DMatrix<F>, b: &mut DVector<F>, par: Par) -> bool {
    let n = a.nrows();
    let mut factors = a.clone();
    let params = Default::default();
    let mut perm = vec![0usize; n];
    let mut perm_inv = vec![0usize; n];
    let mut mem = MemBuffer::new(
        lu::partial_pivoting::factor::lu_in_place_scratch::<usize, F>(n, n, par, params).or(
            lu::partial_pivoting::solve::solve_in_place_scratch::<usize, F>(n, 1, par),
        ),
    );
    let (_, p) = lu::partial_pivoting::factor::lu_in_place(
        view_mut(&mut factors),
        &mut perm,
        &mut perm_inv,
        par,
        MemStack::new(&mut mem),
        params,
    );
    if (0..n).any(|i| factors[(i, i)] == F::zero()) {
        return false;
    }
    let lu = view(&factors);
    let rhs = MatMut::from_column_major_slice_mut(b.as_mut_slice(), n, 1);
    // One vector: sequential, as in `cholesky_solve`.
    lu::partial_pivoting::solve::solve_in_place(lu, lu, p, rhs, Par::Seq, MemStack::new(&mut mem));
    true
}

/// The eigenvalues of the symmetric A in ascending order, without eigenvectors: faer's
/// tridiagonalisation (Householder, blocked) and the eigenvalues of the tridiagonal matrix
/// (LAPACK `dsyevd` with `jobz = 'N'`). `Some(None)` when faer's bounded iteration does not
/// converge, `None` for a type other than f32/f64 or n < [`NATIVE_MIN`]. Only the lower
/// triangle of A is read. Sequential ([`eigen_native`]).
pub(crate) fn symmetric_eigenvalues<T: Scalar>(a: &DMatrix<T>) -> Option<Option<DVector<T>>> {
    if a.nrows() < NATIVE_MIN {
        return None;
    }
    let mut values = DVector::zeros(a.nrows());
    let ok = {
        let values = &mut values;
        dispatch!((a: matrix, values: vector_mut) => eigen_native(a, values, None))?
    };
    Some(ok.then_some(values))
}

/// The symmetric eigendecomposition A = QΛQᵀ: the eigenvalues in ascending order and the
/// orthonormal eigenvectors (column i of Q for eigenvalue i), by faer's tridiagonalisation and
/// divide and conquer (LAPACK `dsyevd`). `Some(None)` when faer's bounded iteration does not
/// converge, `None` for a type other than f32/f64 or n < [`NATIVE_MIN`]. Only the lower
/// triangle of A is read. Sequential ([`eigen_native`]).
pub(crate) fn symmetric_eigen<T: Scalar>(
    a: &DMatrix<T>,
) -> Option<Option<(DVector<T>, DMatrix<T>)>> {
    let n = a.nrows();
    if n < NATIVE_MIN {
        return None;
    }
    let mut values = DVector::zeros(n);
    let mut q = DMatrix::zeros(n, n);
    let ok = {
        let (values, q) = (&mut values, &mut q);
        dispatch!((a: matrix, values: vector_mut, q: matrix_mut) =>
            eigen_native(a, values, Some(q)))?
    };
    Some(ok.then_some((values, q)))
}

/// faer's `self_adjoint_evd` on one thread: its tridiagonalisation's threaded matrix-vector
/// products split inner sums among threads, so the eigenvalues' last bits would depend on the
/// thread count (seen at n = 400 and above).
fn eigen_native<F: Native>(
    a: &DMatrix<F>,
    values: &mut DVector<F>,
    q: Option<&mut DMatrix<F>>,
) -> bool {
    let par = Par::Seq;
    let n = a.nrows();
    let compute = if q.is_some() {
        evd::ComputeEigenvectors::Yes
    } else {
        evd::ComputeEigenvectors::No
    };
    let params = Default::default();
    let mut mem = MemBuffer::new(evd::self_adjoint_evd_scratch::<F>(n, compute, par, params));
    evd::self_adjoint_evd(
        view(a),
        DiagMut::from_slice_mut(values.as_mut_slice()),
        q.map(view_mut),
        par,
        MemStack::new(&mut mem),
        params,
    )
    .is_ok()
}

/// Gᵀ(G p) for the m × n score matrix G without forming GᵀG (the product of the matrix-free
/// conjugate gradient, footnote 3 of Section 12.3), with Gp as well: `Some((Gᵀ(Gp), Gp))`, or
/// `None` for a type other than f32/f64 or n < [`NATIVE_MIN`].
///
/// G is cut into column blocks G = [G₁ … G_b] of [`CG_BLOCK`] columns (p = [p₁; …; p_b]):
/// Gp = Σ_c G_c p_c, the partial products computed side by side and added in block order c =
/// 1, …, b, then (GᵀGp)_c = G_cᵀ(Gp), block by block. Each block's products are sequential, so
/// every entry is the same sums in the same order whatever the thread count. Memory: b partial
/// vectors of length m beside the two results, never n × n.
pub(crate) fn gram_vector_product<T: Scalar>(
    g: &DMatrix<T>,
    p: &DVector<T>,
) -> Option<(DVector<T>, DVector<T>)> {
    let (m, n) = g.shape();
    if n < NATIVE_MIN {
        return None;
    }
    let mut out = DVector::zeros(n);
    let mut gp = DVector::zeros(m);
    {
        let (gp, out) = (&mut gp, &mut out);
        dispatch!((g: matrix, p: vector, gp: vector_mut, out: vector_mut) =>
            gram_vector_native(g, p, gp, out))?;
    }
    Some((out, gp))
}

fn gram_vector_native<F: Native>(
    g: &DMatrix<F>,
    p: &DVector<F>,
    gp: &mut DVector<F>,
    out: &mut DVector<F>,
) {
    let (m, n) = g.shape();
    let g = view(g);
    let blocks = n.div_ceil(CG_BLOCK);
    // Partial products G_c p_c, one column of `partial` per block.
    let mut partial = vec![F::zero(); m * blocks];
    let block_product = |(c, dst): (usize, &mut [F])| {
        let j0 = c * CG_BLOCK;
        let w = CG_BLOCK.min(n - j0);
        faer::linalg::matmul::matmul(
            MatMut::from_column_major_slice_mut(dst, m, 1),
            Accum::Replace,
            g.subcols(j0, w),
            ColRef::from_slice(&p.as_slice()[j0..j0 + w]).as_mat(),
            F::one(),
            Par::Seq,
        );
    };
    let parallel = m * n >= CG_PARALLEL_MIN;
    for_each_block(&mut partial, m, parallel, block_product);
    for (i, x) in gp.iter_mut().enumerate() {
        *x = (0..blocks).fold(F::zero(), |s, c| s + partial[c * m + i]);
    }
    let w_col = ColRef::from_slice(gp.as_slice());
    let transposed_product = |(c, dst): (usize, &mut [F])| {
        let j0 = c * CG_BLOCK;
        let w = dst.len();
        faer::linalg::matmul::matmul(
            ColMut::from_slice_mut(dst).as_mat_mut(),
            Accum::Replace,
            g.subcols(j0, w).transpose(),
            w_col.as_mat(),
            F::one(),
            Par::Seq,
        );
    };
    for_each_block(out.as_mut_slice(), CG_BLOCK, parallel, transposed_product);
}

/// Calls `f((c, chunk))` for the consecutive chunks of `data` of length `len` (the last one
/// shorter): on rayon's pool with `threading` when `parallel`, in order otherwise. The chunks,
/// and so the bits, are the same either way.
fn for_each_block<F: Send, G: Fn((usize, &mut [F])) + Sync + Send>(
    data: &mut [F],
    len: usize,
    parallel: bool,
    f: G,
) {
    #[cfg(feature = "threading")]
    if parallel {
        use rayon::prelude::*;
        data.par_chunks_mut(len).enumerate().for_each(f);
        return;
    }
    let _ = parallel;
    data.chunks_mut(len).enumerate().for_each(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "threading")]
    use crate::{CgParams, Solver, natural_update};

    /// Entries in [−0.5, 0.5) from a scrambled integer pattern (benches/common/inputs.rs).
    fn pattern(rows: usize, cols: usize, seed: usize) -> DMatrix<f64> {
        DMatrix::from_fn(rows, cols, |i, j| {
            ((7919 * i + 104_729 * j + i * j + 31 * seed) % 1013) as f64 / 1013.0 - 0.5
        })
    }

    /// A = BᵀB/k + δI: symmetric positive definite for δ > 0.
    fn spd(n: usize, k: usize, delta: f64, seed: usize) -> DMatrix<f64> {
        let b = pattern(k, n, seed);
        b.tr_mul(&b) / k as f64 + DMatrix::identity(n, n) * delta
    }

    /// Q diag(λ) Qᵀ with Q orthogonal (nalgebra's QR of a pattern matrix): eigenvalues λ
    /// known by construction, up to the rounding of the two products (≈ n·ε·max|λ|).
    fn with_eigenvalues(lambda: &[f64], seed: usize) -> DMatrix<f64> {
        let n = lambda.len();
        let q = pattern(n, n, seed).qr().q();
        let a = &q * DMatrix::from_diagonal(&DVector::from_column_slice(lambda)) * q.transpose();
        (&a + a.transpose()) * 0.5
    }

    /// The faer syrk equals the mean outer product formed independently (nalgebra's GEMM on
    /// the full matrix), lower triangle only, in f64 and f32; below 65 columns it declines.
    #[test]
    fn gram_lower_is_the_lower_triangle_of_gtg() {
        for (m, n) in [(7, 65), (300, 130), (1000, 70)] {
            let g = pattern(m, n, 1);
            let mut f = DMatrix::from_element(n, n, 7.0);
            assert!(gram_lower(&g, &mut f, Par::Seq));
            let full = g.tr_mul(&g);
            for j in 0..n {
                for i in 0..n {
                    if i >= j {
                        // m products of size ≤ 1/4: rounding below m·ε.
                        assert!((f[(i, j)] - full[(i, j)]).abs() <= m as f64 * f64::EPSILON);
                    } else {
                        assert_eq!(f[(i, j)], 7.0, "upper triangle untouched");
                    }
                }
            }
            let g32 = g.map(|x| x as f32);
            let mut f32_ = DMatrix::<f32>::zeros(n, n);
            assert!(gram_lower(&g32, &mut f32_, Par::Seq));
            assert!((f32_[(n - 1, 0)] as f64 - full[(n - 1, 0)]).abs() <= 1e-4 * m as f64);
        }
        let mut small = DMatrix::zeros(64, 64);
        assert!(!gram_lower(&pattern(10, 64, 1), &mut small, Par::Seq));
    }

    /// Dual numbers never take the faer path: every kernel declines them.
    #[test]
    fn dual_numbers_take_the_generic_path() {
        use num_dual::Dual64;
        let a = spd(70, 80, 1e-2, 2).map(Dual64::from);
        let mut f = a.clone();
        assert!(!gram_lower(&a, &mut f, Par::Seq));
        assert!(cholesky_in_place(&mut f, Par::Seq).is_none());
        assert!(symmetric_eigenvalues(&a).is_none());
        assert!(symmetric_eigen(&a).is_none());
        let b = DVector::from_element(70, Dual64::from(1.0));
        assert!(lu_solve(&a, &b, Par::Seq).is_none());
        assert!(gram_vector_product(&a, &b).is_none());
    }

    /// Cholesky, LU and the inverse's diagonal against nalgebra's LU solve and inverse of the
    /// same matrix (independent factorisations): agreement to 10⁻¹⁰ relative at κ ~ 10³.
    #[test]
    fn factorisations_agree_with_nalgebra() {
        let n = 150;
        let a = spd(n, n + 7, 1e-3, 3);
        let b = DVector::from_fn(n, |i, _| (i as f64 * 0.37).sin());
        let reference = a.clone().lu().solve(&b).expect("invertible");
        let inverse = a.clone().try_inverse().expect("invertible");
        let scale = reference.amax();
        let mut l = a.clone();
        assert_eq!(cholesky_in_place(&mut l, Par::Seq), Some(true));
        let mut u = b.clone();
        assert!(cholesky_solve(&l, &mut u));
        assert!((&u - &reference).amax() <= 1e-10 * scale);
        let lu = lu_solve(&a, &b, Par::Seq)
            .expect("f64")
            .expect("non-singular");
        assert!((&lu - &reference).amax() <= 1e-10 * scale);
        let diagonal = inverse_diagonal(&l, Par::Seq).expect("f64");
        for i in 0..n {
            assert!((diagonal[i] - inverse[(i, i)]).abs() <= 1e-10 * inverse.diagonal().amax());
        }
        // Not positive definite: a negative pivot, reported, not factorised.
        let mut indefinite = a.clone();
        indefinite[(100, 100)] = -1.0;
        assert_eq!(cholesky_in_place(&mut indefinite, Par::Seq), Some(false));
        // An exactly zero column: LU reports the zero pivot, as nalgebra's does.
        let mut singular = a.clone();
        singular.column_mut(5).fill(0.0);
        singular.row_mut(5).fill(0.0);
        assert_eq!(lu_solve(&singular, &b, Par::Seq), Some(None));
    }

    /// Eigenvalues of Q diag(λ) Qᵀ are the λ (sorted), with or without eigenvectors, and the
    /// eigenvectors reconstruct the matrix.
    #[test]
    fn eigenvalues_are_those_constructed() {
        let n = 90;
        let lambda: Vec<f64> = (0..n).map(|i| 1.0 + (i * i) as f64 / 10.0).collect();
        let a = with_eigenvalues(&lambda, 4);
        let values = symmetric_eigenvalues(&a).expect("f64").expect("converges");
        let (with_vectors, q) = symmetric_eigen(&a).expect("f64").expect("converges");
        let top = lambda[n - 1];
        for i in 0..n {
            assert!((values[i] - lambda[i]).abs() <= 1e-12 * top, "λ{i}");
            assert!((with_vectors[i] - lambda[i]).abs() <= 1e-12 * top, "λ{i}");
        }
        let rebuilt = &q * DMatrix::from_diagonal(&with_vectors) * q.transpose();
        assert!((rebuilt - &a).amax() <= 1e-12 * top);
    }

    /// Gᵀ(Gp) and Gp by blocks against nalgebra's two products (n = 600: three blocks, the last
    /// ragged).
    #[test]
    fn gram_vector_product_is_gtgp() {
        for (m, n) in [(10, 600), (1000, 70)] {
            let g = pattern(m, n, 5);
            let p = DVector::from_fn(n, |i, _| (i as f64 * 0.3).cos());
            let (gtgp, gp) = gram_vector_product(&g, &p).expect("f64");
            let gp_ref = &g * &p;
            let gtgp_ref = g.tr_mul(&gp_ref);
            assert!((&gp - &gp_ref).amax() <= 1e-12 * n as f64);
            assert!((&gtgp - &gtgp_ref).amax() <= 1e-12 * (m * n) as f64);
        }
    }

    /// Every kernel given threads gives the same bits on one thread and on two (faer's
    /// `Par::Seq` against `Par::rayon(2)`), at sizes where faer does split the work (probed
    /// also at n = 700, 1100 and 2048 while this was written; too slow for `cargo test`).
    #[cfg(feature = "threading")]
    #[test]
    fn kernels_same_bits_for_one_and_two_threads() {
        let two = Par::rayon(2);
        let g = pattern(400, 300, 6);
        let (mut f1, mut f2) = (DMatrix::zeros(300, 300), DMatrix::zeros(300, 300));
        assert!(gram_lower(&g, &mut f1, Par::Seq) && gram_lower(&g, &mut f2, two));
        assert_eq!(f1, f2, "syrk");
        let a = spd(300, 320, 1e-3, 7);
        let (mut l1, mut l2) = (a.clone(), a.clone());
        assert_eq!(cholesky_in_place(&mut l1, Par::Seq), Some(true));
        assert_eq!(cholesky_in_place(&mut l2, two), Some(true));
        assert_eq!(l1, l2, "Cholesky");
        let b = DVector::from_fn(300, |i, _| (i as f64).sin());
        assert_eq!(inverse_diagonal(&l1, Par::Seq), inverse_diagonal(&l1, two));
        assert_eq!(lu_solve(&a, &b, Par::Seq), lu_solve(&a, &b, two), "LU");
    }

    /// `natural_update` under every solver gives the same bits in a rayon pool of one thread
    /// and of two: the `threading` promise of docs/performance.md, end to end. The conjugate
    /// gradient and the damped solver at n = 260 (two CG blocks, the last ragged), the exact
    /// and pseudo-inverse solvers at n = 100 (their eigenvalues are the slow part in a debug
    /// build), with fewer trajectories than parameters and (exact, pseudo-inverse) more.
    #[cfg(feature = "threading")]
    #[test]
    fn natural_update_same_bits_for_one_and_two_threads() {
        let pool = |k| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(k)
                .build()
                .expect("a rayon pool")
        };
        let (one, two) = (pool(1), pool(2));
        let cg = Solver::ConjugateGradient(CgParams::new(50, 1e-10).with_damping(1e-3));
        let damped = Solver::Damped { damping: 1e-3 };
        let pinv = Solver::PseudoInverse { rcond: 1e-12 };
        let cases = [
            (260, 10, cg),
            (260, 150, cg),
            (260, 10, damped),
            (260, 150, damped),
            (100, 120, Solver::Exact),
            (100, 10, pinv),
            (100, 120, pinv),
        ];
        for (n, m, solver) in cases {
            let g = pattern(m, n, 8);
            let scores: Vec<DVector<f64>> = g.row_iter().map(|r| r.transpose()).collect();
            let grads: Vec<DVector<f64>> = scores
                .iter()
                .enumerate()
                .map(|(i, s)| s * (1.0 + (i % 3) as f64))
                .collect();
            let theta = DVector::zeros(n);
            let run = || natural_update(&theta, &grads, &scores, 0.01, &solver);
            let (a, b) = (one.install(run), two.install(run));
            assert!(a == b, "n = {n}, m = {m}, {solver:?}: different bits");
        }
    }
}
