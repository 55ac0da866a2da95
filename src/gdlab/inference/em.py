"""One expectation-maximization driver and its convergence monitor.

Every EM fit in gdlab (the Gaussian classifier with missing entries, the Gaussian
mixture, the hidden Markov model) runs through :func:`run_em`: the model gives an
E-step ``params -> (log_likelihood, statistics)`` and an M-step
``statistics -> params``; the driver records the history, decides convergence and
warns when it did not converge. The monitor follows hmmlearn's
``ConvergenceMonitor``: EM stops when the log-likelihood changes by less than
``tol`` between two iterations.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sklearn.exceptions import ConvergenceWarning

P = TypeVar("P")
S = TypeVar("S")


@dataclass
class ConvergenceMonitor:
    """Record the log-likelihood of each EM iteration and decide convergence.

    Parameters
    ----------
    tol : float
        EM has converged when two consecutive log-likelihoods differ by less than
        ``tol * scale`` (in absolute value).
    max_iter : int
        Most M-steps the driver takes.
    scale : float, default=1.0
        Multiplies ``tol``: a model whose history is a sum over frames passes the
        number of frames, so that ``tol`` stays a per-frame quantity.

    Attributes
    ----------
    history : list of float
        The recorded log-likelihoods, in order.

    Examples
    --------
    >>> monitor = ConvergenceMonitor(tol=1e-3, max_iter=10)
    >>> monitor.report(-5.0); monitor.report(-4.9995)
    >>> monitor.converged
    True
    """

    tol: float
    max_iter: int
    scale: float = 1.0
    history: list[float] = field(default_factory=list)

    def report(self, log_likelihood: float) -> None:
        """Append one iteration's log-likelihood to the history.

        Raises
        ------
        ValueError
            If ``log_likelihood`` is NaN: EM cannot continue from it.
        """
        value = float(log_likelihood)
        if math.isnan(value):
            raise ValueError(
                f"EM produced a NaN log-likelihood at iteration {len(self.history)}; "
                "the data or the parameters are not finite."
            )
        self.history.append(value)

    @property
    def converged(self) -> bool:
        """Whether the last two recorded values differ by less than ``tol * scale``."""
        return (
            len(self.history) >= 2
            and abs(self.history[-1] - self.history[-2]) < self.tol * self.scale
        )


@dataclass
class EMResult(Generic[P, S]):
    """What :func:`run_em` returns.

    Attributes
    ----------
    params : object
        The fitted parameters (see ``m_step_last`` of :func:`run_em` for which).
    history : list of float
        The log-likelihood of each E-step, in order.
    converged : bool
        Whether EM stopped on the tolerance rather than on ``max_iter``.
    n_iter : int
        The number of M-steps taken.
    statistics : object
        The statistics of the last E-step (stepwise EM keeps them).
    """

    params: P
    history: list[float]
    converged: bool
    n_iter: int
    statistics: S | None

    def warn_if_not_converged(self, owner: str, tol: float, *, stacklevel: int = 3) -> None:
        """Warn with scikit-learn's ``ConvergenceWarning`` when EM hit ``max_iter``.

        Parameters
        ----------
        owner : str
            The name the message starts with (the estimator's class name).
        tol : float
            The tolerance the user set, quoted in the message.
        stacklevel : int, default=3
            Passed to :func:`warnings.warn`.
        """
        if not self.converged:
            warnings.warn(
                f"{owner}: EM did not converge in {self.n_iter} iterations "
                f"(tol={tol}); increase max_iter or tol.",
                ConvergenceWarning,
                stacklevel=stacklevel,
            )

    def record(self, estimator, tol: float) -> None:
        """Give a fitted ``estimator`` this run's ``converged_``, ``n_iter_`` and
        ``log_likelihood_history_``, then warn as :meth:`warn_if_not_converged` does.

        Called last in ``fit`` (after every other fitted attribute is set), so the
        warning points at the line that called ``fit``.

        Parameters
        ----------
        estimator : object
            The estimator that ran EM; its class name starts the warning.
        tol : float
            The tolerance the user set, quoted in the warning.
        """
        estimator.converged_ = self.converged
        estimator.n_iter_ = self.n_iter
        estimator.log_likelihood_history_ = self.history
        self.warn_if_not_converged(type(estimator).__name__, tol, stacklevel=4)


def run_em(
    params: P,
    e_step: Callable[[P], tuple[float, S]],
    m_step: Callable[[S], P],
    *,
    tol: float,
    max_iter: int,
    scale: float = 1.0,
    m_step_last: bool = True,
    previous: float | None = None,
) -> EMResult[P, S]:
    """Run EM from ``params`` until the log-likelihood settles or ``max_iter``.

    Parameters
    ----------
    params : object
        The starting parameters (an initialization).
    e_step : callable
        ``e_step(params) -> (log_likelihood, statistics)``: the log-likelihood
        of the data under ``params`` and the expected statistics the M-step needs.
        It may raise ``ValueError`` for data the parameters give zero probability.
    m_step : callable
        ``m_step(statistics) -> params``: the maximizing parameters.
    tol : float
        Convergence tolerance (see :class:`ConvergenceMonitor`).
    max_iter : int
        The most M-steps to take.
    scale : float, default=1.0
        Multiplies ``tol`` (see :class:`ConvergenceMonitor`).
    m_step_last : bool, default=True
        True (scikit-learn's ``GaussianMixture`` and hmmlearn's convention): each
        iteration is E-step, M-step, then the convergence test, and the returned
        parameters are those after the last M-step; ``history[t]`` is the
        log-likelihood of the parameters after t M-steps. False: each iteration
        is E-step, convergence test, M-step, and the returned parameters are the
        ones the last recorded log-likelihood was computed at, so the history ends
        with the returned parameters' log-likelihood (and has ``n_iter + 1``
        entries).
    previous : float, optional
        The last log-likelihood of an earlier run that ``params`` continue
        (scikit-learn's ``warm_start``): the first E-step is compared with it, so
        a converged fit restarted from its parameters stops after one iteration.
        It is not part of the returned history.

    Returns
    -------
    EMResult

    Examples
    --------
    Estimating the mean of a Gaussian with known unit variance (one M-step is
    exact, so EM converges at the second E-step):

    >>> import numpy as np
    >>> x = np.array([1.0, 2.0, 3.0])
    >>> def e_step(mu):
    ...     return float(-0.5 * ((x - mu) ** 2).sum()), x.mean()
    >>> result = run_em(0.0, e_step, lambda stat: stat, tol=1e-9, max_iter=10,
    ...                 m_step_last=False)
    >>> result.params, result.n_iter, result.converged
    (np.float64(2.0), 2, True)
    """
    monitor = ConvergenceMonitor(tol=tol, max_iter=max_iter, scale=scale)
    if previous is not None:
        monitor.report(previous)
    statistics: Any = None
    n_iter = 0
    while True:
        log_likelihood, statistics = e_step(params)
        monitor.report(log_likelihood)
        if m_step_last:
            if n_iter >= max_iter:
                break
            params = m_step(statistics)
            n_iter += 1
            if monitor.converged or n_iter >= max_iter:
                break
        else:
            if monitor.converged or n_iter >= max_iter:
                break
            params = m_step(statistics)
            n_iter += 1
    history = monitor.history[1:] if previous is not None else monitor.history
    return EMResult(params, history, monitor.converged, n_iter, statistics)
