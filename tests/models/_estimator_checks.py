"""Checks shared by the neural generative models' tests (GAN, VAE, diffusion).

scikit-learn's estimator checks call ``predict``, ``transform``, ``score_samples``, ...;
they never call a model's own methods (``sample``, ``discriminator_score``, ``elbo``,
``reconstruct``, ...). The first three functions assert the same properties on such a
method, given as ``call(model, X)``, and :class:`OwnMethodChecks` runs them as a test
class over a table of such methods; the last two are the bad-input and bounded-sampling
checks that every neural family repeats. :func:`blobs` and :func:`hide_labels` are the
labelled data and the partial labels of the semi-supervised models' tests (M2VAE,
SemiSupervisedGAN, VAEPretrainClassifier).

A plain module beside the tests: pytest's default ``prepend`` import mode puts
``tests/models`` on ``sys.path`` before it imports a test file there, so the test files
import it as ``from _estimator_checks import ...``.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError


def check_own_method_state(cls, params, call, X, y):
    """check_estimators_unfitted, check_fit_idempotent, check_estimators_pickle and
    check_dict_unchanged, on one of the estimator's own methods.

    Parameters
    ----------
    cls : type
        The estimator class.
    params : dict
        Its constructor parameters (a fixed ``random_state`` among them).
    call : callable
        ``call(model, X) -> ndarray``, the method under test.
    X, y : array-like
        Training data; ``call`` is evaluated on ``X`` too.
    """
    with pytest.raises(NotFittedError):
        call(cls(**params), X)
    model = cls(**params).fit(X, y)
    ref = call(model, X)
    state = pickle.dumps(model)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(model).items()}
    np.testing.assert_array_equal(call(model, X), ref)  # a second call: same values
    assert vars(model).keys() == before.keys()
    for key, value in before.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(vars(model)[key], value, err_msg=key)
        else:
            assert vars(model)[key] is value, key
    np.testing.assert_array_equal(call(pickle.loads(state), X), ref)
    np.testing.assert_array_equal(call(model.fit(X, y), X), ref)  # refit: same model
    # a fresh estimator fitted on a copy of the data: the same model again
    np.testing.assert_array_equal(call(cls(**params).fit(X[::-1][::-1].copy(), y), X), ref)


def check_rowwise_method(cls, params, call, X, y, directory, *, atol, float32_atol):
    """check_n_features_in_after_fitting, check_fit2d_predict1d, check_estimators_nan_inf,
    check_readonly_memmap_input, check_f_contiguous_array_estimator,
    check_estimators_dtypes, check_*_data_not_an_array, check_methods_subset_invariance
    and check_methods_sample_order_invariance, on a method that returns one row per row.

    Parameters
    ----------
    cls, params, call, X, y
        As for :func:`check_own_method_state`; ``X`` is a float64 ndarray with at least
        two columns and four rows.
    directory : pathlib.Path
        Where the read-only memory-mapped copy of ``X`` is written.
    atol : float
        How far two evaluations of the same rows may differ (their batch, its order, the
        memory layout).
    float32_atol : float
        The same for ``X`` given as float32.

    Returns
    -------
    ref : ndarray
        ``call(model, X)`` on the fitted model, for further assertions by the caller.
    """
    n_features = X.shape[1]
    model = cls(**params).fit(X, y)
    ref = call(model, X)
    assert len(ref) == len(X) and ref.dtype == np.float64
    with pytest.raises(ValueError, match=f"{n_features} features"):
        call(model, X[:, :-1])
    with pytest.raises(ValueError, match="2D array"):
        call(model, X[0])
    for bad in (np.nan, np.inf):
        Xbad = X.copy()
        Xbad[3, 1] = bad
        with pytest.raises(ValueError, match="NaN|infinity"):
            call(model, Xbad)
    np.save(directory / "X.npy", X)
    memmap = np.load(directory / "X.npy", mmap_mode="r")  # read-only
    for same in (memmap, np.asfortranarray(X), X.tolist()):
        np.testing.assert_allclose(call(model, same), ref, rtol=0, atol=atol)
    np.testing.assert_allclose(call(model, X.astype(np.float32)), ref, rtol=0, atol=float32_atol)
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(call(model, X[order]), ref[order], rtol=0, atol=atol)
    np.testing.assert_allclose(call(model, X[:5]), ref[:5], rtol=0, atol=atol)
    return ref


def check_rowwise_feature_names(cls, params, call, X, y, *, atol):
    """check_dataframe_column_names_consistency, on a method that returns one row per row.

    Parameters
    ----------
    cls, params, call, X, y
        As for :func:`check_rowwise_method`.
    atol : float
        How far the model fitted on a DataFrame may be from the one fitted on its
        ndarray (a frame's values are column-major: sums in another order).
    """
    pd = pytest.importorskip("pandas")
    columns = [f"c{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=columns)
    model = cls(**params).fit(frame, y)
    np.testing.assert_allclose(call(model, frame), call(cls(**params).fit(X, y), X),
                               rtol=0, atol=atol)
    with pytest.warns(UserWarning, match="fitted with feature names"):
        call(model, X)
    with pytest.raises(ValueError, match="feature names"):
        call(model, frame.rename(columns={columns[0]: "renamed"}))


class OwnMethodChecks:
    """Base of a test class that runs the three checks above over an estimator's own methods.

    A subclass (named ``Test...`` so that pytest collects it) sets the class attributes
    below; each test is parametrized by the method names (pytest calls a test class's
    ``pytest_generate_tests``).

    Attributes
    ----------
    methods : dict
        Name -> ``(cls, call)``, ``call(model, X) -> ndarray`` the method under test.
    rowwise : list of str
        The names in ``methods`` whose output has one row per row of ``X``.
    params : dict
        Constructor parameters of every ``cls`` (a fixed ``random_state`` among them).
    atol, float32_atol : float
        As for :func:`check_rowwise_method`.
    feature_names_atol : float
        As ``atol`` of :func:`check_rowwise_feature_names`.
    rowwise_ndim : int or None
        The number of dimensions of every rowwise output, where they all share one.
    """

    methods: dict
    rowwise: list
    params: dict
    atol: float
    float32_atol: float
    feature_names_atol: float
    rowwise_ndim: int | None = None

    @staticmethod
    def data():
        """Training data ``(X, y)``: a float64 ndarray of at least 4 rows and 2 columns."""
        raise NotImplementedError

    def pytest_generate_tests(self, metafunc):
        if "method" in metafunc.fixturenames:
            metafunc.parametrize("method", sorted(self.methods))
        if "rowwise_method" in metafunc.fixturenames:
            metafunc.parametrize("rowwise_method", self.rowwise)

    def test_unfitted_idempotent_pickled_and_read_only(self, method):
        cls, call = self.methods[method]
        check_own_method_state(cls, self.params, call, *self.data())

    def test_rowwise_validate_and_treat_rows_alone(self, rowwise_method, tmp_path):
        cls, call = self.methods[rowwise_method]
        ref = check_rowwise_method(cls, self.params, call, *self.data(), tmp_path,
                                   atol=self.atol, float32_atol=self.float32_atol)
        if self.rowwise_ndim is not None:
            assert ref.ndim == self.rowwise_ndim

    def test_rowwise_feature_names(self, rowwise_method):
        cls, call = self.methods[rowwise_method]
        check_rowwise_feature_names(cls, self.params, call, *self.data(),
                                    atol=self.feature_names_atol)


def check_huge_values_refused(model, X, y, *, at, score, huge=1e300, trainable=0.0):
    """A value whose square overflows is refused, naming its column, before training;
    a fitted model refuses it in ``score`` too.

    Parameters
    ----------
    model : estimator
        Unfitted; it is fitted here.
    X, y : ndarray
        Finite training data (``X`` is not modified).
    at : tuple of int
        ``(row, column)`` of ``X`` that gets the huge value.
    score : str
        Name of a rowwise method of the fitted model, e.g. ``"score_samples"``.
    huge : float
        The value refused (its magnitude is 1e300).
    trainable : float
        The value at ``at`` for the fit that must succeed.
    """
    X = np.array(X, dtype=float)
    column = at[1]
    X[at] = huge  # its square overflows the standardization's variance
    with pytest.raises(ValueError, match=rf"column {column} of X.*magnitude 1e\+300"):
        model.fit(X, y)
    assert not hasattr(model, "module_")
    X[at] = trainable
    model.fit(X, y)
    assert np.isfinite(getattr(model, score)(X)).all()
    X[at] = huge  # and a fitted model refuses such rows too
    with pytest.raises(ValueError, match=f"column {column} of X"):
        getattr(model, score)(X)


def blobs(n_per_class=40, n_features=4, n_classes=3, sep=4.0, seed=0, *, return_centers=False):
    """Gaussian blobs of unit variance around centers drawn at scale ``sep``.

    Returns
    -------
    X : ndarray of shape (n_classes * n_per_class, n_features)
    y : ndarray of shape (n_classes * n_per_class,)
        ``n_per_class`` rows of each class 0 .. n_classes - 1, in order.
    centers : ndarray of shape (n_classes, n_features)
        Only with ``return_centers``.
    """
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), n_per_class)
    centers = sep * rng.normal(size=(n_classes, n_features))
    X = rng.normal(size=(len(y), n_features)) + centers[y]
    return (X, y, centers) if return_centers else (X, y)


def hide_labels(y, keep_per_class, seed=0):
    """A copy of y with all but ``keep_per_class`` labels of each class set to -1."""
    rng = np.random.default_rng(seed)
    out = np.full_like(y, -1)
    for k in np.unique(y):
        out[rng.choice(np.flatnonzero(y == k), keep_per_class, replace=False)] = k
    return out


def bounded_data():
    """200 digits images: pixels 0..16, and some pixels are 0 in every image.

    Returns
    -------
    X : ndarray of shape (200, 64)
    y : ndarray of shape (200,)
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:200], y[:200]


def check_samples_stay_in_fit_range(model, X, n_samples, **sample_params):
    """Samples of a model fitted on ``X`` stay in the per-column range of ``X``, clipped,
    not collapsed onto its bounds.

    Parameters
    ----------
    model : estimator
        Fitted on ``X``; ``model.sample`` returns an array or an ``(X, y)`` pair.
    X : ndarray of shape (n_samples, n_features)
        Its training data.
    n_samples : int
        How many samples to draw.
    **sample_params
        Passed on to ``model.sample`` (``random_state``, ``noise``, ...).
    """
    lo, hi = X.min(axis=0), X.max(axis=0)
    np.testing.assert_array_equal(model.data_min_, lo)
    np.testing.assert_array_equal(model.data_max_, hi)
    S = model.sample(n_samples, **sample_params)
    S = S[0] if isinstance(S, tuple) else S
    assert (S >= lo).all() and (S <= hi).all()
    assert (S > lo).any() and (S < hi).any()  # clipped, not collapsed onto the bounds
