"""Helpers shared by the studies: intervals over seeds, model facts, fitting, figure style.

- :func:`mean_interval`, :func:`summarize_rows`, :func:`failures`: aggregate
  tidy rows over seeds (mean and a 95 % Student-t interval).
- :func:`family_of`, :func:`capabilities_of`: what the registry says about a
  model name (capabilities read off a fresh instance, cached).
- :func:`fit_timed`, :func:`training_rows`, :func:`evaluate`, :func:`with_imputation`:
  fit a model (unlabelled rows, ``y = -1``, only for ``semi_supervised`` models),
  score it (error rate and log loss over every class), put an imputer in front.
- :func:`model_color`, :func:`model_colors`, :func:`run_colors`, :func:`percent`:
  one color per model in every figure of a report, distinct within the run
  (line styles by family: :data:`gdlab.studies.plots.DASH`), and percentages
  in the readings.

Examples
--------
>>> m, lo, hi, n = mean_interval([0.1, 0.2, 0.3])
>>> round(m, 3), round(lo, 3), round(hi, 3), n
(0.2, -0.048, 0.448, 3)
>>> family_of("gaussian-nb"), family_of("logreg"), family_of("not-a-model")
('generative', 'discriminative', 'unknown')
"""

from __future__ import annotations

import math
import numbers
import time
import warnings
import zlib
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd
from scipy import stats

from gdlab.data.splits import train_test_split
from gdlab.metrics import align_proba, error_rate, log_loss
from gdlab.studies import fits

__all__ = [
    "SUMMARY_COLUMNS",
    "mean_interval",
    "summarize_rows",
    "failures",
    "family_of",
    "capabilities_of",
    "fit_timed",
    "training_rows",
    "n_train",
    "evaluate",
    "with_imputation",
    "model_color",
    "model_colors",
    "run_colors",
    "percent",
    "derived_seeds",
    "quiet_convergence",
]

#: Columns of :func:`summarize_rows`' table.
SUMMARY_COLUMNS = (
    "dataset", "model", "family", "setting", "setting_value", "metric",
    "mean", "lo", "hi", "n", "n_failed",
)

_GROUP = ["dataset", "model", "family", "setting", "setting_value", "metric"]


# --------------------------------------------------------------------------- numbers


