"""A naive but backward-stable NumPy implementation of all 20 operations of the pgoracle oracle
interface, version 1 (Chapter 12, Policy Gradient Optimization), to check against the golden files
(issue #16, acceptance item 4).

    python3 tools/numpy_example/naive.py golden/ > results.json
    pgoracle check golden/ results.json

The argument is a golden file or a folder of them (or a JSON array of cases {id, operation, scalar,
input}); the candidate results go to standard output. f32 cases are computed in numpy float32
throughout, f64 cases in float64.

"Naive" means the plain vectorised formulas a typical NumPy user writes: np.sum / np.mean / @,
np.linalg.solve / eigh / matrix_rank, a textbook conjugate gradient, cumsum for the rewards-to-go,
powers of gamma for the discounts; no compensated summation, no fma, no extra precision, and every
sum in its natural order. Scaling by a power of two (np.frexp / np.ldexp, exact) is used where an
intermediate would leave the range while the result does not (forms 8-12): an overflow to inf or
an underflow to 0 is not a rounding error any condition number covers, so a careful user, like
every BLAS and LAPACK routine, scales instead.

"Backward stable" means that where the most obvious formula is not backward stable in the inputs,
the standard stable library form a careful user would write is used instead. Every such place:

1. Log-densities and likelihood ratios. Densities are never formed on their own: the Gaussian
   log-density is -z^2/2 - log(sigma) - log(2 pi)/2 with z = (a - mu)/sigma, the softmax
   log-probability is theta_sa - logsumexp(theta_s.) with logsumexp(x) = m + log(sum exp(x - m)),
   m = max x, and a ratio pi(theta')/pi(theta) is exp(log pi(theta') - log pi(theta)). Why: a
   density of an action 40 sigma from the mean underflows to 0 (0/0 = NaN), and exp(theta) of a
   large logit overflows, while the ratio is an ordinary number. The ratio at theta' = theta is
   exactly 1 (the Gaussian log-ratio: form 11).
2. Softmax score e_a - p. The entry for the taken action, 1 - p_a, is computed as sum_{b != a} p_b.
   Why: for a near-certain action (p_a = 1 - 4e-18) 1 - p_a rounds to 0, which no nearby theta
   explains; the sum of the other probabilities is accurate.
3. Softmax KL, policy_kl and the surrogate constraint: from d = theta' - theta and p = softmax(theta),
   KL(p || p') = log sum_b p_b exp(e_b) with e = d - c, c = sum_b p_b d_b, evaluated as
   log1p(sum_b p_b phi(e_b)), phi(e) = e^e - 1 - e >= 0 by its Taylor series e^2/2! + e^3/3! + ...
   for |e| < 1/16 and expm1(e) - e above. Why: sum p (log p - log p') subtracts log-probabilities
   of size ~1 to get a KL that can be 1e-30; the shift by c makes the exponents small, and since
   sum p e = 0 exactly, dropping it leaves a sum of non-negative terms: with expm1(e) its rounding
   (eps |c|) would stand in for a KL of size e^2 (adv-trust_region_update-2, KL 1.4e-16).
4. Gaussian KL (policy_kl, surrogate constraint, kl_gaussian): with t = (s - s')/s' and
   z = (m - m')/s', KL = t^2/2 + (t - log1p t) + z^2/2, t - log1p t by its series t^2/2 - t^3/3 + ...
   for |t| < 1/16; for s < s'/2, (x^2 - 1)/2 - log x + z^2/2 with x = s/s' and log x as log s -
   log s' when x is not a normal number. Why: the closed form log(s'/s) + (s^2 + dm^2)/(2 s'^2) -
   1/2 has terms ~1 (log(s'/s) rounded to eps) around a KL of ~t^2 that can be 1e-26
   (adv-policy_kl-11, adv-surrogate_constraint-1, adv-trust_region_update-9..12); s - s' is
   exact there, so every term is accurate. z is (m - m')/s' (form 9), so m - m' = 2e308 and
   s'^2 = 1e400 are never formed.
5. kl_categorical: p log(p/q) per term, or p (log p - log q) where p/q is not a normal number.
   Why: with a subnormal q (or p/q near the range's ends) the ratio overflows or underflows though
   the term is ordinary; p (log p - log q) has an absolute error of at most ~u (p |log p| <= 1/e).
   0 log(0/q) = 0 is taken as 0.
6. Gaussian score: d/d(mu) = q = z/sigma (times s for the linear Gaussian), d/d(sigma) =
   z q - 1/sigma with z = (a - mu)/sigma. Why: the book's ((a - mu)^2 - sigma^2)/sigma^3, and even
   (z^2 - 1)/sigma, square a number that overflows (z = 2e154, adv-score-5 and 3e19 in f32,
   adv-score-14) though the score is representable; same operation count.
7. kl_penalty_objective = surrogate objective - beta * surrogate constraint, each as above; the
   final difference can cancel (inherent).
8. Norms and unit vectors as BLAS nrm2 scales them: v = g / max|g_i|, ||g|| = max|g_i| ||v||.
   restricted_step / restricted_update take theta + sqrt(2 eps) v/||v||, scale_gradient returns g
   when L/max|g_i| >= ||v|| and L v/||v|| otherwise, and sqrt(2 eps) is 2 sqrt(eps/2) for eps >= 1
   (the same rounded value). Why: g.g, 2 eps and L/||g|| overflow or underflow (eps = 1e308,
   ||g|| = 2e300, the scale factor 5.8e-601 of adv-scale_gradient-8) where the step is ordinary.
9. Sums and differences that overflow are halved: where theta + alpha g (gradient_ascent) or
   (m - m')/s' is not finite, it is 2 (theta/2 + alpha (g/2)) or 2 ((m/2 - m'/2)/s'). Why:
   -1e308 + 2 * 1e308 overflows in alpha g though the result is 1e308; halving huge numbers is
   exact, and a result beyond the range still overflows.
10. Fisher matrix and natural step scaled by powers of two. fisher: each column of S by 2^-e_j
    (e_j the exponent of its largest entry), F_ij = 2^(e_i + e_j) (S~^T S~/m)_ij. The solve: S =
    2^es S~ and g = 2^et g~, F~ u~ = g~ (damping times 4^-es), u = 2^(et - 2es) u~, theta' =
    theta + 2^-es sqrt(2 eps) u~/sqrt(g~.u~); a scalar scale, so the CG iterates, the rank test
    and the rcond cut are those of the unscaled problem. Means of rows (the mean gradient) are
    2^e mean(X / 2^e). Why: squares of scores 1.3e154 overflow (adv-fisher-1); scores 1e-160 give
    a subnormal F (adv-natural_update-1), 1e135 overflow p'Fp and 1e-100 underflow it in CG
    (adv-natural_update-2, adv-natural_policy_update-6); the scaled problem has the same solution.
11. Gaussian likelihood ratio: log w = -(z' - z)(z' + z)/2 - log(sigma'/sigma) with
    z' - z = (z (sigma - sigma') + (mu - mu'))/sigma', mu - mu' = (theta_1 - theta'_1) (times s),
    and log(sigma'/sigma) as log1p((sigma' - sigma)/sigma) near 1. Why: 1.2e6 sigma out, z'^2/2
    and z^2/2 are 7.6e11 and their difference keeps 4 digits (adv-clamped_*-1 clamped the wrong
    way); z' - z formed from the parameter differences does not cancel.
12. Discounted rewards r_k gamma^j (j = k - 1) as (r_k gamma^ceil(j/2)) gamma^floor(j/2), in the
    returns, the rewards-to-go and the discounted KLs. Why: gamma^j alone underflows (1e-29^12 =
    1e-348, adv-likelihood_ratio_gradient-3) while r_k gamma^j = 1e-48 is ordinary; each partial
    product lies between the two.

Everything else is the plain formula: g = mean(grads); the natural step theta + u sqrt(2 eps / g.u)
(scaled, form 10); returns sum r_k gamma^(k-1) by np.sum; rewards-to-go by a reversed cumsum;
means by np.mean.

Known disagreements (4 golden cases; findings against pgoracle, not fixed here): adv-natural_update-3
and -10 average gradients [1e16, 1, -1e16] (f32: 1e8): fl(1e16 + 1) = 1e16 (a tie, to even), so the
mean is 0 and the result is ZeroGradient. 0 is the exact mean of inputs perturbed by 1e-16
relative (1e16 -> 1e16 - 1), so a backward-stable code may return it; pgoracle's own rounding bound
for g_1 = 1/3 is 16 eps S(g_1) = 16 eps (2e16 + 1)/3 = 23.7 (f32: 127), yet the "g = 0" test is not
an indeterminate decision. adv-restricted_update-2 and -8 have R = 1e16 + 1 - 1e16 (f32: 1e8): the
same rounding gives R = 0 and ZeroGradient; and theta's kappa (0.88) misses that theta depends on
sign(R), which is within 16 eps S(R) = 71 (f32: 381) of flipping. Summing in decreasing magnitude
would pass all four (tried), but only by luck of order: adv-restricted_update-1 (R = -1 + 1e16 + 1
- 1e16 = 0, expecting ZeroGradient) passes with np.sum's order and fails with Horner's (R = -1).

Errors: the kinds of the interface are produced by explicit tests (NonFiniteInput, InvalidParameter,
DimensionMismatch, EmptyInput, ZeroGradient, ZeroProbability, NonPositiveCurvature, NoConvergence);
SingularFisher for the exact solver when np.linalg.matrix_rank(F, hermitian=True) < n (or m < n);
a non-finite output is reported as NonFiniteResult, never as a number. The trust-region line search
follows the interface (strict improvement; a candidate with sigma <= 0 or a non-finite surrogate is
rejected and, when it is the last one examined, f_theta_prime and g_theta_prime are null); once the
candidate has collapsed onto theta exactly, every further candidate is theta and is rejected, so the
search ends with the outcome of max_steps shrinks at once.
"""
import json
import os
import sys

