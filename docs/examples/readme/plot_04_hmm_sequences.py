"""
Sequences as people hold them, and forecasts
============================================

An HMM takes its sequences stacked with ``lengths``, as a list of 2-D arrays (one per
sequence, as here), or as a padded 3-D array with a ``mask``; every form gives the
stacked form's results exactly. ``forecast`` carries each sequence's end ahead: the
probabilities of the states and the mean of the observation some steps ahead.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import hmm

model = hmm.GaussianHMM(n_components=2, covariance_type="diag", init_params="")
model.startprob_, model.transmat_ = np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]])
model.means_, model.covars_ = np.array([[0.0], [3.0]]), np.array([[1.0], [0.5]])
sequences = [model.sample(n, random_state=i)[0] for i, n in enumerate((50, 80, 1))]

print(model.score(sequences))                     # = model.score(np.concatenate(...), lengths)
lengths = [len(s) for s in sequences]
print(model.score(np.concatenate(sequences), lengths=lengths))
ahead = model.forecast(sequences, steps=3)        # three steps past each sequence's end
print(ahead.state_proba.round(3), ahead.mean.ravel().round(2))

# %%
# ``steps`` is how far ahead: forecasts from 1 to 15 steps past each sequence's end. The
# probability of the second state (mean 3) drifts from where each sequence left it to
# the chain's stationary probability, 1/3.

horizon = np.arange(1, 16)
second = np.array([model.forecast(sequences, steps=h).state_proba[:, 1] for h in horizon])

fig, ax = plt.subplots(figsize=(7, 4))
for i, sequence in enumerate(sequences):
    ax.plot(horizon, second[:, i], marker="o",
            label=f"sequence {i} (length {len(sequence)}, ends at {sequence[-1, 0]:.2f})")
ax.axhline(1 / 3, color="black", linewidth=0.8, linestyle="--", label="stationary")
ax.set_xlabel("steps past the sequence's end")
ax.set_ylabel("P(state 1)")
ax.set_title("Forecast state probabilities")
ax.legend(fontsize="small")
plt.show()
