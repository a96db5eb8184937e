"""Convergence as a small object: history, tolerance, the monotonicity guard."""

import warnings

import numpy as np

from emkit.exceptions import LikelihoodDecreaseWarning

__all__ = ["ConvergenceMonitor"]

#: A drop of the per-sample log-likelihood smaller than this (relative) is rounding.
DROP_RTOL = 1e-8
DROP_ATOL = 1e-10


def drop_rtol(dtype):
    """Return the relative drop that counts as rounding for data of ``dtype``.

    Parameters
    ----------
    dtype : numpy.dtype
        The dtype the E-step computes in.

    Returns
    -------
    rtol : float
    """
    eps = np.finfo(dtype).eps if np.issubdtype(dtype, np.floating) else 0.0
    return max(DROP_RTOL, 1000 * eps)


class ConvergenceMonitor:
    """Track the per-sample log-likelihood of one EM run and decide when it converged.

    Parameters
    ----------
    tol : float, default=1e-3
        Convergence threshold on the change of the per-sample log-likelihood.
    max_iter : int, default=100
        Iteration cap; reaching it is *not* convergence.
    initial : float, default=-inf
        Log-likelihood before the first iteration (a warm start passes the previous one).
    rtol : float, default=DROP_RTOL
        Relative size of a fall that still counts as rounding.

    Attributes
    ----------
    history : list of float
        The per-sample log-likelihood at each iteration.
    converged : bool
        True only when the change fell below ``tol`` before the cap.
    """

    def __init__(self, tol=1e-3, max_iter=100, initial=-np.inf, rtol=DROP_RTOL):
        self.tol = tol
        self.rtol = rtol
        self.max_iter = max_iter
        self.initial = initial
        self.history = []
        self.converged = False

    @property
    def last(self):
        """The latest log-likelihood (``initial`` before the first report)."""
        return self.history[-1] if self.history else self.initial

    def report(self, value, guard=True, resolution=0.0, plain=True):
        """Record one iteration's log-likelihood and return the change.

        Parameters
        ----------
        value : float
            Per-sample log-likelihood of the current iteration.
        guard : bool, default=True
            Check that the value did not fall (off for an iteration after a re-seed,
            which moves parameters on purpose).
        resolution : float, default=0.0
            The smallest change the E-step's arithmetic resolves (float32 computation):
            a smaller change counts as convergence, a smaller fall as rounding.
        plain : bool, default=True
            Whether the value comes from a plain EM step. False for an extrapolated
            point (SQUAREM): its change measures the jump, which may be tiny far from
            the optimum, so it never counts as convergence.

        Returns
        -------
        change : float
            ``value`` minus the previous value.
        """
        previous = self.last
        self.history.append(float(value))
        change = value - previous
        dropped = guard and self.is_drop(previous, value, self.rtol, resolution)
        if dropped:
            warnings.warn(
                f"The log-likelihood fell at iteration {len(self.history)} by {-change:.3g} "
                f"per sample (from {previous:.10g} to {value:.10g}); EM never lowers it, so "
                "this is a numerical failure: scale the data or increase reg_covar.",
                LikelihoodDecreaseWarning, stacklevel=4)
        # tol=0 asks for every iteration; otherwise a change the arithmetic cannot resolve
        # is as converged as one below tol.
        threshold = max(self.tol, resolution) if self.tol > 0 else 0.0
        if plain and abs(change) < threshold and not dropped:
            self.converged = True
        return change

    @staticmethod
    def is_drop(previous, value, rtol=DROP_RTOL, atol=0.0):
        """Return True when ``value`` is below ``previous`` by more than rounding.

        Parameters
        ----------
        previous : float
            The earlier log-likelihood.
        value : float
            The later one.
        rtol : float, default=DROP_RTOL
            Relative size of a fall that still counts as rounding.
        atol : float, default=0.0
            Absolute size of a fall that still counts as rounding, beyond ``DROP_ATOL``.

        Returns
        -------
        dropped : bool
        """
        if not np.isfinite(previous):
            return False
        return previous - value > DROP_ATOL + atol + rtol * abs(previous)

    def report_line(self):
        """Return a one-line summary of the run.

        Returns
        -------
        line : str
        """
        state = "converged" if self.converged else "did not converge"
        return f"{state} after {len(self.history)} iterations, log-likelihood {self.last:.6f}"
