"""Discrete distributions: categorical, Bernoulli, Poisson and multinomial.

Two layers:

- functions on a table of categorical log-probabilities, shared by every model
  with a categorical variable (naive Bayes features, HMM emissions):
  :func:`categorical_log_prob`, :func:`sample_categorical`,
  :func:`mode_of_mixture`;
- per-feature distributions for models whose features are independent given
  a group (the class in naive Bayes): :class:`Bernoulli`, :class:`Poisson`,
  :class:`Categorical` and :class:`Multinomial` (a joint over all features).

The per-feature distributions hold no state. Their sufficient statistics and
fitted parameters are plain dicts of arrays, owned by the model (so that a
saved model holds arrays only), in the pomegranate v1 pattern:
``new_summaries`` (empty statistics), ``summarize`` (add a batch; batch-wise
calls equal one pass), ``from_summaries`` (parameters). With the parameters
as keyword arguments: ``log_prob`` (n_samples, n_groups), NaN entries
marginalized (they contribute 0); ``sample`` (one row per group index);
``mean`` (n_groups, n_features); ``impute`` (values from a posterior over the
groups). ``check_support`` refuses values outside the support.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.special import gammaln

from gdlab.distributions.common import (
    check_finite_parameters,
    missing_mask,
    raise_first_bad,
    row_weights,
)

__all__ = [
    "MAX_CATEGORY_CODE",
    "categorical_log_prob",
    "sample_categorical",
    "mode_of_mixture",
    "Bernoulli",
    "Poisson",
    "Categorical",
    "Multinomial",
]

#: category codes at fit must be below this: each code c allocates a count table of
#: n_groups x (c + 1); codes beyond it are almost always ids or years, not categories
MAX_CATEGORY_CODE = 2**20


# ---------------------------------------------------------------------------
# one categorical variable, given a table of log-probabilities
# ---------------------------------------------------------------------------
def categorical_log_prob(log_probs: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """log p(x = code | group k) for every row and group; 0 where the code is missing.

    Parameters
    ----------
    log_probs : ndarray of shape (n_groups, n_symbols)
        Log-probabilities of the symbols 0 .. n_symbols - 1 in each group
        (-inf allowed).
    codes : ndarray of int of shape (n_samples,)
        Symbol of each row, in 0 .. n_symbols - 1, or -1 for a missing symbol
        (marginalized: it contributes log 1 = 0).

    Returns
    -------
    ndarray of shape (n_samples, n_groups)

    Examples
    --------
    >>> import numpy as np
    >>> log_probs = np.log([[0.5, 0.5], [0.9, 0.1]])
    >>> np.exp(categorical_log_prob(log_probs, np.array([1, -1])))
    array([[0.5, 0.1],
           [1. , 1. ]])
    """
    table = np.hstack([log_probs, np.zeros((log_probs.shape[0], 1))])
    return table[:, codes].T  # code -1 picks the zero column


def sample_categorical(probs: np.ndarray, rng) -> np.ndarray:
    """One draw per row from the categorical distributions in the rows of ``probs``.

    The one categorical draw of gdlab (naive Bayes, HMM states, symbols and
    mixture components, synthetic sequences): with ``u`` uniform on
    ``[0, sum(row))``, the code drawn is the number of cumulative sums
    ``<= u``, so a category of probability 0 is never drawn.

    Parameters
    ----------
    probs : ndarray of shape (n_samples, n_symbols)
        Non-negative probabilities of each row (normalized or not: each row is
        scaled by its sum).
    rng : numpy.random.RandomState
        Consumes one uniform draw per row.

    Returns
    -------
    ndarray of int of shape (n_samples,)
        The codes drawn, 0 .. n_symbols - 1.

    Examples
    --------
    >>> sample_categorical(np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), np.random.RandomState(0))
    array([1, 2])
    """
    cdf = np.cumsum(probs, axis=1)
    u = rng.random_sample(probs.shape[0])[:, None] * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)


def mode_of_mixture(posterior: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """argmax_v sum_k posterior[n, k] probs[k, v]: the mode of a mixture of categoricals.

    Parameters
    ----------
    posterior : ndarray of shape (n_samples, n_groups)
        Mixture weights of each row.
    probs : ndarray of shape (n_groups, n_symbols)

    Returns
    -------
    ndarray of float of shape (n_samples,)
    """
    return np.argmax(posterior @ probs, axis=1).astype(np.float64)


def _sparse_group_sums(indicator, X):
    """indicator @ X for a sparse X (and the sparse indicator), as a dense
    (n_groups, n_features) array."""
    # X.T @ (dense indicator): the result is dense from the start, no sparse (groups x
    # features) intermediate; the indicator is n_samples x n_groups
    dense = indicator.toarray() if sp.issparse(indicator) else np.asarray(indicator)
    return np.asarray(X.T @ dense.T).T


def _zero_summaries(n_groups, n_features, *names):
    """Empty statistics: one (n_groups, n_features) array of zeros per name."""
    return {name: np.zeros((n_groups, n_features)) for name in names}


def _add_counts_and_sums(stats, X, indicator, count, total):
    """Add a batch's observed entries (``stats[count]``) and their sums (``stats[total]``)
    per group and feature; ``indicator`` is :func:`group_indicator` of the rows' groups.

    X may be a scipy.sparse matrix: every entry is observed (its implicit zeros are
    zeros, not missing values), and nothing of X's size is made dense.
    """
    if sp.issparse(X):
        stats[count] = stats[count] + np.asarray(indicator.sum(axis=1)).reshape(-1, 1)
        stats[total] = stats[total] + _sparse_group_sums(indicator, X)
        return
    stats[count] = stats[count] + indicator @ (~np.isnan(X)).astype(np.float64)
    stats[total] = stats[total] + indicator @ np.nan_to_num(X, nan=0.0)


# ---------------------------------------------------------------------------
# independent features, one distribution per (group, feature)
# ---------------------------------------------------------------------------
class Bernoulli:
    """Independent binary features: p_kj = (ones_kj + alpha) / (observed_kj + 2 alpha).

    Statistics: ``count`` (observed entries) and ``ones``, each (n_groups,
    n_features). Parameters: ``log_prob`` = log P(x_j = 1 | k) and
    ``log_prob_neg`` = log P(x_j = 0 | k).

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.distributions.common import group_indicator
    >>> X, y = np.array([[1.0], [0.0], [np.nan]]), np.array([0, 0, 0])
    >>> stats = Bernoulli.new_summaries(1, 1)
    >>> Bernoulli.summarize(stats, X, y, group_indicator(y, 1))
    >>> params = Bernoulli.from_summaries(stats, alpha=1.0)
    >>> np.exp(params["log_prob"])
    array([[0.5]])
    """

    @staticmethod
    def new_summaries(n_groups, n_features):
        """Empty statistics."""
        return _zero_summaries(n_groups, n_features, "count", "ones")

    @staticmethod
    def check_support(X, where, names=None):
        """Raise ``ValueError`` for values other than 0, 1 and NaN, naming the first."""
        bad = ~np.isnan(X) & (X != 0) & (X != 1)
        raise_first_bad(bad, X, names, f"{where} expects binary values 0/1 (or NaN for missing), ")

    @staticmethod
    def summarize(stats, X, y_idx, indicator):
        """Add a batch: ``indicator`` is :func:`group_indicator` of ``y_idx``.

        X may be a scipy.sparse matrix of 0/1: every entry is observed (its
        implicit zeros are zeros, not missing values).
        """
        _add_counts_and_sums(stats, X, indicator, "count", "ones")

    @staticmethod
    def from_summaries(stats, *, alpha):
        """Smoothed parameters ``log_prob`` and ``log_prob_neg``; ``alpha`` is a float or
        one value per feature."""
        prob = (stats["ones"] + alpha) / (stats["count"] + 2.0 * alpha)
        return {"log_prob": np.log(prob), "log_prob_neg": np.log1p(-prob)}

    @staticmethod
    def log_prob(X, *, log_prob, log_prob_neg, **_):
        """sum_j over observed j of log p(x_j | k), shape (n_samples, n_groups); X may be
        sparse (every entry observed)."""
        if sp.issparse(X):
            return np.asarray(X @ (log_prob - log_prob_neg).T) + log_prob_neg.sum(axis=1)
        missing = missing_mask(X)
        if missing is not None:
            return (
                np.where(missing, 0.0, X) @ (log_prob - log_prob_neg).T
                + np.logical_not(missing).astype(np.float64) @ log_prob_neg.T
            )
        return X @ (log_prob - log_prob_neg).T + log_prob_neg.sum(axis=1)

    @staticmethod
    def sample(y_idx, rng, *, log_prob, **_):
        """One row of 0/1 values per entry of ``y_idx`` (a group index)."""
        prob = np.exp(log_prob[y_idx])
        return (rng.random_sample(prob.shape) < prob).astype(np.float64)

    @staticmethod
    def mean(*, log_prob, **_):
        """P(x_j = 1 | k), shape (n_groups, n_features)."""
        return np.exp(log_prob)

    @staticmethod
    def impute(posterior, *, log_prob, **_):
        """Mode of each feature under the posterior mixture: 1 when P(x_j = 1) > 1/2."""
        return (posterior @ np.exp(log_prob) > 0.5).astype(np.float64)


class Poisson:
    """Independent count features: x_j | k ~ Poisson(rate_kj).

    rate_kj = (sum_kj + alpha) / (observed_kj + alpha): the posterior mean under
    a Gamma(alpha, alpha) prior (prior mean 1), finite and positive for every group.
    Statistics: ``count`` (observed entries) and ``sum``; parameter: ``rate``.
    """

    @staticmethod
    def new_summaries(n_groups, n_features):
        """Empty statistics."""
        return _zero_summaries(n_groups, n_features, "count", "sum")

    @staticmethod
    def check_support(X, where, names=None):
        """Raise ``ValueError`` for negative values, naming the first."""
        bad = X < 0  # NaN compares False
        raise_first_bad(bad, X, names, f"{where} expects non-negative counts, ")

    @staticmethod
    def check_defined(rate, classes, names, estimator):
        """Raise when a fitted rate overflowed (counts too large for float64 sums)."""
        check_finite_parameters({"rate": rate}, classes, names, estimator)

    @staticmethod
    def summarize(stats, X, y_idx, indicator):
        """Add a batch: ``indicator`` is :func:`group_indicator` of ``y_idx``."""
        _add_counts_and_sums(stats, X, indicator, "count", "sum")

    @staticmethod
    def from_summaries(stats, *, alpha):
        """Smoothed parameter ``rate``."""
        return {"rate": (stats["sum"] + alpha) / (stats["count"] + alpha)}

    @staticmethod
    def log_prob(X, *, rate, **_):
        """sum_j over observed j of log Poisson(x_j; rate_kj), shape (n_samples, n_groups)."""
        observed = ~np.isnan(X)
        X0 = np.where(observed, X, 0.0)
        const = gammaln(X0 + 1.0).sum(axis=1)[:, None]
        return X0 @ np.log(rate).T - observed.astype(np.float64) @ rate.T - const

    @staticmethod
    def sample(y_idx, rng, *, rate, **_):
        """One row of counts per entry of ``y_idx`` (a group index)."""
        return rng.poisson(rate[y_idx]).astype(np.float64)

    @staticmethod
    def mean(*, rate, **_):
        """The rates, shape (n_groups, n_features)."""
        return rate

    @staticmethod
    def impute(posterior, *, rate, **_):
        """Posterior mean of each feature."""
        return posterior @ rate


class Categorical:
    """Independent categorical features coded 0 .. C_j - 1, with an "unseen" bucket.

    Statistics: ``counts``, a list with one (n_groups, C_j) array per feature,
    grown when a batch brings a larger code, and ``declared`` (one int per
    feature: the declared categories, e.g. ``min_categories``; for MixedNB
    every label it knows). Parameters: for each feature
    p_kjc = (N_kjc + alpha) / (N_kj + alpha (C_j + 1)) for c < C_j and
    alpha / (N_kj + alpha (C_j + 1)) for the reserved code C_j, which every
    code >= C_j (a category not seen in training) maps to: each distribution
    sums to one over the C_j known categories plus "unseen".

    Sampling, the mean and the mode use the *drawable* categories only: codes
    observed in training (in any group) or declared. The codes below the
    largest observed one that were never observed nor declared (0 .. 2006 when
    the data hold 2007 .. 2009) keep their smoothing mass in the likelihood,
    as the unseen bucket does, but are never produced as values.

    Examples
    --------
    >>> import numpy as np
    >>> from gdlab.distributions.common import group_indicator
    >>> X, y = np.array([[0.0], [1.0], [1.0]]), np.array([0, 0, 0])
    >>> stats = Categorical.new_summaries(1, 1)
    >>> Categorical.summarize(stats, X, y, group_indicator(y, 1))
    >>> params = Categorical.from_summaries(stats, alpha=1.0)
    >>> np.exp(params["log_probs"][0])  # codes 0, 1 and "unseen"
    array([[0.33333333, 0.5       , 0.16666667]])
    """

    @staticmethod
    def new_summaries(n_groups, n_features):
        """Empty statistics: no known category yet."""
        return {
            "counts": [np.zeros((n_groups, 0)) for _ in range(n_features)],
            "declared": np.zeros(n_features, dtype=np.int64),
        }

    @staticmethod
    def check_support(X, where, names=None):
        """Raise ``ValueError`` for negative or fractional codes, naming the first."""
        negative = X < 0  # NaN compares False
        fractional = ~negative & (X != np.floor(X)) & ~np.isnan(X)
        for bad, problem in (
            (negative, "Negative values in data"),
            (fractional, "Non-integer codes"),
        ):
            raise_first_bad(bad, X, names, f"{problem} passed to {where}, which expects "
                             "non-negative integer category codes (or NaN for missing): ")

    @staticmethod
    def check_trainable(X, where, names=None):
        """Raise when a training code would need an absurdly large count table.

        Codes are positions in a table of n_groups x (largest code + 1)
        counts, so training codes must be below :data:`MAX_CATEGORY_CODE`. At
        predict, larger codes are fine: they are categories never seen in
        training (the "unseen" bucket).
        """
        raise_first_bad(
            X >= MAX_CATEGORY_CODE,  # NaN compares False
            X,
            names,
            f"{where} expects category codes below {MAX_CATEGORY_CODE} (2**20) at fit: each "
            "code is a column of the count table, so code c needs c + 1 columns; ",
            ". Re-encode the feature to consecutive codes 0 .. C-1 (e.g. "
            "sklearn.preprocessing.OrdinalEncoder), or use MixedNB, which takes any labels.",
        )

    @staticmethod
    def summarize(stats, X, y_idx, indicator, min_categories=None):
        """Add a batch; ``min_categories`` (one int per feature) declares categories."""
        n_groups = indicator.shape[0]
        weights = row_weights(indicator)  # sample_weight (ones when none was given)
        counts = stats["counts"]
        if min_categories is not None:
            stats["declared"] = np.maximum(stats["declared"], np.asarray(min_categories))
        for j in range(X.shape[1]):
            col = X[:, j]
            observed = ~np.isnan(col)
            codes = col[observed].astype(np.intp)
            needed = max(
                counts[j].shape[1],
                int(codes.max()) + 1 if codes.size else 0,
                0 if min_categories is None else int(min_categories[j]),
            )
            if needed > counts[j].shape[1]:
                grown = np.zeros((n_groups, needed))
                grown[:, : counts[j].shape[1]] = counts[j]
                counts[j] = grown
            flat = np.bincount(y_idx[observed] * needed + codes, weights=weights[observed],
                               minlength=n_groups * needed)
            counts[j] = counts[j] + flat.reshape(n_groups, needed)

    @staticmethod
    def from_summaries(stats, *, alpha, unseen_bucket=True):
        """Smoothed parameters: ``log_probs`` (one (n_groups, C_j + 1) table per
        feature, "unseen" last), ``n_categories``, ``drawable`` and the flat
        table that :meth:`log_prob` reads (``offsets``, ``flat_log_prob``).

        ``alpha`` is a float or one value per feature. With
        ``unseen_bucket=False`` no mass is reserved for unseen codes:
        p_kjc = (N_kjc + alpha) / (N_kj + alpha C_j) (scikit-learn's
        CategoricalNB) and the "unseen" column is -inf, so the caller must
        refuse codes >= C_j.
        """
        log_probs, n_categories = [], []
        alphas = np.broadcast_to(np.asarray(alpha, dtype=np.float64), (len(stats["counts"]),))
        for count, a in zip(stats["counts"], alphas, strict=True):
            unseen = np.full((count.shape[0], 1), a if unseen_bucket else 0.0)
            smoothed = np.hstack([count + a, unseen])
            with np.errstate(divide="ignore", invalid="ignore"):
                log_probs.append(np.log(smoothed / smoothed.sum(axis=1, keepdims=True)))
            n_categories.append(count.shape[1])
        n_categories = np.asarray(n_categories, dtype=np.int64)
        drawable = [
            (count.sum(axis=0) > 0) | (np.arange(count.shape[1]) < declared)
            for count, declared in zip(stats["counts"], stats["declared"], strict=True)
        ]
        offsets = np.concatenate([[0], np.cumsum(n_categories + 1)])
        # one flat table, plus a zero column that missing entries point at
        flat = np.hstack(log_probs + [np.zeros((stats["counts"][0].shape[0], 1))])
        return {
            "log_probs": log_probs,
            "n_categories": n_categories,
            "drawable": drawable,
            "offsets": offsets[:-1],
            "flat_log_prob": flat,
        }

    @staticmethod
    def check_defined(n_categories, names, estimator):
        """Raise when a feature has no known category (never observed, no declared
        categories): nothing could be sampled or imputed for it."""
        empty = [n.item() if hasattr(n, "item") else n
                 for n, c in zip(names, n_categories, strict=True) if c == 0]
        if empty:
            raise ValueError(
                f"{estimator} has no known category for feature(s) {empty!r}: every training "
                "value is missing (NaN), so there is nothing to sample or impute; drop the "
                "feature, give it observed values, or declare its categories."
            )

    @staticmethod
    def _flat_index(X, n_categories, offsets, missing_index):
        missing = np.isnan(X)
        codes = np.minimum(np.where(missing, 0.0, X), n_categories)  # unseen -> C_j
        idx = codes.astype(np.intp) + offsets
        idx[missing] = missing_index
        return idx

    @staticmethod
    def log_prob(X, *, n_categories, offsets, flat_log_prob, **_):
        """sum_j over observed j of log p(x_j | k), shape (n_samples, n_groups)."""
        n, d = X.shape
        idx = Categorical._flat_index(X, n_categories, offsets, flat_log_prob.shape[1] - 1)
        onehot = sp.csr_matrix(
            (np.ones(n * d), idx.ravel(), np.arange(0, n * d + 1, d)),
            shape=(n, flat_log_prob.shape[1]),
        )
        return np.asarray(onehot @ flat_log_prob.T)

    @staticmethod
    def _drawable_mass(log_prob, drawable):
        """Fitted probabilities of the drawable categories; 0 for the others and no
        "unseen" column (see the class docstring)."""
        return np.exp(log_prob[:, :-1]) * drawable

    @staticmethod
    def _drawable_probs(log_prob, drawable):
        """Probabilities over the drawable categories only, renormalized over them."""
        prob = Categorical._drawable_mass(log_prob, drawable)
        return prob / prob.sum(axis=1, keepdims=True)

    @staticmethod
    def _per_feature(n_rows, log_probs, drawable, column):
        """(n_rows, n_features) array whose column j is ``column(log_probs[j], drawable[j])``,
        features in order; 0 for a feature with no drawable category (never observed nor
        declared: ``check_defined`` refuses to sample or impute it)."""
        out = np.zeros((n_rows, len(log_probs)))
        for j, (log_prob, ok) in enumerate(zip(log_probs, drawable, strict=True)):
            if ok.any():
                out[:, j] = column(log_prob, ok)
        return out

    @staticmethod
    def sample(y_idx, rng, *, log_probs, drawable, **_):
        """Draws among the drawable categories only (observed in training or declared),
        with the fitted probabilities renormalized over them."""

        def draw(log_prob, ok):
            return sample_categorical(Categorical._drawable_probs(log_prob, ok)[y_idx], rng)

        return Categorical._per_feature(y_idx.shape[0], log_probs, drawable, draw)

    @staticmethod
    def mean(*, log_probs, drawable, **_):
        """Expected code under the drawable-category distribution (see ``sample``)."""

        def expected_code(log_prob, ok):
            prob = Categorical._drawable_probs(log_prob, ok)
            return prob @ np.arange(prob.shape[1], dtype=np.float64)

        return Categorical._per_feature(log_probs[0].shape[0], log_probs, drawable, expected_code)

    @staticmethod
    def impute(posterior, *, log_probs, drawable, **_):
        """Mode of each feature under the posterior mixture, among drawable categories.

        argmax_v sum_k posterior_k p_k(v) over the drawable v, with the fitted
        (not renormalized) p_k: renormalizing each group over those categories
        first would reweight the groups and can move the mode.
        """

        def mode(log_prob, ok):
            mass = Categorical._drawable_mass(log_prob, ok)
            mass[:, ~ok] = -1.0  # never the argmax, even where every drawable mass is 0
            return mode_of_mixture(posterior, mass)

        return Categorical._per_feature(posterior.shape[0], log_probs, drawable, mode)


class Multinomial:
    """Counts given their total: x | k, n ~ Multinomial(n, theta_k).

    With missing features, the observed counts given their own total are
    multinomial with theta_k restricted to the observed features and
    renormalized; that is the likelihood used (exact). For sampling, the row
    total is Poisson(mean_total_k); equivalently (Poisson splitting)
    x_j | k ~ Poisson(mean_total_k theta_kj) independently, which is how
    missing counts are drawn.

    Statistics: ``count`` (summed observed counts) and ``observed`` (rows in
    which each feature is observed), each (n_groups, n_features). Under the
    Poisson-splitting model the observed counts of group k have expectation
    mean_total_k * sum_j observed_kj theta_kj, so the maximum-likelihood
    mean_total_k = sum_j count_kj / sum_j observed_kj theta_kj: the mean row
    total on complete data, and not biased down by missing entries. Both are
    sums over rows, so batch-wise updates equal one pass. Parameters:
    ``log_prob`` (log theta) and ``mean_total``.
    """

    @staticmethod
    def new_summaries(n_groups, n_features):
        """Empty statistics."""
        return _zero_summaries(n_groups, n_features, "count", "observed")

    @staticmethod
    def summarize(stats, X, y_idx, indicator):
        """Add a batch: ``indicator`` is :func:`group_indicator` of ``y_idx``.

        X may be a scipy.sparse matrix: every entry is observed (its implicit
        zeros are counts of 0), and nothing of X's size is made dense.
        """
        _add_counts_and_sums(stats, X, indicator, "observed", "count")

    @staticmethod
    def from_summaries(stats, *, alpha):
        """Smoothed ``log_prob`` and the maximum-likelihood ``mean_total``; ``alpha`` is a
        float or one value per feature (theta_kj = (count_kj + alpha_j) /
        sum_j (count_kj + alpha_j), as scikit-learn)."""
        smoothed = stats["count"] + alpha
        theta = smoothed / smoothed.sum(axis=1, keepdims=True)
        exposure = (stats["observed"] * theta).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            # a group with no observed entry yet has no information on its row total
            mean_total = np.where(exposure > 0, stats["count"].sum(axis=1) / exposure, 0.0)
        return {"log_prob": np.log(theta), "mean_total": mean_total}

    @staticmethod
    def log_prob(X, *, log_prob, **_):
        """log p(observed counts | their total, k), shape (n_samples, n_groups); X may be
        sparse (every entry observed)."""
        if sp.issparse(X):
            X = X.tocsr()
            n_obs = np.asarray(X.sum(axis=1)).ravel()
            log_gamma = X.copy()
            log_gamma.data = gammaln(log_gamma.data + 1.0)
            coefficient = gammaln(n_obs + 1.0) - np.asarray(log_gamma.sum(axis=1)).ravel()
            return np.asarray(X @ log_prob.T) + coefficient[:, None]
        missing = missing_mask(X)
        X0 = X if missing is None else np.where(missing, 0.0, X)
        n_obs = X0.sum(axis=1)
        out = X0 @ log_prob.T
        out += (gammaln(n_obs + 1.0) - gammaln(X0 + 1.0).sum(axis=1))[:, None]
        if missing is not None:
            # renormalize theta over the observed features of each row
            mass = (~missing).astype(np.float64) @ np.exp(log_prob).T
            with np.errstate(divide="ignore", invalid="ignore"):
                out -= np.where(n_obs[:, None] > 0, n_obs[:, None] * np.log(mass), 0.0)
        return out

    @staticmethod
    def sample(y_idx, rng, *, log_prob, mean_total, **_):
        """Independent Poisson(mean_total_k theta_kj) counts, one row per ``y_idx``."""
        rate = mean_total[y_idx, None] * np.exp(log_prob[y_idx])
        return rng.poisson(rate).astype(np.float64)

    @staticmethod
    def mean(*, log_prob, mean_total, **_):
        """Expected counts, shape (n_groups, n_features)."""
        return mean_total[:, None] * np.exp(log_prob)

    @staticmethod
    def impute(posterior, *, log_prob, mean_total, **_):
        """Posterior mean of each count."""
        return posterior @ (mean_total[:, None] * np.exp(log_prob))
