"""The demo's sections beyond independent rows of complete data: missing values, regimes
of a series, topics of documents, images with neighbours, and a fit on Dask blocks."""

import warnings

import numpy as np
from sklearn.datasets import load_iris

from emkit.datasets import load_reuters, make_blobs_2d, make_two_level_image
from emkit.demo._section import Section, figure_grid
from emkit.estimators import GaussianHMM, GaussianMixture, LatentDirichletAllocation
from emkit.image import segment_image

__all__ = ["dask_fit", "missing_values", "regimes", "spatial_segmentation", "topics"]


def missing_values():
    """Fill a quarter of the iris measurements back in: EM against the column means.

    Returns
    -------
    section : Section
    """
    X = load_iris().data
    rng = np.random.default_rng(0)
    hidden = rng.random(X.shape) < 0.25
    hidden[hidden.all(axis=1), 0] = False  # every flower keeps one measurement
    holed = np.where(hidden, np.nan, X)
    model = GaussianMixture(3, n_init=3, random_state=0).fit(holed)
    em = model.impute(holed)[hidden]
    means = np.broadcast_to(np.nanmean(holed, axis=0), X.shape)[hidden]
    truth = X[hidden]
    errors = {"EM (GaussianMixture.impute)": np.sqrt(np.mean((em - truth) ** 2)),
              "column means": np.sqrt(np.mean((means - truth) ** 2))}
    lines = [f"  {hidden.sum()} of {X.size} iris measurements hidden at random"]
    lines += [f"  RMS error of {name}: {error:.3f} cm" for name, error in errors.items()]

    def draw():
        figure, (ax,) = figure_grid(1, "Missing values: filled in against the truth", width=5.5)
        ax.scatter(truth, means, s=10, color="0.6", label="column means")
        ax.scatter(truth, em, s=10, color="C0", label="EM (3 Gaussians)")
        ax.plot([0, 8], [0, 8], color="black", linewidth=0.8)
        ax.set_xlabel("hidden value (cm)")
        ax.set_ylabel("filled-in value (cm)")
        ax.legend()
        return figure

    return Section("Missing values: EM against mean imputation (iris, 25% hidden)", lines,
                   {"missing_values.png": draw})


def regimes():
    """Find the calm and the volatile regime of simulated daily returns with an HMM.

    Returns
    -------
    section : Section
    """
    rng = np.random.default_rng(1)
    n, stay = 1000, np.array([0.98, 0.95])
    state = np.zeros(n, dtype=int)
    for t in range(1, n):
        state[t] = state[t - 1] if rng.random() < stay[state[t - 1]] else 1 - state[t - 1]
    returns = rng.normal(0.0005, np.where(state == 0, 0.007, 0.02))[:, None]
    model = GaussianHMM(2, n_iter=200, tol=1e-6, random_state=0).fit(returns)
    volatile = int(np.argmax(model.covars_[:, 0, 0]))
    decoded = (model.predict(returns) == volatile).astype(int)
    accuracy = np.mean(decoded == state)
    sds = np.sqrt(model.covars_[:, 0, 0]) * 100
    lines = [f"  GaussianHMM(2) on {n} daily returns: daily sd {sds[1 - volatile]:.2f}% calm, "
             f"{sds[volatile]:.2f}% volatile; stays {np.diag(model.transmat_).round(3)}",
             f"  decoded regime right on {accuracy:.1%} of the days"]

    def draw():
        figure, (ax,) = figure_grid(1, "Regimes of daily returns, decoded by a Gaussian HMM",
                                    width=9.0)
        days = np.arange(n)
        for regime, colour, name in ((0, "C0", "calm"), (1, "C3", "volatile")):
            mask = decoded == regime
            ax.scatter(days[mask], 100 * returns[mask, 0], s=5, color=colour,
                       label=f"decoded {name}")
        ax.fill_between(days, -8, 8, where=state == 1, color="C3", alpha=0.1,
                        label="truly volatile")
        ax.set_ylim(-8, 8)
        ax.set_xlabel("day")
        ax.set_ylabel("return (%)")
        ax.legend(loc="lower left", fontsize="small")
        return figure

    return Section("A hidden Markov model: calm and volatile regimes", lines,
                   {"regimes.png": draw})


