"""What numpy's exp costs per value when some arguments leave its fast path.

The E-step's normalization takes ``exp`` of every log-responsibility. numpy's vector exp
is fast on ordinary arguments, but a vector holding ``-inf`` or an argument whose result
underflows (below about -708 in float64) goes a slower way. emkit therefore writes +1 in
place of a term below its threshold (``emkit.models.responsibilities._BELOW``) and zeroes
it after the exp. This script times ``np.exp`` over 400,000 values in [-80, 0], then with
80 % of them replaced by each special argument, in nanoseconds per value, least of five;
and emkit's compiled exp of the shifted terms on the same values
(``emkit.models.responsibilities._add_exps``, the exp of the normalization of
log-densities stored component by component, used where numba is installed, in one
call over all the values with a shift of 0, the sum of the exps it also takes
included), with its largest error in units in
the last place beside numpy's. (The row layout's float32 exp, ``_exp32_values``, is the
same function.)

Run:  .venv/bin/python benchmarks/profile_exp.py
"""

import time

import numpy as np

N = 400_000
SPECIALS = {np.float64: [("-inf", -np.inf), ("-746 (result 0)", -746.0),
                         ("-745 (result subnormal)", -745.0), ("+1 (emkit's mark)", 1.0)],
            np.float32: [("-inf", -np.inf), ("-110 (result 0)", -110.0),
                         ("+1 (emkit's mark)", 1.0)]}


def per_value(values, repeat=50, exp=None):
    out = np.empty_like(values)
    exp = exp or (lambda: np.exp(values, out=out))
    exp()
    best = np.inf
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            exp()
        best = min(best, time.perf_counter() - start)
    return best / repeat / len(values) * 1e9


def largest_ulp(values, result):
    """The largest error of an exp, in units in the last place of the values' dtype."""
    exact = np.exp(values.astype(np.longdouble))
    ulp = np.spacing(exact.astype(values.dtype)).astype(np.longdouble)
    return float(np.max(np.abs(result - exact) / ulp))


def compiled_exp(values):
    """Time emkit's compiled exp on a copy of ``values``; None without numba."""
    from emkit._compiled import HAVE_NUMBA
    from emkit.models import responsibilities

    if not HAVE_NUMBA:
        return None
    dtype = values.dtype.type
    top, total = np.zeros(len(values), dtype), np.zeros(len(values), dtype)
    threshold = dtype(responsibilities.normalize_threshold(values.dtype, 1))

    def kernel(work):
        responsibilities._add_exps(work, dtype(0.0), top, threshold, total)

    work = values.copy()
    seconds = per_value(values, exp=lambda: (np.copyto(work, values), kernel(work)))
    copy = per_value(values, exp=lambda: np.copyto(work, values))
    np.copyto(work, values)
    kernel(work)
    return seconds - copy, largest_ulp(values, work)


def main():
    rng = np.random.default_rng(0)
    print("| dtype | arguments | ns per value |")
    print("|---|---|---:|")
    for dtype, specials in SPECIALS.items():
        base = (-rng.random(N) * 80).astype(dtype)
        print(f"| {dtype.__name__} | all in [-80, 0] | {per_value(base):.2f} |")
        compiled = compiled_exp(base)
        if compiled is not None:
            print(f"| {dtype.__name__} | all in [-80, 0], emkit's compiled exp (largest "
                  f"error {compiled[1]:.2f} ulp; numpy's {largest_ulp(base, np.exp(base)):.2f})"
                  f" | {compiled[0]:.2f} |")
        chosen = rng.random(N) < 0.8
        for label, value in specials:
            values = base.copy()
            values[chosen] = value
            with np.errstate(under="ignore"):
                print(f"| {dtype.__name__} | 80 % {label} | {per_value(values):.2f} |")


if __name__ == "__main__":
    main()
