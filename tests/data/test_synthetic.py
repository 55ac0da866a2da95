"""Synthetic sets: ground truth (Bayes errors, true densities, parameters) and determinism."""

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.naive_bayes import GaussianNB

from gdlab.data import Dataset
from gdlab.data.synthetic import (
    bayes_log_joint,
    estimate_bayes_error,
    gaussian_classes,
    moons,
    nb_misspecified,
    rings,
    xor,
)

GENERATORS = [gaussian_classes, nb_misspecified, moons, xor, rings]


def bayes_rule_error(ds, n, seed):
    """Error of argmax of the true log joint on a fresh sample of the same distribution."""
    fresh = _regenerate(ds, n, seed)
    pred = bayes_log_joint(ds, fresh.X).argmax(axis=1)
    return float(np.mean(pred != fresh.y))


def _regenerate(ds, n, seed):
    gen = {"gaussian_classes": gaussian_classes, "nb_misspecified": nb_misspecified,
           "moons": moons, "xor": xor, "rings": rings}[ds.metadata["generator"]]
    return gen(n_samples=n, random_state=seed, **ds.metadata.get("_kwargs", {}))


@pytest.mark.parametrize("gen", GENERATORS)
def test_defaults_return_a_tabular_dataset(gen):
    ds = gen()
    assert isinstance(ds, Dataset)
    assert ds.modality == "tabular"
    assert ds.X.shape == (1000, ds.X.shape[1]) and ds.y.shape == (1000,)
    assert len(ds.feature_names) == ds.X.shape[1]
    assert set(np.unique(ds.y)) == set(range(len(ds.class_names)))
    assert 0 < ds.metadata["bayes_error"] < 0.5
    assert ds.metadata["bayes_error_se"] >= 0


@pytest.mark.parametrize("gen", GENERATORS)
def test_deterministic_by_seed(gen):
    a, b, c = gen(random_state=3), gen(random_state=3), gen(random_state=4)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.X, c.X)
    # the Bayes error belongs to the distribution, not to the sample
    assert a.metadata["bayes_error"] == c.metadata["bayes_error"]


def test_class_counts_follow_the_priors_exactly():
    ds = gaussian_classes(n_samples=1000, priors=[0.2, 0.8])
    assert np.bincount(ds.y).tolist() == [200, 800]
    ds = gaussian_classes(n_samples=10, n_classes=3, bayes_error_draws=0)
    assert sorted(np.bincount(ds.y).tolist()) == [3, 3, 4]


def test_equal_prior_two_class_error_is_phi_of_half_the_distance():
    for sep in (0.5, 2.0, 4.0):
        ds = gaussian_classes(separation=sep)
        assert ds.metadata["bayes_error_method"] == "closed form"
        assert ds.metadata["bayes_error"] == pytest.approx(norm.cdf(-sep / 2), rel=1e-12)


@pytest.mark.parametrize(
    "ds",
    [
        gaussian_classes(n_features=3, covariance="tied", priors=[0.3, 0.7], separation=1.5),
        nb_misspecified(n_features=3, priors=[0.6, 0.4]),
        xor(noise=0.7),
    ],
    ids=["tied-unequal-priors", "nb-misspecified", "xor"],
)
def test_closed_form_agrees_with_monte_carlo(ds):
    assert ds.metadata["bayes_error_se"] == 0.0
    est, se = estimate_bayes_error(ds, n_draws=200_000, random_state=1)
    assert 0 < se < 0.002
    assert abs(est - ds.metadata["bayes_error"]) < 4 * se


def test_closed_form_is_not_a_constant():
    """Unequal priors lower the error below the equal-prior value."""
    equal = gaussian_classes(separation=1.0).metadata["bayes_error"]
    skewed = gaussian_classes(separation=1.0, priors=[0.1, 0.9]).metadata["bayes_error"]
    assert skewed < equal - 0.02


