"""LogitClassifierMixin: the one path from a network's logits to predict_log_proba / predict_proba /
predict, shared by MLPClassifier, CNNClassifier, GRUClassifier and GPTClassifier."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from gdlab.models import CNNClassifier, GPTClassifier, GRUClassifier, MLPClassifier
from gdlab.nn import LogitClassifierMixin


class _FixedLogits(LogitClassifierMixin):
    """Logits given up front; ``lengths`` stands for a sequence classifier's extra input."""

    def __init__(self, logits, classes):
        self.logits = np.asarray(logits, dtype=np.float64)
        self.classes_ = np.asarray(classes)

    def _logits(self, X, lengths=None):
        rows = self.logits[: len(X)]
        return rows if lengths is None else rows + np.asarray(lengths, dtype=np.float64)[:, None]


def test_log_softmax_proba_and_argmax_in_the_order_of_classes():
    logits = [[0.0, 2.0, -1.0], [3.0, 3.0, 3.0], [-5.0, 0.0, 5.0]]
    clf = _FixedLogits(logits, ["b", "a", "c"])
    log_proba = clf.predict_log_proba(np.zeros(3))
    expected = np.asarray(logits) - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    assert log_proba.dtype == np.float64
    np.testing.assert_allclose(log_proba, expected, rtol=0, atol=1e-12)
    proba = clf.predict_proba(np.zeros(3))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(proba, np.exp(log_proba), rtol=0, atol=1e-15)
    # ties go to the first class, as np.argmax; labels come from classes_, not sorted again
    assert clf.predict(np.zeros(3)).tolist() == ["a", "b", "c"]


def test_huge_equal_logits_are_a_tie():
    clf = _FixedLogits([[1e17, 1e17], [-1e300, -1e300]], [0, 1])
    np.testing.assert_allclose(clf.predict_proba(np.zeros(2)), 0.5, rtol=0, atol=1e-12)


def test_further_inputs_reach_logits_positionally_and_by_name():
    clf = _FixedLogits([[0.0, 0.0], [0.0, 0.0]], [0, 1])
    np.testing.assert_array_equal(clf.predict_proba(np.zeros(2), [1.0, 2.0]),
                                  clf.predict_proba(np.zeros(2), lengths=[1.0, 2.0]))


def test_unfitted_raises_not_fitted_before_touching_classes():
    class Unfitted(LogitClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            return self

        def _logits(self, X):
            check_is_fitted(self, "module_")

    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(NotFittedError):
            getattr(Unfitted(), method)(np.zeros((1, 2)))


@pytest.mark.parametrize("cls", [MLPClassifier, CNNClassifier, GRUClassifier, GPTClassifier])
def test_every_logit_network_classifier_uses_the_mixin(cls):
    assert issubclass(cls, LogitClassifierMixin)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        assert getattr(cls, method) is getattr(LogitClassifierMixin, method)


def test_float64_inference_copy_leaves_the_trained_module_alone_and_avoids_mps():
    X = np.random.default_rng(0).normal(size=(40, 3))
    clf = MLPClassifier(hidden_sizes=(4,), max_epochs=2, validation_fraction=0.0,
                        random_state=0, device="cpu").fit(X, np.arange(40) % 2)
    copy64 = clf._float64_module()
    assert next(copy64.parameters()).dtype == torch.float64 and not copy64.training
    assert next(clf.module_.parameters()).dtype == torch.float32
    clf.device_ = "mps"  # Apple's MPS has no float64: inference falls back to the CPU
    assert clf._inference_device() == torch.device("cpu")
