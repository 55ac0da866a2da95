"""Text datasets: Debian's fortunes, Trump's tweets, folders of text files, character codes.

Text sets have ``modality="text"`` and ``X`` is a one-column DataFrame named
``text`` (pandas string dtype), one document per row, so ``X.shape`` is
``(n_samples, 1)`` like every other Dataset and ``X["text"]`` is the corpus.
:func:`char_sequences` turns texts into integer-coded characters in the
``lengths`` convention (hmmlearn's: one stacked column plus sequence lengths)
for HMMs and character language models.

The fortunes come from Debian's packages (``apt-get install fortunes
fortunes-de fortunes-it fortunes-es fortunes-br``), read from
``/usr/share/games/fortunes``: English is the top-level files of ``fortunes``
(and ``fortunes-min``), German ``de/``, Italian ``it/``, Spanish ``es/``
(without the offensive ``es/off/``) and Brazilian Portuguese the top-level
``brasil`` file. Entries are separated by lines holding a single ``%``; the
``.dat`` indexes and the ``.u8`` / top-level Italian symlinks are skipped;
files are UTF-8. ASCII-art files carry no language and are left out.

Examples
--------
>>> from gdlab.data.text import char_sequences
>>> X, lengths, vocabulary = char_sequences(["abba", "ca"])
>>> X.ravel().tolist(), lengths.tolist(), vocabulary
([0, 1, 1, 0, 2, 0], [4, 2], ('a', 'b', 'c'))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from gdlab.data.registry import DatasetUnavailable, codes, make_dataset, register

__all__ = [
    "FORTUNES_DIR",
    "FORTUNE_LANGUAGES",
    "FORTUNE_TOPICS",
    "read_fortune_file",
    "fortunes_lang",
    "fortunes_topic",
    "fortunes_en",
    "trump_tweets",
    "load_text_folder",
    "char_sequences",
    "to_char_sequences",
]

#: Where Debian installs the fortune files.
FORTUNES_DIR = Path("/usr/share/games/fortunes")

#: Language code -> (Debian package, where its files are under FORTUNES_DIR).
FORTUNE_LANGUAGES = {
    "de": ("fortunes-de", "de/"),
    "en": ("fortunes", "./"),
    "es": ("fortunes-es", "es/"),
    "it": ("fortunes-it", "it/"),
    "pt": ("fortunes-br", "brasil"),
}

#: English fortune files used as topics by ``fortunes-topic`` (the larger thematic ones).
FORTUNE_TOPICS = ("computers", "men-women", "politics", "science", "songs-poems", "work")

#: Files without language (ASCII art) or mixing languages, left out of every set.
_SKIP = {"ascii-art", "asciiart", "banner", "translate-me"}

_SEPARATOR = re.compile(r"^%[ \t]*\r?$", re.MULTILINE)

_FORTUNES_SOURCE = "Debian fortunes packages (fortune-mod; fortunes, -de, -it, -es, -br)"


def _text_frame(texts: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({"text": pd.Series(list(texts), dtype="string")})


def read_fortune_file(path) -> list[str]:
    """The entries of one strfile-format fortune file.

    Parameters
    ----------
    path : str or Path
        A text file whose entries are separated by lines holding only ``%``.

    Returns
    -------
    list of str
        Entries without the separators and surrounding blank lines; empty
        entries are dropped. UTF-8, falling back to Latin-1 for a file that
        is not valid UTF-8.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "f"
    >>> _ = p.write_text("one\\n%\\ntwo\\nlines\\n%\\n")
    >>> read_fortune_file(p)
    ['one', 'two\\nlines']
    """
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    entries = (e.strip("\r\n").rstrip() for e in _SEPARATOR.split(text))
    return [e for e in entries if e.strip()]


def _fortune_files(root: Path, where: str) -> list[Path]:
    """Fortune files of one language: regular files, no indexes, no symlinks."""
    target = root / where
    if target.is_file():
        return [target]
    files = [
        p for p in sorted(target.iterdir())
        if p.is_file() and not p.is_symlink() and p.suffix not in {".dat", ".u8"}
        and p.name not in _SKIP and p.name != "brasil"
    ]
    return files


def _fortunes_dataset(name, labelled_files, classes=None, *, root=None):
    """The text Dataset ``name`` of every fortune of each ``(label, path)`` of
    ``labelled_files`` (read in that order), its classes in the order ``classes``
    (default: the labels sorted); with ``root``, ``metadata["file"]`` the file of
    each fortune, relative to ``root``."""
    texts, labels, files = [], [], []
    for label, path in labelled_files:
        entries = read_fortune_file(path)
        texts += entries
        labels += [label] * len(entries)
        files += [path] * len(entries)
    y, class_names = codes(labels, sorted(set(labels)) if classes is None else classes)
    extra = {} if root is None else {
        "metadata": {"file": np.asarray([str(f.relative_to(root)) for f in files])}}
    return make_dataset(
        name=name, X=_text_frame(texts), y=y, class_names=class_names,
        description=_DESC[name], source=_FORTUNES_SOURCE, feature_names=("text",),
        modality="text", **extra,
    )


def _missing_packages(root: Path, languages: Sequence[str]) -> list[str]:
    missing = []
    for lang in languages:
        package, where = FORTUNE_LANGUAGES[lang]
        target = root / where
        present = target.is_file() if not where.endswith("/") else (
            target.is_dir() and (lang != "en" or (target / "fortunes").is_file()
                                 or (target / "computers").is_file())
        )
        if not present:
            missing.append(package)
    order = ["fortunes", "fortunes-de", "fortunes-it", "fortunes-es", "fortunes-br"]
    return sorted(missing, key=order.index)


def _require(root: Path, languages: Sequence[str], name: str) -> None:
    missing = _missing_packages(root, languages)
    if missing:
        raise DatasetUnavailable(
            f"dataset {name!r} needs the Debian package(s) {', '.join(missing)}, not found "
            f"under {root}. Install them with: sudo apt-get update && sudo apt-get install -y "
            f"{' '.join(missing)} (or `make data-deps`)."
        )


def fortunes_lang(*, root=None, languages: Sequence[str] | None = None):
    """Language identification on Debian's fortunes: the label is the language.

    Parameters
    ----------
    root : str or Path, optional
        The fortunes directory; default :data:`FORTUNES_DIR`.
    languages : sequence of str, optional
        Subset of ``("de", "en", "es", "it", "pt")`` (the default, all).

    Returns
    -------
    Dataset
        ``X`` a one-column DataFrame ``text``; ``class_names`` the language
        codes; ``metadata["file"]`` the file each fortune came from.

    Raises
    ------
    DatasetUnavailable
        A ``ValueError`` naming the Debian packages to install when files
        are missing.
    """
    root = Path(FORTUNES_DIR if root is None else root)
    languages = sorted(FORTUNE_LANGUAGES if languages is None else languages)
    unknown = set(languages) - set(FORTUNE_LANGUAGES)
    if unknown:
        raise ValueError(
            f"unknown languages {sorted(unknown)}; known: {sorted(FORTUNE_LANGUAGES)}."
        )
    _require(root, languages, "fortunes-lang")
    files = ((lang, path) for lang in languages
             for path in _fortune_files(root, FORTUNE_LANGUAGES[lang][1]))
    return _fortunes_dataset("fortunes-lang", files, languages, root=root)


def fortunes_topic(*, root=None, topics: Sequence[str] = FORTUNE_TOPICS):
    """Topic classification on English fortunes: the label is the fortune file.

    Parameters
    ----------
    root : str or Path, optional
        The fortunes directory; default :data:`FORTUNES_DIR`.
    topics : sequence of str, default=FORTUNE_TOPICS
        English fortune file names to use as classes.

    Returns
    -------
    Dataset

    Raises
    ------
    DatasetUnavailable
        When the ``fortunes`` package is not installed.
    ValueError
        For a topic with no such file.
    """
    root = Path(FORTUNES_DIR if root is None else root)
    _require(root, ["en"], "fortunes-topic")

    def files():
        for topic in topics:
            path = root / topic
            if not path.is_file() or topic in _SKIP:
                raise ValueError(f"no English fortune file {topic!r} under {root}.")
            yield topic, path

    return _fortunes_dataset("fortunes-topic", files(), sorted(topics))


def fortunes_en(*, root=None):
    """Every English fortune (the corpus for English language models); the label is its file.

    Parameters
    ----------
    root : str or Path, optional
        The fortunes directory; default :data:`FORTUNES_DIR`.

    Returns
    -------
    Dataset
        ``X`` a one-column DataFrame ``text``; ``class_names`` the fortune
        files (topics such as ``computers``, ``food``, ``science``).

    Raises
    ------
    DatasetUnavailable
        When the ``fortunes`` package is not installed.
    """
    root = Path(FORTUNES_DIR if root is None else root)
    _require(root, ["en"], "fortunes-en")
    files = ((path.name, path) for path in _fortune_files(root, FORTUNE_LANGUAGES["en"][1]))
    return _fortunes_dataset("fortunes-en", files)


def trump_tweets():
    """Donald Trump's tweets 2009-2018: sent from Android or iPhone (retweets removed).

    Returns
    -------
    Dataset
        ``X`` a one-column DataFrame ``text``; classes ``("Android", "iPhone")``;
        ``metadata["created_at"]`` the timestamps.
    """
    from gdlab.data.builtin import rdataset

    frame = rdataset("dslabs", "trump_tweets")
    devices = {"Twitter for Android": "Android", "Twitter for iPhone": "iPhone"}
    keep = (
        frame["source"].isin(list(devices)) & ~frame["is_retweet"].astype(bool)
        & ~frame["text"].astype(str).str.startswith("RT @") & frame["text"].notna()
    )
    frame = frame[keep].reset_index(drop=True)
    y, class_names = codes(frame["source"].map(devices).to_numpy(), ["Android", "iPhone"])
    return make_dataset(
        name="trump_tweets", X=_text_frame(frame["text"]), y=y, class_names=class_names,
        description=_DESC["trump_tweets"], source=_SOURCE_TRUMP, feature_names=("text",),
        modality="text",
        metadata={"created_at": pd.to_datetime(frame["created_at"], utc=True).to_numpy()},
    )


def load_text_folder(path, *, encoding: str = "utf-8", suffix: str = ".txt"):
    """Documents from a folder with one subfolder per class of ``.txt`` files.

    Parameters
    ----------
    path : str or Path
        ``path/<class>/<document>.txt``. Classes are the subfolder names,
        sorted; files are read in sorted order.
    encoding : str, default="utf-8"
    suffix : str, default=".txt"
        Only files with this suffix are read (others are ignored).

    Returns
    -------
    Dataset
        ``modality="text"``, ``X`` a one-column DataFrame ``text``,
        ``metadata["files"]`` the paths relative to ``path``.

    Raises
    ------
    ValueError
        If ``path`` is not a directory, has no class subfolders, has no
        documents, a class subfolder has none, or a file cannot be decoded
        (the message names the file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for label, doc in [("ham", "hello"), ("spam", "buy now")]:
    ...     (root / label).mkdir()
    ...     _ = (root / label / "a.txt").write_text(doc)
    >>> ds = load_text_folder(root)
    >>> ds.X["text"].tolist(), ds.y.tolist(), ds.class_names
    (['hello', 'buy now'], [0, 1], ('ham', 'spam'))
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"{str(root)!r} is not a directory.")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"{str(root)!r} has no class subfolders: expected {root}/<class>/<doc>{suffix}."
        )
    texts, labels, files = [], [], []
    for label in classes:
        for file in sorted((root / label).glob(f"*{suffix}")):
            try:
                texts.append(file.read_text(encoding=encoding))
            except UnicodeDecodeError as err:
                raise ValueError(
                    f"cannot decode {str(file)!r} as {encoding}: {err.reason} at byte "
                    f"{err.start}; pass encoding=..."
                ) from None
            labels.append(label)
            files.append(str(file.relative_to(root)))
    if not texts:
        raise ValueError(f"no {suffix} files in the class subfolders of {str(root)!r}.")
    empty = sorted(set(classes) - set(labels))
    if empty:
        raise ValueError(f"class folder(s) {empty} under {str(root)!r} hold no {suffix} files.")
    y, class_names = codes(labels, classes)
    return make_dataset(
        name=root.name, X=_text_frame(texts), y=y, class_names=class_names,
        description=f"Text files from {root}", source=str(root), feature_names=("text",),
        modality="text", metadata={"files": np.asarray(files)},
    )


