"""The capability vocabulary: what an estimator can do and what ``X`` it takes.

:data:`CAPABILITIES` lists every capability tag gdlab knows and
:func:`capabilities` reads them off any estimator, gdlab's (declared by
:class:`gdlab.base.CapabilityMixin`) or scikit-learn's (read off its public API
and tags); :data:`DATA_KINDS` and :data:`INPUT_KINDS` are the one vocabulary of
the kinds of data, shared by datasets (``modality``) and models
(:func:`input_kind`). Used by the contract (:mod:`gdlab.base`), the model
registry, the studies and the comparison to decide which model takes part
where. ``gdlab.base`` re-exports these names.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline
from sklearn.utils import get_tags

__all__ = [
    "CAPABILITIES",
    "capabilities",
    "input_kind",
    "DATA_KINDS",
    "INPUT_KINDS",
    "modality_input_kind",
]

#: Every capability tag gdlab knows, with its meaning.
CAPABILITIES: dict[str, str] = {
    "classify": "predict / predict_proba",
    "density": "score_samples is log p(x) (exact)",
    "density_bound": "score_samples is a lower bound on log p(x) (e.g. an ELBO)",
    "unnormalized_density": "score_samples is log p(x) + an unknown constant (an energy-based "
                            "model): it ranks rows, it is no likelihood",
    "sample": "sample(n) draws from the model",
    "conditional_sample": "sample(n, y=k) draws from p(x | y=k)",
    "missing_features": "NaN in X is marginalized at predict (and at fit, where stated)",
    "sequences": "X is a list of variable-length sequences (lengths convention)",
    "text": "X is a list of strings",
    "partial_fit": "can learn incrementally with partial_fit",
    "semi_supervised": "fit accepts unlabeled rows (y = -1)",
    "blend": "generative model fitted by lambda_ log p(x, y) + (1 - lambda_) log p(y | x)",
}


def capabilities(estimator) -> frozenset[str]:
    """Capability tags of any estimator, gdlab's or scikit-learn's.

    gdlab estimators declare their tags; for other estimators they are read
    off the public API: ``classify`` for classifiers with ``predict_proba``
    (or ``decision_function``), ``missing_features`` when scikit-learn's
    ``allow_nan`` tag is set, ``text`` when its input tags say strings and no
    2-D array (for a Pipeline, those of its first step), ``partial_fit`` when
    the method exists, ``semi_supervised`` for scikit-learn's semi-supervised
    estimators (:mod:`sklearn.semi_supervised`: their ``fit`` takes ``y = -1``
    for an unlabelled row) and for a Pipeline whose last step has that tag
    (its earlier steps are transformers, which do not read ``y``).

    Parameters
    ----------
    estimator : estimator instance or class

    Returns
    -------
    frozenset of str
        A subset of :data:`CAPABILITIES`.
    """
    if isinstance(estimator, type):
        raise TypeError(
            f"capabilities() needs an estimator instance, got the class {estimator.__name__}."
        )
    declared = getattr(estimator, "_capabilities", None)
    if callable(declared):
        caps = frozenset(declared())
    else:
        caps = set()
        tags = get_tags(estimator)
        if tags.estimator_type == "classifier":
            caps.add("classify")
        if tags.input_tags.allow_nan or _pipeline_allows_nan(estimator):
            caps.add("missing_features")
        if _takes_text(estimator):
            caps.add("text")
        if hasattr(estimator, "partial_fit"):
            caps.add("partial_fit")
        if _semi_supervised(estimator):
            caps.add("semi_supervised")
        caps = frozenset(caps)
    unknown = caps - CAPABILITIES.keys()
    if unknown:
        raise ValueError(f"{type(estimator).__name__} declares unknown capabilities {unknown}.")
    return caps


#: The kinds of data, one vocabulary for datasets and models: a dataset's
#: ``modality`` is one of these, and a model's :func:`input_kind` one of
#: :data:`INPUT_KINDS` (images are given to models as rows of pixels).
DATA_KINDS = ("tabular", "image", "text", "sequence")

#: What ``X`` a model takes: rows (a 2-D array), sequences (a list of arrays of
#: frames, or stacked frames with ``lengths``) or texts (a list of strings).
INPUT_KINDS = ("tabular", "sequence", "text")


def modality_input_kind(modality: str) -> str:
    """The model input kind a dataset of this modality needs: an image is a row of pixels.

    Parameters
    ----------
    modality : str
        One of :data:`DATA_KINDS`.

    Returns
    -------
    str
        One of :data:`INPUT_KINDS`.

    Examples
    --------
    >>> modality_input_kind("image"), modality_input_kind("sequence")
    ('tabular', 'sequence')
    """
    if modality not in DATA_KINDS:
        raise ValueError(f"unknown modality {modality!r}; known: {', '.join(DATA_KINDS)}.")
    return "tabular" if modality == "image" else modality


def input_kind(estimator) -> str:
    """What ``X`` an estimator takes: ``"tabular"``, ``"sequence"`` or ``"text"``.

    One of :data:`INPUT_KINDS`, the words of a dataset's ``modality``. Read off
    the capability tags: ``sequences`` means a list of arrays of frames (or
    stacked frames plus ``lengths``), ``text`` a list of strings; anything
    else takes a 2-D numeric array.

    Examples
    --------
    >>> from gdlab.models import GaussianNB
    >>> input_kind(GaussianNB())
    'tabular'
    """
    caps = capabilities(estimator)
    if "sequences" in caps:
        return "sequence"
    if "text" in caps:
        return "text"
    return "tabular"


def _takes_text(estimator) -> bool:
    """Whether a scikit-learn estimator (or a Pipeline, by its first step) takes raw strings.

    Read off scikit-learn's input tags: strings and no 2-D array (a vectorizer,
    gdlab's ``TextColumn``). Pipeline does not pass these tags on from its
    first step, so the first step is asked.
    """
    if isinstance(estimator, Pipeline):
        steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
        if not steps:
            return False
        estimator = steps[0]
    tags = get_tags(estimator).input_tags
    return bool(tags.string and not tags.two_d_array)


def _semi_supervised(estimator) -> bool:
    """Whether a scikit-learn estimator (or a Pipeline, by its last step) learns from ``y = -1``.

    scikit-learn has no tag for it: its semi-supervised estimators are the
    classes of :mod:`sklearn.semi_supervised` (and subclasses of them).
    """
    from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier

    if isinstance(estimator, Pipeline):
        last = estimator.steps[-1][1] if estimator.steps else None
        return last not in (None, "passthrough") and "semi_supervised" in capabilities(last)
    return isinstance(estimator, (LabelPropagation, LabelSpreading, SelfTrainingClassifier))


def _pipeline_allows_nan(estimator) -> bool:
    """Whether every step of a scikit-learn Pipeline accepts NaN.

    scikit-learn's Pipeline takes its tags from the last step but leaves
    ``allow_nan`` False, so ``StandardScaler -> HistGradientBoosting`` would
    otherwise lose ``missing_features``. A step that *imputes* does not count:
    only steps that pass NaN through (or consume it natively) do.
    """
    if not isinstance(estimator, Pipeline):
        return False
    steps = [step for _, step in estimator.steps if step not in (None, "passthrough")]
    return bool(steps) and all(get_tags(step).input_tags.allow_nan for step in steps)
