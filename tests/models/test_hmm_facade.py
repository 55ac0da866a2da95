"""gdlab.hmmlearn: hmmlearn's API over gdlab's HMM, checked against hmmlearn itself."""

from __future__ import annotations

import pathlib
import runpy
import warnings

import numpy as np
import pytest
from sklearn.base import clone

from gdlab.hmmlearn import hmm
from gdlab.models.hmm import HMM, HMMClassifier

hmmlearn = pytest.importorskip("hmmlearn.hmm")

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples" / "hmmlearn_dropin.py"


def _run_example_on_hmmlearn():
    source = EXAMPLE.read_text()
    assert source.count("from gdlab.hmmlearn import hmm") == 1
    namespace = {"__name__": "hmmlearn_dropin_reference"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(source.replace("from gdlab.hmmlearn import hmm", "from hmmlearn import hmm"),
                     str(EXAMPLE), "exec"), namespace)
    return namespace["results"]


def test_example_runs_unchanged_and_agrees_with_hmmlearn(capsys):
    ours = runpy.run_path(str(EXAMPLE))["results"]
    ref = _run_example_on_hmmlearn()
    assert ours.keys() == ref.keys()
    for key in ("true_score", "casino_score"):
        assert ours[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-9)
    for key in ("viterbi", "map"):
        assert ours[key][0] == pytest.approx(ref[key][0], rel=1e-12, abs=1e-9)
        np.testing.assert_array_equal(ours[key][1], ref[key][1])
    np.testing.assert_array_equal(ours["casino_map"], ref["casino_map"])
    for key in ("posteriors", "from_start_means", "casino_emissionprob", "poisson_lambdas"):
        np.testing.assert_allclose(ours[key], ref[key], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours["from_start_history"], ref["from_start_history"],
                               rtol=1e-12, atol=1e-9)
    assert ours["sample_shape"] == ref["sample_shape"] == (50, 2)
    assert ours["casino_sample_shape"] == ref["casino_sample_shape"] == (10, 1)
    # the left-right model keeps its transitions exactly, as hmmlearn does
    given = np.array([[0.95, 0.05, 0.0], [0.0, 0.95, 0.05], [0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(ours["left_right_transmat"], given)
    np.testing.assert_array_equal(ref["left_right_transmat"], given)
    assert ours["best_by_bic"] == 3  # the data has three states
    assert "Poisson rates" in capsys.readouterr().out


def _gaussian_data(seed=0):
    rng = np.random.RandomState(seed)
    X = np.concatenate([rng.normal(m, 1.0, (40, 2)) for m in (-3, 3, 0, -3)])
    return X, [60, 100]


def test_gaussian_default_priors_and_em_from_the_same_start_match_hmmlearn():
    X, lengths = _gaussian_data()
    rng = np.random.RandomState(1)
    start = dict(startprob_=rng.dirichlet(np.ones(3)), transmat_=rng.dirichlet(np.ones(3), 3),
                 means_=rng.normal(0, 2, (3, 2)), covars_=rng.uniform(0.5, 2.0, (3, 2)))
    models = []
    for lib in (hmm, hmmlearn):
        model = lib.GaussianHMM(3, init_params="", n_iter=8, tol=-np.inf)  # covars_prior=1e-2
        for name, value in start.items():
            setattr(model, name, value)
        models.append(model.fit(X, lengths))
    ours, ref = models
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.covars_, ref.covars_, rtol=0, atol=1e-10)  # (S, d, d)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.monitor_.history, ref.monitor_.history, rtol=1e-12,
                               atol=1e-9)
    assert ours.covars_.shape == (3, 2, 2) and ours._covars_.shape == (3, 2)
    assert ours.score_samples(X, lengths)[0] == pytest.approx(ref.score_samples(X, lengths)[0],
                                                              rel=1e-12)
    np.testing.assert_allclose(ours.score_samples(X, lengths)[1],
                               ref.score_samples(X, lengths)[1], rtol=0, atol=1e-10)
    np.testing.assert_array_equal(ours.predict(X, lengths), ref.predict(X, lengths))
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-12)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-12)


