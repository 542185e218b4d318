//! Figure 12.6: the clamped lower bound of Eq. 12.22 against the probability ratio, for a
//! positive and a negative advantage.

use nalgebra::dvector;
use plotters::prelude::*;

use super::csv::{Csv, num};
use super::error::FigureError;
use super::plot::{COLOURS, chart, draw_legend, render_svg};
use super::{OutputFile, Progress};
use pgoracle::clamped::{clamp, clamped_objective};
use pgoracle::error::Result;
use pgoracle::policy::Gaussian;
use pgoracle::surrogate::{likelihood_ratio, surrogate_objective};
use pgoracle::trajectory::Step;

const FIGURE: &str = "Figure 12.6";

/// Clamping parameter ε = 0.2 ("a typical value is 0.2", footnote 9).
pub const EPSILON: f64 = 0.2;
/// The two advantages A = +1 and A = −1.
pub const ADVANTAGES: [f64; 2] = [1.0, -1.0];
/// Ratios w = i/100, i = 1, …, 200.
pub const RATIO_STEPS: usize = 200;
/// Vertical offsets of the original objective, the clamped objective and the lower bound in
/// the SVG ("vertically separated for clarity", caption); the CSV holds unshifted values.
pub const OFFSETS: [f64; 3] = [0.15, 0.0, -0.15];

/// A plotted curve: its legend and the value it takes from a point.
type Series = (&'static str, fn(&ClampPoint) -> f64);

/// One point of Figure 12.6.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClampPoint {
    /// The advantage A.
    pub advantage: f64,
    /// The probability ratio w = π_θ′(a ∣ s)/π_θ(a ∣ s), as [`likelihood_ratio`] computes it.
    pub ratio: f64,
    /// The original objective w A (Eq. 12.21), by [`surrogate_objective`].
    pub original: f64,
    /// The clamped objective clamp(w, 1 − ε, 1 + ε) A, with [`clamp`].
    pub clamped: f64,
    /// The lower bound min(w A, clamp(w, 1 − ε, 1 + ε) A) (Eq. 12.22), by
    /// [`clamped_objective`].
    pub lower_bound: f64,
}

/// The points of Figure 12.6. Each is computed by the library on a one-step trajectory whose
/// ratio is the wanted w: the Gaussian policy of Example 11.3 with θ = [0, 1], θ′ = [0, 1/w],
/// the action a = 0 (so w = π_θ′(0)/π_θ(0) = 1/σ′) and the reward A (γ = 1, so the
/// reward-to-go, the estimate of Q and here of A, is A).
///
/// # Errors
/// None for these constants; the library's errors are passed on.
pub fn points() -> Result<Vec<ClampPoint>> {
    let theta = dvector![0.0, 1.0];
    let mut out = Vec::with_capacity(ADVANTAGES.len() * RATIO_STEPS);
    for advantage in ADVANTAGES {
        let taus = [vec![Step {
            s: 0.0,
            a: 0.0,
            r: advantage,
        }]];
        for i in 1..=RATIO_STEPS {
            let target = i as f64 / 100.0;
            let theta_prime = dvector![0.0, 1.0 / target];
            let ratio = likelihood_ratio(&Gaussian, &theta, &theta_prime, &0.0, &0.0)?;
            out.push(ClampPoint {
                advantage,
                ratio,
                original: surrogate_objective(&Gaussian, &theta, &theta_prime, &taus, 1.0)?,
                clamped: clamp(ratio, 1.0 - EPSILON, 1.0 + EPSILON) * advantage,
                lower_bound: clamped_objective(
                    &Gaussian,
                    &theta,
                    &theta_prime,
                    &taus,
                    1.0,
                    EPSILON,
                )?,
            });
        }
    }
    Ok(out)
}

/// `fig12_6_clamped_lower_bound.svg` and `.csv`.
pub(super) fn files(progress: &mut Progress) -> std::result::Result<Vec<OutputFile>, FigureError> {
    let points = points().map_err(FigureError::compute(FIGURE))?;
    progress.tick("Figure 12.6");
    let mut csv = Csv::new(&["advantage", "ratio", "original", "clamped", "lower_bound"]);
    for p in &points {
        csv.row([
            num(p.advantage),
            num(p.ratio),
            num(p.original),
            num(p.clamped),
            num(p.lower_bound),
        ]);
    }
    let svg = render_svg(FIGURE, (1000, 440), |root| {
        let panels = root.split_evenly((1, 2));
        for (panel, advantage) in panels.iter().zip(ADVANTAGES) {
            let sign = if advantage > 0.0 { "A > 0" } else { "A < 0" };
            let mut chart = chart(
                FIGURE,
                panel,
                &format!("Figure 12.6: {sign} (ε = {EPSILON})"),
                (0.0..2.0, -2.4..2.4),
                (
                    "probability ratio π_θ′(a∣s) / π_θ(a∣s)",
                    "objective (shifted)",
                ),
            )?;
            let series: [Series; 3] = [
                ("original objective", |p| p.original),
                ("clamped objective", |p| p.clamped),
                ("lower bound (Eq. 12.22)", |p| p.lower_bound),
            ];
            for (((label, value), offset), colour) in series.into_iter().zip(OFFSETS).zip(COLOURS) {
                let line = colour.stroke_width(2);
                chart
                    .draw_series(LineSeries::new(
                        points
                            .iter()
                            .filter(|p| p.advantage == advantage)
                            .map(|p| (p.ratio, value(p) + offset)),
                        line,
                    ))
                    .map_err(FigureError::plot(FIGURE))?
                    .label(format!("{label} {offset:+}"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line));
            }
            chart
                .draw_series(std::iter::once(Circle::new(
                    (1.0, advantage),
                    5,
                    BLACK.filled(),
                )))
                .map_err(FigureError::plot(FIGURE))?;
            draw_legend(
                FIGURE,
                &mut chart,
                if advantage > 0.0 {
                    SeriesLabelPosition::LowerRight
                } else {
                    SeriesLabelPosition::UpperRight
                },
                12,
            )?;
        }
        Ok(())
    })?;
    Ok(vec![
        OutputFile::new("fig12_6_clamped_lower_bound.svg", svg),
        OutputFile::new("fig12_6_clamped_lower_bound.csv", csv.finish()),
    ])
}
