"""Splits: stratified train/test, nested stratified subsamples, repeated splits."""

import numpy as np
import pandas as pd
import pytest

from gdlab.data import Dataset
from gdlab.data.sequences import hmm_sequences
from gdlab.data.splits import nested_subsamples, repeated_splits, train_test_split


def _imbalanced(seed, n=500):
    rng = np.random.RandomState(seed)
    p = rng.dirichlet(np.ones(rng.randint(2, 7)))
    y = rng.choice(len(p), size=n, p=p)
    return np.asarray(["c" + str(v) for v in y])  # string labels


def test_train_test_split_arrays_is_stratified_and_deterministic():
    y = np.array([0] * 80 + [1] * 20)
    X = np.arange(200.0).reshape(100, 2)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25)
    assert X_te.shape == (25, 2) and np.bincount(y_te).tolist() == [20, 5]
    again = train_test_split(X, y, test_size=0.25)
    np.testing.assert_array_equal(X_te, again[1])
    other = train_test_split(X, y, test_size=0.25, random_state=1)
    assert not np.array_equal(X_te, other[1])
    # rows stay with their labels
    np.testing.assert_array_equal(X_tr[:, 0] // 2 >= 80, y_tr == 1)


def test_train_test_split_dataset():
    rng = np.random.RandomState(0)
    ds = Dataset(name="toy", X=pd.DataFrame({"a": rng.normal(size=60)}), y=np.repeat([0, 1, 2], 20),
                 class_names=("x", "y", "z"), description="toy", source="test")
    train, test = train_test_split(ds, test_size=0.5)
    assert isinstance(train, Dataset) and train.name == "toy[train]" and test.name == "toy[test]"
    assert np.bincount(test.y).tolist() == [10, 10, 10]
    idx_tr, idx_te = train.metadata["indices"], test.metadata["indices"]
    assert set(idx_tr).isdisjoint(idx_te) and len(idx_tr) + len(idx_te) == 60
    pd.testing.assert_frame_equal(test.X, ds.X.iloc[idx_te])
    assert ds.metadata == {}  # the parent is untouched


def test_sequence_dataset_splits_whole_sequences():
    ds = hmm_sequences(n_sequences=40, length=(3, 9))
    train, test = train_test_split(ds, test_size=0.25)
    assert len(test.y) == 10 and np.bincount(test.y).tolist() == [5, 5]
    lengths = ds.metadata["lengths"]
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    for part in (train, test):
        assert part.metadata["lengths"].sum() == len(part.X) == len(part.metadata["states"])
        rows = np.concatenate([np.arange(starts[i], starts[i] + lengths[i])
                               for i in part.metadata["indices"]])
        np.testing.assert_array_equal(part.X, ds.X[rows])
        np.testing.assert_array_equal(part.metadata["states"], ds.metadata["states"][rows])


@pytest.mark.parametrize("seed", range(6))
def test_nested_subsamples_are_nested_and_stratified(seed):
    y = _imbalanced(seed)
    labels, counts = np.unique(y, return_counts=True)
    share = counts / len(y)
    sizes = [len(labels), 10, 25, 60, 150, 400, 500]
    subsets = nested_subsamples(y, sizes, random_state=seed)
    for m, s in zip(sizes, subsets, strict=True):
        assert len(s) == m and len(np.unique(s)) == m and np.all(np.diff(s) > 0)
        got = np.array([(y[s] == c).sum() for c in labels])
        assert (got >= 1).all()  # every class once m >= n_classes
        # never above the share's ceiling (beyond the minimum of one), and below the share by
        # less than one plus the rows that the minimum of one gave to the rarest classes
        target = m * share
        surplus = np.maximum(1 - target, 0).sum()
        assert np.all(got <= np.maximum(np.ceil(target - 1e-9), 1))
        assert np.all(got > target - 1 - surplus)
        if target.min() >= 1:
            assert np.all(np.abs(got - target) < 1)
    for small, big in zip(subsets, subsets[1:], strict=False):
        assert np.isin(small, big).all()
    assert len(subsets[-1]) == len(y)


def test_nested_subsamples_deterministic_by_seed():
    y = _imbalanced(0)
    a = nested_subsamples(y, [20, 50], random_state=3)
    b = nested_subsamples(y, [20, 50], random_state=3)
    c = nested_subsamples(y, [20, 50], random_state=4)
    assert all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("seed", [0, 1])
def test_repeated_splits_are_stratified_and_differ(seed):
    y = _imbalanced(seed, n=400)
    labels, counts = np.unique(y, return_counts=True)
    splits = list(repeated_splits(y, 5, test_size=0.2, random_state=seed))
    assert len(splits) == 5
    for train, test in splits:
        assert len(test) == 80 and len(train) == 320
        assert set(train).isdisjoint(test) and len(set(train) | set(test)) == 400
        got = np.array([(y[test] == c).sum() for c in labels])
        assert np.all(np.abs(got - 80 * counts / 400) < 1.5)
    tests = [tuple(t) for _, t in splits]
    assert len(set(tests)) == 5  # the repeats differ
    again = [tuple(t) for _, t in repeated_splits(y, 5, test_size=0.2, random_state=seed)]
    assert again == tests
    other = [tuple(t) for _, t in repeated_splits(y, 5, test_size=0.2, random_state=seed + 10)]
    assert set(other).isdisjoint(tests)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: nested_subsamples([0, 1, 0, 1], [3, 2]), ValueError, "strictly increasing"),
        (lambda: nested_subsamples([0, 1, 0, 1], [2, 5]), ValueError,
         "size 5 exceeds the number of samples, 4"),
        (lambda: nested_subsamples([0, 1, 0, 1], []), ValueError, "sizes is empty"),
        (lambda: nested_subsamples([0, 1, 0, 1], [0, 2]), ValueError, "each size must be"),
        (lambda: nested_subsamples([0, 1, 0, 1], [1.5]), TypeError, "each size must be an int"),
        (lambda: nested_subsamples([[0, 1]], [1]), ValueError, r"expected y of shape"),
        (lambda: list(repeated_splits([0, 0, 0, 1], 2)), ValueError,
         r"at least 2 samples of every class; class\(es\) \[1\]"),
        (lambda: repeated_splits([0, 1] * 5, 2, test_size=1.5), ValueError,
         r"test_size must be in \(0, 1\)"),
        (lambda: repeated_splits([0, 1] * 5, 0), ValueError, "n_repeats must be an int >= 1"),
        (lambda: train_test_split(np.zeros((3, 1)), [0, 1]), ValueError,
         "X has 3 rows but y has 2 labels"),
        (lambda: train_test_split(np.zeros((3, 1))), TypeError, "needs y"),
        (lambda: train_test_split(np.zeros((8, 1)), [0, 1] * 4, test_size=1), ValueError,
         "fewer than the 2 classes"),
    ],
)
def test_bad_input_raises_clear_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
