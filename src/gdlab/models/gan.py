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

:class:`SemiSupervisedGAN` (Salimans et al., 2016) is the third: its
discriminator has one logit per class (the logit of "generated" fixed at 0),
learns from labelled, unlabelled (``y = -1``) and generated rows, and *is*
the classifier; its generator is trained by feature matching (see the class).

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

The networks and the two-player training steps live in :mod:`gdlab.nn.gan`;
the estimators here check settings, scale the data and hand the step to the
one :class:`gdlab.nn.Trainer`.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._param_checks import check_fraction, check_in, check_int, check_n_samples, check_positive
from gdlab._validation import check_random_state, check_X, check_X_y, semi_supervised_class_indices
from gdlab.base import CapabilityMixin
from gdlab.bayes import class_indices_for_sampling, class_prior_from_counts
from gdlab.models.semi_supervised import record_labelled_rows
from gdlab.nn.estimator import LogitClassifierMixin, TorchEstimatorMixin
from gdlab.nn.gan import (
    BatchNormGenerator,
    ClassDiscriminator,
    Discriminator,
    GANNet,
    Generator,
    adam,
    adversarial_step,
    feature_matching_step,
)
from gdlab.nn.layers import check_image_shape, check_layer_sizes

__all__ = ["GAN", "ConditionalGAN", "SemiSupervisedGAN"]

ARCHITECTURES = ("mlp", "conv")
STABILIZERS = ("spectral_norm", "r1", "both")
#: ``__init__`` settings that GAN, ConditionalGAN and SemiSupervisedGAN share.
_ADVERSARIAL_PARAMS = ("latent_dim", "hidden", "lr_d", "betas")


# ----------------------------------------------------------------------------- checks


def _check_betas(betas) -> None:
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or any(isinstance(b, bool) or not isinstance(b, numbers.Real)
                   or not 0.0 <= b < 1.0 for b in betas)):
        raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}.")


def _check_no_validation(estimator) -> None:
    """A GAN trains without a validation split; then the shared training settings are checked."""
    if estimator.validation_fraction != 0:
        raise ValueError(
            f"{type(estimator).__name__} needs validation_fraction=0, got "
            f"{estimator.validation_fraction!r}: the losses of a GAN's two-player game do not "
            "measure sample quality, so there is no validation loss to stop on or to pick "
            "weights by.")
    if estimator.patience is not None:
        raise ValueError(
            f"{type(estimator).__name__} needs patience=None (no early stopping: there is no "
            f"validation loss), got {estimator.patience!r}.")
    estimator._train_config()  # the shared training settings raise on bad values here


# ----------------------------------------------------------------------------- estimators


