"""The two players of gdlab's GANs: a generator and a projection discriminator.

The networks of :mod:`gdlab.models.gan` (the estimators ``GAN``,
``ConditionalGAN`` and ``SemiSupervisedGAN`` stay there): an MLP or conv
generator from noise (and a class embedding), a discriminator whose class
conditioning is a projection (Miyato & Koyama, 2018), the K-class
discriminator of the semi-supervised GAN (:class:`ClassDiscriminator`,
Salimans et al., 2016), and :class:`GANNet` holding both players in one
state dict.

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

__all__ = ["Generator", "BatchNormGenerator", "Discriminator", "ClassDiscriminator",
           "GaussianNoise", "GANNet"]


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


class BatchNormGenerator(nn.Module):
    """Noise -> a row: the semi-supervised GAN's generator (Salimans et al., 2016).

    Each hidden layer is linear, batch normalization, softplus; the output
    layer is linear (standardized units). Batch normalization needs two or
    more rows per training batch.
    """

    def __init__(self, n_features: int, latent_dim: int, hidden):
        super().__init__()
        layers: list[nn.Module] = []
        width = int(latent_dim)
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.BatchNorm1d(int(h)), nn.Softplus()]
            width = int(h)
        layers.append(nn.Linear(width, int(n_features)))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # z: (B, latent) -> (B, n_features)
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


class GaussianNoise(nn.Module):
    """Adds N(0, std^2) noise to its input in training mode; the identity in eval mode."""

    def __init__(self, std: float):
        super().__init__()
        self.std = float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0.0:
            return x
        return x + self.std * torch.randn_like(x)


class ClassDiscriminator(nn.Module):
    """A row -> K class logits, the discriminator (and classifier) of a semi-supervised GAN.

    Salimans et al. (2016): the (K+1)-th logit, "generated", is fixed at 0, so
    with ``Z = sum_k exp(l_k)`` the probability that a row is real is
    ``Z / (Z + 1)`` and, given real, its class is ``softmax(l)``. Layers as in
    their MNIST model: Gaussian noise on the input and after every hidden
    layer (training only), weight-normalized linear layers (Salimans & Kingma,
    2016), ReLU, optional dropout.

    Parameters
    ----------
    n_features : int
    hidden : tuple of int
        Hidden layer sizes; the last hidden layer's activations are the
        features of the generator's feature-matching loss.
    n_classes : int
    input_noise, hidden_noise : float
        Standard deviations of the Gaussian noise (in standardized units).
    dropout : float
        Dropout after each hidden layer.
    weight_norm : bool
        Weight-normalize every linear layer.
    """

    def __init__(self, n_features: int, hidden, n_classes: int, input_noise: float,
                 hidden_noise: float, dropout: float, weight_norm: bool):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm if weight_norm else (lambda m: m)
        self.input_noise = GaussianNoise(input_noise)
        self.hidden = nn.ModuleList()
        self.noise = nn.ModuleList()
        sizes = [int(n_features), *(int(h) for h in hidden)]
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            self.hidden.append(wn(nn.Linear(a, b)))
            self.noise.append(nn.Sequential(GaussianNoise(hidden_noise), nn.Dropout(dropout)))
        self.head = wn(nn.Linear(sizes[-1], int(n_classes)))

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits and the last hidden layer's activations (before its noise)."""
        # x: (B, n_features) -> h: (B, hidden[-1]) -> logits: (B, K)
        h = self.input_noise(x)
        features = h
        for layer, noise in zip(self.hidden, self.noise, strict=True):
            features = F.relu(layer(h))
            h = noise(features)
        return self.head(h), features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]


class GANNet(nn.Module):
    """The generator and the discriminator, as one module (one state dict)."""

    def __init__(self, generator: Generator, discriminator: Discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
