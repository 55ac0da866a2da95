"""OOD study: the three kinds of OOD rows, capability-based detectors, tidy rows, reading."""

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset, load
from gdlab.metrics.anomaly import FPR_GRID
from gdlab.models.registry import make
from gdlab.studies.base import ROW_COLUMNS
from gdlab.studies.ood import OOD, OOD_KINDS, ood_sets


def _two_class():
    rng = np.random.default_rng(0)
    return Dataset(name="two", X=pd.DataFrame({"a": rng.normal(size=40)}),
                   y=np.repeat([0, 1], 20), class_names=("x", "y"), description="",
                   source="test")


def test_cells_skip_held_out_class_for_two_classes():
    cells = OOD().cells(_two_class(), ["m"], seeds=[0, 1])
    assert sorted({c.setting_value for c in cells}) == [1.0, 2.0]
    cells = OOD(kinds=("low_contrast", "held_out_class")).cells(load("iris"), ["m"], seeds=[0])
    assert [c.setting_value for c in cells] == [2.0, 0.0]  # index in OOD_KINDS, not in kinds
    with pytest.raises(ValueError, match="kinds"):
        OOD(kinds=("blur",)).cells(load("iris"), ["m"], seeds=[0])


def test_ood_sets():
    X = np.arange(60.0).reshape(30, 2)
    y = np.repeat([0, 1, 2], 10)
    X_train, y_train, X_in, X_out = ood_sets(X, y, "held_out_class", seed=4)  # 4 % 3 = 1
    assert 1 not in y_train and len(X_out) == 10 and (X_out[:, 0] >= 20).all()
    assert len(X_train) + len(X_in) == 20
    X_train, _, X_in, X_out = ood_sets(X, y, "noise", seed=0)
    assert X_out.shape == X_in.shape
    assert (X_out >= X_train.min(axis=0)).all() and (X_out <= X_train.max(axis=0)).all()
    X_train, _, X_in, X_out = ood_sets(X, y, "low_contrast", seed=0, contrast=0.2)
    mean = X_train.mean(axis=0)
    np.testing.assert_allclose(X_out, mean + 0.2 * (X_in - mean), atol=1e-12)


def test_density_rows_only_for_density_models():
    ds, study = load("iris"), OOD()
    by_model = {}
    for model in ["gaussian-nb", "logreg-unreg"]:
        cell = [c for c in study.cells(ds, [model], seeds=[0]) if c.setting_value == 1.0][0]
        by_model[model] = pd.DataFrame(study.run_cell(cell, ds, lambda m=model: make(m)))
    nb, lr = by_model["gaussian-nb"], by_model["logreg-unreg"]
    assert set(nb.columns) == set(ROW_COLUMNS)
    assert set(nb.loc[nb["setting"] == "kind", "metric"]) == {"auroc_density", "auroc_confidence"}
    assert set(lr.loc[lr["setting"] == "kind", "metric"]) == {"auroc_confidence"}
    roc = nb[nb["setting"] == "fpr:noise"]
    assert len(roc) == 2 * len(FPR_GRID)
    np.testing.assert_allclose(sorted(set(roc["setting_value"])), FPR_GRID)
    # uniform noise over the iris box is far from the class densities
    assert nb.loc[nb["metric"] == "auroc_density", "value"].item() > 0.9


def test_summary_figures_reading_on_real_rows():
    ds, study = load("iris"), OOD(kinds=("held_out_class",))
    rows = []
    for cell in study.cells(ds, ["qda", "logreg-unreg"], seeds=[0, 1]):
        rows += study.run_cell(cell, ds, lambda cell=cell: make(cell.model))
    rows = pd.DataFrame(rows)
    summary = study.summarize(rows)
    assert set(summary["kind"]) == {"held_out_class"} and len(summary) == 3
    figs = study.figures(rows)
    assert len(figs) == 1
    fig = figs[0]
    # one panel per detector: qda has both, logreg-unreg only the confidence
    panels = {a.text for a in fig.layout.annotations}
    assert panels == {"-log p(x)", "max-softmax confidence"}
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert sorted(t.name for t in lines) == ["logreg-unreg", "qda", "qda"]
    assert all(np.all((np.asarray(t.y) >= 0) & (np.asarray(t.y) <= 1)) for t in lines)
    assert any("AUROC" in t.text[0] for t in lines)
    assert len(study.reading(rows)) == 1


def _row(model, metric, value, kind):
    return {"study": "ood", "dataset": "d", "model": model, "family": "generative",
            "setting": "kind", "setting_value": float(OOD_KINDS.index(kind)), "seed": 0,
            "metric": metric, "value": value, "fit_seconds": 0.1, "error": None}


def test_reading_on_hand_made_rows():
    rows = pd.DataFrame([
        _row("qda", "auroc_density", 0.94, "held_out_class"),
        _row("qda", "auroc_confidence", 0.60, "held_out_class"),
        _row("logreg", "auroc_confidence", 0.71, "held_out_class"),
        _row("logreg", "auroc_confidence", 0.55, "noise"),
    ])
    assert OOD().reading(rows) == [
        "On d, log p(x) from qda detects held-out classes with AUROC 0.94; the max-softmax "
        "confidence of logreg reaches 0.71 (0.5 is chance).",
        "On d, the max-softmax confidence of logreg reaches 0.55 on noise inputs "
        "(0.5 is chance).",
    ]


def test_ood_rows_keep_categorical_columns_valid():
    """Noise draws a category per categorical column; low-contrast copies keep the row's."""
    rng = np.random.default_rng(0)
    n = 80
    code = rng.integers(0, 3, n)
    X = np.column_stack([rng.normal(size=n), np.eye(3)[code], rng.integers(0, 2, n),
                         rng.normal(size=n)]).astype(float)
    y = rng.integers(0, 2, n)
    groups = [[1, 2, 3], [4]]
    _, _, X_in, X_noise = ood_sets(X, y, "noise", seed=0, groups=groups)
    np.testing.assert_array_equal(X_noise[:, 1:4].sum(axis=1), 1.0)
    assert set(np.unique(X_noise[:, 1:5])) == {0.0, 1.0}
    assert len(np.unique(X_noise[:, 1:4].argmax(axis=1))) == 3
    _, _, X_in, X_low = ood_sets(X, y, "low_contrast", seed=0, groups=groups)
    np.testing.assert_array_equal(X_low[:, 1:5], X_in[:, 1:5])
    assert np.abs(X_low[:, 0] - X[:, 0].mean()).max() < np.abs(X_in[:, 0]).max()
