"""The shared Gaussian (gdlab.distributions.gaussian): K diagonal Gaussians at once."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm

from gdlab.distributions import gaussian as gm
from gdlab.distributions import gaussian_patterns as gp
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


# -- every missing pattern at once: PatternGroups (gdlab.distributions.gaussian_patterns) ---
def _full_data(seed=0, n=300, d=5, K=3, missing=0.35):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + 4.0
    X[rng.uniform(size=X.shape) < missing] = np.nan
    X[7] = np.nan  # nothing observed
    X[8] = 4.0  # complete
    means = rng.normal(size=(K, d)) + 4.0
    A = rng.normal(size=(K, d, d))
    covs = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(d)
    return X, means, covs


def _row_reference(X, means, covs, weights):
    """Per row and Gaussian: log N(x_o), and the statistics sum w E[x], sum w E[x x^T]."""
    from scipy.stats import multivariate_normal

    n, d = X.shape
    K = len(means)
    log_dens = np.zeros((n, K))
    first, second = np.zeros((K, d)), np.zeros((K, d, d))
    for i, x in enumerate(X):
        o, m = ~np.isnan(x), np.isnan(x)
        for k in range(K):
            S, mu = covs[k], means[k]
            x_hat, C = x.copy(), np.zeros((d, d))
            if o.any():
                log_dens[i, k] = multivariate_normal.logpdf(x[o], mu[o], S[np.ix_(o, o)])
                B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
                x_hat[m] = mu[m] + B @ (x[o] - mu[o])
                C[np.ix_(m, m)] = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
            else:
                x_hat, C = mu.copy(), S.copy()
            first[k] += weights[k, i] * x_hat
            second[k] += weights[k, i] * (np.outer(x_hat, x_hat) + C)
    return log_dens, gm.GaussianSummaries(weights.sum(axis=1), first, second)


def _about(summaries, shift):
    """Statistics about ``shift`` turned into raw moments (about 0)."""
    w, f, s = summaries
    second = s + f[:, :, None] * shift + shift[:, None] * f[:, None, :]
    return f + w[:, None] * shift, second + w[:, None, None] * np.outer(shift, shift)


def test_pattern_groups_log_prob_is_the_marginal_density_of_each_row():
    X, means, covs = _full_data()
    groups = gp.PatternGroups(X, np.nanmean(X, axis=0))
    expected, _ = _row_reference(X, means, covs, np.ones((3, len(X))))
    log_prob = groups.log_prob(means, covs)
    np.testing.assert_allclose(log_prob, expected, rtol=0, atol=1e-10)
    assert np.all(log_prob[7] == 0.0)  # nothing observed: exactly 0, whatever the covariance
    assert groups.n_patterns == len(np.unique(np.isnan(X), axis=0))


def test_pattern_groups_statistics_are_the_conditional_moments_of_each_row():
    X, means, covs = _full_data(seed=1)
    rng = np.random.RandomState(3)
    w = rng.uniform(size=(3, len(X)))
    shift = np.nanmean(X, axis=0)
    _, ref = _row_reference(X, means, covs, w)
    s = gp.PatternGroups(X, shift).summarize(means, covs, w)
    first, second = _about(s, shift)
    np.testing.assert_allclose(s.weight, ref.weight, rtol=0, atol=1e-10)
    np.testing.assert_allclose(first, ref.first, rtol=0, atol=1e-9)
    np.testing.assert_allclose(second, ref.second, rtol=0, atol=1e-8)  # entries ~1e3


def test_pattern_groups_mixture_e_step_is_bayes_rule_then_the_statistics():
    X, means, covs = _full_data(seed=2)
    X = X[~np.isnan(X).all(axis=1)]
    log_w = np.log([0.2, 0.5, 0.3])
    shift = np.nanmean(X, axis=0)
    log_dens, _ = _row_reference(X, means, covs, np.ones((3, len(X))))
    lp = log_dens + log_w
    resp = np.exp(lp - logsumexp(lp, axis=1, keepdims=True)).T
    _, ref = _row_reference(X, means, covs, resp)
    ll, s = gp.PatternGroups(X, shift).responsibility_statistics(log_w, means, covs)
    assert abs(ll - logsumexp(lp, axis=1).sum()) <= 1e-9
    first, second = _about(s, shift)
    np.testing.assert_allclose(s.weight, ref.weight, rtol=0, atol=1e-10)
    np.testing.assert_allclose(first, ref.first, rtol=0, atol=1e-9)
    np.testing.assert_allclose(second, ref.second, rtol=0, atol=1e-8)


def test_pattern_groups_in_many_small_blocks_and_batches_agree(monkeypatch):
    X, means, covs = _full_data(seed=4, n=600, missing=0.2)
    shift = np.nanmean(X, axis=0)
    w = np.random.RandomState(5).uniform(size=(3, len(X)))
    one = gp.PatternGroups(X, shift)
    monkeypatch.setattr(gp, "_QUAD_BLOCK", 16 * gp.quadratic_size(5))  # 16 rows a block
    monkeypatch.setattr(gp, "_PATTERN_BATCH", 3 * gp.quadratic_size(5))  # 3 patterns a batch
    many = gp.PatternGroups(X, shift)
    monkeypatch.setattr(gp, "_PHI_CACHE_BYTES", 0)  # features rebuilt on every pass
    rebuilt = gp.PatternGroups(X, shift)
    assert len(many._batches) > 5 and sum(len(b.blocks) for b in many._batches) > 20
    assert all(b.phi is not None for batch in one._batches for b in batch.blocks)
    assert all(b.phi is None for batch in rebuilt._batches for b in batch.blocks)
    for other in (many, rebuilt):
        np.testing.assert_allclose(other.log_prob(means, covs), one.log_prob(means, covs),
                                   rtol=0, atol=1e-10)
        for a, b in zip(other.summarize(means, covs, w), one.summarize(means, covs, w),
                        strict=True):
            np.testing.assert_allclose(a, b, rtol=0, atol=1e-9)


def test_pattern_groups_rows_and_more_than_64_features():
    rng = np.random.RandomState(6)
    X = rng.normal(size=(40, 70))
    X[rng.uniform(size=X.shape) < 0.05] = np.nan
    X[:, 66] = np.nan  # a missing column beyond the first 64 bits
    X[3, 69] = 1.0
    rows = np.array([5, 3, 9, 3])  # any order; a row may repeat
    means, covs = np.zeros((1, 70)), np.eye(70)[None]
    groups = gp.PatternGroups(X, np.zeros(70), rows=rows)
    assert groups.n_rows == 4
    assert groups.n_patterns == len(np.unique(np.isnan(X[rows]), axis=0))
    expected = np.nansum(norm.logpdf(X[rows]), axis=1)
    np.testing.assert_allclose(groups.log_prob(means, covs)[:, 0], expected, rtol=0, atol=1e-10)


def test_pattern_groups_bad_input():
    X, means, covs = _full_data()
    with pytest.raises(ValueError, match="X must be 2-D"):
        gp.PatternGroups(X[0], np.zeros(5))
    with pytest.raises(ValueError, match=r"shift must have shape \(5,\), got \(4,\)"):
        gp.PatternGroups(X, np.zeros(4))
    groups = gp.PatternGroups(X, np.zeros(5))
    with pytest.raises(ValueError, match="weights must have shape"):
        groups.summarize(means, covs, np.ones((3, 5)))
    with pytest.raises(ValueError, match="means and covariances must have shapes"):
        groups.log_prob(means[:, :4], covs)


def test_pattern_groups_mixture_e_step_with_a_component_of_weight_zero():
    X, means, covs = _full_data(seed=8, n=120)
    X = X[~np.isnan(X).all(axis=1)]
    shift = np.nanmean(X, axis=0)
    groups = gp.PatternGroups(X, shift)
    with np.errstate(divide="ignore"):
        ll, s = groups.responsibility_statistics(np.log([0.4, 0.0, 0.6]), means, covs)
    ll2, s2 = groups.responsibility_statistics(np.log([0.4, 0.6]), means[[0, 2]], covs[[0, 2]])
    assert abs(ll - ll2) <= 1e-9
    assert np.all(s.weight[1] == 0.0) and np.all(s.first[1] == 0.0) and np.all(s.second[1] == 0.0)
    for a, b in zip(s, s2, strict=True):
        np.testing.assert_allclose(a[[0, 2]], b, rtol=0, atol=1e-9)


def test_pattern_groups_are_as_accurate_as_per_pattern_solves_when_ill_conditioned():
    """Condition number 1e6: the observed blocks are factored directly (a Schur
    complement of the precision was ~1e-7 off here)."""
    from scipy.stats import multivariate_normal

    rng = np.random.default_rng(0)
    Q, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    S = (Q * np.logspace(6, 0, 6) * 1e-3) @ Q.T
    S = (S + S.T) / 2
    mu = rng.normal(size=6)
    X = rng.multivariate_normal(mu, S, size=300)
    X[rng.uniform(size=X.shape) < 0.4] = np.nan
    X = X[~np.isnan(X).all(axis=1)]
    log_prob = gp.PatternGroups(X, np.nanmean(X, axis=0)).log_prob(mu[None], S[None])[:, 0]
    expected = [
        multivariate_normal.logpdf(x[~np.isnan(x)], mu[~np.isnan(x)],
                                   S[np.ix_(~np.isnan(x), ~np.isnan(x))])
        for x in X
    ]
    np.testing.assert_allclose(log_prob, expected, rtol=0, atol=1e-8)
