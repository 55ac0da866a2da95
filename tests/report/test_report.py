"""The HTML report: one self-contained file with figures, readings, tables and skips."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from gdlab.report import build_report, figure_to_svg, format_number  # noqa: E402
from gdlab.studies.base import ROW_COLUMNS, Study  # noqa: E402

EVIL = "<script>alert(1)</script>"


class _Fake(Study):
    """A study that only turns rows into report parts (no grid of its own)."""

    def cells(self, dataset, models, seeds):  # pragma: no cover - not used by the report
        return []

    def run_cell(self, cell, dataset, make_model):  # pragma: no cover
        return []


class FakeCurve(_Fake):
    """Error against training size: a line plot, a table, a reading."""

    name = "learning_curve"

    def summarize(self, rows):
        return (rows.groupby(["model", "setting_value"])["value"].mean()
                .rename("error").reset_index())

    def figures(self, rows):
        fig, ax = plt.subplots(figsize=(6, 4))
        for model, g in rows.groupby("model"):
            s = g.groupby("setting_value")["value"].mean()
            ax.plot(s.index, s.values, marker="o", label=model)
        ax.set_xlabel("training rows")
        ax.set_ylabel("test error")
        ax.set_title("Learning curves")
        ax.legend()
        return [fig]

    def reading(self, rows):
        return ["naive Bayes is ahead below 60 training rows; logistic regression is ahead above.",
                "The curves cross once."]


class FakeCost(_Fake):
    """A table and a reading; its figures raise."""

    name = "cost"

    def summarize(self, rows):
        return rows.pivot_table(index="model", columns="metric", values="value").reset_index()

    def figures(self, rows):
        raise RuntimeError("no plot for cost")

    def reading(self, rows):
        return ["logistic regression fits 3.5 times faster than naive Bayes."]


class FakeEmpty(_Fake):
    """A study with no rows at all."""

    name = "ood"

    def summarize(self, rows):
        raise AssertionError("not called without rows")

    figures = reading = summarize


def _row(study, model, family, metric, value, setting="", setting_value=np.nan, seed=0,
         error=None):
    return dict(study=study, dataset="toy", model=model, family=family, setting=setting,
                setting_value=setting_value, seed=seed, metric=metric, value=value,
                fit_seconds=0.01, error=error)


def make_rows(evil: bool = False) -> pd.DataFrame:
    gen = "naive-bayes"
    dis = EVIL if evil else "logistic"
    rows = []
    for seed in (0, 1):
        for m in (20, 60, 200):
            rows.append(_row("learning_curve", gen, "generative", "error",
                             0.30 - m / 1000 + seed * 0.01, "train_size", m, seed))
            rows.append(_row("learning_curve", dis, "discriminative", "error",
                             0.40 - m / 500 + seed * 0.01, "train_size", m, seed))
    rows += [_row("cost", gen, "generative", "fit_seconds", 0.0123456),
             _row("cost", dis, "discriminative", "fit_seconds", 0.0035273),
             _row("cost", gen, "generative", "n_params", 1234567.0),
             _row("cost", dis, "discriminative", "n_params", 31.0),
             _row("cost", "multinomial-nb", "generative", "failed", np.nan,
                  error="ValueError: Negative values in data passed to MultinomialNB (input X)")]
    df = pd.DataFrame(rows)
    return df[list(ROW_COLUMNS)]


@pytest.fixture
def report(tmp_path):
    rows = make_rows()
    results = tmp_path / "results.parquet"
    rows.to_parquet(results)
    models = pd.DataFrame({"name": ["naive-bayes", "logistic"],
                           "family": ["generative", "discriminative"],
                           "capabilities": [frozenset({"classify", "density"}), "classify"]})
    out = build_report(rows, [FakeCost(), FakeEmpty(), FakeCurve()], tmp_path / "report",
                       dataset_info={"name": "toy", "description": "a tiny test set",
                                     "source": "made up", "n_samples": 100, "n_features": 4,
                                     "class_names": ["no", "yes"]},
                       models_info=models, results_path=results)
    return out, out.read_text(encoding="utf-8"), rows


def test_single_self_contained_file(report):
    path, html, _ = report
    assert path.name == "index.html" and path.is_file()
    # the page, and beside it each study's full summary as an optional CSV download
    assert sorted(p.name for p in path.parent.iterdir()) == [
        "index.html", "study-cost.csv", "study-learning_curve.csv"]
    assert html.startswith("<!DOCTYPE html>")
    # No resource is referenced outside the file: no src at all, no network href,
    # no CSS url() or @import, no script.
    assert not re.search(r"\bsrc\s*=", html)
    assert not re.search(r"""href\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", html, re.I)
    assert "<script" not in html.lower()
    hrefs = re.findall(r'\bhref="([^"]*)"', html)
    assert all(h.startswith("#") or h in ("../results.parquet", "study-cost.csv",
                                          "study-learning_curve.csv") for h in hrefs), hrefs


