"""Tokenizers for gdlab's language models: characters, UTF-8 bytes, or a local Hugging Face file.

Every tokenizer maps a text to a list of integer ids and back, with the same
four special ids at the bottom of the vocabulary:

=====  =========  ==============================================
id     token      meaning
=====  =========  ==============================================
0      ``<pad>``  padding (never predicted)
1      ``<bos>``  beginning of a text
2      ``<eos>``  end of a text (a language model predicts it)
3      ``<unk>``  a character outside the vocabulary
=====  =========  ==============================================

:class:`CharTokenizer` learns a character vocabulary from a corpus,
:class:`ByteTokenizer` needs no fitting (256 byte ids, so any text encodes and
nothing is unknown) and :class:`HFTokenizer` wraps a tokenizer file or
directory the user already has (nothing is downloaded). All three are
scikit-learn estimators with plain attributes, so ``clone`` and
:func:`gdlab.save` work on them and on models that hold them.

Examples
--------
>>> tok = CharTokenizer().fit(["abba", "cab"])
>>> tok.encode("cab")
[6, 4, 5]
>>> tok.decode(tok.encode("cab"))
'cab'
>>> ByteTokenizer().encode("hé")
[108, 199, 173]
"""

from __future__ import annotations

import operator
from collections import Counter
from pathlib import Path

from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_int
from gdlab._sequence_checks import check_texts
from gdlab.base import TextInputMixin

__all__ = [
    "SPECIAL_TOKENS",
    "PAD_ID",
    "BOS_ID",
    "EOS_ID",
    "UNK_ID",
    "N_SPECIAL",
    "CharTokenizer",
    "ByteTokenizer",
    "HFTokenizer",
    "make_tokenizer",
    "utf8_bytes",
]

#: The special tokens, in id order.
SPECIAL_TOKENS = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3
#: Number of special ids; ordinary tokens start here.
N_SPECIAL = len(SPECIAL_TOKENS)


def _check_text(text, owner) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{type(owner).__name__}.encode expects a str, got "
                        f"{type(text).__name__} ({text!r:.40}).")
    return text


