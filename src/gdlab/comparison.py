"""Fit several registry models on one train/test split and tabulate the results.

Examples
--------
>>> from gdlab.comparison import compare
>>> from gdlab.data import load
>>> ds = load("iris")
>>> table = compare(["tree", "logreg-unreg"], ds.X, ds.y)
>>> list(table["model"])
['tree', 'logreg-unreg']
"""

from __future__ import annotations

import numbers
import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split

from gdlab.base import capabilities
from gdlab.models.registry import make, spec

__all__ = ["DEFAULT_MODELS", "COLUMNS", "compare"]

#: Models compared when none are named: a sensible set for continuous tabular data.
DEFAULT_MODELS = (
    "gaussian-nb", "qda", "lda", "diag-gaussian",
    "logreg", "logreg-unreg", "linear-svm", "rbf-svm",
    "tree", "random-forest", "hist-gb", "mlp",
)

#: Columns of the table :func:`compare` returns.
COLUMNS = (
    "model", "family", "capabilities", "accuracy", "log_loss",
    "fit_seconds", "predict_seconds", "error",
)


def _error_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _evaluate(name, X_train, X_test, y_train, y_test) -> dict:
    s = spec(name)
    row = {
        "model": name, "family": s.family, "capabilities": "", "accuracy": np.nan,
        "log_loss": np.nan, "fit_seconds": np.nan, "predict_seconds": np.nan, "error": None,
    }
    try:
        model = make(name)
        row["capabilities"] = ",".join(sorted(capabilities(model)))
        start = time.perf_counter()
        model.fit(X_train, y_train)
        row["fit_seconds"] = time.perf_counter() - start
        start = time.perf_counter()
        y_pred = model.predict(X_test)
        row["predict_seconds"] = time.perf_counter() - start
        row["accuracy"] = float(accuracy_score(y_test, y_pred))
        if hasattr(model, "predict_proba"):
            proba = model.predict_proba(X_test)
            row["log_loss"] = float(log_loss(y_test, proba, labels=model.classes_))
    except Exception as exc:  # a model that cannot handle this data is reported, not fatal
        row.update(accuracy=np.nan, log_loss=np.nan, error=_error_message(exc))
    return row


def compare(
    models: Sequence[str] | None,
    X,
    y,
    *,
    test_size: float = 0.25,
    random_state: int | None = 0,
    on_start: Callable[[str], None] | None = None,
    on_done: Callable[[dict], None] | None = None,
) -> pd.DataFrame:
    """Fit each model on a stratified training split and score it on the rest.

    A model that raises while fitting or predicting (for example a
    multinomial naive Bayes given negative values) does not stop the
    comparison: its row keeps NaN metrics and the reason in ``error``.

    Parameters
    ----------
    models : sequence of str or None
        Registry names (see :func:`gdlab.models.registry.available`); None
        uses :data:`DEFAULT_MODELS`.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    test_size : float, default=0.25
        Fraction of rows held out, in (0, 1).
    random_state : int or None, default=0
        Seed of the split (the models carry their own ``random_state=0``).
    on_start : callable, optional
        Called with the model name before each fit (for progress displays).
    on_done : callable, optional
        Called with each finished row (a dict with :data:`COLUMNS` keys).

    Returns
    -------
    pandas.DataFrame
        One row per model, in the order given, with columns :data:`COLUMNS`:
        ``accuracy`` and ``log_loss`` on the test split, ``fit_seconds`` and
        ``predict_seconds`` (wall-clock of ``fit`` and of ``predict`` on the
        test split), and ``error`` (None, or why the model was skipped).

    Raises
    ------
    ValueError
        For an unknown model name (before anything is fitted), a bad
        ``test_size``, or X and y of different lengths.
    """
    names = list(DEFAULT_MODELS if models is None else models)
    if isinstance(models, str):
        raise TypeError(f"models must be a list of names, got the string {models!r}.")
    if not names:
        raise ValueError("models is empty: name at least one model.")
    for name in names:
        spec(name)  # unknown names fail here, before any fit
    if len(set(names)) != len(names):
        raise ValueError(f"models contains duplicates: {names}.")
    if (
        isinstance(test_size, bool)
        or not isinstance(test_size, numbers.Real)
        or not 0.0 < test_size < 1.0
    ):
        raise ValueError(f"test_size must be a float in (0, 1), got {test_size!r}.")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    rows = []
    for name in names:
        if on_start is not None:
            on_start(name)
        row = _evaluate(name, X_train, X_test, y_train, y_test)
        rows.append(row)
        if on_done is not None:
            on_done(row)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    # keep None (not NaN) for models that ran: pandas would infer a string column
    table["error"] = pd.Series([r["error"] for r in rows], dtype=object)
    return table
