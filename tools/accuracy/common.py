"""Shared helpers: exact rounding, error-free transformations, ulp errors, mpmath refs."""
import math, random
from fractions import Fraction
import numpy as np
import mpmath as mp

mp.mp.dps = 100
F64, F32 = np.float64, np.float32
PREC = {F64: (53, -1022, 1024), F32: (24, -126, 128)}   # p, emin, emax
U = {F64: 2.0**-53, F32: 2.0**-24}                       # unit roundoff
EPS = {F64: 2.0**-52, F32: 2.0**-23}                     # ulp of 1 (the "ulp" unit used below)

def round_to(x, F):
    """Correctly round an exact Fraction/int to dtype F (ties to even, subnormals, overflow)."""
    x = Fraction(x)
    if x == 0:
        return F(0.0)
    p, emin, emax = PREC[F]
    s = -1 if x < 0 else 1
    a = abs(x)
    e = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** e > a:
        e -= 1
    e = max(e, emin)
    scale = Fraction(2) ** (e - p + 1)
    q = a / scale
    n = q.numerator // q.denominator
    rem = q - n
    if rem > Fraction(1, 2) or (rem == Fraction(1, 2) and n % 2 == 1):
        n += 1
    r = n * scale
    if r >= Fraction(2) ** emax:
        return F(s * np.inf)
    return F(s * float(r)) if F is F64 else F(np.float32(s * float(r)))

def fma(a, b, c, F=None):
    F = F or type(a)
    return round_to(Fraction(float(a)) * Fraction(float(b)) + Fraction(float(c)), F)

def two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)

def two_prod(a, b):
    p = a * b
    return p, fma(a, b, -p)

def neumaier(xs, F):
    s, c = F(0), F(0)
    for x in xs:
        s, e = two_sum(s, F(x))
        c = c + e
    return s + c

def dot2(xs, ys, F):
    """Ogita-Rump-Oishi Dot2: result as accurate as if computed in 2x precision."""
    s, c = F(0), F(0)
    for x, y in zip(xs, ys):
        p, pe = two_prod(F(x), F(y))
        s, se = two_sum(s, p)
        c = c + (pe + se)
    return s + c

def mpf(x):
    return mp.mpf(float(x)) if not isinstance(x, mp.mpf) else x

def ulps(computed, exact, F=F64):
    """|computed - exact| / |exact| in units of EPS[F] (2^-52 for f64, 2^-23 for f32)."""
    exact = mp.mpf(exact)
    c = mp.mpf(float(computed))
    if exact == 0:
        return 0.0 if c == 0 else float('inf')
    if not mp.isfinite(c):
        return float('inf')
    return float(abs(c - exact) / abs(exact) / EPS[F])

def fmt_ref(x, name=""):
    """f64 literal (shortest round-trip of the correctly rounded value) and 30 digits."""
    x = mp.mpf(x)
    lit = repr(float(round_to(mp_to_fraction(x), F64)))
    return f"{name}: {lit}  // {mp.nstr(x, 30, min_fixed=-5, max_fixed=5)}"

def mp_to_fraction(x):
    x = mp.mpf(x)
    if x == 0:
        return Fraction(0)
    m, e = mp.frexp(x)  # x = m*2^e, 0.5<=|m|<1
    mm = int(mp.nint(m * mp.mpf(2) ** 400))
    return Fraction(mm) * Fraction(2) ** (e - 400)

def report(name, errs):
    errs = [e for e in errs]
    finite = [e for e in errs if math.isfinite(e)]
    mx = max(errs) if errs else 0
    return f"{name}: n={len(errs)} max={mx:.3g} ulp  p99={np.percentile(finite,99) if finite else float('nan'):.3g}  mean={np.mean(finite) if finite else float('nan'):.3g}"
