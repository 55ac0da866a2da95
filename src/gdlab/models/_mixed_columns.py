"""MixedNB's column types: which distribution each column follows (the kinds and their
distributions, the ``distributions`` setting), and the encoding of a table
(DataFrame, object array or numeric array) to floats and back.

Kept apart from the naive Bayes model, which sees only the encoded float array
(categorical labels as integer codes, NaN for missing).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gdlab._param_checks import check_in
from gdlab._validation import check_X
from gdlab.distributions.discrete import Bernoulli, Categorical, Poisson
from gdlab.distributions.gaussian_features import GaussianFeatures

__all__ = ["DISTRIBUTIONS", "KINDS", "MixedColumnsMixin", "numeric_dtype"]

#: the distribution (:mod:`gdlab.distributions`) of each column kind, in the order the
#: kinds' columns are visited
DISTRIBUTIONS = {
    "gaussian": GaussianFeatures,
    "categorical": Categorical,
    "poisson": Poisson,
    "bernoulli": Bernoulli,
}
#: the column kinds, in the order their columns are visited
KINDS = tuple(DISTRIBUTIONS)
#: an inferred integer column that is not count-like is categorical with at most this
#: many distinct values, Gaussian with more
_MAX_INTEGER_CATEGORIES = 32


def numeric_dtype(X):
    """The integer dtype of a non-DataFrame array-like, else None.

    Integer input infers Poisson columns. The dtype is the one ``np.asarray(X)``
    gives, so a nested list of ints infers exactly like the equivalent array.
    """
    if sp.issparse(X):
        dtype = X.dtype
    else:
        try:
            dtype = np.asarray(X).dtype
        except (TypeError, ValueError):  # ragged or odd input: check_X_y reports it
            return None
    return dtype if dtype.kind in "iu" else None


def _integer_kind(values):
    """Distribution of an integer column from its values (see MixedNB's ``distributions``).

    Count-like columns are Poisson: no negative value and the smallest value at
    most half the largest (counts start near zero: 0..7, 1..8, 3..40), so a
    Poisson's mass lies where the data are. Other integers (years 1990..2010,
    ratings -2..2, ids) are categorical with at most ``_MAX_INTEGER_CATEGORIES``
    distinct values, else Gaussian. A column with no observed value stays Poisson.
    """
    observed = pd.Series(values).dropna().to_numpy(dtype=np.float64)
    if observed.size == 0:
        return "poisson"
    low, high = observed.min(), observed.max()
    if low >= 0 and 2 * low <= high:
        return "poisson"
    if np.unique(observed).size <= _MAX_INTEGER_CATEGORIES:
        return "categorical"
    return "gaussian"


def _infer_kind(dtype, name, values=None):
    """Distribution of a column from its dtype (and, for integers, its values)."""
    if pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_float_dtype(dtype):
        return "gaussian"
    if pd.api.types.is_integer_dtype(dtype):
        return "poisson" if values is None else _integer_kind(values)
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        return "categorical"
    raise TypeError(
        f"cannot infer a distribution for column {name!r} of dtype {dtype}; give it in "
        f"distributions (one of {sorted(KINDS)})."
    )


def _numeric_column(values, name, kind):
    """A column as float64 (NaN = missing); non-numeric values raise ValueError."""
    s = pd.Series(values)
    if pd.api.types.is_bool_dtype(s.dtype) or (
        pd.api.types.is_numeric_dtype(s.dtype) and not isinstance(s.dtype, pd.CategoricalDtype)
    ):
        return s.to_numpy(dtype=np.float64, na_value=np.nan)
    obj = s.astype(object)
    converted = pd.to_numeric(obj.where(obj.notna(), np.nan), errors="coerce")
    bad = converted.isna().to_numpy() & s.notna().to_numpy()
    if bad.any():
        raise ValueError(
            f"column {name!r} is {kind} (numeric) but holds non-numeric values such as "
            f"{obj[bad].iloc[0]!r}; declare it 'categorical' in distributions."
        )
    return converted.to_numpy(dtype=np.float64, na_value=np.nan)


def _new_categories(values, dtype=None):
    """Category labels of a column: a categorical dtype's own, else sorted unique values."""
    if isinstance(dtype, pd.CategoricalDtype):
        return np.asarray(dtype.categories, dtype=object)
    present = pd.unique(pd.Series(values).dropna().to_numpy())
    try:
        present = sorted(present)
    except TypeError:  # mixed, unorderable labels: order of appearance
        present = list(present)
    return np.asarray(present, dtype=object)


