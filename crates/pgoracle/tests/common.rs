//! Helpers shared by the integration tests.

use num_dual::Dual64;
use pgoracle::Step;

/// Real-valued trajectories (Gaussian families) lifted to `Dual64` with zero derivative parts.
pub fn lift_trajectories(
    ts: &[Vec<Step<f64, f64, f64>>],
) -> Vec<Vec<Step<Dual64, Dual64, Dual64>>> {
    ts.iter()
        .map(|tau| {
            tau.iter()
                .map(|s| Step {
                    s: Dual64::from(s.s),
                    a: Dual64::from(s.a),
                    r: Dual64::from(s.r),
                })
                .collect()
        })
        .collect()
}

/// A policy that forwards to `inner` and counts how often the chapter's per-step quantities
/// are evaluated: `log_density` (each likelihood ratio π_θ′/π_θ needs two) and `kl` (the
/// surrogate constraint, Eq. 12.19, needs one per step). Past its budget a count panics, so a
/// loop that no longer ends fails the test instead of hanging it.
pub struct Counting<P> {
    pub inner: P,
    pub log_density_calls: std::cell::Cell<usize>,
    pub kl_calls: std::cell::Cell<usize>,
    log_density_budget: usize,
    kl_budget: usize,
}

impl<P> Counting<P> {
    /// At most `log_density_budget` log-densities and `kl_budget` KL divergences.
    pub fn new(inner: P, log_density_budget: usize, kl_budget: usize) -> Self {
        Counting {
            inner,
            log_density_calls: std::cell::Cell::new(0),
            kl_calls: std::cell::Cell::new(0),
            log_density_budget,
            kl_budget,
        }
    }

    fn tick(counter: &std::cell::Cell<usize>, budget: usize, what: &str) {
        counter.set(counter.get() + 1);
        assert!(
            counter.get() <= budget,
            "more than {budget} {what} evaluations"
        );
    }
}

impl<T: pgoracle::Scalar, P: pgoracle::Policy<T>> pgoracle::Policy<T> for Counting<P> {
    type State = P::State;
    type Action = P::Action;

    fn n_params(&self) -> usize {
        self.inner.n_params()
    }

    fn check_theta(&self, theta: &nalgebra::DVector<T>, field: &str) -> pgoracle::Result<()> {
        self.inner.check_theta(theta, field)
    }

    fn check_step<F: Fn() -> String>(
        &self,
        s: &P::State,
        a: &P::Action,
        field: F,
    ) -> pgoracle::Result<()> {
        self.inner.check_step(s, a, field)
    }

    fn log_density(
        &self,
        theta: &nalgebra::DVector<T>,
        a: &P::Action,
        s: &P::State,
    ) -> pgoracle::Result<T> {
        Self::tick(
            &self.log_density_calls,
            self.log_density_budget,
            "log-density",
        );
        self.inner.log_density(theta, a, s)
    }

    fn grad_log_density(
        &self,
        theta: &nalgebra::DVector<T>,
        a: &P::Action,
        s: &P::State,
    ) -> pgoracle::Result<nalgebra::DVector<T>> {
        self.inner.grad_log_density(theta, a, s)
    }

    fn kl(
        &self,
        theta: &nalgebra::DVector<T>,
        theta_prime: &nalgebra::DVector<T>,
        s: &P::State,
    ) -> pgoracle::Result<T> {
        Self::tick(&self.kl_calls, self.kl_budget, "KL");
        self.inner.kl(theta, theta_prime, s)
    }

    fn fisher_information(
        &self,
        theta: &nalgebra::DVector<T>,
        s: &P::State,
    ) -> pgoracle::Result<nalgebra::DMatrix<T>> {
        self.inner.fisher_information(theta, s)
    }
}

/// The Gaussian policy N(θ₁, θ₂²)'s surrogate objective and constraint (Eqs. 12.18–12.19 as
/// Algorithm 12.5 estimates them), written out here independently of pgoracle:
///
/// f = mean_τ mean_k w_k R(τ, k), w_k = (σ/σ′) exp(½z_k² − ½z′_k²), z = (a − μ)/σ,
/// z′ = (a − μ′)/σ′, R(τ, k) = Σ_{ℓ≥k} r_ℓ γ^(ℓ−1) (discounted from the first step);
/// g = mean_τ mean_k γ^(k−1) [log(σ′/σ) + (σ² + (μ − μ′)²)/(2σ′²) − ½].
///
/// Also returns the scale of f's summands (mean of |w_k R(τ, k)|) and of g's terms, against
/// which rounding differences are measured.
pub fn gaussian_surrogates(
    theta: &nalgebra::DVector<f64>,
    theta_prime: &nalgebra::DVector<f64>,
    trajectories: &[Vec<Step<f64, f64, f64>>],
    gamma: f64,
) -> Reference {
    let (mu, sigma, mu_p, sigma_p) = (theta[0], theta[1], theta_prime[0], theta_prime[1]);
    let log_ratio = (sigma_p / sigma).ln();
    let quad = (sigma * sigma + (mu - mu_p).powi(2)) / (2.0 * sigma_p * sigma_p);
    let kl = log_ratio + quad - 0.5;
    let kl_scale = log_ratio.abs() + quad + 0.5;
    let mut r = Reference::default();
    let m = trajectories.len() as f64;
    for tau in trajectories {
        let n = tau.len() as f64;
        for (k, step) in tau.iter().enumerate() {
            let rtg: f64 = tau[k..]
                .iter()
                .enumerate()
                .map(|(j, s)| s.r * gamma.powi((k + j) as i32))
                .sum();
            let rtg_scale: f64 = tau[k..]
                .iter()
                .enumerate()
                .map(|(j, s)| (s.r * gamma.powi((k + j) as i32)).abs())
                .sum();
            let z = (step.a - mu) / sigma;
            let z_p = (step.a - mu_p) / sigma_p;
            let w = sigma / sigma_p * (0.5 * z * z - 0.5 * z_p * z_p).exp();
            r.f += w * rtg / n / m;
            r.f_scale += w * rtg_scale / n / m;
            let discount = gamma.powi(k as i32);
            r.g += kl * discount / n / m;
            r.g_scale += kl_scale * discount / n / m;
        }
    }
    r
}

/// [`gaussian_surrogates`]' values and the scales of their summands.
#[derive(Debug, Default, Clone, Copy)]
pub struct Reference {
    pub f: f64,
    pub g: f64,
    pub f_scale: f64,
    pub g_scale: f64,
}

impl Reference {
    /// Whether pgoracle's f and g agree with these within `ulps` rounding errors of the
    /// summands' scale.
    pub fn agrees(&self, f: f64, g: f64, ulps: f64) -> bool {
        (f - self.f).abs() <= ulps * f64::EPSILON * self.f_scale
            && (g - self.g).abs() <= ulps * f64::EPSILON * self.g_scale
    }
}

/// F = (1/m) Σᵢ sᵢ sᵢᵀ (Eq. 12.10) as a plain sum of outer products, independent of
/// pgoracle's blocked GᵀG.
pub fn fisher_by_hand(scores: &[nalgebra::DVector<f64>]) -> nalgebra::DMatrix<f64> {
    let n = scores[0].len();
    let sum = scores
        .iter()
        .fold(nalgebra::DMatrix::zeros(n, n), |acc, s| {
            acc + s * s.transpose()
        });
    sum / scores.len() as f64
}
