"""A model of typed columns, fit on a matrix whose categorical columns are one-hot.

Every study sees one float matrix (:func:`gdlab.studies.prepare.numeric`): a
categorical column becomes a block of 0/1 indicator columns. Most models take
that matrix as it is, but a model that types its columns
(:class:`~gdlab.models.naive_bayes.MixedNB`: one categorical distribution per
categorical column) must see the column, not its indicators, or it models
each indicator as an independent real number. :class:`OneHotColumns` gives it
the column: it decodes each block to one category code before the wrapped
model sees it, and encodes the model's samples and imputations back into
indicators, so the model lives in the same matrix as every other model.

Decoding one block of one row:

- exactly one indicator is 1 and every other observed indicator is 0: that
  category's code;
- no indicator observed as 1 and at least one missing (NaN): missing;
- anything else (two 1s, all 0s, a value other than 0 and 1): the code
  ``k`` = number of categories, a value the model never saw in training, so
  a categorical model gives it its smoothed "unseen" probability (an
  out-of-distribution row scores low instead of being forced onto a category).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from gdlab.capability_tags import capabilities

__all__ = ["OneHotColumns", "decode_onehot", "encode_onehot"]


def _check_groups(groups, n_features: int | None = None) -> list[np.ndarray]:
    """Validated one-hot blocks: disjoint, non-empty lists of column positions."""
    if isinstance(groups, (str, bytes)) or not isinstance(groups, Sequence):
        raise TypeError(f"groups must be a sequence of sequences of column positions, got "
                        f"{type(groups).__name__}.")
    out, seen = [], set()
    for g, group in enumerate(groups):
        if isinstance(group, (str, bytes)) or not isinstance(group, (Sequence, np.ndarray)):
            raise TypeError(f"groups[{g}] must be a sequence of int column positions, got "
                            f"{type(group).__name__}.")
        cols = np.asarray(group)
        if cols.ndim != 1 or cols.size == 0 or cols.dtype.kind not in "iu":
            raise ValueError(f"groups[{g}] must be a non-empty 1-D list of int column "
                             f"positions, got {list(group)!r}.")
        if n_features is not None and (cols.min() < 0 or cols.max() >= n_features):
            raise ValueError(f"groups[{g}] = {cols.tolist()} names columns outside "
                             f"0..{n_features - 1} of X ({n_features} features).")
        if len(set(cols.tolist())) != cols.size or seen & set(cols.tolist()):
            raise ValueError(f"groups[{g}] = {cols.tolist()} repeats a column; one-hot "
                             "blocks must be disjoint.")
        seen |= set(cols.tolist())
        out.append(cols.astype(np.intp))
    return out


def _layout(groups: list[np.ndarray], n_features: int):
    """For each decoded column: ("group", cols) or ("plain", col), in order of first position."""
    grouped = {int(c) for cols in groups for c in cols}
    items = [(int(cols.min()), ("group", cols)) for cols in groups]
    items += [(j, ("plain", j)) for j in range(n_features) if j not in grouped]
    return [item for _, item in sorted(items, key=lambda t: t[0])]


def decode_onehot(X, groups) -> np.ndarray:
    """Replace each one-hot block of ``X`` by one column of category codes.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), float
        NaN marks a missing entry.
    groups : sequence of sequences of int
        Column positions of each block (disjoint). A block of one column is a
        0/1 column (codes 0 and 1, ``2`` for any other value).

    Returns
    -------
    ndarray of shape (n_samples, n_decoded), float64
        Columns in the order of each block's first position among the other
        columns; codes 0..k-1, NaN for missing, k for an invalid block (see the
        module docstring).

    Examples
    --------
    >>> nan = float("nan")
    >>> decode_onehot([[1.5, 0, 1, 0], [2.0, nan, nan, nan], [0.0, 1, 1, 0]], [[1, 2, 3]])
    array([[1.5, 1. ],
           [2. , nan],
           [0. , 3. ]])
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
    checked = _check_groups(groups, X.shape[1])
    columns = []
    for kind, where in _layout(checked, X.shape[1]):
        if kind == "plain":
            columns.append(X[:, where])
            continue
        block = X[:, where]
        k = block.shape[1]
        if k == 1:  # a 0/1 column
            v = block[:, 0]
            code = np.where(np.isnan(v), np.nan, np.where((v == 0) | (v == 1), v, 2.0))
            columns.append(code)
            continue
        nan = np.isnan(block)
        ones = block == 1
        valid_values = nan | ones | (block == 0)
        n_ones = ones.sum(axis=1)
        code = np.full(X.shape[0], float(k))
        one_hot = valid_values.all(axis=1) & (n_ones == 1)
        code[one_hot] = np.argmax(ones[one_hot], axis=1)
        code[valid_values.all(axis=1) & (n_ones == 0) & nan.any(axis=1)] = np.nan
        columns.append(code)
    return np.column_stack(columns) if columns else np.empty((X.shape[0], 0))


