"""Learning curves beyond the data: power-law fits, predictions, paired differences, crossovers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gdlab.metrics.learning_curves import (
    EXTRAPOLATION_LIMIT,
    PowerLaw,
    crossover,
    curves_from_rows,
    fit_power_law,
    paired_difference_at,
    predict_at,
)

SIZES = np.array([10, 20, 40, 80, 160, 320], dtype=float)


def _curves(laws: dict, n_seeds=8, noise=0.0, seed=0, sizes=SIZES) -> pd.DataFrame:
    """Synthetic per-split curves: each model's law plus a split effect and noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_seeds):
        shift = rng.normal(0, noise)  # a split that is hard for every model alike
        for model, law in laws.items():
            for m in sizes:
                e = law(m) + shift + rng.normal(0, noise / 2)
                rows.append({"model": model, "seed": s, "size": m,
                             "error": float(np.clip(e, 0, 1))})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("a,b,c", [(0.1, 0.8, 0.5), (0.0, 1.5, 0.8), (0.25, 0.5, 1.2),
                                   (0.05, 1.5, 0.3)])
def test_fit_recovers_a_noiseless_power_law(a, b, c):
    law = fit_power_law(SIZES, a + b * SIZES ** -c)
    np.testing.assert_allclose([law.a, law.b, law.c], [a, b, c], rtol=0, atol=2e-3 * max(b, 1))
    np.testing.assert_allclose(law(SIZES), a + b * SIZES ** -c, rtol=0, atol=1e-5)


def test_fit_respects_the_bounds():
    flat = fit_power_law(SIZES, np.full(SIZES.size, 0.3))
    assert flat.b == pytest.approx(0.0, abs=1e-12) and flat.a == pytest.approx(0.3, abs=1e-12)
    rising = fit_power_law(SIZES, np.linspace(0.1, 0.4, SIZES.size))  # error rising with m
    assert rising.b >= 0.0
    steep = fit_power_law(SIZES, 2.0 * SIZES ** -0.5)  # asymptote 0
    assert steep.a >= 0.0 and steep.a < 1e-3
    assert np.all(PowerLaw(0.0, 50.0, 0.1)(np.array([1.0, 2.0])) <= 1.0)


def test_prediction_interval_covers_the_truth_on_noisy_curves():
    truth = PowerLaw(0.12, 1.2, 0.6)
    covered = 0
    for seed in range(20):
        curves = _curves({"m": truth}, n_seeds=10, noise=0.01, seed=seed)
        p = predict_at(curves, 640, random_state=seed).loc["m"]
        covered += p["lo"] <= truth(640) <= p["hi"]
        assert p["lo"] <= p["predicted"] + 1e-12 or p["predicted"] <= p["hi"] + 1e-12
    assert covered >= 14  # a 95 % interval; a broken one covers rarely


def test_beyond_data_flags_far_extrapolation():
    curves = _curves({"m": PowerLaw(0.1, 0.8, 0.5)}, noise=0.005)
    near = predict_at(curves, 400).loc["m"]
    far = predict_at(curves, EXTRAPOLATION_LIMIT * 320 + 1).loc["m"]
    assert not near["beyond_data"] and far["beyond_data"]
    assert near["measured_max"] == 320


def test_paired_difference_sign_significance_and_pairing():
    good, bad = PowerLaw(0.10, 1.0, 0.5), PowerLaw(0.15, 1.0, 0.5)
    # a large split effect shared by both models: pairing cancels it
    curves = _curves({"good": good, "bad": bad}, n_seeds=10, noise=0.03, seed=3)
    d = paired_difference_at(curves, "good", "bad", 320)
    assert d.difference < 0 and d.significant
    assert d.lo <= d.difference <= d.hi
    np.testing.assert_allclose(d.difference, good(320) - bad(320), rtol=0, atol=0.02)
    same = _curves({"a": good, "b": good}, n_seeds=10, noise=0.02, seed=4)
    assert not paired_difference_at(same, "a", "b", 320).significant


def test_crossover_found_near_the_analytic_size():
    nb, lr = PowerLaw(0.20, 0.3, 0.5), PowerLaw(0.10, 2.0, 0.5)  # cross at m = 17**2 = 289
    curves = _curves({"nb": nb, "lr": lr}, n_seeds=10, noise=0.003, seed=1)
    cr = crossover(curves, "nb", "lr")
    assert cr is not None
    assert (cr.leader_before, cr.leader_after) == ("nb", "lr")
    assert cr.lo <= 289 <= cr.hi and abs(cr.size - 289) < 60
    assert not cr.beyond_data and cr.fraction_crossing > 0.8
    assert "lr is expected to overtake nb" in cr.describe()


