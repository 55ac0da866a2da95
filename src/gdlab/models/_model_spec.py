"""The registry's machinery: :class:`ModelSpec` and the functions that add, find and list models.

What lives here: the spec of a named, configured model (its factory, family and
modalities, with the capability tags read once off a fresh instance), the table of
registered specs, and :func:`register`, :func:`unregister`, :func:`registered`,
:func:`spec`, :func:`names`, :func:`make` and :func:`available`. Who uses it:
:mod:`gdlab.models.registry`, which registers the built-in models on import and
re-exports every name here; import them from there (the registry is the public
home, and the table holds the built-in entries only once it is imported).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd

from gdlab.capability_tags import capabilities, input_kind

__all__ = [
    "FAMILIES",
    "ModelSpec",
    "register",
    "unregister",
    "registered",
    "make",
    "spec",
    "names",
    "available",
]

#: Model families of the registry.
FAMILIES = ("generative", "discriminative", "hybrid")


@dataclass(frozen=True)
class ModelSpec:
    """A named, configured model.

    Parameters
    ----------
    name : str
        Registry key, lower case with hyphens (``"gaussian-nb"``).
    family : {"generative", "discriminative", "hybrid"}
    factory : callable
        Called with no arguments; returns a fresh unfitted estimator.
    modality : tuple of str, default=("tabular",)
        Kinds of data the model is meant for (``"tabular"``, ``"counts"``,
        ``"categorical"``, ``"binary"``, ``"image"``, ``"text"``, ``"sequence"``).
    description : str, default=""
        One line.

    Attributes
    ----------
    capabilities : frozenset of str
        :func:`gdlab.capability_tags.capabilities` of a fresh instance, computed on first
        use and kept (an ``ImportError`` of the model's code propagates and is
        not kept).
    input_kind : str
        :func:`gdlab.capability_tags.input_kind` of that instance (``"tabular"``,
        ``"sequence"`` or ``"text"``), computed with the capabilities.
    """

    name: str
    family: str
    factory: Callable[[], object]
    modality: tuple[str, ...] = ("tabular",)
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"name must be a non-empty str, got {self.name!r}.")
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {list(FAMILIES)}, got {self.family!r}.")
        if not callable(self.factory):
            raise TypeError(f"factory must be callable, got {type(self.factory).__name__}.")
        if isinstance(self.modality, str) or not all(isinstance(m, str) for m in self.modality):
            raise TypeError(f"modality must be a tuple of str, got {self.modality!r}.")
        object.__setattr__(self, "modality", tuple(self.modality))
        if "\n" in self.description:
            raise ValueError(f"description must be one line, got {self.description!r}.")

    @functools.cached_property
    def _facts(self) -> tuple[frozenset[str], str]:
        """(capability tags, input kind) of one fresh instance, computed once."""
        estimator = self.factory()
        return frozenset(capabilities(estimator)), input_kind(estimator)

    @property
    def capabilities(self) -> frozenset[str]:
        """frozenset of str: capability tags of a fresh instance (computed once, then kept)."""
        return self._facts[0]

    @property
    def input_kind(self) -> str:
        """str: what ``X`` the model takes, ``"tabular"``, ``"sequence"`` or ``"text"``."""
        return self._facts[1]


_REGISTRY: dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    """Add a model to the registry.

    Parameters
    ----------
    spec : ModelSpec

    Returns
    -------
    ModelSpec
        ``spec``, unchanged.

    Raises
    ------
    ValueError
        When a model of that name is already registered.
    """
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"register() needs a ModelSpec, got {type(spec).__name__}.")
    if spec.name in _REGISTRY:
        raise ValueError(f"a model named {spec.name!r} is already registered.")
    _REGISTRY[spec.name] = spec
    return spec


def unregister(name: str) -> ModelSpec:
    """Remove the model ``name`` from the registry.

    Parameters
    ----------
    name : str

    Returns
    -------
    ModelSpec
        The removed entry (``register`` it again to restore it).

    Raises
    ------
    ValueError
        For an unknown name.
    """
    removed = spec(name)
    del _REGISTRY[name]
    return removed


@contextmanager
def registered(*specs: ModelSpec):
    """Register models for the duration of a ``with`` block, then restore the registry.

    Whatever is registered or unregistered inside the block is undone on exit,
    so a test (or a one-off experiment) can add models without leaking them.
    Entries exist in this process only: runs with ``n_jobs > 1`` start worker
    processes that see the registry as imported.

    Parameters
    ----------
    *specs : ModelSpec
        Models to register on entry.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> with registered(ModelSpec("dummy", "discriminative", DummyClassifier)):
    ...     "dummy" in names()
    True
    >>> "dummy" in names()
    False
    """
    saved = dict(_REGISTRY)
    try:
        for entry in specs:
            register(entry)
        yield
    finally:
        _REGISTRY.clear()
        _REGISTRY.update(saved)


def _unknown(name) -> ValueError:
    known = sorted(_REGISTRY)
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(f"unknown model {name!r}.{hint} Known models: {', '.join(known)}.")


def spec(name: str) -> ModelSpec:
    """The :class:`ModelSpec` registered under ``name``.

    Parameters
    ----------
    name : str

    Returns
    -------
    ModelSpec

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known names and close matches.
    """
    try:
        return _REGISTRY[name]
    except (KeyError, TypeError):
        raise _unknown(name) from None


def names() -> list[str]:
    """Names of every registered model, in registration order.

    Examples
    --------
    >>> names()[:2]
    ['gaussian-nb', 'bernoulli-nb']
    """
    return list(_REGISTRY)


def make(name: str, **params):
    """A fresh unfitted estimator of the registered model ``name``.

    Parameters
    ----------
    name : str
        A registry name (see :func:`available`).
    **params
        Passed to ``set_params`` of the new estimator (``clf__C=0.1`` for the
        classifier inside a pipeline).

    Returns
    -------
    estimator
    """
    est = spec(name).factory()
    if params:
        est.set_params(**params)
    return est


def available() -> pd.DataFrame:
    """All registered models, one row each.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``family``, ``capabilities`` (comma-joined sorted
        tags, :attr:`ModelSpec.capabilities`),
        ``modality`` (comma-joined) and ``description``. A model whose code
        cannot be imported shows ``unavailable (<reason>)`` as capabilities.
    """
    rows = []
    for s in _REGISTRY.values():
        try:
            caps = ",".join(sorted(s.capabilities))
        except ImportError as exc:
            caps = f"unavailable ({exc})"
        rows.append(
            {
                "name": s.name,
                "family": s.family,
                "capabilities": caps,
                "modality": ",".join(s.modality),
                "description": s.description,
            }
        )
    return pd.DataFrame(
        rows, columns=["name", "family", "capabilities", "modality", "description"]
    )
