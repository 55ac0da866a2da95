"""Noise schedules (pure functions) and samplers (DDPM, DDIM) of denoising diffusion.

A :class:`Schedule` holds the forward-process variances of a diffusion with
``T`` steps as numpy float64 arrays; index ``i = 0 .. T-1`` is the paper's
step ``t = i + 1`` (Ho et al., 2020), so ``alpha_bars[i] = prod_{j <= i} (1 - betas[j])``
is the signal kept at step ``t = i + 1``. Schedules carry no weights and no
device; samplers turn them into torch tensors on the device of the sample.

A sampler walks the reverse process one step at a time:
``step(model_output, t, x_t, generator) -> StepOutput(prev_sample, pred_original_sample)``,
where ``model_output`` is the network's noise prediction epsilon_theta(x_t, t).

- :class:`DDPMSampler`: ancestral sampling with the posterior variance
  ``beta_tilde_t`` (Ho et al., 2020, eq. 6-7), every one of the ``T`` steps.
- :class:`DDIMSampler`: the non-Markovian sampler of Song et al. (2021) on
  ``n_steps`` evenly spaced steps; ``eta=0`` is deterministic given ``x_T``,
  ``eta=1`` has DDPM's variance.

Examples
--------
>>> sched = cosine_schedule(100)
>>> sched.betas.shape, bool(sched.alpha_bars[-1] < 1e-3)
((100,), True)
>>> DDIMSampler(sched, n_steps=5).timesteps().tolist()
[99, 74, 50, 25, 0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from gdlab._param_checks import check_fraction, check_int, check_positive

__all__ = [
    "Schedule",
    "linear_schedule",
    "cosine_schedule",
    "named_schedule",
    "StepOutput",
    "DDPMSampler",
    "DDIMSampler",
]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Forward-process variances of a diffusion with ``T`` steps (numpy float64).

    Parameters
    ----------
    betas : ndarray of shape (T,)
        beta_t, the variance of the noise added at step t (entries in (0, 1)).

    Attributes
    ----------
    alphas : ndarray of shape (T,)
        1 - beta_t.
    alpha_bars : ndarray of shape (T,)
        Cumulative product of ``alphas``: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps.
    alpha_bars_prev : ndarray of shape (T,)
        alpha_bar_{t-1}, with alpha_bar_0 = 1.
    posterior_variance : ndarray of shape (T,)
        beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t), the variance of
        q(x_{t-1} | x_t, x_0) (0 at t = 1).
    posterior_mean_coef1, posterior_mean_coef2 : ndarray of shape (T,)
        The mean of q(x_{t-1} | x_t, x_0) is ``coef1 * x_0 + coef2 * x_t``.
    """

    betas: np.ndarray

    def __post_init__(self):
        betas = np.asarray(self.betas, dtype=np.float64)
        if betas.ndim != 1 or betas.size < 1:
            raise ValueError(f"betas must be a non-empty 1-D array, got shape {betas.shape}.")
        if not np.isfinite(betas).all() or (betas <= 0).any() or (betas >= 1).any():
            raise ValueError("betas must lie in the open interval (0, 1).")
        betas = betas.copy()
        betas.setflags(write=False)
        object.__setattr__(self, "betas", betas)
        derived = {}
        derived["alphas"] = 1.0 - betas
        derived["alpha_bars"] = np.cumprod(derived["alphas"])
        derived["alpha_bars_prev"] = np.append(1.0, derived["alpha_bars"][:-1])
        one_minus = 1.0 - derived["alpha_bars"]
        derived["posterior_variance"] = betas * (1.0 - derived["alpha_bars_prev"]) / one_minus
        derived["posterior_mean_coef1"] = betas * np.sqrt(derived["alpha_bars_prev"]) / one_minus
        derived["posterior_mean_coef2"] = ((1.0 - derived["alpha_bars_prev"])
                                           * np.sqrt(derived["alphas"]) / one_minus)
        for name, value in derived.items():
            value.setflags(write=False)
            object.__setattr__(self, name, value)

    @property
    def T(self) -> int:  # noqa: N802 - the paper's name
        """int: number of diffusion steps."""
        return int(self.betas.shape[0])


