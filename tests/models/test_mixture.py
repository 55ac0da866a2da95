"""Gaussian mixtures: EM with missing data, marginalization, sampling, partial_fit, classifier."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as SkGaussianMixture

from gdlab.base import ClassConditional
from gdlab.capability_tags import capabilities
from gdlab.models.gaussian import GaussianDensity
from gdlab.models.mixture import GaussianMixture, GaussianMixtureBIC, GMMClassifier

COVARIANCES = ("full", "tied", "diag", "spherical")

# a known 3-component mixture in 3-D
TRUE_W = np.array([0.5, 0.3, 0.2])
TRUE_MU = np.array([[0.0, 0.0, 0.0], [5.0, 5.0, 0.0], [0.0, 6.0, 5.0]])
TRUE_COV = np.array(
    [
        [[1.0, 0.6, 0.2], [0.6, 1.5, 0.3], [0.2, 0.3, 0.8]],
        [[0.8, -0.3, 0.0], [-0.3, 1.0, 0.4], [0.0, 0.4, 1.2]],
        [[1.2, 0.0, 0.5], [0.0, 0.7, 0.0], [0.5, 0.0, 1.0]],
    ]
)


def draw_mixture(n, seed):
    rng = np.random.RandomState(seed)
    z = rng.choice(3, size=n, p=TRUE_W)
    L = np.linalg.cholesky(TRUE_COV)
    X = TRUE_MU[z] + np.einsum("nij,nj->ni", L[z], rng.standard_normal((n, 3)))
    return X, z


def mcar(X, rate, seed):
    rng = np.random.RandomState(seed)
    Xm = X.copy()
    Xm[rng.uniform(size=X.shape) < rate] = np.nan
    empty = np.isnan(Xm).all(axis=1)
    Xm[empty, 0] = X[empty, 0]  # keep one entry of each row observed
    return Xm


def match(means):
    """Permutation of fitted components that best matches TRUE_MU."""
    return min(
        itertools.permutations(range(3)),
        key=lambda p: np.abs(means[list(p)] - TRUE_MU).sum(),
    )


@pytest.fixture(scope="module")
def data():
    X, z = draw_mixture(3000, 0)
    return X, z, mcar(X, 0.3, 1)


def test_capabilities():
    assert capabilities(GaussianMixture()) == {
        "density", "sample", "missing_features", "partial_fit"
    }
    assert "partial_fit" in capabilities(GMMClassifier())
    assert "partial_fit" not in capabilities(GMMClassifier(select="bic"))
    assert not hasattr(GMMClassifier(select="bic"), "partial_fit")


# -- EM ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("covariance", COVARIANCES)
@pytest.mark.parametrize("missing", [False, True])
def test_em_log_likelihood_never_decreases(data, covariance, missing):
    X, _, Xm = data
    Z = (Xm if missing else X)[:800]
    gmm = GaussianMixture(
        3, covariance=covariance, tol=0, max_iter=30, reg_covar=0.0, random_state=0,
        init_params="random", means_init=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm.fit(Z)
    history = np.array(gmm.log_likelihood_history_)
    assert len(history) == gmm.n_iter_ == 30
    assert np.all(np.diff(history) >= -1e-9), np.diff(history).min()
    assert history[-1] > history[0] + 0.01  # it did move
    # the last entry is the log-likelihood of the parameters before the last M-step
    assert gmm.score(Z) >= history[-1] - 1e-9


def test_nan_em_recovers_the_mixture_and_beats_mean_imputation(data):
    X, _, Xm = data
    assert 0.25 < np.isnan(Xm).mean() < 0.35
    gmm = GaussianMixture(3, n_init=3, tol=1e-6, max_iter=500, random_state=0).fit(Xm)
    p = list(match(gmm.means_))
    # tolerance: ~5 standard errors of a mean / covariance entry from 3000 rows, 30 % missing
    np.testing.assert_allclose(gmm.weights_[p], TRUE_W, atol=0.03)
    np.testing.assert_allclose(gmm.means_[p], TRUE_MU, atol=0.15)
    np.testing.assert_allclose(gmm.covariances_[p], TRUE_COV, atol=0.25)

    filled = np.where(np.isnan(Xm), np.nanmean(Xm, axis=0), Xm)
    imputed = GaussianMixture(3, n_init=3, tol=1e-6, max_iter=500, random_state=0).fit(filled)
    X_test, _ = draw_mixture(2000, 7)
    assert gmm.score(X_test) > imputed.score(X_test) + 0.1
    X_test_m = mcar(X_test, 0.3, 8)
    assert gmm.score(X_test_m) > imputed.score(X_test_m)


def test_single_component_nan_em_equals_gaussian_density(data):
    _, _, Xm = data
    gmm = GaussianMixture(1, tol=1e-10, max_iter=1000, reg_covar=0.0).fit(Xm[:500])
    gauss = GaussianDensity(tol=1e-10, max_iter=1000, reg_covar=0.0).fit(Xm[:500])
    # both EMs stop within tol of the same fixed point
    np.testing.assert_allclose(gmm.means_[0], gauss.mean_, atol=1e-4)
    np.testing.assert_allclose(gmm.covariances_[0], gauss.covariance_, atol=1e-4)
    np.testing.assert_allclose(gmm.score_samples(Xm[:50]), gauss.score_samples(Xm[:50]), atol=1e-5)
    np.testing.assert_allclose(gmm.impute(Xm[:50]), gauss.impute(Xm[:50]), atol=1e-4)


def test_n_init_keeps_the_best_lower_bound(data):
    X, _, _ = data
    kw = dict(init_params="random", max_iter=5, tol=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        singles = [GaussianMixture(3, random_state=s, **kw).fit(X).lower_bound_ for s in range(3)]
        best = GaussianMixture(3, n_init=4, random_state=0, **kw).fit(X).lower_bound_
    assert best >= singles[0] - 1e-12


# -- marginalization ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def fitted(data):
    X, _, _ = data
    return GaussianMixture(3, random_state=0).fit(X)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 10_000),
    observed=st.lists(st.booleans(), min_size=3, max_size=3).filter(any),
)
def test_marginal_density_is_the_mixture_of_marginals(fitted, seed, observed):
    obs = np.flatnonzero(observed)
    x = np.random.RandomState(seed).normal(2.0, 3.0, size=3)
    x_nan = x.copy()
    x_nan[~np.array(observed)] = np.nan
    expected = logsumexp(
        [
            np.log(w) + multivariate_normal(m[obs], S[np.ix_(obs, obs)]).logpdf(x[obs])
            for w, m, S in zip(fitted.weights_, fitted.means_, fitted.covariances_, strict=True)
        ]
    )
    np.testing.assert_allclose(
        fitted.score_samples(x_nan[None])[0], expected, rtol=1e-9, atol=1e-12
    )


def test_all_missing_row_scores_zero_and_gets_the_weights(fitted):
    empty = np.full((2, 3), np.nan)
    np.testing.assert_allclose(fitted.score_samples(empty), 0.0, atol=1e-12)
    np.testing.assert_allclose(
        fitted.predict_proba(empty), np.tile(fitted.weights_, (2, 1)), atol=1e-12
    )


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_matches_sklearn_given_the_same_parameters(data, covariance):
    X, _, Xm = data
    gmm = GaussianMixture(3, covariance=covariance, random_state=0).fit(Xm)
    sk = SkGaussianMixture(3, covariance_type="full")
    sk.weights_, sk.means_, sk.covariances_ = gmm.weights_, gmm.means_, gmm.covariances_
    sk.precisions_cholesky_ = np.linalg.cholesky(np.linalg.inv(gmm.covariances_))
    sk.n_features_in_ = 3
    X_far = X * 3 + 1  # includes rows far from every component
    for Z in (X[:500], X_far[:500]):
        np.testing.assert_allclose(gmm.score_samples(Z), sk.score_samples(Z), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(gmm.predict_proba(Z), sk.predict_proba(Z), atol=1e-9)
        np.testing.assert_array_equal(gmm.predict(Z), sk.predict(Z))
    if covariance == "full":
        np.testing.assert_allclose(gmm.bic(X), sk.bic(X), rtol=1e-9, atol=1e-12)
    if covariance == "full":
        np.testing.assert_allclose(gmm.aic(X), sk.aic(X), rtol=1e-9, atol=1e-12)


def test_em_agrees_with_sklearn_from_the_same_start(data):
    X, _, _ = data
    init = dict(
        weights_init=[0.4, 0.3, 0.3],
        means_init=X[[0, 1, 2]],
        precisions_init=np.tile(np.eye(3), (3, 1, 1)),
        tol=0,
        max_iter=20,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm = GaussianMixture(3, **init).fit(X)
        sk = SkGaussianMixture(3, init_params="random_from_data", random_state=0, **init).fit(X)
    assert gmm.n_iter_ == sk.n_iter_ == 20
    np.testing.assert_allclose(gmm.means_, sk.means_, atol=1e-8)
    np.testing.assert_allclose(gmm.covariances_, sk.covariances_, atol=1e-8)
    np.testing.assert_allclose(gmm.lower_bound_, sk.lower_bound_, rtol=1e-10, atol=1e-12)


# -- sampling and imputation -----------------------------------------------------------------------
@pytest.mark.parametrize("k", [0, 2])
def test_sample_from_one_component(fitted, k):
    draws = fitted.sample(20_000, random_state=0, component=k)
    np.testing.assert_allclose(draws.mean(axis=0), fitted.means_[k], atol=0.05)
    np.testing.assert_allclose(np.cov(draws.T), fitted.covariances_[k], atol=0.08)


def test_sample_weights_seed_and_components(fitted):
    X1, comp = fitted.sample_components(20_000, random_state=3)
    np.testing.assert_allclose(np.bincount(comp, minlength=3) / 20_000, fitted.weights_, atol=0.015)
    np.testing.assert_array_equal(fitted.sample(20_000, random_state=3), X1)
    assert not np.array_equal(fitted.sample(5, random_state=1), fitted.sample(5, random_state=2))
    rng = np.random.RandomState(0)
    first = fitted.sample(5, random_state=rng)
    assert not np.array_equal(first, fitted.sample(5, random_state=rng))


def test_impute_is_the_responsibility_weighted_conditional_mean(fitted):
    x = np.array([[5.0, np.nan, 0.5], [np.nan, 6.0, np.nan]])
    resp = fitted.predict_proba(x)
    filled = fitted.impute(x)
    for i, row in enumerate(x):
        obs, miss = np.flatnonzero(~np.isnan(row)), np.flatnonzero(np.isnan(row))
        cond = [
            m[miss] + S[np.ix_(miss, obs)] @ np.linalg.solve(S[np.ix_(obs, obs)], row[obs] - m[obs])
            for m, S in zip(fitted.means_, fitted.covariances_, strict=True)
        ]
        np.testing.assert_allclose(filled[i, miss], resp[i] @ np.array(cond), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(filled[i, obs], row[obs])
    drawn = fitted.impute(x, method="sample", random_state=0)
    assert not np.isnan(drawn).any() and drawn[0, 0] == 5.0


# -- partial_fit -------------------------------------------------------------------------------
def test_partial_fit_over_batches_gets_close_to_fit(data):
    X, _, Xm = data
    X_test, _ = draw_mixture(2000, 11)
    for Z in (X, Xm):
        full = GaussianMixture(3, random_state=0, tol=1e-6, max_iter=300).fit(Z)
        online = GaussianMixture(3, random_state=0)
        for _ in range(8):  # 8 passes over 10 batches
            for batch in np.array_split(Z, 10):
                online.partial_fit(batch)
        assert online.n_samples_seen_ == 8 * len(Z)
        # tolerance: within 0.02 nats per row of the batch fit on held-out data
        assert abs(online.score(X_test) - full.score(X_test)) < 0.02
        p, q = list(match(online.means_)), list(match(full.means_))
        np.testing.assert_allclose(online.means_[p], full.means_[q], atol=0.15)


def test_classifier_partial_fit(data):
    X, z, _ = data
    y = (z == 0).astype(int)
    clf = GMMClassifier(n_components=2, random_state=0)
    for rows in np.array_split(np.arange(len(X)), 5):
        clf.partial_fit(X[rows], y[rows], classes=[0, 1])
    assert clf.score(X, y) > 0.97
    assert clf.n_components_.tolist() == [2, 2]


# -- the classifier -------------------------------------------------------------------------------
def test_classifier_is_bayes_rule_over_class_mixtures(data):
    X, z, Xm = data
    y = np.where(z == 0, "a", "b")
    clf = GMMClassifier(n_components=2, priors=[0.3, 0.7], random_state=0).fit(Xm, y)
    log_joint = np.column_stack(
        [np.log(p) + d.score_samples(Xm) for p, d in zip([0.3, 0.7], clf.densities_, strict=True)]
    )
    expected = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
    # log posteriors near 0 (-1e-13): an absolute tolerance, rounding of the log-softmax
    np.testing.assert_allclose(clf.predict_log_proba(Xm), expected, rtol=1e-9, atol=1e-12)
    assert clf.score(X, y) > 0.97
    same = ClassConditional(GaussianMixture(2, random_state=0), priors=[0.3, 0.7]).fit(Xm, y)
    np.testing.assert_allclose(clf.predict_proba(Xm), same.predict_proba(Xm), rtol=0, atol=1e-12)


def test_bic_picks_the_true_number_of_components():
    rng = np.random.RandomState(0)
    one = rng.normal(0, 1, (300, 2))
    three = np.vstack([rng.normal(c, 0.7, (150, 2)) for c in ([8, 0], [14, 0], [11, 6])])
    X, y = np.vstack([one, three]), np.repeat([0, 1], [300, 450])
    clf = GMMClassifier(select="bic", max_components=5, random_state=0).fit(X, y)
    assert clf.n_components_.tolist() == [1, 3]
    assert isinstance(clf.densities_[0], GaussianMixtureBIC)
    assert np.argmin(clf.densities_[1].bic_) == 2


# -- bad input -------------------------------------------------------------------------------
def test_bad_input_errors():
    X = np.random.RandomState(0).normal(size=(5, 2))
    with pytest.raises(ValueError, match="n_samples >= n_components"):
        GaussianMixture(6).fit(X)
    with pytest.raises(ValueError, match="n_components must be an int >= 1"):
        GaussianMixture(0).fit(X)
    with pytest.raises(ValueError, match="covariance must be one of"):
        GaussianMixture(covariance="banana").fit(X)
    with pytest.raises(ValueError, match="init_params must be one of"):
        GaussianMixture(init_params="k-means").fit(X)
    with pytest.raises(ValueError, match="means_init must have shape"):
        GaussianMixture(2, means_init=np.zeros((3, 2))).fit(X)
    fitted = GaussianMixture(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="component must be an int in"):
        fitted.sample(3, component=2)
    with pytest.raises(ValueError, match="X has 3 features"):
        fitted.score_samples(np.zeros((2, 3)))


def test_classifier_bad_input_names_the_class():
    X = np.random.RandomState(0).normal(size=(12, 2))
    y = np.array(["a"] * 10 + ["b"] * 2)
    with pytest.raises(ValueError, match=r"n_components=3.*class 'b' has 2"):
        GMMClassifier(n_components=3).fit(X, y)
    with pytest.raises(ValueError, match="select must be one of"):
        GMMClassifier(select="aic").fit(X, y)
    GMMClassifier(select="bic", max_components=3).fit(X, y)  # BIC caps at the class size


def test_bic_only_tries_component_counts_the_data_can_identify():
    """44 rows in 13-D: more than one full-covariance component has more free parameters
    than rows, its likelihood is unbounded, and BIC must not be offered it."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(44, 13)) * rng.uniform(0.1, 100, size=13)
    model = GaussianMixtureBIC(max_components=4, random_state=0).fit(X)
    np.testing.assert_array_equal(model.candidates_, [1])
    assert model.n_components_ == 1
    assert len(model.bic_) == 1
    diag = GaussianMixtureBIC(max_components=4, covariance="diag", random_state=0).fit(X)
    assert list(diag.candidates_) == [1]  # 2 diag components: 53 parameters > 44 rows
    many = GaussianMixtureBIC(max_components=4, covariance="diag", random_state=0).fit(
        np.vstack([X, X + 1000.0, X - 1000.0])
    )
    assert list(many.candidates_) == [1, 2, 3, 4]


