"""Small GPT: probabilities, chain rule, overfitting, Bayes' rule, pretraining, save/load."""

import copy
import pickle

import numpy as np
import pytest
import torch
from scipy.special import logsumexp, softmax
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import gdlab
from gdlab.base import ClassConditional
from gdlab.capability_tags import capabilities, input_kind
from gdlab.models.gpt import (
    GPT,
    IGNORE,
    CharGPT,
    GPTClassifier,
    GPTConfig,
    LabelPrefixGPT,
    sliding_windows,
)
from gdlab.tokenizers import EOS_ID

TINY = dict(context_length=16, n_layer=1, n_head=2, d_model=32, dropout=0.0,
            validation_fraction=0.0, device="cpu", random_state=0, batch_size=16)
CORPUS = ["hello world", "gdlab rocks", "tiny corpus"]
A_TEXTS = ["aab aba", "abaa ab", "baaa a", "aa ba", "ab aab", "a aaab"]
B_TEXTS = ["bbc bcb", "cbbb b", "bcbb cb", "bb cb", "cbb bc", "b bbcb"]


@pytest.fixture(scope="module")
def lm():
    return CharGPT(**{**TINY, "max_epochs": 40, "lr": 3e-3}).fit(CORPUS * 4)


@pytest.fixture(scope="module")
def prefix_clf():
    texts, y = A_TEXTS + B_TEXTS, ["a"] * 6 + ["b"] * 6
    return LabelPrefixGPT(**{**TINY, "max_epochs": 30, "lr": 3e-3}).fit(texts, y)


# ------------------------------------------------------------------ probabilities


def test_vocabulary_probabilities_sum_to_one_at_every_position(lm):
    text = "hello gdlab"
    prefixes = [text[:i] for i in range(len(text) + 1)]
    proba = lm.next_token_proba(prefixes)
    assert proba.shape == (len(prefixes), lm.tokenizer_.vocab_size)
    assert np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    # and straight from the network, at every position of a batch
    x = torch.randint(0, lm.config_["vocab_size"], (3, lm.config_["context_length"]))
    with torch.no_grad():
        logits, _ = lm.module_(x)
    np.testing.assert_allclose(torch.softmax(logits.double(), -1).sum(-1).numpy(), 1.0,
                               atol=1e-9)


def test_score_is_the_chain_rule_of_next_token_probabilities(lm):
    text = "tiny rocks"  # shorter than the context: every token sees all the text before it
    ids = [*lm.tokenizer_.encode(text), EOS_ID]
    proba = lm.next_token_proba([text[:i] for i in range(len(text) + 1)])
    by_hand = np.log(proba[np.arange(len(ids)), ids]).sum()
    # float32 network, the text in other batches: a few float32 ulps per token
    np.testing.assert_allclose(lm.score_samples([text])[0], by_hand, rtol=0, atol=1e-4)


def test_long_texts_score_every_token_once():
    seq = list(range(4, 4 + 40))
    for T, stride in [(8, 4), (8, 1), (16, 8), (50, 25)]:
        x, y = sliding_windows(seq, T, stride)
        scored = y[y != IGNORE]
        assert sorted(scored.tolist()) == seq[1:]
        # the input of each scored target is the token just before it
        for w in range(len(x)):
            for j in np.flatnonzero(y[w] != IGNORE):
                assert seq[seq.index(int(y[w, j])) - 1] == x[w, j]


def test_long_text_score_is_finite_and_additive(lm):
    long_text = " ".join(CORPUS * 5)  # much longer than context_length=16
    s = lm.score_samples([long_text, "hello world"])
    assert np.all(np.isfinite(s)) and s[0] < s[1] < 0


def test_bits_per_char_and_perplexity(lm):
    texts = ["hello world", "tiny corpus"]
    total = lm.score_samples(texts).sum()
    n_chars = sum(len(t) + 1 for t in texts)
    np.testing.assert_allclose(lm.bits_per_char(texts), -total / np.log(2) / n_chars,
                               atol=1e-9)
    # with characters as tokens, perplexity is 2 ** bits per character
    np.testing.assert_allclose(lm.perplexity(texts), 2 ** lm.bits_per_char(texts), atol=1e-9)
    assert lm.bits_per_char(texts) < lm.bits_per_char(["zq xv jk wy"])


# -------------------------------------------------------------- learning, sampling


