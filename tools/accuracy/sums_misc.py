"""Items 5 (steps, fisher, discounting, solver scaling), 6 (compensated returns), 7 (kl_categorical)."""
import random
from common import *

# ---------- item 6: compensated Horner for R(τ, k) = Σ_{ℓ≥k} r_ℓ γ^{ℓ−1} ----------
def comp_horner(rs, g, F):
    """H_k = Σ_{ℓ≥k} r_ℓ γ^{ℓ−k} for every k (backward), each as compensated Horner (hi + c)."""
    s, c = F(0), F(0); out = [None] * len(rs)
    for k in range(len(rs) - 1, -1, -1):
        p, pe = two_prod(s, F(g))
        s, se = two_sum(p, F(rs[k]))
        c = fma(c, F(g), pe + se)            # c = c·γ + (π + σ)
        out[k] = (s, c)
    return out

def pow_scaled(x, g, n, F):
    """x·γ^n with no spurious subnormal: powi by squaring, split when γ^n leaves the normal range."""
    if n == 0: return x
    def powi(b, e):
        r = F(1)
        while e:
            if e & 1: r = r * b
            b = b * b; e >>= 1
        return r
    p = powi(F(g), n)
    if p >= np.finfo(F).tiny or p == 0 and False:
        return x * p
    h = n // 2
    if h == 0: return x * p
    return pow_scaled(pow_scaled(x, g, h, F), g, n - h, F)

def rewards_to_go(rs, g, F):
    H = comp_horner(rs, g, F)
    return [pow_scaled(h + c, g, k, F) for k, (h, c) in enumerate(H)]

def rtg_naive(rs, g, F):
    w, ws = F(1), []
    for _ in rs: ws.append(w); w = w * F(g)
    acc, out = F(0), [None] * len(rs)
    for k in range(len(rs) - 1, -1, -1):
        acc = acc + F(rs[k]) * ws[k]; out[k] = acc
    return out

def rtg_exact(rs, g):
    g = Fraction(float(g)); out = []
    for k in range(len(rs)):
        out.append(sum((Fraction(float(rs[l])) * g ** l for l in range(k, len(rs))), Fraction(0)))
    return out

def frac_ulps(c, ex, F):
    if ex == 0: return 0.0 if c == 0 else float('inf')
    return float(abs(Fraction(float(c)) - ex) / abs(ex)) / EPS[F] if np.isfinite(c) else float('inf')

# ---------- item 7: kl_categorical = Σ q ψ(r) + Σ (p − q), ψ(r) = (1+r)log1p(r) − r ----------
ATANH_N = 40
def psi(r, F):
    """ψ(r) = (1+r)log1p(r) − r ≥ 0. For r ∈ [−0.5, 2]: t = r/(2+r), ψ = r t + 2(1+r) t³ Σ t^{2k}/(2k+3)."""
    r = F(r)
    if F(-0.5) <= r <= F(2):
        t = r / (F(2) + r); t2 = t * t
        acc = F(1.0 / (2 * ATANH_N + 3))
        for k in range(ATANH_N - 1, -1, -1):
            acc = fma(acc, t2, F(1.0 / (2 * k + 3)))
        return fma(r, t, F(2) * (F(1) + r) * (t * t2) * acc)
    return (F(1) + r) * np.log1p(r) - r

def kl_cat(p, q, F=F64):
    terms, diffs = [], []
    for pi, qi in zip(p, q):
        pi, qi = F(pi), F(qi)
        dh, dl = two_sum(pi, -qi)
        diffs += [dh, dl]
        if pi == 0:
            terms.append(qi); continue          # q·ψ(−1) = q
        ratio = pi / qi
        if F(0.5) <= ratio <= F(3):
            r = dh / qi                          # p − q exact here (Sterbenz for ratio ≤ 2; dl tiny else)
            terms.append(qi * psi(r, F) if ratio <= F(2) else qi * psi((dh + dl) / qi, F))
        else:
            # p ln(p/q) − (p − q): p ≪ q or p ≫ q, cancellation factor ≤ 5.5 (at p/q = 1/2)
            lr = np.log(ratio) if np.isfinite(ratio) and ratio >= np.finfo(F).tiny else np.log(pi) - np.log(qi)
            terms.append(pi * lr - (dh + dl))
    return neumaier(terms, F) + neumaier(diffs, F)

