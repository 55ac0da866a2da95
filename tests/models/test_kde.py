"""Tests for the product-kernel density and the kernel density classifier."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import logsumexp
from sklearn.datasets import load_iris
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neighbors import KernelDensity as SkKernelDensity

from gdlab.base import ClassConditional
from gdlab.distributions import kernels as kernels_module
from gdlab.distributions.kernels import KERNELS
from gdlab.models.kde import KDEClassifier, KernelDensity

ALL_KERNELS = ["gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine"]
FINITE = {"tophat", "epanechnikov", "linear", "cosine"}


# -- independent reference formulas (not the module's own code) -----------------------------
def _pdf(kernel, u):
    """The standard 1-D kernel, written out directly."""
    u = np.asarray(u, dtype=float)
    inside = np.abs(u) < 1
    if kernel == "gaussian":
        return np.exp(-u**2 / 2) / np.sqrt(2 * np.pi)
    if kernel == "tophat":
        return np.where(np.abs(u) <= 1, 0.5, 0.0)
    if kernel == "epanechnikov":
        return np.where(inside, 0.75 * (1 - u**2), 0.0)
    if kernel == "exponential":
        return 0.5 * np.exp(-np.abs(u))
    if kernel == "linear":
        return np.where(inside, 1 - np.abs(u), 0.0)
    return np.where(inside, np.pi / 4 * np.cos(np.pi * u / 2), 0.0)


def _cdf(kernel, u):
    u = np.clip(np.asarray(u, dtype=float), -50, 50)
    c = np.clip(u, -1, 1)
    if kernel == "gaussian":
        return stats.norm.cdf(u)
    if kernel == "tophat":
        return (c + 1) / 2
    if kernel == "epanechnikov":
        return (2 + 3 * c - c**3) / 4
    if kernel == "exponential":
        return stats.laplace.cdf(u)
    if kernel == "linear":
        return np.where(c < 0, (1 + c) ** 2 / 2, 1 - (1 - c) ** 2 / 2)
    return (1 + np.sin(np.pi * c / 2)) / 2


def _brute_log_density(Q, T, h, kernel):
    """Double loop over query and training rows; NaN query entries dropped."""
    out = np.empty(len(Q))
    for a, q in enumerate(Q):
        total = 0.0
        for t in T:
            p = 1.0
            for j in range(len(q)):
                if not np.isnan(q[j]):
                    p *= _pdf(kernel, (q[j] - t[j]) / h[j]) / h[j]
            total += p
        with np.errstate(divide="ignore"):
            out[a] = np.log(total / len(T))
    return out


def _absolute(kde_data, h):
    """A float bandwidth factor b with b * std(column) == h for a 1-D column."""
    return h / np.std(kde_data, ddof=1)


@pytest.fixture
def small():
    rng = np.random.RandomState(0)
    return rng.normal(size=(7, 3)) * [1.0, 2.0, 0.5]


# -- the kernels are densities --------------------------------------------------------------
@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_each_kernel_integrates_to_one_with_stated_moments(kernel):
    k = KERNELS[kernel]
    lim = (-1, 1) if kernel in FINITE else (-np.inf, np.inf)

    def pdf(u):
        return np.exp(k.log_pdf(np.array(u)))

    assert integrate.quad(pdf, *lim)[0] == pytest.approx(1.0, abs=1e-10)
    assert integrate.quad(lambda u: pdf(u) ** 2, *lim)[0] == pytest.approx(k.roughness, abs=1e-10)
    assert integrate.quad(lambda u: u * u * pdf(u), *lim)[0] == pytest.approx(k.variance, abs=1e-10)
    u = np.linspace(-3, 3, 601)
    np.testing.assert_allclose(pdf(u), _pdf(kernel, u), atol=1e-12)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_fitted_density_integrates_to_one_in_1d(kernel):
    X = np.array([[0.0], [0.4], [1.5], [3.0]])
    kde = KernelDensity(kernel=kernel, bandwidth=0.5).fit(X)
    h = kde.bandwidth_[0]

    def f(t):
        return np.exp(kde.score_samples([[t]])[0])

    lo, hi = X.min() - 30 * h, X.max() + 30 * h
    breaks = np.concatenate([X[:, 0] - h, X[:, 0], X[:, 0] + h])
    val = integrate.quad(f, lo, hi, points=breaks, limit=500, epsabs=1e-12)[0]
    assert val == pytest.approx(1.0, abs=1e-7)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_fitted_density_integrates_to_one_in_2d(kernel):
    X = np.array([[0.0, 0.0], [1.0, 0.5], [0.3, 2.0]])
    kde = KernelDensity(kernel=kernel, bandwidth=0.6).fit(X)
    h = kde.bandwidth_
    m = 12 if kernel in ("gaussian", "exponential") else 1.5  # in bandwidths
    xs = np.linspace(X[:, 0].min() - m * h[0], X[:, 0].max() + m * h[0], 701)
    ys = np.linspace(X[:, 1].min() - m * h[1], X[:, 1].max() + m * h[1], 701)
    G = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    dens = np.exp(kde.score_samples(G)).reshape(len(xs), len(ys))
    total = integrate.trapezoid(integrate.trapezoid(dens, ys, axis=1), xs)
    assert total == pytest.approx(1.0, abs=3e-3)


# -- score_samples ---------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_score_samples_equals_brute_force_double_loop(kernel, small):
    kde = KernelDensity(kernel=kernel, bandwidth=0.9).fit(small)
    rng = np.random.RandomState(1)
    Q = np.vstack([small[:3] + 0.1, rng.normal(size=(6, 3)), [[10.0, 10.0, 10.0]]])
    Q[2, 1] = np.nan
    Q[4, [0, 2]] = np.nan
    expected = _brute_log_density(Q, small, kde.bandwidth_, kernel)
    got = kde.score_samples(Q)
    np.testing.assert_array_equal(np.isneginf(got), np.isneginf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-10, atol=1e-12)
    if kernel in FINITE:
        assert np.isneginf(got[-1])  # outside every training row's support: -inf, honestly


def test_chunking_does_not_change_the_result(monkeypatch, small):
    kde = KernelDensity(kernel="epanechnikov", bandwidth=3.0).fit(small)
    Q = small[np.arange(50) % 7] + np.random.RandomState(2).normal(scale=0.2, size=(50, 3))
    Q[::4, 1] = np.nan
    whole = kde.score_samples(Q)
    monkeypatch.setattr(kernels_module, "CHUNK_ELEMENTS", 10)
    np.testing.assert_array_equal(kde.score_samples(Q), whole)
    np.testing.assert_allclose(kde.impute(Q), KernelDensity(
        kernel="epanechnikov", bandwidth=3.0).fit(small).impute(Q), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_agrees_with_sklearn_in_1d(kernel):
    X = np.random.RandomState(3).normal(size=(40, 1))
    kde = KernelDensity(kernel=kernel, bandwidth=0.4).fit(X)
    sk = SkKernelDensity(kernel=kernel, bandwidth=kde.bandwidth_[0]).fit(X)
    Q = np.linspace(-2.5, 2.5, 97)[:, None]
    ours, theirs = kde.score_samples(Q), sk.score_samples(Q)
    ok = np.isfinite(theirs) & (theirs > -30)
    assert ok.sum() > 50
    np.testing.assert_allclose(ours[ok], theirs[ok], rtol=1e-7, atol=1e-9)


def test_gaussian_agrees_with_sklearn_isotropic_on_standardized_data():
    X = np.random.RandomState(4).normal(size=(150, 4)) * [1.0, 3.0, 0.2, 5.0] + 7.0
    Z = (X - X.mean(axis=0)) / X.std(axis=0, ddof=1)  # every column has scale 1
    ours = KernelDensity(kernel="gaussian", bandwidth=0.35).fit(Z)
    np.testing.assert_allclose(ours.bandwidth_, 0.35, atol=1e-12)
    sk = SkKernelDensity(kernel="gaussian", bandwidth=0.35).fit(Z)
    Q = np.random.RandomState(5).normal(size=(60, 4))
    np.testing.assert_allclose(ours.score_samples(Q), sk.score_samples(Q), rtol=1e-9, atol=1e-12)


# -- marginalization -------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_missing_column_equals_kde_of_other_columns(kernel, small):
    kde = KernelDensity(kernel=kernel, bandwidth=1.2).fit(small)
    Q = np.random.RandomState(6).normal(size=(20, 3))
    for j in range(3):
        rest = [c for c in range(3) if c != j]
        Qm = Q.copy()
        Qm[:, j] = np.nan
        sub = KernelDensity(kernel=kernel, bandwidth=1.2).fit(small[:, rest])
        np.testing.assert_allclose(sub.bandwidth_, kde.bandwidth_[rest], atol=1e-12)
        np.testing.assert_allclose(kde.score_samples(Qm), sub.score_samples(Q[:, rest]), atol=1e-12)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_missing_column_is_integrated_out_by_quadrature(kernel):
    X = np.array([[0.0, 0.0], [0.5, 1.0], [1.2, -0.7], [2.0, 0.4]])
    kde = KernelDensity(kernel=kernel, bandwidth=0.8).fit(X)
    h = kde.bandwidth_[1]
    for x0 in (0.2, 0.9):
        marg = kde.score_samples([[x0, np.nan]])[0]

        def f(t, x0=x0):
            return np.exp(kde.score_samples([[x0, t]])[0])

        breaks = np.concatenate([X[:, 1] - h, X[:, 1], X[:, 1] + h])
        lo, hi = X[:, 1].min() - 40 * h, X[:, 1].max() + 40 * h
        val = integrate.quad(f, lo, hi, points=breaks, limit=500, epsabs=1e-13)[0]
        assert np.log(val) == pytest.approx(marg, abs=1e-6)


def test_every_entry_missing_scores_zero(small):
    kde = KernelDensity(kernel="cosine").fit(small)
    np.testing.assert_allclose(kde.score_samples(np.full((2, 3), np.nan)), 0.0, atol=1e-12)


# -- sampling --------------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_samples_follow_the_kernel(kernel):
    # two training rows far apart, h = 1: each draw is a centre plus one kernel draw
    X = np.array([[0.0, 0.0], [1000.0, 500.0]])
    kde = KernelDensity(kernel=kernel, bandwidth=_absolute(X[:, 0], 1.0)).fit(X)
    kde.bandwidth_ = np.array([1.0, 2.0])  # pin the per-feature bandwidths exactly
    S = kde.sample(20_000, random_state=0)
    centre = (S[:, 0] > 500).astype(int)
    # the same training row for both coordinates, chosen uniformly
    np.testing.assert_array_equal(S[:, 1] > 250, centre == 1)
    assert stats.binomtest(int(centre.sum()), len(S), 0.5).pvalue > 1e-3
    for j, h in enumerate(kde.bandwidth_):
        noise = (S[:, j] - X[centre, j]) / h
        assert stats.kstest(noise, lambda u: _cdf(kernel, u)).pvalue > 1e-3
        if kernel in FINITE:
            assert np.abs(noise).max() <= 1.0
    # coordinates draw independent noise
    n0, n1 = (S - X[centre]).T
    assert abs(stats.spearmanr(n0, n1).statistic) < 0.03


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_sample_moments_and_refit(kernel):
    rng = np.random.RandomState(7)
    X = rng.multivariate_normal([1.0, -2.0], [[1.0, 0.6], [0.6, 2.0]], size=300)
    kde = KernelDensity(kernel=kernel).fit(X)
    S = kde.sample(40_000, random_state=1)
    # mean of the KDE is the data mean; covariance is the data's (1/n) plus h^2 mu_2(K)
    cov = np.cov(X.T, ddof=0) + np.diag(kde.bandwidth_**2 * KERNELS[kernel].variance)
    np.testing.assert_allclose(S.mean(axis=0), X.mean(axis=0), atol=0.03)
    np.testing.assert_allclose(np.cov(S.T), cov, atol=0.06)
    # a KDE of the samples describes nearly the same density: L1 distance on a grid
    refit = KernelDensity(kernel=kernel).fit(S[:3000])
    xs, ys = np.linspace(-3, 5, 161), np.linspace(-7, 3, 201)
    G = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    diff = np.abs(np.exp(refit.score_samples(G)) - np.exp(kde.score_samples(G)))
    l1 = integrate.trapezoid(integrate.trapezoid(diff.reshape(161, 201), ys, axis=1), xs)
    assert l1 < 0.15


def test_sample_is_reproducible_and_fresh_each_call(small):
    kde = KernelDensity(kernel="linear").fit(small)
    np.testing.assert_array_equal(kde.sample(5, random_state=3), kde.sample(5, random_state=3))
    rng = np.random.RandomState(0)
    assert not np.array_equal(kde.sample(5, random_state=rng), kde.sample(5, random_state=rng))


# -- conditionals: by hand -------------------------------------------------------------------
def _hand_example(kernel):
    X = np.array([[0.0, 10.0], [1.0, 20.0], [5.0, 30.0]])
    b = 1.0 / np.std(X[:, 0], ddof=1)  # h = (1, 10 b)
    return X, KernelDensity(kernel=kernel, bandwidth=b).fit(X)


def test_conditional_mean_by_hand_tophat():
    X, kde = _hand_example("tophat")
    np.testing.assert_allclose(kde.bandwidth_[0], 1.0, atol=1e-12)
    # x1 = 0.5 lies within h = 1 of the first two rows only: equal weights
    np.testing.assert_allclose(kde.impute([[0.5, np.nan]]), [[0.5, 15.0]], atol=1e-12)
    # x1 = 4.5 lies within reach of the third row only
    np.testing.assert_allclose(kde.impute([[4.5, np.nan]]), [[4.5, 30.0]], atol=1e-12)
    # x2 = 21 selects the second row only (h2 = 3.78): x1's mean is its value
    np.testing.assert_allclose(kde.impute([[np.nan, 21.0]]), [[1.0, 21.0]], atol=1e-12)


def test_conditional_mean_by_hand_gaussian():
    X, kde = _hand_example("gaussian")
    w = np.exp(-0.5 * (0.5 - X[:, 0]) ** 2)  # h1 = 1
    expected = (w @ X[:, 1]) / w.sum()
    np.testing.assert_allclose(kde.impute([[0.5, np.nan]])[0, 1], expected, rtol=1e-12, atol=1e-12)
    # nothing observed: the mean of the training rows
    np.testing.assert_allclose(kde.impute([[np.nan, np.nan]]), [X.mean(axis=0)], atol=1e-12)


def test_conditional_draw_by_hand_tophat():
    X, kde = _hand_example("tophat")
    h2 = kde.bandwidth_[1]
    D = kde.impute(np.tile([[0.5, np.nan]], (4000, 1)), method="sample", random_state=0)
    assert (D[:, 0] == 0.5).all()
    near10, near20 = np.abs(D[:, 1] - 10) <= h2, np.abs(D[:, 1] - 20) <= h2
    assert (near10 | near20).all()  # never the third row, which x1 = 0.5 excludes
    assert stats.binomtest(int(near10.sum()), len(D), 0.5).pvalue > 1e-3
    assert stats.kstest((D[near10, 1] - 10) / h2, "uniform", args=(-1, 2)).pvalue > 1e-3


def test_conditional_draw_gaussian_matches_posterior_weights():
    X, kde = _hand_example("gaussian")
    D = kde.impute(np.tile([[0.5, np.nan]], (20_000, 1)), method="sample", random_state=1)
    w = np.exp(-0.5 * (0.5 - X[:, 0]) ** 2)
    w /= w.sum()
    h2 = kde.bandwidth_[1]
    mean = w @ X[:, 1]
    var = w @ (X[:, 1] - mean) ** 2 + h2**2
    assert D[:, 1].mean() == pytest.approx(mean, abs=0.15)
    assert D[:, 1].var() == pytest.approx(var, rel=0.03)


@pytest.mark.parametrize("kernel", sorted(FINITE))
def test_outside_support_scores_minus_inf_and_impute_raises(kernel):
    X, kde = _hand_example(kernel)
    assert np.isneginf(kde.score_samples([[100.0, np.nan]])[0])
    with pytest.raises(ValueError, match="outside the support"):
        kde.impute([[100.0, np.nan]])
    with pytest.raises(ValueError, match="outside the support"):
        kde.impute([[100.0, np.nan]], method="sample", random_state=0)


# -- bandwidths ------------------------------------------------------------------------------
@pytest.mark.parametrize("rule", ["scott", "silverman"])
@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_bandwidth_rules_equal_their_formulas(rule, kernel):
    X = np.random.RandomState(8).normal(size=(90, 3)) * [1.0, 4.0, 0.1]
    n, d = X.shape
    kde = KernelDensity(kernel=kernel, bandwidth=rule).fit(X)
    k = KERNELS[kernel]
    R, mu2, Rg = k.roughness, k.variance, 1 / (2 * np.sqrt(np.pi))
    kernel_factor = ((R / Rg) ** d / mu2**2) ** (1 / (d + 4))
    # the gaussian factor is scipy's own rule
    gauss = stats.gaussian_kde(X.T, bw_method=rule).factor
    np.testing.assert_allclose(
        kde.bandwidth_, gauss * kernel_factor * X.std(axis=0, ddof=1), atol=1e-12
    )
    np.testing.assert_allclose(kde.scale_, X.std(axis=0, ddof=1), atol=1e-12)


def test_kernel_rule_factors_are_the_canonical_ratios():
    # Marron & Nolan's canonical bandwidths delta_K = (R(K) / mu_2(K)^2)^(1/5), in 1-D
    delta = {"gaussian": (1 / (2 * np.sqrt(np.pi))) ** 0.2, "epanechnikov": 15**0.2,
             "tophat": 4.5**0.2}
    for name in ("epanechnikov", "tophat"):
        ratio = delta[name] / delta["gaussian"]
        assert KERNELS[name].rule_factor(1) == pytest.approx(ratio, rel=1e-12)
    assert KERNELS["epanechnikov"].rule_factor(1) == pytest.approx(2.2138, abs=1e-4)
    assert KERNELS["gaussian"].rule_factor(5) == 1.0


def test_float_bandwidth_is_a_factor_on_column_scales():
    X = np.random.RandomState(9).normal(size=(30, 2)) * [2.0, 0.5]
    kde = KernelDensity(kernel="tophat", bandwidth=0.3).fit(X)
    np.testing.assert_allclose(kde.bandwidth_, 0.3 * X.std(axis=0, ddof=1), atol=1e-12)
    assert kde.bandwidth_factor_ == 0.3


def test_constant_column_gets_the_scale_floor():
    X = np.random.RandomState(10).normal(size=(20, 2))
    X[:, 1] = 3.0
    kde = KernelDensity(scale_floor=1e-3).fit(X)
    assert kde.scale_[1] == pytest.approx(1e-3 * kde.scale_[0])
    assert np.isfinite(kde.score_samples(X)).all()


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_cv_picks_the_best_held_out_likelihood(kernel):
    rng = np.random.RandomState(11)
    X = np.vstack([rng.normal(-2, 0.3, size=(40, 2)), rng.normal(2, 0.3, size=(40, 2))])
    cands = [0.05, 0.1, 0.2, 0.4, 0.8, 1.6]
    kde = KernelDensity(kernel=kernel, bandwidth="cv", bandwidths=cands, cv=4,
                        random_state=0).fit(X)
    scale = X.std(axis=0, ddof=1)
    manual = []
    for b in cands:
        total = 0.0
        for train, test in KFold(4, shuffle=True, random_state=0).split(X):
            total += _brute_log_density(X[test], X[train], b * scale, kernel).sum()
        manual.append(total / len(X))
    np.testing.assert_allclose(kde.cv_scores_, manual, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(kde.cv_bandwidths_, cands)
    best = cands[int(np.argmax(manual))]
    assert kde.bandwidth_factor_ == best
    np.testing.assert_allclose(kde.bandwidth_, best * scale, atol=1e-12)
    assert best < 1.6  # the bimodal data want less smoothing than the widest candidate


def test_cv_default_candidates_bracket_scott():
    X = np.random.RandomState(12).normal(size=(60, 2))
    kde = KernelDensity(bandwidth="cv", random_state=0).fit(X)
    scott = 60 ** (-1 / 6)
    np.testing.assert_allclose(kde.cv_bandwidths_, scott * np.geomspace(0.2, 2.0, 10), atol=1e-12)
    assert kde.bandwidth_factor_ in kde.cv_bandwidths_


def test_cv_with_only_too_narrow_finite_kernels_raises():
    X = np.arange(20.0).reshape(-1, 1) ** 2  # gaps grow; tiny tophats never reach a neighbour
    with pytest.raises(ValueError, match="every candidate bandwidth"):
        KernelDensity(kernel="tophat", bandwidth="cv", bandwidths=[1e-4], cv=2,
                      random_state=0).fit(X)


# -- missing values at fit -------------------------------------------------------------------
def _with_nan_training():
    rng = np.random.RandomState(13)
    X = rng.normal(size=(12, 2))
    X[[1, 4, 7], 1] = np.nan
    X[9, 0] = np.nan
    return X


@pytest.mark.parametrize("kernel", ["gaussian", "linear"])
def test_missing_training_entry_uses_the_column_marginal(kernel):
    X = _with_nan_training()
    kde = KernelDensity(kernel=kernel, bandwidth=0.8).fit(X)
    h = kde.bandwidth_
    Q = np.random.RandomState(14).normal(size=(10, 2)) * 0.5
    expected = []
    for q in Q:
        comps = []
        for t in X:
            p = 1.0
            for j in range(2):
                if np.isnan(t[j]):
                    seen = X[~np.isnan(X[:, j]), j]
                    p *= np.mean(_pdf(kernel, (q[j] - seen) / h[j]) / h[j])
                else:
                    p *= _pdf(kernel, (q[j] - t[j]) / h[j]) / h[j]
            comps.append(p)
        expected.append(np.log(np.mean(comps)))
    np.testing.assert_allclose(kde.score_samples(Q), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(kde.scale_, np.nanstd(X, axis=0, ddof=1), atol=1e-12)


def test_density_fitted_with_nan_integrates_to_one_and_marginalizes():
    X = _with_nan_training()
    kde = KernelDensity(kernel="epanechnikov", bandwidth=0.9).fit(X)
    h = kde.bandwidth_
    xs = np.linspace(np.nanmin(X[:, 0]) - h[0], np.nanmax(X[:, 0]) + h[0], 801)
    ys = np.linspace(np.nanmin(X[:, 1]) - h[1], np.nanmax(X[:, 1]) + h[1], 801)
    G = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    dens = np.exp(kde.score_samples(G)).reshape(len(xs), len(ys))
    assert integrate.trapezoid(integrate.trapezoid(dens, ys, axis=1), xs) == pytest.approx(
        1.0, abs=3e-3)
    # column 1 missing: the marginal of column 0 is the KDE of all of column 0's values
    q = np.array([[0.1, np.nan], [-0.6, np.nan]])
    seen0 = X[~np.isnan(X[:, 0]), 0]
    expected = np.log(np.mean(_pdf("epanechnikov", (q[:, :1] - seen0) / h[0]) / h[0], axis=1))
    np.testing.assert_allclose(kde.score_samples(q), expected, rtol=1e-10, atol=1e-12)


def test_all_nan_training_rows_are_dropped_and_sampling_fills_every_entry():
    X = _with_nan_training()
    X[3] = np.nan
    kde = KernelDensity(kernel="cosine").fit(X)
    assert kde.X_train_.shape == (11, 2)
    S = kde.sample(500, random_state=0)
    assert np.isfinite(S).all()
    filled = kde.impute([[np.nan, 0.0], [0.0, np.nan]])
    assert np.isfinite(filled).all()


# -- the classifier --------------------------------------------------------------------------
def _two_classes(seed=15):
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.normal(0, 1, size=(40, 2)), rng.normal(2, 0.7, size=(30, 2))])
    return X, np.repeat(["a", "b"], [40, 30])


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_classifier_is_bayes_rule_over_per_class_kdes(kernel):
    X, y = _two_classes()
    clf = KDEClassifier(kernel=kernel, priors=[0.3, 0.7]).fit(X, y)
    Q = np.random.RandomState(16).normal(1, 0.5, size=(25, 2))
    Q[::3, 0] = np.nan
    lj = np.column_stack([
        np.log(p) + KernelDensity(kernel=kernel).fit(X[y == c]).score_samples(Q)
        for p, c in zip([0.3, 0.7], ["a", "b"], strict=True)
    ])
    np.testing.assert_allclose(clf.log_joint(Q), lj, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba(Q), lj - logsumexp(lj, axis=1)[:, None],
                               atol=1e-12)
    np.testing.assert_array_equal(clf.predict(Q), np.array(["a", "b"])[lj.argmax(axis=1)])
    # the same thing as ClassConditional(KernelDensity(...)), and clone-able with its params
    same = ClassConditional(KernelDensity(kernel=kernel), priors=[0.3, 0.7]).fit(X, y)
    np.testing.assert_allclose(same.predict_proba(Q), clf.predict_proba(Q), rtol=1e-12, atol=1e-12)
    assert clf.get_params()["kernel"] == kernel and "density" not in clf.get_params()


def test_classifier_missing_feature_equals_classifier_without_it():
    X, y = _two_classes()
    clf = KDEClassifier(kernel="linear", bandwidth=0.7).fit(X, y)
    sub = KDEClassifier(kernel="linear", bandwidth=0.7).fit(X[:, :1], y)
    Q = np.random.RandomState(17).normal(1, 0.5, size=(20, 2))
    Qm = Q.copy()
    Qm[:, 1] = np.nan
    np.testing.assert_allclose(
        clf.predict_proba(Qm), sub.predict_proba(Q[:, :1]), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(clf.predict_proba(np.full((2, 2), np.nan)),
                               np.tile(clf.class_prior_, (2, 1)), atol=1e-12)


@pytest.mark.parametrize("kernel", ALL_KERNELS)
def test_classifier_beats_chance_on_iris(kernel):
    X, y = load_iris(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    # with finite kernels a few test rows of iris fall outside every class's support: by
    # default predict raises rather than guess; outside_support="prior" answers the prior
    clf = KDEClassifier(kernel=kernel, outside_support="prior")
    assert cross_val_score(clf, X, y, cv=cv, error_score="raise").mean() > 0.9
    # with 30 % of test entries missing, still far above chance (1/3)
    rng = np.random.RandomState(0)
    train = rng.permutation(150)[:100]
    test = np.setdiff1d(np.arange(150), train)
    clf = KDEClassifier(kernel="gaussian" if kernel in FINITE else kernel).fit(X[train], y[train])
    Xt = X[test].copy()
    Xt[rng.uniform(size=Xt.shape) < 0.3] = np.nan
    assert clf.score(Xt, y[test]) > 0.8


def test_classifier_cv_bandwidth_per_class_and_conditional_sampling():
    X, y = _two_classes()
    clf = KDEClassifier(bandwidth="cv", cv=3, random_state=0).fit(X, y)
    assert all(hasattr(d, "cv_scores_") for d in clf.densities_)
    Xs, ys = clf.sample(400, y="b", random_state=0)
    assert (ys == "b").all() and abs(Xs.mean() - 2.0) < 0.3


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_classifier_outside_every_support_raises_for_predict_not_for_score():
    X, y = _two_classes()
    clf = KDEClassifier(kernel="tophat").fit(X, y)
    far = np.array([[50.0, 50.0], [0.0, 0.0]])
    assert np.isneginf(clf.score_samples(far)[0]) and np.isfinite(clf.score_samples(far)[1])
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba, clf.impute):
        with pytest.raises(ValueError, match="zero density under every class"):
            method([[50.0, np.nan]] if method == clf.impute else far)
    lenient = KDEClassifier(kernel="tophat", outside_support="prior", priors=[0.4, 0.6]).fit(X, y)
    np.testing.assert_allclose(lenient.predict_proba(far)[0], [0.4, 0.6], atol=1e-12)
    np.testing.assert_allclose(
        lenient.predict_proba(far)[1], clf.predict_proba(far[1:])[0], atol=1e-12
    )
    assert lenient.predict(far)[0] == "b"
    assert np.isneginf(lenient.score_samples(far)[0])
    with pytest.raises(ValueError, match="zero density under every class"):
        lenient.impute([[50.0, np.nan]])
    with pytest.raises(ValueError, match="outside_support must be one of"):
        KDEClassifier(outside_support="ignore").fit(X, y)


def test_classifier_impute_ignores_classes_of_zero_density():
    X = np.array([[0.0, 0.0], [0.5, 1.0], [10.0, 20.0], [10.5, 21.0]])
    y = [0, 0, 1, 1]
    clf = KDEClassifier(kernel="tophat", bandwidth=1.0).fit(X, y)
    filled = clf.impute([[0.2, np.nan]])
    assert 0.0 <= filled[0, 1] <= 1.0  # only class 0 reaches x1 = 0.2
    drawn = clf.impute([[0.2, np.nan]] * 50, method="sample", random_state=0)
    assert (drawn[:, 1] < 5).all()


def test_classifier_fits_with_missing_values():
    X, y = _two_classes()
    Xm = X.copy()
    Xm[np.random.RandomState(18).uniform(size=X.shape) < 0.2] = np.nan
    clf = KDEClassifier().fit(Xm, y)
    assert np.isfinite(clf.log_joint(Xm)).all()
    assert clf.score(X, y) > 0.8


# -- bad input -------------------------------------------------------------------------------
_X = np.random.RandomState(19).normal(size=(20, 3))


@pytest.mark.parametrize(
    ("params", "X", "error", "match"),
    [
        ({"bandwidth": 0.0}, _X, ValueError, "bandwidth must be > 0"),
        ({"bandwidth": -1.0}, _X, ValueError, "bandwidth must be > 0"),
        ({"bandwidth": np.inf}, _X, TypeError, "bandwidth must be a finite"),
        ({"bandwidth": "normal"}, _X, ValueError, "bandwidth must be one of"),
        ({"bandwidth": [0.1]}, _X, TypeError, "bandwidth must be 'scott'"),
        ({"kernel": "box"}, _X, ValueError, "kernel must be one of"),
        ({"bandwidth": "cv", "cv": 5}, _X[:3], ValueError, "cv=5 folds needs at least 5 rows"),
        ({"bandwidth": "cv", "cv": 1}, _X, ValueError, "cv must be an int >= 2"),
        ({"bandwidth": "cv", "cv": 2.0}, _X, TypeError, "cv must be an int >= 2"),
        ({"bandwidths": [0.1, 0.2]}, _X, ValueError, "only used with bandwidth='cv'"),
        ({"bandwidth": "cv", "bandwidths": [0.1, -0.2]}, _X, ValueError, "finite and > 0"),
        ({"bandwidth": "cv", "bandwidths": []}, _X, ValueError, "non-empty 1-D"),
        ({"scale_floor": -1.0}, _X, ValueError, "scale_floor must be >= 0"),
        ({}, _X[:1], ValueError, "at least 2 rows .* got 1 sample"),
        ({}, np.vstack([_X[:1], np.full((5, 3), np.nan)]), ValueError, "at least 2 rows"),
        ({}, np.column_stack([_X[:, :2], np.r_[1.0, [np.nan] * 19]]), ValueError,
         r"at least 2 observed values in every column; columns \[2\]"),
        ({}, np.ones((5, 3)), ValueError, "every column of X is constant"),
        ({}, np.where(_X > 1, np.inf, _X), ValueError, "infinity"),
    ],
)
def test_bad_parameters_and_training_data_raise_clearly(params, X, error, match):
    with pytest.raises(error, match=match):
        KernelDensity(**params).fit(X)


def test_bad_prediction_input_raises_clearly():
    kde = KernelDensity().fit(_X)
    with pytest.raises(ValueError, match="X has 2 features, but KernelDensity is expecting 3"):
        kde.score_samples(_X[:, :2])
    with pytest.raises(ValueError, match="infinity"):
        kde.score_samples(np.full((1, 3), np.inf))
    with pytest.raises(ValueError, match="method must be one of"):
        kde.impute(_X, method="median")
    with pytest.raises(ValueError, match="n_samples must be a positive int"):
        kde.sample(0)
    clf = KDEClassifier().fit(_X, np.arange(20) % 2)
    with pytest.raises(ValueError, match="X has 2 features, but KDEClassifier is expecting 3"):
        clf.predict(_X[:, :2])
    with pytest.raises(ValueError, match="bandwidth must be > 0"):
        KDEClassifier(bandwidth=0.0).fit(_X, np.arange(20) % 2)


def test_capabilities():
    assert KernelDensity().capabilities == {"density", "sample", "missing_features"}
    assert {"classify", "density", "sample", "conditional_sample", "missing_features"} <= (
        KDEClassifier().capabilities
    )


# -- values whose squares overflow --------------------------------------------------------
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_values_whose_squares_overflow_are_refused_at_fit_naming_the_column(kernel):
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    X_big = X.copy()
    X_big[4, 2] = -1e300
    with pytest.raises(ValueError, match="KernelDensity cannot take column 2 of X"):
        KernelDensity(kernel=kernel).fit(X_big)
    with pytest.raises(ValueError, match="KDEClassifier cannot take column 2 of X"):
        KDEClassifier(kernel=kernel).fit(X_big, y)


def test_far_inputs_at_predict():
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    Q = np.array([[1e300, 0.0, 0.0], [1e20, -1e20, np.nan]])
    # the gaussian kernel squares (x - x_i) / h: refused beyond 1e150, naming the column
    with pytest.raises(ValueError, match="KernelDensity cannot take column 0"):
        KernelDensity().fit(X).score_samples(Q)
    with pytest.raises(ValueError, match="KDEClassifier cannot take column 0"):
        KDEClassifier().fit(X, y).predict_proba(Q)
    proba = KDEClassifier().fit(X, y).predict_proba(Q[1:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # the exponential kernel only takes |x - x_i| / h: valid probabilities even at 1e300
    clf = KDEClassifier(kernel="exponential").fit(X, y)
    proba = clf.predict_proba(Q)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(clf.score_samples(Q)).all()


def test_rows_with_every_entry_missing_leave_the_fit_unchanged():
    X = np.random.RandomState(0).normal(size=(40, 2))
    X[::5, 1] = np.nan
    y = np.arange(40) % 2
    X_empty = np.vstack([X, np.full((6, 2), np.nan)])
    y_empty = np.r_[y, [0] * 6]
    kde, more = KernelDensity().fit(X), KernelDensity().fit(X_empty)
    np.testing.assert_array_equal(more.bandwidth_, kde.bandwidth_)
    np.testing.assert_array_equal(more.X_train_, kde.X_train_)
    clf = KDEClassifier().fit(X_empty, y_empty)
    np.testing.assert_array_equal(clf.class_count_, [26, 20])  # the prior counts them
    for d, r in zip(clf.densities_, KDEClassifier().fit(X, y).densities_, strict=True):
        np.testing.assert_array_equal(d.bandwidth_, r.bandwidth_)


# -- geometry="radial": scikit-learn's KernelDensity, and sample_weight ----------------------------
SK_KERNELS = ("gaussian", "tophat", "epanechnikov", "exponential", "linear", "cosine")


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("kernel", SK_KERNELS)
def test_radial_score_samples_equal_sklearn(kernel, d):
    if kernel == "cosine" and d % 2 == 0:
        pytest.skip("scikit-learn's cosine constant is wrong for even d (see the next test)")
    rng = np.random.RandomState(d)
    X = rng.normal(size=(150, d))
    Q = np.vstack([rng.normal(scale=0.7, size=(60, d)), X[:5]])  # near and at training rows
    h = 1.3
    ours = KernelDensity(kernel=kernel, bandwidth=h, geometry="radial").fit(X)
    # ball_tree: scikit-learn's default kd_tree returns tiny finite values (~e^-38) for
    # some rows outside every finite kernel's support (d = 5), where the density is 0
    sk = SkKernelDensity(kernel=kernel, bandwidth=h, algorithm="ball_tree").fit(X)
    got, want = ours.score_samples(Q), sk.score_samples(Q)
    finite = np.isfinite(want)
    assert finite.sum() > 30
    np.testing.assert_array_equal(np.isfinite(got), finite)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=1e-10)


@pytest.mark.parametrize("kernel", SK_KERNELS)
def test_radial_density_integrates_to_one_in_2d(kernel):
    X = np.array([[0.0, 0.0], [0.5, -0.2]])
    kde = KernelDensity(kernel=kernel, bandwidth=0.7, geometry="radial").fit(X)
    lim = {"exponential": 15.0, "gaussian": 6.0}.get(kernel, 2.0)  # 1 - 1e-6 of the mass
    grid = np.linspace(-lim, lim, 1201)
    a, b = np.meshgrid(grid, grid)
    density = np.exp(kde.score_samples(np.column_stack([a.ravel(), b.ravel()])))
    total = density.sum() * (grid[1] - grid[0]) ** 2  # a Riemann sum
    assert abs(total - 1.0) < 5e-3
    if kernel == "cosine":  # scikit-learn's 2-D cosine constant is off by a factor 2.75
        sk = SkKernelDensity(kernel="cosine", bandwidth=0.7).fit(X)
        ratio = np.exp(kde.score_samples(X) - sk.score_samples(X))
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
        assert abs(ratio[0] - 2.75) < 0.01


@pytest.mark.parametrize("rule", ["scott", "silverman"])
def test_radial_bandwidth_rules_are_sklearns(rule):
    X = np.random.RandomState(0).normal(scale=3.0, size=(200, 3))
    ours = KernelDensity(bandwidth=rule, geometry="radial").fit(X)
    sk = SkKernelDensity(bandwidth=rule).fit(X)
    np.testing.assert_allclose(ours.bandwidth_, np.full(3, sk.bandwidth_), rtol=0, atol=1e-15)
    np.testing.assert_allclose(ours.score_samples(X[:20]), sk.score_samples(X[:20]), atol=1e-10)


@pytest.mark.parametrize("kernel", SK_KERNELS)
def test_radial_sample_weight_equals_sklearn_and_repeated_rows(kernel):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(120, 2))
    w = rng.randint(0, 4, size=120).astype(float)
    Q = rng.normal(scale=0.8, size=(50, 2))
    X3, Q3 = np.column_stack([X, X[::-1, 0]]), np.column_stack([Q, Q[::-1, 1]])  # odd d: cosine
    ours = KernelDensity(kernel=kernel, bandwidth=0.9, geometry="radial").fit(X3, sample_weight=w)
    sk = SkKernelDensity(kernel=kernel, bandwidth=0.9, algorithm="ball_tree").fit(
        X3, sample_weight=w
    )
    repeated = np.repeat(X3, w.astype(int), axis=0)
    rep = KernelDensity(kernel=kernel, bandwidth=0.9, geometry="radial").fit(repeated)
    want = sk.score_samples(Q3)
    finite = np.isfinite(want)
    assert finite.sum() > 20
    got = ours.score_samples(Q3)
    # rows near only zero-weight rows: 0 here, a round-off residue (< e^-30) in scikit-learn
    assert (want[np.isfinite(want) & ~np.isfinite(got)] < -30).all()
    both = finite & np.isfinite(got)
    assert both.sum() > 20
    np.testing.assert_allclose(got[both], want[both], rtol=0, atol=1e-10)
    np.testing.assert_allclose(rep.score_samples(Q3), got, rtol=0, atol=1e-10)


def test_radial_gaussian_marginalizes_nan_and_others_refuse_it():
    rng = np.random.RandomState(2)
    X = rng.normal(size=(100, 3))
    q = np.array([[0.3, np.nan, -0.2]])
    ours = KernelDensity(bandwidth=0.8, geometry="radial").fit(X)
    sk2 = SkKernelDensity(bandwidth=0.8).fit(X[:, [0, 2]])
    np.testing.assert_allclose(
        ours.score_samples(q), sk2.score_samples(q[:, [0, 2]]), rtol=0, atol=1e-10
    )
    assert np.isfinite(ours.impute(q)).all()
    tophat = KernelDensity(kernel="tophat", bandwidth=0.8, geometry="radial").fit(X)
    with pytest.raises(ValueError, match="cannot marginalize"):
        tophat.score_samples(q)
    with pytest.raises(ValueError, match="without NaN"):
        KernelDensity(geometry="radial").fit(np.where(X > 2, np.nan, X))
    with pytest.raises(ValueError, match="geometry"):
        KernelDensity(geometry="spherical").fit(X)


@pytest.mark.parametrize("kernel", SK_KERNELS)
def test_radial_samples_have_the_kernel_s_spread(kernel):
    # one training row at 0: samples are draws of the kernel; E|u|^2 = d * (radial variance)
    d, h = 3, 0.5
    X = np.zeros((2, d))
    X[1] = 1e-9  # two rows (fit needs spread); both at the origin to 1e-9
    kde = KernelDensity(kernel=kernel, bandwidth=h, geometry="radial").fit(X)
    S = kde.sample(20000, random_state=0) / h
    r = np.linalg.norm(S, axis=1)
    if kernel not in ("gaussian", "exponential"):
        assert r.max() < 1.0
    # E r^2 by quadrature of r^(d+1) k(r) / r^(d-1) k(r)
    upper = np.inf if kernel in ("gaussian", "exponential") else 1.0
    prof = lambda t: np.exp(kernels_module.radial_log_profile(kernel, np.array(t * t)))  # noqa: E731
    num = integrate.quad(lambda t: t ** (d + 1) * prof(t), 0, upper)[0]
    den = integrate.quad(lambda t: t ** (d - 1) * prof(t), 0, upper)[0]
    assert abs((r**2).mean() - num / den) < 0.05 * num / den
    assert abs(S.mean(axis=0)).max() < 0.05 * np.sqrt(num / den)


def test_product_sample_weight_is_the_weighted_mixture():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(80, 2))
    X[::7, 1] = np.nan
    w = rng.uniform(0.0, 2.0, size=80)
    w[::5] = 0.0
    kde = KernelDensity(kernel="epanechnikov", bandwidth=0.8).fit(X, sample_weight=w)
    plain = KernelDensity(kernel="epanechnikov", bandwidth=0.8).fit(X)
    assert kde.X_train_.shape[0] == (w > 0).sum()
    # the weighted mixture by hand: each training row's product kernel (missing entries:
    # the weighted marginal KDE of the column) weighted by w / sum(w)
    T, wt = X[w > 0], w[w > 0]
    h = kde.bandwidth_
    Q = rng.normal(scale=0.5, size=(30, 2))
    k = KERNELS["epanechnikov"]
    seen = ~np.isnan(T[:, 1])
    marg = np.exp(k.log_pdf((Q[:, 1, None] - T[seen, 1]) / h[1])) @ (wt[seen] / wt[seen].sum())
    f0 = np.exp(k.log_pdf((Q[:, 0, None] - T[:, 0]) / h[0])) / h[0]
    f1 = np.exp(k.log_pdf((Q[:, 1, None] - T[:, 1]) / h[1])) / h[1]
    f1[:, ~seen] = (marg / h[1])[:, None]
    want = np.log((f0 * f1) @ (wt / wt.sum()))
    got = kde.score_samples(Q)
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=0, atol=1e-10)
    assert not np.allclose(got[finite], plain.score_samples(Q)[finite])
    # sampling picks rows with probability proportional to the weights
    S = KernelDensity(kernel="tophat", bandwidth=0.01).fit(
        np.array([[0.0, 0.0], [10.0, 10.0]]), sample_weight=[1.0, 3.0]
    ).sample(4000, random_state=0)
    assert abs((S[:, 0] > 5).mean() - 0.75) < 0.03


def test_bad_sample_weight_is_refused_by_kde():
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"shape \(20,\)"):
        KernelDensity().fit(X, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match=">= 0"):
        KernelDensity().fit(X, sample_weight=-np.ones(20))
    with pytest.raises(ValueError, match="every sample_weight is zero"):
        KernelDensity(geometry="radial").fit(X, sample_weight=np.zeros(20))


def test_radial_classifier_uses_radial_densities():
    X, y = load_iris(return_X_y=True)
    clf = KDEClassifier(bandwidth=0.5, geometry="radial").fit(X, y)
    sk = [SkKernelDensity(bandwidth=0.5).fit(X[y == k]) for k in range(3)]
    log_joint = np.column_stack([d.score_samples(X) + np.log(1 / 3) for d in sk])
    np.testing.assert_allclose(clf.log_joint(X), log_joint, rtol=0, atol=1e-10)


# -- KDEClassifier(sample_weight): weighted kernels and weighted class counts ----------------------
@pytest.mark.parametrize("geometry", ["radial", "product"])
def test_kde_classifier_sample_weight_equals_repeated_rows_and_sklearn(geometry):
    X, y = load_iris(return_X_y=True)
    w = np.random.RandomState(3).randint(0, 4, size=X.shape[0]).astype(float)
    w[[0, 50, 100]] = 1.0  # every class keeps weight
    kw = dict(kernel="gaussian", bandwidth=0.6, geometry=geometry)
    weighted = KDEClassifier(**kw).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(weighted.class_count_, np.bincount(y, weights=w))
    Q = X + np.random.RandomState(4).normal(scale=0.3, size=X.shape)
    # each class: its own weighted KernelDensity, and the weighted class frequency
    own = np.column_stack([
        np.log(w[y == k].sum() / w.sum())
        + KernelDensity(**kw).fit(X[y == k], sample_weight=w[y == k]).score_samples(Q)
        for k in range(3)
    ])
    np.testing.assert_allclose(weighted.log_joint(Q), own, rtol=0, atol=1e-12)
    if geometry == "radial":
        # one bandwidth in data units: the weights are the repeated rows, and scikit-learn's
        reps = w.astype(int)
        repeated = KDEClassifier(**kw).fit(np.repeat(X, reps, axis=0), np.repeat(y, reps))
        np.testing.assert_allclose(weighted.log_joint(Q), repeated.log_joint(Q), rtol=0,
                                   atol=1e-10)
        want = np.column_stack([
            np.log(w[y == k].sum() / w.sum())
            + SkKernelDensity(bandwidth=0.6, algorithm="ball_tree").fit(
                X[y == k], sample_weight=w[y == k]).score_samples(Q)
            for k in range(3)
        ])
        np.testing.assert_allclose(weighted.log_joint(Q), want, rtol=0, atol=1e-10)
    assert not np.allclose(KDEClassifier(**kw).fit(X, y).log_joint(Q), weighted.log_joint(Q))


def test_kde_classifier_bad_sample_weight_is_refused():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match=r"shape \(150,\)"):
        KDEClassifier().fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match=r"class\(es\) \[2\] is 0"):
        KDEClassifier().fit(X, y, sample_weight=(y < 2).astype(float))
    with pytest.raises(ValueError, match="finite"):
        KDEClassifier().fit(X, y, sample_weight=np.full(150, np.inf))
