"""Generative adversarial networks: :class:`GAN` and the class-conditional :class:`ConditionalGAN`.

A generator ``G`` maps noise ``z ~ N(0, I)`` (and, for the conditional model,
a class label) to a row; a discriminator ``D`` outputs a logit that a row is
real rather than generated. Both are trained with the non-saturating loss of
Goodfellow et al. (2014)::

    D minimizes  softplus(-D(x)) + softplus(D(G(z)))     (x real, G(z) fake)
    G minimizes  softplus(-D(G(z)))

stabilized by the R1 gradient penalty ``gamma / 2 * E ||grad_x D(x)||^2`` on
real rows (Mescheder et al., 2018; the default), by spectral normalization of
the discriminator's layers (Miyato et al., 2018), or by both. The conditional discriminator
is a projection discriminator (Miyato & Koyama, 2018):
``D(x, y) = w . phi(x) + b + embed(y) . phi(x)``; the conditional generator
takes ``[z, embed(y)]``.

What a GAN is and is not: it samples, but its density is implicit, so it has
no ``score_samples`` and no ``log_joint``; its capability tags say only
``sample`` (and ``conditional_sample``). A conditional GAN does not classify:
without a likelihood there is no Bayes' rule. The trained discriminator is
exposed as :meth:`GAN.discriminator_score`, a real-vs-fake logit (higher =
more data-like) that can serve as a real-vs-generated score. It is *not* a
density: it is trained to tell data from the current generator's output, so
it is only meaningful where the data and the generator put their mass; far
from them it can score nonsense higher than data (measured on digits, see
:meth:`GAN.discriminator_score`).

Inputs are standardized with the training mean and standard deviation (a
constant column keeps scale 1); the networks work in standardized units and
``sample`` returns rows in the original units, clipped per feature to the
range seen in ``fit`` (``data_min_``, ``data_max_``): the generator's linear
output is unbounded, and samples of bounded data (pixels 0..16, counts) must
not take values the data can never have. A GAN has no validation loss
to stop on (the losses of a two-player game do not measure sample quality),
so ``validation_fraction`` must be 0 and ``patience`` None; training runs
``max_epochs`` epochs and keeps the final weights.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._validation import (
    check_in,
    check_int,
    check_n_samples,
    check_positive,
    check_random_state,
    check_X,
    check_X_y,
)
from gdlab.base import CapabilityMixin, class_indices_for_sampling, class_prior_from_counts
from gdlab.nn.estimator import TorchEstimatorMixin
from gdlab.nn.gan import Discriminator, GANNet, Generator
from gdlab.nn.layers import check_image_shape
from gdlab.nn.training import weight_decay_groups

__all__ = ["GAN", "ConditionalGAN"]

ARCHITECTURES = ("mlp", "conv")
STABILIZERS = ("spectral_norm", "r1", "both")


# ----------------------------------------------------------------------------- estimators


class _BaseGAN(CapabilityMixin, TorchEstimatorMixin, BaseEstimator):
    """Shared hyper-parameter checks, training step, sampling and pickling of both GANs."""

    _conditional = False

    def __init__(self, *, latent_dim=16, hidden=(128, 128), architecture="mlp", image_shape=None,
                 channels=32, stabilizer="r1", r1_gamma=1.0, n_critic=1, lr_d=None,
                 betas=(0.5, 0.999), max_epochs=200, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.0, patience=None, device="auto", random_state=None,
                 verbose=False):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.architecture = architecture
        self.image_shape = image_shape
        self.channels = channels
        self.stabilizer = stabilizer
        self.r1_gamma = r1_gamma
        self.n_critic = n_critic
        self.lr_d = lr_d
        self.betas = betas
        self._set_training_params(locals())

    # ------------------------------------------------------------- parameters
    def _check_params(self) -> None:
        check_int(self.latent_dim, "latent_dim")
        hidden = self.hidden
        if (not isinstance(hidden, (tuple, list)) or not hidden
                or any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1
                       for h in hidden)):
            raise ValueError(f"hidden must be a non-empty tuple of positive ints, got {hidden!r}.")
        check_in(self.architecture, "architecture", ARCHITECTURES)
        check_in(self.stabilizer, "stabilizer", STABILIZERS)
        check_positive(self.r1_gamma, "r1_gamma", allow_zero=self.stabilizer == "spectral_norm")
        check_int(self.n_critic, "n_critic")
        check_int(self.channels, "channels")
        if self.lr_d is not None:
            check_positive(self.lr_d, "lr_d")
        betas = self.betas
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or any(isinstance(b, bool) or not isinstance(b, numbers.Real)
                       or not 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}.")
        if self.architecture == "conv" and self.image_shape is None:
            raise ValueError("architecture='conv' needs image_shape=(height, width), got None.")
        if self.validation_fraction != 0:
            raise ValueError(
                f"{type(self).__name__} needs validation_fraction=0, got "
                f"{self.validation_fraction!r}: the losses of a GAN's two-player game do not "
                "measure sample quality, so there is no validation loss to stop on or to pick "
                "weights by.")
        if self.patience is not None:
            raise ValueError(
                f"{type(self).__name__} needs patience=None (no early stopping: there is no "
                f"validation loss), got {self.patience!r}.")
        self._train_config()  # the shared training settings raise on bad values here

    def _check_image_shape(self) -> None:
        if self.image_shape is not None:
            check_image_shape(self.n_features_in_, self.image_shape)

    def _n_classes(self) -> int:
        return len(self.classes_) if self._conditional else 0

    def _build_module(self) -> nn.Module:
        kw = dict(hidden=tuple(int(h) for h in self.hidden), architecture=self.architecture,
                  image_shape=self.image_shape, channels=int(self.channels),
                  n_classes=self._n_classes())
        generator = Generator(self.n_features_in_, int(self.latent_dim), **kw)
        discriminator = Discriminator(self.n_features_in_,
                                       spectral_norm=self.stabilizer in ("spectral_norm", "both"),
                                       **kw)
        return GANNet(generator, discriminator)

    # --------------------------------------------------------------- training
    def _standardize_fit(self, X: np.ndarray) -> torch.Tensor:
        self._record_range(X)
        return torch.as_tensor(self._fit_standardization(X), dtype=torch.float32)

    def _optimizers(self, module: GANNet):
        def adam(params, lr):
            if self.weight_decay > 0:
                return torch.optim.AdamW(weight_decay_groups(params, self.weight_decay), lr=lr,
                                         betas=tuple(self.betas))
            return torch.optim.Adam(params, lr=lr, betas=tuple(self.betas))

        lr_d = self.lr if self.lr_d is None else self.lr_d
        return [adam(module.generator.parameters(), self.lr),
                adam(module.discriminator.parameters(), lr_d)]

    def _step(self, module, batch, optimizers, backward) -> dict[str, torch.Tensor]:
        """One generator update after ``n_critic`` discriminator updates on the batch.

        Each discriminator update draws fresh noise; fake rows of the
        conditional model carry the labels of the real batch.
        """
        opt_g, opt_d = optimizers
        G, D = module.generator, module.discriminator
        x = batch[0]
        y = batch[1] if self._conditional else None
        yy = None if y is None else torch.cat([y, y])
        n = x.shape[0]
        r1 = self.stabilizer in ("r1", "both")
        latent = int(self.latent_dim)
        for _ in range(int(self.n_critic)):
            with torch.no_grad():
                fake = G(torch.randn(n, latent, device=x.device), y)
            real = x.detach().requires_grad_(r1)
            logits = D(torch.cat([real, fake]), yy)  # (2B,): real rows first
            d_real, d_fake = logits[:n], logits[n:]
            d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            loss = d_loss
            penalty = torch.zeros((), device=x.device)
            if r1:
                (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
                penalty = grad.pow(2).sum(dim=1).mean()
                loss = loss + 0.5 * self.r1_gamma * penalty
            opt_d.zero_grad(set_to_none=True)
            backward(loss)
            opt_d.step()
        D.requires_grad_(False)
        try:
            fake = G(torch.randn(n, latent, device=x.device), y)
            g_loss = F.softplus(-D(fake, y)).mean()
            opt_g.zero_grad(set_to_none=True)
            backward(g_loss)
            opt_g.step()
        finally:
            D.requires_grad_(True)
        return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
                "d_real": torch.sigmoid(d_real).mean().detach(),
                "d_fake": torch.sigmoid(d_fake).mean().detach(), "r1": penalty.detach()}

    def _fit_tensors(self, data) -> None:
        self._check_image_shape()
        self._train(data, step=self._step, optimizers=self._optimizers)

    # -------------------------------------------------------------- inference
    def _generate(self, z: torch.Tensor, y_idx: np.ndarray | None) -> np.ndarray:
        G = self.module_.generator
        if y_idx is None:
            out = self._batched(G, z)
        else:
            out = self._batched(G, z, torch.as_tensor(y_idx, dtype=torch.long, device=z.device))
        return self._clip_to_range(out * self.scale_ + self.mean_)

    def _noise(self, n: int, random_state) -> torch.Tensor:
        gen = self._generator(random_state)
        return torch.randn(n, int(self.latent_dim), generator=gen, device=gen.device)

    # ------------------------------------------------------------- pickling


class GAN(_BaseGAN):
    """Generative adversarial network (non-saturating loss, spectral norm and/or R1).

    An unsupervised sampler: ``fit(X)`` then ``sample(n)``. Its density is
    implicit, so it has no ``score_samples``; the trained discriminator is
    available as :meth:`discriminator_score` (a real-vs-fake logit; among data-like
    rows a score of realism, not a log density). See the module docstring for the
    losses and stabilizers.

    Parameters
    ----------
    latent_dim : int, default=16
        Size of the noise vector z ~ N(0, I).
    hidden : tuple of int, default=(128, 128)
        Hidden layer sizes of the generator and the discriminator (MLPs). With
        ``architecture="conv"`` only ``hidden[-1]`` is used: the size of the
        discriminator's feature vector.
    architecture : {"mlp", "conv"}, default="mlp"
        ``"conv"`` uses :class:`gdlab.nn.ConvDecoder` / :class:`gdlab.nn.ConvEncoder`
        on single-channel images of ``image_shape`` (rows are flattened images).
    image_shape : tuple of (height, width), optional
        Required with ``"conv"``; when given it must match ``n_features``.
    channels : int, default=32
        Base number of channels of the conv nets.
    stabilizer : {"spectral_norm", "r1", "both"}, default="r1"
        Spectral normalization of every discriminator layer, the R1 gradient
        penalty on real rows, or both. On 8x8 digits (MLP, 300 epochs) R1 gave
        a Frechet distance of 67 against 498 with spectral norm and 335 with
        both (spectral norm makes the MLP discriminator too weak there).
    r1_gamma : float, default=1.0
        Weight gamma of the R1 penalty ``gamma / 2 * E ||grad_x D(x)||^2`` (in
        standardized units); unused with ``"spectral_norm"``.
    n_critic : int, default=1
        Discriminator updates per generator update (each on the same real
        batch with fresh noise).
    lr_d : float, optional
        Learning rate of the discriminator; None uses ``lr`` (both players).
    betas : tuple of two floats, default=(0.5, 0.999)
        Adam's betas for both players (AdamW when ``weight_decay > 0``).
    max_epochs : int, default=200
    batch_size : int, default=64
    lr : float, default=1e-3
        Learning rate of the generator (and of the discriminator unless ``lr_d``).
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
        Must be 0: a GAN has no validation loss (see the module docstring).
    patience : None, default=None
        Must be None: no early stopping.
    device : str, default="auto"
    random_state : int, RandomState or None, default=None
        Seeds initialization and training.
    verbose : bool, default=False

    Attributes
    ----------
    module_ : torch.nn.Module
        ``module_.generator`` and ``module_.discriminator``.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of the inputs.
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature range of the training rows; samples are clipped to it.
    history_ : list of dict
        Per epoch: ``train_d_loss``, ``train_g_loss`` (the two losses above),
        ``train_d_real`` / ``train_d_fake`` (mean D probability of real on
        real / fake rows), ``train_r1`` (the R1 term, 0 without it), ``seconds``.
    n_features_in_ : int
    device_ : str
    n_epochs_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.gan import GAN
    >>> X = np.random.default_rng(0).normal(size=(64, 2))
    >>> gan = GAN(latent_dim=2, hidden=(16,), max_epochs=2, device="cpu", random_state=0).fit(X)
    >>> gan.sample(5, random_state=0).shape
    (5, 2)
    >>> sorted(gan.capabilities)
    ['sample']
    """

    _gdlab_capabilities = frozenset({"sample"})

    def fit(self, X, y=None):
        """Train the generator and the discriminator on the rows of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : ignored
            Present for API consistency.

        Returns
        -------
        self
        """
        self._check_params()
        X = check_X(self, X, reset=True, allow_nan=False)
        self._fit_tensors((self._standardize_fit(X),))
        return self

    def sample(self, n_samples=1, random_state=None) -> np.ndarray:
        """Draw rows from the generator: x = G(z), z ~ N(0, I).

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            Seed of the noise; the same seed gives the same rows.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            In the units of the training data, clipped per feature to the range
            seen in ``fit`` (``data_min_``, ``data_max_``).
        """
        check_is_fitted(self)
        n = check_n_samples(n_samples)
        return self._generate(self._noise(n, random_state), None)

    def discriminator_score(self, X) -> np.ndarray:
        """The trained discriminator's logit that each row is real (higher = more data-like).

        Usable as an anomaly score (low = anomalous) only among data-like
        rows, e.g. to tell real rows from generated ones. It is not a log
        density: the discriminator was trained to separate the data from the
        final generator's samples, and nothing constrains it far from both.
        Measured on 8x8 digits (ConditionalGAN, R1, 300 epochs), uniform
        noise, inverted, pixel-shuffled and noise-corrupted digits all scored
        *higher* than held-out digits (AUROC 0.00-0.03 as an anomaly score),
        while held-out real digits scored above generated ones (AUROC 0.63).
        For out-of-distribution detection use a model with a density.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        Xs = self._standardize(check_X(self, X, reset=False, allow_nan=False))
        return self._batched(self.module_.discriminator, Xs.astype(np.float32))


