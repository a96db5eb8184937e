"""The shapes a prior's hyperparameters may take, checked once, in one sentence.

A hyperparameter is a number (the same everywhere), or an array that broadcasts to its
full shape by numpy's rules. hmmlearn documents several per-state hyperparameters as
``(n_components,)`` arrays while their full shape has more axes (a value per state and
feature); those also take one value per state, applied along every other axis, even
where numpy would broadcast the array along the last axis instead.
"""

import numpy as np

__all__ = ["broadcast_prior"]


def broadcast_prior(name, value, shape, per_state=False):
    """Return a hyperparameter as a float64 array of ``shape``, or say what is wrong.

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : float or array-like
        The hyperparameter as given.
    shape : tuple of int
        Its full shape; the first axis is the states' (or components') where
        ``per_state``.
    per_state : bool, default=False
        Read a 1-D array of ``shape[0]`` values as one value per state.

    Returns
    -------
    array : ndarray of shape ``shape``
        A read-only view where ``value`` was broadcast.

    Raises
    ------
    ValueError
        When ``value`` is not numeric, holds a NaN, or does not broadcast to ``shape``.
    """
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or an array of numbers; got "
                         f"{value!r}.") from None
    if np.isnan(array).any():
        raise ValueError(f"{name} holds NaN; give a number for every entry.")
    if per_state and array.ndim == 1 and len(shape) > 1 and len(array) == shape[0]:
        array = array.reshape((shape[0],) + (1,) * (len(shape) - 1))
    try:
        return np.broadcast_to(array, shape)
    except ValueError:
        states = f", {shape[0]} values (one per state)" if per_state and len(shape) > 1 else ""
        raise ValueError(f"{name} must be a number{states} or an array that broadcasts to "
                         f"shape {shape}; got shape {array.shape}.") from None
