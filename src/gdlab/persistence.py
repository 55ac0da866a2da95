"""Save and load gdlab models without pickle.

A saved model is one zip archive with these members:

``manifest.json``
    ``{"format": "gdlab-model", "format_version": 1, "gdlab_version": ...,
    "class": "<module>.<qualname>", "members": {name: sha256 hex digest},
    "torch_attributes": [...]}``.
``estimator.skops``
    The estimator, written by :func:`skops.io.dumps` (no pickle).
``tensors.safetensors`` (only for models that hold torch state)
    Tensors written by :func:`safetensors.torch.save`.

Loading never runs code from the file before it has been checked, and never
writes anything (it reads bytes only):

- the file, and every member of the zip archives nested in it (the archive
  itself, the skops part, numpy ``.npz`` parts inside that), must fit the
  size limits :data:`MAX_MEMBER_BYTES`, :data:`MAX_TOTAL_BYTES` and
  :data:`MAX_COMPRESSION_RATIO`, checked on the *declared* sizes before
  anything is decompressed, and reads stop at the declared size;
- the manifest must describe exactly the members present, with matching
  SHA-256 digests;
- every type the skops part names (:func:`skops.io.get_untrusted_types`, on
  top of the numpy, scipy and builtin types skops trusts on its own) and the
  manifest's class path must be trusted by :func:`_is_trusted`: named by the
  caller in ``trusted``, or a class *defined* in ``gdlab`` or ``sklearn``
  (its own ``__module__`` and ``__qualname__`` are the name the file uses;
  a class those packages merely import, such as ``numpy.memmap`` reached
  through a scikit-learn module, is not theirs) that is an estimator or is
  listed in :data:`SAFE_CLASSES`. skops calls the classes it rebuilds
  (``cls(*args)`` with arguments from the file) or restores them
  (``__setstate__``), so only classes known to touch no file, process or
  network while doing so are trusted. Functions are never trusted by
  package;
- after the estimator is rebuilt, the state that scikit-learn hands to compiled
  code without bounds checks is checked, at any depth (pipelines, calibrated
  classifiers, ensembles), by :func:`gdlab._load_checks.check_loaded_model`:
  trees (``Tree``, ``TreePredictor``: forests, boosting stages): children are
  later nodes in range (no cycles), split features are within the width the
  estimator checks, counts, depths, bitsets and shapes agree; libsvm models
  (SVC, NuSVC, SVR, NuSVR, OneClassSVM, dense or sparse): ``_n_support``,
  ``support_``, ``support_vectors_``, ``_dual_coef_``, ``_intercept_``,
  ``_probA``/``_probB``, the kernel and its parameters agree with each other and
  with ``n_features_in_``, in the dtypes and layout libsvm takes; k-means:
  ``cluster_centers_`` are ``n_features_in_`` wide; nearest neighbors:
  ``_fit_X`` is ``n_features_in_`` wide and class codes ``_y`` are within
  ``classes_``. A crafted file could otherwise make ``predict`` read or write out
  of bounds or never return.

Which scikit-learn models load by default: every scikit-learn estimator whose
``predict``, ``transform`` or ``score_samples`` hands fitted arrays to compiled
code that trusts their sizes is either checked as above or holds a compiled helper
that is not an estimator and is therefore refused unless named in ``trusted``
(the ``BallTree`` / ``KDTree`` and ``DistanceMetric`` of neighbors models fitted
with those algorithms and of ``KernelDensity``, ``BisectingKMeans``'
``_BisectingTree``, ``SplineTransformer``'s scipy ``BSpline``; skops cannot save
``Birch`` at all). Naming a type in ``trusted`` vouches for the contents of the
objects of that type, which load does not check. The other estimators (linear
models, naive Bayes, mixtures, discriminant analysis, MLPs, scalers, encoders,
vectorizers, calibration) predict with numpy and scipy, which check shapes and
indices and raise on a mismatch. The checks cover what predicting and scoring
read; continuing to train a loaded scikit-learn model (``partial_fit``,
``warm_start``) relies on scikit-learn's own checks, beyond k-means' ``_counts``.

Anything else raises ``ValueError`` naming the problem; a damaged file of any
kind (bad zip structure, bad compressed data, bad JSON) raises ``ValueError``
too.

Tensor protocol
---------------
An estimator that holds torch modules or tensors implements two methods:

``_gdlab_tensors_(self) -> dict[str, torch.Tensor]``
    Every learned tensor, under stable names (``module.state_dict()`` with a
    prefix works).
``_gdlab_load_tensors_(self, tensors: dict[str, torch.Tensor]) -> None``
    Called on the loaded estimator with the same dict (CPU tensors); it
    rebuilds its torch attributes from its hyper-parameters and fitted
    non-tensor attributes and loads the tensors into them.

:func:`save` stores a shallow copy of the estimator from which every
attribute holding a ``torch.nn.Module`` or ``torch.Tensor`` has been removed
(their names are listed in the manifest as ``torch_attributes``), so the
skops part never contains torch objects.

Examples
--------
>>> import tempfile, pathlib
>>> from sklearn.datasets import load_iris
>>> from sklearn.tree import DecisionTreeClassifier
>>> X, y = load_iris(return_X_y=True)
>>> clf = DecisionTreeClassifier(random_state=0).fit(X, y)
>>> path = pathlib.Path(tempfile.mkdtemp()) / "tree.gdlab"
>>> _ = save(clf, path)
>>> (load(path).predict_proba(X) == clf.predict_proba(X)).all()
np.True_
"""

