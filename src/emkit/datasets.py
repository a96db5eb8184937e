"""Built-in data sets used by emkit's examples and tests."""

import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.datasets import make_blobs
from sklearn.utils import check_random_state

__all__ = [
    "Corpus",
    "make_two_gaussians_1d",
    "load_three_coins",
    "load_exercise_9_3",
    "load_reuters",
    "make_blobs_2d",
    "make_lda_corpus",
    "make_two_level_image",
]


def _check_n_samples(n_samples):
    if not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")


def make_two_gaussians_1d(
    n_samples=1000,
    *,
    weights=(0.3, 0.7),
    means=(-2.0, 0.5),
    stds=(0.5, 1.0),
    random_state=0,
):
    """Draw samples from a one-dimensional Gaussian mixture.

    The component of each sample is drawn with probabilities ``weights``,
    then its value from the normal distribution of that component. The
    defaults give the seed example: 30% from N(-2, 0.5^2), 70% from N(0.5, 1).

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples to draw.
    weights : sequence of float, default=(0.3, 0.7)
        Mixing weights of the components; must sum to 1.
    means : sequence of float, default=(-2.0, 0.5)
        Mean of each component.
    stds : sequence of float, default=(0.5, 1.0)
        Standard deviation of each component; must be positive.
    random_state : int, RandomState instance or None, default=0
        Seed or generator controlling the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, 1)
        The samples, as float64.
    y : ndarray of shape (n_samples,)
        The true component label of each sample.

    Raises
    ------
    ValueError
        If ``n_samples < 1``, the weights do not sum to 1 or contain a
        negative value, the lengths of ``weights``, ``means`` and ``stds``
        differ, or a standard deviation is not positive.
    """
    _check_n_samples(n_samples)
    weights = np.asarray(weights, dtype=float)
    means = np.asarray(means, dtype=float)
    stds = np.asarray(stds, dtype=float)
    if not (weights.ndim == means.ndim == stds.ndim == 1):
        raise ValueError("weights, means and stds must be one-dimensional sequences.")
    if not (len(weights) == len(means) == len(stds)) or len(weights) == 0:
        raise ValueError(
            "weights, means and stds must have the same non-zero length, got "
            f"{len(weights)}, {len(means)} and {len(stds)}."
        )
    if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0):
        raise ValueError(
            f"weights must be non-negative and sum to 1, got sum {weights.sum():g}."
        )
    if np.any(stds <= 0):
        raise ValueError(f"stds must all be positive, got {stds.tolist()}.")
    rng = check_random_state(random_state)
    y = rng.choice(len(weights), size=n_samples, p=weights / weights.sum())
    X = rng.normal(means[y], stds[y]).reshape(-1, 1)
    return X, y


def load_three_coins():
    """Load Li Hang's three-coin observations.

    Ten tosses (1 = heads, 0 = tails) from the three-coin model of
    Li Hang, *Statistical Learning Methods*, chapter 9.

    Returns
    -------
    X : ndarray of shape (10, 1)
        The observations 1, 1, 0, 1, 0, 0, 1, 0, 1, 1, as integers.
    """
    return np.array([1, 1, 0, 1, 0, 0, 1, 0, 1, 1], dtype=int).reshape(-1, 1)


def load_exercise_9_3():
    """Load the data of Li Hang's exercise 9.3.

    Fifteen one-dimensional observations to be fitted with a two-component
    Gaussian mixture.

    Returns
    -------
    X : ndarray of shape (15, 1)
        The observations, as float64.
    """
    values = [-67, -48, 6, 8, 14, 16, 23, 24, 28, 29, 41, 49, 56, 60, 75]
    return np.array(values, dtype=np.float64).reshape(-1, 1)


