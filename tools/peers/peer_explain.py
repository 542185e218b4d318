"""Candidates for `pgoracle check --explain`: real-peer outputs with exactly ONE convention
differing from the book (issue 17).

Each recording is a BOOK case (profile "book", version-1 operation and input names, trajectories
and gamma) plus the candidate result the real peer produced for it ("peer_output", book output
names) and
  "differs": ["<convention>"]  the single convention (profiles.md table) left at the peer's value;
             []                a control: every convention at the book's, should agree;
             (two conventions for torch's Normal KL: `nonfinite` and pgoracle's `kl_form`);
  "differs_value": the peer's value of that convention,
  "visible": whether the candidate differs from the control run of the same input by more than
             1e-8 (relative, normwise, any output field); when false, --explain should say agrees,
  "harness": how the real peer was set to the book's conventions for everything else.

TRPO (gaussian_log_std, f64): trajectories of length 1 (one step each), so that the book's
per-trajectory g = mean ∇log p(τ)R(τ), its reward-to-go surrogate and its per-trajectory
constraint coincide with SB3's per-sample ones (advantages = r, averaging and the g estimator
cannot differ). The real TRPO.train() then runs with these settings for the book's conventions:
  advantages = r, normalize_advantage=False              (normalize_advantage: none)
  model.hessian_vector_product replaced (instance attribute, picked up by train()'s
    functools.partial) by v -> mean_i s_i (s_i·v) + cg_damping·v, s_i = ∇θ log π(a_i) computed by
    torch autograd on the real policy                    (fisher: empirical)
  cg_damping = 0                                         (damping: 0)
  x0 = 0 (torch.randn_like -> zeros), cg_max_steps = 2 = number of parameters, residual_tol = 0
    (conjugate_gradient_solver wrapped to pass it): CG's exact 2-step solve   (solver: exact)
  kl_divergence in sb3_contrib.trpo.trpo wrapped to swap its arguments: KL(old‖new)
                                                         (linesearch_kl: old_new)
  line_search_shrinking_factor = alpha, line_search_max_iter = max_steps + 1, target_kl = epsilon.
  Not switchable (inline code), equal up to rounding here: step_scale (uᵀAu = gᵀu for an exact
  solve), acceptance (KL < δ vs ≤ δ: only a tie differs).
PPO (softmax and gaussian_log_std, f64): the real PPO.train() with advantages = the book's
reward-to-go R(τ,k) = Σ_{j≥k} r_j γ^(j−1), clip_range = epsilon, normalize_advantage=False, and
trajectories of equal length (per-trajectory averaging = flat mean); one convention changed:
normalize_advantage=True (sample_std_if_several) or unequal lengths (averaging: per_sample).
torch (f64/f32): the torch functions on inputs where exactly one torch convention matters.
"""
from __future__ import annotations

import math

import numpy as np
import torch as th

import sb3_contrib.trpo.trpo as trpo_mod
from sb3_contrib import TRPO

import peer_ppo
import selfcheck as S
import peer_torch
from peerlib import (actor_layout, capture_locals, default_dtype, fill_buffer, get_theta, log_prob_at, make_model,
                     patched, policy_obj, sca, set_theta, to_theta, vec)

BOOK = dict(fisher="empirical", damping=0, solver="exact", linesearch_kl="old_new", normalize_advantage="none")


