"""A Potts prior on the labels of a grid: hidden Markov random field segmentation by EM.

The labels ``z`` of the pixels (or voxels) of a grid follow a Potts field,
``p(z) ∝ exp(sum_i alpha_{z_i} + beta * #{neighbouring pairs with the same label})``,
and each pixel's value is drawn from its class's Gaussian. EM with a mean-field
E-step (Zhang, Brady and Smith 2001; Celeux, Forbes and Peyrard 2003) keeps, for every
pixel, a distribution ``q_i`` over the classes and maximizes the mean-field free energy

    F(q, theta) = sum_i sum_k q_ik (log N(x_i | k) + alpha_k)
                  + beta * sum_{i~j} sum_k q_ik q_jk - sum_i sum_k q_ik log q_ik

(up to the field's normalizing constant, which depends on ``alpha`` and ``beta`` only).

The E-step updates the pixels of one colour of a colouring of the grid at a time (two
colours for the 4- and 6-neighbourhoods, four for 8 in 2-D, eight for 26 in 3-D): no two
pixels of a colour are neighbours, so each colour's update,
``q_i ∝ exp(log N(x_i | k) + alpha_k + beta * sum_{j~i} q_jk)``, maximizes ``F`` over
those pixels exactly, all at once, as whole-array operations. The M-step is the Gaussian
family's weighted maximum likelihood. So ``F`` never falls while ``beta`` and ``alpha``
are fixed. ``alpha`` is held at the log-weights of the independent-pixel fit that starts
the run; ``beta="auto"`` re-estimates ``beta`` after each E-step by maximizing the
pseudo-likelihood of the current ``q`` (so ``F``'s constant moves with it, and the
fall check is off).
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import logsumexp

from emkit.engine.underflow import underflow_is_zero

__all__ = ["NEIGHBOURHOODS", "PottsFit", "fit_potts", "neighbour_sums"]

#: The neighbourhoods of a 2-D grid and of a 3-D one.
NEIGHBOURHOODS = {2: (4, 8), 3: (6, 26)}
#: The largest beta "auto" gives: far into the ordered phase of the field (a two-class
#: field orders above about 0.88 on the 4-neighbourhood), where a larger value changes
#: nothing visible but the pseudo-likelihood of a clean segmentation keeps rising.
MAX_BETA = 4.0


@dataclass
class PottsFit:
    """The outcome of :func:`fit_potts`.

    Parameters
    ----------
    posterior : ndarray of shape ``(*grid, n_components)``
        ``q``: each pixel's distribution over the classes.
    family : Family
        The fitted Gaussian components.
    beta : float
        The interaction strength (the estimate, for "auto").
    history : list of float
        The free energy per pixel after each iteration.
    n_iter : int
        Iterations run.
    converged : bool
        True when the change fell below ``tol`` before ``max_iter``.
    """

    posterior: np.ndarray
    family: object
    beta: float
    history: list
    n_iter: int
    converged: bool


def _offsets(ndim, neighbourhood):
    # The neighbour offsets of one pixel: axis-aligned ones, or every adjacent one.
    if neighbourhood not in NEIGHBOURHOODS.get(ndim, ()):
        allowed = " or ".join(map(str, NEIGHBOURHOODS.get(ndim, ())))
        raise ValueError(f"neighbourhood must be {allowed} for a {ndim}-D grid; got "
                         f"{neighbourhood!r}.")
    full = neighbourhood in (8, 26)
    grid = np.stack(np.meshgrid(*[[-1, 0, 1]] * ndim, indexing="ij"), -1).reshape(-1, ndim)
    steps = np.abs(grid).sum(axis=1)
    keep = (steps > 0) if full else (steps == 1)
    return [tuple(o) for o in grid[keep]]


def neighbour_sums(q, offsets):
    """Return ``sum_{j~i} q_j`` for every pixel ``i`` (zero beyond the border).

    Parameters
    ----------
    q : ndarray of shape ``(*grid, n_components)``
        Values per pixel.
    offsets : list of tuple of int
        The neighbour offsets (from :data:`NEIGHBOURHOODS`' grids).

    Returns
    -------
    sums : ndarray of shape ``(*grid, n_components)``
    """
    out = np.zeros_like(q)
    ndim = q.ndim - 1
    for offset in offsets:
        target, source = [], []
        for step, size in zip(offset, q.shape[:ndim]):
            target.append(slice(max(-step, 0), size - max(step, 0)))
            source.append(slice(max(step, 0), size - max(-step, 0)))
        out[tuple(target)] += q[tuple(source)]
    return out


def _colours(shape, neighbourhood):
    # A colouring with no two neighbours of one colour: parity of the coordinate sum for
    # the axis-aligned neighbourhoods, the parity of each coordinate for the full ones.
    index = np.indices(shape)
    if neighbourhood in (4, 6):
        colour = index.sum(axis=0) % 2
    else:
        colour = sum((index[axis] % 2) << axis for axis in range(len(shape)))
    return [colour == c for c in np.unique(colour)]


def _free_energy(log_density, alpha, q, sums, beta):
    # F per pixel; pairs are counted once (the neighbour sums count each twice).
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.sum(np.where(q > 0, q * np.log(q), 0.0))
    n = q.shape[0]
    return float((np.sum(q * (log_density + alpha)) + 0.5 * beta * np.sum(q * sums)
                  + entropy) / n)


def _pseudo_beta(q, sums, alpha):
    # The beta maximizing sum_i sum_k q_ik log softmax_k(alpha_k + beta m_ik): concave.
    def negative(beta):
        field = alpha + beta * sums
        return -np.sum(q * (field - logsumexp(field, axis=1, keepdims=True)))

    return float(minimize_scalar(negative, bounds=(0.0, MAX_BETA), method="bounded",
                                 options={"xatol": 1e-6}).x)


@underflow_is_zero
def fit_potts(pixels, grid_shape, family, log_weights, beta, *, neighbourhood=None,
              max_iter=100, tol=1e-6):
    """Fit Gaussian classes under a Potts prior by mean-field EM, from a mixture fit.

    Parameters
    ----------
    pixels : ndarray of shape (n_pixels, n_channels)
        The values, in the grid's C order.
    grid_shape : tuple of int
        The grid, ``(height, width)`` or ``(depth, height, width)``.
    family : Family
        The starting Gaussian components (an independent-pixel mixture fit's).
    log_weights : ndarray of shape (n_components,)
        ``alpha``: the starting mixture's log-weights, held.
    beta : float or 'auto'
        The interaction strength.
    neighbourhood : int, default=None
        4 or 8 in 2-D, 6 or 26 in 3-D; None takes 4 (2-D) or 6 (3-D).
    max_iter : int, default=100
        Maximum number of iterations.
    tol : float, default=1e-6
        Convergence threshold on the change of the free energy per pixel.

    Returns
    -------
    fit : PottsFit
    """
    ndim = len(grid_shape)
    neighbourhood = neighbourhood or (4 if ndim == 2 else 6)
    offsets = _offsets(ndim, neighbourhood)
    colours = [mask.ravel() for mask in _colours(grid_shape, neighbourhood)]
    auto = isinstance(beta, str)
    strength = 0.0 if auto else float(beta)
    alpha = np.asarray(log_weights, dtype=np.float64)
    K = len(alpha)
    log_density = np.asarray(family.log_prob(pixels), dtype=np.float64)
    q = log_density + alpha
    q = np.exp(q - logsumexp(q, axis=1, keepdims=True))
    history, converged = [], False

    def sums_of(values):
        return neighbour_sums(values.reshape(*grid_shape, K), offsets).reshape(-1, K)

    for iteration in range(1, max_iter + 1):
        for mask in colours:
            field = log_density[mask] + alpha + strength * sums_of(q)[mask]
            q[mask] = np.exp(field - logsumexp(field, axis=1, keepdims=True))
        if auto:
            strength = _pseudo_beta(q, sums_of(q), alpha)
        family = family.maximize(family.accumulate(pixels, q))
        log_density = np.asarray(family.log_prob(pixels), dtype=np.float64)
        history.append(_free_energy(log_density, alpha, q, sums_of(q), strength))
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            converged = True
            break
    posterior = q.reshape(*grid_shape, K)
    return PottsFit(posterior, family, strength, history, len(history), converged)
