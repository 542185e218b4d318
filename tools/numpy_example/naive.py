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
gamma ** k for the discounts; no compensated summation, no fma, no extra precision. The one
scaling: ||g|| is BLAS nrm2's m * ||g / m|| with m = max |g_i| (`nrm2` below), as every BLAS and
LAPACK computes a 2-norm. An unscaled sqrt(g.g) returns 0 or inf where ||g|| is representable
(the golden `Underflow` cases edge-restricted_step-1/2, edge-scale_gradient-7/8): that is not a
rounding error any condition number covers, so a careful user does not write it.

"Backward stable" means that where the most obvious formula is not backward stable in the inputs,
the standard stable library form a careful user would write is used instead. Every such place:

1. Log-densities and likelihood ratios. Densities are never formed on their own: the Gaussian
   log-density is -z^2/2 - log(sigma) - log(2 pi)/2 with z = (a - mu)/sigma, the softmax
   log-probability is theta_sa - logsumexp(theta_s.) with logsumexp(x) = m + log(sum exp(x - m)),
   m = max x, and a ratio pi(theta')/pi(theta) is exp(log pi(theta') - log pi(theta)). Why: a
   density of an action 40 sigma from the mean underflows to 0 (0/0 = NaN), and exp(theta) of a
   large logit overflows, while the ratio is an ordinary number. The ratio at theta' = theta is
   exactly 1.
2. Softmax score e_a - p. The entry for the taken action, 1 - p_a, is computed as sum_{b != a} p_b.
   Why: for a near-certain action (p_a = 1 - 4e-18) 1 - p_a rounds to 0, which no nearby theta
   explains; the sum of the other probabilities is accurate.