def make_blobs_2d(n_samples=600, *, n_centers=3, cluster_std=1.0, random_state=0):
    """Generate anisotropic two-dimensional clusters.

    Isotropic blobs from :func:`sklearn.datasets.make_blobs`, centred evenly on
    a circle of radius ``5 * cluster_std`` (wider for more than three centers)
    with a random phase, are sheared by a fixed linear map, so that the clusters are elongated and tilted: a
    full-covariance Gaussian mixture separates them better than k-means.

    Parameters
    ----------
    n_samples : int, default=600
        Total number of samples, split evenly between the clusters.
    n_centers : int, default=3
        Number of clusters.
    cluster_std : float, default=1.0
        Standard deviation of each cluster before the shear; must be positive.
    random_state : int, RandomState instance or None, default=0
        Seed or generator controlling the draw.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
        The samples, as float64.
    y : ndarray of shape (n_samples,)
        The cluster label of each sample.

    Raises
    ------
    ValueError
        If ``n_samples < 1``, ``n_centers < 1`` or ``cluster_std <= 0``.
    """
    _check_n_samples(n_samples)
    if not isinstance(n_centers, (int, np.integer)) or n_centers < 1:
        raise ValueError(f"n_centers must be a positive integer, got {n_centers!r}.")
    if not cluster_std > 0:
        raise ValueError(f"cluster_std must be positive, got {cluster_std!r}.")
    rng = check_random_state(random_state)
    # Centers evenly spaced on a circle with a random phase, far enough apart
    # that the sheared clusters stay separable.
    radius = 5.0 * cluster_std * max(1.0, n_centers / 3)
    angles = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(n_centers) / n_centers
    centers = radius * np.column_stack([np.cos(angles), np.sin(angles)])
    X, y = make_blobs(
        n_samples=n_samples, centers=centers, cluster_std=cluster_std, random_state=rng
    )
    shear = np.array([[0.6, -0.64], [-0.41, 0.85]])
    return X @ shear, y


def make_two_level_image(size=100, levels=(0.25, 0.75), noise=0.1, random_state=0):
    """Generate a noisy two-level grey image: a bright disc on a dark background.

    The clean image is ``levels[0]`` everywhere except a centred disc of radius
    ``0.3 * size`` at ``levels[1]``; the noisy image adds independent Gaussian noise of
    standard deviation ``noise`` to every pixel. It is the seed example of
    :func:`emkit.image.segment_image`.

    Parameters
    ----------
    size : int, default=100
        Height and width of the image in pixels; at least 2.
    levels : sequence of two float, default=(0.25, 0.75)
        Grey level of the background and of the disc.
    noise : float, default=0.1
        Standard deviation of the noise; must be non-negative.
    random_state : int, RandomState instance or None, default=0
        Seed or generator controlling the noise.

    Returns
    -------
    noisy : ndarray of shape (size, size)
        The clean image plus noise, as float64.
    clean : ndarray of shape (size, size)
        The two-level image, as float64.

    Raises
    ------
    ValueError
        If ``size < 2``, ``levels`` is not two finite numbers or ``noise < 0``.
    """
    if not isinstance(size, (int, np.integer)) or size < 2:
        raise ValueError(f"size must be an integer of at least 2, got {size!r}.")
    levels = np.asarray(levels, dtype=float)
    if levels.shape != (2,) or not np.all(np.isfinite(levels)):
        raise ValueError(f"levels must be two finite numbers, got {levels.tolist()!r}.")
    if not isinstance(noise, (int, float, np.integer, np.floating)) or not noise >= 0:
        raise ValueError(f"noise must be non-negative, got {noise!r}.")
    rng = check_random_state(random_state)
    centre = (size - 1) / 2
    rows, cols = np.mgrid[:size, :size]
    disc = (rows - centre) ** 2 + (cols - centre) ** 2 <= (0.3 * size) ** 2
    clean = np.where(disc, levels[1], levels[0])
    noisy = clean + rng.normal(0.0, noise, size=clean.shape)
    return noisy, clean


@dataclass(frozen=True)
class Corpus:
    """A document-term count matrix with its words and document titles.

    Parameters
    ----------
    counts : scipy.sparse.csr_matrix of shape (n_documents, n_words)
        How often each word occurs in each document.
    vocabulary : ndarray of str of shape (n_words,)
        The word of each column.
    titles : ndarray of str of shape (n_documents,)
        The title of each document.
    """

    counts: sparse.csr_matrix
    vocabulary: np.ndarray
    titles: np.ndarray


