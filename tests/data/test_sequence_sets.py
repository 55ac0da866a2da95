"""Tests of the registered sequence sets: hmm-synthetic and fortunes-lang-chars."""

import numpy as np
import pytest

from gdlab.data import DatasetUnavailable, load
from gdlab.data.registry import names
from gdlab.data.sequence_sets import (
    UNKNOWN_CHAR,
    _register_all,
    decode,
    fortunes_lang_chars,
    hmm_synthetic,
)
from gdlab.data.sequences import hmm_sequences
from gdlab.data.splits import train_test_split
from gdlab.data.text import FORTUNES_DIR

if "hmm-synthetic" not in names():
    _register_all()

needs_fortunes = pytest.mark.skipif(
    not (FORTUNES_DIR / "de").is_dir(), reason="Debian fortunes packages not installed")


def _check_sequence_dataset(ds):
    lengths = ds.metadata["lengths"]
    assert ds.modality == "sequence"
    assert lengths.ndim == 1 and (lengths >= 1).all()
    assert int(lengths.sum()) == len(ds.X)
    assert len(ds.y) == len(lengths)
    assert set(np.unique(ds.y)) == set(range(len(ds.class_names)))


def test_hmm_synthetic_shapes_and_true_parameters():
    ds = load("hmm-synthetic")
    _check_sequence_dataset(ds)
    assert ds.name == "hmm-synthetic"
    assert len(ds.y) == 300 and ds.X.shape[1] == 2 and len(ds.class_names) == 3
    lengths = ds.metadata["lengths"]
    assert lengths.min() >= 20 and lengths.max() <= 60
    assert np.bincount(ds.y).tolist() == [100, 100, 100]
    assert ds.metadata["transmat"].shape == (3, 3, 3)
    np.testing.assert_allclose(ds.metadata["transmat"].sum(axis=2), 1.0)
    assert ds.metadata["means"].shape == (3, 3, 2)
    assert len(ds.metadata["states"]) == len(ds.X)
    # the classes are separable by their dynamics, but not perfectly
    assert 0.8 < ds.metadata["bayes_accuracy"] <= 1.0


def test_hmm_synthetic_is_seeded():
    a, b = hmm_synthetic(random_state=3), hmm_synthetic(random_state=3)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    c = hmm_synthetic(random_state=4)
    assert not np.array_equal(a.metadata["lengths"], c.metadata["lengths"])
    # same parameters (parameter_seed) whatever random_state
    np.testing.assert_array_equal(a.metadata["transmat"], c.metadata["transmat"])


def test_hmm_synthetic_splits_by_whole_sequences():
    ds = hmm_synthetic(n_sequences=60)
    train, test = train_test_split(ds, test_size=0.25, random_state=0)
    for part in (train, test):
        _check_sequence_dataset(part)
    assert len(train.y) + len(test.y) == 60


def test_known_parameter_scores_match_hmmlearn():
    """The Bayes ceiling of hmm-synthetic scores sequences with HMM.from_params."""
    from gdlab.models import HMM

    hmm_lib = pytest.importorskip("hmmlearn.hmm")
    ds = hmm_sequences(n_sequences=4, length=(3, 9), n_classes=2, random_state=1)
    h = ds.metadata["hmms"][1]
    ref = hmm_lib.GaussianHMM(n_components=3, covariance_type="full")
    ref.startprob_, ref.transmat_ = h["startprob"], h["transmat"]
    ref.means_, ref.covars_ = h["means"], h["covars"]
    lengths = ds.metadata["lengths"]
    ends = np.cumsum(lengths)
    expected = [ref.score(ds.X[e - n:e]) for e, n in zip(ends, lengths, strict=True)]
    hmm = HMM.from_params(h["startprob"], h["transmat"], means=h["means"], covars=h["covars"])
    np.testing.assert_allclose(hmm.score_samples(ds.X, lengths), expected, rtol=1e-10,
                               atol=1e-10)


def test_known_categorical_hmm_sums_to_one_over_all_sequences():
    from gdlab.models import HMM

    # every sequence of length 3 over 2 symbols: the probabilities sum to one
    rng = np.random.RandomState(0)
    hmm = HMM.from_params(rng.dirichlet(np.ones(2)), rng.dirichlet(np.ones(2), 2),
                          emissionprob=rng.dirichlet(np.ones(2), 2))
    seqs = np.array([[a, b, c] for a in (0, 1) for b in (0, 1) for c in (0, 1)])
    ll = hmm.score_samples(seqs.reshape(-1, 1), [3] * 8)
    assert np.exp(ll).sum() == pytest.approx(1.0)


def test_from_params_bad_input():
    from gdlab.models import HMM

    h = hmm_sequences(n_sequences=2, length=4).metadata["hmms"][0]
    with pytest.raises(ValueError, match="not both"):
        HMM.from_params(h["startprob"], h["transmat"])
    with pytest.raises(ValueError, match="rows summing to 1"):
        HMM.from_params(h["startprob"], h["transmat"] * 1.1, means=h["means"],
                        covars=h["covars"])
    with pytest.raises(ValueError, match="covars_init"):
        HMM.from_params(h["startprob"], h["transmat"], means=h["means"],
                        covars=-h["covars"])


@needs_fortunes
def test_fortunes_lang_chars_shapes_vocabulary_and_balance():
    ds = load("fortunes-lang-chars")
    _check_sequence_dataset(ds)
    assert ds.class_names == ("de", "en", "es", "it", "pt")
    assert np.bincount(ds.y).tolist() == [300] * 5
    vocab = ds.metadata["vocabulary"]
    assert len(vocab) == 61 and vocab[-1] == UNKNOWN_CHAR
    assert ds.X.dtype == np.int64 and ds.X.shape[1] == 1
    assert ds.X.min() >= 0 and ds.X.max() < len(vocab)
    assert ds.metadata["lengths"].max() <= 200
    text = decode(ds, 0)
    assert len(text) == ds.metadata["lengths"][0]
    assert text == text.lower() and "\n" not in text and "  " not in text


@needs_fortunes
def test_fortunes_lang_chars_options_and_seed():
    a = fortunes_lang_chars(per_class=20, max_chars=50, n_vocabulary=10, languages=["en", "de"],
                            random_state=1)
    b = fortunes_lang_chars(per_class=20, max_chars=50, n_vocabulary=10, languages=["en", "de"],
                            random_state=1)
    np.testing.assert_array_equal(a.X, b.X)
    assert a.class_names == ("de", "en") and len(a.y) == 40
    assert len(a.metadata["vocabulary"]) == 11 and a.metadata["lengths"].max() <= 50
    # unknown characters exist once the vocabulary is that small
    assert (a.X.ravel() == 10).any()
    c = fortunes_lang_chars(per_class=20, max_chars=50, languages=["en", "de"], random_state=2)
    assert not np.array_equal(a.y, c.y) or not np.array_equal(a.metadata["lengths"],
                                                             c.metadata["lengths"])


def test_fortunes_lang_chars_missing_packages_named(tmp_path):
    with pytest.raises(DatasetUnavailable, match="fortunes-de"):
        fortunes_lang_chars(root=tmp_path, languages=["de"])


@pytest.mark.parametrize("kwargs, err", [
    ({"max_chars": 0}, ValueError), ({"per_class": "10"}, TypeError),
    ({"lowercase": "yes"}, TypeError),
])
def test_fortunes_lang_chars_bad_arguments(kwargs, err, tmp_path):
    with pytest.raises(err):
        fortunes_lang_chars(root=tmp_path, **kwargs)
