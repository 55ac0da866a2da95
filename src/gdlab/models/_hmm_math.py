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
        self._buffers = {}

    def buffer(self, name, shape, fill=None):
        """A work array reused across EM iterations (allocating fresh ones each time is slow).

        Padded entries are never written by the recursions, so they keep ``fill``.
        """
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = np.empty(shape) if fill is None else np.full(shape, fill, dtype=np.float64)
            self._buffers[name] = buf
        return buf

    @property
    def padded(self) -> bool:
        return self.pos.size != self.X.shape[0]


# -- forward-backward ----------------------------------------------------------------------------
# Recursions run on arrays of shape (T, S, N): time, state, sequence. Each step's
# (S, N) slab is contiguous and sums over states are sums of S contiguous rows,
# which numpy does several times faster than reductions over a short last axis.

def scaled_emissions(log_emit_T, frames, reuse=False):
    """Exp-normalized emissions B (T, S, N) and per-row log-normalizers m (T * N,).

    ``log_emit_T`` has shape (S, T * N) (log-emission of each state and padded
    row, 0 at padded rows). ``B = exp(log_emit - m)`` with m the maximum over states.
    """
    S = log_emit_T.shape[0]
    m = log_emit_T.max(axis=0)
    if not np.isfinite(m).all():  # a frame impossible under every state
        m = np.where(np.isfinite(m), m, 0.0)
    shape = (frames.T, S, frames.N)
    B = frames.buffer("B", shape) if reuse else np.empty(shape)
    with np.errstate(invalid="ignore"):
        shifted = np.subtract(log_emit_T, m, out=log_emit_T if reuse else None)
    np.exp(shifted.reshape(S, frames.T, frames.N), out=B.transpose(1, 0, 2))
    return B, m


def forward(startprob, transmat, B, n_active, out=None):
    """Scaled forward pass.

    Parameters
    ----------
    startprob : ndarray of shape (S,)
    transmat : ndarray of shape (S, S)
    B : ndarray of shape (T, S, N)
        Scaled emission probabilities.
    n_active : ndarray of shape (T,)

    out : (alpha, c) arrays to fill, optional
        Zero / one at the padded positions (they are not written).

    Returns
    -------
    alpha : ndarray of shape (T, S, N)
        p(z_t | x_1..t) for running sequences, 0 at padded positions.
    c : ndarray of shape (T, N)
        Scaling factors (1 at padded positions; 0 or NaN where a sequence is impossible).
    """
    T, S, N = B.shape
    alpha, c = (np.zeros((T, S, N)), np.ones((T, N))) if out is None else out
    trans_T = np.ascontiguousarray(transmat.T)
    ones = np.ones(S)
    dot, multiply, divide = np.dot, np.multiply, np.divide
    with np.errstate(invalid="ignore", divide="ignore"):
        multiply(startprob[:, None], B[0], out=alpha[0])
        dot(ones, alpha[0], out=c[0])
        alpha[0] /= c[0]
        # sequences are sorted by decreasing length: steps 0..full-1 have all N running
        full = int(np.searchsorted(-n_active, -N, side="right"))
        al, cl, Bl = list(alpha[:full]), list(c[:full]), list(B[:full])
        for t in range(1, full):  # contiguous (S, N) slabs: BLAS dot with out=
            a, ct = al[t], cl[t]
            dot(trans_T, al[t - 1], out=a)
            multiply(a, Bl[t], out=a)
            dot(ones, a, out=ct)
            divide(a, ct, out=a)
        for t in range(max(full, 1), T):
            n = n_active[t]
            a = trans_T @ alpha[t - 1, :, :n]
            a *= B[t, :, :n]
            ct = a.sum(axis=0)
            c[t, :n] = ct
            alpha[t, :, :n] = a / ct
    return alpha, c


def backward(transmat, B, c, n_active, out=None):
    """Scaled backward pass; also returns Q[t] = B[t] * beta[t] / c[t] (0 at padding).

    ``out``: (beta, Q) arrays to fill, one / zero at the padded positions.
    """
    T, S, N = B.shape
    beta, Q = (np.ones((T, S, N)), np.zeros((T, S, N))) if out is None else out
    transmat = np.ascontiguousarray(transmat)
    dot, multiply = np.dot, np.multiply
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        Bc = np.divide(B, c[:, None, :], out=B)  # emission over scaling factor, in place
        full = int(np.searchsorted(-n_active, -N, side="right"))
        for t in range(T - 2, full - 2, -1):
            n = n_active[t + 1]
            q = Bc[t + 1, :, :n] * beta[t + 1, :, :n]
            Q[t + 1, :, :n] = q
            beta[t, :, :n] = transmat @ q
        Ql, Bl, bl = list(Q[:full]), list(Bc[:full]), list(beta[:full])
        for t in range(min(full, T) - 2, -1, -1):  # all N running at t + 1
            q = Ql[t + 1]
            multiply(Bl[t + 1], bl[t + 1], out=q)
            dot(transmat, q, out=bl[t])
    return beta, Q


