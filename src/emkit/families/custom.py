"""Component families defined by a log-density alone, with a numeric M-step.

:func:`density_family` turns a function ``log_density(X, **params)`` -- the
log-density of each row of ``X`` under ONE component whose parameters are given by
keyword -- into a :class:`~emkit.families.Family` class. Its instances hold K
components, one array per named parameter whose first axis runs over the components,
and plug into :class:`emkit.MixtureModel` like any built-in family.

The M-step maximizes each component's weighted log-likelihood numerically: one
``scipy.optimize.minimize(method="L-BFGS-B")`` per component, started from the current
parameters and kept inside the given ``bounds``. Because a numeric M-step needs the
data and not only sums, the E-step statistics (:class:`WeightedRows`) are the rows
themselves and their weights; adding two chunks' statistics concatenates them. This
costs O(n_samples * (n_features + n_components)) memory per iteration and one pass of
``log_density`` over the rows per objective evaluation, so a density family is meant
for small-to-medium data. A family with closed-form statistics is faster and exact.

Example: a mixture of two von Mises distributions on angles (one column).

>>> import numpy as np
>>> from scipy import stats
>>> import emkit
>>> from emkit.families.custom import density_family
>>> def von_mises(X, mu, kappa):
...     return stats.vonmises.logpdf(X[:, 0], kappa, loc=mu)
>>> VonMises = density_family(von_mises, ["mu", "kappa"],
...                           bounds={"mu": (-np.pi, np.pi), "kappa": (1e-6, None)},
...                           sampler=lambda rng, n, mu, kappa: rng.vonmises(mu, kappa, n),
...                           name="VonMises")
>>> rng = np.random.RandomState(0)
>>> X = np.concatenate([rng.vonmises(-2.0, 8.0, 600), rng.vonmises(1.0, 3.0, 400)])[:, None]
>>> model = emkit.MixtureModel(VonMises(mu=[-1.0, 0.5], kappa=[1.0, 1.0])).fit(X)
>>> np.round(model.components_.mu, 1), np.round(model.weights_, 1)
(array([-2.,  1.]), array([0.6, 0.4]))

The parameters of a component are passed to ``log_density`` and ``sampler`` as numpy
scalars (a parameter declared with shape ``()``) or arrays of the declared shape. Give
bounds that keep them valid: ``log_density`` must return finite values or ``-inf``
(a row outside the support); NaN or ``+inf`` raise a ValueError naming the component.

A generated class is pickled by name: assign it to a module-level variable spelled as
its ``name`` (and use a module-level ``log_density``) to pickle fitted models.
"""

import keyword
import sys
from dataclasses import dataclass, make_dataclass
from typing import Any

import numpy as np

from emkit.families.density import DensityFamily, WeightedRows

__all__ = ["DensityFamily", "WeightedRows", "density_family"]

#: Default options of ``scipy.optimize.minimize(method="L-BFGS-B")`` in the M-step.
DEFAULT_MINIMIZE_OPTIONS = {"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500}


# -- the specification of a generated family -----------------------------------------


@dataclass(frozen=True)
class _Spec:
    log_density: Any
    names: tuple
    shapes: dict
    lower: dict
    upper: dict
    sampler: Any
    options: dict


def _parse_params(params):
    if isinstance(params, str):
        params = [params]
    if isinstance(params, dict):
        items = [(name, _as_shape(shape)) for name, shape in params.items()]
    else:
        items = [(name, ()) for name in params]
    if not items:
        raise ValueError("params must name at least one parameter of the log-density.")
    names = [name for name, _ in items]
    for name in names:
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"Parameter names must be Python identifiers; got {name!r}.")
        if name.startswith("_") or hasattr(DensityFamily, name):
            raise ValueError(f"The parameter name {name!r} is reserved by emkit's Family; "
                             "choose another name.")
    if len(set(names)) != len(names):
        raise ValueError(f"Parameter names must be distinct; got {names}.")
    return tuple(names), dict(items)


