"""Tests of GAN and ConditionalGAN (gdlab.models.gan).

What "learning" means here, honestly: a GAN's losses need not decrease (it is
a two-player game), so the learning tests check that the *generated
distribution* moves toward the data (the RBF-kernel MMD between samples and
data drops several-fold from one epoch to a few dozen) and that conditioning
on a label moves samples to that label's mode.
"""

import pickle

import numpy as np
import pytest
from _estimator_checks import (
    OwnMethodChecks,
    bounded_data,
    check_huge_values_refused,
    check_samples_stay_in_fit_range,
)
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab.capability_tags import capabilities
from gdlab.models.gan import GAN, ConditionalGAN

TINY = dict(latent_dim=2, hidden=(16,), max_epochs=2, batch_size=32, device="cpu",
            random_state=0)


def _blobs(n=128, seed=0):
    """Two well-separated 2-D blobs (a bimodal target), labels 0 / 1."""
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal([-4.0, 0.0], 0.5, (n, 2)), rng.normal([4.0, 0.0], 0.5, (n, 2))]
    return X, np.repeat([0, 1], n)


def _mmd(a, b, bandwidth=2.0):
    """Biased RBF-kernel maximum mean discrepancy^2 between the rows of a and b."""
    def k(u, v):
        return np.exp(-((u[:, None] - v[None]) ** 2).sum(-1) / (2 * bandwidth**2))
    return float(k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean())


@pytest.fixture(scope="module")
def blobs():
    return _blobs()


@pytest.fixture(scope="module")
def gan(blobs):
    return GAN(**TINY).fit(blobs[0])


@pytest.fixture(scope="module")
def cgan(blobs):
    X, y = blobs
    return ConditionalGAN(**TINY).fit(X, np.array(["a", "b"])[y])


# ------------------------------------------------------------------ honest capability tags


def test_capabilities_are_honest(gan, cgan):
    assert capabilities(GAN()) == {"sample"}
    assert gan.capabilities == {"sample"}
    assert capabilities(ConditionalGAN()) == {"sample", "conditional_sample"}
    assert "classify" not in cgan.capabilities
    for model in (gan, cgan):  # no density, no Bayes' rule: these must not exist
        for name in ("score_samples", "log_joint", "predict", "predict_proba"):
            assert not hasattr(model, name)


# ------------------------------------------------------------------------ learning


@pytest.mark.parametrize("stabilizer", ["spectral_norm", "r1"])
def test_generated_distribution_moves_toward_data(blobs, stabilizer):
    X = blobs[0]
    kw = dict(latent_dim=2, hidden=(32, 32), lr=2e-3, stabilizer=stabilizer, device="cpu",
              random_state=0)
    early = GAN(max_epochs=1, **kw).fit(X).sample(256, random_state=0)
    late_model = GAN(max_epochs=40, **kw).fit(X)
    late = late_model.sample(256, random_state=0)
    assert _mmd(late, X) < 0.5 * _mmd(early, X)
    # both modes are covered: samples on each side of the gap
    assert (late[:, 0] < -2).mean() > 0.2 and (late[:, 0] > 2).mean() > 0.2
    hist = late_model.history_
    assert len(hist) == 40 and late_model.n_epochs_ == 40
    assert all(np.isfinite([h["train_d_loss"], h["train_g_loss"]]).all() for h in hist)
    assert (hist[-1]["train_r1"] > 0) == (stabilizer == "r1")


def test_label_conditioning_moves_samples_to_the_class(blobs):
    X, y = blobs
    model = ConditionalGAN(latent_dim=2, hidden=(32, 32), lr=2e-3, max_epochs=40, device="cpu",
                           random_state=0).fit(X, y)
    left, y_left = model.sample(200, y=0, random_state=0)
    right, y_right = model.sample(200, y=1, random_state=0)
    assert (y_left == 0).all() and (y_right == 1).all()
    assert np.median(left[:, 0]) < -1.5 and np.median(right[:, 0]) > 1.5


# ------------------------------------------------------------------------ sampling


