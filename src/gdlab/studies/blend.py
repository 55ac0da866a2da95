"""The blend study: test error against training size for several lambdas of one blended model.

A blend (tag ``blend``, e.g. :class:`gdlab.models.blend.BlendGaussianNB`) is
fitted by lambda log p(x, y) + (1 - lambda) log p(y | x). Bouchard & Triggs
(2004) found that an interior lambda is best at small training sizes and that
the best lambda moves towards the discriminative end (0) as the training set
grows. This study measures that on the user's data: the splits and nested
training subsets of the learning-curve study
(:class:`gdlab.studies.learning_curve.LearningCurve`), and in each cell the
model is fitted once per lambda of ``lambdas``.

Tidy encoding: ``setting = "train_size"``, ``setting_value = m``; one row per
lambda and metric (``"error"``, ``"log_loss"``), the lambda in the model
name: ``"blend-gaussian-nb[lambda=0.3]"`` (:func:`series_name`,
:func:`parse_series`). :func:`best_lambdas` reads the best lambda per size
off the summary.

Examples
--------
>>> from gdlab.data import load
>>> from gdlab.models import make
>>> iris = load("iris")
>>> study = Blend(sizes=[15, 60], lambdas=(0.0, 1.0))
>>> cell = study.cells(iris, ["blend-gaussian-nb"], seeds=[0])[0]
>>> rows = study.run_cell(cell, iris, lambda: make("blend-gaussian-nb"))
>>> sorted({r["model"] for r in rows})
['blend-gaussian-nb[lambda=0]', 'blend-gaussian-nb[lambda=1]']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pandas as pd
from sklearn.base import clone

from gdlab.models.blend import DEFAULT_LAMBDA_GRID, check_blend_weight
from gdlab.studies import _common
from gdlab.studies.base import ROW_COLUMNS, Cell, Headline, make_row
from gdlab.studies.learning_curve import LearningCurve
from gdlab.studies.prepare import inputs

__all__ = ["Blend", "series_name", "parse_series", "best_lambdas"]

_SERIES = re.compile(r"^(?P<model>.+)\[lambda=(?P<lam>[0-9.eE+-]+)\]$")

_LEGEND = ("best-λ err, best λ, err λ=1, err λ=0 (blend study): after training on {at} rows, "
           "the test error at the lambda of lowest mean error over the splits (that lambda "
           "picked on the test splits, so optimistic), the lambda, and the errors at the "
           "generative (1) and discriminative (0) ends")

#: Colors of the lambda curves, from discriminative (0) to generative (1).
_RAMP = ("#08306b", "#2171b5", "#4292c6", "#6baed6", "#fd8d3c", "#e6550d", "#a63603")


def series_name(model: str, lam: float) -> str:
    """The model name of one lambda's rows: ``"blend-gaussian-nb[lambda=0.3]"``.

    Examples
    --------
    >>> series_name("blend-gaussian-nb", 0.3)
    'blend-gaussian-nb[lambda=0.3]'
    """
    return f"{model}[lambda={lam:g}]"


def parse_series(name: str) -> tuple[str, float]:
    """(model, lambda) of a series name made by :func:`series_name`.

    Examples
    --------
    >>> parse_series("blend-gaussian-nb[lambda=0.3]")
    ('blend-gaussian-nb', 0.3)
    """
    match = _SERIES.match(str(name))
    if match is None:
        raise ValueError(f"{name!r} is not a blend series name (model[lambda=value]).")
    return match["model"], float(match["lam"])


def _with_lambdas(summary: pd.DataFrame) -> pd.DataFrame:
    parsed = [parse_series(m) for m in summary["model"]]
    return summary.assign(blend=[p[0] for p in parsed], lam=[p[1] for p in parsed])


def best_lambdas(summary: pd.DataFrame, metric: str = "error") -> pd.DataFrame:
    """The lambda of lowest mean ``metric`` at each training size, per dataset and model.

    Parameters
    ----------
    summary : DataFrame
        :meth:`Blend.summarize` of the blend study's rows.
    metric : str, default="error"

    Returns
    -------
    DataFrame
        Columns ``dataset``, ``model`` (the blend), ``train_size``,
        ``best_lambda``, ``best`` (its mean), ``best_lo``, ``best_hi`` (its 95 %
        interval, clipped at 0), ``generative`` and ``discriminative`` (the
        means at the largest and smallest lambda of the grid), ``spread`` (the
        largest mean minus the smallest, over the lambdas), ``n``. Ties go to
        the larger lambda (the more generative fit).
    """
    cols = ["dataset", "model", "train_size", "best_lambda", "best", "best_lo", "best_hi",
            "generative", "discriminative", "spread", "n"]
    s = summary[summary["metric"] == metric]
    if s.empty:
        return pd.DataFrame(columns=cols)
    s = _with_lambdas(s)
    out = []
    for (dataset, blend, m), d in s.groupby(["dataset", "blend", "setting_value"], sort=True):
        d = d.sort_values("lam")
        low = d["mean"].min()
        best = d[d["mean"] <= low + 1e-12].iloc[-1]
        lo, hi = np.clip([best["lo"], best["hi"]], 0.0, None)  # an error rate is never < 0
        out.append((dataset, blend, m, best["lam"], best["mean"], lo, hi, d["mean"].iloc[-1],
                    d["mean"].iloc[0], d["mean"].max() - low, int(best["n"])))
    return pd.DataFrame(out, columns=cols)


class Blend(LearningCurve):
    """Error vs training size for several lambdas of each blended model.

    Parameters
    ----------
    lambdas : sequence of float in [0, 1], default=DEFAULT_LAMBDA_GRID
        The weights of log p(x, y) to fit, each a curve.
    sizes, n_sizes, test_size, n_splits :
        As in :class:`~gdlab.studies.learning_curve.LearningCurve` (the same
        splits and nested subsets).
    """

    name = "blend"
    requires = frozenset({"classify", "blend"})
    modalities = frozenset({"tabular", "image"})
    default_model_tags = frozenset({"blend"})
    headlines = (
        Headline("blend_error", "best_error", "best-λ err\n{at} rows", at="largest",
                 at_format="{:.0f}", legend=_LEGEND),
        Headline("blend_lambda", "best_lambda", "best λ\n{at} rows", at="largest",
                 at_format="{:.0f}", digits=2, legend=_LEGEND),
        Headline("blend_generative_error", "generative_error", "err λ=1\n{at} rows",
                 at="largest", at_format="{:.0f}", legend=_LEGEND),
        Headline("blend_discriminative_error", "discriminative_error", "err λ=0\n{at} rows",
                 at="largest", at_format="{:.0f}", legend=_LEGEND),
    )

    def __init__(self, *, lambdas=DEFAULT_LAMBDA_GRID, sizes=None, n_sizes: int = 6,
                 test_size=0.25, n_splits: int = 10):
        super().__init__(sizes=sizes, n_sizes=n_sizes, test_size=test_size, n_splits=n_splits)
        self.lambdas = lambdas

    @classmethod
    def headline_rows(cls, rows: pd.DataFrame) -> pd.DataFrame:
        """Per blend (under its own name), training size and seed: the test error at the best
        lambda (``best_error``, the lambda of lowest mean error over the seeds, ties to the
        larger), at lambda 1 and 0 (``generative_error``, ``discriminative_error``, when the
        grid holds them), and the best lambda itself (``best_lambda``, one row at the first
        seed, so it shows without an interval).

        Examples
        --------
        >>> rows = pd.DataFrame({
        ...     "study": "blend", "dataset": "d", "family": "hybrid", "setting": "train_size",
        ...     "setting_value": 20.0, "seed": [0, 0, 1, 1], "metric": "error",
        ...     "model": ["nb[lambda=0]", "nb[lambda=1]"] * 2, "value": [.3, .2, .3, .4],
        ...     "fit_seconds": 0.0, "error": None})
        >>> h = Blend.headline_rows(rows)
        >>> h.groupby("metric")["value"].mean().round(2).to_dict()
        {'best_error': 0.3, 'best_lambda': 1.0, 'discriminative_error': 0.3, \
'generative_error': 0.3}
        >>> sorted(set(h["model"]))
        ['nb']
        """
        ok = rows[(rows["study"] == cls.name) & rows["error"].isna()
                  & (rows["metric"] == "error")]
        if ok.empty:
            return rows.iloc[0:0]
        parsed = [parse_series(m) for m in ok["model"]]
        ok = ok.assign(model=[p[0] for p in parsed], _lam=[p[1] for p in parsed])
        best = best_lambdas(_common.summarize_rows(rows[rows["error"].isna()], cls.name))
        best = best.rename(columns={"model": "_blend", "train_size": "setting_value"})
        key = ["dataset", "model", "setting_value"]
        ok = ok.merge(best[["dataset", "_blend", "setting_value", "best_lambda"]]
                      .rename(columns={"_blend": "model"}), on=key, how="inner")
        parts = [ok[np.isclose(ok["_lam"], ok["best_lambda"])].assign(metric="best_error"),
                 ok[ok["_lam"] == 1.0].assign(metric="generative_error"),
                 ok[ok["_lam"] == 0.0].assign(metric="discriminative_error")]
        first = ok.sort_values("seed").drop_duplicates(key)
        parts.append(first.assign(metric="best_lambda", value=first["best_lambda"],
                                  fit_seconds=np.nan))
        out = pd.concat(parts, ignore_index=True)
        return out[list(ROW_COLUMNS)].reset_index(drop=True)

    def _lambdas(self) -> list[float]:
        if isinstance(self.lambdas, str) or not hasattr(self.lambdas, "__iter__"):
            raise TypeError(f"lambdas must be a sequence of numbers in [0, 1], got "
                            f"{self.lambdas!r}.")
        values = [check_blend_weight(v, "each of lambdas") for v in self.lambdas]
        if not values or "cv" in values or len(set(values)) != len(values):
            raise ValueError(f"lambdas must be distinct numbers in [0, 1], got {self.lambdas!r}.")
        return sorted(values)

    def cells(self, dataset, models, seeds=None):
        """One cell per (model, training size, seed); each fits every lambda.

        The lambda grid is the cells' ``variant``: a resumed run with another grid runs
        every cell again rather than reading rows of the old lambdas.
        """
        variant = "lambdas=" + ",".join(map(repr, self._lambdas()))  # bad lambdas fail here
        return [replace(c, variant=variant) for c in super().cells(dataset, models, seeds)]

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit the cell's subset once per lambda, score each on the test part."""
        X, y = inputs(dataset)
        train, test = self.split(dataset, cell.seed, int(cell.setting_value))
        model = make_model()
        if "lambda_" not in model.get_params():
            raise TypeError(f"{cell.model} has no lambda_ parameter: the blend study takes "
                            "models with the blend tag (e.g. blend-gaussian-nb).")
        family = _common.family_of(cell.model)
        rows = []
        for lam in self._lambdas():
            fitted = clone(model).set_params(lambda_=lam)
            with _common.quiet_convergence():
                seconds = _common.fit_timed(fitted, X[train], y[train])
                scores = _common.evaluate(fitted, X[test], y[test], np.unique(y))
            for metric, value in scores.items():
                row = make_row(cell, family, metric, value, seconds)
                row["model"] = series_name(cell.model, lam)
                rows.append(row)
        return rows

    # ------------------------------------------------------------------ results

    def figures(self, rows: pd.DataFrame) -> list:
        """Per dataset and blend: mean error vs m (log x), one line per lambda, best marked."""
        from gdlab.studies.plots import curves_figure

        summary = self.summarize(rows)
        err = summary[summary["metric"] == "error"]
        if err.empty:
            return []
        err = _with_lambdas(err)
        best = best_lambdas(summary)
        lams = sorted(err["lam"].unique())
        ramp = {lam: _RAMP[round(i * (len(_RAMP) - 1) / max(len(lams) - 1, 1))]
                for i, lam in enumerate(lams)}
        figs = []
        order = _ranked(best)
        for (dataset, blend), d in sorted(err.groupby(["dataset", "blend"], sort=True),
                                          key=lambda item: order.get(item[0], len(order))):
            d = d.sort_values(["lam", "setting_value"], kind="stable")  # legend 0 ... 1
            d = d.assign(series=[f"lambda={lam:g}" for lam in d["lam"]])
            b = best[(best["dataset"] == dataset) & (best["model"] == blend)]
            marks = pd.DataFrame({
                "x": b["train_size"], "y": b["best"],
                "text": [f"best lambda {lam:g} at {m:.0f} rows: error {_common.percent(e)}"
                         for lam, m, e in zip(b["best_lambda"], b["train_size"], b["best"],
                                              strict=True)]})
            figs.append(curves_figure(
                d, title=f"Blend of {blend} on {dataset}: test error per lambda "
                         "(1 = generative, 0 = discriminative)",
                x_title="training rows m", y_title="test error", log_x=True,
                y_range=(0.0, 1.0), percent=True, series="series", max_series=len(lams),
                colors={f"lambda={lam:g}": c for lam, c in ramp.items()},
                markers=marks, marker_name="best lambda", legend_title="lambda"))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain sentences: the best lambda at each end of the curve, and whether the
        published pattern (interior best at small m, moving towards 0) holds."""
        summary = self.summarize(rows)
        best = best_lambdas(summary)
        out = []
        for dataset, d in best.groupby("dataset", sort=True):
            # first: which blend and lambda did best at the largest size (the report's glance)
            last = d[d["train_size"] == d["train_size"].max()].sort_values("best", kind="stable")
            top = last.iloc[0]
            per = ", ".join(f"{r.model} {r.best_lambda:g}" for r in last.itertuples())
            out.append(
                f"On {dataset} at {top['train_size']:.0f} training rows, the lowest test error "
                f"is {top['model']} at lambda={top['best_lambda']:g}: "
                f"{_common.percent(top['best'])} (95 % interval "
                f"{_common.percent(top['best_lo'])}-{_common.percent(top['best_hi'])}). "
                + (f"Best lambda there per blend: {per}." if len(last) > 1 else ""))
        order = _ranked(best)
        for (dataset, blend), b in sorted(best.groupby(["dataset", "model"], sort=True),
                                          key=lambda item: order.get(item[0], len(order))):
            b = b.sort_values("train_size")
            path = ", ".join(f"{lam:g} at {m:.0f}" for lam, m in
                             zip(b["best_lambda"], b["train_size"], strict=True))
            first, last = b.iloc[0], b.iloc[-1]
            out.append(
                f"On {dataset}, {blend}: the best lambda by mean test error is {path} "
                f"training rows. At {first['train_size']:.0f} rows it errs "
                f"{_common.percent(first['best'])} (95 % interval "
                f"{_common.percent(first['best_lo'])}-{_common.percent(first['best_hi'])}), "
                f"against {_common.percent(first['generative'])} generative (lambda=1) and "
                f"{_common.percent(first['discriminative'])} discriminative (lambda=0); at "
                f"{last['train_size']:.0f} rows {_common.percent(last['best'])} against "
                f"{_common.percent(last['generative'])} and "
                f"{_common.percent(last['discriminative'])}.")
            out.append(f"On {dataset}, {blend}: {_pattern(b)}")
        out += _common.failure_sentences(rows, self.name)
        return out


def _ranked(best: pd.DataFrame) -> dict[tuple, int]:
    """Position of each (dataset, blend) when ranked by the best error at its largest size
    (figures and sentences follow it: the blend that does best first)."""
    last = best[best["train_size"] == best.groupby(["dataset", "model"])["train_size"]
                .transform("max")]
    last = last.sort_values(["dataset", "best", "model"], kind="stable")
    return {(d, m): i for i, (d, m) in enumerate(zip(last["dataset"], last["model"],
                                                     strict=True))}


def _pattern(b: pd.DataFrame) -> str:
    """Whether one blend's best lambdas follow Bouchard & Triggs's pattern, in a sentence."""
    lam = b["best_lambda"].to_numpy(float)
    if (b["spread"] <= 1e-12).all():
        return ("every lambda gives the same mean error at every size: these data (or this "
                "family on them) do not tell the lambdas apart.")
    interior_small = 0.0 < lam[0] < 1.0
    moves_down = lam[-1] < lam[0] or (lam[-1] == 0.0 == lam[0])
    monotone = bool(np.all(np.diff(lam) <= 0))
    if interior_small and moves_down:
        how = "steadily" if monotone else "though not steadily"
        return (f"the published pattern holds: an interior lambda ({lam[0]:g}) is best at the "
                f"smallest size and the optimum moves towards the discriminative end "
                f"({how}) to {lam[-1]:g} at the largest.")
    if not interior_small:
        end = "generative" if lam[0] == 1.0 else "discriminative"
        tail = ("and the optimum moves towards 0 as m grows" if lam[-1] < lam[0] else
                "and the optimum does not move towards 0 as m grows")
        return (f"the published pattern does not hold at the smallest size: the {end} end "
                f"(lambda={lam[0]:g}) is best there, not an interior lambda, {tail} "
                f"(lambda={lam[-1]:g} at the largest).")
    return (f"an interior lambda ({lam[0]:g}) is best at the smallest size, but the optimum "
            f"does not move towards the discriminative end as m grows (lambda={lam[-1]:g} at "
            "the largest); the published pattern holds only in part.")
