"""learning_curve: sizes, nested subsamples, determinism, metrics by hand, crossover, reading."""

import math

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset
from gdlab.metrics import align_proba, error_rate, log_loss
from gdlab.studies import _common
from gdlab.studies.learning_curve import LearningCurve, crossover, default_sizes


def _dataset(X, y, name="toy"):
    return Dataset(name=name, X=np.asarray(X, dtype=float), y=np.asarray(y),
                   class_names=tuple(str(k) for k in np.unique(y)), description="toy",
                   source="test")


def _blobs(n=80, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(size=(n, 3)) + y[:, None]
    return _dataset(X, y, "blobs")


# ------------------------------------------------------------------ metrics by hand


def test_error_and_log_loss_on_six_rows():
    y = np.array([0, 0, 1, 1, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 0])
    assert error_rate(y, pred) == pytest.approx(2 / 6)
    p_true = [0.9, 0.4, 0.8, 0.5, 0.7, 0.2]
    proba = np.full((6, 3), np.nan)
    for i, (k, p) in enumerate(zip(y, p_true, strict=True)):
        proba[i] = (1 - p) / 2
        proba[i, k] = p
    # -(ln .9 + ln .4 + ln .8 + ln .5 + ln .7 + ln .2) / 6
    assert log_loss(y, proba) == pytest.approx(0.650675, abs=1e-6)


def test_log_loss_clips_zero_probability_and_matches_sklearn():
    from sklearn.metrics import log_loss as sk_log_loss

    assert log_loss([0], np.array([[0.0, 1.0]])) == pytest.approx(-math.log(1e-15))
    proba = np.array([[0.7, 0.3], [0.2, 0.8], [0.6, 0.4]])
    assert log_loss([0, 1, 1], proba) == pytest.approx(sk_log_loss([0, 1, 1], proba))
    with pytest.raises(ValueError, match="not in labels"):
        log_loss([3], np.array([[0.5, 0.5]]))


def test_align_proba_fills_unseen_classes_with_zero():
    out = align_proba(np.array([[0.25, 0.75]]), [1, 2], [0, 1, 2])
    np.testing.assert_allclose(out, [[0, 0.25, 0.75]])


def test_mean_interval_is_a_t_interval():
    m, lo, hi, n = _common.mean_interval([0.1, 0.2, 0.3, np.nan])
    half = 4.302652729911275 * 0.1 / math.sqrt(3)  # t(0.975, 2) * sd / sqrt(n)
    assert (m, n) == (pytest.approx(0.2), 3)
    assert (lo, hi) == (pytest.approx(0.2 - half), pytest.approx(0.2 + half))


def test_run_cell_metrics_by_hand(spy):
    # class 0 rows have x = 0.2 (p_true 0.8, right); class 1 rows x = 0.4 (p_true 0.4, wrong)
    y = np.repeat([0, 1], 12)
    X = np.where(y == 0, 0.2, 0.4)[:, None]
    ds = _dataset(X, y)
    study = LearningCurve(sizes=[18], test_size=6)
    (cell,) = study.cells(ds, ["gaussian-nb"], seeds=[3])
    rows = {r["metric"]: r for r in study.run_cell(cell, ds, spy)}
    assert rows["error"]["value"] == pytest.approx(0.5)  # 3 of the 6 test rows wrong
    assert rows["log_loss"]["value"] == pytest.approx(-(3 * math.log(0.8) + 3 * math.log(0.4)) / 6)
    assert rows["error"]["family"] == "generative"
    assert rows["error"]["setting"] == "train_size" and rows["error"]["setting_value"] == 18
    assert rows["error"]["fit_seconds"] >= 0 and rows["error"]["error"] is None


# ------------------------------------------------------------------ grid


def test_default_sizes_geometric_from_five_per_class():
    sizes = default_sizes(300, 2)
    assert sizes[0] == 10 and sizes[-1] == 300 and len(sizes) == 8
    assert all(b > a for a, b in zip(sizes, sizes[1:], strict=False))
    ratios = np.diff(np.log(sizes))
    assert ratios.max() - ratios.min() < 0.2


@pytest.mark.parametrize("n_train", [12, 30, 90, 150, 426, 5000])
def test_default_sizes_scale_with_the_data(n_train):
    """Fewer sizes on a short range, each at least 1.5x the one before (up to rounding)."""
    sizes = default_sizes(n_train, 2, 7)
    assert sizes[0] == 10 and sizes[-1] == n_train
    assert len(sizes) == max(2, min(7, 1 + int(np.log(n_train / 10) / np.log(1.5))))
    if len(sizes) > 2:
        assert all(b / a >= 1.5 - 0.1 for a, b in zip(sizes, sizes[1:], strict=False))
    with pytest.raises(ValueError, match="min_ratio"):
        default_sizes(n_train, 2, 7, min_ratio=1.0)


def test_train_sizes_fractions_and_bad_sizes():
    ds = _blobs(80)  # 60 training rows
    assert LearningCurve(sizes=[0.1, 0.5, 1.0]).train_sizes(ds) == [6, 30, 60]
    with pytest.raises(ValueError, match="exceeds the 60 training rows"):
        LearningCurve(sizes=[10, 61]).train_sizes(ds)
    with pytest.raises(ValueError, match="strictly increasing"):
        LearningCurve(sizes=[10, 10]).train_sizes(ds)


def test_cells_one_per_model_size_seed():
    ds = _blobs()
    cells = LearningCurve(sizes=[4, 8, 16]).cells(ds, ["gaussian-nb", "logreg"], [0, 1])
    assert len(cells) == 12 and len({c.key for c in cells}) == 12
    assert LearningCurve(sizes=[4], n_splits=3).cells(ds, ["a"])[-1].seed == 2


def test_subsamples_nested_stratified_and_disjoint_from_test():
    ds = _blobs(80)
    study = LearningCurve()
    sizes = study.train_sizes(ds)
    for seed in (0, 1):
        parts = [study.split(ds, seed, m) for m in sizes]
        tests = {tuple(t) for _, t in parts}
        assert len(tests) == 1  # one split per seed
        test = parts[0][1]
        for (a, _), (b, _), m in zip(parts, parts[1:], sizes[1:], strict=False):
            assert set(a) < set(b) and len(b) == m
        for sub, _ in parts:
            assert not set(sub) & set(test)
            assert set(ds.y[sub]) == {0, 1}
    assert not np.array_equal(study.split(ds, 0, 20)[0], study.split(ds, 1, 20)[0])


def test_run_cell_deterministic_and_does_not_mutate(spy):
    ds = _blobs()
    X0, y0 = ds.X.copy(), ds.y.copy()
    study = LearningCurve(sizes=[10, 30])
    from gdlab.models.registry import make

    for cell in study.cells(ds, ["gaussian-nb"], [5]):
        first = study.run_cell(cell, ds, lambda: make("gaussian-nb"))
        again = study.run_cell(cell, ds, lambda: make("gaussian-nb"))
        assert [r["value"] for r in first] == [r["value"] for r in again]
    np.testing.assert_array_equal(ds.X, X0)
    np.testing.assert_array_equal(ds.y, y0)


def test_tiny_training_set_failure_raises(spy):
    ds = _blobs()
    study = LearningCurve(sizes=[4])
    (cell,) = study.cells(ds, ["logreg"], [0])
    with pytest.raises(ValueError, match="fewer than 3"):
        study.run_cell(cell, ds, lambda: spy(min_per_class=3))


def test_nan_data_gets_mean_imputation_for_models_without_missing_features(spy):
    ds = _blobs()
    X = ds.X.copy()
    X[::7, 1] = np.nan
    ds = _dataset(X, ds.y)
    study = LearningCurve(sizes=[40])
    (cell,) = study.cells(ds, ["logreg"], [0])
    model = spy(native=False)
    study.run_cell(cell, ds, lambda: model)  # would raise on NaN without the imputer
    assert not np.isnan(model.fit_X_).any()


# ------------------------------------------------------------------ crossover


def _summary(gen, disc, sizes=(10, 100, 1000), half=0.001):
    recs = []
    for model, means in (("gaussian-nb", gen), ("logreg", disc)):
        for m, v in zip(sizes, means, strict=True):
            recs.append({"dataset": "d", "model": model, "metric": "error",
                         "family": _common.family_of(model), "setting_value": float(m),
                         "mean": v, "lo": v - half, "hi": v + half})
    return pd.DataFrame(recs)


def test_crossover_interpolates_in_log_m():
    cr = crossover(_summary([0.2, 0.14, 0.14], [0.3, 0.16, 0.10]), "gaussian-nb", "logreg")
    # difference -0.02 at 100, +0.04 at 1000: a third of the way in log m
    assert cr.m == pytest.approx(10 ** (2 + 1 / 3))
    assert (cr.before, cr.after) == ("gaussian-nb", "logreg")


def test_crossover_none_when_one_is_ahead_everywhere():
    cr = crossover(_summary([0.3, 0.2, 0.1], [0.2, 0.1, 0.05]), "gaussian-nb", "logreg")
    assert cr.m is None and cr.crossings == ()
    assert cr.before == cr.after == "logreg"


def test_crossover_touching_is_not_crossing_but_zero_between_leads_is():
    touch = crossover(_summary([0.2, 0.1, 0.1], [0.3, 0.1, 0.2]), "gaussian-nb", "logreg")
    assert touch.m is None and touch.before == "gaussian-nb"
    cross = crossover(_summary([0.2, 0.1, 0.2], [0.3, 0.1, 0.1]), "gaussian-nb", "logreg")
    assert cross.m == 100.0 and cross.after == "logreg"
    same = crossover(_summary([0.1] * 3, [0.1] * 3), "gaussian-nb", "logreg")
    assert same.m is None and same.before is None


def test_crossover_reports_every_crossing():
    cr = crossover(_summary([0.2, 0.3, 0.2, 0.1], [0.3, 0.2, 0.3, 0.2], sizes=(1, 10, 100, 1000)),
                   "gaussian-nb", "logreg")
    assert len(cr.crossings) == 2 and cr.m == pytest.approx(cr.crossings[0])
    assert cr.before == cr.after == "gaussian-nb"


# ------------------------------------------------------------------ reading and figures


def _rows(gen, disc, sizes=(10, 100, 1000), spread=0.001, failed=()):
    """Tidy rows: two seeds per point, values mean -/+ spread."""
    study, rows = LearningCurve(), []
    for model, means in (("gaussian-nb", gen), ("logreg", disc)):
        for m, v in zip(sizes, means, strict=True):
            for seed, val in enumerate((v - spread, v + spread)):
                for metric in ("error", "log_loss"):
                    rows.append({"study": study.name, "dataset": "d", "model": model,
                                 "family": _common.family_of(model), "setting": "train_size",
                                 "setting_value": float(m), "seed": seed, "metric": metric,
                                 "value": val, "fit_seconds": 0.1, "error": None})
    for model, m in failed:
        rows.append({"study": study.name, "dataset": "d", "model": model, "family": "x",
                     "setting": "train_size", "setting_value": float(m), "seed": 0,
                     "metric": "failed", "value": np.nan, "fit_seconds": np.nan,
                     "error": "ValueError: too few rows"})
    return pd.DataFrame(rows)


def test_summarize_means_intervals_and_failures():
    rows = _rows([0.2, 0.14, 0.14], [0.3, 0.16, 0.10], failed=[("logreg", 10)])
    s = LearningCurve().summarize(rows)
    row = s[(s.model == "logreg") & (s.setting_value == 10) & (s.metric == "error")].iloc[0]
    assert row["mean"] == pytest.approx(0.3) and row["n"] == 2 and row["n_failed"] == 1
    half = 12.706204736174707 * 0.001 * math.sqrt(2) / math.sqrt(2)
    assert row["hi"] - row["mean"] == pytest.approx(half)


def test_reading_crossover_sentences():
    text = LearningCurve().reading(_rows([0.2, 0.14, 0.14], [0.3, 0.16, 0.10],
                                         failed=[("logreg", 10)]))
    assert "gaussian-nb is ahead below 215 training rows; logreg is ahead above." in text
    assert "At 10 training rows the lowest test error is gaussian-nb's (20 %)." in text
    assert "At 1000 training rows the lowest test error is logreg's (10 %)." in text
    assert any(s.startswith("logreg could not be fit on d in 1 cell(s) (training sizes 10)")
               for s in text)


def test_reading_honest_without_crossing_and_within_intervals():
    text = LearningCurve().reading(_rows([0.21, 0.16, 0.11], [0.2, 0.15, 0.1], spread=0.02))
    assert ("logreg is ahead of gaussian-nb at every training size from 10 to 1000 "
            "(the difference is within the 95 % intervals).") in text


def test_figures_lines_styles_and_crossover_marker():
    figs = LearningCurve().figures(_rows([0.2, 0.14, 0.14], [0.3, 0.16, 0.10]))
    assert len(figs) == 1
    fig = figs[0]
    assert fig.layout.xaxis.type == "log"
    lines = {t.name: t for t in fig.data if t.mode == "lines+markers"}
    assert lines["gaussian-nb"].line.dash == "solid"
    assert lines["logreg"].line.dash == "dash"
    assert lines["logreg"].line.color == _common.model_color("logreg")
    marker = lines.get("crossover") or next(t for t in fig.data if t.name == "crossover")
    assert marker.x[0] == pytest.approx(10 ** (2 + 1 / 3))
    assert sum(t.fill == "toself" for t in fig.data) == 2  # the interval bands


def test_end_to_end_on_real_models():
    from gdlab.models.registry import make

    ds = _blobs(80)
    study = LearningCurve(sizes=[4, 20, 60])
    rows = pd.DataFrame([r for c in study.cells(ds, ["gaussian-nb", "logreg-unreg"], [0, 1])
                         for r in study.run_cell(c, ds, lambda c=c: make(c.model))])
    s = study.summarize(rows)
    assert set(s.metric) == {"error", "log_loss"} and (s.n == 2).all()
    assert s["mean"].between(0, 1).all() or (s.metric == "log_loss").any()
    assert study.reading(rows) and len(study.figures(rows)) == 1


def test_reading_describes_headline_pairs_not_every_pair():
    from gdlab.studies.learning_curve import _pairs

    recs = []
    for model, fam, err in [("gaussian-nb", "generative", 0.2), ("qda", "generative", 0.1),
                            ("lda", "generative", 0.3), ("logreg", "discriminative", 0.15),
                            ("tree", "discriminative", 0.4), ("hist-gb", "discriminative", 0.12)]:
        for m in (10.0, 100.0):
            recs.append({"dataset": "d", "model": model, "family": fam, "metric": "error",
                         "setting_value": m, "mean": err})
    pairs = _pairs(pd.DataFrame(recs))
    # the classic pair present, plus the best generative (qda) vs best discriminative (hist-gb)
    assert pairs == [("gaussian-nb", "logreg"), ("qda", "hist-gb")]


def test_describe_crossover_never_repeats_a_size_nor_a_leader():
    from gdlab.studies.learning_curve import Crossover, describe_crossover

    # three crossings, two of which round to the same size; the same model leads at both ends
    cr = Crossover("nb", "lr", 12.0, (12.2, 34.6, 35.2), "nb", "nb", (10.0, 50.0), True, True)
    text = describe_crossover(cr)
    assert text == ("The curves of nb and lr cross 3 times (between 12 and 35 training rows); "
                    "nb is ahead at both ends.")
    cr = Crossover("nb", "rf", 61.8, (61.8, 62.3, 62.4), "nb", "rf", (10.0, 100.0), True, True)
    text = describe_crossover(cr)
    assert text == ("The curves of nb and rf cross 3 times (near 62 training rows); nb is "
                    "ahead below 62, rf above 62.")


def test_reading_starts_at_the_whole_training_part():
    rows = []
    for model, family, errs in (("gaussian-nb", "generative", (0.2, 0.15)),
                                ("logreg", "discriminative", (0.3, 0.1))):
        for m, e in zip((10.0, 1000.0), errs, strict=True):
            rows.append({"study": "learning_curve", "dataset": "d", "model": model,
                         "family": family, "setting": "train_size", "setting_value": m,
                         "seed": 0, "metric": "error", "value": e, "fit_seconds": 0.1,
                         "error": None})
    text = LearningCurve().reading(pd.DataFrame(rows))
    assert text[0] == "At 1000 training rows the lowest test error is logreg's (10 %)."
