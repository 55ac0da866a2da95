"""VAE pretraining, then fine-tuning (VAEPretrainClassifier, registry vae-pretrain-finetune)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from _estimator_checks import blobs, hide_labels
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab.capability_tags import capabilities
from gdlab.models import vae_pretrain
from gdlab.models.vae_pretrain import VAEPretrainClassifier
from gdlab.nn import FreezeParameters
from gdlab.nn.training import Trainer

TINY = {"latent_dim": 2, "hidden": (16,), "pretrain_epochs": 15, "max_epochs": 60,
        "batch_size": 16, "lr": 3e-3, "random_state": 0}


class _Recorder:
    """Wraps ``Trainer.fit``: keeps each trained module and a copy of its weights at entry."""

    def __init__(self, monkeypatch):
        self.modules, self.at_entry = [], []
        original = Trainer.fit

        def fit(trainer, module, *args, **kwargs):
            self.modules.append(module)
            self.at_entry.append({k: v.detach().clone() for k, v in module.state_dict().items()})
            return original(trainer, module, *args, **kwargs)

        monkeypatch.setattr(Trainer, "fit", fit)


@pytest.fixture(scope="module")
def fitted():
    X, y = blobs()
    y_partial = hide_labels(y, 4)
    return VAEPretrainClassifier(**TINY).fit(X, y_partial), X, y, y_partial


# ---------------------------------------------------------------------------- training


def test_pretraining_and_fine_tuning_losses_decrease(fitted):
    model = fitted[0]
    assert len(model.pretrain_history_) == TINY["pretrain_epochs"]
    assert model.pretrain_history_[-1]["train_loss"] < model.pretrain_history_[0]["train_loss"]
    assert len(model.history_) == TINY["max_epochs"]
    assert model.history_[-1]["train_loss"] < model.history_[0]["train_loss"]


def test_fitted_attributes_and_predictions(fitted):
    model, X, y, y_partial = fitted
    assert capabilities(model) == {"classify", "semi_supervised"}
    assert model.n_labelled_ == 12 and model.n_unlabelled_ == len(y) - 12
    np.testing.assert_array_equal(model.classes_, [0, 1, 2])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert model.score(X, y) > 0.9
    assert model.embed(X[:5]).shape == (5, 16)


def test_the_classifier_starts_from_the_encoder(monkeypatch):
    X, y = blobs()
    rec = _Recorder(monkeypatch)
    model = VAEPretrainClassifier(**TINY).fit(X, hide_labels(y, 4))
    vae_net, classifier = rec.modules
    assert classifier is model.module_
    encoder = vae_net.encoder.state_dict()  # the VAE's trained encoder
    start = rec.at_entry[1]  # the classifier right after it was built, before any update
    body = {k.removeprefix("body."): v for k, v in start.items() if k.startswith("body.")}
    assert body.keys() == encoder.keys()
    for k, v in encoder.items():
        assert torch.equal(body[k], v), k
    # the first layer of the classifier is the encoder's first layer ...
    assert torch.equal(start["body.net.0.weight"], vae_net.encoder.net[0].weight.detach())
    # ... and not what the seed alone gives (the VAE trained away from its initialization)
    assert not torch.equal(rec.at_entry[0]["encoder.net.0.weight"], start["body.net.0.weight"])
    # fine-tuning then moves it
    assert not torch.equal(model.module_.body.net[0].weight.detach().cpu(),
                           start["body.net.0.weight"].cpu())


def test_conv_encoder_makes_a_cnn_from_the_vae(monkeypatch):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    X = rng.uniform(0, 0.3, (60, 4, 4))
    X[y == 0, :, :2] += 0.6
    X[y == 1, :, 2:] += 0.6  # bright left or bright right
    rec = _Recorder(monkeypatch)
    model = VAEPretrainClassifier(**{**TINY, "hidden": (8,)}, architecture="conv",
                                  image_shape=(4, 4), channels=4, likelihood="bernoulli").fit(
        X.reshape(60, 16), hide_labels(y, 3))
    vae_net = rec.modules[0]
    conv = vae_net.encoder.net.conv[0].weight.detach()
    assert torch.equal(rec.at_entry[1]["body.net.conv.0.weight"], conv)
    assert isinstance(model.module_.body.net.conv[0], torch.nn.Conv2d)
    np.testing.assert_array_equal(model.mean_, 0.0)  # Bernoulli pixels are not rescaled
    assert model.score(X.reshape(60, 16), y) > 0.9


@pytest.mark.parametrize("features, width", [("hidden", 16), ("latent", 2)])
def test_features(features, width):
    X, y = blobs()
    model = VAEPretrainClassifier(**{**TINY, "max_epochs": 2}, features=features).fit(
        X, hide_labels(y, 4))
    assert model.embed(X[:3]).shape == (3, width)


def test_freeze_epochs_keep_the_encoder_fixed(monkeypatch):
    """The body stays at the VAE's encoder for ``freeze_epochs`` epochs, the head trains."""
    snapshots = []

    class Recording(FreezeParameters):
        def on_epoch_end(self, trainer, logs):
            snapshots.append({k: v.detach().clone()
                              for k, v in trainer.module.state_dict().items()})
            return super().on_epoch_end(trainer, logs)

    monkeypatch.setattr(vae_pretrain, "FreezeParameters", Recording)
    rec = _Recorder(monkeypatch)
    X, y = blobs()
    model = VAEPretrainClassifier(**{**TINY, "max_epochs": 5}, freeze_epochs=3).fit(
        X, hide_labels(y, 4))
    start = rec.at_entry[1]
    assert len(snapshots) == 5
    for epoch, snap in enumerate(snapshots, start=1):
        body_fixed = all(torch.equal(snap[k], start[k]) for k in start if k.startswith("body."))
        assert body_fixed == (epoch <= 3), epoch
        assert not torch.equal(snap["head.weight"], start["head.weight"])
    # every parameter trains again after the frozen epochs
    assert all(p.requires_grad for p in model.module_.parameters())


