"""The studies' interactive figures: few series per panel, bands clipped, one legend per model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gdlab.studies.plots import curves_figure, panels


def _summary(n_models: int, family=None) -> pd.DataFrame:
    rows = []
    for i in range(n_models):
        fam = family or ("generative" if i % 2 else "discriminative")
        for m in (10, 100, 1000):
            mean = 0.3 / (i + 1) + 1 / m
            rows.append({"model": f"m{i}", "family": fam, "setting_value": float(m),
                         "mean": mean, "lo": mean - 0.5, "hi": mean + 0.5})
    return pd.DataFrame(rows)


def test_panels_keep_at_most_max_series_and_every_model_once():
    s = _summary(15)
    groups = panels(s[["model", "family"]].drop_duplicates(), 6)
    shown = [m for _, names in groups for m in names]
    assert sorted(shown) == sorted(s["model"].unique())
    assert all(1 <= len(names) <= 6 for _, names in groups)
    assert [t for t, _ in groups] == ["generative 1/2", "generative 2/2",
                                      "discriminative 1/2", "discriminative 2/2"]
    with pytest.raises(ValueError, match="max_series must be a positive int"):
        panels(s, 0)


def test_curves_figure_clips_bands_and_groups_line_with_band():
    fig = curves_figure(_summary(3), title="t", x_title="m", y_title="error", log_x=True,
                        y_range=(0.0, 1.0), percent=True)
    bands = [t for t in fig.data if t.fill == "toself"]
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert len(bands) == len(lines) == 3
    for b in bands:
        assert np.min(b.y) >= 0.0 and np.max(b.y) <= 1.0  # lo - 0.5 < 0 before clipping
    assert {b.legendgroup for b in bands} == {ln.legendgroup for ln in lines} == {"m0", "m1", "m2"}
    assert all(b.showlegend is False for b in bands)
    assert fig.layout.xaxis.type == "log"


def test_curves_figure_makes_small_multiples_past_max_series():
    fig = curves_figure(_summary(8), title="t", x_title="m", y_title="error", max_series=6)
    axes = {t.xaxis for t in fig.data}
    assert len(axes) == 2  # one panel per family
    for ax in axes:
        assert len({t.name for t in fig.data if t.xaxis == ax}) <= 6


def test_curves_figure_names_missing_columns():
    with pytest.raises(ValueError, match=r"lacks the columns \['hi', 'lo'\]"):
        curves_figure(_summary(2).drop(columns=["lo", "hi"]), title="t", x_title="m",
                      y_title="e")


def test_dots_figure_labels_log_axes_by_round_numbers_not_minor_digits():
    """The cost bars' log axes read '2 3 4 5 6 7 8 9 1' (memory within one decade) and
    '5 0.1 2 5 1 2 5' (predict time): Plotly's minor-tick labels. Each log axis now names
    round values: powers of ten over three decades or more, else 1-2-5 steps."""
    from gdlab.studies.plots import dots_figure

    s = pd.DataFrame({"model": ["a", "b"] * 2, "family": ["generative", "discriminative"] * 2,
                      "metric": ["fit", "fit", "memory", "memory"],
                      "mean": [0.003, 9.3, 0.12, 0.9], "lo": [0.002, 5.0, 0.11, 0.8],
                      "hi": [0.004, 9.9, 0.13, 0.95]})
    fig = dots_figure(s, {"fit": "fit (s)", "memory": "memory (MB)"}, title="t", bars=True,
                      log_x={"fit", "memory"})
    fit, memory = fig.layout.xaxis, fig.layout.xaxis2
    assert fit.type == memory.type == "log"
    assert list(fit.ticktext) == ["0.001", "0.01", "0.1", "1", "10"]
    assert list(memory.ticktext) == ["0.1", "0.2", "0.5", "1"]
    assert list(memory.tickvals) == [0.1, 0.2, 0.5, 1.0]
