"""Shared fits (gdlab.studies.fits): one fit per model and training rows, same rows either way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from gdlab.data import load
from gdlab.studies import fits
from gdlab.studies._common import fit_timed
from gdlab.studies.calibration import Calibration
from gdlab.studies.cost import Cost
from gdlab.studies.learning_curve import LearningCurve
from gdlab.studies.missing_data import MissingData
from gdlab.studies.ood import OOD
from gdlab.studies.runner import run

#: Measurements of the machine, not of the model: they differ between any two runs, shared
#: or not (the cost study's peak memory is traced from a fresh second fit, and what
#: tracemalloc sees varies with what the process allocated before: 0.053-0.061 MB for one
#: logreg-unreg cell run four times in one process).
MEASUREMENTS = ("fit_seconds", "predict_ms_per_1000", "peak_memory_mb")


def _xy(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return rng.normal(size=(n, 3)) + y[:, None], y


def _comparable(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows without the machine's measurements: the fit_seconds column and those metrics."""
    keep = ~rows["metric"].isin(MEASUREMENTS)
    return rows.loc[keep, [c for c in rows.columns if c != "fit_seconds"]].reset_index(drop=True)


# ----------------------------------------------------------------------------- the cache


def test_equal_model_on_equal_rows_is_restored_not_refit():
    X, y = _xy()
    cache = fits.FitCache()
    with fits.sharing(cache):
        a, b = LogisticRegression(), LogisticRegression()
        seconds_a = fit_timed(a, X, y)
        seconds_b = fit_timed(b, X, y)
    assert (cache.fits, cache.shared, len(cache)) == (1, 1, 1)
    assert seconds_b == seconds_a  # the seconds of the one real fit
    assert a is not b and a.coef_ is not b.coef_  # each user has its own copy
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


@pytest.mark.parametrize("change", ["params", "rows", "order", "labels", "dtype"])
def test_any_difference_in_model_or_input_is_a_new_fit(change):
    X, y = _xy()
    model = LogisticRegression(C=0.5) if change == "params" else LogisticRegression()
    X2, y2 = {"params": (X, y), "rows": (X[:-2], y[:-2]), "order": (X[::-1], y[::-1]),
              "labels": (X, 1 - y), "dtype": (X.astype(np.float32), y)}[change]
    cache = fits.FitCache()
    with fits.sharing(cache):
        fit_timed(LogisticRegression(), X, y)
        fit_timed(model, X2, y2)
    assert (cache.fits, cache.shared) == (2, 0)


def test_no_cache_outside_a_sharing_block_and_reset_after_an_error():
    X, y = _xy()
    assert fits.active() is None
    cache = fits.FitCache()
    with pytest.raises(RuntimeError), fits.sharing(cache):
        assert fits.active() is cache
        raise RuntimeError("boom")
    assert fits.active() is None
    fit_timed(LogisticRegression(), X, y)  # fits, counted nowhere
    assert cache.fits == 0


