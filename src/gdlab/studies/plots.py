"""Interactive (Plotly) figures for the studies: curves with intervals, few series per panel.

The report draws these in the page (hover values, a legend click hides a model,
zoom; see :mod:`gdlab.report.build`). Every figure follows the same rules, so a
study only says what to plot:

- a model keeps its color in every figure (:func:`gdlab.studies._common.model_color`;
  in a report, no two of the run's models share one: :func:`~gdlab.studies._common.run_colors`)
  and its family its line style (generative solid, discriminative dashed,
  hybrid dash-dot);
- a panel holds at most ``max_series`` models; more become small multiples,
  one panel per family (split further when a family alone has more);
- an interval band is clipped to the valid range of its metric (an error rate
  stays in [0, 1]), and belongs to its model's legend entry, so a click hides
  both.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gdlab.studies import _common

__all__ = ["DASH", "curves_figure", "dots_figure", "log_ticks", "panels"]

#: Plotly line dash by model family.
DASH = {"generative": "solid", "discriminative": "dash", "hybrid": "dashdot"}

_FAMILY_ORDER = ("generative", "discriminative", "hybrid")


def panels(models: pd.DataFrame, max_series: int = 6, *, series: str = "model",
           group: str = "family", always: bool = False) -> list[tuple[str, list[str]]]:
    """Split series into panels of at most ``max_series``: one ``group`` per panel when needed.

    Parameters
    ----------
    models : DataFrame
        One row per series, columns ``series`` and ``group``, in display order.
    max_series : int, default=6
        The most series one panel shows.
    series, group : str, default="model", "family"
        The columns naming a series and its group.
    always : bool, default=False
        One panel per group even when every series would fit in one.

    Returns
    -------
    list of (title, series names)
        One panel with title ``""`` when every series fits (and ``always`` is
        False); otherwise one per group (``"generative"``,
        ``"discriminative 1/2"``, ...), families in the order generative,
        discriminative, hybrid, then the others sorted.

    Examples
    --------
    >>> m = pd.DataFrame({"model": list("abcdefg"), "family": ["generative"] * 3
    ...                   + ["discriminative"] * 4})
    >>> panels(m, 6)
    [('generative', ['a', 'b', 'c']), ('discriminative', ['d', 'e', 'f', 'g'])]
    >>> panels(m.iloc[:4], 6)
    [('', ['a', 'b', 'c', 'd'])]
    >>> panels(m.assign(family="generative"), 6)  # 7 series: 4 + 3, not 6 + 1
    [('generative 1/2', ['a', 'b', 'c', 'd']), ('generative 2/2', ['e', 'f', 'g'])]
    """
    if isinstance(max_series, bool) or not isinstance(max_series, int) or max_series < 1:
        raise ValueError(f"max_series must be a positive int, got {max_series!r}.")
    names = list(dict.fromkeys(models[series]))
    if len(names) <= max_series and not always:
        return [("", names)]
    fam = dict(zip(models[series], models[group], strict=False))
    present = list(dict.fromkeys(fam[m] for m in names))
    order = [f for f in _FAMILY_ORDER if f in present]
    order += [f for f in present if f not in order]
    out = []
    for family in order:
        members = [m for m in names if fam[m] == family]
        # as few panels as fit, of sizes that differ by one at most (7 models: 4 + 3,
        # not 6 + 1), the larger ones first
        k = math.ceil(len(members) / max_series)
        size, extra = divmod(len(members), k)
        start = 0
        for i in range(k):
            stop = start + size + (i < extra)
            title = str(family) if k == 1 else f"{family} {i + 1}/{k}"
            out.append((title, members[start:stop]))
            start = stop
    return out


def log_ticks(values) -> list[float]:
    """Labelled ticks of a logarithmic axis over ``values``: the powers of ten when the
    values span three decades or more, else 1, 2 and 5 times them.

    Plotly labels a log axis that spans a decade or two by its minor ticks alone
    ("2 3 4 5 6 7 8 9 1", "5 0.1 2 5 1 2 5"), which does not say where a bar ends.

    Examples
    --------
    >>> log_ticks([0.003, 9.3])
    [0.001, 0.01, 0.1, 1.0, 10.0]
    >>> log_ticks([0.12, 0.9])
    [0.1, 0.2, 0.5, 1.0]
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not len(v):
        return []
    lo, hi = math.floor(math.log10(v.min())), math.ceil(math.log10(v.max()))
    hi = max(hi, lo + 1)
    steps = (1,) if hi - lo >= 3 else (1, 2, 5)
    ticks = [float(f"{m}e{k}") for k in range(lo, hi + 1) for m in steps]
    first = max(t for t in ticks if t <= v.min())  # from the last tick below the values
    last = min(t for t in ticks if t >= v.max())  # to the first one above them
    return [t for t in ticks if first <= t <= last]


