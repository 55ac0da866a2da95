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

The emission densities (Gaussian with diagonal or full covariances, Gaussian
mixtures, categorical, Poisson) live in :mod:`gdlab.inference.hmm_emissions`:
they give ``(n_rows, n_states)`` log-likelihoods for all frames at once
(missing entries, NaN, marginalized out), laid out for the lattice by
:func:`rows_to_tsn`, and their M-steps take the state posteriors of all frames.

The forward sampler (:func:`draw_state_paths`, then one emission draw per
frame with :func:`~gdlab.distributions.discrete.sample_categorical` /
:func:`~gdlab.distributions.gaussian.sample_gaussian`) serves ``HMM.sample`` and
:func:`gdlab.data.sequences.hmm_sequences`.
"""

from __future__ import annotations

import numpy as np

from gdlab.distributions.discrete import sample_categorical

# Probabilities far below the largest one of their frame (or step) underflow to 0, their
# nearest double, in exp(log_emit - m), in the products of the scaled recursions and in the
# posterior-weighted statistics: that is intended and exact to double precision, so the
# numeric core runs with ``np.errstate(under="ignore")`` (a user's np.seterr(all="warn")
# or "raise" must not report it). Overflow, invalid and divide keep the caller's setting
# except where a comment says why not.
UNDERFLOW_OK = {"under": "ignore"}


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
    with np.errstate(invalid="ignore", divide="ignore", **UNDERFLOW_OK):
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
    with np.errstate(invalid="ignore", divide="ignore", over="ignore", **UNDERFLOW_OK):
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
        with np.errstate(invalid="ignore", divide="ignore", **UNDERFLOW_OK):
            total = np.add.reduce(alpha, axis=1)
            total[~frames.valid.reshape(total.shape)] = 1.0
            np.divide(alpha, total[:, None, :], out=alpha)
        return log_lik, None, None, alpha
    gamma, counts = backward(transmat, B, alpha, scales, frames, blocks=blocks)
    with np.errstate(**UNDERFLOW_OK):
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