def mean_interval(values, level: float = 0.95) -> tuple[float, float, float, int]:
    """Mean and Student-t confidence interval of the finite values.

    Parameters
    ----------
    values : array-like of float
        One value per seed; NaN are left out.
    level : float, default=0.95

    Returns
    -------
    mean, lo, hi : float
        ``lo``/``hi`` are NaN with fewer than 2 values (no interval).
    n : int
        Number of finite values used.

    Examples
    --------
    >>> mean_interval([0.5, 0.5])
    (0.5, 0.5, 0.5, 2)
    >>> mean_interval([0.25])
    (0.25, nan, nan, 1)
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    n = int(v.size)
    if n == 0:
        return np.nan, np.nan, np.nan, 0
    mean = float(v.mean())
    if n < 2:
        return mean, np.nan, np.nan, n
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * v.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half, n


def _ok_and_failed(rows: pd.DataFrame, study: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if study is not None:
        rows = rows[rows["study"] == study]
    failed = rows["error"].notna() if "error" in rows else pd.Series(False, index=rows.index)
    return rows[~failed], rows[failed]


def summarize_rows(rows: pd.DataFrame, study: str | None = None,
                   level: float = 0.95) -> pd.DataFrame:
    """Mean and interval over seeds, one row per dataset, model, setting and metric.

    Rows of failed cells (a non-null ``error``) are not averaged; they are
    counted in ``n_failed`` for the (dataset, model, setting, setting_value)
    they belong to.

    Parameters
    ----------
    rows : DataFrame with the columns of :data:`gdlab.studies.base.ROW_COLUMNS`
    study : str, default=None
        Keep only this study's rows.
    level : float, default=0.95

    Returns
    -------
    DataFrame with the columns :data:`SUMMARY_COLUMNS`, sorted.
    """
    ok, failed = _ok_and_failed(rows, study)
    records = []
    for key, group in ok.groupby(_GROUP, dropna=False, sort=True):
        mean, lo, hi, n = mean_interval(group["value"], level)
        records.append((*key, mean, lo, hi, n))
    out = pd.DataFrame(records, columns=[*_GROUP, "mean", "lo", "hi", "n"])
    cell_keys = ["dataset", "model", "setting", "setting_value"]
    if len(failed):
        counts = failed.groupby(cell_keys, dropna=False).size().rename("n_failed").reset_index()
        out = out.merge(counts, on=cell_keys, how="left")
        out["n_failed"] = out["n_failed"].fillna(0).astype(int)
    else:
        out["n_failed"] = 0
    out["n"] = out["n"].astype(int)
    return out[list(SUMMARY_COLUMNS)].reset_index(drop=True)


def failures(rows: pd.DataFrame, study: str | None = None) -> pd.DataFrame:
    """Failed cells: one row per dataset, model, setting and setting_value.

    Returns
    -------
    DataFrame with columns ``dataset, model, setting, setting_value, n_failed, reason``
    (``reason``: the first recorded one).
    """
    _, failed = _ok_and_failed(rows, study)
    cols = ["dataset", "model", "setting", "setting_value"]
    if failed.empty:
        return pd.DataFrame(columns=[*cols, "n_failed", "reason"])
    g = failed.groupby(cols, dropna=False, sort=True)
    return g.agg(n_failed=("error", "size"), reason=("error", "first")).reset_index()


def failure_sentences(rows: pd.DataFrame, study: str, settings=None) -> list[str]:
    """One reading sentence per model and dataset with failed cells of ``study``.

    ``"M could not be fit on D in N cell(s) (S): reason"`` (the first reason),
    where ``S = settings(values)`` of the sorted ``setting_value`` the failures
    had; without ``settings``, no parenthesis.
    """
    out = []
    for (dataset, model), f in failures(rows, study).groupby(["dataset", "model"], sort=True):
        where = "" if settings is None else f" ({settings(np.sort(f['setting_value'].unique()))})"
        out.append(f"{model} could not be fit on {dataset} in {int(f['n_failed'].sum())} "
                   f"cell(s){where}: {f['reason'].iloc[0]}")
    return out


def split_rows(y, split_seed: int, test_size) -> tuple[np.ndarray, np.ndarray]:
    """Sorted row indices ``(train, test)`` of the stratified split of ``y`` by ``split_seed``."""
    train, test = train_test_split(np.arange(len(y)), y, test_size=test_size,
                                   random_state=split_seed)[:2]
    return np.sort(train), np.sort(test)


def derived_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent integer seeds derived from one cell seed.

    Examples
    --------
    >>> derived_seeds(0, 2) == derived_seeds(0, 2) != derived_seeds(1, 2)
    True
    """
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(n) % (2**31 - 1)]


# --------------------------------------------------------------------------- models


def family_of(name: str) -> str:
    """The registry family of a model name, ``"unknown"`` for a name it does not hold."""
    from gdlab.models.registry import spec

    try:
        return spec(name).family
    except ValueError:
        return "unknown"


def capabilities_of(name: str) -> frozenset[str]:
    """Capability tags of the registered model ``name`` (its spec keeps them)."""
    from gdlab.models.registry import spec

    return spec(name).capabilities


def n_train(n: int, test_size) -> int:
    """Rows left for training when ``test_size`` (a count, or a fraction rounded up) is held out.

    >>> n_train(150, 0.25), n_train(150, 30)
    (112, 120)
    """
    n_test = test_size if isinstance(test_size, numbers.Integral) else math.ceil(test_size * n)
    return n - int(n_test)


