"""Samples: what do class-conditional draws of a generative model look like, and are they right?

For models with the ``conditional_sample`` capability (the study only fits
and samples: it never calls the model's ``predict``, so a conditional GAN
without ``classify`` takes part). One cell per (model, seed) at
``setting="none"``: a stratified train/test split of the complete rows, the
model fit on the training part *T*, and for every class ``k`` a draw of
``sample(m_k, y=k, random_state=seed)`` with ``m_k`` the larger of
``n_per_class`` and the number of test rows of class ``k``. The first
``n_per_class`` draws of each class are kept as the samples to show; the
first (test count of ``k``) draws form the *synthetic set* *S*, which has
exactly the size and class counts of the real test split *H*.

Quality: *S* and *H* play the same role. Each is compared with the training
split *T* by the same measures (:mod:`gdlab.metrics.samples`), so the value
for *H* is the **real-vs-real reference**: what a perfect generator (one
that draws fresh rows from the data distribution) would score, with the
same set sizes. A model scoring better than the reference is suspect of
copying its training rows (all measures compare with *T*).

- ``"held_out_classifier_accuracy"``: a fixed judge (standardize +
  scikit-learn ``LogisticRegression``) fit on *T* classifies *S*: the
  fraction assigned to the class drawn for. Reference ``"real_test_accuracy"``:
  the judge's accuracy on *H*.
- ``"mmd"``: unbiased squared MMD, RBF kernel with the median heuristic,
  between *T* and *S* standardized by *T*'s means and standard deviations.
- ``"c2st_auc"``: classifier two-sample test *T* vs *S* (random forest,
  5-fold AUC; 0.5 = indistinguishable). It sees every difference, including
  ones a person would not care about (real pixels of ``digits`` are integers
  0..16, continuous samples are not, so it reaches 1.0 for every model there).
- ``"c2st_auc_features"``: the same test in the feature space of the fixed
  network below (differences that matter to a classifier of the real data).
- ``"tstr_accuracy"``: the judge trained on *S*, tested on *T*.
- ``"frechet_distance"``: Fréchet distance between *T* and *S* in the
  feature space of a fixed :class:`~gdlab.studies.features.FeatureNet`
  trained on *T* (one per dataset and seed, cached across the cells of a
  process).
- ``"knn_precision"``, ``"knn_recall"``: k-NN precision and recall
  (Kynkäänniemi et al. 2019, ``k=3``) in the same feature space.

Each has a ``"reference_<name>"`` companion computed with *H* in place of
*S* (identical for every model of a seed).

Tidy encoding
-------------
At the cell's ``setting="none"``, ``setting_value=NaN``: the metrics above
(NaN when fewer than 5 finite synthetic rows came back, or, for TSTR,
fewer than two classes), their ``reference_`` companions and, for image
datasets only, ``"image_height"`` and ``"image_width"`` (from
``metadata["image_shape"]``; their presence tells :meth:`Samples.figures` to
draw an image grid rather than a table).

The samples themselves, one row per sampled value: ``setting =
"sample:<class name>"`` (the dataset's ``class_names``, e.g. ``"sample:3"``
or ``"sample:Adelie"``), ``setting_value`` = index of the draw within its
class (0 .. n_per_class - 1), ``metric = "x<j>"`` for feature ``j`` of the
numeric matrix (:func:`gdlab.studies.prepare.numeric`, categories one-hot),
``value`` the sampled value. :func:`sample_table` turns them back into one
row per draw.

Examples
--------
>>> from gdlab.data import load
>>> from gdlab.models.registry import make
>>> study = Samples(n_per_class=2, quality=False)
>>> cell = study.cells(load("iris"), ["qda"], seeds=[0])[0]
>>> rows = study.run_cell(cell, load("iris"), lambda: make("qda"))
>>> table = sample_table(pd.DataFrame(rows))
>>> table.shape, table["class"].tolist()[:3]
((6, 9), ['setosa', 'setosa', 'versicolor'])
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab._param_checks import check_int
from gdlab.metrics.samples import (
    c2st_auc,
    frechet_distance,
    held_out_accuracy,
    mmd_rbf,
    precision_recall_knn,
    tstr_accuracy,
)
from gdlab.studies import _common
from gdlab.studies.base import Cell, Study, make_row
from gdlab.studies.calibration import complete_numeric, curve_row, split_indices
from gdlab.studies.prepare import numeric_names

__all__ = ["Samples", "sample_table", "quality_table", "judge", "decoded_row", "QUALITY_METRICS",
           "REFERENCE_PREFIX"]

_PREFIX = "sample:"
#: Setting prefix of the rows naming a tabular feature (``feature:<name>``, setting_value =
#: its column index, metrics ``min`` and ``max``: the range seen in training).
_FEATURE = "feature:"
#: Prefix of the real-vs-real reference of a quality metric.
REFERENCE_PREFIX = "reference_"
#: Two-sample quality metrics of the study, with their labels and whether higher is closer
#: to real data (None: 0.5 is ideal for the C2ST AUC).
QUALITY_METRICS = {
    "c2st_auc": ("C2ST AUC (0.5 = indistinguishable)", None),
    "c2st_auc_features": ("C2ST AUC on features", None),
    "frechet_distance": ("Fréchet distance (features)", False),
    "mmd": ("MMD² (RBF, median heuristic)", False),
    "tstr_accuracy": ("train on synthetic, test on real", True),
    "knn_precision": ("k-NN precision", True),
    "knn_recall": ("k-NN recall", True),
}
#: Rows needed in a synthetic set for the two-sample metrics (the C2ST folds).
_MIN_ROWS = 5
_CV = 5
_K = 3
_REFERENCES: OrderedDict = OrderedDict()  # per-process cache of real-vs-real references
_MAX_CACHED = 8


def judge(random_state: int = 0):
    """The fixed judge of samples: ``StandardScaler`` then ``LogisticRegression``."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return Pipeline([("scale", StandardScaler()),
                     ("clf", LogisticRegression(max_iter=2000, random_state=random_state))])