def trpo_book(inp, one_off=None, scalar="f64"):
    """Run the real TRPO.train() on a book trust_region_update input (length-1 trajectories,
    gaussian_log_std) with every convention at the book's except `one_off`."""
    fam = "gaussian_log_std"
    steps = [tr[0] for tr in inp["trajectories"]]
    n = len(steps)
    hyper = dict(target_kl=inp["epsilon"], line_search_shrinking_factor=inp["alpha"],
                 line_search_max_iter=inp.get("max_steps", 100) + 1,
                 normalize_advantage=one_off == "normalize_advantage",
                 cg_damping=0.1 if one_off == "damping" else 0.0,
                 cg_max_steps=15 if one_off == "solver" else 2)
    model = make_model(TRPO, fam, n, scalar, batch_size=n, **hyper)
    names, perm = actor_layout(model.policy, fam)
    set_theta(model.policy, fam, inp["theta"])
    obs = [0] * n
    acts = [s["a"] for s in steps]
    adv = [s["r"] for s in steps]  # reward-to-go of a one-step trajectory, γ^0 = 1
    old_lp = log_prob_at(model, fam, obs, acts)
    fill_buffer(model, fam, scalar, obs, acts, adv, old_lp.numpy())
    actor = [p for nm, p in model.policy.named_parameters() if "value" not in nm]
    # per-sample scores in SB3 order, by autograd on the real policy
    rows = []
    for i in range(n):
        with th.enable_grad():
            o = th.zeros((1, 1), dtype=th.int64)
            dist = model.policy.get_distribution(o)
            lp = dist.log_prob(th.tensor([[float(np.float32(acts[i]))]], dtype=th.float32))
            gr = th.autograd.grad(lp.sum(), actor, allow_unused=True)
        rows.append(th.cat([(g if g is not None else th.zeros_like(p)).reshape(-1) for g, p in zip(gr, actor)]))
    S = th.stack(rows)
    lam = float(hyper["cg_damping"])

    def empirical_hvp(params, grad_kl, vector, retain_graph=True):
        return (S.T @ (S @ vector)) / n + lam * vector

    fisher_cols = []

    def wrap_hvp(f):
        def hvp(params, grad_kl, vector, retain_graph=True):
            if not fisher_cols:
                eye = th.eye(len(vector), dtype=vector.dtype)
                for j in range(len(vector)):
                    fisher_cols.append((f(params, grad_kl, eye[j], retain_graph=True) - lam * eye[j]).detach())
            return f(params, grad_kl, vector, retain_graph=retain_graph)
        return hvp

    if one_off == "fisher":
        model.hessian_vector_product = wrap_hvp(model.hessian_vector_product)
    else:
        model.hessian_vector_product = wrap_hvp(empirical_hvp)

    real_cg = trpo_mod.conjugate_gradient_solver

    def cg(matvec, b, max_iter=10, residual_tol=1e-10):
        return real_cg(matvec, b, max_iter=max_iter, residual_tol=residual_tol if one_off == "solver" else 0.0)

    real_kl = trpo_mod.kl_divergence
    cand_thetas = []

    def kl(p, q):
        cand_thetas.append(get_theta(model.policy, fam))
        return real_kl(p, q) if one_off == "linesearch_kl" else real_kl(q, p)

    np.random.seed(0)
    with default_dtype(scalar), patched(th, "randn_like", lambda b: th.zeros_like(b)), \
            patched(trpo_mod, "conjugate_gradient_solver", cg), patched(trpo_mod, "kl_divergence", kl), \
            capture_locals(TRPO.train.__code__) as L:
        model.train()
    F = th.stack(fisher_cols, dim=1)  # column j = F e_j, SB3 order
    Fp = [[sca(F[perm[i], perm[j]], scalar) for j in range(len(perm))] for i in range(len(perm))]
    accepted = bool(L["is_line_search_success"])
    cand = len(cand_thetas) - 1
    return {
        "grad": to_theta(vec(L["policy_objective_gradients"], scalar), perm),
        "fisher": Fp,
        "direction": to_theta(vec(L["search_direction"], scalar), perm),
        "theta_natural": vec(cand_thetas[1], scalar),
        "theta": vec(get_theta(model.policy, fam), scalar),
        "steps": cand - 1 if accepted else inp.get("max_steps", 100),
        "accepted": accepted,
        "f_theta": sca(L["policy_objective"], scalar),
        "f_theta_prime": sca(L["new_policy_objective"], scalar),
        "g_theta_prime": sca(L["kl_div"], scalar),
    }


def _flat(o):
    out = []
    for k, v in o.items():
        if isinstance(v, bool):
            out.append(float(v))
        elif isinstance(v, list):
            for x in v:
                out.extend(x if isinstance(x, list) else [x])
        elif isinstance(v, (int, float, np.floating)):
            out.append(v)
    return np.array([float(x) for x in out])


def differs(a, b, tol=1e-8):
    x, y = _flat(a), _flat(b)
    if x.shape != y.shape:
        return True
    if not np.array_equal(np.isfinite(x), np.isfinite(y)):
        return True
    f = np.isfinite(x)
    return bool(np.linalg.norm(x[f] - y[f]) > tol * max(np.linalg.norm(y[f]), 1e-300))


def rtg(traj, gamma):
    """Book reward-to-go R(τ,k) = Σ_{j≥k} r_j γ^(j−1), k = 1..d."""
    d = len(traj)
    return [sum(traj[j]["r"] * gamma ** j for j in range(k, d)) for k in range(d)]


