"""The base class of the families made by :func:`~emkit.families.custom.density_family`.

A :class:`DensityFamily` holds K components of a log-density given as code, one array per
named parameter. Its E-step statistics are the weighted rows themselves
(:class:`WeightedRows`), since its M-step maximizes each component's weighted
log-likelihood numerically, one L-BFGS-B run per component.
"""

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from emkit.families._columns import EMPTY_WEIGHT
from emkit.families.base import Family, set_derived
from emkit.stats import AdditiveStats

__all__ = ["DensityFamily", "WeightedRows"]


@dataclass(frozen=True)
class WeightedRows(AdditiveStats):
    """The weighted rows themselves: the statistics of a numeric M-step.

    ``a + b`` concatenates the rows and the weights of ``a`` and ``b``, so the
    statistics of a data set hold all its rows with a positive weight: O(n) memory,
    meant for small-to-medium data. When both hold the same rows (two E-steps' statistics
    of one data set, combined by an accelerated fit) the weights add instead, which the
    M-step's weighted log-likelihood cannot tell from the concatenation.

    Parameters
    ----------
    rows : ndarray of shape (n_rows, n_features)
        The rows with a positive weight for at least one component.
    weights : ndarray of shape (n_rows, n_components)
        Weight of each row for each component.
    """

    rows: np.ndarray
    weights: np.ndarray

    #: The rows grow with every chunk added, so online EM cannot keep them.
    fixed_size = False

    def __add__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        if self.rows.shape == other.rows.shape and np.array_equal(self.rows, other.rows):
            return WeightedRows(self.rows, self.weights + other.weights)
        return WeightedRows(np.concatenate([self.rows, other.rows]),
                            np.concatenate([self.weights, other.weights]))

    def coordinates(self):
        """Return the weights, flattened (the rows are where they apply, not a value).

        Returns
        -------
        vector : ndarray of shape (n_rows * n_components,)
        """
        return np.ravel(self.weights).astype(np.float64)

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


@dataclass(frozen=True)
class DensityFamily(Family):
    """Base of the families that ``density_family`` makes; not instantiated directly.

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
        from scipy.optimize import Bounds, minimize  # on use: it is slow to import

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
