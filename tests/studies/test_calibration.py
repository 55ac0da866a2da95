"""Calibration study: cells, tidy rows, numbers against the metric, figures, reading."""

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset, load
from gdlab.metrics.calibration import expected_calibration_error
from gdlab.models.registry import make
from gdlab.studies.base import ROW_COLUMNS
from gdlab.studies.calibration import Calibration, split_indices


def _toy(n=40):
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n // 2)
    p1 = np.clip(np.where(y == 1, 0.7, 0.3) + rng.normal(0, 0.15, n), 0.01, 0.99)
    X = pd.DataFrame({"p1": p1, "noise": rng.normal(size=n)})
    return Dataset(name="toy", X=X, y=y, class_names=("a", "b"), description="toy",
                   source="test")


def test_cells_one_per_model_and_seed():
    cells = Calibration().cells(_toy(), ["a", "b"], seeds=[0, 1, 2])
    assert len(cells) == 6
    assert {(c.setting, np.isnan(c.setting_value)) for c in cells} == {("none", True)}


def test_run_cell_rows_and_numbers(spy):
    ds, study = _toy(), Calibration(n_bins=5)
    cell = study.cells(ds, ["spy"], seeds=[3])[0]
    rows = pd.DataFrame(study.run_cell(cell, ds, lambda: spy()))
    assert set(rows.columns) == set(ROW_COLUMNS)
    scalar = rows[rows["setting"] == "none"].set_index("metric")["value"]
    assert sorted(scalar.index) == ["brier", "ece", "error"]
    # the Spy predicts P(y=1 | x) = x0, so the ECE can be recomputed from the split
    _, test = split_indices(ds.y, 3, 0.25)
    p1 = ds.X["p1"].to_numpy()[test]
    proba = np.column_stack([1 - p1, p1])
    assert scalar["ece"] == pytest.approx(expected_calibration_error(ds.y[test], proba, n_bins=5))
    curve = rows[rows["setting"] == "bin"]
    assert set(curve["metric"]) == {"reliability_confidence", "reliability_accuracy",
                                    "reliability_count"}
    counts = curve[curve["metric"] == "reliability_count"]
    assert counts["value"].sum() == len(test)
    assert set(counts["setting_value"]) <= set(range(5))


def test_real_models_figures_and_summary():
    ds, study = load("iris"), Calibration()
    rows = []
    for cell in study.cells(ds, ["gaussian-nb", "logreg-unreg"], seeds=[0, 1]):
        rows += study.run_cell(cell, ds, lambda cell=cell: make(cell.model))
    rows = pd.DataFrame(rows)
    summary = study.summarize(rows)
    assert set(summary["metric"]) == {"ece", "brier", "error"} and len(summary) == 6
    figs = study.figures(rows)
    assert len(figs) == 1
    lines = [t for t in figs[0].data if t.mode == "lines+markers"]
    assert sorted(t.name for t in lines) == ["gaussian-nb", "logreg-unreg"]
    assert all(0 <= min(t.y) and max(t.y) <= 1 for t in lines)
    assert all("ECE" in t.text[0] for t in lines)
    assert any(t.name == "perfectly calibrated" for t in figs[0].data)  # the diagonal
    assert all("calibrated" in s for s in study.reading(rows))


def _row(model, metric, value, setting="none", setting_value=np.nan, seed=0):
    return {"study": "calibration", "dataset": "d", "model": model, "family": "generative",
            "setting": setting, "setting_value": setting_value, "seed": seed, "metric": metric,
            "value": value, "fit_seconds": 0.1, "error": None}


def test_reading_on_hand_made_rows():
    rows = [_row("logreg", "ece", 0.02), _row("gaussian-nb", "ece", 0.09)]
    # gaussian-nb: confidence 0.95 with accuracy 0.8 on 10 rows -> over-confident by 0.15
    for metric, value in [("reliability_confidence", 0.95), ("reliability_accuracy", 0.8),
                          ("reliability_count", 10)]:
        rows.append(_row("gaussian-nb", metric, value, "bin", 9))
    text = Calibration().reading(pd.DataFrame(rows))
    assert text == ["On d, logreg is best calibrated (ECE 0.020); gaussian-nb is the least "
                    "calibrated (ECE 0.090) and over-confident: its confidence is 0.15 above "
                    "its accuracy on average."]
