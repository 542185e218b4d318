"""sb3-contrib TRPO.train(): one real update on a generated case, with its intermediates.

How each output is captured (nothing in sb3_contrib is edited):
- theta: read from the policy's parameters after train() returns (θ order, see peerlib).
- grad, search_direction, policy_objective, new_policy_objective, kl_div,
  line_search_max_step_size, accepted: train()'s own local variables
  `policy_objective_gradients`, `search_direction`, `policy_objective`, `new_policy_objective`,
  `kl_div`, `line_search_max_step_size`, `is_line_search_success`, read by a sys.settrace
  'return' hook on TRPO.train's frame (peerlib.capture_locals). They are the values of the last
  loop pass, i.e. of the last line-search candidate evaluated, also when the search failed
  (the logger's train/kl_divergence_loss is 0.0 then; the local is not).
- candidates: the number of calls of the `kl_divergence` name in sb3_contrib.trpo.trpo minus 1
  (wrapped: one call before the search, trpo.py:284, and one per candidate, trpo.py:336),
  cross-checked with the local `line_search_backtrack_coeff` (shrink^(candidates-1) on success,
  shrink^line_search_max_iter on failure). (The loop variable `_` cannot be used: the critic
  loop after the search reuses the name.)
- cg_start: torch.randn_like is replaced for the duration of train() by a function returning
  the case's standard-normal draw z (in SB3's parameter order), so that the real line
  `x = 1e-4 * th.randn_like(b)` (sb3_contrib/common/utils.py:104) computes x0 = fl(1e-4·z); the case
  stores cg_start = that x0 (computed with the same torch expression) and the harness checks
  bitwise that the first vector CG hands to the Fisher-vector product is cg_start.
- cg iterations: `conjugate_gradient_solver` in sb3_contrib.trpo.trpo's namespace is wrapped; the
  wrapper counts calls of the matrix-vector function it passes to the real solver (1 for A·x0,
  then 1 per iteration).
"""
from __future__ import annotations

import numpy as np
import torch as th

import sb3_contrib.trpo.trpo as trpo_mod
from sb3_contrib import TRPO

from peerlib import (actor_layout, capture_locals, default_dtype, fill_buffer, get_theta, log_prob_at,
                     make_model, patched, policy_obj, record_batch_order, sca, set_theta, to_sb3, to_theta,
                     torch_dtype, vec)

DEFAULTS = dict(target_kl=0.01, cg_max_steps=15, cg_damping=0.1, line_search_shrinking_factor=0.8,
                line_search_max_iter=10, normalize_advantage=True)


def cg_start_from_z(z_theta, scalar):
    """x0 exactly as SB3 forms it: 1e-4 * (tensor of the run's dtype)."""
    z = th.tensor(np.asarray(z_theta, dtype=np.float64), dtype=torch_dtype(scalar))
    return 1e-4 * z


