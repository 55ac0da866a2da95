"""The registry's semi-supervised baselines: scikit-learn's, with gdlab's label checks."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab._validation import check_semi_supervised_labels, unlabelled_mask
from gdlab.models.registry import make
from gdlab.models.semi_supervised import CheckedLabelSpreading, CheckedSelfTrainingClassifier

SEMI = ("self-training-logreg", "label-spreading")


def _blobs(n_per_class=40, d=3, seed=0):
    """Three well separated Gaussian classes; two labelled rows per class, the rest -1."""
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1, 2], n_per_class)
    centres = 6.0 * np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0]])[:, :d]
    X = 0.7 * rng.normal(size=(len(y), d)) + np.c_[centres, np.zeros((3, max(d - 3, 0)))][y]
    partial = np.full_like(y, -1)
    for k in range(3):
        partial[np.flatnonzero(y == k)[:2]] = k
    return X, y, partial


#: scikit-learn's checks give LabelSpreading and SelfTrainingClassifier numeric labels by
#: class name (``_choose_check_classifiers_labels``); a subclass gets strings and the
#: binary labels -1 / 1, and -1 marks an unlabelled row, never a class.
_CLASSES = ("-1 marks an unlabelled row, so it cannot be a class; scikit-learn exempts its "
            "own semi-supervised classes from this check by name")


def _expected_failures(estimator):
    failures = {"check_classifiers_classes": _CLASSES}
    if isinstance(estimator, CheckedSelfTrainingClassifier):
        failures["check_non_transformer_estimators_n_iter"] = "n_iter_ can be 0 (as upstream)"
    if getattr(estimator, "kernel", None) == "knn":
        failures["check_dont_overwrite_parameters"] = (
            "scikit-learn's LabelSpreading keeps its neighbour index in the public nn_fit")
    return failures


@parametrize_with_checks([
    CheckedSelfTrainingClassifier(LogisticRegression()),
    CheckedLabelSpreading(kernel="knn"),
    CheckedLabelSpreading(),
], expected_failed_checks=_expected_failures)
def test_scikit_learn_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", SEMI)
def test_registry_entries_are_tagged_semi_supervised(name):
    assert {"classify", "semi_supervised"} <= gdlab.capabilities(make(name))


def test_capabilities_read_semi_supervision_off_scikit_learn_and_pipelines():
    assert "semi_supervised" in gdlab.capabilities(LabelSpreading())
    assert "semi_supervised" in gdlab.capabilities(SelfTrainingClassifier(LogisticRegression()))
    assert "semi_supervised" in gdlab.capabilities(
        Pipeline([("scale", StandardScaler()), ("clf", LabelSpreading())]))
    assert "semi_supervised" not in gdlab.capabilities(LogisticRegression())
    assert "semi_supervised" not in gdlab.capabilities(
        Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]))


@pytest.mark.parametrize("name", SEMI)
def test_unlabelled_rows_are_used(name):
    """Six labels and 114 unlabelled rows: the fit learns from the unlabelled ones."""
    X, y, partial = _blobs()
    model = make(name).fit(X, partial)
    assert model.classes_.tolist() == [0, 1, 2]  # -1 is not a class
    assert np.mean(model.predict(X) == y) > 0.95
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_label_spreading_propagates_what_no_labelled_row_shows():
    """Two parallel lines of rows, one labelled row at the left end of each: the right ends
    are nearer the other line's labelled row than their own, but the unlabelled rows chain
    them to their own (spread far: alpha 0.9, 500 iterations)."""
    t = np.linspace(0, 1, 60)
    X = np.r_[np.c_[t * 10, np.zeros(60)], np.c_[t * 10, np.full(60, 1.0)]]
    y = np.repeat([0, 1], 60)
    partial = np.full(120, -1)
    partial[[0, 60]] = [0, 1]  # one labelled row at the left end of each line
    right = X[:, 0] > 8  # far from either labelled row
    spread = make("label-spreading", clf__n_neighbors=3, clf__alpha=0.9, clf__tol=0.0,
                  clf__max_iter=500)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol=0: every iteration runs
        spread.fit(X, partial)
    assert np.mean(spread.predict(X[right]) == y[right]) == 1.0
    transduced = spread.named_steps["clf"].transduction_
    assert np.mean(transduced == y) > 0.95


def test_label_spreading_predicts_as_scikit_learn():
    X, _, partial = _blobs(d=2)  # 2 features: scikit-learn keeps a KD-tree here
    ours = CheckedLabelSpreading(kernel="knn").fit(X, partial)
    theirs = LabelSpreading(kernel="knn").fit(X, partial)
    Xt = np.random.RandomState(1).normal(size=(50, 2)) * 5 + 4
    np.testing.assert_allclose(ours.predict_proba(Xt), theirs.predict_proba(Xt), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(ours.transduction_, theirs.transduction_)


@pytest.mark.parametrize("name", SEMI)
def test_save_load_round_trip_with_unlabelled_rows(name, tmp_path):
    X, _, partial = _blobs(d=2)
    model = make(name).fit(X, partial)
    loaded = gdlab.load(gdlab.save(model, tmp_path / "m.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


@pytest.mark.parametrize("name", SEMI)
def test_every_row_unlabelled_is_refused(name):
    X, _, _ = _blobs()
    with pytest.raises(ValueError, match="no labelled row.*no class to learn"):
        make(name).fit(X, np.full(len(X), -1))


@pytest.mark.parametrize("name", SEMI)
def test_one_labelled_class_is_refused(name):
    X, _, partial = _blobs()
    with pytest.raises(ValueError, match=r"at least 2 classes.*only 1 class: \[0\]"):
        make(name).fit(X, np.where(partial > 0, -1, partial))


def test_nan_labels_are_refused():
    with pytest.raises(ValueError, match="NaN"):
        check_semi_supervised_labels("m", np.array([0.0, np.nan, 1.0]))


def test_unlabelled_mask_only_matches_minus_one():
    assert unlabelled_mask(np.array([0, -1, 2])).tolist() == [False, True, False]
    assert unlabelled_mask(np.array([0.0, -1.0])).tolist() == [False, True]
    assert unlabelled_mask(np.array(["a", "-1"])).tolist() == [False, False]
    assert unlabelled_mask(np.array(["a", -1, True], dtype=object)).tolist() == [
        False, True, False]
