"""Samples study: sampled rows as tidy rows, the judge's accuracy, image grid / table, reading."""

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from gdlab.data import Dataset, load
from gdlab.models.registry import make
from gdlab.studies.base import ROW_COLUMNS
from gdlab.studies.samples import Samples, sample_table


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
    scalar = rows[rows["setting"] == "none"].set_index("metric")["value"]
    assert set(scalar.index) == {"held_out_classifier_accuracy", "real_test_accuracy"}
    assert 0.8 <= scalar["held_out_classifier_accuracy"] <= 1
    samples = rows[rows["setting"] != "none"]
    assert len(samples) == 3 * 3 * 4
    assert set(samples["setting"]) == {f"sample:{c}" for c in ds.class_names}
    assert set(samples["metric"]) == {"x0", "x1", "x2", "x3"}
    table = sample_table(rows)
    assert table.shape == (9, 5 + 4) and table["draw"].tolist() == [0, 1, 2] * 3
    # deterministic by seed
    again = pd.DataFrame(study.run_cell(cell, ds, lambda: make("gaussian-nb")))
    np.testing.assert_array_equal(again["value"].to_numpy(), rows["value"].to_numpy())
    figs = study.figures(rows)
    assert len(figs) == 1 and isinstance(figs[0], Figure)


def test_image_dataset_grid():
    ds, study = _images(), Samples(n_per_class=4)
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


def test_reading_on_hand_made_rows():
    rows = pd.DataFrame([_row("qda", "held_out_classifier_accuracy", 0.92),
                         _row("qda", "held_out_classifier_accuracy", 0.94, seed=1),
                         _row("qda", "real_test_accuracy", 0.97)])
    assert Samples().reading(rows) == [
        "On d, qda's samples are classified as their intended class 93 % of the time by a "
        "logistic regression trained on real data (real test rows: 97 %)."
    ]
