"""When float32 is safe: a measured check, not a guess.

The expanded quadratic form loses digits in float32 when components sit many standard
deviations from the shift. Each family evaluates its components at their own means in
float32 and in float64 when it is built, and computes float32 chunks only when the two
agree to ``FLOAT32_ATOL``; otherwise float32 data are computed in float64.
"""

import numpy as np

__all__ = ["FLOAT32_ATOL", "Float32Probe"]

#: Largest log-density error, at the component means, that float32 may make.
FLOAT32_ATOL = 1e-4


class Float32Probe:
    """Mixin for families with ``_features(X, dtype)`` and ``log_prob_prepared``."""

    def _probe_float32(self):
        lp64 = self.log_prob_prepared(self._features(self.means, np.float64))
        lp32 = self.log_prob_prepared(self._features(self.means, np.float32))
        error = np.abs(np.diagonal(lp32).astype(np.float64) - np.diagonal(lp64))
        return bool(np.all(error < FLOAT32_ATOL))

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
