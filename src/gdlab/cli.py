"""The ``gdlab`` command line: list models and datasets, compare models, run one study.

Examples
--------
.. code-block:: console

    $ gdlab models
    $ gdlab datasets
    $ gdlab compare                      # the default: breast_cancer, 8 models, every study
    $ gdlab compare --dataset wine --models lda,gaussian-nb,logreg --studies learning_curve
    $ gdlab compare --csv my.csv --target label --out my-report
    $ gdlab study calibration --dataset iris
    $ gdlab generate --model char-gpt --dataset fortunes-en -n 5
"""

from __future__ import annotations

import inspect
import math
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
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
    """The console of the results: a terminal's width, or 160 columns in a log or a pipe
    (no terminal to fit; a table squeezed to 80 columns would cut its numbers)."""
    import os
    import sys

    if not sys.stdout.isatty() and "COLUMNS" not in os.environ:
        return Console(width=160)
    return Console()


def _stderr() -> Console:
    return Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    """Print a one-line error to stderr; return the exit to raise (status 2)."""
    _stderr().print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code=EXIT_USAGE)


def _version(value: bool):
    if value:
        from gdlab._version import __version__

        typer.echo(f"gdlab {__version__}")
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
    """List the datasets that 'gdlab compare --dataset' accepts, with modality, size and source.

    Sizes come from loading each set; a text set whose Debian packages are not
    installed shows "-" ('make data-deps' installs them).
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
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0.000"


_DatasetOpt = Annotated[
    str | None,
    typer.Option("--dataset", "-d",
                 help="Built-in dataset (gdlab datasets) (default: breast_cancer)."),
]
_CsvOpt = Annotated[
    Path | None, typer.Option("--csv", help="Your own CSV file (header row); needs --target.")
]
_TargetOpt = Annotated[
    str | None, typer.Option("--target", "-t", help="The class column of --csv.")
]
_NaOpt = Annotated[
    str | None,
    typer.Option("--na-values", help="Comma-separated strings that mean 'missing' in --csv "
                                     "(besides pandas' defaults, e.g. '?,-999')."),
]
_ModelsOpt = Annotated[
    str | None,
    typer.Option("--models", "-m",
                 help="Comma-separated model names (gdlab models) (default: 4 generative, "
                      "4 discriminative)."),
]
_OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Directory of index.html and the results store.")
]
_JobsOpt = Annotated[
    int, typer.Option("--n-jobs", "-j",
                      help="Parallel workers (-1: every core this process may use)."),
]
_SchedulerOpt = Annotated[
    str | None,
    typer.Option("--scheduler", help="Dask scheduler address (tcp://host:8786): run the cells "
                                     "on that cluster."),
]
_SeedsOpt = Annotated[
    int | None,
    typer.Option("--seeds", metavar="N", help="Repeats (random splits) of every study "
                                               "(default: each study's own).", min=1),
]
_QuickOpt = Annotated[
    bool,
    typer.Option("--quick/--thorough", help="Quick study settings (minutes) or thorough ones "
                                            "(more sizes, rates and mechanisms)."),
]
_ResumeOpt = Annotated[
    bool,
    typer.Option("--resume/--fresh",
                 help="Keep the cells already in OUT/results (an interrupted run with the same "
                      "options) or start over."),
]
_StudiesOpt = Annotated[
    str | None,
    typer.Option("--studies", "-s",
                 help="Comma-separated studies (learning_curve, semi_supervised, "
                      "missing_data, calibration, ood, cost, samples; default: every one "
                      "that applies but semi_supervised)."),
]
_ProgressOpt = Annotated[
    bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")
]

#: The options of the commands that run a comparison (compare, advise, study), each with
#: its default; :func:`_run_options` gives a command those it names.
_RUN_OPTIONS = {
    "dataset": (_DatasetOpt, None),
    "csv": (_CsvOpt, None),
    "target": (_TargetOpt, None),
    "models": (_ModelsOpt, None),
    "studies": (_StudiesOpt, None),
    "out": (_OutOpt, Path("gdlab-report")),
    "n_jobs": (_JobsOpt, -1),
    "scheduler": (_SchedulerOpt, None),
    "seeds": (_SeedsOpt, None),
    "quick": (_QuickOpt, True),
    "resume": (_ResumeOpt, False),
    "progress": (_ProgressOpt, True),
    "na_values": (_NaOpt, None),
}
#: The data and the models, then how the comparison runs: in the order --help lists them.
_INPUTS = ("dataset", "csv", "target", "models")
_RUNNING = ("out", "n_jobs", "scheduler", "seeds", "quick", "resume", "progress")


def _run_options(*names):
    """Give a command the options ``names`` of :data:`_RUN_OPTIONS`, in that order.

    ``...`` among ``names`` stands for the command's own parameters (without one
    they come first); the command takes the shared options as ``**options``. The
    signature this sets is what typer reads: the command's options, their
    defaults and their order in --help.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY

    def decorate(command):
        own = [p.replace(kind=keyword)
               for p in inspect.signature(command, eval_str=True).parameters.values()
               if p.kind is not inspect.Parameter.VAR_KEYWORD]
        params = []
        for name in names if ... in names else (..., *names):
            if name is ...:
                params += own
            else:
                annotation, default = _RUN_OPTIONS[name]
                params.append(inspect.Parameter(name, keyword, annotation=annotation,
                                                default=default))
        command.__signature__ = inspect.Signature(params)
        return command

    return decorate


