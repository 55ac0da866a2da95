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
each row. The forward variables are rescaled once per block of time steps, by
the product of the block's scaling factors ``c_t = p(x_t | x_1..t-1) exp(-m_t)``
(see :func:`forward`); ``log p(x_1..T) = sum_t (log c_t + m_t)`` exactly, as in
log space, without a single ``logsumexp`` in the recursion.

Emission models (Gaussian with diagonal or full covariances, Gaussian
mixtures, categorical, Poisson) give ``(n_rows, n_states)`` log-likelihoods for all
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
from scipy.special import gammaln, logsumexp

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

    def steps(self, name, array):
        """``list(array)``, the per-step slabs of a work array, kept while it is the same
        array (the recursions then index a list instead of making a view every step)."""
        cached = self._buffers.get(("steps", name))
        if cached is None or cached[0] is not array:
            cached = (array, list(array))
            self._buffers[("steps", name)] = cached
        return cached[1]

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
#
# With few states a recursion step is a handful of numpy calls on a small slab, so its
# cost is the calls, not the arithmetic: a step makes two (a product with the emissions,
# a matrix product with the transitions), on same-shaped operands, into preallocated
# arrays. Everything else runs once per block of time steps, while the block's slabs are
# still in the core's cache: computing and exp-normalizing the emissions, one rescaling
# of alpha per block (see :func:`forward`), the transition counts, gamma and (through
# ``blocks``) the emission M-step statistics.

# Bytes of one (block, S, N) slab: a block's slabs of the emission, forward and backward
# arrays stay in the core's cache between the passes over it. (2**19, 54 steps of 6
# states x 200 sequences, fitted fastest among 2**17 .. 2**20 on a core with 1 MB of L2.)
_BLOCK_BYTES = 1 << 19
# The forward pass rescales its prediction once per block; a block whose scale (the
# product of its steps' c_t, each in [0, 1]) falls below this is redone rescaling every
# step, so that no forward or backward variable comes near the ends of the float64 range
# (the backward variables are at most about 1 / _SCALE_FLOOR**2).
_SCALE_FLOOR = 1e-100


