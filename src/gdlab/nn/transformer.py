"""The transformers of gdlab's language models (nanoGPT's shape, small): causal and bidirectional.

:class:`GPT` is token + position embeddings, ``n_layer`` pre-norm blocks of
causal self-attention and an MLP, a final layer norm and a head tied to the
token embedding; ``forward`` returns ``(logits, loss)``. :class:`GPTConfig`
is its shape, passed to every submodule. :class:`BidirectionalEncoder` is the
same network with bidirectional attention over the non-padding tokens
(BERT-style; its head predicts masked tokens). :class:`PooledClassifierNet`
puts a classification head on either body. The estimators that train them are
in :mod:`gdlab.models.gpt` (``CharGPT``, ``LabelPrefixGPT``, ``GPTClassifier``)
and :mod:`gdlab.models.encoder` (``MaskedLMEncoder``, ``BERTClassifier``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from gdlab._param_checks import check_fraction, check_int
from gdlab.tokenizers import N_SPECIAL, PAD_ID

__all__ = ["IGNORE", "GPTConfig", "SelfAttention", "CausalSelfAttention", "Block", "GPT",
           "BidirectionalEncoder", "PooledClassifierNet"]

#: Target value of positions that are not scored (padding, or scored by an earlier window).
IGNORE = -100


@dataclass
class GPTConfig:
    """Shape of a :class:`GPT`.

    Parameters
    ----------
    vocab_size : int
        Number of token ids (specials included).
    context_length : int, default=128
        Longest input the network attends over (learned position embeddings).
    n_layer : int, default=2
    n_head : int, default=4
        Must divide ``d_model``.
    d_model : int, default=128
    dropout : float in [0, 1), default=0.1
    """

    vocab_size: int
    context_length: int = 128
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 128
    dropout: float = 0.1

    def __post_init__(self):
        check_int(self.vocab_size, "vocab_size", minimum=N_SPECIAL + 1)
        check_int(self.context_length, "context_length", minimum=2)
        check_int(self.n_layer, "n_layer", minimum=1)
        check_int(self.n_head, "n_head", minimum=1)
        check_int(self.d_model, "d_model", minimum=1)
        check_fraction(self.dropout, "dropout")
        if self.d_model % self.n_head:
            raise ValueError(f"d_model must be a multiple of n_head, got d_model={self.d_model} "
                             f"and n_head={self.n_head}.")


class SelfAttention(nn.Module):
    """Multi-head self-attention, causal (position t sees positions <= t) or bidirectional.

    Parameters
    ----------
    config : GPTConfig
    causal : bool, default=True
        False: every position sees every position whose ``key_mask`` is True.
    """

    def __init__(self, config: GPTConfig, causal: bool = True):
        super().__init__()
        self.causal = bool(causal)
        self.n_head = config.n_head
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.dropout = config.dropout
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(self, x, key_mask=None):
        """Attend over ``x`` (B, T, C); ``key_mask`` (B, T), True at the positions to attend to.

        A causal attention ignores ``key_mask`` (padding follows the text, so no
        text position sees it).
        """
        B, T, C = x.shape  # (B, T, C)
        q, k, v = self.qkv(x).split(C, dim=2)  # 3 x (B, T, C)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, C/H)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, C/H)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, H, T, C/H)
        mask = None if self.causal or key_mask is None else key_mask[:, None, None, :]  # (B,1,1,T)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, is_causal=self.causal,
            dropout_p=self.dropout if self.training else 0.0
        )  # (B, H, T, C/H)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C)
        return self.resid_drop(self.proj(y))  # (B, T, C)


class CausalSelfAttention(SelfAttention):
    """Multi-head self-attention where position t sees positions <= t."""

    def __init__(self, config: GPTConfig):
        super().__init__(config, causal=True)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(ln(x)), then x + mlp(ln(x)).

    Parameters
    ----------
    config : GPTConfig
    causal : bool, default=True
        Causal or bidirectional attention (:class:`SelfAttention`).
    """

    def __init__(self, config: GPTConfig, causal: bool = True):
        super().__init__()
        self.ln1 = nn.LayerNorm(config.d_model)
        self.attn = SelfAttention(config, causal=causal)
        self.ln2 = nn.LayerNorm(config.d_model)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, 4 * config.d_model),
            nn.GELU(),
            nn.Linear(4 * config.d_model, config.d_model),
            nn.Dropout(config.dropout),
        )

    def forward(self, x, key_mask=None):
        x = x + self.attn(self.ln1(x), key_mask)  # (B, T, C)
        return x + self.mlp(self.ln2(x))  # (B, T, C)


