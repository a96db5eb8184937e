"""Choose the number of components and the covariance structure of a mixture by BIC, AIC or ICL.

Every candidate is fitted once; the table of scores and the best fitted model come back together.
Scores are scikit-learn's (lower is better); the table prints in mclust's convention too
(``-BIC``, higher is better), and mclust's fourteen models are candidates like any other.
"""

import csv
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_array

from emkit._files import atomic_text_write
from emkit.families.gaussian import COVARIANCE_TYPES as _COVARIANCE_FAMILIES
from emkit.families.gaussian import MCLUST_MODELS as _MCLUST_FAMILIES
from emkit.families.gaussian import MIXTURE_COVARIANCE_TYPES
from emkit.models.mixture import responsibility_entropy
from emkit.models import criteria

__all__ = ["MCLUST_MODELS", "SelectionResult", "responsibility_entropy", "select"]

CRITERIA = ("bic", "aic", "icl")
#: The default candidates: scikit-learn's four covariance types.
COVARIANCE_TYPES = tuple(_COVARIANCE_FAMILIES)
#: mclust's fourteen models, in mclust's order: ``select(X, covariance_types=MCLUST_MODELS)``.
MCLUST_MODELS = tuple(_MCLUST_FAMILIES)
#: How a table prints its scores: scikit-learn's (lower is better) or mclust's, which
#: negates them (``2 log L - p log n`` for BIC; higher is better) and names them in capitals.
CONVENTIONS = ("sklearn", "mclust")
#: Scores within this relative distance of the lowest are a tie (the first row wins):
#: equivalent models differ in the last bits, which change between processors.
TIE_RTOL = 1e-9
COLUMNS = ("n_components", "covariance_type", "log_likelihood", "n_parameters", "bic", "aic",
           "icl", "converged")
_DTYPES = {"n_components": int, "covariance_type": str, "log_likelihood": float,
           "n_parameters": int, "bic": float, "aic": float, "icl": float, "converged": bool}


