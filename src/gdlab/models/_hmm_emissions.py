"""Emissions of :class:`gdlab.models.HMM`: one class per kind, chosen once from ``emission``.

Each kind (:class:`GaussianEmission`, :class:`GaussianMixtureEmission`,
:class:`CategoricalEmission`, :class:`PoissonEmission`) owns what depends on
it, as hmmlearn's emission mixins do: data and parameter validation,
initialization, the log-likelihood of a batch of frames (missing entries
marginalized) and the M-step (through the batch caches of
:mod:`gdlab.inference.hmm_emissions`), sampling and the fields of the next-frame
distribution. The parameters stay the HMM's fitted attributes (``means_``,
``covars_``, ``weights_``, ``emissionprob_``, ``lambdas_``), so saved models
keep their layout. A new kind is one subclass of :class:`Emission` and one
entry of :data:`EMISSION_KINDS`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from gdlab._param_checks import check_int
from gdlab._validation import check_magnitude
from gdlab.distributions.discrete import sample_categorical
from gdlab.distributions.gaussian import sample_gaussian
from gdlab.inference import hmm_emissions as he

STOCHASTIC_ATOL = 1e-8
# Largest categorical alphabet: symbol codes index a dense (n_states, n_symbols) table.
MAX_SYMBOLS = 2**24


def format_symbol(value) -> str:
    """A symbol value as the user gave it: 3 for 3.0, 2.5, 1e+300 (never a cast int64)."""
    value = float(value)
    if value == np.round(value) and abs(value) < 2**53:
        return str(int(value))
    return f"{value:g}"


def check_stochastic(value, name, shape):
    """A user-given probability array: right shape, non-negative, rows summing to 1."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError(f"{name} must be finite and non-negative.")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > STOCHASTIC_ATOL
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(np.atleast_1d(bad))[0])
        total = float(np.atleast_1d(sums)[where])
        row = "it" if arr.ndim == 1 else f"row {where[0] if len(where) == 1 else where}"
        raise ValueError(
            f"{name} must have rows summing to 1 (within {STOCHASTIC_ATOL:g}); "
            f"{row} sums to {total!r}."
        )
    return arr.copy()


def _broadcast_prior(value, shape, name, form="", shapes=None):
    """A prior parameter broadcast to ``shape``, or a ValueError naming the shape expected
    (``shapes``: the shapes it may have, in words; default ``shape``)."""
    try:
        return np.broadcast_to(value, shape)
    except ValueError:
        raise ValueError(f"{name} must be a number or have shape "
                         f"{shape if shapes is None else shapes}{form}, got shape "
                         f"{value.shape}.") from None


def dirichlet_prior(value, shape, name, form=""):
    """Validated Dirichlet concentrations broadcast to ``shape``; None where all are 1."""
    value = _broadcast_prior(np.asarray(value, dtype=np.float64), shape, name, form)
    if not np.isfinite(value).all() or (value < 0).any():
        raise ValueError(f"{name} must be finite and non-negative (Dirichlet "
                         "concentrations; 1 is no prior).")
    return None if np.all(value == 1.0) else value


