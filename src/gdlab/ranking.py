"""Ranking candidates measured over the same splits, and the paired interval between two.

:func:`rank_candidates` orders candidates (models, or a model with one of its
ways of handling the data) best first by their mean metric over the splits,
exact ties broken by one documented rule (:data:`TIE_BREAKS`), never by the
order in which the means were summed; :func:`paired_difference` gives how much
better one candidate is than another with its 95 % Student t interval, paired
over the splits both were measured on. Pure arithmetic on a candidates x splits
table: the verdict (:mod:`gdlab.verdict`, through :mod:`gdlab.answers`) and the
advisor benchmarks use it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["TIE_TOLERANCE", "TIE_BREAKS", "TIE_BREAK_WHY", "rank_candidates",
           "rank_with_tie_break", "paired_difference", "mean_fit_seconds"]

_LEVEL = 0.95

#: Two candidates whose mean metrics differ by at most this much, relative to the
#: metric's scale (the largest absolute mean, at least 1), are tied. A real difference
#: between two mean test errors is at least one test row over all the splits
#: (about 1e-3 here), so this only merges means that are equal up to the order in
#: which they were summed; the tie is then broken by :func:`rank_candidates`' rule.
TIE_TOLERANCE = 1e-12

#: What broke a tie for the top place, as :func:`rank_with_tie_break` reports it.
TIE_BREAKS = ("prefer", "spread", "cost", "name")

#: Why the first of two candidates with the same mean was put first, per tie-break.
TIE_BREAK_WHY = {
    "prefer": "its fitted learning curve is still falling faster",
    "spread": "its values vary less over the splits",
    "cost": "it is cheaper to fit",
    "name": "it comes first by name (nothing else tells them apart)",
}


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


def rank_with_tie_break(per_seed: pd.DataFrame, *, better: str = "lower", prefer=None,
                        costs=None):
    """:func:`rank_candidates`, and what decided the top place.

    Parameters are those of :func:`rank_candidates`.

    Returns
    -------
    ranked : list
        The candidates, best first.
    decided : str or None
        None when the best mean stands alone (or no candidate has a value),
        else the tie-break that put the first before the second, one of
        :data:`TIE_BREAKS` (:data:`TIE_BREAK_WHY` says it in words).
    """
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
       ``target_rows`` (its fitted learning curve) when the target is
       within what the measured sizes support, so that among models
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
    return rank_with_tie_break(per_seed, better=better, prefer=prefer, costs=costs)[0]


def mean_fit_seconds(part: pd.DataFrame, candidate: str) -> dict:
    """Mean fit seconds per candidate of the rows compared (the cheaper wins a tie).

    Parameters
    ----------
    part : DataFrame
        Result rows, with the column ``candidate`` and perhaps ``fit_seconds``.
    candidate : str
        The column naming the candidates.

    Returns
    -------
    dict
        Candidate -> mean fit seconds (``costs`` of :func:`rank_candidates`);
        empty without a ``fit_seconds`` column.
    """
    if "fit_seconds" not in part.columns:
        return {}
    secs = pd.to_numeric(part["fit_seconds"], errors="coerce")
    return secs.groupby(part[candidate]).mean().dropna().to_dict()


def paired_difference(per_seed: pd.DataFrame, winner: str, runner_up: str, sign: float):
    """Mean per-split difference (runner-up worse = positive) and its 95 % t interval.

    Paired over the splits both candidates were measured on.

    Parameters
    ----------
    per_seed : DataFrame
        One row per candidate, one column per split.
    winner, runner_up : str
        Two candidates (rows of ``per_seed``).
    sign : float
        1.0 when lower values are better, -1.0 when higher are.

    Returns
    -------
    difference : float
        Mean of ``sign * (runner_up - winner)`` over the common splits; NaN
        with none.
    interval : (float, float) or None
        Student t interval of that mean; None with fewer than 2 common splits.
    significant : bool
        The interval excludes 0.

    Examples
    --------
    >>> per_seed = pd.DataFrame({0: [0.1, 0.2], 1: [0.1, 0.2], 2: [0.2, 0.32]},
    ...                         index=["a", "b"])
    >>> d, (lo, hi), significant = paired_difference(per_seed, "a", "b", 1.0)
    >>> round(d, 3), significant  # b is worse than a on every split
    (0.107, True)
    """
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
