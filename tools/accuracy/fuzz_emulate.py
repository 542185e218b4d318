"""Emulate natural_update (f32 damped cases, CG cases) and the harness's property-4 check."""
import numpy as np, glob, os
from fuzz_decode import decode, inputs
np.seterr(all='ignore')

def chol_solve(A, b, F):
    n = len(b); L = np.zeros((n, n), F)
    for j in range(n):
        s = A[j, j] - sum(L[j, k] * L[j, k] for k in range(j)); L[j, j] = np.sqrt(F(s))
        for i in range(j + 1, n):
            L[i, j] = (A[i, j] - sum(L[i, k] * L[j, k] for k in range(j))) / L[j, j]
    y = np.zeros(n, F)
    for i in range(n): y[i] = (b[i] - sum(L[i, k] * y[k] for k in range(i))) / L[i, i]
    x = np.zeros(n, F)
    for i in reversed(range(n)): x[i] = (y[i] - sum(L[k, i] * x[k] for k in range(i + 1, n))) / L[i, i]
    return x

def cg(G, g, p, F):
    m = F(G.shape[0]); lam = F(p['damping'])
    apply = lambda v: (G.T @ (G @ v)) / m + v * lam
    target = F(p['tol']) * np.linalg.norm(g)
    u = np.zeros_like(g); r = g.copy(); d = r.copy(); rr = r @ r; it = 0
    while it < p['max_iters'] and not np.sqrt(rr) <= target:
        ap = apply(d); curv = d @ ap
        if not (curv > 0 and np.isfinite(curv)): break
        st = rr / curv; u = u + d * st; r = r - ap * st; rn = r @ r; it += 1
        d = r + d * (rn / rr); rr = rn
    return u, it, curv if it == 0 else None

def natural_step(theta, g, u, eps, F):
    two = F(2) * F(eps); gu = g @ u; normal = np.finfo(F).tiny
    if np.isfinite(gu) and gu > 0 and gu >= normal and two / gu >= normal:
        return theta + u * np.sqrt(two / gu), 'direct', gu
    s, t = np.max(np.abs(g)), np.max(np.abs(u))
    sc = (g / s) @ (u / t)
    return theta + (u / t) * (np.sqrt(two) * np.sqrt(t) / (np.sqrt(s) * np.sqrt(sc))), 'scaled', gu

for f in sorted(f for h in ('0d7a8587', '332c8991', '8491218c', '8b6fb2ea', 'ef138180') for f in glob.glob('fuzz/corpus/natural_update/regression-*-' + h)):
    c = decode(open(f, 'rb').read()); th, G, gr, eps = inputs(c)
    F = np.float32 if c['f32'] else np.float64
    th, G, gr = th and np.array(th, F), G.astype(F), gr.astype(F); eps = F(eps)
    g = gr.sum(0) / F(len(gr))
    m = F(G.shape[0]); Fm = (G.T @ G) / m
    kind = c['solver'][0]
    if kind == 'Damped':
        u = chol_solve(Fm + np.eye(len(g), dtype=F) * F(c['solver'][1]), g, F)
    elif kind == 'CG':
        u, it, _ = cg(G, g, c['solver'][1], F)
    else:
        w, V = np.linalg.eigh(Fm.astype(np.float64)); cut = c['solver'][1] * np.max(np.abs(w))
        co = V.T @ g; co = np.where((np.abs(w) > cut) & (w != 0), co / np.where(w == 0, 1, w), 0); u = (V @ co).astype(F)
    tp, branch, gu = natural_step(th, g, u, eps, F)
    gw, uw = g.astype(np.float64), u.astype(np.float64); s, t = np.max(np.abs(gw)), np.max(np.abs(uw))
    dot = (gw / s) @ (uw / t)
    fac = np.sqrt(2 * float(eps)) * np.sqrt(t) / (np.sqrt(s) * np.sqrt(dot)) if dot > 0 else np.nan
    print(os.path.basename(f)[:14], kind, F.__name__, 'branch', branch, 'gᵀu', gu)
    print('   g', g, '\n   u', u, '\n   θ′−θ', (tp.astype(np.float64) - th.astype(np.float64)), '\n   harness expects', (uw / t) * fac, 'ĝᵀû', dot)