# -- emissions: one object per kind ------------------------------------------------------------
class Emission(ABC):
    """What one kind of emission knows, for the :class:`gdlab.models.HMM` that holds it.

    The parameters stay the HMM's fitted attributes (``attributes``, so that a
    saved model keeps its layout); the object owns everything that depends on
    the kind: parameter and data validation, the batch cache of
    :mod:`gdlab.inference.hmm_emissions` (log-likelihood of frames with missing
    entries marginalized, sufficient statistics, M-step), initialization,
    sampling and the predictive distribution of the next frame. Adding a kind
    of emission is one subclass and one entry of ``EMISSION_KINDS``.

    Parameters
    ----------
    hmm : HMM
        The estimator whose hyper-parameters and fitted attributes are read and set.
    """

    #: fitted attributes holding the emission parameters
    attributes: tuple = ()
    #: hmmlearn's letter of each emission parameter (``HMM(params=...)``), with its name
    letters: dict = {}
    #: whether frames are symbol codes of an alphabet inferred from the data
    symbols = False

    def __init__(self, hmm):
        self.hmm = hmm

    def n_mix(self) -> int:
        """Validated components per state (1 unless a mixture)."""
        return 1

    @abstractmethod
    def check_data(self, seqs, *, fitted, owner=None):
        """Refuse frames this kind cannot take, before any work.

        Parameters
        ----------
        seqs : list of ndarray of shape (length_i, n_features)
        fitted : bool
            Whether the HMM is fitted (symbols must be in its alphabet).
        owner : estimator, optional
            Named in the message of a value too large for the arithmetic
            (default: the HMM; the classifier that checks before fitting its HMMs).

        Returns
        -------
        int or None
            The alphabet size the frames need (symbol emissions), else None.
        """

    def prepare_fit(self, seqs):
        """Set what the data fixes before initialization (e.g. the alphabet)."""
        return None  # optional step: nothing by default

    def check_given(self, S, M, d):
        """Validate the user-given initial emission parameters (none by default)."""
        return None  # optional step: nothing by default

    @abstractmethod
    def batch(self, frames):
        """The per-batch cache of :mod:`gdlab.inference.hmm_emissions` for ``frames``."""

    @abstractmethod
    def log_prob(self, batch):
        """(T, S, N) log-emissions of a batch and mixture responsibilities (or None)."""

    def blocks(self, batch):
        """Log-emissions and M-step statistics computed inside the forward-backward pass.

        The ``blocks`` argument of :func:`gdlab.inference.hmm.e_step` (faster: no
        pass of their own over the batch), or None to use :meth:`log_prob` and
        :meth:`m_step` on the whole batch (the default).
        """
        return None

    @abstractmethod
    def initialize(self, seqs, S, M, reg, rng):
        """Set the emission parameters; return k-means state labels of the frames or None."""

    @abstractmethod
    def m_step(self, batch, gamma, resp, reg, smoothing):
        """Set the emission parameters from the state posteriors ``gamma`` (T, S, N)."""

    @abstractmethod
    def sample(self, states, rng):
        """One frame for each state of ``states`` (n,): ndarray of shape (n, n_features)."""

    @abstractmethod
    def n_parameters(self) -> dict:
        """Free scalar parameters of the fitted emissions, by hmmlearn's letter.

        hmmlearn's ``_get_n_fit_scalars_per_param`` without "s" and "t", e.g.
        ``{"m": ..., "c": ...}`` (what :meth:`gdlab.models.HMM.aic` adds up).
        """

    def next_observation(self):
        """The emission fields of :class:`gdlab.models.hmm.NextObservation` (copies), as a dict."""
        raise NotImplementedError(f"{type(self).__name__} has no next-frame distribution "
                                  "(HMM.predict_next).")


