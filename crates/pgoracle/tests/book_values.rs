//! Every value Chapter 12 prints, recomputed through the public API in f64 and f32 and
//! compared with the printed number at the printed precision ([`Tolerance::printed`]).
//! Expected values are the book's (page references: Example 12.1, Exercises 12.2 and 12.3).

use nalgebra::{DMatrix, DVector};
use pgoracle::book::{EXERCISE_12_3_TABLE, example_12_1_theta, example_12_1_trajectories};
use pgoracle::scalar::lit;
use pgoracle::verify::{Verdict, worked_values};
use pgoracle::{
    Gaussian, LinesearchOutcome, LinesearchParams, Scalar, Solver, Tolerance, fisher,
    kl_categorical, likelihood_ratio_gradient, surrogate_constraint, surrogate_objective,
    trust_region_update,
};

fn assert_printed<T: Scalar>(what: &str, book: f64, decimals: u32, got: T) {
    assert!(
        Tolerance::<T>::printed(decimals).agrees(lit(book), got),
        "{what}: book prints {book} ({decimals} decimals), computed {got}"
    );
}

fn assert_matrix<T: Scalar>(what: &str, book: [[f64; 2]; 2], got: &DMatrix<T>) {
    for i in 0..2 {
        for j in 0..2 {
            assert_printed(&format!("{what}[{i},{j}]"), book[i][j], 3, got[(i, j)]);
        }
    }
}

fn row<T: Scalar>(r: usize) -> DVector<T> {
    DVector::from_iterator(4, EXERCISE_12_3_TABLE[r].iter().map(|&x| lit(x)))
}

macro_rules! book_values_in {
    ($module:ident, $t:ty) => {
        mod $module {
            use super::*;

            #[test]
            fn example_12_1_fisher_gradient_direction_and_step() {
                let theta = example_12_1_theta::<$t>();
                let trajectories = example_12_1_trajectories::<$t>();
                let lr = likelihood_ratio_gradient(&Gaussian, &theta, &trajectories, 1.0).unwrap();
                let f1 = fisher(&lr.scores[..1]).unwrap();
                let f2 = fisher(&lr.scores[1..]).unwrap();
                assert_matrix("F(τ1)", [[4.048, 2.878], [2.878, 2.046]], &f1);
                assert_matrix("F(τ2)", [[0.012, -0.838], [-0.838, 57.012]], &f2);
                let step = pgoracle::natural_policy_update(
                    &Gaussian,
                    &theta,
                    &trajectories,
                    1.0,
                    0.1,
                    &Solver::Exact,
                )
                .unwrap();
                let f = step.fisher.clone().unwrap();
                // The book prints F[2,1] as 1.019 (an erratum: the matrix is symmetric and the
                // exact value 1.01976… rounds to 1.020, as printed at F[1,2]).
                assert_matrix("F", [[2.030, 1.020], [1.020, 29.529]], &f);
                assert!(!Tolerance::<$t>::printed(3).agrees(1.019, f[(1, 0)]));
                assert_printed("∇U[1]", 2.030, 3, step.grad[0]);
                assert_printed("∇U[2]", 1.020, 3, step.grad[1]);
                assert_printed("u[1]", 1.0, 0, step.direction[0]);
                assert_printed("u[2]", 0.0, 0, step.direction[1]);
                assert_printed("θ′[1]", 0.314, 3, step.theta[0]);
                assert_printed("θ′[2]", 1.0, 0, step.theta[1]);
            }

            #[test]
            fn example_12_1_surrogates_and_line_search() {
                let theta = example_12_1_theta::<$t>();
                let trajectories = example_12_1_trajectories::<$t>();
                let params = LinesearchParams::new(0.1)
                    .with_alpha(0.5)
                    .with_max_steps(100);
                let step = trust_region_update(
                    &Gaussian,
                    &theta,
                    &trajectories,
                    1.0,
                    &params,
                    &Solver::Exact,
                )
                .unwrap();
                assert_printed("f(θ, θ)", 1.485, 3, step.f_theta);
                let tp = step.natural.theta.clone();
                let f = surrogate_objective(&Gaussian, &theta, &tp, &trajectories, 1.0).unwrap();
                let g = surrogate_constraint(&Gaussian, &theta, &tp, &trajectories, 1.0).unwrap();
                assert_printed("f(θ, θ′)", 2.110, 3, f);
                assert_printed("g(θ, θ′)", 0.049, 3, g);
                match step.outcome {
                    LinesearchOutcome::Accepted {
                        steps,
                        values,
                        theta: accepted,
                    } => {
                        assert_eq!(steps, 0, "the book accepts θ′ with no shrink");
                        assert_eq!(accepted, tp);
                        // What the search reports at the accepted θ′, against the book (not
                        // against f and g recomputed the same way).
                        assert_printed("accepted θ′[1]", 0.314, 3, accepted[0]);
                        assert_printed("accepted θ′[2]", 1.0, 0, accepted[1]);
                        assert_printed("f(θ, θ′) at acceptance", 2.110, 3, values.f);
                        assert_printed("g(θ, θ′) at acceptance", 0.049, 3, values.g);
                    }
                    other => panic!("expected acceptance, got {other:?}"),
                }
                assert_eq!(step.theta, tp);
            }

            #[test]
            fn exercise_12_2_fisher_inverse() {
                let theta = example_12_1_theta::<$t>();
                let trajectories = example_12_1_trajectories::<$t>();
                let lr = likelihood_ratio_gradient(&Gaussian, &theta, &trajectories, 1.0).unwrap();
                let inverse = fisher(&lr.scores).unwrap().try_inverse().unwrap();
                assert_matrix("F⁻¹", [[0.501, -0.017], [-0.017, 0.034]], &inverse);
            }

            #[test]
            fn exercise_12_3_kl_divergences() {
                let s1 = kl_categorical::<$t>(&row(0), &row(1)).unwrap();
                let s2 = kl_categorical::<$t>(&row(2), &row(3)).unwrap();
                assert_printed("KL(s1)", 0.456, 3, s1);
                assert_printed("KL(s2)", 0.0283, 4, s2);
                let mean = (s1 + s2 + s1 + s1 + s2) / 5.0;
                assert_printed("mean KL", 0.285, 3, mean);
            }

            #[test]
            fn verify_reports_every_printed_value_as_ok() {
                let values = worked_values::<$t>().unwrap();
                assert_eq!(values.len(), 29);
                let errata: Vec<_> = values
                    .iter()
                    .filter(|v| v.verdict() == Verdict::Erratum)
                    .map(|v| v.quantity.clone())
                    .collect();
                assert_eq!(errata, ["F[2,1]"]);
                assert!(values.iter().all(|v| v.verdict() != Verdict::Mismatch));
            }
        }
    };
}

