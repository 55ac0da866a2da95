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