class GaussianEmission(Emission):
    """One Gaussian per state: ``means_``, ``covars_``.

    ``covariance`` (hmmlearn's ``covariance_type``) is "diag", "full",
    "spherical" (one variance per state) or "tied" (one matrix shared by all
    states); ``covars_`` keeps hmmlearn's layout of each (:meth:`covars_shape`).
    The batch computations see every form as diagonal variances or full
    matrices per component (:meth:`expand_covars`); the M-step ties them.
    """

    attributes = ("means_", "covars_")
    letters = {"m": "means", "c": "covars"}
    #: how "tied" pools covariances in the M-step (one matrix for the whole model)
    tied_pool = "tied_all"

    def _lead(self, S, M):
        """Leading shape of the parameters: (n_states,) or (n_states, n_mix)."""
        return (S,)

    # -- the covariance layouts --------------------------------------------------------------
    def mode(self):
        """The batch layout: "full" matrices (full, tied) or "diag" variances (diag, spherical)."""
        return "full" if self.hmm.covariance in ("full", "tied") else "diag"

    def pool(self):
        """How the M-step ties covariances (see :meth:`GaussianEmissions.m_step`)."""
        return {"spherical": "spherical", "tied": self.tied_pool}.get(self.hmm.covariance)

    def covars_shape(self, S, M, d):
        """Shape of ``covars_`` for the covariance form (hmmlearn's layout)."""
        lead = self._lead(S, M)
        return {"diag": (*lead, d), "full": (*lead, d, d), "spherical": lead,
                "tied": (*lead[:-1], d, d)}[self.hmm.covariance]

    def expand_covars(self, covars, S, M, d):
        """``covars_`` as (S, M, d) variances or (S, M, d, d) matrices, one per component."""
        lead = self._lead(S, M)
        cov = self.hmm.covariance
        if cov == "spherical":
            covars = np.broadcast_to(covars[..., None], (*lead, d))
        elif cov == "tied":
            covars = np.broadcast_to(np.expand_dims(covars, len(lead) - 1), (*lead, d, d))
        return np.reshape(covars, (S, M, *covars.shape[len(lead):]))

    def compress_covars(self, covars):
        """(S, M, ...) per-component covariances (tied as the form says) to ``covars_``."""
        S, M = covars.shape[:2]
        lead = self._lead(S, M)
        c = covars.reshape(*lead, *covars.shape[2:])
        if self.hmm.covariance == "spherical":
            c = c[..., 0]
        elif self.hmm.covariance == "tied":
            c = np.take(c, 0, axis=len(lead) - 1)
        return np.ascontiguousarray(c)

    def check_data(self, seqs, *, fitted, owner=None):
        # Gaussian emissions square the frames: refuse values whose squares overflow
        check_magnitude(self.hmm if owner is None else owner, np.concatenate(seqs), what="X")
        return None

    def given_means(self, S, M, d):
        """``means_init`` checked, as (S, M, d)."""
        lead = self._lead(S, M)
        means = np.asarray(self.hmm.means_init, dtype=np.float64)
        if means.shape != (*lead, d):
            raise ValueError(f"means_init must have shape {(*lead, d)}, got {means.shape}.")
        if not np.isfinite(means).all():
            raise ValueError("means_init must be finite.")
        return means.reshape(S, M, d)

    def given_covars(self, S, M, d):
        """``covars_init`` checked, as (S, M, d) variances or (S, M, d, d) matrices."""
        hmm = self.hmm
        shape = self.covars_shape(S, M, d)
        matrices = hmm.covariance in ("full", "tied")
        covars = np.asarray(hmm.covars_init, dtype=np.float64)
        if covars.shape != shape:
            raise ValueError(f"covars_init for covariance={hmm.covariance!r} must have "
                             f"shape {shape}, got {covars.shape}.")
        if not np.isfinite(covars).all():
            ok = False
        elif matrices:
            flat = covars.reshape(-1, d, d)
            ok = all(np.allclose(C, C.T) and np.all(np.linalg.eigvalsh(C) > 0) for C in flat)
        else:
            ok = bool(np.all(covars > 0))
        if not ok:
            raise ValueError("covars_init must be finite and positive (variances) or symmetric "
                             "positive definite (matrices).")
        return np.array(self.expand_covars(covars, S, M, d))

    def initial_weights(self, S, M):
        """Within-state mixture weights at the start: (S, M)."""
        return np.ones((S, 1))

    def log_weights(self, S):
        """Within-state log mixture weights: (S, M)."""
        return np.zeros((S, 1))

    def params(self):
        """(log weights (S, M), means (S, M, d), covars (S, M, d[, d])) from the attributes."""
        hmm = self.hmm
        S, d = hmm.means_.shape[0], hmm.means_.shape[-1]
        means = hmm.means_.reshape(S, -1, d)
        return self.log_weights(S), means, self.expand_covars(hmm.covars_, S, means.shape[1], d)

    def set_params(self, weights, means, covars):
        """Set the attributes from (S, M)-led weights, means and covars."""
        self.hmm.means_, self.hmm.covars_ = means[:, 0], self.compress_covars(covars)

    def batch(self, frames):
        return he.GaussianEmissions(frames, self.mode())

    def log_prob(self, batch):
        return batch.log_prob(*self.params())

    def blocks(self, batch):
        return batch.blocks(*self.params())

    def initialize(self, seqs, S, M, reg, rng):
        hmm = self.hmm
        d = seqs[0].shape[1]
        if hmm.means_init is None or hmm.covars_init is None:
            frames, observed, Xf = filled_frames(seqs)
        labels = None
        if hmm.means_init is not None:
            means = self.given_means(S, M, d)
        elif hmm.init == "kmeans":
            km, seed = fit_kmeans(Xf, S, rng, need=("n_states * n_mix", S * M),
                                  hint="states or means_init")
            means = np.empty((S, M, d))
            for k in range(S):
                means[k] = split_cluster(Xf[km.labels_ == k], km.cluster_centers_[k],
                                          M, seed, rng)
            labels = frame_labels(km.labels_, observed)
        else:
            means = Xf[rng.choice(len(Xf), size=S * M, replace=len(Xf) < S * M)].reshape(S, M, d)
        if hmm.covars_init is not None:
            covars = self.given_covars(S, M, d)
        else:
            if len(Xf) > 1:
                cov = np.atleast_2d(np.cov(Xf.T))
            else:
                cov = np.eye(d)
            cov = cov + max(reg, 1e-3 * float(np.mean(np.diag(cov))) or 1e-3) * np.eye(d)
            if hmm.covariance == "spherical":
                one = np.full(d, np.mean(np.diag(cov)))
            else:
                one = cov if self.mode() == "full" else np.diag(cov)
            covars = np.array(np.broadcast_to(one, (S, M, *one.shape)))
        self.set_params(self.initial_weights(S, M), means, covars)
        return labels

    def m_step(self, batch, gamma, resp, reg, smoothing):
        log_w, means, covars = self.params()
        update = "".join(sorted(self.hmm._updated() & set(self.letters)))
        self.set_params(*batch.m_step(gamma, resp, np.exp(log_w), means, covars, reg,
                                      pool=self.pool(), update=update,
                                      prior=self.prior(*means.shape)))

    def check_given(self, S, M, d):
        hmm = self.hmm
        if hmm.means_init is not None:
            self.given_means(S, M, d)
        if hmm.covars_init is not None:
            self.given_covars(S, M, d)
        self.prior(S, M, d)  # refused before any work

    def prior(self, S, M, d):
        """The conjugate prior of the HMM's ``means_prior`` ... ``covars_weight`` (validated),
        or None when they are the no-prior defaults.

        One prior per component: shapes lead by (n_states,) for "gaussian" and
        (n_states, n_mix) for "gmm". In hmmlearn's GaussianHMM form
        (``covars_prior_form="gaussianhmm"``): ``means_prior`` lead + (d,),
        ``means_weight`` lead, ``covars_prior`` in the layout of ``covars_``, one
        ``covars_weight``; numbers broadcast. hmmlearn's GMMHMM form: see
        :meth:`GaussianMixtureEmission.covars_prior_gmmhmm`.
        """
        hmm = self.hmm
        gmmhmm = hmm.covars_prior_form == "gmmhmm"
        names = ("means_prior", "means_weight") if gmmhmm else (
            "means_prior", "means_weight", "covars_prior", "covars_weight")
        values = {}
        for name in names:
            if getattr(hmm, name) is None:
                raise ValueError(f"{name}=None is hmmlearn's GMMHMM default; it needs "
                                 "covars_prior_form='gmmhmm' (and emission='gmm').")
            values[name] = np.asarray(getattr(hmm, name), dtype=np.float64)
        if (not gmmhmm and not values["means_weight"].any() and not values["covars_prior"].any()
                and values["covars_weight"].shape == () and values["covars_weight"] <= 1.0):
            return None
        lead = self._lead(S, M)
        shapes = {"means_prior": (*lead, d), "means_weight": lead,
                  "covars_prior": self.covars_shape(S, M, d), "covars_weight": ()}
        for name, value in values.items():
            if not np.isfinite(value).all() or (name != "means_prior" and (value < 0).any()):
                raise ValueError(f"{name} must be finite (and non-negative, but for "
                                 "means_prior).")
            values[name] = _broadcast_prior(value, shapes[name], name)
        C = S * M  # the M-step's components, state-major
        if gmmhmm:
            covars_prior, count = self.covars_prior_gmmhmm(S, M, d)
        else:
            covars_prior = values["covars_prior"]
            if hmm.covariance == "spherical":
                covars_prior = covars_prior.reshape(C, 1)
            elif hmm.covariance in ("diag", "full"):
                covars_prior = covars_prior.reshape(C, *covars_prior.shape[len(lead):])
            count = max(float(values["covars_weight"]) - (1 if self.mode() == "diag" else d), 0)
        return he.GaussianPrior(values["means_prior"].reshape(C, d),
                                values["means_weight"].reshape(C), covars_prior, count,
                                about_previous=gmmhmm)

    def sample(self, states, rng):
        log_w, means, covars = self.params()
        S, M, d = means.shape
        comp = states * M + (sample_categorical(np.exp(log_w)[states], rng) if M > 1 else 0)
        return sample_gaussian(means.reshape(S * M, d), covars.reshape(S * M, *covars.shape[2:]),
                             comp, rng)

    def next_observation(self):
        log_w, means, covars = self.params()
        return {"mix_weights": np.exp(log_w), "means": means.copy(), "covars": covars.copy()}

    def n_parameters(self):
        """Means and covariances, as hmmlearn's GaussianHMM / GMMHMM count them; mixture
        weights ("w") are S * (n_mix - 1) (hmmlearn 0.3 counts n_mix - 1 only)."""
        _, means, _ = self.params()
        S, M, d = means.shape
        lead = self._lead(S, M)
        components, per_matrix = S * M, d * (d + 1) // 2
        covars = {"diag": components * d, "full": components * per_matrix,
                  "spherical": components, "tied": int(np.prod(lead[:-1])) * per_matrix}
        counts = {"m": components * d, "c": covars[self.hmm.covariance]}
        if len(lead) == 2:
            counts["w"] = S * (M - 1)
        return counts