book_values_in!(in_f64, f64);
book_values_in!(in_f32, f32);

#[test]
fn verify_detects_a_wrong_value() {
    let mut values = worked_values::<f64>().unwrap();
    values[0].computed += 1e-3;
    assert_eq!(values[0].verdict(), Verdict::Mismatch);
}

#[test]
fn snapshot_of_the_worked_values() {
    // Regression guard only; the assertions above check the values against the book.
    let text: String = worked_values::<f64>()
        .unwrap()
        .iter()
        .map(|v| format!("{} {} = {:.12e}\n", v.source, v.quantity, v.computed))
        .collect();
    insta::assert_snapshot!("worked_values_f64", text);
    let text32: String = worked_values::<f32>()
        .unwrap()
        .iter()
        .map(|v| format!("{} {} = {:.6e}\n", v.source, v.quantity, v.computed))
        .collect();
    insta::assert_snapshot!("worked_values_f32", text32);
}

#[test]
fn exercise_12_2_printed_intermediate_is_an_erratum() {
    // The solution prints F⁻¹ ≈ 1/(0.341(29.529) − 0.332(0.332)) [[29.529, −0.332], [−0.332, 0.341]]
    // ≈ [[0.501, −0.017], [−0.017, 0.034]]. The intermediate evaluates to ≈ [[2.965, …]], not the
    // printed inverse; the adjugate formula with F's own entries gives it (docs/errata.md).
    let printed_det: f64 = 0.341 * 29.529 - 0.332 * 0.332;
    assert!((29.529 / printed_det - 2.965).abs() < 1e-3);
    let det: f64 = 2.030 * 29.529 - 1.020 * 1.020;
    let corrected = [29.529 / det, -1.020 / det, 2.030 / det];
    for (value, book) in corrected.iter().zip([0.501, -0.017, 0.034]) {
        assert!((value - book).abs() < 5e-4, "{value} vs {book}");
    }
}
