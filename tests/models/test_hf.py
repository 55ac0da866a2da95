"""Tests of the Hugging Face wrappers on a tiny random GPT-2 built on the spot (no download)."""

import sys

import numpy as np
import pytest
from scipy.special import logsumexp, softmax
from sklearn.base import clone

import gdlab
from gdlab.capability_tags import capabilities, input_kind

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")
torch = pytest.importorskip("torch")

from gdlab.models.hf import HFCausalLM, HFGenerativeClassifier  # noqa: E402

CORPUS = ["the cat sat on the mat", "a dog ran in the park", "good: what a fine day",
          "bad: it rained all day", "hello world"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A 1-layer GPT-2 with random weights and a byte-level BPE tokenizer trained here."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=["<bos>", "<eos>", "<unk>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(CORPUS, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>",
                                   unk_token="<unk>")
    config = GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=64, vocab_size=len(fast),
                        bos_token_id=fast.bos_token_id, eos_token_id=fast.eos_token_id)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(config)
    path = tmp_path_factory.mktemp("tiny-gpt2")
    model.save_pretrained(path)
    fast.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def lm(checkpoint):
    return HFCausalLM(checkpoint, device="cpu").fit()


def _manual_log_prob(lm, text, prompt="", eos=True):
    """Sum of token log-probs, one forward pass per sequence, no batching or padding."""
    m, tok = lm.lm_.model, lm.lm_.tokenizer
    head = [tok.bos_token_id] + (tok(prompt, add_special_tokens=False)["input_ids"]
                                 if prompt else [])
    ids = head + tok(text, add_special_tokens=False)["input_ids"] + (
        [tok.eos_token_id] if eos else [])
    with torch.no_grad():
        logp = torch.log_softmax(m(torch.tensor([ids])).logits[0].double(), dim=-1)
    return sum(float(logp[t - 1, ids[t]]) for t in range(len(head), len(ids)))


def test_score_equals_manual_sum_of_token_log_probs(lm):
    texts = ["hello world", "the cat", "", "zzz unusual ünïcode"]
    scores = lm.score_samples(texts)
    expected = [_manual_log_prob(lm, t) for t in texts]
    np.testing.assert_allclose(scores, expected, rtol=1e-5)
    assert (scores < 0).all()
    # batching and padding do not change a text's score
    np.testing.assert_allclose(HFCausalLM(lm.path, device="cpu", batch_size=1).fit()
                               .score_samples(texts), scores, rtol=1e-5)
    assert lm.score(texts) == pytest.approx(scores.mean())


def test_prefix_scores_without_eos(checkpoint, lm):
    no_eos = HFCausalLM(checkpoint, device="cpu", score_eos=False).fit()
    assert no_eos.score_samples([""])[0] == 0.0  # the empty prefix is certain
    np.testing.assert_allclose(no_eos.score_samples(["the cat"]),
                               [_manual_log_prob(lm, "the cat", eos=False)], rtol=1e-5)
    # log p(string) = log p(prefix) + log p(EOS | prefix) < log p(prefix)
    assert lm.score_samples(["the cat"])[0] < no_eos.score_samples(["the cat"])[0]


def test_next_token_probabilities_sum_to_one(lm):
    """Chain rule over one token: sum_v p(v as a whole prefix) = 1 for the empty context."""
    no_eos = HFCausalLM(lm.path, device="cpu", score_eos=False).fit()
    tok = lm.lm_.tokenizer
    singles = [tok.decode([v]) for v in range(len(tok))]
    # only tokens that re-encode to themselves are scored as a single token
    keep = [v for v, s in enumerate(singles) if s and v not in tok.all_special_ids
            and tok(s, add_special_tokens=False)["input_ids"] == [v]]
    assert len(keep) > 100
    total = np.exp(no_eos.score_samples([singles[v] for v in keep])).sum()
    with torch.no_grad():
        p = torch.softmax(lm.lm_.model(torch.tensor([[tok.bos_token_id]])).logits[0, -1], -1)
    assert total == pytest.approx(float(p[keep].sum()), rel=1e-4)
    assert float(p.sum()) == pytest.approx(1.0, abs=1e-5)


