"""Masked-language-model corruption (BERT's 80/10/10 rule), shared by gdlab's encoders.

:func:`mask_tokens` turns a batch of token ids into the inputs and targets of
masked-LM pretraining; :func:`masked_lm_loss` is the loss on its targets. Both
run inside a loss function of :class:`gdlab.nn.Trainer`, on the device, with
torch's global random state, which the Trainer seeds (the same seed gives the
same masks, and a resumed run draws the masks an uninterrupted one would).
:func:`masked_lm_losses` makes the Trainer's two loss functions from them:
fresh masks at every training step, the same masks every epoch in validation.

Examples
--------
>>> import torch
>>> ids = torch.tensor([[2, 7, 8, 9, 3, 0]])  # [CLS] a b c [SEP] [PAD]
>>> maskable = torch.tensor([[False, True, True, True, False, False]])
>>> g = torch.Generator().manual_seed(0)
>>> inputs, targets = mask_tokens(ids, maskable, mask_id=4, vocab_size=10, generator=g)
>>> bool(((targets == -100) | maskable).all())  # only maskable tokens are targets
True
>>> bool((targets != -100).any())  # every row with a maskable token has a target
True
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from gdlab.nn.transformer import IGNORE

__all__ = ["mask_tokens", "masked_lm_loss", "masked_lm_losses"]


def mask_tokens(ids: torch.Tensor, maskable: torch.Tensor, *, mask_id: int, vocab_size: int,
                rate: float = 0.15, random_low: int = 0,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Choose the positions to predict and corrupt them, as BERT does.

    Each maskable position is chosen with probability ``rate``; a row with
    maskable positions but none chosen gets one chosen uniformly among them
    (so that short texts always carry a target and a batch's loss is never
    an empty mean). A chosen position's input becomes ``mask_id`` with
    probability 0.8, a uniformly drawn token id with probability 0.1, and is
    left unchanged with probability 0.1; its target is the original id.

    Parameters
    ----------
    ids : torch.Tensor of shape (batch, length), long
        Token ids.
    maskable : torch.Tensor of shape (batch, length), bool
        Positions that may be chosen: real tokens, not special tokens
        ([CLS], [SEP]) nor padding.
    mask_id : int
        Id of the mask token.
    vocab_size : int
        Random replacements are drawn from ``range(random_low, vocab_size)``.
    rate : float in (0, 1), default=0.15
        Probability that a maskable position is chosen.
    random_low : int, default=0
        First id a random replacement may take (e.g. the first non-special id
        of a tokenizer whose special tokens come first).
    generator : torch.Generator, optional
        Source of randomness (default: torch's global state).

    Returns
    -------
    inputs : torch.Tensor of shape (batch, length), long
        The corrupted ids.
    targets : torch.Tensor of shape (batch, length), long
        The original id at chosen positions, ``IGNORE`` (-100, of
        :mod:`gdlab.nn.transformer`) elsewhere.
    """
    if ids.shape != maskable.shape:
        raise ValueError(f"ids and maskable need the same shape, got {tuple(ids.shape)} and "
                         f"{tuple(maskable.shape)}.")
    if not 0.0 < float(rate) < 1.0:
        raise ValueError(f"rate must be in (0, 1), got {rate!r}.")
    if not 0 <= int(random_low) < int(vocab_size):
        raise ValueError(f"random replacements need 0 <= random_low < vocab_size, got "
                         f"random_low={random_low!r}, vocab_size={vocab_size!r}.")
    maskable = maskable.bool()

    def uniform(shape):
        return torch.rand(shape, generator=generator, device=ids.device)

    chosen = (uniform(ids.shape) < rate) & maskable  # (B, T)
    # rows with a maskable token but nothing chosen: choose one of their maskable tokens
    empty = maskable.any(dim=1) & ~chosen.any(dim=1)  # (B,)
    if bool(empty.any()):
        scores = uniform(ids.shape).masked_fill(~maskable, -1.0)  # (B, T)
        one = F.one_hot(scores.argmax(dim=1), ids.shape[1]).bool()  # (B, T)
        chosen |= one & empty[:, None]
    targets = torch.where(chosen, ids, torch.full_like(ids, IGNORE))
    action = uniform(ids.shape)  # < 0.8: mask, 0.8-0.9: random token, else unchanged
    random_ids = torch.randint(int(random_low), int(vocab_size), ids.shape, generator=generator,
                               device=ids.device)
    inputs = torch.where(chosen & (action < 0.8), torch.full_like(ids, int(mask_id)), ids)
    inputs = torch.where(chosen & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, targets


def masked_lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the chosen positions (zero, with a gradient, when none is).

    Parameters
    ----------
    logits : torch.Tensor of shape (batch, length, vocab_size)
    targets : torch.Tensor of shape (batch, length), long
        From :func:`mask_tokens`: ``IGNORE`` where nothing is predicted.

    Returns
    -------
    torch.Tensor
        A scalar: the mean negative log-probability of the original tokens.
    """
    if not bool((targets != IGNORE).any()):  # a batch of empty texts: nothing to predict
        return logits.sum() * 0.0
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1),
                           ignore_index=IGNORE)


def masked_lm_losses(corrupt, predict):
    """The ``loss`` and ``eval_loss`` of masked-LM pretraining for :meth:`Trainer.fit`.

    ``loss`` masks each training batch afresh, from torch's global random
    state (which the Trainer seeds); ``eval_loss`` masks a validation batch
    the same way every epoch (a generator seeded by the sum of its ids), so
    the validation losses of different epochs compare.

    Parameters
    ----------
    corrupt : callable
        ``corrupt(batch, generator)`` returns ``(inputs, targets)`` of the
        batch (:func:`mask_tokens` of its ids); ``generator`` is None in
        training.
    predict : callable
        ``predict(module, inputs, batch)`` returns the logits (B, T, V) of the
        corrupted ``inputs`` (the batch gives anything else the module reads,
        e.g. an attention mask).

    Returns
    -------
    loss, eval_loss : callable
        ``(module, batch) -> scalar tensor``, :func:`masked_lm_loss` of the targets.

    Examples
    --------
    >>> embed = torch.nn.Embedding(10, 10)
    >>> def corrupt(batch, generator):
    ...     ids = batch[0]
    ...     return mask_tokens(ids, ids > 4, mask_id=4, vocab_size=10, generator=generator)
    >>> loss, eval_loss = masked_lm_losses(corrupt, lambda module, x, batch: module(x))
    >>> batch = (torch.tensor([[2, 7, 8, 9, 3, 0]]),)
    >>> bool(eval_loss(embed, batch) == eval_loss(embed, batch))  # the same masks each time
    True
    """
    def loss(module, batch):
        inputs, targets = corrupt(batch, None)
        return masked_lm_loss(predict(module, inputs, batch), targets)

    def eval_loss(module, batch):
        ids = batch[0]
        gen = torch.Generator(device=ids.device).manual_seed(int(ids.sum()) % 2**31)
        inputs, targets = corrupt(batch, gen)
        return masked_lm_loss(predict(module, inputs, batch), targets)

    return loss, eval_loss
