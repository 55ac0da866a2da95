"""What the verdict returns and how it words it: :class:`Answer`, :class:`Advice`.

An :class:`Answer` is the verdict on one goal, :class:`Advice` the answers
to every goal with the overall recommendation (``advice.json``). Here
:func:`compare_candidates` turns the rows of the results that bear on a goal
into an :class:`Answer`: the candidates ranked (:mod:`gdlab.ranking`), the
pick and the runner-up with their paired interval, the candidates within its
noise, and the best generative against the best discriminative candidate.
The sentences of an answer are worded here too (:func:`because_and_reason`:
a tie, an untested lead, or the reason with its numbers), every number in its
metric's units by :func:`format_value`, the one formatter of the terminal,
the report and the answers. The goals themselves (which rows answer which
goal, why a model wins it) are :mod:`gdlab.verdict`'s, which also exports
both classes.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.ranking import (
    TIE_BREAK_WHY,
    mean_fit_seconds,
    paired_difference,
    rank_with_tie_break,
)

__all__ = ["Answer", "Advice", "compare_candidates", "because_and_reason", "with_reason",
           "contrast_label", "contrast_sentence", "family_of", "json_number", "format_value",
           "metric_label", "METRIC_UNITS", "FIXED_DECIMALS"]


@dataclass(frozen=True)
class Answer:
    """The answer to one goal.

    Attributes
    ----------
    goal : str
        One of :data:`gdlab.verdict.GOALS`.
    model, runner_up : str or None
        The recommended model and the next best; None when unanswered (or
        only one model was measured, for ``runner_up``).
    metric : str or None
        The metric compared (``"error"``, ``"ece"``, ``"auroc"``, ...).
    better : {"lower", "higher"}
    value, runner_up_value : float or None
        Their mean metric over the splits.
    difference : float or None
        How much better the model is than the runner-up, in the metric's units
        (positive: better).
    interval : (float, float) or None
        95 % interval of ``difference`` paired over the same splits; None with
        a single split.
    significant : bool
        The interval excludes 0 (for a prediction beyond the sizes measured,
        a kept measured best is not significant: see ``extrapolated``).
    because : str
        The verdict in plain language with its numbers (or why the goal is
        unanswered).
    reason : str
        The one-sentence reason alone (the trade-off it reflects), without
        the numbers.
    setting : str
        Where the comparison was read ("at 112 training rows", "noise
        inputs", ...).
    kind : str or None
        The number of labelled rows (``few_labels``), the kind of anomaly
        (``anomaly_detection``), of sample quality
        (``generation``: :data:`gdlab.verdict.GENERATION_KINDS`) or of cost
        (``cost``: :data:`gdlab.verdict.COST_KINDS`).
    rows : dict
        The filter selecting the supporting rows of the results: ``study``,
        ``metric``, ``setting``, ``setting_value``, ``models``.
    extrapolated : bool
        The answer is a learning-curve prediction beyond the sizes measured.
    values : dict
        Every candidate's mean metric (or prediction), the ranking the overall
        recommendation uses.
    tied_with : tuple of str
        Every other candidate whose paired interval against ``model`` includes
        0 (within the noise of the pick).
    contrast : dict or None
        The question gdlab exists for: the best generative (p(x, y)) candidate
        against the best discriminative (p(y | x)) one -- ``generative``,
        ``discriminative``, ``difference`` (positive: the generative one is
        better), ``interval``, ``significant`` (and, for a prediction beyond
        the sizes measured, ``beyond_data``); None when one family is absent.
    """

    goal: str
    model: str | None
    runner_up: str | None = None
    metric: str | None = None
    better: str = "lower"
    value: float | None = None
    runner_up_value: float | None = None
    difference: float | None = None
    interval: tuple[float, float] | None = None
    significant: bool = False
    because: str = ""
    reason: str = ""
    setting: str = ""
    kind: str | None = None
    rows: dict = field(default_factory=dict)
    extrapolated: bool = False
    values: dict = field(default_factory=dict)
    tied_with: tuple = ()
    contrast: dict | None = None

    @property
    def answered(self) -> bool:
        """Whether the results answer this goal."""
        return self.model is not None

    @property
    def tie(self) -> bool:
        """A runner-up within the noise: "no clear winner"."""
        return self.answered and self.runner_up is not None and not self.significant

    @property
    def untested(self) -> bool:
        """Ahead of the runner-up on a single split: no interval, so no test of the lead
        (not a tie: "no clear winner" would hide a lead of 0.16 against 0.50)."""
        return (self.tie and self.interval is None and self.difference is not None
                and self.difference > 0)

    @property
    def label(self) -> str:
        """The goal as a person reads it: "few labels (20 labels)"."""
        return self.goal.replace("_", " ") + (f" ({self.kind.replace('_', ' ')})"
                                              if self.kind else "")

    def headline(self) -> str:
        """One line: the pick, or the tie, or why there is none."""
        label = self.label
        if not self.answered:
            return f"{label}: unanswered. {self.because}"
        if self.runner_up is None:
            return f"{label}: {self.model} (the only model measured) {self.setting}".rstrip()
        if self.untested:
            return (f"{label}: {self.model}, ahead of {self.runner_up} on the one split "
                    f"measured (untested) {self.setting}".rstrip())
        if self.tie:
            return (f"{label}: no clear winner between {self.model} and {self.runner_up} "
                    f"{self.setting}".rstrip())
        return f"{label}: {self.model}, ahead of {self.runner_up} {self.setting}".rstrip()

    def to_dict(self) -> dict:
        """The answer in ``advice.json``'s schema."""
        return {
            "goal": self.goal, "kind": self.kind, "model": self.model,
            "runner_up": self.runner_up, "metric": self.metric, "better": self.better,
            "value": json_number(self.value), "runner_up_value": json_number(self.runner_up_value),
            "difference": json_number(self.difference),
            "interval": None if self.interval is None else [json_number(v) for v in self.interval],
            "significant": bool(self.significant), "tie": bool(self.tie),
            "untested": bool(self.untested),
            "extrapolated": bool(self.extrapolated), "setting": self.setting,
            "because": self.because, "reason": self.reason, "rows": self.rows,
            "values": {str(k): json_number(v) for k, v in self.values.items()},
            "tied_with": list(self.tied_with), "contrast": self.contrast,
        }


@dataclass(frozen=True)
class Advice:
    """What :func:`gdlab.advise` returns: the answers per goal and the overall recommendation.

    Attributes
    ----------
    dataset : str
    answers : list of Answer
    overall : dict
        ``model``, ``runner_up``, ``goals`` (the goals weighed, with weights),
        ``scores`` (each model's weighted mean rank; lower is better) and
        ``because``.
    notes : list of str
    """

    dataset: str
    answers: list
    overall: dict
    notes: list = field(default_factory=list)

    def answer(self, goal: str, kind: str | None = None) -> Answer:
        """The answer to ``goal`` (and ``kind``, for anomaly detection)."""
        for a in self.answers:
            if a.goal == goal and (kind is None or a.kind == kind):
                return a
        raise KeyError(f"no answer for goal {goal!r}"
                       + (f" and kind {kind!r}" if kind else "") + ".")

    def to_dict(self) -> dict:
        """``{"dataset", "answers": [...], "overall": {...}, "notes"}`` (``advice.json``)."""
        from gdlab._version import __version__

        return {"dataset": self.dataset, "gdlab_version": __version__,
                "answers": [a.to_dict() for a in self.answers], "overall": self.overall,
                "notes": list(self.notes)}

    def to_json(self, path) -> Path:
        """Write :meth:`to_dict` as JSON to ``path`` (e.g. ``advice.json``); return the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n",
                        encoding="utf-8")
        return path

    def summary(self) -> str:
        """The verdict as plain text: overall first, then one line per goal."""
        lines = [f"Verdict for {self.dataset}: {self.overall.get('because', '')}".rstrip()]
        lines += [f"- {a.headline()}" for a in self.answers]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def json_number(x):
    """A JSON-safe number: None for None / NaN / inf.

    Parameters
    ----------
    x : float or None

    Returns
    -------
    float or None

    Examples
    --------
    >>> json_number(0.5), json_number(float("nan")), json_number(None)
    (0.5, None, None)
    """
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def family_of(families, model) -> str:
    """The family of a candidate: its model's, read without a handling in parentheses.

    Parameters
    ----------
    families : dict
        Model name -> ``"generative"``, ``"discriminative"``, ...
    model : str
        A model, or a candidate such as ``"lda (native)"``.

    Returns
    -------
    str
        The family, or ``""`` for a model not in ``families``.

    Examples
    --------
    >>> family_of({"lda": "generative"}, "lda (native)")
    'generative'
    """
    return families.get(str(model).split(" (", 1)[0], "")


def compare_candidates(goal, part: pd.DataFrame, *, candidate: str, better: str,
                       metric: str, setting: str, rows: dict, because, families: dict,
                       kind=None) -> Answer:
    """Pick the best and the runner-up of ``part``: the :class:`Answer` to one goal.

    The candidates are ranked by :func:`~gdlab.ranking.rank_with_tie_break`
    (ties on the mean broken by the spread, then the mean fit seconds of
    ``part``), the lead over the runner-up is paired over the splits
    (:func:`~gdlab.ranking.paired_difference`), and the best generative and
    the best discriminative candidate are contrasted the same way.

    Parameters
    ----------
    goal : str
    part : DataFrame
        The result rows that answer the goal: columns ``candidate``, ``seed``,
        ``value`` (and ``fit_seconds``, when present).
    candidate : str
        The column naming what is compared (``"model"``, or a column of
        "model (handling)" candidates).
    better : {"lower", "higher"}
    metric : str
    setting : str
        Where the comparison was read, for the answer's text.
    rows : dict
        The filter selecting the supporting rows (``models`` is added).
    because : callable
        ``because(answer)`` -> the reason, one string or ``(because, short
        reason)``, e.g. from :func:`because_and_reason`.
    families : dict
        Model name -> family (:func:`family_of`).
    kind : str, optional
        The answer's ``kind``.

    Returns
    -------
    Answer
    """
    per_seed = part.pivot_table(index=candidate, columns="seed", values="value",
                                aggfunc="mean")
    means = per_seed.mean(axis=1).dropna()
    if means.empty:
        return Answer(goal, None, kind=kind, because="No finite values to compare.",
                      rows=rows)
    sign = 1.0 if better == "lower" else -1.0
    order, broke = rank_with_tie_break(per_seed.loc[means.index], better=better,
                                       costs=mean_fit_seconds(part, candidate))
    winner = order[0]
    runner = order[1] if len(order) > 1 else None
    diff, interval, significant = (np.nan, None, False)
    if runner is not None:
        diff, interval, significant = paired_difference(per_seed, winner, runner, sign)
    tied = tuple(str(c) for c in order[1:]
                 if not paired_difference(per_seed, winner, c, sign)[2])
    contrast = None
    best = {}
    for c in order:  # best first
        best.setdefault(family_of(families, c), c)
    if "generative" in best and "discriminative" in best:
        g, d = best["generative"], best["discriminative"]
        cd, ci, cs = paired_difference(per_seed, g, d, sign)
        contrast = {"generative": str(g), "discriminative": str(d),
                    "difference": json_number(cd),
                    "interval": None if ci is None else [json_number(v) for v in ci],
                    "significant": bool(cs)}
    rows = dict(rows, models=[m for m in (winner, runner) if m is not None])
    answer = Answer(goal, winner, runner, metric, better, float(means[winner]),
                    None if runner is None else float(means[runner]), json_number(diff),
                    interval, significant, setting=setting, kind=kind, rows=rows,
                    values={str(k): float(v) for k, v in means.items()}, tied_with=tied,
                    contrast=contrast)
    full, short = _split(because(answer))
    extra = f"{_tie_break_sentence(answer, broke)} {contrast_sentence(answer)}".strip()
    return with_reason(answer, (f"{full} {extra}".strip(), short))


def _tie_break_sentence(a: Answer, broke) -> str:
    """Say how an exact tie on the mean was broken (the rule of
    :func:`~gdlab.ranking.rank_candidates`), if it was."""
    if broke is None or a.runner_up is None:
        return ""
    return (f"{a.model} and {a.runner_up} have the same mean {metric_label(a.metric)}; "
            f"{a.model} is put first because {TIE_BREAK_WHY[broke]}.")


def _split(reason) -> tuple[str, str]:
    return reason if isinstance(reason, tuple) else (reason, reason)


def contrast_label(c: dict) -> str:
    """The contrast of an answer in a few words, for the terminal and the report.

    Parameters
    ----------
    c : dict
        :attr:`Answer.contrast`.

    Returns
    -------
    str
        "p(x, y) ahead", "p(y | x) ahead" or "no significant difference";
        a lead predicted beyond what the data supports says so.

    Examples
    --------
    >>> contrast_label({"difference": 0.02, "significant": True})
    'p(x, y) ahead'
    >>> contrast_label({"difference": -0.02, "significant": True, "beyond_data": True})
    'p(y | x) ahead (predicted beyond the data)'
    """
    if not c["significant"]:
        return "no significant difference"
    lead = "p(x, y) ahead" if c["difference"] > 0 else "p(y | x) ahead"
    return f"{lead} (predicted beyond the data)" if c.get("beyond_data") else lead


def contrast_sentence(a: Answer) -> str:
    """p(x, y) against p(y | x) for this goal, in one sentence.

    Parameters
    ----------
    a : Answer

    Returns
    -------
    str
        The sentence; ``""`` when the answer has no contrast, or one without
        an interval.
    """
    c = a.contrast
    if not c:
        return ""
    g, d = c["generative"], c["discriminative"]
    if c["interval"] is None:
        return ""
    lo, hi = (format_value(v, a.metric, signed=True) for v in c["interval"])
    if not c["significant"]:
        return (f"Best p(x, y) model {g} vs best p(y | x) model {d}: no significant "
                f"difference (95 % interval [{lo}, {hi}]).")
    ahead, behind = (g, d) if c["difference"] > 0 else (d, g)
    kind = "p(x, y)" if ahead == g else "p(y | x)"
    by = format_value(abs(c["difference"]), a.metric, signed=True).lstrip("+")
    if c.get("beyond_data"):
        return (f"The curves predict modelling {kind} ahead: {ahead} beats {behind} by {by} "
                f"(95 % interval [{lo}, {hi}]), an extrapolation beyond what the data can "
                f"support.")
    return (f"Modelling {kind} wins here: {ahead} beats {behind} by {by} "
            f"(95 % interval [{lo}, {hi}]).")


def with_reason(answer: Answer, reason) -> Answer:
    """The answer with its text.

    Parameters
    ----------
    answer : Answer
    reason : str or (str, str)
        ``(because, short reason)``, or one string for both.

    Returns
    -------
    Answer
        A copy with ``because`` and ``reason`` set.
    """
    because, short = _split(reason)
    return replace(answer, because=because, reason=short)


#: How a verdict number is shown, per metric: (scale, unit of a value, unit of a
#: difference, label). Rates are percentages whose differences are points; times and
#: memory keep their unit (milliseconds past 1,000 read as seconds); scores on [0, 1]
#: (:data:`FIXED_DECIMALS`) have three decimals; anything else 3 significant digits.
METRIC_UNITS = {
    "error": (100, " %", " pts", "error"),
    "ece": (100, " %", " pts", "ECE"),
    "accuracy": (100, " %", " pts", "accuracy"),
    "tstr_accuracy": (100, " %", " pts", "TSTR accuracy"),
    "fit_seconds": (1000, " ms", " ms", "fit time"),
    "predict_ms_per_1000": (1, " ms", " ms", "predict time per 1,000 rows"),
    "peak_memory_mb": (1, " MB", " MB", "peak memory in fit"),
    "auroc": (1, "", "", "AUROC"),
    "c2st_auc": (1, "", "", "|C2ST AUC - 0.5|"),
    "mmd": (1, "", "", "MMD²"),
}

#: Scores on [0, 1] shown with three decimals, so that a value, its rival and the
#: bounds of their difference line up ("0.940 vs 0.899", "+0.042 [-0.004, +0.087]"),
#: where 3 significant digits would write "0.94", "1" and "-0.00415".
FIXED_DECIMALS = frozenset({"auroc", "c2st_auc"})


def _significant(v: float, signed: bool) -> str:
    """3 significant digits, never in exponent notation above 1,000 (``"12,345"``)."""
    sign = "+" if signed else ""
    return f"{v:{sign},.0f}" if abs(v) >= 1000 else f"{v:{sign}.3g}"


def format_value(v, metric: str, *, signed: bool = False) -> str:
    """A verdict number in its metric's units (:data:`METRIC_UNITS`): the one formatter
    of the terminal, the report and :class:`Answer` text.

    ``signed=True`` formats a difference (a lead): rates in points, with a sign.

    Examples
    --------
    >>> format_value(0.11, "error"), format_value(0.011, "error", signed=True)
    ('11.0 %', '+1.1 pts')
    >>> format_value(0.00251, "fit_seconds"), format_value(1.1, "fit_seconds", signed=True)
    ('2.51 ms', '+1.1 s')
    >>> format_value(0.94, "auroc"), format_value(-0.00415, "auroc", signed=True)
    ('0.940', '-0.004')
    >>> format_value(None, "error")
    '—'
    """
    if v is None or not np.isfinite(v):
        return "—"
    scale, unit, diff_unit, _ = METRIC_UNITS.get(metric, (1, "", "", metric))
    v = scale * float(v)
    if scale == 100:
        text = f"{v:+.1f}{diff_unit}" if signed else f"{v:.1f}{unit}"
    elif metric in FIXED_DECIMALS:
        text = f"{v:+.3f}" if signed else f"{v:.3f}"
    elif unit == " ms" and abs(v) >= 1000:  # 1,100 ms reads as 1.1 s
        text = _significant(v / 1000, signed) + " s"
    else:
        text = _significant(v, signed) + (diff_unit if signed else unit)
    return text.replace("-0.000", "+0.000") if signed else text  # no "-0.000"


def metric_label(metric: str) -> str:
    """What a metric is called in the verdict ("fit time", "ECE", ...).

    Examples
    --------
    >>> metric_label("fit_seconds"), metric_label("something_else")
    ('fit time', 'something_else')
    """
    return METRIC_UNITS.get(metric, (1, "", "", metric))[3]


def _evidence(a: Answer) -> str:
    """The numbers of an answer in one clause."""
    label = metric_label(a.metric)
    if a.runner_up is None:
        return f"{a.model}: {label} {format_value(a.value, a.metric)}."
    diff = format_value(a.difference, a.metric, signed=True)
    text = (f"{a.model}: {label} {format_value(a.value, a.metric)}; {a.runner_up}: "
            f"{format_value(a.runner_up_value, a.metric)}")
    if a.interval is None:
        return text + f" (one split: no interval; difference {diff})."
    lo, hi = (format_value(v, a.metric, signed=True) for v in a.interval)
    return text + f"; difference {diff}, 95 % interval [{lo}, {hi}] over the same splits."


def because_and_reason(a: Answer, sentence: str, tie_why: str | None = None
                       ) -> tuple[str, str]:
    """The verdict with its numbers, and the reason alone, of an answer and its reason.

    A tie says "no clear winner" and an untested lead (one split) says so,
    before the numbers; otherwise ``sentence`` comes first.

    Parameters
    ----------
    a : Answer
        The answer, without its text.
    sentence : str
        Why its model wins the goal.
    tie_why : str, optional
        Why a tie is a tie, when not because the interval includes 0 (a
        measured best kept against an unsupported predicted lead).

    Returns
    -------
    (str, str)
        ``(because, reason)``, as :func:`with_reason` takes them.
    """
    if a.untested:
        return (f"{a.model} is ahead of {a.runner_up} on the one split measured; one split "
                f"gives no interval to test the lead (more --seeds would). {_evidence(a)}",
                f"On one split (untested): {sentence}")
    if a.tie and tie_why:  # not within the noise: a lead the data cannot support
        return (f"No clear winner between {a.model} and {a.runner_up}: {tie_why}. "
                f"{_evidence(a)}", f"Kept as the best measured: {sentence}")
    if a.tie:
        return (f"No clear winner between {a.model} and {a.runner_up}: the interval of "
                f"their difference includes 0. {_evidence(a)}",
                f"Within the noise; on average {sentence[0].lower()}{sentence[1:]}"
                if sentence[:1].isupper() and not sentence.startswith(a.model)
                else f"Within the noise; on average {sentence}")
    return f"{sentence} {_evidence(a)}", sentence

