"""A small GPT: character/byte language model, label-prefix classifier, fine-tuned classifier.

Three estimators share one network, :class:`gdlab.nn.transformer.GPT` (token +
position embeddings, ``n_layer`` pre-norm blocks of causal self-attention and
an MLP, a final layer norm and a head tied to the token embedding; importable
from here too), all trained by gdlab's one :class:`gdlab.nn.Trainer`:

:class:`CharGPT`
    A density over texts: ``score_samples`` is log p(text) (natural log, the
    end-of-text token included), ``sample`` generates, ``bits_per_char`` and
    ``perplexity`` report the fit. ``ClassConditional(CharGPT())`` is a
    generative text classifier with one GPT per class.
:class:`LabelPrefixGPT`
    One GPT for all classes, the class given as a prefix token:
    log p(x, y=k) = log p(y=k) + log p(x | <class k>), then Bayes' rule.
:class:`GPTClassifier`
    The GPT body plus a classification head, trained on p(y | x) only; it can
    start from a fitted :class:`CharGPT` (generative pretraining, then
    discriminative fine-tuning).

Texts and context
-----------------
A text is scored as the token sequence ``<bos> t_1 ... t_m <eos>`` (a class
token instead of ``<bos>`` for :class:`LabelPrefixGPT`). Texts longer than
the context are covered by sliding windows of ``context_length + 1`` tokens
with stride ``context_length // 2``: the first window scores all its
targets, every later one only the targets no earlier window scored. So each
token is scored exactly once, with all previous tokens as context while they
fit and at least ``context_length - stride`` of them after that; the sum is
the exact log probability of the text under this finite-context model.
Training uses the same windows (the loss is the mean negative log
probability per scored token), so what is trained is what is scored.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_fraction, check_n_samples, check_priors
from gdlab._sequence_checks import check_texts
from gdlab._validation import check_labels, check_random_state
from gdlab.base import GenerativeClassifierMixin
from gdlab.models._text_nets import (
    PretrainedBodyClassifierMixin,
    TransformerTextMixin,
    check_sampling,
    top_k_filter,
)
from gdlab.nn.estimator import RECIPE_PARAMS
from gdlab.nn.transformer import GPT, IGNORE, GPTConfig
from gdlab.tokenizers import BOS_ID, EOS_ID, N_SPECIAL, PAD_ID, UNK_ID

__all__ = [
    "GPTConfig",
    "GPT",
    "CharGPT",
    "LabelPrefixGPT",
    "GPTClassifier",
    "sliding_windows",
]

# ------------------------------------------------------------------------ windows


def sliding_windows(seq, context_length: int, stride: int | None = None):
    """Cut one token sequence into scoring windows (see the module docstring).

    Parameters
    ----------
    seq : sequence of int
        The whole sequence, ``<bos>`` (or class token) first; at least 2 ids.
    context_length : int
    stride : int, optional
        Default ``max(1, context_length // 2)``.

    Returns
    -------
    inputs : ndarray of shape (n_windows, context_length), int64
        Right-padded with ``<pad>``.
    targets : ndarray of shape (n_windows, context_length), int64
        The next token where it is scored by this window, else ``IGNORE``.

    Examples
    --------
    >>> x, y = sliding_windows([1, 5, 6, 7, 2], context_length=3, stride=2)
    >>> x.tolist()
    [[1, 5, 6], [6, 7, 0]]
    >>> y.tolist()
    [[5, 6, 7], [-100, 2, -100]]
    """
    seq = np.asarray(seq, dtype=np.int64)
    T = int(context_length)
    stride = max(1, T // 2) if stride is None else int(stride)
    L = len(seq)
    xs, ys = [], []
    start, done = 0, 0  # done: last target position already scored
    while True:
        end = min(start + T, L - 1)  # last target position of this window
        x = np.full(T, PAD_ID, dtype=np.int64)
        y = np.full(T, IGNORE, dtype=np.int64)
        x[: end - start] = seq[start:end]
        pos = np.arange(start + 1, end + 1)  # target positions
        keep = pos > done
        y[: end - start][keep] = seq[pos[keep]]
        xs.append(x)
        ys.append(y)
        done = end
        if end >= L - 1:
            break
        start += stride
    return np.stack(xs), np.stack(ys)


def _windows_of(seqs, context_length):
    """Stacked windows of many sequences and the sequence each window belongs to."""
    xs, ys, owner = [], [], []
    for i, s in enumerate(seqs):
        x, y = sliding_windows(s, context_length)
        xs.append(x)
        ys.append(y)
        owner.append(np.full(len(x), i))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)


# ---------------------------------------------------------------- shared estimator code

def _lm_loss(module, batch):
    _, loss = module(batch[0], batch[1])
    return loss


def _tokenized_density(est, caps: frozenset[str]) -> frozenset[str]:
    """Characters and bytes tokenize a string one way: log p is exact. A Hugging Face
    (sub-word) tokenizer has many tokenizations of a string and the model scores its
    canonical one: a lower bound on log p(string)."""
    if est.tokenizer == "hf" and "density" in caps:
        return (caps - {"density"}) | {"density_bound"}
    return caps


class _GPTMixin(TransformerTextMixin):
    """Module, scoring and sampling shared by the GPTs (settings, tokenizer and config:
    :class:`~gdlab.models._text_nets.TransformerTextMixin`).

    Its ``_extra_vocab`` ids (a :class:`LabelPrefixGPT`'s class tokens) are never generated.
    """

    def _build_module(self):
        return GPT(GPTConfig(**self.config_))

    # -- pickling / copying / skops: weights as numpy arrays ---------------------
    # -- sequences ------------------------------------------------------------
    def _encode(self, texts, first_token=BOS_ID):
        return [[first_token, *self.tokenizer_.encode(t), EOS_ID] for t in texts]

    def _banned_ids(self) -> list[int]:
        """Ids that are never a next token: <pad>, <bos> and class tokens."""
        vocab = self.config_["vocab_size"]
        return [PAD_ID, BOS_ID, *range(vocab - self._extra_vocab, vocab)]

    def _unk_log_share(self) -> float:
        """log of the number of characters one ``<unk>`` stands for (char tokenizer).

        The char tokenizer maps every character unseen at fit to ``<unk>``; its
        probability is shared evenly among all of them (as in CharNGramLM), so
        scores are a proper distribution over strings of any characters.
        """
        if self.tokenizer != "char":
            return 0.0
        from gdlab.models.ngram import N_CODEPOINTS

        return float(np.log(N_CODEPOINTS - (self.tokenizer_.vocab_size - N_SPECIAL)))

    def _sequence_log_prob(self, seqs) -> np.ndarray:
        """Natural-log probability of each whole token sequence (first token given).

        The next-token distribution excludes the ids that are never generated
        (``_banned_ids``), exactly as :meth:`sample` draws from it.
        """
        x, y, owner = _windows_of(seqs, self.config_["context_length"])
        banned = self._banned_ids()
        unk_share = self._unk_log_share()

        def window_sum(xb, yb):
            logits, _ = self.module_(xb)  # (B, T, V)
            logits = logits.float()
            logits[..., banned] = -math.inf
            logp = torch.log_softmax(logits, dim=-1)  # (B, T, V)
            scored = yb != IGNORE  # (B, T)
            picked = logp.gather(-1, yb.clamp_min(0).unsqueeze(-1)).squeeze(-1)  # (B, T)
            picked = picked - unk_share * (yb == UNK_ID)  # one unseen character of many
            return torch.where(scored, picked, torch.zeros_like(picked)).sum(1)  # (B,)

        sums = self._batched(window_sum, x, y)
        return np.bincount(owner, weights=sums, minlength=len(seqs))

    def _check_prompt(self, prompt, first_token):
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, got {type(prompt).__name__}.")
        ids = [first_token, *self.tokenizer_.encode(prompt)]
        T = self.config_["context_length"]
        if len(ids) > T:
            raise ValueError(f"prompt is {len(ids) - 1} tokens (plus the start token), longer "
                             f"than the context of {T} tokens; shorten it or use a larger "
                             "context_length.")
        return ids

    @torch.no_grad()
    def _generate(self, prompt, prefixes, random_state, max_length, temperature, top_k):
        """``prompt`` and the text continuing each prefix (list of ids, from
        :meth:`_check_prompt`) until <eos> or max_length new tokens."""
        check_sampling(max_length, temperature, top_k, greedy=True)
        module = self.module_.eval()
        device = next(module.parameters()).device
        gen = self._generator(random_state)
        banned = self._banned_ids()
        T = self.config_["context_length"]
        by_prefix: dict[tuple, list[int]] = {}
        for i, p in enumerate(prefixes):
            by_prefix.setdefault(tuple(p), []).append(i)
        results: list[list[int] | None] = [None] * len(prefixes)
        for prefix, rows in by_prefix.items():
            for c in range(0, len(rows), 512):
                chunk = rows[c:c + 512]
                ids = torch.tensor([list(prefix)] * len(chunk), dtype=torch.long, device=device)
                finished = torch.zeros(len(chunk), dtype=torch.bool, device=device)
                for _ in range(max_length):
                    logits, _ = module(ids[:, -T:])  # (n, t, V)
                    logits = logits[:, -1, :].float()  # (n, V)
                    logits[:, banned] = -math.inf
                    logits = top_k_filter(logits, top_k)
                    if temperature == 0:
                        nxt = logits.argmax(-1)  # (n,)
                    else:
                        probs = torch.softmax(logits / temperature, dim=-1)  # (n, V)
                        nxt = torch.multinomial(probs, 1, generator=gen).squeeze(1)  # (n,)
                    nxt = nxt.masked_fill(finished, PAD_ID)
                    ids = torch.cat([ids, nxt.unsqueeze(1)], dim=1)  # (n, t + 1)
                    finished |= nxt == EOS_ID
                    if bool(finished.all()):
                        break
                new = ids[:, len(prefix):].tolist()
                for r, toks in zip(chunk, new, strict=True):
                    results[r] = toks[: toks.index(EOS_ID)] if EOS_ID in toks else toks
        return [prompt + self.tokenizer_.decode(toks) for toks in results]


# ---------------------------------------------------------------------------- CharGPT


class CharGPT(_GPTMixin, BaseEstimator):
    """Small GPT language model over characters or bytes: a density over texts.

    Parameters
    ----------
    tokenizer : {"char", "byte", "hf"}, default="char"
        ``"char"`` learns the characters of the training texts, ``"byte"``
        uses UTF-8 bytes (no unknown symbols), ``"hf"`` a local Hugging Face
        tokenizer at ``tokenizer_path``.
    tokenizer_path : str or None, default=None
        tokenizer.json file or local tokenizer directory (``tokenizer="hf"``).
    context_length : int, default=128
        Tokens the model attends over; longer texts are scored with sliding
        windows (module docstring).
    n_layer, n_head, d_model, dropout
        Shape of the :class:`GPT` (see :class:`GPTConfig`).
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`); ``batch_size``
        counts context windows.
    lr_schedule : {"constant", "cosine"}, default="constant"
        ``"cosine"``: the learning rate decays along a half cosine to ``lr /
        10`` at the last step of ``max_epochs`` (nanoGPT's recipe;
        :func:`gdlab.nn.lr_factor`).
    warmup : float in [0, 1), default=0.0
        Fraction of the steps of a linear learning-rate warm-up.
    precision : {"32", "bf16", "auto"}, default="32"
        ``"bf16"`` trains under bfloat16 autocast (float32 weights);
        ``"auto"`` does on a CUDA device that supports it, float32 elsewhere.

    Attributes
    ----------
    tokenizer_ : CharTokenizer, ByteTokenizer or HFTokenizer
    config_ : dict
        The :class:`GPTConfig` of ``module_``.
    module_ : GPT
    history_, n_epochs_, best_epoch_, device_
        From the training run.

    Examples
    --------
    >>> lm = CharGPT(context_length=16, n_layer=1, n_head=2, d_model=16, max_epochs=2,
    ...              validation_fraction=0, random_state=0).fit(["abc", "abd", "abc"])
    >>> lm.score_samples(["abc", "zzz"]).shape
    (2,)
    >>> bool(lm.next_token_proba(["ab"]).sum().round(5) == 1)
    True
    """

    _gdlab_capabilities = frozenset({"density", "sample", "text"})

    def _capabilities(self) -> frozenset[str]:
        return _tokenized_density(self, super()._capabilities())

    def __init__(self, *, tokenizer="char", tokenizer_path=None, context_length=128, n_layer=2,
                 n_head=4, d_model=128, dropout=0.1, max_epochs=20, batch_size=64, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, patience=3, device="auto",
                 random_state=None, verbose=False, lr_schedule="constant", warmup=0.0,
                 precision="32"):
        self._set_net_params(locals())
        self._set_training_params(locals())
        self._set_params(locals(), RECIPE_PARAMS)

    def fit(self, X, y=None):
        """Train the language model on a corpus.

        Parameters
        ----------
        X : sequence of str
            Non-empty texts (a list, 1-D array, Series or one-column DataFrame).
        y : ignored

        Returns
        -------
        self
        """
        texts = check_texts(self, X)
        self._check_net_params()
        self._fit_tokenizer(texts)
        self._set_config()
        x, t, _ = _windows_of(self._encode(texts), self.context_length)
        return self._train((torch.from_numpy(x), torch.from_numpy(t)), _lm_loss)

    def score_samples(self, X) -> np.ndarray:
        """Log probability log p(text) of each text, ``<eos>`` included (natural log).

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts,)
        """
        check_is_fitted(self)
        texts = check_texts(self, X, allow_empty=True)
        return self._sequence_log_prob(self._encode(texts))

    def score(self, X, y=None) -> float:
        """Mean log probability per text (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def _n_tokens(self, texts) -> int:
        return sum(len(self.tokenizer_.encode(t)) + 1 for t in texts)

    def _total_nll(self, X) -> tuple[list[str], float]:
        """The validated texts and -sum log p(text) over them (nats)."""
        texts = check_texts(self, X, allow_empty=True)
        return texts, -self.score_samples(texts).sum()

    def bits_per_char(self, X) -> float:
        """Bits per character: -sum log2 p(text) / sum (len(text) + 1).

        The ``+ 1`` is the end of each text, which the model also predicts.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        float
            Lower is better (``log2(k)`` for a uniform guess among ``k`` symbols).
        """
        texts, nll = self._total_nll(X)
        return float(nll / math.log(2) / sum(len(t) + 1 for t in texts))

    def perplexity(self, X) -> float:
        """Per-token perplexity exp(-sum log p / number of predicted tokens, ``<eos>`` included).

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        float
            At least 1, lower is better: as uncertain per token as a uniform choice
            among that many tokens.
        """
        texts, nll = self._total_nll(X)
        return float(np.exp(nll / self._n_tokens(texts)))

    def next_token_proba(self, prompts) -> np.ndarray:
        """Distribution of the next token after each prompt (``<bos>`` prepended).

        Parameters
        ----------
        prompts : sequence of str
            Empty strings allowed (the distribution of the first token).

        Returns
        -------
        ndarray of shape (n_prompts, vocab_size)
            Rows sum to one; columns are token ids (``tokenizer_.decode([i])``).
        """
        check_is_fitted(self)
        texts = check_texts(self, prompts, allow_empty=True)
        seqs = [self._check_prompt(t, BOS_ID) for t in texts]
        width = max(len(s) for s in seqs)
        x = np.full((len(seqs), width), PAD_ID, dtype=np.int64)
        for i, s in enumerate(seqs):
            x[i, : len(s)] = s
        last = np.array([len(s) - 1 for s in seqs], dtype=np.int64)

        banned = self._banned_ids()

        def proba(xb, lb):
            logits, _ = self.module_(xb)  # (B, T, V)
            rows = torch.arange(xb.shape[0], device=xb.device)
            last = logits[rows, lb].float()  # (B, V)
            last[:, banned] = -math.inf  # never generated, so probability 0
            return torch.softmax(last, dim=-1)  # (B, V)

        return self._batched(proba, x, last)

    def sample(self, n_samples=1, random_state=None, *, prompt="", max_length=200,
               temperature=1.0, top_k=None) -> list[str]:
        """Generate texts.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            Same seed, same texts.
        prompt : str, default=""
            Every text starts with it (it counts towards the context).
        max_length : int, default=200
            Most new tokens per text; generation stops earlier at ``<eos>``.
        temperature : float >= 0, default=1.0
            Divides the logits; 0 takes the most probable token (greedy).
        top_k : int or None, default=None
            Sample only among the ``top_k`` most probable tokens.

        Returns
        -------
        list of str
            ``prompt`` followed by the generated text.
        """
        check_is_fitted(self)
        n = check_n_samples(n_samples)
        prefix = self._check_prompt(prompt, BOS_ID)
        return self._generate(prompt, [prefix] * n, random_state, max_length, temperature, top_k)


# ------------------------------------------------------------------------ LabelPrefixGPT


class LabelPrefixGPT(GenerativeClassifierMixin, _GPTMixin, BaseEstimator):
    """Generative text classifier: one GPT for all classes, the class as a prefix token.

    Each training text is the sequence ``<class k> text <eos>`` (class tokens
    are extra ids after the tokenizer's vocabulary), so one network learns
    p(x | y=k) for every k, and

        log p(x, y=k) = log p(y=k) + log p(x | <class k>)

    gives ``predict_proba`` by Bayes' rule and ``score_samples`` = log p(x).

    The class token conditions the first context window only: a text longer
    than ``context_length`` is scored (and trained) in sliding windows, and the
    windows after the first no longer see the class token. Evidence beyond the
    first window then cannot move the posterior; choose ``context_length`` at
    least as long as the texts (or use ``ClassConditional(CharGPT())``, one model
    per class, which has no such limit).

    Parameters
    ----------
    priors : array-like of shape (n_classes,) or None, default=None
        Class prior; None takes the training frequencies.
    tokenizer, tokenizer_path, context_length, n_layer, n_head, d_model, dropout
        As in :class:`CharGPT`.
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`).
    lr_schedule, warmup, precision
        The training recipe, as in :class:`CharGPT`.

    Attributes
    ----------
    classes_, class_prior_, class_count_ : ndarray of shape (n_classes,)
        The labels, their prior and the training texts per class.
    tokenizer_, config_, module_
        As in :class:`CharGPT`.

    Examples
    --------
    >>> clf = LabelPrefixGPT(context_length=16, n_layer=1, n_head=2, d_model=16, max_epochs=2,
    ...                      validation_fraction=0, random_state=0)
    >>> clf = clf.fit(["aaa", "aab", "bbb", "bba"], [0, 0, 1, 1])
    >>> clf.predict_proba(["aaa"]).sum().round(6)
    np.float64(1.0)
    """

    _gdlab_capabilities = frozenset({"classify", "density", "sample", "conditional_sample",
                                     "text"})

    def _capabilities(self) -> frozenset[str]:
        return _tokenized_density(self, super()._capabilities())

    def __init__(self, *, priors=None, tokenizer="char", tokenizer_path=None,
                 context_length=128, n_layer=2, n_head=4, d_model=128, dropout=0.1,
                 max_epochs=20, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=3, device="auto", random_state=None,
                 verbose=False, lr_schedule="constant", warmup=0.0, precision="32"):
        self.priors = priors
        self._set_net_params(locals())
        self._set_training_params(locals())
        self._set_params(locals(), RECIPE_PARAMS)

    @property
    def _extra_vocab(self):
        return len(self.classes_)

    def _validate_X_predict(self, X):
        return check_texts(self, X, allow_empty=True)

    def _class_token(self, k: int) -> int:
        return self.vocab_size_ + int(k)

    def fit(self, X, y):
        """Train the shared GPT on texts prefixed by their class token.

        Parameters
        ----------
        X : sequence of str
        y : array-like of shape (n_texts,)

        Returns
        -------
        self
        """
        texts = check_texts(self, X)
        y, classes, y_idx = check_labels(self, y, len(texts))
        priors = check_priors(self.priors, len(classes))
        self._check_net_params()
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)), priors)
        self._fit_tokenizer(texts)
        self._set_config()  # the class tokens: _extra_vocab
        seqs = [[self._class_token(k), *self.tokenizer_.encode(t), EOS_ID]
                for t, k in zip(texts, y_idx, strict=True)]
        x, t, _ = _windows_of(seqs, self.context_length)
        return self._train((torch.from_numpy(x), torch.from_numpy(t)), _lm_loss)

    def _log_likelihood(self, texts):
        """log p(text | y=k) under each class prefix; the mixin adds the log prior."""
        encoded = [self.tokenizer_.encode(t) for t in texts]
        K = len(self.classes_)
        seqs = [[self._class_token(k), *ids, EOS_ID] for ids in encoded for k in range(K)]
        return self._sequence_log_prob(seqs).reshape(len(texts), K)

    def sample(self, n_samples=None, y=None, random_state=None, *, prompt="", max_length=200,
               temperature=1.0, top_k=None):
        """Generate texts from p(x, y), or from p(x | y) when ``y`` is given.

        Parameters
        ----------
        n_samples : int, optional
            Defaults to 1, or to ``len(y)``.
        y : label or array-like of labels, optional
            Class of each text; None draws classes from ``class_prior_``.
        random_state : int, RandomState instance or None
        prompt, max_length, temperature, top_k
            As in :meth:`CharGPT.sample`.

        Returns
        -------
        X : list of str
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        prefixes = [self._check_prompt(prompt, self._class_token(k)) for k in y_idx]
        seed = int(rng.randint(0, 2**31 - 1))
        texts = self._generate(prompt, prefixes, seed, max_length, temperature, top_k)
        return texts, self.classes_[y_idx]

    def _conditional_draw(self, X, y_idx, rng):
        raise TypeError("LabelPrefixGPT draws texts, not numeric rows; use sample(n, y=...).")


# -------------------------------------------------------------------------- GPTClassifier


class GPTClassifier(ClassifierMixin, PretrainedBodyClassifierMixin, _GPTMixin, BaseEstimator):
    """Discriminative text classifier: a GPT body and a linear head on pooled hidden states.

    With ``pretrained`` (a fitted :class:`CharGPT`, or the path of one saved by
    :func:`gdlab.save`) the body starts from the language model's weights and
    its tokenizer and shape (generative pretraining), then everything is
    fine-tuned on p(y | x); without it the same network starts from scratch.
    Texts longer than the context are truncated to their first
    ``context_length - 1`` tokens (after ``<bos>``).

    Parameters
    ----------
    pretrained : CharGPT, str or None, default=None
        Fitted language model (kept by reference by ``clone``, used read-only)
        or path to a saved one. Its tokenizer, ``context_length``, ``n_layer``,
        ``n_head`` and ``d_model`` replace this estimator's.
    pretrain_epochs : int, default=0
        With ``pretrained=None`` and a positive value, ``fit`` first trains a
        :class:`CharGPT` (this estimator's tokenizer, shape and training
        settings, ``pretrain_epochs`` epochs) on *every* text of ``X``,
        including those labeled ``-1`` (unlabeled; then the capability
        ``semi_supervised`` holds), and fine-tunes from it on the labeled
        texts. 0 trains from scratch.
    pooling : {"mean", "last"}, default="mean"
        Average the hidden states of the text, or take the last token's.
    tokenizer, tokenizer_path, context_length, n_layer, n_head, d_model, dropout
        As in :class:`CharGPT` (shape of a from-scratch body).
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    tokenizer_, config_
        Tokenizer and :class:`GPTConfig` of the body.
    module_ : torch.nn.Module
        ``module_.body`` (a :class:`GPT`) and ``module_.classifier``.
    n_labelled_, n_unlabelled_ : int
        Texts fine-tuned on, and texts only pretrained on (``y = -1``).
    pretrain_history_ : list of dict
        Per-epoch losses of the in-``fit`` pretraining (``pretrain_epochs > 0``).

    Examples
    --------
    >>> clf = GPTClassifier(context_length=16, n_layer=1, n_head=2, d_model=16, max_epochs=2,
    ...                     validation_fraction=0, random_state=0)
    >>> clf = clf.fit(["aaa", "aab", "bbb", "bba"], [0, 0, 1, 1])
    >>> clf.predict_proba(["aaa", "bbb"]).shape
    (2, 2)
    """

    _gdlab_capabilities = frozenset({"classify", "text"})
    _pretrained_type = CharGPT
    _poolings = frozenset({"mean", "last"})

    def __init__(self, *, pretrained=None, pretrain_epochs=0, pooling="mean", tokenizer="char",
                 tokenizer_path=None, context_length=128, n_layer=2, n_head=4, d_model=128,
                 dropout=0.1, max_epochs=20, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=3, device="auto", random_state=None,
                 verbose=False):
        self._set_classifier_params(locals())

    def fit(self, X, y):
        """Fine-tune (or train from scratch) on labeled texts.

        Parameters
        ----------
        X : sequence of str
        y : array-like of shape (n_texts,)
            With ``pretrain_epochs > 0`` (and no ``pretrained``), ``-1``
            marks an unlabeled text: used for pretraining only.

        Returns
        -------
        self
        """
        return self._fit_texts(X, y)

    def _language_model(self, texts):
        """The fitted CharGPT the body starts from, or None; the settings checked first."""
        if self._self_pretrains():
            self._check_net_params()
            pre = self._pretrain(texts)
        else:
            pre = self._pretrained_model()
        if pre is None:
            self._check_net_params()
        else:  # the shape is the language model's
            check_fraction(self.dropout, "dropout")
            self._train_config()
        return pre
