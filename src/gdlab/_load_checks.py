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

This is the one place gdlab reads scikit-learn's private fitted layout.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_loaded_model"]

#: ``feature`` and ``threshold`` of a leaf, and ``left_child`` / ``right_child`` of a
#: leaf, as ``sklearn.tree._tree`` writes them.
_TREE_UNDEFINED = -2
_TREE_LEAF = -1
#: Width of one categorical bitset row (``uint32[8]``: 256 categories).
_BITSET_WORDS = 8
_SCALARS = (str, bytes, bytearray, int, float, complex, type(None), np.generic)


class _Malformed(Exception):
    """A violation found by a check; :func:`check_loaded_model` adds the file name.

    ``kind`` names what is malformed in the message ("a malformed tree").
    """

    def __init__(self, path: str, message: str, kind: str = "tree"):
        super().__init__(path, message)
        self.path, self.message, self.kind = path, message, kind


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


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _int_attribute(obj, name: str, path: str, minimum: int = 1, kind: str = "tree") -> int:
    value = vars(obj).get(name)
    if not _is_int(value) or value < minimum:
        raise _Malformed(path, f"{name} is {value!r}; expected an integer >= {minimum}", kind)
    return int(value)


def _check_children(left, right, internal, path: str) -> int:
    """Check that the split nodes' children form one tree rooted at node 0; its depth.

    Every child index must lie in ``(parent, n_nodes)``: strictly after its parent,
    which also rules out cycles, and every node but the root must be the child of
    exactly one node (so a traversal that pushes both children, as partial
    dependence does, visits each node once and fits a stack of ``n_nodes``).
    """
    n = len(left)
    parents = np.flatnonzero(internal)
    for side, child in (("left", left[parents]), ("right", right[parents])):
        child = child.astype(np.int64)
        bad = (child <= parents) | (child >= n)
        if bad.any():
            i = int(parents[bad][0])
            raise _Malformed(
                path, f"node {i} has {side} child {int(child[bad][0])}; expected a later "
                f"node, an index in ({i}, {n})"
            )
    children = np.concatenate([left[parents], right[parents]]).astype(np.int64)
    counts = np.bincount(children, minlength=n)
    wrong = np.flatnonzero(counts[1:] != 1) + 1
    if wrong.size:
        j = int(wrong[0])
        raise _Malformed(
            path, f"node {j} is the child of {int(counts[j])} nodes; expected exactly 1"
        )
    depth, frontier = 0, np.zeros(1, dtype=np.int64)
    while True:  # ends: children come after their parents
        frontier = frontier[internal[frontier]]
        if not frontier.size:
            return depth
        frontier = np.concatenate([left[frontier], right[frontier]]).astype(np.int64)
        depth += 1


