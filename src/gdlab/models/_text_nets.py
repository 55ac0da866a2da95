"""What gdlab's neural text models share: input tags, classifier outputs, the transformer base.

:class:`TextInputMixin`
    The scikit-learn tags of an estimator that reads a sequence of texts
    (not a 2-D table, strings, no NaN), owned by :mod:`gdlab.base` (torch-free,
    so the tokenizers and the n-gram model use it too) and handed on here for
    the GPTs (:mod:`gdlab.models.gpt`), the encoders
    (:mod:`gdlab.models.encoder`) and the Hugging Face encoder classifier
    (:mod:`gdlab.models.hf`).
:class:`TextLogitClassifierMixin`
    The classifier methods of a network that maps texts to class logits,
    ``decision_function`` included: ``GPTClassifier``, ``BERTClassifier``,
    ``HFEncoderClassifier``.
:class:`SelfPretrainingMixin`
    The ``semi_supervised`` capability of those three, held while their
    ``fit`` pretrains a language model on every text.
:class:`TransformerTextMixin`
    gdlab's own small transformers over tokens (the GPTs and the BERT-style
    encoders): their settings (:data:`TEXT_NET_PARAMS`), checked before any
    work, the tokenizer fitted on the training texts, the network's
    :class:`~gdlab.nn.transformer.GPTConfig` and a classifier's input ids.
:class:`PretrainedBodyClassifierMixin`
    A classifier on such a transformer whose body may start from a fitted
    language model (``pretrained``): ``GPTClassifier`` from a ``CharGPT``,
    ``BERTClassifier`` from a ``MaskedLMEncoder``.

:func:`check_sampling` and :func:`top_k_filter` are the sampling settings'
check and the top-k cut of the generators (the GPTs, ``HFCausalLM``).
"""

from __future__ import annotations

import copy
import numbers
from dataclasses import asdict

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_in, check_int, check_positive
from gdlab._sequence_checks import check_texts
from gdlab._validation import check_labels, semi_supervised_class_indices
from gdlab.base import CapabilityMixin, TextInputMixin
from gdlab.models.semi_supervised import record_labelled_rows
from gdlab.nn import LogitClassifierMixin, TorchEstimatorMixin, cross_entropy_loss
from gdlab.nn.estimator import TRAINING_PARAMS
from gdlab.nn.transformer import GPTConfig, PooledClassifierNet
from gdlab.tokenizers import BOS_ID, N_SPECIAL, PAD_ID, make_tokenizer

__all__ = ["TextInputMixin", "TextLogitClassifierMixin", "SelfPretrainingMixin",
           "TransformerTextMixin", "PretrainedBodyClassifierMixin", "TEXT_NET_PARAMS",
           "PRETRAIN_PARAMS", "pretrains_itself", "text_class_indices", "check_sampling",
           "top_k_filter"]

#: Constructor parameters of a small transformer over tokens: the tokenizer and the network's
#: shape (:class:`~gdlab.nn.transformer.GPTConfig`).
TEXT_NET_PARAMS = ("tokenizer", "tokenizer_path", "context_length", "n_layer", "n_head",
                   "d_model", "dropout")

#: Constructor parameters a language model shares with the classifier built on it (which
#: pretrains it inside ``fit`` for its own ``pretrain_epochs``, not ``max_epochs``).
PRETRAIN_PARAMS = TEXT_NET_PARAMS + tuple(p for p in TRAINING_PARAMS if p != "max_epochs")


def pretrains_itself(pretrain_epochs, pretrained=None) -> bool:
    """Whether a text classifier's ``fit`` first pretrains a language model on every text.

    It does for a positive int ``pretrain_epochs`` (as ``check_int`` takes
    it: numpy ints too, bools never) without a ``pretrained`` model; then
    ``y = -1`` marks an unlabelled text and the capability
    ``semi_supervised`` holds.

    Examples
    --------
    >>> pretrains_itself(2), pretrains_itself(np.int64(2)), pretrains_itself(True)
    (True, True, False)
    >>> pretrains_itself(0), pretrains_itself(2, pretrained="lm.gdlab")
    (False, False)
    """
    return (isinstance(pretrain_epochs, numbers.Integral)
            and not isinstance(pretrain_epochs, bool)
            and pretrain_epochs > 0 and pretrained is None)