def kl_cat_current(p, q, F=F64):
    acc = F(0)
    for pi, qi in zip(p, q):
        pi, qi = F(pi), F(qi)
        if pi == 0: continue
        rel = (pi - qi) / qi
        acc += pi * (np.log1p(rel) if abs(rel) < F(0.5) else np.log(pi) - np.log(qi))
    return acc

def kl_cat_exact(p, q):
    with mp.workdps(300):
        return mp.fsum(mpf(a) * mp.log(mpf(a) / mpf(b)) for a, b in zip(p, q) if a != 0)

# ---------- item 5 ----------
def restricted_len(eps, F):
    te = eps + eps
    return np.sqrt(te) if np.isfinite(te) else np.sqrt(eps) * np.sqrt(F(2))

def fisher_entry(ci, cj, m, F):
    """(1/m) Σ_k G_ki G_kj with columns scaled by s = max|col|: ((c·max(si,sj))·min(si,sj))."""
    si = max(abs(F(x)) for x in ci); sj = max(abs(F(x)) for x in cj)
    if si == 0 or sj == 0: return F(0)
    c = dot2([F(x) / si for x in ci], [F(x) / sj for x in cj], F) / F(m)
    return (c * max(si, sj)) * min(si, sj)

def main():
    out = []
    out.append("## item 6: returns")
    for rs in ([1e16, 1, -1e16], [-1, 1e16, 1, -1e16]):
        ex = rtg_exact(rs, 1.0); c = rewards_to_go(rs, 1.0, F64); nv = rtg_naive(rs, 1.0, F64)
        out.append(f"  r={rs} γ=1: exact R(τ,k)={[float(x) for x in ex]} new={[float(x) for x in c]} naive={[float(x) for x in nv]}")
    for F in (F64, F32):
        rng = random.Random(7); errs, naive = [], []
        for i in range(300):
            d = rng.choice([2, 3, 5, 10, 30])
            g = rng.choice([1.0, 0.99, 0.5, 1e-29 if F is F64 else 1e-5, rng.random()])
            big = 10 ** rng.uniform(0, 16 if F is F64 else 7)
            rs = [float(F(rng.choice([big, -big, 1, -1, rng.gauss(0, 1)]))) for _ in range(d)]
            if rng.random() < 0.5:  # exact cancellation in the undiscounted sum
                rs.append(float(F(-sum(Fraction(x) for x in rs)))) if g == 1.0 else None
            ex = rtg_exact(rs, float(F(g)))
            c = rewards_to_go(rs, float(F(g)), F); nv = rtg_naive(rs, float(F(g)), F)
            for k in range(len(rs)):
                if ex[k] == 0 or abs(ex[k]) < np.finfo(F).tiny: continue
                # condition of the sum: Σ|r_ℓ|γ^ℓ / |R|
                cond = sum(abs(Fraction(x)) * Fraction(float(F(g))) ** l for l, x in enumerate(rs) if l >= k) / abs(ex[k])
                e = frac_ulps(c[k], ex[k], F)
                errs.append(e / max(1.0, float(cond) * EPS[F] * 16))   # ≈ e when cond·u tiny
                naive.append(frac_ulps(nv[k], ex[k], F))
        out.append(f"## item 6 random {F.__name__} (error / max(1, 16·cond·ε): compensated ⇒ ~u + cond·u²)")
        out.append("  " + report("R(τ,k) comp. Horner", errs)); out.append("  " + report("naive", naive))
    # γ^k subnormal
    rs = [0.0] * 12 + [1e300]; g = 1e-29
    ex = rtg_exact(rs, g); c = rewards_to_go(rs, g, F64); nv = rtg_naive(rs, g, F64)
    out.append(f"  γ=1e-29, r_13=1e300: exact R(τ,1)={float(ex[0])!r} new={c[0]!r} naive={nv[0]!r}")

    out.append("## item 7: kl_categorical")
    p, q = [0.5, 0.3, 0.2], [0.5000000001, 0.3, 0.1999999999]
    ex = kl_cat_exact(p, q)
    out.append(f"  issue: exact {mp.nstr(ex, 20)} new {kl_cat(p, q)!r} ({ulps(kl_cat(p, q), ex):.3g}) current {kl_cat_current(p, q)!r}")
    with mp.workdps(100):
        nonneg = mp.fsum(mpf(b) * ((1 + (mpf(a) - mpf(b)) / mpf(b)) * mp.log1p((mpf(a) - mpf(b)) / mpf(b)) - (mpf(a) - mpf(b)) / mpf(b)) for a, b in zip(p, q))
        out.append(f"  Σ q ψ(r) alone = {mp.nstr(nonneg, 20)}; Σ(p−q) = {mp.nstr(mp.fsum(mpf(a) - mpf(b) for a, b in zip(p, q)), 5)}")
    for F in (F64, F32):
        rng = random.Random(8); errs, cur = [], []
        for i in range(400):
            n = rng.choice([2, 3, 4, 10])
            p = [rng.random() for _ in range(n)]; s = sum(p); p = [x / s for x in p]
            kind = rng.choice(['near', 'near', 'tiny', 'far', 'zero'])
            if kind == 'near':
                dl = 10 ** rng.uniform(-14 if F is F64 else -6, -1)
                q = [x * (1 + rng.gauss(0, dl)) for x in p]
            elif kind == 'tiny':
                q = list(p); q[0] = p[0] * 10 ** rng.uniform(-300 if F is F64 else -35, -3)
            elif kind == 'zero':
                q = list(p); p = list(p); p[0] = 0.0
            else:
                q = [rng.random() for _ in range(n)]
            s = sum(q); q = [x / s for x in q]
            p = [float(F(x)) for x in p]; q = [float(F(x)) for x in q]
            if any(b == 0 for b in q): continue
            ex = kl_cat_exact(p, q)
            if ex <= 0: continue
            # condition: the Σ(p−q) term can cancel Σqψ; cond = (Σqψ + |Σ(p−q)|)/KL
            with mp.workdps(100):
                A = mp.fsum(mpf(a) * mp.log(mpf(a) / mpf(b)) - (mpf(a) - mpf(b)) if a else mpf(b) for a, b in zip(p, q))
                cond = (A + abs(mp.fsum(mpf(a) - mpf(b) for a, b in zip(p, q)))) / ex
            e = ulps(kl_cat(p, q, F), ex, F); errs.append(e / float(max(1, cond)))
            cur.append(ulps(kl_cat_current(p, q, F), ex, F))
        out.append(f"## item 7 random {F.__name__} (error / max(1, cond), cond = (Σqψ + |Σ(p−q)|)/KL)")
        out.append("  " + report("new", errs)); out.append("  " + report("current", cur))

    out.append("## item 5: overflow/underflow")
    out.append(f"  restricted_step ε=1e308: len new {restricted_len(F64(1e308), F64)!r} exact {mp.nstr(mp.sqrt(2 * mpf(1e308)), 17)}")
    out.append(f"  gradient_ascent fma(g,α,θ): [-1e308]+2·[1e308] = {fma(F64(1e308), F64(2), F64(-1e308))!r}; naive {F64(-1e308) + F64(2) * F64(1e308)!r}")
    c = fma(F64(-10.000000001), F64(0.1), F64(1)); ex = mpf(1) + mpf(0.1) * mpf(-10.000000001)
    out.append(f"  gradient_ascent θ=1, g=−10.000000001, α=0.1: exact {mp.nstr(ex, 20)} fma {c!r} ({ulps(c, ex):.3g} ulp) naive {F64(1) + F64(0.1) * F64(-10.000000001)!r} ({ulps(F64(1) + F64(0.1) * F64(-10.000000001), ex):.3g} ulp)")
    G = [[1.3e154], [1.3e154]]
    out.append(f"  fisher [[1.3e154],[1.3e154]]: scaled {fisher_entry([1.3e154, 1.3e154], [1.3e154, 1.3e154], 2, F64)!r} exact {mp.nstr(mpf(1.3e154) ** 2, 17)} naive {(F64(1.3e154) ** 2 + F64(1.3e154) ** 2) / 2!r}")
    rng = random.Random(9); errs = []
    for i in range(300):
        m = rng.randint(1, 6); e1, e2 = rng.uniform(-300, 300), rng.uniform(-300, 300)
        ci = [rng.gauss(0, 1) * 10 ** e1 for _ in range(m)]; cj = [rng.gauss(0, 1) * 10 ** e2 for _ in range(m)]
        ex = mp.fsum(mpf(a) * mpf(b) for a, b in zip(ci, cj)) / m
        if abs(ex) > 1e308 or abs(ex) < 2.3e-308: continue
        cond = mp.fsum(abs(mpf(a) * mpf(b)) for a, b in zip(ci, cj)) / m / abs(ex)
        errs.append(ulps(fisher_entry(ci, cj, m, F64), ex) / float(max(1, cond * 2 ** -50)))
    out.append("  " + report("fisher entry scaled+Dot2, f64, error/max(1, cond·2^-50)", errs))
    print("\n".join(out))

if __name__ == "__main__":
    main()
