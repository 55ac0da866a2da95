"""Denoising diffusion: an unconditional density and a class-conditional generative classifier.

Three separate pieces (as in diffusers):

- a noise schedule with no weights (:func:`linear_schedule`, :func:`cosine_schedule`,
  in :mod:`gdlab.nn.schedules`),
- a sampler whose ``step`` returns a :class:`StepOutput` (:class:`DDPMSampler`,
  :class:`DDIMSampler`),
- a small denoising network predicting the added noise epsilon_theta(x_t, t, y): an
  MLP for tabular rows or a small U-shaped conv net for single-channel images,
  both conditioned on a sinusoidal time embedding (and a class embedding with an
  extra *null* class for classifier-free guidance), behind a skip connection
  that is exact for Gaussian data (the net learns the residual; see
  :class:`gdlab.nn.denoisers.EpsilonHead`). Training minimizes the simple epsilon-MSE of Ho et al.

:class:`DiffusionModel` is a density over rows (``fit(X)``, ``sample(n)``,
``score_samples``); :class:`ConditionalDiffusion` is one network shared by all
classes, a generative classifier by Bayes' rule over per-class variational bounds.

Data are standardized before diffusion (per feature for the MLP, one global
mean and scale for images with the conv net, so that an image stays an image);
samples are returned in the original units, and the bound on log p(x)
includes the Jacobian ``-sum(log scale_)`` of that change of variables.

The variational bound (Ho et al., 2020, eq. 5), in standardized units z::

    log p(z_0) >= -( KL(q(z_T | z_0) || N(0, I))                       # L_T, closed form
                     + sum_{t=2..T} E_q KL(q(z_{t-1} | z_t, z_0) || p(z_{t-1} | z_t))
                     + E_q[-log p(z_0 | z_1)] )                          # L_0

The reverse kernels are Gaussians with the network's posterior-mean estimate
(x_0 predicted from the noise estimate) and the posterior variance
beta_tilde_t, the kernels the DDPM sampler draws from, so the bound is on the
density of the model that ``sampler="ddpm"`` samples from without guidance
and without clipping: clipping x_0 (``clip_denoised``) is a sampling
heuristic (as in DDPM and diffusers) that would give every row outside the
training range a density of almost zero, so the bound leaves it out. The decoder
p(z_0 | z_1) is a continuous Gaussian N(x_0_hat, beta_1 I): the posterior
variance at t = 1 is 0, so the decoder takes the forward variance of that
step, which is about Var[z_0 | z_1] for any smooth density (the clipped
posterior variance of improved-diffusion, beta_tilde_2, is looser by up to
half a nat per feature). With these fixed variances the bound is not tight
even for a perfect denoiser: on standardized Gaussian data and T = 200 the
gap is about 0.6-0.9 nats per feature (the first, coarsest steps).
The sum over t is estimated on ``n_elbo_steps`` stratified steps (one step
drawn uniformly per stratum, weighted by the stratum size: unbiased) with one
noise draw per step. Each row's steps and noise come from a generator seeded
by the model's ``random_state`` (0 when it is not an int) and the row's bytes,
so scores are deterministic, do not depend on which other rows are in X, and
the classes of one row are compared with common random numbers.
``n_elbo_steps=None`` uses all ``T`` steps.
"""

from __future__ import annotations

import math
import numbers
import zlib

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._param_checks import (
    check_bool,
    check_fraction,
    check_in,
    check_int,
    check_positive,
    check_priors,
)
from gdlab._validation import check_X, check_X_y
from gdlab.base import DensityMixin, GenerativeClassifierMixin
from gdlab.nn import TorchEstimatorMixin, check_image_shape, check_layer_sizes
from gdlab.nn.denoisers import ConvDenoiser, EpsilonHead, MLPDenoiser
from gdlab.nn.schedules import (
    DDIMSampler,
    DDPMSampler,
    Schedule,
    StepOutput,
    cosine_schedule,
    linear_schedule,
    named_schedule,
)

