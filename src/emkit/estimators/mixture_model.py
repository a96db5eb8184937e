"""``emkit.MixtureModel``: a mixture of any component family, started where the user says.

``components`` is a family holding K components, or a list of single components of one
family; the given parameters and weights are the exact starting point. Extra starts
(``n_init > 1``) begin from random responsibilities, as scikit-learn's 'random' init.
"""

import numpy as np
from sklearn.utils._param_validation import StrOptions

from emkit.estimators._mixture_base import MixtureEstimator, validate_support
from emkit.estimators._starts import start_statistics
from emkit.families.base import Family
from emkit.models.mixture import Mixture
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["MixtureModel"]


@document_fit_modes
class MixtureModel(MixtureEstimator):
    """Finite mixture of components of one family, fitted by EM.

    Parameters
    ----------
    components : Family or list of Family
        The starting components: one family with ``n_components`` components, or a list
        of one-component families of the same class (e.g. ``[Bernoulli(p=0.6),
        Bernoulli(p=0.7)]``).
    weights : array-like of shape (n_components,), default=None
        Starting mixing weights; None gives equal weights.
    tol : float, default=1e-3
        Convergence threshold on the change of the per-sample log-likelihood.
    max_iter : int, default=100
        Maximum number of EM iterations per start.
    n_init : int, default=1
        Number of starts: the given components first, then starts from random
        responsibilities; the start with the largest likelihood is kept.
    random_state : int, RandomState instance or None, default=None
        Seed of the extra starts and of :meth:`sample`.
    warm_start : bool, default=False
        Start each ``fit`` from the last fitted parameters.
    verbose : int, default=0
        1 prints the iterations; 2 prints a table of the iteration, log-likelihood,
        change and (for small models) the parameters after each iteration.
    verbose_interval : int, default=10
        Iterations between two printed lines.
    record_params : bool, default=False
        Keep the weights and component parameters after every iteration in ``history_``.
    assignment : {'soft', 'hard'}, default='soft'
        'soft' is EM; 'hard' is classification EM, which gives each sample wholly to its
        most probable component (with equal spherical Gaussians, k-means).

    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights.
    components_ : Family
        The fitted components.
    converged_ : bool
        True when the best start met ``tol`` before ``max_iter``.
    n_iter_ : int
        Iterations of the best start.
    lower_bound_ : float
        Per-sample log-likelihood at the last iteration of the best start.
    lower_bounds_ : list of float
        Per-sample log-likelihood at each iteration of the best start.
    lower_bounds_per_init_ : list of ndarray
        The per-sample log-likelihoods of every start, in order (for plotting restarts).
    history_ : list of dict
        One entry per iteration of the best start: ``iteration`` and ``log_likelihood``
        (per sample, of the parameters the iteration started from), and with
        ``record_params`` the ``weights`` and component parameters after it.
    n_features_in_ : int
        Number of features seen in ``fit``.
    """

    _parameter_constraints: dict = {
        **{name: rule for name, rule in MixtureEstimator._parameter_constraints.items()
           if name != "n_components"},
        "components": [Family, list],
        "weights": ["array-like", None],
        "record_params": ["boolean"],
        "assignment": [StrOptions({"soft", "hard"})],
    }

    def __init__(self, components, weights=None, *, tol=1e-3, max_iter=100, n_init=1,
                 random_state=None, warm_start=False, verbose=0, verbose_interval=10,
                 record_params=False, assignment="soft", acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    @property
    def n_components(self):
        """Number of components."""
        return self._start_family().n_components

    def _family_kind(self):
        return self._start_family()

    def _start_family(self):
        if isinstance(self.components, Family):
            return self.components
        return type(self.components[0]).concatenate(list(self.components))

    def _check_parameters(self, X):
        family = self._start_family()
        if self.weights is not None:
            weights = np.asarray(self.weights, dtype=np.float64)
            if weights.shape != (family.n_components,) or np.any(weights < 0) or not np.isclose(
                    weights.sum(), 1.0):
                raise ValueError(
                    f"weights must be {family.n_components} non-negative numbers summing to "
                    f"1, one per component; got {self.weights!r}.")
        validate_support(family, X)

    def _initial_model(self, rng, index, source):
        family = self._start_family()
        K = family.n_components
        weights = np.full(K, 1.0 / K) if self.weights is None else np.asarray(self.weights, float)
        if index > 0:
            # scikit-learn's 'random' start: random responsibilities, then one M-step.
            def random_block(start, stop):
                block = rng.uniform(size=(stop - start, K))
                return block / block.sum(axis=1, keepdims=True)

            stats = start_statistics(family, source.start_source(), random_block)
            family = family.maximize(stats.family)
            weights = stats.resp_sum / stats.resp_sum.sum()
        return Mixture.start(weights, family, hard=self.assignment == "hard")

    def _set_model(self, model):
        self.weights_ = model.weights
        self.components_ = model.family
