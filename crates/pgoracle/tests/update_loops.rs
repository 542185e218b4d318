//! Update loops (issue #4): every method iterated on the simple regulator (Appendix F.5) with
//! the linear Gaussian policy, from θ₀ = [0, 1], under fixed seeds.
//!
//! The optimum is θ* = [−1, 0]; ‖θ₀ − θ*‖ = √2. "Closer" is asserted quantitatively: the last
//! θ lies within half the starting distance, √2/2, for each of five seeds.

use nalgebra::{DVector, dvector};
use pgoracle::problem::{SimpleRegulator, SingleState};
use pgoracle::simulate::rollouts;
use pgoracle::update_loop::{GradientTransform, IterationNote, Method, RolloutPlan, Stop, run};
use pgoracle::{Gaussian, LinearGaussian, LinesearchParams, Solver};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];
const ITERATIONS: usize = 20;
const PLAN: RolloutPlan = RolloutPlan {
    depth: 10,
    rollouts: 50,
};

fn start() -> DVector<f64> {
    dvector![0.0, 1.0]
}

fn distance_to_optimum(theta: &DVector<f64>) -> f64 {
    (theta - dvector![-1.0, 0.0]).norm()
}

fn run_seed(method: &Method, plan: RolloutPlan, seed: u64) -> pgoracle::update_loop::ThetaPath {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    run(
        &SimpleRegulator::default(),
        &LinearGaussian,
        method,
        &start(),
        plan,
        ITERATIONS,
        &mut rng,
    )
    .unwrap()
}

fn trust_region() -> Method {
    Method::TrustRegion {
        params: LinesearchParams::new(1.0)
            .with_alpha(0.5)
            .with_max_steps(100),
        solver: Solver::Exact,
    }
}

fn clamped() -> Method {
    Method::Clamped {
        epsilon: 0.2,
        alpha: 0.01,
        k_max: 10,
    }
}

/// Asserts that every seed's path completes and ends within √2/2 of θ* (from √2).
fn assert_ends_closer(method: &Method, name: &str) {
    let start_distance = distance_to_optimum(&start());
    assert!((start_distance - 2f64.sqrt()).abs() < 1e-15);
    for seed in SEEDS {
        let path = run_seed(method, PLAN, seed);
        assert_eq!(path.stop, Stop::Completed, "{name}, seed {seed}");
        assert_eq!(path.thetas.len(), ITERATIONS + 1);
        let end = distance_to_optimum(path.thetas.last().unwrap());
        assert!(
            end < 0.5 * start_distance,
            "{name}, seed {seed}: ended {end} from the optimum, started {start_distance}"
        );
    }
}

#[test]
fn trust_region_paths_end_closer_to_the_optimum() {
    // TRPO as in Figure 12.5: depth 10, ε = 1, 50 rollouts per iteration.
    assert_ends_closer(&trust_region(), "trust region");
}

#[test]
fn clamped_paths_end_closer_to_the_optimum() {
    // PPO (Algorithm 12.6): ε = 0.2, α = 0.01, 10 gradient steps per batch of 50 rollouts.
    assert_ends_closer(&clamped(), "clamped");
}

#[test]
fn natural_paths_end_closer_to_the_optimum() {
    // The natural update's KL-approximating constraint (Eq. 12.11), ε = 0.1.
    let natural = Method::Natural {
        epsilon: 0.1,
        solver: Solver::Exact,
    };
    assert_ends_closer(&natural, "natural");
}

#[test]
fn trust_region_notes_report_each_line_search() {
    for seed in SEEDS {
        let path = run_seed(&trust_region(), PLAN, seed);
        assert_eq!(path.notes.len(), path.thetas.len() - 1);
        for (k, note) in path.notes.iter().enumerate() {
            match note {
                IterationNote::Accepted { shrinks } => assert!(*shrinks <= 100),
                IterationNote::Exhausted { shrinks } => {
                    assert_eq!(*shrinks, 100);
                    assert_eq!(path.thetas[k + 1], path.thetas[k], "θ kept");
                }
                IterationNote::Stepped => panic!("a trust region step is a line search"),
            }
        }
    }
}

