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


@pytest.mark.parametrize("form", ["diag", "full", "tied", "spherical"])
def test_gaussian_priors_through_the_facade_match_hmmlearn(form):
    # every prior argument of hmmlearn's GaussianHMM, not their defaults, as hmmlearn names them
    X, lengths = _gaussian_data()
    rng = np.random.RandomState(1)
    covars = {"diag": rng.uniform(0.5, 2.0, (3, 2)), "spherical": rng.uniform(0.5, 2.0, 3),
              "full": np.tile(np.eye(2), (3, 1, 1)), "tied": np.eye(2)}[form]
    start = dict(startprob_=rng.dirichlet(np.ones(3)), transmat_=rng.dirichlet(np.ones(3), 3),
                 means_=rng.normal(0, 2, (3, 2)), covars_=covars)
    models = []
    for lib in (hmm, hmmlearn):
        model = lib.GaussianHMM(3, covariance_type=form, init_params="", n_iter=6, tol=-np.inf,
                                startprob_prior=2.5, transmat_prior=3.0, means_prior=0.5,
                                means_weight=2.0, covars_prior=0.3, covars_weight=2.0)
        for name, value in start.items():
            setattr(model, name, value)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # hmmlearn: the MAP objective is not the likelihood
            models.append(model.fit(X, lengths))
    ours, ref = models
    for name in ("startprob_", "transmat_", "means_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=0, atol=1e-11,
                                   err_msg=name)
    ours_covars, ref_covars = ours._covars_, ref._covars_
    if form == "spherical" and ref_covars.ndim == 2:
        # hmmlearn 0.3.3 keeps a spherical prior's variances as (n_states, n_features) copies
        ours_covars = np.broadcast_to(ours_covars[:, None], ref_covars.shape)
    np.testing.assert_allclose(ours_covars, ref_covars, rtol=0, atol=1e-11)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-12)


def _gmm_start(form, S=3, M=2, d=2, seed=4):
    """Hand-set GMMHMM parameters (hmmlearn's layouts) for EM from the same start."""
    rng = np.random.RandomState(seed)
    full = np.array([[1.5, 0.3], [0.3, 1.0]])
    covars = {"diag": rng.uniform(0.5, 2.0, (S, M, d)), "spherical": rng.uniform(0.5, 2.0, (S, M)),
              "full": np.tile(full, (S, M, 1, 1)), "tied": np.tile(full, (S, 1, 1))}[form]
    return dict(startprob_=rng.dirichlet(np.ones(S)), transmat_=rng.dirichlet(np.ones(S), S),
                weights_=rng.dirichlet(np.ones(M), S), means_=rng.normal(0, 2, (S, M, d)),
                covars_=covars)


def _gmm_covars_priors(form, kind, S=3, M=2, d=2):
    """(covars_prior, covars_weight): per-component arrays, numbers, or hmmlearn's None."""
    if kind == "defaults":
        return None, None
    if kind == "numbers":
        return {"diag": (0.5, 2.0), "spherical": (0.5, 2.0), "full": (0.4, 3.0),
                "tied": (0.4, 3.0)}[form]
    rng = np.random.RandomState(5)
    A = rng.normal(size=(S, M, d, d))
    psi = A @ np.swapaxes(A, -1, -2)  # symmetric positive definite
    return {"diag": (rng.uniform(-1.0, 3.0, (S, M, d)), rng.uniform(0.0, 4.0, (S, M, d))),
            "spherical": (rng.uniform(-1.0, 3.0, (S, M)), rng.uniform(0.0, 4.0, (S, M))),
            "full": (psi, rng.uniform(-3.0, 5.0, (S, M))),
            "tied": (psi[:, 0], rng.uniform(-4.0, 5.0, S))}[form]


def _fit_gmmhmm(lib, form, covars_prior, covars_weight, n_iter=5, **kw):
    X, lengths = _gaussian_data()
    model = lib.GMMHMM(3, n_mix=2, covariance_type=form, init_params="", n_iter=n_iter,
                       tol=-np.inf, covars_prior=covars_prior, covars_weight=covars_weight,
                       **kw)
    for name, value in _gmm_start(form).items():
        setattr(model, name, value)
    return model.fit(X, lengths)


