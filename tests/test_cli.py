"""The gdlab command line, driven through typer's CliRunner."""

from pathlib import Path

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from typer.testing import CliRunner

import gdlab
from gdlab.cli import app
from gdlab.comparison import summarize
from gdlab.data import load
from gdlab.models import registry
from gdlab.models.registry import ModelSpec
from gdlab.studies.runner import read_results

WIDE = {"COLUMNS": "200"}


@pytest.fixture
def runner():
    return CliRunner()


def test_version(runner):
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"gdlab {gdlab.__version__}"


def test_models_lists_every_registered_name(runner):
    result = runner.invoke(app, ["models"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in registry.available().name:
        assert name in result.output
    assert "missing_features" in result.output  # capabilities shown


def test_datasets_lists_the_bundled_sets(runner):
    result = runner.invoke(app, ["datasets"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in ("iris", "wine", "breast_cancer", "digits"):
        assert name in result.output


#: A tiny configuration: two models, one study, two seeds, in this process.
TINY = ["--models", "gaussian-nb,logreg-unreg", "--studies", "learning_curve", "--quick",
        "--seeds", "2", "--n-jobs", "1", "--no-progress"]


def test_compare_writes_report_results_and_prints_the_summary(runner, tmp_path):
    out = tmp_path / "report"
    result = runner.invoke(app, ["compare", "--dataset", "iris", *TINY, "--out", str(out)],
                           env=WIDE)
    assert result.exit_code == 0, result.output
    html = (out / "index.html").read_text()
    assert "learning" in html.lower() and "gaussian-nb" in html
    rows = read_results(out / "results")
    assert set(rows.model) == {"gaussian-nb", "logreg-unreg"}
    assert set(rows.study) == {"learning_curve"} and set(rows.seed) == {0, 1}
    # the printed numbers are the summary of the stored rows
    summary = summarize(rows, ["gaussian-nb", "logreg-unreg"]).set_index("model")
    for model in ("gaussian-nb", "logreg-unreg"):
        assert f"{summary.loc[model, 'error']:.3f}" in result.output
        assert f"{summary.loc[model, 'log_loss']:.3f}" in result.output
    assert "error" in result.output and "log-loss" in result.output
    assert f"report: {out / 'index.html'}" in result.output


def test_summary_is_sorted_by_test_error(runner, tmp_path):
    result = runner.invoke(app, ["compare", "-d", "iris", *TINY, "-o", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "results")
    expected = summarize(rows).sort_values("error").model.tolist()
    table = result.output.split("report:")[0]
    assert [table.index(m) for m in expected] == sorted(table.index(m) for m in expected)


def test_study_runs_one_study(runner, tmp_path):
    result = runner.invoke(
        app, ["study", "calibration", "-d", "iris", "-m", "gaussian-nb,logreg-unreg",
              "--seeds", "2", "-j", "1", "--no-progress", "-o", str(tmp_path)],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "results")
    assert set(rows.study) == {"calibration"}
    assert "ECE" in result.output
    assert "error: on the test part (calibration study)" in result.output
    summary = summarize(rows).set_index("model")
    for model in ("gaussian-nb", "logreg-unreg"):
        assert f"{summary.loc[model, 'ece']:.3f}" in result.output
        assert f"{summary.loc[model, 'error']:.3f}" in result.output
    assert (tmp_path / "index.html").exists()


def test_fresh_run_replaces_old_results_and_resume_keeps_them(runner, tmp_path):
    args = ["compare", "-d", "iris", *TINY, "-o", str(tmp_path)]
    assert runner.invoke(app, args, env=WIDE).exit_code == 0
    first = read_results(tmp_path / "results")
    again = runner.invoke(app, [*args, "--resume"], env=WIDE)
    assert again.exit_code == 0, again.output
    pd.testing.assert_frame_equal(read_results(tmp_path / "results"), first)


def test_resume_reruns_the_cells_of_a_part_file_cut_in_half(runner, tmp_path):
    """A damaged results file: --resume warns, names it, and runs its cells again."""
    args = ["compare", "-d", "iris", *TINY, "-o", str(tmp_path)]
    assert runner.invoke(app, args, env=WIDE).exit_code == 0
    first = read_results(tmp_path / "results")
    (part,) = sorted((tmp_path / "results").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[: part.stat().st_size // 2])
    again = runner.invoke(app, [*args, "--resume"], env=WIDE)
    assert again.exit_code == 0, again.output
    assert "unreadable" in again.output and part.name in again.output
    assert part.with_name(part.name + ".corrupt").exists()
    pd.testing.assert_frame_equal(read_results(tmp_path / "results").drop(columns="fit_seconds"),
                                  first.drop(columns="fit_seconds"))


class _Broken(ClassifierMixin, BaseEstimator):
    """Test-only model whose fit always fails."""

    def fit(self, X, y):
        raise RuntimeError("this model is broken on purpose")


def test_skipped_model_is_shown_with_its_reason(runner, tmp_path):
    with registry.registered(ModelSpec("broken", "hybrid", _Broken)):
        result = runner.invoke(
            app, ["compare", "-d", "iris", "-m", "broken,lda", "-s", "learning_curve",
                  "--seeds", "1", "-j", "1", "--no-progress", "-o", str(tmp_path)],
            env=WIDE,
        )
    assert result.exit_code == 0, result.output
    assert "skipped broken" in result.output
    assert "this model is broken on purpose" in result.output


def test_datasets_lists_modality_size_and_source(runner):
    result = runner.invoke(app, ["datasets"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in ("penguins", "digits-0v1", "trump_tweets", "fortunes-lang", "pima"):
        assert name in result.output
    assert "image" in result.output and "text" in result.output
    assert "scikit-learn" in result.output and "MASS" in result.output


@pytest.fixture
def csv_file(tmp_path):
    ds = load("iris")
    frame = ds.X.copy()
    frame["species"] = [ds.class_names[k] for k in ds.y]
    path = tmp_path / "flowers.csv"
    frame.to_csv(path, index=False)
    return path


def test_compare_on_a_csv(runner, csv_file, tmp_path):
    result = runner.invoke(
        app, ["compare", "--csv", str(csv_file), "--target", "species", *TINY,
              "-o", str(tmp_path / "r")],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "flowers, 150 rows" in result.output
    rows = read_results(tmp_path / "r" / "results")
    assert set(rows.dataset) == {"flowers"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "--csv", "{csv}"], "--csv needs --target"),
        (["compare", "--csv", "{csv}", "--target", "colour"], "no target column 'colour'"),
        (["compare", "--csv", "{csv}", "--target", "species", "-d", "iris"], "either --dataset"),
        (["compare", "-d", "iris", "--target", "x"], "--target goes with --csv"),
        (["compare", "-d", "trump_tweets", "-m", "lda"], "needs models that take text"),
        (["compare", "--csv", "absent.csv", "--target", "y"], "absent.csv"),
        (["compare", "-d", "iriss"], "unknown dataset 'iriss'"),
        (["compare", "-d", "iris", "-m", "lda,logrg"], "unknown model 'logrg'"),
        (["compare", "-d", "iris", "-m", " , "], "--models is empty"),
        (["compare", "-d", "iris", "-s", "calibraton"], "unknown study 'calibraton'"),
        (["study", "leaning_curve", "-d", "iris"], "unknown study 'leaning_curve'"),
        (["compare", "-d", "iris", "-s", "samples", "-m", "logreg"],
         "study 'samples' applies to no chosen model"),
        (["study", "ood", "-d", "iris", "-m", "lda", "-j", "0"], "--n-jobs"),
    ],
)
def test_bad_input_exits_2_with_one_line(runner, csv_file, tmp_path, args, message):
    args = [a.replace("{csv}", str(csv_file)) for a in args] + ["-o", str(tmp_path)]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "index.html").exists()


# -- gdlab generate --------------------------------------------------------------------------


def test_generate_trains_once_then_reuses_the_cached_model(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    first = runner.invoke(app, ["generate", "-m", "qda", "-d", "iris", "-n", "4",
                                "--label", "virginica", "--seed", "1"])
    assert first.exit_code == 0, first.output
    assert "trained qda on iris" in first.stderr
    assert (tmp_path / "models" / "qda-iris.gdlab").is_file()
    assert first.stdout.count("virginica") == 4
    again = runner.invoke(app, ["generate", "-m", "qda", "-d", "iris", "-n", "4",
                                "--label", "virginica", "--seed", "1"])
    assert again.exit_code == 0 and "cached" in again.stderr
    assert again.stdout == first.stdout  # same seed, same model: the same samples


@pytest.mark.parametrize("args, message", [
    (["-m", "logreg", "-d", "iris"], "logreg cannot sample"),
    (["-m", "qda", "-d", "iris", "--label", "rose"], "no class 'rose'"),
    (["-m", "qda", "-d", "iris", "--prompt", "hi"], "takes no --prompt"),
    (["-m", "qda", "-d", "trump_tweets"], "qda takes tabular, but 'trump_tweets' is text"),
    (["-m", "qdaa", "-d", "iris"], "unknown model 'qdaa'"),
])
def test_generate_refuses_bad_requests_before_training(runner, tmp_path, monkeypatch, args,
                                                       message):
    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    result = runner.invoke(app, ["generate", *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "models").exists()


def test_generate_on_a_mixed_table_shows_the_data_columns_and_categories(runner, tmp_path,
                                                                         monkeypatch):
    """mixed-nb on penguins models island and sex as categories (OneHotColumns) and the
    samples print under the table's own column names, each category a valid value."""
    import pandas as pd

    from gdlab.data import load

    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    result = runner.invoke(app, ["generate", "-m", "mixed-nb", "-d", "penguins", "-n", "6",
                                 "--seed", "3"], env=WIDE)
    assert result.exit_code == 0, result.output
    from gdlab.persistence import load as load_model

    assert type(load_model(tmp_path / "models" / "mixed-nb-penguins.gdlab")).__name__ == (
        "OneHotColumns")
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "island" in line).split()
    assert header[:2] == ["class", "island"] and "sex" in header and not any(
        h.startswith("x") or "=" in h for h in header)
    ds = load("penguins")
    islands = set(pd.Series(ds.X["island"]).dropna().astype(str))
    rows = [line.split() for line in lines if line.split()[:1] and line.split()[0] in
            {str(c) for c in ds.class_names}]
    assert len(rows) == 6 and all(r[1] in islands for r in rows)


def test_generate_from_a_csv_keys_its_cache_by_contents_and_reads_bools(runner, tmp_path,
                                                                         monkeypatch):
    import numpy as np
    import pandas as pd

    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(size=60), "member": rng.random(60) < 0.5,
                          "colour": rng.choice(["red", "blue"], 60),
                          "label": np.repeat(["a", "b"], 30)})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    args = ["generate", "-m", "mixed-nb", "--csv", str(path), "--target", "label", "-n", "5"]
    first = runner.invoke(app, args, env=WIDE)
    assert first.exit_code == 0, first.output
    rows = [line.split() for line in first.stdout.splitlines() if line.split()[:1] in
            (["a"], ["b"])]
    assert len(rows) == 5
    header = next(line for line in first.stdout.splitlines() if "colour" in line).split()
    at = {name: header.index(name) for name in ("member", "colour")}
    assert all(r[at["member"]] in ("True", "False") and r[at["colour"]] in ("red", "blue")
               for r in rows)
    assert runner.invoke(app, args, env=WIDE).stderr.count("cached") == 1  # same file: reused
    frame.loc[0, "size"] += 1.0  # other contents, same file name: trained again
    frame.to_csv(path, index=False)
    again = runner.invoke(app, args, env=WIDE)
    assert again.exit_code == 0 and "trained mixed-nb" in again.stderr
    assert len(list((tmp_path / "cache" / "models").glob("mixed-nb-t-*.gdlab"))) == 2


def test_generate_sequences_decodes_symbols_and_keeps_class_names(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("GDLAB_CACHE", str(tmp_path))
    result = runner.invoke(app, ["generate", "-m", "hmm-classifier", "-d", "hmm-sequences",
                                 "-n", "2", "--label", "hmm1", "--max-length", "7"])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("[hmm1]: 7 frames") == 2  # the class name is not eaten as markup


def test_compare_ends_in_a_verdict_and_advise_reads_it_back(runner, tmp_path):
    result = runner.invoke(
        app, ["compare", "-d", "iris", "-m", "gaussian-nb,logreg", "-s", "learning_curve,cost",
              "--seeds", "2", "-j", "1", "--no-progress", "-o", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    tail = result.output.split("verdict", 1)[1]
    assert "Recommended:" in tail and "accuracy:" in tail
    assert "cost (fit):" in tail and "cost (predict):" in tail and "cost (memory):" in tail
    assert " MB, 95 % interval [" in tail  # memory in its unit, from the one formatter
    assert (tmp_path / "advice.json").is_file() and (tmp_path / "manifest.json").is_file()
    again = runner.invoke(app, ["advise", "--from", str(tmp_path), "-g", "accuracy"], env=WIDE)
    assert again.exit_code == 0, again.output
    assert "accuracy:" in again.output and "cost (" not in again.output


@pytest.mark.parametrize("args,message", [
    (["-g", "speed"], "unknown goal(s) ['speed']"),
    (["--target-rows", "0"], "target_rows must be a number of training rows >= 1"),
    (["--missing-rate", "1"], "missing_rate must be a fraction in [0, 1)"),
    (["--fit-budget-s", "-2"], "budget must be a positive number of fit seconds"),
    (["--from", "/nonexistent/folder"], "--from /nonexistent/folder: no such folder."),
    (["--from", ".", "-d", "iris"], "--from reads a finished comparison"),
    (["-d", "iris", "--na-values", "?"], "--na-values goes with --csv."),
])
def test_advise_refuses_bad_options_in_one_line(runner, args, message):
    result = runner.invoke(app, ["advise", *args], env=WIDE)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_unreachable_scheduler_is_one_line_and_exit_2(runner, tmp_path):
    result = runner.invoke(
        app, ["compare", "-d", "iris", "-m", "lda", "-s", "cost", "--seeds", "1",
              "--scheduler", "tcp://127.0.0.1:1", "--no-progress", "-o", str(tmp_path)],
        env=WIDE)
    assert result.exit_code == 2, result.output
    assert "cannot reach the Dask scheduler at 'tcp://127.0.0.1:1'" in result.output
    assert "Traceback" not in result.output


def test_advise_on_a_mixed_type_csv_ends_in_a_verdict(runner, tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({
        "age": rng.normal(40 + 5 * y, 8).round(1),
        "colour": np.where(rng.random(n) < 0.3 + 0.4 * y, "red", "blue"),
        "member": rng.random(n) < 0.5,
        "visits": rng.poisson(2 + y),
        "label": np.where(y == 1, "yes", "no"),
    })
    frame["age"] = frame["age"].astype(object)
    frame.loc[::17, "age"] = "?"  # the missing-value marker of this file
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    result = runner.invoke(
        app, ["advise", "--csv", str(path), "--target", "label", "--na-values", "?",
              "-m", "gaussian-nb,logreg", "-s", "learning_curve,cost", "--seeds", "2",
              "-j", "1", "--no-progress", "-o", str(tmp_path / "out")], env=WIDE)
    assert result.exit_code == 0, result.output
    verdict = result.output.split("verdict", 1)[1]
    assert "Recommended:" in verdict and "accuracy:" in verdict
    saved = (tmp_path / "out" / "advice.json").read_text()
    assert '"dataset": "mixed"' in saved
    html = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert html.index('id="verdict"') < html.index('id="at-a-glance"')


def test_study_param_sets_the_study_and_the_summary_shows_its_headlines(runner, tmp_path):
    result = runner.invoke(
        app, ["study", "blend", "-d", "iris", "-m", "blend-gaussian-nb", "--seeds", "2",
              "-p", "lambdas=0,1", "--param", "sizes=12,30", "-j", "1", "--no-progress",
              "-o", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    rows = read_results(tmp_path / "results")
    assert set(rows.model) == {"blend-gaussian-nb[lambda=0]", "blend-gaussian-nb[lambda=1]"}
    assert set(rows.setting_value) == {12.0, 30.0}
    summary = summarize(rows, ["blend-gaussian-nb"]).set_index("model")
    assert "best-λ err" in result.output and "30 rows" in result.output
    assert f"{summary.loc['blend-gaussian-nb', 'blend_error']:.3f}" in result.output
    assert "(blend study): after training on 30 rows" in result.output  # the legend
    manifest = (tmp_path / "manifest.json").read_text()
    assert '"lambdas": [' in manifest


def test_study_without_models_takes_only_the_models_it_applies_to(runner, tmp_path):
    result = runner.invoke(
        app, ["study", "blend", "-d", "iris", "--seeds", "1", "-p", "lambdas=1",
              "-p", "sizes=12,", "-j", "1", "--no-progress", "-o", str(tmp_path)], env=WIDE)
    assert result.exit_code == 0, result.output
    table = result.output.split("best-λ")[1]
    assert "blend-shared-gaussian-nb" in table and "logreg" not in table  # no rows of dashes


@pytest.mark.parametrize("param, match", [
    ("lambda=0.5", "study 'blend' has no parameter 'lambda'. Did you mean 'lambdas'?"),
    ("lambdas", "must read KEY=VALUE"),
    ("lambdas=0,2", "study 'blend' (given lambdas=(0, 2)): each of lambdas must be a number "
                    "in [0, 1]"),
    ("sizes=12", "study 'blend' (given sizes=12):"),
])
def test_study_param_errors_are_one_line_before_any_fit(runner, tmp_path, param, match):
    result = runner.invoke(
        app, ["study", "blend", "-d", "iris", "-m", "blend-gaussian-nb", "-p", param,
              "--no-progress", "-o", str(tmp_path)], env=WIDE)
    assert result.exit_code == 2
    assert match in " ".join(result.output.split())
    assert not (tmp_path / "results").exists()


def test_verdict_line_of_a_single_split_still_shows_the_lead(capsys):
    """A goal measured on one split (the samples study) printed 'no clear winner between A
    and B' with no number at all; the report showed its lead."""
    from gdlab.answers import Advice, Answer
    from gdlab.cli import _print_verdict

    one = Answer("generation", "gmm", "qda", "c2st_auc", "lower", 0.285, 0.36, 0.075, None,
                 False, setting="(two-sample test)", kind="realism")
    many = Answer("accuracy", "lr", "nb", "error", "lower", 0.022, 0.032, 0.010,
                  (-0.003, 0.022), False, setting="at 426 training rows")
    _print_verdict(Advice("toy", [many, one], {"model": "lr", "because": "lr ranks best."}))
    out = capsys.readouterr().out
    assert "(lead +0.075; one split, no interval)" in out
    # ahead on one split is not "no clear winner": it is untested
    assert "~ generation (realism): gmm, ahead of qda on the one split measured (untested)" \
        in out
    assert "≈ accuracy: no clear winner between lr and nb" in out
    assert "(lead +1.0 pts, 95 % interval [-0.3 pts, +2.2 pts])" in out


@pytest.mark.parametrize("command", ["advise", "compare", "study", "generate", "datasets"])
def test_help_reads_cleanly_in_80_columns(runner, command):
    """At 80 columns '--seeds' took a 20-column type ('<int range> [x>=1]') and cut
    '--goal's names to 'accuracy_with_miss…'; docstrings showed reST's ``double quotes``."""
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert "``" not in result.output and ":func:" not in result.output
    assert "…" not in result.output
    if command == "advise":
        assert "accuracy_with_missing," in result.output


def test_run_commands_take_the_shared_options_in_help_order():
    """compare, advise and study declare their shared options once (cli._RUN_OPTIONS);
    each lists them, its own among them, in the order --help showed before."""
    import typer.main

    commands = typer.main.get_command(app).commands
    options = {name: [(p.name, p.default) for p in commands[name].params if p.name != "name"]
               for name in ("compare", "advise", "study")}
    inputs = [("dataset", None), ("csv", None), ("target", None), ("models", None)]
    running = [("out", Path("gdlab-report")), ("n_jobs", -1), ("scheduler", None), ("seeds", None),
               ("quick", True), ("resume", False), ("progress", True)]
    studies, na_values = [("studies", None)], [("na_values", None)]
    own = [("results", None), ("goal", None), ("target_rows", None), ("missing_rate", None),
           ("fit_budget_s", None)]
    assert options["compare"] == inputs + studies + running + na_values
    assert options["advise"] == inputs + studies + own + running + na_values
    assert options["study"] == inputs + running + [("param", None)]
    assert [p.name for p in commands["study"].params if p.param_type_name == "argument"] \
        == ["name"]


def test_advise_questions_reach_the_report_and_advice_json(runner, tmp_path):
    # `gdlab advise -g accuracy --target-rows N` used to write the comparison's default
    # verdict (every goal, at the sizes measured) into the report and answer the question
    # only on the terminal and in advice.json
    import json

    out = tmp_path / "out"
    result = runner.invoke(
        app, ["advise", "-d", "iris", "-m", "gaussian-nb,logreg", "-s", "learning_curve,cost",
              "-g", "accuracy", "--target-rows", "300", "--seeds", "3", "-j", "1",
              "--no-progress", "-o", str(out)], env=WIDE)
    assert result.exit_code == 0, result.output
    saved = json.loads((out / "advice.json").read_text())
    assert [a["goal"] for a in saved["answers"]] == ["accuracy"]
    assert saved["answers"][0]["extrapolated"]
    assert "at 300 training rows (predicted)" in result.output.split("verdict", 1)[1]
    page = (out / "index.html").read_text()
    assert "at 300 training rows (predicted)" in page and "cost (fit)" not in page
    # a question only the results can refuse (a budget no model meets): one line, exit 2,
    # the results and the report written all the same
    again = runner.invoke(
        app, ["advise", "-d", "iris", "-m", "gaussian-nb", "-s", "cost", "--seeds", "1",
              "--fit-budget-s", "1e-9", "-j", "1", "--no-progress", "-o", str(tmp_path / "b")],
        env=WIDE)
    assert again.exit_code == 2, again.output
    assert "no model fits within 1e-09 s" in again.output and "Traceback" not in again.output
    assert (tmp_path / "b" / "index.html").is_file()
