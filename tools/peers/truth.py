"""True values (mpmath, 60 digits) for the findings in docs/peers.md. Needs only mpmath.

    python3 tools/peers/truth.py
Inputs are the exact binary values the peer saw (f32 inputs are first rounded to float32).
"""
from __future__ import annotations

import struct

import mpmath as mp

mp.mp.dps = 60


def f32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def show(name, v):
    print(f"{name}: {mp.nstr(v, 20)}")


def kl_cat(p, q):
    sp, sq = mp.fsum(p), mp.fsum(q)
    return mp.fsum(mp.mpf(a) / sp * mp.log((mp.mpf(a) / sp) / (mp.mpf(b) / sq)) for a, b in zip(p, q) if a != 0)


def kl_normal(mp_, sp, mq, sq):
    mp_, sp, mq, sq = map(mp.mpf, (mp_, sp, mq, sq))
    return mp.log(sq / sp) + (sp ** 2 + (mp_ - mq) ** 2) / (2 * sq ** 2) - mp.mpf(1) / 2


print("== clip_grad_norm_ / scale_gradient, L = 1: g * min(L/||g||, 1)")
for name, g in (("f64 [1e200, 1e200, 0]", [1e200, 1e200, 0.0]), ("f32 [1e20, 1e20, 0]", [f32(1e20), f32(1e20), 0.0])):
    n = mp.sqrt(mp.fsum(mp.mpf(x) ** 2 for x in g))
    show(f"  {name} ||g||", n)
    print("   book result:", [mp.nstr(mp.mpf(x) / n, 17) for x in g], " torch (eps 1e-6) result:",
          [mp.nstr(mp.mpf(x) / (n + mp.mpf(1e-6)), 17) for x in g])

print("== kl_divergence(Categorical(probs=p), Categorical(probs=q)), p = [0.5, 0.5]")
for name, q in (("f64 q=[1, 1e-20]", [1.0, 1e-20]), ("f32 q=[1, 1e-20]", [1.0, f32(1e-20)]),
                ("f64 q=[1, 1e-10]", [1.0, 1e-10]), ("f32 q=[1, 1e-10]", [1.0, f32(1e-10)]),
                ("f64 q=[1, 1e-5]", [1.0, 1e-5])):
    show(f"  {name}", kl_cat([0.5, 0.5], q))
show("  unnormalized p=[1,1], q=[3,1] (normalised: [.5,.5] vs [.75,.25])", kl_cat([1, 1], [3, 1]))

print("== kl_divergence(Normal, Normal) = log(sq/sp) + (sp^2 + (mp-mq)^2)/(2 sq^2) - 1/2")
show("  f64 N(0,1e-150) || N(0,1e150)", kl_normal(0, 1e-150, 0, 1e150))
show("  f64 N(0,1e150) || N(0,1e-150)", kl_normal(0, 1e150, 0, 1e-150))
show("  f64 N(0,1e-160) || N(0,1)", kl_normal(0, 1e-160, 0, 1.0))
show("  f32 N(0,1e-20) || N(0,1e20)", kl_normal(0, f32(1e-20), 0, f32(1e20)))
show("  f64 N(1e200,1) || N(-1e200,1)", kl_normal(1e200, 1, -1e200, 1))
show("  f64 N(0,1) || N(0,1+1e-7)", kl_normal(0, 1, 0, 1 + 1e-7))
show("  f32 N(0,1) || N(0,f32(1+1e-7))", kl_normal(0, 1, 0, f32(1 + 1e-7)))

print("== TRPO zero-gradient example: N(mu=0, sigma=1), exact gradient of the surrogate")
acts = [-1, 1, -2, 2, 0, 0, 0, 0, 0, 0]
adv = [-2, -2, 1, 1, 1, 1, 1, 1, 1, 1]
n = len(adv)
mean = mp.fsum(adv) / n
std = mp.sqrt(mp.fsum((a - mean) ** 2 for a in adv) / (n - 1))
An = [(a - mean) / (std + mp.mpf("1e-8")) for a in adv]
g_mu = mp.fsum(A * a for A, a in zip(An, acts)) / n
g_ls = mp.fsum(A * (a * a - 1) for A, a in zip(An, acts)) / n
show("  g_mu", g_mu)
show("  g_log_sigma", g_ls)
print("  -> exactly zero: (F+λI)u = 0 has the solution u = 0; CG from any x0 reaches u = 0 in 2 steps in exact")
print("     arithmetic, and then beta = sqrt(2δ/uᵀAu) is 2δ/0: no step is defined (book: ZeroGradient).")

print("== batch of one: sample std with n - 1 = 0")
print("  (A - mean)/(std + 1e-8) = 0/(0/0 + 1e-8): undefined (NaN), book has no normalisation")
