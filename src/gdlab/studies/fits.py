"""Fits shared between the cells of a run: fit a model once per (model, training rows).

Studies often fit the very same model on the very same rows: with the default
settings the largest learning-curve size, the calibration, OOD (noise and
low-contrast), cost and every missing-data rate of a seed train on the same
sorted training part of the same split (each study derives its split from the
cell seed with :func:`gdlab.studies._common.derived_seeds`, whose first seed
does not depend on how many are drawn). A :class:`FitCache` lets those cells
share one fit: :func:`gdlab.studies._common.fit_timed` asks the cache that is
active (:func:`sharing`) before it fits, and a model it has seen fitted on the
same rows is restored from a copy instead of fitted again.

The key is what decides the fit, not what a study says about it: a hash of
the unfitted model's pickle (its class, parameters and any other state, the
seed included) and of the exact rows and labels handed to ``fit`` (values,
dtype, shape and order). Two fits with one key see the same input, so a
deterministic model gives the same fitted state; every result row is the same
with and without sharing (``tests/studies/test_fits.py``). A model that cannot
be pickled, or whose input cannot be hashed, is simply fitted each time.

Each user gets its own copy (unpickled from the stored bytes), so predicting
with one copy never changes another's state, and the rows report the seconds
the one real fit took. The cache holds at most ``max_bytes`` of pickled
models (least recently used first out), and lives only as long as the
runner's group of cells (:func:`gdlab.studies.runner.run` runs the cells of
one (dataset, model, seed) together in one worker, with a fresh cache): no
state outlives a run or leaks between runs.

Examples
--------
>>> import numpy as np
>>> from sklearn.linear_model import LogisticRegression
>>> from gdlab.studies._common import fit_timed
>>> X, y = np.arange(20.0).reshape(10, 2), np.array([0, 1] * 5)
>>> cache = FitCache()
>>> with sharing(cache):
...     a, b = LogisticRegression(), LogisticRegression()
...     _ = fit_timed(a, X, y)
...     _ = fit_timed(b, X, y)          # restored, not fitted
...     _ = fit_timed(LogisticRegression(C=0.5), X, y)
>>> cache.fits, cache.shared, bool((a.coef_ == b.coef_).all())
(2, 1, True)
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

__all__ = ["FitCache", "sharing", "active", "share_fits_default", "MAX_BYTES", "ENV_VAR"]

#: Default bound of one cache: pickled fitted models beyond it are dropped, oldest use first.
MAX_BYTES = 256 * 2**20

#: Environment variable read by :func:`share_fits_default`: ``0`` / ``false`` / ``no`` / ``off``
#: turns sharing off (every cell fits its own model, as before sharing existed).
ENV_VAR = "GDLAB_SHARE_FITS"

_ACTIVE: ContextVar[FitCache | None] = ContextVar("gdlab_fit_cache", default=None)


def share_fits_default() -> bool:
    """Whether runs share fits when not told: yes, unless :data:`ENV_VAR` says ``0``.

    Examples
    --------
    >>> import os
    >>> os.environ.pop(ENV_VAR, None) and None
    >>> share_fits_default()
    True
    """
    value = os.environ.get(ENV_VAR, "").strip().lower()
    if value in ("", "1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{ENV_VAR} must be 1/true/yes/on or 0/false/no/off, got {value!r}.")


def active() -> FitCache | None:
    """The cache :func:`sharing` made active in this context, or None (every fit is fresh)."""
    return _ACTIVE.get()


@contextmanager
def sharing(cache: FitCache | None) -> Iterator[FitCache | None]:
    """Make ``cache`` the one :func:`gdlab.studies._common.fit_timed` uses inside the block.

    ``None`` turns sharing off inside the block. The previous cache (normally
    none) is active again afterwards, also when the block raises.
    """
    if cache is not None and not isinstance(cache, FitCache):
        raise TypeError(f"cache must be a FitCache or None, got {type(cache).__name__}.")
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)


def _update_with_array(h, arr: np.ndarray) -> None:
    arr = np.ascontiguousarray(arr)
    h.update(f"{arr.dtype.str}|{arr.shape}|".encode())
    h.update(memoryview(arr).cast("B"))


def _update_with(h, obj) -> None:
    if isinstance(obj, np.ndarray) and obj.dtype != object:
        _update_with_array(h, obj)
    else:  # object arrays (sequences, text), lists, frames: their pickle
        h.update(b"pickle|")
        h.update(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))


class FitCache:
    """Fitted models by what they were fitted on, for the cells of one group.

    Parameters
    ----------
    max_bytes : int, default=:data:`MAX_BYTES`
        Most bytes of pickled fitted models kept; the least recently used go
        first, and a model larger than this alone is never kept. ``0`` shares
        nothing (every fit is made, and counted in :attr:`fits`).

    Attributes
    ----------
    fits : int
        Models fitted (cache misses and models that cannot be shared).
    shared : int
        Fits answered from the cache instead.
    nbytes : int
        Bytes held now.
    """

    def __init__(self, max_bytes: int = MAX_BYTES):
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) \
                or max_bytes < 0:
            raise ValueError(f"max_bytes must be an int >= 0, got {max_bytes!r}.")
        self.max_bytes = int(max_bytes)
        self.fits = 0
        self.shared = 0
        self.nbytes = 0
        self._entries: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def key(model, X, y) -> bytes | None:
        """The fit key of ``model`` (unfitted) on ``X, y``; None when it cannot be made.

        A hash of the model's pickle and of the exact input: two fits with one
        key get the same class, parameters, random state, rows and labels.
        """
        if not hasattr(model, "__dict__"):
            return None
        h = hashlib.blake2b(digest_size=32)
        try:
            h.update(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
            _update_with(h, X)
            h.update(b"|y|")
            _update_with(h, y)
        except Exception:  # noqa: BLE001 - unpicklable model or input: not shared
            return None
        return h.digest()

    def fit(self, model, X, y) -> float:
        """Fit ``model`` on ``X, y`` in place, or restore the fit of an equal model on them.

        Parameters
        ----------
        model : estimator, unfitted
        X, y : the rows and labels given to ``model.fit``

        Returns
        -------
        float
            Seconds the fit took (for a restored fit, the seconds of the fit it copies).
        """
        key = self.key(model, X, y) if self.max_bytes else None
        if key is not None and key in self._entries:
            blob, seconds = self._entries[key]
            self._entries.move_to_end(key)
            fitted = pickle.loads(blob)
            state = vars(model)
            state.clear()
            state.update(vars(fitted))
            self.shared += 1
            return seconds
        start = time.perf_counter()
        model.fit(X, y)
        seconds = time.perf_counter() - start
        self.fits += 1
        if key is not None:
            self._keep(key, model, seconds)
        return seconds

    def _keep(self, key: bytes, model, seconds: float) -> None:
        try:
            blob = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception:  # noqa: BLE001 - a fitted model that cannot be pickled is not kept
            return
        if len(blob) > self.max_bytes:
            return
        self._entries[key] = (blob, seconds)
        self.nbytes += len(blob)
        while self.nbytes > self.max_bytes:
            _, (old, _) = self._entries.popitem(last=False)
            self.nbytes -= len(old)