def test_content(report):
    _, html, rows = report
    # header
    assert "gdlab report: toy" in html and "a tiny test set" in html and "no, yes" in html
    assert "classify, density" in html
    # readings, in full, and the first of each in "at a glance"
    glance = html.split('id="at-a-glance"')[1].split('class="study"')[0]
    assert "naive Bayes is ahead below 60 training rows" in glance
    assert "3.5 times faster" in glance
    assert "The curves cross once." not in glance
    assert "The curves cross once." in html
    # fixed order: learning curves before cost, whatever the order given
    assert html.index('id="study-learning_curve"') < html.index('id="study-ood"') \
        < html.index('id="study-cost"')
    # one inline SVG with a title, for the learning curve only
    assert html.count("<svg") == 1
    assert '<title>Learning curves: test error against training rows</title>' in html
    # table numbers, formatted
    curve = FakeCurve().summarize(rows[rows.study == "learning_curve"])
    for v in curve["error"]:
        assert f"<td class=\"num\">{format_number(v)}</td>" in html
    assert "1,234,567" in html and "0.0123" in html and "0.00353" in html
    # notes instead of crashes
    assert "The figures could not be drawn (RuntimeError: no plot for cost)" in html
    assert "No results for this study." in html
    # skipped cells with their reasons, escaped
    skipped = html.split('id="skipped"')[1]
    assert "multinomial-nb" in skipped
    assert "Negative values in data passed to MultinomialNB (input X)" in skipped
    # results link and note
    assert '<a href="../results.parquet">results.parquet</a>' in html
    assert "read_parquet" in html


def test_model_names_are_escaped(tmp_path):
    rows = make_rows(evil=True)
    out = build_report(rows, [FakeCurve(), FakeCost()], tmp_path)
    html = out.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_empty_rows_and_no_studies(tmp_path):
    out = build_report(pd.DataFrame(columns=list(ROW_COLUMNS)), [FakeCurve()], tmp_path)
    html = out.read_text(encoding="utf-8")
    assert "No results for this study." in html and "None: every cell ran." in html
    out = build_report(make_rows(), [], tmp_path / "x", title="Only skips")
    assert "<title>Only skips</title>" in out.read_text(encoding="utf-8")


def test_svg_ids_are_prefixed():
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], marker="o")
    svg = figure_to_svg(fig, label="a < b", prefix="p7")
    plt.close(fig)
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title>a &lt; b</title>" in svg
    ids = re.findall(r'\bid="([^"]+)"', svg)
    assert ids and all(i.startswith("p7-") for i in ids)
    refs = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', svg)
    assert refs and all(r.startswith("p7-") for pair in refs for r in pair if r)
    assert set(r for pair in refs for r in pair if r) <= set(ids)


def test_results_note_names_the_kind_of_results(tmp_path):
    """A results store (folder) is read with read_results, a CSV with read_csv."""
    rows = make_rows()
    store = tmp_path / "results"
    store.mkdir()
    html = build_report(rows, [FakeCurve()], tmp_path / "a", results_path=store
                        ).read_text(encoding="utf-8")
    note = html.split('id="results"')[1]
    assert '<a href="../results">results/</a>' in note
    assert "read_results(&#34;../results&#34;)" in note or 'read_results("../results")' in note
    assert "CSV file" not in note
    csv = tmp_path / "rows.csv"
    rows.to_csv(csv, index=False)
    note = build_report(rows, [FakeCurve()], tmp_path / "b", results_path=csv
                        ).read_text(encoding="utf-8").split('id="results"')[1]
    assert "read_csv" in note and "read_results" not in note


class PlotlyCurve(FakeCurve):
    """A study whose figure is interactive (Plotly)."""

    def figures(self, rows):
        from gdlab.studies.plots import curves_figure

        s = pd.DataFrame({"model": ["<script>alert(1)</script>"] * 3, "family": "generative",
                          "setting_value": [10.0, 20.0, 40.0], "mean": [0.3, 0.2, 0.1],
                          "lo": [0.2, 0.1, 0.0], "hi": [0.4, 0.3, 0.2]})
        return [curves_figure(s, title="Learning curves", x_title="m", y_title="error"),
                curves_figure(s, title="Again", x_title="m", y_title="error")]


def test_interactive_figures_inline_plotly_once_and_escape_names(tmp_path):
    html = build_report(make_rows(), [PlotlyCurve()], tmp_path).read_text(encoding="utf-8")
    assert html.count("<script") == 3  # the plotly.js bundle once, one drawing call per figure
    assert html.count("Plotly.newPlot(") == 2
    assert "<script>alert(1)" not in html  # the name is JSON-escaped (\u003c), never raw
    assert 'id="s0f0"' in html and 'id="s0f1"' in html
    assert not re.search(r'src="https?://', html)  # nothing fetched from the network
    plain = build_report(make_rows(), [FakeCurve()], tmp_path / "plain").read_text(
        encoding="utf-8")
    assert "<script" not in plain  # no interactive figure, no script at all


