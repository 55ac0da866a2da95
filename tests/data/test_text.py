"""Text sets: Debian fortunes, Trump's tweets, text folders, character sequences."""

import shutil

import numpy as np
import pandas as pd
import pytest

from gdlab.data import DatasetUnavailable, char_sequences, load, load_text_folder
from gdlab.data.text import (
    FORTUNE_TOPICS,
    FORTUNES_DIR,
    fortunes_lang,
    fortunes_topic,
    read_fortune_file,
    to_char_sequences,
)

needs_fortunes = pytest.mark.skipif(
    not (FORTUNES_DIR / "de").is_dir() or not (FORTUNES_DIR / "brasil").is_file(),
    reason="Debian fortunes packages not installed (make data-deps)",
)


@needs_fortunes
def test_fortunes_lang_has_the_five_languages_with_real_text():
    ds = load("fortunes-lang")
    assert ds.modality == "text" and ds.class_names == ("de", "en", "es", "it", "pt")
    assert list(ds.X.columns) == ["text"] and ds.X.shape[1] == 1
    counts = np.bincount(ds.y, minlength=5)
    assert (counts > 2000).all(), counts
    texts = ds.X["text"]
    assert not texts.str.contains(r"^%\s*$", regex=True).any()  # separators stripped
    assert (texts.str.strip() != "").all()
    by_lang = {lang: " ".join(texts[ds.y == k]) for k, lang in enumerate(ds.class_names)}
    # common function words of each language, decoded as UTF-8 (accents intact)
    assert " und " in by_lang["de"] and "ü" in by_lang["de"]
    assert " the " in by_lang["en"]
    assert " que " in by_lang["es"] and "ñ" in by_lang["es"]
    assert " che " in by_lang["it"]  # (Debian's Italian files write accents as e', a')
    assert " não " in by_lang["pt"] and "ç" in by_lang["pt"]
    files = pd.Series(ds.metadata["file"])
    assert not files.str.endswith((".dat", ".u8")).any()
    assert not files.str.startswith("es/off").any()  # the offensive Spanish set is left out
    assert files[ds.y == ds.class_names.index("en")].str.count("/").eq(0).all()
    assert "ascii-art" not in set(files)


@needs_fortunes
def test_fortunes_topic_labels_are_english_files():
    ds = fortunes_topic()
    assert ds.class_names == tuple(sorted(FORTUNE_TOPICS))
    counts = np.bincount(ds.y)
    assert counts.tolist() == [len(read_fortune_file(FORTUNES_DIR / t)) for t in ds.class_names]
    assert len(ds.y) == load("fortunes-topic").X.shape[0]
    with pytest.raises(ValueError, match="no English fortune file 'klingon'"):
        fortunes_topic(topics=["computers", "klingon"])


@needs_fortunes
def test_fortunes_subset_of_languages():
    ds = fortunes_lang(languages=["pt", "it"])
    assert ds.class_names == ("it", "pt")
    with pytest.raises(ValueError, match="unknown languages"):
        fortunes_lang(languages=["xx"])


def _fake_fortunes(root):
    (root / "de").mkdir(parents=True)
    (root / "de" / "witze").write_text("Ein Witz über Hühner.\n%\nNoch einer.\n%\n")
    (root / "de" / "witze.dat").write_bytes(b"\x00\x00\x00\x02binary index")
    (root / "de" / "witze.u8").symlink_to("witze")
    (root / "computers").write_text("An English one.\n%\n")
    return root


def test_missing_debian_files_name_the_packages(tmp_path):
    root = _fake_fortunes(tmp_path / "fortunes")
    with pytest.raises(DatasetUnavailable, match=r"fortunes-it, fortunes-es, fortunes-br") as err:
        fortunes_lang(root=root)
    assert "apt-get install -y fortunes-it fortunes-es fortunes-br" in str(err.value)
    assert isinstance(err.value, ValueError)
    empty = tmp_path / "nothing"
    with pytest.raises(DatasetUnavailable, match=r"apt-get install -y fortunes\b"):
        fortunes_topic(root=empty)