def training_rows(model, X, y, *, classes=None):
    """The rows a study fits ``model`` on: every row, or the labelled ones only.

    The one place of the rule for unlabelled rows in studies (and so in
    ``compare``): a study's labels are class indices (``Dataset.y``, >= 0),
    so a ``-1`` can only mark a row a study left unlabelled (the
    semi-supervised study does). A model with the ``semi_supervised`` tag gets
    every row, ``-1`` included; any other model gets the labelled rows only.
    (Called directly, outside a study, a model keeps scikit-learn's
    convention: a supervised model treats ``-1`` as an ordinary label.)

    Parameters
    ----------
    model : estimator
    X : array-like of shape (n_samples, ...)
        Rows, indexable by a boolean mask (the studies' arrays, or a list).
    y : array-like of shape (n_samples,)
        Class labels, ``-1`` for an unlabelled row.
    classes : array-like, optional
        Every class of the dataset: one with no labelled row raises.

    Returns
    -------
    X, y
        What to fit on.

    Raises
    ------
    ValueError
        When no row is labelled (no class to learn), or a class of ``classes``
        has no labelled row (named).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.semi_supervised import LabelSpreading
    >>> X, y = np.arange(8.0)[:, None], np.array([0, -1, 1, -1, 0, -1, 1, -1])
    >>> training_rows(LogisticRegression(), X, y)[1].tolist()
    [0, 1, 0, 1]
    >>> len(training_rows(LabelSpreading(), X, y)[1])
    8
    >>> training_rows(LogisticRegression(), X, y, classes=[0, 1, 2])
    Traceback (most recent call last):
    ...
    ValueError: class 2 has no labelled row among the 8 training rows (4 labelled); ...
    """
    from gdlab._validation import unlabelled_mask
    from gdlab.capability_tags import capabilities

    y = np.asarray(y)
    unlabelled = unlabelled_mask(y)
    labelled = y[~unlabelled]
    if len(y) and not len(labelled):
        raise ValueError(f"no labelled row among the {len(y)} training rows (every label is "
                         "-1): there is no class to learn.")
    if classes is not None:
        absent = [c for c in np.asarray(classes).tolist() if c not in set(labelled.tolist())]
        if absent:
            raise ValueError(
                f"class{'es' if len(absent) > 1 else ''} {', '.join(map(str, absent))} "
                f"{'have' if len(absent) > 1 else 'has'} no labelled row among the {len(y)} "
                f"training rows ({len(labelled)} labelled); label at least one row of each "
                "class.")
    if not unlabelled.any() or "semi_supervised" in capabilities(model):
        return X, y
    keep = ~unlabelled
    if isinstance(X, list):
        return [x for x, k in zip(X, keep, strict=True) if k], labelled
    return X[keep], labelled


def fit_timed(model, X, y, *, classes=None) -> float:
    """Fit ``model`` on :func:`training_rows` of ``X, y``; return the wall-clock seconds it took.

    Parameters
    ----------
    model : estimator
    X : array-like of shape (n_samples, ...)
    y : array-like of shape (n_samples,)
        ``-1`` marks an unlabelled row: only a ``semi_supervised`` model sees it.
    classes : array-like, optional
        Every class of the dataset; one without a labelled row raises ``ValueError``.

    Returns
    -------
    float
        Seconds spent in ``fit`` (choosing the rows is not counted).

    Notes
    -----
    Inside a run, the runner makes a :class:`gdlab.studies.fits.FitCache`
    active (:func:`gdlab.studies.fits.sharing`): a model equal to one fitted
    before on the same rows (same class, parameters and seed; same values in
    the same order) is then restored from a copy of that fit instead of fitted
    again, and the seconds returned are those of the fit it copies.
    """
    X, y = training_rows(model, X, y, classes=classes)
    cache = fits.active()
    if cache is not None:
        return cache.fit(model, X, y)
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def evaluate(model, X, y, labels) -> dict[str, float]:
    """Error rate and log loss of a fitted classifier on ``X, y``.

    Parameters
    ----------
    model : fitted classifier with ``predict`` and ``predict_proba``
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    labels : array-like
        Every class of the dataset; classes the model never saw get
        probability 0 (so log loss is clipped, not infinite).

    Returns
    -------
    dict
        ``{"error": ..., "log_loss": ...}``.
    """
    proba = align_proba(model.predict_proba(X), model.classes_, labels)
    return {"error": error_rate(y, model.predict(X)),
            "log_loss": log_loss(y, proba, labels=labels)}


def with_imputation(model, how: str, *, random_state=0):
    """``Pipeline([("impute", imputer), ("model", model)])``.

    Parameters
    ----------
    model : estimator
    how : {"mean", "iterative"}
        :class:`~sklearn.impute.SimpleImputer` with the column means, or
        :class:`~sklearn.impute.IterativeImputer` (Bayesian ridge chained
        equations, 10 rounds); both learn from the data the pipeline is fit on.
    random_state : int, default=0
        For the iterative imputer.
    """
    from sklearn.pipeline import Pipeline

    if how == "mean":
        from sklearn.impute import SimpleImputer

        imputer = SimpleImputer(strategy="mean", keep_empty_features=True)
    elif how == "iterative":
        from sklearn.experimental import enable_iterative_imputer  # noqa: F401
        from sklearn.impute import IterativeImputer

        imputer = IterativeImputer(max_iter=10, random_state=random_state,
                                   keep_empty_features=True)
    else:
        raise ValueError(f"imputation must be 'mean' or 'iterative', got {how!r}.")
    return Pipeline([("impute", imputer), ("model", model)])