def _names(option: str, value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names:
        raise _fail(f"{option} is empty: give comma-separated names.")
    return names


def _study_names() -> list[str]:
    from gdlab.studies.registry import STUDIES  # names only: no study module is imported

    return list(STUDIES)


def _load_data(dataset, csv, target, na_values=None):
    from gdlab import comparison, data

    if dataset is not None and csv is not None:
        raise _fail("give either --dataset NAME or --csv FILE --target COLUMN, not both.")
    if csv is not None and target is None:
        raise _fail("--csv needs --target COLUMN: the column holding the class labels.")
    if csv is None and target is not None:
        raise _fail("--target goes with --csv; a --dataset already has its target.")
    if csv is None and na_values is not None:
        raise _fail("--na-values goes with --csv.")
    na = None if na_values is None else [v for v in na_values.split(",") if v != ""]
    if na is not None and not na:
        raise _fail("--na-values is empty: give comma-separated strings, e.g. '?,-999'.")
    try:
        if csv is not None:
            return data.load_csv(csv, target=target, **({} if na is None else
                                                         {"na_values": na}))
        return data.load(dataset or comparison.DEFAULT_DATASET)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc).strip().splitlines()[0]) from None


def _run(*, dataset, csv, target, models, studies, out, n_jobs, scheduler, seeds, quick,
         resume, progress, na_values=None, verdict=True, params=None, advice_options=None):
    """Shared body of ``compare``, ``study`` and ``advise``: check, run, report, print."""
    import os
    import warnings

    from gdlab import comparison

    ds = _load_data(dataset, csv, target, na_values)
    names = _names("--models", models) or list(comparison.default_models_for(ds, studies))
    try:
        comparison.check_plan(ds, names, studies, quick=quick, params=params)
    except (ValueError, TypeError) as exc:
        raise _fail(str(exc)) from None
    if n_jobs == 0:
        raise _fail("--n-jobs must be a positive number of workers or -1 (every core).")
    # Fits at tiny training sizes warn (few rows per class, no convergence); the
    # results record what failed, so keep the warnings off the progress bar.
    saved = os.environ.get("PYTHONWARNINGS")
    os.environ["PYTHONWARNINGS"] = saved or "ignore"  # loky workers inherit it
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = comparison.compare(
                ds, names, studies, quick=quick, seeds=seeds, out_dir=out, n_jobs=n_jobs,
                scheduler=scheduler, progress=progress, resume=resume, params=params,
                advice_options=advice_options,
            )
    except ValueError as exc:  # e.g. a class too small to split, a bad scheduler address
        raise _fail(str(exc).strip().splitlines()[0]) from None
    except KeyboardInterrupt:
        _stderr().print(f"interrupted: the finished cells are kept in {out}/results; run the "
                        "same command with --resume to finish the rest.", highlight=False)
        raise typer.Exit(code=130) from None
    finally:
        if saved is None:
            del os.environ["PYTHONWARNINGS"]
    _print_summary(result, ds)
    if verdict and result.advice is not None:
        _print_verdict(result.advice)
    return result