def test_seeded_sampling(lm):
    a = lm.sample(4, random_state=3, max_length=8)
    b = lm.sample(4, random_state=3, max_length=8)
    assert a == b and len(a) == 4 and all(isinstance(t, str) for t in a)
    c = lm.sample(4, random_state=4, max_length=8)
    assert a != c
    greedy_ish = lm.sample(3, random_state=0, max_length=5, top_k=1, prompt="the")
    assert len(set(greedy_ish)) == 1  # top_k=1 is greedy decoding: all samples agree
    with pytest.raises(ValueError, match="context"):
        lm.sample(1, max_length=100)
    with pytest.raises(TypeError, match="temperature"):
        lm.sample(1, temperature="hot")


def test_sampling_follows_the_model(lm):
    """With max_length=1 the drawn texts follow p(first token | start), mapped to strings."""
    tok = lm.lm_.tokenizer
    draws = lm.sample(3000, random_state=0, max_length=1)
    with torch.no_grad():
        p = torch.softmax(lm.lm_.model(torch.tensor([[tok.bos_token_id]])).logits[0, -1], -1)
    expected: dict[str, float] = {}
    for v, pv in enumerate(p.tolist()):  # several tokens decode to the same string (EOS: "")
        s = "" if v == tok.eos_token_id else tok.decode([v], skip_special_tokens=True)
        expected[s] = expected.get(s, 0.0) + pv
    assert sum(expected.values()) == pytest.approx(1.0, abs=1e-5)
    assert set(draws) <= set(expected)
    for s in sorted(expected, key=expected.get)[-3:]:  # the three likeliest strings
        e = expected[s]
        assert np.mean([d == s for d in draws]) == pytest.approx(
            e, abs=5 * np.sqrt(e * (1 - e) / 3000) + 1e-3)


def test_classifier_is_bayes_rule(checkpoint, lm):
    X = ["good: sunny", "bad: rain", "good: fine", "hello"]
    y = ["pos", "neg", "pos", "pos"]
    clf = HFGenerativeClassifier(checkpoint, label_names={"pos": "good", "neg": "bad"},
                                 template="{label}: ", device="cpu").fit(X, y)
    assert clf.classes_.tolist() == ["neg", "pos"]
    np.testing.assert_allclose(clf.class_prior_, [0.25, 0.75])
    assert clf.prompts_ == ["bad: ", "good: "]
    texts = ["what a day", "rain again", ""]
    cond = np.array([[_manual_log_prob(lm, t, prompt=p) for p in clf.prompts_] for t in texts])
    joint = cond + np.log([0.25, 0.75])
    np.testing.assert_allclose(clf.log_joint(texts), joint, rtol=1e-5)
    proba = clf.predict_proba(texts)
    np.testing.assert_allclose(proba, softmax(joint, axis=1), rtol=1e-4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(texts), clf.classes_[joint.argmax(axis=1)])
    np.testing.assert_allclose(clf.score_samples(texts), logsumexp(joint, axis=1), rtol=1e-5)
    # a uniform prior is zero-shot classification by conditional likelihood alone
    uniform = clone(clf).set_params(priors=[0.5, 0.5]).fit(X, y)
    np.testing.assert_allclose(uniform.predict_proba(texts), softmax(cond, axis=1), rtol=1e-4)


def test_classifier_conditional_sampling(checkpoint):
    clf = HFGenerativeClassifier(checkpoint, device="cpu").fit(["a", "b", "c"], [0, 1, 1])
    X1, y1 = clf.sample(5, y=1, random_state=0, max_length=6)
    X2, y2 = clf.sample(5, y=1, random_state=0, max_length=6)
    assert X1 == X2 and y1.tolist() == [1] * 5
    Xp, yp = clf.sample(6, random_state=1, max_length=4)
    assert len(Xp) == 6 and set(yp) <= {0, 1}
    with pytest.raises(ValueError, match="not seen in fit"):
        clf.sample(2, y=7)


