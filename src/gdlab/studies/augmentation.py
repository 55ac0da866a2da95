"""Generative data augmentation: does a classifier gain from rows drawn from p(x | y)?

The run's models are the classifiers (any model that classifies; logistic
regression, random forest and an MLP are the usual ones). Each is fitted
through :class:`gdlab.models.augmentation.GenerativeAugmentation` with every
generator of the study (registry models with ``conditional_sample``, or
``"smote"``: :class:`~gdlab.models.augmentation.SMOTESampler`, the
non-generative baseline) at every ratio of synthetic to real rows, on
training sets of two kinds:

- ``"<m> rows"``: a stratified subsample of ``m`` rows of the training part
  (the setting where extra rows might help most); ``ratio * n_k`` synthetic
  rows per class;
- ``"imbalanced"``: the whole training part with the minority class (the
  dataset's least frequent class) cut to ``imbalance`` of its rows, at least
  2; synthetic rows with ``balance=True``, every class brought to
  ``(1 + ratio) * n_max`` rows (``ratio = 0``: the classes evened out).

Each (regime, seed) has one cell of the bare classifier (generator
``"none"``, ``setting_value`` 0), the baseline every gain is measured from on
the same split. The test part is the untouched held-out quarter.

Tidy encoding: ``setting = "<regime> · <generator>"`` (e.g. ``"50 rows ·
gmm-classifier"``, ``"imbalanced · smote"``, ``"50 rows · none"``),
``setting_value`` = ratio. Metrics ``"error"``, ``"balanced_error"``,
``"log_loss"`` and, in the imbalanced regime, ``"minority_recall"`` (recall
of the cut class on the test part). :meth:`Augmentation.summarize` adds the
paired gains over the bare classifier of the same split: ``gain_error``,
``gain_balanced_error`` (error removed: positive helps) and
``gain_minority_recall`` (recall added).

Examples
--------
>>> from gdlab.data import load
>>> study = Augmentation(generators=("gaussian-nb", "smote"), ratios=(0, 1), train_sizes=(30,))
>>> sorted({c.setting for c in study.cells(load("iris"), ["logreg"], seeds=[0])})
['30 rows · gaussian-nb', '30 rows · none', '30 rows · smote', 'imbalanced · gaussian-nb', \
'imbalanced · none', 'imbalanced · smote']
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab.data.splits import nested_subsamples
from gdlab.metrics.classification import balanced_error_rate, class_recall
from gdlab.studies import _common
from gdlab.studies.base import ROW_COLUMNS, Cell, Headline, Study, make_row
from gdlab.studies.prepare import inputs

__all__ = ["Augmentation", "SMOTE", "NONE", "IMBALANCED", "parse_setting"]

#: The generator name of SMOTE (not a registry model: it has no classifier and no density).
SMOTE = "smote"
#: The generator name of the bare classifier's cells.
NONE = "none"
#: The regime name of the imbalanced training sets.
IMBALANCED = "imbalanced"
_SEP = " · "
#: ``setting`` of the headline rows of the smallest row regime (:meth:`Augmentation.headline_rows`).
ROWS = "rows"
_LEGEND_ROWS = ("error, aug. error, aug. gain (augmentation study): test error after training "
                "on {at} rows without synthetic rows, with the (generator, ratio) of largest "
                "mean gain over the splits (picked on the test splits, so optimistic), and "
                "their paired difference (> 0: augmentation helps)")
_LEGEND_IMBALANCED = ("imbal. bal.err gain, recall gain (augmentation study): with the "
                      "minority class cut, the balanced error removed by the (generator, "
                      "ratio) that removes most on average, and the minority-class recall it "
                      "adds (> 0: helps)")
_GAINS = {"error": "gain_error", "balanced_error": "gain_balanced_error",
          "minority_recall": "gain_minority_recall"}


def parse_setting(setting: str) -> tuple[str, str]:
    """``(regime, generator)`` of a setting string.

    Examples
    --------
    >>> parse_setting("50 rows · gmm-classifier")
    ('50 rows', 'gmm-classifier')
    """
    regime, sep, generator = str(setting).partition(_SEP)
    if not sep:
        raise ValueError(f"not an augmentation setting: {setting!r} (expected "
                         f"'<regime>{_SEP}<generator>').")
    return regime, generator


def _make_generator(name: str):
    if name == SMOTE:
        from gdlab.models.augmentation import SMOTESampler

        return SMOTESampler()
    from gdlab.models.registry import make

    return make(name)


class Augmentation(Study):
    """Test error of classifiers trained on real plus synthetic rows, against the ratio.

    Parameters
    ----------
    generators : sequence of str, default=("gaussian-nb", "gmm-classifier", "kde-classifier", \
"smote")
        Registry models with ``conditional_sample``, or ``"smote"``.
    ratios : sequence of float >= 0, default=(0, 0.5, 1, 2, 4)
        Synthetic rows per real row of each class (imbalanced regime: the
        classes brought to ``(1 + ratio)`` times the largest). Ratio 0 of the
        row regimes is the bare classifier's cell.
    train_sizes : sequence of int, default=(50,)
        Training rows of the small regimes (at most the training part; at least
        two per class).
    imbalance : float in (0, 1] or None, default=0.1
        Fraction of the minority class's training rows kept in the imbalanced
        regime; None leaves that regime out.
    test_size : float in (0, 1) or int, default=0.25
    n_splits : int, default=5
        Repeated splits (seeds ``0 .. n_splits - 1``) when :meth:`cells` is
        given no seeds.
    """

    name = "augmentation"
    requires = frozenset({"classify"})
    modalities = frozenset({"tabular", "image"})
    headlines = (
        Headline("aug_error", "bare_error", "error\n{at} rows", at="largest", settings=(ROWS,),
                 at_format="{:.0f}", legend=_LEGEND_ROWS),
        Headline("aug_best_error", "best_error", "aug. error\n{at} rows", at="largest",
                 settings=(ROWS,), at_format="{:.0f}", legend=_LEGEND_ROWS),
        Headline("aug_gain", "best_gain", "aug. gain\n{at} rows", better="higher", at="largest",
                 settings=(ROWS,), at_format="{:.0f}", legend=_LEGEND_ROWS),
        Headline("aug_imbalanced_gain", "imbalanced_gain", "imbal.\nbal.err gain",
                 better="higher", settings=(IMBALANCED,), legend=_LEGEND_IMBALANCED),
        Headline("aug_recall_gain", "recall_gain", "imbal.\nrecall gain", better="higher",
                 settings=(IMBALANCED,), legend=_LEGEND_IMBALANCED),
    )

    def __init__(self, *, generators=("gaussian-nb", "gmm-classifier", "kde-classifier", SMOTE),
                 ratios=(0, 0.5, 1, 2, 4), train_sizes=(50,), imbalance=0.1, test_size=0.25,
                 n_splits: int = 5):
        self.generators = generators
        self.ratios = ratios
        self.train_sizes = train_sizes
        self.imbalance = imbalance
        self.test_size = test_size
        self.n_splits = n_splits

    @classmethod
    def headline_rows(cls, rows: pd.DataFrame) -> pd.DataFrame:
        """Per classifier and seed, what the summary shows: in the smallest row regime
        (``setting="rows"``, ``setting_value`` = its rows) the bare classifier's test error
        (``bare_error``), the error with the best (generator, ratio) (``best_error``: the
        largest mean paired gain over the seeds) and that paired gain (``best_gain``); in the
        imbalanced regime (``setting="imbalanced"``) the paired balanced-error gain of the
        best (generator, ratio) by that gain (``imbalanced_gain``) and the minority-recall
        gain of the same setting (``recall_gain``)."""
        ok = rows[(rows["study"] == cls.name) & rows["error"].isna()]
        if ok.empty:
            return rows.iloc[0:0]
        regime = ok["setting"].map(lambda s: parse_setting(s)[0])
        sizes = sorted({int(r.split()[0]) for r in regime if r != IMBALANCED})
        gains = cls.gains(ok)
        g_regime = gains["setting"].map(lambda s: parse_setting(s)[0])
        out = []
        cell = ["dataset", "model", "setting", "setting_value"]

        def best_of(part, metric):
            """Rows of ``part`` (one metric) of the setting with the largest mean, per model."""
            part = part[part["metric"] == metric]
            if part.empty:
                return part
            means = part.groupby(cell, dropna=False)["value"].mean().rename("_mean").reset_index()
            top = (means.sort_values("_mean", ascending=False, kind="stable")
                   .drop_duplicates(["dataset", "model"]))
            return part.merge(top[cell], on=cell, how="inner")

        if sizes:
            m = sizes[0]
            small = f"{m} rows"
            mine = ok[(regime == small) & (ok["metric"] == "error")]
            bare = mine[mine["setting"] == f"{small}{_SEP}{NONE}"]
            out.append(bare.assign(metric="bare_error"))
            best = best_of(gains[g_regime == small], "gain_error")
            out.append(best.assign(metric="best_gain"))
            chosen = mine.merge(best[[*cell, "seed"]], on=[*cell, "seed"], how="inner")
            out.append(chosen.assign(metric="best_error"))
            out = [o.assign(setting=ROWS, setting_value=float(m)) for o in out]
        imb = gains[g_regime == IMBALANCED]
        best = best_of(imb, "gain_balanced_error")
        if len(best):
            recall = imb[imb["metric"] == "gain_minority_recall"].merge(
                best[[*cell, "seed"]], on=[*cell, "seed"], how="inner")
            out += [part.assign(metric=metric, setting=IMBALANCED, setting_value=np.nan)
                    for part, metric in ((best, "imbalanced_gain"), (recall, "recall_gain"))]
        if not out:
            return rows.iloc[0:0]
        return pd.concat(out, ignore_index=True)[list(ROW_COLUMNS)].reset_index(drop=True)

    @staticmethod
    def setting_label(value) -> str:
        """How a ratio reads in a table header."""
        return f"ratio {float(value):g}"

    # ------------------------------------------------------------------ checks

    def _generators(self) -> list[str]:
        from gdlab.models.registry import spec

        given = [self.generators] if isinstance(self.generators, str) else list(self.generators)
        if not given:
            raise ValueError("generators is empty: name at least one (e.g. 'gaussian-nb').")
        for name in given:
            if name == SMOTE:
                continue
            caps = spec(name).capabilities  # ValueError naming the known models
            if "conditional_sample" not in caps:
                raise ValueError(f"generator {name!r} lacks the conditional_sample capability; "
                                 "use a model that draws rows of a given class, or 'smote'.")
        if len(set(given)) != len(given) or NONE in given:
            raise ValueError(f"generators must be distinct names other than {NONE!r}, "
                             f"got {given}.")
        return given

    def _ratios(self) -> list[float]:
        given = [self.ratios] if isinstance(self.ratios, numbers.Number) else list(self.ratios)
        out = []
        for r in given:
            if (isinstance(r, bool) or not isinstance(r, numbers.Real) or not np.isfinite(r)
                    or r < 0):
                raise ValueError(f"each ratio must be a finite number >= 0, got {r!r}.")
            out.append(float(r))
        if not out:
            raise ValueError("ratios is empty.")
        return sorted(set(out))

    def _imbalance(self) -> float | None:
        f = self.imbalance
        if f is None:
            return None
        if isinstance(f, bool) or not isinstance(f, numbers.Real) or not 0 < f <= 1:
            raise ValueError(f"imbalance must be a fraction in (0, 1] or None, got {f!r}.")
        return float(f)

    def regimes(self, dataset) -> list[str]:
        """The training regimes on ``dataset``: ``"<m> rows"`` per usable size, then
        ``"imbalanced"``."""
        y = np.asarray(dataset.y)
        n_classes = len(np.unique(y))
        n_train = _common.n_train(len(y), self.test_size)
        sizes = [self.train_sizes] if isinstance(self.train_sizes, numbers.Number) \
            else list(self.train_sizes)
        out = []
        for m in sizes:
            if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 2 * n_classes:
                raise ValueError(f"each train size must be an int of at least 2 rows per class "
                                 f"({2 * n_classes}), got {m!r}.")
            out.append(f"{min(int(m), n_train)} rows")
        out = list(dict.fromkeys(out))
        if self._imbalance() is not None:
            out.append(IMBALANCED)
        if not out:
            raise ValueError("no regime: give train_sizes or an imbalance fraction.")
        return out

    # ------------------------------------------------------------------ grid

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """Per classifier, regime and seed: the bare classifier, then every generator at
        every ratio (ratio 0 only in the imbalanced regime, where it evens the classes out)."""
        seeds = list(range(self.n_splits) if seeds is None else seeds)
        generators, ratios, regimes = self._generators(), self._ratios(), self.regimes(dataset)
        out = []
        for model in models:
            for regime in regimes:
                # the imbalanced cells depend on the fraction kept: their resume key holds it
                v = f"imbalance={self._imbalance()!r}" if regime == IMBALANCED else ""
                out += [Cell(self.name, dataset.name, model, f"{regime}{_SEP}{NONE}", 0.0, s, v)
                        for s in seeds]
                for gen in generators:
                    out += [Cell(self.name, dataset.name, model, f"{regime}{_SEP}{gen}", r, s, v)
                            for r in ratios if r > 0 or regime == IMBALANCED for s in seeds]
        return out

    @staticmethod
    def minority_class(y) -> object:
        """The dataset's least frequent class (the smallest label among ties)."""
        labels, counts = np.unique(np.asarray(y), return_counts=True)
        return labels[int(np.argmin(counts))]

    def split(self, dataset, seed: int, regime: str):
        """Row indices ``(train, test)`` of one cell; deterministic by seed and regime.

        Every regime of a seed shares the test part.
        """
        y = np.asarray(dataset.y)
        split_seed, sub_seed = _common.derived_seeds(seed, 2)
        train, test = _common.split_rows(y, split_seed, self.test_size)
        if regime == IMBALANCED:
            minority = self.minority_class(y)
            rows = np.flatnonzero(y[train] == minority)
            keep = max(2, int(round(self._imbalance() * len(rows))))
            drop = np.random.default_rng(sub_seed).permutation(rows)[keep:]
            return np.delete(train, drop), test
        m = int(regime.split()[0])
        if m >= len(train):
            return train, test
        subset = nested_subsamples(y[train], [m], random_state=sub_seed)[0]
        return train[subset], test

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit the classifier (through GenerativeAugmentation unless the generator is
        ``"none"``) on the regime's training rows, score it on the test part."""
        from gdlab.capability_tags import capabilities
        from gdlab.models.augmentation import GenerativeAugmentation

        regime, generator = parse_setting(cell.setting)
        X, y = inputs(dataset)
        classes = np.unique(y)
        train, test = self.split(dataset, cell.seed, regime)
        model = make_model()
        if generator != NONE:
            model = GenerativeAugmentation(
                _make_generator(generator), model, ratio=float(cell.setting_value),
                balance=regime == IMBALANCED, random_state=_common.derived_seeds(cell.seed, 3)[2])
        if X.dtype != object and (np.isnan(X[train]).any() or np.isnan(X[test]).any()):
            if "missing_features" not in capabilities(model):
                model = _common.with_imputation(model, "mean")
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train], classes=classes)
            scores = _common.evaluate(model, X[test], y[test], classes)
            pred = model.predict(X[test])
        scores["balanced_error"] = balanced_error_rate(y[test], pred)
        if regime == IMBALANCED:
            scores["minority_recall"] = class_recall(y[test], pred, self.minority_class(y))
        family = _common.family_of(cell.model)
        return [make_row(cell, family, metric, value, seconds) for metric, value in scores.items()]

    # ------------------------------------------------------------------ results

    @staticmethod
    def gains(rows: pd.DataFrame) -> pd.DataFrame:
        """Per-seed gains over the bare classifier of the same dataset, classifier, regime and
        split: ``gain_error`` and ``gain_balanced_error`` (error removed) and
        ``gain_minority_recall`` (recall added), as tidy rows (``seed`` kept)."""
        ok = rows[(rows["study"] == Augmentation.name) & rows["error"].isna()
                  & rows["metric"].isin(list(_GAINS))].copy()
        if ok.empty:
            return ok.iloc[0:0]
        parts = ok["setting"].map(parse_setting)
        ok["_regime"], ok["_generator"] = parts.str[0], parts.str[1]
        key = ["dataset", "model", "_regime", "seed", "metric"]
        base = ok[ok["_generator"] == NONE].groupby(key)["value"].mean().rename("_base")
        aug = ok[ok["_generator"] != NONE].join(base, on=key, how="inner")
        sign = np.where(aug["metric"] == "minority_recall", 1.0, -1.0)
        aug["value"] = sign * (aug["value"] - aug["_base"])
        aug["metric"] = aug["metric"].map(_GAINS)
        return aug.drop(columns=["_regime", "_generator", "_base"])

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds per dataset, classifier, setting, ratio and metric,
        the paired gains over the bare classifier included
        (:data:`gdlab.studies._common.SUMMARY_COLUMNS`)."""
        mine = rows[rows["study"] == self.name]
        return _common.summarize_rows(pd.concat([mine, self.gains(mine)], ignore_index=True),
                                      self.name)

    def figures(self, rows: pd.DataFrame) -> list:
        """Per dataset and regime: the error (balanced error when imbalanced) against the
        ratio, one panel per classifier, one line per generator starting from the bare
        classifier at ratio 0."""
        from gdlab.studies.plots import curves_figure

        summary = self.summarize(rows)
        if summary.empty:
            return []
        parts = summary["setting"].map(parse_setting)
        summary = summary.assign(regime=parts.str[0], generator=parts.str[1])
        figs = []
        for (dataset, regime), d in summary.groupby(["dataset", "regime"], sort=True):
            metric = "balanced_error" if regime == IMBALANCED else "error"
            d = d[d["metric"] == metric]
            base = d[d["generator"] == NONE]
            lines = []
            for gen in [g for g in dict.fromkeys(d["generator"]) if g != NONE]:
                g = d[d["generator"] == gen]
                # the bare classifier is where every curve starts (ratio 0 of the row regimes)
                start = base if regime != IMBALANCED else base.iloc[0:0]
                lines.append(pd.concat([start, g]).assign(series=gen))
            if not lines:
                continue
            curves = pd.concat(lines, ignore_index=True)
            if regime == IMBALANCED:  # the bare classifier: a flat line across the ratios
                xs = np.sort(d["setting_value"].unique())
                flat = [base.assign(setting_value=x) for x in xs]
                curves = pd.concat([curves, *[f.assign(series="no augmentation") for f in flat]],
                                   ignore_index=True)
            curves = curves.assign(panel=curves["model"],
                                   family=curves["series"].map(_generator_family),
                                   model=curves["series"])
            title = (f"Augmentation on {dataset}, {regime}: "
                     f"{'balanced error' if metric == 'balanced_error' else 'test error'} "
                     "against synthetic rows per real row")
            figs.append(curves_figure(
                curves.sort_values(["panel", "series", "setting_value"]), title=title,
                x_title="synthetic rows per real row (ratio)",
                y_title="balanced test error" if metric == "balanced_error" else "test error",
                y_range=(0.0, 1.0), percent=True, x_format="{:g}", series="series",
                panel="panel", legend_title="generator"))
        return figs

    def _bottom_line(self, d: pd.DataFrame, dataset: str | None) -> str:
        """The first sentence: per regime, the largest gain and whether it is beyond noise."""
        try:
            imbalance = self._imbalance()
        except ValueError:
            imbalance = None
        clauses = [c for regime in sorted(d["regime"].unique(), key=lambda r: r == IMBALANCED)
                   if (c := _best_gain_clause(d, regime, imbalance)) is not None]
        if not clauses:
            return (f"{'On ' + dataset + ', n' if dataset else 'N'}o paired gain of augmentation "
                    "could be computed (no bare-classifier cell ran).")
        text = "; ".join(clauses) + "."
        return f"On {dataset}, {text}" if dataset else text[0].upper() + text[1:]

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain sentences: per dataset and regime, where augmentation helps or hurts beyond
        the noise of the splits, and which generator gains most."""
        summary = self.summarize(rows)
        out = []
        if summary.empty:
            return out
        parts = summary["setting"].map(parse_setting)
        summary = summary.assign(regime=parts.str[0], generator=parts.str[1])
        many = summary["dataset"].nunique() > 1
        for dataset, d in summary.groupby("dataset", sort=True):
            out.append(self._bottom_line(d, dataset if many else None))
        for (dataset, regime), d in summary.groupby(["dataset", "regime"], sort=True):
            prefix = f"On {dataset}, {regime}" if many else regime.capitalize()
            gain_metric = "gain_balanced_error" if regime == IMBALANCED else "gain_error"
            what = "balanced error" if regime == IMBALANCED else "test error"
            g = d[d["metric"] == gain_metric]
            if g.empty:
                continue
            helped = g[g["lo"] > 0]
            hurt = g[g["hi"] < 0]
            out.append(f"{prefix}: of {len(g)} (classifier, generator, ratio) settings, "
                       f"augmentation lowered the {what} beyond the noise of the splits in "
                       f"{len(helped)} and raised it in {len(hurt)}; the rest are within the "
                       "noise.")
            best = g.sort_values("mean", ascending=False).iloc[0]
            base = d[(d["metric"] == gain_metric.removeprefix("gain_"))
                     & (d["generator"] == NONE) & (d["model"] == best["model"])]
            before = base["mean"].iloc[0] if len(base) else np.nan
            change = (f"{_common.percent(before)} -> {_common.percent(before - best['mean'])}, "
                      if np.isfinite(before) else "")
            verdict = ("beyond the noise" if best["lo"] > 0 else "within the noise")
            if best["mean"] > 0:
                out.append(f"{prefix}: the largest gain is {best['generator']} "
                           f"{_ratio_text(regime, best['setting_value'])} for {best['model']}: "
                           f"{what} "
                           f"{change}{_points(best['mean'])} lower ({verdict}).")
            else:
                out.append(f"{prefix}: no generator lowered the {what} of any classifier on "
                           "average.")
            per_gen = g.groupby("generator")["mean"].mean().sort_values(ascending=False)
            if len(per_gen) > 1:
                out.append(f"{prefix}: averaged over classifiers and ratios, the generators "
                           "rank " + ", ".join(f"{gen} ({_signed(v)})"
                                               for gen, v in per_gen.items()) + ".")
            for model, gm in hurt.groupby("model", sort=True):
                worst = gm.sort_values("mean").iloc[0]
                out.append(f"{prefix}: beyond the noise, augmentation hurts {model} most with "
                           f"{worst['generator']} {_ratio_text(regime, worst['setting_value'])} "
                           f"({what} {_points(-worst['mean'])} higher).")
            rec = d[d["metric"] == "gain_minority_recall"]
            if len(rec) and rec["mean"].max() <= 0:
                out.append(f"{prefix}: no generator raised the minority-class recall on "
                           "average.")
            elif len(rec):
                top = rec.sort_values("mean", ascending=False).iloc[0]
                out.append(f"{prefix}: minority-class recall gains most with "
                           f"{top['generator']} {_ratio_text(regime, top['setting_value'])} for "
                           f"{top['model']} ({_signed(top['mean'])}"
                           f"{', beyond the noise' if top['lo'] > 0 else ', within the noise'}).")
        fails = _common.failures(rows, self.name)
        for (dataset, model, setting), f in fails.groupby(["dataset", "model", "setting"],
                                                          sort=True):
            out.append(f"{model} with {parse_setting(setting)[1]} ({parse_setting(setting)[0]}) "
                       f"could not be fit on {dataset} in {int(f['n_failed'].sum())} cell(s): "
                       f"{f['reason'].iloc[0]}")
        return out


