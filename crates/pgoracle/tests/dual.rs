//! The generic core runs unchanged on num-dual's `Dual64`: forward-mode autodiff checks of
//! hand-derived gradients (the full autodiff suite is issue #5).

use nalgebra::{DVector, dvector};
use num_dual::Dual64;

use crate::common::lift_trajectories;
use pgoracle::book::{example_12_1_theta, example_12_1_trajectories};
use pgoracle::{
    Gaussian, LinearGaussian, Policy, Softmax, Step, Tolerance, clamped_gradient,
    clamped_objective, surrogate_objective,
};

/// θ as duals with the derivative seed on component `j`.
fn seeded(theta: &DVector<f64>, j: usize) -> DVector<Dual64> {
    DVector::from_fn(theta.len(), |i, _| {
        Dual64::new(theta[i], if i == j { 1.0 } else { 0.0 })
    })
}

fn lift(v: &DVector<f64>) -> DVector<Dual64> {
    v.map(Dual64::from)
}

fn assert_close(what: &str, expected: f64, got: f64) {
    assert!(
        Tolerance::<f64>::ulps(64).agrees(expected, got),
        "{what}: autodiff {expected}, by hand {got}"
    );
}

#[test]
fn gaussian_families_hand_gradients_match_autodiff() {
    let theta = dvector![0.4, 1.3];
    for (s, a) in [(0.0, 0.3), (1.5, -0.7), (-0.8, 2.1)] {
        let by_hand_g = Policy::<f64>::grad_log_density(&Gaussian, &theta, &a, &s).unwrap();
        let by_hand_l = Policy::<f64>::grad_log_density(&LinearGaussian, &theta, &a, &s).unwrap();
        for j in 0..2 {
            let g = Gaussian
                .log_density(&seeded(&theta, j), &Dual64::from(a), &Dual64::from(s))
                .unwrap();
            assert_close("gaussian ∇log π", g.eps, by_hand_g[j]);
            let l = LinearGaussian
                .log_density(&seeded(&theta, j), &Dual64::from(a), &Dual64::from(s))
                .unwrap();
            assert_close("linear_gaussian ∇log π", l.eps, by_hand_l[j]);
            let p = Gaussian
                .density(&seeded(&theta, j), &Dual64::from(a), &Dual64::from(s))
                .unwrap();
            let by_hand_p = grad_density(&Gaussian, &theta, &a, &s);
            assert_close("gaussian ∇π", p.eps, by_hand_p[j]);
        }
    }
}

#[test]
fn softmax_hand_gradient_matches_autodiff() {
    let table = Softmax::new(2, 3).unwrap();
    let theta = dvector![0.2, -0.5, 1.0, 0.3, 0.0, -1.2];
    for (s, a) in [(0usize, 0usize), (0, 2), (1, 1)] {
        let by_hand = Policy::<f64>::grad_log_density(&table, &theta, &a, &s).unwrap();
        for j in 0..6 {
            let l = table.log_density(&seeded(&theta, j), &a, &s).unwrap();
            assert_close("softmax ∇log π", l.eps, by_hand[j]);
        }
    }
}

#[test]
fn exercise_12_1_surrogate_gradient_at_theta_is_the_reward_to_go_gradient() {
    // ∇θ′ f(θ, θ′) at θ′ = θ = mean_τ mean_k ∇log π(a_k) R(τ, k) (Exercise 12.1), with the
    // right-hand side from Example 11.3's formulas written out here: at θ = [0, 1],
    // ∇log π(a) = [a, a² − 1]; r = a and γ = 1.
    let theta = example_12_1_theta::<f64>();
    let trajectories = example_12_1_trajectories::<f64>();
    let mut expected = [0.0; 2];
    for tau in &trajectories {
        let actions: Vec<f64> = tau.iter().map(|s| s.a).collect();
        for k in 0..actions.len() {
            let rtg: f64 = actions[k..].iter().sum();
            let a = actions[k];
            expected[0] += a * rtg / 3.0 / 2.0;
            expected[1] += (a * a - 1.0) * rtg / 3.0 / 2.0;
        }
    }
    let dual_trajectories = lift_trajectories(&trajectories);
    for (j, want) in expected.iter().enumerate() {
        let f = surrogate_objective(
            &Gaussian,
            &lift(&theta),
            &seeded(&theta, j),
            &dual_trajectories,
            Dual64::from(1.0),
        )
        .unwrap();
        assert_close("∂f/∂θ′", *want, f.eps);
    }
}

#[test]
fn clamped_gradient_is_the_autodiff_gradient_of_the_clamped_objective() {
    // Away from the kinks (no ratio exactly at 1 ± ε) Eq. (12.23) is the gradient of Eq. (12.22).
    let trajectories: Vec<Vec<Step<f64, f64, f64>>> = vec![
        vec![
            Step {
                s: 0.5,
                a: 0.2,
                r: 1.0,
            },
            Step {
                s: -0.3,
                a: -0.9,
                r: -0.4,
            },
        ],
        vec![
            Step {
                s: 1.1,
                a: 1.4,
                r: 0.7,
            },
            Step {
                s: 0.2,
                a: 0.1,
                r: -1.5,
            },
            Step {
                s: -1.0,
                a: -0.2,
                r: 0.3,
            },
        ],
    ];
    let theta = dvector![0.3, 0.8];
    let theta_prime = dvector![0.45, 0.7];
    let dual_trajectories = lift_trajectories(&trajectories);
    for eps in [0.05, 0.2, 10.0] {
        let grad = clamped_gradient(
            &LinearGaussian,
            &theta,
            &theta_prime,
            &trajectories,
            0.9,
            eps,
        )
        .unwrap();
        for j in 0..2 {
            let f = clamped_objective(
                &LinearGaussian,
                &lift(&theta),
                &seeded(&theta_prime, j),
                &dual_trajectories,
                Dual64::from(0.9),
                Dual64::from(eps),
            )
            .unwrap();
            assert_close("clamped ∂/∂θ′", f.eps, grad[j]);
        }
    }
}

#[test]
fn density_gradients_match_autodiff_for_every_family() {
    // ∇π = π ∇log π (the `∇π` of Algorithm 12.6) against forward-mode derivatives of π itself.
    let theta = dvector![0.4, 1.3];
    for (s, a) in [(0.7, 0.3), (-1.2, 1.1)] {
        let by_hand = grad_density(&LinearGaussian, &theta, &a, &s);
        for j in 0..2 {
            let p = LinearGaussian
                .density(&seeded(&theta, j), &Dual64::from(a), &Dual64::from(s))
                .unwrap();
            assert_close("linear_gaussian ∇π", p.eps, by_hand[j]);
        }
    }
    let table = Softmax::new(2, 3).unwrap();
    let logits = dvector![0.2, -0.5, 1.0, 0.3, 0.0, -1.2];
    for (s, a) in [(0usize, 1usize), (1, 2)] {
        let by_hand = grad_density(&table, &logits, &a, &s);
        for j in 0..6 {
            let p = table.density(&seeded(&logits, j), &a, &s).unwrap();
            assert_close("softmax ∇π", p.eps, by_hand[j]);
        }
    }
}

/// ∇π = π ∇log π, the density gradient `∇π` of Algorithm 12.6, from the hand-derived
/// ∇log π; the tests compare it with forward-mode derivatives of π itself.
fn grad_density<P: Policy<f64>>(
    policy: &P,
    theta: &DVector<f64>,
    a: &P::Action,
    s: &P::State,
) -> DVector<f64> {
    let p = policy.density(theta, a, s).unwrap();
    policy.grad_log_density(theta, a, s).unwrap() * p
}
