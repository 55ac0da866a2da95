"""compare(): one row per model, honest metrics, failures recorded instead of raised."""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier

from gdlab import comparison as compare_mod
from gdlab.comparison import COLUMNS, compare
from gdlab.models import registry
from gdlab.models.registry import ModelSpec, register


@pytest.fixture
def blobs():
    """Two well separated Gaussian classes, with negative values."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], 60)
    X = rng.randn(120, 3) + 4.0 * y[:, None]
    return X, y


@pytest.fixture
def isolated_registry(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))


def test_one_row_per_model_with_sane_metrics(blobs):
    X, y = blobs
    table = compare(["lda", "tree", "logreg-unreg"], X, y)
    assert list(table.columns) == list(COLUMNS)
    assert list(table.model) == ["lda", "tree", "logreg-unreg"]
    assert list(table.family) == ["generative", "discriminative", "discriminative"]
    assert table.error.isna().all() and all(e is None for e in table.error)
    assert (table.accuracy >= 0.95).all() and (table.accuracy <= 1.0).all()
    assert np.isfinite(table.log_loss).all() and (table.log_loss >= 0).all()
    assert (table.fit_seconds >= 0).all() and (table.predict_seconds >= 0).all()
    assert "density" in table.set_index("model").loc["lda", "capabilities"].split(",")


def test_accuracy_is_measured_on_a_held_out_quarter(blobs):
    X, y = blobs
    # labels unrelated to X: a tree fits the training rows perfectly, so a
    # test accuracy near 1 would mean the score came from training rows
    y_noise = np.random.RandomState(1).permutation(y)
    row = compare(["tree"], X, y_noise).iloc[0]
    assert row.accuracy < 0.8
    assert row.accuracy * 30 == pytest.approx(round(row.accuracy * 30))  # 30 test rows


def test_failing_model_is_recorded_not_raised(blobs):
    X, y = blobs  # negative values: MultinomialNB refuses them
    table = compare(["multinomial-nb", "lda"], X, y).set_index("model")
    bad = table.loc["multinomial-nb"]
    assert "ValueError" in bad.error and "non-negative" in bad.error
    assert np.isnan(bad.accuracy) and np.isnan(bad.log_loss) and np.isnan(bad.fit_seconds)
    assert table.loc["lda"].error is None and table.loc["lda"].accuracy > 0.9


class _RecordingDummy(DummyClassifier):
    """Test-only: remembers the labels it was trained on."""

    seen = []

    def fit(self, X, y, sample_weight=None):
        _RecordingDummy.seen.append(np.asarray(y).copy())
        return super().fit(X, y, sample_weight)


def test_split_is_stratified_and_seeded(isolated_registry):
    register(ModelSpec("recorder", "discriminative", _RecordingDummy))
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(100, dtype=float)[:, None]
    _RecordingDummy.seen.clear()
    for seed in (0, 0, 1):
        compare(["recorder"], X, y, test_size=0.25, random_state=seed)
    first, again, other = _RecordingDummy.seen
    assert np.bincount(first).tolist() == [60, 15]  # class ratio kept exactly
    np.testing.assert_array_equal(first, again)
    assert len(other) == 75


def test_callbacks_see_every_model_in_order(blobs):
    X, y = blobs
    started, done = [], []
    compare(["lda", "tree"], X, y, on_start=started.append, on_done=done.append)
    assert started == ["lda", "tree"]
    assert [r["model"] for r in done] == ["lda", "tree"]


def test_default_models(blobs, monkeypatch):
    assert set(compare_mod.DEFAULT_MODELS) == {
        "gaussian-nb", "qda", "lda", "diag-gaussian", "logreg", "logreg-unreg", "linear-svm",
        "rbf-svm", "tree", "random-forest", "hist-gb", "mlp",
    }
    monkeypatch.setattr(compare_mod, "DEFAULT_MODELS", ("tree", "lda"))
    X, y = blobs
    assert list(compare(None, X, y).model) == ["tree", "lda"]


def test_bad_arguments_fail_before_any_fit(blobs):
    X, y = blobs
    started = []
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        compare(["lda", "nope"], X, y, on_start=started.append)
    assert started == []
    with pytest.raises(ValueError, match="test_size"):
        compare(["lda"], X, y, test_size=1.5)
    with pytest.raises(ValueError, match="rows"):
        compare(["lda"], X, y[:-1])
    with pytest.raises(ValueError, match="empty"):
        compare([], X, y)
    with pytest.raises(TypeError, match="list of names"):
        compare("lda", X, y)
