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

Each :class:`~gdlab.answers.Answer` names the recommended model and the runner-up, the
difference between them with a 95 % interval *paired over the same splits*
(the mean per-split difference with a Student t interval), whether it is
significant, the rows of the results that support it, and one or two plain
sentences tying the verdict to the generative/discriminative trade-off. When
the interval contains zero the answer says "no clear winner between A and B":
an honest tie beats a false verdict. A goal the results cannot answer (no
rows, no model that samples) is an answer with no model and the reason. The
answers are built and worded by :mod:`gdlab.answers`; this module decides
which rows answer which goal and why a model wins it.

With ``target_rows`` beyond the sizes measured, the accuracy answer comes from
the fitted learning curves (:mod:`gdlab.metrics.learning_curves`): expected
errors at that size, their paired difference bootstrapped over splits, and
where the curves of the two leading models cross. The model measured best at
the largest size is kept unless another's predicted lead is significant and
within what the data supports (``beyond_data`` false: the target at most
``EXTRAPOLATION_LIMIT`` times the largest size measured).

Candidates with the same mean (a few test rows per split make exact ties
common) are ordered by one documented rule,
:func:`~gdlab.ranking.rank_candidates`, never by the order in which their
means were summed: beyond the sizes measured but within what they support
(``target_rows`` at most ``EXTRAPOLATION_LIMIT`` times the largest), the model
whose curve is still falling fastest; then the steadier one over the splits;
then the cheaper one; then the name. A better mean is never overridden by it.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd

from gdlab.answers import (
    Advice,
    Answer,
    because_and_reason,
    compare_candidates,
    contrast_sentence,
    family_of,
    format_value,
    json_number,
    metric_label,
    with_reason,
)
from gdlab.ranking import (
    TIE_BREAK_WHY,
    TIE_TOLERANCE,
    mean_fit_seconds,
    rank_candidates,
    rank_with_tie_break,
)

# Answer, Advice, format_value and metric_label live in gdlab.answers, rank_candidates and
# TIE_TOLERANCE in gdlab.ranking; they are importable from here too.
__all__ = ["GOALS", "Answer", "Advice", "advise_rows", "check_options", "rank_candidates",
           "TIE_TOLERANCE", "MANIFEST", "format_value", "metric_label"]

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

# --------------------------------------------------------------------------- the goals
def _family(rows: pd.DataFrame) -> dict:
    return dict(rows.drop_duplicates("model")[["model", "family"]].itertuples(index=False))


def _accuracy(rows, families, target_rows, notes) -> Answer:
    lc = rows[(rows["study"] == "learning_curve") & (rows["metric"] == "error")]
    lc = lc[np.isfinite(lc["value"].astype(float))]
    if lc.empty:
        cal = rows[(rows["study"] == "calibration") & (rows["metric"] == "error")]
        if cal.empty:
            return Answer("accuracy", None, because="No test errors in the results: run the "
                          "learning_curve (or calibration) study.")
        return compare_candidates(
            "accuracy", cal, families=families, candidate="model", better="lower",
            metric="error", setting="on the test part",
            because=lambda a: _accuracy_reason(a, families, None),
            rows={"study": "calibration", "metric": "error", "setting": "none"})
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
    return compare_candidates(
        "accuracy", part, families=families, candidate="model", better="lower",
        metric="error", setting=f"at {at:.0f} training rows",
        because=lambda a: _accuracy_reason(a, families, at),
        rows={"study": "learning_curve", "metric": "error", "setting": "train_size",
              "setting_value": at})


