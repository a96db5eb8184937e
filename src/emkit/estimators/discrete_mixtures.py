"""Mixtures of Bernoulli, Poisson and categorical components with scikit-learn constructors.

Each is a mixture of one fixed family whose components start at distinct random rows
(like scikit-learn's 'random_from_data' init) unless the component parameters are given.
"""

import warnings
from contextlib import contextmanager

import numpy as np
from sklearn.utils._param_validation import StrOptions

from emkit.estimators._mixture_base import MixtureEstimator, validate_support
from emkit.families.discrete import Bernoulli, Categorical, Poisson
from emkit.models.mixture import Mixture
from emkit.estimators._fit_modes import document_fit_modes

__all__ = ["BernoulliMixture", "CategoricalMixture", "PoissonMixture"]

_COMMON_DOC = """
    tol : float, default=1e-3
        Convergence threshold on the change of the per-sample log-likelihood.
    max_iter : int, default=100
        Maximum number of EM iterations per start.
    n_init : int, default=1
        Number of starts; the one with the largest likelihood is kept.
    random_state : int, RandomState instance or None, default=None
        Seed of the starts and of :meth:`sample`.
    warm_start : bool, default=False
        Start each ``fit`` from the last fitted parameters.
    verbose : int, default=0
        1 prints the iterations; 2 prints a table of the iteration, log-likelihood,
        change and (for small models) the parameters after each iteration.
    verbose_interval : int, default=10
        Iterations between two printed lines.
    assignment : {'soft', 'hard'}, default='soft'
        'soft' is EM; 'hard' is classification EM.
    record_params : bool, default=False
        Keep the weights and component parameters after every iteration in ``history_``.
"""


class _FamilyMixture(MixtureEstimator):
    """A mixture of one fixed family; subclasses name the family and its parameter."""

    _parameter_constraints: dict = {
        **MixtureEstimator._parameter_constraints,
        "weights_init": ["array-like", None],
        "assignment": [StrOptions({"soft", "hard"})],
        "record_params": ["boolean"],
    }
    _init_name = "means_init"

    def _check_parameters(self, X):
        validate_support(self._placeholder(X), X)
        if self.weights_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64)
            if weights.shape != (self.n_components,) or np.any(weights < 0) or not np.isclose(
                    weights.sum(), 1.0):
                raise ValueError(f"weights_init must be {self.n_components} non-negative "
                                 f"numbers summing to 1; got {self.weights_init!r}.")

    def _initial_model(self, rng, index, source):
        K = self.n_components
        given = getattr(self, self._init_name)
        if given is not None:
            family = self._from_init(given, source)
            weights = np.full(K, 1.0 / K)
        else:
            X = source.start_source().X
            # Like scikit-learn's 'random_from_data': each component starts at its own row.
            family = self._placeholder(X)
            # Complete rows first: a row with NaN would leave those columns neutral.
            distinct = np.unique(X[~np.isnan(X).any(axis=1)], axis=0)
            pool = distinct if len(distinct) >= K else X
            rows = pool[rng.choice(len(pool), size=K, replace=False)]
            for k in range(K):
                family = family.reseed(k, rows[k])
            weights = np.full(K, 1.0 / K)
        if self.weights_init is not None:
            weights = np.asarray(self.weights_init, dtype=np.float64)
        return Mixture.start(weights, family, hard=self.assignment == "hard")




