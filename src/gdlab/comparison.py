"""Compare models on one dataset: run the studies, write the report, summarize per model.

Also the train-or-load workflow of ``gdlab generate`` (:func:`generate`).

This is the one way gdlab compares models (``gdlab compare`` is a thin layer
over :func:`compare`): the studies of :mod:`gdlab.studies.registry` run
through :func:`gdlab.studies.runner.run`, their tidy rows go to a results
store and to :func:`gdlab.report.build_report`, and :func:`summarize` turns
the same rows into one line per model (test error at the largest training
size, log-loss, calibration error, out-of-distribution AUROC, fit seconds).

Examples
--------
>>> from gdlab.comparison import compare
>>> result = compare("iris", ["gaussian-nb", "logreg-unreg"], ["learning_curve"],
...                  seeds=2, out_dir=None)
>>> list(result.summary["model"])
['gaussian-nb', 'logreg-unreg']
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.studies.prepare import onehot_groups
from gdlab.studies.registry import headlines as study_headlines

__all__ = [
    "DEFAULT_DATASET",
    "DEFAULT_MODELS",
    "DEFAULT_MODELS_BY_MODALITY",
    "DEFAULT_SYMBOL_MODELS",
    "DEFAULT_MIXED_MODELS",
    "default_models",
    "default_models_for",
    "model_input_kind",
    "SUMMARY_COLUMNS",
    "Comparison",
    "check_plan",
    "compare",
    "summarize",
    "Generation",
    "cache_dir",
    "generate",
]

#: Dataset of the default run: 569 rows, 30 continuous features, 2 classes. Small
#: enough for a run of a few minutes, and the classic case where naive Bayes leads
#: at a few dozen training rows and logistic regression overtakes it.
DEFAULT_DATASET = "breast_cancer"

#: Models of the default run: four generative (naive Bayes, LDA, QDA, a Gaussian
#: mixture per class) and four discriminative (logistic regression with and without
#: regularization, a random forest, histogram gradient boosting).
DEFAULT_MODELS = (
    "gaussian-nb", "lda", "qda", "gmm-classifier",
    "logreg", "logreg-unreg", "random-forest", "hist-gb",
)

#: Default models of other modalities (the tabular default is :data:`DEFAULT_MODELS`).
DEFAULT_MODELS_BY_MODALITY = {
    "tabular": DEFAULT_MODELS,
    "image": (*DEFAULT_MODELS, "cvae", "cgan", "diffusion", "cnn"),
    "sequence": ("hmm-classifier", "gru"),
    "text": ("char-ngram-classifier", "ngram-multinomial-nb", "ngram-logreg", "nbsvm"),
}

#: Default models of a sequence dataset whose frames are integer symbol codes
#: (``metadata["vocabulary"]``, e.g. characters): they model the codes as categories.
DEFAULT_SYMBOL_MODELS = ("hmm-categorical", "gru-chars")


def default_models(modality: str) -> tuple[str, ...]:
    """The models :func:`compare` runs on a dataset of this modality when none are named.

    Examples
    --------
    >>> default_models("sequence")
    ('hmm-classifier', 'gru')
    """
    if modality not in DEFAULT_MODELS_BY_MODALITY:
        raise ValueError(f"unknown modality {modality!r}; known: "
                         f"{sorted(DEFAULT_MODELS_BY_MODALITY)}.")
    return DEFAULT_MODELS_BY_MODALITY[modality]


#: Added to the tabular defaults when a table has categorical or bool columns: naive
#: Bayes with one categorical distribution per such column (the other defaults see
#: their 0/1 indicator columns).
DEFAULT_MIXED_MODELS = ("mixed-nb",)


def default_models_for(dataset, studies=None) -> tuple[str, ...]:
    """The default models for one dataset: by modality, with four refinements.

    A sequence dataset whose ``metadata`` holds a ``vocabulary`` codes symbols
    (characters) as integers: its defaults model them as categories
    (:data:`DEFAULT_SYMBOL_MODELS`). A table with categorical or bool columns
    adds :data:`DEFAULT_MIXED_MODELS` after the tabular defaults. A named
    study that exists for models with certain tags (its
    ``default_model_tags``: ``semi_supervised`` for the semi-supervised study)
    adds every registered model with those tags that takes this kind of data.
    When studies are named, a default model none of them applies to (by its
    ``requires``) is left out.

    Parameters
    ----------
    dataset : gdlab.data.Dataset
    studies : iterable of str, optional
        The studies named for the run (None: the default studies).

    Examples
    --------
    >>> from gdlab.data import load
    >>> default_models_for(load("penguins"))[-1], default_models_for(load("iris"))[-1]
    ('mixed-nb', 'hist-gb')
    """
    if dataset.modality == "sequence" and "vocabulary" in (dataset.metadata or {}):
        models = DEFAULT_SYMBOL_MODELS
    else:
        models = default_models(dataset.modality)
        if dataset.modality == "tabular" and onehot_groups(dataset):
            models = (*models, *DEFAULT_MIXED_MODELS)
    models = _taking_part(models, studies)
    return (*models, *_study_models(dataset, studies, exclude=models))


def _taking_part(models, studies) -> tuple[str, ...]:
    """The default ``models`` that some named study applies to (all of them when no study is
    named): ``gdlab study blend`` lists the blends, not eight models it cannot take."""
    from gdlab.models.registry import spec
    from gdlab.studies.registry import STUDIES

    if studies is None or isinstance(studies, str) or any(s not in STUDIES for s in studies):
        return tuple(models)
    needs = [STUDIES[s].study_class().requires for s in studies]
    return tuple(m for m in models if any(n <= spec(m).capabilities for n in needs))


def _study_models(dataset, studies, exclude) -> tuple[str, ...]:
    """Registered models carrying a named study's ``default_model_tags``, for this data."""
    from gdlab.capability_tags import modality_input_kind
    from gdlab.models.registry import names, spec
    from gdlab.studies.registry import STUDIES

    if studies is None or isinstance(studies, str):
        return ()
    tags = [STUDIES[s].study_class().default_model_tags for s in studies if s in STUDIES]
    tags = [t for t in tags if t]
    if not tags:
        return ()
    kind = modality_input_kind(dataset.modality)
    out = []
    for name in names():
        entry = spec(name)
        try:
            if entry.input_kind != kind or name in exclude:
                continue
            if any(t <= entry.capabilities for t in tags):
                out.append(name)
        except ImportError:  # a model whose code is not installed here
            continue
    return tuple(out)


