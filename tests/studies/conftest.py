"""A spy classifier for the study tests: records what it is fit and asked on."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin


class Spy(ClassifierMixin, BaseEstimator):
    """Binary classifier whose P(y=1 | x) is the first feature (NaN -> 0.5).

    ``native`` decides whether it declares ``missing_features``;
    ``min_per_class`` makes ``fit`` raise on tinier classes.
    """

    def __init__(self, native=True, min_per_class=0):
        self.native = native
        self.min_per_class = min_per_class

    def _capabilities(self):
        return frozenset({"classify", "missing_features"} if self.native else {"classify"})

    def fit(self, X, y):
        X = np.asarray(X, dtype=float)
        if not self.native and np.isnan(X).any():
            raise ValueError("Spy(native=False) got NaN at fit")
        counts = np.bincount(np.asarray(y))
        if counts.min() < self.min_per_class:
            raise ValueError(f"a class has {counts.min()} rows, fewer than {self.min_per_class}")
        self.classes_ = np.unique(y)
        self.fit_X_ = X.copy()
        self.seen_ = []
        return self

    def predict_proba(self, X):
        X = np.asarray(X, dtype=float)
        self.seen_.append(X.copy())
        p1 = np.clip(np.nan_to_num(X[:, 0], nan=0.5), 0, 1)
        return np.column_stack([1 - p1, p1])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


import pytest  # noqa: E402


@pytest.fixture
def spy():
    """The Spy class."""
    return Spy