def text_class_indices(estimator, y, n_texts: int, *,
                       semi_supervised: bool) -> tuple[np.ndarray, np.ndarray]:
    """The classes of a text classifier's ``fit`` and each text's class index.

    The one check of the labels of ``GPTClassifier``, ``BERTClassifier`` and
    ``HFEncoderClassifier``. When the classifier pretrains on every text
    (``semi_supervised``), ``-1`` marks an unlabelled text
    (:func:`gdlab._validation.semi_supervised_class_indices`: at least one
    labelled text of each of two classes); otherwise ``-1`` is an ordinary
    class. The caller records the result with
    :func:`gdlab.models.semi_supervised.record_labelled_rows`.

    Parameters
    ----------
    estimator : estimator
        The classifier being fitted, named in error messages.
    y : array-like of shape (n_texts,)
        One label per text.
    n_texts : int
    semi_supervised : bool
        Whether ``-1`` marks an unlabelled text.

    Returns
    -------
    classes : ndarray of shape (n_classes,)
        Sorted.
    y_idx : ndarray of shape (n_texts,), int
        Index into ``classes`` of each text, ``-1`` for an unlabelled one.

    Raises
    ------
    ValueError
        ``y`` None, not 1-D, of another length than the texts, NaN or
        continuous; fewer than two classes (among the labelled texts).

    Examples
    --------
    >>> classes, y_idx = text_class_indices("model", [1, -1, 0], 3, semi_supervised=True)
    >>> classes.tolist(), y_idx.tolist()
    ([0, 1], [1, -1, 0])
    >>> classes, y_idx = text_class_indices("model", [1, -1, 0], 3, semi_supervised=False)
    >>> classes.tolist(), y_idx.tolist()
    ([-1, 0, 1], [2, 0, 1])
    """
    if not semi_supervised:
        _, classes, y_idx = check_labels(estimator, y, n_texts)
        return classes, y_idx
    y, _, _ = check_labels(estimator, y, n_texts, min_classes=1)  # shape, length, NaN
    return semi_supervised_class_indices(estimator, y)


def check_sampling(max_length, temperature, top_k, *, greedy: bool = False) -> None:
    """The settings of a text generator's ``sample``, checked before any token is drawn.

    ``max_length`` (new tokens) and ``top_k`` (None or an int) are ints >= 1;
    ``temperature`` is > 0, or >= 0 with ``greedy`` (0 then takes the most
    probable token).

    Examples
    --------
    >>> check_sampling(10, 0.0, None, greedy=True)
    >>> check_sampling(10, 0.0, None)
    Traceback (most recent call last):
        ...
    ValueError: temperature must be > 0, got 0.0.
    """
    check_int(max_length, "max_length")
    check_positive(temperature, "temperature", allow_zero=greedy)
    if top_k is not None:
        check_int(top_k, "top_k")


