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
from typing import Any, ClassVar

import numpy as np
from scipy.optimize import Bounds, minimize

from emkit.families._columns import EMPTY_WEIGHT
from emkit.families.base import Family, set_derived
from emkit.stats import AdditiveStats

__all__ = ["DensityFamily", "WeightedRows", "density_family"]

#: Default options of ``scipy.optimize.minimize(method="L-BFGS-B")`` in the M-step.
DEFAULT_MINIMIZE_OPTIONS = {"ftol": 1e-13, "gtol": 1e-9, "maxiter": 500}


# -- statistics ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeightedRows(AdditiveStats):
    """The weighted rows themselves: the statistics of a numeric M-step.

    ``a + b`` concatenates the rows and the weights of ``a`` and ``b``, so the
    statistics of a data set hold all its rows with a positive weight: O(n) memory,
    meant for small-to-medium data.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
        The rows with a positive weight for at least one component.
    weights : ndarray of shape (n_rows, n_components)
        Weight of each row for each component.
    """

    rows: np.ndarray
    weights: np.ndarray

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return WeightedRows(np.concatenate([self.rows, other.rows]),
                            np.concatenate([self.weights, other.weights]))

    def scale(self, rho):
        """Return the statistics with every weight multiplied by ``rho``.

        Parameters
        ----------
        rho : float
            The factor.

        Returns
        -------
        stats : WeightedRows
        """
        return WeightedRows(self.rows, self.weights * rho)

    @property
    def total_weight(self):
        """Summed weight of each component, shape ``(n_components,)``."""
        return self.weights.sum(axis=0)


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


# -- the family ----------------------------------------------------------------------


