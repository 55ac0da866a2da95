"""Properties every gdlab generative model must have, and scikit-learn's own estimator checks.

Each property is checked over every model, on data drawn by hypothesis, so a
new model that breaks Bayes' rule or marginalization fails here by name.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.special import logsumexp
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdlab import ClassConditional, capabilities
from gdlab.data.missing import apply_mask, mcar_mask
from gdlab.models import (
    BernoulliNB,
    CategoricalNB,
    GaussianClassifier,
    GaussianDensity,
    GaussianMixture,
    GaussianNB,
    GMMClassifier,
    KDEClassifier,
    KernelDensity,
    MixedNB,
    MultinomialNB,
)
from gdlab.sklearn.mixture import GaussianMixture as SklearnGaussianMixture

# -- the models, by the kind of data they take -------------------------------------------------

CONTINUOUS = {
    "GaussianNB": lambda: GaussianNB(),
    "MixedNB": lambda: MixedNB(),
    "QDA": lambda: GaussianClassifier(covariance="full"),
    "LDA": lambda: GaussianClassifier(covariance="tied"),
    "DiagGaussian": lambda: GaussianClassifier(covariance="diag"),
    "SphericalGaussian": lambda: GaussianClassifier(covariance="spherical"),
    "ShrunkQDA": lambda: GaussianClassifier(covariance="full", shrinkage=0.3),
    "ClassConditional(GaussianDensity)": lambda: ClassConditional(GaussianDensity()),
    "GMMClassifier": lambda: GMMClassifier(n_components=2, random_state=0),
    "GMMClassifier(bic)": lambda: GMMClassifier(select="bic", max_components=2, random_state=0),
    "KDEClassifier": lambda: KDEClassifier(),
    "KDEClassifier(exponential)": lambda: KDEClassifier(kernel="exponential"),
    "ClassConditional(KernelDensity)": lambda: ClassConditional(KernelDensity()),
}
COUNTS = {"MultinomialNB": lambda: MultinomialNB()}
BINARY = {"BernoulliNB": lambda: BernoulliNB(binarize=None)}
CODES = {"CategoricalNB": lambda: CategoricalNB()}
ALL = {**CONTINUOUS, **COUNTS, **BINARY, **CODES}


def _data(kind, seed, n, d, k):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % k
    if kind == "continuous":
        X = rng.normal(size=(n, d)) + y[:, None] * 1.5
    elif kind == "counts":
        # class k over-uses feature k: the proportions, which a multinomial sees, differ
        X = rng.poisson(1.0 + 4.0 * (np.arange(d) == (y % d)[:, None]), size=(n, d)).astype(float)
    elif kind == "binary":
        X = (rng.uniform(size=(n, d)) < 0.3 + 0.4 * (y[:, None] % 2)).astype(float)
    else:
        X = rng.randint(0, 3, size=(n, d)).astype(float)
        X[:, 0] = (y + rng.randint(0, 2, size=n)) % 3
    return X, y


KIND = {**dict.fromkeys(CONTINUOUS, "continuous"), **dict.fromkeys(COUNTS, "counts"),
        **dict.fromkeys(BINARY, "binary"), **dict.fromkeys(CODES, "codes")}

datasets = st.tuples(
    st.integers(0, 10_000),  # seed
    st.integers(30, 80),  # n
    st.integers(2, 4),  # d
    st.integers(2, 3),  # k
)
hyp = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fit(name, seed, n, d, k):
    X, y = _data(KIND[name], seed, n, d, k)
    return ALL[name]().fit(X, y), X, y


def _with_holes(X, seed, rate=0.3):
    """MCAR holes that never empty a whole row (all-empty rows: see the test below)."""
    return apply_mask(X, mcar_mask(X, rate, random_state=seed + 1))


# -- scikit-learn's estimator checks: all pass, but two that feed CategoricalNB floats ------


def _expected_failures(estimator):
    """Two sample-weight checks fit on ``rng.rand`` floats, which scikit-learn's CategoricalNB
    truncates to codes; gdlab's refuses non-integer codes (its bad-input rule). The same
    equivalence is tested on codes in ``test_naive_bayes.py``
    (``test_integer_sample_weight_equals_repeating_rows``)."""
    if isinstance(estimator, CategoricalNB):
        reason = "fits on float features; CategoricalNB refuses non-integer codes"
        return {"check_sample_weight_equivalence_on_dense_data": reason,
                "check_classifiers_one_label_sample_weights": reason}
    if isinstance(estimator, GaussianMixture) and estimator.n_components > 1:
        # weighted EM from the same start equals repeated rows (test_mixture.py,
        # test_integer_sample_weight_equals_repeated_rows); the data-driven start draws
        # its seeds with probability proportional to the weights, not the repeats' draws
        return {"check_sample_weight_equivalence_on_dense_data":
                "the data-driven start (k-means++, KMeans) draws differently on repeated rows"}
    if isinstance(estimator, ClassConditional) and isinstance(estimator.density, KernelDensity):
        # a class's weighted KernelDensity (below); the weighted classifier equals repeated rows
        # for geometry="radial" at a fixed bandwidth (test_kde.py); here a class of one
        # weighted row cannot even set its bandwidth, as for one row
        return {"check_sample_weight_equivalence_on_dense_data":
                "the bandwidth rule and the product kernel's column scales count rows"}
    if isinstance(estimator, KernelDensity) and isinstance(estimator.bandwidth, str):
        # as scikit-learn's KernelDensity, weights reweight the kernels but the bandwidth
        # rules count rows; repeats equal weights at a fixed bandwidth (test_kde.py)
        return {"check_sample_weight_equivalence_on_dense_data":
                "the bandwidth rule counts rows, not weights (as scikit-learn's rules)"}
    return {}


@parametrize_with_checks(
    [
        GaussianNB(),
        BernoulliNB(),
        MultinomialNB(),
        CategoricalNB(),
        MixedNB(),
        GaussianClassifier(covariance="full"),
        GaussianClassifier(covariance="tied"),
        GaussianClassifier(covariance="diag"),
        GaussianClassifier(covariance="spherical"),
        GaussianClassifier(covariance="tied", shrinkage="auto"),
        GaussianDensity(),
        GaussianDensity(covariance="diag"),
        ClassConditional(GaussianDensity()),
        GaussianMixture(),
        GaussianMixture(n_components=2, covariance="diag", random_state=0),
        SklearnGaussianMixture(n_components=2, covariance_type="tied", random_state=0),
        GMMClassifier(),
        GMMClassifier(select="bic", max_components=2),
        KernelDensity(),
        KernelDensity(kernel="epanechnikov"),
        KDEClassifier(),
        KDEClassifier(kernel="cosine"),
        ClassConditional(KernelDensity()),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


# -- properties of every generative classifier -------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_capabilities_declared(name):
    caps = capabilities(ALL[name]())
    assert {"classify", "density", "sample", "conditional_sample", "missing_features"} <= caps


@pytest.mark.parametrize("name", ALL)
@hyp
@given(datasets)
def test_bayes_rule_and_normalization(name, data):
    model, X, _ = _fit(name, *data)
    Xm = _with_holes(X, data[0])
    for Z in (X, Xm):
        lj = model.log_joint(Z)
        proba = model.predict_proba(Z)
        assert lj.shape == (len(Z), len(model.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-10)
        assert ((proba >= 0) & (proba <= 1)).all()
        np.testing.assert_allclose(model.score_samples(Z), logsumexp(lj, axis=1), rtol=1e-10,
                                   atol=1e-10)  # log p(x) = 0 for an all-missing row
        np.testing.assert_allclose(
            model.predict_log_proba(Z), lj - model.score_samples(Z)[:, None], atol=1e-9
        )
        np.testing.assert_array_equal(model.predict(Z), model.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("name", ALL)
@hyp
@given(datasets)
def test_every_feature_missing_gives_the_prior(name, data):
    model, X, _ = _fit(name, *data)
    empty = np.full((3, X.shape[1]), np.nan)
    np.testing.assert_allclose(model.predict_proba(empty), np.tile(model.class_prior_, (3, 1)),
                               atol=1e-12)
    np.testing.assert_allclose(model.score_samples(empty), 0.0, atol=1e-10)


@pytest.mark.parametrize("name", ALL)
@hyp
@given(datasets)
def test_fit_with_missing_values_and_impute(name, data):
    X, y = _data(KIND[name], *data)
    Xm = _with_holes(X, data[0], rate=0.2)
    model = ALL[name]().fit(Xm, y)
    assert np.isfinite(model.log_joint(Xm)).all()
    filled = model.impute(Xm)
    observed = ~np.isnan(Xm)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[observed], Xm[observed])
    drawn = model.impute(Xm, method="sample", random_state=0)
    np.testing.assert_array_equal(drawn[observed], Xm[observed])


@pytest.mark.parametrize("name", ALL)
def test_rows_with_every_entry_missing_only_count_toward_the_prior(name):
    """p(x_empty | y) = 1 under every parameter, so fitting with such rows is exact:
    the class-conditional densities are those fitted without them, and the prior
    counts them."""
    X, y = _data(KIND[name], 1, 60, 3, 2)
    extra_y = np.array([0, 0, 0, 0, 1])
    X_more = np.vstack([X, np.full((len(extra_y), X.shape[1]), np.nan)])
    y_more = np.concatenate([y, extra_y])
    plain, more = ALL[name]().fit(X, y), ALL[name]().fit(X_more, y_more)
    counts = np.bincount(y_more, minlength=2)
    np.testing.assert_allclose(more.class_prior_, counts / counts.sum(), atol=1e-12)
    np.testing.assert_allclose(
        more.log_joint(X) - np.log(more.class_prior_),
        plain.log_joint(X) - np.log(plain.class_prior_),
        atol=1e-8,
    )


@pytest.mark.parametrize("name", ALL)
def test_sample_then_classify(name):
    model, X, y = _fit(name, 0, 200, 3, 2)
    Xs, ys = model.sample(500, random_state=0)
    assert Xs.shape == (500, 3) and set(np.unique(ys)) <= set(model.classes_)
    Xk, yk = model.sample(50, y=1, random_state=0)
    assert (yk == 1).all()
    # the model's own samples are classified better than chance by the model itself
    assert model.score(Xs, ys) > 0.6


@pytest.mark.parametrize("name", list(CONTINUOUS))
def test_missing_feature_is_integrated_out(name):
    """log p(x_obs, y) == log ∫ p(x_obs, x_j, y) dx_j, by quadrature."""
    model, X, _ = _fit(name, 3, 120, 2, 2)
    for x0 in (-1.0, 0.5, 2.0):
        marg = model.log_joint(np.array([[x0, np.nan]]))[0]
        for k in range(2):
            def f(t, k=k, x0=x0):
                return np.exp(model.log_joint(np.array([[x0, t]]))[0, k])

            val, _ = integrate.quad(f, -np.inf, np.inf, epsabs=1e-13, limit=200)
            np.testing.assert_allclose(np.log(val), marg[k], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", [*BINARY, *CODES])
def test_missing_discrete_feature_is_summed_out(name):
    model, X, _ = _fit(name, 5, 90, 2, 2)
    values = [0.0, 1.0] if name in BINARY else [0.0, 1.0, 2.0, 3.0]  # 3 is an unseen code
    for x0 in (0.0, 1.0):
        marg = model.log_joint(np.array([[x0, np.nan]]))[0]
        full = np.stack([model.log_joint(np.array([[x0, v]]))[0] for v in values])
        np.testing.assert_allclose(logsumexp(full, axis=0), marg, atol=1e-10)


# -- bad input: the same clear error from every model, before any work -------------------------

_Xb = np.random.RandomState(0).poisson(2, (40, 3)).astype(float)
_yb = np.arange(40) % 2
BAD_FIT = {
    "1-D X": (lambda: (_Xb[:, 0], _yb), "Expected 2D array, got 1D"),
    "3-D X": (lambda: (_Xb[None], _yb), "dim 3"),
    "inf": (lambda: (np.where(_Xb > 4, np.inf, _Xb), _yb), "infinity"),
    "strings": (
        lambda: (np.array([["a", "1", "2"]] * 40, dtype=object), _yb),
        "expects numeric X .*could not convert string to float: 'a'",
    ),
    "empty X": (lambda: (np.empty((0, 3)), []), "0 sample"),
    "one class": (lambda: (_Xb, np.zeros(40)), "at least 2 classes.*only 1 class"),
    "continuous y": (lambda: (_Xb, np.linspace(0, 1, 40)), "Unknown label type"),
    "y length": (lambda: (_Xb, _yb[:-1]), "inconsistent numbers of samples"),
}


@pytest.mark.parametrize("case", BAD_FIT)
@pytest.mark.parametrize("name", ALL)
def test_bad_training_data_is_rejected_clearly(name, case):
    make_data, match = BAD_FIT[case]
    X, y = make_data()
    if case == "strings" and name == "MixedNB":
        pytest.skip("MixedNB takes string columns as categories by design")
    with pytest.raises(ValueError, match=match):
        ALL[name]().fit(X, y)


@pytest.mark.parametrize("name", ALL)
def test_bad_prediction_data_is_rejected_clearly(name):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        ALL[name]().predict_proba(_Xb)
    X, y = _data(KIND[name], 0, 60, 3, 2)
    model = ALL[name]().fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but .* expecting 3"):
        model.predict(X[:, :2])
    with pytest.raises(ValueError, match="infinity"):
        model.score_samples(np.full((1, 3), np.inf))
    with pytest.raises(ValueError, match="method must be one of"):
        model.impute(X, method="median")
