"""The verdict: per-goal picks with paired intervals, honest ties, clear errors, advice.json."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from gdlab.advice import GOALS, MANIFEST, Advice, advise, advise_rows
from gdlab.studies.base import ROW_COLUMNS

FAMILY = {"nb": "generative", "lr": "discriminative", "rf": "discriminative"}


def _row(study, model, metric, value, *, seed=0, setting="none", setting_value=np.nan):
    return {"study": study, "dataset": "toy", "model": model, "family": FAMILY[model],
            "setting": setting, "setting_value": setting_value, "seed": seed,
            "metric": metric, "value": value, "fit_seconds": 0.01, "error": None}


#: Per-seed test errors at the largest size: lr clearly best, nb and rf close.
ERR = {"lr": [0.10, 0.12, 0.11, 0.09, 0.10], "nb": [0.20, 0.22, 0.19, 0.21, 0.20],
       "rf": [0.21, 0.20, 0.20, 0.22, 0.21]}


def _rows() -> pd.DataFrame:
    rows = []
    for model, errs in ERR.items():
        for seed, e in enumerate(errs):
            for m, extra in ((20, 0.15), (40, 0.08), (80, 0.04), (160, 0.0)):
                small = {"nb": 0.3, "lr": 2.5, "rf": 2.0}[model] * extra
                rows.append(_row("learning_curve", model, "error", e + small, seed=seed,
                                 setting="train_size", setting_value=float(m)))
            rows.append(_row("calibration", model, "ece", {"lr": 0.03, "nb": 0.05,
                                                          "rf": 0.031}[model] + 0.001 * seed,
                             seed=seed))
            rows.append(_row("cost", model, "fit_seconds", {"lr": 0.5, "nb": 0.01,
                                                            "rf": 2.0}[model], seed=seed))
            # missing data at 50 %: nb marginalizes (native), lr and rf are mean-imputed
            handling = "native" if model == "nb" else "mean-impute"
            rows.append(_row("missing_data", model, "error",
                             {"nb": 0.22, "lr": 0.30, "rf": 0.31}[model] + 0.002 * seed,
                             seed=seed, setting=f"mcar_rate:predict:{handling}",
                             setting_value=0.5))
            # OOD: noise is found by nb's density, held-out classes by nobody in particular
            if model == "nb":
                rows.append(_row("ood", model, "auroc_density", 0.99 - 0.001 * seed,
                                 seed=seed, setting="kind", setting_value=1.0))
                rows.append(_row("ood", model, "auroc_density", [0.7, 0.6, 0.65, 0.72,
                                                                 0.61][seed],
                                 seed=seed, setting="kind", setting_value=0.0))
            rows.append(_row("ood", model, "auroc_confidence", 0.6 + 0.01 * seed, seed=seed,
                             setting="kind", setting_value=1.0))
            rows.append(_row("ood", model, "auroc_confidence", [0.62, 0.68, 0.66, 0.6,
                                                                0.7][seed],
                             seed=seed, setting="kind", setting_value=0.0))
    return pd.DataFrame(rows)[list(ROW_COLUMNS)]


def test_accuracy_pick_and_paired_interval_match_a_hand_computation():
    a = advise_rows(_rows(), goals="accuracy").answer("accuracy")
    assert (a.model, a.runner_up) == ("lr", "nb")
    d = np.array(ERR["nb"]) - np.array(ERR["lr"])  # paired over the 5 splits
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    np.testing.assert_allclose(a.difference, d.mean(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(a.interval, (d.mean() - half, d.mean() + half), rtol=0,
                               atol=1e-12)
    assert a.significant and not a.tie
    assert a.setting == "at 160 training rows"
    assert a.rows == {"study": "learning_curve", "metric": "error", "setting": "train_size",
                      "setting_value": 160.0, "models": ["lr", "nb"]}
    assert "p(y | x)" in a.reason  # the trade-off the verdict reflects


def test_tie_says_no_clear_winner():
    # calibration: lr 0.030.. vs rf 0.031..: a constant 0.001 apart on every split is real;
    # make rf's split noise swamp it
    rows = _rows()
    rf = (rows["study"] == "calibration") & (rows["model"] == "rf")
    rows.loc[rf, "value"] = [0.02, 0.045, 0.025, 0.05, 0.021]
    a = advise_rows(rows, goals="calibration").answer("calibration")
    assert a.tie and not a.significant and a.tied_with == (a.runner_up,)
    assert a.because.startswith(f"No clear winner between {a.model} and {a.runner_up}")
    assert "no clear winner" in a.headline()


def test_accuracy_at_a_smaller_target_is_read_at_the_nearest_measured_size():
    advice = advise_rows(_rows(), goals="accuracy", target_rows=25)
    a = advice.answer("accuracy")
    assert a.setting == "at 20 training rows" and a.model == "nb"  # nb is ahead with few rows
    assert any("nearest to target_rows=25" in n for n in advice.notes)


def test_accuracy_beyond_the_measured_sizes_is_extrapolated():
    a = advise_rows(_rows(), goals="accuracy", target_rows=400).answer("accuracy")
    assert a.extrapolated and a.setting == "at 400 training rows (predicted)"
    assert a.model == "lr" and set(a.values) == {"lr", "nb", "rf"}
    assert a.interval[0] <= a.difference <= a.interval[1]
    assert "fitted learning curves" in a.because


def test_missing_data_answer_names_the_handling_and_the_rate():
    a = advise_rows(_rows(), goals="accuracy_with_missing").answer("accuracy_with_missing")
    assert a.model == "nb (native)" and a.runner_up == "lr (mean-impute)"
    assert "50%" in a.setting and a.significant
    assert "marginalizes the missing features" in a.reason


def test_anomalies_are_answered_per_kind_never_averaged():
    answers = [x for x in advise_rows(_rows(), goals="anomaly_detection").answers]
    assert [x.kind for x in answers] == ["held_out_class", "noise"]
    noise = next(x for x in answers if x.kind == "noise")
    assert noise.model == "nb (-log p(x))" and noise.significant and noise.better == "higher"
    assert "density p(x)" in noise.reason
    held = next(x for x in answers if x.kind == "held_out_class")
    assert held.tie  # 0.66 vs 0.65 with noisy splits


def test_budget_excludes_slow_models_and_none_meeting_it_is_an_error():
    advice = advise_rows(_rows(), goals=["accuracy", "cost"], budget=1.0)
    assert "rf" not in advice.answer("accuracy").values
    assert any("left out: rf" in n for n in advice.notes)
    assert advice.answer("cost").model == "nb"
    with pytest.raises(ValueError, match=r"no model fits within 0.001 s; the cheapest, nb, "
                                         r"takes 0.01 s"):
        advise_rows(_rows(), budget=0.001)


def test_unanswerable_goal_is_reported_not_dropped():
    advice = advise_rows(_rows(), goals=["accuracy", "generation"])
    for kind in ("realism", "usefulness"):
        gen = advice.answer("generation", kind)
        assert not gen.answered and gen.model is None and "samples study" in gen.because
        assert gen.headline().startswith(f"generation ({kind}): unanswered.")
    with pytest.raises(ValueError, match="no rows for the goal"):
        advise_rows(_rows(), goals="generation")


def test_overall_names_the_goals_it_weighed():
    advice = advise_rows(_rows())
    o = advice.overall
    assert o["model"] == "lr"  # accuracy (double weight) and calibration
    assert set(o["goals"]) == {"accuracy", "accuracy_with_missing", "calibration",
                               "anomaly_detection:held_out_class", "anomaly_detection:noise",
                               "cost:fit"}
    assert o["goals"]["accuracy"] == 2.0 and o["goals"]["anomaly_detection:noise"] == 0.5
    assert "accuracy weighs double" in o["because"]
    assert list(o["scores"]) == sorted(o["scores"], key=o["scores"].get)


@pytest.mark.parametrize("significant,says", [
    (True, "For accuracy alone, pick zz."),
    (False, "For accuracy alone, zz measured best, within the noise of yy."),
])
def test_overall_says_pick_for_accuracy_only_when_its_lead_is_significant(significant, says):
    # "pick X" for accuracy alone would be a false verdict when accuracy is a tie
    from dataclasses import replace

    from gdlab.verdict import _overall

    answers = advise_rows(_rows()).answers
    acc = next(a for a in answers if a.goal == "accuracy")
    acc = replace(acc, model="zz", runner_up="yy", significant=significant,
                  interval=(0.01, 0.02) if significant else (-0.01, 0.02), difference=0.005)
    answers = [acc if a.goal == "accuracy" else a for a in answers]
    because = _overall(answers, None)["because"]
    assert because.endswith(says)
    assert ("pick zz" in because) == significant


def test_schema_of_advice_json(tmp_path):
    advice = advise_rows(_rows(), dataset="toy")
    path = advice.to_json(tmp_path / "advice.json")
    data = json.loads(path.read_text())
    assert data["dataset"] == "toy" and set(data["overall"]) >= {"model", "because", "goals"}
    for a in data["answers"]:
        assert {"goal", "model", "runner_up", "difference", "interval", "significant",
                "because"} <= set(a)
        assert a["goal"] in GOALS
        assert a["interval"] is None or (len(a["interval"]) == 2
                                         and a["interval"][0] <= a["interval"][1])
    text = str(advice)
    assert text.startswith("Verdict for toy: lr ranks best") and "- accuracy: lr" in text


@pytest.mark.parametrize("kwargs,match", [
    ({"goals": "speed"}, r"unknown goal\(s\) \['speed'\]; known goals: accuracy"),
    ({"goals": []}, "unknown goal"),
    ({"target_rows": 0}, "target_rows must be a number of training rows >= 1"),
    ({"target_rows": 5}, r"below the smallest training size measured \(20\)"),
    ({"missing_rate": 1.0}, r"missing_rate must be a fraction in \[0, 1\)"),
    ({"missing_rate": -0.1}, "missing_rate must be"),
    ({"budget": 0}, "budget must be a positive number of fit seconds"),
    ({"budget": float("nan")}, "budget must be"),
])
def test_bad_options_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        advise_rows(_rows(), **kwargs)


def test_results_folder_checks_manifest_and_version(tmp_path):
    with pytest.raises(ValueError, match="not a results folder written by gdlab compare"):
        advise(tmp_path)
    (tmp_path / MANIFEST).write_text(json.dumps({"gdlab_version": "0.0.0-old"}))
    with pytest.raises(ValueError, match="written by gdlab 0.0.0-old"):
        advise(tmp_path)
    with pytest.raises(ValueError, match="unknown goal"):
        advise(tmp_path, goals="nope")  # options are checked before anything is read


def test_advise_on_a_real_comparison(tmp_path):
    """End to end: compare writes manifest.json and advice.json; advise reads the folder."""
    from gdlab.comparison import compare

    result = compare("iris", ["gaussian-nb", "logreg"], ["learning_curve", "cost"], seeds=2,
                     out_dir=tmp_path, n_jobs=1)
    assert isinstance(result.advice, Advice)
    saved = json.loads((tmp_path / "advice.json").read_text())
    assert saved["dataset"] == "iris"
    again = advise(tmp_path, goals=["accuracy", "cost"])
    assert again.answer("accuracy").model in ("gaussian-nb", "logreg")
    assert again.answer("accuracy").rows["study"] == "learning_curve"
    assert again.to_dict()["answers"] == [a.to_dict() for a in again.answers]
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert html.index('id="verdict"') < html.index('id="at-a-glance"')  # the verdict first


def test_tied_with_and_the_generative_discriminative_contrast():
    rows = _rows()
    a = advise_rows(rows, goals="accuracy").answer("accuracy")
    assert a.tied_with == ()  # lr is clearly ahead of both
    c = a.contrast
    assert (c["generative"], c["discriminative"]) == ("nb", "lr")
    d = np.array(ERR["nb"]) - np.array(ERR["lr"])
    np.testing.assert_allclose(c["difference"], -d.mean(), rtol=0, atol=1e-12)  # nb worse
    assert c["significant"] and "Modelling p(y | x) wins here" in a.because
    cal = advise_rows(rows, goals="calibration").answer("calibration")
    assert cal.model == "lr" and cal.tied_with == ()  # rf is 0.001 worse on every split
    extrapolated = advise_rows(rows, goals="accuracy", target_rows=400).answer("accuracy")
    assert extrapolated.contrast["generative"] == "nb"


def test_extrapolation_does_not_overturn_the_measured_best_without_evidence():
    rng = np.random.default_rng(0)
    rows = []
    for seed in range(5):
        for m in (20.0, 40.0, 80.0, 160.0):
            for model, e in (("nb", 0.15), ("lr", 0.03 + 2.2 / np.sqrt(m))):
                rows.append(_row("learning_curve", model, "error",
                                 e + rng.normal(0, 0.03), seed=seed, setting="train_size",
                                 setting_value=m))
    rows = pd.DataFrame(rows)[list(ROW_COLUMNS)]
    advice = advise_rows(rows, goals="accuracy", target_rows=600)
    a = advice.answer("accuracy")
    # lr's curve is still falling and is predicted ahead at 600 rows, but not significantly
    # ahead of nb, the best measured at 160 rows: nb is kept, and the answer says why
    assert a.values["lr"] < a.values["nb"]
    assert a.model == "nb" and a.runner_up == "lr" and not a.significant
    assert "so nb is kept" in a.because
    # the overall verdict, over this one goal, names the goal's pick, not the model with
    # the lower predicted value (it used to say "lr ranks best ... for accuracy alone, nb")
    assert advice.overall["model"] == "nb" and advice.overall["scores"]["nb"] == 1.0


def test_advise_takes_a_comparison_and_a_csv_path(tmp_path):
    from gdlab.comparison import compare
    from gdlab.data import load

    result = compare("iris", ["gaussian-nb", "lda"], ["cost"], seeds=2, out_dir=None)
    assert advise(result, goals="cost").answer("cost").model in ("gaussian-nb", "lda")
    ds = load("iris")
    frame = ds.X.assign(species=np.asarray(ds.class_names)[ds.y])
    frame.to_csv(tmp_path / "iris.csv", index=False)
    with pytest.raises(ValueError, match="name its class column with target="):
        advise(tmp_path / "iris.csv")
    with pytest.raises(ValueError, match="target= only applies to a CSV path"):
        advise("iris", target="species")


def test_generation_answers_realism_and_usefulness_apart():
    """Realism from the two-sample test (distance of its AUC from 0.5), usefulness from TSTR."""
    rows = []
    for seed in range(4):
        for model, c2st, tstr in (("nb", 0.95, 0.97), ("mix", 0.52 - 0.01 * seed, 0.90)):
            for metric, value in (("c2st_auc", c2st), ("tstr_accuracy", tstr)):
                rows.append(dict(study="samples", dataset="d", model=model, setting="none",
                                 setting_value=np.nan, seed=seed, family="generative",
                                 metric=metric, value=value, fit_seconds=0.0, error=None))
    advice = advise_rows(pd.DataFrame(rows), goals=["generation"])
    realism, usefulness = advice.answer("generation", "realism"), advice.answer(
        "generation", "usefulness")
    assert realism.model == "mix" and realism.significant
    assert usefulness.model == "nb" and usefulness.significant
    assert realism.headline().startswith("generation (realism)")
    # TSTR measures usefulness: its reason must not call the rows realistic
    assert "most realistic rows" in realism.reason
    assert "most useful rows" in usefulness.reason and "realistic" not in usefulness.reason


def test_cost_answers_fit_predict_and_memory_apart():
    rows = []
    for seed in range(4):
        for model, fit, pred, mem in (("nb", 0.01, 9.0, 1.0), ("lr", 0.5, 0.2, 3.0)):
            for metric, value in (("fit_seconds", fit + 0.001 * seed),
                                  ("predict_ms_per_1000", pred + 0.01 * seed),
                                  ("peak_memory_mb", mem + 0.01 * seed)):
                rows.append(dict(study="cost", dataset="d", model=model, setting="none",
                                 setting_value=np.nan, seed=seed, family="generative"
                                 if model == "nb" else "discriminative", metric=metric,
                                 value=value, fit_seconds=0.0, error=None))
    advice = advise_rows(pd.DataFrame(rows), goals=["cost"])
    assert advice.answer("cost", "fit").model == "nb"
    assert advice.answer("cost", "predict").model == "lr"
    assert advice.answer("cost", "memory").model == "nb"
    assert advice.answer("cost", "predict").headline().startswith("cost (predict)")


def test_verdict_numbers_have_one_formatter():
    from gdlab.answers import format_value

    assert format_value(0.1234, "error") == "12.3 %"
    assert format_value(-0.004, "ece", signed=True) == "-0.4 pts"
    assert format_value(0.0021, "fit_seconds") == "2.1 ms"
    assert format_value(3.5, "peak_memory_mb", signed=True) == "+3.5 MB"
    assert format_value(float("nan"), "auroc") == "—"


def test_verdict_numbers_line_up_and_never_use_exponents():
    """An AUROC, its rival and the interval of their difference share three decimals
    (not "0.94 vs 0.899, lead +0.0416 [-0.00415, +0.0872]"); a lead of seconds is not
    "+1.1e+03 ms"."""
    from gdlab.answers import format_value

    assert [format_value(v, "auroc") for v in (0.94, 1.0, 0.8991)] == ["0.940", "1.000",
                                                                          "0.899"]
    assert [format_value(v, "auroc", signed=True) for v in (0.0416, -0.00415, 0.0, -1e-5)] \
        == ["+0.042", "-0.004", "+0.000", "+0.000"]
    assert format_value(0.285, "c2st_auc") == "0.285"
    assert format_value(1.1, "fit_seconds", signed=True) == "+1.1 s"
    assert format_value(9.322, "fit_seconds") == "9.32 s"
    assert format_value(0.664, "fit_seconds", signed=True) == "+664 ms"
    assert format_value(2500.0, "predict_ms_per_1000") == "2.5 s"
    assert format_value(12345.0, "peak_memory_mb") == "12,345 MB"
    for metric in ("fit_seconds", "peak_memory_mb", "mmd", "auroc"):
        for v in (1e-4, 0.5, 3.0, 1e4, 1e6):
            assert "e+" not in format_value(v, metric, signed=True)


def _ss_rows():
    rows = []
    for seed in range(4):
        for model, family, errs, gains in (
                ("label-spreading", "discriminative", {20: 0.10, 50: 0.07, 1000: 0.02},
                 {20: 0.15, 50: 0.08}),
                ("logreg", "discriminative", {20: 0.26, 50: 0.15, 1000: 0.03}, {})):
            for n, e in errs.items():
                base = dict(study="semi_supervised", dataset="d", model=model,
                            setting="n_labelled", setting_value=float(n), seed=seed,
                            family=family, fit_seconds=0.0, error=None)
                rows.append({**base, "metric": "error", "value": e + 0.002 * seed})
                if n in gains:
                    rows.append({**base, "metric": "gain", "value": gains[n]})
    return pd.DataFrame(rows)


def test_few_labels_is_answered_per_number_of_labels_when_the_study_ran():
    advice = advise_rows(_ss_rows())  # default goals: few_labels because the study ran
    answers = [a for a in advice.answers if a.goal == "few_labels"]
    assert [a.kind for a in answers] == ["20 labels", "50 labels"]  # "all labelled" left out
    first = answers[0]
    assert first.model == "label-spreading" and first.significant
    assert "lower its error by 15.0 pts" in first.reason and "unlabelled rows" in first.reason
    assert "(25.3 % when it is fit on the labelled rows alone)" in first.reason  # 10.3 + 15.0
    assert first.rows["setting_value"] == 20.0


def test_few_labels_is_left_out_by_default_without_the_study_but_reported_when_asked():
    advice = advise_rows(_rows())
    assert all(a.goal != "few_labels" for a in advice.answers)
    asked = advise_rows(_rows(), goals=["accuracy", "few_labels"])
    few = asked.answer("few_labels")
    assert not few.answered and "semi_supervised" in few.because


def test_a_lead_on_a_single_split_is_untested_not_a_tie():
    """The samples study runs one split: '|C2ST AUC - 0.5| 0.160 vs 0.500' was reported as
    'no clear winner', hiding a large lead that one split cannot test either way."""
    rows = [dict(study="samples", dataset="d", model=model, setting="none",
                 setting_value=np.nan, seed=0, family="generative", metric=metric,
                 value=value, fit_seconds=0.0, error=None)
            for model, c2st, tstr in (("mix", 0.66, 0.843), ("qda", 1.0, 0.843))
            for metric, value in (("c2st_auc", c2st), ("tstr_accuracy", tstr))]
    advice = advise_rows(pd.DataFrame(rows), goals=["generation"])
    realism, usefulness = advice.answer("generation", "realism"), advice.answer(
        "generation", "usefulness")
    assert realism.untested and realism.interval is None and realism.tie
    assert "ahead of qda on the one split measured (untested)" in realism.headline()
    assert "no clear winner" not in realism.headline().lower()
    assert "no clear winner" not in realism.because.lower()
    assert realism.to_dict()["untested"] is True
    assert not usefulness.untested  # the same value: a tie, said as one
    assert "no clear winner" in usefulness.headline()
    assert ("1 of 2 goals is within the noise (no clear winner) and 1 rests on one split "
            "(untested)") in advice.overall["because"]


def test_the_verdict_names_keep_their_old_home():
    """Answer, Advice, the formatter and the ranking rule moved to gdlab.answers and
    gdlab.ranking; gdlab.verdict (and gdlab.advice) still export the same objects."""
    import gdlab.advice
    import gdlab.answers
    import gdlab.ranking
    import gdlab.verdict

    for module, names in [(gdlab.answers, ("Answer", "Advice", "format_value", "metric_label")),
                          (gdlab.ranking, ("rank_candidates", "TIE_TOLERANCE"))]:
        for name in names:
            assert getattr(gdlab.verdict, name) is getattr(module, name)
            assert name in gdlab.verdict.__all__
    assert gdlab.advice.Advice is gdlab.answers.Advice
    assert gdlab.advice.Answer is gdlab.answers.Answer
