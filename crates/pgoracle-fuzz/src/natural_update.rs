//! Fuzz target `natural_update`: the natural gradient step of Eqs. 12.12–12.13 under every
//! solver, on Fisher matrices built to be singular, rank-deficient, ill-conditioned or near zero.
//!
//! Properties, in f32 and f64:
//!
//! 1. Invalid inputs (empty or mismatched lengths, NaN or ±∞, ε ≤ 0, invalid solver parameters)
//!    give one of the kinds their defects explain, and valid inputs never give those kinds.
//! 2. `ZeroGradient` exactly when the mean gradient g is the zero vector; `SingularFisher` only
//!    from the exact and damped solvers; `NoConvergence` only from a strict conjugate gradient or
//!    an eigendecomposition (exact, pseudo-inverse).
//! 3. A result is finite: g, F, u and θ′. g is the mean of the gradients, F (absent for conjugate
//!    gradient) is `fisher(scores)`.
//! 4. gᵀu > 0, up to the rounding of the dot product (it is never clearly negative; evaluated as
//!    s·t·Dot2(ĝ, û) with ĝ = g/s, û = u/t and s, t powers of two over the other vector's
//!    support, so neither an underflow of ĝ nor a cancellation decides it), and
//!    θ′ − θ = u·√(2ε/gᵀu) to rounding, where the rounding of gᵀu is scaled by its condition
//!    number |g|ᵀ|u| / |gᵀu|.
//! 5. Exact solver: the step lies on the constraint boundary, ½ΔᵀFΔ = ε, i.e. uᵀFu = gᵀu, to
//!    within 16·n²·ε·κ relative, where κ = λ_max/(λ_min − n·ε·λ_max) is F's condition number
//!    made pessimistic by the rounding of its eigenvalues. This is the backward-error bound of a
//!    direct solve: (F + δF)u = g with ‖δF‖ ≲ n·ε‖F‖ gives uᵀFu/gᵀu = 1 − uᵀδFu/gᵀu. It is
//!    asserted where the arithmetic has relative accuracy: λ_min, ‖g‖∞ and ‖u‖∞ between √(smallest
//!    normal) and √(largest finite). Damped solver: the step stays inside the region,
//!    ½ΔᵀFΔ ≤ ε, to the same bound with the condition number of F + λI.
//! 6. Conjugate gradient: at most `max_iters` iterations, a finite residual, `converged` exactly
//!    when ‖r‖ ≤ tol·‖g‖ (taken in f64, up to rounding at the boundary, where tol·‖g‖ or ‖r‖ is
//!    not normal in the case's precision), and a strict solver returns only converged results.
//!
//! Pseudo-inverse and conjugate gradient steps are checked for 1–4 and 6 only: with rcond = 0 or
//! a truncated iteration the quotient uᵀFu/gᵀu has no useful bound.

use arbitrary::Arbitrary;
use nalgebra::{DMatrix, DVector};

use super::input::{Num, SolverCase};
use super::{Real, assert_finite, assert_kind, to, vector, widen};
use pgoracle::compensated::dot2;
use pgoracle::fisher::fisher;
use pgoracle::natural::natural_update;
use pgoracle::scalar::stable_norm;
use pgoracle::solver::Solver;
use pgoracle::trajectory::mean_vector;

/// Most parameters (n) an ordinary case uses, and the number of column exponents of
/// [`Scores::ScaledColumns`] (column j uses exponent j mod 4).
pub const MAX_PARAMS: usize = 4;
/// Most trajectories (m) an ordinary case uses.
pub const MAX_TRAJECTORIES: usize = 6;
/// Most parameters of a wide case (n byte in [`WIDE_BYTES`]): n = 5 + (byte − 200) mod 60.
pub const MAX_WIDE_PARAMS: usize = 64;
/// Most trajectories of a wide case: m = 1 + (m byte) mod 72, so m ≥ n and m < n both occur.
pub const MAX_WIDE_TRAJECTORIES: usize = 72;
/// The n bytes that select a wide case. Every other byte keeps its meaning of n = 1 + byte mod 4
/// (so the corpus's regression and crash inputs decode as they were found: their n bytes are
/// 3, 25, 47, 166, 195 and 255).
pub const WIDE_BYTES: std::ops::RangeInclusive<u8> = 200..=254;

