"""References for crates/pgoracle/tests/accuracy_steps.rs (issue #16, items 5, 6 and 9).

Every input is the exact binary value of the f64 literal in the test (mpf(float) is exact); every
result is evaluated at 100 significant digits and printed as the correctly rounded f64 literal
and 30 digits. Run: python3 tools/reference/accuracy_steps_refs.py (needs mpmath).
"""
from mpmath import mp, mpf, matrix, lu_solve, sqrt

mp.dps = 100


def show(name, x):
    print(f"{name}: {float(x)!r}  {mp.nstr(x, 30)}")


# Item 5, restricted_step: length √(2ε) at ε = 1e308.
show("restricted_step sqrt(2*1e308)", sqrt(2 * mpf(1e308)))
# Item 5, gradient_ascent θ + α g.
show("gradient_ascent -1e308 + 2*1e308", mpf(-1e308) + 2 * mpf(1e308))
show("gradient_ascent 1 + 0.1*(-10.000000001)", mpf(1) + mpf(0.1) * mpf(-10.000000001))
# Item 5, fisher of the scores [1.3e154], [1.3e154]: (s² + s²)/2.
show("fisher [[1.3e154],[1.3e154]]", (mpf(1.3e154) ** 2 + mpf(1.3e154) ** 2) / 2)


def natural(scores, grads, eps, damping=0):
    """u = (GᵀG/m + λI)⁻¹ g and Δ = u·√(2ε/gᵀu), with g = mean of grads."""
    m, n = len(scores), len(scores[0])
    G = matrix([[mpf(x) for x in row] for row in scores])
    F = (G.T * G) / m + damping * mp.eye(n)
    g = matrix([sum(mpf(row[j]) for row in grads) / m for j in range(n)])
    u = lu_solve(F, g)
    gu = sum(g[j] * u[j] for j in range(n))
    return u, [u[j] * sqrt(2 * mpf(eps) / gu) for j in range(n)]


# Item 5, exact solver on scores near 1e-160 (F ~ 1e-320 is subnormal without scaling).
u, d = natural([[3e-160, 1e-160], [1e-160, 2e-160]], [[2e-160, 1e-160], [0.0, 3e-160]], 0.5)
for j in range(2):
    show(f"exact solver 1e-160: u[{j}]", u[j])
    show(f"exact solver 1e-160: delta[{j}]", d[j])
# Item 5, conjugate gradient on scores ~1e135 with gradients ~1e37 (pᵀFp overflows unscaled).
u, d = natural([[1e135, 0.0], [0.0, 2e135]], [[1e37, 1e37], [1e37, 1e37]], 0.5)
for j in range(2):
    show(f"cg 1e135: u[{j}]", u[j])
    show(f"cg 1e135: delta[{j}]", d[j])

# Item 6, compensated returns (γ = 1) and the γ = 1e-29 discount.
show("R(tau) [1e16, 1, -1e16]", mpf(1e16) + 1 - mpf(1e16))
show("R(tau) [-1, 1e16, 1, -1e16]", -1 + mpf(1e16) + 1 - mpf(1e16))
show("R(tau) gamma=1e-29, r13=1e300", mpf(1e300) * mpf(1e-29) ** 12)
# Item 6, mean over trajectories of score·R: scores [1, 0], returns 1e16, 1, −1e16.
show("grad mean (1e16 + 1 - 1e16)/3", (mpf(1e16) + 1 - mpf(1e16)) / 3)
