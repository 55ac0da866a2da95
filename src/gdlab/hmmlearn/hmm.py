"""hmmlearn's ``hmm`` module over gdlab's HMM: change ``from hmmlearn import hmm`` to
``from gdlab.hmmlearn import hmm`` and the script runs.

:class:`GaussianHMM`, :class:`GMMHMM`, :class:`CategoricalHMM` and
:class:`PoissonHMM` take hmmlearn's constructor arguments and offer its
methods (``fit(X, lengths)``, ``score``, ``score_samples``, ``decode``,
``predict``, ``predict_proba``, ``sample``, ``aic``, ``bic``,
``get_stationary_distribution``) and fitted
attributes (``startprob_``, ``transmat_``, ``means_``, ``covars_``, ...,
``monitor_``). Parameters set by hand before ``fit`` are kept as the start of
EM when their letter is not in ``init_params``, and only the letters of
``params`` are updated, as in hmmlearn. Every call goes through
:class:`gdlab.models.HMM`, so frames with NaN entries are marginalized (missing
observations), and :meth:`BaseHMM.to_gdlab` gives the equivalent gdlab model,
e.g. for :class:`gdlab.models.HMMClassifier`.

Where it differs from hmmlearn 0.3.3 (see the README's hmmlearn-parity section):
initialization (gdlab's k-means start for start and transition probabilities;
the same start gives the same EM to ~1e-10), ``tol`` (the same absolute
log-likelihood gain, checked as ``|gain| < tol``), ``implementation`` and
``verbose`` (gdlab has one scaled forward-backward engine and no printing),
``GMMHMM`` applies hmmlearn's ``weights_prior`` (Dirichlet), ``means_prior`` /
``means_weight`` and ``covars_prior`` / ``covars_weight`` (defaults included; their
updates equal hmmlearn's, but that a covariance whose denominator is not positive keeps
its value), ``PoissonHMM``'s Gamma prior
(``lambdas_prior`` / ``lambdas_weight``) weighs each state's counts by that
state's own posterior weight (hmmlearn 0.3.3 uses the weight of all states
together; the two agree for one state), and a vector ``means_weight`` weighs
each state's prior mean.
"""

from __future__ import annotations

import contextlib
import numbers
import re

import numpy as np
import scipy.linalg
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from gdlab._param_checks import check_in, check_int, check_positive
from gdlab._validation import check_random_state
from gdlab.base import SettingGroupsMixin
from gdlab.inference.em import ConvergenceMonitor
from gdlab.models._hmm_emissions import check_stochastic
from gdlab.models.hmm import HMM

__all__ = ["GaussianHMM", "GMMHMM", "CategoricalHMM", "PoissonHMM"]

DECODER_ALGORITHMS = ("viterbi", "map")

#: The constructor arguments every hmmlearn model takes (stored by ``_set_params``).
SHARED_PARAMS = ("n_components", "startprob_prior", "transmat_prior", "algorithm",
                 "random_state", "n_iter", "tol", "verbose", "params", "init_params",
                 "implementation")
#: The Gaussian emission arguments of :class:`GaussianHMM` and :class:`GMMHMM`.
GAUSSIAN_PARAMS = ("covariance_type", "min_covar", "means_prior", "means_weight",
                   "covars_prior", "covars_weight")
COVARIANCE_TYPES = ("diag", "full", "spherical", "tied")


def _check_numbers(value, name: str) -> None:
    """Raise ``TypeError`` unless ``value`` is a number or an array of numbers (a prior)."""
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a number or an array of numbers, got "
                        f"{value!r}.") from None


#: gdlab's names in its data-dependent messages -> hmmlearn's (the settings themselves are
#: checked under hmmlearn's names by ``BaseHMM._check_settings`` before any work)
HMMLEARN_NAMES = {r"\b(startprob|transmat|means|covars|weights|emissionprob|lambdas)_init\b":
                  r"\1_", r"\bn_states\b": "n_components",
                  r"\bn_symbols_?\b": "n_features", r"\bsmoothing\b": "emissionprob_prior"}


@contextlib.contextmanager
def _named_as_hmmlearn():
    """Re-raise gdlab's ``ValueError`` naming what the user set as hmmlearn names it: the
    attribute (``means_``, not gdlab's argument ``means_init``), ``n_components``,
    ``n_features`` and ``emissionprob_prior`` (gdlab's ``n_states``, ``n_symbols`` and
    ``smoothing``, its ``emissionprob_prior - 1``)."""
    try:
        yield
    except ValueError as err:
        message = str(err)
        for gdlab_name, hmmlearn_name in HMMLEARN_NAMES.items():
            message = re.sub(gdlab_name, hmmlearn_name, message)
        raise ValueError(message) from None