def test_capabilities_and_clone(checkpoint, lm):
    # the canonical tokenization's probability: a lower bound on the string's
    assert capabilities(lm) == {"density_bound", "sample", "text"}
    assert "density_bound" not in capabilities(clone(lm).set_params(score_eos=False))
    assert input_kind(HFCausalLM()) == "text"
    clf = HFGenerativeClassifier(checkpoint)
    assert {"classify", "density_bound", "text"} <= capabilities(clf)
    assert "density" not in capabilities(clf)
    assert "missing_features" not in capabilities(clf)
    assert clone(clf).get_params() == clf.get_params()


def test_save_load_identical(checkpoint, lm, tmp_path):
    texts = ["hello world", "a dog"]
    lm = HFCausalLM(str(checkpoint), device="cpu").fit()  # str path: skops stores str
    gdlab.save(lm, tmp_path / "lm.gdlab")
    loaded = gdlab.load(tmp_path / "lm.gdlab")
    np.testing.assert_array_equal(loaded.score_samples(texts), lm.score_samples(texts))
    assert loaded.sample(2, random_state=5, max_length=5) == lm.sample(2, random_state=5,
                                                                       max_length=5)
    clf = HFGenerativeClassifier(str(checkpoint), device="cpu").fit(texts, ["x", "y"])
    gdlab.save(clf, tmp_path / "clf.gdlab")
    # a pathlib.Path parameter needs trusting explicitly (skops knows str, not Path)
    path_lm = HFCausalLM(checkpoint, device="cpu").fit()
    trusted = [type(checkpoint)]
    gdlab.save(path_lm, tmp_path / "p.gdlab", trusted=trusted)
    np.testing.assert_array_equal(
        gdlab.load(tmp_path / "p.gdlab", trusted=trusted).score_samples(texts),
        lm.score_samples(texts))
    np.testing.assert_array_equal(gdlab.load(tmp_path / "clf.gdlab").predict_proba(texts),
                                  clf.predict_proba(texts))


def test_load_refuses_a_changed_checkpoint(checkpoint, tmp_path):
    import shutil

    copy = tmp_path / "ckpt"
    shutil.copytree(checkpoint, copy)
    lm = HFCausalLM(str(copy), device="cpu").fit()
    gdlab.save(lm, tmp_path / "lm.gdlab")
    (copy / "extra.txt").write_text("changed")
    with pytest.raises(ValueError, match="changed"):
        gdlab.load(tmp_path / "lm.gdlab")
    shutil.rmtree(copy)
    with pytest.raises(ValueError, match="does not exist"):
        gdlab.load(tmp_path / "lm.gdlab")


def test_missing_or_bad_directory_raises(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        HFCausalLM(tmp_path / "nope").fit()
    with pytest.raises(ValueError, match="cannot load"):
        HFCausalLM(tmp_path).fit()  # exists, but holds no checkpoint
    with pytest.raises(TypeError, match="path"):
        HFCausalLM().fit()
    with pytest.raises(ValueError, match="is not a directory"):
        HFGenerativeClassifier(tmp_path / "nope").fit(["a", "b"], [0, 1])


def test_bad_input_raises(checkpoint, lm):
    with pytest.raises(TypeError, match="single str"):
        lm.score_samples("hello")
    with pytest.raises(TypeError, match="str texts"):
        lm.score_samples([1, 2])
    with pytest.raises(ValueError, match="context is 64"):
        lm.score_samples(["word " * 100])
    with pytest.raises(ValueError, match="dtype"):
        HFCausalLM(checkpoint, dtype="int8").fit()
    with pytest.raises(ValueError, match=r"\{label\}"):
        HFGenerativeClassifier(checkpoint, template="label: ").fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="no name for classes"):
        HFGenerativeClassifier(checkpoint, label_names={0: "zero"}).fit(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="2 texts|items"):
        HFGenerativeClassifier(checkpoint).fit(["a", "b"], [0, 1, 1])
    with pytest.raises(ValueError, match="priors"):
        HFGenerativeClassifier(checkpoint, priors=[1.0]).fit(["a", "b"], [0, 1])


def test_missing_transformers_gives_install_hint(checkpoint, monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(ImportError, match=r"gdlab\[llm\]"):
        HFCausalLM(checkpoint, device="cpu").fit()
