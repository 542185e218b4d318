//! The conventions of interface version 2 (`shared/spec/profiles.md`) in the core: the
//! `gaussian_log_std` family, the Fisher information behind `fisher: kl_hessian`, CG from a start
//! with `cg_stop: absolute_squared`, `acceptance: strict`, and the trust region under
//! conventions. Expected values come from other formulas (the [μ, σ] family, second derivatives
//! by dual numbers, closed-form solves), never from the function under test.

use nalgebra::{DMatrix, DVector, SVector, dvector};
use num_dual::{Dual2SVec64, hessian};
use pgoracle::conventions::{
    Acceptance, CgStop, Conventions, FisherKind, LinesearchKl, NormalizeAdvantage, Profile,
    StepScale,
};
use pgoracle::samples::{Sample, normalize_advantages};
use pgoracle::{
    CgParams, Gaussian, GaussianLogStd, LinearGaussian, LinesearchOutcome, LinesearchParams,
    Policy, Softmax, Solver, Step, SurrogateValues, TrustRegionSettings, linesearch,
    trust_region_update, trust_region_update_with,
};

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// θ = [μ, ℓ] is the [μ, σ] family at σ = e^ℓ: the same log-density and KL, and
/// ∂/∂ℓ = σ·∂/∂σ by the chain rule.
#[test]
fn gaussian_log_std_is_the_gaussian_at_sigma_exp_l() {
    for (mu, l, a) in [(0.3, -0.4, 1.7), (-2.0, 1.2, -2.5), (0.0, 0.0, 3.0)] {
        let sigma = f64::exp(l);
        let (t_log, t_std) = (dvector![mu, l], dvector![mu, sigma]);
        let lp = GaussianLogStd.log_density(&t_log, &a, &0.0).unwrap();
        let lp_std = Gaussian.log_density(&t_std, &a, &0.0).unwrap();
        assert!(rel(lp, lp_std) < 1e-15, "{lp} {lp_std}");
        let g = GaussianLogStd.grad_log_density(&t_log, &a, &0.0).unwrap();
        let g_std = Gaussian.grad_log_density(&t_std, &a, &0.0).unwrap();
        assert!(rel(g[0], g_std[0]) < 1e-15);
        assert!(rel(g[1], g_std[1] * sigma) < 1e-14);
        let (mu2, l2) = (mu + 0.25, l - 0.3);
        let kl = GaussianLogStd.kl(&t_log, &dvector![mu2, l2], &0.0).unwrap();
        let kl_std = Gaussian
            .kl(&t_std, &dvector![mu2, f64::exp(l2)], &0.0)
            .unwrap();
        assert!(rel(kl, kl_std) < 1e-14, "{kl} {kl_std}");
    }
}

/// The Fisher information of every family is the Hessian at θ′ = θ of D_KL(π_θ′ ‖ π_θ) (the
/// `kl_hessian` Fisher sb3-contrib differentiates twice), computed here by second-order dual
/// numbers on `Policy::kl`.
#[test]
fn fisher_information_is_the_hessian_of_the_kl_for_every_family() {
    fn check<P>(policy: &P, theta: [f64; 2], s: f64)
    where
        P: Policy<f64, State = f64> + Policy<Dual2SVec64<2>, State = Dual2SVec64<2>>,
    {
        let point = SVector::from(theta);
        let kl = |tp: SVector<Dual2SVec64<2>, 2>| {
            let t = DVector::from_iterator(2, theta.iter().map(|x| Dual2SVec64::from_re(*x)));
            let tp = DVector::from_iterator(2, tp.iter().copied());
            Policy::<Dual2SVec64<2>>::kl(policy, &tp, &t, &Dual2SVec64::from_re(s)).unwrap()
        };
        let (_, _, h) = hessian(kl, &point);
        let f = Policy::<f64>::fisher_information(policy, &DVector::from_row_slice(&theta), &s)
            .unwrap();
        for i in 0..2 {
            for j in 0..2 {
                assert!(
                    (h[(i, j)] - f[(i, j)]).abs() <= 1e-13 * (1.0 + f[(i, j)].abs()),
                    "({i}, {j}): Hessian {} vs {}",
                    h[(i, j)],
                    f[(i, j)]
                );
            }
        }
    }
    check(&Gaussian, [0.4, 1.3], 0.0);
    check(&LinearGaussian, [0.4, 0.7], 1.7);
    check(&GaussianLogStd, [-0.2, 0.35], 0.0);
    // Softmax: the states are indices, so its Hessian is checked row by row by hand here:
    // diag(p) − ppᵀ in state 1's block of a 2 × 3 table, 0 elsewhere.
    let table = Softmax::new(2, 3).unwrap();
    let theta = dvector![0.1, -0.2, 0.3, 0.3, -0.6, 1.1];
    let f = table.fisher_information(&theta, &1).unwrap();
    let z: f64 = [0.3f64, -0.6, 1.1].iter().map(|x| x.exp()).sum();
    let p: Vec<f64> = [0.3f64, -0.6, 1.1].iter().map(|x| x.exp() / z).collect();
    for i in 0..6 {
        for j in 0..6 {
            let expected = if i >= 3 && j >= 3 {
                (if i == j { p[i - 3] } else { 0.0 }) - p[i - 3] * p[j - 3]
            } else {
                0.0
            };
            assert!((f[(i, j)] - expected).abs() < 1e-16, "({i}, {j})");
        }
    }
}