class BaseHMM(SettingGroupsMixin, BaseEstimator):
    """What the four hmmlearn-compatible models share: fit, scoring, decoding, sampling.

    Subclasses name their emission (``_emission``), its fitted attributes with
    their letters (``_emission_attributes``) and the gdlab keyword arguments
    their hmmlearn arguments become (:meth:`_gdlab_kwargs`).
    """

    _emission = "gaussian"
    #: hmmlearn letter -> (fitted attribute, gdlab ``*_init`` argument) of the emission
    _emission_attributes: dict = {}

    #: the arguments that are numbers or arrays of numbers (priors); None allowed in GMMHMM
    _prior_params = ("startprob_prior", "transmat_prior")

    # -- checks --------------------------------------------------------------------------------
    def _check_settings(self) -> None:
        """Check the constructor arguments under hmmlearn's names before any work (gdlab's
        :class:`HMM` checks ranges and shapes of the priors, which it names alike)."""
        check_int(self.n_components, "n_components")
        check_int(self.n_iter, "n_iter")
        tol = self.tol
        if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or np.isnan(tol):
            raise TypeError(f"tol must be a real number (-inf: run all n_iter), got {tol!r}.")
        check_in(self.algorithm, "algorithm", DECODER_ALGORITHMS)
        check_in(self.implementation, "implementation", ("log", "scaling"))
        for name in self._prior_params:
            value = getattr(self, name)
            if value is not None:
                _check_numbers(value, name)

    # -- translation ---------------------------------------------------------------------------
    def _gdlab_kwargs(self) -> dict:
        """Emission-specific arguments of :class:`gdlab.models.HMM`."""
        return {}

    def to_gdlab(self) -> HMM:
        """The unfitted :class:`gdlab.models.HMM` this model fits (same settings).

        Returns
        -------
        HMM
        """
        return HMM(self.n_components, emission=self._emission,
                   startprob_prior=self.startprob_prior, transmat_prior=self.transmat_prior,
                   max_iter=self.n_iter, tol=0.0, reg_covar=0.0, params=self.params,
                   random_state=self.random_state, **self._gdlab_kwargs())

    def _parameters(self) -> dict:
        """hmmlearn letter -> (fitted attribute, gdlab ``*_init`` argument), start and
        transitions included; gdlab's :class:`HMM` names its fitted attributes alike."""
        return {"s": ("startprob_", "startprob_init"), "t": ("transmat_", "transmat_init"),
                **self._emission_attributes}

    def _letters(self, name):
        value = getattr(self, name)
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string of hmmlearn's letters, got "
                            f"{type(value).__name__}.")
        known = set(self._parameters())
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(f"{name}={value!r} names {unknown}, which {type(self).__name__} "
                             f"does not have; its letters are {''.join(sorted(known))}.")
        return set(value)

    def _attributes(self):
        """hmmlearn letter -> the attribute that stores its parameter on this model."""
        return {letter: name for letter, (name, _) in self._parameters().items()}

    def _model(self) -> HMM:
        """A gdlab HMM holding the current parameters (set by fit or by hand)."""
        check_is_fitted(self, "startprob_")
        missing = [a for a in self._attributes().values() if not hasattr(self, a)]
        if missing:
            shown = ", ".join(name.lstrip("_") for name in missing)
            raise ValueError(f"{type(self).__name__} needs {shown} set (fit it, or set every "
                             "parameter by hand) before this call.")
        S = self.n_components
        check_stochastic(self.startprob_, "startprob_", (S,))
        check_stochastic(self.transmat_, "transmat_", (S, S))
        with _named_as_hmmlearn():
            return HMM.from_params(self.startprob_, self.transmat_, **self._emission_params())

    def _emission_params(self) -> dict:
        raise NotImplementedError  # each subclass names its emission parameters

    def _data_start(self, X, init_letters) -> dict:
        """gdlab ``*_init`` arguments this facade computes from the data as hmmlearn does
        (none but the Gaussian covariances)."""
        return {}

    def _set_from(self, model: HMM):
        stored = self._attributes()
        for letter, (name, _) in self._parameters().items():
            setattr(self, stored[letter], getattr(model, name))

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X, lengths=None):
        """Estimate the parameters by Baum-Welch (EM), as hmmlearn's ``fit``.

        Parameters not in ``init_params`` that are already set (by hand) start EM;
        the others are initialized; only those in ``params`` are updated.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Stacked frames; NaN entries are missing and marginalized.
        lengths : array-like of int, optional
            Lengths of the sequences in X (None: one sequence).

        Returns
        -------
        self
        """
        self._check_settings()
        init_letters = self._letters("init_params")
        self._letters("params")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        model = self.to_gdlab()
        stored = self._attributes()
        given = {arg: getattr(self, stored[letter])
                 for letter, (_, arg) in self._parameters().items()
                 if letter not in init_letters and hasattr(self, stored[letter])}
        given.update(self._data_start(X, init_letters))
        n_frames = X.shape[0]
        model.set_params(tol=max(float(self.tol), 0.0) / max(n_frames, 1), **given)
        with _named_as_hmmlearn():
            model.fit(X, lengths)
        self._set_from(model)
        self.n_features = model.n_features_in_ if self._emission != "categorical" \
            else model.n_symbols_
        self.monitor_ = ConvergenceMonitor(tol=self.tol, max_iter=self.n_iter)
        self.monitor_.history = list(model.monitor_)
        self.monitor_.iter = model.n_iter_
        return self

    # -- scoring and decoding ------------------------------------------------------------------
    def score(self, X, lengths=None) -> float:
        """Total log-likelihood of X (missing entries marginalized).

        Returns
        -------
        float
        """
        return self._model().score(X, lengths)

    def score_samples(self, X, lengths=None):
        """Total log-likelihood and the state posteriors of every frame (hmmlearn's pair).

        Returns
        -------
        log_prob : float
        posteriors : ndarray of shape (n_samples, n_components)
        """
        model = self._model()
        return model.score(X, lengths), model.predict_proba(X, lengths)

    def predict_proba(self, X, lengths=None) -> np.ndarray:
        """State posteriors of every frame.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
        """
        return self._model().predict_proba(X, lengths)

    def decode(self, X, lengths=None, algorithm=None):
        """Most likely states: Viterbi path, or each frame's most probable state ("map").

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        lengths : array-like of int, optional
        algorithm : {"viterbi", "map"}, optional
            Default: the ``algorithm`` the model was built with.

        Returns
        -------
        log_prob : float
            "viterbi": log p(X, path), summed over sequences. "map": as hmmlearn 0.3.3,
            the sum over frames of the largest posterior (not a log-probability;
            :meth:`gdlab.models.HMM.decode` returns the log of each).
        state_sequence : ndarray of shape (n_samples,)
        """
        algorithm = self.algorithm if algorithm is None else algorithm
        if algorithm not in DECODER_ALGORITHMS:
            raise ValueError(f"algorithm must be one of {DECODER_ALGORITHMS}, got {algorithm!r}.")
        model = self._model()
        if algorithm == "map":
            post = model.predict_proba(X, lengths)
            return float(post.max(axis=1).sum()), post.argmax(axis=1)
        log_prob, states = model.decode(X, lengths)
        return float(log_prob.sum()), states

    def predict(self, X, lengths=None) -> np.ndarray:
        """States of :meth:`decode` with the model's ``algorithm``.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.decode(X, lengths)[1]

    def aic(self, X, lengths=None) -> float:
        """Akaike information criterion (lower is better)."""
        return self._model().aic(X, lengths)

    def bic(self, X, lengths=None) -> float:
        """Bayesian information criterion (lower is better)."""
        return self._model().bic(X, lengths)

    def get_stationary_distribution(self) -> np.ndarray:
        """Stationary distribution of the states (hmmlearn's method): the left eigenvector of
        ``transmat_`` for its largest eigenvalue (1), normalized to sum to 1.

        Returns
        -------
        ndarray of shape (n_components,)

        Raises
        ------
        sklearn.exceptions.NotFittedError
            When ``transmat_`` is not set (by fit or by hand).
        """
        check_is_fitted(self, "transmat_")
        S = self.n_components
        check_stochastic(self.transmat_, "transmat_", (S, S))
        eigvals, eigvecs = scipy.linalg.eig(np.asarray(self.transmat_, dtype=np.float64).T)
        eigvec = np.real_if_close(eigvecs[:, np.argmax(eigvals)])
        return eigvec / eigvec.sum()

    # -- sampling ------------------------------------------------------------------------------
    def sample(self, n_samples=1, random_state=None, currstate=None):
        """Draw one sequence of ``n_samples`` frames.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None
            None: the model's ``random_state`` (as hmmlearn).
        currstate : int, optional
            State of the first frame; None: drawn from ``startprob_``.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        state_sequence : ndarray of shape (n_samples,)
        """
        model = self._model()
        rng = check_random_state(self.random_state if random_state is None else random_state)
        if currstate is not None:
            S = self.n_components
            if not (isinstance(currstate, (int, np.integer)) and 0 <= currstate < S):
                raise ValueError(f"currstate must be a state in 0..{S - 1}, got {currstate!r}.")
            model.startprob_ = np.eye(S)[currstate]
        X, states = model.sample(1, length=n_samples, random_state=rng, return_states=True)
        return X[0], states[0].astype(int)


class _GaussianEmissionHMM(BaseHMM):
    """:class:`GaussianHMM` and :class:`GMMHMM`: the Gaussian emission arguments
    (:data:`GAUSSIAN_PARAMS`) as gdlab's."""

    _prior_params = BaseHMM._prior_params + ("means_prior", "means_weight", "covars_prior",
                                             "covars_weight")

    def _check_settings(self):
        super()._check_settings()
        check_in(self.covariance_type, "covariance_type", COVARIANCE_TYPES)
        check_positive(self.min_covar, "min_covar", allow_zero=True)

    def _data_start(self, X, init_letters):
        """hmmlearn's start of the covariances ("c" in ``init_params``): the covariance of
        the frames plus ``min_covar`` on its diagonal, in the layout of ``covariance_type``
        ("spherical": the mean of its diagonal, where hmmlearn takes the mean of every
        entry). Frames with a missing entry are left out; with fewer than two complete
        frames gdlab's own start is used."""
        if "c" not in init_letters:
            return {}
        complete = X[~np.isnan(X).any(axis=1)]
        if len(complete) < 2:
            return {}
        d = X.shape[1]
        cv = np.atleast_2d(np.cov(complete.T)) + self.min_covar * np.eye(d)
        S, M = self.n_components, getattr(self, "n_mix", None)
        one = {"diag": np.diag(cv), "full": cv, "tied": cv,
               "spherical": np.mean(np.diag(cv))}[self.covariance_type]
        if M is None:  # GaussianHMM: one tied matrix; (n_components, ...) otherwise
            shape = () if self.covariance_type == "tied" else (S,)
        else:  # GMMHMM: tied per state; (n_components, n_mix, ...) otherwise
            shape = (S,) if self.covariance_type == "tied" else (S, M)
        return {"covars_init": np.array(np.broadcast_to(one, shape + np.shape(one)))}

    def _gdlab_kwargs(self):
        return dict(covariance=self.covariance_type, means_prior=self.means_prior,
                    means_weight=self.means_weight, covars_prior=self.covars_prior,
                    covars_weight=self.covars_weight)


class GaussianHMM(_GaussianEmissionHMM):
    """Hidden Markov model with Gaussian emissions (hmmlearn's ``GaussianHMM``).

    Parameters
    ----------
    n_components : int, default=1
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
    min_covar : float, default=1e-3
        Added to the diagonal of the data covariance that starts the covariances when
        ``init_params`` has "c" (hmmlearn's use; not used in the M-step).
    startprob_prior, transmat_prior : float or array-like, default=1.0
        Dirichlet priors.
    means_prior, means_weight, covars_prior, covars_weight : default 0, 0, 1e-2, 1
        Conjugate prior of the emissions (hmmlearn's form and defaults).
    algorithm : {"viterbi", "map"}, default="viterbi"
    random_state : int, RandomState instance or None
    n_iter : int, default=10
    tol : float, default=1e-2
        EM stops when the total log-likelihood changes by less than ``tol``.
    verbose : bool, default=False
        Accepted; gdlab prints nothing.
    params, init_params : str, default="stmc"
    implementation : str, default="log"
        Accepted; gdlab uses its one scaled forward-backward engine.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.hmmlearn import hmm
    >>> X = np.r_[np.random.RandomState(0).normal(-3, 1, (50, 1)),
    ...           np.random.RandomState(1).normal(3, 1, (50, 1))]
    >>> model = hmm.GaussianHMM(n_components=2, random_state=0).fit(X)
    >>> np.sort(model.means_.ravel()).round(0).tolist()
    [-3.0, 3.0]
    """

    _emission = "gaussian"
    _emission_attributes = {"m": ("means_", "means_init"), "c": ("covars_", "covars_init")}

    def __init__(self, n_components=1, covariance_type="diag", min_covar=1e-3,
                 startprob_prior=1.0, transmat_prior=1.0, means_prior=0, means_weight=0,
                 covars_prior=1e-2, covars_weight=1, algorithm="viterbi", random_state=None,
                 n_iter=10, tol=1e-2, verbose=False, params="stmc", init_params="stmc",
                 implementation="log"):
        self._set_params(locals(), SHARED_PARAMS + GAUSSIAN_PARAMS)

    @property
    def covars_(self):
        """Covariance matrices (n_components, n_features, n_features), whatever the type
        (hmmlearn's getter); set them in the layout of ``covariance_type``."""
        covars = self._covars_
        S = self.n_components
        if self.covariance_type == "diag":
            return covars[:, :, None] * np.eye(covars.shape[1])
        if self.covariance_type == "spherical":
            d = np.shape(self.means_)[1]
            return np.ravel(covars)[:, None, None] * np.eye(d)
        if self.covariance_type == "tied":
            return np.tile(covars, (S, 1, 1))
        return covars

    @covars_.setter
    def covars_(self, covars):
        self._covars_ = np.array(covars, dtype=np.float64, copy=True)

    def _attributes(self):
        out = super()._attributes()
        out["c"] = "_covars_"
        return out

    def _emission_params(self):
        return dict(means=self.means_, covars=self._covars_, covariance=self.covariance_type)


class GMMHMM(_GaussianEmissionHMM):
    """Hidden Markov model with Gaussian-mixture emissions (hmmlearn's ``GMMHMM``).

    MAP estimation with hmmlearn's priors, whose updates equal hmmlearn's:
    ``weights_prior`` (Dirichlet on each state's mixture weights),
    ``means_prior`` / ``means_weight`` (normal prior of each component's mean;
    a positive ``means_weight`` also adds ``means_weight (mu - means_prior)^2``
    to the covariances' scatter) and ``covars_prior`` / ``covars_weight``
    (hmmlearn's covariance prior, ``HMM(covars_prior_form="gmmhmm")``: scatter
    about the previous means; inverse-gamma alpha, beta for "diag" and
    "spherical", inverse-Wishart Psi, nu for "full" and "tied"; None:
    hmmlearn's defaults, which are maximum likelihood but for "spherical" with
    ``n_mix != n_features``). Where hmmlearn's covariance denominator is not
    positive (a component with no posterior weight, or too little under the
    "spherical" default with ``n_mix > n_features``) it gives NaN or a
    negative covariance; gdlab keeps the previous one. ``covars_`` is in the layout of
    ``covariance_type``, as hmmlearn's.

    Parameters
    ----------
    n_components : int, default=1
    n_mix : int, default=1
    min_covar : float, default=1e-3
        As :class:`GaussianHMM`.
    covariance_type : {"diag", "full", "spherical", "tied"}, default="diag"
    weights_prior : float or array-like of shape (n_components, n_mix), default=1.0
    means_prior : float or array-like of shape (n_components, n_mix, n_features), default=0.0
    means_weight : float or array-like of shape (n_components, n_mix), default=0.0
    covars_prior, covars_weight : float, array-like or None, default=None
        hmmlearn's shapes: "diag" (n_components, n_mix, n_features) each (alpha >= -1.5,
        beta >= 0); "spherical" (n_components, n_mix) each; "full" (n_components,
        n_mix, n_features, n_features) symmetric positive semi-definite and
        (n_components, n_mix) (nu >= -(n_features + 2)); "tied" (n_components,
        n_features, n_features) and (n_components,) (nu >= -(n_mix + n_features + 1)).
    algorithm, random_state, n_iter, tol, verbose, params, init_params, implementation
        As :class:`GaussianHMM` (``params`` letters "stmcw").
    """

    _emission = "gmm"
    _emission_attributes = {"m": ("means_", "means_init"), "c": ("covars_", "covars_init"),
                            "w": ("weights_", "weights_init")}

    def __init__(self, n_components=1, n_mix=1, min_covar=1e-3, startprob_prior=1.0,
                 transmat_prior=1.0, weights_prior=1.0, means_prior=0.0, means_weight=0.0,
                 covars_prior=None, covars_weight=None, algorithm="viterbi",
                 covariance_type="diag", random_state=None, n_iter=10, tol=1e-2,
                 verbose=False, params="stmcw", init_params="stmcw", implementation="log"):
        self._set_params(locals(), SHARED_PARAMS + GAUSSIAN_PARAMS)
        self.n_mix = n_mix
        self.weights_prior = weights_prior

    _prior_params = _GaussianEmissionHMM._prior_params + ("weights_prior",)

    def _check_settings(self):
        super()._check_settings()
        check_int(self.n_mix, "n_mix")

    def _gdlab_kwargs(self):
        return dict(super()._gdlab_kwargs(), n_mix=self.n_mix, weights_prior=self.weights_prior,
                    covars_prior_form="gmmhmm")

    def _emission_params(self):
        return dict(means=self.means_, covars=self.covars_, weights=self.weights_,
                    covariance=self.covariance_type)


class CategoricalHMM(BaseHMM):
    """Hidden Markov model with categorical emissions (hmmlearn's ``CategoricalHMM``).

    Parameters
    ----------
    n_components : int, default=1
    startprob_prior, transmat_prior : float or array-like, default=1.0
    emissionprob_prior : float or array-like of shape (n_components, n_features), default=1.0
        Dirichlet prior of each emission row (values >= 1: ``emissionprob_prior - 1``
        is gdlab's ``smoothing``).
    n_features : int, optional
        Number of symbols (None: from the data).
    algorithm, random_state, n_iter, tol, verbose, params, init_params, implementation
        As :class:`GaussianHMM` (``params`` letters "ste").
    """

    _emission = "categorical"
    _emission_attributes = {"e": ("emissionprob_", "emissionprob_init")}

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 emissionprob_prior=1.0, n_features=None, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False, params="ste",
                 init_params="ste", implementation="log"):
        self._set_params(locals(), SHARED_PARAMS)
        self.emissionprob_prior = emissionprob_prior
        self.n_features = n_features

    _prior_params = BaseHMM._prior_params + ("emissionprob_prior",)

    def _check_settings(self):
        super()._check_settings()
        if self.n_features is not None:
            check_int(self.n_features, "n_features")

    def _gdlab_kwargs(self):
        prior = np.asarray(self.emissionprob_prior, dtype=np.float64)
        if not np.isfinite(prior).all() or (prior < 1).any():
            raise ValueError("CategoricalHMM(emissionprob_prior=...) must be >= 1 in "
                             "gdlab.hmmlearn (a number, or one per state and symbol: "
                             f"Dirichlet concentrations), got {self.emissionprob_prior!r}.")
        smoothing = float(prior) - 1.0 if prior.ndim == 0 else prior - 1.0
        return dict(n_symbols=self.n_features, smoothing=smoothing)

    def _emission_params(self):
        return dict(emissionprob=self.emissionprob_)


