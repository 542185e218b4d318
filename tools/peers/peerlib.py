"""Shared machinery for the peer recordings (issue #17).

Runs the REAL stable-baselines3 / sb3-contrib / torch code. Nothing in the installed packages is
edited: the harness only (1) configures SB3 through its public options (policy class,
policy_kwargs, hyper-parameters), (2) fills the rollout buffer directly, (3) wraps module-level
functions for the duration of one train() call, and (4) reads train()'s local variables with a
Python trace function (sys.settrace) when train() returns. Every place is commented.
"""
from __future__ import annotations

import contextlib
import importlib.metadata as md
import math
import platform
import sys
import warnings

import gymnasium as gym
import numpy as np
import torch as th
from torch import nn

from stable_baselines3.common.logger import configure
from stable_baselines3.common.policies import ActorCriticPolicy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor

warnings.filterwarnings("ignore")
th.set_num_threads(1)  # deterministic reductions, and the machine is shared

# ---------------------------------------------------------------------------------------------
# versions and JSON


def versions() -> dict:
    v = {k: md.version(k) for k in ("torch", "stable-baselines3", "sb3-contrib", "gymnasium", "numpy")}
    v["python"] = platform.python_version()
    return v


def _num(x) -> str:
    """A number in the precision the peer held it in: np.float32 -> shortest f32 decimal,
    Python float / np.float64 -> shortest f64 decimal (repr). Non-finite -> interface strings."""
    if isinstance(x, (bool, np.bool_)):
        return "true" if x else "false"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, np.float32):
        f = float(x)
        if not math.isfinite(f):
            return _nonfinite(f)
        s = str(x)  # numpy 2: shortest repr that round-trips in f32
        return s
    f = float(x)
    if not math.isfinite(f):
        return _nonfinite(f)
    return repr(f)


def _nonfinite(f: float) -> str:
    return '"NaN"' if math.isnan(f) else ('"Infinity"' if f > 0 else '"-Infinity"')


def dumps(obj) -> str:
    """Compact JSON with exact numbers (see _num)."""
    import json

    if obj is None:
        return "null"
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, dict):
        return "{" + ",".join(dumps(str(k)) + ":" + dumps(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in obj) + "]"
    if isinstance(obj, np.ndarray):
        return dumps(list(obj.reshape(-1)) if obj.ndim <= 1 else [list(r) for r in obj])
    return _num(obj)


def write_recording(path, records) -> None:
    with open(path, "w") as f:
        f.write("[\n")
        f.write(",\n".join(dumps(r) for r in records))
        f.write("\n]\n")


def vec(t, dtype) -> list:
    """Tensor / array -> list of numbers of the run's precision (np.float32 or float)."""
    a = t.detach().cpu().numpy() if isinstance(t, th.Tensor) else np.asarray(t)
    a = a.reshape(-1)
    if dtype == "f32":
        assert a.dtype == np.float32, a.dtype
        return [np.float32(x) for x in a]
    return [float(x) for x in a]


def sca(t, dtype):
    if isinstance(t, th.Tensor):
        t = t.detach().cpu().numpy()
    a = np.asarray(t)
    if dtype == "f32" and a.dtype == np.float32:
        return np.float32(a)
    return float(a)


def f32(x):
    """Round to float32 (returned as np.float32 so that the writer prints the f32 decimal)."""
    return np.float32(x)


def in_precision(inp: dict, scalar: str) -> dict:
    """For an f32 case, hold θ, θ′ and the samples' numbers as np.float32 so that the writer prints
    them as float32 decimals (they are float32-representable already); hyper-parameters stay
    Python floats (SB3 holds them as float64). f64 cases are returned unchanged."""
    out = dict(inp)
    if scalar != "f32":
        return out
    for k in ("theta", "theta_prime"):
        if k in out:
            out[k] = [np.float32(x) for x in out[k]]
            assert all(float(a) == float(b) for a, b in zip(out[k], inp[k])), k
    if "samples" in out:
        out["samples"] = [{kk: (np.float32(v) if isinstance(v, float) else v) for kk, v in smp.items()}
                          for smp in out["samples"]]
        assert all(float(a["advantage"]) == float(b["advantage"]) for a, b in zip(out["samples"], inp["samples"]))
    return out


def torch_dtype(scalar: str):
    return th.float32 if scalar == "f32" else th.float64


@contextlib.contextmanager
def default_dtype(scalar: str):
    old = th.get_default_dtype()
    th.set_default_dtype(torch_dtype(scalar))
    try:
        yield
    finally:
        th.set_default_dtype(old)


# ---------------------------------------------------------------------------------------------
# the environment and the policy


class TabEnv(gym.Env):
    """Spaces only: train() never steps the env (the buffer is filled by the harness)."""

    def __init__(self, family: str, n_states: int = 1, n_actions: int = 2):
        super().__init__()
        self.observation_space = gym.spaces.Discrete(n_states)
        if family == "softmax":
            self.action_space = gym.spaces.Discrete(n_actions)
        else:
            self.action_space = gym.spaces.Box(-1e6, 1e6, shape=(1,), dtype=np.float32)  # bounds unused by train()

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return 0, {}

    def step(self, action):
        return 0, 0.0, True, False, {}


class PeerFeatures(BaseFeaturesExtractor):
    """kind="onehot": the one-hot state (SB3's preprocess_obs one-hot, preprocessing.py:124),
    cast to the policy's dtype (preprocess_obs always returns float32, so a float64 policy needs
    the cast; in float32 it is a no-op).  kind="none": zero features, so that the Gaussian mean
    is the bias of action_net = Linear(0, 1) and nothing else (BaseFeaturesExtractor asserts
    features_dim > 0, hence the override after __init__)."""

    def __init__(self, observation_space, kind: str = "onehot"):
        n = int(observation_space.n)
        super().__init__(observation_space, max(n, 1))
        self.kind = kind
        self.dtype = th.get_default_dtype()
        if kind == "none":
            self._features_dim = 0

    def forward(self, obs):
        if self.kind == "none":
            return obs.new_zeros((obs.shape[0], 0), dtype=self.dtype)
        return obs.flatten(1).to(self.dtype)


class PeerPolicy(ActorCriticPolicy):
    """SB3's ActorCriticPolicy with net_arch=[] and, for a Discrete action space, a bias-free
    action_net, so that logits = W·onehot(s) = W[:, s]: a tabular softmax with exactly
    n_states·n_actions parameters (the stock Linear has a bias that over-parameterises it)."""

    def _build(self, lr_schedule) -> None:
        super()._build(lr_schedule)
        if isinstance(self.action_space, gym.spaces.Discrete):
            self.action_net = nn.Linear(self.mlp_extractor.latent_dim_pi, int(self.action_space.n), bias=False)
            self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)


