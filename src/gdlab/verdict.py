"""The verdict: which model fits the user's task, per goal, with the evidence.

:func:`advise_rows` reads the tidy rows of a comparison (:func:`gdlab.compare`
computes it for every run; :func:`gdlab.advise` is the entry point that also
reads a results folder or runs the comparison) and answers each goal
separately -- ``accuracy``, ``accuracy_with_missing``, ``few_labels`` (one
answer per number of labelled rows of the semi_supervised study; by default
only when that study ran), ``calibration``, ``anomaly_detection`` (one answer
per kind of anomaly), ``generation`` (realism, usefulness) and ``cost`` (fit,
predict, memory) -- then gives one overall recommendation that says which
goals it weighed.

Each :class:`Answer` names the recommended model and the runner-up, the
difference between them with a 95 % interval *paired over the same splits*
(the mean per-split difference with a Student t interval), whether it is
significant, the rows of the results that support it, and one or two plain
sentences tying the verdict to the generative/discriminative trade-off. When
the interval contains zero the answer says "no clear winner between A and B":
an honest tie beats a false verdict. A goal the results cannot answer (no
rows, no model that samples) is an answer with no model and the reason.

With ``target_rows`` beyond the sizes measured, the accuracy answer comes from
the fitted learning curves (:mod:`gdlab.metrics.learning_curves`): expected
errors at that size, their paired difference bootstrapped over splits, and
where the curves of the two leading models cross.

Candidates with the same mean (a few test rows per split make exact ties
common) are ordered by one documented rule, :func:`rank_candidates`, never by
the order in which their means were summed: beyond the data, the model whose
curve is still falling fastest; then the steadier one over the splits; then
the cheaper one; then the name. A better mean is never overridden by it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["GOALS", "Answer", "Advice", "advise_rows", "check_options", "rank_candidates",
           "TIE_TOLERANCE", "MANIFEST"]

#: The goals :func:`advise` answers, in the order it reports them.
GOALS = ("accuracy", "accuracy_with_missing", "few_labels", "calibration",
         "anomaly_detection", "generation", "cost")

#: Goals answered by default only when the results hold their study's rows (asked by
#: name, they are reported as unanswered without them).
OPTIONAL_GOALS = {"few_labels": "semi_supervised"}

#: The file :func:`gdlab.compare` writes beside the results to say what made them.
MANIFEST = "manifest.json"

#: Weight of each goal in the overall recommendation (accuracy counts twice).
GOAL_WEIGHTS = {"accuracy": 2.0, "accuracy_with_missing": 1.0, "few_labels": 1.0,
                "calibration": 1.0,
                "anomaly_detection": 1.0, "generation": 1.0, "cost": 0.5}

_LEVEL = 0.95

#: Two candidates whose mean metrics differ by at most this much, relative to the
#: metric's scale (the largest absolute mean, at least 1), are tied. A real difference
#: between two mean test errors is at least one test row over all the splits
#: (about 1e-3 here), so this only merges means that are equal up to the order in
#: which they were summed; the tie is then broken by :func:`rank_candidates`' rule.
TIE_TOLERANCE = 1e-12


@dataclass(frozen=True)
class Answer:
    """The answer to one goal.

    Attributes
    ----------
    goal : str
        One of :data:`GOALS`.
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
        The interval excludes 0.
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
        (``generation``: :data:`GENERATION_KINDS`) or of cost (``cost``:
        :data:`COST_KINDS`).
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
        better), ``interval``, ``significant``; None when one family is absent.
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
            "value": _num(self.value), "runner_up_value": _num(self.runner_up_value),
            "difference": _num(self.difference),
            "interval": None if self.interval is None else [_num(v) for v in self.interval],
            "significant": bool(self.significant), "tie": bool(self.tie),
            "untested": bool(self.untested),
            "extrapolated": bool(self.extrapolated), "setting": self.setting,
            "because": self.because, "reason": self.reason, "rows": self.rows,
            "values": {str(k): _num(v) for k, v in self.values.items()},
            "tied_with": list(self.tied_with), "contrast": self.contrast,
        }


@dataclass(frozen=True)
class Advice:
    """What :func:`advise` returns: the answers per goal and the overall recommendation.

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


def _num(x):
    """A JSON-safe number: None for None / NaN / inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# ------------------------------------------------------------------------ the evidence
#: What broke a tie for the top place, as :func:`_rank` reports it.
TIE_BREAKS = ("prefer", "spread", "cost", "name")


def _check_mapping(name, value):
    if value is None:
        return {}
    if isinstance(value, pd.Series):
        return value.to_dict()
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict or pandas Series of candidate -> number, got "
                        f"{type(value).__name__}.")
    return value


def _tiers(items: list, key, tol: float) -> list[list]:
    """``items`` sorted by ``key`` (NaN last) and cut into groups whose keys are within ``tol``
    (relative to their scale) of the group's first."""
    vals = {i: float(key(i)) for i in items}
    finite = [i for i in items if math.isfinite(vals[i])]
    scale = max([1.0, *(abs(vals[i]) for i in finite)])
    groups: list[list] = []
    for i in sorted(finite, key=lambda i: vals[i]):
        if groups and vals[i] - vals[groups[-1][0]] <= tol * scale:
            groups[-1].append(i)
        else:
            groups.append([i])
    rest = [i for i in items if not math.isfinite(vals[i])]
    return groups + ([rest] if rest else [])


