"""A user's family that misbehaves gets one sentence naming the component, never a NaN."""

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import pytest

from emkit import MixtureModel
from emkit.families import Family, Poisson


@dataclass(frozen=True)
class _BrokenPoisson(Family):
    """A Poisson family whose density or M-step can be broken on purpose."""

    rate: np.ndarray
    nan_component: int = -1
    nan_m_step: bool = False

    component_fields: ClassVar[tuple] = ("rate",)

    def log_prob(self, X):
        out = Poisson(rate=self.rate).log_prob(X)
        if self.nan_component >= 0:
            out[:, self.nan_component] = np.nan
        return out

    def accumulate(self, X, W):
        return Poisson(rate=self.rate).accumulate(X, W)

    def maximize(self, stats):
        rate = Poisson(rate=self.rate).maximize(stats).rate
        if self.nan_m_step:
            rate = rate.copy()
            rate[1] = np.nan
        return replace(self, rate=rate)

    def n_parameters(self):
        return self.rate.size


X = np.array([[0.0], [1.0], [2.0], [7.0], [9.0], [8.0]])


def test_nan_log_density_names_the_component():
    family = _BrokenPoisson(np.array([[1.0], [8.0]]), nan_component=1)
    with pytest.raises(ValueError, match="returned nan for component 1"):
        MixtureModel(family).fit(X)


def test_non_finite_m_step_names_the_component():
    family = _BrokenPoisson(np.array([[1.0], [8.0]]), nan_m_step=True)
    with pytest.raises(ValueError, match="maximize returned non-finite rate for component 1"):
        MixtureModel(family).fit(X)


def test_a_well_behaved_user_family_fits_like_the_built_in_one():
    start = np.array([[1.0], [8.0]])
    model = MixtureModel(_BrokenPoisson(start), tol=1e-10).fit(X)
    builtin = MixtureModel(Poisson(rate=start), tol=1e-10).fit(X)
    np.testing.assert_allclose(model.components_.rate, builtin.components_.rate, rtol=1e-12)
    np.testing.assert_allclose(model.weights_, builtin.weights_, rtol=1e-12)