def sequence_log_likelihood(c, m, frames):
    """log p(x_1..T) of each sequence (caller's order); -inf for impossible sequences."""
    T, N = c.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        per_row = np.log(c).ravel() + m
    if frames.padded:
        per_row = np.where(frames.valid, per_row, 0.0)
    total = per_row.reshape(T, N).sum(axis=0)
    total = np.where(np.isnan(total), -np.inf, total)
    return total[frames.rank]


def e_step(startprob, transmat, log_emit_T, frames, *, statistics=True):
    """One forward-backward pass over a batch.

    Parameters
    ----------
    startprob, transmat : ndarray
    log_emit_T : ndarray of shape (S, T * N)
        Log-emissions of every state and padded row (0 at padded rows);
        overwritten (used as work space).
    frames : Frames
    statistics : bool, default=True
        Whether to run the backward pass and return posteriors.

    Returns
    -------
    log_lik : ndarray of shape (n_sequences,)
    gamma_T : ndarray of shape (S, T * N) or None
        State posteriors of every padded row (0 at padded rows); a work
        buffer of ``frames``, overwritten by the next call.
    xi_sum : ndarray of shape (S, S) or None
        Expected transition counts summed over all sequences and steps.
    alpha : ndarray of shape (T, S, N)
        A work buffer of ``frames`` too.
    """
    T, N = frames.T, frames.N
    S = log_emit_T.shape[0]
    buf = frames.buffer
    B, m = scaled_emissions(log_emit_T, frames, reuse=True)
    alpha, c = forward(startprob, transmat, B, frames.n_active,
                       out=(buf("alpha", (T, S, N), 0.0), buf("c", (T, N), 1.0)))
    log_lik = sequence_log_likelihood(c, m, frames)
    if not statistics:
        return log_lik, None, None, alpha
    beta, Q = backward(transmat, B, c, frames.n_active,
                       out=(buf("beta", (T, S, N), 1.0), buf("Q", (T, S, N), 0.0)))
    gamma_T = buf("gamma", (S, T, N))
    np.multiply(alpha, beta, out=gamma_T.transpose(1, 0, 2))
    counts = np.zeros((S, S))
    for t in range(1, T):
        counts += alpha[t - 1] @ Q[t].T
    return log_lik, gamma_T.reshape(S, T * N), transmat * counts, alpha


