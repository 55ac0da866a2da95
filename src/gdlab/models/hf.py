"""Pretrained causal language models (Hugging Face checkpoints) as text densities and classifiers.

Optional extra ``gdlab[llm]`` (``transformers`` and ``tokenizers``): nothing
here downloads anything. A checkpoint is a *local directory* holding a causal
LM and its tokenizer, as written by ``model.save_pretrained(path)`` and
``tokenizer.save_pretrained(path)``, loaded with ``local_files_only=True``.

- :class:`HFCausalLM`: the checkpoint as a text density and generator:
  ``score_samples(texts)`` is log p(text), ``sample(n)`` draws texts.
- :class:`HFGenerativeClassifier`: the checkpoint as a generative classifier
  by label-conditioned likelihood, ``log p(x, y=k) = log p(y=k) +
  log p(x | template.format(label=name_k))``, and Bayes' rule.

The language model is frozen: ``fit`` loads it (and, for the classifier,
estimates the class prior); fine-tuning is out of scope here.

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

import hashlib
from pathlib import Path

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gdlab._validation import (
    check_in,
    check_int,
    check_labels,
    check_n_samples,
    check_positive,
    check_priors,
    check_random_state,
    check_texts,
)
from gdlab.base import CapabilityMixin, GenerativeClassifierMixin
from gdlab.nn import TorchEstimatorMixin, resolve_device
from gdlab.tokenizers import utf8_bytes

__all__ = ["HFCausalLM", "HFGenerativeClassifier"]

_DTYPES = ("float32", "bfloat16", "float16")


def _transformers():
    """Import transformers lazily, with the install hint when it is missing."""
    try:
        import transformers
    except ImportError as err:
        raise ImportError(
            "Hugging Face models need the optional dependencies transformers and tokenizers: "
            "pip install 'gdlab[llm]'."
        ) from err
    return transformers


class _LoadedLM(torch.nn.Module):
    """A frozen causal LM with its tokenizer, as one module.

    Being a module, it is left out of the skops part by :func:`gdlab.save`;
    the estimators reload it from their ``path`` in ``_gdlab_load_tensors_``.
    """

    def __init__(self, model, tokenizer, start_id: int, eos_id: int | None,
                 context: int | None):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer
        self.start_id = int(start_id)
        self.eos_id = None if eos_id is None else int(eos_id)
        self.context = context

    def encode(self, texts) -> list[list[int]]:
        for i, t in enumerate(texts):  # the Rust tokenizer's TypeError says nothing useful
            utf8_bytes(t, type(self.tokenizer).__name__, item=i)
        return [list(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


def _checkpoint_fingerprint(path: Path) -> str:
    """SHA-256 over the names and sizes of the checkpoint's files and its config.json."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        h.update(f"{f.name}:{f.stat().st_size};".encode())
    config = path / "config.json"
    if config.is_file():
        h.update(config.read_bytes())
    return h.hexdigest()


def _check_common(est) -> None:
    if est.path is None or not isinstance(est.path, (str, Path)):
        raise TypeError(f"path must be a str or Path naming a local checkpoint directory, got "
                        f"{est.path!r}.")
    check_in(est.dtype, "dtype", _DTYPES)
    check_int(est.batch_size, "batch_size")
    if not isinstance(est.score_eos, (bool, np.bool_)):
        raise TypeError(f"score_eos must be a bool, got {est.score_eos!r}.")


