"""Check the state that scikit-learn's compiled code reads, in every loaded model.

Some scikit-learn estimators hand arrays of their fitted state to compiled code that
trusts their sizes and indices, without bounds checks; a file crafted to hold other
sizes (its checksums are right: the attacker writes the manifest) could make
``predict`` read or write out of bounds, or never return. :mod:`gdlab.persistence`
calls :func:`check_loaded_model` on every loaded model, and it checks:

- trees: ``sklearn.tree._tree.Tree`` (decision trees, forests, isolation forests),
  ``predict_stages`` (gradient boosting, which also writes ``out[i, k]`` for every
  column of its ``estimators_``) and the histogram gradient boosting
  ``TreePredictor`` follow child indices, read ``X[i, feature]`` and bitset rows
  straight from the node arrays, and could loop forever on a cycle of children;
- libsvm models (every ``sklearn.svm._base.BaseLibSVM``: SVC, NuSVC, SVR, NuSVR,
  OneClassSVM, dense or sparse): libsvm builds its model from ``support_``,
  ``support_vectors_``, ``_n_support``, ``_dual_coef_``, ``_intercept_``, ``_probA``
  and ``_probB`` with every size taken from ``len(_n_support)`` and ``len(support_)``;
- k-means (``KMeans``, ``MiniBatchKMeans``, ``BisectingKMeans``): the label
  assignment reads ``cluster_centers_`` with the width of X, ``partial_fit`` writes
  ``_counts[label]``;
- nearest neighbors (every ``NeighborsBase``: k-nearest-neighbors and radius
  classifiers and regressors, ``NearestNeighbors``, ``LocalOutlierFactor``): the
  brute-force search reads ``_fit_X`` with the width of X, and the classifiers add
  each neighbor's vote at column ``_y[neighbor]`` of their class scores.

Other scikit-learn estimators gdlab trusts by default compute their predictions with
numpy and scipy, which check shapes and indices (linear models, naive Bayes,
mixtures, MLPs, scalers, encoders, calibration), or hold compiled helpers that are
not estimators and so are refused by default (see :mod:`gdlab.persistence`).

This module walks a loaded model and checks libsvm, k-means and nearest-neighbors
models; the tree checks are in :mod:`gdlab._tree_checks` and the checks of one
attribute they share in :mod:`gdlab._state_checks`. These three are the one place
gdlab reads scikit-learn's private fitted layout.
"""

from __future__ import annotations

import numpy as np

from gdlab._state_checks import (
    FLOAT64,
    FLOATS,
    INT32,
    Malformed,
    check_csr,
    dense,
    describe,
    expect_finite,
    expect_shape,
    int_attribute,
    is_int,
    is_sparse,
    real_number,
)
from gdlab._tree_checks import (
    check_ensemble,
    check_gradient_boosting,
    check_hist_gradient_boosting,
    check_predictor,
    check_tree,
    check_tree_owner,
)

__all__ = ["check_loaded_model"]

_SCALARS = (str, bytes, bytearray, int, float, complex, type(None), np.generic)


