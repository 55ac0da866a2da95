"""Models tied on the mean: one documented order (gdlab.ranking.rank_candidates), not the
order in which the means happened to be summed; a clear measured winner is never overridden."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gdlab.advice import advise_rows
from gdlab.ranking import TIE_TOLERANCE, rank_candidates
from gdlab.studies.base import ROW_COLUMNS

SIZES = (20.0, 40.0, 80.0, 160.0)


def _lc_rows(errors: dict, *, families=None, seconds=None) -> pd.DataFrame:
    """learning_curve rows from ``errors[model][size]`` = per-split error list."""
    rows = []
    for model, by_size in errors.items():
        for size, errs in by_size.items():
            for seed, e in enumerate(errs):
                rows.append({"study": "learning_curve", "dataset": "toy", "model": model,
                             "family": (families or {}).get(model, "discriminative"),
                             "setting": "train_size", "setting_value": float(size),
                             "seed": seed, "metric": "error", "value": float(e),
                             "fit_seconds": (seconds or {}).get(model, 0.01), "error": None})
    return pd.DataFrame(rows)[list(ROW_COLUMNS)]


def test_means_equal_up_to_summation_order_are_tied_and_the_steadier_model_wins():
    # 0.1 + 0.2 + 0.3 != 0.3 + 0.2 + 0.1 in floating point: the means differ by one ulp
    per_seed = pd.DataFrame([[0.1, 0.2, 0.3], [0.2, 0.2, 0.2], [0.3, 0.2, 0.1]],
                            index=["a", "steady", "z"])
    assert per_seed.loc["a"].mean() != per_seed.loc["z"].mean()  # the ulp the old pick used
    order = rank_candidates(per_seed)
    assert order[0] == "steady"  # same mean, smallest spread over the splits
    assert order[1:] == ["a", "z"]  # same mean and spread: by name
    # the same candidates in any row or column order give the same ranking
    shuffled = per_seed.iloc[::-1, ::-1]
    assert rank_candidates(shuffled) == order


def test_a_tie_on_mean_and_spread_goes_to_the_cheaper_model_then_the_name():
    per_seed = pd.DataFrame([[0.1, 0.3], [0.3, 0.1], [0.3, 0.1]], index=["a", "b", "c"])
    assert rank_candidates(per_seed, costs={"a": 2.0, "b": 0.5, "c": 1.0}) == ["b", "c", "a"]
    # a candidate without a cost ranks after those with one
    assert rank_candidates(per_seed, costs={"c": 1.0}) == ["c", "a", "b"]


def test_prefer_orders_tied_models_before_the_spread():
    per_seed = pd.DataFrame([[0.2, 0.2], [0.1, 0.3]], index=["flat", "steep"])
    assert rank_candidates(per_seed) == ["flat", "steep"]
    assert rank_candidates(per_seed, prefer={"flat": 0.0, "steep": -0.03}) == ["steep", "flat"]


def test_a_clear_measured_winner_is_never_overridden_by_the_tie_rule():
    # "best" is ahead by one test row in 150 (0.0067): more variable, dearer, last by name
    # and with the worse preference, it is still first
    per_seed = pd.DataFrame([[0.0, 0.4, 0.2 - 0.02], [0.2, 0.2, 0.2]], index=["zbest", "a"])
    order = rank_candidates(per_seed, prefer={"zbest": 1.0, "a": -1.0},
                            costs={"zbest": 100.0, "a": 0.001})
    assert order == ["zbest", "a"]
    # for a metric where higher is better, the mirror image
    assert rank_candidates(-per_seed, better="higher", prefer={"zbest": 1.0, "a": -1.0}) == [
        "zbest", "a"]
    # a difference just above the tolerance is not a tie either
    eps = 10 * TIE_TOLERANCE
    close = pd.DataFrame([[0.5 - eps, 0.5 - eps], [0.5, 0.5]], index=["z", "a"])
    assert rank_candidates(close, prefer={"a": -1.0}) == ["z", "a"]


def test_candidates_without_values_are_left_out_and_bad_input_is_refused():
    per_seed = pd.DataFrame([[0.2, np.nan], [np.nan, np.nan]], index=["a", "b"])
    assert rank_candidates(per_seed) == ["a"]
    with pytest.raises(TypeError, match="per_seed must be a DataFrame"):
        rank_candidates([[0.1, 0.2]])
    with pytest.raises(ValueError, match="better must be 'lower' or 'higher', got 'up'"):
        rank_candidates(per_seed, better="up")
    with pytest.raises(TypeError, match="prefer must be a dict or pandas Series"):
        rank_candidates(per_seed, prefer=[1.0])


def test_accuracy_at_the_measured_size_breaks_an_exact_tie_by_spread_then_cost():
    same = [0.1, 0.2, 0.3, 0.2, 0.2]
    errors = {
        "a-lr": {s: [0.3, 0.2, 0.1, 0.2, 0.2] for s in SIZES},  # same values, other order
        "b-nb": {s: [0.2] * 5 for s in SIZES},  # same mean, steadier
        "c-rf": {s: same for s in SIZES},
    }
    rows = _lc_rows(errors, seconds={"a-lr": 0.5, "b-nb": 0.9, "c-rf": 0.1})
    for frame in (rows, rows.iloc[::-1]):  # the order of the rows does not matter
        a = advise_rows(frame, goals="accuracy").answer("accuracy")
        assert (a.model, a.runner_up) == ("b-nb", "c-rf")  # then the cheaper of the two left
        assert a.tie and set(a.tied_with) == {"a-lr", "c-rf"}
        assert "have the same mean error; b-nb is put first because its values vary less" \
            in a.because


def test_beyond_the_data_tied_models_are_told_apart_by_their_curves():
    # equal errors at 160 rows on every split; "zz-steep" still falls (a discriminative
    # curve far from its asymptote), "aa-flat" has levelled off (a generative curve near
    # its asymptote). By name, spread and cost "aa-flat" would come first.
    rng = np.random.default_rng(0)
    shift = rng.normal(0, 0.02, size=6)
    flat = {s: list(0.20 + shift) for s in SIZES}
    steep = {s: list(0.20 + 1.6 * (s ** -0.5 - 160 ** -0.5) + shift) for s in SIZES}
    rows = _lc_rows({"aa-flat": flat, "zz-steep": steep},
                    families={"aa-flat": "generative", "zz-steep": "discriminative"},
                    seconds={"aa-flat": 0.001, "zz-steep": 1.0})
    now = advise_rows(rows, goals="accuracy").answer("accuracy")
    assert now.model == "aa-flat"  # today: tied on mean and spread, the cheaper one
    later = advise_rows(rows, goals="accuracy", target_rows=640).answer("accuracy")
    assert later.extrapolated and later.model == "zz-steep"
    assert "is still falling faster" in later.because


def test_beyond_the_data_a_clear_measured_winner_is_not_overridden_by_the_tie_rule():
    # "best" is measured ahead at 160 rows by 0.01 on every split, and its curve is level;
    # "other" falls, but is not expected to catch up by 200 rows: the tie rule has no say
    shift = np.random.default_rng(1).normal(0, 0.02, size=6)
    best = {s: list(0.19 + shift) for s in SIZES}
    other = {s: list(0.20 + 0.4 * (s ** -0.5 - 160 ** -0.5) + shift) for s in SIZES}
    rows = _lc_rows({"zbest": best, "a-other": other}, seconds={"zbest": 9.0, "a-other": 0.0})
    a = advise_rows(rows, goals="accuracy", target_rows=200).answer("accuracy")
    assert a.model == "zbest" and "same mean error" not in a.because
