"""Pretrained Hugging Face checkpoints: causal LMs as densities and classifiers; encoders, tuned.

Optional extra ``gdlab[llm]`` (``transformers`` and ``tokenizers``): nothing
here downloads anything. A checkpoint is a *local directory* holding a model
and its tokenizer, as written by ``model.save_pretrained(path)`` and
``tokenizer.save_pretrained(path)``, read with ``local_files_only=True`` and
``trust_remote_code=False``. Its config is checked before any weights are
read: a causal LM goes to the first two wrappers, an encoder (a masked-LM
model type: BERT, RoBERTa, DistilBERT, ...) to the third, and a directory
without tokenizer files is refused (transformers would build an empty
tokenizer from it without a word).

- :class:`HFCausalLM`: the checkpoint as a text density and generator:
  ``score_samples(texts)`` is log p(text), ``sample(n)`` draws texts.
- :class:`HFGenerativeClassifier`: the checkpoint as a generative classifier
  by label-conditioned likelihood, ``log p(x, y=k) = log p(y=k) +
  log p(x | template.format(label=name_k))``, and Bayes' rule.
- :class:`HFEncoderClassifier`: an encoder checkpoint fine-tuned on p(y | x)
  by gdlab's one training loop, optionally after continued masked-LM
  pretraining on the texts (unlabelled ones included).

The causal language models are frozen: ``fit`` loads them (and, for the
classifier, estimates the class prior); fine-tuning them is out of scope here.

Opening, checking and loading checkpoints, and scoring and sampling a loaded
causal LM, live in :mod:`gdlab.models._hf_checkpoints`; this module holds the
estimators.

How texts are scored
--------------------
A text is tokenized on its own (``add_special_tokens=False``); the model
reads a start token (the tokenizer's BOS token, else its EOS token, as GPT-2
does), then the prompt's tokens (tokenized separately, for the classifier's
template), then the text's tokens, and finally predicts an EOS token (with
``score_eos=True``). log p(text) is the sum of the log-probabilities of the
text's tokens and of that EOS. With the EOS, this is the probability of the
whole string rather than of a prefix, and it sums to at most one over all
strings. It is the probability of the tokenizer's own (canonical)
tokenization of the text; other tokenizations of the same string are not
added, so strictly it is a lower bound on the string's probability (the
standard convention for language-model likelihoods).
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import (
    check_bool,
    check_fraction,
    check_in,
    check_int,
    check_n_samples,
    check_priors,
)
from gdlab._sequence_checks import check_texts
from gdlab._validation import check_labels, check_random_state
from gdlab.base import CapabilityMixin, GenerativeClassifierMixin, TextInputMixin
from gdlab.models._hf_checkpoints import (
    EncoderNet,
    check_path_type,
    check_unchanged,
    checkpoint_fingerprint,
    from_config,
    generate,
    load_causal_lm,
    log_likelihoods,
    open_checkpoint,
    seeded_pretrained,
    usable_positions,
)
from gdlab.models._text_nets import (
    SelfPretrainingMixin,
    TextLogitClassifierMixin,
    check_sampling,
    pretrains_itself,
    text_class_indices,
)
from gdlab.models.semi_supervised import record_labelled_rows
from gdlab.nn import TorchEstimatorMixin, cross_entropy_loss
from gdlab.nn.estimator import TRAINING_PARAMS
from gdlab.nn.masking import mask_tokens, masked_lm_losses

__all__ = ["HFCausalLM", "HFGenerativeClassifier", "HFEncoderClassifier"]

_DTYPES = ("float32", "bfloat16", "float16")


def _check_common(est) -> None:
    check_path_type(est)
    check_in(est.dtype, "dtype", _DTYPES)
    check_int(est.batch_size, "batch_size")
    check_bool(est.score_eos, "score_eos")


class _FrozenLMMixin:
    """What the two frozen causal-LM estimators share past ``fit``: their tags and persistence.

    Without the closing EOS (``score_eos=False``) a score is a prefix
    probability, so ``density_bound`` is dropped. The weights stay in
    ``path``: :func:`gdlab.save` stores the settings only, and a loaded model
    reloads the (unchanged) checkpoint.
    """

    def _capabilities(self) -> frozenset[str]:
        caps = super()._capabilities()
        return caps if self.score_eos else caps - {"density_bound"}

    def _gdlab_tensors_(self) -> dict[str, torch.Tensor]:
        return {}

    def _gdlab_load_tensors_(self, tensors) -> None:
        check_unchanged(self)
        self.lm_ = load_causal_lm(self)


class HFCausalLM(_FrozenLMMixin, CapabilityMixin, BaseEstimator):
    """A local Hugging Face causal language model as a text density and generator.

    Parameters
    ----------
    path : str or Path
        Local directory with the model and its tokenizer (``save_pretrained``
        output). Loaded with ``local_files_only=True``: nothing is downloaded.
    device : str, default="auto"
        ``"auto"`` takes CUDA when available (see :func:`gdlab.nn.resolve_device`).
    dtype : {"float32", "bfloat16", "float16"}, default="float32"
        Weights' dtype after loading; log-probabilities are always summed in float64.
    batch_size : int, default=16
        Texts per forward pass when scoring.
    score_eos : bool, default=True
        Add log p(EOS | text) so that ``score_samples`` is the log-probability
        of the whole string, not of a prefix (module docstring).

    Attributes
    ----------
    lm_ : torch.nn.Module
        The frozen model with its tokenizer.
    device_ : str
    checkpoint_fingerprint_ : str
        Hash of the checkpoint's file names and sizes and its config; a model
        read by :func:`gdlab.load` reloads ``path`` and refuses a changed one.

    Notes
    -----
    Capabilities: ``density_bound`` (log p(text) of the tokenizer's own
    tokenization, a lower bound on the string's probability; none with
    ``score_eos=False``, a prefix probability), ``sample`` and ``text``.
    ``fit`` does not train: it loads the checkpoint. :func:`gdlab.save` stores
    the settings, not the weights; the saved file needs the same checkpoint
    directory when loaded.
    """

    # log p of the canonical tokenization: a lower bound on log p(string) (module docstring)
    _gdlab_capabilities = frozenset({"density_bound", "sample", "text"})

    def __init__(self, path=None, *, device="auto", dtype="float32", batch_size=16,
                 score_eos=True):
        self.path = path
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.score_eos = score_eos

    def fit(self, X=None, y=None):
        """Load the checkpoint (the model is frozen; nothing is trained).

        Parameters
        ----------
        X : list of str, optional
            Not used: accepted so that the model fits in pipelines. A
            pretrained density fitted "on" different texts is the same model.
        y : ignored

        Returns
        -------
        self

        Raises
        ------
        ValueError
            ``path`` is not a directory or holds no loadable model/tokenizer.
        ImportError
            transformers is not installed (``pip install 'gdlab[llm]'``).
        """
        _check_common(self)
        if X is not None:
            check_texts(self, X, allow_empty=True)
        self.lm_ = load_causal_lm(self)
        return self

    def score_samples(self, X) -> np.ndarray:
        """log p(text) of each text, in nats.

        Parameters
        ----------
        X : list of str
            Empty strings are allowed (log p(EOS | start)).

        Returns
        -------
        ndarray of shape (n_texts,)
        """
        check_is_fitted(self, "lm_")
        texts = check_texts(self, X, allow_empty=True)
        return log_likelihoods(self.lm_, texts, [""] * len(texts), score_eos=self.score_eos,
                               batch_size=int(self.batch_size))

    def score(self, X, y=None) -> float:
        """Mean log p(text) over the texts (higher is better)."""
        return float(np.mean(self.score_samples(X)))

    def sample(self, n_samples=1, random_state=None, *, prompt="", max_length=50,
               temperature=1.0, top_k=None) -> list[str]:
        """Draw texts from the model (ancestral sampling), seeded.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState or None
            The same int gives the same texts.
        prompt : str, default=""
            Text the samples continue; it is not part of the returned texts.
        max_length : int, default=50
            Most new tokens per text (a text ends earlier at EOS).
        temperature : float > 0, default=1.0
        top_k : int, optional
            Sample among the ``top_k`` most probable tokens only.

        Returns
        -------
        list of str
        """
        check_is_fitted(self, "lm_")
        n = check_n_samples(n_samples)
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str, got {type(prompt).__name__}.")
        check_sampling(max_length, temperature, top_k)
        seed = TorchEstimatorMixin._seed_from(random_state)
        return generate(self.lm_, n, prompt, max_length=int(max_length),
                        temperature=float(temperature), top_k=top_k, seed=seed)


class HFGenerativeClassifier(_FrozenLMMixin, GenerativeClassifierMixin, BaseEstimator):
    """Generative text classifier from a frozen causal LM: label-conditioned likelihood.

    ``log p(x, y=k) = log p(y=k) + log p(x | template.format(label=name_k))``,
    where p(x | prompt) is the language model's probability of the text after
    the prompt (scored as described in the module docstring) and p(y=k) the
    class frequencies of ``fit`` (or ``priors``). Prediction is Bayes' rule.
    Zero-shot when the prior is uniform; ``fit`` only estimates the prior.

    Parameters
    ----------
    path : str or Path
        Local checkpoint directory (see :class:`HFCausalLM`).
    label_names : dict or sequence of str, optional
        The words the template puts in for each class: a dict label -> name,
        or names in the order of the sorted classes. Default ``str(label)``.
    template : str, default="{label}: "
        Prompt before each text; must contain ``{label}``.
    priors : array-like of shape (n_classes,), optional
        Class prior; default the class frequencies of ``y``.
    device, dtype, batch_size, score_eos
        As in :class:`HFCausalLM`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    prompts_ : list of str
        The prompt of each class.
    lm_, device_, checkpoint_fingerprint_
        As in :class:`HFCausalLM`.

    Notes
    -----
    Capabilities: ``classify``, ``density_bound`` (``score_samples`` is
    logsumexp_k log p(x, y=k) over the canonical tokenization, a lower bound;
    dropped with ``score_eos=False``), ``sample`` and ``conditional_sample`` (texts
    continue the class prompt) and ``text``. No missing features.
    """

    _gdlab_capabilities = frozenset({"classify", "density_bound", "sample",
                                     "conditional_sample", "text"})

    def __init__(self, path=None, *, label_names=None, template="{label}: ", priors=None,
                 device="auto", dtype="float32", batch_size=16, score_eos=True):
        self.path = path
        self.label_names = label_names
        self.template = template
        self.priors = priors
        self.device = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.score_eos = score_eos

    def _prompts(self, classes) -> list[str]:
        if not isinstance(self.template, str) or "{label}" not in self.template:
            raise ValueError(f"template must be a str containing '{{label}}', got "
                             f"{self.template!r}.")
        names = self.label_names
        if names is None:
            names = [str(c) for c in classes]
        elif isinstance(names, dict):
            missing = [c for c in classes.tolist() if c not in names]
            if missing:
                raise ValueError(f"label_names has no name for classes {missing!r}.")
            names = [names[c] for c in classes.tolist()]
        elif isinstance(names, str) or not hasattr(names, "__len__"):
            raise TypeError(f"label_names must be a dict or a sequence of str, got "
                            f"{type(names).__name__}.")
        elif len(names) != len(classes):
            raise ValueError(f"label_names has {len(names)} names but there are {len(classes)} "
                             f"classes {classes.tolist()!r}.")
        names = list(names)
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"label_names must be str, got {names!r}.")
        try:
            return [self.template.format(label=n) for n in names]
        except (KeyError, IndexError) as err:
            raise ValueError(f"template {self.template!r} may only use the field {{label}}: "
                             f"{err!r}.") from None

    def fit(self, X, y):
        """Estimate the class prior from ``y`` and load the (frozen) language model.

        Parameters
        ----------
        X : list of str
            The texts (only their number is used: the LM is not trained).
        y : array-like of shape (n_texts,)
            One label per text.

        Returns
        -------
        self
        """
        _check_common(self)
        texts = check_texts(self, X, allow_empty=True)
        y, classes, y_idx = check_labels(self, y, len(texts))
        priors = check_priors(self.priors, len(classes))
        prompts = self._prompts(classes)
        self.lm_ = load_causal_lm(self)
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)), priors)
        self.prompts_ = prompts
        return self

    def _validate_X_predict(self, X):
        return check_texts(self, X, allow_empty=True)

    def _log_likelihood(self, texts) -> np.ndarray:
        """log p(text | prompt of class k); the mixin adds the log prior."""
        n = len(texts)
        return np.column_stack([log_likelihoods(self.lm_, texts, [p] * n,
                                                score_eos=self.score_eos,
                                                batch_size=int(self.batch_size))
                                for p in self.prompts_])

    def score_samples(self, X) -> np.ndarray:
        """log p(x) = logsumexp_k log p(x, y=k) of each text.

        Parameters
        ----------
        X : list of str

        Returns
        -------
        ndarray of shape (n_texts,)
        """
        return logsumexp(self.log_joint(X), axis=1)

    def sample(self, n_samples=None, y=None, random_state=None, *, max_length=50,
               temperature=1.0, top_k=None):
        """Draw texts from p(x, y), or from p(x | y) when ``y`` is given.

        Parameters
        ----------
        n_samples : int, optional
            Defaults to 1, or ``len(y)``.
        y : label or array-like of labels, optional
            Class(es) to sample; None draws classes from the prior.
        random_state : int, RandomState or None
        max_length, temperature, top_k
            As in :meth:`HFCausalLM.sample`.

        Returns
        -------
        X : list of str
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "lm_")
        check_sampling(max_length, temperature, top_k)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        out = [None] * len(y_idx)
        for k in np.unique(y_idx):
            rows = np.flatnonzero(y_idx == k)
            texts = generate(self.lm_, len(rows), self.prompts_[k], max_length=int(max_length),
                             temperature=float(temperature), top_k=top_k,
                             seed=int(rng.randint(0, 2**31 - 1)))
            for i, t in zip(rows, texts, strict=True):
                out[i] = t
        return out, self.classes_[y_idx]