class GPT(nn.Module):
    """Decoder-only transformer language model (nanoGPT's shape, small).

    Parameters
    ----------
    config : GPTConfig

    Examples
    --------
    >>> net = GPT(GPTConfig(vocab_size=10, context_length=8, n_layer=1, n_head=2, d_model=8))
    >>> logits, loss = net(torch.zeros(3, 5, dtype=torch.long))
    >>> tuple(logits.shape), loss is None
    ((3, 5, 10), True)
    """

    #: Whether position t attends to positions <= t only (a subclass may say False).
    causal = True

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.d_model)
        self.pos_emb = nn.Embedding(config.context_length, config.d_model)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config, causal=self.causal)
                                     for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.head.weight = self.tok_emb.weight  # weight tying
        self.apply(self._init_weights)
        for name, p in self.named_parameters():  # GPT-2's scaled init of residual projections
            if name.endswith("proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def hidden(self, idx):
        """Final hidden states (after the last layer norm) of token ids ``idx`` (B, T)."""
        B, T = idx.shape  # (B, T)
        if T > self.config.context_length:
            raise ValueError(f"input of {T} tokens is longer than the context "
                             f"({self.config.context_length}).")
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C)
        key_mask = None if self.causal else idx != PAD_ID  # (B, T)
        for block in self.blocks:
            x = block(x, key_mask)  # (B, T, C)
        return self.ln_f(x)  # (B, T, C)

    def forward(self, idx, targets=None):
        """Token logits (B, T, vocab) and the mean cross-entropy over non-ignored targets.

        For the causal GPT the logits at position t predict token t + 1; for a
        :class:`BidirectionalEncoder` they predict the token at t itself (the
        masked-language-model head).
        """
        logits = self.head(self.hidden(idx))  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                   ignore_index=IGNORE)
        return logits, loss


class BidirectionalEncoder(GPT):
    """BERT-style encoder: the :class:`GPT` network with bidirectional attention.

    Every position attends to every non-padding position (``<pad>`` keys are
    masked out, so the output of a text does not depend on how much padding
    follows it). The head tied to the token embedding gives, at each
    position, logits over the token there: trained on inputs where some
    tokens were replaced by a mask token, with the original tokens as targets
    (``IGNORE`` elsewhere), ``forward`` returns the masked-language-model loss.
    The state dict has the same keys and shapes as a :class:`GPT` of the same
    config.

    Parameters
    ----------
    config : GPTConfig

    Examples
    --------
    >>> net = BidirectionalEncoder(GPTConfig(vocab_size=10, context_length=8, n_layer=1,
    ...                                      n_head=2, d_model=8)).eval()
    >>> a = net.hidden(torch.tensor([[1, 5, 6, 7]]))
    >>> b = net.hidden(torch.tensor([[1, 5, 6, 8]]))  # only the last token differs
    >>> bool(torch.allclose(a[0, 0], b[0, 0]))  # the first position saw it
    False
    """

    causal = False


class PooledClassifierNet(nn.Module):
    """A GPT (or bidirectional encoder) body plus a linear head on the pooled hidden states.

    Parameters
    ----------
    config : GPTConfig
        Shape of the body.
    n_classes : int
    pooling : {"mean", "last", "cls"}
        Mean of the hidden states of the non-padding tokens, the hidden
        state of the last one (which has attended over the whole text in a
        causal body), or of the first one (the ``[CLS]`` position, which has
        attended over the whole text in a bidirectional body only).
    causal : bool, default=True
        The body: a :class:`GPT` or a :class:`BidirectionalEncoder`.

    Examples
    --------
    >>> net = PooledClassifierNet(GPTConfig(vocab_size=10, context_length=8, n_layer=1,
    ...                                     n_head=2, d_model=8), n_classes=3, pooling="mean")
    >>> tuple(net(torch.ones(4, 6, dtype=torch.long)).shape)
    (4, 3)
    """

    def __init__(self, config: GPTConfig, n_classes: int, pooling: str, causal: bool = True):
        super().__init__()
        if pooling not in ("mean", "last", "cls"):
            raise ValueError(f"pooling must be 'mean', 'last' or 'cls', got {pooling!r}.")
        if pooling == "cls" and causal:
            raise ValueError("pooling='cls' needs a bidirectional body (causal=False): in a "
                             "causal one the first position sees only itself.")
        self.body = GPT(config) if causal else BidirectionalEncoder(config)
        self.pooling = pooling
        self.classifier = nn.Linear(config.d_model, n_classes)

    def forward(self, idx):
        h = self.body.hidden(idx)  # (B, T, C)
        mask = (idx != PAD_ID).unsqueeze(-1).to(h.dtype)  # (B, T, 1)
        if self.pooling == "mean":
            pooled = (h * mask).sum(1) / mask.sum(1).clamp_min(1.0)  # (B, C)
        elif self.pooling == "cls":  # the first position has attended over the whole text
            pooled = h[:, 0]  # (B, C)
        else:  # the last real token has attended over the whole text
            last = (idx != PAD_ID).sum(1).clamp_min(1) - 1  # (B,)
            pooled = h[torch.arange(idx.shape[0], device=idx.device), last]  # (B, C)
        return self.classifier(pooled)  # (B, K)
