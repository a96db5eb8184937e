"""Additive sufficient statistics: the values an E-step returns and an M-step consumes.

Statistics of a data set are the sum of the statistics of its chunks, so in-memory,
chunked, streaming and distributed fits all reduce chunks with ``+``.
"""

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["EMPTY_WEIGHT", "WEIGHT_EPS", "AdditiveStats"]

#: Added to a component's summed weight before dividing by it, as scikit-learn does
#: (10 float64 epsilons), so that an empty component divides by a tiny number, not 0.
WEIGHT_EPS = 10 * float(np.finfo(np.float64).eps)
#: A summed weight below this is none: an M-step that divides exactly keeps that
#: component's (or column's) parameters. A tiny weight above it is exact EM's, as
#: hmmlearn's: posteriors of 1e-18 still move a state to the rows that carry them, and
#: it may come back to life. The value leaves the weighted sums of such a component far
#: from float64's underflow.
EMPTY_WEIGHT = 1e-280


@dataclass(frozen=True)
class AdditiveStats:
    """Base class of frozen statistics whose fields add field by field.

    A field added with ``a + b`` must itself support ``+`` (numbers, arrays, nested
    statistics). Fields whose metadata has ``"additive": False`` are configuration carried
    along unchanged (they must be equal on both sides); ``scale`` leaves them alone too.
    """

    def __add__(self, other):
        cls = type(self)
        if type(other) is not cls:
            return NotImplemented
        # Once per chunk of every E-step: the field list is the class's, looked up once.
        values = {}
        for name, additive in _plan(cls):
            value = getattr(self, name)
            values[name] = value + getattr(other, name) if additive else value
        return cls(**values)

    def scale(self, rho):
        """Return the statistics multiplied by ``rho`` (used to blend batches in online EM).

        Parameters
        ----------
        rho : float
            The factor.

        Returns
        -------
        stats : AdditiveStats
            A new value of the same type.
        """
        values = {}
        for name, additive in _plan(type(self)):
            value = getattr(self, name)
            if not additive:
                values[name] = value
            elif hasattr(value, "scale"):  # nested statistics, a kept set of rows
                values[name] = value.scale(rho)
            else:
                values[name] = value * rho
        return type(self)(**values)

    @property
    def fixed_size(self):
        """True when adding more chunks never grows the value (online EM needs it)."""
        return all(getattr(getattr(self, name), "fixed_size", True)
                   for name, _ in _plan(type(self)))

    def coordinates(self):
        """Return the additive numeric fields as one flat float64 vector.

        The vector measures statistics (the length of a step between two E-steps' values,
        for acceleration); nested statistics contribute their own coordinates, and values
        that are neither numbers nor arrays (a kept set of rows) none.

        Returns
        -------
        vector : ndarray of shape (n_coordinates,)
        """
        parts = []
        for name, additive in _plan(type(self)):
            value = getattr(self, name)
            if not additive:
                continue
            if isinstance(value, AdditiveStats):
                parts.append(value.coordinates())
            elif isinstance(value, (int, float, np.ndarray, np.number)):
                parts.append(np.ravel(np.asarray(value, dtype=np.float64)))
        return np.concatenate(parts) if parts else np.zeros(0)


_PLANS = {}


def _plan(cls):
    # ((name, additive), ...) of a statistics class's fields, in order.
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple((f.name, f.metadata.get("additive", True))
                                   for f in fields(cls))
    return plan
