"""The report opened in headless Chromium: no console errors, every figure rendered.

Drives the system Chromium (``/usr/bin/chromium``, Debian package ``chromium``,
installed by ``make data-deps``) through playwright-python with
``executable_path``; playwright's own browser downloads are never used. Skips
only when ``/usr/bin/chromium`` is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gdlab.report import build_report  # noqa: E402
from gdlab.studies.base import ROW_COLUMNS, Study  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--disable-default-apps", "--disable-extensions",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (make data-deps installs it)")

MODELS = {"naive-bayes": "generative", "gaussian-lda": "generative",
          "logistic": "discriminative", "hist-gb": "discriminative"}


class _Fake(Study):
    def cells(self, dataset, models, seeds):  # pragma: no cover - not used by the report
        return []

    def run_cell(self, cell, dataset, make_model):  # pragma: no cover
        return []


class Curves(_Fake):
    """Mean error with a 95 % band and a crossover marker."""

    name = "learning_curve"

    def summarize(self, rows):
        g = rows.groupby(["model", "family", "setting_value"])["value"]
        out = g.agg(mean="mean", sd="std", n="count").reset_index()
        out["ci95"] = 1.96 * out.pop("sd") / np.sqrt(out.pop("n"))
        return out.rename(columns={"setting_value": "train_size", "mean": "error"})

    def figures(self, rows):
        """The interactive (Plotly) figure the report draws in the page."""
        from gdlab.studies.plots import curves_figure

        s = self.summarize(rows).rename(columns={"train_size": "setting_value",
                                                 "error": "mean"})
        s["lo"], s["hi"] = s["mean"] - s["ci95"], s["mean"] + s["ci95"]
        markers = pd.DataFrame({"x": [60.0], "y": [0.25], "text": ["crossover ≈ 60"],
                                "panel": ["naive-bayes"]})
        return [curves_figure(s, title="Learning curves", x_title="training rows m",
                              y_title="test error", log_x=True, y_range=(0, 1), percent=True,
                              markers=markers)]

    def reading(self, rows):
        return ["naive Bayes is ahead below 60 training rows; logistic regression is ahead "
                "above (Ng & Jordan's crossover).",
                "With all 400 training rows, histogram gradient boosting has the lowest error "
                "(0.081 ± 0.006)."]


class Samples(_Fake):
    """An image grid (a raster inside the SVG) and a small table."""

    name = "samples"

    def summarize(self, rows):
        return rows.pivot_table(index="model", columns="metric", values="value").reset_index()

    def figures(self, rows):
        rng = np.random.default_rng(0)
        fig, axes = plt.subplots(2, 5, figsize=(6, 2.6), layout="constrained")
        for k, ax in enumerate(axes.flat):
            ax.imshow(rng.random((8, 8)), cmap="gray_r")
            ax.set_axis_off()
            ax.set_title(f"class {k % 5}", fontsize=8)
        fig.suptitle("naive-bayes: samples drawn from p(x | y)")
        return [fig]

    def reading(self, rows):
        return ["Samples from naive Bayes look like noisy class averages: pixels are drawn "
                "independently given the class."]


class Broken(_Fake):
    name = "calibration"

    def summarize(self, rows):
        return pd.DataFrame({"model": ["logistic"], "ece": [0.0312]})

    def figures(self, rows):
        raise ValueError("reliability curve needs at least two bins")

    def reading(self, rows):
        return ["logistic regression is the best calibrated (ECE 0.031)."]


def _rows() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    rows = []
    for model, family in MODELS.items():
        for m in (20, 40, 60, 100, 200, 400):
            for seed in range(5):
                base = {"naive-bayes": 0.22 + 2 / m, "gaussian-lda": 0.20 + 3 / m,
                        "logistic": 0.12 + 9 / m, "hist-gb": 0.06 + 10 / m}[model]
                rows.append(dict(study="learning_curve", dataset="digits", model=model,
                                 family=family, setting="train_size", setting_value=float(m),
                                 seed=seed, metric="error",
                                 value=base + rng.normal(0, 0.01), fit_seconds=0.01,
                                 error=None))
    for metric, value in (("log_likelihood", -812.5), ("pixel_mean", 0.4213)):
        rows.append(dict(study="samples", dataset="digits", model="naive-bayes",
                         family="generative", setting="", setting_value=np.nan, seed=0,
                         metric=metric, value=value, fit_seconds=0.02, error=None))
    rows.append(dict(study="calibration", dataset="digits", model="logistic",
                     family="discriminative", setting="", setting_value=np.nan, seed=0,
                     metric="ece", value=0.0312, fit_seconds=0.02, error=None))
    rows.append(dict(study="learning_curve", dataset="digits", model="multinomial-nb",
                     family="generative", setting="train_size", setting_value=20.0, seed=0,
                     metric="failed", value=np.nan, fit_seconds=np.nan,
                     error="ValueError: Negative values in data passed to MultinomialNB"))
    return pd.DataFrame(rows)[list(ROW_COLUMNS)]


#: A verdict as gdlab.answers.Advice.to_dict() writes it (two goals).
ADVICE = {
    "dataset": "digits",
    "answers": [
        {"goal": "accuracy", "kind": None, "model": "hist-gb", "runner_up": "logistic",
         "metric": "error", "value": 0.081, "runner_up_value": 0.14, "difference": 0.059,
         "interval": [0.04, 0.078], "significant": True, "tie": False, "tied_with": [],
         "contrast": {"generative": "gaussian-lda", "discriminative": "hist-gb",
                      "difference": -0.12, "interval": [-0.14, -0.1], "significant": True},
         "setting": "at 400 training rows", "because": "", "reason": "hist-gb has the "
         "lowest error.", "extrapolated": False},
        {"goal": "anomaly_detection", "kind": "noise", "model": "naive-bayes (-log p(x))",
         "runner_up": "gaussian-lda (-log p(x))", "metric": "auroc", "value": 0.99,
         "runner_up_value": 0.98, "difference": 0.01, "interval": [-0.01, 0.03],
         "significant": False, "tie": True, "tied_with": ["gaussian-lda (-log p(x))"],
         "contrast": None, "setting": "on noise inputs", "because": "", "reason": "Within "
         "the noise.", "extrapolated": False},
    ],
    "overall": {"model": "hist-gb", "because": "hist-gb ranks best over the goals weighed."},
    "notes": [],
}


def test_report_renders_in_chromium(tmp_path):
    from playwright import sync_api  # dev extra; a missing install fails, not skips

    rows = _rows()
    results = tmp_path / "results.parquet"
    rows.to_parquet(results)
    models = pd.DataFrame({"name": list(MODELS), "family": list(MODELS.values()),
                           "capabilities": ["classify, density, sample", "classify, density",
                                            "classify", "classify, missing_features"]})
    index = build_report(
        rows, [Samples(), Broken(), Curves()], tmp_path / "report", models_info=models,
        dataset_info={"name": "digits", "description": "8x8 handwritten digits",
                      "source": "scikit-learn", "n_samples": 1797, "n_features": 64,
                      "classes": list(range(10))},
        results_path=results, advice=ADVICE)

    console_errors, page_errors, network = [], [], []
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 1000, "height": 800}, offline=True)
        try:
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.on("request", lambda r: r.url.split(":", 1)[0] not in ("file", "data")
                    and network.append(r.url))
            page.goto(index.as_uri(), wait_until="load")
            state = page.evaluate("""async () => {
                const box = (el) => { const r = el.getBoundingClientRect();
                                      return [r.width, r.height]; };
                const svgs = [...document.querySelectorAll('svg')]
                    .filter((s) => !s.parentElement.closest('svg')
                                   && !s.closest('.js-plotly-plot')
                                   && s.id !== 'js-plotly-tester')  // off-screen ruler
                    .map((s) => ({label: s.getAttribute('aria-label'), size: box(s)}));
                const imgs = [...document.images].map((i) => ({
                    src: i.src.slice(0, 40), complete: i.complete, w: i.naturalWidth}));
                // rasters embedded in the SVGs (imshow): decode each one
                const rasters = await Promise.all([...document.querySelectorAll('svg image')]
                    .map(async (el) => {
                        const im = new Image();
                        im.src = el.getAttribute('href') || el.getAttribute('xlink:href');
                        try { await im.decode(); } catch (e) { return 0; }
                        return im.naturalWidth * Math.min(...box(el));
                    }));
                const plots = [...document.querySelectorAll('.js-plotly-plot')].map((gd) => ({
                    traces: gd.data.length, size: box(gd),
                    names: [...new Set(gd.data.map((t) => t.name))]}));
                const verdict = document.querySelector('#verdict .overall');
                return {svgs, imgs, rasters, plots,
                        verdict_bottom: verdict ? verdict.getBoundingClientRect().bottom : null,
                        width: document.documentElement.scrollWidth};
            }""")
            # a click on a legend entry hides that model's line and band
            page.locator(".js-plotly-plot .legend .traces .legendtoggle").first.click()
            page.wait_for_timeout(1000)  # plotly waits out a possible double click
            hidden = page.evaluate("""() => {
                const gd = document.querySelector('.js-plotly-plot');
                return gd.data.filter((t) => t.visible === 'legendonly').map((t) => t.name);
            }""")
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            context.close()

    print(f"\nreport screenshot: {shot}")
    if os.environ.get("GDLAB_REPORT_SCREENSHOT"):
        import shutil

        shutil.copy(shot, os.environ["GDLAB_REPORT_SCREENSHOT"])
    assert console_errors == [] and page_errors == []
    assert network == []
    # the verdict is the first thing on the page, within the first screen (800 px)
    assert state["verdict_bottom"] is not None and state["verdict_bottom"] < 800, state
    assert len(state["svgs"]) == 1, state["svgs"]  # the matplotlib sample grid
    assert len(state["plots"]) == 1, state["plots"]  # the interactive learning curves
    plot = state["plots"][0]
    assert set(MODELS) <= set(plot["names"]) and "crossover" in plot["names"], plot
    assert plot["size"][0] > 800 and plot["size"][1] >= 400, plot  # the page's width
    assert len(hidden) == 2 and len(set(hidden)) == 1, hidden  # line + band of one model
    for svg in state["svgs"]:
        assert svg["label"] and min(svg["size"]) > 50, svg
        assert svg["size"][0] <= 1000
    assert all(i["complete"] and i["w"] > 0 for i in state["imgs"]), state["imgs"]
    assert len(state["rasters"]) == 10 and all(r > 0 for r in state["rasters"]), state
    assert state["width"] <= 1000  # nothing overflows a 1000 px window
    assert shot.stat().st_size > 10_000


class WideTable(_Fake):
    """A Plotly table of a fixed 1,100 px width, as the samples study draws one."""

    name = "samples"

    def summarize(self, rows):
        return None

    def reading(self, rows):
        return []

    def figures(self, rows):
        import plotly.graph_objects as go

        fig = go.Figure(go.Table(header={"values": [f"x{i}" for i in range(8)]},
                                 cells={"values": [[1.5, 2.5]] * 8}))
        fig.update_layout(title={"text": "Samples"}, width=1100, height=200)
        return [fig]


def test_report_fits_a_900_px_window(tmp_path):
    """At 900 px the page scrolled sideways (pima: a 1,100 px sample table) and the verdict
    table cut its 'why' column mid-word; both now fit the window."""
    from playwright import sync_api

    why = ("Within the noise; on average gaussian-nb marginalizes the missing features under "
           "its model of p(x, y) instead of guessing them. Within the noise of the pick: qda "
           "(native), lda (native), logreg-unreg (mean-impute), random-forest (native).")
    answers = [dict(a, reason=why, tied_with=["gaussian-lda (-log p(x))", "logistic"])
               for a in ADVICE["answers"]] * 3
    rows = pd.concat([_rows(), _rows().assign(study="samples")], ignore_index=True)
    index = build_report(rows, [Curves(), WideTable()], tmp_path / "report",
                         advice=dict(ADVICE, answers=answers))
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), headless=True,
            args=FLAGS, viewport={"width": 900, "height": 800}, offline=True)
        try:
            page = context.new_page()
            page.goto(index.as_uri(), wait_until="load")
            page.wait_for_timeout(500)
            wrap = page.evaluate("""() => {
                const w = document.querySelector('#verdict .table-wrap');
                return [w.scrollWidth, w.clientWidth, document.documentElement.scrollWidth];
            }""")
        finally:
            context.close()
    assert wrap[0] <= wrap[1] + 1, wrap  # no sideways scroll inside the table
    assert wrap[2] <= 900, wrap