def _children(obj, path: str):
    """(child, path) of the objects ``obj`` holds that may hold trees."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key, f"{path}[{key!r}] (key)"
            yield value, f"{path}[{key!r}]"
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield value, f"{path}[{i}]"
    elif isinstance(obj, (set, frozenset)):
        for value in obj:
            yield value, f"{path}{{...}}"
    elif isinstance(obj, np.ndarray):
        if obj.dtype == object:
            for index in np.ndindex(obj.shape):
                yield obj[index], f"{path}[{', '.join(map(str, index))}]"
    elif not isinstance(obj, type):
        try:
            attributes = vars(obj)
        except TypeError:  # no __dict__ (a compiled object: a Tree, a RandomState)
            return
        for name, value in attributes.items():
            yield value, f"{path}.{name}"


def _walk(model):
    """Every object reachable from ``model`` once, with its path (``Forest.estimators_[3]``)."""
    stack, seen = [(model, type(model).__name__)], set()
    while stack:
        obj, path = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj, path
        for child, child_path in _children(obj, path):
            if isinstance(child, _SCALARS):
                continue
            if isinstance(child, np.ndarray) and child.dtype != object:
                continue
            stack.append((child, child_path))


_SVM = "support vector machine"
_KMEANS = "k-means model"
_NEIGHBORS = "nearest-neighbors model"
#: The kernels libsvm knows, in the order of its kernel codes
#: (``sklearn.svm._libsvm.LIBSVM_KERNEL_TYPES``).
_LIBSVM_KERNELS = ("linear", "poly", "rbf", "sigmoid", "precomputed")
#: Fitted attributes of a libsvm model that reach libsvm (or size what does): a fitted
#: model holds all of them, an unfitted one none (and ``n_features_in_`` unless its
#: kernel is a callable, which makes the kernel matrix from X as it comes).
_LIBSVM_STATE = ("_sparse", "support_", "support_vectors_", "_n_support", "_dual_coef_",
                 "dual_coef_", "_intercept_", "intercept_", "_probA", "_probB", "_gamma",
                 "shape_fit_", "fit_status_")
#: Most OpenMP threads a loaded k-means model may ask for (``_n_threads``).
_MAX_THREADS = 1024


def _check_libsvm(svm, path: str) -> None:
    """The arrays libsvm builds its model from agree with each other and with X's width.

    libsvm takes the number of classes from ``len(_n_support)`` and the number of
    support vectors from ``len(support_)`` (dense) or ``indptr`` (sparse), then reads
    that many rows of ``support_vectors_`` and ``_dual_coef_``, one intercept and one
    pair of probability coefficients per pair of classes, and per class the block of
    ``_n_support[k]`` support vectors that follows the previous ones.
    """
    attributes = vars(svm)
    present = [name for name in _LIBSVM_STATE if name in attributes]
    if not present:
        return  # not fitted
    missing = [name for name in _LIBSVM_STATE if name not in attributes]
    if missing:
        raise Malformed(path, f"holds {present} but not {missing}", _SVM)
    for name in ("_impl", "_sparse_kernels"):  # class attributes that select the code
        if name in attributes:
            raise Malformed(
                path, f"{name} is set on the instance ({attributes[name]!r}); it belongs to "
                f"the class ({getattr(type(svm), name, None)!r})", _SVM
            )
    classify = type(svm)._impl in ("c_svc", "nu_svc")
    sparse = attributes["_sparse"]
    if not isinstance(sparse, (bool, np.bool_)):
        raise Malformed(path, f"_sparse is {sparse!r}; expected True or False", _SVM)
    kernel = attributes.get("kernel")
    if not callable(kernel) and kernel not in _LIBSVM_KERNELS:
        raise Malformed(path, f"kernel is {kernel!r}; expected one of {_LIBSVM_KERNELS}", _SVM)
    kernel_matrix = callable(kernel) or kernel == "precomputed"
    if sparse and kernel_matrix:
        raise Malformed(
            path, f"kernel is {'a callable' if callable(kernel) else repr(kernel)} on sparse "
            "support vectors; scikit-learn never fits that, and sparse libsvm would read X "
            "at indices taken from the support vectors' values", _SVM
        )
    degree = attributes.get("degree")
    if not is_int(degree) or not 0 <= degree < 2**31:
        raise Malformed(path, f"degree is {degree!r}; expected an integer in [0, 2**31)", _SVM)
    real_number(attributes["_gamma"], "_gamma", path, _SVM, minimum=0)
    real_number(attributes.get("coef0"), "coef0", path, _SVM)
    # (a callable kernel makes a kernel matrix of shape_fit_[0] columns, checked at predict)
    n_features = None if callable(kernel) else int_attribute(svm, "n_features_in_", path,
                                                              kind=_SVM)
    fit_status = attributes["fit_status_"]
    if not is_int(fit_status) or fit_status not in (0, 1):
        raise Malformed(path, f"fit_status_ is {fit_status!r}; expected 0 or 1", _SVM)
    shape_fit = attributes["shape_fit_"]
    if not isinstance(shape_fit, tuple) or len(shape_fit) not in (1, 2) \
            or not all(is_int(n) and n >= 1 for n in shape_fit) \
            or (len(shape_fit) == 1 and not callable(kernel)):
        raise Malformed(path, f"shape_fit_ is {shape_fit!r}; expected the training data's "
                               "shape (n_samples, n_features)", _SVM)
    n_train = int(shape_fit[0])
    if not callable(kernel):
        expected = (n_features, n_features) if kernel_matrix else (n_train, n_features)
        if tuple(shape_fit) != expected:
            raise Malformed(path, f"shape_fit_ is {shape_fit!r}; expected {expected}", _SVM)

    support = dense(attributes["support_"], "support_", path, _SVM, INT32, 1)
    n_sv = len(support)
    # with a kernel matrix libsvm reads column support_[i] of X (checked to be n_train wide)
    bad = np.flatnonzero((support < 0) | (support >= n_train))
    if bad.size:
        raise Malformed(path, f"support_ holds index {int(support[bad[0]])}; expected indices "
                               f"in [0, {n_train})", _SVM)
    n_support = dense(attributes["_n_support"], "_n_support", path, _SVM, INT32, 1)
    if (n_support < 0).any():
        raise Malformed(path, f"_n_support holds a negative count ({n_support.tolist()})", _SVM)
    if classify:
        n_class = len(n_support)
        classes = attributes.get("classes_")
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or n_class < 2 \
                or len(classes) != n_class:
            raise Malformed(
                path, f"_n_support has {n_class} entries and classes_ is "
                f"{describe(classes)}; expected one count per class, at least 2", _SVM
            )
        if int(n_support.sum()) != n_sv:
            raise Malformed(path, f"_n_support sums to {int(n_support.sum())}; expected "
                                   f"{n_sv}, the length of support_", _SVM)
    else:  # regression and one-class: two counts, the first of them the support vectors
        n_class = 2
        if len(n_support) != 2:
            raise Malformed(path, f"_n_support has {len(n_support)} entries; expected 2", _SVM)
        if n_support[0] != n_sv:
            raise Malformed(path, f"_n_support[0] is {int(n_support[0])}; expected {n_sv}, "
                                   "the length of support_", _SVM)
    n_pairs = n_class * (n_class - 1) // 2

    if sparse:
        check_csr(attributes["support_vectors_"], "support_vectors_", (n_sv, n_features),
                   path, _SVM)
        for name in ("_dual_coef_", "dual_coef_"):
            coef = attributes[name]
            # (only its values reach libsvm, row after row)
            check_csr(coef, name, coef.shape if is_sparse(coef) else None, path, _SVM,
                       index_dtypes=(np.dtype(np.int32), np.dtype(np.int64)))
            if coef.data.size != (n_class - 1) * n_sv or (n_sv and coef.shape !=
                                                           (n_class - 1, n_sv)):
                raise Malformed(
                    path, f"{name} has shape {coef.shape} with {coef.data.size} stored values; "
                    f"expected ({n_class - 1}, {n_sv}), every value stored", _SVM
                )
            expect_finite(coef.data, name, path, _SVM)
    else:
        vectors = dense(attributes["support_vectors_"], "support_vectors_", path, _SVM,
                         FLOAT64, 2)
        if not kernel_matrix:  # (with a kernel matrix libsvm does not read them)
            expect_shape(vectors, "support_vectors_", path, _SVM, (n_sv, n_features))
        for name in ("_dual_coef_", "dual_coef_"):
            coef = dense(attributes[name], name, path, _SVM, FLOAT64, 2)
            expect_shape(coef, name, path, _SVM, (n_class - 1, n_sv))
            expect_finite(coef, name, path, _SVM)
    for name in ("_intercept_", "intercept_"):
        intercept = dense(attributes[name], name, path, _SVM, FLOAT64, 1)
        expect_shape(intercept, name, path, _SVM, (n_pairs,))
        expect_finite(intercept, name, path, _SVM)
    # libsvm copies one pair of sigmoid coefficients per pair of classes when the model
    # makes probability estimates (predict_proba; any prediction on sparse data)
    if "_effective_probability" in attributes:  # scikit-learn >= 1.9
        probability = attributes["_effective_probability"]
    else:
        probability = attributes.get("probability", False)
    if not isinstance(probability, (bool, np.bool_)):
        raise Malformed(path, f"probability is {probability!r}; expected True or False", _SVM)
    shapes = ((n_pairs,),) if probability else ((0,), (n_pairs,))
    for name in ("_probA", "_probB"):
        expect_shape(dense(attributes[name], name, path, _SVM, FLOAT64, 1), name, path, _SVM,
                      *shapes)
    if attributes["_probA"].shape != attributes["_probB"].shape:
        raise Malformed(path, f"_probA has shape {attributes['_probA'].shape} but _probB "
                               f"{attributes['_probB'].shape}; expected the same", _SVM)
    if "class_weight_" in attributes:
        weights = attributes["class_weight_"]
        if not isinstance(weights, np.ndarray) or weights.dtype not in FLOAT64 \
                or weights.ndim != 1 or (classify and len(weights) != n_class):
            raise Malformed(
                path, f"class_weight_ is {describe(weights)}; expected float64 of shape "
                f"({n_class if classify else 'n_weights'},)", _SVM
            )


def _check_kmeans(kmeans, path: str) -> None:
    """Centers as wide as X, with the dtype and layout the compiled assignment takes."""
    attributes = vars(kmeans)
    if attributes.get("cluster_centers_") is None:
        return  # not fitted
    n_features = int_attribute(kmeans, "n_features_in_", path, kind=_KMEANS)
    centers = dense(attributes["cluster_centers_"], "cluster_centers_", path, _KMEANS,
                     FLOATS, 2)
    if centers.shape[0] < 1 or centers.shape[1] != n_features:
        raise Malformed(path, f"cluster_centers_ has shape {centers.shape}; expected "
                               f"(n_clusters, {n_features})", _KMEANS)
    expect_finite(centers, "cluster_centers_", path, _KMEANS)
    if "_n_threads" in attributes:
        n_threads = attributes["_n_threads"]
        if not is_int(n_threads) or not 1 <= n_threads <= _MAX_THREADS:
            raise Malformed(path, f"_n_threads is {n_threads!r}; expected an integer in "
                                   f"[1, {_MAX_THREADS}]", _KMEANS)
    if attributes.get("_counts") is not None:  # MiniBatchKMeans: partial_fit adds to them
        counts = dense(attributes["_counts"], "_counts", path, _KMEANS, FLOATS, 1)
        expect_shape(counts, "_counts", path, _KMEANS, (len(centers),))


def _check_neighbors(neighbors, path: str) -> None:
    """Training rows as wide as X; classifiers' label codes within their classes."""
    attributes = vars(neighbors)
    fit_x = attributes.get("_fit_X")
    if fit_x is None:
        return  # not fitted
    n_features = int_attribute(neighbors, "n_features_in_", path, kind=_NEIGHBORS)
    if is_sparse(fit_x):
        rows = fit_x.shape[0]
        check_csr(fit_x, "_fit_X", (rows, n_features), path, _NEIGHBORS, data_dtypes=FLOATS,
                   index_dtypes=(np.dtype(np.int32), np.dtype(np.int64)))
    else:
        if not isinstance(fit_x, np.ndarray) or fit_x.ndim != 2 \
                or fit_x.dtype.kind not in "biuf" or fit_x.shape[1] != n_features:
            raise Malformed(path, f"_fit_X has shape {getattr(fit_x, 'shape', None)}; expected "
                                   f"(n_samples, {n_features})", _NEIGHBORS)
        rows = fit_x.shape[0]
    n_samples_fit = attributes.get("n_samples_fit_", rows)
    if n_samples_fit != rows:
        raise Malformed(path, f"n_samples_fit_ is {n_samples_fit!r} but _fit_X has {rows} rows",
                         _NEIGHBORS)
    y = attributes.get("_y")
    if y is None:
        return
    if not isinstance(y, np.ndarray) or y.ndim not in (1, 2) or y.shape[0] != rows:
        raise Malformed(path, f"_y is {describe(y)}; expected one entry per row of _fit_X "
                               f"({rows})", _NEIGHBORS)
    classes = attributes.get("classes_")
    if classes is None:
        return  # a regressor: numpy reads _y
    columns = y.reshape(rows, -1).T
    class_lists = [classes] if y.ndim == 1 else classes
    if not isinstance(class_lists, (list, tuple)) or len(class_lists) != len(columns):
        raise Malformed(path, f"_y has shape {y.shape} but classes_ is "
                               f"{type(classes).__name__}; expected the classes of each of "
                               f"{len(columns)} outputs", _NEIGHBORS)
    for codes, known in zip(columns, class_lists, strict=True):
        if codes.dtype.kind not in "iu":
            raise Malformed(path, f"_y is {describe(y)}; expected integer class codes",
                             _NEIGHBORS)
        bad = np.flatnonzero((codes < 0) | (codes >= len(known)))
        if bad.size:
            raise Malformed(path, f"_y holds class code {int(codes[bad[0]])}; expected codes "
                                   f"in [0, {len(known)})", _NEIGHBORS)