def model_input_kind(name: str) -> str:
    """What a registered model takes: ``"tabular"``, ``"sequence"`` or ``"text"``.

    :attr:`gdlab.models.registry.ModelSpec.input_kind`: read off the capability
    tags of one fresh instance, computed once per registered model.

    Examples
    --------
    >>> model_input_kind("hmm-classifier")
    'sequence'
    """
    from gdlab.models.registry import spec

    return spec(name).input_kind


def _summary_columns() -> tuple[str, ...]:
    columns = dict.fromkeys(h.column for _, h in study_headlines())
    return ("model", "family", "capabilities", *columns)


#: Columns of the table :func:`summarize` returns: model, family, capabilities, then
#: one column per :class:`~gdlab.studies.base.Headline` of the studies, in report order.
SUMMARY_COLUMNS = _summary_columns()


@dataclass
class Comparison:
    """What :func:`compare` returns.

    Attributes
    ----------
    rows : pandas.DataFrame
        Tidy rows of every study (:data:`gdlab.studies.base.ROW_COLUMNS`).
    summary : pandas.DataFrame
        One row per model (:func:`summarize`).
    studies : list of Study
        The studies that ran.
    report : pathlib.Path or None
        ``index.html``, when ``out_dir`` was given.
    results : pathlib.Path or None
        The results store (a directory of Parquet files; read it back with
        :func:`gdlab.studies.runner.read_results`).
    notes : list of str
        Studies skipped and why.
    advice : gdlab.answers.Advice or None
        The verdict (:func:`gdlab.verdict.advise_rows` of ``rows``); None when
        the rows answer no goal (the reason is in ``notes``). With ``out_dir``
        it is also written to ``advice.json`` and shown first in the report.
    """

    rows: pd.DataFrame
    summary: pd.DataFrame
    studies: list
    report: Path | None = None
    results: Path | None = None
    notes: list[str] = field(default_factory=list)
    advice: object | None = None


