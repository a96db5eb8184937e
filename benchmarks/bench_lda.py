"""Benchmark emkit.LatentDirichletAllocation against scikit-learn's, in the same run.

The corpus is drawn from LDA's generative model (seeded): 20 topics, each a
Dirichlet(0.05) distribution over a 10,000-word vocabulary; 20,000 training documents
and 2,000 held-out ones, each with Dirichlet(0.1) topic proportions and Poisson(50)
words (about 1e6 tokens in all), as a CSR count matrix. ``--small`` draws 2,000 + 200
documents over 2,000 words with 10 topics.

For each learning method ('batch', and 'online' with the default batch_size=128) and
library it times ``fit`` with ``max_iter=PASSES`` and with ``max_iter=1`` from the same
``random_state``; seconds per pass = (t_PASSES - t_1) / (PASSES - 1), which removes the
fixed costs (validation, start, the final perplexity); a fit on 300 documents first
starts joblib's processes and emkit's threads. Rows: scikit-learn with
``n_jobs=None`` (one process, its default) and ``n_jobs=-1`` (every core, joblib's
processes); emkit on one thread (``emkit.config_context(n_threads=1)``) and on every core
(its default). After PASSES passes each fit's perplexity on the held-out documents is
printed: emkit follows scikit-learn's path from the same seed with ``n_jobs=None``, so
the two agree to about 1e-10. A small warm-up fit first compiles emkit's kernels.

Run:  .venv/bin/python benchmarks/bench_lda.py [--small] [--passes P] [--markdown]
"""

import argparse
import os
import time

import numpy as np
from scipy import sparse


def make_corpus(n_docs, n_held_out, n_words, n_topics, mean_length=50, seed=0):
    """Draw training and held-out CSR count matrices from LDA's generative model."""
    rng = np.random.default_rng(seed)
    topics = rng.dirichlet(np.full(n_words, 0.05), n_topics)
    n_total = n_docs + n_held_out
    theta = rng.dirichlet(np.full(n_topics, 0.1), n_total)
    lengths = rng.poisson(mean_length, n_total) + 1
    doc = np.repeat(np.arange(n_total), lengths)
    topic = (rng.random(len(doc))[:, None] > np.cumsum(theta, axis=1)[doc]).sum(axis=1)
    topic = np.minimum(topic, n_topics - 1)
    word = np.empty(len(doc), dtype=np.int64)
    cumulative = np.cumsum(topics, axis=1)
    for k in range(n_topics):
        tokens = np.flatnonzero(topic == k)
        word[tokens] = np.minimum(np.searchsorted(cumulative[k], rng.random(len(tokens))),
                                  n_words - 1)
    X = sparse.coo_matrix((np.ones(len(doc)), (doc, word)), shape=(n_total, n_words)).tocsr()
    X.sum_duplicates()
    return X[:n_docs], X[n_docs:]


def _fit_time(make, X, max_iter, context):
    est = make(max_iter)
    with context():
        start = time.perf_counter()
        est.fit(X)
        return time.perf_counter() - start, est


def run(small=False, passes=3):
    import contextlib

    from sklearn.decomposition import LatentDirichletAllocation as SkLDA

    import emkit

    if small:
        n_docs, n_held, n_words, k = 2000, 200, 2000, 10
    else:
        n_docs, n_held, n_words, k = 20000, 2000, 10000, 20
    X, held_out = make_corpus(n_docs, n_held, n_words, k)
    cores = os.cpu_count()
    emkit.LatentDirichletAllocation(n_components=k, max_iter=1).fit(X[:50])  # compile
    rows = []
    for method in ("batch", "online"):
        setups = [
            ("scikit-learn, n_jobs=None", SkLDA, {}, contextlib.nullcontext),
            (f"scikit-learn, n_jobs=-1 ({cores} processes)", SkLDA, {"n_jobs": -1},
             contextlib.nullcontext),
            ("emkit, 1 thread", emkit.LatentDirichletAllocation, {},
             lambda: emkit.config_context(n_threads=1)),
            (f"emkit, {cores} threads", emkit.LatentDirichletAllocation, {},
             contextlib.nullcontext),
        ]
        for name, cls, extra, context in setups:
            def make(max_iter, cls=cls, extra=extra):
                return cls(n_components=k, learning_method=method, max_iter=max_iter,
                           random_state=0, **extra)
            _fit_time(make, X[:300], 1, context)  # warm-up: joblib's processes, threads
            t1, _ = _fit_time(make, X, 1, context)
            tp, est = _fit_time(make, X, passes, context)
            per_pass = (tp - t1) / (passes - 1)
            rows.append((method, name, per_pass, est.perplexity(held_out)))
    return (X, held_out, k, passes), rows


def report(setup, rows, markdown=False):
    X, held_out, k, passes = setup
    print(f"corpus: {X.shape[0]} documents x {X.shape[1]} words, {int(X.sum())} tokens, "
          f"{k} topics; held out: {held_out.shape[0]} documents; {passes} passes")
    reference = {method: per_pass for method, name, per_pass, _ in rows
                 if name == "scikit-learn, n_jobs=None"}
    if markdown:
        print("\n| method | library | s/pass | speed-up vs scikit-learn n_jobs=None | "
              f"held-out perplexity after {passes} passes |")
        print("|---|---|---:|---:|---:|")
    for method, name, per_pass, perplexity in rows:
        ratio = reference[method] / per_pass
        if markdown:
            print(f"| {method} | {name} | {per_pass:.3f} | {ratio:.1f}x | {perplexity:.4f} |")
        else:
            print(f"{method:7s} {name:40s} {per_pass:8.3f} s/pass  x{ratio:6.1f}  "
                  f"held-out perplexity {perplexity:.6f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run on a small corpus")
    parser.add_argument("--passes", type=int, default=3, help="passes timed (at least 2)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    setup, rows = run(args.small, max(args.passes, 2))
    report(setup, rows, args.markdown)


if __name__ == "__main__":
    main()
