"""What a model file knows of each estimator: its class and the state it must keep.

One :class:`Kind` per estimator, in :data:`KINDS`: the attributes to save, the shape and
type each must have on load, the ones prediction needs, and how to check a restored one.
"""

from dataclasses import dataclass, field

import numpy as np

from emkit.estimators import (BernoulliMixture, CategoricalHMM, CategoricalMixture, GaussianHMM,
                              GaussianMixture, HiddenMarkovModel, MixtureModel, PoissonHMM,
                              PoissonMixture)
from emkit.estimators.hmm import ConvergenceMonitor
from emkit.exceptions import ModelFileError
from emkit.families.base import Family

__all__ = ["KINDS", "Dims", "Kind", "kind_of"]

_COVARIANCE_SHAPES = {"full": "KDD", "tied": "DD", "diag": "KD", "spherical": "K"}


class Dims:
    """Named sizes (K components, D features, C categories) bound by the first value met.

    Parameters
    ----------
    **known
        Sizes known before any attribute is read, e.g. ``K=3``.
    """

    def __init__(self, **known):
        self.known = dict(known)

    def match(self, name, symbols, shape):
        """Check ``shape`` against ``symbols``, binding each symbol not seen yet.

        Parameters
        ----------
        name : str
            The attribute, for the error message.
        symbols : str
            One letter per dimension (``'*'`` for any size), e.g. ``'KD'``.
        shape : tuple of int
            The attribute's shape.
        """
        if len(symbols) != len(shape):
            raise ModelFileError(f"{name} has {len(shape)} dimension(s), but the model needs "
                                 f"{len(symbols)}.")
        for symbol, size in zip(symbols, shape):
            if symbol != "*" and self.known.setdefault(symbol, size) != size:
                raise ModelFileError(f"{name} has shape {tuple(shape)}, which does not fit "
                                     f"the model's other sizes ({self._describe()}).")

    def _describe(self):
        words = {"K": "components", "D": "features", "C": "categories"}
        return ", ".join(f"{n} {words[s]}" for s, n in self.known.items() if s in words)


# -- checks of one restored attribute: check(name, value, dims, params) ---------------
def _array(symbols):
    def check(name, value, dims, params):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise ModelFileError(f"{name} must be an array of floats; got {_what(value)}.")
        dims.match(name, symbols(params) if callable(symbols) else symbols, value.shape)
    return check


def _covariance(params):
    covariance_type = params.get("covariance_type", "full")
    shape = _COVARIANCE_SHAPES.get(covariance_type) if isinstance(covariance_type, str) else None
    if shape is None:
        raise ModelFileError(f"covariance_type {params.get('covariance_type')!r} is not one "
                             f"of {sorted(_COVARIANCE_SHAPES)}.")
    return shape


def _scalar(types, symbol=None, optional=False):
    def check(name, value, dims, params):
        if optional and value is None:
            return
        if isinstance(value, bool) != (types is bool) or not isinstance(value, types):
            raise ModelFileError(f"{name} must be a {_type_names(types)}; got {_what(value)}.")
        if symbol is not None:
            dims.match(name, symbol, (value,))
    return check


def _list_of(item_check):
    def check(name, value, dims, params):
        if not isinstance(value, list):
            raise ModelFileError(f"{name} must be a list; got {_what(value)}.")
        for i, item in enumerate(value):
            item_check(f"{name}[{i}]", item, dims, params)
    return check


def _records(name, value, dims, params):
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ModelFileError(f"{name} must be a list of dicts; got {_what(value)}.")


def _strings(name, value, dims, params):
    if not (isinstance(value, np.ndarray) and value.dtype == object
            and all(isinstance(s, str) for s in value)):
        raise ModelFileError(f"{name} must be an array of strings; got {_what(value)}.")
    dims.match(name, "D", value.shape)


def _family(name, value, dims, params):
    if not isinstance(value, Family):
        raise ModelFileError(f"{name} must be a component family; got {_what(value)}.")
    width = getattr(value, "n_features", None)
    if width is None:
        first = np.shape(getattr(value, type(value).component_fields[0]))
        width = first[1] if len(first) > 1 else None
    dims.match(name, "K" if width is None else "KD", (value.n_components,) + (
        () if width is None else (int(width),)))