def viterbi(log_startprob, log_transmat, log_emit_T, frames):
    """Most probable state path of each sequence, vectorized across sequences.

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        log p(x, z*) of the best path (caller's order).
    states : ndarray of shape (n_frames,)
        Stacked best paths (caller's frame order).
    """
    T, N = frames.T, frames.N
    S = log_emit_T.shape[0]
    le = log_emit_T.T.reshape(T, N, S)
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
    quadratic expansion of the diagonal log-density accurate. With diagonal
    covariances the log-densities of all components and rows are one matrix
    product of the precomputed features ``[x^2, x, o]`` (``o`` the observed
    mask; a constant 1 without missing entries), and so are the M-step
    statistics. Rows whose entries are all missing (and padded rows) have
    log-emission 0 and are left out of the emission M-step: their emission
    likelihood is 1 for every parameter value, so integrating them out
    analytically is exact EM.
    """

    def __init__(self, frames, covariance):
        self.frames = frames
        self.covariance = covariance
        X = frames.X
        missing = np.isnan(X)
        n_obs = (~missing).sum(axis=0)
        self.shift = np.where(missing, 0.0, X).sum(axis=0) / np.maximum(n_obs, 1)
        Xs = np.where(missing, 0.0, X - self.shift)  # shifted, 0 at missing
        self.any_missing = frames.has_nan or frames.padded
        observed = ~missing
        self.has_obs = observed.any(axis=1)
        d = X.shape[1]
        if covariance == "diag":
            mask = observed.T if self.any_missing else np.ones((1, X.shape[0]))
            self.F_T = np.vstack([Xs.T * Xs.T, Xs.T, mask])  # (2d + d or 1, rows)
            self.d = d
            self.Xs = None
        else:
            self.Xs = Xs
        if covariance == "full" and self.any_missing:
            self.complete = np.flatnonzero(observed.all(axis=1))
            partial = np.flatnonzero(self.has_obs & ~observed.all(axis=1))
            self.patterns = [
                gm.Pattern(p.observed, p.missing, partial[p.rows])
                for p in gm.missing_patterns(X[partial])
            ] if partial.size else []
        else:
            self.complete, self.patterns = None, []

    def component_log_prob(self, means, covars):
        """(C, rows) log N(x_obs; mu_c, S_c) of every component and row (0: nothing observed)."""
        C, d = means.shape
        mu = means - self.shift
        if self.covariance == "diag":
            prec = 1.0 / covars
            const = -0.5 * (mu * mu * prec + np.log(covars) + _LOG_2PI)  # (C, d)
            if not self.any_missing:
                const = const.sum(axis=1, keepdims=True)
            W_T = np.hstack([-0.5 * prec, mu * prec, const])  # (C, n_features_of_F)
            return W_T @ self.F_T
        out = np.zeros((C, self.Xs.shape[0]))
        L = np.linalg.cholesky(covars)
        half_logdet = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)
        rows = slice(None) if self.complete is None else self.complete
        Xc_T = self.Xs[rows].T
        for c in range(C):
            z = solve_triangular(L[c], Xc_T - mu[c][:, None], lower=True, check_finite=False)
            out[c, rows] = -0.5 * np.einsum("ij,ij->j", z, z) - half_logdet[c] - 0.5 * d * _LOG_2PI
        if self.patterns:
            with gm.one_blas_thread():
                for obs, miss, prow in self.patterns:
                    out[:, prow] = gm.stacked_pattern_moments(
                        self.Xs[np.ix_(prow, obs)], mu, covars, obs, miss, moments=False
                    )[0].T
        return out

    def log_prob(self, log_weights, means, covars):
        """State log-emissions (S, rows) and mixture responsibilities (S, M, rows) or None."""
        S, M = log_weights.shape
        d = means.shape[-1]
        flat_cov = covars.reshape(S * M, *covars.shape[2:])
        lp = self.component_log_prob(means.reshape(S * M, d), flat_cov)
        if M == 1:
            return lp, None
        lp = lp.reshape(S, M, -1) + log_weights[:, :, None]
        if self.any_missing:
            lp[:, :, ~self.has_obs] = log_weights[:, :, None]  # nothing observed: the weights
        with np.errstate(invalid="ignore"):
            le = logsumexp(lp, axis=1)  # 0 where nothing is observed
            resp = np.exp(lp - le[:, None, :])
        bad = ~np.isfinite(le)
        if bad.any():
            resp[:, :, bad.any(axis=0)] = 1.0 / M
        return le, resp

    def m_step(self, gamma_T, resp, weights, means, covars, reg_covar):
        """New (weights, means, covars) from state posteriors (S, rows) and responsibilities."""
        S, M, d = means.shape
        post = (gamma_T if resp is None else gamma_T[:, None, :] * resp).reshape(S * M, -1)
        if self.any_missing:
            post = post * self.has_obs
        old_mu = means.reshape(S * M, d)
        old_cov = covars.reshape(S * M, *covars.shape[2:])
        tiny = 10 * np.finfo(float).tiny
        if self.covariance == "diag":
            stats = post @ self.F_T.T  # (C, 2d + d or 1)
            s2, s1 = stats[:, :d], stats[:, d: 2 * d]
            den = stats[:, 2 * d:]  # (C, d) per-dimension observed weight, or (C, 1)
            nk = post.sum(axis=1)
            ok = np.broadcast_to(den > tiny, s1.shape)
            safe = np.where(den > tiny, den, 1.0)
            mu = s1 / safe
            var = np.maximum(s2 / safe - mu * mu, 0.0) + reg_covar
            new_mu = np.where(ok, mu + self.shift, old_mu)
            new_cov = np.where(ok, var, old_cov)
        else:
            first, second, nk = self._full_stats(post, old_mu, old_cov)
            ok = nk > tiny
            safe = np.where(ok, nk, 1.0)
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
        C = post.shape[0]
        d = self.Xs.shape[1]
        rows = slice(None) if self.complete is None else self.complete
        P, Xc = post[:, rows], self.Xs[rows]
        first = P @ Xc
        second = np.empty((C, d, d))
        for c in range(C):
            second[c] = (Xc.T * P[c]) @ Xc
        n_eff = P.sum(axis=1)
        if self.patterns:
            mu = old_mu - self.shift
            with gm.one_blas_thread():
                for obs, miss, prow in self.patterns:
                    X_obs = self.Xs[np.ix_(prow, obs)]
                    _, cmean, ccov = gm.stacked_pattern_moments(X_obs, mu, old_cov, obs, miss)
                    R = post[:, prow]  # (C, r)
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
        """(S, rows) log-emissions; 0 for missing symbols and padded rows."""
        with np.errstate(divide="ignore"):
            table = np.hstack([np.log(emissionprob), np.zeros((emissionprob.shape[0], 1))])
        return table[:, self.sym]  # symbol -1 (missing / padded) picks the zero column

    def m_step(self, gamma_T, emissionprob, smoothing):
        counts = np.asarray(self.onehot.T @ gamma_T.T).T + smoothing  # (S, V)
        tot = counts.sum(axis=1, keepdims=True)
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), emissionprob)
