"""Different families on different column groups of one data set.

``Independent(families, columns)`` models the columns ``columns[j]`` of ``X`` with
``families[j]``; the groups are independent given the component, so a component's
log-density is the sum of the parts' log-densities on their columns. Every part holds
the same number of components, and component ``k`` of the whole is component ``k`` of
every part. The statistics are the tuple of the parts' statistics and the M-step
maximizes each part on its own. Missing entries (NaN) go to the parts as they are; the
whole takes them when every part does (``allows_missing``).
"""

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from emkit.families._column_groups import check_cover, column_groups, with_data_columns
from emkit.families.base import Family, set_derived
from emkit.stats import AdditiveStats

__all__ = ["Independent", "IndependentStats"]


@dataclass(frozen=True)
class IndependentStats(AdditiveStats):
    """The statistics of the parts of an :class:`Independent` family.

    Parameters
    ----------
    parts : tuple of AdditiveStats
        The statistics of each part, in the order of the families.
    """

    parts: tuple

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if len(other.parts) != len(self.parts):
            raise ValueError(f"Cannot add the statistics of {len(self.parts)} and "
                             f"{len(other.parts)} parts.")
        return IndependentStats(tuple(a + b for a, b in zip(self.parts, other.parts)))

    def scale(self, rho):
        """Return the statistics of every part multiplied by ``rho``.

        Parameters
        ----------
        rho : float
            The factor.

        Returns
        -------
        stats : IndependentStats
        """
        return IndependentStats(tuple(part.scale(rho) for part in self.parts))


