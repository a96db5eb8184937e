"""How two threads share the E-step's matrix products and column totals.

Each of two threads runs the same product on its own operands with BLAS limited to one
thread (as in a fit, where the chunk threads are the parallelism). Prints, per shape,
the time of one product alone and the speed-up of two threads over one thread doing both
products' work, for numpy's ``@`` and for ``emkit._products.product``. numpy's ``@``
keeps the GIL while its output has at most 500 entries, so two threads run the small
moment products of spherical Gaussians (18 x 16) and of Poisson columns (16 x 10) one
after the other; ``product`` calls ``np.dot``, which lets them run together.

Then the same for the column totals of float64 weights (n, 16), in F order (the
responsibilities of families whose log-densities come from one product) and in C order:
numpy's sum over the rows against ``emkit._products.column_totals`` (a product with a
vector of ones).

With ``--block B``, two more columns: each product cut into blocks of B rows of the chunk
(the moments: the blocks' products added; the log-densities: the output's columns block
by block), through ``product``. On the 2-core Intel Xeon of BENCHMARKS.md, blocks of 1024
rows ran one thread's products much faster (their operands stay in the core's L2), but
two threads gained nothing from them: numpy keeps the GIL around these small calls.

Run:  .venv/bin/python benchmarks/profile_blas_threads.py [--dtype float32|float64]
          [--rows 25000] [--block 1024]
"""

import argparse
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from profile_hmm import best
from threadpoolctl import threadpool_limits

from emkit._products import column_totals, product

K = 16
#: (label, left shape, right shape) with n the rows of a chunk.
SHAPES = [
    ("spherical moments (18, n) @ (n, 16)", lambda n: ((18, n), (n, K))),
    ("Poisson column sums (16, n) @ (n, 10)", lambda n: ((K, n), (n, 10))),
    ("diag moments (33, n) @ (n, 16)", lambda n: ((33, n), (n, K))),
    ("(48, n) @ (n, 16)", lambda n: ((48, n), (n, K))),
    ("full moments (153, n) @ (n, 16)", lambda n: ((153, n), (n, K))),
    ("diag log-densities (16, 33) @ (33, n)", lambda n: ((K, 33), (33, n))),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", default="float32", choices=["float64", "float32"])
    parser.add_argument("--rows", type=int, default=25_000)
    parser.add_argument("--block", type=int, default=0,
                        help="also time each product cut into blocks of this many rows")
    args = parser.parse_args()
    dtype, n = np.dtype(args.dtype), args.rows
    rng = np.random.default_rng(0)
    print(f"{dtype}, n = {n:,} rows, BLAS limited to one thread per caller")
    extra = (f" {f'ms, blocks of {args.block}':>20s} {'2 threads / 1':>14s}"
             if args.block else "")
    print(f"  {'product':40s} {'ms per product':>15s} {'2 threads / 1, @':>17s} "
          f"{'with product()':>15s}{extra}")
    with threadpool_limits(1), ThreadPoolExecutor(2) as pool:
        for label, shapes in SHAPES:
            left, right = shapes(n)
            operands = [(rng.random(left).astype(dtype), rng.random(right).astype(dtype))
                        for _ in range(2)]
            count = max(4, int(2e8 / (np.prod(left) * right[-1])))
            (alone, at_matmul), (_, at_product) = (
                two_threads(pool, multiply, operands, count) for multiply in (np.matmul, product))
            line = (f"  {label:40s} {alone * 1e3:15.3f} {at_matmul:16.2f}x "
                    f"{at_product:14.2f}x")
            if args.block:
                in_blocks, at_blocks = two_threads(pool, blocked(product, args.block),
                                                   operands, count)
                line += f" {in_blocks * 1e3:20.3f} {at_blocks:13.2f}x"
            print(line)
        print(f"float64 weights ({n:,}, {K}), column totals")
        print(f"  {'sum':40s} {'ms per sum':>15s} {'2 threads / 1':>17s}")
        for order in "FC":
            weights = [(np.asarray(rng.random((n, K)), order=order),) for _ in range(2)]
            for label, total in (("numpy W.sum(axis=0)", lambda W: W.sum(axis=0)),
                                 ("column_totals(W)", column_totals)):
                alone, speedup = two_threads(pool, total, weights, max(4, int(2e8 / (n * K))))
                print(f"  {label + ', ' + order + ' order':40s} {alone * 1e3:15.3f} "
                      f"{speedup:16.2f}x")


def blocked(multiply, block):
    # ``multiply`` over blocks of ``block`` along the chunk's rows n: a moment product
    # (T, n) @ (n, K) adds the blocks' products; a log-density product (K, T) @ (T, n)
    # fills its output's columns block by block.
    def run(a, b):
        if a.shape[1] >= b.shape[1]:
            total = multiply(a[:, :block], b[:block])
            for start in range(block, a.shape[1], block):
                total += multiply(a[:, start:start + block], b[start:start + block])
            return total
        out = np.empty((a.shape[0], b.shape[1]), dtype=np.result_type(a, b))
        for start in range(0, b.shape[1], block):
            out[:, start:start + block] = multiply(a, b[:, start:start + block])
        return out

    return run


def two_threads(pool, fn, operands, count):
    # The seconds of one call alone, and the speed-up of two threads, each calling fn on
    # its own operands count times, over one thread making both threads' calls.
    def work(i):
        for _ in range(count):
            fn(*operands[i])

    list(pool.map(work, (0, 1)))  # warm-up: threads, first touches of pages
    serial = best(lambda: (work(0), work(1)), 3)
    parallel = best(lambda: list(pool.map(work, (0, 1))), 3)
    return serial / (2 * count), serial / parallel


if __name__ == "__main__":
    main()