# -- values whose squares overflow --------------------------------------------------------
def test_values_whose_squares_overflow_are_refused_naming_the_column():
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    X_big = X.copy()
    X_big[7, 1] = 1e300
    for model in (GaussianMixture(2), GaussianMixtureBIC(3)):
        with pytest.raises(ValueError, match=r"GaussianMixture\w* cannot take column 1 of X"):
            model.fit(X_big)
    with pytest.raises(ValueError, match="column 1"):
        GaussianMixture(2).partial_fit(X_big)
    with pytest.raises(ValueError, match="GMMClassifier cannot take column 1"):
        GMMClassifier(2).fit(X_big, y)
    with pytest.raises(ValueError, match="GMMClassifier cannot take column 1"):
        GMMClassifier(2).partial_fit(X_big, y, classes=[0, 1])
    clf = GMMClassifier(1)
    clf.partial_fit(X, y, classes=[0, 1])
    before = [d.means_.copy() for d in clf.densities_]
    with pytest.raises(ValueError, match="column 1"):
        clf.partial_fit(X_big, y)
    for d, m in zip(clf.densities_, before, strict=True):  # refused before any update
        np.testing.assert_array_equal(d.means_, m)
    # at predict: refused, not NaN
    gmm = GaussianMixture(2, random_state=0).fit(X)
    for method in ("score_samples", "predict_proba", "impute"):
        with pytest.raises(ValueError, match="column 1"):
            getattr(gmm, method)(X_big[5:9])
    fitted = GMMClassifier(2, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="GMMClassifier cannot take column 1"):
        fitted.predict_proba(X_big[5:9])


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_far_inputs_give_finite_responsibilities(covariance):
    X = np.random.RandomState(0).normal(size=(60, 3))
    X[:30] += 4
    y = np.arange(60) % 2
    gmm = GaussianMixture(2, covariance=covariance, random_state=0).fit(X)
    clf = GMMClassifier(2, covariance=covariance, random_state=0).fit(X, y)
    for scale in (1e20, 1e148):
        Q = np.random.RandomState(1).normal(size=(5, 3)) * scale
        Q[0, 1] = np.nan
        for proba in (gmm.predict_proba(Q), clf.predict_proba(Q)):
            assert np.isfinite(proba).all()
            np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert np.isfinite(gmm.score_samples(Q)).all()