# ------------------------------------------------------------------ encoder checkpoints


class _EncoderMixin(TextInputMixin, CapabilityMixin, TorchEstimatorMixin):
    """Checkpoint, context and tokenization shared by the encoder estimators."""

    def _open(self):
        """(path, config, tokenizer) of an encoder checkpoint with a padding token."""
        path, config, tokenizer = open_checkpoint(self, "encoder")
        if tokenizer.pad_token_id is None:
            raise ValueError(f"the tokenizer in {str(path)!r} has no padding token; one is "
                             "needed to batch texts of different lengths.")
        return path, config, tokenizer

    def _context(self, config, tokenizer) -> int:
        """Most tokens per text: the model's positions, the tokenizer's limit, ``max_length``."""
        limits = [getattr(config, "max_position_embeddings", None)]
        if isinstance(tokenizer.model_max_length, int) and tokenizer.model_max_length < 10**6:
            limits.append(tokenizer.model_max_length)
        if self.max_length is not None:
            limits.append(int(self.max_length))
        limits = [int(v) for v in limits if v is not None]
        return min(limits) if limits else 512

    @staticmethod
    def _tokenize(module: EncoderNet, texts, context: int):
        """ids, attention mask and maskable positions (real, non-special tokens), (n, T).

        Texts are tokenized with the tokenizer's special tokens ([CLS] ... [SEP]),
        truncated to ``context`` tokens and padded to the longest.
        """
        module.check_encodable(texts)
        enc = module.tokenizer(list(texts), truncation=True, max_length=context,
                               padding="longest", return_attention_mask=True,
                               return_special_tokens_mask=True)
        ids = np.asarray(enc["input_ids"], dtype=np.int64)
        mask = np.asarray(enc["attention_mask"], dtype=np.int64)
        maskable = (mask == 1) & (np.asarray(enc["special_tokens_mask"]) == 0)
        return ids, mask, maskable


