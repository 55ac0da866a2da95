"""Tests of the HMM density and the HMM sequence classifier."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.base import clone

import gdlab
from gdlab.capability_tags import capabilities, input_kind
from gdlab.data.sequences import hmm_sequences, split_sequences, stack_sequences
from gdlab.models.hmm import HMM, HMMClassifier, NextObservation


# -- helpers ----------------------------------------------------------------------------------
def random_params(rng, S=3, d=2, emission="gaussian", covariance="diag", M=2, V=4):
    p = {"startprob_": rng.dirichlet(np.ones(S)), "transmat_": rng.dirichlet(np.ones(S), size=S)}
    if emission == "categorical":
        p["emissionprob_"] = rng.dirichlet(np.ones(V), size=S)
        return p
    lead = (S,) if emission == "gaussian" else (S, M)
    p["means_"] = rng.normal(0, 2, (*lead, d))
    if covariance == "diag":
        p["covars_"] = rng.uniform(0.5, 1.5, (*lead, d))
    else:
        A = rng.normal(0, 0.5, (*lead, d, d))
        p["covars_"] = A @ np.swapaxes(A, -1, -2) + 0.5 * np.eye(d)
    if emission == "gmm":
        p["weights_"] = rng.dirichlet(np.ones(M), size=S)
    return p


def model_with(params, **kwargs):
    """A fitted-looking HMM holding the given parameters."""
    S = len(params["startprob_"])
    m = HMM(S, **kwargs)
    for k, v in params.items():
        setattr(m, k, v)
    if "emissionprob_" in params:
        m.n_symbols_ = params["emissionprob_"].shape[1]
        m.n_features_in_ = 1
    else:
        m.n_features_in_ = params["means_"].shape[-1]
    m.monitor_, m.converged_, m.n_iter_ = [], True, 0
    return m


def emission_logpdf(model, x):
    """log p(x | state) for every state, by scipy, NaN entries marginalized (brute force)."""
    S = len(model.startprob_)
    if model.emission == "categorical":
        if np.isnan(x[0]):
            return np.zeros(S)
        return np.log(model.emissionprob_[:, int(x[0])])
    obs = ~np.isnan(x)
    if not obs.any():
        return np.zeros(S)
    means = model.means_ if model.emission == "gmm" else model.means_[:, None]
    covs = model.covars_ if model.emission == "gmm" else model.covars_[:, None]
    weights = model.weights_ if model.emission == "gmm" else np.ones((S, 1))
    out = np.empty(S)
    for k in range(S):
        terms = []
        for m in range(means.shape[1]):
            C = np.diag(covs[k, m]) if model.covariance == "diag" else covs[k, m]
            terms.append(np.log(weights[k, m]) + multivariate_normal.logpdf(
                x[obs], means[k, m][obs], C[np.ix_(obs, obs)]))
        out[k] = logsumexp(terms)
    return out


def brute_force(model, x):
    """(log p(x), best path log-prob, best path) by enumerating all state paths."""
    S = len(model.startprob_)
    le = np.array([emission_logpdf(model, row) for row in x])
    with np.errstate(divide="ignore"):
        lpi, lA = np.log(model.startprob_), np.log(model.transmat_)
    scores = {}
    for path in itertools.product(range(S), repeat=len(x)):
        s = lpi[path[0]] + le[0, path[0]]
        for t in range(1, len(x)):
            s += lA[path[t - 1], path[t]] + le[t, path[t]]
        scores[path] = s
    best = max(scores, key=scores.get)
    return logsumexp(list(scores.values())), scores[best], np.array(best)


CASES = [
    ("gaussian", "diag"),
    ("gaussian", "full"),
    ("gmm", "diag"),
    ("gmm", "full"),
    ("categorical", "diag"),
]


def tiny_sequences(rng, emission, d=2, V=4, lengths=(4, 1, 3, 5), missing=False):
    seqs = []
    for L in lengths:
        if emission == "categorical":
            s = rng.randint(0, V, (L, 1)).astype(float)
            if missing:
                s[rng.rand(L) < 0.3] = np.nan
        else:
            s = rng.normal(0, 2, (L, d))
            if missing:
                s[rng.rand(L, d) < 0.3] = np.nan
        seqs.append(s)
    return seqs


# -- exactness on tiny models ----------------------------------------------------------------
@pytest.mark.parametrize(("emission", "covariance"), CASES)
@pytest.mark.parametrize("missing", [False, True])
def test_forward_and_viterbi_equal_brute_force(emission, covariance, missing):
    rng = np.random.RandomState(0)
    params = random_params(rng, emission=emission, covariance=covariance)
    model = model_with(params, emission=emission, covariance=covariance)
    seqs = tiny_sequences(rng, emission, missing=missing)
    ll = model.score_samples(seqs)
    vit_lp, vit_states = model.decode(seqs)
    paths = np.split(vit_states, np.cumsum([len(s) for s in seqs])[:-1])
    for i, s in enumerate(seqs):
        total, best_lp, best_path = brute_force(model, s)
        # atol: a sequence of missing frames has log p = 0, which logsumexp over the
        # paths gives as 0 or +-1e-16 depending on the BLAS and summation order
        np.testing.assert_allclose(ll[i], total, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(vit_lp[i], best_lp, rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(paths[i], best_path)
    assert model.score(seqs) == pytest.approx(ll.sum(), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("emission", "covariance"), CASES)
def test_posteriors_match_brute_force_and_sum_to_one(emission, covariance):
    rng = np.random.RandomState(1)
    params = random_params(rng, emission=emission, covariance=covariance)
    model = model_with(params, emission=emission, covariance=covariance)
    seqs = tiny_sequences(rng, emission, lengths=(3, 2), missing=True)
    post = model.predict_proba(seqs)
    assert post.shape == (5, 3)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # brute-force marginal of the state at t=1 of sequence 0
    x = seqs[0]
    le = np.array([emission_logpdf(model, row) for row in x])
    marg = np.zeros(3)
    for path in itertools.product(range(3), repeat=len(x)):
        s = np.log(model.startprob_[path[0]]) + le[0, path[0]]
        for t in range(1, len(x)):
            s += np.log(model.transmat_[path[t - 1], path[t]]) + le[t, path[t]]
        marg[path[1]] += np.exp(s)
    np.testing.assert_allclose(post[1], marg / marg.sum(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("covariance", ["diag", "full"])
def test_missing_entry_equals_model_on_observed_dimensions(covariance):
    rng = np.random.RandomState(2)
    params = random_params(rng, d=3, covariance=covariance)
    model = model_with(params, covariance=covariance)
    seqs = [rng.normal(0, 2, (6, 3)) for _ in range(3)]
    for s in seqs:
        s[:, 1] = np.nan  # dimension 1 never observed
    keep = [0, 2]
    sub = dict(params)
    sub["means_"] = params["means_"][:, keep]
    sub["covars_"] = (params["covars_"][:, keep] if covariance == "diag"
                      else params["covars_"][:, keep][:, :, keep])
    restricted = model_with(sub, covariance=covariance)
    np.testing.assert_allclose(model.score_samples(seqs),
                               restricted.score_samples([s[:, keep] for s in seqs]),
                               rtol=1e-10, atol=1e-10)


def test_nan_frame_contributes_nothing():
    rng = np.random.RandomState(3)
    model = model_with(random_params(rng, S=2, d=2), covariance="diag")
    x = rng.normal(size=(4, 2))
    x_nan = x.copy()
    x_nan[-1] = np.nan  # a missing last frame: p(x_1..3, anything) = p(x_1..3)
    np.testing.assert_allclose(model.score_samples([x_nan]), model.score_samples([x[:3]]),
                               rtol=1e-12, atol=1e-12)


# -- interface ------------------------------------------------------------------------------
def test_list_and_stacked_inputs_agree():
    ds = hmm_sequences(n_sequences=12, length=(5, 15), random_state=0)
    lengths = ds.metadata["lengths"]
    seqs = split_sequences(ds.X, lengths)
    a = HMM(3, random_state=0, max_iter=10).fit(seqs)
    b = HMM(3, random_state=0, max_iter=10).fit(ds.X, lengths)
    np.testing.assert_array_equal(a.means_, b.means_)
    np.testing.assert_array_equal(a.score_samples(seqs), b.score_samples(ds.X, lengths))
    np.testing.assert_array_equal(a.predict(seqs), b.predict(ds.X, lengths))
    np.testing.assert_array_equal(a.predict_proba(seqs), b.predict_proba(ds.X, lengths))
    # batched scoring of variable-length sequences equals scoring each alone
    alone = np.array([a.score_samples([s])[0] for s in seqs])
    # (batches of other sizes reach BLAS with other shapes: equal to rounding, not bitwise)
    np.testing.assert_allclose(a.score_samples(seqs), alone, rtol=1e-12, atol=1e-10)
    # a single 1-D sequence
    one = HMM(2, emission="categorical", random_state=0, max_iter=5).fit(np.array([0, 1, 1, 0, 2]))
    assert one.n_features_in_ == 1 and one.n_symbols_ == 3


@pytest.mark.parametrize(("emission", "covariance"), CASES)
@pytest.mark.parametrize("missing", [False, True])
def test_em_never_decreases_the_likelihood(emission, covariance, missing):
    rng = np.random.RandomState(4)
    kind = "categorical" if emission == "categorical" else "gaussian"
    ds = hmm_sequences(n_sequences=20, length=(10, 30), emission=kind, random_state=1)
    X = ds.X.astype(float)
    if missing:
        if emission == "categorical":
            X[rng.rand(len(X)) < 0.1] = np.nan
        else:
            X[rng.rand(*X.shape) < 0.15] = np.nan
    model = HMM(3, emission=emission, covariance=covariance, n_mix=2, max_iter=15, tol=0,
                random_state=0).fit(X, ds.metadata["lengths"])
    history = np.array(model.monitor_)
    assert len(history) == 15 and model.n_iter_ == 15
    assert np.all(np.diff(history) >= -1e-8 * np.abs(history[1:]))
    assert model.score(X, ds.metadata["lengths"]) >= history[-1] - 1e-8 * abs(history[-1])


def test_parameters_recovered_up_to_permutation():
    ds = hmm_sequences(n_sequences=120, length=100, n_states=3, n_classes=2,
                       random_state=0, parameter_seed=3)
    keep = ds.y == 0
    lengths = ds.metadata["lengths"]
    seqs = [s for s, k in zip(split_sequences(ds.X, lengths), keep, strict=True) if k]
    true = ds.metadata["hmms"][0]
    model = HMM(3, random_state=0, n_init=2, max_iter=200).fit(seqs)
    perm = [int(np.argmin(((true["means"] - m) ** 2).sum(axis=1))) for m in model.means_]
    assert sorted(perm) == [0, 1, 2]
    np.testing.assert_allclose(model.means_, true["means"][perm], atol=0.1)
    np.testing.assert_allclose(model.covars_, np.diagonal(true["covars"], axis1=1,
                                                          axis2=2)[perm], atol=0.1)
    np.testing.assert_allclose(model.transmat_, true["transmat"][np.ix_(perm, perm)], atol=0.05)


def test_sample_then_refit_recovers_categorical_model():
    rng = np.random.RandomState(5)
    true = model_with({
        "startprob_": np.array([0.6, 0.4]),
        "transmat_": np.array([[0.9, 0.1], [0.2, 0.8]]),
        "emissionprob_": np.array([[0.7, 0.2, 0.1], [0.05, 0.15, 0.8]]),
    }, emission="categorical")
    seqs = true.sample(100, length=100, random_state=rng)
    model = HMM(2, emission="categorical", random_state=0, n_init=3, max_iter=300,
                tol=1e-6).fit(seqs)
    perm = np.argsort(model.emissionprob_[:, 0])[::-1]  # state 0: mostly symbol 0
    np.testing.assert_allclose(model.emissionprob_[perm], true.emissionprob_, atol=0.03)
    np.testing.assert_allclose(model.transmat_[np.ix_(perm, perm)], true.transmat_, atol=0.03)


def test_sample_shapes_and_seeds():
    rng = np.random.RandomState(6)
    model = model_with(random_params(rng, d=2, emission="gmm"), emission="gmm")
    a, states = model.sample(4, length=7, random_state=1, return_states=True)
    assert [x.shape for x in a] == [(7, 2)] * 4 and [s.shape for s in states] == [(7,)] * 4
    b = model.sample(4, length=7, random_state=1)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    c = model.sample(4, length=7)
    assert not all(np.array_equal(x, y) for x, y in zip(a, c, strict=True))
    varied = model.sample(30, length=(2, 5), random_state=0)
    assert {len(x) for x in varied} <= {2, 3, 4, 5} and len({len(x) for x in varied}) > 1
    cat = model_with(random_params(rng, emission="categorical"), emission="categorical")
    drawn = cat.sample(3, length=5, random_state=0)
    assert all(x.dtype == np.int64 and x.shape == (5, 1) for x in drawn)


def test_predict_next_categorical_equals_brute_force():
    rng = np.random.RandomState(7)
    model = model_with(random_params(rng, S=2, emission="categorical", V=3),
                       emission="categorical")
    prefixes = [np.array([[0], [2], [1]]), np.array([[1]])]
    nxt = model.predict_next(prefixes)
    assert isinstance(nxt, NextObservation)
    np.testing.assert_allclose(nxt.proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(nxt.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    for i, prefix in enumerate(prefixes):
        base = model.score_samples([prefix])[0]
        for v in range(3):
            ext = np.vstack([prefix, [[v]]])
            expected = np.exp(model.score_samples([ext])[0] - base)
            assert nxt.proba[i, v] == pytest.approx(expected, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(nxt.log_pdf([2, 0]), np.log(nxt.proba[[0, 1], [2, 0]]),
                               rtol=1e-12, atol=1e-12)
    assert nxt.sample(random_state=0).shape == (2, 1)


@pytest.mark.parametrize(("emission", "covariance"), [("gaussian", "diag"), ("gmm", "full")])
def test_predict_next_gaussian_density_equals_brute_force(emission, covariance):
    rng = np.random.RandomState(8)
    model = model_with(random_params(rng, emission=emission, covariance=covariance),
                       emission=emission, covariance=covariance)
    prefixes = [rng.normal(size=(4, 2)), rng.normal(size=(2, 2))]
    nxt = model.predict_next(prefixes)
    x_next = rng.normal(size=(2, 2))
    expected = [model.score_samples([np.vstack([p, x[None]])])[0] - model.score_samples([p])[0]
                for p, x in zip(prefixes, x_next, strict=True)]
    np.testing.assert_allclose(nxt.log_pdf(x_next), expected, rtol=1e-10, atol=1e-10)
    assert nxt.mean.shape == (2, 2) and nxt.sample(random_state=0).shape == (2, 2)
    with pytest.raises(AttributeError, match="categorical"):
        _ = nxt.proba


def test_matches_hmmlearn_score_and_em():
    hmmlearn = pytest.importorskip("hmmlearn.hmm")
    rng = np.random.RandomState(9)
    ds = hmm_sequences(n_sequences=10, length=(20, 40), n_features=3, random_state=2)
    X, lengths = ds.X, ds.metadata["lengths"]
    p = random_params(rng, S=3, d=3, covariance="full")
    ref = hmmlearn.GaussianHMM(3, covariance_type="full", init_params="", params="")
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = (
        p["startprob_"], p["transmat_"], p["means_"], p["covars_"])
    ours = model_with(p, covariance="full")
    assert ours.score(X, lengths) == pytest.approx(ref.score(X, lengths), rel=1e-10, abs=1e-8)
    np.testing.assert_allclose(ours.predict_proba(X, lengths), ref.predict_proba(X, lengths),
                               atol=1e-10)
    # five Baum-Welch iterations from the same start give the same parameters
    var = rng.uniform(0.5, 1.5, (3, 3))
    start = dict(startprob_init=p["startprob_"], transmat_init=p["transmat_"],
                 means_init=p["means_"], covars_init=var)
    ours = HMM(3, max_iter=5, tol=0, reg_covar=0, **start).fit(X, lengths)
    ref = hmmlearn.GaussianHMM(3, covariance_type="diag", init_params="", params="stmc",
                               n_iter=5, tol=-np.inf, covars_prior=0.0)
    ref.startprob_, ref.transmat_, ref.means_, ref.covars_ = (
        p["startprob_"], p["transmat_"], p["means_"], var)
    ref.fit(X, lengths)
    np.testing.assert_allclose(ours.means_, ref.means_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(ours.transmat_, ref.transmat_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(ours.monitor_, ref.monitor_.history, rtol=1e-10, atol=1e-8)
    # categorical
    cat = model_with(random_params(rng, emission="categorical"), emission="categorical")
    ref = hmmlearn.CategoricalHMM(3, init_params="", params="")
    ref.startprob_, ref.transmat_, ref.emissionprob_ = (
        cat.startprob_, cat.transmat_, cat.emissionprob_)
    sym = rng.randint(0, 4, (50, 1))
    assert cat.score(sym, [20, 30]) == pytest.approx(ref.score(sym, [20, 30]), rel=1e-10,
                                                     abs=1e-10)


# -- classifier ----------------------------------------------------------------------------
def test_hmm_classifier_on_known_hmms():
    ds = hmm_sequences(n_sequences=160, length=(30, 60), random_state=0)
    seqs = split_sequences(ds.X, ds.metadata["lengths"])
    clf = HMMClassifier(HMM(3, max_iter=30, random_state=0))
    clf.fit(seqs[:100], ds.y[:100])
    # the Bayes classifier (the true HMMs) sets the bar; the classes share their emissions
    true_ll = [model_with({"startprob_": h["startprob"], "transmat_": h["transmat"],
                           "means_": h["means"],
                           "covars_": np.diagonal(h["covars"], axis1=1, axis2=2)}
                          ).score_samples(seqs[100:]) for h in ds.metadata["hmms"]]
    bayes = np.mean(np.argmax(true_ll, axis=0) == ds.y[100:])
    assert bayes > 0.8
    assert clf.score(seqs[100:], ds.y[100:]) >= bayes - 0.05
    proba = clf.predict_proba(seqs[100:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert capabilities(clf) == {"classify", "density", "sample", "conditional_sample",
                                 "sequences", "missing_features"}
    assert input_kind(clf) == "sequence"
    drawn, labels = clf.sample(4, y=1, random_state=0, length=10)
    assert len(drawn) == 4 and (labels == 1).all() and drawn[0].shape == (10, 2)
    # stacked frames with lengths at fit
    X, lengths = stack_sequences(seqs[:100])
    clf2 = HMMClassifier(HMM(3, max_iter=30, random_state=0)).fit(X, ds.y[:100],
                                                                  lengths=lengths)
    np.testing.assert_allclose(clf2.predict_proba(seqs[100:]), proba, rtol=1e-7, atol=1e-9)
    assert isinstance(HMMClassifier().class_density(), HMM)


def test_categorical_classifier_shares_the_alphabet():
    ds = hmm_sequences(n_sequences=60, length=(20, 40), emission="categorical", n_symbols=5,
                       shared_emissions=False, random_state=0)
    seqs = split_sequences(ds.X, ds.metadata["lengths"])
    # symbol 4 only in class 1's training sequences: class 0's HMM must still know it
    train = [s if y == 1 else np.minimum(s, 3) for s, y in zip(seqs, ds.y, strict=True)]
    clf = HMMClassifier(HMM(2, emission="categorical", max_iter=20, random_state=0))
    clf.fit(train[:40], ds.y[:40])
    assert clf.n_symbols_ == 5
    assert [d.n_symbols_ for d in clf.densities_] == [5, 5]
    proba = clf.predict_proba([np.array([[4], [0], [1]])])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert clf.score(train[40:], ds.y[40:]) > 0.7  # held out, same distribution as training
    with pytest.raises(ValueError, match="not in the alphabet"):
        clf.predict([np.array([[7]])])


def test_clone_get_params_and_capabilities():
    model = HMM(4, emission="gmm", n_mix=3, random_state=1)
    assert clone(model).get_params() == model.get_params()
    assert capabilities(model) == {"density", "sample", "sequences", "missing_features"}
    assert input_kind(model) == "sequence"
    assert clone(HMMClassifier(model)).get_params()["density"].n_mix == 3


@pytest.mark.parametrize("emission", ["gaussian", "gmm", "categorical"])
def test_save_load_round_trip(tmp_path, emission):
    kind = "categorical" if emission == "categorical" else "gaussian"
    ds = hmm_sequences(n_sequences=10, length=20, emission=kind, random_state=0)
    model = HMM(2, emission=emission, max_iter=5, random_state=0).fit(
        ds.X, ds.metadata["lengths"])
    path = gdlab.save(model, tmp_path / "hmm.gdlab")
    loaded = gdlab.load(path)
    np.testing.assert_array_equal(loaded.score_samples(ds.X, ds.metadata["lengths"]),
                                  model.score_samples(ds.X, ds.metadata["lengths"]))
    np.testing.assert_array_equal(loaded.sample(2, 5, random_state=0)[0],
                                  model.sample(2, 5, random_state=0)[0])


def test_fit_is_reproducible_and_n_init_keeps_the_best():
    ds = hmm_sequences(n_sequences=20, length=30, random_state=0)
    X, lengths = ds.X, ds.metadata["lengths"]
    a = HMM(3, init="random", random_state=0, max_iter=10).fit(X, lengths)
    b = HMM(3, init="random", random_state=0, max_iter=10).fit(X, lengths)
    np.testing.assert_array_equal(a.transmat_, b.transmat_)
    best = HMM(3, init="random", n_init=3, random_state=0, max_iter=10).fit(X, lengths)
    assert best.score(X, lengths) >= a.score(X, lengths) - 1e-9


# -- bad input --------------------------------------------------------------------------------
def test_bad_input_raises_clear_errors():
    X = np.random.RandomState(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="sum to 9 but X has 10"):
        HMM(2).fit(X, [4, 5])
    with pytest.raises(ValueError, match="zero length"):
        HMM(2).fit([X, np.zeros((0, 2))])
    with pytest.raises(ValueError, match="positive"):
        HMM(2).fit(X, [10, 0])
    with pytest.raises(ValueError, match="rows summing to 1"):
        HMM(2, transmat_init=[[0.5, 0.4], [0.5, 0.5]]).fit(X)
    with pytest.raises(ValueError, match="rows summing to 1"):
        HMM(2, startprob_init=[0.5, 0.6]).fit(X)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        HMM(2, transmat_init=np.eye(3)).fit(X)
    with pytest.raises(ValueError, match="means_init must have shape"):
        HMM(2, means_init=np.zeros((3, 2))).fit(X)
    with pytest.raises(ValueError, match="emission must be one of"):
        HMM(2, emission="zipf").fit(X)
    with pytest.raises(TypeError, match="n_states"):
        HMM(2.5).fit(X)
    with pytest.raises(ValueError, match="n_states"):
        HMM(0).fit(X)
    cat = HMM(2, emission="categorical", random_state=0).fit([[0, 1, 2, 1, 0]])
    with pytest.raises(ValueError, match=r"symbols \[5\] were not in the alphabet"):
        cat.score([[0, 5]])
    with pytest.raises(ValueError, match="non-negative integer symbol codes"):
        HMM(2, emission="categorical").fit([[0, 1.5, 2]])
    with pytest.raises(ValueError, match="1 column"):
        HMM(2, emission="categorical").fit(X)
    fitted = HMM(2, random_state=0, max_iter=2).fit(X)
    with pytest.raises(ValueError, match="3 features per frame"):
        fitted.score(np.zeros((4, 3)))
    with pytest.raises(TypeError, match="numeric"):
        fitted.score([np.array([["a", "b"]])])
    with pytest.raises(ValueError, match="inf"):
        fitted.score([np.array([[np.inf, 0.0]])])


def test_sklearn_estimator_checks_do_not_apply():
    """HMM takes sequences (X plus lengths), not 2-D rows with y: the sklearn checks
    (fit(X, y) with labels as the second argument) do not apply, as for hmmlearn."""
    assert input_kind(HMM()) == "sequence"
    assert not HMM().__sklearn_tags__().input_tags.two_d_array


# -- floating-point hygiene ---------------------------------------------------------------------
def _separated_sequences(missing):
    """Well-separated states: emission likelihoods of the wrong states underflow to 0."""
    true = HMM.from_params([0.5, 0.3, 0.2],
                           [[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]],
                           means=[[0.0, 0.0], [60.0, 60.0], [120.0, -120.0]],
                           covars=[[0.01, 0.01]] * 3, covariance="diag")
    seqs = true.sample(4, length=(30, 60), random_state=0)
    if missing:
        rng = np.random.RandomState(1)
        for s in seqs:
            s[rng.rand(*s.shape) < 0.2] = np.nan
            s[3] = np.nan  # a whole missing frame
    return seqs


@pytest.mark.parametrize(("emission", "covariance"), CASES)
@pytest.mark.parametrize("missing", [False, True])
def test_no_floating_point_warnings(emission, covariance, missing):
    """Under np.errstate(all="raise") nothing in fit, scoring, decoding or sampling
    raises: the underflow of probabilities far below the best state's is intended and
    handled, never reported as an error to a user who runs with np.seterr(all="warn")."""
    if emission == "categorical":
        ct = HMM.from_params([1.0, 0.0], [[0.99, 0.01], [0.01, 0.99]],
                             emissionprob=[[0.999, 0.001, 0.0], [0.0, 0.001, 0.999]])
        seqs = [s.astype(float) for s in ct.sample(4, length=(100, 200), random_state=0)]
        if missing:
            seqs[0][[2, 5]] = np.nan
        d = 1
    else:
        seqs, d = _separated_sequences(missing), 2
    with np.errstate(all="raise"):
        for init in ("kmeans", "random"):
            model = HMM(3, emission=emission, covariance=covariance, n_mix=2, init=init,
                        n_init=2, max_iter=5, random_state=0).fit(seqs)
            model.score_samples(seqs)
            model.predict_proba(seqs)
            model.decode(seqs)
            model.sample(3, length=20, random_state=0)
            nxt = model.predict_next(seqs)
            nxt.log_pdf(np.zeros((len(seqs), d)))
            nxt.sample(random_state=0)
            _ = nxt.mean
        clf = HMMClassifier(HMM(2, emission=emission, covariance=covariance, n_mix=2,
                                max_iter=3, random_state=0)).fit(seqs, [0, 1, 0, 1])
        clf.predict_proba(seqs)
        clf.sample(2, y=1, random_state=0, length=5)


# -- symbols and magnitudes -------------------------------------------------------------------
@pytest.mark.parametrize(("bad", "shown"), [(1e300, "1e+300"), (2.0**63, "9.22337e+18"),
                                            (1e19, "1e+19"), (2.5, "2.5"), (-1.0, "-1")])
def test_categorical_bad_symbol_is_named_before_any_work(bad, shown):
    seqs = [np.array([0.0, 1.0, 2.0, 1.0, 0.0, 1.0]), np.array([1.0, 1.0, 0.0, 2.0, 2.0])]
    broken = [seqs[0].copy(), seqs[1]]
    broken[0][2] = bad
    clf = HMMClassifier(HMM(2, emission="categorical", max_iter=3, random_state=0))
    # at fit: the value as it came, and what was expected (symbol codes; a value beyond
    # what any model can take may be refused first by the shared magnitude check)
    expected = "non-negative integer symbol codes" + ("|magnitude" if bad > 1e150 else "")
    with pytest.raises(ValueError, match=expected) as err:
        clone(clf).fit(broken, [0, 1])
    assert shown in str(err.value) and "-9223372036854775808" not in str(err.value)
    with pytest.raises(ValueError, match=expected) as err:
        HMM(2, emission="categorical").fit(broken)
    assert shown in str(err.value)
    # at predict: a symbol outside the fitted alphabet is refused, never used as an index
    clf.fit(seqs, [0, 1])
    with pytest.raises(ValueError, match="symbol" + ("|magnitude" if bad > 1e150 else "")) as err:
        clf.predict(broken)
    assert shown in str(err.value) and "-9223372036854775808" not in str(err.value)


def test_categorical_unseen_symbol_named_with_the_alphabet():
    model = HMM(2, emission="categorical", max_iter=3, random_state=0).fit([[0, 1, 2, 1, 0]])
    with pytest.raises(ValueError, match=r"symbols \[7\] were not in the alphabet.*0\.\.2"):
        model.score([[0, 7]])
    # a code too large for any alphabet at fit: refused, the alphabet is not allocated
    with pytest.raises(ValueError, match="non-negative integer symbol codes"):
        HMM(2, emission="categorical").fit([[0, 1, 10**12]])
    # NaN is a missing frame, not a symbol
    assert np.isfinite(model.score([[0, np.nan, 1]]))


@pytest.mark.parametrize("emission", ["gaussian", "gmm"])
def test_gaussian_huge_value_refused_before_work(emission):
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(20, 2)) for _ in range(3)]
    broken = [s.copy() for s in seqs]
    broken[1][4, 1] = 1e300
    with pytest.raises(ValueError, match=r"column 1 of (X|sequence 1).*1e\+300"):
        HMM(2, emission=emission, random_state=0).fit(broken)
    with pytest.raises(ValueError, match=r"HMMClassifier .*column 1 of (X|sequence 1)"):
        HMMClassifier(HMM(2, emission=emission, random_state=0)).fit(broken, [0, 0, 1])
    model = HMM(2, emission=emission, max_iter=3, random_state=0).fit(seqs)
    for method in (model.score_samples, model.predict, model.predict_proba, model.predict_next):
        with pytest.raises(ValueError, match=r"column 1 of (X|sequence 1)"):
            method(broken)


# -- frames with every entry missing -----------------------------------------------------------
@pytest.mark.parametrize(("emission", "covariance"), CASES)
def test_all_missing_frames_have_emission_log_likelihood_zero_and_fit_accepts_them(
        emission, covariance):
    """A frame whose every entry is NaN has likelihood 1 under every state (log 0
    exactly), so fit takes it (and a sequence of nothing but such frames) as it is."""
    rng = np.random.RandomState(10)
    seqs = tiny_sequences(rng, emission, lengths=(20, 15, 12))
    seqs[0][[0, 5]] = np.nan  # first frame and one inside
    seqs[1][-1] = np.nan  # last frame
    if emission != "categorical":
        seqs[2][[3, 4], 0] = np.nan  # partly observed frames stay partly observed
    seqs.append(np.full((4, seqs[0].shape[1]), np.nan))  # a sequence with nothing observed
    model = HMM(2, emission=emission, covariance=covariance, n_mix=2, max_iter=5,
                random_state=0).fit(seqs)
    assert np.all(np.isfinite(model.monitor_))
    frames, em = model._batch(seqs, None)
    log_emit, _ = model._log_emissions(em)
    per_frame = log_emit.transpose(0, 2, 1).reshape(-1, 2)[frames.pos]
    all_missing = np.isnan(np.concatenate(seqs)).all(axis=1)
    assert all_missing.sum() == 7
    assert np.all(per_frame[all_missing] == 0.0)
    assert np.all(per_frame[~all_missing] != 0.0)
    # the unobserved sequence: log p = log sum of path probabilities = log 1
    assert model.score_samples(seqs)[-1] == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(model.predict_proba(seqs).sum(axis=1), 1.0, rtol=0, atol=1e-12)


# -- one sequence or the same frames in chunks ------------------------------------------------
def _square_hmm_frames():
    """1000 frames of a 4-state HMM with well-separated unit-variance clusters."""
    A = np.full((4, 4), 0.1 / 3)
    np.fill_diagonal(A, 0.9)
    true = HMM.from_params(np.full(4, 0.25), A,
                           means=[[0.0, 0.0], [8.0, 0.0], [0.0, 8.0], [8.0, 8.0]],
                           covars=[[1.0, 1.0]] * 4, covariance="diag")
    return true.sample(1, length=1000, random_state=0)[0]


def _matched_distance(a, b):
    """Largest distance between the rows of a and b paired up by the best permutation
    (the order of states and components is arbitrary)."""
    from scipy.optimize import linear_sum_assignment

    a, b = a.reshape(-1, a.shape[-1]), np.reshape(b, (-1, a.shape[-1]))
    dist = np.linalg.norm(a[:, None] - b[None], axis=-1)
    rows, cols = linear_sum_assignment(dist)
    return dist[rows, cols].max()


@pytest.mark.parametrize("seed", [1, 2])
def test_gmm_fit_on_one_sequence_or_five_chunks_agrees(seed):
    """The same frames as one sequence or as 5 chunks: the same initialization (k-means
    per state, then per mixture component inside each state; start and transition
    estimates that do not depend on where the chunks are cut) and, on well-separated
    data, the same solution. Only the chain's model differs (5 starts instead of 1, no
    transitions across the cuts), a few 1e-3 nats per frame."""
    X = _square_hmm_frames()
    lengths = [200] * 5
    kw = dict(emission="gmm", n_mix=2, max_iter=100, random_state=seed)
    inits = []
    for lens in (None, lengths):
        m = HMM(4, **kw)
        S, M, reg, *_ = m._check_params()
        seqs = m._sequences(X, lens, reset=True)
        m._initialize(seqs, S, M, reg, np.random.RandomState(seed))
        inits.append(m._fitted_params())
    for name, value in inits[0].items():
        np.testing.assert_array_equal(inits[1][name], value, err_msg=name)
    one = HMM(4, **kw).fit(X)
    chunks = HMM(4, **kw).fit(X, lengths)
    assert _matched_distance(one.means_, chunks.means_) < 0.05
    assert abs(one.score(X) - chunks.score(X, lengths)) / len(X) < 0.01
    # each state's two components sit on one cluster (the true means, up to noise)
    centers = one.means_.mean(axis=1)
    assert _matched_distance(centers, [[0.0, 0.0], [0.0, 8.0], [8.0, 0.0], [8.0, 8.0]]) < 0.5


def test_gmm_kmeans_init_state_with_fewer_distinct_frames_than_components():
    """A state whose k-means cluster is one repeated frame still gets n_mix component
    means (its frame, plus draws around it), and EM puts them on that frame."""
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(0, 1, (50, 2)), np.full((30, 2), 20.0),
                   rng.normal(-20, 1, (50, 2))])
    model = HMM(3, emission="gmm", n_mix=2, max_iter=20, random_state=0).fit(X)
    assert np.isfinite(model.score(X))
    repeated = np.flatnonzero(np.abs(model.means_.mean(axis=1) - 20.0).max(axis=1) < 1.0)
    assert repeated.size == 1
    np.testing.assert_allclose(model.means_[repeated[0]], 20.0, rtol=0, atol=1e-3)


# -- a new kind of emission is one class ---------------------------------------------------------
def test_a_new_emission_kind_is_one_class(monkeypatch):
    """Counts plug in as one Emission subclass registered under a name: fit (EM
    never decreasing), score, decode and sample work through it unchanged."""
    from scipy.special import gammaln

    from gdlab.inference import hmm as lattice
    from gdlab.inference.hmm import draw_state_paths
    from gdlab.models import _hmm_emissions

    class PoissonEmission(_hmm_emissions.Emission):
        attributes = ("rates_",)

        def check_data(self, seqs, *, fitted, owner=None):
            x = np.concatenate(seqs)
            if (x[~np.isnan(x)] < 0).any():
                raise ValueError("Poisson frames are non-negative counts.")

        def batch(self, frames):
            return frames

        def log_prob(self, frames):
            obs = ~np.isnan(frames.X)  # padded rows and missing entries: not observed
            x = np.where(obs, frames.X, 0.0)
            rates = self.hmm.rates_
            lp = x @ np.log(rates).T - obs @ rates.T - gammaln(x + 1).sum(axis=1)[:, None]
            return lattice.rows_to_tsn(lp.T, frames), None

        def initialize(self, seqs, S, M, reg, rng):
            x = np.concatenate(seqs)
            self.hmm.rates_ = np.nanmean(x, axis=0) * rng.uniform(0.5, 1.5, (S, x.shape[1]))

        def m_step(self, frames, gamma, resp, reg, smoothing):
            post = lattice.tsn_to_rows(gamma)  # (S, rows)
            obs = ~np.isnan(frames.X)
            x = np.where(obs, frames.X, 0.0)
            self.hmm.rates_ = np.maximum(post @ x / np.maximum(post @ obs, 1e-300), 1e-10)

        def sample(self, states, rng):
            return rng.poisson(self.hmm.rates_[states]).astype(np.float64)

        def n_parameters(self):
            return {"l": self.hmm.rates_.size}

    monkeypatch.setitem(_hmm_emissions.EMISSION_KINDS, "counts", PoissonEmission)
    rng = np.random.RandomState(0)
    rates = np.array([[1.0, 8.0], [9.0, 2.0]])
    lengths = np.full(30, 60)
    states = draw_state_paths(np.array([0.5, 0.5]), np.array([[0.9, 0.1], [0.2, 0.8]]),
                              lengths, rng)
    X = rng.poisson(rates[states]).astype(np.float64)
    X[::17, 0] = np.nan  # a missing entry now and then
    model = HMM(2, emission="counts", max_iter=200, random_state=0).fit(X, lengths)
    assert np.all(np.diff(model.monitor_) >= -1e-8 * np.abs(model.monitor_[1:]))
    np.testing.assert_allclose(model.rates_[np.argsort(model.rates_[:, 0])], rates, atol=0.3)
    assert np.mean(model.predict(X, lengths) == (states if model.rates_[0, 0] < 5
                                                 else 1 - states)) > 0.95
    assert np.isfinite(model.score_samples(X, lengths)).all()
    seqs = model.sample(3, length=10, random_state=0)
    assert [s.shape for s in seqs] == [(10, 2)] * 3 and np.all(np.concatenate(seqs) >= 0)
    with pytest.raises(ValueError, match="non-negative counts"):
        model.score(-X, lengths)
    assert model.n_parameters() == 1 + 2 + 4
    with pytest.raises(NotImplementedError, match="no next-frame distribution"):
        model.predict_next(X, lengths)
    with pytest.raises(ValueError, match="emission must be one of"):
        HMM(emission="zipf").fit(X, lengths)


def test_full_covariance_emissions_with_missing_entries_equal_a_row_by_row_reference():
    """Log-emissions and M-step statistics of full-covariance Gaussians on frames with
    missing entries (gaussian_patterns.PatternGroups, every pattern in stacked calls) equal the
    marginal density and the conditional moments computed frame by frame."""
    from gdlab.inference import hmm as hm
    from gdlab.inference.hmm_emissions import GaussianEmissions

    rng = np.random.RandomState(31)
    seqs = [rng.normal(size=(n, 3)) * 2.0 + 1.0 for n in (9, 6, 11)]
    for s in seqs:
        s[rng.uniform(size=s.shape) < 0.35] = np.nan
    seqs[1][2] = np.nan  # a frame with nothing observed
    frames = hm.Frames(seqs)
    emissions = GaussianEmissions(frames, "full")
    means = rng.normal(size=(2, 3)) + 1.0
    A = rng.normal(size=(2, 3, 3))
    covs = A @ A.transpose(0, 2, 1) + 0.5 * np.eye(3)
    post = rng.uniform(size=(2, frames.X.shape[0])) * emissions.has_obs
    log_prob = emissions.component_log_prob_rows(means, covs)
    s = emissions._full_stats(post, means, covs)
    shift = emissions.shift
    first, second = np.zeros((2, 3)), np.zeros((2, 3, 3))
    for i, x in enumerate(frames.X):
        o, m = ~np.isnan(x), np.isnan(x)
        for k in range(2):
            if not o.any():
                assert log_prob[k, i] == 0.0
                continue
            S, mu = covs[k], means[k]
            expected = multivariate_normal.logpdf(x[o], mu[o], S[np.ix_(o, o)])
            assert abs(log_prob[k, i] - expected) <= 1e-10
            B = S[np.ix_(m, o)] @ np.linalg.inv(S[np.ix_(o, o)])
            y, C = x - shift, np.zeros((3, 3))
            y[m] = mu[m] - shift[m] + B @ (x[o] - mu[o])
            C[np.ix_(m, m)] = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
            first[k] += post[k, i] * y
            second[k] += post[k, i] * (np.outer(y, y) + C)
    np.testing.assert_allclose(s.weight, post.sum(axis=1), rtol=0, atol=1e-12)
    np.testing.assert_allclose(s.first, first, rtol=0, atol=1e-10)
    np.testing.assert_allclose(s.second, second, rtol=0, atol=1e-10)