def sample_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Sampled rows back as a table, one row per draw.

    Parameters
    ----------
    rows : DataFrame of samples rows (ROW_COLUMNS)

    Returns
    -------
    DataFrame
        Columns ``dataset, model, seed, class, draw``, then ``x0, x1, ...``
        in feature order; sorted by dataset, model, seed, class order of
        appearance and draw.
    """
    s = rows[rows["setting"].astype(str).str.startswith(_PREFIX)]
    if s.empty:
        return pd.DataFrame(columns=["dataset", "model", "seed", "class", "draw"])
    s = s.assign(**{"class": s["setting"].str.slice(len(_PREFIX)),
                    "draw": s["setting_value"].astype(int)})
    order = {c: i for i, c in enumerate(pd.unique(s["class"]))}
    wide = s.pivot_table(index=["dataset", "model", "seed", "class", "draw"], columns="metric",
                         values="value", aggfunc="first").reset_index()
    features = sorted((c for c in wide.columns if str(c).startswith("x")),
                      key=lambda c: int(str(c)[1:]))
    wide = wide.assign(_o=wide["class"].map(order)).sort_values(
        ["dataset", "model", "seed", "_o", "draw"])
    wide.columns.name = None
    return wide[["dataset", "model", "seed", "class", "draw", *features]].reset_index(drop=True)


def quality_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Each model's quality metrics beside the real-vs-real reference, averaged over seeds.

    Parameters
    ----------
    rows : DataFrame of samples rows (ROW_COLUMNS)

    Returns
    -------
    DataFrame
        Columns ``dataset, model, metric, value, reference, n`` (``n``: seeds
        averaged), one row per (dataset, model, quality metric), in the order
        of :data:`QUALITY_METRICS`.

    Examples
    --------
    >>> rows = pd.DataFrame({"study": "samples", "dataset": "d", "model": "m", "seed": 0,
    ...                      "setting": "none", "metric": ["c2st_auc", "reference_c2st_auc"],
    ...                      "value": [0.8, 0.5], "error": None})
    >>> quality_table(rows).to_dict("records")[0]
    {'dataset': 'd', 'model': 'm', 'metric': 'c2st_auc', 'value': 0.8, 'reference': 0.5, 'n': 1}
    """
    cols = ["dataset", "model", "metric", "value", "reference", "n"]
    ok = rows[(rows["study"] == "samples") & rows["value"].notna()]
    if "error" in ok:
        ok = ok[ok["error"].isna()]
    g = ok.groupby(["dataset", "model", "metric"])["value"]
    means, counts = g.mean(), g.count()
    out = []
    for (dataset, model), m in means.groupby(level=[0, 1], sort=True):
        m = m.droplevel([0, 1])
        for metric in QUALITY_METRICS:
            if metric in m:
                out.append((dataset, model, metric, float(m[metric]),
                            float(m.get(REFERENCE_PREFIX + metric, np.nan)),
                            int(counts[(dataset, model, metric)])))
    return pd.DataFrame(out, columns=cols)


