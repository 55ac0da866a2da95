"""Learning curves beyond the data: power-law fits, predictions at a size, crossovers.

A model's test error against its training size m is modelled as

    error(m) = a + b * m ** (-c),    a in [0, 1], b >= 0, c in [0.05, 2],

the usual shape of a learning curve (an asymptote ``a`` approached as a power
of m; Cortes et al. 1994, Hestness et al. 2017). The fit is a least-squares
fit of the mean curve over splits: for each exponent c on a fine grid the
model is linear in (a, b) and is solved in closed form under the bounds, and
the best c wins. That is deterministic, fast (vectorized over bootstrap
replicates) and never stalls in a local minimum.

With four or five noisy sizes the exponent c of one curve is poorly pinned
down. ``pool`` (:data:`POOL`, default 0: each model alone) pulls each model's
exponent toward one exponent pooled over all the models measured on the same
splits. On the advisor's regret benchmark (``benchmarks/advisor_regret.py``)
pooling did not pick better models at the target size than fitting each model
alone, so it is off by default.

Uncertainty comes from the splits: a bootstrap replicate resamples the
splits (seeds) with replacement, averages their curves and refits. Two
models are compared on the *same* resampled splits (paired), so their common
noise cancels.

With a single split there is nothing to resample: the intervals are NaN,
no difference is called significant and every prediction is flagged
``beyond_data`` (the data cannot say how sure the fit is).

Input is the tidy frame of :func:`curves_from_rows` (columns ``model``,
``seed``, ``size``, ``error``), built from the ``learning_curve`` study's rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["PowerLaw", "PairedDifference", "Crossover", "fit_power_law", "curves_from_rows",
           "predict_at", "paired_difference_at", "crossover"]

#: Exponents c searched by the fit.
_C_GRID = np.geomspace(0.05, 2.0, 160)
#: A prediction this far past the largest measured size (×) is flagged beyond the data.
EXTRAPOLATION_LIMIT = 4.0
#: A prediction interval wider than this (in error rate) is flagged ill-determined.
WIDTH_LIMIT = 0.25
#: Default pull of each model's exponent toward the exponent pooled over the models
#: (see :func:`predict_at`); 0 fits each model alone.
POOL = 0.0


@dataclass(frozen=True)
class PowerLaw:
    """error(m) = a + b * m ** (-c), clipped to [0, 1].

    Examples
    --------
    >>> round(float(PowerLaw(0.1, 2.0, 0.5)(400)), 3)
    0.2
    """

    a: float
    b: float
    c: float

    def __call__(self, m):
        m = np.asarray(m, dtype=np.float64)
        return np.clip(self.a + self.b * m ** (-self.c), 0.0, 1.0)


def _check_curve(sizes, errors) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.asarray(sizes, dtype=np.float64)
    errors = np.asarray(errors, dtype=np.float64)
    if sizes.ndim != 1 or errors.ndim != 1 or sizes.shape != errors.shape:
        raise ValueError(f"sizes and errors must be 1-D of one length, got shapes "
                         f"{sizes.shape} and {errors.shape}.")
    if not (np.all(np.isfinite(sizes)) and np.all(np.isfinite(errors))):
        raise ValueError("sizes and errors must be finite (no NaN or inf).")
    if np.any(sizes < 1):
        raise ValueError(f"training sizes must be >= 1 row, got {sizes.min():g}.")
    if np.any((errors < 0) | (errors > 1)):
        raise ValueError(f"errors must be error rates in [0, 1], got values in "
                         f"[{errors.min():g}, {errors.max():g}].")
    if np.unique(sizes).size < 3:
        raise ValueError(f"a power law a + b m^-c needs at least 3 distinct training sizes, "
                         f"got {np.unique(sizes).size}.")
    return sizes, errors


def _solve(sizes: np.ndarray, Y: np.ndarray, C: np.ndarray):
    """Bounded least-squares (a, b) of each row of Y (B, T) at each exponent of C (B, G).

    For a fixed exponent the model is linear in (a, b): the unconstrained
    solution, then the bounds b >= 0 (error does not rise with m) and a in
    [0, 1] (an asymptote at 0 refits b through the origin). Returns a, b and
    the sums of squared residuals, each (B, G).
    """
    phi = sizes[None, None, :] ** (-C[:, :, None])  # (B, G, T)
    pbar = phi.mean(axis=2)
    ybar = Y.mean(axis=1)[:, None]
    pc = phi - pbar[:, :, None]
    var = (pc * pc).sum(axis=2)
    cov = np.einsum("bgt,bt->bg", pc, Y - ybar)
    b = np.where(var > 0, cov / np.where(var > 0, var, 1.0), 0.0)
    a = ybar - b * pbar
    flat = b < 0
    b = np.where(flat, 0.0, b)
    a = np.where(flat, ybar, a)
    low = a < 0
    b0 = np.einsum("bgt,bt->bg", phi, Y) / (phi * phi).sum(axis=2)
    b = np.where(low, np.maximum(b0, 0.0), b)
    a = np.clip(np.where(low, 0.0, a), 0.0, 1.0)
    resid = Y[:, None, :] - (a[:, :, None] + b[:, :, None] * phi)
    return a, b, (resid * resid).sum(axis=2)


def _search(objective, B: int) -> np.ndarray:
    """The exponent minimizing ``objective`` per row: shape (B,).

    ``objective(C)`` maps exponents C (B, G) to values (B, G). A coarse grid
    of exponents, then three rounds of a finer grid around each row's best one
    (the grid step shrinks 10-fold each round).
    """
    rows = np.arange(B)
    C = np.broadcast_to(_C_GRID, (B, _C_GRID.size))
    step = np.log(_C_GRID[1] / _C_GRID[0])
    for _ in range(4):
        c_best = C[rows, np.argmin(objective(C), axis=1)]
        C = c_best[:, None] * np.exp(np.linspace(-step, step, 21))[None, :]
        C = np.clip(C, _C_GRID[0], _C_GRID[-1])
        step /= 10
    return c_best


def _at(sizes: np.ndarray, Y: np.ndarray, c: np.ndarray) -> np.ndarray:
    """(a, b, c) of each row of Y (B, T) at its exponent c (B,): shape (B, 3)."""
    a, b, _ = _solve(sizes, Y, c[:, None])
    return np.column_stack([a[:, 0], b[:, 0], c])


def _fit_many(sizes: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Best (a, b, c) of each row of Y (B, T) at ``sizes`` (T,): shape (B, 3)."""
    c = _search(lambda C: _solve(sizes, Y, C)[2], Y.shape[0])
    return _at(sizes, Y, c)