class HeadlineCurve(FakeCurve):
    """A study that declares its headline: the report shows one row per model."""

    from gdlab.studies.base import Headline

    headlines = (Headline("error", "error", "error at {at} rows", at="largest",
                          at_format="{:.0f}"),)


def test_summary_is_one_row_per_model_with_intervals_and_a_csv(tmp_path):
    rows = pd.DataFrame([
        {"study": "learning_curve", "dataset": "toy", "model": m, "family": f,
         "setting": "train_size", "setting_value": size, "seed": seed, "metric": "error",
         "value": base + 0.01 * seed + (0.2 if size == 10 else 0.0), "fit_seconds": 0.1,
         "error": None}
        for m, f, base in (("nb", "generative", 0.2), ("lr", "discriminative", 0.1))
        for size in (10.0, 100.0) for seed in range(3)])
    out = build_report(rows, [HeadlineCurve()], tmp_path)
    html = out.read_text(encoding="utf-8")
    table = html.split('id="study-learning_curve"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3  # header + one row per model
    assert table.index(">lr<") < table.index(">nb<")  # best first
    assert "error at 100 rows" in table
    # lr at 100 rows: 0.10, 0.11, 0.12 -> mean 0.110 and its t interval
    half = 4.302652729911275 * 0.01 / 3 ** 0.5
    assert f"0.110 [{0.11 - half:.3f}, {0.11 + half:.3f}]" in table
    csv = pd.read_csv(tmp_path / "study-learning_curve.csv")
    assert len(csv) == len(HeadlineCurve().summarize(rows))  # every number, behind a link
    assert 'href="study-learning_curve.csv" download' in html



def test_summary_intervals_stay_in_the_metric_range(tmp_path):
    rows = pd.DataFrame([
        {"study": "learning_curve", "dataset": "toy", "model": "lr", "family": "discriminative",
         "setting": "train_size", "setting_value": 100.0, "seed": seed, "metric": "error",
         "value": v, "fit_seconds": 0.1, "error": None}
        for seed, v in enumerate([0.0, 0.0, 0.06])])  # t interval of these dips below 0
    html = build_report(rows, [HeadlineCurve()], tmp_path).read_text(encoding="utf-8")
    table = html.split('id="study-learning_curve"')[1].split("</table>")[0]
    assert "0.020 [0.000, " in table and "[-" not in table


def test_units_stay_on_their_number_and_titled_plotly_figures_get_no_echo_caption(tmp_path):
    """A narrow verdict cell broke "3.0 %" before its "%"; a Plotly figure's caption repeated
    the title drawn above the plot."""
    advice = {
        "answers": [{"goal": "accuracy", "kind": None, "model": "nb", "runner_up": "lr",
                     "metric": "error", "value": 0.022, "runner_up_value": 0.030,
                     "difference": 0.008, "interval": [-0.003, 0.022], "significant": False,
                     "tie": True, "tied_with": ["lr"], "contrast": None,
                     "setting": "at 426 training rows", "because": "", "extrapolated": False,
                     "reason": "Within the noise; nb errs 2.2 % at 426 rows."}],
        "overall": {"model": "nb", "because": "nb leads by 0.8 pts."}, "notes": [],
    }
    html = build_report(make_rows(), [PlotlyCurve()], tmp_path, advice=advice).read_text(
        encoding="utf-8")
    verdict = html.split('id="verdict"')[1].split("</section>")[0]
    assert "2.2\xa0% vs 3.0\xa0%" in verdict
    assert "+0.8\xa0pts [-0.3\xa0pts, +2.2\xa0pts]" in verdict
    assert "errs 2.2\xa0% at 426 rows" in verdict and "0.8\xa0pts." in verdict
    assert not re.search(r"\d (%|pts)", verdict)
    section = html.split('id="study-learning_curve"')[1]
    assert "<figcaption>" not in section  # both figures carry a title of their own
    plain = build_report(make_rows(), [FakeCurve()], tmp_path / "plain").read_text(
        encoding="utf-8")
    assert "<figcaption>Learning curves" in plain  # an SVG figure keeps its caption


def test_a_lead_on_one_split_reads_untested_in_the_verdict_table(tmp_path):
    advice = {
        "answers": [{"goal": "generation", "kind": "realism", "model": "mix",
                     "runner_up": "qda", "metric": "c2st_auc", "value": 0.16,
                     "runner_up_value": 0.5, "difference": 0.34, "interval": None,
                     "significant": False, "tie": True, "untested": True, "tied_with": ["qda"],
                     "contrast": None, "setting": "", "because": "", "extrapolated": False,
                     "reason": "On one split (untested): mix draws the most realistic rows."}],
        "overall": {"model": "mix", "because": "mix ranks best."}, "notes": [],
    }
    html = build_report(make_rows(), [FakeCurve()], tmp_path, advice=advice).read_text(
        encoding="utf-8")
    verdict = html.split('id="verdict"')[1].split("</table>")[0]
    assert "ahead on one split (untested)" in verdict and "no clear winner" not in verdict
    assert "<td>mix</td>" in verdict  # the pick alone, not "mix ≈ qda"
    assert "Within the noise of the pick" not in verdict  # one split has no noise to be in


class RawTable(FakeCurve):
    """A study without headlines whose summary is its tidy rows (the samples study's)."""

    name = "samples"

    def summarize(self, rows):
        return pd.DataFrame({"dataset": "toy", "model": ["nb", "nb"], "setting": "none",
                             "setting_value": np.nan, "metric": ["mmd", "c2st_auc"],
                             "mean": [0.005, 0.89], "lo": np.nan, "hi": np.nan})


def test_summary_table_leaves_out_columns_a_reader_cannot_use(tmp_path):
    """pima's samples table repeated 'pima', 'none' and '—' on every row and had empty
    interval columns; the page drops them, the CSV keeps every column."""
    rows = make_rows().assign(study="samples")
    html = build_report(rows, [RawTable()], tmp_path).read_text(encoding="utf-8")
    table = html.split('id="study-samples"')[1].split("</table>")[0]
    heads = re.findall(r"<th[^>]*>([^<]+)</th>", table)
    assert heads == ["model", "metric", "mean"]
    assert list(pd.read_csv(tmp_path / "study-samples.csv").columns) == [
        "dataset", "model", "setting", "setting_value", "metric", "mean", "lo", "hi"]


def test_each_model_keeps_one_color_of_its_own_in_every_figure(tmp_path, monkeypatch):
    """mixed-nb and hist-gb (registry positions 4 and 24) drew the same purple in the churn
    CSV's learning curves. A report gives the run's models the palette's colors in registry
    order: distinct, and the same in the learning curves (three models) and the cost bars
    (two of them), though the two studies see different model lists."""
    from gdlab.report import build as report_build
    from gdlab.studies import _common
    from gdlab.studies.cost import Cost
    from gdlab.studies.learning_curve import LearningCurve

    def row(study, model, metric, value, setting="none", setting_value=np.nan, seed=0):
        return _row(study, model, _common.family_of(model), metric, value, setting,
                    setting_value, seed)

    rows = []
    for k, model in enumerate(("hist-gb", "mixed-nb", "logreg")):
        for seed in (0, 1):
            for m in (20, 60, 200):
                rows += [row("learning_curve", model, metric, 0.3 - m / 1000 + 0.01 * (k + seed),
                             "train_size", float(m), seed) for metric in ("error", "log_loss")]
    for model in ("hist-gb", "logreg"):
        rows += [row("cost", model, metric, 1.0 + i) for i, metric in enumerate(
            ("fit_seconds", "predict_ms_per_1000", "peak_memory_mb", "n_parameters"))]
    rows = pd.DataFrame(rows)[list(ROW_COLUMNS)]

    drawn = []
    to_html = report_build.figure_to_html
    monkeypatch.setattr(report_build, "figure_to_html",
                        lambda fig, **kw: drawn.append(fig) or to_html(fig, **kw))
    build_report(rows, [LearningCurve(), Cost()], tmp_path)
    assert len(drawn) >= 2  # the learning curves and the cost bars
    colors = {}  # model -> {figure index: colors its traces use}
    for i, fig in enumerate(drawn):
        for t in fig.data:
            if t.name in ("hist-gb", "mixed-nb", "logreg"):
                used = {t.line.color if t.type == "scatter" and t.mode != "markers" else None,
                        t.fillcolor if t.type == "scatter" else None, t.marker.color} - {None}
                colors.setdefault(t.name, {}).setdefault(i, set()).update(used)
    assert set(colors) == {"hist-gb", "mixed-nb", "logreg"}
    assert len(colors["hist-gb"]) == len(colors["logreg"]) == len(drawn)  # in every figure
    one = {}
    for model, per_figure in colors.items():
        used = set().union(*per_figure.values())
        assert len(used) == 1, (model, per_figure)  # the same color in every figure
        one[model] = used.pop()
    assert len(set(one.values())) == 3  # no two models share one
    assert one == _common.model_colors(["logreg", "mixed-nb", "hist-gb"])
    # outside a report, by registry position: the two share a color (why a run needs its own)
    assert _common.model_color("mixed-nb") == _common.model_color("hist-gb")