def run(family, scalar, inp, z_theta=None, seed=0, sub_sampling_factor=1, n_steps=None):
    """inp: the case input (policy, theta, samples, hyper-parameters, cg_start?).
    z_theta: the standard-normal draw in θ order (None: cg_start absent, x0 = 0).
    Returns (peer_output, peer_extra)."""
    pol = inp["policy"]
    ns, na = pol.get("n_states", 1), pol.get("n_actions", 2)
    samples = inp["samples"]
    n = n_steps or len(samples)
    hyper = {k: inp.get(k, v) for k, v in DEFAULTS.items()}
    model = make_model(TRPO, family, n, scalar, ns, na, batch_size=n, sub_sampling_factor=sub_sampling_factor,
                       **hyper)
    names, perm = actor_layout(model.policy, family, ns, na)
    set_theta(model.policy, family, inp["theta"], ns, na)
    obs = [s["s"] if family == "softmax" else 0 for s in samples]
    acts = [s["a"] for s in samples]
    adv = [s["advantage"] for s in samples]
    old_lp = log_prob_at(model, family, obs, acts)
    fill_buffer(model, family, scalar, obs, acts, adv, old_lp.numpy())
    orders = record_batch_order(model.rollout_buffer)

    td = torch_dtype(scalar)
    if z_theta is None:
        z_sb3 = th.zeros(len(perm), dtype=td)
    else:
        z_sb3 = th.tensor(np.asarray(to_sb3(list(map(float, z_theta)), perm), dtype=np.float64), dtype=td)
    randn_calls = []

    def fake_randn_like(b, *a, **k):
        assert not a and not k and b.shape == z_sb3.shape and b.dtype == td, (b.shape, b.dtype)
        randn_calls.append(1)
        return z_sb3.clone()

    cg_log = {}
    real_cg = trpo_mod.conjugate_gradient_solver

    def cg(matvec, b, max_iter=10, residual_tol=1e-10):
        calls = []

        def mv(v, *a, **k):
            calls.append(v.detach().clone())
            return matvec(v, *a, **k)

        cg_log["calls"] = calls
        x = real_cg(mv, b, max_iter=max_iter, residual_tol=residual_tol)
        cg_log.update(max_iter=max_iter, residual_tol=residual_tol)
        return x

    kl_calls = [0]
    real_kl = trpo_mod.kl_divergence

    def kl(p, q):
        kl_calls[0] += 1
        return real_kl(p, q)

    np.random.seed(seed)
    err = None
    with default_dtype(scalar), patched(th, "randn_like", fake_randn_like), \
            patched(trpo_mod, "conjugate_gradient_solver", cg), patched(trpo_mod, "kl_divergence", kl), \
            capture_locals(TRPO.train.__code__) as L:
        try:
            model.train()
        except Exception as e:  # noqa: BLE001 - the peer's own error is a result
            err = e
    extra = {
        "sb3_actor_parameters": names,
        "theta_to_sb3_index": perm,
        "old_log_prob": vec(old_lp, scalar),
        "batch_order": orders[0] if orders else None,
        "randn_like_calls": len(randn_calls),
    }
    if "calls" in cg_log:
        x0 = to_theta(vec(cg_log["calls"][0], scalar), perm)
        extra["cg_x0"] = x0
        extra["cg_matvecs"] = len(cg_log["calls"])
        extra["cg_iterations"] = len(cg_log["calls"]) - 1
        extra["cg_returned_start"] = len(cg_log["calls"]) == 1
        extra["cg_max_iter"] = cg_log.get("max_iter")
    if err is not None:
        extra["locals_at_error"] = {k: (vec(v, scalar) if isinstance(v, th.Tensor) else None)
                                    for k, v in L.items()
                                    if k in ("policy_objective", "policy_objective_gradients", "search_direction",
                                             "line_search_max_step_size", "advantages")}
        if "line_search_max_step_size" in L:
            extra["locals_at_error"]["line_search_max_step_size"] = float(L["line_search_max_step_size"])
        return {"error": {"type": type(err).__name__, "message": str(err).splitlines()[0][:300]}}, extra

    cand = kl_calls[0] - 1
    # cross-check with the backtracking coefficient: shrink^(cand-1) on success, shrink^max_iter
    # on failure (multiplied once more after the last rejected candidate, trpo.py:346)
    shrink, mx = float(inp.get("line_search_shrinking_factor", 0.8)), int(inp.get("line_search_max_iter", 10))
    c = 1.0
    for _ in range(cand - 1 if bool(L["is_line_search_success"]) else mx):
        c *= shrink
    assert c == float(L["line_search_backtrack_coeff"]) and (cand == mx or bool(L["is_line_search_success"])), \
        (cand, L["line_search_backtrack_coeff"])
    assert len(randn_calls) == 1
    if z_theta is not None and "cg_start" in inp:
        want = [float(v) for v in inp["cg_start"]]
        got = [float(v) for v in extra["cg_x0"]]
        assert want == got, (want, got)
    out = {
        "theta": vec(get_theta(model.policy, family), scalar),
        "accepted": bool(L["is_line_search_success"]),
        "candidates": cand,
        "grad": to_theta(vec(L["policy_objective_gradients"], scalar), perm),
        "search_direction": to_theta(vec(L["search_direction"], scalar), perm),
        "line_search_max_step_size": float(L["line_search_max_step_size"]),
        "policy_objective": sca(L["policy_objective"], scalar),
        "new_policy_objective": sca(L["new_policy_objective"], scalar),
        "kl_div": sca(L["kl_div"], scalar),
    }
    adv_batch = vec(L["advantages"], scalar)
    order = orders[0]
    if sub_sampling_factor == 1:
        adv_case = [None] * len(order)
        for pos, idx in enumerate(order):
            adv_case[idx] = adv_batch[pos]
        extra["advantages_used"] = adv_case
    extra["last_backtrack_coeff"] = float(L["line_search_backtrack_coeff"])
    lg = model.logger.name_to_value
    extra["logger"] = {k: float(lg[k]) for k in ("train/policy_objective", "train/kl_divergence_loss",
                                                  "train/is_line_search_success") if k in lg}
    return out, extra