class _Reference:
    """What every model of one (dataset, seed) is compared with: the training split *T*.

    Holds *T* (raw and standardized), its labels, the fixed feature network
    trained on it, *T*'s features, and the real-vs-real reference metrics
    (the test split *H* in the place of a synthetic set).
    """

    def __init__(self, X_T, y_T, X_H, y_H, seed: int):
        self.X_T, self.y_T, self.seed = X_T, y_T, seed
        std = X_T.std(axis=0)
        self.mean, self.scale = X_T.mean(axis=0), np.where(std > 0, std, 1.0)
        self.T_std = (X_T - self.mean) / self.scale
        from gdlab.studies.features import FeatureNet  # torch: imported when first needed

        self.net = FeatureNet(random_state=_common.derived_seeds(seed, 2)[1]).fit(X_T, y_T)
        self.F_T = self.net(X_T)
        self.metrics = self.compare(X_H, y_H)

    def compare(self, S, S_y) -> dict[str, float]:
        """The quality metrics of a labelled set ``S`` against *T* (NaN where it is too small)."""
        out = dict.fromkeys(QUALITY_METRICS, np.nan)
        if len(S) < max(_MIN_ROWS, _K + 1):
            return out
        out["mmd"] = mmd_rbf(self.T_std, (S - self.mean) / self.scale)
        out["c2st_auc"] = c2st_auc(self.X_T, S, random_state=self.seed, cv=_CV)
        if len(np.unique(S_y)) >= 2:
            out["tstr_accuracy"] = tstr_accuracy(S, S_y, self.X_T, self.y_T,
                                                 estimator=judge(self.seed))
        F_S = self.net(S)
        out["c2st_auc_features"] = c2st_auc(self.F_T, F_S, random_state=self.seed, cv=_CV)
        out["frechet_distance"] = frechet_distance(self.F_T, F_S)
        out["knn_precision"], out["knn_recall"] = precision_recall_knn(self.F_T, F_S, k=_K)
        return out


def _fingerprint(*arrays) -> str:
    h = hashlib.sha1()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _reference(X_T, y_T, X_H, y_H, seed: int) -> _Reference:
    """The cached :class:`_Reference` of these splits (built on first use in this process)."""
    key = (_fingerprint(X_T, y_T, X_H, y_H), int(seed))
    if key in _REFERENCES:
        _REFERENCES.move_to_end(key)
        return _REFERENCES[key]
    ref = _Reference(X_T, y_T, X_H, y_H, int(seed))
    _REFERENCES[key] = ref
    while len(_REFERENCES) > _MAX_CACHED:
        _REFERENCES.popitem(last=False)
    return ref