def check_plan(dataset, models: Sequence[str], studies: Sequence[str] | None, *,
               quick: bool = True, params: Mapping[str, Mapping] | None = None
               ) -> tuple[list, list[str]]:
    """Validate a comparison before anything is fitted and build its studies.

    Parameters
    ----------
    dataset : gdlab.data.Dataset
    models : sequence of str
        Registry names.
    studies : sequence of str or None
        Study names; None takes every study that applies to at least one
        model (the others are named in the returned notes).
    quick : bool, default=True
    params : mapping of str to mapping, optional
        Constructor arguments per study name, over the quick or thorough
        settings (:func:`gdlab.studies.registry.parse_params` reads them from
        ``KEY=VALUE`` strings). Each study given some builds its grid here, so
        a bad value fails now, with the study's own message.

    Returns
    -------
    studies : list of Study
    notes : list of str
        One line per default study left out.

    Notes
    -----
    Whether a study applies is :func:`gdlab.studies.plan.takers`, the
    planner :func:`gdlab.studies.runner.run` builds its grid with.

    Raises
    ------
    ValueError
        An unknown model or study, duplicates, a model that does not take the
        dataset's kind of input (rows, sequences, texts), or a named study
        that applies to none of the models (the message says which
        capabilities it needs and who has them), or a study parameter the
        study refuses (the message names the study).
    """
    from gdlab.studies.plan import model_facts, takers
    from gdlab.studies.registry import default_studies

    if isinstance(models, str):
        raise TypeError(f"models must be a list of names, got the string {models!r}.")
    models = list(models)
    if not models:
        raise ValueError("no models given: name at least one model.")
    if len(set(models)) != len(models):
        raise ValueError(f"models contains duplicates: {models}.")
    _, _, caps = model_facts(models)  # unknown names fail here, with close matches
    from gdlab.capability_tags import modality_input_kind

    need = modality_input_kind(dataset.modality)
    wrong = [m for m in models if model_input_kind(m) != need]
    if wrong:
        raise ValueError(
            f"{dataset.name!r} is {dataset.modality} data, which needs models that take "
            f"{need}; {', '.join(f'{m} takes {model_input_kind(m)}' for m in wrong)}. "
            f"Models for {dataset.modality} data include: "
            f"{', '.join(default_models_for(dataset))}."
        )
    if studies is not None and not list(studies):
        raise ValueError("no studies given: name at least one study.")
    params = dict(params or {})
    try:
        built = default_studies(quick=quick, names=studies, params=params)
    except TypeError as exc:  # a constructor given a parameter it does not take
        raise ValueError(f"study parameters: {exc}") from None
    chosen, notes = [], []
    for study in built:
        who, reason = takers(study, dataset, models, caps)  # the runner's planner
        if reason is None:
            if study.name in params:  # the study checks its parameters as it builds its grid
                try:
                    study.cells(dataset, who, [0])
                except (ValueError, TypeError) as exc:
                    given = ", ".join(f"{k}={v!r}" for k, v in params[study.name].items())
                    raise ValueError(f"study {study.name!r} (given {given}): {exc}") from None
            chosen.append(study)
            continue
        if studies is not None:
            raise ValueError(f"study {study.name!r} applies to no chosen model: {reason}.")
        notes.append(f"study {study.name!r} left out: {reason}.")
    if not chosen:  # only reachable with the default list
        raise ValueError("no study applies to the chosen models: " + " ".join(notes))
    return chosen, notes


