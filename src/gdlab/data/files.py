"""Your own data as a Dataset: CSV and Parquet tables, folders of images.

Tables keep a DataFrame of features with real dtypes: numbers stay numeric
(missing values as NaN), ``yes``/``no`` columns become ``bool``, and other
text columns become ``category``. The target column becomes integer codes
into ``class_names`` (sorted unique values).

**The mostly-numeric rule (CSV).** A text column in which more than half of
the non-missing values parse as numbers is taken to be a numeric column with
bad entries, and loading raises ``ValueError`` naming the column, how many
values fail and an example — instead of silently turning a numeric feature
into a category. If the bad entries are missing-value markers (``?``, ``-``),
pass them as ``na_values=[...]``; otherwise fix the file, or pass
``dtype={column: str}`` to keep the column categorical.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
>>> _ = path.write_text("size,colour,label\\n1.5,red,a\\n2.0,blue,b\\n,red,a\\n")
>>> ds = load_csv(path, target="label")
>>> ds.X.dtypes.astype(str).tolist(), ds.y.tolist(), ds.class_names
(['float64', 'category'], [0, 1, 0], ('a', 'b'))
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.data.registry import codes, make_dataset

__all__ = ["load_csv", "load_parquet", "from_frame", "load_image_folder", "IMAGE_SUFFIXES"]

#: File suffixes :func:`load_image_folder` reads (other files are ignored).
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm",
                  ".ppm", ".pbm")


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series)


def _check_mostly_numeric(frame: pd.DataFrame, columns) -> None:
    for col in columns:
        series = frame[col]
        if not _is_text(series):
            continue
        present = series.dropna()
        if present.empty:
            continue
        parsed = pd.to_numeric(present, errors="coerce")
        ok = parsed.notna()
        if ok.sum() * 2 > len(present) and not ok.all():
            bad = present[~ok]
            raise ValueError(
                f"column {col!r} is mostly numeric ({int(ok.sum())} of {len(present)} values) "
                f"but {len(bad)} value(s) do not parse as numbers, e.g. {bad.iloc[0]!r} (row "
                f"{bad.index[0]}). If they mark missing values pass na_values=[{bad.iloc[0]!r}]; "
                f"to keep the column as text pass dtype={{{col!r}: str}}."
            )


def from_frame(frame: pd.DataFrame, target: str, *, name: str = "data", source: str = ""):
    """A Dataset from a DataFrame with a target column.

    Parameters
    ----------
    frame : pandas.DataFrame
    target : str
        The column holding the class labels.
    name : str, default="data"
    source : str, default=""

    Returns
    -------
    Dataset
        ``X`` the other columns (text columns as ``category``, yes/no as
        ``bool``), ``y`` integer codes into ``class_names`` (sorted labels).

    Raises
    ------
    ValueError
        For no rows, a missing target column (the message lists the
        columns), missing target values, a target with fewer than two
        classes, or no feature columns.
    """
    if frame.shape[0] == 0:
        raise ValueError(f"{name}: the table has no rows (columns: {list(frame.columns)}).")
    if target not in frame.columns:
        raise ValueError(
            f"{name}: no target column {target!r}; available columns: "
            f"{', '.join(map(str, frame.columns))}."
        )
    labels = frame[target]
    if labels.isna().any():
        rows = labels.index[labels.isna()].tolist()
        raise ValueError(
            f"{name}: target column {target!r} has {len(rows)} missing value(s), first at row "
            f"{rows[0]}; drop or fill those rows first."
        )
    n_classes = labels.nunique()
    if n_classes < 2:
        raise ValueError(
            f"{name}: target column {target!r} has only one class "
            f"({labels.iloc[0]!r}); a classifier needs at least 2."
        )
    X = frame.drop(columns=[target]).reset_index(drop=True)
    if X.shape[1] == 0:
        raise ValueError(f"{name}: no feature columns besides the target {target!r}.")
    for col in X.columns:
        if _is_text(X[col]):
            values = {str(v).lower() for v in X[col].dropna().unique()}
            if values and values <= {"yes", "no"} and not X[col].isna().any():
                X[col] = X[col].astype(str).str.lower().eq("yes")
            else:
                X[col] = X[col].astype("category")
    uniques = pd.unique(labels)
    try:
        order = sorted(uniques)
    except TypeError:
        order = sorted(uniques, key=str)
    y, class_names = codes(labels.to_numpy(), order)
    return make_dataset(
        name=name, X=X, y=y, class_names=class_names,
        description=f"{name}: {X.shape[1]} features, target {target!r}", source=source,
        feature_names=tuple(map(str, X.columns)), modality="tabular",
        metadata={"target": target},
    )


def load_csv(path, *, target: str, **read_csv_kwargs):
    """Load a CSV file with a class column as a Dataset.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the column holding the class labels.
    **read_csv_kwargs
        Passed to :func:`pandas.read_csv` (``sep``, ``na_values``, ``dtype``, ...).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For an empty file, a missing target column, a target with one class
        or missing values, or a mostly-numeric column with unparseable
        values (see the module docstring for the rule).
    FileNotFoundError
        When ``path`` does not exist.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, **read_csv_kwargs)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{str(path)!r} is empty: expected a header row and data.") from None
    except pd.errors.ParserError as err:
        raise ValueError(f"cannot parse {str(path)!r} as CSV: {err}") from None
    explicit = read_csv_kwargs.get("dtype")
    explicit = set(explicit) if isinstance(explicit, dict) else set()
    _check_mostly_numeric(frame, [c for c in frame.columns if c != target and c not in explicit])
    return from_frame(frame, target, name=path.stem, source=str(path))


