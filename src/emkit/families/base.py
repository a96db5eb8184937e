"""The family contract: K components of one kind, vectorised over the components.

A family must know its log-density (``log_prob``), its weighted sufficient statistics
(``accumulate``), the M-step that maximizes them (``maximize``) and its parameter count
(``n_parameters``): the abstract methods of :class:`Family`. Everything else is an
optional capability declared here with a default that a family overrides when it can do
more: sampling, re-seeding, the check of its support (``validate``), missing values
(``allows_missing``, ``condition``), chunk sizing and float32 resolution. Families are
frozen: ``maximize`` returns a new one.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, replace
from typing import ClassVar

import numpy as np

from emkit.stats import EMPTY_WEIGHT

__all__ = ["Family", "set_derived"]


def set_derived(obj, **values):
    """Set attributes derived from a frozen family's parameters (in ``__post_init__``).

    Parameters
    ----------
    obj : Family
        The family being constructed.
    **values
        Attribute names and values.
    """
    for name, value in values.items():
        object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Family(ABC):
    """Base class of component families.

    Subclasses are frozen dataclasses. ``component_fields`` names the fields whose first
    axis runs over the components; the generic ``take``, ``identical_groups`` and
    ``to_dict`` use it. A family whose ``log_prob`` and ``accumulate`` take rows with NaN
    entries (the marginal density of the observed entries, the expected statistics of
    the missing ones) sets ``allows_missing = True``; estimators then accept NaN in X.
    One whose ``validate``, ``log_prob``, ``accumulate`` and ``bytes_per_row`` take
    ``scipy.sparse`` rows without densifying them sets ``accepts_sparse = True``
    (:mod:`emkit.families._sparse`); estimators then accept sparse X.
    """

    component_fields: ClassVar[tuple] = ()
    allows_missing: ClassVar[bool] = False
    accepts_sparse: ClassVar[bool] = False
    #: Whether the family takes no negative value (counts, codes, positive reals): its
    #: estimators then carry scikit-learn's ``positive_only`` input tag.
    nonnegative: ClassVar[bool] = False
    #: The share of the data's weight below which a component has none to estimate from
    #: (see :meth:`empty_weight`); 0 for M-steps that divide by the weight exactly.
    empty_share: ClassVar[float] = 0.0

    @property
    def n_components(self):
        """Number of components."""
        return len(getattr(self, self.component_fields[0]))

    # -- the protocol a family implements -------------------------------------------
    @abstractmethod
    def log_prob(self, X):
        """Return ``log p(x_i | component k)`` for every row and component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """

    @abstractmethod
    def accumulate(self, X, W):
        """Return the sufficient statistics of the rows weighted by ``W``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component (responsibilities, state posteriors).

        Returns
        -------
        stats : AdditiveStats
        """

    @abstractmethod
    def maximize(self, stats):
        """Return the family that maximizes the expected log-likelihood of ``stats``.

        Parameters
        ----------
        stats : AdditiveStats
            Summed statistics from :meth:`accumulate`.

        Returns
        -------
        family : Family
        """

    def maximize_held(self, stats, held, current):
        """Return the M-step with the parameters ``held`` names kept at ``current``'s values.

        The default maximizes freely and copies the held values back: the exact
        constrained maximizer when each parameter's maximizer does not depend on the
        others' values (Bernoulli, Poisson, categorical columns). A family whose
        parameters interact (a Gaussian covariance is a scatter about the mean)
        overrides it.

        Parameters
        ----------
        stats : AdditiveStats
            Summed statistics from :meth:`accumulate`.
        held : dict
            Parameter name -> boolean mask of held components, or True for a parameter
            shared by every component (see :class:`emkit.models.held.Held`).
        current : Family
            The components the held values are taken from.

        Returns
        -------
        family : Family
        """
        return self.maximize(stats).with_values_of(current, held)

    def with_values_of(self, other, held):
        """Return this family with the ``held`` parameters copied from ``other``.

        Parameters
        ----------
        other : Family
            Of the same class and size.
        held : dict
            Parameter name -> boolean mask of components, or True (the whole value).

        Returns
        -------
        family : Family
        """
        if not held:
            return self
        values = {}
        for name, mask in held.items():
            if mask is True:
                values[name] = getattr(other, name)
            else:
                value = np.array(getattr(self, name), copy=True)
                value[mask] = np.asarray(getattr(other, name))[mask]
                values[name] = value
        return replace(self, **values)

    @abstractmethod
    def n_parameters(self):
        """Return the number of free parameters of all components (for BIC and AIC).

        Returns
        -------
        n : int
        """

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        raise NotImplementedError(f"{type(self).__name__} must define sample(k, n, rng).")

    @classmethod
    def validate(cls, X):
        """Raise a one-sentence ValueError when ``X`` lies outside the family's support.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; the default accepts any real data.
        """

    def condition(self, X):
        """Return every row completed with its conditional mean under every component.

        Families that take missing values (``allows_missing``) override it; ``impute``
        uses it.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.

        Returns
        -------
        conditional_means : ndarray of shape (n_samples, n_components, n_features)
        """
        raise ValueError(f"{type(self).__name__} cannot impute missing values (it has no "
                         "condition method); use a family that takes missing data.")

    def min_chunk_rows(self, X):
        """Return the fewest rows per chunk at which the E-step's fixed cost stays small.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
            0 (the engine's own floor) unless the family says otherwise.
        """
        return 0

    def reseed(self, k, x):
        """Return the family with component ``k`` restarted at the row ``x``.

        Parameters
        ----------
        k : int
            The component to restart.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Family
        """
        raise NotImplementedError(f"{type(self).__name__} cannot re-seed a component.")

    def empty_weight(self, total_weight):
        """Return the summed weight below which a component has none to estimate from.

        A hidden Markov model whose emissions take the family's own M-step (no prior's)
        keeps the parameters of a state whose posterior mass is
        below it: :data:`emkit.stats.EMPTY_WEIGHT` (1e-280) for M-steps that divide by the
        weight exactly (exact EM, as hmmlearn's), or ``empty_share`` of the data's weight
        where that is more (a family whose M-step adds a guard to the weight sets the
        share where the guard starts to matter: 1e-10 for the Gaussian families).

        Parameters
        ----------
        total_weight : float
            The summed weight of every component (the data's weight).

        Returns
        -------
        weight : float
        """
        return max(EMPTY_WEIGHT, self.empty_share * max(float(total_weight), 1.0))

    def regularization_share(self):
        """Return how much of the smallest variance the M-step's regularization makes up.

        A regularized M-step is not an exact maximizer; when this share is large the
        likelihood may fall a little between iterations without any numerical failure.

        Returns
        -------
        share : float
            0 for families without regularization.
        """
        return 0.0

    def resolution(self, dtype):
        """Return the smallest change of a per-sample log-likelihood the E-step can resolve.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
            0 for families that compute in float64.
        """
        return 0.0

    # -- a fast path: work shared by the two halves of an E-step -------------------
    def prepare(self, X):
        """Return per-chunk work shared by :meth:`log_prob_prepared` and :meth:`accumulate_prepared`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.

        Returns
        -------
        prepared : object
            By default ``X`` itself.
        """
        return X

    def log_prob_prepared(self, prepared):
        """Return :meth:`log_prob` of a prepared chunk.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self.log_prob(prepared)

    def accumulate_prepared(self, prepared, W):
        """Return :meth:`accumulate` of a prepared chunk.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : AdditiveStats
        """
        return self.accumulate(prepared, W)

    def accumulate_start(self, X, W):
        """Return :meth:`accumulate` of a start from responsibilities.

        A start's family holds placeholder parameters (every mean at the data's centre),
        and its statistics are the first that any parameters come from. A family whose
        statistics keep their digits by its parameters (Gaussian moments about the
        means) sums them here without that help; by default, :meth:`accumulate`.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.
        W : ndarray of shape (n_samples, n_components)
            The starting responsibilities of the rows.

        Returns
        -------
        stats : AdditiveStats
        """
        return self.accumulate(X, W)

    def fused_stats(self, X, log_weights):
        """Return a mixture's whole E-step of a chunk in one pass, or None.

        A family may compute the log-likelihoods, the responsibility sums and its
        statistics of a chunk together, never holding the chunk's responsibilities (see
        :mod:`emkit.families.gaussian._fused`); the mixture asks first for chunks without
        labels, sample weights or hard assignment, and takes ``prepare``,
        ``log_prob_prepared`` and ``accumulate_prepared`` when the answer is None.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.
        log_weights : ndarray of shape (n_components,)
            The mixture's ``log w_k``.

        Returns
        -------
        result : tuple or None
            ``(log_norm, resp_sum, stats)``: ``log sum_k w_k p(x_i | k)`` per row
            (float64), ``sum_i r_ik`` per component (float64) and the family's
            statistics under those responsibilities; None by default.
        """
        return None

    def bytes_per_row(self, X):
        """Return the working-set bytes one row needs in an E-step.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        n_bytes : int
        """
        return 8 * (X.shape[1] + 4 * self.n_components)

    # -- generic helpers -----------------------------------------------------------
    def take(self, indices):
        """Return the family made of the components at ``indices``.

        Parameters
        ----------
        indices : array-like of int
            Components to keep, in order; repeats copy a component.

        Returns
        -------
        family : Family
        """
        indices = np.asarray(indices, dtype=np.intp)
        return replace(self, **{name: np.asarray(getattr(self, name))[indices]
                                for name in self.component_fields})

    @classmethod
    def concatenate(cls, parts):
        """Return one family holding the components of ``parts``, in order.

        Parameters
        ----------
        parts : list of Family
            Families of one class whose other settings (e.g. ``reg_covar``) are equal.

        Returns
        -------
        family : Family
        """
        first = parts[0]
        if any(type(part) is not type(first) for part in parts):
            names = sorted({type(part).__name__ for part in parts})
            raise TypeError(f"Components must all be of one family, got {', '.join(names)}; "
                            "use Independent for different families on different columns.")
        return replace(first, **{name: np.concatenate([np.asarray(getattr(p, name))
                                                       for p in parts])
                                 for name in first.component_fields})

    def identical_groups(self):
        """Return the groups of two or more components with exactly equal parameters.

        Returns
        -------
        groups : list of list of int
        """
        keys = {}
        for k in range(self.n_components):
            key = b"".join(np.ascontiguousarray(getattr(self, name)[k]).tobytes()
                           for name in self.component_fields)
            keys.setdefault(key, []).append(k)
        return [group for group in keys.values() if len(group) > 1]

    def to_dict(self):
        """Return the parameters as a dict of arrays and numbers (no pickle).

        Returns
        -------
        params : dict
        """
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}

    @classmethod
    def from_dict(cls, params):
        """Build a family from :meth:`to_dict` output.

        Parameters
        ----------
        params : dict
            The parameters.

        Returns
        -------
        family : Family
        """
        return cls(**params)