def compare(
    dataset="breast_cancer",
    models: Sequence[str] | None = None,
    studies: Sequence[str] | None = None,
    *,
    quick: bool = True,
    seeds: int | None = None,
    out_dir="gdlab-report",
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    resume: bool = False,
    params: Mapping[str, Mapping] | None = None,
    advice_options: Mapping | None = None,
) -> Comparison:
    """Run the studies on one dataset and summarize the models.

    Parameters
    ----------
    dataset : str or gdlab.data.Dataset, default="breast_cancer"
        A built-in name (:func:`gdlab.data.available`) or a loaded dataset
        (e.g. :func:`gdlab.data.load_csv`).
    models : sequence of str, optional
        Registry names; default :func:`default_models` of the dataset's modality.
    studies : sequence of str, optional
        Study names (:data:`gdlab.studies.registry.STUDIES`); default every
        study that applies to at least one model.
    quick : bool, default=True
        The quick study settings, or the thorough ones.
    seeds : int, optional
        Repeats (random splits) of every study, seeds ``0 .. seeds-1``; default:
        each study's own (see :data:`gdlab.studies.registry.STUDIES`).
    out_dir : str or path-like or None, default="gdlab-report"
        Where ``index.html``, the results store (``results/``), the verdict
        (``advice.json``) and ``manifest.json`` (what made the results; read
        by :func:`gdlab.advise`) go; None keeps everything in memory and
        writes no report.
    n_jobs : int, default=1
        Parallel workers (joblib; -1 for every core this process may use).
    scheduler : str, optional
        A Dask scheduler address; the cells then run on that cluster.
    progress : bool, default=False
        Show the runner's progress bar on stderr.
    resume : bool, default=False
        Keep the cells already in ``out_dir/results`` and run only the rest
        (after an interrupted run with the same options). False starts over.
    params : mapping of str to mapping, optional
        Constructor arguments per study name, e.g. ``{"blend": {"lambdas":
        (0, 0.5, 1)}}``, over the quick or thorough settings (see
        :func:`check_plan`); recorded in ``manifest.json``.
    advice_options : mapping, optional
        The verdict's questions, as :func:`gdlab.advise` takes them:
        ``goals``, ``target_rows``, ``missing_rate``, ``budget``. The verdict
        in ``advice.json``, in the report and in ``Comparison.advice`` answers
        them (default: every goal at the sizes measured).

    Returns
    -------
    Comparison

    Raises
    ------
    ValueError
        For bad input (see :func:`check_plan`, and
        :func:`gdlab.verdict.check_options` for ``advice_options``), before
        anything is fitted; or, after the results and the report (without a
        verdict) are written, when ``advice_options`` cannot be answered from
        the results (``target_rows`` below the smallest size measured, a
        budget no model meets, no rows for a goal asked).
    """
    from gdlab.data import load as load_dataset
    from gdlab.studies.runner import run

    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    models = list(default_models_for(ds, studies) if models is None else models)
    chosen, notes = check_plan(ds, models, studies, quick=quick, params=params)
    if seeds is not None and (isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer))
                              or seeds < 1):
        raise ValueError(f"seeds must be a positive int, got {seeds!r}.")
    if advice_options is not None:
        from gdlab.verdict import check_options

        if not isinstance(advice_options, Mapping):
            raise TypeError(f"advice_options must be a mapping (goals, target_rows, "
                            f"missing_rate, budget), got {type(advice_options).__name__}.")
        unknown = sorted(set(advice_options) - set(ADVICE_OPTIONS))
        if unknown:
            raise TypeError(f"advice_options takes {', '.join(ADVICE_OPTIONS)}; got "
                            f"{', '.join(map(str, unknown))}.")
        check_options(**advice_options)

    results = report = None
    if out_dir is not None:
        out_dir = Path(out_dir)
        results = out_dir / "results"
        if not resume and results.exists():
            shutil.rmtree(results)
    rows = run(chosen, models, [ds], seeds=None if seeds is None else range(int(seeds)),
               results=results,
               n_jobs=n_jobs, scheduler=scheduler, progress=progress, resume=resume)
    notes = notes + list(rows.attrs.get("notes", []))
    table = summarize(rows, models)
    advice, advice_error = _advice(rows, ds.name, notes, advice_options)
    if out_dir is not None:
        from gdlab.report import build_report

        _write_manifest(out_dir, ds, models, chosen, quick=quick, seeds=seeds, params=params)
        if advice is not None:
            advice.to_json(out_dir / "advice.json")
        report = build_report(
            rows, chosen, out_dir,
            title=f"gdlab compare: {ds.name}",
            dataset_info=_dataset_info(ds),
            models_info=table[["model", "family", "capabilities"]].rename(
                columns={"model": "name"}),
            results_path=results,
            advice=advice,
        )
    if advice_error is not None:  # asked for explicitly: the results and report are kept
        raise advice_error
    return Comparison(rows=rows, summary=table, studies=chosen, report=report,
                      results=results, notes=notes, advice=advice)


#: The keys of ``compare``'s ``advice_options`` (``gdlab.advise_rows``'s questions).
ADVICE_OPTIONS = ("goals", "target_rows", "missing_rate", "budget")


