"""hmmlearn parity of gdlab's HMM: Poisson emissions, spherical and tied covariances,
aic / bic, params, MAP decoding, priors, checked against hmmlearn where it has them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

from gdlab.inference.hmm import draw_state_paths
from gdlab.models.hmm import HMM

hmmlearn = pytest.importorskip("hmmlearn.hmm")


# -- data ------------------------------------------------------------------------------------------
def poisson_data(seed=0, lengths=(30, 50, 20, 40)):
    rng = np.random.RandomState(seed)
    lam = np.array([[1.0, 8.0, 3.0], [9.0, 2.0, 0.5], [4.0, 4.0, 4.0]])
    lengths = np.asarray(lengths)
    trans = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    states = draw_state_paths(np.full(3, 1 / 3), trans, lengths, rng)
    return rng.poisson(lam[states]), lengths, states, lam


def start_params(rng, S=3, d=3):
    return (rng.dirichlet(np.ones(S)), rng.dirichlet(np.ones(S), size=S),
            rng.uniform(1.0, 6.0, (S, d)))


def gaussian_data(seed=2, d=3):
    rng = np.random.RandomState(seed)
    lengths = np.array([40, 25, 60, 35])
    states = draw_state_paths(np.full(3, 1 / 3), np.array(
        [[0.85, 0.1, 0.05], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]), lengths, rng)
    means = np.array([[-3.0, 0.0, 1.0], [0.0, 3.0, -1.0], [3.0, -2.0, 0.0]])[:, :d]
    A = rng.normal(0, 0.6, (d, d))
    X = means[states] + rng.normal(size=(len(states), d)) @ (A + np.eye(d))
    return X, lengths


# -- Poisson emissions -----------------------------------------------------------------------------
def test_poisson_log_likelihood_and_em_match_hmmlearn():
    X, lengths, _, _ = poisson_data()
    s0, t0, l0 = start_params(np.random.RandomState(1))
    ref = hmmlearn.PoissonHMM(3, init_params="")
    ref.startprob_, ref.transmat_, ref.lambdas_ = s0, t0, l0
    ours = HMM.from_params(s0, t0, lambdas=l0)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                               rtol=0, atol=1e-10)
    for n_iter in (1, 5):  # one EM step, and five, from the same start
        ref = hmmlearn.PoissonHMM(3, init_params="", n_iter=n_iter, tol=-np.inf)
        ref.startprob_, ref.transmat_, ref.lambdas_ = s0, t0, l0
        ref.fit(X, lengths)
        ours = HMM(3, emission="poisson", startprob_init=s0, transmat_init=t0, lambdas_init=l0,
                   max_iter=n_iter, tol=0).fit(X, lengths)
        np.testing.assert_allclose(ours.lambdas_, ref.lambdas_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.startprob_, ref.startprob_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-12, atol=1e-9)


def test_poisson_missing_entry_is_marginalized_and_zero_rates_are_exact():
    rng = np.random.RandomState(3)
    s0, t0, l0 = start_params(rng)
    l0[0, 2] = 0.0  # state 0 never emits a count on feature 2
    model = HMM.from_params(s0, t0, lambdas=l0)
    x = rng.poisson(2.0, (6, 3)).astype(float)
    x[:, 2] = 0.0
    x[1, 0] = np.nan
    assert np.isfinite(model.score(x))
    # emission log-likelihoods by scipy, a missing entry contributing 0 (marginalized)
    le = np.array([[np.nansum(poisson.logpmf(row, lam)) for lam in l0] for row in x])
    frames_ll = model._log_emissions(model._batch([x], None)[1])[0][:, :, 0]
    np.testing.assert_allclose(frames_ll, le, rtol=0, atol=1e-10)
    # a positive count where every state's rate is 0 is impossible
    zero = HMM.from_params(s0, t0, lambdas=np.where(np.arange(3) == 2, 0.0, l0))
    assert zero.score(np.array([[1.0, 1.0, 0.0]])) > -np.inf
    assert zero.score(np.array([[1.0, 1.0, 2.0]])) == -np.inf


def test_poisson_fit_recovers_rates_and_samples_counts():
    X, lengths, states, lam = poisson_data(seed=4, lengths=(200,) * 10)
    model = HMM(3, emission="poisson", random_state=0).fit(X, lengths)
    order = np.argsort(model.lambdas_[:, 0])
    np.testing.assert_allclose(model.lambdas_[order], lam[np.argsort(lam[:, 0])], atol=0.3)
    assert np.all(np.diff(model.monitor_) >= -1e-8 * np.abs(model.monitor_[1:]))
    seqs = model.sample(2, length=8, random_state=0)
    assert [s.shape for s in seqs] == [(8, 3)] * 2 and seqs[0].dtype == np.int64
    assert (np.concatenate(seqs) >= 0).all()
    rand = HMM(3, emission="poisson", init="random", random_state=0).fit(X, lengths)
    assert rand.score(X, lengths) == pytest.approx(model.score(X, lengths), rel=1e-3)


def test_poisson_hmm_classifier():
    from gdlab.models.hmm import HMMClassifier

    a, la, _, _ = poisson_data(seed=1, lengths=(40,) * 6)
    b = poisson_data(seed=2, lengths=(40,) * 6)[0][:, ::-1]  # other rates per feature
    seqs = np.split(a, 6) + np.split(b, 6)
    y = np.repeat([0, 1], 6)
    clf = HMMClassifier(HMM(3, emission="poisson", random_state=0)).fit(seqs[::2], y[::2])
    proba = clf.predict_proba(seqs[1::2])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert (clf.predict(seqs[1::2]) == y[1::2]).mean() >= 5 / 6


def test_poisson_bad_input():
    X, lengths, _, _ = poisson_data()
    with pytest.raises(ValueError, match="non-negative integer counts.*-1"):
        HMM(2, emission="poisson").fit(np.vstack([X, [[-1, 0, 0]]]))
    with pytest.raises(ValueError, match="non-negative integer counts.*0.5"):
        HMM(2, emission="poisson").fit(X + 0.5)
    with pytest.raises(ValueError, match=r"lambdas_init must have shape \(2, 3\)"):
        HMM(2, emission="poisson", lambdas_init=np.ones((2, 2))).fit(X, lengths)
    with pytest.raises(ValueError, match="lambdas_init must be finite and non-negative"):
        HMM(2, emission="poisson", lambdas_init=-np.ones((2, 3))).fit(X, lengths)


# -- spherical and tied covariances ----------------------------------------------------------------
def _start_covars(form, rng, S=3, d=3):
    A = rng.normal(0, 0.4, (d, d))
    tied = A @ A.T + np.eye(d)
    return {"spherical": rng.uniform(1.0, 2.0, S), "tied": tied,
            "diag": rng.uniform(1.0, 2.0, (S, d)), "full": np.tile(tied, (S, 1, 1))}[form]


def full_matrices(covars, form, S=3, d=3):
    """(S, d, d) matrices of a Gaussian HMM's covars_ (diag, tied or full)."""
    if form == "diag":
        return covars[:, :, None] * np.eye(d)
    if form == "tied":
        return np.tile(covars, (S, 1, 1))
    return covars


