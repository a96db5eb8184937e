"""
On a Dask cluster
=================

With a ``distributed.Client``, each row block's E-step runs as a task on the worker that
holds the block; the blocks' statistics are added in a tree of tasks and only their sum
comes back for the M-step. ``predict`` on a Dask array gives a Dask array, computed
blockwise. Here a local cluster of two in-process workers stands in for a real one
(``Client("tcp://scheduler:8786")``).
"""

import logging

import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from distributed import Client, LocalCluster

from emkit import GaussianMixture

rng = np.random.default_rng(0)
rows = np.vstack([rng.normal(-2, 1, (50_000, 4)), rng.normal(2, 1, (50_000, 4))])
X = da.from_array(rows, chunks=(20_000, 4))      # or da.from_zarr(...), dd.read_parquet(...)

# Client("tcp://scheduler:8786") for a running cluster; without a client, Dask's
# default scheduler runs the tasks. (silence_logs keeps the cluster's log quiet here.)
cluster = LocalCluster(n_workers=2, processes=False, dashboard_address=None,
                       silence_logs=logging.ERROR)
with cluster, Client(cluster):
    gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    labels = gm.predict(X)                       # a Dask array, computed blockwise
    print(gm.means_.round(1), labels[:5].compute())
    sizes = np.bincount(labels.compute(), minlength=2)
print("rows per component:", sizes)

# %%
# The first two coordinates of a sample of the rows, coloured by component:

sample = rng.choice(len(rows), 3000, replace=False)
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(rows[sample, 0], rows[sample, 1], c=gm.predict(rows[sample]), cmap="coolwarm",
           s=5)
ax.scatter(gm.means_[:, 0], gm.means_[:, 1], marker="x", s=100, color="black",
           label="fitted means")
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title("100,000 rows in 5 Dask blocks, fitted on a local cluster")
ax.legend()
plt.show()
