"""The load checks of trees: ``Tree``, forests, gradient boosting and its histogram variant.

What lives here: the checks that the node arrays which scikit-learn's compiled tree
code follows without bounds checks form one tree (child indices after their parent,
each node the child of one node, split features within X's width, real thresholds,
finite values, ``node_count`` and ``max_depth`` that agree with the nodes), that the
estimator holding a tree and the ensembles holding many (forests, bagging,
``predict_stages`` of gradient boosting, the ``TreePredictor`` stages of histogram
gradient boosting with their categorical bitsets) agree with it. Who uses it:
:func:`gdlab._load_checks.check_loaded_model`, which finds the trees in a loaded
model and calls these; each raises :class:`gdlab._state_checks.Malformed`.
"""

from __future__ import annotations

import numpy as np

from gdlab._state_checks import Malformed, int_attribute

__all__ = [
    "check_tree",
    "check_tree_owner",
    "check_ensemble",
    "check_gradient_boosting",
    "check_predictor",
    "check_hist_gradient_boosting",
]

#: ``feature`` and ``threshold`` of a leaf, and ``left_child`` / ``right_child`` of a
#: leaf, as ``sklearn.tree._tree`` writes them.
_TREE_UNDEFINED = -2
_TREE_LEAF = -1
#: Width of one categorical bitset row (``uint32[8]``: 256 categories).
_BITSET_WORDS = 8


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
            raise Malformed(
                path, f"node {i} has {side} child {int(child[bad][0])}; expected a later "
                f"node, an index in ({i}, {n})"
            )
    children = np.concatenate([left[parents], right[parents]]).astype(np.int64)
    counts = np.bincount(children, minlength=n)
    wrong = np.flatnonzero(counts[1:] != 1) + 1
    if wrong.size:
        j = int(wrong[0])
        raise Malformed(
            path, f"node {j} is the child of {int(counts[j])} nodes; expected exactly 1"
        )
    depth, frontier = 0, np.zeros(1, dtype=np.int64)
    while True:  # ends: children come after their parents
        frontier = frontier[internal[frontier]]
        if not frontier.size:
            return depth
        frontier = np.concatenate([left[frontier], right[frontier]]).astype(np.int64)
        depth += 1