def char_sequences(
    texts: Iterable[str], vocabulary: Sequence[str] | None = None, *, unknown: str | None = None
):
    """Integer-coded characters of many texts, stacked, with their lengths.

    Parameters
    ----------
    texts : iterable of str
    vocabulary : sequence of str, optional
        The characters to code, code i for ``vocabulary[i]``. Default: every
        character seen, sorted.
    unknown : str, optional
        With a given ``vocabulary``, characters outside it are coded as this
        one (which must be in the vocabulary); without it they raise.

    Returns
    -------
    X : ndarray of shape (sum(lengths), 1), int64
        The codes of every text, one after another.
    lengths : ndarray of shape (n_texts,), int64
        ``X[sum(lengths[:i]):sum(lengths[:i+1])]`` is text i.
    vocabulary : tuple of str

    Raises
    ------
    ValueError
        For a character outside a given vocabulary (without ``unknown``).
    """
    texts = [str(t) for t in texts]
    if vocabulary is None:
        vocabulary = tuple(sorted(set().union(*map(set, texts)))) if texts else ()
    vocabulary = tuple(vocabulary)
    index = {c: i for i, c in enumerate(vocabulary)}
    if unknown is not None and unknown not in index:
        raise ValueError(f"unknown={unknown!r} is not in the vocabulary.")
    default = index.get(unknown) if unknown is not None else None
    out = []
    for t in texts:
        for c in t:
            code = index.get(c, default)
            if code is None:
                raise ValueError(
                    f"character {c!r} is not in the vocabulary; pass unknown=<a vocabulary "
                    "character> to map such characters to it."
                )
            out.append(code)
    X = np.asarray(out, dtype=np.int64).reshape(-1, 1)
    lengths = np.asarray([len(t) for t in texts], dtype=np.int64)
    return X, lengths, vocabulary