/// SB3 standardisation: (A − Ā)/(s + 10⁻⁸) with the n − 1 standard deviation.
#[test]
fn standardised_advantages_have_mean_zero_and_unit_sample_std() {
    let a = [0.5f64, -1.25, 2.0, 0.125, 3.5];
    let z = normalize_advantages(&a, NormalizeAdvantage::SampleStd).unwrap();
    let mean: f64 = z.iter().sum::<f64>() / 5.0;
    let var: f64 = z.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 4.0;
    assert!(mean.abs() < 1e-16);
    // Ā = 0.975; Σ(A − Ā)² = 0.225625 + 4.950625 + 1.050625 + 0.7225 + 6.375625 = 13.325, so
    // s = √(13.325/4) (n − 1 = 4), and the standardised values have sample std s/(s + 1e-8).
    let s = (13.325f64 / 4.0).sqrt();
    assert!(rel(var.sqrt(), s / (s + 1e-8)) < 1e-15);
}

/// `acceptance: strict` rejects a candidate whose divergence equals δ, which the book's g ≤ ε
/// accepts.
#[test]
fn strict_acceptance_rejects_a_divergence_equal_to_the_bound() {
    let evaluate = |_: &DVector<f64>| Ok(Some(SurrogateValues::new(1.0, 0.25, 0.0)));
    let book = LinesearchParams::new(0.25).with_max_steps(0);
    let (outcome, _) = linesearch(&dvector![0.0], &dvector![1.0], &book, evaluate).unwrap();
    assert!(outcome.accepted());
    let strict = book.with_acceptance(Acceptance::Strict);
    let (outcome, decisions) =
        linesearch(&dvector![0.0], &dvector![1.0], &strict, evaluate).unwrap();
    assert!(!outcome.accepted());
    assert_eq!(decisions[0].kind.name(), "linesearch_constraint_strict");
}

/// One-step samples with the book's conventions and exact solver: the conventions' trust
/// region is the book's Algorithm 12.5 on the one-step trajectories ((s, a, A)) with γ = 1.
#[test]
fn book_conventions_on_samples_are_algorithm_12_5_on_one_step_trajectories() {
    let samples: Vec<Sample<f64, f64, f64>> = [(0.4, 1.2), (-0.7, -0.5), (1.9, 0.8), (0.1, 0.3)]
        .iter()
        .map(|(a, adv)| Sample {
            s: 0.0,
            a: *a,
            advantage: *adv,
        })
        .collect();
    let trajectories: Vec<Vec<Step<f64, f64, f64>>> = samples
        .iter()
        .map(|x| {
            vec![Step {
                s: x.s,
                a: x.a,
                r: x.advantage,
            }]
        })
        .collect();
    let theta = dvector![0.2, 1.1];
    let params = LinesearchParams::new(0.05)
        .with_alpha(0.5)
        .with_max_steps(20);
    let book = trust_region_update(
        &Gaussian,
        &theta,
        &trajectories,
        1.0,
        &params,
        &Solver::Exact,
    )
    .unwrap();
    let settings = TrustRegionSettings {
        conventions: Conventions::book(),
        solver: Solver::Exact,
        cg_stop: CgStop::Relative,
        cg_start: None,
        damping: None,
    };
    let with = trust_region_update_with(&Gaussian, &theta, &samples, &params, &settings).unwrap();
    // The same algorithm on the same numbers, reached through the samples: equal to a few ulps
    // (the samples' path sums the one-step scores in another order).
    assert!((&with.step.theta - &book.theta).amax() < 4.0 * f64::EPSILON);
    assert!((&with.step.natural.direction - &book.natural.direction).amax() < 8.0 * f64::EPSILON);
    assert_eq!(with.step.outcome.steps(), book.outcome.steps());
}