def time_blocks(T, S, N):
    """Steps per block (at least 1) of the blocked passes over (T, S, N) arrays."""
    return max(1, min(T, _BLOCK_BYTES // (8 * S * N)))


def forward(startprob, transmat, log_emit, frames, *, blocks=None):
    """Forward pass, rescaled once per block of steps, exp-normalizing the emissions.

    Parameters
    ----------
    startprob : ndarray of shape (S,)
    transmat : ndarray of shape (S, S)
    log_emit : ndarray of shape (T, S, N) or None
        Log-emission of each state for every padded position (0 at padding);
        overwritten by the scaled emissions. None: ``blocks`` gives them and a
        work buffer of ``frames`` holds the scaled emissions.
    frames : Frames
    blocks : object, optional
        Gives the log-emissions a block of steps at a time, just before the block
        is used (so that they are still in cache): ``blocks.fill(start, stop)``
        returns those of steps ``start..stop-1`` as an array of shape
        ``(stop - start, S, N)`` (any strides; 0 at padding).

    Returns
    -------
    B : ndarray of shape (T, S, N)
        Scaled emissions ``exp(log_emit - m)``: entries in [0, 1], 0 at padding.
    m : ndarray of shape (T, N)
        Per-frame log-normalizers (max over states; 0 at padding).
    alpha : ndarray of shape (T, S, N)
        Forward variables scaled per block: p(z_t | x_1..t) u / r_t (0 at padding), a
        work buffer of ``frames``.
    scales : list of (start, stop, s, u)
        The blocks: steps ``start..stop-1``, ``s`` of shape (N,), the product of the
        blocks' c_t for each sequence (1 for sequences not running in the block), and
        ``u`` of shape (N,), the factor its alpha is left multiplied by (``s``, or 1
        for a block normalized at every step); the log-likelihood of a sequence is the
        sum of its log s and of its m.

    Notes
    -----
    Within a block the recursion runs unscaled, two calls a step: q_t = p_t * B_t,
    p_{t+1} = A^T q_t (p_t0 = p(z_t0 | x_1..t0-1)), so q_t = p(z_t | x_1..t) times
    s_t = c_t0 ... c_t, with c_t = p(x_t | x_1..t-1) exp(-m_t) <= 1. The block ends
    with one division of the prediction by its scale s = s_stop-1 (per sequence: at its
    last step in the block); the block's q_t are kept as they are: alpha_t = q_t =
    p(z_t | x_1..t) s / r_t, r_t = c_t+1 ... c_stop-1 in (s, 1]. :func:`backward`
    carries the matching beta_t r_t / s, so that gamma and the transition counts need
    no further scaling. A block whose s falls below
    ``_SCALE_FLOOR`` (a run of very improbable frames) is redone as one-step blocks
    (alpha normalized at every step, as in Rabiner's scaled recursion).
    """
    T, N = frames.T, frames.N
    S = startprob.shape[0]
    n_active = frames.n_active
    L = time_blocks(T, S, N)
    B = frames.buffer("log_emit", (T, S, N)) if log_emit is None else log_emit
    m = frames.buffer("m", (T, N))
    alpha = frames.buffer("alpha", (T, S, N), 0.0)  # padded entries stay 0
    AT = np.ascontiguousarray(transmat.T)
    p = np.empty((S, N))  # the prediction for the step being taken (times its scale)
    p[...] = startprob[:, None]
    p_start = np.empty((S, N))
    sorted_lengths = np.empty_like(frames.lengths)
    sorted_lengths[frames.rank] = frames.lengths
    scales = []
    alpha_steps, B_steps = frames.steps("alpha", alpha), frames.steps("B", B)
    dot, matmul, multiply = np.dot, np.matmul, np.multiply
    # divide / invalid: a sequence impossible under the parameters has a scale 0 (reported
    # by the caller through its -inf log-likelihood); frames impossible under every state
    with np.errstate(invalid="ignore", divide="ignore", **_UNDERFLOW_OK):
        for t0 in range(0, T, L):
            t1 = min(t0 + L, T)
            Bb, mb, q = B[t0:t1], m[t0:t1], alpha[t0:t1]
            le = Bb if blocks is None else blocks.fill(t0, t1)
            # the blocks give (S, steps, N) arrays seen as (steps, S, N): reduce over their
            # first axis (contiguous slabs) where they are so
            by_state = le.transpose(1, 0, 2)
            if not by_state.flags.c_contiguous:
                by_state = None
            np.max(le, axis=1, out=mb) if by_state is None else np.maximum.reduce(
                by_state, axis=0, out=mb)
            if not np.isfinite(mb).all():  # a frame impossible under every state
                mb[~np.isfinite(mb)] = 0.0
            if by_state is None:
                np.subtract(le, mb[:, None, :], out=Bb)
            else:
                np.subtract(by_state, mb, out=Bb.transpose(1, 0, 2))
            np.exp(Bb, out=Bb)
            p_start[...] = p
            if n_active[t1 - 1] == N:  # every sequence runs through the block
                for t in range(t0, t1):
                    qt = alpha_steps[t]
                    multiply(p, B_steps[t], qt)
                    dot(AT, qt, p)
                s = np.add.reduce(q[-1], axis=0)
                n0 = N
            else:
                for j, t in enumerate(range(t0, t1)):
                    n = n_active[t]
                    Bb[j, :, n:] = 0.0  # no emission after a sequence ends
                    qt, pn = q[j, :, :n], p[:, :n]
                    multiply(pn, Bb[j, :, :n], qt)
                    matmul(AT, qt, out=pn)
                n0 = n_active[t0]  # the sequences running in the block, and their last step
                last = np.minimum(sorted_lengths[:n0], t1) - 1 - t0
                s = np.ones(N)
                s[:n0] = np.add.reduce(q[last, :, np.arange(n0)], axis=1)
            if s[:n0].min() >= _SCALE_FLOOR:
                p /= s
                scales.append((t0, t1, s, s))
            else:
                p[...] = p_start
                scales.extend(_forward_one_step_blocks(AT, Bb, p, q, n_active, t0))
    return B, m, alpha, scales


def _forward_one_step_blocks(AT, B, p, alpha, n_active, start):
    """A block of the forward recursion normalized at every step (see :func:`forward`).

    ``p`` (the prediction for the block's first step) becomes the next block's; returns
    the scales of the one-step blocks.
    """
    scales = []
    ones = np.ones(p.shape[1])
    for j in range(alpha.shape[0]):
        n = n_active[start + j]
        a = alpha[j, :, :n]
        np.multiply(p[:, :n], B[j, :, :n], out=a)
        c = np.ones(p.shape[1])
        c[:n] = a.sum(axis=0)
        a /= c[:n]
        p[:, :n] = AT @ a
        scales.append((start + j, start + j + 1, c, ones))
    return scales


def backward(transmat, B, alpha, scales, frames, *, blocks=None):
    """Backward pass, turning alpha into the state posteriors block by block.

    Parameters
    ----------
    transmat : ndarray of shape (S, S)
    B : ndarray of shape (T, S, N)
        Scaled emissions from :func:`forward` (0 at padding); not modified.
    alpha : ndarray of shape (T, S, N)
        Forward variables from :func:`forward`; overwritten by gamma.
    scales : list of (start, stop, s, u)
        The blocks of :func:`forward`.
    frames : Frames
    blocks : object, optional
        ``blocks.collect(start, stop, gamma)`` is called with the posteriors of each
        block of steps (an array of shape (stop - start, S, N)) as soon as they are
        known; the blocks cover every step once, in decreasing order.

    Returns
    -------
    gamma : ndarray of shape (T, S, N)
        ``alpha`` overwritten by p(z_t | x_1..T) (0 at padding).
    counts : ndarray of shape (S, S)
        sum over t and sequences of alpha_t(i) Q_{t+1}(j) (Rabiner's scaled variables,
        Q_{t+1} = B_{t+1} beta_{t+1} / c_{t+1}); the expected transition counts are
        ``transmat * counts``.

    Notes
    -----
    Within a block the recursion runs unscaled, two calls a step: Q'_{t+1} = B_{t+1} *
    beta'_{t+1}, beta'_t = A @ Q'_{t+1}, from beta'_{stop-1} = 1 / u at the last step, so
    that beta'_t = beta_t r_t / u (see :func:`forward`) and gamma_t = alpha_t * beta'_t.
    Crossing into the block from the next one multiplies by u_next / (s_next u) once.
    beta' and Q' live in block-sized buffers only.
    """
    T, S, N = B.shape
    n_active = frames.n_active
    L = max(stop - start for start, stop, _, _ in scales)
    A = np.ascontiguousarray(transmat)
    counts = np.zeros((S, S))
    beta = frames.buffer("beta", (L + 1, S, N))
    Q = frames.buffer("Q", (L, S, N))
    xi = frames.buffer("xi", (L, S, S))
    carry = np.empty((S, N))  # beta' at the first step of the block just done
    Q_steps, beta_steps = frames.steps("Q", Q), frames.steps("beta", beta)
    B_steps = frames.steps("B", B)
    dot, matmul, multiply = np.dot, np.matmul, np.multiply
    next_factor = None  # u / s of the block just done
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", **_UNDERFLOW_OK):
        for t0, t1, s, u in reversed(scales):
            k = t1 - t0
            last = 1.0 / u  # beta' at a sequence's last step (beta = 1 there)
            if t1 == T:  # beta_{T-1} = 1
                beta[k - 1] = last
                pairs = k - 1
            else:  # into the block from step t1: Q_t1 = B_t1 beta_t1 / c_t1, scaled
                n = n_active[t1]
                q = Q[k - 1]
                multiply(B[t1], carry, out=q)  # 0 for sequences that ended
                multiply(q, next_factor * last, out=q)
                matmul(A, q[:, :n], out=beta[k - 1, :, :n])
                beta[k - 1, :, n:] = last[n:]  # sequences ending at t1 - 1
                pairs = k
            if n_active[t1 - 1] == N:  # every sequence runs through the block
                for j in range(k - 2, -1, -1):
                    q = Q_steps[j]
                    multiply(B_steps[t0 + 1 + j], beta_steps[j + 1], q)
                    dot(A, q, beta_steps[j])
            else:
                for j in range(k - 2, -1, -1):
                    n = n_active[t0 + j + 1]
                    q = Q[j]
                    multiply(B[t0 + j + 1], beta[j + 1], out=q)  # 0 after a sequence ends
                    matmul(A, q[:, :n], out=beta[j, :, :n])
                    beta[j, :, n:] = last[n:]  # sequences ending at t0 + j
            a = alpha[t0:t1]
            if pairs:
                matmul(a[:pairs], Q[:pairs].transpose(0, 2, 1), out=xi[:pairs])
                counts += xi[:pairs].sum(axis=0)
            multiply(a, beta[:k], out=a)
            if blocks is not None:
                blocks.collect(t0, t1, a)
            carry[...] = beta[0]
            next_factor = u / s
    return alpha, counts


def sequence_log_likelihood(scales, m, frames):
    """log p(x_1..T) of each sequence (caller's order); -inf for impossible sequences."""
    with np.errstate(divide="ignore", invalid="ignore"):
        total = m.sum(axis=0)  # 0 at padding
        for _, _, s, _ in scales:
            total += np.log(s)
    total = np.where(np.isnan(total), -np.inf, total)
    return total[frames.rank]


def e_step(startprob, transmat, log_emit, frames, *, statistics=True, blocks=None):
    """One forward-backward pass over a batch.

    Parameters
    ----------
    startprob, transmat : ndarray
    log_emit : ndarray of shape (T, S, N) or None
        Log-emissions of every state and padded position (0 at padding);
        overwritten (used as work space). None: ``blocks`` gives them.
    frames : Frames
    statistics : bool, default=True
        Whether to run the backward pass and return posteriors.
    blocks : object, optional
        Log-emissions computed a block of steps at a time (``fill``) and emission
        statistics gathered from each block's posteriors (``collect``); see
        :func:`forward` and :func:`backward`.

    Returns
    -------
    log_lik : ndarray of shape (n_sequences,)
    gamma : ndarray of shape (T, S, N) or None
        State posteriors (0 at padding); a work buffer of ``frames``,
        overwritten by the next call.
    xi_sum : ndarray of shape (S, S) or None
        Expected transition counts summed over all sequences and steps.
    alpha : ndarray of shape (T, S, N) or None
        p(z_t | x_1..t) (0 at padding), a work buffer of ``frames``
        (``statistics=False`` only: the backward pass turns it into gamma).
    """
    B, m, alpha, scales = forward(startprob, transmat, log_emit, frames, blocks=blocks)
    log_lik = sequence_log_likelihood(scales, m, frames)
    if not statistics:
        with np.errstate(invalid="ignore", divide="ignore", **_UNDERFLOW_OK):
            total = np.add.reduce(alpha, axis=1)
            total[~frames.valid.reshape(total.shape)] = 1.0
            np.divide(alpha, total[:, None, :], out=alpha)
        return log_lik, None, None, alpha
    gamma, counts = backward(transmat, B, alpha, scales, frames, blocks=blocks)
    with np.errstate(**_UNDERFLOW_OK):
        return log_lik, gamma, transmat * counts, None


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
class GaussianPrior:
    """Conjugate (normal / inverse-Wishart style) prior of Gaussian emissions: the MAP M-step.

    With posterior weight n, maximum-likelihood mean m and covariance V of a component
    (Huang, Acero & Hon, Spoken Language Processing, p. 443-445, as hmmlearn):
    mean mu = (w_m mu_0 + n m) / (w_m + n); scatter c = w_m (mu - mu_0)(mu - mu_0)^T +
    n (V + (m - a)(m - a)^T) about a = mu, the new mean (hmmlearn's GaussianHMM), or the
    previous mean (``about_previous=True``, hmmlearn's GMMHMM); covariance
    (c_0 + c) / (k + n). Spherical: one variance, (sum_j c_0j + c_jj) / (sum_j k_j + n_j)
    over the features j; tied: c_0 plus the components' scatters over k plus their n.
    The defaults are no prior (maximum likelihood). The emissions
    (:mod:`gdlab.models._hmm_emissions`) translate hmmlearn's ``covars_prior`` /
    ``covars_weight`` into ``c_0`` and ``k``.

    Parameters
    ----------
    means_prior, means_weight : float or ndarray
        mu_0 (broadcast to (n_components, n_features)) and w_m (to (n_components,)).
    covars_prior : float or ndarray
        c_0, added to the scatter: broadcast to the covariances (per feature for
        variances, per group for tied matrices).
    covars_count : float or ndarray
        k, added to the denominator: a number, one per component (per group when tied),
        or per component and feature (variances). May be negative (hmmlearn's GMMHMM
        defaults); where k + n <= 0 the covariance is not updated.
    about_previous : bool, default=False
        Scatter about the previous means instead of the new ones.
    """

    def __init__(self, means_prior=0.0, means_weight=0.0, covars_prior=0.0, covars_count=0.0,
                 about_previous=False):
        self.means_prior = np.asarray(means_prior, dtype=np.float64)
        w = np.asarray(means_weight, dtype=np.float64)
        self.means_weight = w[:, None] if w.ndim == 1 else w
        self.covars_prior = np.asarray(covars_prior, dtype=np.float64)
        self.covars_count = np.asarray(covars_count, dtype=np.float64)
        self.about_previous = bool(about_previous)

    def update(self, n, m_hat, v_hat, old_mu, update_means):
        """(means, scatter) of the M-step: (C, d) means and (C, d[, d]) scatter ``c``."""
        w, mu0 = self.means_weight, self.means_prior
        n_m = n if m_hat.ndim == n.ndim else n[:, None]  # (C, d) or (C, 1)
        if update_means:
            mu = (w * mu0 + n_m * m_hat) / np.where(w + n_m > 0, w + n_m, 1.0)
        else:
            mu = old_mu
        diff0, diff = mu - mu0, m_hat - (old_mu if self.about_previous else mu)
        if v_hat.ndim == m_hat.ndim:  # variances
            return mu, w * diff0**2 + n_m * (v_hat + diff**2)
        w3 = w[:, :, None] if np.ndim(w) == 2 else w
        outer = diff[:, :, None] * diff[:, None, :]
        return mu, (w3 * diff0[:, :, None] * diff0[:, None, :]
                    + n[:, None, None] * (v_hat + outer))


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
    matrix product ``W @ F`` of the features ``F = [x^2, x, o]`` (``o`` the
    observed mask; a constant 1 without missing entries) of the padded rows,
    feature-major (columns ``t * N + n``); the M-step statistics are one more
    product. With one Gaussian per state, :meth:`blocks` computes both a block
    of time steps at a time inside the forward-backward pass (see
    :class:`DiagonalBlocks`), from the shifted frames alone, so that neither
    the features nor the posteriors make a pass through memory of their own.
    Rows whose entries are all missing (and padded rows) have log-emission 0
    and are left out of the emission M-step (their features are 0): their
    emission likelihood is 1 for every parameter value, so integrating them
    out analytically is exact EM.
    """

    def __init__(self, frames, covariance):
        self.frames = frames
        self.covariance = covariance
        X = frames.X
        self.any_missing = frames.has_nan or frames.padded
        T, N, d = frames.T, frames.N, X.shape[1]
        self.d = d
        if covariance == "diag":  # feature-major: each feature's values contiguous
            Xk = np.ascontiguousarray(X.T)  # (d, T * N)
            if self.any_missing:
                observed_k = ~np.isnan(Xk)
                n_obs = observed_k.sum(axis=1)
                np.copyto(Xk, 0.0, where=~observed_k)
                self.shift = Xk.sum(axis=1) / np.maximum(n_obs, 1)
                Xk -= self.shift[:, None]
                np.copyto(Xk, 0.0, where=~observed_k)  # shifted, 0 at missing
                self.has_obs = observed_k.any(axis=0)
                self.has_obs_tn = self.has_obs.reshape(T, 1, N)
                self.Ok = observed_k.astype(np.float64)
            else:
                self.shift = Xk.mean(axis=1)
                Xk -= self.shift[:, None]
                self.has_obs = np.ones(X.shape[0], dtype=bool)
                self.Ok = None
            self.Xk = Xk
            self.n_features_F = 3 * d if self.any_missing else 2 * d + 1
            self._F = None
            self._pending = None
            self.Xs = None
            self.complete, self.patterns = None, None
            return
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
        self.Xs = Xs
        # full covariances: the rows with an observed entry and a missing one, grouped by
        # pattern once (every pattern and component in stacked calls, gm.PatternGroups)
        self.partial, self.patterns = None, None
        if covariance == "full" and self.any_missing:
            self.complete = np.flatnonzero(observed.all(axis=1))
            partial = np.flatnonzero(self.has_obs & ~observed.all(axis=1))
            if partial.size:
                self.partial = partial
                self.patterns = gm.PatternGroups(X, self.shift, rows=partial)
        else:
            self.complete = None
        if covariance == "full":  # the complete rows
            complete = np.arange(X.shape[0]) if self.complete is None else self.complete
            self.Xc = Xs if self.complete is None else Xs[complete]
            whole = [gm.Pattern(np.arange(d), np.arange(0), complete)] if complete.size else []
            self.all_patterns = whole

    def _diag_weights(self, means, covars):
        """W (C, k) with W @ F = log N(x_obs; mu_c, diag(var_c)) of every position."""
        return gm.diagonal_weights(means, covars, self.shift,
                                   per_feature_constant=self.any_missing)

    def features(self, start=0, stop=None, out=None):
        """The features ``[x^2, x, o]`` of steps ``start..stop-1`` (diagonal covariances).

        Parameters
        ----------
        start, stop : int
            Time steps; ``stop=None``: all of them.
        out : ndarray of shape (k, (stop - start) * N), optional

        Returns
        -------
        ndarray of shape (k, (stop - start) * N)
            Column ``(t - start) * N + n`` for step t of padded sequence n; 0 for
            padded rows and rows with nothing observed.
        """
        N, d = self.frames.N, self.d
        stop = self.frames.T if stop is None else stop
        cols = slice(start * N, stop * N)
        x = self.Xk[:, cols]
        F = np.empty((self.n_features_F, x.shape[1])) if out is None else out
        np.multiply(x, x, out=F[:d])
        F[d: 2 * d] = x
        if self.any_missing:
            F[2 * d:] = self.Ok[:, cols]
        else:
            F[2 * d:] = 1.0
        return F

    def _all_features(self):
        """The features of every step, kept (for mixtures and full passes)."""
        if self._F is None:
            self._F = self.features()
        return self._F

    def blocks(self, log_weights, means, covars):
        """Per-block log-emissions and M-step statistics for :func:`e_step`, or None.

        Only for one diagonal Gaussian per state (``n_mix = 1``); the statistics a
        full backward pass gathers are what the next :meth:`m_step` uses.

        Returns
        -------
        DiagonalBlocks or None
        """
        if self.covariance != "diag" or log_weights.shape[1] != 1:
            return None
        S, d = means.shape[0], means.shape[-1]
        self._pending = DiagonalBlocks(
            self, self._diag_weights(means.reshape(S, d), covars.reshape(S, d)))
        return self._pending

    def component_log_prob_rows(self, means, covars):
        """(C, T * N) log N(x_obs; mu_c, S_c) of every component and padded row."""
        if self.covariance == "diag":
            return self._diag_weights(means, covars) @ self._all_features()
        mu = means - self.shift
        out = np.zeros((means.shape[0], self.Xs.shape[0]))
        with gm.one_blas_thread():
            for obs, miss, rows in self.all_patterns:
                for s in range(0, rows.size, _PATTERN_CHUNK):
                    prow = rows[s: s + _PATTERN_CHUNK]
                    out[:, prow] = gm.stacked_pattern_moments(
                        self.Xs[np.ix_(prow, obs)], mu, covars, obs, miss, moments=False
                    )[0].T
        if self.patterns is not None:
            out[:, self.partial] = self.patterns.log_prob(means, covars).T
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
            lp = self._diag_weights(flat_mu, flat_cov) @ self._all_features()  # (C, T * N)
            if M == 1:
                return rows_to_tsn(lp, frames, out=frames.buffer("log_emit", (T, S, N))), None
            lp = rows_to_tsn(lp, frames)
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

    def m_step(self, gamma, resp, weights, means, covars, reg_covar, *, pool=None,
               update="wmc", prior=None, weights_prior=None):
        """New (weights, means, covars) from state posteriors (T, S, N) and responsibilities.

        After a full :func:`e_step` with :meth:`blocks`, its gathered statistics are
        used (they are those of ``gamma``).

        Parameters
        ----------
        gamma : ndarray of shape (T, S, N)
        resp : ndarray of shape (T, S, M, N) or None
        weights : ndarray of shape (S, M)
        means : ndarray of shape (S, M, d)
        covars : ndarray of shape (S, M, d) or (S, M, d, d)
            In the batch's layout ("diag": variances, "full": matrices).
        reg_covar : float
        pool : {None, "spherical", "tied_all", "tied_state"}, default=None
            Tie the covariances: "spherical" (diagonal layout) gives each component
            one variance: its features' scatters summed over their observed posterior
            weights summed (prior terms included; the exact M-step with missing
            entries; without them and without a prior the mean of the per-feature
            variances, as hmmlearn). "tied_all" (full
            layout) gives every component the posterior-weighted average of their
            covariances (one matrix for the model), "tied_state" the same within
            each state (one matrix per state, hmmlearn's tied GMMHMM).
        update : str, default="wmc"
            Which of weights (w), means (m) and covariances (c) are updated; the
            others keep their value. Covariances are then taken about the means
            kept (E[(x - a)(x - a)^T] = C + (mu - a)(mu - a)^T), as hmmlearn.
        prior : GaussianPrior, optional
            Conjugate prior of the means and covariances (MAP estimates, hmmlearn's
            GaussianHMM or GMMHMM formulas); None: maximum likelihood. A covariance
            whose denominator ``k + n`` is not positive keeps its value.
        weights_prior : ndarray of shape (S, M), optional
            Dirichlet concentrations of each state's mixture weights: the MAP weights
            ``max(n_km + alpha_km - 1, 0)`` normalized per state (hmmlearn's GMMHMM);
            None: maximum likelihood.
        """
        pending, self._pending = self._pending if self.covariance == "diag" else None, None
        stats = pending.statistics if pending is not None and pending.complete else None
        with np.errstate(**_UNDERFLOW_OK):  # posteriors times posteriors, times frames
            return self._m_step(gamma, resp, weights, means, covars, reg_covar, stats,
                                pool=pool, update=update, prior=prior,
                                weights_prior=weights_prior)

    def _m_step(self, gamma, resp, weights, means, covars, reg_covar, stats=None, *,
                pool=None, update="wmc", prior=None, weights_prior=None):
        S, M, d = means.shape
        T, _, N = gamma.shape
        post = gamma if resp is None else (gamma[:, :, None, :] * resp).reshape(T, S * M, N)
        old_mu = means.reshape(S * M, d)
        old_cov = covars.reshape(S * M, *covars.shape[2:])
        tiny = 10 * np.finfo(float).tiny
        prior = GaussianPrior() if prior is None else prior
        if self.covariance == "diag":
            if stats is None:  # features are 0 on rows with nothing observed
                stats = tsn_to_rows(post) @ self._all_features().T  # (C, k)
            s2, s1 = stats[:, :d], stats[:, d: 2 * d]
            den = stats[:, 2 * d:]  # (C, d) per-dimension observed weight, or (C, 1)
            if M > 1 and self.any_missing:
                post = post * self.has_obs_tn
            nk = post.sum(axis=(0, 2)) if M > 1 else None
            n = np.where(den > tiny, np.broadcast_to(den, s1.shape), 0.0)
            ok = n > 0
            safe = np.where(ok, n, 1.0)
            m_hat = s1 / safe  # shifted
            v_hat = np.maximum(s2 / safe - m_hat * m_hat, 0.0)
            m_hat = m_hat + self.shift
            mu, scatter = prior.update(n, m_hat, v_hat, old_mu, "m" in update)
            num = prior.covars_prior + scatter
            count = prior.covars_count + n
            if pool == "spherical":  # one variance: the features' scatters and counts summed
                num = np.broadcast_to(num, n.shape).sum(axis=1, keepdims=True)
                count = np.broadcast_to(count, n.shape).sum(axis=1, keepdims=True)
                ok = ok.any(axis=1, keepdims=True) & np.ones(n.shape, dtype=bool)
            ok_cov = ok & (count > 0)
            var = num / np.where(ok_cov, count, 1.0)
            new_mu = np.where(ok, mu, old_mu)
            new_cov = np.where(ok_cov, var + reg_covar, old_cov)
        else:
            post = tsn_to_rows(post)
            if self.any_missing:
                post = post * self.has_obs
            summaries = self._full_stats(post, old_mu, old_cov)
            nk = summaries.weight
            ok = nk > tiny
            n = np.where(ok, nk, 0.0)
            m_hat, v_hat = gm.from_summaries(
                summaries._replace(weight=np.where(ok, nk, 1.0)), "full", 0.0,
                shift=self.shift,
            )
            mu, scatter = prior.update(n, m_hat, v_hat, old_mu, "m" in update)
            eye = np.eye(d)
            if pool in ("tied_all", "tied_state"):
                groups = 1 if pool == "tied_all" else S
                n_g = n.reshape(groups, -1).sum(axis=1)
                count = prior.covars_count + n_g
                ok_g = (n_g > 0) & (count > 0)
                pooled = (prior.covars_prior + scatter.reshape(groups, -1, d, d).sum(axis=1)) / (
                    np.where(ok_g, count, 1.0))[:, None, None]
                ok = np.repeat(n_g > 0, S * M // groups)
                ok_cov = np.repeat(ok_g, S * M // groups)
                cov = np.repeat(pooled, S * M // groups, axis=0)
            else:
                count = prior.covars_count + n
                ok_cov = ok & (count > 0)
                cov = (prior.covars_prior + scatter) / np.where(ok_cov, count, 1.0)[:, None, None]
            cov = 0.5 * (cov + cov.transpose(0, 2, 1)) + reg_covar * eye
            new_mu = np.where(ok[:, None], mu, old_mu)
            new_cov = np.where(ok_cov[:, None, None], cov, old_cov)
        if "m" not in update:
            new_mu = old_mu
        if "c" not in update:
            new_cov = old_cov
        if M == 1 or "w" not in update:
            new_w = weights
        else:
            nk_s = nk.reshape(S, M)
            if weights_prior is not None:
                nk_s = np.maximum(nk_s + weights_prior - 1.0, 0.0)
            tot = nk_s.sum(axis=1, keepdims=True)
            new_w = np.where(tot > 0, nk_s / np.where(tot > 0, tot, 1.0), weights)
        return new_w, new_mu.reshape(S, M, d), new_cov.reshape(covars.shape)

    def _full_stats(self, post, old_mu, old_cov):
        """Expected statistics (shifted) of each component, missing entries filled by
        their conditional Gaussian given the observed block (exact EM)."""
        rows = slice(None) if self.complete is None else self.complete
        total = gm.summarize(self.Xc, post[:, rows])
        if self.patterns is not None:
            total = total + self.patterns.summarize(old_mu, old_cov, post[:, self.partial])
        return total


class DiagonalBlocks:
    """Log-emissions and M-step statistics of one diagonal Gaussian per state, by blocks.

    The ``blocks`` argument of :func:`e_step` for :class:`GaussianEmissions` with
    diagonal covariances and one component per state: :meth:`fill` computes the
    log-emissions of a block of time steps as the forward pass reaches it,
    :meth:`collect` adds a block's posterior-weighted features to
    :attr:`statistics` as the backward pass finishes it. Both rebuild the block's
    features ``[x^2, x, o]`` from the shifted frames in a small reused buffer.

    Parameters
    ----------
    emissions : GaussianEmissions
    weights : ndarray of shape (S, k)
        The state log-densities as a linear map of the features
        (:func:`gdlab.distributions.gaussian.diagonal_weights`).

    Attributes
    ----------
    statistics : ndarray of shape (S, k)
        sum over steps and sequences of gamma times the features, of the blocks
        collected so far.
    complete : bool
        Whether every step has been collected (a full backward pass).
    """

    def __init__(self, emissions, weights):
        frames = emissions.frames
        S, k = weights.shape
        self.emissions, self.weights, self.N, self.T = emissions, weights, frames.N, frames.T
        steps = time_blocks(frames.T, S, frames.N) + 1  # the backward's last block has one more
        self._features = frames.buffer("block_features", (k * steps * frames.N,))
        self._work = frames.buffer("block_work", (S * steps * frames.N,))
        self.statistics = np.zeros((S, k))
        self._collected = 0

    @property
    def complete(self) -> bool:
        return self._collected == self.T

    def _block(self, start, stop):
        n = (stop - start) * self.N
        k = self.weights.shape[1]
        F = self.emissions.features(start, stop, out=self._features[: k * n].reshape(k, n))
        return F, self._work[: self.weights.shape[0] * n].reshape(-1, n)

    def fill(self, start, stop):
        """Log-emissions of steps ``start..stop-1``: a (stop - start, S, N) view."""
        F, G = self._block(start, stop)
        np.dot(self.weights, F, out=G)
        return G.reshape(-1, stop - start, self.N).transpose(1, 0, 2)

    def collect(self, start, stop, gamma):
        """Add the statistics of steps ``start..stop-1`` from their posteriors (steps, S, N)."""
        F, P = self._block(start, stop)
        P.reshape(-1, stop - start, self.N)[...] = gamma.transpose(1, 0, 2)
        self.statistics += np.dot(F, P.T).T  # (k, S): faster than P @ F.T in OpenBLAS
        self._collected += stop - start


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


# -- Poisson emissions ---------------------------------------------------------------------------
class PoissonEmissions:
    """Independent Poisson counts per state and feature (NaN entry: missing, marginalized).

    The frames' observed mask, counts (0 at missing entries and padding) and
    ``sum_j log x_j!`` are computed once per batch, so an EM iteration is two
    matrix products for the log-emissions and two for the M-step.
    """

    def __init__(self, frames):
        self.frames = frames
        X = frames.X
        observed = ~np.isnan(X)
        self.X0 = np.where(observed, X, 0.0)  # (T * N, d)
        self.O = observed.astype(np.float64)
        self.const = gammaln(self.X0 + 1.0).sum(axis=1)  # (T * N,)
        self.positive = (self.X0 > 0).astype(np.float64)

    def log_prob(self, lambdas):
        """(T, S, N) log-emissions: sum over observed j of log Poisson(x_j; lambda_kj).

        A rate of 0 gives log-probability 0 to a count of 0 and -inf to any other.
        """
        frames = self.frames
        S = lambdas.shape[0]
        zero = lambdas <= 0
        with np.errstate(divide="ignore"):
            log_rate = np.where(zero, 0.0, np.log(lambdas))
        lp = self.X0 @ log_rate.T - self.O @ lambdas.T - self.const[:, None]  # (rows, S)
        if zero.any():
            lp[(self.positive @ zero.T.astype(np.float64)) > 0] = -np.inf
        return rows_to_tsn(lp.T, frames, out=frames.buffer("log_emit", (frames.T, S, frames.N)))

    def m_step(self, gamma, lambdas, prior_counts=0.0, prior_frames=0.0):
        """Rates from state posteriors (T, S, N): posterior-weighted mean count of each
        state and feature over its observed entries (the old rate where none is).

        With a Gamma prior (``prior_counts`` alpha, ``prior_frames`` beta, broadcast to
        (S, d)): (alpha + sum of weighted counts) / (beta + sum of weights), the
        conjugate posterior mean, i.e. alpha pseudo-counts seen over beta pseudo-frames.
        """
        post = tsn_to_rows(gamma)  # (S, rows); 0 at padding
        with np.errstate(**_UNDERFLOW_OK):
            total = post @ self.X0 + prior_counts
            weight = post @ self.O + prior_frames
        ok = weight > 10 * np.finfo(float).tiny
        return np.where(ok, total / np.where(ok, weight, 1.0), lambdas)


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
