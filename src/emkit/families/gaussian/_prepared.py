"""What the Gaussian families share: E-steps on prepared chunk features, float32 when safe.

Each family turns a chunk into features once (``_features``); the log-densities and the
moments are both products with them. The expanded quadratic form loses digits in float32
when components sit many standard deviations from the shift: its terms grow with the
squared Mahalanobis distance of the component's mean from the shift, while their sum,
the log-density near the mean, does not. So each family computes float32 chunks only
while float32's epsilon times the largest such squared distance stays below
``FLOAT32_SCALE_LIMIT``: every mean within about 41 standard deviations of the shift.
That scale comes from the parameters alone, in float64, so the choice of path, and the
convergence resolution drawn from it, are the same on every processor (a measured float32
error would depend on the order in which the processor's BLAS kernel adds).

Rows with missing entries (NaN) take the observed-data E-step of :mod:`.missing`: the
features are built with those entries at the shift, and float64 corrections turn the
log-densities and moments of the filled rows into the marginal log-densities and the
conditional moments. In float32 chunks, the log-densities of those rows are computed in
float64. Chunks without NaN go through the features alone.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from emkit._scan import scan_values
from emkit.families.gaussian._features import centred_features
from emkit.families.gaussian._sparse_sums import sparse_moment_sums
from emkit.families.gaussian.far import (FAR, FarChunk, exact_log_prob, exact_moments,
                                         far_components)
from emkit.families.gaussian.held import maximize_held
from emkit.families.gaussian.missing import (MissingChunk, complete_rows, min_chunk_rows,
                                             split_missing)

__all__ = ["FLOAT32_LARGEST", "FLOAT32_SCALE_LIMIT", "GAUSSIAN_EMPTY_SHARE", "LARGEST_VALUE",
           "PreparedGaussian"]

#: A Gaussian component with less than this share of the data's weight has none to
#: estimate from (see ``Family.empty_weight``).
GAUSSIAN_EMPTY_SHARE = 1e-10
#: Largest float32 rounding scale (``_float32_scale``) at which chunks are computed in
#: float32. In scratch fits of 16 components in 16 dimensions, float32 arithmetic moved
#: the covariances by 5e-7 (relative) at a scale of 1.5e-4 and by 1.2e-5 at 2.3e-4.
FLOAT32_SCALE_LIMIT = 2e-4
#: Largest magnitude of a value whose square, summed over many rows, stays finite.
LARGEST_VALUE = 1e150
#: The same for float32 data: squares up to 1e30 leave float32 (largest 3.4e38) room for
#: the products and sums of a chunk.
FLOAT32_LARGEST = 1e15


@dataclass(frozen=True)
class CompleteChunk:
    """A chunk without missing entries: its features, the rows and their raw features.

    Attributes
    ----------
    features : object
        What the family's ``_from_features`` made of ``terms``.
    X : ndarray of shape (n_samples, n_features)
        The rows.
    terms : ndarray of shape (n_terms, n_samples)
        The chunk features (see :mod:`._features`).
    """

    features: object
    X: np.ndarray
    terms: np.ndarray


class PreparedGaussian:
    """Mixin for families with chunk features and the feature E-step methods.

    A family names its features with ``_products`` (see :mod:`._features`), may turn them
    into its own form with ``_from_features``, and defines ``_log_prob_features`` and
    ``_accumulate_features`` for complete rows (with ``_stats_of_sums``, the statistics of
    the moment sums ``features @ W``, when its features are not ``LINEAR``),
    ``_log_prob_about_mean`` for components far from the shift (see :mod:`.far`), and
    for rows with missing entries ``_observed_terms`` (see :func:`.missing.observed_terms`),
    ``_add_missing`` (the statistics of the filled rows plus what the missing entries add)
    and ``_complete`` (the rows completed under each component, minus the shift). It
    derives ``shift`` (the mean of the means), the feature weights ``_weights``,
    ``_reach``, the largest squared Mahalanobis distance of a mean from the shift, and
    (with full matrices) ``_largest_precision``, the largest diagonal entry of a
    precision.
    """

    #: Rows with NaN get the observed-data E-step (marginal densities, conditional moments).
    allows_missing = True
    #: The M-step divides by the weight plus 10 float64 epsilons, as scikit-learn does,
    #: which pulls a mean toward the shift when the weight is not far above them.
    empty_share = GAUSSIAN_EMPTY_SHARE

    @property
    def _float32_scale(self):
        # float32's epsilon times the largest squared Mahalanobis distance of a
        # component's mean from the shift (``_reach``, which each family derives with
        # its feature weights): the size the expanded form's terms reach, and cancel
        # from, near that mean.
        return float(np.finfo(np.float32).eps) * self._reach

    @cached_property
    def _weights32(self):
        # The feature weights for float32 chunks.
        return self._weights.astype(np.float32)

    @property
    def _float32_ok(self):
        return self._float32_scale < FLOAT32_SCALE_LIMIT

    def _features(self, X, dtype):
        # The chunk features of the rows of X about the shift, in the family's form.
        return self._from_features(centred_features(X, self.shift, dtype, self._products))

    def _from_features(self, features):
        # What the family's E-step methods take, from the centred features (a subclass
        # step: the features themselves, or with what the family derives from them).
        return features

    @classmethod
    def validate(cls, X):
        """Raise a ValueError when ``X`` holds values whose squares would overflow.

        float64 data may reach ``LARGEST_VALUE`` in magnitude; float32 data, whose chunks
        are computed in float32, ``FLOAT32_LARGEST``.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.
        """
        if not np.size(X):
            return
        largest = scan_values(X).largest  # NaN passed over, no copy of X
        if X.dtype == np.float32 and largest > FLOAT32_LARGEST:
            raise ValueError(f"X is float32 with values up to {largest:.3g} in magnitude, whose "
                             f"squares overflow float32 beyond about {FLOAT32_LARGEST:g}; pass "
                             "X as float64 (X.astype(np.float64)) or rescale it.")
        if largest > LARGEST_VALUE:
            raise ValueError(f"X has values up to {largest:.3g} in magnitude; a Gaussian's "
                             f"second moments overflow float64 beyond about {LARGEST_VALUE:g}, "
                             "so rescale X (e.g. divide it by its standard deviation).")

    def resolution(self, dtype):
        """Return the smallest change of a per-sample log-likelihood the E-step can resolve.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
            0 when chunks are computed in float64; in float32, four times float32's
            epsilon times the largest squared Mahalanobis distance of a component's
            mean from the shift, the size of the terms whose rounding it is.
        """
        if np.dtype(dtype) == np.float32 and self._float32_ok:
            return 4 * self._float32_scale
        return 0.0

    def prepare(self, X):
        """Return the chunk's precomputed features, in float32 when that is safe.

        Rows with missing entries (NaN) get their marginal log-densities and conditional
        moments here, in float64.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows; NaN marks a missing entry.

        Returns
        -------
        prepared : object
            What ``log_prob_prepared`` and ``accumulate_prepared`` take.
        """
        dtype = np.float32 if X.dtype == np.float32 and self._float32_ok else np.float64
        # The features of complete rows, or None when the chunk holds a NaN.
        features = centred_features(X, self.shift, dtype, self._products, complete=True)
        if features is not None:
            if self._far is not None:
                return FarChunk(self._from_features(features), X)
            return CompleteChunk(self._from_features(features), X, features)
        filled, rows, mask, centred = split_missing(X.astype(dtype, copy=False), self.shift)
        features = self._features(filled, dtype)
        correction, order, terms = self._observed_terms(centred, mask)
        relative = dtype == np.float64
        if not relative:
            rows_filled = np.take(np.where(mask, self.shift, X[rows]), order, axis=0)
            correction += self._log_prob_features(self._features(rows_filled, np.float64))
        return MissingChunk(features, rows, mask, centred, correction, order, relative, terms)

    def log_prob_prepared(self, prepared):
        """Return the log-densities of a prepared chunk.

        Parameters
        ----------
        prepared : object
            What :meth:`prepare` returned.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
            Marginal log-densities of the observed entries of each row; 0 for a row
            with every entry missing.
        """
        if isinstance(prepared, FarChunk):
            # Far components' log-densities about their own means (see .far).
            out = self._log_prob_features(prepared.features)
            out[:, self._far] = exact_log_prob(self, prepared.X, self._far)
            return out
        if isinstance(prepared, CompleteChunk):
            prepared = prepared.features
        if not isinstance(prepared, MissingChunk):
            return self._log_prob_features(prepared)
        out = self._log_prob_features(prepared.features)
        rows = prepared.rows[prepared.order]
        out[rows] = out[rows] + prepared.log_prob if prepared.relative else prepared.log_prob
        out[prepared.rows[prepared.empty]] = 0.0
        return out

    def accumulate_prepared(self, prepared, W):
        """Return the weighted moments of a prepared chunk about the family's shift.

        The missing entries of a row count at their conditional mean under each
        component, and the second moments gain their conditional covariance; rows with
        every entry missing add nothing.

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
        if isinstance(prepared, CompleteChunk):
            sums = sparse_moment_sums(prepared.terms, prepared.X, self.shift, W,
                                      self._products)
            if sums is not None:
                return self._stats_of_sums(sums)
            return self._accumulate_features(prepared.features, W)
        if isinstance(prepared, FarChunk):
            # Components far from the shared shift: their moments about their own means.
            near = np.array(W)
            near[:, self._far] = 0.0
            return exact_moments(self._accumulate_features(prepared.features, near),
                                 prepared.X, W, self._far, self.means)
        if not isinstance(prepared, MissingChunk):
            return self._accumulate_features(prepared, W)
        empty = prepared.rows[prepared.empty]
        if len(empty):
            W = np.array(W)
            W[empty] = 0.0
        return self._add_missing(self._accumulate_features(prepared.features, W), prepared, W)

    def accumulate_start(self, X, W):
        """Return the moments of a start from responsibilities, each component's about its mean.

        A start's placeholder family has every mean at one centre, so no component is
        known to lie far from the shift (see :mod:`.far`), and moments about the shift
        would lose the digits of a tight cluster far from it (two clusters of spread
        1e-3 at 0 and 1e6: every digit). Each component's moments of a chunk without
        missing entries are summed about the weighted mean of its rows, in two passes, as
        scikit-learn's first M-step computes them; a chunk with a missing entry takes
        :meth:`accumulate`, whose conditional moments need the placeholder's parameters.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.
        W : ndarray of shape (n_samples, n_components)
            The starting responsibilities of the rows.

        Returns
        -------
        stats : AdditiveStats
        """
        X = np.asarray(X, dtype=np.float64)
        # One sum answers the usual case (finite: no NaN); a non-finite one is looked into.
        if not np.isfinite(np.add.reduce(X, axis=None)) and np.isnan(X).any():
            return self.accumulate(X, W)
        K = self.n_components
        empty = self.accumulate(X[:0], np.zeros((0, K)))
        return exact_moments(empty, X, W, np.ones(K, dtype=bool), self.means)

    def condition(self, X):
        """Return every row completed with its conditional mean under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.

        Returns
        -------
        conditional_means : ndarray of shape (n_samples, n_components, n_features)
            Observed entries as they are; a missing entry ``x_M`` of a row, under
            component ``k``, at ``E[x_M | x_O, k]`` (the component mean when nothing in
            the row is observed).
        """
        X = np.asarray(X, dtype=np.float64)
        out = np.repeat(X[:, None, :], self.n_components, axis=1)
        mask = np.isnan(X)
        rows = np.flatnonzero(mask.any(axis=1))
        if len(rows):
            mask = mask[rows]
            centred = X[rows] - self.shift
            centred[mask] = 0.0
            completed = self._complete(centred, mask) + self.shift
            out[rows] = np.where(mask[:, None, :], completed, out[rows])
        return out

    def log_prob(self, X):
        """Return the Gaussian log-density of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
            Marginal log-densities of the observed entries.
        """
        return self.log_prob_prepared(self.prepare(X))

    def accumulate(self, X, W):
        """Return the weighted first and second moments about the family's shift.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows; NaN marks a missing entry.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : AdditiveStats
        """
        return self.accumulate_prepared(self.prepare(X), W)

    def _complete(self, centred, mask):
        # The rows minus the shift, completed under each component (diagonal families
        # override this with their closed form).
        _, _, terms = self._observed_terms(centred, mask)
        return complete_rows(centred, mask, self.means - self.shift, terms)

    @cached_property
    def _far(self):
        # Components whose moments about the shared shift would lose digits (see .far).
        # No coordinate of a mean lies farther from the shift, in its own standard
        # deviations, than the mean's Mahalanobis distance: within FAR of it, none is
        # far, and the usual case costs one comparison.
        return None if self._reach <= FAR else far_components(self)

    def maximize_held(self, stats, held, current):
        """Return the M-step with the ``held`` parameters kept at ``current``'s values.

        A covariance whose mean is held is its scatter about that mean
        (:func:`emkit.families.gaussian.held.maximize_held`).

        Parameters
        ----------
        stats : AdditiveStats
            Summed statistics.
        held : dict
            Parameter name -> boolean mask of held components, or True.
        current : Family
            The components the held values are taken from.

        Returns
        -------
        family : Family
        """
        return maximize_held(self, stats, held, current)

    def regularization_share(self):
        """Return ``reg_covar`` over a lower bound of the smallest covariance eigenvalue.

        The bound is the inverse of the largest diagonal entry of a precision, which
        the family derives as ``_largest_precision`` (diagonal families override this
        with their exact smallest variance).

        Returns
        -------
        share : float
        """
        return float(self.reg_covar * self._largest_precision)

    def min_chunk_rows(self, X):
        """Return the fewest rows per chunk worth an E-step on ``X`` (more with NaN).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The data.

        Returns
        -------
        rows : int
        """
        return min_chunk_rows(X)

    def reseed(self, k, x):
        """Restart component ``k`` at ``x`` with the average covariance of the others.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The new mean; a NaN (missing) coordinate keeps the current mean's.

        Returns
        -------
        family : same type
        """
        means, covs = self.means.copy(), self.covariances.copy()
        others = np.delete(covs, k, axis=0)
        means[k] = np.where(np.isnan(x), means[k], x)
        covs[k] = others.mean(axis=0) if len(others) else covs[k]
        return type(self)(means, covs, self.reg_covar)
