"""Progress lines printed during a fit, in scikit-learn's format (``verbose=1`` or ``2``)."""

from time import perf_counter

__all__ = ["VerboseReporter"]


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

    def iteration(self, n_iter, change):
        """Report the end of iteration ``n_iter``.

        Parameters
        ----------
        n_iter : int
            One-based iteration number.
        change : float
            Change of the per-sample log-likelihood.
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