def _check_tree(tree, path: str) -> None:
    """The structure of one ``sklearn.tree._tree.Tree`` (owner checks are separate)."""
    n_features, n_outputs = tree.n_features, tree.n_outputs
    n_classes = np.asarray(tree.n_classes)
    if n_features < 1:
        raise _Malformed(path, f"n_features is {n_features}; expected at least 1")
    if n_outputs < 1 or n_classes.shape != (n_outputs,) or (n_classes < 1).any() \
            or tree.max_n_classes != n_classes.max():
        raise _Malformed(
            path, f"n_outputs is {n_outputs}, n_classes {n_classes.tolist()} and "
            f"max_n_classes {tree.max_n_classes}; expected n_outputs >= 1 counts of "
            "at least 1 whose largest is max_n_classes"
        )
    # node_count sizes the views below: check it against the nodes allocated first
    node_count, capacity = tree.node_count, tree.capacity
    if not 1 <= node_count == capacity:
        raise _Malformed(
            path, f"node_count is {node_count} for {capacity} stored nodes; expected "
            "equal counts, at least 1"
        )
    state = tree.__getstate__()
    nodes, values = state["nodes"], state["values"]
    left, right = nodes["left_child"], nodes["right_child"]
    leaf = left == _TREE_LEAF
    half = np.flatnonzero(leaf & (right != _TREE_LEAF))
    if half.size:
        i = int(half[0])
        raise _Malformed(
            path, f"node {i} has no left child but right child {int(right[i])}; expected "
            f"both {_TREE_LEAF} (a leaf) or both set"
        )
    depth = _check_children(left, right, ~leaf, path)
    feature = nodes["feature"]
    bad = np.flatnonzero(~leaf & ((feature < 0) | (feature >= n_features))
                         | leaf & (feature != _TREE_UNDEFINED))
    if bad.size:
        i = int(bad[0])
        expected = f"{_TREE_UNDEFINED} at a leaf" if leaf[i] else f"in [0, {n_features})"
        raise _Malformed(path, f"node {i} splits on feature {int(feature[i])}; expected {expected}")
    threshold = nodes["threshold"]
    # +inf is a real threshold: the split that sends only missing values right
    bad = np.flatnonzero(~leaf & (np.isnan(threshold) | (threshold == -np.inf)))
    if bad.size:
        i = int(bad[0])
        raise _Malformed(path, f"node {i} has threshold {threshold[i]}; expected a number")
    if not np.isfinite(values).all():
        raise _Malformed(path, "values are not all finite")
    if tree.max_depth != depth:
        raise _Malformed(path, f"max_depth is {tree.max_depth} but the nodes are {depth} deep")


def _check_tree_owner(owner, tree, path: str) -> None:
    """An estimator holding ``tree_``: the tree reads X of the width the owner checks."""
    if "n_features_in_" not in vars(owner):
        raise _Malformed(path, "holds tree_ but no n_features_in_ (X's width goes unchecked)")
    n_features_in = _int_attribute(owner, "n_features_in_", path)
    if tree.n_features != n_features_in:
        raise _Malformed(
            f"{path}.tree_", f"n_features is {tree.n_features} but the estimator holding it "
            f"takes {n_features_in} features"
        )
    n_outputs = vars(owner).get("n_outputs_")
    if n_outputs is not None and n_outputs != tree.n_outputs:
        raise _Malformed(
            f"{path}.tree_", f"n_outputs is {tree.n_outputs} but the estimator says {n_outputs}"
        )
    n_classes = vars(owner).get("n_classes_")
    if n_classes is not None and not np.array_equal(
            np.atleast_1d(np.asarray(n_classes)), np.asarray(tree.n_classes)):
        raise _Malformed(
            f"{path}.tree_", f"n_classes is {np.asarray(tree.n_classes).tolist()} but the "
            f"estimator says {n_classes!r}"
        )


def _check_ensemble(ensemble, path: str) -> None:
    """Tree estimators in ``estimators_`` see X of the ensemble's width (or a subset's).

    Forests and gradient boosting call their trees with ``check_input=False``, so a
    tree's width is only checked here; bagging and isolation forests pass each tree
    the columns ``estimators_features_[i]``.
    """
    members = vars(ensemble).get("estimators_")
    if not isinstance(members, (list, tuple, np.ndarray)) \
            or "n_features_in_" not in vars(ensemble):
        return
    width = _int_attribute(ensemble, "n_features_in_", path)
    flat = list(np.asarray(members, dtype=object).ravel()) \
        if isinstance(members, np.ndarray) else list(members)
    subsets = vars(ensemble).get("estimators_features_")
    if subsets is not None and (
            not isinstance(subsets, (list, tuple)) or len(subsets) != len(flat)
            or not all(isinstance(s, np.ndarray) and s.ndim == 1 for s in subsets)):
        raise _Malformed(
            path, f"has {len(flat)} estimators_ but estimators_features_ is not a list of as "
            "many 1-D arrays of columns"
        )
    for i, member in enumerate(flat):
        if "tree_" not in getattr(member, "__dict__", {}):
            continue
        expected = width if subsets is None else len(subsets[i])
        got = vars(member).get("n_features_in_")
        if got != expected:
            raise _Malformed(
                f"{path}.estimators_[{i}]", f"takes {got!r} features but is given {expected}"
            )


