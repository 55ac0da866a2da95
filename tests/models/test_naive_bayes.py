"""Behaviour of the naive Bayes family that users rely on."""

from itertools import product

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp
from sklearn import naive_bayes as sk
from sklearn.datasets import make_classification

from gdlab.models.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
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
    np.testing.assert_allclose(ours.theta_, theirs.theta_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, theirs.var_, rtol=1e-10)
    np.testing.assert_allclose(ours.epsilon_, theirs.epsilon_, rtol=1e-10)


def test_categorical_matches_sklearn_with_unseen_bucket():
    X, y = code_data()
    ours = CategoricalNB(alpha=0.7).fit(X, y)
    theirs = sk.CategoricalNB(alpha=0.7, min_categories=ours.n_categories_ + 1).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-10)
    for a, b in zip(ours.feature_log_prob_, theirs.feature_log_prob_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


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
        np.testing.assert_allclose(clf.theta_[k], np.nanmean(Xn[y == k], axis=0), rtol=1e-12)
        np.testing.assert_allclose(clf.var_[k], np.nanvar(Xn[y == k], axis=0), rtol=1e-10)
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
    np.testing.assert_allclose(proba, np.tile(clf.class_prior_, (3, 1)), rtol=1e-12)


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
        np.testing.assert_allclose(chunked.theta_, whole.theta_, rtol=1e-12)
        np.testing.assert_allclose(chunked.var_, whole.var_, rtol=1e-10)
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
    np.testing.assert_allclose(clf.predict_proba(df), whole.predict_proba(df), rtol=1e-9)


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
    np.testing.assert_allclose(filled[:, 0], expected, rtol=1e-12)
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
    with pytest.raises(ValueError, match=r"Negative values.*-1.0.*row 3, column 2"):
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
        MixedNB().fit(df.assign(visits=-df["visits"] - 1), y)
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
