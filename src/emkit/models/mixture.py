"""The finite mixture: K components of one family, mixed by weights.

E-step: ``log w_k + log p(x | k)``, normalized per row in log space, exponentiated only
after normalizing; the responsibilities go to the family's ``accumulate``. M-step: the
weights are the normalized responsibility sums, the family maximizes its statistics.
"""

import math
import warnings
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from emkit._products import column_totals
from emkit.exceptions import ComponentCollapseWarning, IdenticalComponentsWarning
from emkit.families.base import Family
from emkit.models._delegate import FamilyDelegate
from emkit.models.held import Held
from emkit.models.responsibilities import clamp_labels, flush_subnormal, log_normalize
from emkit.models.worst_rows import WorstRows
from emkit.stats import WEIGHT_EPS, AdditiveStats

__all__ = ["Mixture", "MixtureStats", "log_normalize", "responsibility_entropy"]

#: A component whose responsibilities sum to less than this many average samples is empty.
COLLAPSE_SAMPLES = 1e-3
#: Above this share of the smallest variance, regularization may lower the likelihood.
REGULARIZATION_SHARE = 1e-4


@dataclass(frozen=True)
class MixtureStats(AdditiveStats):
    """Summed E-step statistics of a mixture.

    Attributes
    ----------
    log_likelihood : float
        Weighted sum of the rows' log-likelihoods.
    n_rows : int
        Rows seen.
    total_weight : float
        Sum of the sample weights.
    resp_sum : ndarray of shape (n_components,)
        Sum of the weighted responsibilities of each component.
    family : AdditiveStats
        The family's statistics.
    worst : WorstRows
        The rows the model explains worst (for re-seeding empty components).
    """

    log_likelihood: float
    n_rows: int
    total_weight: float
    resp_sum: np.ndarray
    family: AdditiveStats
    worst: WorstRows


def responsibility_entropy(resp):
    """Compute the entropy of a matrix of responsibilities, with ``0 log 0 = 0``.

    Parameters
    ----------
    resp : array-like of shape (n_samples, n_components)
        Posterior probability of each component for each sample.

    Returns
    -------
    entropy : float
        ``-sum_i sum_k r_ik log r_ik``; 0 when every sample is assigned with certainty.
    """
    resp = np.asarray(resp, dtype=np.float64)
    logs = np.log(resp, out=np.zeros_like(resp), where=resp > 0)
    return float(-np.sum(resp * logs))


def _raise_bad_density(family, X, log_norm):
    rows = np.flatnonzero(np.isnan(log_norm) | np.isposinf(log_norm))
    if not len(rows):
        return
    row = int(rows[0])
    values = np.asarray(family.log_prob(X[row:row + 1]), dtype=np.float64)[0]
    bad = np.flatnonzero(np.isnan(values) | np.isposinf(values))
    k = int(bad[0]) if len(bad) else 0
    raise ValueError(
        f"{type(family).__name__}.log_prob returned {values[k]} for component {k} at a row "
        f"of the data ({X[row].tolist()}); a log-density must be finite or -inf, so check "
        "the family's parameters and support.")


def _check_finite(family):
    for name in family.component_fields:
        value = np.asarray(getattr(family, name), dtype=np.float64)
        # A NaN or an infinity makes the sum non-finite; so may an overflow, which the
        # test by rows below then clears. One reduction, no array of flags.
        if math.isfinite(np.add.reduce(value, axis=None)):
            continue
        bad = ~np.isfinite(value.reshape(len(value), -1)).all(axis=1)
        if bad.any():
            raise ValueError(
                f"{type(family).__name__}.maximize returned non-finite {name} for component "
                f"{int(np.flatnonzero(bad)[0])}; the M-step must return valid parameters "
                "(check it for empty components and divisions by zero).")


