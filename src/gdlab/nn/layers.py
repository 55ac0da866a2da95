"""Small torch building blocks shared by gdlab's networks.

- :func:`mlp`: a multilayer perceptron from a list of sizes.
- :class:`ConvEncoder` / :class:`ConvDecoder`: small conv nets for single-channel
  images whose sides are even (8x8 digits, 28x28), flattened rows in and out.
- :class:`SinusoidalEmbedding`: the transformer / diffusion-time embedding.
- :func:`check_image_shape`: the one check that flattened rows fit an image shape.
- :func:`check_layer_sizes`: the one check of a ``hidden`` setting (layer widths).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["mlp", "ConvEncoder", "ConvDecoder", "SinusoidalEmbedding", "check_image_shape",
           "check_layer_sizes", "ACTIVATIONS"]

#: Activation names accepted by :func:`mlp`.
ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh,
               "leaky_relu": lambda: nn.LeakyReLU(0.2), "elu": nn.ELU}


def _activation(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}.")
    return ACTIVATIONS[name]()


def mlp(sizes: Sequence[int], *, activation: str = "relu", dropout: float = 0.0,
        spectral_norm: bool = False) -> nn.Sequential:
    """Linear layers of the given sizes with an activation between them (none after the last).

    Parameters
    ----------
    sizes : sequence of int
        ``[in, hidden..., out]``; at least two entries.
    activation : str, default="relu"
        One of :data:`ACTIVATIONS`.
    dropout : float, default=0.0
        Dropout after each hidden activation.
    spectral_norm : bool, default=False
        Wrap every linear layer in spectral normalization (GAN discriminators).

    Returns
    -------
    torch.nn.Sequential

    Examples
    --------
    >>> net = mlp([4, 8, 2])
    >>> net(torch.zeros(3, 4)).shape
    torch.Size([3, 2])
    """
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2 or any(s < 1 for s in sizes):
        raise ValueError(f"sizes must list at least two positive ints, got {sizes}.")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        lin = nn.Linear(a, b)
        layers.append(nn.utils.parametrizations.spectral_norm(lin) if spectral_norm else lin)
        if i < len(sizes) - 2:
            layers.append(_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def check_image_shape(n_features: int, image_shape) -> tuple[int, int]:
    """Check that rows of ``n_features`` values are flattened ``image_shape`` images.

    Parameters
    ----------
    n_features : int
    image_shape : tuple of (height, width)
        Both even (the conv nets halve them once).

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        When ``height * width != n_features`` or a side is odd.
    """
    try:
        h, w = (int(v) for v in image_shape)
    except (TypeError, ValueError) as err:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}.") from err
    if h * w != n_features:
        raise ValueError(f"images of shape {(h, w)} have {h * w} pixels, but X has "
                         f"{n_features} features per row.")
    if h < 2 or w < 2 or h % 2 or w % 2:
        raise ValueError(f"image sides must be even and >= 2, got {(h, w)}.")
    return h, w


def check_layer_sizes(value, name: str, *, allow_int: bool = True) -> tuple[int, ...]:
    """Hidden layer sizes as a tuple: a non-empty tuple or list of positive ints (or one int).

    Parameters
    ----------
    value : int, tuple or list of int
        The setting as the user gave it.
    name : str
        The setting's name, for the error message (``"hidden"``, ``"hidden_sizes"``).
    allow_int : bool, default=True
        Whether one int ``h`` stands for ``(h,)``; False refuses it.

    Returns
    -------
    tuple of int

    Raises
    ------
    ValueError
        When ``value`` is not such a tuple (an empty one, a bool, a size below 1).

    Examples
    --------
    >>> check_layer_sizes(16, "hidden"), check_layer_sizes([32, 8], "hidden")
    ((16,), (32, 8))
    """
    sizes = value
    if allow_int and isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    if (not isinstance(sizes, (tuple, list)) or not sizes
            or any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1
                   for h in sizes)):
        raise ValueError(f"{name} must be a non-empty tuple of positive ints, got {value!r}.")
    return tuple(int(h) for h in sizes)


class ConvEncoder(nn.Module):
    """Flattened single-channel images -> vector: conv, stride-2 conv, linear.

    Parameters
    ----------
    image_shape : (height, width)
    out_features : int
    channels : int, default=32
    extra_features : int, default=0
        Size of a vector (e.g. a class embedding) concatenated before the linear layer.
    spectral_norm : bool, default=False
    """

    def __init__(self, image_shape, out_features: int, channels: int = 32,
                 extra_features: int = 0, spectral_norm: bool = False):
        super().__init__()
        h, w = (int(v) for v in image_shape)
        self.image_shape = (h, w)
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        self.conv = nn.Sequential(
            sn(nn.Conv2d(1, channels, 3, padding=1)), nn.LeakyReLU(0.2),
            sn(nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1)), nn.LeakyReLU(0.2),
        )
        self.head = sn(nn.Linear(2 * channels * (h // 2) * (w // 2) + extra_features,
                                 out_features))

    def forward(self, x: torch.Tensor, extra: torch.Tensor | None = None) -> torch.Tensor:
        # x: (batch, h*w) -> (batch, 1, h, w) -> (batch, 2c, h/2, w/2) -> (batch, out)
        z = self.conv(x.view(-1, 1, *self.image_shape)).flatten(1)
        if extra is not None:
            z = torch.cat([z, extra], dim=1)
        return self.head(z)


class ConvDecoder(nn.Module):
    """Vector -> flattened single-channel images: linear, transposed conv, conv.

    Parameters
    ----------
    in_features : int
    image_shape : (height, width)
    channels : int, default=32
    """

    def __init__(self, in_features: int, image_shape, channels: int = 32):
        super().__init__()
        h, w = (int(v) for v in image_shape)
        self.image_shape = (h, w)
        self.channels = channels
        self.fc = nn.Linear(in_features, 2 * channels * (h // 2) * (w // 2))
        self.deconv = nn.Sequential(
            nn.ReLU(),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(channels, 1, 3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # z: (batch, in) -> (batch, 2c, h/2, w/2) -> (batch, 1, h, w) -> (batch, h*w)
        h, w = self.image_shape
        x = self.fc(z).view(-1, 2 * self.channels, h // 2, w // 2)
        return self.deconv(x).flatten(1)


class SinusoidalEmbedding(nn.Module):
    """Fixed sinusoidal embedding of a scalar (a diffusion time step or a position).

    Parameters
    ----------
    dim : int
        Even embedding size.
    max_period : float, default=10000.0
    """

    def __init__(self, dim: int, max_period: float = 10000.0):
        super().__init__()
        if dim < 2 or dim % 2:
            raise ValueError(f"dim must be an even int >= 2, got {dim}.")
        half = dim // 2
        freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
        self.register_buffer("freqs", freqs, persistent=False)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        # t: (batch,) -> (batch, dim)
        args = t.float()[:, None] * self.freqs[None, :]
        return torch.cat([torch.sin(args), torch.cos(args)], dim=1)