def linear_schedule(T: int, beta_start: float = 1e-4, beta_end: float = 0.02) -> Schedule:  # noqa: N803
    """Betas rising linearly from ``beta_start`` to ``beta_end`` (Ho et al., 2020).

    Ho et al. used ``T = 1000`` with the defaults; for a shorter chain scale
    both ends by ``1000 / T`` so that alpha_bar_T is still close to 0 (as
    :class:`gdlab.models.ConditionalDiffusion` does).

    Parameters
    ----------
    T : int
        Number of steps (>= 1).
    beta_start, beta_end : float in (0, 1)
        First and last beta.

    Returns
    -------
    Schedule

    Examples
    --------
    >>> linear_schedule(3, 0.1, 0.3).betas.tolist()
    [0.1, 0.2, 0.3]
    """
    T = check_int(T, "T")  # noqa: N806
    beta_start = check_fraction(beta_start, "beta_start", allow_zero=False)
    beta_end = check_fraction(beta_end, "beta_end", allow_zero=False)
    return Schedule(np.linspace(beta_start, beta_end, T, dtype=np.float64))


def cosine_schedule(T: int, s: float = 0.008, max_beta: float = 0.999) -> Schedule:  # noqa: N803
    """The cosine schedule of Nichol & Dhariwal (2021).

    alpha_bar(t) = f(t) / f(0) with f(t) = cos(((t / T + s) / (1 + s)) * pi / 2)^2, and
    beta_t = min(1 - alpha_bar(t) / alpha_bar(t - 1), max_beta), clipped at 0.999 as in
    the paper to avoid a singularity at t = T. The returned ``alpha_bars`` are the
    cumulative product of the clipped betas (equal to f(t) / f(0) wherever no clipping
    happened, i.e. everywhere but the last steps).

    Parameters
    ----------
    T : int
        Number of steps (>= 1).
    s : float, default=0.008
        Offset that keeps beta_1 from being too small near t = 0.
    max_beta : float in (0, 1), default=0.999

    Returns
    -------
    Schedule

    Examples
    --------
    >>> sched = cosine_schedule(10)
    >>> bool(np.all(np.diff(sched.betas) > 0))
    True
    """
    T = check_int(T, "T")  # noqa: N806
    s = check_positive(s, "s", allow_zero=True)
    max_beta = check_fraction(max_beta, "max_beta", allow_zero=False)

    def f(t):
        return np.cos((t / T + s) / (1 + s) * math.pi / 2) ** 2

    t = np.arange(T + 1, dtype=np.float64)
    abar = f(t) / f(0.0)
    betas = np.minimum(1.0 - abar[1:] / abar[:-1], max_beta)
    return Schedule(betas)


def named_schedule(name: str, T: int) -> Schedule:  # noqa: N803
    """The schedule a diffusion model names: ``"cosine"``, or ``"linear"`` rescaled to ``T``.

    The linear schedule keeps Ho et al.'s ends for ``T = 1000`` and rescales
    them by ``1000 / T`` (capped at 0.5 and 0.999) so fewer steps still
    destroy the signal.

    Parameters
    ----------
    name : {"cosine", "linear"}
    T : int
        Number of diffusion steps.

    Returns
    -------
    Schedule

    Examples
    --------
    >>> float(named_schedule("linear", 100).betas[-1])
    0.2
    """
    if name == "cosine":
        return cosine_schedule(T)
    scale = 1000.0 / T
    return linear_schedule(T, min(1e-4 * scale, 0.5), min(0.02 * scale, 0.999))


@dataclass(frozen=True)
class StepOutput:
    """What one reverse step returns.

    Attributes
    ----------
    prev_sample : torch.Tensor of shape (n, d)
        x_{t-1} (x_0 after the last step).
    pred_original_sample : torch.Tensor of shape (n, d)
        The network's estimate of x_0 at this step (clipped when the sampler clips).
    """

    prev_sample: torch.Tensor
    pred_original_sample: torch.Tensor


