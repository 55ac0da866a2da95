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

The results store (``results=DIR``: one Parquet part file per completed
group of cells, resumable, compacted at the end, unreadable files set aside) is
:mod:`gdlab.studies.store`; the plan of the grid is :mod:`gdlab.studies.plan`;
this module runs the cells.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from gdlab.studies import fits, plan
from gdlab.studies import store as results_store
from gdlab.studies.base import ROW_COLUMNS, Cell, Study, error_row
from gdlab.studies.store import read_results

__all__ = [
    "thread_budget", "usable_cores", "run", "read_results", "BACKENDS"]

logger = logging.getLogger(__name__)

#: Values accepted by ``backend``.
BACKENDS = ("loky", "dask", "sequential")

# ------------------------------------------------------------------- workers
def thread_budget(n_workers: int, cores: int | None = None) -> int:
    """BLAS / OpenMP threads each of ``n_workers`` workers may use: the cores shared out.

    The runner owns the thread budget whatever the environment says
    (``OMP_NUM_THREADS=2`` exported with 2 workers on 2 cores would otherwise
    run 4 spinning threads on 2 cores). ``cores`` defaults to the cores this
    process may use (:func:`usable_cores`), not the machine's.

    Examples
    --------
    >>> thread_budget(2, cores=2), thread_budget(1, cores=8), thread_budget(16, cores=4)
    (1, 8, 1)
    """
    cores = cores or usable_cores()
    return max(1, cores // max(1, n_workers))


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity and cgroup quota, as joblib counts.

    ``os.cpu_count()`` counts the machine's cores, which overcounts under
    ``taskset`` or in a container limited to a few CPUs (every worker would
    then be given the host's cores worth of BLAS threads). ``n_jobs=-1``
    starts this many workers.
    """
    from joblib import cpu_count

    return max(1, int(cpu_count()))


def _run_one(study: Study, cell: Cell, dataset, family: str,
             threads: int | None = None) -> tuple[Cell, list[dict]]:
    """Run one cell (in a worker); any exception becomes an error row.

    Warnings raised inside the cell (convergence, small classes, ...) are
    silenced: they would interleave with the progress bar from every worker,
    and a cell's outcome is its rows. ``threads`` caps the BLAS / OpenMP
    threads of the cell (:func:`thread_budget`).
    """
    from threadpoolctl import threadpool_limits

    from gdlab.studies.prepare import model_for

    try:
        with warnings.catch_warnings(), threadpool_limits(limits=threads):
            warnings.simplefilter("ignore")
            rows = list(study.run_cell(cell, dataset, lambda: model_for(cell.model, dataset)))
    except Exception as exc:  # noqa: BLE001 - a model that cannot run is a result
        rows = [error_row(cell, family, exc)]
    return cell, rows


def _run_group(items, dataset, threads: int | None = None,
               max_bytes: int = fits.MAX_BYTES) -> tuple[list[tuple[Cell, list[dict]]], int, int]:
    """Run the cells of one group (in a worker) with one :class:`~gdlab.studies.fits.FitCache`.

    ``items`` are ``(study, cell, family)`` of one dataset, model and seed: the
    cells whose fits can coincide (or of one study's every model, :func:`_groups`).
    The cache lives as long as the group, so fits are shared inside it and
    nothing outlives it; the dataset's float matrix is made once for the group
    (:func:`gdlab.studies.prepare.converting_once`). ``max_bytes=0`` shares
    nothing.

    Returns
    -------
    results : list of (Cell, list of dict)
    fitted, shared : int
        Fits made, and fits answered from the cache.
    """
    from gdlab.studies.prepare import converting_once

    cache = fits.FitCache(max_bytes)
    with fits.sharing(cache), converting_once():
        results = [_run_one(study, cell, dataset, family, threads)
                   for study, cell, family in items]
    return results, cache.fits, cache.shared


def _groups(tasks, studies, families) -> list[tuple[int, list]]:
    """The tasks grouped by (dataset, model, seed), largest groups first.

    Studies derive their splits from the cell seed alone, so the cells that can
    fit one model on the same rows are those of one dataset, model and seed;
    the runner gives each group to one worker. The cells of a study with
    :attr:`~gdlab.studies.base.Study.groups_across_models` are grouped by
    (dataset, study, seed) instead, every model together, and those groups
    come first (their shared work makes them long). Returns ``(dataset index,
    [(study, cell, family), ...])`` per group, the cells in plan order.
    """
    grouped: dict[tuple, tuple[int, list]] = {}
    for si, cell, di in tasks:
        across = studies[si].groups_across_models
        key = (di, ("study", cell.study) if across else ("model", cell.model), int(cell.seed))
        grouped.setdefault(key, (di, []))[1].append((studies[si], cell, families[cell.model]))
    # stable: plan order in ties
    return [grouped[k] for k in sorted(grouped, key=lambda k: (k[1][0] != "study",
                                                               -len(grouped[k][1])))]


# ------------------------------------------------------------------- progress
class _LineProgress:
    """Progress as plain lines, for stderr that is not a terminal (a log, CI, ``make``).

    One line when a study's last cell completes, and one at every further tenth
    of all cells, each with the elapsed time, so a long run in a log is never
    silent for minutes and never floods it.
    """

    def __init__(self, total: int, per_study: dict, stream=None):
        self.total, self.per_study = total, dict(per_study)
        self.stream = stream or sys.stderr
        self.done, self.by_study = 0, dict.fromkeys(per_study, 0)
        self.next_tenth = 1
        self.t0 = time.perf_counter()
        self.console = self  # notes are printed through .console.print

    def print(self, text: str) -> None:
        print(re.sub(r"\[/?[a-z ]*\]", "", str(text)), file=self.stream, flush=True)

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def update(self, _task, *, completed: int) -> None:
        self.done = completed
        if completed:
            self.print(f"cells: {completed} of {self.total} already in the results store")

    def advance(self, cell=None) -> None:
        self.done += 1
        elapsed = time.perf_counter() - self.t0
        if cell is not None and cell.study in self.by_study:
            self.by_study[cell.study] += 1
            if self.by_study[cell.study] == self.per_study[cell.study]:
                self.print(f"study {cell.study} done ({self.per_study[cell.study]} cells); "
                           f"{self.done}/{self.total} cells, {elapsed:.0f} s")
                return
        if self.done * 10 >= self.next_tenth * self.total:
            self.next_tenth = self.done * 10 // self.total + 1
            self.print(f"cells {self.done}/{self.total} "
                       f"({100 * self.done // self.total} %), {elapsed:.0f} s")

    def stop(self) -> None:
        pass


def _progress(enabled: bool, total: int, per_study: dict | None = None):
    if not enabled:
        return None
    if not sys.stderr.isatty():
        return _LineProgress(total, per_study or {})
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
    share_fits: bool | None = None,
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
        Parallel workers (joblib's convention, -1 for every core this process
        may use: :func:`usable_cores`). With ``backend="dask"`` the cluster's
        workers decide and this only sizes a fresh local cluster.
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
    share_fits : bool, optional
        Fit each model once per training rows and let every cell of the same
        dataset, model and seed read that fit (:mod:`gdlab.studies.fits`); the
        rows are the same either way, only fewer fits are made. Default: on,
        unless the environment variable ``GDLAB_SHARE_FITS=0``.

    Returns
    -------
    pandas.DataFrame
        Exactly :data:`~gdlab.studies.base.ROW_COLUMNS`, the rows of this
        grid's cells (resumed and new), sorted by cell key, then metric.
        ``attrs["notes"]`` lists skipped studies and unreadable part files;
        ``attrs["cells"]`` and ``attrs["resumed"]`` count the grid's cells and
        those read back; ``attrs["fits"]`` the models fitted by this call and
        ``attrs["shared_fits"]`` the fits read from another cell's instead.

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
    if share_fits is None:
        share_fits = fits.share_fits_default()
    if not isinstance(share_fits, bool):
        raise TypeError(f"share_fits must be a bool or None, got {share_fits!r}.")

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
    grid = {results_store.cell_id(cell) for _, cell, _ in tasks}
    done = pd.DataFrame(columns=[*ROW_COLUMNS, *results_store.HIDDEN])
    if results is not None:
        store = Path(results)
        store.mkdir(parents=True, exist_ok=True)
        if resume:
            old, _, problems = results_store.read_store(store, set_aside=True)
            notes.extend(problems)
            done = old[old["_cell"].isin(grid)]
            finished = set(done["_cell"])
            tasks = [t for t in tasks if results_store.cell_id(t[1]) not in finished]
    resumed = len(grid) - len(tasks)

    new = []
    n_fitted = n_shared = 0
    per_study: dict = {}
    for _, cell, _ in tasks:
        per_study[cell.study] = per_study.get(cell.study, 0) + 1
    bar = _progress(progress, len(grid), per_study)
    try:
        if bar is not None:
            bar.start()
            bar.update(0, completed=resumed)
            for note in notes:
                bar.console.print(f"[yellow]note:[/] {note}")
        max_bytes = fits.MAX_BYTES if share_fits else 0
        for results, fitted, shared in _execute(tasks, studies, datasets, families, n_jobs,
                                                backend, scheduler, max_bytes):
            n_fitted += fitted
            n_shared += shared
            # a group's cells complete together: one part file holds them all
            frames = [results_store.rows_frame(cell, rows) for cell, rows in results]
            if store is not None and frames:
                results_store.write_part(store, pd.concat(frames, ignore_index=True),
                                         fresh=True)
            new.extend(frames)
            for cell, _ in results:
                if isinstance(bar, _LineProgress):
                    bar.advance(cell)
                elif bar is not None:
                    bar.advance(0)
    finally:
        if bar is not None:
            bar.stop()
    if store is not None:
        notes.extend(results_store.compact(store))
    frames = [f for f in (done, *new) if not f.empty]
    out = results_store.tidy(pd.concat(frames, ignore_index=True) if frames else done)
    out.attrs.update(notes=notes, cells=len(grid), resumed=resumed, fits=n_fitted,
                     shared_fits=n_shared)
    return out


def _execute(tasks, studies, datasets, families, n_jobs, backend, scheduler, max_bytes):
    """Yield ``(results, fitted, shared)`` of each group of cells (:func:`_run_group`), as done."""
    if not tasks:
        return
    groups = _groups(tasks, studies, families)
    sequential = backend == "sequential" or (backend == "loky" and n_jobs == 1)
    if sequential:
        threads = thread_budget(1)
        for di, items in groups:
            yield _run_group(items, datasets[di], threads, max_bytes)
        return

    from joblib import Parallel, delayed, effective_n_jobs, parallel_config

    workers = effective_n_jobs(n_jobs)  # -1: usable_cores(); -2: one fewer; ...
    threads = thread_budget(min(workers, len(groups))) if backend == "loky" else None
    calls = (delayed(_run_group)(items, datasets[di], threads, max_bytes)
             for di, items in groups)
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
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:  # unreachable, refused, timed out
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler!r} "
                             f"({type(err).__name__}: {str(err).splitlines()[0]}); check the "
                             "address and that `dask scheduler` runs there.") from None
    try:
        used = [datasets[di] for di in sorted({di for _, _, di in tasks})]
        with parallel_config(backend="dask", client=client, scatter=used):
            yield from Parallel(n_jobs=-1, return_as="generator_unordered")(calls)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