class Samples(Study):
    """Class-conditional samples, how recognizable they are, and how close to real data.

    Parameters
    ----------
    n_per_class : int, default=8
        Draws per class kept as samples to show.
    test_size : float in (0, 1) or int, default=0.25
    quality : bool, default=True
        Compute the two-sample quality metrics and their real-vs-real
        references (MMD, C2ST AUC, TSTR, Fréchet distance, k-NN
        precision/recall); False keeps only the judge's accuracies.
    """

    name = "samples"
    requires = frozenset({"conditional_sample"})
    #: Seeds the runner uses when it is given none.
    default_seeds = (0, 1, 2)
    #: Every model of a seed is compared with one reference (trained once per process):
    #: one worker runs them all, instead of each worker training its own.
    groups_across_models = True

    def __init__(self, *, n_per_class: int = 8, test_size=0.25, quality: bool = True):
        self.n_per_class = n_per_class
        self.test_size = test_size
        self.quality = quality

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, seed)."""
        return self.per_model_seed_cells(dataset, models, seeds)

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit, draw per class, score the draws against real data (see the module docstring)."""
        n = check_int(self.n_per_class, "n_per_class", minimum=1)
        if not isinstance(self.quality, (bool, np.bool_)):
            raise TypeError(f"quality must be True or False, got {self.quality!r}.")
        X, y = complete_numeric(dataset)
        train, test = split_indices(y, cell.seed, self.test_size)
        labels = np.unique(y)
        names = list(dataset.class_names) if len(dataset.class_names) else []
        model = make_model()
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train])
            shown, shown_for, syn, syn_for = [], [], [], []
            for k in labels:
                m_k = int(np.sum(y[test] == k))
                Xk, _ = model.sample(max(n, m_k), y=k, random_state=cell.seed)
                Xk = np.asarray(Xk, dtype=np.float64)
                shown.append(Xk[:n])
                shown_for.append(np.full(n, k))
                syn.append(Xk[:m_k])
                syn_for.append(np.full(m_k, k))
            S, S_y = np.vstack(shown), np.concatenate(shown_for)
            Q, Q_y = np.vstack(syn), np.concatenate(syn_for)
            ok = np.isfinite(Q).all(axis=1)
            Q, Q_y = Q[ok], Q_y[ok]
            clf = judge(cell.seed).fit(X[train], y[train])
            acc = held_out_accuracy(clf, Q, Q_y) if len(Q) else np.nan
            real = float(np.mean(clf.predict(X[test]) == y[test]))
            quality = {}
            if self.quality:
                ref = _reference(X[train], y[train], X[test], y[test], cell.seed)
                quality = ref.compare(Q, Q_y)
                quality.update({REFERENCE_PREFIX + k: v for k, v in ref.metrics.items()})
        family = _common.family_of(cell.model)
        rows = [make_row(cell, family, "held_out_classifier_accuracy", acc, seconds),
                make_row(cell, family, "real_test_accuracy", real, seconds)]
        rows += [make_row(cell, family, metric, value, seconds)
                 for metric, value in quality.items()]
        shape = dataset.metadata.get("image_shape") if dataset.modality == "image" else None
        if shape is not None and len(shape) >= 2:
            rows += [make_row(cell, family, "image_height", shape[0], seconds),
                     make_row(cell, family, "image_width", shape[1], seconds)]
        if shape is None:  # tabular: each column's name and the range seen in training
            lo, hi = X[train].min(axis=0), X[train].max(axis=0)
            for j, name in enumerate(numeric_names(dataset)):
                rows += [curve_row(cell, family, f"{_FEATURE}{name}", j, "min", lo[j], seconds),
                         curve_row(cell, family, f"{_FEATURE}{name}", j, "max", hi[j], seconds)]
        for i, (x, k) in enumerate(zip(S, S_y, strict=True)):
            label = names[int(k)] if 0 <= int(k) < len(names) else str(k)
            for j, v in enumerate(x):
                rows.append(curve_row(cell, family, f"{_PREFIX}{label}", i % n, f"x{j}", v,
                                      seconds))
        return rows

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds of every quality metric and its reference.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS`.
        """
        out = _common.summarize_rows(rows, self.name)
        keep = ["held_out_classifier_accuracy", "real_test_accuracy", *QUALITY_METRICS,
                *(REFERENCE_PREFIX + m for m in QUALITY_METRICS)]
        return out[out["metric"].isin(keep)].reset_index(drop=True)

    def figures(self, rows: pd.DataFrame) -> list:
        """Per dataset, the quality metrics of every model beside the real-vs-real reference;
        then per (dataset, model), the samples of the smallest seed.

        Samples are an image grid (one row per class, ``n_per_class`` columns)
        for image data; a table figure of the first draws (at most 3 per class
        and 8 features) for tabular data.
        """
        rows = rows[rows["study"] == self.name]
        figs = [fig for dataset, d in rows.groupby("dataset", sort=True)
                if (fig := _quality_figure(d, dataset)) is not None]
        table = sample_table(rows)
        for (dataset, model), d in table.groupby(["dataset", "model"], sort=True):
            d = d[d["seed"] == d["seed"].min()]
            meta = rows[(rows["dataset"] == dataset) & (rows["model"] == model)]
            h = meta.loc[meta["metric"] == "image_height", "value"]
            w = meta.loc[meta["metric"] == "image_width", "value"]
            features = [c for c in d.columns if str(c).startswith("x")]
            if len(h) and len(w) and int(h.iloc[0]) * int(w.iloc[0]) == len(features):
                figs.append(_image_grid(d, features, model, dataset,
                                        (int(h.iloc[0]), int(w.iloc[0]))))
            else:
                info = _feature_info(meta[meta["seed"] == d["seed"].min()])
                figs.append(_table_figure(d, features, model, dataset, info=info))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """How recognizable each model's samples are, and how close to real data they come."""
        rows = rows[(rows["study"] == self.name) & rows["value"].notna()]
        means = rows.groupby(["dataset", "model", "metric"])["value"].mean()
        out = []
        for (dataset, model), m in means.groupby(level=[0, 1], sort=True):
            m = m.droplevel([0, 1])
            if "held_out_classifier_accuracy" in m:
                text = (f"On {dataset}, {model}'s samples are classified as their intended "
                        f"class {_common.percent(m['held_out_classifier_accuracy'])} of the time "
                        "by a logistic regression trained on real data")
                if "real_test_accuracy" in m:
                    text += f" (real test rows: {_common.percent(m['real_test_accuracy'])})"
                out.append(text + ".")
            quality = _quality_sentence(dataset, model, m)
            if quality:
                out.append(quality)
        return out


def _quality_sentence(dataset, model, m: pd.Series) -> str | None:
    """C2ST AUC and Fréchet distance against the real-vs-real reference, in one sentence."""
    parts, better = [], []
    for metric, label, fmt in (("c2st_auc", "a classifier two-sample test AUC", "{:.2f}"),
                               ("frechet_distance", "a Fréchet distance", "{:.3g}")):
        ref = REFERENCE_PREFIX + metric
        if metric not in m:
            continue
        text = f"{label} of {fmt.format(m[metric])}"
        if ref in m:
            text += f" (real vs real: {fmt.format(m[ref])})"
            gap = abs(m[metric] - 0.5) - abs(m[ref] - 0.5) if metric == "c2st_auc" \
                else m[metric] - m[ref]
            better.append(gap < 0)
        parts.append(text)
    if not parts:
        return None
    text = f"Against the real training rows, {model}'s samples on {dataset} reach " + \
        " and ".join(parts)
    if better and all(better):
        text += ("; no worse than fresh real rows, which can also mean the samples copy "
                 "training rows")
    return text + "."


def _quality_figure(rows: pd.DataFrame, dataset):
    """One panel per quality metric: each model's mean and interval, the reference as a line."""
    from gdlab.studies.plots import dots_figure

    wanted = [*QUALITY_METRICS, *(REFERENCE_PREFIX + m for m in QUALITY_METRICS)]
    summary = _common.summarize_rows(rows[rows["metric"].isin(wanted)])
    metrics = {m: label for m, (label, _) in QUALITY_METRICS.items()
               if (summary["metric"] == m).any()}
    if not metrics:
        return None
    references = {}
    for metric in metrics:
        ref = summary.loc[summary["metric"] == REFERENCE_PREFIX + metric, "mean"]
        if len(ref) and np.isfinite(ref.mean()):
            references[metric] = float(ref.mean())
    models = summary[summary["metric"].isin(list(metrics))].sort_values("model")
    unit = {m: (0.0, 1.0) for m in metrics if m != "frechet_distance" and m != "mmd"}
    return dots_figure(models, metrics, references=references, valid_range=unit,
                       reference_name="real vs real (test split)",
                       title=f"Sample quality against real training rows: {dataset}")


def _image_grid(d: pd.DataFrame, features, model, dataset, shape):
    from matplotlib.figure import Figure

    classes = list(pd.unique(d["class"]))
    n = int(d["draw"].max()) + 1
    fig = Figure(figsize=(0.7 * n + 1.0, 0.7 * len(classes) + 0.6), layout="constrained")
    axes = np.asarray(fig.subplots(len(classes), n, squeeze=False))
    values = d[features].to_numpy(dtype=np.float64)
    lo, hi = np.nanmin(values), np.nanmax(values)
    for ax in axes.ravel():
        ax.set_axis_off()
    for r, c in enumerate(classes):
        dc = d[d["class"] == c]
        for _, row in dc.iterrows():
            ax = axes[r, int(row["draw"])]
            ax.imshow(row[features].to_numpy(dtype=np.float64).reshape(shape), cmap="gray_r",
                      vmin=lo, vmax=hi, interpolation="nearest")
        axes[r, 0].text(-0.15, 0.5, str(c), transform=axes[r, 0].transAxes, ha="right",
                        va="center", fontsize=9)
    fig.suptitle(f"Samples of {model}: {dataset} (one row per class)", fontsize=11)
    return fig


def _feature_info(rows: pd.DataFrame) -> dict:
    """``{"x<j>": (name, min, max)}`` from the feature rows of one cell (empty when absent)."""
    f = rows[rows["setting"].astype(str).str.startswith(_FEATURE)]
    out = {}
    for (setting, j), g in f.groupby(["setting", "setting_value"]):
        v = g.set_index("metric")["value"]
        out[f"x{int(j)}"] = (setting[len(_FEATURE):], float(v.get("min", np.nan)),
                             float(v.get("max", np.nan)))
    return out


def decoded_row(row, features, info) -> list[tuple[str, str, bool]]:
    """(column, shown value, outside the training range) of one sampled row.

    One-hot columns ``col=category`` are shown as one column ``col`` holding the
    category with the largest sampled value; other columns keep their name and
    value, flagged when outside the range seen in training (shown with the
    digits that make the flag visible). The report's sample tables and ``gdlab
    generate`` read samples through it.

    Parameters
    ----------
    row : mapping
        ``{feature: value}`` of one sampled row (a dict or a pandas Series).
    features : list of str
        The row's keys in column order (``x0, x1, ...``).
    info : dict
        ``{feature: (name, min, max)}``: the column's name (``"col=category"``
        for a one-hot indicator) and the range seen in the data; a feature
        missing from it keeps its key as name and is never flagged.

    Returns
    -------
    list of (str, str, bool)

    Examples
    --------
    >>> info = {"x0": ("year", 2007.0, 2009.0), "x1": ("island=Biscoe", 0.0, 1.0),
    ...         "x2": ("island=Dream", 0.0, 1.0)}
    >>> decoded_row({"x0": 2009.4, "x1": 0.1, "x2": 0.8}, ["x0", "x1", "x2"], info)
    [('year', '2009.4', True), ('island', 'Dream', False)]
    """
    out, groups = [], {}
    for c in features:
        name, lo, hi = info.get(c, (c, np.nan, np.nan))
        if "=" in name and name.split("=", 1)[0]:
            col, cat = name.split("=", 1)
            if col not in groups:
                groups[col] = len(out)
                out.append([col, (-np.inf, ""), False])
            best = out[groups[col]][1]
            if row[c] > best[0]:
                out[groups[col]][1] = (row[c], cat)
            continue
        v = float(row[c])
        outside = bool(np.isfinite(lo) and np.isfinite(hi) and (v < lo or v > hi))
        text = f"{v:.0f}" if abs(v) >= 1000 else f"{v:.3g}"  # a year, a mass: no exponent
        for digits in range(1, 7):  # a value marked outside must not read as inside (2009.4)
            if not outside or not lo <= float(text) <= hi:
                break
            text = f"{v:.{digits}f}" if abs(v) >= 1000 else f"{v:.{3 + digits}g}"
        out.append([name, (v, text), outside])
    return [(name, shown[1], flag) for name, shown, flag in out]


def _table_figure(d: pd.DataFrame, features, model, dataset, per_class: int = 3,
                  max_features: int = 8, info: dict | None = None):
    """The first draws per class as a table: real column names, one-hot columns decoded to
    their category, values outside the training range marked ``*`` (and shaded)."""
    info = info or {}
    shown = d[d["draw"] < per_class]
    decoded = [decoded_row(r, features, info) for _, r in shown.iterrows()]
    n_cols = len(decoded[0]) if decoded else 0
    keep = min(n_cols, max_features)
    header = ["class"] + [name for name, _, _ in decoded[0][:keep]] if decoded else ["class"]
    cells, flags = [], []
    for (_, r), row in zip(shown.iterrows(), decoded, strict=True):
        cells.append([str(r["class"])] + [text + ("*" if out else "") for _, text, out
                                          in row[:keep]])
        flags.append([False] + [out for _, _, out in row[:keep]])
    if n_cols > keep:
        header.append("...")
        cells = [row + ["..."] for row in cells]
        flags = [row + [False] for row in flags]
    import plotly.graph_objects as go

    marked = any(any(row) for row in flags)
    columns = [list(col) for col in zip(*cells, strict=True)] if cells else [[] for _ in header]
    fill = [["#fde2e1" if row[j] else ("#f7f8fa" if i % 2 else "white")
             for i, row in enumerate(flags)] for j in range(len(header))]
    fig = go.Figure(go.Table(
        header={"values": [f"<b>{h}</b>" for h in header], "align": ["left"] + ["right"] *
                (len(header) - 1), "fill_color": "#eef1f5", "font": {"size": 12}},
        cells={"values": columns, "align": ["left"] + ["right"] * (len(header) - 1),
               "fill_color": fill, "font": {"size": 12}, "height": 24},
        columnwidth=[1.2] + [1.0] * (len(header) - 1)))
    title = f"Samples of {model}: {dataset} (first {per_class} per class)"
    if marked:
        title += "<br><sup>* shaded: outside the range seen in training</sup>"
    fig.update_layout(title={"text": title, "x": 0.0}, template="plotly_white",
                      height=24 * len(cells) + 130, width=min(140 + 120 * len(header), 1100),
                      margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return fig