def encode_onehot(Z, groups, n_features: int) -> np.ndarray:
    """Inverse of :func:`decode_onehot` for valid codes: category codes back to indicators.

    A missing code gives NaN in every indicator of its block; a code outside
    0..k-1 raises ``ValueError`` (a model never draws a category it was not fit on).

    Examples
    --------
    >>> encode_onehot([[1.5, 1.0], [2.0, float("nan")]], [[1, 2, 3]], 4)
    array([[1.5, 0. , 1. , 0. ],
           [2. , nan, nan, nan]])
    """
    Z = np.asarray(Z, dtype=np.float64)
    checked = _check_groups(groups, n_features)
    layout = _layout(checked, n_features)
    if Z.ndim != 2 or Z.shape[1] != len(layout):
        raise ValueError(f"Z must have shape (n_samples, {len(layout)}), got {Z.shape}.")
    X = np.empty((Z.shape[0], n_features))
    for z, (kind, where) in enumerate(layout):
        if kind == "plain":
            X[:, where] = Z[:, z]
            continue
        code = Z[:, z]
        k = where.size
        n_codes = 2 if k == 1 else k
        bad = ~np.isnan(code) & ~np.isin(code, np.arange(n_codes))
        if bad.any():
            raise ValueError(f"decoded column {z} holds {code[bad][0]!r}, not a category code "
                             f"0..{n_codes - 1}.")
        if k == 1:
            X[:, where[0]] = code
            continue
        missing = np.isnan(code)
        block = (np.nan_to_num(code, nan=-1)[:, None] == np.arange(k)[None, :]).astype(float)
        block[missing] = np.nan
        X[:, where] = block
    return X


