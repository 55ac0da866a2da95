"""The missing-pattern algebra of K Gaussians: every pattern and Gaussian in stacked calls.

Exact EM with missing entries needs, for every row and Gaussian, the marginal
density of the observed block and the conditional moments of the missing one.
Rows sharing a missing pattern share that algebra, so it is done once per
pattern, and here for many patterns and all K Gaussians in the same batched
calls. :func:`stacked_pattern_moments` does it for the rows of one pattern;
:class:`PatternGroups` for every row and pattern of a data set at once,
prepared once for many EM iterations: log-densities, statistics for given
weights (with the conditional moments of the missing entries), and a mixture's
E-step (responsibilities and statistics), the per-row work two GEMMs on the
quadratic features of :func:`quadratic_size`. It serves the NaN-aware EM of the
Gaussian mixture (:mod:`gdlab.inference.mixture_em`), of the Gaussian
classifier with full or tied covariances (:mod:`gdlab.inference.gaussian_em`)
and of full-covariance HMM emissions; it builds on the one-Gaussian module
:mod:`gdlab.distributions.gaussian` (its statistics are
:class:`~gdlab.distributions.gaussian.GaussianSummaries`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdlab.distributions.gaussian import LOG_2PI, GaussianSummaries, single_threaded_blas

__all__ = ["stacked_pattern_moments", "PatternGroups", "quadratic_size"]


def stacked_pattern_moments(X_obs, means, covs, obs, miss, *, moments=True):
    """Marginal log-density and conditional moments under K Gaussians, for one pattern.

    All rows share one missing pattern; every Gaussian is handled in the same
    batched calls (one stacked Cholesky of the K observed blocks), which is what
    a mixture's E-step needs.

    Parameters
    ----------
    X_obs : ndarray of shape (n_rows, n_obs)
        The observed entries of the rows (columns ``obs``).
    means : ndarray of shape (n_components, n_features)
    covs : ndarray of shape (n_components, n_features, n_features)
        Symmetric positive definite.
    obs, miss : ndarray of int
        Observed and missing column indices (a partition of the columns).
    moments : bool, default=True
        Whether to compute the conditional moments (False: log-densities only).

    Returns
    -------
    log_dens : ndarray of shape (n_rows, n_components)
        log N(x_o; mu_k,o, S_k,oo); 0 when nothing is observed.
    cond_mean : ndarray of shape (n_components, n_rows, n_miss) or None
        E[x_m | x_o, k] = mu_k,m + S_k,mo S_k,oo^{-1} (x_o - mu_k,o).
    cond_cov : ndarray of shape (n_components, n_miss, n_miss) or None
        Cov[x_m | x_o, k] = S_k,mm - S_k,mo S_k,oo^{-1} S_k,om (the same for every row).
    """
    n_rows, n_comp = X_obs.shape[0], means.shape[0]
    if obs.size == 0:
        log_dens = np.zeros((n_rows, n_comp))
        if not moments:
            return log_dens, None, None
        cmean = np.broadcast_to(means[:, None, miss], (n_comp, n_rows, miss.size))
        return log_dens, cmean, covs[:, miss[:, None], miss]
    L = np.linalg.cholesky(covs[:, obs[:, None], obs])  # (K, o, o)
    L_inv = np.linalg.inv(L)
    z = (X_obs[None] - means[:, None, obs]) @ L_inv.transpose(0, 2, 1)  # (K, r, o)
    half_logdet = np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1)  # (K,)
    log_dens = (-0.5 * np.einsum("kro,kro->rk", z, z) - half_logdet) - 0.5 * obs.size * LOG_2PI
    if not moments or miss.size == 0:
        empty = np.zeros((n_comp, n_rows, 0)) if moments else None
        return log_dens, empty, (np.zeros((n_comp, 0, 0)) if moments else None)
    W = L_inv @ covs[:, obs[:, None], miss]  # (K, o, m) = L^{-1} S_om
    cmean = means[:, None, miss] + z @ W  # (K, r, m)
    ccov = covs[:, miss[:, None], miss] - W.transpose(0, 2, 1) @ W
    return log_dens, cmean, (ccov + ccov.transpose(0, 2, 1)) / 2


def quadratic_size(n_features: int) -> int:
    """Length of the quadratic features ``[x_i x_j (i <= j), x, 1]`` of a d-vector."""
    return n_features * (n_features + 1) // 2 + n_features + 1


# phi entries (n_quad x rows) per row block of PatternGroups: about 1 MiB, in cache
_QUAD_BLOCK = 1 << 17
# per-pattern weights kept at once (patterns x n_quad) in one batch of PatternGroups
_PATTERN_BATCH = 1 << 18
# PatternGroups keeps every block's phi (they depend on the rows alone, and rebuilding them
# was ~13 % of an E-step) when they take at most this many bytes; else rebuilt per pass
_PHI_CACHE_BYTES = 1 << 28


def _lower_inverse(F):
    """The inverses of a stack of small lower-triangular matrices (forward substitution).

    One vectorised step per row over the whole stack: for the thousands of tiny
    blocks of an E-step this is several times faster than ``np.linalg.inv``,
    which calls LAPACK once per matrix.
    """
    m = F.shape[-1]
    F_inv = np.zeros_like(F)
    for i in range(m):
        row = -np.einsum("...l,...lc->...c", F[..., i, :i], F_inv[..., :i, :])
        row[..., i] += 1.0
        F_inv[..., i, :] = row / F[..., i, i][..., None]
    return F_inv


def _pattern_codes(mask):
    """Group the rows of a boolean matrix: (first row of each group, group of each row).

    The rows are packed into bits, so the grouping sorts integers (one per row
    up to 64 columns) instead of comparing rows of booleans.
    """
    n, d = mask.shape
    packed = np.packbits(mask, axis=1)  # (n, ceil(d / 8)) uint8
    width = -(-packed.shape[1] // 8) * 8
    if width != packed.shape[1]:
        packed = np.hstack([packed, np.zeros((n, width - packed.shape[1]), np.uint8)])
    words = np.ascontiguousarray(packed).view(np.uint64)  # (n, width // 8)
    if words.shape[1] == 1:
        _, first, inverse = np.unique(words[:, 0], return_index=True, return_inverse=True)
    else:
        _, first, inverse = np.unique(words, axis=0, return_index=True, return_inverse=True)
    return first, inverse.ravel()


class _Group(NamedTuple):
    """Patterns of a batch with the same number of missing entries."""

    n_missing: int
    patterns: slice  # within the batch
    cols: np.ndarray  # (P, m) missing columns of each pattern
    obs: np.ndarray  # (P, o) observed columns of each pattern
    select: np.ndarray  # (d, P m) one-hot: column j of pattern p -> feature
    put: tuple  # fancy index of the missing columns in a (P, m, d) array
    put_obs: tuple  # fancy index of the observed columns in a (P, m, d) array
    quad: tuple  # fancy index, per pattern, of phi's y_i y_j (i <= j) in (P, o * o + 1)
    lin: tuple  # fancy index, per pattern, of phi's y_i in (P, o + 1)


class _Block(NamedTuple):
    """Rows of patterns of about the same size, padded to one size: one stacked GEMM."""

    patterns: np.ndarray  # (E,) pattern of each entry, within the batch (no repeats)
    Y: np.ndarray  # (E, d, r) shifted rows, missing entries and padding 0
    position: np.ndarray  # (E, r) index of each row in ``rows`` (0 for padding)
    valid: np.ndarray | None  # (E, r) bool: a row, not padding; None: no padding
    one: np.ndarray  # (E, r) 1.0 for a row, 0.0 for padding (whose features are all 0)
    phi: np.ndarray | None = None  # (E, n_quad, r) its features, when kept


class _Batch(NamedTuple):
    """Consecutive patterns of a :class:`PatternGroups`, and their rows."""

    patterns: slice  # pattern indices
    blocks: list  # of _Block
    groups: list  # of _Group, by number of missing entries


class PatternGroups:
    """Rows with missing entries, grouped by missing pattern, for many E-steps of K Gaussians.

    Exact EM for full-covariance Gaussians with missing entries needs, per row
    and Gaussian k, the marginal density of the observed block and the
    conditional moments of the missing one. Done row by row (or pattern by
    pattern in Python) that is the whole cost of a fit; here nothing per row is
    formed beyond the quadratic features phi(y) = [y_i y_j (i <= j), y, 1] of
    the shifted row y = x - shift with its missing entries set to 0:

    - log N(y_o; nu_o, S_oo) is phi(y) . w_pk for a weight vector w_pk of the
      pattern p and Gaussian k (the precision of the observed block, padded
      with zeros), so the K log-densities of a pattern's rows are one GEMM;
    - E[y_m | y_o, k] = D_pk y + e_pk is affine in y, so the weighted
      statistics a pattern adds to Gaussian k follow from its
      sum_i w_ik phi(y_i) (one GEMM per pattern for all K): sum w E[y] =
      s1 + D s1 + e s0 and sum w E[y y^T] = s2 + (D s2 + e s1^T) + (...)^T +
      (D s2 D^T + ... + s0 C) on the missing block, C the conditional covariance.

    The per-pattern matrices come from the Cholesky factor L of each observed
    block S_oo (as the per-pattern solves did; the Schur complement of the
    precision was measured far less accurate for an ill-conditioned S): its
    inverse Q = S_oo^{-1} (padded with zeros: the weights), log|S_oo|,
    B = S_mo Q (the regression of the missing entries on the observed ones) and
    C = S_mm - B S_om. They are computed for all patterns with the same number of
    missing entries, and all Gaussians, in a few stacked calls (LAPACK Cholesky
    and a vectorised triangular inverse).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        NaN marks a missing entry.
    shift : ndarray of shape (n_features,)
        A point near the data (its mean): every statistic is about it.
    rows : ndarray of int, optional
        The rows of ``X`` to take, in the order results refer to them; None: all.

    Attributes
    ----------
    n_rows : int
    n_patterns : int
        The number of distinct missing patterns.

    Examples
    --------
    >>> X = np.array([[1.0, np.nan], [np.nan, 2.0], [3.0, 1.0]])
    >>> groups = PatternGroups(X, shift=np.zeros(2))
    >>> groups.n_patterns
    3
    >>> groups.log_prob(np.zeros((1, 2)), np.eye(2)[None]).round(4).ravel()
    array([-1.4189, -2.9189, -6.8379])
    """

    def __init__(self, X, shift, rows=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}.")
        n, d = X.shape
        shift = np.asarray(shift, dtype=np.float64)
        if shift.shape != (d,):
            raise ValueError(f"shift must have shape ({d},), got {shift.shape}.")
        rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.intp)
        missing = np.isnan(X[rows])
        first, inverse = _pattern_codes(missing)
        patterns = missing[first]
        # patterns ordered by their number of missing entries: each group is a slice
        by_count = np.argsort(patterns.sum(axis=1), kind="stable")
        rank = np.empty_like(by_count)
        rank[by_count] = np.arange(by_count.size)
        patterns, inverse = patterns[by_count], rank[inverse]
        order = np.argsort(inverse, kind="stable")  # the entries of rows, pattern by pattern
        counts = np.bincount(inverse, minlength=len(patterns))
        starts = np.concatenate([[0], np.cumsum(counts)])
        Y = X[rows] - shift
        Y[missing] = 0.0  # (n_rows, d): shifted, missing entries 0
        self._shift = shift
        self._missing = patterns  # (n_patterns, d) bool
        self.n_rows, self.n_patterns, self._d = rows.size, len(patterns), d
        self._nq = quadratic_size(d)
        self._block = max(16, _QUAD_BLOCK // self._nq)
        per_batch = max(1, _PATTERN_BATCH // self._nq)
        self._batches = [
            self._make_batch(p, min(p + per_batch, len(patterns)), Y, order, starts)
            for p in range(0, len(patterns), per_batch)
        ]
        size = sum(b.Y.shape[0] * b.Y.shape[2] for batch in self._batches for b in batch.blocks)
        if size * self._nq * 8 <= _PHI_CACHE_BYTES:  # the features of every pass, made once
            for batch in self._batches:
                batch.blocks[:] = [
                    b._replace(phi=self._features(b, np.empty(b.Y.size // d * self._nq)))
                    for b in batch.blocks
                ]
        iu0, iu1 = np.triu_indices(d)
        self._iu = (iu0, iu1)
        self._mult = np.where(iu0 == iu1, 1.0, 2.0)
        sym = np.empty((d, d), dtype=np.intp)  # (i, j) -> position of y_i y_j in phi
        sym[iu0, iu1] = sym[iu1, iu0] = np.arange(iu0.size)
        self._sym = sym
        # (i, j) -> position in phi of the entries of [y; 1][y; 1]^T
        self._sym1 = np.block(
            [[sym, np.arange(iu0.size, iu0.size + d)[:, None]],
             [np.arange(iu0.size, iu0.size + d)[None, :], np.array([[self._nq - 1]])]]
        )

    def _make_batch(self, p0, p1, Y, order, starts):
        d = self._d
        # entries: whole patterns, or pieces of at most one block's rows of a large one
        entries = [
            (p - p0, a, min(a + self._block, starts[p + 1]))
            for p in range(p0, p1)
            for a in range(starts[p], starts[p + 1], self._block)
        ]
        entries.sort(key=lambda entry: entry[2] - entry[1])
        blocks, i = [], 0
        while i < len(entries):  # entries of about the same size, up to a block of rows
            smallest = entries[i][2] - entries[i][1]
            j = i + 1
            while j < len(entries):
                size = entries[j][2] - entries[j][1]
                if size > max(1.25 * smallest, smallest + 2) or (j - i + 1) * size > self._block:
                    break
                j += 1
            blocks.append(self._make_block(entries[i:j], Y, order))
            i = j
        n_miss = self._missing[p0:p1].sum(axis=1)  # non-decreasing
        groups = []
        for m in np.unique(n_miss):
            g0, g1 = np.searchsorted(n_miss, m), np.searchsorted(n_miss, m, side="right")
            cols = np.nonzero(self._missing[p0 + g0 : p0 + g1])[1].reshape(g1 - g0, m)
            select = np.zeros((d, cols.size))
            select[cols.ravel(), np.arange(cols.size)] = 1.0
            obs = np.nonzero(~self._missing[p0 + g0 : p0 + g1])[1].reshape(g1 - g0, d - m)
            # Xm[:, p, a, cols[p, b]] addresses the missing columns of each pattern
            at = np.arange(g1 - g0)
            put = (at[:, None, None], np.arange(m)[None, :, None], cols[:, None])
            put_obs = (at[:, None, None], np.arange(m)[None, :, None], obs[:, None])
            # where each entry of phi finds its weight in a pattern's observed block
            # (flattened, o * o) or in its observed vector (o); missing: the last, a 0
            o = d - m
            pos = np.full((g1 - g0, d), o)
            pos[at[:, None], obs] = np.arange(o)
            iu0, iu1 = np.triu_indices(d)
            a, b = pos[:, iu0], pos[:, iu1]
            quad = (at[:, None], np.where((a < o) & (b < o), a * o + b, o * o))
            groups.append(
                _Group(int(m), slice(g0, g1), cols, obs, select, put, put_obs, quad,
                       (at[:, None], pos))
            )
        return _Batch(slice(p0, p1), blocks, groups)

    def _make_block(self, entries, Y, order):
        r = max(b - a for _, a, b in entries)
        E = len(entries)
        position = np.zeros((E, r), dtype=np.intp)
        valid = np.zeros((E, r), dtype=bool)
        for e, (_, a, b) in enumerate(entries):
            position[e, : b - a] = order[a:b]
            valid[e, : b - a] = True
        Yb = Y[position].transpose(0, 2, 1) * valid[:, None, :]  # (E, d, r)
        patterns = np.array([p for p, _, _ in entries], dtype=np.intp)
        return _Block(patterns, np.ascontiguousarray(Yb), position,
                      None if valid.all() else valid, valid.astype(np.float64))

    # -- per-pattern matrices -------------------------------------------------------------
    def _factor(self, batch, prec, cov, nu, const, moments):
        """Weights (P, K, n_quad) of every pattern's log-densities, and per group ([D, e], C).

        ``prec`` serves the complete rows (if any); a pattern with missing entries
        has the weights of its observed block's precision, zero-padded, and
        E[y_m | y_o] = D y + e, Cov[y_m | y_o] = C.
        """
        K, d = nu.shape
        P = batch.patterns.stop - batch.patterns.start
        iu0, iu1 = self._iu
        half = 0.5 * self._mult
        prec_nu = np.einsum("kij,kj->ki", prec, nu)  # (K, d)
        base = np.empty((K, self._nq))  # the weights of the full precision
        base[:, : iu0.size] = -half * prec[:, iu0, iu1]
        base[:, iu0.size : -1] = prec_nu
        base[:, -1] = const - 0.5 * np.einsum("ki,ki->k", prec_nu, nu)
        W = np.empty((P, K, self._nq))
        cond = []
        for group in batch.groups:
            m, cols, sl = group.n_missing, group.cols, group.patterns
            Wg = W[sl].transpose(1, 0, 2)  # (K, Pg, n_quad) view
            Wg[...] = base[:, None]
            if m == 0:
                cond.append(None)
                continue
            if m == d:  # nothing observed: log-density 0, the conditional is the Gaussian
                Wg[...] = 0.0
                De = np.zeros((K, cols.shape[0], d, d + 1))
                De[..., d] = nu[:, None]
                cond.append((De, np.broadcast_to(cov[:, None], (K, cols.shape[0], d, d))))
                continue
            # the observed block: Q = S_oo^{-1} from its Cholesky factor (as accurate as
            # the per-pattern solves; the precision's Schur complement was not, for an
            # ill-conditioned S); its weights are Q padded with zeros
            Pg, o = cols.shape[0], d - m
            obs = group.obs
            L = np.linalg.cholesky(cov[:, obs[:, :, None], obs[:, None, :]])  # (K, Pg, o, o)
            L_inv = _lower_inverse(L)
            Q = L_inv.transpose(0, 1, 3, 2) @ L_inv
            nu_o = nu[:, obs]  # (K, Pg, o)
            Q_nu = np.einsum("kpij,kpj->kpi", Q, nu_o)
            padded = np.zeros((K, Pg, o * o + 1))
            padded[..., :-1] = Q.reshape(K, Pg, o * o)
            Wg[..., : iu0.size] = -half * padded[(slice(None), *group.quad)]
            padded = np.zeros((K, Pg, o + 1))
            padded[..., :-1] = Q_nu
            Wg[..., iu0.size : -1] = padded[(slice(None), *group.lin)]
            log_det_oo = 2.0 * np.log(np.diagonal(L, axis1=2, axis2=3)).sum(axis=2)
            Wg[..., -1] = -0.5 * (
                log_det_oo + o * LOG_2PI + np.einsum("kpi,kpi->kp", Q_nu, nu_o)
            )
            if moments:
                # E[y_m | y_o] = nu_m + B (y_o - nu_o) = D y + e, B = S_mo Q (D: B on the
                # observed columns, 0 on the missing ones, whose entries of y are 0)
                S_mo = cov[:, cols[:, :, None], obs[:, None, :]]  # (K, Pg, m, o)
                B = S_mo @ Q
                C = cov[:, cols[:, :, None], cols[:, None, :]] - B @ S_mo.transpose(0, 1, 3, 2)
                De = np.zeros((K, Pg, m, d + 1))
                De[(slice(None), *group.put_obs)] = B
                De[..., d] = nu[:, cols] - np.einsum("kpmo,kpo->kpm", B, nu_o)
                cond.append((De, C))
            else:
                cond.append(None)
        return W, cond

    def _features(self, block, buf):
        """phi (E, n_quad, r) of a block's rows, in ``buf``."""
        d = self._d
        P = d * (d + 1) // 2
        E, _, r = block.Y.shape
        phi = buf[: E * self._nq * r].reshape(E, self._nq, r)
        y = phi[:, P : P + d]
        y[...] = block.Y
        off = 0
        for i in range(d):
            np.multiply(y[:, i : i + 1], y[:, i:], out=phi[:, off : off + d - i])
            off += d - i
        phi[:, -1] = block.one  # padding: all features 0, so it adds nothing to statistics
        return phi

    def _moments(self, batch, T, cond, nu, total):
        """Add the batch's statistics (T: (P, K, n_quad) weighted features) to ``total``."""
        d = self._d
        P = d * (d + 1) // 2
        Tk = T.transpose(1, 0, 2)  # (K, P, n_quad)
        tot = T.sum(axis=0)  # (K, n_quad): the zero-filled rows' statistics
        total.weight[:] += tot[:, -1]
        total.first[:] += tot[:, P : P + d]
        total.second[:] += tot[:, self._sym]
        for group, dc in zip(batch.groups, cond, strict=True):
            if dc is None:
                continue
            De, C = dc  # [D, e] (K, Pg, m, d + 1) and C (K, Pg, m, m)
            t = Tk[:, group.patterns]  # (K, Pg, n_quad)
            # sum_i w_i [y; 1][y; 1]^T of each pattern, then sum w E[y_m] [y; 1]^T
            XE = De @ t[..., self._sym1]  # (K, Pg, m, d + 1): [sum w E[y_m] y^T, sum w E[y_m]]
            Mmm = XE @ De.transpose(0, 1, 3, 2)  # sum w E[y_m] E[y_m]^T
            Mmm += t[..., -1, None, None] * C  # + the conditional covariance: sum w E[y_m y_m^T]
            Xm = XE[..., :d]
            # the missing columns of Xm are 0 (so are y's): half of Mmm goes there, so that
            # Z + Z^T below adds Xm to the missing rows, Xm^T to the columns, Mmm once
            Xm[(slice(None), *group.put)] = 0.5 * Mmm
            K, Pg = t.shape[:2]
            Z = group.select @ Xm.reshape(K, Pg * group.n_missing, d)  # (K, d, d)
            total.second[:] += Z + Z.transpose(0, 2, 1)
            total.first[:] += XE[..., d].reshape(K, -1) @ group.select.T

    @single_threaded_blas
    def _run(self, means, covariances, *, log_weights=None, weights=None, log_prob=False):
        """One pass over the rows: log-densities, responsibilities and/or statistics."""
        means = np.asarray(means, dtype=np.float64)
        covariances = np.asarray(covariances, dtype=np.float64)
        K, d = means.shape
        if d != self._d or covariances.shape != (K, d, d):
            raise ValueError(
                f"means and covariances must have shapes (K, {self._d}) and (K, {self._d}, "
                f"{self._d}), got {means.shape} and {covariances.shape}."
            )
        L = np.linalg.cholesky(covariances)
        L_inv = np.linalg.inv(L)
        prec = L_inv.transpose(0, 2, 1) @ L_inv
        nu = means - self._shift
        const = -np.log(np.diagonal(L, axis1=1, axis2=2)).sum(axis=1) - 0.5 * d * LOG_2PI
        if log_weights is not None:  # added after the GEMM: -inf times a padding row's 0
            log_w = log_weights[None, :, None]  # would be NaN
        stats = log_weights is not None or weights is not None
        total = GaussianSummaries(np.zeros(K), np.zeros((K, d)), np.zeros((K, d, d)))
        out = np.empty((self.n_rows, K)) if log_prob else None
        ll = 0.0
        buf = np.empty(self._nq * self._block)
        for batch in self._batches:
            W, cond = self._factor(batch, prec, covariances, nu, const, stats)
            T = np.zeros((W.shape[0], K, self._nq)) if stats else None
            for block in batch.blocks:
                phi = block.phi if block.phi is not None else self._features(block, buf)
                valid = block.valid
                if weights is not None:
                    resp = weights[:, block.position].transpose(1, 0, 2)  # (E, K, r)
                    if valid is not None:
                        resp = resp * valid[:, None, :]
                else:
                    lp = np.matmul(W[block.patterns], phi)  # (E, K, r)
                    if log_prob:
                        rows_lp = lp.transpose(0, 2, 1)
                        if valid is None:
                            out[block.position.ravel()] = rows_lp.reshape(-1, K)
                        else:
                            out[block.position[valid]] = rows_lp[valid]
                    if log_weights is None:
                        continue
                    lp += log_w
                    top = lp.max(axis=1, keepdims=True)
                    lp -= top
                    np.exp(lp, out=lp)
                    norm = lp.sum(axis=1, keepdims=True)
                    lp /= norm
                    row_ll = np.log(norm[:, 0]) + top[:, 0]  # (E, r)
                    ll += float(row_ll.sum() if valid is None else row_ll[valid].sum())
                    resp = lp
                T[block.patterns] += np.matmul(resp, phi.transpose(0, 2, 1))  # (E, K, n_quad)
            if stats:
                self._moments(batch, T, cond, nu, total)
        return ll, total, out
    def log_prob(self, means, covariances) -> np.ndarray:
        """log N(x_o; mu_k,o, S_k,oo) of each row under each of K Gaussians.

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
            Symmetric positive definite.

        Returns
        -------
        ndarray of shape (n_rows, n_components)
            In the order of ``rows``; 0 (to rounding) for a row with nothing observed.
        """
        return self._run(means, covariances, log_prob=True)[2]

    def summarize(self, means, covariances, weights) -> GaussianSummaries:
        """Expected weighted statistics of the rows, missing entries by their conditional moments.

        Each row counts as its observed entries completed by their conditional
        mean under Gaussian k, and the conditional covariance of the missing
        block is added to the second moment (exact EM with missing entries;
        Ghahramani & Jordan 1994).

        Parameters
        ----------
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)
            The Gaussians the conditional moments are taken under.
        weights : ndarray of shape (n_components, n_rows)
            Weight of each row (in the order of ``rows``) for each Gaussian.

        Returns
        -------
        GaussianSummaries
            About ``shift``.
        """
        weights = np.asarray(weights, dtype=np.float64)
        if weights.shape != (len(means), self.n_rows):
            raise ValueError(
                f"weights must have shape ({len(means)}, {self.n_rows}), got {weights.shape}."
            )
        return self._run(means, covariances, weights=weights)[1]

    def responsibility_statistics(self, log_weights, means, covariances):
        """A mixture's E-step: log-likelihood and statistics weighted by the responsibilities.

        Parameters
        ----------
        log_weights : ndarray of shape (n_components,)
            log w_k of the mixture sum_k w_k N(mu_k, S_k).
        means : ndarray of shape (n_components, n_features)
        covariances : ndarray of shape (n_components, n_features, n_features)

        Returns
        -------
        log_likelihood : float
            sum_i log sum_k w_k N(x_i,o; mu_k,o, S_k,oo).
        summaries : GaussianSummaries
            The statistics weighted by p(k | x_i,o), about ``shift``.
        """
        ll, total, _ = self._run(
            means, covariances, log_weights=np.asarray(log_weights, dtype=np.float64)
        )
        return ll, total
