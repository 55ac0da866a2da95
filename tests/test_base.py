"""The contract itself: capabilities, the mixin's sampling/label logic, ClassConditional."""

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import norm
from sklearn.base import BaseEstimator, clone
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.neighbors import KernelDensity

from gdlab.base import ClassConditional, DensityMixin
from gdlab.bayes import log_class_prior
from gdlab.capability_tags import CAPABILITIES, capabilities


class Normal1D(DensityMixin, BaseEstimator):
    """A deliberately tiny density written against DensityMixin, to test the contract alone."""

    _gdlab_capabilities = frozenset({"density", "sample", "missing_features", "partial_fit"})

    def fit(self, X):
        self.n_ = 0
        self.sum_ = np.zeros(np.shape(X)[1])
        self.sumsq_ = np.zeros(np.shape(X)[1])
        return self.partial_fit(X)

    def partial_fit(self, X):
        from gdlab._validation import check_X

        first = not hasattr(self, "n_features_in_")
        X = check_X(self, X, reset=first, allow_nan=True)
        if first:
            self.n_, self.sum_, self.sumsq_ = 0, np.zeros(X.shape[1]), np.zeros(X.shape[1])
        self.n_ += X.shape[0]
        self.sum_ += np.nansum(X, axis=0)
        self.sumsq_ += np.nansum(X**2, axis=0)
        self.mean_ = self.sum_ / self.n_
        self.std_ = np.sqrt(self.sumsq_ / self.n_ - self.mean_**2)
        return self

    def _log_density(self, X):
        return np.nansum(norm.logpdf(X, self.mean_, self.std_), axis=1)

    def _conditional_mean(self, X):
        return np.broadcast_to(self.mean_, X.shape).copy()

    def _draw(self, X, rng):
        return np.where(np.isnan(X), rng.normal(self.mean_, self.std_, size=X.shape), X)


@pytest.fixture
def two_blobs():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(-2, 1, (150, 2)), rng.normal(2, 1, (50, 2))])
    y = np.array(["a"] * 150 + ["b"] * 50)
    return X, y


def test_capability_names_are_the_documented_ones():
    assert set(CAPABILITIES) == {
        "classify", "density", "density_bound", "unnormalized_density", "sample",
        "conditional_sample", "missing_features", "sequences", "text", "partial_fit",
        "semi_supervised", "blend",
    }


def test_capabilities_of_sklearn_estimators_are_read_from_their_api():
    assert capabilities(LogisticRegression()) == {"classify"}
    assert capabilities(HistGradientBoostingClassifier()) == {"classify", "missing_features"}
    with pytest.raises(TypeError, match="instance"):
        capabilities(LogisticRegression)


def test_class_conditional_capabilities_follow_the_density():
    assert "missing_features" in ClassConditional(Normal1D()).capabilities
    assert "partial_fit" in ClassConditional(Normal1D()).capabilities
    kde = ClassConditional(KernelDensity())
    assert "missing_features" not in kde.capabilities
    assert {"classify", "density", "sample", "conditional_sample"} <= kde.capabilities
    assert "partial_fit" not in kde.capabilities