def fit_power_law(sizes, errors) -> PowerLaw:
    """Least-squares fit of error(m) = a + b m^(-c) to one learning curve.

    Parameters
    ----------
    sizes : array-like of shape (n_sizes,)
        Training sizes (rows), at least 3 distinct, each >= 1.
    errors : array-like of shape (n_sizes,)
        Error rates in [0, 1] at those sizes.

    Returns
    -------
    PowerLaw

    Raises
    ------
    ValueError
        For fewer than 3 distinct sizes, non-finite values, sizes below 1,
        errors outside [0, 1] or arrays of different lengths.

    Examples
    --------
    >>> m = np.array([10, 20, 40, 80, 160, 320])
    >>> law = fit_power_law(m, 0.1 + 0.8 * m ** -0.5)
    >>> round(law.a, 3), round(law.b, 2), round(law.c, 2)
    (0.1, 0.8, 0.5)
    """
    sizes, errors = _check_curve(sizes, errors)
    a, b, c = _fit_many(sizes, errors[None, :])[0]
    return PowerLaw(float(a), float(b), float(c))


def curves_from_rows(rows: pd.DataFrame, metric: str = "error") -> pd.DataFrame:
    """The per-split learning curves of a results table.

    Parameters
    ----------
    rows : DataFrame
        Tidy results (:data:`gdlab.studies.base.ROW_COLUMNS`); the
        ``learning_curve`` study's rows of ``metric`` are used.
    metric : str, default="error"
        The metric read. The fits of this module need rates in [0, 1]
        (``"error"``); a metric outside that range (``"log_loss"``) is
        refused by them.

    Returns
    -------
    DataFrame
        Columns ``model``, ``seed``, ``size``, ``error`` (the metric's value),
        one row per model, split and training size.

    Examples
    --------
    >>> rows = pd.DataFrame({"study": "learning_curve", "model": "nb", "seed": 0,
    ...                      "setting_value": [10.0, 20.0], "metric": "error",
    ...                      "value": [0.3, 0.2]})
    >>> curves_from_rows(rows).to_dict("list")
    {'model': ['nb', 'nb'], 'seed': [0, 0], 'size': [10.0, 20.0], 'error': [0.3, 0.2]}
    """
    need = {"study", "model", "seed", "setting_value", "metric", "value"}
    missing = need - set(rows.columns)
    if missing:
        raise ValueError(f"rows lack the columns {sorted(missing)}.")
    part = rows[(rows["study"] == "learning_curve") & (rows["metric"] == metric)]
    part = part[np.isfinite(part["value"].astype(float))]
    if part.empty:
        raise ValueError(f"the results hold no learning_curve rows of {metric!r}; run the "
                         "learning_curve study (gdlab compare -s learning_curve).")
    out = (part.groupby(["model", "seed", "setting_value"], sort=True)["value"].mean()
           .reset_index().rename(columns={"setting_value": "size", "value": "error"}))
    return out[["model", "seed", "size", "error"]]


