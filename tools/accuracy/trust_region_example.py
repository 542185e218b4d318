"""Item 1 consequence: softmax θ=[2,0], one step (s0,a0,r1), γ=1, ε=1e-18, α=0.5, damped λ=1e-6."""
from common import *
from softmax import softmax_kl, softmax_kl_exact, softmax_kl_naive

def run(exact_arith):
    R = (lambda x: mp.mpf(x)) if exact_arith else (lambda x: mp.mpf(float(round_to(mp_to_fraction(x), F64))))
    th = [mp.mpf(2), mp.mpf(0)]
    p1 = 1 / (1 + mp.exp(2)); g = [p1, -p1]               # score = grad (R = 1)
    lam = mp.mpf(1e-6); eps = mp.mpf(1e-18); gg = g[0] ** 2 + g[1] ** 2
    u = [x / (gg + lam) for x in g]                         # (ggᵀ + λI)u = g, g an eigenvector
    gu = g[0] * u[0] + g[1] * u[1]
    s = mp.sqrt(2 * eps / gu)
    cand = [R(th[i] + u[i] * s) for i in range(2)]
    rows = []
    for k in range(6):
        kl = softmax_kl_exact([float(x) for x in th], [float(x) for x in cand]) if not exact_arith else None
        if exact_arith:
            lse = lambda v: mp.log(mp.fsum(mp.exp(x) for x in v))
            with mp.workdps(200):
                kl = mp.fsum(mp.exp(x - lse(th)) * ((x - lse(th)) - (y - lse(cand))) for x, y in zip(th, cand))
        lw = (cand[0] - (lambda v: mp.log(mp.fsum(mp.exp(x) for x in v)))(cand)) - (th[0] - mp.log(mp.exp(2) + 1))
        ok = kl <= eps and lw > 0
        rows.append((k, [mp.nstr(x, 20) for x in cand], mp.nstr(kl, 17), mp.nstr(mp.expm1(lw), 5), ok,
                     None if exact_arith else (softmax_kl_naive([float(x) for x in th], [float(x) for x in cand]),
                                               softmax_kl([float(x) for x in th], [float(x) for x in cand]))))
        if ok: break
        cand = [R(th[i] + (cand[i] - th[i]) / 2) for i in range(2)]
    return rows

if __name__ == "__main__":
    for ex in (True, False):
        print("exact arithmetic candidates" if ex else "f64 candidates (library shrink), exact g")
        for r in run(ex): print("  ", r)