import numpy as np

NONFINITE = {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}


# ----------------------------------------------------------------------------------------------
# Scaling and series helpers (forms 3, 4, 8-12 of the docstring); scaling is by powers of two only
# ----------------------------------------------------------------------------------------------


def exponent(m):
    """e with m = f 2^e, 1/2 <= |f| < 1 (0 for m = 0): scaling by 2^-e is exact."""
    return np.frexp(m)[1]


def mean_rows(X):
    """np.mean(X, axis=0) of X / 2^e, times 2^e (e = exponent of max |X|): the sum cannot overflow."""
    e = exponent(np.max(np.abs(X)))
    return np.ldexp(np.mean(np.ldexp(X, -e), axis=0), e)


def unit(g):
    """g / ||g|| as BLAS nrm2 scales it: v = g / max|g_i|, then v / sqrt(v.v) (g != 0)."""
    v = g / np.max(np.abs(g))
    return v / np.sqrt(v @ v)


def sqrt2x(x):
    """sqrt(2 x) for x > 0, as 2 sqrt(x / 2) when 2 x could overflow (the same rounded value)."""
    return np.sqrt(2 * x) if x < 1 else 2 * np.sqrt(x / 2)


def halving(fn, *args):
    """fn(*args) for a linear fn (x + y, x - y, x + a y); where that overflows, 2 fn(*args / 2):
    the halves are exact (the entries are huge there), and only a result that is itself beyond
    the range overflows again."""
    r = fn(*args)
    if np.all(np.isfinite(r)):
        return r
    return np.where(np.isfinite(r), r, 2 * fn(*[a / 2 for a in args]))


