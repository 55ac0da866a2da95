"""Synthetic classification sets whose generating distribution is known.

Every generator here draws ``(x, y)`` from a distribution written down in
``Dataset.metadata`` (priors, means, covariances, noise levels, ...), so the
best achievable error is known too: ``metadata["bayes_error"]`` is the Bayes
error, exact where a closed form exists (``metadata["bayes_error_se"] == 0``)
and otherwise a Monte-Carlo estimate from 10^6 draws evaluated with the true
densities, with its standard error in ``metadata["bayes_error_se"]``.
``metadata["bayes_error_method"]`` says which.

:func:`bayes_log_joint` evaluates the true ``log p(x, y=k)`` of any of these
sets (so the Bayes classifier is ``argmax`` of it), and
:func:`estimate_bayes_error` re-estimates the Bayes error by Monte Carlo.

Class counts are ``n_samples * priors`` rounded by largest remainder (every
class gets its share exactly), and rows are shuffled. Everything is
deterministic given ``random_state``; the Bayes error is a property of the
distribution and does not depend on ``random_state``.

Examples
--------
>>> from gdlab.data.synthetic import gaussian_classes, xor
>>> ds = gaussian_classes(n_samples=200, separation=2.0)
>>> ds.X.shape, round(ds.metadata["bayes_error"], 4)   # Phi(-2 / 2)
((200, 2), 0.1587)
>>> round(xor().metadata["bayes_error"], 4)
0.0445
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from scipy.special import logsumexp
from scipy.stats import norm

from gdlab._param_checks import check_fraction, check_in, check_int, check_positive, check_priors
from gdlab._validation import check_random_state
from gdlab.bayes import log_class_prior
from gdlab.data.registry import make_dataset
from gdlab.distributions.gaussian import log_density, sample_gaussian

__all__ = [
    "gaussian_classes",
    "nb_misspecified",
    "moons",
    "xor",
    "rings",
    "bayes_log_joint",
    "estimate_bayes_error",
]

_N_MC = 1_000_000
_MC_CHUNK = 100_000
_MC_SEED = 20240501  # fixed: the Bayes error belongs to the distribution, not to a sample
_SOURCE = "gdlab synthetic (gdlab.data.synthetic.{})"


# --------------------------------------------------------------------------- helpers


def _class_counts(n: int, priors: np.ndarray) -> np.ndarray:
    """Largest-remainder rounding of ``n * priors`` (sums to ``n`` exactly)."""
    raw = n * priors
    counts = np.floor(raw).astype(np.int64)
    short = n - counts.sum()
    if short:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def _priors(priors, n_classes: int) -> np.ndarray:
    checked = check_priors(priors, n_classes)
    return np.full(n_classes, 1.0 / n_classes) if checked is None else checked


def _random_spd(rng, d: int) -> np.ndarray:
    """Random rotation of eigenvalues drawn uniformly from [0.25, 2]."""
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    cov = (q * rng.uniform(0.25, 2.0, size=d)) @ q.T
    return (cov + cov.T) / 2


def _class_means(n_classes: int, n_features: int, separation: float) -> np.ndarray:
    """Class means whose nearest pairs are ``separation`` apart (Euclidean).

    Two classes: ``-/+ separation/2`` on the first axis. Up to ``n_features + 1``
    classes: vertices of a regular simplex with edge ``separation``. More
    classes: a regular polygon in the first two coordinates (a line in 1-D).
    """
    means = np.zeros((n_classes, n_features))
    if n_classes == 2:
        means[:, 0] = [-separation / 2, separation / 2]
    elif n_classes <= n_features + 1:
        # centred standard basis of R^K (edges sqrt(2)), in coordinates of its (K-1)-dim span
        u, s, _ = np.linalg.svd(np.eye(n_classes) - 1.0 / n_classes)
        coords = u[:, : n_classes - 1] * s[: n_classes - 1]
        means[:, : n_classes - 1] = coords * (separation / np.sqrt(2.0))
    elif n_features >= 2:
        radius = separation / (2 * np.sin(np.pi / n_classes))
        angle = 2 * np.pi * np.arange(n_classes) / n_classes
        means[:, 0], means[:, 1] = radius * np.cos(angle), radius * np.sin(angle)
    else:
        means[:, 0] = separation * (np.arange(n_classes) - (n_classes - 1) / 2)
    return means


def _two_gaussians_error(mu0, mu1, cov, priors) -> float:
    """Exact Bayes error of two Gaussian classes sharing one covariance.

    The log-likelihood ratio is Gaussian, ``N(+/- D^2 / 2, D^2)`` under each
    class, with Mahalanobis distance ``D``; with threshold
    ``t = log(pi_0 / pi_1)`` the error is
    ``pi_1 Phi((t - D^2/2) / D) + pi_0 Phi((-t - D^2/2) / D)``
    (``Phi(-D/2)`` for equal priors).
    """
    diff = np.asarray(mu1, float) - np.asarray(mu0, float)
    delta = float(np.sqrt(diff @ np.linalg.solve(cov, diff)))
    p0, p1 = float(priors[0]), float(priors[1])
    if p0 == 0 or p1 == 0:
        return 0.0
    if delta == 0:
        return min(p0, p1)
    t = np.log(p0 / p1)
    return float(p1 * norm.cdf((t - delta**2 / 2) / delta)
                 + p0 * norm.cdf((-t - delta**2 / 2) / delta))


def _linear_rule_error(w, b, means, cov, priors) -> float:
    """Error of ``predict 1 if w.x + b > 0`` on two Gaussian classes sharing ``cov``."""
    sd = float(np.sqrt(w @ cov @ w))
    s0, s1 = w @ means[0] + b, w @ means[1] + b
    return float(priors[0] * norm.sf(0, loc=s0, scale=sd)
                 + priors[1] * norm.cdf(0, loc=s1, scale=sd))


# --------------------------------------------------------------------------- true densities


class _Model(ABC):
    """A known class-conditional distribution: draws and ``log p(x, y=k)``."""

    def __init__(self, priors):
        self.priors = np.asarray(priors, dtype=np.float64)

    @abstractmethod
    def sample_class(self, k: int, m: int, rng) -> np.ndarray:
        """``m`` draws from class ``k``."""

    @abstractmethod
    def log_conditional(self, X: np.ndarray, fast: bool = False) -> np.ndarray:
        """log p(x | y=k) of each row and class, (n_samples, n_classes)."""

    def log_joint(self, X: np.ndarray, fast: bool = False) -> np.ndarray:
        return log_class_prior(self.priors) + self.log_conditional(X, fast)

    def sample(self, n: int, rng):
        counts = _class_counts(n, self.priors)
        X = np.concatenate([self.sample_class(k, int(c), rng) for k, c in enumerate(counts)])
        y = np.repeat(np.arange(len(counts)), counts)
        order = rng.permutation(n)
        return X[order], y[order]


class _GaussianMixtures(_Model):
    """Class k is a Gaussian mixture (weights[k], means[k], covariances[k])."""

    def __init__(self, priors, weights, means, covariances):
        super().__init__(priors)
        self.weights = [np.asarray(w, float) for w in weights]
        self.means = [np.asarray(m, float) for m in means]
        self.covariances = [np.asarray(c, float) for c in covariances]

    def sample_class(self, k, m, rng):
        w, mu, cov = self.weights[k], self.means[k], self.covariances[k]
        comp = rng.choice(len(w), size=m, p=w) if len(w) > 1 else np.zeros(m, dtype=int)
        X = np.empty((m, mu.shape[1]))
        for j in range(len(w)):
            idx = comp == j
            one = np.zeros(int(idx.sum()), dtype=np.intp)  # component j's draws, in one block
            X[idx] = sample_gaussian(mu[j][None], cov[j][None], one, rng)
        return X

    def log_conditional(self, X, fast=False):
        out = np.empty((X.shape[0], len(self.priors)))
        params = zip(self.weights, self.means, self.covariances, strict=True)
        for k, (w, mu, cov) in enumerate(params):
            with np.errstate(divide="ignore"):
                parts = [np.log(w[j]) + log_density(X, mu[j], cov[j]) for j in range(len(w))]
            out[:, k] = logsumexp(np.stack(parts, axis=1), axis=1)
        return out


class _Rings(_Model):
    """Class k: uniform angle, radius ``radii[k] + noise * N(0, 1)``.

    A negative radius lands on the opposite side, so the density at distance
    ``r`` from the origin is ``[N(r; R, s) + N(-r; R, s)] / (2 pi r)``.
    """

    def __init__(self, priors, radii, noise):
        super().__init__(priors)
        self.radii = np.asarray(radii, float)
        self.noise = float(noise)

    def sample_class(self, k, m, rng):
        angle = rng.uniform(0, 2 * np.pi, size=m)
        radius = self.radii[k] + self.noise * rng.standard_normal(m)
        return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

    def log_conditional(self, X, fast=False):
        r = np.maximum(np.hypot(X[:, 0], X[:, 1]), 1e-300)[:, None]
        R, s = self.radii[None, :], self.noise
        both = np.logaddexp(norm.logpdf(r, R, s), norm.logpdf(-r, R, s))
        return both - np.log(2 * np.pi * r)


class _Moons(_Model):
    """Two half circles (scikit-learn's geometry), angle uniform on [0, pi], plus
    isotropic Gaussian noise. The density is the arc convolved with the noise,
    a 1-D integral over the angle done by Gauss-Legendre quadrature with node
    spacing below half the noise scale (relative error below 1e-9)."""

    def __init__(self, priors, noise):
        super().__init__(priors)
        self.noise = float(noise)
        n_nodes = int(max(48, np.ceil(3 * np.pi / self.noise)))
        x, w = np.polynomial.legendre.leggauss(n_nodes)
        self.t = (x + 1) * np.pi / 2
        self.log_w = np.log(w * np.pi / 2) - np.log(np.pi)  # uniform angle density 1/pi

    @staticmethod
    def arc(k, t):
        if k == 0:
            return np.column_stack([np.cos(t), np.sin(t)])
        return np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])

    def sample_class(self, k, m, rng):
        t = rng.uniform(0, np.pi, size=m)
        return self.arc(k, t) + self.noise * rng.standard_normal((m, 2))

    def log_conditional(self, X, fast: bool = False):
        # fast (Monte Carlo only): the (n, nodes) part in float32, ~3x quicker, and
        # about 1e-5 relative error in the density, far below the Monte-Carlo error
        dtype = np.float32 if fast else np.float64
        s2 = self.noise**2
        out = np.empty((X.shape[0], 2))
        Xd = X.astype(dtype)
        xx = np.einsum("ij,ij->i", Xd, Xd)[:, None]
        for k in range(2):
            c = self.arc(k, self.t).astype(dtype)  # (T, 2)
            a = (self.log_w.astype(dtype)
                 - (xx + (c * c).sum(1) - 2 * Xd @ c.T) / dtype(2 * s2))  # (n, T)
            top = a.max(axis=1, keepdims=True)
            np.exp(a - top, out=a)
            out[:, k] = np.log(a.sum(axis=1), dtype=np.float64) + top[:, 0] - np.log(2 * np.pi * s2)
        return out


def _model_from_metadata(meta: dict) -> _Model:
    gen = meta.get("generator")
    if gen in ("gaussian_classes", "nb_misspecified"):
        K = len(meta["priors"])
        return _GaussianMixtures(
            meta["priors"], [np.ones(1)] * K,
            [np.asarray(m)[None] for m in meta["means"]],
            [np.asarray(c)[None] for c in meta["covariances"]],
        )
    if gen == "xor":
        K = len(meta["priors"])
        return _GaussianMixtures(
            meta["priors"], [np.full(2, 0.5)] * K, meta["component_means"],
            [np.broadcast_to(np.eye(2) * meta["noise"] ** 2, (2, 2, 2))] * K,
        )
    if gen == "rings":
        return _Rings(meta["priors"], meta["radii"], meta["noise"])
    if gen == "moons":
        return _Moons(meta["priors"], meta["noise"])
    raise ValueError(
        "the dataset's metadata names no known generating distribution (metadata['generator'] "
        f"= {gen!r}); expected a set from gdlab.data.synthetic."
    )


def _metadata_of(dataset_or_metadata) -> dict:
    meta = getattr(dataset_or_metadata, "metadata", dataset_or_metadata)
    if not isinstance(meta, dict):
        raise TypeError(
            f"expected a Dataset from gdlab.data.synthetic or its metadata dict, "
            f"got {type(dataset_or_metadata).__name__}."
        )
    return meta


def bayes_log_joint(dataset, X) -> np.ndarray:
    """True ``log p(x, y=k)`` under the distribution that generated ``dataset``.

    Parameters
    ----------
    dataset : Dataset or dict
        A set from this module (or its ``metadata``).
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    ndarray of shape (n_samples, n_classes)
        ``argmax`` over classes is the Bayes classifier.

    Examples
    --------
    >>> ds = xor(n_samples=100)
    >>> bayes_log_joint(ds, ds.X).shape
    (100, 2)
    """
    meta = _metadata_of(dataset)
    model = _model_from_metadata(meta)
    X = np.asarray(X, dtype=np.float64)
    d = np.asarray(meta["means"]).shape[1] if "means" in meta else 2
    if X.ndim != 2 or X.shape[1] != d:
        raise ValueError(f"expected X of shape (n_samples, {d}), got shape {X.shape}.")
    return model.log_joint(X)


_MC_CACHE: dict = {}


def _mc_error(model: _Model, n_draws: int, seed) -> tuple[float, float]:
    """Monte-Carlo Bayes error: mean of ``1 - max_k p(k | x)`` over draws from p(x).

    That is an unbiased estimate with lower variance than counting mistakes
    of the Bayes rule; its standard error is the sample sd over sqrt(n).
    """
    rng = check_random_state(seed)
    total, total_sq, done = 0.0, 0.0, 0
    while done < n_draws:
        m = min(_MC_CHUNK, n_draws - done)
        X, _ = model.sample(m, rng)
        lj = model.log_joint(X, fast=True)
        err = 1.0 - np.exp(lj.max(axis=1) - logsumexp(lj, axis=1))
        total += err.sum()
        total_sq += (err**2).sum()
        done += m
    mean = total / n_draws
    var = max(total_sq / n_draws - mean**2, 0.0) * n_draws / max(n_draws - 1, 1)
    return float(mean), float(np.sqrt(var / n_draws))


def _cached_mc(key, model: _Model, n_draws: int, seed=_MC_SEED):
    full_key = (key, n_draws, seed)
    if full_key not in _MC_CACHE:
        _MC_CACHE[full_key] = _mc_error(model, n_draws, seed)
    return _MC_CACHE[full_key]


def estimate_bayes_error(dataset, *, n_draws: int = _N_MC, random_state=0) -> tuple[float, float]:
    """Monte-Carlo estimate of the Bayes error of a synthetic set's distribution.

    Draws ``n_draws`` points from the true ``p(x, y)`` and averages
    ``1 - max_k p(k | x)`` computed with the true densities.

    Parameters
    ----------
    dataset : Dataset or dict
        A set from this module (or its ``metadata``).
    n_draws : int, default=1_000_000
    random_state : int, RandomState or None, default=0

    Returns
    -------
    estimate : float
    standard_error : float

    Examples
    --------
    >>> est, se = estimate_bayes_error(xor(), n_draws=20_000)
    >>> abs(est - xor().metadata["bayes_error"]) < 4 * se
    True
    """
    n_draws = check_int(n_draws, "n_draws", minimum=2)
    return _mc_error(_model_from_metadata(_metadata_of(dataset)), n_draws, random_state)


def _finish(name, model: _Model, n_samples, random_state, meta, description, feature_names=None):
    X, y = model.sample(n_samples, check_random_state(random_state))
    K = len(model.priors)
    d = X.shape[1]
    return make_dataset(
        name=name,
        X=X,
        y=y,
        class_names=tuple(f"class{k}" for k in range(K)),
        description=description,
        source=_SOURCE.format(meta["generator"]),
        feature_names=tuple(feature_names or (f"x{j}" for j in range(d))),
        modality="tabular",
        metadata=meta,
    )


def _mc_meta(meta, model, key, n_draws: int) -> dict:
    if n_draws == 0:
        meta.update(bayes_error=None, bayes_error_se=None,
                    bayes_error_method="not computed (bayes_error_draws=0)")
        return meta
    est, se = _cached_mc(key, model, n_draws)
    meta.update(bayes_error=est, bayes_error_se=se,
                bayes_error_method=f"Monte Carlo ({n_draws} draws, true densities)")
    return meta


def _describe_error(meta) -> str:
    if meta["bayes_error"] is None:
        return "Bayes error not computed"
    how = "" if meta["bayes_error_se"] == 0 else " (Monte Carlo)"
    return f"Bayes error {meta['bayes_error']:.4f}{how}"


def _exact_meta(meta, value) -> dict:
    meta.update(bayes_error=float(value), bayes_error_se=0.0, bayes_error_method="closed form")
    return meta


# --------------------------------------------------------------------------- generators


def gaussian_classes(
    n_samples: int = 1000,
    n_features: int = 2,
    n_classes: int = 2,
    *,
    separation: float = 2.0,
    covariance: str = "identity",
    priors=None,
    parameter_seed: int = 0,
    bayes_error_draws: int = _N_MC,
    random_state=0,
):
    """Gaussian classes with a known Bayes error.

    Class ``k`` is ``N(mean_k, cov_k)``. The means sit ``separation`` apart
    (Euclidean distance between neighbouring means: two classes at
    ``-/+ separation/2`` on the first axis; up to ``n_features + 1`` classes
    on a regular simplex; more on a regular polygon). With
    ``covariance="identity"`` and two classes, ``separation`` is the
    Mahalanobis distance ``D`` and the Bayes error is ``Phi(-D/2)`` for
    equal priors.

    Parameters
    ----------
    n_samples : int, default=1000
    n_features : int, default=2
    n_classes : int, default=2
    separation : float, default=2.0
        Distance between neighbouring class means.
    covariance : {"identity", "tied", "random"}, default="identity"
        ``"identity"``: every class has the identity covariance (LDA and QDA
        are both well specified). ``"tied"``: one random covariance shared by
        every class (LDA's model). ``"random"``: each class its own random
        covariance (QDA's model). Random covariances rotate eigenvalues drawn
        uniformly from [0.25, 2] and are drawn from ``parameter_seed``.
    priors : array-like of shape (n_classes,), default=None
        Class probabilities (uniform when None); class counts are
        ``n_samples * priors`` rounded.
    parameter_seed : int, default=0
        Seed of the random covariances, separate from ``random_state`` so that
        different ``random_state`` give different samples of one distribution.
    bayes_error_draws : int, default=1_000_000
        Monte-Carlo draws for the Bayes error when it has no closed form;
        0 skips it (``metadata["bayes_error"]`` is then None). The estimate
        is cached per distribution within a process.
    random_state : int, RandomState or None, default=0
        Seed of the sample.

    Returns
    -------
    Dataset
        ``metadata`` holds ``priors`` (K,), ``means`` (K, d), ``covariances``
        (K, d, d), ``bayes_error``, ``bayes_error_se`` and
        ``bayes_error_method``. Two classes with a shared covariance have the
        exact error ``pi_1 Phi((t - D^2/2)/D) + pi_0 Phi((-t - D^2/2)/D)`` with
        ``t = log(pi_0/pi_1)``; otherwise it is estimated by Monte Carlo.

    Examples
    --------
    >>> ds = gaussian_classes(n_samples=500, n_features=3, separation=3.0)
    >>> ds.X.shape, round(ds.metadata["bayes_error"], 4)
    ((500, 3), 0.0668)
    """
    n_samples = check_int(n_samples, "n_samples")
    n_features = check_int(n_features, "n_features")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    separation = check_positive(separation, "separation", allow_zero=True)
    check_in(covariance, "covariance", ("identity", "tied", "random"))
    priors = _priors(priors, n_classes)
    parameter_seed = check_int(parameter_seed, "parameter_seed", minimum=0)
    bayes_error_draws = check_int(bayes_error_draws, "bayes_error_draws", minimum=0)

    means = _class_means(n_classes, n_features, separation)
    prng = np.random.RandomState(parameter_seed)
    if covariance == "identity":
        covs = np.broadcast_to(np.eye(n_features), (n_classes, n_features, n_features)).copy()
    elif covariance == "tied":
        covs = np.broadcast_to(_random_spd(prng, n_features),
                               (n_classes, n_features, n_features)).copy()
    else:
        covs = np.stack([_random_spd(prng, n_features) for _ in range(n_classes)])
    meta = {"generator": "gaussian_classes", "priors": priors, "means": means,
            "covariances": covs, "covariance": covariance}
    model = _model_from_metadata(meta)
    if n_classes == 2 and covariance != "random":
        _exact_meta(meta, _two_gaussians_error(means[0], means[1], covs[0], priors))
    else:
        key = ("gaussian_classes", priors.tobytes(), means.tobytes(), covs.tobytes())
        _mc_meta(meta, model, key, bayes_error_draws)
    return _finish(
        "gaussian-classes", model, n_samples, random_state, meta,
        f"{n_classes} Gaussian classes in {n_features}-D, {covariance} covariance, "
        f"separation {separation:g}; {_describe_error(meta)}",
    )


def nb_misspecified(
    n_samples: int = 1000,
    n_features: int = 2,
    *,
    correlation: float = 0.9,
    separation: float = 1.0,
    priors=None,
    random_state=0,
):
    """Two Gaussian classes with correlated features: naive Bayes is misspecified.

    Both classes share the equicorrelated covariance
    ``Sigma = (1 - rho) I + rho 11^T`` (unit variances, correlation ``rho``
    between every pair of features); the means differ on the first feature
    only, ``-/+ separation/2``.

    Why naive Bayes fails: it assumes the features are independent given the
    class, so it looks at each feature alone. Alone, features 2.. have the same
    distribution in both classes, so naive Bayes (even with infinite data)
    gives them zero weight and classifies by ``x_1`` only, with error
    ``Phi(-separation/2)``. But they carry the noise that ``x_1`` shares: the
    Bayes rule ``w = Sigma^-1 (mu_1 - mu_0)`` subtracts them from ``x_1`` and
    reaches Mahalanobis distance ``D = separation * sqrt((Sigma^-1)_11)``.
    With the defaults (``rho = 0.9``, separation 1) that is Bayes error 0.126
    against naive Bayes' 0.309, while QDA/LDA (full covariances) approach the
    Bayes error.

    Parameters
    ----------
    n_samples : int, default=1000
    n_features : int, default=2
        At least 2.
    correlation : float, default=0.9
        Within-class correlation ``rho`` of every pair of features, in [0, 1).
    separation : float, default=1.0
        Distance between the class means (along the first feature).
    priors : array-like of shape (2,), default=None
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        ``metadata``: ``priors``, ``means``, ``covariances``, ``correlation``,
        exact ``bayes_error`` and ``naive_bayes_error`` (the error of Gaussian
        naive Bayes with the true per-feature means and variances, i.e. its
        limit with infinite data).

    Examples
    --------
    >>> ds = nb_misspecified()
    >>> round(ds.metadata["bayes_error"], 3), round(ds.metadata["naive_bayes_error"], 3)
    (0.126, 0.309)
    """
    n_samples = check_int(n_samples, "n_samples")
    n_features = check_int(n_features, "n_features", minimum=2)
    rho = check_fraction(correlation, "correlation")
    separation = check_positive(separation, "separation")
    priors = _priors(priors, 2)
    cov = (1 - rho) * np.eye(n_features) + rho * np.ones((n_features, n_features))
    means = np.zeros((2, n_features))
    means[:, 0] = [-separation / 2, separation / 2]
    covs = np.stack([cov, cov])
    meta = {"generator": "nb_misspecified", "priors": priors, "means": means,
            "covariances": covs, "correlation": rho}
    _exact_meta(meta, _two_gaussians_error(means[0], means[1], cov, priors))
    # population Gaussian NB: diagonal variances (all 1, equal across classes) -> linear rule
    w = (means[1] - means[0]) / np.diag(cov)
    b = -w @ (means[0] + means[1]) / 2 + (np.log(priors[1] / priors[0]) if priors.all() else 0.0)
    meta["naive_bayes_error"] = _linear_rule_error(w, b, means, cov, priors)
    return _finish(
        "nb-misspecified", _model_from_metadata(meta), n_samples, random_state, meta,
        f"2 correlated Gaussian classes (rho={rho:g}) in {n_features}-D; Bayes error "
        f"{meta['bayes_error']:.3f}, naive Bayes' limit {meta['naive_bayes_error']:.3f}",
    )


def xor(n_samples: int = 1000, *, noise: float = 0.5, random_state=0):
    """XOR of Gaussian blobs in 2-D: the class is whether the signs of x0 and x1 agree.

    Class 0 is an equal mixture of ``N((1, 1), s^2 I)`` and ``N((-1, -1), s^2 I)``,
    class 1 of ``N((1, -1), s^2 I)`` and ``N((-1, 1), s^2 I)`` (``s = noise``),
    equal priors. The Bayes rule is ``sign(x0 * x1)`` and its error is exact:
    ``2 q (1 - q)`` with ``q = Phi(-1/s)`` (one coordinate's sign flipped).

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float, default=0.5
        Standard deviation of each blob.
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        ``metadata``: ``priors``, ``component_means`` (2, 2, 2), ``noise``,
        exact ``bayes_error``.

    Examples
    --------
    >>> ds = xor(n_samples=50, noise=1.0)
    >>> ds.X.shape, round(ds.metadata["bayes_error"], 4)
    ((50, 2), 0.267)
    """
    n_samples = check_int(n_samples, "n_samples")
    noise = check_positive(noise, "noise")
    comp = np.array([[[1.0, 1.0], [-1.0, -1.0]], [[1.0, -1.0], [-1.0, 1.0]]])
    meta = {"generator": "xor", "priors": np.array([0.5, 0.5]), "component_means": comp,
            "noise": noise}
    q = norm.cdf(-1.0 / noise)
    _exact_meta(meta, 2 * q * (1 - q))
    return _finish("xor", _model_from_metadata(meta), n_samples, random_state, meta,
                   f"XOR of 4 Gaussian blobs (sd {noise:g}); Bayes error "
                   f"{meta['bayes_error']:.4f}")


def rings(
    n_samples: int = 1000,
    *,
    noise: float = 0.25,
    n_classes: int = 2,
    bayes_error_draws: int = _N_MC,
    random_state=0,
):
    """Concentric rings in 2-D with Gaussian radial noise.

    Class ``k`` has uniform angle and radius ``k + 1 + noise * N(0, 1)``,
    equal priors. The density is known in closed form (see
    :func:`bayes_log_joint`); the Bayes error is a Monte-Carlo estimate.

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float, default=0.25
        Standard deviation of the radius.
    n_classes : int, default=2
    bayes_error_draws : int, default=1_000_000
        Monte-Carlo draws for the Bayes error when it has no closed form;
        0 skips it (``metadata["bayes_error"]`` is then None). The estimate
        is cached per distribution within a process.
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        ``metadata``: ``priors``, ``radii``, ``noise``, ``bayes_error`` and
        its standard error.

    Examples
    --------
    >>> ds = rings(n_samples=100)
    >>> ds.X.shape, ds.metadata["radii"].tolist()
    ((100, 2), [1.0, 2.0])
    """
    n_samples = check_int(n_samples, "n_samples")
    noise = check_positive(noise, "noise")
    n_classes = check_int(n_classes, "n_classes", minimum=2)
    bayes_error_draws = check_int(bayes_error_draws, "bayes_error_draws", minimum=0)
    radii = np.arange(1, n_classes + 1, dtype=np.float64)
    meta = {"generator": "rings", "priors": np.full(n_classes, 1.0 / n_classes),
            "radii": radii, "noise": noise}
    model = _model_from_metadata(meta)
    _mc_meta(meta, model, ("rings", n_classes, noise), bayes_error_draws)
    return _finish("rings", model, n_samples, random_state, meta,
                   f"{n_classes} concentric rings (radial sd {noise:g}); {_describe_error(meta)}")


def moons(
    n_samples: int = 1000, *, noise: float = 0.2, bayes_error_draws: int = _N_MC, random_state=0
):
    """Two interleaving half circles in 2-D (scikit-learn's geometry).

    Class 0: ``(cos t, sin t)``, class 1: ``(1 - cos t, 1/2 - sin t)``, with the
    angle ``t`` uniform on [0, pi] (scikit-learn's ``make_moons`` uses an evenly
    spaced grid instead, whose density is not smooth), plus isotropic Gaussian
    noise of sd ``noise``; equal priors. The class density is the arc
    convolved with the noise, computed by quadrature; the Bayes error is a
    Monte-Carlo estimate.

    Parameters
    ----------
    n_samples : int, default=1000
    noise : float, default=0.2
        Standard deviation of the Gaussian noise.
    bayes_error_draws : int, default=1_000_000
        Monte-Carlo draws for the Bayes error when it has no closed form;
        0 skips it (``metadata["bayes_error"]`` is then None). The estimate
        is cached per distribution within a process.
    random_state : int, RandomState or None, default=0

    Returns
    -------
    Dataset
        ``metadata``: ``priors``, ``noise``, ``bayes_error`` and its
        standard error.

    Examples
    --------
    >>> ds = moons(n_samples=100)
    >>> ds.X.shape, sorted(set(ds.y.tolist()))
    ((100, 2), [0, 1])
    """
    n_samples = check_int(n_samples, "n_samples")
    noise = check_positive(noise, "noise")
    bayes_error_draws = check_int(bayes_error_draws, "bayes_error_draws", minimum=0)
    meta = {"generator": "moons", "priors": np.array([0.5, 0.5]), "noise": noise}
    model = _model_from_metadata(meta)
    _mc_meta(meta, model, ("moons", noise), bayes_error_draws)
    return _finish("moons", model, n_samples, random_state, meta,
                   f"two interleaving half circles (noise sd {noise:g}); {_describe_error(meta)}")
