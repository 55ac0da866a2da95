"""The two players of gdlab's GANs: a generator and a projection discriminator.

The networks of :mod:`gdlab.models.gan` (the estimators ``GAN`` and
``ConditionalGAN`` stay there): an MLP or conv generator from noise (and a
class embedding), a discriminator whose class conditioning is a projection
(Miyato & Koyama, 2018), and :class:`GANNet` holding both in one state dict.

Examples
--------
>>> import torch
>>> g = Generator(3, 2, (8,), "mlp", None, 4, n_classes=2)
>>> d = Discriminator(3, (8,), "mlp", None, 4, spectral_norm=False, n_classes=2)
>>> y = torch.tensor([0, 1])
>>> tuple(d(g(torch.zeros(2, 2), y), y).shape)
(2,)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from gdlab.nn.layers import ConvDecoder, ConvEncoder, mlp

__all__ = ["Generator", "Discriminator", "GANNet"]


class Generator(nn.Module):
    """Noise (and a class embedding) -> a row in standardized units."""

    def __init__(self, n_features: int, latent_dim: int, hidden, architecture: str,
                 image_shape, channels: int, n_classes: int = 0):
        super().__init__()
        self.embed = nn.Embedding(n_classes, latent_dim) if n_classes else None
        in_features = latent_dim * (2 if n_classes else 1)
        if architecture == "conv":
            self.net = ConvDecoder(in_features, image_shape, channels)
        else:
            self.net = mlp([in_features, *hidden, n_features], activation="relu")

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # z: (B, latent), y: (B,) class indices -> (B, n_features)
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        return self.net(z)


class Discriminator(nn.Module):
    """A row (and a class) -> real-vs-fake logit; projection conditioning."""

    def __init__(self, n_features: int, hidden, architecture: str, image_shape,
                 channels: int, spectral_norm: bool, n_classes: int = 0):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        width = int(hidden[-1])
        if architecture == "conv":
            self.features = ConvEncoder(image_shape, width, channels, spectral_norm=spectral_norm)
        else:
            self.features = mlp([n_features, *hidden], activation="leaky_relu",
                                spectral_norm=spectral_norm)
        self.head = sn(nn.Linear(width, 1))
        self.embed = sn(nn.Embedding(n_classes, width)) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # x: (B, n_features) -> phi: (B, width) -> logit: (B,)
        phi = F.leaky_relu(self.features(x), 0.2)
        logit = self.head(phi).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(y) * phi).sum(dim=1)
        return logit


class GANNet(nn.Module):
    """The generator and the discriminator, as one module (one state dict)."""

    def __init__(self, generator: Generator, discriminator: Discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