def _check_gradient_boosting(gb, path: str) -> None:
    """``predict_stages`` writes ``out[i, k]`` for every column ``k`` of ``estimators_``."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.tree._tree import Tree

    attributes = vars(gb)
    stages = attributes.get("estimators_")
    if stages is None:
        return
    k = _int_attribute(gb, "n_trees_per_iteration_", path)
    width = _int_attribute(gb, "n_features_in_", path)
    if not isinstance(stages, np.ndarray) or stages.dtype != object or stages.ndim != 2 \
            or stages.shape[0] < 1 or stages.shape[1] != k:
        shape = getattr(stages, "shape", type(stages).__name__)
        raise _Malformed(
            path, f"estimators_ is {shape}; expected an object array of shape "
            f"(n_estimators, n_trees_per_iteration_={k})"
        )
    for index in np.ndindex(stages.shape):
        tree = getattr(stages[index], "__dict__", {}).get("tree_")
        if not isinstance(tree, Tree) or tree.n_features != width or tree.n_outputs != 1:
            raise _Malformed(
                f"{path}.estimators_[{index[0]}, {index[1]}]",
                f"expected a one-output regression tree on {width} features"
            )
    loss = attributes.get("_loss")
    if k > 1 and getattr(loss, "is_multiclass", None) is not True:
        raise _Malformed(path, f"has {k} trees per iteration but its loss is not multiclass")
    init = attributes.get("init_")
    # the initial raw predictions must have k columns; the default init estimators
    # are checked here (another estimator's output width is not known before predict)
    if isinstance(init, DummyClassifier):
        n_classes = vars(init).get("n_classes_")
        prior = np.asarray(vars(init).get("class_prior_"))
        if vars(init).get("n_outputs_") != 1 or not isinstance(n_classes, (int, np.integer)) \
                or prior.shape != (n_classes,) or (k > 1 and n_classes != k):
            raise _Malformed(
                f"{path}.init_", f"predicts {n_classes!r} classes with priors of shape "
                f"{prior.shape}; expected one output of {k if k > 1 else 'any number of'} classes"
            )
    elif isinstance(init, DummyRegressor):
        if vars(init).get("n_outputs_") != 1 or k != 1:
            raise _Malformed(f"{path}.init_", "expected a one-output initial regressor")


def _check_predictor(predictor, path: str) -> np.ndarray:
    """The structure of one histogram gradient boosting ``TreePredictor``; its nodes."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = vars(predictor).get("nodes")
    if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE \
            or nodes.ndim != 1 or len(nodes) < 1:
        raise _Malformed(
            path, f"nodes is {getattr(nodes, 'dtype', type(nodes).__name__)} of shape "
            f"{getattr(nodes, 'shape', None)}; expected a 1-D array of the predictor "
            "record dtype with at least one node"
        )
    internal = nodes["is_leaf"] == 0
    _check_children(nodes["left"], nodes["right"], internal, path)
    feature = nodes["feature_idx"]
    bad = np.flatnonzero(internal & (feature < 0))
    if bad.size:
        i = int(bad[0])
        raise _Malformed(path, f"node {i} splits on feature {int(feature[i])}; expected >= 0")
    bad = np.flatnonzero(internal & np.isnan(nodes["num_threshold"]))
    if bad.size:
        raise _Malformed(path, f"node {int(bad[0])} has threshold nan; expected a number")
    if not np.isfinite(nodes["value"][~internal]).all():
        raise _Malformed(path, "leaf values are not all finite")
    categorical = np.flatnonzero(internal & (nodes["is_categorical"] != 0))
    for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        bitsets = vars(predictor).get(name)
        if not isinstance(bitsets, np.ndarray) or bitsets.dtype != np.uint32 \
                or bitsets.ndim != 2 or bitsets.shape[1] != _BITSET_WORDS:
            raise _Malformed(
                path, f"{name} is {getattr(bitsets, 'dtype', type(bitsets).__name__)} of "
                f"shape {getattr(bitsets, 'shape', None)}; expected uint32 of shape "
                f"(n_bitsets, {_BITSET_WORDS})"
            )
        row = nodes["bitset_idx"][categorical]
        bad = row >= bitsets.shape[0]
        if bad.any():
            raise _Malformed(
                path, f"node {int(categorical[bad][0])} uses bitset {int(row[bad][0])} of "
                f"{name}, which has {bitsets.shape[0]} rows"
            )
    return nodes