__all__ = [
    "DiffusionModel",
    "ConditionalDiffusion",
    "Schedule",
    "StepOutput",
    "linear_schedule",
    "cosine_schedule",
    "DDPMSampler",
    "DDIMSampler",
]

#: Rows denoised together when sampling (bounds memory, not results).
_SAMPLE_CHUNK = 4096


#: ``__init__`` settings shared by DiffusionModel and ConditionalDiffusion.
_DIFFUSION_PARAMS = ("n_steps", "schedule", "sampler", "sampling_steps", "eta", "architecture",
                     "image_shape", "hidden_sizes", "channels", "time_embedding_dim",
                     "clip_denoised", "n_elbo_steps")


# ------------------------------------------------------------------- shared estimator


class _DiffusionBase(TorchEstimatorMixin):
    """What the density and the classifier share.

    Checks, standardizing, training, sampling and the variational bound;
    subclasses say how many classes the network knows (``_n_net_classes``).
    """

    # ------------------------------------------------------------------ checks
    def _check_params(self) -> None:
        T = check_int(self.n_steps, "n_steps", minimum=2)  # noqa: N806
        check_in(self.schedule, "schedule", {"cosine", "linear"})
        check_in(self.sampler, "sampler", {"ddpm", "ddim"})
        if self.sampling_steps is not None:
            steps = check_int(self.sampling_steps, "sampling_steps")
            if self.sampler == "ddpm":
                raise ValueError("sampling_steps is for sampler='ddim' (DDPM visits all "
                                 f"n_steps={T} steps); got sampling_steps={steps}.")
            if steps > T:
                raise ValueError(f"sampling_steps must be at most n_steps={T}, got {steps}.")
        check_positive(self.eta, "eta", allow_zero=True)
        check_in(self.architecture, "architecture", {"mlp", "conv"})
        check_layer_sizes(self.hidden_sizes, "hidden_sizes")
        check_int(self.channels, "channels")
        dim = check_int(self.time_embedding_dim, "time_embedding_dim", minimum=2)
        if dim % 2:
            raise ValueError(f"time_embedding_dim must be even, got {dim}.")
        if self.architecture == "conv" and self.image_shape is None:
            raise ValueError("architecture='conv' needs image_shape=(height, width).")
        check_bool(self.clip_denoised, "clip_denoised")
        if self.n_elbo_steps is not None:
            check_int(self.n_elbo_steps, "n_elbo_steps")

    def _check_image(self, n_features: int) -> None:
        if self.image_shape is not None:
            check_image_shape(n_features, self.image_shape)

    def _check_whole_rows(self, X: np.ndarray) -> None:
        """Draws are of whole rows: X (of the draw mixins) must be all NaN."""
        if not np.isnan(X).all():
            raise ValueError(f"{type(self).__name__} samples whole rows only; it cannot draw "
                             "missing entries given observed ones (no missing_features).")

    # ---------------------------------------------------------------- pieces
    def _schedule(self) -> Schedule:
        return named_schedule(self.schedule, self.n_steps)

    def _make_sampler(self):
        """The sampler of the ``sampler`` setting, clipping x_0 to the training range."""
        clip = None
        if self.clip_denoised:
            clip = (self._tensor(self.clip_low_), self._tensor(self.clip_high_))
        if self.sampler == "ddim":
            steps = self.sampling_steps if self.sampling_steps is not None else \
                min(50, self.n_steps)
            return DDIMSampler(self._schedule(), steps, self.eta, clip_sample=clip)
        return DDPMSampler(self._schedule(), clip_sample=clip)

    def _hidden(self) -> tuple[int, ...]:
        return check_layer_sizes(self.hidden_sizes, "hidden_sizes")

    def _n_net_classes(self) -> int:
        return 0

    def _build_module(self) -> nn.Module:
        k = self._n_net_classes()
        if self.architecture == "conv":
            shape = check_image_shape(self.n_features_in_, self.image_shape)
            net = ConvDenoiser(shape, self.channels, self.time_embedding_dim, k)
        else:
            net = MLPDenoiser(self.n_features_in_, self._hidden(), self.time_embedding_dim, k)
        return EpsilonHead(net, self._schedule().alpha_bars)

    # --------------------------------------------------------- standardizing
    def _fit_standardizer(self, X: np.ndarray) -> np.ndarray:
        """Store ``mean_``, ``scale_`` and the clip range; return standardized X (float32)."""
        # images share one scale over their pixels
        Z = self._fit_standardization(X, per_feature=self.architecture != "conv")
        self.clip_low_, self.clip_high_ = Z.min(axis=0), Z.max(axis=0)
        self._record_range(X)
        return Z.astype(np.float32)

    # --------------------------------------------------------------- training
    def _fit_network(self, Z: np.ndarray, y_idx: np.ndarray | None):
        """Train the denoiser on standardized rows with the simple epsilon-MSE loss."""
        T = self.n_steps  # noqa: N806
        abars = self._schedule().alpha_bars
        cache: dict = {}
        null = self._n_net_classes()
        p_uncond = float(getattr(self, "p_uncond", 0.0))

        def table(like):
            if like.device not in cache:
                cache[like.device] = torch.as_tensor(np.array(abars), dtype=torch.float32,
                                                     device=like.device)
            return cache[like.device]

        def eps_mse(module, batch, generator=None):
            z0 = batch[0]  # (B, D)
            n = z0.shape[0]
            t = torch.randint(0, T, (n,), device=z0.device, generator=generator)  # (B,)
            eps = torch.randn(z0.shape, device=z0.device, generator=generator)  # (B, D)
            abar = table(z0)[t][:, None]  # (B, 1)
            zt = abar.sqrt() * z0 + (1 - abar).sqrt() * eps
            y = None
            if null:
                y = batch[1]
                if module.training and p_uncond > 0:
                    drop = torch.rand(n, device=z0.device) < p_uncond
                    y = torch.where(drop, torch.full_like(y, null), y)
            return ((module(zt, t, y) - eps) ** 2).mean()

        def eval_loss(module, batch):
            # the same noise at every epoch (common random numbers), so early stopping
            # compares the network, not the draws
            gen = torch.Generator(device=batch[0].device).manual_seed(0)
            return eps_mse(module, batch, gen)

        data = (torch.as_tensor(Z),)
        if null:
            data = data + (torch.as_tensor(y_idx, dtype=torch.long),)
        return self._train(data, eps_mse, eval_loss=eval_loss)

    # ---------------------------------------------------------------- sampling
    def _guided_eps(self, x, t: int, y):
        """Noise estimate at step t; classifier-free guidance when ``guidance_scale != 1``."""
        tt = torch.full((x.shape[0],), int(t), dtype=torch.long, device=x.device)
        if y is None:
            return self.module_(x, tt, None)
        scale = float(getattr(self, "guidance_scale", 1.0))
        if scale == 1.0:
            return self.module_(x, tt, y)
        null = torch.full_like(y, self._n_net_classes())
        both = self.module_(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null]))
        eps_c, eps_u = both.chunk(2)
        return eps_u + scale * (eps_c - eps_u)

    @torch.no_grad()
    def _generate(self, n: int, y_idx: np.ndarray | None, rng) -> np.ndarray:
        """``n`` samples in original units (float64), reverse process from pure noise."""
        self._check_params()  # sampling settings may have changed since fit (set_params)
        self.module_.eval()
        gen = self._generator(rng)
        sampler = self._make_sampler()
        device = gen.device
        d = self.n_features_in_
        out = []
        for start in range(0, n, _SAMPLE_CHUNK):
            m = min(_SAMPLE_CHUNK, n - start)
            x = torch.randn((m, d), generator=gen, device=device)  # x_T: (m, D)
            y = None if y_idx is None else torch.as_tensor(
                y_idx[start:start + m], dtype=torch.long, device=device)
            for t in sampler.timesteps():
                x = sampler.step(self._guided_eps(x, int(t), y), int(t), x, gen).prev_sample
            out.append(x.to("cpu", torch.float64).numpy())
        X = np.concatenate(out) * self.scale_ + self.mean_
        # x_0 was clipped in float32 standardized units: clip again in the original ones,
        # where the range is exact (the float32 round trip overshoots it by ~1e-7)
        return self._clip_to_range(X) if self.clip_denoised else X

    # ----------------------------------------------------------- variational bound
    def _elbo_draws(self, Z: np.ndarray, n_elbo_steps):
        """Per-row steps (n, J) and noise (n, J, D), and stratum weights (J,).

        Column 0 is step 0 (the decoder term L_0, always evaluated); the others
        are one step drawn uniformly from each of ``J - 1`` equal strata of
        ``1 .. T-1`` (all of them when ``n_elbo_steps`` is None or >= T - 1),
        weighted by the stratum size. Each row's draws come from a generator
        seeded by the model's seed and the row's bytes, so a row always gets the
        same draws, whatever else is in X.
        """
        T = self.n_steps  # noqa: N806
        seed = int(self.random_state) if isinstance(self.random_state, numbers.Integral) else 0
        inner = np.arange(1, T)  # the KL terms (paper's t = 2 .. T)
        full = n_elbo_steps is None or n_elbo_steps >= T - 1
        strata = [inner[i:i + 1] for i in range(T - 1)] if full else \
            np.array_split(inner, n_elbo_steps)
        lows = np.array([st[0] for st in strata])
        sizes = np.array([len(st) for st in strata])
        weights = np.append(1.0, sizes.astype(np.float64))
        n, d = Z.shape
        steps = np.zeros((n, len(strata) + 1), dtype=np.int64)
        noise = np.empty((n, len(strata) + 1, d))
        for i, row in enumerate(np.ascontiguousarray(Z)):
            rng = np.random.default_rng([seed, zlib.crc32(row.astype(np.float32).tobytes())])
            steps[i, 1:] = lows + (0 if full else rng.integers(0, sizes))
            noise[i] = rng.standard_normal((len(strata) + 1, d))
        return steps, weights, noise

    def _neg_elbo(self, z0, y, steps, weights, noise) -> torch.Tensor:
        """-ELBO (nats) of standardized rows.

        z0 : (m, D) float64, y : (m,) long or None, steps : (m, J) long,
        weights : (J,) float, noise : (m, J, D) float64 -> (m,) float64.
        """
        sched = self._schedule()
        ab_T = float(sched.alpha_bars[-1])  # noqa: N806
        # L_T = KL(N(sqrt(ab_T) z0, (1 - ab_T) I) || N(0, I))
        total = 0.5 * (ab_T * z0**2 - ab_T - math.log1p(-ab_T)).sum(dim=1)
        dec_var = float(sched.betas[0])
        tab = {name: torch.as_tensor(np.array(getattr(sched, name)), dtype=z0.dtype,
                                     device=z0.device)
               for name in ("alpha_bars", "posterior_mean_coef1", "posterior_variance")}
        for j, w in enumerate(weights.tolist()):
            t = steps[:, j]  # (m,)
            ab = tab["alpha_bars"][t][:, None]  # (m, 1)
            zt = ab.sqrt() * z0 + (1 - ab).sqrt() * noise[:, j]  # (m, D)
            eps_hat = self.module_(zt.float(), t, y).double()
            x0 = (zt - (1 - ab).sqrt() * eps_hat) / ab.sqrt()  # unclipped (see module doc)
            sq = ((z0 - x0) ** 2).sum(dim=1)  # (m,)
            if j == 0:  # L_0 = -log N(z0; x0_hat, beta_1 I)
                total = total + 0.5 * (sq / dec_var
                                       + z0.shape[1] * math.log(2 * math.pi * dec_var))
            else:  # KL of two Gaussians of variance beta_tilde_t: c1^2 |z0 - x0_hat|^2 / 2 var
                c1 = tab["posterior_mean_coef1"][t]
                total = total + w * c1**2 * sq / (2 * tab["posterior_variance"][t])
        return total

    def _elbo_rows(self, X: np.ndarray, n_classes: int, n_elbo_steps) -> np.ndarray:
        """ELBO of log p(x | y=k), shape (n, n_classes); one column when unconditional."""
        Z = self._standardize(X)
        log_jac = -float(np.log(self.scale_).sum())
        k = max(n_classes, 1)
        bs = max(1, 4096 // k)
        out = []
        for start in range(0, Z.shape[0], bs):  # draws made per chunk: memory stays bounded
            steps, weights, noise = self._elbo_draws(Z[start:start + bs], n_elbo_steps)
            z = torch.as_tensor(Z[start:start + bs], dtype=torch.float64, device=self.device_)
            t = torch.as_tensor(steps, device=self.device_)
            e = torch.as_tensor(noise, dtype=torch.float64, device=self.device_)
            m = z.shape[0]
            with torch.no_grad():
                if n_classes == 0:
                    neg = self._neg_elbo(z, None, t, weights, e)[:, None]
                else:  # every row once per class, with the same draws (common random numbers)
                    y = torch.arange(n_classes, device=z.device).repeat(m)  # (m*K,)
                    neg = self._neg_elbo(z.repeat_interleave(k, 0), y,
                                         t.repeat_interleave(k, 0), weights,
                                         e.repeat_interleave(k, 0)).view(m, n_classes)
            out.append(neg.cpu().numpy())
        return log_jac - np.concatenate(out)

    def elbo(self, X, *, n_elbo_steps="default") -> np.ndarray:
        """Evidence lower bound on log p(x) (unconditional) or log p(x | y=k) per class.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        n_elbo_steps : int, None or "default"
            Timesteps of the estimate; ``"default"`` uses the ``n_elbo_steps``
            setting, None all ``T`` steps.

        Returns
        -------
        ndarray of shape (n_samples,) for :class:`DiffusionModel`, (n_samples, n_classes)
        for :class:`ConditionalDiffusion`.
        """
        check_is_fitted(self)
        Xv = self._validate_X_predict(X)
        if isinstance(n_elbo_steps, str) and n_elbo_steps == "default":
            n_elbo_steps = self.n_elbo_steps
        elif n_elbo_steps is not None:
            check_int(n_elbo_steps, "n_elbo_steps")
        out = self._elbo_rows(Xv, self._n_net_classes(), n_elbo_steps)
        return out[:, 0] if self._n_net_classes() == 0 else out


_COMMON_DOC = """    n_steps : int, default=200
        T, the number of diffusion steps.
    schedule : {"cosine", "linear"}, default="cosine"
        Noise schedule: Nichol & Dhariwal's cosine, or Ho et al.'s linear one with
        its ends (1e-4, 0.02) rescaled by 1000 / T.
    sampler : {"ddpm", "ddim"}, default="ddpm"
        Ancestral DDPM over all T steps, or DDIM on ``sampling_steps`` steps.
    sampling_steps : int, optional
        DDIM steps (default min(50, T)); only with ``sampler="ddim"``.
    eta : float >= 0, default=0.0
        DDIM stochasticity (0: deterministic given the starting noise).
    architecture : {"mlp", "conv"}, default="mlp"
        Denoiser: an MLP over rows, or a small U-shaped conv net over images
        (needs ``image_shape``).
    image_shape : (height, width), optional
        Rows are flattened single-channel images of this shape (even sides).
    hidden_sizes : tuple of int, default=(128, 128, 128)
        Widths of the MLP denoiser.
    channels : int, default=32
        Channels of the conv denoiser (twice as many at half resolution).
    time_embedding_dim : int, default=64
        Size of the sinusoidal time (and class) embedding; even.
    clip_denoised : bool, default=True
        While sampling, clip every x_0 prediction to the per-feature range of the
        training data (not in the bound; see the module docstring), and the
        returned samples to ``data_min_``, ``data_max_``: samples of bounded data
        stay in its range. False leaves both unclipped.
    n_elbo_steps : int or None, default=50
        Timesteps of the variational-bound estimate behind ``score_samples``
        (stratified, see the module docstring); None uses all T steps. The cost
        of scoring is about ``n_elbo_steps`` network passes per row (and class).
    max_epochs : int, default=200
    batch_size : int, default=128
    lr : float, default=1e-3
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.1
        Held-out rows for early stopping on the (fixed-noise) epsilon-MSE.
    patience : int or None, default=20
    device : str, default="auto"
    random_state : int, RandomState or None, default=None
        Seeds training; an int also seeds the steps and noise of the bound
        estimate (0 otherwise).
    verbose : bool, default=False
"""


class DiffusionModel(DensityMixin, _DiffusionBase, BaseEstimator):
    """Denoising diffusion density over rows (DDPM / DDIM sampling, ELBO scores).

    Parameters
    ----------
%(common)s
    Attributes
    ----------
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization (z = (x - mean_) / scale_).
    clip_low_, clip_high_ : ndarray of shape (n_features,)
        Range of the standardized training data (x_0 clipping).
    data_min_, data_max_ : ndarray of shape (n_features,)
        The same range in the original units (samples are clipped to it).
    module_ : torch.nn.Module
        The trained denoiser.
    history_ : list of dict
        Per-epoch training and validation losses.

    Notes
    -----
    ``score_samples`` is a lower bound on log p(x) (capability ``density_bound``),
    not the density itself; see the module docstring for the estimator.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.RandomState(0).normal(size=(64, 2))
    >>> model = DiffusionModel(n_steps=20, hidden_sizes=(16,), max_epochs=2,
    ...                        n_elbo_steps=4, random_state=0).fit(X)
    >>> model.sample(3, random_state=0).shape
    (3, 2)
    >>> model.score_samples(X[:2]).shape
    (2,)
    """

    _gdlab_capabilities = frozenset({"density_bound", "sample"})

    def __init__(self, *, n_steps=200, schedule="cosine", sampler="ddpm", sampling_steps=None,
                 eta=0.0, architecture="mlp", image_shape=None, hidden_sizes=(128, 128, 128),
                 channels=32, time_embedding_dim=64, clip_denoised=True, n_elbo_steps=50,
                 max_epochs=200, batch_size=128, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=20, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), _DIFFUSION_PARAMS)
        self._set_training_params(locals())

    def fit(self, X, y=None):
        """Fit the denoiser on the rows of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        X = check_X(self, X, reset=True, allow_nan=False)
        if X.shape[0] < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 rows, got "
                             f"{X.shape[0]} sample.")
        self._check_image(X.shape[1])
        Z = self._fit_standardizer(X)
        return self._fit_network(Z, None)

    def _log_density(self, X: np.ndarray) -> np.ndarray:
        return self._elbo_rows(X, 0, self.n_elbo_steps)[:, 0]

    def _draw(self, X: np.ndarray, rng) -> np.ndarray:
        self._check_whole_rows(X)
        return self._generate(X.shape[0], None, rng)


DiffusionModel.__doc__ = DiffusionModel.__doc__.replace("%(common)s", _COMMON_DOC)


class ConditionalDiffusion(GenerativeClassifierMixin, _DiffusionBase, BaseEstimator):
    """Class-conditional denoising diffusion with classifier-free guidance.

    One denoiser epsilon_theta(x_t, t, y) for all classes, trained with label
    dropout (``p_uncond``: the label is replaced by a null class) so that the
    same network also estimates the unconditional noise. Sampling with
    ``guidance_scale = s`` uses eps = eps_uncond + s (eps_cond - eps_uncond)
    (Ho & Salimans' (1 + w) eps_cond - w eps_uncond with w = s - 1): s = 1 is
    the plain conditional model, s > 1 pushes samples toward their class, s = 0
    ignores the label. Classification is Bayes' rule over per-class bounds:
    log p(x, y=k) ~ log p(y=k) + ELBO(x | y=k) (no guidance; a bound, so
    ``density_bound``). Each prediction costs ``n_elbo_steps x n_classes``
    network passes per row: much slower than a discriminative network.

    Parameters
    ----------
%(common)s    p_uncond : float in [0, 1), default=0.1
        Probability of dropping the label during training (needed for guidance).
    guidance_scale : float >= 0, default=1.0
        Classifier-free guidance at sampling (only; ``set_params`` changes it
        without refitting). Values other than 1 need ``p_uncond > 0``.
    priors : array-like of shape (n_classes,), optional
        Class prior; the class frequencies when None.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Training rows per class.
    n_features_in_ : int
    mean_, scale_, clip_low_, clip_high_, data_min_, data_max_ : ndarray of shape (n_features,)
        See :class:`DiffusionModel`.
    module_ : torch.nn.Module
    history_ : list of dict

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.RandomState(0)
    >>> y = np.repeat([0, 1], 32)
    >>> X = rng.normal(size=(64, 2)) + 3 * y[:, None]
    >>> clf = ConditionalDiffusion(n_steps=20, hidden_sizes=(16,), max_epochs=2,
    ...                            n_elbo_steps=4, random_state=0).fit(X, y)
    >>> Xs, ys = clf.sample(4, y=1, random_state=0)
    >>> Xs.shape, ys.tolist()
    ((4, 2), [1, 1, 1, 1])
    >>> clf.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    _gdlab_capabilities = frozenset({"classify", "density_bound", "sample",
                                     "conditional_sample"})

    def __init__(self, *, n_steps=200, schedule="cosine", sampler="ddpm", sampling_steps=None,
                 eta=0.0, architecture="mlp", image_shape=None, hidden_sizes=(128, 128, 128),
                 channels=32, time_embedding_dim=64, clip_denoised=True, n_elbo_steps=50,
                 p_uncond=0.1, guidance_scale=1.0, priors=None, max_epochs=200,
                 batch_size=128, lr=1e-3, weight_decay=0.0, validation_fraction=0.1,
                 patience=20, device="auto", random_state=None, verbose=False):
        self._set_params(locals(), _DIFFUSION_PARAMS)
        self.p_uncond = p_uncond
        self.guidance_scale = guidance_scale
        self.priors = priors
        self._set_training_params(locals())

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # a bound-based Bayes classifier from a few epochs of a noisy loss does not reach
        # scikit-learn's 0.83 accuracy bar on its tiny check data
        tags.classifier_tags.poor_score = True
        return tags

    def _check_guidance(self) -> float:
        scale = check_positive(self.guidance_scale, "guidance_scale", allow_zero=True)
        if scale != 1.0 and self.p_uncond == 0:
            raise ValueError(f"guidance_scale={self.guidance_scale} needs an unconditional "
                             "model: train with p_uncond > 0 (got p_uncond=0).")
        return scale

    def _n_net_classes(self) -> int:
        return len(self.classes_)

    def fit(self, X, y):
        """Fit the shared denoiser on labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self
        """
        self._check_params()
        check_fraction(self.p_uncond, "p_uncond")
        self._check_guidance()
        X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=False)
        priors = check_priors(self.priors, len(classes))
        self._check_image(X.shape[1])
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)), priors)
        Z = self._fit_standardizer(X)
        return self._fit_network(Z, y_idx)

    def _log_likelihood(self, X: np.ndarray) -> np.ndarray:
        """Per-class ELBO of log p(x | y=k); the mixin adds the log prior."""
        return self._elbo_rows(X, len(self.classes_), self.n_elbo_steps)

    def _conditional_draw(self, X: np.ndarray, y_idx: np.ndarray, rng) -> np.ndarray:
        self._check_whole_rows(X)
        self._check_guidance()
        return self._generate(X.shape[0], np.asarray(y_idx), rng)


ConditionalDiffusion.__doc__ = ConditionalDiffusion.__doc__.replace("%(common)s", _COMMON_DOC)