def test_crossover_beyond_the_data_and_none_when_curves_do_not_cross():
    nb, lr = PowerLaw(0.20, 0.3, 0.5), PowerLaw(0.10, 2.0, 0.5)
    small = SIZES[:4]  # measured up to 80 rows; they cross near 289
    curves = _curves({"nb": nb, "lr": lr}, noise=0.002, sizes=small)
    cr = crossover(curves, "nb", "lr")
    assert cr is not None and cr.beyond_data and "extrapolation" in cr.describe()
    apart = _curves({"a": PowerLaw(0.1, 1.0, 0.5), "b": PowerLaw(0.3, 1.0, 0.5)})
    assert crossover(apart, "a", "b") is None


def test_curves_from_rows_reads_the_learning_curve_study():
    rows = pd.DataFrame({
        "study": ["learning_curve"] * 4 + ["calibration"],
        "model": ["nb", "nb", "nb", "lr", "nb"], "seed": [0, 0, 0, 0, 0],
        "setting_value": [10.0, 10.0, 20.0, 10.0, np.nan],
        "metric": ["error", "error", "error", "log_loss", "error"],
        "value": [0.2, 0.4, 0.1, 0.7, 0.05]})
    out = curves_from_rows(rows)
    assert out.to_dict("list") == {"model": ["nb", "nb"], "seed": [0, 0], "size": [10.0, 20.0],
                                   "error": [pytest.approx(0.3), 0.1]}
    with pytest.raises(ValueError, match="no learning_curve rows of 'brier'"):
        curves_from_rows(rows, "brier")
    with pytest.raises(ValueError, match=r"lack the columns \['seed'\]"):
        curves_from_rows(rows.drop(columns="seed"))


@pytest.mark.parametrize("sizes,errors,match", [
    ([10, 20], [0.2, 0.1], "at least 3 distinct"),
    ([10, 10, 10], [0.2, 0.1, 0.1], "at least 3 distinct"),
    ([10, 20, np.nan], [0.2, 0.1, 0.1], "finite"),
    ([10, 20, 40], [0.2, np.inf, 0.1], "finite"),
    ([0.5, 20, 40], [0.2, 0.1, 0.1], ">= 1 row"),
    ([10, 20, 40], [0.2, 1.5, 0.1], r"in \[0, 1\]"),
    ([10, 20, 40], [0.2, 0.1], "one length"),
])
def test_fit_refuses_bad_curves(sizes, errors, match):
    with pytest.raises(ValueError, match=match):
        fit_power_law(sizes, errors)


def test_options_are_checked():
    curves = _curves({"a": PowerLaw(0.1, 1.0, 0.5), "b": PowerLaw(0.2, 1.0, 0.5)})
    with pytest.raises(ValueError, match="target_rows must be"):
        predict_at(curves, 0)
    with pytest.raises(ValueError, match="level must be in"):
        predict_at(curves, 100, level=1.5)
    with pytest.raises(ValueError, match="n_boot must be an int >= 10"):
        predict_at(curves, 100, n_boot=3)
    with pytest.raises(ValueError, match="two different models"):
        paired_difference_at(curves, "a", "a", 100)
    with pytest.raises(ValueError, match="no learning curve of 'zz'"):
        crossover(curves, "a", "zz")


def test_one_split_gives_no_interval_and_no_false_verdict():
    nb, lr = PowerLaw(0.20, 0.3, 0.5), PowerLaw(0.10, 2.0, 0.5)
    curves = _curves({"nb": nb, "lr": lr}, n_seeds=1, noise=0.002)
    p = predict_at(curves, 200)
    assert p[["lo", "hi"]].isna().all().all() and p["beyond_data"].all()
    np.testing.assert_allclose(p.loc["nb", "predicted"], nb(200), rtol=0, atol=0.01)
    d = paired_difference_at(curves, "lr", "nb", 200)
    assert np.isnan(d.lo) and np.isnan(d.hi) and not d.significant and d.beyond_data
    cr = crossover(curves, "nb", "lr")
    assert cr is not None and np.isnan(cr.lo) and "no interval" in cr.describe()


def test_describe_says_when_the_data_cannot_support_the_crossing():
    nb, lr = PowerLaw(0.20, 0.3, 0.5), PowerLaw(0.10, 2.0, 0.5)  # cross near 289
    curves = _curves({"nb": nb, "lr": lr}, noise=0.002, sizes=SIZES[:4])  # up to 80 rows
    text = crossover(curves, "nb", "lr").describe()
    assert text.startswith("With about ") and "lr is expected to overtake nb" in text
    assert "beyond what the data can support" in text
    inside = crossover(_curves({"nb": nb, "lr": lr}, noise=0.002), "nb", "lr").describe()
    assert "beyond" not in inside and "95 % interval" in inside
    with pytest.raises(ValueError, match="max_rows"):
        crossover(curves, "nb", "lr", max_rows=5)


