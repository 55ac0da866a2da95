"""The lengths convention and sequences drawn from known HMMs."""

import numpy as np
import pytest

from gdlab.data.sequences import (
    check_lengths,
    draw_state_paths,
    hmm_sequences,
    split_sequences,
    stack_sequences,
)
from gdlab.models.hmm import HMM


def _transition_counts(ds, k):
    """Counts of state i -> j inside the sequences of class k (never across sequences)."""
    S = ds.metadata["transmat"].shape[1]
    counts = np.zeros((S, S))
    states = split_sequences(ds.metadata["states"], ds.metadata["lengths"])
    for seq, label in zip(states, ds.y, strict=True):
        if label == k:
            np.add.at(counts, (seq[:-1], seq[1:]), 1)
    return counts


def test_stack_and_split_round_trip():
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(n, 3)) for n in (4, 1, 7)]
    X, lengths = stack_sequences(seqs)
    assert X.shape == (12, 3) and lengths.tolist() == [4, 1, 7] and lengths.dtype == np.int64
    for a, b in zip(split_sequences(X, lengths), seqs, strict=True):
        np.testing.assert_array_equal(a, b)
    X1, l1 = stack_sequences([np.arange(3), np.arange(2)])
    assert X1.shape == (5, 1) and l1.tolist() == [3, 2]


def test_check_lengths_accepts_integral_floats_and_none():
    assert check_lengths(np.zeros(5), np.array([2.0, 3.0])).tolist() == [2, 3]
    assert check_lengths(np.zeros((4, 2)), None).tolist() == [4]


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: check_lengths(np.zeros(5), [2, 2]), "lengths sum to 4 but X has 5 frames"),
        (lambda: check_lengths(np.zeros(5), [5, 0]), r"lengths must be positive, got lengths\[1\]"),
        (lambda: check_lengths(np.zeros(5), [6, -1]), "lengths must be positive"),
        (lambda: check_lengths(np.zeros(5), [2.5, 2.5]), "lengths must be integers"),
        (lambda: check_lengths(np.zeros(5), [[5]]), "non-empty 1-D array of ints"),
        (lambda: check_lengths(np.zeros(5), []), "non-empty 1-D array of ints"),
        (lambda: stack_sequences([np.zeros((2, 2)), np.zeros((2, 3))]),
         "sequence 1 has 3 features but sequence 0 has 2"),
        (lambda: stack_sequences([np.zeros((2, 2)), np.zeros((0, 2))]), "sequence 1 is empty"),
        (lambda: stack_sequences([]), "no sequences given"),
        (lambda: stack_sequences([np.zeros((2, 2, 2))]), "must be 1-D or 2-D"),
        (lambda: hmm_sequences(emission="poisson"), "emission must be one of"),
        (lambda: hmm_sequences(length=(10, 5)), "low <= high"),
        (lambda: hmm_sequences(n_sequences=1), "fewer than n_classes"),
        (lambda: hmm_sequences(n_states=0), "n_states must be an int >= 1"),
    ],
)
def test_bad_input_raises_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_bad_types_raise_type_errors():
    with pytest.raises(TypeError, match="expected a list of sequences"):
        stack_sequences(np.zeros((3, 2)))
    with pytest.raises(TypeError, match="length must be an int or a"):
        hmm_sequences(length="long")


def test_hmm_sequences_defaults_follow_the_lengths_convention():
    ds = hmm_sequences()
    lengths = ds.metadata["lengths"]
    assert ds.modality == "sequence" and ds.name == "hmm-sequences"
    assert len(ds.y) == len(lengths) == 200 and np.bincount(ds.y).tolist() == [100, 100]
    assert lengths.sum() == len(ds.X) == len(ds.metadata["states"])
    assert lengths.min() >= 20 and lengths.max() <= 60 and len(np.unique(lengths)) > 10
    assert ds.X.shape[1] == 2 and ds.X.dtype == np.float64
    hmm = ds.metadata["hmms"][1]
    np.testing.assert_array_equal(hmm["transmat"], ds.metadata["transmat"][1])
    assert set(hmm) == {"startprob", "transmat", "means", "covars"}


