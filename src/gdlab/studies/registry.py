"""The studies by name, each with a quick and a thorough configuration.

``gdlab compare`` and ``gdlab study`` build their studies here, so the
command line, the Python API and the tests agree on what "the learning-curve
study" means. Every entry is a :class:`StudySpec`: calling it builds the
study, with the quick settings (a default run of a few minutes on a laptop)
or the thorough ones (more splits, sizes and rates; for a result to quote),
and any parameter overridden by keyword.

Examples
--------
>>> from gdlab.studies.registry import STUDIES, default_studies, make_study
>>> list(STUDIES)[:3]
['learning_curve', 'semi_supervised', 'blend']
>>> make_study("calibration").name
'calibration'
>>> [s.name for s in default_studies(names=["cost", "ood"])]
['cost', 'ood']
"""

from __future__ import annotations

import ast
import difflib
import importlib
import inspect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["StudySpec", "STUDIES", "make_study", "default_studies", "study_names",
           "headlines", "parameters", "parse_params"]


@dataclass(frozen=True)
class StudySpec:
    """A named study with its quick and thorough settings.

    Parameters
    ----------
    name : str
        The study's name on the command line (``Study.name``).
    module, cls : str
        Where the :class:`~gdlab.studies.base.Study` subclass lives (imported
        when the study is built, so listing names costs nothing).
    description : str
        One line, shown by ``gdlab study --help``.
    quick, thorough : mapping
        Constructor keyword arguments of each configuration.
    quick_seeds, thorough_seeds : int, optional
        Repeats of a study whose constructor has no ``n_splits``: set as the
        study's ``default_seeds`` (``range(n)``), which the runner uses when
        it is given no seeds. None keeps the study's own default.
    in_default : bool, default=True
        Whether ``gdlab compare`` runs it when no studies are named
        (:func:`default_studies`); otherwise it runs when named.
    """

    name: str
    module: str
    cls: str
    description: str
    quick: Mapping = field(default_factory=dict)
    thorough: Mapping = field(default_factory=dict)
    quick_seeds: int | None = None
    thorough_seeds: int | None = None
    in_default: bool = True

    def study_class(self) -> type:
        """The :class:`~gdlab.studies.base.Study` subclass (its module imported now)."""
        return getattr(importlib.import_module(self.module), self.cls)

    @property
    def headlines(self) -> tuple:
        """The study's :attr:`~gdlab.studies.base.Study.headlines` (what it puts in a summary)."""
        return tuple(self.study_class().headlines)

    def __call__(self, *, quick: bool = True, **params):
        """Build the study.

        Parameters
        ----------
        quick : bool, default=True
            The quick settings, or the thorough ones.
        **params
            Override single constructor arguments.

        Returns
        -------
        gdlab.studies.base.Study
        """
        study_cls = self.study_class()
        kwargs = dict(self.quick if quick else self.thorough)
        kwargs.update(params)
        study = study_cls(**kwargs)
        n_seeds = self.quick_seeds if quick else self.thorough_seeds
        if n_seeds is not None:
            study.default_seeds = tuple(range(n_seeds))
        return study


