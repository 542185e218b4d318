"""Items 1-2 (+ softmax log likelihood ratio): softmax KL from d = θ'−θ, score, log w."""
import sys, random
from common import *

# phi(x) = e^x - 1 - x >= 0.  Horner series on [-1, 2], else closed forms without heavy cancellation.
PHI_COEF = [1.0 / math.factorial(k) for k in range(2, 27)]   # 1/2!, 1/3!, ..., 1/26!

def phi(x, F):
    x = F(x)
    if F(-1) <= x <= F(2):
        acc = F(PHI_COEF[-1])
        for c in reversed(PHI_COEF[:-1]):
            acc = fma(acc, x, F(c))          # acc = acc*x + c
        return x * x * acc if abs(x) > F(1e-150) else (x * acc) * x
    if x < F(-1):
        return np.exp(x) + (F(-1) - x)        # both terms > 0
    return np.expm1(x) - x                    # x > 2: cancellation factor < 1.9

def softmax_parts(theta, F):
    """t_b = e^(θ_b − m) with θ_b − m as an exact pair (h, l): t = e^h (1 + l); Z = Σ t (Neumaier)."""
    th = [F(x) for x in theta]
    m = max(th)
    t = []
    for x in th:
        h, l = two_sum(x, -m)
        eh = np.exp(h)
        t.append(fma(eh, l, eh))
    Z = neumaier(t, F)
    return t, Z

def softmax_kl(theta, theta2, F=F64, pairs=True):
    """D_KL(softmax θ || softmax θ')."""
    th = [F(x) for x in theta]; th2 = [F(x) for x in theta2]
    n = len(th)
    t, Z = softmax_parts(th, F)
    p = [x / Z for x in t]
    r = max(range(n), key=lambda b: th[b])               # reference: the most probable action
    dh, dl = zip(*[two_sum(th2[b], -th[b]) for b in range(n)])   # d_b = dh_b + dl_b exactly
    # D_b = d_b − d_r as a pair (Dh, Dl)
    D = [D_pair(dh, dl, b, r) for b in range(n)]
    c = dot2(p, [x[0] for x in D], F) + dot2(p, [x[1] for x in D], F)  # c = Σ p_b D_b
    S_terms = []
    for b in range(n):
        e_hi, e_err = two_sum(D[b][0], -c)
        e_hi, e_lo = two_sum(e_hi, e_err + D[b][1])       # renormalise: |e_lo| <= u|e_hi|
        if not pairs:
            e_hi, e_lo = D[b][0] - c, F(0)
        ph = phi(e_hi, F)
        if ph == np.inf:  # only when e_b > ln(MAX): fall back to logsumexp
            return kl_lse(th, D, c, t, Z, F)
        # first-order correction: phi(e_hi + e_lo) ≈ phi(e_hi) + e_lo*expm1(e_hi)
        S_terms.append(p[b] * fma(e_lo, np.expm1(e_hi), ph))
    S = neumaier(S_terms, F)
    return np.log1p(S)

def D_pair(dh, dl, b, r):
    """D_b = d_b − d_r as a normalised pair, d = dh + dl exactly."""
    s, e = two_sum(dh[b], -dh[r])
    return two_sum(s, e + (dl[b] - dl[r]))

def kl_lse(th, D, c, t, Z, F):
    # log Σ p_b e^{e_b} = max_b(ℓ_b) + log Σ e^{ℓ_b − max}, ℓ_b = log p_b + e_b
    m = max(th)
    ell = [(th[b] - m) - np.log(Z) + (D[b][0] - c) for b in range(len(th))]
    M = max(ell)
    return M + np.log(neumaier([np.exp(x - M) for x in ell], F))

def softmax_kl_naive(theta, theta2, F=F64):
    def lp(th):
        th = [F(x) for x in th]; m = max(th)
        lse = m + np.log(sum((np.exp(x - m) for x in th), F(0)))
        return [x - lse for x in th]
    a, b = lp(theta), lp(theta2)
    return sum((np.exp(x) * (x - y) for x, y in zip(a, b) if np.exp(x) != 0), F(0))

def _kl_mp(theta, theta2):
    th = [mpf(x) for x in theta]; th2 = [mpf(x) for x in theta2]
    m = max(th)
    w = [mp.exp(x - m) for x in th]; Z = mp.fsum(w); p = [x / Z for x in w]
    d = [y - x for x, y in zip(th, th2)]            # exact at >= 100 digits for these inputs
    c = mp.fsum(pb * db for pb, db in zip(p, d))
    return mp.log1p(mp.fsum(pb * (mp.expm1(db - c) - (db - c)) for pb, db in zip(p, d)))

