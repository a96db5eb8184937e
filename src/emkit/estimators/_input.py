"""scikit-learn's input checks with short messages: its first sentence, never the array.

``check_array`` prints the whole array when X is complex or 1-D (hundreds of lines for
real data); the estimators keep its wording, which scikit-learn's own test suites match,
and drop the dump.
"""

import contextlib

__all__ = ["short_array_errors"]

_ADVICE = {
    "Complex data not supported": "; X must hold real numbers, so pass its real part "
                                  "(X.real) or its magnitude (np.abs(X)).",
}


@contextlib.contextmanager
def short_array_errors():
    """Re-raise scikit-learn's array errors that print the array, without the array.

    The first line (its first sentence) is kept, and the advice that follows the array
    (``Reshape your data ...``); other errors pass through unchanged.
    """
    try:
        yield
    except ValueError as exc:
        short = _shortened(str(exc))
        if short is None:
            raise
        raise ValueError(short) from None


def _shortened(message):
    lines = message.strip().splitlines()
    if len(lines) < 2 or not lines[0].startswith(("Complex data not supported",
                                                  "Expected 2D array")):
        return None
    first = lines[0].rstrip(":")
    advice = [line for line in lines[1:] if line.startswith("Reshape your data")]
    if advice:
        return f"{first}. {advice[0]}"
    return first + _ADVICE.get(first, ".")
