#!/usr/bin/python3
"""Reference values for FedPrompt's Rényi-DP accountant, computed independently in high precision.

The RDP of the sampled Gaussian mechanism (sampling rate q, noise multiplier sigma) at order alpha
is log(A_alpha) / (alpha - 1), where (Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of
the Sampled Gaussian Mechanism")

    A_alpha = E_{z ~ N(0, sigma^2)} [ ((1 - q) + q * exp((2z - 1) / (2 sigma^2)))^alpha ].

This script evaluates A_alpha with mpmath at 40 significant digits, two ways that share no code
with the C# implementation (which uses the paper's series in double-precision log space):
  * integer alpha: the paper's binomial expansion, summed exactly;
  * fractional alpha: numerical integration of the definition above, checked against the paper's
    series for fractional orders (the two erfc-weighted sums split at
    z0 = sigma^2 log(1/q - 1) + 1/2).
For q = 1 the mechanism is the plain Gaussian one and RDP = alpha / (2 sigma^2) (Mironov 2017).
Composition over steps multiplies RDP by the step count. (epsilon, delta) follow from RDP by
  * improved (Balle et al. 2020, "Hypothesis testing interpretations and Renyi differential
    privacy", Thm. 21 of arXiv:1905.09982; what Opacus uses):
        eps = rdp - (log delta + log alpha) / (alpha - 1) + log((alpha - 1) / alpha)
  * classical (Mironov 2017, "Rényi Differential Privacy", Prop. 3; what TF Privacy used when
    its MNIST numbers were published):  eps = rdp + log(1 / delta) / (alpha - 1)
each minimised over the order grid.

Published values the cases are checked against (the script stops if one does not reproduce):
  * TF Privacy, compute_dp_sgd_privacy.py docstring and tutorials/README.md: DP-SGD on MNIST,
    N = 60000, batch 256, noise multiplier 1.12, 60 epochs, delta = 1e-5 -> eps 2.92 (classical).
  * TF Privacy, rdp_accountant_test.py: compute_rdp(0.1, 2, 10, 5) = 0.07737;
    compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100]) = [0.00065, 0.001085, 0.00218075,
    0.023846, 167.416307]; the two-mechanism composition gives eps 8.509656 at order 2.5
    (classical); a constant RDP of 1.1 at orders 2..32 gives eps 1.32783806176 at order 32
    (improved).

Output: tests/fixtures/privacy/rdp_reference.json (overwritten).
  /usr/bin/python3 tools/rdp_reference.py
"""
import json
import math
import os

import mpmath
from mpmath import mp, mpf

mp.dps = 40

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "privacy")

# FedPrompt's default order grid (TF Privacy's compute_dp_sgd_privacy.py and dp_accounting's RDP
# accountant use the same one).
DEFAULT_ORDERS = [1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5] + [float(a) for a in range(5, 64)] + [128.0, 256.0, 512.0]
# The grid of TF Privacy's MNIST tutorial (mnist_dpsgd_tutorial.py) and Opacus' DEFAULT_ALPHAS.
TUTORIAL_ORDERS = [1 + x / 10.0 for x in range(1, 100)] + [float(a) for a in range(12, 64)]


def log_a_binomial(q, sigma, alpha):
    q, sigma = mpf(q), mpf(sigma)
    total = mpmath.fsum(
        mpmath.binomial(alpha, i) * q**i * (1 - q) ** (alpha - i) * mpmath.exp((i * i - i) / (2 * sigma**2))
        for i in range(alpha + 1))
    return mpmath.log(total)


def log_a_integral(q, sigma, alpha):
    q, sigma, alpha = mpf(q), mpf(sigma), mpf(alpha)

    def integrand(z):
        return mpmath.npdf(z, 0, sigma) * ((1 - q) + q * mpmath.exp((2 * z - 1) / (2 * sigma**2))) ** alpha

    # The integrand's mass sits near 0 (the (1 - q) part), near alpha (where the q part peaks) and
    # changes regime at z0; splitting there keeps tanh-sinh quadrature on smooth pieces.
    z0 = sigma**2 * mpmath.log(1 / q - 1) + mpf(1) / 2
    points = sorted({c + k * sigma for c in (mpf(0), z0, alpha) for k in (-30, -3, 0, 3, 30)})
    total = mpmath.quad(integrand, [-mpmath.inf] + points + [mpmath.inf], maxdegree=10)
    return mpmath.log(total)


