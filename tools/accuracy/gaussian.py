"""Items 3-4: Gaussian log likelihood ratio (far tails) and Gaussian KL; Gaussian score (item 5)."""
import random
from common import *
from softmax import phi

def log_ratio_sigma(s, s2, F):
    """L = log(σ/σ'), absolute error <= ~2u(1+|L|)."""
    q = s / s2
    if F(0.5) < q < F(2):
        return np.log1p((s - s2) / s2)        # s - s2 exact (Sterbenz)
    if np.isfinite(q) and q >= F(PREC[F] and np.finfo(F).tiny):
        return np.log(q)
    return np.log(s) - np.log(s2)

def gauss_log_w(th, th2, a, x, F=F64):
    """log N(a; θ'₁x, σ'²) − log N(a; θ₁x, σ²) = L − ½(z'−z)(z'+z)."""
    m1, s = F(th[0]), F(th[1]); m2, s2 = F(th2[0]), F(th2[1]); a = F(a); x = F(x)
    y = fma(-m1, x, a)                       # a − θ₁x, one rounding
    z = y / s
    dm = (m1 - m2) * x                        # (θ₁ − θ₁')x
    dz = fma(z, s - s2, dm) / s2              # z' − z = (z(σ − σ') + (m − m'))/σ'
    zs = dz + F(2) * z                        # z' + z
    L = log_ratio_sigma(s, s2, F)
    return L - F(0.5) * dz * zs if abs(dz) < F(1e150) else L - (F(0.5) * dz) * zs

def gauss_log_w_naive(th, th2, a, x, F=F64):
    def lp(t):
        m, s = F(t[0]) * F(x), F(t[1]); z = (F(a) - m) / s
        return -F(0.5) * z * z - np.log(s) - F(0.5) * np.log(F(2 * math.pi))
    return lp(th2) - lp(th)

def gauss_log_w_exact(th, th2, a, x):
    def lp(t):
        m, s = mpf(t[0]) * mpf(x), mpf(t[1]); z = (mpf(a) - m) / s
        return -z * z / 2 - mp.log(s)
    return lp(th2) - lp(th)

# ---- item 4: KL(N(m,σ²) || N(m',σ'²)) = ½ φ(2 ln(σ/σ')) + ½ z², z = (m − m')/σ' ----
def scaled_quot(dm_parts, s2, F):
    """(θ₁ − θ₁')·x/σ' without spurious over/underflow."""
    t1, t2, x = dm_parts
    d = t1 - t2
    if not np.isfinite(d):                    # θ₁, θ₁' near ±MAX with opposite signs
        d2 = t1 * F(0.5) - t2 * F(0.5)
        return F(2) * scaled_quot((d2, F(0), x), s2, F) if False else (d2 * x / s2) * F(2)
    p = d * x
    tiny = np.finfo(F).tiny
    if np.isfinite(p) and (abs(p) >= tiny or p == 0):
        return p / s2
    q = x / s2
    if np.isfinite(q) and abs(q) >= tiny:
        return d * q
    return (d / s2) * x

def gauss_kl(m, s, m2, s2, x=1.0, F=F64):
    m, s, m2, s2, x = F(m), F(s), F(m2), F(s2), F(x)
    z = scaled_quot((m, m2, x), s2, F)
    return F(0.5) * psi_rho(s, s2, F) + F(0.5) * (z * z)

def psi_rho(s, s2, F):
    """ψ = ρ² − 1 − 2 ln ρ ≥ 0, ρ = σ/σ'."""
    L = log_ratio_sigma(s, s2, F)
    rho = s / s2
    if F(-0.5) <= L <= F(1):
        return phi(F(2) * L, F)               # ψ = φ(2L), L relative-accurate (log1p branch near 1)
    if L > F(1):
        return rho * rho - (F(1) + F(2) * L)  # cancellation factor < 1.9; overflows only with KL
    return rho * rho + (F(-1) - F(2) * L)     # both terms >= 0; ρ² may underflow harmlessly

def gauss_kl_current(m, s, m2, s2, x=1.0, F=F64):
    m, s, m2, s2 = F(m) * F(x), F(s), F(m2) * F(x), F(s2)
    delta = (s - s2) / s2; z = (m - m2) / s2; h = F(0.5)
    return h * (delta * (F(2) + delta) - F(2) * np.log1p(delta)) + h * z * z

def gauss_kl_exact(m, s, m2, s2, x=1.0):
    m, s, m2, s2, x = map(mpf, (m, s, m2, s2, x))
    r = s / s2
    with mp.workdps(300):   # r^2 - 1 - 2 ln r cancels for r ~ 1
        return (r * r - 1 - 2 * mp.log(r)) / 2 + ((m - m2) * x / s2) ** 2 / 2

