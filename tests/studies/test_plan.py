"""The planner: one decision of which model takes part in which study, for check_plan and run."""

from __future__ import annotations

import pytest

from gdlab.comparison import check_plan
from gdlab.data import load
from gdlab.studies.plan import model_facts, plan_cells, takers
from gdlab.studies.registry import default_studies
from gdlab.studies.runner import run

MODELS = ["gaussian-nb", "logreg", "qda"]


def test_takers_by_capabilities_and_modality():
    iris = load("iris")
    models, families, caps = model_facts(MODELS)
    studies = {s.name: s for s in default_studies()}
    assert takers(studies["learning_curve"], iris, models, caps) == (MODELS, None)
    # the samples study needs conditional sampling: logreg does not take part
    assert takers(studies["samples"], iris, models, caps) == (["gaussian-nb", "qda"], None)
    chosen, reason = takers(studies["samples"], iris, ["logreg"], caps)
    assert chosen == [] and "conditional_sample" in reason and "logreg" in reason
    chosen, reason = takers(studies["missing_data"], load("trump_tweets"), models, caps)
    assert chosen == [] and reason == "it does not apply to text data"
    assert families == {"gaussian-nb": "generative", "logreg": "discriminative",
                        "qda": "generative"}


def test_check_plan_and_the_runner_choose_the_same_studies_and_models():
    iris = load("iris")
    chosen, notes = check_plan(iris, ["logreg"], None)
    models, _, caps = model_facts(["logreg"])
    tasks, skipped = plan_cells(default_studies(), models, caps, [iris], seeds=[0])
    ran = [s.name for s in default_studies() if any(
        t[1].study == s.name for t in tasks)]
    assert [s.name for s in chosen] == ran
    left_out = {n.split("'")[1] for n in notes}
    assert left_out == {n.split("'")[1] for n in skipped} == {"samples"}


def test_model_facts_refuses_bad_names():
    with pytest.raises(ValueError, match="unknown model 'gausian-nb'.*Did you mean"):
        model_facts(["gausian-nb"])
    with pytest.raises(ValueError, match="no models given"):
        model_facts([])
    assert model_facts("lda")[0] == ["lda"]
    assert model_facts(["lda", "lda"])[0] == ["lda"]


def test_runner_notes_come_from_the_planner():
    rows = run(default_studies(names=["samples"]) + default_studies(names=["cost"]),
               ["logreg"], ["iris"], seeds=[0], progress=False)
    assert set(rows.study) == {"cost"}
    (note,) = rows.attrs["notes"]
    assert note.startswith("study 'samples' skipped on 'iris': it needs models with "
                           "conditional_sample")
