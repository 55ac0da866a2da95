"""The study runner: tidy rows, capability-based selection, resume, joblib vs Dask."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset
from gdlab.models.registry import spec
from gdlab.studies.base import ROW_COLUMNS, Cell, Study, make_row
from gdlab.studies.runner import read_results, run
from gdlab.studies.store import parts as _parts

MODELS = ["gaussian-nb", "logreg-unreg", "multinomial-nb"]
HERE = Path(__file__).resolve().parent


def toy_dataset(name="toy", n=120, seed=0) -> Dataset:
    """Two Gaussian classes with negative values (MultinomialNB rejects them)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 3)) + y[:, None] * 1.5
    return Dataset(name=name, X=X, y=y, class_names=("a", "b"), description="toy",
                   source="test")


class FitStudy(Study):
    """Fit on a seeded subsample of ``train_size`` rows, report test accuracy and log-loss."""

    name = "fit"
    requires = frozenset({"classify"})

    def __init__(self, *, sizes=(20, 60), sleep=0.0):
        self.sizes = sizes
        self.sleep = sleep

    def cells(self, dataset, models, seeds):
        return [Cell(self.name, dataset.name, m, "train_size", float(size), s)
                for m in models for size in self.sizes for s in seeds]

    def run_cell(self, cell, dataset, make_model):
        time.sleep(self.sleep)
        rng = np.random.default_rng(cell.seed)
        order = rng.permutation(len(dataset.y))
        m = int(cell.setting_value)
        train, test = order[:m], order[m:]
        X, y = dataset.X, dataset.y
        t0 = time.perf_counter()
        model = make_model().fit(X[train], y[train])
        seconds = time.perf_counter() - t0
        family = spec(cell.model).family
        proba = model.predict_proba(X[test])[:, 1]
        logloss = -np.mean(np.log(np.where(y[test] == 1, proba, 1 - proba).clip(1e-15)))
        return [make_row(cell, family, "accuracy", model.score(X[test], y[test]), seconds),
                make_row(cell, family, "log_loss", logloss, seconds)]

    def summarize(self, rows):
        return rows

    def figures(self, rows):
        return []

    def reading(self, rows):
        return []


class DensityStudy(FitStudy):
    name = "density-fit"
    requires = frozenset({"classify", "density"})


class ImageOnlyStudy(FitStudy):
    name = "image-fit"
    modalities = frozenset({"image"})


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """Equal rows, ignoring fit_seconds."""
    pd.testing.assert_frame_equal(a.drop(columns="fit_seconds"), b.drop(columns="fit_seconds"))


@pytest.fixture(scope="module")
def data():
    return toy_dataset()


@pytest.fixture(scope="module")
def reference(data):
    """The uninterrupted sequential run everything else is compared with."""
    return run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], backend="sequential",
               progress=False)


def test_rows_schema_errors_and_order(reference):
    rows = reference
    assert tuple(rows.columns) == ROW_COLUMNS
    assert rows.attrs["cells"] == 3 * 2 * 3 and rows.attrs["resumed"] == 0
    # MultinomialNB rejects negative values: one error row per cell, reason kept.
    err = rows[rows.model == "multinomial-nb"]
    assert len(err) == 6 and (err.metric == "failed").all() and err.value.isna().all()
    assert err.error.str.startswith("ValueError: Negative values").all()
    assert (err.family == "generative").all()
    ok = rows[rows.model != "multinomial-nb"]
    assert len(ok) == 2 * 2 * 3 * 2 and ok.error.isna().all()
    assert set(ok.family) == {"generative", "discriminative"}
    assert ok[ok.metric == "accuracy"].value.between(0.5, 1).all()
    keys = ["study", "dataset", "model", "setting", "setting_value", "seed", "metric"]
    assert rows[keys].equals(rows[keys].sort_values(keys).reset_index(drop=True))
    assert not rows.duplicated(keys).any()


def test_capability_selection(data):
    rows = run([DensityStudy(), ImageOnlyStudy()], ["gaussian-nb", "logreg-unreg"], [data],
               seeds=[0], progress=False)
    # logreg has no `density` tag; the image-only study does not apply to tabular data.
    assert set(rows.model) == {"gaussian-nb"} and set(rows.study) == {"density-fit"}
    assert any("image-fit" in note for note in rows.attrs["notes"])
    only_discriminative = run([FitStudy(), DensityStudy()], ["logreg-unreg"], [data], seeds=[0],
                              progress=False)
    assert set(only_discriminative.study) == {"fit"}
    assert any("density-fit" in n and "density" in n for n in only_discriminative.attrs["notes"])


def test_no_applicable_study(data):
    with pytest.raises(ValueError, match="no study applies.*density-fit.*logreg-unreg"):
        run([DensityStudy()], ["logreg-unreg", "tree"], [data], progress=False)


def test_bad_input(data):
    with pytest.raises(ValueError, match="unknown model 'gausian-nb'.*Did you mean"):
        run([FitStudy()], ["gausian-nb"], [data], progress=False)
    with pytest.raises(ValueError, match="unknown dataset 'no-such-data'"):
        run([FitStudy()], ["gaussian-nb"], ["no-such-data"], progress=False)
    with pytest.raises(ValueError, match="backend"):
        run([FitStudy()], ["gaussian-nb"], [data], backend="spark", progress=False)