from __future__ import annotations

import copy
import hashlib
import importlib
import io
import json
import os
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

from gdlab._load_checks import check_loaded_model
from gdlab._version import __version__

__all__ = [
    "FORMAT", "FORMAT_VERSION", "TRUSTED_MODULES", "SAFE_CLASSES", "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES", "MAX_COMPRESSION_RATIO", "save", "load",
]

#: Value of ``manifest["format"]``.
FORMAT = "gdlab-model"
#: Newest archive layout this version writes and reads.
FORMAT_VERSION = 1
#: Top-level packages whose own estimator classes (never functions, never classes
#: they merely import) are trusted when loading.
TRUSTED_MODULES = ("gdlab", "sklearn")
#: Classes defined in gdlab or scikit-learn, other than estimators, that fitted models
#: hold. Each was read: building it from arguments (``cls(*args)``) or restoring it
#: (``__setstate__``) stores values only, touching no file, process or network.
#: (``Tree`` and ``TreePredictor`` index their node arrays without bounds checks, as
#: skops notes; the SHA-256 digests catch corruption, not a crafted file, so
#: :func:`load` checks every loaded tree with :func:`gdlab._load_checks.check_loaded_model`.)
SAFE_CLASSES = frozenset({
    "gdlab.models.mixture._Stats",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
    "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
    "sklearn.tree._tree.Tree",
})
#: Module path parts of test code, never trusted (test helpers may write files).
_TEST_MODULE_PARTS = frozenset({"tests", "_testing", "conftest", "_mocking"})

#: Largest uncompressed size of one member of a zip archive read by :func:`load`
#: (the archive itself, the skops part, a numpy ``.npz`` inside it), in bytes.
MAX_MEMBER_BYTES = 2 << 30
#: Largest uncompressed size of all members of one archive together, and of the file.
MAX_TOTAL_BYTES = 4 << 30
#: Largest uncompressed / compressed size of a member over ``_RATIO_FREE_BYTES``;
#: data a model holds compresses far less, a zip bomb far more (deflate: ~1000).
MAX_COMPRESSION_RATIO = 200
_RATIO_FREE_BYTES = 1 << 20
#: Most members one archive may have.
_MAX_MEMBERS = 100_000
#: What reading, decompressing or parsing damaged bytes raises (zipfile, zlib, struct).
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
            ValueError, NotImplementedError, RuntimeError, struct.error, OverflowError,
            KeyError, IndexError)

_MANIFEST = "manifest.json"
_ESTIMATOR = "estimator.skops"
_TENSORS = "tensors.safetensors"
_MAX_MANIFEST_BYTES = 1 << 20


