"""Checkpoint handling behind :mod:`gdlab.models.hf`: open, check, load, score, generate.

What the Hugging Face estimators share below the estimator level lives here:
importing transformers lazily, reading and checking a local checkpoint
directory (its config, its architecture family, its tokenizer files) before
any weights, loading weights quietly with no remote code, the fingerprint
that a loaded estimator checks its checkpoint against, the torch modules that
hold a model with its tokenizer (:class:`HFModule`, :class:`LoadedLM`,
:class:`EncoderNet`; they are never stored by :func:`gdlab.save`, which
leaves torch modules out and lets the estimators rebuild them), and the two
computations on a frozen causal LM, :func:`log_likelihoods` and
:func:`generate`. Only :mod:`gdlab.models.hf` uses it.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
import torch

from gdlab.models._text_nets import top_k_filter
from gdlab.nn import resolve_device
from gdlab.nn.estimator import seeded
from gdlab.tokenizers import utf8_bytes


def import_transformers():
    """Import transformers lazily, with the install hint when it is missing."""
    try:
        import transformers
    except ImportError as err:
        raise ImportError(
            "Hugging Face models need the optional dependencies transformers and tokenizers: "
            "pip install 'gdlab[llm]'."
        ) from err
    return transformers


class HFModule(torch.nn.Module):
    """A Hugging Face model with its tokenizer, as one module.

    Being a module, it is left out of the skops part by :func:`gdlab.save`;
    the estimators reload it from their ``path`` in ``_gdlab_load_tensors_``.
    """

    def __init__(self, model, tokenizer):
        super().__init__()
        self.model = model
        self.tokenizer = tokenizer

    def check_encodable(self, texts) -> None:
        """Name the text and position of a lone surrogate (the Rust tokenizer's error does not)."""
        for i, t in enumerate(texts):
            utf8_bytes(t, type(self.tokenizer).__name__, item=i)

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device


class LoadedLM(HFModule):
    """A frozen causal LM with its tokenizer, start and end tokens and context."""

    def __init__(self, model, tokenizer, start_id: int, eos_id: int | None,
                 context: int | None):
        super().__init__(model, tokenizer)
        self.start_id = int(start_id)
        self.eos_id = None if eos_id is None else int(eos_id)
        self.context = context

    def encode(self, texts) -> list[list[int]]:
        self.check_encodable(texts)
        return [list(self.tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]


def checkpoint_fingerprint(path: Path) -> str:
    """SHA-256 over the names and sizes of the checkpoint's files and its config.json."""
    h = hashlib.sha256()
    for f in sorted(p for p in path.iterdir() if p.is_file()):
        h.update(f"{f.name}:{f.stat().st_size};".encode())
    config = path / "config.json"
    if config.is_file():
        h.update(config.read_bytes())
    return h.hexdigest()


def check_path_type(est) -> None:
    """Refuse an ``est.path`` that is not a str or Path (before anything is read)."""
    if est.path is None or not isinstance(est.path, (str, Path)):
        raise TypeError(f"path must be a str or Path naming a local checkpoint directory, got "
                        f"{est.path!r}.")


def check_path(est) -> Path:
    """``est.path`` as an existing local directory, or a clear error."""
    check_path_type(est)
    path = Path(est.path).expanduser()
    if not path.is_dir():
        raise ValueError(f"path={str(est.path)!r} is not a directory; expected a local Hugging "
                         "Face checkpoint (config.json, weights, tokenizer files). Nothing is "
                         "downloaded.")
    return path


@contextlib.contextmanager
def quiet(tf):
    """Silence transformers' load reports (a fresh head is expected here) and its progress
    bars inside the block; the user's settings are restored after it."""
    level = tf.logging.get_verbosity()
    bars = tf.logging.is_progress_bar_enabled()
    tf.logging.set_verbosity_error()
    tf.logging.disable_progress_bar()
    try:
        yield
    finally:
        tf.logging.set_verbosity(level)
        if bars:
            tf.logging.enable_progress_bar()


def architecture(config) -> str:
    """``"encoder"`` (bidirectional, masked-LM family), ``"encoder-decoder"`` or ``"causal"``.

    The one place transformers' table of masked-LM model types is read. A
    model type with a masked-LM head and no decoder flag is an encoder (BERT,
    RoBERTa, DistilBERT, ...); transformers also maps some of these to a
    causal-LM class, which is only a decoder when ``config.is_decoder`` is set.
    """
    if getattr(config, "is_encoder_decoder", False):
        return "encoder-decoder"
    from transformers.models.auto import modeling_auto

    masked = modeling_auto.MODEL_FOR_MASKED_LM_MAPPING_NAMES
    if config.model_type in masked and not getattr(config, "is_decoder", False):
        return "encoder"
    return "causal"


def open_checkpoint(est, family: str):
    """Path, config and tokenizer of ``est.path``, checked to be a ``family`` checkpoint.

    Reads config.json and the tokenizer only (no weights): local files only,
    no remote code. ``family`` is ``"causal"`` (refuses an encoder) or
    ``"encoder"`` (refuses anything else).

    Returns
    -------
    path : Path
    config : transformers.PretrainedConfig
    tokenizer : transformers tokenizer
    """
    path = check_path(est)
    tf = import_transformers()
    name = type(est).__name__
    try:
        config = tf.AutoConfig.from_pretrained(str(path), local_files_only=True,
                                               trust_remote_code=False)
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"cannot load a Hugging Face checkpoint from {str(path)!r}: its "
                         f"config.json is missing or unreadable ({err}).") from err
    arch = architecture(config)
    if family == "encoder" and arch != "encoder":
        raise ValueError(
            f"{name} needs an encoder checkpoint (a masked-LM model type such as bert, "
            f"roberta or distilbert), but {str(path)!r} holds a {config.model_type!r} "
            f"model ({arch}); a causal LM goes to HFCausalLM or HFGenerativeClassifier.")
    if family == "causal" and arch == "encoder":
        raise ValueError(
            f"{name} needs a causal language model, but {str(path)!r} holds a "
            f"{config.model_type!r} encoder (bidirectional, masked-LM family) that does not "
            "define p(text) left to right; an encoder goes to HFEncoderClassifier.")
    # transformers builds an empty tokenizer (special tokens only) from a directory without
    # tokenizer files, without a word: look for the files the tokenizer reads
    try:
        tokenizer = tf.AutoTokenizer.from_pretrained(str(path), local_files_only=True,
                                                     trust_remote_code=False)
    except (OSError, ValueError, KeyError, TypeError) as err:
        tokenizer, error = None, err
    else:
        error = None
    wanted = {"tokenizer.json"}
    if tokenizer is not None:
        wanted |= {f for f in getattr(tokenizer, "vocab_files_names", {}).values()
                   if isinstance(f, str)}
    if tokenizer is None or not any((path / f).is_file() for f in wanted):
        raise ValueError(f"{str(path)!r} holds no tokenizer (none of {sorted(wanted)}); save "
                         "the checkpoint's tokenizer there with tokenizer.save_pretrained"
                         f"(path).{f' ({error})' if error is not None else ''}")
    return path, config, tokenizer


def from_pretrained(auto: str, path: Path, **kwargs):
    """``transformers.<auto>.from_pretrained`` on a local directory, no remote code, quietly."""
    tf = import_transformers()
    try:
        with quiet(tf):
            return getattr(tf, auto).from_pretrained(str(path), local_files_only=True,
                                                     trust_remote_code=False, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError) as err:
        raise ValueError(f"cannot load the weights ({auto}) from {str(path)!r}: "
                         f"{err}") from err


def from_config(auto: str, config):
    """``transformers.<auto>.from_config``: random weights, no remote code, quietly."""
    tf = import_transformers()
    with quiet(tf):
        return getattr(tf, auto).from_config(config, trust_remote_code=False)


def load_causal_lm(est) -> LoadedLM:
    """Load ``est.path`` (model + tokenizer) onto ``est.device``; clear errors for bad dirs."""
    path, _, tokenizer = open_checkpoint(est, "causal")
    device = resolve_device(est.device)
    model = from_pretrained("AutoModelForCausalLM", path)
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
    est.checkpoint_fingerprint_ = checkpoint_fingerprint(path)
    return LoadedLM(model, tokenizer, start, eos, context)


def check_unchanged(est) -> None:
    """A fitted estimator read by :func:`gdlab.load`: its checkpoint is there and unchanged."""
    path = Path(est.path).expanduser()
    if not path.is_dir():
        raise ValueError(f"the saved {type(est).__name__} refers to the checkpoint directory "
                         f"{str(est.path)!r}, which does not exist here.")
    if checkpoint_fingerprint(path) != est.checkpoint_fingerprint_:
        raise ValueError(f"the checkpoint in {str(est.path)!r} changed since the model was "
                         "saved (its files differ); refit on it instead of loading.")


@torch.no_grad()
def log_likelihoods(lm: LoadedLM, texts: list[str], prompts: list[str], *, score_eos: bool,
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
def generate(lm: LoadedLM, n: int, prompt: str, *, max_length: int, temperature: float,
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
        logits = top_k_filter(out.logits[:, -1].float() / temperature, top_k)  # (n, V)
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


class EncoderNet(HFModule):
    """An encoder (classifier or masked LM) and its tokenizer; ``forward`` gives the logits."""

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        # (B, T) ids and mask -> (B, n_labels) or (B, T, vocab) logits
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def seeded_pretrained(auto: str, path: Path, seed: int, **kwargs):
    """``auto.from_pretrained(path)`` with the parts missing from the checkpoint (a fresh
    head) initialized under ``seed``, so that the same seed gives the same start."""
    with seeded(seed, torch.device("cpu")):
        return from_pretrained(auto, path, **kwargs)


def usable_positions(model, context: int) -> int:
    """``context`` capped to the positions the model can index.

    RoBERTa-style embeddings number positions from ``padding_idx + 1`` (their
    position embedding has a ``padding_idx``), so ``max_position_embeddings``
    positions hold ``max_position_embeddings - padding_idx - 1`` tokens.
    """
    for name, part in model.named_modules():
        if name.endswith("position_embeddings") and isinstance(part, torch.nn.Embedding) \
                and part.padding_idx is not None:
            return min(context, part.num_embeddings - part.padding_idx - 1)
    return context