class GaussianMixtureEmission(GaussianEmission):
    """A mixture of ``n_mix`` Gaussians per state: ``weights_``, ``means_``, ``covars_``.

    "tied" shares one matrix among the components of a state (hmmlearn's GMMHMM).
    """

    attributes = ("weights_", "means_", "covars_")
    letters = {"m": "means", "c": "covars", "w": "weights"}
    tied_pool = "tied_state"

    def n_mix(self):
        return check_int(self.hmm.n_mix, "n_mix")

    def _lead(self, S, M):
        return (S, M)

    def check_given(self, S, M, d):
        super().check_given(S, M, d)
        if self.hmm.weights_init is not None:
            check_stochastic(self.hmm.weights_init, "weights_init", (S, M))
        self.weights_prior(S, M)

    def weights_prior(self, S, M):
        """Validated Dirichlet concentrations (S, M) of the mixture weights; None if all 1."""
        return dirichlet_prior(self.hmm.weights_prior, (S, M), "weights_prior",
                               " (n_states, n_mix)")

    def m_step(self, batch, gamma, resp, reg, smoothing):
        log_w, means, covars = self.params()
        S, M, d = means.shape
        update = "".join(sorted(self.hmm._updated() & set(self.letters)))
        self.set_params(*batch.m_step(gamma, resp, np.exp(log_w), means, covars, reg,
                                      pool=self.pool(), update=update,
                                      prior=self.prior(S, M, d),
                                      weights_prior=self.weights_prior(S, M)))

    def covars_prior_gmmhmm(self, S, M, d):
        """hmmlearn's GMMHMM covariance prior as the ``(c_0, k)`` of
        :class:`gdlab.inference.hmm_emissions.GaussianPrior` (validated; scatter about the previous
        means). None takes hmmlearn's default: maximum likelihood (k = 0) but for
        "spherical" with ``n_mix != n_features`` (k = n_features - n_mix). k may not be
        below the smaller of 0 and the default's.

        - "diag": inverse-gamma shape alpha = ``covars_prior`` >= -1.5 and scale beta =
          ``covars_weight`` >= 0, each (n_states, n_mix, n_features) (defaults -1.5,
          0): c_0 = 2 beta, k = 2 alpha + 3.
        - "spherical": the same, (n_states, n_mix) (defaults -(n_mix + 2) / 2, 0): one
          variance of c_0 = 2 beta, k = n_features + 2 alpha + 2 (spread over the
          features); alpha >= -(max(n_mix, n_features) + 2) / 2.
        - "full": inverse-Wishart scale Psi = ``covars_prior`` (n_states, n_mix,
          n_features, n_features), symmetric positive semi-definite, and degrees of
          freedom nu = ``covars_weight`` (n_states, n_mix) (defaults 0,
          -(n_features + 2)): c_0 = Psi, k = nu + n_features + 2.
        - "tied": Psi (n_states, n_features, n_features) and nu (n_states,) (defaults
          0, -(n_mix + n_features + 1)): c_0 = Psi, k = nu + n_mix + n_features + 1 for
          each state's pooled matrix.
        """
        hmm = self.hmm
        cov = hmm.covariance
        form = f" (hmmlearn's GMMHMM, covariance={cov!r})"
        weight_shape = {"diag": (S, M, d), "spherical": (S, M), "full": (S, M),
                        "tied": (S,)}[cov]
        default = {"diag": (-1.5, 0.0), "spherical": (-(M + 2.0) / 2.0, 0.0),
                   "full": (0.0, -(d + 2.0)), "tied": (0.0, -(M + d + 1.0))}[cov]
        given = []
        for name, shape, fallback in (("covars_prior", self.covars_shape(S, M, d), default[0]),
                                      ("covars_weight", weight_shape, default[1])):
            value = getattr(hmm, name)
            value = np.asarray(fallback if value is None else value, dtype=np.float64)
            value = _broadcast_prior(value, shape, name, form)
            if not np.isfinite(value).all():
                raise ValueError(f"{name} must be finite{form}.")
            given.append(value)
        prior, weight = given
        C = S * M
        if cov in ("diag", "spherical"):
            least = -1.5 if cov == "diag" else -(max(M, d) + 2.0) / 2.0
            if (weight < 0).any():
                raise ValueError(f"covars_weight (the inverse-gamma scale beta){form} must be "
                                 f"non-negative, got {float(weight.min())!r}.")
            if (prior < least).any():
                raise ValueError(f"covars_prior (the inverse-gamma shape alpha){form} must be "
                                 f"at least {least!r} (no prior), got {float(prior.min())!r}.")
            if cov == "diag":
                return (2.0 * weight).reshape(C, d), (2.0 * prior + 3.0).reshape(C, d)
            return ((2.0 * weight / d).reshape(C, 1),
                    ((d + 2.0 * prior + 2.0) / d).reshape(C, 1))
        least = default[1]
        scale = max(1.0, float(np.abs(prior).max()))
        if (np.abs(prior - np.swapaxes(prior, -1, -2)).max() > 1e-12 * scale
                or np.linalg.eigvalsh(prior).min() < -1e-12 * scale):
            raise ValueError(f"covars_prior (the inverse-Wishart scale Psi){form} must be "
                             "symmetric positive semi-definite matrices.")
        if (weight < least).any():
            raise ValueError(f"covars_weight (the inverse-Wishart degrees of freedom nu){form} "
                             f"must be at least {least!r} (no prior), got {float(weight.min())!r}.")
        if cov == "full":
            return prior.reshape(C, d, d), (weight + d + 2.0).reshape(C)
        return prior, weight + M + d + 1.0

    def initial_weights(self, S, M):
        if self.hmm.weights_init is not None:
            return check_stochastic(self.hmm.weights_init, "weights_init", (S, M))
        return np.full((S, M), 1.0 / M)

    def log_weights(self, S):
        with np.errstate(divide="ignore"):
            return np.log(self.hmm.weights_)

    def set_params(self, weights, means, covars):
        hmm = self.hmm
        hmm.weights_, hmm.means_, hmm.covars_ = weights, means, self.compress_covars(covars)