@pytest.mark.parametrize("kind", ["arrays", "numbers", "defaults"])
@pytest.mark.parametrize("form", ["diag", "spherical", "full", "tied"])
def test_gmmhmm_covariance_prior_and_its_defaults_match_hmmlearn(form, kind):
    """5 EM steps from the same start with hmmlearn's GMMHMM covariance prior (with its
    weights and means priors) equal hmmlearn's, for every covariance form, and the prior
    moves the fit (it is not ignored)."""
    covars_prior, covars_weight = _gmm_covars_priors(form, kind)
    others = dict(weights_prior=2.0, means_prior=0.3, means_weight=1.5)
    ours = _fit_gmmhmm(hmm, form, covars_prior, covars_weight, **others)
    ref = _fit_gmmhmm(hmmlearn, form, covars_prior, covars_weight, **others)
    for name in ("means_", "covars_", "weights_", "transmat_", "startprob_"):
        assert getattr(ours, name).shape == np.shape(getattr(ref, name))
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=0,
                                   atol=1e-10, err_msg=name)
    np.testing.assert_allclose(ours.monitor_.history, ref.monitor_.history, rtol=1e-12,
                               atol=1e-9)
    if kind != "defaults":
        plain = _fit_gmmhmm(hmm, form, None, None, **others)
        assert np.abs(ours.covars_ - plain.covars_).max() > 1e-2


def test_gmmhmm_keeps_a_covariance_whose_denominator_is_not_positive():
    """hmmlearn's spherical default with n_mix > n_features takes n_mix - n_features
    pseudo-counts away: a component with little weight gets a negative variance there,
    gdlab keeps its previous one; every other parameter agrees."""
    X, lengths = _gaussian_data()
    rng = np.random.RandomState(4)
    S, M, d = 3, 3, 2
    start = dict(startprob_=rng.dirichlet(np.ones(S)), transmat_=rng.dirichlet(np.ones(S), S),
                 weights_=rng.dirichlet(np.ones(M), S), means_=rng.normal(0, 2, (S, M, d)),
                 covars_=rng.uniform(0.5, 2.0, (S, M)))
    fitted = []
    for lib in (hmm, hmmlearn):
        model = lib.GMMHMM(S, n_mix=M, covariance_type="spherical", init_params="", n_iter=1,
                           tol=-np.inf)
        for name, value in start.items():
            setattr(model, name, value)
        fitted.append(model.fit(X, lengths))
    ours, ref = fitted
    bad = ref.covars_ <= 0
    assert bad.any() and (ours.covars_ > 0).all()
    np.testing.assert_array_equal(ours.covars_[bad], start["covars_"][bad])
    np.testing.assert_allclose(ours.covars_[~bad], ref.covars_[~bad], rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)


def test_gmmhmm_covariance_prior_bad_input_names_what_was_expected():
    X, lengths = _gaussian_data()
    cases = [
        (dict(covariance_type="full", covars_prior=np.ones(5)),
         r"covars_prior must be a number or have shape \(3, 2, 2, 2\) \(hmmlearn's GMMHMM, "
         r"covariance='full'\), got shape \(5,\)"),
        (dict(covariance_type="tied", covars_weight=np.ones((3, 2))),
         r"covars_weight must be a number or have shape \(3,\) .*got shape \(3, 2\)"),
        (dict(covariance_type="diag", covars_prior=np.zeros((3, 3))),
         r"covars_prior must be a number or have shape \(3, 2, 2\)"),
        (dict(covariance_type="diag", covars_weight=-1.0),
         r"covars_weight \(the inverse-gamma scale beta\).*must be non-negative, got -1.0"),
        (dict(covariance_type="spherical", covars_weight=-0.5),
         r"covars_weight \(the inverse-gamma scale beta\).*must be non-negative"),
        (dict(covariance_type="diag", covars_prior=-2.0),
         r"covars_prior \(the inverse-gamma shape alpha\).*must be at least -1.5"),
        (dict(covariance_type="full", covars_weight=-5.0),
         r"covars_weight \(the inverse-Wishart degrees of freedom nu\).*must be at least "
         r"-4.0"),
        (dict(covariance_type="tied", covars_weight=-6.0),
         r"must be at least -5.0"),
        (dict(covariance_type="full", covars_prior=-1.0),
         r"symmetric positive semi-definite"),
        (dict(covariance_type="tied", covars_prior=np.array([[1.0, 0.5], [0.0, 1.0]])),
         r"symmetric positive semi-definite"),
        (dict(covariance_type="diag", covars_prior=np.nan), r"covars_prior must be finite"),
    ]
    for kw, message in cases:
        with pytest.raises(ValueError, match=message):
            hmm.GMMHMM(3, n_mix=2, n_iter=1, **kw).fit(X, lengths)
    with pytest.raises(ValueError, match=r"covars_prior_form='gmmhmm' .*emission='gmm' only"):
        HMM(2, covars_prior_form="gmmhmm").fit(X, lengths)
    with pytest.raises(ValueError, match="covars_prior_form"):
        HMM(2, emission="gmm", covars_prior_form="GMMHMM").fit(X, lengths)
    with pytest.raises(ValueError, match=r"covars_prior=None is hmmlearn's GMMHMM default"):
        HMM(2, emission="gmm", covars_prior=None).fit(X, lengths)


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
    with pytest.raises(ValueError, match=r"transmat_ must have rows summing to 1 \(within "
                                         r"1e-08\); row 0 sums to 0\.9\.$"):
        model.score(X)
    with pytest.raises(ValueError, match="transmat_ must have rows summing to 1"):
        model.fit(X)
    model.transmat_ = np.full((2, 2), 0.5)
    model.startprob_ = np.array([0.5, 0.6])
    with pytest.raises(ValueError, match=r"startprob_ must have rows summing to 1 .*; it sums "
                                         r"to 1\.1\.$"):
        model.score(X)
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