def _advice(rows, name, notes, options=None):
    """``(verdict, error)`` of a comparison (:func:`gdlab.verdict.advise_rows`).

    Without ``options`` a verdict that cannot be given is None with a note;
    with them, the error is also returned, for ``compare`` to raise once its
    outputs are written.
    """
    from gdlab.verdict import advise_rows

    try:
        return advise_rows(rows, dataset=name, **(options or {})), None
    except ValueError as err:
        if options is not None:
            notes.append(f"no verdict: {err}")
            return None, err
        if str(err).startswith("the results hold no rows for the goal"):
            # e.g. gdlab study blend: one line, not the reason of every goal in turn
            ran = ", ".join(sorted(map(str, rows["study"].dropna().unique())))
            err = (f"the {ran} rows answer none of the advisor's goals; the summary and the "
                   "report section are the result (gdlab compare runs the studies a verdict "
                   "needs).")
        notes.append(f"no verdict: {err}")
        return None, None


def _write_manifest(out_dir: Path, ds, models, studies, *, quick, seeds, params=None) -> Path:
    """``out_dir/manifest.json``: what made these results (read by :func:`gdlab.advise`)."""
    import json

    from gdlab._version import __version__
    from gdlab.verdict import MANIFEST

    path = Path(out_dir) / MANIFEST
    path.write_text(json.dumps({
        "gdlab_version": __version__, "dataset": ds.name, "modality": ds.modality,
        "n_samples": int(len(ds.y)), "models": list(models),
        "studies": [s.name for s in studies], "quick": bool(quick),
        "seeds": None if seeds is None else int(seeds),
        "params": {name: dict(p) for name, p in (params or {}).items()}},
        indent=2, default=repr) + "\n", encoding="utf-8")
    return path


def _dataset_info(ds) -> dict:
    return {
        "name": ds.name, "description": ds.description, "source": ds.source,
        "n_samples": len(ds.y), "n_features": ds.X.shape[1],
        "classes": ", ".join(map(str, ds.class_names)),
    }


def _pick(rows: pd.DataFrame, study: str, headline) -> tuple[pd.Series, float | None]:
    """Per model: the mean over seeds of a headline's metric; and the setting value read."""
    part = rows[(rows["study"] == study) & (rows["metric"] == headline.metric)]
    part = part[np.isfinite(part["value"].astype(float))]
    if headline.settings is not None:
        part = part[part["setting"].isin(headline.settings)]
    if headline.setting_value is not None:
        part = part[np.isclose(part["setting_value"].astype(float), headline.setting_value)]
    if part.empty:
        return pd.Series(dtype=float), None
    at = None
    if headline.at in ("largest", "middle", "smallest"):
        values = np.sort(part["setting_value"].dropna().unique())
        if len(values):
            at = float(headline.pick_at(values))
            part = part[np.isclose(part["setting_value"], at)]
    return part.groupby("model")["value"].mean(), at


