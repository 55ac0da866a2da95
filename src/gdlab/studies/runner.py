"""Run studies over a grid of models and datasets, in parallel, resumably.

:func:`run` builds every :class:`~gdlab.studies.base.Cell` of the chosen
studies on the chosen datasets, runs each one (joblib's loky processes, a
Dask cluster, or in this process), and returns one tidy table of
:data:`~gdlab.studies.base.ROW_COLUMNS`.

Which model takes part in which study on which dataset is decided by
:mod:`gdlab.studies.plan` (capability tags and modalities, never class
names), the same planner :func:`gdlab.comparison.check_plan` asks. A cell
whose model raises is recorded as one
:func:`~gdlab.studies.base.error_row` with the reason; the grid goes on.
Warnings inside a cell are silenced (they would interleave with the progress
bar from every worker).

Results store
-------------
With ``results=DIR`` every completed cell is written at once as its own
Parquet file ``DIR/part-<time_ns>-<uuid>.parquet`` (written under a hidden
temporary name, then renamed, so a file is either complete or absent). Besides
the row columns each file holds three bookkeeping columns: ``_cell`` (the
cell's key as JSON), ``_part`` (the file that first held the rows) and
``_row`` (the row's position within its cell). A killed run therefore loses
only the cells that were running; rerunning with ``resume=True`` skips every
cell already in the store. When a cell is present more than once, the newest
``_part`` wins, so duplicates never surface. At the end of a run the part
files are compacted into one. :func:`read_results` reads a store back.

A part file that cannot be read (cut short, overwritten, emptied, or not a
part file of this store) never stops a run: it is renamed
``<name>.corrupt`` (kept for inspection, never read again), a warning and a
note in ``attrs["notes"]`` name it, and its cells, which are then absent
from the store, are run again; the cells of every readable file are kept.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.studies import plan
from gdlab.studies.base import ROW_COLUMNS, Cell, Study, error_row

__all__ = ["run", "read_results", "BACKENDS"]

logger = logging.getLogger(__name__)

#: Values accepted by ``backend``.
BACKENDS = ("loky", "dask", "sequential")

_STR = ("study", "dataset", "model", "family", "setting", "metric", "error")
_HIDDEN = ("_cell", "_part", "_row")


# --------------------------------------------------------------------- store
def _schema():
    import pyarrow as pa

    types = {c: pa.string() for c in _STR}
    types.update(setting_value=pa.float64(), seed=pa.int64(), value=pa.float64(),
                 fit_seconds=pa.float64(), _cell=pa.string(), _part=pa.string(),
                 _row=pa.int64())
    return pa.schema([(c, types[c]) for c in (*ROW_COLUMNS, *_HIDDEN)])


def _cell_id(cell: Cell) -> str:
    return json.dumps(list(cell.key))


def _parts(path: Path) -> list[Path]:
    return sorted(path.glob("part-*.parquet"))


def _write_part(path: Path, frame: pd.DataFrame, fresh: bool = False) -> Path:
    """Write ``frame`` as a new part file, atomically; ``fresh`` rows get its name as ``_part``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    name = f"part-{time.time_ns():020d}-{uuid.uuid4().hex}"
    frame = frame.copy()
    if fresh:
        frame["_part"] = name
    table = pa.Table.from_pandas(frame[list(_schema().names)], schema=_schema(),
                                 preserve_index=False)
    tmp = path / f".{name}.parquet.tmp"
    pq.write_table(table, tmp)
    final = path / f"{name}.parquet"
    os.replace(tmp, final)
    return final