class _AdversarialMixin(TorchEstimatorMixin):
    """What every GAN here shares: two-player settings, optimizers, scaling, noise, generation.

    Mixed into :class:`_BaseGAN` (GAN, ConditionalGAN) and
    :class:`SemiSupervisedGAN`; ``module_`` is a :class:`gdlab.nn.gan.GANNet`.
    """

    def _check_own_params(self) -> None:
        """The model's own settings, checked between the shared ones."""
        raise NotImplementedError

    def _check_params(self) -> None:
        """Check the settings: the shared ones, the model's own, then the two-player ones.

        ``latent_dim`` and ``hidden``; :meth:`_check_own_params`; ``lr_d``,
        ``betas`` and no validation split (and the shared training settings).
        """
        check_int(self.latent_dim, "latent_dim")
        check_layer_sizes(self.hidden, "hidden", allow_int=False)
        self._check_own_params()
        if self.lr_d is not None:
            check_positive(self.lr_d, "lr_d")
        _check_betas(self.betas)
        _check_no_validation(self)

    def _require_y(self, y, hint: str) -> None:
        """Raise when ``fit`` got no target; ``hint`` ends the message in parentheses."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y "
                             f"is None ({hint}).")

    def _set_class_counts(self, y_idx: np.ndarray, n_classes: int) -> None:
        """``class_count_`` from the rows' class indices and ``class_prior_``, their frequencies."""
        self.class_count_ = np.bincount(y_idx, minlength=n_classes).astype(np.float64)
        self.class_prior_ = class_prior_from_counts(self.class_count_)

    def _optimizers(self, module: GANNet):
        """Adam for the generator (``lr``) and the discriminator (``lr_d``, default ``lr``)."""
        lr_d = self.lr if self.lr_d is None else self.lr_d
        return [adam(module.generator.parameters(), self.lr, self.betas, self.weight_decay),
                adam(module.discriminator.parameters(), lr_d, self.betas, self.weight_decay)]

    def _standardize_fit(self, X: np.ndarray) -> torch.Tensor:
        """Record the sample range and the standardization; the standardized rows as float32."""
        self._record_range(X)
        return torch.as_tensor(self._fit_standardization(X), dtype=torch.float32)

    def _generate(self, z: torch.Tensor, y_idx: np.ndarray | None = None) -> np.ndarray:
        """Generator output for noise ``z`` (and classes ``y_idx``), in the units of X, clipped."""
        G = self.module_.generator
        if y_idx is None:
            out = self._batched(G, z)
        else:
            out = self._batched(G, z, torch.as_tensor(y_idx, dtype=torch.long, device=z.device))
        return self._clip_to_range(out * self.scale_ + self.mean_)

    def _noise(self, n: int, random_state) -> torch.Tensor:
        """``n`` rows of z ~ N(0, I), seeded from ``random_state``."""
        gen = self._generator(random_state)
        return torch.randn(n, int(self.latent_dim), generator=gen, device=gen.device)


class _BaseGAN(CapabilityMixin, _AdversarialMixin, BaseEstimator):
    """Shared hyper-parameter checks, training step and sampling of GAN and ConditionalGAN."""

    _conditional = False

    def __init__(self, *, latent_dim=16, hidden=(128, 128), architecture="mlp", image_shape=None,
                 channels=32, stabilizer="r1", r1_gamma=1.0, n_critic=1, lr_d=None,
                 betas=(0.5, 0.999), max_epochs=200, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.0, patience=None, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), _ADVERSARIAL_PARAMS)
        self.architecture = architecture
        self.image_shape = image_shape
        self.channels = channels
        self.stabilizer = stabilizer
        self.r1_gamma = r1_gamma
        self.n_critic = n_critic
        self._set_training_params(locals())

    # ------------------------------------------------------------- parameters
    def _check_own_params(self) -> None:
        check_in(self.architecture, "architecture", ARCHITECTURES)
        check_in(self.stabilizer, "stabilizer", STABILIZERS)
        check_positive(self.r1_gamma, "r1_gamma", allow_zero=self.stabilizer == "spectral_norm")
        check_int(self.n_critic, "n_critic")
        check_int(self.channels, "channels")
        if self.architecture == "conv" and self.image_shape is None:
            raise ValueError("architecture='conv' needs image_shape=(height, width), got None.")

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
    def _step(self, module, batch, optimizers, backward) -> dict[str, torch.Tensor]:
        """One generator update after ``n_critic`` discriminator updates on the batch
        (:func:`gdlab.nn.gan.adversarial_step`)."""
        return adversarial_step(module, batch, optimizers, backward,
                                latent_dim=int(self.latent_dim), n_critic=int(self.n_critic),
                                r1=self.stabilizer in ("r1", "both"), r1_gamma=self.r1_gamma,
                                conditional=self._conditional)

    def _fit_tensors(self, data) -> None:
        self._check_image_shape()
        self._train(data, step=self._step, optimizers=self._optimizers)

    # -------------------------------------------------------------- inference
    def _discriminator_rows(self, X) -> np.ndarray:
        """Rows of X checked against the fit (no NaN), standardized, float32: D's input."""
        check_is_fitted(self)
        return self._standardize(check_X(self, X, reset=False, allow_nan=False)).astype(np.float32)


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
        Xs = self._discriminator_rows(X)  # checks the fitted state first
        return self._batched(self.module_.discriminator, Xs)


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
        self._require_y(y, "one label per row is needed; use GAN for unlabelled rows")
        X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=False, min_classes=1)
        self.classes_ = classes
        self._set_class_counts(y_idx, len(classes))
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
        Xs = self._discriminator_rows(X)
        D = self.module_.discriminator
        if y is not None:
            y_idx = self._label_indices(len(Xs), y, None)
            return self._batched(D, Xs, y_idx.astype(np.int64))
        scores = [self._batched(D, Xs, np.full(len(Xs), k, dtype=np.int64))
                  for k in range(len(self.classes_))]
        return np.max(scores, axis=0)


