"""Missingness masks: MCAR, MAR and MNAR at a requested rate.

A mask is a boolean array of X's shape; ``True`` marks an entry to hide.
:func:`apply_mask` returns a copy of X with those entries set to NaN.

- :func:`mcar_mask`: missing completely at random; every entry equally likely.
- :func:`mar_mask`: missing at random; the probability that an entry of a
  *target* column is hidden is a logistic function of a *driver* column that
  is never masked (so it stays observed and the mechanism is ignorable).
- :func:`mnar_mask`: missing not at random; the probability depends on the
  entry's own value (by default larger values are hidden more often).

Conventions shared by all three:

- **Rate.** ``rate`` is the fraction of X's observed (non-NaN) entries that
  the mask hides; the mask hides exactly ``round(rate * n_observed)``
  entries. MAR/MNAR probabilities are calibrated per column (a logistic
  intercept found by bisection) so the expected rate matches, then the
  Bernoulli draw is adjusted to the exact count by adding or removing
  entries with the mechanism's own probabilities as weights.
- **NaN already in X.** Entries that are already missing stay missing and
  are never part of the mask (the mask is False there); they do not count
  toward ``rate``. After :func:`apply_mask` the total fraction missing is
  therefore (existing + ``rate`` * observed) / size.
- **Rows.** No row loses its last observed entry unless
  ``allow_empty_rows=True``: rows that the draw would empty get entries
  back and the count is made up elsewhere. A rate too high for that raises
  ``ValueError`` naming the largest feasible rate. Rows that are already
  entirely NaN stay so.
- **Seeds.** The same ``random_state`` gives the same mask.

Categorical, boolean and string columns are ranked by their (sorted)
category codes when a mechanism needs an order.

Examples
--------
>>> import numpy as np
>>> from gdlab.data.missing import apply_mask, mcar_mask
>>> X = np.arange(20.0).reshape(10, 2)
>>> mask = mcar_mask(X, 0.3)
>>> int(mask.sum()), bool(mask.all(axis=1).any())
(6, False)
>>> int(np.isnan(apply_mask(X, mask)).sum())
6
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd
from scipy.special import expit, ndtri
from scipy.stats import rankdata

from gdlab._param_checks import check_fraction, check_int
from gdlab._validation import check_random_state

__all__ = ["mcar_mask", "mar_mask", "mnar_mask", "apply_mask"]


# --------------------------------------------------------------------------- inputs


def _observed(X) -> np.ndarray:
    """Boolean array, True where X holds a value (not NaN / None / NA)."""
    if isinstance(X, pd.DataFrame):
        obs = ~X.isna().to_numpy()
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"expected a 2-D array or DataFrame, got shape {arr.shape}.")
        obs = ~pd.isna(arr) if arr.dtype.kind in "fcOMm" else np.ones(arr.shape, dtype=bool)
    if obs.ndim != 2 or 0 in obs.shape:
        raise ValueError(f"expected a non-empty 2-D X, got shape {obs.shape}.")
    return obs


def _column_values(X, j) -> np.ndarray:
    """Column j as float (categories and strings as sorted codes, NaN where missing)."""
    col = X.iloc[:, j] if isinstance(X, pd.DataFrame) else pd.Series(np.asarray(X)[:, j])
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        return codes
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.astype(np.float64).to_numpy()
    if pd.api.types.is_numeric_dtype(col.dtype):
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    codes, _ = pd.factorize(col, sort=True)
    codes = codes.astype(np.float64)
    codes[codes < 0] = np.nan
    return codes


def _normal_scores(values: np.ndarray) -> np.ndarray:
    """Rank-based standardization: Phi^-1((rank - 1/2) / n) over observed values, 0 where NaN.

    Ranks make the mechanism depend on order only, not on scale or outliers.
    """
    z = np.zeros_like(values)
    ok = ~np.isnan(values)
    if ok.sum() > 1:
        z[ok] = ndtri((rankdata(values[ok]) - 0.5) / ok.sum())
    return z


def _check_rate(rate) -> float:
    return check_fraction(rate, "rate")


def _check_strength(strength) -> float:
    if (isinstance(strength, bool) or not isinstance(strength, numbers.Real)
            or not np.isfinite(strength)):
        raise TypeError(f"strength must be a finite real number, got {strength!r}.")
    return float(strength)


# --------------------------------------------------------------------------- the engine


def _calibrate(z: np.ndarray, avail: np.ndarray, target: float, strength: float) -> np.ndarray:
    """Per-column intercepts a_j with mean over available cells of expit(a_j + s z) = target."""
    lo = np.full(z.shape[1], -60.0)
    hi = np.full(z.shape[1], 60.0)
    n_avail = np.maximum(avail.sum(axis=0), 1)
    for _ in range(80):
        mid = (lo + hi) / 2
        mean = (expit(mid + strength * z) * avail).sum(axis=0) / n_avail
        low = mean < target
        lo = np.where(low, mid, lo)
        hi = np.where(low, hi, mid)
    return expit((lo + hi) / 2 + strength * z)


def _rank_in_row(rows: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Rank (0 = largest key) of each cell among the cells of its row."""
    order = np.lexsort((-keys, rows))
    sorted_rows = rows[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_rows)) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, len(rows)]))
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows)) - group_start
    return rank