def _rank(per_seed: pd.DataFrame, *, better: str = "lower", prefer=None, costs=None):
    """:func:`rank_candidates` and what decided the top place: None when the best mean
    stands alone, else one of :data:`TIE_BREAKS`."""
    if not isinstance(per_seed, pd.DataFrame):
        raise TypeError(f"per_seed must be a DataFrame (candidates x splits), got "
                        f"{type(per_seed).__name__}.")
    if better not in ("lower", "higher"):
        raise ValueError(f"better must be 'lower' or 'higher', got {better!r}.")
    prefer = _check_mapping("prefer", prefer)
    costs = _check_mapping("costs", costs)
    sign = 1.0 if better == "lower" else -1.0
    values = per_seed.to_numpy(np.float64)
    ok = np.isfinite(values).any(axis=1)
    means = pd.Series(np.nan, index=per_seed.index)
    spread = pd.Series(np.nan, index=per_seed.index)
    with np.errstate(invalid="ignore", divide="ignore"):
        means[ok] = np.nanmean(values[ok], axis=1)
        many = np.isfinite(values).sum(axis=1) > 1
        spread[ok & many] = np.nanstd(values[ok & many], axis=1, ddof=1)
    keys = [
        lambda c: sign * means[c],
        lambda c: prefer.get(c, np.nan),
        lambda c: spread[c],
        lambda c: costs.get(c, np.nan),
    ]

    def order(items, level):
        if len(items) == 1:
            return items
        if level == len(keys):
            return sorted(items, key=str)
        return [c for group in _tiers(items, keys[level], TIE_TOLERANCE)
                for c in order(group, level + 1)]

    items = [c for c, good in zip(per_seed.index, ok, strict=True) if good]
    if not items:
        return [], None
    top = _tiers(items, keys[0], TIE_TOLERANCE)
    ranked = [c for group in top for c in order(group, 1)]
    decided = None
    if len(top[0]) > 1:  # which key separated the first two (both tied on the mean)
        decided = "name"
        for level, name in zip(range(1, len(keys)), TIE_BREAKS, strict=False):
            if len(_tiers(ranked[:2], keys[level], TIE_TOLERANCE)) > 1:
                decided = name
                break
    return ranked, decided


def rank_candidates(per_seed: pd.DataFrame, *, better: str = "lower", prefer=None,
                    costs=None) -> list:
    """Candidates best first: by their mean over the splits, ties broken by a fixed rule.

    With a few test rows per split, two models often have exactly the same mean
    error; which of them is "the measured best" must not depend on the order
    in which their means were summed. Means within :data:`TIE_TOLERANCE` of
    each other (relative to the metric's scale) are tied, and a tie is broken,
    in this order, by:

    1. ``prefer`` (lower first), when given: the advisor passes each model's
       predicted change of error from the largest measured size to
       ``target_rows`` (its fitted learning curve), so that among models
       equal today the one whose curve is still falling fastest is expected
       to be ahead at the larger size -- the Ng & Jordan trade-off, where the
       more flexible (discriminative) model keeps improving towards a lower
       asymptote after the generative one has levelled off;
    2. the spread of the candidate's values over the splits (standard
       deviation, lower first): of two models with the same mean, the steadier
       one is the safer pick at the size measured;
    3. ``costs`` (lower first), when given: the cheaper model (the advisor
       passes the mean fit seconds of the rows compared);
    4. the candidate's name, so that the order is always the same.

    Each tie-break only orders candidates whose means are tied: a candidate
    with a better mean is always ranked first.

    Parameters
    ----------
    per_seed : DataFrame
        One row per candidate, one column per split (NaN where not measured).
        Candidates with no finite value are left out.
    better : {"lower", "higher"}, default="lower"
        Whether a lower or a higher mean is better.
    prefer, costs : dict or Series, optional
        Candidate -> number, lower first; a candidate without one ranks after
        those with one.

    Returns
    -------
    list
        The candidates, best first.

    Raises
    ------
    TypeError
        ``per_seed`` is not a DataFrame, or ``prefer`` / ``costs`` not a dict
        or Series.
    ValueError
        ``better`` is neither "lower" nor "higher".

    Examples
    --------
    >>> per_seed = pd.DataFrame({0: [0.2, 0.1, 0.2], 1: [0.0, 0.1, 0.0]},
    ...                         index=["lda", "logreg", "nb"])
    >>> rank_candidates(per_seed)  # all tied at 0.1; logreg varies least over the splits
    ['logreg', 'lda', 'nb']
    >>> rank_candidates(per_seed, prefer={"nb": -0.02, "lda": -0.01, "logreg": 0.0})
    ['nb', 'lda', 'logreg']
    """
    return _rank(per_seed, better=better, prefer=prefer, costs=costs)[0]


