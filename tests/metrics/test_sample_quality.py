"""Sample-quality metrics against known answers: same vs shifted sets, closed forms, edge cases."""

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from gdlab.metrics.samples import (
    c2st_auc,
    frechet_distance,
    frechet_distance_gaussian,
    held_out_accuracy,
    median_bandwidth,
    mmd_rbf,
    precision_recall_knn,
    tstr_accuracy,
)
from gdlab.studies.features import FeatureNet, feature_extractor


@pytest.fixture(scope="module")
def gauss():
    rng = np.random.default_rng(0)
    return rng.normal(size=(300, 3)), rng.normal(size=(300, 3)), rng


# ------------------------------------------------------------------------- MMD


def test_mmd_near_zero_for_same_distribution_and_large_for_shift(gauss):
    A, B, rng = gauss
    same = mmd_rbf(A, B)
    assert abs(same) < 0.01
    shifted = mmd_rbf(A, B + 1.0)
    assert shifted > 0.1 > same
    assert mmd_rbf(A, B + 2.0) > shifted  # grows with the shift
    # a difference in scale only is seen too
    assert mmd_rbf(A, 3.0 * B) > 0.05


def test_mmd_matches_hand_computed_u_statistic():
    X, Y = np.array([[0.0], [1.0]]), np.array([[0.0], [2.0]])
    k = lambda a, b: np.exp(-((a - b) ** 2) / 2.0)  # noqa: E731 - bandwidth 1
    xx = k(0, 1)  # mean over i != j
    yy = k(0, 2)
    xy = (k(0, 0) + k(0, 2) + k(1, 0) + k(1, 2)) / 4
    assert mmd_rbf(X, Y, bandwidth=1.0) == pytest.approx(xx + yy - 2 * xy)


def test_median_bandwidth_of_pooled_distances():
    X, Y = np.array([[0.0], [1.0]]), np.array([[3.0], [3.0]])
    # distinct pairs: 1, 3, 3, 2, 2 (the 0 between the duplicates is left out)
    assert median_bandwidth(X, Y) == 2.0
    assert median_bandwidth(np.ones((3, 2)), np.ones((2, 2))) == 1.0


@pytest.mark.parametrize("bandwidth", ["mean", 0.0, -1.0, np.nan, True])
def test_mmd_bad_bandwidth(bandwidth):
    with pytest.raises(ValueError, match="bandwidth"):
        mmd_rbf(np.zeros((3, 1)), np.ones((3, 1)), bandwidth=bandwidth)


# ------------------------------------------------------------------------- C2ST


def test_c2st_half_for_same_and_one_for_separable(gauss):
    A, B, _ = gauss
    assert 0.4 < c2st_auc(A, B) < 0.6
    assert c2st_auc(A, B + 4.0) > 0.99
    # deterministic by seed
    assert c2st_auc(A, B, random_state=3) == c2st_auc(A, B, random_state=3)


def test_c2st_sees_variance_differences_and_takes_a_classifier(gauss):
    A, B, _ = gauss
    assert c2st_auc(A, 0.2 * B) > 0.9  # same mean, smaller spread
    # a linear classifier cannot see a pure scale change
    assert c2st_auc(A, 0.2 * B, classifier=LogisticRegression()) < 0.7


def test_c2st_needs_cv_rows():
    with pytest.raises(ValueError, match="at least 5 rows"):
        c2st_auc(np.zeros((4, 2)), np.ones((10, 2)))
    with pytest.raises(ValueError, match="cv"):
        c2st_auc(np.zeros((10, 2)), np.ones((10, 2)), cv=1)


# ------------------------------------------------------------------------- TSTR / held-out


def test_tstr_and_held_out_accuracy():
    X, y = load_iris(return_X_y=True)
    # "synthetic" = the real rows themselves: TSTR is then train-on-real accuracy
    assert tstr_accuracy(X[::2], y[::2], X[1::2], y[1::2]) > 0.9
    # labels shuffled among classes -> TSTR collapses
    wrong = (y[::2] + 1) % 3
    assert tstr_accuracy(X[::2], wrong, X[1::2], y[1::2]) < 0.1
    judge = LogisticRegression(max_iter=1000).fit(X[::2], y[::2])
    assert held_out_accuracy(judge, X[1::2], y[1::2]) == np.mean(judge.predict(X[1::2]) ==
                                                                 y[1::2])
    assert held_out_accuracy(judge, X[1::2], wrong[: len(X[1::2])]) < 0.2
    with pytest.raises(ValueError, match="two classes"):
        tstr_accuracy(X[:10], np.zeros(10), X, y)
    with pytest.raises(ValueError, match="one label per row"):
        held_out_accuracy(judge, X, y[:5])
    with pytest.raises(TypeError, match="fitted classifier"):
        held_out_accuracy(object(), X, y)


