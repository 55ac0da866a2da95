"""Registered sequence classification sets: known HMMs (synthetic) and language identification.

Both follow the ``lengths`` convention of :mod:`gdlab.data.sequences`:
``X`` holds the stacked frames, ``metadata["lengths"]`` the length of each
sequence and ``y`` one label per sequence, so a generative sequence
classifier (one HMM per class) and a discriminative one
(:class:`gdlab.models.rnn.GRUClassifier`) are compared on the same data.

- ``"hmm-synthetic"`` (:func:`hmm_synthetic`): 300 sequences of 2-D Gaussian
  frames from three known 3-state HMMs that share their emissions and differ
  in their dynamics. The true parameters are in the metadata (for parameter
  recovery), with the accuracy of the Bayes classifier that knows them
  (``bayes_accuracy``, computed with the true HMMs): the best any
  model can do on these draws.
- ``"fortunes-lang-chars"`` (:func:`fortunes_lang_chars`): language
  identification (de, en, es, it, pt) over character sequences of Debian's
  fortunes: whitespace collapsed, lower-cased, each text cut to 200 characters, 300 texts
  per language drawn with a fixed seed, characters coded over the 60 most
  frequent ones plus one unknown symbol.

Examples
--------
>>> from gdlab.data.sequence_sets import hmm_synthetic
>>> ds = hmm_synthetic(n_sequences=30)
>>> ds.modality, ds.X.shape[1], len(ds.y), int(ds.metadata["lengths"].sum()) == len(ds.X)
('sequence', 2, 30, True)
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from gdlab._param_checks import check_bool, check_int
from gdlab._validation import check_random_state
from gdlab.bayes import class_prior_from_counts, log_class_prior
from gdlab.data.registry import make_dataset, register
from gdlab.data.sequences import hmm_sequences, split_sequences
from gdlab.inference.hmm import Frames, e_step
from gdlab.inference.hmm_emissions import GaussianEmissions

__all__ = ["UNKNOWN_CHAR", "hmm_synthetic", "fortunes_lang_chars", "decode"]

#: The symbol that stands for every character outside the vocabulary of ``fortunes-lang-chars``.
UNKNOWN_CHAR = "\ufffd"

_DESC = {
    "hmm-synthetic": ("Sequences of 2-D Gaussian frames from 3 known 3-state HMMs (shared "
                      "emissions, different dynamics); true parameters and Bayes accuracy in "
                      "metadata"),
    "fortunes-lang-chars": ("Language identification (de, en, es, it, pt) over character "
                            "sequences of Debian fortunes (lower-cased, <=200 chars, 300 "
                            "texts per language)"),
}
_SOURCE_HMM = "gdlab synthetic (gdlab.data.sequence_sets.hmm_synthetic)"
_SOURCE_FORTUNES = "Debian fortunes packages (fortune-mod; fortunes, -de, -it, -es, -br)"


def hmm_synthetic(*, n_sequences: int = 300, length=(20, 60), n_classes: int = 3,
                  n_states: int = 3, n_features: int = 2, shared_emissions: bool = True,
                  parameter_seed: int = 0, random_state=0):
    """Labelled sequences from known class HMMs, with the known-parameter Bayes accuracy.

    A thin, registered configuration of
    :func:`gdlab.data.sequences.hmm_sequences` (Gaussian emissions; see there
    for how the parameters are drawn) that also scores every sequence under
    every true class HMM, with the forward pass of :mod:`gdlab.inference.hmm`
    that :class:`gdlab.models.HMM` runs.

    Parameters
    ----------
    n_sequences : int, default=300
    length : int or (int, int), default=(20, 60)
    n_classes : int, default=3
    n_states : int, default=3
    n_features : int, default=2
    shared_emissions : bool, default=True
        The classes share their emission distributions (only the dynamics tell
        them apart); False gives each class its own emissions (easier).
    parameter_seed : int, default=0
        Seed of the HMM parameters.
    random_state : int, RandomState or None, default=0
        Seed of the sequences.

    Returns
    -------
    Dataset
        ``name="hmm-synthetic"``, ``modality="sequence"``; ``X`` of shape
        (sum(lengths), n_features); ``y`` (n_sequences,). ``metadata``: as
        :func:`hmm_sequences` (``lengths``, ``states``, ``startprob``,
        ``transmat``, ``means``, ``covars``, ``hmms``) plus
        ``bayes_accuracy``: the accuracy of the Bayes classifier with the
        true parameters and class frequencies on these sequences.
    """
    ds = hmm_sequences(n_sequences=n_sequences, length=length, n_states=n_states,
                       n_classes=n_classes, emission="gaussian", n_features=n_features,
                       shared_emissions=shared_emissions, parameter_seed=parameter_seed,
                       random_state=random_state)
    meta = ds.metadata
    # Bayes' rule with the true parameters, on the lattice the HMM itself runs
    frames = Frames(split_sequences(ds.X, meta["lengths"]))
    emissions = GaussianEmissions(frames, "full")
    log_lik = np.column_stack([
        e_step(h["startprob"], h["transmat"],
               emissions.log_prob(np.zeros((len(h["means"]), 1)), h["means"][:, None],
                                  h["covars"][:, None])[0],
               frames, statistics=False)[0]
        for h in meta["hmms"]
    ])  # (n_sequences, n_classes): log p(x | y=k)
    K = len(meta["hmms"])
    log_prior = log_class_prior(class_prior_from_counts(np.bincount(ds.y, minlength=K)))
    bayes = np.argmax(log_lik + log_prior, axis=1)
    meta = {**meta, "generator": "hmm_synthetic",
            "bayes_accuracy": float(np.mean(bayes == ds.y))}
    return dataclasses.replace(ds, name="hmm-synthetic", description=_DESC["hmm-synthetic"],
                               source=_SOURCE_HMM, metadata=meta)


_WHITESPACE = re.compile(r"\s+")


def fortunes_lang_chars(*, max_chars: int = 200, per_class: int = 300,
                        n_vocabulary: int = 60, lowercase: bool = True, random_state=0,
                        root=None, languages: Sequence[str] | None = None):
    """Language identification over character sequences of Debian's fortunes.

    Starts from :func:`gdlab.data.text.fortunes_lang`; every text has its
    runs of whitespace (newlines, indentation) collapsed to one space, is
    lower-cased (by default; this frees vocabulary slots for the accented
    letters that tell the languages apart) and is cut to its first
    ``max_chars`` characters; ``per_class`` texts per
    language are drawn without replacement (all of them for a smaller
    language). The characters are coded over the ``n_vocabulary`` most
    frequent characters of the drawn texts (ties by code point); every other
    character becomes :data:`UNKNOWN_CHAR`, the last code. The vocabulary is
    computed from the whole set (labels are not used).

    Parameters
    ----------
    max_chars : int, default=200
    per_class : int, default=300
    n_vocabulary : int, default=60
    lowercase : bool, default=True
    random_state : int, RandomState or None, default=0
        Which texts are drawn.
    root : str or Path, optional
        The fortunes directory (default ``/usr/share/games/fortunes``).
    languages : sequence of str, optional
        Subset of ``("de", "en", "es", "it", "pt")``.

    Returns
    -------
    Dataset
        ``name="fortunes-lang-chars"``, ``modality="sequence"``; ``X`` of
        shape (total characters, 1), int64 codes; ``y`` one language per text;
        ``metadata``: ``lengths``, ``vocabulary`` (tuple of str, code i is
        ``vocabulary[i]``, the last is :data:`UNKNOWN_CHAR`), ``unknown``,
        ``max_chars``, ``lowercase``.

    Raises
    ------
    DatasetUnavailable
        When the Debian fortunes packages are not installed (names them).
    """
    from gdlab.data.text import char_sequences, fortunes_lang

    max_chars = check_int(max_chars, "max_chars")
    per_class = check_int(per_class, "per_class")
    n_vocabulary = check_int(n_vocabulary, "n_vocabulary")
    check_bool(lowercase, "lowercase")
    rng = check_random_state(random_state)
    ds = fortunes_lang(root=root, languages=languages)
    texts = [_WHITESPACE.sub(" ", t).strip() for t in ds.X["text"]]
    texts = [(t.lower() if lowercase else t)[:max_chars] for t in texts]
    keep = []
    for k in range(len(ds.class_names)):
        rows = np.flatnonzero(ds.y == k)
        keep.append(np.sort(rng.choice(rows, size=min(per_class, len(rows)), replace=False)))
    keep = np.concatenate(keep)
    keep = keep[[bool(texts[i]) for i in keep]]  # a text of only whitespace has no characters
    chosen = [texts[i] for i in keep]
    counts = Counter("".join(chosen))
    counts.pop(UNKNOWN_CHAR, None)
    top = sorted(counts, key=lambda c: (-counts[c], c))[:n_vocabulary]
    vocabulary = (*sorted(top), UNKNOWN_CHAR)
    X, lengths, vocabulary = char_sequences(chosen, vocabulary, unknown=UNKNOWN_CHAR)
    return make_dataset(
        name="fortunes-lang-chars", X=X, y=ds.y[keep], class_names=ds.class_names,
        description=_DESC["fortunes-lang-chars"], source=_SOURCE_FORTUNES,
        feature_names=("char",), modality="sequence",
        metadata={"lengths": lengths, "vocabulary": vocabulary, "unknown": UNKNOWN_CHAR,
                  "max_chars": max_chars, "lowercase": bool(lowercase)},
    )


def decode(ds, index: int) -> str:
    """The text of sequence ``index`` of a ``fortunes-lang-chars`` dataset (unknowns as U+FFFD).

    Parameters
    ----------
    ds : Dataset
        With ``metadata["vocabulary"]`` and ``metadata["lengths"]``.
    index : int

    Returns
    -------
    str
    """
    vocabulary = ds.metadata["vocabulary"]
    seq = split_sequences(ds.X, ds.metadata["lengths"])[index]
    return "".join(vocabulary[int(c)] for c in np.asarray(seq).ravel())


def _register_all() -> None:
    for name, loader, source in (("hmm-synthetic", hmm_synthetic, _SOURCE_HMM),
                                 ("fortunes-lang-chars", fortunes_lang_chars, _SOURCE_FORTUNES)):
        register(name, loader, modality="sequence", description=_DESC[name], source=source)