def _costs(part: pd.DataFrame, candidate: str) -> dict:
    """Mean fit seconds per candidate of the rows compared (the cheaper wins a tie)."""
    if "fit_seconds" not in part.columns:
        return {}
    secs = pd.to_numeric(part["fit_seconds"], errors="coerce")
    return secs.groupby(part[candidate]).mean().dropna().to_dict()


def _paired(per_seed: pd.DataFrame, winner: str, runner_up: str, sign: float):
    """Mean per-split difference (runner-up worse = positive) and its t interval."""
    a = per_seed.loc[winner].dropna()
    b = per_seed.loc[runner_up].dropna()
    common = a.index.intersection(b.index)
    d = sign * (b[common] - a[common]).to_numpy(np.float64)
    if d.size == 0:
        return np.nan, None, False
    mean = float(d.mean())
    if d.size < 2:
        return mean, None, False
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf((1 + _LEVEL) / 2, d.size - 1)) * sd / math.sqrt(d.size)
    lo, hi = mean - half, mean + half
    return mean, (lo, hi), bool(lo > 0 or hi < 0)


def _compare(goal, part: pd.DataFrame, *, candidate: str, better: str, metric: str,
             setting: str, rows: dict, because, families: dict, kind=None) -> Answer:
    """Pick the best and the runner-up of ``part`` (columns candidate, seed, value)."""
    per_seed = part.pivot_table(index=candidate, columns="seed", values="value",
                                aggfunc="mean")
    means = per_seed.mean(axis=1).dropna()
    if means.empty:
        return Answer(goal, None, kind=kind, because="No finite values to compare.",
                      rows=rows)
    sign = 1.0 if better == "lower" else -1.0
    order, broke = _rank(per_seed.loc[means.index], better=better,
                         costs=_costs(part, candidate))
    winner = order[0]
    runner = order[1] if len(order) > 1 else None
    diff, interval, significant = (np.nan, None, False)
    if runner is not None:
        diff, interval, significant = _paired(per_seed, winner, runner, sign)
    tied = tuple(str(c) for c in order[1:] if not _paired(per_seed, winner, c, sign)[2])
    contrast = None
    best = {}
    for c in order:  # best first
        best.setdefault(_fam(families, c), c)
    if "generative" in best and "discriminative" in best:
        g, d = best["generative"], best["discriminative"]
        cd, ci, cs = _paired(per_seed, g, d, sign)
        contrast = {"generative": str(g), "discriminative": str(d), "difference": _num(cd),
                    "interval": None if ci is None else [_num(v) for v in ci],
                    "significant": bool(cs)}
    rows = dict(rows, models=[m for m in (winner, runner) if m is not None])
    answer = Answer(goal, winner, runner, metric, better, float(means[winner]),
                    None if runner is None else float(means[runner]), _num(diff), interval,
                    significant, setting=setting, kind=kind, rows=rows,
                    values={str(k): float(v) for k, v in means.items()}, tied_with=tied,
                    contrast=contrast)
    full, short = _split(because(answer))
    extra = f"{_tie_break_sentence(answer, broke)} {_contrast_sentence(answer)}".strip()
    return _with_reason(answer, (f"{full} {extra}".strip(), short))


#: Why the first of two candidates with the same mean was put first, per tie-break.
_TIE_BREAK_WHY = {
    "prefer": "its fitted learning curve is still falling faster",
    "spread": "its values vary less over the splits",
    "cost": "it is cheaper to fit",
    "name": "it comes first by name (nothing else tells them apart)",
}


def _tie_break_sentence(a: Answer, broke) -> str:
    """Say how an exact tie on the mean was broken (:func:`rank_candidates`), if it was."""
    if broke is None or a.runner_up is None:
        return ""
    return (f"{a.model} and {a.runner_up} have the same mean {metric_label(a.metric)}; "
            f"{a.model} is put first because {_TIE_BREAK_WHY[broke]}.")


def _split(reason) -> tuple[str, str]:
    return reason if isinstance(reason, tuple) else (reason, reason)


def _contrast_sentence(a: Answer) -> str:
    """p(x, y) against p(y | x) for this goal, in one sentence."""
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
    return (f"Modelling {kind} wins here: {ahead} beats {behind} by {by} "
            f"(95 % interval [{lo}, {hi}]).")


def _with_reason(answer: Answer, reason) -> Answer:
    """The answer with its text: ``reason`` is (because, short reason) or one string."""
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


def _tie_or(a: Answer, sentence: str) -> tuple[str, str]:
    """(the verdict with its numbers, the reason alone)."""
    if a.untested:
        return (f"{a.model} is ahead of {a.runner_up} on the one split measured; one split "
                f"gives no interval to test the lead (more --seeds would). {_evidence(a)}",
                f"On one split (untested): {sentence}")
    if a.tie:
        return (f"No clear winner between {a.model} and {a.runner_up}: the interval of "
                f"their difference includes 0. {_evidence(a)}",
                f"Within the noise; on average {sentence[0].lower()}{sentence[1:]}"
                if sentence[:1].isupper() and not sentence.startswith(a.model)
                else f"Within the noise; on average {sentence}")
    return f"{sentence} {_evidence(a)}", sentence


