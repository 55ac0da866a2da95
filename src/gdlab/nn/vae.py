"""The networks of gdlab's variational autoencoders: encoder, decoder and observation model.

The estimators ``VAE``, ``CVAE`` and ``M2VAE`` of :mod:`gdlab.models.vae` stay there;
this module holds the torch parts they train: :class:`VAEEncoder` (rows, and a
class one-hot, to the mean and log-variance of q(z | x[, y])),
:class:`VAEDecoder` (a latent code, and a class one-hot, to the decoder's
output) and :class:`VAENet`, both of them plus the observation model
(a diagonal normal with a learned per-feature standard deviation floored at
:data:`MIN_STD`, or a product of Bernoullis), with the one-draw training terms
and the ELBO / IWAE bound per row. Each network is an MLP (sizes ``hidden``)
or a small conv net for flattened single-channel images, built from
:mod:`gdlab.nn.layers`. :class:`M2Net` is a conditional :class:`VAENet` with a
classifier MLP for q(y | x) beside it (the semi-supervised VAE M2).
:class:`EncoderClassifier` is an unconditional :class:`VAEEncoder` as the
body of a classifier (a pretrained VAE's encoder, then fine-tuned).
The training losses the estimators hand to the one :class:`gdlab.nn.Trainer`
live here too: :func:`elbo_loss` (the beta-weighted negative ELBO of ``VAE``
and ``CVAE``), :func:`m2_loss` (M2's labelled, unlabelled and classifier
terms) and :func:`elbo_draws`, the reparameterized draws behind both.

Examples
--------
>>> import torch
>>> net = VAENet(6, 2, (8,), "mlp", None, 4, n_classes=0, likelihood="gaussian")
>>> rec, kl = net(torch.zeros(5, 6))
>>> tuple(rec.shape), tuple(kl.shape)
((5,), (5,))
>>> tuple(net.bound(torch.zeros(5, 6), None, torch.zeros(3, 2), importance=True).shape)
(5,)
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from gdlab.nn.layers import ConvDecoder, ConvEncoder, mlp

__all__ = ["MIN_STD", "VAEEncoder", "VAEDecoder", "VAENet", "M2Net", "EncoderClassifier",
           "elbo_draws", "elbo_loss", "m2_loss"]

#: Floor of the learned observation standard deviation (standardized units).
MIN_STD = 1e-3
_LOG_2PI = math.log(2.0 * math.pi)


class VAEEncoder(nn.Module):
    """x (and a class one-hot) -> (mean, log-variance) of q(z | x[, y])."""

    def __init__(self, n_features, latent_dim, hidden, architecture, image_shape, channels,
                 n_classes):
        super().__init__()
        self.architecture = architecture
        if architecture == "mlp":
            self.net = mlp([n_features + n_classes, *hidden, 2 * latent_dim])
        else:
            self.net = ConvEncoder(image_shape, hidden[-1], channels=channels,
                                   extra_features=n_classes)
            self.head = nn.Sequential(nn.ReLU(), nn.Linear(hidden[-1], 2 * latent_dim))

    def hidden(self, x):
        """The last hidden activations (the input of the mean / log-variance layer).

        x: (B, D) -> (B, hidden[-1]); an unconditional encoder only.
        """
        if self.architecture == "mlp":
            return self.net[:-1](x)  # every layer but the last linear: ends in the activation
        return self.head[0](self.net(x))

    def forward(self, x, onehot=None):
        # x: (B, D), onehot: (B, K) or None -> mu, logvar: (B, L) each
        if self.architecture == "mlp":
            h = self.net(x if onehot is None else torch.cat([x, onehot], dim=1))
        else:
            h = self.head(self.net(x, onehot))
        mu, logvar = h.chunk(2, dim=1)
        return mu, logvar.clamp(-30.0, 20.0)


class VAEDecoder(nn.Module):
    """z (and a class one-hot) -> decoder output (normal mean or Bernoulli logits)."""

    def __init__(self, n_features, latent_dim, hidden, architecture, image_shape, channels,
                 n_classes):
        super().__init__()
        if architecture == "mlp":
            self.net = mlp([latent_dim + n_classes, *reversed(hidden), n_features])
        else:
            self.net = nn.Sequential(nn.Linear(latent_dim + n_classes, hidden[-1]), nn.ReLU(),
                                     ConvDecoder(hidden[-1], image_shape, channels=channels))

    def forward(self, z, onehot=None):
        # z: (B, L), onehot: (B, K) or None -> (B, D)
        return self.net(z if onehot is None else torch.cat([z, onehot], dim=1))


class VAENet(nn.Module):
    """Encoder, decoder and observation model of a (conditional) VAE.

    ``forward(x, onehot)`` returns the one-draw reconstruction log-likelihood
    and the analytic KL term per row (training); :meth:`bound` gives the
    ELBO or IWAE estimate per row for given standard-normal draws (scoring).
    """

    def __init__(self, n_features, latent_dim, hidden, architecture, image_shape, channels,
                 n_classes, likelihood):
        super().__init__()
        args = (n_features, latent_dim, hidden, architecture, image_shape, channels, n_classes)
        self.encoder = VAEEncoder(*args)
        self.decoder = VAEDecoder(*args)
        self.likelihood = likelihood
        self.latent_dim = latent_dim
        if likelihood == "gaussian":
            # std = MIN_STD + softplus(raw), starting at 1 (standardized units)
            start = math.log(math.expm1(1.0 - MIN_STD))
            self.raw_std = nn.Parameter(torch.full((n_features,), start))

    def obs_std(self):
        return MIN_STD + F.softplus(self.raw_std)  # (D,)

    def log_lik(self, x, out):
        """log p(x | z) per row from the decoder output ``out``; x, out: (B, D) -> (B,)."""
        if self.likelihood == "gaussian":
            std = self.obs_std()
            return (-0.5 * ((x - out) / std) ** 2 - torch.log(std) - 0.5 * _LOG_2PI).sum(1)
        return -F.binary_cross_entropy_with_logits(out, x, reduction="none").sum(1)

    def mean(self, out):
        """E[x | z] from the decoder output."""
        return out if self.likelihood == "gaussian" else torch.sigmoid(out)

    def forward(self, x, onehot=None):
        # x: (B, D) -> (reconstruction log-lik (B,), KL (B,)), one reparameterized draw
        mu, logvar = self.encoder(x, onehot)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = self.log_lik(x, self.decoder(z, onehot))
        kl = 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(1)
        return rec, kl

    def _draws(self, x, onehot, eps):
        """Decoder log-likelihoods for the given draws: ll (B, S), z (B, S, L), mu, logvar."""
        b, s = x.shape[0], eps.shape[0]
        mu, logvar = self.encoder(x, onehot)  # (B, L)
        z = mu[:, None, :] + torch.exp(0.5 * logvar)[:, None, :] * eps[None]  # (B, S, L)
        rep = None if onehot is None else onehot.repeat_interleave(s, dim=0)
        out = self.decoder(z.reshape(b * s, -1), rep)  # (B*S, D)
        ll = self.log_lik(x.repeat_interleave(s, dim=0), out).view(b, s)  # (B, S)
        return ll, z, mu, logvar

    def elbo_terms(self, x, onehot, eps):
        """Reconstruction log-likelihood (mean over the draws ``eps``) and KL per row."""
        ll, _, mu, logvar = self._draws(x, onehot, eps)
        return ll.mean(1), 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(1)

    def bound(self, x, onehot, eps, importance):
        """ELBO (``importance=False``) or IWAE estimate per row, with draws ``eps``: (S, L)."""
        if not importance:
            rec, kl = self.elbo_terms(x, onehot, eps)
            return rec - kl
        s = eps.shape[0]
        ll, z, _, logvar = self._draws(x, onehot, eps)
        # log p(z) - log q(z | x); the 2*pi constants cancel
        log_pz = -0.5 * (z ** 2).sum(2)
        log_qz = (-0.5 * eps ** 2).sum(1)[None, :] - 0.5 * logvar.sum(1, keepdim=True)
        return torch.logsumexp(ll + log_pz - log_qz, dim=1) - math.log(s)


class M2Net(VAENet):
    """The networks of the semi-supervised VAE M2 (Kingma et al., 2014).

    A conditional :class:`VAENet` (encoder q(z | x, y), decoder p(x | y, z))
    plus a classifier MLP ``classifier``: x -> the logits of q(y | x), with
    ``classifier_hidden`` hidden sizes and dropout between them. The VAE parts
    keep :class:`VAENet`'s names, so the per-class bounds, decoding and
    sampling of a conditional VAE apply unchanged.

    Examples
    --------
    >>> net = M2Net(6, 2, (8,), "mlp", None, 4, n_classes=3, likelihood="gaussian",
    ...             classifier_hidden=(8,))
    >>> tuple(net.classify(torch.zeros(5, 6)).shape)
    (5, 3)
    """

    def __init__(self, n_features, latent_dim, hidden, architecture, image_shape, channels,
                 n_classes, likelihood, classifier_hidden, dropout=0.0):
        super().__init__(n_features, latent_dim, hidden, architecture, image_shape, channels,
                         n_classes, likelihood)
        self.classifier = mlp([n_features, *classifier_hidden, n_classes], dropout=dropout)

    def classify(self, x):
        """Logits of q(y | x); x: (B, D) -> (B, K)."""
        return self.classifier(x)


class EncoderClassifier(nn.Module):
    """A VAE's encoder as the body of a classifier: its features, dropout, a linear head.

    ``body`` is an unconditional :class:`VAEEncoder` (state-dict keys as in
    :class:`VAENet`'s ``encoder``, so a trained VAE's encoder loads into it
    as is). ``features="hidden"`` feeds the head the encoder's last hidden
    activations (width ``hidden[-1]``; the mean / log-variance layer is then
    unused and gets no gradient), ``"latent"`` the posterior mean (width
    ``latent_dim``, Kingma et al.'s M1 features).

    Examples
    --------
    >>> enc = VAEEncoder(6, 2, (8,), "mlp", None, 4, 0)
    >>> tuple(EncoderClassifier(enc, 3, "hidden", 0.0)(torch.zeros(5, 6)).shape)
    (5, 3)
    """

    def __init__(self, encoder: VAEEncoder, n_classes: int, features: str, dropout: float):
        super().__init__()
        self.body = encoder
        self.features = features
        if features == "latent":
            width = encoder.net[-1].out_features // 2 if encoder.architecture == "mlp" \
                else encoder.head[-1].out_features // 2
        else:
            width = encoder.net[-1].in_features if encoder.architecture == "mlp" \
                else encoder.head[-1].in_features
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.head = nn.Linear(width, n_classes)

    def embed(self, x):
        """The features the head reads; x: (B, D) -> (B, width)."""
        if self.features == "latent":
            return self.body(x)[0]
        return self.body.hidden(x)

    def forward(self, x):
        # x: (B, D) -> (B, K) logits
        return self.head(self.drop(self.embed(x)))


# ----------------------------------------------------------------- training losses


def elbo_draws(latent_dim: int, *, fixed_draws: int = 0, seed: int = 0):
    """``draws(module, x, onehot) -> (rec, kl)`` per row, for the training losses.

    Parameters
    ----------
    latent_dim : int
    fixed_draws : int, default=0
        0: one fresh reparameterized draw per row and call (training, the
        module's ``forward``); k > 0: the same ``k`` draws, seeded by
        ``seed``, at every call (:meth:`VAENet.elbo_terms`; validation, so
        early stopping sees no sampling noise).
    seed : int, default=0

    Returns
    -------
    callable
        ``draws(module, x, onehot)``: the reconstruction log-likelihood and
        the KL term per row, each of shape (B,).
    """
    if not fixed_draws:
        return lambda module, x, onehot: module(x, onehot)
    gen = torch.Generator().manual_seed(seed)
    eps = torch.randn(fixed_draws, latent_dim, generator=gen)
    return lambda module, x, onehot: module.elbo_terms(x, onehot, eps.to(x.device))


def elbo_loss(draws, *, beta: float, n_conditions: int):
    """The Trainer's loss of ``VAE`` and ``CVAE``: the beta-weighted negative ELBO per row.

    Parameters
    ----------
    draws : callable
        As :func:`elbo_draws` returns it.
    beta : float
        Weight of the KL term.
    n_conditions : int
        Width of the class one-hot fed to the networks (0: none; the batch
        is ``(x,)``; else ``(x, y)`` with class indices ``y``).

    Returns
    -------
    callable
        ``loss(module, batch) -> dict`` with ``loss`` (the mean over the
        batch), ``recon`` and ``kl``.
    """

    def loss(module, batch):
        onehot = F.one_hot(batch[1], n_conditions).to(torch.float32) \
            if len(batch) > 1 and n_conditions else None
        rec, kl = draws(module, batch[0], onehot)
        return {"loss": (beta * kl - rec).mean(), "recon": -rec.mean(), "kl": kl.mean()}

    return loss


def m2_loss(draws, *, beta: float, weight: float, n_classes: int, log_prior: torch.Tensor):
    """The Trainer's loss of the semi-supervised VAE M2 (Kingma et al., 2014).

    Labelled rows ``(x, y)`` pay ``-ELBO(x, y) - log p(y)``; an unlabelled
    row (``y = -1``) pays ``sum_k q(k | x) (-ELBO(x, k) - log p(k)) - H(q(y | x))``
    with q(y | x) from ``module.classify``; the labelled rows' ``-log q(y | x)``
    is added with ``weight``. All terms are summed and divided by the batch's
    rows.

    Parameters
    ----------
    draws : callable
        As :func:`elbo_draws` returns it.
    beta : float
        Weight of the KL term.
    weight : float
        Weight of the classification term (``alpha_ / n_labelled_``).
    n_classes : int
    log_prior : torch.Tensor of shape (n_classes,)
        log p(y), float32 (-inf entries are clamped to -1e30).

    Returns
    -------
    callable
        ``loss(module, batch) -> dict`` with ``loss`` and its parts
        ``labelled``, ``unlabelled`` and ``class_nll``.
    """
    log_prior = log_prior.clamp_min(-1e30)

    def loss(module, batch):
        x, y = batch  # (B, D), (B,) with -1 for unlabelled rows
        logq = F.log_softmax(module.classify(x), dim=1)  # (B, K)
        lab = y >= 0
        x_lab, y_lab, x_unl, logq_unl = x[lab], y[lab], x[~lab], logq[~lab]
        n_lab, n_unl = x_lab.shape[0], x_unl.shape[0]
        # labelled rows with their class, then every unlabelled row with every class
        classes = torch.arange(n_classes, device=x.device)
        y_all = torch.cat([y_lab, classes.repeat(n_unl)])  # (n_lab + n_unl * K,)
        x_all = torch.cat([x_lab, x_unl.repeat_interleave(n_classes, dim=0)])
        rec, kl = draws(module, x_all, F.one_hot(y_all, n_classes).to(x.dtype))
        neg_bound = beta * kl - rec - log_prior.to(x.device)[y_all]
        labelled = neg_bound[:n_lab].sum()
        q_unl = logq_unl.exp()  # (n_unl, K)
        unlabelled = (q_unl * (neg_bound[n_lab:].view(n_unl, n_classes) + logq_unl)).sum()
        class_nll = -logq[lab].gather(1, y_lab[:, None]).sum()
        n = x.shape[0]
        return {"loss": (labelled + unlabelled + weight * class_nll) / n,
                "labelled": labelled / n, "unlabelled": unlabelled / n,
                "class_nll": class_nll / n}

    return loss
