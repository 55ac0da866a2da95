"""Built-in datasets: shapes, class counts, dtypes, no R rownames, determinism, registry."""

import numpy as np
import pandas as pd
import pytest

from gdlab import data
from gdlab.data import Dataset, available, load, register
from gdlab.data.builtin import rdataset
from gdlab.data.registry import entry

# name -> (modality, X shape, class counts in class_names order, class names or None)
EXPECTED = {
    "iris": ("tabular", (150, 4), [50, 50, 50], ("setosa", "versicolor", "virginica")),
    "wine": ("tabular", (178, 13), [59, 71, 48], None),
    "breast_cancer": ("tabular", (569, 30), [212, 357], ("malignant", "benign")),
    "digits": ("image", (1797, 64), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180], None),
    "digits-0v1": ("image", (360, 64), [178, 182], ("0", "1")),
    "digits-2v3": ("image", (360, 64), [177, 183], ("2", "3")),
    "pima": ("tabular", (532, 7), [355, 177], ("No", "Yes")),
    "biopsy": ("tabular", (699, 9), [458, 241], ("benign", "malignant")),
    "fgl": ("tabular", (214, 9), [70, 76, 17, 13, 9, 29],
            ("WinF", "WinNF", "Veh", "Con", "Tabl", "Head")),
    "crabs": ("tabular", (200, 5), [100, 100], ("B", "O")),
    "crabs-sex": ("tabular", (200, 5), [100, 100], ("F", "M")),
    "boston-binary": ("tabular", (506, 13), [256, 250], ("low", "high")),
    "spam7": ("tabular", (4601, 6), [2788, 1813], ("n", "y")),
    "default": ("tabular", (10000, 3), [9667, 333], ("No", "Yes")),
    "penguins": ("tabular", (344, 7), [152, 68, 124], ("Adelie", "Chinstrap", "Gentoo")),
    "cats": ("tabular", (144, 2), [47, 97], ("F", "M")),
    "trump_tweets": ("text", (8614, 1), [4652, 3962], ("Android", "iPhone")),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_builtin_loads_with_documented_shape_and_class_counts(name):
    modality, shape, counts, class_names = EXPECTED[name]
    ds = load(name)
    assert isinstance(ds, Dataset) and ds.name == name
    assert ds.modality == modality
    assert ds.X.shape == shape
    assert ds.y.dtype == np.int64 and ds.y.shape == (shape[0],)
    assert np.bincount(ds.y, minlength=len(ds.class_names)).tolist() == counts
    if class_names is not None:
        assert ds.class_names == class_names
    assert ds.description and "\n" not in ds.description and ds.source
    if isinstance(ds.X, pd.DataFrame):
        assert "rownames" not in ds.X.columns
        assert tuple(ds.X.columns) == ds.feature_names


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loads_are_deterministic(name):
    a, b = load(name), load(name)
    np.testing.assert_array_equal(a.y, b.y)
    if isinstance(a.X, pd.DataFrame):
        pd.testing.assert_frame_equal(a.X, b.X)
    else:
        np.testing.assert_array_equal(a.X, b.X)


def test_loads_return_independent_copies():
    a = load("crabs")
    a.X.iloc[0, 0] = -1.0
    assert load("crabs").X.iloc[0, 0] != -1.0
    assert "rownames" not in rdataset("MASS", "crabs").columns


@pytest.mark.parametrize(
    "name, dtypes",
    [
        ("pima", {"npreg": "int64", "glu": "int64", "bmi": "float64", "ped": "float64"}),
        ("biopsy", {"clump_thickness": "int64", "bare_nuclei": "float64"}),
        ("default", {"student": "bool", "balance": "float64", "income": "float64"}),
        ("penguins", {"island": "category", "sex": "category", "body_mass_g": "float64",
                      "year": "int64"}),
        ("boston-binary", {"chas": "int64", "rad": "int64", "crim": "float64"}),
        ("spam7", {"crl.tot": "int64", "dollar": "float64"}),
    ],
)
def test_real_dtypes(name, dtypes):
    X = load(name).X
    assert {c: str(X[c].dtype) for c in dtypes} == dtypes


def test_real_missing_values_are_kept_as_nan():
    biopsy = load("biopsy").X
    assert biopsy.isna().sum().to_dict() == {c: 16 * (c == "bare_nuclei") for c in biopsy.columns}
    penguins = load("penguins").X
    assert penguins["sex"].isna().sum() == 11
    assert penguins["bill_length_mm"].isna().sum() == 2
    assert list(penguins["island"].cat.categories) == ["Biscoe", "Dream", "Torgersen"]