# ------------------------------------------------------------------------- Fréchet


def test_frechet_gaussian_closed_form():
    # diagonal covariances: ||mu||^2 + sum (sqrt(a) - sqrt(b))^2
    mu1, mu2 = np.array([1.0, -2.0, 0.5]), np.array([0.0, 1.0, 0.5])
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance_gaussian(mu1, np.diag(a), mu2, np.diag(b)) == pytest.approx(expected)
    # rotating both covariances by the same orthogonal matrix changes nothing
    Q, _ = np.linalg.qr(np.random.default_rng(1).normal(size=(3, 3)))
    assert frechet_distance_gaussian(Q @ mu1, Q @ np.diag(a) @ Q.T, Q @ mu2,
                                     Q @ np.diag(b) @ Q.T) == pytest.approx(expected)
    # a singular covariance stays real and finite
    assert frechet_distance_gaussian([0, 0], np.zeros((2, 2)), [0, 0], np.eye(2)) == \
        pytest.approx(2.0)


def test_frechet_of_samples_is_gaussian_formula_of_their_moments(gauss):
    A, B, rng = gauss
    assert frechet_distance(A, A) == pytest.approx(0.0, abs=1e-9)
    expected = frechet_distance_gaussian(A.mean(0), np.cov(A.T), B.mean(0), np.cov(B.T))
    assert frechet_distance(A, B) == pytest.approx(expected)
    # large samples approach the population value: N(0, I) vs N(m, 4 I) in 3-D
    big = rng.normal(size=(20000, 3))
    other = rng.normal(size=(20000, 3)) * 2.0 + np.array([1.0, 0.0, 0.0])
    assert frechet_distance(big, other) == pytest.approx(1.0 + 3 * (2 - 1) ** 2, rel=0.05)


def test_frechet_rejects_mismatched_or_bad_inputs():
    with pytest.raises(ValueError, match="same columns"):
        frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))
    bad = np.zeros((5, 2))
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        frechet_distance(bad, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="2-D"):
        frechet_distance(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="at least 2 rows"):
        frechet_distance(np.zeros((1, 2)), np.zeros((5, 2)))


def test_feature_net_features_separate_classes():
    X, y = load_iris(return_X_y=True)
    net = feature_extractor(X, y, random_state=0, device="cpu")
    assert isinstance(net, FeatureNet)
    F = net(X)
    assert F.shape == (150, 32) and np.isfinite(F).all()
    np.testing.assert_array_equal(F, net.transform(X))
    # fixed: same seed -> same features
    np.testing.assert_array_equal(FeatureNet(0, device="cpu").fit(X, y)(X), F)
    # real classes are far apart in feature space: between-class distance > within
    setosa, virginica = F[y == 0], F[y == 2]
    assert frechet_distance(setosa[:25], setosa[25:]) < frechet_distance(setosa, virginica)
    with pytest.raises(ValueError, match="not fitted"):
        FeatureNet()(X)


# ------------------------------------------------------------------------- precision / recall


def test_precision_recall_identical_disjoint_and_mode_dropping(gauss):
    A, B, _ = gauss
    assert precision_recall_knn(A, A) == (1.0, 1.0)
    assert precision_recall_knn(A, A + 100.0) == (0.0, 0.0)
    p, r = precision_recall_knn(A, B)
    assert p > 0.8 and r > 0.8
    # samples on one half only: still realistic (high precision) but poor coverage
    half = B[B[:, 0] > 0.5]
    p_half, r_half = precision_recall_knn(A, half)
    assert p_half > 0.8 and r_half < 0.6
    # spread-out samples: coverage kept, realism lost
    p_wide, r_wide = precision_recall_knn(A, 4.0 * B)
    assert p_wide < 0.5 and r_wide > 0.8


def test_precision_recall_hand_made_k1():
    real = np.array([[0.0], [1.0], [3.0]])  # k=1 radii: 1, 1, 2
    fake = np.array([[0.5], [5.5], [10.0]])  # radii: 5, 4.5, 4.5
    p, r = precision_recall_knn(real, fake, k=1)
    assert p == pytest.approx(1 / 3)  # only 0.5 lies in a real ball
    assert r == 1.0  # every real point within 5 of 0.5
    with pytest.raises(ValueError, match="at least 2 rows"):
        precision_recall_knn(real[:1], fake, k=1)