def log_ratio(a, b):
    """log(a / b) for a, b > 0: log1p((a - b) / b) near 1 (a - b exact there), log(a / b) when
    the ratio is a normal number, log a - log b otherwise (a / b over- or underflows)."""
    r = a / b
    if 0.5 <= r <= 2:
        return np.log1p((a - b) / b)
    if np.isfinite(r) and r >= np.finfo(type(r)).tiny:
        return np.log(r)
    return np.log(a) - np.log(b)


def taylor(x, coeffs):
    """sum_k coeffs[k] x^(k+2) by Horner (the series' leading power is x^2)."""
    acc = np.zeros_like(x)
    for c in coeffs[::-1]:
        acc = acc * x + c
    return acc * x * x


SERIES_CUT = 1 / 16       # |x| below which the series replace a cancelling library difference
N_TERMS = 18              # the first omitted term is below (1/16)^18 = 2^-72 of the leading one


def t_minus_log1p(t):
    """h(t) = t - log1p(t) >= 0: its series t^2/2 - t^3/3 + ... for |t| < 1/16, where
    t - log1p(t) would cancel to an absolute error of eps |t|."""
    T = type(t) if np.isscalar(t) else t.dtype.type
    coeffs = [T((-1) ** k / (k + 2)) for k in range(N_TERMS)]
    t = np.asarray(t, dtype=T)
    small = np.abs(t) < SERIES_CUT
    return np.where(small, taylor(np.where(small, t, T(0)), coeffs), t - np.log1p(np.where(small, T(0), t)))


def exp_excess(e):
    """phi(e) = e^e - 1 - e >= 0: its series e^2/2! + e^3/3! + ... for |e| < 1/16, else
    expm1(e) - e."""
    T = e.dtype.type
    fact = [1.0]
    for k in range(1, N_TERMS + 3):
        fact.append(fact[-1] * k)
    coeffs = [T(1 / fact[k + 2]) for k in range(N_TERMS)]
    small = np.abs(e) < SERIES_CUT
    return np.where(small, taylor(np.where(small, e, T(0)), coeffs), np.expm1(e) - e)


class Failure(Exception):
    def __init__(self, kind, message=""):
        super().__init__("%s: %s" % (kind, message))
        self.kind = kind
        self.message = message or kind


# ----------------------------------------------------------------------------------------------
# Input helpers
# ----------------------------------------------------------------------------------------------


class Ctx:
    def __init__(self, dtype):
        self.T = dtype
        self.eps = np.finfo(dtype).eps

    def num(self, x, name="number"):
        if isinstance(x, str):
            if x in NONFINITE:
                raise Failure("NonFiniteInput", "%s is %s" % (name, x))
            raise Failure("InvalidParameter", "%s is not a number" % name)
        v = self.T(x)
        if not np.isfinite(v):
            raise Failure("NonFiniteInput", "%s is not finite" % name)
        return v

    def vec(self, xs, name):
        if not isinstance(xs, list):
            raise Failure("DimensionMismatch", "%s is not a vector" % name)
        return np.array([self.num(x, name) for x in xs], dtype=self.T)

    def positive(self, inp, name):
        x = self.num(inp[name], name)
        if not x > 0:
            raise Failure("InvalidParameter", "%s must be > 0" % name)
        return x


