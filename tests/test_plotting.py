"""emkit.plotting: each figure saves as a PNG and draws exactly the fitted model's numbers.

Oracles: the estimators' own attributes and scipy densities, closed-form eigen-decompositions
of 2x2 covariances, and a principal-axis projection computed here with ``eigh``.
"""

import ast
import sys
import types
from pathlib import Path

import numpy as np
from numpy.testing import assert_array_equal
import pytest
from conftest import blobs
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Ellipse
from scipy import stats
from sklearn.mixture import GaussianMixture as SklearnGaussianMixture
from test_docstrings import _problems

from emkit import (BernoulliMixture, GaussianHMM, GaussianMixture, MixtureModel, PoissonHMM,
                   PoissonMixture)
from emkit import plotting
from emkit.exceptions import NotFittedError
from emkit.families import (Exponential, Gamma, GaussianDiag, GaussianFull, GaussianSpherical,
                            GaussianTied)
from emkit.plotting import (plot_clusters_2d, plot_criterion, plot_density_1d, plot_image,
                            plot_log_likelihood)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(figure, tmp_path, name="plot.png"):
    assert isinstance(figure, Figure)
    path = tmp_path / name
    figure.savefig(path, dpi=40)
    assert path.read_bytes()[:8] == PNG_MAGIC


def closed_form_ellipse(cov, n_std):
    # Eigenvalues and leading direction of [[a, b], [b, c]] in closed form.
    a, b, c = cov[0, 0], cov[0, 1], cov[1, 1]
    mid, radius = (a + c) / 2, np.hypot((a - c) / 2, b)
    angle = np.degrees(0.5 * np.arctan2(2 * b, a - c))
    return 2 * n_std * np.sqrt(mid + radius), 2 * n_std * np.sqrt(mid - radius), angle


