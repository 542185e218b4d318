//! `pgoracle verify`: recompute every value the chapter prints (Example 12.1, Exercises 12.2
//! and 12.3) and compare it with the book at the book's printed precision.

use nalgebra::DMatrix;

use crate::book::{
    EXAMPLE_12_1_ALPHA, EXAMPLE_12_1_EPSILON, EXAMPLE_12_1_GAMMA, EXERCISE_12_3_STATES,
    example_12_1_theta, example_12_1_trajectories, exercise_12_3_row,
};
use crate::error::PgError;
use crate::linesearch::{LinesearchOutcome, LinesearchParams};
use crate::scalar::{Scalar, lit};
use crate::solver::Solver;
use crate::tolerance::Tolerance;
use crate::{Gaussian, fisher, kl_categorical, likelihood_ratio_gradient, trust_region_update};

/// Why the worked values could not be recomputed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// A computation of the chapter returned an error (none does for the book's data).
    #[error(transparent)]
    Computation(#[from] PgError),
    /// The book's data did not behave as the chapter says (an exact solve without its
    /// matrix, a line search with no acceptable point, a singular Example 12.1 Fisher matrix):
    /// a defect of pgoracle, not of the input.
    #[error("internal invariant broken: {0}")]
    Invariant(&'static str),
}

/// One printed value of the chapter and its recomputation.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkedValue<T> {
    /// Where the book prints it.
    pub source: &'static str,
    /// What it is, with 1-based indices as in the book.
    pub quantity: String,
    /// The value as printed.
    pub book: f64,
    /// Decimal places printed.
    pub decimals: u32,
    /// The correct value where the printed one is a documented erratum (docs/errata.md).
    pub corrected: Option<f64>,
    /// pgoracle's value.
    pub computed: T,
}

/// How a recomputed value compares with the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Agrees with the printed value at its printed precision.
    Ok,
    /// Disagrees with the printed value and agrees with its documented correction.
    Erratum,
    /// Disagrees.
    Mismatch,
}

impl<T: Scalar> WorkedValue<T> {
    /// Compares with [`Tolerance::printed`]: half a unit in the last printed place.
    pub fn verdict(&self) -> Verdict {
        let tol = Tolerance::<T>::printed(self.decimals);
        if tol.agrees(lit(self.book), self.computed) {
            return Verdict::Ok;
        }
        match self.corrected {
            Some(c) if tol.agrees(lit(c), self.computed) => Verdict::Erratum,
            _ => Verdict::Mismatch,
        }
    }
}

fn push_matrix<T: Scalar>(
    out: &mut Vec<WorkedValue<T>>,
    source: &'static str,
    name: &str,
    printed: [[f64; 2]; 2],
    m: &DMatrix<T>,
) {
    for (i, row) in printed.iter().enumerate() {
        for (j, &book) in row.iter().enumerate() {
            out.push(WorkedValue {
                source,
                quantity: format!("{name}[{},{}]", i + 1, j + 1),
                book,
                decimals: 3,
                corrected: None,
                computed: m[(i, j)],
            });
        }
    }
}

fn push_scalar<T: Scalar>(
    out: &mut Vec<WorkedValue<T>>,
    source: &'static str,
    quantity: &str,
    book: f64,
    decimals: u32,
    computed: T,
) {
    out.push(WorkedValue {
        source,
        quantity: quantity.to_string(),
        book,
        decimals,
        corrected: None,
        computed,
    });
}

