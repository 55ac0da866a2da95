"""Tests of GRUClassifier, the discriminative sequence baseline."""

import re

import numpy as np
import pytest
from sklearn.base import clone

import gdlab
from gdlab.capability_tags import capabilities, input_kind
from gdlab.data.sequence_sets import hmm_synthetic
from gdlab.data.sequences import split_sequences, stack_sequences
from gdlab.models.rnn import GRUClassifier

TINY = dict(hidden_size=16, max_epochs=15, lr=0.01, batch_size=32, validation_fraction=0.0,
            random_state=0, device="cpu")


@pytest.fixture(scope="module")
def hmm_data():
    """Three classes of known HMMs that differ only in their dynamics (shared emissions)."""
    ds = hmm_synthetic(n_sequences=200, length=(20, 40))
    assert ds.metadata["bayes_accuracy"] > 0.9
    seqs = split_sequences(ds.X, ds.metadata["lengths"])
    return seqs[:140], ds.y[:140], seqs[140:], ds.y[140:]


@pytest.fixture(scope="module")
def fitted(hmm_data):
    X, y, _, _ = hmm_data
    return GRUClassifier(**TINY).fit(X, y)


def _symbol_data(n=60, seed=0):
    """Class 0: symbols 0/1 alternate; class 1: long runs of one symbol (same frequencies)."""
    rng = np.random.RandomState(seed)
    X, y = [], []
    for i in range(n):
        length = rng.randint(6, 12)
        if i % 2 == 0:
            seq = (np.arange(length) + rng.randint(2)) % 2
        else:
            seq = np.repeat(rng.permutation(2), [length // 2, length - length // 2])
        X.append(seq + 2 * rng.randint(2))  # codes 0-3
        y.append(["alt", "runs"][i % 2])
    return X, np.array(y)


def test_learns_hmm_dynamics_well_above_chance(hmm_data, fitted):
    _, _, X_test, y_test = hmm_data
    assert fitted.score(X_test, y_test) >= 0.7  # chance is 1/3, the true HMMs' Bayes rule 0.94
    assert fitted.n_epochs_ == 15 and len(fitted.history_) == 15
    assert fitted.history_[-1]["train_loss"] < fitted.history_[0]["train_loss"]


def test_predict_proba_rows_sum_to_one_and_match_predict(hmm_data, fitted):
    _, _, X_test, _ = hmm_data
    proba = fitted.predict_proba(X_test)
    assert proba.shape == (len(X_test), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (proba >= 0).all()
    np.testing.assert_array_equal(fitted.predict(X_test), fitted.classes_[proba.argmax(axis=1)])
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(X_test)), proba, atol=1e-12)


def test_list_and_stacked_input_identical(hmm_data, fitted):
    X, y, X_test, _ = hmm_data
    frames, lengths = stack_sequences(X_test)
    np.testing.assert_array_equal(fitted.predict_proba(frames, lengths),
                                  fitted.predict_proba(X_test))
    frames_tr, lengths_tr = stack_sequences(X)
    stacked = GRUClassifier(**TINY).fit(frames_tr, y, lengths=lengths_tr)
    np.testing.assert_array_equal(stacked.predict_proba(X_test), fitted.predict_proba(X_test))
    assert fitted.score(frames, fitted.predict(X_test), lengths=lengths) == 1.0


def test_prediction_independent_of_batch_composition(hmm_data, fitted):
    """Padding never leaks into the recurrence: one sequence alone = the same in a batch."""
    _, _, X_test, _ = hmm_data
    batch = fitted.predict_proba(X_test)
    for i in (0, 7, 19):
        np.testing.assert_allclose(fitted.predict_proba([X_test[i]])[0], batch[i], atol=1e-6)


def test_seeding_reproducible(hmm_data):
    X, y, X_test, _ = hmm_data
    params = {**TINY, "max_epochs": 3, "validation_fraction": 0.2, "dropout": 0.2}
    a = GRUClassifier(**params).fit(X, y).predict_proba(X_test)
    b = GRUClassifier(**params).fit(X, y).predict_proba(X_test)
    np.testing.assert_array_equal(a, b)
    c = GRUClassifier(**{**params, "random_state": 1}).fit(X, y).predict_proba(X_test)
    assert not np.allclose(a, c)


def test_symbols_any_labels_bidirectional_stacked_layers():
    X, y = _symbol_data()
    clf = GRUClassifier(n_symbols=4, embedding_dim=4, num_layers=2, bidirectional=True,
                        **{**TINY, "max_epochs": 25}).fit(X, y)
    assert clf.classes_.tolist() == ["alt", "runs"]
    assert clf.n_symbols_ == 4 and clf.mean_ is None
    X_new, y_new = _symbol_data(seed=1)
    assert clf.score(X_new, y_new) >= 0.9
    auto = GRUClassifier(n_symbols="auto", **{**TINY, "max_epochs": 1}).fit(X, y)
    assert auto.n_symbols_ == 4
    with pytest.raises(ValueError, match=r"range\(4\)"):
        auto.predict([np.array([0, 4, 1])])
    with pytest.raises(ValueError, match="integer symbol codes"):
        auto.predict([np.array([0.5, 1.0])])
    with pytest.raises(ValueError, match="one symbol code per frame"):
        GRUClassifier(n_symbols=4, **TINY).fit([np.zeros((3, 2)), np.ones((3, 2))], [0, 1])
    with pytest.raises(ValueError, match=r"range\(3\)"):
        GRUClassifier(n_symbols=3, **TINY).fit(X, y)


def test_standardization_stored_from_fit(hmm_data, fitted):
    X, _, _, _ = hmm_data
    frames = np.concatenate(X)
    np.testing.assert_allclose(fitted.mean_, frames.mean(axis=0))
    np.testing.assert_allclose(fitted.scale_, frames.std(axis=0))
    # a constant feature does not divide by zero
    Xc = [np.column_stack([s[:, 0], np.ones(len(s))]) for s in X[:20]]
    clf = GRUClassifier(**{**TINY, "max_epochs": 1}).fit(Xc, np.arange(20) % 2)
    assert clf.scale_[1] == 1.0 and np.isfinite(clf.predict_proba(Xc)).all()


def test_save_load_identical(hmm_data, fitted, tmp_path):
    _, _, X_test, _ = hmm_data
    path = tmp_path / "gru.gdlab"
    gdlab.save(fitted, path)
    loaded = gdlab.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), fitted.predict_proba(X_test))
    X, y = _symbol_data(n=20)
    sym = GRUClassifier(n_symbols="auto", **{**TINY, "max_epochs": 2}).fit(X, y)
    gdlab.save(sym, tmp_path / "sym.gdlab")
    np.testing.assert_array_equal(gdlab.load(tmp_path / "sym.gdlab").predict_proba(X),
                                  sym.predict_proba(X))


