"""Behaviour of the discrete distributions (gdlab.distributions.discrete)."""

import numpy as np
import pytest
from scipy.special import logsumexp

from gdlab.distributions.common import group_indicator
from gdlab.distributions.discrete import (
    Bernoulli,
    Categorical,
    Multinomial,
    Poisson,
    categorical_log_prob,
    mode_of_mixture,
    sample_categorical,
)

N_GROUPS = 3


def _fit(dist, X, y, n_groups=N_GROUPS, batches=1, **hyper):
    """Parameters from statistics summarized over ``batches`` consecutive row blocks."""
    stats = dist.new_summaries(n_groups, X.shape[1])
    for rows in np.array_split(np.arange(X.shape[0]), batches):
        dist.summarize(stats, X[rows], y[rows], group_indicator(y[rows], n_groups))
    return stats, dist.from_summaries(stats, **hyper)


def _binary(n=500, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_GROUPS, n)
    p = rng.uniform(0.1, 0.9, (N_GROUPS, d))
    return (rng.random((n, d)) < p[y]).astype(float), y


def _counts(n=500, d=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_GROUPS, n)
    rates = rng.uniform(0.5, 5.0, (N_GROUPS, d))
    return rng.poisson(rates[y]).astype(float), y


def _codes(n=500, d=3, n_codes=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_GROUPS, n)
    return rng.integers(0, n_codes, (n, d)).astype(float), y


def _with_nan(X, frac=0.25, seed=1):
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < frac] = np.nan
    return X