def _keys(rng, weights: np.ndarray) -> np.ndarray:
    """Efraimidis-Spirakis keys: the top-m keys are a weighted draw of m without replacement."""
    u = rng.uniform(size=weights.shape)
    return np.log(np.maximum(u, 1e-300)) / np.maximum(weights, 1e-300)


def _draw_mask(p, avail, observed, n_hide, rng, allow_empty_rows, mechanism) -> np.ndarray:
    """Bernoulli(p) on available cells, repaired so no row empties, adjusted to ``n_hide``."""
    if allow_empty_rows:
        cap = avail.sum(axis=1)
    else:
        cap = np.minimum(avail.sum(axis=1), np.maximum(observed.sum(axis=1) - 1, 0))
    if n_hide > cap.sum():
        n_obs = observed.sum()
        hint = "" if allow_empty_rows else " while keeping one observed entry per row"
        raise ValueError(
            f"{mechanism}: cannot hide {n_hide} of {n_obs} observed entries{hint}; the largest "
            f"feasible rate is {(cap.sum() / n_obs):.4g}"
            + ("" if allow_empty_rows else " (pass allow_empty_rows=True to allow empty rows)")
            + "."
        )
    mask = (rng.uniform(size=p.shape) < p) & avail

    # rows over capacity: keep the cap_i masked cells with the largest keys (weights p)
    r, c = np.nonzero(mask)
    keep = _rank_in_row(r, _keys(rng, p[r, c])) < cap[r]
    mask[r[~keep], c[~keep]] = False

    diff = n_hide - int(mask.sum())
    if diff < 0:  # remove cells, the least likely to be missing first (weights 1 - p)
        r, c = np.nonzero(mask)
        top = np.argsort(-_keys(rng, 1.0 - p[r, c]), kind="stable")[:-diff]
        mask[r[top], c[top]] = False
    elif diff > 0:  # add cells with weights p, within each row's remaining capacity
        room = cap - mask.sum(axis=1)
        r, c = np.nonzero(avail & ~mask)
        keys = _keys(rng, p[r, c])
        ok = _rank_in_row(r, keys) < room[r]
        r, c, keys = r[ok], c[ok], keys[ok]
        top = np.argsort(-keys, kind="stable")[:diff]
        mask[r[top], c[top]] = True
    return mask


def _n_hide(rate: float, observed: np.ndarray) -> int:
    return int(round(rate * observed.sum()))


# --------------------------------------------------------------------------- public masks


