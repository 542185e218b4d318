//! Checking another implementation's natural-gradient step against pgoracle.
//!
//! `cargo run --example peer_natural_step`
//!
//! The "peer" below is written the way CG-based TRPO code usually is (Spinning Up,
//! stable-baselines3; the "peers" column of `docs/edge-cases.md`): Fisher-vector
//! products with damping λ, at most 10 conjugate-gradient iterations, and the step scale
//! √(2δ / uᵀ(F + λI)u). The book's natural update (Eq. 12.12, Algorithm 12.4) solves F u = ∇U
//! exactly and scales by √(2ε / ∇Uᵀu).
//!
//! On the data of Example 12.1 the example shows the two things an oracle user wants to know:
//! 1. the peer's step differs from the book's, by how much (normwise, relative);
//! 2. the whole difference is the damping convention: pgoracle run with the peer's
//!    convention (`Solver::ConjugateGradient` with λ = 0.1) agrees with the peer within the
//!    golden tolerance ε^(5/8) + 16κε of `pgoracle check` (κ the condition number of F + λI).
//!
//! The two step scales agree because the solve converged (2 parameters, 2 CG iterations):
//! for an exact solve of (F + λI)u = ∇U, uᵀ(F + λI)u = ∇Uᵀu. A CG that stopped early would
//! show up here as a scale mismatch.

use nalgebra::DVector;
use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
use pgoracle::{
    CgParams, Gaussian, PgError, Solver, Tolerance, fisher, likelihood_ratio_gradient,
    natural_update,
};

/// Damping λ and CG iteration cap of the peer (Spinning Up's defaults).
const DAMPING: f64 = 0.1;
const CG_ITERS: usize = 10;
/// The KL bound δ (the book's ε); Example 12.1 uses 0.1.
const DELTA: f64 = 0.1;

/// The peer under test, on plain slices: CG on (F + λI)u = g with F v = meanᵢ sᵢ(sᵢᵀv), from
/// u = 0, stopping when rᵀr < 10⁻¹⁰ or after `CG_ITERS` iterations, then
/// θ′ = θ + u √(2δ / uᵀ(F + λI)u).
fn peer_step(theta: &[f64], g: &[f64], scores: &[Vec<f64>]) -> Vec<f64> {
    let dot = |x: &[f64], y: &[f64]| x.iter().zip(y).map(|(a, b)| a * b).sum::<f64>();
    let fvp = |v: &[f64]| -> Vec<f64> {
        let mut out: Vec<f64> = v.iter().map(|x| DAMPING * x).collect();
        for s in scores {
            let sv = dot(s, v) / scores.len() as f64;
            out.iter_mut().zip(s).for_each(|(o, si)| *o += si * sv);
        }
        out
    };
    let mut u = vec![0.0; g.len()];
    let mut r = g.to_vec();
    let mut p = g.to_vec();
    let mut rr = dot(&r, &r);
    for _ in 0..CG_ITERS {
        if rr < 1e-10 {
            break;
        }
        let fp = fvp(&p);
        let step = rr / dot(&p, &fp);
        u.iter_mut().zip(&p).for_each(|(ui, pi)| *ui += step * pi);
        r.iter_mut().zip(&fp).for_each(|(ri, fi)| *ri -= step * fi);
        let rr_next = dot(&r, &r);
        p = r
            .iter()
            .zip(&p)
            .map(|(ri, pi)| ri + rr_next / rr * pi)
            .collect();
        rr = rr_next;
    }
    let scale = (2.0 * DELTA / dot(&u, &fvp(&u))).sqrt();
    theta.iter().zip(&u).map(|(t, ui)| t + scale * ui).collect()
}

/// maxᵢ |gotᵢ − expectedᵢ| / maxᵢ |expectedᵢ|, the normwise relative error `pgoracle check`
/// reports.
fn normwise_difference(got: &[f64], expected: &[f64]) -> f64 {
    let worst = got.iter().zip(expected).map(|(g, e)| (g - e).abs());
    let scale = expected.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    worst.fold(0.0, f64::max) / scale
}

fn main() -> Result<(), PgError> {
    let theta = example_12_1_theta::<f64>();
    let trajectories = example_12_1_trajectories::<f64>();
    let lr = likelihood_ratio_gradient(&Gaussian, &theta, &trajectories, 1.0)?;
    let plain = |v: &DVector<f64>| v.as_slice().to_vec();
    let scores: Vec<Vec<f64>> = lr.scores.iter().map(plain).collect();
    let peer = peer_step(theta.as_slice(), lr.grad.as_slice(), &scores);

    // The book: exact solve, Eq. 12.12.
    let book = natural_update(&theta, &lr.grads, &lr.scores, DELTA, &Solver::Exact)?;
    // pgoracle in the peer's convention: damped CG, the same iteration cap.
    let cg = Solver::ConjugateGradient(
        CgParams::new(CG_ITERS, 1e-12)
            .with_damping(DAMPING)
            .with_strict(true),
    );
    let damped = natural_update(&theta, &lr.grads, &lr.scores, DELTA, &cg)?;

    // κ(F + λI) from the eigenvalues of the symmetric F (Eq. 12.10).
    let eigenvalues = fisher(&lr.scores)?.symmetric_eigenvalues();
    let kappa = (eigenvalues.max() + DAMPING) / (eigenvalues.min() + DAMPING);
    let tolerance = Tolerance::<f64>::golden(kappa);

    println!("Example 12.1, δ = {DELTA}: natural-gradient step θ′");
    println!("  peer (λ = {DAMPING}, CG ≤ {CG_ITERS}): {peer:.12?}");
    println!(
        "  book (Eq. 12.12, exact solve):   {:.12?}",
        plain(&book.theta)
    );
    println!(
        "  pgoracle, peer's convention:     {:.12?}",
        plain(&damped.theta)
    );
    println!(
        "tolerance (pgoracle check, κ = {kappa:.3}): rel {:.3e}",
        tolerance.rel
    );

    let from_book = normwise_difference(&peer, book.theta.as_slice());
    let from_damped = normwise_difference(&peer, damped.theta.as_slice());
    let book_agrees = tolerance.agrees_normwise(book.theta.as_slice(), &peer);
    let damped_agrees = tolerance.agrees_normwise(damped.theta.as_slice(), &peer);
    println!(
        "peer vs book:                 relative difference {from_book:.3e}, agrees: {book_agrees}"
    );
    println!(
        "peer vs the peer's convention: relative difference {from_damped:.3e}, agrees: {damped_agrees}"
    );

    // What the example demonstrates, checked: the damping is the whole difference.
    assert!(
        !book_agrees,
        "damping λ = {DAMPING} must move the step visibly"
    );
    assert!(
        damped_agrees,
        "the peer must match pgoracle run in its own convention"
    );
    if let Some(info) = damped.cg {
        println!(
            "pgoracle's CG: {} iterations, residual {:.3e}",
            info.iterations, info.residual
        );
    }
    Ok(())
}