def _read_part(file: Path) -> pd.DataFrame:
    """One part file with the store's columns; ValueError when it is not a readable part file."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    try:
        table = pq.read_table(file)
        absent = [c for c in schema.names if c not in table.column_names]
        if absent:
            raise ValueError(f"it has no column {absent[0]!r}")
        table = table.select(schema.names).cast(schema)
    except (pa.ArrowException, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # pyarrow repeats the path the caller names anyway
        raise ValueError(reason.replace(f"Could not open Parquet input source {str(file)!r}: ", "")
                         ) from None
    frame = table.to_pandas()
    if frame["_cell"].isna().any() or frame["_part"].isna().any():
        raise ValueError("it has rows without a cell key")
    for key in frame["_cell"].unique():
        try:
            ok = isinstance(json.loads(key), list)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"its cell key {key[:60]!r} is not a JSON list")
    return frame


def _set_aside(file: Path) -> Path:
    """Rename ``file`` to ``<name>.corrupt`` (``<name>.<i>.corrupt`` if taken); never delete it."""
    aside, i = file.with_name(file.name + ".corrupt"), 0
    while aside.exists():
        i += 1
        aside = file.with_name(f"{file.name}.{i}.corrupt")
    file.rename(aside)
    return aside


def _read_store(path: Path, *, set_aside: bool = False
                ) -> tuple[pd.DataFrame, list[Path], list[str]]:
    """Every row of the store with its hidden columns, deduplicated; the files read; problems.

    A part file that cannot be read (cut short, overwritten, empty, or not a
    part file at all) is skipped with a warning naming it; its cells are
    absent from the frame, so a resumed run computes them again. With
    ``set_aside`` the file is also renamed to ``<name>.corrupt`` (kept, not
    read again). The third value lists one message per such file.
    """
    files = _parts(path) if path.is_dir() else []
    frames, read, problems = [], [], []
    for file in files:
        try:
            frames.append(_read_part(file))
        except ValueError as reason:
            if not set_aside:
                message = (f"results part file {file} is unreadable ({reason}); the cells it "
                           "held are left out (a resumed run sets it aside and runs them again).")
            else:
                try:
                    aside = _set_aside(file)
                except OSError as exc:
                    message = (f"results part file {file} is unreadable ({reason}) and could "
                               f"not be moved aside ({exc}); the cells it held are run again.")
                else:
                    message = (f"results part file {file} is unreadable ({reason}); it was "
                               f"moved aside to {aside.name} and the cells it held are run "
                               "again.")
            warnings.warn(message, UserWarning, stacklevel=3)
            problems.append(message)
            continue
        read.append(file)
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in (*ROW_COLUMNS, *_HIDDEN)})
        return empty, read, problems
    frame = pd.concat(frames, ignore_index=True)
    # The newest copy of a cell wins; a file copied twice (e.g. a compaction
    # interrupted before it removed its inputs) holds identical (_part, _row).
    newest = frame.groupby("_cell")["_part"].transform("max")
    frame = frame[frame["_part"] == newest]
    frame = frame.drop_duplicates(["_cell", "_part", "_row"]).reset_index(drop=True)
    return frame, read, problems


def _dtype(column: str):
    if column in ("seed", "_row"):
        return "int64"
    if column in ("setting_value", "value", "fit_seconds"):
        return "float64"
    return "object"


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by cell key, then metric, then position in the cell; keep ROW_COLUMNS."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in ROW_COLUMNS})
    keys = pd.DataFrame(
        [json.loads(k) for k in frame["_cell"]],
        columns=["_k_study", "_k_dataset", "_k_model", "_k_setting", "_k_value", "_k_seed"],
        index=frame.index,
    )
    keys["_k_value"] = pd.to_numeric(keys["_k_value"], errors="coerce").astype("float64")
    order = pd.concat([keys, frame[["metric", "_row"]]], axis=1)
    order["metric"] = order["metric"].astype(str)
    idx = order.sort_values(list(order.columns), na_position="first", kind="stable").index
    out = frame.loc[idx, list(ROW_COLUMNS)].reset_index(drop=True)
    for c in ROW_COLUMNS:
        out[c] = out[c].astype(_dtype(c))
    out["error"] = out["error"].where(out["error"].notna(), None)
    return out


def read_results(path) -> pd.DataFrame:
    """Read a results store written by :func:`run`.

    Parameters
    ----------
    path : str or Path
        The results directory.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`~gdlab.studies.base.ROW_COLUMNS`, sorted by cell key and
        metric; each cell appears once even if a part file was written twice.
        Empty (with those columns) when the directory holds no results.

    Warns
    -----
    UserWarning
        For each part file that cannot be read, naming it; its cells are left
        out (and the file left in place: a resumed :func:`run` sets it aside
        and runs those cells again).

    Examples
    --------
    >>> import tempfile
    >>> read_results(tempfile.mkdtemp()).columns.tolist()[:3]
    ['study', 'dataset', 'model']
    """
    frame, _, _ = _read_store(Path(path))
    return _tidy(frame)


def _compact(path: Path) -> list[str]:
    """Merge every part file of the store into one (crash-safe: duplicates are dropped on read).

    Unreadable part files are set aside, not merged; returns one message per such file.
    """
    frame, files, problems = _read_store(path, set_aside=True)
    if len(files) > 1:
        _write_part(path, frame)
        for f in files:
            f.unlink(missing_ok=True)
    return problems


# ------------------------------------------------------------------- workers
def _run_one(study: Study, cell: Cell, dataset, family: str) -> tuple[Cell, list[dict]]:
    """Run one cell (in a worker); any exception becomes an error row.

    Warnings raised inside the cell (convergence, small classes, ...) are
    silenced: they would interleave with the progress bar from every worker,
    and a cell's outcome is its rows.
    """
    from gdlab.models.registry import make

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rows = list(study.run_cell(cell, dataset, lambda: make(cell.model)))
    except Exception as exc:  # noqa: BLE001 - a model that cannot run is a result
        rows = [error_row(cell, family, exc)]
    return cell, rows


def _rows_frame(cell: Cell, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    missing = [c for c in ROW_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"study {cell.study!r} returned rows without columns {missing}.")
    frame = frame[list(ROW_COLUMNS)].copy()
    frame["_cell"] = _cell_id(cell)
    frame["_part"] = ""
    frame["_row"] = np.arange(len(frame), dtype=np.int64)
    return frame


# ------------------------------------------------------------------- progress
def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("[bold]cells"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                   console=Console(file=sys.stderr), transient=False)
    bar.add_task("cells", total=total)
    return bar


def run(
    studies: Study | Sequence[Study],
    models: str | Iterable[str],
    datasets,
    *,
    seeds: Iterable[int] | None = None,
    results=None,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    progress: bool = True,
    resume: bool = True,
) -> pd.DataFrame:
    """Run every cell of ``studies`` x ``models`` x ``datasets`` x seeds.

    Parameters
    ----------
    studies : Study or sequence of Study
    models : str or iterable of str
        Registry names (:func:`gdlab.models.registry.available`). Each study
        gets the models :func:`gdlab.studies.plan.takers` chooses.
    datasets : str, Dataset, or iterable of them
        Names are loaded with :func:`gdlab.data.load`. A study runs on the
        datasets whose modality is in ``study.modalities``.
    seeds : iterable of int, optional
        Seeds of every study. By default each study chooses: its
        ``default_seeds`` attribute when set, else ``cells(..., seeds=None)``
        when its ``cells`` accepts None (e.g. ``range(n_splits)``), else
        ``range(5)``.
    results : str or Path, optional
        Directory of the results store (created if needed). Each completed
        cell is written at once as a Parquet part file; see the module
        docstring for the format.
    n_jobs : int, default=1
        Parallel workers (joblib's convention, -1 for all cores). With
        ``backend="dask"`` the cluster's workers decide and this only sizes a
        fresh local cluster.
    backend : {"loky", "dask", "sequential"}, default="loky"
        ``"loky"``: joblib processes (``n_jobs=1`` runs in this process).
        ``"dask"``: joblib's Dask backend on ``distributed.Client(scheduler)``,
        or on a fresh ``LocalCluster`` (closed afterwards) when ``scheduler``
        is None. ``"sequential"``: in this process.
    scheduler : str, optional
        Address of a Dask scheduler (``"tcp://host:8786"``); implies ``backend="dask"``.
    progress : bool, default=True
        A Rich progress bar (cells done / total, ETA) on stderr.
    resume : bool, default=True
        Skip cells already in ``results``. False runs every cell again; the
        new rows supersede the stored ones.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`~gdlab.studies.base.ROW_COLUMNS`, the rows of this
        grid's cells (resumed and new), sorted by cell key, then metric.
        ``attrs["notes"]`` lists skipped studies and unreadable part files;
        ``attrs["cells"]`` and ``attrs["resumed"]`` count the grid's cells and
        those read back.

    Raises
    ------
    ValueError
        For an unknown model, dataset or backend, or when no study applies to
        any chosen model and dataset.

    Warns
    -----
    UserWarning
        For each unreadable part file in ``results``, naming it; the file is
        renamed ``<name>.corrupt`` and its cells are run again.

    Examples
    --------
    >>> from gdlab.studies.base import Cell, Study, make_row
    >>> class Fit(Study):
    ...     name = "fit"
    ...     def cells(self, dataset, models, seeds):
    ...         return [Cell(self.name, dataset.name, m, "none", float("nan"), s)
    ...                 for m in models for s in seeds]
    ...     def run_cell(self, cell, dataset, make_model):
    ...         model = make_model().fit(dataset.X, dataset.y)
    ...         return [make_row(cell, "?", "accuracy", model.score(dataset.X, dataset.y), 0.0)]
    ...     def summarize(self, rows): return rows
    ...     def figures(self, rows): return []
    ...     def reading(self, rows): return []
    >>> rows = run([Fit()], ["gaussian-nb"], ["iris"], seeds=[0, 1], progress=False)
    >>> rows[["model", "seed", "metric"]].values.tolist()
    [['gaussian-nb', 0, 'accuracy'], ['gaussian-nb', 1, 'accuracy']]
    """
    if isinstance(studies, Study):
        studies = [studies]
    studies = list(studies)
    if not studies:
        raise ValueError("no studies given.")
    for s in studies:
        if not isinstance(s, Study):
            raise ValueError(f"studies must be Study instances, got {s!r}.")
    if scheduler is not None:
        backend = "dask"
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {list(BACKENDS)}, got {backend!r}.")
    models, families, caps = plan.model_facts(models)
    datasets = plan.load_datasets(datasets)
    if seeds is not None:
        seeds = [int(s) for s in seeds]

    tasks, notes = plan.plan_cells(studies, models, caps, datasets, seeds)
    if not tasks:
        raise ValueError(
            "no study applies to any chosen model and dataset: studies "
            f"{', '.join(f'{s.name!r} (requires {sorted(s.requires)}, modalities {sorted(s.modalities)})' for s in studies)}; "  # noqa: E501
            f"models {', '.join(f'{m!r} ({sorted(caps[m])})' for m in models)}; "
            f"datasets {', '.join(f'{d.name!r} ({d.modality})' for d in datasets)}."
        )
    for note in notes:
        logger.info(note)

    store = None
    grid = {_cell_id(cell) for _, cell, _ in tasks}
    done = pd.DataFrame(columns=[*ROW_COLUMNS, *_HIDDEN])
    if results is not None:
        store = Path(results)
        store.mkdir(parents=True, exist_ok=True)
        if resume:
            old, _, problems = _read_store(store, set_aside=True)
            notes.extend(problems)
            done = old[old["_cell"].isin(grid)]
            finished = set(done["_cell"])
            tasks = [t for t in tasks if _cell_id(t[1]) not in finished]
    resumed = len(grid) - len(tasks)

    new = []
    bar = _progress(progress, len(grid))
    try:
        if bar is not None:
            bar.start()
            bar.update(0, completed=resumed)
            for note in notes:
                bar.console.print(f"[yellow]note:[/] {note}")
        for cell, rows in _execute(tasks, studies, datasets, families, n_jobs, backend,
                                   scheduler):
            frame = _rows_frame(cell, rows)
            if store is not None:
                _write_part(store, frame, fresh=True)
            new.append(frame)
            if bar is not None:
                bar.advance(0)
    finally:
        if bar is not None:
            bar.stop()
    if store is not None:
        notes.extend(_compact(store))
    frames = [f for f in (done, *new) if not f.empty]
    out = _tidy(pd.concat(frames, ignore_index=True) if frames else done)
    out.attrs.update(notes=notes, cells=len(grid), resumed=resumed)
    return out


def _execute(tasks, studies, datasets, families, n_jobs, backend, scheduler):
    """Yield (cell, rows) as cells complete."""
    if not tasks:
        return
    sequential = backend == "sequential" or (backend == "loky" and n_jobs == 1)
    if sequential:
        for si, cell, di in tasks:
            yield _run_one(studies[si], cell, datasets[di], families[cell.model])
        return

    from joblib import Parallel, delayed, parallel_config

    calls = (delayed(_run_one)(studies[si], cell, datasets[di], families[cell.model])
             for si, cell, di in tasks)
    if backend == "loky":
        yield from Parallel(n_jobs=n_jobs, backend="loky", return_as="generator_unordered")(calls)
        return

    from distributed import Client, LocalCluster

    cluster = None
    if scheduler is None:
        workers = None if n_jobs is None or n_jobs < 1 else n_jobs
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler)
    try:
        used = [datasets[di] for di in sorted({di for _, _, di in tasks})]
        with parallel_config(backend="dask", client=client, scatter=used):
            yield from Parallel(n_jobs=-1, return_as="generator_unordered")(calls)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

