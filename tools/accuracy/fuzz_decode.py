"""Decode natural_update fuzz artifacts exactly as arbitrary 1.4.x (`derive`, take_rest) would."""
import sys, struct, glob, os
import numpy as np

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 0.1, 0.2, 1.0 + 2**-52, 1.0 - 2**-53, 2**-52, 1e-8, 1e8,
           1e-150, 1e150, 1e-160, 1e160, 1e-200, 1e200, 1e-300, 1e300, 2.2250738585072014e-308, 5e-324,
           1e-310, 1.7976931348623157e308, -1.7976931348623157e308, float('nan'), float('inf'), float('-inf')]

class U:
    def __init__(s, b): s.d = bytes(b)
    def take(s, n):
        b = s.d[:n]; s.d = s.d[n:]; return b + bytes(n - len(b))
    def uint(s, n): return int.from_bytes(s.take(n), 'little')
    def sint(s, n):
        v = s.uint(n); return v - (1 << (8 * n)) if v >= 1 << (8 * n - 1) else v
    def boolean(s): return s.uint(1) & 1 == 1
    def int_in_range(s, lo, hi, size):
        if lo == hi: return lo
        mask = (1 << (8 * size)) - 1
        delta = (hi - lo) & mask
        acc, used = 0, 0
        while used < size and (delta >> (used * 8)) > 0:
            if not s.d: break
            byte = s.d[0]; s.d = s.d[1:]; used += 1
            acc = byte if size == 1 else ((acc << 8) | byte) & mask
        off = acc if delta == mask else acc % (delta + 1)
        r = ((lo & mask) + off) & mask
        return r - (1 << (8 * size)) if lo < 0 and r >= 1 << (8 * size - 1) else r
    def variant(s, count): return (s.uint(4) * count) >> 32

def num(u):
    k = u.int_in_range(0, 3, 1)
    if k == 0: return SPECIAL[u.int_in_range(0, len(SPECIAL) - 1, 8)]
    if k == 1: return u.int_in_range(-16, 16, 1) / 4.0
    if k == 2:
        digit = float(u.int_in_range(-9, 9, 1)); e = u.int_in_range(-330, 310, 4)
        return digit * float(f"1e{e}")
    return struct.unpack('<d', u.take(8))[0]

def solver(u):
    v = u.variant(5)
    if v == 0: return ('Exact',)
    if v == 1: return ('Damped', num(u))
    if v == 2: return ('PseudoInverse', num(u))
    if v == 3:
        mi = u.uint(2); tol = num(u); dmp = num(u); strict = u.boolean()
        return ('CG', {'max_iters': mi % 65, 'tol': tol, 'damping': dmp, 'strict': strict})
    return ('CGOverLimit',)

def scores(u):
    v = u.variant(6)
    if v == 0: return ('Raw',)
    if v == 1: return ('LowRank', u.uint(1))
    if v == 2: return ('DuplicateColumn',)
    if v == 3: return ('ScaledColumns', [u.sint(2) for _ in range(4)])
    if v == 4: return ('Scaled', u.sint(2))
    return ('NearlySingular', u.uint(1))

def decode(b):
    u = U(b)
    c = {'f32': u.boolean(), 'n': 1 + u.uint(1) % 4, 'm': 1 + u.uint(1) % 6, 'epsilon': num(u),
         'solver': solver(u), 'scores': scores(u), 'grads': ['Raw', 'LikelihoodRatio', 'Zero'][u.variant(3)]}
    c['defect'] = (['EmptyTheta', 'NoTrajectories', 'LongTheta', 'LongGradient', 'ShortScore', 'MissingGradient'][u.variant(6)]
                   if u.boolean() else None)
    pool = []
    while u.d and u.boolean():
        pool.append(num(u))
    # the take-rest iterator stops when the "keep going" bool is false or data runs out
    c['pool'] = pool
    return c

def ten(e):
    try: return float(f"1e{e}")
    except Exception: return float('nan')

def inputs(c):
    n, m, pool = c['n'], c['m'], c['pool']; i = [0]
    def draw():
        k = i[0]; i[0] += 1
        return (k % 5) - 2.0 if not pool else pool[k % len(pool)]
    mat = lambda r, q: np.array([[draw() for _ in range(q)] for _ in range(r)])  # from_fn: column-major!
    def matc(r, q):
        a = np.empty((r, q))
        for j in range(q):
            for ii in range(r): a[ii, j] = draw()
        return a
    theta = [draw() for _ in range(n)]
    s = c['scores']
    with np.errstate(all='ignore'):
        if s[0] == 'Raw': G = matc(m, n)
        elif s[0] == 'LowRank':
            k = 1 + s[1] % n; G = matc(m, k) @ matc(k, n)
        elif s[0] == 'DuplicateColumn':
            G = matc(m, n); G[:, n - 1] = G[:, 0]
        elif s[0] == 'ScaledColumns':
            G = matc(m, n)
            for j in range(n): G[:, j] *= ten(int(np.fmod(s[1][j], 160)))
        elif s[0] == 'Scaled': G = matc(m, n) * ten(int(np.fmod(s[1], 330)))
        else:
            G = matc(m, 1) @ matc(1, n) + matc(m, n) * ten(-(s[1] % 20))
        if c['grads'] == 'Raw': grads = [[draw() for _ in range(n)] for _ in range(m)]
        elif c['grads'] == 'LikelihoodRatio':
            grads = []
            for r in G:
                rr = draw(); grads.append([x * rr for x in r])
        else: grads = [[0.0] * n for _ in range(m)]
    return theta, G, np.array(grads), c['epsilon']

if __name__ == "__main__":
    for f in sorted(f for h in ('0d7a8587', '332c8991', '8491218c', '8b6fb2ea', 'ef138180') for f in glob.glob('fuzz/corpus/natural_update/regression-*-' + h)):
        c = decode(open(f, 'rb').read())
        print(os.path.basename(f)[:14], c)
        th, G, gr, eps = inputs(c)
        print('   theta', th); print('   G', G.tolist()); print('   grads', gr.tolist()); print('   eps', eps)
