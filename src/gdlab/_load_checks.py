"""Check the node arrays of every scikit-learn tree in a loaded model.

scikit-learn's compiled tree code follows child indices, reads ``X[i, feature]`` and
bitset rows straight from the node arrays, without bounds checks:
``sklearn.tree._tree.Tree`` (decision trees, forests, isolation forests),
``predict_stages`` (gradient boosting, which also writes ``out[i, k]`` for every
column of its ``estimators_``) and the histogram gradient boosting
``TreePredictor``. skops leaves these classes out of its defaults for that reason;
:mod:`gdlab.persistence` trusts them because the registry's models need them, and
calls :func:`check_loaded_trees` on every loaded model so that a crafted file (whose
checksums are right: the attacker writes the manifest) cannot make ``predict`` read
or write out of bounds, or loop forever on a cycle of children.

This is the one place gdlab reads scikit-learn's private tree layout.
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_loaded_trees"]

#: ``feature`` and ``threshold`` of a leaf, and ``left_child`` / ``right_child`` of a
#: leaf, as ``sklearn.tree._tree`` writes them.
_TREE_UNDEFINED = -2
_TREE_LEAF = -1
#: Width of one categorical bitset row (``uint32[8]``: 256 categories).
_BITSET_WORDS = 8
_SCALARS = (str, bytes, bytearray, int, float, complex, type(None), np.generic)


class _Malformed(Exception):
    """A violation found by a check; :func:`check_loaded_trees` adds file and path."""

    def __init__(self, path: str, message: str):
        super().__init__(path, message)
        self.path, self.message = path, message


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


def _int_attribute(obj, name: str, path: str, minimum: int = 1) -> int:
    value = vars(obj).get(name)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or value < minimum:
        raise _Malformed(path, f"{name} is {value!r}; expected an integer >= {minimum}")
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


def check_loaded_trees(model, where: str) -> None:
    """Refuse a model holding a tree that scikit-learn's compiled code cannot walk safely.

    Walks every object reachable from ``model`` (attributes, lists, tuples, dicts, sets,
    object arrays: forests' ``estimators_``, pipeline steps, calibrated classifiers,
    histogram gradient boosting's ``_predictors``) and checks every ``Tree`` and
    ``TreePredictor`` and the estimators that hold them.

    Parameters
    ----------
    model : object
        A freshly loaded estimator.
    where : str
        How to name the file in error messages.

    Raises
    ------
    ValueError
        ``"<where>: <path> has a malformed tree: <what>"`` for the first violation:
        a child index that is not a later node (out of range, or a cycle), a node with
        two parents, a split feature outside ``[0, n_features)``, a NaN threshold,
        non-finite values, a ``node_count`` or ``max_depth`` that disagrees with the
        nodes, a tree whose width or outputs differ from the estimator holding it, a
        categorical bitset row that does not exist, or array shapes that disagree
        (``estimators_`` columns, ``_baseline_prediction``, ``_bin_mapper``).

    Notes
    -----
    Two widths are known only when ``predict`` runs, and are not checked: the
    columns a histogram gradient boosting model's categorical preprocessor puts
    out (such a model holds ``check_array`` in a ``functools.partial`` and loads only
    with ``trusted=``), and the columns of a gradient boosting ``init_`` estimator
    other than the default ``DummyClassifier`` / ``DummyRegressor`` or ``"zero"``.
    """
    from sklearn.ensemble import BaseEnsemble
    from sklearn.ensemble._gb import BaseGradientBoosting
    from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
        BaseHistGradientBoosting,
    )
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
    from sklearn.tree._tree import Tree

    checked: dict[int, object] = {}  # id -> checked tree or predictor nodes

    def predictor_nodes(predictor, path):
        if id(predictor) not in checked:
            checked[id(predictor)] = _check_predictor(predictor, path)
        return checked[id(predictor)]

    try:
        for obj, path in _walk(model):
            if isinstance(obj, Tree):
                if id(obj) not in checked:
                    _check_tree(obj, path)
                    checked[id(obj)] = obj
                continue
            if isinstance(obj, TreePredictor):
                predictor_nodes(obj, path)
                continue
            attributes = getattr(obj, "__dict__", None)
            if not isinstance(attributes, dict):
                continue
            tree = attributes.get("tree_")
            if isinstance(tree, Tree):
                if id(tree) not in checked:
                    _check_tree(tree, f"{path}.tree_")
                    checked[id(tree)] = tree
                _check_tree_owner(obj, tree, path)
            if isinstance(obj, BaseEnsemble):
                _check_ensemble(obj, path)
            if isinstance(obj, BaseGradientBoosting):
                _check_gradient_boosting(obj, path)
            if isinstance(obj, BaseHistGradientBoosting):
                _check_hist_gradient_boosting(obj, path, predictor_nodes)
    except _Malformed as exc:
        raise ValueError(f"{where}: {exc.path} has a malformed tree: {exc.message}.") from None
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, OverflowError) as exc:
        # attributes of the wrong type where the checks expect arrays and numbers
        raise ValueError(
            f"{where}: a tree model in it is malformed ({type(exc).__name__}: {exc})."
        ) from None