def policy_kwargs(family: str) -> dict:
    return dict(
        net_arch=[],
        ortho_init=False,
        log_std_init=0.0,
        features_extractor_class=PeerFeatures,
        features_extractor_kwargs=dict(kind="onehot" if family == "softmax" else "none"),
    )


def actor_layout(policy, family, n_states=1, n_actions=2):
    """SB3's actor-parameter order (named_parameters() minus names containing "value", as
    TRPO._compute_actor_grad, trpo.py:200-203) and the permutation to pgoracle's θ order.
    Returns (names, perm) with sb3_vec[perm[i]] = theta_vec[i]."""
    names, sizes = [], []
    for name, p in policy.named_parameters():
        if "value" in name:
            continue
        names.append(name)
        sizes.append(p.numel())
    off = {}
    o = 0
    for name, s in zip(names, sizes):
        off[name] = o
        o += s
    if family == "softmax":
        # action_net.weight has shape (n_actions, n_states), flattened row-major: a*n_states+s.
        assert names == ["action_net.weight"], names
        perm = [off["action_net.weight"] + a * n_states + s for s in range(n_states) for a in range(n_actions)]
    else:
        assert names == ["log_std", "action_net.weight", "action_net.bias"], names
        assert sizes == [1, 0, 1], sizes
        perm = [off["action_net.bias"], off["log_std"]]  # θ = [μ, log σ]
    assert o == len(perm)
    return names, perm


def to_theta(sb3_vec, perm):
    return [sb3_vec[i] for i in perm]


def to_sb3(theta_vec, perm):
    out = [None] * len(perm)
    for i, j in enumerate(perm):
        out[j] = theta_vec[i]
    return out


def set_theta(policy, family, theta, n_states=1, n_actions=2):
    with th.no_grad():
        if family == "softmax":
            W = th.tensor(np.asarray(theta, dtype=np.float64).reshape(n_states, n_actions).T.copy())
            policy.action_net.weight.copy_(W.to(policy.action_net.weight.dtype))
        else:
            policy.action_net.bias.fill_(float(theta[0]))
            policy.log_std.fill_(float(theta[1]))


