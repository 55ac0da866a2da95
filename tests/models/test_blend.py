"""The generative-discriminative blends (naive Bayes and the full / tied Gaussian classifier):
both ends, the gradient, the generative capabilities."""

import itertools

import numpy as np
import pytest
from scipy import integrate
from scipy.optimize import check_grad
from scipy.special import gammaln
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdlab import capabilities
from gdlab.models import BernoulliNB, GaussianNB, MultinomialNB
from gdlab.models.blend import (
    BlendBernoulliNB,
    BlendGaussianClassifier,
    BlendGaussianNB,
    BlendMultinomialNB,
)
from gdlab.models.gaussian import GaussianClassifier
from gdlab.models.registry import make

# at lambda = 0 BlendGaussianClassifier's reg_covar term tilts a flat valley (S and the means can
# grow together without changing p(y | x)): L-BFGS may stop at max_iter there, posterior converged
_MAY_STOP_AT_MAX_ITER = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning")


def _continuous(seed=0, n=60, d=2, k=2, correlated=False):
    """Classes with different means and scales; ``correlated``: and correlations (QDA's case)."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    X = rng.normal(size=(n, d)) * (1.0 + 0.5 * y[:, None]) + y[:, None] * 1.2
    if correlated:
        X[:, -1] += (0.8 - 0.6 * y) * X[:, 0]  # a class-dependent correlation
    return X, y


def _counts(seed=0, n=60, d=3, k=2):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    X = rng.poisson(1.0 + 3.0 * (np.arange(d) == (y % d)[:, None]), size=(n, d)).astype(float)
    return X, y


def _bits(seed=0, n=60, d=3, k=2):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    return (rng.uniform(size=(n, d)) < 0.3 + 0.4 * (y[:, None] % 2)).astype(float), y


def _perturbed_start(monkeypatch, cls, seed=1, scale=0.5):
    """Start L-BFGS away from the closed form, so reaching it is the optimizer's work."""
    original = cls._initial_parameters
    rng = np.random.RandomState(seed)

    def start(self, data):
        v = original(self, data)
        return v + rng.normal(scale=scale, size=v.shape)

    monkeypatch.setattr(cls, "_initial_parameters", start)


# -- lambda = 1: the closed-form generative fit --------------------------------------------


