"""Turn a :class:`gdlab.data.Dataset` into the float matrix every study fits on.

One place decides how tabular columns become numbers, so every study and
every model sees the same matrix: numbers stay as they are, ``bool`` columns
become 0/1, category/object/string columns are one-hot encoded (a missing
value is NaN in all of that column's indicator columns, so it stays missing
rather than becoming its own category). NaN is kept everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["numeric"]


def numeric(dataset) -> tuple[np.ndarray, np.ndarray]:
    """Float features and integer labels of a tabular or image dataset.

    Parameters
    ----------
    dataset : gdlab.data.Dataset
        ``modality`` must be "tabular" or "image".

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
    if dataset.modality not in ("tabular", "image"):
        raise ValueError(
            f"dataset {dataset.name!r} is {dataset.modality}; studies need tabular or image data."
        )
    X = dataset.X
    if not isinstance(X, pd.DataFrame):
        return np.asarray(X, dtype=np.float64), np.asarray(dataset.y)
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
    return np.hstack(blocks), np.asarray(dataset.y)
