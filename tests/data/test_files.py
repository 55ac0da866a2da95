"""User files: CSV and Parquet tables, folders of images."""

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gdlab.data import load_csv, load_image_folder, load_parquet
from gdlab.data.files import from_frame

CSV = """age,smoker,colour,income,label
31,yes,red,1200.5,good
45,no,blue,,bad
28,no,red,990.0,good
52,yes,green,2100.0,bad
"""


def test_csv_keeps_real_dtypes_and_missing_values(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    ds = load_csv(path, target="label")
    assert ds.name == "people" and ds.modality == "tabular" and ds.source == str(path)
    assert ds.X.dtypes.astype(str).to_dict() == {
        "age": "int64", "smoker": "bool", "colour": "category", "income": "float64",
    }
    assert ds.X["income"].isna().tolist() == [False, True, False, False]
    assert ds.class_names == ("bad", "good") and ds.y.tolist() == [1, 0, 1, 0]
    assert ds.feature_names == ("age", "smoker", "colour", "income")
    assert ds.metadata["target"] == "label"


def test_csv_kwargs_reach_pandas(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text("x;y\n1,5;a\n2,5;b\n")
    ds = load_csv(path, target="y", sep=";", decimal=",")
    assert ds.X["x"].tolist() == [1.5, 2.5]


def test_csv_numeric_target_classes_are_sorted_numbers(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("x,y\n0.1,10\n0.2,2\n0.3,10\n")
    ds = load_csv(path, target="y")
    assert ds.class_names == ("2", "10") and ds.y.tolist() == [1, 0, 1]


def test_csv_mostly_numeric_column_with_bad_values_is_an_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("glucose,label\n5.1,a\n4.9,b\n?,a\n6.0,b\n")
    with pytest.raises(ValueError, match=r"column 'glucose' is mostly numeric .* e\.g\. '\?'"):
        load_csv(path, target="label")
    # the fix the message suggests works
    ds = load_csv(path, target="label", na_values=["?"])
    assert ds.X["glucose"].isna().sum() == 1 and str(ds.X["glucose"].dtype) == "float64"
    kept = load_csv(path, target="label", dtype={"glucose": str})
    assert str(kept.X["glucose"].dtype) == "category"


def test_csv_mostly_text_column_is_categorical(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("size,label\nsmall,a\n3,b\nlarge,a\nhuge,b\n")
    assert str(load_csv(path, target="label").X["size"].dtype) == "category"


def test_csv_errors(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text(CSV)
    with pytest.raises(ValueError, match=r"no target column 'class'; available columns: age, smo"):
        load_csv(path, target="class")
    one = tmp_path / "one.csv"
    one.write_text("x,label\n1,a\n2,a\n")
    with pytest.raises(ValueError, match=r"target column 'label' has only one class \('a'\)"):
        load_csv(one, target="label")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValueError, match="is empty"):
        load_csv(empty, target="label")
    header = tmp_path / "header.csv"
    header.write_text("x,label\n")
    with pytest.raises(ValueError, match="has no rows"):
        load_csv(header, target="label")
    holes = tmp_path / "holes.csv"
    holes.write_text("x,label\n1,a\n2,\n3,b\n")
    with pytest.raises(ValueError, match="target column 'label' has 1 missing value"):
        load_csv(holes, target="label")
    only_target = tmp_path / "t.csv"
    only_target.write_text("label\na\nb\n")
    with pytest.raises(ValueError, match="no feature columns"):
        load_csv(only_target, target="label")
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "absent.csv", target="label")


def test_parquet_round_trip_keeps_dtypes(tmp_path):
    frame = pd.DataFrame({
        "x": [0.5, np.nan, 1.5, 2.0],
        "kind": pd.Categorical(["a", "b", "a", "b"]),
        "n": np.array([1, 2, 3, 4], dtype=np.int64),
        "label": ["no", "yes", "no", "yes"],
    })
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    ds = load_parquet(path, target="label")
    assert ds.X.dtypes.astype(str).to_dict() == {"x": "float64", "kind": "category", "n": "int64"}
    assert ds.y.tolist() == [0, 1, 0, 1] and ds.class_names == ("no", "yes")
    assert load_parquet(path, target="label", columns=["x"]).X.columns.tolist() == ["x"]
    with pytest.raises(ValueError, match="no target column 'y'"):
        load_parquet(path, target="y")


def test_from_frame_does_not_modify_the_input():
    frame = pd.DataFrame({"c": ["u", "v"], "t": [0, 1]})
    from_frame(frame, "t")
    assert frame["c"].dtype != "category"


def _png(path, size, value, mode="L"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value).save(path)


def test_image_folder_grayscale(tmp_path):
    _png(tmp_path / "cat" / "b.png", (4, 3), 255)
    _png(tmp_path / "cat" / "a.png", (4, 3), 0)
    _png(tmp_path / "dog" / "x.png", (4, 3), 51)
    (tmp_path / "dog" / "README").write_text("not an image, ignored")
    ds = load_image_folder(tmp_path)
    assert ds.modality == "image" and ds.class_names == ("cat", "dog")
    assert ds.X.shape == (3, 12) and ds.X.dtype == np.float64
    assert ds.metadata["image_shape"] == (3, 4)
    np.testing.assert_allclose(ds.X.mean(axis=1), [0.0, 1.0, 0.2])
    assert ds.y.tolist() == [0, 0, 1]
    assert ds.metadata["files"].tolist() == ["cat/a.png", "cat/b.png", "dog/x.png"]


def test_image_folder_resize_and_rgb(tmp_path):
    _png(tmp_path / "r" / "1.png", (6, 4), (255, 0, 0), mode="RGB")
    _png(tmp_path / "g" / "1.png", (10, 10), (0, 255, 0), mode="RGB")
    ds = load_image_folder(tmp_path, size=(2, 3), grayscale=False)
    assert ds.X.shape == (2, 18) and ds.metadata["image_shape"] == (2, 3, 3)
    green = ds.X[0].reshape(2, 3, 3)
    np.testing.assert_allclose(green[..., 1], 1.0)
    np.testing.assert_allclose(green[..., 0], 0.0)
    assert load_image_folder(tmp_path, size=5).metadata["image_shape"] == (5, 5)


def test_image_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="is not a directory"):
        load_image_folder(tmp_path / "absent")
    with pytest.raises(ValueError, match="has no class subfolders"):
        load_image_folder(tmp_path)
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="no images"):
        load_image_folder(tmp_path)
    _png(tmp_path / "a" / "1.png", (2, 2), 0)
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError, match=r"class folder\(s\) \['b'\] .* hold no images"):
        load_image_folder(tmp_path)
    _png(tmp_path / "b" / "1.png", (3, 3), 0)
    with pytest.raises(ValueError, match=r"has shape \(3, 3\).*pass size="):
        load_image_folder(tmp_path)
    (tmp_path / "b" / "2.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"cannot read image .*2\.png"):
        load_image_folder(tmp_path, size=2)
    with pytest.raises(ValueError, match="size must be"):
        load_image_folder(tmp_path, size=(0, 2))