@pytest.mark.parametrize("perturb", [False, True])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_lambda_one_is_gaussian_naive_bayes(monkeypatch, perturb, scale):
    X, y = load_iris(return_X_y=True)
    X[:, 0] *= scale  # epsilon_ (from the largest variance) then matters for the other columns
    if perturb:
        _perturbed_start(monkeypatch, BlendGaussianNB)
    blend = BlendGaussianNB(lambda_=1.0).fit(X, y)
    nb = GaussianNB().fit(X, y)
    sd = X.std(axis=0)  # compare on each feature's own scale
    np.testing.assert_allclose(blend.theta_ / sd, nb.theta_ / sd, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.var_ / sd**2, nb.var_ / sd**2, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.class_prior_, nb.class_prior_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(blend.predict_proba(X), nb.predict_proba(X), rtol=0, atol=1e-5)
    assert blend.converged_


def test_lambda_one_shared_is_the_pooled_within_class_variance(monkeypatch):
    X, y = load_iris(return_X_y=True)
    _perturbed_start(monkeypatch, BlendGaussianNB)
    blend = BlendGaussianNB(lambda_=1.0, covariance="shared").fit(X, y)
    means = np.array([X[y == k].mean(axis=0) for k in range(3)])
    pooled = ((X - means[y]) ** 2).mean(axis=0)
    np.testing.assert_allclose(blend.theta_, means, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.var_, np.tile(pooled, (3, 1)), rtol=0, atol=1e-6)


@pytest.mark.parametrize("perturb", [False, True])
def test_lambda_one_is_smoothed_multinomial_and_bernoulli_naive_bayes(monkeypatch, perturb):
    X, y = _counts(n=90, d=4, k=3)
    B, yb = _bits(n=90, d=4, k=3)
    if perturb:
        _perturbed_start(monkeypatch, BlendMultinomialNB)
        _perturbed_start(monkeypatch, BlendBernoulliNB)
    for blend, nb, data, labels in [
        (BlendMultinomialNB(lambda_=1.0, alpha=0.5), MultinomialNB(alpha=0.5), X, y),
        (BlendBernoulliNB(lambda_=1.0, alpha=0.5), BernoulliNB(alpha=0.5), B, yb),
    ]:
        blend.fit(data, labels)
        nb.fit(data, labels)
        np.testing.assert_allclose(blend.feature_log_prob_, nb.feature_log_prob_, rtol=0,
                                   atol=1e-6)
        np.testing.assert_allclose(blend.class_prior_, nb.class_prior_, rtol=0, atol=1e-7)
        np.testing.assert_allclose(blend.predict_proba(data), nb.predict_proba(data), rtol=0,
                                   atol=1e-6)


@pytest.mark.parametrize("covariance", ["full", "tied"])
@pytest.mark.parametrize("perturb", [False, True])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_lambda_one_is_the_closed_form_gaussian_classifier(monkeypatch, covariance, perturb,
                                                           scale):
    X, y = load_iris(return_X_y=True)
    X[:, 0] *= scale
    if perturb:
        _perturbed_start(monkeypatch, BlendGaussianClassifier, scale=0.3)
    blend = BlendGaussianClassifier(lambda_=1.0, covariance=covariance).fit(X, y)
    qda = GaussianClassifier(covariance=covariance).fit(X, y)
    sd = X.std(axis=0)  # on each feature's own scale
    np.testing.assert_allclose(blend.means_ / sd, qda.means_ / sd, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.covariances_ / np.outer(sd, sd),
                               qda.covariances_ / np.outer(sd, sd), rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.class_prior_, qda.class_prior_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(blend.predict_proba(X), qda.predict_proba(X), rtol=0, atol=1e-5)
    assert blend.converged_


# -- lambda = 0: the discriminative fit of the same family ---------------------------------


@pytest.mark.parametrize(("make_model", "classes", "features"), [
    (lambda: BlendGaussianNB(lambda_=0.0, covariance="shared"), (1, 2), slice(0, 2)),
    (lambda: BlendGaussianNB(lambda_=0.0, covariance="shared"), (0, 1, 2), slice(0, 2)),
    # reg_covar=0: no prior term, the objective is logistic regression's likelihood exactly
    pytest.param(lambda: BlendGaussianClassifier(lambda_=0.0, covariance="tied", reg_covar=0.0),
                 (1, 2), slice(0, 2), marks=_MAY_STOP_AT_MAX_ITER),
    pytest.param(lambda: BlendGaussianClassifier(lambda_=0.0, covariance="tied", reg_covar=0.0),
                 (1, 2), slice(0, 4), marks=_MAY_STOP_AT_MAX_ITER),
], ids=["nb-shared-2-classes", "nb-shared-3-classes", "tied-2-features", "tied-4-features"])
def test_lambda_zero_linear_gaussian_is_logistic_regression(make_model, classes, features):
    X, y = load_iris(return_X_y=True)
    # the classes overlap on sepal length and width; on all four features only versicolor and
    # virginica do (setosa is separable: the discriminative end then has no finite optimum)
    keep = np.isin(y, classes)
    X, y = X[keep][:, features], y[keep]
    blend = make_model().fit(X, y)
    logreg = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(blend.predict_proba(X), logreg.predict_proba(X), rtol=0,
                               atol=1e-5)


@pytest.mark.parametrize(("cls", "correlated", "slack"), [
    (BlendGaussianNB, False, 1e-9),
    pytest.param(BlendGaussianClassifier, True, 1e-7, marks=_MAY_STOP_AT_MAX_ITER),
])
def test_lambda_zero_fits_the_training_labels_at_least_as_well_as_any_lambda(cls, correlated,
                                                                             slack):
    X, y = _continuous(n=80, correlated=correlated)
    loss = {}
    for lam in (0.0, 0.5, 1.0):
        proba = cls(lambda_=lam).fit(X, y).predict_proba(X)
        loss[lam] = -np.log(proba[np.arange(len(y)), y]).mean()
    assert loss[0.0] <= loss[0.5] + slack <= loss[1.0] + 2 * slack


# -- the gradient every family hands to L-BFGS ---------------------------------------------


# (model, data, scale of the random step away from the closed-form start, relative tolerance)
@pytest.mark.parametrize(("make_model", "data", "step", "tol"), [
    (lambda: BlendGaussianNB(lambda_=0.3), lambda: _continuous(n=40, k=3), 0.3, 1e-5),
    (lambda: BlendGaussianNB(lambda_=0.3, covariance="shared"), lambda: _continuous(n=40, k=3),
     0.3, 1e-5),
    (lambda: BlendMultinomialNB(lambda_=0.3, alpha=0.7), lambda: _counts(n=40, k=3), 0.3, 1e-5),
    (lambda: BlendBernoulliNB(lambda_=0.3, alpha=0.7), lambda: _bits(n=40, k=3), 0.3, 1e-5),
    (lambda: BlendGaussianClassifier(lambda_=0.3, covariance="full"),
     lambda: _continuous(n=45, d=3, k=3, correlated=True), 0.1, 1e-4),
    (lambda: BlendGaussianClassifier(lambda_=0.3, covariance="tied"),
     lambda: _continuous(n=45, d=3, k=3, correlated=True), 0.1, 1e-4),
], ids=["gaussian-nb", "shared-gaussian-nb", "multinomial-nb", "bernoulli-nb", "full", "tied"])
@pytest.mark.parametrize("holes", [False, True])
def test_objective_gradient_matches_finite_differences(make_model, data, step, tol, holes):
    X, y = data()
    if holes:
        X = X.copy()
        X[np.random.RandomState(3).uniform(size=X.shape) < 0.25] = np.nan
        X[0] = np.nan  # an empty row too
    model = make_model().fit(X, y)
    Xv, _, y_idx = model._validate_fit(X, y)
    data_ = model._design(Xv)
    rng = np.random.RandomState(0)
    v = np.concatenate([rng.normal(size=3), model._initial_parameters(data_)])
    v += rng.normal(scale=step, size=v.shape)
    err = check_grad(lambda p: model._objective(p, data_, y_idx, 0.3)[0],
                     lambda p: model._objective(p, data_, y_idx, 0.3)[1], v, epsilon=1e-6)
    scale = np.abs(model._objective(v, data_, y_idx, 0.3)[1]).max()
    assert err <= tol * max(scale, 1.0)


# -- every lambda is still a generative model ----------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_log_density_integrates_to_one_in_one_dimension(lam):
    X, y = _continuous(n=50, d=1)
    model = BlendGaussianNB(lambda_=lam).fit(X, y)
    total, _ = integrate.quad(lambda t: np.exp(model.score_samples([[t]])[0]), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-6)


def _means_and_variances(model):
    """(n_classes, n_features) means and per-feature variances of a fitted Gaussian blend."""
    if isinstance(model, BlendGaussianClassifier):
        return model.means_, np.diagonal(model.covariances_, axis1=1, axis2=2)
    return model.theta_, model.var_


@pytest.mark.parametrize(("model", "correlated"), [
    (BlendGaussianNB(lambda_=0.2, covariance="diag"), False),
    (BlendGaussianNB(lambda_=0.2, covariance="shared"), False),
    (BlendGaussianClassifier(lambda_=0.2), True),
    (BlendGaussianClassifier(lambda_=0.7), True),
], ids=["nb-diag", "nb-shared", "full-0.2", "full-0.7"])
def test_log_density_integrates_to_one_in_two_dimensions(model, correlated):
    X, y = _continuous(n=60, d=2, correlated=correlated)
    model = clone(model).fit(X, y)
    means, variances = _means_and_variances(model)
    sd = np.sqrt(variances.max())
    lo, hi = means.min() - 12 * sd, means.max() + 12 * sd
    grid = np.linspace(lo, hi, 601)
    gx, gy = np.meshgrid(grid, grid)
    dens = np.exp(model.score_samples(np.column_stack([gx.ravel(), gy.ravel()])))
    total = integrate.trapezoid(integrate.trapezoid(dens.reshape(gx.shape), grid), grid)
    assert total == pytest.approx(1.0, abs=1e-4)


def test_discrete_blends_are_normalized():
    X, y = _counts(n=60, d=3)
    multi = BlendMultinomialNB(lambda_=0.2).fit(X, y)
    total = 4  # every count vector of 3 features with total 4
    rows = np.array([c for c in itertools.product(range(total + 1), repeat=3)
                     if sum(c) == total], dtype=float)
    assert np.exp(multi.score_samples(rows)).sum() == pytest.approx(1.0, abs=1e-10)
    B, yb = _bits(n=60, d=3)
    bern = BlendBernoulliNB(lambda_=0.2).fit(B, yb)
    cube = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    assert np.exp(bern.score_samples(cube)).sum() == pytest.approx(1.0, abs=1e-10)
    # the multinomial coefficient is part of the density
    theta = np.exp(multi.feature_log_prob_)
    row = rows[3]
    expected = np.log((multi.class_prior_ * np.exp(
        gammaln(total + 1) - gammaln(row + 1).sum() + row @ np.log(theta).T)).sum())
    assert multi.score_samples(row[None])[0] == pytest.approx(expected, abs=1e-10)


# (model, training rows, whether the classes are correlated, share of NaN in the training data)
@pytest.mark.parametrize(("model", "n", "correlated", "holes"), [
    (BlendGaussianNB(lambda_=0.4), 60, False, 0.0),
    (BlendGaussianClassifier(lambda_=0.4), 80, True, 0.15),
], ids=["nb", "full"])
def test_missing_feature_is_integrated_out(model, n, correlated, holes):
    X, y = _continuous(n=n, d=2, correlated=correlated)
    X[np.random.RandomState(0).uniform(size=X.shape) < holes] = np.nan
    model = clone(model).fit(X, y)
    assert np.isfinite(_means_and_variances(model)[0]).all()
    x1 = 0.7
    marginal, _ = integrate.quad(lambda t: np.exp(model.score_samples([[x1, t]])[0]),
                                 -np.inf, np.inf)
    assert model.score_samples([[x1, np.nan]])[0] == pytest.approx(np.log(marginal), abs=1e-6)
    np.testing.assert_allclose(model.predict_proba([[np.nan, np.nan]])[0], model.class_prior_,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize(("model", "d", "correlated", "holes", "n_draws"), [
    (BlendGaussianNB(lambda_=0.5), 3, False, 0.2, 2000),
    (BlendGaussianClassifier(lambda_=0.4), 2, True, 0.15, 4000),
], ids=["nb", "full"])
def test_fits_with_missing_values_and_samples_from_each_class(model, d, correlated, holes,
                                                              n_draws):
    X, y = _continuous(n=80, d=d, correlated=correlated)
    X[np.random.RandomState(0).uniform(size=X.shape) < holes] = np.nan
    model = clone(model).fit(X, y)
    means, variances = _means_and_variances(model)
    assert np.isfinite(means).all() and (variances > 0).all()
    draws, labels = model.sample(n_draws, y=1, random_state=0)
    assert (labels == 1).all()
    np.testing.assert_allclose(draws.mean(axis=0), means[1], rtol=0,
                               atol=4 * np.sqrt(variances[1].max() / n_draws))
    filled = model.impute(X[:5])
    assert not np.isnan(filled).any()


def test_capabilities_are_generative_without_partial_fit():
    for model in (BlendGaussianNB(), BlendMultinomialNB(), BlendBernoulliNB(),
                  BlendGaussianClassifier()):
        caps = capabilities(model)
        assert {"classify", "density", "sample", "conditional_sample", "missing_features",
                "blend"} <= caps
        assert "partial_fit" not in caps and not hasattr(model, "partial_fit")


def test_tied_keeps_one_covariance():
    X, y = _continuous(n=60, d=3, k=3, correlated=True)
    model = BlendGaussianClassifier(lambda_=0.5, covariance="tied").fit(X, y)
    np.testing.assert_array_equal(model.covariances_[0], model.covariances_[2])


# -- lambda_ = "cv" -------------------------------------------------------------------------


def test_cv_picks_a_grid_lambda_and_refits_with_it():
    X, y = load_iris(return_X_y=True)
    model = BlendGaussianNB(lambda_="cv", lambda_grid=(0.0, 0.5, 1.0), cv=3,
                            random_state=0).fit(X, y)
    assert set(model.cv_log_loss_) == {0.0, 0.5, 1.0}
    best = min(model.cv_log_loss_.values())
    assert model.cv_log_loss_[model.blend_lambda_] == best
    refit = BlendGaussianNB(lambda_=model.blend_lambda_).fit(X, y)
    np.testing.assert_allclose(model.theta_, refit.theta_, rtol=0, atol=1e-10)
    again = clone(model).fit(X, y)
    assert again.blend_lambda_ == model.blend_lambda_  # the same seed, the same folds


def test_cv_needs_two_rows_per_class():
    X, y = _continuous(n=11)
    y[-1] = 2
    with pytest.raises(ValueError, match="at least 2 training rows of every class"):
        BlendGaussianNB(lambda_="cv").fit(X, y)


# -- bad input: refused before any fitting -------------------------------------------------


@pytest.mark.parametrize(("value", "error"), [
    (-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("auto", ValueError),
    (True, TypeError), (None, TypeError),
])
def test_lambda_outside_the_unit_interval_is_refused_before_fitting(value, error):
    for cls in (BlendGaussianNB, BlendMultinomialNB, BlendBernoulliNB, BlendGaussianClassifier):
        model = cls(lambda_=value)
        # X is bad too: the lambda check comes first, and nothing is fitted
        with pytest.raises(error, match=r"lambda_ must be a number in \[0, 1\] or 'cv'"):
            model.fit([["not a number"]], [0])
        assert not hasattr(model, "classes_")


@pytest.mark.parametrize(("cls", "params", "error", "match"), [
    (BlendGaussianNB, {"lambda_grid": ()}, ValueError, "lambda_grid"),
    (BlendGaussianNB, {"lambda_grid": (0.5, 2.0)}, ValueError, "lambda_grid"),
    (BlendGaussianNB, {"lambda_grid": "cv"}, TypeError, "lambda_grid"),
    (BlendGaussianNB, {"cv": 1}, ValueError, "cv"),
    (BlendGaussianNB, {"max_iter": 0}, ValueError, "max_iter"),
    (BlendGaussianNB, {"tol": 0.0}, ValueError, "tol"),
    (BlendGaussianNB, {"covariance": "full"}, ValueError, "covariance"),
    (BlendGaussianClassifier, {"covariance": "diag"}, ValueError, "covariance"),
    (BlendGaussianClassifier, {"reg_covar": -1.0}, ValueError, "reg_covar"),
    (BlendGaussianClassifier, {"max_iter": 0}, ValueError, "max_iter"),
])
def test_bad_settings_are_refused_before_fitting(cls, params, error, match):
    X, y = _continuous()
    model = cls(lambda_=0.5, **params)
    with pytest.raises(error, match=match):
        model.fit(X, y)
    assert not hasattr(model, "classes_")


def test_unfitted_model_says_so():
    with pytest.raises(NotFittedError):
        BlendGaussianNB(lambda_=0.5).predict([[0.0, 1.0]])


def test_registry_entries_fit_and_choose_lambda():
    X, y = _counts(n=60)
    for name in ("blend-gaussian-nb", "blend-shared-gaussian-nb", "blend-multinomial-nb",
                 "blend-bernoulli-nb"):
        model = make(name, cv=3).fit(X, y)
        assert model.blend_lambda_ in model.lambda_grid
        assert model.score(X, y) > 0.6


@parametrize_with_checks([
    BlendGaussianNB(lambda_=0.5),
    BlendGaussianNB(lambda_=0.5, covariance="shared"),
    BlendMultinomialNB(lambda_=0.5),
    BlendBernoulliNB(lambda_=0.5),
    BlendGaussianClassifier(lambda_=0.5),
    BlendGaussianClassifier(lambda_=0.5, covariance="tied"),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)