class _MaskedLMPretraining(_EncoderMixin):
    """Continued masked-LM pretraining of a checkpoint's encoder on texts, on the one Trainer.

    Used by :class:`HFEncoderClassifier` (``pretrain_epochs``); ``module_`` is
    the checkpoint's ``AutoModelForMaskedLM`` after training.
    """

    def __init__(self, path, *, max_length, mlm_probability, **training):
        self.path = path
        self.max_length = max_length
        self.mlm_probability = mlm_probability
        self._set_training_params(training)

    def _build_module(self):
        _, config, tokenizer = self._open()
        return EncoderNet(from_config("AutoModelForMaskedLM", config), tokenizer)

    def _inputs(self, path, config, tokenizer, texts):
        """Tokenized texts, checked to be pretrainable: ids, attention mask, maskable."""
        if tokenizer.mask_token_id is None:
            raise ValueError(f"the tokenizer in {str(path)!r} has no mask token; masked-LM "
                             "pretraining (pretrain_epochs > 0) needs one.")
        probe = EncoderNet(None, tokenizer)
        ids, mask, maskable = self._tokenize(probe, texts, self._context(config, tokenizer))
        if not maskable.any():
            raise ValueError("masked-LM pretraining needs texts with at least one token that "
                             "is not special; every text is empty.")
        return ids, mask, maskable

    def fit(self, texts):
        path, config, tokenizer = self._open()
        ids, mask, maskable = self._inputs(path, config, tokenizer, texts)
        mask_id, rate = int(tokenizer.mask_token_id), float(self.mlm_probability)
        vocab = min(len(tokenizer), int(config.vocab_size))
        loss, eval_loss = masked_lm_losses(  # batch: ids, attention mask, maskable
            lambda batch, gen: mask_tokens(batch[0], batch[2], mask_id=mask_id,
                                           vocab_size=vocab, rate=rate, generator=gen),
            lambda module, inputs, batch: module(inputs, batch[1]))

        config_seed = self._train_config().random_state
        init = {"model": seeded_pretrained("AutoModelForMaskedLM", path,
                                           config_seed).state_dict()}
        data = (torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(maskable))
        return self._train(data, loss, eval_loss=eval_loss, init_state=init)


