"""Variational autoencoders: :class:`VAE` (a density) and :class:`CVAE` (a generative classifier).

A VAE (Kingma & Welling, 2014) models ``p(x) = ∫ p(x | z) p(z) dz`` with a
standard normal prior ``p(z)``, a decoder network for ``p(x | z)`` and an
encoder network for the approximate posterior ``q(z | x)``. It is trained by
maximizing the evidence lower bound (ELBO)::

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || p(z))  <=  log p(x)

so its score is a *bound* on log p(x) (capability ``density_bound``, never
``density``). The importance-weighted estimate with ``k`` samples (IWAE,
Burda et al., 2016)::

    log (1/k) Σ_j p(x | z_j) p(z_j) / q(z_j | x),   z_j ~ q(z | x)

is also a lower bound in expectation, never looser than the ELBO, and tends
to log p(x) as ``k`` grows.

The conditional VAE (Sohn et al., 2015) feeds the class (one-hot) to both
networks, ``q(z | x, y)`` and ``p(x | z, y)``; its per-class bound plus the log
class prior gives ``log p(x, y=k)`` (a bound), and Bayes' rule classifies.

Observation models
------------------
``likelihood="gaussian"``
    Inputs are standardized with the training mean and standard deviation;
    ``p(x_s | z)`` is a diagonal normal with the decoder's mean and a learned
    per-feature standard deviation (floored at ``1e-3`` standardized units).
    Scores include the log-Jacobian of the standardization, ``-Σ_j log s_j``,
    so they bound log p(x) in the *original* units and compare with other
    continuous densities.
``likelihood="bernoulli"``
    For data in [0, 1] (e.g. pixel intensities / 16): ``p(x | z)`` is a
    product of Bernoullis with the decoder's logits. It is a proper
    probability for binary data; for gray levels in (0, 1) it is the usual
    cross-entropy score, not a density.

With ``likelihood="gaussian"``, samples (``sample``) are clipped, per
feature, to the range of the training data (``data_min_``, ``data_max_``):
a Gaussian decoder is unbounded, and samples of bounded data (pixels 0..16,
counts) must not take values the data never has. With ``noise=True`` a
sample is therefore a draw of the observation model censored at the training
range, not of the density the scores bound. Bernoulli samples (means or 0/1
draws) lie in [0, 1] by construction and are not clipped.

Both networks are MLPs (``architecture="mlp"``, sizes ``hidden``) or small
conv nets for flattened single-channel images (``architecture="conv"``, with
``image_shape``), built from the shared layers of :mod:`gdlab.nn` (the
networks themselves live in :mod:`gdlab.nn.vae`) and trained with the one
:class:`gdlab.nn.Trainer`.

The machinery the three estimators share (settings, scaling, bounds, decoding)
is :class:`gdlab.models._vae_base.VAEBase`; the networks and their training
losses are in :mod:`gdlab.nn.vae`.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._param_checks import check_fraction, check_n_samples, check_positive, check_priors
from gdlab._validation import check_random_state, check_X, check_X_y, semi_supervised_class_indices
from gdlab.base import DensityMixin, GenerativeClassifierMixin
from gdlab.models._vae_base import VAEBase
from gdlab.models.semi_supervised import record_labelled_rows
from gdlab.nn import LogitClassifierMixin, check_layer_sizes
from gdlab.nn.vae import M2Net, m2_loss

__all__ = ["VAE", "CVAE", "M2VAE"]

#: ``__init__`` settings of the networks and bounds, shared by VAE, CVAE and M2VAE.
_VAE_PARAMS = ("latent_dim", "hidden", "architecture", "image_shape", "channels", "likelihood",
               "beta", "n_importance")


_TRAINING_DOC = """
    max_epochs : int, default=100
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam learning rate.
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay.
    validation_fraction : float in [0, 1), default=0.1
        Rows held out (seeded) for early stopping on the validation loss. With
        fewer than ``1 / validation_fraction`` rows (a tiny class under
        ``ClassConditional``) no row is held out: training uses every row for
        ``max_epochs`` epochs, without early stopping (see
        :class:`gdlab.nn.TrainConfig`).
    patience : int or None, default=10
    device : str, default="auto"
        CUDA when available, else the CPU (see :func:`gdlab.nn.resolve_device`).
    random_state : int, RandomState or None, default=None
        Seeds initialization, the split, batch order and training noise.
    verbose : bool, default=False
        Progress bar with the losses."""

_VAE_PARAMS_DOC = """
    latent_dim : int, default=8
        Size of the latent code z.
    hidden : tuple of int, default=(128,)
        Hidden layer sizes of the encoder MLP (the decoder mirrors them). With
        ``architecture="conv"`` the last entry is the width of the dense layer
        between the conv stack and the latent code.
    architecture : {"mlp", "conv"}, default="mlp"
    image_shape : tuple (height, width), optional
        Shape of the flattened single-channel images in X (even sides);
        required for ``architecture="conv"``, checked against X when given.
    channels : int, default=32
        Channels of the conv layers (``architecture="conv"`` only).
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        Observation model (see the module docstring); ``"bernoulli"`` needs X
        in [0, 1].
    beta : float, default=1.0
        Weight of the KL term in the training loss (beta-VAE). Scores are
        always the beta = 1 bound.
    n_importance : int, default=0
        0: ``score_samples`` is the ELBO (averaged over 8 fixed draws per
        row); k > 0: the importance-weighted (IWAE) estimate with k draws."""


class VAE(DensityMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, VAEBase,
          BaseEstimator):
    __doc__ = f"""Variational autoencoder: a latent-variable density with an ELBO score.

    ``score_samples`` is a lower bound on log p(x) (the ELBO, or the IWAE
    estimate with ``n_importance``); the capability tags are
    ``density_bound`` and ``sample``, not ``density``.

    Parameters
    ----------{_VAE_PARAMS_DOC}{_TRAINING_DOC}

    Attributes
    ----------
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of the inputs (zeros and ones for ``"bernoulli"``).
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature range of the training rows; Gaussian samples are clipped to it.
    hidden_ : tuple of int
    image_shape_ : tuple of int or None
    module_ : torch.nn.Module
        The trained encoder / decoder.
    history_ : list of dict
        Per-epoch ``train_loss`` (negative ELBO per row, beta-weighted),
        ``train_recon``, ``train_kl`` and the same with ``val_``.
    device_ : str
    n_epochs_, best_epoch_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.vae import VAE
    >>> X = np.random.default_rng(0).normal(size=(64, 4))
    >>> vae = VAE(latent_dim=2, hidden=(16,), max_epochs=3, random_state=0).fit(X)
    >>> vae.score_samples(X[:3]).shape, vae.sample(5, random_state=0).shape
    ((3,), (5, 4))
    >>> elbo = vae.elbo(X, k=64, random_state=0)
    >>> bool(elbo.mean() <= vae.log_likelihood_iw(X, k=64, random_state=0).mean())
    True
    """

    _gdlab_capabilities = frozenset({"density_bound", "sample"})

    def __init__(self, *, latent_dim=8, hidden=(128,), architecture="mlp", image_shape=None,
                 channels=32, likelihood="gaussian", beta=1.0, n_importance=0, max_epochs=100,
                 batch_size=128, lr=1e-3, weight_decay=0.0, validation_fraction=0.1,
                 patience=10, device="auto", random_state=None, verbose=False):
        self._set_params(locals(), _VAE_PARAMS)
        self._set_training_params(locals())

    def fit(self, X, y=None):
        """Fit the encoder and decoder by maximizing the ELBO.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric rows (NaN raises: no ``missing_features``).
        y : ignored

        Returns
        -------
        self
        """
        # float32 input stays float32 (no float64 copy of a large training set)
        X = check_X(self, X, reset=True, allow_nan=False, dtype=(np.float64, np.float32))
        self._check_params(X.shape[1])
        self._check_range(X)
        self._fit_scaling(X)
        return self._fit_module(X)

    def _log_density(self, X) -> np.ndarray:
        return self._score_bounds(X)

    def _bounds(self, X, k: int, random_state, importance: bool) -> np.ndarray:
        return self._bound(X, None, k, random_state, importance)

    def transform(self, X) -> np.ndarray:
        """Latent codes: the posterior means E[z | x].

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._posterior_mean(*self._validated_rows(X))

    def reconstruct(self, X) -> np.ndarray:
        """Decoder mean at the posterior mean of z, in the units of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return self._reconstruct(*self._validated_rows(X))

    def sample(self, n_samples=1, random_state=None, *, noise=False) -> np.ndarray:
        """Draw rows: z from the prior, then the decoder mean (or a draw with ``noise``).

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState or None
            Same seed, same rows.
        noise : bool, default=False
            False returns E[x | z] (smooth images: the usual way VAE samples are
            shown); True draws x from the observation model p(x | z) (per-pixel
            normal noise or Bernoulli 0/1 draws), i.e. a sample of the model's
            full density.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            With ``likelihood="gaussian"``, clipped per feature to the range
            seen in ``fit`` (``data_min_``, ``data_max_``).
        """
        check_is_fitted(self)
        n = check_n_samples(n_samples)
        return self._generate(None, n, check_random_state(random_state), noise)

    def _draw(self, X, rng) -> np.ndarray:
        """Whole rows for an all-NaN X (decoder means, as ``sample``'s default)."""
        self._check_all_missing(X, type(self).__name__)
        return self._generate(None, X.shape[0], rng, False)


class CVAE(GenerativeClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, VAEBase,
           BaseEstimator):
    __doc__ = f"""Conditional VAE: one network for all classes, classifying by Bayes' rule.

    The class enters both the encoder q(z | x, y) and the decoder p(x | z, y)
    as a one-hot vector; the prior on z is standard normal. ``log_joint`` is
    log p(y=k) plus the per-class ELBO (or IWAE estimate with
    ``n_importance``), a lower bound on log p(x, y=k); ``predict`` takes its
    argmax. Capability tags: ``classify``, ``density_bound``, ``sample``,
    ``conditional_sample``.

    Parameters
    ----------{_VAE_PARAMS_DOC}
    priors : array-like of shape (n_classes,), optional
        Class prior in the order of the sorted labels; None: class frequencies.{_TRAINING_DOC}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
    data_min_, data_max_ : ndarray of shape (n_features,)
        Per-feature range of the training rows; Gaussian samples are clipped to it.
    hidden_ : tuple of int
    image_shape_ : tuple of int or None
    module_ : torch.nn.Module
    history_ : list of dict
    device_ : str
    n_epochs_, best_epoch_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.vae import CVAE
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(size=(80, 3)) + 3.0 * y[:, None]
    >>> cvae = CVAE(latent_dim=2, hidden=(16,), max_epochs=30, batch_size=16,
    ...             random_state=0).fit(X, y)
    >>> bool(cvae.score(X, y) > 0.9)
    True
    >>> Xs, ys = cvae.sample(4, y=1, random_state=0)
    >>> Xs.shape, ys.tolist()
    ((4, 3), [1, 1, 1, 1])
    """

    _gdlab_capabilities = frozenset({"classify", "density_bound", "sample",
                                     "conditional_sample"})

    def __init__(self, *, latent_dim=8, hidden=(128,), architecture="mlp", image_shape=None,
                 channels=32, likelihood="gaussian", beta=1.0, n_importance=0, priors=None,
                 max_epochs=100, batch_size=128, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), _VAE_PARAMS)
        self.priors = priors
        self._set_training_params(locals())

    @property
    def _n_conditions(self) -> int:
        return len(self.classes_)

    def fit(self, X, y):
        """Fit q(z | x, y) and p(x | z, y) by maximizing the ELBO of labelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric rows (NaN raises).
        y : array-like of shape (n_samples,)
            Labels, at least two classes.

        Returns
        -------
        self
        """
        X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=False,
                                         dtype=(np.float64, np.float32))
        self._check_params(X.shape[1])
        priors = check_priors(self.priors, len(classes))
        self._check_range(X)
        self.classes_ = classes
        self._set_class_prior(np.bincount(y_idx, minlength=len(classes)), priors)
        self._fit_scaling(X)
        return self._fit_module(X, y_idx)

    def _bounds(self, X, k: int, random_state, importance: bool) -> np.ndarray:
        """Per-class bounds, one column per class (the same draws for every class)."""
        n = X.shape[0]
        return np.column_stack([
            self._bound(X, np.full(n, c, dtype=np.int64), k, random_state, importance)
            for c in range(len(self.classes_))])

    def _log_likelihood(self, X) -> np.ndarray:
        """Per-class bound on log p(x | y=k); the mixin adds the log prior."""
        return self._score_bounds(X)

    def _y_idx(self, X, y) -> np.ndarray:
        if y is None:
            return np.argmax(self._log_joint(X), axis=1)
        return self._class_indices_for_sampling(X.shape[0], y, None)

    def transform(self, X, y=None) -> np.ndarray:
        """Latent codes: posterior means E[z | x, y].

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : label or array-like of shape (n_samples,), optional
            Class to condition on; None uses the predicted class of each row.

        Returns
        -------
        ndarray of shape (n_samples, latent_dim)
        """
        return self._posterior_mean(*self._validated_rows(X, y))

    def reconstruct(self, X, y=None) -> np.ndarray:
        """Decoder mean at E[z | x, y], in the units of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : label or array-like of shape (n_samples,), optional
            None uses the predicted class of each row.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return self._reconstruct(*self._validated_rows(X, y))

    def sample(self, n_samples=None, y=None, random_state=None, *, noise=False):
        """Draw rows from p(x, y), or from p(x | y) when ``y`` is given.

        Parameters
        ----------
        n_samples : int, optional
            Defaults to 1, or to ``len(y)`` for an array ``y``.
        y : label or array-like of shape (n_samples,), optional
            None draws labels from the class prior.
        random_state : int, RandomState or None
            Same seed, same rows.
        noise : bool, default=False
            False returns the decoder mean E[x | z, y] (what is usually shown for
            images); True draws x from the observation model.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            With ``likelihood="gaussian"``, clipped per feature to the range
            seen in ``fit`` (``data_min_``, ``data_max_``).
        y : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        y_idx = self._class_indices_for_sampling(n_samples, y, rng)
        return self._generate(y_idx, len(y_idx), rng, noise), self.classes_[y_idx]

    def _conditional_draw(self, X, y_idx, rng) -> np.ndarray:
        """Whole rows of the given classes for an all-NaN X (decoder means)."""
        self._check_all_missing(X, type(self).__name__)
        return self._generate(np.asarray(y_idx), X.shape[0], rng, False)


