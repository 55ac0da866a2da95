"""gdlab.comparison: the plan is checked before any fit, the summary is computed from the rows."""

import numpy as np
import pandas as pd
import pytest

from gdlab import comparison
from gdlab.comparison import DEFAULT_MODELS, SUMMARY_COLUMNS, check_plan, compare, summarize
from gdlab.data import load
from gdlab.models.registry import spec
from gdlab.studies.base import ROW_COLUMNS


def _rows(records):
    frame = pd.DataFrame(records)
    for col in ROW_COLUMNS:
        if col not in frame:
            frame[col] = None if col == "error" else np.nan
    return frame[list(ROW_COLUMNS)]


def test_default_models_mix_both_families():
    families = [spec(m).family for m in DEFAULT_MODELS]
    assert families.count("generative") >= 3 and families.count("discriminative") >= 3
    assert comparison.DEFAULT_DATASET == "breast_cancer"


def test_summary_by_hand():
    lc = [("nb", "generative", 10.0, s, "error", v) for s, v in [(0, 0.2), (1, 0.4)]]
    lc += [("nb", "generative", 100.0, s, "error", v) for s, v in [(0, 0.1), (1, 0.2)]]
    lc += [("lr", "discriminative", 100.0, s, "error", v) for s, v in [(0, 0.05), (1, 0.07)]]
    lc += [("lr", "discriminative", 100.0, 0, "log_loss", 0.3)]
    records = [dict(study="learning_curve", dataset="d", model=m, family=f, setting="train_size",
                    setting_value=sv, seed=s, metric=k, value=v, fit_seconds=0.1)
               for m, f, sv, s, k, v in lc]
    records += [dict(study="calibration", dataset="d", model="nb", family="generative",
                     setting="none", setting_value=np.nan, seed=s, metric="ece", value=v)
                for s, v in [(0, 0.1), (1, 0.3)]]
    records += [dict(study="ood", dataset="d", model="nb", family="generative", setting="kind",
                     setting_value=k, seed=0, metric="auroc_density", value=v)
                for k, v in [(0.0, 0.9), (1.0, 0.7)]]
    # a failed cell: metric "failed" with NaN value and a reason; it must not count
    records += [dict(study="learning_curve", dataset="d", model="lr", family="discriminative",
                     setting="train_size", setting_value=10.0, seed=0, metric="failed",
                     value=np.nan, error="ValueError: too few rows")]
    records += [dict(study="missing_data", dataset="d", model="nb", family="generative",
                     setting="mcar_rate:predict:native", setting_value=r, seed=0,
                     metric="error", value=v)
                for r, v in [(0.0, 0.1), (0.4, 0.2), (0.8, 0.5)]]
    # other mechanisms and imputations are left out of the summary
    records += [dict(study="missing_data", dataset="d", model="lr", family="discriminative",
                     setting=setting, setting_value=0.4, seed=0, metric="error", value=0.9)
                for setting in ("mar_rate:predict:mean-impute",
                                "mcar_rate:predict:iterative-impute")]
    table = summarize(_rows(records), ["nb", "lr"]).set_index("model")
    assert tuple(table.reset_index().columns) == SUMMARY_COLUMNS
    assert table.loc["nb", "error"] == pytest.approx(0.15)  # at the largest size only
    assert table.loc["lr", "error"] == pytest.approx(0.06)
    assert table.loc["lr", "log_loss"] == pytest.approx(0.3)
    assert np.isnan(table.loc["nb", "log_loss"])
    assert table.loc["nb", "ece"] == pytest.approx(0.2) and np.isnan(table.loc["lr", "ece"])
    # kinds are never averaged: kind 1 is noise (0.7); kind 0, held-out classes, has no column
    assert table.loc["nb", "ood_noise_density"] == pytest.approx(0.7)
    assert np.isnan(table.loc["nb", "ood_noise_confidence"])
    assert np.isnan(table.loc["nb", "ood_contrast_density"])
    assert np.isnan(table.loc["lr", "missing_error"])
    assert table.loc["nb", "missing_error"] == pytest.approx(0.2)
    summary = summarize(_rows(records))
    assert summary.attrs["missing_rate"] == pytest.approx(0.4)
    assert summary.attrs["train_size"] == 100
    assert list(table.family) == ["generative", "discriminative"]


def test_semi_supervised_headline_reads_the_fewest_labels_not_a_mean_over_what_ran():
    # lr failed at 20 labels: its mean over 100 and 1000 would look better than nb's
    vals = {("nb", 20.0): 0.3, ("nb", 100.0): 0.1, ("nb", 1000.0): 0.05,
            ("lr", 100.0): 0.08, ("lr", 1000.0): 0.02}
    records = [dict(study="semi_supervised", dataset="d", model=m, family="generative",
                    setting="n_labelled", setting_value=n, seed=s, metric="error",
                    value=v + 0.01 * s) for (m, n), v in vals.items() for s in (0, 1)]
    records += [dict(study="semi_supervised", dataset="d", model="nb", family="generative",
                     setting="n_labelled", setting_value=n, seed=0, metric="gain", value=g)
                for n, g in ((20.0, 0.2), (100.0, 0.05))]
    table = summarize(_rows(records))
    assert table.attrs["n_labelled"] == 20
    table = table.set_index("model")
    assert table.loc["nb", "ss_error"] == pytest.approx(0.305)
    assert np.isnan(table.loc["lr", "ss_error"])  # no value at 20 labels: none shown
    assert table.loc["nb", "ss_gain"] == pytest.approx(0.2)


