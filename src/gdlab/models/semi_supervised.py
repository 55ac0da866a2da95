"""scikit-learn's semi-supervised classifiers, with gdlab's label checks: the registry's baselines.

``y = -1`` marks an unlabelled row (scikit-learn's convention). Both classes
are scikit-learn's own estimators, same parameters and results, with two
additions:

- ``fit`` refuses a ``y`` without a labelled row ("no class to learn") and one
  whose labelled rows hold a single class, with a ``ValueError`` that says
  so, before any work (scikit-learn's fail part-way, or fit a model that
  predicts the one class: :func:`gdlab._validation.check_semi_supervised_labels`);
- :class:`CheckedLabelSpreading` keeps a brute-force neighbour index for
  ``predict`` (the training rows only, no KD-tree), so that the fitted model
  saves and loads with :func:`gdlab.save` / :func:`gdlab.load`, which refuse
  compiled tree objects whose arrays they cannot check.

Their capability tags are read off the public API by :func:`gdlab.capability_tags.capabilities`
(``semi_supervised`` for every estimator of :mod:`sklearn.semi_supervised`).

:func:`record_labelled_rows` is what gdlab's own semi-supervised models
(``M2VAE``, ``SemiSupervisedGAN``, ``VAEPretrainClassifier``) record of such a
``y`` in ``fit``.

Examples
--------
>>> import numpy as np
>>> X = np.r_[np.linspace(0, 1, 6), np.linspace(5, 6, 6)][:, None]  # two groups of 6
>>> y = np.full(12, -1)
>>> y[[0, 6]] = [0, 1]  # one labelled row in each
>>> CheckedLabelSpreading(kernel="knn", n_neighbors=3).fit(X, y).transduction_.tolist()
[0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
"""

from __future__ import annotations

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from gdlab._validation import check_semi_supervised_labels

__all__ = ["CheckedSelfTrainingClassifier", "CheckedLabelSpreading", "record_labelled_rows"]


def record_labelled_rows(estimator, classes: np.ndarray, y_idx: np.ndarray) -> np.ndarray:
    """Set ``classes_``, ``n_labelled_`` and ``n_unlabelled_`` of a semi-supervised fit.

    Parameters
    ----------
    estimator : estimator
        The model being fitted; the three attributes are set on it.
    classes : ndarray of shape (n_classes,)
    y_idx : ndarray of int of shape (n_samples,)
        Class index of every training row, ``-1`` for an unlabelled row (as
        :func:`gdlab._validation.semi_supervised_class_indices` returns them).

    Returns
    -------
    ndarray of bool of shape (n_samples,)
        Which rows are labelled.

    Examples
    --------
    >>> class Model: pass
    >>> m = Model()
    >>> record_labelled_rows(m, np.array(["a", "b"]), np.array([0, -1, 1, -1])).tolist()
    [True, False, True, False]
    >>> m.classes_.tolist(), m.n_labelled_, m.n_unlabelled_
    (['a', 'b'], 2, 2)
    """
    labelled = np.asarray(y_idx) >= 0
    estimator.classes_ = classes
    estimator.n_labelled_ = int(labelled.sum())
    estimator.n_unlabelled_ = int(labelled.size - estimator.n_labelled_)
    return labelled


class CheckedSelfTrainingClassifier(SelfTrainingClassifier):
    """scikit-learn's self-training classifier that refuses labels it cannot learn from.

    Fits ``estimator`` on the labelled rows, then repeatedly adds the unlabelled
    rows it predicts with probability above ``threshold`` as pseudo-labelled
    rows and refits (:class:`sklearn.semi_supervised.SelfTrainingClassifier`:
    same parameters and results). ``y = -1`` marks an unlabelled row.

    Parameters
    ----------
    estimator : classifier with ``predict_proba``
    threshold : float, default=0.75
    criterion : {"threshold", "k_best"}, default="threshold"
    k_best : int, default=10
    max_iter : int or None, default=10
    verbose : bool, default=False
        As in :class:`sklearn.semi_supervised.SelfTrainingClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]])
    >>> clf = CheckedSelfTrainingClassifier(LogisticRegression())
    >>> clf.fit(X, [0, -1, -1, 1, -1, -1]).classes_.tolist()
    [0, 1]
    >>> clf.fit(X, [-1] * 6)
    Traceback (most recent call last):
    ...
    ValueError: CheckedSelfTrainingClassifier has no labelled row: every entry of y is -1 ...
    """

    def fit(self, X, y, **params):
        """Refuse ``y`` without two labelled classes, then fit as scikit-learn's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks an unlabelled row.
        **params
            Passed on (metadata routing), as in scikit-learn.

        Returns
        -------
        self
        """
        check_semi_supervised_labels(self, y)
        return super().fit(X, y, **params)


class CheckedLabelSpreading(LabelSpreading):
    """scikit-learn's label spreading that refuses labels it cannot learn from and saves.

    Spreads the labels over a similarity graph of every training row, labelled
    or not (Zhou et al. 2004; :class:`sklearn.semi_supervised.LabelSpreading`:
    same parameters and results). ``y = -1`` marks an unlabelled row. With
    ``kernel="knn"`` the neighbour index kept for ``predict`` is a brute-force
    one over the training rows (scikit-learn may keep a KD-tree, which
    :func:`gdlab.load` refuses); the neighbours, and so the predictions, are
    the same.

    Parameters
    ----------
    kernel : {"knn", "rbf"} or callable, default="rbf"
    gamma : float, default=20
    n_neighbors : int, default=7
    alpha : float, default=0.2
    max_iter : int, default=30
    tol : float, default=1e-3
    n_jobs : int, default=None
        As in :class:`sklearn.semi_supervised.LabelSpreading`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.r_[np.linspace(0, 1, 6), np.linspace(5, 6, 6)][:, None]
    >>> y = np.full(12, -1)
    >>> y[[0, 6]] = [0, 1]
    >>> clf = CheckedLabelSpreading(kernel="knn", n_neighbors=3)
    >>> clf.fit(X, y).predict([[0.5], [5.5]]).tolist()
    [0, 1]
    >>> clf.fit(X, np.where(y == 1, 0, y))
    Traceback (most recent call last):
    ...
    ValueError: CheckedLabelSpreading needs labelled rows of at least 2 classes, ...
    """

    def fit(self, X, y):
        """Refuse ``y`` without two labelled classes, then fit as scikit-learn's.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; ``-1`` marks an unlabelled row.

        Returns
        -------
        self
        """
        check_semi_supervised_labels(self, y)
        super().fit(X, y)
        if self.kernel == "knn":
            # predict looks up neighbours in nn_fit: the training rows, searched by brute force
            self.nn_fit = NearestNeighbors(n_neighbors=self.n_neighbors, algorithm="brute",
                                           n_jobs=self.n_jobs).fit(self.X_)
        return self
