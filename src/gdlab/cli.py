"""The ``gdlab`` command line: list models and datasets, compare models.

Examples
--------
.. code-block:: console

    $ gdlab models
    $ gdlab datasets
    $ gdlab compare --dataset breast_cancer --models lda,logreg --output results.csv
    $ gdlab compare --csv my.csv --target label
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

__all__ = ["app"]

#: Exit status for bad arguments (unknown model or dataset), as click uses.
EXIT_USAGE = 2

app = typer.Typer(
    name="gdlab",
    help="Generative and discriminative models side by side on your own data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _stdout() -> Console:
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    """Print a one-line error to stderr; return the exit to raise (status 2)."""
    _stderr().print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=EXIT_USAGE)


def _version(value: bool):
    if value:
        import gdlab

        typer.echo(f"gdlab {gdlab.__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
):
    """Generative and discriminative models side by side on your own data."""


@app.command()
def models():
    """List the registered models with their family and capabilities."""
    from gdlab.models.registry import available

    out = _stdout()
    table = _table("gdlab models")
    table.add_column("name", no_wrap=True)
    table.add_column("family", no_wrap=True)
    table.add_column("capabilities", min_width=18, overflow="fold")
    wide = out.width >= 100  # below that, modality would squeeze the descriptions
    if wide:
        table.add_column("modality", overflow="fold")
    table.add_column("description", overflow="fold")
    for row in available().itertuples(index=False):
        cells = [row.name, row.family, _tags(row.capabilities, out)]
        cells += [_tags(row.modality, out)] if wide else []
        table.add_row(*cells, row.description)
    out.print(table)


@app.command()
def datasets():
    """List the datasets that ``gdlab compare --dataset`` accepts, with modality, size and source.

    Sizes come from loading each set; a text set whose Debian packages are not
    installed shows "-" (``make data-deps`` installs them).
    """
    from gdlab.data import available

    out = _stdout()
    table = _table("gdlab datasets")
    table.add_column("name", no_wrap=True)
    table.add_column("modality", no_wrap=True)
    for col in ("samples", "features", "classes"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("source", overflow="fold", ratio=1)
    wide = out.width >= 140
    if wide:
        table.add_column("description", overflow="fold", ratio=1)
    for row in available().itertuples(index=False):
        sizes = ["-" if pd_isna(v) else str(v) for v in (row.n_samples, row.n_features,
                                                         row.n_classes)]
        cells = [row.name, row.modality, *sizes, row.source]
        table.add_row(*cells, *([row.description] if wide else []))
    out.print(table)


def pd_isna(value) -> bool:
    """True for None, NaN and pandas.NA."""
    import pandas as pd

    return bool(pd.isna(value))


def _table(title: str) -> Table:
    """A compact table: no outer frame, one space between columns."""
    return Table(title=title, box=box.SIMPLE_HEAD, padding=0, show_edge=False, pad_edge=False)


def _tags(capabilities: str, console: Console) -> str:
    """Comma-joined tags on wide terminals, one tag a line on narrow ones."""
    return capabilities.replace(",", ", " if console.width >= 140 else "\n")


def _fmt(value, digits: int) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else (
        f"{value:.{digits}f}"
    )


@app.command()
def compare(
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", help="Dataset name (gdlab datasets).")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option("--csv", help="Your own CSV file (header row); needs --target."),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="The class column of --csv.")
    ] = None,
    models: Annotated[
        str | None,
        typer.Option("--models", "-m", help="Comma-separated model names (default: a tabular set)"),
    ] = None,
    test_size: Annotated[
        float, typer.Option("--test-size", help="Held-out fraction, in (0, 1).")
    ] = 0.25,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the train/test split.")] = 0,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the table (.csv, or .parquet)."),
    ] = None,
):
    """Fit models on a stratified split of a dataset and compare them on the rest.

    Give either a built-in ``--dataset`` or your own ``--csv FILE --target COL``.
    """
    from gdlab import comparison as _compare
    from gdlab import data
    from gdlab.models import registry

    if (dataset is None) == (csv is None):
        raise _fail("give either --dataset NAME or --csv FILE --target COLUMN (one of them).")
    if csv is not None and target is None:
        raise _fail("--csv needs --target COLUMN: the column holding the class labels.")
    if dataset is not None and target is not None:
        raise _fail("--target goes with --csv; a --dataset already has its target.")
    try:
        ds = data.load(dataset) if csv is None else data.load_csv(csv, target=target)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    if ds.modality not in ("tabular", "image"):
        raise _fail(
            f"gdlab compare needs a tabular or image dataset; {ds.name!r} is {ds.modality}."
        )
    names = None
    if models is not None:
        names = [m.strip() for m in models.split(",") if m.strip()]
        if not names:
            raise _fail("--models is empty: give comma-separated model names.")
        for name in names:
            try:
                registry.spec(name)
            except ValueError as exc:
                raise _fail(str(exc)) from None
    if not 0.0 < test_size < 1.0:
        raise _fail(f"--test-size must be in (0, 1), got {test_size}.")
    if output is not None and output.suffix.lower() not in {".csv", ".parquet"}:
        raise _fail(f"--output must end in .csv or .parquet, got {output.name!r}.")
    n_models = len(names) if names is not None else len(_compare.DEFAULT_MODELS)

    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_stderr(),
        transient=True,
    ) as progress:
        task = progress.add_task("fitting", total=n_models)
        try:
            results = _compare.compare(
                names,
                ds.X,
                ds.y,
                test_size=test_size,
                random_state=seed,
                on_start=lambda name: progress.update(task, description=f"fitting {name}"),
                on_done=lambda row: progress.advance(task),
            )
        except ValueError as exc:  # e.g. a class too small to stratify
            raise _fail(str(exc)) from None

    results = results.sort_values("accuracy", ascending=False, na_position="last", kind="stable")
    out = _stdout()
    table = _table(f"{ds.name}: {len(ds.y)} rows, test size {test_size}, seed {seed}")
    table.add_column("model", no_wrap=True)
    table.add_column("family", no_wrap=True)
    table.add_column("capabilities", overflow="fold")
    table.add_column("accuracy", justify="right")
    table.add_column("log-loss", justify="right")
    table.add_column("fit\nseconds", justify="right")
    skipped = []
    for row in results.itertuples(index=False):
        caps = _tags(row.capabilities, out)
        if row.error is not None:
            skipped.append((row.model, row.error))
            table.add_row(row.model, row.family, caps, "[yellow]skipped[/]", "-", "-")
        else:
            table.add_row(
                row.model, row.family, caps, _fmt(row.accuracy, 3),
                _fmt(row.log_loss, 3), _fmt(row.fit_seconds, 3),
            )
    out.print(table)
    for model, reason in skipped:
        out.print(f"[yellow]skipped[/] {model}: {reason}", highlight=False, markup=True)
    if output is not None:
        if output.suffix.lower() == ".parquet":
            results.to_parquet(output, index=False)
        else:
            results.to_csv(output, index=False)
        _stdout().print(f"wrote {output}", highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
