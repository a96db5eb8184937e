"""Progress lines printed during a fit, in scikit-learn's format (``verbose=1`` or ``2``)."""

from time import perf_counter

import numpy as np

__all__ = ["TableReporter", "VerboseReporter"]


class VerboseReporter:
    """Print the start and end of each initialization and every few iterations.

    Parameters
    ----------
    verbose : int, default=0
        0 prints nothing, 1 prints iteration numbers, 2 adds times and changes.
    verbose_interval : int, default=10
        Iterations between two printed lines.
    """

    def __init__(self, verbose=0, verbose_interval=10):
        self.verbose = verbose
        self.verbose_interval = verbose_interval
        self._init_start = self._iter_start = perf_counter()

    def init_begin(self, index):
        """Announce initialization number ``index``.

        Parameters
        ----------
        index : int
            Zero-based index of the initialization.
        """
        if self.verbose >= 1:
            print(f"Initialization {index}")
        self._init_start = self._iter_start = perf_counter()

    def iteration(self, n_iter, change, lower_bound=None, model=None):
        """Report the end of iteration ``n_iter``.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Change of the per-sample log-likelihood.
        lower_bound : float, default=None
            The iteration's per-sample log-likelihood.
        model : object, default=None
            The model after the iteration.
        """
        if n_iter % self.verbose_interval:
            return
        now = perf_counter()
        if self.verbose == 1:
            print(f"  Iteration {n_iter}")
        elif self.verbose >= 2:
            print(f"  Iteration {n_iter}\t time lapse {now - self._iter_start:.5f}s\t "
                  f"ll change {change:.5f}")
        self._iter_start = now

    def init_end(self, lower_bound, converged):
        """Report the end of one initialization.

        Parameters
        ----------
        lower_bound : float
            Final per-sample log-likelihood.
        converged : bool
            Whether it converged.
        """
        state = "converged" if converged else "did not converge"
        if self.verbose == 1:
            print(f"Initialization {state}.")
        elif self.verbose >= 2:
            elapsed = perf_counter() - self._init_start
            print(f"Initialization {state}. time lapse {elapsed:.5f}s\t "
                  f"lower bound {lower_bound:.5f}.")


class TableReporter(VerboseReporter):
    """Print one table row per iteration, as textbooks print EM: ``verbose >= 2``.

    The row holds the iteration, the per-sample log-likelihood, its change and, for
    models with at most ``max_params`` numbers, the weights and component parameters
    after the iteration. ``verbose=1`` falls back to the plain lines.

    Parameters
    ----------
    verbose : int, default=0
        0 prints nothing, 1 plain lines, 2 the table.
    verbose_interval : int, default=10
        Iterations between two printed lines (the table prints every iteration).
    max_params : int, default=12
        Largest number of parameters printed in a row.
    """

    def __init__(self, verbose=0, verbose_interval=10, max_params=12):
        super().__init__(verbose, verbose_interval)
        self.max_params = max_params

    def init_begin(self, index):
        """Announce initialization number ``index`` and print the table header.

        Parameters
        ----------
        index : int
            Zero-based index of the initialization.
        """
        super().init_begin(index)
        if self.verbose >= 2:
            print(f"{'iter':>5}  {'log-likelihood':>16}  {'change':>12}  parameters")

    def iteration(self, n_iter, change, lower_bound=None, model=None):
        """Print the row of iteration ``n_iter``.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Change of the per-sample log-likelihood.
        lower_bound : float, default=None
            The iteration's per-sample log-likelihood.
        model : object, default=None
            The model after the iteration.
        """
        if self.verbose < 2:
            return super().iteration(n_iter, change, lower_bound, model)
        print(f"{n_iter:>5}  {lower_bound:>16.8f}  {change:>12.4g}  {self._params(model)}")

    def _params(self, model):
        weights = getattr(model, "weights", None)
        family = getattr(model, "family", None)
        if weights is None or family is None:
            return ""
        arrays = {"weights": weights}
        arrays.update({name: value for name, value in family.to_dict().items()
                       if name in family.component_fields})
        if sum(np.size(v) for v in arrays.values()) > self.max_params:
            return ""
        return "  ".join(f"{name}=" + np.array2string(np.ravel(value), precision=4,
                                                       separator=",")
                         for name, value in arrays.items())
