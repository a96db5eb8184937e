"""Progress bars for fits and selections that take longer than about a second.

Drawn with tqdm (the ``progress`` extra) on stderr; without tqdm there is simply no bar.
"""

import sys

__all__ = ["FitProgress", "SelectProgress", "bars_wanted", "print_line"]

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


def _make_bar(total, description, stream, delay):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, delay=delay, leave=False, file=stream,
                unit="it", dynamic_ncols=True)


class _Progress:
    def __init__(self, total, description, enabled=True, stream=None, delay=DELAY_SECONDS):
        self.bar = _make_bar(total, description, stream, delay) if enabled else None
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
