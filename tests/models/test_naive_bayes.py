"""Behaviour of the naive Bayes family that users rely on."""

import pathlib
import re
import warnings
from itertools import product

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import logsumexp
from sklearn import naive_bayes as sk
from sklearn.base import clone
from sklearn.datasets import make_classification

from gdlab.models.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MixedNB,
    MultinomialNB,
)

RNG = np.random.default_rng(0)


def gaussian_data(n=600, d=5, k=3, seed=0):
    X, y = make_classification(n, d, n_informative=d, n_redundant=0, n_classes=k, random_state=seed)
    return X, y


def count_data(n=600, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rates = rng.uniform(0.5, 6.0, (k, d))
    return rng.poisson(rates[y]).astype(float), y


def binary_data(n=600, d=6, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    p = rng.uniform(0.1, 0.9, (k, d))
    return (rng.random((n, d)) < p[y]).astype(float), y


def code_data(n=600, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = np.column_stack(
        [rng.integers(0, c, n) + (y % c) * (rng.random(n) < 0.5) for c in (2, 3, 4, 5)[:d]]
    )
    return np.minimum(X, [1, 2, 3, 4][:d]).astype(float), y


def mixed_frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    df = pd.DataFrame(
        {
            "height": rng.normal(1.6 + 0.2 * y, 0.1),
            "colour": np.where(rng.random(n) < 0.3 + 0.4 * y, "red", "blue"),
            "visits": rng.poisson(1 + 3 * y),
            "member": rng.random(n) < 0.5,
        }
    )
    df["colour"] = df["colour"].astype("category")
    return df, y


def with_nan(X, frac=0.2, seed=1):
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < frac] = np.nan
    return X


# every model with data it understands
CASES = {
    "gaussian": (GaussianNB, gaussian_data),
    "bernoulli": (BernoulliNB, binary_data),
    "multinomial": (MultinomialNB, count_data),
    "categorical": (CategoricalNB, code_data),
    "mixed": (MixedNB, gaussian_data),
}


# -- agreement with scikit-learn on complete data --------------------------------
@pytest.mark.parametrize(
    "ours, theirs, data",
    [
        (GaussianNB(), sk.GaussianNB(), gaussian_data),
        (GaussianNB(priors=[0.2, 0.3, 0.5]), sk.GaussianNB(priors=[0.2, 0.3, 0.5]), gaussian_data),
        (BernoulliNB(alpha=0.5), sk.BernoulliNB(alpha=0.5), gaussian_data),
        (BernoulliNB(binarize=None), sk.BernoulliNB(binarize=None), binary_data),
        (MultinomialNB(), sk.MultinomialNB(), count_data),
        (MultinomialNB(fit_prior=False), sk.MultinomialNB(fit_prior=False), count_data),
    ],
)
def test_matches_sklearn_predict_proba(ours, theirs, data):
    X, y = data()
    np.testing.assert_allclose(
        ours.fit(X, y).predict_proba(X), theirs.fit(X, y).predict_proba(X), rtol=0, atol=1e-8
    )
    np.testing.assert_allclose(
        ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-8, atol=1e-8
    )


def test_gaussian_parameters_match_sklearn():
    X, y = gaussian_data()
    ours, theirs = GaussianNB().fit(X, y), sk.GaussianNB().fit(X, y)
    np.testing.assert_allclose(ours.theta_, theirs.theta_, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.var_, theirs.var_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.epsilon_, theirs.epsilon_, rtol=1e-10, atol=1e-12)


def test_categorical_matches_sklearn_with_unseen_bucket():
    X, y = code_data()
    ours = CategoricalNB(alpha=0.7).fit(X, y)
    theirs = sk.CategoricalNB(alpha=0.7, min_categories=ours.n_categories_ + 1).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    for a, b in zip(ours.feature_log_prob_, theirs.feature_log_prob_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_mixed_all_gaussian_equals_gaussian_nb():
    X, y = gaussian_data()
    np.testing.assert_allclose(
        MixedNB().fit(X, y).predict_log_proba(X),
        GaussianNB().fit(X, y).predict_log_proba(X),
        rtol=1e-12,
        atol=1e-12,
    )
    frame = pd.DataFrame(X, columns=[f"f{j}" for j in range(X.shape[1])])
    np.testing.assert_allclose(
        MixedNB().fit(frame, y).predict_log_proba(frame),
        GaussianNB().fit(X, y).predict_log_proba(X),
        rtol=1e-12,
        atol=1e-12,
    )


def test_multinomial_score_samples_is_log_probability_of_counts_given_total():
    X, y = count_data(d=3)
    clf = MultinomialNB(class_prior=[0.2, 0.3, 0.5]).fit(X, y)
    total = 4
    rows = np.array([c for c in product(range(total + 1), repeat=3) if sum(c) == total], float)
    log_lik = clf.log_joint(rows) - np.log(clf.class_prior_)
    np.testing.assert_allclose(logsumexp(log_lik, axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(logsumexp(clf.score_samples(rows)), 0.0, atol=1e-12)


# -- missing values at fit -----------------------------------------------------------
def test_gaussian_nan_at_fit_uses_observed_entries_only():
    X, y = gaussian_data()
    Xn = with_nan(X)
    clf = GaussianNB(var_smoothing=0.0).fit(Xn, y)
    for k in range(3):
        rows = Xn[y == k]
        np.testing.assert_allclose(clf.theta_[k], np.nanmean(rows, 0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(clf.var_[k], np.nanvar(rows, 0), rtol=1e-10, atol=1e-12)
        np.testing.assert_array_equal(clf.observed_count_[k], (~np.isnan(Xn[y == k])).sum(0))


def test_gaussian_class_without_observed_feature_is_an_error_not_a_guess():
    X, y = gaussian_data()
    X = X.copy()
    X[y == 0, 2] = np.nan
    with pytest.raises(ValueError, match=r"\(class, feature\) \[\(0, 2\)\]"):
        GaussianNB().fit(X, y)
    frame = pd.DataFrame(X, columns=list("abcde"))
    with pytest.raises(ValueError, match=r"\[\(0, 'c'\)\]"):
        MixedNB().fit(frame, y)
    # streaming may bring the missing values later: only predicting before then fails
    clf = GaussianNB().partial_fit(X, y, classes=np.unique(y))
    with pytest.raises(ValueError, match="no observed"):
        clf.predict(X)
    with pytest.raises(ValueError, match="no observed"):
        clf.sample(3)
    X_rest, y_rest = gaussian_data()
    clf.partial_fit(X_rest[y_rest == 0], y_rest[y_rest == 0])
    assert np.isfinite(clf.predict_proba(X)).all()


def test_discrete_nan_at_fit_counts_observed_entries_only():
    Xb, y = binary_data()
    Xb = with_nan(Xb)
    b = BernoulliNB(binarize=None).fit(Xb, y)
    Xc, yc = count_data()
    Xc = with_nan(Xc)
    m = MultinomialNB().fit(Xc, yc)
    Xk, yk = code_data()
    Xk = with_nan(Xk)
    c = CategoricalNB().fit(Xk, yk)
    for k in range(3):
        np.testing.assert_array_equal(b.feature_count_[k], np.nansum(Xb[y == k], axis=0))
        np.testing.assert_array_equal(b.observed_count_[k], (~np.isnan(Xb[y == k])).sum(0))
        np.testing.assert_array_equal(m.feature_count_[k], np.nansum(Xc[yc == k], axis=0))
        for j, counts in enumerate(c.category_count_):
            col = Xk[yk == k, j]
            col = col[~np.isnan(col)].astype(int)
            np.testing.assert_array_equal(counts[k], np.bincount(col, minlength=counts.shape[1]))
    p = (b.feature_count_ + 1) / (b.observed_count_ + 2)
    np.testing.assert_allclose(np.exp(b.feature_log_prob_), p)


# -- missing values at predict: marginalized -----------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_nan_at_predict_equals_model_without_that_column(name):
    model, data = CASES[name]
    X, y = data()
    params = {"var_smoothing": 0.0} if name in ("gaussian", "mixed") else {}
    full = model(**params).fit(X, y)
    j = 1
    keep = [i for i in range(X.shape[1]) if i != j]
    reduced = model(**params).fit(X[:, keep], y)
    rows = X[:5].copy()
    rows[:, j] = np.nan
    np.testing.assert_allclose(
        full.log_joint(rows), reduced.log_joint(X[:5, keep]), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("name", list(CASES))
def test_all_features_missing_gives_prior(name):
    model, data = CASES[name]
    X, y = data()
    clf = model().fit(X, y)
    proba = clf.predict_proba(np.full((3, X.shape[1]), np.nan))
    np.testing.assert_allclose(proba, np.tile(clf.class_prior_, (3, 1)), rtol=1e-12, atol=1e-12)


def test_mixed_frame_all_missing_gives_prior():
    df, y = mixed_frame()
    clf = MixedNB().fit(df, y)
    empty = pd.DataFrame({c: [None, np.nan] for c in df.columns})
    np.testing.assert_allclose(clf.predict_proba(empty), np.tile(clf.class_prior_, (2, 1)))


# -- partial_fit over chunks equals fit -------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_chunked_partial_fit_equals_fit(name):
    model, data = CASES[name]
    X, y = data()
    X = with_nan(X, 0.1)
    if name == "categorical":  # later chunks bring new (larger) codes
        order = np.argsort(np.nanmax(np.nan_to_num(X), axis=1), kind="stable")
        X, y = X[order], y[order]
    whole = model().fit(X, y)
    chunked = model()
    for part in np.array_split(np.arange(len(y)), 7):
        chunked.partial_fit(X[part], y[part], classes=np.unique(y))
    Xt = with_nan(data(seed=5)[0], 0.1)
    np.testing.assert_allclose(
        chunked.predict_log_proba(Xt), whole.predict_log_proba(Xt), rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(chunked.class_prior_, whole.class_prior_)
    if name == "gaussian":
        np.testing.assert_allclose(chunked.theta_, whole.theta_, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(chunked.var_, whole.var_, rtol=1e-10, atol=1e-12)
        assert chunked.epsilon_ == pytest.approx(whole.epsilon_, rel=1e-10)


def test_mixed_frame_partial_fit_learns_new_categories():
    df, y = mixed_frame()
    df = df.assign(colour=df["colour"].astype(str))
    first = (df["colour"] == "blue").to_numpy()
    clf = MixedNB()
    clf.partial_fit(df[first], y[first], classes=[0, 1])
    assert list(clf.categories_[1]) == ["blue"]
    clf.partial_fit(df[~first], y[~first])
    assert list(clf.categories_[1]) == ["blue", "red"]
    whole = MixedNB().fit(df, y)
    np.testing.assert_allclose(
        clf.predict_proba(df), whole.predict_proba(df), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("container", ["object array", "DataFrame"])
def test_mixed_partial_fit_of_string_labels_equals_fit(container):
    # regression: the second partial_fit batch of an object array with string labels in
    # its categorical columns must be encoded like the first (reported to fail with
    # "could not convert string to float"); the second batch brings a new label, "blue"
    rng = np.random.default_rng(0)
    n = 120
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame({
        "h": rng.normal(y, 1.0),
        "colour": np.where(np.arange(n) < 60, rng.choice(["red", "green"], n),
                           rng.choice(["red", "green", "blue"], n)).astype(object),
        "visits": rng.poisson(2 + y),
        "shape": rng.choice(["square", "round", None], n),
    })
    kinds = ["gaussian", "categorical", "poisson", "categorical"]
    X = frame.to_numpy() if container == "object array" else frame
    rows = (slice(0, 60), slice(60, n))
    part = (lambda r: X[r]) if container == "object array" else (lambda r: X.iloc[r])
    batched = MixedNB(distributions=kinds)
    batched.partial_fit(part(rows[0]), y[rows[0]], classes=[0, 1])
    batched.partial_fit(part(rows[1]), y[rows[1]])
    whole = MixedNB(distributions=kinds).fit(X, y)
    assert batched.categories_[1].tolist() == ["green", "red", "blue"]
    np.testing.assert_allclose(batched.predict_proba(X), whole.predict_proba(X), rtol=0,
                               atol=1e-12)


# -- sampling -----------------------------------------------------------------------------
def test_gaussian_sample_refit_recovers_parameters():
    X, y = gaussian_data()
    clf = GaussianNB().fit(X, y)
    Xs, ys = clf.sample(20_000, random_state=0)
    refit = GaussianNB().fit(Xs, ys)
    np.testing.assert_allclose(refit.theta_, clf.theta_, atol=0.06)
    np.testing.assert_allclose(refit.var_, clf.var_, rtol=0.08)
    np.testing.assert_allclose(refit.class_prior_, clf.class_prior_, atol=0.02)


def test_discrete_sample_refit_recovers_parameters():
    b = BernoulliNB(binarize=None).fit(*binary_data())
    Xs, ys = b.sample(20_000, random_state=0)
    np.testing.assert_allclose(
        np.exp(BernoulliNB(binarize=None).fit(Xs, ys).feature_log_prob_),
        np.exp(b.feature_log_prob_),
        atol=0.03,
    )
    m = MultinomialNB().fit(*count_data())
    Xs, ys = m.sample(20_000, random_state=0)
    refit = MultinomialNB().fit(Xs, ys)
    np.testing.assert_allclose(
        np.exp(refit.feature_log_prob_), np.exp(m.feature_log_prob_), atol=0.01
    )
    np.testing.assert_allclose(refit.mean_total_, m.mean_total_, rtol=0.03)
    c = CategoricalNB().fit(*code_data())
    Xs, ys = c.sample(20_000, random_state=0)
    refit = CategoricalNB().fit(Xs, ys)
    for a, b_ in zip(refit.feature_log_prob_, c.feature_log_prob_, strict=True):
        known_a = np.exp(a[:, :-1]) / np.exp(a[:, :-1]).sum(1, keepdims=True)
        known_b = np.exp(b_[:, :-1]) / np.exp(b_[:, :-1]).sum(1, keepdims=True)
        np.testing.assert_allclose(known_a, known_b, atol=0.03)


def test_mixed_frame_sample_keeps_dtypes_and_recovers_parameters():
    df, y = mixed_frame()
    clf = MixedNB().fit(df, y)
    Xs, ys = clf.sample(20_000, random_state=0)
    assert isinstance(Xs, pd.DataFrame)
    assert list(Xs.columns) == list(df.columns)
    assert (Xs.dtypes == df.dtypes).all()
    assert set(Xs["colour"].unique()) <= {"red", "blue"}
    refit = MixedNB().fit(Xs, ys)
    for kind, params in clf.parameters_.items():
        key = {"gaussian": "theta", "poisson": "rate", "categorical": "n_categories"}.get(kind)
        if key:
            np.testing.assert_allclose(refit.parameters_[kind][key], params[key], rtol=0.05)


@pytest.mark.parametrize("name", list(CASES))
def test_conditional_sample_and_seeds(name):
    model, data = CASES[name]
    X, y = data()
    clf = model().fit(X, y)
    Xs, ys = clf.sample(50, y=2, random_state=0)
    assert Xs.shape == (50, X.shape[1]) and (ys == 2).all()
    Xa, ya = clf.sample(200, random_state=3)
    Xb, yb = clf.sample(200, random_state=3)
    Xc, _ = clf.sample(200, random_state=4)
    np.testing.assert_array_equal(Xa, Xb)
    np.testing.assert_array_equal(ya, yb)
    assert not np.array_equal(Xa, Xc)


# -- imputation ---------------------------------------------------------------------------
def test_gaussian_impute_mean_is_posterior_weighted_class_mean():
    X, y = gaussian_data()
    clf = GaussianNB().fit(X, y)
    rows = X[:20].copy()
    rows[:, 0] = np.nan
    filled = clf.impute(rows)
    expected = clf.predict_proba(rows) @ clf.theta_[:, 0]
    np.testing.assert_allclose(filled[:, 0], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(filled[:, 1:], rows[:, 1:])


def test_categorical_and_bernoulli_impute_the_mode():
    X, y = code_data()
    clf = CategoricalNB().fit(X, y)
    rows = X[:20].copy()
    rows[:, 3] = np.nan
    post = clf.predict_proba(rows)
    probs = np.exp(clf.feature_log_prob_[3][:, :-1])
    np.testing.assert_array_equal(clf.impute(rows)[:, 3], np.argmax(post @ probs, axis=1))
    Xb, yb = binary_data()
    b = BernoulliNB(binarize=None).fit(Xb, yb)
    rows = Xb[:20].copy()
    rows[:, 0] = np.nan
    expected = b.predict_proba(rows) @ np.exp(b.feature_log_prob_[:, 0]) > 0.5
    np.testing.assert_array_equal(b.impute(rows)[:, 0], expected.astype(float))


@pytest.mark.parametrize("name", list(CASES))
def test_impute_keeps_observed_and_sample_depends_on_seed(name):
    model, data = CASES[name]
    X, y = data()
    clf = model().fit(X, y)
    rows = with_nan(X[:100], 0.3)
    missing = np.isnan(rows)
    for filled in (clf.impute(rows), clf.impute(rows, method="sample", random_state=0)):
        assert not np.isnan(filled).any()
        np.testing.assert_array_equal(filled[~missing], rows[~missing])
    a = clf.impute(rows, method="sample", random_state=0)
    b = clf.impute(rows, method="sample", random_state=1)
    np.testing.assert_array_equal(a, clf.impute(rows, method="sample", random_state=0))
    assert not np.array_equal(a[missing], b[missing])


def test_mixed_frame_impute_returns_frame_with_original_values():
    df, y = mixed_frame()
    clf = MixedNB().fit(df, y)
    holes = df.head(30).copy()
    holes["height"] = holes["height"].mask(np.arange(30) % 3 == 0)
    holes["colour"] = holes["colour"].mask(np.arange(30) % 4 == 0)
    filled = clf.impute(holes)
    assert isinstance(filled, pd.DataFrame)
    assert filled.notna().all().all()
    assert isinstance(filled["colour"].dtype, pd.CategoricalDtype)
    kept = holes["colour"].notna()
    assert (filled["colour"][kept] == holes["colour"][kept]).all()
    assert set(filled["colour"]) <= {"red", "blue"}


# -- unseen categories --------------------------------------------------------------------
def test_unseen_category_codes_give_finite_normalized_probabilities():
    X, y = code_data()
    clf = CategoricalNB().fit(X, y)
    rows = np.array([[0, 9, 2, 50], [7, 0, np.nan, 0]], float)
    proba = clf.predict_proba(rows)
    assert np.isfinite(proba).all() and np.isfinite(clf.score_samples(rows)).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    for log_prob in clf.feature_log_prob_:
        np.testing.assert_allclose(np.exp(log_prob).sum(axis=1), 1.0)


def test_mixed_unseen_string_category():
    df, y = mixed_frame()
    df = df.assign(colour=df["colour"].astype(str))
    clf = MixedNB().fit(df, y)
    new = df.head(2).assign(colour=["green", "purple"])
    proba = clf.predict_proba(new)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # an unseen label carries no information beyond the "unseen" bucket: equal for both
    np.testing.assert_allclose(proba[0], clf.predict_proba(new.assign(colour="purple"))[0])


def test_mixed_inference_and_explicit_distributions():
    df, y = mixed_frame()
    clf = MixedNB().fit(df, y)
    assert clf.distributions_.tolist() == ["gaussian", "categorical", "poisson", "categorical"]
    clf = MixedNB(distributions={"visits": "gaussian", "member": "bernoulli"}).fit(df, y)
    assert clf.distributions_.tolist() == ["gaussian", "categorical", "gaussian", "bernoulli"]
    X = np.column_stack([df["height"], df["visits"]])
    clf = MixedNB(distributions=["gaussian", "categorical"]).fit(X, y)
    assert clf.categories_[1].tolist() == sorted(np.unique(df["visits"]).tolist())
    assert isinstance(clf.sample(3, random_state=0)[0], np.ndarray)


# -- bad input -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_raises(name):
    model, data = CASES[name]
    X, y = data()
    with pytest.raises(ValueError, match="2D array"):
        model().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        model().fit(X[:0], y[:0])
    with pytest.raises(ValueError, match="at least 2 classes"):
        model().fit(X, np.zeros_like(y))
    Xi = X.copy()
    Xi[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        model().fit(Xi, y)
    with pytest.raises(ValueError, match="could not convert string"):
        model().fit(np.where(X == X[0, 0], "a", X.astype(str)).astype(object), y)
    clf = model().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :-1])
    with pytest.raises(ValueError, match="2D array"):
        clf.predict(X[0])


def test_bad_values_raise():
    Xc, y = count_data()
    Xc[3, 2] = -1
    with pytest.raises(ValueError, match=r"Negative values.*: got -1\.0 at row 3, column 2\."):
        MultinomialNB().fit(Xc, y)
    Xk, yk = code_data()
    bad = Xk.copy()
    bad[1, 0] = -2
    with pytest.raises(ValueError, match="Negative values"):
        CategoricalNB().fit(bad, yk)
    bad[1, 0] = 0.5
    with pytest.raises(ValueError, match="Non-integer codes.*0.5"):
        CategoricalNB().fit(bad, yk)
    with pytest.raises(ValueError, match="Non-integer codes"):
        CategoricalNB().fit(Xk, yk).predict(bad)
    with pytest.raises(ValueError, match="binary"):
        BernoulliNB(binarize=None).fit(*count_data())


def test_bad_hyper_parameters_raise():
    X, y = count_data()
    for model in (BernoulliNB, MultinomialNB, CategoricalNB, MixedNB):
        with pytest.raises(ValueError, match="alpha must be >= 0"):
            model(alpha=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="var_smoothing must be >= 0"):
        GaussianNB(var_smoothing=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="distributions"):
        MixedNB(distributions="lognormal").fit(X, y)
    with pytest.raises(ValueError, match="distributions has 2 entries"):
        MixedNB(distributions=["gaussian", "poisson"]).fit(X, y)
    with pytest.raises(TypeError, match="distributions must be"):
        MixedNB(distributions=3).fit(X, y)
    with pytest.raises(ValueError, match="sum to 1"):
        GaussianNB(priors=[0.5, 0.6, 0.1]).fit(X, y)
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        MultinomialNB(class_prior=[0.5, 0.5]).fit(X, y)
    with pytest.raises(ValueError, match="classes must be given"):
        GaussianNB().partial_fit(X, y)


def test_mixed_frame_bad_input_raises():
    df, y = mixed_frame()
    with pytest.raises(ValueError, match="'height' is gaussian.*non-numeric.*'tall'"):
        MixedNB(distributions={"height": "gaussian"}).fit(
            df.assign(height=["tall"] + [1.0] * (len(df) - 1)), y
        )
    with pytest.raises(ValueError, match="negative"):
        MixedNB(distributions={"visits": "poisson"}).fit(df.assign(visits=-df["visits"] - 1), y)
    # inferred, a column with negative integers is not a count: it is not Poisson
    negative = MixedNB().fit(df.assign(visits=-df["visits"] - 1), y)
    assert negative.distributions_[2] == "categorical"
    clf = MixedNB().fit(df, y)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df.rename(columns={"height": "width"}))
    with (
        pytest.raises(ValueError, match="X has 3 features, but MixedNB is expecting 4"),
        pytest.warns(UserWarning, match="valid feature names"),
    ):
        clf.predict(df.drop(columns="visits").to_numpy())
    with pytest.raises(ValueError, match="not in X"):
        MixedNB(distributions={"nope": "gaussian"}).fit(df, y)


# -- review fixes: estimates with missing data, modes, partial_fit atomicity ---------------
def test_multinomial_mean_total_and_impute_are_unbiased_by_missing_counts():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    rates = np.array([[2.0, 2.0, 2.0, 2.0], [1.0, 3.0, 5.0, 1.0]])
    X = rng.poisson(rates[y]).astype(float)
    Xn = X.copy()
    Xn[rng.random(X.shape) < 0.5] = np.nan
    full, part = MultinomialNB().fit(X, y), MultinomialNB().fit(Xn, y)
    np.testing.assert_allclose(full.mean_total_, rates.sum(axis=1), rtol=0.03)
    np.testing.assert_allclose(part.mean_total_, rates.sum(axis=1), rtol=0.05)
    for k in range(2):
        np.testing.assert_array_equal(part.observed_count_[k], (~np.isnan(Xn[y == k])).sum(0))
    rows = X[:1000].copy()
    rows[:, 0] = np.nan
    filled = part.impute(rows)[:, 0]
    # the imputed count is posterior @ (mean_total theta), close to the true rate
    expected = part.predict_proba(rows) @ (part.mean_total_ * np.exp(part.feature_log_prob_[:, 0]))
    np.testing.assert_allclose(filled, expected, rtol=1e-12, atol=1e-12)
    truth = full.predict_proba(rows) @ rates[:, 0]
    np.testing.assert_allclose(filled, truth, atol=0.15)
    drawn = part.sample(20_000, y=1, random_state=0)[0].sum(axis=1).mean()
    assert drawn == pytest.approx(rates[1].sum(), rel=0.05)
    chunked = MultinomialNB()
    for chunk in np.array_split(np.arange(len(y)), 5):
        chunked.partial_fit(Xn[chunk], y[chunk], classes=[0, 1])
    np.testing.assert_allclose(chunked.mean_total_, part.mean_total_, rtol=1e-12, atol=1e-12)


def test_categorical_impute_is_the_mode_of_the_posterior_mixture():
    # class 0: 27 x "a", 73 x "b"; class 1: 2 x "a". With equal priors the mixture
    # P(a) = .436 < P(b) = .459; renormalizing each class over known labels first
    # would (wrongly) pick "a".
    codes = np.array([0.0] * 27 + [1.0] * 73 + [0.0] * 2)[:, None]
    y = np.array([0] * 100 + [1] * 2)
    clf = CategoricalNB(class_prior=[0.5, 0.5]).fit(codes, y)
    mixture = clf.predict_proba([[np.nan]]) @ np.exp(clf.feature_log_prob_[0][:, :-1])
    assert np.argmax(mixture) == 1
    assert clf.impute([[np.nan]])[0, 0] == 1.0
    frame = pd.DataFrame({"c": np.where(codes[:, 0] == 0, "a", "b")})
    mixed = MixedNB(priors=[0.5, 0.5]).fit(frame, y)
    assert mixed.impute(pd.DataFrame({"c": [None]}))["c"].tolist() == ["b"]


def test_mixed_rejected_partial_fit_batch_leaves_the_model_unchanged():
    rng = np.random.default_rng(0)
    n = 300
    y = rng.integers(0, 2, n)
    df = pd.DataFrame(
        {"h": rng.normal(y, 1.0), "col": rng.choice(["a", "b"], n), "visits": rng.poisson(2, n)}
    )
    clf = MixedNB(alpha=50).partial_fit(df.iloc[:100], y[:100], classes=[0, 1])
    categories = [None if c is None else c.tolist() for c in clf.categories_]
    proba = clf.predict_proba(df)
    bad = df.iloc[100:110].assign(col="zzz")
    batches = [
        (bad, np.full(10, 7), "labels not in classes"),
        (bad.assign(visits=-1), y[100:110], "non-negative counts"),
        (bad.assign(extra=1.0), y[100:110], "feature names"),
        (bad.to_numpy()[:, 1:], y[100:110], "2 features"),
    ]
    for X, labels, message in batches:
        with pytest.raises(ValueError, match=message), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the array has no feature names
            clf.partial_fit(X, labels)
        assert [None if c is None else c.tolist() for c in clf.categories_] == categories
        np.testing.assert_array_equal(clf.predict_proba(df), proba)
    clf.partial_fit(df.iloc[100:], y[100:])
    whole = MixedNB(alpha=50).fit(df, y)
    assert clf.categories_[1].tolist() == ["a", "b"]
    np.testing.assert_allclose(clf.predict_log_proba(df), whole.predict_log_proba(df), atol=1e-12)


def test_mixed_impute_of_an_array_keeps_observed_unseen_labels():
    y = np.array([0, 0, 1, 1, 0, 1])
    X = np.array(
        [[1.0, "red"], [1.2, "red"], [3.0, "blue"], [3.1, "blue"], [0.9, "red"], [2.9, "blue"]],
        dtype=object,
    )
    clf = MixedNB(distributions=["gaussian", "categorical"]).fit(X, y)
    holes = np.array([[np.nan, "green"], [2.0, None]], dtype=object)
    filled = clf.impute(holes)
    assert filled.iloc[0, 1] == "green"  # observed, though never seen in training
    assert filled.iloc[1, 0] == 2.0
    assert filled.iloc[1, 1] in {"red", "blue"} and np.isfinite(filled.iloc[0, 0])
    assert clf.impute(np.array([[1.0, "green"]], dtype=object)).iloc[0, 1] == "green"
    frame = pd.DataFrame({"h": X[:, 0].astype(float), "col": X[:, 1]})
    from_frame = MixedNB().fit(frame, y)
    with pytest.warns(UserWarning, match="feature names"):
        filled = from_frame.impute(np.array([[np.nan, "green"]], dtype=object))
    assert filled["col"].tolist() == ["green"] and np.isfinite(filled["h"]).all()


def test_mixed_impute_widens_a_categorical_column_lacking_the_label():
    y = np.array([0, 0, 1, 1, 0, 1])
    frame = pd.DataFrame(
        {
            "col": pd.Categorical(["red", "red", "blue", "blue", "red", "blue"]),
            "h": [1.0, 1.2, 3.0, 3.1, 0.9, 2.9],
        }
    )
    clf = MixedNB().fit(frame, y)
    holes = pd.DataFrame(
        {"col": pd.Categorical([None, "red"], categories=["red"]), "h": [3.0, 1.0]}
    )
    filled = clf.impute(holes)
    assert filled["col"].tolist() == ["blue", "red"]
    assert list(filled["col"].cat.categories) == ["red", "blue"]  # fitted labels appended


def test_mixed_integer_column_labels_must_come_in_the_fitted_order():
    y = np.array([0, 0, 1, 1, 0, 1])
    frame = pd.DataFrame({1: [1.0, 2, 3, 4, 5, 6], 0: list("xyxyxy")})
    clf = MixedNB().fit(frame, y)
    with pytest.raises(ValueError, match=r"columns \[0, 1\] but MixedNB was fitted with columns"):
        clf.predict_proba(frame[[0, 1]])
    with pytest.raises(ValueError, match="same columns in the same order"):
        clf.predict_proba(frame.rename(columns={1: 2}))
    with pytest.raises(ValueError, match="same columns in the same order"):
        clf.partial_fit(frame[[0, 1]], y)
    np.testing.assert_array_equal(clf.predict(frame), MixedNB().fit(frame, y).predict(frame))


# -- review nits ----------------------------------------------------------------------------
def test_mixed_list_of_ints_infers_like_the_array():
    y = np.array([0, 0, 1, 1, 0, 1])
    rows = [[1], [0], [1], [2], [2], [3]]
    from_list = MixedNB().fit(rows, y)
    from_array = MixedNB().fit(np.array(rows), y)
    assert from_list.distributions_.tolist() == from_array.distributions_.tolist() == ["poisson"]
    np.testing.assert_array_equal(from_list.predict_proba(rows), from_array.predict_proba(rows))


def test_mixed_poisson_imputation_rounding_follows_the_fitted_dtype():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    df = pd.DataFrame({"h": rng.normal(y, 1.0), "visits": rng.poisson(1 + 3 * y)})
    clf = MixedNB().fit(df, y)
    holes = df.head(6).astype({"visits": float})
    holes.loc[[0, 1], "visits"] = np.nan
    rate = clf.parameters_["poisson"]["rate"][:, 0]
    expected = np.rint(clf.predict_proba(holes) @ rate)
    filled = clf.impute(holes)
    np.testing.assert_array_equal(filled["visits"][:2], expected[:2])
    np.testing.assert_array_equal(filled["visits"][2:], holes["visits"][2:])
    nullable = clf.impute(holes.astype({"visits": "Int64"}))
    np.testing.assert_array_equal(nullable["visits"].to_numpy(dtype=float), filled["visits"])
    as_float = MixedNB(distributions={"visits": "poisson"}).fit(df.astype({"visits": float}), y)
    rate = as_float.parameters_["poisson"]["rate"][:, 0]
    np.testing.assert_allclose(
        as_float.impute(holes)["visits"][:2],
        (as_float.predict_proba(holes) @ rate)[:2],
        rtol=1e-12, atol=1e-12,
    )
    assert not np.allclose(as_float.impute(holes)["visits"][:2] % 1, 0)


def test_mixed_object_array_infers_the_columns_a_dict_leaves_out_as_a_dataframe_would():
    # floats and text in one object array, only the text column named: the float
    # columns are Gaussian (not one category per float value), as in a DataFrame
    y = np.array([0, 1, 0, 1, 0, 1])
    X = np.array([[1.5, "a", 0.3], [2.0, "b", 1.7], [0.1, "a", 2.2], [3.3, "b", 0.9],
                  [1.1, "a", 0.5], [2.8, "b", 1.9]], dtype=object)
    clf = MixedNB(distributions={1: "categorical"}).fit(X, y)
    assert clf.distributions_.tolist() == ["gaussian", "categorical", "gaussian"]
    frame = pd.DataFrame(X).infer_objects()
    reference = MixedNB().fit(frame, y)
    np.testing.assert_allclose(clf.predict_proba(X), reference.predict_proba(frame),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="expects numeric X"):
        MixedNB().fit(X, y)  # text with no kinds named: refused, as documented


def test_mixed_output_container_follows_the_fit_input():
    y = np.array([0, 0, 1, 1, 0, 1])
    X = np.array(
        [[1.0, "r"], [1.2, "r"], [3.0, "b"], [3.1, "b"], [0.9, "r"], [2.9, "b"]], dtype=object
    )
    sampled, _ = MixedNB(distributions=["gaussian", "categorical"]).fit(X, y).sample(3)
    assert isinstance(sampled, pd.DataFrame) and list(sampled.columns) == [0, 1]
    assert set(sampled[1]) <= {"r", "b"}
    numeric = MixedNB().fit(X[:, :1].astype(float), y)
    assert isinstance(numeric.sample(3)[0], np.ndarray)
    assert isinstance(numeric.impute([[np.nan]]), np.ndarray)


def test_categorical_feature_never_observed_is_an_error():
    y = np.array([0, 0, 1, 1, 0, 1])
    frame = pd.DataFrame({"h": [1.0, 1.2, 3.0, 3.1, 0.9, 2.9], "cat": [None] * 6})
    with pytest.raises(ValueError, match=r"no known category for feature\(s\) \['cat'\]"):
        MixedNB().fit(frame, y)
    declared = frame.assign(cat=pd.Categorical([None] * 6, categories=["u", "v"]))
    assert set(MixedNB().fit(declared, y).sample(50, random_state=0)[0]["cat"]) <= {"u", "v"}
    codes = np.column_stack([[0.0, 1, 0, 1, 1, 0], np.full(6, np.nan)])
    with pytest.raises(ValueError, match=r"no known category for feature\(s\) \[1\]"):
        CategoricalNB().fit(codes, y)
    assert CategoricalNB(min_categories=2).fit(codes, y).n_categories_.tolist() == [2, 2]
    streaming = CategoricalNB().partial_fit(codes, y, classes=[0, 1])
    with pytest.raises(ValueError, match="no known category"):
        streaming.sample(2)


def test_gaussian_zero_variance_without_smoothing_is_an_error():
    X = np.array([[1.0, 5.0], [1.0, 6.0], [1.0, 7.0], [1.0, 9.0]])
    y = [2, 2, 1, 1]
    pairs = r"zero variance for \(class, feature\) \[\(1, 0\), \(2, 0\)\].*var_smoothing > 0"
    with pytest.raises(ValueError, match=pairs):
        GaussianNB(var_smoothing=0.0).fit(X, y)
    with pytest.raises(ValueError, match=r"zero variance.*\[\(1, 'a'\), \(2, 'a'\)\]"):
        MixedNB(var_smoothing=0.0).fit(pd.DataFrame(X, columns=["a", "b"]), y)
    assert np.isfinite(GaussianNB().fit(X, y).predict_proba(X)).all()


@pytest.mark.parametrize("model", [GaussianNB, CategoricalNB, MixedNB])
def test_sparse_input_is_refused_with_a_clear_message(model):
    import scipy.sparse as sp

    X, y = count_data()
    with pytest.raises(TypeError, match="dense arrays only.*sparse csr_matrix.*toarray"):
        model().fit(sp.csr_matrix(X), y)
    with pytest.raises(TypeError, match="dense arrays only"):
        model().fit(X, y).predict(sp.csr_matrix(X))


# -- review test gaps ------------------------------------------------------------------------
def test_conditional_sample_draws_from_that_class():
    X, y = gaussian_data()
    g = GaussianNB().fit(X, y)
    for k in range(3):
        drawn = g.sample(20_000, y=k, random_state=k)[0]
        np.testing.assert_allclose(drawn.mean(axis=0), g.theta_[k], atol=0.05)
    b = BernoulliNB(binarize=None).fit(*binary_data())
    m = MultinomialNB().fit(*count_data())
    c = CategoricalNB().fit(*code_data())
    for k in range(3):
        drawn = b.sample(20_000, y=k, random_state=k)[0]
        np.testing.assert_allclose(drawn.mean(axis=0), np.exp(b.feature_log_prob_[k]), atol=0.02)
        drawn = m.sample(20_000, y=k, random_state=k)[0]
        expected = m.mean_total_[k] * np.exp(m.feature_log_prob_[k])
        np.testing.assert_allclose(drawn.mean(axis=0), expected, rtol=0.03)
        drawn = c.sample(20_000, y=k, random_state=k)[0]
        for j, log_prob in enumerate(c.feature_log_prob_):
            known = np.exp(log_prob[k, :-1]) / np.exp(log_prob[k, :-1]).sum()
            freq = np.bincount(drawn[:, j].astype(int), minlength=len(known)) / len(drawn)
            np.testing.assert_allclose(freq, known, atol=0.015)


def test_poisson_impute_is_posterior_weighted_rate_with_nan_at_fit():
    X, y = count_data()
    clf = MixedNB(distributions="poisson").fit(with_nan(X, 0.3), y)
    rate = clf.parameters_["poisson"]["rate"]
    Xn = with_nan(X, 0.3)
    for k in range(3):
        rows = Xn[y == k]
        expected = (np.nansum(rows, axis=0) + 1.0) / ((~np.isnan(rows)).sum(axis=0) + 1.0)
        np.testing.assert_allclose(rate[k], expected, rtol=1e-12, atol=1e-12)
    holes = with_nan(X[:50], 0.4, seed=7)
    expected = clf.predict_proba(holes) @ rate
    missing = np.isnan(holes)
    np.testing.assert_allclose(
        clf.impute(holes)[missing], expected[missing], rtol=1e-12, atol=1e-12
    )


def test_mixed_sample_refit_recovers_every_kind_of_column():
    df, y = mixed_frame()
    rng = np.random.default_rng(3)
    df["flag"] = (rng.random(len(y)) < 0.2 + 0.6 * y).astype(int)
    kinds = {"flag": "bernoulli"}
    clf = MixedNB(distributions=kinds).fit(df, y)
    assert clf.distributions_.tolist() == [
        "gaussian", "categorical", "poisson", "categorical", "bernoulli"
    ]
    Xs, ys = clf.sample(20_000, random_state=0)
    assert (Xs.dtypes == df.dtypes).all()
    refit = MixedNB(distributions=kinds).fit(Xs, ys)
    for j in clf.columns_["categorical"]:
        assert refit.categories_[j].tolist() == clf.categories_[j].tolist()
    p, q = refit.parameters_, clf.parameters_
    np.testing.assert_allclose(p["gaussian"]["theta"], q["gaussian"]["theta"], atol=0.01)
    np.testing.assert_allclose(p["poisson"]["rate"], q["poisson"]["rate"], rtol=0.05)
    np.testing.assert_allclose(
        np.exp(p["bernoulli"]["log_prob"]), np.exp(q["bernoulli"]["log_prob"]), atol=0.02
    )
    for a, b in zip(p["categorical"]["log_probs"], q["categorical"]["log_probs"], strict=True):
        known_a = np.exp(a[:, :-1]) / np.exp(a[:, :-1]).sum(axis=1, keepdims=True)
        known_b = np.exp(b[:, :-1]) / np.exp(b[:, :-1]).sum(axis=1, keepdims=True)
        np.testing.assert_allclose(known_a, known_b, atol=0.02)


# -- issue 12: bad input that reached the math, samples the data never had -------------------
def test_gaussian_models_refuse_values_whose_squares_overflow_at_fit():
    X, y = gaussian_data(n=60, d=3)
    big = X.copy()
    big[4, 1] = 1e300
    with pytest.raises(ValueError, match=r"GaussianNB cannot take column 1 of X.*1e\+300"):
        GaussianNB().fit(big, y)
    with pytest.raises(ValueError, match=r"column 1 of X.*1e\+300"):
        GaussianNB().partial_fit(big, y, classes=[0, 1, 2])
    frame = pd.DataFrame(big, columns=["a", "b", "c"]).assign(colour=np.where(y == 0, "r", "b"))
    with pytest.raises(ValueError, match=r"MixedNB cannot take column 1 \('b'\) of X"):
        MixedNB().fit(frame, y)
    # a categorical or count column is not squared: its labels / counts may be large
    labels = frame.assign(b=np.where(y == 0, 1e300, 0.0)).astype({"b": object})
    clf = MixedNB(distributions={"b": "categorical"}).fit(labels, y)
    assert clf.predict(labels).shape == y.shape


def test_mixed_non_finite_fitted_parameter_is_refused_naming_the_column():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], 200)
    frame = pd.DataFrame({"h": rng.normal(y, 1.0), "huge": np.full(400, 1e307)})
    # each count is finite, but their sum overflows: the Poisson rate would be inf
    with pytest.raises(ValueError, match=r"non-finite.*'huge'"):
        MixedNB(distributions={"huge": "poisson"}).fit(frame, y)


def test_gaussian_values_beyond_the_limit_at_predict_raise_and_large_ones_are_valid():
    X, y = gaussian_data(n=60, d=3)
    for clf in (GaussianNB().fit(X, y), MixedNB().fit(X, y)):
        name = type(clf).__name__
        with pytest.raises(ValueError, match=rf"{name} cannot take column 0 of X.*1e\+300"):
            clf.predict_proba([[1e300, 0.0, 0.0]])
        with pytest.raises(ValueError, match="column 0 of X"):
            clf.score_samples([[1e300, 0.0, 0.0]])
        proba = clf.predict_proba([[1e100, 0.0, 0.0], [-1e100, np.nan, 1.0]])
        assert np.isfinite(proba).all()
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


@pytest.mark.parametrize("code", [10**12, 2**62, 1e20])
def test_categorical_huge_code_at_fit_says_what_was_expected(code):
    X, y = code_data(n=60)
    X[5, 2] = code
    with pytest.raises(ValueError, match=r"codes below 1048576.*got .*at row 5, column 2"):
        CategoricalNB().fit(X, y)
    clf = CategoricalNB().partial_fit(X[:4], y[:4], classes=[0, 1, 2])
    before = [c.copy() for c in clf.category_count_]
    with pytest.raises(ValueError, match=r"codes below 1048576.*row 1, column 2"):
        clf.partial_fit(X[4:], y[4:])
    for a, b in zip(clf.category_count_, before, strict=True):  # a refused batch changes nothing
        np.testing.assert_array_equal(a, b)


def test_categorical_codes_far_outside_the_alphabet_at_predict_are_unseen():
    X, y = code_data(n=120)
    clf = CategoricalNB().fit(X, y)
    unseen = np.array([[0.0, 1, 2, code] for code in (10**12, 2**62, 1e300)])
    reference = np.array([[0.0, 1, 2, clf.n_categories_[3]]])
    proba = clf.predict_proba(unseen)
    np.testing.assert_allclose(proba, np.tile(clf.predict_proba(reference), (3, 1)), atol=1e-12)
    with pytest.raises(ValueError, match=r"Negative values.*-3\.0.*row 0, column 1"):
        clf.predict([[0.0, -3.0, 0, 0]])
    with pytest.raises(ValueError, match=r"Non-integer codes.*1\.5.*row 0, column 2"):
        clf.predict([[0.0, 0, 1.5, 0]])
    # MixedNB's categorical columns hold labels: any value never seen is "unseen"
    mixed = MixedNB(distributions=["gaussian", "categorical"]).fit(
        np.column_stack([X[:, 0], X[:, 3]]), y
    )
    far = mixed.predict_proba([[0.0, 1e300], [0.0, -(2.0**62)], [0.0, 0.5]])
    np.testing.assert_allclose(far, np.tile(far[:1], (3, 1)), rtol=0, atol=1e-12)


def test_categorical_samples_only_codes_seen_in_training():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 600)
    p = np.array([[0.6, 0.3, 0.1], [0.1, 0.2, 0.7]])
    years = 2007 + np.array([rng.choice(3, p=p[k]) for k in y])
    X = np.column_stack([years, rng.integers(0, 2, 600)]).astype(float)
    clf = CategoricalNB().fit(X, y)
    for k in (0, 1):
        drawn = clf.sample(20_000, y=k, random_state=k)[0][:, 0]
        assert set(np.unique(drawn)) <= {2007.0, 2008.0, 2009.0}
        fitted = np.exp(clf.feature_log_prob_[0][k, 2007:2010])
        freq = np.array([(drawn == code).mean() for code in (2007, 2008, 2009)])
        np.testing.assert_allclose(freq, fitted / fitted.sum(), atol=0.015)
    holes = np.column_stack([np.full(50, np.nan), X[:50, 1]])
    assert set(np.unique(clf.impute(holes)[:, 0])) <= {2007.0, 2008.0, 2009.0}
    assert set(np.unique(clf.impute(holes, method="sample", random_state=0)[:, 0])) <= {
        2007.0, 2008.0, 2009.0
    }
    # declared categories (min_categories) are known and may be drawn; codes above them
    # that training never saw still are not
    declared = CategoricalNB(min_categories=[2, 2]).fit(X, y)
    drawn = declared.sample(5_000, random_state=0)[0][:, 0]
    assert set(np.unique(drawn)) <= {0.0, 1.0, 2007.0, 2008.0, 2009.0}


def test_mixed_year_column_is_not_poisson_and_samples_stay_in_the_data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    frame = pd.DataFrame(
        {
            "year": rng.integers(1990, 2011, 400),
            "visits": rng.poisson(1 + 3 * y),
            "rooms": rng.integers(1, 9, 400),
            "temperature": rng.integers(-40, 41, 400),
        }
    )
    clf = MixedNB().fit(frame, y)
    kinds = dict(zip(frame.columns, clf.distributions_.tolist(), strict=True))
    assert kinds == {
        "year": "categorical", "visits": "poisson", "rooms": "poisson",
        "temperature": "gaussian",
    }
    drawn, _ = clf.sample(5_000, random_state=0)
    assert set(drawn["year"]) <= set(frame["year"])
    assert drawn["year"].dtype == frame["year"].dtype
    assert (drawn["visits"] >= 0).all() and (drawn["rooms"] >= 0).all()
    # an integer array follows the same rule
    as_array = MixedNB().fit(frame.to_numpy(), y)
    assert as_array.distributions_.tolist() == list(kinds.values())
    assert set(as_array.sample(2_000, random_state=1)[0][:, 0]) <= set(frame["year"])


def test_mixed_impute_keeps_a_non_default_index():
    df, y = mixed_frame()
    clf = MixedNB().fit(df, y)
    holes = df.head(40).copy()
    holes.loc[holes.index[::3], "height"] = np.nan
    holes.loc[holes.index[1::3], "colour"] = np.nan
    holes.loc[holes.index[2::3], "visits"] = pd.NA
    holes = holes.astype({"visits": "Int64"})
    expected = clf.impute(holes)
    shuffled = holes.iloc[np.random.default_rng(0).permutation(40)]
    shuffled.index = np.arange(1000, 1040)[::-1]
    filled = clf.impute(shuffled)
    assert filled.index.equals(shuffled.index)
    assert not filled.isna().any().any()
    pd.testing.assert_frame_equal(
        filled.reset_index(drop=True),
        expected.iloc[np.random.default_rng(0).permutation(40)].reset_index(drop=True),
    )


def _feature_parameters(clf):
    """Every fitted feature parameter of a naive Bayes model, as a flat list of arrays."""
    if isinstance(clf, GaussianNB):
        return [clf.theta_, clf.var_]
    if isinstance(clf, MultinomialNB):
        return [clf.feature_log_prob_, clf.mean_total_]
    if isinstance(clf, CategoricalNB):
        return list(clf.feature_log_prob_)
    if isinstance(clf, MixedNB):
        return [
            np.asarray(v, dtype=float)
            for params in clf.parameters_.values()
            for value in params.values()
            for v in (value if isinstance(value, list) else [value])
        ]
    return [clf.feature_log_prob_]


@pytest.mark.parametrize("name", list(CASES))
def test_rows_with_every_entry_missing_count_toward_the_prior_only(name):
    model, data = CASES[name]
    X, y = data(n=150)
    blank = np.full((7, X.shape[1]), np.nan)
    extra_y = np.array([0, 0, 0, 1, 2, 2, 2])
    clf = model().fit(X, y)
    padded = model().fit(np.vstack([X[:70], blank, X[70:]]), np.r_[y[:70], extra_y, y[70:]])
    for a, b in zip(_feature_parameters(padded), _feature_parameters(clf), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    counts = np.bincount(y, minlength=3) + np.bincount(extra_y, minlength=3)
    np.testing.assert_array_equal(padded.class_count_, counts)
    np.testing.assert_allclose(padded.class_prior_, counts / counts.sum(), atol=1e-12)
    np.testing.assert_allclose(padded.predict_proba(blank[:2]),
                               np.tile(padded.class_prior_, (2, 1)), rtol=0, atol=1e-12)


def test_class_whose_rows_are_all_missing():
    X, y = gaussian_data(n=150)
    X[y == 2] = np.nan
    for model in (GaussianNB, MixedNB):
        with pytest.raises(ValueError, match=r"feature\) \[\(2, 0\), \(2, 1\).*no observed"):
            model().fit(X, y)
    # the smoothed discrete models are defined with no data for a class: the smoothing
    # prior alone (uniform over the known categories, p = 1/2, theta uniform)
    codes, yc = code_data(n=150)
    codes[yc == 2] = np.nan
    clf = CategoricalNB().fit(codes, yc)
    for j, log_prob in enumerate(clf.feature_log_prob_):
        np.testing.assert_allclose(
            np.exp(log_prob[2]), 1.0 / (clf.n_categories_[j] + 1), rtol=0, atol=1e-12
        )
    binary, yb = binary_data(n=150)
    binary[yb == 2] = np.nan
    np.testing.assert_allclose(
        np.exp(BernoulliNB().fit(binary, yb).feature_log_prob_[2]), 0.5, rtol=0, atol=1e-12
    )


# -- sample_weight ---------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_integer_sample_weight_equals_repeating_rows(name):
    """A row of weight w is the row w times: every statistic, the prior and the posterior."""
    model, data = CASES[name]
    X, y = data(n=300)
    X = with_nan(X, 0.1)
    w = np.random.default_rng(3).integers(0, 4, len(y))  # 0: the row is left out
    weighted = model().fit(X, y, sample_weight=w)
    repeated = model().fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    Xt = with_nan(data(seed=5)[0], 0.1)
    np.testing.assert_allclose(weighted.predict_log_proba(Xt), repeated.predict_log_proba(Xt),
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.score_samples(Xt), repeated.score_samples(Xt),
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(weighted.class_count_, repeated.class_count_, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_weighted_partial_fit_equals_weighted_fit(name):
    model, data = CASES[name]
    X, y = data(n=300)
    X = with_nan(X, 0.1)
    if name == "categorical":  # later chunks bring new (larger) codes
        order = np.argsort(np.nanmax(np.nan_to_num(X), axis=1), kind="stable")
        X, y = X[order], y[order]
    w = np.random.default_rng(4).uniform(0.1, 3.0, len(y))
    whole = model().fit(X, y, sample_weight=w)
    chunked = model()
    for part in np.array_split(np.arange(len(y)), 5):
        chunked.partial_fit(X[part], y[part], classes=np.unique(y), sample_weight=w[part])
    Xt = with_nan(data(seed=5)[0], 0.1)
    np.testing.assert_allclose(chunked.predict_log_proba(Xt), whole.predict_log_proba(Xt),
                               rtol=0, atol=1e-9)


def test_mixed_frame_sample_weight_equals_repeating_rows():
    df, y = mixed_frame(n=200)
    w = np.random.default_rng(5).integers(0, 3, len(y))
    weighted = MixedNB().fit(df, y, sample_weight=w)
    repeated = MixedNB().fit(df.loc[df.index.repeat(w)].reset_index(drop=True),
                             np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_log_proba(df), repeated.predict_log_proba(df),
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "ours, theirs, data",
    [
        (GaussianNB(var_smoothing=0.0), sk.GaussianNB(var_smoothing=0.0), gaussian_data),
        (BernoulliNB(binarize=None), sk.BernoulliNB(binarize=None), binary_data),
        (MultinomialNB(), sk.MultinomialNB(), count_data),
    ],
)
def test_sample_weight_matches_sklearn(ours, theirs, data):
    X, y = data()
    w = np.random.default_rng(6).uniform(0.0, 2.0, len(y))
    ours.fit(X, y, sample_weight=w)
    theirs.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(ours.class_count_, theirs.class_count_, rtol=0, atol=1e-9)
    if isinstance(ours, GaussianNB):
        np.testing.assert_allclose(ours.theta_, theirs.theta_, rtol=0, atol=1e-10)
        np.testing.assert_allclose(ours.var_, theirs.var_, rtol=0, atol=1e-10)


@pytest.mark.parametrize("weight, error, message", [
    ([1.0, 2.0], ValueError, "sample_weight must have shape (6,)"),
    ([1, 1, -1, 1, 1, 1], ValueError, "sample_weight must be >= 0, got -1.0 at row 2"),
    ([1, 1, np.nan, 1, 1, 1], ValueError, "sample_weight must be finite, got nan at row 2"),
    ([0] * 6, ValueError, "every sample_weight is zero"),
    (["a"] * 6, TypeError, "sample_weight must be real numbers"),
    (np.ones((6, 1)), ValueError, "sample_weight must have shape (6,)"),
])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_bad_sample_weight_is_refused_before_any_statistic(weight, error, message, method):
    X, y = gaussian_data(n=6, d=2, k=2)
    model = GaussianNB()
    kwargs = {"classes": [0, 1]} if method == "partial_fit" else {}
    with pytest.raises(error, match=re.escape(message)):
        getattr(model, method)(X, y, sample_weight=weight, **kwargs)
    assert not hasattr(model, "classes_")


# -- scikit-learn's names and smoothing options (issue 17) ------------------------------
@pytest.mark.parametrize(
    "ours, theirs, data",
    [
        (GaussianNB(), sk.GaussianNB(), gaussian_data),
        (BernoulliNB(alpha=0.5), sk.BernoulliNB(alpha=0.5), gaussian_data),
        (MultinomialNB(fit_prior=False), sk.MultinomialNB(fit_prior=False), count_data),
        (MultinomialNB(class_prior=[0.2, 0.3, 0.5]),
         sk.MultinomialNB(class_prior=[0.2, 0.3, 0.5]), count_data),
        (CategoricalNB(unseen="error"), sk.CategoricalNB(), code_data),
    ],
)
def test_sklearn_attribute_and_method_names_match_sklearn(ours, theirs, data):
    X, y = data()
    w = np.random.default_rng(3).uniform(0.5, 2.0, len(y))
    ours.fit(X, y, sample_weight=w)
    theirs.fit(X, y, sample_weight=w)
    np.testing.assert_allclose(ours.class_log_prior_, np.log(ours.class_prior_), rtol=0,
                               atol=0)
    if not isinstance(ours, GaussianNB):  # sklearn's GaussianNB has no class_log_prior_
        np.testing.assert_allclose(ours.class_log_prior_, theirs.class_log_prior_, rtol=0,
                                   atol=1e-12)
    np.testing.assert_allclose(ours.class_count_, theirs.class_count_, rtol=0, atol=1e-9)
    joint = ours.predict_joint_log_proba(X)
    np.testing.assert_array_equal(joint, ours.log_joint(X))
    # the multinomial keeps its coefficient (a true log p(x, y)): equal up to a row term
    reference = theirs.predict_joint_log_proba(X)
    np.testing.assert_allclose(joint - joint[:, :1], reference - reference[:, :1], rtol=0,
                               atol=1e-9)
    if isinstance(ours, (BernoulliNB, MultinomialNB)):
        np.testing.assert_allclose(ours.feature_count_, theirs.feature_count_, rtol=0,
                                   atol=1e-9)
        np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=0,
                                   atol=1e-12)


def test_vector_alpha_matches_sklearn():
    X, y = count_data(d=5)
    alpha = np.array([0.1, 1.0, 2.0, 0.5, 3.0])
    ours = MultinomialNB(alpha=alpha).fit(X, y)
    theirs = sk.MultinomialNB(alpha=alpha).fit(X, y)
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=0,
                               atol=1e-12)
    # scikit-learn 1.9's Bernoulli/Categorical NB cannot fit a vector alpha (it broadcasts it
    # against class counts): each feature's parameters equal scikit-learn's on that column
    # with that column's alpha
    bern = BernoulliNB(alpha=alpha, binarize=1.5).fit(X, y)
    codes = np.minimum(X, 4)
    cat = CategoricalNB(alpha=alpha, unseen="error").fit(codes, y)
    for j, a in enumerate(alpha):
        one = sk.BernoulliNB(alpha=a, binarize=1.5).fit(X[:, [j]], y)
        np.testing.assert_allclose(bern.feature_log_prob_[:, j], one.feature_log_prob_[:, 0],
                                   rtol=0, atol=1e-12)
        one = sk.CategoricalNB(alpha=a).fit(codes[:, [j]], y)
        np.testing.assert_allclose(cat.feature_log_prob_[j], one.feature_log_prob_[0], rtol=0,
                                   atol=1e-12)


@pytest.mark.parametrize("model", [BernoulliNB, MultinomialNB, CategoricalNB])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_vector_alpha_of_the_wrong_length_names_both_lengths(model, method):
    X, y = count_data(d=5)
    X = np.minimum(X, 4)
    clf = model(alpha=[1.0, 2.0])
    kwargs = {"classes": [0, 1, 2]} if method == "partial_fit" else {}
    with pytest.raises(ValueError, match="alpha has 2 values, but X has 5 features"):
        getattr(clf, method)(X, y, **kwargs)
    assert not hasattr(clf, "classes_")
    with pytest.raises(ValueError, match=r"alpha must hold finite values >= 0"):
        model(alpha=[1.0, -1.0, 1.0, 1.0, 1.0]).fit(X, y)
    with pytest.raises(TypeError, match="alpha must be a float or a 1-D array"):
        model(alpha=np.ones((5, 1))).fit(X, y)
    with pytest.raises(TypeError, match="force_alpha must be a bool"):
        model(force_alpha="yes").fit(X, y)


@pytest.mark.parametrize("force_alpha", [False, True])
def test_force_alpha_follows_sklearn(force_alpha):
    X, y = count_data()
    X[:, 0] = 0.0  # a feature never counted: alpha 0 gives it probability 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ours = MultinomialNB(alpha=0.0, force_alpha=force_alpha).fit(X, y)
    assert any("force_alpha=True" in str(w.message) for w in caught) != force_alpha
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = sk.MultinomialNB(alpha=0.0, force_alpha=force_alpha).fit(X, y)
    np.testing.assert_array_equal(np.isneginf(ours.feature_log_prob_), force_alpha
                                  & (X.sum(axis=0) == 0)[None].repeat(3, axis=0))
    finite = np.isfinite(theirs.feature_log_prob_)
    np.testing.assert_array_equal(np.isfinite(ours.feature_log_prob_), finite)
    np.testing.assert_allclose(ours.feature_log_prob_[finite], theirs.feature_log_prob_[finite],
                               rtol=0, atol=1e-12)
    # sample weights and categorical features: unseen="error" with force_alpha reproduces it
    codes, yc = code_data()
    ours = CategoricalNB(alpha=0.0, force_alpha=True, unseen="error").fit(codes, yc)
    theirs = sk.CategoricalNB(alpha=0.0, force_alpha=True).fit(codes, yc)
    for a, b in zip(ours.feature_log_prob_, theirs.feature_log_prob_, strict=True):
        np.testing.assert_array_equal(np.isneginf(a), np.isneginf(b))


# -- CategoricalNB(unseen="error") reproduces scikit-learn ----------------------------
@pytest.mark.parametrize("kwargs", [{}, {"alpha": 0.3}, {"min_categories": 6},
                                    {"fit_prior": False}, {"class_prior": [0.5, 0.3, 0.2]}])
def test_categorical_without_unseen_bucket_equals_sklearn(kwargs):
    X, y = code_data()
    w = np.random.default_rng(2).uniform(0.5, 2.0, len(y))
    ours = CategoricalNB(unseen="error", **kwargs).fit(X, y, sample_weight=w)
    theirs = sk.CategoricalNB(**kwargs).fit(X, y, sample_weight=w)
    np.testing.assert_array_equal(ours.n_categories_, theirs.n_categories_)
    for a, b in zip(ours.feature_log_prob_, theirs.feature_log_prob_, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for a, b in zip(ours.category_count_, theirs.category_count_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    for method in ("predict_joint_log_proba", "predict_log_proba", "predict_proba"):
        np.testing.assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X),
                                   rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    # the default keeps the bucket: its known categories get less mass than scikit-learn's
    default = CategoricalNB(**kwargs).fit(X, y, sample_weight=w)
    assert default.feature_log_prob_[0].shape[1] == theirs.feature_log_prob_[0].shape[1] + 1


def test_categorical_without_unseen_bucket_refuses_unseen_codes_and_still_marginalizes():
    X, y = code_data()
    clf = CategoricalNB(unseen="error").fit(X, y)
    with pytest.raises(ValueError, match=r"unseen='error'.*got 7\.0 at row 1, column 2"):
        clf.predict(np.array([[0, 0, 0, 0], [0, 0, 7, 0]], dtype=float))
    row = np.array([[1.0, np.nan, 2.0, np.nan]])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(row)).sum(), 1.0, atol=1e-12)
    with pytest.raises(ValueError, match="unseen must be one of"):
        CategoricalNB(unseen="ignore").fit(X, y)
    # partial_fit on chunks equals fit
    chunked = CategoricalNB(unseen="error")
    for part in np.array_split(np.arange(len(y)), 3):
        chunked.partial_fit(X[part], y[part], classes=[0, 1, 2])
    for a, b in zip(chunked.feature_log_prob_, clf.feature_log_prob_, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


# -- one rule for a single class (README "scikit-learn parity: naive Bayes") -------------
@pytest.mark.parametrize("name", sorted(CASES))
def test_a_single_class_is_refused_at_fit_and_partial_fit(name):
    # gdlab's rule for every classifier: at least 2 classes (scikit-learn's discrete naive
    # Bayes accept one and then predict it for every row); the message names the class
    model, data = CASES[name]
    X, y = data()
    with pytest.raises(ValueError, match=r"at least 2 classes.*only 1 class: \[7\]"):
        model().fit(X, np.full(len(y), 7))
    clf = model()
    with pytest.raises(ValueError, match=r"at least 2 classes, got \[7\]"):
        clf.partial_fit(X, np.full(len(y), 7), classes=[7])
    assert not hasattr(clf, "classes_")
    # a batch of one class is fine once every class is declared (the smoothed kinds can
    # predict at once; Gaussian columns wait for the other classes' rows)
    clf.partial_fit(X[y == 0], y[y == 0], classes=np.unique(y))
    np.testing.assert_array_equal(clf.class_count_, [np.sum(y == 0), 0, 0])
    if name in ("bernoulli", "multinomial", "categorical"):
        assert clf.predict(X[:3]).tolist() == [0, 0, 0]


# -- ComplementNB (Rennie et al. 2003), as scikit-learn's ---------------------------------
@pytest.mark.parametrize("kwargs", [{}, {"norm": True}, {"alpha": 0.3},
                                    {"alpha": np.array([0.1, 1.0, 2.0, 0.5, 3.0, 1.5])},
                                    {"fit_prior": False}, {"class_prior": [0.6, 0.3, 0.1]}])
def test_complement_matches_sklearn(kwargs):
    X, y = count_data()
    y = np.where(y == 2, np.where(np.arange(len(y)) % 4 == 0, 2, 0), y)  # unbalanced classes
    w = np.random.default_rng(4).uniform(0.5, 2.0, len(y))
    ours = ComplementNB(**kwargs).fit(X, y, sample_weight=w)
    theirs = sk.ComplementNB(**kwargs).fit(X, y, sample_weight=w)
    for name in ("feature_count_", "feature_all_", "class_count_", "feature_log_prob_",
                 "class_log_prior_"):
        # weighted counts reach ~2e3, where one ulp is 4.5e-13: a summation order of
        # another BLAS/numpy build moves them by a few ulps, hence the relative part
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), rtol=1e-13,
                                   atol=1e-12, err_msg=name)
    for method in ("predict_joint_log_proba", "predict_log_proba", "predict_proba"):
        np.testing.assert_allclose(getattr(ours, method)(X), getattr(theirs, method)(X),
                                   rtol=0, atol=1e-12, err_msg=method)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    chunked = ComplementNB(**kwargs)
    for part in np.array_split(np.arange(len(y)), 4):
        chunked.partial_fit(X[part], y[part], classes=[0, 1, 2], sample_weight=w[part])
    np.testing.assert_allclose(chunked.feature_log_prob_, ours.feature_log_prob_, rtol=0,
                               atol=1e-12)


@pytest.mark.parametrize("fmt", ["dense", "csr"])
def test_complement_integer_sample_weight_equals_repeating_rows(fmt):
    # ComplementNB refuses NaN, so CASES' repeated-rows test (with NaN) leaves it out
    X, y = count_data(n=300)
    w = np.random.default_rng(3).integers(0, 4, len(y))  # 0: the row is left out
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    if fmt == "csr":
        X, Xr = sp.csr_matrix(X), sp.csr_matrix(Xr)
    weighted = ComplementNB(norm=True).fit(X, y, sample_weight=w)
    repeated = ComplementNB(norm=True).fit(Xr, yr)
    chunked = ComplementNB(norm=True)
    for part in np.array_split(np.arange(len(y)), 3):
        chunked.partial_fit(X[part], y[part], classes=[0, 1, 2], sample_weight=w[part])
    Xt = count_data(seed=5)[0]
    for other in (repeated, chunked):
        for name in ("class_count_", "feature_count_", "feature_all_"):
            np.testing.assert_allclose(getattr(weighted, name), getattr(other, name), rtol=0,
                                       atol=1e-9, err_msg=name)
        np.testing.assert_allclose(weighted.feature_log_prob_, other.feature_log_prob_,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(weighted.predict_log_proba(Xt), other.predict_log_proba(Xt),
                                   rtol=0, atol=1e-9)


def test_complement_is_not_tagged_a_density_and_has_no_density_methods():
    from gdlab.capability_tags import capabilities

    X, y = count_data()
    clf = ComplementNB().fit(X, y)
    assert capabilities(clf) == {"classify", "partial_fit"}
    for method in ("score_samples", "sample", "impute"):
        assert not hasattr(clf, method)
    with pytest.raises(AttributeError, match="score_samples"):
        clf.score_samples(X)
    # its scores carry no class prior: a prior changes nothing (scikit-learn's rule)
    skewed = ComplementNB(class_prior=[0.98, 0.01, 0.01]).fit(X, y)
    np.testing.assert_array_equal(skewed.predict_joint_log_proba(X), clf.log_joint(X))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)).sum(axis=1), 1.0, atol=1e-12)


def test_complement_bad_input():
    X, y = count_data()
    with pytest.raises(ValueError, match="NaN"):
        ComplementNB().fit(with_nan(X), y)
    clf = ComplementNB().fit(X, y)
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(with_nan(X))
    with pytest.raises(ValueError, match=r"Negative values .*ComplementNB.*: got -1\.0 at row 0"):
        clf.predict(np.vstack([-np.ones(6), X[:2]]))
    with pytest.raises(TypeError, match="norm must be a bool"):
        ComplementNB(norm="yes").fit(X, y)
    with pytest.raises(ValueError, match="alpha has 2 values, but X has 6 features"):
        ComplementNB(alpha=[1.0, 2.0]).fit(X, y)


def test_complement_counts_whose_sums_overflow_are_named():
    X, y = count_data()
    X[:2, 3] = 1e308  # summed over rows: inf
    y[:2] = 0
    with pytest.raises(ValueError, match=r"non-finite fitted complement weight .*class"):
        ComplementNB().fit(X, y)
    X[:2, 3] = 1e300  # large but summable: alpha is kept beside it, weights stay finite
    clf = ComplementNB().fit(X, y)
    assert np.isfinite(clf.feature_log_prob_).all()
    assert np.isfinite(clf.predict_log_proba(X)).all()


def test_complement_passes_sklearn_estimator_checks():
    from sklearn.utils.estimator_checks import check_estimator

    failed = check_estimator(ComplementNB(), on_fail=None)
    assert len(failed) > 30  # the checks ran
    assert [r for r in failed if r["status"] == "failed"] == []


# -- examples/sklearn_nb_dropin.py: a scikit-learn script with only its import changed -------
DROPIN = pathlib.Path(__file__).resolve().parents[2] / "examples" / "sklearn_nb_dropin.py"
GDLAB_IMPORT = "from gdlab.models.naive_bayes import ("


def _run_dropin(on_sklearn):
    source = DROPIN.read_text()
    assert source.count(GDLAB_IMPORT) == 1 and "import (" not in source.replace(GDLAB_IMPORT, "")
    if on_sklearn:
        source = source.replace(GDLAB_IMPORT, "from sklearn.naive_bayes import (")
    namespace = {"__name__": "sklearn_nb_dropin"}
    exec(compile(source, str(DROPIN), "exec"), namespace)
    return namespace["results"]


def test_sklearn_dropin_example_runs_unchanged_and_agrees_with_sklearn(capsys):
    ours, ref = _run_dropin(False), _run_dropin(True)
    assert ours.keys() == ref.keys()
    assert "MultinomialNB on digits" in capsys.readouterr().out
    # GaussianNB.partial_fit takes epsilon_ from all data seen (scikit-learn: the first batch)
    np.testing.assert_allclose(ours["streamed_proba"], ref["streamed_proba"], rtol=0, atol=1e-7)
    for key in ("gaussian_proba", "multinomial_proba", "complement_proba",
                "bernoulli_proba", "multinomial_feature_log_prob", "complement_feature_log_prob",
                "multinomial_class_log_prior", "complement_class_log_prior",
                "multinomial_feature_count", "gaussian_theta", "weighted_theta", "cv_scores",
                "text_multinomial_proba", "text_complement_proba", "text_bernoulli_proba"):
        np.testing.assert_allclose(ours[key], ref[key], rtol=0, atol=1e-10, err_msg=key)
    np.testing.assert_allclose(ours["gaussian_var"], ref["gaussian_var"], rtol=1e-10, atol=1e-12)
    # the Gaussian joint: the same log p(x, y) (scikit-learn's is the same density)
    np.testing.assert_allclose(ours["gaussian_joint"], ref["gaussian_joint"], rtol=1e-12,
                               atol=1e-9)
    for key in ("gaussian_accuracy", "multinomial_accuracy", "complement_accuracy",
                "bernoulli_accuracy", "best_alpha", "text_multinomial_accuracy",
                "text_complement_accuracy"):
        assert ours[key] == ref[key], key
    # CategoricalNB's default keeps gdlab's "unseen" bucket (unseen="error" is scikit-learn's
    # rule): the same predictions here, probabilities a little flatter
    np.testing.assert_array_equal(ours["categorical_predict"], ref["categorical_predict"])
    np.testing.assert_allclose(ours["categorical_proba"], ref["categorical_proba"], rtol=0,
                               atol=0.05)



# -- sparse counts: MultinomialNB, BernoulliNB, ComplementNB ------------------------------------
def sparse_counts(n=400, d=300, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rates = rng.gamma(0.3, 1.0, (k, d))
    return sp.csr_matrix(rng.poisson(rates[y]).astype(float)), y


SPARSE_CASES = [
    (MultinomialNB(alpha=0.5), sk.MultinomialNB(alpha=0.5)),
    (ComplementNB(norm=True), sk.ComplementNB(norm=True)),
    (BernoulliNB(binarize=1.0), sk.BernoulliNB(binarize=1.0)),
    (BernoulliNB(binarize=None), sk.BernoulliNB(binarize=None)),
]


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("ours, theirs", SPARSE_CASES)
def test_sparse_input_matches_sklearn_and_dense(ours, theirs, fmt):
    X, y = sparse_counts()
    if ours.binarize is None if isinstance(ours, BernoulliNB) else False:
        X = X.sign()
    Xs = X.asformat(fmt)
    before = Xs.copy()
    w = np.random.default_rng(5).uniform(0.5, 2.0, len(y))
    ours = clone(ours).fit(Xs, y, sample_weight=w)
    theirs = clone(theirs).fit(Xs, y, sample_weight=w)
    dense = clone(ours).fit(X.toarray(), y, sample_weight=w)
    np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(ours.feature_count_, theirs.feature_count_, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.predict_proba(Xs), theirs.predict_proba(Xs), rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(ours.predict(Xs), theirs.predict(Xs))
    # sparse zeros are observed zeros: the same model and scores as the dense array
    np.testing.assert_allclose(ours.feature_log_prob_, dense.feature_log_prob_, rtol=0,
                               atol=1e-12)
    np.testing.assert_allclose(ours.log_joint(Xs), dense.log_joint(X.toarray()), rtol=0,
                               atol=1e-9)
    # the caller's matrix is left as it came (binarizing or summing works on copies)
    assert Xs.format == fmt and (Xs != before).nnz == 0


@pytest.mark.parametrize("ours, theirs", SPARSE_CASES[:3])
def test_sparse_partial_fit_on_chunks_equals_fit(ours, theirs):
    X, y = sparse_counts()
    full = clone(ours).fit(X, y)
    chunked = clone(ours)
    for part in np.array_split(np.arange(len(y)), 5):
        chunked.partial_fit(X[part], y[part], classes=[0, 1, 2])
    np.testing.assert_allclose(chunked.feature_log_prob_, full.feature_log_prob_, rtol=0,
                               atol=1e-12)
    # sparse and dense chunks mix
    mixed = clone(ours).partial_fit(X[:200].toarray(), y[:200], classes=[0, 1, 2])
    mixed.partial_fit(X[200:], y[200:])
    np.testing.assert_allclose(mixed.feature_log_prob_, full.feature_log_prob_, rtol=0,
                               atol=1e-12)


def test_multinomial_sparse_score_samples_equals_dense():
    X, y = sparse_counts()
    clf = MultinomialNB().fit(X, y)
    np.testing.assert_allclose(clf.score_samples(X), clf.score_samples(X.toarray()), rtol=0,
                               atol=1e-9)


def test_sparse_bad_input():
    X, y = sparse_counts()
    bad = X.copy().tolil()
    bad[3, 7] = -2.0
    bad[5, 0] = -9.0  # first in CSC order; the message names the first in row order
    named = r"Negative values .*{}.*: got -2\.0 at row 3, column 7\."
    with pytest.raises(ValueError, match=named.format("MultinomialNB")):
        MultinomialNB().fit(bad.tocsr(), y)
    with pytest.raises(ValueError, match=named.format("ComplementNB")):
        ComplementNB().fit(X, y).predict(bad.tocsc())
    nan = X.copy()
    nan.data[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        MultinomialNB().fit(nan, y)
    with pytest.raises(ValueError, match=r"binarize=-0.5 < 0"):
        BernoulliNB(binarize=-0.5).fit(X, y)
    with pytest.raises(ValueError, match="binary values 0/1"):
        BernoulliNB(binarize=None).fit(X, y)
    with pytest.raises(ValueError, match="X has 299 features, but MultinomialNB is expecting 300"):
        MultinomialNB().fit(X, y).predict(X[:, :-1])
    with pytest.raises(TypeError, match="sparse X has no missing entries"):
        MultinomialNB().fit(X, y).impute(X)
