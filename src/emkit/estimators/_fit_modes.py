"""The fit modes every estimator offers beside plain batch EM: SQUAREM and online EM.

Their six constructor parameters are the same for every estimator, so they are checked,
constrained and documented here, once: ``FIT_MODE_DEFAULTS`` lists them,
:func:`check_fit_modes` checks them with one sentence per mistake,
``FIT_MODE_CONSTRAINTS`` gives scikit-learn's parameter validation the same rules, and
:func:`document_fit_modes` adds their description to a class's docstring.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

__all__ = ["FIT_MODE_CONSTRAINTS", "FIT_MODE_DEFAULTS", "check_fit_modes",
           "document_fit_modes"]

FIT_MODE_DEFAULTS = {"acceleration": None, "learning_method": "batch", "learning_decay": 0.7,
                     "learning_offset": 10.0, "batch_size": 1000, "total_samples": 1e6}

FIT_MODE_CONSTRAINTS = {
    "acceleration": [StrOptions({"squarem"}), None],
    "learning_method": [StrOptions({"batch", "online"})],
    "learning_decay": [Interval(Real, 0, 1, closed="right")],
    "learning_offset": [Interval(Real, 1.0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "total_samples": [Interval(Real, 0, None, closed="neither")],
}

FIT_MODES_DOC = """\
    acceleration : {None, 'squarem'}, default=None
        None runs plain EM. 'squarem' extrapolates every three accepted iterations in the
        space of the expected statistics (Varadhan and Roland's SQUAREM), with a
        safeguard: a proposal outside the parameter space, or whose log-likelihood is
        below the last accepted one, gives way to the plain EM step. The accepted
        log-likelihoods never fall; ``n_iter_`` counts every E-step (every pass over the
        data), rejected proposals included, and the history holds the accepted ones.
    learning_method : {'batch', 'online'}, default='batch'
        'online' makes ``fit`` stream the data in batches of ``batch_size`` for the
        iteration cap's number of passes, as :meth:`partial_fit` does with each batch;
        ``tol`` then compares the log-likelihoods of two passes, each the sum over its
        batches under the parameters before their update.
    learning_decay : float, default=0.7
        Online EM's step of update ``t`` is ``(t + learning_offset) ** -learning_decay``;
        in (0.5, 1] the estimate converges and older batches are forgotten, faster for
        smaller values.
    learning_offset : float, default=10.0
        Down-weights the first updates of online EM (at least 1).
    batch_size : int, default=1000
        Rows per batch of an online ``fit`` (whole sequences, for a hidden Markov model).
    total_samples : float, default=1e6
        Size of the stream that :meth:`partial_fit` sees, in rows (sequences for a hidden
        Markov model): each batch's statistics are scaled by it over the batch's size.
        An online ``fit`` uses the size of its data.
"""


def check_fit_modes(estimator):
    """Raise one sentence for a fit-mode parameter that is out of range.

    Parameters
    ----------
    estimator : EMEstimator
        The estimator whose parameters are checked.
    """
    acceleration = getattr(estimator, "acceleration", None)
    method = getattr(estimator, "learning_method", "batch")
    if acceleration not in (None, "squarem"):
        raise ValueError(f"acceleration must be None or 'squarem'; got {acceleration!r}.")
    if method not in ("batch", "online"):
        raise ValueError(f"learning_method must be 'batch' or 'online'; got {method!r}.")
    if method == "online" and acceleration is not None:
        raise ValueError("acceleration='squarem' extrapolates whole passes and cannot run "
                         "with learning_method='online'; choose one of them.")
    decay = getattr(estimator, "learning_decay", 0.7)
    offset = getattr(estimator, "learning_offset", 10.0)
    size = getattr(estimator, "batch_size", 1000)
    total = getattr(estimator, "total_samples", 1e6)
    if not (isinstance(decay, Real) and 0 < decay <= 1):
        raise ValueError(f"learning_decay must lie in (0, 1]; got {decay!r}.")
    if not (isinstance(offset, Real) and offset >= 1):
        raise ValueError(f"learning_offset must be at least 1; got {offset!r}.")
    if not (isinstance(size, Integral) and not isinstance(size, bool) and size >= 1):
        raise ValueError(f"batch_size must be a positive integer; got {size!r}.")
    if not (isinstance(total, Real) and total > 0):
        raise ValueError(f"total_samples must be positive; got {total!r}.")


def document_fit_modes(cls):
    """Class decorator: add the fit-mode parameters to the class docstring's Parameters.

    They are inserted at the end of the Parameters section, before Attributes.

    Parameters
    ----------
    cls : type
        An estimator class whose docstring has an ``Attributes`` section.

    Returns
    -------
    cls : type
        The same class.
    """
    doc = cls.__doc__
    marker = "\n    Attributes\n    ----------\n"
    if marker not in doc:
        raise TypeError(f"{cls.__name__}'s docstring needs an Attributes section.")
    head, tail = doc.split(marker, 1)
    cls.__doc__ = head.rstrip("\n") + "\n" + FIT_MODES_DOC + marker + tail
    return cls