def check_loaded_model(model, where: str) -> None:
    """Refuse a model whose state scikit-learn's compiled code cannot read safely.

    Walks every object reachable from ``model`` (attributes, lists, tuples, dicts, sets,
    object arrays: forests' ``estimators_``, pipeline steps, calibrated classifiers,
    histogram gradient boosting's ``_predictors``) and checks every ``Tree`` and
    ``TreePredictor`` and the estimators that hold them, every libsvm model, every
    k-means model and every nearest-neighbors model (module docstring).

    Parameters
    ----------
    model : object
        A freshly loaded estimator.
    where : str
        How to name the file in error messages.

    Raises
    ------
    ValueError
        ``"<where>: <path> has a malformed <kind>: <what>"`` for the first violation,
        ``<kind>`` being "tree", "support vector machine", "k-means model" or
        "nearest-neighbors model". Trees: a child index that is not a later node (out
        of range, or a cycle), a node with two parents, a split feature outside
        ``[0, n_features)``, a NaN threshold, non-finite values, a ``node_count`` or
        ``max_depth`` that disagrees with the nodes, a tree whose width or outputs
        differ from the estimator holding it, a categorical bitset row that does not
        exist, or array shapes that disagree (``estimators_`` columns,
        ``_baseline_prediction``, ``_bin_mapper``). libsvm models: counts in
        ``_n_support`` that are negative or do not add up to the support vectors,
        ``support_vectors_``, ``_dual_coef_``, ``_intercept_``, ``_probA`` or
        ``_probB`` of another shape than the counts and ``n_features_in_`` give, arrays
        of another dtype or layout than libsvm takes, a ``support_`` index beyond the
        training rows, a malformed sparse matrix, an unknown kernel (or a kernel matrix
        on sparse data), non-finite coefficients or kernel parameters, or ``_impl``
        set on the instance. k-means: ``cluster_centers_`` not ``n_features_in_`` wide,
        ``_counts`` not one per center, ``_n_threads`` out of range. Neighbors:
        ``_fit_X`` not ``n_features_in_`` wide, ``_y`` not one entry per training row
        or holding class codes beyond ``classes_``.

    Notes
    -----
    Two widths are known only when ``predict`` runs, and are not checked: the
    columns a histogram gradient boosting model's categorical preprocessor puts
    out (such a model holds ``check_array`` in a ``functools.partial`` and loads only
    with ``trusted=``), and the columns of a gradient boosting ``init_`` estimator
    other than the default ``DummyClassifier`` / ``DummyRegressor`` or ``"zero"``.
    """
    from sklearn.cluster._kmeans import _BaseKMeans
    from sklearn.ensemble import BaseEnsemble
    from sklearn.ensemble._gb import BaseGradientBoosting
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
        BaseHistGradientBoosting,
    )
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.neighbors._base import NeighborsBase
    from sklearn.svm._base import BaseLibSVM
    from sklearn.tree._tree import Tree

    checked: dict[int, object] = {}  # id -> checked tree or predictor nodes

    def tree_once(tree, path):
        if id(tree) not in checked:
            check_tree(tree, path)
            checked[id(tree)] = tree

    def predictor_nodes(predictor, path):
        if id(predictor) not in checked:
            checked[id(predictor)] = check_predictor(predictor, path)
        return checked[id(predictor)]

    # the checks of an estimator, by the class it is an instance of (each that applies)
    estimator_checks = (
        (BaseEnsemble, check_ensemble),
        (BaseGradientBoosting, check_gradient_boosting),
        (BaseHistGradientBoosting,
         lambda obj, path: check_hist_gradient_boosting(obj, path, predictor_nodes)),
        (BaseLibSVM, _check_libsvm),
        (_BaseKMeans, _check_kmeans),
        (NeighborsBase, _check_neighbors),
    )
    try:
        for obj, path in _walk(model):
            if isinstance(obj, Tree):
                tree_once(obj, path)
                continue
            if isinstance(obj, TreePredictor):
                predictor_nodes(obj, path)
                continue
            attributes = getattr(obj, "__dict__", None)
            if not isinstance(attributes, dict):
                continue
            tree = attributes.get("tree_")
            if isinstance(tree, Tree):
                tree_once(tree, f"{path}.tree_")
                check_tree_owner(obj, tree, path)
            for kind, check in estimator_checks:
                if isinstance(obj, kind):
                    check(obj, path)
    except Malformed as exc:
        raise ValueError(
            f"{where}: {exc.path} has a malformed {exc.kind}: {exc.message}."
        ) from None
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        # attributes of the wrong type where the checks expect arrays and numbers
        raise ValueError(
            f"{where}: a model in it is malformed ({type(exc).__name__}: {exc})."
        ) from None
