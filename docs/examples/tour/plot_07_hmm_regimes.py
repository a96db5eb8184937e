"""
A hidden Markov model: calm and volatile regimes
================================================

Simulated daily returns switch between a calm regime (daily sd 0.7%) and a volatile one
(2%), each persistent. A two-state :class:`~emkit.GaussianHMM` is fitted by Baum-Welch
without the states, and Viterbi decoding (``predict``) recovers them.
"""

import matplotlib.pyplot as plt
import numpy as np

from emkit import GaussianHMM

rng = np.random.default_rng(1)
n, stay = 1000, np.array([0.98, 0.95])
state = np.zeros(n, dtype=int)
for t in range(1, n):
    state[t] = state[t - 1] if rng.random() < stay[state[t - 1]] else 1 - state[t - 1]
returns = rng.normal(0.0005, np.where(state == 0, 0.007, 0.02))[:, None]

model = GaussianHMM(n_components=2, n_iter=200, tol=1e-6, random_state=0).fit(returns)
volatile = int(np.argmax(model.covars_[:, 0, 0]))
decoded = (model.predict(returns) == volatile).astype(int)

sds = np.sqrt(model.covars_[:, 0, 0]) * 100
print(f"daily sd {sds[1 - volatile]:.2f}% calm, {sds[volatile]:.2f}% volatile")
print("probability of staying in each state:", np.diag(model.transmat_).round(3))
print(f"decoded regime right on {np.mean(decoded == state):.1%} of the days "
      f"(converged={model.converged_} after {model.n_iter_} iterations)")

# %%
# The returns coloured by their decoded regime; the shaded days are truly volatile.

fig, ax = plt.subplots(figsize=(9, 4))
days = np.arange(n)
for regime, colour, name in ((0, "C0", "calm"), (1, "C3", "volatile")):
    mask = decoded == regime
    ax.scatter(days[mask], 100 * returns[mask, 0], s=5, color=colour, label=f"decoded {name}")
ax.fill_between(days, -8, 8, where=state == 1, color="C3", alpha=0.1, label="truly volatile")
ax.set_ylim(-8, 8)
ax.set_xlabel("day")
ax.set_ylabel("return (%)")
ax.set_title("Regimes of daily returns, decoded by a Gaussian HMM")
ax.legend(loc="lower left", fontsize="small")
plt.show()
