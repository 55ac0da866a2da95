"""gdlab.advise: the verdict for a results folder, a comparison or data to compare.

The verdict itself -- per-goal answers with paired intervals, honest ties and
the overall recommendation -- is computed from a comparison's rows by
:func:`gdlab.verdict.advise_rows` (which :func:`gdlab.compare` also calls for
every run); this module is the entry point that finds those rows: it reads a
folder ``compare`` wrote (checking its ``manifest.json``) or runs the
comparison first.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from gdlab.answers import Advice, Answer
from gdlab.verdict import (
    GOALS,
    MANIFEST,
    advise_rows,
    check_options,
)

__all__ = ["GOALS", "MANIFEST", "Advice", "Answer", "advise", "advise_rows", "check_options",
           "read_manifest"]


def read_manifest(folder) -> dict | None:
    """The ``manifest.json`` :func:`gdlab.compare` wrote in ``folder`` (or its parent), if any."""
    folder = Path(folder)
    for candidate in (folder / MANIFEST, folder.parent / MANIFEST):
        if candidate.is_file():
            try:
                data = json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError) as err:
                raise ValueError(f"{candidate} is not a readable gdlab manifest: {err}") from err
            if not isinstance(data, dict):
                raise ValueError(f"{candidate} is not a gdlab manifest (not a JSON object).")
            return data
    return None


def _load_folder(folder: Path) -> tuple[pd.DataFrame, dict]:
    from gdlab._version import __version__
    from gdlab.studies.store import read_results

    manifest = read_manifest(folder)
    if manifest is None:
        raise ValueError(f"{folder} is not a results folder written by gdlab compare (no "
                         f"{MANIFEST} in it or its parent); run gdlab compare -o {folder}.")
    version = manifest.get("gdlab_version")
    if version != __version__:
        raise ValueError(f"the results in {folder} were written by gdlab {version}, this is "
                         f"gdlab {__version__}; rerun gdlab compare to refresh them.")
    store = folder / "results" if (folder / "results").is_dir() else folder
    rows = read_results(store)
    if rows.empty:
        raise ValueError(f"the results folder {store} holds no rows; run gdlab compare.")
    return rows, manifest



def advise(source="breast_cancer", *, goals=None, target_rows=None, missing_rate=None,
           budget=None, target: str | None = None, out_dir=None, quick: bool = True,
           n_jobs: int = 1) -> Advice:
    """Which model fits this task, per goal, with the evidence.

    Parameters
    ----------
    source : str, path-like, Dataset or Comparison, default="breast_cancer"
        A folder written by :func:`gdlab.compare` (its ``out_dir``, holding
        ``manifest.json`` and ``results/``, or the ``results/`` store itself);
        a :class:`gdlab.comparison.Comparison`; or anything ``compare`` takes
        -- a built-in dataset name, a :class:`gdlab.data.Dataset`, or a CSV
        path with ``target`` -- which is then compared first.
    goals : str or sequence of str, optional
        Goals to answer (:data:`GOALS`); default all.
    target_rows : float, optional
        The training size the user will have. Default: every row measured.
        Beyond the measured sizes, accuracy is predicted from fitted learning
        curves (and said to be beyond the data when it is far out).
    missing_rate : float in [0, 1), optional
        The share of entries missing at deployment; the missing-data answer is
        read at the measured rate nearest to it (default: the middle rate).
    budget : float, optional
        Largest acceptable fit time in seconds; slower models are left out of
        every answer.
    target : str, optional
        The class column, when ``source`` is a CSV path.
    out_dir : path-like, optional
        Where to write the comparison when ``source`` is data (default: none
        written, the comparison stays in memory); its report and
        ``advice.json`` show this verdict.
    quick : bool, default=True
        The quick study settings, when ``source`` is data.
    n_jobs : int, default=1
        Workers of the comparison, when ``source`` is data.

    Returns
    -------
    Advice

    Raises
    ------
    ValueError
        Before any work: an unknown goal, ``target_rows`` below 1 (or below the
        smallest size measured), ``missing_rate`` outside [0, 1), a budget
        that is not positive or that no model meets, a results folder from
        another gdlab version or with no rows for the goals asked.

    Examples
    --------
    >>> import gdlab
    >>> advice = gdlab.advise("iris", goals=["accuracy", "cost"])  # doctest: +SKIP
    >>> print(advice)  # doctest: +SKIP
    """
    check_options(goals, target_rows, missing_rate, budget)
    from gdlab.comparison import Comparison, compare

    if isinstance(source, Comparison):
        return advise_rows(source.rows, goals=goals, target_rows=target_rows,
                           missing_rate=missing_rate, budget=budget)
    if isinstance(source, (str, Path)) and Path(source).is_dir():
        rows, manifest = _load_folder(Path(source))
        return advise_rows(rows, dataset=manifest.get("dataset"), goals=goals,
                           target_rows=target_rows, missing_rate=missing_rate, budget=budget)
    dataset = source
    if isinstance(source, (str, Path)) and str(source).lower().endswith(".csv"):
        if target is None:
            raise ValueError(f"{source} is a CSV file: name its class column with target=.")
        from gdlab.data import load_csv

        dataset = load_csv(source, target=target)
    elif target is not None:
        raise ValueError("target= only applies to a CSV path source.")
    result = compare(dataset, quick=quick, out_dir=out_dir, n_jobs=n_jobs, advice_options={
        "goals": goals, "target_rows": target_rows, "missing_rate": missing_rate,
        "budget": budget})
    return result.advice
