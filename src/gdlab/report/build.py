"""Build the self-contained HTML report from a results table and its studies.

The report is one file, ``index.html``: the style sheet is inline and nothing
is fetched from the network (no scripts, fonts or images from elsewhere). A
study's figures are interactive Plotly figures (hover values, a legend click
hides a series, zoom), drawn by the plotly.js bundle inlined once in the page,
or matplotlib figures, inlined as SVG. Each study contributes its figures, its
reading (plain-language sentences computed from the numbers) and its summary
table.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from gdlab.answers import contrast_label, format_value, metric_label
from gdlab.studies._common import run_colors

__all__ = ["STUDY_ORDER", "STUDY_TITLES", "build_report", "figure_to_html", "figure_to_svg",
           "format_number", "is_interactive"]

#: Order of the study sections; studies not listed follow, in the order given.
STUDY_ORDER = ("learning_curve", "semi_supervised", "blend", "missing_data", "calibration", "ood",
               "cost", "samples")

#: Section headings of the known studies.
STUDY_TITLES = {
    "learning_curve": "Learning curves",
    "semi_supervised": "Learning from unlabelled rows",
    "blend": "Generative-discriminative blend",
    "augmentation": "Generative data augmentation",
    "missing_data": "Missing data",
    "calibration": "Calibration",
    "ood": "Out-of-distribution detection",
    "cost": "Cost",
    "samples": "Samples",
}

_DATASET_FIELDS = (
    ("name", "Name"),
    ("description", "Description"),
    ("source", "Source"),
    ("n_samples", "Samples"),
    ("n_features", "Features"),
    ("classes", "Classes"),
)


def format_number(value) -> str:
    """Format one table cell for the report.

    Parameters
    ----------
    value : object
        A number, a string or anything else a summary table may hold.

    Returns
    -------
    str
        Integers as they are (thousands separated), other reals with three
        significant digits (no exponent for magnitudes between 1e-3 and
        1e6), missing values as an em dash, anything else through ``str``.

    Examples
    --------
    >>> [format_number(v) for v in (3, 12345, 0.12345, 2.0, float("nan"), 1234.5, "lr")]
    ['3', '12,345', '0.123', '2', '—', '1,234', 'lr']
    """
    if value is None:
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        x = float(value)
        if math.isnan(x):
            return "—"
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if x == round(x) and abs(x) < 1e15:
            return f"{int(round(x)):,}"
        ax = abs(x)
        if ax >= 100:
            return f"{x:,.0f}"
        if ax >= 1e-3:
            return f"{x:.3g}"
        return f"{x:.2e}"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(str(v) for v in (sorted(value) if isinstance(value, (set, frozenset))
                                           else value))
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return "—"
    return str(value)


#: A space between a number and its unit ("2.2 %", "+1.0 pts", "3.5 ms"), which a narrow
#: table cell would otherwise break, leaving the unit alone on the next line.
_UNIT_SPACE = re.compile(r"(?<=\d) (?=(?:%|pts|ms|s|MB)(?![\w]))")


def keep_units(text: str) -> str:
    """``text`` with a no-break space between each number and its unit.

    Examples
    --------
    >>> keep_units("2.2 % vs 3.0 %, lead +0.8 pts in 3 ms") == (
    ...     "2.2\xa0% vs 3.0\xa0%, lead +0.8\xa0pts in 3\xa0ms")
    True
    >>> keep_units("50 splits")
    '50 splits'
    """
    return _UNIT_SPACE.sub("\xa0", str(text))


def _figure_label(fig, fallback: str) -> str:
    """A text alternative for a figure: its title (or axes titles) and axis labels."""
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        return sup.get_text()
    parts = []
    for ax in fig.get_axes():
        bits = []
        if ax.get_title():
            bits.append(ax.get_title())
        xl, yl = ax.get_xlabel(), ax.get_ylabel()
        if xl or yl:
            bits.append(f"{yl or 'value'} against {xl or 'x'}")
        label = ": ".join(bits)
        if label and label not in parts:
            parts.append(label)
    if len(parts) > 4:
        parts = parts[:4] + [f"and {len(parts) - 4} more panels"]
    return "; ".join(parts) or fallback


_ID_RE = re.compile(r'\bid="([^"]+)"')
_URL_RE = re.compile(r"url\(#([^)]+)\)")
_HREF_RE = re.compile(r'((?:xlink:)?href)="#([^"]+)"')


def figure_to_svg(fig, *, label: str = "", prefix: str = "f") -> str:
    """Render a matplotlib figure as an inline ``<svg>`` element.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure to render.
    label : str, optional
        Text alternative; becomes the SVG's ``<title>`` and ``aria-label``.
    prefix : str, optional
        Prefix for every ``id`` in the SVG (and the references to it), so that
        several figures inlined in one page never share an id.

    Returns
    -------
    str
        The ``<svg ...>...</svg>`` markup, without XML header, doctype or
        metadata, with ``role="img"``.
    """
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight",
                metadata={"Date": None, "Creator": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = _ID_RE.sub(lambda m: f'id="{prefix}-{m.group(1)}"', text)
    text = _URL_RE.sub(lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = _HREF_RE.sub(lambda m: f'{m.group(1)}="#{prefix}-{m.group(2)}"', text)
    head_end = text.index(">") + 1
    head = text[:head_end]
    label = label or "figure"
    head = head[:-1] + f' role="img" aria-label="{escape(label)}" class="plot">'
    return head + f"\n<title>{escape(label)}</title>" + text[head_end:]


def is_interactive(fig) -> bool:
    """Whether ``fig`` is a Plotly figure (drawn in the page) rather than a matplotlib one."""
    return type(fig).__module__.startswith("plotly")


#: Plotly's configuration in the report: no logo, responsive, SVG download.
_PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                  "toImageButtonOptions": {"format": "svg"}}


def figure_to_html(fig, *, div_id: str) -> str:
    """Render a Plotly figure as a ``<div>`` and the call that draws it.

    The plotly.js bundle itself is not included: :func:`build_report` inlines
    it once in the page head. Text from the figure (model names, titles) is
    JSON-encoded by Plotly with ``<`` written as ``\\u003c``, so it cannot end
    the script.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure.
    div_id : str
        The element id (unique within the page; a fixed id keeps the page
        reproducible).

    Returns
    -------
    str
        HTML markup.
    """
    import plotly.io as pio

    return pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False,
                       div_id=div_id, config=_PLOTLY_CONFIG, default_width="100%")


def _plotly_label(fig, fallback: str) -> str:
    """A text alternative for a Plotly figure: its title, or the axes titles."""
    title = fig.layout.title.text
    if title:
        return re.sub(r"<[^>]+>", " ", str(title)).strip()
    x, y = fig.layout.xaxis.title.text, fig.layout.yaxis.title.text
    return f"{y} against {x}" if x and y else fallback


def _close(fig) -> None:
    """Release a figure pyplot may hold (a no-op for Plotly figures and figures made without
    pyplot)."""
    if is_interactive(fig):
        return
    import matplotlib.pyplot as plt

    plt.close(fig)


#: Summary columns left out of the page when every row has the same value.
_CONSTANT_DROPPED = frozenset({"dataset", "setting", "setting_value"})


def _table(df: pd.DataFrame | None) -> dict | None:
    """A summary DataFrame as header names and rows of formatted strings."""
    if df is None or not isinstance(df, pd.DataFrame) or df.empty:
        return None
    if not isinstance(df.index, pd.RangeIndex):
        df = df.reset_index()
    # what a reader cannot use on the page (the CSV keeps it): a column with no value at
    # all, and the dataset or setting when every row has the same one ("none", "—")
    drop = [c for c in df.columns if df[c].isna().all()
            or (c in _CONSTANT_DROPPED and df[c].nunique(dropna=False) == 1)]
    if len(drop) < len(df.columns):
        df = df.drop(columns=drop)
    columns = []
    for col in df.columns:
        if isinstance(col, tuple):
            col = " ".join(str(c) for c in col if str(c))
        columns.append(str(col))
    numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
               for c in df.columns]
    body = [[format_number(v) for v in row] for row in df.itertuples(index=False, name=None)]
    return {"columns": columns, "numeric": numeric, "rows": body, "long": len(body) > 15}


def _order(studies: Iterable) -> list:
    studies = list(studies)
    rank = {name: i for i, name in enumerate(STUDY_ORDER)}
    return sorted(studies, key=lambda s: (rank.get(s.name, len(rank)),
                                          studies.index(s)))


def _error_message(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _skip_mask(rows: pd.DataFrame) -> pd.Series:
    """Rows that mark a skipped cell: ``metric == "failed"`` (see ``studies.base.error_row``)."""
    if "metric" not in rows.columns:
        return pd.Series(False, index=rows.index)
    return rows["metric"] == "failed"


def _study_section(study, rows: pd.DataFrame, index: int, out_dir=None) -> dict:
    name = study.name
    title = STUDY_TITLES.get(name, name.replace("_", " ").capitalize())
    section = {"name": name, "anchor": f"study-{re.sub(r'[^A-Za-z0-9_-]', '-', name)}",
               "title": title, "figures": [], "reading": [], "table": None, "notes": [],
               "download": None}
    sub = rows[rows["study"] == name] if "study" in rows.columns else rows.iloc[0:0]
    ok = sub[~_skip_mask(sub)]
    if ok.empty:
        if len(sub):
            section["notes"].append(
                f"Every cell of this study was skipped ({len(sub)} cells); "
                "see “Skipped cells” below.")
        else:
            section["notes"].append("No results for this study.")
        return section

    try:
        sentences = study.reading(ok)
        section["reading"] = [keep_units(s) for s in (sentences or []) if str(s).strip()]
    except Exception as exc:  # noqa: BLE001 - a report shows what it can
        section["notes"].append(f"The reading could not be computed ({_error_message(exc)}).")

    try:
        figs = list(study.figures(ok) or [])
    except Exception as exc:  # noqa: BLE001
        figs = []
        section["notes"].append(f"The figures could not be drawn ({_error_message(exc)}).")
    for j, fig in enumerate(figs):
        interactive = is_interactive(fig)
        max_width = None
        if interactive and fig.layout.width:  # a fixed width (a sample table) overflowed a
            max_width = int(fig.layout.width)  # narrow window: fit the page, up to that width
            fig.update_layout(width=None, autosize=True)
        fallback = f"{title}, figure {j + 1}"
        label = _plotly_label(fig, fallback) if interactive else _figure_label(fig, fallback)
        try:
            markup = (figure_to_html(fig, div_id=f"s{index}f{j}") if interactive
                      else figure_to_svg(fig, label=label, prefix=f"s{index}f{j}"))
        except Exception as exc:  # noqa: BLE001
            section["notes"].append(f"Figure {j + 1} could not be rendered "
                                    f"({_error_message(exc)}).")
        else:
            # a Plotly figure draws its title above the plot: a caption would repeat it
            titled = interactive and bool(fig.layout.title.text)
            section["figures"].append({"markup": Markup(markup),
                                       "caption": "" if titled else label,
                                       "interactive": interactive, "max_width": max_width})
        finally:
            _close(fig)

    try:
        full = study.summarize(ok)
        headline = _headline_table(study, ok)
        section["table"] = _table(headline if headline is not None else full)
        if out_dir is not None and isinstance(full, pd.DataFrame) and not full.empty:
            name = f"{section['anchor']}.csv"
            full.to_csv(Path(out_dir) / name, index=False)
            section["download"] = {"href": name, "rows": len(full)}
    except Exception as exc:  # noqa: BLE001
        section["notes"].append(f"The summary table could not be computed "
                                f"({_error_message(exc)}).")
    return section


#: Headline metrics that are rates in [0, 1] (their intervals are clipped to it).
_UNIT_INTERVAL = frozenset({"error", "ece", "brier", "accuracy", "tstr_accuracy",
                            "best_error", "bare_error", "generative_error",
                            "discriminative_error"})
#: Headline metrics that are differences (either sign): their intervals are not clipped.
_SIGNED = frozenset({"gain"})
#: Headline metrics that are differences of two rates: their intervals are clipped to [-1, 1].
_RATE_DIFFERENCES = frozenset({"best_gain", "imbalanced_gain", "recall_gain"})


def _cell(mean, lo, hi, digits: int) -> str:
    """``mean [lo, hi]`` with ``digits`` decimals (the interval left out with one seed)."""
    if not np.isfinite(mean):
        return "—"
    text = f"{mean:.{digits}f}"
    if np.isfinite(lo) and np.isfinite(hi):
        text += f" [{lo:.{digits}f}, {hi:.{digits}f}]"
    return text


def _headline_table(study, rows: pd.DataFrame) -> pd.DataFrame | None:
    """One row per model: each headline metric of the study, mean over seeds [95 % interval].

    The setting read follows the headline (``at``: the largest or middle value,
    or each value in a column of its own when it averages several, e.g. one
    column per kind of anomaly, which are never averaged together here). Rows
    follow the first column, best first. None when the study declares no
    headlines.
    """
    from gdlab.studies._common import mean_interval

    heads = tuple(getattr(study, "headlines", ()) or ())
    if not heads or rows.empty or "model" not in rows.columns:
        return None
    if hasattr(study, "headline_rows"):  # per-model rows of a study that derives them
        rows = study.headline_rows(rows)
    label_of = getattr(study, "setting_label", None)
    columns: dict[str, dict] = {}
    first_key = None
    for h in heads:
        part = rows[(rows["metric"] == h.metric) & np.isfinite(rows["value"].astype(float))]
        if h.settings is not None:
            part = part[part["setting"].isin(h.settings)]
        if h.setting_value is not None:
            part = part[np.isclose(part["setting_value"].astype(float), h.setting_value)]
        if part.empty:
            continue
        values = np.sort(part["setting_value"].dropna().unique())
        if h.at in ("largest", "middle") and len(values):
            at = float(h.pick_at(values))
            groups = [(h.read(h.header, at), part[np.isclose(part["setting_value"], at)])]
        elif len(values) > 1:
            groups = [(f"{h.read(h.header, None)} · "
                       f"{label_of(v) if callable(label_of) else format_number(v)}",
                       part[np.isclose(part["setting_value"], v)]) for v in values]
        else:
            groups = [(h.read(h.header, None), part)]
        for header, g in groups:
            header = " ".join(header.split())
            per_seed = g.groupby(["model", "seed"])["value"].mean()
            stats = {m: mean_interval(v.to_numpy()) for m, v in per_seed.groupby(level=0)}
            columns[header] = {m: (st, h) for m, st in stats.items()}
            first_key = first_key or header
    if not columns:
        return None
    models = list(dict.fromkeys(rows["model"]))
    family = dict(zip(rows["model"], rows["family"], strict=False))
    first = columns[first_key]

    def rank(m):
        if m not in first:
            return (1, 0.0)
        (mean, *_), h = first[m]
        return (0, mean if h.better == "lower" else -mean)

    out = []
    for m in sorted(models, key=rank):
        rec = {"model": m, "family": family.get(m, "")}
        for header, col in columns.items():
            if m in col:
                (mean, lo, hi, _), h = col[m]
                # headline metrics are >= 0 but differences; rates and AUROCs are <= 1
                # (t intervals are not)
                top = 1.0 if h.metric in _UNIT_INTERVAL or h.metric.startswith("auroc") \
                    else np.inf
                bottom = -np.inf if h.metric in _SIGNED else 0.0
                if h.metric in _RATE_DIFFERENCES:
                    top, bottom = 1.0, -1.0
                rec[header] = _cell(mean, max(lo, bottom), min(hi, top), h.digits)
            else:
                rec[header] = "—"
        out.append(rec)
    return pd.DataFrame(out)


def _skipped(rows: pd.DataFrame) -> list[dict]:
    """Skipped cells, one entry per (model, study, dataset, reason) with a count."""
    err = rows[_skip_mask(rows)].copy()
    if err.empty:
        return []
    for col in ("model", "study", "dataset", "error"):
        if col not in err.columns:
            err[col] = ""
    err["error"] = err["error"].fillna("(no reason recorded)").astype(str)
    groups = (err.groupby(["model", "study", "dataset", "error"], sort=True, dropna=False)
              .size().reset_index(name="cells"))
    return [{"model": str(r.model), "study": str(r.study), "dataset": str(r.dataset),
             "reason": r.error, "cells": int(r.cells)} for r in groups.itertuples()]


def _models(models_info: pd.DataFrame | None, rows: pd.DataFrame) -> list[dict]:
    if models_info is not None and len(models_info):
        out = []
        for rec in models_info.to_dict("records"):
            caps = rec.get("capabilities", "")
            if isinstance(caps, str):  # comma-joined tags: space them so the cell can wrap
                caps = caps.split(",")
            if isinstance(caps, (set, frozenset, list, tuple, np.ndarray)):
                caps = ", ".join(sorted(str(c).strip() for c in caps if str(c).strip()))
            out.append({"name": str(rec.get("name", "")), "family": str(rec.get("family", "")),
                        "capabilities": "" if caps is None else str(caps)})
        return out
    if {"model", "family"} <= set(rows.columns) and len(rows):
        pairs = rows[["model", "family"]].drop_duplicates().sort_values(["family", "model"])
        return [{"name": str(m), "family": str(f), "capabilities": ""}
                for m, f in pairs.itertuples(index=False)]
    return []


def _run_models(models_info: pd.DataFrame | None, rows: pd.DataFrame) -> list[str]:
    """The run's model names: those of ``models_info`` and of ``rows`` (skipped cells too), so
    a model's color does not depend on which studies it has rows in."""
    names = [] if models_info is None or "name" not in models_info else list(models_info["name"])
    if "model" in rows.columns:
        names += list(rows["model"].dropna())
    return [str(n) for n in names]