def test_fortune_parsing_skips_indexes_and_symlinks(tmp_path):
    root = _fake_fortunes(tmp_path)
    ds = fortunes_lang(root=root, languages=["de", "en"])
    assert ds.X["text"].tolist() == ["Ein Witz über Hühner.", "Noch einer.", "An English one."]
    assert ds.y.tolist() == [0, 0, 1]


def test_read_fortune_file_keeps_multiline_entries_and_decodes_latin1(tmp_path):
    path = tmp_path / "f"
    path.write_bytes("first\n  indented\n%\n\n%\nsecond\r\n%\r\nÇa va\n".encode("latin-1"))
    assert read_fortune_file(path) == ["first\n  indented", "second", "Ça va"]


def test_trump_tweets_android_vs_iphone_without_retweets():
    ds = load("trump_tweets")
    assert ds.class_names == ("Android", "iPhone")
    assert ds.X.shape == (8614, 1) and list(ds.X.columns) == ["text"]
    assert not ds.X["text"].str.startswith("RT @").any()
    assert len(ds.metadata["created_at"]) == 8614


def test_text_folder(tmp_path):
    for label, docs in {"spam": ["buy now", "cheap"], "ham": ["hi mum"]}.items():
        (tmp_path / label).mkdir()
        for i, doc in enumerate(docs):
            (tmp_path / label / f"{i}.txt").write_text(doc, encoding="utf-8")
    (tmp_path / "ham" / "notes.md").write_text("ignored")
    ds = load_text_folder(tmp_path)
    assert ds.class_names == ("ham", "spam")
    assert ds.X["text"].tolist() == ["hi mum", "buy now", "cheap"]
    assert ds.y.tolist() == [0, 1, 1] and ds.modality == "text"
    assert ds.metadata["files"].tolist() == ["ham/0.txt", "spam/0.txt", "spam/1.txt"]


def test_text_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        load_text_folder(tmp_path / "absent")
    with pytest.raises(ValueError, match="has no class subfolders"):
        load_text_folder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match=r"no \.txt files"):
        load_text_folder(tmp_path)
    (tmp_path / "a" / "bad.txt").write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(ValueError, match=r"cannot decode .*bad\.txt.* as utf-8"):
        load_text_folder(tmp_path)
    shutil.rmtree(tmp_path / "a")


def test_char_sequences_lengths_convention():
    X, lengths, vocab = char_sequences(["hello", "", "ol"])
    assert vocab == ("e", "h", "l", "o")
    assert X.shape == (7, 1) and X.dtype == np.int64
    assert lengths.tolist() == [5, 0, 2] and lengths.sum() == len(X)
    decoded = "".join(vocab[i] for i in X.ravel())
    assert decoded == "hellool"
    X2, _, _ = char_sequences(["hex"], vocabulary=vocab + ("?",), unknown="?")
    assert X2.ravel().tolist() == [1, 0, 4]
    with pytest.raises(ValueError, match="character 'x' is not in the vocabulary"):
        char_sequences(["hex"], vocabulary=vocab)


def test_to_char_sequences_of_a_text_set(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.txt").write_text("abc")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "1.txt").write_text("ba")
    seq = to_char_sequences(load_text_folder(tmp_path))
    assert seq.modality == "sequence" and seq.y.tolist() == [0, 1]
    assert seq.metadata["lengths"].tolist() == [3, 2]
    assert seq.metadata["vocabulary"] == ("a", "b", "c")
    assert seq.X.ravel().tolist() == [0, 1, 2, 1, 0]
    with pytest.raises(ValueError, match="expected a text dataset"):
        to_char_sequences(load("iris"))


def test_without_debian_files_available_shows_na_and_load_names_packages(monkeypatch, tmp_path):
    from gdlab.data import available, registry, text

    monkeypatch.setattr(text, "FORTUNES_DIR", tmp_path)
    for name in ("fortunes-lang", "fortunes-topic"):
        monkeypatch.delitem(registry._SIZES, name, raising=False)
    rows = available().set_index("name")
    assert rows.loc[["fortunes-lang", "fortunes-topic"], "n_samples"].isna().all()
    assert rows.loc["fortunes-lang", "modality"] == "text"
    with pytest.raises(ValueError, match=r"apt-get install -y fortunes fortunes-de fortunes-it"):
        load("fortunes-lang")