# --------------------------------------------------------------------------- the goals
def _family(rows: pd.DataFrame) -> dict:
    return dict(rows.drop_duplicates("model")[["model", "family"]].itertuples(index=False))


def _fam(families, model) -> str:
    return families.get(str(model).split(" (", 1)[0], "")


def _accuracy(rows, families, target_rows, notes) -> Answer:
    lc = rows[(rows["study"] == "learning_curve") & (rows["metric"] == "error")]
    lc = lc[np.isfinite(lc["value"].astype(float))]
    if lc.empty:
        cal = rows[(rows["study"] == "calibration") & (rows["metric"] == "error")]
        if cal.empty:
            return Answer("accuracy", None, because="No test errors in the results: run the "
                          "learning_curve (or calibration) study.")
        return _compare("accuracy", cal, families=families,
                        candidate="model", better="lower", metric="error",
                        setting="on the test part", because=lambda a: _accuracy_reason(
                            a, families, None), rows={"study": "calibration",
                                                      "metric": "error", "setting": "none"})
    sizes = np.sort(lc["setting_value"].unique())
    full = lc.groupby("setting_value")["model"].nunique()
    common = full[full == full.max()].index.to_numpy()
    measured = float(common.max())
    if target_rows is not None and target_rows > measured:
        return _extrapolated(rows, lc, families, float(target_rows), measured, notes)
    at = measured if target_rows is None else float(sizes[np.argmin(np.abs(np.log(sizes)
                                                                    - np.log(target_rows)))])
    if target_rows is not None and at != target_rows:
        notes.append(f"accuracy: read at {at:.0f} training rows, the measured size nearest "
                     f"to target_rows={target_rows:g}.")
    part = lc[lc["setting_value"] == at]
    return _compare("accuracy", part, families=families,
                    candidate="model", better="lower", metric="error",
                    setting=f"at {at:.0f} training rows",
                    because=lambda a: _accuracy_reason(a, families, at),
                    rows={"study": "learning_curve", "metric": "error",
                          "setting": "train_size", "setting_value": at})


def _accuracy_reason(a: Answer, families, at) -> str:
    fam = _fam(families, a.model)
    where = f" with {at:.0f} training rows" if at else ""
    if fam == "generative":
        why = (f"{a.model} models p(x, y): its few parameters are estimated well from few "
               f"rows, so it is ahead{where} (the generative side of Ng & Jordan's trade-off).")
    elif fam == "discriminative":
        why = (f"{a.model} models p(y | x) only: nothing is spent on the distribution of x, "
               f"so with enough rows its error is lowest{where} (a lower asymptote).")
    else:
        why = f"{a.model} has the lowest test error{where}."
    return _tie_or(a, why)