#: M2's training settings: no validation split by default.
_M2_TRAINING_DOC = _TRAINING_DOC.replace(
    """    validation_fraction : float in [0, 1), default=0.1
        Rows held out (seeded) for early stopping on the validation loss.""",
    """    validation_fraction : float in [0, 1), default=0.0
        Rows held out (seeded) for early stopping on the validation loss; none
        by default, since held-out rows would take labelled rows from the few
        there are.""")
if _M2_TRAINING_DOC == _TRAINING_DOC:  # the shared text changed: say so at import
    raise ImportError("gdlab.models.vae: _M2_TRAINING_DOC no longer matches _TRAINING_DOC.")


class M2VAE(LogitClassifierMixin, CVAE):
    __doc__ = f"""Semi-supervised VAE "M2" (Kingma, Rezende, Mohamed & Welling, 2014).

    A conditional VAE (encoder q(z | x, y), decoder p(x | y, z), standard
    normal p(z), class prior p(y)) plus a classifier q(y | x), all trained
    together on labelled and unlabelled rows. ``y = -1`` marks an unlabelled
    row (numeric labels). Per row, the training loss is::

        labelled (x, y):  -ELBO(x, y) - log p(y) - (alpha_ / n_labelled) log q(y | x)
        unlabelled x:     sum_k q(k | x) (-ELBO(x, k) - log p(k)) - H(q(y | x))

    averaged over the rows of a mini-batch. The unlabelled loss is the
    negative of the bound on log p(x) with y marginalized under q(y | x); the
    classifier term is what makes q(y | x) learn from the labels (Kingma et
    al.'s J^alpha: their alpha, here ``alpha_ = alpha * n_samples``, multiplies
    the mean log q(y | x) of the labelled rows in an objective summed over all
    rows; the default ``alpha=0.1`` is the paper's 0.1 N).

    ``predict_proba`` is q(y | x), the classifier. ``log_joint`` is log p(y=k)
    plus the per-class ELBO (or IWAE estimate with ``n_importance``), a lower
    bound on log p(x, y=k) as in :class:`CVAE` (``density_bound``): Bayes'
    rule through the bound, ``softmax(log_joint(X))``, is a second classifier
    of the same fit, and ``score_samples`` bounds log p(x). ``sample(n, y=k)``
    decodes z ~ p(z) under class k. Capability tags: ``classify``,
    ``density_bound``, ``sample``, ``conditional_sample``, ``semi_supervised``.

    With every row labelled the model is a CVAE trained beside an MLP
    classifier (the classifier gets gradients only from its own term). The
    classifier is an MLP on the (standardized) rows for either
    ``architecture``.

    Parameters
    ----------{_VAE_PARAMS_DOC}
    alpha : float, default=0.1
        Weight of the labelled rows' classification term per training row:
        Kingma et al.'s alpha is ``alpha * n_samples`` (all rows, labelled or
        not), and their choice, 0.1 N, is the default. A stronger term
        (``alpha=10``) suited digits with 2 to 10 labels per class (see the
        README's "Semi-supervised" section).
    classifier_hidden : tuple of int or None, default=None
        Hidden sizes of the classifier MLP q(y | x); None: ``hidden``.
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden layer of the classifier.
    classes : array-like or None, default=None
        The labels to learn. None: those of the labelled rows. Given, every
        listed class must have a labelled row (M2 cannot name a class it never
        sees labelled) and every label must be listed.
    priors : array-like of shape (n_classes,), optional
        Class prior p(y) in the order of the sorted labels; None: the
        frequencies of the labelled rows.{_M2_TRAINING_DOC}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_prior_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
        Labelled rows per class.
    n_labelled_, n_unlabelled_ : int
    alpha_ : float
        The paper's alpha, ``alpha * n_samples``.
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization, learned from every row (labelled or not).
    data_min_, data_max_ : ndarray of shape (n_features,)
    hidden_, classifier_hidden_ : tuple of int
    image_shape_ : tuple of int or None
    module_ : torch.nn.Module
        A :class:`gdlab.nn.vae.M2Net`.
    history_ : list of dict
        Per epoch, ``train_loss`` and its parts ``train_labelled``
        (-ELBO - log p(y) of the labelled rows), ``train_unlabelled`` (the
        unlabelled rows' loss) and ``train_class_nll`` (-log q(y | x) of the
        labelled rows, unweighted), each summed over its rows and divided by
        all rows; the same with ``val_`` with a validation split.
    device_ : str
    n_epochs_, best_epoch_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.vae import M2VAE
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(size=(80, 3)) + 3.0 * y[:, None]
    >>> y_partial = np.where(np.arange(80) % 10 == 0, y, -1)  # 8 labelled rows
    >>> m2 = M2VAE(latent_dim=2, hidden=(16,), max_epochs=40, batch_size=16,
    ...            random_state=0).fit(X, y_partial)
    >>> bool(m2.score(X, y) > 0.9), m2.n_labelled_
    (True, 8)
    >>> m2.log_joint(X[:2]).shape
    (2, 2)
    """

    _gdlab_capabilities = frozenset({"classify", "density_bound", "sample",
                                     "conditional_sample", "semi_supervised"})

    def __init__(self, *, latent_dim=8, hidden=(128,), architecture="mlp", image_shape=None,
                 channels=32, likelihood="gaussian", beta=1.0, n_importance=0, alpha=0.1,
                 classifier_hidden=None, dropout=0.0, classes=None, priors=None,
                 max_epochs=100, batch_size=128, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.0, patience=10, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), _VAE_PARAMS)
        self.alpha = alpha
        self.classifier_hidden = classifier_hidden
        self.dropout = dropout
        self.classes = classes
        self.priors = priors
        self._set_training_params(locals())

    # ----------------------------------------------------------------- checks
    def _check_params(self, n_features: int) -> None:
        super()._check_params(n_features)
        check_positive(self.alpha, "alpha")
        check_fraction(self.dropout, "dropout")
        self.classifier_hidden_ = (self.hidden_ if self.classifier_hidden is None else
                                   check_layer_sizes(self.classifier_hidden, "classifier_hidden"))

    # ---------------------------------------------------------------- network
    def _build_module(self) -> nn.Module:
        return M2Net(self.n_features_in_, int(self.latent_dim), self.hidden_, self.architecture,
                     self.image_shape_, int(self.channels), len(self.classes_), self.likelihood,
                     self.classifier_hidden_, float(self.dropout))

    def fit(self, X, y):
        """Fit the encoder, decoder and classifier on labelled and unlabelled rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numeric rows (NaN raises), labelled or not.
        y : array-like of shape (n_samples,)
            Labels; ``-1`` marks an unlabelled row (numeric labels). The
            labelled rows must show at least two classes (and every class of
            ``classes``, when given).

        Returns
        -------
        self
        """
        X, y, _, _ = check_X_y(self, X, y, allow_nan=False, min_classes=1,
                               dtype=(np.float64, np.float32))
        classes, y_idx = semi_supervised_class_indices(self, y, self.classes)
        self._check_params(X.shape[1])
        priors = check_priors(self.priors, len(classes))
        self._check_range(X)
        labelled = record_labelled_rows(self, classes, y_idx)
        self._set_class_prior(np.bincount(y_idx[labelled], minlength=len(classes)), priors)
        self.alpha_ = float(self.alpha) * X.shape[0]
        self._fit_scaling(X)
        data = (torch.from_numpy(self._scaled(X, np.float32)), torch.from_numpy(y_idx))
        loss = {"beta": float(self.beta), "weight": self.alpha_ / self.n_labelled_,
                "n_classes": len(self.classes_),
                "log_prior": torch.as_tensor(self._log_prior(), dtype=torch.float32)}
        return self._train(data, m2_loss(self._draws(fixed=False), **loss),
                           eval_loss=m2_loss(self._draws(fixed=True), **loss))

    # ------------------------------------------------------------- classifier
    def _classifier_logits(self, X) -> np.ndarray:
        """Float64 logits of q(y | x) for validated X."""
        self._check_range(X)
        module = self._float64_module()
        return self._batched(module.classify, self._tensor64(self._scaled(X)))

    def _logits(self, X) -> np.ndarray:
        """Logits of q(y | x): ``predict_proba`` is their softmax."""
        check_is_fitted(self)
        return self._classifier_logits(self._validate_X_predict(X))

    def _y_idx(self, X, y) -> np.ndarray:
        if y is None:
            return np.argmax(self._classifier_logits(X), axis=1)
        return self._class_indices_for_sampling(X.shape[0], y, None)
