"""100-digit references for every input of issue 16 (items 1-7), as Rust f64 literal + 30 digits."""
from common import *
from softmax import softmax_kl_exact, softmax_score_exact
from gaussian import gauss_log_w_exact, gauss_kl_exact, gauss_score_exact
from sums_misc import kl_cat_exact, rtg_exact
def lit(x):
    return repr(float(round_to(mp_to_fraction(mp.mpf(x)), F64)))
def row(name, x):
    with mp.workdps(100):
        print(f"| {name} | `{lit(x)}` | {mp.nstr(mp.mpf(x), 30)} |")
print("| input | f64 literal | 30 digits |\n|---|---|---|")
row("1a softmax KL [0.5,-0.25,1]→[0.501,-0.25,1]", softmax_kl_exact([0.5, -0.25, 1], [0.501, -0.25, 1]))
row("1b softmax KL [0.027686821201239973,-0.18373348192489972]→[0.027686821201241302,-0.18373348192490158]",
    softmax_kl_exact([0.027686821201239973, -0.18373348192489972], [0.027686821201241302, -0.18373348192490158]))
row("1c softmax KL [40,0,0]→[40,1,-1]", softmax_kl_exact([40, 0, 0], [40, 1, -1]))
import trust_region_example as tr
for k, c, kl, w, ok, _ in tr.run(True):
    print(f"| 1d TR θ=[2,0] exact-arith shrink {k}: g (ε=1e-18) | `{lit(mp.mpf(kl))}` | {kl} (accept={ok}) |")
row("2a score 1−p₀, θ=[30,0]", softmax_score_exact([30, 0], 0))
row("2b score 1−p₀, θ=[40,0]", softmax_score_exact([40, 0], 0))
row("3 w, Gaussian [0,1]→[1e-7,1], a=1234567.891", mp.exp(gauss_log_w_exact([0, 1], [1e-7, 1], 1234567.891, 1)))
row("3 log w (same)", gauss_log_w_exact([0, 1], [1e-7, 1], 1234567.891, 1))
for c in [(0, 1, 0, 1 + 1e-9), (0, 1, 0, 1e10), (0, 1, 0, 1e17), (0, 1e-150, 0, 1e150), (1e308, 1e200, -1e308, 1e200)]:
    row(f"4 kl_gaussian{c}", gauss_kl_exact(*c))
row("4 kl_gaussian f32 (0,1,0,1.0001f32=1.00010001659393310546875)", gauss_kl_exact(0, 1, 0, float(F32(1.0001))))
row("4 kl_gaussian (0,1,0,1.0001) f64 input", gauss_kl_exact(0, 1, 0, 1.0001))
row("4 linear_gaussian KL θ=[1,1]→[1.0000001,1], s=1000", gauss_kl_exact(1, 1, 1.0000001, 1, x=1000))
row("5 restricted_step length √(2·1e308)", mp.sqrt(2 * mpf(1e308)))
row("5 gradient_ascent −1e308 + 2·1e308", -mpf(1e308) + 2 * mpf(1e308))
row("5 gradient_ascent 1 + 0.1·(−10.000000001)", 1 + mpf(0.1) * mpf(-10.000000001))
row("5 fisher [[1.3e154],[1.3e154]]", mpf(1.3e154) ** 2)
row("5 Gaussian ∂/∂σ θ=[0,100], a=2e156", gauss_score_exact([0, 100], 2e156, 1))
row("5 Gaussian ∂/∂μ θ=[0,100], a=2e156", mpf(2e156) / 10000)
row("6 R(τ) r=[1e16,1,−1e16], γ=1", mp.mpf(rtg_exact([1e16, 1, -1e16], 1.0)[0].numerator) / rtg_exact([1e16, 1, -1e16], 1.0)[0].denominator)
print("| 6 R(τ) r=[−1,1e16,1,−1e16], γ=1 | `0.0` | 0 (exact) |")
row("7 kl_categorical [0.5,0.3,0.2]‖[0.5000000001,0.3,0.1999999999]", kl_cat_exact([0.5, 0.3, 0.2], [0.5000000001, 0.3, 0.1999999999]))
