"""The ``--model`` names of the command line, their estimator classes and options.

One table maps each name to its class and each command-line option to a constructor parameter.
"""

from dataclasses import dataclass

import emkit.estimators as estimators
from emkit.cli.errors import UsageError
from emkit.estimators.hmm import BaseHMM

__all__ = ["ModelKind", "MODELS", "TOPIC_NAMES", "build_estimator", "expected_columns",
           "is_sequential", "is_topic_model", "kind_name"]

# Command-line option -> constructor parameter, shared by each family of models.
_MIXTURE_OPTIONS = {"max_iter": "max_iter", "tol": "tol", "n_init": "n_init",
                    "seed": "random_state"}
_HMM_OPTIONS = {"max_iter": "n_iter", "tol": "tol", "n_init": "n_init", "seed": "random_state"}
_COVARIANCE = {"covariance_type": "covariance_type"}
_PLSA_OPTIONS = _MIXTURE_OPTIONS
# scikit-learn's LDA makes max_iter passes and has no starts nor likelihood tolerance.
_LDA_OPTIONS = {"max_iter": "max_iter", "seed": "random_state"}


@dataclass(frozen=True)
class ModelKind:
    """One ``--model`` choice.

    Parameters
    ----------
    name : str
        The command-line name.
    class_name : str
        The estimator class in :mod:`emkit.estimators`.
    options : dict
        Command-line option (argparse dest) -> constructor parameter.
    topics : bool, default=False
        A topic model (a decomposition of counts): ``fit`` reads sparse count files too,
        and ``transform`` gives each document's topic proportions.
    """

    name: str
    class_name: str
    options: dict
    topics: bool = False

    @property
    def estimator_class(self):
        """type: The estimator class."""
        return getattr(estimators, self.class_name)

    @property
    def sequential(self):
        """bool: True for hidden Markov models (data in sequences)."""
        return issubclass(self.estimator_class, BaseHMM)


MODELS = {kind.name: kind for kind in (
    ModelKind("gmm", "GaussianMixture", {**_MIXTURE_OPTIONS, **_COVARIANCE}),
    ModelKind("bernoulli", "BernoulliMixture", _MIXTURE_OPTIONS),
    ModelKind("categorical", "CategoricalMixture", _MIXTURE_OPTIONS),
    ModelKind("poisson", "PoissonMixture", _MIXTURE_OPTIONS),
    ModelKind("hmm-gaussian", "GaussianHMM", {**_HMM_OPTIONS, **_COVARIANCE}),
    ModelKind("hmm-categorical", "CategoricalHMM", _HMM_OPTIONS),
    ModelKind("hmm-poisson", "PoissonHMM", _HMM_OPTIONS),
    ModelKind("plsa", "PLSA", _PLSA_OPTIONS, topics=True),
    ModelKind("lda", "LatentDirichletAllocation", _LDA_OPTIONS, topics=True),
)}
#: The ``--model`` names of the topic models, for messages.
TOPIC_NAMES = ", ".join(kind.name for kind in MODELS.values() if kind.topics)


def build_estimator(name, n_components, options):
    """Build the estimator for ``--model name`` from the options the user gave.

    Parameters
    ----------
    name : str
        A key of :data:`MODELS`.
    n_components : int
        Number of components (states).
    options : dict
        Option dest -> value; None means "not given" and keeps the estimator's default.

    Returns
    -------
    estimator : object
        An unfitted emkit estimator.
    """
    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; choose one of {', '.join(MODELS)}.")
    kind = MODELS[name]
    params = {"n_components": n_components}
    for option, value in options.items():
        if value is None:
            continue
        if option not in kind.options:
            users = [k.name for k in MODELS.values() if option in k.options]
            raise UsageError(f"--{option.replace('_', '-')} does not apply to model {name!r}; "
                             f"it applies to {', '.join(users)}.")
        params[kind.options[option]] = value
    return kind.estimator_class(**params)


def kind_name(model):
    """Return the ``--model`` name of a fitted estimator (its class name if it has none).

    Parameters
    ----------
    model : object
        An emkit estimator.

    Returns
    -------
    name : str
    """
    for kind in MODELS.values():
        if type(model) is kind.estimator_class:
            return kind.name
    return type(model).__name__


def is_sequential(model):
    """Return True when ``model`` is a hidden Markov model (it takes sequence lengths).

    Parameters
    ----------
    model : object
        An emkit estimator.

    Returns
    -------
    sequential : bool
    """
    return isinstance(model, BaseHMM)


def is_topic_model(model):
    """Return True when ``model`` is one of the topic models of :data:`MODELS`.

    Parameters
    ----------
    model : object
        An emkit estimator.

    Returns
    -------
    topics : bool
    """
    return any(kind.topics and type(model) is kind.estimator_class for kind in MODELS.values())


def expected_columns(model):
    """Return the number of data columns a fitted model takes, or None when unknown.

    Parameters
    ----------
    model : object
        A fitted emkit estimator.

    Returns
    -------
    n_columns : int or None
    """
    if isinstance(model, estimators.CategoricalHMM):
        return 1  # one column of symbols; its n_features counts the symbols
    for name in ("n_features_in_", "n_features"):
        value = getattr(model, name, None)
        if value is not None:
            return int(value)
    return None