@pytest.mark.parametrize("form", ["spherical", "tied", "diag", "full"])
def test_covariance_forms_match_hmmlearn_gaussian_hmm(form):
    X, lengths = gaussian_data()
    rng = np.random.RandomState(5)
    s0, t0 = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    m0, c0 = rng.normal(0, 2, (3, 3)), _start_covars(form, rng)
    ref = hmmlearn.GaussianHMM(3, covariance_type=form, init_params="", n_iter=5, tol=-np.inf,
                               covars_prior=0.0)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = s0, t0, m0, c0
    ours = HMM.from_params(s0, t0, means=m0, covars=c0, covariance=form)
    assert ours.covars_.shape == np.shape(c0)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-12, abs=1e-9)
    ref.fit(X, lengths)
    ours = HMM(3, covariance=form, startprob_init=s0, transmat_init=t0, means_init=m0,
               covars_init=c0, max_iter=5, tol=0, reg_covar=0).fit(X, lengths)
    assert ours.covars_.shape == np.shape(c0)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    if form == "spherical":  # hmmlearn keeps the one variance tiled over features after fit
        np.testing.assert_allclose(np.broadcast_to(ours.covars_[:, None], (3, 3)), ref._covars_,
                                   rtol=0, atol=1e-10)
    else:  # hmmlearn's covars_: full matrices (S, d, d)
        np.testing.assert_allclose(full_matrices(ours.covars_, form), ref.covars_, rtol=0,
                                   atol=1e-10)
    np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("emission", ["gaussian", "gmm"])
@pytest.mark.parametrize("form", ["spherical", "tied"])
def test_tied_forms_with_missing_entries_score_as_their_expanded_model_and_em_climbs(
        emission, form):
    X, lengths = gaussian_data(seed=6)
    X = X.copy()
    X[np.random.RandomState(0).rand(*X.shape) < 0.15] = np.nan
    model = HMM(3, emission=emission, covariance=form, n_mix=2, max_iter=15, tol=0,
                random_state=0).fit(X, lengths)
    assert np.all(np.diff(model.monitor_) >= -1e-8 * np.abs(model.monitor_[1:]))
    lead = (3,) if emission == "gaussian" else (3, 2)
    expected = {"spherical": lead, "tied": (*lead[:-1], 3, 3)}[form]
    assert model.covars_.shape == expected
    # the same model written with per-component diagonal / full covariances
    _, means, covars = model._emitter().params()
    kw = dict(weights=model.weights_) if emission == "gmm" else {}
    same = HMM.from_params(model.startprob_, model.transmat_,
                           means=means[:, 0] if emission == "gaussian" else means,
                           covars=covars[:, 0] if emission == "gaussian" else covars,
                           covariance="diag" if form == "spherical" else "full", **kw)
    np.testing.assert_allclose(model.score_samples(X, lengths), same.score_samples(X, lengths),
                               rtol=1e-12, atol=1e-9)
    if form == "spherical":  # one variance per component
        assert np.ptp(covars, axis=-1).max() == 0.0
    else:  # one matrix for the model (gaussian) or per state (gmm)
        shared = covars.reshape(-1, 3, 3) if emission == "gaussian" else covars[0]
        assert np.ptp(shared, axis=0).max() == 0.0
    drawn = model.sample(2, length=5, random_state=0)
    assert drawn[0].shape == (5, 3)
    assert model.predict_next(X[:10]).log_pdf(np.zeros((1, 3))).shape == (1,)


