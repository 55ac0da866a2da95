"""BlendGaussianClassifier: full / tied covariances by Cholesky factors, between QDA / LDA and
the logistic models of the same family, still a normalized generative model at every lambda."""

import numpy as np
import pytest
from scipy import integrate
from scipy.optimize import check_grad
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdlab import capabilities
from gdlab.models.blend import BlendGaussianClassifier
from gdlab.models.gaussian import GaussianClassifier


def _continuous(seed=0, n=60, d=2, k=2):
    """Classes with different means, scales and correlations (QDA's case)."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    X = rng.normal(size=(n, d)) * (1.0 + 0.5 * y[:, None]) + y[:, None] * 1.2
    X[:, -1] += (0.8 - 0.6 * y) * X[:, 0]  # a class-dependent correlation
    return X, y


@pytest.mark.parametrize("covariance", ["full", "tied"])
@pytest.mark.parametrize("perturb", [False, True])
@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_lambda_one_is_the_closed_form_gaussian_classifier(monkeypatch, covariance, perturb,
                                                           scale):
    X, y = load_iris(return_X_y=True)
    X[:, 0] *= scale
    if perturb:  # start L-BFGS away from the closed form: reaching it is the optimizer's work
        original = BlendGaussianClassifier._initial_parameters
        rng = np.random.RandomState(1)
        monkeypatch.setattr(BlendGaussianClassifier, "_initial_parameters",
                            lambda self, data: original(self, data)
                            + rng.normal(scale=0.3, size=original(self, data).shape))
    blend = BlendGaussianClassifier(lambda_=1.0, covariance=covariance).fit(X, y)
    qda = GaussianClassifier(covariance=covariance).fit(X, y)
    sd = X.std(axis=0)  # on each feature's own scale
    np.testing.assert_allclose(blend.means_ / sd, qda.means_ / sd, rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.covariances_ / np.outer(sd, sd),
                               qda.covariances_ / np.outer(sd, sd), rtol=0, atol=1e-6)
    np.testing.assert_allclose(blend.class_prior_, qda.class_prior_, rtol=0, atol=1e-7)
    np.testing.assert_allclose(blend.predict_proba(X), qda.predict_proba(X), rtol=0, atol=1e-5)
    assert blend.converged_


# at lambda = 0 the reg_covar term tilts a flat valley (S and the means can grow together
# without changing p(y | x)): L-BFGS may stop at max_iter there, with the posterior converged
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("features", [slice(0, 2), slice(0, 4)])
def test_lambda_zero_tied_is_logistic_regression(features):
    X, y = load_iris(return_X_y=True)
    keep = np.isin(y, (1, 2))  # versicolor and virginica overlap (setosa is separable: the
    X, y = X[keep][:, features], y[keep]  # discriminative end then has no finite optimum)
    # reg_covar=0: no prior term, the objective is logistic regression's likelihood exactly
    blend = BlendGaussianClassifier(lambda_=0.0, covariance="tied", reg_covar=0.0).fit(X, y)
    logreg = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(blend.predict_proba(X), logreg.predict_proba(X), rtol=0,
                               atol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lambda_zero_fits_the_training_labels_at_least_as_well_as_any_lambda():
    X, y = _continuous(n=80)
    loss = {}
    for lam in (0.0, 0.5, 1.0):
        proba = BlendGaussianClassifier(lambda_=lam).fit(X, y).predict_proba(X)
        loss[lam] = -np.log(proba[np.arange(len(y)), y]).mean()
    assert loss[0.0] <= loss[0.5] + 1e-7 <= loss[1.0] + 2e-7


@pytest.mark.parametrize("covariance", ["full", "tied"])
@pytest.mark.parametrize("holes", [False, True])
def test_objective_gradient_matches_finite_differences(covariance, holes):
    X, y = _continuous(n=45, d=3, k=3)
    if holes:
        X = X.copy()
        X[np.random.RandomState(3).uniform(size=X.shape) < 0.25] = np.nan
        X[0] = np.nan  # an empty row too
    model = BlendGaussianClassifier(lambda_=0.3, covariance=covariance).fit(X, y)
    Xv, _, y_idx = model._validate_fit(X, y)
    data = model._design(Xv)
    model._fixed_log_prior = np.log(model.class_prior_)
    rng = np.random.RandomState(0)
    v = np.concatenate([rng.normal(size=3), model._initial_parameters(data)])
    v += rng.normal(scale=0.1, size=v.shape)
    err = check_grad(lambda p: model._objective(p, data, y_idx, 0.3)[0],
                     lambda p: model._objective(p, data, y_idx, 0.3)[1], v, epsilon=1e-6)
    scale = np.abs(model._objective(v, data, y_idx, 0.3)[1]).max()
    assert err <= 1e-4 * max(scale, 1.0)


@pytest.mark.parametrize("lam", [0.2, 0.7])
def test_log_density_integrates_to_one_in_two_dimensions(lam):
    X, y = _continuous(n=60, d=2)
    model = BlendGaussianClassifier(lambda_=lam).fit(X, y)
    sd = np.sqrt(np.diagonal(model.covariances_, axis1=1, axis2=2).max())
    lo, hi = model.means_.min() - 12 * sd, model.means_.max() + 12 * sd
    grid = np.linspace(lo, hi, 601)
    gx, gy = np.meshgrid(grid, grid)
    dens = np.exp(model.score_samples(np.column_stack([gx.ravel(), gy.ravel()])))
    total = integrate.trapezoid(integrate.trapezoid(dens.reshape(gx.shape), grid), grid)
    assert total == pytest.approx(1.0, abs=1e-4)


def test_missing_feature_is_integrated_out_and_training_nan_is_marginalized():
    X, y = _continuous(n=80, d=2)
    X[np.random.RandomState(0).uniform(size=X.shape) < 0.15] = np.nan
    model = BlendGaussianClassifier(lambda_=0.4).fit(X, y)
    assert np.isfinite(model.means_).all()
    x1 = 0.7
    marginal, _ = integrate.quad(lambda t: np.exp(model.score_samples([[x1, t]])[0]),
                                 -np.inf, np.inf)
    assert model.score_samples([[x1, np.nan]])[0] == pytest.approx(np.log(marginal), abs=1e-6)
    np.testing.assert_allclose(model.predict_proba([[np.nan, np.nan]])[0], model.class_prior_,
                               rtol=0, atol=1e-12)
    draws, labels = model.sample(4000, y=1, random_state=0)
    assert (labels == 1).all()
    sd = np.sqrt(np.diag(model.covariances_[1]))
    np.testing.assert_allclose(draws.mean(axis=0), model.means_[1], rtol=0,
                               atol=4 * sd.max() / np.sqrt(4000))


def test_tied_keeps_one_covariance_and_capabilities_are_generative():
    X, y = _continuous(n=60, d=3, k=3)
    model = BlendGaussianClassifier(lambda_=0.5, covariance="tied").fit(X, y)
    np.testing.assert_array_equal(model.covariances_[0], model.covariances_[2])
    caps = capabilities(model)
    assert {"classify", "density", "sample", "conditional_sample", "missing_features",
            "blend"} <= caps and "partial_fit" not in caps


@pytest.mark.parametrize(("params", "error", "match"), [
    ({"covariance": "diag"}, ValueError, "covariance"),
    ({"reg_covar": -1.0}, ValueError, "reg_covar"),
    ({"lambda_": 1.5}, ValueError, r"lambda_ must be a number in \[0, 1\]"),
    ({"max_iter": 0}, ValueError, "max_iter"),
])
def test_bad_settings_are_refused_before_fitting(params, error, match):
    X, y = _continuous()
    model = BlendGaussianClassifier(**{"lambda_": 0.5, **params})
    with pytest.raises(error, match=match):
        model.fit(X, y)
    assert not hasattr(model, "classes_")


@parametrize_with_checks([
    BlendGaussianClassifier(lambda_=0.5),
    BlendGaussianClassifier(lambda_=0.5, covariance="tied"),
])
def test_sklearn_compatible(estimator, check):
    check(estimator)