def summarize(rows: pd.DataFrame, models: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per model from the tidy rows of a comparison.

    Parameters
    ----------
    rows : pandas.DataFrame
        Tidy rows (:data:`gdlab.studies.base.ROW_COLUMNS`) of one dataset.
    models : sequence of str, optional
        Models to list, in this order (default: those in ``rows``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`: one per
        :class:`~gdlab.studies.base.Headline` a study declares (e.g. the
        learning curve's ``error`` and ``log_loss`` at the largest training
        size; ``ece``; the OOD AUROCs; ``missing_error`` at the middle MCAR
        rate; ``fit_seconds``), the mean over seeds. NaN where a study did not
        run or the model could not take part. A column two studies declare
        (``error``: the learning curve's, else the calibration study's) takes
        the first study's value and the later one's where the first has none.
        ``attrs["headlines"]`` maps each column to ``(headline, setting value
        read)`` of the study that gave it its values; a headline's ``at_name``
        names that setting value in ``attrs`` too (``train_size``,
        ``missing_rate``; None when its study did not run).

    Examples
    --------
    >>> rows = pd.DataFrame({
    ...     "study": "learning_curve", "model": ["nb", "nb", "lr", "lr"],
    ...     "family": ["generative"] * 2 + ["discriminative"] * 2, "setting": "train_size",
    ...     "setting_value": [10.0, 100.0, 10.0, 100.0], "metric": "error",
    ...     "value": [0.2, 0.1, 0.3, 0.05]})
    >>> summarize(rows)[["model", "error"]].values.tolist()
    [['nb', 0.1], ['lr', 0.05]]
    """
    from gdlab.models.registry import spec
    from gdlab.studies.registry import STUDIES

    if models is None:
        models = list(dict.fromkeys(rows["model"]))
    families = rows.drop_duplicates("model").set_index("model")["family"]
    out = pd.DataFrame({"model": list(models)})
    out["family"] = [families.get(m, _family(m)) for m in models]

    def caps(name):
        try:
            return ",".join(sorted(spec(name).capabilities))
        except Exception:  # noqa: BLE001 - a name outside the registry
            return ""

    out["capabilities"] = [caps(m) for m in models]
    read, derived = {}, {}
    for study, headline in study_headlines():
        if study not in derived:  # the rows this study's headlines read (Study.headline_rows)
            mine = rows[rows["study"] == study] if "study" in rows else rows.iloc[0:0]
            derived[study] = (STUDIES[study].study_class().headline_rows(mine) if len(mine)
                              else mine)
        values, at = _pick(derived[study], study, headline)
        column = out["model"].map(values).astype(float)
        if headline.column in out:  # a later study fills what the first has no value for
            column = out[headline.column].fillna(column)
        if headline.column not in read or (not len(read[headline.column][2]) and len(values)):
            read[headline.column] = (headline, at, values)
        if headline.at_name is not None and headline.at_name not in out.attrs:
            out.attrs[headline.at_name] = at
        out[headline.column] = column
    out.attrs["headlines"] = {c: (h, at) for c, (h, at, _) in read.items()}
    return out


def _family(name: str) -> str:
    from gdlab.models.registry import spec

    try:
        return spec(name).family
    except ValueError:
        return "unknown"


# ---------------------------------------------------------------------------- generate


def cache_dir() -> Path:
    """Where :func:`generate` keeps trained models: ``$GDLAB_CACHE`` or ``~/.cache/gdlab``."""
    import os

    return Path(os.environ.get("GDLAB_CACHE") or Path.home() / ".cache" / "gdlab") / "models"


@dataclass
class Generation:
    """What :func:`generate` returns.

    Attributes
    ----------
    draws : ndarray or list
        The samples: rows, sequences or texts.
    labels : ndarray or None
        Class index of each draw, for models that draw ``(X, y)``.
    model : estimator
        The trained model.
    path : pathlib.Path
        Where the trained model is cached.
    cached : bool
        Whether the model was read from the cache rather than trained.
    """

    draws: object
    labels: object
    model: object
    path: Path
    cached: bool


def _sample_kwargs(model, options: dict) -> dict:
    """The generation options the model's ``sample`` accepts (others must not be set)."""
    import inspect

    from gdlab.base import ClassConditional

    # a per-class classifier passes these on to its densities' sample
    target = model.class_density() if isinstance(model, ClassConditional) else model
    accepted = inspect.signature(target.sample).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
    if "max_length" in options and "max_length" not in accepted and "length" in accepted:
        options = dict(options)
        options["length"] = options.pop("max_length")  # sequence models count frames
    kwargs, refused = {}, []
    for name, (value, default) in options.items():
        if name in accepted or takes_any:
            if value is not None:
                kwargs[name] = value
        elif value is not None and value != default:
            refused.append(name.replace("_", "-"))
    if refused:
        raise ValueError(f"{type(model).__name__}.sample takes no --{', --'.join(refused)}.")
    return kwargs


def _fingerprint(ds) -> str:
    """Eight hex digits that change with a dataset's values, labels and column names."""
    import hashlib

    from gdlab.studies.prepare import inputs, numeric_names

    X, y = inputs(ds)
    h = hashlib.sha256()
    def update(arr):
        arr = np.asarray(arr)
        if arr.dtype == object:  # texts (str) or sequences (float arrays), item by item
            for item in arr:
                update(item) if isinstance(item, np.ndarray) else h.update(
                    b"\x00" + str(item).encode())
            return
        h.update(str(arr.dtype).encode() + str(arr.shape).encode())
        h.update(np.ascontiguousarray(arr).tobytes())

    update(X)
    update(y)
    if ds.modality in ("tabular", "image"):
        h.update("\x00".join(numeric_names(ds)).encode())
    return h.hexdigest()[:8]


def generate(
    model: str,
    dataset,
    n: int = 5,
    *,
    label: str | None = None,
    options: dict | None = None,
    seed: int = 0,
    retrain: bool = False,
    training: Callable[[str], AbstractContextManager] | None = None,
    report: Callable[[str], None] | None = None,
) -> Generation:
    """Train a generative model on a dataset once (cached on disk) and draw samples from it.

    The trained model is saved under :func:`cache_dir` as
    ``<model>-<dataset>.gdlab`` (a :class:`~gdlab.data.Dataset` given as an
    object, e.g. a CSV file's: ``<model>-<name>-<fingerprint of its
    contents>.gdlab``) and read back by later calls with the same model and
    dataset (``gdlab generate`` is a thin layer over this).

    Parameters
    ----------
    model : str
        A registry name whose model can sample (capability ``sample``).
    dataset : str or gdlab.data.Dataset
    n : int, default=5
        Number of samples.
    label : str, optional
        Class to draw from, by its name (models with ``conditional_sample``).
    options : dict, optional
        Generation options ``{name: (value, default)}`` (``prompt``,
        ``max_length``, ``temperature``, ``top_k``); a value of None is not
        passed; a set value the model's ``sample`` does not take is refused.
        ``max_length`` goes to ``length`` for models that count frames.
    seed : int, default=0
        Seed of the draws.
    retrain : bool, default=False
        Train again even when a trained model is cached.
    training : callable, optional
        ``training(message)`` returns a context manager held while the model
        trains (e.g. a spinner).
    report : callable, optional
        Called with one line when the cached model is used or a new one is saved.

    Returns
    -------
    Generation

    Raises
    ------
    ValueError
        An unknown model or dataset, a model that does not take the dataset's
        kind of input or cannot sample (a class), an unknown class, an option
        the model does not take (all before training), an unreadable cached
        model, or a sampling error.
    """
    from gdlab.capability_tags import modality_input_kind
    from gdlab.data import load as load_dataset
    from gdlab.models.registry import spec
    from gdlab.persistence import load, save
    from gdlab.studies.prepare import inputs, model_for

    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    entry = spec(model)
    if entry.input_kind != modality_input_kind(ds.modality):
        raise ValueError(f"{model} takes {entry.input_kind}, but {ds.name!r} is "
                         f"{ds.modality} data.")
    caps = entry.capabilities
    if "sample" not in caps:
        raise ValueError(f"{model} cannot sample (capabilities: {', '.join(sorted(caps))}).")
    y_label = None
    if label is not None:
        if "conditional_sample" not in caps:
            raise ValueError(f"{model} cannot sample a given class (no conditional_sample); "
                             "drop the label.")
        names = [str(c) for c in ds.class_names]
        if label not in names:
            raise ValueError(f"no class {label!r} in {ds.name}; classes: {', '.join(names)}.")
        y_label = names.index(label)
    est = model_for(model, ds)  # a mixed table: categorical columns as categories
    kwargs = _sample_kwargs(est, options or {})
    key = ds.name if isinstance(dataset, str) else f"{ds.name}-{_fingerprint(ds)}"
    path = cache_dir() / f"{model}-{key}.gdlab"
    say = report or (lambda line: None)
    cached = path.is_file() and not retrain
    labelled = "classify" in caps or "conditional_sample" in caps
    if cached:
        try:
            loaded = load(path)
        except ValueError as exc:
            raise ValueError(f"cached model {path} is unreadable ({exc}); use --retrain."
                             ) from None
        # A model cached before the table's columns were typed (or by another gdlab) is
        # of another class than the one that would be trained now: train again.
        cached = type(loaded) is type(est)
        if cached:
            est = loaded
            say(f"using the trained model cached in {path}")
    if not cached:
        X, y = inputs(ds)
        with (training or (lambda message: nullcontext()))(
                f"training {model} on {ds.name} ({len(y)} items)"):
            if labelled:
                est.fit(X, y)
            else:
                est.fit(X)
        path.parent.mkdir(parents=True, exist_ok=True)
        save(est, path)
        say(f"trained {model} on {ds.name}; cached in {path}")
    if labelled:
        draws, labels = est.sample(n, y=y_label, random_state=seed, **kwargs)
    else:
        draws, labels = est.sample(n, random_state=seed, **kwargs), None
    return Generation(draws=draws, labels=labels, model=est, path=path, cached=cached)