def test_store_resume_and_duplicates(tmp_path, data, reference):
    store = tmp_path / "results"
    first = run([FitStudy()], MODELS[:1], [data], seeds=[0, 1, 2], results=store,
                progress=False)
    assert len(_parts(store)) == 1  # compacted at the end
    again = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store, progress=False)
    assert again.attrs["resumed"] == 6 and again.attrs["cells"] == 18
    same(again, reference)
    same(first, reference[reference.model == "gaussian-nb"].reset_index(drop=True))
    # A part file present twice never surfaces twice.
    part = _parts(store)[0]
    (store / ("part-0-copy" + part.name[4:])).write_bytes(part.read_bytes())
    same(read_results(store), reference)
    # Nothing left to do: everything is read back.
    third = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store, progress=False)
    assert third.attrs["resumed"] == 18
    same(third, reference)
    # resume=False runs every cell again; the new rows supersede the stored ones.
    fresh = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store, resume=False,
                progress=False)
    assert fresh.attrs["resumed"] == 0 and len(_parts(store)) == 1
    same(fresh, reference)
    same(read_results(store), reference)


CHILD = """
import sys
sys.path.insert(0, {here!r})
from test_runner import FitStudy, MODELS, toy_dataset
from gdlab.studies.runner import run
run([FitStudy(sleep=0.15)], MODELS, [toy_dataset()], seeds=[0, 1, 2], results={store!r},
    backend="sequential", progress=False)
"""


def test_resume_after_kill(tmp_path, reference):
    store = tmp_path / "results"
    code = textwrap.dedent(CHILD.format(here=str(HERE), store=str(store)))
    child = subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    try:
        while len(_parts(store)) < 5:
            assert child.poll() is None, child.stderr.read().decode()
            assert time.monotonic() < deadline, "child wrote no results"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL
    written = read_results(store)
    n_done = written.groupby(["model", "setting_value", "seed"]).ngroups
    assert 5 <= n_done < 18
    rows = run([FitStudy()], MODELS, [toy_dataset()], seeds=[0, 1, 2], results=store,
               backend="sequential", progress=False)
    assert rows.attrs["resumed"] == n_done
    same(rows, reference)
    same(read_results(store), reference)


def test_joblib_and_dask_match_sequential(data, reference):
    from distributed import LocalCluster

    loky = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], n_jobs=2, backend="loky",
               progress=False)
    same(loky, reference)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        dask = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], scheduler=address,
                   progress=False)
    same(dask, reference)


def test_progress_bar(data, capsys):
    run([FitStudy()], ["gaussian-nb"], [data], seeds=[0], progress=False)
    assert capsys.readouterr().err == ""
    run([FitStudy()], ["gaussian-nb"], [data], seeds=[0], progress=True)
    assert "2/2" in capsys.readouterr().err


class SplitsStudy(FitStudy):
    """Picks its own seeds when given None, like the built-in studies."""

    name = "splits"

    def cells(self, dataset, models, seeds=None):
        return super().cells(dataset, models, range(2) if seeds is None else seeds)


def test_default_seeds(data):
    rows = run([FitStudy(sizes=(20,)), SplitsStudy(sizes=(20,))], ["gaussian-nb"], [data],
               progress=False)
    assert sorted(set(rows[rows.study == "fit"].seed)) == [0, 1, 2, 3, 4]
    assert sorted(set(rows[rows.study == "splits"].seed)) == [0, 1]
    assert rows.attrs["cells"] == 7


def _damage(part: Path, how: str) -> None:
    """Cut a part file to half its bytes, overwrite it with garbage, or empty it."""
    data = part.read_bytes()
    if how == "truncated":
        part.write_bytes(data[: len(data) // 2])
    elif how == "garbage":
        part.write_bytes(np.random.default_rng(0).bytes(len(data)))
    else:
        part.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncated", "garbage", "empty"])
def test_resume_recomputes_the_cells_of_an_unreadable_part_file(tmp_path, monkeypatch, data,
                                                                reference, how):
    from gdlab.studies import store as results_store

    store = tmp_path / "results"
    # Without compaction every group of cells (one model and seed: its two sizes) stays in
    # its own part file (as after a kill).
    with monkeypatch.context() as m:
        m.setattr(results_store, "compact", lambda path: [])
        run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store, progress=False)
    parts = _parts(store)
    assert len(parts) == 9
    bad = parts[7]
    lost = set(pd.read_parquet(bad)["_cell"])
    assert len(lost) == 2
    _damage(bad, how)
    with pytest.warns(UserWarning, match=rf"{bad.name} is unreadable") as record:
        rows = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store,
                   progress=False)
    assert any(str(bad) in str(w.message) for w in record)
    # The readable cells are kept, the lost ones are run again: no cell lost or duplicated.
    assert rows.attrs["resumed"] == 16 and rows.attrs["cells"] == 18
    assert any(bad.name in note and "run again" in note for note in rows.attrs["notes"])
    same(rows, reference)
    same(read_results(store), reference)
    # The damaged file is kept aside, never read again, never deleted.
    aside = bad.with_name(bad.name + ".corrupt")
    assert not bad.exists() and aside.exists() and len(_parts(store)) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        third = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store,
                    progress=False)
    assert third.attrs["resumed"] == 18
    same(third, reference)
    assert aside.exists()