/// sb3's Fisher for the log-σ Gaussian is diag(1/σ², 2) (+ λI), so its direction is
/// u = [g₁/(1/σ² + λ), g₂/(2 + λ)] and β = √(2δ/uᵀAu): checked against that closed form.
#[test]
fn kl_hessian_with_damping_and_u_dot_au_on_the_log_std_gaussian() {
    let samples: Vec<Sample<f64, f64, f64>> = [(0.4, 1.2), (-0.7, -0.5), (1.9, 0.8)]
        .iter()
        .map(|(a, adv)| Sample {
            s: 0.0,
            a: *a,
            advantage: *adv,
        })
        .collect();
    let theta = dvector![0.2, -0.3];
    let conventions = Conventions {
        normalize_advantage: NormalizeAdvantage::None,
        ..Profile::Sb3.conventions()
    };
    assert_eq!(conventions.fisher, FisherKind::KlHessian);
    assert_eq!(conventions.step_scale, StepScale::UDotAu);
    assert_eq!(conventions.linesearch_kl, LinesearchKl::NewOld);
    let settings = TrustRegionSettings {
        conventions,
        solver: Solver::Exact,
        cg_stop: CgStop::Relative,
        cg_start: None,
        damping: None,
    };
    let params = LinesearchParams::new(0.01)
        .with_alpha(0.8)
        .with_max_steps(9)
        .with_acceptance(Acceptance::Strict);
    let step =
        trust_region_update_with(&GaussianLogStd, &theta, &samples, &params, &settings).unwrap();
    // g = mean A·[z/σ, z² − 1], z = (a − μ)/σ.
    let sigma = f64::exp(-0.3);
    let mut g = [0.0; 2];
    for x in &samples {
        let z = (x.a - 0.2) / sigma;
        g[0] += x.advantage * z / sigma / 3.0;
        g[1] += x.advantage * (z * z - 1.0) / 3.0;
    }
    let a = [1.0 / (sigma * sigma) + 0.1, 2.0 + 0.1];
    let u = [g[0] / a[0], g[1] / a[1]];
    for i in 0..2 {
        assert!(rel(step.step.natural.grad[i], g[i]) < 1e-14);
        assert!(rel(step.step.natural.direction[i], u[i]) < 1e-14);
    }
    let beta = (0.02 / (u[0] * a[0] * u[0] + u[1] * a[1] * u[1])).sqrt();
    assert!(rel(step.step_size.expect("β is representable here"), beta) < 1e-14);
    let fisher = step.step.natural.fisher.clone().unwrap();
    let expected = DMatrix::from_diagonal(&dvector![1.0 / (sigma * sigma), 2.0]);
    assert!((fisher - expected).amax() < 4.0 * f64::EPSILON);
    assert!(matches!(
        step.step.outcome,
        LinesearchOutcome::Accepted { .. } | LinesearchOutcome::Exhausted { .. }
    ));
}

