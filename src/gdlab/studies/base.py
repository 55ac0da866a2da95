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

__all__ = ["ROW_COLUMNS", "NO_SETTING", "Cell", "Headline", "Study", "make_row", "error_row"]

#: ``setting`` of a study that varies nothing but the seed (``setting_value`` is NaN).
NO_SETTING = "none"

#: Columns of every results table, in this order.
ROW_COLUMNS = (
    "study", "dataset", "model", "family", "setting", "setting_value", "seed",
    "metric", "value", "fit_seconds", "error",
)


@dataclass(frozen=True)
class Cell:
    """One fit of a study's grid. ``key`` identifies it for resuming.

    ``variant`` names what else the cell's rows depend on that the other
    fields do not show (the blend study's lambda grid, the augmentation
    study's imbalance fraction), so that a resumed run with other values of
    those parameters runs the cell again instead of reading stale rows. It
    enters :attr:`key` only when not empty (the keys of every other cell stay
    as they were) and is not a column of the rows.
    """

    study: str
    dataset: str
    model: str
    setting: str
    setting_value: float
    seed: int
    variant: str = ""

    @property
    def key(self) -> tuple:
        value = None if np.isnan(self.setting_value) else round(float(self.setting_value), 12)
        key = (self.study, self.dataset, self.model, self.setting, value, int(self.seed))
        return (*key, self.variant) if self.variant else key


@dataclass(frozen=True)
class Headline:
    """One number per model that a study puts in a comparison's summary, and how to read it.

    :func:`gdlab.comparison.summarize` makes one column of each headline of
    every study (the mean over seeds), and ``gdlab compare`` prints it, so a
    study declares what it reports and nothing else names its encoding.

    Parameters
    ----------
    column : str
        Summary column. When two studies declare one column, the first study
        (in report order) gives the value and a later one fills the models the
        first has no value for.
    metric : str
        The ``metric`` of the study's rows.
    header : str
        Console column header; ``{at}`` is replaced by the setting read.
    better : {"lower", "higher"}, default="lower"
        Which way is better.
    at : {"mean", "largest", "middle", "smallest"}, default="mean"
        Which ``setting_value`` is read: every one (averaged), the largest, the
        middle or the smallest one of the values present (of every model's rows
        together: a model with no value there shows none, rather than a mean
        over other settings than its neighbours').
    settings : tuple of str, optional
        Read only rows of these ``setting`` names (default: every setting).
    digits : int, default=3
        Decimals shown.
    legend : str, default=""
        One line explaining the column (``{at}`` as in ``header``); equal
        lines of several columns are printed once.
    at_name : str, optional
        Name under which the summary records the setting value it read (in
        ``DataFrame.attrs``), e.g. ``"train_size"``.
    at_format : str, default="{}"
        How the setting value reads in ``header`` and ``legend`` (``"{:.0%}"``).
    setting_value : float, optional
        Read only rows of this ``setting_value`` (e.g. one kind of anomaly, so
        kinds are never averaged together).
    """

    column: str
    metric: str
    header: str
    better: str = "lower"
    at: str = "mean"
    settings: tuple[str, ...] | None = None
    digits: int = 3
    legend: str = ""
    at_name: str | None = None
    at_format: str = "{}"
    setting_value: float | None = None

    def __post_init__(self):
        if self.better not in ("lower", "higher"):
            raise ValueError(f"better must be 'lower' or 'higher', got {self.better!r}.")
        if self.at not in ("mean", "largest", "middle", "smallest"):
            raise ValueError("at must be 'mean', 'largest', 'middle' or 'smallest', got "
                             f"{self.at!r}.")

    def pick_at(self, values):
        """The setting value read from the sorted ``values`` present (not for ``at="mean"``)."""
        return {"largest": values[-1], "middle": values[len(values) // 2],
                "smallest": values[0]}[self.at]

    def read(self, text: str, at) -> str:
        """``text`` (the header or legend) with ``{at}`` replaced by the setting value read."""
        if "{at}" not in text:
            return text
        shown = "?" if at is None or at != at else self.at_format.format(at)
        return text.replace("{at}", shown)


def make_row(cell: Cell, family: str, metric: str, value: float, fit_seconds: float) -> dict:
    """One tidy result row of ``cell``."""
    row = asdict(cell)
    del row["variant"]
    row.update(family=family, metric=metric, value=float(value),
               fit_seconds=float(fit_seconds), error=None)
    return row


def error_row(cell: Cell, family: str, exc: BaseException) -> dict:
    """The row recorded for a cell whose model could not run, with the reason."""
    text = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    row = asdict(cell)
    del row["variant"]
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
    #: Capabilities a model must have to take part (see :data:`gdlab.capability_tags.CAPABILITIES`).
    requires: frozenset[str] = frozenset({"classify"})
    #: Modalities the study applies to.
    modalities: frozenset[str] = frozenset({"tabular", "image"})
    #: What the study puts in a comparison's one-line-per-model summary (:class:`Headline`).
    headlines: tuple[Headline, ...] = ()
    #: A study that exists for models with these tags: when it is named and no models are,
    #: every registered model with them joins the defaults
    #: (:func:`gdlab.comparison.default_models_for`).
    default_model_tags: frozenset[str] = frozenset()
    #: The runner runs the cells of every model of one dataset and seed together (in one
    #: worker), instead of each with its model's other cells: for a study whose cells share
    #: work that does not depend on the model (the samples study's real-vs-real reference).
    groups_across_models: bool = False

    @classmethod
    def headline_rows(cls, rows: pd.DataFrame) -> pd.DataFrame:
        """The tidy rows :attr:`headlines` are read from (the summary, the report's table).

        By default the study's rows as they are. A study whose rows are not one
        series per run model overrides it to derive per-model rows, e.g. the
        blend study's best lambda per training size under the blend's own name.

        Parameters
        ----------
        rows : DataFrame with the columns of :data:`ROW_COLUMNS`
            This study's rows (failed cells included).

        Returns
        -------
        DataFrame with the same columns.
        """
        return rows

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