def test_hmm_sequences_deterministic_and_parameters_fixed_by_parameter_seed():
    a, b, c = hmm_sequences(random_state=1), hmm_sequences(random_state=1), hmm_sequences(
        random_state=2)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.metadata["lengths"], c.metadata["lengths"])
    np.testing.assert_array_equal(a.metadata["transmat"], c.metadata["transmat"])
    d = hmm_sequences(parameter_seed=1)
    assert not np.allclose(a.metadata["transmat"], d.metadata["transmat"])


def test_empirical_transitions_and_starts_match_the_true_hmms():
    ds = hmm_sequences(n_sequences=3000, length=(5, 15), n_states=3)
    for k in range(2):
        counts = _transition_counts(ds, k)
        freq = counts / counts.sum(axis=1, keepdims=True)
        np.testing.assert_allclose(freq, ds.metadata["transmat"][k], atol=0.03)
        firsts = ds.metadata["states"][np.r_[0, np.cumsum(ds.metadata["lengths"])[:-1]]]
        start = np.bincount(firsts[ds.y == k], minlength=3) / (ds.y == k).sum()
        np.testing.assert_allclose(start, ds.metadata["startprob"][k], atol=0.05)
    # the classes differ in their dynamics
    assert np.abs(ds.metadata["transmat"][0] - ds.metadata["transmat"][1]).max() > 0.1


def test_gaussian_emissions_match_the_stored_means_and_covariances():
    ds = hmm_sequences(n_sequences=400, n_features=3, shared_emissions=False)
    frame_class = np.repeat(ds.y, ds.metadata["lengths"])
    for k in range(2):
        for s in range(3):
            rows = (frame_class == k) & (ds.metadata["states"] == s)
            assert rows.sum() > 300
            np.testing.assert_allclose(ds.X[rows].mean(0), ds.metadata["means"][k, s], atol=0.15)
            np.testing.assert_allclose(np.cov(ds.X[rows].T), ds.metadata["covars"][k, s],
                                       atol=0.15)
    assert not np.allclose(ds.metadata["means"][0], ds.metadata["means"][1])
    shared = hmm_sequences(n_sequences=10)
    np.testing.assert_array_equal(shared.metadata["means"][0], shared.metadata["means"][1])


def test_categorical_emissions_match_the_stored_probabilities():
    ds = hmm_sequences(n_sequences=600, emission="categorical", n_symbols=5)
    assert ds.X.shape[1] == 1 and ds.X.dtype == np.int64
    assert ds.X.min() >= 0 and ds.X.max() <= 4
    probs = ds.metadata["emissionprob"]
    assert probs.shape == (2, 3, 5)
    for s in range(3):
        rows = ds.metadata["states"] == s
        freq = np.bincount(ds.X[rows, 0], minlength=5) / rows.sum()
        np.testing.assert_allclose(freq, probs[0, s], atol=0.03)


def test_fixed_length():
    ds = hmm_sequences(n_sequences=7, length=4, n_classes=3)
    assert ds.metadata["lengths"].tolist() == [4] * 7 and ds.X.shape == (28, 2)
    assert sorted(np.bincount(ds.y).tolist()) == [2, 2, 3]


def test_hmm_sequences_and_hmm_sample_share_one_forward_sampler():
    """One class of hmm_sequences is a draw of HMM.from_params(...).sample: the same
    paths and frames from the same random stream (per-sequence parameters equal to
    shared ones give the same draws)."""
    ds = hmm_sequences(n_sequences=2, length=30, n_classes=2, random_state=0)
    meta = ds.metadata
    k = int(ds.y[0])
    hmm = HMM.from_params(meta["startprob"][k], meta["transmat"][k], means=meta["means"][k],
                          covars=meta["covars"][k])
    seqs, states = hmm.sample(3, length=30, random_state=7, return_states=True)
    rng = np.random.RandomState(7)
    n = 3
    paths = draw_state_paths(np.tile(meta["startprob"][k], (n, 1)),
                             np.tile(meta["transmat"][k], (n, 1, 1)), np.full(n, 30), rng)
    np.testing.assert_array_equal(np.concatenate(states), paths)
    # and hmm_sequences' emissions follow the states it reports (frames near their means)
    z = (ds.X - meta["means"][0][meta["states"]]) / np.sqrt(
        np.diagonal(meta["covars"][0], axis1=1, axis2=2)[meta["states"]])
    assert np.abs(z).max() < 5
