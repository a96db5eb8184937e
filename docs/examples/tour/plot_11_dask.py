"""
Beyond one machine: a fit on a Dask array
=========================================

Every estimator's ``fit`` takes a Dask array or data frame (the ``dask`` extra). Each
block's E-step runs as a Dask task where the block lives and only the summed statistics
come back for the M-step; X is never gathered. From the same start the fit equals the
in-memory one, iteration for iteration. Without a ``distributed.Client``, Dask's default
scheduler runs the tasks.
"""

import warnings

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianMixture
from emkit.datasets import make_blobs_2d

X, _ = make_blobs_2d(20_000, random_state=1)

# A common start: one EM step from k-means on the first 2,000 rows.
start = GaussianMixture(3, random_state=0, max_iter=1)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")         # one iteration does not converge
    start.fit(X[:2000])
given = dict(weights_init=start.weights_, means_init=start.means_,
             precisions_init=start.precisions_, tol=1e-8, max_iter=300)

in_memory = GaussianMixture(3, **given).fit(X)
blocks = GaussianMixture(3, **given).fit(da.from_array(X, chunks=(2500, 2)))   # 8 blocks

print(f"{blocks.n_iter_} iterations on Dask blocks, {in_memory.n_iter_} in memory; "
      f"largest difference of the means {np.max(np.abs(in_memory.means_ - blocks.means_)):.1e}")

# %%
# The two histories lie on each other:

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(in_memory.lower_bounds_, linewidth=4, alpha=0.4, label="in memory")
ax.plot(blocks.lower_bounds_, linestyle="--", color="black", label="Dask blocks")
ax.set_xlabel("iteration")
ax.set_ylabel("log-likelihood per sample")
ax.set_title("The same fit in memory and on 8 Dask blocks")
ax.legend()
plt.show()
