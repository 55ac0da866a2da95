"""JEM: a classifier read as an energy-based model, and the SGLD sampler it trains with."""

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import gdlab
from gdlab.capability_tags import capabilities
from gdlab.models.jem import JEMClassifier, JEMCNNClassifier
from gdlab.models.networks import MLPClassifier
from gdlab.nn.sgld import ReplayBuffer, sgld

#: Tiny settings; in 3-D the paper's SGLD step (1.0, tuned for images) overshoots the blobs, so
#: a smaller step with more steps.
TINY = dict(hidden_sizes=(16,), max_epochs=15, lr=0.01, batch_size=32, buffer_size=500,
            sgld_step_size=0.1, sgld_steps=20, sample_steps=60, random_state=0, device="cpu")


def _blobs(n=120, seed=0):
    """Two classes in 3-D: blobs at -2 and +2 (standard deviation 0.5)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(0.0, 0.5, (n, 3)) + np.where(y[:, None] == 0, -2.0, 2.0)
    return X, y


@pytest.fixture(scope="module")
def fitted():
    X, y = _blobs()
    return JEMClassifier(**TINY).fit(X, y), X, y


def _nearest_distance(A, B):
    return np.sqrt(((A[:, None, :] - B[None, :, :]) ** 2).sum(axis=2)).min(axis=1)


# -- the sampler ------------------------------------------------------------------------------


def test_sgld_climbs_to_the_mode_and_stays_in_bounds():
    score = lambda x: -0.5 * ((x - 3.0) ** 2).sum(dim=1)  # noqa: E731
    g = torch.Generator().manual_seed(0)
    x = sgld(score, torch.zeros(500, 2), n_steps=60, step_size=0.1, noise=0.01, generator=g)
    np.testing.assert_allclose(x.mean(dim=0).numpy(), [3.0, 3.0], rtol=0, atol=0.05)
    lo, hi = torch.tensor([-1.0, -1.0]), torch.tensor([1.0, 2.0])
    x = sgld(score, torch.zeros(50, 2), n_steps=60, step_size=0.1, noise=0.01, lower=lo, upper=hi,
             generator=g)
    assert (x >= lo).all() and (x <= hi).all()
    # the bound stops the climb at the edge of the box
    np.testing.assert_allclose(np.median(x.numpy(), axis=0), [1.0, 2.0], rtol=0, atol=1e-6)


def test_sgld_zero_steps_is_a_copy_and_bounds_come_in_pairs():
    x = torch.randn(4, 2)
    out = sgld(lambda v: v.sum(dim=1), x, n_steps=0, step_size=1.0, noise=1.0)
    assert torch.equal(out, x) and out is not x
    with pytest.raises(ValueError, match="both lower and upper"):
        sgld(lambda v: v.sum(dim=1), x, n_steps=1, step_size=1.0, noise=0.0, lower=x[0])


def test_replay_buffer_restarts_at_the_reinit_rate():
    torch.manual_seed(0)
    lo, hi = torch.zeros(2), torch.ones(2)
    buf = ReplayBuffer(100, lo, hi, reinit_prob=0.0)
    assert ((buf.chains >= 0) & (buf.chains <= 1)).all()
    x, slots = buf.draw(10)
    buf.store(torch.full((10, 2), 5.0), slots)
    again, _ = buf.draw(1000)
    # reinit 0: every draw is a stored chain, some of them the ones just written
    assert ((again == 5.0).all(dim=1) | ((again >= 0) & (again <= 1)).all(dim=1)).all()
    assert (again == 5.0).all(dim=1).any()
    buf.reinit_prob = 1.0
    fresh, _ = buf.draw(1000)
    assert ((fresh >= 0) & (fresh <= 1)).all()  # reinit 1: never a stored chain


# -- the estimator --------------------------------------------------------------------------


def test_capabilities_say_the_density_is_unnormalized(fitted):
    model, _, _ = fitted
    caps = capabilities(model)
    assert {"classify", "unnormalized_density", "sample", "conditional_sample"} <= caps
    assert not caps & {"density", "density_bound"}
    assert "unnormalized_density" in gdlab.CAPABILITIES


def test_predict_proba_sums_to_one_and_classifies(fitted):
    model, X, y = fitted
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert model.score(X, y) > 0.95
    assert {"train_cross_entropy", "train_energy_gap", "val_loss"} <= set(model.history_[-1])


def test_score_samples_is_the_logsumexp_of_the_logits(fitted):
    model, X, _ = fitted
    logits = model._logits(X)
    expected = np.log(np.exp(logits).sum(axis=1))
    np.testing.assert_allclose(model.score_samples(X), expected, rtol=1e-12, atol=1e-12)
    # Bayes' rule inside one network: log p(y|x) = f(x)[y] - log p~(x)
    np.testing.assert_allclose(model.predict_log_proba(X),
                               logits - model.score_samples(X)[:, None], rtol=0, atol=1e-10)


def test_unnormalized_density_ranks_training_rows_above_uniform_noise(fitted):
    model, X, _ = fitted
    rng = np.random.default_rng(1)
    noise = rng.uniform(X.min(axis=0), X.max(axis=0), size=(300, X.shape[1]))
    scores = np.r_[model.score_samples(X), model.score_samples(noise)]
    auc = roc_auc_score(np.r_[np.ones(len(X)), np.zeros(len(noise))], scores)
    assert auc > 0.9, auc


def test_sgld_samples_move_toward_the_data(fitted):
    model, X, _ = fitted
    start, _ = model.set_params(sample_steps=1).sample(200, random_state=3)
    end, _ = model.set_params(sample_steps=TINY["sample_steps"]).sample(200, random_state=3)
    before, after = _nearest_distance(start, X).mean(), _nearest_distance(end, X).mean()
    assert after < 0.7 * before, (before, after)
    assert (end >= X.min(axis=0) - 1e-9).all() and (end <= X.max(axis=0) + 1e-9).all()


def test_conditional_samples_belong_to_their_class(fitted):
    model, X, y = fitted
    Xs, ys = model.sample(100, y=1, random_state=0)
    assert Xs.shape == (100, 3) and (ys == 1).all()
    assert (model.predict(Xs) == 1).mean() > 0.9
    Xs, ys = model.sample(y=[0, 1, 1], random_state=0)
    assert ys.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="not seen in fit"):
        model.sample(2, y=7)
    a, ya = model.sample(5, random_state=4)
    b, yb = model.sample(5, random_state=4)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ya, yb)


def test_zero_generative_weight_is_the_plain_mlp():
    X, y = _blobs(80)
    params = {k: v for k, v in TINY.items() if not k.startswith(("buffer", "sgld", "sample"))}
    jem = JEMClassifier(generative_weight=0.0, activation="silu", **params).fit(X, y)
    mlp = MLPClassifier(activation="silu", **params).fit(X, y)
    np.testing.assert_allclose(jem.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-6)


def test_same_seed_same_model():
    X, y = _blobs(60)
    small = {**TINY, "max_epochs": 3}
    a = JEMClassifier(**small).fit(X, y).score_samples(X)
    b = JEMClassifier(**small).fit(X, y).score_samples(X)
    np.testing.assert_array_equal(a, b)


def test_save_and_load_round_trip(fitted, tmp_path):
    model, X, _ = fitted
    path = gdlab.save(model, tmp_path / "jem.gdlab")
    loaded = gdlab.load(path)
    np.testing.assert_allclose(loaded.score_samples(X), model.score_samples(X), rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X), rtol=0,
                               atol=1e-12)
    a, _ = loaded.sample(4, y=0, random_state=0)
    b, _ = model.sample(4, y=0, random_state=0)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.parametrize(("param", "value", "error", "match"), [
    ("generative_weight", -1.0, ValueError, "generative_weight"),
    ("sgld_steps", 0, ValueError, "sgld_steps"),
    ("sgld_steps", 2.5, TypeError, "sgld_steps"),
    ("sgld_step_size", 0.0, ValueError, "sgld_step_size"),
    ("sgld_noise", -0.1, ValueError, "sgld_noise"),
    ("reinit_prob", 1.5, ValueError, "reinit_prob"),
    ("buffer_size", 0, ValueError, "buffer_size"),
    ("energy_reg", float("nan"), TypeError, "energy_reg"),
    ("sample_steps", 0, ValueError, "sample_steps"),
    ("hidden_sizes", (0,), ValueError, "hidden_sizes"),
])
def test_bad_params_are_refused_before_fitting(param, value, error, match):
    X, y = _blobs(40)
    model = JEMClassifier(**{**TINY, param: value})
    with pytest.raises(error, match=match):
        model.fit(X, y)
    assert not hasattr(model, "module_")


def test_sample_refuses_a_bad_count(fitted):
    model, _, _ = fitted
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0)


# -- the CNN version ------------------------------------------------------------------------


def _images(n=60, seed=0):
    """4x4 images: bright left half (class 0) or bright right half (class 1)."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(0, 0.3, (n, 4, 4))
    X[y == 0, :, :2] += 1.0
    X[y == 1, :, 2:] += 1.0
    return X.reshape(n, 16), y