class OneHotColumns(ClassifierMixin, BaseEstimator):
    """Fit a column-typing model on decoded one-hot blocks; answer in the one-hot matrix.

    Parameters
    ----------
    estimator : estimator
        The model of the decoded columns (e.g. ``MixedNB``). When it has a
        ``distributions`` parameter and ``distributions`` below is None, each
        block is declared ``"categorical"`` and every other column ``"gaussian"``.
    groups : sequence of sequences of int, default=()
        Column positions of each one-hot block of X (disjoint); a block of one
        position is a 0/1 (boolean) column.
    distributions : list of str, optional
        One kind per decoded column, passed to the estimator's ``distributions``.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    classes_ : ndarray
    n_features_in_ : int
        Columns of the one-hot matrix.

    Notes
    -----
    ``impute`` fills a block whose indicators are all missing, and the missing
    indicators of a block with an observed 1 (with 0); a block with some
    indicators observed as 0, none as 1 and others missing is modelled as
    missing (its zeros are not used), and ``impute`` refuses it (``ValueError``)
    rather than return a row that is not one-hot.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models import MixedNB
    >>> X = np.array([[0.1, 1, 0], [0.3, 1, 0], [2.0, 0, 1], [2.2, 0, 1]])
    >>> model = OneHotColumns(MixedNB(), groups=[[1, 2]]).fit(X, [0, 0, 1, 1])
    >>> model.predict([[0.2, 1, 0], [2.1, 0, 1]]).tolist()
    [0, 1]
    >>> model.estimator_.distributions_.tolist()
    ['gaussian', 'categorical']
    """

    def __init__(self, estimator, groups=(), distributions=None):
        self.estimator = estimator
        self.groups = groups
        self.distributions = distributions

    def _capabilities(self) -> frozenset[str]:
        return capabilities(self.estimator)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self.estimator.__sklearn_tags__()
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        return tags

    def _decode(self, X, *, fitting: bool = False) -> np.ndarray:
        if fitting:
            arr = np.asarray(X, dtype=np.float64)
            if arr.ndim != 2:
                raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {arr.shape}.")
            self.n_features_in_ = arr.shape[1]
            self._groups = _check_groups(self.groups, arr.shape[1])
        else:
            check_is_fitted(self)
            arr = np.asarray(X, dtype=np.float64)
            if arr.ndim != 2 or arr.shape[1] != self.n_features_in_:
                raise ValueError(f"X must have shape (n_samples, {self.n_features_in_}), "
                                 f"got {arr.shape}.")
        return decode_onehot(arr, self._groups)

    def _encode(self, Z) -> np.ndarray:
        return encode_onehot(Z, self._groups, self.n_features_in_)

    def _inner(self):
        inner = clone(self.estimator)
        if "distributions" in inner.get_params(deep=False):
            kinds = self.distributions
            if kinds is None:
                kinds = ["categorical" if kind == "group" else "gaussian"
                         for kind, _ in _layout(self._groups, self.n_features_in_)]
            inner.set_params(distributions=list(kinds))
        return inner

    def fit(self, X, y, **fit_params):
        """Fit the wrapped model on X with its one-hot blocks decoded.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        Z = self._decode(X, fitting=True)
        self.estimator_ = self._inner().fit(Z, y, **fit_params)
        self.classes_ = self.estimator_.classes_
        return self

    def _has(name):  # noqa: N805 - a decorator factory used in the class body
        return lambda self: hasattr(self.estimator, name)

    @available_if(_has("predict"))
    def predict(self, X):
        """Predicted class of each row."""
        return self.estimator_.predict(self._decode(X))

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        """p(y=k | x) of each row; rows sum to one."""
        return self.estimator_.predict_proba(self._decode(X))

    @available_if(_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """log p(y=k | x) of each row."""
        return self.estimator_.predict_log_proba(self._decode(X))

    @available_if(_has("log_joint"))
    def log_joint(self, X):
        """log p(x, y=k) of the decoded rows (a category has one probability, not k)."""
        return self.estimator_.log_joint(self._decode(X))

    @available_if(_has("score_samples"))
    def score_samples(self, X):
        """log p(x) of the decoded rows; an invalid one-hot block scores as an unseen category."""
        return self.estimator_.score_samples(self._decode(X))

    @available_if(_has("sample"))
    def sample(self, n_samples=None, y=None, random_state=None):
        """Draw rows from the wrapped model, categories encoded back into indicators.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        Z, labels = self.estimator_.sample(n_samples, y=y, random_state=random_state)
        return self._encode(np.asarray(Z, dtype=np.float64)), labels

    @available_if(_has("impute"))
    def impute(self, X, method="mean", random_state=None):
        """Fill NaN entries: a missing category is imputed whole, then written as indicators.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        method : {"mean", "sample"}, default="mean"
            As the wrapped model's ``impute`` (``"mean"`` gives a category's mode).
        random_state : int, RandomState instance or None

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        Xv = np.asarray(X, dtype=np.float64)
        Z = self._decode(Xv)
        for kind, cols in _layout(self._groups, self.n_features_in_):
            if kind != "group" or cols.size == 1:
                continue
            block = Xv[:, cols]
            nan = np.isnan(block)
            partial = nan.any(axis=1) & ~nan.all(axis=1) & ~(block == 1).any(axis=1)
            if partial.any():
                row = int(np.flatnonzero(partial)[0])
                raise ValueError(
                    f"row {row} has one-hot columns {cols.tolist()} partly missing with no "
                    "observed 1; impute needs the block wholly missing or its category "
                    "observed.")
        filled = self._encode(self.estimator_.impute(Z, method=method,
                                                     random_state=random_state))
        out = np.where(np.isnan(Xv), filled, Xv)
        for kind, cols in _layout(self._groups, self.n_features_in_):
            if kind == "group" and cols.size > 1:  # observed 1, missing others: they are 0
                block = out[:, cols]
                block[np.isnan(block)] = 0.0
                out[:, cols] = block
        return out

    del _has  # a helper of the class body, not a method
