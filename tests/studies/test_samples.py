"""Samples study: draws, judge accuracy, quality vs real-vs-real, figures, reading."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from gdlab.data import Dataset, load
from gdlab.models.registry import make
from gdlab.studies import samples as samples_module
from gdlab.studies.base import ROW_COLUMNS
from gdlab.studies.samples import (
    QUALITY_METRICS,
    REFERENCE_PREFIX,
    Samples,
    quality_table,
    sample_table,
)

QUALITY = set(QUALITY_METRICS) | {REFERENCE_PREFIX + m for m in QUALITY_METRICS}


class _Sampler(BaseEstimator):
    """A conditional sampler with no predict: copies training rows, or draws far-away noise."""

    def __init__(self, how="copy"):
        self.how = how

    def _capabilities(self):
        return frozenset({"sample", "conditional_sample"})

    def fit(self, X, y):
        self.X_, self.y_ = np.asarray(X, float), np.asarray(y)
        return self

    def sample(self, n, y=None, random_state=None):
        rng = np.random.default_rng(random_state)
        rows = self.X_[self.y_ == y]
        if self.how == "copy":
            return rows[rng.integers(len(rows), size=n)], np.full(n, y)
        return rng.normal(100.0, 1.0, size=(n, self.X_.shape[1])), np.full(n, y)

    def predict(self, X):
        raise AssertionError("the samples study must not call the model's predict")


def _scalars(rows):
    return rows[rows["setting"] == "none"].set_index("metric")["value"]


def _images():
    """60 tiny 2x2 'images' of two classes: bright on the left or on the right."""
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 30)
    left = np.array([1.0, 0.0, 1.0, 0.0])
    X = np.where(y[:, None] == 0, left, 1 - left) + rng.normal(0, 0.1, (60, 4))
    return Dataset(name="tiny-images", X=X, y=y, class_names=("left", "right"),
                   description="", source="test", modality="image",
                   metadata={"image_shape": (2, 2)})


def test_run_cell_tabular_rows():
    ds, study = load("iris"), Samples(n_per_class=3)
    assert study.applies_to(frozenset({"classify", "conditional_sample"}))
    assert not study.applies_to(frozenset({"classify"}))
    cell = study.cells(ds, ["gaussian-nb"], seeds=[1])[0]
    rows = pd.DataFrame(study.run_cell(cell, ds, lambda: make("gaussian-nb")))
    assert set(rows.columns) == set(ROW_COLUMNS)
    scalar = _scalars(rows)
    assert set(scalar.index) == {"held_out_classifier_accuracy", "real_test_accuracy"} | QUALITY
    assert 0.8 <= scalar["held_out_classifier_accuracy"] <= 1
    assert 0 <= scalar["c2st_auc"] <= 1 and scalar["frechet_distance"] >= 0
    assert 0 <= scalar["knn_precision"] <= 1 and 0 <= scalar["knn_recall"] <= 1
    # the real-vs-real reference looks like real data
    assert 0.3 < scalar["reference_c2st_auc"] < 0.7 and scalar["reference_tstr_accuracy"] > 0.85
    samples = rows[rows["setting"].str.startswith("sample:")]
    assert len(samples) == 3 * 3 * 4
    # each feature's name and the range seen in training, for the sample table
    features = rows[rows["setting"].str.startswith("feature:")]
    assert set(features["setting"]) == {f"feature:{n}" for n in ds.X.columns}
    X = ds.X.to_numpy(float)
    got = features.pivot_table(index="setting_value", columns="metric", values="value")
    assert (got["min"].to_numpy() >= X.min(axis=0) - 1e-12).all()
    assert (got["max"].to_numpy() <= X.max(axis=0) + 1e-12).all()
    assert set(samples["setting"]) == {f"sample:{c}" for c in ds.class_names}
    assert set(samples["metric"]) == {"x0", "x1", "x2", "x3"}
    table = sample_table(rows)
    assert table.shape == (9, 5 + 4) and table["draw"].tolist() == [0, 1, 2] * 3
    # deterministic by seed
    again = pd.DataFrame(study.run_cell(cell, ds, lambda: make("gaussian-nb")))
    np.testing.assert_array_equal(again["value"].to_numpy(), rows["value"].to_numpy())
    # the reference does not depend on the model (nor on the per-process cache)
    samples_module._REFERENCES.clear()
    other = _scalars(pd.DataFrame(study.run_cell(cell, ds, lambda: _Sampler("noise"))))
    for m in QUALITY_METRICS:
        assert other[REFERENCE_PREFIX + m] == pytest.approx(scalar[REFERENCE_PREFIX + m])
    figs = study.figures(rows)
    assert len(figs) == 2 and figs[1].data[0].type == "table"  # quality panels, then samples
    assert len(figs[0].layout.annotations) == len(QUALITY_METRICS)  # one panel per metric
    refs = [t for t in figs[0].data if t.legendgroup == "reference"]
    assert len(refs) == len(QUALITY_METRICS) and sum(bool(t.showlegend) for t in refs) == 1


def test_quality_metrics_tell_copies_from_noise_without_predict():
    ds, study = load("iris"), Samples(n_per_class=2)
    cell = study.cells(ds, ["copier"], seeds=[0])[0]
    copy = _scalars(pd.DataFrame(study.run_cell(cell, ds, lambda: _Sampler("copy"))))
    noise = _scalars(pd.DataFrame(study.run_cell(cell, ds, lambda: _Sampler("noise"))))
    # copies of training rows sit on the real manifold; noise far away does not
    assert copy["knn_precision"] == 1.0 and noise["knn_precision"] == 0.0
    assert noise["knn_recall"] == 0.0
    assert noise["c2st_auc"] > 0.99 > copy["c2st_auc"]
    assert noise["c2st_auc_features"] > 0.99 > copy["c2st_auc_features"]
    assert noise["frechet_distance"] > 10 * copy["frechet_distance"]
    assert noise["mmd"] > copy["mmd"]
    assert copy["held_out_classifier_accuracy"] > 0.9 and copy["tstr_accuracy"] > 0.85
    # noise is as far from real rows as it gets: worse than real vs real everywhere
    assert noise["frechet_distance"] > noise["reference_frechet_distance"]
    assert noise["mmd"] > noise["reference_mmd"]


def test_quality_off_keeps_only_the_judge():
    ds, study = load("iris"), Samples(n_per_class=2, quality=False)
    cell = study.cells(ds, ["copier"], seeds=[0])[0]
    scalar = _scalars(pd.DataFrame(study.run_cell(cell, ds, lambda: _Sampler("copy"))))
    assert set(scalar.index) == {"held_out_classifier_accuracy", "real_test_accuracy"}
    with pytest.raises(TypeError, match="quality"):
        Samples(quality="yes").run_cell(cell, ds, lambda: _Sampler("copy"))


def test_image_dataset_grid():
    ds, study = _images(), Samples(n_per_class=4, quality=False)
    cell = study.cells(ds, ["gaussian-nb"], seeds=[0])[0]
    rows = pd.DataFrame(study.run_cell(cell, ds, lambda: make("gaussian-nb")))
    scalar = rows[rows["setting"] == "none"].set_index("metric")["value"]
    assert scalar["image_height"] == 2 and scalar["image_width"] == 2
    assert scalar["held_out_classifier_accuracy"] == 1.0  # the classes are far apart
    figs = study.figures(rows)
    assert len(figs) == 1 and len(figs[0].axes) == 2 * 4  # one panel per draw


def _row(model, metric, value, seed=0):
    return {"study": "samples", "dataset": "d", "model": model, "family": "generative",
            "setting": "none", "setting_value": np.nan, "seed": seed, "metric": metric,
            "value": value, "fit_seconds": 0.0, "error": None}


def test_reading_with_quality_against_reference():
    rows = pd.DataFrame([_row("vae", "held_out_classifier_accuracy", 0.8),
                         _row("vae", "c2st_auc", 0.9), _row("vae", "reference_c2st_auc", 0.52),
                         _row("vae", "frechet_distance", 4.0),
                         _row("vae", "reference_frechet_distance", 0.5),
                         _row("kde", "c2st_auc", 0.47), _row("kde", "reference_c2st_auc", 0.55),
                         _row("kde", "frechet_distance", 0.2),
                         _row("kde", "reference_frechet_distance", 0.5)])
    text = Samples().reading(rows)
    assert text[-1] == ("Against the real training rows, vae's samples on d reach a classifier "
                        "two-sample test AUC of 0.90 (real vs real: 0.52) and a Fréchet distance "
                        "of 4 (real vs real: 0.5).")
    assert "copy training rows" in text[0] and text[0].startswith("Against the real training "
                                                                   "rows, kde's")
    summary = Samples().summarize(rows)
    assert set(summary["metric"]) == {"held_out_classifier_accuracy", "c2st_auc",
                                      "reference_c2st_auc", "frechet_distance",
                                      "reference_frechet_distance"}
    fig = Samples().figures(rows)[0]
    assert [a.text for a in fig.layout.annotations] == [
        QUALITY_METRICS["c2st_auc"][0], QUALITY_METRICS["frechet_distance"][0]]
    dots = {(t.name, t.xaxis): t.x[0] for t in fig.data if t.legendgroup != "reference"}
    assert dots[("vae", "x")] == 0.9 and dots[("kde", "x2")] == 0.2
    table = quality_table(rows)
    assert table[["model", "metric"]].values.tolist() == [
        ["kde", "c2st_auc"], ["kde", "frechet_distance"],
        ["vae", "c2st_auc"], ["vae", "frechet_distance"]]
    assert table.loc[2, "value"] == 0.9 and table.loc[2, "reference"] == 0.52


def test_reading_on_hand_made_rows():
    rows = pd.DataFrame([_row("qda", "held_out_classifier_accuracy", 0.92),
                         _row("qda", "held_out_classifier_accuracy", 0.94, seed=1),
                         _row("qda", "real_test_accuracy", 0.97)])
    assert Samples().reading(rows) == [
        "On d, qda's samples are classified as their intended class 93 % of the time by a "
        "logistic regression trained on real data (real test rows: 97 %)."
    ]


def test_sample_table_figure_uses_real_names_decodes_categories_and_flags_range():
    from gdlab.studies.samples import decoded_row

    info = {"x0": ("bill length", 30.0, 60.0), "x1": ("island=Biscoe", 0.0, 1.0),
            "x2": ("island=Dream", 0.0, 1.0)}
    row = pd.Series({"x0": 75.0, "x1": 0.2, "x2": 0.7})
    assert decoded_row(row, ["x0", "x1", "x2"], info) == [("bill length", "75", True),
                                                        ("island", "Dream", False)]
    row = pd.Series({"x0": 42.0, "x1": 0.9, "x2": 0.1})
    assert decoded_row(row, ["x0", "x1", "x2"], info) == [("bill length", "42", False),
                                                        ("island", "Biscoe", False)]
    years = {"x0": ("year", 2007.0, 2009.0)}  # flagged values never read as inside the range
    assert decoded_row(pd.Series({"x0": 2009.4}), ["x0"], years) == [("year", "2009.4", True)]
    assert decoded_row(pd.Series({"x0": 2008.4}), ["x0"], years) == [("year", "2008", False)]
    assert decoded_row(pd.Series({"x0": 60.004}), ["x0"], info) == [("bill length", "60.004",
                                                                   True)]



def test_sample_table_is_an_interactive_table_with_flagged_cells():
    from gdlab.studies.samples import _table_figure

    info = {"x0": ("bill length", 30.0, 60.0), "x1": ("island=Biscoe", 0.0, 1.0),
            "x2": ("island=Dream", 0.0, 1.0)}
    d = pd.DataFrame({"class": ["a", "b"], "draw": [0, 0], "x0": [75.0, 42.0],
                      "x1": [0.2, 0.9], "x2": [0.7, 0.1]})
    fig = _table_figure(d, ["x0", "x1", "x2"], "qda", "penguins", info=info)
    table = fig.data[0]
    assert list(table.header.values) == ["<b>class</b>", "<b>bill length</b>", "<b>island</b>"]
    assert [list(c) for c in table.cells.values] == [["a", "b"], ["75*", "42"],
                                                     ["Dream", "Biscoe"]]
    assert table.cells.fill.color[1][0] == "#fde2e1" and table.cells.fill.color[1][1] != "#fde2e1"
    assert "outside the range seen in training" in fig.layout.title.text