class CategoricalEmission(Emission):
    """One categorical distribution over symbols 0..n_symbols-1 per state: ``emissionprob_``."""

    attributes = ("emissionprob_",)
    letters = {"e": "emissionprob"}
    symbols = True

    def check_data(self, seqs, *, fitted, owner=None):
        """Frames: one column of non-negative integer codes (NaN: missing), named by the HMM.

        Codes must be integers in ``0 .. MAX_SYMBOLS - 1`` (the alphabet is a dense
        table); for a fitted HMM they must be below its ``n_symbols_``. Offending values
        are named as they came (never cast to int first).

        Returns
        -------
        int
            ``max(code) + 1`` (1 when every frame is missing).
        """
        return check_symbols(self.hmm, seqs, self.hmm.n_symbols_ if fitted else None)

    def prepare_fit(self, seqs):
        hmm = self.hmm
        inferred = check_symbols(hmm, seqs)
        if hmm.n_symbols is not None:
            check_symbols(hmm, seqs, hmm.n_symbols)
            hmm.n_symbols_ = int(hmm.n_symbols)
        else:
            hmm.n_symbols_ = max(inferred, 2)

    def check_given(self, S, M, d):
        if self.hmm.emissionprob_init is not None:
            check_stochastic(self.hmm.emissionprob_init, "emissionprob_init",
                              (S, self.hmm.n_symbols_))
        if np.ndim(self.hmm.smoothing):
            shape = (S, self.hmm.n_symbols_)
            _broadcast_prior(np.asarray(self.hmm.smoothing), shape, "smoothing",
                             shapes=f"({shape[1]},) (one per symbol) or {shape} (n_states, "
                                    "n_symbols)")

    def batch(self, frames):
        return he.CategoricalEmissions(frames, self.hmm.n_symbols_)

    def log_prob(self, batch):
        return batch.log_prob(self.hmm.emissionprob_), None

    def initialize(self, seqs, S, M, reg, rng):
        hmm = self.hmm
        V = hmm.n_symbols_
        if hmm.emissionprob_init is not None:
            hmm.emissionprob_ = check_stochastic(hmm.emissionprob_init,
                                                  "emissionprob_init", (S, V))
        else:
            x = np.concatenate(seqs)[:, 0]
            freq = np.bincount(x[~np.isnan(x)].astype(np.intp), minlength=V) + 1.0
            hmm.emissionprob_ = 0.5 * rng.dirichlet(np.ones(V), size=S) + 0.5 * (
                freq / freq.sum())
        return None

    def m_step(self, batch, gamma, resp, reg, smoothing):
        self.hmm.emissionprob_ = batch.m_step(gamma, self.hmm.emissionprob_, smoothing)

    def sample(self, states, rng):
        return sample_categorical(self.hmm.emissionprob_[states], rng)[:, None].astype(np.int64)

    def next_observation(self):
        return {"emissionprob": self.hmm.emissionprob_.copy()}

    def n_parameters(self):
        S, V = self.hmm.emissionprob_.shape
        return {"e": S * (V - 1)}