def _check_hist_gradient_boosting(hgb, path: str, check_predictor) -> None:
    """Each TreePredictor reads X of the model's width; categorical splits read bitsets."""
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    attributes = vars(hgb)
    if attributes.get("_in_fit", False) is not False:
        raise _Malformed(path, "is marked as in the middle of fit (_in_fit); a saved model "
                               "never is")
    predictors = attributes.get("_predictors")
    if predictors is None:
        return
    k = _int_attribute(hgb, "n_trees_per_iteration_", path)
    width = _int_attribute(hgb, "n_features_in_", path)
    baseline = attributes.get("_baseline_prediction")
    if not isinstance(baseline, np.ndarray) or baseline.shape != (1, k):
        raise _Malformed(
            path, f"_baseline_prediction has shape {getattr(baseline, 'shape', None)}; "
            f"expected (1, n_trees_per_iteration_={k})"
        )
    mapper = getattr(attributes.get("_bin_mapper"), "__dict__", {})
    is_categorical = mapper.get("is_categorical_")
    if not isinstance(is_categorical, np.ndarray) or is_categorical.shape != (width,):
        raise _Malformed(
            f"{path}._bin_mapper", f"is_categorical_ has shape "
            f"{getattr(is_categorical, 'shape', None)}; expected ({width},)"
        )
    thresholds = mapper.get("bin_thresholds_")
    if not isinstance(thresholds, list) or len(thresholds) != width:
        raise _Malformed(f"{path}._bin_mapper", f"bin_thresholds_ must list {width} arrays")
    if not isinstance(predictors, list):
        raise _Malformed(path, "_predictors is not a list")
    for i, stage in enumerate(predictors):
        if not isinstance(stage, list) or len(stage) != k:
            raise _Malformed(
                f"{path}._predictors[{i}]", f"expected a list of n_trees_per_iteration_={k} "
                "predictors"
            )
        for j, predictor in enumerate(stage):
            where = f"{path}._predictors[{i}][{j}]"
            if not isinstance(predictor, TreePredictor):
                raise _Malformed(where, f"is {type(predictor).__name__}; expected TreePredictor")
            nodes = check_predictor(predictor, where)
            internal = nodes["is_leaf"] == 0
            feature = nodes["feature_idx"]
            bad = np.flatnonzero(internal & (feature >= width))
            if bad.size:
                n = int(bad[0])
                raise _Malformed(
                    where, f"node {n} splits on feature {int(feature[n])}; expected one of "
                    f"[0, {width})"
                )
            # a categorical split looks its feature up among the categorical ones
            bad = np.flatnonzero(internal & (nodes["is_categorical"] != 0))
            bad = bad[is_categorical[feature[bad]] == 0]
            if bad.size:
                n = int(bad[0])
                raise _Malformed(
                    where, f"node {n} is a categorical split on feature {int(feature[n])}, "
                    "which is not categorical"
                )


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
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT64 = (np.dtype(np.float64),)
_INT32 = (np.dtype(np.int32),)


def _describe(value) -> str:
    """``float64 of shape (3, 2)`` for an array or sparse matrix, else the type's name."""
    if isinstance(value, np.ndarray) or _is_sparse(value):
        return f"{value.dtype} of shape {value.shape}"
    return type(value).__name__


def _is_sparse(value) -> bool:
    import scipy.sparse as sparse

    return sparse.issparse(value)


