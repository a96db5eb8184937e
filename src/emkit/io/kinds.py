"""What a model file knows of each estimator: its class and the state it must keep.

One :class:`Kind` per estimator, in :data:`KINDS`: the attributes to save, the shape, type
and values each must have (checked on load and before a save), the ones prediction needs,
and how to check a restored one. Values are checked by the estimators' own checks of
starting parameters where those exist, so a file is held to what ``fit`` accepts.
"""

from dataclasses import dataclass, field

import numpy as np

from emkit.estimators import (BernoulliMixture, CategoricalHMM, CategoricalMixture, GaussianHMM,
                              GaussianMixture, HiddenMarkovModel, MixtureModel, PoissonHMM,
                              PoissonMixture)
from emkit.estimators.gaussian_mixture import _check_precisions, _check_weights
from emkit.estimators.hmm import GMMHMM, MultinomialHMM
from emkit.estimators.hmm._monitor import as_record
from emkit.estimators.lda import LatentDirichletAllocation
from emkit.estimators.plsa import PLSA
from emkit.exceptions import ModelFileError
from emkit.families.base import Family
from emkit.families.gaussian import (MIXTURE_COVARIANCE_TYPES, GaussianDiag, GaussianFull,
                                     GaussianSpherical, GaussianTied)
from emkit.families.gaussian_mixture_layouts import COVARIANCE_STRUCTURES

__all__ = ["KINDS", "Dims", "Kind", "kind_of"]

#: The shape of the covariances (and precisions) each Gaussian family stores.
_COVARIANCE_SHAPES = {GaussianFull: "KDD", GaussianTied: "DD", GaussianDiag: "KD",
                      GaussianSpherical: "K"}