def softmax_kl_exact(theta, theta2):
    """Reference from the d-form at 100 and 200 digits (the defining form loses ~log10(1/KL) digits)."""
    with mp.workdps(100):
        a = _kl_mp(theta, theta2)
    with mp.workdps(200):
        b = _kl_mp(theta, theta2)
    assert a == b or abs(a - b) <= abs(b) * mp.mpf(10) ** -60, (theta, theta2, a, b)
    return b

# ---- item 2: score entries; 1 - p_a as Σ_{b≠a} t_b / Z (sum of positives) ----
def softmax_score(theta, a, F=F64):
    t, Z = softmax_parts(theta, F)
    g = [-(x / Z) for x in t]
    g[a] = neumaier([t[b] for b in range(len(t)) if b != a], F) / Z
    return g

def softmax_score_expm1(theta, a, F=F64):
    """Issue's suggestion: -expm1(log p_a), log p_a = (θ_a − m) − ln Z."""
    t, Z = softmax_parts(theta, F)
    th = [F(x) for x in theta]; m = max(th)
    return -np.expm1((th[a] - m) - np.log(Z))

def softmax_score_naive(theta, a, F=F64):
    th = [F(x) for x in theta]; m = max(th)
    lse = m + np.log(sum((np.exp(x - m) for x in th), F(0)))
    return F(1) - np.exp(th[a] - lse)

def softmax_score_exact(theta, a):
    th = [mpf(x) for x in theta]
    Z = mp.fsum(mp.exp(x) for x in th)
    return mp.fsum(mp.exp(th[b]) for b in range(len(th)) if b != a) / Z

# ---- softmax log likelihood ratio: log w_a = e_a − KL-style log1p(S) ----
def softmax_log_ratio(theta, theta2, a, F=F64):
    """log π_θ'(a)/π_θ(a) = d_a − log Σ p_b e^{d_b} = e_a − log1p(S)."""
    th = [F(x) for x in theta]; th2 = [F(x) for x in theta2]; n = len(th)
    t, Z = softmax_parts(th, F); p = [x / Z for x in t]
    r = max(range(n), key=lambda b: th[b])
    dh, dl = zip(*[two_sum(th2[b], -th[b]) for b in range(n)])
    D = [D_pair(dh, dl, b, r) for b in range(n)]
    c = dot2(p, [x[0] for x in D], F) + dot2(p, [x[1] for x in D], F)
    S = []; ea = None
    for b in range(n):
        eh, ee = two_sum(D[b][0], -c); eh, el = two_sum(eh, ee + D[b][1])
        S.append(p[b] * fma(el, np.expm1(eh), phi(eh, F)))
        if b == a: ea = (eh, el)
    return (ea[0] - np.log1p(neumaier(S, F))) + ea[1]

def softmax_log_ratio_exact(theta, theta2, a):
    th = [mpf(x) for x in theta]; th2 = [mpf(x) for x in theta2]
    lse = lambda v: mp.log(mp.fsum(mp.exp(x) for x in v))
    return (th2[a] - lse(th2)) - (th[a] - lse(th))

# ---- adversarial generators ----
def gen_pair(rng, F):
    n = rng.choice([2, 3, 4, 8, 16])
    kind = rng.choice(['near', 'near_ulps', 'shift', 'certain', 'tail', 'far', 'big'])
    th = [rng.uniform(-3, 3) for _ in range(n)]
    if kind == 'certain':
        th[0] = rng.uniform(20, 700 if F is F64 else 80)
    if kind == 'big':
        th = [rng.uniform(-1, 1) * 10 ** rng.uniform(0, 6) for _ in range(n)]
    th = [float(F(x)) for x in th]
    if kind in ('near', 'certain', 'big'):
        d = [rng.gauss(0, 1) * 10 ** rng.uniform(-12 if F is F64 else -6, 0) for _ in range(n)]
    elif kind == 'near_ulps':   # θ' a few ulps from θ
        d = [x * rng.randint(-8, 8) * EPS[F] for x in th]
    elif kind == 'shift':       # nearly a constant shift (KL ~ 0 but d large)
        sft = rng.uniform(-1000, 1000)
        d = [sft + rng.gauss(0, 1) * 10 ** rng.uniform(-9 if F is F64 else -3, 0) for _ in range(n)]
    elif kind == 'tail':        # rare actions with big log-ratio change
        d = [0.0] * n; d[-1] = rng.uniform(-40, 40)
    else:
        d = [rng.uniform(-50, 50) for _ in range(n)]
    th2 = [float(F(a + b)) for a, b in zip(th, d)]
    return kind, th, th2