#: Every study, in the order the report shows them.
STUDIES: dict[str, StudySpec] = {
    spec.name: spec
    for spec in [
        StudySpec(
            "learning_curve", "gdlab.studies.learning_curve", "LearningCurve",
            "test error vs training size, with the generative/discriminative crossover",
            quick={"n_sizes": 7, "n_splits": 10}, thorough={"n_sizes": 10, "n_splits": 50},
        ),
        # Not a default: it refits every model at each number of labels (semi-supervised
        # ones twice), and tells nothing the learning curves do not unless a model with
        # the semi_supervised tag takes part.
        StudySpec(
            "semi_supervised", "gdlab.studies.semi_supervised", "SemiSupervised",
            "test error vs labelled rows, the rest unlabelled: what unlabelled rows are worth",
            quick={"labels_per_class": (2, 10, "all"), "n_splits": 3},
            thorough={"labels_per_class": (2, 5, 10, 25, "all"), "n_splits": 10},
            in_default=False,
        ),
        # Not a default: it exists for the blend models (tag blend), fitting each at seven
        # lambdas per cell; it runs when named and then takes every registered blend.
        StudySpec(
            "blend", "gdlab.studies.blend", "Blend",
            "test error vs training size for several lambdas of lambda log p(x,y) + "
            "(1-lambda) log p(y|x)",
            quick={"n_sizes": 5, "n_splits": 5}, thorough={"n_sizes": 8, "n_splits": 30},
            in_default=False,
        ),
        StudySpec(
            "missing_data", "gdlab.studies.missing_data", "MissingData",
            "test error vs fraction of features missing at predict time (MCAR/MAR/MNAR)",
            quick={"rates": (0.0, 0.25, 0.5, 0.75), "mechanism": "mcar",
                   "imputation": ("mean",), "n_splits": 4},
            thorough={"rates": (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9),
                      "mechanism": ("mcar", "mar", "mnar"), "imputation": ("mean", "iterative"),
                      "n_splits": 20},
        ),
        StudySpec(
            "calibration", "gdlab.studies.calibration", "Calibration",
            "how far predicted probabilities are from observed frequencies (ECE, Brier)",
            quick_seeds=3, thorough_seeds=20,
        ),
        StudySpec(
            "ood", "gdlab.studies.ood", "OOD",
            "out-of-distribution detection: -log p(x) vs max-softmax confidence (AUROC)",
            quick_seeds=3, thorough_seeds=20,
        ),
        StudySpec(
            "cost", "gdlab.studies.cost", "Cost",
            "fit seconds, predict latency, peak memory and parameter count",
            quick_seeds=3, thorough_seeds=5,
        ),
        StudySpec(
            "samples", "gdlab.studies.samples", "Samples",
            "class-conditional samples of models that can draw them",
            quick_seeds=1, thorough_seeds=3,
        ),
        # Not a default: every classifier is refitted per generator, ratio and regime (some
        # hundred fits); it answers a question of its own, named when wanted.
        StudySpec(
            "augmentation", "gdlab.studies.augmentation", "Augmentation",
            "classifiers trained on real + generated rows: error, balanced error and "
            "minority recall vs the ratio of synthetic rows",
            quick={"ratios": (0, 0.5, 1, 2, 4), "train_sizes": (50,), "n_splits": 3},
            thorough={"ratios": (0, 0.5, 1, 2, 4), "train_sizes": (50, 200), "n_splits": 10},
            in_default=False,
        ),
    ]
}


def study_names() -> list[str]:
    """Names of every registered study, in report order."""
    return list(STUDIES)


def headlines() -> list[tuple[str, object]]:
    """(study name, :class:`~gdlab.studies.base.Headline`) of every study, in report order.

    Examples
    --------
    >>> [(study, h.column) for study, h in headlines()][:2]
    [('learning_curve', 'error'), ('learning_curve', 'log_loss')]
    """
    return [(name, h) for name, spec in STUDIES.items() for h in spec.headlines]


def parameters(name: str) -> dict[str, object]:
    """The constructor parameters of study ``name`` and their quick values.

    Parameters
    ----------
    name : str
        One of :data:`STUDIES`.

    Returns
    -------
    dict
        Parameter name -> the value a quick run uses (the quick settings, else
        the constructor's default), in the constructor's order.

    Examples
    --------
    >>> parameters("blend")["lambdas"]
    (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
    """
    spec = _spec(name)
    signature = inspect.signature(spec.study_class().__init__)
    out = {p.name: p.default for p in signature.parameters.values()
           if p.kind is inspect.Parameter.KEYWORD_ONLY}
    out.update({k: v for k, v in spec.quick.items() if k in out})
    return out


