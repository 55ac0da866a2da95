"""OneHotColumns: a column-typing model fit on the one-hot matrix every study uses."""

import numpy as np
import pandas as pd
import pytest

from gdlab import persistence
from gdlab.capability_tags import capabilities
from gdlab.data import Dataset
from gdlab.models import MixedNB
from gdlab.models.onehot import OneHotColumns, decode_onehot, encode_onehot
from gdlab.studies.prepare import model_for, numeric, onehot_groups


def _table(n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    plan = np.where(y == 1, rng.choice(["basic", "plus", "pro"], n, p=[0.2, 0.3, 0.5]),
                    rng.choice(["basic", "plus", "pro"], n, p=[0.6, 0.3, 0.1]))
    frame = pd.DataFrame({
        "age": rng.normal(40 + 5 * y, 8),
        "plan": pd.Categorical(plan),
        "smoker": rng.random(n) < 0.2 + 0.4 * y,
        "score": rng.normal(0.8 * y, 1.0),
    })
    return Dataset(name="t", X=frame, y=y, class_names=("no", "yes"), description="",
                   source="", modality="tabular")


def test_decode_then_encode_is_the_identity_on_valid_one_hot_rows():
    ds = _table()
    X, _ = numeric(ds)
    groups = onehot_groups(ds)
    assert groups == [[1, 2, 3], [4]]
    Z = decode_onehot(X, groups)
    assert Z.shape == (X.shape[0], 4)
    np.testing.assert_array_equal(encode_onehot(Z, groups, X.shape[1]), X)


def test_invalid_blocks_decode_to_an_unseen_code_and_missing_ones_to_nan():
    nan = np.nan
    X = np.array([[0, 1, 0], [1, 1, 0], [0, 0, 0], [0.5, 0, 0], [nan, nan, nan],
                  [nan, 0, 0], [nan, 1, 0]])
    np.testing.assert_array_equal(decode_onehot(X, [[0, 1, 2]])[:, 0],
                                  [1, 3, 3, 3, nan, nan, 1])
    np.testing.assert_array_equal(decode_onehot([[0.0], [1.0], [0.5], [nan]], [[0]])[:, 0],
                                  [0, 1, 2, nan])


def test_the_model_equals_mixed_nb_fit_on_the_table_itself():
    """Same posteriors and densities as MixedNB on the DataFrame (numbers as Gaussians)."""
    ds = _table()
    X, y = numeric(ds)
    wrapped = model_for("mixed-nb", ds).fit(X, y)
    assert isinstance(wrapped, OneHotColumns)
    frame = ds.X.assign(smoker=ds.X["smoker"].astype("category"))
    direct = MixedNB(distributions=["gaussian", "categorical", "categorical", "gaussian"])
    direct.fit(frame, y)
    np.testing.assert_allclose(wrapped.predict_proba(X), direct.predict_proba(frame),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(wrapped.score_samples(X), direct.score_samples(frame),
                               rtol=0, atol=1e-9)
    np.testing.assert_allclose(wrapped.predict_proba(X).sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_a_category_counts_once_not_once_per_indicator():
    """Gaussian naive Bayes on the indicators multiplies three near-degenerate densities;
    the wrapped model gives the category one probability, which sums to one over the
    categories and the smoothed "unseen" value (a row with no indicator set)."""
    ds = _table()
    X, y = numeric(ds)
    model = model_for("mixed-nb", ds).fit(X, y)
    base = X[:1].copy()
    total = 0.0
    for k in range(4):
        row = base.copy()
        row[0, 1:4] = np.eye(4)[k, :3]
        row[0, [0, 4, 5]] = np.nan  # marginalize the other columns
        total += np.exp(model.score_samples(row)[0])
    assert total == pytest.approx(1.0, abs=1e-9)


def test_samples_and_imputations_are_valid_one_hot_rows():
    ds = _table()
    X, y = numeric(ds)
    model = model_for("mixed-nb", ds).fit(X, y)
    S, labels = model.sample(500, random_state=0)
    assert S.shape == (500, X.shape[1]) and set(labels) <= {0, 1}
    np.testing.assert_array_equal(S[:, 1:4].sum(axis=1), 1.0)
    assert set(np.unique(S[:, 1:5])) <= {0.0, 1.0}
    # class 1 prefers "pro" (the third indicator), class 0 "basic"
    S1, _ = model.sample(2000, y=1, random_state=1)
    S0, _ = model.sample(2000, y=0, random_state=1)
    assert S1[:, 3].mean() > 0.4 > S0[:, 3].mean()

    Xm = X[:4].copy()
    Xm[0, 1:4] = np.nan        # the whole category missing
    Xm[1, 4] = np.nan          # the bool missing
    Xm[2, 0] = np.nan          # a number missing
    filled = model.impute(Xm)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[~np.isnan(Xm)], Xm[~np.isnan(Xm)])
    assert filled[0, 1:4].sum() == 1.0 and filled[1, 4] in (0.0, 1.0)


def test_impute_refuses_a_block_partly_observed_without_its_one():
    ds = _table()
    X, y = numeric(ds)
    model = model_for("mixed-nb", ds).fit(X, y)
    Xm = X[:2].copy()
    Xm[0, 1:4] = [0.0, np.nan, np.nan]
    with pytest.raises(ValueError, match="partly missing with no observed 1"):
        model.impute(Xm)


def test_out_of_range_one_hot_values_score_as_unseen_categories():
    ds = _table()
    X, y = numeric(ds)
    model = model_for("mixed-nb", ds).fit(X, y)
    noisy = X[:20].copy()
    noisy[:, 1:4] = 0.37
    assert (model.score_samples(noisy) < model.score_samples(X[:20])).all()


def test_bad_groups_and_shapes_are_refused():
    X = np.zeros((4, 3))
    with pytest.raises(ValueError, match="outside 0..2"):
        OneHotColumns(MixedNB(), groups=[[1, 5]]).fit(X, [0, 1, 0, 1])
    with pytest.raises(ValueError, match="disjoint"):
        OneHotColumns(MixedNB(), groups=[[0, 1], [1, 2]]).fit(X, [0, 1, 0, 1])
    with pytest.raises(TypeError, match="sequence of sequences"):
        OneHotColumns(MixedNB(), groups="01").fit(X, [0, 1, 0, 1])
    model = OneHotColumns(MixedNB(), groups=[[1, 2]]).fit(np.eye(3)[[0, 1, 2, 1]], [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"shape \(n_samples, 3\)"):
        model.predict(np.zeros((2, 4)))


def test_capabilities_are_the_wrapped_models_and_it_round_trips(tmp_path):
    ds = _table()
    X, y = numeric(ds)
    model = model_for("mixed-nb", ds)
    assert capabilities(model) == capabilities(MixedNB())
    model.fit(X, y)
    path = persistence.save(model, tmp_path / "m.gdlab")
    loaded = persistence.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_mixed_table_gets_mixed_nb_among_the_defaults_and_it_runs(tmp_path):
    from gdlab.comparison import compare, default_models_for

    ds = _table(n=160)
    assert "mixed-nb" in default_models_for(ds)
    result = compare(ds, models=["mixed-nb", "gaussian-nb"], studies=["calibration", "ood"],
                     out_dir=tmp_path / "out", seeds=2)
    rows = result.rows
    assert not (rows["metric"] == "failed").any(), rows.loc[rows["metric"] == "failed", "error"]
    assert set(rows["model"]) == {"mixed-nb", "gaussian-nb"}