class PoissonEmission(Emission):
    """Independent Poisson counts per state and feature (hmmlearn's PoissonHMM): ``lambdas_``.

    Frames are non-negative integer counts, any number of features; a NaN entry
    is missing and marginalized (it contributes 0 to the log-likelihood and
    nothing to the M-step of its feature).
    """

    attributes = ("lambdas_",)
    letters = {"l": "lambdas"}

    def check_data(self, seqs, *, fitted, owner=None):
        x = np.concatenate(seqs)
        bad = ~np.isnan(x) & ((x < 0) | (x != np.round(x)))
        if bad.any():
            name = type(self.hmm if owner is None else owner).__name__
            shown = ", ".join(format_symbol(v) for v in np.unique(x[bad])[:5])
            raise ValueError(f"Poisson {name} expects non-negative integer counts (NaN marks "
                             f"a missing entry), got {shown}.")
        return None

    def given_lambdas(self, S, d):
        """``lambdas_init`` checked: shape (n_states, n_features), finite, non-negative."""
        lam = np.asarray(self.hmm.lambdas_init, dtype=np.float64)
        if lam.shape != (S, d):
            raise ValueError(f"lambdas_init must have shape {(S, d)} (n_states, n_features), "
                             f"got {lam.shape}.")
        if not np.isfinite(lam).all() or (lam < 0).any():
            raise ValueError("lambdas_init must be finite and non-negative.")
        return lam.copy()

    def check_given(self, S, M, d):
        if self.hmm.lambdas_init is not None:
            self.given_lambdas(S, d)
        self.prior(S, d)

    def prior(self, S, d):
        """The Gamma prior (alpha, beta) of the rates, each (S, d) or 0.0 (validated).

        ``lambdas_prior`` (alpha) and ``lambdas_weight`` (beta): numbers, one per
        state (n_states,) as hmmlearn documents them, or (n_states, n_features).
        """
        out = []
        for name in ("lambdas_prior", "lambdas_weight"):
            value = np.asarray(getattr(self.hmm, name), dtype=np.float64)
            if value.shape == (S,):
                value = value[:, None]
            value = _broadcast_prior(value, (S, d), name,
                                     shapes=f"({S},) (one per state) or {(S, d)}")
            if not np.isfinite(value).all() or (value < 0).any():
                raise ValueError(f"{name} must be finite and non-negative (a Gamma prior; "
                                 f"0 is none), got {getattr(self.hmm, name)!r}.")
            out.append(value if value.any() else 0.0)
        return tuple(out)

    def batch(self, frames):
        return he.PoissonEmissions(frames)

    def log_prob(self, batch):
        return batch.log_prob(self.hmm.lambdas_), None

    def initialize(self, seqs, S, M, reg, rng):
        """Given rates; else k-means cluster means (floored) or, for ``init="random"``,
        hmmlearn's method-of-moments Gamma draws. Returns the k-means labels or None."""
        hmm = self.hmm
        d = seqs[0].shape[1]
        if hmm.lambdas_init is not None:
            hmm.lambdas_ = self.given_lambdas(S, d)
            return None
        frames, observed, Xf = filled_frames(seqs)
        floor = 1e-3 * max(float(Xf.mean()), 1.0)
        if hmm.init == "kmeans":
            km, _ = fit_kmeans(Xf, S, rng, need=("n_states", S),
                               hint="states, lambdas_init or init='random'")
            hmm.lambdas_ = np.maximum(km.cluster_centers_, floor)
            return frame_labels(km.labels_, observed)
        mean, var = float(Xf.mean()), float(Xf.var())
        if mean > 0 and var > 0:
            hmm.lambdas_ = rng.gamma(mean**2 / var, var / mean, size=(S, d))
        else:
            hmm.lambdas_ = rng.uniform(0.5, 1.5, size=(S, d)) * max(mean, floor)
        hmm.lambdas_ = np.maximum(hmm.lambdas_, floor)
        return None

    def m_step(self, batch, gamma, resp, reg, smoothing):
        S, d = self.hmm.lambdas_.shape
        self.hmm.lambdas_ = batch.m_step(gamma, self.hmm.lambdas_, *self.prior(S, d))

    def sample(self, states, rng):
        return rng.poisson(self.hmm.lambdas_[states]).astype(np.int64)

    def next_observation(self):
        return {"lambdas": self.hmm.lambdas_.copy()}

    def n_parameters(self):
        return {"l": self.hmm.lambdas_.size}


