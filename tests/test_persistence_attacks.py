"""Crafted, oversized and corrupted model files: load refuses them with ValueError, and
never writes to the file system, opens a socket or decompresses more than the limits.

Each attack is a real archive (valid zip, valid manifest with the right SHA-256 digests)
whose skops part is written by hand, the way an attacker would: skops stores every
object as a JSON node naming a loader, a module and a class, and calls that class
(``ConstructorFromReduceNode``: ``cls(*args)``) or restores it (``ObjectNode``:
``cls.__new__(cls)`` then ``__setstate__``) when the file is loaded.
"""

import builtins
import hashlib
import importlib
import io
import json
import os
import socket
import struct
import tempfile
import zipfile

import numpy as np
import pytest
import skops
import skops.io as sio
from sklearn.tree import DecisionTreeClassifier
from skops.io._protocol import PROTOCOL

import gdlab
from gdlab import persistence
from gdlab.persistence import load, save

TREE = "sklearn.tree._classes.DecisionTreeClassifier"


# -- building crafted files ---------------------------------------------------------


def _json(value):
    """A skops JsonNode holding ``value``."""
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode",
            "content": json.dumps(value), "is_json": True}


def _tuple(*values):
    """A skops TupleNode of JSON values."""
    return {"__class__": "tuple", "__module__": "builtins", "__loader__": "TupleNode",
            "content": [_json(v) for v in values]}


def _call(module, name, *args):
    """A node that makes skops call ``module.name(*args)`` while loading."""
    return {"__class__": name, "__module__": module, "__loader__": "ConstructorFromReduceNode",
            "content": _tuple(*args)}


def _skops_bytes(schema, other_members=(), compression=zipfile.ZIP_STORED):
    """A skops archive with ``schema`` as its schema.json (plus raw members)."""
    schema = {**schema, "protocol": PROTOCOL, "_skops_version": skops.__version__}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as zf:
        zf.writestr("schema.json", json.dumps(schema))
        for name, blob in other_members:
            zf.writestr(name, blob)
    return buffer.getvalue()


def _tree_with(attribute, node):
    """The skops bytes of a small fitted-free decision tree holding ``node`` as an attribute."""
    with zipfile.ZipFile(io.BytesIO(sio.dumps(DecisionTreeClassifier(max_depth=2)))) as zf:
        schema = json.loads(zf.read("schema.json"))
    attrs = schema["content"]
    key_types = attrs["key_types"]["content"]
    key_types.append(dict(key_types[0]))  # the key is a str, like the others
    attrs["content"][attribute] = node
    return _skops_bytes(schema)


def _archive(path, members, cls=TREE):
    """A gdlab archive with a correct manifest (format, class, SHA-256 of each member)."""
    manifest = {
        "format": "gdlab-model", "format_version": 1, "gdlab_version": gdlab.__version__,
        "class": cls, "torch_attributes": [],
        "members": {k: hashlib.sha256(v).hexdigest() for k, v in members.items()},
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
        for name, blob in members.items():
            zf.writestr(name, blob)
    return path


class SideEffect(BaseException):
    """Raised by the guards below; a BaseException so no ``except Exception`` hides it."""


@pytest.fixture
def no_side_effects(monkeypatch):
    """A function that, once called, makes writing a file, creating or removing a
    directory entry, or opening a socket raise SideEffect (until the test ends)."""
    real_open, real_os_open = builtins.open, os.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise SideEffect(f"open({file!r}, {mode!r})")
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND):
            raise SideEffect(f"os.open({path!r}, {flags})")
        return real_os_open(path, flags, *args, **kwargs)

    def refuse(what):
        def guard(*args, **kwargs):
            raise SideEffect(f"{what}{args}")
        return guard

    def arm():
        monkeypatch.setattr(builtins, "open", guarded_open)
        monkeypatch.setattr(io, "open", guarded_open)
        monkeypatch.setattr(os, "open", guarded_os_open)
        for name in ("mkdir", "makedirs", "remove", "unlink", "rename", "replace", "rmdir"):
            monkeypatch.setattr(os, name, refuse(f"os.{name}"))
        monkeypatch.setattr(socket, "socket", refuse("socket.socket"))

    return arm


# -- 1. a class re-exported by a trusted package is not trusted ----------------------

MEMMAP_REEXPORT = "sklearn.externals.array_api_compat.numpy"
TEMPDIR_REEXPORT = "sklearn.datasets._covtype"


def test_the_reexports_used_below_exist():
    # guards the two attacks below: they go through these real re-exports
    assert importlib.import_module(MEMMAP_REEXPORT).memmap is np.memmap
    assert importlib.import_module(TEMPDIR_REEXPORT).TemporaryDirectory is \
        tempfile.TemporaryDirectory


