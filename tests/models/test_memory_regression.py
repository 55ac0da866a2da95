"""The classical models' numbers did not change when their fit and predict began to stream rows.

Issue 18 item 5 made the Gaussian classifier, Gaussian density, naive Bayes and
the mixtures process their data in blocks of rows instead of full-size copies.
``reference/classical_outputs.npz`` holds the fitted parameters, posteriors and
log-densities of these models on small data, with and without NaN, computed by
the code before that change (commit 53e3bb6, by ``_write_reference`` below);
every number must agree to 1e-10 (absolute, after the relative scale of the
value). A second test shrinks the block size to a few rows, so the block
boundaries fall everywhere, and checks the same numbers again.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gdlab.distributions import gaussian as gm
from gdlab.models.gaussian import GaussianClassifier, GaussianDensity
from gdlab.models.mixture import GaussianMixture, GMMClassifier
from gdlab.models.naive_bayes import GaussianNB

REFERENCE = Path(__file__).parent / "reference" / "classical_outputs.npz"

CASES = {
    "qda": lambda: GaussianClassifier(covariance="full"),
    "lda": lambda: GaussianClassifier(covariance="tied"),
    "diag": lambda: GaussianClassifier(covariance="diag"),
    "spherical": lambda: GaussianClassifier(covariance="spherical"),
    "qda-shrink": lambda: GaussianClassifier(covariance="full", shrinkage=0.3),
    "lda-auto": lambda: GaussianClassifier(covariance="tied", shrinkage="auto"),
    "density": lambda: GaussianDensity(),
    "density-diag": lambda: GaussianDensity(covariance="diag"),
    "gaussian-nb": lambda: GaussianNB(),
    "gmm-classifier": lambda: GMMClassifier(n_components=2, random_state=0),
    "mixture": lambda: GaussianMixture(n_components=3, random_state=0),
    "mixture-diag": lambda: GaussianMixture(n_components=3, covariance="diag", random_state=0),
}

FITTED = ("means_", "covariances_", "mean_", "covariance_", "theta_", "var_", "weights_",
          "log_likelihood_history_")


def data(nan: bool):
    """Three Gaussian classes, 4 features; 15 % of entries NaN and two all-NaN rows if ``nan``."""
    rng = np.random.RandomState(0)
    n, d = 450, 4
    y = np.arange(n) % 3
    A = rng.normal(size=(3, d, d))
    X = rng.normal(size=(3, d)) * 2.0 + 10.0
    X = X[y] + np.einsum("nij,nj->ni", A[y], rng.normal(size=(n, d)))
    X_test = X[::2] + rng.normal(scale=0.5, size=X[::2].shape)
    if nan:
        X[rng.random_sample(X.shape) < 0.15] = np.nan
        X[[5, 7]] = np.nan
        X_test[rng.random_sample(X_test.shape) < 0.15] = np.nan
    return X, y, X_test


def outputs(model, X, y, X_test) -> dict:
    """Fitted parameters, posteriors (classifiers) and log-densities on ``X_test``."""
    model.fit(X, y)
    out = {name: np.asarray(getattr(model, name), dtype=np.float64)
           for name in FITTED if hasattr(model, name)}
    if hasattr(model, "classes_"):
        out["predict_proba"] = model.predict_proba(X_test)
    out["score_samples"] = model.score_samples(X_test)
    return out


def _write_reference(path=REFERENCE):  # pragma: no cover - run once, by hand
    values = {}
    for nan in (False, True):
        X, y, X_test = data(nan)
        for name, make in CASES.items():
            for key, value in outputs(make(), X, y, X_test).items():
                values[f"{name}|{'nan' if nan else 'complete'}|{key}"] = value
    np.savez_compressed(path, **values)


def _check_against_reference(name, nan):
    reference = np.load(REFERENCE)
    X, y, X_test = data(nan)
    got = outputs(CASES[name](), X, y, X_test)
    prefix = f"{name}|{'nan' if nan else 'complete'}|"
    expected = {k[len(prefix):]: reference[k] for k in reference.files if k.startswith(prefix)}
    assert sorted(got) == sorted(expected)
    for key, value in expected.items():
        scale = max(1.0, float(np.abs(value).max()))
        np.testing.assert_allclose(got[key], value, rtol=0, atol=1e-10 * scale,
                                   err_msg=f"{name} {key} ({'NaN' if nan else 'complete'})")


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_numbers_equal_the_code_before_streaming(name, nan):
    _check_against_reference(name, nan)


@pytest.mark.parametrize("nan", [False, True], ids=["complete", "nan"])
@pytest.mark.parametrize("name", ["qda", "lda", "diag", "lda-auto", "density", "gaussian-nb"])
def test_tiny_blocks_give_the_same_numbers(name, nan, monkeypatch):
    monkeypatch.setattr(gm, "BLOCK_BYTES", 7 * 4 * 8)  # 7 rows of 4 float64 features
    assert gm.block_rows(4) == 7
    _check_against_reference(name, nan)