def _accuracy_reason(a: Answer, families, at, tie_why=None) -> tuple[str, str]:
    fam = family_of(families, a.model)
    where = f" with {at:.0f} training rows" if at else ""
    if fam == "generative":
        why = (f"{a.model} models p(x, y): its few parameters are estimated well from few "
               f"rows, so it is ahead{where} (the generative side of Ng & Jordan's trade-off).")
    elif fam == "discriminative":
        why = (f"{a.model} models p(y | x) only: nothing is spent on the distribution of x, "
               f"so with enough rows its error is lowest{where} (a lower asymptote).")
    else:
        why = f"{a.model} has the lowest test error{where}."
    return because_and_reason(a, why, tie_why)


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
    # measured best at the largest size when their predicted lead over it is significant
    # and the extrapolation is within what the measured sizes support (not beyond_data:
    # at most EXTRAPOLATION_LIMIT times the largest size, intervals not too wide). On the
    # 220 cases of benchmarks/advisor_regret.py past that limit, switching lost to keeping
    # the measured best; within it (110 cases), it won (README, "How right is it?").
    now_seed = lc[lc["setting_value"] == measured].pivot_table(
        index="model", columns="seed", values="value", aggfunc="mean")
    now_seed = now_seed[now_seed.index.isin(pred.index)]
    # Within what the data supports, models tied on the mean are ordered by their curves
    # (the one predicted to improve most first); farther out the curves decide nothing and
    # the current-size rule orders them (on the benchmark's 220 cases past that limit,
    # breaking ties by the curves cost 0.03-0.05 points of regret).
    change = None
    if target <= lcv.EXTRAPOLATION_LIMIT * measured:
        change = pred["predicted"] - lcv.predict_at(curves, measured, n_boot=10)["predicted"]
    at_now = lc[(lc["setting_value"] == measured) & lc["model"].isin(pred.index)]
    ranked, broke = rank_with_tie_break(now_seed, prefer=change,
                                        costs=mean_fit_seconds(at_now, "model"))
    measured_best = ranked[0] if ranked else None
    kept = None
    tie_note = ""
    if broke is not None:
        tie_note = (f"{ranked[0]} and {ranked[1]} have the same mean error at "
                    f"{measured:.0f} rows; {ranked[0]} is taken as the best measured because "
                    f"{TIE_BREAK_WHY[broke]}.")
    kept_beyond = False
    if measured_best is not None and measured_best != winner:
        lead = lcv.paired_difference_at(curves, winner, measured_best, target)
        if not lead.significant or lead.beyond_data:
            kept, kept_beyond = winner, lead.significant
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
                    # a kept measured best is not "significantly ahead" of the model whose
                    # unsupported predicted lead it outranks: the answer is a tie
                    d.significant and not kept_beyond,
                    setting=f"at {target:.0f} training rows (predicted)", rows=rows_f,
                    extrapolated=True,
                    values={str(m): float(v) for m, v in pred["predicted"].items()})
    best = {}
    for m in pred.index:  # best predicted first
        best.setdefault(family_of(families, m), m)
    if "generative" in best and "discriminative" in best:
        g, disc = best["generative"], best["discriminative"]
        c = lcv.paired_difference_at(curves, disc, g, target)
        answer = replace(answer, contrast={
            "generative": g, "discriminative": disc, "difference": json_number(c.difference),
            "interval": [json_number(c.lo), json_number(c.hi)],
            "significant": bool(c.significant), "beyond_data": bool(c.beyond_data)})
    sentences = [tie_note] if tie_note else []
    if kept is not None and kept_beyond:
        sentences.append(f"{kept}'s predicted lead is significant within the curves' "
                         f"bootstrap, but an extrapolation more than "
                         f"{lcv.EXTRAPOLATION_LIMIT:g} times past the {measured:.0f} rows "
                         f"measured (or with intervals this wide) is a hint, not evidence: "
                         f"measure more rows before trusting it.")
    elif kept is not None:
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
    if beyond and not kept_beyond:  # (a kept answer has said so above)
        sentences.append(f"{target:.0f} rows is far beyond the {measured:.0f} measured (or "
                         "the curves are too noisy): this is beyond what the data can "
                         "support, treat it as a hint.")
    if beyond:
        notes.append("accuracy: extrapolated beyond what the measured sizes support.")
    tie_why = None if not kept_beyond else (
        f"{winner} is the best measured at {measured:.0f} rows, and the curves' lead for "
        f"{runner} at {target:.0f} rows is beyond what the data can support")
    full, short = _accuracy_reason(answer, families, measured if kept_beyond else None,
                                   tie_why)
    extra = " ".join([*sentences, contrast_sentence(answer)]).strip()
    return with_reason(answer, ((f"Expected from the fitted learning curves "
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
        fam = family_of(families, a.model)
        if "(native)" in a.model and fam == "generative":
            why = (f"{a.model.split(' (')[0]} marginalizes the missing features under its "
                   "model of p(x, y) instead of guessing them, which is what a generative "
                   "model can do and p(y | x) cannot.")
        elif "(native)" in a.model:
            why = f"{a.model.split(' (')[0]} handles missing entries natively."
        else:
            why = (f"{a.model.split(' (')[0]} (its missing entries mean-imputed) has the "
                   "lowest error with missing entries.")
        return because_and_reason(a, why)

    return compare_candidates(
        "accuracy_with_missing", part, families=families, candidate="candidate",
        better="lower", metric="error",
        setting=f"with {rate:.0%} of test entries missing ({mechanism})", because=reason,
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
            return because_and_reason(a, why)

        out.append(compare_candidates(
            "few_labels", part, families=families, candidate="model", better="lower",
            metric="error",
            setting=f"with {int(n)} labelled training rows, the rest unlabelled",
            because=reason, kind=f"{int(n)} labels",
            rows={"study": "semi_supervised", "metric": "error", "setting": "n_labelled",
                  "setting_value": float(n)}))
    return out


def _calibration(rows, families) -> Answer:
    cal = rows[(rows["study"] == "calibration") & (rows["metric"] == "ece")]
    if cal.empty:
        return Answer("calibration", None, because="No calibration rows: run the calibration "
                      "study.")

    def reason(a):
        return because_and_reason(a, f"{a.model}'s predicted probabilities match the "
                                  "observed frequencies best (lowest expected calibration "
                                  "error).")

    return compare_candidates(
        "calibration", cal, families=families, candidate="model", better="lower",
        metric="ece", setting="on the test part", because=reason,
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
            return because_and_reason(a, why)

        out.append(compare_candidates(
            "anomaly_detection", part, families=families, candidate="candidate",
            better="higher", metric="auroc", setting=f"on {KIND_LABELS[kind]}",
            because=reason, kind=kind,
            rows={"study": "ood", "metric": ["auroc_density", "auroc_confidence"],
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
            return because_and_reason(a, f"{a.model} draws the most {rows} rows: {what}.")

        out.append(compare_candidates(
            "generation", part, families=families, candidate="model", better=better,
            metric=metric, setting=setting, because=reason, kind=kind,
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
            return because_and_reason(a, f"{a.model} {what}.")

        out.append(compare_candidates(
            "cost", cost, families=families, candidate="model", better="lower",
            metric=metric, setting=f"({metric_label(metric)})", because=reason, kind=kind,
            rows={"study": "cost", "metric": metric, "setting": "none"}))
    return out


# ---------------------------------------------------------------------------- overall
def _ranks(answers) -> dict:
    """Per goal answered: each model's rank (1 = best), a model ranked by its best candidate
    (e.g. its better anomaly score, or its own missing-value handling); the goal's pick
    ranks first even where its values do not put it first (a kept measured best)."""
    out = {}
    for a in answers:
        if not a.answered or not a.values:
            continue
        best: dict = {}
        for candidate, v in a.values.items():
            model = candidate.split(" (", 1)[0]
            v = v if a.better == "lower" else -v
            best[model] = min(best.get(model, np.inf), v)
        pick = a.model.split(" (", 1)[0] if a.model else None
        if pick in best and best[pick] > min(best.values()):
            # the answer kept a model its values do not put first (the measured best, which
            # a curve's unsupported or non-significant predicted lead does not displace):
            # the overall verdict ranks the goal's pick first, as the answer does
            best[pick] = min(best.values()) - 1.0
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