def test_gan_sample_shape_units_and_seeding(gan, blobs):
    a = gan.sample(7, random_state=3)
    assert a.shape == (7, 2) and a.dtype == np.float64
    np.testing.assert_array_equal(a, gan.sample(7, random_state=3))
    assert not np.allclose(a, gan.sample(7, random_state=4))
    assert gan.sample().shape == (1, 2)
    # a RandomState instance advances: two calls give different draws
    rs = np.random.RandomState(0)
    assert not np.allclose(gan.sample(5, random_state=rs), gan.sample(5, random_state=rs))
    # generator outputs are de-standardized: mean_/scale_ are the data's
    np.testing.assert_allclose(gan.mean_, blobs[0].mean(0))
    np.testing.assert_allclose(gan.scale_, blobs[0].std(0))


def test_fit_is_reproducible(blobs):
    X = blobs[0]
    a = GAN(**TINY).fit(X).sample(5, random_state=0)
    b = GAN(**TINY).fit(X).sample(5, random_state=0)
    np.testing.assert_array_equal(a, b)


def test_cgan_sample_labels(cgan):
    X, y = cgan.sample(6, y="b", random_state=0)
    assert X.shape == (6, 2) and y.tolist() == ["b"] * 6
    X, y = cgan.sample(y=["a", "b", "b"], random_state=0)
    assert X.shape == (3, 2) and y.tolist() == ["a", "b", "b"]
    X1, y1 = cgan.sample(50, random_state=1)
    X2, y2 = cgan.sample(50, random_state=1)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert set(y1) <= {"a", "b"}
    X, y = cgan.sample(random_state=0)
    assert X.shape == (1, 2) and y.shape == (1,)


def test_cgan_labels_follow_the_class_prior():
    X, y = _blobs(n=64)
    keep = np.r_[np.arange(64), np.arange(64, 80)]  # 64 of class 0, 16 of class 1
    model = ConditionalGAN(**TINY).fit(X[keep], y[keep])
    np.testing.assert_allclose(model.class_prior_, [0.8, 0.2])
    _, labels = model.sample(4000, random_state=0)
    assert abs((labels == 1).mean() - 0.2) < 0.03


def test_cgan_same_noise_different_label_gives_different_rows(cgan):
    a, _ = cgan.sample(4, y="a", random_state=0)
    b, _ = cgan.sample(4, y="b", random_state=0)
    assert not np.allclose(a, b)


def test_cgan_sample_bad_labels(cgan):
    with pytest.raises(ValueError, match="not seen in fit"):
        cgan.sample(3, y="c")
    with pytest.raises(ValueError, match="n_samples"):
        cgan.sample(2, y=["a", "b", "a"])
    with pytest.raises(TypeError, match="n_samples"):
        cgan.sample(2.5)


# --------------------------------------------------------------- discriminator scorer


def test_discriminator_score(gan, cgan, blobs):
    X = blobs[0]
    s = gan.discriminator_score(X)
    assert s.shape == (len(X),) and np.isfinite(s).all()
    sa = cgan.discriminator_score(X, "a")
    sb = cgan.discriminator_score(X, np.full(len(X), "b"))
    assert sa.shape == (len(X),) and not np.allclose(sa, sb)
    # float32 logits of the same rows: equal up to rounding by a row's place in the batch
    np.testing.assert_allclose(cgan.discriminator_score(X), np.maximum(sa, sb), rtol=0,
                               atol=1e-5)
    with pytest.raises(ValueError, match="not seen in fit"):
        cgan.discriminator_score(X, "z")
    with pytest.raises(ValueError, match="features"):
        gan.discriminator_score(np.zeros((3, 5)))


# ------------------------------------------------------------------- architectures


def test_conv_architecture_on_images():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 16, size=(40, 64))
    y = np.repeat([0, 1], 20)
    model = ConditionalGAN(architecture="conv", image_shape=(8, 8), channels=4, hidden=(8,),
                           latent_dim=4, max_epochs=1, stabilizer="both", device="cpu",
                           random_state=0).fit(X, y)
    Xs, ys = model.sample(3, y=1, random_state=0)
    assert Xs.shape == (3, 64) and (ys == 1).all()
    assert model.discriminator_score(X[:5], y[:5]).shape == (5,)


# ----------------------------------------------------------------- persistence / clone