def _monitor(name, value, dims, params):
    if type(value) is not ConvergenceMonitor:
        raise ModelFileError(f"{name} must be a convergence monitor; got {_what(value)}.")


def _what(value):
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__}"


def _type_names(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in types)


_NUMBER = _scalar((int, float))
_FLOATS = _list_of(_NUMBER)
_HISTORIES = _list_of(_array("*"))

_MIXTURE = {"weights_": _array("K"), "converged_": _scalar(bool), "n_iter_": _scalar(int),
            "lower_bound_": _NUMBER, "lower_bounds_": _FLOATS,
            "lower_bounds_per_init_": _HISTORIES, "history_": _records,
            "n_features_in_": _scalar(int, "D"), "feature_names_in_": _strings}
_HMM = {"startprob_": _array("K"), "transmat_": _array("KK"), "monitor_": _monitor,
        "converged_": _scalar(bool), "n_iter_": _scalar(int), "history_per_init_": _HISTORIES}


# -- checks that a restored estimator can predict --------------------------------------
def _mixture_usable(model):
    model._get_model()


def _hmm_usable(model):
    model._check()
    model._emission_family()


@dataclass(frozen=True)
class Kind:
    """How one estimator class is saved and restored.

    Parameters
    ----------
    estimator : type
        The estimator class; its name is the ``kind`` in the file.
    attributes : dict of str to callable
        The attributes a file may hold, each with its check
        ``check(name, value, dims, params)``; saved when set on the estimator.
    needed : tuple of str
        The attributes prediction needs; when all are present the restored estimator is
        checked with ``usable``.
    usable : callable
        ``usable(model)`` raises when the restored estimator cannot predict.
    partial : bool, default=False
        Whether some of ``needed`` may be set without the others (an HMM whose
        parameters are set by hand before fitting).

    Attributes
    ----------
    name : str
        The estimator's class name, written as the file's ``kind``.
    """

    estimator: type
    attributes: dict
    needed: tuple
    usable: object
    partial: bool = False
    name: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "name", self.estimator.__name__)


def _mixture(estimator, needed, **attributes):
    return Kind(estimator, {**_MIXTURE, **attributes}, ("weights_", "n_features_in_") + needed,
                _mixture_usable)


def _hmm(estimator, needed, **attributes):
    return Kind(estimator, {**_HMM, **attributes}, ("startprob_", "transmat_") + needed,
                _hmm_usable, partial=True)


_GAUSSIAN = {"means_": _array("KD"), "covariances_": _array(_covariance),
             "precisions_": _array(_covariance), "precisions_cholesky_": _array(_covariance)}

#: Every estimator a model file can hold, by class name; a new one needs one entry.
KINDS = {kind.name: kind for kind in [
    _mixture(GaussianMixture, tuple(_GAUSSIAN), **_GAUSSIAN),
    _mixture(BernoulliMixture, ("components_", "means_"), components_=_family,
             means_=_array("KD")),
    _mixture(PoissonMixture, ("components_", "means_"), components_=_family,
             means_=_array("KD")),
    _mixture(CategoricalMixture, ("components_", "probs_"), components_=_family,
             probs_=_array("KDC")),
    _mixture(MixtureModel, ("components_",), components_=_family),
    _hmm(GaussianHMM, ("means_", "_covars_"), n_features=_scalar(int, "D", True),
         means_=_array("KD"), _covars_=_array(_covariance)),
    _hmm(CategoricalHMM, ("emissionprob_",), emissionprob_=_array("KD")),
    _hmm(PoissonHMM, ("lambdas_",), n_features=_scalar(int, "D", True),
         lambdas_=_array("KD")),
    _hmm(HiddenMarkovModel, ("emissions_",), emissions_=_family,
         n_features_in_=_scalar(int, "D")),
]}


def kind_of(model):
    """Return the :class:`Kind` of an estimator.

    Parameters
    ----------
    model : estimator
        An instance of one of emkit's estimators (not of a subclass).

    Returns
    -------
    kind : Kind
    """
    kind = KINDS.get(type(model).__name__)
    if kind is None or kind.estimator is not type(model):
        raise TypeError(f"Cannot save a {type(model).__name__}: model files hold emkit's "
                        f"estimators ({', '.join(sorted(KINDS))}).")
    return kind