def _print_verdict(advice) -> None:
    """The verdict at the end of the output: overall first, then one line per goal."""
    from rich.markup import escape

    from gdlab.answers import contrast_label, format_value

    out = _stdout()
    out.rule("verdict", style="dim")
    overall = advice.overall
    if overall.get("model"):
        out.print(f"[bold]Recommended: {escape(overall['model'])}.[/] "
                  f"{escape(overall['because'])}", highlight=False)
    else:
        out.print(escape(overall.get("because", "")), highlight=False)
    unanswered = [a for a in advice.answers if not a.answered]
    # a single-study run leaves most goals without rows: one line for them, not ten
    folded = len(unanswered) > 2
    for a in advice.answers:
        if folded and not a.answered:
            continue
        mark = ("[dim]?[/]" if not a.answered else "[yellow]~[/]" if a.untested
                else "[yellow]≈[/]" if a.tie else "[green]✓[/]")
        line = escape(a.headline())
        if a.answered and a.runner_up is not None and a.difference is not None:
            lead = format_value(a.difference, a.metric, signed=True)
            if a.interval is None:  # one split: the lead, said to have no interval
                line += f" [dim](lead {lead}; one split, no interval)[/]"
            else:
                lo, hi = (format_value(v, a.metric, signed=True) for v in a.interval)
                line += f" [dim](lead {lead}, 95 % interval [{lo}, {hi}])[/]"
        out.print(f"{mark} {line}", highlight=False)
        c = a.contrast
        if a.answered and c and c.get("interval"):
            verdict = contrast_label(c)
            out.print(f"    [dim]p(x, y) {escape(c['generative'])} vs p(y | x) "
                      f"{escape(c['discriminative'])}: {verdict}[/]", highlight=False)
    if folded:
        out.print(f"[dim]? not answered here: {escape(', '.join(a.label for a in unanswered))}"
                  " (the studies they need did not run, or gave no rows for them; "
                  "`gdlab advise` or the report says what each needs)[/]", highlight=False)
    for note in advice.notes:
        out.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


#: Family names on narrow terminals.
_FAMILY_SHORT = {"generative": "gen.", "discriminative": "disc.", "hybrid": "hybrid"}

#: One-letter capability codes for narrow terminals (every model can classify).
_SHORT = {"density": "D", "density_bound": "B", "unnormalized_density": "E", "sample": "S",
          "conditional_sample": "C",
          "missing_features": "M", "partial_fit": "P", "sequences": "Q", "text": "T",
          "semi_supervised": "U"}


def _short_tags(capabilities: str) -> str:
    tags = capabilities.split(",")
    return "".join(code for tag, code in _SHORT.items() if tag in tags) or "-"