def _load(est) -> _LoadedLM:
    """Load ``est.path`` (model + tokenizer) onto ``est.device``; clear errors for bad dirs."""
    path = Path(est.path).expanduser()
    if not path.is_dir():
        raise ValueError(f"path={str(est.path)!r} is not a directory; expected a local Hugging "
                         "Face checkpoint (config.json, weights, tokenizer files). Nothing is "
                         "downloaded.")
    tf = _transformers()
    device = resolve_device(est.device)
    try:
        tokenizer = tf.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        model = tf.AutoModelForCausalLM.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"cannot load a causal LM and tokenizer from {str(path)!r}: "
                         f"{err}") from err
    model = model.to(device=device, dtype=getattr(torch, est.dtype)).eval()
    model.requires_grad_(False)
    start = tokenizer.bos_token_id if tokenizer.bos_token_id is not None \
        else tokenizer.eos_token_id
    if start is None:
        raise ValueError(f"the tokenizer in {str(path)!r} has neither a BOS nor an EOS token; "
                         "one is needed to start (and score the first token of) every text.")
    eos = tokenizer.eos_token_id
    if est.score_eos and eos is None:
        raise ValueError(f"score_eos=True but the tokenizer in {str(path)!r} has no EOS token; "
                         "use score_eos=False (log p of a prefix).")
    context = getattr(model.config, "max_position_embeddings", None)
    est.device_ = str(device)
    est.checkpoint_fingerprint_ = _checkpoint_fingerprint(path)
    return _LoadedLM(model, tokenizer, start, eos, context)


def _reload(est) -> None:
    """Reload the checkpoint of a fitted estimator read by :func:`gdlab.load`."""
    path = Path(est.path).expanduser()
    if not path.is_dir():
        raise ValueError(f"the saved {type(est).__name__} refers to the checkpoint directory "
                         f"{str(est.path)!r}, which does not exist here.")
    saved = est.checkpoint_fingerprint_
    if _checkpoint_fingerprint(path) != saved:
        raise ValueError(f"the checkpoint in {str(est.path)!r} changed since the model was "
                         "saved (its files differ); refit on it instead of loading.")
    est.lm_ = _load(est)


@torch.no_grad()
def _log_likelihoods(lm: _LoadedLM, texts: list[str], prompts: list[str], *, score_eos: bool,
                     batch_size: int) -> np.ndarray:
    """log p(text_i | prompt_i) for each pair: (n,) float64."""
    text_ids = lm.encode(texts)
    prompt_cache: dict[str, list[int]] = {}
    rows, starts = [], []
    for i, (ids, prompt) in enumerate(zip(text_ids, prompts, strict=True)):
        if prompt not in prompt_cache:
            prompt_cache[prompt] = lm.encode([prompt])[0] if prompt else []
        head = [lm.start_id, *prompt_cache[prompt]]
        row = head + ids + ([lm.eos_id] if score_eos else [])
        if lm.context is not None and len(row) > lm.context:
            raise ValueError(f"text {i} needs {len(row)} tokens (with the start token"
                             f"{', prompt' if prompt else ''}{' and EOS' if score_eos else ''}) "
                             f"but the model's context is {lm.context}; shorten it.")
        rows.append(row)
        starts.append(len(head))  # index of the first scored token
    out = np.zeros(len(rows))
    order = np.argsort([len(r) for r in rows], kind="stable")
    device = lm.device
    for b in range(0, len(rows), batch_size):
        idx = order[b:b + batch_size]
        T = max(len(rows[i]) for i in idx)
        ids = torch.zeros((len(idx), T), dtype=torch.long)
        mask = torch.zeros((len(idx), T), dtype=torch.long)
        scored = torch.zeros((len(idx), T - 1), dtype=torch.bool)
        for j, i in enumerate(idx):
            n = len(rows[i])
            ids[j, :n] = torch.tensor(rows[i])
            mask[j, :n] = 1
            scored[j, starts[i] - 1:n - 1] = True  # targets ids[:, 1:]
        ids, mask, scored = ids.to(device), mask.to(device), scored.to(device)
        logits = lm.model(input_ids=ids, attention_mask=mask).logits  # (B, T, V)
        logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)  # (B, T-1, V)
        tok = logp.gather(-1, ids[:, 1:, None]).squeeze(-1)  # (B, T-1)
        tok = torch.where(scored, tok, torch.zeros_like(tok)).double()
        out[idx] = tok.sum(dim=1).cpu().numpy()
    return out