def test_covariance_form_bad_input():
    X, lengths = gaussian_data()
    with pytest.raises(ValueError, match=r"covars_init for covariance='spherical' must have "
                                         r"shape \(3,\)"):
        HMM(3, covariance="spherical", covars_init=np.ones((3, 3))).fit(X, lengths)
    with pytest.raises(ValueError, match=r"covars_init for covariance='tied' must have "
                                         r"shape \(3, 3\)"):
        HMM(3, covariance="tied", covars_init=np.ones((3, 3, 3))).fit(X, lengths)
    with pytest.raises(ValueError, match="symmetric positive definite"):
        HMM(3, covariance="tied", covars_init=-np.eye(3)).fit(X, lengths)
    with pytest.raises(ValueError, match="covariance must be one of"):
        HMM(3, covariance="banded").fit(X, lengths)


# -- aic / bic -------------------------------------------------------------------------------------
def _hmmlearn_twin(ours, form="diag"):
    """hmmlearn's model holding the parameters of a fitted gdlab HMM."""
    S = len(ours.startprob_)
    if ours.emission == "poisson":
        ref = hmmlearn.PoissonHMM(S)
        ref.lambdas_ = ours.lambdas_
    elif ours.emission == "categorical":
        ref = hmmlearn.CategoricalHMM(S, n_features=ours.n_symbols_)
        ref.emissionprob_ = ours.emissionprob_
    else:
        ref = hmmlearn.GaussianHMM(S, covariance_type=form)
        ref.means_, ref.covars_ = ours.means_, ours.covars_
    ref.startprob_, ref.transmat_ = ours.startprob_, ours.transmat_
    ref.n_features = ours.n_features_in_ if ours.emission != "categorical" else ours.n_symbols_
    return ref


@pytest.mark.parametrize(("emission", "form"), [
    ("gaussian", "diag"), ("gaussian", "full"), ("gaussian", "spherical"),
    ("gaussian", "tied"), ("categorical", "diag"), ("poisson", "diag")])
def test_aic_bic_match_hmmlearn(emission, form):
    if emission == "poisson":
        X, lengths, _, _ = poisson_data()
    elif emission == "categorical":
        X, lengths = np.random.RandomState(0).randint(0, 4, (90, 1)), [40, 50]
    else:
        X, lengths = gaussian_data()
    ours = HMM(3, emission=emission, covariance=form, max_iter=5, random_state=0).fit(
        X, lengths)
    ref = _hmmlearn_twin(ours, form)
    assert ours.n_parameters() == sum(ref._get_n_fit_scalars_per_param().values())
    assert ours.aic(X, lengths) == pytest.approx(ref.aic(X, lengths), rel=1e-12, abs=1e-8)
    assert ours.bic(X, lengths) == pytest.approx(ref.bic(X, lengths), rel=1e-12, abs=1e-8)
    seqs = np.split(np.asarray(X, dtype=float), np.cumsum(lengths)[:-1])
    assert ours.bic(seqs) == pytest.approx(ours.bic(X, lengths), rel=1e-12, abs=1e-9)


def test_gmm_parameter_count():
    X, lengths = gaussian_data()
    model = HMM(3, emission="gmm", n_mix=2, covariance="tied", max_iter=3,
                random_state=0).fit(X, lengths)
    # start 2, transitions 6, means 3*2*3, one 3x3 matrix per state, weights 3*(2-1)
    assert model.n_parameters() == 2 + 6 + 18 + 3 * 6 + 3


# -- params: which parameters EM updates -----------------------------------------------------------
def test_left_right_model_keeps_its_transitions_exactly():
    X, lengths = gaussian_data()
    trans = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    start = np.array([1.0, 0.0, 0.0])
    for params in ("smc", ["startprob", "means", "covars"]):
        model = HMM(3, startprob_init=start, transmat_init=trans, params=params, max_iter=20,
                    random_state=0).fit(X, lengths)
        np.testing.assert_array_equal(model.transmat_, trans)
        assert model.startprob_[1:].max() == 0.0  # structural zeros stay zero
        assert np.all(np.diff(model.monitor_) >= -1e-8 * np.abs(model.monitor_[1:]))
    fixed = HMM(3, params="t", max_iter=5, random_state=0).fit(X, lengths)
    init = HMM(3, max_iter=1, random_state=0)
    init._check_params()
    init._initialize([X], 3, 1, 1e-6, np.random.RandomState(0))
    np.testing.assert_array_equal(fixed.means_, init.means_)
    np.testing.assert_array_equal(fixed.covars_, init.covars_)


@pytest.mark.parametrize(("form", "params"), [("diag", "st"), ("full", "smc"), ("diag", "sm"),
                                              ("spherical", "tmc"), ("tied", "mc")])