/// One `natural_update(θ, grads, scores, ε, solver)`.
#[derive(Arbitrary, Debug, Clone, PartialEq)]
pub struct Case {
    /// Compute in f32 instead of f64.
    pub f32: bool,
    /// n − 1 (mod [`MAX_PARAMS`]), or a wide n up to [`MAX_WIDE_PARAMS`] for a byte in
    /// [`WIDE_BYTES`].
    pub n: u8,
    /// m − 1 (mod [`MAX_TRAJECTORIES`], or mod [`MAX_WIDE_TRAJECTORIES`] in a wide case).
    pub m: u8,
    /// ε.
    pub epsilon: Num,
    /// The solver.
    pub solver: SolverCase,
    /// How the m × n score matrix is built.
    pub scores: Scores,
    /// How the gradients are built.
    pub grads: Grads,
    /// A length defect to introduce, if any.
    pub defect: Option<Defect>,
    /// The numbers the inputs are drawn from, in turn and cyclically.
    pub pool: Vec<Num>,
}

/// The structure of the score matrix G (rows ∇log p(τ⁽ⁱ⁾)), hence of F = GᵀG/m.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum Scores {
    /// Entries drawn from the pool.
    Raw,
    /// G = C·B with B of 1 + `rank` mod n rows: rank-deficient when that is below n.
    LowRank {
        /// Rank − 1, before the modulus.
        rank: u8,
    },
    /// The last column repeats the first: F is singular for n ≥ 2.
    DuplicateColumn,
    /// Column j scaled by 10^(eⱼ mod 160, signed): ill-conditioned, and over- or underflowing F.
    ScaledColumns {
        /// The exponents eⱼ.
        exponents: [i16; MAX_PARAMS],
    },
    /// The whole matrix scaled by 10^(e mod 330, signed): a near-zero or huge F.
    Scaled {
        /// The exponent e.
        exponent: i16,
    },
    /// A rank-1 matrix plus 10^−(k mod 20) times a full one: nearly singular.
    NearlySingular {
        /// The exponent k.
        exponent: u8,
    },
}

/// The structure of the per-trajectory gradients ∇U(τ⁽ⁱ⁾).
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum Grads {
    /// Entries drawn from the pool.
    Raw,
    /// ∇U(τ⁽ⁱ⁾) = ∇log p(τ⁽ⁱ⁾)·Rᵢ, the likelihood-ratio form: g lies in the range of F.
    LikelihoodRatio,
    /// All zero.
    Zero,
}

impl Scores {
    /// The m × n score matrix G of this structure, its entries drawn in turn from `draw` (row
    /// by row within each factor). Shared with `pgoracle hunt`'s generators.
    pub fn matrix(self, m: usize, n: usize, draw: &mut dyn FnMut() -> f64) -> DMatrix<f64> {
        let mut matrix = |rows: usize, cols: usize| DMatrix::from_fn(rows, cols, |_, _| draw());
        match self {
            Scores::Raw => matrix(m, n),
            Scores::LowRank { rank } => {
                let k = 1 + usize::from(rank) % n;
                matrix(m, k) * matrix(k, n)
            }
            Scores::DuplicateColumn => {
                let mut g = matrix(m, n);
                let first = g.column(0).clone_owned();
                g.set_column(n - 1, &first);
                g
            }
            Scores::ScaledColumns { exponents } => {
                let mut g = matrix(m, n);
                for j in 0..n {
                    let e = exponents[j % MAX_PARAMS];
                    g.column_mut(j).scale_mut(ten_to(i32::from(e) % 160));
                }
                g
            }
            Scores::Scaled { exponent } => matrix(m, n) * ten_to(i32::from(exponent) % 330),
            Scores::NearlySingular { exponent } => {
                let rank_one = matrix(m, 1) * matrix(1, n);
                rank_one + matrix(m, n) * ten_to(-i32::from(exponent % 20))
            }
        }
    }
}

