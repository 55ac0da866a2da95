"""The sample-quality feature network: a small classifier trained on real rows.

FID compares Gaussians fitted to features of real and generated rows; on
tabular or small-image data gdlab's features are the last hidden layer of a
fixed small network trained once on the real labelled rows. It is a trained
model, so it lives with the studies, above :mod:`gdlab.models`;
:mod:`gdlab.metrics` stays pure functions of arrays.
"""

from __future__ import annotations

import numpy as np

from gdlab.models.networks import CNNClassifier, MLPClassifier

__all__ = ["FeatureNet", "feature_extractor"]


class FeatureNet:
    """A fixed small network trained on real labelled rows; its last hidden layer gives features.

    The stand-in for Inception in FID on tabular or small-image data: an
    :class:`gdlab.models.networks.MLPClassifier` with fixed settings (two
    hidden layers of 64 and 32 ReLU units, Adam lr 0.01, at most 60 epochs
    with early stopping, batches of 64), or a
    :class:`~gdlab.models.networks.CNNClassifier` when ``image_shape`` is
    given. With fewer than 20 rows it trains 30 epochs on all of them (no
    validation split). Features are the 32 (or 64 for the CNN) activations of the last
    hidden layer (:meth:`~gdlab.models.networks.MLPClassifier.embed`).

    Parameters
    ----------
    random_state : int, default=0
    image_shape : tuple of (height, width), optional
    device : str, default="auto"

    Attributes
    ----------
    network_ : MLPClassifier or CNNClassifier
        The trained network.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> net = FeatureNet(device="cpu").fit(X, y)
    >>> net(X[:5]).shape
    (5, 32)
    """

    def __init__(self, random_state: int = 0, image_shape=None, device="auto"):
        self.random_state = random_state
        self.image_shape = image_shape
        self.device = device

    def fit(self, X, y) -> FeatureNet:
        """Train the network on real rows ``X`` with labels ``y``."""
        common = dict(lr=0.01, max_epochs=60, batch_size=64, patience=8,
                      random_state=self.random_state, device=self.device)
        if self.image_shape is None:
            net = MLPClassifier(hidden_sizes=(64, 32), **common)
        else:
            net = CNNClassifier(self.image_shape, channels=8, hidden_size=64, **common)
        if len(np.asarray(X)) < 20:  # too few rows to hold out a validation split
            net.set_params(validation_fraction=0.0, max_epochs=30)
        self.network_ = net.fit(X, y)
        return self

    def __call__(self, X) -> np.ndarray:
        """Features of the rows of ``X``: array of shape (n_samples, n_features_out)."""
        if not hasattr(self, "network_"):
            raise ValueError("FeatureNet is not fitted; call fit(X, y) first.")
        return self.network_.embed(X)

    transform = __call__


def feature_extractor(X_real, y_real, random_state=0, image_shape=None, device="auto"):
    """Train a :class:`FeatureNet` on real labelled rows and return it (a callable on rows).

    Parameters
    ----------
    X_real : array-like of shape (n_samples, n_features)
    y_real : array-like of shape (n_samples,)
    random_state : int, default=0
    image_shape : tuple of (height, width), optional
        Use a small CNN instead of an MLP.
    device : str, default="auto"

    Returns
    -------
    FeatureNet
        ``features = extractor(X)``.
    """
    return FeatureNet(random_state, image_shape=image_shape, device=device).fit(X_real, y_real)
