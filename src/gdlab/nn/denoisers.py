"""Denoising networks of diffusion: epsilon_theta(x_t, t, y) for rows and for images.

The network part of :mod:`gdlab.models.diffusion` (the schedules and samplers
are in :mod:`gdlab.nn.schedules`): a conditioning embedding of the time step
and class, an MLP for tabular rows, a one-level U-net for single-channel
images, and the skip connection :class:`EpsilonHead` that wraps either.

Examples
--------
>>> import torch
>>> net = EpsilonHead(MLPDenoiser(3, (8,), 4, n_classes=0), np.linspace(0.99, 0.01, 10))
>>> net(torch.zeros(2, 3), torch.tensor([0, 9])).shape
torch.Size([2, 3])
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from gdlab.nn.layers import SinusoidalEmbedding, mlp

__all__ = ["Conditioning", "MLPDenoiser", "ConvDenoiser", "EpsilonHead"]


class Conditioning(nn.Module):
    """Time step (and class) -> conditioning vector of size ``dim``.

    ``n_classes > 0`` adds an embedding of ``n_classes + 1`` rows; the last row
    (index ``n_classes``) is the null class of classifier-free guidance.
    """

    def __init__(self, dim: int, n_classes: int):
        super().__init__()
        self.time = nn.Sequential(SinusoidalEmbedding(dim), mlp([dim, dim, dim],
                                                                 activation="silu"))
        self.label = nn.Embedding(n_classes + 1, dim) if n_classes else None

    def forward(self, t: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        # t: (B,) long, y: (B,) long or None -> (B, dim)
        emb = self.time(t)
        if self.label is not None:
            if y is None:
                raise ValueError("a class-conditional denoiser needs labels.")
            emb = emb + self.label(y)
        return F.silu(emb)


class MLPDenoiser(nn.Module):
    """epsilon_theta for rows: linear layers, each shifted by a projection of the conditioning.

    h_{l+1} = silu(W_l h_l + U_l e) (+ h_l when the widths match); out = W_out h_L.
    """

    def __init__(self, n_features: int, hidden_sizes, emb_dim: int, n_classes: int):
        super().__init__()
        sizes = [n_features, *hidden_sizes]
        self.cond = Conditioning(emb_dim, n_classes)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:],
                                                                     strict=True))
        self.shifts = nn.ModuleList(nn.Linear(emb_dim, b) for b in hidden_sizes)
        self.out = nn.Linear(sizes[-1], n_features)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        # x: (B, D), t: (B,), y: (B,) or None -> (B, D)
        e = self.cond(t, y)  # (B, E)
        h = x
        for layer, shift in zip(self.layers, self.shifts, strict=True):
            new = F.silu(layer(h) + shift(e))  # (B, H_l)
            h = h + new if new.shape == h.shape else new
        return self.out(h)


class ConvDenoiser(nn.Module):
    """epsilon_theta for single-channel images with even sides: a one-level U-net.

    conv -> residual conv at full size, stride-2 conv -> residual conv at half
    size, transposed conv back up, concatenation with the full-size skip, conv,
    output conv; the conditioning is added after the first conv of each level.
    """

    def __init__(self, image_shape, channels: int, emb_dim: int, n_classes: int):
        super().__init__()
        h, w = image_shape
        self.image_shape = (int(h), int(w))
        c = int(channels)
        groups = math.gcd(8, c)
        self.cond = Conditioning(emb_dim, n_classes)
        self.inc = nn.Conv2d(1, c, 3, padding=1)
        self.norm_in = nn.GroupNorm(groups, c)
        self.e_in = nn.Linear(emb_dim, c)
        self.res_in = nn.Conv2d(c, c, 3, padding=1)
        self.norm_res_in = nn.GroupNorm(groups, c)
        self.down = nn.Conv2d(c, 2 * c, 4, stride=2, padding=1)
        self.norm_down = nn.GroupNorm(groups, 2 * c)
        self.e_down = nn.Linear(emb_dim, 2 * c)
        self.mid = nn.Conv2d(2 * c, 2 * c, 3, padding=1)
        self.norm_mid = nn.GroupNorm(groups, 2 * c)
        self.up = nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1)
        self.dec = nn.Conv2d(2 * c, c, 3, padding=1)
        self.norm_dec = nn.GroupNorm(groups, c)
        self.e_dec = nn.Linear(emb_dim, c)
        self.outc = nn.Conv2d(c, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        # x: (B, H*W), t: (B,), y: (B,) or None -> (B, H*W)
        e = self.cond(t, y)  # (B, E)
        img = x.view(-1, 1, *self.image_shape)  # (B, 1, H, W)
        h1 = F.silu(self.norm_in(self.inc(img)) + self.e_in(e)[:, :, None, None])  # (B, C, H, W)
        h1 = h1 + F.silu(self.norm_res_in(self.res_in(h1)))  # (B, C, H, W)
        h2 = F.silu(self.norm_down(self.down(h1))
                    + self.e_down(e)[:, :, None, None])  # (B, 2C, H/2, W/2)
        h2 = h2 + F.silu(self.norm_mid(self.mid(h2)))  # (B, 2C, H/2, W/2)
        u = F.silu(self.up(h2))  # (B, C, H, W)
        u = F.silu(self.norm_dec(self.dec(torch.cat([u, h1], dim=1)))
                   + self.e_dec(e)[:, :, None, None])  # (B, C, H, W)
        return self.outc(u).flatten(1)  # (B, H*W)


class EpsilonHead(nn.Module):
    """epsilon_theta(z_t, t, y) = sqrt(1 - a_bar_t) z_t + sqrt(a_bar_t) F(z_t, t, y).

    A skip connection, not another loss: the skip is the exact noise prediction
    for standard normal data, so ``net`` (F) only learns the residual (F is the
    v-prediction of Salimans & Ho, 2022: x_0_hat = sqrt(a_bar_t) z_t - sqrt(1 - a_bar_t) F).
    Near t = T, where the KL weights of the bound are largest, an error of F
    costs sqrt(a_bar_t) ~ 0 in noise, so the bound stays sane there.
    ``alpha_bars`` is rebuilt from the schedule, not saved.
    """

    def __init__(self, net: nn.Module, alpha_bars: np.ndarray):
        super().__init__()
        self.net = net
        self.register_buffer("alpha_bars", torch.as_tensor(np.array(alpha_bars),
                                                           dtype=torch.float32),
                             persistent=False)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | None = None):
        # x: (B, D), t: (B,), y: (B,) or None -> (B, D)
        ab = self.alpha_bars[t][:, None]  # (B, 1)
        return (1 - ab).sqrt() * x + ab.sqrt() * self.net(x, t, y)