@contextmanager
def quiet_convergence():
    """Silence scikit-learn's ConvergenceWarning inside the block (imputers, tiny fits)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# --------------------------------------------------------------------------- figures

# tab10, then ten darker shades (tab20b's and others) instead of tab20's light ones: a
# line or band in #dbdb8d or #9edae5 (logreg, logreg-unreg: in every default run) could
# hardly be seen on white. 20 distinct colors, each readable as a thin dashed line.
_PALETTE = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939", "#843c39", "#7b4173",
    "#6b6ecf", "#bd9e39", "#a55194", "#8ca252", "#008080", "#8c6d31",
)


# the run's colors while a report draws its figures (set by :func:`run_colors`)
_RUN_COLORS: ContextVar[dict[str, str] | None] = ContextVar("gdlab_run_colors", default=None)


def model_colors(models) -> dict[str, str]:
    """One color per model of a run: the palette's colors, in registry order of the models.

    The models are put in registry order (names the registry does not know
    follow, sorted) and take the palette's 20 colors in that order, so up to
    20 models never share a color, and the same model list always gives the
    same colors, whatever order it was given in.

    Parameters
    ----------
    models : iterable of str
        The run's model names (repeats are ignored).

    Returns
    -------
    dict of str to str
        A ``"#rrggbb"`` color per model name.

    Examples
    --------
    >>> c = model_colors(["hist-gb", "mixed-nb", "hist-gb"])
    >>> c == model_colors(["mixed-nb", "hist-gb"]), c["mixed-nb"] != c["hist-gb"]
    (True, True)
    """
    from gdlab.models.registry import names as registered

    if isinstance(models, str):
        raise TypeError(f"models must be an iterable of model names, got the string {models!r}.")
    names = [str(m) for m in dict.fromkeys(models)]
    order = {n: i for i, n in enumerate(registered())}
    names.sort(key=lambda n: (n not in order, order.get(n, 0), n))
    return {n: _PALETTE[i % len(_PALETTE)] for i, n in enumerate(names)}


@contextmanager
def run_colors(models):
    """Inside the block, :func:`model_color` gives each of ``models`` its run color.

    The report draws every study's figures inside one such block, so each
    model keeps one color in every figure and no two of a run's models (up to
    20) share one; see :func:`model_colors`.

    Parameters
    ----------
    models : iterable of str
        The run's model names.

    Examples
    --------
    >>> with run_colors(["hist-gb", "mixed-nb"]):
    ...     model_color("mixed-nb") != model_color("hist-gb")
    True
    """
    token = _RUN_COLORS.set(model_colors(models))
    try:
        yield
    finally:
        _RUN_COLORS.reset(token)


def model_color(name: str) -> str:
    """The color of model ``name`` in a figure.

    Inside :func:`run_colors` (every figure of a report), the run's color of
    the model; elsewhere, or for a model outside the run, the color of its
    registry position (two models 20 positions apart share it).

    Examples
    --------
    >>> model_color("gaussian-nb") == model_color("gaussian-nb") != model_color("logreg")
    True
    """
    run = _RUN_COLORS.get()
    if run is not None and name in run:
        return run[name]
    from gdlab.models.registry import names as registered

    names = registered()
    i = names.index(name) if name in names else zlib.crc32(name.encode()) % len(_PALETTE)
    return _PALETTE[i % len(_PALETTE)]


def percent(x: float) -> str:
    """A fraction as a short percentage: ``0.123 -> "12 %"``, ``0.004 -> "0.4 %"``.

    Examples
    --------
    >>> percent(0.123), percent(0.004), percent(0.0)
    ('12 %', '0.4 %', '0 %')
    """
    p = 100 * float(x)
    if p == 0 or abs(p) >= 10:
        return f"{p:.0f} %"
    return f"{p:.1f} %" if abs(p) >= 0.1 else f"{p:.2g} %"
