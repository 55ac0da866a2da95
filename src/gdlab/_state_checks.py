"""The building blocks of the load checks: one attribute of a loaded model at a time.

What lives here: :class:`Malformed` (a violation, with the path of the object and what
kind of model it is; :func:`gdlab._load_checks.check_loaded_model` turns it into the
``ValueError`` users see) and the checks of a single fitted attribute that the
compiled code of scikit-learn reads: an integer, a typed C-contiguous array of a
shape, finite values, a CSR matrix whose offsets index its values, a finite number.
Who uses it: :mod:`gdlab._tree_checks` (trees, forests, gradient boosting) and
:mod:`gdlab._load_checks` (libsvm, k-means, nearest neighbors, and the walk over a
loaded model).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "Malformed",
    "is_int",
    "int_attribute",
    "FLOATS",
    "FLOAT64",
    "INT32",
    "describe",
    "is_sparse",
    "dense",
    "expect_shape",
    "expect_finite",
    "check_csr",
    "real_number",
]


class Malformed(Exception):
    """A violation found by a check; :func:`gdlab._load_checks.check_loaded_model` adds the
    file name.

    ``kind`` names what is malformed in the message ("a malformed tree").
    """

    def __init__(self, path: str, message: str, kind: str = "tree"):
        super().__init__(path, message)
        self.path, self.message, self.kind = path, message, kind


def is_int(value) -> bool:
    """Whether ``value`` is a Python or numpy integer (bools are not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def int_attribute(obj, name: str, path: str, minimum: int = 1, kind: str = "tree") -> int:
    """The instance attribute ``name`` of ``obj``, which must be an integer >= ``minimum``."""
    value = vars(obj).get(name)
    if not is_int(value) or value < minimum:
        raise Malformed(path, f"{name} is {value!r}; expected an integer >= {minimum}", kind)
    return int(value)


#: The dtypes compiled code takes: floats of either width, float64, int32.
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
FLOAT64 = (np.dtype(np.float64),)
INT32 = (np.dtype(np.int32),)


def describe(value) -> str:
    """``float64 of shape (3, 2)`` for an array or sparse matrix, else the type's name."""
    if isinstance(value, np.ndarray) or is_sparse(value):
        return f"{value.dtype} of shape {value.shape}"
    return type(value).__name__


def is_sparse(value) -> bool:
    """Whether ``value`` is a scipy.sparse matrix or array."""
    import scipy.sparse as sparse

    return sparse.issparse(value)


def dense(value, name: str, path: str, kind: str, dtypes, ndim: int) -> np.ndarray:
    """``value`` when it is a C-contiguous ndarray of one of ``dtypes`` with ``ndim`` axes.

    The compiled code takes typed, C-contiguous buffers of these dtypes.
    """
    if not isinstance(value, np.ndarray) or value.dtype not in dtypes \
            or value.ndim != ndim or not value.flags.c_contiguous:
        expected = " or ".join(str(d) for d in dtypes)
        raise Malformed(
            path, f"{name} is {describe(value)}; expected {expected}, {ndim}-D, C-contiguous",
            kind,
        )
    return value


def expect_shape(value, name: str, path: str, kind: str, *shapes) -> None:
    """Refuse an array whose shape is none of ``shapes``."""
    if value.shape not in shapes:
        raise Malformed(
            path, f"{name} has shape {value.shape}; expected "
            f"{' or '.join(str(shape) for shape in shapes)}", kind
        )


def expect_finite(value, name: str, path: str, kind: str) -> None:
    """Refuse an array holding NaN or an infinity."""
    if not np.isfinite(value).all():
        raise Malformed(path, f"{name} holds values that are not finite", kind)


def check_csr(matrix, name: str, shape, path: str, kind: str, data_dtypes=FLOAT64,
               index_dtypes=INT32) -> None:
    """A CSR matrix of ``shape`` whose row offsets and columns index its stored values.

    Compiled code converts each row ``i`` to ``indptr[i + 1] - indptr[i]`` values read
    from ``data`` and ``indices`` (a negative count writes before its buffer).
    """
    if not is_sparse(matrix) or matrix.format != "csr":
        raise Malformed(path, f"{name} is {describe(matrix)} ({type(matrix).__name__}); "
                               "expected a CSR sparse matrix", kind)
    if matrix.shape != shape:
        raise Malformed(path, f"{name} has shape {matrix.shape}; expected {shape}", kind)
    for part, dtypes in (("data", data_dtypes), ("indices", index_dtypes),
                         ("indptr", index_dtypes)):
        dense(getattr(matrix, part), f"{name}.{part}", path, kind, dtypes, 1)
    data, indices, indptr = matrix.data, matrix.indices, matrix.indptr
    if len(indptr) != shape[0] + 1 or len(indices) != len(data) or indptr[0] != 0 \
            or indptr[-1] != len(data) or (np.diff(indptr) < 0).any():
        raise Malformed(
            path, f"{name} has indptr {indptr.tolist()[:8]}{'...' if len(indptr) > 8 else ''} "
            f"({len(indptr)} offsets) for {len(data)} stored values and {len(indices)} "
            f"column indices; expected {shape[0] + 1} non-decreasing offsets from 0 to "
            f"{len(data)}", kind
        )
    if indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
        column = indices.min() if indices.min() < 0 else indices.max()
        raise Malformed(
            path, f"{name} holds column {int(column)}; expected columns in [0, {shape[1]})", kind
        )


def real_number(value, name: str, path: str, kind: str, minimum=None) -> float:
    """``value`` as a float when it is a finite real number (not a bool) >= ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)) \
            or not np.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise Malformed(path, f"{name} is {value!r}; expected a finite number{bound}", kind)
    return float(value)