def _assign_hard(log_joint):
    # In place: one-hot rows at the most probable component; returns each row's maximum.
    best = log_joint.argmax(axis=1)
    top = log_joint[np.arange(len(best)), best]
    log_joint[...] = 0.0
    log_joint[np.arange(len(best)), best] = 1.0
    return top


@dataclass(frozen=True)
class Mixture(FamilyDelegate):
    """A mixture of the components of one family.

    Parameters
    ----------
    weights : ndarray of shape (n_components,)
        Mixing weights, summing to 1.
    family : Family
        The components.
    tied_groups : tuple of tuple of int, default=()
        Groups of components kept exactly identical (they started identical).
    monotone : bool, default=True
        False when the last M-step may have lowered the likelihood on purpose: it
        re-seeded a component, or the regularization dominates a variance.
    hard : bool, default=False
        Classification EM: each row goes wholly to its most probable component, and the
        objective is the classification log-likelihood ``sum_i max_k log w_k p(x_i | k)``.
    held : Held, default=None
        Parameters the M-step keeps at their current values (:mod:`emkit.models.held`).
    """

    weights: np.ndarray
    family: Family
    tied_groups: tuple = ()
    monotone: bool = True
    hard: bool = False
    held: Held = None

    @classmethod
    def start(cls, weights, family, hard=False):
        """Return the starting mixture, tying (with a warning) components that are identical.

        Parameters
        ----------
        weights : ndarray of shape (n_components,)
            Mixing weights.
        family : Family
            The starting components.
        hard : bool, default=False
            Run classification (hard) EM.

        Returns
        -------
        mixture : Mixture
        """
        groups = tuple(tuple(g) for g in family.identical_groups())
        for group in groups:
            names = ", ".join(map(str, group[:-1])) + f" and {group[-1]}"
            warnings.warn(
                f"Components {names} start with identical parameters, so EM cannot separate "
                "them and they stay identical; give distinct starting values, or use "
                "n_init > 1 with a random initialization.", IdenticalComponentsWarning,
                stacklevel=3)
        return cls(np.asarray(weights, dtype=np.float64), family, groups, hard=hard)

    @property
    def n_components(self):
        """Number of components."""
        return len(self.weights)

    @cached_property
    def log_weights(self):
        """``log w_k``, (n_components,); ``-inf`` for a zero weight."""
        if np.minimum.reduce(self.weights) > 0.0:
            return np.log(self.weights)  # the usual case, without numpy's error state
        with np.errstate(divide="ignore"):
            return np.log(self.weights)

    def log_joint(self, X):
        """Return ``log w_k + log p(x_i | k)``, (n_samples, n_components), in float64.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_joint : ndarray of shape (n_samples, n_components)
        """
        return self.family.log_prob(X).astype(np.float64) + self.log_weights

    def posteriors(self, X):
        """Return the responsibilities and the log-density of each row, in float64.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        resp : ndarray of shape (n_samples, n_components)
            Posterior probability of each component; rows sum to 1.
        log_density : ndarray of shape (n_samples,)
            ``log sum_k w_k p(x_i | k)``; exactly 0 for a row the family gives density 1
            under every component (a row with nothing observed).
        """
        resp = np.array(self.family.log_prob(X), dtype=np.float64)
        return resp, log_normalize(resp, self.log_weights)

    def chunk_stats(self, X, sample_weight=None, labels=None):
        """E-step on one chunk: the mixture's additive statistics.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            One chunk of rows.
        sample_weight : ndarray of shape (n_samples,), default=None
            Weights of the rows.
        labels : ndarray of int of shape (n_samples,), default=None
            The known component of each row (-1: unknown). A labelled row's
            responsibility is 1 for its component, and it adds ``log w_y p(x | y)`` to the
            objective (semi-supervised EM).

        Returns
        -------
        stats : MixtureStats
        """
        if labels is None and sample_weight is None and not self.hard:
            fused = self.family.fused_stats(X, self.log_weights)
            if fused is not None:
                log_norm, resp_sum, family_stats = fused
                return MixtureStats(float(np.add.reduce(log_norm)), X.shape[0],
                                    float(X.shape[0]), resp_sum, family_stats,
                                    WorstRows.of_chunk(X, log_norm, self.n_components))
        prepared = self.family.prepare(X)
        resp = self.family.log_prob_prepared(prepared)
        if labels is not None:
            clamp_labels(resp, labels)
        resp_sum = np.zeros(self.n_components)
        if self.hard:
            resp += self.log_weights.astype(resp.dtype)
            log_norm = _assign_hard(resp)
            resp_sum = column_totals(resp)
        else:
            log_norm = log_normalize(resp, self.log_weights, resp_sum)
        log_likelihood = float(np.add.reduce(log_norm))
        if np.isnan(log_likelihood) or log_likelihood == np.inf:
            _raise_bad_density(self.family, X, log_norm)
        if sample_weight is None:
            total, scores = float(X.shape[0]), log_norm
        else:
            resp *= sample_weight.astype(resp.dtype)[:, None]
            # A row of weight 0 adds nothing, even one the model rules out (its NaN
            # responsibilities, 0 / 0, times 0).
            resp[sample_weight == 0] = 0.0
            flush_subnormal(resp)
            resp_sum = column_totals(resp)
            log_likelihood = float(np.dot(sample_weight.astype(np.float64),
                                          np.where(sample_weight > 0, log_norm, 0.0)))
            total = float(np.sum(sample_weight, dtype=np.float64))
            scores = np.where(sample_weight > 0, log_norm, np.inf)
        return MixtureStats(
            log_likelihood, X.shape[0], total, resp_sum,
            self.family.accumulate_prepared(prepared, resp),
            WorstRows.of_chunk(X, scores, self.n_components))

    def m_step(self, stats):
        """Return the mixture that maximizes the expected log-likelihood of ``stats``.

        Parameters
        ----------
        stats : MixtureStats
            Summed statistics.

        Returns
        -------
        mixture : Mixture
        """
        weights = stats.resp_sum + WEIGHT_EPS
        if self.held is None:
            weights /= weights.sum()
            family = self.family.maximize(stats.family)
        else:
            weights = self.held.weights_step(weights, self.weights)
            family = self.family.maximize_held(stats.family, self.held.family, self.family)
        _check_finite(family)
        if self.tied_groups:
            leaders = np.arange(self.n_components)
            for group in self.tied_groups:
                leaders[list(group)] = group[0]
            family = family.take(leaders)
        weights, family, reseeded = self._reseed_empty(stats, weights, family)
        monotone = not reseeded and family.regularization_share() < REGULARIZATION_SHARE
        return type(self)(weights, family, self.tied_groups, monotone, self.hard, self.held)

    def _reseed_empty(self, stats, weights, family):
        floor = COLLAPSE_SAMPLES * stats.total_weight / max(stats.n_rows, 1)
        empty = stats.resp_sum < floor
        if self.held is not None:
            empty &= ~self.held.components()  # a held component is never moved
        if not np.logical_or.reduce(empty):
            return weights, family, False
        empty = np.flatnonzero(empty)
        if len(empty) == self.n_components:
            return weights, family, False
        rows = stats.worst.rows
        for k, row in zip(empty, rows):
            warnings.warn(
                f"Component {k} lost all its weight (responsibilities summing to "
                f"{stats.resp_sum[k]:.3g}); it was re-seeded at the worst-explained sample. "
                "Use fewer components if this repeats.", ComponentCollapseWarning, stacklevel=4)
            family = family.reseed(k, row)
            weights[k] = 1.0 / max(stats.n_rows, 1)
        return weights / weights.sum(), family, True

    def n_parameters(self):
        """Return the number of free parameters (weights and components).

        Returns
        -------
        n : int
        """
        held = 0 if self.held is None else self.held.n_parameters(self.family)
        return int(self.n_components - 1 + self.family.n_parameters() - held)
