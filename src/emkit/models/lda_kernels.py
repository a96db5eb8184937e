"""The per-document variational updates of latent Dirichlet allocation, as pure functions.

Hoffman, Blei and Bach (2010): for one document with counts ``n_w`` and the topics'
``B_kw = exp(E[log beta_kw])``, iterate ``phi_w ∝ exp(E[log theta_k]) B_kw`` and
``gamma_k = alpha + sum_w n_w phi_wk`` until the mean absolute change of ``gamma`` is
below ``tol``. The documents are CSR rows (``indptr``, ``indices``, ``data``), so the work
is O(nonzeros x topics) per sweep. With numba installed (the ``fast`` extra) the loop over
documents is compiled and releases the GIL (chunks of documents run on every core);
without it, :func:`doc_topics_numpy` runs the same updates vectorized over the documents
still iterating, in numpy and scipy's sparse products.

``psi`` is the digamma approximation scikit-learn uses (Bernardo 1976, Algorithm AS 103:
the recurrence up to 6, then the asymptotic series to ``1 / x**6``), so that a fit
follows scikit-learn's path from the same start (to a few ulps: the recurrence's
reciprocals are summed as one fraction); it is within 3e-9 of the exact digamma.
"""

import numpy as np
from scipy import sparse
from scipy.special import gammaln

from emkit._compiled import HAVE_NUMBA, inline_kernel, kernel, vector_kernel

__all__ = ["EULER", "HAVE_NUMBA", "column_expectation_t", "dirichlet_expectation",
           "doc_dirichlet_bound", "doc_topics", "doc_topics_numpy", "exp_psi",
           "exp_psi_terms", "psi", "psi_array", "psi_terms", "topic_expectation_t",
           "word_bound", "word_bound_numpy"]

EULER = 0.577215664901532860606512090082402431


@inline_kernel
def psi(x):
    """Digamma of a positive number (AS 103, as scikit-learn computes it).

    Parameters
    ----------
    x : float
        The argument.

    Returns
    -------
    psi : float
    """
    if x <= 1e-6:
        return -EULER - 1.0 / x  # psi(x) = -EULER - 1/x + O(x)
    # psi(x + 1) = psi(x) + 1/x up to 6; the reciprocals summed as one fraction
    # num / den (one division, not up to six; the same value to a few ulps).
    num = 0.0
    den = 1.0
    while x < 6:
        num = num * x + den
        den *= x
        x += 1
    result = -num / den
    r = 1.0 / x
    result += np.log(x) - 0.5 * r
    r = r * r
    result -= r * ((1.0 / 12.0) - r * ((1.0 / 120.0) - r * (1.0 / 252.0)))
    return result


@inline_kernel
def psi_terms(x):
    """``(s, y)`` with ``exp(psi(x)) = y * exp(s)``: :func:`psi` without its log, branch-free.

    The recurrence ``psi(x + 1) = psi(x) + 1/x`` takes ``x`` to ``y >= 6`` in six masked
    steps (enough from above 1e-6), so a loop over many arguments compiles to vector
    instructions; then ``psi(x) = log(y) + s``. For ``x <= 1e-6``: ``s = -EULER - 1/x``,
    ``y = 1``. :func:`psi` keeps its own copy of these steps: its order of operations is
    scikit-learn's, so that a fit follows scikit-learn's path to the last bits.

    Parameters
    ----------
    x : float
        A positive argument.

    Returns
    -------
    s : float
    y : float
    """
    value = x
    num = 0.0
    den = 1.0
    for _ in range(6):
        low = value < 6
        num = num * value + den if low else num
        den = den * value if low else den
        value = value + 1 if low else value
    r = 1.0 / value
    terms = -num / den - 0.5 * r
    r = r * r
    terms -= r * ((1.0 / 12.0) - r * ((1.0 / 120.0) - r * (1.0 / 252.0)))
    tiny = x <= 1e-6
    return (-EULER - 1.0 / x if tiny else terms), (1.0 if tiny else value)


@inline_kernel
def exp_psi(x):
    """``exp(psi(x))`` of a positive number, with one exp and no log (:func:`psi_terms`).

    The same value as ``exp(psi(x))`` to a few ulps.

    Parameters
    ----------
    x : float
        The argument.

    Returns
    -------
    value : float
    """
    terms, shifted = psi_terms(x)
    return shifted * np.exp(terms)