# ---- item 5: Gaussian score ∂/∂σ = ((a−m)² − σ²)/σ³ ----
def gauss_score_sigma(th, a, x, F=F64):
    m1, s, a, x = F(th[0]), F(th[1]), F(a), F(x)
    if x == F(1):
        yh, yl = two_sum(a, -m1)              # a − θ₁ exactly
    else:
        yh, yl = fma(-m1, x, a), F(0)
    A = ((yh - s) + yl) / s                   # (y − σ)/σ, yh − s exact near y ≈ σ
    B = ((yh + s) + yl) / s
    return A * (B / s) if abs(A) >= F(1) or abs(B) >= F(1) else (A * B) / s

def gauss_score_sigma_current(th, a, x, F=F64):
    z = (F(a) - F(th[0]) * F(x)) / F(th[1])
    return (z * z - F(1)) / F(th[1])

def gauss_score_exact(th, a, x):
    y = mpf(a) - mpf(th[0]) * mpf(x); s = mpf(th[1])
    return (y * y - s * s) / s ** 3

def main():
    out = []
    out.append("## item 3: issue input Gaussian θ=[0,1], θ'=[1e-7,1], a=1234567.891")
    th, th2, a = [0, 1], [1e-7, 1], 1234567.891
    ex = mp.exp(gauss_log_w_exact(th, th2, a, 1))
    w = np.exp(gauss_log_w(th, th2, a, 1)); wn = np.exp(gauss_log_w_naive(th, th2, a, 1))
    out.append(f"  exact {mp.nstr(ex, 20)}  new {w!r} ({ulps(w, ex):.3g} ulp)  naive {wn!r}")
    for F in (F64, F32):
        rng = random.Random(4); errs, naive, kappa_errs = [], [], []
        for i in range(400):
            kind = rng.choice(['tail', 'tail_sigma', 'near', 'linear', 'mixed'])
            mu = rng.uniform(-3, 3); s = 10 ** rng.uniform(-3, 3)
            zt = rng.choice([1, -1]) * 10 ** rng.uniform(0, 7 if F is F64 else 3)
            a = mu + zt * s; x = 1.0
            rel = 10 ** rng.uniform(-15 if F is F64 else -7, -1)
            mu2, s2 = mu + rng.gauss(0, 1) * rel * s / max(1, abs(zt)), s
            if kind == 'tail_sigma':
                s2 = s * (1 + rng.gauss(0, 1) * rel / max(1, abs(zt)) ** 2)
            if kind == 'linear':
                x = rng.uniform(-1e3, 1e3); a = mu * x + zt * s
            if kind == 'mixed':
                s2 = s * 10 ** rng.uniform(-1, 1); mu2 = mu + rng.gauss(0, 1) * s
            r = lambda v: float(F(v))
            th, th2, a, x = [r(mu), r(s)], [r(mu2), r(s2)], r(a), r(x)
            lw = gauss_log_w_exact(th, th2, a, x)
            if abs(lw) > (600 if F is F64 else 80): continue
            ex = mp.exp(lw)
            c = np.exp(gauss_log_w(th, th2, a, x, F))
            e = ulps(c, ex, F); errs.append(e)
            naive.append(ulps(np.exp(gauss_log_w_naive(th, th2, a, x, F)), ex, F))
            # inherent: |log w| plus the cancellation in z' + z: κ = 1 + |L| + |z'−z|(|z|+|z'|)/... (absolute in log w)
            z = (mpf(a) - mpf(th[0]) * mpf(x)) / mpf(th[1]); z2 = (mpf(a) - mpf(th2[0]) * mpf(x)) / mpf(th2[1])
            K = 1 + abs(lw) + abs(z2 - z) * (abs(z) + abs(z2))
            kappa_errs.append(e / float(K))
        out.append(f"## item 3 random far-tail {F.__name__}")
        out.append("  " + report("w new", errs)); out.append("  " + report("w naive", naive))
        out.append("  " + report("w new / K, K = 1+|log w|+|z'−z|(|z|+|z'|)", kappa_errs))

    out.append("## item 4: issue inputs Gaussian KL")
    cases = [(0, 1, 0, 1 + 1e-9), (0, 1, 0, 1e10), (0, 1e10, 0, 1), (0, 1, 0, 1e17), (0, 1e-150, 0, 1e150),
             (1e308, 1e200, -1e308, 1e200), (-1e308, 1e200, 1e308, 1e200)]
    for c in cases:
        ex = gauss_kl_exact(*c); v = gauss_kl(*c); cur = gauss_kl_current(*c)
        out.append(f"  {c}: exact {mp.nstr(ex, 20)} new {v!r} ({ulps(v, ex):.3g}) current {cur!r}")
    c = (1, 1, 1.0000001, 1); ex = gauss_kl_exact(*c, x=1000)
    out.append(f"  linear θ=[1,1]→[1.0000001,1] s=1000: exact {mp.nstr(ex, 20)} new {gauss_kl(*c, x=1000)!r} ({ulps(gauss_kl(*c, x=1000), ex):.3g}) current {gauss_kl_current(*c, x=1000)!r} ({ulps(gauss_kl_current(*c, x=1000), ex):.3g})")
    ex = gauss_kl_exact(0, 1, 0, 1.0001); v = gauss_kl(0, 1, 0, 1.0001, F=F32)
    ex = gauss_kl_exact(0, 1, 0, float(F32(1.0001)))
    out.append(f"  f32 σ'=1.0001: exact {mp.nstr(ex, 15)} new {v!r} ({ulps(v, ex, F32):.3g} ulp32) current {gauss_kl_current(0, 1, 0, 1.0001, F=F32)!r}")
    for F in (F64, F32):
        rng = random.Random(5); errs, cur = [], []
        for i in range(400):
            kind = rng.choice(['near1', 'ulps', 'huge', 'mean', 'linear', 'extreme'])
            s = 10 ** rng.uniform(-5, 5); m = rng.uniform(-10, 10); x = 1.0
            if kind == 'near1':
                s2 = s * (1 + rng.gauss(0, 1) * 10 ** rng.uniform(-15 if F is F64 else -7, -1)); m2 = m
            elif kind == 'ulps':
                s2 = s * (1 + rng.randint(-20, 20) * EPS[F]); m2 = m + rng.randint(-3, 3) * EPS[F] * abs(m)
            elif kind == 'huge':
                s2 = s * 10 ** rng.uniform(-30, 30); m2 = m + rng.gauss(0, 1)
            elif kind == 'mean':
                s2 = s; m2 = m + rng.gauss(0, 1) * s * 10 ** rng.uniform(-8, 2)
            elif kind == 'linear':
                s2 = s * (1 + 1e-3 * rng.gauss(0, 1)); x = rng.uniform(-1e4, 1e4); m2 = m * (1 + 10 ** rng.uniform(-12 if F is F64 else -5, -1))
            else:
                e = 300 if F is F64 else 36
                s = 10 ** rng.uniform(-e, e); s2 = 10 ** rng.uniform(-e, e); m = rng.uniform(-1, 1) * 10 ** rng.uniform(-e, e); m2 = -m
            r = lambda v: float(F(v))
            args = (r(m), r(s), r(m2), r(s2))
            if args[1] == 0 or args[3] == 0 or not all(map(math.isfinite, args)): continue
            ex = gauss_kl_exact(*args, x=r(x))
            if ex == 0 or ex > np.finfo(F).max / 2 or ex < np.finfo(F).tiny: continue
            errs.append(ulps(gauss_kl(*args, x=r(x), F=F), ex, F))
            cur.append(ulps(gauss_kl_current(*args, x=r(x), F=F), ex, F))
        out.append(f"## item 4 random {F.__name__}")
        out.append("  " + report("KL new", errs)); out.append("  " + report("KL current", cur))

    out.append("## item 5: Gaussian score ∂/∂σ at θ=[0,100], a=2e156")
    ex = gauss_score_exact([0, 100], 2e156, 1)
    out.append(f"  exact {mp.nstr(ex, 20)} new {gauss_score_sigma([0, 100], 2e156, 1)!r} current {gauss_score_sigma_current([0, 100], 2e156, 1)!r}")
    for F in (F64, F32):
        rng = random.Random(6); errs, cur = [], []
        for i in range(300):
            s = 10 ** rng.uniform(-100 if F is F64 else -15, 100 if F is F64 else 15); mu = rng.uniform(-1, 1) * s
            kind = rng.choice(['nearsig', 'huge', 'plain'])
            if kind == 'nearsig': a = mu + rng.choice([-1, 1]) * s * (1 + rng.gauss(0, 1) * 10 ** rng.uniform(-12, -1))
            elif kind == 'huge': a = mu + s * 10 ** rng.uniform(100 if F is F64 else 10, 200 if F is F64 else 25)
            else: a = mu + s * rng.gauss(0, 3)
            r = lambda v: float(F(v)); th = [r(mu), r(s)]; a = r(a)
            if not math.isfinite(a): continue
            ex = gauss_score_exact(th, a, 1)
            if abs(ex) > np.finfo(F).max or abs(ex) < np.finfo(F).tiny: continue
            errs.append(ulps(gauss_score_sigma(th, a, 1, F), ex, F)); cur.append(ulps(gauss_score_sigma_current(th, a, 1, F), ex, F))
        out.append(f"## item 5 Gaussian ∂/∂σ random {F.__name__}")
        out.append("  " + report("new", errs)); out.append("  " + report("current", cur))
    print("\n".join(out))

if __name__ == "__main__":
    main()