_FACADE_DATA = {
    "GaussianHMM": lambda: np.random.RandomState(0).normal(size=(30, 2)),
    "GMMHMM": lambda: np.random.RandomState(0).normal(size=(30, 2)),
    "CategoricalHMM": lambda: np.random.RandomState(0).randint(0, 3, (30, 1)),
    "PoissonHMM": lambda: np.random.RandomState(0).poisson(3.0, (30, 2)),
}
_SHARED_BAD = [
    (dict(n_components=0), ValueError, r"^n_components must be an int >= 1, got 0\.$"),
    (dict(n_components=1.5), TypeError, r"^n_components must be an int >= 1, got 1\.5\.$"),
    (dict(n_iter=0), ValueError, r"^n_iter must be an int >= 1, got 0\.$"),
    (dict(n_iter=2.5), TypeError, r"^n_iter must be an int >= 1, got 2\.5\.$"),
    (dict(tol="x"), TypeError, r"^tol must be a real number .*got 'x'\.$"),
    (dict(tol=np.nan), TypeError, r"^tol must be a real number .*got nan\.$"),
    (dict(algorithm="beam"), ValueError, r"^algorithm must be one of .*got 'beam'\.$"),
    (dict(implementation="fast"), ValueError,
     r"^implementation must be one of \['log', 'scaling'\], got 'fast'\.$"),
    (dict(startprob_prior="x"), TypeError,
     r"^startprob_prior must be a number or an array of numbers, got 'x'\.$"),
    (dict(transmat_prior="x"), TypeError,
     r"^transmat_prior must be a number or an array of numbers, got 'x'\.$"),
]
_GAUSSIAN_BAD = [
    (dict(covariance_type="ball"), ValueError,
     r"^covariance_type must be one of \['diag', 'full', 'spherical', 'tied'\], got 'ball'\.$"),
    (dict(min_covar=-1.0), ValueError, r"^min_covar must be >= 0, got -1\.0\.$"),
    (dict(min_covar="x"), TypeError, r"^min_covar must be a finite real number, got 'x'\.$"),
] + [(dict([(name, "x")]), TypeError, rf"^{name} must be a number or an array of numbers")
     for name in ("means_prior", "means_weight", "covars_prior", "covars_weight")]
_OWN_BAD = {
    "GaussianHMM": _GAUSSIAN_BAD,
    "GMMHMM": _GAUSSIAN_BAD + [
        (dict(n_mix=0), ValueError, r"^n_mix must be an int >= 1, got 0\.$"),
        (dict(n_mix=1.5), TypeError, r"^n_mix must be an int >= 1, got 1\.5\.$"),
        (dict(weights_prior="x"), TypeError, r"^weights_prior must be a number or an array")],
    "CategoricalHMM": [
        (dict(n_features=0), ValueError, r"^n_features must be an int >= 1, got 0\.$"),
        (dict(n_features=2.5), TypeError, r"^n_features must be an int >= 1, got 2\.5\.$"),
        (dict(emissionprob_prior="x"), TypeError,
         r"^emissionprob_prior must be a number or an array")],
    "PoissonHMM": [(dict([(name, "x")]), TypeError, rf"^{name} must be a number or an array")
                   for name in ("lambdas_prior", "lambdas_weight")],
}


@pytest.mark.parametrize("name", sorted(_FACADE_DATA))
def test_bad_settings_are_named_as_hmmlearn_names_them(name):
    X = _FACADE_DATA[name]()
    for kw, error, message in _SHARED_BAD + _OWN_BAD[name]:
        model = getattr(hmm, name)(**{"n_components": 2, **kw})
        with pytest.raises(error, match=message):
            model.fit(X)
        assert not hasattr(model, "startprob_"), kw  # refused before any work
    # gdlab's range and shape checks of the priors already use hmmlearn's names
    with pytest.raises(ValueError, match=r"^transmat_prior must be finite and non-negative"):
        getattr(hmm, name)(2, transmat_prior=-1.0).fit(X)