@pytest.mark.parametrize("resume, how", [(True, "truncated"), (False, "garbage")],
                         ids=["resume", "fresh-run"])
def test_unreadable_part_file_of_a_compacted_store(tmp_path, data, reference, resume, how):
    """After compaction one file holds every cell. Damaged, it is set aside, named in a
    warning, and every cell is run again: when resuming reads it, and on a fresh run
    (resume=False) when the compaction at the end meets it."""
    store = tmp_path / "results"
    run([FitStudy()], MODELS[:2], [data], seeds=[0, 1, 2], results=store, progress=False)
    (part,) = _parts(store)
    _damage(part, how)
    with pytest.warns(UserWarning, match=part.name):
        rows = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store,
                   resume=resume, progress=False)
    assert rows.attrs["resumed"] == 0
    same(rows, reference)
    same(read_results(store), reference)
    assert part.with_name(part.name + ".corrupt").exists()


def test_read_results_skips_an_unreadable_part_file_with_a_warning(tmp_path, data, reference):
    from gdlab.studies import store as results_store

    store = tmp_path / "results"
    with pytest.MonkeyPatch.context() as m:
        m.setattr(results_store, "compact", lambda path: [])
        run([FitStudy()], MODELS[:1], [data], seeds=[0, 1, 2], results=store, progress=False)
    parts = _parts(store)
    _damage(parts[0], "empty")
    with pytest.warns(UserWarning, match=parts[0].name):
        rows = read_results(store)
    expected = reference[reference.model == "gaussian-nb"]
    assert len(rows) == len(expected) - 4  # one group (two cells, two metrics) unreadable
    # A reader does not move files: the next run sets it aside and recomputes the cell.
    assert parts[0].exists()


def test_a_part_file_of_another_table_is_unreadable(tmp_path, data, reference):
    store = tmp_path / "results"
    run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store, progress=False)
    stray = store / "part-0-stray.parquet"
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(stray)
    with pytest.warns(UserWarning, match="part-0-stray.parquet"):
        rows = run([FitStudy()], MODELS, [data], seeds=[0, 1, 2], results=store,
                   progress=False)
    assert rows.attrs["resumed"] == 18
    same(rows, reference)
    assert (store / "part-0-stray.parquet.corrupt").exists()


def test_progress_in_a_log_is_one_line_per_study_and_per_tenth(capsys):
    """stderr that is not a terminal gets plain lines, not a progress bar."""
    from gdlab.studies.learning_curve import LearningCurve
    from gdlab.studies.runner import run

    run([LearningCurve(sizes=[20, 40])], ["gaussian-nb", "lda"], ["iris"], seeds=[0, 1, 2],
        progress=True)
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("study learning_curve done (12 cells); 12/12 cells, ")
    tenths = [line for line in err if line.startswith("cells ")]
    assert 1 <= len(tenths) <= 10 and all("%), " in line for line in tenths)
    assert not any("\r" in line or "━" in line for line in err)  # no bar drawn into a log


class ThreadsStudy(FitStudy):
    """Reports the largest BLAS / OpenMP thread count the cell's worker may use."""

    name = "threads"

    def run_cell(self, cell, dataset, make_model):
        from threadpoolctl import threadpool_info

        used = max((p["num_threads"] for p in threadpool_info()), default=1)
        return [make_row(cell, "generative", "threads", float(used), 0.0)]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_the_runner_owns_the_thread_budget_whatever_the_environment_says(monkeypatch, n_jobs):
    from gdlab.studies.runner import thread_budget, usable_cores

    monkeypatch.setenv("OMP_NUM_THREADS", "64")  # a user's setting: far above the cores
    rows = run([ThreadsStudy(sizes=(20,))], ["gaussian-nb"], [toy_dataset()], seeds=[0, 1],
               n_jobs=n_jobs, progress=False)
    cores = usable_cores()
    expected = thread_budget(min(n_jobs, 2), cores)  # 2 cells: at most 2 workers
    assert (rows["value"] <= expected).all(), (rows["value"].tolist(), expected)
    assert thread_budget(2, cores=2) == 1 and thread_budget(3, cores=16) == 5


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")
def test_the_thread_budget_counts_the_cores_this_process_may_use_not_the_machines():
    # Under taskset (or a container's cpuset) os.cpu_count() still counts every core of
    # the machine; a one-core process must get one BLAS thread, and n_jobs=-1 one worker.
    import subprocess
    import sys

    code = (
        "import os\n"
        "os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})\n"
        "from joblib import effective_n_jobs\n"
        "from gdlab.studies.runner import thread_budget, usable_cores\n"
        "print(usable_cores(), thread_budget(1), effective_n_jobs(-1))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == ["1", "1", "1"], out