def assert_ellipse(patch, centre, cov, n_std):
    width, height, angle = closed_form_ellipse(cov, n_std)
    np.testing.assert_allclose(patch.center, centre, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose([patch.width, patch.height], [width, height], rtol=1e-8)
    if not np.isclose(width, height, rtol=1e-6):  # a circle has no direction
        difference = (patch.angle - angle + 90.0) % 180.0 - 90.0
        assert abs(difference) < 1e-6


def two_clusters_1d(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return np.r_[rng.normal(-2, 0.6, n // 2), rng.normal(1.5, 1.0, n - n // 2)][:, None]


# -- plot_log_likelihood ------------------------------------------------------------------
def test_history_of_a_mixture_draws_every_start_and_highlights_the_kept_one(tmp_path):
    X = blobs(n=200, d=2, k=3, seed=1)[0]
    model = GaussianMixture(3, n_init=3, init_params="random", random_state=5).fit(X)
    figure = plot_log_likelihood(model)
    lines = figure.axes[0].lines
    assert len(lines) == 3
    for line, history in zip(lines, model.lower_bounds_per_init_):
        np.testing.assert_array_equal(line.get_ydata(), history)
        np.testing.assert_array_equal(line.get_xdata(), np.arange(1, len(history) + 1))
    widths = [line.get_linewidth() for line in lines]
    kept = int(np.argmax(widths))
    assert sorted(widths)[-2] < widths[kept]
    np.testing.assert_array_equal(lines[kept].get_ydata(), model.lower_bounds_)
    finals = [h[-1] for h in model.lower_bounds_per_init_]
    assert lines[kept].get_ydata()[-1] == max(finals)
    assert kept == 2  # not simply the first start: this seed's best is its third
    assert figure.axes[0].get_ylabel() == "log-likelihood per sample"
    assert_png(figure, tmp_path)


def test_history_of_an_hmm_uses_its_per_start_totals(tmp_path):
    X = blobs(n=200, d=2, k=2, seed=2)[0]
    model = GaussianHMM(2, n_iter=8, n_init=3, random_state=0).fit(X)
    figure = plot_log_likelihood(model)
    lines = figure.axes[0].lines
    for line, history in zip(lines, model.history_per_init_, strict=True):
        np.testing.assert_array_equal(line.get_ydata(), history)
    kept = int(np.argmax([line.get_linewidth() for line in lines]))
    np.testing.assert_array_equal(lines[kept].get_ydata(), list(model.monitor_.history))
    assert_png(figure, tmp_path)


def test_history_of_plain_arrays_highlights_the_highest_end(tmp_path):
    histories = [np.array([-5.0, -3.0, -2.5]), np.array([-4.0, -1.0]), [-6.0, -2.0, -1.5]]
    figure, ax = Figure(), None
    ax = figure.add_subplot()
    assert plot_log_likelihood(histories, ax=ax) is figure
    assert [list(line.get_ydata()) for line in ax.lines] == [[-5.0, -3.0, -2.5],
                                                              [-4.0, -1.0],
                                                              [-6.0, -2.0, -1.5]]
    assert np.argmax([line.get_linewidth() for line in ax.lines]) == 1
    assert ax.lines[1].get_label() == "kept start (1)"
    one = plot_log_likelihood([-3.0, -2.0, -1.9])
    assert list(one.axes[0].lines[0].get_ydata()) == [-3.0, -2.0, -1.9]
    assert_png(figure, tmp_path)


def test_history_refuses_bad_input():
    with pytest.raises(NotFittedError, match="call fit before"):
        plot_log_likelihood(GaussianMixture(2))
    with pytest.raises(ValueError, match="no histories to plot"):
        plot_log_likelihood([])
    with pytest.raises(ValueError, match="History 1 has shape"):
        plot_log_likelihood([[1.0, 2.0], [[1.0], [2.0]]])
    with pytest.raises(TypeError, match="fitted emkit estimator or a list"):
        plot_log_likelihood("loglik")
    with pytest.raises(TypeError, match="must be a matplotlib Axes"):
        plot_log_likelihood([[1.0, 2.0]], ax="left")


# -- plot_density_1d ----------------------------------------------------------------------
def test_density_lines_are_the_mixture_and_its_weighted_components(tmp_path):
    X = two_clusters_1d()
    model = GaussianMixture(2, random_state=0).fit(X)
    figure = plot_density_1d(model, X, bins=30)
    ax = figure.axes[0]
    total, *components = ax.lines
    grid = total.get_xdata()
    assert grid.min() < X.min() and grid.max() > X.max()
    np.testing.assert_allclose(total.get_ydata(), np.exp(model.score_samples(grid[:, None])),
                               rtol=1e-12)
    np.testing.assert_allclose(sum(line.get_ydata() for line in components),
                               total.get_ydata(), rtol=1e-10)
    sd = np.sqrt(model.covariances_[:, 0, 0])
    for k, line in enumerate(components):  # w_k N(x; mu_k, s_k^2), from scipy
        expected = model.weights_[k] * stats.norm.pdf(grid, model.means_[k, 0], sd[k])
        np.testing.assert_allclose(line.get_ydata(), expected, rtol=1e-8, atol=1e-300)
    bars = ax.patches
    assert len(bars) == 30
    assert np.isclose(sum(bar.get_height() * bar.get_width() for bar in bars), 1.0)
    assert_png(figure, tmp_path)


def test_density_of_counts_uses_the_integers(tmp_path):
    rng = np.random.default_rng(3)
    X = np.r_[rng.poisson(1.5, 120), rng.poisson(7.0, 80)][:, None].astype(float)
    model = PoissonMixture(2, random_state=0).fit(X)
    figure = plot_density_1d(model, X[:, 0])
    total, *components = figure.axes[0].lines
    grid = total.get_xdata()
    np.testing.assert_array_equal(grid, np.arange(X.min(), X.max() + 1))
    rates = model.means_[:, 0]
    for k, line in enumerate(components):
        np.testing.assert_allclose(line.get_ydata(),
                                   model.weights_[k] * stats.poisson.pmf(grid, rates[k]),
                                   rtol=1e-9)
    np.testing.assert_allclose(total.get_ydata(), sum(line.get_ydata() for line in components))
    heights = [bar.get_height() for bar in figure.axes[0].patches]
    frequencies = [np.mean(X[:, 0] == value) for value in grid]
    np.testing.assert_allclose(heights, frequencies)
    assert_png(figure, tmp_path)


def test_density_refuses_bad_input():
    X = two_clusters_1d(60)
    model = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="draws one feature, but X has shape"):
        plot_density_1d(model, np.c_[X, X])
    with pytest.raises(ValueError, match="X holds infinite values"):
        plot_density_1d(model, np.r_[X[:, 0], np.inf])
    with pytest.raises(ValueError, match="no samples without NaN"):
        plot_density_1d(model, np.full(3, np.nan))
    with pytest.raises(NotFittedError, match="call fit before plot_density_1d"):
        plot_density_1d(GaussianMixture(2), X)
    with pytest.raises(ValueError, match="bins must be a positive"):
        plot_density_1d(model, X, bins=0)
    wide = GaussianMixture(2, random_state=0).fit(np.c_[X, X[::-1]])
    with pytest.raises(ValueError, match="fitted on one feature"):
        plot_density_1d(wide, X)
    hmm = PoissonHMM(2, n_iter=3, random_state=0).fit(np.round(np.abs(X)))
    with pytest.raises(TypeError, match="needs a mixture estimator"):
        plot_density_1d(hmm, np.round(np.abs(X)))

@pytest.mark.parametrize("family, density", [
    (Gamma(shape=[[2.0], [9.0]], rate=[[1.0], [1.0]]),
     lambda x, f, k: stats.gamma.pdf(x, f.shape[k, 0], scale=1 / f.rate[k, 0])),
    (Exponential(rate=[[1.0], [4.0]]),
     lambda x, f, k: stats.expon.pdf(x, scale=1 / f.rate[k, 0])),
])
def test_density_of_a_positive_family_stays_on_its_support(family, density, tmp_path):
    rng = np.random.default_rng(11)
    X = np.r_[rng.gamma(2.0, 1.0, 150), rng.gamma(9.0, 1.0, 150)][:, None]
    model = MixtureModel(family, max_iter=20).fit(X)
    figure = plot_density_1d(model, X)
    total, *components = figure.axes[0].lines
    grid = total.get_xdata()
    # Gamma's support leaves 0 out; Exponential's starts there.
    first = 0 < grid[0] if isinstance(family, Gamma) else grid[0] == 0
    assert first and grid[0] < X.min() and grid[-1] > X.max()
    assert len(grid) == (399 if isinstance(family, Gamma) else 400)
    fitted = model.components_
    for k, line in enumerate(components):
        np.testing.assert_allclose(line.get_ydata(),
                                   model.weights_[k] * density(grid, fitted, k), rtol=1e-9)
    assert_png(figure, tmp_path)


def test_density_leaves_out_missing_values():
    X = two_clusters_1d(80)
    model = GaussianMixture(2, random_state=0).fit(X)
    with_nan = np.r_[X[:, 0], np.nan, np.nan]
    heights = [bar.get_height() for bar in plot_density_1d(model, with_nan, bins=8).axes[0].patches]
    expected, _ = np.histogram(X[:, 0], bins=8, density=True)
    np.testing.assert_allclose(heights, expected)


def test_density_of_a_model_fitted_on_a_data_frame_warns_nothing(recwarn):
    import pandas
    frame = pandas.DataFrame({"length": two_clusters_1d(80)[:, 0]})
    model = GaussianMixture(2, random_state=0).fit(frame)
    figure = plot_density_1d(model, frame)
    grid = figure.axes[0].lines[0].get_xdata()
    np.testing.assert_allclose(figure.axes[0].lines[0].get_ydata(),
                               np.exp(model.score_samples(pandas.DataFrame({"length": grid}))))
    assert [str(w.message) for w in recwarn] == []


# -- plot_clusters_2d ---------------------------------------------------------------------
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_cluster_ellipses_come_from_each_covariance(covariance_type, tmp_path):
    X = blobs(n=200, d=2, k=3, seed=4)[0]
    model = GaussianMixture(3, covariance_type=covariance_type, random_state=0).fit(X)
    figure = plot_clusters_2d(model, X, n_std=1.5)
    ax = figure.axes[0]
    data, means = ax.collections
    np.testing.assert_array_equal(data.get_offsets(), X)
    np.testing.assert_array_equal(data.get_array(), model.predict(X))
    np.testing.assert_allclose(means.get_offsets(), model.means_)
    stored = model.covariances_
    expected = {"full": lambda k: stored[k], "tied": lambda k: stored,
                "diag": lambda k: np.diag(stored[k]),
                "spherical": lambda k: stored[k] * np.eye(2)}[covariance_type]
    ellipses = [p for p in ax.patches if isinstance(p, Ellipse)]
    assert len(ellipses) == 3
    for k, patch in enumerate(ellipses):
        assert_ellipse(patch, model.means_[k], expected(k), n_std=1.5)
    assert_png(figure, tmp_path)
    # Each ellipse has the colour of the points of its component.
    labels = model.predict(X)
    for k, patch in enumerate(ellipses):
        point = np.flatnonzero(labels == k)[0]
        np.testing.assert_allclose(patch.get_edgecolor()[:3], data.get_facecolors()[point][:3])


@pytest.mark.parametrize("sign", [1.0, -1.0])  # the SVD's own signs differ between these
def test_wide_data_is_seen_through_its_principal_axes(sign, tmp_path):
    X = sign * blobs(n=200, d=3, k=3, seed=5)[0]
    model = GaussianMixture(3, random_state=0).fit(X)
    figure = plot_clusters_2d(model, X)
    ax = figure.axes[0]
    # Direct computation: leading eigenvectors of the sample covariance, largest loading > 0.
    values, vectors = np.linalg.eigh(np.cov(X.T))
    A = vectors[:, ::-1][:, :2].T
    A *= np.sign(A[np.arange(2), np.abs(A).argmax(axis=1)])[:, None]
    c = X.mean(axis=0)
    data, means = ax.collections
    np.testing.assert_allclose(data.get_offsets(), (X - c) @ A.T, atol=1e-10)
    np.testing.assert_allclose(means.get_offsets(), (model.means_ - c) @ A.T, atol=1e-10)
    for k, patch in enumerate(ax.patches):
        assert_ellipse(patch, A @ (model.means_[k] - c), A @ model.covariances_[k] @ A.T, 2.0)
    share = values[::-1] / values.sum()
    assert ax.get_xlabel() == f"principal axis 1 ({100 * share[0]:.0f}% of variance)"
    assert ax.get_ylabel() == f"principal axis 2 ({100 * share[1]:.0f}% of variance)"
    assert_png(figure, tmp_path)


def test_hmm_ellipses_use_its_full_covars(tmp_path):
    X = blobs(n=200, d=2, k=2, seed=6)[0]
    model = GaussianHMM(2, covariance_type="full", n_iter=10, random_state=0).fit(X)
    figure, ax = Figure(), None
    ax = figure.add_subplot()
    assert plot_clusters_2d(model, X, ax=ax) is figure
    np.testing.assert_array_equal(ax.collections[0].get_array(), model.predict(X))
    assert len(ax.patches) == 2
    for k, patch in enumerate(ax.patches):
        assert_ellipse(patch, model.means_[k], model.covars_[k], 2.0)
    assert_png(figure, tmp_path)


def test_models_without_covariances_get_points_and_means_only(tmp_path):
    rng = np.random.default_rng(7)
    X = (rng.random((200, 4)) < np.where(np.arange(200)[:, None] < 100, 0.85, 0.15))
    X = X.astype(float)
    model = BernoulliMixture(2, random_state=0).fit(X)
    figure = plot_clusters_2d(model, X)
    ax = figure.axes[0]
    assert len(ax.patches) == 0
    np.testing.assert_array_equal(ax.collections[0].get_array(), model.predict(X))
    assert len(ax.collections[1].get_offsets()) == 2
    assert_png(figure, tmp_path)


def test_clusters_refuse_bad_input():
    X = blobs(n=60, d=2, k=2, seed=8)[0]
    model = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="at least two columns"):
        plot_clusters_2d(model, X[:, :1])
    with pytest.raises(ValueError, match="n_std must be a positive"):
        plot_clusters_2d(model, X, n_std=0)
    with pytest.raises(ValueError, match="X holds infinite values"):
        plot_clusters_2d(model, np.r_[X, [[np.inf, 0.0]]])
    with pytest.raises(ValueError, match="at least two samples without NaN, got 1"):
        plot_clusters_2d(model, np.r_[X[:1], [[np.nan, 0.0]]])
    with pytest.raises(NotFittedError, match="GaussianMixture is not fitted yet; call fit before"):
        plot_clusters_2d(GaussianMixture(2), X)
    with pytest.raises(NotFittedError, match="GaussianHMM is not fitted yet; call fit before"):
        plot_clusters_2d(GaussianHMM(2), X)
    wide = np.c_[X, X[:, :1]]
    with pytest.raises(ValueError, match="X has 3 features, but this GaussianMixture was "
                                         "fitted on 2"):
        plot_clusters_2d(model, wide)
    with pytest.raises(ValueError, match="X has 2 features, but this GaussianHMM was fitted "
                                         "on 3"):
        plot_clusters_2d(GaussianHMM(2, n_iter=3, random_state=0).fit(wide), X)

@pytest.mark.parametrize("family_class, stored", [
    (GaussianFull, lambda cov: cov),
    (GaussianTied, lambda cov: cov.mean(axis=0)),
    (GaussianDiag, lambda cov: np.diagonal(cov, axis1=1, axis2=2)),
    (GaussianSpherical, lambda cov: np.diagonal(cov, axis1=1, axis2=2).mean(axis=1)),
])
def test_mixture_model_of_gaussians_gets_its_family_ellipses(family_class, stored, tmp_path):
    X = blobs(n=200, d=2, k=3, seed=12)[0]
    start = GaussianMixture(3, random_state=0).fit(X)
    model = MixtureModel(family_class(start.means_, stored(start.covariances_)),
                         max_iter=5).fit(X)
    figure = plot_clusters_2d(model, X)
    ax = figure.axes[0]
    family = model.components_
    np.testing.assert_allclose(ax.collections[1].get_offsets(), family.means)
    covariances = family.covariances  # expanded by hand to 2x2 matrices
    expected = {GaussianFull: lambda k: covariances[k], GaussianTied: lambda k: covariances,
                GaussianDiag: lambda k: np.diag(covariances[k]),
                GaussianSpherical: lambda k: covariances[k] * np.eye(2)}[family_class]
    assert len(ax.patches) == 3
    for k, patch in enumerate(ax.patches):
        assert_ellipse(patch, family.means[k], expected(k), 2.0)
    assert_png(figure, tmp_path)


def test_rows_with_nan_are_labelled_by_the_model_and_left_out_of_the_scatter(tmp_path):
    X = blobs(n=120, d=2, k=2, seed=13)[0]
    X[[3, 50]] = [[np.nan, 1.0], [np.nan, np.nan]]
    complete = ~np.isnan(X).any(axis=1)
    for model in (GaussianMixture(2, random_state=0).fit(X),
                  GaussianHMM(2, n_iter=5, random_state=0).fit(X)):
        figure = plot_clusters_2d(model, X)
        data = figure.axes[0].collections[0]
        np.testing.assert_array_equal(data.get_offsets(), X[complete])
        np.testing.assert_array_equal(data.get_array(), model.predict(X)[complete])
        assert_png(figure, tmp_path)
    # A model that refuses NaN (scikit-learn's) labels the complete rows alone.
    peer = SklearnGaussianMixture(2, random_state=0).fit(X[complete])
    data = plot_clusters_2d(peer, X).axes[0].collections[0]
    np.testing.assert_array_equal(data.get_array(), peer.predict(X[complete]))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_many_components_get_distinct_colours():
    X = blobs(n=400, d=2, k=20, seed=14)[0]
    model = GaussianMixture(20, random_state=0, max_iter=5).fit(X)
    colours = [tuple(patch.get_edgecolor()) for patch in plot_clusters_2d(model, X).axes[0].patches]
    assert len(colours) == 20 and len(set(colours)) == 20


# -- plot_criterion -----------------------------------------------------------------------
def selection_stand_in(criterion="bic", best=4):
    # Rows deliberately out of order; two covariance types.
    table = {
        "n_components": np.array([3, 1, 2, 2, 1, 3]),
        "covariance_type": np.array(["full", "full", "full", "diag", "diag", "diag"]),
        "log_likelihood": np.array([-1.0, -3.0, -2.0, -2.5, -3.5, -1.5]),
        "n_parameters": np.array([17, 5, 11, 9, 4, 14]),
        "bic": np.array([30.0, 12.0, 20.0, 18.0, 10.0, 25.0]),
        "aic": np.array([28.0, 11.0, 19.0, 17.0, 9.0, 22.0]),
        "icl": np.array([31.0, 12.0, 21.0, 19.0, 10.0, 26.0]),
        "converged": np.array([True] * 6),
    }
    return types.SimpleNamespace(table=table, criterion=criterion, best_index_=best)


@pytest.mark.parametrize("criterion", ["bic", "aic", "log_likelihood"])
def test_criterion_lines_follow_the_table(criterion, tmp_path):
    result = selection_stand_in(criterion)
    figure = plot_criterion(result)
    ax = figure.axes[0]
    *lines, best = ax.lines
    values = result.table[criterion]
    assert [line.get_label() for line in lines] == ["full", "diag"]
    np.testing.assert_array_equal(lines[0].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[0].get_ydata(), values[[1, 2, 0]])
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2, 3])
    np.testing.assert_array_equal(lines[1].get_ydata(), values[[4, 3, 5]])
    assert list(best.get_xdata()) == [1] and list(best.get_ydata()) == [values[4]]
    assert ax.get_ylabel() == {"bic": "BIC", "aic": "AIC"}.get(criterion, "log likelihood")
    assert_png(figure, tmp_path)


