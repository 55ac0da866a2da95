"""Tests for the variational autoencoder (VAE) and the conditional VAE (CVAE)."""

from __future__ import annotations

import numpy as np
import pytest
from _estimator_checks import (
    OwnMethodChecks,
    bounded_data,
    check_huge_values_refused,
    check_samples_stay_in_fit_range,
)
from scipy import stats
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab.base import ClassConditional
from gdlab.capability_tags import capabilities
from gdlab.models.vae import CVAE, VAE

TINY = {"latent_dim": 2, "hidden": (16,), "random_state": 0}


def _blobs(n_per_class=40, n_features=4, n_classes=2, sep=4.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centers = sep * rng.normal(size=(n_classes, n_features))
    return rng.normal(size=(len(y), n_features)) + centers[y], y, centers


def _low_rank(n=120, seed=0):
    """Rows near a 2-D plane in 5-D (a VAE with a 2-D code can reconstruct them)."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(2, 5))
    return rng.normal(size=(n, 2)) @ W + 0.1 * rng.normal(size=(n, 5)) + 3.0


@pytest.fixture(scope="module")
def vae_and_data():
    X = _low_rank()
    return VAE(**TINY, max_epochs=60, batch_size=16).fit(X), X


@pytest.fixture(scope="module")
def cvae_and_data():
    X, y, centers = _blobs()
    return CVAE(**TINY, max_epochs=60, batch_size=16).fit(X, y), X, y, centers


# ---------------------------------------------------------------------------- training


@pytest.mark.parametrize("make", [
    lambda: (VAE(**TINY, max_epochs=40, batch_size=16, validation_fraction=0.0), False),
    lambda: (CVAE(**TINY, max_epochs=40, batch_size=16, validation_fraction=0.0), True),
])
def test_training_loss_decreases_on_a_fixed_tiny_set(make):
    model, supervised = make()
    X, y, _ = _blobs()
    model.fit(X, y) if supervised else model.fit(X)
    loss = np.array([h["train_loss"] for h in model.history_])
    assert model.n_epochs_ == 40 and len(loss) == 40
    # monotone-ish: every block of 10 epochs is better on average than the previous one
    blocks = loss.reshape(4, 10).mean(axis=1)
    assert np.all(np.diff(blocks) < 0), blocks
    assert loss[-5:].mean() < 0.95 * loss[:5].mean()
    # the logged terms add up: loss = recon + beta * kl
    # (float32 sums on the device: equal up to rounding of the terms' own size)
    last = model.history_[-1]
    recon, kl = last["train_recon"], last["train_kl"]
    assert abs(last["train_loss"] - (recon + kl)) <= 1e-5 * (abs(recon) + abs(kl)) + 1e-6


def test_same_seed_same_fit():
    X, _, _ = _blobs()
    a = VAE(**TINY, max_epochs=3).fit(X).score_samples(X)
    b = VAE(**TINY, max_epochs=3).fit(X).score_samples(X)
    np.testing.assert_array_equal(a, b)


# ----------------------------------------------------------------------- capabilities


def test_capabilities_are_bounds_not_densities():
    assert capabilities(VAE()) == {"density_bound", "sample"}
    assert capabilities(CVAE()) == {"classify", "density_bound", "sample", "conditional_sample"}
    caps = capabilities(ClassConditional(VAE()))
    assert "density_bound" in caps and "density" not in caps


# ------------------------------------------------------------------------------ bounds


def test_elbo_is_below_the_importance_weighted_estimate(vae_and_data):
    vae, X = vae_and_data
    elbo = vae.elbo(X, k=256, random_state=1)
    iw = vae.log_likelihood_iw(X, k=256, random_state=1)
    # k=1 is an unbiased ELBO estimate; the same draw serves all rows, so average seeds
    iw1 = np.mean([vae.log_likelihood_iw(X, k=1, random_state=s) for s in range(30)], axis=0)
    assert elbo.mean() < iw.mean()
    assert np.mean(elbo <= iw + 1e-6) > 0.9
    # more importance samples never loosen the bound (on average)
    assert iw1.mean() <= iw.mean()


def test_cvae_per_class_elbo_is_below_iwae(cvae_and_data):
    cvae, X, _, _ = cvae_and_data
    elbo = cvae.elbo(X, k=128, random_state=0)
    iw = cvae.log_likelihood_iw(X, k=128, random_state=0)
    assert elbo.shape == iw.shape == (len(X), 2)
    assert elbo.mean() < iw.mean()


def test_score_samples_is_elbo_or_iwae_and_deterministic(vae_and_data):
    vae, X = vae_and_data
    s = vae.score_samples(X)
    np.testing.assert_array_equal(s, vae.score_samples(X))
    np.testing.assert_allclose(s[::-1], vae.score_samples(X[::-1]), rtol=1e-12, atol=1e-9)
    iw = vae.set_params(n_importance=32).score_samples(X)
    vae.set_params(n_importance=0)
    assert s.mean() < iw.mean()


def test_bound_is_in_original_units_and_below_the_true_density():
    cov = np.array([[4.0, 1.5, 0.0], [1.5, 2.0, 0.3], [0.0, 0.3, 0.5]])
    truth = stats.multivariate_normal(mean=[10.0, -3.0, 0.5], cov=cov)
    X, X_test = truth.rvs(600, random_state=1), truth.rvs(2000, random_state=2)
    vae = VAE(latent_dim=3, hidden=(32,), max_epochs=60, batch_size=32, random_state=0).fit(X)
    iw = vae.log_likelihood_iw(X_test, k=64, random_state=0).mean()
    true_mean = truth.logpdf(X_test).mean()
    # Gibbs: the model's expected log density cannot beat the data's own (up to noise)
    assert iw <= true_mean + 0.1
    assert iw >= true_mean - 1.0  # and it learned the density reasonably

    # rescaling the data shifts the bound by exactly the log-Jacobian
    c = 10.0
    scaled = VAE(latent_dim=3, hidden=(32,), max_epochs=3, random_state=0).fit(c * X + 5.0)
    plain = VAE(latent_dim=3, hidden=(32,), max_epochs=3, random_state=0).fit(X)
    # (the two fits see float32 inputs that differ by rounding: equal up to float32 noise)
    np.testing.assert_allclose(scaled.score_samples(c * X_test[:50] + 5.0),
                               plain.score_samples(X_test[:50]) - 3 * np.log(c), rtol=0,
                               atol=1e-4)


# ---------------------------------------------------------------------------- sampling


def test_vae_sampling_shapes_and_seeding(vae_and_data):
    vae, X = vae_and_data
    a = vae.sample(7, random_state=3)
    assert a.shape == (7, X.shape[1]) and np.isfinite(a).all()
    np.testing.assert_array_equal(a, vae.sample(7, random_state=3))
    assert not np.allclose(a, vae.sample(7, random_state=4))
    noisy = vae.sample(7, random_state=3, noise=True)
    assert noisy.shape == a.shape and not np.allclose(noisy, a)
    np.testing.assert_array_equal(noisy, vae.sample(7, random_state=3, noise=True))
    rng = np.random.RandomState(0)
    assert not np.allclose(vae.sample(5, random_state=rng), vae.sample(5, random_state=rng))


def test_vae_samples_follow_the_data(vae_and_data):
    vae, X = vae_and_data
    S = vae.sample(2000, random_state=0, noise=True)
    np.testing.assert_allclose(S.mean(axis=0), X.mean(axis=0), atol=0.6 * X.std(axis=0).max())


def test_cvae_samples_are_label_conditioned(cvae_and_data):
    cvae, X, y, centers = cvae_and_data
    for k in (0, 1):
        S, ys = cvae.sample(300, y=k, random_state=0)
        assert S.shape == (300, X.shape[1]) and (ys == k).all()
        dist = np.linalg.norm(S.mean(axis=0)[None] - centers, axis=1)
        assert dist.argmin() == k and dist[k] < 1.0
        # the model itself recognizes its class-conditional samples
        assert np.mean(cvae.predict(S) == k) > 0.9


def test_cvae_sampling_shapes_seeding_and_prior(cvae_and_data):
    cvae, X, _, _ = cvae_and_data
    S, ys = cvae.sample(y=[1, 0, 1], random_state=0)
    assert S.shape == (3, X.shape[1]) and ys.tolist() == [1, 0, 1]
    A, ya = cvae.sample(50, random_state=5)
    B, yb = cvae.sample(50, random_state=5)
    np.testing.assert_array_equal(A, B)
    np.testing.assert_array_equal(ya, yb)
    assert set(ya.tolist()) == {0, 1}
    N, _ = cvae.sample(4, y=0, random_state=0, noise=True)
    assert N.shape == (4, X.shape[1])


# ---------------------------------------------------------------- encode / reconstruct


def test_transform_and_reconstruct(vae_and_data):
    vae, X = vae_and_data
    Z = vae.transform(X)
    assert Z.shape == (len(X), 2)
    np.testing.assert_array_equal(Z, vae.transform(X))
    assert vae.get_feature_names_out().tolist() == ["vae0", "vae1"]
    R = vae.reconstruct(X)
    assert R.shape == X.shape
    # reconstructions beat predicting the mean row (the code carries information)
    assert ((R - X) ** 2).mean() < 0.5 * ((X - X.mean(axis=0)) ** 2).mean()


def test_cvae_transform_uses_the_given_or_predicted_class(cvae_and_data):
    cvae, X, y, _ = cvae_and_data
    Z = cvae.transform(X, y)
    assert Z.shape == (len(X), 2)
    np.testing.assert_allclose(cvae.transform(X), cvae.transform(X, cvae.predict(X)),
                               rtol=0, atol=1e-12)
    assert cvae.reconstruct(X, y).shape == X.shape
    with pytest.raises(ValueError, match="labels not seen"):
        cvae.transform(X, 7)


# ---------------------------------------------------------------------- classification


def test_cvae_classifies_an_easy_problem():
    X, y, _ = _blobs(n_per_class=60, n_features=5, n_classes=3, sep=3.0, seed=1)
    X_test, y_test, _ = _blobs(n_per_class=30, n_features=5, n_classes=3, sep=3.0, seed=1)
    X_test = X_test + np.random.default_rng(9).normal(scale=0.1, size=X_test.shape)
    cvae = CVAE(**TINY, max_epochs=60, batch_size=16).fit(X, y)
    assert cvae.score(X_test, y_test) > 0.9  # chance is 1/3
    P = cvae.predict_proba(X_test)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # Bayes' rule: log joint = log prior + per-class bound
    np.testing.assert_allclose(cvae.log_joint(X_test[:5]),
                               cvae.elbo(X_test[:5], k=8, random_state=0)
                               + np.log(cvae.class_prior_), rtol=0, atol=1e-9)


def test_cvae_priors_shift_the_posterior(cvae_and_data):
    _, X, y, _ = cvae_and_data
    flat = CVAE(**TINY, max_epochs=5).fit(X, y)
    tilted = CVAE(**TINY, max_epochs=5, priors=[0.9, 0.1]).fit(X, y)
    np.testing.assert_allclose(tilted.class_prior_, [0.9, 0.1])
    assert tilted.predict_proba(X)[:, 0].mean() > flat.predict_proba(X)[:, 0].mean()


def test_class_conditional_over_vaes():
    X, y, _ = _blobs(n_per_class=30)
    clf = ClassConditional(VAE(**TINY, max_epochs=30, batch_size=16)).fit(X, y)
    assert clf.score(X, y) > 0.9
    S, ys = clf.sample(6, y=1, random_state=0)
    assert S.shape == (6, X.shape[1]) and (ys == 1).all()


# --------------------------------------------------------------------- architectures


@pytest.mark.parametrize("likelihood", ["gaussian", "bernoulli"])
def test_conv_architecture_on_images(likelihood):
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(40, 16))
    y = np.repeat([0, 1], 20)
    X[y == 1, :8] = 1.0  # top half of class-1 images is white
    model = CVAE(**TINY, architecture="conv", image_shape=(4, 4), channels=4,
                 likelihood=likelihood, max_epochs=3).fit(X, y)
    assert model.predict_proba(X).shape == (40, 2)
    S, _ = model.sample(5, y=1, random_state=0)
    assert S.shape == (5, 16)
    if likelihood == "bernoulli":
        assert ((S >= 0) & (S <= 1)).all()
        B, _ = model.sample(5, y=1, random_state=0, noise=True)
        assert set(np.unique(B).tolist()) <= {0.0, 1.0}
    vae = VAE(**TINY, architecture="conv", image_shape=(4, 4), channels=4,
              likelihood=likelihood, max_epochs=2).fit(X)
    assert vae.transform(X).shape == (40, 2) and vae.reconstruct(X).shape == X.shape


# ----------------------------------------------------------------------------- save/load


def test_save_load_round_trip(tmp_path, vae_and_data, cvae_and_data):
    vae, X = vae_and_data
    path = gdlab.save(vae, tmp_path / "vae.gdlab")
    loaded = gdlab.load(path)
    np.testing.assert_array_equal(loaded.score_samples(X), vae.score_samples(X))
    np.testing.assert_array_equal(loaded.transform(X), vae.transform(X))
    np.testing.assert_array_equal(loaded.sample(5, random_state=0), vae.sample(5, random_state=0))

    cvae, X, _, _ = cvae_and_data
    loaded = gdlab.load(gdlab.save(cvae, tmp_path / "cvae.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(X), cvae.predict_proba(X))
    np.testing.assert_array_equal(loaded.sample(5, y=1, random_state=0)[0],
                                  cvae.sample(5, y=1, random_state=0)[0])


def test_save_load_conv_bernoulli(tmp_path):
    X = np.random.default_rng(0).uniform(size=(30, 16))
    vae = VAE(**TINY, architecture="conv", image_shape=(4, 4), channels=4,
              likelihood="bernoulli", max_epochs=2).fit(X)
    loaded = gdlab.load(gdlab.save(vae, tmp_path / "conv.gdlab"))
    np.testing.assert_array_equal(loaded.log_likelihood_iw(X, k=8, random_state=0),
                                  vae.log_likelihood_iw(X, k=8, random_state=0))


# ------------------------------------------------------------------------------ bad input


def test_images_of_the_wrong_size():
    X = np.zeros((20, 15))
    with pytest.raises(ValueError, match="16 pixels, but X has 15 features"):
        VAE(architecture="conv", image_shape=(4, 4)).fit(X)
    with pytest.raises(ValueError, match="needs image_shape"):
        VAE(architecture="conv").fit(np.zeros((20, 16)))
    with pytest.raises(ValueError, match="even"):
        VAE(architecture="conv", image_shape=(3, 5)).fit(X)


def test_wrong_feature_count_at_predict(vae_and_data, cvae_and_data):
    vae, X = vae_and_data
    with pytest.raises(ValueError, match="features"):
        vae.score_samples(X[:, :3])
    cvae = cvae_and_data[0]
    with pytest.raises(ValueError, match="features"):
        cvae.predict(X[:, :3])


def test_nan_input_is_rejected(vae_and_data, cvae_and_data):
    vae, X = vae_and_data
    bad = X.copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VAE(**TINY, max_epochs=1).fit(bad)
    with pytest.raises(ValueError, match="NaN"):
        vae.score_samples(bad)
    with pytest.raises(ValueError, match="NaN"):
        cvae_and_data[0].predict(bad)
    with pytest.raises(TypeError, match="missing_features"):
        vae.impute(bad)
    with pytest.raises(TypeError, match="whole rows"):
        vae._draw(bad, np.random.RandomState(0))


def test_labels_out_of_range(cvae_and_data):
    cvae = cvae_and_data[0]
    with pytest.raises(ValueError, match="labels not seen in fit"):
        cvae.sample(3, y=5)
    with pytest.raises(ValueError, match="at least 2 classes"):
        CVAE(**TINY).fit(np.zeros((10, 2)), np.zeros(10))


def test_bernoulli_needs_unit_interval():
    X = np.random.default_rng(0).uniform(0, 16, size=(20, 4))
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        VAE(likelihood="bernoulli").fit(X)
    vae = VAE(**TINY, likelihood="bernoulli", max_epochs=1).fit(X / 16)
    with pytest.raises(ValueError, match=r"X in \[0, 1\]"):
        vae.score_samples(X)


@pytest.mark.parametrize("params, error, match", [
    ({"latent_dim": 0}, ValueError, "latent_dim"),
    ({"latent_dim": 2.5}, TypeError, "latent_dim"),
    ({"hidden": (16, 0)}, ValueError, "hidden"),
    ({"hidden": "wide"}, ValueError, "hidden"),
    ({"architecture": "rnn"}, ValueError, "architecture"),
    ({"likelihood": "poisson"}, ValueError, "likelihood"),
    ({"beta": 0.0}, ValueError, "beta"),
    ({"n_importance": -1}, ValueError, "n_importance"),
    ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
    ({"max_epochs": 0}, ValueError, "max_epochs"),
    ({"lr": -1.0}, ValueError, "lr"),
])
def test_bad_hyper_parameters(params, error, match):
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(error, match=match):
        VAE(**params).fit(X)


@pytest.mark.parametrize("model", [VAE(**TINY, max_epochs=2), CVAE(**TINY, max_epochs=2)],
                         ids=["VAE", "CVAE"])
def test_huge_values_are_refused_before_training(model):
    X, y, _ = _blobs()
    # a large value whose square does not overflow trains: standardized in float64, then
    # cast to the network's float32 (a float32 cast first would turn it into inf)
    check_huge_values_refused(model, X, y, at=(3, 2), score="score_samples", trainable=1e100)


def test_samples_of_bounded_data_stay_in_the_range_seen_in_fit():
    X, y = bounded_data()
    for model in (VAE(**TINY, max_epochs=2).fit(X), CVAE(**TINY, max_epochs=2).fit(X, y)):
        for noise in (False, True):
            check_samples_stay_in_fit_range(model, X, 500, random_state=0, noise=noise)


def test_too_few_rows_to_hold_one_out_train_on_all_rows():
    """5 rows with validation_fraction=0.1 hold out none: no split, no early stopping."""
    X = np.random.default_rng(0).normal(size=(5, 3))
    vae = VAE(**TINY, max_epochs=3, patience=1).fit(X)
    assert vae.n_epochs_ == 3 and all("val_loss" not in h for h in vae.history_)
    assert np.isfinite(vae.score_samples(X)).all()


def test_bad_method_arguments(vae_and_data):
    vae, X = vae_and_data
    with pytest.raises(ValueError, match="k must"):
        vae.elbo(X, k=0)
    with pytest.raises(TypeError, match="n_samples"):
        vae.sample(2.5)


# ------------------------------------------------------------------ scikit-learn checks


@parametrize_with_checks([
    VAE(latent_dim=2, hidden=(8,), max_epochs=2, random_state=0),
])
def test_sklearn_checks_vae(estimator, check):
    check(estimator)


@parametrize_with_checks([
    # enough updates to pass check_classifiers_train (accuracy > 0.83 on blobs)
    CVAE(latent_dim=2, hidden=(16,), max_epochs=6, batch_size=16, lr=3e-3, random_state=0),
])
def test_sklearn_checks_cvae(estimator, check):
    check(estimator)


# scikit-learn's checks call predict*, transform, score_samples, ...; they never call
# sample, elbo, log_likelihood_iw, reconstruct, or transform with a class. The same
# properties, asserted on those.

#: name -> (class, call(model, X)); the rowwise ones take rows of X.
OWN_METHODS = {
    "vae-sample": (VAE, lambda m, X: m.sample(6, random_state=1)),
    "vae-sample-noise": (VAE, lambda m, X: m.sample(6, random_state=1, noise=True)),
    "vae-elbo": (VAE, lambda m, X: m.elbo(X, k=3, random_state=1)),
    "vae-log_likelihood_iw": (VAE, lambda m, X: m.log_likelihood_iw(X, k=3, random_state=1)),
    "vae-reconstruct": (VAE, lambda m, X: m.reconstruct(X)),
    "cvae-sample": (CVAE, lambda m, X: np.c_[m.sample(6, random_state=1)]),
    "cvae-sample-y-noise": (CVAE, lambda m, X: m.sample(6, y=1, random_state=1, noise=True)[0]),
    "cvae-elbo": (CVAE, lambda m, X: m.elbo(X, k=3, random_state=1)),
    "cvae-log_likelihood_iw": (CVAE, lambda m, X: m.log_likelihood_iw(X, k=3, random_state=1)),
    "cvae-reconstruct": (CVAE, lambda m, X: m.reconstruct(X)),
    "cvae-reconstruct-y": (CVAE, lambda m, X: m.reconstruct(X, y=_label_of_rows(X))),
    "cvae-transform-y": (CVAE, lambda m, X: m.transform(X, y=_label_of_rows(X))),
}


def _label_of_rows(X):
    """A label per row, from the row itself (so it follows the row when rows are reordered)."""
    return (np.asarray(X, dtype=float)[..., 0] > 0).astype(int)


def _small():
    X, y, _ = _blobs(n_per_class=12, n_features=3)
    return X, y


class TestOwnMethods(OwnMethodChecks):
    """scikit-learn's check properties on the methods its checks never call."""

    methods = OWN_METHODS
    rowwise = [name for name in OWN_METHODS if "sample" not in name]
    params = dict(latent_dim=2, hidden=(8,), max_epochs=2, random_state=0)
    # inference runs in float64: a row's value does not depend on the other rows
    atol = 1e-10
    float32_atol = 1e-3  # float32 rows are standardized in float32 (~1e-7 of each value)
    # a frame's values are column-major: sums in another order, the same model to rounding
    feature_names_atol = 1e-8
    data = staticmethod(_small)