class _Sampler:
    """What DDPM and DDIM share: tensors of the schedule, x_0 prediction and clipping.

    Parameters
    ----------
    schedule : Schedule
    clip_sample : tuple of (low, high) or None
        Bounds (floats or tensors broadcastable to a sample) that each x_0
        prediction is clipped to; None does not clip.
    """

    def __init__(self, schedule: Schedule, *, clip_sample=None):
        if not isinstance(schedule, Schedule):
            raise TypeError(f"schedule must be a Schedule, got {type(schedule).__name__}.")
        if clip_sample is not None and (not isinstance(clip_sample, (tuple, list))
                                        or len(clip_sample) != 2):
            raise ValueError(f"clip_sample must be None or (low, high), got {clip_sample!r}.")
        self.schedule = schedule
        self.clip_sample = clip_sample
        self._cache: dict = {}

    def _table(self, name: str, like: torch.Tensor) -> torch.Tensor:
        """A schedule array as a tensor on the device and dtype of ``like`` (cached)."""
        key = (name, like.device, like.dtype)
        if key not in self._cache:
            values = np.array(getattr(self.schedule, name))  # a writable copy
            self._cache[key] = torch.as_tensor(values, dtype=like.dtype, device=like.device)
        return self._cache[key]

    def _check_t(self, t) -> int:
        if isinstance(t, torch.Tensor):
            t = int(t.item())
        t = check_int(t, "t", minimum=0)
        if t >= self.schedule.T:
            raise ValueError(f"t must be a step in [0, {self.schedule.T - 1}], got {t}.")
        return t

    def predict_original(self, model_output: torch.Tensor, t: int,
                         x_t: torch.Tensor) -> torch.Tensor:
        """x_0 from x_t and the predicted noise: (x_t - sqrt(1 - a_bar_t) eps) / sqrt(a_bar_t).

        Clipped to ``clip_sample`` when set.
        """
        abar = self._table("alpha_bars", x_t)[t]
        x0 = (x_t - torch.sqrt(1 - abar) * model_output) / torch.sqrt(abar)
        return self.clip(x0)

    def clip(self, x0: torch.Tensor) -> torch.Tensor:
        """Clip an x_0 estimate to ``clip_sample`` (unchanged when it is None)."""
        if self.clip_sample is None:
            return x0
        low, high = (torch.as_tensor(b, dtype=x0.dtype, device=x0.device)
                     for b in self.clip_sample)
        return torch.maximum(torch.minimum(x0, high), low)

    def posterior_mean(self, x0: torch.Tensor, t: int, x_t: torch.Tensor) -> torch.Tensor:
        """Mean of q(x_{t-1} | x_t, x_0): coef1_t x_0 + coef2_t x_t."""
        c1 = self._table("posterior_mean_coef1", x_t)[t]
        c2 = self._table("posterior_mean_coef2", x_t)[t]
        return c1 * x0 + c2 * x_t

    def timesteps(self) -> np.ndarray:
        """Steps visited, from noise to data (descending ints)."""
        raise NotImplementedError

    @staticmethod
    def _noise(x_t: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """Standard normal noise of x_t's shape, device and dtype, drawn from ``generator``."""
        return torch.randn(x_t.shape, generator=generator, device=x_t.device, dtype=x_t.dtype)

    def step(self, model_output, t, x_t, generator=None) -> StepOutput:
        """One reverse step from x_t (see the module docstring)."""
        raise NotImplementedError


class DDPMSampler(_Sampler):
    """Ancestral sampling of Ho et al. (2020) over all ``T`` steps.

    x_{t-1} = mu_tilde_t(x_0_hat, x_t) + sqrt(beta_tilde_t) z, z ~ N(0, I) (no noise at the
    last step), with x_0_hat predicted from the noise estimate.

    Parameters
    ----------
    schedule : Schedule
    clip_sample : tuple of (low, high) or None, default=None
        Clip the x_0 predictions (see :meth:`predict_original`).

    Examples
    --------
    >>> sampler = DDPMSampler(linear_schedule(4, 0.1, 0.4))
    >>> x = torch.zeros(2, 3)
    >>> out = sampler.step(torch.zeros(2, 3), 0, x)
    >>> out.prev_sample.shape
    torch.Size([2, 3])
    """

    def timesteps(self) -> np.ndarray:
        """``T-1, T-2, ..., 0``."""
        return np.arange(self.schedule.T - 1, -1, -1)

    def step(self, model_output: torch.Tensor, t, x_t: torch.Tensor,
             generator: torch.Generator | None = None) -> StepOutput:
        """Draw x_{t-1} ~ p(x_{t-1} | x_t).

        Parameters
        ----------
        model_output : torch.Tensor of shape (n, d)
            Predicted noise epsilon_theta(x_t, t).
        t : int
            Current step index (0-based).
        x_t : torch.Tensor of shape (n, d)
        generator : torch.Generator, optional
            Source of the added noise (same generator state, same draw).

        Returns
        -------
        StepOutput
        """
        t = self._check_t(t)
        x0 = self.predict_original(model_output, t, x_t)
        mean = self.posterior_mean(x0, t, x_t)
        if t == 0:
            return StepOutput(mean, x0)
        var = self._table("posterior_variance", x_t)[t]
        return StepOutput(mean + torch.sqrt(var) * self._noise(x_t, generator), x0)


class DDIMSampler(_Sampler):
    """Denoising diffusion implicit models (Song et al., 2021) on ``n_steps`` steps.

    With a_t = alpha_bar_t and s the previous visited step (a_s = 1 after the last),
    x_s = sqrt(a_s) x_0_hat + sqrt(1 - a_s - sigma^2) eps_hat + sigma z with
    sigma = eta sqrt((1 - a_s) / (1 - a_t)) sqrt(1 - a_t / a_s).

    Parameters
    ----------
    schedule : Schedule
    n_steps : int, default=50
        Steps visited (at most ``T``), evenly spaced from ``T-1`` down to 0.
    eta : float >= 0, default=0.0
        0: deterministic given x_T; 1: the DDPM variance.
    clip_sample : tuple of (low, high) or None, default=None
        Clip the x_0 predictions; the noise estimate is then recomputed from the
        clipped x_0 so that the step stays consistent.

    Examples
    --------
    >>> sampler = DDIMSampler(cosine_schedule(20), n_steps=4)
    >>> sampler.timesteps().tolist()
    [19, 13, 6, 0]
    """

    def __init__(self, schedule: Schedule, n_steps: int = 50, eta: float = 0.0, *,
                 clip_sample=None):
        super().__init__(schedule, clip_sample=clip_sample)
        n_steps = check_int(n_steps, "n_steps")
        if n_steps > schedule.T:
            raise ValueError(f"n_steps must be at most the schedule's T={schedule.T}, "
                             f"got {n_steps}.")
        self.n_steps = n_steps
        self.eta = check_positive(eta, "eta", allow_zero=True)
        # spaced from T-1 down ("trailing"), so every schedule starts from pure noise at
        # T-1, also with one step (a grid starting at 0 would make that step t=0)
        steps = np.unique(np.round(np.linspace(schedule.T - 1, 0, n_steps,
                                               endpoint=n_steps > 1)).astype(int))
        self._steps = steps[::-1].copy()
        self._prev = {int(t): (int(steps[i - 1]) if i > 0 else -1) for i, t in enumerate(steps)}

    def timesteps(self) -> np.ndarray:
        """``n_steps`` evenly spaced steps from ``T-1`` down to 0."""
        return self._steps.copy()

    def step(self, model_output: torch.Tensor, t, x_t: torch.Tensor,
             generator: torch.Generator | None = None) -> StepOutput:
        """Move from step ``t`` to the previous visited step (see the class docstring).

        Parameters
        ----------
        model_output : torch.Tensor of shape (n, d)
            Predicted noise epsilon_theta(x_t, t).
        t : int
            One of :meth:`timesteps`.
        x_t : torch.Tensor of shape (n, d)
        generator : torch.Generator, optional
            Used only when ``eta > 0``.

        Returns
        -------
        StepOutput
        """
        t = self._check_t(t)
        if t not in self._prev:
            raise ValueError(f"t={t} is not one of this DDIM sampler's timesteps "
                             f"{self._steps.tolist()}.")
        abars = self._table("alpha_bars", x_t)
        a_t = abars[t]
        prev = self._prev[t]
        a_s = abars[prev] if prev >= 0 else torch.ones((), dtype=x_t.dtype, device=x_t.device)
        x0 = self.predict_original(model_output, t, x_t)
        eps = (x_t - torch.sqrt(a_t) * x0) / torch.sqrt(1 - a_t) \
            if self.clip_sample is not None else model_output
        sigma = self.eta * torch.sqrt((1 - a_s) / (1 - a_t)) * torch.sqrt(1 - a_t / a_s)
        direction = torch.sqrt(torch.clamp(1 - a_s - sigma**2, min=0.0)) * eps
        prev_sample = torch.sqrt(a_s) * x0 + direction
        if self.eta > 0 and prev >= 0:
            prev_sample = prev_sample + sigma * self._noise(x_t, generator)
        return StepOutput(prev_sample, x0)
