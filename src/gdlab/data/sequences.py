"""Variable-length sequences in one array (the ``lengths`` convention) and HMM data.

The convention (hmmlearn's): many sequences are stored as one array ``X`` of
stacked frames, shape ``(sum(lengths), n_features)``, plus ``lengths``, the
number of frames of each sequence in order. A sequence dataset
(``Dataset.modality == "sequence"``) holds the stacked frames in ``X``, the
lengths in ``metadata["lengths"]`` and one label per sequence in ``y``.

- :func:`stack_sequences` / :func:`split_sequences` convert between a list of
  sequences and ``(X, lengths)``; :func:`check_lengths` validates a pair (it lives in
  :mod:`gdlab._sequence_checks`, the bottom floor, and is re-exported here).
- :func:`hmm_sequences` draws labelled sequences, each class from its own
  known hidden Markov model, parameters stored for recovery tests.

Examples
--------
>>> import numpy as np
>>> from gdlab.data.sequences import split_sequences, stack_sequences
>>> X, lengths = stack_sequences([np.zeros((3, 2)), np.ones((2, 2))])
>>> X.shape, lengths.tolist()
((5, 2), [3, 2])
>>> [s.shape for s in split_sequences(X, lengths)]
[(3, 2), (2, 2)]
"""

from __future__ import annotations

import numpy as np

from gdlab._param_checks import check_in, check_int
from gdlab._sequence_checks import check_length_range, check_lengths
from gdlab._validation import check_random_state
from gdlab.data.registry import make_dataset
from gdlab.distributions.discrete import sample_categorical
from gdlab.distributions.gaussian import sample_gaussian
from gdlab.inference.hmm import draw_state_paths

__all__ = ["stack_sequences", "split_sequences", "check_lengths", "hmm_sequences"]

#: metadata keys of a sequence Dataset that hold one entry per frame
PER_FRAME_KEYS = ("states",)


def stack_sequences(sequences) -> tuple[np.ndarray, np.ndarray]:
    """Stack a list of sequences into ``(X, lengths)``.

    Parameters
    ----------
    sequences : list of array-like of shape (length_i, n_features) or (length_i,)
        1-D sequences become single-feature columns. All must have the same
        number of features and at least one frame.

    Returns
    -------
    X : ndarray of shape (sum(lengths), n_features)
    lengths : ndarray of int64, shape (n_sequences,)

    Examples
    --------
    >>> X, lengths = stack_sequences([[1, 2, 3], [4]])
    >>> X.ravel().tolist(), lengths.tolist()
    ([1, 2, 3, 4], [3, 1])
    """
    if isinstance(sequences, np.ndarray) or not hasattr(sequences, "__iter__"):
        raise TypeError(
            f"expected a list of sequences (arrays), got {type(sequences).__name__}; "
            "a stacked array already follows the lengths convention (use check_lengths)."
        )
    arrays = []
    for i, seq in enumerate(sequences):
        a = np.asarray(seq)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2:
            raise ValueError(f"sequence {i} must be 1-D or 2-D, got shape {a.shape}.")
        if a.shape[0] == 0:
            raise ValueError(f"sequence {i} is empty; every sequence needs at least one frame.")
        if arrays and a.shape[1] != arrays[0].shape[1]:
            raise ValueError(
                f"sequence {i} has {a.shape[1]} features but sequence 0 has "
                f"{arrays[0].shape[1]}."
            )
        arrays.append(a)
    if not arrays:
        raise ValueError("no sequences given.")
    return np.concatenate(arrays), np.array([len(a) for a in arrays], dtype=np.int64)


def split_sequences(X, lengths) -> list:
    """Split stacked frames back into a list of sequences (views of ``X``).

    Parameters
    ----------
    X : array-like of shape (n_frames, ...)
    lengths : array-like of int, shape (n_sequences,)

    Returns
    -------
    list of arrays, one per sequence

    Examples
    --------
    >>> [len(s) for s in split_sequences(np.arange(6), [1, 5])]
    [1, 5]
    """
    lengths = check_lengths(X, lengths)
    X = X if hasattr(X, "iloc") else np.asarray(X)
    ends = np.cumsum(lengths)
    if hasattr(X, "iloc"):
        return [X.iloc[e - n: e] for e, n in zip(ends, lengths, strict=True)]
    return np.split(X, ends[:-1])


