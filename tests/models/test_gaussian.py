"""Tests for the Gaussian class-conditional models (QDA / LDA with missing features)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal, norm
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.exceptions import ConvergenceWarning

from gdlab.base import ClassConditional
from gdlab.models.gaussian import GaussianClassifier, GaussianDensity

COVARIANCES = ["full", "tied", "diag", "spherical"]


# -- data helpers --------------------------------------------------------------
def _spd(rng, d, scale=1.0):
    A = rng.normal(size=(d, d))
    return scale * (A @ A.T / d + 0.3 * np.eye(d))


def _three_class_data(seed=0, n_per_class=200, d=3):
    rng = np.random.RandomState(seed)
    means = rng.normal(scale=2.0, size=(3, d))
    covs = [_spd(rng, d) for _ in range(3)]
    X = np.vstack(
        [rng.multivariate_normal(m, S, size=n_per_class) for m, S in zip(means, covs, strict=True)]
    )
    y = np.repeat([0, 1, 2], n_per_class)
    return X, y


def _mcar(X, frac, seed):
    rng = np.random.RandomState(seed)
    X = X.copy()
    X[rng.random_sample(X.shape) < frac] = np.nan
    return X


def _scipy_log_joint(clf, X):
    """log p(x, y=k) from the fitted parameters, computed by scipy (complete rows)."""
    return np.column_stack(
        [
            np.log(p) + multivariate_normal(m, S).logpdf(X)
            for p, m, S in zip(clf.class_prior_, clf.means_, clf.covariances_, strict=True)
        ]
    )


# -- complete data: Bayes' rule and agreement with scikit-learn -------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_predict_proba_is_bayes_rule_with_scipy_densities(covariance):
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance=covariance).fit(X, y)
    lj = _scipy_log_joint(clf, X)
    expected = np.exp(lj - logsumexp(lj, axis=1, keepdims=True))
    np.testing.assert_allclose(clf.predict_proba(X), expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(clf.log_joint(X), lj, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.score_samples(X), logsumexp(lj, axis=1), rtol=1e-10, atol=1e-12)


def test_parameters_are_the_class_mle():
    X, y = _three_class_data()
    clf = GaussianClassifier(reg_covar=0.0).fit(X, y)
    for k in range(3):
        Xk = X[y == k]
        np.testing.assert_allclose(clf.means_[k], Xk.mean(axis=0), atol=1e-12)
        np.testing.assert_allclose(clf.covariances_[k], np.cov(Xk.T, bias=True), atol=1e-12)
    tied = GaussianClassifier(covariance="tied", reg_covar=0.0).fit(X, y)
    pooled = sum(np.cov(X[y == k].T, bias=True) * (y == k).sum() for k in range(3)) / len(y)
    for k in range(3):
        np.testing.assert_allclose(tied.covariances_[k], pooled, atol=1e-12)
    diag = GaussianClassifier(covariance="diag", reg_covar=0.0).fit(X, y)
    sph = GaussianClassifier(covariance="spherical", reg_covar=0.0).fit(X, y)
    for k in range(3):
        np.testing.assert_allclose(diag.covariances_[k], np.diag(X[y == k].var(axis=0)), atol=1e-12)
        np.testing.assert_allclose(
            sph.covariances_[k], X[y == k].var(axis=0).mean() * np.eye(3), atol=1e-12
        )


def test_full_matches_sklearn_qda():
    # scikit-learn >= 1.8 fits QDA covariances by maximum likelihood (divide by n_k),
    # as gdlab does: then the estimates and posteriors agree to rounding. Older
    # versions divide by n_k - 1: then the estimates agree after that rescaling, and
    # with 2000 rows per class the posteriors differ only by O(d / n_k).
    X, y = _three_class_data(n_per_class=2000)
    clf = GaussianClassifier(reg_covar=0.0).fit(X, y)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(X, y)
    np.testing.assert_allclose(clf.means_, qda.means_, atol=1e-12)
    n_k = np.bincount(y)
    qda_is_mle = np.allclose(qda.covariance_[0], np.cov(X[y == 0].T, bias=True), rtol=1e-10)
    factor = np.ones(3) if qda_is_mle else n_k / (n_k - 1)
    for k in range(3):
        np.testing.assert_allclose(
            clf.covariances_[k] * factor[k], qda.covariance_[k], rtol=1e-9, atol=1e-12
        )
    atol = 1e-8 if qda_is_mle else 2e-3
    np.testing.assert_allclose(clf.predict_proba(X), qda.predict_proba(X), atol=atol)
    assert (clf.predict(X) == qda.predict(X)).mean() > 0.999


def test_tied_matches_sklearn_lda_probabilities():
    # sklearn's LDA (svd solver) uses the same pooled MLE covariance and the class
    # frequencies as priors, so the posteriors agree to rounding.
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance="tied", reg_covar=0.0).fit(X, y)
    lda = LinearDiscriminantAnalysis(store_covariance=True).fit(X, y)
    np.testing.assert_allclose(clf.covariances_[0], lda.covariance_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X), lda.predict_proba(X), atol=1e-8)


def test_priors_enter_bayes_rule():
    X, y = _three_class_data()
    priors = np.array([0.7, 0.2, 0.1])
    clf = GaussianClassifier(priors=priors).fit(X, y)
    base = GaussianClassifier().fit(X, y)
    np.testing.assert_allclose(clf.class_prior_, priors, atol=1e-12)
    shift = np.log(priors / base.class_prior_)
    np.testing.assert_allclose(
        clf.log_joint(X) - base.log_joint(X), np.tile(shift, (len(X), 1)), atol=1e-12
    )


class _StandardizedShrunk:
    """scikit-learn's ``shrinkage="auto"`` rule with a given intensity, as an estimator.

    sklearn.discriminant_analysis._cov standardizes the class rows (StandardScaler),
    shrinks the covariance of the standardized rows towards its mean variance times
    the identity, and rescales; "auto" takes the Ledoit-Wolf intensity.
    """

    def __init__(self, shrinkage):
        self.shrinkage = shrinkage

    def fit(self, X, y=None):
        from sklearn.covariance import empirical_covariance, shrunk_covariance
        from sklearn.preprocessing import StandardScaler

        sc = StandardScaler().fit(X)
        s = shrunk_covariance(empirical_covariance(sc.transform(X)), self.shrinkage)
        self.covariance_ = sc.scale_[:, None] * s * sc.scale_[None, :]
        return self


def _wine():
    from sklearn.datasets import load_wine

    return load_wine(return_X_y=True)


def _assert_same_covariance(got, expected):
    # wine's variances span 1e-2..1e5: compare in units of each entry's scale
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    np.testing.assert_allclose(got / scale, expected / scale, rtol=0, atol=1e-10)


def test_tied_auto_shrinkage_equals_sklearn_lsqr_lda_on_wine():
    # sklearn's LDA(solver="lsqr", shrinkage="auto") shrinks each class on its
    # standardized scale and averages the classes by priors_ (the class
    # frequencies, as here); both are maximum-likelihood (biased) covariances.
    X, y = _wine()
    clf = GaussianClassifier(covariance="tied", shrinkage="auto", reg_covar=0.0).fit(X, y)
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto", store_covariance=True)
    lda.fit(X, y)
    for k in range(3):
        _assert_same_covariance(clf.covariances_[k], lda.covariance_)
    np.testing.assert_allclose(clf.predict_proba(X), lda.predict_proba(X), rtol=0, atol=1e-8)
    np.testing.assert_allclose(clf.class_prior_, lda.priors_, rtol=0, atol=1e-15)


def test_auto_intensity_is_ledoit_wolf_on_the_standardized_class_rows():
    from sklearn.covariance import ledoit_wolf_shrinkage
    from sklearn.preprocessing import StandardScaler

    X, y = _wine()
    for covariance in ["full", "tied"]:
        clf = GaussianClassifier(covariance=covariance, shrinkage="auto").fit(X, y)
        for k in range(3):
            Z = StandardScaler().fit_transform(X[y == k])
            np.testing.assert_allclose(
                clf.shrinkage_[k], ledoit_wolf_shrinkage(Z), rtol=0, atol=1e-12
            )


@pytest.mark.parametrize("covariance", ["full", "tied"])
def test_float_shrinkage_is_the_auto_rule_with_a_fixed_intensity(covariance):
    # A float is the same rule as "auto" (standardized scale, target the mean
    # standardized variance), with the intensity given: equal to scikit-learn's LDA
    # with that rule as its covariance estimator. (scikit-learn's own float
    # shrinkage shrinks the raw covariance towards tr(S)/d I, which depends on the
    # units of the features: 0.71 accuracy on wine with 0.3.)
    X, y = _wine()
    clf = GaussianClassifier(covariance=covariance, shrinkage=0.3, reg_covar=0.0).fit(X, y)
    np.testing.assert_array_equal(clf.shrinkage_, [0.3, 0.3, 0.3])
    for k in range(3):
        own = _StandardizedShrunk(0.3).fit(X[y == k]).covariance_
        if covariance == "full":
            _assert_same_covariance(clf.covariances_[k], own)
    if covariance == "tied":
        lda = LinearDiscriminantAnalysis(
            solver="lsqr", covariance_estimator=_StandardizedShrunk(0.3), store_covariance=True
        ).fit(X, y)
        _assert_same_covariance(clf.covariances_[0], lda.covariance_)
        np.testing.assert_allclose(clf.predict_proba(X), lda.predict_proba(X), rtol=0, atol=1e-8)
    # the estimator above is sklearn's "auto" rule: with the LW intensities it is "auto"
    auto = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto", store_covariance=True)
    auto.fit(X, y)
    from sklearn.covariance import ledoit_wolf_shrinkage
    from sklearn.preprocessing import StandardScaler

    own = sum(
        np.mean(y == k)
        * _StandardizedShrunk(
            ledoit_wolf_shrinkage(StandardScaler().fit_transform(X[y == k]))
        ).fit(X[y == k]).covariance_
        for k in range(3)
    )
    _assert_same_covariance(own, auto.covariance_)


@pytest.mark.parametrize("covariance", ["full", "tied"])
@pytest.mark.parametrize("shrinkage", ["auto", 0.1])
def test_shrinkage_does_not_depend_on_the_units_of_the_features(covariance, shrinkage):
    # wine mixes units (proline ~1e3, hue ~1): shrinking on the raw scale took
    # full/"auto" from 1.0 to 0.42 training accuracy
    X, y = _wine()
    clf = GaussianClassifier(covariance=covariance, shrinkage=shrinkage).fit(X, y)
    assert clf.score(X, y) >= 0.95
    units = np.logspace(-3, 3, X.shape[1])
    rescaled = GaussianClassifier(covariance=covariance, shrinkage=shrinkage, reg_covar=0.0)
    rescaled.fit(X * units, y)
    plain = GaussianClassifier(covariance=covariance, shrinkage=shrinkage, reg_covar=0.0)
    plain.fit(X, y)
    np.testing.assert_allclose(
        rescaled.predict_proba(X * units), plain.predict_proba(X), rtol=0, atol=1e-8
    )


# -- inputs far from every class -------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
@pytest.mark.parametrize("scale", [1e20, 1e148])
def test_far_inputs_give_probabilities_that_sum_to_one(covariance, scale):
    # log p(x, y) ~ -1e40 (or -1e300): x - logsumexp(x) lost log(n_classes) and
    # returned [1, 1, 1]
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance=covariance).fit(X, y)
    Q = np.random.RandomState(1).normal(size=(6, 3)) * X.std(axis=0) * scale
    Q[0, 1] = np.nan
    proba = clf.predict_proba(Q)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert np.isfinite(clf.log_joint(Q)).all()
    log_proba = clf.predict_log_proba(Q)
    assert not np.isnan(log_proba).any()
    np.testing.assert_allclose(np.exp(log_proba), proba, rtol=0, atol=1e-12)


@pytest.mark.parametrize("scale", [1e17, 1e20, 1e100])
def test_tied_posterior_far_out_is_the_linear_discriminant(scale):
    # With a shared covariance the class-independent quadratic term x' P x / 2
    # (~1e40 at 1e20) swamps the linear term x' P mu_k (~1e20) that decides the
    # class; the posterior is computed without it, so far out LDA still picks
    # argmax_k x' P mu_k with certainty (before: uniform probabilities, class 0).
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance="tied").fit(X, y)
    Q = np.random.RandomState(2).normal(size=(20, 3))
    P = np.linalg.inv(clf.covariances_[0])
    expected = (Q @ P @ clf.means_.T).argmax(axis=1)
    assert len(set(expected)) > 1
    np.testing.assert_array_equal(clf.predict(Q * scale), clf.classes_[expected])
    proba = clf.predict_proba(Q * scale)
    np.testing.assert_allclose(proba.max(axis=1), 1.0, rtol=0, atol=1e-12)
    # with a missing entry: the same on the observed block
    Qm = Q * scale
    Qm[:, 2] = np.nan
    obs = [0, 1]
    P_oo = np.linalg.inv(clf.covariances_[0][np.ix_(obs, obs)])
    expected_m = (Q[:, obs] @ P_oo @ clf.means_[:, obs].T).argmax(axis=1)
    np.testing.assert_array_equal(clf.predict(Qm), clf.classes_[expected_m])
    # and at ordinary scale the posterior is still Bayes' rule on the log joint
    lj = clf.log_joint(X)
    np.testing.assert_allclose(
        clf.predict_log_proba(X), lj - logsumexp(lj, axis=1, keepdims=True), rtol=0, atol=1e-9
    )


# -- marginalization ------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    d=st.integers(2, 5),
    covariance=st.sampled_from(["full", "tied", "diag"]),
    data=st.data(),
)
def test_missing_columns_are_marginalized_exactly(seed, d, covariance, data):
    missing = data.draw(
        st.lists(st.booleans(), min_size=d, max_size=d).filter(lambda m: 0 < sum(m) < d)
    )
    missing = np.array(missing)
    obs = np.flatnonzero(~missing)
    rng = np.random.RandomState(seed)
    X = np.vstack([rng.multivariate_normal(rng.normal(size=d), _spd(rng, d), 40) for _ in range(2)])
    y = np.repeat([0, 1], 40)
    clf = GaussianClassifier(covariance=covariance).fit(X, y)
    X_test = rng.normal(size=(5, d)) * 2
    X_nan = X_test.copy()
    X_nan[:, missing] = np.nan
    got = clf.log_joint(X_nan)
    # (a) the model restricted to the observed columns, evaluated by scipy
    restricted = np.column_stack(
        [
            np.log(clf.class_prior_[k])
            + multivariate_normal(clf.means_[k, obs], clf.covariances_[k][np.ix_(obs, obs)]).logpdf(
                X_test[:, obs]
            )
            for k in range(2)
        ]
    )
    np.testing.assert_allclose(got, restricted, rtol=1e-9, atol=1e-9)
    # (b) a classifier fitted on the observed columns only (complete data)
    sub = GaussianClassifier(covariance=covariance).fit(X[:, obs], y)
    np.testing.assert_allclose(got, sub.log_joint(X_test[:, obs]), rtol=1e-9, atol=1e-9)


def test_spherical_marginal_is_the_restricted_model():
    # spherical refit on a column subset averages a different set of variances, so
    # only the restriction property (a) holds for it
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance="spherical").fit(X, y)
    X_nan = X[:10].copy()
    X_nan[:, 1] = np.nan
    obs = [0, 2]
    expected = np.column_stack(
        [
            np.log(clf.class_prior_[k])
            + multivariate_normal(clf.means_[k, obs], clf.covariances_[k][np.ix_(obs, obs)])
            .logpdf(X[:10, obs])
            for k in range(3)
        ]
    )
    np.testing.assert_allclose(clf.log_joint(X_nan), expected, rtol=1e-10, atol=1e-12)


def test_mixed_missing_patterns_in_one_call_match_row_by_row():
    X, y = _three_class_data()
    clf = GaussianClassifier().fit(X, y)
    X_nan = _mcar(X[:60], 0.4, seed=3)
    batch = clf.log_joint(X_nan)
    rows = np.vstack([clf.log_joint(X_nan[i : i + 1]) for i in range(60)])
    np.testing.assert_allclose(batch, rows, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_all_missing_row_gives_the_prior(covariance):
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance=covariance, priors=[0.5, 0.3, 0.2]).fit(X, y)
    X_nan = np.full((2, 3), np.nan)
    np.testing.assert_allclose(
        clf.predict_proba(X_nan), np.tile(clf.class_prior_, (2, 1)), atol=1e-12
    )
    np.testing.assert_allclose(clf.score_samples(X_nan), 0.0, atol=1e-12)


@pytest.mark.parametrize("covariance", ["full", "diag", "spherical"])
def test_density_all_missing_scores_zero(covariance):
    X, _ = _three_class_data()
    dens = GaussianDensity(covariance=covariance).fit(X)
    np.testing.assert_array_equal(dens.score_samples(np.full((3, 3), np.nan)), 0.0)
    np.testing.assert_allclose(
        dens.score_samples(X[:5]),
        multivariate_normal(dens.mean_, dens.covariance_).logpdf(X[:5]),
        rtol=1e-10, atol=1e-12
    )


# -- EM with missing data at fit -------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_em_log_likelihood_never_decreases(covariance):
    X, y = _three_class_data(n_per_class=150, d=4)
    X_nan = _mcar(X, 0.3, seed=1)
    clf = GaussianClassifier(covariance=covariance, tol=1e-10, max_iter=200).fit(X_nan, y)
    hist = np.array(clf.log_likelihood_history_)
    assert clf.n_iter_ >= 2 and len(hist) == clf.n_iter_ + 1
    assert np.all(np.diff(hist) >= -1e-10), np.diff(hist).min()
    assert clf.converged_
    # the history is the observed-data log-likelihood of the fitted model, per row
    # with an observed entry (30 % MCAR in 4 columns leaves some rows empty)
    informative = ~np.isnan(X_nan).all(axis=1)
    assert (~informative).sum() > 0
    log_lik = clf.log_joint(X_nan)[np.arange(len(y)), y] - np.log(clf.class_prior_)[y]
    np.testing.assert_allclose(hist[-1], log_lik.sum() / informative.sum(), rtol=1e-9, atol=1e-12)


def test_density_em_never_decreases():
    rng = np.random.RandomState(2)
    X = _mcar(rng.multivariate_normal(np.zeros(4), _spd(rng, 4), 300), 0.3, seed=4)
    for covariance in ["full", "diag", "spherical"]:
        dens = GaussianDensity(covariance=covariance, tol=1e-10).fit(X)
        assert np.all(np.diff(dens.log_likelihood_history_) >= -1e-10)


def test_em_recovers_a_known_gaussian_better_than_mean_imputation():
    # 3000 rows from a strongly correlated Gaussian, 30 % MCAR. Tolerances: mean
    # within 0.08 per entry, covariance within 0.15 in Frobenius norm (the sampling
    # error of the complete-data MLE is ~0.05); mean imputation shrinks the
    # variances by ~30 % and the covariances by ~50 %, so its covariance is far off.
    rng = np.random.RandomState(0)
    mu = np.array([1.0, -2.0, 0.5])
    S = np.array([[2.0, 1.2, 0.6], [1.2, 1.5, 0.9], [0.6, 0.9, 1.0]])
    X = _mcar(rng.multivariate_normal(mu, S, 3000), 0.3, seed=5)
    dens = GaussianDensity().fit(X)
    assert dens.converged_
    np.testing.assert_allclose(dens.mean_, mu, atol=0.08)
    em_err = np.linalg.norm(dens.covariance_ - S)
    assert em_err < 0.15
    X_imp = np.where(np.isnan(X), np.nanmean(X, axis=0), X)
    imp_err = np.linalg.norm(np.cov(X_imp.T, bias=True) - S)
    assert em_err < imp_err / 3
    # the EM mean is at least as good as the per-column observed mean
    assert np.linalg.norm(dens.mean_ - mu) <= np.linalg.norm(np.nanmean(X, axis=0) - mu) + 0.02
    # the classifier's EM agrees with the density's on a one-class problem embedded in two
    y = (np.arange(3000) % 2).astype(int)
    clf = GaussianClassifier(covariance="tied", tol=1e-10, max_iter=500).fit(X, y)
    assert np.linalg.norm(clf.covariances_[0] - S) < 0.15


def test_fit_with_missing_does_not_drop_rows():
    X, y = _three_class_data()
    X_nan = _mcar(X, 0.3, seed=0)
    X_nan[0] = np.nan  # an all-missing row is allowed
    clf = GaussianClassifier().fit(X_nan, y)
    np.testing.assert_array_equal(clf.class_count_, [200, 200, 200])
    assert np.isfinite(clf.means_).all() and np.isfinite(clf.covariances_).all()
    assert np.all(np.linalg.eigvalsh(clf.covariances_) > 0)


def test_never_observed_column_raises():
    X, y = _three_class_data()
    X[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"no observed \(non-NaN\) value in column\(s\) \[1\]"):
        GaussianDensity().fit(X)
    X, y = _three_class_data()
    X[y == 2, 0] = np.nan
    with pytest.raises(ValueError, match="column\\(s\\) \\[0\\] for class index 2"):
        GaussianClassifier().fit(X, y)


# -- ClassConditional(GaussianDensity) is QDA -----------------------------------------
@pytest.mark.parametrize("frac", [0.0, 0.25])
def test_class_conditional_density_equals_full_classifier(frac):
    X, y = _three_class_data(n_per_class=120)
    X = _mcar(X, frac, seed=7)
    X_test = _mcar(_three_class_data(seed=1, n_per_class=20)[0], 0.3, seed=8)
    # tol=0 runs exactly max_iter EM iterations in both, so with NaN they take the
    # same iterates per class (the classifier's "full" EM is per class, too)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cc = ClassConditional(GaussianDensity(tol=0.0, max_iter=40)).fit(X, y)
        clf = GaussianClassifier(covariance="full", tol=0.0, max_iter=40).fit(X, y)
    for k, dens in enumerate(cc.densities_):
        np.testing.assert_allclose(dens.mean_, clf.means_[k], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dens.covariance_, clf.covariances_[k], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cc.predict_proba(X_test), clf.predict_proba(X_test), atol=1e-10)
    np.testing.assert_allclose(
        cc.score_samples(X_test), clf.score_samples(X_test), rtol=1e-10, atol=1e-12
    )
    np.testing.assert_allclose(cc.impute(X_test), clf.impute(X_test), rtol=1e-10, atol=1e-12)


def test_convergence_warning_when_em_stops_early():
    X, y = _three_class_data()
    X = _mcar(X, 0.3, seed=0)
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        clf = GaussianClassifier(max_iter=2, tol=0.0).fit(X, y)
    assert not clf.converged_ and clf.n_iter_ == 2


# -- sampling ----------------------------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_sample_then_refit_recovers_parameters(covariance):
    # 20 000 draws: mean and covariance entries have standard errors ~0.02;
    # tolerance 0.1 absolute.
    X, y = _three_class_data()
    clf = GaussianClassifier(covariance=covariance).fit(X, y)
    Xs, ys = clf.sample(20_000, random_state=0)
    assert Xs.shape == (20_000, 3)
    np.testing.assert_allclose(np.bincount(ys) / 20_000, clf.class_prior_, atol=0.015)
    refit = GaussianClassifier(covariance=covariance).fit(Xs, ys)
    np.testing.assert_allclose(refit.means_, clf.means_, atol=0.1)
    np.testing.assert_allclose(refit.covariances_, clf.covariances_, atol=0.1)


def test_conditional_sample_and_seed():
    X, y = _three_class_data()
    clf = GaussianClassifier().fit(X, y)
    Xs, ys = clf.sample(2000, y=1, random_state=3)
    assert np.all(ys == 1)
    np.testing.assert_allclose(Xs.mean(axis=0), clf.means_[1], atol=0.15)
    a, _ = clf.sample(50, random_state=42)
    b, _ = clf.sample(50, random_state=42)
    c, _ = clf.sample(50, random_state=43)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_density_sample_then_refit():
    rng = np.random.RandomState(0)
    S = _spd(rng, 3)
    dens = GaussianDensity().fit(rng.multivariate_normal([1, 2, 3], S, 500))
    Xs = dens.sample(20_000, random_state=1)
    refit = GaussianDensity().fit(Xs)
    np.testing.assert_allclose(refit.mean_, dens.mean_, atol=0.05)
    np.testing.assert_allclose(refit.covariance_, dens.covariance_, atol=0.1)
    np.testing.assert_array_equal(dens.sample(5, random_state=9), dens.sample(5, random_state=9))


# -- imputation -----------------------------------------------------------------------
def test_impute_mean_is_the_posterior_weighted_conditional_mean_2d():
    rng = np.random.RandomState(0)
    X = np.vstack(
        [
            rng.multivariate_normal([0, 0], [[1.0, 0.8], [0.8, 1.0]], 300),
            rng.multivariate_normal([1.5, -1], [[0.5, -0.3], [-0.3, 2.0]], 200),
        ]
    )
    y = np.repeat([0, 1], [300, 200])
    clf = GaussianClassifier().fit(X, y)
    X_nan = np.array([[0.7, np.nan], [np.nan, -0.4], [1.0, 2.0]])
    out = clf.impute(X_nan)
    m, S, p = clf.means_, clf.covariances_, clf.class_prior_
    for i, (o, u) in enumerate([(0, 1), (1, 0)]):
        x = X_nan[i, o]
        w = np.array([p[k] * norm(m[k, o], np.sqrt(S[k, o, o])).pdf(x) for k in range(2)])
        w /= w.sum()
        cond = [m[k, u] + S[k, u, o] / S[k, o, o] * (x - m[k, o]) for k in range(2)]
        np.testing.assert_allclose(out[i, u], w @ cond, rtol=1e-10, atol=1e-12)
        assert out[i, o] == X_nan[i, o]
    np.testing.assert_array_equal(out[2], X_nan[2])


def test_impute_sample_keeps_observed_and_follows_conditional():
    rng = np.random.RandomState(0)
    S = np.array([[1.0, 0.9], [0.9, 1.0]])
    dens = GaussianDensity().fit(rng.multivariate_normal([0, 0], S, 2000))
    X_nan = np.tile([[1.0, np.nan]], (4000, 1))
    draws = dens.impute(X_nan, method="sample", random_state=0)
    np.testing.assert_array_equal(draws[:, 0], 1.0)
    C = dens.covariance_
    cmean = dens.mean_[1] + C[1, 0] / C[0, 0] * (1.0 - dens.mean_[0])
    cvar = C[1, 1] - C[1, 0] ** 2 / C[0, 0]
    assert abs(draws[:, 1].mean() - cmean) < 0.03
    assert abs(draws[:, 1].var() - cvar) < 0.03
    mean_fill = dens.impute(X_nan[:1])
    np.testing.assert_allclose(mean_fill[0, 1], cmean, rtol=1e-10, atol=1e-12)


# -- bad input --------------------------------------------------------------------------
@pytest.fixture
def fitted():
    X, y = _three_class_data(n_per_class=30)
    return GaussianClassifier().fit(X, y), X, y


def test_bad_data(fitted):
    clf, X, y = fitted
    with pytest.raises(ValueError, match="Expected 2D array"):
        GaussianClassifier().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="X has 2 features, but GaussianClassifier is expecting 3"):
        clf.predict(X[:, :2])
    X_inf = X.copy()
    X_inf[0, 0] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        GaussianClassifier().fit(X_inf, y)
    with pytest.raises(ValueError, match="could not convert string to float"):
        GaussianClassifier().fit([["a", "b"], ["c", "d"]], [0, 1])
    with pytest.raises(ValueError, match="0 sample"):
        GaussianClassifier().fit(np.empty((0, 3)), [])
    with pytest.raises(ValueError, match="at least 2 classes"):
        GaussianClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Expected 2D array"):
        GaussianDensity().fit(X[:, 0])
    with pytest.raises(ValueError, match="Input X contains infinity"):
        GaussianDensity().fit(X_inf)


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"covariance": "banana"}, ValueError, "covariance must be one of"),
        ({"shrinkage": 1.5}, ValueError, r"shrinkage must be None, 'auto' or a float in \[0, 1\]"),
        ({"shrinkage": -0.1}, ValueError, "shrinkage must be"),
        ({"shrinkage": "lw"}, ValueError, "shrinkage must be"),
        ({"shrinkage": [0.1]}, TypeError, "shrinkage must be"),
        ({"priors": [0.5, 0.4, 0.4]}, ValueError, "priors must be non-negative and sum to 1"),
        ({"priors": [-0.2, 0.6, 0.6]}, ValueError, "priors must be non-negative"),
        ({"priors": [0.5, 0.5]}, ValueError, r"priors must have shape \(3,\)"),
        ({"reg_covar": -1.0}, ValueError, "reg_covar must be >= 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be an int >= 1"),
        ({"max_iter": 2.5}, TypeError, "max_iter must be an int >= 1"),
        ({"tol": "x"}, TypeError, "tol must be a finite real number"),
    ],
)
def test_bad_params_raise_at_fit(fitted, params, error, match):
    _, X, y = fitted
    clf = GaussianClassifier(**params)  # __init__ stores, never validates
    with pytest.raises(error, match=match):
        clf.fit(X, y)


def test_density_bad_params():
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="covariance must be one of"):
        GaussianDensity(covariance="tied").fit(X)
    with pytest.raises(ValueError, match="reg_covar must be >= 0"):
        GaussianDensity(reg_covar=-1).fit(X)


def test_capabilities():
    assert GaussianClassifier().capabilities == {
        "classify", "density", "sample", "conditional_sample", "missing_features"
    }
    assert GaussianDensity().capabilities == {"density", "sample", "missing_features"}
    assert ClassConditional(GaussianDensity()).capabilities >= {"missing_features", "density"}


# -- impute by drawing: the class comes from the posterior, the values from the conditional --
def test_impute_sample_draws_the_posterior_mixture():
    """Many draws for one ambiguous row reproduce the mixture mean and variance.

    The mixture weights are the posterior p(k | x_obs), far from the prior here, so drawing
    the class from the prior, taking the argmax class, or always class 0 all fail.
    """
    rng = np.random.RandomState(0)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    X = np.vstack(
        [rng.multivariate_normal([0, 0], cov, 900), rng.multivariate_normal([3, 6], cov, 100)]
    )
    y = np.repeat([0, 1], [900, 100])
    model = GaussianClassifier(covariance="tied").fit(X, y)
    row = np.array([[1.9, np.nan]])
    post = model.predict_proba(row)[0]
    assert 0.2 < post[0] < 0.8  # ambiguous, and far from the prior (0.9, 0.1)
    S = model.covariances_[0]
    cmean = model.means_[:, 1] + S[1, 0] / S[0, 0] * (1.9 - model.means_[:, 0])
    cvar = S[1, 1] - S[1, 0] ** 2 / S[0, 0]
    mix_mean = post @ cmean
    mix_var = post @ (cvar + cmean**2) - mix_mean**2
    draws = model.impute(np.repeat(row, 40_000, axis=0), method="sample", random_state=1)[:, 1]
    assert abs(draws.mean() - mix_mean) < 0.03
    assert abs(draws.var() - mix_var) / mix_var < 0.03


class _ZeroUniform(np.random.RandomState):
    """A generator whose uniform draws are exactly 0, the edge of the inverse-CDF draw."""

    def random_sample(self, size=None):
        return np.zeros(size)


def test_impute_sample_never_draws_a_class_of_zero_posterior():
    X, y = _three_class_data()
    model = GaussianClassifier(priors=[0.0, 0.5, 0.5]).fit(X, y)
    Xq = X[y == 2][:5].copy()
    Xq[:, 0] = np.nan
    assert np.all(model.predict_proba(Xq)[:, 0] == 0.0)
    drawn = model.impute(Xq, method="sample", random_state=_ZeroUniform(0))
    # u = 0 must select the first class with positive probability (class 1), never class 0;
    # _ZeroUniform consumes no state for u, so the same seed reproduces the value draws
    from_class_1 = model._conditional_draw(Xq, np.ones(len(Xq), dtype=int), _ZeroUniform(0))
    from_class_0 = model._conditional_draw(Xq, np.zeros(len(Xq), dtype=int), _ZeroUniform(0))
    np.testing.assert_array_equal(drawn, from_class_1)
    assert not np.allclose(drawn, from_class_0)


def test_conditional_draws_have_the_joint_conditional_covariance():
    rng = np.random.RandomState(3)
    S = _spd(rng, 5)
    mu = rng.normal(size=5)
    density = GaussianDensity().fit(rng.multivariate_normal(mu, S, 4000))
    m, o = [1, 3], [0, 2, 4]
    C, Mu = density.covariance_, density.mean_
    x_o = np.array([0.5, -1.0, 2.0])
    coef = np.linalg.solve(C[np.ix_(o, o)], C[np.ix_(o, m)])
    cond_cov = C[np.ix_(m, m)] - C[np.ix_(m, o)] @ coef
    cond_mean = Mu[m] + (x_o - Mu[o]) @ coef
    row = np.full((1, 5), np.nan)
    row[0, o] = x_o
    draws = density.impute(np.repeat(row, 60_000, axis=0), method="sample", random_state=0)[:, m]
    np.testing.assert_allclose(draws.mean(axis=0), cond_mean, atol=0.02)
    # the off-diagonal term matters: a diagonal-only conditional covariance fails here
    np.testing.assert_allclose(np.cov(draws.T), cond_cov, atol=0.02)
    assert abs(cond_cov[0, 1]) > 0.1


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_auto_shrinkage_with_too_few_complete_rows_uses_mean_imputed_rows():
    from sklearn.covariance import ledoit_wolf_shrinkage
    from sklearn.preprocessing import StandardScaler

    X, y = _three_class_data(n_per_class=25, d=4)
    Xm = X.copy()
    Xm[(y == 0), 0] = np.nan
    Xm[np.flatnonzero(y == 0)[0], 0] = 1.0  # one complete row in class 0
    full = GaussianClassifier(shrinkage="auto", reg_covar=1e-6, max_iter=5).fit(Xm, y)
    Xk = Xm[y == 0]
    filled = np.where(np.isnan(Xk), np.nanmean(Xk, axis=0), Xk)
    lw0 = ledoit_wolf_shrinkage(StandardScaler().fit_transform(filled))
    assert full.shrinkage_[0] == pytest.approx(lw0, abs=1e-12)
    assert full.shrinkage_[0] > 0


@pytest.mark.parametrize(
    ("covariance", "shrinkage", "match"),
    [("spherical", 0.5, "no effect on a spherical"), ("spherical", "auto", "no effect"),
     ("diag", "auto", "no effect on a diagonal"), ("diag", 0.5, "no effect on a diagonal")],
)
def test_shrinkage_only_where_it_acts(covariance, shrinkage, match):
    # on the standardized scale a diagonal covariance is already the identity
    X, y = _three_class_data()
    with pytest.raises(ValueError, match=match):
        GaussianClassifier(covariance=covariance, shrinkage=shrinkage).fit(X, y)


@pytest.mark.parametrize("covariance", ["full", "tied", "diag"])  # spherical averages variances
def test_singular_covariance_is_a_clear_error_not_nan(covariance):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 3))
    X[:, 2] = 5.0  # constant feature: zero variance in every class
    y = np.arange(60) % 2
    with pytest.raises(ValueError, match="singular or not finite.*increase reg_covar"):
        GaussianClassifier(covariance=covariance, reg_covar=0.0).fit(X, y)
    model = GaussianClassifier(covariance=covariance).fit(X, y)  # the default floor copes
    assert np.isfinite(model.predict_proba(X)).all()
    collinear = np.column_stack([X[:, 0], 2 * X[:, 0]]) * 1e6
    with pytest.raises(ValueError, match="singular"):
        GaussianDensity(covariance="full", reg_covar=0.0).fit(collinear)


# -- values whose squares overflow --------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_values_whose_squares_overflow_are_refused_naming_the_column(covariance):
    import pandas as pd

    X, y = _three_class_data(n_per_class=20)
    X_big = X.copy()
    X_big[5, 2] = 1e300
    shrinkage = "auto" if covariance in ("full", "tied") else None
    clf = GaussianClassifier(covariance=covariance, shrinkage=shrinkage)
    with pytest.raises(ValueError, match=r"column 2 of X.*1e\+300"):
        clf.fit(X_big, y)
    df = pd.DataFrame(X_big, columns=["a", "b", "c"])
    with pytest.raises(ValueError, match="column 2 \\('c'\\)"):
        GaussianClassifier(covariance=covariance).fit(df, y)
    X_nan = _mcar(X_big, 0.2, seed=0)
    X_nan[5, 2] = -1e300
    with pytest.raises(ValueError, match="column 2"):
        GaussianClassifier(covariance=covariance).fit(X_nan, y)
    if covariance != "tied":
        with pytest.raises(ValueError, match="column 2"):
            GaussianDensity(covariance=covariance).fit(X_big)
    # at predict: refused as well (log p(x, y) would overflow), with the column
    fitted = GaussianClassifier(covariance=covariance).fit(X, y)
    for method in ("predict", "predict_proba", "predict_log_proba", "log_joint",
                   "score_samples", "impute"):
        with pytest.raises(ValueError, match="column 2"):
            getattr(fitted, method)(X_big[:6])
    with pytest.raises(ValueError, match="column 2"):
        GaussianDensity().fit(X).score_samples(X_big[:6])


def test_log_joint_that_overflows_is_a_clear_error_not_nan():
    # |x| within the limit but 1e150 standard deviations out in a narrow feature
    X, y = _three_class_data(n_per_class=20)
    X = X * 1e-30
    Q = np.full((1, 3), 1e150)
    for covariance in ["full", "diag", "spherical"]:
        clf = GaussianClassifier(covariance=covariance, reg_covar=0.0).fit(X, y)
        for method in ("predict_proba", "predict"):
            with pytest.raises(ValueError, match="too far from every class.*rescale"):
                getattr(clf, method)(Q)
    # tied: Bayes' rule needs only the linear term x' P mu_k, which stays finite
    clf = GaussianClassifier(covariance="tied", reg_covar=0.0).fit(X, y)
    proba = clf.predict_proba(Q)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# -- rows with every entry missing ---------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
def test_rows_with_every_entry_missing_leave_the_parameters_unchanged(covariance):
    X, y = _three_class_data(n_per_class=60, d=3)
    X_nan = _mcar(X, 0.3, seed=2)
    X_nan[np.isnan(X_nan).all(axis=1), 0] = 0.0
    empty_rows = np.full((12, 3), np.nan)
    y_empty = np.array([0] * 8 + [2] * 4)
    kw = dict(covariance=covariance, tol=1e-8, max_iter=300)
    base = GaussianClassifier(**kw).fit(X_nan, y)
    clf = GaussianClassifier(**kw).fit(np.vstack([X_nan, empty_rows]), np.r_[y, y_empty])
    np.testing.assert_allclose(clf.means_, base.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(clf.covariances_, base.covariances_, rtol=0, atol=1e-10)
    # the class prior counts the labelled empty rows: p(x_empty, y) = p(y)
    np.testing.assert_array_equal(clf.class_count_, base.class_count_ + [8, 0, 4])
    np.testing.assert_allclose(
        clf.class_prior_, clf.class_count_ / clf.class_count_.sum(), atol=1e-12
    )
    hist = np.array(clf.log_likelihood_history_)
    np.testing.assert_allclose(hist, base.log_likelihood_history_, rtol=0, atol=1e-10)
    assert np.all(np.diff(hist) >= -1e-10)
    if covariance != "tied":
        dens = GaussianDensity(covariance=covariance, tol=1e-8).fit(X_nan)
        more = GaussianDensity(covariance=covariance, tol=1e-8).fit(np.vstack([X_nan, empty_rows]))
        np.testing.assert_allclose(more.mean_, dens.mean_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(more.covariance_, dens.covariance_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(
            more.log_likelihood_history_, dens.log_likelihood_history_, rtol=0, atol=1e-10
        )


def _reference_class_em(X, y, covariance, n_iter, reg_covar):
    """EM for one Gaussian per class with missing entries, row by row: history and
    parameters after ``n_iter`` M-steps from the class-mean-imputed MLE."""
    classes = np.unique(y)
    d = X.shape[1]

    def m_step(stats):
        means = np.array([s1 / n for n, s1, _ in stats])
        covs = np.array(
            [s2 / n - np.outer(mu, mu) for (n, _, s2), mu in zip(stats, means, strict=True)]
        )
        if covariance == "tied":
            n = np.array([s[0] for s in stats])
            covs = np.broadcast_to(np.tensordot(n / n.sum(), covs, axes=1), covs.shape)
        return means, (covs + covs.transpose(0, 2, 1)) / 2 + reg_covar * np.eye(d)

    init = []
    for c in classes:
        Xc = X[y == c]
        Xc = np.where(np.isnan(Xc), np.nanmean(Xc, axis=0), Xc)
        init.append((len(Xc), Xc.sum(axis=0), Xc.T @ Xc))
    means, covs = m_step(init)
    history = []
    for t in range(n_iter + 1):
        ll, stats = 0.0, []
        for k, c in enumerate(classes):
            n, s1, s2 = 0, np.zeros(d), np.zeros((d, d))
            for x in X[y == c]:
                o, m = ~np.isnan(x), np.isnan(x)
                S, mu = covs[k], means[k]
                ll += multivariate_normal.logpdf(x[o], mu[o], S[np.ix_(o, o)])
                B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
                x_hat, C = x.copy(), np.zeros((d, d))
                x_hat[m] = mu[m] + B @ (x[o] - mu[o])
                C[np.ix_(m, m)] = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
                n, s1, s2 = n + 1, s1 + x_hat, s2 + np.outer(x_hat, x_hat) + C
            stats.append((n, s1, s2))
        history.append(ll / len(X))
        if t < n_iter:
            means, covs = m_step(stats)
    return history, means, covs


@pytest.mark.parametrize("covariance", ["full", "tied"])
def test_nan_em_equals_a_row_by_row_reference(covariance):
    """The class EM's stacked E-step over missing patterns (gaussian_patterns.PatternGroups) is
    exact EM: the same history and parameters as a per-row loop."""
    rng = np.random.RandomState(21)
    X = rng.normal(size=(150, 4)) @ rng.normal(size=(4, 4)) + 2.0
    y = rng.randint(0, 3, size=150)
    X[y == 1] += 1.5
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0  # every row has an observed entry
    clf = GaussianClassifier(covariance=covariance, tol=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    history, means, covs = _reference_class_em(X, y, covariance, 5, clf.reg_covar)
    np.testing.assert_allclose(clf.log_likelihood_history_, history, rtol=0, atol=1e-10)
    np.testing.assert_allclose(clf.means_, means, rtol=0, atol=1e-10)
    np.testing.assert_allclose(clf.covariances_, covs, rtol=0, atol=1e-10)


# -- sample_weight: weighted statistics and weighted EM equal repeated rows ------------------------
@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("covariance", ["full", "tied", "diag", "spherical"])
def test_integer_sample_weight_equals_repeated_rows(covariance, missing):
    X, y = _three_class_data(seed=4, n_per_class=80)
    if missing:
        X = _mcar(X, 0.3, seed=5)
    w = np.random.RandomState(6).randint(0, 4, size=X.shape[0])
    kw = dict(covariance=covariance, tol=1e-10, max_iter=1000)
    weighted = GaussianClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = GaussianClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.class_count_, repeated.class_count_, rtol=0, atol=1e-12)
    for name in ("class_prior_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(repeated, name), rtol=0, atol=1e-9
        )
    np.testing.assert_allclose(
        weighted.log_likelihood_history_, repeated.log_likelihood_history_, rtol=0, atol=1e-10
    )
    X_test = _mcar(_three_class_data(seed=7, n_per_class=20)[0], 0.3, seed=8)
    np.testing.assert_allclose(
        weighted.predict_proba(X_test), repeated.predict_proba(X_test), rtol=0, atol=1e-9
    )


@pytest.mark.parametrize("missing", [False, True])
def test_density_sample_weight_equals_repeated_rows(missing):
    X = _three_class_data(seed=1, n_per_class=60)[0]
    if missing:
        X = _mcar(X, 0.3, seed=2)
    w = np.random.RandomState(3).randint(0, 3, size=X.shape[0])
    weighted = GaussianDensity(tol=1e-10).fit(X, sample_weight=w)
    repeated = GaussianDensity(tol=1e-10).fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(weighted.mean_, repeated.mean_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.covariance_, repeated.covariance_, rtol=0, atol=1e-9)


def test_unit_weights_equal_the_unweighted_fit_and_sklearn_qda():
    X, y = _three_class_data(seed=2)
    plain = GaussianClassifier(reg_covar=0).fit(X, y)
    ones = GaussianClassifier(reg_covar=0).fit(X, y, sample_weight=np.ones(len(y)))
    np.testing.assert_allclose(ones.covariances_, plain.covariances_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(ones.means_, plain.means_, rtol=0, atol=1e-12)
    # scikit-learn's QDA/LDA take no sample_weight: integer weights against QDA on repeats
    w = np.random.RandomState(0).randint(1, 4, size=len(y))
    weighted = GaussianClassifier(reg_covar=0).fit(X, y, sample_weight=w)
    qda = QuadraticDiscriminantAnalysis(store_covariance=True).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    np.testing.assert_allclose(weighted.means_, qda.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(
        weighted.predict_proba(X), qda.predict_proba(X), rtol=0, atol=1e-8
    )


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (np.ones(5), ValueError, r"shape \(600,\)"),
        (-np.ones(600), ValueError, ">= 0"),
        (np.zeros(600), ValueError, "every sample_weight is zero"),
        (np.full(600, np.inf), ValueError, "finite"),
        (["x"] * 600, TypeError, "real numbers"),
        (np.r_[np.zeros(200), np.ones(400)], ValueError, "class index 0 is zero"),
    ],
)
def test_bad_sample_weight_is_refused(weights, error, match):
    X, y = _three_class_data(seed=0)
    with pytest.raises(error, match=match):
        GaussianClassifier().fit(X, y, sample_weight=weights)


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("covariance", ["full", "tied"])
def test_auto_shrinkage_with_integer_weights_equals_repeated_rows(covariance, missing):
    X, y = _three_class_data(seed=3, n_per_class=60, d=4)
    if missing:
        X = _mcar(X, 0.2, seed=4)
    w = np.random.RandomState(5).randint(0, 4, size=len(y))
    kw = dict(covariance=covariance, shrinkage="auto", tol=1e-10, max_iter=1000)
    weighted = GaussianClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = GaussianClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert (weighted.shrinkage_ > 0).all()
    np.testing.assert_allclose(weighted.shrinkage_, repeated.shrinkage_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(weighted.covariances_, repeated.covariances_, rtol=0, atol=1e-9)
