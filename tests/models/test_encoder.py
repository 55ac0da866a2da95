"""BERT-style encoder: bidirectional attention, masked-LM pretraining, fine-tuning, save/load."""

import numpy as np
import pytest
import torch
from sklearn.base import clone

import gdlab
from gdlab.models.encoder import CLS_ID, BERTClassifier, MaskedLMEncoder, mask_text_tokens
from gdlab.models.gpt import CharGPT
from gdlab.nn.transformer import GPT, IGNORE, BidirectionalEncoder, GPTConfig, PooledClassifierNet
from gdlab.tokenizers import N_SPECIAL, PAD_ID

TINY = dict(context_length=24, n_layer=1, n_head=2, d_model=16, batch_size=16, lr=3e-3,
            validation_fraction=0.0, device="cpu", random_state=0)

#: Two "languages" of made-up words; the class is which vocabulary a text uses.
WORDS = (["ab", "ba", "abba", "baab"], ["cd", "dc", "cddc", "dccd"])


def _corpus(n, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    texts = [" ".join(rng.choice(WORDS[k], size=3 + i % 3)) for i, k in enumerate(y)]
    return texts, y


@pytest.fixture(scope="module")
def mlm():
    texts, _ = _corpus(60)
    return MaskedLMEncoder(**TINY, max_epochs=40).fit(texts)


# -- the network -------------------------------------------------------------------------


def test_attention_is_bidirectional_and_ignores_padding():
    config = GPTConfig(vocab_size=12, context_length=8, n_layer=2, n_head=2, d_model=8,
                       dropout=0.0)
    torch.manual_seed(0)
    enc, gpt = BidirectionalEncoder(config).eval(), GPT(config).eval()
    gpt.load_state_dict(enc.state_dict())  # same weights: only the attention pattern differs
    a = torch.tensor([[1, 5, 6, 7, 2, 0, 0, 0]])
    b = torch.tensor([[1, 5, 6, 9, 2, 0, 0, 0]])  # position 3 changed
    with torch.no_grad():
        ha, hb = enc.hidden(a), enc.hidden(b)
        # every position, the earlier ones included, sees the later token
        assert (ha[0, :3] - hb[0, :3]).abs().amax() > 1e-4
        ga, gb = gpt.hidden(a), gpt.hidden(b)
        torch.testing.assert_close(ga[0, :3], gb[0, :3], atol=1e-6, rtol=0)  # causal: not
        # padding is masked out: the same text with less padding gives the same states
        short = enc.hidden(a[:, :5])
        torch.testing.assert_close(short[0], ha[0, :5], atol=1e-5, rtol=0)


def test_cls_pooling_needs_a_bidirectional_body():
    config = GPTConfig(vocab_size=12, context_length=8, n_layer=1, n_head=2, d_model=8)
    with pytest.raises(ValueError, match="bidirectional"):
        PooledClassifierNet(config, 2, "cls", causal=True)
    net = PooledClassifierNet(config, 3, "cls", causal=False)
    assert isinstance(net.body, BidirectionalEncoder)
    assert tuple(net(torch.ones(4, 6, dtype=torch.long)).shape) == (4, 3)


def test_only_text_tokens_are_masked_and_drawn():
    gen = torch.Generator().manual_seed(0)
    ids = torch.randint(N_SPECIAL, 20, (400, 30), generator=gen)
    ids[:, 0] = CLS_ID
    ids[:, -5:] = PAD_ID
    inputs, targets = mask_text_tokens(ids, mask_id=20, mask_prob=0.15, generator=gen)
    chosen = targets != IGNORE
    assert not chosen[:, 0].any() and not chosen[:, -5:].any()  # specials never chosen
    assert torch.equal(targets[chosen], ids[chosen])
    assert torch.equal(inputs[~chosen], ids[~chosen])
    assert 0.13 < chosen[:, 1:-5].float().mean().item() < 0.18  # 15%, at least one per row
    masked = (inputs[chosen] == 20).float().mean().item()
    assert 0.75 < masked < 0.85  # 80% [MASK]
    # the random replacements are text tokens, never <pad>, [CLS], <eos> or <unk>
    replaced = inputs[chosen][(inputs[chosen] != 20)]
    assert bool(((replaced >= N_SPECIAL) & (replaced < 20)).all())


# -- masked-LM pretraining ---------------------------------------------------------------


def test_mlm_loss_decreases_below_guessing(mlm):
    texts, _ = _corpus(60)
    first, last = mlm.history_[0]["train_loss"], mlm.history_[-1]["train_loss"]
    assert last < 0.8 * first
    uniform = np.log(mlm.vocab_size_ - N_SPECIAL)
    # the words are predictable from their neighbours: below guessing among the 5 characters
    assert mlm.mlm_loss(texts) < uniform - 0.4
    untrained = MaskedLMEncoder(**{**TINY, "lr": 1e-10}, max_epochs=1).fit(texts)
    assert mlm.mlm_loss(texts) < untrained.mlm_loss(texts) - 0.3
    assert mlm.score(texts) == -mlm.mlm_loss(texts, random_state=0)


def test_long_texts_are_pretrained_in_pieces():
    mlm = MaskedLMEncoder(**{**TINY, "context_length": 8}, max_epochs=1).fit(["abcdefghijklmn"])
    pieces = mlm._pieces(["abcdefghijklmn"])  # 14 characters, 6 per piece
    assert pieces.shape == (3, 8)
    decoded = "".join(mlm.tokenizer_.decode(row[1:].tolist()) for row in pieces)
    assert decoded == "abcdefghijklmn"


def test_same_seed_same_model():
    texts, _ = _corpus(20)
    a = MaskedLMEncoder(**TINY, max_epochs=2).fit(texts)
    b = MaskedLMEncoder(**TINY, max_epochs=2).fit(texts)
    np.testing.assert_array_equal(a.embed(texts), b.embed(texts))


# -- fine-tuning -------------------------------------------------------------------------


def test_classifier_learns_from_scratch_and_from_pretrained(mlm):
    texts, y = _corpus(40, seed=1)
    test, y_test = _corpus(40, seed=2)
    scratch = BERTClassifier(**TINY, max_epochs=30).fit(texts, y)
    assert scratch.score(test, y_test) >= 0.95
    tuned = BERTClassifier(pretrained=mlm, **TINY, max_epochs=30).fit(texts, y)
    assert tuned.score(test, y_test) >= 0.95
    proba = tuned.predict_proba(test)
    np.testing.assert_allclose(proba.sum(1), 1.0, atol=1e-12)
    assert tuned.decision_function(test).shape == (40, 2)


def test_pretrained_weights_are_the_starting_point(mlm):
    texts, y = _corpus(20, seed=3)
    frozen = BERTClassifier(pretrained=mlm, **{**TINY, "lr": 1e-10}, max_epochs=1)
    frozen.fit(texts, y)
    for name, weight in mlm.module_.state_dict().items():
        torch.testing.assert_close(frozen.module_.body.state_dict()[name], weight,
                                   atol=1e-6, rtol=0)
    # ... so its [CLS] states are the masked LM's, which a scratch body's are not
    np.testing.assert_allclose(frozen.embed(texts), mlm.embed(texts), atol=1e-5, rtol=0)
    scratch = BERTClassifier(**{**TINY, "lr": 1e-10}, max_epochs=1).fit(texts, y)
    assert np.abs(scratch.embed(texts) - mlm.embed(texts)).max() > 0.1
    # the tokenizer comes with the weights (the MLM saw more characters than these texts)
    assert frozen.tokenizer_.vocabulary_ == mlm.tokenizer_.vocabulary_
    assert clone(frozen).pretrained is mlm


def test_pretraining_in_fit_uses_the_unlabelled_texts():
    texts, y = _corpus(60, seed=4)
    partial = np.where(np.arange(60) < 10, y, -1)  # 10 labelled texts, 50 unlabelled
    clf = BERTClassifier(pretrain_epochs=3, **TINY, max_epochs=5)
    assert "semi_supervised" in gdlab.capabilities(clf)
    assert "semi_supervised" not in gdlab.capabilities(BERTClassifier())
    clf.fit(texts, partial)
    assert (clf.n_labelled_, clf.n_unlabelled_) == (10, 50)
    assert len(clf.pretrain_history_) == 3
    assert list(clf.classes_) == [0, 1]
    # the MLM it pretrained is the one a separate fit on all 60 texts gives
    mlm = MaskedLMEncoder(**TINY, max_epochs=3).fit(texts)
    again = BERTClassifier(pretrained=mlm, **TINY, max_epochs=5).fit(texts[:10], y[:10])
    np.testing.assert_allclose(clf.predict_proba(texts), again.predict_proba(texts),
                               atol=1e-6, rtol=0)


def test_output_at_the_cls_position_depends_on_the_last_character(mlm):
    clf = BERTClassifier(pretrained=mlm, **TINY, max_epochs=2).fit(*_corpus(20, seed=5))
    a, b = clf.embed(["ab ba abba", "ab ba abbb"])
    assert np.abs(a - b).max() > 1e-4


# -- persistence and bad input -----------------------------------------------------------


def test_save_load_round_trips(mlm, tmp_path):
    texts, y = _corpus(20, seed=6)
    clf = BERTClassifier(pretrained=mlm, **TINY, max_epochs=2).fit(texts, y)
    loaded = gdlab.load(gdlab.save(clf, tmp_path / "clf.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    lm = gdlab.load(gdlab.save(mlm, tmp_path / "mlm.gdlab"))
    np.testing.assert_array_equal(lm.embed(texts), mlm.embed(texts))
    assert lm.mlm_loss(texts) == mlm.mlm_loss(texts)
    # a saved masked LM is a valid ``pretrained`` path
    from_path = BERTClassifier(pretrained=str(tmp_path / "mlm.gdlab"), **{**TINY, "lr": 1e-10},
                               max_epochs=1).fit(texts, y)
    np.testing.assert_allclose(from_path.embed(texts), mlm.embed(texts), atol=1e-5, rtol=0)


def test_bad_input_is_refused_before_training(mlm):
    texts, y = _corpus(10)
    with pytest.raises(ValueError, match="empty"):
        BERTClassifier(**TINY).fit([*texts[:-1], ""], y)
    with pytest.raises(ValueError, match="no texts|empty|0 sample"):
        MaskedLMEncoder(**TINY).fit([])
    with pytest.raises(ValueError, match=r"^BERTClassifier has no labelled row: every entry of "
                                         r"y is -1 \(unlabelled\)"):
        BERTClassifier(pretrain_epochs=1, **TINY).fit(texts, np.full(10, -1))
    with pytest.raises(ValueError, match=r"^BERTClassifier needs labelled rows of at least 2 "
                                         r"classes, .* hold only 1 class: \[0\]"):
        BERTClassifier(pretrain_epochs=1, **TINY).fit(texts, np.where(y == 0, 0, -1))
    with pytest.raises(ValueError, match="labels"):
        BERTClassifier(**TINY).fit(texts, y[:5])
    with pytest.raises(TypeError, match="list of texts"):
        BERTClassifier(**TINY).fit("one text", [0])
    with pytest.raises(TypeError, match="str"):
        BERTClassifier(**TINY).fit([*texts[:-1], 7], y)
    with pytest.raises(ValueError, match="mask_prob"):
        MaskedLMEncoder(**TINY, mask_prob=0.0).fit(texts)
    with pytest.raises(ValueError, match="mask_prob"):
        BERTClassifier(pretrain_epochs=1, mask_prob=1.5, **TINY).fit(texts, y)
    with pytest.raises(ValueError, match="pooling"):
        BERTClassifier(pooling="last", **TINY).fit(texts, y)
    with pytest.raises(ValueError, match="pretrain_epochs"):
        BERTClassifier(pretrain_epochs=-1, **TINY).fit(texts, y)
    with pytest.raises(ValueError, match="multiple of n_head"):
        BERTClassifier(**{**TINY, "d_model": 15}).fit(texts, y)
    with pytest.raises(TypeError, match="MaskedLMEncoder"):
        BERTClassifier(pretrained=CharGPT(), **TINY).fit(texts, y)
    with pytest.raises(TypeError, match="str"):
        mlm.embed([1, 2])
    # -1 is an ordinary label for a classifier that does not pretrain
    plain = BERTClassifier(**TINY, max_epochs=1).fit(texts, np.where(y == 0, -1, 1))
    assert list(plain.classes_) == [-1, 1]
    assert "semi_supervised" not in gdlab.capabilities(plain)


def test_registry_entries():
    from gdlab.models.registry import make

    scratch, pretrained = make("encoder"), make("encoder-mlm-finetune")
    assert gdlab.capabilities(scratch) == {"classify", "text"}
    assert gdlab.capabilities(pretrained) == {"classify", "text", "semi_supervised"}
    assert (scratch.pooling, pretrained.pretrain_epochs) == ("cls", 2)
