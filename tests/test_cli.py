"""The gdlab command line, driven through typer's CliRunner."""

import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from typer.testing import CliRunner

import gdlab
from gdlab.cli import app
from gdlab.comparison import COLUMNS, compare
from gdlab.data import load
from gdlab.models import registry
from gdlab.models.registry import ModelSpec, register

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


def test_compare_prints_a_table_sorted_by_accuracy(runner):
    result = runner.invoke(app, ["compare", "--dataset", "iris", "--models", "tree,lda"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output and "log-loss" in result.output
    ds = load("iris")
    expected = compare(["tree", "lda"], ds.X, ds.y).sort_values("accuracy", ascending=False)
    for row in expected.itertuples():
        assert f"{row.accuracy:.3f}" in result.output
    order = [result.output.index(m) for m in expected.model]
    assert order == sorted(order)


def test_compare_writes_csv(runner, tmp_path):
    out = tmp_path / "results.csv"
    result = runner.invoke(
        app, ["compare", "-d", "iris", "-m", "tree, lda", "--seed", "3", "--output", str(out)],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out)
    assert list(table.columns) == list(COLUMNS)
    assert sorted(table.model) == ["lda", "tree"]
    assert table.accuracy.between(0, 1).all()


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "-d", "iris", "-m", "tree,logrg"], "unknown model 'logrg'"),
        (["compare", "-d", "iriss"], "unknown dataset 'iriss'"),
        (["compare", "-d", "iris", "-m", "tree", "--test-size", "2"], "--test-size"),
    ],
)
def test_bad_names_exit_2_with_one_line_and_no_traceback(runner, args, message):
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


class _Broken(ClassifierMixin, BaseEstimator):
    """Test-only model whose fit always fails."""

    def fit(self, X, y):
        raise RuntimeError("this model is broken on purpose")


def test_skipped_model_is_shown_with_its_reason(runner, monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register(ModelSpec("broken", "hybrid", _Broken))
    result = runner.invoke(app, ["compare", "-d", "iris", "-m", "broken,tree"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "skipped" in result.output
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
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app, ["compare", "--csv", str(csv_file), "--target", "species", "-m", "lda,tree",
              "-o", str(out)],
        env=WIDE,
    )
    assert result.exit_code == 0, result.output
    assert "flowers: 150 rows" in result.output
    table = pd.read_csv(out)
    ds = load("iris")
    expected = compare(["lda", "tree"], ds.X, ds.y)
    assert table.set_index("model").accuracy.to_dict() == pytest.approx(
        expected.set_index("model").accuracy.to_dict()
    )


@pytest.mark.parametrize(
    "args, message",
    [
        (["compare", "--csv", "{csv}"], "--csv needs --target"),
        (["compare", "--csv", "{csv}", "--target", "colour"], "no target column 'colour'"),
        (["compare", "--csv", "{csv}", "--target", "species", "-d", "iris"], "either --dataset"),
        (["compare"], "either --dataset"),
        (["compare", "-d", "iris", "--target", "x"], "--target goes with --csv"),
        (["compare", "-d", "trump_tweets"], "needs a tabular or image dataset"),
        (["compare", "--csv", "absent.csv", "--target", "y"], "absent.csv"),
    ],
)
def test_compare_csv_bad_arguments_exit_2(runner, csv_file, args, message):
    args = [a.replace("{csv}", str(csv_file)) for a in args]
    result = runner.invoke(app, args, env=WIDE)
    assert result.exit_code == 2, result.output
    assert message in result.output
