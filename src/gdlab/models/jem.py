"""A classifier read as an energy-based model: JEM (Grathwohl et al. 2020).

A network's logits ``f(x)`` define, besides p(y | x) = softmax_y f(x), an
*unnormalized* joint and marginal density::

    p(x, y) = exp(f(x)[y]) / Z        log p~(x) = logsumexp_y f(x)[y]   (= log p(x) + log Z)

Z (an integral over the whole input space) is never computed, so
``score_samples`` is log p(x) up to one unknown constant: it ranks rows (what
out-of-distribution detection needs) but is no likelihood and compares with no
other model's log p(x). The capability tag says so: ``unnormalized_density``,
never ``density``.

Training adds to the cross-entropy the contrastive term of the gradient of
log p(x)::

    loss = CE(f(x), y) + generative_weight * (mean logsumexp f(x_q) - mean logsumexp f(x))
           + energy_reg * mean(logsumexp f(x)^2 + logsumexp f(x_q)^2)

where ``x_q`` are short-run SGLD samples of the model (:func:`gdlab.nn.sgld.sgld`)
drawn from a persistent replay buffer (:class:`gdlab.nn.sgld.ReplayBuffer`)
whose chains restart from uniform noise over the training range with
probability ``reinit_prob`` (the paper's 0.05). The paper's SGLD settings are
the defaults (step size 1, noise 0.01) with fewer steps (``sgld_steps=10``
instead of 20) so that it trains on a CPU. The energy penalty (Du & Mordatch
2019) is off by default; it steadies training that diverges. Early stopping
watches the validation cross-entropy, as for :class:`~gdlab.models.networks.MLPClassifier`.

Both estimators train through gdlab's one training loop (they are
:class:`~gdlab.models.networks.MLPClassifier` and
:class:`~gdlab.models.networks.CNNClassifier` with that loss):

- :class:`JEMClassifier`: an MLP for rows (features standardized one by one);
- :class:`JEMCNNClassifier`: the small CNN for flattened single-channel images.

Inputs are standardized first, so ``log p~`` is a density of the standardized
rows; the Jacobian of that map is one more constant, absorbed in Z.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(-2, 0.5, (100, 2)), rng.normal(2, 0.5, (100, 2))]
>>> y = np.repeat([0, 1], 100)
>>> jem = JEMClassifier(hidden_sizes=(32,), max_epochs=30, lr=0.01, random_state=0,
...                     device="cpu").fit(X, y)
>>> jem.score(X, y) > 0.95
True
>>> noise = rng.uniform(-4, 4, (200, 2))
>>> bool(np.median(jem.score_samples(X)) > np.median(jem.score_samples(noise)))
True
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gdlab._param_checks import check_fraction, check_int, check_n_samples, check_positive
from gdlab._validation import check_random_state
from gdlab.bayes import class_indices_for_sampling
from gdlab.models.networks import CNNClassifier, MLPClassifier
from gdlab.nn import cross_entropy_loss
from gdlab.nn.sgld import ReplayBuffer, sgld

__all__ = ["JEMClassifier", "JEMCNNClassifier"]

#: Constructor parameters of the energy-based reading, shared by both estimators.
JEM_PARAMS = ("generative_weight", "sgld_steps", "sgld_step_size", "sgld_noise",
              "reinit_prob", "buffer_size", "energy_reg", "sample_steps")


def _lse(logits: torch.Tensor) -> torch.Tensor:
    return torch.logsumexp(logits, dim=1)  # (B, K) -> (B,)


class _JEMLoss:
    """Cross-entropy plus the SGLD contrastive term, with the replay buffer it keeps.

    Called by the Trainer as ``loss(module, batch)``; the buffer is built on the
    first call, on the batch's device, inside the Trainer's seeded random state.
    """

    def __init__(self, est, lower: np.ndarray, upper: np.ndarray):
        self.est = est
        self.lower, self.upper = lower, upper
        self.buffer = None

    def __call__(self, module: nn.Module, batch) -> dict:
        x, y = batch
        est = self.est
        if self.buffer is None:
            lo = torch.as_tensor(self.lower, dtype=x.dtype, device=x.device)
            hi = torch.as_tensor(self.upper, dtype=x.dtype, device=x.device)
            self.buffer = ReplayBuffer(int(est.buffer_size), lo, hi, est.reinit_prob)
        start, slots = self.buffer.draw(len(x))
        x_q = sgld(lambda v: _lse(module(v)), start, n_steps=est.sgld_steps,
                   step_size=est.sgld_step_size, noise=est.sgld_noise,
                   lower=self.buffer.lower, upper=self.buffer.upper)
        self.buffer.store(x_q, slots)
        logits = module(x)  # (B, K)
        lse_data, lse_q = _lse(logits), _lse(module(x_q))  # (B,), (B,)
        ce = nn.functional.cross_entropy(logits, y)
        gap = lse_q.mean() - lse_data.mean()  # -(log p~(data) - log p~(samples))
        loss = ce + est.generative_weight * gap
        if est.energy_reg > 0:
            loss = loss + est.energy_reg * (lse_data ** 2 + lse_q ** 2).mean()
        return {"loss": loss, "cross_entropy": ce.detach(), "energy_gap": gap.detach()}


def _validation_cross_entropy(module: nn.Module, batch) -> dict:
    ce = cross_entropy_loss(module, batch)
    return {"loss": ce, "cross_entropy": ce}


class _EnergyModelMixin:
    """The energy-based reading of a logit network: its loss, ``score_samples``, ``sample``.

    Mixed in before :class:`~gdlab.models.networks.MLPClassifier` or
    :class:`~gdlab.models.networks.CNNClassifier`.
    """

    _gdlab_capabilities = frozenset({"classify", "unnormalized_density", "sample",
                                     "conditional_sample"})

    def _check_own_params(self) -> None:
        """The network's own settings (``super()``), then those of the energy-based reading."""
        super()._check_own_params()
        self._check_jem_params()

    def _check_jem_params(self) -> None:
        check_positive(self.generative_weight, "generative_weight", allow_zero=True)
        check_int(self.sgld_steps, "sgld_steps", minimum=1)
        check_positive(self.sgld_step_size, "sgld_step_size")
        check_positive(self.sgld_noise, "sgld_noise", allow_zero=True)
        check_fraction(self.reinit_prob, "reinit_prob", allow_one=True)
        check_int(self.buffer_size, "buffer_size", minimum=1)
        check_positive(self.energy_reg, "energy_reg", allow_zero=True)
        check_int(self.sample_steps, "sample_steps", minimum=1)

    def _losses(self, Xs: np.ndarray):
        # SGLD chains live in the standardized training range (the box the data fill)
        self.sgld_lower_ = np.asarray(Xs.min(axis=0), dtype=np.float64)
        self.sgld_upper_ = np.asarray(Xs.max(axis=0), dtype=np.float64)
        return _JEMLoss(self, self.sgld_lower_, self.sgld_upper_), _validation_cross_entropy

    # -------------------------------------------------------------- inference
    def score_samples(self, X) -> np.ndarray:
        """Unnormalized log-density log p~(x) = logsumexp_y f(x)[y] of each row.

        Equal to log p(x) + log Z for one unknown constant Z (the same for
        every row): fine for ranking rows (out-of-distribution scores), not a
        likelihood to compare with other models (capability
        ``unnormalized_density``, not ``density``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return logsumexp(self._logits(X), axis=1)

    def sample(self, n_samples=None, y=None, random_state=None):
        """Draw rows by SGLD on log p~(x), or on f(x)[y] (log p~(x, y)) when ``y`` is given.

        Each chain starts uniformly in the range of the training rows and runs
        ``sample_steps`` SGLD steps (``sgld_step_size``, ``sgld_noise``),
        clipped to that range. Short-run SGLD ends near the modes of the
        energy: the draws are approximate, not exact samples of p(x).

        Parameters
        ----------
        n_samples : int, optional
            Number of rows. Defaults to 1, or to ``len(y)`` when ``y`` is an array.
        y : label or array-like of shape (n_samples,), optional
            Class of each draw (one label for all, or one per row); None draws
            x from p~(x) and then its label from the network's p(y | x).
        random_state : int, RandomState instance or None
            Seed of the starts, the noise and the labels.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            In the units of the training data.
        y : ndarray of shape (n_samples,)
            Entries of ``classes_``.
        """
        check_is_fitted(self, "module_")
        rng = check_random_state(random_state)
        if y is None:
            n = check_n_samples(1 if n_samples is None else n_samples)
            y_idx = None
        else:
            prior = np.full(len(self.classes_), 1.0 / len(self.classes_))
            y_idx = class_indices_for_sampling(self.classes_, prior, n_samples, y, rng)
            n = len(y_idx)
        gen = self._generator(rng.randint(0, 2**31 - 1))
        module = self.module_.eval()
        device = next(module.parameters()).device
        lo = torch.as_tensor(self.sgld_lower_, dtype=torch.float32, device=device)
        hi = torch.as_tensor(self.sgld_upper_, dtype=torch.float32, device=device)
        start = lo + torch.rand((n, lo.shape[0]), generator=gen, device=device) * (hi - lo)
        if y_idx is None:
            def score(v):
                return _lse(module(v))
        else:
            labels = torch.as_tensor(y_idx, dtype=torch.long, device=device)[:, None]

            def score(v):
                return module(v).gather(1, labels).squeeze(1)
        Xs = sgld(score, start, n_steps=self.sample_steps, step_size=self.sgld_step_size,
                  noise=self.sgld_noise, lower=lo, upper=hi, generator=gen)
        X = Xs.to("cpu", torch.float64).numpy() * self.scale_ + self.mean_
        if y_idx is None:
            y_idx = self._draw_labels(X, rng)
        return X, self.classes_[y_idx]


_PARAMS_DOC = """
    generative_weight : float >= 0, default=1.0
        Weight of the SGLD contrastive term; 0 trains the plain classifier.
    sgld_steps : int, default=10
        SGLD steps per mini-batch (the paper: 20).
    sgld_step_size : float, default=1.0
        Multiplies the gradient of log p~ at each SGLD step (the paper's 1).
    sgld_noise : float, default=0.01
        Noise standard deviation at each SGLD step (the paper's 0.01).
    reinit_prob : float in [0, 1], default=0.05
        Chance a chain drawn from the replay buffer restarts from uniform noise.
    buffer_size : int, default=10000
        Chains in the replay buffer.
    energy_reg : float >= 0, default=0.0
        Weight of the squared-energy penalty (Du & Mordatch 2019).
    sample_steps : int, default=100
        SGLD steps of each chain in :meth:`sample`."""


class JEMClassifier(_EnergyModelMixin, MLPClassifier):
    __doc__ = f"""MLP classifier trained as a joint energy-based model (JEM) of p(x, y).

    :class:`~gdlab.models.networks.MLPClassifier` (standardized inputs, hidden
    layers, linear output) whose loss adds the SGLD contrastive term of
    log p(x) (see the module docstring). ``predict_proba`` is the softmax of
    the logits; ``score_samples`` their logsumexp, an *unnormalized*
    log-density; ``sample`` runs SGLD.

    Parameters
    ----------
    hidden_sizes : sequence of int, default=(64,)
    activation : str, default="silu"
        Smooth activations give SGLD smooth input gradients.
    dropout, max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, \
device, random_state, verbose
        As in :class:`~gdlab.models.networks.MLPClassifier`.{_PARAMS_DOC}

    Attributes
    ----------
    classes_, n_features_in_, mean_, scale_, module_, history_, n_epochs_, best_epoch_, device_
        As in :class:`~gdlab.models.networks.MLPClassifier`; ``history_`` also
        logs ``train_cross_entropy`` and ``train_energy_gap`` (mean log p~ of
        the SGLD samples minus that of the data) per epoch.
    sgld_lower_, sgld_upper_ : ndarray of shape (n_features,)
        The standardized training range, where SGLD chains start and stay.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2)); y = (X[:, 0] > 0).astype(int)
    >>> jem = JEMClassifier(hidden_sizes=(16,), max_epochs=10, random_state=0,
    ...                     device="cpu").fit(X, y)
    >>> jem.predict_proba(X[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    >>> Xs, ys = jem.sample(5, y=1, random_state=0)
    >>> Xs.shape, ys.tolist()
    ((5, 2), [1, 1, 1, 1, 1])
    """

    def __init__(self, hidden_sizes=(64,), *, activation="silu", dropout=0.0,
                 generative_weight=1.0, sgld_steps=10, sgld_step_size=1.0, sgld_noise=0.01,
                 reinit_prob=0.05, buffer_size=10000, energy_reg=0.0, sample_steps=100,
                 max_epochs=200, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), self._network_params + JEM_PARAMS)
        self._set_training_params(locals())


class JEMCNNClassifier(_EnergyModelMixin, CNNClassifier):
    __doc__ = f"""Small CNN classifier trained as a joint energy-based model (JEM) of p(x, y).

    :class:`~gdlab.models.networks.CNNClassifier` (flattened single-channel
    images, one global standardization, conv encoder, linear output) whose
    loss adds the SGLD contrastive term of log p(x), as
    :class:`JEMClassifier`. Rows that are not images (a number of features
    that is no even square, without ``image_shape``) are refused in ``fit``
    before any training.

    Parameters
    ----------
    image_shape : tuple of (height, width), default=None
    channels : int, default=16
    hidden_size : int, default=64
    activation : str, default="silu"
    dropout, max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, \
device, random_state, verbose
        As in :class:`~gdlab.models.networks.CNNClassifier`.{_PARAMS_DOC}

    Attributes
    ----------
    classes_, n_features_in_, image_shape_, mean_, scale_, module_, history_, n_epochs_, \
best_epoch_, device_, sgld_lower_, sgld_upper_
        As in :class:`~gdlab.models.networks.CNNClassifier` and :class:`JEMClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 40)
    >>> X = rng.normal(0, 0.3, (80, 4, 4))
    >>> X[y == 0, :, :2] += 1.0; X[y == 1, :, 2:] += 1.0   # bright left or bright right
    >>> jem = JEMCNNClassifier((4, 4), channels=4, hidden_size=16, max_epochs=10,
    ...                        random_state=0, device="cpu").fit(X.reshape(80, 16), y)
    >>> jem.score_samples(X.reshape(80, 16)[:3]).shape
    (3,)
    """

    def __init__(self, image_shape=None, *, channels=16, hidden_size=64, activation="silu",
                 dropout=0.0, generative_weight=1.0, sgld_steps=10, sgld_step_size=1.0,
                 sgld_noise=0.01, reinit_prob=0.05, buffer_size=10000, energy_reg=0.0,
                 sample_steps=100, max_epochs=100, batch_size=64, lr=1e-3, weight_decay=0.0,
                 validation_fraction=0.1, patience=10, device="auto", random_state=None,
                 verbose=False):
        self._set_params(locals(), self._network_params + JEM_PARAMS)
        self._set_training_params(locals())