@dataclass(frozen=True)
class DensityFamily(Family):
    """Base of the families made by :func:`density_family`; not instantiated directly.

    Subclasses hold one ``(n_components, *shape)`` float64 array per parameter.
    """

    component_fields: ClassVar[tuple] = ()
    _spec: ClassVar[Any] = None

    def __post_init__(self):
        spec = self._spec
        if spec is None:
            raise TypeError("DensityFamily is a base class; build a family class with "
                            "emkit.families.custom.density_family(log_density, params).")
        n_components = None
        values = {}
        for name in spec.names:
            shape = spec.shapes[name]
            value = np.array(getattr(self, name), dtype=np.float64)
            if value.ndim == len(shape):
                value = value[None]
            if value.shape[1:] != shape or value.shape[0] == 0:
                raise ValueError(
                    f"{name} must have shape (n_components{''.join(', ' + str(d) for d in shape)})"
                    f" or {shape} for one component; got shape {np.shape(getattr(self, name))}.")
            if n_components is None:
                n_components = value.shape[0]
            elif value.shape[0] != n_components:
                raise ValueError(f"{name} holds {value.shape[0]} component(s), but "
                                 f"{spec.names[0]} holds {n_components}.")
            if np.any(np.isnan(value)):
                raise ValueError(f"{name} holds NaN.")
            if np.any(value < spec.lower[name]) or np.any(value > spec.upper[name]):
                raise ValueError(f"{name} lies outside its bounds "
                                 f"[{_fmt(spec.lower[name])}, {_fmt(spec.upper[name])}].")
            values[name] = value
        set_derived(self, **values)

    # -- helpers ----------------------------------------------------------------------
    def component_params(self, k):
        """Return the parameters of component ``k`` as keyword arguments.

        Parameters
        ----------
        k : int
            The component.

        Returns
        -------
        params : dict
            Numpy scalars or arrays of each parameter's shape.
        """
        return {name: getattr(self, name)[k] for name in self._spec.names}

    def _component_log_density(self, X, k, params, when):
        out = np.asarray(self._spec.log_density(X, **params), dtype=np.float64)
        if out.shape != (len(X),):
            if out.size == len(X):
                out = out.reshape(len(X))
            elif out.ndim == 0:
                out = np.full(len(X), float(out))
            else:
                raise ValueError(f"log_density must return one value per row, shape "
                                 f"({len(X)},); got shape {out.shape} for component {k}.")
        bad = np.isnan(out) | (out == np.inf)
        if bad.any():
            i = int(np.argmax(bad))
            what = "NaN" if np.isnan(out[i]) else "+inf"
            shown = ", ".join(f"{n}={_fmt(v)}" for n, v in params.items())
            raise ValueError(
                f"log_density returned {what} for component {k} ({shown}) at row {i} "
                f"(x={_fmt(X[i])}) {when}; it must return finite values or -inf. Give "
                "bounds that keep the parameters valid.")
        return out

    def _pack(self, k):
        return np.concatenate([np.ravel(getattr(self, n)[k]) for n in self._spec.names])

    def _unpack(self, theta):
        params, start = {}, 0
        for name in self._spec.names:
            shape = self._spec.shapes[name]
            size = int(np.prod(shape, dtype=np.intp))
            chunk = theta[start:start + size]
            params[name] = np.float64(chunk[0]) if shape == () else chunk.reshape(shape).copy()
            start += size
        return params

    # -- the family protocol ----------------------------------------------------------
    def log_prob(self, X):
        """Return the log-density of every row under every component.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        log_prob : ndarray of shape (n_samples, n_components)
        """
        X = _as_2d(X)
        out = np.empty((len(X), self.n_components))
        for k in range(self.n_components):
            out[:, k] = self._component_log_density(X, k, self.component_params(k),
                                                    "in the E-step")
        return out

    def accumulate(self, X, W):
        """Return the rows with a positive weight and their weights.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The rows.
        W : ndarray of shape (n_samples, n_components)
            Weight of each row for each component.

        Returns
        -------
        stats : WeightedRows
        """
        X = _as_2d(X)
        W = np.asarray(W, dtype=np.float64)
        keep = np.any(W > 0.0, axis=1)
        if keep.all():
            return WeightedRows(X.copy(), W.copy())
        return WeightedRows(X[keep], W[keep])

    def maximize(self, stats):
        """Return the family maximizing each component's weighted log-likelihood.

        One L-BFGS-B run per component, within the bounds, started from the current
        parameters; a component keeps its parameters when its summed weight is zero
        or when the optimizer finds nothing better.

        Parameters
        ----------
        stats : WeightedRows
            Summed statistics.

        Returns
        -------
        family : DensityFamily
        """
        spec = self._spec
        new = {name: getattr(self, name).copy() for name in spec.names}
        lower = np.concatenate([np.ravel(spec.lower[n]) for n in spec.names])
        upper = np.concatenate([np.ravel(spec.upper[n]) for n in spec.names])
        bounds = Bounds(lower, upper)
        for k in range(self.n_components):
            w = stats.weights[:, k]
            total = float(w.sum())
            if not total >= EMPTY_WEIGHT:
                continue
            mask = w > 0.0
            X, w = stats.rows[mask], w[mask] / total

            def objective(theta, X=X, w=w, k=k):
                params = self._unpack(theta)
                log_density = self._component_log_density(X, k, params, "in the M-step")
                with np.errstate(invalid="ignore"):
                    value = -float(np.dot(w, log_density))
                return value if np.isfinite(value) else np.inf

            theta0 = np.clip(self._pack(k), lower, upper)
            start = objective(theta0)
            result = minimize(objective, theta0, method="L-BFGS-B", bounds=bounds,
                              options=spec.options)
            theta = np.clip(result.x, lower, upper)
            if np.isfinite(result.fun) and objective(theta) <= start:
                for name, value in self._unpack(theta).items():
                    new[name][k] = value
        return type(self)(**new)

    def n_parameters(self):
        """Return the number of free parameters: the scalar parameters times K.

        Returns
        -------
        n : int
        """
        per_component = sum(int(np.prod(self._spec.shapes[n], dtype=np.intp))
                            for n in self._spec.names)
        return per_component * self.n_components

    def sample(self, k, n, rng):
        """Draw ``n`` rows from component ``k`` with the family's sampler.

        Parameters
        ----------
        k : int
            The component.
        n : int
            Number of rows.
        rng : numpy.random.RandomState
            The random state.

        Returns
        -------
        X : ndarray of shape (n, n_features)
        """
        sampler = self._spec.sampler
        if sampler is None:
            raise NotImplementedError(
                f"The {type(self).__name__} family cannot sample because it has no sampler; "
                "pass sampler(rng, n, **params) to density_family.")
        X = np.asarray(sampler(rng, int(n), **self.component_params(k)), dtype=np.float64)
        if X.ndim <= 1:
            X = X.reshape(int(n), -1) if X.size else X.reshape(int(n), 0)
        if X.ndim != 2 or X.shape[0] != int(n):
            raise ValueError(f"sampler must return {int(n)} rows, an array of shape "
                             f"(n, n_features); got shape {X.shape}.")
        return X

    def reseed(self, k, x):
        """Restart component ``k``: a parameter named ``loc`` or ``mu`` is set from ``x``.

        Other parameters are kept; the new location is clipped into its bounds. When
        ``x`` does not fit the location's shape, the component is left as it is.

        Parameters
        ----------
        k : int
            The component.
        x : ndarray of shape (n_features,)
            The row it restarts at.

        Returns
        -------
        family : DensityFamily
        """
        spec = self._spec
        x = np.asarray(x, dtype=np.float64).ravel()
        new = {name: getattr(self, name) for name in spec.names}
        for name in ("loc", "mu"):
            shape = spec.shapes.get(name)
            if shape is None or x.size != int(np.prod(shape, dtype=np.intp)):
                continue
            value = new[name].copy()
            value[k] = np.clip(x.reshape(shape), spec.lower[name], spec.upper[name])
            new[name] = value
        return type(self)(**new)


def _as_2d(X):
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features); "
                         f"got {X.ndim} dimension(s).")
    return X


def _fmt(value):
    value = np.asarray(value)
    if value.ndim == 0:
        return f"{float(value):.6g}"
    return np.array2string(value, precision=6, separator=", ", threshold=8)

