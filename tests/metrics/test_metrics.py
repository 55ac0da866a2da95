"""Calibration, anomaly and cost metrics against hand-computed values."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from gdlab.metrics.anomaly import FPR_GRID, auroc, finite_scores, roc_points
from gdlab.metrics.calibration import brier_score, expected_calibration_error, reliability_curve
from gdlab.metrics.cost import n_parameters, peak_memory

# six predictions: confidences 0.9 0.8 0.6 0.7 0.55 0.8, correct 1 0 1 1 0 1
PROBA = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4], [0.3, 0.7], [0.45, 0.55], [0.2, 0.8]])
Y = np.array([0, 1, 0, 1, 0, 1])


def test_reliability_curve_by_hand():
    curve = reliability_curve(Y, PROBA, n_bins=5)
    # bins (0.4, 0.6]: 0.6, 0.55; (0.6, 0.8]: 0.8, 0.7, 0.8; (0.8, 1]: 0.9
    assert curve["count"].tolist() == [0, 0, 2, 3, 1]
    np.testing.assert_allclose(curve["confidence"][2:], [0.575, 2.3 / 3, 0.9])
    np.testing.assert_allclose(curve["accuracy"][2:], [0.5, 2 / 3, 1.0])
    assert np.isnan(curve["confidence"][:2]).all() and np.isnan(curve["accuracy"][:2]).all()


def test_ece_by_hand():
    # one bin (0.5, 1]: mean confidence 4.35 / 6, accuracy 4 / 6
    assert expected_calibration_error(Y, PROBA, n_bins=2) == pytest.approx(4.35 / 6 - 4 / 6)
    # 2/6 * |0.5 - 0.575| + 3/6 * |2/3 - 2.3/3| + 1/6 * |1 - 0.9|
    assert expected_calibration_error(Y, PROBA, n_bins=5) == pytest.approx(
        2 / 6 * 0.075 + 3 / 6 * 0.1 + 1 / 6 * 0.1)
    perfect = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error([0, 1], perfect) == 0.0


def test_brier_by_hand_and_against_sklearn():
    expected = (0.02 + 1.28 + 0.32 + 0.18 + 0.605 + 0.08) / 6
    assert brier_score(Y, PROBA) == pytest.approx(expected)
    assert brier_score(Y, PROBA) == pytest.approx(2 * brier_score_loss(Y, PROBA[:, 1]))
    three = np.array([[0.5, 0.25, 0.25]])
    assert brier_score([2], three) == pytest.approx(0.25 + 0.0625 + 0.5625)


@pytest.mark.parametrize("bad", [np.array([0, 2]), np.array([0.0, 1.0]), np.array([0])])
def test_calibration_bad_labels(bad):
    with pytest.raises(ValueError):
        brier_score(bad, PROBA[:2])


def test_auroc_tiny_ranking():
    # pairs (ood, in): 0.35 > 0.1, 0.35 < 0.4, 0.8 > both: 3 of 4
    assert auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
    assert auroc([0, 1], [0.3, 0.3]) == 0.5  # a tie counts one half
    assert auroc([0, 1], [np.inf, 1.0]) == 0.0
    rng = np.random.default_rng(0)
    is_ood, score = rng.integers(0, 2, 50), rng.normal(size=50)
    assert auroc(is_ood, score) == pytest.approx(roc_auc_score(is_ood, score))
    with pytest.raises(ValueError, match="both"):
        auroc([1, 1], [0.1, 0.2])


def test_roc_points_by_hand():
    # ROC: (0, 0) -> (0, .5) -> (.5, .5) -> (.5, 1) -> (1, 1)
    tpr = roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [0.0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(tpr, [0.5, 0.5, 1.0, 1.0, 1.0])
    # a tie is a diagonal segment: (0, 0) -> (1, 1)
    np.testing.assert_allclose(roc_points([0, 1], [0.2, 0.2], [0.0, 0.5, 1.0]), [0, 0.5, 1])
    full = roc_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert full.shape == FPR_GRID.shape and np.all(np.diff(full) >= 0) and full[-1] == 1.0


def test_finite_scores_keep_order():
    assert finite_scores([np.inf, 2.0, -np.inf, 5.0]).tolist() == [6.0, 2.0, 1.0, 5.0]


def test_n_parameters_gaussian_nb_by_hand():
    X, y = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, 2.0], [3.0, 1.5]]), np.array([0, 0, 1, 1])
    nb = GaussianNB().fit(X, y)
    # theta_ 2x2 + var_ 2x2 + class_prior_ 2 + class_count_ 2 + classes_ 2 (epsilon_ is a scalar)
    assert n_parameters(nb) == 4 + 4 + 2 + 2 + 2
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)
    scaler, clf = pipe.named_steps["scale"], pipe.named_steps["clf"]
    # mean_, var_, scale_ (2 each); coef_ 2 + intercept_ 1 + classes_ 2 + n_iter_ 1
    assert n_parameters(scaler) == 6 and n_parameters(clf) == 6
    assert n_parameters(pipe) == 12
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    assert n_parameters(tree) > tree.tree_.node_count  # node records count per field


def test_n_parameters_counts_each_array_once():
    nb = GaussianNB().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    nb.alias_ = nb.theta_
    assert n_parameters(nb) == 2 + 2 + 2 + 2 + 2


def test_peak_memory_grows_with_allocation():
    _, small = peak_memory(np.ones, 100_000)   # 0.8 MB
    out, big = peak_memory(np.ones, 1_000_000)  # 8 MB
    assert out.shape == (1_000_000,)
    assert 0.7e6 < small < 1.0e6
    assert 7.9e6 < big < 8.5e6