def mcar_mask(X, rate, *, random_state=0, allow_empty_rows: bool = False) -> np.ndarray:
    """Missing-completely-at-random mask: every observed entry equally likely to be hidden.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features), or tuple of ints
        The data (its NaN entries are already missing and are left out), or
        just its shape.
    rate : float in [0, 1)
        Fraction of the observed entries to hide (exactly, after rounding).
    random_state : int, RandomState or None, default=0
    allow_empty_rows : bool, default=False
        Whether a row may lose every observed entry.

    Returns
    -------
    mask : ndarray of bool, shape (n_samples, n_features)

    Examples
    --------
    >>> mask = mcar_mask((100, 4), 0.25, random_state=1)
    >>> mask.shape, float(mask.mean())
    ((100, 4), 0.25)
    """
    rate = _check_rate(rate)
    if isinstance(X, tuple) and all(isinstance(s, numbers.Integral) for s in X):
        if len(X) != 2:
            raise ValueError(f"expected a 2-D shape (n_samples, n_features), got {X!r}.")
        observed = np.ones((check_int(X[0], "shape[0]"), check_int(X[1], "shape[1]")), bool)
    else:
        observed = _observed(X)
    rng = check_random_state(random_state)
    n_hide = _n_hide(rate, observed)
    p = np.where(observed, n_hide / max(observed.sum(), 1), 0.0)
    return _draw_mask(p, observed, observed, n_hide, rng, allow_empty_rows, "mcar_mask")


