"""The shared Gaussian (gdlab.distributions.gaussian): K diagonal Gaussians at once."""

import numpy as np
import pytest
from scipy.stats import norm

from gdlab.distributions.gaussian import diagonal_log_prob, is_diagonal, log_density


def _data(seed=0, n=40, d=4, K=3):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * 3 + 1
    means = rng.normal(size=(K, d))
    variances = rng.uniform(0.2, 3.0, size=(K, d))
    return X, means, variances


@pytest.mark.parametrize("shift", [None, "zero", "far"])
def test_diagonal_log_prob_is_the_sum_of_observed_univariate_log_densities(shift):
    X, means, variances = _data()
    X[::3, 1] = np.nan
    X[5] = np.nan  # every entry missing: log-density 0 (likelihood 1)
    centre = {None: None, "zero": np.zeros(4), "far": np.full(4, 50.0)}[shift]
    out = diagonal_log_prob(X, means, variances, shift=centre)
    expected = np.stack(
        [
            np.nansum(norm.logpdf(X, m, np.sqrt(v)), axis=1)
            for m, v in zip(means, variances, strict=True)
        ],
        axis=1,
    )
    assert out.shape == (40, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-11, atol=1e-11)
    np.testing.assert_array_equal(out[5], 0.0)


def test_diagonal_log_prob_agrees_with_the_full_covariance_path():
    X, means, variances = _data(1)
    X[::2, 0] = np.nan
    out = diagonal_log_prob(X, means, variances)
    for k in range(3):
        np.testing.assert_allclose(
            out[:, k], log_density(X, means[k], np.diag(variances[k])), rtol=1e-11, atol=1e-11
        )


def test_marginalizing_is_refitting_on_the_observed_columns():
    X, means, variances = _data(2)
    X_miss = X.copy()
    X_miss[:, 2] = np.nan
    keep = [0, 1, 3]
    np.testing.assert_allclose(
        diagonal_log_prob(X_miss, means, variances),
        diagonal_log_prob(X[:, keep], means[:, keep], variances[:, keep]),
        rtol=1e-12, atol=1e-12,
    )


def test_is_diagonal_reads_the_matrices():
    assert is_diagonal(np.stack([np.diag([1.0, 2.0]), np.eye(2)]))
    assert not is_diagonal(np.array([[[1.0, 0.1], [0.1, 1.0]]]))
