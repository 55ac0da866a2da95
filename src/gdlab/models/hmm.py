"""Hidden Markov models: a density over sequences, and the HMM sequence classifier.

:class:`HMM` is a density over variable-length sequences of frames with
Gaussian (diagonal, full, spherical or tied covariance), Gaussian-mixture,
categorical or Poisson emissions, and hmmlearn's options: which parameters EM
updates (``params``), Dirichlet and conjugate Gaussian priors (MAP estimation),
Viterbi or MAP decoding, AIC/BIC (:mod:`gdlab.hmmlearn` gives it hmmlearn's
API). ``fit`` runs Baum-Welch (EM) vectorized across sequences
(see :mod:`gdlab.inference.hmm`): one forward-backward recursion over time
for all sequences at once, with emission log-likelihoods and M-step
statistics computed for all frames in a few matrix products. Missing
observations (NaN entries, or whole NaN frames) are marginalized out of the
emission likelihood, at fit and at scoring.
Each kind of emission is one object of :mod:`gdlab.models._hmm_emissions`,
chosen once from ``emission``; the HMM delegates to it.

Every method takes ``X`` as a list of sequences (arrays of shape
``(length_i, n_features)`` or ``(length_i,)``) or, hmmlearn's ``lengths``
convention, as stacked frames ``(sum(lengths), n_features)`` with ``lengths``.

:class:`HMMClassifier` is :class:`gdlab.base.ClassConditional` with an
``HMM()`` per class by default: a generative sequence classifier.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import (
    check_em_params,
    check_in,
    check_int,
    check_n_samples,
    check_positive,
)
from gdlab._sequence_checks import check_length_range, check_sequences
from gdlab._validation import check_random_state
from gdlab.base import CapabilityMixin, ClassConditional
from gdlab.inference import hmm as hm
from gdlab.inference.em import run_em
from gdlab.inference.hmm import draw_state_paths
from gdlab.inference.hmm_emissions import NextObservation
from gdlab.models._hmm_emissions import (
    EMISSION_KINDS,
    MAX_SYMBOLS,
    Emission,
    check_stochastic,
    dirichlet_prior,
)

__all__ = ["HMM", "HMMClassifier", "NextObservation"]

#: covariance forms of Gaussian (mixture) emissions (hmmlearn's covariance_type)
COVARIANCE_FORMS = ("diag", "full", "spherical", "tied")


def _by_frame(values, rows):
    """Rows ``rows`` of the per-step values (T, S, N) of a padded batch, flattened to (T * N, S)."""
    T, S, N = values.shape
    return values.transpose(0, 2, 1).reshape(T * N, S)[rows]


def _check_possible(ll, under="the fitted HMM; their state posteriors are undefined."):
    """Refuse sequences of zero probability (log-likelihood -inf or NaN), naming them;
    ``under``: what they were scored under, and what that means, ending the message."""
    if not np.isfinite(ll).all():
        bad = np.flatnonzero(~np.isfinite(ll))[:10].tolist()
        raise ValueError(f"sequences {bad} have zero probability under {under}")


# -- the density --------------------------------------------------------------------------------
class HMM(CapabilityMixin, BaseEstimator):
    """Hidden Markov model: a density over variable-length sequences, fitted by Baum-Welch.

    p(x_1..T) = sum over state paths z of p(z_1) prod_t p(z_t | z_{t-1}) p(x_t | z_t),
    with ``n_states`` hidden states, a start distribution ``startprob_``, a
    transition matrix ``transmat_`` and per-state emissions.

    Parameters
    ----------
    n_states : int, default=3
        Number of hidden states.
    emission : {"gaussian", "gmm", "categorical", "poisson"}, default="gaussian"
        Gaussian frames; a mixture of ``n_mix`` Gaussians per state; one
        integer symbol per frame (a single column of codes 0..n_symbols-1); or
        independent Poisson counts per feature (hmmlearn's ``PoissonHMM``).
    covariance : {"diag", "full", "spherical", "tied"}, default="diag"
        Covariance form of the Gaussian (mixture) emissions (hmmlearn's
        ``covariance_type``): diagonal, full, one variance per state (per
        component for "gmm"), or one full matrix shared by every state (by
        the components of a state for "gmm", as hmmlearn's GMMHMM).
    n_mix : int, default=2
        Gaussians per state (``emission="gmm"``).
    n_symbols : int, optional
        Alphabet size (categorical), at most 2**24. None: ``max(symbol) + 1`` of
        the training data. Symbols are integer codes ``0 .. n_symbols - 1`` (NaN: a
        missing frame); any other value (negative, fractional, beyond the alphabet
        of fit) raises a ValueError naming it, before any work.
    startprob_init, transmat_init : array-like, optional
        Initial start distribution (n_states,) and transition matrix
        (n_states, n_states); rows must sum to 1 (within 1e-8). Zeros stay
        zero under EM (structural zeros).
    means_init : array-like, optional
        Initial means, (n_states, n_features), or (n_states, n_mix, n_features) for "gmm".
    covars_init : array-like, optional
        Initial covariances in the layout of ``covars_`` (see below).
    weights_init : array-like of shape (n_states, n_mix), optional
        Initial within-state mixture weights ("gmm").
    emissionprob_init : array-like of shape (n_states, n_symbols), optional
        Initial emission probabilities (categorical).
    lambdas_init : array-like of shape (n_states, n_features), optional
        Initial Poisson rates (non-negative; a zero rate stays zero under EM).
    init : {"kmeans", "random"}, default="kmeans"
        How parameters not given by ``*_init`` are initialized. "kmeans":
        k-means with ``n_states`` clusters on the observed frames gives each
        state its frames; for "gmm", k-means with ``n_mix`` clusters on a
        state's frames gives its component means (so a state's components
        start on one cluster, never on far-apart ones). Start probabilities
        from the state frequencies of the frames, transition probabilities
        from the labels of consecutive frames in the stacked order (both
        plus one pseudo-count), covariances from all frames: the start does
        not depend on how the frames are cut into sequences (``lengths``).
        "random": means drawn from the frames and
        Dirichlet(1) start and transition rows. Categorical emissions always
        start from Dirichlet(1) rows averaged with the symbol frequencies.
        Poisson rates start at the k-means cluster means ("kmeans") or at
        Gamma draws matching the mean and variance of the counts ("random",
        as hmmlearn), floored at 1e-3 times the mean count (at least 1e-3).
        With every parameter given, no random initialization happens.
    n_init : int, default=1
        Number of initializations; the fit with the highest final
        log-likelihood is kept.
    max_iter : int, default=100
        Maximum EM iterations (M-steps) per initialization.
    tol : float, default=1e-4
        EM stops when the log-likelihood changes by less than ``tol`` per
        frame between iterations (``tol=0``: run all ``max_iter``).
    reg_covar : float, default=1e-6
        Added to the variances (diagonal of the covariances) in each M-step.
    smoothing : float or array-like, default=1e-3
        Pseudo-count added to every (state, symbol) emission count
        (categorical): a Dirichlet prior of each state's emission row with
        concentrations ``smoothing + 1`` (hmmlearn's ``emissionprob_prior - 1``).
        A number, one per symbol (n_symbols,), or one per state and symbol
        (n_states, n_symbols); >= 0.
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet concentrations of the start distribution (n_states,) and of each
        transition row (n_states, n_states), hmmlearn's: the M-step is
        ``max(prior - 1 + expected counts, 0)`` normalized (MAP estimate), zeros of
        the current parameters kept. 1: no prior (maximum likelihood).
    means_prior, means_weight, covars_prior, covars_weight : float or array-like
        Conjugate prior of Gaussian emissions, hmmlearn's GaussianHMM form (see
        :class:`gdlab.inference.hmm_emissions.GaussianPrior`): prior means (n_states,
        n_features) with weight (n_states,), prior scatter added to the
        covariances' numerator (in the layout of ``covars_``) and a weight
        ``covars_weight`` of which ``max(covars_weight - 1, 0)`` (diagonal,
        spherical) or ``max(covars_weight - n_features, 0)`` (full, tied) is added
        to their denominator. Defaults 0, 0, 0, 1: no prior. hmmlearn's default
        ``covars_prior=1e-2`` is a prior here. With ``emission="gmm"`` the same
        prior holds for each mixture component: shapes lead by (n_states,
        n_mix); the means' update equals hmmlearn's GMMHMM.
    covars_prior_form : {"gaussianhmm", "gmmhmm"}, default="gaussianhmm"
        How ``covars_prior`` / ``covars_weight`` read. "gmmhmm" (``emission="gmm"``
        only): hmmlearn's GMMHMM covariance prior, whose M-step equals hmmlearn's:
        scatter about the previous means; "diag" / "spherical": inverse-gamma shape
        alpha = ``covars_prior`` and scale beta = ``covars_weight``; "full" / "tied":
        inverse-Wishart scale Psi = ``covars_prior`` (matrices) and degrees of freedom
        nu = ``covars_weight``; in hmmlearn's shapes (``covars_weight`` one per
        component, per state for "tied", per component and feature for "diag"). None
        takes hmmlearn's defaults (-1.5, 0 / -(n_mix + 2) / 2, 0 / 0, -(n_features + 2) /
        0, -(n_mix + n_features + 1)). See
        :meth:`gdlab.models._hmm_emissions.GaussianMixtureEmission.covars_prior_gmmhmm`.
    weights_prior : float or array-like of shape (n_states, n_mix), default=1.0
        Dirichlet concentrations of each state's mixture weights
        (``emission="gmm"``, hmmlearn's GMMHMM): MAP weights
        ``max(n_km + weights_prior - 1, 0)`` normalized. 1: no prior.
    lambdas_prior, lambdas_weight : float or array-like, default=0.0
        Gamma(alpha, beta) prior of the Poisson rates (``emission="poisson"``,
        hmmlearn's PoissonHMM names): alpha = ``lambdas_prior`` and beta =
        ``lambdas_weight``, numbers, one per state (n_states,) or
        (n_states, n_features). The M-step is the conjugate posterior mean
        (alpha + sum_t gamma_tk x_tj) / (beta + sum_t gamma_tk), over the
        observed entries: alpha pseudo-counts seen in beta pseudo-frames. 0, 0:
        no prior (maximum likelihood). hmmlearn 0.3.3 puts the posterior
        weight of *all* states in place of state k's own in that formula; the
        two agree for one state (tested) and otherwise differ.
    params : str or collection of str, optional
        The parameters EM updates (hmmlearn's ``params``); the others keep their
        initial value (given by ``*_init`` or initialized by ``init``) exactly.
        hmmlearn's letters ("st" + "mc", "mcw", "e" or "l": start, transitions,
        means, covariances, mixture weights, emission probabilities, Poisson
        rates) or the names ``{"startprob", "transmat", "means", ...}``. None:
        all of them. Naming a parameter the emission does not have raises a
        ValueError. E.g. a left-right model with fixed transitions:
        ``transmat_init`` upper-bidiagonal and ``params="smc"``.
    random_state : int, RandomState instance or None
        Seed of the initialization.

    Attributes
    ----------
    startprob_ : ndarray of shape (n_states,)
    transmat_ : ndarray of shape (n_states, n_states)
        ``transmat_[i, j] = p(z_{t+1} = j | z_t = i)``.
    means_ : ndarray of shape (n_states, n_features) or (n_states, n_mix, n_features)
    covars_ : ndarray
        "diag": variances (n_states[, n_mix], n_features); "full": matrices
        (n_states[, n_mix], n_features, n_features); "spherical": variances
        (n_states[, n_mix]); "tied": one matrix (n_features, n_features), or one
        per state (n_states, n_features, n_features) for "gmm" (hmmlearn's layouts).
    weights_ : ndarray of shape (n_states, n_mix)
        Mixture weights ("gmm" only).
    emissionprob_ : ndarray of shape (n_states, n_symbols)
        Categorical only.
    n_symbols_ : int
        Categorical only.
    lambdas_ : ndarray of shape (n_states, n_features)
        Poisson rates ("poisson" only).
    monitor_ : list of float
        Total training log-likelihood at each EM iteration (before its
        M-step; hmmlearn's convention) of the kept initialization.
    converged_ : bool
    n_iter_ : int
        EM iterations (M-steps) run.
    n_features_in_ : int
        Features per frame.

    Notes
    -----
    Missing observations (NaN) are marginalized out of the emission
    likelihood: a NaN frame contributes nothing, a partially observed
    Gaussian frame contributes the marginal density of its observed block.
    ``fit`` accepts frames with every entry missing (and whole sequences of
    them) as they are, nothing to drop first: their emission likelihood is 1
    (log-likelihood exactly 0) under every state and every parameter value,
    so keeping them is exact; they remain time steps of the chain, so they do
    inform the start and transition probabilities. Only data with no
    observed entry at all is refused.
    EM is exact for them: with diagonal covariances the M-step uses the
    observed entries of each dimension; with full covariances the missing
    block enters through its conditional Gaussian moments.

    ``score`` returns the *total* log-likelihood of X (hmmlearn's convention),
    ``score_samples`` the log-likelihood of each sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.models.hmm import HMM
    >>> rng = np.random.RandomState(0)
    >>> X = [np.concatenate([rng.normal(-2, 1, (20, 1)), rng.normal(2, 1, (20, 1))])
    ...      for _ in range(5)]
    >>> hmm = HMM(n_states=2, random_state=0).fit(X)
    >>> np.sort(hmm.means_.ravel()).round(0).tolist()
    [-2.0, 2.0]
    >>> hmm.score_samples(X).shape
    (5,)
    """

    _gdlab_capabilities = frozenset({"density", "sample", "sequences", "missing_features"})

    def __init__(
        self,
        n_states=3,
        *,
        emission="gaussian",
        covariance="diag",
        n_mix=2,
        n_symbols=None,
        startprob_init=None,
        transmat_init=None,
        means_init=None,
        covars_init=None,
        weights_init=None,
        emissionprob_init=None,
        lambdas_init=None,
        init="kmeans",
        n_init=1,
        max_iter=100,
        tol=1e-4,
        reg_covar=1e-6,
        smoothing=1e-3,
        startprob_prior=1.0,
        transmat_prior=1.0,
        means_prior=0.0,
        means_weight=0.0,
        covars_prior=0.0,
        covars_weight=1.0,
        covars_prior_form="gaussianhmm",
        weights_prior=1.0,
        lambdas_prior=0.0,
        lambdas_weight=0.0,
        params=None,
        random_state=None,
    ):
        self.n_states = n_states
        self.emission = emission
        self.covariance = covariance
        self.n_mix = n_mix
        self.n_symbols = n_symbols
        self.startprob_init = startprob_init
        self.transmat_init = transmat_init
        self.means_init = means_init
        self.covars_init = covars_init
        self.weights_init = weights_init
        self.emissionprob_init = emissionprob_init
        self.lambdas_init = lambdas_init
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol
        self.reg_covar = reg_covar
        self.smoothing = smoothing
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.means_prior = means_prior
        self.means_weight = means_weight
        self.covars_prior = covars_prior
        self.covars_weight = covars_weight
        self.covars_prior_form = covars_prior_form
        self.weights_prior = weights_prior
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight
        self.params = params
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        return tags

    @classmethod
    def from_params(cls, startprob, transmat, *, means=None, covars=None, weights=None,
                    emissionprob=None, lambdas=None, covariance="full"):
        """An HMM with known parameters, ready to score, decode and sample (not fitted).

        Parameters
        ----------
        startprob : array-like of shape (n_states,)
        transmat : array-like of shape (n_states, n_states)
            Rows sum to one.
        means, covars : array-like, optional
            Gaussian emissions: means (n_states, n_features) and covariances
            (n_states, n_features, n_features) for ``covariance="full"`` or
            variances (n_states, n_features) for ``"diag"``; with ``weights``
            (n_states, n_mix) a Gaussian mixture per state, with a leading
            (n_states, n_mix) on means and covars.
        weights : array-like of shape (n_states, n_mix), optional
        emissionprob : array-like of shape (n_states, n_symbols), optional
            Categorical emissions (instead of means and covars).
        lambdas : array-like of shape (n_states, n_features), optional
            Poisson rates (instead of means and covars).
        covariance : {"full", "diag", "spherical", "tied"}, default="full"
            The form of ``covars`` (the layouts of ``covars_``).

        Returns
        -------
        HMM
            With the fitted attributes set from the parameters (``monitor_``
            empty); the hyper-parameters hold them as ``*_init`` values, so a
            later ``fit`` starts from them.

        Raises
        ------
        ValueError
            Parameters of the wrong shape, rows not summing to one, covariances
            that are not positive definite, or several kinds of emissions.

        Examples
        --------
        >>> hmm = HMM.from_params([1.0, 0.0], [[0.0, 1.0], [1.0, 0.0]],
        ...                       emissionprob=[[0.5, 0.5], [1.0, 0.0]])
        >>> float(np.exp(hmm.score_samples(np.array([[1], [0], [0]])))[0])  # one sequence
        0.25
        """
        startprob = np.asarray(startprob, dtype=np.float64)
        if startprob.ndim != 1:
            raise ValueError(f"startprob must be 1-D, got shape {startprob.shape}.")
        S = startprob.shape[0]
        kinds = [emissionprob is not None, lambdas is not None,
                 means is not None and covars is not None]
        if sum(kinds) != 1:
            raise ValueError("give emissionprob (categorical), lambdas (Poisson) or means and "
                             "covars (Gaussian): one kind, not both (or more) and not neither.")
        if lambdas is not None:
            lambdas = np.asarray(lambdas, dtype=np.float64)
            if lambdas.ndim != 2:
                raise ValueError(f"lambdas must be 2-D (n_states, n_features), got shape "
                                 f"{lambdas.shape}.")
            hmm = cls(S, emission="poisson", startprob_init=startprob, transmat_init=transmat,
                      lambdas_init=lambdas)
            hmm.n_features_in_ = lambdas.shape[1]
            hmm._check_given(S, 1, lambdas.shape[1])
            hmm.lambdas_ = lambdas
        elif emissionprob is not None:
            emissionprob = np.asarray(emissionprob, dtype=np.float64)
            if emissionprob.ndim != 2:
                raise ValueError(f"emissionprob must be 2-D (n_states, n_symbols), got shape "
                                 f"{emissionprob.shape}.")
            hmm = cls(S, emission="categorical", n_symbols=emissionprob.shape[1],
                      startprob_init=startprob, transmat_init=transmat,
                      emissionprob_init=emissionprob)
            hmm.n_symbols_, hmm.n_features_in_ = emissionprob.shape[1], 1
            hmm._check_given(S, 1, 1)
            hmm.emissionprob_ = emissionprob
        else:
            means = np.asarray(means, dtype=np.float64)
            gmm = weights is not None
            M = np.asarray(weights).shape[-1] if gmm else 1
            check_in(covariance, "covariance", COVARIANCE_FORMS)
            hmm = cls(S, emission="gmm" if gmm else "gaussian", covariance=covariance,
                      n_mix=M, startprob_init=startprob, transmat_init=transmat,
                      means_init=means, covars_init=covars, weights_init=weights)
            d = means.shape[-1] if means.ndim else 0
            hmm.n_features_in_ = d
            hmm._check_given(S, M, d)
            em = hmm._emitter()
            weights = np.asarray(weights, dtype=np.float64).reshape(S, M) if gmm \
                else np.ones((S, 1))
            em.set_params(weights, em.given_means(S, M, d), em.given_covars(S, M, d))
        hmm.startprob_ = startprob
        hmm.transmat_ = np.asarray(transmat, dtype=np.float64)
        hmm.monitor_, hmm.converged_, hmm.n_iter_ = [], True, 0
        return hmm

    # -- validation ----------------------------------------------------------------------------
    def _check_params(self):
        S = check_int(self.n_states, "n_states")
        em = self._emitter()
        check_in(self.covariance, "covariance", COVARIANCE_FORMS)
        M = em.n_mix()
        if self.n_symbols is not None and check_int(self.n_symbols, "n_symbols") > MAX_SYMBOLS:
            raise ValueError(f"n_symbols must be at most {MAX_SYMBOLS} (a dense emission "
                             f"table per state), got {self.n_symbols}.")
        check_in(self.init, "init", ("kmeans", "random"))
        check_int(self.n_init, "n_init")
        self._updated()
        self._dirichlet_priors()
        reg, max_iter, tol = check_em_params(self.reg_covar, self.max_iter, self.tol)
        if np.ndim(self.smoothing) == 0:
            smoothing = check_positive(self.smoothing, "smoothing", allow_zero=True)
        else:  # its shape is checked against the alphabet by the categorical emission
            smoothing = np.asarray(self.smoothing, dtype=np.float64)
            if not np.isfinite(smoothing).all() or (smoothing < 0).any():
                raise ValueError("smoothing must be finite and non-negative (pseudo-counts), "
                                 f"got {self.smoothing!r}.")
        return S, M, reg, max_iter, tol, smoothing

    def _sequences(self, X, lengths, *, reset=False):
        """Validated sequences: symbol codes (categorical), or frames whose squares do not
        overflow (Gaussian emissions square the frames), refused before any work."""
        seqs = check_sequences(self, X, lengths, allow_nan=True, reset=reset)
        self._emitter().check_data(seqs, fitted=not reset)
        return seqs

    # -- emissions -----------------------------------------------------------------------------
    def _emitter(self) -> Emission:
        """The emission object of ``self.emission`` (validated), bound to this HMM."""
        check_in(self.emission, "emission", tuple(EMISSION_KINDS))
        return EMISSION_KINDS[self.emission](self)

    def _log_emissions(self, em):
        """(T, S, N) log-emissions and mixture responsibilities of a padded batch."""
        return self._emitter().log_prob(em)

    # -- initialization ------------------------------------------------------------------------
    def _initialize(self, seqs, S, M, reg, rng):
        """Set every parameter: the given ``*_init`` ones, the others by ``init``."""
        labels = self._emitter().initialize(seqs, S, M, reg, rng)
        if self.startprob_init is not None:
            self.startprob_ = check_stochastic(self.startprob_init, "startprob_init", (S,))
        elif labels is not None:  # state frequencies of the observed frames
            counts = np.bincount(labels[labels >= 0], minlength=S) + 1.0
            self.startprob_ = counts / counts.sum()
        else:
            self.startprob_ = rng.dirichlet(np.ones(S))
        if self.transmat_init is not None:
            self.transmat_ = check_stochastic(self.transmat_init, "transmat_init", (S, S))
        elif labels is not None:  # consecutive observed frames of the stacked data
            lab = labels[labels >= 0]
            counts = np.ones((S, S))
            np.add.at(counts, (lab[:-1], lab[1:]), 1.0)
            self.transmat_ = counts / counts.sum(axis=1, keepdims=True)
        else:
            self.transmat_ = rng.dirichlet(np.ones(S), size=S)

    def _check_given(self, S, M, d):
        """Validate every user-given initial parameter before any work starts."""
        if self.startprob_init is not None:
            check_stochastic(self.startprob_init, "startprob_init", (S,))
        if self.transmat_init is not None:
            check_stochastic(self.transmat_init, "transmat_init", (S, S))
        check_in(self.covars_prior_form, "covars_prior_form", ("gaussianhmm", "gmmhmm"))
        if self.covars_prior_form == "gmmhmm" and self.emission != "gmm":
            raise ValueError("covars_prior_form='gmmhmm' (hmmlearn's GMMHMM covariance prior) "
                             f"applies to emission='gmm' only, not {self.emission!r}.")
        if self.emission != "gmm" and np.any(np.asarray(self.weights_prior) != 1):
            raise ValueError("weights_prior (a Dirichlet prior of mixture weights) applies to "
                             f"emission='gmm' only, not {self.emission!r}.")
        if self.emission != "poisson" and (np.any(np.asarray(self.lambdas_prior) != 0)
                                           or np.any(np.asarray(self.lambdas_weight) != 0)):
            raise ValueError("lambdas_prior and lambdas_weight (a Gamma prior of Poisson "
                             f"rates) apply to emission='poisson' only, not {self.emission!r}.")
        self._emitter().check_given(S, M, d)

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X, lengths=None):
        """Fit the HMM by Baum-Welch (EM), ``n_init`` times, keeping the best.

        Parameters
        ----------
        X : list of array-like of shape (length_i, n_features), or array-like
            Sequences, or stacked frames of shape (sum(lengths), n_features).
            NaN marks a missing entry (a NaN frame: a missing observation).
        lengths : array-like of int, optional
            Lengths of the stacked sequences; None: X is one sequence.

        Returns
        -------
        self
        """
        S, M, reg, max_iter, tol, smoothing = self._check_params()
        seqs = self._sequences(X, lengths, reset=True)
        self._emitter().prepare_fit(seqs)
        self._check_given(S, M, seqs[0].shape[1])
        frames = hm.Frames(seqs)
        if not frames.any_observed():
            raise ValueError("every frame is missing (NaN); HMM needs observed frames to fit.")
        em = self._emitter().batch(frames)
        rng = check_random_state(self.random_state)
        n_init = check_int(self.n_init, "n_init")

        def one_fit():
            self._initialize(seqs, S, M, reg, rng)
            result = self._em(frames, em, max_iter, tol, reg, smoothing)
            # the final log-likelihood decides between initializations (not needed for one)
            final = (float(self._e_step(frames, em, statistics=False)[0].sum())
                     if n_init > 1 else 0.0)
            return final, result

        # the first of the best (max keeps the first of equal scores)
        result = max((one_fit() for _ in range(n_init)), key=lambda fit: fit[0])[1]
        self.__dict__.update(result.params)
        self.monitor_, self.converged_, self.n_iter_ = (result.history, result.converged,
                                                        result.n_iter)
        return self

    def _fitted_params(self):
        names = ("startprob_", "transmat_", *self._emitter().attributes)
        return {n: getattr(self, n) for n in names}

    def _e_step(self, frames, em, statistics=True):
        blocks = self._emitter().blocks(em)
        log_emit, resp = (None, None) if blocks is not None else self._log_emissions(em)
        ll, gamma, xi_sum, alpha = hm.e_step(self.startprob_, self.transmat_, log_emit, frames,
                                             statistics=statistics, blocks=blocks)
        return ll, gamma, xi_sum, resp, alpha

    def _em(self, frames, em, max_iter, tol, reg, smoothing):
        """Baum-Welch from the current parameters, by :func:`gdlab.inference.em.run_em`.

        The parameters passed between the steps are the fitted attributes
        (:meth:`_fitted_params`); ``tol`` is per frame. Returns the
        :class:`~gdlab.inference.em.EMResult`, its ``params`` those after the last
        M-step (also set on ``self``).
        """
        iteration = 0

        def e_step(params):
            nonlocal iteration
            self.__dict__.update(params)
            ll, gamma, xi_sum, resp, _ = self._e_step(frames, em)
            _check_possible(ll, f"the current HMM parameters (iteration {iteration}); check "
                                "startprob_init / transmat_init for zeros that forbid them, "
                                "or the data.")
            iteration += 1
            return float(ll.sum()), (gamma, xi_sum, resp)

        def m_step(statistics):
            self._m_step(frames, em, *statistics, reg, smoothing)
            return self._fitted_params()

        return run_em(self._fitted_params(), e_step, m_step, tol=tol, max_iter=max_iter,
                      scale=frames.n_frames, m_step_last=True)

    def _m_step(self, frames, em, gamma, xi_sum, resp, reg, smoothing):
        updated = self._updated()
        start_prior, trans_prior = self._dirichlet_priors()
        if "s" in updated:
            start = gamma[0].sum(axis=1)
            if start_prior is not None:
                start = np.where(self.startprob_ == 0, 0.0,
                                 np.maximum(start_prior - 1.0 + start, 0.0))
            if start.sum() > 0:
                self.startprob_ = start / start.sum()
        if "t" in updated:
            if trans_prior is not None:
                xi_sum = np.where(self.transmat_ == 0, 0.0,
                                  np.maximum(trans_prior - 1.0 + xi_sum, 0.0))
            rows = xi_sum.sum(axis=1, keepdims=True)
            self.transmat_ = np.where(rows > 0, xi_sum / np.where(rows > 0, rows, 1.0),
                                      self.transmat_)
        emitter = self._emitter()
        if updated & set(emitter.letters) or not emitter.letters:  # (a kind without letters)
            emitter.m_step(em, gamma, resp, reg, smoothing)

    def _dirichlet_priors(self):
        """Validated (start, transition) Dirichlet concentrations; None where all are 1."""
        S = check_int(self.n_states, "n_states")
        return [dirichlet_prior(getattr(self, name), shape, name)
                for name, shape in (("startprob_prior", (S,)), ("transmat_prior", (S, S)))]

    def _updated(self) -> frozenset:
        """hmmlearn's letters of the parameters EM updates (``params``, validated)."""
        letters = {"s": "startprob", "t": "transmat", **self._emitter().letters}
        if self.params is None:
            return frozenset(letters)
        names = {name: letter for letter, name in letters.items()}
        given = list(self.params) if isinstance(self.params, str) else self.params
        try:
            given = list(given)
        except TypeError:
            raise TypeError(f"params must be a string of hmmlearn's letters or a collection of "
                            f"parameter names, got {type(self.params).__name__}.") from None
        out = set()
        for item in given:
            letter = item if item in letters else names.get(item)
            if letter is None:
                have = ", ".join(f"{k} ({v})" for k, v in letters.items())
                raise ValueError(f"params names {item!r}, which HMM(emission="
                                 f"{self.emission!r}) does not have; its parameters are "
                                 f"{have}.")
            out.add(letter)
        return frozenset(out)

    # -- inference -----------------------------------------------------------------------------
    def _batch(self, X, lengths):
        check_is_fitted(self)
        seqs = self._sequences(X, lengths)
        frames = hm.Frames(seqs)
        return frames, self._emitter().batch(frames)

    def score_samples(self, X, lengths=None) -> np.ndarray:
        """Log-likelihood log p(x_1..T) of each sequence (missing entries marginalized).

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional

        Returns
        -------
        ndarray of shape (n_sequences,)
        """
        frames, em = self._batch(X, lengths)
        return self._e_step(frames, em, statistics=False)[0]

    def score(self, X, lengths=None) -> float:
        """Total log-likelihood of all sequences (hmmlearn's convention, not a mean).

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional

        Returns
        -------
        float
        """
        return float(self.score_samples(X, lengths).sum())

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        """Posterior state marginals p(z_t = k | x_1..T) of every frame.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional

        Returns
        -------
        ndarray of shape (n_frames, n_states)
            Stacked in the frame order of X; rows sum to one.
        """
        return self._posteriors(X, lengths)[1]

    def _posteriors(self, X, lengths):
        """The batch of X and p(z_t | x) of its frames, (n_frames, n_states) in X's order."""
        frames, em = self._batch(X, lengths)
        ll, gamma, *_ = self._e_step(frames, em)
        _check_possible(ll)
        return frames, _by_frame(gamma, frames.pos)

    def decode(self, X, lengths=None, algorithm="viterbi"):
        """State path of each sequence: the most probable path (Viterbi), or each frame's
        most probable state (MAP, posterior decoding).

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional
        algorithm : {"viterbi", "map"}, default="viterbi"
            "viterbi": argmax over paths of p(z | x). "map": argmax_k p(z_t = k | x)
            frame by frame (forward-backward); it maximizes the expected number of
            correct states, and may be a path the transitions forbid.

        Returns
        -------
        log_prob : ndarray of shape (n_sequences,)
            "viterbi": log p(x, z*) of each sequence's best path; "map": the sum over
            frames of log p(z_t = z*_t | x). (hmmlearn returns one number, the sum.)
        states : ndarray of shape (n_frames,)
            The paths, stacked in the frame order of X.
        """
        check_in(algorithm, "algorithm", ("viterbi", "map"))
        if algorithm == "map":
            frames, post = self._posteriors(X, lengths)
            states = post.argmax(axis=1)
            with np.errstate(divide="ignore"):
                log_best = np.log(post[np.arange(len(states)), states])
            per_sequence = np.add.reduceat(log_best, np.r_[0, np.cumsum(frames.lengths)[:-1]])
            return per_sequence, states
        frames, em = self._batch(X, lengths)
        log_emit, _ = self._log_emissions(em)
        with np.errstate(divide="ignore"):
            log_start, log_trans = np.log(self.startprob_), np.log(self.transmat_)
        return hm.viterbi(log_start, log_trans, log_emit, frames)

    def predict(self, X, lengths=None, algorithm="viterbi") -> np.ndarray:
        """The decoded state of every frame, stacked (see :meth:`decode`).

        Returns
        -------
        ndarray of shape (n_frames,)
        """
        return self.decode(X, lengths, algorithm=algorithm)[1]

    def predict_next(self, X, lengths=None) -> NextObservation:
        """The distribution of the next observation given each sequence as a prefix.

        p(x_{T+1} | x_1..T) = sum_k p(z_{T+1} = k | x_1..T) p(x_{T+1} | z_{T+1} = k).

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
            The prefixes.
        lengths : array-like of int, optional

        Returns
        -------
        NextObservation
            ``.weights`` (n_sequences, n_states); ``.proba`` (categorical),
            ``.mean``, ``.log_pdf(x)`` and ``.sample(random_state)`` (every
            emission: Gaussian, mixture, categorical and Poisson).
        """
        frames, em = self._batch(X, lengths)
        ll, _, _, _, alpha = self._e_step(frames, em, statistics=False)
        _check_possible(ll)
        weights = _by_frame(alpha, frames.last) @ self.transmat_
        weights /= weights.sum(axis=1, keepdims=True)
        return NextObservation(weights, **self._emitter().next_observation())

    # -- model selection -----------------------------------------------------------------------
    def n_parameters(self) -> int:
        """Free scalar parameters of the fitted model, counted as hmmlearn counts them.

        ``n_states - 1`` start probabilities, ``n_states * (n_states - 1)``
        transition probabilities and the emission parameters (means, covariances in
        their form, mixture weights, emission probabilities or rates). As in
        hmmlearn, every parameter counts, structural zeros and parameters that
        ``params`` keeps fixed included.

        Returns
        -------
        int
        """
        check_is_fitted(self)
        S = self.startprob_.shape[0]
        return S - 1 + S * (S - 1) + sum(self._emitter().n_parameters().values())

    def aic(self, X, lengths=None) -> float:
        """Akaike information criterion, ``-2 log p(X) + 2 n_parameters`` (lower is better).

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional

        Returns
        -------
        float
        """
        return -2.0 * self.score(X, lengths) + 2.0 * self.n_parameters()

    def bic(self, X, lengths=None) -> float:
        """Bayesian information criterion, ``-2 log p(X) + n_parameters log(n_frames)``.

        ``n_frames`` counts every frame of X, as hmmlearn's ``len(X)``.

        Parameters
        ----------
        X : list of array-like, or array-like of shape (n_frames, n_features)
        lengths : array-like of int, optional

        Returns
        -------
        float
        """
        log_lik = self.score(X, lengths)
        n_frames = sum(len(seq) for seq in self._sequences(X, lengths))
        return -2.0 * log_lik + self.n_parameters() * np.log(n_frames)

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, n_sequences=1, length=100, random_state=None, return_states=False):
        """Draw sequences from the HMM.

        Parameters
        ----------
        n_sequences : int, default=1
        length : int or (int, int), default=100
            Frames per sequence, or inclusive bounds of a uniform random length.
        random_state : int, RandomState instance or None
            Seed of this call (repeated calls with None give new draws).
        return_states : bool, default=False
            Also return the hidden state paths.

        Returns
        -------
        sequences : list of ndarray of shape (length_i, n_features)
            int64 symbols (one column) for categorical emissions.
        states : list of ndarray of shape (length_i,)
            Only with ``return_states=True``.
        """
        check_is_fitted(self)
        n = check_n_samples(n_sequences)
        low, high = check_length_range(length)
        rng = check_random_state(random_state)
        lens = rng.randint(low, high + 1, size=n) if high > low else np.full(n, low)
        flat = draw_state_paths(self.startprob_, self.transmat_, lens, rng)
        X = self._emitter().sample(flat, rng)
        seqs = np.split(X, np.cumsum(lens)[:-1])
        if return_states:
            return seqs, np.split(flat, np.cumsum(lens)[:-1])
        return seqs


# -- the classifier ------------------------------------------------------------------------------
class HMMClassifier(ClassConditional):
    """HMM sequence classifier: one :class:`HMM` per class and a class prior.

    ``ClassConditional(HMM(...))``: each class's sequences fit their own HMM;
    a sequence is classified by Bayes' rule,
    log p(y=k | x) = log p(y=k) + log p(x | HMM_k) - log p(x).

    Parameters
    ----------
    density : HMM, optional
        Unfitted per-class density; None: ``HMM()`` (3 states, diagonal Gaussians).
    priors : array-like of shape (n_classes,), optional
        Class priors in the order of the sorted labels; None: class frequencies.

    Attributes
    ----------
    classes_, class_prior_, class_count_, densities_, n_features_in_
        As in :class:`gdlab.base.ClassConditional`.
    n_symbols_ : int
        Only for categorical HMMs without ``n_symbols``: the alphabet size of
        all the training sequences, shared by every class's HMM.

    Examples
    --------
    >>> from gdlab.data.sequences import hmm_sequences, split_sequences
    >>> from gdlab.models.hmm import HMM, HMMClassifier
    >>> ds = hmm_sequences(n_sequences=40, length=30, random_state=0)
    >>> seqs = split_sequences(ds.X, ds.metadata["lengths"])
    >>> clf = HMMClassifier(HMM(3, max_iter=20, random_state=0)).fit(seqs, ds.y)
    >>> clf.predict_proba(seqs[:2]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    def __init__(self, density=None, *, priors=None):
        super().__init__(density, priors=priors)

    def _default_density(self):
        return HMM()

    def _density(self):
        """The per-class HMM; a categorical one gets the alphabet of all the training data.

        Each class's HMM would otherwise infer its own ``n_symbols_`` from its
        own sequences, and a symbol seen only in another class would be
        "unseen" by it at prediction.
        """
        density = super()._density()
        n_symbols = getattr(self, "n_symbols_", None)
        if (n_symbols is not None and isinstance(density, HMM)
                and getattr(EMISSION_KINDS.get(density.emission), "symbols", False)
                and density.n_symbols is None):
            density = clone(density).set_params(n_symbols=n_symbols)
        return density

    def fit(self, X, y, lengths=None):
        """Fit one HMM per class and the class prior.

        Parameters
        ----------
        X : list of array-like of shape (length_i, n_features), or array-like
            Sequences, or stacked frames with ``lengths``; NaN marks a missing entry.
        y : array-like of shape (n_sequences,)
            One label per sequence.
        lengths : array-like of int, optional
            Lengths of the stacked sequences.

        Returns
        -------
        self
        """
        self.__dict__.pop("n_symbols_", None)
        density = self._density()
        if isinstance(density, HMM):  # every class's frames checked before the first fit
            seqs = check_sequences(self, X, lengths, allow_nan=True, reset=True)
            em = density._emitter()
            n_symbols = em.check_data(seqs, fitted=False, owner=self)
            if n_symbols is not None and density.n_symbols is None:
                self.n_symbols_ = max(n_symbols, 2)
        return super().fit(X, y, lengths=lengths)