@pytest.mark.parametrize("which", ["gan", "cgan"])
def test_save_load_round_trip(which, gan, cgan, blobs, tmp_path):
    model = gan if which == "gan" else cgan
    path = tmp_path / "model.gdlab"
    gdlab.save(model, path)
    loaded = gdlab.load(path)
    assert type(loaded) is type(model)
    X = blobs[0][:20]
    if which == "gan":
        np.testing.assert_array_equal(loaded.sample(9, random_state=2),
                                      model.sample(9, random_state=2))
        np.testing.assert_array_equal(loaded.discriminator_score(X), model.discriminator_score(X))
    else:
        for a, b in zip(loaded.sample(9, random_state=2), model.sample(9, random_state=2),
                        strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(loaded.discriminator_score(X, "a"),
                                      model.discriminator_score(X, "a"))
    assert loaded.history_ == model.history_


@pytest.mark.parametrize("stabilizer", ["spectral_norm", "both"])
def test_pickle_round_trip_with_spectral_norm(blobs, stabilizer):
    # torch refuses to pickle spectrally normalized modules; the estimator pickles its tensors
    X, y = blobs
    model = ConditionalGAN(**{**TINY, "stabilizer": stabilizer}).fit(X, y)
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(loaded.sample(5, random_state=0)[0],
                                  model.sample(5, random_state=0)[0])
    np.testing.assert_array_equal(loaded.discriminator_score(X, y),
                                  model.discriminator_score(X, y))


def test_clone_and_get_params():
    model = ConditionalGAN(latent_dim=3, hidden=(8, 4), stabilizer="r1", r1_gamma=0.5, lr_d=1e-3)
    params = clone(model).get_params()
    assert params["hidden"] == (8, 4) and params["stabilizer"] == "r1"
    assert params["lr_d"] == 1e-3 and params["validation_fraction"] == 0.0
    assert params["patience"] is None
    from gdlab.nn import TRAINING_PARAMS

    assert set(TRAINING_PARAMS) <= set(GAN().get_params())


@pytest.mark.parametrize("cls", [GAN, ConditionalGAN])
def test_parameters_are_keyword_only(cls):
    # as for every gdlab estimator (and scikit-learn's): GAN(16, (8,)) would read
    # as one thing and mean another after any reordering of the signature
    with pytest.raises(TypeError, match="positional"):
        cls(4)
    with pytest.raises(TypeError, match="positional"):
        cls(4, (8,))
    assert cls(latent_dim=4, hidden=(8,)).get_params()["latent_dim"] == 4


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("params, error, match", [
    (dict(latent_dim=0), ValueError, "latent_dim"),
    (dict(latent_dim=2.5), TypeError, "latent_dim"),
    (dict(hidden=()), ValueError, "hidden"),
    (dict(hidden=(8, -1)), ValueError, "hidden"),
    (dict(architecture="resnet"), ValueError, "architecture"),
    (dict(architecture="conv"), ValueError, "image_shape"),
    (dict(image_shape=(3, 3)), ValueError, "pixels"),
    (dict(stabilizer="clip"), ValueError, "stabilizer"),
    (dict(stabilizer="r1", r1_gamma=0.0), ValueError, "r1_gamma"),
    (dict(n_critic=0), ValueError, "n_critic"),
    (dict(lr_d=-1.0), ValueError, "lr_d"),
    (dict(betas=(0.5,)), ValueError, "betas"),
    (dict(betas=(0.5, 1.0)), ValueError, "betas"),
    (dict(validation_fraction=0.1), ValueError, "validation_fraction=0"),
    (dict(patience=5), ValueError, "patience=None"),
    (dict(max_epochs=0), ValueError, "max_epochs"),
    (dict(lr=0.0), ValueError, "lr"),
    (dict(device="tpu"), ValueError, "device"),
])
def test_bad_params_raise_before_training(params, error, match, blobs):
    X, y = blobs
    for model in (GAN(**{**TINY, **params}), ConditionalGAN(**{**TINY, **params})):
        with pytest.raises(error, match=match):
            model.fit(X, y)
        assert not hasattr(model, "module_")


def test_bad_data():
    with pytest.raises(ValueError, match="2D array"):
        GAN(**TINY).fit(np.zeros(10))
    with pytest.raises(ValueError, match="NaN"):
        GAN(**TINY).fit(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match="requires y"):
        ConditionalGAN(**TINY).fit(np.zeros((4, 2)), None)
    with pytest.raises(ValueError, match="continuous|Unknown label type"):
        ConditionalGAN(**TINY).fit(np.zeros((4, 2)), np.array([0.1, 0.2, 0.3, 0.4]))
    with pytest.raises(NotFittedError):
        GAN().sample(2)
    with pytest.raises(NotFittedError):
        ConditionalGAN().discriminator_score(np.zeros((2, 2)))


@pytest.mark.parametrize("cls", [GAN, ConditionalGAN])
def test_huge_values_are_refused_before_training(cls, blobs):
    check_huge_values_refused(cls(**TINY), *blobs, at=(5, 1), score="discriminator_score",
                              huge=-1e300)


def test_samples_of_bounded_data_stay_in_the_range_seen_in_fit():
    X, y = bounded_data()
    for model in (GAN(**TINY).fit(X), ConditionalGAN(**TINY).fit(X, y)):
        check_samples_stay_in_fit_range(model, X, 500, random_state=0)


# -------------------------------------------------------------- scikit-learn's checks


@parametrize_with_checks([GAN(**TINY), ConditionalGAN(**TINY)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


# scikit-learn's checks call predict, transform, score_samples, ...: a GAN has none of
# them, so those checks pass without ever calling ``sample`` or ``discriminator_score``.
# The same properties, asserted on the methods a GAN does have.

def _label_of_rows(X):
    """A label per row, from the row itself (so it follows the row when rows are reordered)."""
    return np.where(np.asarray(X, dtype=float)[..., 0] > 0, "b", "a")


#: The sampler's own methods: name -> (class, call(model, X)); rowwise ones take X.
OWN_METHODS = {
    "gan-sample": (GAN, lambda m, X: m.sample(6, random_state=1)),
    "gan-discriminator_score": (GAN, lambda m, X: m.discriminator_score(X)),
    "cgan-sample": (ConditionalGAN, lambda m, X: np.c_[m.sample(6, random_state=1)]),
    "cgan-sample-y": (ConditionalGAN, lambda m, X: m.sample(6, y="b", random_state=1)[0]),
    "cgan-discriminator_score": (ConditionalGAN, lambda m, X: m.discriminator_score(X)),
    "cgan-discriminator_score-y": (
        ConditionalGAN, lambda m, X: m.discriminator_score(X, _label_of_rows(X))),
}


def _small(seed=0):
    """24 rows, 3 columns, string labels (GAN.fit ignores them)."""
    X, y = _blobs(n=12, seed=seed)
    return np.c_[X, X[:, :1] - X[:, 1:]], np.array(["a", "b"])[y]


class TestOwnMethods(OwnMethodChecks):
    """scikit-learn's check properties on ``sample`` and ``discriminator_score``."""

    methods = OWN_METHODS
    rowwise = [name for name in OWN_METHODS if "discriminator_score" in name]
    params = TINY
    #: float32 networks: a row's logit may round differently with its place in the batch
    atol = float32_atol = feature_names_atol = 1e-5
    rowwise_ndim = 1
    data = staticmethod(_small)


# ------------------------------------------------------------------ digits quality (slow)


@pytest.mark.slow
def test_digits_class_conditional_samples_are_recognizable():
    """A held-out SVM labels >= 90 % of the cGAN's class-conditional digits as intended."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.svm import SVC

    X, y = load_digits(return_X_y=True)
    X_gan, X_judge, y_gan, y_judge = train_test_split(X, y, test_size=0.3, stratify=y,
                                                      random_state=0)
    judge = SVC(kernel="rbf", gamma="scale", C=10).fit(X_judge, y_judge)
    model = ConditionalGAN(max_epochs=60, device="cpu", random_state=0).fit(X_gan, y_gan)
    S, S_y = model.sample(y=np.repeat(np.arange(10), 100), random_state=1)
    assert (judge.predict(S) == S_y).mean() >= 0.9


def test_weight_decay_spares_biases_of_both_players():
    X = np.random.default_rng(0).normal(size=(40, 3))
    gan = GAN(hidden=(8,), max_epochs=1, weight_decay=0.1, random_state=0, device="cpu").fit(X)
    for opt in gan._optimizers(gan.module_):
        for group in opt.param_groups:
            dims = {p.dim() for p in group["params"]}
            assert group["weight_decay"] == (0.1 if min(dims) >= 2 else 0.0)
            assert dims <= {0, 1} or min(dims) >= 2