def _extrapolated(rows, lc, families, target, measured, notes) -> Answer:
    from gdlab.metrics import learning_curves as lcv

    curves = lcv.curves_from_rows(rows)
    counts = curves.groupby("model")["size"].nunique()
    curves = curves[curves["model"].isin(counts[counts >= 3].index)]
    if curves["model"].nunique() < 1:
        return Answer("accuracy", None, because="Too few training sizes per model (3 needed) "
                      "to extrapolate the learning curves.")
    pred = lcv.predict_at(curves, target).sort_values("predicted", kind="stable")
    winner = pred.index[0]
    runner = pred.index[1] if len(pred) > 1 else None
    # Evidence is not overturned without evidence: the curves may only displace the model
    # measured best at the largest size when their predicted lead over it is significant.
    # Models tied on the mean there are told apart by their curves (rank_candidates'
    # prefer): the one predicted to improve most from the measured size to the target.
    now_seed = lc[lc["setting_value"] == measured].pivot_table(
        index="model", columns="seed", values="value", aggfunc="mean")
    now_seed = now_seed[now_seed.index.isin(pred.index)]
    change = pred["predicted"] - lcv.predict_at(curves, measured, n_boot=10)["predicted"]
    at_now = lc[(lc["setting_value"] == measured) & lc["model"].isin(pred.index)]
    ranked, broke = _rank(now_seed, prefer=change, costs=_costs(at_now, "model"))
    measured_best = ranked[0] if ranked else None
    kept = None
    tie_note = ""
    if broke is not None:
        tie_note = (f"{ranked[0]} and {ranked[1]} have the same mean error at "
                    f"{measured:.0f} rows; {ranked[0]} is taken as the best measured because "
                    f"{_TIE_BREAK_WHY[broke]}.")
    if measured_best is not None and measured_best != winner:
        if not lcv.paired_difference_at(curves, winner, measured_best, target).significant:
            kept = winner
            order = [measured_best, *[m for m in pred.index if m != measured_best]]
            winner, runner = order[0], order[1]
    rows_f = {"study": "learning_curve", "metric": "error", "setting": "train_size",
              "setting_value": "all measured sizes", "models": [winner, runner]}
    if runner is None:
        return Answer("accuracy", winner, None, "error", "lower",
                      float(pred.loc[winner, "predicted"]), setting=f"at {target:.0f} rows "
                      "(predicted)", because="Only one model has a learning curve.",
                      rows=rows_f, extrapolated=True,
                      values={winner: float(pred.loc[winner, "predicted"])})
    d = lcv.paired_difference_at(curves, runner, winner, target)
    answer = Answer("accuracy", winner, runner, "error", "lower",
                    float(pred.loc[winner, "predicted"]), float(pred.loc[runner, "predicted"]),
                    d.difference,
                    None if not (np.isfinite(d.lo) and np.isfinite(d.hi)) else (d.lo, d.hi),
                    d.significant,
                    setting=f"at {target:.0f} training rows (predicted)", rows=rows_f,
                    extrapolated=True,
                    values={str(m): float(v) for m, v in pred["predicted"].items()})
    best = {}
    for m in pred.index:  # best predicted first
        best.setdefault(_fam(families, m), m)
    if "generative" in best and "discriminative" in best:
        g, disc = best["generative"], best["discriminative"]
        c = lcv.paired_difference_at(curves, disc, g, target)
        answer = replace(answer, contrast={
            "generative": g, "discriminative": disc, "difference": _num(c.difference),
            "interval": [_num(c.lo), _num(c.hi)], "significant": bool(c.significant)})
    sentences = [tie_note] if tie_note else []
    if kept is not None:
        sentences.append(f"The curves put {kept} ahead at {target:.0f} rows, but not "
                         f"significantly ahead of {winner}, the best at {measured:.0f} rows, "
                         f"so {winner} is kept.")
    cr = lcv.crossover(curves, winner, runner, max_rows=max(target, 2 * measured))
    if cr is not None:
        sentences.append(cr.describe())
    elif measured_best == winner:
        sentences.append(f"{winner} already leads at {measured:.0f} rows and its fitted curve "
                         f"stays below {runner}'s up to {target:.0f}.")
    beyond = d.beyond_data or bool(pred.loc[[winner, runner], "beyond_data"].any())
    if beyond:
        sentences.append(f"{target:.0f} rows is far beyond the {measured:.0f} measured (or "
                         "the curves are too noisy): this is beyond what the data can "
                         "support, treat it as a hint.")
        notes.append("accuracy: extrapolated beyond what the measured sizes support.")
    full, short = _accuracy_reason(answer, families, None)
    extra = " ".join([*sentences, _contrast_sentence(answer)]).strip()
    return _with_reason(answer, ((f"Expected from the fitted learning curves "
                                  f"(error = a + b m^-c): {full} {extra}").strip(),
                                 f"{short} {extra}".strip()))


