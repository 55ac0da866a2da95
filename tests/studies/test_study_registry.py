"""The study registry: names, quick vs thorough settings, unknown names."""

import pytest

from gdlab.studies.base import Study
from gdlab.studies.registry import STUDIES, default_studies, make_study, study_names


@pytest.mark.parametrize("name", list(STUDIES))
def test_every_name_builds_its_study(name):
    for quick in (True, False):
        study = make_study(name, quick=quick)
        assert isinstance(study, Study) and study.name == name


def test_thorough_is_bigger_than_quick():
    quick, thorough = make_study("learning_curve"), make_study("learning_curve", quick=False)
    assert thorough.n_sizes > quick.n_sizes
    q, t = make_study("missing_data"), make_study("missing_data", quick=False)
    assert len(t.rates) > len(q.rates)


def test_overrides_reach_the_study():
    assert make_study("learning_curve", sizes=[5, 10]).sizes == [5, 10]


def test_default_studies_order_and_selection():
    assert study_names() == list(STUDIES)
    # the studies for one kind of model or question run only when named
    named_only = {"semi_supervised", "blend", "augmentation"}
    assert [s.name for s in default_studies()] == [n for n in STUDIES if n not in named_only]
    assert [s.name for s in default_studies(names=["semi_supervised"])] == ["semi_supervised"]
    assert [s.name for s in default_studies(names=["cost", "ood"])] == ["cost", "ood"]


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown study 'calibraton'.*Did you mean 'calibration'"):
        make_study("calibraton")
    with pytest.raises(ValueError, match="unknown study 'x'"):
        default_studies(names=["learning_curve", "x"])
    with pytest.raises(ValueError, match="duplicates"):
        default_studies(names=["cost", "cost"])
    with pytest.raises(TypeError):
        default_studies(names="cost")


def test_parse_params_reads_literals_lists_and_words():
    from gdlab.studies.registry import parse_params

    assert parse_params("blend", ["lambdas=0,0.5,1", "sizes=(20, 80)", "n_splits=3"]) == {
        "lambdas": (0, 0.5, 1), "sizes": (20, 80), "n_splits": 3}
    # a single value of a sequence parameter is a one-item tuple; words stay strings
    assert parse_params("augmentation", ["train_sizes=40", "imbalance=None",
                                         "generators=gaussian-nb,smote"]) == {
        "train_sizes": (40,), "imbalance": None, "generators": ("gaussian-nb", "smote")}
    assert parse_params("missing_data", ["mechanism=mar"]) == {"mechanism": "mar"}
    assert make_study("blend", **parse_params("blend", ["lambdas=0,1"])).lambdas == (0, 1)


@pytest.mark.parametrize("pairs, match", [
    (["lambda=0.5"], r"no parameter 'lambda'\. Did you mean 'lambdas'\?.*n_splits=5"),
    (["lambdas"], "must read KEY=VALUE"),
    (["lambdas="], "must read KEY=VALUE"),
    (["=3"], "must read KEY=VALUE"),
    (["n_splits=3", "n_splits=4"], "given twice"),
    (["lambdas=0,,1"], "empty item"),
])
def test_parse_params_refuses_what_the_study_does_not_take(pairs, match):
    from gdlab.studies.registry import parse_params

    with pytest.raises(ValueError, match=match):
        parse_params("blend", pairs)


def test_params_must_name_a_study_that_runs():
    with pytest.raises(ValueError, match="'blend', which is not among the studies to run"):
        default_studies(names=["cost"], params={"blend": {"n_splits": 2}})