def mar_mask(
    X,
    rate,
    *,
    driver_columns=None,
    strength: float = 2.0,
    random_state=0,
    allow_empty_rows: bool = False,
    return_drivers: bool = False,
):
    """Missing-at-random mask: missingness of a column depends on another, observed column.

    Columns split into *drivers*, never masked, and *targets*. Each target
    column ``j`` is given one driver ``d(j)`` at random (by seed) and its
    entries are hidden with probability ``expit(a_j + strength * z_i,d(j))``,
    where ``z`` is the driver's rank-based standard score and ``a_j`` is
    calibrated so the overall rate matches ``rate``. Given the driver, the
    mask is independent of the hidden values themselves.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        At least 2 columns. Existing NaN stay missing and are not counted;
        a NaN in a driver column gives that row the driver's median score.
    rate : float in [0, 1)
        Fraction of all observed entries (drivers included) to hide; the
        target columns absorb it, so it must be below their share of X.
    driver_columns : int or sequence of int, default=None
        Always-observed columns. Default: ``max(1, n_features // 4)`` columns
        chosen by seed.
    strength : float, default=2.0
        Logistic slope per standard deviation of the driver; positive hides
        entries in rows with large driver values more often.
    random_state : int, RandomState or None, default=0
    allow_empty_rows : bool, default=False
    return_drivers : bool, default=False
        Also return, for each column, the index of its driver (-1 for the
        driver columns themselves).

    Returns
    -------
    mask : ndarray of bool, shape (n_samples, n_features)
    drivers : ndarray of int, shape (n_features,)
        Only when ``return_drivers=True``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).normal(size=(200, 3))
    >>> mask, drivers = mar_mask(X, 0.2, driver_columns=0, return_drivers=True)
    >>> drivers.tolist(), bool(mask[:, 0].any()), float(mask.mean())
    ([-1, 0, 0], False, 0.2)
    """
    rate = _check_rate(rate)
    strength = _check_strength(strength)
    observed = _observed(X)
    n_features = observed.shape[1]
    if n_features < 2:
        raise ValueError(
            f"mar_mask needs X with at least 2 columns (a driver and a target), got {n_features}."
        )
    rng = check_random_state(random_state)
    if driver_columns is None:
        n_drivers = max(1, n_features // 4)
        drivers = np.sort(rng.choice(n_features, size=n_drivers, replace=False))
    else:
        raw = np.atleast_1d(np.asarray(driver_columns))
        if raw.ndim != 1 or raw.dtype.kind not in "iu" or raw.size == 0:
            raise TypeError(f"driver_columns must be an int or ints, got {driver_columns!r}.")
        if ((raw < 0) | (raw >= n_features)).any() or len(set(raw.tolist())) != raw.size:
            raise ValueError(
                f"driver_columns must be distinct column indices in [0, {n_features}), "
                f"got {raw.tolist()}."
            )
        drivers = np.sort(raw)
        if drivers.size == n_features:
            raise ValueError("driver_columns leaves no column to mask; keep at least one target.")
    is_target = np.ones(n_features, dtype=bool)
    is_target[drivers] = False
    assignment = np.full(n_features, -1)
    assignment[is_target] = rng.choice(drivers, size=int(is_target.sum()))

    avail = observed & is_target
    n_hide = _n_hide(rate, observed)
    if n_hide >= max(avail.sum(), 1) and n_hide > 0:
        raise ValueError(
            f"mar_mask: rate={rate} means hiding {n_hide} entries but the {int(is_target.sum())} "
            f"target column(s) hold only {int(avail.sum())} observed entries; lower the rate "
            "or use fewer driver_columns."
        )
    scores = {int(d): _normal_scores(_column_values(X, int(d))) for d in drivers}
    z = np.zeros(observed.shape)
    for j in np.flatnonzero(is_target):
        z[:, j] = scores[int(assignment[j])]
    p = _calibrate(z, avail, n_hide / max(avail.sum(), 1), strength) * avail
    mask = _draw_mask(p, avail, observed, n_hide, rng, allow_empty_rows, "mar_mask")
    return (mask, assignment) if return_drivers else mask


def mnar_mask(
    X, rate, *, strength: float = 2.0, random_state=0, allow_empty_rows: bool = False
) -> np.ndarray:
    """Missing-not-at-random mask: an entry's chance of being hidden depends on its own value.

    Entry ``(i, j)`` is hidden with probability ``expit(a_j + strength * z_ij)``
    where ``z_ij`` is the entry's rank-based standard score within column
    ``j`` and ``a_j`` is calibrated so every column (and the whole mask) hits
    ``rate``.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        Existing NaN stay missing and are not counted.
    rate : float in [0, 1)
        Fraction of the observed entries to hide.
    strength : float, default=2.0
        Logistic slope per standard deviation; positive hides large values
        more often (negative: small values).
    random_state : int, RandomState or None, default=0
    allow_empty_rows : bool, default=False

    Returns
    -------
    mask : ndarray of bool, shape (n_samples, n_features)

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(1000.0).reshape(-1, 2)
    >>> mask = mnar_mask(x, 0.3)
    >>> float(mask.mean()), bool(x[mask].mean() > x[~mask].mean())
    (0.3, True)
    """
    rate = _check_rate(rate)
    strength = _check_strength(strength)
    observed = _observed(X)
    rng = check_random_state(random_state)
    z = np.column_stack([_normal_scores(_column_values(X, j)) for j in range(observed.shape[1])])
    n_hide = _n_hide(rate, observed)
    p = _calibrate(z, observed, n_hide / max(observed.sum(), 1), strength) * observed
    return _draw_mask(p, observed, observed, n_hide, rng, allow_empty_rows, "mnar_mask")


def apply_mask(X, mask):
    """Copy of X with the masked entries set to missing.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    mask : array-like of bool, shape (n_samples, n_features)

    Returns
    -------
    ndarray or DataFrame
        Same type as X. Arrays: floats stay floats, integer and boolean
        arrays become float64 (NaN needs a float), object arrays hold
        ``np.nan``. DataFrames: categorical columns keep their categories
        (hidden entries become NaN), integer columns become float64, boolean
        and string columns hold missing values in their own dtype.

    Examples
    --------
    >>> import numpy as np
    >>> apply_mask(np.array([[1, 2], [3, 4]]), np.array([[True, False], [False, False]]))
    array([[nan,  2.],
           [ 3.,  4.]])
    """
    m = np.asarray(mask)
    shape = X.shape if hasattr(X, "shape") else np.shape(np.asarray(X))
    if m.dtype != bool:
        raise TypeError(f"mask must be a boolean array, got dtype {m.dtype}.")
    if m.shape != tuple(shape):
        raise ValueError(f"mask has shape {m.shape} but X has shape {tuple(shape)}.")
    if isinstance(X, pd.DataFrame):
        return X.mask(m)
    arr = np.asarray(X)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array or DataFrame, got shape {arr.shape}.")
    if arr.dtype.kind in "fc":
        out = arr.copy()
    elif arr.dtype.kind in "iub":
        out = arr.astype(np.float64)
    else:
        out = arr.astype(object)
    out[m] = np.nan
    return out
