"""Generative pretraining, then discriminative fine-tuning: a VAE's encoder as a classifier's body.

:class:`VAEPretrainClassifier` is the hybrid of the issue "learning from
unlabeled data" for networks other than the GPT (``GPTClassifier`` with
``pretrain_epochs`` is the text version):

1. **Generative pretraining.** A :class:`gdlab.models.vae.VAE` (MLP or, for
   flattened images, conv encoder and decoder) is fitted to *every* row of
   ``X``, labelled or not (``y = -1`` marks an unlabelled row): it learns
   p(x), which needs no label.
2. **Discriminative fine-tuning.** A classifier whose body is a copy of the
   VAE's encoder (an MLP, or the conv encoder: a CNN) and whose head is a new
   linear layer is trained on the labelled rows by cross-entropy, through
   the one :class:`gdlab.nn.Trainer`. The encoder's weights reach the
   classifier through ``init_state`` of
   :meth:`gdlab.nn.TorchEstimatorMixin._train`, the same hook that hands a
   ``CharGPT``'s weights to ``GPTClassifier``. With ``freeze_epochs`` the
   encoder is held fixed (:class:`gdlab.nn.FreezeParameters`) while the head
   trains alone for the first epochs, then everything is fine-tuned.

The classifier reads the rows in the VAE's units (standardized per feature
for ``likelihood="gaussian"``, as they are for ``"bernoulli"``).
Prediction runs a float64 copy of the network, so a row's output does not
depend on the other rows of its batch.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin

from gdlab._param_checks import check_fraction, check_in, check_int
from gdlab._validation import check_X_y, semi_supervised_class_indices
from gdlab.base import CapabilityMixin
from gdlab.models.semi_supervised import record_labelled_rows
from gdlab.nn import FreezeParameters, TorchEstimatorMixin, cross_entropy_loss
from gdlab.nn.estimator import StandardizedLogitsMixin
from gdlab.nn.vae import EncoderClassifier, VAEEncoder

__all__ = ["VAEPretrainClassifier"]

#: Settings passed unchanged to the pretraining VAE.
_VAE_PARAMS = ("latent_dim", "hidden", "architecture", "image_shape", "channels", "likelihood",
               "beta", "batch_size", "lr", "weight_decay", "validation_fraction", "patience",
               "device", "verbose")


class VAEPretrainClassifier(CapabilityMixin, ClassifierMixin, StandardizedLogitsMixin,
                            TorchEstimatorMixin, BaseEstimator):
    """A VAE pretrained on every row, its encoder then fine-tuned as a classifier on the labelled.

    ``y = -1`` marks an unlabelled row (numeric labels): it trains the VAE
    only. Capability tags: ``classify``, ``semi_supervised``. See the module
    docstring for the two stages.

    Parameters
    ----------
    latent_dim : int, default=8
        Size of the VAE's latent code.
    hidden : int or tuple of int, default=(128,)
        Hidden layer sizes of the encoder MLP (the decoder mirrors them); the
        classifier's body is this encoder. With ``architecture="conv"`` the
        last entry is the width of the dense layer after the conv stack.
    architecture : {"mlp", "conv"}, default="mlp"
        ``"conv"``: conv encoder and decoder for flattened single-channel
        images (needs ``image_shape``); the classifier is then a CNN.
    image_shape : tuple (height, width), optional
    channels : int, default=32
        Channels of the conv layers (``architecture="conv"`` only).
    likelihood : {"gaussian", "bernoulli"}, default="gaussian"
        The VAE's observation model (``"bernoulli"`` needs X in [0, 1], e.g.
        pixels / 16); see :class:`gdlab.models.vae.VAE`.
    beta : float, default=1.0
        Weight of the KL term in the VAE's loss.
    pretrain_epochs : int, default=100
        Epochs of VAE training (``max_epochs`` of the VAE).
    features : {"hidden", "latent"}, default="hidden"
        What the head reads: the encoder's last hidden activations, or the
        posterior mean of z (Kingma et al.'s M1 features; a narrower body).
    freeze_epochs : int, default=0
        Epochs of fine-tuning during which the encoder stays fixed and only
        the head learns; 0 fine-tunes everything from the start,
        ``freeze_epochs >= max_epochs`` never updates the encoder (a linear
        probe of the pretrained features).
    dropout : float in [0, 1), default=0.0
        Dropout on the features, before the head (fine-tuning only).
    classes : array-like or None, default=None
        The labels to learn; None: those of the labelled rows. Given, every
        listed class must have a labelled row and every label must be listed.
    max_epochs : int, default=100
        Epochs of fine-tuning.
    batch_size : int, default=128
    lr : float, default=1e-3
        Adam's learning rate, for both stages.
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay, for both stages.
    validation_fraction : float in [0, 1), default=0.0
        Rows held out (seeded) for early stopping, in both stages; none by
        default, since held-out rows would take labelled rows from the few
        there are.
    patience : int or None, default=10
    device : str, default="auto"
        CUDA when available, else the CPU (see :func:`gdlab.nn.resolve_device`).
    random_state : int, RandomState or None, default=None
        Seeds both stages (initial weights, splits, batch order, noise).
    verbose : bool, default=False
        Progress bars with the losses.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    n_labelled_, n_unlabelled_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        The VAE's scaling of the inputs (zeros and ones for ``"bernoulli"``),
        learned from every row.
    hidden_ : tuple of int
    image_shape_ : tuple of int or None
    pretrain_history_ : list of dict
        The VAE's per-epoch losses (``train_loss``: negative ELBO per row).
    module_ : torch.nn.Module
        A :class:`gdlab.nn.vae.EncoderClassifier`: ``module_.body`` (the
        fine-tuned encoder), ``module_.head``.
    history_ : list of dict
        Per-epoch fine-tuning losses (cross-entropy).
    n_epochs_, best_epoch_ : int
    device_ : str

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(size=(80, 3)) + 3.0 * y[:, None]
    >>> y_partial = np.where(np.arange(80) % 10 == 0, y, -1)  # 8 labelled rows
    >>> clf = VAEPretrainClassifier(latent_dim=2, hidden=(16,), pretrain_epochs=20,
    ...                             max_epochs=30, batch_size=16, lr=3e-3,
    ...                             random_state=0).fit(X, y_partial)
    >>> bool(clf.score(X, y) > 0.9), clf.n_labelled_
    (True, 8)
    """

    _gdlab_capabilities = frozenset({"classify", "semi_supervised"})

    def __init__(self, *, latent_dim=8, hidden=(128,), architecture="mlp", image_shape=None,
                 channels=32, likelihood="gaussian", beta=1.0, pretrain_epochs=100,
                 features="hidden", freeze_epochs=0, dropout=0.0, classes=None, max_epochs=100,
                 batch_size=128, lr=1e-3, weight_decay=0.0, validation_fraction=0.0,
                 patience=10, device="auto", random_state=None, verbose=False):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.architecture = architecture
        self.image_shape = image_shape
        self.channels = channels
        self.likelihood = likelihood
        self.beta = beta
        self.pretrain_epochs = pretrain_epochs
        self.features = features
        self.freeze_epochs = freeze_epochs
        self.dropout = dropout
        self.classes = classes
        self._set_training_params(locals())

    # ---------------------------------------------------------------- network
    def _build_module(self) -> torch.nn.Module:
        encoder = VAEEncoder(self.n_features_in_, int(self.latent_dim), self.hidden_,
                             self.architecture, self.image_shape_, int(self.channels), 0)
        return EncoderClassifier(encoder, len(self.classes_), self.features, float(self.dropout))

    # ---------------------------------------------------------------- fitting
    def fit(self, X, y):
        """Pretrain a VAE on every row, then fine-tune its encoder on the labelled rows.

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

        Raises
        ------
        ValueError
            No labelled row ("no class to learn"), a single labelled class, a
            listed class without a labelled row, bad settings (before any
            training).
        """
        from gdlab.models.vae import VAE

        X, y, _, _ = check_X_y(self, X, y, allow_nan=False, min_classes=1,
                               dtype=(np.float64, np.float32))
        classes, y_idx = semi_supervised_class_indices(self, y, self.classes)
        check_in(self.features, "features", {"hidden", "latent"})
        check_int(self.pretrain_epochs, "pretrain_epochs")
        check_int(self.freeze_epochs, "freeze_epochs", minimum=0)
        check_fraction(self.dropout, "dropout")
        self._train_config()  # the training settings fail here, before any work
        vae = VAE(**{p: getattr(self, p) for p in _VAE_PARAMS},
                  max_epochs=self.pretrain_epochs, random_state=self._seed_from(self.random_state))
        vae._check_params(X.shape[1])  # the VAE's settings fail before any work too
        vae.fit(X)
        labelled = record_labelled_rows(self, classes, y_idx)
        self.mean_, self.scale_ = vae.mean_, vae.scale_
        self.hidden_, self.image_shape_ = vae.hidden_, vae.image_shape_
        self.pretrain_history_ = vae.history_
        rows = self._standardize(X[labelled])
        data = (torch.as_tensor(rows, dtype=torch.float32),
                torch.as_tensor(y_idx[labelled], dtype=torch.long))
        callbacks = [FreezeParameters("body", int(self.freeze_epochs))] \
            if self.freeze_epochs else []
        return self._train(data, cross_entropy_loss, callbacks=callbacks,
                           init_state={"body": vae.module_.encoder.state_dict()})
