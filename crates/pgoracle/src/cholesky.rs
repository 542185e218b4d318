//! Blocked Cholesky factorisation and solve for the explicit Fisher solvers (Eq. 12.13's
//! F⁻¹∇U(θ) by `\`, and the damped (F + λI)⁻¹∇U(θ)).
//!
//! nalgebra's Cholesky is unblocked: about 6 GFLOP/s at n = 2048, 0.5 s for the n³/3 flops.
//! This is the right-looking blocked form of LAPACK's `dpotrf`, built from nalgebra parts:
//! for each diagonal block A₁₁ (b × b), L₁₁ = chol(A₁₁) by nalgebra, L₂₁ = A₂₁L₁₁⁻ᵀ by
//! forward substitution (backward stable, as `dtrsm`), and the trailing update
//! A₂₂ ← A₂₂ − L₂₁L₂₁ᵀ, lower triangle only, as GEMMs (most of the flops; for f32 and f64
//! `matrixmultiply`'s). Up to one block (n ≤ b) it is nalgebra's factorisation unchanged.
//! For f32 and f64 with n ≥ 65 faer's blocked Cholesky takes over (`dense`, issue #20); the
//! blocked form here remains the path of dual numbers and every other scalar type.

use nalgebra::{DMatrix, DVector};

use crate::dense;
use crate::scalar::Scalar;

/// Block size b: the forward substitutions cost about b·n²/2 flops at nalgebra's unblocked
/// speed, the GEMMs n³/3 at `matrixmultiply`'s; 64 was the fastest of 32…256 at n = 2048.
const BLOCK: usize = 64;

/// u with A u = b for a symmetric A, from its Cholesky factor A = LLᵀ (only the lower
/// triangle of A is read). `None` when A is not positive definite to working precision: a
/// pivot of some diagonal block is not positive.
///
/// For f32 and f64 with n ≥ 65 the factorisation and the solves are faer's
/// (`dense::cholesky_in_place`, `dense::cholesky_solve`; issue #20).
pub(crate) fn cholesky_solve<T: Scalar>(mut a: DMatrix<T>, b: &DVector<T>) -> Option<DVector<T>> {
    let n = a.nrows();
    let par = dense::par();
    match dense::cholesky_in_place(&mut a, par) {
        Some(true) => {
            let mut u = b.clone();
            return dense::cholesky_solve(&a, &mut u).then_some(u);
        }
        Some(false) => return None,
        None => {}
    }
    if n <= BLOCK {
        return a.cholesky().map(|c| c.solve(b));
    }
    for k0 in (0..n).step_by(BLOCK) {
        let w = BLOCK.min(n - k0);
        let l11 = a.view((k0, k0), (w, w)).clone_owned().cholesky()?.unpack();
        a.view_mut((k0, k0), (w, w)).copy_from(&l11);
        let rest = n - k0 - w;
        if rest == 0 {
            break;
        }
        // L₂₁ᵀ = L₁₁⁻¹ A₂₁ᵀ, kept as the w × rest matrix `l21t` for the update below.
        let mut l21t = a.view((k0 + w, k0), (rest, w)).transpose();
        if !l11.solve_lower_triangular_mut(&mut l21t) {
            return None;
        }
        let l21 = l21t.transpose();
        a.view_mut((k0 + w, k0), (rest, w)).copy_from(&l21);
        for c0 in (0..rest).step_by(BLOCK) {
            let cw = BLOCK.min(rest - c0);
            let top = k0 + w + c0;
            a.view_mut((top, top), (rest - c0, cw)).gemm(
                -T::one(),
                &l21.rows(c0, rest - c0),
                &l21t.columns(c0, cw),
                T::one(),
            );
        }
    }
    let y = a.solve_lower_triangular(b)?;
    a.tr_solve_lower_triangular(&y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;
    use num_dual::Dual64;

    /// A = BᵀB/k + δI with B (k × n) of scrambled entries in [−0.5, 0.5): symmetric positive
    /// semidefinite, definite for δ > 0 or k ≥ n.
    fn spd(n: usize, k: usize, delta: f64, seed: usize) -> DMatrix<f64> {
        let b = DMatrix::from_fn(k, n, |i, j| {
            ((7919 * i + 104_729 * j + 31 * seed + i * j) % 1013) as f64 / 1013.0 - 0.5
        });
        b.tr_mul(&b) / k as f64 + DMatrix::identity(n, n) * delta
    }

    /// Several blocks, the last one ragged (150 = 2·64 + 22): the same solution as nalgebra's
    /// unblocked factorisation, to rounding, and a backward-stable residual.
    #[test]
    fn blocked_solve_agrees_with_the_unblocked_one() {
        for (n, seed) in [(65, 1), (150, 2), (200, 3)] {
            let a = spd(n, n + 7, 1e-3, seed);
            let b = DVector::from_fn(n, |i, _| (i as f64 * 0.37).sin());
            let blocked = cholesky_solve(a.clone(), &b).expect("positive definite");
            let unblocked = a.clone().cholesky().expect("positive definite").solve(&b);
            let scale = unblocked.amax();
            assert!((&blocked - &unblocked).amax() <= 1e-10 * scale, "n = {n}");
            let residual = (&a * &blocked - &b).amax();
            assert!(
                residual <= 1e-12 * a.amax() * blocked.amax() * n as f64,
                "n = {n}"
            );
        }
    }

    /// A matrix that is positive definite in its first blocks but not in the trailing one
    /// (a negative pivot after the updates) is reported, not factorised.
    #[test]
    fn not_positive_definite_in_a_trailing_block_is_none() {
        let n = 150;
        let mut a = spd(n, n + 7, 1e-3, 4);
        a[(140, 140)] = -1.0;
        assert!(cholesky_solve(a, &DVector::from_element(n, 1.0)).is_none());
        // A zero diagonal entry in the second block: its pivot is 0 − ‖ℓ‖² < 0 after the
        // first block's update.
        let mut a = spd(n, n + 7, 1e-3, 5);
        a[(100, 100)] = 0.0;
        assert!(cholesky_solve(a, &DVector::from_element(n, 1.0)).is_none());
    }

    /// The generic path (nalgebra's own GEMM loop) gives the same blocked algorithm for
    /// dual numbers: real parts equal the f64 solve, derivatives the derivative of A⁻¹b
    /// along b's tangent, A⁻¹ḃ.
    #[test]
    fn blocked_solve_in_dual_numbers() {
        let n = 70;
        let a = spd(n, n + 3, 1e-2, 6);
        let b = DVector::from_fn(n, |i, _| (i as f64 * 0.11).cos());
        let b_dot = DVector::from_fn(n, |i, _| (i as f64 * 0.7).sin());
        let a_dual = a.map(Dual64::from);
        let b_dual = DVector::from_fn(n, |i, _| Dual64::new(b[i], b_dot[i]));
        let u = cholesky_solve(a_dual, &b_dual).expect("positive definite");
        let exact = a.clone().lu();
        let re = exact.solve(&b).expect("invertible");
        let eps = exact.solve(&b_dot).expect("invertible");
        for i in 0..n {
            assert!((u[i].re - re[i]).abs() <= 1e-9 * re.amax());
            assert!((u[i].eps - eps[i]).abs() <= 1e-9 * eps.amax());
        }
    }
}
