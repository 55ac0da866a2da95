"""Discriminative text classifiers: NB-SVM and bag-of-n-grams pipelines over raw text.

:class:`NBSVM` is Wang & Manning's (2012) "Baselines and Bigrams" classifier:
a linear SVM (or logistic regression) on binarized n-gram features scaled by
naive Bayes' log-count ratios, with the weights interpolated towards their
mean magnitude. It is a hybrid: a generative (naive Bayes) feature weighting
under a discriminative decision rule.

The factories return scikit-learn :class:`~sklearn.pipeline.Pipeline` s that
take raw texts (a list of str, a 1-D array of str or a one-column DataFrame,
as gdlab's text datasets give them) with the steps ``text``
(:class:`TextColumn`), ``vectorize`` (:class:`~sklearn.feature_extraction.text.CountVectorizer`)
and ``clf``, so ``clone`` and ``set_params(clf__C=...)`` work as usual:

- :func:`ngram_multinomial_nb` -- multinomial naive Bayes (generative)
- :func:`ngram_logreg` -- L2 logistic regression
- :func:`ngram_linear_svm` -- linear SVM, Platt-calibrated for ``predict_proba``
- :func:`ngram_nbsvm` -- NB-SVM, Platt-calibrated for ``predict_proba``

Every step keeps the n-gram counts sparse (a scipy CSR matrix): nothing is
made dense, so memory grows with the non-zeros, not with the vocabulary
(densifying trump_tweets' uni+bigrams would need about 4 GB). Multinomial NB
is gdlab's :class:`~gdlab.models.MultinomialNB`, which takes sparse counts
(an implicit zero is an observed zero count, never a missing one).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from gdlab._param_checks import check_bool, check_fraction, check_in, check_int, check_positive
from gdlab._sequence_checks import check_texts
from gdlab._validation import check_magnitude, check_nonnegative
from gdlab.base import TextInputMixin

__all__ = [
    "NBSVM",
    "TextColumn",
    "ngram_multinomial_nb",
    "ngram_logreg",
    "ngram_linear_svm",
    "ngram_nbsvm",
]


class TextColumn(TextInputMixin, TransformerMixin, BaseEstimator):
    """Pipeline step that turns any text container into a list of str.

    Accepts a list / tuple / 1-D array / Series of str or a one-column
    DataFrame (gdlab's text datasets), validated by
    :func:`gdlab._sequence_checks.check_texts`; non-str items raise ``TypeError``.

    Parameters
    ----------
    allow_empty : bool, default=True
        Whether empty strings pass (a vectorizer maps them to an all-zero row).

    Examples
    --------
    >>> import pandas as pd
    >>> TextColumn().fit_transform(pd.DataFrame({"text": ["a b", "c"]}))
    ['a b', 'c']
    """

    def __init__(self, *, allow_empty=True):
        self.allow_empty = allow_empty

    def fit(self, X, y=None):
        """Check X; nothing is learned.

        Returns
        -------
        self
        """
        check_texts(self, X, allow_empty=self.allow_empty)
        self.fitted_ = True
        return self

    def transform(self, X) -> list[str]:
        """The texts of X as a list of str.

        Parameters
        ----------
        X : list of str, 1-D array or Series of str, or a one-column DataFrame

        Returns
        -------
        list of str
        """
        return check_texts(self, X, allow_empty=self.allow_empty)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


def _check_counts(estimator, X, *, reset: bool) -> np.ndarray:
    """Non-negative feature counts, dense or sparse (CSR), as float64."""
    X = validate_data(estimator, X, reset=reset, accept_sparse="csr", dtype=np.float64)
    check_nonnegative(X, type(estimator).__name__)
    return X


class NBSVM(ClassifierMixin, BaseEstimator):
    """NB-SVM (Wang & Manning, 2012): a linear SVM on naive-Bayes-scaled n-gram indicators.

    For each class k (one-vs-rest; one model for two classes) with binarized
    features x̂ = 1{x > 0}:

    1. log-count ratio r = log((p / |p|_1) / (q / |q|_1)), where
       p = alpha + sum of x̂ over rows of class k and q the same over the rest;
    2. a linear SVM (L2-regularized squared hinge, liblinear) or a logistic
       regression is trained on x̂ ∘ r, giving weights w and bias b;
    3. the weights are interpolated, w' = (1 - beta) * mean(|w|) + beta * w,
       and the score is (x̂ ∘ r) · w' + b.

    Parameters
    ----------
    alpha : float, default=1.0
        Additive smoothing of the feature counts (> 0).
    beta : float in [0, 1], default=0.25
        Interpolation weight: 1 keeps the SVM's weights, 0 gives every
        feature the mean magnitude (pure naive-Bayes ratios).
    C : float, default=1.0
        Inverse regularization strength of the linear model.
    base : {"svm", "logreg"}, default="svm"
        Linear model on the scaled features: NB-SVM or NB-LR.
    binarize : bool, default=True
        Use 1{x > 0} (the paper's choice) or the raw counts. Raw counts beyond
        :data:`gdlab._validation.MAX_ABS_SQUARED` (1e150) raise ``ValueError``:
        the linear solver squares them (liblinear never returned on 1e300).
    max_iter : int, default=10000
        Iterations of the linear solver.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    r_ : ndarray of shape (n_models, n_features)
        Log-count ratio of each one-vs-rest model (one row for two classes).
    coef_ : ndarray of shape (n_models, n_features)
        Final weights on the (binarized) features, r ∘ w'.
    intercept_ : ndarray of shape (n_models,)
    n_iter_ : int
        Most solver iterations of any of the linear models.

    Notes
    -----
    X must hold non-negative counts (dense or sparse); negative entries raise
    ``ValueError``. There is no ``predict_proba`` (an SVM margin is not a
    probability): wrap it in :class:`~sklearn.calibration.CalibratedClassifierCV`
    as :func:`ngram_nbsvm` does.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[2, 0, 1], [1, 0, 0], [0, 3, 1], [0, 1, 0]])
    >>> NBSVM().fit(X, ["pos", "pos", "neg", "neg"]).predict([[1, 0, 0], [0, 1, 1]]).tolist()
    ['pos', 'neg']
    """

    def __init__(self, *, alpha=1.0, beta=0.25, C=1.0, base="svm", binarize=True,
                 max_iter=10_000):
        self.alpha = alpha
        self.beta = beta
        self.C = C
        self.base = base
        self.binarize = binarize
        self.max_iter = max_iter

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        return tags

    def _features(self, X):
        """Binarized (or raw) features as CSR or dense float64."""
        if not self.binarize:
            check_magnitude(self, X)
            return X
        if sp.issparse(X):
            Xb = X.copy()
            Xb.data = (Xb.data > 0).astype(np.float64)
            Xb.eliminate_zeros()
            return Xb
        return (X > 0).astype(np.float64)

    def _linear_model(self):
        if self.base == "svm":
            from sklearn.svm import LinearSVC

            return LinearSVC(C=self.C, max_iter=self.max_iter, random_state=0)
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=self.C, max_iter=self.max_iter, solver="liblinear")

    def fit(self, X, y):
        """Fit one NB-scaled linear model per class (one for two classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative counts (e.g. a CountVectorizer's output).
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        alpha = check_positive(self.alpha, "alpha")
        beta = check_fraction(self.beta, "beta", allow_zero=True, allow_one=True)
        check_positive(self.C, "C")
        check_in(self.base, "base", {"svm", "logreg"})
        check_bool(self.binarize, "binarize")
        check_int(self.max_iter, "max_iter")
        X, y = validate_data(self, X, y, reset=True, accept_sparse="csr", dtype=np.float64)
        check_nonnegative(X, type(self).__name__)
        check_classification_targets(y)
        classes, y_idx = np.unique(y, return_inverse=True)
        if classes.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes, but "
                             f"y contains only 1 class: {classes.tolist()!r}.")
        Xb = self._features(X)
        targets = [1] if classes.shape[0] == 2 else range(classes.shape[0])
        r_rows, coef_rows, intercepts, n_iter = [], [], [], []
        # per-feature totals as X^T @ indicator: no copy of the rows of a class
        total = np.asarray(Xb.T @ np.ones(Xb.shape[0])).ravel()
        for k in targets:
            pos = y_idx == k
            in_class = np.asarray(Xb.T @ pos.astype(np.float64)).ravel()
            p = alpha + in_class
            q = alpha + (total - in_class)
            r = np.log(p / p.sum()) - np.log(q / q.sum())
            scaled = Xb.multiply(r).tocsr() if sp.issparse(Xb) else Xb * r
            model = self._linear_model().fit(scaled, pos.astype(np.int64))
            w = model.coef_.ravel()
            w_interp = (1.0 - beta) * np.mean(np.abs(w)) + beta * w
            r_rows.append(r)
            coef_rows.append(r * w_interp)
            intercepts.append(float(model.intercept_[0]))
            n_iter.append(int(np.max(model.n_iter_)))
        self.classes_ = classes
        self.r_ = np.vstack(r_rows)
        self.coef_ = np.vstack(coef_rows)
        self.intercept_ = np.asarray(intercepts)
        self.n_iter_ = max(n_iter)
        return self

    def decision_function(self, X) -> np.ndarray:
        """Signed scores: (n_samples,) for two classes (> 0 means ``classes_[1]``),
        else (n_samples, n_classes).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray
        """
        check_is_fitted(self)
        Xb = self._features(_check_counts(self, X, reset=False))
        scores = np.asarray(Xb @ self.coef_.T) + self.intercept_
        return scores[:, 0] if self.classes_.shape[0] == 2 else scores

    def predict(self, X) -> np.ndarray:
        """Class with the highest score.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(np.int64)]
        return self.classes_[np.argmax(scores, axis=1)]


# ---------------------------------------------------------------------------
# pipelines over raw text


def _vectorizer(ngram_range, analyzer, binary, min_df, lowercase, max_features):
    from sklearn.feature_extraction.text import CountVectorizer

    ngram_range = tuple(ngram_range)
    if (len(ngram_range) != 2 or not all(isinstance(n, int) for n in ngram_range)
            or not 1 <= ngram_range[0] <= ngram_range[1]):
        raise ValueError(f"ngram_range must be (min_n, max_n) with 1 <= min_n <= max_n, "
                         f"got {ngram_range!r}.")
    check_in(analyzer, "analyzer", {"word", "char", "char_wb"})
    # words of one character count too (the default pattern drops "a", "I", "&")
    pattern = r"(?u)\b\w+\b" if analyzer == "word" else None
    return CountVectorizer(ngram_range=ngram_range, analyzer=analyzer, binary=binary,
                           min_df=min_df, lowercase=lowercase, max_features=max_features,
                           token_pattern=pattern)


def _pipeline(clf, **vec):
    from sklearn.pipeline import Pipeline

    return Pipeline([("text", TextColumn()), ("vectorize", _vectorizer(**vec)), ("clf", clf)])


def _calibrated(clf, calibrated: bool):
    if not calibrated:
        return clf
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(clf, method="sigmoid", cv=5, ensemble=False)


def ngram_multinomial_nb(*, ngram_range=(1, 2), analyzer="word", binary=True, alpha=1.0,
                         min_df=1, lowercase=True, max_features=None):
    """Bag of n-grams + gdlab's multinomial naive Bayes, on the sparse counts.

    The counts stay a sparse matrix from the vectorizer to the classifier
    (:class:`gdlab.models.MultinomialNB` takes CSR input), so the pipeline
    has the model's generative methods too (``score_samples``: log p(x) of
    the counts given their total; ``log_joint`` through ``[-1]``). Its
    posteriors equal scikit-learn's ``MultinomialNB`` on the same counts.

    Parameters
    ----------
    ngram_range : (int, int), default=(1, 2)
        Smallest and largest n (uni+bigrams by default).
    analyzer : {"word", "char", "char_wb"}, default="word"
        Word n-grams, or character n-grams (``char_wb``: within word boundaries).
    binary : bool, default=True
        Count each n-gram once per text (Wang & Manning's binarized MNB).
    alpha : float, default=1.0
        Additive (Laplace) smoothing.
    min_df : int or float, default=1
    lowercase : bool, default=True
    max_features : int, optional
        Keep only the most frequent n-grams.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``text``, ``vectorize``, ``clf``.

    Examples
    --------
    >>> clf = ngram_multinomial_nb().fit(["good film", "great film", "bad film", "awful"],
    ...                                  [1, 1, 0, 0])
    >>> clf.predict(["a good film"]).tolist()
    [1]
    """
    from gdlab.models.naive_bayes import MultinomialNB

    check_positive(alpha, "alpha")
    return _pipeline(MultinomialNB(alpha=alpha), ngram_range=ngram_range, analyzer=analyzer,
                     binary=binary, min_df=min_df, lowercase=lowercase,
                     max_features=max_features)


def ngram_logreg(*, ngram_range=(1, 2), analyzer="word", binary=True, C=1.0, min_df=1,
                 lowercase=True, max_features=None):
    """Bag of n-grams + L2 logistic regression.

    Parameters
    ----------
    ngram_range, analyzer, binary, min_df, lowercase, max_features
        As in :func:`ngram_multinomial_nb`.
    C : float, default=1.0
        Inverse regularization strength.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> clf = ngram_logreg().fit(["good film", "great film", "bad film", "awful"], [1, 1, 0, 0])
    >>> clf.predict_proba(["good"]).shape
    (1, 2)
    """
    from sklearn.linear_model import LogisticRegression

    check_positive(C, "C")
    return _pipeline(LogisticRegression(C=C, max_iter=5000), ngram_range=ngram_range,
                     analyzer=analyzer, binary=binary, min_df=min_df, lowercase=lowercase,
                     max_features=max_features)


def ngram_linear_svm(*, ngram_range=(1, 2), analyzer="word", binary=True, C=1.0, min_df=1,
                     lowercase=True, max_features=None, calibrated=True):
    """Bag of n-grams + linear SVM (liblinear), Platt-calibrated by default.

    Parameters
    ----------
    ngram_range, analyzer, binary, min_df, lowercase, max_features
        As in :func:`ngram_multinomial_nb`.
    C : float, default=1.0
    calibrated : bool, default=True
        Wrap the SVM in ``CalibratedClassifierCV(method="sigmoid", cv=5,
        ensemble=False)`` (as the registry's ``linear-svm``) so the pipeline has
        ``predict_proba`` (then ``predict`` is the argmax of the calibrated
        probabilities; each class needs >= 5 training texts). False gives the
        plain SVM (``decision_function``, no ``predict_proba``).

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.svm import LinearSVC

    check_positive(C, "C")
    clf = _calibrated(LinearSVC(C=C, max_iter=10_000, random_state=0), calibrated)
    return _pipeline(clf, ngram_range=ngram_range, analyzer=analyzer, binary=binary,
                     min_df=min_df, lowercase=lowercase, max_features=max_features)


def ngram_nbsvm(*, ngram_range=(1, 2), analyzer="word", C=1.0, alpha=1.0, beta=0.25,
                base="svm", min_df=1, lowercase=True, max_features=None, calibrated=True):
    """Bag of n-grams + :class:`NBSVM`, Platt-calibrated by default.

    Parameters
    ----------
    ngram_range, analyzer, min_df, lowercase, max_features
        As in :func:`ngram_multinomial_nb` (features are binarized by NB-SVM).
    C, alpha, beta, base
        As in :class:`NBSVM`.
    calibrated : bool, default=True
        As in :func:`ngram_linear_svm`.

    Returns
    -------
    sklearn.pipeline.Pipeline

    Examples
    --------
    >>> clf = ngram_nbsvm(calibrated=False).fit(
    ...     ["good film", "great film", "bad film", "awful"], [1, 1, 0, 0])
    >>> clf.predict(["great", "awful film"]).tolist()
    [1, 0]
    """
    clf = _calibrated(NBSVM(alpha=alpha, beta=beta, C=C, base=base), calibrated)
    return _pipeline(clf, ngram_range=ngram_range, analyzer=analyzer, binary=True,
                     min_df=min_df, lowercase=lowercase, max_features=max_features)