class SelectionResult:
    """The scores of every candidate model and the best fitted one.

    Parameters
    ----------
    table : dict of str to ndarray
        One column per score, one row per candidate in the order fitted: ``n_components``
        (int), ``covariance_type`` (str; ``""`` for estimators without that parameter),
        ``log_likelihood`` (total over the samples), ``n_parameters`` (int), ``bic``,
        ``aic``, ``icl`` (float; lower is better) and ``converged`` (bool).
    criterion : {'bic', 'aic', 'icl'}
        The column whose smallest value picks the best row.
    best_estimator : estimator
        The fitted model of that row.

    Attributes
    ----------
    table : dict of str to ndarray
        The scores; ``pandas.DataFrame(result.table)`` makes a data frame of them.
    criterion : str
        The criterion used.
    best_index_ : int
        Row of the best candidate: the first one on a tie, within ``TIE_RTOL`` (so the
        fewest components of the first covariance type tied), NaN scores counting as worst.
    best_estimator_ : estimator
        The fitted best model.
    best_params_ : dict
        ``n_components`` and ``covariance_type`` of the best row; ``covariance_type`` is
        None for estimators without that parameter.
    """

    def __init__(self, table, criterion, best_estimator):
        self.table = table
        self.criterion = criterion
        self.best_index_ = _best_row(table[criterion])
        self.best_estimator_ = best_estimator
        cov = str(table["covariance_type"][self.best_index_])
        self.best_params_ = {"n_components": int(table["n_components"][self.best_index_]),
                             "covariance_type": cov or None}

    def __repr__(self):
        return (f"SelectionResult(criterion={self.criterion!r}, "
                f"n_candidates={len(self.table['n_components'])}, "
                f"best_params_={self.best_params_!r})")

    def __str__(self):
        return self.to_text()

    def to_text(self, convention="sklearn"):
        """Format the table as aligned text, the best row marked with ``*``.

        Parameters
        ----------
        convention : {'sklearn', 'mclust'}, default='sklearn'
            'sklearn' prints the scores as they are (``bic``, ``aic``, ``icl``; lower is
            better); 'mclust' prints them negated as ``BIC``, ``AIC`` and ``ICL`` (mclust's
            ``BIC = 2 log L - p log n``; higher is better). The best row is the same.

        Returns
        -------
        text : str
            A header line, one line per candidate and a closing line naming the best one.
        """
        columns, table = self.scores(convention)
        rows = [[_format(name, value) for name, value in zip(COLUMNS, row)]
                for row in zip(*(table[name] for name in columns))]
        widths = [max([len(name)] + [len(row[j]) for row in rows])
                  for j, name in enumerate(columns)]
        lines = ["  " + "  ".join(name.rjust(w) for name, w in zip(columns, widths))]
        for i, row in enumerate(rows):
            mark = "* " if i == self.best_index_ else "  "
            lines.append(mark + "  ".join(cell.rjust(w) for cell, w in zip(row, widths)))
        params = ", ".join(f"{k}={v!r}" for k, v in self.best_params_.items() if v is not None)
        sign = " (mclust's sign: higher is better)" if convention == "mclust" else ""
        lines.append(f"* best by {self.criterion.upper()}{sign}: {params}")
        return "\n".join(lines)

    def to_csv(self, path, convention="sklearn"):
        """Write the table to a CSV file, one header line and one line per candidate.

        The file is written to a temporary name first and then renamed, so a failure never
        leaves a truncated file.

        Parameters
        ----------
        path : str or path-like
            Where to write the table.
        convention : {'sklearn', 'mclust'}, default='sklearn'
            The scores as they are, or negated under mclust's capital names (see
            :meth:`to_text`).
        """
        columns, table = self.scores(convention)

        def write(handle):
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in zip(*(table[name] for name in columns)):
                writer.writerow([_csv_cell(value) for value in row])

        atomic_text_write(path, write)

    def scores(self, convention="sklearn"):
        """Return the column names and the table in a convention of the scores.

        Parameters
        ----------
        convention : {'sklearn', 'mclust'}, default='sklearn'
            'sklearn' gives :attr:`table` itself; 'mclust' gives its criteria negated
            (higher is better) under the names ``BIC``, ``AIC`` and ``ICL``, so
            ``table["BIC"]`` is mclust's ``2 log L - p log n`` with mclust's parameter
            counts.

        Returns
        -------
        columns : tuple of str
            The column names, in order.
        table : dict of str to ndarray
            One column per name.
        """
        if convention not in CONVENTIONS:
            raise ValueError(f"convention must be 'sklearn' or 'mclust'; got {convention!r}.")
        if convention == "sklearn":
            return COLUMNS, self.table
        renamed = {name: name.upper() if name in CRITERIA else name for name in COLUMNS}
        table = {renamed[name]: -values if name in CRITERIA else values
                 for name, values in self.table.items()}
        return tuple(renamed.values()), table


def _best_row(scores):
    # The first row within TIE_RTOL of the lowest score; NaN (a failed fit) never wins.
    scores = np.asarray(scores, dtype=np.float64)
    scores = np.where(np.isnan(scores), np.inf, scores)
    lowest = scores.min()
    if not np.isfinite(lowest):
        return int(np.argmin(scores))
    return int(np.flatnonzero(scores <= lowest + TIE_RTOL * max(abs(lowest), 1.0))[0])


def _format(name, value):
    # name is the column's name in COLUMNS (scikit-learn's convention).
    if _DTYPES[name] is float:
        return f"{value:.3f}"
    return str(value) if _DTYPES[name] is not str else (value or "-")


def _csv_cell(value):
    return repr(float(value)) if isinstance(value, np.floating) else str(value)


