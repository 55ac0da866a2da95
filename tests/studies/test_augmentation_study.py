"""The augmentation study: its grid, splits, paired gains, report pieces and bad settings."""

import numpy as np
import pandas as pd
import pytest
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

from gdlab.data import load
from gdlab.studies.augmentation import IMBALANCED, Augmentation, parse_setting
from gdlab.studies.base import Cell
from gdlab.studies.registry import STUDIES, default_studies, make_study
from gdlab.studies.runner import run


@pytest.fixture(scope="module")
def iris():
    return load("iris")


def test_grid_has_one_bare_cell_per_regime_and_every_generator_ratio(iris):
    study = Augmentation(generators=("gaussian-nb", "smote"), ratios=(0, 1, 2),
                         train_sizes=(30,), imbalance=0.2)
    cells = study.cells(iris, ["lda"], seeds=[0, 1])
    settings = {(c.setting, c.setting_value) for c in cells}
    assert settings == {
        ("30 rows · none", 0.0),
        ("30 rows · gaussian-nb", 1.0), ("30 rows · gaussian-nb", 2.0),
        ("30 rows · smote", 1.0), ("30 rows · smote", 2.0),
        ("imbalanced · none", 0.0),  # imbalanced: ratio 0 evens the classes out
        *{(f"imbalanced · {g}", r) for g in ("gaussian-nb", "smote") for r in (0.0, 1.0, 2.0)},
    }
    assert len(cells) == 2 * len(settings)
    assert parse_setting("imbalanced · smote") == (IMBALANCED, "smote")


def test_splits_share_the_test_part_and_cut_the_minority_class(iris):
    study = Augmentation(train_sizes=(30,), imbalance=0.2)
    y = np.asarray(iris.y)
    small, test_a = study.split(iris, 3, "30 rows")
    cut, test_b = study.split(iris, 3, IMBALANCED)
    np.testing.assert_array_equal(test_a, test_b)
    assert len(small) == 30 and np.bincount(y[small]).tolist() == [10, 10, 10]
    minority = study.minority_class(y)
    full = np.setdiff1d(np.arange(len(y)), test_a)
    assert np.count_nonzero(y[cut] == minority) == round(0.2 * np.count_nonzero(
        y[full] == minority))
    assert np.count_nonzero(y[cut] != minority) == np.count_nonzero(y[full] != minority)
    np.testing.assert_array_equal(study.split(iris, 3, IMBALANCED)[0], cut)  # deterministic


def test_bare_cell_is_the_classifier_alone_and_augmented_cells_score(iris):
    study = Augmentation(generators=("gaussian-nb",), ratios=(1,), train_sizes=(30,))
    bare = Cell("augmentation", "iris", "lda", "30 rows · none", 0.0, 0)
    rows = {r["metric"]: r["value"] for r in study.run_cell(bare, iris,
                                                           LinearDiscriminantAnalysis)}
    train, test = study.split(iris, 0, "30 rows")
    X, y = np.asarray(iris.X, dtype=float), np.asarray(iris.y)
    ref = LinearDiscriminantAnalysis().fit(X[train], y[train])
    assert rows["error"] == pytest.approx(np.mean(ref.predict(X[test]) != y[test]), abs=1e-12)
    assert set(rows) == {"error", "log_loss", "balanced_error"}
    cell = Cell("augmentation", "iris", "lda", "imbalanced · gaussian-nb", 1.0, 0)
    aug = {r["metric"]: r["value"] for r in study.run_cell(cell, iris, LinearDiscriminantAnalysis)}
    assert set(aug) == {"error", "log_loss", "balanced_error", "minority_recall"}
    assert all(0.0 <= aug[m] <= 1.0 for m in ("error", "balanced_error", "minority_recall"))


def _row(setting, ratio, seed, metric, value, model="lda"):
    return {"study": "augmentation", "dataset": "d", "model": model, "family": "generative",
            "setting": setting, "setting_value": ratio, "seed": seed, "metric": metric,
            "value": value, "fit_seconds": 0.0, "error": None}


def test_gains_are_paired_with_the_bare_classifier_of_the_same_split():
    rows = pd.DataFrame([
        _row("50 rows · none", 0.0, 0, "error", 0.30),
        _row("50 rows · none", 0.0, 1, "error", 0.20),
        _row("50 rows · kde", 1.0, 0, "error", 0.25),
        _row("50 rows · kde", 1.0, 1, "error", 0.22),
        _row("imbalanced · none", 0.0, 0, "minority_recall", 0.5),
        _row("imbalanced · kde", 0.0, 0, "minority_recall", 0.75),
    ])
    gains = Augmentation.gains(rows).set_index(["setting", "seed", "metric"])["value"]
    assert gains[("50 rows · kde", 0, "gain_error")] == pytest.approx(0.05, abs=1e-12)
    assert gains[("50 rows · kde", 1, "gain_error")] == pytest.approx(-0.02, abs=1e-12)
    assert gains[("imbalanced · kde", 0, "gain_minority_recall")] == pytest.approx(0.25,
                                                                                   abs=1e-12)
    summary = Augmentation().summarize(rows)
    mean = summary[(summary["metric"] == "gain_error")]["mean"].item()
    assert mean == pytest.approx(0.015, abs=1e-12)


