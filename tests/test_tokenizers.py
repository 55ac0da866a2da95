"""Tokenizers: round trips, shared special ids, unknowns, local Hugging Face files, saving."""

import numpy as np
import pytest
from sklearn.base import clone

import gdlab
from gdlab.tokenizers import (
    BOS_ID,
    EOS_ID,
    N_SPECIAL,
    PAD_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    ByteTokenizer,
    CharTokenizer,
    HFTokenizer,
    make_tokenizer,
)

CORPUS = ["hello world", "héllo wörld", "abc abc abc", "zebra"]


def test_special_ids_are_shared():
    assert (PAD_ID, BOS_ID, EOS_ID, UNK_ID) == (0, 1, 2, 3)
    assert SPECIAL_TOKENS == ("<pad>", "<bos>", "<eos>", "<unk>")
    for tok in (CharTokenizer(), ByteTokenizer(), HFTokenizer("x")):
        assert (tok.pad_id, tok.bos_id, tok.eos_id, tok.unk_id) == (0, 1, 2, 3)


def test_char_round_trip_and_vocabulary():
    tok = CharTokenizer().fit(CORPUS)
    assert tok.vocab_size == N_SPECIAL + len(set("".join(CORPUS)))
    for text in CORPUS:
        ids = tok.encode(text)
        assert len(ids) == len(text)
        assert min(ids) >= N_SPECIAL
        assert tok.decode(ids) == text
    assert tok.encode_batch(CORPUS[:2]) == [tok.encode(CORPUS[0]), tok.encode(CORPUS[1])]


def test_char_unknown_and_specials_in_decode():
    tok = CharTokenizer().fit(["ab"])
    assert tok.encode("aXb") == [4, UNK_ID, 5]
    assert tok.decode([BOS_ID, 4, UNK_ID, 5, EOS_ID, PAD_ID]) == "a\ufffdb"


def test_char_min_frequency_and_max_size():
    tok = CharTokenizer(min_frequency=2).fit(["aaab", "ac"])
    assert tok.vocabulary_ == ["a"]
    assert tok.encode("abc") == [4, UNK_ID, UNK_ID]
    top = CharTokenizer(max_size=2).fit(["aaabbc"])
    assert top.vocabulary_ == ["a", "b"]


def test_byte_round_trip_any_unicode():
    tok = ByteTokenizer()
    assert tok.vocab_size == 260
    for text in [*CORPUS, "日本語 😀", ""]:
        ids = tok.encode(text)
        assert len(ids) == len(text.encode("utf-8"))
        assert tok.decode(ids) == text
    # a cut multi-byte character decodes with the replacement character, not an error
    assert tok.decode(tok.encode("é")[:1]) == "\ufffd"


def _hf_file(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    hf = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    hf.pre_tokenizer = pre_tokenizers.Whitespace()
    hf.train_from_iterator(CORPUS, trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    path = tmp_path / "tokenizer.json"
    hf.save(str(path))
    return path, hf


def test_hf_tokenizer_file_and_directory(tmp_path):
    path, hf = _hf_file(tmp_path)
    tok = HFTokenizer(str(path)).fit()
    assert tok.vocab_size == N_SPECIAL + hf.get_vocab_size()
    ids = tok.encode("hello world")
    assert ids == [i + N_SPECIAL for i in hf.encode("hello world").ids]
    assert tok.decode([BOS_ID, *ids, EOS_ID]) == "hello world"
    from_dir = HFTokenizer(tmp_path).fit()
    assert from_dir.encode("abc zebra") == tok.encode("abc zebra")


def test_hf_tokenizer_save_load_without_the_file(tmp_path):
    path, _ = _hf_file(tmp_path)
    tok = HFTokenizer(str(path)).fit()
    saved = gdlab.save(tok, tmp_path / "tok.gdlab")
    path.unlink()
    loaded = gdlab.load(saved)
    assert loaded.encode("hello zebra") == tok.encode("hello zebra")
    assert loaded.decode(tok.encode("abc")) == "abc"


def test_hf_tokenizer_bad_paths(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        HFTokenizer(str(tmp_path / "nope.json")).fit()
    with pytest.raises(TypeError, match="needs path"):
        HFTokenizer().fit()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="tokenizer.json"):
        HFTokenizer(str(bad)).fit()


def test_char_tokenizer_save_load_and_clone(tmp_path):
    tok = CharTokenizer(min_frequency=1).fit(CORPUS)
    tok.encode("abc")  # builds the lookup cache, which must not be saved
    loaded = gdlab.load(gdlab.save(tok, tmp_path / "c.gdlab"))
    assert loaded.vocabulary_ == tok.vocabulary_
    assert loaded.encode("wörld!") == tok.encode("wörld!")
    assert clone(CharTokenizer(max_size=5)).get_params() == {"min_frequency": 1, "max_size": 5}


def test_bad_input():
    tok = CharTokenizer().fit(["abc"])
    with pytest.raises(TypeError, match="expects a str"):
        tok.encode(5)
    with pytest.raises(TypeError, match="expects a str"):
        ByteTokenizer().encode(b"abc")
    with pytest.raises(ValueError, match="empty list"):
        CharTokenizer().fit([])
    with pytest.raises(TypeError, match="single str"):
        CharTokenizer().fit("abc")
    with pytest.raises(ValueError, match="outside the vocabulary"):
        tok.decode([99])
    with pytest.raises(TypeError, match="int ids"):
        tok.decode("abc")
    with pytest.raises(ValueError, match="min_frequency"):
        CharTokenizer(min_frequency=0).fit(["a"])
    with pytest.raises(ValueError, match="'char', 'byte' or 'hf'"):
        make_tokenizer("word")
    with pytest.raises(ValueError, match="tokenizer_path"):
        make_tokenizer("hf")
    with pytest.raises(ValueError, match="only used with tokenizer='hf'"):
        make_tokenizer("char", "x.json")


def test_encode_batch_accepts_arrays():
    tok = ByteTokenizer()
    assert tok.encode_batch(np.array(["a", "b"])) == [[101], [102]]