# -- the categorical table ------------------------------------------------------------------------
def test_categorical_log_prob_normalizes_over_the_alphabet_and_missing_is_zero():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(5), size=N_GROUPS)  # (K, V)
    log_probs = np.log(probs)
    every_symbol = categorical_log_prob(log_probs, np.arange(5))  # (V, K)
    assert every_symbol.shape == (5, N_GROUPS)
    np.testing.assert_allclose(np.exp(every_symbol).sum(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(every_symbol, log_probs.T)
    np.testing.assert_array_equal(categorical_log_prob(log_probs, np.array([-1, -1])), 0.0)


def test_categorical_log_prob_allows_impossible_symbols():
    with np.errstate(divide="ignore"):
        log_probs = np.log(np.array([[1.0, 0.0], [0.5, 0.5]]))
    out = categorical_log_prob(log_probs, np.array([1, 0]))
    assert out[0, 0] == -np.inf and np.isfinite(out[0, 1]) and out[1, 0] == 0.0


def test_sample_categorical_frequencies_recover_the_probabilities():
    probs = np.array([0.1, 0.6, 0.3])
    draws = sample_categorical(np.tile(probs, (20_000, 1)), np.random.RandomState(0))
    freq = np.bincount(draws.astype(int), minlength=3) / draws.size
    np.testing.assert_allclose(freq, probs, atol=0.015)


def test_mode_of_mixture_weights_the_groups():
    probs = np.array([[0.6, 0.4, 0.0], [0.0, 0.45, 0.55]])
    posterior = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    np.testing.assert_array_equal(mode_of_mixture(posterior, probs), [0.0, 2.0, 1.0])


# -- the per-feature distributions -----------------------------------------------------------------
def test_bernoulli_log_prob_normalizes_over_both_values():
    X, y = _binary(d=1)
    _, params = _fit(Bernoulli, X, y, alpha=1.0)
    both = Bernoulli.log_prob(np.array([[0.0], [1.0]]), **params)  # (2, K)
    np.testing.assert_allclose(logsumexp(both, axis=0), 0.0, atol=1e-12)


def test_categorical_log_prob_normalizes_over_known_codes_plus_unseen():
    X, y = _codes(d=1)
    _, params = _fit(Categorical, X, y, alpha=0.5)
    n_codes = int(params["n_categories"][0])
    every = Categorical.log_prob(np.arange(n_codes + 1, dtype=float)[:, None], **params)
    np.testing.assert_allclose(logsumexp(every, axis=0), 0.0, atol=1e-12)
    # every code beyond the known ones is the "unseen" bucket
    beyond = Categorical.log_prob(np.array([[n_codes + 7.0]]), **params)
    np.testing.assert_array_equal(beyond, every[-1:])


def test_poisson_log_prob_normalizes_over_the_counts():
    X, y = _counts(d=1)
    _, params = _fit(Poisson, X, y, alpha=1.0)
    support = np.arange(200, dtype=float)[:, None]
    np.testing.assert_allclose(
        logsumexp(Poisson.log_prob(support, **params), axis=0), 0.0, atol=1e-12
    )


def test_multinomial_log_prob_normalizes_over_counts_with_a_given_total():
    X, y = _counts(d=3)
    _, params = _fit(Multinomial, X, y, alpha=1.0)
    total = 4
    rows = np.array(
        [(a, b, total - a - b) for a in range(total + 1) for b in range(total + 1 - a)], float
    )
    np.testing.assert_allclose(
        logsumexp(Multinomial.log_prob(rows, **params), axis=0), 0.0, atol=1e-12
    )


DISTRIBUTIONS = {
    "bernoulli": (Bernoulli, _binary, {"alpha": 1.0}),
    "poisson": (Poisson, _counts, {"alpha": 1.0}),
    "categorical": (Categorical, _codes, {"alpha": 1.0}),
    "multinomial": (Multinomial, _counts, {"alpha": 1.0}),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_missing_entries_contribute_nothing(name):
    dist, data, hyper = DISTRIBUTIONS[name]
    X, y = data()
    _, params = _fit(dist, X, y, **hyper)
    np.testing.assert_array_equal(dist.log_prob(np.full((2, X.shape[1]), np.nan), **params), 0.0)
    if name == "multinomial":
        return  # a joint over the features: dropping one renormalizes theta (tested in NB)
    X_nan = X[:20].copy()
    X_nan[:, 0] = np.nan
    np.testing.assert_allclose(
        dist.log_prob(X_nan, **params),
        dist.log_prob(X[:20], **params) - dist.log_prob(X[:20, :1], **_first_feature(params)),
        atol=1e-10,
    )


def _first_feature(params):
    """The parameters of feature 0 alone (per-feature distributions only)."""
    if "flat_log_prob" in params:
        # the flat table of one feature: its log-probabilities and the zero column
        log_probs = params["log_probs"][:1]
        flat = np.hstack(log_probs + [np.zeros((log_probs[0].shape[0], 1))])
        return {
            "n_categories": params["n_categories"][:1],
            "offsets": params["offsets"][:1],
            "flat_log_prob": flat,
        }
    return {key: value[:, :1] for key, value in params.items()}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_statistics_merged_over_batches_equal_one_pass(name):
    dist, data, hyper = DISTRIBUTIONS[name]
    X, y = data()
    X = _with_nan(X)
    one_stats, one = _fit(dist, X, y, **hyper)
    many_stats, many = _fit(dist, X, y, batches=7, **hyper)
    for key in one:
        for a, b in zip(np.atleast_1d(one[key]), np.atleast_1d(many[key]), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(dist.log_prob(X, **one), dist.log_prob(X, **many), rtol=1e-12)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_sampling_frequencies_recover_the_parameters(name):
    dist, data, hyper = DISTRIBUTIONS[name]
    X, y = data(n=3_000)
    _, params = _fit(dist, X, y, **hyper)
    y_draw = np.repeat(np.arange(N_GROUPS), 4_000)
    draws = dist.sample(y_draw, np.random.RandomState(0), **params)
    assert draws.shape == (y_draw.size, X.shape[1])
    # the mean of the draws of each group is the distribution's mean
    means = np.vstack([draws[y_draw == k].mean(axis=0) for k in range(N_GROUPS)])
    np.testing.assert_allclose(means, dist.mean(**params), atol=0.12)
    # refitting on the draws recovers the parameters
    _, refit = _fit(dist, draws, y_draw, **hyper)
    key = {"categorical": "log_probs"}.get(name, "log_prob" if name != "poisson" else "rate")
    for a, b in zip(np.atleast_1d(refit[key]), np.atleast_1d(params[key]), strict=True):
        np.testing.assert_allclose(np.exp(a) if "log" in key else a,
                                   np.exp(b) if "log" in key else b, atol=0.1)


def test_categorical_samples_only_drawable_codes():
    X = np.array([[2007.0], [2008.0], [2009.0]])
    y = np.array([0, 1, 2])
    _, params = _fit(Categorical, X, y, alpha=1.0)
    draws = Categorical.sample(np.repeat(np.arange(3), 300), np.random.RandomState(0), **params)
    assert set(np.unique(draws)) <= {2007.0, 2008.0, 2009.0}


@pytest.mark.parametrize(
    ("dist", "bad", "message"),
    [
        (Bernoulli, 0.5, "binary values"),
        (Poisson, -1.0, "non-negative counts"),
        (Categorical, -1.0, "Negative values"),
        (Categorical, 1.5, "Non-integer codes"),
    ],
)
def test_values_outside_the_support_are_refused_naming_the_column(dist, bad, message):
    X = np.array([[0.0, 1.0], [1.0, bad]])
    with pytest.raises(ValueError, match=f"{message}.*row 1, column 'b'"):
        dist.check_support(X, "here", np.array(["a", "b"]))


def test_sample_categorical_never_draws_a_zero_probability_category():
    class Edge:  # a generator at the ends of [0, 1): u = 0, then u just below 1
        def __init__(self, u):
            self.u = u

        def random_sample(self, n):
            return np.full(n, self.u)

    probs = np.array([[0.0, 0.5, 0.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(sample_categorical(probs, Edge(0.0)), [1, 2])
    np.testing.assert_array_equal(sample_categorical(probs, Edge(1.0 - 2.0**-53)), [3, 2])
    assert sample_categorical(probs, np.random.RandomState(0)).dtype.kind == "i"