@pytest.mark.parametrize("name", sorted(_FACADE_DATA))
def test_stationary_distribution_matches_hmmlearn(name):
    rng = np.random.RandomState(3)
    transmat = rng.dirichlet(np.ones(4), 4)
    ours, ref = getattr(hmm, name)(4), getattr(hmmlearn, name)(4)
    ours.transmat_ = ref.transmat_ = transmat
    pi = ours.get_stationary_distribution()
    np.testing.assert_allclose(pi, ref.get_stationary_distribution(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(pi @ transmat, pi, rtol=0, atol=1e-12)
    assert pi.shape == (4,) and pi.sum() == pytest.approx(1.0, abs=1e-12) and (pi > 0).all()
    fitted = getattr(hmm, name)(2, random_state=0, n_iter=3).fit(_FACADE_DATA[name]())
    pi = fitted.get_stationary_distribution()
    np.testing.assert_allclose(pi @ fitted.transmat_, pi, rtol=0, atol=1e-12)


def test_stationary_distribution_needs_transmat():
    from sklearn.exceptions import NotFittedError

    model = hmm.GaussianHMM(2)
    with pytest.raises(NotFittedError):
        model.get_stationary_distribution()
    with pytest.raises(NotFittedError):
        hmmlearn.GaussianHMM(2).get_stationary_distribution()  # the same contract
    model.transmat_ = np.array([[0.5, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="transmat_ must have rows summing to 1"):
        model.get_stationary_distribution()


@pytest.mark.parametrize("name, extra", [("GaussianHMM", {}), ("GMMHMM", {"n_mix": 2})])
def test_min_covar_starts_the_covariances_as_in_hmmlearn(name, extra):
    rng = np.random.RandomState(0)
    X = np.concatenate([rng.normal(m, 1.0, (40, 2)) for m in (-3, 3, 0)])
    X = X @ np.array([[1.0, 0.5], [0.0, 1.0]])  # correlated features: "full" differs from "diag"
    cv = np.cov(X.T) + 0.7 * np.eye(2)
    for kind in ("diag", "full", "tied", "spherical"):
        covars = []
        for lib in (hmm, hmmlearn):  # params="": the fitted covariances are the start
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                covars.append(getattr(lib, name)(3, covariance_type=kind, min_covar=0.7,
                                                 params="", n_iter=1, random_state=0,
                                                 **extra).fit(X).covars_)
        ours, ref = covars
        if kind != "spherical":
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
        else:  # hmmlearn averages every entry of cv, gdlab its diagonal (the variances)
            np.testing.assert_allclose(np.ravel(ours if name == "GMMHMM" else ours[:, 0, 0]),
                                       np.mean(np.diag(cv)), rtol=0, atol=1e-12)
    full = getattr(hmm, name)(3, covariance_type="full", min_covar=0.7, params="", n_iter=1,
                              random_state=0, **extra).fit(X).covars_
    np.testing.assert_allclose(full.reshape(-1, 2, 2), np.broadcast_to(cv, (full.size // 4, 2, 2)),
                               rtol=0, atol=1e-12)


def test_data_dependent_errors_use_hmmlearn_names():
    cases = [
        (lambda: hmm.CategoricalHMM(2, emissionprob_prior=np.ones((3, 5))).fit(
            np.zeros((6, 1), dtype=int)),
         r"^emissionprob_prior must be a number or have shape \(2,\) \(one per symbol\) or "
         r"\(2, 2\) \(n_components, n_features\), got shape \(3, 5\)\.$"),
        (lambda: hmm.GaussianHMM(5).fit(np.zeros((6, 1))),
         r"needs at least n_components \* n_mix = 5 distinct observed frames, got 1; give "
         r"fewer states or means_\.$"),
        (lambda: hmm.CategoricalHMM(2, n_features=2).fit(np.array([[0], [1], [3]])),
         r"\(n_features=2\)\.$"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()


def test_renaming_touches_only_gdlab_names_the_facade_translates():
    # n_init is gdlab's (and hmmlearn's) own word: the rename must not make it 'n_'
    from gdlab.hmmlearn.hmm import _named_as_hmmlearn

    with pytest.raises(ValueError) as info, _named_as_hmmlearn():
        raise ValueError("n_init must be >= 1; means_init has n_states rows")
    assert str(info.value) == "n_init must be >= 1; means_ has n_components rows"