class Dims:
    """Named sizes (K components, D features, C categories, M Gaussians) bound once met.

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
        words = {"K": "components", "D": "features", "C": "categories",
                 "M": "mixture components"}
        return ", ".join(f"{n} {words[s]}" for s, n in self.known.items() if s in words)


# -- checks of one restored attribute: check(name, value, dims, params) ---------------
def _array(symbols, values=None):
    # values: a _Values, or None for any floats.
    def check(name, value, dims, params):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            raise ModelFileError(f"{name} must be an array of floats; got {_what(value)}.")
        dims.match(name, symbols(params) if callable(symbols) else symbols, value.shape)
        if values is not None:
            values(name, value, dims, params)
    return check


@dataclass(frozen=True)
class _Values:
    """What an attribute's values must be: ``test`` raises ValueError when they are not.

    Parameters
    ----------
    test : callable
        ``test(value, dims, params)``; an estimator's own check where one exists.
    requirement : str or callable
        The end of "``name`` must ...", or ``requirement(params)`` giving it.
    """

    test: object
    requirement: object

    def __call__(self, name, value, dims, params):
        try:
            with np.errstate(invalid="ignore"):
                self.test(value, dims, params)
        except (ValueError, np.linalg.LinAlgError):
            need = self.requirement(params) if callable(self.requirement) else self.requirement
            raise ModelFileError(f"{name} must {need}; got {_preview(value)}.") from None


def _require(condition):
    def test(value, dims, params):
        if not condition(value):
            raise ValueError
    return test


def _rows_sum_to_one(value):
    # As the HMMs check their probabilities: numpy's allclose (1e-5 relative).
    return (np.all(np.isfinite(value)) and np.all(value >= 0)
            and np.allclose(value.sum(axis=-1), 1.0))


def _weights(value, dims, params):
    _check_weights(value, dims.known["K"])


def _positive_definite(value, dims, params):
    # D is not bound yet only for spherical variances, whose shape does not use it.
    _check_precisions(value, _covariance_type(params), dims.known["K"], dims.known.get("D"))


def _cholesky_factor(value, dims, params):
    # Upper-triangular factors with a positive diagonal (scikit-learn's layout), or
    # positive entries for diag and spherical.
    if not np.all(np.isfinite(value)):
        raise ValueError
    if _variances(params):
        if not np.all(value > 0):
            raise ValueError
        return
    stack = value if value.ndim == 3 else value[None]
    diagonals = np.diagonal(stack, axis1=1, axis2=2)
    if not (np.all(diagonals > 0) and np.all(np.tril(stack, -1) == 0)):
        raise ValueError


def _covariance_type(params):
    return params.get("covariance_type", "full")


def _variances(params):
    # Diagonal structures store variances, the others matrices.
    return not _covariance(params).endswith("DD")


def _matrices(params):
    if _variances(params):
        return "hold positive finite numbers"
    return "hold symmetric positive-definite matrices"


def _mixture_covariance(params):
    # hmmlearn's GMMHMM covars_ layout of the covariance type.
    structure = COVARIANCE_STRUCTURES.get(_covariance_type(params))
    if structure is None:
        raise ModelFileError(f"covariance_type {params.get('covariance_type')!r} is not one "
                             f"of {sorted(COVARIANCE_STRUCTURES)}.")
    return ("K" if structure.per_mixture else "KM") + structure.tail


def _mixture_covariances_valid(value, dims, params):
    # Positive variances, or symmetric positive-definite matrices.
    if not np.all(np.isfinite(value)):
        raise ValueError
    if not _mixture_covariance(params).endswith("DD"):
        if not np.all(value > 0):
            raise ValueError
        return
    stack = value.reshape((-1,) + value.shape[-2:])
    if not np.allclose(stack, np.swapaxes(stack, 1, 2)):
        raise ValueError
    np.linalg.cholesky(stack)  # LinAlgError when one is not positive definite


def _mixture_matrices(params):
    if _mixture_covariance(params).endswith("DD"):
        return "hold symmetric positive-definite matrices"
    return "hold positive finite numbers"


_FINITE = _Values(_require(lambda v: np.all(np.isfinite(v))), "hold finite numbers")
_NON_NEGATIVE = _Values(_require(lambda v: np.all(np.isfinite(v)) and np.all(v >= 0)),
                        "hold finite non-negative numbers")
_PROBABILITIES = _Values(_require(lambda v: np.all((v >= 0) & (v <= 1))),
                         "hold probabilities in [0, 1]")
_ROWS = _Values(_require(_rows_sum_to_one), "hold non-negative probabilities that sum to 1 "
                "(per row, within numpy.allclose's default tolerance)")
_WEIGHTS = _Values(_weights, "hold non-negative weights that sum to 1 (within 1e-8; 1e-6 in "
                   "float32)")
_COVARIANCES = _Values(_positive_definite, _matrices)
_MIXTURE_COVARIANCES = _Values(_mixture_covariances_valid, _mixture_matrices)
_CHOLESKY = _Values(_cholesky_factor, lambda params: (
    "hold positive finite numbers" if _variances(params)
    else "hold upper-triangular Cholesky factors with a positive diagonal"))


def _covariance(params):
    covariance_type = _covariance_type(params)
    types = MIXTURE_COVARIANCE_TYPES
    family = types.get(covariance_type) if isinstance(covariance_type, str) else None
    if family is None:
        raise ModelFileError(f"covariance_type {params.get('covariance_type')!r} is not one "
                             f"of {sorted(types)}.")
    return _COVARIANCE_SHAPES.get(family, "KDD")  # mclust's other models: full matrices


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
    field = _non_finite_field(value)
    if field is not None:  # ranges are the family's own check, when it is built
        raise ModelFileError(f"{name} must hold finite parameters, but its {field} holds NaN "
                             "or infinity.")
    width = getattr(value, "n_features", None)
    if width is None:
        first = np.shape(getattr(value, type(value).component_fields[0]))
        width = first[1] if len(first) > 1 else None
    dims.match(name, "K" if width is None else "KD", (value.n_components,) + (
        () if width is None else (int(width),)))


def _non_finite_field(family, prefix=""):
    # The first field of a family (or of a family it holds) with a NaN or an infinity.
    for key, item in family.to_dict().items():
        for i, part in enumerate(item if isinstance(item, (list, tuple)) else [item]):
            where = f"{prefix}{key}" + (f"[{i}]" if isinstance(item, (list, tuple)) else "")
            if isinstance(part, Family):
                found = _non_finite_field(part, f"{where}.")
                if found is not None:
                    return found
            elif np.asarray(part).dtype.kind in "fc" and not np.all(np.isfinite(part)):
                return where
    return None


def _monitor(name, value, dims, params):
    if as_record(value) is None:
        raise ModelFileError(f"{name} must be a convergence monitor; got {_what(value)}.")


def _what(value):
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    return f"a {type(value).__name__}"


def _preview(array):
    text = np.array2string(array, threshold=8, edgeitems=2, precision=6)
    return " ".join(text.split())


def _type_names(types):
    types = types if isinstance(types, tuple) else (types,)
    return " or ".join(t.__name__ for t in types)


_NUMBER = _scalar((int, float))


def _bounded(check, test, requirement):
    # A scalar check, then a test of its value; ``requirement`` completes "must be".
    def bounded(name, value, dims, params):
        check(name, value, dims, params)
        if value is not None and not test(value):
            raise ModelFileError(f"{name} must be {requirement}; got {value!r}.")
    return bounded


#: A Dirichlet prior: a finite number above 0 (its model divides by it).
_PRIOR = _bounded(_NUMBER, lambda v: np.isfinite(v) and v > 0, "a finite number above 0")
#: A count of iterations or updates.
_COUNT = _bounded(_scalar(int), lambda v: v >= 0, "a count of 0 or more")
_FLOATS = _list_of(_NUMBER)
_HISTORIES = _list_of(_array("*"))

_MIXTURE = {"weights_": _array("K", _WEIGHTS), "converged_": _scalar(bool), "n_iter_": _COUNT,
            "n_batch_iter_": _COUNT,
            "lower_bound_": _NUMBER, "lower_bounds_": _FLOATS,
            "lower_bounds_per_init_": _HISTORIES, "history_": _records,
            "n_features_in_": _scalar(int, "D"), "feature_names_in_": _strings}
_HMM = {"startprob_": _array("K", _ROWS), "transmat_": _array("KK", _ROWS), "monitor_": _monitor,
        "converged_": _scalar(bool), "n_iter_": _COUNT, "n_batch_iter_": _COUNT,
        "history_per_init_": _HISTORIES}


_TOPICS = {"components_": _array("KD", _ROWS), "n_iter_": _COUNT,
           "converged_": _scalar(bool), "lower_bound_": _NUMBER, "lower_bounds_": _FLOATS,
           "n_features_in_": _scalar(int, "D"), "feature_names_in_": _strings}


# -- checks that a restored estimator can predict --------------------------------------
def _mixture_usable(model):
    model._get_model()


def _topics_usable(model):
    model._fitted_model()


def _lda_usable(model):
    model._model()


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


_GAUSSIAN = {"means_": _array("KD", _FINITE), "covariances_": _array(_covariance, _COVARIANCES),
             "precisions_": _array(_covariance, _COVARIANCES),
             "precisions_cholesky_": _array(_covariance, _CHOLESKY)}

#: Every estimator a model file can hold, by class name; a new one needs one entry.
KINDS = {kind.name: kind for kind in [
    _mixture(GaussianMixture, tuple(_GAUSSIAN), **_GAUSSIAN),
    _mixture(BernoulliMixture, ("components_", "means_"), components_=_family,
             means_=_array("KD", _PROBABILITIES)),
    _mixture(PoissonMixture, ("components_", "means_"), components_=_family,
             means_=_array("KD", _NON_NEGATIVE)),
    _mixture(CategoricalMixture, ("components_", "probs_"), components_=_family,
             probs_=_array("KDC", _NON_NEGATIVE)),
    _mixture(MixtureModel, ("components_",), components_=_family),
    _hmm(GaussianHMM, ("means_", "_covars_"), n_features=_scalar(int, "D", True),
         means_=_array("KD", _FINITE), _covars_=_array(_covariance, _COVARIANCES)),
    _hmm(GMMHMM, ("weights_", "means_", "covars_"), n_features=_scalar(int, "D", True),
         weights_=_array("KM", _ROWS), means_=_array("KMD", _FINITE),
         covars_=_array(_mixture_covariance, _MIXTURE_COVARIANCES)),
    _hmm(CategoricalHMM, ("emissionprob_",), emissionprob_=_array("KD", _ROWS)),
    _hmm(MultinomialHMM, ("emissionprob_",), n_features=_scalar(int, "D", True),
         emissionprob_=_array("KD", _ROWS)),
    _hmm(PoissonHMM, ("lambdas_",), n_features=_scalar(int, "D", True),
         lambdas_=_array("KD", _NON_NEGATIVE)),
    _hmm(HiddenMarkovModel, ("emissions_",), emissions_=_family,
         n_features_in_=_scalar(int, "D")),
    Kind(PLSA, {**_TOPICS, "doc_topic_": _array("*K", _ROWS)},
         ("components_", "doc_topic_", "n_features_in_"), _topics_usable),
    # LDA's random_state_ (a generator) is not kept: a loaded model transforms, scores
    # and gives perplexities, which start every document from ones.
    Kind(LatentDirichletAllocation,
         {"components_": _array("KD", _NON_NEGATIVE),
          "exp_dirichlet_component_": _array("KD", _NON_NEGATIVE),
          "doc_topic_prior_": _PRIOR, "topic_word_prior_": _PRIOR, "n_iter_": _COUNT,
          "n_batch_iter_": _COUNT, "bound_": _NUMBER,
          "n_features_in_": _scalar(int, "D"), "feature_names_in_": _strings},
         ("components_", "exp_dirichlet_component_", "doc_topic_prior_", "topic_word_prior_",
          "n_features_in_"), _lda_usable),
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
