"""Turn a :class:`gdlab.data.Dataset` into the float matrix every study fits on.

One place decides how tabular columns become numbers, so every study and
every model sees the same matrix: numbers stay as they are, ``bool`` columns
become 0/1, category/object/string columns are one-hot encoded (a missing
value is NaN in all of that column's indicator columns, so it stays missing
rather than becoming its own category). NaN is kept everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from gdlab.capability_tags import modality_input_kind

__all__ = ["numeric", "numeric_names", "onehot_groups", "model_for", "inputs", "converting_once"]

#: Matrices :func:`numeric` made inside :func:`converting_once`, by ``id`` of the dataset.
_CONVERTED: ContextVar[dict | None] = ContextVar("gdlab_numeric_converted", default=None)


@contextmanager
def converting_once() -> Iterator[None]:
    """Inside the block, :func:`numeric` converts each DataFrame dataset once.

    The runner runs each group of cells (one dataset, model and seed) inside
    one such block: every cell asks :func:`numeric` for the same matrix, and
    converting a DataFrame column by column costs more than many a small fit.
    Each call still returns its own copy of ``X``. Nothing outlives the block
    (a DataFrame changed in place afterwards is converted again).
    """
    token = _CONVERTED.set({})
    try:
        yield
    finally:
        _CONVERTED.reset(token)


def numeric(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Float features and integer labels of a tabular or image dataset.

    Parameters
    ----------
    dataset : gdlab.data.Dataset
        ``modality`` must be "tabular" or "image" (whose
        :func:`~gdlab.capability_tags.modality_input_kind` is "tabular").

    Returns
    -------
    X : ndarray of shape (n_samples, n_numeric_features), float64
        NaN marks a missing entry.
    y : ndarray of shape (n_samples,), int

    Examples
    --------
    >>> from gdlab.data import load
    >>> X, y = numeric(load("penguins"))
    >>> X.shape[0] == y.shape[0] == 344
    True
    """
    if modality_input_kind(dataset.modality) != "tabular":
        raise ValueError(
            f"dataset {dataset.name!r} is {dataset.modality}; studies need tabular or image data."
        )
    X = dataset.X
    if not isinstance(X, pd.DataFrame):
        return np.asarray(X, dtype=np.float64), np.asarray(dataset.y)
    converted = _CONVERTED.get()
    if converted is None:
        return _frame_to_numeric(X), np.asarray(dataset.y)
    held = converted.get(id(dataset))
    if held is None or held[0] is not dataset:  # the dataset object is kept: its id stays its own
        held = converted[id(dataset)] = (dataset, _frame_to_numeric(X))
    return held[1].copy(), np.asarray(dataset.y)


def _frame_to_numeric(X: pd.DataFrame) -> np.ndarray:
    blocks = []
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_bool_dtype(col.dtype):
            blocks.append(col.astype("float64").to_numpy()[:, None])
        elif pd.api.types.is_numeric_dtype(col.dtype):
            blocks.append(col.astype("float64").to_numpy(na_value=np.nan)[:, None])
        else:
            cats = col.astype("category")
            onehot = pd.get_dummies(cats, dtype=np.float64).to_numpy(copy=True)
            onehot[cats.isna().to_numpy()] = np.nan
            blocks.append(onehot)
    return np.hstack(blocks)


def numeric_names(dataset) -> list[str]:
    """The name of each column :func:`numeric` makes: ``"col"``, or ``"col=category"`` for the
    one-hot columns of a categorical column; ``dataset.feature_names`` (else ``x0, x1, ...``)
    for an array.

    Examples
    --------
    >>> from gdlab.data import load
    >>> names = numeric_names(load("penguins"))
    >>> len(names) == numeric(load("penguins"))[0].shape[1], names[0]
    (True, 'island=Biscoe')
    """
    X = dataset.X
    if not isinstance(X, pd.DataFrame):
        n = np.asarray(X).shape[1] if np.asarray(X).ndim == 2 else 1
        given = list(dataset.feature_names or ())
        return [str(v) for v in given] if len(given) == n else [f"x{j}" for j in range(n)]
    names = []
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_bool_dtype(col.dtype) or pd.api.types.is_numeric_dtype(col.dtype):
            names.append(str(name))
        else:
            names += [f"{name}={c}" for c in col.astype("category").cat.categories]
    return names