def test_every_model_fits_scores_decodes_and_samples():
    X, lengths = _gaussian_data()
    rng = np.random.RandomState(0)
    cases = [
        (hmm.GaussianHMM(2, covariance_type="tied", random_state=0), X),
        (hmm.GMMHMM(2, n_mix=2, covariance_type="spherical", random_state=0), X),
        (hmm.CategoricalHMM(2, random_state=0), rng.randint(0, 4, (160, 1))),
        (hmm.PoissonHMM(2, random_state=0), rng.poisson(3.0, (160, 2))),
    ]
    for model, data in cases:
        model.fit(data, lengths)
        assert np.isfinite(model.score(data, lengths))
        post = model.predict_proba(data, lengths)
        np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        log_prob, states = model.decode(data, lengths)
        assert states.shape == (160,) and np.isfinite(log_prob)
        drawn, path = model.sample(7, random_state=0, currstate=1)
        assert drawn.shape == (7, data.shape[1]) and path[0] == 1
        assert clone(model).get_params() == model.get_params()
        assert model.monitor_.history and model.monitor_.iter >= 1
        assert isinstance(model.to_gdlab(), HMM)


def test_gains_missing_frames_and_the_classifier():
    X, lengths = _gaussian_data()
    model = hmm.GaussianHMM(2, random_state=0).fit(X, lengths)
    gappy = X.copy()
    gappy[::7] = np.nan
    assert np.isfinite(model.score(gappy, lengths))
    refit = hmm.GaussianHMM(2, random_state=0).fit(gappy, lengths)
    assert np.isfinite(refit.means_).all()
    clf = HMMClassifier(hmm.GaussianHMM(2, n_iter=5, random_state=0).to_gdlab())
    seqs = np.split(X, np.cumsum(lengths)[:-1])
    clf.fit(seqs + [s[::-1] * -1 for s in seqs], [0, 0, 1, 1])
    np.testing.assert_allclose(clf.predict_proba(seqs).sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_bad_input_is_refused_with_the_attribute_named():
    X, lengths = _gaussian_data()
    model = hmm.GaussianHMM(2, init_params="")
    model.startprob_, model.transmat_ = np.array([0.5, 0.5]), np.array([[0.5, 0.4], [0.5, 0.5]])
    model.means_, model.covars_ = np.zeros((2, 2)), np.ones((2, 2))
    with pytest.raises(ValueError, match="transmat_ must have rows summing to 1"):
        model.score(X)
    with pytest.raises(ValueError, match="transmat_ must have rows summing to 1"):
        model.fit(X)
    model.transmat_ = np.full((2, 2), 0.5)
    model.startprob_ = np.array([1.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"startprob_ must have shape \(2,\)"):
        model.score(X)
    model.startprob_ = np.array([1.0, 0.0])
    model.means_ = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"means_ must have shape \(2, 2\)"):
        model.fit(X)
    model.means_, model.covars_ = np.zeros((2, 2)), np.ones((2, 2, 2))
    with pytest.raises(ValueError, match=r"covars_ for covariance='diag' must have shape"):
        model.fit(X)
    with pytest.raises(ValueError, match=r"params='stme' names \['e'\], which GaussianHMM "
                                         r"does not have"):
        hmm.GaussianHMM(2, params="stme").fit(X)
    with pytest.raises(ValueError, match=r"init_params='l' names \['l'\]"):
        hmm.CategoricalHMM(2, init_params="l").fit(np.zeros((5, 1), dtype=int))
    with pytest.raises(ValueError, match="needs means_, covars_ set"):
        bare = hmm.GaussianHMM(2)
        bare.startprob_, bare.transmat_ = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
        bare.score(X)
    fitted = hmm.GaussianHMM(2, random_state=0).fit(X)
    with pytest.raises(ValueError, match="currstate must be a state in 0..1"):
        fitted.sample(3, currstate=5)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        fitted.decode(X, algorithm="beam")
    with pytest.raises(ValueError, match=r"lambdas_prior must be a number or have shape "
                                         r"\(2,\) .*got shape \(3,\)"):
        hmm.PoissonHMM(2, lambdas_prior=[1.0, 2.0, 3.0]).fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="lambdas_weight must be finite and non-negative"):
        hmm.PoissonHMM(2, lambdas_weight=-1.0).fit(np.ones((5, 1)))
    with pytest.raises(ValueError, match="emissionprob_prior=...\\) must be >= 1"):
        hmm.CategoricalHMM(2, emissionprob_prior=0.5).fit(np.zeros((5, 1)))
