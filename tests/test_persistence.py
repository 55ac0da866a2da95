"""Pickle-free save/load: round trips, the tensor protocol, and refusing bad files."""

import hashlib
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import check_random_state

import gdlab
from gdlab import persistence
from gdlab.models import MixedNB
from gdlab.models.registry import available, make
from gdlab.persistence import load, save

# small settings for the slow-to-fit models; round trips do not depend on them
FAST = {"random-forest": {"n_estimators": 5}, "hist-gb": {"max_iter": 5}}


@pytest.fixture(scope="module")
def data():
    """Small non-negative integer data every registry model accepts."""
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], 30)
    X = rng.poisson(1.0, (90, 4)) + y[:, None] * np.array([1, 0, 2, 0])
    return np.minimum(X, 4).astype(np.float64), y


def _inputs_for(name, data):
    """Training data of the kind the registry model takes: rows, sequences or texts."""
    from gdlab.comparison import model_input_kind

    X, y = data
    kind = model_input_kind(name)
    rng = np.random.RandomState(1)
    if kind == "sequence":
        if name in ("hmm-categorical", "gru-chars"):  # integer symbol codes
            seqs = [rng.randint(0, 3 + k, size=(8 + i % 5, 1)) for i, k in enumerate(y)]
        else:
            seqs = [rng.normal(loc=k, size=(8 + i % 5, 2)) for i, k in enumerate(y)]
        return seqs, y
    if kind == "text":
        words = [["cat", "hat", "mat", "sat"], ["dog", "fog", "log", "bog"],
                 ["sun", "fun", "run", "bun"]]
        texts = [" ".join(rng.choice(words[k], size=4 + i % 3)) for i, k in enumerate(y)]
        return texts, y
    from gdlab.models.registry import spec

    if spec(name).modality == ("image",):  # 8x8 images
        return np.tile(X, 16), y
    return X, y


@pytest.mark.parametrize("name", sorted(available().name))
def test_round_trip_gives_identical_outputs(name, data, tmp_path):
    X, y = _inputs_for(name, data)
    model = make(name, **FAST.get(name, {}))
    if "max_epochs" in model.get_params():  # networks: round trips do not depend on training
        model.set_params(max_epochs=2)
    caps = gdlab.capabilities(model)
    model.fit(X, y) if {"classify", "conditional_sample"} & caps else model.fit(X)
    path = save(model, tmp_path / f"{name}.gdlab")
    loaded = load(path)
    assert type(loaded) is type(model)
    if "classify" in caps:
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if {"density", "density_bound", "unnormalized_density"} & caps:
        np.testing.assert_array_equal(loaded.score_samples(X), model.score_samples(X))
    if "sample" in caps:  # the same seed draws the same samples from both
        a, b = loaded.sample(3, random_state=0), model.sample(3, random_state=0)
        a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
        if isinstance(a, list) and isinstance(a[0], str):
            assert a == b
        else:
            for u, v in zip(a, b, strict=True):
                np.testing.assert_array_equal(u, v)


def test_unfitted_model_round_trips_its_params(tmp_path):
    model = make("tree", max_depth=2)
    loaded = load(save(model, tmp_path / "m.gdlab"))
    assert loaded.get_params() == model.get_params()


def test_manifest_records_format_class_and_checksums(data, tmp_path):
    X, y = data
    path = save(DecisionTreeClassifier(random_state=0).fit(X, y), tmp_path / "m.gdlab")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["format"] == "gdlab-model"
        assert manifest["format_version"] == persistence.FORMAT_VERSION
        assert manifest["gdlab_version"] == gdlab.__version__
        assert manifest["class"] == "sklearn.tree._classes.DecisionTreeClassifier"
        digest = hashlib.sha256(zf.read("estimator.skops")).hexdigest()
        assert manifest["members"] == {"estimator.skops": digest}


# -- a test-only estimator that holds torch state ------------------------------


class TinyTorchClassifier(ClassifierMixin, BaseEstimator):
    """Softmax regression as an nn.Linear, plus a learned temperature tensor."""

    def __init__(self, *, n_steps=30, seed=0):
        self.n_steps = n_steps
        self.seed = seed

    def fit(self, X, y):
        torch.manual_seed(self.seed)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        self.n_features_in_ = X.shape[1]
        self.linear_ = torch.nn.Linear(self.n_features_in_, len(self.classes_))
        self.temperature_ = torch.tensor(1.5, dtype=torch.float64)
        opt = torch.optim.SGD(self.linear_.parameters(), lr=0.1)
        Xt, yt = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y_idx)
        for _ in range(self.n_steps):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(self.linear_(Xt), yt).backward()
            opt.step()
        return self

    def predict_proba(self, X):
        with torch.no_grad():
            logits = self.linear_(torch.as_tensor(X, dtype=torch.float32)).double()
            return torch.softmax(logits / self.temperature_, dim=1).numpy()

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def _gdlab_tensors_(self):
        state = {f"linear.{k}": v for k, v in self.linear_.state_dict().items()}
        return {**state, "temperature": self.temperature_}

    def _gdlab_load_tensors_(self, tensors):
        self.linear_ = torch.nn.Linear(self.n_features_in_, len(self.classes_))
        self.linear_.load_state_dict(
            {k.removeprefix("linear."): v for k, v in tensors.items() if k.startswith("linear.")}
        )
        self.temperature_ = tensors["temperature"]