def test_memmap_reexported_by_sklearn_cannot_truncate_a_file(tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_bytes(b"precious data, not to be truncated\n")
    node = _call(MEMMAP_REEXPORT, "memmap", str(victim), "uint8", "w+", 0, 1)
    path = _archive(tmp_path / "memmap.gdlab", {"estimator.skops": _skops_bytes(node)})
    with pytest.raises(ValueError, match=r"untrusted types .*array_api_compat\.numpy\.memmap"):
        load(path)
    assert victim.read_bytes() == b"precious data, not to be truncated\n"


def test_temporary_directory_reexported_by_sklearn_creates_nothing(tmp_path, monkeypatch):
    target = tmp_path / "target"
    target.mkdir()
    made = []
    real_mkdir = os.mkdir
    monkeypatch.setattr(os, "mkdir", lambda p, *a, **k: (made.append(p), real_mkdir(p, *a, **k)))
    node = _call(TEMPDIR_REEXPORT, "TemporaryDirectory", "", "gdlab-attack-", str(target))
    path = _archive(tmp_path / "tmpdir.gdlab", {"estimator.skops": _tree_with("cache_", node)})
    with pytest.raises(ValueError, match=r"untrusted types .*_covtype\.TemporaryDirectory"):
        load(path)
    assert made == []
    assert list(target.iterdir()) == []


def test_sklearn_class_that_opens_a_socket_when_restored_is_refused(tmp_path):
    # a class *defined* in scikit-learn is still refused when it is not known to be
    # inert: ScoringMonitor.__setstate__ connects to an address from the file and opens
    # a listening UNIX socket (with a thread) when that fails
    transport = pytest.importorskip("sklearn.callback._transport")
    handle = {"__class__": "ListenerHandle", "__module__": "sklearn.callback._transport",
              "__loader__": "TupleNode",
              "content": [_json(str(tmp_path / "no-such-socket")), _json(None)]}
    state = {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode",
             "key_types": {"__class__": "list", "__module__": "builtins",
                           "__loader__": "ListNode",
                           "content": [{"__class__": "str", "__module__": "builtins",
                                        "__loader__": "TypeNode"}] * 2},
             "content": {"_log": {"__class__": "list", "__module__": "builtins",
                                  "__loader__": "ListNode", "content": []},
                         "_listener_handle": handle}}
    node = {"__class__": "ScoringMonitor", "__module__": "sklearn.callback._scoring_monitor",
            "__loader__": "ObjectNode", "content": state}
    path = _archive(tmp_path / "monitor.gdlab", {"estimator.skops": _tree_with("hook_", node)})
    before = dict(transport._listeners)
    with pytest.raises(ValueError, match="untrusted types .*ScoringMonitor"):
        load(path)
    assert transport._listeners == before


def _reexports(module_name):
    """Names ``module.attr`` of classes and callables a module holds but does not define."""
    module = importlib.import_module(module_name)
    found = []
    for attr, value in sorted(vars(module).items()):
        if attr.startswith("__") or not callable(value):
            continue
        defined_in = getattr(value, "__module__", None) or ""
        if defined_in != module_name:
            found.append(f"{module_name}.{attr}")
    return found


# a spread of gdlab and scikit-learn modules that import other packages' callables
REEXPORTING_MODULES = [
    "gdlab.persistence", "gdlab.base", "gdlab._validation", "gdlab.models.hf",
    "gdlab.models.naive_bayes", "gdlab.nn.estimator", "gdlab.studies.runner", "gdlab.cli",
    "sklearn.base", "sklearn.utils", "sklearn.utils.validation", "sklearn.datasets._lfw",
    "sklearn.datasets._base", "sklearn.datasets._openml", "sklearn.datasets._covtype",
    "sklearn.externals.array_api_compat.numpy", "sklearn.pipeline", "sklearn.tree._classes",
]


@pytest.mark.parametrize("module_name", REEXPORTING_MODULES)
def test_no_callable_reached_through_a_reexport_is_trusted(module_name):
    names = _reexports(module_name)
    assert names, f"{module_name} re-exports nothing; pick another module"
    trusted = [n for n in names if persistence._is_trusted(n, frozenset())]
    assert trusted == []


@pytest.mark.parametrize("name", [
    f"{MEMMAP_REEXPORT}.memmap", f"{TEMPDIR_REEXPORT}.TemporaryDirectory",
    "sklearn.datasets._lfw.Memory", "sklearn.datasets._openml.Path",
    "gdlab.persistence.tempfile.TemporaryDirectory", "sklearn.utils.np.memmap",
])
def test_named_reexports_are_refused_end_to_end(name, tmp_path, no_side_effects):
    module, _, cls = name.rpartition(".")
    node = _call(module, cls, str(tmp_path / "x"))
    path = _archive(tmp_path / "r.gdlab", {"estimator.skops": _tree_with("x_", node)})
    no_side_effects()
    with pytest.raises(ValueError, match="untrusted types"):
        load(path)


@pytest.mark.parametrize("name", [
    "sklearn.callback._scoring_monitor.ScoringMonitor",  # opens a socket in __setstate__
    "sklearn.callback._transport.ListenerHandle",
    "sklearn.utils._testing.TempMemmap",  # a test helper that creates a temporary folder
    "gdlab.studies.base.Cell",
    "gdlab.data.Dataset",
])
def test_classes_defined_in_trusted_packages_need_the_allow_list(name):
    module, _, cls = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        pytest.skip(f"{name} does not exist in this version")
    assert isinstance(obj, type) and obj.__module__ == module  # defined there, not re-exported
    assert not persistence._is_trusted(name, frozenset())


def test_classes_real_models_hold_are_trusted():
    for name in [TREE, "gdlab.models.naive_bayes.GaussianNB", "gdlab.models.mixture._Stats",
                 "gdlab.tokenizers.CharTokenizer", "sklearn.tree._tree.Tree",
                 "sklearn.calibration._CalibratedClassifier",
                 "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
                 "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"]:
        assert persistence._is_trusted(name, frozenset()), name


# -- 2. sizes are checked before anything is decompressed ------------------------------


@pytest.fixture
def no_big_reads(monkeypatch):
    """Make opening any zip member declared over 1 MiB raise SideEffect."""
    real_open = zipfile.ZipFile.open

    def guarded(self, name, mode="r", *args, **kwargs):
        info = name if isinstance(name, zipfile.ZipInfo) else self.NameToInfo.get(name)
        if mode == "r" and info is not None and info.file_size > 1 << 20:
            raise SideEffect(f"decompressing {info.filename} ({info.file_size} bytes)")
        return real_open(self, name, mode, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", guarded)


def _zeros_member(zf, name, n_bytes, prefix=b""):
    """Stream ``prefix`` and zeros up to ``n_bytes`` into a deflated member; its SHA-256."""
    digest = hashlib.sha256()
    chunk = bytes(1 << 20)
    with zf.open(name, "w", force_zip64=True) as fh:
        fh.write(prefix)
        digest.update(prefix)
        left = n_bytes - len(prefix)
        while left > 0:
            piece = chunk[:min(left, len(chunk))]
            fh.write(piece)
            digest.update(piece)
            left -= len(piece)
    return digest.hexdigest()


def _bomb_archive(path, n_bytes):
    """A valid archive whose estimator.skops is ``n_bytes`` of zeros (a few KiB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        digest = _zeros_member(zf, "estimator.skops", n_bytes)
    manifest = {"format": "gdlab-model", "format_version": 1, "class": TREE,
                "gdlab_version": gdlab.__version__, "torch_attributes": [],
                "members": {"estimator.skops": digest}}
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr("manifest.json", json.dumps(manifest))
    path.write_bytes(buffer.getvalue())
    return path


def test_zip_bomb_member_is_refused_before_decompressing(tmp_path, no_big_reads):
    path = _bomb_archive(tmp_path / "bomb.gdlab", 48 << 20)
    assert path.stat().st_size < 200_000  # 48 MiB of zeros packed
    with pytest.raises(ValueError, match=r"estimator\.skops .*compresses \d+:1.*zip bomb"):
        load(path)


def _declare_size(blob, name, n_bytes):
    """The archive bytes with the central directory claiming ``name`` has ``n_bytes``."""
    blob = bytearray(blob)
    at = blob.find(b"PK\x01\x02")
    while at >= 0:
        name_len = struct.unpack_from("<H", blob, at + 28)[0]
        if blob[at + 46:at + 46 + name_len] == name.encode():
            struct.pack_into("<I", blob, at + 24, n_bytes)
            return bytes(blob)
        at = blob.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in the central directory")


@pytest.fixture(scope="module")
def tree_file(tmp_path_factory):
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    path = tmp_path_factory.mktemp("tree") / "tree.gdlab"
    return save(DecisionTreeClassifier(random_state=0).fit(X, y), path), X


def test_member_declared_over_the_size_limit_is_refused_unread(tree_file, tmp_path,
                                                                no_big_reads):
    path, _ = tree_file
    big = tmp_path / "big.gdlab"
    big.write_bytes(_declare_size(path.read_bytes(), "estimator.skops", 3 << 30))
    with pytest.raises(ValueError, match=r"estimator\.skops .*3221225472 bytes.*MAX_MEMBER_BYTES"):
        load(big)


def test_size_limits_are_the_module_constants(tree_file, monkeypatch):
    path, X = tree_file
    monkeypatch.setattr(persistence, "MAX_MEMBER_BYTES", 100)
    with pytest.raises(ValueError, match="MAX_MEMBER_BYTES"):
        load(path)
    monkeypatch.setattr(persistence, "MAX_MEMBER_BYTES", 1 << 30)
    monkeypatch.setattr(persistence, "MAX_TOTAL_BYTES", 200)
    with pytest.raises(ValueError, match="MAX_TOTAL_BYTES"):
        load(path)
    monkeypatch.undo()
    assert load(path).predict(X).shape == (40,)


def test_member_longer_than_declared_is_read_no_further(tree_file, tmp_path):
    # a header claiming fewer bytes than the data holds: reading stops at the claim
    path, _ = tree_file
    blob = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        real = zf.getinfo("estimator.skops").file_size
    short = tmp_path / "short.gdlab"
    short.write_bytes(_declare_size(blob, "estimator.skops", real // 2))
    with pytest.raises(ValueError, match="estimator.skops"):
        load(short)


def test_zip_bomb_inside_the_skops_part_is_refused(tmp_path, no_big_reads):
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        _zeros_member(zf, "schema.json", 48 << 20, prefix=b'{"a": "')
    path = _archive(tmp_path / "inner.gdlab", {"estimator.skops": inner.getvalue()})
    with pytest.raises(ValueError, match=r"skops part: schema\.json .*zip bomb"):
        load(path)


def test_zip_bomb_in_a_numpy_npz_inside_the_skops_part_is_refused(tmp_path, no_big_reads):
    # scipy sparse matrices are stored as .npz (a zip) inside the skops part
    n = 48 << 20
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "|u1", "fortran_order": False, "shape": (n,)})
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        _zeros_member(zf, "format.npy", n + len(header.getvalue()), prefix=header.getvalue())
    node = {"__class__": "spmatrix", "__module__": "scipy.sparse._matrix",  # trusted by skops
            "__loader__": "SparseMatrixNode", "type": "scipy", "file": "m.npz"}
    skops_part = _skops_bytes(node, [("m.npz", npz.getvalue())])
    path = _archive(tmp_path / "npz.gdlab", {"estimator.skops": skops_part})
    with pytest.raises(ValueError, match=r"m\.npz: format\.npy .*zip bomb"):
        load(path)


def test_oversized_file_is_refused_unread(tree_file, monkeypatch):
    path, _ = tree_file
    monkeypatch.setattr(persistence, "MAX_TOTAL_BYTES", 100)
    with pytest.raises(ValueError, match=r"\d+ bytes.*MAX_TOTAL_BYTES"):
        load(path)


# -- 3. any damaged file gives ValueError; loading writes nothing -----------------------


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """(path, model, X) of a small torch network (with a safetensors member) and a tree."""
    from gdlab.models.networks import MLPClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    folder = tmp_path_factory.mktemp("saved")
    net = MLPClassifier(hidden_sizes=(4,), max_epochs=1, validation_fraction=0.0,
                        device="cpu", random_state=0).fit(X, y)
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    out = []
    for name, model in (("net", net), ("tree", tree)):
        out.append((save(model, folder / f"{name}.gdlab"), model, X))
    with zipfile.ZipFile(out[0][0]) as zf:
        assert "tensors.safetensors" in zf.namelist()
    return out


def _flip_positions(blob):
    """Byte positions to damage: every header byte, and a spread inside each member's data."""
    positions = set()
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        infos = zf.infolist()
    end_record = blob.rfind(b"PK\x05\x06")
    cd_start = struct.unpack_from("<I", blob, end_record + 16)[0]  # central directory
    for info in infos:
        start = info.header_offset
        header_len = 30 + len(info.filename.encode()) + struct.unpack_from(
            "<H", blob, start + 28)[0]
        positions.update(range(start, start + header_len))
        data_start = start + header_len
        positions.update(np.linspace(data_start, data_start + info.compress_size - 1,
                                     40).astype(int).tolist())
    positions.update(range(cd_start, len(blob)))  # central directory and its end record
    return sorted(positions)


@pytest.mark.parametrize("which", [0, 1], ids=["torch-net", "tree"])
def test_every_damaged_byte_gives_value_error_or_the_same_model(saved_models, which, tmp_path):
    path, model, X = saved_models[which]
    blob = path.read_bytes()
    expected = model.predict_proba(X)
    positions = _flip_positions(blob)
    assert len(positions) > 150
    damaged = tmp_path / "damaged.gdlab"
    other = []
    for pos in positions:
        flipped = bytearray(blob)
        flipped[pos] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        try:
            loaded = load(damaged)
        except ValueError:
            continue
        except Exception as exc:  # noqa: BLE001 - the point is to catch every other kind
            other.append((pos, type(exc).__name__, str(exc)[:80]))
            continue
        # a harmless byte (a timestamp, an unused field): the very same model came back
        np.testing.assert_array_equal(loaded.predict_proba(X), expected)
    assert other == []


@pytest.mark.parametrize("which", [0, 1], ids=["torch-net", "tree"])
def test_load_writes_nothing(saved_models, which, tmp_path, monkeypatch, no_side_effects):
    path, model, X = saved_models[which]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    no_side_effects()
    loaded = load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert list(scratch.iterdir()) == []


# -- 4. tree node arrays are checked: predict never reads out of bounds or loops -------
#
# sklearn.tree._tree.Tree, gradient boosting's predict_stages and the histogram
# gradient boosting TreePredictor follow child indices and read X[i, feature] without
# bounds checks. Each attack below rewrites a real saved model's node array (a .npy
# member of the skops part) or a count in its schema, then recomputes every checksum.
# None of them calls predict on the tampered model: without the checks that could
# crash the interpreter or never return.


@pytest.fixture(scope="module")
def tree_models(tmp_path_factory):
    """name -> (path, model, X) of small fitted tree models, saved."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)
    models = {
        "tree": DecisionTreeClassifier(max_depth=3, random_state=0),
        "forest": RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0),
        "hist-gb": HistGradientBoostingClassifier(max_iter=3, max_leaf_nodes=4,
                                                  min_samples_leaf=5, random_state=0),
        "pipeline": make_pipeline(StandardScaler(),
                                  DecisionTreeClassifier(max_depth=3, random_state=0)),
    }
    folder = tmp_path_factory.mktemp("trees")
    return {name: (save(model.fit(X, y), folder / f"{name}.gdlab"), model, X)
            for name, model in models.items()}


def _rewrite_skops(path, out, edit_npy=None, edit_schema=None):
    """Copy a saved model to ``out`` with its skops part edited, checksums recomputed.

    ``edit_npy(arrays)`` gets the list of arrays stored in the skops part (in archive
    order) and edits them in place or replaces items of the list; ``edit_schema(schema)``
    edits the parsed schema.json in place.
    """
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        skops_part = zf.read("estimator.skops")
    with zipfile.ZipFile(io.BytesIO(skops_part)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    if edit_npy is not None:
        names = [n for n in members if n.endswith(".npy")]
        arrays = [np.load(io.BytesIO(members[n]), allow_pickle=False) for n in names]
        edit_npy(arrays)
        for n, array in zip(names, arrays, strict=True):
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=False)
            members[n] = buffer.getvalue()
    if edit_schema is not None:
        schema = json.loads(members["schema.json"])
        edit_schema(schema)
        members["schema.json"] = json.dumps(schema).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for name, blob in members.items():
            zf.writestr(name, blob)
    return _archive(out, {"estimator.skops": buffer.getvalue()}, cls=manifest["class"])


def _set_state_entry(schema, key, value):
    """Set every ``key`` of a dict node in a skops schema (a Tree's state) to ``value``."""
    found = []

    def visit(node):
        if isinstance(node, dict):
            content = node.get("content")
            if node.get("__loader__") == "DictNode" and isinstance(content, dict) \
                    and key in content:
                content[key] = _json(value)
                found.append(node)
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(schema)
    assert found, f"no state holds {key!r}"


def _tree_nodes(arrays):
    """The Tree node arrays among a skops part's structured arrays."""
    nodes = [a for a in arrays if a.dtype.names and "left_child" in a.dtype.names]
    assert nodes
    return nodes


def _internal(nodes, after=0):
    """Index of the first split node at or after ``after``."""
    return int(np.flatnonzero(nodes["left_child"][after:] != -1)[0]) + after


@pytest.mark.parametrize("name", ["tree", "forest", "hist-gb", "pipeline"])
def test_untampered_tree_models_load_and_predict_identically(tree_models, name, tmp_path):
    path, model, X = tree_models[name]
    same = _rewrite_skops(path, tmp_path / "same.gdlab", edit_npy=lambda arrays: None)
    for p in (path, same):
        np.testing.assert_array_equal(load(p).predict_proba(X), model.predict_proba(X))


def _other_tree_models():
    """(name, model, X, y) of more tree models, fitted quickly, all valid."""
    from sklearn.ensemble import (
        BaggingClassifier,
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        IsolationForest,
    )

    rng = np.random.RandomState(0)
    X = rng.normal(size=(90, 4))
    y = np.arange(90) % 3
    missing = X.copy()
    missing[y == 1, 1] = np.nan  # the best split sends only the missing values right
    coded = X.copy()
    coded[:, 2] = rng.randint(0, 5, 90)
    return [
        ("missing-values", DecisionTreeClassifier(random_state=0), missing, (y == 1) * 1),
        ("gradient-boosting", GradientBoostingClassifier(n_estimators=2, max_depth=2), X, y),
        ("isolation-forest", IsolationForest(n_estimators=2, max_features=0.5,
                                             random_state=0), X, None),
        ("bagging-feature-subsets", BaggingClassifier(DecisionTreeClassifier(max_depth=2),
                                                      n_estimators=2, max_features=2,
                                                      random_state=0), X, y),
        ("hist-gb-categorical", HistGradientBoostingClassifier(
            max_iter=2, categorical_features=[2], random_state=0), coded, y),
    ]


@pytest.mark.parametrize("name, model, X, y", _other_tree_models(),
                         ids=[case[0] for case in _other_tree_models()])
def test_valid_tree_models_of_other_kinds_load_and_predict_identically(name, model, X, y,
                                                                      tmp_path):
    model.fit(X) if y is None else model.fit(X, y)
    trusted = sio.get_untrusted_types(data=sio.dumps(model))  # the categorical encoder
    loaded = load(save(model, tmp_path / "m.gdlab", trusted=trusted), trusted=trusted)
    method = "predict_proba" if hasattr(model, "predict_proba") else "score_samples"
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))
    if name == "missing-values":
        assert np.isinf(loaded.tree_.threshold).any()  # +inf is a valid threshold


def test_tree_child_out_of_range_is_refused(tree_models, tmp_path):
    path, _, _ = tree_models["tree"]

    def edit(arrays):
        _tree_nodes(arrays)[0]["left_child"][0] = 10**6

    bad = _rewrite_skops(path, tmp_path / "bad.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"DecisionTreeClassifier\.tree_ has a malformed "
                                         r"tree: node 0 has left child 1000000"):
        load(bad)


def test_tree_child_pointing_back_to_the_root_is_refused(tree_models, tmp_path):
    # a cycle: predict would walk it forever
    path, _, _ = tree_models["tree"]

    def edit(arrays):
        nodes = _tree_nodes(arrays)[0]
        nodes["right_child"][_internal(nodes, after=1)] = 0

    bad = _rewrite_skops(path, tmp_path / "cycle.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"malformed tree: node \d+ has right child 0; "
                                         r"expected a later node"):
        load(bad)


def test_tree_child_shared_by_two_parents_is_refused(tree_models, tmp_path):
    path, _, _ = tree_models["tree"]

    def edit(arrays):
        nodes = _tree_nodes(arrays)[0]
        nodes["right_child"][0] = nodes["left_child"][0] + 1  # a grandchild, twice
    bad = _rewrite_skops(path, tmp_path / "dag.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"malformed tree: node \d+ is the child of"):
        load(bad)


def test_forest_tree_feature_beyond_n_features_is_refused(tree_models, tmp_path):
    path, _, X = tree_models["forest"]

    def edit(arrays):
        nodes = _tree_nodes(arrays)[1]  # a tree of the forest other than the first
        nodes["feature"][0] = X.shape[1] + 5

    bad = _rewrite_skops(path, tmp_path / "feature.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"RandomForestClassifier\.estimators_\[\d\]\.tree_ "
                                         r"has a malformed tree: node 0 splits on feature 8"):
        load(bad)


def test_tree_in_a_pipeline_is_checked(tree_models, tmp_path):
    path, _, _ = tree_models["pipeline"]

    def edit(arrays):
        _tree_nodes(arrays)[0]["feature"][0] = -7

    bad = _rewrite_skops(path, tmp_path / "pipe.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"Pipeline\.steps\[1\]\[1\]\.tree_ has a malformed"):
        load(bad)


def test_tree_node_count_that_disagrees_with_the_stored_nodes_is_refused(tree_models,
                                                                          tmp_path):
    # (a node_count above the stored nodes is cut down by Tree.__setstate__ itself;
    # one below leaves nodes that the children point to outside the counted tree)
    path, _, _ = tree_models["tree"]
    bad = _rewrite_skops(path, tmp_path / "count.gdlab",
                         edit_schema=lambda s: _set_state_entry(s, "node_count", 1))
    with pytest.raises(ValueError, match=r"node_count is 1 for \d+ stored nodes"):
        load(bad)


def test_tree_max_depth_below_the_real_depth_is_refused(tree_models, tmp_path):
    # decision_path sizes its output by max_depth and writes one entry per level
    path, _, _ = tree_models["tree"]
    bad = _rewrite_skops(path, tmp_path / "depth.gdlab",
                         edit_schema=lambda s: _set_state_entry(s, "max_depth", 0))
    with pytest.raises(ValueError, match=r"max_depth is 0 but the nodes are 3 deep"):
        load(bad)


def _predictor_nodes(arrays):
    nodes = [a for a in arrays if a.dtype.names and "bitset_idx" in a.dtype.names]
    assert nodes
    return nodes


def test_hist_gb_predictor_left_index_out_of_range_is_refused(tree_models, tmp_path):
    path, _, _ = tree_models["hist-gb"]

    def edit(arrays):
        nodes = _predictor_nodes(arrays)[-1]
        nodes["left"][0] = len(nodes) + 7

    bad = _rewrite_skops(path, tmp_path / "left.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"_predictors\[\d\]\[0\] has a malformed tree: "
                                         r"node 0 has left child \d+"):
        load(bad)


def test_hist_gb_predictor_feature_beyond_n_features_is_refused(tree_models, tmp_path):
    path, _, X = tree_models["hist-gb"]

    def edit(arrays):
        _predictor_nodes(arrays)[0]["feature_idx"][0] = X.shape[1]

    bad = _rewrite_skops(path, tmp_path / "hfeature.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"node 0 splits on feature 3; expected one of \[0, 3\)"):
        load(bad)


def test_hist_gb_categorical_split_without_its_bitset_is_refused(tree_models, tmp_path):
    # a categorical split reads row bitset_idx of the predictor's bitsets (none here)
    path, _, _ = tree_models["hist-gb"]

    def edit(arrays):
        nodes = _predictor_nodes(arrays)[0]
        nodes["is_categorical"][0] = 1
        nodes["bitset_idx"][0] = 5

    bad = _rewrite_skops(path, tmp_path / "bitset.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"node 0 uses bitset 5 of raw_left_cat_bitsets, "
                                         r"which has 0 rows"):
        load(bad)


def test_gradient_boosting_init_narrower_than_its_trees_is_refused(tmp_path):
    # predict_stages adds tree k's output to column k of the initial raw predictions;
    # an init estimator with one class prior instead of three makes them one column
    # wide, and the trees of classes 1 and 2 would write past the array
    from sklearn.ensemble import GradientBoostingClassifier

    X = np.random.RandomState(0).normal(size=(60, 3))
    y = np.arange(60) % 3
    path = save(GradientBoostingClassifier(n_estimators=2, max_depth=2).fit(X, y),
                tmp_path / "gb.gdlab")

    def edit(arrays):
        priors = [i for i, a in enumerate(arrays)
                  if a.dtype == np.float64 and a.shape == (3,) and np.isclose(a.sum(), 1)]
        assert len(priors) == 1
        arrays[priors[0]] = arrays[priors[0]][:1]

    bad = _rewrite_skops(path, tmp_path / "narrow.gdlab", edit_npy=edit)
    with pytest.raises(ValueError, match=r"GradientBoostingClassifier\.init_ has a malformed "
                                         r"tree: predicts 3 classes with priors of shape \(1,\)"):
        load(bad)


# -- 5. libsvm, k-means and neighbors state is checked: predict never reads out of bounds
#
# libsvm (SVC, NuSVC, SVR, NuSVR, OneClassSVM) builds its model from support_,
# support_vectors_, _n_support, _dual_coef_, _intercept_, _probA and _probB and walks it
# with sizes taken from _n_support alone; k-means reads cluster_centers_ with the width
# of X; brute-force neighbors read _fit_X with the width of X and write a class score at
# column _y[j]. None of these checks bounds. Each attack below rewrites one attribute of
# a real saved model (its .npy / .npz member, or its JSON value) with every checksum
# recomputed; none calls predict on the tampered model.


def _edit_attribute(path, out, attribute, edit, trusted=None):
    """Copy a saved model to ``out`` with ``edit(value)`` in place of one attribute.

    The attribute is found by name in the skops schema (it must occur once, or name one
    shared member); arrays (``.npy``) and sparse matrices (``.npz``) are rewritten in
    their member, JSON values in the schema.
    """
    import scipy.sparse as sparse

    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        skops_part = zf.read("estimator.skops")
    with zipfile.ZipFile(io.BytesIO(skops_part)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    schema = json.loads(members["schema.json"])
    found = []

    def visit(node):
        if isinstance(node, dict):
            content = node.get("content")
            if node.get("__loader__") == "DictNode" and isinstance(content, dict) \
                    and attribute in content:
                found.append(content)
            for child in node.values():
                visit(child)
        elif isinstance(node, list):
            for child in node:
                visit(child)

    visit(schema)
    nodes = [content[attribute] for content in found]
    files = {node.get("file") for node in nodes}
    assert len(nodes) == 1 or (len(files) == 1 and None not in files), \
        f"{attribute} occurs {len(nodes)} times"
    node = nodes[0]
    name = node.get("file")
    if name is None:
        for content in found:
            content[attribute] = _json(edit(json.loads(node["content"])))
        members["schema.json"] = json.dumps(schema).encode()
    elif name.endswith(".npz"):
        buffer = io.BytesIO()
        sparse.save_npz(buffer, edit(sparse.load_npz(io.BytesIO(members[name]))))
        members[name] = buffer.getvalue()
    else:
        buffer = io.BytesIO()
        np.save(buffer, edit(np.load(io.BytesIO(members[name]), allow_pickle=False)),
                allow_pickle=False)
        members[name] = buffer.getvalue()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as zf:
        for member, blob in members.items():
            zf.writestr(member, blob)
    return _archive(out, {"estimator.skops": buffer.getvalue()}, cls=manifest["class"])


CSR = ["scipy.sparse._csr.csr_matrix"]


def _svm_cases():
    """name -> (model, X, y, fit/predict input), small and fast."""
    import scipy.sparse as sparse
    from sklearn.metrics.pairwise import linear_kernel
    from sklearn.svm import SVC, SVR, NuSVC, OneClassSVM

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3))
    y3 = np.arange(30) % 3
    return {
        "binary": (SVC(), X, y3 % 2),
        "multiclass": (SVC(kernel="poly", degree=2), X, y3),
        "probability": (SVC(probability=True, random_state=0), X, y3),
        "precomputed": (SVC(kernel="precomputed"), X @ X.T, y3),
        "callable-kernel": (SVC(kernel=linear_kernel), X, y3),  # no n_features_in_
        "sparse": (SVC(kernel="linear"), sparse.csr_matrix(np.where(X > 0.5, X, 0)), y3),
        "nu": (NuSVC(nu=0.3), X, y3 % 2),
        "regression": (SVR(), X, X[:, 0]),
        "one-class": (OneClassSVM(gamma=0.5), X, None),
        "sparse-regression": (SVR(), sparse.csr_matrix(np.where(X > 0.5, X, 0)), X[:, 0]),
    }


@pytest.fixture(scope="module")
def svm_models(tmp_path_factory):
    """name -> (path, model, X, trusted) of small fitted libsvm models, saved."""
    import warnings

    folder = tmp_path_factory.mktemp("svms")
    saved = {}
    for name, (model, X, y) in _svm_cases().items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # probability=True (sklearn 1.9)
            model.fit(X) if y is None else model.fit(X, y)
        trusted = sio.get_untrusted_types(data=sio.dumps(model))  # CSR, linear_kernel
        saved[name] = (save(model, folder / f"{name}.gdlab", trusted=trusted), model, X, trusted)
    return saved


def _outputs(model, X):
    """The scores a libsvm classifier or one-class model makes."""
    outputs = [model.decision_function(X)]
    if getattr(model, "_probA", np.empty(0)).size:
        outputs.append(model.predict_proba(X))
    return outputs


@pytest.mark.parametrize("name", list(_svm_cases()))
def test_valid_svm_models_load_and_predict_identically(svm_models, name):
    path, model, X, trusted = svm_models[name]
    loaded = load(path, trusted=trusted)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    if name in ("regression", "sparse-regression"):
        return
    # the same arrays, possibly at other alignments: BLAS may round the last bit apart
    for got, expected in zip(_outputs(loaded, X), _outputs(model, X), strict=True):
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


def test_svc_n_support_summing_beyond_the_support_vectors_is_refused(svm_models, tmp_path):
    # libsvm sizes each class's block of kernel values and coefficients from _n_support
    path, model, _, _ = svm_models["binary"]
    n_sv = len(model.support_)
    bad = _edit_attribute(path, tmp_path / "n_support.gdlab", "_n_support",
                          lambda a: a + np.array([0, 7], dtype=a.dtype))
    with pytest.raises(ValueError, match=rf"SVC has a malformed support vector machine: "
                                         rf"_n_support sums to {n_sv + 7}; expected {n_sv}"):
        load(bad)


def test_svc_negative_n_support_is_refused(svm_models, tmp_path):
    path, _, _, _ = svm_models["binary"]
    bad = _edit_attribute(path, tmp_path / "negative.gdlab", "_n_support",
                          lambda a: np.array([a.sum() + 3, -3], dtype=a.dtype))
    with pytest.raises(ValueError, match=r"_n_support holds a negative count"):
        load(bad)


def test_svc_dual_coef_of_the_wrong_shape_is_refused(svm_models, tmp_path):
    # one row of coefficients per class but one: libsvm reads row j-1 for class j
    path, model, _, _ = svm_models["multiclass"]
    n_sv = len(model.support_)
    bad = _edit_attribute(path, tmp_path / "dual.gdlab", "_dual_coef_", lambda a: a[:1])
    with pytest.raises(ValueError, match=rf"_dual_coef_ has shape \(1, {n_sv}\); expected "
                                         rf"\(2, {n_sv}\)"):
        load(bad)


def test_svc_support_vectors_narrower_than_n_features_in_are_refused(svm_models, tmp_path):
    path, model, _, _ = svm_models["binary"]
    n_sv = len(model.support_)
    bad = _edit_attribute(path, tmp_path / "narrow.gdlab", "support_vectors_",
                          lambda a: np.ascontiguousarray(a[:, :2]))
    with pytest.raises(ValueError, match=rf"support_vectors_ has shape \({n_sv}, 2\); "
                                         rf"expected \({n_sv}, 3\)"):
        load(bad)


def test_svc_support_vectors_fewer_than_support_are_refused(svm_models, tmp_path):
    # libsvm walks len(support_) rows of support_vectors_
    path, model, _, _ = svm_models["multiclass"]
    bad = _edit_attribute(path, tmp_path / "rows.gdlab", "support_vectors_", lambda a: a[:3])
    with pytest.raises(ValueError, match=r"support_vectors_ has shape \(3, 3\)"):
        load(bad)


def test_svc_intercept_too_short_is_refused(svm_models, tmp_path):
    # one intercept per pair of classes: 3 for 3 classes
    path, _, _, _ = svm_models["multiclass"]
    bad = _edit_attribute(path, tmp_path / "intercept.gdlab", "_intercept_", lambda a: a[:1])
    with pytest.raises(ValueError, match=r"_intercept_ has shape \(1,\); expected \(3,\)"):
        load(bad)


@pytest.mark.parametrize("attribute", ["_probA", "_probB"])
def test_svc_probability_coefficients_of_the_wrong_length_are_refused(svm_models, tmp_path,
                                                                     attribute):
    # predict_proba copies one sigmoid per pair of classes from _probA and _probB
    path, _, _, _ = svm_models["probability"]
    bad = _edit_attribute(path, tmp_path / "prob.gdlab", attribute, lambda a: a[:1])
    with pytest.raises(ValueError, match=rf"{attribute} has shape \(1,\); expected \(3,\)"):
        load(bad)


def test_svc_support_dtype_other_than_int32_is_refused(svm_models, tmp_path):
    path, _, _, _ = svm_models["binary"]
    bad = _edit_attribute(path, tmp_path / "dtype.gdlab", "support_",
                          lambda a: a.astype(np.int64))
    with pytest.raises(ValueError, match=r"support_ is int64 of shape \(\d+,\); expected "
                                         r"int32"):
        load(bad)


def test_precomputed_svc_support_index_beyond_the_training_rows_is_refused(svm_models,
                                                                          tmp_path):
    # with a precomputed kernel libsvm reads column support_[i] of each row of X
    path, _, X, _ = svm_models["precomputed"]

    def edit(support):
        support = support.copy()
        support[-1] = X.shape[1] + 100
        return support

    bad = _edit_attribute(path, tmp_path / "support.gdlab", "support_", edit)
    with pytest.raises(ValueError, match=r"support_ holds index 130; expected indices in "
                                         r"\[0, 30\)"):
        load(bad)


def test_sparse_svc_with_a_precomputed_kernel_is_refused(svm_models, tmp_path):
    # sparse libsvm reads X at the index stored as a support vector's value
    path, _, _, _ = svm_models["sparse"]
    bad = _edit_attribute(path, tmp_path / "sparse-pre.gdlab", "kernel",
                          lambda k: "precomputed")
    with pytest.raises(ValueError, match=r"kernel is 'precomputed' on sparse support vectors"):
        load(bad, trusted=CSR)


def test_sparse_svc_support_vector_rows_out_of_order_are_refused(svm_models, tmp_path):
    # a row whose indptr decreases has a negative length: libsvm writes before its buffer
    path, _, _, _ = svm_models["sparse"]

    def edit(sv):
        sv = sv.copy()
        sv.indptr[1], sv.indptr[2] = sv.indptr[2], sv.indptr[1] - 1
        return sv

    bad = _edit_attribute(path, tmp_path / "indptr.gdlab", "support_vectors_", edit)
    with pytest.raises(ValueError, match=r"support_vectors_ .*indptr"):
        load(bad, trusted=CSR)


def test_one_class_svm_n_support_of_another_length_is_refused(svm_models, tmp_path):
    # regression and one-class models hold two counts: libsvm takes their number as
    # the number of classes, reading one row of coefficients per class but one
    path, _, _, _ = svm_models["one-class"]
    bad = _edit_attribute(path, tmp_path / "oc.gdlab", "_n_support",
                          lambda a: np.concatenate([a, a]))
    with pytest.raises(ValueError, match=r"OneClassSVM has a malformed support vector "
                                         r"machine: _n_support has 4 entries; expected 2"):
        load(bad)


def test_svc_shadowing_its_libsvm_type_is_refused(svm_models, tmp_path):
    # _impl selects the libsvm type (and with it the layout above); a file may set any
    # instance attribute, so one that shadows the class's is refused
    path, _, _, _ = svm_models["binary"]

    def add(schema):
        content = schema["content"]
        content["key_types"]["content"].append(dict(content["key_types"]["content"][0]))
        content["content"]["_impl"] = _json("one_class")

    bad = _rewrite_skops(path, tmp_path / "impl.gdlab", edit_schema=add)
    with pytest.raises(ValueError, match=r"_impl is set on the instance"):
        load(bad)


def test_svc_in_the_registry_pipeline_is_checked(tmp_path):
    # rbf-svm: a scaler, then CalibratedClassifierCV(SVC(), ensemble=False)
    from gdlab.models.registry import make

    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.arange(40) % 2
    path = save(make("rbf-svm").fit(X, y), tmp_path / "rbf.gdlab")
    bad = _edit_attribute(path, tmp_path / "bad.gdlab", "_intercept_", lambda a: a[:0])
    with pytest.raises(ValueError, match=r"Pipeline\.steps\[1\]\[1\]\.calibrated_classifiers_"
                                         r"\[0\]\.estimator has a malformed support vector "
                                         r"machine: _intercept_ has shape \(0,\)"):
        load(bad)


@pytest.fixture(scope="module")
def other_compiled_models(tmp_path_factory):
    """name -> (path, model, X) of k-means and brute-force neighbors models, saved."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.neighbors import KNeighborsClassifier, LocalOutlierFactor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = np.arange(40) % 3
    models = {
        "kmeans": (KMeans(n_clusters=3, n_init=1, random_state=0), None),
        "minibatch-kmeans": (MiniBatchKMeans(n_clusters=3, n_init=1, batch_size=16,
                                             random_state=0), None),
        "knn": (KNeighborsClassifier(n_neighbors=3, algorithm="brute"), y),
        "lof": (LocalOutlierFactor(n_neighbors=5, algorithm="brute", novelty=True), None),
    }
    folder = tmp_path_factory.mktemp("compiled")
    saved = {}
    for name, (model, target) in models.items():
        model.fit(X) if target is None else model.fit(X, target)
        saved[name] = (save(model, folder / f"{name}.gdlab"), model, X)
    return saved


@pytest.mark.parametrize("name", ["kmeans", "minibatch-kmeans", "knn", "lof"])
def test_valid_kmeans_and_neighbors_models_load_and_predict_identically(
        other_compiled_models, name):
    path, model, X = other_compiled_models[name]
    loaded = load(path)
    method = {"kmeans": "transform", "minibatch-kmeans": "transform",
              "knn": "predict_proba", "lof": "score_samples"}[name]
    np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))
    if name.endswith("kmeans"):
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("name", ["kmeans", "minibatch-kmeans"])
def test_kmeans_centers_narrower_than_n_features_in_are_refused(other_compiled_models, name,
                                                                tmp_path):
    # the compiled label assignment reads each center with the width of X
    path, _, _ = other_compiled_models[name]
    bad = _edit_attribute(path, tmp_path / "centers.gdlab", "cluster_centers_",
                          lambda a: np.ascontiguousarray(a[:, :2]))
    with pytest.raises(ValueError, match=r"KMeans has a malformed k-means model: "
                                         r"cluster_centers_ has shape \(3, 2\); expected "
                                         r"\(n_clusters, 3\)"):
        load(bad)


def test_minibatch_kmeans_counts_shorter_than_the_centers_are_refused(other_compiled_models,
                                                                      tmp_path):
    # partial_fit adds each sample's weight to _counts[its cluster]
    path, _, _ = other_compiled_models["minibatch-kmeans"]
    bad = _edit_attribute(path, tmp_path / "counts.gdlab", "_counts", lambda a: a[:1])
    with pytest.raises(ValueError, match=r"_counts has shape \(1,\); expected \(3,\)"):
        load(bad)


def test_kmeans_thread_count_out_of_range_is_refused(other_compiled_models, tmp_path):
    path, _, _ = other_compiled_models["kmeans"]
    bad = _edit_attribute(path, tmp_path / "threads.gdlab", "_n_threads", lambda n: 10**9)
    with pytest.raises(ValueError, match=r"_n_threads is 1000000000; expected an integer in "
                                         r"\[1, \d+\]"):
        load(bad)


@pytest.mark.parametrize("name", ["knn", "lof"])
def test_neighbors_fit_x_narrower_than_n_features_in_is_refused(other_compiled_models, name,
                                                               tmp_path):
    # the compiled brute-force search reads each training row with the width of X
    path, _, _ = other_compiled_models[name]
    bad = _edit_attribute(path, tmp_path / "fit_x.gdlab", "_fit_X",
                          lambda a: np.ascontiguousarray(a[:, :1]))
    with pytest.raises(ValueError, match=r"has a malformed nearest-neighbors model: _fit_X "
                                         r"has shape \(40, 1\); expected \(n_samples, 3\)"):
        load(bad)


def test_knn_label_code_beyond_the_classes_is_refused(other_compiled_models, tmp_path):
    # predict_proba adds each neighbor's vote at column _y[neighbor] of its class scores
    path, _, _ = other_compiled_models["knn"]

    def edit(codes):
        codes = codes.copy()
        codes[0] = 10**6
        return codes

    bad = _edit_attribute(path, tmp_path / "y.gdlab", "_y", edit)
    with pytest.raises(ValueError, match=r"_y holds class code 1000000; expected codes in "
                                         r"\[0, 3\)"):
        load(bad)