def psi_array(x):
    """Digamma of an array of positive numbers, elementwise, as :func:`psi`.

    Parameters
    ----------
    x : array-like
        The arguments.

    Returns
    -------
    psi : ndarray of float64
    """
    x = np.array(x, dtype=np.float64)
    small = x <= 1e-6
    tiny = x[small]
    num, den = np.zeros_like(x), np.ones_like(x)
    for _ in range(6):  # from above 1e-6, six steps reach 6
        low = x < 6
        if not low.any():
            break
        num[low] = num[low] * x[low] + den[low]
        den[low] *= x[low]
        x[low] += 1
    result = np.asarray(-num / den)
    r = 1.0 / x
    result += np.log(x) - 0.5 * r
    r = r * r
    result -= r * ((1.0 / 12.0) - r * ((1.0 / 120.0) - r * (1.0 / 252.0)))
    result[small] = -EULER - 1.0 / tiny
    return result


def dirichlet_expectation(alpha, compiled=False):
    """``E[log theta]`` for each row ``theta ~ Dirichlet(alpha_row)``.

    Parameters
    ----------
    alpha : ndarray of shape (n_rows, n_components)
        Dirichlet parameters, positive.
    compiled : bool, default=False
        Use the compiled row loop when numba is installed (the same values to a few
        ulps: each row's total is summed in order rather than pairwise).

    Returns
    -------
    expectation : ndarray of shape (n_rows, n_components)
        ``psi(alpha) - psi(alpha.sum(axis=1))[:, None]``, in float64.
    """
    alpha = np.asarray(alpha, dtype=np.float64)
    if compiled and HAVE_NUMBA and alpha.ndim == 2:
        out = np.empty_like(alpha)
        _dirichlet_expectation_rows(np.ascontiguousarray(alpha), out)
        return out
    return psi_array(alpha) - psi_array(alpha.sum(axis=1))[:, None]


@kernel
def _dirichlet_expectation_rows(alpha, out):
    n, K = alpha.shape
    for d in range(n):
        total = 0.0
        for k in range(K):
            total += alpha[d, k]
        psi_total = psi(total)
        for k in range(K):
            out[d, k] = psi(alpha[d, k]) - psi_total


@kernel
def _dirichlet_expectation_t(lam_t, out, exponentiate):
    # out[w, k] = psi(lam_t[w, k]) - psi(sum_w lam_t[w, k]) (its exp when asked): the
    # topics' expectation in the words-by-topics layout the E-step reads, each topic's
    # total summed word after word, as scikit-learn sums it.
    V, K = lam_t.shape
    totals = np.zeros(K)
    for w in range(V):
        for k in range(K):
            totals[k] += lam_t[w, k]
    for k in range(K):
        totals[k] = psi(totals[k])
    for w in range(V):
        for k in range(K):
            value = psi(lam_t[w, k]) - totals[k]
            out[w, k] = np.exp(value) if exponentiate else value


@vector_kernel
def exp_psi_terms(x, shifted):
    """In place: :func:`psi_terms` of every entry, ``s`` into ``x`` and ``y`` into ``shifted``.

    A vector loop; numpy's vector exp then finishes: ``exp(psi(x)) = y * np.exp(s)``.

    Parameters
    ----------
    x : ndarray of float64, 1-D
        Positive arguments; overwritten with ``s``.
    shifted : ndarray of float64, same shape
        Written with ``y``.
    """
    for i in range(x.shape[0]):
        x[i], shifted[i] = psi_terms(x[i])


def column_expectation_t(lam_t, totals, compiled=True):
    """``exp(E[log beta])`` in some words, from their ``lambda`` and the topics' totals.

    Parameters
    ----------
    lam_t : ndarray of shape (n_words, n_components)
        ``lambda`` in those words, words by topics, C-contiguous float64; overwritten.
    totals : ndarray of shape (n_components,)
        Each topic's ``lambda`` summed over the whole vocabulary.
    compiled : bool, default=True
        False computes it with numpy, as without numba.

    Returns
    -------
    expectation : ndarray of shape (n_words, n_components)
        ``lam_t``, holding ``exp(psi(lambda) - psi(total))``.
    """
    psi_totals = psi_array(totals)
    if not (compiled and HAVE_NUMBA):
        lam_t[...] = np.exp(psi_array(lam_t) - psi_totals)
        return lam_t
    flat = lam_t.reshape(-1)
    shifted = np.empty_like(flat)
    exp_psi_terms(flat, shifted)
    np.exp(flat, out=flat)
    flat *= shifted
    lam_t *= np.exp(-psi_totals)
    return lam_t


