"""A small BERT-style encoder: masked-language-model pretraining, then a [CLS] classifier.

The encoder counterpart of :mod:`gdlab.models.gpt`. Both estimators share one
network, :class:`gdlab.nn.transformer.BidirectionalEncoder` (the GPT's
embeddings, pre-norm blocks and tied head, with bidirectional attention over
the non-padding tokens), the GPT's tokenizers (characters, UTF-8 bytes or a
local Hugging Face tokenizer) and gdlab's one training loop:

:class:`MaskedLMEncoder`
    Generative pretraining on unlabelled texts: BERT's masked-language-model
    objective (Devlin et al. 2019) with the masks of :mod:`gdlab.nn.masking`:
    each epoch a fresh ``mask_prob`` of the text tokens is chosen; of those,
    80% become ``[MASK]``, 10% a random text token and 10% stay, and the
    network predicts the original tokens there.
    It is not a density over texts (no ``density`` tag): ``mlm_loss`` reports
    the objective on held-out texts, ``embed`` gives the ``[CLS]`` states.
:class:`BERTClassifier`
    A linear head on the ``[CLS]`` hidden state (or the mean of the hidden
    states), trained on p(y | x). With ``pretrained`` (a fitted
    :class:`MaskedLMEncoder`) or ``pretrain_epochs > 0`` (pretraining inside
    ``fit`` on every text, ``y = -1`` marking the unlabelled ones) the body
    starts from the masked language model's weights, handed over as
    :class:`gdlab.nn.TorchEstimatorMixin._train`'s ``init_state`` exactly as
    ``GPTClassifier`` takes a ``CharGPT``'s.

Texts
-----
A text is the sequence ``[CLS] t_1 ... t_m <eos>``, where ``[CLS]`` is the
tokenizers' ``<bos>`` (id 1), right-padded with ``<pad>`` to
``context_length``. ``[MASK]`` is one extra id after the tokenizer's
vocabulary. The classifier reads the first ``context_length - 1`` tokens of a
longer text (``<eos>`` then falls off); pretraining covers all of a long text,
cut into consecutive pieces of ``context_length - 2`` tokens, each wrapped in
``[CLS]`` and ``<eos>``.

Examples
--------
>>> texts = ["the cat sat", "the dog ran", "der Hund lief", "die Katze sass"] * 3
>>> small = dict(context_length=24, n_layer=1, n_head=2, d_model=16, max_epochs=3,
...              validation_fraction=0, random_state=0)
>>> mlm = MaskedLMEncoder(**small).fit(texts)
>>> clf = BERTClassifier(pretrained=mlm, **small).fit(texts, ["en", "en", "de", "de"] * 3)
>>> clf.predict_proba(["die Katze"]).shape
(1, 2)
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch.nn import functional as F

from gdlab._param_checks import check_fraction
from gdlab._sequence_checks import check_texts
from gdlab.models._text_nets import (
    PRETRAIN_PARAMS,
    PretrainedBodyClassifierMixin,
    TransformerTextMixin,
)
from gdlab.nn.masking import mask_tokens, masked_lm_losses
from gdlab.nn.transformer import IGNORE, BidirectionalEncoder, GPTConfig
from gdlab.tokenizers import BOS_ID, EOS_ID, N_SPECIAL, PAD_ID

__all__ = ["MaskedLMEncoder", "BERTClassifier", "mask_text_tokens", "CLS_ID"]

#: The ``[CLS]`` token: the tokenizers' ``<bos>``, always at position 0.
CLS_ID = BOS_ID

#: Constructor parameters a masked language model shares with the classifier built on it.
_MLM_PARAMS = (*PRETRAIN_PARAMS, "mask_prob")


# ----------------------------------------------------------------------------- masking


def mask_text_tokens(ids: torch.Tensor, mask_id: int, mask_prob: float,
                     generator: torch.Generator | None = None):
    """BERT's masking (:func:`gdlab.nn.masking.mask_tokens`) of the text tokens of a batch.

    Text tokens are the ids from ``N_SPECIAL`` up to ``mask_id``: ``<pad>``,
    ``[CLS]``, ``<eos>`` and ``<unk>`` are never chosen, and a random
    replacement is a text token.

    Parameters
    ----------
    ids : torch.Tensor of shape (B, T), int64
        Inputs as the encoders build them (no ``[MASK]`` yet).
    mask_id : int
        The ``[MASK]`` id (one past the tokenizer's vocabulary).
    mask_prob : float in (0, 1)
    generator : torch.Generator, optional
        Source of the draws (on ``ids``' device); None uses torch's global
        state (the Trainer's seeded state inside a loss function).

    Returns
    -------
    inputs, targets : torch.Tensor of shape (B, T)
        As :func:`gdlab.nn.masking.mask_tokens` returns them.

    Examples
    --------
    >>> ids = torch.tensor([[1, 4, 5, 6, 2, 0]])
    >>> gen = torch.Generator().manual_seed(0)
    >>> x, t = mask_text_tokens(ids, mask_id=7, mask_prob=0.5, generator=gen)
    >>> bool(((t == IGNORE) | (t == ids)).all()), int((t != IGNORE).sum()) >= 1
    (True, True)
    >>> bool((x[t == IGNORE] == ids[t == IGNORE]).all())  # what is not chosen stays
    True
    """
    maskable = (ids >= N_SPECIAL) & (ids < mask_id)  # (B, T)
    return mask_tokens(ids, maskable, mask_id=mask_id, vocab_size=mask_id, rate=mask_prob,
                       random_low=N_SPECIAL, generator=generator)


# ----------------------------------------------------------------- shared estimator code


class _EncoderMixin(TransformerTextMixin):
    """The [MASK] id and [CLS] states shared by the two encoders (settings, tokenizer, config
    and inputs ``[CLS] tokens <eos>``: :class:`~gdlab.models._text_nets.TransformerTextMixin`)."""

    _extra_vocab = 1  # [MASK]
    _min_context_length = 3  # [CLS], a token, <eos>
    _closing_ids = (EOS_ID,)

    def _check_net_params(self):
        """The tokenizer (with its path), network shape and training settings, before any work."""
        if self.tokenizer == "hf" and self.tokenizer_path is None:
            raise ValueError("tokenizer='hf' needs tokenizer_path (a tokenizer.json file or a "
                             "local tokenizer directory), got None.")
        super()._check_net_params()

    @property
    def mask_id_(self) -> int:
        """int: the ``[MASK]`` id, one past the tokenizer's vocabulary."""
        return int(self.vocab_size_)

    def _encoder(self) -> BidirectionalEncoder:
        """The fitted encoder (``module_``, or a classifier's body)."""
        return self.module_

    def _cls_states(self, X) -> np.ndarray:
        """(n_texts, d_model) ``[CLS]`` hidden states of texts (cut to the context)."""
        check_is_fitted(self, "module_")
        x = self._inputs(check_texts(self, X, allow_empty=True))
        hidden = self._encoder().hidden

        def fn(xb):
            return hidden(xb)[:, 0]  # (B, C)

        return self._batched(fn, x)


# ---------------------------------------------------------------------- MaskedLMEncoder


class MaskedLMEncoder(_EncoderMixin, BaseEstimator):
    """BERT-style encoder pretrained with the masked-language-model objective.

    Parameters
    ----------
    tokenizer : {"char", "byte", "hf"}, default="char"
        As in :class:`gdlab.models.gpt.CharGPT`.
    tokenizer_path : str or None, default=None
        tokenizer.json file or local tokenizer directory (``tokenizer="hf"``).
    context_length : int >= 3, default=128
        Tokens per input, ``[CLS]`` and ``<eos>`` included; longer texts are
        cut into several inputs (module docstring).
    n_layer, n_head, d_model, dropout
        Shape of the :class:`~gdlab.nn.transformer.BidirectionalEncoder`
        (see :class:`~gdlab.nn.transformer.GPTConfig`).
    mask_prob : float in (0, 1), default=0.15
        Fraction of the text tokens predicted per input (drawn afresh every
        epoch; at least one per input).
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`); ``batch_size``
        counts inputs. The validation loss uses the same masks every epoch.

    Attributes
    ----------
    tokenizer_ : CharTokenizer, ByteTokenizer or HFTokenizer
    vocab_size_ : int
        The tokenizer's vocabulary; ``[MASK]`` is id ``vocab_size_``.
    config_ : dict
        The :class:`GPTConfig` of ``module_`` (vocabulary ``vocab_size_ + 1``).
    module_ : BidirectionalEncoder
    history_, n_epochs_, best_epoch_, device_
        From the training run (``train_loss``: mean cross-entropy per masked token).

    Examples
    --------
    >>> mlm = MaskedLMEncoder(context_length=16, n_layer=1, n_head=2, d_model=16, max_epochs=2,
    ...                       validation_fraction=0, random_state=0).fit(["abc", "abd", "abc"])
    >>> mlm.embed(["abc", "zz"]).shape
    (2, 16)
    """

    _gdlab_capabilities = frozenset({"text"})

    def __init__(self, *, tokenizer="char", tokenizer_path=None, context_length=128, n_layer=2,
                 n_head=4, d_model=128, dropout=0.1, mask_prob=0.15, max_epochs=20,
                 batch_size=64, lr=1e-3, weight_decay=0.0, validation_fraction=0.1, patience=3,
                 device="auto", random_state=None, verbose=False):
        self._set_net_params(locals())
        self.mask_prob = mask_prob
        self._set_training_params(locals())

    def _check_params(self):
        self._check_net_params()
        check_fraction(self.mask_prob, "mask_prob", allow_zero=False)

    def _build_module(self):
        return BidirectionalEncoder(GPTConfig(**self.config_))

    def _pieces(self, texts) -> np.ndarray:
        """Every text cut into ``[CLS] piece <eos>`` inputs of at most ``context_length`` ids."""
        T = self.config_["context_length"]
        width = T - 2
        rows = []
        for t in texts:
            ids = self.tokenizer_.encode(t)
            for start in range(0, max(len(ids), 1), width):
                piece = [CLS_ID, *ids[start:start + width], EOS_ID]
                rows.append(piece + [PAD_ID] * (T - len(piece)))
        return np.asarray(rows, dtype=np.int64).reshape(-1, T)

    def _mlm_losses(self):
        """Training and validation losses (:func:`gdlab.nn.masking.masked_lm_losses`)."""
        mask_id, p = self.mask_id_, float(self.mask_prob)
        return masked_lm_losses(
            lambda batch, gen: mask_text_tokens(batch[0], mask_id, p, generator=gen),
            lambda module, inputs, batch: module(inputs)[0])

    def fit(self, X, y=None):
        """Pretrain the encoder on texts with the masked-language-model objective.

        Parameters
        ----------
        X : sequence of str
            Non-empty texts (a list, 1-D array, Series or one-column DataFrame).
        y : ignored
            Labels are not used (``-1`` or anything else).

        Returns
        -------
        self
        """
        texts = check_texts(self, X)
        self._check_params()
        self._fit_tokenizer(texts)
        self._set_config()
        x = torch.from_numpy(self._pieces(texts))
        loss, eval_loss = self._mlm_losses()
        return self._train((x,), loss, eval_loss=eval_loss)

    def mlm_loss(self, X, random_state=0) -> float:
        """Mean cross-entropy (nats) per masked token of texts: the pretraining objective.

        Parameters
        ----------
        X : sequence of str
            Non-empty texts.
        random_state : int, RandomState instance or None, default=0
            Seeds which tokens are masked (the same seed, the same masks).

        Returns
        -------
        float
            Compare with ``log(vocab_size_ - 4)``, the loss of guessing
            uniformly among the text tokens.
        """
        check_is_fitted(self, "module_")
        texts = check_texts(self, X)
        x = self._tensor(self._pieces(texts), dtype=torch.long)
        gen = self._generator(random_state, device=x.device)
        inputs, targets = mask_text_tokens(x, self.mask_id_, float(self.mask_prob),
                                           generator=gen)

        def summed(xb, tb):
            logits, _ = self.module_(xb)  # (B, T, V)
            return F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), tb.reshape(-1),
                                   ignore_index=IGNORE, reduction="sum").reshape(1)

        total = self._batched(summed, inputs, targets).sum()
        return float(total / int((targets != IGNORE).sum()))

    def score(self, X, y=None) -> float:
        """Minus :meth:`mlm_loss` (higher is better), with masks seeded by 0."""
        return -self.mlm_loss(X)

    def embed(self, X) -> np.ndarray:
        """The ``[CLS]`` hidden state of each text (after the last layer norm).

        Parameters
        ----------
        X : sequence of str
            Texts (empty ones allowed); longer ones are cut to the context.

        Returns
        -------
        ndarray of shape (n_texts, d_model)
        """
        return self._cls_states(X)


# ------------------------------------------------------------------------ BERTClassifier


class BERTClassifier(ClassifierMixin, PretrainedBodyClassifierMixin, _EncoderMixin,
                     BaseEstimator):
    """Discriminative text classifier: a bidirectional encoder and a linear head on [CLS].

    With ``pretrained`` (a fitted :class:`MaskedLMEncoder`, or the path of one
    saved by :func:`gdlab.save`) the body starts from the masked language
    model's weights, tokenizer and shape (generative pretraining), then
    everything is fine-tuned on p(y | x). With ``pretrain_epochs > 0`` (and
    no ``pretrained``) ``fit`` first trains that masked language model itself
    on every text of ``X``, those labelled ``-1`` included. Otherwise the same
    network starts from scratch.

    Parameters
    ----------
    pretrained : MaskedLMEncoder, str or None, default=None
        Fitted masked language model (kept by reference by ``clone``, used
        read-only) or path to a saved one. Its tokenizer, ``context_length``,
        ``n_layer``, ``n_head`` and ``d_model`` replace this estimator's.
    pretrain_epochs : int >= 0, default=0
        With ``pretrained=None`` and a positive value, ``fit`` first trains a
        :class:`MaskedLMEncoder` (this estimator's tokenizer, shape,
        ``mask_prob`` and training settings, ``pretrain_epochs`` epochs) on
        every text of ``X``, including those labelled ``-1`` (unlabelled; the
        capability ``semi_supervised`` then holds), and fine-tunes from it on
        the labelled texts. 0 trains from scratch.
    pooling : {"cls", "mean"}, default="cls"
        The ``[CLS]`` hidden state, or the mean of the text's hidden states.
    mask_prob : float in (0, 1), default=0.15
        Of the in-``fit`` pretraining (:class:`MaskedLMEncoder`).
    tokenizer, tokenizer_path, context_length, n_layer, n_head, d_model, dropout
        As in :class:`MaskedLMEncoder` (shape of a from-scratch body).
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`) of the fine-tuning
        (and of the in-``fit`` pretraining, but for ``max_epochs``).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    tokenizer_, vocab_size_, config_
        Tokenizer and :class:`GPTConfig` of the body (``[MASK]`` included in
        its vocabulary, so a scratch body has a pretrained one's shape).
    module_ : PooledClassifierNet
        ``module_.body`` (a :class:`BidirectionalEncoder`) and ``module_.classifier``.
    n_labelled_, n_unlabelled_ : int
        Texts fine-tuned on, and texts only pretrained on (``y = -1``).
    pretrain_history_ : list of dict
        Per-epoch losses of the in-``fit`` pretraining (``pretrain_epochs > 0``).

    Examples
    --------
    >>> clf = BERTClassifier(context_length=16, n_layer=1, n_head=2, d_model=16, max_epochs=2,
    ...                      validation_fraction=0, random_state=0)
    >>> clf = clf.fit(["aaa", "aab", "bbb", "bba"], [0, 0, 1, 1])
    >>> clf.predict_proba(["aaa", "bbb"]).shape
    (2, 2)
    """

    _gdlab_capabilities = frozenset({"classify", "text"})
    _pretrained_type = MaskedLMEncoder
    _poolings = frozenset({"cls", "mean"})
    _pretrain_params = _MLM_PARAMS
    _causal = False

    def __init__(self, *, pretrained=None, pretrain_epochs=0, pooling="cls", mask_prob=0.15,
                 tokenizer="char", tokenizer_path=None, context_length=128, n_layer=2, n_head=4,
                 d_model=128, dropout=0.1, max_epochs=20, batch_size=64, lr=1e-3,
                 weight_decay=0.0, validation_fraction=0.1, patience=3, device="auto",
                 random_state=None, verbose=False):
        self.mask_prob = mask_prob
        self._set_classifier_params(locals())

    def fit(self, X, y):
        """Fine-tune (or train from scratch) on labelled texts.

        Parameters
        ----------
        X : sequence of str
            Non-empty texts.
        y : array-like of shape (n_texts,)
            With ``pretrain_epochs > 0`` (and no ``pretrained``), ``-1``
            marks an unlabelled text: used for pretraining only.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Empty texts, labels of the wrong length, fewer than two classes
            among the labelled texts (every ``y`` -1 included), bad settings:
            all before any training.
        TypeError
            ``pretrained`` that is not a :class:`MaskedLMEncoder`.
        """
        return self._fit_texts(X, y)

    def _check_pretrain_epochs(self) -> None:
        if isinstance(self.pretrain_epochs, bool):
            raise TypeError("pretrain_epochs must be an int, got bool.")
        super()._check_pretrain_epochs()

    def _language_model(self, texts):
        """The fitted MaskedLMEncoder the body starts from, or None; the settings checked first
        (the in-``fit`` one's all fail in its ``fit``, before any training)."""
        check_fraction(self.dropout, "dropout")
        self._train_config()
        if self._self_pretrains():
            return self._pretrain(texts)
        mlm = self._pretrained_model()
        if mlm is None:  # from scratch
            self._check_net_params()
        return mlm

    def embed(self, X) -> np.ndarray:
        """The ``[CLS]`` hidden state of each text under the fine-tuned body.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, d_model)
        """
        return self._cls_states(X)

    def _encoder(self) -> BidirectionalEncoder:
        return self.module_.body