def test_params_match_hmmlearn(form, params):
    X, lengths = gaussian_data()
    rng = np.random.RandomState(5)
    s0, t0 = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    m0, c0 = rng.normal(0, 2, (3, 3)), _start_covars(form, rng)
    ref = hmmlearn.GaussianHMM(3, covariance_type=form, init_params="", params=params,
                               n_iter=4, tol=-np.inf, covars_prior=0.0)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = s0, t0, m0, c0
    ref.fit(X, lengths)
    ours = HMM(3, covariance=form, startprob_init=s0, transmat_init=t0, means_init=m0,
               covars_init=c0, params=params, max_iter=4, tol=0, reg_covar=0).fit(X, lengths)
    np.testing.assert_allclose(ours.startprob_, ref.startprob_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    if form == "spherical":
        np.testing.assert_allclose(np.broadcast_to(ours.covars_[:, None], (3, 3)),
                                   np.broadcast_to(ref._covars_, (3, 3)), rtol=0, atol=1e-10)
    else:
        np.testing.assert_allclose(full_matrices(ours.covars_, form), ref.covars_, rtol=0,
                                   atol=1e-10)
    np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("form", ["diag", "full", "spherical", "tied"])
def test_covariances_without_means_are_taken_about_the_kept_means(form):
    """params with "c" but not "m": one M-step gives the posterior-weighted scatter about the
    kept means (hmmlearn 0.3.3 gathers no posterior sums without "m" and returns garbage)."""
    X, lengths = gaussian_data()
    rng = np.random.RandomState(5)
    s0, t0 = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    m0, c0 = rng.normal(0, 2, (3, 3)), _start_covars(form, rng)
    gamma = HMM.from_params(s0, t0, means=m0, covars=c0, covariance=form).predict_proba(
        X, lengths)
    ours = HMM(3, covariance=form, startprob_init=s0, transmat_init=t0, means_init=m0,
               covars_init=c0, params="c", max_iter=1, reg_covar=0).fit(X, lengths)
    np.testing.assert_array_equal(ours.means_, m0)
    scatter = np.einsum("tk,tki,tkj->kij", gamma, X[:, None] - m0, X[:, None] - m0)
    full = scatter / gamma.sum(axis=0)[:, None, None]
    expected = {"full": full, "diag": np.diagonal(full, axis1=1, axis2=2),
                "spherical": np.diagonal(full, axis1=1, axis2=2).mean(axis=1),
                "tied": scatter.sum(axis=0) / len(X)}[form]
    np.testing.assert_allclose(ours.covars_, expected, rtol=0, atol=1e-10)


def test_params_poisson_and_categorical_match_hmmlearn():
    X, lengths, _, _ = poisson_data()
    s0, t0, l0 = start_params(np.random.RandomState(1))
    ref = hmmlearn.PoissonHMM(3, init_params="", params="sl", n_iter=3, tol=-np.inf)
    ref.startprob_, ref.transmat_, ref.lambdas_ = s0, t0, l0
    ref.fit(X, lengths)
    ours = HMM(3, emission="poisson", startprob_init=s0, transmat_init=t0, lambdas_init=l0,
               params="sl", max_iter=3, tol=0).fit(X, lengths)
    np.testing.assert_array_equal(ours.transmat_, t0)
    np.testing.assert_allclose(ours.lambdas_, ref.lambdas_, rtol=0, atol=1e-10)
    sym = np.random.RandomState(2).randint(0, 4, (90, 1))
    e0 = np.random.RandomState(3).dirichlet(np.ones(4), size=3)
    ref = hmmlearn.CategoricalHMM(3, init_params="", params="te", n_iter=3, tol=-np.inf)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = s0, t0, e0
    ref.fit(sym, [40, 50])
    ours = HMM(3, emission="categorical", startprob_init=s0, transmat_init=t0,
               emissionprob_init=e0, smoothing=0, params="te", max_iter=3, tol=0).fit(
        sym, [40, 50])
    np.testing.assert_array_equal(ours.startprob_, s0)
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)


def test_params_naming_a_missing_parameter_is_refused():
    X, lengths = gaussian_data()
    with pytest.raises(ValueError, match=r"params names 'e', which HMM\(emission='gaussian'\) "
                                         r"does not have; its parameters are s \(startprob\)"):
        HMM(3, params="ste").fit(X, lengths)
    with pytest.raises(ValueError, match="params names 'lambdas'"):
        HMM(3, params=["means", "lambdas"]).fit(X, lengths)
    with pytest.raises(ValueError, match="params names 'w'"):
        HMM(3, emission="gaussian", params="stmcw").fit(X, lengths)
    with pytest.raises(TypeError, match="params must be a string"):
        HMM(3, params=3).fit(X, lengths)


# -- MAP (posterior) decoding ----------------------------------------------------------------------
@pytest.mark.parametrize("emission", ["gaussian", "poisson"])
def test_map_decoding_matches_hmmlearn_and_the_posteriors(emission):
    if emission == "poisson":
        X, lengths, _, _ = poisson_data()
    else:
        X, lengths = gaussian_data()
    ours = HMM(3, emission=emission, max_iter=5, random_state=0).fit(X, lengths)
    ref = _hmmlearn_twin(ours)
    log_prob, states = ours.decode(X, lengths, algorithm="map")
    ref_sum, ref_states = ref.decode(X, lengths, algorithm="map")
    np.testing.assert_array_equal(states, ref_states)
    post = ours.predict_proba(X, lengths)
    np.testing.assert_array_equal(states, post.argmax(axis=1))
    assert log_prob.shape == (len(lengths),)
    np.testing.assert_allclose(log_prob.sum(), np.log(post.max(axis=1)).sum(), rtol=1e-12)
    # hmmlearn's number: the sum of the per-frame max posteriors
    assert post.max(axis=1).sum() == pytest.approx(ref_sum, rel=1e-10)
    np.testing.assert_array_equal(ours.predict(X, lengths, algorithm="map"), states)
    v_log, v_states = ours.decode(X, lengths)
    r_log, r_states = ref.decode(X, lengths, algorithm="viterbi")
    np.testing.assert_array_equal(v_states, r_states)
    assert v_log.sum() == pytest.approx(r_log, rel=1e-12)
    with pytest.raises(ValueError, match="algorithm must be one of"):
        ours.decode(X, lengths, algorithm="beam")



