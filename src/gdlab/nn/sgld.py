"""Stochastic gradient Langevin dynamics (SGLD) on an unnormalized log-density.

:func:`sgld` moves points uphill on a differentiable score ``s(x)`` (an
unnormalized log-density, e.g. a classifier's ``logsumexp`` of logits read as
an energy-based model) with Gaussian noise::

    x_{t+1} = clip(x_t + step_size * grad_x s(x_t) + noise * eps_t),   eps_t ~ N(0, I)

As in Grathwohl et al. (2020) and Du & Mordatch (2019), the step size and the
noise are set separately (the exact Langevin pairing ``noise = sqrt(2 *
step_size)`` mixes far too slowly for short chains), so a short run is a
*sampler of convenience*: it ends near the modes of ``s``, not at exact draws
from ``exp(s) / Z``. :class:`ReplayBuffer` keeps the chains' end points between
calls (persistent contrastive divergence), which is what lets few steps per
call still explore.

Examples
--------
>>> import torch
>>> score = lambda x: -0.5 * ((x - 3.0) ** 2).sum(dim=1)  # log N(3, 1), unnormalized
>>> g = torch.Generator().manual_seed(0)
>>> x = sgld(score, torch.zeros(256, 2), n_steps=50, step_size=0.1, noise=0.01, generator=g)
>>> bool((x.mean(dim=0) - 3.0).abs().max() < 0.1)
True
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["sgld", "ReplayBuffer"]


def sgld(score: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, *, n_steps: int,
         step_size: float, noise: float, lower: torch.Tensor | None = None,
         upper: torch.Tensor | None = None, generator: torch.Generator | None = None
         ) -> torch.Tensor:
    """Run ``n_steps`` of SGLD uphill on ``score`` from ``x``.

    Parameters
    ----------
    score : callable
        ``score(x) -> Tensor of shape (n,)``, differentiable in ``x``; only
        its gradient with respect to ``x`` is taken (parameters of the network
        behind it get no gradient).
    x : torch.Tensor of shape (n, d)
        Starting points (not modified).
    n_steps : int
        Steps; 0 returns a detached copy of ``x``.
    step_size : float
        Multiplies the gradient.
    noise : float
        Standard deviation of the Gaussian noise added at every step.
    lower, upper : torch.Tensor of shape (d,), optional
        Each step is clipped into ``[lower, upper]`` (both or neither).
    generator : torch.Generator, optional
        Source of the noise (on ``x``'s device); default torch's global one.

    Returns
    -------
    torch.Tensor of shape (n, d)
        The end points, detached.
    """
    if (lower is None) != (upper is None):
        raise ValueError("sgld needs both lower and upper bounds, or neither.")
    x = x.detach().clone()
    with torch.enable_grad():
        for _ in range(int(n_steps)):
            x.requires_grad_(True)
            (grad,) = torch.autograd.grad(score(x).sum(), x)  # (n, d)
            eps = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x = (x + step_size * grad + noise * eps).detach()
            if lower is not None:
                x = torch.maximum(torch.minimum(x, upper), lower)
    return x


class ReplayBuffer:
    """Persistent SGLD chains: draw starting points, most from past end points.

    Parameters
    ----------
    size : int
        Chains kept.
    lower, upper : torch.Tensor of shape (d,)
        Fresh chains start uniformly in ``[lower, upper]`` (the range of the
        training rows), and the buffer starts full of such points.
    reinit_prob : float in [0, 1]
        Chance that a drawn chain is replaced by a fresh uniform start.

    Notes
    -----
    Random draws use torch's global generator, which the one training loop
    seeds (:class:`gdlab.nn.Trainer`), so a seeded fit is reproducible.
    """

    def __init__(self, size: int, lower: torch.Tensor, upper: torch.Tensor, reinit_prob: float):
        self.lower, self.upper = lower, upper
        self.reinit_prob = float(reinit_prob)
        self.chains = self.uniform(int(size))  # (size, d)

    def uniform(self, n: int) -> torch.Tensor:
        """``n`` points uniform in the box ``[lower, upper]``."""
        u = torch.rand((n, self.lower.shape[0]), device=self.lower.device, dtype=self.lower.dtype)
        return self.lower + u * (self.upper - self.lower)

    def draw(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Starting points of ``n`` chains and their slots in the buffer.

        Returns
        -------
        x : torch.Tensor of shape (n, d)
        slots : torch.Tensor of shape (n,)
            Where :meth:`store` writes the chains' end points back.
        """
        slots = torch.randint(0, len(self.chains), (n,), device=self.chains.device)
        x = self.chains[slots]
        fresh = torch.rand(n, device=x.device) < self.reinit_prob  # (n,)
        x = torch.where(fresh[:, None], self.uniform(n), x)
        return x, slots

    def store(self, x: torch.Tensor, slots: torch.Tensor) -> None:
        """Write end points back to their slots."""
        self.chains[slots] = x.detach()