def test_clone_capabilities_and_tags(fitted):
    c = clone(fitted)
    assert c.get_params() == fitted.get_params()
    assert not hasattr(c, "module_")
    assert capabilities(fitted) == {"classify", "sequences"}
    assert input_kind(GRUClassifier()) == "sequence"
    from sklearn.utils import get_tags
    assert get_tags(GRUClassifier()).estimator_type == "classifier"
    assert get_tags(GRUClassifier()).input_tags.allow_nan is False


def test_bad_input_raises_clear_errors(hmm_data, fitted):
    X, y, _, _ = hmm_data
    nan_seq = X[0].copy()
    nan_seq[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        GRUClassifier(**TINY).fit([nan_seq, *X[1:]], y)
    with pytest.raises(ValueError, match="NaN"):
        fitted.predict([nan_seq])
    with pytest.raises(ValueError, match="3 features per frame.*fitted with 2"):
        fitted.predict([np.zeros((4, 3))])
    with pytest.raises(ValueError, match="zero length"):
        GRUClassifier(**TINY).fit([np.zeros((0, 2)), *X[1:]], y)
    with pytest.raises(ValueError, match="140 items .* 139 labels"):
        GRUClassifier(**TINY).fit(X, y[:-1])
    with pytest.raises(TypeError, match="str"):
        GRUClassifier(**TINY).fit(["abc", "de"], [0, 1])
    with pytest.raises(TypeError, match="dtype"):
        fitted.predict([np.array([["a", "b"]])])
    with pytest.raises(ValueError, match="lengths sum"):
        fitted.predict(np.zeros((10, 2)), lengths=[3, 3])
    with pytest.raises(ValueError, match="at least 2 classes"):
        GRUClassifier(**TINY).fit(X[:5], [1] * 5)


@pytest.mark.parametrize("n_symbols", ["auto", 4])
@pytest.mark.parametrize("bad, shown", [
    (1e300, "1e+300"), (2.5, "2.5"), (-1, "-1"), (-1e300, "-1e+300"), (2.0**63, "9.22337e+18"),
])
def test_bad_symbol_codes_are_refused_before_training(n_symbols, bad, shown):
    X, y = _symbol_data(n=20)
    X = [s.astype(np.float64) for s in X]
    X[3][2] = bad
    model = GRUClassifier(n_symbols=n_symbols, **{**TINY, "max_epochs": 1})
    expected = r"integer symbol codes.*sequence 3 has " + re.escape(shown)
    with pytest.raises(ValueError, match=expected):
        model.fit(X, y)
    assert not hasattr(model, "module_")
    X[3][2] = np.nan
    with pytest.raises(ValueError, match="sequence 3 contains NaN"):
        model.fit(X, y)
    X[3][2] = 1
    model.fit(X, y)  # the same codes at predict time
    X[3][2] = bad
    with pytest.raises(ValueError, match=r"sequence 3 has " + re.escape(shown)):
        model.predict(X)


def test_auto_alphabet_is_capped():
    """n_symbols='auto' sizes an embedding table by the largest code: a huge one is refused."""
    X, y = _symbol_data(n=20)
    X[0] = X[0].copy()
    X[0][0] = 10**9  # an int code: an embedding of a billion rows would exhaust memory
    with pytest.raises(ValueError, match=r"n_symbols=.auto. takes.*give n_symbols.*has 1000000000"):
        GRUClassifier(n_symbols="auto", **TINY).fit(X, y)


def test_numeric_frames_with_huge_values_are_refused(hmm_data):
    X, y, _, _ = hmm_data
    bad = X[0].copy()
    bad[2, 1] = 1e300  # its square overflows the standardization's variance
    model = GRUClassifier(**TINY)
    # (refused by check_sequences, naming the sequence, or by the standardization)
    with pytest.raises(ValueError, match=r"column 1 of .*magnitude 1e\+300"):
        model.fit([bad, *X[1:]], y)
    assert not hasattr(model, "module_")
    fitted = GRUClassifier(**{**TINY, "max_epochs": 1}).fit(X[:20], y[:20])
    with pytest.raises(ValueError, match="column 1 of "):
        fitted.predict([bad])


@pytest.mark.parametrize("param, value, err", [
    ("hidden_size", 0, ValueError), ("num_layers", 1.5, TypeError),
    ("n_symbols", 1, ValueError), ("n_symbols", "many", TypeError),
    ("dropout", 1.0, ValueError), ("bidirectional", "yes", TypeError),
    ("max_epochs", 0, ValueError), ("lr", -1.0, ValueError), ("grad_clip", 0.0, ValueError),
])
def test_bad_hyper_parameters_raise_before_training(hmm_data, param, value, err):
    X, y, _, _ = hmm_data
    with pytest.raises(err, match=param):
        GRUClassifier(**{**TINY, param: value}).fit(X, y)


def test_unfitted_predict_raises(hmm_data):
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        GRUClassifier().predict(hmm_data[2])
