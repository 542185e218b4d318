//! Figure 12.2: the policy gradient beside the natural gradient (Eq. 12.13) over a grid of θ
//! on the simple regulator, estimated from rollouts, with the closed-form fields behind them.

use nalgebra::{DVector, dvector};
use plotters::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::csv::{Csv, num};
use super::error::FigureError;
use super::plot::{
    COLOURS, REFERENCE, arrow, chart, draw_legend, draw_optimum, pixel_scale, render_svg,
};
use super::{OutputFile, Progress};
use pgoracle::error::Result;
use pgoracle::likelihood_ratio::likelihood_ratio_gradient;
use pgoracle::natural::natural_update;
use pgoracle::policy::LinearGaussian;
use pgoracle::problem::{Mdp, SimpleRegulator, regulator_moments};
use pgoracle::simulate::rollouts;
use pgoracle::solver::Solver;

const FIGURE: &str = "Figure 12.2";

/// Grid columns θ₁ = −2 + 0.2 i, i = 0, …, 10.
pub const GRID_THETA1: usize = 11;
/// Grid rows θ₂ = 0.1 j, j = 1, …, 10.
pub const GRID_THETA2: usize = 10;
/// Rollouts per grid point.
pub const ROLLOUTS: usize = 1000;
/// Rollout depth.
pub const DEPTH: usize = 10;
/// Seed of the ChaCha8 generator, drawn from in row-major order (θ₂ outer, θ₁ inner).
pub const SEED: u64 = 1202;
/// The ε passed to `natural_update`; it scales the step, not the direction plotted.
const EPSILON: f64 = 0.1;

/// Picks the estimated and the closed-form vector of one field from a grid point.
type EstimateAndExact = fn(&FieldPoint) -> (&DVector<f64>, &DVector<f64>);

/// One grid point of Figure 12.2.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldPoint {
    /// θ = [θ₁, θ₂].
    pub theta: DVector<f64>,
    /// ∇U(θ) estimated by [`likelihood_ratio_gradient`] from [`ROLLOUTS`] rollouts.
    pub gradient: DVector<f64>,
    /// u = F⁻¹∇U(θ) from the same rollouts by [`natural_update`] (exact solve).
    pub natural: DVector<f64>,
    /// The closed-form ∇U(θ) of [`regulator_moments`].
    pub exact_gradient: DVector<f64>,
    /// The closed-form F_θ⁻¹∇U(θ) of [`regulator_moments`].
    pub exact_natural: DVector<f64>,
}

/// The angle in degrees between two vectors of the θ plane (0 when either is zero).
pub fn angle_degrees(u: &DVector<f64>, v: &DVector<f64>) -> f64 {
    let denominator = u.norm() * v.norm();
    if denominator > 0.0 {
        (u.dot(v) / denominator)
            .clamp(-1.0, 1.0)
            .acos()
            .to_degrees()
    } else {
        0.0
    }
}

/// The grid points of Figure 12.2, on the untruncated regulator (γ = 1) under the linear
/// Gaussian policy.
///
/// # Errors
/// The library's errors (a singular sample Fisher matrix would be one; none occurs for these
/// constants).
pub fn field(progress: &mut Progress) -> Result<Vec<FieldPoint>> {
    let problem = SimpleRegulator::default();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let mut out = Vec::with_capacity(GRID_THETA1 * GRID_THETA2);
    for j in 1..=GRID_THETA2 {
        for i in 0..GRID_THETA1 {
            let theta = dvector![-2.0 + 0.2 * i as f64, 0.1 * j as f64];
            let taus = rollouts(&problem, &LinearGaussian, &theta, DEPTH, ROLLOUTS, &mut rng)?;
            let lr = likelihood_ratio_gradient(&LinearGaussian, &theta, &taus, problem.discount())?;
            let natural = natural_update(&theta, &lr.grads, &lr.scores, EPSILON, &Solver::Exact)?;
            let exact = regulator_moments(&theta, DEPTH, problem.discount())?;
            out.push(FieldPoint {
                theta,
                gradient: lr.grad,
                natural: natural.direction,
                exact_gradient: exact.gradient,
                exact_natural: exact.natural_direction,
            });
        }
        progress.tick("Figure 12.2");
    }
    Ok(out)
}

/// `fig12_2_gradient_fields.svg` and `.csv`.
pub(super) fn files(progress: &mut Progress) -> std::result::Result<Vec<OutputFile>, FigureError> {
    progress.expect(GRID_THETA2 as u64 - 1);
    let points = field(progress).map_err(FigureError::compute(FIGURE))?;
    let mut csv = Csv::new(&[
        "theta1",
        "theta2",
        "gradient1",
        "gradient2",
        "natural1",
        "natural2",
        "exact_gradient1",
        "exact_gradient2",
        "exact_natural1",
        "exact_natural2",
        "gradient_angle_error_deg",
        "natural_angle_error_deg",
    ]);
    for p in &points {
        csv.row([
            num(p.theta[0]),
            num(p.theta[1]),
            num(p.gradient[0]),
            num(p.gradient[1]),
            num(p.natural[0]),
            num(p.natural[1]),
            num(p.exact_gradient[0]),
            num(p.exact_gradient[1]),
            num(p.exact_natural[0]),
            num(p.exact_natural[1]),
            num(angle_degrees(&p.gradient, &p.exact_gradient)),
            num(angle_degrees(&p.natural, &p.exact_natural)),
        ]);
    }
    let (x_range, y_range) = (-2.2..0.2, -0.05..1.32);
    let svg = render_svg(FIGURE, (1100, 500), |root| {
        let panels = root.split_evenly((1, 2));
        let fields: [(&str, EstimateAndExact); 2] = [
            ("Figure 12.2: policy gradient ∇U(θ)", |p| {
                (&p.gradient, &p.exact_gradient)
            }),
            ("Figure 12.2: natural gradient F⁻¹∇U(θ)", |p| {
                (&p.natural, &p.exact_natural)
            }),
        ];
        for ((panel, (caption, vectors)), colour) in panels.iter().zip(fields).zip(COLOURS) {
            let mut chart = chart(
                FIGURE,
                panel,
                caption,
                (x_range.clone(), y_range.clone()),
                ("θ₁", "θ₂"),
            )?;
            let scale = pixel_scale(&chart, (&x_range, &y_range));
            for (field_of, style, label) in [
                (1, REFERENCE.stroke_width(3), "closed form"),
                (0, colour.stroke_width(1), "estimate, 1000 rollouts"),
            ] {
                let arrows = points.iter().filter_map(|p| {
                    let (estimate, exact) = vectors(p);
                    let v = if field_of == 0 { estimate } else { exact };
                    arrow((p.theta[0], p.theta[1]), (v[0], v[1]), scale, 17.0, style)
                });
                chart
                    .draw_series(arrows)
                    .map_err(FigureError::plot(FIGURE))?
                    .label(label)
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
            }
            draw_optimum(FIGURE, &mut chart)?;
            draw_legend(FIGURE, &mut chart, SeriesLabelPosition::UpperLeft, 12)?;
        }
        Ok(())
    })?;
    Ok(vec![
        OutputFile::new("fig12_2_gradient_fields.svg", svg),
        OutputFile::new("fig12_2_gradient_fields.csv", csv.finish()),
    ])
}