def _dataset(dataset_info: Mapping | None, rows: pd.DataFrame) -> list[tuple[str, str]]:
    info = dict(dataset_info or {})
    if "classes" not in info and "class_names" in info:
        info["classes"] = info["class_names"]
    if "name" not in info and "dataset" in rows.columns and len(rows):
        info["name"] = ", ".join(sorted(str(d) for d in rows["dataset"].dropna().unique()))
    out = []
    for key, label in _DATASET_FIELDS:
        if info.get(key) is not None and str(info[key]) != "":
            out.append((label, format_number(info[key])))
    return out


def _version() -> str:
    """The installed gdlab's version (package metadata; the report does not import the package
    face, which sits above it), or ``"unknown"`` when gdlab runs uninstalled from a source tree."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gdlab")
    except PackageNotFoundError:
        return "unknown"


def _results_note(results_path, out_dir: Path) -> dict | None:
    if results_path is None:
        return None
    path = Path(results_path)
    try:
        href = os.path.relpath(path.resolve(), out_dir.resolve())
    except ValueError:  # another drive on Windows
        href = path.resolve().as_uri()
    href = href.replace(os.sep, "/")
    if path.is_dir():
        kind = "store"
    elif path.suffix.lower() in (".parquet", ".pq"):
        kind = "parquet"
    else:
        kind = "csv"
    return {"href": href, "name": path.name + ("/" if kind == "store" else ""), "kind": kind}


def _verdict(advice) -> dict | None:
    """The verdict section: the overall pick and one row per goal (from an Advice)."""
    if advice is None:
        return None
    data = advice.to_dict() if hasattr(advice, "to_dict") else dict(advice)
    goals = []
    for a in data.get("answers", []):
        label = a["goal"].replace("_", " ") + (f": {a['kind'].replace('_', ' ')}"
                                               if a.get("kind") else "")
        if a.get("model") is None:
            verdict, pick = "unanswered", "—"
        elif a.get("runner_up") is None:
            verdict, pick = "only model", a["model"]
        elif a.get("untested"):  # ahead on one split: no interval to test it
            verdict, pick = "ahead on one split (untested)", a["model"]
        elif a.get("tie"):
            verdict, pick = "no clear winner", f"{a['model']} ≈ {a['runner_up']}"
        else:
            verdict, pick = "clear", a["model"]
        diff = a.get("difference")
        interval = a.get("interval")
        metric = a.get("metric") or ""

        def show(v, metric=metric):
            return format_value(v, metric, signed=True)

        evidence = "—" if diff is None else show(diff) + (
            f" [{show(interval[0])}, {show(interval[1])}]" if interval else " (one split)")
        label_metric = metric_label(metric)

        def value(v, metric=metric):
            return format_value(v, metric)

        values = ("—" if a.get("model") is None else value(a.get("value")) + (
            f" vs {value(a.get('runner_up_value'))}" if a.get("runner_up") else ""))
        c = a.get("contrast") or {}
        if c.get("interval"):
            lead = contrast_label(c)
            family = (f"{c['generative']} vs {c['discriminative']}: {lead} "
                      f"({show(c['difference'])} [{show(c['interval'][0])}, "
                      f"{show(c['interval'][1])}])")
        else:
            family = "—"
        evidence, values, family = keep_units(evidence), keep_units(values), keep_units(family)
        goals.append({"goal": label, "pick": pick, "family": family,
                      # one split has no noise to be within: no "within the noise" list
                      "tied": "" if a.get("untested") else ", ".join(a.get("tied_with") or []),
                      "runner_up": "—" if verdict == "no clear winner" else
                      (a.get("runner_up") or "—"),
                      "verdict": verdict, "evidence": evidence, "metric": label_metric,
                      "vs": values,
                      # "(fit time)" beside the label "fit time" would say it twice
                      "setting": "" if (a.get("setting") or "").strip("()") == label_metric
                      else a.get("setting", ""),
                      "because": keep_units(a.get("reason") or a.get("because", "")),
                      "extrapolated": bool(a.get("extrapolated"))})
    overall = data.get("overall") or {}
    answered = [g for g in goals if g["verdict"] != "unanswered"]
    unanswered = [g for g in goals if g["verdict"] == "unanswered"]
    if len(unanswered) <= 2:  # a few stay in the table; a single-study run folds the rest
        answered, unanswered = goals, []
    return {"model": overall.get("model"), "because": keep_units(overall.get("because", "")),
            "goals": answered, "unanswered": unanswered,
            "notes": [keep_units(n) for n in data.get("notes", [])]}


def build_report(rows: pd.DataFrame, studies: list, out_dir, *, title: str | None = None,
                 dataset_info: Mapping | None = None, models_info: pd.DataFrame | None = None,
                 results_path=None, advice=None) -> Path:
    """Write the self-contained HTML report ``out_dir/index.html``.

    Parameters
    ----------
    rows : pandas.DataFrame
        Tidy results with the columns :data:`gdlab.studies.base.ROW_COLUMNS`
        (rows of every study; each study sees only its own, without the
        skipped-cell rows, ``metric == "failed"`` with the reason in ``error``,
        which the report lists in a table of their own).
    studies : list of Study
        The studies to show, each with ``name``, ``summarize(rows)``,
        ``figures(rows)`` and ``reading(rows)``. Sections follow
        :data:`STUDY_ORDER`; unknown studies come last, in the given order.
        A study with no rows, or whose ``figures``/``reading``/``summarize``
        raises, gets a short note instead of that part.
    out_dir : str or path-like
        Directory to write into (created if needed).
    title : str, optional
        Page title; default ``"gdlab report: <dataset name>"``.
    dataset_info : mapping, optional
        ``name``, ``description``, ``source``, ``n_samples``, ``n_features``,
        ``classes`` (or ``class_names``); missing keys are left out.
    models_info : pandas.DataFrame, optional
        One row per model with ``name``, ``family``, ``capabilities``
        (a string or a collection of tags). Default: the model and family
        pairs found in ``rows``.
    results_path : str or path-like, optional
        The results: a results store (the folder of Parquet parts that
        :func:`gdlab.studies.runner.run` writes), a Parquet file or a CSV
        file; the report links to it by its path relative to ``out_dir`` and
        says how to read it.
    advice : gdlab.answers.Advice or mapping, optional
        The verdict (or its ``to_dict()``), shown first: the overall pick and,
        per goal, the pick, the runner-up, the paired difference with its
        95 % interval, and the reason.

    Returns
    -------
    pathlib.Path
        The path of the written ``index.html``.

    Notes
    -----
    Figures are drawn inside :func:`gdlab.studies._common.run_colors` over the
    run's models (those of ``models_info`` and ``rows``), so each model has
    one color in every figure and no two share one (up to 20 models).
    Figures are closed after rendering. Model names, readings and table
    cells are HTML-escaped. A page with Plotly figures carries the plotly.js
    bundle inline (once) and one drawing call per figure, with the figure's
    data JSON-encoded; a page without them contains no script.
    """
    import jinja2

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = pd.DataFrame(rows).reset_index(drop=True)

    # one color per model of the run, the same in every study's figures
    with run_colors(_run_models(models_info, rows)):
        sections = [_study_section(s, rows, i, out_dir) for i, s in enumerate(_order(studies))]
    glance = [{"title": s["title"], "anchor": s["anchor"], "sentence": s["reading"][0]}
              for s in sections if s["reading"]]
    dataset = _dataset(dataset_info, rows)
    dataset_name = dict(dataset).get("Name", "")
    models = _models(models_info, rows)

    interactive = any(f["interactive"] for s in sections for f in s["figures"])
    plotly_js = None
    if interactive:
        from plotly.offline import get_plotlyjs

        plotly_js = Markup(get_plotlyjs().replace("</script", "<\\/script"))
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gdlab.report", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    html = env.get_template("report.html.j2").render(
        title=title or (f"gdlab report: {dataset_name}" if dataset_name else "gdlab report"),
        dataset=dataset,
        models=models,
        created=_dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z").strip(),
        version=_version(),
        glance=glance,
        sections=sections,
        skipped=_skipped(rows),
        results=_results_note(results_path, out_dir),
        n_rows=int((~_skip_mask(rows)).sum()),
        plotly_js=plotly_js,
        verdict=_verdict(advice),
    )
    path = out_dir / "index.html"
    path.write_text(html, encoding="utf-8")
    return path
