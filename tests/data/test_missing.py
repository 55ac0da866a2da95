"""Missingness masks: rates, row guarantee, determinism, and what each mechanism depends on."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from gdlab.data.missing import apply_mask, mar_mask, mcar_mask, mnar_mask

MASKS = [mcar_mask, mar_mask, mnar_mask]


@pytest.fixture(scope="module")
def X():
    """Correlated Gaussian columns (correlation 0.6), so a value predicts its driver."""
    cov = 0.4 * np.eye(4) + 0.6
    return np.random.RandomState(0).multivariate_normal(np.zeros(4), cov, size=20_000)


def _logit_coefs(features, target):
    return LogisticRegression(C=1e6, max_iter=1000).fit(features, target).coef_[0]


@pytest.mark.parametrize("make", MASKS)
@pytest.mark.parametrize("rate", [0.1, 0.3, 0.6])
def test_rate_is_hit_and_no_row_is_emptied(make, rate, X):
    mask = make(X[:3000], rate)
    assert mask.dtype == bool and mask.shape == (3000, 4)
    assert mask.sum() == round(rate * mask.size)
    assert not mask.all(axis=1).any()


@pytest.mark.parametrize("make", [mcar_mask, mnar_mask])
def test_two_columns_at_a_high_rate_still_keep_a_value_per_row(make, X):
    mask = make(X[:2000, :2], 0.45)
    assert mask.sum() == round(0.45 * 4000)
    assert not mask.all(axis=1).any()


@pytest.mark.parametrize("make", MASKS)
def test_deterministic_by_seed(make, X):
    a = make(X[:500], 0.3, random_state=7)
    np.testing.assert_array_equal(a, make(X[:500], 0.3, random_state=7))
    assert not np.array_equal(a, make(X[:500], 0.3, random_state=8))


def test_mcar_accepts_a_shape_and_is_uniform_over_columns_and_values(X):
    mask = mcar_mask((20_000, 4), 0.3)
    np.testing.assert_allclose(mask.mean(axis=0), 0.3, atol=0.015)
    mask = mcar_mask(X, 0.3)
    high = X[:, 1] > np.median(X[:, 1])
    assert abs(mask[high, 1].mean() - mask[~high, 1].mean()) < 0.03


def test_mar_depends_on_the_driver_not_on_the_masked_value(X):
    mask, drivers = mar_mask(X, 0.3, return_drivers=True)
    is_driver = drivers < 0
    assert is_driver.sum() == 1 and not mask[:, is_driver].any()
    for j in np.flatnonzero(~is_driver):
        d = drivers[j]
        high = X[:, d] > np.median(X[:, d])
        assert mask[high, j].mean() - mask[~high, j].mean() > 0.3
        # given the driver, the value itself carries no information about missingness
        coef_driver, coef_value = _logit_coefs(X[:, [d, j]], mask[:, j])
        assert coef_driver > 1.5
        assert abs(coef_value) < 0.1
        # ... although marginally it does, through its correlation with the driver
        assert _logit_coefs(X[:, [j]], mask[:, j])[0] > 0.5


def test_mar_with_explicit_drivers_and_negative_strength(X):
    mask, drivers = mar_mask(X, 0.2, driver_columns=[0, 2], strength=-2.0, return_drivers=True)
    assert drivers[[0, 2]].tolist() == [-1, -1] and set(drivers[[1, 3]]) <= {0, 2}
    assert not mask[:, [0, 2]].any()
    for j in (1, 3):
        low = X[:, drivers[j]] < np.median(X[:, drivers[j]])
        assert mask[low, j].mean() - mask[~low, j].mean() > 0.2


def test_mnar_depends_on_the_value_itself(X):
    mask = mnar_mask(X, 0.3)
    for j in range(4):
        high = X[:, j] > np.median(X[:, j])
        assert mask[high, j].mean() - mask[~high, j].mean() > 0.3
        others = [k for k in range(4) if k != j]
        coefs = _logit_coefs(X[:, [j, *others]], mask[:, j])
        assert coefs[0] > 1.5
        assert np.all(np.abs(coefs[1:]) < 0.25)
    flipped = mnar_mask(X, 0.3, strength=-2.0)
    assert X[:, 0][flipped[:, 0]].mean() < X[:, 0][~flipped[:, 0]].mean() - 0.5


@pytest.mark.parametrize("make", MASKS)
def test_existing_nan_stay_outside_the_mask_and_do_not_count(make, X):
    Xn = X[:2000].copy()
    rng = np.random.RandomState(1)
    Xn[rng.uniform(size=Xn.shape) < 0.1] = np.nan
    Xn[5] = np.nan  # an entirely missing row stays as it is
    Xn[6, 1:] = np.nan  # a row with a single observed value keeps it
    mask = make(Xn, 0.3)
    observed = ~np.isnan(Xn)
    assert not mask[~observed].any()
    assert mask.sum() == round(0.3 * observed.sum())
    after = np.isnan(apply_mask(Xn, mask))
    assert (after.all(axis=1) == ~observed.any(axis=1)).all()
    assert not mask[6].any()


def test_allow_empty_rows(X):
    col = X[:1000, :1]
    with pytest.raises(ValueError, match=r"largest feasible rate is 0 \(pass allow_empty_rows"):
        mcar_mask(col, 0.3)
    mask = mcar_mask(col, 0.3, allow_empty_rows=True)
    assert mask.sum() == 300
    mask = mnar_mask(X[:1000, :2], 0.7, allow_empty_rows=True)
    assert mask.all(axis=1).any() and mask.sum() == 1400


def test_masks_on_a_mixed_dataframe_and_apply_mask_keeps_dtypes():
    rng = np.random.RandomState(0)
    df = pd.DataFrame({
        "num": rng.normal(size=400),
        "count": rng.randint(0, 9, size=400),
        "colour": pd.Categorical(rng.choice(["red", "green", "blue"], size=400)),
        "name": rng.choice(["a", "b", "c", "d"], size=400).astype(object),
    })
    for make in MASKS:
        mask = make(df, 0.25)
        assert mask.sum() == 400 and not mask.all(axis=1).any()
        out = apply_mask(df, mask)
        np.testing.assert_array_equal(out.isna().to_numpy(), mask)
        assert isinstance(out["colour"].dtype, pd.CategoricalDtype)
        assert list(out["colour"].cat.categories) == list(df["colour"].cat.categories)
        assert out["count"].dtype == np.float64
        assert not df.isna().any().any()  # the input is not modified
    high = (df["colour"] == "red").to_numpy()  # sorted codes: red is the largest category
    mask = mnar_mask(df, 0.25)
    assert mask[high, 2].mean() > mask[~high, 2].mean() + 0.2


def test_apply_mask_on_arrays():
    X = np.arange(6).reshape(3, 2)
    mask = np.zeros((3, 2), dtype=bool)
    mask[1, 0] = True
    out = apply_mask(X, mask)
    assert out.dtype == np.float64 and np.isnan(out[1, 0]) and np.isnan(out).sum() == 1
    assert X[1, 0] == 2  # copy
    obj = apply_mask(np.array([["a", "b"], ["c", "d"], ["e", "f"]]), mask)
    assert obj.dtype == object and obj[1, 0] is np.nan and obj[0, 0] == "a"


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda X: mcar_mask(X, 1.0), ValueError, r"rate must be in \[0, 1\), got 1.0"),
        (lambda X: mnar_mask(X, -0.1), ValueError, r"rate must be in \[0, 1\)"),
        (lambda X: mar_mask(X, "0.3"), TypeError, "rate must be a real number"),
        (lambda X: mar_mask(X[:, :1], 0.1), ValueError, "at least 2 columns"),
        (lambda X: mar_mask(X, 0.1, driver_columns=4), ValueError,
         r"distinct column indices in \[0, 4\)"),
        (lambda X: mar_mask(X, 0.1, driver_columns=[0, 1, 2, 3]), ValueError,
         "leaves no column to mask"),
        (lambda X: mar_mask(X, 0.1, driver_columns="a"), TypeError, "driver_columns must be"),
        (lambda X: mar_mask(X[:, :2], 0.6), ValueError, "target column"),
        (lambda X: mnar_mask(X, 0.3, strength=np.inf), TypeError, "strength must be"),
        (lambda X: mcar_mask(X[:, 0], 0.3), ValueError, "expected a 2-D"),
        (lambda X: mcar_mask((5, 2, 2), 0.3), ValueError, "expected a 2-D shape"),
        (lambda X: apply_mask(X, np.zeros((2, 2), bool)), ValueError,
         r"mask has shape \(2, 2\) but X has shape"),
        (lambda X: apply_mask(X, np.zeros(X.shape)), TypeError, "mask must be a boolean"),
    ],
)
def test_bad_input_raises_clear_errors(call, exc, match, X):
    with pytest.raises(exc, match=match):
        call(X[:100])
