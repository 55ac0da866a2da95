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

Loading never runs code from the file before it has been checked: the
archive must be a zip, the manifest must describe exactly the members present
with matching SHA-256 digests, the class path must belong to a trusted
package, and :func:`skops.io.get_untrusted_types` must report only
*classes* defined in ``gdlab`` or ``sklearn`` (plus the numpy, scipy and
builtin types skops trusts on its own, and types the caller names in
``trusted``). Functions are never trusted by package: skops can call a
trusted callable while rebuilding, and a package-wide rule would admit
callables such as ``numpy.memmap`` (which writes files). Anything else
raises ``ValueError`` naming the problem.

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
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

__all__ = ["FORMAT", "FORMAT_VERSION", "TRUSTED_MODULES", "save", "load"]

#: Value of ``manifest["format"]``.
FORMAT = "gdlab-model"
#: Newest archive layout this version writes and reads.
FORMAT_VERSION = 1
#: Top-level packages whose classes (not functions) are trusted when loading.
TRUSTED_MODULES = ("gdlab", "sklearn")

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


def _resolve(type_name: str):
    """The object a dotted name refers to, importing only its (trusted) package; else None."""
    import importlib

    parts = type_name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _is_trusted(type_name: str, extra: frozenset[str]) -> bool:
    """Named by the caller, or a class (never a function) of a trusted package."""
    if type_name in extra:
        return True
    if type_name.split(".", 1)[0] not in TRUSTED_MODULES:
        return False
    return isinstance(_resolve(type_name), type)


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
            f"cannot {action}: it contains untrusted types {bad}. Only classes from "
            f"{', '.join(TRUSTED_MODULES)} are trusted; pass trusted=[...] naming the "
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
        Extra fully qualified type names (beyond gdlab, sklearn, numpy and
        scipy) the file may contain; :func:`load` needs the same list.

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

    import gdlab

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
        "gdlab_version": gdlab.__version__,
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


def _read_manifest(zf: zipfile.ZipFile, where: str) -> dict:
    names = zf.namelist()
    if _MANIFEST not in names:
        raise ValueError(f"{where} is not a gdlab model file: it has no {_MANIFEST}.")
    if zf.getinfo(_MANIFEST).file_size > _MAX_MANIFEST_BYTES:
        raise ValueError(f"{where}: {_MANIFEST} is implausibly large; refusing to read it.")
    try:
        manifest = json.loads(zf.read(_MANIFEST).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, zipfile.BadZipFile) as exc:
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
        For a file that is not a gdlab model, is truncated or corrupted, has
        a member whose SHA-256 differs from the manifest, names a class
        outside the trusted packages, or contains untrusted types. Nothing
        from the file is executed before these checks pass.
    """
    import skops.io as sio

    extra = _trusted_names(trusted)
    where = str(path)
    data = Path(path).read_bytes()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise ValueError(
            f"{where} is not a gdlab model file (not a zip archive, or truncated)."
        ) from None
    with zf:
        manifest = _read_manifest(zf, where)
        contents = {}
        for name, digest in manifest["members"].items():
            try:
                contents[name] = zf.read(name)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                raise ValueError(f"{where}: member {name} is corrupted ({exc}).") from None
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
    found = _refuse_untrusted(est_bytes, extra, action=f"load {where}")
    try:
        model = sio.loads(est_bytes, trusted=found)
    except Exception as exc:
        raise ValueError(f"{where}: the estimator could not be rebuilt ({exc}).") from exc
    if _class_path(model) != class_path:
        raise ValueError(
            f"{where}: manifest says {class_path!r} but the file holds {_class_path(model)!r}."
        )
    if _TENSORS in contents:
        if not hasattr(model, "_gdlab_load_tensors_"):
            raise ValueError(
                f"{where}: {class_path} cannot take tensors (no _gdlab_load_tensors_)."
            )
        from safetensors.torch import load as st_load

        try:
            tensors = st_load(contents[_TENSORS])
        except Exception as exc:
            raise ValueError(f"{where}: the tensors part is malformed ({exc}).") from None
        model._gdlab_load_tensors_(tensors)
    return model