@dataclass(frozen=True)
class Independent(Family):
    """K components whose column groups follow different families, independently.

    Parameters
    ----------
    families : sequence of Family
        One family per column group, all with the same number of components.
    columns : sequence of (list of int or slice)
        The columns of ``X`` each family models, in the order of ``families``. Together
        the groups hold every column ``0`` to ``n_features - 1`` exactly once.

    Examples
    --------
    >>> import numpy as np
    >>> from emkit.families import Categorical, GaussianDiag, Poisson
    >>> from emkit.families.independent import Independent
    >>> family = Independent(
    ...     [GaussianDiag(np.zeros((2, 2)), np.ones((2, 2))),
    ...      Poisson([[1.0], [5.0]]),
    ...      Categorical([[[0.5, 0.5]], [[0.9, 0.1]]])],
    ...     columns=[[0, 1], [2], [3]])
    >>> family.n_features, family.n_components
    (4, 2)
    """

    families: tuple
    columns: tuple
    _indices: tuple = field(init=False, repr=False, compare=False)

    #: Whether NaN entries are taken as missing values: True on an instance whose parts
    #: all take them.
    allows_missing: ClassVar[bool] = False

    def __post_init__(self):
        families = tuple(self.families)
        if not families or not all(isinstance(f, Family) for f in families):
            raise ValueError("families must be a non-empty sequence of Family instances.")
        columns = column_groups(families, self.columns)
        n_components = {f.n_components for f in families}
        if len(n_components) != 1:
            raise ValueError("Every part of an Independent family must have the same number "
                             f"of components; got {sorted(n_components)}.")
        check_cover(columns)
        set_derived(self, families=families, columns=columns,
                    _indices=tuple(np.array(cols, dtype=np.intp) for cols in columns),
                    allows_missing=all(f.allows_missing for f in families))

    # -- shape -----------------------------------------------------------------------
    @property
    def n_components(self):
        """Number of components."""
        return self.families[0].n_components

    @property
    def n_features(self):
        """Number of columns of the data."""
        return sum(len(cols) for cols in self.columns)

    def _check(self, X):
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features); "
                             f"got {X.ndim} dimension(s).")
        if X.shape[1] != self.n_features:
            raise ValueError(f"X has {X.shape[1]} column(s), but the Independent family has "
                             f"{self.n_features}.")
        if not np.issubdtype(X.dtype, np.floating):
            X = X.astype(np.float64)
        return X

    def _call(self, j, method, *args):
        # Call a part's method; re-raise its ValueError with the original column indices.
        try:
            return method(*args)
        except ValueError as exc:
            raise ValueError(with_data_columns(str(exc), self.columns[j],
                                               type(self.families[j]).__name__)) from exc

    # -- the protocol --------------------------------------------------------------
    def validate(self, X):
        """Raise a ValueError when a value of ``X`` lies outside a part's support.

        Each part that has a ``validate`` checks its own columns; the message names the
        column of ``X``, not the column within the part. NaN (a missing entry) is
        allowed in the columns of parts that take missing values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The rows, floating point.
        """
        X = self._check(X)
        missing = np.isnan(X).any(axis=0)
        for j, (part, index) in enumerate(zip(self.families, self._indices)):
            self._call(j, part.validate, X[:, index])
            if missing[index].any() and not part.allows_missing:
                raise ValueError(f"Column {self.columns[j][int(np.argmax(missing[index]))]} "
                                 f"holds a missing value (NaN), but the "
                                 f"{type(part).__name__} part (families[{j}]) takes none.")
        return X

    def log_prob(self, X):
        """Return the sum of the parts' log-probabilities on their columns.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN entries go to the parts as they are.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = self._check(X)
        out = np.zeros((X.shape[0], self.n_components))
        for j, (part, index) in enumerate(zip(self.families, self._indices)):
            out += self._call(j, part.log_prob, X[:, index])
        return out

    def condition(self, X):
        """Return each entry's expectation given its row's observed entries, per component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows, NaN where missing.

        Returns
        -------
        expected : ndarray of shape (n_samples, n_components, n_features)
        """
        X = self._check(X)
        out = np.repeat(X.astype(np.float64)[:, None, :], self.n_components, axis=1)
        for part, index in zip(self.families, self._indices):
            out[:, :, index] = part.condition(X[:, index])
        return out

    def accumulate(self, X, W):
        """Return the statistics of every part on its columns.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN entries go to the parts as they are.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : IndependentStats
        """
        X = self._check(X)
        return IndependentStats(tuple(self._call(j, part.accumulate, X[:, index], W)
                                      for j, (part, index)
                                      in enumerate(zip(self.families, self._indices))))

    def prepare(self, X):
        """Return each part's prepared chunk of its columns.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.

        Returns
        -------
        prepared : tuple
            One prepared chunk per part.
        """
        X = self._check(X)
        return tuple(self._call(j, part.prepare, X[:, index])
                     for j, (part, index) in enumerate(zip(self.families, self._indices)))

    def log_prob_prepared(self, prepared):
        """Return :meth:`log_prob` of a prepared chunk, in float64.

        Parameters
        ----------
        prepared : tuple
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        out = None
        for j, (part, chunk) in enumerate(zip(self.families, prepared)):
            lp = np.asarray(self._call(j, part.log_prob_prepared, chunk), dtype=np.float64)
            out = lp.copy() if out is None else out + lp
        return out

    def accumulate_prepared(self, prepared, W):
        """Return :meth:`accumulate` of a prepared chunk.

        Parameters
        ----------
        prepared : tuple
            What :meth:`prepare` returned.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : IndependentStats
        """
        return IndependentStats(tuple(self._call(j, part.accumulate_prepared, chunk, W)
                                      for j, (part, chunk)
                                      in enumerate(zip(self.families, prepared))))

    def maximize(self, stats):
        """Return the family whose parts maximize their own statistics.

        Parameters
        ----------
        stats : IndependentStats
            Summed statistics.

        Returns
        -------
        family : Independent
        """
        parts = tuple(part.maximize(s) for part, s in zip(self.families, stats.parts))
        return Independent(parts, self.columns)

    def n_parameters(self):
        """Return the number of free parameters: the sum over the parts.

        Returns
        -------
        n : int
        """
        return int(sum(part.n_parameters() for part in self.families))

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k``, each part filling its own columns.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state; the parts draw from it in order.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        X = np.empty((int(n), self.n_features))
        for part, index in zip(self.families, self._indices):
            X[:, index] = part.sample(k, n, rng)
        return X

    def reseed(self, k, x):
        """Restart component ``k`` of every part at that part's columns of ``x``.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : Independent
        """
        x = np.asarray(x).ravel()
        parts = tuple(part.reseed(k, x[index]) for part, index in zip(self.families,
                                                                        self._indices))
        return Independent(parts, self.columns)

    def regularization_share(self):
        """Return the largest regularization share of the parts.

        Returns
        -------
        share : float
        """
        return max(float(part.regularization_share()) for part in self.families)

    def resolution(self, dtype):
        """Return the sum of the parts' resolutions.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
        """
        return float(sum(part.resolution(dtype) for part in self.families))

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
        head = np.asarray(X)[:1]
        return int(X.dtype.itemsize * X.shape[1] + 8 * self.n_components
                   + sum(part.bytes_per_row(head[:, index])
                         for part, index in zip(self.families, self._indices)))

    # -- generic helpers -----------------------------------------------------------
    def take(self, indices):
        """Return the family made of the components at ``indices`` of every part.

        Parameters
        ----------
        indices : array-like of int
            Components to keep, in order; repeats copy a component.

        Returns
        -------
        family : Independent
        """
        return Independent(tuple(part.take(indices) for part in self.families), self.columns)

    @classmethod
    def concatenate(cls, parts):
        """Return one family holding the components of ``parts``, in order.

        Parameters
        ----------
        parts : list of Independent
            Independent families with the same column groups and part classes.

        Returns
        -------
        family : Independent
        """
        first = parts[0]
        if any(type(p) is not Independent for p in parts):
            names = sorted({type(p).__name__ for p in parts})
            raise TypeError(f"Components must all be Independent families, got "
                            f"{', '.join(names)}.")
        if any(tuple(p.columns) != first.columns or len(p.families) != len(first.families)
               for p in parts):
            raise ValueError("Independent components can be joined only when they have the "
                             "same column groups.")
        families = tuple(type(group[0]).concatenate(list(group))
                         for group in zip(*(p.families for p in parts)))
        return Independent(families, first.columns)

    def identical_groups(self):
        """Return the groups of two or more components identical in every part.

        Returns
        -------
        groups : list of list of int
        """
        K = self.n_components
        labels = np.tile(np.arange(K), (len(self.families), 1))
        for j, part in enumerate(self.families):
            for group in part.identical_groups():
                labels[j, group] = group[0]
        keys = {}
        for k in range(K):
            keys.setdefault(tuple(labels[:, k]), []).append(k)
        return [group for group in keys.values() if len(group) > 1]

    def to_dict(self):
        """Return the parts and their column groups.

        Returns
        -------
        params : dict
            ``families`` (a tuple of families) and ``columns`` (a tuple of tuples of int).
        """
        return {"families": self.families, "columns": self.columns}