def topic_expectation_t(components, exponentiate=False, compiled=True):
    """``E[log beta]`` of the topics (or its exp), transposed: words by topics.

    Parameters
    ----------
    components : ndarray of shape (n_components, n_features)
        The topics' Dirichlet parameters ``lambda``.
    exponentiate : bool, default=False
        Return ``exp(E[log beta])``.
    compiled : bool, default=True
        False computes it with numpy (:func:`dirichlet_expectation`), as without numba.

    Returns
    -------
    expectation : ndarray of shape (n_features, n_components)
        C-contiguous.
    """
    if not (compiled and HAVE_NUMBA):
        out = dirichlet_expectation(components)
        return np.ascontiguousarray((np.exp(out) if exponentiate else out).T)
    lam_t = np.ascontiguousarray(np.asarray(components, dtype=np.float64).T)
    out = np.empty_like(lam_t)
    _dirichlet_expectation_t(lam_t, out, exponentiate)
    return out


@inline_kernel
def _word_norms(block, etd, m, norm):
    # norm[j] = sum_k etd[k] block[k, j] for the document's m words: one pass over the
    # words per topic, each a vector loop.
    K = len(etd)
    for j in range(m):
        norm[j] = 0.0
    for k in range(K):
        weight = etd[k]
        row = block[k]
        for j in range(m):
            norm[j] += weight * row[j]


@inline_kernel
def _weighted_sum(ratio, row, m):
    # sum_j ratio[j] row[j] in eight running sums (vector lanes; one sum chains every
    # addition through one register).
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = 0.0
    j = 0
    while j + 8 <= m:
        s0 += ratio[j] * row[j]
        s1 += ratio[j + 1] * row[j + 1]
        s2 += ratio[j + 2] * row[j + 2]
        s3 += ratio[j + 3] * row[j + 3]
        s4 += ratio[j + 4] * row[j + 4]
        s5 += ratio[j + 5] * row[j + 5]
        s6 += ratio[j + 6] * row[j + 6]
        s7 += ratio[j + 7] * row[j + 7]
        j += 8
    while j < m:
        s0 += ratio[j] * row[j]
        j += 1
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))


@vector_kernel
def _doc_topics(indptr, indices, data, beta_t, gamma, alpha, max_iter, tol, eps, stats_t,
                word_ll):
    # In place: gamma (n, K) from the start to the fixed point; stats_t (V, K) += each
    # document's sum_w n_w phi_w / B_w (when it has rows), word_ll[d] = sum_w n_w log
    # norm_w (the words' term of the bound at the fixed point, with the eps floor).
    # Each document's topics are first gathered topic by topic (block[k, j] = B of its
    # j-th word in topic k), so that every sweep runs vector loops over its words.
    n, K = gamma.shape
    want_stats = stats_t.shape[0] > 0
    longest = 0
    for d in range(n):
        longest = max(longest, indptr[d + 1] - indptr[d])
    block = np.empty((K, max(longest, 1)))
    norm = np.empty(max(longest, 1))
    ratio = np.empty(max(longest, 1))
    etd = np.empty(K)
    new = np.empty(K)
    terms = np.empty(K)
    shifted = np.empty(K)
    for d in range(n):
        start, stop = indptr[d], indptr[d + 1]
        m = stop - start
        for j in range(m):
            w = indices[start + j]
            for k in range(K):
                block[k, j] = beta_t[w, k]
        total = 0.0
        for k in range(K):
            total += gamma[d, k]
        inverse = 1.0 / exp_psi(total)
        for k in range(K):
            etd[k] = exp_psi(gamma[d, k]) * inverse
        for _ in range(max_iter):
            _word_norms(block, etd, m, norm)
            for j in range(m):
                ratio[j] = data[start + j] / (norm[j] + eps)
            total = 0.0
            for k in range(K):
                new[k] = etd[k] * _weighted_sum(ratio, block[k], m) + alpha
                total += new[k]
            inverse = 1.0 / exp_psi(total)
            for k in range(K):  # a vector loop: the recurrences of every topic at once
                terms[k], shifted[k] = psi_terms(new[k])
            change = 0.0
            for k in range(K):
                etd[k] = shifted[k] * np.exp(terms[k]) * inverse
                change += abs(gamma[d, k] - new[k])
                gamma[d, k] = new[k]
            if change / K < tol:
                break
        if want_stats:
            _word_norms(block, etd, m, norm)
            ll = 0.0
            for j in range(m):
                w = indices[start + j]
                value = norm[j] + eps
                weight = data[start + j] / value
                for k in range(K):
                    stats_t[w, k] += etd[k] * weight
                ll += data[start + j] * np.log(value)
            word_ll[d] = ll