#: the kinds of emission, by the name ``HMM(emission=...)`` takes
EMISSION_KINDS = {
    "gaussian": GaussianEmission,
    "gmm": GaussianMixtureEmission,
    "categorical": CategoricalEmission,
    "poisson": PoissonEmission,
}


def check_symbols(estimator, seqs, n_symbols=None):
    """Symbol frames: one column of integer codes below ``MAX_SYMBOLS`` (and ``n_symbols``).

    Returns ``max(code) + 1`` (1 when every frame is missing); see
    :meth:`CategoricalEmission.check_data`.
    """
    name = type(estimator).__name__
    if seqs[0].shape[1] != 1:
        raise ValueError(f"categorical {name} expects one symbol per frame (1 column), "
                         f"got {seqs[0].shape[1]} columns.")
    x = np.concatenate(seqs)[:, 0]
    x = x[~np.isnan(x)]
    bad = (x < 0) | (x != np.round(x)) | (x >= MAX_SYMBOLS)
    if bad.any():
        shown = ", ".join(format_symbol(v) for v in np.unique(x[bad])[:5])
        raise ValueError(
            f"categorical {name} expects non-negative integer symbol codes 0, 1, 2, ... "
            f"(below {MAX_SYMBOLS}; NaN marks a missing frame), got {shown}. Recode "
            "the symbols as 0..n_symbols-1, e.g. with np.unique(x, return_inverse=True)."
        )
    if n_symbols is not None and x.size and x.max() >= n_symbols:
        unseen = ", ".join(format_symbol(v) for v in np.unique(x[x >= n_symbols])[:10])
        raise ValueError(
            f"symbols [{unseen}] were not in the alphabet at fit: {name} knows symbols "
            f"0..{n_symbols - 1} (n_symbols_={n_symbols})."
        )
    return int(x.max()) + 1 if x.size else 1


