"""EM for one Gaussian per class, with missing entries: the Gaussian classifier's fit.

:func:`fit_gaussians` is the maximum-likelihood (or shrunk) fit of a Gaussian per
class, full / tied / diagonal / spherical; with NaN entries it runs EM through
:func:`gdlab.inference.em.run_em`, its E-step the conditional moments of
:class:`gdlab.distributions.gaussian_patterns.PatternGroups` (full and tied covariances:
every missing pattern of a class in stacked calls) or
:func:`gdlab.distributions.gaussian.expected_statistics` (diagonal ones).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from gdlab.distributions.gaussian import (
    GaussianSummaries,
    block_rows,
    expected_statistics,
    from_summaries,
    log_density,
    missing_patterns,
    standard_scale,
    summarize_labelled,
)
from gdlab.distributions.gaussian_patterns import PatternGroups
from gdlab.inference.em import EMResult, run_em

__all__ = ["GaussianFit", "fit_gaussians"]


@dataclass
class GaussianFit:
    """Result of :func:`fit_gaussians`.

    Attributes
    ----------
    means : ndarray of shape (n_classes, n_features)
    covariances : ndarray of shape (n_classes, n_features, n_features)
    shrinkage : ndarray of shape (n_classes,)
        The intensity applied to each class.
    em : EMResult
        The EM run (history, convergence, iterations; its
        ``warn_if_not_converged`` warns). On complete data, the one exact M-step.
    """

    means: np.ndarray
    covariances: np.ndarray
    shrinkage: np.ndarray
    em: EMResult

    @property
    def n_iter(self) -> int:
        """EM iterations (M-steps) taken."""
        return self.em.n_iter

    @property
    def converged(self) -> bool:
        """Whether EM stopped on the tolerance."""
        return self.em.converged

    @property
    def log_likelihood_history(self) -> list:
        """The mean per-row observed-data log-likelihood after each M-step."""
        return self.em.history


def _m_step(X_hat, cond_cov_sums, labels, covariance, shrinkage, reg_covar):
    """Constrained Gaussian MLE from expected sufficient statistics, then shrink and floor.

    Each class's statistics are taken about its mean (which keeps the moment form
    exact), streamed over blocks of rows by
    :func:`gdlab.distributions.gaussian.summarize_labelled` (no copy of ``X_hat``);
    :func:`gdlab.distributions.gaussian.from_summaries` shrinks each class's
    covariance, then "tied" averages the shrunk class covariances weighted by the
    class row counts (without shrinkage: the pooled within-class covariance).
    """
    summaries, shift = summarize_labelled(X_hat, labels, cond_cov_sums.shape[0])
    summaries = GaussianSummaries(summaries.weight, summaries.first,
                                  summaries.second + cond_cov_sums)
    return from_summaries(summaries, covariance, reg_covar, shift=shift, shrinkage=shrinkage)


def _labelled_log_likelihood(X, labels, means, covs, diagonal):
    """sum_i log N(x_i; mean_(y_i), cov_(y_i)) of complete rows, in blocks of rows."""
    total = 0.0
    step = block_rows(X.shape[1])
    for start in range(0, X.shape[0], step):
        X_block, lab = X[start : start + step], labels[start : start + step]
        for k, (mean, cov) in enumerate(zip(means, covs, strict=True)):
            rows = lab == k
            if rows.any():
                total += float(log_density(X_block[rows], mean, cov, diagonal=diagonal).sum())
    return total


def _weighted_column_means(X, w):
    """Weighted mean of each column's observed (non-NaN) entries."""
    observed = ~np.isnan(X)
    return (np.where(observed, X, 0.0).T @ w) / (observed.T @ w)


def _weighted_summaries(X, class_rows, w):
    """Statistics of complete rows with row weights, class k about its weighted mean.

    Returns the :class:`GaussianSummaries` (``weight[k]``: the class's total weight)
    and the shift of each class, for :func:`from_summaries`.
    """
    K, d = len(class_rows), X.shape[1]
    shift, first, second = np.zeros((K, d)), np.zeros((K, d)), np.zeros((K, d, d))
    weight = np.array([w[rows].sum() for rows in class_rows])
    for k, rows in enumerate(class_rows):
        w_k, X_k = w[rows], X[rows]
        shift[k] = (w_k @ X_k) / weight[k]
        Z = X_k - shift[k]
        first[k] = w_k @ Z
        second[k] = (Z.T * w_k) @ Z
    return GaussianSummaries(weight, first, second), shift