impl Grads {
    /// The per-trajectory gradients of this structure for the score rows `scores`, further
    /// numbers drawn in turn from `draw`. Shared with `pgoracle hunt`'s generators.
    pub fn rows(self, scores: &[Vec<f64>], draw: &mut dyn FnMut() -> f64) -> Vec<Vec<f64>> {
        match self {
            Grads::Raw => scores
                .iter()
                .map(|s| s.iter().map(|_| draw()).collect())
                .collect(),
            Grads::LikelihoodRatio => scores
                .iter()
                .map(|s| {
                    let r = draw();
                    s.iter().map(|x| x * r).collect()
                })
                .collect(),
            Grads::Zero => scores.iter().map(|s| vec![0.0; s.len()]).collect(),
        }
    }
}

/// A length defect.
#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum Defect {
    /// θ is empty.
    EmptyTheta,
    /// There are no gradients and no scores.
    NoTrajectories,
    /// θ has one entry too many.
    LongTheta,
    /// The first gradient has one entry too many.
    LongGradient,
    /// The last score has one entry too few.
    ShortScore,
    /// One gradient fewer than scores.
    MissingGradient,
}

/// Numbers drawn in turn from the case's pool.
struct Pool<'a> {
    xs: &'a [Num],
    next: usize,
}

impl Pool<'_> {
    fn draw(&mut self) -> f64 {
        let i = self.next;
        self.next += 1;
        match self.xs.len() {
            0 => (i % 5) as f64 - 2.0,
            len => self.xs[i % len].0,
        }
    }
}

/// 10^e, correctly rounded (0 or ∞ beyond the range).
fn ten_to(e: i32) -> f64 {
    format!("1e{e}").parse().unwrap_or(f64::NAN)
}

/// θ, gradients and scores of a case, in f64 (before rounding to the case's precision).
struct Inputs {
    theta: Vec<f64>,
    grads: Vec<Vec<f64>>,
    scores: Vec<Vec<f64>>,
    epsilon: f64,
}

impl Case {
    fn inputs(&self) -> Inputs {
        let (n, m) = if WIDE_BYTES.contains(&self.n) {
            (
                5 + usize::from(self.n - WIDE_BYTES.start()) % (MAX_WIDE_PARAMS - 4),
                1 + usize::from(self.m) % MAX_WIDE_TRAJECTORIES,
            )
        } else {
            (
                1 + usize::from(self.n) % MAX_PARAMS,
                1 + usize::from(self.m) % MAX_TRAJECTORIES,
            )
        };
        let mut pool = Pool {
            xs: &self.pool,
            next: 0,
        };
        let theta: Vec<f64> = (0..n).map(|_| pool.draw()).collect();
        let g = self.scores.matrix(m, n, &mut || pool.draw());
        let scores: Vec<Vec<f64>> = g.row_iter().map(|r| r.iter().copied().collect()).collect();
        let grads = self.grads.rows(&scores, &mut || pool.draw());
        let mut inputs = Inputs {
            theta,
            grads,
            scores,
            epsilon: self.epsilon.0,
        };
        match self.defect {
            None => {}
            Some(Defect::EmptyTheta) => inputs.theta.clear(),
            Some(Defect::NoTrajectories) => {
                inputs.grads.clear();
                inputs.scores.clear();
            }
            Some(Defect::LongTheta) => inputs.theta.push(1.0),
            Some(Defect::LongGradient) => inputs.grads[0].push(1.0),
            Some(Defect::ShortScore) => {
                inputs.scores[m - 1].pop();
            }
            Some(Defect::MissingGradient) => {
                inputs.grads.pop();
            }
        }
        inputs
    }
}

/// Calls `natural_update` on the case and asserts the properties of the module docs.
pub fn harness(case: Case) {
    let inputs = case.inputs();
    if case.f32 {
        check::<f32>(&inputs, &case);
    } else {
        check::<f64>(&inputs, &case);
    }
}