def fit_kmeans(Xf, S, rng, *, need, hint):
    """k-means with ``S`` clusters on the observed frames ``Xf``, and its seed (from ``rng``).

    ``need``: (its name, the number of distinct frames it needs); fewer raise a
    ValueError saying what to give fewer of (``hint``).
    """
    from sklearn.cluster import KMeans

    name, n = need
    distinct = len(np.unique(Xf, axis=0))
    if distinct < n:
        raise ValueError(f"k-means initialization needs at least {name} = {n} distinct "
                         f"observed frames, got {distinct}; give fewer {hint}.")
    seed = rng.randint(2**31 - 1)
    return KMeans(S, n_init=1, random_state=seed).fit(Xf), seed


def split_cluster(Xk, center, M, seed, rng):
    """(M, d) component means of one state: k-means on the state's frames.

    A state with fewer than ``M`` distinct frames keeps them and fills the rest
    with its center plus draws of its spread (or the unit scale when it has none).
    """
    if M == 1:
        return center[None]
    distinct = np.unique(Xk, axis=0)
    if len(distinct) >= M:
        from sklearn.cluster import KMeans

        return KMeans(M, n_init=1, random_state=seed).fit(Xk).cluster_centers_
    scale = Xk.std(axis=0) if len(Xk) > 1 else np.zeros(center.shape)
    scale = np.where(scale > 0, scale, 1.0)
    extra = center + scale * rng.standard_normal((M - len(distinct), center.size))
    return np.vstack([distinct, extra])


def filled_frames(seqs):
    """Stacked frames, the mask of frames with an observed entry, and those frames with
    their missing entries filled by the column means (for initialization only)."""
    frames = np.concatenate(seqs)
    observed = ~np.isnan(frames).all(axis=1)
    Xo = frames[observed]
    with np.errstate(invalid="ignore", divide="ignore"):
        col_mean = np.nansum(Xo, axis=0) / (~np.isnan(Xo)).sum(axis=0)
    col_mean = np.where(np.isfinite(col_mean), col_mean, 0.0)
    return frames, observed, np.where(np.isnan(Xo), col_mean, Xo)


def frame_labels(labels, observed):
    """k-means labels of the observed frames spread over all frames (-1: nothing observed)."""
    out = np.full(len(observed), -1, dtype=np.intp)
    out[observed] = labels
    return out