def test_leaky_or_target_columns_are_dropped():
    assert "ID" not in load("biopsy").X.columns
    assert "medv" not in load("boston-binary").X.columns
    crabs = load("crabs").X.columns.tolist()
    assert crabs == ["FL", "RW", "CL", "CW", "BD"]  # no sex, no within-group index
    assert "sp" not in load("crabs-sex").X.columns


def test_boston_binary_target_is_medv_above_its_median():
    medv = rdataset("MASS", "Boston")["medv"].to_numpy()
    np.testing.assert_array_equal(load("boston-binary").y, (medv > np.median(medv)).astype(int))


def test_pima_is_train_then_test():
    tr, te = rdataset("MASS", "Pima.tr"), rdataset("MASS", "Pima.te")
    X = load("pima").X
    np.testing.assert_array_equal(X["glu"].to_numpy(), np.r_[tr["glu"], te["glu"]])


def test_digits_pairs_are_the_images_of_those_digits():
    digits = load("digits")
    assert digits.metadata["image_shape"] == (8, 8)
    pair = load("digits-2v3")
    assert pair.metadata["image_shape"] == (8, 8)
    expected = digits.X[np.isin(digits.y, [2, 3])]
    np.testing.assert_array_equal(pair.X, expected)
    np.testing.assert_array_equal(pair.y, digits.y[np.isin(digits.y, [2, 3])] == 3)


def test_no_rownames_column_anywhere():
    for name in data.registry.names():
        if entry(name).source.startswith("gdlab synthetic"):
            continue  # generated in Python, no R data frame behind them
        try:
            ds = load(name)
        except (ImportError, data.DatasetUnavailable):
            continue
        if isinstance(ds.X, pd.DataFrame):
            assert "rownames" not in ds.X.columns, name
        assert "rownames" not in ds.feature_names, name


def test_available_lists_every_name_with_real_sizes():
    table = available()
    assert list(table.columns) == [
        "name", "modality", "n_samples", "n_features", "n_classes", "source", "description",
    ]
    assert set(EXPECTED) | {"fortunes-lang", "fortunes-topic", "moons", "hmm-sequences"} <= set(
        table.name
    )
    rows = table.set_index("name")
    for name, (modality, shape, counts, _) in EXPECTED.items():
        row = rows.loc[name]
        assert row.modality == modality
        assert (row.n_samples, row.n_features, row.n_classes) == (*shape, len(counts))
    assert set(table.modality) <= {"tabular", "image", "text", "sequence"}


def test_unknown_name_suggests_close_names():
    with pytest.raises(ValueError, match=r"unknown dataset 'penguin'; did you mean 'penguins'"):
        load("penguin")
    with pytest.raises(ValueError, match=r"did you mean 'digits-0v1'"):
        load("digits-01")
    with pytest.raises(ValueError, match=r"unknown dataset 'zzz'; available: .*iris"):
        load("zzz")


def test_register_a_new_dataset_and_reject_bad_entries():
    def loader(n=3):
        return Dataset(name="tiny", X=np.zeros((n, 1)), y=np.arange(n) % 2,
                       class_names=("a", "b"), description="tiny", source="test")

    register("test-tiny", loader, modality="tabular", description="tiny", source="test",
             replace=True)
    assert load("test-tiny").X.shape == (3, 1)
    assert load("test-tiny", n=5).X.shape == (5, 1)  # kwargs reach the loader
    assert entry("test-tiny").source == "test"
    with pytest.raises(ValueError, match="already registered"):
        register("test-tiny", loader, modality="tabular", description="d", source="s")
    with pytest.raises(ValueError, match="modality must be one of"):
        register("test-x", loader, modality="video", description="d", source="s")
    with pytest.raises(TypeError, match="loader must be callable"):
        register("test-x", 3, modality="tabular", description="d", source="s")
    with pytest.raises(ValueError, match="one line"):
        register("test-x", loader, modality="tabular", description="a\nb", source="s")


def test_a_missing_loader_module_fails_only_when_loaded():
    register(
        "test-missing-module",
        lambda: __import__("gdlab.data.no_such_module"),
        modality="tabular", description="d", source="s", replace=True,
    )
    row = available().set_index("name").loc["test-missing-module"]
    assert pd.isna(row.n_samples)
    with pytest.raises(ImportError):
        load("test-missing-module")


def test_dataset_defaults_for_the_synthetic_half():
    ds = Dataset(name="a", X=np.zeros((2, 1)), y=np.array([0, 1]), class_names=("a", "b"),
                 description="d", source="s")
    assert ds.modality == "tabular" and ds.metadata == {} and ds.feature_names == ()
    other = Dataset(name="a", X=np.zeros((2, 1)), y=np.array([0, 1]), class_names=("a", "b"),
                    description="d", source="s")
    assert other.metadata is not ds.metadata
