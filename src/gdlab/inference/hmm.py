"""The hidden Markov lattice: forward-backward, Viterbi, emissions on a batch, sampling.

The numeric core of :class:`gdlab.models.HMM`, below the models so that the
data module's Bayes classifiers of known HMMs use the same math
(:func:`gdlab.data.sequence_sets.hmm_synthetic`).

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

The forward sampler (:func:`draw_state_paths`, then one emission draw per
frame with :func:`~gdlab.distributions.discrete.sample_categorical` /
:func:`~gdlab.distributions.gaussian.sample_gaussian`) serves ``HMM.sample`` and
:func:`gdlab.data.sequences.hmm_sequences`.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.special import logsumexp

from gdlab.distributions import gaussian as gm
from gdlab.distributions.discrete import categorical_log_prob, sample_categorical

# Probabilities far below the largest one of their frame (or step) underflow to 0, their
# nearest double, in exp(log_emit - m), in the products of the scaled recursions and in the
# posterior-weighted statistics: that is intended and exact to double precision, so the
# numeric core runs with ``np.errstate(under="ignore")`` (a user's np.seterr(all="warn")
# or "raise" must not report it). Overflow, invalid and divide keep the caller's setting
# except where a comment says why not.
_UNDERFLOW_OK = {"under": "ignore"}
# Rows per block of the full-covariance log-densities (the (n_components, rows, d)
# temporaries of gaussian.stacked_pattern_moments stay in cache).
_PATTERN_CHUNK = 2048


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
        stacked = np.concatenate(seqs)
        self.has_nan = bool(np.isnan(stacked).any())
        if self.pos.size == self.T * self.N:  # equal lengths: a transpose, no padding
            self.X = np.ascontiguousarray(
                stacked.reshape(self.N, self.T, d).transpose(1, 0, 2)).reshape(-1, d)
            self.valid = np.ones(self.T * self.N, dtype=bool)
        else:
            self.X = np.full((self.T * self.N, d), np.nan)
            self.X[self.pos] = stacked
            self.valid = np.zeros(self.T * self.N, dtype=bool)
            self.valid[self.pos] = True
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

    def any_observed(self) -> bool:
        """Whether some entry of some frame is observed (not NaN)."""
        return not self.has_nan or not np.isnan(self.X[self.pos]).all()

    @property
    def padded(self) -> bool:
        return self.pos.size != self.X.shape[0]


# -- forward-backward ----------------------------------------------------------------------------
# Recursions run on arrays of shape (T, S, N): time, state, sequence. Each step's
# (S, N) slab is contiguous and sums over states are sums of S contiguous rows,
# which numpy does several times faster than reductions over a short last axis.

def scaled_emissions(log_emit, frames):
    """Exp-normalize log-emissions in place: B = exp(log_emit - m), m the max over states.

    Parameters
    ----------
    log_emit : ndarray of shape (T, S, N)
        Log-emission of each state for every padded position (0 at padding);
        overwritten by B.
    frames : Frames

    Returns
    -------
    B : ndarray of shape (T, S, N)
        The same array, entries in [0, 1].
    m : ndarray of shape (T, N)
        Per-frame log-normalizers (0 at padding).
    """
    m = np.max(log_emit, axis=1, out=frames.buffer("m", (frames.T, frames.N)))
    if not np.isfinite(m).all():  # a frame impossible under every state
        m[~np.isfinite(m)] = 0.0
    with np.errstate(invalid="ignore", **_UNDERFLOW_OK):
        np.subtract(log_emit, m[:, None, :], out=log_emit)
        return np.exp(log_emit, out=log_emit), m


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
    ones, inv = np.ones(S), np.empty(N)
    dot, multiply, reciprocal = np.dot, np.multiply, np.reciprocal
    # divide / invalid: a sequence impossible under the parameters has c = 0 (reported
    # by the caller through its -inf log-likelihood)
    with np.errstate(invalid="ignore", divide="ignore", **_UNDERFLOW_OK):
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
            reciprocal(ct, out=inv)
            multiply(a, inv, out=a)
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
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", **_UNDERFLOW_OK):
        Bc = np.multiply(B, (1.0 / c)[:, None, :], out=B)  # emission / scaling, in place
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
        per_row = np.log(c, out=frames.buffer("log_c", c.shape))
        per_row += m
    if frames.padded:
        per_row = np.where(frames.valid.reshape(T, N), per_row, 0.0)
    total = per_row.sum(axis=0)
    total = np.where(np.isnan(total), -np.inf, total)
    return total[frames.rank]


def e_step(startprob, transmat, log_emit, frames, *, statistics=True):
    """One forward-backward pass over a batch.

    Parameters
    ----------
    startprob, transmat : ndarray
    log_emit : ndarray of shape (T, S, N)
        Log-emissions of every state and padded position (0 at padding);
        overwritten (used as work space).
    frames : Frames
    statistics : bool, default=True
        Whether to run the backward pass and return posteriors.

    Returns
    -------
    log_lik : ndarray of shape (n_sequences,)
    gamma : ndarray of shape (T, S, N) or None
        State posteriors (0 at padding); a work buffer of ``frames``,
        overwritten by the next call.
    xi_sum : ndarray of shape (S, S) or None
        Expected transition counts summed over all sequences and steps.
    alpha : ndarray of shape (T, S, N)
        p(z_t | x_1..t); a work buffer of ``frames`` too.
    """
    T, S, N = log_emit.shape
    buf = frames.buffer
    B, m = scaled_emissions(log_emit, frames)
    alpha, c = forward(startprob, transmat, B, frames.n_active,
                       out=(buf("alpha", (T, S, N), 0.0), buf("c", (T, N), 1.0)))
    log_lik = sequence_log_likelihood(c, m, frames)
    if not statistics:
        return log_lik, None, None, alpha
    beta, Q = backward(transmat, B, c, frames.n_active,
                       out=(buf("beta", (T, S, N), 1.0), buf("Q", (T, S, N), 0.0)))
    with np.errstate(**_UNDERFLOW_OK):
        gamma = np.multiply(alpha, beta, out=buf("gamma", (T, S, N)))
        if T > 1:
            counts = np.matmul(alpha[:-1], Q[1:].transpose(0, 2, 1)).sum(axis=0)
        else:
            counts = np.zeros((S, S))
        return log_lik, gamma, transmat * counts, alpha


def viterbi(log_startprob, log_transmat, log_emit, frames):
    """Most probable state path of each sequence, vectorized across sequences.

    Returns
    -------
    log_prob : ndarray of shape (n_sequences,)
        log p(x, z*) of the best path (caller's order).
    states : ndarray of shape (n_frames,)
        Stacked best paths (caller's frame order).
    """
    T, S, N = log_emit.shape
    le = log_emit.transpose(0, 2, 1)  # (T, N, S)
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


# -- layout conversions for emission models that work on rows -----------------------------------
def rows_to_tsn(values, frames, out=None):
    """(S, T * N) row-major values (row t * N + n) to the (T, S, N) layout."""
    S = values.shape[0]
    if out is None:
        out = np.empty((frames.T, S, frames.N))
    out[...] = values.reshape(S, frames.T, frames.N).transpose(1, 0, 2)
    return out


def tsn_to_rows(values):
    """(T, S, N) to (S, T * N) rows."""
    T, S, N = values.shape
    return values.transpose(1, 0, 2).reshape(S, T * N)


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
    covariances the log-densities of all components at all positions are one
    batched matrix product ``W @ F[t]`` of the precomputed features
    ``F = [x^2, x, o]`` (``o`` the observed mask; a constant 1 without
    missing entries), laid out (T, n_features_of_F, N) so that the result is
    already in the (T, S, N) layout of the recursions; the M-step statistics
    are one more batched product. Rows whose entries are all missing (and
    padded rows) have log-emission 0 and are left out of the emission M-step:
    their emission likelihood is 1 for every parameter value, so integrating
    them out analytically is exact EM.
    """

    def __init__(self, frames, covariance):
        self.frames = frames
        self.covariance = covariance
        X = frames.X
        self.any_missing = frames.has_nan or frames.padded
        if self.any_missing:
            missing = np.isnan(X)
            observed = ~missing
            n_obs = observed.sum(axis=0)
            self.shift = np.where(missing, 0.0, X).sum(axis=0) / np.maximum(n_obs, 1)
            Xs = np.where(missing, 0.0, X - self.shift)  # shifted, 0 at missing
            self.has_obs = observed.any(axis=1)
        else:
            self.shift = X.mean(axis=0)
            Xs = X - self.shift
            self.has_obs = np.ones(X.shape[0], dtype=bool)
        T, N, d = frames.T, frames.N, X.shape[1]
        self.d = d
        if covariance == "diag":
            k = 3 * d if self.any_missing else 2 * d + 1
            F = np.empty((T, k, N))
            Xt = Xs.reshape(T, N, d).transpose(0, 2, 1)  # (T, d, N)
            np.multiply(Xt, Xt, out=F[:, :d])
            F[:, d: 2 * d] = Xt
            if self.any_missing:
                F[:, 2 * d:] = observed.reshape(T, N, d).transpose(0, 2, 1)
                self.has_obs_tn = self.has_obs.reshape(T, 1, N)
            else:
                F[:, 2 * d:] = 1.0
            self.F = F
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
        if covariance == "full":  # the complete rows, and every pattern with an observed entry
            complete = np.arange(X.shape[0]) if self.complete is None else self.complete
            self.Xc = Xs if self.complete is None else Xs[complete]
            whole = [gm.Pattern(np.arange(d), np.arange(0), complete)] if complete.size else []
            self.all_patterns = whole + self.patterns

    def _diag_weights(self, means, covars):
        """W (C, k) with W @ F[t] = log N(x_obs; mu_c, diag(var_c)) of every position."""
        return gm.diagonal_weights(means, covars, self.shift,
                                   per_feature_constant=self.any_missing)

    def component_log_prob_rows(self, means, covars):
        """(C, T * N) log N(x_obs; mu_c, S_c) of every component and padded row."""
        if self.covariance == "diag":
            return tsn_to_rows(np.matmul(self._diag_weights(means, covars), self.F))
        mu = means - self.shift
        out = np.zeros((means.shape[0], self.Xs.shape[0]))
        with gm.one_blas_thread():
            for obs, miss, rows in self.all_patterns:
                for s in range(0, rows.size, _PATTERN_CHUNK):
                    prow = rows[s: s + _PATTERN_CHUNK]
                    out[:, prow] = gm.stacked_pattern_moments(
                        self.Xs[np.ix_(prow, obs)], mu, covars, obs, miss, moments=False
                    )[0].T
        return out

    def log_prob(self, log_weights, means, covars):
        """State log-emissions (T, S, N) and mixture responsibilities (T, S, M, N) or None.

        The log-emissions are a work buffer of the batch (overwritten by the next call).
        """
        S, M = log_weights.shape
        d = means.shape[-1]
        frames = self.frames
        T, N = frames.T, frames.N
        flat_mu = means.reshape(S * M, d)
        flat_cov = covars.reshape(S * M, *covars.shape[2:])
        if self.covariance == "diag":
            W = self._diag_weights(flat_mu, flat_cov)
            if M == 1:
                return np.matmul(W, self.F, out=frames.buffer("log_emit", (T, S, N))), None
            lp = np.matmul(W, self.F)  # (T, C, N)
        else:
            lp = self.component_log_prob_rows(flat_mu, flat_cov)
            if M == 1:
                return rows_to_tsn(lp, frames, out=frames.buffer("log_emit", (T, S, N))), None
            lp = rows_to_tsn(lp, frames)
        lp = lp.reshape(T, S, M, N) + log_weights[None, :, :, None]
        with np.errstate(invalid="ignore", **_UNDERFLOW_OK):
            le = logsumexp(lp, axis=2)  # (T, S, N)
            resp = np.exp(lp - le[:, :, None, :])
        nothing = ~self.has_obs.reshape(T, N)
        if nothing.any():  # nothing observed: log-emission 0, responsibilities the weights
            le.transpose(0, 2, 1)[nothing] = 0.0
            resp.transpose(0, 3, 1, 2)[nothing] = np.exp(log_weights)
        bad = ~np.isfinite(le)
        if bad.any():
            resp.transpose(0, 1, 3, 2)[bad] = 1.0 / M
        return le, resp

    def m_step(self, gamma, resp, weights, means, covars, reg_covar):
        """New (weights, means, covars) from state posteriors (T, S, N) and responsibilities."""
        with np.errstate(**_UNDERFLOW_OK):  # posteriors times posteriors, times frames
            return self._m_step(gamma, resp, weights, means, covars, reg_covar)

    def _m_step(self, gamma, resp, weights, means, covars, reg_covar):
        S, M, d = means.shape
        T, _, N = gamma.shape
        post = gamma if resp is None else (gamma[:, :, None, :] * resp).reshape(T, S * M, N)
        old_mu = means.reshape(S * M, d)
        old_cov = covars.reshape(S * M, *covars.shape[2:])
        tiny = 10 * np.finfo(float).tiny
        if self.covariance == "diag":
            if self.any_missing:
                post = post * self.has_obs_tn
            stats = np.matmul(post, self.F.transpose(0, 2, 1)).sum(axis=0)  # (C, k)
            s2, s1 = stats[:, :d], stats[:, d: 2 * d]
            den = stats[:, 2 * d:]  # (C, d) per-dimension observed weight, or (C, 1)
            nk = post.sum(axis=(0, 2)) if M > 1 else None
            ok = np.broadcast_to(den > tiny, s1.shape)
            safe = np.where(den > tiny, den, 1.0)
            mu = s1 / safe
            var = np.maximum(s2 / safe - mu * mu, 0.0) + reg_covar
            new_mu = np.where(ok, mu + self.shift, old_mu)
            new_cov = np.where(ok, var, old_cov)
        else:
            post = tsn_to_rows(post)
            if self.any_missing:
                post = post * self.has_obs
            summaries = self._full_stats(post, old_mu, old_cov)
            nk = summaries.weight
            ok = nk > tiny
            mu, cov = gm.from_summaries(
                summaries._replace(weight=np.where(ok, nk, 1.0)), "full", reg_covar,
                shift=self.shift,
            )
            new_mu = np.where(ok[:, None], mu, old_mu)
            new_cov = np.where(ok[:, None, None], cov, old_cov)
        if M == 1:
            new_w = weights
        else:
            nk_s = nk.reshape(S, M)
            tot = nk_s.sum(axis=1, keepdims=True)
            new_w = np.where(tot > 0, nk_s / np.where(tot > 0, tot, 1.0), weights)
        return new_w, new_mu.reshape(S, M, d), new_cov.reshape(covars.shape)

    def _full_stats(self, post, old_mu, old_cov):
        """Expected statistics (shifted) of each component, missing entries filled by
        their conditional Gaussian given the observed block (exact EM)."""
        rows = slice(None) if self.complete is None else self.complete
        total = gm.summarize(self.Xc, post[:, rows])
        if self.patterns:
            mu = old_mu - self.shift
            with gm.one_blas_thread():
                for obs, miss, prow in self.patterns:
                    X_obs = self.Xs[np.ix_(prow, obs)]
                    _, cmean, ccov = gm.stacked_pattern_moments(X_obs, mu, old_cov, obs, miss)
                    gm.summarize_missing(X_obs, cmean, ccov, obs, miss, post[:, prow], out=total)
        return total


# -- categorical emissions -----------------------------------------------------------------------
class CategoricalEmissions:
    """Per-state categorical distributions over symbols 0..V-1 (NaN frame: missing symbol)."""

    def __init__(self, frames, n_symbols):
        self.frames = frames
        x = frames.X[:, 0]
        observed = ~np.isnan(x)
        self.sym = np.where(observed, np.nan_to_num(x), -1).astype(np.intp)
        self.n_symbols = n_symbols
        rows = np.flatnonzero(observed)
        self.onehot = sparse.csr_matrix(
            (np.ones(rows.size), (rows, self.sym[rows])), shape=(x.shape[0], n_symbols)
        )

    def log_prob(self, emissionprob):
        """(T, S, N) log-emissions; 0 for missing symbols and padding."""
        with np.errstate(divide="ignore"):
            log_probs = np.log(emissionprob)
        frames = self.frames
        S = emissionprob.shape[0]
        # symbol -1 (missing / padded) contributes 0
        return rows_to_tsn(categorical_log_prob(log_probs, self.sym).T, frames,
                           out=frames.buffer("log_emit", (frames.T, S, frames.N)))

    def m_step(self, gamma, emissionprob, smoothing):
        """Emission probabilities from state posteriors (T, S, N): counts plus ``smoothing``."""
        counts = np.asarray(self.onehot.T @ tsn_to_rows(gamma).T).T + smoothing  # (S, V)
        tot = counts.sum(axis=1, keepdims=True)
        return np.where(tot > 0, counts / np.where(tot > 0, tot, 1.0), emissionprob)


# -- the forward sampler of hidden Markov models (HMM.sample and hmm_sequences) -----------------
def draw_state_paths(startprob, transmat, lengths, rng) -> np.ndarray:
    """Hidden state paths of a Markov chain, drawn forward, vectorized over sequences.

    Parameters
    ----------
    startprob : ndarray of shape (n_states,) or (n_sequences, n_states)
        Start distribution, shared or one per sequence.
    transmat : ndarray of shape (n_states, n_states) or (n_sequences, n_states, n_states)
        Transition matrix, shared or one per sequence.
    lengths : ndarray of shape (n_sequences,)
    rng : RandomState
        Consumes ``n_sequences`` uniform draws per time step of the longest sequence.

    Returns
    -------
    ndarray of shape (sum(lengths),)
        The paths stacked sequence by sequence, each in time order.
    """
    n, S = len(lengths), startprob.shape[-1]
    T = int(np.max(lengths))
    states = np.empty((n, T), dtype=np.intp)
    states[:, 0] = sample_categorical(np.broadcast_to(startprob, (n, S)), rng)
    seq = np.arange(n)
    for t in range(1, T):
        prev = states[:, t - 1]
        rows = transmat[prev] if transmat.ndim == 2 else transmat[seq, prev]
        states[:, t] = sample_categorical(rows, rng)
    return states[np.arange(T)[None, :] < np.asarray(lengths)[:, None]]
