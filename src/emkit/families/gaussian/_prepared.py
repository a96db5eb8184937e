"""What the Gaussian families share: E-steps on prepared chunk features, float32 when safe.

Each family turns a chunk into features once (``_features``); the log-densities and the
moments are both products with them. The expanded quadratic form loses digits in float32
when components sit many standard deviations from the shift, so each family evaluates
its components at their own means in float32 and in float64 when it is built, and
computes float32 chunks only when the two agree to ``FLOAT32_ATOL``.
"""

import numpy as np

__all__ = ["FLOAT32_ATOL", "PreparedGaussian"]

#: Largest log-density error, at the component means, that float32 may make.
FLOAT32_ATOL = 1e-4


class PreparedGaussian:
    """Mixin for families with ``_features(X, dtype)`` and the ``*_prepared`` methods."""

    def _probe_float32(self):
        # Sets ``_float32_ok`` and ``_float32_error`` (the largest error at the means).
        lp64 = self.log_prob_prepared(self._features(self.means, np.float64))
        lp32 = self.log_prob_prepared(self._features(self.means, np.float32))
        error = float(np.max(np.abs(np.diagonal(lp32).astype(np.float64) - np.diagonal(lp64))))
        object.__setattr__(self, "_float32_error", error)
        object.__setattr__(self, "_float32_ok", error < FLOAT32_ATOL)

    def resolution(self, dtype):
        """Return the smallest change of a per-sample log-likelihood the E-step can resolve.

        Parameters
        ----------
        dtype : numpy.dtype
            The dtype of the data.

        Returns
        -------
        resolution : float
            0 when chunks are computed in float64; in float32, a few times the error
            measured at the component means.
        """
        if np.dtype(dtype) == np.float32 and self._float32_ok:
            return 4 * self._float32_error
        return 0.0

    def prepare(self, X):
        """Return the chunk's precomputed features, in float32 when that is safe.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.

        Returns
        -------
        prepared : object
            What ``log_prob_prepared`` and ``accumulate_prepared`` take.
        """
        if X.dtype == np.float32 and self._float32_ok:
            return self._features(X, np.float32)
        return self._features(X, np.float64)

    def log_prob(self, X):
        """Return the Gaussian log-density of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        return self.log_prob_prepared(self.prepare(X))

    def accumulate(self, X, W):
        """Return the weighted first and second moments about the family's shift.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.
        W : ndarray of shape (n_samples, n_components)
            Weights of the rows.

        Returns
        -------
        stats : AdditiveStats
        """
        return self.accumulate_prepared(self.prepare(X), W)

    def reseed(self, k, x):
        """Restart component ``k`` at ``x`` with the average covariance of the others.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The new mean.

        Returns
        -------
        family : same type
        """
        means, covs = self.means.copy(), self.covariances.copy()
        others = np.delete(covs, k, axis=0)
        means[k] = x
        covs[k] = others.mean(axis=0) if len(others) else covs[k]
        return type(self)(means, covs, self.reg_covar)