class HFEncoderClassifier(ClassifierMixin, SelfPretrainingMixin, TextLogitClassifierMixin,
                          _EncoderMixin, BaseEstimator):
    """Fine-tune a local Hugging Face encoder checkpoint (BERT-style) as a text classifier.

    The checkpoint's encoder (``AutoModelForSequenceClassification``: [CLS]
    pooling and a linear head, as the architecture defines it) is trained on
    p(y | x) by gdlab's one :class:`gdlab.nn.Trainer`. With
    ``pretrain_epochs`` it first continues the checkpoint's masked-LM
    pretraining (``AutoModelForMaskedLM``, BERT's 15% / 80-10-10 masking) on
    every text of ``X``, unlabelled ones (``y == -1``) included, and
    fine-tunes from the result: generative pretraining, then discriminative
    fine-tuning, as :class:`gdlab.models.gpt.GPTClassifier` does for a GPT.

    Loading is local and safe: ``path`` must be a directory (nothing is
    downloaded, ``local_files_only=True``), remote code is never run
    (``trust_remote_code=False``), and the directory must hold an encoder (a
    masked-LM model type: bert, roberta, distilbert, ...) and its tokenizer.

    Parameters
    ----------
    path : str or Path
        Local checkpoint directory (``save_pretrained`` output of the model
        and of its tokenizer).
    new_head : bool, default=False
        When the checkpoint already has a sequence-classification head (its
        config names a ``...ForSequenceClassification`` architecture), it is
        kept and fine-tuned, and ``y`` must have as many classes as it has
        outputs: classes equal to its label names (``config.id2label``) go to
        those outputs, otherwise the sorted classes go to outputs 0, 1, ...
        (refused when the head has named labels that are not the classes).
        ``True`` replaces it with a fresh head for ``y``'s classes. A
        checkpoint without a head always gets a fresh one.
    pretrain_epochs : int, default=0
        Epochs of masked-LM pretraining on all texts of ``X`` before
        fine-tuning; 0 fine-tunes the checkpoint as it is. With a positive
        value ``-1`` in ``y`` marks an unlabelled text (pretraining only) and
        the capability ``semi_supervised`` holds.
    mlm_probability : float in (0, 1), default=0.15
        Fraction of tokens masked in pretraining.
    max_length : int, optional
        Most tokens per text ([CLS] and [SEP] included); longer texts are
        truncated. Default and upper bound: the positions the model can
        index (``max_position_embeddings``, less ``padding_idx + 1`` for
        RoBERTa-style embeddings) and the tokenizer's ``model_max_length``.
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        Training settings (:class:`gdlab.nn.TrainConfig`), used for both
        stages (pretraining for ``pretrain_epochs`` epochs). The defaults are
        the usual BERT fine-tuning ones (3 epochs, AdamW at 5e-5, weight
        decay 0.01).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    head_index_ : ndarray of shape (n_classes,)
        The head output of each class.
    head_labels_ : list of str
        The names of the head's outputs (the checkpoint's, or ``str`` of the
        classes for a fresh head).
    context_length_ : int
        Most tokens per text.
    module_ : torch.nn.Module
        The fine-tuned model (``module_.model``) with its tokenizer.
    checkpoint_fingerprint_ : str
        As in :class:`HFCausalLM`.
    n_labelled_, n_unlabelled_ : int
        Texts fine-tuned on, and texts only pretrained on (``y = -1``).
    pretrain_history_ : list of dict
        Per-epoch masked-LM losses (``pretrain_epochs > 0``).
    history_, n_epochs_, best_epoch_, device_
        Of the fine-tuning (:class:`gdlab.nn.TorchEstimatorMixin`).

    Notes
    -----
    Capabilities: ``classify`` and ``text`` (and ``semi_supervised`` with
    ``pretrain_epochs > 0``). A masked LM gives no p(text), so there is no
    density, sampling or generative classifier here. :func:`gdlab.save`
    stores the fine-tuned weights; loading needs the same, unchanged
    checkpoint directory (its config and tokenizer). Saving back to a
    Hugging Face directory is not offered.
    """

    _gdlab_capabilities = frozenset({"classify", "text"})

    def _self_pretrains(self) -> bool:
        return pretrains_itself(self.pretrain_epochs)

    def __init__(self, path=None, *, new_head=False, pretrain_epochs=0, mlm_probability=0.15,
                 max_length=None, max_epochs=3, batch_size=16, lr=5e-5, weight_decay=0.01,
                 validation_fraction=0.1, patience=3, device="auto", random_state=None,
                 verbose=False):
        self.path = path
        self.new_head = new_head
        self.pretrain_epochs = pretrain_epochs
        self.mlm_probability = mlm_probability
        self.max_length = max_length
        self._set_training_params(locals())

    def _check_params(self) -> None:
        check_bool(self.new_head, "new_head")
        check_int(self.pretrain_epochs, "pretrain_epochs", minimum=0)
        check_fraction(self.mlm_probability, "mlm_probability", allow_zero=False)
        if self.max_length is not None:
            check_int(self.max_length, "max_length", minimum=3)
        self._train_config()  # the training settings, before any work

    def _plan_head(self, config, classes):
        """(outputs, head_index, head_labels, keep_head) for ``classes`` on this checkpoint."""
        K = len(classes)
        archs = getattr(config, "architectures", None) or []
        has_head = any(str(a).endswith("ForSequenceClassification") for a in archs)
        if not has_head or self.new_head:
            return K, np.arange(K), [str(c) for c in classes], False
        n = int(config.num_labels)
        names = [str(config.id2label.get(i, f"LABEL_{i}")) for i in range(n)]
        where = f"the checkpoint's classification head in {str(self.path)!r}"
        problem = getattr(config, "problem_type", None)
        if problem in ("regression", "multi_label_classification"):
            raise ValueError(f"{where} is a {problem} head, not a single-label classifier; "
                             "pass new_head=True to train a fresh head for y's classes.")
        if K != n:
            raise ValueError(f"{where} holds {n} labels {names} but y has {K} classes "
                             f"{classes.tolist()}; pass new_head=True to train a fresh head "
                             f"of {K} outputs (the encoder's weights are kept).")
        as_str = [str(c) for c in classes]
        default = names == [f"LABEL_{i}" for i in range(n)]
        if not default and sorted(as_str) == sorted(names):
            return n, np.array([names.index(c) for c in as_str]), names, True
        integers = classes.dtype.kind in "iu" and classes.tolist() == list(range(n))
        if not default and not integers:
            raise ValueError(f"{where} holds the labels {names}, and y's classes "
                             f"{classes.tolist()} are neither these names nor 0..{n - 1}; "
                             "relabel y or pass new_head=True.")
        return n, np.arange(n), names, True

    def _build_module(self):
        """The classifier, randomly initialized from the checkpoint's config (weights come in
        through ``init_state`` in fit, or from a saved file in :func:`gdlab.load`)."""
        _, config, tokenizer = self._open()
        config.num_labels = len(self.head_labels_)
        config.id2label = dict(enumerate(self.head_labels_))
        config.label2id = {name: i for i, name in enumerate(self.head_labels_)}
        config.problem_type = "single_label_classification"
        return EncoderNet(from_config("AutoModelForSequenceClassification", config), tokenizer)

    def fit(self, X, y):
        """Fine-tune the checkpoint on labelled texts (after masked-LM pretraining, if asked).

        Parameters
        ----------
        X : sequence of str
        y : array-like of shape (n_texts,)
            With ``pretrain_epochs > 0``, ``-1`` marks an unlabelled text,
            used for pretraining only.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            Before any weights are read: ``path`` is not a directory, holds no
            config or tokenizer, holds a causal LM or encoder-decoder rather
            than an encoder, or its classification head cannot hold ``y``'s
            classes (see ``new_head``); bad settings or labels.
        ImportError
            transformers is not installed (``pip install 'gdlab[llm]'``).
        """
        texts = check_texts(self, X, allow_empty=True)
        self._check_params()
        classes, y_idx = text_class_indices(self, y, len(texts),
                                            semi_supervised=self._self_pretrains())
        path, config, tokenizer = self._open()
        probe = EncoderNet(None, tokenizer)
        probe.check_encodable(texts)  # before any weights are read
        n_out, head_index, head_labels, keep_head = self._plan_head(config, classes)
        training = {p: getattr(self, p) for p in TRAINING_PARAMS}
        seed = self._train_config().random_state
        if self.pretrain_epochs > 0:
            pre = _MaskedLMPretraining(self.path, max_length=self.max_length,
                                       mlm_probability=self.mlm_probability,
                                       **dict(training, max_epochs=self.pretrain_epochs,
                                              random_state=seed))
            pre._inputs(path, config, tokenizer, texts)  # refused before any weights
        init = {}
        start = seeded_pretrained("AutoModelForSequenceClassification", path, seed,
                                  num_labels=n_out, ignore_mismatched_sizes=not keep_head)
        state, prefix = start.state_dict(), start.base_model_prefix
        context = usable_positions(start, self._context(config, tokenizer))
        del start
        if keep_head:
            init["model"] = state
        else:  # the encoder's weights; the head keeps its seeded fresh start
            init[f"model.{prefix}"] = {k[len(prefix) + 1:]: v for k, v in state.items()
                                       if k.startswith(prefix + ".")}
        self.pretrain_history_ = []
        if self.pretrain_epochs > 0:
            pre.max_length = context
            pre.fit(texts)
            self.pretrain_history_ = pre.history_
            body = getattr(pre.module_.model, prefix)
            for name, part in body.named_children():  # the pretrained encoder, part by part
                init[f"model.{prefix}.{name}"] = part.state_dict()
        labelled = record_labelled_rows(self, classes, y_idx)
        ids, mask, _ = self._tokenize(probe, [t for t, k in zip(texts, labelled, strict=True)
                                              if k], context)
        self.head_index_ = head_index
        self.head_labels_ = head_labels
        self.context_length_ = context
        self.checkpoint_fingerprint_ = checkpoint_fingerprint(path)
        target = torch.from_numpy(head_index[y_idx[labelled]].astype(np.int64))
        return self._train((torch.from_numpy(ids), torch.from_numpy(mask), target),
                           cross_entropy_loss, init_state=init)

    def _logits(self, X) -> np.ndarray:
        """Float64 class logits (columns in the order of ``classes_``) of validated texts."""
        check_is_fitted(self, "module_")
        texts = check_texts(self, X, allow_empty=True)
        ids, mask, _ = self._tokenize(self.module_, texts, self.context_length_)
        logits = self._batched(self.module_, ids, mask, batch_size=int(self.batch_size))
        return logits[:, self.head_index_]

    def _gdlab_load_tensors_(self, tensors) -> None:
        """Rebuild from the (unchanged) checkpoint's config and tokenizer; load the weights."""
        check_unchanged(self)
        super()._gdlab_load_tensors_(tensors)

