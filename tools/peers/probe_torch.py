"""Pin torch line numbers and the boundary behaviours that docs/peer-sources.md derives from source.

Run in the tools/peers venv (regenerate.sh does, and writes tools/peers/probe_torch.out):
    target/peers-venv/bin/python tools/peers/probe_torch.py
Result with torch 2.15.0: clamp passes gradient 0 exactly at a bound (f32 and f64, both bounds);
see docs/peers.md, finding 7.
"""
import inspect
import os

import torch
import torch.distributions.categorical as cat
import torch.distributions.kl as kl
import torch.distributions.normal as nrm
import torch.distributions.utils as du
import torch.nn.utils.clip_grad as cg
import torchgen

print("torch", torch.__version__)


def where(obj):
    lines, start = inspect.getsourcelines(obj)
    print(f"  {inspect.getsourcefile(obj)}:{start}-{start + len(lines) - 1}  {obj.__qualname__}")


print("== source lines (installed torch)")
for o in (kl._kl_categorical_categorical, kl._kl_normal_normal, cat.Categorical.__init__,
          du.clamp_probs, du.probs_to_logits, du.logits_to_probs, nrm.Normal.log_prob,
          cg._get_total_norm, cg._clip_grads_with_norm_, cg.clip_grad_norm_, cg.clip_grad_value_,
          torch.Tensor.__rtruediv__):
    where(o)

print("== derivatives.yaml entries")
dy = os.path.join(os.path.dirname(torchgen.__file__), "packaged", "autograd", "derivatives.yaml")
with open(dy) as f:
    for n, line in enumerate(f, 1):
        if line.startswith(("- name: clamp(", "- name: clamp_min(", "- name: clamp_max(",
                            "- name: minimum(", "- name: where.self(", "- name: clamp.Tensor(")):
            print(f"  {dy}:{n}: {line.rstrip()}")
        if "subgradient 1" in line:
            print(f"  {dy}:{n}: {line.rstrip()}")


def clamp_grad(x, lo, hi, dtype):
    t = torch.tensor([x], dtype=dtype, requires_grad=True)
    torch.clamp(t, lo, hi).sum().backward()
    return t.grad.item()


print("== clamp gradient exactly at the (dtype-rounded) bound, bounds given as Python floats 1-0.2, 1+0.2")
for dtype in (torch.float32, torch.float64):
    for b in (1 - 0.2, 1 + 0.2):
        xb = torch.tensor(b, dtype=dtype).item()          # the bound rounded to dtype
        print(f"  {dtype} x={xb!r}: d clamp/dx = {clamp_grad(xb, 1 - 0.2, 1 + 0.2, dtype)}")

print("== min tie split")
u = torch.tensor([1.0], requires_grad=True)
v = torch.tensor([1.0], requires_grad=True)
torch.min(u, v).sum().backward()
print("  grad u, v:", u.grad.item(), v.grad.item())

print("== PPO surrogate d/dratio at ratio == f32(1.2), A = 1 (unclipped side gives 1)")
for r in (torch.tensor(1.2, dtype=torch.float32).item(), 1.0, 1.3):
    w = torch.tensor([r], dtype=torch.float32, requires_grad=True)
    A = torch.tensor([1.0])
    torch.min(A * w, A * torch.clamp(w, 1 - 0.2, 1 + 0.2)).mean().backward()
    print(f"  ratio={r!r}: {w.grad.item()}")

print("== tensor-vs-Python-float comparison dtype (TRPO kl_div < target_kl, CG r.r < 1e-10)")
print("  f32(0.01) < 0.01 :", bool(torch.tensor(0.01, dtype=torch.float32) < 0.01), "(False => compared in f32)")
print("  f32(1e-10) < 1e-10:", bool(torch.tensor(1e-10, dtype=torch.float32) < 1e-10))

print("== max_norm / tensor is reciprocal()*max_norm (two roundings)?")
g = torch.Generator().manual_seed(0)
t = torch.rand(100000, dtype=torch.float64, generator=g) * 10 + 1e-3
a = 0.7 / t
b = t.reciprocal() * 0.7
c = torch.tensor([0.7 / x for x in t.tolist()], dtype=torch.float64)
print("  differs from true division:", int((a != c).sum()), " equals reciprocal*mul:", bool((a == b).all()))

print("== issue 17 examples")
p = torch.distributions.Categorical(probs=torch.tensor([0.5, 0.5], dtype=torch.float64))
q = torch.distributions.Categorical(probs=torch.tensor([1.0, 1e-20], dtype=torch.float64))
print("  KL cat:", kl.kl_divergence(p, q).item(), "(true 22.33)")
n1 = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1e-150, dtype=torch.float64))
n2 = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1e150, dtype=torch.float64))
print("  KL normal:", kl.kl_divergence(n1, n2).item(), "(true 690.28)")
x = torch.zeros(3, dtype=torch.float64, requires_grad=True)
x.grad = torch.tensor([1e200, 1e200, 0.0], dtype=torch.float64)
tn = torch.nn.utils.clip_grad_norm_([x], 1.0)
print("  clip_grad_norm_ [1e200,1e200,0]:", x.grad.tolist(), "total_norm", tn.item())