# -- priors (MAP estimation) ----------------------------------------------------------------------
@pytest.mark.parametrize("form", ["spherical", "tied", "diag", "full"])
@pytest.mark.parametrize("strong", [False, True])
def test_priors_match_hmmlearn(form, strong):
    """hmmlearn's default covars_prior=1e-2 alone, then every prior (Dirichlet start and
    transitions, normal means, covariance scatter and weight) together."""
    X, lengths = gaussian_data()
    rng = np.random.RandomState(5)
    s0, t0 = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    m0, c0 = rng.normal(0, 2, (3, 3)), _start_covars(form, rng)
    kw = dict(covars_prior=1e-2)
    if strong:
        kw.update(covars_prior=0.3, covars_weight=5.0, means_prior=rng.normal(size=(3, 3)),
                  means_weight=2.0, startprob_prior=2.0,
                  transmat_prior=rng.uniform(1.0, 4.0, (3, 3)))
    ref = hmmlearn.GaussianHMM(3, covariance_type=form, init_params="", n_iter=3, tol=-np.inf,
                               **kw)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = s0, t0, m0, c0
    ref.fit(X, lengths)
    ours = HMM(3, covariance=form, startprob_init=s0, transmat_init=t0, means_init=m0,
               covars_init=c0, max_iter=3, tol=0, reg_covar=0, **kw).fit(X, lengths)
    np.testing.assert_allclose(ours.startprob_, ref.startprob_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    covars = np.broadcast_to(ours.covars_[:, None], (3, 3)) if form == "spherical" \
        else ours.covars_
    np.testing.assert_allclose(covars, ref._covars_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-12, atol=1e-9)


def test_means_weight_per_state():
    """A vector means_weight weighs each state's prior mean (hmmlearn 0.3.3 broadcasts it
    over features instead, so a vector is not compared with it)."""
    X, lengths = gaussian_data()
    target = np.full((3, 3), 50.0)
    model = HMM(3, means_prior=target, means_weight=[1e9, 0.0, 0.0], max_iter=3,
                random_state=0).fit(X, lengths)
    np.testing.assert_allclose(model.means_[0], 50.0, rtol=0, atol=1e-5)
    assert np.abs(model.means_[1:]).max() < 10.0


def test_dirichlet_prior_keeps_structural_zeros_and_bad_priors_are_refused():
    X, lengths = gaussian_data()
    trans = np.array([[0.9, 0.1, 0.0], [0.0, 0.8, 0.2], [0.0, 0.0, 1.0]])
    model = HMM(3, transmat_init=trans, transmat_prior=5.0, startprob_prior=3.0, max_iter=5,
                random_state=0).fit(X, lengths)
    assert np.all(model.transmat_[trans == 0] == 0.0)
    assert model.startprob_.min() > 0.0  # the prior keeps every start state possible
    with pytest.raises(ValueError, match=r"transmat_prior must be a number or have shape "
                                         r"\(3, 3\)"):
        HMM(3, transmat_prior=np.ones(4)).fit(X, lengths)
    with pytest.raises(ValueError, match="startprob_prior must be finite and non-negative"):
        HMM(3, startprob_prior=-1.0).fit(X, lengths)
    with pytest.raises(ValueError, match=r"means_prior must be a number or have shape \(3, 3\)"):
        HMM(3, means_prior=np.zeros((2, 3)), means_weight=1.0).fit(X, lengths)
    with pytest.raises(ValueError, match="covars_prior must be finite"):
        HMM(3, covars_prior=-1.0).fit(X, lengths)
    with pytest.raises(ValueError, match=r"covars_prior must be a number or have shape "
                                         r"\(3, 2, 3\)"):
        HMM(3, emission="gmm", covars_prior=np.ones((3, 3)), covars_weight=2.0).fit(X, lengths)
    with pytest.raises(ValueError, match=r"weights_prior \(a Dirichlet.*emission='gmm' only"):
        HMM(3, weights_prior=2.0).fit(X, lengths)


@pytest.mark.parametrize("form", ["spherical", "tied", "diag", "full"])
def test_gmm_covariance_forms_score_as_hmmlearn_gmmhmm(form):
    """GMMHMM's covars_ layouts (tied: one matrix per state) give hmmlearn's likelihood and
    posteriors. (Its EM is not compared: GMMHMM's default priors are not maximum likelihood.)"""
    X, lengths = gaussian_data(d=2)
    rng = np.random.RandomState(0)
    S, M, d = 3, 2, 2
    s0, t0 = rng.dirichlet(np.ones(S)), rng.dirichlet(np.ones(S), size=S)
    w0, m0 = rng.dirichlet(np.ones(M), size=S), rng.normal(0, 2, (S, M, d))
    c0 = {"diag": rng.uniform(1, 2, (S, M, d)), "full": np.tile(np.eye(d) * 1.5, (S, M, 1, 1)),
          "spherical": rng.uniform(1, 2, (S, M)), "tied": np.tile(np.eye(d) * 1.5, (S, 1, 1))}
    ref = hmmlearn.GMMHMM(S, n_mix=M, covariance_type=form, init_params="")
    ref.startprob_, ref.transmat_, ref.weights_, ref.means_, ref.covars_ = (
        s0, t0, w0, m0, c0[form])
    ref.n_features = d
    ours = HMM.from_params(s0, t0, means=m0, covars=c0[form], weights=w0, covariance=form)
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-12, abs=1e-9)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                               rtol=0, atol=1e-10)