def ppo_book(op, inp, one_off=None):
    fam = inp["policy"]["family"]
    samples = []
    for tr in inp["trajectories"]:
        for st, R in zip(tr, rtg(tr, inp["gamma"])):
            samples.append({"s": st["s"], "a": st["a"], "advantage": R})
    pin = {"policy": inp["policy"], "theta": inp["theta"], "theta_prime": inp["theta_prime"], "samples": samples,
           "clip_range": inp["epsilon"], "normalize_advantage": one_off == "normalize_advantage"}
    o, g, _ = peer_ppo.run(fam, "f64", pin)
    return {"value": o["value"]} if op == "clamped_objective" else g


def records(ver):
    recs = []
    rng = np.random.default_rng(4701)
    # ---- TRPO
    for k in range(8):
        mu, ls = float(rng.normal()), float(rng.uniform(-0.7, 0.7))
        n = int(rng.integers(4, 13))
        scale = 1.0 if k < 6 else 2e-5  # tiny rewards: SB3's absolute CG tolerance stops early
        trajs = [[{"s": 0, "a": float(np.float32(mu + math.exp(ls) * 1.3 * rng.normal())),
                   "r": float(rng.normal(0.5, 1.0) * scale)}] for _ in range(n)]
        inp = {"policy": policy_obj("gaussian_log_std"), "theta": [mu, ls], "trajectories": trajs, "gamma": 1.0,
               "epsilon": [0.01, 0.05][k % 2], "alpha": [0.8, 0.5][k % 2], "max_steps": 9,
               "solver": {"kind": "exact"}}
        control = trpo_book(inp)
        recs.append(_rec(f"explain-trpo-{k:02d}-control", "trust_region_update", inp, [], None, control, True,
                         "sb3-contrib TRPO.train()", ver))
        for conv, val in (("linesearch_kl", "new_old"), ("fisher", "kl_hessian"), ("damping", 0.1),
                          ("normalize_advantage", "sample_std"), ("solver", "cg absolute_squared 1e-10, 15 steps")):
            if conv == "solver" and scale == 1.0:
                continue
            if conv != "solver" and scale != 1.0:
                continue
            try:
                out = trpo_book(inp, conv)
            except ZeroDivisionError as e:
                out = {"error": {"type": "ZeroDivisionError", "message": str(e)}}
            recs.append(_rec(f"explain-trpo-{k:02d}-{conv}", "trust_region_update", inp, [conv], {conv: val}, out,
                             differs(out, control), "sb3-contrib TRPO.train()", ver))
    # ---- PPO
    for k in range(8):
        fam = "softmax" if k % 2 == 0 else "gaussian_log_std"
        if fam == "softmax":
            ns, na = 2, 3
            theta = [float(v) for v in rng.normal(0, 1, ns * na)]
            thp = [t + 0.3 * float(rng.normal()) for t in theta]
            pol = policy_obj("softmax", ns, na)
            step = lambda: {"s": int(rng.integers(0, ns)), "a": int(rng.integers(0, na)),  # noqa: E731
                            "r": float(rng.normal(0.2, 1))}
        else:
            theta = [float(rng.normal()), float(rng.uniform(-0.5, 0.5))]
            thp = [theta[0] + 0.3 * float(rng.normal()), theta[1] + 0.2 * float(rng.normal())]
            pol = policy_obj("gaussian_log_std")
            step = lambda: {"s": 0, "a": float(np.float32(theta[0] + 1.5 * rng.normal())),  # noqa: E731
                            "r": float(rng.normal(0.2, 1))}
        m, d = int(rng.integers(2, 5)), int(rng.integers(2, 5))
        eq = [[step() for _ in range(d)] for _ in range(m)]
        uneq = [[step() for _ in range(int(rng.integers(1, 6)))] for _ in range(m)]
        if len({len(t) for t in uneq}) == 1:
            uneq[0].append(step())
        gamma = [1.0, 0.9][k % 2]
        for op in ("clamped_objective", "clamped_gradient"):
            base = {"policy": pol, "theta": theta, "theta_prime": thp, "gamma": gamma, "epsilon": 0.2}
            ie = dict(base, trajectories=eq)
            control = ppo_book(op, ie)
            recs.append(_rec(f"explain-ppo-{k:02d}-{op}-control", op, ie, [], None, control, True,
                             "stable-baselines3 PPO.train()", ver))
            out = ppo_book(op, ie, "normalize_advantage")
            recs.append(_rec(f"explain-ppo-{k:02d}-{op}-normalize_advantage", op, ie, ["normalize_advantage"],
                             {"normalize_advantage": "sample_std_if_several"}, out, differs(out, control),
                             "stable-baselines3 PPO.train()", ver))
            iu = dict(base, trajectories=uneq)
            out = ppo_book(op, iu)
            # the book value of the unequal-length input, computed here in float64 for the visibility test
            recs.append(_rec(f"explain-ppo-{k:02d}-{op}-averaging", op, iu, ["averaging"],
                             {"averaging": "per_sample"}, out, differs(out, S.book_ppo(op, iu)),
                             "stable-baselines3 PPO.train()", ver))
    # ---- torch
    tcases = [
        ("clip-norm-epsilon-a", "scale_gradient", {"grad": [3.0, 4.0], "l2_max": 1.0}, {}, ["clip_norm_epsilon"],
         {"clip_norm_epsilon": 1e-6}, "f64"),
        ("clip-norm-epsilon-b", "scale_gradient", {"grad": [0.5, -1.25, 2.0, 0.125], "l2_max": 0.3}, {},
         ["clip_norm_epsilon"], {"clip_norm_epsilon": 1e-6}, "f64"),
        ("norm-overflow-f64", "scale_gradient", {"grad": [1e200, 1e200, 0.0], "l2_max": 1.0}, {}, ["norm"],
         {"norm": "naive"}, "f64"),
        ("norm-overflow-f32", "scale_gradient", {"grad": [1e20, 1e20, 0.0], "l2_max": 1.0}, {}, ["norm"],
         {"norm": "naive"}, "f32"),
        ("nonfinite-inf-entry", "scale_gradient", {"grad": [math.inf, 1.0, -2.0], "l2_max": 1.0}, {},
         ["nonfinite"], {"nonfinite": "propagate"}, "f64"),
        ("nonfinite-nan-clip", "clip_gradient", {"grad": [math.nan, 5.0, -5.0], "clip_value": 1.0},
         {"lo": -1.0, "hi": 1.0}, ["nonfinite"], {"nonfinite": "propagate"}, "f64"),
        ("probabilities-issue17", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 1e-20]}, {}, ["probabilities"],
         {"probabilities": "normalize_and_clamp"}, "f64"),
        ("probabilities-f32-1e-10", "kl_categorical", {"p": [0.5, 0.5], "q": [1.0, 1e-10]}, {}, ["probabilities"],
         {"probabilities": "normalize_and_clamp"}, "f32"),
        ("probabilities-unnormalized", "kl_categorical", {"p": [1.0, 1.0], "q": [3.0, 1.0]}, {}, ["probabilities"],
         {"probabilities": "normalize_and_clamp"}, "f64"),
        # torch's Normal KL ½(r + t − 1 − ln r), r = (σp/σq)², underflows r to 0 (∞) or overflows
        # it (NaN): pgoracle's `kl_form: variance_ratio` with `nonfinite: propagate`.
        ("kl-form-normal-kl-inf", "kl_gaussian",
         {"mean_p": 0.0, "std_p": 1e-150, "mean_q": 0.0, "std_q": 1e150}, {}, ["nonfinite", "kl_form"],
         {"nonfinite": "propagate", "kl_form": "variance_ratio"}, "f64"),
        ("kl-form-normal-kl-nan", "kl_gaussian",
         {"mean_p": 0.0, "std_p": 1e150, "mean_q": 0.0, "std_q": 1e-150}, {}, ["nonfinite", "kl_form"],
         {"nonfinite": "propagate", "kl_form": "variance_ratio"}, "f64"),
        ("control-kl-gaussian", "kl_gaussian", {"mean_p": 0.3, "std_p": 0.7, "mean_q": -0.2, "std_q": 1.3}, {}, [],
         None, "f64"),
    ]
    for name, op, tin, book_in, dif, dval, scalar in tcases:
        i2 = {k: peer_torch._in(v, scalar) for k, v in tin.items()}
        out = peer_torch.run(op, scalar, i2)
        if op == "scale_gradient":
            out = {"grad": out["grad"], "total_norm (not a book field)": out["total_norm"]}
        golden_in = {k: v for k, v in i2.items() if k != "clip_value"}
        golden_in.update({k: peer_torch._in(v, scalar) for k, v in book_in.items()})
        recs.append(_rec(f"explain-torch-{name}", op, golden_in, dif, dval, out, True, "torch 2.15", ver,
                         scalar=scalar, peer_input=i2))
    return recs


def _rec(id_, op, inp, dif, dval, out, visible, peer, ver, scalar="f64", peer_input=None):
    r = {"id": id_, "operation": op, "profile": "book", "scalar": scalar, "input": inp, "differs": dif,
         "differs_value": dval, "visible": None if dif == [] else bool(visible), "peer": peer, "peer_output": out, "versions": ver}
    if peer_input is not None:
        r["peer_input"] = peer_input
    return r