/// ‖x‖₂ in f64, scaled so that it does not overflow.
fn norm_f64(x: &DVector<f64>) -> f64 {
    let s = x.amax();
    if s == 0.0 { 0.0 } else { s * (x / s).norm() }
}

/// 2^e for the exponent e of x ≠ 0 (finite, f64): dividing by it is exact.
fn binade(x: f64) -> f64 {
    let e = ((x.abs().to_bits() >> 52) & 0x7ff) as i32;
    // Subnormal x: 2^-1022 keeps x/2^-1022 < 1 exact.
    2f64.powi(e.max(1) - 1023)
}

/// ĝᵀû, |ĝ|ᵀ|û| and the scales s, t, in f64, with ĝ = g/s and û = u/t for s and t the binades of
/// max{|gᵢ| : uᵢ ≠ 0} and max{|uᵢ| : gᵢ ≠ 0}: the scales are taken over the support of the
/// other vector, so a huge gᵢ facing uᵢ = 0 does not push the entries that matter below the range
/// (fuzz finding crash-332c8991: ĝᵀû underflowed to 0 although gᵀu = 1.1e-287). The dot product
/// is Ogita–Rump–Oishi's Dot2, error ≤ u·|ĝᵀû| + γ²ₙ·|ĝ|ᵀ|û|, so a cancelling gᵀu (crash-8491218c)
/// is evaluated, not rounding noise. `None` when g and u have disjoint supports.
fn scaled_dot(g: &DVector<f64>, u: &DVector<f64>) -> Option<(f64, f64, f64, f64)> {
    let support_max = |x: &DVector<f64>, y: &DVector<f64>| {
        x.iter()
            .zip(y.iter())
            .filter(|(_, b)| **b != 0.0)
            .fold(0.0f64, |m, (a, _)| m.max(a.abs()))
    };
    let (gs, ut) = (support_max(g, u), support_max(u, g));
    if gs == 0.0 || ut == 0.0 {
        return None;
    }
    let (s, t) = (binade(gs), binade(ut));
    // Off the other vector's support an entry is 0 (u/t there may overflow: 0·∞ would be NaN).
    let gh = g.zip_map(u, |x, y| if y == 0.0 { 0.0 } else { x / s });
    let uh = u.zip_map(g, |x, y| if y == 0.0 { 0.0 } else { x / t });
    Some((dot2(&gh, &uh), gh.abs().dot(&uh.abs()), s, t))
}