def _print_summary(result, ds) -> None:
    out = _stdout()
    summary = result.summary
    heads = summary.attrs.get("headlines", {})
    # best first by the error, else (a study that has none, e.g. blend) by its first headline
    key = next((c for c in ("error", *heads) if c in summary and summary[c].notna().any()),
               None)
    if key is not None:
        lower = key not in heads or heads[key][0].better == "lower"
        summary = summary.sort_values(key, ascending=lower, na_position="last", kind="stable")
    table = _table(f"{ds.name}, {len(ds.y)} rows: "
                   f"{', '.join(s.name for s in result.studies)}")
    table.add_column("model", no_wrap=True)
    table.add_column("family", no_wrap=True)
    wide = out.width >= 160
    table.add_column("capabilities" if wide else "caps", overflow="fold")
    # the studies' headline columns that have a value (each study declares how to read its own)
    shown = [(c, h, at) for c, (h, at) in summary.attrs.get("headlines", {}).items()
             if summary[c].notna().any()]
    if out.width < 110:  # a narrow terminal: the numbers first, log-loss is in the report
        shown = [item for item in shown if item[0] != "log_loss"]
    for _, headline, at in shown:
        table.add_column(headline.read(headline.header, at), justify="right")
    for row in summary.to_dict("records"):
        caps = _tags(row["capabilities"], out) if wide else _short_tags(row["capabilities"])
        family = row["family"] if out.width >= 110 else _FAMILY_SHORT.get(row["family"],
                                                                           row["family"])
        cells = [row["model"], family, caps]
        cells += [_fmt(row[c], h.digits) for c, h, _ in shown]
        table.add_row(*cells)
    out.print(table)
    legend = list(dict.fromkeys(h.read(h.legend, at) for _, h, at in shown if h.legend))
    if not wide:
        present = set(",".join(summary["capabilities"]).split(","))
        legend.append("capabilities (besides classify): " + ", ".join(
            f"{v} {k}" for k, v in _SHORT.items() if k in present))
    for line in legend:
        out.print(line, highlight=False, style="dim")
    if len(result.rows):
        rows = result.rows
        err = rows[rows["metric"] == "failed"]  # skipped cells
        cells = rows.drop_duplicates(["study", "model", "setting", "setting_value", "seed"])
        total = cells.groupby(["model", "study"]).size()
        for (model, study), part in err.groupby(["model", "study"], sort=True):
            out.print(f"[yellow]skipped[/] {model} in {len(part)} of {total[(model, study)]} "
                      f"{study} cells: {part['error'].iloc[0]}", highlight=False)
    for note in result.notes:
        out.print(f"[yellow]note:[/] {note}", highlight=False)
    if result.report is not None:
        out.print(f"report: {result.report}", highlight=False, soft_wrap=True)
        out.print(f"results: {result.results}", highlight=False, soft_wrap=True)


@app.command()
@_run_options(*_INPUTS, "studies", *_RUNNING, "na_values")
def compare(**options):
    """Run the studies on a dataset; print a summary and the verdict; write OUT/index.html.

    The results go to OUT/results and the verdict also to OUT/advice.json.

    With no arguments: breast_cancer, four generative and four discriminative
    models, every study that applies. Give a built-in '--dataset' or your own
    '--csv FILE --target COL'.
    """
    options["studies"] = _names("--studies", options["studies"])
    _run(**options)