def onehot_groups(dataset) -> list[list[int]]:
    """Positions, in the :func:`numeric` matrix, of each categorical column's indicators.

    One list per category, object, string or bool column of a DataFrame
    (a bool column is one 0/1 position); empty for an array or an all-numeric
    frame. A model that types its columns reads them through
    :class:`gdlab.models.onehot.OneHotColumns` (:func:`model_for`).

    Examples
    --------
    >>> from gdlab.data import load
    >>> onehot_groups(load("penguins"))[:2]
    [[0, 1, 2], [7, 8]]
    """
    X = dataset.X
    if not isinstance(X, pd.DataFrame):
        return []
    groups, start = [], 0
    for name in X.columns:
        col = X[name]
        if pd.api.types.is_bool_dtype(col.dtype):
            groups.append([start])
            width = 1
        elif pd.api.types.is_numeric_dtype(col.dtype):
            width = 1
        else:
            width = len(col.astype("category").cat.categories)
            groups.append(list(range(start, start + width)))
        start += width
    return groups


def model_for(name: str, dataset):
    """A fresh registered model, ready for :func:`inputs` of ``dataset``.

    ``make(name)``, except that a model meant for tabular data with
    categorical columns (its registry ``modality`` holds both ``"tabular"``
    and ``"categorical"``, e.g. ``mixed-nb``) on a table with categorical or
    bool columns is wrapped in :class:`gdlab.models.onehot.OneHotColumns`: it
    models each such column as one categorical variable instead of its 0/1
    indicators, and its samples come back as indicators, like everyone's data.

    Examples
    --------
    >>> from gdlab.data import load
    >>> type(model_for("mixed-nb", load("penguins"))).__name__
    'OneHotColumns'
    >>> type(model_for("mixed-nb", load("iris"))).__name__
    'MixedNB'
    """
    from gdlab.models.registry import make, spec

    model = make(name)
    modality = spec(name).modality
    if "tabular" in modality and "categorical" in modality:
        groups = onehot_groups(dataset)
        if groups:
            from gdlab.models.onehot import OneHotColumns

            return OneHotColumns(model, groups=groups)
    return model


def inputs(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs and labels of any dataset, indexable by row numbers.

    Parameters
    ----------
    dataset : gdlab.data.Dataset

    Returns
    -------
    X : ndarray
        Tabular and image data: :func:`numeric`. Sequence data: a 1-D object
        array of per-sequence float arrays (split by ``metadata["lengths"]``).
        Text: a 1-D object array of str.
    y : ndarray of shape (n_items,)

    Examples
    --------
    >>> from gdlab.data import Dataset
    >>> import pandas as pd
    >>> ds = Dataset(name="t", X=pd.DataFrame({"text": ["ab", "c"]}), y=np.array([0, 1]),
    ...              class_names=("a", "b"), description="", source="", modality="text")
    >>> inputs(ds)[0].tolist()
    ['ab', 'c']
    """
    kind = modality_input_kind(dataset.modality)  # raises for an unknown modality
    if kind == "tabular":
        return numeric(dataset)
    y = np.asarray(dataset.y)
    if kind == "sequence":
        from gdlab.data.sequences import check_lengths, split_sequences

        X = np.asarray(dataset.X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        seqs = split_sequences(X, check_lengths(X, dataset.metadata.get("lengths")))
        out = np.empty(len(seqs), dtype=object)
        out[:] = seqs
        return out, y
    # kind == "text"
    X = dataset.X
    col = X.iloc[:, 0] if isinstance(X, pd.DataFrame) else pd.Series(list(X))
    if col.isna().any():
        raise ValueError(f"dataset {dataset.name!r} has {int(col.isna().sum())} missing "
                         "texts; drop or fill them first.")
    out = np.empty(len(col), dtype=object)
    out[:] = col.astype(str).tolist()
    return out, y