def test_a_small_run_gives_figures_and_a_reading_naming_the_generators(iris):
    study = Augmentation(generators=("gaussian-nb", "smote"), ratios=(0, 1), train_sizes=(30,),
                         n_splits=2)
    rows = run(study, ["lda"], [iris], progress=False)
    assert (rows["metric"] != "failed").all()
    figs = study.figures(rows)
    assert len(figs) == 2  # one per regime
    reading = study.reading(rows)
    text = " ".join(reading)
    assert "gaussian-nb" in text and "smote" in text and "Imbalanced" in text
    assert "minority-class recall" in text
    # the bottom line first (the report's "At a glance"): both regimes in one sentence
    assert reading[0].startswith("At 30 training rows ")
    assert "with the minority class cut to 10 % of its training rows" in reading[0]


def test_registered_but_not_a_default_study():
    assert "augmentation" in STUDIES and not STUDIES["augmentation"].in_default
    assert "augmentation" not in [s.name for s in default_studies()]
    assert make_study("augmentation").ratios == (0, 0.5, 1, 2, 4)


@pytest.mark.parametrize("params, match", [
    ({"generators": ("no-such-model",)}, "unknown model 'no-such-model'"),
    ({"generators": ("logreg",)}, "'logreg' lacks the conditional_sample capability"),
    ({"generators": ()}, "generators is empty"),
    ({"ratios": (0, -1)}, "each ratio must be a finite number >= 0, got -1"),
    ({"imbalance": 0.0}, r"imbalance must be a fraction in \(0, 1\]"),
    ({"train_sizes": (4,)}, "at least 2 rows per class"),
])
def test_bad_settings_are_refused_when_the_grid_is_built(iris, params, match):
    with pytest.raises(ValueError, match=match):
        Augmentation(**params).cells(iris, ["lda"], seeds=[0])


def test_headline_rows_read_the_smallest_regime_and_the_best_setting_per_classifier():
    rows = pd.DataFrame([
        *[_row("20 rows · none", 0.0, s, "error", e) for s, e in ((0, 0.30), (1, 0.20))],
        *[_row("20 rows · kde", 1.0, s, "error", e) for s, e in ((0, 0.25), (1, 0.22))],
        *[_row("20 rows · kde", 2.0, s, "error", e) for s, e in ((0, 0.40), (1, 0.30))],
        *[_row("90 rows · none", 0.0, s, "error", 0.1) for s in (0, 1)],
        *[_row("90 rows · kde", 1.0, s, "error", 0.01) for s in (0, 1)],  # larger regime: unread
        *[_row("imbalanced · none", 0.0, s, m, v) for s in (0, 1)
          for m, v in (("balanced_error", 0.4), ("minority_recall", 0.2))],
        *[_row("imbalanced · kde", 0.0, s, m, v) for s in (0, 1)
          for m, v in (("balanced_error", 0.3), ("minority_recall", 0.5))],
        *[_row("imbalanced · kde", 1.0, s, m, v) for s in (0, 1)
          for m, v in (("balanced_error", 0.35), ("minority_recall", 0.9))],
    ])
    h = Augmentation.headline_rows(rows)
    mean = h.groupby(["setting", "setting_value", "metric"], dropna=False)["value"].mean()
    assert mean[("rows", 20.0, "bare_error")] == pytest.approx(0.25, abs=1e-12)
    # ratio 1 gains 0.05 and -0.02 (mean 0.015); ratio 2 loses: ratio 1 is read, per seed
    assert mean[("rows", 20.0, "best_error")] == pytest.approx(0.235, abs=1e-12)
    assert mean[("rows", 20.0, "best_gain")] == pytest.approx(0.015, abs=1e-12)
    assert sorted(h[h["metric"] == "best_gain"]["value"].round(12)) == [-0.02, 0.05]
    # imbalanced: the setting with the largest balanced-error gain (ratio 0), and its recall gain
    imb = h[h["setting"] == IMBALANCED].groupby("metric")["value"].mean()
    assert imb["imbalanced_gain"] == pytest.approx(0.1, abs=1e-12)
    assert imb["recall_gain"] == pytest.approx(0.3, abs=1e-12)  # not ratio 1's larger 0.7
    assert set(h["model"]) == {"lda"}


def test_changing_the_imbalance_reruns_the_imbalanced_cells_on_resume(iris, tmp_path):
    kw = {"generators": ("gaussian-nb",), "ratios": (1,), "train_sizes": (30,)}
    run(Augmentation(imbalance=0.2, **kw), ["lda"], [iris], seeds=[0], results=tmp_path,
        progress=False)
    again = run(Augmentation(imbalance=0.5, **kw), ["lda"], [iris], seeds=[0],
                results=tmp_path, progress=False, resume=True)
    # the two 30-row cells (bare, ratio 1) resume; the two imbalanced ones run again
    assert again.attrs["resumed"] == 2 and again.attrs["cells"] == 4