def _matrix(curves: pd.DataFrame, model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(seeds, sizes, E) with E[seed, size] the model's error (NaN where not measured)."""
    c = curves[curves["model"] == model]
    if c.empty:
        known = sorted(curves["model"].unique())
        raise ValueError(f"no learning curve of {model!r}; the curves hold {known}.")
    wide = c.pivot_table(index="seed", columns="size", values="error", aggfunc="mean")
    return wide.index.to_numpy(), wide.columns.to_numpy(np.float64), wide.to_numpy(np.float64)


def _replicates(seeds, n_boot: int, rng) -> np.ndarray:
    """Bootstrap weights (n_boot + 1, n_seeds): row 0 is the full sample (all ones)."""
    S = len(seeds)
    draws = rng.integers(0, S, size=(n_boot, S))
    W = np.zeros((n_boot, S))
    np.add.at(W, (np.repeat(np.arange(n_boot), S), draws.ravel()), 1.0)
    return np.vstack([np.ones(S), W])


def _mean_curves(E: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted mean curves (R, T) over seeds, ignoring NaN entries."""
    ok = np.isfinite(E)
    num = W @ np.where(ok, E, 0.0)
    den = W @ ok.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return num / den


def _curve(curves, model, W_of_seed, seeds_all):
    """A model's measured sizes (T,), its mean curve per replicate (R, T), clipped to
    [0, 1], and the variance of each point of the mean curve over the splits (T,; 0
    with one split)."""
    seeds, sizes, E = _matrix(curves, model)
    index = {s: i for i, s in enumerate(seeds_all)}
    W = W_of_seed[:, [index[s] for s in seeds]]
    Y = _mean_curves(E, W)
    keep = np.all(np.isfinite(Y), axis=0)
    sizes, Y, E = sizes[keep], Y[:, keep], E[:, keep]
    _check_curve(sizes, Y[0])
    n = np.isfinite(E).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > 1, np.nanvar(E, axis=0, ddof=1) / np.maximum(n, 1), 0.0)
    return sizes, np.clip(Y, 0.0, 1.0), np.nan_to_num(var)


def _fits(curves, W_of_seed, seeds_all, pool: float, only=None) -> dict:
    """Every model's fitted (a, b, c) per replicate (R, 3), smallest and largest size measured.

    With ``pool`` > 0 each model's exponent is pulled toward the exponent
    pooled over all the models (the one exponent that, with each model's own
    a and b, fits all their curves best, per replicate): model i's exponent
    minimizes ``SSE_i(c) + pool * s2 * (log c - log c_pooled) ** 2``, where
    ``s2`` is the variance of a point of the mean curves over the splits
    (averaged over models and sizes) -- so ``pool`` is how many points of
    measurement noise a factor-e departure from the pooled exponent is worth,
    and curves without noise keep their own exponents. ``pool=0`` fits each
    model alone; ``np.inf`` gives every model the pooled exponent. With
    ``pool=0`` only the models of ``only`` (default all) are fitted.
    """
    models = sorted(curves["model"].unique())
    if pool == 0 and only is not None:
        for m in only:
            _fit_of(dict.fromkeys(models), m)
        models = [m for m in models if m in set(only)]
    data = {m: _curve(curves, m, W_of_seed, seeds_all) for m in models}
    R = W_of_seed.shape[0]
    if pool == 0 or len(models) < 2:
        return {m: (_fit_many(x, Y), float(x.min()), float(x.max()))
                for m, (x, Y, _) in data.items()}

    def pooled_sse(C):
        return sum(_solve(x, Y, C)[2] for x, Y, _ in data.values())

    c_pool = _search(pooled_sse, R)
    s2 = float(np.mean(np.concatenate([v for _, _, v in data.values()])))
    out = {}
    for m, (x, Y, _) in data.items():
        if np.isinf(pool):
            c = c_pool
        else:
            def objective(C, x=x, Y=Y):
                pull = (np.log(C) - np.log(c_pool)[:, None]) ** 2
                return _solve(x, Y, C)[2] + pool * s2 * pull

            c = _search(objective, R)
        out[m] = (_at(x, Y, c), float(x.min()), float(x.max()))
    return out


def _fit_of(fits: dict, model: str):
    if model not in fits:
        raise ValueError(f"no learning curve of {model!r}; the curves hold {sorted(fits)}.")
    return fits[model]


def _check_pool(pool) -> float:
    if isinstance(pool, bool) or not isinstance(pool, (int, float, np.number)) \
            or np.isnan(pool) or pool < 0:
        raise ValueError(f"pool must be a number >= 0 (np.inf: one shared exponent), "
                         f"got {pool!r}.")
    return float(pool)


def _law(p, m):
    return np.clip(p[..., 0:1] + p[..., 1:2] * np.asarray(m, dtype=np.float64) ** (-p[..., 2:3]),
                   0.0, 1.0)


def _setup(curves, n_boot, level, random_state):
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}.")
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 10:
        raise ValueError(f"n_boot must be an int >= 10, got {n_boot!r}.")
    seeds_all = np.unique(curves["seed"].to_numpy())
    rng = np.random.default_rng(random_state)
    return seeds_all, _replicates(seeds_all, int(n_boot), rng)


def _pair_fits(curves, model_a, model_b, n_boot, level, random_state, pool):
    """The splits' seeds and the (bootstrap fits, smallest, largest size) of the two models
    (:func:`paired_difference_at`, :func:`crossover`)."""
    seeds_all, W = _setup(curves, n_boot, level, random_state)
    fits = _fits(curves, W, seeds_all, _check_pool(pool), only=(model_a, model_b))
    return seeds_all, _fit_of(fits, model_a), _fit_of(fits, model_b)


def _interval(values: np.ndarray, level: float, n_splits: int) -> tuple[float, float]:
    """Percentile interval of bootstrap values; NaN with one split (nothing to resample)."""
    if n_splits < 2 or values.size == 0:
        return np.nan, np.nan
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _check_target(target_rows) -> float:
    if isinstance(target_rows, bool) or not isinstance(target_rows, (int, float, np.number)) \
            or not np.isfinite(target_rows) or target_rows < 1:
        raise ValueError(f"target_rows must be a number of rows >= 1, got {target_rows!r}.")
    return float(target_rows)


def predict_at(curves: pd.DataFrame, target_rows, *, n_boot: int = 200, level: float = 0.95,
               random_state=0, pool: float = POOL) -> pd.DataFrame:
    """Each model's expected error after training on ``target_rows`` rows.

    Parameters
    ----------
    curves : DataFrame
        :func:`curves_from_rows` output.
    target_rows : float
        The training size asked about.
    n_boot : int, default=200
        Bootstrap replicates over the splits.
    level : float, default=0.95
        Coverage of the interval.
    random_state : int, optional
    pool : float >= 0, default=:data:`POOL`
        How strongly each model's exponent c is pulled toward the exponent
        pooled over all the models of ``curves`` (fitted with each model's own
        a and b). A curve of four or five noisy points pins c down poorly; the
        models measured on the same splits of the same data share much of
        that information. 0 fits every model alone; ``np.inf`` gives them one
        exponent. The pull is ``pool`` times the pooled fit's residual
        variance per point times (log c - log c_pooled)^2, added to the
        model's sum of squares, so noiseless curves keep their own exponents.

    Returns
    -------
    DataFrame indexed by model
        ``predicted`` (the fit of the mean curve over all splits), ``lo`` and
        ``hi`` (bootstrap percentile interval over the splits; NaN with a
        single split), ``measured_max`` (the largest size measured) and
        ``beyond_data``: True when ``target_rows`` is more than
        :data:`EXTRAPOLATION_LIMIT` (4) times the largest measured size, or
        the interval is wider than :data:`WIDTH_LIMIT` (0.25) or cannot be
        estimated (one split): the curve does not pin the prediction down.

    Notes
    -----
    Each bootstrap replicate resamples the split ids with replacement,
    averages the resampled splits' curves and refits that mean curve (rather
    than averaging per-split fits, which are unstable on one noisy split).

    Examples
    --------
    >>> m = [10, 20, 40, 80, 160]
    >>> curves = pd.DataFrame([{"model": "nb", "seed": s, "size": x,
    ...                         "error": 0.2 + 0.5 * x ** -0.5 + 0.002 * s}
    ...                        for s in range(5) for x in m])
    >>> out = predict_at(curves, 320)
    >>> round(float(out.loc["nb", "predicted"]), 3), bool(out.loc["nb", "beyond_data"])
    (0.232, False)
    """
    target = _check_target(target_rows)
    seeds_all, W = _setup(curves, n_boot, level, random_state)
    out = []
    fits = _fits(curves, W, seeds_all, _check_pool(pool))
    for model in sorted(fits):
        p, _, top = fits[model]
        pred = _law(p, target)[:, 0]
        lo, hi = _interval(pred[1:], level, seeds_all.size)
        out.append({"model": model, "predicted": float(pred[0]), "lo": lo, "hi": hi,
                    "measured_max": top,
                    "beyond_data": bool(target > EXTRAPOLATION_LIMIT * top
                                        or not hi - lo <= WIDTH_LIMIT)})
    return pd.DataFrame(out).set_index("model")


@dataclass(frozen=True)
class PairedDifference:
    """Predicted error of ``model_a`` minus ``model_b`` at a training size, paired over splits.

    Attributes
    ----------
    model_a, model_b : str
    target_rows : float
    difference : float
        Negative: ``model_a`` is expected to err less.
    lo, hi : float
        Bootstrap percentile interval of the difference (NaN with one split).
    significant : bool
        The interval excludes 0 (never with one split).
    beyond_data : bool
        As in :func:`predict_at`, for either model.
    """

    model_a: str
    model_b: str
    target_rows: float
    difference: float
    lo: float
    hi: float
    significant: bool
    beyond_data: bool


def paired_difference_at(curves: pd.DataFrame, model_a: str, model_b: str, target_rows, *,
                         n_boot: int = 200, level: float = 0.95, random_state=0,
                         pool: float = POOL) -> PairedDifference:
    """Expected error of ``model_a`` minus ``model_b`` at ``target_rows``, on the same splits.

    Both models' curves are refitted on the same bootstrap resamples of the
    splits, so the interval reflects the difference's own noise, which is
    smaller than either model's when the splits affect both alike.

    Parameters
    ----------
    curves : DataFrame
        :func:`curves_from_rows` output.
    model_a, model_b : str
        Two different models of ``curves``.
    target_rows : float
        The training size asked about.
    n_boot, level, random_state, pool
        As in :func:`predict_at` (with ``pool`` > 0 every model of ``curves``
        is fitted, since they share the pooled exponent).

    Returns
    -------
    PairedDifference

    Examples
    --------
    >>> m = [10, 20, 40, 80, 160]
    >>> rows = [{"model": k, "seed": s, "size": x, "error": e + 0.01 * (s % 3)}
    ...         for s in range(6) for x in m
    ...         for k, e in (("nb", 0.20 + 0.3 * x ** -0.5), ("lr", 0.10 + 2.0 * x ** -0.5))]
    >>> d = paired_difference_at(pd.DataFrame(rows), "lr", "nb", 1000)
    >>> round(d.difference, 3), d.significant
    (-0.046, True)
    """
    if model_a == model_b:
        raise ValueError(f"compare two different models, got {model_a!r} twice.")
    target = _check_target(target_rows)
    seeds_all, (pa, _, top_a), (pb, _, top_b) = _pair_fits(curves, model_a, model_b, n_boot,
                                                            level, random_state, pool)
    diff = _law(pa, target)[:, 0] - _law(pb, target)[:, 0]
    lo, hi = _interval(diff[1:], level, seeds_all.size)
    wide = []
    for p in (pa, pb):
        q = _interval(_law(p, target)[1:, 0], level, seeds_all.size)
        wide.append(not q[1] - q[0] <= WIDTH_LIMIT)
    beyond = target > EXTRAPOLATION_LIMIT * min(top_a, top_b) or any(wide)
    return PairedDifference(model_a, model_b, target, float(diff[0]), float(lo), float(hi),
                            bool(lo > 0 or hi < 0), bool(beyond))


@dataclass(frozen=True)
class Crossover:
    """Where two fitted learning curves cross.

    Attributes
    ----------
    size : float
        The training size of the crossing (fit of the mean curves).
    lo, hi : float
        Percentile interval over the bootstrap replicates that cross in the
        searched range (NaN with one split or when none crosses).
    fraction_crossing : float
        Share of replicates whose curves cross in that range.
    leader_before, leader_after : str
        The model with the lower predicted error below and above ``size``.
    beyond_data : bool
        The crossing lies above the largest measured size (an extrapolation).
    level : float
        Coverage of the interval.
    """

    size: float
    lo: float
    hi: float
    fraction_crossing: float
    leader_before: str
    leader_after: str
    beyond_data: bool
    level: float = 0.95

    def describe(self, labels: str = "labelled rows") -> str:
        """One plain sentence.

        Examples
        --------
        >>> import textwrap
        >>> cr = Crossover(412.0, 251.0, 704.0, 0.9, "naive-bayes", "logreg", True)
        >>> print(textwrap.fill(cr.describe(), 70, break_on_hyphens=False))
        With about 410 labelled rows logreg is expected to overtake
        naive-bayes (95 % interval 250–700); this is beyond what the data can
        support (an extrapolation past the largest size measured).
        """
        if np.isfinite(self.lo) and np.isfinite(self.hi):
            spread = (f"{100 * self.level:.0f} % interval "
                      f"{_round_rows(self.lo)}–{_round_rows(self.hi)}")
        else:
            spread = "no interval: too few splits to resample"
        text = (f"With about {_round_rows(self.size)} {labels} {self.leader_after} is expected "
                f"to overtake {self.leader_before} ({spread})")
        if np.isfinite(self.fraction_crossing) and self.fraction_crossing < 0.8:
            text += (f"; only {100 * self.fraction_crossing:.0f} % of the resampled curves "
                     "cross at all")
        if self.beyond_data:
            text += ("; this is beyond what the data can support (an extrapolation past the "
                     "largest size measured)")
        return text + "."


def _round_rows(m: float) -> str:
    """Two significant digits, as a count of rows."""
    if not np.isfinite(m):
        return "?"
    m = float(m)
    digits = max(int(np.floor(np.log10(max(m, 1.0)))) - 1, 0)
    return f"{round(m, -digits):,.0f}"


def _first_crossing(diff: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Per row of diff (R, G): the first grid size where the sign changes (NaN if none)."""
    sign = np.sign(diff)
    change = (sign[:, :-1] * sign[:, 1:]) < 0
    has = change.any(axis=1)
    i = np.argmax(change, axis=1)
    rows = np.arange(diff.shape[0])
    d0, d1 = diff[rows, i], diff[rows, i + 1]
    t = np.clip(np.where(has, d0, 0.0) / np.where(has & (d0 != d1), d0 - d1, 1.0), 0.0, 1.0)
    m = np.exp((1 - t) * np.log(grid[i]) + t * np.log(grid[i + 1]))
    return np.where(has, m, np.nan)


def crossover(curves: pd.DataFrame, model_a: str, model_b: str, *, max_rows=None,
              n_boot: int = 200, level: float = 0.95, random_state=0,
              pool: float = POOL) -> Crossover | None:
    """The training size where the fitted curves of two models cross, with an interval.

    Parameters
    ----------
    curves : DataFrame
        :func:`curves_from_rows` output.
    model_a, model_b : str
    max_rows : float, optional
        Search up to this size; default 10 times the largest measured size.
    n_boot, level, random_state, pool
        As in :func:`paired_difference_at`.

    Returns
    -------
    Crossover or None
        None when the fits of the mean curves do not cross between the
        smallest measured size and ``max_rows``.

    Examples
    --------
    >>> m = [10, 20, 40, 80, 160, 320]
    >>> rows = [{"model": k, "seed": s, "size": x, "error": e + 0.005 * (s % 3)}
    ...         for s in range(6) for x in m
    ...         for k, e in (("nb", 0.20 + 0.3 * x ** -0.5), ("lr", 0.10 + 2.0 * x ** -0.5))]
    >>> cr = crossover(pd.DataFrame(rows), "nb", "lr")
    >>> round(cr.size), cr.leader_before, cr.leader_after
    (289, 'nb', 'lr')
    """
    if model_a == model_b:
        raise ValueError(f"compare two different models, got {model_a!r} twice.")
    seeds_all, (pa, lo_a, top_a), (pb, lo_b, top_b) = _pair_fits(
        curves, model_a, model_b, n_boot, level, random_state, pool)
    start, top = max(lo_a, lo_b), min(top_a, top_b)
    stop = 10 * top if max_rows is None else _check_target(max_rows)
    if stop <= start:
        raise ValueError(f"max_rows={max_rows!r} is not above the smallest size measured "
                         f"({start:g}).")
    grid = np.geomspace(start, stop, 400)
    diff = _law(pa, grid) - _law(pb, grid)  # (R, G)
    cross = _first_crossing(diff, grid)
    if not np.isfinite(cross[0]):
        return None
    boot = cross[1:]
    ok = boot[np.isfinite(boot)]
    lo, hi = _interval(ok, level, seeds_all.size)
    before_a = diff[0, 0] < 0
    return Crossover(size=float(cross[0]), lo=float(lo), hi=float(hi),
                     fraction_crossing=float(ok.size / boot.size),
                     leader_before=model_a if before_a else model_b,
                     leader_after=model_b if before_a else model_a,
                     beyond_data=bool(cross[0] > top), level=level)