def test_criterion_refuses_bad_results():
    with pytest.raises(TypeError, match="lacks best_index_"):
        plot_criterion(types.SimpleNamespace(table={}, criterion="bic"))
    with pytest.raises(ValueError, match="no 'hqc' column"):
        plot_criterion(selection_stand_in("hqc"))
    with pytest.raises(ValueError, match=r"best_index_ must be a row of the table \(0 to 5\)"):
        plot_criterion(selection_stand_in(best=6))
    short = selection_stand_in()
    short.table["bic"] = short.table["bic"][:3]
    with pytest.raises(ValueError, match="columns differ in length"):
        plot_criterion(short)


def test_criterion_of_an_estimator_without_covariance_types():
    result = selection_stand_in(best=1)
    result.table["covariance_type"] = np.array([""] * 6)
    ax = plot_criterion(result).axes[0]
    line, best = ax.lines
    assert line.get_label() == "candidates"
    np.testing.assert_array_equal(line.get_xdata(), [1, 1, 2, 2, 3, 3])
    assert best.get_label() == "best: 1 component"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "candidates", "best: 1 component"]


# -- plot_image ---------------------------------------------------------------------------
def test_grey_images_and_labels_are_drawn_as_given(tmp_path):
    rng = np.random.default_rng(9)
    before = rng.random((12, 16))
    after = np.round(before * 3) / 3
    labels = (before > 0.5).astype(int).ravel()
    figure = plot_image(before, after, labels=labels, titles=("raw", "quantised"))
    panels = figure.axes
    assert len(panels) == 3
    np.testing.assert_array_equal(panels[0].images[0].get_array(), before)
    np.testing.assert_array_equal(panels[1].images[0].get_array(), after)
    np.testing.assert_array_equal(panels[2].images[0].get_array(), labels.reshape(12, 16))
    assert [p.get_title() for p in panels] == ["raw", "quantised", "labels"]
    low, high = min(before.min(), after.min()), max(before.max(), after.max())
    assert panels[0].images[0].get_clim() == panels[1].images[0].get_clim() == (low, high)
    assert_png(figure, tmp_path)


