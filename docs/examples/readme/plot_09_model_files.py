"""
Model files
===========

:func:`emkit.save` writes a fitted (or unfitted) estimator to one file: a zip of a JSON
document and ``.npy`` arrays, nothing pickled, written atomically. :func:`emkit.load`
checks everything before using it, and the loaded model predicts bit for bit what the
saved one did. A dict of your own can travel with the model.
"""

import json
import os
import tempfile
import zipfile

import matplotlib.pyplot as plt
import numpy as np

import emkit
from emkit.plotting import plot_clusters_2d

X = np.random.default_rng(0).normal(size=(500, 2))
best = emkit.GaussianMixture(3, random_state=0).fit(X)

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "clusters.emkit")
    emkit.save(best, path, metadata={"columns": ["x", "y"]})
    model, metadata = emkit.load(path, with_metadata=True)
    assert (model.predict_proba(X) == best.predict_proba(X)).all()
    print(type(model).__name__, metadata)

    # Inside the file: ``model.json`` and one ``.npy`` member per array.
    with zipfile.ZipFile(path) as archive:
        print(archive.namelist())
        document = json.loads(archive.read("model.json"))
    print(sorted(document))

# %%
# The loaded model, drawn:

fig, ax = plt.subplots(figsize=(6, 4.5))
plot_clusters_2d(model, X, ax=ax)
ax.set_title("The model read back from clusters.emkit")
plt.show()