def _tick_text(v: float) -> str:
    """A tick label without exponent: ``0.001``, ``5``, ``10,000``."""
    return f"{v:,.0f}" if v >= 1 else f"{v:g}"


def _band(x, lo, hi):
    """The closed outline of an interval band (x forward along hi, back along lo)."""
    x = np.asarray(x, dtype=float)
    return np.concatenate([x, x[::-1]]), np.concatenate([hi, lo[::-1]])


def _fmt(v: float, percent: bool) -> str:
    return "—" if not np.isfinite(v) else (_common.percent(v) if percent else f"{v:.3g}")


def curves_figure(summary: pd.DataFrame, *, title: str, x_title: str, y_title: str,
                  x: str = "setting_value", log_x: bool = False, y_range=None,
                  percent: bool = False, max_series: int = 6, markers=None,
                  x_format: str = "{:.0f}", series: str = "model", panel: str | None = None,
                  percent_x: bool = False, diagonal: bool = False, hover_label=None,
                  diagonal_name: str = "chance", colors=None, marker_name: str = "crossover",
                  legend_title: str = "model"):
    """Mean curves with interval bands, one line per model, small multiples past ``max_series``.

    Parameters
    ----------
    summary : DataFrame
        Columns ``model``, ``family``, ``mean``, ``lo``, ``hi``, ``x`` and
        ``series`` (and ``panel`` when given).
    title, x_title, y_title : str
        Figure title and axis titles.
    x : str, default="setting_value"
        The column on the x axis.
    log_x : bool, default=False
        A logarithmic x axis.
    y_range : (float, float), optional
        The metric's valid range; bands are clipped to it (e.g. ``(0, 1)``
        for an error rate).
    percent : bool, default=False
        Show y values as percentages.
    max_series : int, default=6
        The most models in one panel (see :func:`panels`).
    markers : DataFrame, optional
        Points to mark (e.g. crossovers): columns ``x``, ``y``, ``text`` and
        optionally ``panel`` (a model name; the marker goes to that model's
        panel). One legend entry, ``marker_name``.
    x_format : str, default="{:.0f}"
        Format of x in the hover text.
    series : str, default="model"
        The column naming a line (its legend entry); the line's color is its
        ``model``'s, its dash its ``family``'s.
    panel : str, optional
        A column that puts each of its values in a panel of its own (small
        multiples); by default panels split by family only past ``max_series``.
    percent_x : bool, default=False
        Show x values as percentages.
    diagonal : bool, default=False
        Draw the diagonal y = x (chance for ROC curves, perfect calibration for
        reliability diagrams).
    diagonal_name : str, default="chance"
        The diagonal's legend entry.
    hover_label : mapping, optional
        Text shown for a series in the hover box instead of its name.
    colors : mapping, optional
        A color per series name, for series that share one model (the blend
        study's lambdas); by default a line takes its model's color.
    marker_name : str, default="crossover"
        The legend entry of ``markers``.
    legend_title : str, default="model"
        What a legend entry is (the blend study's lambdas, the augmentation
        study's generators); the legend reads "<legend_title> (click to hide)".

    Returns
    -------
    plotly.graph_objects.Figure
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    need = {"model", "family", "mean", "lo", "hi", x, series} | ({panel} if panel else set())
    missing = need - set(summary.columns)
    if missing:
        raise ValueError(f"summary lacks the columns {sorted(missing)}; it has "
                         f"{list(summary.columns)}.")
    key = [series] if panel is None else [panel, series]
    lines = summary.drop_duplicates(key)
    if panel is None:
        groups = [(t, [(None, n) for n in names])
                  for t, names in panels(lines, max_series, series=series)]
    else:
        groups = []
        for value in dict.fromkeys(lines[panel]):
            sub = lines[lines[panel] == value]
            for t, names in panels(sub.assign(_one=str(value)), max_series, series=series,
                                   group="_one", always=True):
                groups.append((t, [(value, n) for n in names]))
    cols = 1 if len(groups) == 1 else 2
    rows = math.ceil(len(groups) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True, shared_xaxes=False,
                        subplot_titles=[t for t, _ in groups] if len(groups) > 1 else None,
                        horizontal_spacing=0.06, vertical_spacing=0.14 if rows > 1 else 0.0)
    where, shown = {}, set()
    hover_label = dict(hover_label or {})
    for i, (_, names) in enumerate(groups):
        r, c = divmod(i, cols)
        if diagonal:
            fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name=diagonal_name,
                                     legendgroup="diagonal", showlegend=i == 0,
                                     hoverinfo="skip",
                                     line={"color": "#999999", "width": 1, "dash": "dot"}),
                          row=r + 1, col=c + 1)
        for value, name in names:
            where.setdefault(name, (r + 1, c + 1))
            d = summary[summary[series] == name]
            if panel is not None:
                d = d[d[panel] == value]
            d = d.sort_values(x)
            model = str(d["model"].iloc[0])
            family = str(d["family"].iloc[0])
            color = (colors or {}).get(name) or _common.model_color(model)
            xs = d[x].to_numpy(float)
            mean = d["mean"].to_numpy(float)
            lo, hi = d["lo"].to_numpy(float), d["hi"].to_numpy(float)
            lo = np.where(np.isfinite(lo), lo, mean)
            hi = np.where(np.isfinite(hi), hi, mean)
            if y_range is not None:
                lo, hi = np.clip(lo, *y_range), np.clip(hi, *y_range)
            bx, by = _band(xs, lo, hi)
            if np.any(hi > lo):
                bx, by = _band(xs, lo, hi)
                fig.add_trace(go.Scatter(x=bx, y=by, fill="toself", fillcolor=color,
                                         opacity=0.15, line={"width": 0}, hoverinfo="skip",
                                         showlegend=False, legendgroup=name, name=name),
                              row=r + 1, col=c + 1)
            label = hover_label.get(name, f"{name} ({family})")
            xfmt = [_common.percent(a) if percent_x else x_format.format(a) for a in xs]
            text = [f"{label}<br>{x_title} {a}<br>{y_title} {_fmt(m, percent)}"
                    + ("" if lo_ == hi_ else f" [{_fmt(lo_, percent)}, {_fmt(hi_, percent)}]")
                    for a, m, lo_, hi_ in zip(xfmt, mean, lo, hi, strict=True)]
            fig.add_trace(go.Scatter(x=xs, y=mean, mode="lines+markers", name=name,
                                     legendgroup=name, showlegend=name not in shown,
                                     line={"color": color, "dash": DASH.get(family, "dot")},
                                     marker={"size": 5}, text=text,
                                     hovertemplate="%{text}<extra></extra>"),
                          row=r + 1, col=c + 1)
            shown.add(name)
    if markers is not None and len(markers):
        first = True
        for rec in markers.to_dict("records"):
            r, c = where.get(rec.get("panel"), (1, 1))
            fig.add_trace(go.Scatter(x=[rec["x"]], y=[rec["y"]], mode="markers",
                                     name=marker_name, legendgroup=marker_name,
                                     showlegend=first, text=[rec["text"]],
                                     hovertemplate="%{text}<extra></extra>",
                                     marker={"symbol": "x", "size": 10, "color": "black"}),
                          row=r, col=c)
            first = False
    fig.update_xaxes(type="log" if log_x else "linear", title_text=x_title, showgrid=True,
                     tickformat=".0%" if percent_x else None)
    ticks = np.unique(summary[x].to_numpy(float))
    ticks = ticks[np.isfinite(ticks) & (ticks > 0)]
    if log_x and not percent_x and 0 < len(ticks) <= 10:
        # a log axis labels its minor ticks "2, 5, 2, 5": label the measured sizes instead
        fig.update_xaxes(tickvals=ticks, ticktext=[x_format.format(v) for v in ticks])
    fig.update_yaxes(title_text=y_title, col=1, tickformat=".0%" if percent else None)
    if y_range is not None and not percent:
        fig.update_yaxes(rangemode="tozero")
    # tall enough for the legend (about 30 px an entry in Chromium) so it needs no scroll bar
    entries = len(shown) + bool(diagonal) + bool(markers is not None and len(markers))
    fig.update_layout(template="plotly_white", title={"text": title, "x": 0.0},
                      height=max(420, 360 * rows + 60, 30 * entries + 150),
                      hovermode="closest",
                      legend={"title": {"text": f"{legend_title} (click to hide)"},
                              "groupclick": "togglegroup"},
                      margin={"l": 60, "r": 20, "t": 70, "b": 50})
    return fig


def dots_figure(summary: pd.DataFrame, metrics, *, title: str, bars: bool = False,
                log_x=(), references=None, valid_range=None, reference_name: str = "reference",
                per_row: int = 4):
    """One value per model in each metric's panel: a dot with its interval, or a bar.

    Models are rows (the same order in every panel, the first row on top); a
    model keeps its color and its legend entry hides it in every panel.

    Parameters
    ----------
    summary : DataFrame
        Columns ``model``, ``family``, ``metric``, ``mean``, ``lo``, ``hi`` (one
        row per model and metric; NaN bounds draw no interval).
    metrics : mapping of str to str
        The metrics to draw, in order, with their panel titles.
    title : str
    bars : bool, default=False
        Horizontal bars (for magnitudes: seconds, megabytes) instead of dots.
    log_x : collection of str, default=()
        Metrics whose axis is logarithmic (only when every value is positive).
    references : mapping of str to float, optional
        A dashed vertical line per metric (e.g. real data against itself).
    valid_range : mapping of str to (float, float), optional
        Intervals are clipped to a metric's valid range (an AUC stays in [0, 1]).
    reference_name : str, default="reference"
        The reference line's legend entry.
    per_row : int, default=4
        Panels per row.

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> s = pd.DataFrame({"model": ["a", "b"], "family": ["generative", "discriminative"],
    ...                   "metric": "m", "mean": [0.2, 0.4], "lo": [0.1, 0.3], "hi": [0.3, 0.5]})
    >>> fig = dots_figure(s, {"m": "metric m"}, title="t", references={"m": 0.25})
    >>> [t.name for t in fig.data]
    ['a', 'b', 'reference']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    need = {"model", "family", "metric", "mean", "lo", "hi"}
    if need - set(summary.columns):
        raise ValueError(f"summary lacks the columns {sorted(need - set(summary.columns))}; "
                         f"it has {list(summary.columns)}.")
    metrics = {m: t for m, t in dict(metrics).items() if (summary["metric"] == m).any()}
    if not metrics:
        raise ValueError("none of the metrics asked is in the summary.")
    references, valid_range = dict(references or {}), dict(valid_range or {})
    models = list(dict.fromkeys(summary.loc[summary["metric"].isin(list(metrics)), "model"]))
    families = summary.drop_duplicates("model").set_index("model")["family"].to_dict()
    cols = min(per_row, len(metrics))
    rows = math.ceil(len(metrics) / cols)
    fig = make_subplots(rows=rows, cols=cols, shared_yaxes=True,
                        subplot_titles=list(metrics.values()), horizontal_spacing=0.04,
                        vertical_spacing=0.5 / max(rows, 1) if rows > 1 else 0.0)
    shown = set()
    reference_shown = False
    for i, (metric, label) in enumerate(metrics.items()):
        r, c = divmod(i, cols)
        d = summary[summary["metric"] == metric].set_index("model")
        for model in models:
            if model not in d.index:
                continue
            rec = d.loc[model]
            mean, lo, hi = (float(rec[k]) for k in ("mean", "lo", "hi"))
            if not np.isfinite(mean):
                continue
            color = _common.model_color(model)
            has_interval = np.isfinite(lo) and np.isfinite(hi) and hi > lo
            if has_interval and metric in valid_range:
                lo, hi = np.clip([lo, hi], *valid_range[metric])
            hover = f"{model} ({families.get(model, '')})<br>{label}: {mean:.3g}" + (
                f" [{lo:.3g}, {hi:.3g}]" if has_interval else "")
            common = dict(name=model, legendgroup=model, showlegend=model not in shown,
                          hovertemplate=hover + "<extra></extra>")
            error = ({"type": "data", "symmetric": False, "array": [hi - mean],
                      "arrayminus": [mean - lo], "color": color, "thickness": 1.5, "width": 0}
                     if has_interval else None)
            if bars:
                fig.add_trace(go.Bar(x=[mean], y=[model], orientation="h",
                                     marker={"color": color}, error_x=error, **common),
                              row=r + 1, col=c + 1)
            else:
                fig.add_trace(go.Scatter(x=[mean], y=[model], mode="markers",
                                         marker={"color": color, "size": 10},
                                         error_x=error, **common),
                              row=r + 1, col=c + 1)
            shown.add(model)
        ref = references.get(metric)
        if ref is not None and np.isfinite(ref):
            fig.add_trace(go.Scatter(x=[ref, ref], y=[models[0], models[-1]], mode="lines",
                                     name=reference_name, legendgroup="reference",
                                     showlegend=not reference_shown,
                                     hovertemplate=f"{reference_name}: {ref:.3g}<extra></extra>",
                                     line={"color": "#555555", "dash": "dash", "width": 1}),
                          row=r + 1, col=c + 1)
            reference_shown = True
        values = d["mean"].astype(float)
        positive = bool((values[np.isfinite(values)] > 0).all())
        if metric in log_x and positive:
            shown_values = d[["mean", "lo", "hi"]].to_numpy(float).ravel()
            ticks = log_ticks(shown_values[np.isfinite(shown_values) & (shown_values > 0)])
            fig.update_xaxes(type="log", tickvals=ticks, ticktext=[_tick_text(v) for v in ticks],
                             showgrid=True, row=r + 1, col=c + 1)
        else:
            fig.update_xaxes(type="linear", showgrid=True, row=r + 1, col=c + 1)
    fig.update_yaxes(autorange="reversed", categoryorder="array", categoryarray=models)
    fig.update_layout(template="plotly_white", title={"text": title, "x": 0.0},
                      height=max(260, rows * (26 * len(models) + 110) + 60),
                      hovermode="closest", barmode="overlay", bargap=0.25,
                      legend={"title": {"text": "model (click to hide)"}},
                      margin={"l": 120, "r": 20, "t": 80, "b": 40})
    return fig