def _dense(value, name: str, path: str, kind: str, dtypes, ndim: int) -> np.ndarray:
    """``value`` when it is a C-contiguous ndarray of one of ``dtypes`` with ``ndim`` axes.

    The compiled code takes typed, C-contiguous buffers of these dtypes.
    """
    if not isinstance(value, np.ndarray) or value.dtype not in dtypes \
            or value.ndim != ndim or not value.flags.c_contiguous:
        expected = " or ".join(str(d) for d in dtypes)
        raise _Malformed(
            path, f"{name} is {_describe(value)}; expected {expected}, {ndim}-D, C-contiguous",
            kind,
        )
    return value


def _expect_shape(value, name: str, path: str, kind: str, *shapes) -> None:
    if value.shape not in shapes:
        raise _Malformed(
            path, f"{name} has shape {value.shape}; expected "
            f"{' or '.join(str(shape) for shape in shapes)}", kind
        )


def _finite(value, name: str, path: str, kind: str) -> None:
    if not np.isfinite(value).all():
        raise _Malformed(path, f"{name} holds values that are not finite", kind)


def _check_csr(matrix, name: str, shape, path: str, kind: str, data_dtypes=_FLOAT64,
               index_dtypes=_INT32) -> None:
    """A CSR matrix of ``shape`` whose row offsets and columns index its stored values.

    Compiled code converts each row ``i`` to ``indptr[i + 1] - indptr[i]`` values read
    from ``data`` and ``indices`` (a negative count writes before its buffer).
    """
    if not _is_sparse(matrix) or matrix.format != "csr":
        raise _Malformed(path, f"{name} is {_describe(matrix)} ({type(matrix).__name__}); "
                               "expected a CSR sparse matrix", kind)
    if matrix.shape != shape:
        raise _Malformed(path, f"{name} has shape {matrix.shape}; expected {shape}", kind)
    for part, dtypes in (("data", data_dtypes), ("indices", index_dtypes),
                         ("indptr", index_dtypes)):
        _dense(getattr(matrix, part), f"{name}.{part}", path, kind, dtypes, 1)
    data, indices, indptr = matrix.data, matrix.indices, matrix.indptr
    if len(indptr) != shape[0] + 1 or len(indices) != len(data) or indptr[0] != 0 \
            or indptr[-1] != len(data) or (np.diff(indptr) < 0).any():
        raise _Malformed(
            path, f"{name} has indptr {indptr.tolist()[:8]}{'...' if len(indptr) > 8 else ''} "
            f"({len(indptr)} offsets) for {len(data)} stored values and {len(indices)} "
            f"column indices; expected {shape[0] + 1} non-decreasing offsets from 0 to "
            f"{len(data)}", kind
        )
    if indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
        column = indices.min() if indices.min() < 0 else indices.max()
        raise _Malformed(
            path, f"{name} holds column {int(column)}; expected columns in [0, {shape[1]})", kind
        )