def _as_shape(shape):
    if shape is None:
        return ()
    if np.ndim(shape) == 0:
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _parse_bounds(bounds, names, shapes):
    bounds = {} if bounds is None else dict(bounds)
    unknown = sorted(set(bounds) - set(names))
    if unknown:
        raise ValueError(f"bounds names unknown parameter(s) {unknown}; the parameters are "
                         f"{list(names)}.")
    lower, upper = {}, {}
    for name in names:
        low, high = bounds.get(name, (None, None)) or (None, None)
        low = -np.inf if low is None else low
        high = np.inf if high is None else high
        lower[name] = np.broadcast_to(np.asarray(low, dtype=np.float64), shapes[name]).copy()
        upper[name] = np.broadcast_to(np.asarray(high, dtype=np.float64), shapes[name]).copy()
        if np.any(lower[name] > upper[name]):
            raise ValueError(f"The lower bound of {name!r} exceeds its upper bound.")
    return lower, upper


def density_family(log_density, params, bounds=None, sampler=None, name=None,
                   minimize_options=None):
    """Return a component family class defined by a log-density with named parameters.

    The class's M-step maximizes each component's weighted log-likelihood with
    ``scipy.optimize.minimize(method="L-BFGS-B")`` within ``bounds``, started from the
    current parameters; a component whose summed weight is zero keeps its parameters.
    Its statistics are the weighted rows themselves (:class:`WeightedRows`), O(n)
    memory: it is meant for small-to-medium data.

    Parameters
    ----------
    log_density : callable
        ``log_density(X, **params)`` returns the log-density of every row of ``X``
        (an ndarray of shape ``(n_samples, n_features)``) under one component, an
        array of shape ``(n_samples,)`` of finite values or ``-inf``.
    params : list of str or dict
        The parameter names, each a scalar per component; or a dict mapping each name
        to its shape per component (``()`` for a scalar, ``(d,)`` for a vector).
    bounds : dict, default=None
        Maps parameter names to ``(low, high)``; either may be None (unbounded) and
        each may be a scalar or an array of the parameter's shape. Missing names and
        None are unbounded.
    sampler : callable, default=None
        ``sampler(rng, n, **params)`` returns ``n`` rows drawn from one component
        (an array of shape ``(n, n_features)``, or ``(n,)`` for one column); ``rng``
        is a ``numpy.random.RandomState``. Without it the family cannot sample.
    name : str, default=None
        The class name; None takes ``log_density.__name__`` (``"DensityFamily"`` for
        a lambda).
    minimize_options : dict, default=None
        Options of L-BFGS-B overriding ``DEFAULT_MINIMIZE_OPTIONS``.

    Returns
    -------
    family_class : type
        A frozen dataclass subclass of :class:`DensityFamily` whose constructor takes
        one keyword per parameter, an array of shape ``(n_components, *shape)`` (a
        value of the parameter's own shape is one component).
    """
    if not callable(log_density):
        raise TypeError(f"log_density must be callable; got {log_density!r}.")
    if sampler is not None and not callable(sampler):
        raise TypeError(f"sampler must be callable or None; got {sampler!r}.")
    names, shapes = _parse_params(params)
    lower, upper = _parse_bounds(bounds, names, shapes)
    if name is None:
        name = getattr(log_density, "__name__", "")
        if not name.isidentifier():
            name = "DensityFamily"
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a Python identifier; got {name!r}.")
    options = {**DEFAULT_MINIMIZE_OPTIONS, **dict(minimize_options or {})}
    spec = _Spec(log_density, names, shapes, lower, upper, sampler, options)
    doc_params = "\n".join(
        f"{n} : array-like of shape (n_components,{''.join(' ' + str(d) + ',' for d in shapes[n])})"
        f"\n    Parameter {n!r} of each component." for n in names)
    cls = make_dataclass(
        name, [(n, np.ndarray) for n in names], bases=(DensityFamily,), frozen=True,
        namespace={"component_fields": names, "_spec": spec,
                   "__doc__": f"K components of the density {name}, fitted numerically.\n\n"
                              f"Parameters\n----------\n{doc_params}\n"})
    try:
        cls.__module__ = sys._getframe(1).f_globals.get("__name__", __name__)
    except (AttributeError, ValueError):  # pragma: no cover - frames unavailable
        cls.__module__ = __name__
    return cls
