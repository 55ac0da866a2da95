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