@app.command()
@_run_options(*_INPUTS, "studies", ..., *_RUNNING, "na_values")
def advise(
    results: Annotated[
        Path | None,
        typer.Option("--from", help="Read a folder gdlab compare wrote (its -o) instead of "
                                    "running the comparison."),
    ] = None,
    goal: Annotated[
        str | None,
        typer.Option("--goal", "-g", help="Comma-separated goals: accuracy, "
                     "accuracy_with_missing, few_labels, calibration, anomaly_detection, "
                     "generation, cost (default: all; few_labels when the semi_supervised "
                     "study ran)."),
    ] = None,
    target_rows: Annotated[
        float | None,
        typer.Option("--target-rows", help="Training rows you will have (default: all "
                                           "measured); beyond them accuracy is predicted "
                                           "from fitted learning curves."),
    ] = None,
    missing_rate: Annotated[
        float | None,
        typer.Option("--missing-rate", help="Share of entries missing at deployment, in "
                                            "[0, 1)."),
    ] = None,
    fit_budget_s: Annotated[
        float | None,
        typer.Option("--fit-budget-s", help="Largest acceptable fit time in seconds."),
    ] = None,
    **options,
):
    """Which model fits your task: per goal, with the evidence (and OUT/advice.json).

    Runs the comparison as 'gdlab compare' does (or reads one with --from),
    then answers each goal: the pick, the runner-up, their difference with a
    95 % interval over the same splits, and why.
    """
    from gdlab import advice as advice_mod

    goals = _names("--goal", goal)
    try:
        advice_mod.check_options(goals, target_rows, missing_rate, fit_budget_s)
    except (ValueError, TypeError) as exc:
        raise _fail(str(exc)) from None
    if results is not None:
        if any(options[k] is not None for k in (*_INPUTS, "studies", "na_values")):
            raise _fail("--from reads a finished comparison: leave out --dataset, --csv, "
                        "--target, --models, --studies and --na-values.")
        if not results.is_dir():
            raise _fail(f"--from {results}: no such folder.")
        try:
            verdict = advice_mod.advise(results, goals=goals, target_rows=target_rows,
                                        missing_rate=missing_rate, budget=fit_budget_s)
        except ValueError as exc:
            raise _fail(str(exc).strip().splitlines()[0]) from None
        _print_verdict(verdict)
        return
    options["studies"] = _names("--studies", options["studies"])
    # the comparison's verdict answers these questions, so advice.json, the report's first
    # screen and the terminal agree (a question the results cannot answer: exit 2, with
    # the results and the report written)
    _run(**options, verdict=True, advice_options={
        "goals": goals, "target_rows": target_rows, "missing_rate": missing_rate,
        "budget": fit_budget_s})


@app.command()
@_run_options(*_INPUTS, *_RUNNING, ...)
def study(
    name: Annotated[
        str, typer.Argument(help=f"One of: {', '.join(_study_names())}.")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="KEY=VALUE",
                     help="Set a parameter of the study's constructor, over the --quick or "
                          "--thorough settings; repeat for several. VALUE is a Python literal "
                          "or comma-separated items: -p lambdas=0,0.3,1 -p sizes=20,80 "
                          "-p n_splits=3 (one item: sizes=50,). An unknown KEY lists the "
                          "study's parameters."),
    ] = None,
    **options,
):
    """Run one study (the models it applies to) and write its report to OUT/index.html.

    Examples: 'gdlab study blend -d pima -p lambdas=0,0.5,1 -p sizes=20,80';
    'gdlab study augmentation -d wine -m logreg -p ratios=0,1 -p generators=gaussian-nb,smote'.
    """
    from gdlab.studies.registry import parse_params

    name = name.strip()
    try:
        params = {name: parse_params(name, param)} if param else None
    except (ValueError, TypeError) as exc:
        raise _fail(str(exc)) from None
    _run(**options, studies=[name], params=params)