def select(X, n_components=range(1, 11), covariance_types=COVARIANCE_TYPES, criterion="bic", *,
           estimator=None, n_init=1, random_state=None, callback=None):
    """Fit a mixture for every candidate and keep the one with the lowest criterion.

    The candidates are every covariance type (outer loop, in the order given) with every
    number of components (inner loop, in increasing order; duplicates are fitted once).
    On a tie in the criterion (scores within ``TIE_RTOL``, 1e-9 relative, of the lowest)
    the first candidate wins, so the fewest components. Each is a clone of ``estimator``
    with ``n_components``, ``covariance_type`` (when the estimator has that parameter),
    ``n_init`` and ``random_state`` (when not None) set. For BIC, AIC and ICL lower is
    better (scikit-learn's sign; :meth:`SelectionResult.to_text` prints mclust's, higher
    is better, with ``convention='mclust'``); ICL is BIC plus twice the entropy of the
    responsibilities, so it also penalises overlapping components.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data; NaN entries are allowed where the estimator accepts them. A data frame
        is passed to the candidates as it is, so they keep its column names.
    n_components : int or iterable of int, default=range(1, 11)
        Candidate numbers of components; each must be at most ``n_samples``.
    covariance_types : str or iterable of str, default=("full", "tied", "diag", "spherical")
        Candidate covariance structures: scikit-learn's names or mclust's fourteen
        models (:data:`MCLUST_MODELS`, e.g. ``covariance_types=MCLUST_MODELS``), whose
        parameter counts are mclust's. Ignored, giving one group of rows whose
        ``covariance_type`` is ``""``, when the estimator has no ``covariance_type``
        parameter (e.g. :class:`emkit.BernoulliMixture`).
    criterion : {'bic', 'aic', 'icl'}, default='bic'
        The score that picks the best candidate.
    estimator : estimator, default=None
        Template mixture estimator, never fitted itself; None means
        :class:`emkit.GaussianMixture` with its defaults.
    n_init : int, default=1
        Number of starts of every candidate fit (at least 1).
    random_state : int, RandomState instance or None, default=None
        Seed set on every candidate; None keeps the template's own ``random_state``.
    callback : callable, default=None
        Called after each candidate fit with ``(index, n_candidates, row)``: the 0-based
        row index, the number of candidates and the row as a dict of the table's columns.

    Returns
    -------
    result : SelectionResult
        The table of scores, the best fitted model and its parameters.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D numeric array, the criterion or a covariance type is
        unknown, ``n_init`` is not a positive integer, or a candidate has more components
        than there are samples (all raised before any fit); or if a candidate cannot be
        fitted (the message names it, the estimator's own error is its cause).
    TypeError
        If ``estimator`` is not a mixture estimator instance.
    """
    X = _checked_data(X)
    n_samples = X.shape[0]
    template = _template(estimator)
    candidates = _candidates(template, n_samples, n_components, covariance_types)
    criterion = _check_criterion(criterion)
    _check_n_init(n_init)
    rows, models = [], []
    for index, params in enumerate(candidates):
        model = _fitted(_candidate(template, params, n_init, random_state), X, params)
        rows.append(_score_row(model, X, n_samples, params.get("covariance_type", "")))
        models.append(model)
        if callback is not None:
            callback(index, len(candidates), dict(rows[-1]))
    table = {name: np.array([row[name] for row in rows], dtype=_DTYPES[name])
             for name in COLUMNS}
    return SelectionResult(table, criterion, models[_best_row(table[criterion])])


def _checked_data(X):
    # The data checked once, with a message of our own for the wrong number of
    # dimensions: an array, or the data frame itself so the candidates keep its names.
    if np.ndim(X) != 2:
        hint = "; reshape one feature with X.reshape(-1, 1)" if np.ndim(X) == 1 else ""
        raise ValueError(f"X must be a 2-D array of shape (n_samples, n_features); got "
                         f"shape {np.shape(X)}{hint}.")
    array = check_array(X, dtype=[np.float64, np.float32], ensure_all_finite="allow-nan")
    return X if hasattr(X, "columns") and hasattr(X, "iloc") else array


