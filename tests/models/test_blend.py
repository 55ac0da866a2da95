"""The generative-discriminative blends: both ends, the gradient, the generative capabilities."""

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
from gdlab.models.blend import BlendBernoulliNB, BlendGaussianNB, BlendMultinomialNB
from gdlab.models.registry import make


def _continuous(seed=0, n=60, d=2, k=2):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    return rng.normal(size=(n, d)) * (1.0 + 0.5 * y[:, None]) + y[:, None] * 1.2, y


def _counts(seed=0, n=60, d=3, k=2):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    X = rng.poisson(1.0 + 3.0 * (np.arange(d) == (y % d)[:, None]), size=(n, d)).astype(float)
    return X, y


def _bits(seed=0, n=60, d=3, k=2):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    return (rng.uniform(size=(n, d)) < 0.3 + 0.4 * (y[:, None] % 2)).astype(float), y


def _perturbed_start(monkeypatch, cls, seed=1):
    """Start L-BFGS away from the closed form, so reaching it is the optimizer's work."""
    original = cls._initial_parameters
    rng = np.random.RandomState(seed)

    def start(self, data):
        v = original(self, data)
        return v + rng.normal(scale=0.5, size=v.shape)

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


# -- lambda = 0: the discriminative fit of the same family ---------------------------------


@pytest.mark.parametrize("classes", [(1, 2), (0, 1, 2)])
def test_lambda_zero_shared_gaussian_is_logistic_regression(classes):
    X, y = load_iris(return_X_y=True)
    keep = np.isin(y, classes)
    X, y = X[keep][:, :2], y[keep]  # sepal length and width: the classes overlap
    blend = BlendGaussianNB(lambda_=0.0, covariance="shared").fit(X, y)
    logreg = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(blend.predict_proba(X), logreg.predict_proba(X), rtol=0,
                               atol=1e-5)


def test_lambda_zero_fits_the_training_labels_at_least_as_well_as_any_lambda():
    X, y = _continuous(n=80)
    loss = {}
    for lam in (0.0, 0.5, 1.0):
        proba = BlendGaussianNB(lambda_=lam).fit(X, y).predict_proba(X)
        loss[lam] = -np.log(proba[np.arange(len(y)), y]).mean()
    assert loss[0.0] <= loss[0.5] + 1e-9 <= loss[1.0] + 2e-9


# -- the gradient every family hands to L-BFGS ---------------------------------------------


@pytest.mark.parametrize(("make_model", "data"), [
    (lambda: BlendGaussianNB(lambda_=0.3), _continuous),
    (lambda: BlendGaussianNB(lambda_=0.3, covariance="shared"), _continuous),
    (lambda: BlendMultinomialNB(lambda_=0.3, alpha=0.7), _counts),
    (lambda: BlendBernoulliNB(lambda_=0.3, alpha=0.7), _bits),
])
@pytest.mark.parametrize("holes", [False, True])
def test_objective_gradient_matches_finite_differences(make_model, data, holes):
    X, y = data(n=40, k=3)
    if holes:
        X = X.copy()
        X[np.random.RandomState(3).uniform(size=X.shape) < 0.25] = np.nan
        X[0] = np.nan  # an empty row too
    model = make_model().fit(X, y)
    Xv, _, y_idx = model._validate_fit(X, y)
    data_ = model._design(Xv)
    model._fixed_log_prior = np.log(model.class_prior_)
    rng = np.random.RandomState(0)
    v = np.concatenate([rng.normal(size=3), model._initial_parameters(data_)])
    v += rng.normal(scale=0.3, size=v.shape)
    err = check_grad(lambda p: model._objective(p, data_, y_idx, 0.3)[0],
                     lambda p: model._objective(p, data_, y_idx, 0.3)[1], v, epsilon=1e-6)
    scale = np.abs(model._objective(v, data_, y_idx, 0.3)[1]).max()
    assert err <= 1e-5 * max(scale, 1.0)


# -- every lambda is still a generative model ----------------------------------------------


@pytest.mark.parametrize("lam", [0.0, 0.3, 1.0])
def test_log_density_integrates_to_one_in_one_dimension(lam):
    X, y = _continuous(n=50, d=1)
    model = BlendGaussianNB(lambda_=lam).fit(X, y)
    total, _ = integrate.quad(lambda t: np.exp(model.score_samples([[t]])[0]), -np.inf, np.inf)
    assert total == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("covariance", ["diag", "shared"])
def test_log_density_integrates_to_one_in_two_dimensions(covariance):
    X, y = _continuous(n=60, d=2)
    model = BlendGaussianNB(lambda_=0.2, covariance=covariance).fit(X, y)
    sd = np.sqrt(model.var_.max())
    lo, hi = model.theta_.min() - 12 * sd, model.theta_.max() + 12 * sd
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


def test_missing_feature_is_integrated_out():
    X, y = _continuous(n=60, d=2)
    model = BlendGaussianNB(lambda_=0.4).fit(X, y)
    x1 = 0.7
    marginal, _ = integrate.quad(lambda t: np.exp(model.score_samples([[x1, t]])[0]),
                                 -np.inf, np.inf)
    assert model.score_samples([[x1, np.nan]])[0] == pytest.approx(np.log(marginal), abs=1e-6)
    np.testing.assert_allclose(model.predict_proba([[np.nan, np.nan]])[0], model.class_prior_,
                               rtol=0, atol=1e-12)


def test_fits_with_missing_values_and_samples_from_each_class():
    X, y = _continuous(n=80, d=3)
    X[np.random.RandomState(0).uniform(size=X.shape) < 0.2] = np.nan
    model = BlendGaussianNB(lambda_=0.5).fit(X, y)
    assert np.isfinite(model.theta_).all() and (model.var_ > 0).all()
    draws, labels = model.sample(2000, y=1, random_state=0)
    assert (labels == 1).all()
    np.testing.assert_allclose(draws.mean(axis=0), model.theta_[1], rtol=0,
                               atol=4 * np.sqrt(model.var_[1].max() / 2000))
    filled = model.impute(X[:5])
    assert not np.isnan(filled).any()


def test_capabilities_are_generative_without_partial_fit():
    for model in (BlendGaussianNB(), BlendMultinomialNB(), BlendBernoulliNB()):
        caps = capabilities(model)
        assert {"classify", "density", "sample", "conditional_sample", "missing_features",
                "blend"} <= caps
        assert "partial_fit" not in caps and not hasattr(model, "partial_fit")


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
    for cls in (BlendGaussianNB, BlendMultinomialNB, BlendBernoulliNB):
        model = cls(lambda_=value)
        # X is bad too: the lambda check comes first, and nothing is fitted
        with pytest.raises(error, match=r"lambda_ must be a number in \[0, 1\] or 'cv'"):
            model.fit([["not a number"]], [0])
        assert not hasattr(model, "classes_")


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"lambda_grid": ()}, ValueError, "lambda_grid"),
    ({"lambda_grid": (0.5, 2.0)}, ValueError, "lambda_grid"),
    ({"lambda_grid": "cv"}, TypeError, "lambda_grid"),
    ({"cv": 1}, ValueError, "cv"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"tol": 0.0}, ValueError, "tol"),
    ({"covariance": "full"}, ValueError, "covariance"),
])
def test_bad_settings_are_refused(params, error, match):
    X, y = _continuous()
    with pytest.raises(error, match=match):
        BlendGaussianNB(lambda_=0.5, **params).fit(X, y)


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
])
def test_sklearn_compatible(estimator, check):
    check(estimator)
