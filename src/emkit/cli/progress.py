"""Progress bars for fits and selections that take longer than about a second.

Drawn with tqdm (the ``progress`` extra) on stderr; without tqdm there is simply no bar.
"""

import sys

import numpy as np

__all__ = ["FitProgress", "OnlineProgress", "SelectProgress", "bars_wanted", "print_line"]

DELAY_SECONDS = 1.0
_live_bars = []


def print_line(text, stream=None):
    """Print one line on ``stream`` (stderr by default) without breaking a live bar.

    Parameters
    ----------
    text : str
        The line.
    stream : file, default=None
        Where to print; None is ``sys.stderr``.
    """
    stream = sys.stderr if stream is None else stream
    if _live_bars:
        from tqdm import tqdm
        tqdm.write(text, file=stream)
    else:
        print(text, file=stream)


def bars_wanted(quiet=False, json=False, stream=None):
    """Return True when a progress bar should be drawn.

    Parameters
    ----------
    quiet : bool, default=False
        The ``--quiet`` flag.
    json : bool, default=False
        The ``--json`` flag.
    stream : file, default=None
        The standard output to test; None is ``sys.stdout``.

    Returns
    -------
    wanted : bool
        True only when stdout is a terminal and neither flag is set.
    """
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return bool(isatty is not None and isatty()) and not quiet and not json


def _make_bar(total, description, stream, delay, unit="it"):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, delay=delay, leave=False, file=stream,
                unit=unit, unit_scale=unit != "it", dynamic_ncols=True)


class _Progress:
    def __init__(self, total, description, enabled=True, stream=None, delay=DELAY_SECONDS,
                 unit="it"):
        self.bar = _make_bar(total, description, stream, delay, unit) if enabled else None
        if self.bar is not None:
            _live_bars.append(self.bar)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        if self.bar is not None:
            _live_bars.remove(self.bar)
            self.bar.close()

    def _advance_to(self, position, postfix):
        position = min(position, self.bar.total)
        self.bar.set_postfix_str(postfix, refresh=False)
        self.bar.update(position - self.bar.n)


class FitProgress(_Progress):
    """A fit's ``callback``: one bar step per EM iteration, over every start.

    Parameters
    ----------
    max_iter : int
        Iterations allowed per start.
    n_init : int, default=1
        Number of starts.
    enabled : bool, default=True
        False draws nothing.
    stream : file, default=None
        Where the bar goes; None is stderr.
    delay : float, default=1.0
        Seconds before the bar appears, so quick fits show none.
    """

    def __init__(self, max_iter, n_init=1, enabled=True, stream=None, delay=DELAY_SECONDS):
        super().__init__(max(max_iter, 1) * max(n_init, 1), "EM", enabled, stream, delay)
        self.max_iter = max(max_iter, 1)
        self._start, self._last = 0, 0

    def __call__(self, step):
        """Advance the bar after one iteration.

        Parameters
        ----------
        step : EMStep
            The engine's report of the iteration.

        Returns
        -------
        stop : bool
            Always False: the bar never stops a fit.
        """
        if step.iteration <= self._last:  # the iteration count restarted: a new start
            self._start += 1
        self._last = step.iteration
        if self.bar is not None:
            self._advance_to(self._start * self.max_iter + step.iteration,
                             f"log-likelihood {step.log_likelihood:.6g}")
        return False


class OnlineProgress(_Progress):
    """An online fit's ``callback``: a bar over rows, advanced by each batch's rows.

    Its total is the rows times the passes (times the starts); after each update it
    stands at the rows streamed so far.

    Parameters
    ----------
    n_rows : int
        Rows of the data.
    batch_size : int
        Rows per batch, or whole sequences per batch when ``lengths`` is given.
    passes : int
        Passes over the data per start.
    lengths : ndarray of int, default=None
        Sequence lengths of an HMM's data; None for rows.
    n_init : int, default=1
        Number of starts.
    enabled : bool, default=True
        False draws nothing.
    stream : file, default=None
        Where the bar goes; None is stderr.
    delay : float, default=1.0
        Seconds before the bar appears.
    """

    def __init__(self, n_rows, batch_size, passes, lengths=None, n_init=1, enabled=True,
                 stream=None, delay=DELAY_SECONDS):
        passes, n_init = max(passes, 1), max(n_init, 1)
        super().__init__(n_rows * passes * n_init, "online EM", enabled, stream, delay,
                         unit="row")
        self.n_rows, self.batch_size, self.passes = n_rows, batch_size, passes
        self.offsets = None if lengths is None else np.concatenate(
            [[0], np.cumsum(lengths)]).astype(np.int64)
        units = n_rows if lengths is None else len(lengths)
        self.n_batches = max(-(-units // batch_size), 1)
        self._start, self._last = 0, 0

    def rows_done(self, updates):
        """Return the rows streamed after ``updates`` updates of the current start.

        Parameters
        ----------
        updates : int
            Updates made so far (``EMStep.iteration``, ``n_batch_iter_``).

        Returns
        -------
        rows : int
        """
        done, batch = divmod(updates - 1, self.n_batches)
        end = (batch + 1) * self.batch_size
        if self.offsets is None:
            end = min(end, self.n_rows)
        else:
            end = int(self.offsets[min(end, len(self.offsets) - 1)])
        return done * self.n_rows + end

    def __call__(self, step):
        """Advance the bar to the rows streamed after one update.

        Parameters
        ----------
        step : EMStep
            The update's report; its ``iteration`` counts the updates.

        Returns
        -------
        stop : bool
            Always False: the bar never stops a fit.
        """
        if step.iteration <= self._last:  # the update count restarted: a new start
            self._start += 1
        self._last = step.iteration
        if self.bar is not None:
            value = step.log_likelihood
            postfix = "" if value != value else f"log-likelihood {value:.6g}"
            self._advance_to(self._start * self.passes * self.n_rows +
                             self.rows_done(step.iteration), postfix)
        return False


class SelectProgress(_Progress):
    """A selection's ``callback``: one bar step per fitted candidate.

    Parameters
    ----------
    n_candidates : int
        Number of candidate models.
    enabled : bool, default=True
        False draws nothing.
    stream : file, default=None
        Where the bar goes; None is stderr.
    delay : float, default=1.0
        Seconds before the bar appears.
    """

    def __init__(self, n_candidates, enabled=True, stream=None, delay=DELAY_SECONDS):
        super().__init__(n_candidates, "select", enabled, stream, delay)

    def __call__(self, index, n_candidates, row):
        """Advance the bar after candidate ``index``.

        Parameters
        ----------
        index : int
            0-based index of the candidate just fitted.
        n_candidates : int
            Number of candidates.
        row : dict
            The candidate's table row.
        """
        if self.bar is None:
            return
        self.bar.total = n_candidates
        label = f"K={row.get('n_components')} {row.get('covariance_type') or ''}".strip()
        self._advance_to(index + 1, label)
