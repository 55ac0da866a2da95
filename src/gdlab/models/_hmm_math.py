"""Numeric core of :class:`gdlab.models.HMM`: forward-backward, Viterbi, emissions.

Everything here is vectorized across sequences. A batch of sequences is laid
out once in a :class:`Frames` object: sequences sorted by decreasing length,
frames stacked time-major in a padded array of shape ``(T, N, ...)`` (``T``
the longest length, ``N`` the number of sequences). At time ``t`` the
sequences still running are exactly the first ``n_active[t]`` ones, so every
recursion step works on a contiguous prefix ``[:n_active[t]]`` and padded
frames never enter the recursions.

The forward-backward pass uses the scaling trick on exp-normalized emission
probabilities: ``B[t, n, k] = exp(log b_k(x_tn) - m_tn)`` with ``m_tn`` the
per-frame maximum over states, so that every entry is in [0, 1] with a 1 in
each row. The scaled forward variables ``alpha_hat[t] = p(z_t | x_1..t)`` are
normalized at every step by ``c_t``; ``log p(x_1..T) = sum_t (log c_t + m_t)``
exactly, as in log space, without a single ``logsumexp`` in the recursion.

Emission models (Gaussian with diagonal or full covariances, Gaussian
mixtures, categorical) give ``(n_rows, n_states)`` log-likelihoods for all
frames at once; missing entries (NaN) are marginalized out. Their M-steps take
the state posteriors of all frames and return new parameters.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.linalg import solve_triangular
from scipy.special import logsumexp

from gdlab.models import _gaussian_math as gm

_LOG_2PI = np.log(2.0 * np.pi)


# -- layout --------------------------------------------------------------------------------------
class Frames:
    """A batch of sequences in the padded, time-major, length-sorted layout.

    Parameters
    ----------
    seqs : list of ndarray of shape (length_i, n_features)
        Validated float sequences; NaN marks a missing entry.

    Attributes
    ----------
    lengths : ndarray of shape (n_sequences,)
        In the caller's order.
    rank : ndarray of shape (n_sequences,)
        Position of each sequence in the sorted (padded) batch.
    n_active : ndarray of shape (T,)
        Sequences still running at each time step.
    pos : ndarray of shape (n_frames,)
        Row of each stacked frame (caller's order) in the flattened padded array.
    X : ndarray of shape (T * N, n_features)
        Padded frames; NaN at padded positions and at missing entries.
    valid : ndarray of shape (T * N,), bool
        Rows that are real frames.
    """

    def __init__(self, seqs):
        self.lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        order = np.argsort(-self.lengths, kind="stable")
        self.rank = np.empty_like(order)
        self.rank[order] = np.arange(len(order))
        self.N, self.T = len(seqs), int(self.lengths.max())
        sorted_lengths = self.lengths[order]
        self.n_active = (sorted_lengths[None, :] > np.arange(self.T)[:, None]).sum(axis=1)
        self.n_frames = int(self.lengths.sum())
        t_idx = np.concatenate([np.arange(n) for n in self.lengths])
        s_idx = np.repeat(self.rank, self.lengths)
        self.pos = t_idx * self.N + s_idx
        d = seqs[0].shape[1]
        self.X = np.full((self.T * self.N, d), np.nan)
        self.X[self.pos] = np.concatenate(seqs)
        self.valid = np.zeros(self.T * self.N, dtype=bool)
        self.valid[self.pos] = True
        self.has_nan = bool(np.isnan(self.X[self.pos]).any())
        # the last padded row of each sequence (caller's order)
        self.last = (self.lengths - 1) * self.N + self.rank

    @property
    def padded(self) -> bool:
        return self.pos.size != self.X.shape[0]


# -- forward-backward ----------------------------------------------------------------------------
def scaled_emissions(log_emit, valid):
    """Exp-normalized emissions B and the per-frame log-normalizer m (padded rows: 0)."""
    m = log_emit.max(axis=1)
    m = np.where(np.isfinite(m) & valid, m, 0.0)
    B = np.exp(log_emit - m[:, None])
    B[~valid] = 0.0
    return B, m


def forward(startprob, transmat, B, n_active):
    """Scaled forward pass over the padded layout.

    Parameters
    ----------
    startprob : ndarray of shape (S,)
    transmat : ndarray of shape (S, S)
    B : ndarray of shape (T, N, S)
        Scaled emission probabilities.
    n_active : ndarray of shape (T,)

    Returns
    -------
    alpha : ndarray of shape (T, N, S)
        p(z_t | x_1..t) for running sequences, 0 at padded positions.
    c : ndarray of shape (T, N)
        Scaling factors (1 at padded positions; 0 where a frame is impossible).
    """
    T, N, S = B.shape
    alpha = np.zeros((T, N, S))
    c = np.ones((T, N))
    with np.errstate(invalid="ignore", divide="ignore"):
        np.multiply(startprob, B[0], out=alpha[0])
        np.sum(alpha[0], axis=1, out=c[0])
        alpha[0] /= c[0][:, None]
        for t in range(1, T):
            n = n_active[t]
            a = alpha[t, :n]
            np.matmul(alpha[t - 1, :n], transmat, out=a)
            np.multiply(a, B[t, :n], out=a)
            ct = c[t, :n]
            np.sum(a, axis=1, out=ct)
            np.divide(a, ct[:, None], out=a)
    return alpha, c


def backward(transmat, B, c, n_active):
    """Scaled backward pass; also returns Q[t] = B[t] * beta[t] / c[t] (for the xi sums)."""
    T, N, S = B.shape
    beta = np.ones((T, N, S))
    Q = np.zeros((T, N, S))
    trans_T = np.ascontiguousarray(transmat.T)
    with np.errstate(invalid="ignore", divide="ignore"):
        for t in range(T - 2, -1, -1):
            n = n_active[t + 1]
            q = Q[t + 1, :n]
            np.multiply(B[t + 1, :n], beta[t + 1, :n], out=q)
            np.divide(q, c[t + 1, :n, None], out=q)
            np.matmul(q, trans_T, out=beta[t, :n])
    return beta, Q


def sequence_log_likelihood(c, m, frames):
    """log p(x_1..T) of each sequence (caller's order); -inf for impossible sequences."""
    T, N = c.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        per_frame = np.log(c).ravel() + m
    per_frame = np.where(frames.valid, per_frame, 0.0).reshape(T, N).sum(axis=0)
    per_frame = np.where(np.isnan(per_frame), -np.inf, per_frame)
    return per_frame[frames.rank]


def e_step(startprob, transmat, log_emit, frames, *, statistics=True):
    """One forward-backward pass over a batch.

    Returns
    -------
    log_lik : ndarray of shape (n_sequences,)
    gamma : ndarray of shape (T * N, S) or None
        State posteriors of every padded row (0 at padded rows).
    xi_sum : ndarray of shape (S, S) or None
        Expected transition counts summed over all sequences and steps.
    alpha : ndarray of shape (T, N, S)
    """
    T, N, S = frames.T, frames.N, log_emit.shape[1]
    B, m = scaled_emissions(log_emit, frames.valid)
    B = B.reshape(T, N, S)
    alpha, c = forward(startprob, transmat, B, frames.n_active)
    log_lik = sequence_log_likelihood(c, m, frames)
    if not statistics:
        return log_lik, None, None, alpha
    beta, Q = backward(transmat, B, c, frames.n_active)
    gamma = (alpha * beta).reshape(T * N, S)
    if T > 1:
        xi_sum = transmat * (alpha[:-1].reshape(-1, S).T @ Q[1:].reshape(-1, S))
    else:
        xi_sum = np.zeros((S, S))
    return log_lik, gamma, xi_sum, alpha


def viterbi(log_startprob, log_transmat, log_emit, frames):
    """Most probable state path of each sequence, vectorized across sequences.

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        log p(x, z*) of the best path (caller's order).
    states : ndarray of shape (n_frames,)
        Stacked best paths (caller's frame order).
    """
    T, N = frames.T, frames.N
    S = log_emit.shape[1]
    le = np.where(frames.valid[:, None], log_emit, 0.0).reshape(T, N, S)
    n_active = frames.n_active
    back = np.zeros((T, N, S), dtype=np.intp)
    best = np.empty(N)
    last_state = np.empty(N, dtype=np.intp)
    delta = log_startprob + le[0]
    for t in range(1, T):
        n, prev = n_active[t], n_active[t - 1]
        if n < prev:  # sequences n..prev-1 ended at t-1
            last_state[n:prev] = delta[n:prev].argmax(axis=1)
            best[n:prev] = delta[n:prev].max(axis=1)
        scores = delta[:n, :, None] + log_transmat  # (n, S_from, S_to)
        arg = scores.argmax(axis=1)
        back[t, :n] = arg
        delta = np.take_along_axis(scores, arg[:, None, :], axis=1)[:, 0] + le[t, :n]
    n = n_active[T - 1]
    last_state[:n] = delta.argmax(axis=1)
    best[:n] = delta.max(axis=1)
    states = np.zeros((T, N), dtype=np.intp)
    states[T - 1, :n] = last_state[:n]
    for t in range(T - 2, -1, -1):
        n1, n0 = n_active[t + 1], n_active[t]
        states[t, :n1] = back[t + 1, np.arange(n1), states[t + 1, :n1]]
        states[t, n1:n0] = last_state[n1:n0]
    return best[frames.rank], states.ravel()[frames.pos]


# -- Gaussian (mixture) emissions ----------------------------------------------------------------
class GaussianEmissions:
    """Per-state Gaussian mixtures (a single Gaussian is ``n_mix = 1``) on a padded batch.

    Parameters
    ----------
    frames : Frames
    covariance : {"diag", "full"}

    Notes
    -----
    Rows are shifted by the mean of the observed entries, which keeps the
    quadratic expansion of the diagonal log-density accurate. Rows whose
    entries are all missing (and padded rows) have log-emission 0 and are
    left out of the emission M-step: their emission likelihood is 1 for
    every parameter value, so integrating them out analytically is exact EM.
    """

    def __init__(self, frames, covariance):
        self.frames = frames
        self.covariance = covariance
        X = frames.X
        self.shift = np.nanmean(X[frames.pos], axis=0)
        self.shift = np.where(np.isfinite(self.shift), self.shift, 0.0)
        missing = np.isnan(X)
        self.Xs = np.where(missing, 0.0, X - self.shift)  # shifted, 0 at missing
        self.any_missing = frames.has_nan or frames.padded
        observed = ~missing
        self.has_obs = observed.any(axis=1)
        self.O = observed.astype(np.float64) if self.any_missing else None
        if covariance == "full" and self.any_missing:
            self.complete = np.flatnonzero(observed.all(axis=1))
            partial = np.flatnonzero(self.has_obs & ~observed.all(axis=1))
            self.partial = partial
            self.patterns = [
                gm.Pattern(p.observed, p.missing, partial[p.rows])
                for p in gm.missing_patterns(X[partial])
            ] if partial.size else []
        else:
            self.complete, self.partial, self.patterns = None, np.arange(0), []

    # component log-densities, (rows, C)
    def _component_log_prob(self, means, covars):
        C, d = means.shape
        mu = means - self.shift
        Xs = self.Xs
        if self.covariance == "diag":
            prec = 1.0 / covars
            lp = (Xs * Xs) @ (-0.5 * prec).T
            lp += Xs @ (mu * prec).T
            const = -0.5 * (mu * mu * prec + np.log(covars) + _LOG_2PI)  # (C, d)
            if self.O is None:
                lp += const.sum(axis=1)
            else:
                lp += self.O @ const.T
            return lp
        out = np.zeros((Xs.shape[0], C))
        L = np.linalg.cholesky(covars)
        half_logdet = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        rows = slice(None) if self.complete is None else self.complete
        Xc = Xs[rows]
        for c in range(C):
            z = solve_triangular(L[c], (Xc - mu[c]).T, lower=True, check_finite=False)
            out[rows, c] = -0.5 * np.einsum("ij,ij->j", z, z) - half_logdet[c] - 0.5 * d * _LOG_2PI
        if self.patterns:
            with gm.one_blas_thread():
                for obs, miss, prow in self.patterns:
                    out[prow] = gm.stacked_pattern_moments(
                        Xs[np.ix_(prow, obs)], mu, covars, obs, miss, moments=False
                    )[0]
        return out

    def log_prob(self, log_weights, means, covars):
        """State log-emissions (rows, S) and mixture responsibilities (rows, S, M)."""
        S, M = log_weights.shape
        d = means.shape[-1]
        flat_cov = covars.reshape(S * M, *covars.shape[2:])
        lp = self._component_log_prob(means.reshape(S * M, d), flat_cov)
        if self.any_missing:
            lp[~self.has_obs] = 0.0
        lp = lp.reshape(-1, S, M) + log_weights
        if M == 1:
            return lp[:, :, 0], None
        with np.errstate(invalid="ignore"):
            le = logsumexp(lp, axis=2)
            resp = np.exp(lp - le[:, :, None])
        resp[~np.isfinite(le)] = 1.0 / M
        return le, resp

    def m_step(self, gamma, resp, weights, means, covars, reg_covar):
        """New (weights, means, covars) from state posteriors and mixture responsibilities."""
        S, M, d = means.shape
        post = (gamma if resp is None else gamma[:, :, None] * resp).reshape(-1, S * M)
        if self.any_missing:
            post = post * self.has_obs[:, None]
        nk = post.sum(axis=0)  # (C,)
        old_mu = means.reshape(S * M, d)
        old_cov = covars.reshape(S * M, *covars.shape[2:])
        if self.covariance == "diag":
            den = nk[:, None] if self.O is None else post.T @ self.O  # (C, d)
            s1 = post.T @ self.Xs
            s2 = post.T @ (self.Xs * self.Xs)
            ok = den > 10 * np.finfo(float).tiny
            safe = np.where(ok, den, 1.0)
            mu = s1 / safe
            var = np.maximum(s2 / safe - mu * mu, 0.0) + reg_covar
            new_mu = np.where(ok, mu + self.shift, old_mu)
            new_cov = np.where(ok, var, old_cov)
        else:
            first, second, n_eff = self._full_stats(post, old_mu, old_cov)
            ok = n_eff > 10 * np.finfo(float).tiny
            safe = np.where(ok, n_eff, 1.0)
            mu = first / safe[:, None]
            cov = second / safe[:, None, None] - mu[:, :, None] * mu[:, None, :]
            cov = (cov + cov.transpose(0, 2, 1)) / 2 + reg_covar * np.eye(d)
            new_mu = np.where(ok[:, None], mu + self.shift, old_mu)
            new_cov = np.where(ok[:, None, None], cov, old_cov)
        nk_s = nk.reshape(S, M)
        tot = nk_s.sum(axis=1, keepdims=True)
        new_w = np.where(tot > 0, nk_s / np.where(tot > 0, tot, 1.0), weights)
        return new_w, new_mu.reshape(S, M, d), new_cov.reshape(covars.shape)

    def _full_stats(self, post, old_mu, old_cov):
        """Expected first and second moments (shifted) of each component, missing entries
        filled by their conditional Gaussian given the observed block (exact EM)."""
        C = post.shape[1]
        d = self.Xs.shape[1]
        rows = slice(None) if self.complete is None else self.complete
        P, Xc = post[rows], self.Xs[rows]
        first = P.T @ Xc
        second = np.empty((C, d, d))
        for c in range(C):
            second[c] = (Xc * P[:, c : c + 1]).T @ Xc
        n_eff = P.sum(axis=0)
        if self.patterns:
            mu = old_mu - self.shift
            with gm.one_blas_thread():
                for obs, miss, prow in self.patterns:
                    X_obs = self.Xs[np.ix_(prow, obs)]
                    _, cmean, ccov = gm.stacked_pattern_moments(X_obs, mu, old_cov, obs, miss)
                    R = post[prow].T  # (C, r)
                    X_hat = np.empty((C, prow.size, d))
                    X_hat[:, :, obs] = X_obs
                    X_hat[:, :, miss] = cmean
                    r_c = R.sum(axis=1)
                    n_eff += r_c
                    first += np.einsum("cr,crd->cd", R, X_hat)
                    second += (X_hat * R[:, :, None]).transpose(0, 2, 1) @ X_hat
                    second[:, miss[:, None], miss] += r_c[:, None, None] * ccov
        return first, second, n_eff


# -- categorical emissions -----------------------------------------------------------------------
class CategoricalEmissions:
    """Per-state categorical distributions over symbols 0..V-1 (NaN frame: missing symbol)."""

    def __init__(self, frames, n_symbols):
        x = frames.X[:, 0]
        observed = ~np.isnan(x)
        self.sym = np.where(observed, np.nan_to_num(x), -1).astype(np.intp)
        self.n_symbols = n_symbols
        rows = np.flatnonzero(observed)
        self.onehot = sparse.csr_matrix(
            (np.ones(rows.size), (rows, self.sym[rows])), shape=(x.shape[0], n_symbols)
        )

    def log_prob(self, emissionprob):
        with np.errstate(divide="ignore"):
            table = np.vstack([np.log(emissionprob).T, np.zeros(emissionprob.shape[0])])
        return table[self.sym]  # symbol -1 (missing / padded) picks the zero row

    def m_step(self, gamma, emissionprob, smoothing):
        counts = np.asarray((self.onehot.T @ gamma).T) + smoothing  # (S, V)
        tot = counts.sum(axis=1, keepdims=True)
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), emissionprob)
