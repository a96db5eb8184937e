"""Where one EM iteration of an HMM fit spends its time, per stage.

For each case of ``bench_hmm.py`` (same data, same start), single-threaded, best of
``--repeats``: the emission family's chunk features (``prepare``), its log-densities,
forward-backward (the densities' shift and exponential, then the recursion), the
emission statistics, the M-step, and the whole E-step of the data as the engine runs
it (``HMM.chunk_stats`` on the chunks of a ``SequenceSource``). The last row is a whole
fit iteration, ``(t[n_iter=10] - t[n_iter=1]) / 9``; what it adds to the E-step and the
M-step is the engine's per-iteration cost.

Run:  .venv/bin/python benchmarks/profile_hmm.py [--cases many,long,full,categorical]
      [--repeats R]
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

import bench_hmm
from emkit import CategoricalHMM, GaussianHMM, set_config
from emkit.engine.sources import SequenceSource
from emkit.models import hmm_kernels
from emkit.models.hmm import sequence_offsets


def best(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def data(case):
    X, lengths = bench_hmm.make_data(case)
    return X, lengths, bench_hmm.make_init(X, bench_hmm.CASES[case][0])


def estimator(case, n_iter, init):
    kind = bench_hmm.CASES[case][0]
    options = dict(n_components=bench_hmm.K, n_iter=n_iter, tol=0.0, init_params="")
    if kind == "categorical":
        est = CategoricalHMM(n_features=bench_hmm.N_SYMBOLS, **options)
        est.emissionprob_ = init["emissionprob"]
    else:
        est = GaussianHMM(covariance_type=kind, **options)
        est.means_, est.covars_ = init["means"], init["covars"]
    est.startprob_, est.transmat_ = init["startprob"], init["transmat"]
    return est


def stages(case, repeats):
    X_raw, lengths, init = data(case)
    est = estimator(case, 1, init)
    est.fit(X_raw, lengths)  # compiles (or loads) the kernels
    X = est._emission_input(est._validate_X(X_raw))
    model = est._model()
    family = model.family
    offsets = sequence_offsets(lengths)
    weights = np.ones(len(lengths))
    start, trans = model.startprob, model.transmat
    prepared = family.prepare(X)
    log_frame = np.asarray(family.log_prob_prepared(prepared), dtype=np.float64)
    dens, top = np.empty(log_frame.shape), np.empty(len(X))

    def densities():
        hmm_kernels._shifted(log_frame, True, dens, top)
        np.exp(dens, out=dens)

    densities()
    ready = dens.copy()

    def recursion():
        dens[:] = ready  # the recursion overwrites them
        return hmm_kernels._recursion(start, trans, log_frame, dens, top, offsets, weights,
                                      True, True, hmm_kernels.TINY, True)

    gamma = recursion()[1]
    source = SequenceSource(X, lengths, n_threads=1)
    stats = source.map_reduce(model.chunk_stats, model.bytes_per_row(X),
                              model.min_chunk_rows(X))
    out = {
        "features (prepare)": best(lambda: family.prepare(X), repeats),
        "log-densities": best(lambda: family.log_prob_prepared(prepared), repeats),
        "densities: shift, exp": best(densities, repeats),
        "recursion (copy incl.)": best(recursion, repeats),
        "emission statistics": best(lambda: family.accumulate_prepared(prepared, gamma),
                                    repeats),
        "M-step": best(lambda: model.m_step(stats), repeats),
        "E-step, all chunks": best(lambda: source.map_reduce(
            model.chunk_stats, model.bytes_per_row(X), model.min_chunk_rows(X)), repeats),
    }
    fits = {}
    for n_iter in (1, 10):
        fits[n_iter] = best(lambda: estimator(case, n_iter, init).fit(X_raw, lengths),
                            repeats)
    out["fit iteration"] = (fits[10] - fits[1]) / 9
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(bench_hmm.CASES))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    set_config(n_threads=1)
    rows = {}
    with threadpool_limits(1):
        for case in args.cases.split(","):
            rows[case] = stages(case, args.repeats)
    cases = list(rows)
    names = list(rows[cases[0]])
    print("ms per call, one thread | " + " | ".join(cases))
    for name in names:
        print(f"{name:<26}" + "".join(f"{1e3 * rows[c][name]:>12.2f}" for c in cases))


if __name__ == "__main__":
    main()
