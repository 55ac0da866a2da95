"""What a study is: the tidy row schema, the grid cell, and the Study protocol.

A study measures one trade-off between models on one dataset. Its grid is
(model x dataset x setting x seed); each *cell* is one fit and yields tidy
rows, one per metric::

    study, dataset, model, family, setting, setting_value, seed, metric, value,
    fit_seconds, error

``setting`` names what the study varies ("train_size", "mcar_rate", "bin",
...) and ``setting_value`` its value (a float; NaN when the study has a single
setting). Curves that are not a single number (a reliability diagram, a ROC
curve) are rows too: one row per point, the x coordinate in the metric name's
companion row, e.g. metric ``"roc_tpr"`` at ``setting="fpr"``. A cell that
cannot run (a model that rejects the data) yields one row with ``metric =
"failed"``, ``value = NaN`` and the reason in ``error``; the grid goes on.
(``"error"`` as a metric is always the error rate, 1 - accuracy.)

Studies choose models by capability tags (:attr:`Study.requires`), never by
class name. The runner (:mod:`gdlab.studies.runner`) owns parallelism,
resuming and progress; a study only says which cells exist and how to run one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["ROW_COLUMNS", "NO_SETTING", "Cell", "Study", "make_row", "error_row"]

#: ``setting`` of a study that varies nothing but the seed (``setting_value`` is NaN).
NO_SETTING = "none"

#: Columns of every results table, in this order.
ROW_COLUMNS = (
    "study", "dataset", "model", "family", "setting", "setting_value", "seed",
    "metric", "value", "fit_seconds", "error",
)


@dataclass(frozen=True)
class Cell:
    """One fit of a study's grid. ``key`` identifies it for resuming."""

    study: str
    dataset: str
    model: str
    setting: str
    setting_value: float
    seed: int

    @property
    def key(self) -> tuple:
        value = None if np.isnan(self.setting_value) else round(float(self.setting_value), 12)
        return (self.study, self.dataset, self.model, self.setting, value, int(self.seed))


def make_row(cell: Cell, family: str, metric: str, value: float, fit_seconds: float) -> dict:
    """One tidy result row of ``cell``."""
    row = asdict(cell)
    row.update(family=family, metric=metric, value=float(value),
               fit_seconds=float(fit_seconds), error=None)
    return row


def error_row(cell: Cell, family: str, exc: BaseException) -> dict:
    """The row recorded for a cell whose model could not run, with the reason."""
    text = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    row = asdict(cell)
    row.update(family=family, metric="failed", value=np.nan, fit_seconds=np.nan, error=reason)
    return row


class Study(ABC):
    """Base class of every study.

    Subclasses set :attr:`name`, :attr:`requires` and implement
    :meth:`cells` and :meth:`run_cell`; :meth:`summarize`, :meth:`figures`
    and :meth:`reading` turn the rows into what the report shows.

    Parameters are keyword-only and stored unchanged (e.g. ``n_splits``,
    ``sizes``, ``rates``), like a scikit-learn estimator.
    """

    #: Short name used on the command line and in the results table.
    name: str = ""
    #: Capabilities a model must have to take part (see :data:`gdlab.base.CAPABILITIES`).
    requires: frozenset[str] = frozenset({"classify"})
    #: Modalities the study applies to.
    modalities: frozenset[str] = frozenset({"tabular", "image"})

    def per_model_seed_cells(self, dataset, models: Iterable[str], seeds) -> list[Cell]:
        """One cell per (model, seed) at ``setting="none"``, for studies that vary only the seed.

        ``seeds=None`` takes the study's ``default_seeds`` (``range(5)`` without one).
        """
        if seeds is None:
            seeds = getattr(self, "default_seeds", range(5))
        return [Cell(self.name, dataset.name, model, NO_SETTING, float("nan"), int(seed))
                for model in models for seed in seeds]

    def applies_to(self, capabilities: frozenset[str]) -> bool:
        """Whether a model with these capabilities takes part."""
        return self.requires <= capabilities

    @abstractmethod
    def cells(self, dataset, models: Iterable[str], seeds: Iterable[int]) -> list[Cell]:
        """Every cell of this study's grid for one dataset and the chosen models."""

    @abstractmethod
    def run_cell(self, cell: Cell, dataset, make_model: Callable[[], object]) -> list[dict]:
        """Run one cell: fit a fresh model from ``make_model()`` and return its rows.

        Must be deterministic given ``cell.seed`` and must not mutate ``dataset``.
        Exceptions from the model are turned into an :func:`error_row` by the runner.
        """

    @abstractmethod
    def summarize(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Aggregate over seeds (mean and 95 % interval), one row per model and setting."""

    @abstractmethod
    def figures(self, rows: pd.DataFrame) -> list:
        """Matplotlib figures for the report (the report inlines them as SVG)."""

    @abstractmethod
    def reading(self, rows: pd.DataFrame) -> list[str]:
        """Plain-language sentences computed from the numbers, for the report."""
