"""The semi-supervised study and the one rule for unlabelled rows (y = -1) in studies."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from gdlab import comparison
from gdlab.data import load
from gdlab.studies import _common
from gdlab.studies.base import Cell
from gdlab.studies.registry import make_study
from gdlab.studies.semi_supervised import SETTING, SemiSupervised


class Recorder(ClassifierMixin, BaseEstimator):
    """Predicts the majority class of its labelled rows; records the y it was fit on."""

    def __init__(self, semi=False):
        self.semi = semi

    def _capabilities(self):
        return frozenset({"classify", "semi_supervised"} if self.semi else {"classify"})

    def fit(self, X, y):
        y = np.asarray(y)
        self.fit_y_ = y.copy()
        labelled = y[y != -1]
        self.classes_ = np.unique(labelled)
        self.majority_ = np.bincount(labelled).argmax()
        return self

    def predict_proba(self, X):
        proba = np.zeros((len(X), len(self.classes_)))
        proba[:, np.flatnonzero(self.classes_ == self.majority_)] = 1.0
        return proba

    def predict(self, X):
        return np.full(len(X), self.majority_)


X8 = np.arange(8.0)[:, None]
Y8 = np.array([0, -1, 1, -1, 0, -1, 1, -1])


# -- the rule: unlabelled rows for semi-supervised models only --------------------------------


def test_a_supervised_model_in_a_study_gets_the_labelled_rows_only():
    model = Recorder()
    _common.fit_timed(model, X8, Y8)
    assert model.fit_y_.tolist() == [0, 1, 0, 1]


def test_a_semi_supervised_model_in_a_study_gets_every_row():
    model = Recorder(semi=True)
    _common.fit_timed(model, X8, Y8)
    assert model.fit_y_.tolist() == Y8.tolist()


def test_called_directly_minus_one_is_an_ordinary_label():
    """Outside a study, scikit-learn's convention: a supervised model learns a class -1."""
    assert LogisticRegression().fit(X8, Y8).classes_.tolist() == [-1, 0, 1]


def test_no_labelled_row_is_refused_for_every_model():
    for semi in (False, True):
        with pytest.raises(ValueError, match="no labelled row.*no class to learn"):
            _common.fit_timed(Recorder(semi=semi), X8, np.full(8, -1))


def test_a_class_without_a_labelled_row_is_named():
    for semi in (False, True):
        with pytest.raises(ValueError, match="class 2 has no labelled row"):
            _common.fit_timed(Recorder(semi=semi), X8, Y8, classes=[0, 1, 2])


def test_list_inputs_are_filtered_too():
    texts = [f"t{i}" for i in range(8)]
    X, y = _common.training_rows(Recorder(), texts, Y8)
    assert X == ["t0", "t2", "t4", "t6"] and y.tolist() == [0, 1, 0, 1]


# -- the grid ----------------------------------------------------------------------------------


def test_label_counts_and_cells():
    study = SemiSupervised(labels_per_class=(2, 5, "all"), n_splits=2)
    iris = load("iris")  # 3 classes, 112 training rows
    assert study.label_counts(iris) == [6, 15, 112]
    cells = study.cells(iris, ["a", "b"])
    assert len(cells) == 2 * 3 * 2
    assert {c.setting for c in cells} == {SETTING}


@pytest.mark.parametrize("bad", [(0,), ("some",), (2.5,), ()])
def test_bad_labels_per_class_are_refused(bad):
    with pytest.raises(ValueError, match="labels_per_class"):
        SemiSupervised(labels_per_class=bad).label_counts(load("iris"))


def test_labels_are_spread_evenly_nested_and_true():
    study = SemiSupervised()
    iris = load("iris")
    y = np.asarray(iris.y)
    previous = None
    for n in (6, 15, 30):
        train, test, y_train = study.split(iris, 3, n)
        assert not set(train) & set(test)
        labelled = y_train != -1
        assert np.bincount(y_train[labelled]).tolist() == [n // 3] * 3
        np.testing.assert_array_equal(y_train[labelled], y[train][labelled])
        if previous is not None:
            assert not (previous & ~labelled).any()  # nested: the smaller set is kept
        previous = labelled
    a, b = study.split(iris, 3, 15), study.split(iris, 3, 15)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert (study.split(iris, 3, 112)[2] != -1).all()  # "all": every training row labelled


def test_run_cell_fits_each_kind_of_model_on_its_rows():
    study = SemiSupervised(labels_per_class=(5,))
    iris = load("iris")
    cell = Cell(study.name, "iris", "recorder", SETTING, 15.0, 0)
    made = []

    def make(semi):
        def factory():
            made.append(Recorder(semi=semi))
            return made[-1]
        return factory

    rows = study.run_cell(cell, iris, make(False))
    assert {r["metric"] for r in rows} == {"error", "log_loss"}
    assert (made[0].fit_y_ != -1).all() and len(made[0].fit_y_) == 15
    made.clear()
    rows = {r["metric"]: r["value"] for r in study.run_cell(cell, iris, make(True))}
    assert (made[0].fit_y_ == -1).sum() == 112 - 15  # every training row
    assert len(made[1].fit_y_) == 15  # the labels-only refit
    assert rows["gain"] == pytest.approx(rows["error_labelled_only"] - rows["error"], abs=1e-12)


def test_unlabelled_rows_help_label_spreading_on_digits():
    """Two labelled digits per class: label spreading with the unlabelled rows beats itself
    on the labelled rows alone (the gain the study reports)."""
    study = SemiSupervised()
    digits = load("digits")
    cell = Cell(study.name, "digits", "label-spreading", SETTING, 50.0, 0)
    from gdlab.models.registry import make

    rows = {r["metric"]: r["value"] for r in
            study.run_cell(cell, digits, lambda: make("label-spreading"))}
    assert rows["error"] < 0.25
    assert rows["gain"] > 0.1


# -- running it: results, figure, reading, report, defaults -----------------------------------


def test_study_runs_and_reports(tmp_path):
    result = comparison.compare(load("iris"), ["gaussian-nb", "label-spreading"],
                                ["semi_supervised"], seeds=2, out_dir=tmp_path,
                                progress=False, n_jobs=1)
    rows = result.rows
    study = result.studies[0]
    assert set(rows["model"]) == {"gaussian-nb", "label-spreading"}
    gain = rows[rows["metric"] == "gain"]
    assert set(gain["model"]) == {"label-spreading"}
    assert (rows.loc[rows["metric"] == "error", "value"].between(0, 1)).all()
    assert len(study.figures(rows)) == 1
    text = " ".join(study.reading(rows))
    assert "labelled rows" in text and "label-spreading" in text
    page = (tmp_path / "index.html").read_text()
    assert "Learning from unlabelled rows" in page and "ss gain" in page


def test_naming_the_study_adds_the_semi_supervised_models_to_the_defaults():
    iris = load("iris")
    plain = comparison.default_models_for(iris)
    named = comparison.default_models_for(iris, ["semi_supervised"])
    assert named[:len(plain)] == plain
    assert {"self-training-logreg", "label-spreading"} <= set(named[len(plain):])
    assert comparison.default_models_for(iris, ["learning_curve"]) == plain


def test_quick_and_thorough_settings():
    quick, thorough = make_study("semi_supervised"), make_study("semi_supervised", quick=False)
    assert len(quick.labels_per_class) < len(thorough.labels_per_class)
    assert quick.n_splits < thorough.n_splits
