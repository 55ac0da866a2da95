"""What the variational autoencoders of :mod:`gdlab.models.vae` share: :class:`VAEBase`.

``VAE``, ``CVAE`` and ``M2VAE`` (in :mod:`gdlab.models.vae`) mix in
:class:`VAEBase`: the checks of the network and bound settings, the scaling of
the inputs (standardization for the Gaussian observation model), building the
:class:`gdlab.nn.vae.VAENet` and handing its ELBO loss to the one trainer,
the per-row ELBO / IWAE bounds behind ``score_samples``, ``elbo`` and
``log_likelihood_iw``, and encoding, decoding and sampling. The estimators
add what differs: the condition (none, or the class), and M2's classifier.
Only :mod:`gdlab.models.vae` uses it; the networks and losses live in
:mod:`gdlab.nn.vae`.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted
from torch import nn
from torch.nn import functional as F

from gdlab._param_checks import check_in, check_int, check_positive
from gdlab.nn import TorchEstimatorMixin, check_image_shape, check_layer_sizes
from gdlab.nn.estimator import check_standardizable
from gdlab.nn.vae import VAENet, elbo_draws, elbo_loss

__all__ = ["VAEBase", "SCORE_DRAWS", "SCORE_SEED", "ROWS_PER_BATCH"]

#: Reparameterization draws per row behind the ELBO of ``score_samples`` (n_importance=0).
SCORE_DRAWS = 8
#: Seed of the draws behind ``score_samples`` (scores are deterministic).
SCORE_SEED = 0
#: Decoder rows per inference batch (batch rows x draws), to bound memory.
ROWS_PER_BATCH = 8192


class VAEBase(TorchEstimatorMixin):
    """What VAE, CVAE and M2VAE share: parameter checks, scaling, network, bounds, decoding."""

    _n_conditions = 0  # one-hot width fed to the networks (CVAE: n_classes)

    @property
    def _n_features_out(self) -> int:
        """Width of ``transform``'s output (names for ``get_feature_names_out``)."""
        return int(self.latent_dim)

    # ----------------------------------------------------------------- checks
    def _check_params(self, n_features: int) -> None:
        check_int(self.latent_dim, "latent_dim")
        hidden = check_layer_sizes(self.hidden, "hidden")
        check_in(self.architecture, "architecture", {"mlp", "conv"})
        check_in(self.likelihood, "likelihood", {"gaussian", "bernoulli"})
        check_positive(self.beta, "beta")
        check_int(self.n_importance, "n_importance", minimum=0)
        check_int(self.channels, "channels")
        if self.architecture == "conv" and self.image_shape is None:
            raise ValueError("architecture='conv' needs image_shape=(height, width) of the "
                             "flattened images in X, got image_shape=None.")
        shape = None if self.image_shape is None else check_image_shape(n_features,
                                                                         self.image_shape)
        self._train_config()  # the training settings fail here too, before any work
        self.hidden_ = hidden
        self.image_shape_ = shape

    def _check_range(self, X: np.ndarray) -> None:
        if self.likelihood == "bernoulli" and (X.min() < 0.0 or X.max() > 1.0):
            raise ValueError(
                f"likelihood='bernoulli' needs X in [0, 1], got values in [{X.min():g}, "
                f"{X.max():g}]; rescale X (e.g. digits / 16) or use likelihood='gaussian'.")

    def _fit_scaling(self, X: np.ndarray) -> None:
        self._record_range(X)
        if self.likelihood == "gaussian":
            self._fit_standardization(X)
        else:
            self.mean_ = np.zeros(X.shape[1])
            self.scale_ = np.ones(X.shape[1])

    def _scaled(self, X: np.ndarray, dtype=np.float64) -> np.ndarray:
        """Standardized copy of X (a plain copy for ``"bernoulli"``) as ``dtype``.

        Values too large to standardize raise (:func:`check_standardizable`).
        The arithmetic runs in X's own precision (float64 rows are standardized
        before the cast to float32, which would turn values beyond 3.4e38 into
        inf; float32 rows are not copied to float64).
        """
        if self.likelihood != "gaussian":
            return np.array(X, dtype=dtype, copy=None)
        check_standardizable(self, X)
        work = np.result_type(X.dtype, dtype)
        out = np.array(X, dtype=work, copy=True)
        out -= self.mean_.astype(work)
        out /= self.scale_.astype(work)
        return out.astype(dtype, copy=False)

    def _labels(self, y_idx) -> torch.Tensor:
        return torch.as_tensor(np.asarray(y_idx, dtype=np.int64), device=self._inference_device())

    def _log_jacobian(self) -> float:
        return -float(np.log(self.scale_).sum())

    # ---------------------------------------------------------------- network
    def _build_module(self) -> nn.Module:
        return VAENet(self.n_features_in_, int(self.latent_dim), self.hidden_,
                      self.architecture, self.image_shape_, int(self.channels),
                      self._n_conditions, self.likelihood)

    def _onehot(self, y_idx, dtype=torch.float32):
        if not self._n_conditions:
            return None
        return F.one_hot(y_idx, self._n_conditions).to(dtype)

    def _onehot64(self, yb: tuple):
        """Float64 one-hot of a batch's class indices ``yb[0]``; None for an unlabelled batch."""
        return self._onehot(yb[0], torch.float64) if yb else None

    def _prior_draws(self, n: int, random_state) -> tuple[torch.Tensor, torch.Generator]:
        """``n`` float64 rows of z ~ N(0, I) on the inference device, and their generator."""
        gen = self._generator(random_state, self._inference_device())
        z = torch.randn(n, int(self.latent_dim), generator=gen, device=gen.device).double()
        return z, gen

    def _draws(self, *, fixed: bool):
        """``draws(module, x, onehot) -> (rec, kl)`` per row (:func:`gdlab.nn.vae.elbo_draws`).

        ``fixed=False``: fresh reparameterized draws (training); ``fixed=True``:
        the draws behind ``score_samples`` at every call (validation, so early
        stopping sees no sampling noise).
        """
        return elbo_draws(int(self.latent_dim), fixed_draws=SCORE_DRAWS if fixed else 0,
                          seed=SCORE_SEED)

    def _fit_module(self, X: np.ndarray, y_idx=None):
        data = (torch.from_numpy(self._scaled(X, np.float32)),)
        if y_idx is not None:
            data = (*data, torch.from_numpy(np.asarray(y_idx, dtype=np.int64)))
        beta, width = float(self.beta), self._n_conditions
        return self._train(data, elbo_loss(self._draws(fixed=False), beta=beta, n_conditions=width),
                           eval_loss=elbo_loss(self._draws(fixed=True), beta=beta,
                                               n_conditions=width))

    # ----------------------------------------------------------------- bounds
    def _bound(self, X, y_idx, k: int, random_state, importance: bool) -> np.ndarray:
        """ELBO / IWAE per row of validated X under classes ``y_idx`` (None for the VAE).

        The same ``k`` standard-normal draws serve every row, so a row's score
        does not depend on the other rows (order, batch) and a seed fixes it.
        """
        self._check_range(X)
        eps, _ = self._prior_draws(k, random_state)
        bs = max(1, ROWS_PER_BATCH // k)
        module = self._float64_module()

        def fn(xb, *yb):
            return module.bound(xb, self._onehot64(yb), eps, importance)

        return self._batched(fn, *self._arrays(X, y_idx), batch_size=bs) + self._log_jacobian()

    def _arrays(self, X, y_idx) -> tuple:
        return self._with_labels(self._tensor64(self._scaled(X)), y_idx)

    def _with_labels(self, t: torch.Tensor, y_idx) -> tuple:
        """``_batched``'s inputs: ``(t,)``, or ``(t, labels)`` for class indices ``y_idx``."""
        return (t,) if y_idx is None else (t, self._labels(y_idx))

    def _bounds(self, X, k: int, random_state, importance: bool) -> np.ndarray:
        """The model's bounds per row of validated X (VAE: (n,); CVAE: (n, n_classes))."""
        raise NotImplementedError

    def _score_bounds(self, X) -> np.ndarray:
        """The deterministic bounds behind the scores (fixed draws; IWAE with ``n_importance``)."""
        if self.n_importance:
            return self._bounds(X, int(self.n_importance), SCORE_SEED, True)
        return self._bounds(X, SCORE_DRAWS, SCORE_SEED, False)

    def _checked_bounds(self, X, k, random_state, importance: bool) -> np.ndarray:
        """:meth:`_bounds` of X validated against the fit, with ``k`` checked."""
        check_is_fitted(self)
        k = check_int(k, "k")
        return self._bounds(self._validate_X_predict(X), k, random_state, importance)

    def elbo(self, X, k=1, random_state=None) -> np.ndarray:
        """Evidence lower bound per row, a Monte Carlo estimate with ``k`` draws.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        k : int, default=1
            Reparameterized draws of z per row (the KL term is exact).
        random_state : int, RandomState or None

        Returns
        -------
        ndarray of shape (n_samples,) (VAE) or (n_samples, n_classes) (CVAE)
            The ELBO of log p(x), or per class of log p(x | y=k), in the units
            of X (including the standardization's log-Jacobian).
        """
        return self._checked_bounds(X, k, random_state, False)

    def log_likelihood_iw(self, X, k=64, random_state=None) -> np.ndarray:
        """Importance-weighted (IWAE) estimate of log p(x) per row with ``k`` draws.

        A lower bound in expectation that is never looser than the ELBO and
        approaches log p(x) as ``k`` grows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        k : int, default=64
        random_state : int, RandomState or None

        Returns
        -------
        ndarray of shape (n_samples,) (VAE) or (n_samples, n_classes) (CVAE)
            The estimate of log p(x), or per class of log p(x | y=k).
        """
        return self._checked_bounds(X, k, random_state, True)

    # --------------------------------------------------------------- decoding
    def _posterior_mean(self, X, y_idx) -> np.ndarray:
        self._check_range(X)
        module = self._float64_module()

        def fn(xb, *yb):
            return module.encoder(xb, self._onehot64(yb))[0]

        return self._batched(fn, *self._arrays(X, y_idx))

    def _decode(self, z: torch.Tensor, y_idx, *, noise: bool, gen=None) -> np.ndarray:
        """Decode latent codes to rows in the original units (mean, or a draw with noise)."""
        module = self._float64_module()

        def fn(zb, *yb):
            out = module.decoder(zb, self._onehot64(yb))
            mean = module.mean(out)
            if not noise:
                return mean
            if self.likelihood == "bernoulli":
                return torch.bernoulli(mean, generator=gen)
            return mean + module.obs_std() * torch.randn(
                mean.shape, generator=gen, device=mean.device).double()

        return self._batched(fn, *self._with_labels(z, y_idx)) * self.scale_ + self.mean_

    def _generate(self, y_idx, n: int, rng, noise: bool) -> np.ndarray:
        """Samples in the units of X (Gaussian: clipped per feature to the range seen in fit)."""
        z, gen = self._prior_draws(n, rng)
        X = self._decode(z, y_idx, noise=noise, gen=gen)
        # Bernoulli means and draws lie in [0, 1] (the range that likelihood requires) already
        return self._clip_to_range(X) if self.likelihood == "gaussian" else X

    def _y_idx(self, X, y):
        """Class indices to condition X's rows on (``y``, or predicted when None); VAE: None."""
        return None

    def _validated_rows(self, X, y=None) -> tuple:
        """X validated against the fit, and the class indices of its rows (:meth:`_y_idx`)."""
        check_is_fitted(self)
        X = self._validate_X_predict(X)
        return X, self._y_idx(X, y)

    def _reconstruct(self, X, y_idx) -> np.ndarray:
        z = self._posterior_mean(X, y_idx)
        return self._decode(self._tensor64(z), y_idx, noise=False)

    @staticmethod
    def _check_all_missing(X, name):
        if not np.isnan(X).all():
            raise TypeError(f"{name} has no missing_features: it draws whole rows only (all-NaN "
                            "X), not missing entries given observed ones.")
