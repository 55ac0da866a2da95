"""HFEncoderClassifier on tiny random BERTs built on the spot (no download)."""

import shutil

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import clone

import gdlab
from gdlab.capability_tags import capabilities

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

import gdlab.models._hf_checkpoints as checkpoints  # noqa: E402
import gdlab.models.hf as hf  # noqa: E402
from gdlab.models.hf import HFCausalLM, HFEncoderClassifier, HFGenerativeClassifier  # noqa: E402

POS = ["good fine happy day", "a good sunny walk", "happy and fine", "fine good weather"]
NEG = ["bad awful sad rain", "an awful storm", "sad and bad", "rain bad weather"]
UNLABELLED_ONLY = ["zebra quartz", "quartz zebra jumps"]  # words no labelled text has
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _tokenizer():
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(POS + NEG + UNLABELLED_ONLY,
                            trainers.WordPieceTrainer(vocab_size=200, special_tokens=SPECIALS))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="[PAD]", unk_token="[UNK]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


def _config(tokenizer, **kw):
    from transformers import BertConfig

    return BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=37, max_position_embeddings=16,
                      pad_token_id=tokenizer.pad_token_id, **kw)


@pytest.fixture(scope="module")
def mlm_checkpoint(tmp_path_factory):
    """A 2-layer BERT masked LM (hidden 32), random weights, and a WordPiece tokenizer."""
    from transformers import BertForMaskedLM

    tokenizer = _tokenizer()
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("tiny-bert-mlm")
    BertForMaskedLM(_config(tokenizer)).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def cls_checkpoint(tmp_path_factory):
    """A tiny BERT with a 2-label classification head named pos (output 0) and neg (1)."""
    from transformers import BertForSequenceClassification

    tokenizer = _tokenizer()
    torch.manual_seed(1)
    config = _config(tokenizer, id2label={0: "pos", 1: "neg"}, label2id={"pos": 0, "neg": 1})
    path = tmp_path_factory.mktemp("tiny-bert-cls")
    BertForSequenceClassification(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def gpt2_checkpoint(tmp_path_factory):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(POS + NEG, trainers.BpeTrainer(
        vocab_size=300, special_tokens=["<eos>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<eos>", unk_token="<unk>")
    path = tmp_path_factory.mktemp("tiny-gpt2-enc")
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=32,
                               vocab_size=len(fast), bos_token_id=0, eos_token_id=0)
                    ).save_pretrained(path)
    fast.save_pretrained(path)
    return path


def _small(path, **kw):
    settings = dict(device="cpu", lr=1e-3, max_epochs=15, batch_size=4, weight_decay=0.0,
                    validation_fraction=0.0, random_state=0)
    return HFEncoderClassifier(path, **{**settings, **kw})


def _checkpoint_logits(path, texts):
    """The checkpoint's own classifier, one text at a time (no padding), float64."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    tok = AutoTokenizer.from_pretrained(path)
    with torch.no_grad():
        return np.stack([model(**tok(t, return_tensors="pt")).logits[0].double().numpy()
                         for t in texts])


@pytest.fixture(scope="module")
def fitted(mlm_checkpoint):
    return _small(mlm_checkpoint).fit(POS + NEG, ["pos"] * 4 + ["neg"] * 4)


def test_fine_tuning_learns_and_probabilities_are_the_softmax_of_the_logits(fitted):
    X = POS + NEG
    y = np.array(["pos"] * 4 + ["neg"] * 4)
    assert fitted.classes_.tolist() == ["neg", "pos"]
    assert fitted.score(X, y) == 1.0
    assert fitted.history_[-1]["train_loss"] < fitted.history_[0]["train_loss"]
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(proba, softmax(fitted.decision_function(X), axis=1), atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(X), fitted.classes_[proba.argmax(axis=1)])


def test_logits_are_the_models_own_forward_pass_unpadded(fitted):
    """Padding in a batch does not change a text's logits (the attention mask hides it)."""
    texts = ["good", "an awful storm and rain today", ""]
    model, tok = fitted.module_.model, fitted.module_.tokenizer
    with torch.no_grad():
        alone = np.stack([model(**tok(t, return_tensors="pt")).logits[0].double().numpy()
                          for t in texts])
    np.testing.assert_allclose(fitted.decision_function(texts), alone[:, fitted.head_index_],
                               atol=1e-5)


def test_fine_tuning_starts_from_the_checkpoints_encoder(mlm_checkpoint):
    """With a negligible learning rate the encoder is still the checkpoint's."""
    from transformers import BertForMaskedLM

    clf = _small(mlm_checkpoint, lr=1e-12, max_epochs=1).fit(POS + NEG, [1] * 4 + [0] * 4)
    original = BertForMaskedLM.from_pretrained(mlm_checkpoint).bert.state_dict()
    body = clf.module_.model.bert.state_dict()
    for name, value in original.items():
        np.testing.assert_allclose(body[name].numpy(), value.numpy(), atol=1e-8, err_msg=name)
    assert clf.head_labels_ == ["0", "1"]


def test_same_seed_same_model(mlm_checkpoint):
    X, y = POS + NEG, [1] * 4 + [0] * 4
    a = _small(mlm_checkpoint, max_epochs=2, random_state=3).fit(X, y).predict_proba(X)
    b = _small(mlm_checkpoint, max_epochs=2, random_state=3).fit(X, y).predict_proba(X)
    c = _small(mlm_checkpoint, max_epochs=2, random_state=4).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_a_checkpoints_named_head_is_kept_and_read_by_label_name(cls_checkpoint):
    """Head outputs are (pos, neg); the sorted classes (neg, pos) are mapped by name."""
    texts = ["good day", "bad rain", "sunny"]
    clf = _small(cls_checkpoint, lr=1e-12, max_epochs=1).fit(POS + NEG,
                                                           ["pos"] * 4 + ["neg"] * 4)
    assert clf.head_labels_ == ["pos", "neg"]
    assert clf.head_index_.tolist() == [1, 0]
    own = _checkpoint_logits(cls_checkpoint, texts)  # columns (pos, neg)
    np.testing.assert_allclose(clf.decision_function(texts), own[:, [1, 0]], atol=1e-5)
    np.testing.assert_allclose(clf.predict_proba(texts), softmax(own[:, [1, 0]], axis=1),
                               atol=1e-5)
    # integer labels 0..1 go to outputs 0..1
    ints = _small(cls_checkpoint, lr=1e-12, max_epochs=1).fit(POS + NEG, [0] * 4 + [1] * 4)
    np.testing.assert_allclose(ints.decision_function(texts), own, atol=1e-5)


def test_labels_the_head_cannot_hold(cls_checkpoint, monkeypatch):
    X = POS + NEG
    three = ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    real = checkpoints.from_pretrained
    monkeypatch.setattr(checkpoints, "from_pretrained", _no_weights)  # refused before weights
    with pytest.raises(ValueError, match=r"holds 2 labels \['pos', 'neg'\] but y has 3 classes"):
        _small(cls_checkpoint).fit(X, three)
    with pytest.raises(ValueError, match="neither these names nor 0..1"):
        _small(cls_checkpoint).fit(X, ["x"] * 4 + ["y"] * 4)
    monkeypatch.setattr(checkpoints, "from_pretrained", real)
    fresh = _small(cls_checkpoint, new_head=True, max_epochs=2).fit(X, three)
    assert fresh.head_labels_ == ["a", "b", "c"]
    assert fresh.predict_proba(X).shape == (8, 3)
    assert fresh.module_.model.config.id2label == {0: "a", 1: "b", 2: "c"}


def _no_weights(*args, **kwargs):
    raise AssertionError("weights were read before the input was checked")


def test_masked_lm_pretraining_on_unlabelled_texts_is_handed_to_fine_tuning(mlm_checkpoint):
    """The unlabelled texts' words change only in pretraining; fine-tuning (no weight decay)
    leaves their embedding rows as pretraining made them."""
    from transformers import BertForMaskedLM

    X = POS + NEG + UNLABELLED_ONLY
    y = [1] * 4 + [0] * 4 + [-1, -1]
    clf = _small(mlm_checkpoint, pretrain_epochs=3, max_epochs=2).fit(X, y)
    assert "semi_supervised" in capabilities(clf)
    assert "semi_supervised" not in capabilities(_small(mlm_checkpoint))
    assert "semi_supervised" in capabilities(_small(mlm_checkpoint, pretrain_epochs=np.int64(3)))
    assert "semi_supervised" not in capabilities(_small(mlm_checkpoint, pretrain_epochs=True))
    with pytest.raises(TypeError, match="pretrain_epochs"):  # fit refuses a bool
        _small(mlm_checkpoint, pretrain_epochs=True).fit(X, y)
    assert clf.classes_.tolist() == [0, 1]
    assert (clf.n_labelled_, clf.n_unlabelled_) == (8, 2)
    assert [h["epoch"] for h in clf.pretrain_history_] == [1, 2, 3]
    assert all(np.isfinite(h["train_loss"]) for h in clf.pretrain_history_)
    pre = hf._MaskedLMPretraining(mlm_checkpoint, max_length=None, mlm_probability=0.15,
                                  max_epochs=3, batch_size=4, lr=1e-3, weight_decay=0.0,
                                  validation_fraction=0.0, patience=3, device="cpu",
                                  random_state=0, verbose=False).fit(X)
    assert pre.history_ == [{**h, "seconds": pre.history_[i]["seconds"]}
                            for i, h in enumerate(clf.pretrain_history_)]
    tok = clf.module_.tokenizer
    only = sorted({i for t in UNLABELLED_ONLY for i in tok(t, add_special_tokens=False)
                   ["input_ids"]} - {i for t in POS + NEG for i in
                                     tok(t, add_special_tokens=False)["input_ids"]})
    assert only
    emb = clf.module_.model.bert.embeddings.word_embeddings.weight.detach()[only]
    pretrained = pre.module_.model.bert.embeddings.word_embeddings.weight.detach()[only]
    original = BertForMaskedLM.from_pretrained(
        mlm_checkpoint).bert.embeddings.word_embeddings.weight.detach()[only]
    np.testing.assert_array_equal(emb.numpy(), pretrained.numpy())
    assert not np.allclose(emb.numpy(), original.numpy(), atol=1e-4)


def test_long_texts_are_truncated_to_the_context(fitted, mlm_checkpoint):
    long = " ".join(["good"] * 40)
    assert fitted.context_length_ == 16  # max_position_embeddings
    np.testing.assert_allclose(fitted.predict_proba([long]),
                               fitted.predict_proba([" ".join(["good"] * 14)]), atol=1e-12)
    short = _small(mlm_checkpoint, max_length=5, max_epochs=1).fit(POS + NEG, [1] * 4 + [0] * 4)
    assert short.context_length_ == 5
    np.testing.assert_allclose(short.predict_proba(["good fine happy day rain"]),
                               short.predict_proba(["good fine happy"]), atol=1e-12)


def test_save_load_round_trip_and_changed_checkpoint(mlm_checkpoint, fitted, tmp_path):
    texts = ["good", "awful rain"]
    copy = tmp_path / "ckpt"
    shutil.copytree(mlm_checkpoint, copy)
    clf = _small(str(copy), max_epochs=2).fit(POS + NEG, ["pos"] * 4 + ["neg"] * 4)
    gdlab.save(clf, tmp_path / "enc.gdlab")
    loaded = gdlab.load(tmp_path / "enc.gdlab")
    np.testing.assert_array_equal(loaded.predict_proba(texts), clf.predict_proba(texts))
    assert loaded.classes_.tolist() == ["neg", "pos"]
    (copy / "extra.txt").write_text("changed")
    with pytest.raises(ValueError, match="changed"):
        gdlab.load(tmp_path / "enc.gdlab")
    shutil.rmtree(copy)
    with pytest.raises(ValueError, match="does not exist"):
        gdlab.load(tmp_path / "enc.gdlab")


def test_clone_and_capabilities(fitted):
    fresh = clone(fitted)
    assert fresh.get_params() == fitted.get_params()
    assert not hasattr(fresh, "module_")
    assert capabilities(fitted) == {"classify", "text"}


def test_bad_directories_are_refused_before_any_weights(mlm_checkpoint, gpt2_checkpoint,
                                                        tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoints, "from_pretrained", _no_weights)
    X, y = ["good", "bad"], [1, 0]
    with pytest.raises(ValueError, match="is not a directory"):
        HFEncoderClassifier(tmp_path / "nope").fit(X, y)
    with pytest.raises(TypeError, match="path must be a str or Path"):
        HFEncoderClassifier().fit(X, y)
    with pytest.raises(ValueError, match="cannot load a Hugging Face checkpoint"):
        HFEncoderClassifier(tmp_path).fit(X, y)  # exists, holds nothing
    # a causal LM given to the encoder wrapper, and an encoder given to the causal ones
    with pytest.raises(ValueError, match="needs an encoder checkpoint.*'gpt2'"):
        HFEncoderClassifier(gpt2_checkpoint).fit(X, y)
    with pytest.raises(ValueError, match="needs a causal language model.*'bert' encoder"):
        HFCausalLM(mlm_checkpoint, device="cpu").fit()
    with pytest.raises(ValueError, match="needs a causal language model"):
        HFGenerativeClassifier(mlm_checkpoint, device="cpu").fit(X, y)
    # weights and config without a tokenizer (transformers would build an empty one)
    for source, make in ((mlm_checkpoint, lambda p: HFEncoderClassifier(p).fit(X, y)),
                         (gpt2_checkpoint, lambda p: HFCausalLM(p).fit())):
        bare = tmp_path / f"bare-{source.name}"
        bare.mkdir()
        for f in ("config.json", "model.safetensors"):
            shutil.copy(source / f, bare / f)
        with pytest.raises(ValueError, match="holds no tokenizer"):
            make(bare)


def test_bad_settings_and_labels(mlm_checkpoint, monkeypatch):
    monkeypatch.setattr(checkpoints, "from_pretrained", _no_weights)
    X, y = POS + NEG, [1] * 4 + [0] * 4
    with pytest.raises(TypeError, match="new_head must be a bool"):
        _small(mlm_checkpoint, new_head="yes").fit(X, y)
    with pytest.raises(ValueError, match=r"mlm_probability must be in \(0, 1\)"):
        _small(mlm_checkpoint, mlm_probability=0.0).fit(X, y)
    with pytest.raises(ValueError, match="pretrain_epochs"):
        _small(mlm_checkpoint, pretrain_epochs=-1).fit(X, y)
    with pytest.raises(ValueError, match="max_length"):
        _small(mlm_checkpoint, max_length=1).fit(X, y)
    with pytest.raises(ValueError, match="lr"):
        _small(mlm_checkpoint, lr=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="8 items .* 3 labels"):
        _small(mlm_checkpoint).fit(X, [0, 1, 0])
    with pytest.raises(ValueError, match="class"):
        _small(mlm_checkpoint).fit(X, [1] * 8)
    with pytest.raises(TypeError, match="single str"):
        _small(mlm_checkpoint).fit("good", [1])
    with pytest.raises(ValueError, match="every text is empty"):
        _small(mlm_checkpoint, pretrain_epochs=1).fit(["", " ", ""], [0, 1, 0])
    # -1 is a class without pretraining, an unlabelled text with it (BERTClassifier's words)
    with pytest.raises(ValueError, match=r"^HFEncoderClassifier needs labelled rows of at least "
                                         r"2 classes, .* hold only 1 class: \[0\]"):
        _small(mlm_checkpoint, pretrain_epochs=1).fit(X, [-1] * 7 + [0])
    with pytest.raises(ValueError, match="labelled rows of at least 2 classes"):  # one column
        _small(mlm_checkpoint, pretrain_epochs=1).fit(X, np.array([[-1]] * 7 + [[0]]))
    with pytest.raises(ValueError, match=r"^HFEncoderClassifier has no labelled row: every "
                                         r"entry of y is -1 \(unlabelled\)"):
        _small(mlm_checkpoint, pretrain_epochs=1).fit(X, [-1] * 8)
    with pytest.raises(ValueError, match=r"^HFEncoderClassifier needs samples of at least 2 "
                                         r"classes, but y contains only 1 class: \[-1\]"):
        _small(mlm_checkpoint).fit(X, [-1] * 8)


def test_predict_bad_input(fitted, mlm_checkpoint, monkeypatch):
    with pytest.raises(TypeError, match="single str"):
        fitted.predict("good")
    with pytest.raises(TypeError, match="str texts"):
        fitted.predict([1, 2])
    texts = ["good day", "bad\ud800 rain"]
    with pytest.raises(ValueError, match=r"position 3 of text 1.*lone surrogate"):
        fitted.predict_proba(texts)
    monkeypatch.setattr(checkpoints, "from_pretrained", _no_weights)  # refused before weights
    with pytest.raises(ValueError, match=r"position 3 of text 1.*lone surrogate"):
        _small(mlm_checkpoint).fit(texts, [1, 0])


@pytest.mark.parametrize("family", ["roberta", "distilbert"])
def test_other_encoder_families_pretrain_fine_tune_and_truncate(family, tmp_path):
    """RoBERTa numbers positions from padding_idx + 1 (its context is 2 below
    max_position_embeddings); DistilBERT has no pooler and another layout."""
    import transformers

    tokenizer = _tokenizer()
    V = len(tokenizer)
    config = {
        "roberta": lambda: transformers.RobertaConfig(
            vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
            intermediate_size=37, max_position_embeddings=20, pad_token_id=1),
        "distilbert": lambda: transformers.DistilBertConfig(
            vocab_size=V, dim=32, n_layers=2, n_heads=2, hidden_dim=37,
            max_position_embeddings=16, pad_token_id=0),
    }[family]()
    torch.manual_seed(0)
    transformers.AutoModelForMaskedLM.from_config(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    long = " ".join(["good"] * 40)
    X = POS + NEG + UNLABELLED_ONLY + [long]
    y = [1] * 4 + [0] * 4 + [-1, -1, 1]
    clf = _small(tmp_path, pretrain_epochs=1, max_epochs=2).fit(X, y)
    assert clf.context_length_ == {"roberta": 18, "distilbert": 16}[family]
    assert len(clf.pretrain_history_) == 1
    proba = clf.predict_proba([long, "good", ""])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