@app.command()
def generate(
    model: Annotated[str, typer.Option("--model", "-m", help="A model that can sample "
                                       "(gdlab models: tag sample).")],
    dataset: _DatasetOpt = None,
    csv: _CsvOpt = None,
    target: _TargetOpt = None,
    na_values: _NaOpt = None,
    n: Annotated[int, typer.Option("-n", help="Number of samples.", min=1)] = 5,
    label: Annotated[str | None, typer.Option(
        "--label", help="Class to sample from (conditional models), by its name.")] = None,
    prompt: Annotated[str | None, typer.Option(help="Text the samples start with.")] = None,
    max_length: Annotated[int | None, typer.Option(
        help="Longest sample (characters; frames for sequence models).", min=1)] = None,
    temperature: Annotated[float | None, typer.Option(help="Softmax temperature.")] = None,
    top_k: Annotated[int | None, typer.Option(help="Sample among the k likeliest tokens.",
                                              min=1)] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the draws.")] = 0,
    retrain: Annotated[bool, typer.Option(help="Train again even when a trained model is "
                                          "cached.")] = False,
):
    """Train a generative model on a dataset (once; cached) and print samples from it.

    The trained model is saved under '$GDLAB_CACHE' (default '~/.cache/gdlab')
    and reused by later calls with the same model and dataset (a CSV file: the
    same contents).
    """
    from gdlab import comparison

    ds = _load_data(dataset, csv, target, na_values)
    err = _stderr()
    try:
        result = comparison.generate(
            model, ds if csv is not None else ds.name, n, label=label, seed=seed,
            retrain=retrain,
            options={"prompt": (prompt, None), "max_length": (max_length, None),
                     "temperature": (temperature, None), "top_k": (top_k, None)},
            training=err.status, report=lambda line: err.print(line, highlight=False),
        )
    except (ValueError, TypeError) as exc:
        raise _fail(str(exc).strip().splitlines()[0]) from None
    _print_samples(result.draws, result.labels, ds)


def _print_samples(draws, labels, ds) -> None:
    from rich.markup import escape
    from rich.text import Text

    out = _stdout()
    names = [str(c) for c in ds.class_names]
    if ds.modality == "text":
        for i, text in enumerate(draws):
            tag = f" [{names[int(labels[i])]}]" if labels is not None else ""
            out.rule(Text(f"sample {i + 1}{tag}"), style="dim")  # Text: names are not markup
            out.print(text, highlight=False, markup=False)
        return
    if ds.modality == "sequence":
        for i, seq in enumerate(draws):
            tag = f" [{names[int(labels[i])]}]" if labels is not None else ""
            out.print(f"sample {i + 1}{tag}: {len(seq)} frames", highlight=False, markup=False)
            vocabulary = ds.metadata.get("vocabulary")
            if vocabulary is not None and seq.shape[1] == 1:  # symbol codes: show the text
                out.print("".join(vocabulary[int(c)] for c in seq[:, 0]), highlight=False,
                          markup=False)
            else:
                out.print(seq, highlight=False)
        return
    import warnings

    import numpy as np
    import pandas as pd

    from gdlab.studies.prepare import numeric, numeric_names
    from gdlab.studies.samples import decoded_row

    X = np.asarray(draws, dtype=float)
    # The data's own columns: a one-hot block shows its category, a value outside the
    # range seen in the data is marked (the report's sample tables read the same way).
    data = numeric(ds)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
        lo, hi = np.nanmin(data, axis=0), np.nanmax(data, axis=0)
    info = {f"x{j}": (name, lo[j], hi[j]) for j, name in enumerate(numeric_names(ds))}
    features = [f"x{j}" for j in range(X.shape[1])]
    rows = [decoded_row(dict(zip(features, row, strict=True)), features, info) for row in X]
    frame = ds.X if isinstance(ds.X, pd.DataFrame) else None
    flags = {str(c) for c in frame.columns if pd.api.types.is_bool_dtype(frame[c].dtype)
             } if frame is not None else set()
    rows = [[(c, {"0": "False", "1": "True"}.get(t, t) if c in flags else t, o)
             for c, t, o in row] for row in rows]  # a bool column reads as the data's
    table = _table(f"{len(X)} samples")
    if labels is not None:
        table.add_column("class")
    names = [escape(n) for n in names]
    for column, _, _ in rows[0] if rows else ():
        table.add_column(escape(column), justify="right")
    outside = False
    for i, row in enumerate(rows):
        cells = [names[int(labels[i])]] if labels is not None else []
        table.add_row(*cells, *(escape(text) + ("*" if out else "") for _, text, out in row))
        outside = outside or any(out for _, _, out in row)
    if outside:
        table.caption = "* outside the range seen in the data"
    out.print(table)


if __name__ == "__main__":  # pragma: no cover
    app()