def top_k_filter(logits: torch.Tensor, top_k: int | None) -> torch.Tensor:
    """(n, V) next-token logits with all but the ``top_k`` largest of each row set to -inf.

    Ties with the ``top_k``-th largest are kept; None, or ``top_k >= V``,
    returns ``logits`` unchanged.

    Examples
    --------
    >>> top_k_filter(torch.tensor([[1.0, 3.0, 2.0]]), 2).tolist()
    [[-inf, 3.0, 2.0]]
    """
    if top_k is not None and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (n, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return logits


class TextLogitClassifierMixin(LogitClassifierMixin):
    """:class:`gdlab.nn.LogitClassifierMixin` plus ``decision_function``: the class logits.

    A text classifier's ``decision_function`` is its network's logits, one
    column per class, for two classes too. (It is not in
    :class:`~gdlab.nn.LogitClassifierMixin` itself: a binary classifier of
    tabular rows must give a 1-D ``decision_function`` to pass
    scikit-learn's estimator checks, which do not apply to texts.) The
    subclass supplies ``_logits(X)``.
    """

    def decision_function(self, X) -> np.ndarray:
        """Class logits of each text.

        Parameters
        ----------
        X : sequence of str

        Returns
        -------
        ndarray of shape (n_texts, n_classes)
        """
        return self._logits(X)


class SelfPretrainingMixin:
    """The capability ``semi_supervised`` of a text classifier whose ``fit`` may pretrain a
    language model on every text (``y = -1`` then marks an unlabelled one).

    The subclass supplies ``_self_pretrains()``: whether its settings ask for it.
    """

    def _capabilities(self) -> frozenset[str]:
        caps = frozenset(self._gdlab_capabilities)
        if self._self_pretrains():
            caps |= {"semi_supervised"}
        return caps


class TransformerTextMixin(TextInputMixin, CapabilityMixin, TorchEstimatorMixin):
    """Settings, tokenizer, network config and input ids of gdlab's small text transformers.

    A subclass stores :data:`TEXT_NET_PARAMS` with :meth:`_set_net_params`
    in ``__init__`` and supplies ``_build_module``.
    """

    #: Ids after the tokenizer's vocabulary (a GPT's class tokens, an encoder's ``[MASK]``).
    _extra_vocab = 0

    #: Fewest tokens per input (a GPT needs 2: a token and its successor).
    _min_context_length = 2

    #: Ids that close a text in a classifier's input, after its tokens.
    _closing_ids: tuple[int, ...] = ()

    def _set_net_params(self, settings: dict) -> None:
        """Store the :data:`TEXT_NET_PARAMS` of ``__init__``'s ``locals()``, unchanged."""
        self._set_params(settings, TEXT_NET_PARAMS)

    def _check_net_params(self) -> None:
        """The tokenizer, network shape and training settings, before any work."""
        check_in(self.tokenizer, "tokenizer", {"char", "byte", "hf"})
        GPTConfig(vocab_size=N_SPECIAL + 1, context_length=self.context_length,
                  n_layer=self.n_layer, n_head=self.n_head, d_model=self.d_model,
                  dropout=self.dropout)
        check_int(self.context_length, "context_length", minimum=self._min_context_length)
        self._train_config()

    def _fit_tokenizer(self, texts) -> None:
        self.tokenizer_ = make_tokenizer(self.tokenizer, self.tokenizer_path).fit(texts)
        self.vocab_size_ = int(self.tokenizer_.vocab_size)

    def _set_config(self) -> None:
        """``config_``: the network's :class:`GPTConfig` as a dict, the vocabulary being the
        tokenizer's and :attr:`_extra_vocab` more ids."""
        self.config_ = asdict(GPTConfig(
            vocab_size=int(self.vocab_size_ + self._extra_vocab),
            context_length=int(self.context_length), n_layer=int(self.n_layer),
            n_head=int(self.n_head), d_model=int(self.d_model), dropout=float(self.dropout)))

    def _inputs(self, texts) -> np.ndarray:
        """``<bos>`` (an encoder's ``[CLS]``), the tokens and :attr:`_closing_ids` of each
        text, cut to the context and right-padded: (n, T) int64 ids."""
        T = self.config_["context_length"]
        x = np.full((len(texts), T), PAD_ID, dtype=np.int64)
        for i, t in enumerate(texts):
            ids = [BOS_ID, *self.tokenizer_.encode(t), *self._closing_ids][:T]
            x[i, : len(ids)] = ids
        return x


class PretrainedBodyClassifierMixin(SelfPretrainingMixin, TextLogitClassifierMixin,
                                    TransformerTextMixin):
    """A pooled linear head on a text transformer whose body may come from a language model.

    Mixed in before the family's own mixin by ``GPTClassifier`` and
    ``BERTClassifier``. ``module_`` is a
    :class:`~gdlab.nn.transformer.PooledClassifierNet`; with ``pretrained``
    (a fitted :attr:`_pretrained_type`, or the path of one saved by
    :func:`gdlab.save`) its body starts from that model's weights, tokenizer
    and shape. The subclass's ``fit`` is :meth:`_fit_texts`, which validates
    the texts, ``pooling``, ``pretrain_epochs`` and the labels, asks the
    subclass's ``_language_model(texts)`` for the body's start (the fitted
    ``pretrained``, one :meth:`_pretrain` fits, or None; the subclass checks
    its other settings there) and ends in :meth:`_fit_classifier`.
    """

    #: The language model ``pretrained`` must be (set by the subclass).
    _pretrained_type: type

    #: The values ``pooling`` may take (set by the subclass).
    _poolings: frozenset[str]

    #: Settings the language model pretrained inside ``fit`` takes from the classifier.
    _pretrain_params: tuple[str, ...] = PRETRAIN_PARAMS

    #: Whether the body's attention is causal (a GPT) or bidirectional (an encoder).
    _causal = True

    def _set_classifier_params(self, settings: dict) -> None:
        """Store ``pretrained``, ``pretrain_epochs``, ``pooling``, the :data:`TEXT_NET_PARAMS`
        and the training settings of ``__init__``'s ``locals()``, unchanged."""
        self._set_params(settings, ("pretrained", "pretrain_epochs", "pooling"))
        self._set_net_params(settings)
        self._set_training_params(settings)

    def _self_pretrains(self) -> bool:
        return pretrains_itself(self.pretrain_epochs, self.pretrained)

    def __sklearn_clone__(self):
        """Clone the settings but keep ``pretrained`` itself (a fitted model, read-only)."""
        params = self.get_params(deep=False)
        pretrained = params.pop("pretrained")
        return type(self)(pretrained=pretrained,
                          **{k: clone(v, safe=False) for k, v in params.items()})

    def _pretrained_model(self):
        """The fitted language model ``pretrained`` names (loaded from a path), or None."""
        pre = self.pretrained
        if pre is None:
            return None
        if isinstance(pre, str) or hasattr(pre, "__fspath__"):
            from gdlab.persistence import load

            pre = load(pre)
        if not isinstance(pre, self._pretrained_type):
            raise TypeError(f"pretrained must be a fitted {self._pretrained_type.__name__} or "
                            f"the path of one saved by gdlab.save, got {type(pre).__name__}.")
        check_is_fitted(pre, "module_")
        return pre

    def _pretrain(self, texts):
        """Fit a :attr:`_pretrained_type` on every text (this classifier's
        :attr:`_pretrain_params`, ``pretrain_epochs`` epochs); keep its history."""
        lm = self._pretrained_type(**{p: getattr(self, p) for p in self._pretrain_params},
                                   max_epochs=self.pretrain_epochs).fit(texts)
        self.pretrain_history_ = lm.history_
        return lm

    def _check_pretrain_epochs(self) -> None:
        """``pretrain_epochs``: an int >= 0."""
        check_int(self.pretrain_epochs, "pretrain_epochs", minimum=0)

    def _fit_texts(self, X, y):
        """The classifier's ``fit``: checks, the body's start, then :meth:`_fit_classifier`."""
        texts = check_texts(self, X)
        check_in(self.pooling, "pooling", self._poolings)
        self._check_pretrain_epochs()
        classes, y_idx = text_class_indices(self, y, len(texts),
                                            semi_supervised=self._self_pretrains())
        pre = self._language_model(texts)
        labelled = record_labelled_rows(self, classes, y_idx)
        texts = [t for t, keep in zip(texts, labelled, strict=True) if keep]
        return self._fit_classifier(texts, y_idx[labelled], pre)

    def _build_module(self):
        """The classifier network (a pretrained body is loaded by ``_train``'s ``init_state``)."""
        return PooledClassifierNet(GPTConfig(**self.config_), len(self.classes_), self.pooling,
                                   causal=self._causal)

    def _fit_classifier(self, texts, y_idx, pre):
        """Set up the body, then train body and head on p(y | x).

        Parameters
        ----------
        texts : list of str
            The labelled training texts.
        y_idx : ndarray of int of shape (n_texts,)
            Their class indices into ``classes_``.
        pre : fitted language model or None
            Its tokenizer, vocabulary, shape and weights start the body (with
            this estimator's ``dropout``); None fits a tokenizer on ``texts``
            and starts from scratch.

        Returns
        -------
        self
        """
        if pre is None:
            self._fit_tokenizer(texts)
            self._set_config()
        else:
            self.tokenizer_ = copy.deepcopy(pre.tokenizer_)
            self.vocab_size_ = int(pre.vocab_size_)
            self.config_ = dict(pre.config_, dropout=float(self.dropout))
        x = torch.from_numpy(self._inputs(texts))
        target = torch.from_numpy(y_idx.astype(np.int64))
        init = None if pre is None else {"body": pre.module_.state_dict()}
        return self._train((x, target), cross_entropy_loss, init_state=init)

    def _logits(self, X) -> np.ndarray:
        """Float64 class logits of validated texts (cut to the context)."""
        check_is_fitted(self, "module_")
        return self._batched(self.module_, self._inputs(check_texts(self, X, allow_empty=True)))