def _real(value, name: str, path: str, kind: str, minimum=None) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)) \
            or not np.isfinite(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise _Malformed(path, f"{name} is {value!r}; expected a finite number{bound}", kind)
    return float(value)


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
        raise _Malformed(path, f"holds {present} but not {missing}", _SVM)
    for name in ("_impl", "_sparse_kernels"):  # class attributes that select the code
        if name in attributes:
            raise _Malformed(
                path, f"{name} is set on the instance ({attributes[name]!r}); it belongs to "
                f"the class ({getattr(type(svm), name, None)!r})", _SVM
            )
    classify = type(svm)._impl in ("c_svc", "nu_svc")
    sparse = attributes["_sparse"]
    if not isinstance(sparse, (bool, np.bool_)):
        raise _Malformed(path, f"_sparse is {sparse!r}; expected True or False", _SVM)
    kernel = attributes.get("kernel")
    if not callable(kernel) and kernel not in _LIBSVM_KERNELS:
        raise _Malformed(path, f"kernel is {kernel!r}; expected one of {_LIBSVM_KERNELS}", _SVM)
    kernel_matrix = callable(kernel) or kernel == "precomputed"
    if sparse and kernel_matrix:
        raise _Malformed(
            path, f"kernel is {'a callable' if callable(kernel) else repr(kernel)} on sparse "
            "support vectors; scikit-learn never fits that, and sparse libsvm would read X "
            "at indices taken from the support vectors' values", _SVM
        )
    degree = attributes.get("degree")
    if not _is_int(degree) or not 0 <= degree < 2**31:
        raise _Malformed(path, f"degree is {degree!r}; expected an integer in [0, 2**31)", _SVM)
    _real(attributes["_gamma"], "_gamma", path, _SVM, minimum=0)
    _real(attributes.get("coef0"), "coef0", path, _SVM)
    # (a callable kernel makes a kernel matrix of shape_fit_[0] columns, checked at predict)
    n_features = None if callable(kernel) else _int_attribute(svm, "n_features_in_", path,
                                                              kind=_SVM)
    fit_status = attributes["fit_status_"]
    if not _is_int(fit_status) or fit_status not in (0, 1):
        raise _Malformed(path, f"fit_status_ is {fit_status!r}; expected 0 or 1", _SVM)
    shape_fit = attributes["shape_fit_"]
    if not isinstance(shape_fit, tuple) or len(shape_fit) not in (1, 2) \
            or not all(_is_int(n) and n >= 1 for n in shape_fit) \
            or (len(shape_fit) == 1 and not callable(kernel)):
        raise _Malformed(path, f"shape_fit_ is {shape_fit!r}; expected the training data's "
                               "shape (n_samples, n_features)", _SVM)
    n_train = int(shape_fit[0])
    if not callable(kernel):
        expected = (n_features, n_features) if kernel_matrix else (n_train, n_features)
        if tuple(shape_fit) != expected:
            raise _Malformed(path, f"shape_fit_ is {shape_fit!r}; expected {expected}", _SVM)

    support = _dense(attributes["support_"], "support_", path, _SVM, _INT32, 1)
    n_sv = len(support)
    # with a kernel matrix libsvm reads column support_[i] of X (checked to be n_train wide)
    bad = np.flatnonzero((support < 0) | (support >= n_train))
    if bad.size:
        raise _Malformed(path, f"support_ holds index {int(support[bad[0]])}; expected indices "
                               f"in [0, {n_train})", _SVM)
    n_support = _dense(attributes["_n_support"], "_n_support", path, _SVM, _INT32, 1)
    if (n_support < 0).any():
        raise _Malformed(path, f"_n_support holds a negative count ({n_support.tolist()})", _SVM)
    if classify:
        n_class = len(n_support)
        classes = attributes.get("classes_")
        if not isinstance(classes, np.ndarray) or classes.ndim != 1 or n_class < 2 \
                or len(classes) != n_class:
            raise _Malformed(
                path, f"_n_support has {n_class} entries and classes_ is "
                f"{_describe(classes)}; expected one count per class, at least 2", _SVM
            )
        if int(n_support.sum()) != n_sv:
            raise _Malformed(path, f"_n_support sums to {int(n_support.sum())}; expected "
                                   f"{n_sv}, the length of support_", _SVM)
    else:  # regression and one-class: two counts, the first of them the support vectors
        n_class = 2
        if len(n_support) != 2:
            raise _Malformed(path, f"_n_support has {len(n_support)} entries; expected 2", _SVM)
        if n_support[0] != n_sv:
            raise _Malformed(path, f"_n_support[0] is {int(n_support[0])}; expected {n_sv}, "
                                   "the length of support_", _SVM)
    n_pairs = n_class * (n_class - 1) // 2

    if sparse:
        _check_csr(attributes["support_vectors_"], "support_vectors_", (n_sv, n_features),
                   path, _SVM)
        for name in ("_dual_coef_", "dual_coef_"):
            coef = attributes[name]
            # (only its values reach libsvm, row after row)
            _check_csr(coef, name, coef.shape if _is_sparse(coef) else None, path, _SVM,
                       index_dtypes=(np.dtype(np.int32), np.dtype(np.int64)))
            if coef.data.size != (n_class - 1) * n_sv or (n_sv and coef.shape !=
                                                           (n_class - 1, n_sv)):
                raise _Malformed(
                    path, f"{name} has shape {coef.shape} with {coef.data.size} stored values; "
                    f"expected ({n_class - 1}, {n_sv}), every value stored", _SVM
                )
            _finite(coef.data, name, path, _SVM)
    else:
        vectors = _dense(attributes["support_vectors_"], "support_vectors_", path, _SVM,
                         _FLOAT64, 2)
        if not kernel_matrix:  # (with a kernel matrix libsvm does not read them)
            _expect_shape(vectors, "support_vectors_", path, _SVM, (n_sv, n_features))
        for name in ("_dual_coef_", "dual_coef_"):
            coef = _dense(attributes[name], name, path, _SVM, _FLOAT64, 2)
            _expect_shape(coef, name, path, _SVM, (n_class - 1, n_sv))
            _finite(coef, name, path, _SVM)
    for name in ("_intercept_", "intercept_"):
        intercept = _dense(attributes[name], name, path, _SVM, _FLOAT64, 1)
        _expect_shape(intercept, name, path, _SVM, (n_pairs,))
        _finite(intercept, name, path, _SVM)
    # libsvm copies one pair of sigmoid coefficients per pair of classes when the model
    # makes probability estimates (predict_proba; any prediction on sparse data)
    if "_effective_probability" in attributes:  # scikit-learn >= 1.9
        probability = attributes["_effective_probability"]
    else:
        probability = attributes.get("probability", False)
    if not isinstance(probability, (bool, np.bool_)):
        raise _Malformed(path, f"probability is {probability!r}; expected True or False", _SVM)
    shapes = ((n_pairs,),) if probability else ((0,), (n_pairs,))
    for name in ("_probA", "_probB"):
        _expect_shape(_dense(attributes[name], name, path, _SVM, _FLOAT64, 1), name, path, _SVM,
                      *shapes)
    if attributes["_probA"].shape != attributes["_probB"].shape:
        raise _Malformed(path, f"_probA has shape {attributes['_probA'].shape} but _probB "
                               f"{attributes['_probB'].shape}; expected the same", _SVM)
    if "class_weight_" in attributes:
        weights = attributes["class_weight_"]
        if not isinstance(weights, np.ndarray) or weights.dtype not in _FLOAT64 \
                or weights.ndim != 1 or (classify and len(weights) != n_class):
            raise _Malformed(
                path, f"class_weight_ is {_describe(weights)}; expected float64 of shape "
                f"({n_class if classify else 'n_weights'},)", _SVM
            )


def _check_kmeans(kmeans, path: str) -> None:
    """Centers as wide as X, with the dtype and layout the compiled assignment takes."""
    attributes = vars(kmeans)
    if attributes.get("cluster_centers_") is None:
        return  # not fitted
    n_features = _int_attribute(kmeans, "n_features_in_", path, kind=_KMEANS)
    centers = _dense(attributes["cluster_centers_"], "cluster_centers_", path, _KMEANS,
                     _FLOATS, 2)
    if centers.shape[0] < 1 or centers.shape[1] != n_features:
        raise _Malformed(path, f"cluster_centers_ has shape {centers.shape}; expected "
                               f"(n_clusters, {n_features})", _KMEANS)
    _finite(centers, "cluster_centers_", path, _KMEANS)
    if "_n_threads" in attributes:
        n_threads = attributes["_n_threads"]
        if not _is_int(n_threads) or not 1 <= n_threads <= _MAX_THREADS:
            raise _Malformed(path, f"_n_threads is {n_threads!r}; expected an integer in "
                                   f"[1, {_MAX_THREADS}]", _KMEANS)
    if attributes.get("_counts") is not None:  # MiniBatchKMeans: partial_fit adds to them
        counts = _dense(attributes["_counts"], "_counts", path, _KMEANS, _FLOATS, 1)
        _expect_shape(counts, "_counts", path, _KMEANS, (len(centers),))


def _check_neighbors(neighbors, path: str) -> None:
    """Training rows as wide as X; classifiers' label codes within their classes."""
    attributes = vars(neighbors)
    fit_x = attributes.get("_fit_X")
    if fit_x is None:
        return  # not fitted
    n_features = _int_attribute(neighbors, "n_features_in_", path, kind=_NEIGHBORS)
    if _is_sparse(fit_x):
        rows = fit_x.shape[0]
        _check_csr(fit_x, "_fit_X", (rows, n_features), path, _NEIGHBORS, data_dtypes=_FLOATS,
                   index_dtypes=(np.dtype(np.int32), np.dtype(np.int64)))
    else:
        if not isinstance(fit_x, np.ndarray) or fit_x.ndim != 2 \
                or fit_x.dtype.kind not in "biuf" or fit_x.shape[1] != n_features:
            raise _Malformed(path, f"_fit_X has shape {getattr(fit_x, 'shape', None)}; expected "
                                   f"(n_samples, {n_features})", _NEIGHBORS)
        rows = fit_x.shape[0]
    n_samples_fit = attributes.get("n_samples_fit_", rows)
    if n_samples_fit != rows:
        raise _Malformed(path, f"n_samples_fit_ is {n_samples_fit!r} but _fit_X has {rows} rows",
                         _NEIGHBORS)
    y = attributes.get("_y")
    if y is None:
        return
    if not isinstance(y, np.ndarray) or y.ndim not in (1, 2) or y.shape[0] != rows:
        raise _Malformed(path, f"_y is {_describe(y)}; expected one entry per row of _fit_X "
                               f"({rows})", _NEIGHBORS)
    classes = attributes.get("classes_")
    if classes is None:
        return  # a regressor: numpy reads _y
    columns = y.reshape(rows, -1).T
    class_lists = [classes] if y.ndim == 1 else classes
    if not isinstance(class_lists, (list, tuple)) or len(class_lists) != len(columns):
        raise _Malformed(path, f"_y has shape {y.shape} but classes_ is "
                               f"{type(classes).__name__}; expected the classes of each of "
                               f"{len(columns)} outputs", _NEIGHBORS)
    for codes, known in zip(columns, class_lists, strict=True):
        if codes.dtype.kind not in "iu":
            raise _Malformed(path, f"_y is {_describe(y)}; expected integer class codes",
                             _NEIGHBORS)
        bad = np.flatnonzero((codes < 0) | (codes >= len(known)))
        if bad.size:
            raise _Malformed(path, f"_y holds class code {int(codes[bad[0]])}; expected codes "
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
            _check_tree(tree, path)
            checked[id(tree)] = tree

    def predictor_nodes(predictor, path):
        if id(predictor) not in checked:
            checked[id(predictor)] = _check_predictor(predictor, path)
        return checked[id(predictor)]

    # the checks of an estimator, by the class it is an instance of (each that applies)
    estimator_checks = (
        (BaseEnsemble, _check_ensemble),
        (BaseGradientBoosting, _check_gradient_boosting),
        (BaseHistGradientBoosting,
         lambda obj, path: _check_hist_gradient_boosting(obj, path, predictor_nodes)),
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
                _check_tree_owner(obj, tree, path)
            for kind, check in estimator_checks:
                if isinstance(obj, kind):
                    check(obj, path)
    except _Malformed as exc:
        raise ValueError(
            f"{where}: {exc.path} has a malformed {exc.kind}: {exc.message}."
        ) from None
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        # attributes of the wrong type where the checks expect arrays and numbers
        raise ValueError(
            f"{where}: a model in it is malformed ({type(exc).__name__}: {exc})."
        ) from None