def test_compare_in_memory_matches_its_summary():
    result = compare("iris", ["gaussian-nb", "logreg-unreg"], ["learning_curve"], seeds=2,
                     out_dir=None)
    assert result.report is None and result.results is None
    assert set(result.rows.study) == {"learning_curve"}
    assert [s.name for s in result.studies] == ["learning_curve"]
    pd.testing.assert_frame_equal(result.summary, summarize(result.rows,
                                                            ["gaussian-nb", "logreg-unreg"]))
    assert result.summary.error.between(0, 0.2).all()


def test_check_plan_rejects_bad_input_before_fitting():
    iris = load("iris")
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        check_plan(iris, ["lda", "nope"], None)
    with pytest.raises(ValueError, match="unknown study 'curves'"):
        check_plan(iris, ["lda"], ["curves"])
    with pytest.raises(ValueError, match="duplicates"):
        check_plan(iris, ["lda", "lda"], None)
    with pytest.raises(ValueError, match="no models"):
        check_plan(iris, [], None)
    with pytest.raises(TypeError, match="list of names"):
        check_plan(iris, "lda", None)
    with pytest.raises(ValueError, match="text data, which needs models that take text; lda"):
        check_plan(load("trump_tweets"), ["lda"], None)
    with pytest.raises(ValueError, match="applies to no chosen model.*conditional_sample"):
        check_plan(iris, ["logreg"], ["samples"])
    with pytest.raises(ValueError, match="seeds"):
        compare(iris, ["lda"], ["learning_curve"], seeds=0, out_dir=None)


def test_default_studies_leave_out_what_applies_to_no_model():
    studies, notes = check_plan(load("iris"), ["logreg"], None)
    names = [s.name for s in studies]
    assert "learning_curve" in names and "samples" not in names
    assert any("samples" in n and "conditional_sample" in n for n in notes)


def test_summary_columns_come_from_the_studies_headlines(monkeypatch):
    from gdlab.studies.base import Headline
    from gdlab.studies.cost import Cost

    extra = Headline("predict_ms", "predict_seconds", "predict ms", at="largest",
                     at_name="n_rows")
    monkeypatch.setattr(Cost, "headlines", (*Cost.headlines, extra))
    rows = pd.DataFrame({
        "study": "cost", "model": ["nb", "nb", "lr"], "family": "generative",
        "setting": "rows", "setting_value": [10.0, 20.0, 20.0], "metric": "predict_seconds",
        "value": [1.0, 2.0, 4.0]})
    table = summarize(rows)
    assert table["predict_ms"].tolist() == [2.0, 4.0]
    assert table.attrs["n_rows"] == 20.0
    headline, at = table.attrs["headlines"]["predict_ms"]
    assert headline is extra and at == 20.0
    assert headline.read("{at} rows", at) == "20.0 rows"


def test_headline_checks_how_it_reads():
    from gdlab.studies.base import Headline

    with pytest.raises(ValueError, match="better"):
        Headline("x", "x", "x", better="up")
    with pytest.raises(ValueError, match="at must be"):
        Headline("x", "x", "x", at="last")
    rate = Headline("e", "error", "error {at}", at_format="{:.0%}")
    assert rate.read(rate.header, 0.25) == "error 25%" and rate.read(rate.header, None) == "error ?"


def test_generate_trains_once_then_reads_the_cache(tmp_path, monkeypatch):
    from gdlab.comparison import cache_dir, generate

    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    lines = []
    first = generate("qda", "iris", 3, label="setosa", seed=2, report=lines.append)
    assert not first.cached and first.path == cache_dir() / "qda-iris.gdlab"
    assert first.path.is_file() and first.labels.tolist() == [0, 0, 0]
    again = generate("qda", "iris", 3, label="setosa", seed=2, report=lines.append)
    assert again.cached
    np.testing.assert_array_equal(again.draws, first.draws)
    assert lines[0].startswith("trained qda on iris") and "cached in" in lines[1]
    with pytest.raises(ValueError, match="logreg cannot sample"):
        generate("logreg", "iris")


def test_a_study_that_feeds_no_goal_gets_a_one_line_note_instead_of_a_verdict():
    records = [dict(study="blend", dataset="d", model="b", family="hybrid", setting="lambda",
                    setting_value=0.5, seed=0, metric="best_error", value=0.2)]
    notes = []
    assert comparison._advice(_rows(records), "d", notes) == (None, None)
    assert notes == ["no verdict: the blend rows answer none of the advisor's goals; the "
                     "summary and the report section are the result (gdlab compare runs the "
                     "studies a verdict needs)."]


def test_advice_options_are_checked_before_anything_is_fitted_and_shape_the_verdict():
    with pytest.raises(TypeError, match="advice_options takes goals, target_rows, "
                                        "missing_rate, budget; got target"):
        compare("iris", ["lda"], ["cost"], out_dir=None, advice_options={"target": 3})
    with pytest.raises(ValueError, match="target_rows must be a number of training rows"):
        compare("iris", ["lda"], ["cost"], out_dir=None, advice_options={"target_rows": 0})
    with pytest.raises(TypeError, match="advice_options must be a mapping"):
        compare("iris", ["lda"], ["cost"], out_dir=None, advice_options=["accuracy"])
    result = compare("iris", ["gaussian-nb", "lda"], ["cost"], seeds=2, out_dir=None,
                     advice_options={"goals": "cost"})
    assert {a.goal for a in result.advice.answers} == {"cost"}