def _class_path(obj) -> str:
    cls = type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _trusted_names(trusted) -> frozenset[str]:
    if trusted is None:
        return frozenset()
    if isinstance(trusted, (str, type)):
        trusted = [trusted]
    names = set()
    for t in trusted:
        if isinstance(t, type):
            names.add(f"{t.__module__}.{t.__qualname__}")
        elif isinstance(t, str):
            names.add(t)
        else:
            raise TypeError(f"trusted must hold type names (str) or types, got {t!r}.")
    return frozenset(names)


def _defined_class(type_name: str):
    """The class ``module.Name`` names, if it is defined there under that name; else None.

    Imports only modules of :data:`TRUSTED_MODULES` (never test code) and looks up one
    attribute, as skops does; a class found there whose own ``__module__`` or
    ``__qualname__`` differ (imported from elsewhere) is not returned.
    """
    module_name, _, name = type_name.rpartition(".")
    parts = module_name.split(".")
    if parts[0] not in TRUSTED_MODULES or _TEST_MODULE_PARTS.intersection(parts):
        return None
    try:
        obj = getattr(importlib.import_module(module_name), name, None)
    except Exception:  # not a module, or a module that fails to import here
        return None
    if (
        not isinstance(obj, type)
        or obj.__module__ != module_name
        or obj.__qualname__ != name
    ):
        return None
    return obj


def _is_trusted(type_name: str, extra: frozenset[str]) -> bool:
    """Named by the caller, or a class of gdlab / sklearn that is safe to rebuild.

    Trusted by default: an estimator (a ``BaseEstimator`` or a Gaussian-process
    kernel, whose ``__init__`` only stores its arguments) or a class of
    :data:`SAFE_CLASSES`, *defined* in gdlab or sklearn under the very name the
    file uses (:func:`_defined_class`).
    """
    if type_name in extra:
        return True
    cls = _defined_class(type_name)
    if cls is None:
        return False
    if type_name in SAFE_CLASSES:
        return True
    from sklearn.base import BaseEstimator
    from sklearn.gaussian_process.kernels import Kernel

    return issubclass(cls, (BaseEstimator, Kernel))


def _refuse_untrusted(skops_bytes: bytes, extra: frozenset[str], *, action: str) -> list[str]:
    """Types in a skops dump that need trusting; ValueError when any is not trusted."""
    import skops.io as sio

    try:
        found = sio.get_untrusted_types(data=skops_bytes)
    except Exception as exc:  # malformed skops content: any parser error
        raise ValueError(f"cannot {action}: the skops part is malformed ({exc}).") from None
    bad = sorted(t for t in found if not _is_trusted(t, extra))
    if bad:
        hint = ""
        if any(t.startswith("torch.") for t in bad):
            hint = (
                " Models holding torch state must implement _gdlab_tensors_ and "
                "_gdlab_load_tensors_ (see gdlab.persistence)."
            )
        raise ValueError(
            f"cannot {action}: it contains untrusted types {bad}. Only estimator "
            f"classes defined in {', '.join(TRUSTED_MODULES)} and the classes of "
            "gdlab.persistence.SAFE_CLASSES are trusted; pass trusted=[...] naming the "
            f"types if you know they are safe.{hint}"
        )
    return found


def _split_torch_state(model):
    """(skeleton without torch attributes, tensors dict, removed attribute names)."""
    if not hasattr(model, "_gdlab_tensors_"):
        return model, None, []
    import torch

    if not hasattr(model, "_gdlab_load_tensors_"):
        raise TypeError(
            f"{type(model).__name__} has _gdlab_tensors_ but no _gdlab_load_tensors_; "
            "both are needed to save and load torch state."
        )
    tensors = model._gdlab_tensors_()
    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()
    ):
        raise TypeError(
            f"{type(model).__name__}._gdlab_tensors_() must return dict[str, torch.Tensor]."
        )
    # own, contiguous CPU copies: safetensors refuses shared or strided storage
    tensors = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    skeleton = copy.copy(model)
    removed = sorted(
        k for k, v in vars(skeleton).items() if isinstance(v, (torch.nn.Module, torch.Tensor))
    )
    for k in removed:
        delattr(skeleton, k)
    return skeleton, tensors, removed


