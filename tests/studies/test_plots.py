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


@pytest.mark.parametrize("n,sizes", [(7, [4, 3]), (12, [6, 6]), (13, [5, 4, 4]), (6, [6])])
def test_panels_of_one_family_are_balanced(n, sizes):
    # 7 models at most 6 a panel: 4 + 3, not a panel of 6 beside a panel of 1
    m = pd.DataFrame({"model": [f"m{i:02d}" for i in range(n)], "family": "discriminative"})
    groups = panels(m, 6, always=True)
    assert [len(names) for _, names in groups] == sizes
    assert [x for _, names in groups for x in names] == list(m["model"])


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


def test_every_model_color_is_dark_enough_to_see_on_white():
    """tab20's light shades (#dbdb8d for logreg, #9edae5 for logreg-unreg) drew lines one
    could hardly see; every palette color now has a relative luminance below 0.5."""
    from gdlab.studies import _common

    def luminance(color):
        r, g, b = (int(color[i:i + 2], 16) / 255 for i in (1, 3, 5))
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    assert len(set(_common._PALETTE)) == len(_common._PALETTE) == 20
    assert max(luminance(c) for c in _common._PALETTE) < 0.5
    for name in ("logreg", "logreg-unreg", "gmm-classifier"):
        assert luminance(_common.model_color(name)) < 0.5


def test_curves_figure_is_tall_enough_for_its_legend():
    """Nine models and the crossover marker overflowed a 420 px legend into a scroll bar
    (the churn CSV's learning curves), which needs 450 px; twelve and a marker 540 px."""
    s = _summary(12)
    markers = pd.DataFrame({"x": [50.0], "y": [0.2], "text": ["x"], "panel": ["m0"]})
    fig = curves_figure(s, title="t", x_title="m", y_title="e", markers=markers)
    assert fig.layout.height >= 30 * 13 + 150 > 420


def test_run_colors_are_distinct_stable_and_in_registry_order():
    """A run's models take the palette in registry order: no two of up to 20 share a color
    (by registry position mixed-nb and hist-gb did), and the colors do not depend on the
    order the models were given in."""
    from gdlab.models.registry import names
    from gdlab.studies import _common

    run = ["hist-gb", "mixed-nb", "not-registered", "gaussian-nb", "mixed-nb"]
    colors = _common.model_colors(run)
    assert list(colors) == ["gaussian-nb", "mixed-nb", "hist-gb", "not-registered"]
    assert list(colors.values()) == list(_common._PALETTE[:4])
    assert _common.model_colors(run[::-1]) == colors
    twenty = _common.model_colors(names()[:20])
    assert len(set(twenty.values())) == 20
    assert _common.model_colors(names()[:21])[names()[20]] == _common._PALETTE[0]  # cycles
    with _common.run_colors(run):
        assert _common.model_color("hist-gb") == colors["hist-gb"]
        assert _common.model_color("logreg") == _common._PALETTE[18]  # not in the run
    assert _common.model_color("hist-gb") == _common.model_color("mixed-nb")  # outside a run
    with pytest.raises(TypeError, match="iterable of model names, got the string"):
        _common.model_colors("hist-gb")