def test_overfits_a_tiny_corpus_and_samples_it_back():
    model = CharGPT(**{**TINY, "max_epochs": 200, "lr": 5e-3, "batch_size": 3}).fit(CORPUS)
    # the only uncertainty left is which of the 3 texts starts: log(3) over 12 targets each
    floor = np.log(3) / 12
    assert model.history_[-1]["train_loss"] < floor + 0.01
    assert model.sample(1, prompt="gd", temperature=0)[0] == "gdlab rocks"
    assert model.sample(1, prompt="ti", temperature=0)[0] == "tiny corpus"
    draws = model.sample(20, random_state=1, temperature=0.5)
    assert set(draws) <= set(CORPUS)
    # the corpus is almost the whole probability mass
    assert np.exp(logsumexp(model.score_samples(CORPUS))) > 0.9


def test_same_seed_same_samples(lm):
    a = lm.sample(5, random_state=3, max_length=20)
    assert a == lm.sample(5, random_state=3, max_length=20)
    assert a != lm.sample(5, random_state=4, max_length=20)
    assert all(isinstance(t, str) and len(t) <= 20 for t in a)
    assert all(t.startswith("he") for t in lm.sample(3, prompt="he", random_state=0))
    top1 = lm.sample(3, random_state=0, top_k=1)
    assert top1 == lm.sample(3, random_state=9, temperature=0)  # top_k=1 is greedy


def test_byte_tokenizer_scores_unseen_characters():
    model = CharGPT(tokenizer="byte", **{**TINY, "max_epochs": 2}).fit(CORPUS)
    s = model.score_samples(["日本", "hello"])
    assert np.all(np.isfinite(s))
    assert model.tokenizer_.vocab_size == 260