fn check<T: Real>(inputs: &Inputs, case: &Case) {
    let theta = vector::<T>(&inputs.theta);
    let grads: Vec<DVector<T>> = inputs.grads.iter().map(|g| vector(g)).collect();
    let scores: Vec<DVector<T>> = inputs.scores.iter().map(|s| vector(s)).collect();
    let epsilon: T = to(inputs.epsilon);
    let solver: Solver<T> = case.solver.solver();

    let mut defects = Vec::new();
    let finite = |v: &DVector<T>| v.iter().all(|x| x.is_finite());
    if !(epsilon.is_finite()
        && finite(&theta)
        && grads.iter().all(finite)
        && scores.iter().all(finite))
    {
        defects.push("NonFiniteInput");
    }
    if !(epsilon > T::zero() && case.solver.is_valid::<T>()) {
        defects.push("InvalidParameter");
        defects.push("NonFiniteInput");
    }
    if case.defect.is_some() {
        defects.push("EmptyInput");
        defects.push("DimensionMismatch");
    }
    let result = natural_update(&theta, &grads, &scores, epsilon, &solver);
    if !defects.is_empty() {
        match result {
            Err(e) => assert_kind(&e, &defects, case),
            Ok(step) => panic!("{step:?} despite {defects:?}: {case:?}"),
        }
        return;
    }

    // The library's mean (the book's `mean`, compensated; crates/pgoracle/src/trajectory.rs):
    // the harness re-derives the step from it, not the averaging itself.
    let g = mean_vector(&grads);
    let zero_gradient = g.iter().all(|x| *x == T::zero());
    let step = match result {
        Err(e) => {
            let mut allowed = vec!["NonPositiveCurvature", "NonFiniteResult"];
            match case.solver {
                SolverCase::Exact => allowed.extend(["SingularFisher", "NoConvergence"]),
                SolverCase::Damped(_) => allowed.push("SingularFisher"),
                SolverCase::PseudoInverse(_) => allowed.push("NoConvergence"),
                SolverCase::ConjugateGradient { strict: true, .. } => allowed.push("NoConvergence"),
                _ => {}
            }
            if zero_gradient {
                allowed = vec!["ZeroGradient"];
            } else if !finite(&g) {
                allowed = vec!["NonFiniteResult"];
            }
            assert_kind(&e, &allowed, case);
            return;
        }
        Ok(step) => step,
    };
    assert!(!zero_gradient, "no ZeroGradient for g = 0: {case:?}");
    assert_eq!(step.grad, g, "g is not the mean gradient: {case:?}");
    for (v, what) in [(&step.direction, "u"), (&step.theta, "θ′")] {
        assert_finite(v, what, case);
    }
    let n = theta.len();
    assert_eq!((step.direction.len(), step.theta.len()), (n, n));
    let is_cg = matches!(solver, Solver::ConjugateGradient(_));
    match (&step.fisher, is_cg) {
        (None, true) => {}
        (Some(f), false) => assert_eq!(Ok(f), fisher(&scores).as_ref(), "F is not GᵀG/m: {case:?}"),
        (f, _) => panic!("fisher {f:?} for solver {solver:?}: {case:?}"),
    }

    // 4: gᵀu > 0 and the step length, in f64 with g and u scaled over each other's support.
    let (gw, uw) = (widen(&step.grad), widen(&step.direction));
    let (dot, abs_dot, s, t) = scaled_dot(&gw, &uw)
        .unwrap_or_else(|| panic!("gᵀu = 0 (disjoint supports) for an accepted step: {case:?}"));
    let uh = &uw / t;
    let nf = n as f64;
    assert!(
        dot > -2.0 * nf * T::EPS * abs_dot,
        "gᵀu < 0 for an accepted step: ĝᵀû = {dot:e}: {case:?}"
    );
    if dot > 0.0 {
        let cond = abs_dot / dot;
        let eps_w: f64 = epsilon.into();
        // √(2ε) = √(ε/2)·2 when 2ε overflows (ε near MAX).
        let root_two_eps = if (2.0 * eps_w).is_finite() {
            (2.0 * eps_w).sqrt()
        } else {
            (0.5 * eps_w).sqrt() * 2.0
        };
        // a·b/c with a = √(2ε), b = √t, c = √s·√(ĝᵀû), in an order whose intermediate is normal
        // (√(2ε)·√t alone is subnormal for ε = 5e-324 and t = 2^-1022: 1e-8 relative lost).
        let (a, b, c) = (root_two_eps, t.sqrt(), s.sqrt() * dot.sqrt());
        let normal = |x: f64| x.is_finite() && x >= f64::MIN_POSITIVE;
        let factor = if normal(a * b) {
            a * b / c
        } else if normal(b / c) {
            a * (b / c)
        } else {
            a / c * b
        };
        // uᵢ/t overflows for a huge uᵢ facing gᵢ = 0 and a tiny t; then (uᵢ·factor)/t.
        let delta = uw.map(|x| {
            let y = x / t;
            if y.is_finite() {
                y * factor
            } else {
                x * factor / t
            }
        });
        let (tw, pw) = (widen(&theta), widen(&step.theta));
        for i in 0..n {
            let tol = T::EPS * (tw[i].abs() + pw[i].abs())
                + (nf + 6.0) * T::EPS * cond * delta[i].abs()
                + 2.0 * T::TINY * factor.max(1.0);
            assert!(
                (pw[i] - tw[i] - delta[i]).abs() <= tol,
                "θ′[{i}] − θ[{i}] = {:e}, expected u·√(2ε/gᵀu) = {:e}: {case:?}",
                pw[i] - tw[i],
                delta[i]
            );
        }
    }

    // 5: the constraint ½ΔᵀFΔ = ε (exact) or ≤ ε (damped), i.e. uᵀFu vs gᵀu.
    if let (Some(f), true) = (&step.fisher, dot > 0.0) {
        let fw = f.map(Into::<f64>::into);
        let damping = match solver {
            Solver::Exact => Some(0.0),
            Solver::Damped { damping } => Some(damping.into()),
            _ => None,
        };
        if let (Some(lambda), Some(eig)) = (
            damping,
            fw.clone().try_symmetric_eigen(f64::EPSILON, 10_000),
        ) {
            let l_max = eig.eigenvalues.amax();
            let l_min = eig.eigenvalues.min();
            let spread = l_min + lambda - nf * T::EPS * (l_max + lambda);
            let (lo, hi) = (T::MIN_NORMAL.sqrt(), T::MAX.sqrt());
            let in_range = |x: f64| lo <= x && x <= hi;
            if spread > 0.0
                && in_range(l_min + lambda)
                && in_range(l_max + lambda)
                && in_range(s)
                && in_range(t)
            {
                let kappa = (l_max + lambda) / spread;
                let tol = 16.0 * nf * nf * T::EPS * kappa;
                // uᵀFu / gᵀu = (ûᵀFû·t) / (ĝᵀû·s).
                let ratio = uh.dot(&(&fw * &uh)) * t / (dot * s);
                let ok = if lambda == 0.0 {
                    (ratio - 1.0).abs() <= tol
                } else {
                    ratio <= 1.0 + tol
                };
                assert!(
                    ok,
                    "½ΔᵀFΔ/ε = uᵀFu/gᵀu = {ratio} (κ = {kappa:e}, tolerance {tol:e}): {case:?}"
                );
            }
        }
    }

    // 6: the conjugate gradient report.
    if let Solver::ConjugateGradient(p) = solver {
        let info = step.cg.unwrap_or_else(|| panic!("no CG report: {case:?}"));
        assert!(info.iterations <= p.max_iters, "too many iterations");
        assert!(info.residual.is_finite() && info.residual >= T::zero());
        // The library tests ‖r̂‖ ≤ tol·‖ĝ‖ on g scaled by a power of two t and reports ‖r‖ = ‖r̂‖·t:
        // the same test wherever tol·‖g‖ and ‖r‖ are normal in T (or ‖r‖ = 0). Where they are not
        // (‖g‖ overflows T: 56 entries of −6.3e37 in f32; ‖r̂‖·t underflows to 0 for scores near
        // 1e-250) the test is taken in f64, and a residual within rounding of the boundary, or
        // one that underflowed to 0, may go either way.
        let target = p.tol * stable_norm(&step.grad);
        let normal = |x: T| x.is_finite() && Into::<f64>::into(x.abs()) >= T::MIN_NORMAL;
        let res = info.residual;
        if normal(target) && (res == T::zero() || normal(res)) {
            assert_eq!(
                info.converged,
                res <= target,
                "`converged` disagrees with the residual: {case:?}"
            );
        } else if target == T::zero() {
            // tol = 0: converged only at ‖r̂‖ = 0, so never with a positive reported residual.
            assert!(
                !(info.converged && res > T::zero()),
                "`converged` with ‖r‖ = {res} > 0 = tol·‖g‖: {case:?}"
            );
        } else {
            let (residual, tol): (f64, f64) = (res.into(), p.tol.into());
            let target = tol * norm_f64(&gw);
            let slack = 4.0 * (nf + 2.0) * T::EPS * target.abs() + 2.0 * T::TINY;
            if residual > T::TINY && (residual < target - slack || residual > target + slack) {
                assert_eq!(
                    info.converged,
                    residual <= target,
                    "`converged` disagrees with the residual: {case:?}"
                );
            }
        }
        assert!(info.converged || !p.strict, "strict CG returned a miss");
    } else {
        assert!(step.cg.is_none(), "CG report from {solver:?}");
    }
}
