"""The two players of gdlab's GANs and their training steps.

The networks of :mod:`gdlab.models.gan` (the estimators ``GAN``,
``ConditionalGAN`` and ``SemiSupervisedGAN`` stay there): an MLP or conv
generator from noise (and a class embedding), a discriminator whose class
conditioning is a projection (Miyato & Koyama, 2018), the K-class
discriminator of the semi-supervised GAN (:class:`ClassDiscriminator`,
Salimans et al., 2016), and :class:`GANNet` holding both players in one
state dict. Beside them, the two-player updates that the estimators hand to
the one :class:`gdlab.nn.Trainer`: :func:`adversarial_step` (non-saturating
loss with the R1 penalty), :func:`feature_matching_step` (the semi-supervised
GAN's), and their optimizer, :func:`adam`.

Examples
--------
>>> import torch
>>> g = Generator(3, 2, (8,), "mlp", None, 4, n_classes=2)
>>> d = Discriminator(3, (8,), "mlp", None, 4, spectral_norm=False, n_classes=2)
>>> y = torch.tensor([0, 1])
>>> tuple(d(g(torch.zeros(2, 2), y), y).shape)
(2,)
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F  # noqa: N812

from gdlab.nn.layers import ConvDecoder, ConvEncoder, mlp
from gdlab.nn.training import weight_decay_groups

__all__ = ["Generator", "BatchNormGenerator", "Discriminator", "ClassDiscriminator",
           "GaussianNoise", "GANNet", "adam", "adversarial_step", "feature_matching_step"]


class Generator(nn.Module):
    """Noise (and a class embedding) -> a row in standardized units."""

    def __init__(self, n_features: int, latent_dim: int, hidden, architecture: str,
                 image_shape, channels: int, n_classes: int = 0):
        super().__init__()
        self.embed = nn.Embedding(n_classes, latent_dim) if n_classes else None
        in_features = latent_dim * (2 if n_classes else 1)
        if architecture == "conv":
            self.net = ConvDecoder(in_features, image_shape, channels)
        else:
            self.net = mlp([in_features, *hidden, n_features], activation="relu")

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # z: (B, latent), y: (B,) class indices -> (B, n_features)
        if self.embed is not None:
            z = torch.cat([z, self.embed(y)], dim=1)
        return self.net(z)


class BatchNormGenerator(nn.Module):
    """Noise -> a row: the semi-supervised GAN's generator (Salimans et al., 2016).

    Each hidden layer is linear, batch normalization, softplus; the output
    layer is linear (standardized units). Batch normalization needs two or
    more rows per training batch.
    """

    def __init__(self, n_features: int, latent_dim: int, hidden):
        super().__init__()
        layers: list[nn.Module] = []
        width = int(latent_dim)
        for h in hidden:
            layers += [nn.Linear(width, int(h)), nn.BatchNorm1d(int(h)), nn.Softplus()]
            width = int(h)
        layers.append(nn.Linear(width, int(n_features)))
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # z: (B, latent) -> (B, n_features)
        return self.net(z)


class Discriminator(nn.Module):
    """A row (and a class) -> real-vs-fake logit; projection conditioning."""

    def __init__(self, n_features: int, hidden, architecture: str, image_shape,
                 channels: int, spectral_norm: bool, n_classes: int = 0):
        super().__init__()
        sn = nn.utils.parametrizations.spectral_norm if spectral_norm else (lambda m: m)
        width = int(hidden[-1])
        if architecture == "conv":
            self.features = ConvEncoder(image_shape, width, channels, spectral_norm=spectral_norm)
        else:
            self.features = mlp([n_features, *hidden], activation="leaky_relu",
                                spectral_norm=spectral_norm)
        self.head = sn(nn.Linear(width, 1))
        self.embed = sn(nn.Embedding(n_classes, width)) if n_classes else None

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        # x: (B, n_features) -> phi: (B, width) -> logit: (B,)
        phi = F.leaky_relu(self.features(x), 0.2)
        logit = self.head(phi).squeeze(1)
        if self.embed is not None:
            logit = logit + (self.embed(y) * phi).sum(dim=1)
        return logit


class GaussianNoise(nn.Module):
    """Adds N(0, std^2) noise to its input in training mode; the identity in eval mode."""

    def __init__(self, std: float):
        super().__init__()
        self.std = float(std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.std == 0.0:
            return x
        return x + self.std * torch.randn_like(x)


class ClassDiscriminator(nn.Module):
    """A row -> K class logits, the discriminator (and classifier) of a semi-supervised GAN.

    Salimans et al. (2016): the (K+1)-th logit, "generated", is fixed at 0, so
    with ``Z = sum_k exp(l_k)`` the probability that a row is real is
    ``Z / (Z + 1)`` and, given real, its class is ``softmax(l)``. Layers as in
    their MNIST model: Gaussian noise on the input and after every hidden
    layer (training only), weight-normalized linear layers (Salimans & Kingma,
    2016), ReLU, optional dropout.

    Parameters
    ----------
    n_features : int
    hidden : tuple of int
        Hidden layer sizes; the last hidden layer's activations are the
        features of the generator's feature-matching loss.
    n_classes : int
    input_noise, hidden_noise : float
        Standard deviations of the Gaussian noise (in standardized units).
    dropout : float
        Dropout after each hidden layer.
    weight_norm : bool
        Weight-normalize every linear layer.
    """

    def __init__(self, n_features: int, hidden, n_classes: int, input_noise: float,
                 hidden_noise: float, dropout: float, weight_norm: bool):
        super().__init__()
        wn = nn.utils.parametrizations.weight_norm if weight_norm else (lambda m: m)
        self.input_noise = GaussianNoise(input_noise)
        self.hidden = nn.ModuleList()
        self.noise = nn.ModuleList()
        sizes = [int(n_features), *(int(h) for h in hidden)]
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            self.hidden.append(wn(nn.Linear(a, b)))
            self.noise.append(nn.Sequential(GaussianNoise(hidden_noise), nn.Dropout(dropout)))
        self.head = wn(nn.Linear(sizes[-1], int(n_classes)))

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Class logits and the last hidden layer's activations (before its noise)."""
        # x: (B, n_features) -> h: (B, hidden[-1]) -> logits: (B, K)
        h = self.input_noise(x)
        features = h
        for layer, noise in zip(self.hidden, self.noise, strict=True):
            features = F.relu(layer(h))
            h = noise(features)
        return self.head(h), features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]