# -- rows with every entry missing ---------------------------------------------------------
def _with_empty_rows(X, n_empty, seed=0):
    """X with n_empty all-NaN rows inserted at random positions, and the insert mask."""
    rng = np.random.RandomState(seed)
    out = np.insert(X, rng.randint(0, X.shape[0], n_empty), np.nan, axis=0)
    return out, np.isnan(out).all(axis=1)


@pytest.mark.parametrize("covariance", COVARIANCES)
def test_rows_with_every_entry_missing_leave_the_fit_unchanged(data, covariance):
    # their likelihood is 1 under every parameter: the maximum-likelihood fit, and
    # the EM path, are those of the other rows
    _, _, Xm = data
    Xm = Xm[:600]
    X_empty, empty = _with_empty_rows(Xm, 40)
    kw = dict(covariance=covariance, random_state=0, tol=1e-8, max_iter=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        base = GaussianMixture(3, **kw).fit(Xm)
        gmm = GaussianMixture(3, **kw).fit(X_empty)
    np.testing.assert_allclose(gmm.means_, base.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gmm.covariances_, base.covariances_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gmm.weights_, base.weights_, rtol=0, atol=1e-12)
    hist = np.array(gmm.log_likelihood_history_)
    np.testing.assert_allclose(hist, base.log_likelihood_history_, rtol=0, atol=1e-10)
    assert np.all(np.diff(hist) >= -1e-10)
    np.testing.assert_allclose(gmm.score_samples(X_empty[empty]), 0.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gmm.bic(X_empty), base.bic(Xm), rtol=0, atol=1e-6)
    assert gmm.n_samples_seen_ == X_empty.shape[0]


def test_rows_with_every_entry_missing_in_bic_partial_fit_and_classifier(data):
    X, z, Xm = data
    Xm, z = Xm[:600], z[:600]
    X_empty, empty = _with_empty_rows(Xm, 30)
    bic = GaussianMixtureBIC(max_components=3, random_state=0).fit(X_empty)
    ref = GaussianMixtureBIC(max_components=3, random_state=0).fit(Xm)
    np.testing.assert_allclose(bic.bic_, ref.bic_, rtol=0, atol=1e-6)
    np.testing.assert_allclose(bic.means_, ref.means_, rtol=0, atol=1e-10)
    # partial_fit: an empty row adds nothing to the running statistics
    online = GaussianMixture(3, random_state=0).partial_fit(Xm[:300])
    online.partial_fit(_with_empty_rows(Xm[300:], 20)[0])
    ref_online = GaussianMixture(3, random_state=0).partial_fit(Xm[:300]).partial_fit(Xm[300:])
    np.testing.assert_allclose(online.means_, ref_online.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(online.weights_, ref_online.weights_, rtol=0, atol=1e-12)
    # classifier: the class prior counts every labelled row (p(x_empty, y) = p(y));
    # each class's mixture is that of its other rows
    y = np.where(z == 0, "a", "b")
    y_empty = np.insert(y, np.flatnonzero(empty) - np.arange(empty.sum()), "a")
    clf = GMMClassifier(2, random_state=0).fit(X_empty, y_empty)
    ref_clf = GMMClassifier(2, random_state=0).fit(Xm, y)
    np.testing.assert_array_equal(clf.class_count_, ref_clf.class_count_ + [30, 0])
    for d, r in zip(clf.densities_, ref_clf.densities_, strict=True):
        np.testing.assert_allclose(d.means_, r.means_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(d.covariances_, r.covariances_, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match="no observed"):
        GaussianMixture().fit(np.full((4, 2), np.nan))


def _reference_nan_em(X, weights, means, covs, n_iter, reg_covar):
    """Exact EM with missing entries written row by row (Ghahramani & Jordan 1994):
    the log-likelihood history and the parameters after ``n_iter`` M-steps."""
    X = X[~np.isnan(X).all(axis=1)]  # likelihood 1 under every parameter
    n, d = X.shape
    K = len(weights)
    history = []
    for _ in range(n_iter):
        N, S1, S2 = np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d))
        ll = 0.0
        for x in X:
            o, m = ~np.isnan(x), np.isnan(x)
            lp = np.array([
                np.log(weights[k])
                + multivariate_normal.logpdf(x[o], means[k][o], covs[k][np.ix_(o, o)])
                for k in range(K)
            ])
            ll += logsumexp(lp)
            r = np.exp(lp - logsumexp(lp))
            for k in range(K):
                S = covs[k]
                B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
                x_hat, C = x.copy(), np.zeros((d, d))
                x_hat[m] = means[k][m] + B @ (x[o] - means[k][o])
                C[np.ix_(m, m)] = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
                N[k] += r[k]
                S1[k] += r[k] * x_hat
                S2[k] += r[k] * (np.outer(x_hat, x_hat) + C)
        history.append(ll / n)
        nk = N + 10 * np.finfo(np.float64).eps
        weights, means = nk / nk.sum(), S1 / nk[:, None]
        covs = S2 / nk[:, None, None] - means[:, :, None] * means[:, None, :]
        covs = (covs + covs.transpose(0, 2, 1)) / 2 + reg_covar * np.eye(d)
    return history, weights, means, covs


@pytest.mark.parametrize("missing", [0.15, 0.45])
def test_nan_em_equals_a_row_by_row_reference(missing):
    """The stacked E-step over all missing patterns (gaussian_patterns.PatternGroups) computes
    exact EM: the same history, parameters and marginal densities as a per-row loop."""
    X, _ = draw_mixture(160, seed=11)
    X = np.hstack([X, X[:, :1] - X[:, 2:3] + np.random.RandomState(0).normal(size=(160, 1))])
    X[np.random.RandomState(12).uniform(size=X.shape) < missing] = np.nan
    X[4] = np.nan
    w0 = np.array([0.3, 0.3, 0.4])
    mu0 = np.nan_to_num(X[[0, 50, 100]], nan=1.0)
    cov0 = np.tile(np.eye(4) * 2.0, (3, 1, 1))
    gm = GaussianMixture(
        3, tol=0, max_iter=6, weights_init=w0, means_init=mu0,
        precisions_init=np.linalg.inv(cov0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gm.fit(X)
    history, w, mu, cov = _reference_nan_em(X, w0, mu0, cov0, 6, gm.reg_covar)
    np.testing.assert_allclose(gm.log_likelihood_history_, history, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gm.weights_, w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gm.means_, mu, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gm.covariances_, cov, rtol=0, atol=1e-10)
    # the marginal density of each row under the fitted mixture
    expected = [
        logsumexp([
            np.log(w[k]) + multivariate_normal.logpdf(x[~np.isnan(x)], mu[k][~np.isnan(x)],
                                                      cov[k][np.ix_(~np.isnan(x), ~np.isnan(x))])
            for k in range(3)
        ]) if (~np.isnan(x)).any() else 0.0
        for x in X
    ]
    np.testing.assert_allclose(gm.score_samples(X), expected, rtol=0, atol=1e-10)


# -- scikit-learn parity: lower_bound_, warm_start, init_params="random_from_data" -----------------
def test_lower_bound_and_lower_bounds_follow_sklearn(data):
    X, _, _ = data
    kw = dict(init_params="random_from_data", random_state=3, tol=1e-6, max_iter=200)
    gmm = GaussianMixture(3, **kw).fit(X)
    sk = SkGaussianMixture(3, **kw).fit(X)
    assert gmm.n_iter_ == sk.n_iter_ == len(gmm.lower_bounds_) == len(sk.lower_bounds_)
    np.testing.assert_allclose(gmm.lower_bounds_[1:], sk.lower_bounds_[1:], rtol=0, atol=1e-9)
    # scikit-learn's random_from_data weights are 1/n each (summing to K/n, not 1): its
    # first lower bound is lower by log(n/K); the responsibilities, hence the fit, agree
    np.testing.assert_allclose(
        gmm.lower_bounds_[0] - sk.lower_bounds_[0], np.log(X.shape[0] / 3), rtol=0, atol=1e-4
    )
    assert gmm.lower_bound_ == gmm.lower_bounds_[-1] == gmm.log_likelihood_history_[-1]
    np.testing.assert_allclose(gmm.lower_bound_, sk.lower_bound_, rtol=0, atol=1e-9)


def test_random_from_data_starts_from_the_rows_sklearn_draws(data):
    X, _, _ = data
    for seed in range(3):
        kw = dict(init_params="random_from_data", random_state=seed, tol=0, max_iter=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            gmm = GaussianMixture(3, **kw).fit(X)
            sk = SkGaussianMixture(3, **kw).fit(X)
        # the E-step under the initial parameters (means: the drawn rows) agrees, but for
        # scikit-learn's initial weights of 1/n each (see above)
        np.testing.assert_allclose(
            gmm.lower_bound_ - sk.lower_bound_, np.log(X.shape[0] / 3), rtol=0, atol=1e-4
        )
        np.testing.assert_allclose(gmm.means_, sk.means_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(gmm.weights_, sk.weights_, rtol=0, atol=1e-12)


def test_random_from_data_means_are_distinct_training_rows(data):
    X, _, Xm = data
    rng = np.random.RandomState(5)
    rows = rng.choice(X.shape[0], size=3, replace=False)
    gmm = GaussianMixture(3, init_params="random_from_data", random_state=5)
    init = gmm._initialize(X, 3, 1e-6, X.mean(axis=0), np.random.RandomState(5), {})
    np.testing.assert_allclose(init.means, X[rows], rtol=0, atol=1e-12)
    np.testing.assert_allclose(init.weights, np.full(3, 1 / 3), rtol=0, atol=1e-15)
    np.testing.assert_allclose(init.covariances, np.tile(1e-6 * np.eye(3), (3, 1, 1)), atol=1e-12)
    GaussianMixture(3, init_params="random_from_data", random_state=0).fit(Xm)  # NaN rows too


def test_warm_start_continues_the_previous_fit_as_sklearn(data):
    X, _, _ = data
    kw = dict(init_params="random_from_data", random_state=1, tol=0, warm_start=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gmm, sk = GaussianMixture(3, max_iter=3, **kw), SkGaussianMixture(3, max_iter=3, **kw)
        for _ in range(3):  # three fits of 3 iterations = one fit of 9 from the same start
            gmm.fit(X)
            sk.fit(X)
        once = GaussianMixture(3, **{**kw, "warm_start": False, "max_iter": 9}).fit(X)
    np.testing.assert_allclose(gmm.means_, once.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gmm.covariances_, once.covariances_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(gmm.lower_bound_, once.lower_bound_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(gmm.lower_bounds_, once.lower_bounds_[6:], rtol=0, atol=1e-12)
    np.testing.assert_allclose(gmm.means_, sk.means_, rtol=0, atol=1e-8)
    np.testing.assert_allclose(gmm.lower_bound_, sk.lower_bound_, rtol=0, atol=1e-9)


def test_warm_start_of_a_converged_fit_stops_after_one_iteration(data):
    X, _, _ = data
    gmm = GaussianMixture(3, random_state=0, tol=1e-4, warm_start=True).fit(X)
    sk = SkGaussianMixture(3, random_state=0, tol=1e-4, warm_start=True).fit(X)
    assert gmm.converged_ and sk.converged_
    gmm.fit(X)
    sk.fit(X)
    assert gmm.n_iter_ == sk.n_iter_ == 1 and gmm.converged_ and sk.converged_


def test_warm_start_errors_and_cold_refit(data):
    X, _, _ = data
    gmm = GaussianMixture(2, random_state=0, warm_start=True).fit(X)
    with pytest.raises(ValueError, match="n_features|features"):
        gmm.fit(X[:, :2])
    gmm.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components=3"):
        gmm.fit(X)
    with pytest.raises(TypeError, match="warm_start must be a bool"):
        GaussianMixture(2, warm_start="yes").fit(X)
    with pytest.raises(ValueError, match="init_params"):
        GaussianMixture(2, init_params="kmeans++").fit(X)
    cold = GaussianMixture(3, random_state=0).fit(X)
    again = GaussianMixture(3, random_state=0).fit(X)  # warm_start=False: same fit each time
    np.testing.assert_array_equal(cold.means_, again.means_)


# -- sample_weight: weighted EM equals EM on repeated rows -----------------------------------------
def _same_start(X, covariance="full"):
    return dict(
        weights_init=[0.4, 0.3, 0.3],
        means_init=np.nan_to_num(X[[0, 1, 2]], nan=0.0),
        precisions_init=np.ones((3, 3)) if covariance == "diag" else np.tile(np.eye(3), (3, 1, 1)),
    )


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("covariance", ["full", "diag"])
def test_integer_sample_weight_equals_repeated_rows(data, missing, covariance):
    X = (data[2] if missing else data[0])[:600]
    w = np.random.RandomState(0).randint(0, 4, size=X.shape[0])
    kw = dict(covariance=covariance, tol=1e-8, max_iter=500, **_same_start(X, covariance))
    weighted = GaussianMixture(3, **kw).fit(X, sample_weight=w)
    repeated = GaussianMixture(3, **kw).fit(np.repeat(X, w, axis=0))
    assert weighted.n_iter_ == repeated.n_iter_ and weighted.converged_
    for name in ("weights_", "means_", "covariances_"):
        np.testing.assert_allclose(
            getattr(weighted, name), getattr(repeated, name), rtol=0, atol=1e-9
        )
    np.testing.assert_allclose(
        weighted.lower_bounds_, repeated.lower_bounds_, rtol=0, atol=1e-10
    )
    # a float weight scales like a count: all weights x 0.5 give the same fit
    halved = GaussianMixture(3, **kw).fit(X, sample_weight=0.5 * w)
    np.testing.assert_allclose(halved.means_, weighted.means_, rtol=0, atol=1e-9)


def test_weighted_partial_fit_equals_repeated_rows(data):
    X = data[2][:400]
    w = np.random.RandomState(1).randint(0, 3, size=X.shape[0])
    a = GaussianMixture(3, **_same_start(X))
    b = GaussianMixture(3, **_same_start(X))
    for chunk in (slice(0, 200), slice(200, 400)):
        a.partial_fit(X[chunk], sample_weight=w[chunk])
        b.partial_fit(np.repeat(X[chunk], w[chunk], axis=0))
    np.testing.assert_allclose(a.means_, b.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(a.log_likelihood_history_, b.log_likelihood_history_, atol=1e-10)


def test_weighted_initializations_skip_rows_of_weight_zero(data):
    X = data[0][:300]
    w = np.zeros(X.shape[0])
    w[:3] = 1.0  # only three rows count: random_from_data must draw exactly them
    gmm = GaussianMixture(3, init_params="random_from_data", random_state=0)
    init = gmm._initialize(X[:3], 3, 1e-6, X[:3].mean(0), np.random.RandomState(0), {}, w[:3])
    assert sorted(map(tuple, init.means)) == sorted(map(tuple, X[:3]))
    for init_params in ("k-means++", "random", "random_from_data"):
        fitted = GaussianMixture(
            2, init_params=init_params, random_state=0, reg_covar=1e-3
        ).fit(X, sample_weight=w)
        assert np.isfinite(fitted.means_).all()


@pytest.mark.parametrize(
    ("weights", "error", "match"),
    [
        (np.ones(5), ValueError, r"shape \(300,\)"),
        (-np.ones(300), ValueError, ">= 0"),
        (np.zeros(300), ValueError, "every sample_weight is zero"),
        (np.full(300, np.nan), ValueError, "finite"),
        (["a"] * 300, TypeError, "real numbers"),
    ],
)
def test_bad_sample_weight_is_refused(data, weights, error, match):
    with pytest.raises(error, match=match):
        GaussianMixture(2).fit(data[0][:300], sample_weight=weights)
    with pytest.raises(error, match=match):
        GaussianMixture(2).partial_fit(data[0][:300], sample_weight=weights)


# -- examples/sklearn_mixture_dropin.py: a scikit-learn script with only its import changed --------
def test_sklearn_mixture_dropin_example_runs_on_gdlab_and_sklearn():
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[2] / "examples" / "sklearn_mixture_dropin.py"
    source = path.read_text()
    ours = {"__name__": "dropin"}
    exec(compile(source, str(path), "exec"), ours)
    line = "from gdlab.sklearn.mixture import GaussianMixture"
    assert line in source
    theirs = {"__name__": "dropin"}
    exec(compile(source.replace(line, "from sklearn.mixture import GaussianMixture"),
                 str(path), "exec"), theirs)
    a, b = ours["results"], theirs["results"]
    assert a["best"] == b["best"] and a["n_iter"] == b["n_iter"]
    np.testing.assert_array_equal(a["labels"], b["labels"])
    for key in ("bic", "means", "weights", "covariances", "proba", "log_density", "aic",
                "warm_first", "warm_second"):
        np.testing.assert_allclose(a[key], b[key], rtol=0, atol=1e-8, err_msg=key)
    np.testing.assert_allclose(a["lower_bound"], b["lower_bound"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(a["warm_bounds"], b["warm_bounds"], rtol=0, atol=1e-10)
    assert a["sample_shape"] == b["sample_shape"] == (500, 4)


def test_sklearn_facade_names_its_own_arguments_in_errors(data):
    from gdlab.sklearn.mixture import GaussianMixture as SklearnGaussianMixture

    X = data[0][:100]
    with pytest.raises(ValueError, match=r"^covariance_type must be one of \['diag', 'full', "
                                         r"'spherical', 'tied'\], got 'ball'\.$"):
        SklearnGaussianMixture(2, covariance_type="ball").fit(X)
    with pytest.raises(ValueError, match="covariance_type must be one of"):
        SklearnGaussianMixture(2, covariance_type="ball").partial_fit(X)
    with pytest.raises(ValueError, match=r"init_params must be one of"):
        SklearnGaussianMixture(2, init_params="foo").fit(X)


# -- sample_weight in the classifiers: weighted = repeated rows --------------------------------
def _labelled(data, missing):
    X = (data[2] if missing else data[0])[:600]
    y = (data[1][:600] == 0).astype(int)  # component 0 against the other two
    w = np.random.RandomState(2).randint(0, 4, size=X.shape[0])
    return X, y, w


@pytest.mark.parametrize("missing", [False, True])
@pytest.mark.parametrize("covariance", ["full", "diag", "tied", "spherical"])
def test_gmm_classifier_sample_weight_equals_repeated_rows(data, missing, covariance):
    X, y, w = _labelled(data, missing)
    kw = dict(n_components=1, covariance=covariance, tol=1e-10, max_iter=500, random_state=0)
    weighted = GMMClassifier(**kw).fit(X, y, sample_weight=w)
    repeated = GMMClassifier(**kw).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_array_equal(weighted.class_count_, np.bincount(y, weights=w))
    np.testing.assert_allclose(weighted.class_prior_, repeated.class_prior_, rtol=0, atol=1e-15)
    for a, b in zip(weighted.densities_, repeated.densities_, strict=True):
        np.testing.assert_allclose(a.means_, b.means_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.covariances_, b.covariances_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.log_joint(X), repeated.log_joint(X), rtol=0, atol=1e-8)
    # a float weight scales like a count: the class prior and densities are unchanged
    halved = GMMClassifier(**kw).fit(X, y, sample_weight=0.5 * w)
    np.testing.assert_allclose(halved.predict_proba(X), weighted.predict_proba(X), atol=1e-9)
    unweighted = GMMClassifier(**kw).fit(X, y)
    assert not np.allclose(unweighted.log_joint(X), weighted.log_joint(X), atol=1e-3)


@pytest.mark.parametrize("missing", [False, True])
def test_class_conditional_mixtures_weighted_equal_repeated_from_the_same_start(data, missing):
    X, y, w = _labelled(data, missing)
    density = GaussianMixture(3, tol=1e-4, max_iter=300, **_same_start(X))
    weighted = ClassConditional(density).fit(X, y, sample_weight=w)
    repeated = ClassConditional(density).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    for a, b in zip(weighted.densities_, repeated.densities_, strict=True):
        assert a.n_iter_ == b.n_iter_
        np.testing.assert_allclose(a.means_, b.means_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(a.weights_, b.weights_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-9)
    # partial_fit: weighted batches equal the repeated batches
    a, b = ClassConditional(density), ClassConditional(density)
    for chunk in (slice(0, 300), slice(300, 600)):
        a.partial_fit(X[chunk], y[chunk], classes=[0, 1], sample_weight=w[chunk])
        b.partial_fit(np.repeat(X[chunk], w[chunk], axis=0), np.repeat(y[chunk], w[chunk]),
                      classes=[0, 1])
    np.testing.assert_allclose(a.class_count_, b.class_count_, rtol=0, atol=0)
    for da, db in zip(a.densities_, b.densities_, strict=True):
        np.testing.assert_allclose(da.means_, db.means_, rtol=0, atol=1e-9)
        np.testing.assert_allclose(da.covariances_, db.covariances_, rtol=0, atol=1e-9)


def test_gmm_classifier_delegates_weights_to_each_class_mixture(data):
    X, y, w = _labelled(data, True)
    clf = GMMClassifier(n_components=2, covariance="diag", random_state=3).fit(
        X, y, sample_weight=w)
    for k in (0, 1):
        own = GaussianMixture(2, covariance="diag", random_state=3).fit(
            X[y == k], sample_weight=w[y == k])
        np.testing.assert_array_equal(clf.densities_[k].means_, own.means_)
    a = GMMClassifier(n_components=2, random_state=0)
    a.partial_fit(X[:300], y[:300], classes=[0, 1], sample_weight=w[:300])
    assert a.class_count_.tolist() == np.bincount(y[:300], weights=w[:300]).tolist()


def test_weighted_bic_is_the_bic_of_the_repeated_rows(data):
    X, y, w = _labelled(data, False)
    model = GaussianMixtureBIC(max_components=3, random_state=0).fit(X, sample_weight=w)
    chosen = list(model.candidates_).index(model.n_components_)
    np.testing.assert_allclose(model.bic_[chosen], model.bic(np.repeat(X, w, axis=0)),
                               rtol=1e-12)
    clf = GMMClassifier(select="bic", max_components=2, random_state=0).fit(
        X, y, sample_weight=w)
    assert clf.n_components_.shape == (2,)


def test_bad_classifier_sample_weight_is_refused(data):
    X, y, w = _labelled(data, False)
    with pytest.raises(ValueError, match=r"shape \(600,\)"):
        GMMClassifier().fit(X, y, sample_weight=w[:5])
    with pytest.raises(ValueError, match=">= 0"):
        GMMClassifier().fit(X, y, sample_weight=-w)
    only_class_1 = np.where(y == 1, 1.0, 0.0)
    with pytest.raises(ValueError, match=r"class\(es\) \[0\] is 0"):
        GMMClassifier().fit(X, y, sample_weight=only_class_1)
    with pytest.raises(ValueError, match="n_components=2 training rows"):
        # rows of weight 0 do not count towards the rows each class's mixture needs
        GMMClassifier(2).fit(X, y, sample_weight=np.where(y == 0, (np.arange(600) < 1), 1.0))
    with pytest.raises(TypeError, match=r"GaussianMixture.fit does not"):
        ClassConditional(SkGaussianMixture()).fit(X, y, sample_weight=w)
    clf = ClassConditional(SkGaussianMixture())
    with pytest.raises(TypeError, match=r"GaussianMixture.fit does not"):
        clf.fit(X, y, sample_weight=w)
    assert not hasattr(clf, "classes_")
