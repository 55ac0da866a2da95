"""The shared Gaussian (gdlab.distributions.gaussian): K diagonal Gaussians at once."""

import numpy as np
import pytest
from scipy.stats import norm

from gdlab.distributions import gaussian as gm
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


# -- sufficient statistics and the M-step ---------------------------------------------------
def test_summaries_of_batches_add_up_to_the_weighted_mean_and_covariance():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(60, 3)) * [1.0, 5.0, 0.1] + 100.0
    w = rng.uniform(size=(2, 60))
    shift = X.mean(axis=0)
    s = gm.summarize(X[:25] - shift, w[:, :25]) + gm.summarize(X[25:] - shift, w[:, 25:])
    means, covs = gm.from_summaries(s, "full", 0.0, shift=shift)
    for k in range(2):
        np.testing.assert_allclose(means[k], np.average(X, axis=0, weights=w[k]), rtol=1e-12)
        expected = np.cov(X.T, aweights=w[k], bias=True)
        np.testing.assert_allclose(covs[k], expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(s.weight, w.sum(axis=1), rtol=1e-12)


def test_summaries_of_a_missing_pattern_add_the_conditional_covariance():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(10, 3))
    obs, miss = np.array([0, 2]), np.array([1])
    cmean = rng.normal(size=(2, 10, 1))
    ccov = np.array([[[0.5]], [[2.0]]])
    w = rng.uniform(size=(2, 10))
    s = gm.summarize_missing(X[:, obs], cmean, ccov, obs, miss, w)
    for k in range(2):
        X_hat = X.copy()
        X_hat[:, miss] = cmean[k]
        ref = gm.summarize(X_hat, w[k : k + 1])
        np.testing.assert_allclose(s.first[k], ref.first[0], rtol=1e-12)
        np.testing.assert_allclose(
            s.second[k] - ref.second[0], w[k].sum() * ccov[k, 0, 0] * np.diag([0, 1, 0]),
            atol=1e-12,
        )


def test_from_summaries_shrinks_then_constrains():
    S = np.array([[4.0, 2.0], [2.0, 1.0]])
    s = gm.GaussianSummaries(np.array([2.0, 2.0]), np.zeros((2, 2)), np.stack([2 * S, 2 * S]))
    _, covs = gm.from_summaries(s, "full", 0.1, shrinkage=np.array([0.0, 0.5]))
    np.testing.assert_allclose(covs[0], S + 0.1 * np.eye(2), atol=1e-12)
    np.testing.assert_allclose(covs[1], [[4.1, 1.0], [1.0, 1.1]], atol=1e-12)
    _, tied = gm.from_summaries(s, "tied", 0.0, shrinkage=np.array([0.0, 0.5]))
    np.testing.assert_allclose(tied[0], [[4.0, 1.5], [1.5, 1.0]], atol=1e-12)
    with pytest.raises(ValueError, match="covariance must be one of"):
        gm.from_summaries(s, "banded", 0.0)


def test_diagonal_weights_on_features_are_diagonal_log_prob():
    X, means, variances = _data(seed=3)
    X[::4, 2] = np.nan
    shift = np.nanmean(X, axis=0)
    x0 = np.where(np.isnan(X), 0.0, X - shift)
    F = np.hstack([x0 * x0, x0, (~np.isnan(X)).astype(float)])
    W = gm.diagonal_weights(means, variances, shift)
    np.testing.assert_allclose(F @ W.T, diagonal_log_prob(X, means, variances, shift), atol=1e-10)
    Wc = gm.diagonal_weights(means, variances, shift, per_feature_constant=False)
    Xc = X[~np.isnan(X).any(axis=1)]
    xc = Xc - shift
    Fc = np.hstack([xc * xc, xc, np.ones((len(Xc), 1))])
    np.testing.assert_allclose(Fc @ Wc.T, diagonal_log_prob(Xc, means, variances, shift),
                               atol=1e-10)


@pytest.mark.parametrize("full", [False, True])
def test_sample_gaussian_draws_each_row_from_its_component(full):
    means = np.array([[0.0, 0.0], [10.0, -5.0]])
    cov = np.array([[[1.0, 0.6], [0.6, 2.0]], [[0.5, -0.2], [-0.2, 0.3]]])
    covs = cov if full else np.diagonal(cov, axis1=1, axis2=2)
    comp = np.tile([0, 1], 20_000)
    X = gm.sample_gaussian(means, covs, comp, np.random.RandomState(0))
    for c in range(2):
        np.testing.assert_allclose(X[comp == c].mean(axis=0), means[c], atol=0.05)
        expected = cov[c] if full else np.diag(np.diag(cov[c]))
        np.testing.assert_allclose(np.cov(X[comp == c].T), expected, atol=0.05)