def _value(text: str):
    """A Python literal (``0.5``, ``None``, ``(1, 2)``, ``'a'``); else comma-separated items,
    each a literal or a bare word; else the text itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    if "," in text:
        items = [t.strip() for t in text.split(",")]
        if any(not t for t in items[:-1]):
            raise ValueError(f"empty item in the list {text!r}.")
        return tuple(_value(t) for t in items if t)
    return text


def parse_params(name: str, pairs) -> dict[str, object]:
    """Study parameters from ``KEY=VALUE`` strings (``gdlab study NAME --param KEY=VALUE``).

    Each key must be a keyword parameter of the study's constructor. A value
    is read as a Python literal (``0.5``, ``None``, ``True``, ``(20, 80)``),
    else as comma-separated items (``0,0.5,1`` -> ``(0, 0.5, 1)``; ``mcar,mar``
    -> ``('mcar', 'mar')``), else as a word (``mcar``). A single value of a
    parameter whose default is a sequence becomes a one-item tuple
    (``train_sizes=50`` -> ``(50,)``); a trailing comma makes one of any
    parameter (``sizes=50,``). Whether a value is valid is the
    study's to say (:func:`gdlab.comparison.check_plan` asks it before any fit).

    Parameters
    ----------
    name : str
        One of :data:`STUDIES`.
    pairs : iterable of str
        ``"KEY=VALUE"`` strings.

    Returns
    -------
    dict
        Keyword arguments for :func:`make_study`.

    Raises
    ------
    ValueError
        For an unknown study, a string without ``=``, an empty key or value, an
        unknown key (the message lists the study's parameters with their quick
        values) or a key given twice.

    Examples
    --------
    >>> parse_params("blend", ["lambdas=0,0.5,1", "n_splits=3"])
    {'lambdas': (0, 0.5, 1), 'n_splits': 3}
    >>> parse_params("augmentation", ["train_sizes=40", "generators=gaussian-nb,smote"])
    {'train_sizes': (40,), 'generators': ('gaussian-nb', 'smote')}
    >>> parse_params("blend", ["lambda=0.5"])
    Traceback (most recent call last):
    ...
    ValueError: study 'blend' has no parameter 'lambda'. Did you mean 'lambdas'? ...
    """
    known = parameters(name)
    if isinstance(pairs, str):
        raise TypeError(f"pairs must be a list of 'KEY=VALUE' strings, got the string {pairs!r}.")
    out: dict[str, object] = {}
    for pair in pairs:
        if not isinstance(pair, str):
            raise TypeError(f"a study parameter must be a 'KEY=VALUE' string, got {pair!r}.")
        key, sep, text = (part.strip() for part in pair.partition("="))
        if not sep or not key or not text:
            raise ValueError(f"a study parameter must read KEY=VALUE (e.g. n_splits=3), got "
                             f"{pair!r}.")
        if key not in known:
            close = difflib.get_close_matches(key, list(known), n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
            listed = ", ".join(f"{k}={v!r}" for k, v in known.items())
            raise ValueError(f"study {name!r} has no parameter {key!r}.{hint} Its parameters "
                             f"(quick values): {listed}.")
        if key in out:
            raise ValueError(f"study parameter {key!r} is given twice.")
        try:
            value = _value(text)
        except ValueError as exc:
            raise ValueError(f"study parameter {key}: {exc}") from None
        default = known[key]
        if isinstance(default, (tuple, list)) and not isinstance(value, (tuple, list)):
            value = (value,)
        out[key] = value
    return out


def _spec(name) -> StudySpec:
    try:
        return STUDIES[name]
    except (KeyError, TypeError):
        raise _unknown(name) from None


def _unknown(name) -> ValueError:
    close = difflib.get_close_matches(str(name), list(STUDIES), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(f"unknown study {name!r}.{hint} Known studies: {', '.join(STUDIES)}.")


def make_study(name: str, *, quick: bool = True, **params):
    """Build the study registered as ``name``.

    Parameters
    ----------
    name : str
        One of :data:`STUDIES`.
    quick : bool, default=True
        Quick settings (default run) or thorough ones.
    **params
        Override single constructor arguments of the study.

    Returns
    -------
    gdlab.studies.base.Study

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known names and close matches.
    """
    try:
        spec = STUDIES[name]
    except (KeyError, TypeError):
        raise _unknown(name) from None
    return spec(quick=quick, **params)


def default_studies(quick: bool = True, names: Iterable[str] | None = None,
                    params: Mapping[str, Mapping] | None = None) -> list:
    """The studies ``gdlab compare`` runs.

    Parameters
    ----------
    quick : bool, default=True
        Quick settings (a few minutes on a laptop) or thorough ones.
    names : iterable of str, optional
        Only these studies, in the given order; default every study in
        :data:`STUDIES` whose spec is ``in_default`` (all but
        ``semi_supervised`` and ``blend``). Unknown names raise before anything is built.
    params : mapping of str to mapping, optional
        Constructor arguments per study name (e.g. from :func:`parse_params`),
        overriding the quick or thorough settings; a study named here must be
        one of the studies built.

    Returns
    -------
    list of gdlab.studies.base.Study
    """
    chosen = [n for n, s in STUDIES.items() if s.in_default] if names is None else list(names)
    if isinstance(names, str):
        raise TypeError(f"names must be a list of study names, got the string {names!r}.")
    for name in chosen:
        if name not in STUDIES:
            raise _unknown(name)
    if len(set(chosen)) != len(chosen):
        raise ValueError(f"studies contains duplicates: {chosen}.")
    params = dict(params or {})
    extra = [n for n in params if n not in chosen]
    if extra:
        raise ValueError(f"parameters given for {', '.join(map(repr, extra))}, which "
                         f"{'is' if len(extra) == 1 else 'are'} not among the studies to run "
                         f"({', '.join(chosen)}).")
    return [make_study(name, quick=quick, **dict(params.get(name, {}))) for name in chosen]
