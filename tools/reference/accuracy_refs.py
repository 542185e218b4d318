"""Reference values for the accuracy regressions of issue #16, items 1-5 and 7
(crates/pgoracle/tests/accuracy_policies.rs).

Standalone: mpmath only (tools/reference/requirements.txt), 100 significant digits. Every input
is the exact binary value of the f64 (or f32) literal the test passes, and every quantity is
evaluated from its definition, except the softmax KL, which is evaluated from the identity
KL = log Σ_b p_b e^(d_b − c), d = θ′ − θ, c = Σ p d (its defining form cancels; both are checked
to agree at 200 digits). Prints, per input, the correctly rounded f64 literal and 30 digits.

    python3 tools/reference/accuracy_refs.py
"""
import struct

import mpmath as mp

mp.mp.dps = 100


def f32(x):
    """The f32 nearest to x, as an exact Python float."""
    return struct.unpack("f", struct.pack("f", x))[0]


def lse(v):
    m = max(v)
    return m + mp.log(mp.fsum(mp.exp(x - m) for x in v))


def softmax_kl(theta, theta_prime):
    th = [mp.mpf(x) for x in theta]
    th2 = [mp.mpf(x) for x in theta_prime]
    with mp.workdps(200):
        p = [mp.exp(x - lse(th)) for x in th]
        d = [b - a for a, b in zip(th, th2)]
        c = mp.fsum(pb * db for pb, db in zip(p, d))
        kl = mp.log(mp.fsum(pb * mp.exp(db - c) for pb, db in zip(p, d)))
        # The defining form Σ p (log p − log q), at 200 digits, agrees to far beyond 100.
        direct = mp.fsum(pb * ((a - lse(th)) - (b - lse(th2))) for pb, a, b in zip(p, th, th2))
        assert abs(kl - direct) <= abs(kl) * mp.mpf(10) ** -100
    return kl


def softmax_one_minus_p(theta, a):
    th = [mp.mpf(x) for x in theta]
    return mp.fsum(mp.exp(x) for b, x in enumerate(th) if b != a) / mp.fsum(mp.exp(x) for x in th)


def gaussian_log_w(theta, theta_prime, a, x=1.0):
    def log_pdf(t):
        z = (mp.mpf(a) - mp.mpf(t[0]) * mp.mpf(x)) / mp.mpf(t[1])
        return -z * z / 2 - mp.log(mp.mpf(t[1]))

    return log_pdf(theta_prime) - log_pdf(theta)


def gaussian_kl(m, s, m2, s2, x=1.0):
    m, s, m2, s2, x = (mp.mpf(v) for v in (m, s, m2, s2, x))
    with mp.workdps(300):  # ρ² − 1 − 2 ln ρ cancels for ρ ≈ 1
        r = s / s2
        return (r * r - 1 - 2 * mp.log(r)) / 2 + ((m - m2) * x / s2) ** 2 / 2


def kl_categorical(p, q):
    with mp.workdps(300):
        return mp.fsum(mp.mpf(a) * mp.log(mp.mpf(a) / mp.mpf(b)) for a, b in zip(p, q) if a != 0)


def trust_region_candidates():
    """Softmax θ = [2, 0], one step (s 0, a 0, r 1), γ = 1, ε = 1e-18, damped λ = 1e-6: the
    exact natural step θ + u·√(2ε/gᵀu), u = (ggᵀ + λI)⁻¹g, halved k times, rounded to f64."""
    p1 = 1 / (1 + mp.exp(2))
    g = [p1, -p1]
    lam, eps = mp.mpf(1e-6), mp.mpf(1e-18)
    u = [x / (g[0] ** 2 + g[1] ** 2 + lam) for x in g]  # g is an eigenvector of ggᵀ + λI
    scale = mp.sqrt(2 * eps / (g[0] * u[0] + g[1] * u[1]))
    return [[float(mp.mpf([2, 0][i]) + u[i] * scale / 2**k) for i in range(2)] for k in range(3)]


def row(name, x):
    print(f"{name}: {float(x)!r}  // {mp.nstr(x, 30)}")


row("1a softmax KL [0.5,-0.25,1] -> [0.501,-0.25,1]", softmax_kl([0.5, -0.25, 1], [0.501, -0.25, 1]))
row(
    "1b softmax KL [0.027686821201239973,-0.18373348192489972] -> [0.027686821201241302,-0.18373348192490158]",
    softmax_kl([0.027686821201239973, -0.18373348192489972], [0.027686821201241302, -0.18373348192490158]),
)
row("1c softmax KL [40,0,0] -> [40,1,-1]", softmax_kl([40, 0, 0], [40, 1, -1]))
for k, cand in enumerate(trust_region_candidates()):
    row(f"1d trust region shrink {k}: theta' = {cand!r}, g = KL", softmax_kl([2, 0], cand))
row("2a softmax 1 - p_0, theta = [30, 0]", softmax_one_minus_p([30, 0], 0))
row("2b softmax 1 - p_0, theta = [40, 0]", softmax_one_minus_p([40, 0], 0))
lw = (mp.mpf(1e-10) - lse([mp.mpf(40), mp.mpf(1e-10)])) - (0 - lse([mp.mpf(40), mp.mpf(0)]))
row("2c softmax w, [40,0] -> [40,1e-10], a = 1", mp.exp(lw))
lw = gaussian_log_w([0, 1], [1e-7, 1], 1234567.891)
row("3 Gaussian w, [0,1] -> [1e-7,1], a = 1234567.891", mp.exp(lw))
row("3 Gaussian log w (same)", lw)
for case in [(0, 1, 0, 1 + 1e-9), (0, 1, 0, 1e10), (0, 1, 0, 1e17), (0, 1e-150, 0, 1e150), (1e308, 1e200, -1e308, 1e200)]:
    row(f"4 kl_gaussian{case}", gaussian_kl(*case))
row("4 kl_gaussian (0, 1, 0, 1.0001) f64", gaussian_kl(0, 1, 0, 1.0001))
row("4 kl_gaussian (0, 1, 0, 1.0001f32) f32", gaussian_kl(0, 1, 0, f32(1.0001)))
row("4 LinearGaussian KL [1,1] -> [1.0000001,1], s = 1000", gaussian_kl(1, 1, 1.0000001, 1, x=1000))
y, s = mp.mpf(2e156), mp.mpf(100)
row("5 Gaussian d/dsigma, theta = [0,100], a = 2e156", (y * y - s * s) / s**3)
row("5 Gaussian d/dmu, theta = [0,100], a = 2e156", y / s**2)
row("7 kl_categorical [0.5,0.3,0.2] || [0.5000000001,0.3,0.1999999999]",
    kl_categorical([0.5, 0.3, 0.2], [0.5000000001, 0.3, 0.1999999999]))
