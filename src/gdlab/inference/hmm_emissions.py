"""Emission densities of hidden Markov models on a batch of frames, and the next frame's.

The emission half of :class:`gdlab.models.HMM`'s math, beside the lattice of
:mod:`gdlab.inference.hmm` (which only sees ``(T, S, N)`` log-emissions):
each class here takes the padded batch of a :class:`~gdlab.inference.hmm.Frames`
once and gives the log-likelihoods of every state at every frame (missing
entries marginalized) and the M-step from the state posteriors, for Gaussian
(mixture) emissions with diagonal or full covariances
(:class:`GaussianEmissions`, with its conjugate :class:`GaussianPrior` and the
blocked :class:`DiagonalBlocks`), categorical symbols
(:class:`CategoricalEmissions`) and Poisson counts (:class:`PoissonEmissions`).
They are per-batch caches, made by the emission kinds of
:mod:`gdlab.models._hmm_emissions` and by
:func:`gdlab.data.sequence_sets.hmm_synthetic`, never kept on a fitted model.
:class:`NextObservation`, what :meth:`gdlab.models.HMM.predict_next` returns,
is the predictive distribution of the next frame: a mixture of these emission
densities over the next hidden state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import gammaln, logsumexp

from gdlab._validation import check_random_state
from gdlab.distributions import gaussian as gm
from gdlab.distributions.discrete import categorical_log_prob, sample_categorical
from gdlab.distributions.gaussian import sample_gaussian
from gdlab.distributions.gaussian_patterns import PatternGroups, stacked_pattern_moments
from gdlab.inference.hmm import UNDERFLOW_OK, Frames, rows_to_tsn, time_blocks, tsn_to_rows

__all__ = ["CategoricalEmissions", "DiagonalBlocks", "GaussianEmissions", "GaussianPrior",
           "NextObservation", "PoissonEmissions"]

# Rows per block of the full-covariance log-densities (the (n_components, rows, d)
# temporaries of stacked_pattern_moments stay in cache).
_PATTERN_CHUNK = 2048


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
        # pattern once (every pattern and component in stacked calls, PatternGroups)
        self.partial, self.patterns = None, None
        if covariance == "full" and self.any_missing:
            self.complete = np.flatnonzero(observed.all(axis=1))
            partial = np.flatnonzero(self.has_obs & ~observed.all(axis=1))
            if partial.size:
                self.partial = partial
                self.patterns = PatternGroups(X, self.shift, rows=partial)
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
        """Per-block log-emissions and M-step statistics for the lattice's e-step, or None.

        The ``blocks`` argument of :func:`~gdlab.inference.hmm.e_step`. Only for one
        diagonal Gaussian per state (``n_mix = 1``); the statistics a full backward
        pass gathers are what the next :meth:`m_step` uses.

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
                    out[:, prow] = stacked_pattern_moments(
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
        with np.errstate(invalid="ignore", **UNDERFLOW_OK):
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

        After a full :func:`~gdlab.inference.hmm.e_step` with :meth:`blocks`, its
        gathered statistics are used (they are those of ``gamma``).

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
        with np.errstate(**UNDERFLOW_OK):  # posteriors times posteriors, times frames
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

    The ``blocks`` argument of :func:`~gdlab.inference.hmm.e_step` for
    :class:`GaussianEmissions` with diagonal covariances and one component per
    state: :meth:`fill` computes the log-emissions of a block of time steps as
    the forward pass reaches it, :meth:`collect` adds a block's
    posterior-weighted features to :attr:`statistics` as the backward pass
    finishes it. Both rebuild the block's features ``[x^2, x, o]`` from the
    shifted frames in a small reused buffer.

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
        with np.errstate(**UNDERFLOW_OK):
            total = post @ self.X0 + prior_counts
            weight = post @ self.O + prior_frames
        ok = weight > 10 * np.finfo(float).tiny
        return np.where(ok, total / np.where(ok, weight, 1.0), lambdas)


# -- the predictive distribution of the next frame ----------------------------------------------
@dataclass
class NextObservation:
    """p(x_{T+1} | x_1..T) of each sequence: a mixture over the next hidden state.

    Attributes
    ----------
    weights : ndarray of shape (n_sequences, n_states)
        p(z_{T+1} = k | x_1..T); rows sum to one.
    mix_weights : ndarray of shape (n_states, n_mix) or None
        Within-state mixture weights (Gaussian emissions; 1 component for "gaussian").
    means : ndarray of shape (n_states, n_mix, n_features) or None
    covars : ndarray of shape (n_states, n_mix, n_features[, n_features]) or None
        Variances (diagonal) or covariance matrices (full).
    emissionprob : ndarray of shape (n_states, n_symbols) or None
        Categorical emissions.
    lambdas : ndarray of shape (n_states, n_features) or None
        Poisson emissions: the rates of each state (the next frame's counts are
        a mixture over states of independent Poisson counts).
    """

    weights: np.ndarray
    mix_weights: np.ndarray | None = None
    means: np.ndarray | None = None
    covars: np.ndarray | None = None
    emissionprob: np.ndarray | None = None
    lambdas: np.ndarray | None = None

    @property
    def categorical(self) -> bool:
        return self.emissionprob is not None

    @property
    def poisson(self) -> bool:
        return self.lambdas is not None

    @property
    def proba(self) -> np.ndarray:
        """ndarray of shape (n_sequences, n_symbols): p(next symbol) (categorical only)."""
        if not self.categorical:
            raise AttributeError("proba is only defined for categorical emissions; use "
                                 "mean, log_pdf or sample for Gaussian emissions.")
        return self.weights @ self.emissionprob

    def _component_weights(self):
        """(n_sequences, n_states * n_mix) weight of each Gaussian component."""
        return (self.weights[:, :, None] * self.mix_weights[None]).reshape(len(self.weights), -1)

    @property
    def mean(self) -> np.ndarray:
        """ndarray of shape (n_sequences, n_features): E[x_{T+1} | x_1..T].

        For categorical emissions, the expected symbol index.
        """
        if self.categorical:
            return (self.proba @ np.arange(self.emissionprob.shape[1]))[:, None]
        if self.poisson:
            return self.weights @ self.lambdas
        S, M, d = self.means.shape
        return self._component_weights() @ self.means.reshape(S * M, d)

    def log_pdf(self, x) -> np.ndarray:
        """log p(x_{T+1} = x[i] | sequence i), one next frame per sequence.

        Parameters
        ----------
        x : array-like of shape (n_sequences, n_features) or (n_sequences,)

        Returns
        -------
        ndarray of shape (n_sequences,)
        """
        n = len(self.weights)
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x[:, None]
        if self.categorical:
            if x.shape != (n, 1):
                raise ValueError(f"x must have shape ({n}, 1) (one symbol per sequence), "
                                 f"got {x.shape}.")
            V = self.emissionprob.shape[1]
            sym = x[:, 0]
            if not np.all((sym >= 0) & (sym < V) & (sym == np.round(sym))):
                raise ValueError(f"symbols must be integers in [0, {V}), got {sym.tolist()}.")
            with np.errstate(divide="ignore"):
                return np.log(self.proba[np.arange(n), sym.astype(np.intp)])
        if self.poisson:
            return self._poisson_log_pmf(x)
        S, M, d = self.means.shape
        if x.shape != (n, d):
            raise ValueError(f"x must have shape ({n}, {d}), got {x.shape}.")
        if np.isnan(x).any():
            raise ValueError("x must not contain NaN.")
        frames = Frames([row[None] for row in x])
        cov = self.covars.reshape(S * M, *self.covars.shape[2:])
        full = self.covars.ndim == 4
        lp = GaussianEmissions(frames, "full" if full else "diag").component_log_prob_rows(
            self.means.reshape(S * M, d), cov)
        lp = lp.T[frames.pos]
        with np.errstate(divide="ignore", under="ignore"):  # weights 0; far components
            return logsumexp(lp + np.log(self._component_weights()), axis=1)

    def _poisson_log_pmf(self, x):
        n, d = len(self.weights), self.lambdas.shape[1]
        if x.shape != (n, d):
            raise ValueError(f"x must have shape ({n}, {d}) (one frame of counts per "
                             f"sequence), got {x.shape}.")
        if not np.all((x >= 0) & (x == np.round(x))):
            raise ValueError(f"x must hold non-negative integer counts, got {x.tolist()}.")
        lam = self.lambdas
        with np.errstate(divide="ignore", invalid="ignore"):
            log_lam = np.where(lam > 0, np.log(np.where(lam > 0, lam, 1.0)), -np.inf)
            # (n, S): sum_j log Poisson(x_j; lambda_kj); a rate of 0 allows only a count of 0
            terms = np.where(x[:, None, :] > 0, x[:, None, :] * log_lam[None], 0.0)
            lp = (terms - lam[None] - gammaln(x + 1.0)[:, None, :]).sum(axis=2)
            return logsumexp(lp + np.log(self.weights), axis=1)

    def sample(self, random_state=None) -> np.ndarray:
        """One draw of the next frame of each sequence.

        Returns
        -------
        ndarray of shape (n_sequences, n_features)
        """
        rng = check_random_state(random_state)
        if self.categorical:
            return sample_categorical(self.proba, rng)[:, None].astype(np.int64)
        if self.poisson:
            states = sample_categorical(self.weights, rng)
            return rng.poisson(self.lambdas[states]).astype(np.int64)
        S, M, d = self.means.shape
        comp = sample_categorical(self._component_weights(), rng)
        return sample_gaussian(self.means.reshape(S * M, d),
                             self.covars.reshape(S * M, *self.covars.shape[2:]), comp, rng)
