"""The dataset registry: names, loaders, and the table :func:`available` shows.

A loader is a zero-argument-capable callable returning a
:class:`~gdlab.data.Dataset`; keyword arguments given to :func:`load` are
passed through. Loaders are imported lazily, so a dataset whose module or
Debian files are missing fails only when it is loaded.

Examples
--------
>>> from gdlab.data import load
>>> load("iris").modality
'tabular'
>>> load("irsi")
Traceback (most recent call last):
...
ValueError: unknown dataset 'irsi'; did you mean 'iris'? ...
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gdlab.capability_tags import DATA_KINDS

__all__ = ["MODALITIES", "DatasetUnavailable", "register", "load", "available", "entry"]

#: The values ``Dataset.modality`` may take (:data:`gdlab.capability_tags.DATA_KINDS`, the
#: vocabulary models' input kinds share).
MODALITIES = DATA_KINDS

#: Columns of the table :func:`available` returns.
COLUMNS = ("name", "modality", "n_samples", "n_features", "n_classes", "source", "description")


def make_dataset(**kwargs):
    """A :class:`gdlab.data.Dataset` of ``kwargs``, for the loaders.

    ``Dataset`` is imported when called: :mod:`gdlab.data` imports the loader
    modules before it defines it.
    """
    from gdlab.data import Dataset

    return Dataset(**kwargs)


class DatasetUnavailable(ValueError):
    """A registered dataset whose files are not installed (e.g. Debian packages)."""


@dataclass(frozen=True)
class Entry:
    """One registered dataset."""

    name: str
    loader: Callable
    modality: str
    description: str
    source: str


_REGISTRY: dict[str, Entry] = {}
_SIZES: dict[str, tuple[int, int, int]] = {}  # name -> (n_samples, n_features, n_classes)


def register(
    name: str,
    loader: Callable,
    *,
    modality: str,
    description: str,
    source: str,
    replace: bool = False,
) -> None:
    """Make ``load(name)`` call ``loader``.

    Parameters
    ----------
    name : str
        The dataset name; must not be registered already unless ``replace``.
    loader : callable
        ``loader(**kwargs)`` returns a :class:`~gdlab.data.Dataset`. It is
        called only when the dataset is loaded.
    modality : {"tabular", "image", "text", "sequence"}
    description : str
        One line, shown by ``gdlab datasets``.
    source : str
        Where the data comes from (the citation to give).
    replace : bool, default=False
        Allow replacing an existing entry.

    Raises
    ------
    ValueError
        For a name already registered, a bad modality, or a multi-line
        description.
    TypeError
        When ``loader`` is not callable.

    Examples
    --------
    >>> import functools
    >>> import numpy as np
    >>> from gdlab.data import Dataset, register, load
    >>> tiny = functools.partial(Dataset, name="tiny-example", X=np.eye(2), y=np.array([0, 1]),
    ...                          class_names=("a", "b"), description="two points", source="made up")
    >>> register("tiny-example", tiny, modality="tabular", description="two points",
    ...          source="made up", replace=True)
    >>> load("tiny-example").X.shape
    (2, 2)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty string, got {name!r}.")
    if name in _REGISTRY and not replace:
        raise ValueError(f"dataset {name!r} is already registered; pass replace=True.")
    if not callable(loader):
        raise TypeError(f"loader must be callable, got {type(loader).__name__}.")
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}.")
    if "\n" in description:
        raise ValueError("description must be one line.")
    _REGISTRY[name] = Entry(name, loader, modality, description, source)
    _SIZES.pop(name, None)


def entry(name: str) -> Entry:
    """The registry entry for ``name``; unknown names raise ``ValueError``."""
    if not isinstance(name, str) or name not in _REGISTRY:
        close = difflib.get_close_matches(str(name), list(_REGISTRY), n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
        raise ValueError(
            f"unknown dataset {name!r}; {hint}available: {', '.join(sorted(_REGISTRY))}."
        )
    return _REGISTRY[name]


def load(name: str, **kwargs):
    """Load a registered dataset by name.

    Parameters
    ----------
    name : str
        One of ``available().name``.
    **kwargs
        Passed to the dataset's loader (e.g. ``random_state`` for synthetic sets).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown name (the message suggests close names and lists all),
        or a dataset whose files are not installed (:class:`DatasetUnavailable`,
        naming what to install).
    """
    e = entry(name)
    ds = e.loader(**kwargs)
    if not kwargs and name not in _SIZES:
        _SIZES[name] = _size(ds)
    return ds


def _size(ds) -> tuple[int, int, int]:
    n_samples = len(ds.y)
    n_features = ds.X.shape[1] if getattr(ds.X, "ndim", 2) == 2 else 1
    return n_samples, int(n_features), len(ds.class_names)


def available() -> pd.DataFrame:
    """The registered datasets with their sizes, as ``gdlab datasets`` shows them.

    Sizes come from loading each dataset once per process (cached). A text
    set whose Debian files are not installed is listed with missing (NA)
    sizes instead of failing; so is any dataset whose loader raises
    :class:`DatasetUnavailable`.

    Returns
    -------
    pandas.DataFrame
        One row per dataset, sorted by name, with columns ``name``,
        ``modality``, ``n_samples``, ``n_features``, ``n_classes`` (nullable
        integers), ``source`` and ``description``.

    Examples
    --------
    >>> from gdlab.data import available
    >>> iris = available().set_index("name").loc["iris"]
    >>> iris.modality, int(iris.n_samples), int(iris.n_features), int(iris.n_classes)
    ('tabular', 150, 4, 3)
    """
    rows = []
    for name in sorted(_REGISTRY):
        e = _REGISTRY[name]
        if name not in _SIZES:
            with contextlib.suppress(DatasetUnavailable, ImportError):
                load(name)  # not installed (e.g. Debian fortunes): its sizes stay NA
        size = _SIZES.get(name, (pd.NA, pd.NA, pd.NA))
        rows.append((name, e.modality, *size, e.source, e.description))
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    for col in ("n_samples", "n_features", "n_classes"):
        table[col] = table[col].astype("Int64")
    return table


def names() -> list[str]:
    """Registered dataset names, sorted (without loading anything)."""
    return sorted(_REGISTRY)


def codes(values, categories=None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer class codes and class names for a label column.

    Parameters
    ----------
    values : array-like of shape (n_samples,)
    categories : sequence, optional
        The class order; default is sorted unique values.

    Returns
    -------
    y : ndarray of shape (n_samples,), int64
    class_names : tuple of str
    """
    cat = pd.Categorical(values, categories=categories)
    if (cat.codes < 0).any():
        unknown = sorted(set(pd.Series(values)[cat.codes < 0].dropna().astype(str)))
        raise ValueError(f"labels {unknown} are not among the categories {list(categories)}.")
    return cat.codes.astype(np.int64), tuple(str(c) for c in cat.categories)