@pytest.mark.parametrize(
    "make",
    [
        lambda n, s: gaussian_classes(n_samples=n, random_state=s),
        lambda n, s: gaussian_classes(n_samples=n, covariance="random", n_features=3,
                                      random_state=s),
        lambda n, s: gaussian_classes(n_samples=n, n_classes=4, random_state=s),
        lambda n, s: nb_misspecified(n_samples=n, random_state=s),
        lambda n, s: xor(n_samples=n, random_state=s),
        lambda n, s: rings(n_samples=n, random_state=s),
        lambda n, s: moons(n_samples=n, random_state=s),
    ],
    ids=["gauss", "gauss-random-cov", "gauss-4-classes", "nb-misspec", "xor", "rings", "moons"],
)
def test_bayes_classifier_achieves_the_bayes_error(make):
    n = 100_000
    ds = make(n, 11)
    err = float(np.mean(bayes_log_joint(ds, ds.X).argmax(axis=1) != ds.y))
    be = ds.metadata["bayes_error"]
    tol = 4 * np.sqrt(be * (1 - be) / n) + 4 * ds.metadata["bayes_error_se"]
    assert abs(err - be) < tol


def test_bayes_error_can_be_skipped():
    ds = moons(noise=0.3, bayes_error_draws=0)
    assert ds.metadata["bayes_error"] is None
    assert "not computed" in ds.metadata["bayes_error_method"]
    assert "not computed" in ds.description


def test_monte_carlo_cases_state_their_precision():
    for ds in (gaussian_classes(covariance="random"), gaussian_classes(n_classes=3), rings(),
               moons()):
        assert ds.metadata["bayes_error_method"].startswith("Monte Carlo (1000000 draws")
        assert 0 < ds.metadata["bayes_error_se"] < 5e-4


def test_bayes_classifier_beats_a_fitted_model():
    """No fitted classifier does better than the Bayes error (beyond sampling noise)."""
    train = gaussian_classes(n_samples=2000, covariance="random", n_features=3, random_state=1)
    test = gaussian_classes(n_samples=50_000, covariance="random", n_features=3, random_state=2)
    qda = QuadraticDiscriminantAnalysis().fit(train.X, train.y)
    err = 1 - qda.score(test.X, test.y)
    assert err > test.metadata["bayes_error"] - 4 * np.sqrt(0.25 / 50_000)


def test_naive_bayes_is_measurably_worse_than_qda_on_nb_misspecified():
    train = nb_misspecified(n_samples=5000, random_state=1)
    test = nb_misspecified(n_samples=50_000, random_state=2)
    nb_err = 1 - GaussianNB().fit(train.X, train.y).score(test.X, test.y)
    qda_err = 1 - QuadraticDiscriminantAnalysis().fit(train.X, train.y).score(test.X, test.y)
    meta = test.metadata
    assert meta["naive_bayes_error"] - meta["bayes_error"] > 0.15
    assert nb_err == pytest.approx(meta["naive_bayes_error"], abs=0.015)
    assert qda_err == pytest.approx(meta["bayes_error"], abs=0.015)
    assert nb_err - qda_err > 0.12


def test_nb_misspecified_features_are_correlated_and_only_x0_differs_between_classes():
    ds = nb_misspecified(n_samples=40_000, correlation=0.8, n_features=3)
    for k in (0, 1):
        corr = np.corrcoef(ds.X[ds.y == k].T)
        np.testing.assert_allclose(corr[np.triu_indices(3, 1)], 0.8, atol=0.02)
    diff = ds.X[ds.y == 1].mean(0) - ds.X[ds.y == 0].mean(0)
    np.testing.assert_allclose(diff, [1.0, 0.0, 0.0], atol=0.05)


