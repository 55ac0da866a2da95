"""GenerativeAugmentation and SMOTESampler: what a user relies on, and bad input refused early."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from gdlab.capability_tags import capabilities
from gdlab.models import GaussianNB, GMMClassifier, KDEClassifier
from gdlab.models.augmentation import GenerativeAugmentation, SMOTESampler, synthetic_counts
from gdlab.models.registry import make


def _blobs(n_per_class=(30, 30), centers=(-20.0, 20.0), seed=0):
    rng = np.random.default_rng(seed)
    X = np.vstack([rng.normal(c, 1.0, (n, 3)) for c, n in zip(centers, n_per_class, strict=True)])
    y = np.repeat(np.arange(len(n_per_class)), n_per_class)
    return X, y


class _Recorder(LogisticRegression):
    """LogisticRegression that keeps what fit was given."""

    def fit(self, X, y, sample_weight=None):
        self.seen_X_, self.seen_y_, self.seen_w_ = np.array(X), np.array(y), sample_weight
        return super().fit(X, y, sample_weight=sample_weight)


class _NoWeights(KNeighborsClassifier):
    """A classifier whose fit takes no sample_weight (KNN's does not)."""


def test_ratio_zero_is_the_bare_classifier_exactly():
    X, y = _blobs((25, 15), centers=(0.0, 1.0))
    bare = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    aug = GenerativeAugmentation(GaussianNB(), RandomForestClassifier(n_estimators=20,
                                                                      random_state=0),
                                 ratio=0.0, random_state=3).fit(X, y)
    np.testing.assert_array_equal(aug.predict_proba(X), bare.predict_proba(X))
    assert aug.n_synthetic_.tolist() == [0, 0] and aug.generator_ is None
    logreg = make("logreg")
    np.testing.assert_array_equal(
        GenerativeAugmentation(GaussianNB(), logreg, ratio=0).fit(X, y).predict_proba(X),
        clone(logreg).fit(X, y).predict_proba(X))


def test_synthetic_rows_come_from_their_class():
    X, y = _blobs((20, 20))  # classes 40 standard deviations apart
    clf = _Recorder()
    aug = GenerativeAugmentation(GaussianNB(), clf, ratio=2.0, random_state=0).fit(X, y)
    seen_X, seen_y = aug.classifier_.seen_X_, aug.classifier_.seen_y_
    assert aug.n_synthetic_.tolist() == [40, 40]
    assert len(seen_y) == 40 + 80
    np.testing.assert_array_equal(seen_X[:40], X)  # the real rows first, unchanged
    synth_X, synth_y = seen_X[40:], seen_y[40:]
    assert np.all(synth_X[synth_y == 0] < 0) and np.all(synth_X[synth_y == 1] > 0)
    assert aug.classifier_.seen_w_ is None  # weight 1: no sample_weight passed at all


@pytest.mark.parametrize("generator", [GMMClassifier(n_components=1, random_state=0),
                                       KDEClassifier(), SMOTESampler()],
                         ids=["gmm", "kde", "smote"])
def test_every_kind_of_generator_draws_rows_near_its_class(generator):
    X, y = _blobs((15, 15))
    aug = GenerativeAugmentation(generator, _Recorder(), ratio=1.0, random_state=0).fit(X, y)
    synth_X, synth_y = aug.classifier_.seen_X_[30:], aug.classifier_.seen_y_[30:]
    assert np.bincount(synth_y).tolist() == [15, 15]
    centers = np.where(synth_y == 0, -20.0, 20.0)
    assert np.abs(synth_X.mean(axis=1) - centers).max() < 6.0


def test_balance_evens_out_the_classes_and_ratio_adds_on_top():
    X, y = _blobs((40, 10))
    aug = GenerativeAugmentation(SMOTESampler(), _Recorder(), ratio=0.0, balance=True,
                                 random_state=0).fit(X, y)
    assert aug.n_synthetic_.tolist() == [0, 30]
    assert np.bincount(aug.classifier_.seen_y_).tolist() == [40, 40]
    aug.set_params(ratio=0.5).fit(X, y)
    assert np.bincount(aug.classifier_.seen_y_).tolist() == [60, 60]
    assert synthetic_counts([3, 7], 1.0, False).tolist() == [3, 7]


def test_synthetic_weight_reaches_the_classifier_and_a_pipeline_last_step():
    X, y = _blobs((10, 10))
    aug = GenerativeAugmentation(GaussianNB(), _Recorder(), ratio=1.0, synthetic_weight=0.25,
                                 random_state=0).fit(X, y)
    w = aug.classifier_.seen_w_
    np.testing.assert_array_equal(w, np.r_[np.ones(20), np.full(20, 0.25)])
    pipe = Pipeline([("scale", StandardScaler()), ("clf", _Recorder())])
    fitted = GenerativeAugmentation(GaussianNB(), pipe, ratio=1.0, synthetic_weight=0.25,
                                    random_state=0).fit(X, y)
    np.testing.assert_array_equal(fitted.classifier_.named_steps["clf"].seen_w_, w)


def test_same_seed_same_model_and_another_seed_other_draws():
    X, y = _blobs((12, 12), centers=(0.0, 1.0))

    def draws(seed):
        aug = GenerativeAugmentation(GaussianNB(), _Recorder(), random_state=seed).fit(X, y)
        return aug.classifier_.seen_X_[24:]

    np.testing.assert_array_equal(draws(0), draws(0))
    assert not np.allclose(draws(0), draws(1))


def test_capabilities_clone_and_fitted_attributes():
    aug = GenerativeAugmentation(GaussianNB(), LogisticRegression())
    assert capabilities(aug) == {"classify"}
    assert clone(aug).get_params()["ratio"] == 1.0
    X, y = _blobs((10, 10))
    aug.fit(X, y)
    assert aug.classes_.tolist() == [0, 1] and aug.n_features_in_ == 3
    assert aug.class_count_.tolist() == [10, 10]
    np.testing.assert_allclose(aug.predict_proba(X).sum(axis=1), 1.0, rtol=0, atol=1e-12)


# -- bad input, refused before any fit -----------------------------------------------------


class _Exploding(GaussianNB):
    def fit(self, X, y):  # pragma: no cover - must never be reached
        raise AssertionError("the generator was fitted before the parameters were checked")


@pytest.mark.parametrize("params, match", [
    ({"ratio": -0.5}, "ratio must be a finite number >= 0, got -0.5"),
    ({"ratio": float("nan")}, "ratio must be a finite number >= 0"),
    ({"ratio": "1"}, "ratio must be a finite number >= 0, got '1'"),
    ({"synthetic_weight": 0.0}, "synthetic_weight must be a finite number > 0, got 0.0"),
    ({"synthetic_weight": -1}, "synthetic_weight must be a finite number > 0"),
    ({"balance": "yes"}, "balance must be True or False"),
    ({"classifier": _NoWeights(), "synthetic_weight": 0.5},
     "synthetic_weight=0.5 needs a classifier whose fit takes sample_weight; _NoWeights"),
    ({"generator": LogisticRegression()}, "lacks the conditional_sample capability"),
    ({"generator": None}, "needs a generator, got None"),
])
def test_bad_parameters_are_refused_before_any_fit(params, match):
    X, y = _blobs((10, 10))
    aug = GenerativeAugmentation(**{"generator": _Exploding(), "classifier": LogisticRegression(),
                                    **params})
    with pytest.raises(ValueError, match=match):
        aug.fit(X, y)


def test_balance_with_one_class_is_refused():
    X, _ = _blobs((10, 10))
    aug = GenerativeAugmentation(_Exploding(), LogisticRegression(), balance=True)
    with pytest.raises(ValueError, match="balance=True needs at least 2 classes.*only 1"):
        aug.fit(X, np.zeros(20, dtype=int))


def test_text_generator_with_a_row_classifier_is_refused():
    from gdlab.models.ngram import CharNGramClassifier

    texts = ["abc abc", "xyz xyz"] * 5
    aug = GenerativeAugmentation(CharNGramClassifier(), LogisticRegression())
    with pytest.raises(ValueError, match="takes text input but classifier LogisticRegression "
                                         "takes tabular"):
        aug.fit(texts, np.tile([0, 1], 5))


def test_smote_sampler_refuses_a_class_of_one_row_and_bad_neighbours():
    X = np.array([[0.0], [1.0], [5.0]])
    s = SMOTESampler().fit(X, [0, 0, 1])
    with pytest.raises(ValueError, match="at least 2 training rows of class 1"):
        s.sample(2, y=1, random_state=0)
    with pytest.raises(ValueError, match="k_neighbors must be an int >= 1, got 0"):
        SMOTESampler(k_neighbors=0).fit(X, [0, 0, 1])
    Xs, ys = s.sample(5, y=0, random_state=0)  # between the two rows of class 0
    assert ys.tolist() == [0] * 5 and np.all((Xs >= 0) & (Xs <= 1))