TINY = f"{__name__}.TinyTorchClassifier"


def test_torch_state_round_trips_through_safetensors(data, tmp_path):
    X, y = data
    model = TinyTorchClassifier().fit(X, y)
    path = save(model, tmp_path / "tiny.gdlab", trusted=[TinyTorchClassifier])
    with zipfile.ZipFile(path) as zf:
        assert set(zf.namelist()) == {"manifest.json", "estimator.skops", "tensors.safetensors"}
        manifest = json.loads(zf.read("manifest.json"))
        # no torch object went through skops
        assert manifest["torch_attributes"] == ["linear_", "temperature_"]
        assert not any("torch" in t for t in sio.get_untrusted_types(
            data=zf.read("estimator.skops")))
    assert hasattr(model, "linear_")  # saving did not strip the caller's model
    loaded = load(path, trusted=[TINY])
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.temperature_.dtype == torch.float64


def test_test_module_types_are_not_trusted_by_default(data, tmp_path):
    X, y = data
    model = TinyTorchClassifier().fit(X, y)
    with pytest.raises(ValueError, match="untrusted types.*TinyTorchClassifier"):
        save(model, tmp_path / "tiny.gdlab")
    path = save(model, tmp_path / "tiny.gdlab", trusted=[TINY])
    with pytest.raises(ValueError, match="unknown class path"):
        load(path)


def test_torch_module_without_the_protocol_is_refused_at_save(tmp_path):
    model = DecisionTreeClassifier()
    model.extra_ = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="_gdlab_tensors_"):
        save(model, tmp_path / "m.gdlab")
    assert not (tmp_path / "m.gdlab").exists()


# -- refusing tampered, truncated and foreign files ------------------------------


def _write_archive(path, members, manifest=None, **manifest_changes):
    """Write an archive with a correct manifest for ``members`` unless one is given."""
    if manifest is None:
        manifest = {
            "format": "gdlab-model",
            "format_version": 1,
            "gdlab_version": gdlab.__version__,
            "class": "sklearn.tree._classes.DecisionTreeClassifier",
            "members": {k: hashlib.sha256(v).hexdigest() for k, v in members.items()},
            "torch_attributes": [],
        }
    manifest.update(manifest_changes)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, blob in members.items():
            zf.writestr(name, blob)
    return path


@pytest.fixture
def saved(data, tmp_path):
    """(path, manifest, members) of a saved decision tree."""
    X, y = data
    path = save(DecisionTreeClassifier(random_state=0).fit(X, y), tmp_path / "tree.gdlab")
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        members = {n: zf.read(n) for n in zf.namelist() if n != "manifest.json"}
    return path, manifest, members


def test_rewritten_archive_with_the_same_content_still_loads(saved, tmp_path):
    # guards the tamper tests below: _write_archive itself makes loadable files
    _, manifest, members = saved
    assert isinstance(load(_write_archive(tmp_path / "ok.gdlab", members, manifest)),
                      DecisionTreeClassifier)


def test_tampered_member_fails_the_checksum(saved, tmp_path, data):
    _, manifest, members = saved
    X, y = data
    other = sio.dumps(DecisionTreeClassifier(max_depth=1).fit(X, y))
    path = _write_archive(tmp_path / "t.gdlab", {"estimator.skops": other}, manifest)
    with pytest.raises(ValueError, match="checksum mismatch for estimator.skops"):
        load(path)


def test_extra_or_missing_members_are_refused(saved, tmp_path):
    _, manifest, members = saved
    path = _write_archive(tmp_path / "x.gdlab", {**members, "evil.py": b"print(1)"}, manifest)
    with pytest.raises(ValueError, match="do not match the manifest"):
        load(path)
    path = _write_archive(tmp_path / "y.gdlab", {}, manifest)
    with pytest.raises(ValueError, match="do not match the manifest"):
        load(path)


def test_unknown_class_path_is_refused(saved, tmp_path):
    _, manifest, members = saved
    path = _write_archive(tmp_path / "c.gdlab", members, dict(manifest), **{"class": "os.system"})
    with pytest.raises(ValueError, match="unknown class path 'os.system'"):
        load(path)


def test_newer_format_version_is_refused(saved, tmp_path):
    _, manifest, members = saved
    path = _write_archive(tmp_path / "v.gdlab", members, dict(manifest), format_version=99)
    with pytest.raises(ValueError, match="newer than this gdlab reads"):
        load(path)


