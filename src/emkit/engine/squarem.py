"""SQUAREM: EM accelerated by squared extrapolation, in the space of the statistics.

Varadhan and Roland (2008) extrapolate a fixed-point map from three consecutive
points. emkit applies it to the map every model shares, ``S -> E-step(M-step(S))`` on the
additive statistics: the statistics of any model (a user-written family's, an HMM's) add
and scale, so one extrapolation serves them all. From three accepted E-steps ``S0, S1,
S2`` it forms ``r = S1 - S0`` and ``v = S2 - 2 S1 + S0``, takes the step length
``a = |r| / |v|`` (their scheme S3) within ``[1, step_max]``, and proposes the model
maximizing ``S0 + 2 a r + a^2 v``; ``a = 1`` gives ``S2`` itself, plain EM.

The safeguard keeps EM's guarantees. A proposal whose M-step fails or warns (a
covariance that is not positive definite, a negative weight, an emptied component
re-seeded) is
pulled back towards plain EM by halving ``a - 1``, with no E-step spent; one whose
log-likelihood is below the last accepted one (or not finite) is rejected, and the plain
EM step is taken instead. The accepted log-likelihoods never fall, and every E-step,
rejected ones included, counts as an iteration. Convergence is judged on plain EM steps
only: an extrapolated point's change measures its jump, which can be tiny far from the
optimum (on a flat ridge, a run stopped 1e-6 short there). ``step_max`` grows fourfold
each time the step reaches it and shrinks after a rejection at it (their adaptive bound).
"""

import warnings

import numpy as np

__all__ = ["Squarem"]

#: The first bound on the step length, and its growth factor.
STEP_MAX0 = 1.0
STEP_GROWTH = 4.0
#: Halvings of ``a - 1`` tried when a proposal's M-step fails, before giving up on it.
PULL_BACKS = 6
#: What a failed M-step or E-step of a proposal may raise.
FAILURES = (ArithmeticError, ValueError, np.linalg.LinAlgError)


class Squarem:
    """The proposals of one accelerated run; the engine's loop evaluates them.

    The loop calls :meth:`accepted` after each accepted E-step and :meth:`propose` for
    the next model to evaluate; :meth:`accepts` tells whether an evaluated proposal
    stands.
    """

    def __init__(self):
        self.step_max = STEP_MAX0
        self._cycle = []
        self._at_max = False

    def accepted(self, stats):
        """Record the statistics of an accepted E-step.

        Parameters
        ----------
        stats : AdditiveStats
            The E-step's statistics.
        """
        self._cycle.append(stats)

    def propose(self, model):
        """Return an extrapolated model to evaluate next, or None for the plain EM step.

        Parameters
        ----------
        model : Model
            The model of the last accepted E-step (its M-step builds the proposal).

        Returns
        -------
        proposal : Model or None
        """
        if len(self._cycle) < 3:
            return None
        s0, s1, s2 = self._cycle
        self._cycle = []
        r = s1 + s0.scale(-1.0)
        v = s2 + s1.scale(-2.0) + s0
        r_norm = np.linalg.norm(r.coordinates())
        v_norm = np.linalg.norm(v.coordinates())
        if not (v_norm > 0 and np.isfinite(r_norm) and np.isfinite(v_norm)):
            return None
        step = min(max(r_norm / v_norm, 1.0), self.step_max)
        self._at_max = step == self.step_max
        if step <= 1.0:
            self._grow(True)
            return None
        for _ in range(PULL_BACKS):
            proposal = _m_step(model, s0 + r.scale(2.0 * step) + v.scale(step * step))
            if proposal is not None:
                return proposal
            self._at_max = False
            step = 1.0 + (step - 1.0) / 2.0
        return None

    def accepts(self, lower_bound, last):
        """Return whether an evaluated proposal stands, and adapt the step bound.

        Parameters
        ----------
        lower_bound : float or None
            The proposal's log-likelihood; None when its E-step failed.
        last : float
            The last accepted log-likelihood.

        Returns
        -------
        accepted : bool
        """
        accepted = (lower_bound is not None and bool(np.isfinite(lower_bound))
                    and lower_bound >= last)
        self._grow(accepted)
        return accepted

    def _grow(self, accepted):
        # The adaptive bound: a step at the bound that stood raises it; one that was
        # rejected lowers it.
        if not self._at_max:
            return
        if accepted:
            self.step_max *= STEP_GROWTH
        else:
            self.step_max = max(STEP_MAX0, self.step_max / STEP_GROWTH)


def _m_step(model, stats):
    # The proposal's M-step, or None when it fails or warns (outside the parameter space).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            proposal = model.m_step(stats)
        except (*FAILURES, Warning):
            return None
    return proposal


def evaluate(e_step, proposal):
    """Run the E-step of a proposal; None when it fails or warns.

    Parameters
    ----------
    e_step : callable
        ``e_step(model)`` returns ``(stats, lower_bound)``.
    proposal : Model
        The extrapolated model.

    Returns
    -------
    outcome : tuple or None
        ``(stats, lower_bound)``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return e_step(proposal)
        except (*FAILURES, Warning):
            return None