def doc_topics_numpy(indptr, indices, data, beta_t, gamma, alpha, max_iter, tol, eps,
                     stats_t, word_ll):
    """The updates of :func:`doc_topics` in numpy, vectorized over the documents.

    Every sweep updates the documents that have not converged at once, with sparse
    products; the arguments and results are :func:`doc_topics`'s.

    Parameters
    ----------
    indptr, indices, data : ndarray
        The documents, CSR.
    beta_t : ndarray of shape (n_features, n_components)
        ``exp(E[log beta])``, transposed.
    gamma : ndarray of shape (n_samples, n_components)
        The start, overwritten with the fixed point.
    alpha : float
        The document-topic prior.
    max_iter : int
        Most sweeps per document.
    tol : float
        A document stops when the mean absolute change of its ``gamma`` is below this.
    eps : float
        Added to each word's normalizer.
    stats_t : ndarray of shape (n_features, n_components) or (0, n_components)
        Statistics to add to; no statistics when it has no rows.
    word_ll : ndarray of shape (n_samples,)
        Each document's ``sum_w n_w log norm_w`` (written with the statistics).
    """
    n, K = gamma.shape
    V = beta_t.shape[0]
    X = sparse.csr_matrix((np.asarray(data, dtype=np.float64), indices, indptr), shape=(n, V))
    etd = np.exp(dirichlet_expectation(gamma))
    active = np.arange(n)
    for _ in range(max_iter):
        if not len(active):
            break
        part = X[active]
        ratio = part.data / (_norms(part, etd[active], beta_t) + eps)
        weighted = sparse.csr_matrix((ratio, part.indices, part.indptr), shape=part.shape)
        new = etd[active] * (weighted @ beta_t) + alpha
        etd[active] = np.exp(dirichlet_expectation(new))
        change = np.abs(gamma[active] - new).sum(axis=1) / K
        gamma[active] = new
        active = active[~(change < tol)]
    if stats_t.shape[0]:
        norm = _norms(X, etd, beta_t) + eps
        weighted = sparse.csr_matrix((X.data / norm, X.indices, X.indptr), shape=X.shape)
        stats_t += weighted.T @ etd
        rows = np.repeat(np.arange(n), np.diff(X.indptr))
        word_ll[:] = np.bincount(rows, X.data * np.log(norm), minlength=n)


def _norms(X, etd, beta_t):
    # sum_k etd[d, k] beta_t[w, k] for each stored (d, w) of X.
    rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    return np.einsum("tk,tk->t", etd[rows], beta_t[X.indices])


def doc_topics(indptr, indices, data, beta_t, gamma, alpha, max_iter, tol, eps, stats_t,
               word_ll, compiled=True):
    """Run each document's variational updates to convergence (the E-step's hot loop).

    Parameters
    ----------
    indptr : ndarray of int of shape (n_samples + 1,)
        CSR row pointers of the documents.
    indices : ndarray of int of shape (nnz,)
        The words of each document.
    data : ndarray of shape (nnz,)
        Their counts.
    beta_t : ndarray of shape (n_features, n_components)
        ``exp(E[log beta])`` of the topics, transposed (C-contiguous).
    gamma : ndarray of shape (n_samples, n_components)
        Each document's starting Dirichlet parameters; overwritten with the fixed point.
    alpha : float
        The document-topic prior.
    max_iter : int
        Most sweeps per document.
    tol : float
        A document stops when the mean absolute change of its ``gamma`` is below this.
    eps : float
        Added to each word's normalizer (scikit-learn: the data type's machine epsilon).
    stats_t : ndarray of shape (n_features, n_components) or (0, n_components)
        ``sum_d sum_w n_dw exp(E[log theta_d]) / norm_dw`` is added here (multiply by
        ``B`` for the expected topic-word counts); with no rows, no statistics.
    word_ll : ndarray of shape (n_samples,)
        Written with the statistics: each document's ``sum_w n_w log norm_w``.
    compiled : bool, default=True
        False runs :func:`doc_topics_numpy`, as without numba.
    """
    run = _doc_topics if compiled and HAVE_NUMBA else doc_topics_numpy
    run(indptr, indices, data, beta_t, gamma, float(alpha), int(max_iter), float(tol),
        float(eps), stats_t, word_ll)


