//! Figure 12.7: surrogate objectives along the segment from θ to the natural policy update
//! θ′ (Eqs. 12.18, 12.22, 12.24), centred at 0 by subtracting their value at θ.

use nalgebra::{DVector, dvector};
use plotters::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::csv::{Csv, num};
use super::error::FigureError;
use super::plot::{COLOURS, chart, draw_legend, render_svg};
use super::{OutputFile, Progress};
use pgoracle::clamped::clamped_objective;
use pgoracle::error::Result;
use pgoracle::natural::natural_policy_update;
use pgoracle::policy::{LinearGaussian, Policy};
use pgoracle::problem::{Mdp, SimpleRegulator};
use pgoracle::simulate::rollouts;
use pgoracle::solver::Solver;
use pgoracle::surrogate::{kl_penalty_objective, surrogate_constraint, surrogate_objective};

const FIGURE: &str = "Figure 12.7";

/// The θ the objectives are centred on (not given by the book).
pub const THETA: [f64; 2] = [-0.5, 0.5];
/// Rollouts and depth of the one batch every objective is estimated from.
pub const ROLLOUTS: usize = 50;
/// Rollout depth.
pub const DEPTH: usize = 10;
/// Seed of the ChaCha8 generator.
pub const SEED: u64 = 1207;
/// ε of the natural update θ → θ′ (Eq. 12.12) that defines t = 1.
pub const NATURAL_EPSILON: f64 = 0.02;
/// Clamping parameter ε of Eq. 12.22.
pub const CLAMP_EPSILON: f64 = 0.2;
/// Penalty coefficient β of Eq. 12.24, chosen so that the penalised objective peaks near the
/// clamped one (the caption: "ε and β can be adjusted … which would affect where the maximum
/// is").
pub const BETA: f64 = 5.0;
/// t = i/50, i = 0, …, 150: from θ (t = 0) through the natural update (t = 1) to t = 3.
pub const STEPS: usize = 150;
/// Points per unit of t.
const PER_UNIT: f64 = 50.0;

/// A plotted curve: its legend and the value it takes from a point.
type Series = (String, fn(&SurrogatePoint) -> f64);

/// One point of Figure 12.7, θ_t = θ + t(θ′ − θ); the objectives are centred (value at θ
/// subtracted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurrogatePoint {
    /// t.
    pub t: f64,
    /// f(θ, θ_t) − f(θ, θ), the surrogate objective (Eq. 12.18).
    pub surrogate: f64,
    /// The clamped objective (Eq. 12.22) minus its value at θ.
    pub clamped: f64,
    /// The KL-penalty objective f − βg (Eq. 12.24) minus its value at θ.
    pub kl_penalty: f64,
    /// The surrogate constraint g(θ, θ_t) (Eq. 12.19), not centred (it is 0 at θ).
    pub constraint: f64,
}

/// The natural update θ′ from [`THETA`] and the curve along θ → θ′, all from one batch of
/// [`ROLLOUTS`] rollouts to depth [`DEPTH`] on the untruncated regulator (γ = 1) under the
/// linear Gaussian policy. Points with θ_t outside the policy's domain (σ ≤ 0) are left out.
///
/// # Errors
/// The library's errors (none occurs for these constants).
pub fn curve() -> Result<(DVector<f64>, Vec<SurrogatePoint>)> {
    let problem = SimpleRegulator::default();
    let gamma = problem.discount();
    let theta = DVector::from_row_slice(&THETA);
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    let taus = rollouts(&problem, &LinearGaussian, &theta, DEPTH, ROLLOUTS, &mut rng)?;
    let natural = natural_policy_update(
        &LinearGaussian,
        &theta,
        &taus,
        gamma,
        NATURAL_EPSILON,
        &Solver::Exact,
    )?;
    let theta_prime = natural.theta;
    let policy = LinearGaussian;
    let f0 = surrogate_objective(&policy, &theta, &theta, &taus, gamma)?;
    let c0 = clamped_objective(&policy, &theta, &theta, &taus, gamma, CLAMP_EPSILON)?;
    let k0 = kl_penalty_objective(&policy, &theta, &theta, &taus, gamma, BETA)?;
    let mut points = Vec::with_capacity(STEPS + 1);
    for i in 0..=STEPS {
        let t = i as f64 / PER_UNIT;
        let theta_t = &theta + (&theta_prime - &theta) * t;
        if policy.check_theta(&theta_t, "theta_t").is_err() {
            continue;
        }
        points.push(SurrogatePoint {
            t,
            surrogate: surrogate_objective(&policy, &theta, &theta_t, &taus, gamma)? - f0,
            clamped: clamped_objective(&policy, &theta, &theta_t, &taus, gamma, CLAMP_EPSILON)?
                - c0,
            kl_penalty: kl_penalty_objective(&policy, &theta, &theta_t, &taus, gamma, BETA)? - k0,
            constraint: surrogate_constraint(&policy, &theta, &theta_t, &taus, gamma)?,
        });
    }
    Ok((theta_prime, points))
}

