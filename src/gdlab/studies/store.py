"""The results store: the completed cells of a run in Parquet part files, read back whole.

With ``results=DIR`` the cells are written as soon as they complete, as Parquet
files ``DIR/part-<time_ns>-<uuid>.parquet`` (written under a hidden temporary
name, then renamed, so a file is either complete or absent): the runner writes
one file per group of cells that complete together (one dataset, model and
seed, :func:`gdlab.studies.runner.run`), not one per cell (the default
compare on breast_cancer: 80 files for its 788 cells). Besides
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
import os
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.studies.base import ROW_COLUMNS, Cell

__all__ = ["HIDDEN", "cell_id", "parts", "write_part", "read_store", "tidy", "read_results",
           "compact", "rows_frame"]

#: Columns of the store held as strings.
_STR = ("study", "dataset", "model", "family", "setting", "metric", "error")
#: Bookkeeping columns of a part file besides the row columns.
HIDDEN = ("_cell", "_part", "_row")


def _schema():
    import pyarrow as pa

    types = {c: pa.string() for c in _STR}
    types.update(setting_value=pa.float64(), seed=pa.int64(), value=pa.float64(),
                 fit_seconds=pa.float64(), _cell=pa.string(), _part=pa.string(),
                 _row=pa.int64())
    return pa.schema([(c, types[c]) for c in (*ROW_COLUMNS, *HIDDEN)])


def cell_id(cell: Cell) -> str:
    """The ``_cell`` key of a cell: its :attr:`~gdlab.studies.base.Cell.key` as JSON."""
    return json.dumps(list(cell.key))


def parts(path: Path) -> list[Path]:
    """The part files of the store at ``path``, oldest first."""
    return sorted(path.glob("part-*.parquet"))


def write_part(path: Path, frame: pd.DataFrame, fresh: bool = False) -> Path:
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


def read_store(path: Path, *, set_aside: bool = False
                ) -> tuple[pd.DataFrame, list[Path], list[str]]:
    """Every row of the store with its hidden columns, deduplicated; the files read; problems.

    A part file that cannot be read (cut short, overwritten, empty, or not a
    part file at all) is skipped with a warning naming it; its cells are
    absent from the frame, so a resumed run computes them again. With
    ``set_aside`` the file is also renamed to ``<name>.corrupt`` (kept, not
    read again). The third value lists one message per such file.
    """
    files = parts(path) if path.is_dir() else []
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
        empty = pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in (*ROW_COLUMNS, *HIDDEN)})
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


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort rows by cell key, then metric, then position in the cell; keep ROW_COLUMNS."""
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in ROW_COLUMNS})
    keys = pd.DataFrame(
        [json.loads(k)[:6] for k in frame["_cell"]],  # a cell's variant does not sort
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
    """Read a results store written by :func:`gdlab.studies.runner.run`.

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
    frame, _, _ = read_store(Path(path))
    return tidy(frame)


def compact(path: Path) -> list[str]:
    """Merge every part file of the store into one (crash-safe: duplicates are dropped on read).

    Unreadable part files are set aside, not merged; returns one message per such file.
    """
    frame, files, problems = read_store(path, set_aside=True)
    if len(files) > 1:
        write_part(path, frame)
        for f in files:
            f.unlink(missing_ok=True)
    return problems


def rows_frame(cell: Cell, rows: list[dict]) -> pd.DataFrame:
    """A cell's rows with the store's bookkeeping columns (``_part`` empty until written)."""
    frame = pd.DataFrame(rows)
    missing = [c for c in ROW_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"study {cell.study!r} returned rows without columns {missing}.")
    frame = frame[list(ROW_COLUMNS)].copy()
    frame["_cell"] = cell_id(cell)
    frame["_part"] = ""
    frame["_row"] = np.arange(len(frame), dtype=np.int64)
    return frame
