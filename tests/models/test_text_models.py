"""NB-SVM and the bag-of-n-grams text pipelines."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.svm import LinearSVC
from sklearn.utils.estimator_checks import parametrize_with_checks

import gdlab
from gdlab.models.text import (
    NBSVM,
    TextColumn,
    ngram_linear_svm,
    ngram_logreg,
    ngram_multinomial_nb,
    ngram_nbsvm,
)

POS = ["a great film", "great acting and a good story", "good fun", "loved it, great",
       "wonderful and good", "a good watch", "great great film", "good story, good cast"]
NEG = ["a bad film", "awful acting and a dull story", "boring", "hated it, awful",
       "terrible and bad", "a bad watch", "awful awful film", "dull story, bad cast"]
TEXTS = POS + NEG
LABELS = np.array(["pos"] * len(POS) + ["neg"] * len(NEG))


def count_data(n=120, d=30, k=2, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    rates = rng.uniform(0.0, 1.0, (k, d)) ** 3
    return rng.poisson(rates[y] * 2).astype(float), y


# -- NBSVM -------------------------------------------------------------------
def test_nbsvm_log_count_ratio_and_interpolation_by_hand():
    X, y = count_data()
    clf = NBSVM(alpha=0.5, beta=0.25, C=0.7).fit(X, y)
    Xb = (X > 0).astype(float)
    p = 0.5 + Xb[y == 1].sum(axis=0)
    q = 0.5 + Xb[y == 0].sum(axis=0)
    r = np.log(p / p.sum()) - np.log(q / q.sum())
    np.testing.assert_allclose(clf.r_[0], r)
    svm = LinearSVC(C=0.7, max_iter=10_000, random_state=0).fit(Xb * r, y)
    w = svm.coef_.ravel()
    np.testing.assert_allclose(clf.coef_[0], r * (0.75 * np.abs(w).mean() + 0.25 * w),
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(clf.decision_function(X), Xb @ clf.coef_[0] + clf.intercept_[0])
    assert clf.predict(X).tolist() == clf.classes_[(clf.decision_function(X) > 0) * 1].tolist()


def test_nbsvm_beta_one_is_svm_on_scaled_features():
    X, y = count_data(seed=1)
    clf = NBSVM(beta=1.0).fit(X, y)
    Xb = (X > 0).astype(float)
    svm = LinearSVC(max_iter=10_000, random_state=0).fit(Xb * clf.r_[0], y)
    np.testing.assert_allclose(clf.decision_function(X), svm.decision_function(Xb * clf.r_[0]),
                               rtol=1e-6, atol=1e-8)


def test_nbsvm_sparse_equals_dense_and_multiclass_is_one_vs_rest():
    X, y = count_data(k=3, seed=2)
    dense = NBSVM(base="logreg").fit(X, y)
    sparse = NBSVM(base="logreg").fit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, rtol=1e-6, atol=1e-9)
    scores = dense.decision_function(X)
    assert scores.shape == (X.shape[0], 3) and dense.coef_.shape == (3, X.shape[1])
    np.testing.assert_array_equal(dense.predict(X), dense.classes_[scores.argmax(axis=1)])
    assert np.mean(dense.predict(X) == y) > 0.8


def test_nbsvm_unbinarized_uses_counts():
    X, y = count_data(seed=3)
    a = NBSVM(binarize=False).fit(X, y)
    p = 1.0 + X[y == 1].sum(axis=0)
    q = 1.0 + X[y == 0].sum(axis=0)
    np.testing.assert_allclose(a.r_[0], np.log(p / p.sum()) - np.log(q / q.sum()))


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"alpha": 0.0}, ValueError, "alpha"),
        ({"beta": 1.5}, ValueError, "beta"),
        ({"C": -1.0}, ValueError, "C"),
        ({"base": "tree"}, ValueError, "base"),
        ({"binarize": "yes"}, TypeError, "binarize"),
        ({"max_iter": 0}, ValueError, "max_iter"),
    ],
)
def test_nbsvm_bad_hyper_parameters(params, error, match):
    X, y = count_data()
    with pytest.raises(error, match=match):
        NBSVM(**params).fit(X, y)


def test_nbsvm_bad_data():
    X, y = count_data()
    with pytest.raises(ValueError, match="at least 2 classes"):
        NBSVM().fit(X, np.zeros_like(y))
    bad = X.copy()
    bad[3, 4] = -1.0
    bad[5, 0] = -7.0  # the first negative entry in row order is named, a plain float
    for matrix in (bad, sp.csr_matrix(bad), sp.csc_matrix(bad)):
        with pytest.raises(ValueError, match=r"Negative values.*: got -1\.0 at row 3, column 4\."):
            NBSVM().fit(matrix, y)
    clf = NBSVM().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :5])


@parametrize_with_checks(
    [NBSVM(binarize=False, beta=1.0), NBSVM(), NBSVM(base="logreg")],
    expected_failed_checks=lambda est: {} if not est.binarize or est.beta == 1.0 else {
        "check_classifiers_train": "binarized features 1{x > 0} of shifted Gaussian blobs are "
        "all ones (no information), and beta < 1 pulls weights to their mean: NB-SVM is for "
        "sparse counts",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- pipelines over raw text -----------------------------------------------------
FACTORIES = [ngram_multinomial_nb, ngram_logreg, ngram_linear_svm, ngram_nbsvm]


@pytest.mark.parametrize("factory", FACTORIES)
def test_pipelines_take_lists_frames_and_object_arrays(factory):
    model = factory()
    a = model.fit(TEXTS, LABELS).predict_proba(TEXTS)
    frame = pd.DataFrame({"text": pd.Series(TEXTS, dtype="string")})
    b = clone(model).fit(frame, LABELS).predict_proba(frame)
    c = clone(model).fit(np.asarray(TEXTS, dtype=object), LABELS).predict_proba(
        np.asarray(TEXTS, dtype=object))
    np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(a, c)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert model.predict(["a great story", "awful and boring"]).tolist() == ["pos", "neg"]


@pytest.mark.parametrize("factory", FACTORIES)
def test_pipelines_save_load_and_set_params(tmp_path, factory):
    model = factory().fit(TEXTS, LABELS)
    back = gdlab.load(gdlab.save(model, tmp_path / "m.gdlab"))
    np.testing.assert_array_equal(back.predict_proba(TEXTS), model.predict_proba(TEXTS))
    assert [name for name, _ in model.steps] == ["text", "vectorize", "clf"]
    model.set_params(vectorize__ngram_range=(1, 1))
    assert clone(model).get_params()["vectorize__ngram_range"] == (1, 1)


def test_uncalibrated_svm_and_nbsvm_have_margins():
    for factory in (ngram_linear_svm, ngram_nbsvm):
        model = factory(calibrated=False).fit(TEXTS, LABELS)
        assert not hasattr(model, "predict_proba")
        assert model.decision_function(["great"]).shape == (1,)


def test_char_ngrams_and_one_letter_words():
    vec = ngram_logreg(analyzer="char_wb", ngram_range=(1, 3)).fit(TEXTS, LABELS)
    assert "gr" in vec.named_steps["vectorize"].vocabulary_
    words = ngram_logreg().fit(TEXTS, LABELS).named_steps["vectorize"].vocabulary_
    assert "a" in words and "a good" in words


def test_text_column_and_factory_errors():
    with pytest.raises(TypeError, match="item 1 is int"):
        ngram_logreg().fit(["good", 5], [0, 1])
    with pytest.raises(TypeError, match="single str"):
        TextColumn().fit_transform("good")
    with pytest.raises(ValueError, match="one text column"):
        TextColumn().fit_transform(pd.DataFrame({"a": ["x"], "b": ["y"]}))
    with pytest.raises(ValueError, match="ngram_range"):
        ngram_logreg(ngram_range=(2, 1))
    with pytest.raises(ValueError, match="analyzer"):
        ngram_nbsvm(analyzer="bytes")
    with pytest.raises(ValueError, match="C"):
        ngram_linear_svm(C=0)
    with pytest.raises(ValueError, match="empty string"):
        TextColumn(allow_empty=False).fit_transform(["a", ""])


# -- sparse all the way: no step makes the counts dense ----------------------------
def test_ngram_multinomial_nb_is_gdlab_sparse_nb_equal_to_scikit_learn():
    from sklearn.naive_bayes import MultinomialNB as SklearnMultinomialNB

    from gdlab.models import MultinomialNB

    model = ngram_multinomial_nb().fit(TEXTS, LABELS)
    clf = model.named_steps["clf"]
    assert isinstance(clf, MultinomialNB)
    counts = model[:-1].transform(TEXTS)
    assert sp.issparse(counts)
    reference = SklearnMultinomialNB().fit(counts, LABELS)
    np.testing.assert_allclose(model.predict_proba(TEXTS), reference.predict_proba(counts),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(clf.feature_log_prob_, reference.feature_log_prob_,
                               rtol=0, atol=1e-12)
    # the generative side comes with it: log p(x) of each text's counts
    scores = model.score_samples(["a great film", "awful"])
    assert scores.shape == (2,) and np.isfinite(scores).all() and (scores <= 0).all()
    with pytest.raises(ValueError, match=r"at least 2 classes.*only 1 class"):
        ngram_multinomial_nb().fit(TEXTS, ["pos"] * len(TEXTS))


def _wide_sparse_counts(n_rows=2000, n_features=2**18, per_row=15, seed=0):
    """Counts on 2**18 hashed features, about 20,000 non-zeros; dense they would take 4 GB."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n_rows)
    cols = (rng.zipf(1.3, (n_rows, per_row)) * 7919 + 104729 * y[:, None]) % n_features
    rows = np.repeat(np.arange(n_rows), per_row)
    X = sp.csr_matrix((np.ones(rows.size), (rows, cols.ravel())), shape=(n_rows, n_features))
    return X, y


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("name", ["nbsvm", "multinomial-nb", "complement-nb", "bernoulli-nb"])
def test_wide_sparse_fit_and_predict_stay_proportional_to_the_non_zeros(name, fmt):
    import tracemalloc

    from gdlab.models import BernoulliNB, ComplementNB, MultinomialNB

    X, y = _wide_sparse_counts()
    X = X.asformat(fmt)
    model = {"nbsvm": NBSVM(base="logreg"), "multinomial-nb": MultinomialNB(),
             "complement-nb": ComplementNB(), "bernoulli-nb": BernoulliNB()}[name]
    tracemalloc.start()
    try:
        model.fit(X, y)
        out = model.decision_function(X) if name == "nbsvm" else model.predict_proba(X)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert out.shape == (X.shape[0], 3)
    # per-feature vectors (3 classes x 2**18 float64 = 6.3 MB each) are the floor; one dense
    # copy of X would be 4.2 GB: 150 MB leaves room for several of the former, none of the latter
    assert peak < 150e6, peak
    dense_rows = X[:200].toarray()  # a dense slice gives the same answer
    if name == "nbsvm":
        np.testing.assert_allclose(model.decision_function(dense_rows), out[:200],
                                   rtol=0, atol=1e-10)
    else:
        np.testing.assert_allclose(model.predict_proba(dense_rows), out[:200], rtol=0, atol=1e-12)