/// Every method, several seeds: θ stays finite and inside the domain (σ > 0), a rejected
/// proposal has σ ≤ 0, and the notes match the completed iterations.
#[test]
fn every_path_stays_finite_and_inside_the_domain() {
    let methods = [
        Method::GradientAscent {
            alpha: 0.2,
            transform: GradientTransform::Plain,
        },
        Method::GradientAscent {
            alpha: 0.2,
            transform: GradientTransform::Scale { l2_max: 1.0 },
        },
        Method::GradientAscent {
            alpha: 0.2,
            transform: GradientTransform::Clip { lo: -1.0, hi: 1.0 },
        },
        Method::Restricted { epsilon: 0.01 },
        Method::Natural {
            epsilon: 0.1,
            solver: Solver::Exact,
        },
        trust_region(),
        clamped(),
    ];
    let small = RolloutPlan {
        depth: 10,
        rollouts: 10,
    };
    for method in &methods {
        for seed in 1..=8 {
            let path = run_seed(method, small, seed);
            assert_eq!(path.notes.len(), path.thetas.len() - 1);
            for theta in &path.thetas {
                assert!(theta.iter().all(|x| x.is_finite()), "{method:?}: {theta}");
                assert!(theta[1] > 0.0, "{method:?}: {theta}");
            }
            match &path.stop {
                Stop::Completed => assert_eq!(path.thetas.len(), ITERATIONS + 1),
                Stop::LeftDomain {
                    iteration,
                    proposed,
                } => {
                    assert_eq!(*iteration, path.thetas.len());
                    assert!(proposed[1] <= 0.0, "{method:?}: {proposed}");
                }
                Stop::Failed { iteration, .. } => assert_eq!(*iteration, path.thetas.len()),
            }
        }
    }
}

/// The first gradient ascent proposal from θ₀ = [0, 1] is θ₀ + α ∇U with ∇U the
/// likelihood-ratio estimate of Algorithm 12.3, recomputed here by hand from the same
/// rollouts: ∇log π = [(a − θ₁s)s/θ₂², ((a − θ₁s)² − θ₂²)/θ₂³], summed over steps, times the
/// return, averaged over the 10 rollouts.
#[test]
fn gradient_ascent_proposal_is_theta_plus_alpha_times_the_likelihood_ratio_estimate() {
    let plan = RolloutPlan {
        depth: 10,
        rollouts: 10,
    };
    let method = Method::GradientAscent {
        alpha: 0.2,
        transform: GradientTransform::Plain,
    };
    let path = run_seed(&method, plan, 7);
    let taus = rollouts(
        &SimpleRegulator::default(),
        &LinearGaussian,
        &start(),
        10,
        10,
        &mut ChaCha8Rng::seed_from_u64(7),
    )
    .unwrap();
    let (lambda, sigma): (f64, f64) = (0.0, 1.0);
    let mut grad = dvector![0.0, 0.0];
    for tau in &taus {
        let ret: f64 = tau.iter().map(|s| s.r).sum();
        for step in tau {
            let e = step.a - lambda * step.s;
            grad[0] += e * step.s / sigma.powi(2) * ret;
            grad[1] += (e * e - sigma * sigma) / sigma.powi(3) * ret;
        }
    }
    grad /= taus.len() as f64;
    let expected = start() + grad * 0.2;
    // The proposal is θ₁ if it was accepted, or the rejected proposal of iteration 1.
    let proposed = match (&path.stop, path.thetas.get(1)) {
        (_, Some(theta)) => theta.clone(),
        (
            Stop::LeftDomain {
                iteration: 1,
                proposed,
            },
            None,
        ) => proposed.clone(),
        (other, None) => panic!("no first proposal: {other:?}"),
    };
    assert!((&proposed - &expected).norm() <= 1e-12 * expected.norm());
}