class SemiSupervisedGAN(CapabilityMixin, ClassifierMixin, LogitClassifierMixin,
                        _AdversarialMixin, BaseEstimator):
    """Semi-supervised GAN (Salimans et al., 2016): the discriminator is a K-class classifier.

    The discriminator ``D`` outputs one logit ``l_k(x)`` per class; the logit
    of a (K+1)-th class, "generated", is fixed at 0. With
    ``Z(x) = sum_k exp(l_k(x))``, D says a row is real with probability
    ``Z / (Z + 1)`` and, if real, of class k with probability ``softmax(l)_k``,
    which is :meth:`predict_proba`. ``fit(X, y)`` takes labelled rows and
    unlabelled ones (``y = -1``); each step draws a batch of all training rows
    (labelled or not: the "unlabelled" stream), a batch of labelled rows and a
    batch of generated rows ``G(z)``, and updates::

        D minimizes  CE(l(x_lab), y_lab)
                     + unlabelled_weight * (softplus(-log Z(x)) + softplus(log Z(G(z))))
        G minimizes  || mean phi(x) - mean phi(G(z)) ||^2 / width   (feature matching)

    where ``phi`` is D's last hidden layer. The unlabelled term is the real
    vs. generated log-loss written through ``Z``; it shapes D's features (and
    so its classes) around where the data lie, which is how the unlabelled rows
    help. The generator (an MLP from noise with batch normalization, as the
    paper's: :class:`gdlab.nn.gan.BatchNormGenerator`) gives
    ``sample``; it is not class-conditional (no ``conditional_sample``), and
    feature matching trains it for the classifier's sake, not for sample
    quality (the paper's own finding). No density either: tags ``classify``,
    ``sample``, ``semi_supervised``.

    The discriminator is an MLP for tabular rows (images as flattened rows),
    with Gaussian noise on the input and after each hidden layer,
    weight-normalized layers and optional dropout, as the paper's MNIST model.
    Inputs are standardized per feature with the mean and standard deviation
    of all training rows, labelled or not.

    Parameters
    ----------
    latent_dim : int, default=32
        Size of the generator's noise z ~ N(0, I).
    hidden : tuple of int, default=(256, 128, 128)
        Hidden layer sizes of the discriminator; ``hidden[-1]`` is the width
        of the features matched by the generator.
    generator_hidden : tuple of int, default=(256, 256)
        Hidden layer sizes of the generator (linear, batch normalization and
        softplus per layer, as the paper's; linear output in standardized
        units).
    input_noise : float, default=0.3
        Standard deviation of the Gaussian noise added to the discriminator's
        (standardized) input in training.
    hidden_noise : float, default=0.5
        Standard deviation of the noise after each hidden layer in training.
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden layer of the discriminator.
    weight_norm : bool, default=True
        Weight-normalize the discriminator's linear layers.
    unlabelled_weight : float, default=1.0
        Weight of the real-vs-generated term; 0 trains the discriminator on
        the labelled rows alone (a supervised MLP with noise layers).
    labelled_batch_size : int or None, default=None
        Labelled rows per step; None: ``batch_size``. With fewer labelled
        rows than that, every labelled row is in every step.
    classes : array-like or None, default=None
        The labels to learn. None: those of the labelled rows. Given, every
        listed class must have a labelled row and every label must be listed.
    lr_d : float, optional
        Learning rate of the discriminator; None uses ``lr``.
    betas : tuple of two floats, default=(0.5, 0.999)
        Adam's betas for both players.
    max_epochs : int, default=200
        Passes over all training rows (the unlabelled stream).
    batch_size : int, default=100
    lr : float, default=1e-3
        Learning rate of the generator (and of the discriminator unless ``lr_d``).
    weight_decay : float, default=0.0
    validation_fraction : float, default=0.0
        Must be 0: a GAN has no validation loss to stop on.
    patience : None, default=None
        Must be None: no early stopping.
    device : str, default="auto"
    random_state : int, RandomState or None, default=None
        Seeds initialization, batches, labelled draws and noise.
    verbose : bool, default=False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Labelled rows per class.
    class_prior_ : ndarray of shape (n_classes,)
        Frequencies of the labelled rows' classes.
    n_labelled_, n_unlabelled_ : int
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization, from every training row.
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature range of the training rows; samples are clipped to it.
    module_ : torch.nn.Module
        ``module_.generator`` and ``module_.discriminator`` (a
        :class:`gdlab.nn.gan.ClassDiscriminator`).
    history_ : list of dict
        Per epoch, averaged over steps: ``train_d_loss`` (the discriminator's
        loss), ``train_labelled`` (its cross-entropy on the labelled batch),
        ``train_labelled_accuracy`` (its accuracy there, in training mode),
        ``train_unlabelled`` (the real-vs-generated term), ``train_g_loss``
        (feature matching), ``train_d_real`` / ``train_d_fake`` (mean
        probability of real on the unlabelled / generated rows), ``seconds``.
    device_ : str
    n_epochs_, best_epoch_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.gan import SemiSupervisedGAN
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(size=(80, 3)) + 3.0 * y[:, None]
    >>> y_partial = np.where(np.arange(80) % 10 == 0, y, -1)  # 8 labelled rows
    >>> gan = SemiSupervisedGAN(hidden=(32, 16), generator_hidden=(32,), latent_dim=4,
    ...                         max_epochs=20, batch_size=16, random_state=0)
    >>> gan = gan.fit(X, y_partial)
    >>> bool(gan.score(X, y) > 0.9), gan.n_labelled_
    (True, 8)
    >>> Xs, ys = gan.sample(3, random_state=0)
    >>> Xs.shape, ys.shape
    ((3, 3), (3,))
    """

    _gdlab_capabilities = frozenset({"classify", "sample", "semi_supervised"})

    def __init__(self, *, latent_dim=32, hidden=(256, 128, 128), generator_hidden=(256, 256),
                 input_noise=0.3, hidden_noise=0.5, dropout=0.0, weight_norm=True,
                 unlabelled_weight=1.0, labelled_batch_size=None, classes=None, lr_d=None,
                 betas=(0.5, 0.999), max_epochs=200, batch_size=100, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.0, patience=None, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), _ADVERSARIAL_PARAMS)
        self.generator_hidden = generator_hidden
        self.input_noise = input_noise
        self.hidden_noise = hidden_noise
        self.dropout = dropout
        self.weight_norm = weight_norm
        self.unlabelled_weight = unlabelled_weight
        self.labelled_batch_size = labelled_batch_size
        self.classes = classes
        self._set_training_params(locals())

    # ------------------------------------------------------------- parameters
    def _check_own_params(self) -> None:
        check_layer_sizes(self.generator_hidden, "generator_hidden", allow_int=False)
        check_positive(self.input_noise, "input_noise", allow_zero=True)
        check_positive(self.hidden_noise, "hidden_noise", allow_zero=True)
        check_fraction(self.dropout, "dropout")
        if not isinstance(self.weight_norm, (bool, np.bool_)):
            raise TypeError(f"weight_norm must be True or False, got {self.weight_norm!r}.")
        check_positive(self.unlabelled_weight, "unlabelled_weight", allow_zero=True)
        if self.labelled_batch_size is not None:
            check_int(self.labelled_batch_size, "labelled_batch_size")

    # ---------------------------------------------------------------- network
    def _build_module(self) -> nn.Module:
        generator = BatchNormGenerator(self.n_features_in_, int(self.latent_dim),
                                       tuple(int(h) for h in self.generator_hidden))
        discriminator = ClassDiscriminator(
            self.n_features_in_, tuple(int(h) for h in self.hidden), len(self.classes_),
            float(self.input_noise), float(self.hidden_noise), float(self.dropout),
            bool(self.weight_norm))
        return GANNet(generator, discriminator)

    # -------------------------------------------------------------------- fit
    def fit(self, X, y):
        """Train the discriminator (the classifier) and the generator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric rows, labelled or not.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabelled row (numeric labels). The
            labelled rows must show at least two classes (and every class of
            ``classes``, when given).

        Returns
        -------
        self
        """
        self._check_params()
        self._require_y(y, "label some rows; -1 marks an unlabelled row")
        X, y, _, _ = check_X_y(self, X, y, allow_nan=False, min_classes=1)
        classes, y_idx = semi_supervised_class_indices(self, y, self.classes)
        labelled = record_labelled_rows(self, classes, y_idx)
        self._set_class_counts(y_idx[labelled], len(classes))
        Xs = self._standardize_fit(X)
        step = feature_matching_step(
            Xs[torch.from_numpy(labelled)], torch.as_tensor(y_idx[labelled], dtype=torch.long),
            labelled_batch_size=int(self.labelled_batch_size or self.batch_size),
            unlabelled_weight=float(self.unlabelled_weight), latent_dim=int(self.latent_dim))
        return self._train((Xs,), step=step, optimizers=self._optimizers)

    # -------------------------------------------------------------- inference
    def _logits(self, X) -> np.ndarray:
        """The discriminator's K class logits (float64; ``predict_proba`` is their softmax)."""
        check_is_fitted(self)
        Xs = self._standardize(self._validate_X_predict(X))
        D = self._float64_module(self.module_.discriminator)
        return self._batched(D, self._tensor64(Xs))

    def sample(self, n_samples=1, y=None, random_state=None):
        """Draw rows from the generator, each with a class drawn from the discriminator.

        ``x = G(z)``, ``z ~ N(0, I)``; its label is drawn from the
        discriminator's ``p(y | x)`` (:meth:`predict_proba`), so ``(x, label)``
        pairs follow the generator's p(x) times the classifier's p(y | x). The
        generator is not conditioned on a class: ``y`` must be None.

        Parameters
        ----------
        n_samples : int, default=1
        y : None
            Present for the shared signature; any other value raises
            ``ValueError`` (use ``cgan`` or ``m2-vae`` to sample a class).
        random_state : int, RandomState instance or None
            Seed of the noise and the labels; the same seed gives the same draws.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            In the units of the training data, clipped per feature to the
            range seen in ``fit``.
        y : ndarray of shape (n_samples,)
            Entries of ``classes_``.
        """
        check_is_fitted(self)
        if y is not None:
            raise ValueError(f"{type(self).__name__}'s generator is not class-conditional: "
                             f"sample(y=...) is not supported, got y={y!r}. Use y=None (labels "
                             "are drawn from the discriminator's p(y | x)), or a conditional "
                             "model (ConditionalGAN, M2VAE).")
        n = check_n_samples(n_samples)
        rng = check_random_state(random_state)
        X = self._generate(self._noise(n, rng.randint(0, 2**31 - 1)))
        return X, self.classes_[self._draw_labels(X, rng)]
