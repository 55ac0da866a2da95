"""Discriminative torch networks: a multilayer perceptron and a small convolutional classifier.

Both model p(y | x) only (capability ``classify``), are scikit-learn
classifiers (``clone``, ``Pipeline``, ``GridSearchCV``) and train through
gdlab's one training loop (:class:`gdlab.nn.Trainer`, via
:class:`gdlab.nn.TorchEstimatorMixin`): mini-batch Adam on the cross-entropy,
a seeded validation split with early stopping (best weights restored), CUDA
when present (``device="auto"``).

- :class:`MLPClassifier`: per-feature standardization, hidden layers with an
  activation and dropout, a linear output layer.
- :class:`CNNClassifier`: rows are flattened single-channel images
  (``image_shape``); one global standardization (a mean and a standard
  deviation over every pixel), :class:`gdlab.nn.ConvEncoder` (conv, stride-2
  conv, linear to ``hidden_size`` units), an activation, dropout, a linear
  output layer.

Both expose :meth:`~MLPClassifier.embed`, the activations of the last hidden
layer (what :class:`gdlab.studies.features.FeatureNet` uses as features).
Training runs in float32; prediction runs a float64 copy of the trained
network, so a row's output does not depend on which other rows share its
batch (scikit-learn's subset-invariance checks hold exactly).

Examples
--------
>>> from sklearn.datasets import load_iris
>>> X, y = load_iris(return_X_y=True)
>>> clf = MLPClassifier(hidden_sizes=(16,), max_epochs=30, lr=0.02, random_state=0,
...                     device="cpu").fit(X, y)
>>> clf.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
[1.0, 1.0]
>>> clf.score(X, y) > 0.8
True
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from gdlab._param_checks import check_fraction, check_in, check_int
from gdlab._validation import check_X_y
from gdlab.base import CapabilityMixin
from gdlab.nn import TorchEstimatorMixin, cross_entropy_loss
from gdlab.nn.classifiers import BodyHeadClassifier, ConvBody
from gdlab.nn.estimator import StandardizedLogitsMixin
from gdlab.nn.layers import ACTIVATIONS, check_image_shape, mlp

__all__ = ["MLPClassifier", "CNNClassifier"]


class _NetworkClassifier(CapabilityMixin, ClassifierMixin, StandardizedLogitsMixin,
                         TorchEstimatorMixin, BaseEstimator):
    """What the two networks share: validation, standardization, training, logits.

    ``predict_log_proba``, ``predict_proba`` and ``predict`` come from
    :class:`gdlab.nn.LogitClassifierMixin`, fed by the ``_logits`` of
    :class:`gdlab.nn.estimator.StandardizedLogitsMixin`.
    """

    _gdlab_capabilities = frozenset({"classify"})
    #: The network's own ``__init__`` settings (stored with ``_set_params``; JEM adds its own).
    _network_params: tuple[str, ...] = ()
    #: Standardize each feature (True) or all features with one mean and scale (False).
    _per_feature_scaling = True

    # ----------------------------------------------------------- subclass API
    def _check_own_params(self) -> None:
        raise NotImplementedError

    def _check_data(self, X: np.ndarray) -> None:
        """Checks of the training data beyond :func:`check_X_y` (image shape)."""

    def _body(self) -> tuple[nn.Module, int]:
        """The hidden part and its output width."""
        raise NotImplementedError

    # ---------------------------------------------------------------- fitting
    def _check_common(self) -> None:
        check_in(self.activation, "activation", sorted(ACTIVATIONS))
        check_fraction(self.dropout, "dropout")
        self._train_config()  # validates the training settings

    def _build_module(self) -> nn.Module:
        body, width = self._body()
        return BodyHeadClassifier(body, nn.Linear(width, len(self.classes_)))

    def fit(self, X, y):
        """Train the network on ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric features without NaN.
        y : array-like of shape (n_samples,)
            Class labels (any sortable type), at least two classes.

        Returns
        -------
        self
        """
        self._check_common()
        self._check_own_params()
        X, y, classes, y_idx = check_X_y(self, X, y, allow_nan=False)
        self._check_data(X)
        self.classes_ = classes
        Xs = self._fit_standardization(X, per_feature=self._per_feature_scaling)
        data = (torch.as_tensor(Xs, dtype=torch.float32),
                torch.as_tensor(y_idx, dtype=torch.long))
        loss, eval_loss = self._losses(Xs)
        return self._train(data, loss, eval_loss=eval_loss)

    def _losses(self, Xs: np.ndarray):
        """The training loss and the validation loss (None: the same) for the Trainer.

        The cross-entropy for both here; a subclass that trains on more (the
        SGLD contrastive term of :class:`gdlab.models.jem.JEMClassifier`)
        returns its own loss and keeps the cross-entropy for validation.

        Parameters
        ----------
        Xs : ndarray of shape (n_samples, n_features)
            The standardized training rows.
        """
        return cross_entropy_loss, None


class MLPClassifier(_NetworkClassifier):
    """Multilayer perceptron classifier trained with gdlab's training loop.

    Inputs are standardized per feature (means and standard deviations of the
    training rows; constant features are only centered), then pass through
    ``len(hidden_sizes)`` linear layers each followed by the activation and
    dropout, and a linear output layer; the loss is the cross-entropy.

    Parameters
    ----------
    hidden_sizes : sequence of int, default=(64,)
        Widths of the hidden layers; ``()`` gives multinomial logistic regression.
    activation : str, default="relu"
        One of :data:`gdlab.nn.layers.ACTIVATIONS`.
    dropout : float in [0, 1), default=0.0
        Dropout after each hidden activation (training only).
    max_epochs : int, default=200
    batch_size : int, default=64
    lr : float, default=1e-3
        Adam's learning rate.
    weight_decay : float, default=0.0
        AdamW's decoupled weight decay.
    validation_fraction : float in [0, 1), default=0.1
        Rows held out (seeded) for early stopping; 0 trains ``max_epochs`` on all rows.
    patience : int or None, default=10
        Epochs without a better validation loss before stopping.
    device : str, default="auto"
        CUDA when available, else CPU (see :func:`gdlab.nn.resolve_device`).
    random_state : int, RandomState or None, default=None
        Seeds the split, the batch order, the initial weights and dropout.
    verbose : bool, default=False
        Show a progress bar.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of the inputs.
    module_ : torch.nn.Module
        The trained network (``module_.body``: hidden layers, ``module_.head``: output layer).
    history_ : list of dict
        Per-epoch training and validation losses.
    n_epochs_, best_epoch_ : int
    device_ : str

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = np.where(X[:, 0] * X[:, 1] > 0, "same", "diff")
    >>> clf = MLPClassifier(hidden_sizes=(32, 32), lr=0.01, max_epochs=60, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> clf.classes_.tolist(), clf.score(X, y) > 0.9
    (['diff', 'same'], True)
    """

    _network_params = ("hidden_sizes", "activation", "dropout")

    def __init__(self, hidden_sizes=(64,), *, activation="relu", dropout=0.0, max_epochs=200,
                 batch_size=64, lr=1e-3, weight_decay=0.0, validation_fraction=0.1,
                 patience=10, device="auto", random_state=None, verbose=False):
        self._set_params(locals(), self._network_params)
        self._set_training_params(locals())

    def _check_own_params(self) -> None:
        _check_sizes(self.hidden_sizes)

    def _body(self) -> tuple[nn.Module, int]:
        sizes = [int(s) for s in self.hidden_sizes]
        if not sizes:
            return nn.Identity(), self.n_features_in_
        layers = [mlp([self.n_features_in_, *sizes], activation=self.activation,
                      dropout=self.dropout), ACTIVATIONS[self.activation]()]
        if self.dropout > 0:
            layers.append(nn.Dropout(self.dropout))
        return nn.Sequential(*layers), sizes[-1]


class CNNClassifier(_NetworkClassifier):
    """Small convolutional classifier for flattened single-channel images.

    Inputs are standardized with one mean and one standard deviation over all
    pixels (per-pixel scaling would distort the images the filters see), then
    :class:`gdlab.nn.ConvEncoder` (3x3 conv with ``channels`` filters, a
    stride-2 4x4 conv with ``2 * channels`` filters, each with LeakyReLU, a
    linear layer to ``hidden_size`` units), the activation, dropout and a
    linear output layer; the loss is the cross-entropy.

    Parameters
    ----------
    image_shape : tuple of (height, width), default=None
        Shape of the images whose flattened pixels are the rows of X (both
        sides even). None: square images, the side read off ``n_features``
        (``fit`` raises when ``n_features`` is not an even square).
    channels : int, default=16
    hidden_size : int, default=64
    activation : str, default="relu"
    dropout : float in [0, 1), default=0.0
    max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, device, \
random_state, verbose
        As in :class:`MLPClassifier`.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    image_shape_ : tuple of int
        The (height, width) used.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of the inputs (one value repeated).
    module_ : torch.nn.Module
    history_ : list of dict
    n_epochs_, best_epoch_ : int
    device_ : str

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(0, 0.3, (80, 16)).reshape(80, 4, 4)
    >>> X[y == 0, :, :2] += 1.0; X[y == 1, :, 2:] += 1.0   # bright left or bright right
    >>> clf = CNNClassifier((4, 4), channels=4, max_epochs=20, lr=0.01, random_state=0,
    ...                     device="cpu").fit(X.reshape(80, 16), y)
    >>> clf.score(X.reshape(80, 16), y) > 0.9
    True
    """

    _per_feature_scaling = False
    _network_params = ("image_shape", "channels", "hidden_size", "activation", "dropout")

    def __init__(self, image_shape=None, *, channels=16, hidden_size=64, activation="relu",
                 dropout=0.0, max_epochs=100, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), self._network_params)
        self._set_training_params(locals())

    def _check_own_params(self) -> None:
        check_int(self.channels, "channels")
        check_int(self.hidden_size, "hidden_size")

    def _check_data(self, X: np.ndarray) -> None:
        n = X.shape[1]
        if self.image_shape is None:
            side = int(round(np.sqrt(n)))
            if side * side != n:
                raise ValueError(f"{type(self).__name__} needs image_shape=(height, width) for "
                                 f"rows of {n} features (not a square number of pixels).")
            shape = (side, side)
        else:
            shape = self.image_shape
        self.image_shape_ = check_image_shape(n, shape)

    def _body(self) -> tuple[nn.Module, int]:
        return ConvBody(self.image_shape_, self.hidden_size, self.channels, self.activation,
                         self.dropout), self.hidden_size


def _check_sizes(sizes) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
        raise TypeError(f"hidden_sizes must be a sequence of positive ints, got {sizes!r}.")
    sizes = tuple(sizes)
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
            raise ValueError(f"hidden_sizes must hold positive ints, got {sizes!r}.")
    return sizes
