"""Missing data: test error against the fraction of features hidden (MCAR / MAR / MNAR).

Each seed draws one stratified train/test split, fits a model on the
training part (masked too when ``at="fit_and_predict"``), hides a fraction
``rate`` of the test part's observed entries with the chosen mechanism
(:mod:`gdlab.data.missing`, seeded, empty rows allowed) and scores the model
on the masked test part. How a model meets NaN depends only on its
capabilities:

- ``missing_features`` (generative models marginalize the hidden features;
  histogram gradient boosting and trees route NaN natively): the model sees
  the NaN itself. Handling ``"native"``.
- otherwise: a pipeline ``imputer -> model`` fit on the training part, with
  :class:`~sklearn.impute.SimpleImputer` (column means, ``"mean-impute"``)
  or :class:`~sklearn.impute.IterativeImputer` (``"iterative-impute"``).

Tidy encoding. ``cell.model`` stays the registry name. The handling, like
the mechanism and where the mask applies, is part of the *setting*:
``setting = "<mechanism>_rate:<at>:<handling>"`` (e.g.
``"mcar_rate:predict:native"``, ``"mar_rate:fit_and_predict:mean-impute"``)
and ``setting_value`` is the rate. So every (model, handling) pair is its own
resumable cell and the metrics stay plain ``"error"`` and ``"log_loss"``.
:func:`parse_setting` splits a setting; :meth:`MissingData.summarize` adds
the columns ``mechanism``, ``at``, ``handling`` and ``rate``.

Examples
--------
>>> parse_setting("mcar_rate:predict:mean-impute")
('mcar', 'predict', 'mean-impute')
>>> setting_name("mnar", "fit_and_predict", "native")
'mnar_rate:fit_and_predict:native'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab.data.missing import apply_mask, mar_mask, mcar_mask, mnar_mask
from gdlab.studies import _common
from gdlab.studies.base import Cell, Headline, Study, make_row
from gdlab.studies.prepare import numeric

__all__ = ["MissingData", "parse_setting", "setting_name", "handling_label", "MECHANISMS"]

#: Mask functions by mechanism name.
MECHANISMS = {"mcar": mcar_mask, "mar": mar_mask, "mnar": mnar_mask}
_AT = ("predict", "fit_and_predict")
_IMPUTATIONS = ("mean", "iterative")


def setting_name(mechanism: str, at: str, handling: str) -> str:
    """The ``setting`` string of one (mechanism, at, handling)."""
    return f"{mechanism}_rate:{at}:{handling}"


def parse_setting(setting: str) -> tuple[str, str, str]:
    """``(mechanism, at, handling)`` of a missing-data ``setting`` string."""
    parts = str(setting).split(":")
    if len(parts) != 3 or not parts[0].endswith("_rate"):
        raise ValueError(
            f"expected a setting like 'mcar_rate:predict:native', got {setting!r}."
        )
    return parts[0][: -len("_rate")], parts[1], parts[2]


def handling_label(model: str, family: str, handling: str) -> str:
    """How a model meets missing values, in words.

    Examples
    --------
    >>> handling_label("gaussian-nb", "generative", "native")
    'gaussian-nb (marginalization)'
    >>> handling_label("logreg", "discriminative", "mean-impute")
    'logreg with mean imputation'
    """
    if handling == "native":
        how = "marginalization" if family == "generative" else "native NaN"
        return f"{model} ({how})"
    return f"{model} with {handling.removesuffix('-impute')} imputation"


class MissingData(Study):
    """Error vs missing rate: marginalization vs imputation vs native NaN.

    Parameters
    ----------
    rates : sequence of float in [0, 1), default=(0, 0.1, 0.3, 0.5, 0.7, 0.9)
        Fractions of the observed entries hidden.
    mechanism : {"mcar", "mar", "mnar"} or tuple of them, default="mcar"
    at : {"predict", "fit_and_predict"}, default="predict"
        Mask the test part only, or the training part as well (its own
        draw at the same rate).
    imputation : tuple of {"mean", "iterative"}, default=("mean", "iterative")
        Imputers tried for models without ``missing_features``.
    test_size : float in (0, 1) or int, default=0.25
    n_splits : int, default=10
        Seeds ``0 .. n_splits - 1`` when :meth:`cells` is given none.
    """

    name = "missing_data"
    headlines = (
        # MCAR at predict time, as each model meets NaN by default: given as is to models
        # that take it (marginalization, native NaN), mean-imputed for the others
        Headline("missing_error", "error", "error\n{at} NaN", at="middle",
                 settings=("mcar_rate:predict:native", "mcar_rate:predict:mean-impute"),
                 at_name="missing_rate", at_format="{:.0%}",
                 legend="error {at} NaN: with that share of test entries missing "
                        "(marginalized or native NaN where the model can, else mean-imputed)"),
    )
    requires = frozenset({"classify"})

    def __init__(self, *, rates=(0, 0.1, 0.3, 0.5, 0.7, 0.9), mechanism="mcar",
                 at: str = "predict", imputation=("mean", "iterative"), test_size=0.25,
                 n_splits: int = 10):
        self.rates = rates
        self.mechanism = mechanism
        self.at = at
        self.imputation = imputation
        self.test_size = test_size
        self.n_splits = n_splits

    # ------------------------------------------------------------------ grid

    def _checked(self):
        mechs = (self.mechanism,) if isinstance(self.mechanism, str) else tuple(self.mechanism)
        bad = [m for m in mechs if m not in MECHANISMS]
        if bad or not mechs:
            raise ValueError(f"mechanism must be among {list(MECHANISMS)}, got {self.mechanism!r}.")
        if self.at not in _AT:
            raise ValueError(f"at must be one of {list(_AT)}, got {self.at!r}.")
        imps = (self.imputation,) if isinstance(self.imputation, str) else tuple(self.imputation)
        if not imps or any(i not in _IMPUTATIONS for i in imps):
            raise ValueError(
                f"imputation must be among {list(_IMPUTATIONS)}, got {self.imputation!r}."
            )
        rates = [float(r) for r in self.rates]
        if not rates or any(not 0 <= r < 1 for r in rates):
            raise ValueError(f"rates must be fractions in [0, 1), got {self.rates!r}.")
        return mechs, imps, rates

    def handlings(self, model: str) -> list[str]:
        """The handlings a registered model is run with (by its capabilities)."""
        if "missing_features" in _common.capabilities_of(model):
            return ["native"]
        return [f"{how}-impute" for how in self._checked()[1]]

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, mechanism, handling, rate, seed)."""
        mechs, _, rates = self._checked()
        seeds = list(range(self.n_splits) if seeds is None else seeds)
        return [
            Cell(self.name, dataset.name, model, setting_name(mech, self.at, handling), r,
                 int(seed))
            for model in models for mech in mechs for handling in self.handlings(model)
            for r in rates for seed in seeds
        ]

    def masked_split(self, dataset, cell: Cell):
        """``(X_train, y_train, X_test, y_test)`` of a cell, masked as it says."""
        mechanism, at, _ = parse_setting(cell.setting)
        X, y = numeric(dataset)
        split_seed, train_seed, test_seed = _common.derived_seeds(cell.seed, 3)
        train, test = _common.split_rows(y, split_seed, self.test_size)
        X_train, X_test = X[train], X[test]
        rate = float(cell.setting_value)
        if rate > 0:
            mask = MECHANISMS[mechanism]
            X_test = apply_mask(X_test, mask(X_test, rate, random_state=test_seed,
                                             allow_empty_rows=True))
            if at == "fit_and_predict":
                X_train = apply_mask(X_train, mask(X_train, rate, random_state=train_seed,
                                                   allow_empty_rows=True))
        return X_train, y[train], X_test, y[test]

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit (with the cell's handling) on the training part, score on the masked test part."""
        _, _, handling = parse_setting(cell.setting)
        X_train, y_train, X_test, y_test = self.masked_split(dataset, cell)
        model = make_model()
        if handling != "native":
            model = _common.with_imputation(model, handling.removesuffix("-impute"),
                                            random_state=cell.seed)
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X_train, y_train)
            scores = _common.evaluate(model, X_test, y_test, np.unique(dataset.y))
        family = _common.family_of(cell.model)
        return [make_row(cell, family, metric, value, seconds) for metric, value in scores.items()]

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds per dataset, model, setting, rate and metric.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS` plus
        ``mechanism``, ``at``, ``handling`` (parsed from ``setting``) and
        ``rate`` (= ``setting_value``).
        """
        s = _common.summarize_rows(rows, self.name)
        parsed = [parse_setting(v) for v in s["setting"]]
        s["mechanism"] = [p[0] for p in parsed]
        s["at"] = [p[1] for p in parsed]
        s["handling"] = [p[2] for p in parsed]
        s["rate"] = s["setting_value"]
        return s

    def figures(self, rows: pd.DataFrame) -> list:
        """One interactive figure per dataset, mechanism and ``at``: error vs rate.

        One line per model and handling (at most six per panel; more split
        by family), with the 95 % band over seeds.
        """
        from gdlab.studies.plots import curves_figure

        err = self._errors(rows)
        figs = []
        for (dataset, mech, at), d in err.groupby(["dataset", "mechanism", "at"], sort=True):
            where = "test features" if at == "predict" else "training and test features"
            d = d.assign(line=[handling_label(m, f, h) for m, f, h
                               in zip(d["model"], d["family"], d["handling"], strict=True)])
            figs.append(curves_figure(
                d, title=f"Missing data ({mech.upper()}): {dataset}",
                x_title=f"fraction of {where} missing", y_title="test error", x="rate",
                series="line", y_range=(0.0, 1.0), percent=True, percent_x=True,
                hover_label={n: n for n in d["line"]}))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain sentences: errors near 50 % missing, the best at the highest rate, failures."""
        err = self._errors(rows)
        out = []
        for (dataset, mech, at), d in err.groupby(["dataset", "mechanism", "at"], sort=True):
            prefix = f"On {dataset}: " if err["dataset"].nunique() > 1 else ""
            where = "" if at == "predict" else " (training data masked too)"
            rates = np.sort(d["rate"].unique())
            nonzero = rates[rates > 0]
            if len(nonzero):
                r = nonzero[np.argmin(np.abs(nonzero - 0.5))]
                at_r = d[d["rate"] == r].sort_values("mean")
                parts = [f"{handling_label(x.model, x.family, x.handling)}"
                         f"{' errs' if i == 0 else ''} {_common.percent(x.mean)}"
                         for i, x in enumerate(at_r.itertuples())]
                out.append(f"{prefix}At {_common.percent(r)} {mech.upper()}{where}, "
                           f"{', '.join(parts)}.")
            lo_r, hi_r = rates[0], rates[-1]
            if hi_r > lo_r:
                changes = []
                for (model, handling), c in d.groupby(["model", "handling"], sort=True):
                    c = c.set_index("rate")["mean"]
                    if lo_r in c.index and hi_r in c.index:
                        label = handling_label(model, _fam(d, model), handling)
                        changes.append(f"{label} from {_common.percent(c[lo_r])} to "
                                       f"{_common.percent(c[hi_r])}")
                if changes:
                    out.append(f"{prefix}From {_common.percent(lo_r)} to {_common.percent(hi_r)} "
                               f"{mech.upper()}{where}, the error goes: {'; '.join(changes)}.")
                best = d[d["rate"] == hi_r].sort_values("mean").iloc[0]
                out.append(f"{prefix}At {_common.percent(hi_r)} {mech.upper()} the lowest error "
                           f"is {handling_label(best.model, best.family, best.handling)}'s "
                           f"({_common.percent(best['mean'])}).")
        fails = _common.failures(rows, self.name)
        if not fails.empty:
            parsed = [parse_setting(v) for v in fails["setting"]]
            fails = fails.assign(mechanism=[p[0] for p in parsed], handling=[p[2] for p in parsed])
            keys = ["dataset", "mechanism", "setting_value", "reason"]
            for (dataset, mech, rate, reason), f in fails.groupby(keys, sort=True):
                who = ", ".join(handling_label(m, _common.family_of(m), h)
                                for m, h in zip(f["model"], f["handling"], strict=True))
                out.append(f"{int(f['n_failed'].sum())} cell(s) failed on {dataset} at "
                           f"{_common.percent(rate)} {mech.upper()} ({who}): {reason}")
        return out

    def _errors(self, rows: pd.DataFrame) -> pd.DataFrame:
        s = self.summarize(rows)
        return s[s["metric"] == "error"]


def _fam(summary: pd.DataFrame, model: str) -> str:
    return str(summary.loc[summary["model"] == model, "family"].iloc[0])