def save(model, path, *, trusted: Iterable[str | type] | None = None) -> Path:
    """Write a model to one file, without pickle.

    Parameters
    ----------
    model : estimator
        Any gdlab or scikit-learn estimator, fitted or not. Estimators holding
        torch state must follow the tensor protocol (module docstring).
    path : str or path-like
        Destination; written atomically (a temporary file, then a rename).
    trusted : iterable of str or type, optional
        Extra fully qualified type names the file may contain, beyond those
        trusted by default (estimators defined in gdlab or sklearn, the
        classes of :data:`SAFE_CLASSES`, and the numpy, scipy and builtin
        types skops trusts); :func:`load` needs the same list.

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    ValueError
        When the model contains types that :func:`load` would refuse.
    TypeError
        When the model is not an estimator or breaks the tensor protocol.
    """
    import skops.io as sio

    if not hasattr(model, "get_params"):
        raise TypeError(f"save() needs an estimator (with get_params), got {type(model).__name__}.")
    extra = _trusted_names(trusted)
    skeleton, tensors, removed = _split_torch_state(model)
    try:
        est_bytes = sio.dumps(skeleton)
    except Exception as exc:
        hint = ""
        if any(type(v).__module__.split(".")[0] == "torch" for v in vars(skeleton).values()):
            hint = (
                " It holds torch objects: implement _gdlab_tensors_ and _gdlab_load_tensors_ "
                "(see gdlab.persistence)."
            )
        raise ValueError(
            f"cannot save {type(model).__name__}: skops failed ({exc}).{hint}"
        ) from exc
    _refuse_untrusted(est_bytes, extra, action=f"save {type(model).__name__}")
    members = {_ESTIMATOR: est_bytes}
    if tensors is not None:
        from safetensors.torch import save as st_save

        members[_TENSORS] = st_save(tensors)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "gdlab_version": __version__,
        "class": _class_path(model),
        "members": {name: _sha256(data) for name, data in members.items()},
        "torch_attributes": removed,
    }
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(_MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))
            for name, data in members.items():
                zf.writestr(name, data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _open_zip(data: bytes, what: str) -> zipfile.ZipFile:
    """The zip archive in ``data``; ValueError naming ``what`` when it is not one."""
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except _CORRUPT:
        raise ValueError(f"{what} is not a zip archive, or is truncated or corrupted.") from None


def _check_zip_limits(zf: zipfile.ZipFile, where: str, spent: int = 0) -> int:
    """Refuse an archive whose declared sizes break the limits, before decompressing.

    Parameters
    ----------
    zf : zipfile.ZipFile
        An archive opened for reading (only its central directory is looked at).
    where : str
        How to name the archive in error messages.
    spent : int, default=0
        Uncompressed bytes already accounted for by an enclosing archive.

    Returns
    -------
    int
        ``spent`` plus the declared uncompressed size of every member.

    Raises
    ------
    ValueError
        When a member is encrypted, uses a compression method gdlab never writes,
        declares more than :data:`MAX_MEMBER_BYTES`, compresses more than
        :data:`MAX_COMPRESSION_RATIO` (above 1 MiB), or the members together
        declare more than :data:`MAX_TOTAL_BYTES`.
    """
    infos = zf.infolist()
    if len(infos) > _MAX_MEMBERS:
        raise ValueError(f"{where}: {len(infos)} members, more than {_MAX_MEMBERS}; refusing it.")
    total = spent
    for info in infos:
        name, size, packed = info.filename, info.file_size, info.compress_size
        if info.flag_bits & 0x1:
            raise ValueError(f"{where}: {name} is encrypted; gdlab files never are.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(
                f"{where}: {name} uses compression method {info.compress_type}; gdlab "
                "files hold stored or deflated members only."
            )
        if size > MAX_MEMBER_BYTES:
            raise ValueError(
                f"{where}: {name} declares {size} bytes uncompressed, more than "
                f"gdlab.persistence.MAX_MEMBER_BYTES ({MAX_MEMBER_BYTES}); refusing to "
                "decompress it."
            )
        if info.compress_type == zipfile.ZIP_STORED and packed != size:
            raise ValueError(
                f"{where}: {name} is stored uncompressed but declares {size} bytes in "
                f"{packed} (corrupted file)."
            )
        if size > _RATIO_FREE_BYTES and size > MAX_COMPRESSION_RATIO * packed:
            raise ValueError(
                f"{where}: {name} compresses {size // max(packed, 1)}:1 ({size} bytes in "
                f"{packed}), more than gdlab.persistence.MAX_COMPRESSION_RATIO "
                f"({MAX_COMPRESSION_RATIO}:1): a zip bomb or a corrupted file; refusing "
                "to decompress it."
            )
        total += size
        if total > MAX_TOTAL_BYTES:
            raise ValueError(
                f"{where}: members declare more than gdlab.persistence.MAX_TOTAL_BYTES "
                f"({MAX_TOTAL_BYTES}) bytes uncompressed together; refusing to decompress "
                "them."
            )
    return total


def _read_member(zf: zipfile.ZipFile, name: str, where: str, limit: int | None = None) -> bytes:
    """A member's bytes, reading no more than it declares (checked by _check_zip_limits).

    ``limit`` reads only the first ``limit`` bytes. Damaged data (a bad header,
    compressed stream, CRC or length) raises ValueError.
    """
    try:
        info = zf.getinfo(name)
        want = info.file_size if limit is None else min(limit, info.file_size)
        with zf.open(info) as fh:
            data = fh.read(want)
    except _CORRUPT as exc:
        raise ValueError(f"{where}: member {name} is corrupted ({exc}).") from None
    if len(data) != want:
        raise ValueError(
            f"{where}: member {name} holds {len(data)} bytes where it declares {want} "
            "(corrupted file)."
        )
    return data


def _check_skops_part(est_bytes: bytes, where: str) -> None:
    """Apply the size limits to the skops archive and to the zip archives inside it.

    skops decompresses its own members while loading, and numpy decompresses each
    ``.npz`` member (scipy sparse matrices) inside that; both are checked here on
    their declared sizes, before either library reads them.
    """
    label = f"{where}: the skops part"
    with _open_zip(est_bytes, label) as inner:
        spent = _check_zip_limits(inner, label)
        if "schema.json" not in inner.NameToInfo:
            raise ValueError(f"{label} has no schema.json (corrupted or not a skops file).")
        for info in inner.infolist():
            head = _read_member(inner, info.filename, label, limit=4)
            if head not in (b"PK\x03\x04", b"PK\x05\x06"):  # what numpy reads as .npz
                continue
            nested = f"{label}: {info.filename}"
            with _open_zip(_read_member(inner, info.filename, label), nested) as npz:
                spent = _check_zip_limits(npz, nested, spent)


def _read_manifest(zf: zipfile.ZipFile, where: str) -> dict:
    names = zf.namelist()
    if _MANIFEST not in names:
        raise ValueError(f"{where} is not a gdlab model file: it has no {_MANIFEST}.")
    if zf.getinfo(_MANIFEST).file_size > _MAX_MANIFEST_BYTES:
        raise ValueError(f"{where}: {_MANIFEST} is implausibly large; refusing to read it.")
    try:
        manifest = json.loads(_read_member(zf, _MANIFEST, where).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ValueError(f"{where}: {_MANIFEST} is not valid JSON ({exc}).") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"{where} is not a gdlab model file (manifest format is not {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"{where}: manifest has an invalid format_version {version!r}.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{where} uses format version {version}, newer than this gdlab reads "
            f"({FORMAT_VERSION}); upgrade gdlab."
        )
    members = manifest.get("members")
    if (
        not isinstance(members, dict)
        or not all(isinstance(v, str) for v in members.values())
        or _ESTIMATOR not in members
        or not set(members) <= {_ESTIMATOR, _TENSORS}
    ):
        raise ValueError(f"{where}: manifest lists invalid members {members!r}.")
    present = set(names) - {_MANIFEST}
    if present != set(members) or len(names) != len(set(names)):
        raise ValueError(
            f"{where}: archive members {sorted(present)} do not match the manifest "
            f"{sorted(members)} (tampered or corrupted file)."
        )
    if not isinstance(manifest.get("class"), str):
        raise ValueError(f"{where}: manifest has no class path.")
    return manifest


def load(path, *, trusted: Iterable[str | type] | None = None):
    """Read a model written by :func:`save`, after checking it.

    Parameters
    ----------
    path : str or path-like
    trusted : iterable of str or type, optional
        Extra fully qualified type names to trust (as given to :func:`save`).

    Returns
    -------
    estimator
        Equal in behaviour to the saved one (same ``predict_proba``).

    Raises
    ------
    ValueError
        For a file that is not a gdlab model, is truncated or corrupted
        (any damaged byte), declares sizes beyond :data:`MAX_MEMBER_BYTES`,
        :data:`MAX_TOTAL_BYTES` or :data:`MAX_COMPRESSION_RATIO` (checked
        before decompressing), has a member whose SHA-256 differs from the
        manifest, names a class that is not trusted (module docstring),
        contains untrusted types, or holds scikit-learn state that compiled
        code would read out of bounds ("<file>: <estimator path> has a malformed
        tree: ..." or "... support vector machine", "... k-means model",
        "... nearest-neighbors model"; tree child indices out of range or
        cyclic, split features beyond the estimator's width, libsvm counts that
        do not add up to the support vectors, coefficients, intercepts or
        support vectors of the wrong shape or dtype, centers or training rows
        narrower than ``n_features_in_``, class codes beyond ``classes_``; see
        :func:`gdlab._load_checks.check_loaded_model`). Nothing from the
        file is executed before these checks pass, and nothing is written.
    OSError
        When the file cannot be opened (missing, no permission).
    """
    import skops.io as sio

    extra = _trusted_names(trusted)
    where = str(path)
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_TOTAL_BYTES:
            raise ValueError(
                f"{where} has {size} bytes, more than gdlab.persistence.MAX_TOTAL_BYTES "
                f"({MAX_TOTAL_BYTES}); refusing to read it."
            )
        data = fh.read(MAX_TOTAL_BYTES + 1)
    if len(data) > MAX_TOTAL_BYTES:
        raise ValueError(f"{where} grew past gdlab.persistence.MAX_TOTAL_BYTES while read.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except _CORRUPT:
        raise ValueError(
            f"{where} is not a gdlab model file (not a zip archive, or truncated)."
        ) from None
    with zf:
        _check_zip_limits(zf, where)
        manifest = _read_manifest(zf, where)
        contents = {}
        for name, digest in manifest["members"].items():
            contents[name] = _read_member(zf, name, where)
            if _sha256(contents[name]) != digest:
                raise ValueError(
                    f"{where}: checksum mismatch for {name} (tampered or corrupted file)."
                )
    class_path = manifest["class"]
    if not _is_trusted(class_path, extra):
        raise ValueError(
            f"{where}: unknown class path {class_path!r}; only classes from "
            f"{', '.join(TRUSTED_MODULES)} (or named in trusted=) are loaded."
        )
    est_bytes = contents[_ESTIMATOR]
    _check_skops_part(est_bytes, where)
    found = _refuse_untrusted(est_bytes, extra, action=f"load {where}")
    try:
        model = sio.loads(est_bytes, trusted=found)
    except Exception as exc:
        raise ValueError(f"{where}: the estimator could not be rebuilt ({exc}).") from exc
    if _class_path(model) != class_path:
        raise ValueError(
            f"{where}: manifest says {class_path!r} but the file holds {_class_path(model)!r}."
        )
    # before torch state is attached: the skeleton holds every scikit-learn model
    check_loaded_model(model, where)
    if _TENSORS in contents:
        if not hasattr(model, "_gdlab_load_tensors_"):
            raise ValueError(
                f"{where}: {class_path} cannot take tensors (no _gdlab_load_tensors_)."
            )
        from safetensors.torch import load as st_load

        try:
            tensors = st_load(contents[_TENSORS])
        except Exception as exc:  # safetensors parses untrusted bytes: any parser error
            raise ValueError(f"{where}: the tensors part is malformed ({exc}).") from None
        try:
            model._gdlab_load_tensors_(tensors)
        except (KeyError, TypeError, RuntimeError, IndexError) as exc:  # wrong names/shapes
            raise ValueError(
                f"{where}: the tensors do not fit {class_path} ({type(exc).__name__}: {exc})."
            ) from None
    return model
