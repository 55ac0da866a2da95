"""Datasets that ship with the installed packages (no network).

:func:`load` returns a :class:`Dataset`; :func:`available` lists the names.
For now these are scikit-learn's bundled sets.

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

__all__ = ["Dataset", "load", "available"]


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset.

    Parameters
    ----------
    name : str
    X : ndarray or DataFrame of shape (n_samples, n_features)
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


_SKLEARN = {
    "iris": ("load_iris", "Fisher's iris: 4 flower measurements, 3 species"),
    "wine": ("load_wine", "UCI wine: 13 chemical measurements, 3 cultivars"),
    "breast_cancer": (
        "load_breast_cancer",
        "Wisconsin diagnostic breast cancer: 30 cell-nucleus features, malignant vs benign",
    ),
    "digits": ("load_digits", "Handwritten digits: 8x8 images (64 pixel counts 0-16), 10 classes"),
}


def available() -> list[str]:
    """Names accepted by :func:`load`.

    Returns
    -------
    list of str
    """
    return sorted(_SKLEARN)


def load(name: str) -> Dataset:
    """Load a dataset by name.

    Parameters
    ----------
    name : str
        One of :func:`available`.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    if not isinstance(name, str) or name not in _SKLEARN:
        raise ValueError(f"unknown dataset {name!r}; available: {', '.join(available())}.")
    import sklearn.datasets

    loader, description = _SKLEARN[name]
    bunch = getattr(sklearn.datasets, loader)()
    return Dataset(
        name=name,
        X=np.asarray(bunch.data, dtype=np.float64),
        y=np.asarray(bunch.target),
        class_names=tuple(str(c) for c in bunch.target_names),
        description=description,
        source=f"scikit-learn (sklearn.datasets.{loader})",
        feature_names=tuple(str(f) for f in getattr(bunch, "feature_names", ())),
    )
