"""Networks of gdlab's discriminative torch classifiers (MLP, CNN, GRU).

Each maps inputs to class logits; the estimators that train them
(``MLPClassifier``, ``CNNClassifier`` in :mod:`gdlab.models.networks`,
``GRUClassifier`` in :mod:`gdlab.models.rnn`) stay there.

Examples
--------
>>> import torch
>>> net = GRUNet(n_inputs=2, n_classes=3, hidden_size=4, num_layers=1, bidirectional=False,
...              dropout=0.0, n_symbols=None, embedding_dim=8)
>>> tuple(net(torch.zeros(5, 7, 2), torch.full((5,), 7)).shape)
(5, 3)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from gdlab.nn.layers import ACTIVATIONS, ConvEncoder

__all__ = ["BodyHeadClassifier", "ConvBody", "GRUNet"]


class BodyHeadClassifier(nn.Module):
    """``body`` (rows -> last hidden activations) then a linear ``head`` (-> logits)."""

    def __init__(self, body: nn.Module, head: nn.Module):
        super().__init__()
        self.body = body
        self.head = head

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The features the head reads; x: (batch, n_features) -> (batch, width)."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, n_features) -> (batch, n_classes) logits
        return self.head(self.embed(x))


class ConvBody(nn.Module):
    """ConvEncoder to ``hidden`` units, then activation and dropout."""

    def __init__(self, image_shape, hidden: int, channels: int, activation: str,
                 dropout: float):
        super().__init__()
        self.encoder = ConvEncoder(image_shape, hidden, channels=channels)
        self.act = ACTIVATIONS[activation]()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x: (batch, h*w) -> (batch, hidden)
        return self.drop(self.act(self.encoder(x)))



class GRUNet(nn.Module):
    """Embedding (symbols) or identity (vectors) -> GRU -> linear head on the last hidden state.

    ``forward(x, lengths)``: ``x`` of shape (B, T, d) float, or (B, T) long
    symbol codes; ``lengths`` (B,) long, each >= 1. Returns logits (B, K).
    """

    def __init__(self, *, n_inputs: int, n_classes: int, hidden_size: int, num_layers: int,
                 bidirectional: bool, dropout: float, n_symbols: int | None,
                 embedding_dim: int):
        super().__init__()
        self.embed = None if n_symbols is None else nn.Embedding(n_symbols, embedding_dim)
        self.gru = nn.GRU(embedding_dim if n_symbols is not None else n_inputs, hidden_size,
                          num_layers=num_layers, batch_first=True, bidirectional=bidirectional,
                          dropout=dropout if num_layers > 1 else 0.0)
        self.n_directions = 2 if bidirectional else 1
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size * self.n_directions, n_classes)

    def forward(self, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        if self.embed is not None:
            x = self.embed(x)  # (B, T, E)
        packed = pack_padded_sequence(x, lengths.to("cpu", torch.int64), batch_first=True,
                                      enforce_sorted=False)
        _, h = self.gru(packed)  # (layers * dirs, B, H), in the order of the batch
        B, H = h.shape[1], h.shape[2]
        last = h.view(self.gru.num_layers, self.n_directions, B, H)[-1]  # (dirs, B, H)
        last = last.transpose(0, 1).reshape(B, self.n_directions * H)  # (B, dirs * H)
        return self.head(self.drop(last))  # (B, K)