def log_a_fractional_series(q, sigma, alpha):
    """The paper's series for fractional alpha, summed with signs in high precision."""
    q, sigma, alpha = mpf(q), mpf(sigma), mpf(alpha)
    z0 = sigma**2 * mpmath.log(1 / q - 1) + mpf(1) / 2
    total = mpf(0)
    i = 0
    while True:
        j = alpha - i
        coefficient = mpmath.binomial(alpha, i)
        below = coefficient * q**i * (1 - q) ** j * mpmath.exp((i * i - i) / (2 * sigma**2)) \
            * mpmath.erfc((i - z0) / (mpmath.sqrt(2) * sigma)) / 2
        above = coefficient * q**j * (1 - q) ** i * mpmath.exp((j * j - j) / (2 * sigma**2)) \
            * mpmath.erfc((z0 - j) / (mpmath.sqrt(2) * sigma)) / 2
        total += below + above
        i += 1
        # Past alpha the signs alternate and the terms shrink, so the first omitted term bounds the error.
        if i > alpha + 1 and max(abs(below), abs(above)) < mpf(10) ** -14 * total:
            return mpmath.log(total)


def rdp_one_step(q, sigma, alpha):
    if q == 1:
        return mpf(alpha) / (2 * mpf(sigma) ** 2)
    if float(alpha).is_integer():
        log_a = log_a_binomial(q, sigma, int(alpha))
    else:
        log_a = log_a_integral(q, sigma, alpha)
        series = log_a_fractional_series(q, sigma, alpha)
        # The series stops once a term is below 1e-14 of A (>= 1), so they agree to about that, absolutely.
        assert abs(series - log_a) <= mpf(10) ** -13, (q, sigma, alpha, log_a, series)
    return log_a / (alpha - 1)


def epsilon(orders, rdp, delta, conversion):
    delta = mpf(delta)
    best = None
    for alpha, r in zip(orders, rdp):
        a = mpf(alpha)
        if conversion == "improved":
            eps = r - (mpmath.log(delta) + mpmath.log(a)) / (a - 1) + mpmath.log((a - 1) / a)
        else:
            eps = r + mpmath.log(1 / delta) / (a - 1)
        if best is None or eps < best[0]:
            best = (eps, alpha)
    return max(best[0], mpf(0)), best[1]


def case(name, mechanisms, orders, delta, source, published=None):
    """mechanisms: (q, sigma, steps) composed in order; published: what a source printed."""
    rdp = [mpmath.fsum(steps * rdp_one_step(q, sigma, alpha) for q, sigma, steps in mechanisms) for alpha in orders]
    result = {
        "name": name,
        "source": source,
        "mechanisms": [{"sampling_rate": q, "noise_multiplier": sigma, "steps": steps} for q, sigma, steps in mechanisms],
        "orders": orders,
        "delta": delta,
        "rdp": [float(r) for r in rdp],
    }
    for conversion in ("improved", "classical"):
        eps, order = epsilon(orders, rdp, delta, conversion)
        result[conversion] = {"epsilon": float(eps), "best_order": order}
    if published is not None:
        conversion, value, places, order = published
        got = result[conversion]["epsilon"]
        assert round(got, places) == value, f"{name}: {conversion} epsilon {got} does not round to the published {value}"
        if order is not None:
            assert result[conversion]["best_order"] == order, f"{name}: best order {result[conversion]['best_order']}, published {order}"
        result["published"] = {"conversion": conversion, "epsilon": value, "decimals": places, "best_order": order}
    print(f"{name}: improved eps {result['improved']['epsilon']:.6f} (order {result['improved']['best_order']}),"
          f" classical {result['classical']['epsilon']:.6f} (order {result['classical']['best_order']})")
    return result


def check_published_rdp():
    """TF Privacy's own unit-test values for compute_rdp, to 5 decimals."""
    assert round(float(10 * rdp_one_step(0.1, 2, 5)), 5) == 0.07737
    published = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307]
    for alpha, value in zip([1.5, 2.5, 5, 50, 100], published):
        assert abs(float(50 * rdp_one_step(0.01, 2.5, alpha)) - value) <= 1e-5, (alpha, value)
    constant = [mpf("1.1")] * 31
    eps, order = epsilon(list(range(2, 33)), constant, 1e-5, "improved")
    assert abs(float(eps) - 1.32783806176) < 1e-10 and order == 32