3. Softmax KL, policy_kl and the surrogate constraint: from d = theta' - theta and p = softmax(theta),
   KL(p || p') = log sum_b p_b exp(d_b - c) with c = sum_b p_b d_b, evaluated as
   log1p(sum_b p_b expm1(d_b - c)). Why: sum p (log p - log p') subtracts two log-probabilities of
   size ~1 to get a KL that can be 1e-30; the shift by c makes the exponents small, and log1p/expm1
   keep their small differences instead of rounding 1 + x.
4. Gaussian KL (policy_kl, surrogate constraint, kl_gaussian): log(s'/s) + ((s - s')(s + s') +
   (m - m')^2) / (2 s'^2), the closed form log(s'/s) + (s^2 + dm^2)/(2 s'^2) - 1/2 with the -1/2
   folded into the fraction. Why: for s' close to s the closed form's terms are ~1 while the KL is
   ~(s'/s - 1)^2; log of the ratio (not log s' - log s) and the factored s^2 - s'^2 keep each term
   accurate so only the inherent cancellation of log(s'/s) against (s^2 - s'^2)/(2 s'^2) is left.
5. kl_categorical: p log(p/q) per term, or p (log p - log q) where p/q is not a normal number.
   Why: with a subnormal q (or p/q near the range's ends) the ratio overflows or underflows though
   the term is ordinary; p (log p - log q) has an absolute error of at most ~u (p |log p| <= 1/e).
   0 log(0/q) = 0 is taken as 0.
6. Gaussian score d(log pi)/d(sigma) = (z^2 - 1)/sigma with z = (a - mu)/sigma (not
   ((a - mu)^2 - sigma^2)/sigma^3, whose sigma^3 and squares overflow or underflow for large or
   small sigma); d/d(mu) = z/sigma. Both are the same operations count and equally naive otherwise.
7. kl_penalty_objective = surrogate objective - beta * surrogate constraint, each as above; the
   final difference can cancel (inherent).

Everything else is the plain formula: gradient_ascent theta + alpha g; scale_gradient
min(L/||g||, 1) g; restricted steps theta + sqrt(2 eps/(g.g)) g; F = S^T S / m; g = mean(grads);
the natural step theta + u sqrt(2 eps / g.u); returns sum r_k gamma^(k-1); rewards-to-go by a
reversed cumsum; means by np.mean.

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

    def ratio(self, thp, th, s, a):
        """pi(theta', a, s) / pi(theta, a, s) as exp of the log-density difference (stable form 1)."""
        return np.exp(self.logpdf(thp, s, a) - self.logpdf(th, s, a))

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
        dmu = z / sd if self.family == "gaussian" else z * s / sd
        dsig = (z * z - 1) / sd                             # form 6
        return np.stack([dmu, dsig], axis=1)

    def kl(self, th, thp, s):
        """KL(pi_theta(.|s) || pi_theta'(.|s)) for an array of states."""
        if self.family == "softmax":
            p = np.exp(self.logprobs(th, s))               # (d, na)
            dd = self._rows(thp, s) - self._rows(th, s)
            c = np.sum(p * dd, axis=1, keepdims=True)
            return np.log1p(np.sum(p * np.expm1(dd - c), axis=1))      # form 3
        return kl_gauss(self.mean(th, s), th[1], self.mean(thp, s), thp[1])


def kl_gauss(mp_, sp, mq, sq):
    dm = mp_ - mq
    return np.log(sq / sp) + ((sp - sq) * (sp + sq) + dm * dm) / (2 * sq * sq)   # form 4


def discounts(ctx, gamma, d):
    return gamma ** np.arange(d, dtype=ctx.T)


def ret(ctx, r, gamma):
    return np.sum(r * discounts(ctx, gamma, len(r)))


def rewards_to_go(ctx, r, gamma):
    x = r * discounts(ctx, gamma, len(r))
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
    per = [np.mean(pol.kl(th, thp, s) * discounts(ctx, gamma, len(r))) for s, a, r in trajs]
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


def natural_core(ctx, theta, G, S, eps, solver):
    spec, par = solver
    kind = spec["kind"]
    g = np.mean(G, axis=0)
    if not np.any(g):
        raise Failure("ZeroGradient", "mean gradient is zero")
    m, n = S.shape
    F = S.T @ S / m
    extra = {}
    if kind == "exact":
        if m < n or np.linalg.matrix_rank(F, hermitian=True) < n:
            raise Failure("SingularFisher", "the Fisher matrix is singular")
        try:
            u = np.linalg.solve(F, g)
        except np.linalg.LinAlgError:
            raise Failure("SingularFisher", "the Fisher matrix is singular")
    elif kind == "damped":
        u = np.linalg.solve(F + par["damping"] * np.eye(n, dtype=ctx.T), g)
    elif kind == "pseudo_inverse":
        w, V = np.linalg.eigh(F)
        keep = (np.abs(w) > par["rcond"] * np.max(np.abs(w))) & (w != 0)
        Vk = V[:, keep]
        u = Vk @ ((Vk.T @ g) / w[keep])
    else:
        u, it, res, ok = cg(ctx, S, par["damping"], g, par["max_iters"], par["tol"])
        if par["strict"] and not ok:
            raise Failure("NoConvergence", "conjugate gradient missed its tolerance")
        extra = {"cg_iterations": it, "cg_residual": res}
    gu = g @ u
    if not gu > 0:
        raise Failure("NonPositiveCurvature", "g'u <= 0")
    th2 = theta + u * np.sqrt(2 * eps / gu)
    out = {"grad": g, "fisher": F, "direction": u, "theta": th2}
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
    return {"theta": th + alpha * g}


def nrm2(g):
    """||g|| as BLAS nrm2 computes it: scaled by the largest |g_i|, in g's precision."""
    m = np.max(np.abs(g))
    if m == 0:
        return m
    return m * np.sqrt((g / m) @ (g / m))


def op_scale_gradient(ctx, inp):
    g = nonempty(ctx, inp, "grad")
    l2 = ctx.num(inp["l2_max"], "l2_max")
    if l2 < 0:
        raise Failure("InvalidParameter", "l2_max must be >= 0")
    nrm = nrm2(g)
    if nrm == 0:
        return {"grad": np.zeros_like(g)}
    return {"grad": min(l2 / nrm, ctx.T(1)) * g}


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
    nrm = nrm2(g)
    if nrm == 0:
        raise Failure("ZeroGradient", "grad is zero")
    return {"theta": th + (np.sqrt(2 * eps) / nrm) * g}


def op_fisher(ctx, inp):
    S = vector_list(ctx, inp["scores"], "scores")
    return {"fisher": S.T @ S / S.shape[0]}


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
    return {"grads": G, "grad": np.mean(G, axis=0)}


def op_restricted_update(ctx, inp):
    pol, th, _, trajs = policy_inputs(ctx, inp)
    gamma = gamma_of(ctx, inp)
    eps = ctx.positive(inp, "epsilon")
    G, _ = lr_grads(ctx, pol, th, trajs, gamma)
    u = np.mean(G, axis=0)
    uu = u @ u
    if uu == 0:
        raise Failure("ZeroGradient", "mean gradient is zero")
    return {"grad": u, "theta": th + np.sqrt(2 * eps / uu) * u}


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
    return {"kl": kl_gauss(mp_, sp, mq, sq)}


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