/// Scaled steps have length ≤ α·L2_max = 0.2 (Algorithm 12.2 keeps the direction, limits the
/// norm); clipped steps move each component by at most α·1 = 0.2; restricted steps have
/// length exactly √(2ε) (Eq. 12.6).
#[test]
fn step_lengths_follow_scaling_clipping_and_the_restricted_step() {
    let plan = RolloutPlan {
        depth: 10,
        rollouts: 10,
    };
    let scaled = Method::GradientAscent {
        alpha: 0.2,
        transform: GradientTransform::Scale { l2_max: 1.0 },
    };
    let clipped = Method::GradientAscent {
        alpha: 0.2,
        transform: GradientTransform::Clip { lo: -1.0, hi: 1.0 },
    };
    let epsilon: f64 = 0.005;
    let restricted = Method::Restricted { epsilon };
    for seed in SEEDS {
        let steps = |method: &Method| {
            let path = run_seed(method, plan, seed);
            assert!(path.thetas.len() >= 2, "{method:?}, seed {seed}: no step");
            path.thetas
                .windows(2)
                .map(|w| &w[1] - &w[0])
                .collect::<Vec<_>>()
        };
        for step in steps(&scaled) {
            assert!(step.norm() <= 0.2 * (1.0 + 1e-15), "{step}");
        }
        for step in steps(&clipped) {
            assert!(step.amax() <= 0.2 * (1.0 + 1e-15), "{step}");
        }
        for step in steps(&restricted) {
            let expected = (2.0 * epsilon).sqrt();
            assert!((step.norm() - expected).abs() <= 1e-12, "{step}");
        }
    }
}