def _encode_categories(values, categories):
    """Codes 0..C-1 of known labels, C for unseen labels, NaN for missing."""
    values = pd.Series(values).astype(object)
    missing = values.isna().to_numpy()
    idx = pd.Index(categories, dtype=object).get_indexer(values.to_numpy())
    codes = np.where(idx < 0, float(len(categories)), idx.astype(np.float64))
    codes[missing] = np.nan
    return codes


class MixedColumnsMixin:
    """Column typing and encoding of :class:`gdlab.models.naive_bayes.MixedNB`.

    At fit, each column gets a kind (``distributions_``) and each categorical
    column its labels (``categories_``); the table (DataFrame, object array,
    numeric array) is encoded to one float array, categorical labels as codes
    0 .. C-1 (C for a label never seen, NaN for missing). ``_from_internal``
    turns values back into the user's representation (labels, dtypes,
    DataFrame or array). The state lives in the estimator's attributes, so a
    saved model holds plain data; the estimator supplies ``distributions``.
    """

    # -- column kinds and encoding --------------------------------------------
    def _check_distributions(self):
        """Check the ``distributions`` setting: None, a kind, a list or a dict of kinds."""
        d = self.distributions
        if d is None:
            return
        if isinstance(d, str):
            check_in(d, "distributions", DISTRIBUTIONS)
        elif isinstance(d, dict):
            for col, kind in d.items():
                check_in(kind, f"distributions[{col!r}]", DISTRIBUTIONS)
        elif isinstance(d, (list, tuple, np.ndarray)):
            for j, kind in enumerate(d):
                check_in(kind, f"distributions[{j}]", DISTRIBUTIONS)
        else:
            raise TypeError(
                f"distributions must be None, a kind, a list or a dict, got {type(d).__name__}."
            )

    def _resolve_kinds(self, names, dtypes, columns=None):
        """Kind of each column: given in ``distributions``, else inferred from its dtype
        and (integer columns, when ``columns`` holds the values) its values."""
        d = self.distributions
        n = len(names)
        if isinstance(d, str):
            return np.array([d] * n, dtype=object)
        if isinstance(d, (list, tuple, np.ndarray)):
            if len(d) != n:
                raise ValueError(f"distributions has {len(d)} entries but X has {n} columns.")
            return np.array(list(d), dtype=object)
        given = dict(d) if isinstance(d, dict) else {}
        unknown = [c for c in given if c not in names]
        if unknown:
            raise ValueError(f"distributions names columns not in X: {unknown!r}.")
        kinds = [
            given[name]
            if name in given
            else (
                "gaussian"
                if dtypes is None
                else _infer_kind(dtypes[j], name, None if columns is None else columns[j])
            )
            for j, name in enumerate(names)
        ]
        return np.array(kinds, dtype=object)

    def _encode_columns(self, columns, names, dtypes, mode):
        """Encode raw columns to floats; in mode "fit" learn kinds and categories.

        Returns the encoded array and the categories it was encoded with. In
        mode "partial" those are a new list, ``categories_`` grown by the
        batch's new labels, which ``_validate_partial_fit`` commits only once
        the whole batch is valid (a rejected batch leaves the model unchanged).
        """
        if mode == "fit":
            self.distributions_ = self._resolve_kinds(names, dtypes, columns)
            self.categories_ = [None] * len(names)
            self._integer_columns = [
                dtypes is not None and pd.api.types.is_integer_dtype(dtypes[j])
                for j in range(len(names))
            ]
        categories = list(self.categories_)
        out = []
        for j, values in enumerate(columns):
            kind, name = self.distributions_[j], names[j]
            if kind != "categorical":
                out.append(_numeric_column(values, name, kind))
                continue
            if mode == "fit":
                categories[j] = _new_categories(values, None if dtypes is None else dtypes[j])
            elif mode == "partial":
                new = _new_categories(values, None if dtypes is None else dtypes[j])
                new = new[pd.Index(categories[j], dtype=object).get_indexer(new) < 0]
                categories[j] = np.concatenate([categories[j], new])
            out.append(_encode_categories(values, categories[j]))
        if mode == "fit":
            self.categories_ = categories
            self.columns_ = {
                kind: np.flatnonzero(self.distributions_ == kind)
                for kind in KINDS
                if (self.distributions_ == kind).any()
            }
        return np.column_stack(out), categories

    def _as_frame(self, X, fitting):
        """The DataFrame path for DataFrames, and for non-numeric 2-D arrays with
        categorical columns; None for the plain numeric path (``check_X``)."""
        if isinstance(X, pd.Series):
            raise ValueError(
                f"{type(self).__name__} expects a 2-D table of shape (n_samples, n_features) "
                f"(a DataFrame or 2-D array), got a pandas Series of length {len(X)}; pass "
                "one row as X.to_frame().T, or one column as df[[name]]."
            )
        if isinstance(X, pd.DataFrame):
            if X.shape[1] == 0:
                raise ValueError(
                    f"{type(self).__name__} needs at least one column, got a DataFrame "
                    f"with 0 columns (shape {X.shape})."
                )
            return X
        if sp.issparse(X) or not hasattr(X, "__len__") and not hasattr(X, "__array__"):
            return None
        arr = np.asarray(X)
        if arr.ndim != 2 or arr.dtype.kind not in "OSU":
            return None
        kinds = (
            self._resolve_kinds(list(range(arr.shape[1])), None) if fitting else self.distributions_
        )
        if not (kinds == "categorical").any():
            return None
        # each column typed by its values, as a DataFrame's would be (floats -> float64,
        # ints -> int64, text stays object): columns not named in a dict are inferred
        # by the same rule as a DataFrame's, not all read as categorical for the
        # array's object dtype
        return pd.DataFrame(arr).infer_objects()

    def _encode_frame(self, frame, mode, user_frame=True):
        """Encode a DataFrame; ``user_frame`` is False for a non-numeric array the
        user gave (wrapped in a DataFrame with columns 0 .. d-1)."""
        if frame.shape[1] == 0 or frame.shape[0] == 0:
            return frame, list(getattr(self, "categories_", []))
        if mode != "fit":
            # sklearn's feature-count / feature-name checks, before touching the values
            check_X(
                self,
                pd.DataFrame(np.zeros((1, frame.shape[1])), columns=frame.columns),
                reset=False,
                allow_nan=True,
            )
            expected = getattr(self, "_frame_columns", None)
            if user_frame and expected is not None and frame.columns.tolist() != expected:
                # sklearn checks string column names only; labels such as integers
                # must match too, or columns would be read as the wrong features
                raise ValueError(
                    f"X has columns {frame.columns.tolist()!r} but {type(self).__name__} was "
                    f"fitted with columns {expected!r}; give the same columns in the same order."
                )
        names = list(frame.columns)
        columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
        encoded, categories = self._encode_columns(columns, names, list(frame.dtypes), mode)
        if mode == "fit":
            # dtypes as strings (plus the ordered flag of categoricals): plain data that
            # gdlab.save can store; categories themselves are in categories_
            self._frame_dtypes = [str(dt) for dt in frame.dtypes]
            self._frame_ordered = [bool(getattr(dt, "ordered", False)) for dt in frame.dtypes]
            self._frame_columns = frame.columns.tolist() if user_frame else None
        return pd.DataFrame(encoded, columns=frame.columns), categories

    def _encode_array(self, X, mode, raw_dtype=None):
        """Encode a validated float array; ``raw_dtype`` is the user's array dtype at fit,
        so an integer array infers Poisson columns exactly as an integer DataFrame does."""
        if mode == "fit":
            self._frame_dtypes = None
            self._frame_columns = None
        elif not (self.distributions_ == "categorical").any():
            return X, list(self.categories_)
        names = list(range(X.shape[1]))
        dtypes = [raw_dtype] * X.shape[1] if raw_dtype is not None else None
        return self._encode_columns([X[:, j] for j in names], names, dtypes, mode)

    def _column_labels(self):
        """Column labels for messages: the DataFrame's columns, or None (positions)."""
        columns = getattr(self, "_frame_columns", None)
        if columns is None:
            columns = getattr(self, "feature_names_in_", None)
        return None if columns is None else np.asarray(list(columns), dtype=object)

    # -- back to the user's representation --------------------------------------
    def _decode(self, Xv):
        """Per column: float values, categorical codes turned back into labels."""
        cols = []
        for j in range(Xv.shape[1]):
            if self.distributions_[j] != "categorical":
                cols.append(Xv[:, j])
                continue
            cats = self.categories_[j]
            codes = Xv[:, j]
            known = ~np.isnan(codes) & (codes < len(cats))
            labels = np.full(codes.shape[0], None, dtype=object)
            labels[known] = cats[codes[known].astype(np.intp)]
            cols.append(labels)
        return cols

    def _from_internal(self, Xv, like):
        decoded = self._decode(Xv)
        if getattr(self, "_frame_dtypes", None) is None:
            out = np.column_stack([np.asarray(c, dtype=np.float64) for c in decoded])
            if like is not None:
                orig = np.asarray(like, dtype=np.float64)
                out = np.where(np.isnan(orig), out, orig)
            return out
        if like is not None and not isinstance(like, pd.DataFrame):
            like = self._like_frame(like)
        if isinstance(like, pd.DataFrame):
            # only the missing cells are filled: observed entries come back unchanged
            out = like.copy()
            for j in range(like.shape[1]):
                s = like.iloc[:, j]
                missing = s.isna().to_numpy()
                if missing.any():
                    dtype = self._dtype_holding_categories(s.dtype, j)
                    s = s.astype(dtype)
                    # positions, not labels: the fill is in row order, X's index is the user's
                    fill = self._typed_column(decoded[j], j, dtype).set_axis(s.index)
                    out.isetitem(j, s.where(~missing, fill))
            return out
        return pd.DataFrame(
            {
                name: self._typed_column(decoded[j], j, self._fitted_dtype(j))
                for j, name in enumerate(self._output_columns())
            }
        )

    def _output_columns(self):
        columns = getattr(self, "_frame_columns", None)
        if columns is None:
            columns = getattr(self, "feature_names_in_", None)
        return list(range(self.n_features_in_)) if columns is None else list(columns)

    def _dtype_holding_categories(self, dtype, j):
        """``dtype``, or for a categorical column whose categories lack some fitted
        label, the same dtype with the missing fitted labels appended (so that an
        imputed label is never turned into NaN)."""
        if self.distributions_[j] != "categorical" or not isinstance(dtype, pd.CategoricalDtype):
            return dtype
        extra = [c for c in self.categories_[j] if c not in dtype.categories]
        if not extra:
            return dtype
        return pd.CategoricalDtype(list(dtype.categories) + extra, ordered=dtype.ordered)

    def _like_frame(self, like):
        """A non-DataFrame X given to ``impute`` as a DataFrame with the training columns,
        each in its training dtype where that holds every value unchanged (an unseen
        label, or NaN in an integer column, keeps the values in an object or float column)."""
        arr = np.asarray(like, dtype=object)
        columns = {}
        for j, name in enumerate(self._output_columns()):
            s = pd.Series(arr[:, j], dtype=object)
            try:
                typed = s.astype(self._fitted_dtype(j))
                observed = s.notna().to_numpy()
                same = np.array_equal(typed.isna().to_numpy(), ~observed) and bool(
                    (typed.astype(object).to_numpy()[observed] == s.to_numpy()[observed]).all()
                )
            except (TypeError, ValueError):
                same = False
            columns[name] = typed if same else s.infer_objects()
        return pd.DataFrame(columns)

    def _fitted_dtype(self, j):
        """The pandas dtype column j had at fit, rebuilt from its stored name."""
        name = self._frame_dtypes[j]
        if name == "category":
            return pd.CategoricalDtype(self.categories_[j], ordered=self._frame_ordered[j])
        return pd.api.types.pandas_dtype(name)

    def _typed_column(self, values, j, dtype):
        """Decoded values of column j cast to ``dtype`` where that is lossless enough."""
        if self.distributions_[j] == "categorical":
            return pd.Series(values, dtype=object).astype(dtype)
        values = np.asarray(values, dtype=np.float64)
        if pd.api.types.is_bool_dtype(dtype):
            return pd.Series(values > 0.5).astype(dtype)
        if pd.api.types.is_integer_dtype(dtype):
            return pd.Series(np.rint(values)).astype(dtype)
        if pd.api.types.is_float_dtype(dtype):
            return pd.Series(values).astype(dtype)
        return pd.Series(values)