class GANNet(nn.Module):
    """The generator and the discriminator, as one module (one state dict)."""

    def __init__(self, generator: Generator, discriminator: Discriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator


# ------------------------------------------------------------------- training steps


def adam(params, lr, betas, weight_decay) -> torch.optim.Optimizer:
    """Adam with the given betas (AdamW decaying only weight matrices when weight_decay > 0)."""
    if weight_decay > 0:
        return torch.optim.AdamW(weight_decay_groups(params, weight_decay), lr=lr,
                                 betas=tuple(betas))
    return torch.optim.Adam(params, lr=lr, betas=tuple(betas))


def adversarial_step(module: GANNet, batch, optimizers, backward, *, latent_dim: int,
                     n_critic: int, r1: bool, r1_gamma: float, conditional: bool
                     ) -> dict[str, torch.Tensor]:
    """One generator update after ``n_critic`` discriminator updates on the batch.

    The Trainer's step of ``GAN`` and ``ConditionalGAN``: the non-saturating
    loss, with the R1 penalty ``r1_gamma / 2 * E ||grad_x D(x)||^2`` on the
    real rows when ``r1``. Each discriminator update draws fresh noise; fake
    rows of the conditional model (``conditional``: ``batch[1]`` holds the
    class indices) carry the labels of the real batch.

    Parameters
    ----------
    module : GANNet
    batch : tuple of torch.Tensor
        ``(x,)`` or ``(x, y)``; ``x`` of shape (B, D) in standardized units.
    optimizers : (generator's, discriminator's) optimizer
    backward : callable
        The Trainer's ``backward(loss)``.
    latent_dim, n_critic : int
    r1 : bool
    r1_gamma : float
    conditional : bool

    Returns
    -------
    dict of str to torch.Tensor
        ``d_loss``, ``g_loss``, ``d_real`` / ``d_fake`` (mean probability of
        real on the real / fake rows) and ``r1`` (the penalty, 0 without it).
    """
    opt_g, opt_d = optimizers
    G, D = module.generator, module.discriminator
    x = batch[0]
    y = batch[1] if conditional else None
    yy = None if y is None else torch.cat([y, y])
    n = x.shape[0]
    for _ in range(n_critic):
        with torch.no_grad():
            fake = G(torch.randn(n, latent_dim, device=x.device), y)
        real = x.detach().requires_grad_(r1)
        logits = D(torch.cat([real, fake]), yy)  # (2B,): real rows first
        d_real, d_fake = logits[:n], logits[n:]
        d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
        loss = d_loss
        penalty = torch.zeros((), device=x.device)
        if r1:
            (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
            penalty = grad.pow(2).sum(dim=1).mean()
            loss = loss + 0.5 * r1_gamma * penalty
        opt_d.zero_grad(set_to_none=True)
        backward(loss)
        opt_d.step()
    D.requires_grad_(False)
    try:
        fake = G(torch.randn(n, latent_dim, device=x.device), y)
        g_loss = F.softplus(-D(fake, y)).mean()
        opt_g.zero_grad(set_to_none=True)
        backward(g_loss)
        opt_g.step()
    finally:
        D.requires_grad_(True)
    return {"d_loss": d_loss.detach(), "g_loss": g_loss.detach(),
            "d_real": torch.sigmoid(d_real).mean().detach(),
            "d_fake": torch.sigmoid(d_fake).mean().detach(), "r1": penalty.detach()}


def feature_matching_step(X_lab: torch.Tensor, y_lab: torch.Tensor, *,
                          labelled_batch_size: int, unlabelled_weight: float, latent_dim: int):
    """The Trainer's step of ``SemiSupervisedGAN`` (Salimans et al., 2016), as a closure.

    Each step makes one discriminator update, then one generator update. The
    Trainer's batch is a batch of all training rows (the unlabelled
    stream); the labelled batch is drawn here from the labelled rows
    (all of them when there are at most ``labelled_batch_size``). The
    discriminator (a :class:`ClassDiscriminator`) minimizes the labelled
    cross-entropy plus ``unlabelled_weight`` times the real-vs-generated
    log-loss written through ``log Z``; the generator matches the mean of the
    discriminator's last hidden features on real rows.

    Parameters
    ----------
    X_lab : torch.Tensor of shape (n_labelled, D)
        The labelled rows, standardized.
    y_lab : torch.Tensor of shape (n_labelled,)
        Their class indices.
    labelled_batch_size : int
    unlabelled_weight : float
    latent_dim : int

    Returns
    -------
    callable
        ``step(module, batch, optimizers, backward) -> dict`` of the losses
        (``d_loss``, ``labelled``, ``labelled_accuracy``, ``unlabelled``,
        ``g_loss``, ``d_real``, ``d_fake``).
    """
    on_device: dict = {}

    def step(module, batch, optimizers, backward):
        opt_g, opt_d = optimizers
        G, D = module.generator, module.discriminator
        x = batch[0]  # (B, D): training rows, labelled or not
        n, device = x.shape[0], x.device
        if device not in on_device:
            on_device[device] = (X_lab.to(device), y_lab.to(device))
        xl, yl = on_device[device]
        if xl.shape[0] > labelled_batch_size:
            pick = torch.randperm(xl.shape[0], device=device)[:labelled_batch_size]
            xl, yl = xl[pick], yl[pick]
        m = xl.shape[0]
        n_fake = max(n, 2)  # the generator's batch normalization needs two rows
        with torch.no_grad():
            fake = G(torch.randn(n_fake, latent_dim, device=device))
        logits = D(torch.cat([xl, x, fake]))  # (m + n + n_fake, K)
        l_lab, l_unl, l_fake = logits[:m], logits[m:m + n], logits[m + n:]
        labelled = F.cross_entropy(l_lab, yl)
        log_z_real = torch.logsumexp(l_unl, dim=1)  # log Z; p(real) = sigmoid(log Z)
        log_z_fake = torch.logsumexp(l_fake, dim=1)
        unlabelled = F.softplus(-log_z_real).mean() + F.softplus(log_z_fake).mean()
        d_loss = labelled + unlabelled_weight * unlabelled
        opt_d.zero_grad(set_to_none=True)
        backward(d_loss)
        opt_d.step()
        D.requires_grad_(False)
        try:
            with torch.no_grad():
                real_features = D.forward_features(x)[1].mean(dim=0)
            fake_features = D.forward_features(
                G(torch.randn(n_fake, latent_dim, device=device)))[1]
            g_loss = (real_features - fake_features.mean(dim=0)).pow(2).mean()
            opt_g.zero_grad(set_to_none=True)
            backward(g_loss)
            opt_g.step()
        finally:
            D.requires_grad_(True)
        return {"d_loss": d_loss.detach(), "labelled": labelled.detach(),
                "labelled_accuracy": (l_lab.argmax(dim=1) == yl).float().mean(),
                "unlabelled": unlabelled.detach(), "g_loss": g_loss.detach(),
                "d_real": torch.sigmoid(log_z_real).mean().detach(),
                "d_fake": torch.sigmoid(log_z_fake).mean().detach()}

    return step
