"""stable-baselines3 PPO's policy loss, from the real PPO.train() (one epoch, one minibatch).

Set-up: the policy collected the samples at `theta` (old log-probs = the policy's own log π at
θ, stored in the real RolloutBuffer), then its parameters are set to `theta_prime` and
PPO.train() runs once with n_epochs=1 and batch_size = the whole batch, so the loss is evaluated
at θ′ on exactly the case's samples before any optimiser step.

How each output is captured (nothing in stable_baselines3 is edited):
- value, policy_loss, clip_fraction, approx_kl: train()'s locals `policy_loss`
  (ppo.py:227), `clip_fraction` (ppo.py:231, a Python float from a float32 mean),
  `approx_kl_div` (ppo.py:264), read by a sys.settrace 'return' hook on PPO.train
  (peerlib.capture_locals); value = −policy_loss (exact negation).
- grad: torch.nn.utils.clip_grad_norm_ is wrapped for the duration of train(); the wrapper copies
  every actor parameter's .grad before calling the real function (ppo.py:277, right after
  loss.backward()). loss = policy_loss + ent_coef·entropy_loss + vf_coef·value_loss with
  ent_coef = 0.0 (SB3's default) and a value head that shares no parameter with the actor
  (net_arch=[]), so the actor part of .grad is ∇policy_loss; grad = −.grad (gradient of value).
- A batch of one with normalize_advantage=True: PPO's constructor asserts batch_size > 1 and
  n_steps*n_envs > 1 (ppo.py:140-150), so a minibatch of one only happens as the truncated last
  minibatch. The harness reaches it that way: the sample three times in the buffer (n_steps=3),
  batch_size=2, learning_rate=0 (so the Adam step after the first minibatch leaves θ′ unchanged);
  the last minibatch holds one copy, SB3 skips the normalisation there (ppo.py:218), and the
  recorded locals and .grad are those of that last minibatch.
"""
from __future__ import annotations

import numpy as np
import torch as th

from stable_baselines3 import PPO

from peerlib import (actor_layout, capture_locals, default_dtype, fill_buffer, in_precision, log_prob_at, make_model,
                     patched, policy_obj, sca, set_theta, to_theta, vec)


def run(family, scalar, inp, seed=0):
    pol = inp["policy"]
    ns, na = pol.get("n_states", 1), pol.get("n_actions", 2)
    samples = inp["samples"]
    norm = inp.get("normalize_advantage", True)
    one = len(samples) == 1
    if one:
        samples = samples * 3
    n = len(samples)
    model = make_model(PPO, family, n, scalar, ns, na, n_epochs=1, batch_size=2 if one else n,
                       clip_range=inp.get("clip_range", 0.2), normalize_advantage=norm,
                       **({"learning_rate": 0.0} if one else {}))
    names, perm = actor_layout(model.policy, family, ns, na)
    obs = [s["s"] if family == "softmax" else 0 for s in samples]
    acts = [s["a"] for s in samples]
    adv = [s["advantage"] for s in samples]
    set_theta(model.policy, family, inp["theta"], ns, na)
    old_lp = log_prob_at(model, family, obs, acts)
    set_theta(model.policy, family, inp["theta_prime"], ns, na)
    fill_buffer(model, family, scalar, obs, acts, adv, old_lp.numpy())

    actor = [p for name, p in model.policy.named_parameters() if "value" not in name]
    grads = []
    real_clip = th.nn.utils.clip_grad_norm_

    def clip(parameters, max_norm, *a, **k):
        parameters = list(parameters)
        grads.append([p.grad.detach().clone() for p in actor])
        return real_clip(parameters, max_norm, *a, **k)

    np.random.seed(seed)
    with default_dtype(scalar), patched(th.nn.utils, "clip_grad_norm_", clip), \
            capture_locals(PPO.train.__code__) as L:
        model.train()
    assert len(grads) == (2 if one else 1)
    g_sb3 = th.cat([-g.reshape(-1) for g in grads[-1]])
    pl = L["policy_loss"].detach()
    cf = L["clip_fraction"]
    out_obj = {
        "value": sca(-pl, scalar),
        "policy_loss": sca(pl, scalar),
        "approx_kl": sca(L["approx_kl_div"], scalar),
        # always a float32 number: `(...).float()` (ppo.py:231) casts to float32 also in a float64 run
        "clip_fraction": np.float32(cf),
    }
    out_grad = {"grad": to_theta(vec(g_sb3, scalar), perm)}
    ratio = vec(L["ratio"], scalar)
    extra = {"sb3_actor_parameters": names, "theta_to_sb3_index": perm, "old_log_prob": vec(old_lp, scalar),
             "ratio_batch_order": ratio, "advantages_used_batch_order": vec(L["advantages"], scalar),
             "normalized": bool(norm and not one),
             "how": "sample x3, batch_size=2, learning_rate=0: last minibatch of one" if one else "one minibatch", "clip_fraction_dtype": "float32 (ppo.py:231 .float())"}
    return out_obj, out_grad, extra


def gen_input(rng, family, k):
    f = lambda x: float(np.float32(x))  # noqa: E731
    if family == "softmax":
        ns, na = int(rng.integers(1, 4)), int(rng.integers(2, 5))
        theta = [f(v) for v in rng.normal(0, 1, ns * na)]
        step = [0.05, 0.2, 0.5][k % 3]
        theta_p = [f(t + step * rng.normal()) for t in theta]
        n = int(rng.integers(2, 12)) if k % 10 != 8 else 1
        samples = []
        for _ in range(n):
            s = int(rng.integers(0, ns))
            samples.append({"s": s, "a": int(rng.integers(0, na)), "advantage": f(rng.normal(0.3, 1.5))})
        policy = policy_obj("softmax", ns, na)
    else:
        mu, ls = f(rng.normal()), f(rng.uniform(-1, 1))
        step = [0.05, 0.2, 0.5][k % 3]
        theta, theta_p = [mu, ls], [f(mu + step * rng.normal()), f(ls + step * rng.normal())]
        n = int(rng.integers(2, 14)) if k % 10 != 8 else 1
        samples = [{"s": 0, "a": f(mu + np.exp(ls) * 1.3 * rng.normal()), "advantage": f(rng.normal(0.3, 1.5))}
                   for _ in range(n)]
        policy = policy_obj("gaussian_log_std")
    inp = {"policy": policy, "theta": theta, "theta_prime": theta_p, "samples": samples,
           "clip_range": [0.2, 0.2, 0.1, 0.3][k % 4], "normalize_advantage": k % 2 == 0}
    return inp


N_PPO = 20  # per family (per scalar); each gives a clamped_objective and a clamped_gradient case


def records(ver):
    recs = []
    for family, seed in (("softmax", 2701), ("gaussian_log_std", 2702)):
        rng = np.random.default_rng(seed)
        short = "softmax" if family == "softmax" else "gls"
        for k in range(N_PPO):
            inp = gen_input(rng, family, k)
            for scalar in ("f32", "f64"):
                o, g, extra = run(family, scalar, inp, seed=k)
                base = {"profile": "sb3", "scalar": scalar, "input": in_precision(inp, scalar)}
                recs.append({"id": f"sb3-ppo-{short}-{k:02d}-{scalar}-objective", "operation": "clamped_objective",
                             **base, "peer_output": o, "peer_extra": extra, "versions": ver})
                recs.append({"id": f"sb3-ppo-{short}-{k:02d}-{scalar}-gradient", "operation": "clamped_gradient",
                             **base, "peer_output": g, "peer_extra": extra, "versions": ver})
    return recs