class _MeansMixture(_FamilyMixture):
    """A mixture whose components are one mean per column (Bernoulli p, Poisson rate)."""

    _family = None        # the family class
    _field = None         # its parameter, exposed as ``means_``
    _neutral = None       # the parameter value of a placeholder component

    def __init__(self, n_components=1, *, weights_init=None, means_init=None, tol=1e-3,
                 max_iter=100, n_init=1, random_state=None, warm_start=False, verbose=0,
                 verbose_interval=10, assignment="soft", record_params=False,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _placeholder(self, X):
        value = np.full((self.n_components, X.shape[1]), self._neutral)
        return self._family(**{self._field: value})

    def _from_init(self, given, source):
        return self._family(**{self._field: given})

    def _set_model(self, model):
        self.weights_, self.components_ = model.weights, model.family
        self.means_ = getattr(model.family, self._field)


@document_fit_modes
class BernoulliMixture(_MeansMixture):
    __doc__ = """Mixture of multivariate Bernoulli components (binary features), fitted by EM.

    Parameters
    ----------
    n_components : int, default=1
        Number of components.
    weights_init : array-like of shape (n_components,), default=None
        Starting weights; None draws them with the start.
    means_init : array-like of shape (n_components, n_features), default=None
        Starting success probabilities; None starts each component at a random row.
""" + _COMMON_DOC + """
    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights.
    means_ : ndarray of shape (n_components, n_features)
        Success probability of each feature in each component.
    components_ : Bernoulli
        The fitted family.
    history_ : list of dict
        Per iteration: ``iteration``, ``log_likelihood`` and, with ``record_params``,
        the parameters after it.
    """

    _family = Bernoulli
    _field = "p"
    _neutral = 0.5


@document_fit_modes
class PoissonMixture(_MeansMixture):
    __doc__ = """Mixture of independent Poisson components (count features), fitted by EM.

    Parameters
    ----------
    n_components : int, default=1
        Number of components.
    weights_init : array-like of shape (n_components,), default=None
        Starting weights; None draws them with the start.
    means_init : array-like of shape (n_components, n_features), default=None
        Starting rates; None starts each component at a random row.
""" + _COMMON_DOC + """
    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights.
    means_ : ndarray of shape (n_components, n_features)
        Rate of each feature in each component.
    components_ : Poisson
        The fitted family.
    history_ : list of dict
        Per iteration: ``iteration``, ``log_likelihood`` and, with ``record_params``,
        the parameters after it.
    """

    _family = Poisson
    _field = "rate"
    _neutral = 1.0


@document_fit_modes
class CategoricalMixture(_FamilyMixture):
    __doc__ = """Mixture of independent categorical components (integer-coded columns), by EM.

    Latent class analysis: each column holds codes 0..C_d-1, independent given the class.

    Parameters
    ----------
    n_components : int, default=1
        Number of components (latent classes).
    weights_init : array-like of shape (n_components,), default=None
        Starting weights; None draws them with the start.
    probs_init : array-like of shape (n_components, n_features, n_categories), default=None
        Starting category probabilities; None starts each component at a random row.
    n_categories : array-like of int, default=None
        Categories of each column; None takes ``max code + 1`` of each column in ``fit``,
        with a warning when some code below a column's largest never occurs (1-based
        codes, raw identifiers: each such code is a category of probability 0, counted
        by ``bic`` and ``aic``).
""" + _COMMON_DOC + """
    Attributes
    ----------
    weights_ : ndarray of shape (n_components,)
        Mixing weights.
    probs_ : ndarray of shape (n_components, n_features, n_categories)
        Category probabilities of each column in each component.
    components_ : Categorical
        The fitted family.
    history_ : list of dict
        Per iteration: ``iteration``, ``log_likelihood`` and, with ``record_params``,
        the parameters after it.
    """

    _parameter_constraints: dict = {
        **_FamilyMixture._parameter_constraints,
        "probs_init": ["array-like", None],
        "n_categories": ["array-like", None],
    }
    _init_name = "probs_init"

    def __init__(self, n_components=1, *, weights_init=None, probs_init=None, n_categories=None,
                 tol=1e-3, max_iter=100, n_init=1, random_state=None, warm_start=False,
                 verbose=0, verbose_interval=10, assignment="soft", record_params=False,
                 acceleration=None, learning_method="batch", learning_decay=0.7,
                 learning_offset=10.0, batch_size=1000, total_samples=1e6):
        self._store(locals())

    def _family_kind(self):
        return Categorical

    def _categories(self, X):
        if self.n_categories is not None:
            return self._declared_categories(None if X is None else X.shape[1])
        observed = X[~np.isnan(X)]
        if np.any(observed < 0):
            raise ValueError("Negative values in data: Categorical columns hold non-negative "
                             "integer codes; recode the data as 0, 1, 2, ... per column.")
        if np.any(observed != np.round(observed)):
            raise ValueError("Categorical columns hold non-negative integer codes; recode the "
                             "data as 0, 1, 2, ... per column.")
        categories = tuple(int(c) + 1 for c in np.nanmax(X, axis=0))
        for d, count in enumerate(categories):
            # Raw identifiers as codes: a table of every code up to the largest would
            # take gigabytes for a few categories.
            if count > _MANY_CODES:
                column = X[:, d]
                seen = len(np.unique(column[~np.isnan(column)]))
                if seen < count // 2:
                    raise ValueError(
                        f"Column {d} holds codes up to {count - 1} but only {seen} distinct "
                        "ones, and CategoricalMixture makes a category of every code from 0 "
                        "to the largest; recode the column as 0..C-1 (np.unique(column, "
                        "return_inverse=True)).")
        return categories

    def _declared_categories(self, n_features):
        # n_categories as a tuple of ints, or one sentence on what is wrong with it.
        try:
            values = np.asarray(self.n_categories, dtype=np.float64)
        except (TypeError, ValueError):
            values = np.array([np.nan])
        if (values.ndim != 1 or not values.size or not np.all(values >= 1)
                or not np.all(values == np.round(values))):
            raise ValueError("n_categories must hold one positive integer per column, the "
                             "number of codes 0..C-1 it takes; got "
                             f"{self.n_categories!r}.")
        if n_features is not None and len(values) != n_features:
            raise ValueError(f"n_categories holds {len(values)} counts, but X has "
                             f"{n_features} columns; give one count per column.")
        return tuple(int(c) for c in values)

    def _check_parameters(self, X):
        super()._check_parameters(X)
        if self.n_categories is None:
            _warn_unseen_codes(X, self._categories(X))

    def _fit_data(self, X, *args, first=True, **kwargs):
        # A fit that starts anew takes its categories from this data (or n_categories);
        # one that goes on from the fitted model (partial_fit after its first batch,
        # warm_start) keeps the fitted ones.
        self._fit_goes_on = not first or bool(self.warm_start and hasattr(self, "converged_"))
        with _codes_not_text():
            return super()._fit_data(X, *args, first=first, **kwargs)

    def _validated(self, X):
        with _codes_not_text():
            return super()._validated(X)

    def _placeholder(self, X):
        fitted = (getattr(self, "components_", None) if getattr(self, "_fit_goes_on", False)
                  else None)
        cats = self._categories(X) if fitted is None else fitted.n_categories
        C = max(cats)
        probs = np.zeros((self.n_components, len(cats), C))
        for d, c in enumerate(cats):
            probs[:, d, :c] = 1.0 / c
        return Categorical(probs=probs, n_categories=cats)

    def _from_init(self, given, source):
        X = None if self.n_categories is not None else source.start_source().X
        return Categorical(probs=given, n_categories=self._categories(X))

    def _set_model(self, model):
        self.weights_, self.components_ = model.weights, model.family
        self.probs_ = model.family.probs


@contextmanager
def _codes_not_text():
    # Text categories (strings, a pandas categorical of labels) in one sentence that says
    # how to make codes of them, instead of numpy's "could not convert string to float".
    try:
        yield
    except ValueError as error:
        if "could not convert string to float" not in str(error):
            raise
        raise ValueError("CategoricalMixture takes integer codes 0..C-1 in each column, not "
                         "text; encode the categories first (for instance with "
                         "sklearn.preprocessing.OrdinalEncoder).") from None


#: Codes per column past which mostly unseen codes are refused, not warned about.
_MANY_CODES = 2**16


def _warn_unseen_codes(X, categories):
    # Every code up to a column's largest is one of its categories: say so when some
    # never occur (1-based codes, raw identifiers), which bic and aic count and probs_
    # holds.
    for d, count in enumerate(categories):
        column = X[:, d]
        seen = len(np.unique(column[~np.isnan(column)]))
        if seen < count:
            warnings.warn(
                f"Column {d} holds codes up to {count - 1}, and CategoricalMixture takes "
                f"every code from 0 to the largest as a category, but only {seen} of those "
                f"{count} codes occur: the others get probability 0 in probs_ and count as "
                "parameters in bic and aic; recode the column as 0..C-1 (np.unique(column, "
                "return_inverse=True)), or pass n_categories to declare the categories.",
                UserWarning, stacklevel=2)
            return