class PoissonHMM(BaseHMM):
    """Hidden Markov model with Poisson emissions (hmmlearn's ``PoissonHMM``).

    Parameters
    ----------
    n_components : int, default=1
    startprob_prior, transmat_prior : float or array-like, default=1.0
    lambdas_prior, lambdas_weight : float or array-like, default=0.0
        Gamma(alpha, beta) prior of the rates (numbers, one per state, or
        (n_components, n_features)): the MAP M-step is gdlab's
        ``HMM(lambdas_prior=..., lambdas_weight=...)``, the conjugate posterior
        mean per state (see the module docstring for how it differs from
        hmmlearn 0.3.3 with several states). 0, 0: maximum likelihood.
    algorithm, random_state, n_iter, tol, verbose, params, init_params, implementation
        As :class:`GaussianHMM` (``params`` letters "stl").
    """

    _emission = "poisson"
    _emission_attributes = {"l": ("lambdas_", "lambdas_init")}

    def __init__(self, n_components=1, startprob_prior=1.0, transmat_prior=1.0,
                 lambdas_prior=0.0, lambdas_weight=0.0, algorithm="viterbi",
                 random_state=None, n_iter=10, tol=1e-2, verbose=False, params="stl",
                 init_params="stl", implementation="log"):
        self._set_params(locals(), SHARED_PARAMS)
        self.lambdas_prior = lambdas_prior
        self.lambdas_weight = lambdas_weight

    _prior_params = BaseHMM._prior_params + ("lambdas_prior", "lambdas_weight")

    def _gdlab_kwargs(self):
        return dict(lambdas_prior=self.lambdas_prior, lambdas_weight=self.lambdas_weight)

    def _emission_params(self):
        return dict(lambdas=self.lambdas_)