@torch.no_grad()
def _generate(lm: _LoadedLM, n: int, prompt: str, *, max_length: int, temperature: float,
              top_k: int | None, seed: int) -> list[str]:
    """n continuations of ``prompt`` (seeded), decoded without special tokens, cut at EOS."""
    head = [lm.start_id, *(lm.encode([prompt])[0] if prompt else [])]
    if lm.context is not None and len(head) + max_length > lm.context:
        raise ValueError(f"the prompt ({len(head)} tokens with the start token) plus "
                         f"max_length={max_length} exceeds the model's context of {lm.context} "
                         "tokens.")
    device = lm.device
    gen = torch.Generator(device=device).manual_seed(seed)
    ids = torch.tensor([head] * n, dtype=torch.long, device=device)  # (n, P)
    past, new = None, []
    done = torch.zeros(n, dtype=torch.bool, device=device)
    step_input = ids
    for _ in range(max_length):
        out = lm.model(input_ids=step_input, past_key_values=past, use_cache=True)
        past = out.past_key_values
        logits = out.logits[:, -1].float() / temperature  # (n, V)
        if top_k is not None and top_k < logits.shape[-1]:
            kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
            logits = logits.masked_fill(logits < kth, float("-inf"))
        nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=gen)  # (n, 1)
        new.append(nxt)
        if lm.eos_id is not None:
            done |= nxt[:, 0] == lm.eos_id
            if bool(done.all()):
                break
        step_input = nxt
    tokens = torch.cat(new, dim=1).cpu().tolist() if new else [[] for _ in range(n)]
    texts = []
    for row in tokens:
        if lm.eos_id is not None and lm.eos_id in row:
            row = row[:row.index(lm.eos_id)]
        texts.append(lm.tokenizer.decode(row, skip_special_tokens=True))
    return texts


def _check_sampling(max_length, temperature, top_k) -> None:
    check_int(max_length, "max_length")
    check_positive(temperature, "temperature")
    if top_k is not None:
        check_int(top_k, "top_k")


def _score_capabilities(est, caps: frozenset[str]) -> frozenset[str]:
    """Without the closing EOS a score is a prefix probability: no bound on log p(string)."""
    return caps if est.score_eos else caps - {"density_bound"}


class HFCausalLM(CapabilityMixin, BaseEstimator):
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

    def _capabilities(self) -> frozenset[str]:
        return _score_capabilities(self, super()._capabilities())

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
        self.lm_ = _load(self)
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
        return _log_likelihoods(self.lm_, texts, [""] * len(texts), score_eos=self.score_eos,
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
        _check_sampling(max_length, temperature, top_k)
        seed = TorchEstimatorMixin._seed_from(random_state)
        return _generate(self.lm_, n, prompt, max_length=int(max_length),
                         temperature=float(temperature), top_k=top_k, seed=seed)

    # persistence: the weights stay in `path`; the archive holds the settings only
    def _gdlab_tensors_(self) -> dict[str, torch.Tensor]:
        return {}

    def _gdlab_load_tensors_(self, tensors) -> None:
        _reload(self)


class HFGenerativeClassifier(GenerativeClassifierMixin, BaseEstimator):
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

    def _capabilities(self) -> frozenset[str]:
        return _score_capabilities(self, super()._capabilities())

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
        self.lm_ = _load(self)
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)), priors)
        self.prompts_ = prompts
        return self

    def _validate_X_predict(self, X):
        return check_texts(self, X, allow_empty=True)

    def _log_likelihood(self, texts) -> np.ndarray:
        """log p(text | prompt of class k); the mixin adds the log prior."""
        n = len(texts)
        return np.column_stack([_log_likelihoods(self.lm_, texts, [p] * n,
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
        _check_sampling(max_length, temperature, top_k)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        out = [None] * len(y_idx)
        for k in np.unique(y_idx):
            rows = np.flatnonzero(y_idx == k)
            texts = _generate(self.lm_, len(rows), self.prompts_[k], max_length=int(max_length),
                              temperature=float(temperature), top_k=top_k,
                              seed=int(rng.randint(0, 2**31 - 1)))
            for i, t in zip(rows, texts, strict=True):
                out[i] = t
        return out, self.classes_[y_idx]

    def _gdlab_tensors_(self) -> dict[str, torch.Tensor]:
        return {}

    def _gdlab_load_tensors_(self, tensors) -> None:
        _reload(self)