def test_cnn_version_classifies_scores_and_samples_images():
    X, y = _images()
    model = JEMCNNClassifier(channels=4, hidden_size=16, max_epochs=10, lr=0.01, buffer_size=200,
                             sample_steps=20, random_state=0, device="cpu").fit(X, y)
    assert model.image_shape_ == (4, 4)
    np.testing.assert_allclose(model.predict_proba(X).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert model.score_samples(X).shape == (60,)
    Xs, ys = model.sample(3, y=0, random_state=0)
    assert Xs.shape == (3, 16) and (ys == 0).all()


@pytest.mark.parametrize("n_features", [15, 9])  # not a square; an odd square side
def test_cnn_version_refuses_rows_that_are_not_images(n_features):
    X, y = _images()
    model = JEMCNNClassifier(channels=4, hidden_size=8, max_epochs=1, device="cpu")
    with pytest.raises(ValueError, match="JEMCNNClassifier|image|even"):
        model.fit(X[:, :n_features], y)
    assert not hasattr(model, "module_")


# -- the OOD study ----------------------------------------------------------------------------


def test_ood_study_scores_jem_by_its_energy_and_by_its_confidence():
    from gdlab.data import load
    from gdlab.models.registry import make
    from gdlab.studies.ood import OOD

    study = OOD(kinds=("noise",))
    ds = load("iris")
    (cell,) = study.cells(ds, ["jem"], seeds=[0])
    rows = study.run_cell(cell, ds, lambda: make("jem", hidden_sizes=(8,), max_epochs=3,
                                                 buffer_size=100))
    auc = {r["metric"]: r["value"] for r in rows if r["metric"].startswith("auroc")}
    assert set(auc) == {"auroc_density", "auroc_confidence"}
    assert all(0.0 <= v <= 1.0 for v in auc.values())