def load_reuters():
    """Load 395 Reuters news stories of August 1996 as word counts (a real corpus).

    The corpus is the one the ``lda`` package ships with its tests (the ``text`` extra
    installs it), read from its files without a download: 395 documents over a
    vocabulary of 4,258 words (stop words removed), about 84,000 tokens. Stories about
    Mother Teresa, Princess Diana and the Pope dominate it, so a topic model finds them.

    Returns
    -------
    corpus : Corpus
        ``counts`` (395 x 4258, CSR), ``vocabulary`` and ``titles``.

    Raises
    ------
    ModuleNotFoundError
        If the ``lda`` package is not installed (``pip install "emkit[text]"``).
    """
    spec = importlib.util.find_spec("lda")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_reuters reads the corpus the lda package ships; install it with "
            "pip install \"emkit[text]\" (or pip install lda).", name="lda")
    folder = Path(list(spec.submodule_search_locations)[0]) / "tests"
    vocabulary = np.array((folder / "reuters.tokens").read_text().split())
    titles = np.array([line.strip() for line in
                       (folder / "reuters.titles").read_text().splitlines()])
    counts = _read_ldac((folder / "reuters.ldac").read_text(), len(vocabulary))
    return Corpus(counts, vocabulary, titles)


def _read_ldac(text, n_words):
    # LDA-C format: "n_unique word:count word:count ..." per document.
    indptr, indices, data = [0], [], []
    for line in text.splitlines():
        pairs = [item.split(":") for item in line.split()[1:]]
        indices.extend(int(word) for word, _ in pairs)
        data.extend(float(count) for _, count in pairs)
        indptr.append(len(indices))
    return sparse.csr_matrix((np.array(data), np.array(indices, dtype=np.int64),
                              np.array(indptr, dtype=np.int64)),
                             shape=(len(indptr) - 1, n_words))


def make_lda_corpus(n_documents=1000, n_words=500, n_topics=10, *, doc_length=100,
                    doc_topic_prior=None, topic_word_prior=0.05, random_state=0):
    """Draw a corpus from latent Dirichlet allocation's generative model, with its truth.

    Each topic is a Dirichlet(``topic_word_prior``) draw over the words; each document
    draws its topic proportions from a Dirichlet(``doc_topic_prior``), its length from a
    Poisson of mean ``doc_length`` (at least 1), then each word's topic and the word.

    Parameters
    ----------
    n_documents : int, default=1000
        Number of documents.
    n_words : int, default=500
        Size of the vocabulary.
    n_topics : int, default=10
        Number of topics.
    doc_length : float, default=100
        Mean number of tokens per document.
    doc_topic_prior : float, default=None
        Concentration of the topic proportions; None is ``1 / n_topics``.
    topic_word_prior : float, default=0.05
        Concentration of each topic's word distribution (small: topics with few words).
    random_state : int, RandomState instance or None, default=0
        Seed of the draws.

    Returns
    -------
    counts : scipy.sparse.csr_matrix of shape (n_documents, n_words)
        Word counts per document.
    topic_word : ndarray of shape (n_topics, n_words)
        The true topics (rows sum to one).
    doc_topic : ndarray of shape (n_documents, n_topics)
        The true topic proportions of each document.
    """
    for name, value in (("n_documents", n_documents), ("n_words", n_words),
                        ("n_topics", n_topics)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    rng = check_random_state(random_state)
    alpha = 1.0 / n_topics if doc_topic_prior is None else doc_topic_prior
    topic_word = rng.dirichlet(np.full(n_words, topic_word_prior), n_topics)
    doc_topic = rng.dirichlet(np.full(n_topics, alpha), n_documents)
    lengths = np.maximum(rng.poisson(doc_length, n_documents), 1)
    columns, values, indptr = [], [], [0]
    for proportions, length in zip(doc_topic, lengths):
        per_topic = rng.multinomial(length, proportions)
        row = np.zeros(n_words)
        for topic in np.flatnonzero(per_topic):
            row += rng.multinomial(per_topic[topic], topic_word[topic])
        words = np.flatnonzero(row)
        columns.append(words)
        values.append(row[words])
        indptr.append(indptr[-1] + len(words))
    counts = sparse.csr_matrix((np.concatenate(values), np.concatenate(columns), indptr),
                               shape=(n_documents, n_words))
    return counts, topic_word, doc_topic