def load_parquet(path, *, target: str, columns=None):
    """Load a Parquet file with a class column as a Dataset.

    Parameters
    ----------
    path : str or Path
    target : str
        Name of the column holding the class labels.
    columns : list of str, optional
        Read only these columns (the target is added if missing).

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        For no rows, a missing target column, a target with one class or
        missing values.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.parquet"
    >>> pd.DataFrame({"x": [0.1, 0.2, 0.3], "y": ["a", "b", "a"]}).to_parquet(path)
    >>> load_parquet(path, target="y").class_names
    ('a', 'b')
    """
    path = Path(path)
    if columns is not None and target not in columns:
        columns = [*columns, target]
    frame = pd.read_parquet(path, columns=columns)
    return from_frame(frame, target, name=path.stem, source=str(path))


def load_image_folder(path, *, size=None, grayscale: bool = True):
    """Images from a folder with one subfolder per class.

    Parameters
    ----------
    path : str or Path
        ``path/<class>/<image>``; classes are the subfolder names, sorted,
        and images are read in sorted file order. Files whose suffix is not
        in :data:`IMAGE_SUFFIXES` are ignored.
    size : int or (height, width), optional
        Resize every image to this size. Without it all images must already
        share one size.
    grayscale : bool, default=True
        Convert to 8-bit grey; otherwise to RGB (channels last).

    Returns
    -------
    Dataset
        ``modality="image"``; ``X`` of shape (n_images, height * width) (times
        3 for RGB), float64 in [0, 1]; ``metadata["image_shape"]`` the shape
        to reshape one row to, ``metadata["files"]`` the paths relative to
        ``path``.

    Raises
    ------
    ValueError
        If ``path`` is not a directory, has no class subfolders, no images or
        a class subfolder without images,
        an image cannot be read (naming the file), or images differ in size
        without ``size``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from PIL import Image
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for label, shade in [("dark", 0), ("light", 255)]:
    ...     (root / label).mkdir()
    ...     Image.new("L", (3, 2), shade).save(root / label / "0.png")
    >>> ds = load_image_folder(root)
    >>> ds.X.shape, ds.metadata["image_shape"], ds.X.max(axis=1).tolist()
    ((2, 6), (2, 3), [0.0, 1.0])
    """
    from PIL import Image, UnidentifiedImageError

    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{str(root)!r} is not a directory.")
    if size is not None:
        if isinstance(size, int | np.integer):
            size = (int(size), int(size))
        size = tuple(int(s) for s in size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f"size must be a positive int or (height, width), got {size!r}.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"{str(root)!r} has no class subfolders: expected {root}/<class>/<image>.png."
        )
    rows, labels, files, shape = [], [], [], None
    for label in classes:
        for file in sorted((root / label).iterdir()):
            if not file.is_file() or file.suffix.lower() not in IMAGE_SUFFIXES:
                continue
            try:
                with Image.open(file) as img:
                    img = img.convert("L" if grayscale else "RGB")
                    if size is not None:
                        img = img.resize((size[1], size[0]))
                    pixels = np.asarray(img, dtype=np.float64) / 255.0
            except (UnidentifiedImageError, OSError) as err:
                raise ValueError(f"cannot read image {str(file)!r}: {err}") from None
            if shape is None:
                shape = pixels.shape
            elif pixels.shape != shape:
                raise ValueError(
                    f"image {str(file)!r} has shape {pixels.shape}, but earlier ones have "
                    f"{shape}; pass size=(height, width) to resize them all."
                )
            rows.append(pixels.ravel())
            labels.append(label)
            files.append(str(file.relative_to(root)))
    if not rows:
        raise ValueError(
            f"no images ({', '.join(IMAGE_SUFFIXES)}) in the class subfolders of {str(root)!r}."
        )
    empty = sorted(set(classes) - set(labels))
    if empty:
        raise ValueError(f"class folder(s) {empty} under {str(root)!r} hold no images.")
    y, class_names = codes(labels, classes)
    return make_dataset(
        name=root.name, X=np.vstack(rows), y=y, class_names=class_names,
        description=f"Images from {root}", source=str(root), modality="image",
        metadata={"image_shape": tuple(shape), "files": np.asarray(files)},
    )