def test_freezing_every_epoch_is_a_linear_probe(monkeypatch):
    rec = _Recorder(monkeypatch)
    X, y = blobs()
    model = VAEPretrainClassifier(**{**TINY, "max_epochs": 3}, freeze_epochs=3,
                                  weight_decay=0.1).fit(X, hide_labels(y, 4))
    encoder = rec.modules[0].encoder.state_dict()
    for k, v in model.module_.body.state_dict().items():
        assert torch.equal(v.cpu(), encoder[k].cpu()), k


def test_unlabelled_rows_change_the_fit():
    X, y = blobs()
    y_partial = hide_labels(y, 4)
    lab = y_partial != -1
    with_unlabelled = VAEPretrainClassifier(**TINY).fit(X, y_partial)
    labelled_only = VAEPretrainClassifier(**TINY).fit(X[lab], y_partial[lab])
    assert labelled_only.n_unlabelled_ == 0
    diff = np.abs(with_unlabelled.predict_proba(X) - labelled_only.predict_proba(X)).max()
    assert diff > 1e-3  # the unlabelled rows shaped the pretrained encoder
    # and -1 is never a class
    assert -1 not in with_unlabelled.classes_


def test_same_seed_same_fit(fitted):
    model, X, _, y_partial = fitted
    again = VAEPretrainClassifier(**TINY).fit(X, y_partial)
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_string_labels_without_unlabelled_rows():
    X, y = blobs(n_classes=2)
    names = np.array(["cat", "dog"])[y]
    model = VAEPretrainClassifier(**TINY).fit(X, names)
    assert set(model.predict(X)) <= {"cat", "dog"} and model.n_unlabelled_ == 0


def test_save_load_round_trip(tmp_path, fitted):
    model, X, _, _ = fitted
    loaded = gdlab.load(gdlab.save(model, tmp_path / "pretrain.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.pretrain_history_ == model.pretrain_history_
    assert loaded.n_labelled_ == model.n_labelled_


# ------------------------------------------------------------------------------ bad input


def test_no_labelled_row_is_an_error():
    X, _ = blobs()
    with pytest.raises(ValueError, match="no class to learn"):
        VAEPretrainClassifier(**TINY).fit(X, np.full(len(X), -1))


def test_a_class_never_labelled_is_an_error():
    X, y = blobs(n_classes=2)
    y_partial = hide_labels(y, 3)
    with pytest.raises(ValueError, match=r"classes \[2\] have no labelled row"):
        VAEPretrainClassifier(**TINY, classes=[0, 1, 2]).fit(X, y_partial)
    one_class = np.where(y_partial == 1, -1, y_partial)
    with pytest.raises(ValueError, match="at least 2 classes"):
        VAEPretrainClassifier(**TINY).fit(X, one_class)


@pytest.mark.parametrize("params, error, match", [
    ({"features": "pixels"}, ValueError, "features"),
    ({"freeze_epochs": -1}, ValueError, "freeze_epochs"),
    ({"pretrain_epochs": 0}, ValueError, "pretrain_epochs"),
    ({"dropout": 1.0}, ValueError, "dropout"),
    ({"hidden": "wide"}, ValueError, "hidden"),
    ({"latent_dim": 0}, ValueError, "latent_dim"),
    ({"likelihood": "bernoulli"}, ValueError, r"X in \[0, 1\]"),
    ({"architecture": "conv"}, ValueError, "image_shape"),
    ({"lr": -1.0}, ValueError, "lr"),
])
def test_bad_settings_fail_before_any_training(monkeypatch, params, error, match):
    def no_training(*args, **kwargs):
        raise AssertionError("training started before the settings were checked")

    monkeypatch.setattr(Trainer, "fit", no_training)
    X, y = blobs()
    with pytest.raises(error, match=match):
        VAEPretrainClassifier(**{**TINY, **params}).fit(X, hide_labels(y, 4))


def test_nan_and_shape_errors(fitted):
    model, X, y, y_partial = fitted
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        VAEPretrainClassifier(**TINY).fit(bad, y_partial)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])


# ------------------------------------------------------------------ scikit-learn checks


@parametrize_with_checks([
    VAEPretrainClassifier(latent_dim=2, hidden=(16,), pretrain_epochs=3, max_epochs=10,
                          batch_size=16, lr=1e-2, random_state=0),
], expected_failed_checks=lambda est: {
    # -1 marks an unlabelled row (scikit-learn exempts its own semi-supervised classifiers)
    "check_classifiers_classes": "-1 marks unlabelled rows: labels [-1, 1] leave one class",
})
def test_sklearn_checks(estimator, check):
    check(estimator)