#[test]
fn same_seed_gives_the_same_path() {
    for method in [trust_region(), clamped()] {
        let a = run_seed(&method, PLAN, 42);
        let b = run_seed(&method, PLAN, 42);
        assert_eq!(a, b);
        let bits = |p: &pgoracle::update_loop::ThetaPath| {
            p.thetas
                .iter()
                .flat_map(|t| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(&a), bits(&b));
        assert_ne!(bits(&a), bits(&run_seed(&method, PLAN, 43)));
    }
}

/// With one rollout the sample Fisher matrix ∇log p ∇log pᵀ has rank 1: the exact solver
/// has no natural direction and the path stops with `SingularFisher` at iteration 1.
#[test]
fn a_singular_fisher_matrix_stops_the_path_with_its_error() {
    let one = RolloutPlan {
        depth: 10,
        rollouts: 1,
    };
    let natural = Method::Natural {
        epsilon: 0.1,
        solver: Solver::Exact,
    };
    let path = run_seed(&natural, one, 3);
    match &path.stop {
        Stop::Failed {
            iteration: 1,
            error,
        } => assert_eq!(error.kind(), "SingularFisher"),
        other => panic!("expected SingularFisher, got {other:?}"),
    }
    assert_eq!(path.thetas, vec![start()]);
    // A damped solve has a direction: the same run completes.
    let damped = Method::Natural {
        epsilon: 0.1,
        solver: Solver::Damped { damping: 0.1 },
    };
    assert!(matches!(
        run_seed(&damped, one, 3).stop,
        Stop::Completed | Stop::LeftDomain { .. }
    ));
}

/// A clamped update with a huge step size steps its inner loop to σ ≤ 0: Algorithm 12.6 then
/// evaluates a density at σ ≤ 0, which pgoracle reports (`InvalidParameter`) and the path
/// stops; or the last inner step lands there and the path stops with `LeftDomain`.
#[test]
fn a_clamped_update_leaving_the_domain_stops_the_path() {
    let reckless = Method::Clamped {
        epsilon: 0.2,
        alpha: 1.0,
        k_max: 10,
    };
    for seed in SEEDS {
        let path = run_seed(&reckless, PLAN, seed);
        match &path.stop {
            Stop::Failed { error, .. } => assert_eq!(error.kind(), "InvalidParameter"),
            Stop::LeftDomain { proposed, .. } => assert!(proposed[1] <= 0.0),
            Stop::Completed => panic!("seed {seed}: α = 1 should leave the domain"),
        }
    }
}

#[test]
fn invalid_inputs_are_errors_before_any_iteration() {
    let problem = SimpleRegulator::default();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let kind = |method: &Method, theta: &DVector<f64>, plan: RolloutPlan, rng: &mut ChaCha8Rng| {
        run(&problem, &LinearGaussian, method, theta, plan, 5, rng)
            .unwrap_err()
            .kind()
    };
    let ok = Method::Restricted { epsilon: 0.1 };
    assert_eq!(
        kind(&ok, &dvector![0.0, 0.0], PLAN, &mut rng),
        "InvalidParameter"
    );
    assert_eq!(
        kind(&ok, &dvector![0.0, f64::NAN], PLAN, &mut rng),
        "NonFiniteInput"
    );
    assert_eq!(
        kind(&ok, &dvector![0.0], PLAN, &mut rng),
        "DimensionMismatch"
    );
    let no_depth = RolloutPlan {
        depth: 0,
        rollouts: 5,
    };
    let no_rollouts = RolloutPlan {
        depth: 5,
        rollouts: 0,
    };
    assert_eq!(kind(&ok, &start(), no_depth, &mut rng), "InvalidParameter");
    assert_eq!(
        kind(&ok, &start(), no_rollouts, &mut rng),
        "InvalidParameter"
    );
    let bad = [
        Method::GradientAscent {
            alpha: 0.0,
            transform: GradientTransform::Plain,
        },
        Method::GradientAscent {
            alpha: 0.1,
            transform: GradientTransform::Scale { l2_max: -1.0 },
        },
        Method::GradientAscent {
            alpha: 0.1,
            transform: GradientTransform::Clip { lo: 1.0, hi: -1.0 },
        },
        Method::Restricted { epsilon: -0.1 },
        Method::Natural {
            epsilon: 0.1,
            solver: Solver::Damped { damping: 0.0 },
        },
        Method::TrustRegion {
            params: LinesearchParams::new(1.0)
                .with_alpha(1.0)
                .with_max_steps(10),
            solver: Solver::Exact,
        },
        Method::Clamped {
            epsilon: 0.0,
            alpha: 0.1,
            k_max: 1,
        },
    ];
    for method in &bad {
        assert_eq!(
            kind(method, &start(), PLAN, &mut rng),
            "InvalidParameter",
            "{method:?}"
        );
    }
    let nan = Method::GradientAscent {
        alpha: 0.1,
        transform: GradientTransform::Clip {
            lo: f64::NAN,
            hi: 1.0,
        },
    };
    assert_eq!(kind(&nan, &start(), PLAN, &mut rng), "NonFiniteInput");
}

/// Zero iterations return the start; the single-state problem of Example 12.1 runs too.
#[test]
fn zero_iterations_and_the_single_state_problem() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let path = run(
        &SimpleRegulator::default(),
        &LinearGaussian,
        &clamped(),
        &start(),
        PLAN,
        0,
        &mut rng,
    )
    .unwrap();
    assert_eq!(path.thetas, vec![start()]);
    assert_eq!(path.stop, Stop::Completed);
    // Example 11.1 rewards the action, so the mean θ₁ of N(θ₁, θ₂²) should grow: U(θ) = d θ₁.
    let path = run(
        &SingleState::default(),
        &Gaussian,
        &Method::Restricted { epsilon: 0.02 },
        &dvector![0.0, 1.0],
        RolloutPlan {
            depth: 3,
            rollouts: 50,
        },
        10,
        &mut rng,
    )
    .unwrap();
    let last = path.thetas.last().unwrap();
    assert!(last[0] > 0.5, "θ₁ should increase from 0: {last}");
}

/// Clipping to a single point (lo = hi) is a valid clip (Algorithm 12.2 needs only lo ≤ hi);
/// lo > hi is `InvalidParameter`.
#[test]
fn clip_bounds_may_be_equal_but_not_reversed() {
    let clip = |lo: f64, hi: f64| Method::GradientAscent {
        alpha: 0.1,
        transform: GradientTransform::Clip { lo, hi },
    };
    assert!(clip(0.5, 0.5).check().is_ok());
    assert!(clip(0.6, 0.5).check().is_err());
}