def test_same_random_state_same_intervals():
    curves = _curves({"a": PowerLaw(0.1, 1.0, 0.5), "b": PowerLaw(0.2, 1.0, 0.5)},
                     noise=0.01)
    pd.testing.assert_frame_equal(predict_at(curves, 500, random_state=7),
                                  predict_at(curves, 500, random_state=7))
    assert (paired_difference_at(curves, "a", "b", 500, random_state=np.random.default_rng(1))
            == paired_difference_at(curves, "a", "b", 500, random_state=np.random.default_rng(1)))


def test_real_rows_of_the_learning_curve_study(tmp_path):
    from gdlab.studies.learning_curve import LearningCurve
    from gdlab.studies.runner import run
    from gdlab.studies.store import read_results

    run(LearningCurve(sizes=[9, 15, 30, 60, 100]), ["gaussian-nb", "logreg"], "iris",
        seeds=range(3), results=tmp_path, progress=False)
    rows = read_results(tmp_path)
    curves = curves_from_rows(rows)
    assert set(curves["model"]) == {"gaussian-nb", "logreg"}
    assert set(curves["seed"]) == {0, 1, 2}
    assert curves.groupby("model")["size"].nunique().min() >= 3
    assert curves["error"].between(0, 1).all()
    pred = predict_at(curves, 150, n_boot=50)
    assert list(pred.index) == ["gaussian-nb", "logreg"]
    assert pred["predicted"].between(0, 1).all()
    ok = pred.dropna()
    assert (ok["lo"] <= ok["predicted"] + 1e-9).all() and (ok["predicted"] <= ok["hi"] + 1e-9).all()
    assert (pred["measured_max"] == curves["size"].max()).all()
    d = paired_difference_at(curves, "logreg", "gaussian-nb", 150, n_boot=50)
    assert d.lo <= d.difference <= d.hi
    np.testing.assert_allclose(
        d.difference, pred.loc["logreg", "predicted"] - pred.loc["gaussian-nb", "predicted"],
        rtol=0, atol=1e-12)


def test_pooled_exponent_steadies_extrapolation_from_few_noisy_sizes():
    """Five models sharing one exponent, four noisy sizes: pooling predicts 4x out better."""
    laws = {f"m{i}": PowerLaw(a, b, 0.6) for i, (a, b) in
            enumerate([(0.05, 1.5), (0.10, 0.8), (0.15, 2.5), (0.02, 1.0), (0.20, 0.4)])}
    target = 4 * 80
    own, pooled = [], []
    for seed in range(12):
        curves = _curves(laws, n_seeds=5, noise=0.02, seed=seed, sizes=SIZES[:4])
        for pool, out in ((0.0, own), (np.inf, pooled)):
            p = predict_at(curves, target, n_boot=20, pool=pool)["predicted"]
            out.append(np.mean([abs(p[m] - law(target)) for m, law in laws.items()]))
    assert np.mean(pooled) < np.mean(own)


def test_pooling_keeps_noiseless_curves_and_shares_one_exponent_at_infinity():
    laws = {"flat": PowerLaw(0.2, 0.3, 0.3), "steep": PowerLaw(0.05, 2.0, 0.9)}
    curves = _curves(laws, n_seeds=3, noise=0.0)
    p = predict_at(curves, 1000, n_boot=20, pool=4.0)["predicted"]
    for m, law in laws.items():  # no residual noise: nothing pulls the exponents together
        np.testing.assert_allclose(p[m], law(1000), rtol=0, atol=2e-3)
    from gdlab.metrics import learning_curves as lcv

    noisy = _curves(laws, n_seeds=4, noise=0.01)
    seeds, W = lcv._setup(noisy, 20, 0.95, 0)
    fits = lcv._fits(noisy, W, seeds, np.inf)
    np.testing.assert_array_equal(fits["flat"][0][:, 2], fits["steep"][0][:, 2])


@pytest.mark.parametrize("pool", [-1.0, np.nan, True, "a"])
def test_pool_is_checked(pool):
    curves = _curves({"a": PowerLaw(0.1, 1.0, 0.5), "b": PowerLaw(0.2, 1.0, 0.5)})
    with pytest.raises(ValueError, match="pool must be a number >= 0"):
        predict_at(curves, 100, pool=pool)
