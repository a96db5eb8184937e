"""
Hidden Markov models, as in hmmlearn
====================================

``from emkit import hmm`` replaces ``from hmmlearn import hmm``. A two-state Gaussian
HMM generates two sequences of 1,000 steps; a new model is fitted to them by
Baum-Welch, then decodes the most probable state path (Viterbi) and the posterior of
each state at each step.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import hmm  # was: from hmmlearn import hmm

model = hmm.GaussianHMM(n_components=2, covariance_type="diag", n_iter=100, random_state=0)
model.startprob_ = np.array([0.5, 0.5])
model.transmat_ = np.array([[0.95, 0.05], [0.10, 0.90]])
model.means_ = np.array([[0.0], [3.0]])
model.covars_ = np.array([[1.0], [0.5]])
X, states = model.sample(2000, random_state=1)

fitted = hmm.GaussianHMM(n_components=2, n_iter=100, random_state=0).fit(X, lengths=[1000, 1000])
print(fitted.transmat_.round(2), fitted.converged_, fitted.monitor_.history[-1])
log_prob, path = fitted.decode(X, lengths=[1000, 1000])   # Viterbi
posteriors = fitted.predict_proba(X, lengths=[1000, 1000])

# %%
# The first 200 steps of the first sequence: the observations coloured by the decoded
# state, and the posterior probability of the state with the larger mean. (The fitted
# states may come out in either order, so the one with the larger mean is named.)

high = int(np.argmax(fitted.means_[:, 0]))
steps = np.arange(200)
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 5), sharex=True, layout="constrained")
top.plot(steps, X[:200, 0], color="0.7", linewidth=0.8)
top.scatter(steps, X[:200, 0], c=(path[:200] == high), cmap="coolwarm", s=12)
top.set_ylabel("observation")
top.set_title("Decoded states (Viterbi)")
bottom.plot(steps, posteriors[:200, high], label="P(high state | X)")
bottom.step(steps, states[:200] == np.argmax(model.means_[:, 0]), where="mid",
            color="black", linewidth=0.8, label="true state is high")
bottom.set_xlabel("step")
bottom.set_ylabel("probability")
bottom.legend(loc="lower right", fontsize="small")
plt.show()