def test_class_conditional_is_bayes_rule_over_class_densities(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    a = Normal1D().fit(X[y == "a"])
    b = Normal1D().fit(X[y == "b"])
    expected = np.column_stack(
        [np.log(0.75) + a.score_samples(X), np.log(0.25) + b.score_samples(X)]
    )
    np.testing.assert_allclose(clf.log_joint(X), expected, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(clf.score_samples(X), logsumexp(expected, axis=1), atol=1e-12)
    np.testing.assert_allclose(
        clf.predict_proba(X), np.exp(expected - logsumexp(expected, axis=1, keepdims=True)),
        atol=1e-12,
    )


def test_class_conditional_with_sklearn_kde_and_gmm(two_blobs):
    X, y = two_blobs
    for density in (KernelDensity(bandwidth=0.5), GaussianMixture(2, random_state=0)):
        clf = ClassConditional(density).fit(X, y)
        assert clf.score(X, y) > 0.95
        Xs, ys = clf.sample(40, y="b", random_state=1)
        assert Xs.shape == (40, 2) and set(ys) == {"b"}
        assert Xs.mean() > 0.5  # class "b" is centred at +2
    with pytest.raises(ValueError, match="NaN"):
        ClassConditional(KernelDensity()).fit(np.where(X > 3, np.nan, X), y)


def test_priors_override_and_are_validated(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D(), priors=[0.5, 0.5]).fit(X, y)
    np.testing.assert_allclose(clf.class_prior_, [0.5, 0.5])
    np.testing.assert_allclose(clf.predict_proba(np.full((1, 2), np.nan)), [[0.5, 0.5]])
    with pytest.raises(ValueError, match="sum to 1"):
        ClassConditional(Normal1D(), priors=[0.5, 0.6]).fit(X, y)
    with pytest.raises(ValueError, match="shape"):
        ClassConditional(Normal1D(), priors=[1.0]).fit(X, y)


def test_bad_priors_raise_before_the_fitted_state_changes(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    count, prior, densities = clf.class_count_, clf.class_prior_, clf.densities_
    with pytest.raises(ValueError, match="sum to 1"):
        clf.set_params(priors=[0.5, 0.6]).fit(X[::2], y[::2])
    assert clf.class_count_ is count and clf.class_prior_ is prior
    assert clf.densities_ is densities


def test_the_mixin_owns_the_prior_and_adds_its_log_once(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    np.testing.assert_array_equal(clf.class_count_, [150.0, 50.0])
    assert clf.class_count_.dtype == np.float64
    np.testing.assert_allclose(clf.class_prior_, [0.75, 0.25], rtol=0, atol=1e-15)
    # log p(x, y=k) is the class-conditional log-likelihood plus the log prior
    per_class = np.column_stack([d.score_samples(X) for d in clf.densities_])
    np.testing.assert_allclose(clf.log_joint(X), per_class + np.log([0.75, 0.25]),
                               rtol=0, atol=1e-12)
    # fit_prior=False (naive Bayes' option) gives the uniform prior whatever the counts
    clf._set_class_prior([3, 1], fit_prior=False)
    np.testing.assert_array_equal(clf.class_prior_, [0.5, 0.5])
    np.testing.assert_array_equal(clf.class_count_, [3.0, 1.0])
    # a class of prior zero is never predicted, with no warning
    clf._set_class_prior([150, 50], [1.0, 0.0])
    with np.errstate(all="raise"):
        assert (clf.predict(X) == "a").all()
        assert np.isneginf(clf.log_joint(X)[:, 1]).all()


def test_from_densities_is_the_fitted_model_with_known_densities(two_blobs):
    X, y = two_blobs
    fitted = ClassConditional(Normal1D()).fit(X, y)
    known = ClassConditional.from_densities(fitted.densities_, ["a", "b"], [150, 50])
    np.testing.assert_array_equal(known.class_count_, fitted.class_count_)
    np.testing.assert_array_equal(known.class_prior_, fitted.class_prior_)
    np.testing.assert_array_equal(known.log_joint(X), fitted.log_joint(X))
    np.testing.assert_array_equal(known.predict(X), fitted.predict(X))
    assert known.n_features_in_ == 2
    tilted = ClassConditional.from_densities(fitted.densities_, ["a", "b"], [150, 50],
                                             priors=[0.5, 0.5])
    np.testing.assert_allclose(tilted.predict_proba(np.full((1, 2), np.nan)), [[0.5, 0.5]])
    with pytest.raises(ValueError, match="sorted distinct"):
        ClassConditional.from_densities(fitted.densities_, ["b", "a"], [150, 50])
    with pytest.raises(ValueError, match="one density and one count per class"):
        ClassConditional.from_densities(fitted.densities_[:1], ["a", "b"], [150, 50])
    with pytest.raises(ValueError, match="positive"):
        ClassConditional.from_densities(fitted.densities_, ["a", "b"], [150, 0])
    with pytest.raises(ValueError, match="sum to 1"):
        ClassConditional.from_densities(fitted.densities_, ["a", "b"], [1, 1], priors=[1, 1])


def test_log_class_prior_is_minus_infinity_for_a_zero_prior_without_warning():
    with np.errstate(all="raise"):
        out = log_class_prior([0.25, 0.75, 0.0])
    np.testing.assert_array_equal(out, [np.log(0.25), np.log(0.75), -np.inf])
    assert out.dtype == np.float64


def test_all_missing_row_gives_the_prior(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(np.full((3, 2), np.nan)), [[0.75, 0.25]] * 3)


def test_partial_fit_equals_fit(two_blobs):
    X, y = two_blobs
    order = np.random.RandomState(1).permutation(len(y))
    X, y = X[order], y[order]
    full = ClassConditional(Normal1D()).fit(X, y)
    inc = ClassConditional(Normal1D())
    for chunk in np.array_split(np.arange(len(y)), 5):
        inc.partial_fit(X[chunk], y[chunk], classes=["a", "b"])
    np.testing.assert_allclose(inc.predict_proba(X), full.predict_proba(X), atol=1e-12)
    np.testing.assert_allclose(inc.class_prior_, full.class_prior_)
    with pytest.raises(ValueError, match="not in classes"):
        inc.partial_fit(X[:2], ["a", "z"])
    with pytest.raises(ValueError, match="classes must be given"):
        ClassConditional(Normal1D()).partial_fit(X, y)
    assert not hasattr(ClassConditional(KernelDensity()), "partial_fit")


def test_sample_labels_prior_and_seed(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    Xs, ys = clf.sample(4000, random_state=0)
    assert Xs.shape == (4000, 2)
    assert abs(np.mean(ys == "a") - 0.75) < 0.03
    X1, _ = clf.sample(5, random_state=3)
    X2, _ = clf.sample(5, random_state=3)
    X3, _ = clf.sample(5, random_state=4)
    np.testing.assert_array_equal(X1, X2)
    assert not np.allclose(X1, X3)
    Xb, yb = clf.sample(y=["a", "b", "b"], random_state=0)
    assert Xb.shape == (3, 2) and yb.tolist() == ["a", "b", "b"]


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"n_samples": 0}, ValueError, "positive"),
        ({"n_samples": 2.5}, TypeError, "positive int"),
        ({"y": "zebra"}, ValueError, "not seen in fit"),
        ({"n_samples": 2, "y": ["a", "b", "a"]}, ValueError, "3 labels"),
        ({"y": [["a"]]}, ValueError, "1-D"),
    ],
)
def test_sample_bad_arguments(two_blobs, kwargs, err, match):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    with pytest.raises(err, match=match):
        clf.sample(**kwargs)


def test_impute_mean_is_posterior_weighted_and_keeps_observed(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(Normal1D()).fit(X, y)
    Xq = np.array([[-2.0, np.nan], [2.5, np.nan], [0.3, 0.7]])
    out = clf.impute(Xq)
    post = clf.predict_proba(Xq)
    means = np.stack([d.mean_ for d in clf.densities_])  # (K, d)
    np.testing.assert_allclose(out[:2, 1], (post @ means)[:2, 1], atol=1e-12)
    np.testing.assert_array_equal(out[:, 0], Xq[:, 0])
    np.testing.assert_array_equal(out[2], Xq[2])
    d1 = clf.impute(Xq, method="sample", random_state=0)
    d2 = clf.impute(Xq, method="sample", random_state=1)
    assert not np.isnan(d1).any() and d1[0, 1] != d2[0, 1]
    with pytest.raises(ValueError, match="method"):
        clf.impute(Xq, method="median")


def test_missing_density_and_bad_density():
    X = np.zeros((4, 2))
    with pytest.raises(TypeError, match="density=None"):
        ClassConditional().fit(X, [0, 0, 1, 1])
    with pytest.raises(TypeError, match="score_samples"):
        ClassConditional(LogisticRegression()).fit(X, [0, 0, 1, 1])


def test_class_density_is_the_unfitted_density_each_class_clones(two_blobs):
    X, y = two_blobs
    assert ClassConditional().class_density() is None
    density = Normal1D()
    clf = ClassConditional(density)
    assert clf.class_density() is density
    clf.fit(X, y)
    assert clf.class_density() is density and not hasattr(density, "n_features_in_")
    assert all(type(d) is Normal1D for d in clf.densities_)


def test_one_class_and_unfitted_errors(two_blobs):
    X, y = two_blobs
    with pytest.raises(ValueError, match="at least 2 classes"):
        ClassConditional(Normal1D()).fit(X, np.zeros(len(X)))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ClassConditional(Normal1D()).predict(X)
    clf = clone(ClassConditional(Normal1D())).fit(X, y)
    with pytest.raises(ValueError, match="3 features"):
        clf.predict(np.zeros((2, 3)))


def test_zero_probability_under_every_class_raises_instead_of_nan(two_blobs):
    X, y = two_blobs
    clf = ClassConditional(KernelDensity(kernel="tophat", bandwidth=0.5)).fit(X, y)
    far = np.array([[40.0, 40.0], [-2.0, -2.0]])
    assert np.isneginf(clf.score_samples(far)[0])  # log p(x) = -inf is an honest answer
    for method in (clf.predict, clf.predict_proba, clf.predict_log_proba):
        with pytest.raises(ValueError, match=r"rows \[0\] of X have zero probability"):
            method(far)
    np.testing.assert_allclose(clf.predict_proba(far[1:]).sum(), 1.0)


# -- ClassConditional over sequences and texts ---------------------------------------------

from sklearn.base import BaseEstimator as _BE  # noqa: E402

from gdlab._sequence_checks import check_sequences, check_texts  # noqa: E402
from gdlab.capability_tags import input_kind  # noqa: E402


class _IIDFrames(_BE):
    """Toy sequence density: frames i.i.d. N(mu, 1)."""

    _gdlab_capabilities = frozenset({"density", "sample", "sequences"})

    def _capabilities(self):
        return self._gdlab_capabilities

    def fit(self, X, lengths=None):
        seqs = check_sequences(self, X, lengths, allow_nan=False, reset=True)
        self.mu_ = np.concatenate(seqs).mean(axis=0)
        return self

    def score_samples(self, X, lengths=None):
        seqs = check_sequences(self, X, lengths, allow_nan=False, reset=False)
        return np.array([(-0.5 * (s - self.mu_) ** 2 - 0.5 * np.log(2 * np.pi)).sum()
                         for s in seqs])

    def sample(self, n, random_state=None, length=3):
        rng = np.random.RandomState(random_state) if not hasattr(random_state, "normal") \
            else random_state
        return [self.mu_ + rng.normal(size=(length, len(self.mu_))) for _ in range(n)]


class _Unigram(_BE):
    """Toy text density: characters i.i.d. with add-one smoothing over bytes, then a stop."""

    _gdlab_capabilities = frozenset({"density", "sample", "text"})

    def _capabilities(self):
        return self._gdlab_capabilities

    def fit(self, X):
        texts = check_texts(self, X)
        counts = np.ones(257)
        for t in texts:
            counts[:256] += np.bincount(np.frombuffer(t.encode("latin-1"), np.uint8),
                                        minlength=256)
            counts[256] += 1
        self.logp_ = np.log(counts / counts.sum())
        return self

    def score_samples(self, X):
        return np.array([self.logp_[np.frombuffer(t.encode("latin-1"), np.uint8)].sum()
                         + self.logp_[256] for t in check_texts(self, X)])

    def sample(self, n, random_state=None):
        rng = random_state
        p = np.exp(self.logp_[:256]) / np.exp(self.logp_[:256]).sum()
        return ["".join(chr(c) for c in rng.choice(256, size=3, p=p)) for _ in range(n)]


def _seq_data():
    rng = np.random.RandomState(0)
    seqs = [rng.normal(loc=2.0 * (i % 2), size=(3 + i % 4, 2)) for i in range(20)]
    return seqs, np.arange(20) % 2


def test_class_conditional_over_sequences_list_and_stacked_agree():
    from gdlab.data.sequences import stack_sequences

    seqs, y = _seq_data()
    clf = ClassConditional(_IIDFrames())
    assert input_kind(clf) == "sequence" and "sequences" in clf.capabilities
    a = clf.fit(seqs, y).predict_proba(seqs)
    X, lengths = stack_sequences(seqs)
    b = ClassConditional(_IIDFrames()).fit(X, y, lengths=lengths).predict_proba(seqs)
    np.testing.assert_allclose(a, b, atol=1e-12)
    np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-12)
    lj = clf.log_joint(seqs)
    expected = np.column_stack([d.score_samples(seqs) for d in clf.densities_]) + np.log(0.5)
    np.testing.assert_allclose(lj, expected, atol=1e-12)
    assert clf.score(seqs, y) >= 0.9
    draws, labels = clf.sample(4, y=1, random_state=0, length=5)
    assert len(draws) == 4 and all(d.shape == (5, 2) for d in draws) and (labels == 1).all()


def test_class_conditional_over_sequences_bad_input():
    seqs, y = _seq_data()
    clf = ClassConditional(_IIDFrames())
    with pytest.raises(ValueError, match="20 items.*19 labels"):
        clf.fit(seqs, y[:-1])
    with pytest.raises(ValueError, match="zero length"):
        clf.fit([*seqs[:-1], np.zeros((0, 2))], y)
    with pytest.raises(ValueError, match="lengths sum to"):
        clf.fit(np.zeros((10, 2)), [0, 1], lengths=[4, 5])
    with pytest.raises(TypeError, match="numeric frames"):
        clf.fit(["ab", "cd"], [0, 1])
    clf.fit(seqs, y)
    with pytest.raises(ValueError, match="3 features per frame"):
        clf.predict([np.zeros((2, 3))])
    with pytest.raises(TypeError, match="cannot impute"):
        ClassConditional(_IIDFrames()).fit(seqs, y).impute(seqs)


def test_class_conditional_over_texts_and_add_class():
    texts = ["aaab", "abaa", "aaaa", "xyzx", "zzxy", "yxzz"]
    y = np.array(["a", "a", "a", "x", "x", "x"])
    clf = ClassConditional(_Unigram()).fit(texts, y)
    assert input_kind(clf) == "text"
    assert clf.predict(["aab", "zzy"]).tolist() == ["a", "x"]
    before = clf.log_joint(texts) - np.log(clf.class_prior_)
    clf.add_class(["0101", "1100", "0011"], "d")
    assert clf.classes_.tolist() == ["a", "d", "x"]
    after = clf.log_joint(texts) - np.log(clf.class_prior_)
    # old classes' log p(x|y) unchanged
    np.testing.assert_allclose(after[:, [0, 2]], before, atol=1e-12)
    np.testing.assert_allclose(clf.class_prior_, [1 / 3, 1 / 3, 1 / 3])
    assert clf.predict(["0110"]).tolist() == ["d"]
    draws, labels = clf.sample(3, y="d", random_state=0)
    assert all(isinstance(t, str) for t in draws) and labels.tolist() == ["d"] * 3
    with pytest.raises(ValueError, match="already exists"):
        clf.add_class(["q"], "a")
    with pytest.raises(ValueError, match="prior must be"):
        clf.add_class(["q"], "q", prior=1.5)
    with pytest.raises(TypeError, match="expects str texts"):
        clf.predict([3, 4])
    with pytest.raises(ValueError, match="empty string"):
        clf.predict(["", "a"])
    with pytest.raises(TypeError, match="single str"):
        clf.predict("abc")


def test_add_class_with_a_given_prior_rescales_the_old_ones():
    texts = ["aaab", "abaa", "xyzx", "zzxy"]
    clf = ClassConditional(_Unigram()).fit(texts, [0, 0, 1, 1])
    clf.add_class(["0101"], 2, prior=0.2)
    np.testing.assert_allclose(clf.class_prior_, [0.4, 0.4, 0.2])


def test_text_pipelines_say_text_through_their_first_step():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    from gdlab.models.text import ngram_logreg

    assert "text" in capabilities(ngram_logreg()) and input_kind(ngram_logreg()) == "text"
    assert "text" in capabilities(make_pipeline(CountVectorizer(), LogisticRegression()))
    assert "text" not in capabilities(LogisticRegression())


# -- Bayes' rule stays a distribution at any scale ------------------------------------------


class _HugeJoint(ClassConditional):
    """Log-likelihoods near -2**50 (ulp 0.25) that differ by exactly 0, 1, 2 in the first
    rows, and tied at -1e34 in the last: x - logsumexp(x) rounds log(sum) to the ulp
    (rows summing to 0.91), and at -1e34 rounds log(3) away entirely (rows of 1, 1, 1).
    With a uniform prior every class gets the same log prior, so the joints keep those
    differences."""

    def _log_likelihood(self, X):
        lj = np.full((X.shape[0], 3), -(2.0**50)) + np.array([0.0, -1.0, -2.0])
        lj[-1] = -1e34
        return lj


def test_posterior_sums_to_one_when_log_joints_are_huge(two_blobs):
    from gdlab.bayes import log_normalize

    X, y = two_blobs
    y3 = np.where(np.arange(len(y)) % 3 == 0, "c", y)
    clf = _HugeJoint(Normal1D(), priors=[1 / 3] * 3).fit(X, y3)
    proba = clf.predict_proba(X[:4])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # the O(1) differences survive: p ∝ (1, e^-1, e^-2); a tie is uniform
    expected = np.exp([0.0, -1.0, -2.0]) / np.exp([0.0, -1.0, -2.0]).sum()
    np.testing.assert_allclose(proba[:3], np.tile(expected, (3, 1)), rtol=0, atol=1e-12)
    np.testing.assert_allclose(proba[3], 1 / 3, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X[:4])), proba, rtol=0, atol=1e-12)
    # the helper itself, along either axis
    lw = np.array([[-1e300, -1e300 - 1e285], [3.0, 3.0]])
    np.testing.assert_allclose(np.exp(log_normalize(lw)).sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.exp(log_normalize(lw, axis=0)).sum(axis=0), 1.0, rtol=0,
                               atol=1e-12)


