"""Cost: fit time, prediction latency, peak memory while fitting, parameter count.

One cell per (model, seed) at ``setting="none"``, ``setting_value=NaN``, on a
stratified train/test split of the dataset's complete rows (rows with a
missing feature dropped). Metrics:

``"fit_seconds"``
    Wall-clock seconds of ``fit`` on the training part (also every row's
    ``fit_seconds``).
``"predict_ms_per_1000"``
    Milliseconds per 1,000 rows of ``predict`` on ``n_predict`` rows drawn
    with replacement from the test part; the fastest of ``repeats`` calls.
``"peak_memory_mb"``
    Peak memory (10^6 bytes) traced by :mod:`tracemalloc` while a second,
    fresh copy of the model is fit on the same rows
    (:func:`gdlab.metrics.cost.peak_memory`: Python and NumPy allocations;
    native buffers of BLAS or PyTorch are not seen). The timed fit runs
    untraced, since tracing slows Python-heavy code; the traced fit runs
    with native thread pools (OpenMP, BLAS) limited to one thread by
    :mod:`threadpoolctl`, since tracemalloc serializes allocations made by
    native threads (HistGradientBoosting fits 10x slower traced otherwise).
``"n_parameters"``
    Learned numbers in the fitted model (:func:`gdlab.metrics.cost.n_parameters`).

Timings depend on the machine and on what else runs on it: run the cost
study with ``n_jobs=1`` for numbers to compare.

Examples
--------
>>> from gdlab.data import load
>>> from gdlab.models.registry import make
>>> study = Cost(n_predict=200)
>>> cell = study.cells(load("iris"), ["gaussian-nb"], seeds=[0])[0]
>>> rows = study.run_cell(cell, load("iris"), lambda: make("gaussian-nb"))
>>> [r["metric"] for r in rows]
['fit_seconds', 'predict_ms_per_1000', 'peak_memory_mb', 'n_parameters']
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from gdlab._param_checks import check_int
from gdlab.capability_tags import DATA_KINDS
from gdlab.metrics.cost import n_parameters, peak_memory
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.calibration import complete_numeric, split_indices

__all__ = ["Cost", "COST_METRICS"]

#: The metrics of the cost study, in table order, with their labels.
COST_METRICS = {
    "fit_seconds": "fit (s)",
    "predict_ms_per_1000": "predict (ms / 1,000 rows)",
    "peak_memory_mb": "peak memory in fit (MB)",
    "n_parameters": "parameters",
}


class Cost(Study):
    """Fit seconds, predict latency per 1,000 rows, peak memory and parameter count.

    Parameters
    ----------
    n_predict : int, default=1000
        Rows in the latency measurement (drawn with replacement from the test part).
    repeats : int, default=3
        Latency is the fastest of this many ``predict`` calls.
    test_size : float in (0, 1) or int, default=0.25
    """

    name = "cost"
    headlines = (Headline("fit_seconds", "fit_seconds", "fit s"),)
    requires = frozenset({"classify"})
    modalities = frozenset(DATA_KINDS)
    #: Seeds the runner uses when it is given none (timings vary less than errors).
    default_seeds = (0, 1, 2)

    def __init__(self, *, n_predict: int = 1000, repeats: int = 3, test_size=0.25):
        self.n_predict = n_predict
        self.repeats = repeats
        self.test_size = test_size

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, seed)."""
        return self.per_model_seed_cells(dataset, models, seeds)

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Time the fit and ``predict``, trace a second fit's memory, count parameters."""
        n_predict = check_int(self.n_predict, "n_predict", minimum=1)
        repeats = check_int(self.repeats, "repeats", minimum=1)
        X, y = complete_numeric(dataset)
        train, test = split_indices(y, cell.seed, self.test_size)
        rng = np.random.default_rng(_common.derived_seeds(cell.seed, 2)[1])
        X_pred = X[rng.choice(test, size=n_predict, replace=True)]
        model = make_model()
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train])
            best = np.inf
            for _ in range(repeats):
                start = time.perf_counter()
                model.predict(X_pred)
                best = min(best, time.perf_counter() - start)
            # tracemalloc serializes allocations of native threads (OpenMP in
            # HistGradientBoosting: 10x slower traced), so the traced fit runs on one
            with threadpool_limits(limits=1):
                _, peak = peak_memory(make_model().fit, X[train], y[train])
        family = _common.family_of(cell.model)
        values = {
            "fit_seconds": seconds,
            "predict_ms_per_1000": best * 1e3 * 1000 / n_predict,
            "peak_memory_mb": peak / 1e6,
            "n_parameters": float(n_parameters(model)),
        }
        return [make_row(cell, family, metric, v, seconds) for metric, v in values.items()]

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The cost table: one row per (dataset, model), the mean over seeds of each metric.

        Returns
        -------
        DataFrame
            Columns ``dataset, model, family``, then the metrics of
            :data:`COST_METRICS` (means over seeds; ``n_parameters`` an int),
            ``n`` (seeds), sorted by dataset and fit seconds.
        """
        long = _common.summarize_rows(rows, self.name)
        long = long[long["metric"].isin(list(COST_METRICS))]
        cols = ["dataset", "model", "family", *COST_METRICS, "n"]
        if long.empty:
            return pd.DataFrame(columns=cols)
        wide = long.pivot_table(index=["dataset", "model", "family"], columns="metric",
                                values="mean", aggfunc="first").reset_index()
        n = long.groupby(["dataset", "model"])["n"].max().rename("n").reset_index()
        wide = wide.merge(n, on=["dataset", "model"])
        for metric in COST_METRICS:
            if metric not in wide:
                wide[metric] = np.nan
        wide["n_parameters"] = wide["n_parameters"].round().astype("Int64")
        wide = wide.sort_values(["dataset", "fit_seconds"]).reset_index(drop=True)
        wide.columns.name = None
        return wide[cols]

    def figures(self, rows: pd.DataFrame) -> list:
        """One interactive figure per dataset: a bar panel per metric (log scale), the mean
        over seeds with its 95 % interval, slowest model on top."""
        from gdlab.studies.plots import dots_figure

        rows = rows[(rows["study"] == self.name) & rows["metric"].isin(list(COST_METRICS))]
        summary = _common.summarize_rows(rows)
        figs = []
        for dataset, d in summary.groupby("dataset", sort=True):
            order = (d[d["metric"] == "fit_seconds"].sort_values("mean", ascending=False)
                     ["model"].tolist())
            d = d.assign(_order=d["model"].map({m: i for i, m in enumerate(order)})) \
                .sort_values("_order", na_position="last")
            figs.append(dots_figure(d, COST_METRICS, bars=True, log_x=set(COST_METRICS),
                                    title=f"Cost: {dataset} (mean over seeds; log scale)"))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Fastest vs slowest fit, fastest vs slowest prediction, smallest vs largest model."""
        table = self.summarize(rows)
        out = []
        for dataset, d in table.groupby("dataset", sort=True):
            if len(d) < 2:
                continue
            fit = d.set_index("model")["fit_seconds"].astype(float).dropna()
            pred = d.set_index("model")["predict_ms_per_1000"].astype(float).dropna()
            size = d.set_index("model")["n_parameters"].astype(float).dropna()
            if len(fit) >= 2 and fit.min() > 0:
                out.append(
                    f"On {dataset}, {fit.idxmin()} fits {_ratio(fit.max() / fit.min())} faster "
                    f"than {fit.idxmax()} ({_seconds(fit.min())} vs {_seconds(fit.max())}).")
            if len(pred) >= 2 and pred.min() > 0:
                out.append(
                    f"{pred.idxmin()} predicts 1,000 rows in {_seconds(pred.min() / 1e3)}, "
                    f"{pred.idxmax()} in {_seconds(pred.max() / 1e3)}.")
            if len(size) >= 2 and size.min() > 0:
                out.append(
                    f"The smallest model is {size.idxmin()} ({size.min():,.0f} numbers), "
                    f"the largest {size.idxmax()} ({size.max():,.0f}).")
        return out


def _ratio(r: float) -> str:
    """``"3.5x"``, ``"40x"``, ``"35,000x"``: two significant digits (timings under load do not
    carry five; it read "34857x")."""
    if r >= 100:
        return f"{float(f'{r:.2g}'):,.0f}x"
    return f"{r:.0f}x" if r >= 10 else f"{r:.1f}x"


def _seconds(s: float) -> str:
    return f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.3g} s"