def test_truncated_file_is_refused(saved, tmp_path):
    path, _, _ = saved
    blob = path.read_bytes()
    for cut in (len(blob) // 2, len(blob) - 10, 10):
        short = tmp_path / f"short{cut}.gdlab"
        short.write_bytes(blob[:cut])
        with pytest.raises(ValueError, match="not a gdlab model file"):
            load(short)


def test_random_bytes_and_foreign_zips_are_refused(tmp_path):
    noise = tmp_path / "noise.gdlab"
    noise.write_bytes(np.random.RandomState(0).bytes(4096))
    with pytest.raises(ValueError, match="not a gdlab model file"):
        load(noise)
    foreign = tmp_path / "foreign.zip"
    with zipfile.ZipFile(foreign, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(ValueError, match="no manifest.json"):
        load(foreign)
    not_json = tmp_path / "j.gdlab"
    with zipfile.ZipFile(not_json, "w") as zf:
        zf.writestr("manifest.json", b"\xff{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load(not_json)


# -- an untrusted type inside the skops part is never constructed ------------------

SETSTATE_CALLS = []


class Booby:
    """Test-only class whose __setstate__ records that it ran."""

    def __init__(self):
        self.payload = 1

    def __setstate__(self, state):
        SETSTATE_CALLS.append(state)
        self.__dict__.update(state)


def test_untrusted_type_is_refused_without_running_its_code(tmp_path, data):
    X, y = data
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    tree.booby_ = Booby()
    blob = sio.dumps(tree)
    path = _write_archive(tmp_path / "booby.gdlab", {"estimator.skops": blob})
    SETSTATE_CALLS.clear()
    with pytest.raises(ValueError, match=r"untrusted types \['[\w.]*Booby'\]"):
        load(path)
    assert SETSTATE_CALLS == []
    # the flag is real: trusting the type runs __setstate__
    loaded = load(path, trusted=[Booby])
    assert SETSTATE_CALLS == [{"payload": 1}]
    assert isinstance(loaded.booby_, Booby)


def test_untrusted_type_as_the_whole_estimator_is_refused(tmp_path):
    blob = sio.dumps(Booby())
    path = _write_archive(tmp_path / "b.gdlab", {"estimator.skops": blob})
    SETSTATE_CALLS.clear()
    with pytest.raises(ValueError, match="untrusted"):
        load(path)
    assert SETSTATE_CALLS == []


def test_lookalike_module_names_are_not_trusted():
    assert persistence._is_trusted("sklearn.tree._classes.DecisionTreeClassifier", frozenset())
    assert not persistence._is_trusted("sklearn_evil.Thing", frozenset())
    assert not persistence._is_trusted("builtins.eval", frozenset())
    # only classes of gdlab / scikit-learn are trusted by package, never functions or
    # other packages' callables, which skops may call while rebuilding an object
    assert persistence._is_trusted("gdlab.models.naive_bayes.GaussianNB", frozenset())
    assert not persistence._is_trusted("sklearn.utils.check_random_state", frozenset())
    assert not persistence._is_trusted("sklearn.tree._classes.NoSuchThing", frozenset())
    assert not persistence._is_trusted("numpy.memmap", frozenset())
    assert not persistence._is_trusted("numpy.testing._private.utils.runstring", frozenset())


def test_function_from_a_trusted_package_is_refused(tmp_path, data):
    X, y = data
    tree = DecisionTreeClassifier(random_state=0).fit(X, y)
    tree.hook_ = check_random_state  # a sklearn *function*: stored by skops as a callable
    path = _write_archive(tmp_path / "fn.gdlab", {"estimator.skops": sio.dumps(tree)})
    with pytest.raises(ValueError, match="untrusted types .*check_random_state"):
        load(path)


def test_mixed_nb_on_a_dataframe_round_trips_with_its_dtypes(tmp_path):
    frame = pd.DataFrame(
        {
            "height": [1.5, 1.7, np.nan, 1.8, 1.6, 1.9],
            "colour": pd.Categorical(["red", "blue", "red", None, "blue", "red"]),
            "visits": [1, 4, 2, 5, 0, 3],
            "city": ["Oslo", "Rome", "Oslo", "Rome", "Lima", "Oslo"],
        }
    )
    y = [0, 1, 0, 1, 0, 1]
    model = MixedNB().fit(frame, y)
    loaded = load(save(model, tmp_path / "mixed.gdlab"))
    np.testing.assert_array_equal(loaded.predict_proba(frame), model.predict_proba(frame))
    sampled, _ = loaded.sample(4, random_state=0)
    assert sampled.dtypes.to_dict() == model.sample(4, random_state=0)[0].dtypes.to_dict()
    assert list(sampled["colour"].cat.categories) == ["blue", "red"]
    pd.testing.assert_frame_equal(loaded.impute(frame), model.impute(frame))
