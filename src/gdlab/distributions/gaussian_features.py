"""Independent Gaussian features (naive Bayes): one mean and variance per group and feature.

Statistics are merged across batches with Chan et al.'s parallel update, so
batch-wise fitting equals one pass; the log-density is
:func:`gdlab.distributions.gaussian.diagonal_log_prob`. Same interface as the
per-feature distributions of :mod:`gdlab.distributions.discrete`.
"""

from __future__ import annotations

import numpy as np

from gdlab.distributions.common import check_finite_parameters, describe_pairs, missing_mask
from gdlab.distributions.gaussian import diagonal_log_prob, sample_gaussian

__all__ = ["GaussianFeatures"]


class GaussianFeatures:
    """Independent Gaussian features: per class and feature a mean and a variance.

    Statistics: ``count`` (observed values), ``mean``, ``m2`` (sum of squared
    deviations), each (n_classes, n_features), merged across batches with
    Chan et al.'s parallel update, so batch-wise updates equal one pass.
    """

    @staticmethod
    def new_summaries(n_classes, n_features):
        shape = (n_classes, n_features)
        return {"count": np.zeros(shape), "mean": np.zeros(shape), "m2": np.zeros(shape)}

    @staticmethod
    def summarize(stats, X, y_idx, onehot):
        missing = missing_mask(X)
        if missing is not None:
            count = onehot @ np.logical_not(missing).astype(np.float64)
            X0 = X.copy()
            np.copyto(X0, 0.0, where=missing)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(count > 0, (onehot @ X0) / count, 0.0)
            dev = np.subtract(X0, mean[y_idx], out=X0)
            np.copyto(dev, 0.0, where=missing)
        else:
            count = np.broadcast_to(  # weighted rows per class (sample_weight)
                np.asarray(onehot.sum(axis=1), dtype=np.float64).reshape(-1, 1),
                stats["count"].shape,
            )
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(count > 0, (onehot @ X) / count, 0.0)
            dev = mean[y_idx]
            np.subtract(X, dev, out=dev)
        np.square(dev, out=dev)
        m2 = onehot @ dev
        _merge_moments(stats, count, mean, m2)

    @staticmethod
    def from_summaries(stats, *, var_smoothing):
        """Means and variances per class; NaN where a class has no observed value yet."""
        count, mean, m2 = stats["count"], stats["mean"], stats["m2"]
        total = count.sum(axis=0)
        seen = total > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            pooled_mean = np.where(seen, (count * mean).sum(axis=0) / total, 0.0)
            pooled_m2 = m2.sum(axis=0) + (count * (mean - pooled_mean) ** 2).sum(axis=0)
            pooled_var = np.where(seen, pooled_m2 / total, 0.0)
            var = np.where(count > 0, m2 / count, np.nan)
        max_var = float(pooled_var.max()) if seen.any() else 0.0
        epsilon = var_smoothing * (max_var if max_var > 0 else 1.0)
        return {
            "theta": np.where(count > 0, mean, np.nan),
            "var": var + epsilon,
            "epsilon": epsilon,
            "shift": pooled_mean,
        }

    @staticmethod
    def check_defined(count, theta, var, classes, names, estimator):
        """Raise when a (class, feature) Gaussian is undefined, overflowed or degenerate.

        Undefined: the class has no observed value of the feature. Overflowed:
        its mean or variance is not finite (values too large for float64 sums
        of squares). Degenerate: its variance is zero (a constant feature with
        ``var_smoothing=0``), so the density is infinite at one point and
        every probability NaN. Nothing is filled in silently; the user drops
        the column, gives the class data, rescales it, sets
        ``var_smoothing > 0`` or (with ``partial_fit``) streams more batches
        before predicting.
        """
        empty = np.argwhere(count == 0)
        if empty.size:
            raise ValueError(
                f"{estimator} cannot estimate a Gaussian for (class, feature) "
                f"{describe_pairs(empty, classes, names)}: no observed (non-NaN) value of that "
                "feature in that class."
            )
        check_finite_parameters(
            {"mean": theta, "variance": var}, classes, names, estimator
        )
        flat = np.argwhere(var <= 0)
        if flat.size:
            raise ValueError(
                f"{estimator} has zero variance for (class, feature) "
                f"{describe_pairs(flat, classes, names)}: the feature "
                "is constant within the class and var_smoothing adds no variance, so the "
                "Gaussian is degenerate and every probability would be NaN; set "
                "var_smoothing > 0."
            )

    @staticmethod
    def log_prob(X, *, theta, var, shift, **_):
        """sum_j over observed j of log N(x_j; theta_kj, var_kj), by matrix products."""
        return diagonal_log_prob(X, theta, var, shift)

    @staticmethod
    def sample(y_idx, rng, *, theta, var, **_):
        return sample_gaussian(theta, var, y_idx, rng)

    @staticmethod
    def mean(*, theta, **_):
        return theta

    @staticmethod
    def impute(posterior, *, theta, **_):
        return posterior @ theta


def _merge_moments(stats, count_b, mean_b, m2_b):
    """Chan et al.'s parallel update of (count, mean, m2) with a batch, in place."""
    count_a, mean_a = stats["count"], stats["mean"]
    count = count_a + count_b
    delta = mean_b - mean_a
    with np.errstate(invalid="ignore", divide="ignore"):
        w_b = np.where(count > 0, count_b / count, 0.0)
    stats["m2"] = stats["m2"] + m2_b + delta * delta * count_a * w_b
    stats["mean"] = mean_a + delta * w_b
    stats["count"] = count
