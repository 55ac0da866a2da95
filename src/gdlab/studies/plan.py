"""The plan of a run: which models take part in which study, on which dataset, with which seeds.

One place decides whether a study applies to a (model, dataset): :func:`takers`.
:func:`gdlab.comparison.check_plan` asks it before anything is fitted (to
refuse a named study that applies to no model, and to leave out the default
studies that do not apply), and :func:`gdlab.studies.runner.run` asks it again
through :func:`plan_cells` when it builds the grid, so the two never disagree.

A model takes part by its capability tags (the registry spec's
:attr:`~gdlab.models.registry.ModelSpec.capabilities`, read once off a fresh
instance) and :meth:`Study.applies_to <gdlab.studies.base.Study.applies_to>`;
a dataset by its modality and :attr:`Study.modalities
<gdlab.studies.base.Study.modalities>`. Never by class name.

Examples
--------
>>> from gdlab.data import load
>>> from gdlab.studies.registry import make_study
>>> models, families, caps = model_facts(["gaussian-nb", "logreg"])
>>> takers(make_study("samples"), load("iris"), models, caps)
(['gaussian-nb'], None)
>>> takers(make_study("samples"), load("iris"), ["logreg"], caps)[1]
'it needs models with conditional_sample; none of logreg has that'
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence

from gdlab.studies.base import Study

__all__ = ["DEFAULT_SEEDS", "model_facts", "load_datasets", "default_seeds", "takers",
           "plan_cells"]

#: Seeds used when neither ``run(seeds=...)`` nor the study says (see :func:`default_seeds`).
DEFAULT_SEEDS = tuple(range(5))


def _unique(items) -> list:
    seen, out = set(), []
    for item in items:
        key = item if isinstance(item, str) else id(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def model_facts(models) -> tuple[list[str], dict[str, str], dict[str, frozenset]]:
    """Registry names, deduplicated in order, with their family and capability tags.

    Parameters
    ----------
    models : str or iterable of str
        Registry names.

    Returns
    -------
    models : list of str
    families : dict of str to str
    capabilities : dict of str to frozenset of str

    Raises
    ------
    ValueError
        No models, a name that is not a str, or an unknown name (the message
        lists the known names and close matches).
    """
    from gdlab.models.registry import spec

    if isinstance(models, str):
        models = [models]
    models = _unique(models)
    if not models:
        raise ValueError("no models given.")
    families, caps = {}, {}
    for name in models:
        if not isinstance(name, str):
            raise ValueError(f"models must be registry names (str), got {name!r}.")
        entry = spec(name)  # ValueError naming the known models
        families[name], caps[name] = entry.family, entry.capabilities
    return models, families, caps


def load_datasets(datasets) -> list:
    """Datasets by name (:func:`gdlab.data.load`) or as given, deduplicated in order.

    Raises
    ------
    ValueError
        An unknown name, something that is not a name or a dataset, two
        datasets of one name (results are keyed by name), or none.
    """
    from gdlab.data import Dataset, load

    if isinstance(datasets, (str, Dataset)):
        datasets = [datasets]
    out = []
    for d in _unique(datasets):
        if isinstance(d, str):
            out.append(load(d))  # ValueError naming the known datasets
        elif isinstance(d, Dataset):
            out.append(d)
        else:
            raise ValueError(f"datasets must be names or gdlab.data.Dataset objects, got {d!r}.")
    names = [d.name for d in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"two datasets share the name {dup[0]!r}; results are keyed by name.")
    if not out:
        raise ValueError("no datasets given.")
    return out


def default_seeds(study: Study) -> list[int] | None:
    """Seeds of a study when the run is given none.

    The study's ``default_seeds`` attribute when set; else ``None`` when its
    ``cells`` takes ``seeds=None`` (the study then picks, e.g. ``range(n_splits)``);
    else :data:`DEFAULT_SEEDS`.
    """
    declared = getattr(study, "default_seeds", None)
    if declared is not None:
        return [int(s) for s in declared]
    try:
        param = inspect.signature(study.cells).parameters.get("seeds")
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        param = None
    if param is not None and param.default is None:
        return None
    return list(DEFAULT_SEEDS)


def takers(study: Study, dataset, models: Sequence[str],
           capabilities: Mapping[str, frozenset]) -> tuple[list[str], str | None]:
    """The models that take part in ``study`` on ``dataset``, or why none does.

    Parameters
    ----------
    study : Study
    dataset : gdlab.data.Dataset
    models : sequence of str
    capabilities : mapping of str to frozenset of str
        Tags of every model (:func:`model_facts`).

    Returns
    -------
    takers : list of str
        In the order of ``models``; empty when the study does not apply.
    reason : str or None
        Why no model takes part (a clause, no final period); None when some do.
    """
    if dataset.modality not in study.modalities:
        return [], f"it does not apply to {dataset.modality} data"
    chosen = [m for m in models if study.applies_to(capabilities[m])]
    if not chosen:
        return [], (f"it needs models with {', '.join(sorted(study.requires))}; none of "
                    f"{', '.join(models)} has that")
    return chosen, None


def plan_cells(studies: Sequence[Study], models: Sequence[str],
               capabilities: Mapping[str, frozenset], datasets: Sequence,
               seeds: Iterable[int] | None) -> tuple[list[tuple], list[str]]:
    """Every cell of the grid, and a note for each (study, dataset) that has none.

    Parameters
    ----------
    studies : sequence of Study
    models : sequence of str
    capabilities : mapping of str to frozenset of str
    datasets : sequence of gdlab.data.Dataset
    seeds : iterable of int or None
        None: each study's :func:`default_seeds`.

    Returns
    -------
    tasks : list of (int, Cell, int)
        (index into ``studies``, cell, index into ``datasets``).
    notes : list of str

    Raises
    ------
    ValueError
        When a study yields one cell twice.
    """
    tasks, notes, seen = [], [], set()
    for di, dataset in enumerate(datasets):
        for si, study in enumerate(studies):
            chosen, reason = takers(study, dataset, models, capabilities)
            if reason is not None:
                notes.append(f"study {study.name!r} skipped on {dataset.name!r}: {reason}.")
                continue
            study_seeds = seeds if seeds is not None else default_seeds(study)
            for cell in study.cells(dataset, chosen, study_seeds):
                if cell.key in seen:
                    raise ValueError(f"study {study.name!r} produced the cell {cell.key} twice.")
                seen.add(cell.key)
                tasks.append((si, cell, di))
    return tasks, notes
