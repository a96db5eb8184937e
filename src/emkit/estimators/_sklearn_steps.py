"""scikit-learn's protected steps of a Gaussian mixture, for code written against them.

scikit-learn's own tests, and code that drives its mixtures step by step, call the
protected methods of ``BaseMixture``: ``_get_parameters`` and ``_set_parameters``,
``_initialize(X, resp)``, ``_estimate_log_prob`` and its relatives, ``_e_step``,
``_m_step`` and ``_compute_lower_bound``. Here each is a view of emkit's model, in
scikit-learn's shapes; emkit's fit never calls them, so overriding one in a subclass
changes nothing in ``fit``.
"""

import numpy as np
from scipy.special import logsumexp
from sklearn.utils.validation import check_array, check_is_fitted

from emkit.engine.sources import ArraySource
from emkit.estimators._input import attribute_dtype
from emkit.models.mixture import Mixture

__all__ = ["SklearnSteps"]


class SklearnSteps:
    """Mixin of :class:`emkit.GaussianMixture`: scikit-learn's protected steps."""

    def _get_parameters(self):
        """Return ``(weights_, means_, covariances_, precisions_cholesky_)``.

        Returns
        -------
        params : tuple
        """
        return self.weights_, self.means_, self.covariances_, self.precisions_cholesky_

    def _set_parameters(self, params):
        """Set the fitted parameters from scikit-learn's tuple of four.

        ``precisions_`` follows from ``precisions_cholesky``, as in scikit-learn.

        Parameters
        ----------
        params : tuple
            ``(weights, means, covariances, precisions_cholesky)`` in scikit-learn's
            shapes for ``covariance_type``.
        """
        weights, means, covariances, precisions_cholesky = params
        family = self._family.from_precisions_cholesky(means, precisions_cholesky,
                                                       self.reg_covar)
        self.weights_, self.means_ = weights, means
        self.covariances_, self.precisions_cholesky_ = covariances, precisions_cholesky
        self.precisions_ = np.asarray(family.precisions, dtype=np.asarray(means).dtype)

    def _float64_rows(self, X):
        # The rows checked once, in float64; the attributes the step sets take their
        # dtype (as a fit's do).
        X = check_array(X, dtype=[np.float64, np.float32])
        self._attribute_dtype = attribute_dtype(X)
        return X.astype(np.float64, copy=False)

    def _initialize(self, X, resp):
        """Set the starting parameters from responsibilities, as a fit's start does.

        ``weights_init``, ``means_init`` and ``precisions_init``, where given, override
        what ``resp`` estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.
        resp : array-like of shape (n_samples, n_components)
            Starting responsibilities.
        """
        X = self._float64_rows(X)
        resp = check_array(resp, dtype=np.float64)
        # As scikit-learn's: the components are resp's columns, the given starts are
        # taken as they are (a fit checks them before it calls this).
        self._set_model(self._start_from_resp(ArraySource(X), lambda a, b: resp[a:b],
                                              resp.shape[1]))

    def _estimate_log_weights(self):
        """Return ``log(weights_)``.

        Returns
        -------
        log_weights : ndarray of shape (n_components,)
        """
        return np.log(self.weights_)

    def _estimate_log_prob(self, X):
        """Return the log-density of each row under each component.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        return self._get_model().family.log_prob(self._validated(X))

    def _estimate_weighted_log_prob(self, X):
        """Return ``log w_k + log p(x_i | k)``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        weighted_log_prob : ndarray of shape (n_samples, n_components)
        """
        return self._estimate_log_prob(X) + self._estimate_log_weights()

    def _estimate_log_prob_resp(self, X):
        """Return each row's log-density and its log-responsibilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob_norm : ndarray of shape (n_samples,)
        log_resp : ndarray of shape (n_samples, n_components)
        """
        weighted = self._estimate_weighted_log_prob(X)
        log_prob_norm = logsumexp(weighted, axis=1)
        with np.errstate(under="ignore"):
            log_resp = weighted - log_prob_norm[:, np.newaxis]
        return log_prob_norm, log_resp

    def _e_step(self, X):
        """Return the mean log-density of the rows and their log-responsibilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        mean_log_prob_norm : float
        log_resp : ndarray of shape (n_samples, n_components)
        """
        log_prob_norm, log_resp = self._estimate_log_prob_resp(X)
        return np.mean(log_prob_norm), log_resp

    def _m_step(self, X, log_resp):
        """Set the parameters that maximize the expected log-likelihood of ``log_resp``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The rows.
        log_resp : array-like of shape (n_samples, n_components)
            Log-responsibilities (from :meth:`_e_step`).
        """
        X = self._float64_rows(X)
        resp = np.exp(check_array(log_resp, dtype=np.float64))
        weights, family = self._maximize_resp(ArraySource(X), lambda a, b: resp[a:b],
                                              resp.shape[1])
        self._set_model(Mixture(weights / weights.sum(), family))

    def _compute_lower_bound(self, _, log_prob_norm):
        """Return ``log_prob_norm``: for EM the lower bound is the log-likelihood.

        Parameters
        ----------
        _ : object
            Unused (scikit-learn passes the log-responsibilities).
        log_prob_norm : float
            The mean log-density of the rows.

        Returns
        -------
        lower_bound : float
        """
        return log_prob_norm