def scan_nonfinite(x, ctx, path="input"):
    """NonFiniteInput for a NaN/infinity string, or a number that is not finite in the precision."""
    if isinstance(x, str):
        if x in NONFINITE:
            raise Failure("NonFiniteInput", "non-finite number in %s" % path)
    elif isinstance(x, bool) or x is None:
        return
    elif isinstance(x, (int, float)):
        with np.errstate(over="ignore"):
            if not np.isfinite(ctx.T(float(x))):
                raise Failure("NonFiniteInput", "%s overflows" % path)
    elif isinstance(x, dict):
        for k, v in x.items():
            scan_nonfinite(v, ctx, path + "." + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            scan_nonfinite(v, ctx, "%s[%d]" % (path, i))


def vector_list(ctx, vs, name, n=None):
    if not isinstance(vs, list) or len(vs) == 0:
        raise Failure("EmptyInput", "%s is empty" % name)
    if n is None:
        n = len(vs[0])
    for v in vs:
        if len(v) != n:
            raise Failure("DimensionMismatch", "%s vectors have the wrong length" % name)
    if n == 0:
        raise Failure("EmptyInput", "%s vectors are empty" % name)
    return np.array([[ctx.num(x, name) for x in v] for v in vs], dtype=ctx.T).reshape(len(vs), n)


def nonempty(ctx, inp, name):
    v = ctx.vec(inp[name], name)
    if v.size == 0:
        raise Failure("EmptyInput", "%s is empty" % name)
    return v


def gamma_of(ctx, inp):
    g = ctx.num(inp["gamma"], "gamma")
    if not (0 <= g <= 1):
        raise Failure("InvalidParameter", "gamma must lie in [0, 1]")
    return g


# ----------------------------------------------------------------------------------------------
# Policies
# ----------------------------------------------------------------------------------------------


class Policy:
    def __init__(self, ctx, pol):
        self.ctx = ctx
        self.family = pol["family"]
        if self.family == "softmax":
            self.ns, self.na = pol["n_states"], pol["n_actions"]
            self.n = self.ns * self.na
        elif self.family in ("gaussian", "linear_gaussian"):
            self.n = 2
        else:
            raise Failure("InvalidParameter", "unknown family")

    def theta(self, xs, name):
        th = self.ctx.vec(xs, name)
        if th.size != self.n:
            raise Failure("DimensionMismatch", "%s has length %d, the policy has %d" % (name, th.size, self.n))
        if self.family != "softmax" and not th[1] > 0:
            raise Failure("InvalidParameter", "%s: sigma must be > 0" % name)
        return th

    def in_domain(self, th):
        return self.family == "softmax" or th[1] > 0

    def state(self, s, name="s"):
        if self.family == "softmax":
            if not isinstance(s, int) or not (0 <= s < self.ns):
                raise Failure("DimensionMismatch", "%s outside the softmax table" % name)
            return s
        return self.ctx.num(s, name)

    def trajectories(self, trajs):
        if not isinstance(trajs, list) or len(trajs) == 0:
            raise Failure("EmptyInput", "no trajectories")
        out = []
        for t in trajs:
            if len(t) == 0:
                raise Failure("EmptyInput", "an empty trajectory")
            s = [self.state(st["s"]) for st in t]
            if self.family == "softmax":
                a = [st["a"] for st in t]
                if not all(isinstance(x, int) and 0 <= x < self.na for x in a):
                    raise Failure("DimensionMismatch", "action outside the softmax table")
                s, a = np.array(s, dtype=int), np.array(a, dtype=int)
            else:
                s = np.array(s, dtype=self.ctx.T)
                a = np.array([self.ctx.num(st["a"], "a") for st in t], dtype=self.ctx.T)
            r = np.array([self.ctx.num(st["r"], "r") for st in t], dtype=self.ctx.T)
            out.append((s, a, r))
        return out

    # -- vectorised over the steps of one trajectory (s, a arrays) --

    def _rows(self, th, s):
        return th.reshape(self.ns, self.na)[s]            # (d, na) logits of the visited states

    def logprobs(self, th, s):
        """Softmax log-probability table of the visited states: theta - logsumexp (stable form 1)."""
        rows = self._rows(th, s)
        m = rows.max(axis=1, keepdims=True)
        return rows - (m + np.log(np.sum(np.exp(rows - m), axis=1, keepdims=True)))

    def mean(self, th, s):
        return th[0] if self.family == "gaussian" else th[0] * s

    def logpdf(self, th, s, a):
        if self.family == "softmax":
            return self.logprobs(th, s)[np.arange(len(a)), a]
        T = self.ctx.T
        z = (a - self.mean(th, s)) / th[1]
        return -z * z / 2 - np.log(th[1]) - T(0.5) * np.log(T(2 * np.pi))

    def dmean(self, th, thp, s):
        """mu - mu' formed from the parameter difference: (theta_1 - theta'_1) (times s)."""
        d = halving(np.subtract, th[0], thp[0])
        return d if self.family == "gaussian" else d * s

    def ratio(self, thp, th, s, a):
        """pi(theta', a, s) / pi(theta, a, s) as exp of the log-density difference (stable form 1).
        Gaussian: log w = -(z' - z)(z' + z)/2 - log(sigma'/sigma) with z' - z =
        (z (sigma - sigma') + (mu - mu')) / sigma' (form 11)."""
        if self.family == "softmax":
            return np.exp(self.logpdf(thp, s, a) - self.logpdf(th, s, a))
        sd, sdp = th[1], thp[1]
        z = (a - self.mean(th, s)) / sd
        zp = (a - self.mean(thp, s)) / sdp
        dz = (z * (sd - sdp) + self.dmean(th, thp, s)) / sdp
        return np.exp(-dz * (zp + z) / 2 - log_ratio(sdp, sd))

    def grad_log(self, th, s, a):
        """Per-step grad log pi, shape (d, n)."""
        d = len(a)
        if self.family == "softmax":
            p = np.exp(self.logprobs(th, s))               # (d, na)
            g = -p
            idx = np.arange(d)
            others = p.copy()
            others[idx, a] = 0
            g[idx, a] = np.sum(others, axis=1)             # 1 - p_a as sum of the others (form 2)
            out = np.zeros((d, self.n), dtype=self.ctx.T)
            for k in range(d):
                out[k, s[k] * self.na:(s[k] + 1) * self.na] = g[k]
            return out
        sd = th[1]
        z = (a - self.mean(th, s)) / sd
        q = z / sd
        dmu = q if self.family == "gaussian" else q * s
        dsig = z * q - 1 / sd                               # form 6
        return np.stack([dmu, dsig], axis=1)

    def kl(self, th, thp, s):
        """KL(pi_theta(.|s) || pi_theta'(.|s)) for an array of states."""
        if self.family == "softmax":
            p = np.exp(self.logprobs(th, s))               # (d, na)
            dd = self._rows(thp, s) - self._rows(th, s)
            c = np.sum(p * dd, axis=1, keepdims=True)
            return np.log1p(np.sum(p * exp_excess(dd - c), axis=1))     # form 3
        sq = thp[1]
        if self.family == "gaussian":
            z = halving(lambda x, y: (x - y) / sq, th[0], thp[0])
        else:
            z = halving(lambda x, y: (x - y) / sq, th[0], thp[0]) * s
        return kl_gauss(z, th[1], sq)


def kl_gauss(z, sp, sq):
    """KL(N(m, sp^2) || N(m', sq^2)) from z = (m - m')/sq (form 4): with t = (sp - sq)/sq,
    KL = t^2/2 + (t - log1p t) + z^2/2 for sp >= sq/2, and (x^2 - 1)/2 - log x + z^2/2 with
    x = sp/sq below (log x by log_ratio, so a subnormal x is not formed)."""
    zz = (z / 2) * z
    if sp >= sq / 2:
        t = (sp - sq) / sq
        return (t / 2) * t + t_minus_log1p(t) + zz
    x = sp / sq
    return ((x / 2) * x - 0.5) - log_ratio(sp, sq) + zz


def discounted(ctx, r, gamma):
    """r_k gamma^(k-1) as (r_k gamma^ceil(j/2)) gamma^floor(j/2), j = k - 1 (form 12): each factor
    lies between |r_k| and |r_k gamma^j| in magnitude, so a representable term is formed
    where gamma^j alone underflows."""
    j = np.arange(len(r))
    return (r * gamma ** ((j + 1) // 2).astype(ctx.T)) * gamma ** (j // 2).astype(ctx.T)


def ret(ctx, r, gamma):
    return np.sum(discounted(ctx, r, gamma))


def rewards_to_go(ctx, r, gamma):
    x = discounted(ctx, r, gamma)
    return np.cumsum(x[::-1])[::-1]


def traj_score(pol, th, t):
    s, a, _ = t
    return np.sum(pol.grad_log(th, s, a), axis=0)


# ----------------------------------------------------------------------------------------------
# Surrogates
# ----------------------------------------------------------------------------------------------


def surrogate_objective(ctx, pol, th, thp, trajs, gamma):
    per = [np.mean(pol.ratio(thp, th, s, a) * rewards_to_go(ctx, r, gamma)) for s, a, r in trajs]
    return np.mean(np.array(per, dtype=ctx.T))


def surrogate_constraint(ctx, pol, th, thp, trajs, gamma):
    per = [np.mean(discounted(ctx, np.broadcast_to(pol.kl(th, thp, s), r.shape), gamma)) for s, a, r in trajs]
    return np.mean(np.array(per, dtype=ctx.T))


def clamped_objective(ctx, pol, th, thp, trajs, gamma, eps):
    per = []
    for s, a, r in trajs:
        R = rewards_to_go(ctx, r, gamma)
        w = pol.ratio(thp, th, s, a)
        per.append(np.mean(np.minimum(w * R, np.clip(w, 1 - eps, 1 + eps) * R)))
    return np.mean(np.array(per, dtype=ctx.T))


def clamped_gradient(ctx, pol, th, thp, trajs, gamma, eps):
    per = []
    for s, a, r in trajs:
        R = rewards_to_go(ctx, r, gamma)
        w = pol.ratio(thp, th, s, a)
        clamped = ((R > 0) & (w > 1 + eps)) | ((R < 0) & (w < 1 - eps))
        coef = np.where(clamped, ctx.T(0), w * R)
        # grad pi(theta') R / pi(theta) = w R grad log pi(theta')
        per.append(np.mean(coef[:, None] * pol.grad_log(thp, s, a), axis=0))
    return np.mean(np.array(per, dtype=ctx.T), axis=0)


# ----------------------------------------------------------------------------------------------
# Natural gradient
# ----------------------------------------------------------------------------------------------


def parse_solver(ctx, inp):
    s = inp.get("solver", {"kind": "exact"})
    kind = s["kind"]
    if kind == "exact":
        return s, {}
    if kind == "damped":
        lam = ctx.num(s["damping"], "solver.damping")
        if not lam > 0:
            raise Failure("InvalidParameter", "solver.damping must be > 0")
        return s, {"damping": lam}
    if kind == "pseudo_inverse":
        rc = ctx.num(s["rcond"], "solver.rcond")
        if rc < 0:
            raise Failure("InvalidParameter", "solver.rcond must be >= 0")
        return s, {"rcond": rc}
    if kind == "conjugate_gradient":
        lam = ctx.num(s["damping"], "solver.damping")
        tol = ctx.num(s["tol"], "solver.tol")
        if lam < 0:
            raise Failure("InvalidParameter", "solver.damping must be >= 0")
        if tol < 0:
            raise Failure("InvalidParameter", "solver.tol must be >= 0")
        if not (1 <= s["max_iters"] <= 10 ** 6):
            raise Failure("InvalidParameter", "solver.max_iters must lie in [1, 1e6]")
        return s, {"damping": lam, "tol": tol, "max_iters": s["max_iters"], "strict": s.get("strict", False)}
    raise Failure("InvalidParameter", "unknown solver")


def cg(ctx, S, lam, g, max_iters, tol):
    """Textbook CG on (S^T S / m + lam I) u = g from u = 0, matrix-free."""
    m = S.shape[0]
    u = np.zeros_like(g)
    r = g.copy()
    p = r.copy()
    rr = r @ r
    stop = tol * np.linalg.norm(g)
    it = 0
    while it < max_iters and np.sqrt(rr) > stop:
        Ap = S.T @ (S @ p) / m + lam * p
        curv = p @ Ap
        if not curv > 0:
            break
        a = rr / curv
        u = u + a * p
        r = r - a * Ap
        rr_next = r @ r
        p = r + (rr_next / rr) * p
        rr = rr_next
        it += 1
    return u, it, np.sqrt(rr), np.sqrt(rr) <= stop


def fisher(S):
    """F = S^T S / m with each column of S scaled by a power of two 2^e_j near its largest entry,
    F_ij = 2^(e_i + e_j) (S~^T S~ / m)_ij (form 10): the products cannot overflow or underflow
    where F is representable, and the scaling is exact."""
    e = exponent(np.max(np.abs(S), axis=0))
    St = np.ldexp(S, -e[None, :])
    return np.ldexp(St.T @ St / S.shape[0], e[:, None] + e[None, :])


def natural_core(ctx, theta, G, S, eps, solver):
    """The natural step on the problem scaled by powers of two (form 10): S = 2^es S~, g = 2^et g~,
    F = 4^es F~, so u = 2^(et - 2 es) u~ with F~ u~ = g~ (lam scaled by 4^-es), and
    theta' = theta + 2^-es sqrt(2 eps) u~ / sqrt(g~'u~). Every solver sees the same matrix up to
    one scalar, so its iterates, its rank test and its rcond cut are those of the unscaled one."""
    spec, par = solver
    kind = spec["kind"]
    g = mean_rows(G)
    if not np.any(g):
        raise Failure("ZeroGradient", "mean gradient is zero")
    m, n = S.shape
    es, et = exponent(np.max(np.abs(S))), exponent(np.max(np.abs(g)))
    St, gt = np.ldexp(S, -es), np.ldexp(g, -et)
    Ft = St.T @ St / m
    extra = {}
    if kind == "exact":
        if m < n or np.linalg.matrix_rank(Ft, hermitian=True) < n:
            raise Failure("SingularFisher", "the Fisher matrix is singular")
        try:
            ut = np.linalg.solve(Ft, gt)
        except np.linalg.LinAlgError:
            raise Failure("SingularFisher", "the Fisher matrix is singular")
    elif kind == "damped":
        ut = np.linalg.solve(Ft + np.ldexp(par["damping"], -2 * es) * np.eye(n, dtype=ctx.T), gt)
    elif kind == "pseudo_inverse":
        w, V = np.linalg.eigh(Ft)
        keep = (np.abs(w) > par["rcond"] * np.max(np.abs(w))) & (w != 0)
        Vk = V[:, keep]
        ut = Vk @ ((Vk.T @ gt) / w[keep])
    else:
        ut, it, res, ok = cg(ctx, St, np.ldexp(par["damping"], -2 * es), gt, par["max_iters"], par["tol"])
        if par["strict"] and not ok:
            raise Failure("NoConvergence", "conjugate gradient missed its tolerance")
        extra = {"cg_iterations": it, "cg_residual": np.ldexp(res, et)}
    u = np.ldexp(ut, et - 2 * es)
    if not np.all(np.isfinite(u)):
        raise Failure("NonFiniteResult", "the direction is not finite")
    gu = gt @ ut
    if not gu > 0:
        raise Failure("NonPositiveCurvature", "g'u <= 0")
    th2 = theta + sqrt2x(eps) * np.ldexp(ut / np.sqrt(gu), -es)
    out = {"grad": g, "fisher": fisher(S), "direction": u, "theta": th2}
    if kind == "conjugate_gradient":
        del out["fisher"]            # pgoracle's departure: CG never forms F (docs/interface.md)
    out.update(extra)
    return out


# ----------------------------------------------------------------------------------------------
# Operations
# ----------------------------------------------------------------------------------------------


def same_length(a, b, what):
    if a.size != b.size:
        raise Failure("DimensionMismatch", what)


def op_gradient_ascent(ctx, inp):
    th, g = nonempty(ctx, inp, "theta"), nonempty(ctx, inp, "grad")
    same_length(th, g, "theta and grad differ in length")
    alpha = ctx.positive(inp, "alpha")
    return {"theta": halving(lambda x, y: x + alpha * y, th, g)}          # form 9


def op_scale_gradient(ctx, inp):
    g = nonempty(ctx, inp, "grad")
    l2 = ctx.num(inp["l2_max"], "l2_max")
    if l2 < 0:
        raise Failure("InvalidParameter", "l2_max must be >= 0")
    m = np.max(np.abs(g))
    if m == 0:
        return {"grad": np.zeros_like(g)}
    v = g / m                                    # ||g|| = m ||v|| as nrm2, never formed (form 8)
    nv = np.sqrt(v @ v)
    if l2 / m >= nv:
        return {"grad": g}
    return {"grad": l2 * (v / nv)}


def op_clip_gradient(ctx, inp):
    g = nonempty(ctx, inp, "grad")
    lo, hi = ctx.num(inp["lo"], "lo"), ctx.num(inp["hi"], "hi")
    if lo > hi:
        raise Failure("InvalidParameter", "lo > hi")
    return {"grad": np.clip(g, lo, hi)}


def op_restricted_step(ctx, inp):
    th, g = nonempty(ctx, inp, "theta"), nonempty(ctx, inp, "grad")
    same_length(th, g, "theta and grad differ in length")
    eps = ctx.positive(inp, "epsilon")
    if not np.any(g):
        raise Failure("ZeroGradient", "grad is zero")
    return {"theta": th + sqrt2x(eps) * unit(g)}                         # form 8


def op_fisher(ctx, inp):
    return {"fisher": fisher(vector_list(ctx, inp["scores"], "scores"))}


def op_natural_update(ctx, inp):
    th = nonempty(ctx, inp, "theta")
    n = th.size
    if len(inp["grads"]) == 0 or len(inp["scores"]) == 0:
        raise Failure("EmptyInput", "grads and scores are empty")
    if len(inp["grads"]) != len(inp["scores"]):
        raise Failure("DimensionMismatch", "grads and scores have different counts")
    G = vector_list(ctx, inp["grads"], "grads", n)
    S = vector_list(ctx, inp["scores"], "scores", n)
    eps = ctx.positive(inp, "epsilon")
    return natural_core(ctx, th, G, S, eps, parse_solver(ctx, inp))


def policy_inputs(ctx, inp, prime=False):
    pol = Policy(ctx, inp["policy"])
    th = pol.theta(inp["theta"], "theta")
    thp = pol.theta(inp["theta_prime"], "theta_prime") if prime else None
    trajs = pol.trajectories(inp["trajectories"])
    return pol, th, thp, trajs


def op_score(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    return {"scores": np.array([traj_score(pol, th, t) for t in trajs])}


def lr_grads(ctx, pol, th, trajs, gamma):
    S = np.array([traj_score(pol, th, t) for t in trajs])
    R = np.array([ret(ctx, t[2], gamma) for t in trajs], dtype=ctx.T)
    return S * R[:, None], S


def op_likelihood_ratio_gradient(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    G, _ = lr_grads(ctx, pol, th, trajs, gamma_of(ctx, inp))
    return {"grads": G, "grad": mean_rows(G)}


def op_restricted_update(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    G, _ = lr_grads(ctx, pol, th, trajs, gamma)
    u = mean_rows(G)
    if not np.any(u):
        raise Failure("ZeroGradient", "mean gradient is zero")
    return {"grad": u, "theta": th + sqrt2x(eps) * unit(u)}              # form 8


def natural_policy(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    solver = parse_solver(ctx, inp)
    G, S = lr_grads(ctx, pol, th, trajs, gamma)
    return pol, th, trajs, gamma, eps, natural_core(ctx, th, G, S, eps, solver)


def op_natural_policy_update(ctx, inp):
    return natural_policy(ctx, inp)[-1]


def op_policy_kl(ctx, inp):
    pol = Policy(ctx, inp["policy"])
    th = pol.theta(inp["theta"], "theta")
    thp = pol.theta(inp["theta_prime"], "theta_prime")
    s = pol.state(inp["s"])
    return {"kl": np.atleast_1d(pol.kl(th, thp, np.array([s])))[0]}


def op_surrogate_objective(ctx, inp):
    pol, th, thp, trajs = policy_inputs(ctx, inp, True)
    return {"value": surrogate_objective(ctx, pol, th, thp, trajs, gamma_of(ctx, inp))}


def op_surrogate_constraint(ctx, inp):
    pol, th, thp, trajs = policy_inputs(ctx, inp, True)
    return {"value": surrogate_constraint(ctx, pol, th, thp, trajs, gamma_of(ctx, inp))}


def op_kl_penalty_objective(ctx, inp):
    pol, th, thp, trajs = policy_inputs(ctx, inp, True)
    gamma = gamma_of(ctx, inp)
    beta = ctx.num(inp["beta"], "beta")
    if beta < 0:
        raise Failure("InvalidParameter", "beta must be >= 0")
    f = surrogate_objective(ctx, pol, th, thp, trajs, gamma)
    g = surrogate_constraint(ctx, pol, th, thp, trajs, gamma)
    return {"value": f - beta * g}


def op_clamped_objective(ctx, inp):
    pol, th, thp, trajs = policy_inputs(ctx, inp, True)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    return {"value": clamped_objective(ctx, pol, th, thp, trajs, gamma, eps)}


def op_clamped_gradient(ctx, inp):
    pol, th, thp, trajs = policy_inputs(ctx, inp, True)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    return {"grad": clamped_gradient(ctx, pol, th, thp, trajs, gamma, eps)}


def op_clamped_update(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    alpha = ctx.positive(inp, "alpha")
    kmax = inp["k_max"]
    if not (0 <= kmax <= 10 ** 6):
        raise Failure("InvalidParameter", "k_max must lie in [0, 1e6]")
    thp = th.copy()
    for _ in range(kmax):
        if not pol.in_domain(thp):
            raise Failure("InvalidParameter", "theta_prime left the policy domain")
        thp = thp + alpha * clamped_gradient(ctx, pol, th, thp, trajs, gamma, eps)
    return {"theta": thp}


def op_trust_region_update(ctx, inp):
    alpha = ctx.num(inp["alpha"], "alpha")
    if not (0 < alpha < 1):
        raise Failure("InvalidParameter", "alpha must lie in (0, 1)")
    max_steps = inp.get("max_steps", 100)
    if max_steps < 0:
        raise Failure("InvalidParameter", "max_steps must be >= 0")
    pol, th, trajs, gamma, eps, nat = natural_policy(ctx, inp)

    def f(x):
        return surrogate_objective(ctx, pol, th, x, trajs, gamma)

    def g(x):
        return surrogate_constraint(ctx, pol, th, x, trajs, gamma)

    f_theta = f(th)
    c = nat["theta"]
    steps = 0
    while True:
        fc = gc = None
        ok = False
        if pol.in_domain(c):
            fc, gc = f(c), g(c)
            ok = bool(np.isfinite(fc) and np.isfinite(gc) and gc <= eps and fc > f_theta)
            if not (np.isfinite(fc) and np.isfinite(gc)):
                fc = gc = None
        if ok:
            accepted, theta_out = True, c
            break
        if steps == max_steps:
            accepted, theta_out = False, th
            break
        c = th + alpha * (c - th)
        steps += 1
        if np.array_equal(c, th):
            # collapsed onto theta: every further candidate is theta, rejected (f(theta) > f(theta) is
            # false); the search ends as it would after max_steps shrinks.
            fc, gc = f_theta, g(th)
            accepted, theta_out, steps = False, th, max_steps
            break
    out = {"grad": nat["grad"], "fisher": nat.get("fisher"), "direction": nat["direction"],
           "theta_natural": nat["theta"], "theta": theta_out, "steps": steps, "accepted": accepted,
           "f_theta": f_theta, "f_theta_prime": fc, "g_theta_prime": gc}
    return out


def check_prob(ctx, p, name):
    if np.any(p < 0):
        raise Failure("InvalidParameter", "%s has a negative entry" % name)
    if abs(np.sum(p) - 1) > p.size * np.sqrt(ctx.eps):
        raise Failure("InvalidParameter", "%s does not sum to 1" % name)


def op_kl_categorical(ctx, inp):
    if len(inp["p"]) == 0 or len(inp["q"]) == 0:
        raise Failure("EmptyInput", "p and q are empty")
    if len(inp["p"]) != len(inp["q"]):
        raise Failure("DimensionMismatch", "p and q differ in length")
    p, q = ctx.vec(inp["p"], "p"), ctx.vec(inp["q"], "q")
    check_prob(ctx, p, "p")
    check_prob(ctx, q, "q")
    if np.any((q == 0) & (p > 0)):
        raise Failure("ZeroProbability", "q is zero where p is positive")
    k = p > 0
    p, q = p[k], q[k]
    r = p / q
    normal = np.isfinite(r) & (r >= np.finfo(ctx.T).tiny)
    lr = np.where(normal, np.log(np.where(normal, r, 1)), np.log(p) - np.log(q))   # form 5
    return {"kl": np.sum(p * lr)}


def op_kl_gaussian(ctx, inp):
    mp_ = ctx.num(inp["mean_p"], "mean_p")
    sp = ctx.positive(inp, "std_p")
    mq = ctx.num(inp["mean_q"], "mean_q")
    sq = ctx.positive(inp, "std_q")
    return {"kl": kl_gauss(halving(lambda x, y: (x - y) / sq, mp_, mq), sp, sq)}


OPS = {name[3:]: fn for name, fn in globals().items() if name.startswith("op_")}
assert len(OPS) == 20, sorted(OPS)


# ----------------------------------------------------------------------------------------------
# Driver
# ----------------------------------------------------------------------------------------------


def to_json(v, path="output"):
    """numpy values -> JSON values; a non-finite number is NonFiniteResult."""
    if v is None or isinstance(v, (bool, np.bool_)):
        return None if v is None else bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, np.ndarray):
        return [to_json(x, path) for x in v]
    if isinstance(v, list):
        return [to_json(x, path) for x in v]
    x = float(v)
    if not np.isfinite(x):
        raise Failure("NonFiniteResult", "%s is not finite" % path)
    return x


def evaluate(case):
    dtype = np.float32 if case.get("scalar", "f64") == "f32" else np.float64
    ctx = Ctx(dtype)
    result = {"id": case["id"], "operation": case["operation"]}
    try:
        with np.errstate(all="ignore"):
            scan_nonfinite(case["input"], ctx)
            out = OPS[case["operation"]](ctx, case["input"])
            result["output"] = {k: to_json(v, k) for k, v in out.items()}
    except Failure as e:
        result["error"] = {"kind": e.kind, "message": e.message}
    except np.linalg.LinAlgError as e:
        result["error"] = {"kind": "SingularFisher", "message": str(e)}
    return result


def load_cases(path):
    files = [path] if os.path.isfile(path) else sorted(
        os.path.join(path, f) for f in os.listdir(path) if f.endswith(".json"))
    cases = []
    for name in files:
        with open(name) as fh:
            doc = json.load(fh)
        if isinstance(doc, dict) and "test_groups" in doc:
            for group in doc["test_groups"]:
                for t in group["tests"]:
                    cases.append({"id": t["id"], "operation": t["operation"],
                                  "scalar": t.get("scalar", group.get("scalar", "f64")), "input": t["input"]})
        elif isinstance(doc, list):
            cases.extend(doc)
        else:
            cases.append(doc)
    return cases


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: naive.py GOLDEN_FILE_OR_FOLDER > results.json\n")
        return 2
    results = [evaluate(c) for c in load_cases(argv[1])]
    json.dump(results, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