# ---------------------------------------------------------------------------------------------
# case generation


def _softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def gen_input(rng, family, k):
    """The k-th generated case of a family (all numbers float32-representable, so that the f32
    and the f64 case of one k have identical inputs apart from cg_start)."""
    f = lambda x: float(np.float32(x))  # noqa: E731
    hyper = {}
    # hyper-parameter variants (defaults on most cases)
    variant = k % 8
    if variant == 1:
        hyper["target_kl"] = float(rng.choice([0.001, 0.05, 0.1]))
    elif variant == 2:
        hyper["cg_damping"] = float(rng.choice([0.01, 0.5, 1.0]))
    elif variant == 3:
        hyper["cg_max_steps"] = int(rng.choice([1, 2, 3]))
    elif variant == 4:
        hyper["normalize_advantage"] = False
    elif variant == 5:  # aimed at line-search failure: a big trust region and few shrinks
        hyper["target_kl"] = float(rng.choice([1.0, 3.0, 10.0]))
        hyper["line_search_max_iter"] = int(rng.choice([1, 2]))
        hyper["line_search_shrinking_factor"] = 0.5
    elif variant == 7 and k % 16 != 7:  # one candidate only: fails when KL(full step) >= target_kl
        hyper["line_search_max_iter"] = 1  # (damping makes the quadratic KL model < target_kl: keep it small)
        hyper["cg_damping"] = 0.001
    elif variant == 6:
        hyper["line_search_shrinking_factor"] = 0.5
        hyper["line_search_max_iter"] = int(rng.choice([3, 5, 10]))
        hyper["target_kl"] = float(rng.choice([0.01, 0.2]))
    if family == "softmax":
        ns = int(rng.integers(1, 4))
        na = int(rng.integers(2, 5))
        theta = [f(v) for v in rng.normal(0, 1.0, ns * na)]
        n = int(rng.integers(2, 13))
        samples = []
        for _ in range(n):
            s = int(rng.integers(0, ns))
            p = _softmax(np.array(theta[s * na:(s + 1) * na]))
            a = int(rng.choice(na, p=p)) if rng.random() < 0.7 else int(rng.integers(0, na))
            samples.append({"s": s, "a": a, "advantage": f(rng.normal(0, 1.5))})
        policy = policy_obj("softmax", ns, na)
    else:
        mu = f(rng.normal(0, 1))
        ls = f(rng.uniform(-1, 1))
        n = int(rng.integers(2, 17))
        spread = rng.uniform(0.5, 2.0)
        samples = [{"s": 0, "a": f(mu + np.exp(ls) * spread * rng.normal()), "advantage": f(rng.normal(0, 1.5))}
                   for _ in range(n)]
        theta = [mu, ls]
        policy = policy_obj("gaussian_log_std")
    if variant == 7 and k % 16 == 7:  # constant advantages: normalised to 0, g = 0
        for s in samples:
            s["advantage"] = 1.0
    inp = {"policy": policy, "theta": theta, "samples": samples}
    inp.update(hyper)
    z = [f(v) for v in rng.normal(0, 1, len(theta))]
    if k % 12 == 11:
        z = None  # cg_start absent: x0 = 0
    return inp, z


def finding_zero_gradient_inputs():
    """Issue 17: N(0, 1), the exact gradient is zero (see docs/peers.md)."""
    acts = [-1, 1, -2, 2, 0, 0, 0, 0, 0, 0]
    adv = [-2, -2, 1, 1, 1, 1, 1, 1, 1, 1]
    return {"policy": policy_obj("gaussian_log_std"), "theta": [0.0, 0.0],
            "samples": [{"s": 0, "a": float(a), "advantage": float(d)} for a, d in zip(acts, adv)],
            "target_kl": 0.01}
