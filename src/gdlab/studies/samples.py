"""Samples: what do class-conditional draws of a generative model look like, and are they right?

For models with the ``conditional_sample`` capability. One cell per (model,
seed) at ``setting="none"``: a stratified train/test split of the complete
rows, the model fit on the training part, ``n_per_class`` rows drawn for each
class with ``sample(n_per_class, y=k, random_state=seed)``.

Quality, train on real / test on synthetic: a fixed discriminative judge
(standardize + scikit-learn ``LogisticRegression``) is fit on the same real
training rows and classifies the samples; ``"held_out_classifier_accuracy"``
is the fraction it assigns to the class they were drawn for.
``"real_test_accuracy"`` is the judge's accuracy on the real test rows, the
level the samples would reach if they were as recognizable as real data.

Tidy encoding
-------------
At the cell's ``setting="none"``, ``setting_value=NaN``:
``"held_out_classifier_accuracy"``, ``"real_test_accuracy"`` and, for image
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
>>> study = Samples(n_per_class=2)
>>> cell = study.cells(load("iris"), ["qda"], seeds=[0])[0]
>>> rows = study.run_cell(cell, load("iris"), lambda: make("qda"))
>>> table = sample_table(pd.DataFrame(rows))
>>> table.shape, table["class"].tolist()[:3]
((6, 9), ['setosa', 'setosa', 'versicolor'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from gdlab._validation import check_int
from gdlab.studies import _common
from gdlab.studies.base import Cell, Study, make_row
from gdlab.studies.calibration import complete_numeric, curve_row, split_indices

__all__ = ["Samples", "sample_table", "judge"]

_PREFIX = "sample:"


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


class Samples(Study):
    """Class-conditional samples and how recognizable they are to a real-data classifier.

    Parameters
    ----------
    n_per_class : int, default=8
        Draws per class.
    test_size : float in (0, 1) or int, default=0.25
    """

    name = "samples"
    requires = frozenset({"conditional_sample"})
    #: Seeds the runner uses when it is given none.
    default_seeds = (0, 1, 2)

    def __init__(self, *, n_per_class: int = 8, test_size=0.25):
        self.n_per_class = n_per_class
        self.test_size = test_size

    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int] | None = None):
        """One cell per (model, seed)."""
        return self.per_model_seed_cells(dataset, models, seeds)

    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Fit, draw ``n_per_class`` rows per class, score them with the judge."""
        n = check_int(self.n_per_class, "n_per_class", minimum=1)
        X, y = complete_numeric(dataset)
        train, test = split_indices(y, cell.seed, self.test_size)
        labels = np.unique(y)
        names = list(dataset.class_names) if len(dataset.class_names) else []
        model = make_model()
        with _common.quiet_convergence():
            seconds = _common.fit_timed(model, X[train], y[train])
            draws, drawn_for = [], []
            for k in labels:
                Xk, _ = model.sample(n, y=k, random_state=cell.seed)
                draws.append(np.asarray(Xk, dtype=np.float64))
                drawn_for.append(np.full(n, k))
            S, S_y = np.vstack(draws), np.concatenate(drawn_for)
            clf = judge(cell.seed).fit(X[train], y[train])
            rows_ok = np.isfinite(S).all(axis=1)
            acc = float(np.mean(clf.predict(S[rows_ok]) == S_y[rows_ok])) if rows_ok.any() \
                else np.nan
            real = float(np.mean(clf.predict(X[test]) == y[test]))
        family = _common.family_of(cell.model)
        rows = [make_row(cell, family, "held_out_classifier_accuracy", acc, seconds),
                make_row(cell, family, "real_test_accuracy", real, seconds)]
        shape = dataset.metadata.get("image_shape") if dataset.modality == "image" else None
        if shape is not None and len(shape) >= 2:
            rows += [make_row(cell, family, "image_height", shape[0], seconds),
                     make_row(cell, family, "image_width", shape[1], seconds)]
        for i, (x, k) in enumerate(zip(S, S_y, strict=True)):
            label = names[int(k)] if 0 <= int(k) < len(names) else str(k)
            for j, v in enumerate(x):
                rows.append(curve_row(cell, family, f"{_PREFIX}{label}", i % n, f"x{j}", v,
                                      seconds))
        return rows

    # ------------------------------------------------------------------ results

    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Mean and 95 % interval over seeds of the judge's accuracy on samples and real rows.

        Columns: :data:`gdlab.studies._common.SUMMARY_COLUMNS`.
        """
        out = _common.summarize_rows(rows, self.name)
        keep = ["held_out_classifier_accuracy", "real_test_accuracy"]
        return out[out["metric"].isin(keep)].reset_index(drop=True)

    def figures(self, rows: pd.DataFrame) -> list:
        """Per (dataset, model), the samples of the smallest seed.

        An image grid (one row per class, ``n_per_class`` columns) for image
        data; a table figure of the first draws (at most 3 per class and 8
        features) for tabular data.
        """
        rows = rows[rows["study"] == self.name]
        table = sample_table(rows)
        figs = []
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
                figs.append(_table_figure(d, features, model, dataset))
        return figs

    def reading(self, rows: pd.DataFrame) -> list[str]:
        """How often the real-data classifier recognizes each model's samples."""
        rows = rows[(rows["study"] == self.name) & rows["value"].notna()]
        means = rows[rows["metric"].isin(["held_out_classifier_accuracy",
                                          "real_test_accuracy"])].groupby(
            ["dataset", "model", "metric"])["value"].mean()
        out = []
        for (dataset, model), m in means.groupby(level=[0, 1], sort=True):
            m = m.droplevel([0, 1])
            if "held_out_classifier_accuracy" not in m:
                continue
            text = (f"On {dataset}, {model}'s samples are classified as their intended class "
                    f"{_common.percent(m['held_out_classifier_accuracy'])} of the time by a "
                    "logistic regression trained on real data")
            if "real_test_accuracy" in m:
                text += f" (real test rows: {_common.percent(m['real_test_accuracy'])})"
            out.append(text + ".")
        return out


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


def _table_figure(d: pd.DataFrame, features, model, dataset, per_class: int = 3,
                  max_features: int = 8):
    from matplotlib.figure import Figure

    shown = d[d["draw"] < per_class]
    cols = features[:max_features]
    cells = [[str(r["class"])] + [f"{r[c]:.3g}" for c in cols] for _, r in shown.iterrows()]
    header = ["class", *cols] + (["..."] if len(features) > max_features else [])
    if len(features) > max_features:
        cells = [row + ["..."] for row in cells]
    fig = Figure(figsize=(min(1.0 + 0.85 * len(header), 11), 0.28 * len(cells) + 0.9),
                 layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()
    table = ax.table(cellText=cells, colLabels=header, loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    ax.set_title(f"Samples of {model}: {dataset} (first {per_class} per class)", fontsize=11)
    return fig
