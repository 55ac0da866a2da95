"""Cost study: tidy rows, the parameter count of the fitted model, the table, the reading."""

import numpy as np
import pandas as pd

from gdlab.data import load
from gdlab.metrics.cost import n_parameters
from gdlab.models.registry import make
from gdlab.studies.base import ROW_COLUMNS
from gdlab.studies.cost import COST_METRICS, Cost


def test_run_cell_rows():
    ds, study = load("iris"), Cost(n_predict=500)
    cell = study.cells(ds, ["gaussian-nb"], seeds=[0])[0]
    rows = pd.DataFrame(study.run_cell(cell, ds, lambda: make("gaussian-nb")))
    assert set(rows.columns) == set(ROW_COLUMNS)
    values = rows.set_index("metric")["value"]
    assert list(values.index) == list(COST_METRICS)
    assert values["fit_seconds"] == rows["fit_seconds"].iloc[0] > 0
    assert values["predict_ms_per_1000"] > 0 and values["peak_memory_mb"] > 0
    # the count depends on shapes only: theta_, var_, observed_count_ (3 x 4 each),
    # classes_, class_count_, class_prior_ (3 each)
    fitted = make("gaussian-nb").fit(ds.X.to_numpy(dtype=float), ds.y)
    assert values["n_parameters"] == n_parameters(fitted) == 3 * 12 + 3 * 3


def test_table_figure_and_default_seeds():
    ds, study = load("iris"), Cost(n_predict=200)
    cells = study.cells(ds, ["gaussian-nb", "tree"], seeds=None)
    assert len(cells) == 6  # default_seeds (0, 1, 2)
    rows = []
    for cell in cells[:1] + cells[3:4]:
        rows += study.run_cell(cell, ds, lambda cell=cell: make(cell.model))
    table = study.summarize(pd.DataFrame(rows))
    assert list(table.columns) == ["dataset", "model", "family", *COST_METRICS, "n"]
    assert set(table["model"]) == {"gaussian-nb", "tree"}
    figs = study.figures(pd.DataFrame(rows))
    assert len(figs) == 1
    bars = [t for t in figs[0].data if t.type == "bar"]
    assert len(bars) == 2 * len(COST_METRICS)  # one bar per model and metric
    # one legend entry per model, and a click on it hides the model in every panel
    assert sorted(t.name for t in bars if t.showlegend) == ["gaussian-nb", "tree"]
    assert all(t.legendgroup == t.name for t in bars)
    assert [a.text for a in figs[0].layout.annotations] == list(COST_METRICS.values())


def _row(model, metric, value, seed=0):
    return {"study": "cost", "dataset": "d", "model": model, "family": "generative",
            "setting": "none", "setting_value": np.nan, "seed": seed, "metric": metric,
            "value": value, "fit_seconds": 0.0, "error": None}


def test_reading_on_hand_made_rows():
    rows = []
    for model, fit, pred, size in [("gaussian-nb", 0.01, 0.5, 100),
                                   ("random-forest", 0.4, 20.0, 30000)]:
        rows += [_row(model, "fit_seconds", fit), _row(model, "predict_ms_per_1000", pred),
                 _row(model, "peak_memory_mb", 1.0), _row(model, "n_parameters", size)]
    assert Cost().reading(pd.DataFrame(rows)) == [
        "On d, gaussian-nb fits 40x faster than random-forest (10 ms vs 400 ms).",
        "gaussian-nb predicts 1,000 rows in 0.5 ms, random-forest in 20 ms.",
        "The smallest model is gaussian-nb (100 numbers), the largest random-forest (30,000).",
    ]


def test_reading_rounds_ratios_and_never_writes_exponents():
    """pima under load read 'qda fits 34857x faster than hist-gb' and 'hist-gb in 6e+02 ms'."""
    rows = []
    for model, fit, pred in [("qda", 0.00181, 0.547), ("hist-gb", 63.1, 600.0)]:
        rows += [_row(model, "fit_seconds", fit), _row(model, "predict_ms_per_1000", pred)]
    fit, pred = Cost().reading(pd.DataFrame(rows))[:2]
    assert "qda fits 35,000x faster than hist-gb (1.81 ms vs 63.1 s)" in fit
    assert pred == "qda predicts 1,000 rows in 0.547 ms, hist-gb in 600 ms."