def utf8_bytes(text: str, owner, *, item: int | None = None) -> bytes:
    """The UTF-8 bytes of ``text``; ``ValueError`` naming a lone surrogate if it has one.

    Byte-level and Hugging Face tokenizers read UTF-8, and a lone surrogate
    (U+D800..U+DFFF, left by decoding bytes with ``errors="surrogateescape"``)
    has no UTF-8 encoding: the codec's ``UnicodeEncodeError`` (or the Rust
    tokenizer's ``TypeError``) does not say which text or what to do.

    Parameters
    ----------
    text : str
    owner : object or str
        The tokenizer or model (its class name goes into the message).
    item : int, optional
        Index of the text in a list, for the message.

    Returns
    -------
    bytes
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        name = owner if isinstance(owner, str) else type(owner).__name__
        where = f"position {err.start}" + ("" if item is None else f" of text {item}")
        raise ValueError(
            f"{name} reads text as UTF-8, but the character at {where}, "
            f"{text[err.start]!r}, is a lone surrogate, which has no UTF-8 bytes (text decoded "
            "with errors='surrogateescape'?). Decode the source with errors='replace', or use "
            "CharTokenizer, which maps it to <unk>."
        ) from None


def _check_ids(ids, vocab_size: int, owner) -> list[int]:
    if isinstance(ids, (str, bytes)):
        raise TypeError(f"{type(owner).__name__}.decode expects a sequence of int ids, got "
                        f"{type(ids).__name__}.")
    try:
        items = list(ids)
    except TypeError as err:
        raise TypeError(f"{type(owner).__name__}.decode expects a sequence of int ids, got "
                        f"{type(ids).__name__}.") from err
    out = []
    for k, i in enumerate(items):
        # operator.index takes ints, numpy ints and integer tensors; int() would read
        # 1.5 as 1 (<bos>, dropped) and "4" as 4, so a wrong id decoded silently
        try:
            if isinstance(i, bool):
                raise TypeError
            out.append(operator.index(i))
        except TypeError:
            raise TypeError(f"{type(owner).__name__}.decode expects a sequence of int ids, "
                            f"got {type(i).__name__} {i!r:.20} at item {k}.") from None
    bad = [i for i in out if not 0 <= i < vocab_size]
    if bad:
        raise ValueError(f"ids {bad[:5]} are outside the vocabulary [0, {vocab_size}) of "
                         f"{type(owner).__name__}.")
    return out


class _TokenizerBase(TextInputMixin, BaseEstimator):
    """What all tokenizers share: batch encoding and the special ids."""

    pad_id, bos_id, eos_id, unk_id = PAD_ID, BOS_ID, EOS_ID, UNK_ID
    special_tokens = SPECIAL_TOKENS
    #: ``__dict__`` keys of the objects :meth:`_derived` keeps: rebuilt on demand, never pickled.
    _CACHES: tuple[str, ...] = ()

    def _derived(self, key: str, source, build):
        """``build(source)``, kept in ``__dict__[key]`` until the fitted ``source`` is replaced.

        Parameters
        ----------
        key : str
            One of :attr:`_CACHES`.
        source : object
            The fitted attribute the value is derived from; a refit (a new
            object) rebuilds the value.
        build : callable
            ``build(source)`` makes the value.

        Returns
        -------
        object
            The value.
        """
        kept = self.__dict__.get(key)
        if kept is None or kept[0] is not source:
            kept = (source, build(source))
            self.__dict__[key] = kept
        return kept[1]

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: the base returns __dict__ itself
        for key in self._CACHES:
            state.pop(key, None)
        return state

    def encode(self, text) -> list[int]:
        """Ids of the tokens of ``text``; no specials added.

        Parameters
        ----------
        text : str

        Returns
        -------
        list of int
        """
        self._check_encoder()
        return self._encode(_check_text(text, self))

    def decode(self, ids) -> str:
        """The text of ``ids``; the special ids are dropped (see the class for ``<unk>``).

        Parameters
        ----------
        ids : sequence of int

        Returns
        -------
        str
        """
        return self._decode(_check_ids(ids, self.vocab_size, self))

    def _check_encoder(self):
        """Refuse an unfitted tokenizer before ``encode`` reads its text (by default,
        nothing: the text is checked first)."""
        return None

    def _encode(self, text: str) -> list[int]:
        """The ids of a checked ``text`` (:meth:`encode`)."""
        raise NotImplementedError

    def _decode(self, ids: list[int]) -> str:
        """The text of checked ``ids`` (:meth:`decode`)."""
        raise NotImplementedError

    def encode_batch(self, texts) -> list[list[int]]:
        """Encode many texts.

        Parameters
        ----------
        texts : sequence of str

        Returns
        -------
        list of list of int
        """
        return [self.encode(t) for t in check_texts(self, texts, allow_empty=True)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        return tags


class CharTokenizer(_TokenizerBase):
    """Character-level tokenizer with a vocabulary learned from a corpus.

    ``encode`` maps a character outside the vocabulary to ``<unk>``; ``decode``
    drops pad/bos/eos and writes ``<unk>`` as U+FFFD.

    Parameters
    ----------
    min_frequency : int, default=1
        Characters seen fewer times in ``fit`` become ``<unk>``.
    max_size : int or None, default=None
        Keep at most this many characters (the most frequent; ties by code
        point), not counting the special tokens.

    Attributes
    ----------
    vocabulary_ : list of str
        The characters, in id order (id = position + 4).
    vocab_size : int
        ``4 + len(vocabulary_)``.

    Examples
    --------
    >>> tok = CharTokenizer().fit(["hello"])
    >>> tok.vocab_size, tok.decode(tok.encode("hole"))
    (8, 'hole')
    """

    _CACHES = ("_index_cache",)

    def __init__(self, *, min_frequency=1, max_size=None):
        self.min_frequency = min_frequency
        self.max_size = max_size

    def fit(self, X, y=None):
        """Learn the character vocabulary of the texts ``X``.

        Parameters
        ----------
        X : sequence of str
        y : ignored

        Returns
        -------
        self
        """
        check_int(self.min_frequency, "min_frequency", minimum=1)
        if self.max_size is not None:
            check_int(self.max_size, "max_size", minimum=1)
        texts = check_texts(self, X)
        counts = Counter()
        for t in texts:
            counts.update(t)
        chars = [c for c, n in counts.items() if n >= self.min_frequency]
        chars.sort(key=lambda c: (-counts[c], c))
        if self.max_size is not None:
            chars = chars[: self.max_size]
        self.vocabulary_ = sorted(chars)
        return self

    def _index(self) -> dict[str, int]:
        return self._derived("_index_cache", self.vocabulary_,
                             lambda chars: {c: i + N_SPECIAL for i, c in enumerate(chars)})

    @property
    def vocab_size(self) -> int:
        """int: number of ids, specials included."""
        check_is_fitted(self, "vocabulary_")
        return N_SPECIAL + len(self.vocabulary_)

    def _check_encoder(self):
        check_is_fitted(self, "vocabulary_")

    def _encode(self, text):
        """Ids of the characters of ``text`` (``<unk>`` for unseen ones)."""
        index = self._index()
        return [index.get(c, UNK_ID) for c in text]

    def _decode(self, ids):
        """pad/bos/eos are dropped, ``<unk>`` becomes U+FFFD."""
        out = []
        for i in ids:
            if i >= N_SPECIAL:
                out.append(self.vocabulary_[i - N_SPECIAL])
            elif i == UNK_ID:
                out.append("\ufffd")
        return "".join(out)


class ByteTokenizer(_TokenizerBase):
    """UTF-8 byte tokenizer: 256 byte ids after the 4 specials; nothing to learn.

    Every text encodes without ``<unk>``; decoding replaces invalid UTF-8 (a
    sampled byte sequence may cut a character) with U+FFFD.

    Examples
    --------
    >>> tok = ByteTokenizer()
    >>> tok.vocab_size, tok.decode(tok.encode("naïve"))
    (260, 'naïve')
    """

    def fit(self, X=None, y=None):
        """No-op (the vocabulary is fixed); validates ``X`` when given.

        Returns
        -------
        self
        """
        if X is not None:
            check_texts(self, X)
        return self

    @property
    def vocab_size(self) -> int:
        """int: 260 (4 specials + 256 bytes)."""
        return N_SPECIAL + 256

    def _encode(self, text):
        """Ids of the UTF-8 bytes of ``text``."""
        return [b + N_SPECIAL for b in utf8_bytes(text, self)]

    def _decode(self, ids):
        """Specials dropped, invalid UTF-8 replaced."""
        data = bytes(i - N_SPECIAL for i in ids if i >= N_SPECIAL)
        return data.decode("utf-8", errors="replace")


def _hf_backend_from_json(text: str):
    """A ``tokenizers.Tokenizer`` from the JSON text of a fitted :class:`HFTokenizer`."""
    import tokenizers

    return tokenizers.Tokenizer.from_str(text)


def _hf_backend_from_path(path: Path):
    """A ``tokenizers.Tokenizer`` from a tokenizer.json file or a local tokenizer directory."""
    try:
        import tokenizers
    except ImportError as err:
        raise ImportError("HFTokenizer needs the 'tokenizers' package (pip install tokenizers, "
                          "or gdlab[llm]).") from err
    if path.is_file():
        try:
            return tokenizers.Tokenizer.from_file(str(path))
        except Exception as err:  # the Rust library raises a plain Exception
            raise ValueError(f"{str(path)!r} is not a Hugging Face tokenizer.json file: "
                             f"{err}") from err
    if (path / "tokenizer.json").is_file():
        return _hf_backend_from_path(path / "tokenizer.json")
    try:
        import transformers
    except ImportError as err:
        raise ImportError(f"{str(path)!r} has no tokenizer.json; loading it needs the "
                          "'transformers' package (pip install transformers).") from err
    try:
        auto = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as err:
        raise ValueError(f"no Hugging Face tokenizer could be loaded from {str(path)!r}: "
                         f"{err}") from err
    backend = getattr(auto, "backend_tokenizer", None)
    if backend is None:
        raise ValueError(f"the tokenizer in {str(path)!r} is a slow (Python) tokenizer; "
                         "HFTokenizer needs a fast one (a tokenizer.json).")
    return backend


class HFTokenizer(_TokenizerBase):
    """A local Hugging Face tokenizer behind gdlab's tokenizer interface.

    ``fit`` reads the tokenizer from ``path`` (a ``tokenizer.json`` file, or a
    directory holding one or anything ``transformers.AutoTokenizer`` loads with
    ``local_files_only=True``) and keeps its JSON definition in
    ``tokenizer_json_``, so a saved model does not need the file any more.
    The Hugging Face ids are shifted by 4 so that gdlab's special ids (pad,
    bos, eos, unk = 0..3) mean the same in every tokenizer; the wrapped
    tokenizer's own special tokens are dropped by ``decode``.

    Parameters
    ----------
    path : str or path-like
        Local file or directory; nothing is downloaded.

    Attributes
    ----------
    tokenizer_json_ : str
        The wrapped tokenizer, serialized.
    vocab_size : int
        4 + the wrapped vocabulary size.
    """

    _CACHES = ("_backend_cache",)

    def __init__(self, path=None):
        self.path = path

    def fit(self, X=None, y=None):
        """Load the tokenizer from ``path`` (``X`` is only validated).

        Returns
        -------
        self
        """
        if self.path is None or not isinstance(self.path, (str, Path)):
            raise TypeError(f"HFTokenizer needs path (a str or Path to tokenizer.json or a "
                            f"tokenizer directory), got {self.path!r}.")
        path = Path(self.path)
        if not path.exists():
            raise ValueError(f"tokenizer path {str(path)!r} does not exist.")
        if X is not None:
            check_texts(self, X)
        backend = _hf_backend_from_path(path)
        self.tokenizer_json_ = backend.to_str()
        self._derived("_backend_cache", self.tokenizer_json_, lambda _: backend)
        return self

    def _backend(self):
        check_is_fitted(self, "tokenizer_json_")
        return self._derived("_backend_cache", self.tokenizer_json_, _hf_backend_from_json)

    @property
    def vocab_size(self) -> int:
        """int: 4 + the wrapped tokenizer's vocabulary size (added tokens included)."""
        return N_SPECIAL + self._backend().get_vocab_size(with_added_tokens=True)

    def _encode(self, text):
        """The wrapped tokenizer's ids of ``text`` + 4, without special tokens."""
        utf8_bytes(text, self)  # the Rust tokenizer's TypeError does not say what is wrong
        enc = self._backend().encode(text, add_special_tokens=False)
        return [i + N_SPECIAL for i in enc.ids]

    def _decode(self, ids):
        """gdlab's and the wrapped tokenizer's specials dropped."""
        inner = [i - N_SPECIAL for i in ids if i >= N_SPECIAL]
        return self._backend().decode(inner, skip_special_tokens=True)


def make_tokenizer(kind: str, path=None):
    """An unfitted tokenizer by name: ``"char"``, ``"byte"`` or ``"hf"`` (needs ``path``).

    Parameters
    ----------
    kind : {"char", "byte", "hf"}
    path : str or path-like, optional
        For ``"hf"``: a tokenizer.json file or a local tokenizer directory.

    Returns
    -------
    CharTokenizer, ByteTokenizer or HFTokenizer

    Examples
    --------
    >>> type(make_tokenizer("byte")).__name__
    'ByteTokenizer'
    """
    if kind == "char":
        tok = CharTokenizer()
    elif kind == "byte":
        tok = ByteTokenizer()
    elif kind == "hf":
        if path is None:
            raise ValueError("tokenizer='hf' needs tokenizer_path (a tokenizer.json file or a "
                             "local tokenizer directory).")
        return HFTokenizer(path)
    else:
        raise ValueError(f"tokenizer must be 'char', 'byte' or 'hf', got {kind!r}.")
    if path is not None:
        raise ValueError(f"tokenizer_path is only used with tokenizer='hf', got "
                         f"tokenizer={kind!r} and tokenizer_path={path!r}.")
    return tok