def topics():
    """Topics of 395 Reuters stories (the ``text`` extra's corpus).

    Returns
    -------
    section : Section
    """
    try:
        corpus = load_reuters()
    except ModuleNotFoundError:
        return Section("Topic models", ["  (install emkit[text] for the Reuters corpus)"])
    model = _topic_model()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(corpus.counts)
    from emkit.plotting.topics import top_words
    words = top_words(model, corpus.vocabulary, 6)
    lines = [f"  {type(model).__name__}(8) on {corpus.counts.shape[0]} stories, "
             f"{corpus.counts.shape[1]} words:"]
    lines += [f"  topic {k}: {' '.join(row)}" for k, row in enumerate(words)]

    def draw():
        from emkit.plotting import plot_topics
        figure = plot_topics(model, corpus.vocabulary, n_words=6)
        figure.suptitle(f"Reuters stories: top words of {type(model).__name__}'s topics")
        return figure

    return Section("Topic models: the Reuters stories of August 1996", lines,
                   {"topics.png": draw})


def _topic_model():
    # Latent Dirichlet allocation, scikit-learn's batch variational Bayes on the engine.
    return LatentDirichletAllocation(8, learning_method="batch", max_iter=20, random_state=0)


def spatial_segmentation():
    """Segment a noisy two-level image with independent pixels and with a Potts prior.

    Returns
    -------
    section : Section
    """
    noisy, clean = make_two_level_image(100, noise=0.3, random_state=0)
    truth = (clean > clean.min()).astype(int)
    independent = segment_image(noisy, 2, random_state=0)
    spatial = segment_image(noisy, 2, random_state=0, spatial_beta=1.0)
    errors = [np.mean(fit.labels != truth) for fit in (independent, spatial)]
    noisy_error = np.sqrt(np.mean((noisy - clean) ** 2))
    denoised_error = np.sqrt(np.mean((spatial.denoised - clean) ** 2))
    lines = [f"  pixels mislabelled: independent {errors[0]:.2%}, Potts prior (beta=1) "
             f"{errors[1]:.2%}",
             f"  RMS pixel error: noisy {noisy_error:.4f}, denoised {denoised_error:.4f}"]

    def draw():
        figure, axes = figure_grid(4, "Segmentation: independent pixels against a Potts prior",
                                   width=3.2, height=3.6)
        panels = [(noisy, "noisy image", "gray"),
                  (independent.labels, f"independent ({errors[0]:.1%} wrong)", "viridis"),
                  (spatial.labels, f"Potts, beta=1 ({errors[1]:.1%} wrong)", "viridis"),
                  (spatial.denoised, "denoised (Potts)", "gray")]
        for ax, (image, title, cmap) in zip(axes, panels):
            ax.imshow(image, cmap=cmap, interpolation="nearest")
            ax.set_title(title, fontsize="medium")
            ax.set_xlabel("column")
            ax.set_ylabel("row")
        return figure

    return Section("Images: segmentation with a spatial prior (100x100, noise sd 0.3)", lines,
                   {"image_segmentation.png": draw})


def dask_fit():
    """The same fit in memory and on Dask blocks, from the same start.

    Returns
    -------
    section : Section
    """
    try:
        import dask.array as da
    except ImportError:
        return Section("Beyond one machine: Dask", ["  (install emkit[dask] for this part)"])
    X, _ = make_blobs_2d(20000, random_state=1)
    start = GaussianMixture(3, random_state=0, max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start.fit(X[:2000])
    given = dict(weights_init=start.weights_, means_init=start.means_,
                 precisions_init=start.precisions_, tol=1e-8, max_iter=300)
    memory = GaussianMixture(3, **given).fit(X)
    blocks = GaussianMixture(3, **given).fit(da.from_array(X, chunks=(2500, 2)))
    difference = np.max(np.abs(memory.means_ - blocks.means_))
    lines = [f"  20,000 rows in 8 Dask blocks: {blocks.n_iter_} iterations "
             f"({memory.n_iter_} in memory), largest difference of the means {difference:.1e}"]

    def draw():
        figure, (ax,) = figure_grid(1, "The same fit in memory and on 8 Dask blocks", width=6.0)
        ax.plot(memory.lower_bounds_, linewidth=4, alpha=0.4, label="in memory")
        ax.plot(blocks.lower_bounds_, linestyle="--", color="black", label="Dask blocks")
        ax.set_xlabel("iteration")
        ax.set_ylabel("log-likelihood per sample")
        ax.legend()
        return figure

    return Section("Beyond one machine: a fit on a Dask array", lines, {"dask_fit.png": draw})