def _regime_text(regime: str, imbalance) -> str:
    if regime != IMBALANCED:
        return f"at {regime.replace('rows', 'training rows')}"
    cut = f" to {_common.percent(imbalance)} of its training rows" if imbalance is not None else ""
    return f"with the minority class cut{cut}"


def _best_gain_clause(d: pd.DataFrame, regime: str, imbalance) -> str | None:
    """One regime's clause of the bottom line: the largest mean gain and whether it is beyond
    the noise of the splits, or that no generator helps."""
    gain_metric = "gain_balanced_error" if regime == IMBALANCED else "gain_error"
    what = "balanced error" if regime == IMBALANCED else "test error"
    g = d[(d["regime"] == regime) & (d["metric"] == gain_metric)]
    if g.empty:
        return None
    where = _regime_text(regime, imbalance)
    best = g.sort_values("mean", ascending=False, kind="stable").iloc[0]
    if not best["mean"] > 0:
        return f"{where} no generator lowers the {what} of any classifier on average"
    base = d[(d["regime"] == regime) & (d["metric"] == gain_metric.removeprefix("gain_"))
             & (d["generator"] == NONE) & (d["model"] == best["model"])]
    before = base["mean"].iloc[0] if len(base) else np.nan
    change = (f" ({_common.percent(before)} -> {_common.percent(before - best['mean'])})"
              if np.isfinite(before) else "")
    noise = "beyond the noise of the splits" if best["lo"] > 0 else "within the noise"
    return (f"{where} the best is {best['generator']} {_ratio_text(regime, best['setting_value'])}"
            f" for {best['model']}, {_points(best['mean'])} off its {what}{change}, {noise}")


def _generator_family(name: str) -> str:
    """Line style of a generator's curve: generative models solid, SMOTE and the bare
    classifier dashed."""
    if name in (SMOTE, "no augmentation", NONE):
        return "discriminative"
    return _common.family_of(name)


def _ratio_text(regime: str, ratio: float) -> str:
    """How a ratio reads: in the imbalanced regime the classes are brought to (1 + ratio)
    times the largest one."""
    if regime != IMBALANCED:
        return f"at ratio {ratio:g}"
    if ratio == 0:
        return "evening the classes out (ratio 0)"
    return f"at ratio {ratio:g} (every class brought to {1 + ratio:g}x the largest)"


def _points(delta: float) -> str:
    return f"{100 * abs(float(delta)):.1f} points"


def _signed(delta: float) -> str:
    """A gain in percentage points with its sign: ``0.012 -> "+1.2 points"``."""
    return f"{100 * float(delta):+.1f} points"