/// Recomputes every worked value of the chapter in precision `T`.
///
/// # Errors
/// [`VerifyError::Computation`] for an error of the underlying computations and
/// [`VerifyError::Invariant`] when the book's data does not behave as the chapter says;
/// neither occurs.
pub fn worked_values<T: Scalar>() -> std::result::Result<Vec<WorkedValue<T>>, VerifyError> {
    let mut out = Vec::new();
    let ex = "Example 12.1";
    let theta = example_12_1_theta::<T>();
    let trajectories = example_12_1_trajectories::<T>();
    let gamma = lit::<T>(EXAMPLE_12_1_GAMMA);
    let lr = likelihood_ratio_gradient(&Gaussian, &theta, &trajectories, gamma)?;
    let f1 = fisher(&lr.scores[..1])?;
    let f2 = fisher(&lr.scores[1..])?;
    push_matrix(&mut out, ex, "F(τ1)", [[4.048, 2.878], [2.878, 2.046]], &f1);
    push_matrix(
        &mut out,
        ex,
        "F(τ2)",
        [[0.012, -0.838], [-0.838, 57.012]],
        &f2,
    );

    let params = LinesearchParams::new(lit::<T>(EXAMPLE_12_1_EPSILON))
        .with_alpha(lit::<T>(EXAMPLE_12_1_ALPHA))
        .with_max_steps(100);
    let step = trust_region_update(
        &Gaussian,
        &theta,
        &trajectories,
        gamma,
        &params,
        &Solver::Exact,
    )?;
    let f = step.natural.fisher.clone().ok_or(VerifyError::Invariant(
        "the exact solver returned no Fisher matrix",
    ))?;
    push_matrix(&mut out, ex, "F", [[2.030, 1.020], [1.019, 29.529]], &f);
    if let Some(v) = out.iter_mut().find(|v| v.quantity == "F[2,1]") {
        v.corrected = Some(1.020);
    }
    for (i, &book) in [2.030, 1.020].iter().enumerate() {
        push_scalar(
            &mut out,
            ex,
            &format!("∇U[{}]", i + 1),
            book,
            3,
            step.natural.grad[i],
        );
    }
    for (i, &book) in [1.0, 0.0].iter().enumerate() {
        push_scalar(
            &mut out,
            ex,
            &format!("u[{}]", i + 1),
            book,
            0,
            step.natural.direction[i],
        );
    }
    push_scalar(&mut out, ex, "θ′[1]", 0.314, 3, step.natural.theta[0]);
    push_scalar(&mut out, ex, "θ′[2]", 1.0, 0, step.natural.theta[1]);
    push_scalar(&mut out, ex, "f(θ, θ)", 1.485, 3, step.f_theta);
    let shrinks = step.outcome.steps();
    let values = match &step.outcome {
        LinesearchOutcome::Accepted { values, .. } => *values,
        _ => {
            return Err(VerifyError::Invariant(
                "Example 12.1's line search found no acceptable point",
            ));
        }
    };
    push_scalar(&mut out, ex, "f(θ, θ′)", 2.110, 3, values.f);
    push_scalar(&mut out, ex, "g(θ, θ′)", 0.049, 3, values.g);
    push_scalar(
        &mut out,
        ex,
        "line-search shrinks",
        0.0,
        0,
        lit(shrinks as f64),
    );

    let inverse = f.try_inverse().ok_or(VerifyError::Invariant(
        "Example 12.1's Fisher matrix has no inverse",
    ))?;
    push_matrix(
        &mut out,
        "Exercise 12.2",
        "F⁻¹",
        [[0.501, -0.017], [-0.017, 0.034]],
        &inverse,
    );

    let ex3 = "Exercise 12.3";
    let kl_s1 = kl_categorical(&exercise_12_3_row::<T>(0), &exercise_12_3_row(1))?;
    let kl_s2 = kl_categorical(&exercise_12_3_row::<T>(2), &exercise_12_3_row(3))?;
    let sampled = EXERCISE_12_3_STATES.iter().fold(T::zero(), |acc, &s| {
        acc + if s == 0 { kl_s1 } else { kl_s2 }
    });
    let mean = sampled / lit::<T>(EXERCISE_12_3_STATES.len() as f64);
    push_scalar(&mut out, ex3, "D_KL(s1)", 0.456, 3, kl_s1);
    push_scalar(&mut out, ex3, "D_KL(s2)", 0.0283, 4, kl_s2);
    push_scalar(
        &mut out,
        ex3,
        "mean D_KL over s1,s2,s1,s1,s2",
        0.285,
        3,
        mean,
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(book: f64, corrected: Option<f64>, computed: f64) -> Verdict {
        WorkedValue {
            source: "test",
            quantity: "x".into(),
            book,
            decimals: 3,
            corrected,
            computed,
        }
        .verdict()
    }

    /// At 3 printed decimals a value agrees within 0.0005 (+16ε): 1.0004 prints as 1.000,
    /// 1.0006 does not. A documented correction is only a fallback.
    #[test]
    fn verdicts_at_the_printed_precision() {
        assert_eq!(printed(1.0, None, 1.0004), Verdict::Ok);
        assert_eq!(printed(1.0, None, 1.0006), Verdict::Mismatch);
        assert_eq!(printed(1.0, Some(2.0), 1.0004), Verdict::Ok);
        assert_eq!(printed(1.0, Some(2.0), 1.9996), Verdict::Erratum);
        assert_eq!(printed(1.0, Some(2.0), 1.5), Verdict::Mismatch);
    }
}