def main():
    out = []
    cases = [([0.5, -0.25, 1], [0.501, -0.25, 1]),
             ([0.027686821201239973, -0.18373348192489972], [0.027686821201241302, -0.18373348192490158]),
             ([40, 0, 0], [40, 1, -1])]
    out.append("## item 1: issue inputs (f64)")
    for th, th2 in cases:
        ex = softmax_kl_exact(th, th2)
        c = softmax_kl(th, th2); nv = softmax_kl_naive(th, th2)
        out.append(f"  {th}->{th2}: exact {mp.nstr(ex, 20)} new {c!r} ({ulps(c, ex):.3g} ulp) naive {nv!r}")
    for F in (F64, F32):
        rng = random.Random(1)
        errs, errs_np, naive = [], [], []
        worst = (0, None)
        for i in range(400):
            kind, th, th2 = gen_pair(rng, F)
            ex = softmax_kl_exact(th, th2)
            if ex == 0 or ex < mp.mpf(PREC[F][1] and 2.0 ** (PREC[F][1] + 10)):
                continue
            e = ulps(softmax_kl(th, th2, F), ex, F)
            errs.append(e); errs_np.append(ulps(softmax_kl(th, th2, F, pairs=False), ex, F))
            naive.append(ulps(softmax_kl_naive(th, th2, F), ex, F))
            if e > worst[0]: worst = (e, (kind, th, th2))
        out.append(f"## item 1 random adversarial {F.__name__}")
        out.append("  " + report("softmax_kl (pairs)", errs))
        out.append("  " + report("softmax_kl (no lo parts)", errs_np))
        out.append("  " + report("naive", naive))
        out.append(f"  worst new: {worst}")
    # item 2
    out.append("## item 2: softmax score 1 − p_a")
    for th in ([30, 0], [40, 0]):
        ex = softmax_score_exact(th, 0)
        c = softmax_score(th, 0)[0]
        out.append(f"  θ={th}: exact {mp.nstr(ex, 20)} sum-form {c!r} ({ulps(c, ex):.3g}) -expm1 {softmax_score_expm1(th,0)!r} naive {softmax_score_naive(th,0)!r}")
    for F in (F64, F32):
        rng = random.Random(2); e1, e2, e3 = [], [], []
        for i in range(300):
            n = rng.choice([2, 3, 5, 10]);
            th = [rng.uniform(-5, 5) for _ in range(n)]
            a = rng.randrange(n)
            th[a] += rng.uniform(0, 700 if F is F64 else 85) * rng.choice([1, 1, -0.1])
            th = [float(F(x)) for x in th]
            ex = softmax_score_exact(th, a)
            e1.append(ulps(softmax_score(th, a, F)[a], ex, F))
            e2.append(ulps(softmax_score_expm1(th, a, F), ex, F))
            e3.append(ulps(softmax_score_naive(th, a, F), ex, F))
            # other entries -p_b
            g = softmax_score(th, a, F); Z = mp.fsum(mp.exp(mpf(x)) for x in th)
            for b in range(n):
                if b != a:
                    e1[-1] = max(e1[-1], ulps(g[b], -mp.exp(mpf(th[b])) / Z, F))
        out.append(f"## item 2 random {F.__name__}")
        out.append("  " + report("sum form Σ_{b≠a} t_b/Z (all entries)", e1))
        out.append("  " + report("-expm1(log p_a)", e2))
        out.append("  " + report("naive 1-exp(log p)", e3))
    # log ratio
    for F in (F64, F32):
        rng = random.Random(3); errs = []
        for i in range(300):
            kind, th, th2 = gen_pair(rng, F)
            a = rng.randrange(len(th))
            ex = softmax_log_ratio_exact(th, th2, a)
            w = np.exp(softmax_log_ratio(th, th2, a, F))
            errs.append(ulps(w, mp.exp(ex), F))
        out.append(f"## softmax likelihood ratio w = exp(log w) {F.__name__}")
        out.append("  " + report("w", errs))
    print("\n".join(out))

if __name__ == "__main__":
    main()
