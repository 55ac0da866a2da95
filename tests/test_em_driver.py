"""The one EM driver: history, convergence test, the two orders of steps, warnings."""

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from gdlab.inference.em import ConvergenceMonitor, run_em


def _halving():
    """A toy EM whose log-likelihood approaches 0 as -2**-t."""
    calls = []

    def e_step(p):
        calls.append(("e", p))
        return -(2.0 ** -p), p

    def m_step(stat):
        calls.append(("m", stat))
        return stat + 1

    return e_step, m_step, calls


def test_m_step_last_returns_parameters_after_the_last_m_step():
    e_step, m_step, calls = _halving()
    result = run_em(0, e_step, m_step, tol=0.1, max_iter=50)
    # history[t] is the log-likelihood after t M-steps; stops once |diff| < 0.1
    assert result.history == [-1.0, -0.5, -0.25, -0.125, -0.0625]
    assert result.converged and result.n_iter == 5 and result.params == 5
    assert [c[0] for c in calls] == ["e", "m"] * 5


def test_e_step_last_returns_the_parameters_of_the_last_log_likelihood():
    e_step, m_step, calls = _halving()
    result = run_em(0, e_step, m_step, tol=0.1, max_iter=50, m_step_last=False)
    assert result.history == [-1.0, -0.5, -0.25, -0.125, -0.0625]
    assert result.converged and result.n_iter == 4 and result.params == 4
    assert len(result.history) == result.n_iter + 1
    assert calls[-1] == ("e", 4)


@pytest.mark.parametrize("m_step_last", [True, False])
def test_max_iter_caps_the_m_steps_and_the_result_says_not_converged(m_step_last):
    e_step, m_step, calls = _halving()
    result = run_em(0, e_step, m_step, tol=1e-12, max_iter=3, m_step_last=m_step_last)
    assert result.n_iter == 3
    assert sum(c[0] == "m" for c in calls) == 3
    assert not result.converged
    with pytest.warns(ConvergenceWarning, match=r"Toy: EM did not converge in 3 iterations"):
        result.warn_if_not_converged("Toy", 1e-12)


def test_scale_multiplies_the_tolerance():
    monitor = ConvergenceMonitor(tol=0.01, max_iter=5, scale=100.0)
    monitor.report(-10.0)
    monitor.report(-9.5)  # |diff| 0.5 < 0.01 * 100
    assert monitor.converged
    plain = ConvergenceMonitor(tol=0.01, max_iter=5)
    plain.report(-10.0)
    plain.report(-9.5)
    assert not plain.converged


def test_nan_log_likelihood_is_an_error_not_a_silent_stop():
    with pytest.raises(ValueError, match="NaN log-likelihood at iteration 1"):
        run_em(0.0, lambda p: (np.nan if p else -1.0, p), lambda s: s + 1, tol=1e-3, max_iter=5)


def test_converged_result_does_not_warn():
    e_step, m_step, _ = _halving()
    result = run_em(0, e_step, m_step, tol=0.1, max_iter=50)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result.warn_if_not_converged("Toy", 0.1)


def test_previous_log_likelihood_continues_a_run():
    """``previous`` (a warm start) is compared with the first E-step and left out of history."""
    x = np.array([1.0, 2.0, 3.0])

    def e_step(mu):
        return float(-0.5 * ((x - mu) ** 2).sum()), x.mean()

    cold = run_em(2.0, e_step, lambda s: s, tol=1e-9, max_iter=10)
    warm = run_em(2.0, e_step, lambda s: s, tol=1e-9, max_iter=10, previous=cold.history[-1])
    assert cold.n_iter == 2 and warm.n_iter == 1 and warm.converged
    assert warm.history == [cold.history[-1]]