def _check_n_init(n_init):
    if isinstance(n_init, bool) or not isinstance(n_init, Integral) or n_init < 1:
        raise ValueError(f"n_init must be a positive integer; got {n_init!r}.")


def _fitted(model, X, params):
    try:
        return model.fit(X)
    except InvalidParameterError:
        raise
    except ValueError as error:
        described = ", ".join(f"{name}={params[name]!r}"
                              for name in ("n_components", "covariance_type") if name in params)
        raise ValueError(f"The candidate with {described} could not be fitted: {error}") \
            from error


def _score_row(model, X, n, covariance_type):
    # One row of the table; the log-likelihood is computed once for all three criteria.
    log_likelihood = float(model.score(X)) * n
    n_parameters = int(model._n_parameters())
    return {"n_components": int(model.n_components), "covariance_type": covariance_type,
            "log_likelihood": log_likelihood, "n_parameters": n_parameters,
            "bic": criteria.bic(log_likelihood, n_parameters, n),
            "aic": criteria.aic(log_likelihood, n_parameters),
            "icl": criteria.icl(log_likelihood, n_parameters, n, model.predict_proba(X)),
            "converged": bool(getattr(model, "converged_", True))}


def _template(estimator):
    if estimator is None:
        from emkit.estimators import GaussianMixture
        return GaussianMixture()
    needed = ("fit", "score", "predict_proba", "_n_parameters", "get_params")
    if isinstance(estimator, type) or not all(hasattr(estimator, a) for a in needed) \
            or "n_components" not in estimator.get_params():
        raise TypeError("estimator must be a mixture estimator instance such as "
                        f"emkit.GaussianMixture() or emkit.BernoulliMixture(); got {estimator!r}.")
    return estimator


def _check_criterion(criterion):
    if not isinstance(criterion, str) or criterion.lower() not in CRITERIA:
        raise ValueError(f"criterion must be 'bic', 'aic' or 'icl'; got {criterion!r}.")
    return criterion.lower()


def _candidates(template, n_samples, n_components, covariance_types):
    # The parameters of every candidate, checked before any fit.
    counts = _check_counts(n_components, n_samples)
    if "covariance_type" not in template.get_params():
        return [{"n_components": k} for k in counts]
    types = _check_covariance_types(covariance_types)
    return [{"covariance_type": cov, "n_components": k} for cov in types for k in counts]


def _check_counts(n_components, n_samples):
    # Sorted and without duplicates: each size is fitted once, smallest first.
    counts = [n_components] if isinstance(n_components, Integral) else list(n_components)
    if not counts or not all(isinstance(k, Integral) and not isinstance(k, bool) and k >= 1
                             for k in counts):
        raise ValueError("n_components must be a positive integer or a non-empty list of "
                         f"them; got {n_components!r}.")
    if max(counts) > n_samples:
        raise ValueError(f"Candidates of up to {max(counts)} components cannot be fitted to "
                         f"{n_samples} samples; give n_components of at most {n_samples}.")
    return sorted({int(k) for k in counts})


def _check_covariance_types(covariance_types):
    types = [covariance_types] if isinstance(covariance_types, str) else list(covariance_types)
    unknown = [t for t in types if t not in MIXTURE_COVARIANCE_TYPES]
    if unknown or not types:
        *others, last = (repr(t) for t in MIXTURE_COVARIANCE_TYPES)
        raise ValueError(f"covariance_types must be a non-empty list of {', '.join(others)} "
                         f"and {last}; got {covariance_types!r}.")
    return list(dict.fromkeys(types))  # each type once, in the order given


def _candidate(template, params, n_init, random_state):
    model = clone(template).set_params(**params)
    if "n_init" in model.get_params():
        model.set_params(n_init=n_init)
    if random_state is not None:
        model.set_params(random_state=random_state)
    return model