def test_check_magnitude_names_the_column_and_ignores_nan():
    import pandas as pd

    from gdlab._validation import MAX_ABS_SQUARED, check_magnitude

    X = np.array([[1.0, np.nan], [2.0, -1e300]])
    with pytest.raises(ValueError, match=r"column 1 \('year'\) of X.*1e\+300"):
        check_magnitude("GaussianNB", X, feature_names=pd.Index(["a", "year"]))
    check_magnitude("GaussianNB", np.array([[MAX_ABS_SQUARED, np.nan]]))  # the limit passes
    with pytest.raises(ValueError, match="Normal1D cannot take y"):
        check_magnitude(Normal1D(), np.array([1.0, 1e200]), what="y")


def test_the_vocabulary_and_prior_helpers_keep_their_old_home():
    """The capability vocabulary moved to gdlab.capability_tags and the prior helpers to
    gdlab.bayes; gdlab.base still exports the same objects."""
    import gdlab
    import gdlab.base
    import gdlab.bayes
    import gdlab.capability_tags

    for module in (gdlab.capability_tags, gdlab.bayes):
        for name in module.__all__:
            assert getattr(gdlab.base, name) is getattr(module, name)
            assert name in gdlab.base.__all__
    assert gdlab.capabilities is gdlab.capability_tags.capabilities