@pytest.mark.parametrize("covariance", ["identity", "tied", "random"])
def test_sample_matches_the_stored_parameters(covariance):
    ds = gaussian_classes(n_samples=60_000, n_features=3, n_classes=3, covariance=covariance,
                          bayes_error_draws=0)
    meta = ds.metadata
    for k in range(3):
        Xk = ds.X[ds.y == k]
        np.testing.assert_allclose(Xk.mean(0), meta["means"][k], atol=0.05)
        np.testing.assert_allclose(np.cov(Xk.T), meta["covariances"][k], atol=0.08)
    if covariance == "tied":
        np.testing.assert_array_equal(meta["covariances"][0], meta["covariances"][2])
    if covariance == "random":
        assert not np.allclose(meta["covariances"][0], meta["covariances"][1])


@pytest.mark.parametrize("n_classes,n_features", [(2, 1), (3, 2), (4, 5), (5, 2), (3, 1)])
def test_nearest_means_are_separation_apart(n_classes, n_features):
    means = gaussian_classes(n_classes=n_classes, n_features=n_features, separation=2.5,
                             n_samples=10, bayes_error_draws=0).metadata["means"]
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    dist[np.diag_indices(n_classes)] = np.inf
    np.testing.assert_allclose(dist.min(axis=1), 2.5)


def test_parameter_seed_fixes_the_distribution_and_random_state_the_sample():
    a = gaussian_classes(covariance="random", random_state=1)
    b = gaussian_classes(covariance="random", random_state=2)
    c = gaussian_classes(covariance="random", parameter_seed=5)
    np.testing.assert_array_equal(a.metadata["covariances"], b.metadata["covariances"])
    assert not np.allclose(a.metadata["covariances"], c.metadata["covariances"])


@pytest.mark.parametrize(
    "make",
    [
        lambda: rings(noise=0.3, n_classes=3, bayes_error_draws=0),
        lambda: moons(noise=0.15, bayes_error_draws=0),
    ],
)
def test_true_class_densities_integrate_to_one(make):
    ds = make()
    h = 0.02
    g = np.arange(-5, 5, h) + h / 2  # cell midpoints (rings' density is infinite at 0)
    gx, gy = np.meshgrid(g, g)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    cond = np.exp(bayes_log_joint(ds, grid) - np.log(ds.metadata["priors"]))
    np.testing.assert_allclose(cond.sum(axis=0) * h * h, 1.0, atol=2e-3)


def test_rings_radii_and_noise():
    ds = rings(n_samples=30_000, noise=0.1, n_classes=3)
    r = np.hypot(ds.X[:, 0], ds.X[:, 1])
    for k in range(3):
        assert r[ds.y == k].mean() == pytest.approx(k + 1, abs=0.01)
        assert r[ds.y == k].std() == pytest.approx(0.1, abs=0.01)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: gaussian_classes(n_classes=1), ValueError, "n_classes must be an int >= 2"),
        (lambda: gaussian_classes(covariance="full"), ValueError, "covariance must be one of"),
        (lambda: gaussian_classes(priors=[0.5, 0.6]), ValueError, "priors must be"),
        (lambda: gaussian_classes(n_samples=0), ValueError, "n_samples must be an int >= 1"),
        (lambda: gaussian_classes(n_samples=2.5), TypeError, "n_samples must be an int"),
        (lambda: gaussian_classes(separation=-1.0), ValueError, "separation must be >= 0"),
        (lambda: nb_misspecified(correlation=1.0), ValueError, r"correlation must be in \[0, 1\)"),
        (lambda: nb_misspecified(n_features=1), ValueError, "n_features must be an int >= 2"),
        (lambda: moons(noise=0), ValueError, "noise must be > 0"),
        (lambda: xor(noise="big"), TypeError, "noise must be a finite real"),
        (lambda: rings(n_classes=1), ValueError, "n_classes must be an int >= 2"),
        (lambda: bayes_log_joint(xor(n_samples=5), np.zeros((3, 3))), ValueError,
         r"expected X of shape \(n_samples, 2\), got shape \(3, 3\)"),
        (lambda: bayes_log_joint({"generator": "iris"}, np.zeros((3, 2))), ValueError,
         "no known generating distribution"),
        (lambda: estimate_bayes_error([1, 2]), TypeError, "expected a Dataset"),
    ],
)
def test_bad_input_raises_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
