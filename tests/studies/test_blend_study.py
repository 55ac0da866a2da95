"""The blend study: one curve per lambda, the best lambda per size, sentences that say it."""

import numpy as np
import pandas as pd
import pytest

from gdlab.studies.blend import Blend, best_lambdas, parse_series, series_name
from gdlab.studies.registry import STUDIES, default_studies, make_study
from gdlab.studies.runner import run


def _rows(errors: dict, dataset="d", model="blend-gaussian-nb", seeds=(0, 1, 2)):
    """Tidy rows from {(m, lam): mean error}; seeds jitter the value symmetrically."""
    out = []
    for (m, lam), err in errors.items():
        for seed in seeds:
            out.append({"study": "blend", "dataset": dataset,
                        "model": series_name(model, lam), "family": "hybrid",
                        "setting": "train_size", "setting_value": float(m), "seed": seed,
                        "metric": "error", "value": err + 0.01 * (seed - 1),
                        "fit_seconds": 0.0, "error": None})
    return pd.DataFrame(out)


def test_series_names_round_trip():
    assert parse_series(series_name("blend-multinomial-nb", 0.1)) == ("blend-multinomial-nb", 0.1)
    with pytest.raises(ValueError, match="blend series"):
        parse_series("gaussian-nb")


def test_runs_every_lambda_for_blend_models_only():
    study = Blend(sizes=[12, 30], lambdas=(0.0, 0.5, 1.0))
    rows = run([study], ["gaussian-nb", "blend-gaussian-nb"], ["iris"], seeds=[0],
               progress=False)
    assert set(rows["model"]) == {series_name("blend-gaussian-nb", lam) for lam in (0, 0.5, 1)}
    assert set(rows["metric"]) == {"error", "log_loss"}
    assert (rows["family"] == "hybrid").all()
    assert len(rows) == 2 * 3 * 2  # sizes x lambdas x metrics
    err = rows[rows["metric"] == "error"]["value"]
    assert err.between(0, 1).all()


def test_best_lambda_per_size_and_the_pattern_sentence():
    # interior best at m=10, moving to 0 at m=100: the published pattern
    errors = {(10, 0.0): 0.30, (10, 0.5): 0.20, (10, 1.0): 0.25,
              (100, 0.0): 0.05, (100, 0.5): 0.07, (100, 1.0): 0.10}
    rows = _rows(errors)
    study = Blend(lambdas=(0.0, 0.5, 1.0))
    best = best_lambdas(study.summarize(rows))
    assert best["best_lambda"].tolist() == [0.5, 0.0]
    np.testing.assert_allclose(best["best"], [0.20, 0.05], rtol=0, atol=1e-12)
    np.testing.assert_allclose(best["generative"], [0.25, 0.10], rtol=0, atol=1e-12)
    assert (best["best_lo"] >= 0).all()
    reading = study.reading(rows)
    text = " ".join(reading)
    assert "the published pattern holds" in text
    assert "0.5 at 10, 0 at 100" in text
    # the bottom line first (the report's "At a glance"): the best blend at the largest size
    assert reading[0].startswith("On d at 100 training rows, the lowest test error is "
                                 "blend-gaussian-nb at lambda=0: 5.0 %")


def test_pattern_that_does_not_hold_is_said_so():
    errors = {(10, 0.0): 0.30, (10, 0.5): 0.28, (10, 1.0): 0.20,
              (100, 0.0): 0.15, (100, 0.5): 0.12, (100, 1.0): 0.10}
    text = " ".join(Blend(lambdas=(0.0, 0.5, 1.0)).reading(_rows(errors)))
    assert "does not hold" in text and "generative end" in text


def test_ties_go_to_the_larger_lambda_and_all_equal_is_named():
    errors = {(10, 0.0): 0.2, (10, 1.0): 0.2, (50, 0.0): 0.1, (50, 1.0): 0.1}
    rows = _rows(errors)
    study = Blend(lambdas=(0.0, 1.0))
    assert best_lambdas(study.summarize(rows))["best_lambda"].tolist() == [1.0, 1.0]
    assert "do not tell the lambdas apart" in " ".join(study.reading(rows))