def test_colour_images_go_into_the_given_axes(tmp_path):
    rng = np.random.default_rng(10)
    before = rng.integers(0, 256, size=(8, 10, 3), dtype=np.uint8)
    after = (before // 64 * 64).astype(np.uint8)
    figure = Figure()
    axes = figure.subplots(1, 2)
    assert plot_image(before, after, ax=axes) is figure
    np.testing.assert_array_equal(axes[0].images[0].get_array(), before)
    np.testing.assert_array_equal(axes[1].images[0].get_array(), after)
    assert_png(figure, tmp_path)


def test_missing_pixels_are_drawn_transparent(tmp_path):
    from emkit.image import segment_image

    rng = np.random.default_rng(16)
    grey = np.where(np.arange(48).reshape(6, 8) % 8 < 4, 0.2, 0.8) + rng.normal(0, 0.05, (6, 8))
    grey[1, 2] = np.nan
    result = segment_image(grey, 2)
    colour = np.dstack([np.clip(grey, 0, 1)] * 3)
    colour[4, 5, 1] = np.nan
    figure = plot_image(grey, result.denoised, labels=result.labels)
    low, high = np.nanmin(grey), np.nanmax(np.r_[grey.ravel(), result.denoised.ravel()])
    assert figure.axes[0].images[0].get_clim() == (low, high)
    hidden = np.ma.getmaskarray(figure.axes[0].images[0].get_array())
    assert hidden[1, 2] and hidden.sum() == 1
    drawn = plot_image(colour, colour).axes[0].images[0].get_array()
    assert drawn.shape == (6, 8, 4)
    np.testing.assert_array_equal(drawn[4, 5], [0, 0, 0, 0])  # fully transparent
    np.testing.assert_array_equal(drawn[0, 0], np.r_[colour[0, 0], 1.0])
    assert_png(figure, tmp_path)


def test_image_refuses_bad_input():
    grey = np.zeros((4, 5))
    with pytest.raises(ValueError, match="before holds infinite values"):
        plot_image(np.full((4, 5), np.inf), grey)
    with pytest.raises(ValueError, match=r"grey \(height, width\) or colour"):
        plot_image(np.zeros((4, 5, 5)), grey)
    with pytest.raises(ValueError, match=r"colours must lie in \[0, 1\]"):
        plot_image(np.full((4, 5, 3), 2.0), grey)
    with pytest.raises(ValueError, match="labels must have the shape of the image"):
        plot_image(grey, grey, labels=np.zeros(7, dtype=int))
    with pytest.raises(ValueError, match="non-negative integer"):
        plot_image(grey, grey, labels=np.full((4, 5), 0.5))
    with pytest.raises(ValueError, match="titles must hold 2 titles"):
        plot_image(grey, grey, titles=("one",))
    with pytest.raises(ValueError, match="ax must hold 3 axes"):
        plot_image(grey, grey, labels=np.zeros((4, 5), dtype=int), ax=Figure().subplots(1, 2))
    with pytest.raises(TypeError, match="sequence of 2 matplotlib Axes"):
        plot_image(grey, grey, ax=Figure().add_subplot())


# -- the module as a whole ----------------------------------------------------------------
def test_missing_matplotlib_names_the_extra(monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.axes"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match=r"plotting needs matplotlib: pip install 'emkit\[plot\]'"):
        plot_log_likelihood([[1.0, 2.0]])


def test_matplotlib_is_imported_only_inside_functions_and_never_pyplot():
    sources = sorted(Path(plotting.__file__).parent.glob("*.py"))
    assert len(sources) >= 6
    for source in sources:
        text = source.read_text()
        tree = ast.parse(text)
        assert "matplotlib.use(" not in text, source.name
        assert not [n for n in _imported(ast.walk(tree)) if "pyplot" in n], source.name
        top_level = [n for n in _imported(tree.body) if n.startswith("matplotlib")]
        assert not top_level, source.name


def _imported(nodes):
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


@pytest.mark.parametrize("name", plotting.__all__)
def test_docstrings_match_signatures(name):
    assert isinstance(getattr(plotting, name), types.FunctionType)
    assert _problems(getattr(plotting, name)) == []


def test_no_figure_is_left_registered_in_pyplot():
    from matplotlib import pyplot
    before = pyplot.get_fignums()
    X = blobs(n=60, d=2, k=2, seed=15)[0]
    model = GaussianMixture(2, random_state=0).fit(X)
    plot_clusters_2d(model, X)
    plot_log_likelihood(model)
    plot_density_1d(GaussianMixture(2, random_state=0).fit(X[:, :1]), X[:, :1])
    plot_criterion(selection_stand_in())
    plot_image(X[:6].reshape(3, 4), X[:6].reshape(3, 4))
    assert pyplot.get_fignums() == before == []


def test_figure_in_a_subfigure_returns_the_top_figure():
    figure = Figure()
    ax = figure.subfigures(1, 2)[1].add_subplot()
    assert isinstance(ax, Axes)
    assert plot_criterion(selection_stand_in(), ax=ax) is figure


def test_grey_and_alpha_images_are_drawn_as_rgba():
    grey_alpha = np.dstack([np.linspace(0, 1, 12).reshape(3, 4), np.full((3, 4), 0.5)])
    figure = plot_image(grey_alpha, grey_alpha[:, :, 0])
    drawn = np.asarray(figure.axes[0].images[0].get_array())
    assert drawn.shape == (3, 4, 4)
    assert_array_equal(drawn[:, :, 0], grey_alpha[:, :, 0])
    assert_array_equal(drawn[:, :, 2], grey_alpha[:, :, 0])
    assert_array_equal(drawn[:, :, 3], grey_alpha[:, :, 1])