# -- Poisson: Gamma prior (MAP) and the next-frame distribution -----------------------------------
@pytest.mark.parametrize(("alpha", "beta"), [(0.0, 0.0), (5.0, 2.0), (0.5, 40.0)])
def test_poisson_gamma_prior_matches_hmmlearn_for_one_state(alpha, beta):
    """hmmlearn 0.3.3's PoissonHMM M-step is (alpha + n y_bar_k) / (beta + n) with n the
    posterior weight of every state: with one state that is the conjugate update."""
    X, lengths, _, _ = poisson_data(seed=5)
    for n_iter in (1, 3):
        ref = hmmlearn.PoissonHMM(1, init_params="", n_iter=n_iter, tol=-np.inf,
                                  lambdas_prior=alpha, lambdas_weight=beta)
        ref.startprob_, ref.transmat_, ref.lambdas_ = (np.ones(1), np.ones((1, 1)),
                                                       np.array([[2.0, 2.0, 2.0]]))
        ref.fit(X, lengths)
        ours = HMM(1, emission="poisson", lambdas_init=[[2.0, 2.0, 2.0]], max_iter=n_iter,
                   tol=0, lambdas_prior=alpha, lambdas_weight=beta).fit(X, lengths)
        np.testing.assert_allclose(ours.lambdas_, ref.lambdas_, rtol=0, atol=1e-12)
        np.testing.assert_allclose(ours.lambdas_[0], (alpha + X.sum(0)) / (beta + len(X)),
                                   rtol=0, atol=1e-12)


def test_poisson_gamma_prior_is_the_conjugate_update_per_state():
    X, lengths, _, _ = poisson_data(seed=6)
    X = X.astype(float)
    X[::7, 1] = np.nan  # a missing entry adds neither a count nor a frame to its feature
    s0, t0, l0 = start_params(np.random.RandomState(2))
    alpha = np.array([[1.0, 20.0, 0.0], [3.0, 0.0, 2.0], [0.0, 0.0, 9.0]])
    beta = np.array([4.0, 0.5, 10.0])  # one per state, as hmmlearn documents it
    start = HMM.from_params(s0, t0, lambdas=l0)
    gamma = start.predict_proba(X, lengths)  # (frames, states) under the start
    observed = ~np.isnan(X)
    counts = gamma.T @ np.where(observed, X, 0.0)
    frames = gamma.T @ observed
    want = (alpha + counts) / (beta[:, None] + frames)
    ours = HMM(3, emission="poisson", startprob_init=s0, transmat_init=t0, lambdas_init=l0,
               max_iter=1, tol=0, lambdas_prior=alpha, lambdas_weight=beta).fit(X, lengths)
    np.testing.assert_allclose(ours.lambdas_, want, rtol=1e-12, atol=1e-12)
    mle = HMM(3, emission="poisson", startprob_init=s0, transmat_init=t0, lambdas_init=l0,
              max_iter=1, tol=0).fit(X, lengths)
    np.testing.assert_allclose(mle.lambdas_, counts / frames, rtol=1e-12, atol=1e-12)
    # a strong prior pulls every rate to alpha / beta
    strong = HMM(3, emission="poisson", lambdas_prior=5e6, lambdas_weight=1e6,
                 random_state=0).fit(X, lengths)
    np.testing.assert_allclose(strong.lambdas_, 5.0, rtol=1e-3)


def test_poisson_gamma_prior_through_the_hmmlearn_facade():
    from gdlab.hmmlearn import hmm as facade

    X, lengths, _, _ = poisson_data(seed=7)
    s0, t0, l0 = start_params(np.random.RandomState(3))
    kw = dict(init_params="", n_iter=4, tol=-np.inf, lambdas_prior=2.0, lambdas_weight=3.0)
    ours = facade.PoissonHMM(3, **kw)
    ours.startprob_, ours.transmat_, ours.lambdas_ = s0, t0, l0
    ours.fit(X, lengths)
    direct = HMM(3, emission="poisson", startprob_init=s0, transmat_init=t0, lambdas_init=l0,
                 max_iter=4, tol=0, lambdas_prior=2.0, lambdas_weight=3.0).fit(X, lengths)
    np.testing.assert_allclose(ours.lambdas_, direct.lambdas_, rtol=0, atol=1e-12)