def get_theta(policy, family):
    if family == "softmax":
        return policy.action_net.weight.detach().t().reshape(-1).clone()
    return th.cat([policy.action_net.bias.detach().reshape(-1), policy.log_std.detach().reshape(-1)])


def policy_obj(family, n_states=1, n_actions=2):
    if family == "softmax":
        return {"family": "softmax", "n_states": n_states, "n_actions": n_actions}
    return {"family": "gaussian_log_std"}


def make_model(algo_cls, family, n_steps, scalar, n_states=1, n_actions=2, **hyper):
    """Build the real TRPO / PPO object on TabEnv with PeerPolicy, in the given dtype (the torch
    default dtype is float64 while the model is built for "f64", so every parameter is float64)."""
    env = TabEnv(family, n_states, n_actions)
    with default_dtype(scalar):
        model = algo_cls(PeerPolicy, env, n_steps=n_steps, policy_kwargs=policy_kwargs(family),
                         device="cpu", seed=0, **hyper)
    model.set_logger(configure(folder=None, format_strings=[]))
    for p in model.policy.parameters():
        assert p.dtype == torch_dtype(scalar)
    return model


def fill_buffer(model, family, scalar, obs, actions, advantages, old_log_prob):
    """Fill the real RolloutBuffer as collect_rollouts() would leave it after
    compute_returns_and_advantage(): observations, actions, log_probs (the policy's own log π
    at the collecting θ), advantages, returns = advantages (values 0, only the critic reads them).
    Arrays are float32 as SB3 allocates them (buffers.py:394-399); for "f64" the float arrays are
    replaced by float64 ones (SB3 hard-codes float32; this is the one change needed for a float64
    run). Actions are cast to float32 by _get_samples (buffers.py:516) whatever their dtype."""
    buf = model.rollout_buffer
    n = len(obs)
    assert buf.buffer_size == n and buf.n_envs == 1, (buf.buffer_size, n)
    buf.reset()
    fd = np.float32 if scalar == "f32" else np.float64
    buf.observations = np.asarray(obs, dtype=buf.observations.dtype).reshape(n, 1, 1)
    if family == "softmax":
        buf.actions = np.asarray(actions, dtype=buf.actions.dtype).reshape(n, 1, 1)
    else:
        buf.actions = np.asarray(actions, dtype=np.float32).reshape(n, 1, 1)
    for name, val in (("log_probs", old_log_prob), ("advantages", advantages), ("returns", advantages),
                      ("values", np.zeros(n)), ("rewards", np.zeros(n)), ("episode_starts", np.zeros(n))):
        setattr(buf, name, np.asarray(val, dtype=fd).reshape(n, 1))
    buf.pos = n
    buf.full = True
    buf.generator_ready = False


def log_prob_at(model, family, obs, actions):
    """log π_θ(a|s) computed by the policy itself (as collect_rollouts() stores it, through
    policy.evaluate_actions / get_distribution().log_prob), at the policy's current θ."""
    pol = model.policy
    with th.no_grad():
        o = th.tensor(np.asarray(obs, dtype=np.int64).reshape(-1, 1))
        dist = pol.get_distribution(o)
        if family == "softmax":
            a = th.tensor(np.asarray(actions, dtype=np.float32)).long().flatten()
        else:
            a = th.tensor(np.asarray(actions, dtype=np.float32).reshape(-1, 1))
        return dist.log_prob(a)


# ---------------------------------------------------------------------------------------------
# instrumentation


@contextlib.contextmanager
def capture_locals(code):
    """Read the local variables of the frame running `code` (e.g. TRPO.train.__code__) as they
    are when it returns (normally or by an exception). Uses sys.settrace; line events are off."""
    got: dict = {}

    def local(frame, event, arg):
        if event == "return":
            got.clear()
            got.update(frame.f_locals)
        return local

    def glob(frame, event, arg):
        if event == "call" and frame.f_code is code:
            frame.f_trace_lines = False
            return local
        return None

    old = sys.gettrace()
    sys.settrace(glob)
    try:
        yield got
    finally:
        sys.settrace(old)


@contextlib.contextmanager
def patched(obj, name, value):
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def record_batch_order(buf):
    """Wrap the buffer's _get_samples (instance attribute) to record the permutation that
    RolloutBuffer.get() draws (buffers.py:483): the first call is train()'s whole batch."""
    orders = []
    real = buf._get_samples

    def wrapped(batch_inds, env=None):
        orders.append([int(i) for i in batch_inds])
        return real(batch_inds, env)

    buf._get_samples = wrapped
    return orders
