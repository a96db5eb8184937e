"""Information criteria of a fitted model, once for every estimator and for ``select``.

Each takes the total log-likelihood of the data, the number of free parameters and the
number of samples; lower is better.
"""

import numpy as np

from emkit.models.mixture import responsibility_entropy

__all__ = ["aic", "bic", "icl"]


def bic(log_likelihood, n_parameters, n_samples):
    """Bayesian information criterion, ``-2 log L + p log n``.

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data.
    n_parameters : int
        Free parameters of the model.
    n_samples : int
        Samples (rows) of the data.

    Returns
    -------
    bic : float
    """
    return float(-2 * log_likelihood + n_parameters * np.log(n_samples))


def aic(log_likelihood, n_parameters):
    """Akaike information criterion, ``-2 log L + 2 p``.

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data.
    n_parameters : int
        Free parameters of the model.

    Returns
    -------
    aic : float
    """
    return float(-2 * log_likelihood + 2 * n_parameters)


def icl(log_likelihood, n_parameters, n_samples, resp):
    """Integrated completed likelihood: BIC plus twice the entropy of the posteriors.

    Parameters
    ----------
    log_likelihood : float
        Total log-likelihood of the data.
    n_parameters : int
        Free parameters of the model.
    n_samples : int
        Samples (rows) of the data.
    resp : ndarray of shape (n_samples, n_components)
        Posterior probability of each component for each sample.

    Returns
    -------
    icl : float
        ``bic - 2 sum_i sum_k r_ik log r_ik`` (with ``0 log 0 = 0``); it penalises
        overlapping components as well as extra parameters.
    """
    return bic(log_likelihood, n_parameters, n_samples) + 2 * responsibility_entropy(resp)