def test_hf_tokenizer_model(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    hf = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    hf.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    hf.save(str(tmp_path / "tokenizer.json"))
    model = CharGPT(tokenizer="hf", tokenizer_path=str(tmp_path / "tokenizer.json"),
                    **{**TINY, "max_epochs": 2}).fit(CORPUS)
    assert np.all(np.isfinite(model.score_samples(["hello rocks"])))
    loaded = gdlab.load(gdlab.save(model, tmp_path / "m.gdlab"))
    np.testing.assert_array_equal(loaded.score_samples(CORPUS), model.score_samples(CORPUS))


# ------------------------------------------------------------- generative classifiers


def test_class_conditional_gpt_is_bayes_rule():
    texts, y = A_TEXTS + B_TEXTS[:4], np.array([0] * 6 + [1] * 4)
    clf = ClassConditional(CharGPT(**{**TINY, "max_epochs": 3})).fit(texts, y)
    assert input_kind(clf) == "text"
    assert {"classify", "density", "text"} <= capabilities(clf)
    query = ["aab", "bcb", "zzz"]
    log_joint = np.column_stack([d.score_samples(query) for d in clf.densities_])
    log_joint += np.log([0.6, 0.4])
    np.testing.assert_allclose(clf.predict_proba(query), softmax(log_joint, axis=1), rtol=1e-6,
                               atol=1e-12)
    np.testing.assert_allclose(clf.score_samples(query), logsumexp(log_joint, axis=1),
                               atol=1e-9)
    X, labels = clf.sample(4, y=1, random_state=0, max_length=10)
    assert len(X) == 4 and all(isinstance(t, str) for t in X) and set(labels) == {1}


def test_label_prefix_posteriors_are_bayes_rule(prefix_clf):
    query = ["aab ab", "bcb bb", "q"]
    lj = prefix_clf.log_joint(query)
    assert lj.shape == (3, 2)
    proba = prefix_clf.predict_proba(query)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(proba, softmax(lj, axis=1), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(prefix_clf.score_samples(query), logsumexp(lj, axis=1),
                               atol=1e-9)
    np.testing.assert_allclose(lj - np.log(prefix_clf.class_prior_),
                               lj - np.log(0.5), atol=1e-12)
    np.testing.assert_array_equal(prefix_clf.class_count_, [6.0, 6.0])
    assert list(prefix_clf.predict(["aaab a", "bbcb b"])) == ["a", "b"]
    assert {"classify", "density", "sample", "conditional_sample", "text"} == capabilities(
        prefix_clf)


def test_label_prefix_samples_each_class(prefix_clf):
    X, y = prefix_clf.sample(6, y="b", random_state=0, temperature=0.5, max_length=12)
    assert list(y) == ["b"] * 6
    text = "".join(X)
    assert text.count("b") + text.count("c") > text.count("a")
    X2, y2 = prefix_clf.sample(6, y="b", random_state=0, temperature=0.5, max_length=12)
    assert X2 == X
    _, drawn = prefix_clf.sample(10, random_state=0)
    assert set(drawn) <= {"a", "b"}


# ---------------------------------------------------------------- GPTClassifier


def test_gpt_classifier_learns_and_starts_from_pretrained(lm, tmp_path):
    texts, y = A_TEXTS + B_TEXTS, np.array([0] * 6 + [1] * 6)
    scratch = GPTClassifier(**{**TINY, "max_epochs": 30, "lr": 3e-3}).fit(texts, y)
    assert scratch.score(texts, y) == 1.0
    np.testing.assert_allclose(scratch.predict_proba(texts).sum(axis=1), 1.0, rtol=0,
                               atol=1e-12)

    # a vanishing learning rate leaves the body where pretraining put it
    frozen = GPTClassifier(pretrained=lm, **{**TINY, "max_epochs": 1, "lr": 1e-10})
    frozen.fit(texts, y)
    body = frozen.module_.body.state_dict()
    for k, v in lm.module_.state_dict().items():
        np.testing.assert_allclose(body[k].numpy(), v.numpy(), atol=1e-6)
    assert frozen.tokenizer_.vocabulary_ == lm.tokenizer_.vocabulary_
    assert frozen.config_["d_model"] == lm.config_["d_model"]
    not_pretrained = GPTClassifier(**{**TINY, "max_epochs": 1, "lr": 1e-10}).fit(texts, y)
    assert not torch.allclose(not_pretrained.module_.body.tok_emb.weight[:5],
                              lm.module_.tok_emb.weight[:5])

    # clone keeps the fitted pretrained model; a saved path works as well
    assert clone(frozen).pretrained is lm
    path = gdlab.save(lm, tmp_path / "lm.gdlab")
    from_path = GPTClassifier(pretrained=str(path), **{**TINY, "max_epochs": 1, "lr": 1e-10})
    from_path.fit(texts, y)
    np.testing.assert_allclose(from_path.predict_proba(texts), frozen.predict_proba(texts),
                               atol=1e-5)


def test_gpt_classifier_posteriors_normalize_for_any_logit_scale(monkeypatch):
    """Equal huge logits are a tie: x - logsumexp(x) would lose log 2 and give [1, 1]."""
    clf = GPTClassifier()
    monkeypatch.setattr(clf, "_logits", lambda X: np.array([[1e17, 1e17]]))
    np.testing.assert_allclose(clf.predict_proba(["a"]), [[0.5, 0.5]], rtol=0, atol=1e-12)


def test_gpt_classifier_pretrained_errors():
    with pytest.raises(TypeError, match="fitted CharGPT"):
        GPTClassifier(pretrained=GPTClassifier(), **TINY).fit(["a", "b"], [0, 1])
    with pytest.raises(NotFittedError):
        GPTClassifier(pretrained=CharGPT(), **TINY).fit(["a", "b"], [0, 1])


# ------------------------------------------------------------------ save / load


def test_save_load_round_trips(lm, prefix_clf, tmp_path):
    query = ["hello", "aab ab", "bcb"]
    loaded = gdlab.load(gdlab.save(lm, tmp_path / "lm.gdlab"))
    np.testing.assert_array_equal(loaded.score_samples(query), lm.score_samples(query))
    assert loaded.sample(3, random_state=0) == lm.sample(3, random_state=0)

    loaded = gdlab.load(gdlab.save(prefix_clf, tmp_path / "p.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(query), prefix_clf.predict_proba(query))

    clf = GPTClassifier(pretrained=lm, **{**TINY, "max_epochs": 2}).fit(
        A_TEXTS + B_TEXTS, [0] * 6 + [1] * 6)
    loaded = gdlab.load(gdlab.save(clf, tmp_path / "c.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(query), clf.predict_proba(query))

    per_class = ClassConditional(CharGPT(**{**TINY, "max_epochs": 1})).fit(
        A_TEXTS + B_TEXTS, [0] * 6 + [1] * 6)
    loaded = gdlab.load(gdlab.save(per_class, tmp_path / "cc.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(query), per_class.predict_proba(query))


def test_pickle_and_deepcopy_keep_the_weights(lm):
    for other in (pickle.loads(pickle.dumps(lm)), copy.deepcopy(lm)):
        np.testing.assert_array_equal(other.score_samples(CORPUS), lm.score_samples(CORPUS))
    assert hasattr(lm, "module_")  # copying did not strip the original


# ------------------------------------------------------------------- bad input


def test_bad_input(lm):
    with pytest.raises(ValueError, match="empty string"):
        CharGPT(**TINY).fit(["abc", ""])
    with pytest.raises(TypeError, match="single str"):
        CharGPT(**TINY).fit("abc")
    with pytest.raises(TypeError, match="expects str texts"):
        CharGPT(**TINY).fit([1, 2])
    with pytest.raises(TypeError, match="expects str texts"):
        lm.score_samples(np.zeros((3, 1)))
    with pytest.raises(ValueError, match="longer than the context"):
        lm.sample(1, prompt="x" * 40)
    with pytest.raises(ValueError, match="longer than the context"):
        lm.next_token_proba(["x" * 16])
    with pytest.raises(TypeError, match="prompt must be a str"):
        lm.sample(1, prompt=5)
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(1, temperature=-1)
    with pytest.raises(ValueError, match="multiple of n_head"):
        CharGPT(**{**TINY, "n_head": 3}).fit(CORPUS)
    with pytest.raises(ValueError, match="tokenizer"):
        CharGPT(tokenizer="word", **TINY).fit(CORPUS)
    with pytest.raises(ValueError, match="n_samples"):
        lm.sample(0)
    with pytest.raises(NotFittedError):
        CharGPT().score_samples(["a"])
    with pytest.raises(ValueError, match="labels"):
        LabelPrefixGPT(**TINY).fit(["a", "b"], [0])
    with pytest.raises(ValueError, match="pooling"):
        GPTClassifier(pooling="max", **TINY).fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="longer than the context"):
        GPT(GPTConfig(vocab_size=10, context_length=4))(torch.zeros(1, 5, dtype=torch.long))


def test_text_models_are_clone_friendly():
    for est in (CharGPT(**TINY), LabelPrefixGPT(priors=[0.5, 0.5], **TINY),
                GPTClassifier(pooling="last", **TINY)):
        assert clone(est).get_params() == est.get_params()
        assert input_kind(est) == "text"


def test_gpt_classifier_pretrains_in_fit_on_unlabeled_texts():
    texts = A_TEXTS + B_TEXTS + ["aaa bab", "bcc cbb", "zq"]
    y = np.array([0] * 6 + [1] * 6 + [-1] * 3)
    clf = GPTClassifier(pretrain_epochs=2, **{**TINY, "max_epochs": 20, "lr": 3e-3})
    assert "semi_supervised" in capabilities(clf)
    assert "semi_supervised" not in capabilities(GPTClassifier())
    clf.fit(texts, y)
    assert list(clf.classes_) == [0, 1]
    assert len(clf.pretrain_history_) == 2
    assert "z" in clf.tokenizer_.vocabulary_  # the unlabeled texts shaped the vocabulary
    assert clf.score(A_TEXTS + B_TEXTS, y[:12]) == 1.0
    with pytest.raises(ValueError, match="pretrain_epochs"):
        GPTClassifier(pretrain_epochs=-1, **TINY).fit(texts, y)


def test_gpt_classifier_marks_unlabeled_texts_as_the_other_text_classifiers_do():
    """y = -1 is read by the one check of BERTClassifier and HFEncoderClassifier
    (text_class_indices): its messages, a one-column y read as 1-D, n_labelled_ recorded."""
    texts = A_TEXTS + B_TEXTS + ["zq", "qz"]
    y = np.array([0] * 6 + [1] * 6 + [-1, -1])
    with pytest.raises(ValueError, match=r"^GPTClassifier has no labelled row: every entry of "
                                         r"y is -1 \(unlabelled\)"):
        GPTClassifier(pretrain_epochs=1, **TINY).fit(texts, np.full(14, -1))
    with pytest.raises(ValueError, match=r"^GPTClassifier needs labelled rows of at least 2 "
                                         r"classes, .* hold only 1 class: \[0\]"):
        GPTClassifier(pretrain_epochs=1, **TINY).fit(texts, np.where(y == 0, 0, -1))
    clf = GPTClassifier(pretrain_epochs=1, **{**TINY, "max_epochs": 1}).fit(texts, y[:, None])
    assert clf.classes_.tolist() == [0, 1]  # -1 in a one-column y marks unlabeled texts too
    assert (clf.n_labelled_, clf.n_unlabelled_) == (12, 2)
    plain = GPTClassifier(**{**TINY, "max_epochs": 1}).fit(texts, y)  # no pretraining
    assert plain.classes_.tolist() == [-1, 0, 1]
    assert (plain.n_labelled_, plain.n_unlabelled_) == (14, 0)


def test_semi_supervised_capability_says_what_fit_does():
    """A numpy int pretrain_epochs pretrains in fit (semi-supervised); a bool is refused by fit
    (so not semi-supervised); a pretrained model means no pretraining in fit."""
    texts = A_TEXTS + B_TEXTS + ["zq"]
    y = np.array([0] * 6 + [1] * 6 + [-1])
    clf = GPTClassifier(pretrain_epochs=np.int64(1), **TINY)
    assert "semi_supervised" in capabilities(clf)
    assert len(clf.fit(texts, y).pretrain_history_) == 1
    assert "semi_supervised" not in capabilities(GPTClassifier(pretrain_epochs=True))
    with pytest.raises(TypeError, match="pretrain_epochs"):
        GPTClassifier(pretrain_epochs=True, **TINY).fit(texts, y)
    assert "semi_supervised" not in capabilities(GPTClassifier(pretrain_epochs=2,
                                                               pretrained="lm.gdlab"))


def test_unseen_characters_share_the_unk_mass(lm):
    """Every unseen character gets 1 / (number of unseen code points) of p(<unk>)."""
    from gdlab.models.ngram import N_CODEPOINTS
    from gdlab.tokenizers import BOS_ID, N_SPECIAL, PAD_ID

    unseen = [c for c in "XYZ中😀" if c not in "".join(CORPUS)]
    scores = lm.score_samples(["ab" + c for c in unseen])
    # the same float32 computation in different rows of one batch: a few ulps apart
    np.testing.assert_allclose(scores, scores[0], rtol=0, atol=1e-5)
    n_unseen = N_CODEPOINTS - (lm.tokenizer_.vocab_size - N_SPECIAL)
    # all strings "ab" + one unseen character together have at most probability 1
    assert np.exp(scores[0]) * n_unseen <= 1.0
    p = lm.next_token_proba(["ab"])
    assert p[0, PAD_ID] == 0 and p[0, BOS_ID] == 0  # never generated, so never scored
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-6)  # a float32 softmax


def test_subword_tokenizers_make_the_score_a_bound():
    """Characters and bytes have one tokenization; a Hugging Face tokenizer has many."""
    assert "density" in capabilities(CharGPT(tokenizer="byte"))
    for est in (CharGPT(tokenizer="hf"), LabelPrefixGPT(tokenizer="hf")):
        caps = capabilities(est)
        assert "density_bound" in caps and "density" not in caps


@pytest.mark.parametrize("cls", [CharGPT, LabelPrefixGPT])
def test_training_recipe_reaches_the_trainer(cls):
    texts, y = A_TEXTS + B_TEXTS, ["a"] * 6 + ["b"] * 6
    args = (texts,) if cls is CharGPT else (texts, y)
    est = cls(**{**TINY, "max_epochs": 3}, lr_schedule="cosine", warmup=0.2, precision="bf16")
    assert {"lr_schedule": "cosine", "warmup": 0.2, "precision": "bf16"}.items() <= \
        est.get_params().items()
    config = est._train_config()
    assert (config.lr_schedule, config.warmup, config.precision) == ("cosine", 0.2, "bf16")
    est.fit(*args)
    assert len(est.history_) == 3 and np.isfinite(est.history_[-1]["train_loss"])
    assert all(p.dtype == torch.float32 for p in est.module_.parameters())
    # a cosine run is a different run: not the constant-rate weights
    plain = cls(**{**TINY, "max_epochs": 3}).fit(*args)
    assert plain._train_config().lr_schedule == "constant"
    assert not all(torch.equal(a, b) for a, b in zip(
        est.module_.parameters(), plain.module_.parameters(), strict=True))


def test_bad_training_recipe_is_refused_before_training():
    with pytest.raises(ValueError, match="lr_schedule must be one of 'constant', 'cosine'"):
        CharGPT(**TINY, lr_schedule="step").fit(CORPUS)
    with pytest.raises(ValueError, match="precision must be one of"):
        CharGPT(**TINY, precision="fp8").fit(CORPUS)
    with pytest.raises(ValueError, match="warmup"):
        CharGPT(**TINY, warmup=1.5).fit(CORPUS)