def check_tree(tree, path: str) -> None:
    """The structure of one ``sklearn.tree._tree.Tree`` (owner checks are separate)."""
    n_features, n_outputs = tree.n_features, tree.n_outputs
    n_classes = np.asarray(tree.n_classes)
    if n_features < 1:
        raise Malformed(path, f"n_features is {n_features}; expected at least 1")
    if n_outputs < 1 or n_classes.shape != (n_outputs,) or (n_classes < 1).any() \
            or tree.max_n_classes != n_classes.max():
        raise Malformed(
            path, f"n_outputs is {n_outputs}, n_classes {n_classes.tolist()} and "
            f"max_n_classes {tree.max_n_classes}; expected n_outputs >= 1 counts of "
            "at least 1 whose largest is max_n_classes"
        )
    # node_count sizes the views below: check it against the nodes allocated first
    node_count, capacity = tree.node_count, tree.capacity
    if not 1 <= node_count == capacity:
        raise Malformed(
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
        raise Malformed(
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
        raise Malformed(path, f"node {i} splits on feature {int(feature[i])}; expected {expected}")
    threshold = nodes["threshold"]
    # +inf is a real threshold: the split that sends only missing values right
    bad = np.flatnonzero(~leaf & (np.isnan(threshold) | (threshold == -np.inf)))
    if bad.size:
        i = int(bad[0])
        raise Malformed(path, f"node {i} has threshold {threshold[i]}; expected a number")
    if not np.isfinite(values).all():
        raise Malformed(path, "values are not all finite")
    if tree.max_depth != depth:
        raise Malformed(path, f"max_depth is {tree.max_depth} but the nodes are {depth} deep")


def check_tree_owner(owner, tree, path: str) -> None:
    """An estimator holding ``tree_``: the tree reads X of the width the owner checks."""
    if "n_features_in_" not in vars(owner):
        raise Malformed(path, "holds tree_ but no n_features_in_ (X's width goes unchecked)")
    n_features_in = int_attribute(owner, "n_features_in_", path)
    if tree.n_features != n_features_in:
        raise Malformed(
            f"{path}.tree_", f"n_features is {tree.n_features} but the estimator holding it "
            f"takes {n_features_in} features"
        )
    n_outputs = vars(owner).get("n_outputs_")
    if n_outputs is not None and n_outputs != tree.n_outputs:
        raise Malformed(
            f"{path}.tree_", f"n_outputs is {tree.n_outputs} but the estimator says {n_outputs}"
        )
    n_classes = vars(owner).get("n_classes_")
    if n_classes is not None and not np.array_equal(
            np.atleast_1d(np.asarray(n_classes)), np.asarray(tree.n_classes)):
        raise Malformed(
            f"{path}.tree_", f"n_classes is {np.asarray(tree.n_classes).tolist()} but the "
            f"estimator says {n_classes!r}"
        )


def check_ensemble(ensemble, path: str) -> None:
    """Tree estimators in ``estimators_`` see X of the ensemble's width (or a subset's).

    Forests and gradient boosting call their trees with ``check_input=False``, so a
    tree's width is only checked here; bagging and isolation forests pass each tree
    the columns ``estimators_features_[i]``.
    """
    members = vars(ensemble).get("estimators_")
    if not isinstance(members, (list, tuple, np.ndarray)) \
            or "n_features_in_" not in vars(ensemble):
        return
    width = int_attribute(ensemble, "n_features_in_", path)
    flat = list(np.asarray(members, dtype=object).ravel()) \
        if isinstance(members, np.ndarray) else list(members)
    subsets = vars(ensemble).get("estimators_features_")
    if subsets is not None and (
            not isinstance(subsets, (list, tuple)) or len(subsets) != len(flat)
            or not all(isinstance(s, np.ndarray) and s.ndim == 1 for s in subsets)):
        raise Malformed(
            path, f"has {len(flat)} estimators_ but estimators_features_ is not a list of as "
            "many 1-D arrays of columns"
        )
    for i, member in enumerate(flat):
        if "tree_" not in getattr(member, "__dict__", {}):
            continue
        expected = width if subsets is None else len(subsets[i])
        got = vars(member).get("n_features_in_")
        if got != expected:
            raise Malformed(
                f"{path}.estimators_[{i}]", f"takes {got!r} features but is given {expected}"
            )


def check_gradient_boosting(gb, path: str) -> None:
    """``predict_stages`` writes ``out[i, k]`` for every column ``k`` of ``estimators_``."""
    from sklearn.dummy import DummyClassifier, DummyRegressor
    from sklearn.tree._tree import Tree

    attributes = vars(gb)
    stages = attributes.get("estimators_")
    if stages is None:
        return
    k = int_attribute(gb, "n_trees_per_iteration_", path)
    width = int_attribute(gb, "n_features_in_", path)
    if not isinstance(stages, np.ndarray) or stages.dtype != object or stages.ndim != 2 \
            or stages.shape[0] < 1 or stages.shape[1] != k:
        shape = getattr(stages, "shape", type(stages).__name__)
        raise Malformed(
            path, f"estimators_ is {shape}; expected an object array of shape "
            f"(n_estimators, n_trees_per_iteration_={k})"
        )
    for index in np.ndindex(stages.shape):
        tree = getattr(stages[index], "__dict__", {}).get("tree_")
        if not isinstance(tree, Tree) or tree.n_features != width or tree.n_outputs != 1:
            raise Malformed(
                f"{path}.estimators_[{index[0]}, {index[1]}]",
                f"expected a one-output regression tree on {width} features"
            )
    loss = attributes.get("_loss")
    if k > 1 and getattr(loss, "is_multiclass", None) is not True:
        raise Malformed(path, f"has {k} trees per iteration but its loss is not multiclass")
    init = attributes.get("init_")
    # the initial raw predictions must have k columns; the default init estimators
    # are checked here (another estimator's output width is not known before predict)
    if isinstance(init, DummyClassifier):
        n_classes = vars(init).get("n_classes_")
        prior = np.asarray(vars(init).get("class_prior_"))
        if vars(init).get("n_outputs_") != 1 or not isinstance(n_classes, (int, np.integer)) \
                or prior.shape != (n_classes,) or (k > 1 and n_classes != k):
            raise Malformed(
                f"{path}.init_", f"predicts {n_classes!r} classes with priors of shape "
                f"{prior.shape}; expected one output of {k if k > 1 else 'any number of'} classes"
            )
    elif isinstance(init, DummyRegressor):
        if vars(init).get("n_outputs_") != 1 or k != 1:
            raise Malformed(f"{path}.init_", "expected a one-output initial regressor")


def check_predictor(predictor, path: str) -> np.ndarray:
    """The structure of one histogram gradient boosting ``TreePredictor``; its nodes."""
    from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE

    nodes = vars(predictor).get("nodes")
    if not isinstance(nodes, np.ndarray) or nodes.dtype != PREDICTOR_RECORD_DTYPE \
            or nodes.ndim != 1 or len(nodes) < 1:
        raise Malformed(
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
        raise Malformed(path, f"node {i} splits on feature {int(feature[i])}; expected >= 0")
    bad = np.flatnonzero(internal & np.isnan(nodes["num_threshold"]))
    if bad.size:
        raise Malformed(path, f"node {int(bad[0])} has threshold nan; expected a number")
    if not np.isfinite(nodes["value"][~internal]).all():
        raise Malformed(path, "leaf values are not all finite")
    categorical = np.flatnonzero(internal & (nodes["is_categorical"] != 0))
    for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
        bitsets = vars(predictor).get(name)
        if not isinstance(bitsets, np.ndarray) or bitsets.dtype != np.uint32 \
                or bitsets.ndim != 2 or bitsets.shape[1] != _BITSET_WORDS:
            raise Malformed(
                path, f"{name} is {getattr(bitsets, 'dtype', type(bitsets).__name__)} of "
                f"shape {getattr(bitsets, 'shape', None)}; expected uint32 of shape "
                f"(n_bitsets, {_BITSET_WORDS})"
            )
        row = nodes["bitset_idx"][categorical]
        bad = row >= bitsets.shape[0]
        if bad.any():
            raise Malformed(
                path, f"node {int(categorical[bad][0])} uses bitset {int(row[bad][0])} of "
                f"{name}, which has {bitsets.shape[0]} rows"
            )
    return nodes


def check_hist_gradient_boosting(hgb, path: str, predictor_nodes) -> None:
    """Each TreePredictor reads X of the model's width; categorical splits read bitsets.

    ``predictor_nodes(predictor, path)`` checks one predictor (:func:`check_predictor`,
    once per predictor) and returns its nodes.
    """
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    attributes = vars(hgb)
    if attributes.get("_in_fit", False) is not False:
        raise Malformed(path, "is marked as in the middle of fit (_in_fit); a saved model "
                               "never is")
    predictors = attributes.get("_predictors")
    if predictors is None:
        return
    k = int_attribute(hgb, "n_trees_per_iteration_", path)
    width = int_attribute(hgb, "n_features_in_", path)
    baseline = attributes.get("_baseline_prediction")
    if not isinstance(baseline, np.ndarray) or baseline.shape != (1, k):
        raise Malformed(
            path, f"_baseline_prediction has shape {getattr(baseline, 'shape', None)}; "
            f"expected (1, n_trees_per_iteration_={k})"
        )
    mapper = getattr(attributes.get("_bin_mapper"), "__dict__", {})
    is_categorical = mapper.get("is_categorical_")
    if not isinstance(is_categorical, np.ndarray) or is_categorical.shape != (width,):
        raise Malformed(
            f"{path}._bin_mapper", f"is_categorical_ has shape "
            f"{getattr(is_categorical, 'shape', None)}; expected ({width},)"
        )
    thresholds = mapper.get("bin_thresholds_")
    if not isinstance(thresholds, list) or len(thresholds) != width:
        raise Malformed(f"{path}._bin_mapper", f"bin_thresholds_ must list {width} arrays")
    if not isinstance(predictors, list):
        raise Malformed(path, "_predictors is not a list")
    for i, stage in enumerate(predictors):
        if not isinstance(stage, list) or len(stage) != k:
            raise Malformed(
                f"{path}._predictors[{i}]", f"expected a list of n_trees_per_iteration_={k} "
                "predictors"
            )
        for j, predictor in enumerate(stage):
            where = f"{path}._predictors[{i}][{j}]"
            if not isinstance(predictor, TreePredictor):
                raise Malformed(where, f"is {type(predictor).__name__}; expected TreePredictor")
            nodes = predictor_nodes(predictor, where)
            internal = nodes["is_leaf"] == 0
            feature = nodes["feature_idx"]
            bad = np.flatnonzero(internal & (feature >= width))
            if bad.size:
                n = int(bad[0])
                raise Malformed(
                    where, f"node {n} splits on feature {int(feature[n])}; expected one of "
                    f"[0, {width})"
                )
            # a categorical split looks its feature up among the categorical ones
            bad = np.flatnonzero(internal & (nodes["is_categorical"] != 0))
            bad = bad[is_categorical[feature[bad]] == 0]
            if bad.size:
                n = int(bad[0])
                raise Malformed(
                    where, f"node {n} is a categorical split on feature {int(feature[n])}, "
                    "which is not categorical"
                )
