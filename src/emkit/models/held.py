"""Parameters a mixture's EM keeps at their starting values, for every family at once.

A user names what to hold (``fixed={"weights": True, "means": [0, 2], "components": [1]}``);
:class:`Held` turns that into masks over the components, once, against the starting
family. The M-step is then the maximizer under the constraint: the weights of the free
components share what the held ones leave, and the family's
:meth:`~emkit.families.base.Family.maximize_held` maximizes its free parameters given the
held ones (exactly: a Gaussian covariance is its scatter about the held mean). Held values
are copied, never recomputed, so they come out of the fit bit for bit as they went in.
"""

from dataclasses import dataclass, fields

import numpy as np

__all__ = ["Held"]


@dataclass(frozen=True)
class Held:
    """Which parameters of a mixture EM holds at their starting values.

    Attributes
    ----------
    weights : ndarray of bool of shape (n_components,)
        Components whose weight is held.
    family : dict
        Family parameter name -> ndarray of bool of shape (n_components,) for parameters
        with one value per component, or True for a parameter shared by all (a tied
        covariance).
    """

    weights: np.ndarray
    family: dict

    @classmethod
    def parse(cls, spec, family):
        """Return the held parameters that ``spec`` names, or None when it names none.

        Parameters
        ----------
        spec : dict or None
            Parameter name -> True (every component) or a list of component indices.
            Names: ``"weights"``, ``"components"`` (every parameter of those
            components), or a parameter of the family (``family.to_dict()``'s keys).
        family : Family
            The starting components.

        Returns
        -------
        held : Held or None
        """
        if not spec:
            return None
        if not isinstance(spec, dict):
            raise ValueError(f"fixed must be a dict of parameter names to True or lists of "
                             f"components; got {type(spec).__name__}.")
        K = family.n_components
        names = [f.name for f in fields(family) if f.init and np.ndim(getattr(family, f.name))]
        weights, held = np.zeros(K, dtype=bool), {}
        for name, which in spec.items():
            if name == "weights":
                weights |= _mask(name, which, K)
            elif name == "components":
                mask = _mask(name, which, K)
                for field in family.component_fields:
                    held[field] = held.get(field, np.zeros(K, bool)) | mask
            elif name in family.component_fields:
                held[name] = held.get(name, np.zeros(K, bool)) | _mask(name, which, K)
            elif name in names:
                if which is not True:
                    raise ValueError(f"{name} is shared by every component, so it is held "
                                     f"whole: give fixed={{{name!r}: True}}.")
                held[name] = True
            else:
                allowed = ", ".join(["'weights'", "'components'"] + [repr(n) for n in names])
                raise ValueError(f"fixed names {name!r}, which is not a parameter of this "
                                 f"mixture; hold one of {allowed}.")
        if weights.sum() == K - 1:
            weights[:] = True  # the last weight is what the others leave
        return cls(weights, held)

    def weights_step(self, resp_sum, previous):
        """Return the weights maximizing the likelihood with the held ones kept.

        Parameters
        ----------
        resp_sum : ndarray of shape (n_components,)
            The responsibilities' sums (with their small positive floor).
        previous : ndarray of shape (n_components,)
            The current weights.

        Returns
        -------
        weights : ndarray of shape (n_components,)
        """
        if not self.weights.any():
            return resp_sum / resp_sum.sum()
        weights = np.array(previous, dtype=np.float64)
        free = ~self.weights
        if free.any():
            weights[free] = (1.0 - weights[self.weights].sum()) * (
                resp_sum[free] / resp_sum[free].sum())
        return weights

    def components(self):
        """Return the mask of components any of whose parameters is held.

        Returns
        -------
        mask : ndarray of bool of shape (n_components,)
        """
        mask = self.weights.copy()
        for value in self.family.values():
            mask |= value if value is not True else True
        return mask

    def n_parameters(self, family):
        """Return how many of the free parameter count's scalars are held.

        Parameters
        ----------
        family : Family
            The components.

        Returns
        -------
        n : int
        """
        n = int(self.weights.sum()) - (1 if self.weights.all() else 0)
        for name, mask in self.family.items():
            value = np.asarray(getattr(family, name))
            if mask is True:
                n += _free_size(value, shared=True)
            else:
                n += int(mask.sum()) * _free_size(value[0])
        return n


def _free_size(value, shared=False):
    # Scalars of one parameter value: a symmetric matrix counts its upper triangle.
    value = np.asarray(value)
    if value.ndim >= 2 and value.shape[-1] == value.shape[-2] and (shared or value.ndim == 2):
        D = value.shape[-1]
        return int(np.prod(value.shape[:-2], dtype=int) * D * (D + 1) // 2)
    return int(value.size)


def _mask(name, which, K):
    if which is True:
        return np.ones(K, dtype=bool)
    indices = np.atleast_1d(np.asarray(which))
    if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer) or np.any(
            (indices < 0) | (indices >= K)):
        raise ValueError(f"fixed[{name!r}] must be True or a list of component indices from 0 "
                         f"to {K - 1}; got {which!r}.")
    mask = np.zeros(K, dtype=bool)
    mask[indices] = True
    return mask