def to_char_sequences(ds, vocabulary: Sequence[str] | None = None, *, unknown=None):
    """A text Dataset as a sequence Dataset of integer-coded characters.

    Parameters
    ----------
    ds : Dataset
        A dataset with ``modality="text"``.
    vocabulary, unknown
        See :func:`char_sequences`.

    Returns
    -------
    Dataset
        ``modality="sequence"``; ``X`` of shape (total characters, 1); ``y``
        one label per text; ``metadata["lengths"]`` and ``metadata["vocabulary"]``.

    Examples
    --------
    >>> from gdlab.data.text import load_text_folder, to_char_sequences
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "a").mkdir(); _ = (root / "a" / "1.txt").write_text("hi")
    >>> seq = to_char_sequences(load_text_folder(root))
    >>> seq.X.shape, seq.metadata["lengths"].tolist(), seq.metadata["vocabulary"]
    ((2, 1), [2], ('h', 'i'))
    """
    if ds.modality != "text":
        raise ValueError(f"expected a text dataset, got modality {ds.modality!r}.")
    X, lengths, vocab = char_sequences(ds.X["text"], vocabulary, unknown=unknown)
    return make_dataset(
        name=f"{ds.name}-chars", X=X, y=ds.y, class_names=ds.class_names,
        description=f"{ds.description} (characters)", source=ds.source,
        feature_names=("char",), modality="sequence",
        metadata={**ds.metadata, "lengths": lengths, "vocabulary": vocab},
    )


_SOURCE_TRUMP = (
    "Trump Twitter Archive via Irizarry, R package dslabs (trump_tweets); "
    "Robinson (2016), 'Text analysis of Trump's tweets'"
)
_DESC = {
    "fortunes-lang": "Fortune cookies in 5 languages (de, en, es, it, pt): identify the language",
    "fortunes-topic": "English fortune cookies from 6 topic files: identify the topic",
    "fortunes-en": "Every English fortune cookie (a language-model corpus); label: its file",
    "trump_tweets": "Trump's tweets 2009-2018 (no retweets): sent from Android or iPhone",
}


def _register_all() -> None:
    for name, loader, source in (
        ("fortunes-lang", fortunes_lang, _FORTUNES_SOURCE),
        ("fortunes-topic", fortunes_topic, _FORTUNES_SOURCE),
        ("fortunes-en", fortunes_en, _FORTUNES_SOURCE),
        ("trump_tweets", trump_tweets, _SOURCE_TRUMP),
    ):
        register(name, loader, modality="text", description=_DESC[name], source=source)