def hard_log_a_cases():
    """log(A_alpha) where double-precision evaluation is delicate: TF Privacy's multi-precision
    test parameters (tiny and large q, sigma 0.1 to 100, orders 1.01 to 256.1)."""
    cases = [(1e-7, 0.1, 1.01), (1e-6, 0.1, 256), (1e-5, 0.1, 256.1), (1e-6, 1, 27), (1e-4, 1.0, 1.5),
             (1e-3, 1.0, 2), (0.01, 10, 20), (0.1, 100, 20.5), (0.99, 0.1, 256), (0.999, 100, 256.1)]
    out = []
    for q, sigma, alpha in cases:
        if float(alpha).is_integer():
            value = log_a_binomial(q, sigma, int(alpha))
            assert abs(log_a_integral(q, sigma, alpha) - value) <= mpf(10) ** -15 * abs(value)
        else:
            value = log_a_integral(q, sigma, alpha)
        out.append({"sampling_rate": q, "noise_multiplier": sigma, "order": alpha, "log_a": float(value)})
    return out


def log_erfc_values():
    return [{"x": x, "log_erfc": float(mpmath.log(mpmath.erfc(x)))}
            for x in [-30.0, -5.0, -1.5, -1.0, -0.3, 0.0, 1e-3, 0.3, 0.9, 1.0, 1.4999, 1.5, 2.0, 3.0, 5.0, 10.0,
                      27.0, 30.0, 100.0, 1e4]]


def main():
    check_published_rdp()
    mnist_q = 256 / 60000
    cases = [
        case("tf_privacy_compute_dp_sgd_privacy_mnist", [(mnist_q, 1.12, math.ceil(60 * 60000 / 256))], DEFAULT_ORDERS, 1e-5,
             "TF Privacy compute_dp_sgd_privacy.py docstring: N=60000, batch 256, noise 1.12, 60 epochs, delta 1e-5 -> (2.92, 1e-5)-DP",
             ("classical", 2.92, 2, None)),
        case("tf_privacy_mnist_tutorial_60_epochs", [(mnist_q, 1.12, 60 * (60000 // 256))], TUTORIAL_ORDERS, 1e-5,
             "TF Privacy tutorials/README.md expected output after 60 epochs (mnist_dpsgd_tutorial.py: noise 1.12, 234 steps/epoch)",
             ("classical", 2.92, 2, None)),
        case("mnist_noise_1.1_60_epochs", [(mnist_q, 1.1, math.ceil(60 * 60000 / 256))], DEFAULT_ORDERS, 1e-5,
             "no published value: the MNIST setting with noise multiplier 1.1 instead of the published 1.12"),
        case("tf_privacy_test_check_composition",
             [(1e-4, 0.4, 40000), (0.1, 2, 100)],
             [1.25, 1.5, 1.75, 2., 2.5, 3., 4., 5., 6., 7., 8., 10., 12., 14., 16., 20., 24., 28., 32., 64., 256.], 1e-5,
             "TF Privacy rdp_accountant_test.py test_check_composition: classical eps 8.509656 at order 2.5",
             ("classical", 8.509656, 6, 2.5)),
        case("federation_all_sites_noise_1_50_rounds", [(1.0, 1.0, 50)], DEFAULT_ORDERS, 1e-5,
             "no published value: q = 1 (every site every round), closed form alpha / (2 z^2) per round"),
        case("federation_sampled_sites_q0.1_noise_1.0_100_rounds", [(0.1, 1.0, 100)], DEFAULT_ORDERS, 1e-5,
             "no published value: Poisson-sampled sites, q = 0.1"),
        case("federation_local_noise_0.5_200_rounds", [(1.0, 0.5, 200)], DEFAULT_ORDERS, 1e-6,
             "no published value: q = 1, small noise multiplier, many rounds"),
    ]
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "rdp_reference.json"), "w") as target:
        json.dump({
            "generator": "tools/rdp_reference.py (mpmath %s, %d digits)" % (mpmath.__version__, mp.dps),
            "cases": cases,
            "log_a": hard_log_a_cases(),
            "log_erfc": log_erfc_values(),
        }, target, indent=1)
        target.write("\n")


if __name__ == "__main__":
    main()
