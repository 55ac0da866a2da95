"""A scikit-learn ``Pipeline`` whose tags tell the truth about NaN.

scikit-learn's :class:`~sklearn.pipeline.Pipeline` copies the estimator type
and classifier tags from its last step but leaves ``input_tags.allow_nan`` at
its default (False), so ``StandardScaler() -> HistGradientBoostingClassifier()``
loses the ``missing_features`` capability that the booster on its own has.
:class:`Pipeline` here differs only in that tag: the pipeline accepts NaN when
every step does.
"""

from __future__ import annotations

from sklearn.pipeline import Pipeline as _SkPipeline
from sklearn.utils import get_tags

__all__ = ["Pipeline"]


class Pipeline(_SkPipeline):
    """scikit-learn's ``Pipeline`` with ``allow_nan`` set when every step allows NaN.

    The rule is conservative: a pipeline whose first step imputes NaN (for
    example ``SimpleImputer``) before a model that rejects NaN still reports
    ``allow_nan=False``, because imputation is not the marginalization that
    gdlab's ``missing_features`` capability promises.

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As for :class:`sklearn.pipeline.Pipeline`.
    memory, transform_input, verbose
        As for :class:`sklearn.pipeline.Pipeline`.

    Examples
    --------
    >>> from sklearn.ensemble import HistGradientBoostingClassifier
    >>> from sklearn.preprocessing import StandardScaler
    >>> from gdlab.base import capabilities
    >>> pipe = Pipeline([("scale", StandardScaler()), ("clf", HistGradientBoostingClassifier())])
    >>> sorted(capabilities(pipe))
    ['classify', 'missing_features']
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        try:
            steps = [s for _, s in self.steps if s is not None and s != "passthrough"]
            tags.input_tags.allow_nan = bool(steps) and all(
                get_tags(s).input_tags.allow_nan for s in steps
            )
        except (ValueError, AttributeError, TypeError):
            # malformed ``steps`` (not yet validated by fit): keep the default
            pass
        return tags

