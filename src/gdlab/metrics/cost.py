"""What a model costs: peak memory of a call and the size of a fitted model.

Examples
--------
>>> import numpy as np
>>> result, peak = peak_memory(np.zeros, 1_000_000)  # 8 MB of float64
>>> 7.9e6 < peak < 8.5e6
True
"""

from __future__ import annotations

import numbers
import sys
import tracemalloc
from collections.abc import Callable, Mapping

import numpy as np

__all__ = ["peak_memory", "n_parameters"]


def peak_memory(fn: Callable, *args, **kwargs) -> tuple[object, int]:
    """Call ``fn(*args, **kwargs)`` and measure the peak memory it allocated.

    Uses :mod:`tracemalloc`, which sees allocations made through Python's and
    NumPy's allocators (NumPy reports its data buffers to tracemalloc); memory
    allocated natively by other libraries (BLAS workspaces, OpenMP threads,
    PyTorch tensors) is not counted, nor is memory of other processes. The
    peak is relative to what was allocated when the call started. Tracing
    slows Python-heavy code, so time a call separately from measuring it.
    If tracemalloc is already tracing, it is left running (its peak is reset).

    Parameters
    ----------
    fn : callable
    *args, **kwargs
        Passed to ``fn``.

    Returns
    -------
    result : object
        What ``fn`` returned.
    peak_bytes : int
        Peak traced memory during the call, in bytes, above the starting level.
    """
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if started:
            tracemalloc.stop()
    return result, max(int(peak - base), 0)


def _array_size(value) -> int | None:
    """Elements of a numeric NumPy array or torch tensor, None for anything else.

    A structured array counts every field of every record.
    """
    if isinstance(value, np.ndarray):
        if value.dtype.fields is not None:
            return int(value.size * len(value.dtype.fields))
        if value.dtype.kind in "biufc":
            return int(value.size)
        return None
    numel = getattr(value, "numel", None)  # torch.Tensor without importing torch
    if callable(numel) and type(value).__module__.startswith("torch"):
        return int(numel())
    return None


#: Private attributes that hold a fitted model's learned state in scikit-learn
#: estimators (whose public fitted attributes do not include it).
_PRIVATE_STATE = ("_predictors",)  # HistGradientBoosting's trees


def n_parameters(estimator) -> int:
    """Number of learned values of a fitted estimator.

    Counts the elements of every numeric NumPy array and torch tensor reached
    from the estimator's fitted attributes, i.e. its public attributes whose
    names end with ``"_"`` (``theta_``, ``coef_``, ``classes_``,
    ``class_prior_``...), plus HistGradientBoosting's ``_predictors``.
    Scalars (``n_features_in_``, ``epsilon_``) do not count. The search goes
    on recursively into

    - torch modules (the ``module_`` of gdlab's networks): their parameters
      (not buffers such as batch-norm running statistics),

    - lists, tuples, dicts and object arrays (``estimators_`` of a forest),
    - estimators found there or among the constructor parameters
      (Pipeline ``steps``, the fitted copies inside meta-estimators such as
      ``calibrated_classifiers_``; an unfitted template estimator adds 0),
    - other objects' state (``__dict__``, or ``__getstate__()`` for extension
      types such as scikit-learn's ``Tree``, whose node records count once
      per field and node).

    Each object is counted once, however often it is referenced. The count
    is a size, not degrees of freedom: redundant arrays (``var_`` and
    ``scale_`` of a StandardScaler) both count.

    Parameters
    ----------
    estimator : fitted estimator

    Returns
    -------
    int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.2]]), np.array([0, 1, 1])
    >>> # coef_ 2 + intercept_ 1 + classes_ 2 + n_iter_ 1
    >>> n_parameters(LogisticRegression().fit(X, y))
    6
    """
    seen: dict[int, object] = {}  # id -> object, kept alive so ids are not reused
    return _count(estimator, seen)


def _is_torch_module(obj) -> bool:
    torch = sys.modules.get("torch")  # loaded already if obj can be a torch module
    return torch is not None and isinstance(obj, torch.nn.Module)


def _is_estimator(obj) -> bool:
    return hasattr(obj, "get_params") and hasattr(obj, "fit")


def _fitted_items(obj) -> list:
    try:
        state = vars(obj)
    except TypeError:
        return []
    return [v for k, v in state.items()
            if (k.endswith("_") and not k.startswith("_")) or k in _PRIVATE_STATE]


def _count(obj, seen: dict[int, object]) -> int:
    if obj is None or isinstance(obj, (str, bytes, numbers.Number, type)):
        return 0
    if id(obj) in seen:
        return 0
    seen[id(obj)] = obj
    size = _array_size(obj)
    if size is not None:
        return size
    if isinstance(obj, np.ndarray):  # object arrays (strings, estimators)
        return sum(_count(v, seen) for v in obj.ravel()) if obj.dtype.kind == "O" else 0
    if isinstance(obj, Mapping):
        return sum(_count(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple, set, frozenset)):
        return sum(_count(v, seen) for v in obj)
    if _is_torch_module(obj):  # a network (``module_``): its parameters, each once
        return sum(_count(p, seen) for p in obj.parameters())
    if _is_estimator(obj):
        total = sum(_count(v, seen) for v in _fitted_items(obj))
        try:
            params = obj.get_params(deep=False)
        except Exception:  # noqa: BLE001 - a broken get_params only hides sub-estimators
            params = {}
        for v in params.values():
            if _is_estimator(v) or isinstance(v, (list, tuple)):
                total += _count(v, seen)
        return total
    if callable(obj):
        return 0
    # another object: a fitted component such as a Tree or a TreePredictor
    try:
        state = vars(obj)
    except TypeError:
        getstate = getattr(obj, "__getstate__", None)
        try:
            state = getstate() if callable(getstate) else None
        except Exception:  # noqa: BLE001
            state = None
    if isinstance(state, Mapping):
        return sum(_count(v, seen) for k, v in state.items() if not str(k).startswith("__"))
    return 0