/// `fig12_7_surrogate_objectives.svg` and `.csv`.
pub(super) fn files(progress: &mut Progress) -> std::result::Result<Vec<OutputFile>, FigureError> {
    let (theta_prime, points) = curve().map_err(FigureError::compute(FIGURE))?;
    progress.tick("Figure 12.7");
    let mut csv = Csv::new(&[
        "t",
        "theta1",
        "theta2",
        "surrogate",
        "clamped",
        "kl_penalty",
        "constraint",
    ]);
    let theta = dvector![THETA[0], THETA[1]];
    for p in &points {
        let theta_t = &theta + (&theta_prime - &theta) * p.t;
        csv.row([
            num(p.t),
            num(theta_t[0]),
            num(theta_t[1]),
            num(p.surrogate),
            num(p.clamped),
            num(p.kl_penalty),
            num(p.constraint),
        ]);
    }
    let series: [Series; 3] = [
        ("surrogate objective (Eq. 12.18)".into(), |p| p.surrogate),
        (
            format!("clamped objective, ε = {CLAMP_EPSILON} (Eq. 12.22)"),
            |p| p.clamped,
        ),
        (
            format!("KL-penalty objective, β = {BETA} (Eq. 12.24)"),
            |p| p.kl_penalty,
        ),
    ];
    let (low, high) = points.iter().fold((0.0f64, 0.0f64), |(lo, hi), p| {
        let values = series.each_ref().map(|(_, value)| value(p));
        let (l, h) = values
            .iter()
            .fold((lo, hi), |(l, h), v| (l.min(*v), h.max(*v)));
        (l, h)
    });
    let pad = 0.08 * (high - low).max(1e-9);
    let t_max = STEPS as f64 / PER_UNIT;
    let svg = render_svg(FIGURE, (760, 520), |root| {
        let mut chart = chart(
            FIGURE,
            root,
            "Figure 12.7: surrogate objectives from θ (t = 0) towards the natural update (t = 1)",
            (0.0..t_max, (low - pad)..(high + pad)),
            ("t, θ_t = θ + t(θ′ − θ)", "objective − objective at θ"),
        )?;
        for ((label, value), colour) in series.into_iter().zip(COLOURS) {
            let line = colour.stroke_width(2);
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.t, value(p))),
                    line,
                ))
                .map_err(FigureError::plot(FIGURE))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
        }
        let marker = BLACK.stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                [(1.0, low - pad), (1.0, high + pad)],
                5,
                4,
                marker,
            ))
            .map_err(FigureError::plot(FIGURE))?
            .label("natural update θ′ (t = 1)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], marker));
        draw_legend(FIGURE, &mut chart, SeriesLabelPosition::UpperLeft, 12)
    })?;
    Ok(vec![
        OutputFile::new("fig12_7_surrogate_objectives.svg", svg),
        OutputFile::new("fig12_7_surrogate_objectives.csv", csv.finish()),
    ])
}