def _missing(rows, families, missing_rate, notes) -> Answer:
    md = rows[(rows["study"] == "missing_data") & (rows["metric"] == "error")
              & rows["setting"].astype(str).str.contains(":predict:")]
    md = md[np.isfinite(md["value"].astype(float))]
    if md.empty:
        return Answer("accuracy_with_missing", None, because="No missing-data rows: run the "
                      "missing_data study (gdlab compare -s missing_data).")
    rates = np.sort(md["setting_value"].unique())
    if missing_rate is None:
        nonzero = rates[rates > 0]
        rate = float(nonzero[len(nonzero) // 2]) if len(nonzero) else float(rates[-1])
    else:
        rate = float(rates[np.argmin(np.abs(rates - missing_rate))])
        if not math.isclose(rate, missing_rate):
            notes.append(f"accuracy_with_missing: read at {rate:.0%} missing, the measured "
                         f"rate nearest to missing_rate={missing_rate:g}.")
    part = md[md["setting_value"] == rate].copy()
    handling = part["setting"].astype(str).str.rsplit(":", n=1).str[-1]
    part["candidate"] = part["model"] + " (" + handling + ")"
    mechanism = str(part["setting"].iloc[0]).split("_", 1)[0].upper()

    def reason(a):
        fam = _fam(families, a.model)
        if "(native)" in a.model and fam == "generative":
            why = (f"{a.model.split(' (')[0]} marginalizes the missing features under its "
                   "model of p(x, y) instead of guessing them, which is what a generative "
                   "model can do and p(y | x) cannot.")
        elif "(native)" in a.model:
            why = f"{a.model.split(' (')[0]} handles missing entries natively."
        else:
            why = (f"{a.model.split(' (')[0]} (its missing entries mean-imputed) has the "
                   "lowest error with missing entries.")
        return _tie_or(a, why)

    return _compare("accuracy_with_missing", part, families=families,
                    candidate="candidate", better="lower",
                    metric="error", setting=f"with {rate:.0%} of test entries missing "
                    f"({mechanism})", because=reason,
                    rows={"study": "missing_data", "metric": "error",
                          "setting": sorted(part["setting"].unique()), "setting_value": rate})


def _few_labels(rows, families) -> list[Answer]:
    """One answer per number of labelled rows of the semi_supervised study (all rows labelled
    left out: that is the accuracy goal)."""
    ss = rows[(rows["study"] == "semi_supervised") & (rows["setting"] == "n_labelled")]
    err = ss[(ss["metric"] == "error") & np.isfinite(ss["value"].astype(float))]
    if err.empty:
        return [Answer("few_labels", None, because="No semi-supervised rows: run the "
                       "semi_supervised study (gdlab compare -s semi_supervised).")]
    counts = np.sort(err["setting_value"].unique())
    gains = ss[ss["metric"] == "gain"]
    if len(counts) > 1:
        counts = counts[:-1]  # the largest is every training row labelled
    out = []
    for n in counts:
        part = err[err["setting_value"] == n]
        gain = gains[gains["setting_value"] == n].groupby("model")["value"].mean()

        def reason(a, n=n, gain=gain):
            if a.model in gain.index:
                g = float(gain[a.model])
                alone = format_value(a.value + g, "error") if a.value is not None else "—"
                size = format_value(abs(g), "error", signed=True).lstrip("+")
                effect = ("leave its error unchanged" if round(100 * abs(g), 1) == 0
                          else f"lower its error by {size}" if g > 0
                          else f"raise its error by {size}")
                why = (f"{a.model} learns from the unlabelled rows too: with {int(n)} labelled "
                       f"rows they {effect} ({alone} when it is fit on the labelled rows "
                       "alone).")
            else:
                why = (f"{a.model} learns best from the {int(n)} labelled rows alone; no model "
                       "here that uses the unlabelled rows does better.")
            return _tie_or(a, why)

        out.append(_compare("few_labels", part, families=families, candidate="model",
                            better="lower", metric="error",
                            setting=f"with {int(n)} labelled training rows, the rest unlabelled",
                            because=reason, kind=f"{int(n)} labels",
                            rows={"study": "semi_supervised", "metric": "error",
                                  "setting": "n_labelled", "setting_value": float(n)}))
    return out


def _calibration(rows, families) -> Answer:
    cal = rows[(rows["study"] == "calibration") & (rows["metric"] == "ece")]
    if cal.empty:
        return Answer("calibration", None, because="No calibration rows: run the calibration "
                      "study.")

    def reason(a):
        return _tie_or(a, f"{a.model}'s predicted probabilities match the observed frequencies "
                       "best (lowest expected calibration error).")

    return _compare("calibration", cal, families=families,
                    candidate="model", better="lower", metric="ece",
                    setting="on the test part", because=reason,
                    rows={"study": "calibration", "metric": "ece", "setting": "none"})


def _anomaly(rows, families) -> list[Answer]:
    from gdlab.studies.ood import KIND_LABELS, OOD_KINDS

    auc = rows[(rows["study"] == "ood") & (rows["setting"] == "kind")
               & rows["metric"].isin(["auroc_density", "auroc_confidence"])]
    auc = auc[np.isfinite(auc["value"].astype(float))]
    if auc.empty:
        return [Answer("anomaly_detection", None, because="No OOD rows: run the ood study.")]
    out = []
    for value in sorted(auc["setting_value"].unique()):
        kind = OOD_KINDS[int(value)]
        part = auc[auc["setting_value"] == value].copy()
        detector = part["metric"].str.removeprefix("auroc_").map(
            {"density": "-log p(x)", "confidence": "confidence"})
        part["candidate"] = part["model"] + " (" + detector + ")"

        def reason(a, kind=kind):
            if "-log p(x)" in a.model:
                why = (f"{a.model.split(' (')[0]} scores how unlikely a row is under its "
                       f"density p(x), which flags {KIND_LABELS[kind]} that a classifier's "
                       "confidence does not see; only generative models have it.")
            else:
                why = (f"{a.model.split(' (')[0]}'s low top-class probability flags "
                       f"{KIND_LABELS[kind]} best.")
            return _tie_or(a, why)

        out.append(_compare("anomaly_detection", part, families=families, candidate="candidate",
                            better="higher", metric="auroc", setting=f"on {KIND_LABELS[kind]}",
                            because=reason, kind=kind,
                            rows={"study": "ood", "metric": ["auroc_density",
                                                             "auroc_confidence"],
                                  "setting": "kind", "setting_value": float(value)}))
    return out


#: The two questions the ``generation`` goal answers apart, each from its own metric
#: of the samples study: do the samples look real (a classifier two-sample test, MMD
#: when it is missing), and are they useful (train on synthetic, test on real).
GENERATION_KINDS = {
    "realism": (("c2st_auc", "lower", "(a two-sample test against real rows; 0 = "
                 "indistinguishable)", "its samples are the hardest to tell from real rows"),
                ("mmd", "lower", "(MMD to real rows)", "its samples are closest to the real "
                 "rows (smallest MMD)")),
    "usefulness": (("tstr_accuracy", "higher", "(train on synthetic, test on real)",
                    "a classifier trained on its samples does best on real test rows"),),
}


def _generation(rows, families) -> list[Answer]:
    s = rows[rows["study"] == "samples"]
    s = s[np.isfinite(s["value"].astype(float))]
    out = []
    for kind, choices in GENERATION_KINDS.items():
        present = [c for c in choices if (s["metric"] == c[0]).any()]
        if not present:
            out.append(Answer("generation", None, kind=kind, because=(
                f"No {' or '.join(c[0] for c in choices)} rows: no model here samples, or "
                "the samples study did not run.")))
            continue
        metric, better, setting, what = present[0]
        part = s[s["metric"] == metric]
        if metric == "c2st_auc":  # an AUC below 0.5 is as far from "indistinguishable"
            part = part.assign(value=(part["value"].astype(float) - 0.5).abs())

        def reason(a, what=what, kind=kind):
            rows = "realistic" if kind == "realism" else "useful"  # TSTR is not realism
            return _tie_or(a, f"{a.model} draws the most {rows} rows: {what}.")

        out.append(_compare("generation", part, families=families, candidate="model",
                            better=better, metric=metric, setting=setting, because=reason,
                            kind=kind,
                            rows={"study": "samples", "metric": metric, "setting": "none"}))
    return out


def _fit_costs(rows) -> pd.Series:
    cost = rows[(rows["study"] == "cost") & (rows["metric"] == "fit_seconds")]
    return cost.groupby("model")["value"].mean()


#: The kinds of cost answered apart: (metric of the cost study, what the pick does best).
COST_KINDS = {
    "fit": ("fit_seconds", "fits fastest"),
    "predict": ("predict_ms_per_1000", "predicts fastest"),
    "memory": ("peak_memory_mb", "needs the least memory to fit"),
}


def _cost(rows, families) -> list[Answer]:
    out = []
    for kind, (metric, what) in COST_KINDS.items():
        cost = rows[(rows["study"] == "cost") & (rows["metric"] == metric)]
        if cost.empty:
            out.append(Answer("cost", None, kind=kind,
                              because=f"No {metric} rows: run the cost study."))
            continue

        def reason(a, what=what):
            return _tie_or(a, f"{a.model} {what}.")

        out.append(_compare("cost", cost, families=families, candidate="model",
                            better="lower", metric=metric, setting=f"({metric_label(metric)})",
                            because=reason, kind=kind,
                            rows={"study": "cost", "metric": metric, "setting": "none"}))
    return out


# ---------------------------------------------------------------------------- overall
def _ranks(answers) -> dict:
    """Per goal answered: each model's rank (1 = best), a model ranked by its best candidate
    (e.g. its better anomaly score, or its own missing-value handling)."""
    out = {}
    for a in answers:
        if not a.answered or not a.values:
            continue
        best: dict = {}
        for candidate, v in a.values.items():
            model = candidate.split(" (", 1)[0]
            v = v if a.better == "lower" else -v
            best[model] = min(best.get(model, np.inf), v)
        key = a.goal + (f":{a.kind}" if a.kind else "")
        out[key] = pd.Series(best).rank(method="min").to_dict()
    return out


def _overall(answers, budget_models) -> dict:
    ranks = _ranks(answers)
    if not ranks:
        return {"model": None, "runner_up": None, "goals": {}, "scores": {},
                "because": "No goal could be answered from these results."}
    weights = {}
    for key in ranks:
        goal = key.split(":", 1)[0]
        n_kinds = sum(k.split(":", 1)[0] == goal for k in ranks)
        weights[key] = GOAL_WEIGHTS.get(goal, 1.0) / n_kinds
    models = set().union(*(set(r) for r in ranks.values()))
    if budget_models is not None:
        models &= set(budget_models)
    scores = {}
    for m in models:
        got = [(weights[k], r[m]) for k, r in ranks.items() if m in r]
        total = sum(w for w, _ in got)
        # a model missing from a goal (it cannot do it) ranks last there
        missing = [(weights[k], len(r) + 1) for k, r in ranks.items() if m not in r]
        total += sum(w for w, _ in missing)
        scores[m] = sum(w * v for w, v in got + missing) / total
    order = sorted(scores, key=lambda m: (scores[m], m))
    best = order[0]
    runner = order[1] if len(order) > 1 else None
    goals = {k: round(w, 3) for k, w in weights.items()}
    pretty = [k.replace("_", " ").replace(":", " (") + (")" if ":" in k else "")
              for k in ranks]
    acc = next((a for a in answers if a.goal == "accuracy" and a.answered), None)
    text = (f"{best} ranks best over the goals weighed (weighted mean rank "
            f"{scores[best]:.2f} over {len(ranks)} goal{'s' if len(ranks) != 1 else ''}: "
            f"{', '.join(pretty)}" + ("; accuracy weighs double)" if "accuracy" in ranks
                                      else ")"))
    if runner is not None:
        level = math.isclose(scores[runner], scores[best], rel_tol=0, abs_tol=1e-9)
        text += (f", level with {runner}" if level else f", ahead of {runner}") + \
            f" ({scores[runner]:.2f})"
    text += "."
    answered = [a for a in answers if a.answered and a.runner_up is not None]
    ties = sum(a.tie and not a.untested for a in answered)
    untested = sum(a.untested for a in answered)
    if answered and (ties + untested) * 2 >= len(answered):
        are = ("goal" if len(answered) == 1 else "goals") + (" is" if ties == 1 else " are")
        text += f" {ties} of {len(answered)} {are} within the noise (no clear winner)"
        text += (f" and {untested} rest{'s' if untested == 1 else ''} on one split (untested)"
                 if untested else "")
        text += ": more splits (--seeds) or more rows would sharpen the verdict."
    if acc is not None and acc.model != best:
        text += (f" For accuracy alone, {acc.model} measured best, within the noise of "
                 f"{acc.runner_up}." if acc.tie and not acc.untested
                 else f" For accuracy alone, pick {acc.model}.")
    return {"model": best, "runner_up": runner, "goals": goals,
            "scores": {m: round(scores[m], 3) for m in order}, "because": text}


# ------------------------------------------------------------------------------ entry
def check_options(goals=None, target_rows=None, missing_rate=None, budget=None) -> list[str]:
    """Validate :func:`advise`'s options before any work; return the goals as a list.

    Raises
    ------
    ValueError
        An unknown goal, ``target_rows`` below 1, ``missing_rate`` outside
        [0, 1), a budget that is not a positive number of seconds.
    """
    if goals is None:
        goals = list(GOALS)
    elif isinstance(goals, str):
        goals = [goals]
    goals = list(goals)
    unknown = [g for g in goals if g not in GOALS]
    if unknown or not goals:
        raise ValueError(f"unknown goal(s) {unknown or goals!r}; known goals: "
                         f"{', '.join(GOALS)}.")
    if target_rows is not None and (isinstance(target_rows, bool)
                                    or not isinstance(target_rows, (int, float, np.number))
                                    or not math.isfinite(target_rows) or target_rows < 1):
        raise ValueError(f"target_rows must be a number of training rows >= 1, got "
                         f"{target_rows!r}.")
    if missing_rate is not None and (isinstance(missing_rate, bool)
                                     or not isinstance(missing_rate, (int, float, np.number))
                                     or not 0 <= missing_rate < 1):
        raise ValueError(f"missing_rate must be a fraction in [0, 1), got {missing_rate!r}.")
    if budget is not None and (isinstance(budget, bool)
                               or not isinstance(budget, (int, float, np.number))
                               or not math.isfinite(budget) or budget <= 0):
        raise ValueError(f"budget must be a positive number of fit seconds, got {budget!r}.")
    return goals


def advise_rows(rows: pd.DataFrame, *, dataset: str | None = None, goals=None,
                target_rows=None, missing_rate=None, budget=None) -> Advice:
    """The verdict from a table of results (the rows :func:`gdlab.compare` measured).

    Parameters are those of :func:`gdlab.advice.advise`, without ``source``
    (``dataset`` names the data in the verdict).
    """
    default_goals = goals is None
    goals = check_options(goals, target_rows, missing_rate, budget)
    from gdlab.studies.base import ROW_COLUMNS

    missing = set(ROW_COLUMNS) - set(rows.columns)
    if missing:
        raise ValueError(f"rows lack the result columns {sorted(missing)}.")
    rows = rows[rows["metric"] != "failed"]
    if rows.empty:
        raise ValueError("the results hold no measurements (every cell failed or none ran).")
    if default_goals:
        present = set(rows["study"].unique())
        goals = [g for g in goals if OPTIONAL_GOALS.get(g, "") in present | {""}]
    notes: list[str] = []
    budget_models = None
    if budget is not None:
        costs = _fit_costs(rows)
        if costs.empty:
            raise ValueError("a fit-time budget needs the cost study's rows; run gdlab compare "
                             "-s cost (or leave the budget out).")
        within = costs[costs <= budget]
        if within.empty:
            raise ValueError(f"no model fits within {budget:g} s; the cheapest, "
                             f"{costs.idxmin()}, takes {costs.min():.3g} s.")
        budget_models = set(within.index)
        over = sorted(set(costs.index) - budget_models)
        if over:
            notes.append(f"over the {budget:g} s fit budget, left out: {', '.join(over)}.")
        rows = rows[rows["model"].isin(budget_models) | ~rows["model"].isin(costs.index)]
    if target_rows is not None:
        lc = rows[(rows["study"] == "learning_curve") & (rows["metric"] == "error")]
        if len(lc) and target_rows < float(lc["setting_value"].min()):
            raise ValueError(f"target_rows={target_rows:g} is below the smallest training "
                             f"size measured ({lc['setting_value'].min():.0f}).")
    families = _family(rows)
    answers: list[Answer] = []
    for goal in goals:
        if goal == "accuracy":
            answers.append(_accuracy(rows, families, target_rows, notes))
        elif goal == "accuracy_with_missing":
            answers.append(_missing(rows, families, missing_rate, notes))
        elif goal == "few_labels":
            answers.extend(_few_labels(rows, families))
        elif goal == "calibration":
            answers.append(_calibration(rows, families))
        elif goal == "anomaly_detection":
            answers.extend(_anomaly(rows, families))
        elif goal == "generation":
            answers.extend(_generation(rows, families))
        else:
            answers.extend(_cost(rows, families))
    if not any(a.answered for a in answers):
        asked = ", ".join(goals)
        raise ValueError(f"the results hold no rows for the goal(s) asked ({asked}): "
                         + " ".join(a.because for a in answers))
    if dataset is None:
        names = rows["dataset"].dropna().unique()
        dataset = ", ".join(map(str, names)) if len(names) else "the data"
    return Advice(str(dataset), answers, _overall(answers, budget_models), notes)