def _weighted_ledoit_wolf_shrinkage(Z, w):
    """:func:`sklearn.covariance.ledoit_wolf_shrinkage` of centred rows ``Z`` with row
    weights ``w``: its formula with every sum over rows weighted and n the total weight,
    so integer weights give the intensity of the repeated rows."""
    n, p = float(w.sum()), Z.shape[1]
    Z2 = Z**2
    emp_cov_trace = (w @ Z2) / n
    mu = emp_cov_trace.sum() / p
    beta_ = float(((Z2.T * w) @ Z2).sum())
    delta_ = float((((Z.T * w) @ Z) ** 2).sum()) / n**2
    beta = (beta_ / n - delta_) / (p * n)
    delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + p * mu**2) / p
    beta = min(beta, delta)
    return 0.0 if beta == 0 else beta / delta


def _auto_shrinkage(X, class_rows, w=None):
    """Ledoit-Wolf intensity per class, on the standardized complete rows.

    As scikit-learn's ``LinearDiscriminantAnalysis(shrinkage="auto")``: each class's
    rows are standardized (centred, divided by their standard deviation) and the
    intensity is :func:`sklearn.covariance.ledoit_wolf_shrinkage` of those rows. A
    class with fewer than two complete rows uses its mean-imputed rows instead.
    With row weights ``w`` the means, variances and the intensity are weighted
    (:func:`_weighted_ledoit_wolf_shrinkage`).
    """
    from sklearn.covariance import ledoit_wolf_shrinkage

    out = np.zeros(len(class_rows))
    for k, rows in enumerate(class_rows):
        Xk = X[rows]
        w_k = None if w is None else w[rows]
        complete_rows = ~np.isnan(Xk).any(axis=1)
        complete = Xk[complete_rows]
        if complete.shape[0] < 2:  # too few complete rows: mean-imputed rows instead
            fill = np.nanmean(Xk, axis=0) if w_k is None else _weighted_column_means(Xk, w_k)
            complete = np.where(np.isnan(Xk), fill, Xk)
        elif w_k is not None:
            w_k = w_k[complete_rows]
        if complete.shape[0] < 2 or complete.shape[1] < 2:
            continue
        if w_k is None:
            centred = complete - complete.mean(axis=0)
            Z = centred / standard_scale(centred.var(axis=0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                out[k] = float(ledoit_wolf_shrinkage(Z, assume_centered=True))
        else:
            centred = complete - (w_k @ complete) / w_k.sum()
            Z = centred / standard_scale((w_k @ centred**2) / w_k.sum())
            out[k] = _weighted_ledoit_wolf_shrinkage(Z, w_k)
    return out


def fit_gaussians(
    X, y_idx, n_classes, *, covariance, shrinkage, reg_covar, max_iter, tol, sample_weight=None
) -> GaussianFit:
    """Fit one Gaussian per class by MLE, or by EM when X has NaN entries.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated float data; NaN marks a missing entry.
    y_idx : ndarray of shape (n_samples,), int
        Class index of each row, in ``range(n_classes)``; every class has rows.
    n_classes : int
    covariance : {"full", "tied", "diag", "spherical"}
        "tied" pools the within-class scatter of all classes into one matrix.
    shrinkage : None, float in [0, 1] or "auto"
        After each M-step each class's covariance is shrunk on its standardized
        scale (see :func:`gdlab.distributions.gaussian.shrink_covariance`):
        S <- s s^T * ((1 - a) R + a (tr(R) / d) I) with s the standard deviations
        and R = S / (s s^T); "tied" then averages the shrunk class covariances by
        class row counts. "auto" fixes a once per class, before EM, as the
        Ledoit-Wolf intensity of the class's standardized complete rows (see
        :func:`_auto_shrinkage`); this is scikit-learn's
        ``LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")`` rule. Only
        for "full" and "tied" (callers refuse it elsewhere).
    reg_covar : float
        Added to the diagonal of every covariance after the M-step.
    max_iter : int
        Maximum EM iterations (unused on complete data).
    tol : float
        EM stops when the mean per-row observed-data log-likelihood changes by
        less than ``tol``.
    sample_weight : ndarray of shape (n_samples,), optional
        Checked non-negative row weights (:func:`gdlab._validation.check_sample_weight`);
        None: every weight 1. Each row's statistics are multiplied by its weight
        (weighted MLE; with NaN, weighted EM whose E-step is
        :class:`~gdlab.distributions.gaussian_patterns.PatternGroups` for every covariance
        form, and whose history is the weighted mean log-likelihood), so integer
        weights fit as repeated rows do. Rows of weight 0 are left out; a class
        whose weights are all 0 is a ``ValueError``. ``shrinkage="auto"`` takes
        the weighted Ledoit-Wolf intensity (:func:`_weighted_ledoit_wolf_shrinkage`).

    Returns
    -------
    GaussianFit
        ``log_likelihood_history[t]`` is the mean per-row observed-data log-likelihood (log p(x_o |
        y), summed over rows, divided by the number of rows with an observed entry) after t EM
        iterations (t = 0: the initial mean-imputation estimate). On complete data one M-step is the
        exact MLE: n_iter is 1 and the history has one entry, for that MLE.

    Notes
    -----
    E-step: for each row, x_hat = E[x | x_o, y] and C = Cov[x | x_o, y] under the current
    parameters. M-step: the (constrained) MLE from sum x_hat and sum (x_hat x_hat^T + C). Rows with
    every entry missing have likelihood 1 under every parameter: they are left out of the EM
    statistics and of the mean log-likelihood, so adding them changes neither the estimates nor the
    history. Without shrinkage or ``reg_covar`` each iteration never decreases the observed-data
    log-likelihood.
    """
    n, d = X.shape
    # a sum of finite values is never NaN: complete data needs no (n, d) mask
    missing = np.isnan(X) if np.isnan(np.add.reduce(X, axis=None)) else np.zeros((1, d), bool)
    has_missing = bool(missing.any())
    all_missing = missing.all(axis=1) if has_missing else np.zeros(n, dtype=bool)
    n_informative = max(int((~all_missing).sum()), 1)
    w = sample_weight
    if w is not None:
        all_missing = all_missing | (w == 0)  # a row of weight 0 is left out as an empty one
        n_informative = float(w[~all_missing].sum())
        zero = np.flatnonzero(np.bincount(y_idx, weights=w, minlength=n_classes) == 0)
        if zero.size:
            raise ValueError(
                f"every sample_weight of class index {int(zero[0])} is zero: its Gaussian "
                "cannot be estimated; drop the class or give its rows positive weights."
            )
    labels = np.where(all_missing, -1, y_idx)  # -1: a row left out of the statistics
    class_rows = [np.flatnonzero(labels == k) for k in range(n_classes)]
    for k, rows in enumerate(class_rows):
        if not has_missing:
            col_seen = np.full(d, rows.size > 0)
        else:
            col_seen = (~missing[rows]).any(axis=0) if rows.size else np.zeros(d, bool)
        if not col_seen.all():
            cols = np.flatnonzero(~col_seen).tolist()
            who = "" if n_classes == 1 else f" for class index {k}"
            raise ValueError(
                f"X has no observed (non-NaN) value in column(s) {cols}{who}; "
                "the mean of a never-observed feature cannot be estimated."
            )
    if shrinkage is None:
        shrink = np.zeros(n_classes)
    elif isinstance(shrinkage, str):  # "auto"
        shrink = _auto_shrinkage(X, class_rows, w)
    else:
        shrink = np.full(n_classes, float(shrinkage))
    del missing
    diagonal = covariance in ("diag", "spherical")

    def check_covariances(means, covs):
        for k, S in enumerate(covs):
            try:
                if not np.isfinite(S).all():
                    raise np.linalg.LinAlgError
                np.linalg.cholesky(S)
            except np.linalg.LinAlgError:
                who = "the covariance" if n_classes == 1 else f"the covariance of class index {k}"
                raise ValueError(
                    f"{who} is singular or not finite even after adding reg_covar={reg_covar} "
                    "(collinear or constant features, features on a very large scale, or too "
                    "few rows); increase reg_covar, use shrinkage, or standardize X."
                ) from None
        return means, covs

    def m_step(X_hat, cond):
        return check_covariances(*_m_step(X_hat, cond, labels, covariance, shrink, reg_covar))

    def e_step(params):
        means, covs = params
        X_hat = X.copy()
        cond = np.zeros((n_classes, d, d))
        ll = 0.0
        for k, rows in enumerate(class_rows):
            ll_k, X_hat[rows], cond[k] = expected_statistics(
                X[rows], means[k], covs[k], diagonal=diagonal, patterns=patterns[k]
            )
            ll += ll_k
        return ll / n_informative, (X_hat, cond)

    if w is not None:
        return _fit_weighted(
            X, w, class_rows, has_missing, n_informative, covariance, shrink, reg_covar,
            max_iter, tol, check_covariances,
        )
    zeros = np.zeros((n_classes, d, d))
    if not has_missing:  # the MLE in one pass over blocks of rows: no copy of X
        params = m_step(X, zeros)
        history = [_labelled_log_likelihood(X, labels, *params, diagonal) / n_informative]
        return GaussianFit(*params, shrink, EMResult(params, history, True, 1, None))

    # initialise with the MLE of the class-mean-imputed data
    X_init = X.copy()
    for rows in class_rows:
        Xk = X[rows]
        X_init[rows] = np.where(np.isnan(Xk), np.nanmean(Xk, axis=0), Xk)
    init = m_step(X_init, zeros)
    del X_init
    if diagonal:
        patterns = [missing_patterns(X[rows]) for rows in class_rows]
        e, m = e_step, lambda statistics: m_step(*statistics)
    else:  # every pattern of a class in stacked calls, statistics about its observed mean
        shift = np.stack([np.nanmean(X[rows], axis=0) for rows in class_rows])
        groups = [PatternGroups(X, shift[k], rows=rows) for k, rows in enumerate(class_rows)]

        def e(params):
            means, covs = params
            ll, parts = 0.0, []
            for k, g in enumerate(groups):  # one Gaussian a class: responsibilities are 1
                ll_k, s = g.responsibility_statistics(np.zeros(1), means[k:k + 1], covs[k:k + 1])
                ll += ll_k
                parts.append(s)
            return ll / n_informative, GaussianSummaries(
                *(np.concatenate(field) for field in zip(*parts, strict=True))
            )

        def m(summaries):
            return check_covariances(
                *from_summaries(summaries, covariance, reg_covar, shift=shift, shrinkage=shrink)
            )

    result = run_em(
        init,
        e,
        m,
        tol=tol,
        max_iter=max_iter,
        m_step_last=False,  # the returned parameters are those history[-1] was computed at
    )
    return GaussianFit(*result.params, shrink, result)


def _fit_weighted(
    X, w, class_rows, has_missing, n_informative, covariance, shrink, reg_covar, max_iter, tol,
    check_covariances,
) -> GaussianFit:
    """:func:`fit_gaussians` with row weights (rows of weight 0 already left out)."""
    diagonal = covariance in ("diag", "spherical")

    def m_step(summaries, shift):
        return check_covariances(
            *from_summaries(summaries, covariance, reg_covar, shift=shift, shrinkage=shrink)
        )

    if not has_missing:  # the weighted MLE
        params = m_step(*_weighted_summaries(X, class_rows, w))
        ll = sum(
            float(w[rows] @ log_density(X[rows], params[0][k], params[1][k], diagonal=diagonal))
            for k, rows in enumerate(class_rows)
        )
        return GaussianFit(*params, shrink, EMResult(params, [ll / n_informative], True, 1, None))

    # initialise with the weighted MLE of the data imputed by weighted class means
    shift = np.stack([_weighted_column_means(X[rows], w[rows]) for rows in class_rows])
    X_init = X.copy()
    for k, rows in enumerate(class_rows):
        X_init[rows] = np.where(np.isnan(X[rows]), shift[k], X[rows])
    init = m_step(*_weighted_summaries(X_init, class_rows, w))
    del X_init
    groups = [PatternGroups(X, shift[k], rows=rows) for k, rows in enumerate(class_rows)]

    def e_step(params):
        means, covs = params
        ll, parts = 0.0, []
        for k, (g, rows) in enumerate(zip(groups, class_rows, strict=True)):
            w_k = w[rows]  # one Gaussian a class: the statistics are weighted by w alone
            ll += float(g.log_prob(means[k : k + 1], covs[k : k + 1])[:, 0] @ w_k)
            parts.append(g.summarize(means[k : k + 1], covs[k : k + 1], w_k[None]))
        return ll / n_informative, GaussianSummaries(
            *(np.concatenate(field) for field in zip(*parts, strict=True))
        )

    result = run_em(
        init, e_step, lambda summaries: m_step(summaries, shift), tol=tol, max_iter=max_iter,
        m_step_last=False,
    )
    return GaussianFit(*result.params, shrink, result)