class ConditionalGAN(_BaseGAN):
    """Class-conditional GAN: a generator of p(x | y) and a projection discriminator.

    ``fit(X, y)`` then ``sample(n, y=k)``. Like :class:`GAN` it has no density,
    and it does **not** classify (no likelihood, so no Bayes' rule): its tags
    are ``sample`` and ``conditional_sample``. The generator takes
    ``[z, embed(y)]``; the discriminator is a projection discriminator (see the
    module docstring). Parameters are those of :class:`GAN`.

    Parameters
    ----------
    latent_dim : int, default=16
        Size of the noise vector; the class embedding of the generator has
        the same size.
    hidden : tuple of int, default=(128, 128)
    architecture : {"mlp", "conv"}, default="mlp"
    image_shape : tuple of (height, width), optional
    channels : int, default=32
    stabilizer : {"spectral_norm", "r1", "both"}, default="r1"
    r1_gamma : float, default=1.0
    n_critic : int, default=1
    lr_d : float, optional
    betas : tuple of two floats, default=(0.5, 0.999)
    max_epochs : int, default=200
    batch_size : int, default=64
    lr : float, default=1e-3
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
        Must be 0.
    patience : None, default=None
        Must be None.
    device : str, default="auto"
    random_state : int, RandomState or None, default=None
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
        Class frequencies of the training labels (used by ``sample`` when no
        ``y`` is given).
    class_count_ : ndarray of shape (n_classes,)
    module_, mean_, scale_, data_min_, data_max_, history_, n_features_in_, device_, n_epochs_
        As in :class:`GAN`.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.gan import ConditionalGAN
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(-2, 1, (32, 2)), rng.normal(2, 1, (32, 2))]
    >>> y = np.repeat(["a", "b"], 32)
    >>> cgan = ConditionalGAN(latent_dim=2, hidden=(16,), max_epochs=2, device="cpu",
    ...                       random_state=0).fit(X, y)
    >>> Xs, ys = cgan.sample(4, y="b", random_state=0)
    >>> Xs.shape, ys.tolist()
    ((4, 2), ['b', 'b', 'b', 'b'])
    """

    _gdlab_capabilities = frozenset({"sample", "conditional_sample"})
    _conditional = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        return tags

    def fit(self, X, y):
        """Train the conditional generator and discriminator on labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels (at least one class).

        Returns
        -------
        self
        """
        self._check_params()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is "
                             "None (one label per row is needed; use GAN for unlabelled rows).")
        X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=False, min_classes=1)
        self.classes_ = classes
        self.class_count_ = np.bincount(y_idx, minlength=len(classes)).astype(np.float64)
        self.class_prior_ = class_prior_from_counts(self.class_count_)
        self._fit_tensors((self._standardize_fit(X), torch.as_tensor(y_idx, dtype=torch.long)))
        return self

    def _label_indices(self, n_samples, y, rng) -> np.ndarray:
        # the same label handling as every generative classifier's sample()
        return class_indices_for_sampling(self.classes_, self.class_prior_, n_samples, y, rng)

    def sample(self, n_samples=None, y=None, random_state=None):
        """Draw rows from p(x, y), or from p(x | y) when ``y`` is given.

        Same signature and meaning as :meth:`gdlab.base.GenerativeClassifierMixin.sample`.

        Parameters
        ----------
        n_samples : int, optional
            Number of rows. Defaults to 1, or to ``len(y)`` when ``y`` is an array.
        y : label or array-like of shape (n_samples,), optional
            Class to sample from: one label for all rows, or one per row. When
            None, labels are drawn from ``class_prior_``. Labels not seen in
            ``fit`` raise ``ValueError``.
        random_state : int, RandomState instance or None
            Seed of the labels and the noise; the same seed gives the same draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            Clipped per feature to the range seen in ``fit``.
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        y_idx = self._label_indices(n_samples, y, rng)
        X = self._generate(self._noise(len(y_idx), rng), y_idx)
        return X, self.classes_[y_idx]

    def discriminator_score(self, X, y=None) -> np.ndarray:
        """The discriminator's logit that each row is a real member of class y.

        Not a log density, and not a reliable out-of-distribution score: see
        :meth:`GAN.discriminator_score` for what it does and does not detect.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : label or array-like of shape (n_samples,), optional
            Class of each row (or one label for all). When None, the highest
            logit over the classes (is the row a realistic member of *some* class).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        Xs = self._standardize(check_X(self, X, reset=False, allow_nan=False))
        Xs = Xs.astype(np.float32)
        D = self.module_.discriminator
        if y is not None:
            y_idx = self._label_indices(len(Xs), y, None)
            return self._batched(D, Xs, y_idx.astype(np.int64))
        scores = [self._batched(D, Xs, np.full(len(Xs), k, dtype=np.int64))
                  for k in range(len(self.classes_))]
        return np.max(scores, axis=0)
