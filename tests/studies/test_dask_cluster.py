"""compare on a real Dask cluster: a ``dask scheduler`` and two ``dask worker`` processes.

``--scheduler`` (``scheduler=`` in :func:`gdlab.compare`) sends every cell to
the cluster's workers (joblib's Dask backend); the rows must be those of the
local, sequential run, timing aside. The scheduler and workers are started
here exactly as a user starts them (``python -m dask scheduler`` / ``worker``
of this interpreter, on 127.0.0.1, the scheduler on a port the system picks and
announces in a scheduler file), and are stopped in a ``finally``. Run it with
``pytest -m slow tests/studies/test_dask_cluster.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import pytest

pytest.importorskip("dask")
pytest.importorskip("distributed")

from gdlab import compare  # noqa: E402

#: columns that measure time, not results
TIMING = ["fit_seconds"]
#: what identifies a row
KEYS = ["study", "dataset", "model", "setting", "setting_value", "seed", "metric"]
STUDIES = ["calibration"]
MODELS = ["gaussian-nb", "lda"]


def _dask(*args, log):
    return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                            stderr=subprocess.STDOUT)


def _stop(processes):
    for proc in processes:
        if proc.poll() is None:
            proc.terminate()
    for proc in processes:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _scheduler_address(scheduler_file, scheduler, deadline):
    while time.monotonic() < deadline:
        assert scheduler.poll() is None, "dask scheduler exited"
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (FileNotFoundError, json.JSONDecodeError, KeyError):
            time.sleep(0.2)
    raise AssertionError("dask scheduler did not write its address")


def _sorted_rows(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns=TIMING).sort_values(KEYS).reset_index(drop=True)


# 36 s at load average 9.7 and 78 s at 12.9 on the 2-core development machine (starting
# three processes that import gdlab, scikit-learn and distributed dominates): over 30 s
@pytest.mark.slow
def test_compare_on_a_scheduler_and_two_workers_equals_the_local_run(tmp_path):
    from distributed import Client

    scheduler_file = tmp_path / "scheduler.json"
    log = (tmp_path / "dask.log").open("w")
    processes = []
    try:
        processes.append(_dask("scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(scheduler_file),
                               log=log))
        address = _scheduler_address(scheduler_file, processes[0], time.monotonic() + 60)
        for i in range(2):
            processes.append(_dask("worker", address, "--name", f"w{i}", "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1",
                                   "--local-directory", str(tmp_path / f"w{i}"), log=log))
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
            assert len(client.scheduler_info()["workers"]) == 2
            on_cluster = compare("iris", models=MODELS, studies=STUDIES, seeds=2,
                                 out_dir=None, scheduler=address)
            executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
        local = compare("iris", models=MODELS, studies=STUDIES, seeds=2, out_dir=None)
    finally:
        _stop(processes)
        log.close()

    assert len(executed) == 2 and sum(executed.values()) > 0  # the workers ran the cells
    assert not on_cluster.rows.empty
    assert (on_cluster.rows["metric"] != "failed").all()
    assert set(on_cluster.rows["model"]) == set(MODELS)
    pd.testing.assert_frame_equal(_sorted_rows(on_cluster.rows), _sorted_rows(local.rows),
                                  check_exact=False, rtol=0, atol=1e-12)
