"""missing_data: cells by capability, the mask applied, native NaN vs imputation, reading."""

import math

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset
from gdlab.studies import _common
from gdlab.studies.base import Cell
from gdlab.studies.missing_data import MissingData, parse_setting, setting_name


def _dataset(X, y, name="toy"):
    return Dataset(name=name, X=np.asarray(X, dtype=float), y=np.asarray(y),
                   class_names=tuple(str(k) for k in np.unique(y)), description="toy",
                   source="test")


def _blobs(n=80, d=4, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], n // 2)
    return _dataset(rng.uniform(size=(n, d)) * 0.5 + 0.25 * y[:, None], y, "blobs")


def _cell(handling, rate, at="predict", mech="mcar", model="gaussian-nb", seed=0):
    return Cell("missing_data", "blobs", model, setting_name(mech, at, handling), rate, seed)


def test_cells_by_capability():
    cells = MissingData(rates=(0, 0.5)).cells(_blobs(), ["gaussian-nb", "logreg-unreg"], [0])
    got = {(c.model, c.setting, c.setting_value) for c in cells}
    assert got == {
        ("gaussian-nb", "mcar_rate:predict:native", 0.0),
        ("gaussian-nb", "mcar_rate:predict:native", 0.5),
        ("logreg-unreg", "mcar_rate:predict:mean-impute", 0.0),
        ("logreg-unreg", "mcar_rate:predict:mean-impute", 0.5),
        ("logreg-unreg", "mcar_rate:predict:iterative-impute", 0.0),
        ("logreg-unreg", "mcar_rate:predict:iterative-impute", 0.5),
    }
    assert parse_setting("mar_rate:fit_and_predict:native") == ("mar", "fit_and_predict", "native")


def test_bad_parameters():
    ds = _blobs()
    for kwargs in ({"mechanism": "nmar"}, {"at": "fit"}, {"imputation": ("knn",)},
                   {"rates": (0, 1.0)}):
        with pytest.raises(ValueError):
            MissingData(**kwargs).cells(ds, ["gaussian-nb"], [0])


def test_metrics_by_hand_at_rate_zero(spy):
    # class 0: x = 0.2 (right, p_true 0.8); class 1: x = 0.4 (wrong, p_true 0.4)
    y = np.repeat([0, 1], 12)
    ds = _dataset(np.where(y == 0, 0.2, 0.4)[:, None], y)
    rows = {r["metric"]: r["value"]
            for r in MissingData(test_size=6).run_cell(_cell("native", 0.0), ds, spy)}
    assert rows["error"] == pytest.approx(0.5)
    assert rows["log_loss"] == pytest.approx(-(3 * math.log(0.8) + 3 * math.log(0.4)) / 6)


@pytest.mark.parametrize("mech", ["mcar", "mar", "mnar"])
def test_mask_rate_applied_to_test_only(mech):
    study = MissingData(test_size=20)
    X_train, _, X_test, _ = study.masked_split(_blobs(), _cell("native", 0.3, mech=mech))
    assert not np.isnan(X_train).any()
    assert np.isnan(X_test).sum() == round(0.3 * X_test.size)


def test_native_model_sees_nan(spy):
    ds, study, cell = _blobs(), MissingData(), _cell("native", 0.5, seed=2)
    model = spy(native=True)
    study.run_cell(cell, ds, lambda: model)
    _, _, X_test, _ = study.masked_split(ds, cell)
    np.testing.assert_array_equal(model.seen_[0], X_test)  # NaN passed through
    assert np.isnan(model.seen_[0]).mean() == pytest.approx(0.5)


def test_mean_imputing_model_sees_training_means(spy):
    ds, study = _blobs(), MissingData()
    cell = _cell("mean-impute", 0.5, model="logreg-unreg", seed=1)
    model = spy(native=False)
    study.run_cell(cell, ds, lambda: model)
    X_train, _, X_test, _ = study.masked_split(ds, cell)
    expected = np.where(np.isnan(X_test), X_train.mean(axis=0), X_test)
    np.testing.assert_allclose(model.seen_[0], expected, atol=1e-12)