def test_figure_has_one_line_per_lambda_and_marks_the_best():
    errors = {(m, lam): 0.1 + lam * (0.05 if m < 50 else 0.1) for m in (10, 50)
              for lam in (0.0, 0.3, 1.0)}
    figs = Blend(lambdas=(0.0, 0.3, 1.0)).figures(_rows(errors))
    assert len(figs) == 1
    lines = [t for t in figs[0].data if t.mode == "lines+markers"]
    assert sorted(t.name for t in lines) == ["lambda=0", "lambda=0.3", "lambda=1"]
    assert len({t.line.color for t in lines}) == 3
    marks = [t for t in figs[0].data if t.name == "best lambda"]
    assert len(marks) == 2


@pytest.mark.parametrize(("lambdas", "error"), [
    ((0.0, 1.5), ValueError), ((0.5, 0.5), ValueError), ((), ValueError),
    ("cv", TypeError), ((0.0, "cv"), ValueError),
])
def test_bad_lambdas_are_refused_before_any_cell(lambdas, error):
    from gdlab.data import load

    with pytest.raises(error, match="lambdas"):
        Blend(lambdas=lambdas, sizes=[12]).cells(load("iris"), ["blend-gaussian-nb"], [0])


def test_registered_but_not_a_default_study():
    assert "blend" in STUDIES
    assert "blend" not in [s.name for s in default_studies()]
    study = make_study("blend")
    assert study.requires == {"classify", "blend"}
    assert study.default_model_tags == {"blend"}


def test_headline_rows_give_each_blend_its_best_lambda_error_per_seed():
    errors = {(10, 0.0): 0.30, (10, 0.5): 0.20, (10, 1.0): 0.25,
              (100, 0.0): 0.05, (100, 0.5): 0.07, (100, 1.0): 0.10}
    h = Blend.headline_rows(_rows(errors))
    assert set(h["model"]) == {"blend-gaussian-nb"}  # the blend's own name, no lambda
    at = h[h["setting_value"] == 100.0]
    best = at[at["metric"] == "best_error"].sort_values("seed")
    # the rows of the best lambda (0 at m=100), one per seed: the report's interval is theirs
    np.testing.assert_allclose(best["value"], [0.04, 0.05, 0.06], rtol=0, atol=1e-12)
    assert at[at["metric"] == "best_lambda"]["value"].tolist() == [0.0]  # one row: no interval
    np.testing.assert_allclose(at[at["metric"] == "generative_error"]["value"].mean(), 0.10,
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(at[at["metric"] == "discriminative_error"]["value"].mean(), 0.05,
                               rtol=0, atol=1e-12)


def test_comparison_summary_shows_the_blend_headlines_at_the_largest_size():
    from gdlab.comparison import summarize

    errors = {(10, 0.0): 0.30, (10, 0.5): 0.20, (10, 1.0): 0.25,
              (100, 0.0): 0.05, (100, 0.5): 0.07, (100, 1.0): 0.10}
    table = summarize(_rows(errors), ["blend-gaussian-nb"]).set_index("model")
    row = table.loc["blend-gaussian-nb"]
    np.testing.assert_allclose([row["blend_error"], row["blend_lambda"],
                                row["blend_generative_error"], row["blend_discriminative_error"]],
                               [0.05, 0.0, 0.10, 0.05], rtol=0, atol=1e-12)
    headline, at = table.attrs["headlines"]["blend_error"]
    assert at == 100.0 and headline.read(headline.header, at) == "best-λ err\n100 rows"


def test_changing_the_lambda_grid_reruns_the_cells_on_resume(tmp_path):
    first = run([Blend(sizes=[12], lambdas=(0.0, 1.0))], ["blend-gaussian-nb"], ["iris"],
                seeds=[0], results=tmp_path, progress=False)
    assert set(first["model"]) == {series_name("blend-gaussian-nb", lam) for lam in (0, 1)}
    again = run([Blend(sizes=[12], lambdas=(0.0, 0.5, 1.0))], ["blend-gaussian-nb"], ["iris"],
                seeds=[0], results=tmp_path, progress=False, resume=True)
    assert again.attrs["resumed"] == 0  # the old grid's rows are not this grid's cell
    assert set(again["model"]) == {series_name("blend-gaussian-nb", lam)
                                   for lam in (0, 0.5, 1)}
    same = run([Blend(sizes=[12], lambdas=(0.0, 0.5, 1.0))], ["blend-gaussian-nb"], ["iris"],
               seeds=[0], results=tmp_path, progress=False, resume=True)
    assert same.attrs["resumed"] == 1  # the same grid resumes
    pd.testing.assert_frame_equal(same, again)
