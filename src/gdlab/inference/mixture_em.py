"""EM for a Gaussian mixture, exact for missing entries: E-step, M-step, initialization.

The numeric core of :class:`gdlab.models.mixture.GaussianMixture` (and so of
:class:`~gdlab.models.mixture.GaussianMixtureBIC` and
:class:`~gdlab.models.mixture.GMMClassifier`), whose estimators run it through
:func:`gdlab.inference.em.run_em` and keep the running statistics for
``partial_fit``. The E-step returns expected sufficient statistics
(:class:`~gdlab.distributions.gaussian.GaussianSummaries` and the
log-likelihood); :func:`m_step` turns them into :class:`MixtureParams`.

Why the complete-data E-step is fast: the log-density of every component is one
quadratic form in x, so with the quadratic features
phi(x) = [x_i x_j (i <= j), x, 1] (66 numbers for d = 10) *all* K weighted
log-densities of a block of rows are one GEMM, phi @ W (W holds each
component's precision, precision @ mean and constant: :func:`quadratic_weights`),
and *all* K components' M-step statistics are one more GEMM, phi.T @ resp. No
(n, K, d) temporary is ever formed; rows stream in chunks of a few thousand, so
the working set stays in cache and peak memory does not grow with n. Data are
shifted by their mean first, which keeps the moment form accurate. Rows with NaN
take the same two GEMMs per missing pattern on their zero-filled features, with
each pattern's weights and conditional moments computed for all patterns and
components in stacked calls
(:class:`gdlab.distributions.gaussian_patterns.PatternGroups`).

The complete-data GEMMs run with one BLAS thread: their inner or outer
dimension is only K or n_quad, and multi-threaded OpenBLAS was measured far
slower on them on a busy 2-core machine (one E+M pass over 100,000 x 10 rows,
8 components: 0.41 s with two threads, 0.07 s with one).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import logsumexp

from gdlab.distributions.gaussian import (
    LOG_2PI,
    GaussianSummaries,
    from_summaries,
    one_blas_thread,
    single_threaded_blas,
)
from gdlab.distributions.gaussian_patterns import PatternGroups, quadratic_size

__all__ = [
    "MixtureParams",
    "make_params",
    "is_positive_definite",
    "quadratic_weights",
    "complete_statistics",
    "statistics_from_responsibilities",
    "complete_log_prob",
    "missing_statistics",
    "m_step",
    "initial_params",
    "precisions_to_covariances",
    "n_free_parameters",
    "informative_rows",
    "column_means",
    "split_rows",
]

_CHUNK = 1024  # rows per block of the complete-data E/M pass (fits in cache)


# -- expected sufficient statistics ------------------------------------------------------------
def _feature_blocks(X, shift, chunk=None):
    """Yield (start, phi) over row blocks, phi of shape (n_quad, rows): one column per row.

    phi = [x_i x_j (i <= j), x, 1] of x = row - shift. Rows are columns so that
    every product is a contiguous (SIMD) vector operation; one buffer is reused for
    every block, so it stays in cache.
    """
    n, d = X.shape
    chunk = chunk or _CHUNK
    P = d * (d + 1) // 2
    buf = np.empty((quadratic_size(d), min(chunk, n)))
    buf[-1] = 1.0
    for start in range(0, n, chunk):
        phi = buf[:, : min(chunk, n - start)]
        x = phi[P : P + d]
        np.subtract(X[start : start + phi.shape[1]].T, shift[:, None], out=x)
        off = 0
        for i in range(d):
            np.multiply(x[i : i + 1], x[i:], out=phi[off : off + d - i])
            off += d - i
        yield start, phi


def _unpack(T, d):
    """Statistics from phi @ resp (shape (n_quad, K))."""
    P = d * (d + 1) // 2
    iu0, iu1 = np.triu_indices(d)
    K = T.shape[1]
    second = np.empty((K, d, d))
    second[:, iu0, iu1] = T[:P].T
    second[:, iu1, iu0] = T[:P].T
    return GaussianSummaries(T[-1].copy(), T[P : P + d].T.copy(), second)


@single_threaded_blas
def complete_statistics(X, W, shift, w=None):
    """E-step on rows without NaN: statistics and log-likelihood, in two GEMMs per block.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows without NaN.
    W : ndarray of shape (n_quad, n_components)
        :func:`quadratic_weights` of the parameters.
    shift : ndarray of shape (n_features,)
    w : ndarray of shape (n_samples,), optional
        Row weights (None: all 1); they multiply the responsibilities and the
        rows' log-likelihoods, as repeating each row w times would.

    Returns
    -------
    log_likelihood : float
        sum_i w_i log sum_k w_k N(x_i; mu_k, S_k).
    summaries : GaussianSummaries
        Weighted by the responsibilities, about ``shift``.
    """
    d, K = X.shape[1], W.shape[1]
    T = np.zeros((K, W.shape[0]))
    lp_buf = np.empty((K, min(_CHUNK, X.shape[0])))
    W_t = np.ascontiguousarray(W.T)
    ll = 0.0
    for start, phi in _feature_blocks(X, shift):
        lp = np.matmul(W_t, phi, out=lp_buf[:, : phi.shape[1]])  # log w_k + log N_k(x), (K, c)
        top = lp.max(axis=0)
        lp -= top
        np.exp(lp, out=lp)
        norm = lp.sum(axis=0)
        if w is None:
            lp /= norm  # responsibilities
            ll += float(np.log(norm).sum() + top.sum())
        else:
            rows_w = w[start : start + phi.shape[1]]
            lp *= rows_w / norm  # responsibilities times the row weights
            ll += float((np.log(norm) + top) @ rows_w)
        T += lp @ phi.T
    return ll, _unpack(T.T, d)


@single_threaded_blas
def statistics_from_responsibilities(X, resp, shift):
    """Statistics of complete rows for given responsibilities (initialization).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows without NaN.
    resp : ndarray of shape (n_samples, n_components)
    shift : ndarray of shape (n_features,)

    Returns
    -------
    GaussianSummaries
    """
    d = X.shape[1]
    T = np.zeros((quadratic_size(d), resp.shape[1]))
    for start, phi in _feature_blocks(X, shift):
        T += phi @ resp[start : start + phi.shape[1]]
    return _unpack(T, d)


@single_threaded_blas
def complete_log_prob(X, W, shift):
    """(n, K) array of log w_k + log N_k(x) for rows without NaN.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    W : ndarray of shape (n_quad, n_components)
        :func:`quadratic_weights` of the parameters.
    shift : ndarray of shape (n_features,)

    Returns
    -------
    ndarray of shape (n_samples, n_components)
    """
    out = np.empty((X.shape[0], W.shape[1]))
    for start, phi in _feature_blocks(X, shift):
        out[start : start + phi.shape[1]] = phi.T @ W
    return out


def missing_statistics(groups, params, w=None):
    """E-step on rows with NaN: every missing pattern and component in stacked calls.

    With row weights ``w`` (in the order of the groups' rows) it takes two passes:
    the log-densities, then the statistics weighted by responsibility times weight.

    Parameters
    ----------
    groups : PatternGroups
    params : MixtureParams
    w : ndarray of shape (groups.n_rows,), optional

    Returns
    -------
    log_likelihood : float
    summaries : GaussianSummaries
        Weighted by the responsibilities, about the groups' shift.
    """
    with one_blas_thread(), np.errstate(divide="ignore"):
        if w is None:
            ll, total = groups.responsibility_statistics(
                np.log(params.weights), params.means, params.covariances
            )
        else:
            lp = groups.log_prob(params.means, params.covariances) + np.log(params.weights)
            norm = logsumexp(lp, axis=1)
            resp = np.exp(lp - norm[:, None]) * w[:, None]
            ll = float(norm @ w)
            total = groups.summarize(params.means, params.covariances, resp.T)
    return ll, total


# -- parameters --------------------------------------------------------------------------------
class MixtureParams(NamedTuple):
    """The parameters of a Gaussian mixture, with the factors every E-step uses."""

    weights: np.ndarray  # (K,)
    means: np.ndarray  # (K, d)
    covariances: np.ndarray  # (K, d, d)
    precisions_cholesky: np.ndarray  # (K, d, d) upper: precision = U @ U.T
    half_logdet: np.ndarray  # (K,) log |precision|^(1/2)


def make_params(weights, means, covs, reg_covar=None):
    """Factor the covariances; singular ones are a ValueError asking for reg_covar.

    Parameters
    ----------
    weights : ndarray of shape (n_components,)
    means : ndarray of shape (n_components, n_features)
    covs : ndarray of shape (n_components, n_features, n_features)
    reg_covar : float, optional
        Named in the error message when given (it was already added).

    Returns
    -------
    MixtureParams
    """
    try:
        if not np.isfinite(covs).all():
            raise np.linalg.LinAlgError
        L = np.linalg.cholesky(covs)
    except np.linalg.LinAlgError:
        bad = [k for k, S in enumerate(covs) if not is_positive_definite(S)]
        raise ValueError(
            f"the covariance of mixture component(s) {bad} is singular or not finite"
            + ("" if reg_covar is None else f" even after adding reg_covar={reg_covar}")
            + " (collinear or constant features, or a component that collapsed onto a few "
            "rows); increase reg_covar or standardize X."
        ) from None
    L_inv = np.linalg.inv(L)
    half_logdet = -np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
    return MixtureParams(weights, means, covs, L_inv.transpose(0, 2, 1), half_logdet)


def is_positive_definite(S):
    """Whether ``S`` is finite and has a Cholesky factor."""
    try:
        np.linalg.cholesky(S)
        return bool(np.isfinite(S).all())
    except np.linalg.LinAlgError:
        return False


def quadratic_weights(params, shift):
    """W (n_quad, K) with phi(x - shift) @ W = log w_k + log N(x; mu_k, S_k).

    Parameters
    ----------
    params : MixtureParams
    shift : ndarray of shape (n_features,)

    Returns
    -------
    ndarray of shape (n_quad, n_components)
    """
    K, d = params.means.shape
    U = params.precisions_cholesky
    prec = U @ U.transpose(0, 2, 1)  # (K, d, d)
    mu = params.means - shift
    prec_mu = np.einsum("kij,kj->ki", prec, mu)
    iu0, iu1 = np.triu_indices(d)
    mult = np.where(iu0 == iu1, 1.0, 2.0)
    W = np.empty((quadratic_size(d), K))
    P = iu0.size
    W[:P] = (-0.5 * prec[:, iu0, iu1] * mult).T
    W[P : P + d] = prec_mu.T
    with np.errstate(divide="ignore"):
        log_w = np.log(params.weights)
    W[-1] = (
        log_w + params.half_logdet - 0.5 * d * LOG_2PI
        - 0.5 * np.einsum("ki,ki->k", mu, prec_mu)
    )
    return W


def m_step(summaries, covariance, reg_covar, shift):
    """Constrained maximum-likelihood parameters from expected sufficient statistics.

    Parameters
    ----------
    summaries : GaussianSummaries
        Weighted by the responsibilities, about ``shift``.
    covariance : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    shift : ndarray of shape (n_features,)

    Returns
    -------
    MixtureParams
    """
    nk = summaries.weight + 10 * np.finfo(np.float64).eps
    summaries = GaussianSummaries(nk, summaries.first, summaries.second)
    means, covs = from_summaries(summaries, covariance, reg_covar, shift=shift)
    return make_params(nk / nk.sum(), means, covs, reg_covar)


def initial_params(X, K, init_params, covariance, reg_covar, shift, rng, user, w=None):
    """The parameters EM starts from.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows with an observed entry; NaN entries are mean-imputed for the
        initialization only.
    K : int
    init_params : {"k-means++", "kmeans", "random", "random_from_data"}
        As :class:`gdlab.models.mixture.GaussianMixture`'s ``init_params``.
    covariance : {"full", "tied", "diag", "spherical"}
    reg_covar : float
    shift : ndarray of shape (n_features,)
    rng : numpy.random.RandomState
    user : dict
        The user's initial values (``"weights"``, ``"means"``, ``"covariances"``),
        which replace the data-driven ones; with all three no data-driven
        initialization runs.
    w : ndarray of shape (n_samples,), optional
        Row weights (None: all 1).

    Returns
    -------
    MixtureParams
    """
    n, d = X.shape
    if len(user) == 3:
        return make_params(user["weights"], user["means"], user["covariances"])
    if init_params == "random_from_data":
        # as scikit-learn: K distinct rows (drawn with probability proportional to
        # their weights), each alone in its component; the one-row maximum-likelihood
        # estimate is set exactly (a moment form would leave rounding of order
        # eps |x|^2 in covariances of size reg_covar)
        p = None if w is None else w / w.sum()
        rows = rng.choice(n, size=K, replace=False, p=p)
        X_filled = X[rows]
        if np.isnan(X_filled).any():
            X_filled = np.where(np.isnan(X_filled), column_means(X, w), X_filled)
        weights = np.full(K, 1.0 / K)
        means = X_filled
        covs = np.tile(reg_covar * np.eye(d), (K, 1, 1))
    else:
        X_filled = X
        if np.isnan(X).any():
            X_filled = np.where(np.isnan(X), column_means(X, w), X)
        if init_params == "random":
            resp = rng.uniform(size=(n, K))
            resp /= resp.sum(axis=1, keepdims=True)
        elif init_params == "kmeans":  # scikit-learn's default: a full k-means
            from sklearn.cluster import KMeans

            labels = KMeans(n_clusters=K, n_init=1, random_state=rng).fit(
                X_filled, sample_weight=w
            ).labels_
            resp = np.zeros((n, K))
            resp[np.arange(n), labels] = 1.0
        else:
            from sklearn.cluster import kmeans_plusplus

            centers, _ = kmeans_plusplus(X_filled, K, random_state=rng, sample_weight=w)
            sq = (  # (n, K), with no (n, d) temporary (X_filled**2 or 2 * X_filled)
                np.einsum("ij,ij->i", X_filled, X_filled)[:, None]
                - 2 * (X_filled @ centers.T)  # doubling is exact: same numbers
                + (centers**2).sum(axis=1)
            )
            resp = np.zeros((n, K))
            resp[np.arange(n), sq.argmin(axis=1)] = 1.0
        if w is not None:
            resp *= w[:, None]
        params = m_step(
            statistics_from_responsibilities(X_filled, resp, shift), covariance, reg_covar, shift
        )
        weights, means, covs = params.weights, params.means, params.covariances
    weights = user.get("weights", weights)
    means = user.get("means", means)
    covs = user.get("covariances", covs)
    return make_params(weights, means, covs)


def precisions_to_covariances(precisions, covariance, K, d):
    """Full (K, d, d) covariances from scikit-learn's ``precisions_init`` layout.

    Parameters
    ----------
    precisions : array-like
        (K, d, d) for "full", (d, d) for "tied", (K, d) for "diag", (K,) for
        "spherical".
    covariance : {"full", "tied", "diag", "spherical"}
    K, d : int

    Returns
    -------
    ndarray of shape (K, d, d)
    """
    p = np.asarray(precisions, dtype=np.float64)
    shapes = {"full": (K, d, d), "tied": (d, d), "diag": (K, d), "spherical": (K,)}
    if p.shape != shapes[covariance]:
        raise ValueError(
            f"precisions_init for covariance={covariance!r} must have shape "
            f"{shapes[covariance]}, got {p.shape}."
        )
    if covariance == "tied":
        p = np.broadcast_to(p, (K, d, d))
    elif covariance == "diag":
        p = p[:, :, None] * np.eye(d)
    elif covariance == "spherical":
        p = p[:, None, None] * np.eye(d)
    p = (p + p.transpose(0, 2, 1)) / 2
    if not all(is_positive_definite(S) for S in p):
        raise ValueError("precisions_init must be symmetric positive definite.")
    return np.linalg.inv(p)


def n_free_parameters(n_components, n_features, covariance):
    """Free parameters of a mixture: weights, means and covariances.

    Examples
    --------
    >>> n_free_parameters(2, 3, "full"), n_free_parameters(2, 3, "spherical")
    (19, 9)
    """
    K, d = n_components, n_features
    cov = {
        "full": K * d * (d + 1) / 2,
        "tied": d * (d + 1) / 2,
        "diag": K * d,
        "spherical": K,
    }[covariance]
    return int(cov + K * d + K - 1)


# -- the rows EM sees --------------------------------------------------------------------------
def informative_rows(X, w=None):
    """(X, w) of the rows with an observed entry; a row with every entry missing has
    likelihood 1 under every parameter, so leaving it out changes neither the fit nor
    the EM path. With row weights ``w`` (None: all 1): also without the rows of weight 0."""
    keep = ~np.isnan(X).all(axis=1)
    if w is not None:
        keep &= w > 0
    if keep.all():
        return X, w
    return X[keep], None if w is None else w[keep]


def column_means(X, w=None):
    """``np.nanmean(X, axis=0)``, without the copy of X that nanmean makes when X has no NaN.

    A sum of finite values is never NaN, so one reduction tells complete data apart;
    its column means are then ``X.mean(axis=0)`` (the same pairwise sums as nanmean's).
    With row weights ``w``: the weighted mean of each column's observed entries.
    """
    if w is not None:
        observed = ~np.isnan(X)
        return (np.where(observed, X, 0.0).T @ w) / (observed.T @ w)
    if np.isnan(np.add.reduce(X, axis=None)):
        return np.nanmean(X, axis=0)
    return X.mean(axis=0)


def split_rows(X, shift, w=None):
    """Complete rows (a copy, for the fast path) and the other rows grouped by pattern,
    with their row weights (None when ``w`` is None)."""
    missing = np.isnan(X)
    if not missing.any():
        return X, None, w, None
    full = ~missing.any(axis=1)
    partial = np.flatnonzero(~full)
    groups = PatternGroups(X, shift, rows=partial)
    if w is None:
        return X[full], groups, None, None
    return X[full], groups, w[full], w[partial]
