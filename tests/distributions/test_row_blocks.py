"""The Gaussian functions that stream X in blocks of rows give the one-block numbers."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab.distributions import gaussian as gm


def _data(seed=0, n=101, d=3, nan=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1] + [5.0, -3.0, 100.0]
    if nan:
        X[rng.random(X.shape) < 0.2] = np.nan
        X[3] = np.nan
    return X


def test_block_rows_follows_block_bytes(monkeypatch):
    assert gm.block_rows(20) == gm.BLOCK_BYTES // 160
    monkeypatch.setattr(gm, "BLOCK_BYTES", 10)
    assert gm.block_rows(20) == 1  # never zero rows


@pytest.mark.parametrize("rows_per_block", [1, 4, 1000])
def test_summarize_labelled_equals_summarize_of_each_labels_rows(rows_per_block, monkeypatch):
    monkeypatch.setattr(gm, "BLOCK_BYTES", rows_per_block * 3 * 8)
    X = _data()
    labels = np.arange(X.shape[0]) % 3 - 1  # -1, 0, 1, -1, ...: label -1 is left out
    X[labels == -1] = np.nan  # never read
    summaries, shift = gm.summarize_labelled(X, labels, 2)
    for k in range(2):
        rows = X[labels == k]
        np.testing.assert_allclose(shift[k], rows.mean(axis=0), rtol=0, atol=1e-12)
        expected = gm.summarize(rows - shift[k], np.ones((1, rows.shape[0])))
        assert summaries.weight[k] == rows.shape[0]
        np.testing.assert_allclose(summaries.first[k], expected.first[0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(summaries.second[k], expected.second[0], rtol=0,
                                   atol=1e-9)
    means, covs = gm.from_summaries(summaries, "full", 0.0, shift=shift)
    for k in range(2):
        rows = X[labels == k]
        np.testing.assert_allclose(covs[k], np.cov(rows.T, bias=True), rtol=0, atol=1e-9)
        np.testing.assert_allclose(means[k], rows.mean(axis=0), rtol=0, atol=1e-12)


def test_summarize_labelled_takes_a_given_shift():
    X = _data()
    labels = np.zeros(X.shape[0], dtype=int)
    shift = np.array([[1.0, 2.0, 3.0]])
    summaries, used = gm.summarize_labelled(X, labels, 1, shift=shift)
    np.testing.assert_array_equal(used, shift)
    np.testing.assert_allclose(summaries.first[0], (X - shift).sum(axis=0), rtol=0, atol=1e-9)


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "nan"])
def test_streamed_log_densities_equal_one_block(nan, monkeypatch):
    X = _data(nan=nan)
    rng = np.random.default_rng(1)
    means = rng.normal(size=(2, 3)) + [5.0, -3.0, 100.0]
    A = rng.normal(size=(3, 3))
    cov = A @ A.T + np.eye(3)
    variances = rng.uniform(0.5, 2.0, size=(2, 3))
    whole = (gm.log_density(X, means[0], cov), gm.shared_covariance_discriminant(X, means, cov),
             gm.diagonal_log_prob(X, means, variances))
    monkeypatch.setattr(gm, "BLOCK_BYTES", 2 * 3 * 8)  # blocks of 2 rows
    blocked = (gm.log_density(X, means[0], cov), gm.shared_covariance_discriminant(X, means, cov),
               gm.diagonal_log_prob(X, means, variances))
    for a, b in zip(whole, blocked, strict=True):
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-10)
    if nan:
        assert whole[0][3] == blocked[0][3] == 0.0  # an all-missing row: log-density 0
