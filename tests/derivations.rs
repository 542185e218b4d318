//! Checks of the chapter's derivation steps: each analytic solution satisfies the problem it
//! solves, and each approximation matches what it approximates.

use nalgebra::SVector;
use nalgebra::{DMatrix, DVector, dvector};
use num_dual::{Dual2SVec64, hessian};
use pgoracle::{
    Gaussian, Policy, Softmax, Solver, Tolerance, fisher, likelihood_ratio, natural_update,
    restricted_step,
};

fn close(expected: f64, got: f64) -> bool {
    Tolerance::<f64>::ulps(256).agrees(expected, got)
}

#[test]
fn restricted_step_solves_eq_12_5() {
    // Eq. (12.5): maximize gᵀΔ s.t. ½ΔᵀΔ = ε. KKT: g = λ Δ with λ > 0, and the constraint is
    // active. Equivalently Δ is the positive multiple of g of length √(2ε) (Eq. 12.6).
    let g = dvector![0.3, -1.2, 2.5];
    let theta = dvector![1.0, 2.0, -1.0];
    let epsilon = 0.07;
    let delta = restricted_step(&theta, &g, epsilon).unwrap() - &theta;
    assert!(close(epsilon, 0.5 * delta.dot(&delta)), "on the boundary");
    let lambda = g.dot(&delta) / delta.dot(&delta);
    assert!(lambda > 0.0);
    assert!((&g - &delta * lambda).amax() < 1e-14, "g ∥ Δ");
    // Any other point on the boundary has a smaller linear objective (Eq. 12.4 → 12.5).
    for other in [
        dvector![1.0, 0.0, 0.0],
        dvector![0.0, -1.0, 1.0],
        dvector![0.2, -0.9, 2.6],
    ] {
        let other = &other * ((2.0 * epsilon).sqrt() / other.norm());
        assert!(g.dot(&other) <= g.dot(&delta) + 1e-15);
    }
}

#[test]
fn natural_step_solves_eq_12_11() {
    // Eq. (12.11): maximize gᵀΔ s.t. ½ΔᵀFΔ = ε. KKT: g = λ F Δ, λ > 0, and the constraint is
    // active (with an exact solve gᵀu = uᵀFu, so the book's scale √(2ε/gᵀu) is exact).
    let scores = [
        dvector![1.0, 0.5, -0.2],
        dvector![-0.4, 2.0, 0.3],
        dvector![0.7, -0.1, 1.5],
        dvector![0.2, 0.2, -0.8],
    ];
    let grads: Vec<_> = scores
        .iter()
        .zip([1.5, -0.5, 2.0, 0.7])
        .map(|(s, r)| s * r)
        .collect();
    let theta = dvector![0.0, 0.0, 0.0];
    let epsilon = 0.05;
    let step = natural_update(&theta, &grads, &scores, epsilon, &Solver::Exact).unwrap();
    let f = fisher(&scores).unwrap();
    let delta = &step.theta - &theta;
    assert!(
        close(epsilon, 0.5 * delta.dot(&(&f * &delta))),
        "on the boundary"
    );
    let f_delta = &f * &delta;
    let lambda = step.grad.dot(&f_delta) / f_delta.dot(&f_delta);
    assert!(lambda > 0.0);
    assert!((&step.grad - &f_delta * lambda).amax() < 1e-13, "g ∥ FΔ");
}

#[test]
fn fisher_is_the_hessian_of_the_kl_divergence_eq_12_8() {
    // Eq. (12.8) replaces D_KL(π_θ ‖ π_θ′) by ½ΔᵀF_θΔ: the Hessian of θ′ ↦ D_KL at θ′ = θ is the
    // Fisher information. For N(μ, σ²) it is diag(1/σ², 2/σ²) in closed form.
    let theta = SVector::from([0.4, 1.7]);
    let kl = |tp: SVector<Dual2SVec64<2>, 2>| {
        let t = DVector::from_iterator(2, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
        let tp = DVector::from_iterator(2, tp.iter().copied());
        Gaussian.kl(&t, &tp, &Dual2SVec64::from_re(0.0)).unwrap()
    };
    let (value, grad, h) = hessian(kl, &theta);
    let s2 = theta[1] * theta[1];
    assert_eq!(value, 0.0);
    assert!(grad.amax() < 1e-15, "KL is stationary at θ′ = θ");
    let expected = DMatrix::from_row_slice(2, 2, &[1.0 / s2, 0.0, 0.0, 2.0 / s2]);
    assert!((h - expected).amax() < 1e-14);
}

#[test]
fn softmax_fisher_is_the_hessian_of_the_categorical_kl() {
    // For a softmax row p, the Hessian of KL(p ‖ softmax(θ′)) at θ′ = θ is diag(p) − ppᵀ, the
    // expected outer product of the score e_a − p.
    let table = Softmax::new(1, 3).unwrap();
    let theta = SVector::from([0.3, -0.6, 1.1]);
    let kl = |tp: SVector<Dual2SVec64<3>, 3>| {
        let t = DVector::from_iterator(3, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
        let tp = DVector::from_iterator(3, tp.iter().copied());
        table.kl(&t, &tp, &0).unwrap()
    };
    let (_, _, h) = hessian(kl, &theta);
    let z: f64 = theta.iter().map(|x| x.exp()).sum();
    let p: Vec<f64> = theta.iter().map(|x| x.exp() / z).collect();
    for i in 0..3 {
        for j in 0..3 {
            let expected = if i == j { p[i] } else { 0.0 } - p[i] * p[j];
            assert!((h[(i, j)] - expected).abs() < 1e-15);
        }
    }
}

#[test]
fn importance_weights_turn_an_expectation_under_theta_prime_into_one_under_theta_eq_12_17() {
    // Σ_a π_θ(a) [π_θ′(a)/π_θ(a)] Q(a) = Σ_a π_θ′(a) Q(a), exactly for a finite action set.
    let table = Softmax::new(1, 4).unwrap();
    let theta = dvector![0.1, -0.4, 0.8, 0.0];
    let theta_prime = dvector![-0.3, 0.5, 0.2, 0.9];
    let q = [1.5, -2.0, 0.3, 0.8];
    let (mut weighted, mut direct) = (0.0, 0.0);
    for (a, qa) in q.iter().enumerate() {
        let p = table.density(&theta, &a, &0).unwrap();
        let p_prime = table.density(&theta_prime, &a, &0).unwrap();
        weighted += p * likelihood_ratio(&table, &theta, &theta_prime, &a, &0).unwrap() * qa;
        direct += p_prime * qa;
    }
    assert!(close(direct, weighted));
}