@kernel
def _word_bound(indptr, indices, data, log_theta, log_beta_t, out):
    # out[d] = sum_w n_dw logsumexp_k(log_theta[d, k] + log_beta_t[w, k]), the largest
    # term taken out of the sum as scipy's logsumexp does.
    n, K = log_theta.shape
    for d in range(n):
        total = 0.0
        for j in range(indptr[d], indptr[d + 1]):
            w = indices[j]
            top = -np.inf
            for k in range(K):
                v = log_theta[d, k] + log_beta_t[w, k]
                if v > top:
                    top = v
            if top == -np.inf:
                total += data[j] * top
                continue
            ties = 0
            rest = 0.0
            for k in range(K):
                v = log_theta[d, k] + log_beta_t[w, k]
                if v == top:
                    ties += 1
                else:
                    rest += np.exp(v - top)
            total += data[j] * (np.log1p(rest / ties) + np.log(ties) + top)
        out[d] = total


def word_bound_numpy(indptr, indices, data, log_theta, log_beta_t, out):
    """:func:`word_bound`'s sums in numpy, over every stored count at once.

    Parameters
    ----------
    indptr, indices, data : ndarray
        The documents, CSR.
    log_theta : ndarray of shape (n_samples, n_components)
        ``E[log theta]`` of each document.
    log_beta_t : ndarray of shape (n_features, n_components)
        ``E[log beta]``, transposed.
    out : ndarray of shape (n_samples,)
        Written with each document's term.
    """
    from scipy.special import logsumexp

    n = len(indptr) - 1
    rows = np.repeat(np.arange(n), np.diff(indptr))
    terms = logsumexp(log_theta[rows] + log_beta_t[indices], axis=1)
    out[:] = np.bincount(rows, np.asarray(data, dtype=np.float64) * terms, minlength=n)


def word_bound(indptr, indices, data, log_theta, log_beta_t, compiled=True):
    """Each document's ``E[log p(words | theta, beta)]`` term of the variational bound.

    Parameters
    ----------
    indptr, indices, data : ndarray
        The documents, CSR.
    log_theta : ndarray of shape (n_samples, n_components)
        ``E[log theta]`` of each document.
    log_beta_t : ndarray of shape (n_features, n_components)
        ``E[log beta]`` of the topics, transposed (C-contiguous).
    compiled : bool, default=True
        False runs :func:`word_bound_numpy`, as without numba.

    Returns
    -------
    terms : ndarray of shape (n_samples,)
        ``sum_w n_dw log sum_k exp(E[log theta_dk] + E[log beta_kw])``.
    """
    out = np.empty(len(indptr) - 1)
    run = _word_bound if compiled and HAVE_NUMBA else word_bound_numpy
    run(indptr, indices, data, log_theta, log_beta_t, out)
    return out


def doc_dirichlet_bound(gamma, log_theta, alpha):
    """``E[log p(theta | alpha) - log q(theta | gamma)]``, summed over the documents.

    Parameters
    ----------
    gamma : ndarray of shape (n_samples, n_components)
        The documents' variational Dirichlet parameters.
    log_theta : ndarray of shape (n_samples, n_components)
        ``E[log theta]`` under ``gamma``.
    alpha : float
        The document-topic prior.

    Returns
    -------
    bound : float
    """
    n, K = gamma.shape
    score = np.sum((alpha - gamma) * log_theta)
    score += np.sum(gammaln(gamma) - gammaln(alpha))
    score += np.sum(gammaln(alpha * K) - gammaln(np.sum(gamma, axis=1)))
    return float(score)
