"""The demo: a tour of the uses of EM that emkit covers, each with its printed result and
a figure, on built-in data. What ``emkit demo`` and ``make demo`` run.

Each section is a function returning a :class:`~emkit.demo._section.Section` (its lines
and the figures it can draw); a new use of EM is one more function in :data:`SECTIONS`.
"""

import os
import time

from emkit.demo import beyond_rows, latent_classes, mixtures

__all__ = ["SECTIONS", "run_demo"]

#: The tour, in order.
SECTIONS = [mixtures.two_gaussians_1d, mixtures.gmm_against_kmeans,
            latent_classes.three_coins_and_exercise_9_3, mixtures.iris_ellipses,
            beyond_rows.missing_values, mixtures.model_selection, beyond_rows.regimes,
            beyond_rows.topics, beyond_rows.spatial_segmentation, mixtures.acceleration,
            beyond_rows.dask_fit]


def run_demo(out="demo-output"):
    """Run the tour, print each section's results and write its figures into ``out``.

    Parameters
    ----------
    out : str, default='demo-output'
        Folder for the figures (created if missing).

    Returns
    -------
    lines : list of str
        The printed report.
    """
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    lines, written = [], []
    plots = _matplotlib_installed()
    for make in SECTIONS:
        section = make()
        block = [section.title] + section.lines
        if plots:
            for name, draw in section.figures.items():
                draw().savefig(os.path.join(out, name), dpi=90)
                written.append(name)
        print("\n".join(block + [""]), flush=True)
        lines += block + [""]
    if plots:
        tail = f"{len(written)} figures written to {out}/: " + ", ".join(written)
    else:
        tail = "(install emkit[plot] for the figures)"
    tail += f"\nThe tour took {time.perf_counter() - started:.0f} s."
    print(tail)
    return lines + tail.splitlines()


def _matplotlib_installed():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True