def test_poisson_prior_bad_input():
    X, lengths, _, _ = poisson_data()
    with pytest.raises(ValueError, match=r"lambdas_prior must be a number or have shape \(3,\)"):
        HMM(3, emission="poisson", lambdas_prior=np.ones(4)).fit(X, lengths)
    with pytest.raises(ValueError, match="lambdas_weight must be finite and non-negative"):
        HMM(3, emission="poisson", lambdas_weight=np.nan).fit(X, lengths)
    with pytest.raises(ValueError, match="apply to emission='poisson' only, not 'gaussian'"):
        HMM(3, lambdas_prior=1.0).fit(X.astype(float), lengths)


def test_poisson_predict_next_equals_brute_force():
    s0, t0, l0 = start_params(np.random.RandomState(4))
    l0[1, 2] = 0.0  # a state that never emits on feature 2
    model = HMM.from_params(s0, t0, lambdas=l0)
    rng = np.random.RandomState(5)
    prefixes = [rng.poisson(3.0, (5, 3)), rng.poisson(3.0, (2, 3))]
    nxt = model.predict_next(prefixes)
    np.testing.assert_allclose(nxt.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    x_next = np.array([[2, 0, 1], [0, 4, 0]])
    expected = [model.score_samples([np.vstack([p, x[None]])])[0] - model.score_samples([p])[0]
                for p, x in zip(prefixes, x_next, strict=True)]
    np.testing.assert_allclose(nxt.log_pdf(x_next), expected, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(nxt.mean, nxt.weights @ l0, rtol=0, atol=1e-12)
    # exp(log_pdf) over every count vector (up to 40 per feature) sums to one
    from gdlab.models.hmm import NextObservation

    grid = np.stack(np.meshgrid(*[np.arange(41)] * 3, indexing="ij"), axis=-1).reshape(-1, 3)
    for i in range(2):
        one = NextObservation(np.repeat(nxt.weights[[i]], len(grid), axis=0), lambdas=l0)
        assert np.exp(one.log_pdf(grid)).sum() == pytest.approx(1.0, abs=1e-9)
    draws = np.vstack([nxt.sample(random_state=s) for s in range(2000)])
    assert draws.dtype == np.int64 and draws.shape == (4000, 3)
    np.testing.assert_allclose(draws[0::2].mean(0), nxt.mean[0], rtol=0.08)
    with pytest.raises(ValueError, match="non-negative integer counts"):
        nxt.log_pdf(np.array([[1.5, 0, 0], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r"shape \(2, 3\)"):
        nxt.log_pdf(np.zeros((2, 2)))


# -- GMM emissions: Dirichlet prior of the mixture weights, normal prior of the means -------------
def _gmm_start(form, S=3, M=2, d=2, seed=0):
    rng = np.random.RandomState(seed)
    s0, t0 = rng.dirichlet(np.ones(S)), rng.dirichlet(np.ones(S), size=S)
    w0, m0 = rng.dirichlet(np.ones(M), size=S), rng.normal(0, 2, (S, M, d))
    c0 = {"diag": rng.uniform(1, 2, (S, M, d)), "full": np.tile(np.eye(d) * 1.5, (S, M, 1, 1)),
          "spherical": rng.uniform(1, 2, (S, M)), "tied": np.tile(np.eye(d) * 1.5, (S, 1, 1))}
    return s0, t0, w0, m0, c0[form]


@pytest.mark.parametrize("form", ["diag", "full", "spherical", "tied"])
def test_gmm_weights_and_means_priors_match_hmmlearn_gmmhmm(form):
    """With covariances kept (params "stwm"), EM with GMMHMM's weights_prior, means_prior and
    means_weight is hmmlearn's, step for step."""
    X, lengths = gaussian_data(d=2)
    s0, t0, w0, m0, c0 = _gmm_start(form)
    rng = np.random.RandomState(1)
    priors = dict(weights_prior=rng.uniform(1.0, 30.0, (3, 2)),
                  means_prior=rng.normal(0, 1, (3, 2, 2)),
                  means_weight=rng.uniform(0.0, 50.0, (3, 2)))
    ref = hmmlearn.GMMHMM(3, n_mix=2, covariance_type=form, init_params="", params="stwm",
                          n_iter=4, tol=-np.inf, **priors)
    ref.startprob_, ref.transmat_, ref.weights_, ref.means_, ref.covars_ = s0, t0, w0, m0, c0
    ref.fit(X, lengths)
    ours = HMM(3, emission="gmm", n_mix=2, covariance=form, startprob_init=s0,
               transmat_init=t0, weights_init=w0, means_init=m0, covars_init=c0,
               params="stwm", max_iter=4, tol=0, **priors).fit(X, lengths)
    np.testing.assert_allclose(ours.weights_, ref.weights_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-12, atol=1e-9)
    # and they are priors: the fit moves towards them
    mle = HMM(3, emission="gmm", n_mix=2, covariance=form, startprob_init=s0,
              transmat_init=t0, weights_init=w0, means_init=m0, covars_init=c0,
              params="stwm", max_iter=4, tol=0).fit(X, lengths)
    assert (np.abs(ours.means_ - priors["means_prior"]).sum()
            < np.abs(mle.means_ - priors["means_prior"]).sum())


def test_gmm_priors_through_the_hmmlearn_facade_and_by_hand():
    from gdlab.hmmlearn import hmm as facade

    X, lengths = gaussian_data(d=2)
    s0, t0, w0, m0, c0 = _gmm_start("diag")
    kw = dict(n_mix=2, init_params="", params="stwmc", n_iter=1, tol=-np.inf,
              weights_prior=4.0, means_prior=0.5, means_weight=3.0)
    ours = facade.GMMHMM(3, **kw)
    ours.startprob_, ours.transmat_, ours.weights_, ours.means_, ours.covars_ = (
        s0, t0, w0, m0, c0)
    ours.fit(X, lengths)
    # one M-step by hand from the start's state and component posteriors
    start = HMM.from_params(s0, t0, means=m0, covars=c0, weights=w0, covariance="diag")
    gamma = start.predict_proba(X, lengths)  # (T, S)
    log_comp = np.stack([
        np.log(w0[k])[None] + np.stack([
            -0.5 * (((X - m0[k, m]) ** 2 / c0[k, m]) + np.log(2 * np.pi * c0[k, m])).sum(1)
            for m in range(2)], axis=1)
        for k in range(3)], axis=1)  # (T, S, M)
    resp = np.exp(log_comp - np.logaddexp.reduce(log_comp, axis=2, keepdims=True))
    post = gamma[:, :, None] * resp  # (T, S, M)
    n = post.sum(0)
    w = (n + 3.0) / (n + 3.0).sum(1, keepdims=True)
    mu = (3.0 * 0.5 + np.einsum("tsm,td->smd", post, X)) / (3.0 + n)[:, :, None]
    # hmmlearn's GMMHMM: scatter about the previous means; its default diag covariance
    # prior (alpha -1.5, beta 0) leaves the denominator n; reg_covar=0 in the facade
    scatter = np.einsum("tsm,tsmd->smd", post, (X[:, None, None, :] - m0[None]) ** 2)
    var = (3.0 * (mu - 0.5) ** 2 + scatter) / n[:, :, None]
    np.testing.assert_allclose(ours.weights_, w, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.means_, mu, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.covars_, var, rtol=0, atol=1e-10)
    with pytest.raises(ValueError, match=r"weights_prior must be a number or have shape "
                                         r"\(3, 2\)"):
        facade.GMMHMM(3, n_mix=2, weights_prior=np.ones(5)).fit(X, lengths)


# -- categorical emissions: a Dirichlet prior per state and symbol -------------------------------
def test_categorical_emission_prior_per_state_and_symbol_matches_hmmlearn():
    from gdlab.hmmlearn import hmm as facade

    rng = np.random.RandomState(8)
    S, V = 3, 4
    s0, t0 = rng.dirichlet(np.ones(S)), rng.dirichlet(np.ones(S), size=S)
    e0 = rng.dirichlet(np.ones(V), size=S)
    X = HMM.from_params(s0, t0, emissionprob=e0).sample(3, length=40, random_state=0)
    X = np.concatenate(X)
    lengths = np.array([40, 40, 40])
    prior = rng.uniform(1.0, 20.0, (S, V))
    ref = hmmlearn.CategoricalHMM(S, n_features=V, init_params="", n_iter=3, tol=-np.inf,
                                  emissionprob_prior=prior)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = s0, t0, e0
    ref.fit(X, lengths)
    ours = facade.CategoricalHMM(S, n_features=V, init_params="", n_iter=3, tol=-np.inf,
                                 emissionprob_prior=prior)
    ours.startprob_, ours.transmat_, ours.emissionprob_ = s0, t0, e0
    ours.fit(X, lengths)
    np.testing.assert_allclose(ours.emissionprob_, ref.emissionprob_, rtol=0, atol=1e-10)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=0, atol=1e-10)
    # gdlab's own name: smoothing = prior - 1, one per state and symbol (or per symbol)
    direct = HMM(S, emission="categorical", n_symbols=V, startprob_init=s0, transmat_init=t0,
                 emissionprob_init=e0, max_iter=3, tol=0, smoothing=prior - 1.0).fit(X, lengths)
    np.testing.assert_allclose(direct.emissionprob_, ref.emissionprob_, rtol=0, atol=1e-10)
    per_symbol = HMM(S, emission="categorical", n_symbols=V, startprob_init=s0,
                     transmat_init=t0, emissionprob_init=e0, max_iter=1, tol=0,
                     smoothing=np.array([0.0, 5.0, 0.0, 0.0])).fit(X, lengths)
    plain = HMM(S, emission="categorical", n_symbols=V, startprob_init=s0, transmat_init=t0,
                emissionprob_init=e0, max_iter=1, tol=0, smoothing=0.0).fit(X, lengths)
    assert (per_symbol.emissionprob_[:, 1] > plain.emissionprob_[:, 1]).all()
    with pytest.raises(ValueError, match=r"smoothing must be a number or have shape \(4,\)"):
        HMM(S, emission="categorical", n_symbols=V, smoothing=np.ones(3)).fit(X, lengths)
    with pytest.raises(ValueError, match="smoothing must be finite and non-negative"):
        HMM(S, emission="categorical", smoothing=-np.ones(V)).fit(X, lengths)
    with pytest.raises(ValueError, match=r"emissionprob_prior=...\) must be >= 1"):
        facade.CategoricalHMM(S, emissionprob_prior=np.full((S, V), 0.5)).fit(X, lengths)
