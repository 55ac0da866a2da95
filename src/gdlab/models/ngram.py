"""Character n-gram language models with Kneser–Ney or Witten–Bell smoothing.

:class:`CharNGramLM` is a density over finite strings: every text is read as
``<s>^(order-1) c_1 ... c_L </s>`` and

    log p(text) = sum_t log p(c_t | c_{t-order+1} ... c_{t-1}) + log p(</s> | ...)

with the next-symbol distribution smoothed by interpolated Kneser–Ney
(Chen & Goodman, 1999: absolute discounting, continuation counts for every
order below the highest) or interpolated Witten–Bell (Witten & Bell, 1991).
Both bottom out in a uniform distribution over the predicted symbols, so every
symbol gets non-zero probability in every context.

Characters outside the vocabulary map to a reserved ``<unk>`` symbol whose
probability is spread uniformly over every Unicode code point outside the
vocabulary. ``score_samples`` is therefore the log-probability of the actual
string (not of its ``<unk>``-coded version), comparable between models with
different vocabularies — which is what Bayes' rule needs when
:class:`CharNGramClassifier` fits one model per class.

Counting is vectorized: texts are coded as integers, every n-gram is packed
into one int64 (``base ** order`` must fit, see :class:`CharNGramLM`), and
``np.unique`` counts them; scoring looks counts up with ``np.searchsorted``
for all positions of all texts at once.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.base import DensityMixin as _SkDensityMixin
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_fraction, check_in, check_int, check_n_samples
from gdlab._sequence_checks import check_texts
from gdlab._validation import check_random_state
from gdlab.base import CapabilityMixin, ClassConditional, TextInputMixin

__all__ = ["CharNGramLM", "CharNGramClassifier", "N_CODEPOINTS"]

#: Number of Unicode code points (U+0000 .. U+10FFFF): the alphabet over which the
#: ``<unk>`` mass is spread.
N_CODEPOINTS = 0x110000

#: Names of the reserved output symbols, after the vocabulary's characters.
UNK, EOS = "<unk>", "</s>"

_SMOOTHINGS = ("kneser-ney", "witten-bell")
_INT64_LIMIT = 2**63 - 1


def _codepoints(text: str) -> np.ndarray:
    """Unicode code points of a string as uint32 (lone surrogates kept)."""
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)


def _sorted_find(keys: np.ndarray, queries: np.ndarray):
    """(index, found) of each query in ``keys`` (sorted, unique); fastest for sorted queries."""
    if keys.shape[0] == 0:
        return np.zeros(queries.shape, dtype=np.int64), np.zeros(queries.shape, dtype=bool)
    idx = np.searchsorted(keys, queries)
    np.minimum(idx, keys.shape[0] - 1, out=idx)
    return idx, keys[idx] == queries


def _group_sums(sorted_keys: np.ndarray, weights: np.ndarray):
    """Unique keys of a sorted array, the sum of ``weights`` and the count per key."""
    if sorted_keys.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, np.zeros(0), empty
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    sums = np.add.reduceat(weights, starts)
    sizes = np.diff(np.r_[starts, sorted_keys.shape[0]])
    return sorted_keys[starts], sums.astype(np.float64), sizes.astype(np.int64)


class CharNGramLM(TextInputMixin, CapabilityMixin, _SkDensityMixin, BaseEstimator):
    """Character n-gram language model: a smoothed density over finite strings.

    Parameters
    ----------
    order : int, default=5
        n of the n-grams: each character is predicted from the ``order - 1``
        before it (the start of a text is padded with begin-of-text symbols).
    smoothing : {"kneser-ney", "witten-bell"}, default="kneser-ney"
        Interpolated Kneser–Ney with one absolute ``discount`` for every order
        and continuation counts below the highest order (Chen & Goodman), or
        interpolated Witten–Bell.
    discount : float in (0, 1], default=0.75
        Kneser–Ney's absolute discount (ignored by Witten–Bell).
    vocabulary : str or sequence of str, optional
        The characters the model knows (each once). When None, every character
        seen in ``fit``. Other characters (in ``fit`` or later) become ``<unk>``.

    Attributes
    ----------
    vocabulary_ : list of str
        The known characters, sorted by code point.
    symbols_ : list of str
        The predicted symbols, the columns of :meth:`next_proba`:
        ``vocabulary_ + ["<unk>", "</s>"]``.
    n_chars_ : int
        Characters seen in ``fit``.
    ngram_keys_, ngram_counts_ : list of ndarray
        Per order k = 1..order: the packed k-grams (sorted; the predicted symbol
        in the highest digit, then the context from the newest) and their counts
        (raw counts at the highest order and for Witten–Bell, continuation
        counts for Kneser–Ney's lower orders).
    context_keys_, context_totals_, context_types_ : list of ndarray
        Per order: the packed contexts, the sum of their k-gram counts and the
        number of distinct symbols seen after them.

    Notes
    -----
    Each next-symbol distribution sums to one over ``symbols_`` (the
    vocabulary, ``<unk>`` and ``</s>``); an unseen character c then has
    p(c | h) = p(<unk> | h) / (N_CODEPOINTS - len(vocabulary_)), so
    :meth:`score_samples` is a proper distribution over all Unicode strings.
    :meth:`sample` writes ``<unk>`` as U+FFFD (the replacement character).

    The n-grams are packed into int64 keys in base ``len(vocabulary_) + 3``,
    so ``(len(vocabulary_) + 3) ** order`` must be below 2**63 (order 5 allows
    about 6,000 characters); ``fit`` says so otherwise.

    Examples
    --------
    >>> lm = CharNGramLM(order=3).fit(["abracadabra", "abba", "cab"])
    >>> lm.next_proba(["ab"]).sum().round(12)
    np.float64(1.0)
    >>> bool(lm.score_samples(["abra"])[0] > lm.score_samples(["rbaa"])[0])
    True
    """

    _gdlab_capabilities = frozenset({"density", "sample", "text"})

    def __init__(self, *, order=5, smoothing="kneser-ney", discount=0.75, vocabulary=None):
        self.order = order
        self.smoothing = smoothing
        self.discount = discount
        self.vocabulary = vocabulary

    # -- fitting ----------------------------------------------------------
    def _check_params(self):
        order = check_int(self.order, "order")
        check_in(self.smoothing, "smoothing", set(_SMOOTHINGS))
        check_fraction(self.discount, "discount", allow_zero=False, allow_one=True)
        if self.vocabulary is None:
            return order, None
        if isinstance(self.vocabulary, str):
            chars = list(self.vocabulary)
        else:
            try:
                chars = list(self.vocabulary)
            except TypeError:
                raise TypeError(f"vocabulary must be a str or a sequence of single characters, "
                                f"got {type(self.vocabulary).__name__}.") from None
            bad = [c for c in chars if not (isinstance(c, str) and len(c) == 1)]
            if bad:
                raise ValueError(f"vocabulary must hold single characters, got {bad[:5]!r}.")
        if not chars:
            raise ValueError("vocabulary is empty; give at least one character or None.")
        if len(set(chars)) != len(chars):
            dup = sorted({c for c in chars if chars.count(c) > 1})
            raise ValueError(f"vocabulary lists characters more than once: {dup[:10]!r}.")
        return order, np.unique(_codepoints("".join(chars)))

    def fit(self, X, y=None):
        """Count the n-grams of the texts and build the smoothed model.

        Parameters
        ----------
        X : list of str (or 1-D array / Series / one-column DataFrame of str)
            Training texts; each needs at least one character.
        y : None
            Ignored.

        Returns
        -------
        self
        """
        order, given = self._check_params()
        texts = check_texts(self, X)
        joined = "".join(texts)
        points = _codepoints(joined)
        codepoints = np.unique(points) if given is None else given
        n_vocab = codepoints.shape[0]
        base = n_vocab + 3
        if base**order > _INT64_LIMIT:
            raise ValueError(
                f"order={order} with {n_vocab} characters needs (n_chars + 3) ** order = "
                f"{base}**{order} n-gram keys, beyond int64; lower order or give a smaller "
                "vocabulary (unknown characters then map to <unk>)."
            )
        self.codepoints_ = codepoints.astype(np.int64)
        self.vocabulary_ = [chr(int(c)) for c in codepoints]
        self.symbols_ = [*self.vocabulary_, UNK, EOS]
        self.n_chars_ = int(points.shape[0])
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        padded, targets = self._pad(self._encode(points), lengths, order)
        self._count(padded, targets, order, base)
        return self

    def _encode(self, points: np.ndarray) -> np.ndarray:
        """Symbol codes of code points: index in the vocabulary, or <unk>."""
        vocab = self.codepoints_
        idx = np.searchsorted(vocab, points)
        idx_c = np.minimum(idx, vocab.shape[0] - 1)
        return np.where(vocab[idx_c] == points, idx_c, vocab.shape[0]).astype(np.int64)

    @property
    def _unk(self) -> int:
        return len(self.vocabulary_)

    @property
    def _eos(self) -> int:
        return len(self.vocabulary_) + 1

    @property
    def _bos(self) -> int:
        return len(self.vocabulary_) + 2

    @property
    def _base(self) -> int:
        return len(self.vocabulary_) + 3

    def _pad(self, codes: np.ndarray, lengths: np.ndarray, order: int):
        """Texts as ``<s>^(order-1) codes </s>`` one after another, and the target positions.

        Returns the padded code array and the positions of every predicted symbol
        (characters and ``</s>``); each has ``order - 1`` symbols of its own text
        (or ``<s>``) before it.
        """
        bos = len(self.vocabulary_) + 2
        pad = order - 1
        sizes = lengths + pad + 1
        ends = np.cumsum(sizes)
        starts = ends - sizes + pad  # first character of each text
        padded = np.full(int(ends[-1]) if ends.size else 0, bos, dtype=np.int64)
        char_pos = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
        char_pos += np.arange(codes.shape[0])
        padded[char_pos] = codes
        padded[ends - 1] = bos - 1  # </s>
        mask = padded != bos
        return padded, np.flatnonzero(mask)

    @staticmethod
    def _top_keys(padded: np.ndarray, targets: np.ndarray, order: int, base: int):
        """Packed order-grams ending at each target.

        The digits (base ``base``), from the highest: the target, the symbol
        just before it, the one before that, ... So dropping the oldest symbol
        is ``key // base`` and a k-gram key is ``top_key // base ** (order - k)``:
        one sort of the top keys sorts every order.
        """
        key = padded[targets].copy()
        for j in range(1, order):
            key = key * base + padded[targets - j]
        return key

    def _count(self, padded, targets, order, base):
        keys, counts = np.unique(self._top_keys(padded, targets, order, base),
                                 return_counts=True)
        levels = [None] * order
        levels[order - 1] = (keys, counts.astype(np.float64))
        kneser_ney = self.smoothing == "kneser-ney"
        for k in range(order - 1, 0, -1):  # level k (k-grams) from level k + 1
            keys, counts = levels[k]
            weights = np.ones(keys.shape[0]) if kneser_ney else counts
            uniq, sums, _ = _group_sums(keys // base, weights)  # still sorted
            levels[k - 1] = (uniq, sums)
        self.ngram_keys_, self.ngram_counts_ = [], []
        self.context_keys_, self.context_totals_, self.context_types_ = [], [], []
        for k, (keys, counts) in enumerate(levels, start=1):
            self.ngram_keys_.append(keys)
            self.ngram_counts_.append(counts)
            ctx = keys % base ** (k - 1)  # drop the target (the highest digit)
            sort = np.argsort(ctx, kind="stable")
            ctx, totals, types = _group_sums(ctx[sort], counts[sort])
            self.context_keys_.append(ctx)
            self.context_totals_.append(totals)
            self.context_types_.append(types.astype(np.float64))

    # -- probabilities ----------------------------------------------------
    def _next_prob(self, context: np.ndarray, symbols: np.ndarray) -> np.ndarray:
        """p(symbol | context) for contexts (m, order-1) and symbols (m, K) -> (m, K).

        Queries are sorted once (by the full n-gram and by the full context);
        every order's keys are then monotone in those, so each ``searchsorted``
        runs over sorted queries.
        """
        order, base = self.order, self._base
        n_out = base - 1
        discount = float(self.discount)
        kneser_ney = self.smoothing == "kneser-ney"
        m, n_sym = symbols.shape
        ctx_top = np.zeros(m, dtype=np.int64)  # newest context symbol in the highest digit
        for j in range(1, order):
            ctx_top = ctx_top * base + context[:, order - 1 - j]
        ctx_sort = np.argsort(ctx_top, kind="stable")
        ctx_sorted = ctx_top[ctx_sort]
        gram_top = (symbols * base ** (order - 1) + ctx_top[:, None]).ravel()
        gram_sort = np.argsort(gram_top, kind="stable")
        gram_sorted = gram_top[gram_sort]
        prob = np.full((m, n_sym), 1.0 / n_out)
        for k in range(1, order + 1):
            shift = base ** (order - k)
            c_idx, c_found = _sorted_find(self.context_keys_[k - 1], ctx_sorted // shift)
            total, types = np.zeros(m), np.zeros(m)
            total[ctx_sort] = np.where(c_found, self.context_totals_[k - 1][c_idx], 0.0)
            types[ctx_sort] = np.where(c_found, self.context_types_[k - 1][c_idx], 0.0)
            g_idx, g_found = _sorted_find(self.ngram_keys_[k - 1], gram_sorted // shift)
            count = np.zeros(m * n_sym)
            count[gram_sort] = np.where(g_found, self.ngram_counts_[k - 1][g_idx], 0.0)
            count = count.reshape(m, n_sym)
            seen = (total > 0)[:, None]
            total, types = total[:, None], types[:, None]
            denom = np.where(seen, total + (0.0 if kneser_ney else types), 1.0)
            if kneser_ney:
                mixed = (np.maximum(count - discount, 0.0) + discount * types * prob) / denom
            else:
                mixed = (count + types * prob) / denom
            prob = np.where(seen, mixed, prob)
        return prob

    def _contexts(self, padded: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """(n_targets, order-1) context symbols before each target position."""
        offsets = np.arange(self.order - 1, 0, -1)
        return padded[targets[:, None] - offsets[None, :]]

    def _prepare(self, texts):
        """Padded codes, target positions, and the text index of each target."""
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        points = _codepoints("".join(texts))
        codes = self._encode(points)
        padded, targets = self._pad(codes, lengths, self.order)
        owner = np.repeat(np.arange(len(texts)), lengths + 1)
        return padded, targets, owner

    def _log_symbol_probs(self, texts):
        """log p of every predicted symbol of every text (<unk> spread included)."""
        padded, targets, owner = self._prepare(texts)
        symbols = padded[targets]
        prob = self._next_prob(self._contexts(padded, targets), symbols[:, None])[:, 0]
        logp = np.log(prob)
        logp[symbols == self._unk] -= np.log(N_CODEPOINTS - len(self.vocabulary_))
        return logp, owner

    def score_samples(self, X) -> np.ndarray:
        """Log-probability log p(text) of each text (natural log, ``</s>`` included).

        Parameters
        ----------
        X : list of str
            Empty strings are allowed here (p(</s> | <s>...)).

        Returns
        -------
        ndarray of shape (n_texts,)
        """
        check_is_fitted(self)
        texts = check_texts(self, X, allow_empty=True)
        logp, owner = self._log_symbol_probs(texts)
        return np.bincount(owner, weights=logp, minlength=len(texts))

    def score(self, X, y=None) -> float:
        """Mean log-probability per text, ``mean(score_samples(X))`` (higher is better).

        See :meth:`bits_per_char` for a per-character measure.
        """
        return float(np.mean(self.score_samples(X)))

    def bits_per_char(self, X) -> float:
        """Cross-entropy in bits per predicted symbol (each character and each ``</s>``).

        Parameters
        ----------
        X : list of str

        Returns
        -------
        float
            ``-sum log2 p(text) / sum (len(text) + 1)``.
        """
        check_is_fitted(self)
        texts = check_texts(self, X, allow_empty=True)
        logp, _ = self._log_symbol_probs(texts)
        return float(-logp.sum() / np.log(2.0) / logp.shape[0])

    def perplexity(self, X) -> float:
        """Per-symbol perplexity, ``2 ** bits_per_char(X)``."""
        return float(2.0 ** self.bits_per_char(X))

    def _prompt_context(self, prompts) -> np.ndarray:
        """(n, order-1) context symbols after each prompt (a text prefix)."""
        texts = check_texts(self, prompts, allow_empty=True)
        pad = self.order - 1
        out = np.full((len(texts), pad), self._bos, dtype=np.int64)
        if pad == 0:
            return out
        for i, t in enumerate(texts):
            tail = self._encode(_codepoints(t[-pad:])) if t else np.zeros(0, dtype=np.int64)
            if tail.shape[0]:
                out[i, pad - tail.shape[0]:] = tail
        return out

    def next_proba(self, contexts) -> np.ndarray:
        """Distribution of the next symbol after each text prefix.

        Parameters
        ----------
        contexts : list of str
            Text prefixes ("" is the start of a text); only the last
            ``order - 1`` characters matter.

        Returns
        -------
        ndarray of shape (n_contexts, len(symbols_))
            Columns follow ``symbols_`` (vocabulary, ``<unk>``, ``</s>``); each
            row sums to one.
        """
        check_is_fitted(self)
        ctx = self._prompt_context(contexts)
        symbols = np.broadcast_to(np.arange(self._base - 1), (ctx.shape[0], self._base - 1))
        return self._next_prob(ctx, symbols)

    def sample(self, n_samples=1, random_state=None, *, max_length=200, prompt="") -> list[str]:
        """Draw texts, one character at a time, until ``</s>`` or ``max_length``.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            Seed for this call (same seed, same texts).
        max_length : int, default=200
            At most this many characters are generated after the prompt; a
            text that reaches it is cut there (no ``</s>`` was drawn).
        prompt : str, default=""
            Beginning of every text; the draws continue it.

        Returns
        -------
        list of str
            ``prompt`` followed by the drawn characters; ``<unk>`` is written
            as U+FFFD.
        """
        check_is_fitted(self)
        n = check_n_samples(n_samples)
        max_length = check_int(max_length, "max_length")
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, got {type(prompt).__name__}.")
        rng = check_random_state(random_state)
        ctx = np.repeat(self._prompt_context([prompt]), n, axis=0)
        n_out = self._base - 1
        symbols = np.arange(n_out)
        drawn = np.full((n, max_length), self._eos, dtype=np.int64)
        active = np.arange(n)
        for t in range(max_length):
            prob = self._next_prob(ctx[active], np.broadcast_to(symbols, (active.size, n_out)))
            cum = np.cumsum(prob, axis=1)
            u = rng.random_sample(active.size)[:, None] * cum[:, -1:]
            pick = np.minimum((cum <= u).sum(axis=1), n_out - 1)
            drawn[active, t] = pick
            if ctx.shape[1]:
                ctx[active] = np.column_stack([ctx[active, 1:], pick])
            active = active[pick != self._eos]
            if active.size == 0:
                break
        alphabet = np.array([*self.vocabulary_, "\ufffd", ""], dtype=object)
        return [prompt + "".join(alphabet[row[row != self._eos]]) for row in drawn]


class CharNGramClassifier(ClassConditional):
    """Generative text classifier: one :class:`CharNGramLM` per class and Bayes' rule.

    log p(text, y=k) = log p(y=k) + log p_k(text), with p_k a character n-gram
    language model fitted on the texts of class k. A new class is learned with
    :meth:`add_class` without touching the others.

    Parameters
    ----------
    density : CharNGramLM, optional
        Unfitted language model cloned per class; default ``CharNGramLM()``
        (order 5, Kneser–Ney).
    priors : array-like of shape (n_classes,), optional
        Class priors (sorted labels); default the class frequencies.

    Attributes
    ----------
    classes_, class_prior_, class_count_ : ndarray
    densities_ : list of CharNGramLM

    Examples
    --------
    >>> texts = ["the cat", "a hat", "the bat", "der Hund", "die Katze", "das Haus"]
    >>> clf = CharNGramClassifier(CharNGramLM(order=3)).fit(texts, [0, 0, 0, 1, 1, 1])
    >>> clf.predict(["the rat", "der Kater"]).tolist()
    [0, 1]
    """

    def _default_density(self):
        return CharNGramLM()