def test_memory_is_bounded_least_recently_used_first_out():
    X, y = _xy()
    one = len(__import__("pickle").dumps(LogisticRegression().fit(X, y)))
    cache = fits.FitCache(max_bytes=2 * one + one // 2)  # room for two fitted models
    with fits.sharing(cache):
        # 1, 2, 1 (read), 3 (2 goes: least recently used), 1 (read), 2 (fitted again)
        for C in (1.0, 2.0, 1.0, 3.0, 1.0, 2.0):
            fit_timed(LogisticRegression(C=C), X, y)
    assert len(cache) == 2 and cache.nbytes <= cache.max_bytes
    assert (cache.fits, cache.shared) == (4, 2)


def test_max_bytes_zero_shares_nothing_but_counts_fits():
    X, y = _xy()
    cache = fits.FitCache(max_bytes=0)
    with fits.sharing(cache):
        fit_timed(LogisticRegression(), X, y)
        fit_timed(LogisticRegression(), X, y)
    assert (cache.fits, cache.shared, len(cache)) == (2, 0, 0)


class _Unpicklable(LogisticRegression):
    def __init__(self, C=1.0):
        super().__init__(C=C)
        self.hook = lambda: None  # a lambda cannot be pickled


def test_a_model_that_cannot_be_pickled_is_fitted_each_time():
    X, y = _xy()
    cache = fits.FitCache()
    with fits.sharing(cache):
        fit_timed(_Unpicklable(), X, y)
        model = _Unpicklable()
        fit_timed(model, X, y)
    assert (cache.fits, cache.shared) == (2, 0)
    assert model.coef_.shape == (1, 3)


def test_bad_arguments_name_what_was_expected(monkeypatch):
    with pytest.raises(ValueError, match="max_bytes must be an int >= 0, got -1"):
        fits.FitCache(max_bytes=-1)
    with pytest.raises(TypeError, match="FitCache or None, got dict"):
        with fits.sharing({}):
            pass
    monkeypatch.setenv(fits.ENV_VAR, "maybe")
    with pytest.raises(ValueError, match="GDLAB_SHARE_FITS must be .* got 'maybe'"):
        fits.share_fits_default()
    monkeypatch.setenv(fits.ENV_VAR, "0")
    assert fits.share_fits_default() is False
    with pytest.raises(TypeError, match="share_fits must be a bool or None, got 'yes'"):
        run([Calibration()], ["gaussian-nb"], ["iris"], share_fits="yes", progress=False)


# ----------------------------------------------------------------------------- the runner


def _studies():
    return [LearningCurve(sizes=[15, 1.0]), MissingData(rates=(0.0, 0.5), n_splits=2),
            Calibration(), OOD(), Cost(n_predict=50, repeats=1)]


@pytest.mark.parametrize("n_jobs", [1, pytest.param(2, marks=pytest.mark.slow)])
def test_rows_are_identical_with_and_without_sharing_and_fewer_fits_are_made(n_jobs):
    models = ["gaussian-nb", "logreg-unreg", "random-forest"]
    ds = load("iris")
    shared = run(_studies(), models, ds, seeds=[0, 1], progress=False, n_jobs=n_jobs,
                 share_fits=True)
    alone = run(_studies(), models, ds, seeds=[0, 1], progress=False, n_jobs=n_jobs,
                share_fits=False)
    assert len(shared) == len(alone) and shared["error"].isna().all()
    pd.testing.assert_frame_equal(_comparable(shared), _comparable(alone), check_exact=True)
    # every fit without sharing is either made or read with it; most are read:
    # the full learning-curve size, calibration, OOD noise / contrast, cost and every
    # missing-data rate of a seed train on the same rows
    assert alone.attrs["shared_fits"] == 0
    assert shared.attrs["fits"] + shared.attrs["shared_fits"] == alone.attrs["fits"]
    assert shared.attrs["fits"] < 0.6 * alone.attrs["fits"]


def test_the_environment_variable_turns_sharing_off(monkeypatch):
    monkeypatch.setenv(fits.ENV_VAR, "off")
    rows = run([Calibration(), Cost(n_predict=50, repeats=1)], ["gaussian-nb"], "iris",
               seeds=[0], progress=False)
    assert (rows.attrs["fits"], rows.attrs["shared_fits"]) == (2, 0)
    monkeypatch.delenv(fits.ENV_VAR)
    rows = run([Calibration(), Cost(n_predict=50, repeats=1)], ["gaussian-nb"], "iris",
               seeds=[0], progress=False)
    assert (rows.attrs["fits"], rows.attrs["shared_fits"]) == (1, 1)


# ----------------------------------------------------------------------------- the matrix


def test_a_frame_is_converted_once_inside_a_group_and_each_caller_gets_its_own_copy(
        monkeypatch):
    from gdlab.studies import prepare

    ds = load("penguins")  # categorical and numeric columns
    calls = []
    convert = prepare._frame_to_numeric
    monkeypatch.setattr(prepare, "_frame_to_numeric", lambda X: calls.append(1) or convert(X))
    fresh, y = prepare.numeric(ds)
    with prepare.converting_once():
        a, ya = prepare.numeric(ds)
        a[0, :] = -1.0  # a study changing its copy changes no other cell's matrix
        b, _ = prepare.numeric(ds)
    prepare.numeric(ds)
    assert len(calls) == 3  # once outside, once for the whole block, once after it
    np.testing.assert_array_equal(b, fresh)
    np.testing.assert_array_equal(ya, y)
    assert a is not b and not np.shares_memory(a, b)


def test_samples_cells_of_every_model_of_a_seed_form_one_group_first():
    from gdlab.studies import plan
    from gdlab.studies.runner import _groups
    from gdlab.studies.samples import Samples

    models = ["gaussian-nb", "lda", "logreg-unreg"]
    names, families, caps = plan.model_facts(models)
    studies = [Calibration(), Samples()]
    tasks, _ = plan.plan_cells(studies, names, caps, [load("iris")], [0, 1])
    groups = [[(c.study, c.model, c.seed) for _, c, _ in items]
              for _, items in _groups(tasks, studies, families)]
    # one reference per seed serves every model: one group (one worker) per seed, first
    assert groups[:2] == [[("samples", "gaussian-nb", 0), ("samples", "lda", 0)],
                          [("samples", "gaussian-nb", 1), ("samples", "lda", 1)]]
    assert sorted(groups[2:]) == [[("calibration", m, s)] for m in sorted(models)
                                  for s in (0, 1)]