/// CG from a start with sb3-contrib's stop: when ‖g − Ax₀‖² < tol already, x₀ itself is
/// returned (`conjugate_gradient_solver`'s early `return x`); otherwise it converges to A⁻¹g.
#[test]
fn conjugate_gradient_from_a_start_with_the_absolute_squared_stop() {
    let samples: Vec<Sample<f64, f64, f64>> = [(0.4, 1.2), (-0.7, -0.5), (1.9, 0.8)]
        .iter()
        .map(|(a, adv)| Sample {
            s: 0.0,
            a: *a,
            advantage: *adv,
        })
        .collect();
    let theta = dvector![0.2, -0.3];
    let conventions = Conventions {
        normalize_advantage: NormalizeAdvantage::None,
        ..Profile::Sb3.conventions()
    };
    let params = LinesearchParams::new(0.01)
        .with_alpha(0.8)
        .with_max_steps(9);
    let exact = TrustRegionSettings {
        conventions,
        solver: Solver::Exact,
        cg_stop: CgStop::Relative,
        cg_start: None,
        damping: None,
    };
    let u = trust_region_update_with(&GaussianLogStd, &theta, &samples, &params, &exact)
        .unwrap()
        .step
        .natural
        .direction;
    let cg = |start: Option<DVector<f64>>, tol: f64| TrustRegionSettings {
        conventions,
        solver: Solver::ConjugateGradient(CgParams::new(15, tol)),
        cg_stop: CgStop::AbsoluteSquared,
        cg_start: start,
        damping: None,
    };
    let from = dvector![1e-4, -2e-4];
    let solved = trust_region_update_with(
        &GaussianLogStd,
        &theta,
        &samples,
        &params,
        &cg(Some(from.clone()), 1e-30),
    )
    .unwrap();
    assert!((&solved.step.natural.direction - &u).amax() < 1e-14);
    // A start at the solution: the residual is already below 10⁻¹⁰, so x₀ comes back as is.
    let near = &u + dvector![1e-7, 0.0];
    let at = trust_region_update_with(
        &GaussianLogStd,
        &theta,
        &samples,
        &params,
        &cg(Some(near.clone()), 1e-10),
    )
    .unwrap();
    assert_eq!(at.step.natural.direction, near);
    assert_eq!(at.step.natural.cg.map(|c| c.iterations), Some(0));
}

/// A natural step whose gᵀu is subnormal (g ≈ 1e-154, u ≈ 5e-155): β = √(2ε/gᵀu) ≈ 2e154 is
/// representable although 2ε/gᵀu overflows, and where β itself overflows (g ≈ 7e-309) the step
/// βu still is. Found by `pgoracle hunt` (the strict-acceptance planted candidate ran this path
/// and answered NonFiniteResult where Algorithm 12.5 takes a step). Expected: version 1's
/// `trust_region_update`, which forms θ′ from u/t.
#[test]
fn a_subnormal_curvature_is_a_step_not_an_overflow() {
    for (family_theta, r) in [(dvector![0.0, 1.0], 1e-154), (dvector![0.0, 1.0], 7e-309)] {
        let samples = vec![Sample {
            s: 0.0,
            a: 0.0,
            advantage: r,
        }];
        let trajectories = vec![vec![Step { s: 0.0, a: 0.0, r }]];
        let params = LinesearchParams::new(1.0)
            .with_alpha(0.125)
            .with_max_steps(0);
        let solver = Solver::Damped { damping: 1.0 };
        let book = trust_region_update(
            &LinearGaussian,
            &family_theta,
            &trajectories,
            0.0,
            &params,
            &solver,
        )
        .unwrap();
        let settings = TrustRegionSettings {
            conventions: Conventions::book(),
            solver,
            cg_stop: CgStop::Relative,
            cg_start: None,
            damping: None,
        };
        let with =
            trust_region_update_with(&LinearGaussian, &family_theta, &samples, &params, &settings)
                .unwrap();
        assert_eq!(with.step.natural.theta, book.natural.theta);
        let beta = with.step_size;
        if r > 1e-300 {
            // g = (0, −r), F = diag(0, 1) at σ = 1, (F + I)u = g: u = g/2, gᵀu = r²/2, β = 2/r.
            let expected: f64 = 2.0 / r;
            assert!(beta.is_some_and(|b| (b - expected).abs() <= 4.0 * f64::EPSILON * expected));
        } else {
            assert_eq!(beta, None);
        }
    }
}