def test_iterative_imputing_model_sees_no_nan(spy):
    ds, study = _blobs(), MissingData()
    model = spy(native=False)
    study.run_cell(_cell("iterative-impute", 0.5, model="logreg-unreg"), ds, lambda: model)
    assert not np.isnan(model.seen_[0]).any()


def test_fit_and_predict_masks_training_too(spy):
    ds, study = _blobs(), MissingData(at="fit_and_predict")
    model = spy(native=True)
    cell = _cell("native", 0.3, at="fit_and_predict")
    study.run_cell(cell, ds, lambda: model)
    assert np.isnan(model.fit_X_).sum() == round(0.3 * model.fit_X_.size)
    assert np.isnan(model.seen_[0]).sum() == round(0.3 * model.seen_[0].size)


def test_deterministic_and_no_mutation():
    from gdlab.models.registry import make

    ds = _blobs()
    X0 = ds.X.copy()
    study, cell = MissingData(), _cell("native", 0.5, mech="mnar", seed=4)
    a = study.run_cell(cell, ds, lambda: make("gaussian-nb"))
    b = study.run_cell(cell, ds, lambda: make("gaussian-nb"))
    assert [r["value"] for r in a] == [r["value"] for r in b]
    np.testing.assert_array_equal(ds.X, X0)
    other = study.masked_split(ds, _cell("native", 0.5, mech="mnar", seed=5))[2]
    assert not np.array_equal(np.isnan(other), np.isnan(study.masked_split(ds, cell)[2]))


def _rows():
    recs = []
    for model, handling, means in (("gaussian-nb", "native", (0.05, 0.12, 0.2)),
                                   ("logreg", "mean-impute", (0.04, 0.18, 0.4))):
        for rate, v in zip((0.0, 0.5, 0.9), means, strict=True):
            for seed, val in enumerate((v - 0.001, v + 0.001)):
                recs.append({"study": "missing_data", "dataset": "d", "model": model,
                             "family": _common.family_of(model),
                             "setting": setting_name("mcar", "predict", handling),
                             "setting_value": rate, "seed": seed, "metric": "error",
                             "value": val, "fit_seconds": 0.1, "error": None})
    return pd.DataFrame(recs)


def test_summarize_adds_parsed_columns():
    s = MissingData().summarize(_rows())
    row = s[(s.model == "logreg") & (s.rate == 0.5)].iloc[0]
    assert (row["mechanism"], row["at"], row["handling"]) == ("mcar", "predict", "mean-impute")
    assert row["mean"] == pytest.approx(0.18) and row["n"] == 2


def test_reading_sentences():
    text = MissingData().reading(_rows())
    assert ("At 50 % MCAR, gaussian-nb (marginalization) errs 12 %, "
            "logreg with mean imputation 18 %.") in text
    assert "At 90 % MCAR the lowest error is gaussian-nb (marginalization)'s (20 %)." in text


def test_figures_one_line_per_model_and_handling():
    figs = MissingData().figures(_rows())
    assert len(figs) == 1
    lines = {t.name: t for t in figs[0].data if t.mode == "lines+markers"}
    assert set(lines) == {"gaussian-nb (marginalization)", "logreg with mean imputation"}
    assert lines["gaussian-nb (marginalization)"].line.dash == "solid"
    assert lines["logreg with mean imputation"].line.dash == "dash"
    np.testing.assert_allclose(lines["logreg with mean imputation"].y, [0.04, 0.18, 0.4],
                               atol=1e-12)
    bands = [t for t in figs[0].data if t.fill == "toself"]
    assert len(bands) == 2 and all(0 <= min(t.y) and max(t.y) <= 1 for t in bands)