def hmm_sequences(
    n_sequences: int = 200,
    length=(20, 60),
    n_states: int = 3,
    n_classes: int = 2,
    emission: str = "gaussian",
    *,
    n_features: int = 2,
    n_symbols: int = 4,
    shared_emissions: bool = True,
    parameter_seed: int = 0,
    random_state=0,
):
    """Labelled sequences, each class drawn from its own known hidden Markov model.

    Every class ``k`` has an HMM with ``n_states`` hidden states: a start
    distribution (Dirichlet(1)), a "sticky" transition matrix (rows
    Dirichlet with extra weight ``2 * n_states`` on staying) and emissions.
    By default the classes share their emission distributions and differ in
    their dynamics (start and transition probabilities), so telling them
    apart needs the order of the frames, not only their distribution.
    Sequences are drawn by the forward sampler of :meth:`gdlab.models.HMM.sample`
    (:func:`draw_state_paths`, then one emission draw per frame).

    Parameters
    ----------
    n_sequences : int, default=200
        Sequences in all; class counts are as equal as possible.
    length : int or (int, int), default=(20, 60)
        Fixed length, or bounds of a uniform integer length (inclusive).
    n_states : int, default=3
    n_classes : int, default=2
    emission : {"gaussian", "categorical"}, default="gaussian"
        Gaussian: ``n_features``-dimensional frames, state means drawn
        N(0, 3^2), diagonal covariances with variances in [0.3, 1].
        Categorical: one integer symbol per frame in ``range(n_symbols)``,
        emission rows Dirichlet(1/2).
    n_features : int, default=2
        Frame dimension (Gaussian emissions).
    n_symbols : int, default=4
        Alphabet size (categorical emissions).
    shared_emissions : bool, default=True
        One set of emission parameters for all classes; False draws each
        class its own.
    parameter_seed : int, default=0
        Seed of the HMM parameters, separate from ``random_state`` (the
        seed of the sequences).
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        ``modality="sequence"``; ``X`` of shape (sum(lengths), n_features)
        (float64; categorical: int64, one column); ``y`` of shape
        (n_sequences,). ``metadata``: ``lengths``, ``states`` (the hidden
        state of every frame), ``emission``, ``startprob`` (K, S),
        ``transmat`` (K, S, S), and ``means`` (K, S, d) with ``covars``
        (K, S, d, d), or ``emissionprob`` (K, S, n_symbols); ``hmms`` repeats
        them as one dict per class with hmmlearn's attribute names.

    Examples
    --------
    >>> ds = hmm_sequences(n_sequences=10, length=5)
    >>> ds.modality, ds.X.shape, ds.metadata["lengths"].tolist() == [5] * 10
    ('sequence', (50, 2), True)
    >>> ds.metadata["transmat"].shape
    (2, 3, 3)
    """
    n_sequences = check_int(n_sequences, "n_sequences")
    low, high = check_length_range(length)
    n_states = check_int(n_states, "n_states")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    check_in(emission, "emission", ("gaussian", "categorical"))
    n_features = check_int(n_features, "n_features")
    n_symbols = check_int(n_symbols, "n_symbols", minimum=2)
    parameter_seed = check_int(parameter_seed, "parameter_seed", minimum=0)
    if n_sequences < n_classes:
        raise ValueError(
            f"n_sequences={n_sequences} is fewer than n_classes={n_classes}; every class needs "
            "at least one sequence."
        )

    # ---- parameters (from parameter_seed)
    prng = np.random.RandomState(parameter_seed)
    S, K = n_states, n_classes
    startprob = prng.dirichlet(np.ones(S), size=K)
    alpha = np.ones((S, S)) + 2 * S * np.eye(S)
    transmat = np.stack([np.stack([prng.dirichlet(a) for a in alpha]) for _ in range(K)])
    n_emit = 1 if shared_emissions else K
    if emission == "gaussian":
        means = prng.normal(0.0, 3.0, size=(n_emit, S, n_features))
        var = prng.uniform(0.3, 1.0, size=(n_emit, S, n_features))
        covars = var[..., None] * np.eye(n_features)
        means = np.broadcast_to(means, (K, S, n_features)).copy()
        covars = np.broadcast_to(covars, (K, S, n_features, n_features)).copy()
        emit = {"means": means, "covars": covars}
    else:
        emissionprob = prng.dirichlet(np.full(n_symbols, 0.5), size=(n_emit, S))
        emissionprob = np.broadcast_to(emissionprob, (K, S, n_symbols)).copy()
        emit = {"emissionprob": emissionprob}

    # ---- sequences (from random_state)
    rng = check_random_state(random_state)
    counts = np.full(K, n_sequences // K)
    counts[: n_sequences % K] += 1
    y = rng.permutation(np.repeat(np.arange(K), counts))
    lengths = rng.randint(low, high + 1, size=n_sequences).astype(np.int64)
    flat_states = draw_state_paths(startprob[y], transmat[y], lengths, rng).astype(np.int64)
    # emissions of (class, state) pairs, flattened: component k * S + s
    comp = np.repeat(y, lengths) * S + flat_states
    if emission == "gaussian":
        var = np.diagonal(covars, axis1=2, axis2=3).reshape(K * S, n_features)  # diagonal
        X = sample_gaussian(means.reshape(K * S, n_features), var, comp, rng)
        feature_names = tuple(f"x{j}" for j in range(n_features))
    else:
        X = sample_categorical(emit["emissionprob"].reshape(K * S, n_symbols)[comp], rng)
        X = X.astype(np.int64)[:, None]
        feature_names = ("symbol",)

    hmms = []
    for k in range(K):
        hmm = {"startprob": startprob[k], "transmat": transmat[k]}
        hmm.update({name: value[k] for name, value in emit.items()})
        hmms.append(hmm)
    meta = {"generator": "hmm_sequences", "lengths": lengths, "states": flat_states,
            "emission": emission, "startprob": startprob, "transmat": transmat, **emit,
            "hmms": hmms}
    return make_dataset(
        name="hmm-sequences",
        X=X,
        y=y,
        class_names=tuple(f"hmm{k}" for k in range(K)),
        description=(f"{n_sequences} sequences (length {low}-{high}) from {K} known "
                     f"{S}-state HMMs with {emission} emissions"),
        source="gdlab synthetic (gdlab.data.sequences.hmm_sequences)",
        feature_names=feature_names,
        modality="sequence",
        metadata=meta,
    )
